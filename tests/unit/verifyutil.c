/*
 * verifyutil.c - helpers of the verifier tests (see verifyutil.h).
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include <svcconn/svcconn.h>

#include "verify/verify_int.h"
#include "verifyutil.h"

void vu_unb64url(svc_buf *out, const char *p, size_t n)
{
	svc_buf t = SVC_BUF_INIT;
	size_t i;

	assert_int_equal(buf_put(&t, p, n), 0);
	for (i = 0; i < t.len; i++)
		t.ptr[i] = t.ptr[i] == '-' ? '+' : t.ptr[i] == '_' ? '/' : t.ptr[i];
	while (t.len % 4)
		assert_int_equal(buf_putc(&t, '='), 0);
	assert_int_equal(vc_unbase64(out, t.ptr, t.len), 0);
	buf_clear(&t);
}

void vu_check_jwt(const char *jwt, EVP_PKEY *pub, const char *thumb_hex,
		  const char *client, const char *aud)
{
	const char *d1 = strchr(jwt, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
	svc_buf hdr = SVC_BUF_INIT, pay = SVC_BUF_INIT, sig = SVC_BUF_INIT,
		x5t = SVC_BUF_INIT;
	const char *x;
	char hex[41];
	EVP_MD_CTX *md;
	size_t i;

	assert_non_null(d2);
	vu_unb64url(&hdr, jwt, (size_t)(d1 - jwt));
	vu_unb64url(&pay, d1 + 1, (size_t)(d2 - d1 - 1));
	vu_unb64url(&sig, d2 + 1, strlen(d2 + 1));
	assert_non_null(strstr(hdr.ptr, "\"alg\":\"RS256\""));
	assert_non_null(strstr(pay.ptr, client));
	assert_non_null(strstr(pay.ptr, aud));
	assert_non_null(strstr(pay.ptr, "\"exp\":"));
	/* x5t is the base64url SHA-1 thumbprint */
	x = strstr(hdr.ptr, "\"x5t\":\"");
	assert_non_null(x);
	x += 7;
	vu_unb64url(&x5t, x, strcspn(x, "\""));
	assert_int_equal(x5t.len, 20);
	for (i = 0; i < 20; i++)
		snprintf(hex + 2 * i, 3, "%02X", (unsigned char)x5t.ptr[i]);
	assert_string_equal(hex, thumb_hex);
	md = EVP_MD_CTX_new();
	assert_int_equal(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pub), 1);
	assert_int_equal(EVP_DigestVerify(md, (unsigned char *)sig.ptr, sig.len,
					  (const unsigned char *)jwt,
					  (size_t)(d2 - jwt)), 1);
	EVP_MD_CTX_free(md);
	buf_clear(&hdr);
	buf_clear(&pay);
	buf_clear(&sig);
	buf_clear(&x5t);
}

svc_conn *vu_conn(const char *type, const char *scheme, const char *url,
		  const char *const *fields)
{
	svc_conn *c = NULL;

	assert_int_equal(svc_conn_new(&c, type, "conn"), 0);
	if (scheme)
		assert_int_equal(svc_conn_set_scheme(c, scheme), 0);
	if (url)
		assert_int_equal(svc_conn_set_url(c, url), 0);
	for (; fields && *fields; fields++) {
		const char *eq = strchr(*fields, '=');

		assert_non_null(eq);
		{
			char *k = strndup(*fields, (size_t)(eq - *fields));

			assert_int_equal(svc_conn_set_field(c, k, eq + 1,
							    strlen(eq + 1)), 0);
			free(k);
		}
	}
	return c;
}
