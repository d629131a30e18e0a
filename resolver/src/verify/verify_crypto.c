/*
 * verify_crypto.c - the small pieces of cryptography several verifiers
 * share, on OpenSSL's libcrypto: base64 (standard and URL-safe, for Chef
 * headers, SAS tokens and JWTs), reading a PEM private key (optionally
 * encrypted) and signing with it (RSA PKCS#1 v1.5 over SHA-256: Chef's
 * protocol 1.3 and the RS256 of a client assertion), a compact JWS (RS256,
 * or ES256 with the signature as R || S: the client assertion, the OIDC
 * issuer's tokens), and the SHA-1 thumbprint of a certificate,
 * percent-encoding.  Key material is held only in OpenSSL
 * objects and buffers that are wiped.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <jansson.h>

#include "verify/verify_int.h"
#include "errors_int.h"
#include "util/buf.h"
#include "util/hex.h"

int vc_base64(svc_buf *out, const void *p, size_t n, int url)
{
	size_t need, i, start = out->len;
	int rc, len;

	if (n > (size_t)1 << 28)
		return error_set(SVC_EINVALID, "data too long for base64");
	need = 4 * ((n + 2) / 3) + 1;
	if ((rc = buf_grow(out, need)))
		return rc;
	len = EVP_EncodeBlock((unsigned char *)out->ptr + out->len, p, (int)n);
	out->len += (size_t)len;
	out->ptr[out->len] = '\0';
	if (!url)
		return 0;
	for (i = start; i < out->len; i++)
		if (out->ptr[i] == '+')
			out->ptr[i] = '-';
		else if (out->ptr[i] == '/')
			out->ptr[i] = '_';
	while (out->len > start && out->ptr[out->len - 1] == '=')
		out->ptr[--out->len] = '\0';
	return 0;
}

int vc_unbase64(svc_buf *out, const char *s, size_t n)
{
	EVP_ENCODE_CTX *ctx;
	int rc, l1 = 0, l2 = 0;

	if (n > (size_t)1 << 28)
		return error_set(SVC_EINVALID, "base64 text too long");
	if ((rc = buf_grow(out, n / 4 * 3 + 4)))
		return rc;
	if (!(ctx = EVP_ENCODE_CTX_new()))
		return error_oom();
	EVP_DecodeInit(ctx);
	if (EVP_DecodeUpdate(ctx, (unsigned char *)out->ptr + out->len, &l1,
			     (const unsigned char *)s, (int)n) < 0 ||
	    EVP_DecodeFinal(ctx, (unsigned char *)out->ptr + out->len + l1,
			    &l2) < 0) {
		EVP_ENCODE_CTX_free(ctx);
		return error_set(SVC_EINVALID, "not valid base64");
	}
	EVP_ENCODE_CTX_free(ctx);
	out->len += (size_t)(l1 + l2);
	out->ptr[out->len] = '\0';
	return 0;
}

/* Gives OpenSSL the passphrase of an encrypted PEM key (u: NUL-terminated). */
static int pem_pass(char *buf, int size, int rwflag, void *u)
{
	size_t n = u ? strlen(u) : 0;

	(void)rwflag;
	if (!u || n >= (size_t)size)
		return 0;
	memcpy(buf, u, n);
	return (int)n;
}

int vc_load_key(EVP_PKEY **out, const char *pem, size_t len, const char *pass)
{
	EVP_PKEY *k;
	BIO *b;

	if (len > (size_t)1 << 24 || !(b = BIO_new_mem_buf(pem, (int)len)))
		return error_set(SVC_EINVALID, "cannot read the private key");
	k = PEM_read_bio_PrivateKey(b, NULL, pem_pass, (void *)pass);
	BIO_free(b);
	if (!k)
		return error_set(SVC_EINVALID,
				 "no PEM private key (or a wrong passphrase)");
	*out = k;
	return 0;
}

int vc_load_cert(X509 **out, const char *pem, size_t len)
{
	X509 *x;
	BIO *b;

	if (len > (size_t)1 << 24 || !(b = BIO_new_mem_buf(pem, (int)len)))
		return error_set(SVC_EINVALID, "cannot read the certificate");
	x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	if (!x)
		return error_set(SVC_EINVALID, "no PEM certificate");
	*out = x;
	return 0;
}

