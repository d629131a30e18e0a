/*
 * test_oidc.c - the OIDC issuer: tokens, their signatures and claims, the
 * JWKS, rotation, and the private keys' sealing in the store.
 *
 * Signatures are checked here with OpenSSL from the published JWK alone
 * (the public key rebuilt from x, y or n, e with EVP_PKEY_fromdata; an
 * ES256 signature turned back from R || S into DER), never with the
 * library's own code; key ids are recomputed from the published members
 * as RFC 7638 spells them, and oidc_kid() is checked against the RFC's own
 * example.  Time moves with SVCCONN_NOW.
 */
#include "testutil.h"
#include "oidc/oidc_int.h"
#include "store/store_write.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <sqlite3.h>

#include "svcconn/errors.h"
#include "svcconn/oidc.h"
#include "svcconn/store.h"
#include "crypto/crypto.h"
#include "oidc/oidc_int.h"
#include "store/store_write.h"
#include "util/buf.h"

#define T0 1800000000LL
#define ISS "https://svcconn.example.com/org1"

struct fx {
	char *dir;              /**< temporary directory */
	svc_store_options opts; /**< the store under dir */
	svc_store *st;          /**< open store */
};

static void set_now(long long t)
{
	char v[32];

	snprintf(v, sizeof(v), "%lld", t);
	assert_int_equal(setenv("SVCCONN_NOW", v, 1), 0);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	set_now(T0);
	f->dir = tu_mkdtemp();
	f->opts.version = SVC_STORE_OPTIONS_VERSION;
	f->opts.home = f->dir;
	assert_int_equal(svc_store_init(&f->opts, "tester"), 0);
	assert_int_equal(svc_store_open(&f->st, &f->opts), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	svc_store_free(f->st);
	tu_rm_rf(f->dir);
	free(f->dir);
	free(f);
	unsetenv("SVCCONN_NOW");
	return 0;
}

/* base64url text (n chars) decoded into out (a test's own decoder). */
static size_t unb64url(unsigned char *out, size_t cap, const char *s, size_t n)
{
	char *t = malloc(n + 4);
	size_t i, m = n;
	int len;

	assert_non_null(t);
	for (i = 0; i < n; i++)
		t[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
	while (m % 4)
		t[m++] = '=';
	assert_true(m / 4 * 3 <= cap);
	len = EVP_DecodeBlock(out, (unsigned char *)t, (int)m);
	assert_true(len >= 0);
	free(t);
	return (size_t)len - (m - n); /* the padding decoded as zeros */
}

static json_t *json_part(const char *s, size_t n)
{
	unsigned char buf[4096];
	size_t len = unb64url(buf, sizeof(buf), s, n);
	json_t *j = json_loadb((char *)buf, len, 0, NULL);

	assert_non_null(j);
	return j;
}

/* Member k of object o as a string, or NULL. */
static const char *jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* The three parts of a compact JWS. */
struct jws {
	json_t *header, *claims;
	const char *signed_part; /**< header.payload */
	size_t signed_len;
	unsigned char sig[512];
	size_t sig_len;
};

static void jws_split(struct jws *j, const char *tok)
{
	const char *d1 = strchr(tok, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;

	assert_non_null(d2);
	assert_null(strchr(d2 + 1, '.'));
	assert_null(strchr(tok, '='));
	j->header = json_part(tok, (size_t)(d1 - tok));
	j->claims = json_part(d1 + 1, (size_t)(d2 - d1 - 1));
	j->signed_part = tok;
	j->signed_len = (size_t)(d2 - tok);
	j->sig_len = unb64url(j->sig, sizeof(j->sig), d2 + 1, strlen(d2 + 1));
}

static void jws_free(struct jws *j)
{
	json_decref(j->header);
	json_decref(j->claims);
}

static size_t member_bytes(unsigned char *out, size_t cap, json_t *jwk,
			   const char *name)
{
	const char *v = json_string_value(json_object_get(jwk, name));

	assert_non_null(v);
	return unb64url(out, cap, v, strlen(v));
}

/* The public key of a JWK, built with OpenSSL from its members alone. */
static EVP_PKEY *jwk_key(json_t *jwk)
{
	const char *kty = jstr(jwk, "kty");
	OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
	unsigned char pub[65], n[600], e[8];
	EVP_PKEY_CTX *ctx = NULL;
	OSSL_PARAM *params;
	EVP_PKEY *k = NULL;
	BIGNUM *bn = NULL, *be = NULL;

	assert_non_null(b);
	if (strcmp(kty, "EC") == 0) {
		assert_string_equal(jstr(jwk, "crv"), "P-256");
		pub[0] = 4;
		assert_int_equal(member_bytes(pub + 1, 40, jwk, "x"), 32);
		assert_int_equal(member_bytes(pub + 33, 40, jwk, "y"), 32);
		OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME,
						"P-256", 0);
		OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, pub,
						 sizeof(pub));
		ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	} else {
		assert_string_equal(kty, "RSA");
		bn = BN_bin2bn(n, (int)member_bytes(n, sizeof(n), jwk, "n"), NULL);
		be = BN_bin2bn(e, (int)member_bytes(e, sizeof(e), jwk, "e"), NULL);
		OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_N, bn);
		OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_E, be);
		ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	}
	params = OSSL_PARAM_BLD_to_param(b);
	assert_non_null(params);
	assert_non_null(ctx);
	assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
	assert_int_equal(EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY, params),
			 1);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(b);
	EVP_PKEY_CTX_free(ctx);
	BN_free(bn);
	BN_free(be);
	return k;
}

