/*
 * oidc_int.h - what the OIDC issuer's files share, and its part in a rekey.
 *
 * jwk.c holds the key material: making a key, its DER form (sealed in the
 * store), its public JWK and RFC 7638 thumbprint, and compact JWS signing.
 * oidc.c holds the keys in the store, rotation, and the public calls of
 * svcconn/oidc.h.  Nothing here is exported from the library.
 */
#ifndef SVC_OIDC_INT_H
#define SVC_OIDC_INT_H

#include <stddef.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "svcconn/oidc.h"
#include "crypto/crypto.h"
#include "util/buf.h"

/**
 * Below the policy (ops_oidc.c checks the role): make a new current key with algorithm alg ("RS256" or "ES256"; NULL:
 * SVC_OIDC_ALG_DEFAULT), retire the current one (published until the last
 * token it signed has expired, plus SVC_OIDC_LEEWAY) and drop the keys
 * whose time has come.  The new key's id into a new string *kid (kid may
 * be NULL).  Audited ("oidc-rotate").
 */
int svc_oidc_rotate(char **kid, svc_store *st, const char *alg,
		    const char *actor);

/**
 * The project part of connection c's sub into *out (a new string, or NULL
 * when c has no project): the name of the project that OWNS c, in every
 * project c is shared into too.  Azure's shared service endpoint is one
 * object with one workloadIdentityFederationSubject, naming the project
 * it was created in; the cloud's federated credential names that.
 */
int oidc_owner_project(char **out, svc_store *st, const svc_conn *c);
/** 1 when alg is an algorithm keys are made for ("RS256", "ES256"). */
int oidc_alg_known(const char *alg);
/** A new private key for alg. */
int oidc_key_generate(EVP_PKEY **out, const char *alg);
/** Append the DER of private key k to der (a secret buffer). */
int oidc_key_der(svc_buf *der, EVP_PKEY *k);
/**
 * The private key of DER der, which must be a key for alg; SVC_ECRYPTO
 * when it is not.
 */
int oidc_key_load(EVP_PKEY **out, const char *alg, const void *der,
		  size_t len);
/** The key id of k: its RFC 7638 JWK thumbprint (SHA-256, base64url). */
int oidc_kid(char kid[SVC_OIDC_KID_LEN + 1], EVP_PKEY *k);
/**
 * The public JWK of k (kty, crv/x/y or n/e, kid, use "sig", alg) into a
 * new object *out.
 */
int oidc_jwk(json_t **out, EVP_PKEY *k, const char *alg);
/**
 * Append the compact JWS of claims (header: alg, kid, typ "JWT") signed
 * with k to out.
 */
int oidc_jws(svc_buf *out, EVP_PKEY *k, const char *alg, const char *kid,
	     json_t *claims);

/**
 * Called by svc_store_rekey() inside its write transaction: open every
 * OIDC signing key with the store's current key and seal it again with
 * nk.  *count (may be NULL) counts them.  Nothing is written when one
 * fails to open.
 */
int oidc_reseal(size_t *count, svc_store *st, const crypto_key *nk);

#endif