int vc_sign_sha256(svc_buf *sig, EVP_PKEY *key, const void *data, size_t n)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	size_t slen = 0;
	int rc;

	if (!md)
		return error_oom();
	if (EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(md, NULL, &slen, data, n) != 1) {
		rc = error_set(SVC_EINVALID, "cannot sign with the private key");
		goto done;
	}
	if ((rc = buf_grow(sig, slen + 1)))
		goto done;
	if (EVP_DigestSign(md, (unsigned char *)sig->ptr + sig->len, &slen, data,
			   n) != 1) {
		rc = error_set(SVC_EINVALID, "cannot sign with the private key");
		goto done;
	}
	sig->len += slen;
	sig->ptr[sig->len] = '\0';
done:
	EVP_MD_CTX_free(md);
	return rc;
}

/* Replace the DER ECDSA signature in sig by R || S, n bytes each. */
static int ecdsa_raw(svc_buf *sig, int n)
{
	const unsigned char *p = (const unsigned char *)sig->ptr;
	unsigned char raw[2 * 66];
	const BIGNUM *r = NULL, *s = NULL;
	ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)sig->len);
	int rc = 0;

	if (!es)
		return error_set(SVC_ERROR, "cannot read the ECDSA signature");
	ECDSA_SIG_get0(es, &r, &s);
	if (n > 66 || BN_bn2binpad(r, raw, n) != n ||
	    BN_bn2binpad(s, raw + n, n) != n)
		rc = error_set(SVC_ERROR, "the ECDSA signature is too long");
	ECDSA_SIG_free(es);
	if (rc)
		return rc;
	buf_reset(sig);
	return buf_put(sig, raw, 2 * (size_t)n);
}

int vc_jws(svc_buf *out, EVP_PKEY *key, json_t *header, json_t *claims)
{
	svc_buf sig = SVC_BUF_INIT;
	char *hdr = json_dumps(header, JSON_COMPACT);
	char *pay = json_dumps(claims, JSON_COMPACT);
	size_t start = out->len;
	int rc;

	if (!hdr || !pay) {
		rc = error_oom();
		goto done;
	}
	if ((rc = vc_base64(out, hdr, strlen(hdr), 1)) ||
	    (rc = buf_putc(out, '.')) ||
	    (rc = vc_base64(out, pay, strlen(pay), 1)) ||
	    (rc = vc_sign_sha256(&sig, key, out->ptr + start, out->len - start)) ||
	    (EVP_PKEY_is_a(key, "EC") &&
	     (rc = ecdsa_raw(&sig, (EVP_PKEY_get_bits(key) + 7) / 8))) ||
	    (rc = buf_putc(out, '.')))
		goto done;
	rc = vc_base64(out, sig.ptr, sig.len, 1);
done:
	free(hdr);
	free(pay);
	buf_clear(&sig);
	return rc;
}

int vc_thumbprint(char out[41], X509 *x)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	size_t i;

	if (!X509_digest(x, EVP_sha1(), md, &n) || n != 20)
		return error_set(SVC_ERROR, "cannot hash the certificate");
	hex_write(out, md, n);
	for (i = 0; i < 40; i++)
		if (out[i] >= 'a' && out[i] <= 'f')
			out[i] = (char)(out[i] - 'a' + 'A');
	out[40] = '\0';
	return 0;
}

int vc_urlencode(svc_buf *out, const char *s, size_t n)
{
	static const char hexd[] = "0123456789ABCDEF";
	size_t i;
	int rc = 0;

	for (i = 0; !rc && i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= '0' && ch <= '9') || (ch && strchr("-._~", ch)))
			rc = buf_putc(out, (char)ch);
		else if (!(rc = buf_putc(out, '%')) &&
			 !(rc = buf_putc(out, hexd[ch >> 4])))
			rc = buf_putc(out, hexd[ch & 15]);
	}
	return rc;
}