/* 1 when j's signature verifies with k (ES256: R || S made DER again). */
static int jws_verifies(const struct jws *j, EVP_PKEY *k)
{
	unsigned char *der = NULL;
	const unsigned char *sig = j->sig;
	size_t sig_len = j->sig_len;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	ECDSA_SIG *es = NULL;
	int ok, dlen;

	if (EVP_PKEY_is_a(k, "EC")) {
		if (j->sig_len != 64)
			return 0;
		es = ECDSA_SIG_new();
		ECDSA_SIG_set0(es, BN_bin2bn(j->sig, 32, NULL),
			       BN_bin2bn(j->sig + 32, 32, NULL));
		dlen = i2d_ECDSA_SIG(es, &der);
		assert_true(dlen > 0);
		sig = der;
		sig_len = (size_t)dlen;
	}
	ok = EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, k) == 1 &&
	     EVP_DigestVerify(md, sig, sig_len,
			      (const unsigned char *)j->signed_part,
			      j->signed_len) == 1;
	EVP_MD_CTX_free(md);
	ECDSA_SIG_free(es);
	OPENSSL_free(der);
	return ok;
}

/* The JWK of kid in the store's JWKS (a new reference), or NULL. */
static json_t *jwks_find(svc_store *st, const char *kid, size_t *nkeys)
{
	char *text = NULL;
	json_t *doc, *keys, *k, *found = NULL;
	size_t i;

	assert_int_equal(svc_oidc_jwks(&text, st), 0);
	doc = json_loads(text, 0, NULL);
	assert_non_null(doc);
	keys = json_object_get(doc, "keys");
	assert_true(json_is_array(keys));
	if (nkeys)
		*nkeys = json_array_size(keys);
	json_array_foreach(keys, i, k) {
		assert_string_equal(jstr(k, "use"), "sig");
		if (strcmp(jstr(k, "kid"), kid) == 0)
			found = json_incref(k);
	}
	json_decref(doc);
	free(text);
	return found;
}

static void opts_init(svc_oidc_token_options *o)
{
	memset(o, 0, sizeof(*o));
	o->version = SVC_OIDC_TOKEN_OPTIONS_VERSION;
	o->issuer = ISS;
	o->organization = "contoso";
	o->project = "Web Shop";
	o->connection = "azure-prod (WIF)";
	o->requester = "job:pipe/1/build";
	o->connection_id = "6f1c2a4e-0b7d-4c55-9a11-3e2f5d6c7b8a";
}

static char *issue(struct fx *f, const svc_oidc_token_options *o)
{
	char *tok = NULL;

	assert_int_equal(svc_oidc_issue(&tok, f->st, o), 0);
	assert_non_null(tok);
	return tok;
}

