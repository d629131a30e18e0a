/*
 * oidc.h - svcconn as an OpenID Connect issuer, for workload identity
 * federation.
 *
 * The store signs short-lived ID tokens for a job and one connection it was
 * granted, with the claims Azure DevOps puts in its own: iss (the server's
 * URL), sub "sc://<organization>/<project>/<connection name>", aud
 * "api://AzureADTokenExchange", iat, nbf, exp and jti.  A cloud that trusts
 * the issuer (an Entra app's federated credential, an AWS or Google
 * identity provider) exchanges such a token for its own access token, so
 * the connection stores no secret.  The cloud checks the signature against
 * the keys the issuer publishes (svc_oidc_jwks(), found through
 * svc_oidc_discovery()).
 *
 * Signing keys live in the store, their private halves sealed under the
 * master key like every secret; the first key is made when it is first
 * needed.  svc_ops_oidc_rotate() (ops.h) makes a new current key; the
 * previous one stays published until every token it signed has expired (plus
 * SVC_OIDC_LEEWAY for clocks that differ), then it is dropped.  See
 * docs/oidc.md.
 */
#ifndef SVCCONN_OIDC_H
#define SVCCONN_OIDC_H

#include <stddef.h>
#include "errors.h"
#include "store.h"

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default)

/** The audience Azure DevOps gives its tokens (Entra's token exchange). */
#define SVC_OIDC_AUDIENCE "api://AzureADTokenExchange"
/** A token's lifetime unless asked otherwise: ten minutes, as Azure's. */
#define SVC_OIDC_LIFETIME_DEFAULT 600
/** The longest lifetime svc_oidc_issue() grants (one hour). */
#define SVC_OIDC_LIFETIME_MAX 3600
/** How long a retired key outlives the last token it signed. */
#define SVC_OIDC_LEEWAY 300
/** Where the issuer publishes its keys, below its URL. */
#define SVC_OIDC_JWKS_PATH "/.well-known/jwks"
/** Where the issuer publishes its configuration, below its URL. */
#define SVC_OIDC_DISCOVERY_PATH "/.well-known/openid-configuration"
/**
 * The algorithm of keys made without one being asked for: RS256, because
 * Microsoft Entra ID accepts only RSA signatures on federated tokens.
 */
#define SVC_OIDC_ALG_DEFAULT "RS256"
/** Characters in a key id (an RFC 7638 SHA-256 thumbprint, base64url). */
#define SVC_OIDC_KID_LEN 43

#define SVC_OIDC_TOKEN_OPTIONS_VERSION 1

/** What a token says and who asked for it. */
typedef struct svc_oidc_token_options {
	unsigned version;         /**< SVC_OIDC_TOKEN_OPTIONS_VERSION */
	const char *issuer;       /**< iss: the server's URL, https:// (or
				       http:// on a loopback host), without
				       query, fragment or trailing '/' */
	const char *organization; /**< the organization part of sub */
	const char *project;      /**< the project part of sub */
	const char *connection;   /**< the connection's name */
	const char *audience;     /**< aud; NULL: SVC_OIDC_AUDIENCE */
	long lifetime;            /**< seconds (1 to SVC_OIDC_LIFETIME_MAX);
				       0: SVC_OIDC_LIFETIME_DEFAULT */
	const char *requester;    /**< who asked (the job), for the audit
				       record; NULL: the acting identity */
	const char *connection_id; /**< the connection's id, for the audit
					record; may be NULL */
} svc_oidc_token_options;

/**
 * Sign an ID token (a compact JWS, header alg, kid and typ "JWT") with the
 * store's current key, making the first key when there is none, into a new
 * string *token: a bearer credential until it expires, to be freed with
 * svc_secret_free(token, strlen(token)).  The issuer must come from the
 * server's configuration, never from a request (a Host header); whether
 * the job was granted the connection is the caller's decision (the gate),
 * made before it asks.  Each token is audited ("oidc-issue": kid, sub, aud, jti,
 * exp).  SVC_EINVALID, naming the option, for an issuer, name, audience or
 * lifetime that is refused (docs/oidc.md lists what is).
 */
int svc_oidc_issue(char **token, svc_store *st,
		   const svc_oidc_token_options *o);

/**
 * The published keys as a JWKS (RFC 7517) JSON document into a new string:
 * each key's kty, its public parameters (crv, x, y or n, e), kid, use
 * "sig" and alg.  The current key first; the first key is made when there
 * is none.
 */
int svc_oidc_jwks(char **json, svc_store *st);

/**
 * The document served at SVC_OIDC_DISCOVERY_PATH below issuer (OpenID
 * Connect Discovery 1.0) into a new string: issuer, jwks_uri, the
 * supported signing algorithms, response and subject types, and claims.
 */
int svc_oidc_discovery(char **json, const char *issuer);

/** One signing key as svc_oidc_keys() lists it: never the private key. */
typedef struct svc_oidc_key {
	char kid[SVC_OIDC_KID_LEN + 1]; /**< key id */
	char alg[8];                    /**< "RS256" or "ES256" */
	long long created;              /**< made at (seconds since 1970) */
	long long retired;              /**< retired at; 0: the current key */
	long long signed_until;         /**< latest exp it signed; 0: none */
	long long drop_at;              /**< unpublished from; 0: current */
} svc_oidc_key;

/** The keys in the store, oldest first (published or not yet dropped). */
int svc_oidc_keys(svc_oidc_key **out, size_t *count, svc_store *st);
/** Free a list from svc_oidc_keys(); NULL is accepted. */
void svc_oidc_keys_free(svc_oidc_key *keys);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif

#endif
