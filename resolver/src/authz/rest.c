/*
 * rest.c - the Invoke-REST-API check: one HTTP call with libcurl, and the
 * success criteria evaluated on its JSON response (see checkutil.h).
 *
 * The call is locked down: http and https only (also for redirects, which
 * are never followed anyway, so credentials cannot travel to another
 * origin), TLS peer and host verification on, connect and total timeouts,
 * no signals (safe in threads), a response body capped at
 * CHECK_REST_MAX_BODY both by the declared Content-Length and by what
 * actually arrives.  Proxies come from the environment, as libcurl does by
 * default.
 *
 * Everything the caller gives is validated before libcurl sees it: the
 * method is an upper-case token, the URL has no white space or control
 * characters, header names are RFC 9110 tokens and values carry no CR, LF
 * or other control character (refused, never stripped: a value that tries
 * to inject a header is an error).  Header lines are built in secret
 * buffers (a header may carry a token); libcurl's copies in the header
 * list, and the strings of the parsed headers JSON, are wiped before they
 * are freed.  The password is handed to CURLOPT_PASSWORD straight from the
 * caller's string and never copied here; libcurl keeps its own copy for the
 * life of the handle and frees it without wiping, which is beyond our reach.
 *
 * Failure messages name the peer by host and port only, never by URL (a
 * URL may hold credentials or tokens in its query), and are made one line.
 *
 * Success criteria: the response is parsed by jansson (bounded input,
 * bounded depth and node count) and converted to a ynode tree in which
 * strings are quoted scalars and numbers, booleans and null are plain
 * scalars, so that evalue_from_node() gives them their JSON types; the
 * expression is evaluated with `root` bound to that tree.  Numbers are read
 * as doubles (the evaluator's numbers are doubles anyway), so an integer
 * too big for a long long does not make the response "not JSON".
 */
#include "authz/checkutil.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <jansson.h>

#include "svcconn/errors.h"
#include "svcconn/secret.h"
#include "errors_int.h"
#include "exchange/yaml_doc.h"
#include "pipeline/expr.h"
#include "util/buf.h"

/** Longest header line and headers JSON accepted, in bytes. */
#define REST_MAX_HEADER ((size_t)64 * 1024)
/** Deepest JSON response accepted for success criteria. */
#define REST_MAX_DEPTH 256
/** Most values in a JSON response accepted for success criteria. */
#define REST_MAX_NODES ((size_t)200000)

/* ------------------------------------------------------------------------
 * The call
 */

/** State shared with libcurl's callbacks during one call. */
struct rest_call {
	rest_response *out;     /**< where the body goes */
	int too_large;          /**< the body went past its maximum */
};

void rest_response_clear(rest_response *r)
{
	if (!r)
		return;
	buf_clear(&r->body);
	free(r->error);
	r->error = NULL;
	r->status = 0;
}

/* Record a failure in out->error and as the last error; returns code. */
static int fail(rest_response *out, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(rest_response *out, int code, const char *fmt, ...)
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
	free(out->error);
	out->error = strdup(msg);
	if (!out->error)
		return error_oom();
	return error_set(code, "%s", msg);
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct rest_call *call = ctx;
	size_t n;

	if (!size_mul_ok(&n, size, nmemb) ||
	    buf_put(&call->out->body, data, n) != 0) {
		call->too_large = 1;
		return 0;       /* makes libcurl stop with CURLE_WRITE_ERROR */
	}
	return n;
}

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

/** The header list being built, and what it holds. */
struct hdrs {
	struct curl_slist *list; /**< lines for CURLOPT_HTTPHEADER */
	int has_ctype;           /**< a Content-Type was given */
};

/* Wipe every line (they may hold tokens), then free the list. */
static void hdrs_free(struct hdrs *h)
{
	struct curl_slist *i;

	for (i = h->list; i; i = i->next)
		if (i->data)
			svc_wipe(i->data, strlen(i->data));
	curl_slist_free_all(h->list);
	h->list = NULL;
}