/* The RFC 7638 thumbprint of a published JWK, spelled out by hand. */
static void thumbprint_of(char out[64], json_t *jwk)
{
	const char *kty = jstr(jwk, "kty");
	unsigned char md[32];
	char canon[2048];
	unsigned int mdlen;
	BIO *b64, *mem;
	char *p;
	long n, i, w = 0;

	if (strcmp(kty, "EC") == 0)
		snprintf(canon, sizeof(canon),
			 "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}",
			 jstr(jwk, "x"),
			 jstr(jwk, "y"));
	else
		snprintf(canon, sizeof(canon),
			 "{\"e\":\"%s\",\"kty\":\"RSA\",\"n\":\"%s\"}",
			 jstr(jwk, "e"),
			 jstr(jwk, "n"));
	assert_int_equal(EVP_Digest(canon, strlen(canon), md, &mdlen,
				    EVP_sha256(), NULL), 1);
	b64 = BIO_new(BIO_f_base64());
	mem = BIO_new(BIO_s_mem());
	BIO_set_flags(b64, BIO_FLAGS_BASE64_NO_NL);
	BIO_push(b64, mem);
	BIO_write(b64, md, (int)mdlen);
	assert_int_equal(BIO_flush(b64), 1);
	n = BIO_get_mem_data(mem, &p);
	for (i = 0; i < n && p[i] != '='; i++)
		out[w++] = p[i] == '+' ? '-' : p[i] == '/' ? '_' : p[i];
	out[w] = '\0';
	BIO_free_all(b64);
}

/* A token of the given algorithm verifies with its published key. */
static void check_signed(struct fx *f, const char *alg)
{
	svc_oidc_token_options o;
	char *tok, *kid = NULL, tp[64];
	json_t *jwk;
	EVP_PKEY *k;
	struct jws j;

	assert_int_equal(svc_oidc_rotate(&kid, f->st, alg, "tester"), 0);
	opts_init(&o);
	tok = issue(f, &o);
	jws_split(&j, tok);
	assert_string_equal(jstr(j.header, "alg"), alg);
	assert_string_equal(jstr(j.header, "typ"), "JWT");
	assert_string_equal(jstr(j.header, "kid"), kid);
	jwk = jwks_find(f->st, kid, NULL);
	assert_non_null(jwk);
	assert_string_equal(jstr(jwk, "alg"), alg);
	thumbprint_of(tp, jwk);
	assert_string_equal(tp, kid);
	k = jwk_key(jwk);
	assert_true(jws_verifies(&j, k));
	/* a changed byte of the signed part, or of the signature, fails */
	((char *)j.signed_part)[j.signed_len - 3] ^= 1;
	assert_false(jws_verifies(&j, k));
	((char *)j.signed_part)[j.signed_len - 3] ^= 1;
	assert_true(jws_verifies(&j, k));
	j.sig[5] ^= 0x40;
	assert_false(jws_verifies(&j, k));
	EVP_PKEY_free(k);
	json_decref(jwk);
	jws_free(&j);
	free(tok);
	free(kid);
}

static void test_es256_verifies(void **state)
{
	check_signed(*state, "ES256");
}

static void test_rs256_verifies(void **state)
{
	check_signed(*state, "RS256");
}

