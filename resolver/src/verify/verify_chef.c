/*
 * verify_chef.c - the verifier of Chef connections (Chef).
 *
 * A Chef server authenticates every request by headers signed with the
 * client's RSA key (Chef's header-signing protocol, version 1.3): the
 * canonical request
 *
 *   Method:GET
 *   Path:/organizations/org/clients/node
 *   X-Ops-Content-Hash:<base64 SHA-256 of the body>
 *   X-Ops-Sign:version=1.3
 *   X-Ops-Timestamp:2024-01-01T00:00:00Z
 *   X-Ops-UserId:node
 *   X-Ops-Server-API-Version:1
 *
 * is signed (RSA PKCS#1 v1.5 over SHA-256), and the base64 signature is
 * sent in X-Ops-Authorization-1..N lines of at most 60 characters, next
 * to X-Ops-Sign "algorithm=sha256;version=1.3", X-Ops-Userid,
 * X-Ops-Timestamp, X-Ops-Content-Hash and X-Ops-Server-API-Version.
 *
 * The verifier reads the client itself: GET {url}/clients/{node} when the
 * URL names an organization (".../organizations/ORG"), else
 * GET {url}/users/{node}.  A 2xx with a JSON object passes; 401/403 is
 * AUTH.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "svcconn/secret.h"
#include "verify/verify_int.h"
#include "errors_int.h"
#include "util/buf.h"

#define CHEF_API_VERSION "1"
#define CHEF_LINE 60    /* characters per X-Ops-Authorization-N line */

/* Append path as Chef canonicalises it: "//" squeezed, no trailing '/'. */
static int put_path(svc_buf *out, const char *path)
{
	size_t start = out->len;
	const char *p;
	int rc = 0;

	for (p = path; !rc && *p && *p != '?'; p++)
		if (!(*p == '/' && out->len > start && out->ptr[out->len - 1] == '/'))
			rc = buf_putc(out, *p);
	while (!rc && out->len > start + 1 && out->ptr[out->len - 1] == '/')
		out->ptr[--out->len] = '\0';
	return rc;
}

/* Append base64(SHA-256(body)). */
static int put_hash(svc_buf *out, const char *body, size_t blen)
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	SHA256((const unsigned char *)(body ? body : ""), body ? blen : 0, md);
	return vc_base64(out, md, sizeof(md), 0);
}

int chef_canonical(svc_buf *out, const char *method, const char *path,
		   const char *body, size_t blen, const char *user,
		   const char *timestamp)
{
	int rc;

	if ((rc = buf_printf(out, "Method:%s\nPath:", method)) ||
	    (rc = put_path(out, path)) ||
	    (rc = buf_puts(out, "\nX-Ops-Content-Hash:")) ||
	    (rc = put_hash(out, body, blen)))
		return rc;
	return buf_printf(out, "\nX-Ops-Sign:version=1.3\nX-Ops-Timestamp:%s\n"
			  "X-Ops-UserId:%s\nX-Ops-Server-API-Version:%s",
			  timestamp, user, CHEF_API_VERSION);
}

/* Add header name: value (NUL-terminated) to h. */
static int add(http_headers *h, const char *name, const char *value)
{
	return http_headers_add(h, name, strlen(name), value, strlen(value),
				"Chef signing");
}

