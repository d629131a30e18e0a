/*
 * http.c - svcconn's one HTTP client over libcurl (see http.h).
 *
 * One easy handle per call, set up from a validated request: protocols
 * limited to http and https (redirects too, though none is followed), no
 * signals, TLS verification on unless asked off, PEM blobs for the CA,
 * client certificate and key (libcurl copies blobs with CURL_BLOB_COPY;
 * its copies are freed without wiping when the handle goes, which is
 * beyond our reach, like the password it keeps), and the body and header
 * callbacks writing into bounded svc_bufs.  Only the header lines of the
 * final response are kept: a new status line ("HTTP/...") resets them.
 *
 * A failed transfer becomes one line and a category (http_err) in
 * transfer_error(); the peer is named by host and port only.
 */
#include "net/http.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "svcconn/errors.h"
#include "svcconn/secret.h"
#include "errors_int.h"

/** Longest header line accepted in a request, in bytes. */
#define HTTP_MAX_HEADER_LINE ((size_t)64 * 1024)

/** State shared with libcurl's callbacks during one call. */
struct call {
	http_response *out;     /**< where body and headers go */
	int too_large;          /**< the body went past its maximum */
};

/* Record a failure in out and as the last error; returns code. */
static int fail(http_response *out, http_err err, int code, const char *fmt,
		...) __attribute__((format(printf, 4, 5)));

static int fail(http_response *out, http_err err, int code, const char *fmt,
		...)
{
	char msg[512];
	va_list ap;
	char *p;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* one line: libcurl's messages may end with a newline */
	for (p = msg; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	while (p > msg && p[-1] == ' ')
		*--p = '\0';
	out->err = err;
	free(out->error);
	out->error = strdup(msg);
	if (!out->error)
		return error_oom();
	return error_set(code, "%s", msg);
}

/* ------------------------------------------------------------------------
 * Request headers
 */

/* RFC 9110 token character. */
static int is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static int header_name_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 256)
		return 0;
	for (i = 0; i < n; i++)
		if (!is_tchar((unsigned char)s[i]))
			return 0;
	return 1;
}

/* No control character but horizontal tab; no NUL inside. */
static int header_value_ok(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return 0;
	}
	return 1;
}

void http_headers_clear(http_headers *h)
{
	struct curl_slist *i;

	if (!h)
		return;
	for (i = h->list; i; i = i->next)
		if (i->data)
			svc_wipe(i->data, strlen(i->data));
	curl_slist_free_all(h->list);
	h->list = NULL;
	h->has_ctype = 0;
}

/* Append a ready line to list (NULL-safe on failure: list unchanged). */
static int slist_add(struct curl_slist **list, const char *line)
{
	struct curl_slist *l = curl_slist_append(*list, line);

	if (!l)
		return error_oom();
	*list = l;
	return 0;
}

int http_headers_add(http_headers *h, const char *name, size_t nlen,
		     const char *value, size_t vlen, const char *what)
{
	svc_buf line;
	int rc;

	if (!header_name_ok(name, nlen))
		return error_set(SVC_EINVALID, "invalid %s header name '%.*s'",
				 what, (int)(nlen > 64 ? 64 : nlen), name);
	if (!header_value_ok(value, vlen))
		return error_set(SVC_EINVALID,
				 "invalid value for %s header '%.*s': control "
				 "characters (CR, LF...) are not allowed",
				 what, (int)nlen, name);
	if ((nlen == 14 && strncasecmp(name, "Content-Length", 14) == 0) ||
	    (nlen == 17 && strncasecmp(name, "Transfer-Encoding", 17) == 0))
		return error_set(SVC_EINVALID, "%s header '%.*s' cannot be set",
				 what, (int)nlen, name);
	if (nlen == 12 && strncasecmp(name, "Content-Type", 12) == 0)
		h->has_ctype = 1;
	buf_init(&line, HTTP_MAX_HEADER_LINE, 1);
	/* "Name;" is libcurl's way to send a header with an empty value */
	if (buf_put(&line, name, nlen) != 0 ||
	    (vlen == 0 ? buf_putc(&line, ';') :
	     (buf_puts(&line, ": ") || buf_put(&line, value, vlen))) != 0) {
		rc = error_set(SVC_EINVALID, "%s header '%.*s' too long", what,
			       (int)(nlen > 64 ? 64 : nlen), name);
		goto done;
	}
	rc = slist_add(&h->list, line.ptr);
done:
	buf_clear(&line);
	return rc;
}

