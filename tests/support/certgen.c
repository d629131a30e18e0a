/*
 * certgen.c - test keys and certificates from OpenSSL's API.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509v3.h>

#include "certgen.h"

static void must(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "certgen: %s failed\n", what);
		abort();
	}
}

EVP_PKEY *cg_key(void)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

	must(k != NULL, "EC key generation");
	return k;
}

static void add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	must(e && X509_add_ext(x, e, -1), "adding an extension");
	X509_EXTENSION_free(e);
}

X509 *cg_cert(EVP_PKEY *key, const char *cn, time_t now, long long from,
	      long long until, X509 *issuer, EVP_PKEY *issuer_key, int ca)
{
	static long serial = 1;
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();

	must(x && name, "X509_new");
	must(X509_set_version(x, 2), "X509_set_version");
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	must(ASN1_TIME_set(X509_getm_notBefore(x), now + from) != NULL &&
	     ASN1_TIME_set(X509_getm_notAfter(x), now + until) != NULL,
	     "setting the validity");
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
				   (const unsigned char *)cn, -1, -1, 0);
	must(X509_set_subject_name(x, name), "X509_set_subject_name");
	must(X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer)
					    : name), "X509_set_issuer_name");
	must(X509_set_pubkey(x, key), "X509_set_pubkey");
	add_ext(x, issuer ? issuer : x, NID_basic_constraints,
		ca ? "critical,CA:TRUE" : "CA:FALSE");
	add_ext(x, issuer ? issuer : x, NID_key_usage,
		ca ? "critical,keyCertSign,cRLSign"
		   : "critical,digitalSignature");
	must(X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()) > 0,
	     "X509_sign");
	X509_NAME_free(name);
	return x;
}

/* The memory BIO's content as a string; frees the BIO. */
static char *bio_string(BIO *b)
{
	char *mem = NULL, *out;
	long n = BIO_get_mem_data(b, &mem);

	out = malloc((size_t)n + 1);
	must(out != NULL, "malloc");
	memcpy(out, mem, (size_t)n);
	out[n] = '\0';
	BIO_free(b);
	return out;
}

char *cg_pem_cert(X509 *x)
{
	BIO *b = BIO_new(BIO_s_mem());

	must(b && PEM_write_bio_X509(b, x), "PEM_write_bio_X509");
	return bio_string(b);
}

char *cg_pem_key(EVP_PKEY *k, const char *pass)
{
	BIO *b = BIO_new(BIO_s_mem());

	must(b && PEM_write_bio_PKCS8PrivateKey(b, k,
						 pass ? EVP_aes_256_cbc() : NULL,
						 pass, pass ? (int)strlen(pass) : 0,
						 NULL, NULL),
	     "PEM_write_bio_PKCS8PrivateKey");
	return bio_string(b);
}

char *cg_b64(const void *p, size_t n)
{
	char *out = malloc(4 * ((n + 2) / 3) + 1);

	must(out != NULL, "malloc");
	EVP_EncodeBlock((unsigned char *)out, p, (int)n);
	return out;
}

char *cg_p12_b64(EVP_PKEY *k, X509 *x, const char *pass)
{
	PKCS12 *p12 = PKCS12_create(pass, "test", k, x, NULL, 0, 0, 0, 0, 0);
	unsigned char *der = NULL;
	int n;
	char *out;

	must(p12 != NULL, "PKCS12_create");
	n = i2d_PKCS12(p12, &der);
	must(n > 0, "i2d_PKCS12");
	out = cg_b64(der, (size_t)n);
	OPENSSL_free(der);
	PKCS12_free(p12);
	return out;
}

char *cg_cat(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *out = malloc(la + lb + 1);

	must(out != NULL, "malloc");
	memcpy(out, a, la);
	memcpy(out + la, b, lb + 1);
	return out;
}

char *cg_kubeconfig(const char *ca_pem, const char *cert_pem,
		    const char *key_pem)
{
	char *ca = cg_b64(ca_pem, strlen(ca_pem));
	char *cert = cg_b64(cert_pem, strlen(cert_pem));
	char *key = cg_b64(key_pem, strlen(key_pem));
	size_t n = strlen(ca) + strlen(cert) + strlen(key) + 512;
	char *out = malloc(n);

	must(out != NULL, "malloc");
	snprintf(out, n,
		 "apiVersion: v1\n"
		 "kind: Config\n"
		 "clusters:\n"
		 "- name: test\n"
		 "  cluster:\n"
		 "    server: https://127.0.0.1:6443\n"
		 "    certificate-authority-data: %s\n"
		 "users:\n"
		 "- name: ci\n"
		 "  user:\n"
		 "    client-certificate-data: %s\n"
		 "    client-key-data: %s\n"
		 "contexts:\n"
		 "- name: ci@test\n"
		 "  context:\n"
		 "    cluster: test\n"
		 "    user: ci\n"
		 "current-context: ci@test\n", ca, cert, key);
	free(ca);
	free(cert);
	free(key);
	return out;
}