/* RFC 7638 3.1: the example RSA key's thumbprint. */
static void test_kid_rfc7638_example(void **state)
{
	static const char n64[] =
		"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
	char kid[SVC_OIDC_KID_LEN + 1];
	json_t *jwk = json_pack("{s:s, s:s, s:s}", "kty", "RSA", "n", n64,
				"e", "AQAB");
	EVP_PKEY *k;

	(void)state;
	assert_non_null(jwk);
	k = jwk_key(jwk);
	assert_int_equal(oidc_kid(kid, k), 0);
	assert_string_equal(kid, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
	EVP_PKEY_free(k);
	json_decref(jwk);
}

static void test_claims(void **state)
{
	struct fx *f = *state;
	svc_oidc_token_options o;
	char *tok, *jti;
	struct jws j;

	opts_init(&o);
	tok = issue(f, &o);
	jws_split(&j, tok);
	assert_string_equal(jstr(j.claims, "iss"), ISS);
	assert_string_equal(jstr(j.claims, "sub"),
			    "sc://contoso/Web Shop/azure-prod (WIF)");
	assert_string_equal(jstr(j.claims, "aud"),
			    "api://AzureADTokenExchange");
	assert_int_equal(json_integer_value(json_object_get(j.claims, "iat")), T0);
	assert_int_equal(json_integer_value(json_object_get(j.claims, "nbf")), T0);
	assert_int_equal(json_integer_value(json_object_get(j.claims, "exp")),
			 T0 + 600);
	jti = strdup(jstr(j.claims, "jti"));
	assert_true(svc_is_uuid(jti));
	assert_int_equal(json_object_size(j.claims), 7);
	jws_free(&j);
	free(tok);

	/* each token its own jti; another audience and lifetime */
	o.audience = "sts.amazonaws.com";
	o.lifetime = 60;
	tok = issue(f, &o);
	jws_split(&j, tok);
	assert_string_not_equal(jstr(j.claims, "jti"), jti);
	free(jti);
	assert_string_equal(jstr(j.claims, "aud"), "sts.amazonaws.com");
	assert_int_equal(json_integer_value(json_object_get(j.claims, "exp")),
			 T0 + 60);
	jws_free(&j);
	free(tok);

	o.lifetime = SVC_OIDC_LIFETIME_MAX + 1;
	assert_int_equal(svc_oidc_issue(&tok, f->st, &o), SVC_EINVALID);
	assert_non_null(strstr(svc_error_last(), "lifetime"));
}

/* Each token is audited, naming the subject and jti, never the token. */
static void test_audited(void **state)
{
	struct fx *f = *state;
	svc_oidc_token_options o;
	svc_audit_list *l = NULL;
	const svc_audit_entry *e;
	char *tok;
	size_t i, issued = 0;

	opts_init(&o);
	tok = issue(f, &o);
	assert_int_equal(svc_store_audit(&l, f->st, 0), 0);
	for (i = 0; i < svc_audit_list_count(l); i++) {
		e = svc_audit_list_at(l, i);
		assert_null(strstr(e->detail, strrchr(tok, '.') + 1));
		if (strcmp(e->action, "oidc-issue") != 0)
			continue;
		issued++;
		assert_string_equal(e->actor, "job:pipe/1/build");
		assert_string_equal(e->conn_name, "azure-prod (WIF)");
		assert_string_equal(e->conn_id,
				    "6f1c2a4e-0b7d-4c55-9a11-3e2f5d6c7b8a");
		assert_non_null(strstr(e->detail, "sc://contoso/Web Shop/azure-prod (WIF)"));
		assert_non_null(strstr(e->detail, "\"jti\""));
	}
	assert_int_equal(issued, 1);
	svc_audit_list_free(l);
	free(tok);
}

/* What a token's names and issuer may not be. */
static void test_refused(void **state)
{
	static const struct {
		const char *field, *value, *message;
	} bad[] = {
		{ "org", "con/toso", "only letters" },
		{ "org", "-contoso", "start or end" },
		{ "org", "", "1 to 50" },
		{ "org", "con toso", "only letters" },
		{ "project", "Web/Shop", "holds '/'" },
		{ "project", "_Web", "must not start" },
		{ "project", "Web.", "end with" },
		{ "project", "Web\nShop", "control" },
		{ "conn", "prod/../x", "holds '/'" },
		{ "conn", " prod", "white space" },
		{ "conn", "pr\x01od", "control" },
		{ "conn", "\xff\xfe", "UTF-8" },
		{ "iss", "http://svcconn.example.com", "https://" },
		{ "iss", "https://svcconn.example.com/", "ends with '/'" },
		{ "iss", "https://svcconn.example.com/?x=1", "query" },
		{ "iss", "https://user@svcconn.example.com", "user info" },
		{ "iss", "ftp://svcconn.example.com", "not an https://" },
		{ "iss", "https:///x", "no host" },
		{ "aud", "", "audience" },
	};
	struct fx *f = *state;
	svc_oidc_token_options o;
	char *tok = NULL;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		opts_init(&o);
		if (strcmp(bad[i].field, "org") == 0)
			o.organization = bad[i].value;
		else if (strcmp(bad[i].field, "project") == 0)
			o.project = bad[i].value;
		else if (strcmp(bad[i].field, "conn") == 0)
			o.connection = bad[i].value;
		else if (strcmp(bad[i].field, "iss") == 0)
			o.issuer = bad[i].value;
		else
			o.audience = bad[i].value;
		assert_int_equal(svc_oidc_issue(&tok, f->st, &o), SVC_EINVALID);
		if (!strstr(svc_error_last(), bad[i].message))
			fail_msg("%s '%s': %s", bad[i].field, bad[i].value,
				 svc_error_last());
	}
	assert_null(tok);
	/* loopback http is accepted (tests, a local proxy) */
	opts_init(&o);
	o.issuer = "http://127.0.0.1:8443";
	tok = issue(f, &o);
	free(tok);
}