/* The whole header list of a call: the caller's lines, then ours. */
static int build_headers(http_response *out, struct curl_slist **list,
			 const http_request *req)
{
	const struct curl_slist *i;
	svc_buf line;
	int has_ctype = req->headers ? req->headers->has_ctype : 0;
	int rc = 0;

	for (i = req->headers ? req->headers->list : NULL; i; i = i->next)
		if ((rc = slist_add(list, i->data)) != 0)
			return rc;
	/* never wait for "100 Continue" */
	if ((rc = slist_add(list, "Expect:")) != 0)
		return rc;
	if (req->body && !has_ctype) {
		buf_init(&line, HTTP_MAX_HEADER_LINE, 0);
		if (buf_printf(&line, "Content-Type: %s",
			       req->content_type ? req->content_type
						 : "application/json") != 0 ||
		    !header_value_ok(line.ptr, line.len))
			rc = fail(out, HTTP_ERR_INVALID, SVC_EINVALID,
				  "invalid content type");
		else
			rc = slist_add(list, line.ptr);
		buf_clear(&line);
		if (rc)
			return rc;
	}
	if (req->auth == HTTP_AUTH_BEARER || req->auth == HTTP_AUTH_HEADER) {
		const char *name = req->auth == HTTP_AUTH_BEARER
				   ? "Authorization" : req->auth_header;
		const char *tok = req->token ? req->token : "";
		size_t tlen = strlen(tok);

		if (!name || !header_name_ok(name, strlen(name)))
			return fail(out, HTTP_ERR_INVALID, SVC_EINVALID,
				    "invalid authentication header name");
		if (!header_value_ok(tok, tlen) || tlen == 0)
			return fail(out, HTTP_ERR_INVALID, SVC_EINVALID,
				    "invalid token (empty, or with control "
				    "characters)");
		buf_init(&line, HTTP_MAX_HEADER_LINE, 1);
		if (buf_puts(&line, name) != 0 || buf_puts(&line, ": ") != 0 ||
		    (req->auth == HTTP_AUTH_BEARER &&
		     buf_puts(&line, "Bearer ") != 0) ||
		    buf_put(&line, tok, tlen) != 0)
			rc = fail(out, HTTP_ERR_INVALID, SVC_EINVALID,
				  "token too long");
		else
			rc = slist_add(list, line.ptr);
		buf_clear(&line);
	}
	return rc;
}

/* Wipe every line (they may hold tokens), then free the list. */
static void slist_wipe_free(struct curl_slist *list)
{
	http_headers h = { list, 0 };

	http_headers_clear(&h);
}

/* ------------------------------------------------------------------------
 * Validation
 */

static int method_ok(const char *m)
{
	size_t i;

	for (i = 0; m[i]; i++)
		if (m[i] < 'A' || m[i] > 'Z' || i >= 16)
			return 0;
	return i > 0;
}

static int url_ok(const char *u)
{
	for (; *u; u++)
		if ((unsigned char)*u <= 0x20 || *u == 0x7f)
			return 0;
	return 1;
}

void http_url_peer(const char *url, char *buf, size_t len)
{
	CURLU *u = curl_url();
	char *h = NULL, *p = NULL;

	if (u && url && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK) {
		curl_url_get(u, CURLUPART_HOST, &h, 0);
		curl_url_get(u, CURLUPART_PORT, &p, CURLU_DEFAULT_PORT);
	}
	snprintf(buf, len, "%s:%s", h ? h : "?", p ? p : "?");
	curl_free(h);
	curl_free(p);
	curl_url_cleanup(u);
}

/* ------------------------------------------------------------------------
 * The call
 */

static size_t on_body(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct call *call = ctx;
	size_t n;

	if (!size_mul_ok(&n, size, nmemb) ||
	    buf_put(&call->out->body, data, n) != 0) {
		call->too_large = 1;
		return 0;       /* makes libcurl stop with CURLE_WRITE_ERROR */
	}
	return n;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct call *call = ctx;
	size_t n;

	if (!size_mul_ok(&n, size, nmemb))
		return 0;
	/* a new response (after 100 Continue, a proxy's CONNECT...) */
	if (n >= 5 && strncmp(data, "HTTP/", 5) == 0)
		buf_reset(&call->out->headers);
	/* headers past the limit are dropped, not an error */
	(void)buf_put(&call->out->headers, data, n);
	return n;
}

