/*
 * tlsgen.h - certificates generated at test time with the OpenSSL API.
 *
 * Tests need a CA, a server certificate for 127.0.0.1 and localhost signed
 * by it, an untrusted self-signed one, and client certificates, without
 * any file kept in the repository.  Each is made in memory, as PEM, in a
 * few milliseconds (EC P-256 keys unless RSA is asked for).
 */
#ifndef SVC_TEST_TLSGEN_H
#define SVC_TEST_TLSGEN_H

/** What a certificate is for. */
enum tlsgen_kind {
	TLSGEN_CA = 0,        /**< a CA (basicConstraints CA:TRUE, keyCertSign) */
	TLSGEN_SERVER,        /**< serverAuth, SAN IP:127.0.0.1, DNS:localhost
				   and the common name */
	TLSGEN_CLIENT         /**< clientAuth */
};

/** How to make a certificate; zero-initialise, then fill. */
struct tlsgen_opts {
	enum tlsgen_kind kind;     /**< see above */
	const char *cn;            /**< subject common name (NULL: "svcconn
				        test") */
	const struct tlsgen_cert *issuer; /**< signing CA, NULL: self-signed */
	int rsa;                   /**< 1: RSA 2048 key instead of P-256 */
	const char *passphrase;    /**< encrypt key_pem (AES-256-CBC) with it,
				        or NULL */
	long not_before_days;      /**< validity start from now, in days
				        (negative: in the past; 0: -1) */
	long not_after_days;       /**< validity end from now, in days
				        (negative: already expired; 0: 365) */
};

/** A certificate and its key. */
struct tlsgen_cert {
	char *cert_pem;       /**< the certificate, PEM */
	char *key_pem;        /**< its private key, PEM (PKCS#8, encrypted
				   when a passphrase was given) */
	void *x509;           /**< X509 * (to sign others) */
	void *pkey;           /**< EVP_PKEY * */
};

/** Make a certificate into *out; 0, or -1 (OpenSSL error printed). */
int tlsgen_make(struct tlsgen_cert *out, const struct tlsgen_opts *o);
/** Shorthands: a CA; a server certificate signed by ca (NULL: self-signed);
 *  a client certificate signed by ca. */
int tlsgen_ca(struct tlsgen_cert *out, const char *cn);
int tlsgen_server(struct tlsgen_cert *out, const struct tlsgen_cert *ca);
int tlsgen_client(struct tlsgen_cert *out, const struct tlsgen_cert *ca,
		  const char *cn);
/** Free what c holds (NULL accepted). */
void tlsgen_free(struct tlsgen_cert *c);

#endif