static void test_discovery(void **state)
{
	char *text = NULL;
	json_t *d, *a;

	(void)state;
	assert_int_equal(svc_oidc_discovery(&text, ISS), 0);
	d = json_loads(text, 0, NULL);
	assert_non_null(d);
	assert_string_equal(jstr(d, "issuer"), ISS);
	assert_string_equal(jstr(d, "jwks_uri"), ISS "/.well-known/jwks");
	a = json_object_get(d, "id_token_signing_alg_values_supported");
	assert_string_equal(json_string_value(json_array_get(a, 0)), "RS256");
	assert_string_equal(json_string_value(json_array_get(a, 1)), "ES256");
	assert_string_equal(json_string_value(json_array_get(
		json_object_get(d, "response_types_supported"), 0)), "id_token");
	assert_string_equal(json_string_value(json_array_get(
		json_object_get(d, "subject_types_supported"), 0)), "public");
	assert_int_equal(json_array_size(json_object_get(d, "claims_supported")), 7);
	json_decref(d);
	free(text);
	assert_int_equal(svc_oidc_discovery(&text, "https://x.example/#f"),
			 SVC_EINVALID);
}

static const svc_oidc_key *key_of(const svc_oidc_key *k, size_t n,
				  const char *kid)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(k[i].kid, kid) == 0)
			return &k[i];
	return NULL;
}

/*
 * A rotated key stays published until the last token it signed has
 * expired plus the leeway, then is dropped; one that signed nothing goes
 * at once.
 */
static void test_rotation(void **state)
{
	struct fx *f = *state;
	svc_oidc_token_options o;
	char *tok, *a = NULL, *b = NULL, *c = NULL;
	const svc_oidc_key *ka;
	svc_oidc_key *keys = NULL;
	size_t n, nkeys;
	json_t *jwk;
	struct jws j;

	opts_init(&o);
	/* the first token makes the first key */
	assert_int_equal(svc_oidc_keys(&keys, &n, f->st), 0);
	assert_int_equal(n, 0);
	svc_oidc_keys_free(keys);
	tok = issue(f, &o);
	jws_split(&j, tok);
	a = strdup(jstr(j.header, "kid"));
	jws_free(&j);
	free(tok);

	set_now(T0 + 10);
	assert_int_equal(svc_oidc_rotate(&b, f->st, NULL, "tester"), 0);
	assert_string_not_equal(a, b);
	jwk = jwks_find(f->st, a, &nkeys);
	assert_non_null(jwk);
	assert_int_equal(nkeys, 2);
	json_decref(jwk);
	assert_int_equal(svc_oidc_keys(&keys, &n, f->st), 0);
	assert_int_equal(n, 2);
	ka = key_of(keys, n, a);
	assert_non_null(ka);
	assert_int_equal(ka->retired, T0 + 10);
	assert_int_equal(ka->signed_until, T0 + 600);
	assert_int_equal(ka->drop_at, T0 + 600 + SVC_OIDC_LEEWAY);
	assert_int_equal(key_of(keys, n, b)->retired, 0);
	svc_oidc_keys_free(keys);

	/* new tokens are signed by b */
	tok = issue(f, &o);
	jws_split(&j, tok);
	assert_string_equal(jstr(j.header, "kid"), b);
	jws_free(&j);
	free(tok);

	/* a still published one second before its time, gone at it */
	set_now(T0 + 600 + SVC_OIDC_LEEWAY - 1);
	jwk = jwks_find(f->st, a, NULL);
	assert_non_null(jwk);
	json_decref(jwk);
	set_now(T0 + 600 + SVC_OIDC_LEEWAY);
	jwk = jwks_find(f->st, a, &nkeys);
	assert_null(jwk);
	assert_int_equal(nkeys, 1);
	/* and deleted by the next write */
	tok = issue(f, &o);
	free(tok);
	assert_int_equal(svc_oidc_keys(&keys, &n, f->st), 0);
	assert_int_equal(n, 1);
	assert_string_equal(keys[0].kid, b);
	svc_oidc_keys_free(keys);

	/* b signed tokens: kept; c, rotated out before signing, goes at once */
	assert_int_equal(svc_oidc_rotate(&c, f->st, "ES256", "tester"), 0);
	free(c);
	c = NULL;
	assert_int_equal(svc_oidc_rotate(&c, f->st, "RS256", "tester"), 0);
	assert_int_equal(svc_oidc_keys(&keys, &n, f->st), 0);
	assert_int_equal(n, 2);
	assert_non_null(key_of(keys, n, b));
	assert_non_null(key_of(keys, n, c));
	svc_oidc_keys_free(keys);
	assert_int_equal(svc_oidc_rotate(NULL, f->st, "PS256", "tester"),
			 SVC_EINVALID);
	free(a);
	free(b);
	free(c);
}

