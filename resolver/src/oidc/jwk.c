/*
 * jwk.c - the OIDC issuer's key material: keys, JWKs, thumbprints, JWS.
 *
 * Two algorithms (RFC 7518): RS256, RSASSA-PKCS1-v1_5 with SHA-256 over a
 * 2048-bit RSA key, which is what Microsoft Entra ID accepts on federated
 * tokens; and ES256, ECDSA over P-256 with SHA-256.  Keys are made and
 * used with OpenSSL 3's EVP calls only.  A private key leaves this file as
 * DER in a secret buffer (the store seals it) and comes back through
 * oidc_key_load(), which refuses a key of another kind or size than its
 * algorithm says.
 *
 * The key id is the key's JWK thumbprint (RFC 7638): SHA-256 over the
 * required public members in lexicographic order without white space
 * ({"crv","kty","x","y"} or {"e","kty","n"}), which jansson's compact,
 * sorted output is, in base64url without padding.  Base64url is OpenSSL's
 * encoder with the URL alphabet (vc_base64); tokens are signed by
 * vc_jws(), which the Azure client assertion uses too (an ECDSA signature
 * comes from OpenSSL as DER and goes into the JWS as R || S, RFC 7518 3.4).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "svcconn/errors.h"
#include "errors_int.h"
#include "oidc/oidc_int.h"
#include "verify/verify_int.h"

/* RSA keys made for RS256, and the smallest one accepted back. */
#define OIDC_RSA_BITS 2048
/* Bytes in one P-256 coordinate. */
#define OIDC_P256_LEN 32
/* Largest DER of a private key held (an RSA key is about 1.2 KiB). */
#define OIDC_DER_MAX ((size_t)64 * 1024)

int oidc_alg_known(const char *alg)
{
	return alg && (strcmp(alg, "RS256") == 0 || strcmp(alg, "ES256") == 0);
}

static int is_ec(const char *alg)
{
	return strcmp(alg, "ES256") == 0;
}

int oidc_key_generate(EVP_PKEY **out, const char *alg)
{
	EVP_PKEY *k;

	if (!oidc_alg_known(alg))
		return error_set(SVC_EINVALID,
				 "unknown signing algorithm '%s' (RS256 or ES256)",
				 alg ? alg : "");
	k = is_ec(alg) ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")
		       : EVP_PKEY_Q_keygen(NULL, NULL, "RSA",
					   (size_t)OIDC_RSA_BITS);
	if (!k)
		return error_set(SVC_ERROR, "cannot make an %s signing key",
				 alg);
	*out = k;
	return 0;
}

int oidc_key_der(svc_buf *der, EVP_PKEY *k)
{
	unsigned char *p;
	int n = i2d_PrivateKey(k, NULL), rc;

	if (n <= 0)
		return error_set(SVC_ERROR, "cannot encode the signing key");
	if ((rc = buf_grow(der, (size_t)n + 1)) != 0)
		return rc;
	p = (unsigned char *)der->ptr + der->len;
	if (i2d_PrivateKey(k, &p) != n)
		return error_set(SVC_ERROR, "cannot encode the signing key");
	der->len += (size_t)n;
	der->ptr[der->len] = '\0';
	return 0;
}

int oidc_key_load(EVP_PKEY **out, const char *alg, const void *der,
		  size_t len)
{
	const unsigned char *p = der;
	char group[32];
	EVP_PKEY *k = NULL;
	int ok;

	if (len > OIDC_DER_MAX || !oidc_alg_known(alg) ||
	    !(k = d2i_AutoPrivateKey(NULL, &p, (long)len)) ||
	    p != (const unsigned char *)der + len)
		goto bad;
	if (is_ec(alg))
		ok = EVP_PKEY_is_a(k, "EC") &&
		     EVP_PKEY_get_group_name(k, group, sizeof(group), NULL) &&
		     strcmp(group, "prime256v1") == 0;
	else
		ok = EVP_PKEY_is_a(k, "RSA") &&
		     EVP_PKEY_get_bits(k) >= OIDC_RSA_BITS;
	if (!ok)
		goto bad;
	*out = k;
	return 0;
bad:
	EVP_PKEY_free(k);
	return error_set(SVC_ECRYPTO,
			 "the stored OIDC signing key is not an '%s' key",
			 alg ? alg : "");
}