/* Append "name: value" (validated); what names the source in messages. */
static int hdrs_add(rest_response *out, struct hdrs *h, const char *name,
		    size_t nlen, const char *value, size_t vlen,
		    const char *what)
{
	svc_buf line;
	struct curl_slist *l;
	int rc = 0;

	if (!header_name_ok(name, nlen))
		return fail(out, SVC_EINVALID, "invalid %s header name '%.*s'",
			    what, (int)(nlen > 64 ? 64 : nlen), name);
	if (!header_value_ok(value, vlen))
		return fail(out, SVC_EINVALID,
			    "invalid value for %s header '%.*s': control "
			    "characters (CR, LF...) are not allowed", what,
			    (int)nlen, name);
	if ((nlen == 14 && strncasecmp(name, "Content-Length", 14) == 0) ||
	    (nlen == 17 && strncasecmp(name, "Transfer-Encoding", 17) == 0))
		return fail(out, SVC_EINVALID,
			    "%s header '%.*s' cannot be set", what, (int)nlen,
			    name);
	if (nlen == 12 && strncasecmp(name, "Content-Type", 12) == 0)
		h->has_ctype = 1;
	buf_init(&line, REST_MAX_HEADER, 1);
	/* "Name;" is libcurl's way to send a header with an empty value */
	if (buf_put(&line, name, nlen) != 0 ||
	    (vlen == 0 ? buf_putc(&line, ';') :
	     (buf_puts(&line, ": ") || buf_put(&line, value, vlen))) != 0) {
		rc = fail(out, SVC_EINVALID, "%s header '%.*s' too long", what,
			  (int)(nlen > 64 ? 64 : nlen), name);
		goto done;
	}
	l = curl_slist_append(h->list, line.ptr);
	if (!l) {
		rc = error_oom();
		goto done;
	}
	h->list = l;
done:
	buf_clear(&line);
	return rc;
}

/* 1 when a default header has this name. */
static int is_default(const rest_request *req, const char *name)
{
	const char *const *d;
	size_t n = strlen(name);

	for (d = req->default_headers; d && *d; d++)
		if (strncasecmp(*d, name, n) == 0 && (*d)[n] == ':')
			return 1;
	return 0;
}

static int build_headers(rest_response *out, struct hdrs *h,
			 const rest_request *req)
{
	const char *const *d;
	struct curl_slist *l;
	json_t *obj = NULL, *v;
	json_error_t jerr;
	const char *key;
	int rc = 0;

	for (d = req->default_headers; d && *d; d++) {
		const char *colon = strchr(*d, ':'), *val;

		if (!colon)
			return fail(out, SVC_EINVALID,
				    "invalid default header line (want "
				    "'Name: value')");
		for (val = colon + 1; *val == ' ' || *val == '\t'; val++)
			;
		if ((rc = hdrs_add(out, h, *d, (size_t)(colon - *d), val,
				   strlen(val), "default")) != 0)
			return rc;
	}
	if (req->headers_json && *req->headers_json) {
		size_t len = strlen(req->headers_json);

		if (len > REST_MAX_HEADER)
			return fail(out, SVC_EINVALID,
				    "headers JSON too large");
		obj = json_loadb(req->headers_json, len, JSON_REJECT_DUPLICATES,
				 &jerr);
		if (!obj)
			return fail(out, SVC_EINVALID,
				    "invalid headers JSON: %s", jerr.text);
		if (!json_is_object(obj)) {
			rc = fail(out, SVC_EINVALID,
				  "invalid headers JSON: not an object");
			goto done;
		}
		json_object_foreach(obj, key, v) {
			if (!json_is_string(v)) {
				rc = fail(out, SVC_EINVALID,
					  "header '%.64s' in headers JSON is "
					  "not a string", key);
				goto done;
			}
			if (is_default(req, key)) {
				rc = fail(out, SVC_EINVALID,
					  "header '%.64s' is set by svcconn "
					  "and cannot be overridden", key);
				goto done;
			}
			if ((rc = hdrs_add(out, h, key, strlen(key),
					   json_string_value(v),
					   json_string_length(v),
					   "custom")) != 0)
				goto done;
		}
	}
	/* never wait for "100 Continue"; JSON unless told otherwise */
	if (!(l = curl_slist_append(h->list, "Expect:"))) {
		rc = error_oom();
		goto done;
	}
	h->list = l;
	if (req->body && !h->has_ctype) {
		l = curl_slist_append(h->list,
				      "Content-Type: application/json");
		if (!l) {
			rc = error_oom();
			goto done;
		}
		h->list = l;
	}
done:
	if (obj) {
		/* the values may be tokens: wipe jansson's copies */
		json_object_foreach(obj, key, v)
			if (json_is_string(v))
				svc_wipe((char *)json_string_value(v),
					 json_string_length(v));
		json_decref(obj);
	}
	return rc;
}

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