/* Append the whole content of path to b (nothing when absent). */
static void slurp(svc_buf *b, const char *dir, const char *name)
{
	char *p = tu_path(dir, name), *s;
	size_t len = 0;

	s = tu_read_file(p, &len);
	if (s)
		assert_int_equal(buf_put(b, s, len), 0);
	free(s);
	free(p);
}

/* 1 when the n bytes at needle occur in the store's files. */
static int in_files(const svc_buf *files, const void *needle, size_t n)
{
	return tu_memmem(files->ptr, files->len, needle, n);
}

/*
 * The private keys are nowhere in the store's files in plaintext: not
 * their DER, PEM or base64, not the private scalar or exponent; yet the
 * sealed rows open with the master key to exactly those keys.
 */
static void test_private_key_sealed(void **state)
{
	struct fx *f = *state;
	svc_buf files = SVC_BUF_INIT, der, pem = SVC_BUF_INIT;
	char *kid = NULL, *keyfile, *sql;
	const char *algs[] = { "ES256", "RS256" }, *param;
	unsigned char priv[512];
	sqlite3 *db;
	sqlite3_stmt *q;
	crypto_key mk;
	EVP_PKEY *k;
	BIGNUM *bn;
	BIO *bio;
	char *pp;
	long pl;
	int i, n, found;

	keyfile = tu_path(f->dir, "master.key");
	assert_int_equal(crypto_key_load(&mk, keyfile), 0);
	for (i = 0; i < 2; i++) {
		assert_int_equal(svc_oidc_rotate(&kid, f->st, algs[i], "tester"), 0);
		svc_store_free(f->st);
		f->st = NULL;
		buf_init(&files, SVC_BUF_DEFAULT_MAX, 0);
		slurp(&files, f->dir, "store.db");
		slurp(&files, f->dir, "store.db-wal");
		assert_true(files.len > 0);

		/* the sealed row, opened as the library seals it */
		sql = tu_path(f->dir, "store.db");
		assert_int_equal(sqlite3_open(sql, &db), SQLITE_OK);
		assert_int_equal(sqlite3_prepare_v2(db,
			"SELECT sealed_key FROM oidc_keys WHERE kid = ?1", -1, &q,
			NULL), SQLITE_OK);
		sqlite3_bind_text(q, 1, kid, -1, SQLITE_STATIC);
		assert_int_equal(sqlite3_step(q), SQLITE_ROW);
		buf_init(&der, SVC_BUF_DEFAULT_MAX, 1);
		assert_int_equal(crypto_open(&der, &mk, "oidc-signing-key", kid,
					     sqlite3_column_blob(q, 0),
					     (size_t)sqlite3_column_bytes(q, 0)), 0);
		sqlite3_finalize(q);
		sqlite3_close(db);
		free(sql);
		assert_int_equal(oidc_key_load(&k, algs[i], der.ptr, der.len), 0);
		/* the search finds what is there: the key id, in the clear */
		assert_true(in_files(&files, kid, strlen(kid)));

		assert_false(in_files(&files, der.ptr, der.len));
		assert_false(in_files(&files, der.ptr + der.len / 2, 32));
		param = i == 0 ? OSSL_PKEY_PARAM_PRIV_KEY : OSSL_PKEY_PARAM_RSA_D;
		bn = NULL;
		assert_int_equal(EVP_PKEY_get_bn_param(k, param, &bn), 1);
		n = BN_bn2bin(bn, priv);
		BN_clear_free(bn);
		assert_false(in_files(&files, priv, (size_t)n));
		assert_false(in_files(&files, priv, 16));
		bio = BIO_new(BIO_s_mem());
		assert_int_equal(PEM_write_bio_PrivateKey(bio, k, NULL, NULL, 0,
							  NULL, NULL), 1);
		pl = BIO_get_mem_data(bio, &pp);
		assert_int_equal(buf_put(&pem, pp, (size_t)pl), 0);
		/* a line of the PEM's base64 (the second holds key bytes) */
		pp = strchr(pem.ptr, '\n') + 1;
		assert_false(in_files(&files, pp, 40));
		found = in_files(&files, "PRIVATE KEY", 11);
		assert_false(found);
		BIO_free(bio);
		buf_clear(&pem);
		EVP_PKEY_free(k);
		buf_clear(&der);
		buf_clear(&files);
		free(kid);
		kid = NULL;
		assert_int_equal(svc_store_open(&f->st, &f->opts), 0);
	}
	crypto_key_wipe(&mk);
	free(keyfile);
}

