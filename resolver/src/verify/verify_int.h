/*
 * verify_int.h - what a verifier of one connection type is, and the table
 * of them (verify.c).  Each verify_*.c file holds the verifiers of one
 * family of types.
 */
#ifndef SVC_VERIFY_INT_H
#define SVC_VERIFY_INT_H

#include "svcconn/verify.h"
#include "net/http.h"

/** One type's verifier: run it, fill out (0), or an SVC_E* code. */
typedef int (*verify_fn)(svc_verify_result *out, const svc_conn *c,
			 const svc_verify_options *o);

/** A type id (as in the catalog) and its verifier. */
struct verifier {
	const char *type;     /**< catalog type id, compared case-insensitively */
	verify_fn run;        /**< the verifier */
};

/**
 * Set out's outcome, target (may be NULL) and printf-style message;
 * returns 0 (or an SVC_E* code when out of memory).
 */
int verify_set(svc_verify_result *out, svc_verify_outcome outcome,
	       const char *target, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* ------------------------------------------------------------------------
 * The verifiers, by family (the table is in verify.c)
 */

/* HTTP services (verify_http.c) */
int verify_github(svc_verify_result *, const svc_conn *,
		  const svc_verify_options *);
int verify_github_enterprise(svc_verify_result *, const svc_conn *,
			     const svc_verify_options *);
int verify_bitbucket(svc_verify_result *, const svc_conn *,
		     const svc_verify_options *);
int verify_docker_registry(svc_verify_result *, const svc_conn *,
			   const svc_verify_options *);
int verify_docker_host(svc_verify_result *, const svc_conn *,
		       const svc_verify_options *);
int verify_generic(svc_verify_result *, const svc_conn *,
		   const svc_verify_options *);
int verify_jenkins(svc_verify_result *, const svc_conn *,
		   const svc_verify_options *);
int verify_jira(svc_verify_result *, const svc_conn *,
		const svc_verify_options *);
int verify_maven(svc_verify_result *, const svc_conn *,
		 const svc_verify_options *);
int verify_npm(svc_verify_result *, const svc_conn *,
	       const svc_verify_options *);
int verify_nuget(svc_verify_result *, const svc_conn *,
		 const svc_verify_options *);
int verify_python_download(svc_verify_result *, const svc_conn *,
			   const svc_verify_options *);
int verify_python_upload(svc_verify_result *, const svc_conn *,
			 const svc_verify_options *);
int verify_cargo(svc_verify_result *, const svc_conn *,
		 const svc_verify_options *);
int verify_subversion(svc_verify_result *, const svc_conn *,
		      const svc_verify_options *);
int verify_app_center(svc_verify_result *, const svc_conn *,
		      const svc_verify_options *);

/* ---- git, SSH, Azure, Kubernetes, Chef, webhook verifiers: declarations
 * go here ---- */

/* ------------------------------------------------------------------------
 * Helpers for verifiers that speak HTTP (verify.c)
 */

/** The value of field key of c (any case), or NULL when absent or empty. */
const char *verify_field(const svc_conn *c, const char *key);
/** 1 when c's "acceptUntrustedCerts" data field is "true" (any case). */
int verify_insecure(const svc_conn *c);
/**
 * Zero req, then set its timeouts from o (NULL: defaults) and its insecure
 * flag from verify_insecure(c).
 */
void verify_http_init(http_request *req, const svc_conn *c,
		      const svc_verify_options *o);
/**
 * "METHOD scheme://host[:port]/path" for url, without user info, query or
 * fragment (they may hold credentials); a new string or NULL (no memory,
 * or url unparsable: then "METHOD <url>" is not attempted either).
 */
char *verify_target(const char *method, const char *url);
/**
 * The common reading of an HTTP call's result (call_rc from http_call):
 * a transport failure gives DNS, CONNECT, TLS, TIMEOUT (INVALID for a
 * refused request, UNEXPECTED otherwise) with http's message; 401 and 403
 * give AUTH naming the status; any other non-2xx gives UNEXPECTED with the
 * status.  out->http_status is set.  Returns 1 when out is now set (the
 * verifier is done), 0 for a 2xx answer (the verifier goes on and checks
 * the body), or an SVC_E* code.
 */
int verify_http_answer(svc_verify_result *out, const char *target,
		       int call_rc, const http_response *r);

/* ---- the verifiers of verify_git.c, verify_ssh.c, verify_azure.c,
 * verify_k8s.c, verify_chef.c, verify_webhook.c, and what they share
 * (verify_crypto.c) ---- */
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include "util/buf.h"

int verify_git(svc_verify_result *out, const svc_conn *c,
	       const svc_verify_options *o);
int verify_externaltfs(svc_verify_result *out, const svc_conn *c,
		       const svc_verify_options *o);
int verify_ssh(svc_verify_result *out, const svc_conn *c,
	       const svc_verify_options *o);
int verify_azurerm(svc_verify_result *out, const svc_conn *c,
		   const svc_verify_options *o);
int verify_azure_classic(svc_verify_result *out, const svc_conn *c,
			 const svc_verify_options *o);
int verify_servicebus(svc_verify_result *out, const svc_conn *c,
		      const svc_verify_options *o);
int verify_servicefabric(svc_verify_result *out, const svc_conn *c,
			 const svc_verify_options *o);
int verify_kubernetes(svc_verify_result *out, const svc_conn *c,
		      const svc_verify_options *o);
int verify_chef(svc_verify_result *out, const svc_conn *c,
		const svc_verify_options *o);
int verify_webhook(svc_verify_result *out, const svc_conn *c,
		   const svc_verify_options *o);
/**
 * A connection of a custom type t: the request of its definition
 * (verify_custom.c); SVC_VERIFY_LOCAL when the definition has none.
 */
int verify_custom(svc_verify_result *out, const svc_type *t,
		  const svc_conn *c, const svc_verify_options *o);

/** Append s (n bytes) percent-encoded (RFC 3986 unreserved kept). */
int vc_urlencode(svc_buf *out, const char *s, size_t n);

/** Append base64 of p (url: the URL-safe alphabet without padding). */
int vc_base64(svc_buf *out, const void *p, size_t n, int url);
/** Append the bytes base64 text s (n chars) stands for; SVC_EINVALID. */
int vc_unbase64(svc_buf *out, const char *s, size_t n);
/** Read a PEM private key (pass: its passphrase or NULL). */
int vc_load_key(EVP_PKEY **out, const char *pem, size_t len, const char *pass);
/** Read the first PEM certificate of pem. */
int vc_load_cert(X509 **out, const char *pem, size_t len);
/** Append the RSA/ECDSA signature over SHA-256 of data with key. */
int vc_sign_sha256(svc_buf *sig, EVP_PKEY *key, const void *data, size_t n);
/**
 * Append the compact JWS of claims under header (both compact JSON) signed
 * with key: RS256 for an RSA key; for an EC key the ECDSA signature as
 * R || S (RFC 7518 3.4), as ES256 wants for P-256.
 */
int vc_jws(svc_buf *out, EVP_PKEY *key, json_t *header, json_t *claims);
/** The SHA-1 thumbprint of x's DER, upper-case hex, into out. */
int vc_thumbprint(char out[41], X509 *x);

/** "sha1=<hex>" or, for a header name ending in "-256", "sha256=<hex>". */
int webhook_signature(svc_buf *out, const char *header, const char *secret,
		      size_t slen, const void *body, size_t blen);
/** 0 when sig is body's signature (constant time), SVC_EDENIED if not. */
int webhook_check(const char *header, const char *secret, size_t slen,
		  const void *body, size_t blen, const char *sig);

/**
 * Chef protocol 1.3: the canonical request signed for method, path (as
 * sent, without query), body, user id and timestamp ("YYYY-MM-DDTHH:MM:SSZ").
 */
int chef_canonical(svc_buf *out, const char *method, const char *path,
		   const char *body, size_t blen, const char *user,
		   const char *timestamp);
/** Add the X-Ops-* headers of a request signed with key to h. */
int chef_sign(http_headers *h, EVP_PKEY *key, const char *method,
	      const char *path, const char *body, size_t blen,
	      const char *user, const char *timestamp);

/**
 * Service Bus: the SAS token "SharedAccessSignature sr=..&sig=..&se=..&skn=.."
 * for resource uri, key name and key, expiring at expiry (Unix time).
 */
int sb_sas_token(svc_buf *out, const char *uri, const char *keyname,
		 const char *key, size_t klen, long long expiry);

/**
 * Azure: the client assertion (RS256 JWT, x5t header) of client_id for
 * audience aud, from the PEM holding the certificate and its key.
 */
int arm_client_assertion(svc_buf *out, const char *pem, size_t len,
			 const char *client_id, const char *aud, long long now);

#endif