/* Host and port of url for messages; "?" when they cannot be told. */
static void url_peer(const char *url, char *host, size_t hlen, char *port,
		     size_t plen)
{
	CURLU *u = curl_url();
	char *h = NULL, *p = NULL;

	snprintf(host, hlen, "?");
	snprintf(port, plen, "?");
	if (!u)
		return;
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK) {
		if (curl_url_get(u, CURLUPART_HOST, &h, 0) == CURLUE_OK)
			snprintf(host, hlen, "%s", h);
		if (curl_url_get(u, CURLUPART_PORT, &p, CURLU_DEFAULT_PORT) ==
		    CURLUE_OK)
			snprintf(port, plen, "%s", p);
	}
	curl_free(h);
	curl_free(p);
	curl_url_cleanup(u);
}

/* Turn a failed transfer into one clear line. */
static int transfer_error(rest_response *out, CURL *c, CURLcode res,
			  const struct rest_call *call, const char *url,
			  const char *errbuf, long total_ms, long connect_ms)
{
	const char *detail = *errbuf ? errbuf : curl_easy_strerror(res);
	char host[256], port[16];
	curl_off_t connected = 0;
	long oserr = 0;

	url_peer(url, host, sizeof(host), port, sizeof(port));
	switch (res) {
	case CURLE_COULDNT_CONNECT:
		curl_easy_getinfo(c, CURLINFO_OS_ERRNO, &oserr);
		return fail(out, SVC_ERROR, "cannot connect to %s:%s: %s", host,
			    port, oserr ? strerror((int)oserr) : detail);
	case CURLE_OPERATION_TIMEDOUT:
		curl_easy_getinfo(c, CURLINFO_CONNECT_TIME_T, &connected);
		if (connected == 0 && connect_ms < total_ms)
			return fail(out, SVC_ERROR,
				    "timed out after %ld ms connecting to "
				    "%s:%s", connect_ms, host, port);
		return fail(out, SVC_ERROR, "timed out after %ld ms", total_ms);
	case CURLE_COULDNT_RESOLVE_HOST:
		return fail(out, SVC_ERROR, "cannot resolve host '%s'", host);
	case CURLE_COULDNT_RESOLVE_PROXY:
		return fail(out, SVC_ERROR, "cannot resolve proxy: %s", detail);
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CRL_BADFILE:
		return fail(out, SVC_ERROR, "TLS error with %s:%s: %s", host,
			    port, detail);
	case CURLE_FILESIZE_EXCEEDED:
		return fail(out, SVC_ERROR,
			    "response body is larger than %zu bytes",
			    CHECK_REST_MAX_BODY);
	case CURLE_WRITE_ERROR:
		if (call->too_large)
			return fail(out, SVC_ERROR,
				    "response body is larger than %zu bytes",
				    CHECK_REST_MAX_BODY);
		break;
	case CURLE_UNSUPPORTED_PROTOCOL:
		return fail(out, SVC_EINVALID,
			    "unsupported protocol in URL (only http and "
			    "https)");
	case CURLE_URL_MALFORMAT:
		return fail(out, SVC_EINVALID, "invalid URL");
	case CURLE_GOT_NOTHING:
		return fail(out, SVC_ERROR, "empty reply from %s:%s", host,
			    port);
	default:
		break;
	}
	return fail(out, SVC_ERROR, "request to %s:%s failed: %s", host, port,
		    detail);
}

