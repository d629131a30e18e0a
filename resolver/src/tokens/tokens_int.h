/*
 * tokens_int.h - personal access tokens below the policy: creating,
 * listing and revoking rows for a given owner.  Only the authority layer
 * (ops/ops_tokens.c: who may manage whose tokens) calls these; they are
 * not exported from libsvcconn.
 */
#ifndef SVC_TOKENS_INT_H
#define SVC_TOKENS_INT_H

#include "svcconn/tokens.h"

/**
 * Create a token for owner, valid for days (0: SVC_TOKEN_DEFAULT_DAYS; at
 * most SVC_TOKEN_MAX_DAYS).  *token receives the token (free it with
 * svc_secret_free(token, SVC_TOKEN_LEN)), info (may be NULL) its record
 * (svc_token_info_clear()).  actor is audited as who created it.
 */
int svc_token_create(char **token, svc_token_info *info, svc_store *st,
		     const char *owner, const char *name, const char *scopes,
		     unsigned days, const char *actor);

/** Tokens of owner (NULL: everybody's), oldest first. */
int svc_token_list(svc_token_info **out, size_t *count, svc_store *st,
		   const char *owner);

/**
 * Revoke token id at once.  With owner non-NULL only a token of that
 * owner is found (SVC_ENOTFOUND otherwise, as for an unknown id).
 */
int svc_token_revoke(svc_store *st, const char *id, const char *owner,
		     const char *actor);

/*
 * The other tokens share the personal tokens' shape, hashing, table and
 * verification; their row's scopes hold one of these words instead of
 * scopes (never a scope a personal token can have), so that each kind is
 * found only as itself: svc_token_list and svc_token_revoke see personal
 * tokens only.
 */
#define SVC_TOKEN_KIND_AGENT "agent"               /**< svca_, an agent */
#define SVC_TOKEN_KIND_REGISTRATION "registration" /**< svcr_, one-time */
#define SVC_TOKEN_KIND_JOB "job"                   /**< svcj_, one job */

/** 1 when scopes is one of the SVC_TOKEN_KIND_* words. */
int token_kind_marker(const char *scopes);

/** A new token before it is stored. */
struct token_minted {
	char *text;                          /**< the token (SVC_TOKEN_LEN) */
	char id[SVC_TOKEN_ID_LEN + 1];       /**< its lookup id */
	unsigned char hash[32];              /**< SHA-256 of text */
};

/** A new random token of prefix (5 bytes) into m. */
int token_mint(struct token_minted *m, const char *prefix);
/** Wipe and free what m holds (NULL accepted). */
void token_minted_clear(struct token_minted *m);

/** Store m's row (hash only), inside the caller's write transaction. */
int token_row_insert(svc_store *st, const struct token_minted *m,
		     const char *owner, const char *name, const char *scopes,
		     long long created, long long expires);

/**
 * Check token (len bytes) of prefix against its row inside the caller's
 * transaction: the row's scopes must be kind (NULL: a personal token's).
 * 0 with *why NULL and *info filled (svc_token_info_clear) when it is
 * valid at now; 0 with *why saying why not (never with the secret); id
 * (SVC_TOKEN_ID_LEN + 1 bytes) receives the lookup id when the token
 * parsed, else "".  An unknown id costs the same work as a known one.
 */
int token_check(svc_token_info *info, const char **why, char *id,
		svc_store *st, const char *token, size_t len,
		const char *prefix, const char *kind, long long now);

/**
 * Audit a refused token ("token-auth-failed": id when known, why, client,
 * request; outside any transaction) and return SVC_EDENIED saying why.
 */
int token_refused(svc_store *st, const char *id, const char *why,
		  const char *client, const char *request);

#endif
