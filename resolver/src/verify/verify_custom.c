/*
 * verify_custom.c - the verifier of custom connection types: the one HTTP
 * request their definition describes (svc_verify_request in
 * svcconn/catalog.h, docs/custom-types.md).
 *
 * Templates are expanded here: "{url}" is the connection's URL without a
 * trailing '/', "{key}" the value of a field.  In the URL a field's value
 * is percent-encoded, but for a field that starts the template (a base
 * such as an authority, validated as a URL when the definition was read);
 * a form value is encoded whole.  Either way a value
 * cannot add a path segment, a query parameter or a form field.  The definition was checked when it was read:
 * every template names only url or fields of the type.  Buffers that hold
 * a secret (the form, the URL when a field went into it) are wiped.
 */
#include <stdlib.h>
#include <string.h>

#include "verify/verify_int.h"
#include "errors_int.h"
#include "util/buf.h"

/*
 * Append template t expanded for connection c to out.  In a URL (in_url),
 * "{url}" and a field that starts the template go in as they are (the
 * URL's base, without a trailing '/') and other field values
 * percent-encoded; elsewhere everything goes in as it is (the caller
 * encodes the whole).
 */
static int expand(svc_buf *out, const char *t, const svc_conn *c, int in_url)
{
	const char *p = t;
	int rc = 0;

	while (rc == 0 && *p) {
		const char *open = strchr(p, '{'), *close, *v;
		char key[128];
		size_t n;

		if (!open)
			return buf_puts(out, p);
		if ((rc = buf_put(out, p, (size_t)(open - p))) != 0)
			break;
		close = strchr(open, '}');
		n = close ? (size_t)(close - open - 1) : sizeof(key);
		if (n >= sizeof(key))
			return error_set(SVC_EINVALID, "a template holds an unbalanced '{'");
		memcpy(key, open + 1, n);
		key[n] = '\0';
		if (strcmp(key, "url") == 0 || (in_url && open == t)) {
			/* the URL's base: the connection's URL, or a field
			 * (validated as a URL) that starts the template */
			v = strcmp(key, "url") == 0 ? svc_conn_url(c)
						    : verify_field(c, key);
			v = v ? v : "";
			n = strlen(v);
			while (n && v[n - 1] == '/')
				n--;
			rc = buf_put(out, v, n);
		} else {
			v = verify_field(c, key);
			n = v ? strlen(v) : 0;
			rc = in_url ? vc_urlencode(out, v ? v : "", n)
				    : buf_put(out, v ? v : "", n);
		}
		p = close + 1;
	}
	return rc;
}

/* The form body of q for c ("a=1&b=2", names and values encoded). */
static int form_body(svc_buf *out, const svc_verify_request *q,
		     const svc_conn *c)
{
	svc_buf value;
	size_t i;
	int rc = 0;

	buf_init(&value, 64 * 1024, 1);
	for (i = 0; rc == 0 && i < q->nform; i++) {
		buf_reset(&value);
		if ((i && (rc = buf_putc(out, '&')) != 0) ||
		    (rc = vc_urlencode(out, q->form[i].name,
				       strlen(q->form[i].name))) != 0 ||
		    (rc = buf_putc(out, '=')) != 0 ||
		    (rc = expand(&value, q->form[i].value, c, 0)) != 0)
			break;
		rc = vc_urlencode(out, value.ptr ? value.ptr : "", value.len);
	}
	buf_clear(&value);
	return rc;
}

int verify_custom(svc_verify_result *out, const svc_type *t,
		  const svc_conn *c, const svc_verify_options *o)
{
	const svc_verify_request *q = t->verify;
	svc_buf url, body;
	http_request req;
	http_response r;
	char *target = NULL;
	int rc, call;

	if (!q)
		return verify_set(out, SVC_VERIFY_LOCAL, NULL,
				  "type '%s' defines no verify request: its fields were checked when the connection was stored",
				  t->id);
	buf_init(&url, 64 * 1024, 1);
	buf_init(&body, 256 * 1024, 1);
	memset(&r, 0, sizeof(r));
	if ((rc = expand(&url, q->url, c, 1)) != 0 ||
	    (rc = form_body(&body, q, c)) != 0)
		goto done;
	verify_http_init(&req, c, o);
	req.method = q->method;
	req.url = url.ptr ? url.ptr : "";
	if (q->nform) {
		req.body = body.ptr ? body.ptr : "";
		req.body_len = body.len;
		req.content_type = "application/x-www-form-urlencoded";
	}
	if (q->auth && strcmp(q->auth, "basic") == 0) {
		req.auth = HTTP_AUTH_BASIC;
		req.username = q->auth_username ? verify_field(c, q->auth_username) : NULL;
		req.password = verify_field(c, q->auth_secret);
		if (!req.username)
			req.username = "";
	} else if (q->auth) {
		req.auth = strcmp(q->auth, "bearer") == 0 ? HTTP_AUTH_BEARER
							  : HTTP_AUTH_HEADER;
		req.token = verify_field(c, q->auth_secret);
		req.auth_header = q->auth_header;
		if (!req.token) {
			rc = verify_set(out, SVC_VERIFY_INVALID, NULL,
					"field '%s' is empty: nothing to authenticate with",
					q->auth_secret);
			goto done;
		}
	}
	target = verify_target(q->method, req.url);
	call = http_call(&r, &req);
	if (call == 0 && r.status == q->expect_status) {
		rc = verify_set(out, SVC_VERIFY_OK, target,
				"%s: HTTP %ld, as expected",
				target ? target : q->method, r.status);
		out->http_status = (int)r.status;
		goto done;
	}
	rc = verify_http_answer(out, target, call, &r);
	if (rc == 0) /* a 2xx that is not the status expected */
		rc = verify_set(out, SVC_VERIFY_UNEXPECTED, target,
				"%s: HTTP %ld, expected %d",
				target ? target : q->method, r.status,
				q->expect_status);
	else if (rc == 1)
		rc = 0;
done:
	http_response_clear(&r);
	buf_clear(&url);
	buf_clear(&body);
	free(target);
	return rc;
}