int check_rest_call(rest_response *out, const rest_request *req)
{
	struct rest_call call = { out, 0 };
	struct hdrs h = { NULL, 0 };
	char errbuf[CURL_ERROR_SIZE];
	long total_ms, connect_ms;
	CURL *c = NULL;
	CURLcode res;
	int rc;

	out->status = 0;
	out->error = NULL;
	buf_init(&out->body, CHECK_REST_MAX_BODY, 0);
	if (!req || !req->url || !req->method)
		return fail(out, SVC_EINVALID, "no method or URL given");
	if (!method_ok(req->method))
		return fail(out, SVC_EINVALID, "invalid HTTP method '%.16s'",
			    req->method);
	if (!*req->url || !url_ok(req->url))
		return fail(out, SVC_EINVALID,
			    "invalid URL (empty, or with white space or "
			    "control characters)");
	if (req->username && (strchr(req->username, ':') ||
			      !header_value_ok(req->username,
					       strlen(req->username))))
		return fail(out, SVC_EINVALID,
			    "invalid user name (no ':' or control characters)");
	if (req->timeout_ms < 0)
		return fail(out, SVC_EINVALID, "negative timeout");
	total_ms = req->timeout_ms ? req->timeout_ms
				   : CHECK_REST_DEFAULT_TIMEOUT_MS;
	connect_ms = total_ms < CHECK_REST_CONNECT_TIMEOUT_MS
		     ? total_ms : CHECK_REST_CONNECT_TIMEOUT_MS;
	if ((rc = build_headers(out, &h, req)) != 0)
		goto done;

	c = curl_easy_init();
	if (!c) {
		rc = fail(out, SVC_ERROR, "cannot initialise libcurl");
		goto done;
	}
	errbuf[0] = '\0';
	if (curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf) ||
	    curl_easy_setopt(c, CURLOPT_URL, req->url) ||
	    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") ||
	    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") ||
	    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) ||
	    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) ||
	    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L) ||
	    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L) ||
	    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, total_ms) ||
	    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, connect_ms) ||
	    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE,
			     (curl_off_t)CHECK_REST_MAX_BODY) ||
	    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body) ||
	    curl_easy_setopt(c, CURLOPT_WRITEDATA, &call) ||
	    curl_easy_setopt(c, CURLOPT_USERAGENT, "svcconn") ||
	    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h.list)) {
		rc = fail(out, SVC_ERROR, "cannot set up libcurl: %s",
			  *errbuf ? errbuf : "unsupported option");
		goto done;
	}
	if (req->body) {
		res = curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
				       (curl_off_t)strlen(req->body));
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
	if (!res && req->username) {
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
	if (res) {
		rc = fail(out, SVC_ERROR, "cannot set up libcurl: %s",
			  curl_easy_strerror(res));
		goto done;
	}

	res = curl_easy_perform(c);
	if (res != CURLE_OK) {
		buf_clear(&out->body);
		rc = transfer_error(out, c, res, &call, req->url, errbuf,
				    total_ms, connect_ms);
		goto done;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
	rc = 0;
done:
	curl_easy_cleanup(c);
	hdrs_free(&h);
	return rc;
}

/* ------------------------------------------------------------------------
 * Success criteria
 */

/** Building a ynode tree from a JSON value. */
struct conv {
	ydoc *doc;      /**< owner of the nodes */
	size_t nodes;   /**< nodes made so far */
};

static ynode *scalar(struct conv *cv, const char *s, size_t len, int plain)
{
	ynode *n = ydoc_node_new(cv->doc, YNODE_SCALAR, NULL);

	if (!n || ynode_set_scalar(n, s, len) != 0)
		return NULL;
	n->plain = plain;
	return n;
}

/* Convert j; NULL with the last error set on failure.  *limit set to 1
   when a limit (depth, nodes) was hit rather than memory. */
static ynode *convert(struct conv *cv, json_t *j, unsigned depth, int *limit)
{
	char num[64];
	ynode *n = NULL, *k, *v;
	const char *key;
	json_t *item;
	size_t i;

	if (depth > REST_MAX_DEPTH || ++cv->nodes > REST_MAX_NODES) {
		*limit = 1;
		return NULL;
	}
	switch (json_typeof(j)) {
	case JSON_OBJECT:
		if (!(n = ydoc_node_new(cv->doc, YNODE_MAP, NULL)))
			return NULL;
		json_object_foreach(j, key, item) {
			if (!(k = scalar(cv, key, strlen(key), 0)) ||
			    !(v = convert(cv, item, depth + 1, limit)) ||
			    ynode_append(n, k) != 0 || ynode_append(n, v) != 0)
				return NULL;
		}
		return n;
	case JSON_ARRAY:
		if (!(n = ydoc_node_new(cv->doc, YNODE_SEQ, NULL)))
			return NULL;
		json_array_foreach(j, i, item) {
			if (!(v = convert(cv, item, depth + 1, limit)) ||
			    ynode_append(n, v) != 0)
				return NULL;
		}
		return n;
	case JSON_STRING:
		return scalar(cv, json_string_value(j), json_string_length(j),
			      0);
	case JSON_INTEGER:
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
			 json_integer_value(j));
		return scalar(cv, num, strlen(num), 1);
	case JSON_REAL:
		snprintf(num, sizeof(num), "%.17g", json_real_value(j));
		return scalar(cv, num, strlen(num), 1);
	case JSON_TRUE:
		return scalar(cv, "true", 4, 1);
	case JSON_FALSE:
		return scalar(cv, "false", 5, 1);
	case JSON_NULL:
	default:
		return scalar(cv, "null", 4, 1);
	}
}