char *http_response_header(const http_response *r, const char *name)
{
	const char *p, *end, *eol, *v, *ve;
	size_t nlen = strlen(name);
	char *s;

	if (!r || !r->headers.ptr)
		return NULL;
	p = r->headers.ptr;
	end = p + r->headers.len;
	for (; p < end; p = eol + 1) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		if ((size_t)(eol - p) <= nlen || p[nlen] != ':' ||
		    strncasecmp(p, name, nlen) != 0)
			continue;
		for (v = p + nlen + 1; v < eol && (*v == ' ' || *v == '\t');
		     v++)
			;
		for (ve = eol; ve > v && (ve[-1] == '\r' || ve[-1] == ' ' ||
					  ve[-1] == '\t'); ve--)
			;
		s = malloc((size_t)(ve - v) + 1);
		if (!s)
			return NULL;
		memcpy(s, v, (size_t)(ve - v));
		s[ve - v] = '\0';
		return s;
	}
	return NULL;
}

void http_response_clear(http_response *r)
{
	if (!r)
		return;
	buf_clear(&r->body);
	buf_clear(&r->headers);
	buf_clear(&r->peer_cert);
	free(r->error);
	r->error = NULL;
	r->status = 0;
	r->err = HTTP_ERR_NONE;
}

/* The leaf certificate of the TLS peer (CURLINFO_CERTINFO) into peer_cert. */
static int keep_peer_cert(http_response *out, CURL *c)
{
	struct curl_certinfo *ci = NULL;
	struct curl_slist *s;

	if (curl_easy_getinfo(c, CURLINFO_CERTINFO, &ci) != CURLE_OK || !ci ||
	    ci->num_of_certs < 1)
		return 0;
	for (s = ci->certinfo[0]; s; s = s->next)
		if (!strncmp(s->data, "Cert:", 5))
			return buf_puts(&out->peer_cert, s->data + 5);
	return 0;
}

/* Turn a failed transfer into one clear line and a category. */
static int transfer_error(http_response *out, CURL *c, CURLcode res,
			  const struct call *call, const char *url,
			  const char *errbuf, long total_ms, long connect_ms,
			  size_t max_body, int client_cert)
{
	const char *detail = *errbuf ? errbuf : curl_easy_strerror(res);
	char peer[300], host[300];
	curl_off_t connected = 0;
	long oserr = 0;
	char *colon;

	http_url_peer(url, peer, sizeof(peer));
	snprintf(host, sizeof(host), "%s", peer);
	if ((colon = strrchr(host, ':')))
		*colon = '\0';
	switch (res) {
	case CURLE_COULDNT_CONNECT:
		curl_easy_getinfo(c, CURLINFO_OS_ERRNO, &oserr);
		return fail(out, HTTP_ERR_CONNECT, SVC_ERROR,
			    "cannot connect to %s: %s", peer,
			    oserr ? strerror((int)oserr) : detail);
	case CURLE_OPERATION_TIMEDOUT:
		curl_easy_getinfo(c, CURLINFO_CONNECT_TIME_T, &connected);
		if (connected == 0 && connect_ms < total_ms)
			return fail(out, HTTP_ERR_TIMEOUT, SVC_ERROR,
				    "timed out after %ld ms connecting to %s",
				    connect_ms, peer);
		return fail(out, HTTP_ERR_TIMEOUT, SVC_ERROR,
			    "timed out after %ld ms", total_ms);
	case CURLE_COULDNT_RESOLVE_HOST:
		return fail(out, HTTP_ERR_DNS, SVC_ERROR,
			    "cannot resolve host '%s'", host);
	case CURLE_COULDNT_RESOLVE_PROXY:
		return fail(out, HTTP_ERR_DNS, SVC_ERROR,
			    "cannot resolve proxy: %s", detail);
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_SHUTDOWN_FAILED:
		return fail(out, HTTP_ERR_TLS, SVC_ERROR,
			    "TLS error with %s: %s", peer, detail);
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
		/* with TLS 1.3 a server refusing our client certificate
		   says so after the handshake: in an alert, or by closing
		   the connection before any answer, whichever the client
		   sees first */
		if (strstr(detail, "SSL") || strstr(detail, "TLS") ||
		    strstr(detail, "alert"))
			return fail(out, HTTP_ERR_TLS, SVC_ERROR,
				    "TLS error with %s: %s", peer, detail);
		if (client_cert && out->headers.len == 0)
			return fail(out, HTTP_ERR_TLS, SVC_ERROR,
				    "TLS error with %s: connection closed "
				    "before any answer (client certificate "
				    "refused?): %s", peer, detail);
		return fail(out, HTTP_ERR_PROTOCOL, SVC_ERROR,
			    "connection to %s broken: %s", peer, detail);
	case CURLE_FILESIZE_EXCEEDED:
		return fail(out, HTTP_ERR_TOO_LARGE, SVC_ERROR,
			    "response body is larger than %zu bytes",
			    max_body);
	case CURLE_WRITE_ERROR:
		if (call->too_large)
			return fail(out, HTTP_ERR_TOO_LARGE, SVC_ERROR,
				    "response body is larger than %zu bytes",
				    max_body);
		break;
	case CURLE_UNSUPPORTED_PROTOCOL:
		return fail(out, HTTP_ERR_INVALID, SVC_EINVALID,
			    "unsupported protocol in URL (only http and "
			    "https)");
	case CURLE_URL_MALFORMAT:
		return fail(out, HTTP_ERR_INVALID, SVC_EINVALID,
			    "invalid URL");
	case CURLE_GOT_NOTHING:
		if (client_cert)
			return fail(out, HTTP_ERR_TLS, SVC_ERROR,
				    "TLS error with %s: empty reply (client "
				    "certificate refused?)", peer);
		return fail(out, HTTP_ERR_PROTOCOL, SVC_ERROR,
			    "empty reply from %s", peer);
	default:
		break;
	}
	return fail(out, HTTP_ERR_OTHER, SVC_ERROR, "request to %s failed: %s",
		    peer, detail);
}

