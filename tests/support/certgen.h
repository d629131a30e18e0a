/*
 * certgen.h - keys, certificates and PKCS#12 files made at test time with
 * OpenSSL's API, for the tests of certificate checks (no fixture files).
 */
#ifndef SVC_TEST_CERTGEN_H
#define SVC_TEST_CERTGEN_H

#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

/** A new EC P-256 key; aborts the test on failure. */
EVP_PKEY *cg_key(void);
/**
 * A certificate for key's public key with subject CN=cn, valid from
 * now + from to now + until (seconds), signed by issuer/issuer_key (self
 * signed when issuer is NULL), a CA (basicConstraints CA:TRUE) when ca.
 */
X509 *cg_cert(EVP_PKEY *key, const char *cn, time_t now, long long from,
	      long long until, X509 *issuer, EVP_PKEY *issuer_key, int ca);
/** PEM text of x (malloc'd). */
char *cg_pem_cert(X509 *x);
/** PKCS#8 PEM of k (malloc'd), encrypted with AES-256 under pass if set. */
char *cg_pem_key(EVP_PKEY *k, const char *pass);
/** Standard base64 of n bytes, one line (malloc'd). */
char *cg_b64(const void *p, size_t n);
/** Base64 of a PKCS#12 holding k and x under pass (malloc'd). */
char *cg_p12_b64(EVP_PKEY *k, X509 *x, const char *pass);
/** a followed by b (malloc'd). */
char *cg_cat(const char *a, const char *b);
/**
 * A kubeconfig with one cluster (CA data) and user "ci" (client cert and
 * key data) in context "ci@test", current (malloc'd).
 */
char *cg_kubeconfig(const char *ca_pem, const char *cert_pem,
		    const char *key_pem);

#endif