/* A rekey reseals the signing keys: they sign and publish as before. */
static void test_rekey(void **state)
{
	struct fx *f = *state;
	svc_oidc_token_options o;
	char *kid = NULL, *tok;
	json_t *jwk;
	EVP_PKEY *k;
	struct jws j;

	assert_int_equal(svc_oidc_rotate(&kid, f->st, "ES256", "tester"), 0);
	assert_int_equal(svc_store_rekey(f->st, "tester"), 0);
	svc_store_free(f->st);
	assert_int_equal(svc_store_open(&f->st, &f->opts), 0);
	opts_init(&o);
	tok = issue(f, &o);
	jws_split(&j, tok);
	assert_string_equal(jstr(j.header, "kid"), kid);
	jwk = jwks_find(f->st, kid, NULL);
	assert_non_null(jwk);
	k = jwk_key(jwk);
	assert_true(jws_verifies(&j, k));
	EVP_PKEY_free(k);
	json_decref(jwk);
	jws_free(&j);
	free(tok);
	free(kid);
}

/* Run one SQL statement on the store's database behind its back. */
static void db_exec(struct fx *f, const char *sql)
{
	char *path = tu_path(f->dir, "store.db");
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	free(path);
}

/*
 * Written behind the store's back: a sealed key moved to another row, or
 * a key sealed without the master key, is refused, never published.
 */