/* Set a PEM blob option (copied by libcurl). */
static CURLcode set_blob(CURL *c, CURLoption opt, const char *pem)
{
	struct curl_blob b;

	b.data = (void *)pem;
	b.len = strlen(pem);
	b.flags = CURL_BLOB_COPY;
	return curl_easy_setopt(c, opt, &b);
}

/* The method, body and authentication options. */
static CURLcode set_method(CURL *c, const http_request *req)
{
	CURLcode res;

	if (req->body) {
		res = curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
				       (curl_off_t)req->body_len);
		if (!res)
			res = curl_easy_setopt(c, CURLOPT_POSTFIELDS,
					       req->body);
		if (!res && strcmp(req->method, "POST") != 0)
			res = curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST,
					       req->method);
	} else if (strcmp(req->method, "GET") == 0) {
		res = curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	} else if (strcmp(req->method, "HEAD") == 0) {
		res = curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	} else if (strcmp(req->method, "POST") == 0) {
		res = curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
				       (curl_off_t)0);
		if (!res)
			res = curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
	} else {
		res = curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
	}
	if (!res && req->auth == HTTP_AUTH_BASIC) {
		res = curl_easy_setopt(c, CURLOPT_HTTPAUTH,
				       (long)CURLAUTH_BASIC);
		if (!res)
			res = curl_easy_setopt(c, CURLOPT_USERNAME,
					       req->username);
		if (!res)
			res = curl_easy_setopt(c, CURLOPT_PASSWORD,
					       req->password ? req->password
							     : "");
	}
	return res;
}

/* The TLS options. */
static CURLcode set_tls(CURL *c, const http_request *req)
{
	CURLcode res;

	res = curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER,
			       req->insecure ? 0L : 1L);
	if (!res)
		res = curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST,
				       req->insecure ? 0L : 2L);
	if (!res && req->ca_pem)
		res = set_blob(c, CURLOPT_CAINFO_BLOB, req->ca_pem);
	if (!res && req->client_cert_pem) {
		res = set_blob(c, CURLOPT_SSLCERT_BLOB, req->client_cert_pem);
		if (!res)
			res = curl_easy_setopt(c, CURLOPT_SSLCERTTYPE, "PEM");
	}
	if (!res && req->client_key_pem) {
		res = set_blob(c, CURLOPT_SSLKEY_BLOB, req->client_key_pem);
		if (!res)
			res = curl_easy_setopt(c, CURLOPT_SSLKEYTYPE, "PEM");
	}
	if (!res && req->key_passphrase)
		res = curl_easy_setopt(c, CURLOPT_KEYPASSWD,
				       req->key_passphrase);
	return res;
}

