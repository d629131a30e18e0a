/*
 * rest.c - the Invoke-REST-API check: one HTTP call (net/http.c), and the
 * success criteria evaluated on its JSON response (see checkutil.h).
 *
 * The call itself is net/http.c, svcconn's one HTTP client (http and https
 * only, redirects never followed, TLS verified, connect and total timeouts,
 * a bounded body, proxies from the environment, one-line failures naming
 * the peer by host and port only).  What is built here is the header list:
 * the run's default headers, then the check's headers JSON, whose values
 * may be tokens (jansson's copies are wiped; http_headers_add validates
 * every name and value and refuses, never strips, a control character).
 * Basic credentials go to http_call as they are, never copied here.
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

#include <jansson.h>

#include "svcconn/errors.h"
#include "svcconn/secret.h"
#include "errors_int.h"
#include "exchange/yaml_doc.h"
#include "pipeline/expr.h"
#include "net/http.h"
#include "util/buf.h"

/** Longest headers JSON accepted, in bytes. */
#define REST_MAX_HEADER ((size_t)64 * 1024)
/** Deepest JSON response accepted for success criteria. */
#define REST_MAX_DEPTH 256
/** Most values in a JSON response accepted for success criteria. */
#define REST_MAX_NODES ((size_t)200000)

/* ------------------------------------------------------------------------
 * The call: the request's headers, then net/http.c
 */

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

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	free(out->error);
	out->error = strdup(msg);
	if (!out->error)
		return error_oom();
	return error_set(code, "%s", msg);
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

/* A header from http_headers_add's refusal into out. */
static int hdr_add(rest_response *out, http_headers *h, const char *name,
		   size_t nlen, const char *value, size_t vlen,
		   const char *what)
{
	int rc = http_headers_add(h, name, nlen, value, vlen, what);

	return rc ? fail(out, rc, "%s", svc_error_last()) : 0;
}

static int build_headers(rest_response *out, http_headers *h,
			 const rest_request *req)
{
	const char *const *d;
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
		if ((rc = hdr_add(out, h, *d, (size_t)(colon - *d), val,
				  strlen(val), "default")) != 0)
			return rc;
	}
	if (!req->headers_json || !*req->headers_json)
		return 0;
	if (strlen(req->headers_json) > REST_MAX_HEADER)
		return fail(out, SVC_EINVALID, "headers JSON too large");
	obj = json_loadb(req->headers_json, strlen(req->headers_json),
			 JSON_REJECT_DUPLICATES, &jerr);
	if (!obj)
		return fail(out, SVC_EINVALID, "invalid headers JSON: %s",
			    jerr.text);
	if (!json_is_object(obj)) {
		rc = fail(out, SVC_EINVALID,
			  "invalid headers JSON: not an object");
		goto done;
	}
	json_object_foreach(obj, key, v) {
		if (!json_is_string(v)) {
			rc = fail(out, SVC_EINVALID, "header '%.64s' in headers "
				  "JSON is not a string", key);
			goto done;
		}
		if (is_default(req, key)) {
			rc = fail(out, SVC_EINVALID, "header '%.64s' is set by "
				  "svcconn and cannot be overridden", key);
			goto done;
		}
		if ((rc = hdr_add(out, h, key, strlen(key),
				  json_string_value(v), json_string_length(v),
				  "custom")) != 0)
			goto done;
	}
done:
	/* the values may be tokens: wipe jansson's copies */
	json_object_foreach(obj, key, v)
		if (json_is_string(v))
			svc_wipe((char *)json_string_value(v),
				 json_string_length(v));
	json_decref(obj);
	return rc;
}

int check_rest_call(rest_response *out, const rest_request *req)
{
	http_headers h = HTTP_HEADERS_INIT;
	http_request hr;
	http_response resp;
	int rc;

	out->status = 0;
	out->error = NULL;
	buf_init(&out->body, CHECK_REST_MAX_BODY, 0);
	memset(&resp, 0, sizeof(resp));
	if (!req || !req->url || !req->method)
		return fail(out, SVC_EINVALID, "no method or URL given");
	if ((rc = build_headers(out, &h, req)) != 0)
		goto done;
	memset(&hr, 0, sizeof(hr));
	hr.method = req->method;
	hr.url = req->url;
	hr.headers = &h;
	hr.body = req->body;
	hr.body_len = req->body ? strlen(req->body) : 0;
	if (req->username) {
		hr.auth = HTTP_AUTH_BASIC;
		hr.username = req->username;
		hr.password = req->password;
	}
	hr.timeout_ms = req->timeout_ms ? req->timeout_ms
					: CHECK_REST_DEFAULT_TIMEOUT_MS;
	hr.connect_timeout_ms = CHECK_REST_CONNECT_TIMEOUT_MS;
	hr.max_body = CHECK_REST_MAX_BODY;
	rc = http_call(&resp, &hr);
	if (rc != 0) {
		rc = fail(out, rc, "%s", resp.error ? resp.error
					            : svc_error_last());
		goto done;
	}
	out->status = resp.status;
	buf_clear(&out->body);
	out->body = resp.body;          /* handed over */
	buf_init(&resp.body, CHECK_REST_MAX_BODY, 0);
done:
	http_response_clear(&resp);
	http_headers_clear(&h);
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