static int lookup_root(void *ctx, const char *name, evalue *out)
{
	if (strcasecmp(name, "root") == 0)
		return evalue_from_node(out, ctx);
	return SVC_ENOTFOUND;
}

/* Set *why (when asked) and the last error; returns code. */
static int why_set(char **why, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int why_set(char **why, int code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (why) {
		*why = strdup(msg);
		if (!*why)
			return error_oom();
	}
	return error_set(code, "%s", msg);
}

int check_rest_success(int *ok, const char *expression, const char *json_body,
		       size_t len, char **why)
{
	evalue v = EVALUE_INIT;
	struct conv cv = { NULL, 0 };
	expr_env env = { lookup_root, NULL };
	json_error_t jerr;
	json_t *j = NULL;
	const char *s, *e;
	ynode *root;
	char *err = NULL;
	int rc, limit = 0;

	s = expression ? expression : "";
	e = s + strlen(s);
	while (s < e && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'))
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' ||
			 e[-1] == '\r'))
		e--;
	if (s == e)
		return why_set(why, SVC_EINVALID,
			       "invalid success criteria: empty expression "
			       "(without criteria, any 2xx status passes)");
	if (len > CHECK_REST_MAX_BODY)
		return why_set(why, SVC_EINVALID,
			       "response is not JSON: larger than %zu bytes",
			       CHECK_REST_MAX_BODY);
	j = json_loadb(json_body ? json_body : "", json_body ? len : 0,
		       JSON_DECODE_ANY | JSON_REJECT_DUPLICATES |
		       JSON_DECODE_INT_AS_REAL, &jerr);
	if (!j)
		return why_set(why, SVC_EINVALID,
			       "response is not JSON: %s at line %d column %d",
			       jerr.text, jerr.line, jerr.column);
	if ((rc = ydoc_new(&cv.doc, "response")) != 0)
		goto done;
	root = convert(&cv, j, 0, &limit);
	if (!root) {
		rc = limit ? why_set(why, SVC_EINVALID,
				     "response is too large or deep to "
				     "evaluate (more than %zu values or %d "
				     "levels)", REST_MAX_NODES, REST_MAX_DEPTH)
			   : error_oom();
		goto done;
	}
	env.ctx = root;
	rc = expr_eval(&v, s, (size_t)(e - s), &env, &err);
	if (rc != 0) {
		rc = why_set(why, rc, "invalid success criteria: %s",
			     err ? err : svc_error_last());
		goto done;
	}
	*ok = evalue_truthy(&v);
done:
	evalue_clear(&v);
	free(err);
	ydoc_free(cv.doc);
	json_decref(j);
	return rc;
}