static void test_tampered(void **state)
{
	struct fx *f = *state;
	svc_oidc_token_options o;
	char *a = NULL, *b = NULL, *tok = NULL, *text = NULL, sql[512];

	opts_init(&o);
	assert_int_equal(svc_oidc_rotate(&a, f->st, "ES256", "tester"), 0);
	free(issue(f, &o)); /* a signed: it stays published */
	assert_int_equal(svc_oidc_rotate(&b, f->st, "ES256", "tester"), 0);
	snprintf(sql, sizeof(sql),
		 "UPDATE oidc_keys SET sealed_key = (SELECT sealed_key FROM "
		 "oidc_keys WHERE kid = '%s') WHERE kid = '%s'", a, b);
	db_exec(f, sql);
	assert_int_equal(svc_oidc_jwks(&text, f->st), SVC_ECRYPTO);
	assert_non_null(strstr(svc_error_last(), b));
	assert_int_equal(svc_oidc_issue(&tok, f->st, &o), SVC_ECRYPTO);
	/* a row of the attacker's own, with no valid seal */
	snprintf(sql, sizeof(sql),
		 "DELETE FROM oidc_keys WHERE kid = '%s';"
		 "INSERT INTO oidc_keys (kid, alg, sealed_key, key_id, "
		 "created_at) VALUES ('%s', 'ES256', x'02deadbeef', 'x', 1)", b, b);
	db_exec(f, sql);
	assert_int_equal(svc_oidc_jwks(&text, f->st), SVC_ECRYPTO);
	assert_null(text);
	assert_null(tok);
	free(a);
	free(b);
}

/*
 * Tokens signed by two processes while a third rotates the keys: each
 * token's key is still published afterwards and its signature verifies
 * (signing and rotating serialize on the store's write lock, and the
 * rotation sees the last expiry each key signed).
 */
static void test_concurrent_rotation(void **state)
{
	enum { WRITERS = 2, TOKENS = 25, ROTATIONS = 6 };
	struct fx *f = *state;
	svc_oidc_token_options o;
	char *path[WRITERS], *text, *line, *save, *kid;
	svc_store *st;
	FILE *out;
	pid_t pid[WRITERS];
	char kids[WRITERS * TOKENS][SVC_OIDC_KID_LEN + 1];
	int i, n, status, seen = 0, distinct = 0;
	json_t *jwk;
	EVP_PKEY *k;
	struct jws j;

	assert_int_equal(svc_oidc_rotate(NULL, f->st, "ES256", "tester"), 0);
	for (i = 0; i < WRITERS; i++) {
		path[i] = tu_path(f->dir, i ? "tokens1" : "tokens0");
		pid[i] = fork();
		assert_true(pid[i] >= 0);
		if (pid[i] == 0) {
			out = fopen(path[i], "w");
			if (!out || svc_store_open(&st, &f->opts) != 0)
				_exit(2);
			opts_init(&o);
			for (n = 0; n < TOKENS; n++) {
				if (svc_oidc_issue(&text, st, &o) != 0)
					_exit(3);
				fprintf(out, "%s\n", text);
				free(text);
				usleep(5000);
			}
			svc_store_free(st);
			_exit(fclose(out) ? 4 : 0);
		}
	}
	for (n = 0; n < ROTATIONS; n++) {
		assert_int_equal(svc_oidc_rotate(NULL, f->st,
						 n == ROTATIONS - 1 ? "RS256"
								    : "ES256",
						 "tester"), 0);
		usleep(20000);
	}
	for (i = 0; i < WRITERS; i++) {
		assert_int_equal(waitpid(pid[i], &status, 0), pid[i]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
		text = tu_read_file(path[i], NULL);
		assert_non_null(text);
		for (line = strtok_r(text, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			jws_split(&j, line);
			kid = (char *)jstr(j.header, "kid");
			jwk = jwks_find(f->st, kid, NULL);
			if (!jwk)
				fail_msg("token %d's key %s is not published",
					 seen, kid);
			k = jwk_key(jwk);
			assert_true(jws_verifies(&j, k));
			for (n = 0; n < distinct && strcmp(kids[n], kid); n++)
				;
			if (n == distinct)
				snprintf(kids[distinct++], sizeof(kids[0]),
					 "%s", kid);
			EVP_PKEY_free(k);
			json_decref(jwk);
			jws_free(&j);
			seen++;
		}
		free(text);
		free(path[i]);
	}
	assert_int_equal(seen, WRITERS * TOKENS);
	print_message("%d tokens signed by %d keys while they rotated\n",
		      seen, distinct);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_es256_verifies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rs256_verifies, setup, teardown),
		cmocka_unit_test(test_kid_rfc7638_example),
		cmocka_unit_test_setup_teardown(test_claims, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audited, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
		cmocka_unit_test(test_discovery),
		cmocka_unit_test_setup_teardown(test_rotation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_private_key_sealed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_rekey, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tampered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_rotation, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