/* Validate req before anything is set up. */
static int check_request(http_response *out, const http_request *req)
{
	if (!req || !req->url || !req->method)
		return fail(out, HTTP_ERR_INVALID, SVC_EINVALID,
			    "no method or URL given");
	if (!method_ok(req->method))
		return fail(out, HTTP_ERR_INVALID, SVC_EINVALID,
			    "invalid HTTP method '%.16s'", req->method);
	if (!*req->url || !url_ok(req->url))
		return fail(out, HTTP_ERR_INVALID, SVC_EINVALID,
			    "invalid URL (empty, or with white space or "
			    "control characters)");
	if (req->auth == HTTP_AUTH_BASIC &&
	    (!req->username || strchr(req->username, ':') ||
	     !header_value_ok(req->username, strlen(req->username))))
		return fail(out, HTTP_ERR_INVALID, SVC_EINVALID,
			    "invalid user name (no ':' or control characters)");
	if (req->timeout_ms < 0 || req->connect_timeout_ms < 0)
		return fail(out, HTTP_ERR_INVALID, SVC_EINVALID,
			    "negative timeout");
	if ((req->client_cert_pem == NULL) != (req->client_key_pem == NULL))
		return fail(out, HTTP_ERR_INVALID, SVC_EINVALID,
			    "a client certificate needs its key, and a key "
			    "its certificate");
	return 0;
}

int http_call(http_response *out, const http_request *req)
{
	size_t max_body = req && req->max_body ? req->max_body : HTTP_MAX_BODY;
	struct call call = { out, 0 };
	struct curl_slist *list = NULL;
	char errbuf[CURL_ERROR_SIZE];
	long total_ms, connect_ms;
	CURL *c = NULL;
	CURLcode res;
	int rc;

	out->status = 0;
	out->error = NULL;
	out->err = HTTP_ERR_NONE;
	buf_init(&out->body, max_body, 1);	/* may hold a secret */
	buf_init(&out->headers, HTTP_MAX_HEADERS, 0);
	buf_init(&out->peer_cert, HTTP_MAX_HEADERS, 0);
	if ((rc = check_request(out, req)) != 0)
		return rc;
	total_ms = req->timeout_ms ? req->timeout_ms : HTTP_DEFAULT_TIMEOUT_MS;
	connect_ms = req->connect_timeout_ms ? req->connect_timeout_ms
					     : HTTP_DEFAULT_CONNECT_TIMEOUT_MS;
	if (connect_ms > total_ms)
		connect_ms = total_ms;
	if ((rc = build_headers(out, &list, req)) != 0) {
		if (!out->error)
			rc = fail(out, HTTP_ERR_INVALID, rc, "%s",
				  svc_error_last());
		goto done;
	}

	c = curl_easy_init();
	if (!c) {
		rc = fail(out, HTTP_ERR_OTHER, SVC_ERROR,
			  "cannot initialise libcurl");
		goto done;
	}
	errbuf[0] = '\0';
	if (curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf) ||
	    curl_easy_setopt(c, CURLOPT_URL, req->url) ||
	    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") ||
	    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") ||
	    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) ||
	    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) ||
	    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, total_ms) ||
	    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, connect_ms) ||
	    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE,
			     (curl_off_t)max_body) ||
	    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body) ||
	    curl_easy_setopt(c, CURLOPT_WRITEDATA, &call) ||
	    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header) ||
	    curl_easy_setopt(c, CURLOPT_HEADERDATA, &call) ||
	    curl_easy_setopt(c, CURLOPT_USERAGENT, "svcconn") ||
	    curl_easy_setopt(c, CURLOPT_HTTPHEADER, list)) {
		rc = fail(out, HTTP_ERR_OTHER, SVC_ERROR,
			  "cannot set up libcurl: %s",
			  *errbuf ? errbuf : "unsupported option");
		goto done;
	}
	res = set_method(c, req);
	if (!res)
		res = set_tls(c, req);
	if (!res && req->want_peer_cert)
		res = curl_easy_setopt(c, CURLOPT_CERTINFO, 1L);
	if (res) {
		rc = fail(out, HTTP_ERR_OTHER, SVC_ERROR,
			  "cannot set up libcurl: %s", curl_easy_strerror(res));
		goto done;
	}

	res = curl_easy_perform(c);
	if (res != CURLE_OK) {
		buf_clear(&out->body);
		rc = transfer_error(out, c, res, &call, req->url, errbuf,
				    total_ms, connect_ms, max_body,
				    req->client_cert_pem != NULL);
		goto done;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
	rc = req->want_peer_cert ? keep_peer_cert(out, c) : 0;
done:
	curl_easy_cleanup(c);
	slist_wipe_free(list);
	return rc;
}