/* Set o[name] to base64url of the big-endian bytes of parameter param. */
static int put_bn(json_t *o, const char *name, EVP_PKEY *k, const char *param,
		  int pad)
{
	unsigned char bytes[1024];
	svc_buf b64 = SVC_BUF_INIT;
	BIGNUM *bn = NULL;
	int n, rc;

	if (!EVP_PKEY_get_bn_param(k, param, &bn) ||
	    (n = pad ? BN_bn2binpad(bn, bytes, pad)
		     : (BN_num_bytes(bn) <= (int)sizeof(bytes)
				? BN_bn2bin(bn, bytes) : -1)) < 0) {
		BN_free(bn);
		return error_set(SVC_ERROR,
				 "cannot read the public key's '%s'", name);
	}
	BN_free(bn);
	if ((rc = vc_base64(&b64, bytes, (size_t)n, 1)) == 0 &&
	    json_object_set_new(o, name, json_string(b64.ptr)) != 0)
		rc = error_oom();
	buf_clear(&b64);
	return rc;
}

/* The required public members of k's JWK (RFC 7638 3.2) into o. */
static int put_public(json_t *o, EVP_PKEY *k)
{
	int rc;

	if (EVP_PKEY_is_a(k, "EC")) {
		if (json_object_set_new(o, "kty", json_string("EC")) ||
		    json_object_set_new(o, "crv", json_string("P-256")))
			return error_oom();
		if ((rc = put_bn(o, "x", k, OSSL_PKEY_PARAM_EC_PUB_X,
				 OIDC_P256_LEN)) != 0)
			return rc;
		return put_bn(o, "y", k, OSSL_PKEY_PARAM_EC_PUB_Y,
			      OIDC_P256_LEN);
	}
	if (json_object_set_new(o, "kty", json_string("RSA")))
		return error_oom();
	if ((rc = put_bn(o, "n", k, OSSL_PKEY_PARAM_RSA_N, 0)) != 0)
		return rc;
	return put_bn(o, "e", k, OSSL_PKEY_PARAM_RSA_E, 0);
}

int oidc_kid(char kid[SVC_OIDC_KID_LEN + 1], EVP_PKEY *k)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	svc_buf b64 = SVC_BUF_INIT;
	json_t *o = json_object();
	char *canon = NULL;
	int rc;

	if (!o)
		return error_oom();
	if ((rc = put_public(o, k)) != 0)
		goto done;
	if (!(canon = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS))) {
		rc = error_oom();
		goto done;
	}
	if (EVP_Digest(canon, strlen(canon), md, &mdlen, EVP_sha256(),
		       NULL) != 1) {
		rc = error_set(SVC_ERROR, "cannot hash the public key");
		goto done;
	}
	if ((rc = vc_base64(&b64, md, mdlen, 1)) != 0)
		goto done;
	if (b64.len != SVC_OIDC_KID_LEN) {
		rc = error_set(SVC_ERROR, "the key's thumbprint has %zu characters",
			       b64.len);
		goto done;
	}
	memcpy(kid, b64.ptr, SVC_OIDC_KID_LEN + 1);
done:
	json_decref(o);
	free(canon);
	buf_clear(&b64);
	return rc;
}

int oidc_jwk(json_t **out, EVP_PKEY *k, const char *alg)
{
	char kid[SVC_OIDC_KID_LEN + 1];
	json_t *o = json_object();
	int rc;

	if (!o)
		return error_oom();
	if ((rc = put_public(o, k)) != 0 || (rc = oidc_kid(kid, k)) != 0)
		goto fail;
	if (json_object_set_new(o, "kid", json_string(kid)) ||
	    json_object_set_new(o, "use", json_string("sig")) ||
	    json_object_set_new(o, "alg", json_string(alg))) {
		rc = error_oom();
		goto fail;
	}
	*out = o;
	return 0;
fail:
	json_decref(o);
	return rc;
}

int oidc_jws(svc_buf *out, EVP_PKEY *k, const char *alg, const char *kid,
	     json_t *claims)
{
	json_t *h = json_pack("{s:s, s:s, s:s}", "alg", alg, "kid", kid,
			      "typ", "JWT");
	int rc = h ? vc_jws(out, k, h, claims) : error_oom();

	json_decref(h);
	return rc;
}
