/*
 * verify_webhook.c - the verifier of Incoming Webhook connections
 * (incomingwebhook).
 *
 * An incoming webhook is called by the other side; nothing svcconn can
 * call checks it.  What can be checked is local: the connection's secret
 * signs a fixed test payload the way the sender does (HMAC over the body,
 * "sha1=<hex>" in X-Hub-Signature, "sha256=<hex>" in a header whose name
 * ends in "-256", as GitHub's X-Hub-Signature-256), and the signature is
 * then checked the way the receiving side does: recomputed and compared in
 * constant time.  The outcome is SVC_VERIFY_LOCAL.
 */
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "svcconn/secret.h"
#include "verify/verify_int.h"
#include "errors_int.h"
#include "util/buf.h"
#include "util/hex.h"

/* The payload signed and checked. */
static const char test_payload[] = "{\"svcconn\":\"verify\",\"event\":\"ping\"}";

/* 1 when header name h asks for SHA-256 ("X-Hub-Signature-256"). */
static int wants_sha256(const char *h)
{
	size_t n = h ? strlen(h) : 0;

	return n >= 4 && !strcasecmp(h + n - 4, "-256");
}

int webhook_signature(svc_buf *out, const char *header, const char *secret,
		      size_t slen, const void *body, size_t blen)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mlen = 0;
	int sha256 = wants_sha256(header), rc;

	if (!HMAC(sha256 ? EVP_sha256() : EVP_sha1(), secret, (int)slen, body,
		  blen, mac, &mlen))
		return error_set(SVC_ERROR, "cannot compute the HMAC");
	if (!(rc = buf_puts(out, sha256 ? "sha256=" : "sha1=")))
		rc = hex_encode(out, mac, mlen);
	OPENSSL_cleanse(mac, sizeof(mac));
	return rc;
}

int webhook_check(const char *header, const char *secret, size_t slen,
		  const void *body, size_t blen, const char *sig)
{
	svc_buf want = SVC_BUF_INIT;
	int rc, ok;

	if ((rc = webhook_signature(&want, header, secret, slen, body, blen)))
		return rc;
	ok = svc_secret_equal(want.ptr, want.len, sig, strlen(sig));
	buf_clear(&want);
	return ok ? 0 : SVC_EDENIED;
}

int verify_webhook(svc_verify_result *out, const svc_conn *c,
		   const svc_verify_options *o)
{
	const char *header = "X-Hub-Signature";
	svc_buf sig = SVC_BUF_INIT;
	svc_conn_field f, s;
	int rc;

	(void)o;
	if (svc_conn_field_get(c, "header", &f) == 0 && f.value && f.len)
		header = f.value;
	if (svc_conn_field_get(c, "secret", &s) != 0 || !s.value || !s.len)
		return verify_set(out, SVC_VERIFY_LOCAL, NULL,
				  "no secret: payloads are not signed; no call can check an incoming webhook");
	buf_init(&sig, 256, 1);
	if ((rc = webhook_signature(&sig, header, s.value, s.len, test_payload,
				    strlen(test_payload))))
		goto done;
	rc = webhook_check(header, s.value, s.len, test_payload,
			   strlen(test_payload), sig.ptr);
	if (rc == SVC_EDENIED)
		rc = verify_set(out, SVC_VERIFY_INVALID, NULL,
				"the signature in '%s' did not check", header);
	else if (!rc)
		rc = verify_set(out, SVC_VERIFY_LOCAL, NULL,
				"signature computed and checked locally; no call can check an incoming webhook");
done:
	buf_clear(&sig);
	return rc;
}
