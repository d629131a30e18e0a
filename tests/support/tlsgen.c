/*
 * tlsgen.c - a CA, server and client certificates for TLS tests (see
 * tlsgen.h).  Keys and PEM output come from certgen.c (the certificate
 * checks' helper); what is added here is what a TLS peer needs: subject
 * alternative names for 127.0.0.1 and localhost, extended key usages, and
 * key identifiers so that OpenSSL builds the chain.
 */
#include "tlsgen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "certgen.h"

/* Add extension nid=value to x (issued by issuer); 0 or -1. */
static int add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;
	int ok;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	ok = e && X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	return ok ? 0 : -1;
}

/* The kind's extensions; 0 or -1. */
static int add_kind_exts(X509 *x, X509 *issuer, const struct tlsgen_opts *o,
			 const char *cn)
{
	char san[512];

	if (add_ext(x, x, NID_subject_key_identifier, "hash") ||
	    add_ext(x, issuer, NID_authority_key_identifier, "keyid:always"))
		return -1;
	switch (o->kind) {
	case TLSGEN_CA:
		return add_ext(x, issuer, NID_basic_constraints,
			       "critical,CA:TRUE") ||
		       add_ext(x, issuer, NID_key_usage,
			       "critical,keyCertSign,cRLSign") ? -1 : 0;
	case TLSGEN_SERVER:
		snprintf(san, sizeof(san),
			 "IP:127.0.0.1,DNS:localhost%s%s",
			 strcmp(cn, "localhost") ? ",DNS:" : "",
			 strcmp(cn, "localhost") ? cn : "");
		return add_ext(x, issuer, NID_basic_constraints, "CA:FALSE") ||
		       add_ext(x, issuer, NID_ext_key_usage, "serverAuth") ||
		       add_ext(x, issuer, NID_subject_alt_name, san) ? -1 : 0;
	case TLSGEN_CLIENT:
		return add_ext(x, issuer, NID_basic_constraints, "CA:FALSE") ||
		       add_ext(x, issuer, NID_ext_key_usage, "clientAuth")
		       ? -1 : 0;
	}
	return -1;
}

int tlsgen_make(struct tlsgen_cert *out, const struct tlsgen_opts *o)
{
	const char *cn = o->cn ? o->cn : "svcconn test";
	long from = o->not_before_days ? o->not_before_days : -1;
	long until = o->not_after_days ? o->not_after_days : 365;
	X509 *issuer = o->issuer ? o->issuer->x509 : NULL;
	EVP_PKEY *ikey = o->issuer ? o->issuer->pkey : NULL;
	EVP_PKEY *key;
	X509 *x = NULL;
	X509_NAME *name = NULL;
	unsigned char serial[16];
	BIGNUM *bn = NULL;
	time_t now = time(NULL);
	int rc = -1;

	memset(out, 0, sizeof(*out));
	key = o->rsa ? EVP_RSA_gen(2048) : cg_key();
	x = X509_new();
	name = X509_NAME_new();
	if (!key || !x || !name || RAND_bytes(serial, sizeof(serial)) != 1)
		goto done;
	serial[0] &= 0x7f;
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	if (!bn || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) ||
	    !X509_set_version(x, 2) ||
	    !ASN1_TIME_set(X509_getm_notBefore(x), now + from * 86400L) ||
	    !ASN1_TIME_set(X509_getm_notAfter(x), now + until * 86400L) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
					(const unsigned char *)cn, -1, -1,
					0) ||
	    !X509_set_subject_name(x, name) ||
	    !X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer)
					    : name) ||
	    !X509_set_pubkey(x, key) ||
	    add_kind_exts(x, issuer ? issuer : x, o, cn) != 0 ||
	    X509_sign(x, ikey ? ikey : key, EVP_sha256()) <= 0)
		goto done;
	out->cert_pem = cg_pem_cert(x);
	out->key_pem = cg_pem_key(key, o->passphrase);
	out->x509 = x;
	out->pkey = key;
	x = NULL;
	key = NULL;
	rc = 0;
done:
	if (rc)
		ERR_print_errors_fp(stderr);
	BN_free(bn);
	X509_NAME_free(name);
	X509_free(x);
	EVP_PKEY_free(key);
	return rc;
}

int tlsgen_ca(struct tlsgen_cert *out, const char *cn)
{
	struct tlsgen_opts o = { 0 };

	o.kind = TLSGEN_CA;
	o.cn = cn ? cn : "svcconn test CA";
	return tlsgen_make(out, &o);
}

int tlsgen_server(struct tlsgen_cert *out, const struct tlsgen_cert *ca)
{
	struct tlsgen_opts o = { 0 };

	o.kind = TLSGEN_SERVER;
	o.cn = "localhost";
	o.issuer = ca;
	return tlsgen_make(out, &o);
}

int tlsgen_client(struct tlsgen_cert *out, const struct tlsgen_cert *ca,
		  const char *cn)
{
	struct tlsgen_opts o = { 0 };

	o.kind = TLSGEN_CLIENT;
	o.cn = cn ? cn : "svcconn test client";
	o.issuer = ca;
	return tlsgen_make(out, &o);
}

void tlsgen_free(struct tlsgen_cert *c)
{
	if (!c)
		return;
	free(c->cert_pem);
	free(c->key_pem);
	X509_free(c->x509);
	EVP_PKEY_free(c->pkey);
	memset(c, 0, sizeof(*c));
}
