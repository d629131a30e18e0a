/*
 * tokens.h - personal access tokens: how people authenticate to the server.
 *
 * A token is "svcp_" + a 16-hex-digit lookup id + "_" + 43 characters of
 * base64url (32 random bytes from OpenSSL).  It is shown once, when it is
 * created; the store keeps only its SHA-256 hash (a token has 256 bits of
 * entropy: no slow hash is needed) with its owner, name, scopes and times.
 * Verifying looks the row up by id and compares hashes with CRYPTO_memcmp;
 * an unknown id is compared against a fixed hash so that both paths do
 * the same work.  Every create, revoke and failed verification writes an
 * audit record; a failed one names the token id when the token parsed,
 * never the secret.
 *
 * Scopes: "endpoints:read", "endpoints:manage" (implies read),
 * "approvals", and "full" (everything).  Tokens are created, listed and
 * revoked through the authority layer (ops.h: svc_ops_token_*), which
 * lets a user manage its own and the store's Administrator anybody's.
 */
#ifndef SVCCONN_TOKENS_H
#define SVCCONN_TOKENS_H

#include <stddef.h>
#include "errors.h"
#include "store.h"

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default)

/** The text every token starts with. */
#define SVC_TOKEN_PREFIX "svcp_"
/**
 * The text an agent's credential starts with (agents.h): the same shape as
 * a personal token, another prefix, so that neither passes for the other.
 */
#define SVC_AGENT_TOKEN_PREFIX "svca_"
/** The text a one-time agent registration token starts with. */
#define SVC_REGISTRATION_TOKEN_PREFIX "svcr_"
/** The text a job access token starts with. */
#define SVC_JOB_TOKEN_PREFIX "svcj_"
/** Hex digits of a token's lookup id. */
#define SVC_TOKEN_ID_LEN 16
/** Length of a whole token. */
#define SVC_TOKEN_LEN (5 + SVC_TOKEN_ID_LEN + 1 + 43)
/** Days a token is valid for when none are given. */
#define SVC_TOKEN_DEFAULT_DAYS 30
/** Most days a token can be valid for. */
#define SVC_TOKEN_MAX_DAYS 365

/** What is known about a token (never the token). */
typedef struct svc_token_info {
	char id[SVC_TOKEN_ID_LEN + 1]; /**< lookup id */
	char *owner;                   /**< the principal it acts as */
	char *name;                    /**< its owner's name for it */
	char *scopes;                  /**< space-separated scopes */
	long long created;             /**< seconds since the epoch */
	long long expires;             /**< invalid from then on */
	long long last_used;           /**< last used, or 0 */
	long long revoked;             /**< revoked at, or 0 */
} svc_token_info;

/**
 * Check a list of scopes (separated by spaces or commas) and write it
 * into *out normalised (space-separated, each once, in the order given);
 * SVC_EINVALID naming an unknown scope.
 */
int svc_token_scopes_parse(char **out, const char *scopes);

/** 1 when the space-separated scopes grant need (NULL: any token). */
int svc_token_scope_allows(const char *scopes, const char *need);

/** Free a list from svc_token_list (NULL accepted). */
void svc_token_list_free(svc_token_info *list, size_t count);
/** Free the strings of one record. */
void svc_token_info_clear(svc_token_info *info);

/** Whom a verified token speaks for. */
typedef enum svc_token_holder {
	SVC_TOKEN_PERSON = 0, /**< a personal access token (svcp_) */
	SVC_TOKEN_AGENT = 1,  /**< an agent's credential (svca_) */
	SVC_TOKEN_JOB = 2     /**< a job access token (svcj_) */
} svc_token_holder;

/** The result of a verification. */
typedef struct svc_token_auth {
	char *id;       /**< the token's id (when it parsed), or NULL */
	char *owner;    /**< who it acts as (when authenticated), or NULL */
	char *scopes;   /**< its scopes (when authenticated), or NULL */
	int forbidden;  /**< 1: authenticated, but scope not granted */
	svc_token_holder holder; /**< its kind; owner is the agent's name
				      for an agent, the job's id for a job */
} svc_token_auth;

/**
 * Verify token (len bytes) and that it grants scope need (NULL: any); a
 * personal token, an agent's credential (SVC_AGENT_TOKEN_PREFIX, whose
 * only scope is "agent") or a job access token (SVC_JOB_TOKEN_PREFIX,
 * scope "job"), out->holder saying which:
 * 0 with out filled; SVC_EDENIED when it is malformed, unknown, wrong,
 * revoked or expired (out->owner NULL), or when it lacks the scope
 * (out->forbidden 1, out->owner set).  Every failure is audited with
 * client (an address) and request (e.g. "GET /path"), and the message
 * says why without the secret.  A success records the token's use (at
 * most once a minute).
 */
int svc_token_verify(svc_token_auth *out, svc_store *st, const char *token,
		     size_t len, const char *need, const char *client,
		     const char *request);
/** Free what a verification filled in (NULL accepted). */
void svc_token_auth_clear(svc_token_auth *a);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