int chef_sign(http_headers *h, EVP_PKEY *key, const char *method,
	      const char *path, const char *body, size_t blen,
	      const char *user, const char *timestamp)
{
	svc_buf canon = SVC_BUF_INIT, sig = SVC_BUF_INIT, b64 = SVC_BUF_INIT,
		hash = SVC_BUF_INIT;
	char name[40];
	size_t off, i;
	int rc;

	if ((rc = chef_canonical(&canon, method, path, body, blen, user,
				 timestamp)) ||
	    (rc = vc_sign_sha256(&sig, key, canon.ptr, canon.len)) ||
	    (rc = vc_base64(&b64, sig.ptr, sig.len, 0)) ||
	    (rc = put_hash(&hash, body, blen)))
		goto done;
	if ((rc = add(h, "X-Ops-Sign", "algorithm=sha256;version=1.3")) ||
	    (rc = add(h, "X-Ops-Userid", user)) ||
	    (rc = add(h, "X-Ops-Timestamp", timestamp)) ||
	    (rc = add(h, "X-Ops-Content-Hash", hash.ptr)) ||
	    (rc = add(h, "X-Ops-Server-API-Version", CHEF_API_VERSION)))
		goto done;
	for (off = 0, i = 1; !rc && off < b64.len; off += CHEF_LINE, i++) {
		size_t n = b64.len - off < CHEF_LINE ? b64.len - off : CHEF_LINE;

		snprintf(name, sizeof(name), "X-Ops-Authorization-%zu", i);
		rc = http_headers_add(h, name, strlen(name), b64.ptr + off, n,
				      "Chef signing");
	}
done:
	buf_clear(&canon);
	buf_clear(&sig);
	buf_clear(&b64);
	buf_clear(&hash);
	return rc;
}

/* The path part of an http(s) URL ("/" when it has none), or NULL. */
static const char *url_path(const char *url)
{
	const char *p = strstr(url, "://");

	if (!p)
		return NULL;
	p = strchr(p + 3, '/');
	return p ? p : "/";
}

int verify_chef(svc_verify_result *out, const svc_conn *c,
		const svc_verify_options *o)
{
	const char *base = svc_conn_url(c), *user = verify_field(c, "username");
	svc_conn_field pem;
	svc_buf url = SVC_BUF_INIT;
	http_headers h = HTTP_HEADERS_INIT;
	http_response resp = { 0 };
	http_request req;
	EVP_PKEY *key = NULL;
	char ts[32], *target = NULL;
	const char *path;
	time_t now = time(NULL);
	struct tm tm;
	json_t *j = NULL;
	size_t blen;
	int rc;

	if (!base || !user || svc_conn_field_get(c, "password", &pem) != 0 ||
	    !pem.value)
		return verify_set(out, SVC_VERIFY_INVALID, NULL,
				  "a Chef connection needs a server URL, a node name and a client key");
	if (strchr(user, '/') || strchr(user, '?') || strchr(user, '#'))
		return verify_set(out, SVC_VERIFY_INVALID, NULL,
				  "node name '%s' cannot be part of a path", user);
	if ((rc = vc_load_key(&key, pem.value, pem.len, NULL)))
		return verify_set(out, SVC_VERIFY_INVALID, NULL,
				  "the client key is not a PEM private key");
	blen = strlen(base);
	while (blen && base[blen - 1] == '/')
		blen--;
	if ((rc = buf_put(&url, base, blen)) ||
	    (rc = buf_printf(&url, strstr(base, "/organizations/") ?
			     "/clients/%s" : "/users/%s", user)))
		goto done;
	if (!(path = url_path(url.ptr))) {
		rc = verify_set(out, SVC_VERIFY_INVALID, NULL,
				"server URL is not an http(s) URL");
		goto done;
	}
	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if ((rc = chef_sign(&h, key, "GET", path, NULL, 0, user, ts)) ||
	    (rc = http_headers_add(&h, "Accept", 6, "application/json", 16,
				   "Chef")))
		goto done;
	verify_http_init(&req, c, o);
	req.method = "GET";
	req.url = url.ptr;
	req.headers = &h;
	target = verify_target("GET", url.ptr);
	rc = verify_http_answer(out, target, http_call(&resp, &req), &resp);
	if (rc) {
		rc = rc == 1 ? 0 : rc;
		goto done;
	}
	if (!(j = json_loadb(resp.body.ptr ? resp.body.ptr : "", resp.body.len,
			     0, NULL)) || !json_is_object(j))
		rc = verify_set(out, SVC_VERIFY_UNEXPECTED, target,
				"the Chef server did not answer a JSON object");
	else
		rc = verify_set(out, SVC_VERIFY_OK, target,
				"signed request accepted for node '%s'", user);
done:
	json_decref(j);
	http_response_clear(&resp);
	http_headers_clear(&h);
	EVP_PKEY_free(key);
	buf_clear(&url);
	free(target);
	return rc;
}
