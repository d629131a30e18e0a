/*
 * remote.c - the client of svcconn-server (see svcconn/remote.h): each
 * verb is one call through the library's one HTTP client (net/http.c:
 * TLS verified, redirects never followed, the response body bounded),
 * its JSON read back into the structures the ops layer returns, and a
 * refusal mapped back to the library's codes with the server's message.
 *
 * A 503 (the server's store cannot reach its database: nothing was done)
 * is SVC_EUNAVAIL.  An idempotent call (GET, a job's renew and complete)
 * answered 503 is made again after the answer's Retry-After (1 to 10 s;
 * without one 1, 2, 4, 8 s), for at most REMOTE_UNAVAIL_WAIT_S seconds in
 * all; any other call (a job's start above all, which the server may
 * have recorded when its database went away at the commit) is not, and
 * its error says that it may be tried again.
 *
 * Request bodies that carry secrets live in a secret buffer, wiped once
 * sent; the token lives in one, too, and goes only into the bearer
 * header.  Responses never carry a secret (the server writes secret
 * parameters as null and lists which are set in "setSecrets"), except a
 * job start's, whose body is read into a secret buffer and kept as the
 * job's endpoints' JSON text in wiped memory (svc_remote_job).
 */
#include <malloc.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "svcconn/authz.h"
#include "svcconn/errors.h"
#include "svcconn/ops.h"
#include "svcconn/remote.h"
#include "svcconn/secret.h"
#include "svcconn/store.h"
#include "errors_int.h"
#include "remote/remote_int.h"
#include "net/http.h"
#include "pipeline/template.h"
#include "resolve/plan_int.h"
#include "store/store_int.h"
#include "util/buf.h"
#include "util/fileio.h"

/** The most a response of the server may hold. */
#define REMOTE_MAX_BODY ((size_t)8 * 1024 * 1024)
/** Longest wait, in all, for a server whose database is unavailable. */
#define REMOTE_UNAVAIL_WAIT_S 30
/** The most a login or token file may hold. */
#define REMOTE_MAX_FILE ((size_t)64 * 1024)

struct svc_remote {
	char *root;      /**< scheme://host[:port], no trailing slash */
	char *project;   /**< root + "/ORG/PROJECT" */
	svc_buf token;   /**< the token (secret buffer) */
	svc_buf ca;      /**< PEM of the CA file, or empty */
	long timeout_ms; /**< per call */
};

/* ---- the client ---------------------------------------------------------- */

int svc_remote_new(svc_remote **out, const svc_remote_options *o)
{
	svc_remote *r;
	const char *rest, *path;
	size_t n;
	int rc;

	*out = NULL;
	if (!o || o->version != SVC_REMOTE_OPTIONS_VERSION || !o->url)
		return error_set(SVC_EINVALID, "remote options: bad version or no URL");
	if (strncmp(o->url, "https://", 8) == 0)
		rest = o->url + 8;
	else if (strncmp(o->url, "http://", 7) == 0)
		rest = o->url + 7;
	else
		return error_set(SVC_EINVALID,
				 "server URL '%s' is not an https:// URL", o->url);
	/* plain HTTP only to this host (tests), as the server serves it */
	if (rest == o->url + 7 && strncmp(rest, "127.", 4) != 0 &&
	    strncmp(rest, "[::1]", 5) != 0 && strncmp(rest, "localhost", 9) != 0)
		return error_set(SVC_EINVALID,
				 "server URL '%s': plain http:// only to a loopback address",
				 o->url);
	if (strpbrk(o->url, "?#@ \t\r\n"))
		return error_set(SVC_EINVALID,
				 "server URL '%s': no user, query or fragment",
				 o->url);
	if (!o->token || !o->token_len || memchr(o->token, '\n', o->token_len) ||
	    memchr(o->token, '\r', o->token_len))
		return error_set(SVC_EINVALID, "the access token is empty or holds a line break");
	if (!(r = calloc(1, sizeof(*r))))
		return error_oom();
	buf_init(&r->token, 4096, 1);
	buf_init(&r->ca, 1024 * 1024, 0);
	r->timeout_ms = o->timeout_ms;
	path = strchr(rest, '/');
	n = path ? (size_t)(path - o->url) : strlen(o->url);
	if (!(r->root = strndup(o->url, n))) {
		rc = error_oom();
		goto fail;
	}
	/* the project: the URL's path, else the default organization's */
	{
		svc_buf p = SVC_BUF_INIT;
		size_t plen = path ? strlen(path) : 0;

		while (plen && path[plen - 1] == '/')
			plen--;
		if (buf_puts(&p, r->root) ||
		    (plen ? buf_put(&p, path, plen)
			  : buf_puts(&p, "/default/default"))) {
			buf_clear(&p);
			rc = error_oom();
			goto fail;
		}
		r->project = buf_detach(&p, NULL);
	}
	if ((rc = buf_put(&r->token, o->token, o->token_len)))
		goto fail;
	if (o->ca_file && (rc = file_read_all(&r->ca, o->ca_file))) {
		rc = error_set(SVC_EINVALID, "cannot read CA file '%s': %s",
			       o->ca_file, svc_error_last());
		goto fail;
	}
	*out = r;
	return 0;
fail:
	svc_remote_free(r);
	return rc;
}

int svc_remote_set_project(svc_remote *r, const char *project)
{
	static const char hex[] = "0123456789ABCDEF";
	const char *last = strrchr(r->project, '/');
	const unsigned char *q;
	svc_buf p = SVC_BUF_INIT;
	int rc;

	if (!project || !*project)
		return error_set(SVC_EINVALID, "no project name given");
	/* r->project is root + "/ORG/PROJECT": the last segment goes */
	rc = buf_put(&p, r->project, (size_t)(last - r->project) + 1);
	for (q = (const unsigned char *)project; !rc && *q; q++)
		rc = (*q >= 'A' && *q <= 'Z') || (*q >= 'a' && *q <= 'z') ||
		     (*q >= '0' && *q <= '9') || strchr("-._~", *q)
			? buf_put(&p, q, 1)
			: buf_printf(&p, "%%%c%c", hex[*q >> 4], hex[*q & 15]);
	if (rc) {
		buf_clear(&p);
		return rc;
	}
	free(r->project);
	r->project = buf_detach(&p, NULL);
	return 0;
}

void svc_remote_free(svc_remote *r)
{
	if (!r)
		return;
	buf_clear(&r->token);
	buf_clear(&r->ca);
	free(r->root);
	free(r->project);
	free(r);
}

/* ---- one call -------------------------------------------------------------- */

/* The library's code of an HTTP status that is not a success. */
static int status_code(long status)
{
	switch (status) {
	case 400: case 413: case 415: return SVC_EINVALID;
	case 401: case 403: return SVC_EDENIED;
	case 404: return SVC_ENOTFOUND;
	case 409: return SVC_EEXISTS;
	case 503: return SVC_EUNAVAIL;
	default: return SVC_ERROR;
	}
}

/* Percent-encode s (a path segment) onto b: unreserved bytes as they are. */
static int put_segment(svc_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p; p++) {
		int ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			 (*p >= '0' && *p <= '9') || strchr("-._~", *p);
		char e[3] = { '%', hex[*p >> 4], hex[*p & 15] };

		if (ok ? buf_putc(b, (char)*p) : buf_put(b, e, 3))
			return SVC_ERROR;
	}
	return 0;
}

/*
 * Seconds to wait before the next try of a call answered 503 (res), the
 * tries so far, and *waited (seconds waited so far, increased); 0: no
 * more tries.
 */
static unsigned unavail_wait(const http_response *res, unsigned tries,
			     unsigned *waited)
{
	char *ra = http_response_header(res, "Retry-After");
	unsigned long s = 0;
	char *end;

	if (ra) {
		s = strtoul(ra, &end, 10);
		if (end == ra || *end)
			s = 0;
		free(ra);
	}
	if (s == 0)
		s = tries < 4 ? 1ul << tries : 8;
	if (s > 10)
		s = 10;
	if (*waited + s > REMOTE_UNAVAIL_WAIT_S)
		return 0;
	*waited += (unsigned)s;
	return (unsigned)s;
}

/*
 * method base/path[/seg] with body (NULL: none; wiped by the caller); the
 * JSON of the answer into *out (NULL for 204 or when out is NULL).  A
 * status other than 2xx: its code, with the server's message.  The
 * answer is read into wiped memory (a job's start holds secrets).
 * idempotent: a 503 is tried again (see the top of the file).
 */
static int call_ex(json_t **out, svc_remote *r, const char *method,
		   const char *base, const char *path, const char *seg,
		   const svc_buf *body, int idempotent)
{
	unsigned tries = 0, waited = 0, wait;
	http_request req;
	http_response res;
	svc_buf url = SVC_BUF_INIT;
	json_error_t jerr;
	json_t *v = NULL;
	int rc;

	if (out)
		*out = NULL;
	if (buf_printf(&url, "%s/%s", base, path) ||
	    (seg && (buf_putc(&url, '/') || put_segment(&url, seg))) ||
	    buf_puts(&url, strchr(path, '?') ? "&api-version=7.1"
					     : "?api-version=7.1")) {
		buf_clear(&url);
		return error_oom();
	}
	memset(&req, 0, sizeof(req));
	req.method = method;
	req.url = url.ptr;
	req.body = body ? body->ptr : NULL;
	req.body_len = body ? body->len : 0;
	req.auth = HTTP_AUTH_BEARER;
	req.token = r->token.ptr;
	req.timeout_ms = r->timeout_ms;
	req.ca_pem = r->ca.len ? r->ca.ptr : NULL;
	req.max_body = REMOTE_MAX_BODY;
	for (;;) {
		rc = http_call(&res, &req);
		if (rc || res.status != 503 || !idempotent ||
		    !(wait = unavail_wait(&res, tries++, &waited)))
			break;
		http_response_clear(&res);
		{
			struct timespec ts = { (time_t)wait, 0 };

			while (nanosleep(&ts, &ts) != 0)
				;
		}
	}
	if (rc) {
		rc = error_set(rc, "server %s: %s", r->root, svc_error_last());
		goto done;
	}
	if (res.body.len)
		v = json_loadb(res.body.ptr, res.body.len, 0, &jerr);
	if (res.status == 503) {
		json_t *m = json_object_get(v, "message");

		rc = error_set(SVC_EUNAVAIL,
			       "%s (503: server %s cannot reach its database now; %s)",
			       json_is_string(m) ? json_string_value(m)
						 : "unavailable",
			       r->root,
			       idempotent ? "gave up after waiting"
					  : "nothing was retried: try again later");
		goto done;
	}
	if (res.status < 200 || res.status > 299) {
		json_t *m = json_object_get(v, "message");

		rc = json_is_string(m)
			? error_set(status_code(res.status), "%s",
				    json_string_value(m))
			: error_set(status_code(res.status),
				    "server %s answered %s %s with status %ld",
				    r->root, method, path, res.status);
		goto done;
	}
	if (out && res.status != 204) {
		if (!v) {
			rc = error_set(SVC_ERROR,
				       "server %s: the answer to %s %s is not JSON",
				       r->root, method, path);
			goto done;
		}
		*out = v;
		v = NULL;
	}
done:
	json_decref(v);
	http_response_clear(&res);
	buf_clear(&url);
	return rc;
}

/* call_ex, GETs tried again after a 503. */
static int call(json_t **out, svc_remote *r, const char *method,
		const char *base, const char *path, const char *seg,
		const svc_buf *body)
{
	return call_ex(out, r, method, base, path, seg, body,
		       !strcmp(method, "GET"));
}


/* ---- JSON and connections ---------------------------------------------------- */

static const char *str_of(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* A copy of member key of o (a string) into *out, NULL when absent. */
static int dup_member(char **out, json_t *o, const char *key)
{
	const char *v = str_of(o, key);

	*out = NULL;
	if (v && !(*out = strdup(v)))
		return error_oom();
	return 0;
}

/* The fields of object o (data or parameters) onto c as kind. */
static int fields_from(svc_conn *c, json_t *o, svc_field_kind kind)
{
	const char *k;
	json_t *v;
	int rc;

	json_object_foreach(o, k, v) {
		if (!json_is_string(v))
			continue;
		if ((rc = svc_conn_set_field(c, k, json_string_value(v),
					     json_string_length(v))) ||
		    (rc = svc_conn_set_field_class(c, k, kind, 0)))
			return rc;
	}
	return 0;
}

/*
 * A ServiceEndpoint of the server as a connection: its secrets not
 * loaded, or loaded as secret fields when the endpoint carries them (a
 * job's).
 */
int remote_conn_from(svc_conn **out, json_t *e)
{
	json_t *auth = json_object_get(e, "authorization"), *set, *v;
	const char *name = str_of(e, "name"), *type = str_of(e, "type");
	svc_conn *c = NULL;
	size_t i;
	int rc;

	*out = NULL;
	if (!name || !type)
		return error_set(SVC_ERROR, "the server sent a connection without a name or type");
	if ((rc = svc_conn_new(&c, type, name)))
		return rc;
	if ((str_of(e, "id") && (rc = svc_conn_set_id(c, str_of(e, "id")))) ||
	    (str_of(auth, "scheme") &&
	     (rc = svc_conn_set_scheme(c, str_of(auth, "scheme")))) ||
	    (str_of(e, "url") && (rc = svc_conn_set_url(c, str_of(e, "url")))) ||
	    (str_of(e, "description") &&
	     (rc = svc_conn_set_description(c, str_of(e, "description")))) ||
	    (rc = svc_conn_set_meta(c, str_of(json_object_get(e, "createdBy"),
					      "displayName"),
				    str_of(e, "createdAt"),
				    str_of(json_object_get(e, "updatedBy"),
					   "displayName"),
				    str_of(e, "updatedAt"))) ||
	    (rc = fields_from(c, json_object_get(auth, "parameters"),
			      SVC_FIELD_AUTH)) ||
	    (rc = fields_from(c, json_object_get(e, "data"), SVC_FIELD_DATA)))
		goto fail;
	svc_conn_set_all_pipelines(c, json_is_true(json_object_get(e, "allPipelines")));
	set = json_object_get(e, "setSecrets");
	json_array_foreach(set, i, v) {
		const char *k = json_string_value(v);
		json_t *d = json_object_get(json_object_get(e, "data"), k ? k : "");
		svc_field_kind kind = d ? SVC_FIELD_DATA : SVC_FIELD_AUTH;

		if (!k)
			continue;
		if (!d)
			d = json_object_get(json_object_get(auth, "parameters"), k);
		/* a job's endpoints carry their secrets: secret fields */
		rc = json_is_string(d) ? svc_conn_set_field_class(c, k, kind, 1)
				       : svc_conn_set_field_unloaded(c, k, kind);
		if (rc)
			goto fail;
	}
	*out = c;
	return 0;
fail:
	svc_conn_free(c);
	return rc;
}

/*
 * The ServiceEndpoint JSON of c, with svcconn's allPipelines: its loaded
 * secrets included (write-only), the ones not loaded left out (kept as
 * stored); NULL when
 * out of memory.  The process wipes JSON it frees (svc_json_wipe_on_free).
 */
static json_t *endpoint_of(const svc_conn *c, const char *const *unset,
			   size_t nunset)
{
	json_t *params = json_object(), *data = json_object(), *o;
	size_t i, n = svc_conn_field_count(c);
	svc_conn_field f;

	for (i = 0; i < n; i++) {
		if (svc_conn_field_at(c, i, &f) || f.kind == SVC_FIELD_URL ||
		    !f.value)
			continue;
		json_object_set_new(f.kind == SVC_FIELD_DATA ? data : params,
				    f.key, json_stringn(f.value, f.len));
	}
	o = json_pack("{s:s, s:s, s:s*, s:s*, s:{s:s*, s:o}, s:o, s:b}",
		      "name", svc_conn_name(c), "type", svc_conn_type(c),
		      "url", svc_conn_url(c), "description",
		      svc_conn_description(c), "authorization", "scheme",
		      svc_conn_scheme(c), "parameters", params, "data", data,
		      "allPipelines", svc_conn_all_pipelines(c));
	/* svcconn's own: the fields an update removes */
	if (o && nunset) {
		json_t *a = json_array();

		for (i = 0; a && i < nunset; i++)
			json_array_append_new(a, json_string(unset[i]));
		if (!a || json_object_set_new(o, "unset", a)) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

/* The text of o (the reference is taken) into the secret buffer *out. */
static int secret_body(svc_buf *out, json_t *o)
{
	char *s;
	int rc = 0;

	buf_init(out, REMOTE_MAX_BODY, 1);
	if (!o || !(s = json_dumps(o, JSON_COMPACT))) {
		json_decref(o);
		return error_oom();
	}
	if (buf_puts(out, s))
		rc = error_oom();
	svc_wipe(s, strlen(s));
	free(s);
	json_decref(o);
	return rc;
}

/* ---- the verbs ------------------------------------------------------------- */

/*
 * GET base/path[/seg] and its array member: the answer into *v (release
 * it), the array into *a, and a zeroed array of as many elements of
 * elsize bytes into *arr (NULL when empty).
 */
static int get_array_at(json_t **v, json_t **a, void **arr, size_t elsize,
			svc_remote *r, const char *base, const char *path,
			const char *seg, const char *member)
{
	int rc;

	*arr = NULL;
	if ((rc = call(v, r, "GET", base, path, seg, NULL)))
		return rc;
	*a = json_object_get(*v, member);
	if (json_array_size(*a) &&
	    !(*arr = calloc(json_array_size(*a), elsize))) {
		json_decref(*v);
		return error_oom();
	}
	return 0;
}

/* get_array_at in the project acted in. */
static int get_array(json_t **v, json_t **a, void **arr, size_t elsize,
		     svc_remote *r, const char *path, const char *seg,
		     const char *member)
{
	return get_array_at(v, a, arr, elsize, r, r->project, path, seg,
			    member);
}

#define EP "_apis/serviceendpoint/endpoints"

int svc_remote_whoami(char **name, svc_remote *r)
{
	json_t *v;
	const char *n;
	int rc;

	*name = NULL;
	if ((rc = call(&v, r, "GET", r->root, "_apis/connectionData", NULL,
		       NULL)))
		return rc;
	n = str_of(json_object_get(v, "authenticatedUser"),
		   "providerDisplayName");
	if (!n)
		rc = error_set(SVC_ERROR, "server %s: connectionData names nobody",
			       r->root);
	else if (!(*name = strdup(n)))
		rc = error_oom();
	json_decref(v);
	return rc;
}

int svc_remote_conn_list(svc_conn ***out, size_t *count, svc_remote *r)
{
	json_t *v, *a, *e;
	svc_conn **list = NULL;
	size_t n = 0, i;
	int rc;

	*out = NULL;
	*count = 0;
	if ((rc = get_array(&v, &a, (void **)&list, sizeof(*list), r, EP,
			    NULL, "value")))
		return rc;
	json_array_foreach(a, i, e) {
		if ((rc = remote_conn_from(&list[n], e))) {
			svc_store_conn_list_free(list, n);
			json_decref(v);
			return rc;
		}
		n++;
	}
	json_decref(v);
	*out = list;
	*count = n;
	return 0;
}

int svc_remote_conn_get(svc_conn **out, svc_remote *r, const char *name_or_id)
{
	return svc_remote_conn_get_refs(out, NULL, NULL, NULL, r, name_or_id);
}

/*
 * The serviceEndpointProjectReferences a of an endpoint: the first's
 * project name (the owner) into *project, the others into *shares.
 */
static int project_refs_from(char **project, svc_share **shares,
			     size_t *count, json_t *a)
{
	size_t i, n = json_array_size(a);
	int rc = 0;

	if (!n)
		return 0;
	if ((rc = dup_member(project, json_object_get(json_array_get(a, 0),
						      "projectReference"),
			     "name")))
		return rc;
	if (n > 1 && !(*shares = calloc(n - 1, sizeof(**shares))))
		return error_oom();
	for (i = 1; i < n; i++) {
		svc_share *s = &(*shares)[i - 1];
		json_t *e = json_array_get(a, i),
		       *pr = json_object_get(e, "projectReference");

		*count = i;
		if ((rc = dup_member(&s->project_id, pr, "id")) ||
		    (rc = dup_member(&s->project, pr, "name")) ||
		    (rc = dup_member(&s->name, e, "name")) ||
		    (rc = dup_member(&s->description, e, "description")))
			return rc;
		if (!s->project || !s->name)
			return error_set(SVC_ERROR, "the server sent a project reference without a project or name");
	}
	return 0;
}

int svc_remote_conn_get_refs(svc_conn **out, char **project,
			     svc_share **shares, size_t *count, svc_remote *r,
			     const char *name_or_id)
{
	char *pj = NULL;
	svc_share *sh = NULL;
	size_t n = 0;
	json_t *v;
	int rc;

	*out = NULL;
	if ((rc = call(&v, r, "GET", r->project, EP, name_or_id, NULL)))
		return rc;
	if ((rc = remote_conn_from(out, v)) == 0 && project &&
	    (rc = project_refs_from(&pj, &sh, &n,
				    json_object_get(v, "serviceEndpointProjectReferences")))) {
		svc_conn_free(*out);
		*out = NULL;
	}
	json_decref(v);
	if (rc || !project) {
		free(pj);
		svc_shares_free(sh, n);
		return rc;
	}
	*project = pj;
	*shares = sh;
	*count = n;
	return 0;
}

static int path_of(svc_buf *out, const char *path, const char *seg,
		   const char *key, const char *val);
static int verify_from(svc_verify_result *out, json_t *v);

/*
 * c's body sent by method (to EP, or EP/seg), c refreshed from the
 * answer; with vr, verified first (?verify=true) and the verification
 * into *vr.
 */
static int save(svc_remote *r, svc_conn *c, const char *method,
		const char *seg, svc_verify_result *vr,
		const char *const *unset, size_t nunset)
{
	svc_buf body, path;
	svc_conn *back = NULL;
	json_t *v = NULL;
	int rc;

	if ((rc = path_of(&path, EP, seg, vr ? "verify" : NULL, "true")))
		return rc;
	if ((rc = secret_body(&body, endpoint_of(c, unset, nunset))) == 0)
		rc = call(&v, r, method, r->project, path.ptr, NULL, &body);
	buf_clear(&body);
	buf_clear(&path);
	if (rc)
		return rc;
	if (vr && (rc = verify_from(vr, json_object_get(v, "verification")))) {
		json_decref(v);
		return rc;
	}
	if ((rc = remote_conn_from(&back, v)) == 0) {
		rc = svc_conn_set_id(c, svc_conn_id(back));
		if (!rc)
			rc = svc_conn_set_meta(c, svc_conn_created_by(back),
					       svc_conn_created_at(back),
					       svc_conn_updated_by(back),
					       svc_conn_updated_at(back));
	}
	svc_conn_free(back);
	json_decref(v);
	return rc;
}

int svc_remote_conn_create(svc_remote *r, svc_conn *c)
{
	return save(r, c, "POST", NULL, NULL, NULL, 0);
}

int svc_remote_conn_update(svc_remote *r, svc_conn *c)
{
	if (!svc_conn_id(c))
		return error_set(SVC_EINVALID, "connection '%s' has no id",
				 svc_conn_name(c));
	return save(r, c, "PUT", svc_conn_id(c), NULL, NULL, 0);
}

int svc_remote_conn_save_verified(svc_verify_result *out, svc_remote *r,
				  svc_conn *c)
{
	return svc_remote_conn_save(out, r, c, NULL, 0);
}

int svc_remote_conn_save(svc_verify_result *out, svc_remote *r, svc_conn *c,
			 const char *const *unset, size_t nunset)
{
	if (out)
		memset(out, 0, sizeof(*out));
	return svc_conn_id(c) ? save(r, c, "PUT", svc_conn_id(c), out, unset,
				     nunset)
			      : save(r, c, "POST", NULL, out, unset, nunset);
}

/* The verification v ({outcome, message, target, httpStatus}) into *out. */
static int verify_from(svc_verify_result *out, json_t *v)
{
	const char *name = str_of(v, "outcome");
	int o;

	memset(out, 0, sizeof(*out));
	for (o = SVC_VERIFY_OK; o <= SVC_VERIFY_LOCAL; o++)
		if (name && !strcmp(name, svc_verify_outcome_name(o)))
			break;
	if (o > SVC_VERIFY_LOCAL)
		return error_set(SVC_ERROR, "the server sent a verification without a known outcome");
	out->outcome = (svc_verify_outcome)o;
	out->http_status = (int)json_integer_value(json_object_get(v, "httpStatus"));
	if ((str_of(v, "message") && !(out->message = strdup(str_of(v, "message")))) ||
	    (str_of(v, "target") && !(out->target = strdup(str_of(v, "target"))))) {
		svc_verify_result_clear(out);
		return error_oom();
	}
	return 0;
}

int svc_remote_verify(svc_verify_result *out, svc_conn **conn, char **pinned,
		      svc_remote *r, const char *name_or_id, unsigned flags)
{
	svc_buf path;
	json_t *v = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	*conn = NULL;
	*pinned = NULL;
	if ((rc = path_of(&path, EP, name_or_id, NULL, NULL)))
		return rc;
	rc = buf_puts(&path, (flags & SVC_OPS_PIN_HOST_KEY)
				     ? "/verify?pinHostKey=true" : "/verify")
		     ? error_oom()
		     : call(&v, r, "POST", r->project, path.ptr, NULL, NULL);
	buf_clear(&path);
	if (rc)
		return rc;
	if ((rc = remote_conn_from(conn, json_object_get(v, "endpoint"))) ||
	    (rc = verify_from(out, v)))
		goto fail;
	if (str_of(v, "pinnedHostKeys") &&
	    !(*pinned = strdup(str_of(v, "pinnedHostKeys")))) {
		rc = error_oom();
		goto fail;
	}
	json_decref(v);
	return 0;
fail:
	svc_verify_result_clear(out);
	svc_conn_free(*conn);
	*conn = NULL;
	json_decref(v);
	return rc;
}

int svc_remote_export(char **text, size_t *len, size_t *count, svc_remote *r,
		      const char *const *names, size_t nnames)
{
	json_t *o = json_pack("{s:[]}", "names"), *v = NULL, *y;
	svc_buf body = SVC_BUF_INIT;
	char *s = NULL;
	size_t i;
	int rc;

	*text = NULL;
	*len = *count = 0;
	for (i = 0; o && i < nnames; i++)
		if (json_array_append_new(json_object_get(o, "names"),
					  json_string(names[i])))
			break;
	if (!o || i < nnames || !(s = json_dumps(o, JSON_COMPACT)) ||
	    buf_puts(&body, s)) {
		rc = error_oom();
		goto done;
	}
	if ((rc = call(&v, r, "POST", r->project, "_apis/svcconn/export", NULL,
		       &body)))
		goto done;
	y = json_object_get(v, "yaml");
	if (!json_is_string(y)) {
		rc = error_set(SVC_ERROR, "the server sent an export without its YAML");
		goto done;
	}
	if (!(*text = malloc(json_string_length(y) + 1))) {
		rc = error_oom();
		goto done;
	}
	memcpy(*text, json_string_value(y), json_string_length(y) + 1);
	*len = json_string_length(y);
	*count = (size_t)json_integer_value(json_object_get(v, "count"));
done:
	free(s);
	buf_clear(&body);
	json_decref(o);
	json_decref(v);
	return rc;
}

int svc_remote_conn_import(svc_remote *r, svc_conn **conns, size_t count,
			   unsigned flags)
{
	json_t *a = json_array();
	svc_buf body;
	size_t i;
	int rc;

	/* an import keeps the file's ids, as locally */
	for (i = 0; a && i < count; i++) {
		json_t *e = endpoint_of(conns[i], NULL, 0);

		if (!e || (svc_conn_id(conns[i]) &&
			   json_object_set_new(e, "id",
					       json_string(svc_conn_id(conns[i])))) ||
		    json_array_append_new(a, e))
			break;
	}
	if (!a || i < count) {
		json_decref(a);
		return error_oom();
	}
	if ((rc = secret_body(&body, json_pack("{s:o}", "value", a))) == 0)
		rc = call(NULL, r, "POST", r->project,
			  (flags & SVC_IMPORT_REPLACE)
				  ? "_apis/svcconn/import?replace=true"
				  : "_apis/svcconn/import",
			  NULL, &body);
	buf_clear(&body);
	return rc;
}

/* PATCH path/name_or_id with the JSON o (the reference is taken). */
static int patch(svc_remote *r, const char *path, const char *name_or_id,
		 json_t *o)
{
	svc_buf body = SVC_BUF_INIT;
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	int rc;

	json_decref(o);
	if (!s)
		return error_oom();
	rc = buf_puts(&body, s) ? error_oom()
				: call(NULL, r, "PATCH", r->project, path,
				       name_or_id, &body);
	free(s);
	buf_clear(&body);
	return rc;
}

int svc_remote_conn_rename(svc_remote *r, const char *name_or_id,
			   const char *new_name)
{
	return patch(r, EP, name_or_id, json_pack("{s:s}", "name", new_name));
}

int svc_remote_conn_delete(svc_remote *r, const char *name_or_id)
{
	return call(NULL, r, "DELETE", r->project, EP, name_or_id, NULL);
}

#define PERMS "_apis/pipelines/pipelinePermissions/endpoint"

int svc_remote_pipeline_list(char ***out, size_t *count, svc_remote *r,
			     const char *name_or_id)
{
	json_t *v, *a, *e;
	char **l = NULL;
	size_t i, n = 0;
	int rc;

	*out = NULL;
	*count = 0;
	if ((rc = get_array(&v, &a, (void **)&l, sizeof(*l), r, PERMS,
			    name_or_id, "pipelines")))
		return rc;
	json_array_foreach(a, i, e) {
		const char *id = str_of(e, "id");

		if (!id || !json_is_true(json_object_get(e, "authorized")))
			continue;
		if (!(l[n] = strdup(id))) {
			svc_strings_free(l, n);
			json_decref(v);
			return error_oom();
		}
		n++;
	}
	json_decref(v);
	*out = l;
	*count = n;
	return 0;
}

int svc_remote_pipeline_set(svc_remote *r, const char *name_or_id,
			    const char *pipeline, int allow)
{
	return patch(r, PERMS, name_or_id,
		     json_pack("{s:[{s:s, s:b}]}", "pipelines", "id",
				     pipeline, "authorized", allow));
}

int svc_remote_conn_set_all_pipelines(svc_remote *r, const char *name_or_id,
				      int all)
{
	return patch(r, PERMS, name_or_id,
		     json_pack("{s:{s:b}}", "allPipelines", "authorized",
				     all));
}

/* A new copy of member key of o, or NULL (absent, or no memory: *oom). */
static char *dup_of(json_t *o, const char *key, int *oom)
{
	const char *s = str_of(o, key);
	char *d = s ? strdup(s) : NULL;

	if (s && !d)
		*oom = 1;
	return d;
}

int svc_remote_cert_rescan(size_t *scanned, svc_remote *r)
{
	json_t *v;
	int rc;

	*scanned = 0;
	if ((rc = call(&v, r, "POST", r->project,
		       "_apis/serviceendpoint/certificateexpiry/rescan", NULL,
		       NULL)))
		return rc;
	*scanned = (size_t)json_integer_value(json_object_get(v, "scanned"));
	json_decref(v);
	return 0;
}

int svc_remote_cert_expiry_list(svc_cert_expiry **out, size_t *count,
				svc_remote *r)
{
	json_t *v, *a, *e;
	svc_cert_expiry *l = NULL;
	size_t i;
	int rc, oom = 0;

	*out = NULL;
	*count = 0;
	if ((rc = get_array(&v, &a, (void **)&l, sizeof(*l), r,
			    "_apis/serviceendpoint/certificateexpiry", NULL,
			    "value")))
		return rc;
	json_array_foreach(a, i, e) {
		l[i].conn_id = dup_of(e, "connectionId", &oom);
		l[i].name = dup_of(e, "name", &oom);
		l[i].type = dup_of(e, "type", &oom);
		l[i].field = dup_of(e, "field", &oom);
		l[i].checked_at = dup_of(e, "checkedAt", &oom);
		l[i].known = json_is_true(json_object_get(e, "known"));
		l[i].not_after = json_integer_value(json_object_get(e, "notAfter"));
		l[i].seconds_left =
			json_integer_value(json_object_get(e, "secondsLeft"));
		l[i].days_left = json_integer_value(json_object_get(e, "daysLeft"));
		l[i].expired = json_is_true(json_object_get(e, "expired"));
	}
	i = json_array_size(a);
	json_decref(v);
	if (oom || (i && !l[i - 1].conn_id)) {
		svc_cert_expiry_list_free(l, i);
		return oom ? error_oom()
			   : error_set(SVC_ERROR, "the server sent an expiry without a connection id");
	}
	*out = l;
	*count = i;
	return 0;
}

int svc_remote_audit(svc_audit_list **out, svc_remote *r, size_t limit)
{
	svc_audit_filter f;

	memset(&f, 0, sizeof(f));
	f.version = SVC_AUDIT_FILTER_VERSION;
	f.limit = limit;
	return svc_remote_audit_query(out, r, &f);
}

/* "&name=value" onto b when value is given, value percent-encoded. */
static int put_query(svc_buf *b, const char *name, const char *value)
{
	if (!value || !*value)
		return 0;
	return buf_printf(b, "%c%s=", strchr(b->ptr, '?') ? '&' : '?', name) ||
	       put_segment(b, value);
}

int svc_remote_audit_query(svc_audit_list **out, svc_remote *r,
			   const svc_audit_filter *f)
{
	char num[32];
	svc_buf path = SVC_BUF_INIT;
	json_t *v, *a, *e;
	svc_audit_entry *l = NULL;
	size_t i, n;
	int rc, oom = 0;

	*out = NULL;
	if (!f || f->version != SVC_AUDIT_FILTER_VERSION)
		return error_set(SVC_EINVALID, "unknown version of the audit filter");
	/* the audit log is the organization's: below the root; the filter
	 * as the server's query arguments (docs/server.md) */
	rc = buf_puts(&path, "_apis/audit/auditlog");
	snprintf(num, sizeof(num), "%zu", f->limit);
	rc = rc ? rc : put_query(&path, "batchSize", f->limit ? num : NULL);
	snprintf(num, sizeof(num), "%zu", f->skip);
	rc = rc ? rc : put_query(&path, "skip", f->skip ? num : NULL);
	rc = rc ? rc : put_query(&path, "actionId", f->action);
	rc = rc ? rc : put_query(&path, "actor", f->actor);
	rc = rc ? rc : put_query(&path, "connection", f->conn);
	rc = rc ? rc : put_query(&path, "startTime", f->from);
	rc = rc ? rc : put_query(&path, "endTime", f->until);
	rc = rc ? rc : put_query(&path, "q", f->text);
	rc = rc ? error_oom() : call(&v, r, "GET", r->root, path.ptr, NULL, NULL);
	buf_clear(&path);
	if (rc)
		return rc;
	a = json_object_get(v, "decoratedAuditLogEntries");
	n = json_array_size(a);
	if (n && !(l = calloc(n, sizeof(*l)))) {
		json_decref(v);
		return error_oom();
	}
	json_array_foreach(a, i, e) {
		l[i].seq = json_integer_value(json_object_get(e, "id"));
		l[i].at = dup_of(e, "timestamp", &oom);
		l[i].actor = dup_of(e, "actorDisplayName", &oom);
		l[i].action = dup_of(e, "actionId", &oom);
		l[i].conn_id = dup_of(e, "connectionId", &oom);
		l[i].conn_name = dup_of(e, "connectionName", &oom);
		l[i].detail = dup_of(e, "details", &oom);
	}
	json_decref(v);
	/* the list owns (and on failure frees) the entries */
	if ((rc = store_audit_list_adopt(out, l, n)) == 0 && oom) {
		svc_audit_list_free(*out);
		*out = NULL;
		rc = error_oom();
	}
	return rc;
}

/* ---- approvals ------------------------------------------------------------- */

#define APPROVALS "_apis/pipelines/approvals"

/* An Approval of the server as a check run, its connection's name in *name. */
static void run_from(svc_check_run *c, char **name, json_t *e, int *oom)
{
	json_t *a = json_object_get(e, "approvers");
	json_t *st = json_pack("{s:o}", "approvers",
			       json_is_array(a) ? json_incref(a) : json_array());

	c->id = (char *)dup_of(e, "id", oom);
	c->check_id = (char *)dup_of(e, "checkId", oom);
	c->conn_id = (char *)dup_of(json_object_get(e, "connection"), "id", oom);
	c->kind = strdup("approval");
	c->pipeline = (char *)dup_of(json_object_get(e, "pipeline"), "name", oom);
	c->run_id = (char *)dup_of(e, "runId", oom);
	c->stage = (char *)dup_of(e, "stage", oom);
	c->requested_by = (char *)dup_of(e, "requestedBy", oom);
	c->status = (char *)dup_of(e, "checkRunStatus", oom);
	c->state = st ? json_dumps(st, JSON_COMPACT) : NULL;
	c->message = (char *)dup_of(e, "message", oom);
	c->started_at = (char *)dup_of(e, "createdOn", oom);
	c->updated_at = (char *)dup_of(e, "lastModifiedOn", oom);
	*name = (char *)dup_of(json_object_get(e, "connection"), "name", oom);
	if (!c->kind || !c->state)
		*oom = 1;
	json_decref(st);
}

int svc_remote_approval_list(svc_check_run **out, char ***conn_names,
			     size_t *count, svc_remote *r, int pending_only)
{
	json_t *v, *a, *e;
	svc_check_run *l = NULL;
	char **names = NULL;
	size_t i, n;
	int rc, oom = 0;

	*out = NULL;
	*conn_names = NULL;
	*count = 0;
	if ((rc = get_array(&v, &a, (void **)&l, sizeof(*l), r,
			    pending_only ? APPROVALS "?state=pending" : APPROVALS,
			    NULL, "value")))
		return rc;
	n = json_array_size(a);
	if (!(names = calloc(n ? n : 1, sizeof(*names)))) {
		svc_check_runs_free(l, n);
		json_decref(v);
		return error_oom();
	}
	json_array_foreach(a, i, e)
		run_from(&l[i], &names[i], e, &oom);
	json_decref(v);
	for (i = 0; i < n && !oom; i++)
		if (!l[i].id || !l[i].status || !l[i].pipeline || !l[i].run_id ||
		    !names[i]) {
			svc_strings_free(names, n);
			svc_check_runs_free(l, n);
			return error_set(SVC_ERROR, "the server sent an approval without an id, status, pipeline, run or connection");
		}
	if (oom) {
		svc_strings_free(names, n);
		svc_check_runs_free(l, n);
		return error_oom();
	}
	*out = l;
	*conn_names = names;
	*count = n;
	return 0;
}

int svc_remote_decide(svc_remote *r, const char *check_run_id,
		      const char *decision, const char *comment,
		      const char *defer_until)
{
	if (strcmp(decision, "approve") && strcmp(decision, "reject"))
		return error_set(SVC_EINVALID, "decision must be approve or reject");
	return patch(r, APPROVALS, NULL,
		     json_pack("[{s:s, s:s, s:s*, s:s*}]", "approvalId",
			       check_run_id, "status",
			       !strcmp(decision, "reject") ? "rejected"
							   : "approved",
			       "comment", comment, "deferredTo", defer_until));
}

int svc_remote_bypass(svc_remote *r, const char *check_run_id)
{
	svc_buf path = SVC_BUF_INIT;
	int rc;

	if (buf_puts(&path, "_apis/svcconn/checkruns/") ||
	    put_segment(&path, check_run_id) || buf_puts(&path, "/bypass")) {
		buf_clear(&path);
		return error_oom();
	}
	rc = call(NULL, r, "POST", r->project, path.ptr, NULL, NULL);
	buf_clear(&path);
	return rc;
}

/* ---- usage history, permission requests, checks ------------------------------ */

/* path, then seg percent-encoded, then "?key=" and val encoded (each
 * optional) into *out (free it with buf_clear). */
static int path_of(svc_buf *out, const char *path, const char *seg,
		   const char *key, const char *val)
{
	buf_init(out, 4096, 0);
	if (buf_puts(out, path) ||
	    (seg && (buf_putc(out, '/') || put_segment(out, seg))) ||
	    (key && (buf_printf(out, "%s%s=", strchr(out->ptr, '?') ? "&" : "?",
				key) ||
		     put_segment(out, val)))) {
		buf_clear(out);
		return error_oom();
	}
	return 0;
}

int svc_remote_usage_list(svc_usage **out, size_t *count, svc_remote *r,
			  const char *name_or_id, size_t limit)
{
	svc_buf path;
	json_t *v, *a, *e;
	svc_usage *l = NULL;
	size_t i;
	int rc, oom = 0;

	*out = NULL;
	*count = 0;
	if ((rc = path_of(&path, "_apis/serviceendpoint", name_or_id, NULL,
			  NULL)))
		return rc;
	if (buf_puts(&path, "/executionhistory") ||
	    (limit && buf_printf(&path, "?top=%zu", limit))) {
		buf_clear(&path);
		return error_oom();
	}
	rc = get_array(&v, &a, (void **)&l, sizeof(*l), r, path.ptr, NULL,
		       "value");
	buf_clear(&path);
	if (rc)
		return rc;
	json_array_foreach(a, i, e) {
		l[i].id = json_integer_value(json_object_get(e, "id"));
		l[i].conn_id = dup_of(e, "endpointId", &oom);
		l[i].conn_name = dup_of(e, "connection", &oom);
		l[i].pipeline = dup_of(e, "pipeline", &oom);
		l[i].run_id = dup_of(e, "runId", &oom);
		l[i].stage = dup_of(e, "stage", &oom);
		l[i].job = dup_of(e, "job", &oom);
		l[i].requested_by = dup_of(e, "requestedBy", &oom);
		l[i].decision = dup_of(e, "decision", &oom);
		l[i].message = dup_of(e, "message", &oom);
		l[i].at = dup_of(e, "at", &oom);
		l[i].result = dup_of(e, "result", &oom);
		l[i].finished_at = dup_of(e, "finishedAt", &oom);
		if (!oom && (!l[i].pipeline || !l[i].run_id || !l[i].at ||
			     !l[i].decision)) {
			svc_usages_free(l, json_array_size(a));
			json_decref(v);
			return error_set(SVC_ERROR, "the server sent a usage record without a pipeline, run, time or decision");
		}
	}
	i = json_array_size(a);
	json_decref(v);
	if (oom) {
		svc_usages_free(l, i);
		return error_oom();
	}
	*out = l;
	*count = i;
	return 0;
}

#define REQUESTS "_apis/svcconn/permissionrequests"

/* One permission request of the server into *q; 0, or an error. */
static int request_from(svc_perm_request *q, json_t *e)
{
	json_t *res = json_object_get(e, "resource");
	int oom = 0;

	q->id = dup_of(e, "id", &oom);
	q->conn_id = dup_of(res, "id", &oom);
	q->conn_name = dup_of(res, "name", &oom);
	q->pipeline = dup_of(e, "pipeline", &oom);
	q->run_id = dup_of(e, "runId", &oom);
	q->requested_by = dup_of(e, "requestedBy", &oom);
	q->at = dup_of(e, "at", &oom);
	q->status = dup_of(e, "status", &oom);
	q->decided_by = dup_of(e, "decidedBy", &oom);
	if (oom)
		return error_oom();
	if (!q->id || !q->conn_id || !q->conn_name || !q->pipeline || !q->at ||
	    !q->status)
		return error_set(SVC_ERROR, "the server sent a permission request without an id, connection, pipeline, time or status");
	return 0;
}

int svc_remote_request_list(svc_perm_request **out, size_t *count,
			    svc_remote *r, int pending_only)
{
	json_t *v, *a, *e;
	svc_perm_request *l = NULL;
	size_t i;
	int rc;

	*out = NULL;
	*count = 0;
	if ((rc = get_array(&v, &a, (void **)&l, sizeof(*l), r,
			    pending_only ? REQUESTS
					 : REQUESTS "?includePermitted=true",
			    NULL, "value")))
		return rc;
	json_array_foreach(a, i, e)
		if ((rc = request_from(&l[i], e)))
			break;
	i = json_array_size(a);
	json_decref(v);
	if (rc) {
		svc_perm_requests_free(l, i);
		return rc;
	}
	*out = l;
	*count = i;
	return 0;
}

int svc_remote_request_permit(svc_perm_request **req, svc_remote *r,
			      const char *id)
{
	svc_perm_request *q;
	svc_buf path;
	json_t *v;
	int rc;

	*req = NULL;
	if ((rc = path_of(&path, REQUESTS, id, NULL, NULL)))
		return rc;
	rc = buf_puts(&path, "/permit") ? error_oom()
		: call(&v, r, "POST", r->project, path.ptr, NULL, NULL);
	buf_clear(&path);
	if (rc)
		return rc;
	if (!(q = calloc(1, sizeof(*q)))) {
		json_decref(v);
		return error_oom();
	}
	rc = request_from(q, v);
	json_decref(v);
	if (rc) {
		svc_perm_requests_free(q, 1);
		return rc;
	}
	*req = q;
	return 0;
}

#define CHECKS "_apis/pipelines/checks/configurations"

int svc_remote_check_list(svc_check **out, size_t *count, svc_remote *r,
			  const char *name_or_id)
{
	svc_buf path;
	json_t *v, *a, *e;
	svc_check *l = NULL;
	size_t i;
	int rc, oom = 0;

	*out = NULL;
	*count = 0;
	if ((rc = path_of(&path, CHECKS "?resourceType=endpoint", NULL,
			  "resourceId", name_or_id)))
		return rc;
	rc = get_array(&v, &a, (void **)&l, sizeof(*l), r, path.ptr, NULL,
		       "value");
	buf_clear(&path);
	if (rc)
		return rc;
	json_array_foreach(a, i, e) {
		l[i].id = dup_of(e, "id", &oom);
		l[i].conn_id = dup_of(json_object_get(e, "resource"), "id", &oom);
		l[i].kind = dup_of(json_object_get(e, "type"), "name", &oom);
		l[i].config = dup_of(e, "config", &oom);
		l[i].enabled = !json_is_true(json_object_get(e, "isDisabled"));
		l[i].seq = json_integer_value(json_object_get(e, "version"));
		l[i].created_by = dup_of(json_object_get(e, "createdBy"),
					 "displayName", &oom);
		l[i].created_at = dup_of(e, "createdOn", &oom);
		if (!oom && (!l[i].id || !l[i].kind || !l[i].config)) {
			svc_checks_free(l, json_array_size(a));
			json_decref(v);
			return error_set(SVC_ERROR, "the server sent a check without an id, type or configuration");
		}
	}
	i = json_array_size(a);
	json_decref(v);
	if (oom) {
		svc_checks_free(l, i);
		return error_oom();
	}
	*out = l;
	*count = i;
	return 0;
}

int svc_remote_check_add(char **id, svc_remote *r, const char *name_or_id,
			 const char *kind, const char *const *keys,
			 const char *const *values, size_t n)
{
	json_t *opts = json_array(), *o, *v = NULL;
	svc_buf body = SVC_BUF_INIT;
	char *s;
	size_t i;
	int rc, oom = 0;

	*id = NULL;
	for (i = 0; i < n; i++)
		json_array_append_new(opts, json_pack("{s:s, s:s}", "name",
						      keys[i], "value",
						      values[i]));
	o = json_pack("{s:{s:s}, s:{s:s, s:s}, s:o}", "type", "name", kind,
		      "resource", "type", "endpoint", "id", name_or_id,
		      "options", opts);
	s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	rc = !s || buf_puts(&body, s)
		? error_oom()
		: call(&v, r, "POST", r->project, CHECKS, NULL, &body);
	free(s);
	buf_clear(&body);
	if (rc)
		return rc;
	*id = dup_of(v, "id", &oom);
	json_decref(v);
	if (!*id)
		return oom ? error_oom()
			   : error_set(SVC_ERROR, "the server answered an added check without its id");
	return 0;
}

/* method CHECKS/check_id?resourceId=name_or_id, with the JSON o (the
 * reference is taken; NULL: no body). */
static int check_call(svc_remote *r, const char *method,
		      const char *name_or_id, const char *check_id, json_t *o)
{
	svc_buf path;
	int rc;

	if ((rc = path_of(&path, CHECKS, check_id, "resourceId", name_or_id))) {
		json_decref(o);
		return rc;
	}
	rc = o ? patch(r, path.ptr, NULL, o)
	       : call(NULL, r, method, r->project, path.ptr, NULL, NULL);
	buf_clear(&path);
	return rc;
}

int svc_remote_check_remove(svc_remote *r, const char *name_or_id,
			    const char *check_id)
{
	return check_call(r, "DELETE", name_or_id, check_id, NULL);
}

int svc_remote_check_enable(svc_remote *r, const char *name_or_id,
			    const char *check_id, int enabled)
{
	return check_call(r, "PATCH", name_or_id, check_id,
			  json_pack("{s:b}", "isDisabled", !enabled));
}

/* ---- roles and groups -------------------------------------------------------- */

#define SECURITY "_apis/svcconn/security"
#define GROUPS "_apis/svcconn/groups"

/* The role assignments of array a into l (as many); 0 or an error. */
static int roles_from(svc_role_entry *l, json_t *a, int *oom)
{
	json_t *e;
	size_t i;

	json_array_foreach(a, i, e) {
		l[i].principal = dup_of(e, "principal", oom);
		l[i].is_group = !strcmp(str_of(e, "kind") ? str_of(e, "kind")
							   : "", "group");
		if (!*oom && (!l[i].principal ||
			      svc_role_parse(&l[i].role, str_of(e, "role")
							 ? str_of(e, "role")
							 : "")))
			return error_set(SVC_ERROR, "the server sent a role assignment without a principal or role");
	}
	return 0;
}

int svc_remote_project_role_list(svc_role_entry **out, size_t *count,
				 svc_remote *r)
{
	json_t *v, *a;
	svc_role_entry *l = NULL;
	int rc, oom = 0;

	*out = NULL;
	*count = 0;
	if ((rc = get_array(&v, &a, (void **)&l, sizeof(*l), r,
			    SECURITY "?scope=project", NULL, "roles")))
		return rc;
	rc = roles_from(l, a, &oom);
	*count = json_array_size(a);
	json_decref(v);
	if (oom && !rc)
		rc = error_oom();
	if (rc) {
		svc_role_entries_free(l, *count);
		*count = 0;
		return rc;
	}
	*out = l;
	return 0;
}

/* PATCH path[/name_or_id]: grant principal role, or revoke (NONE). */
static int role_patch(svc_remote *r, const char *path, const char *name_or_id,
		      const char *principal, svc_role role)
{
	return patch(r, path, name_or_id,
		     role == SVC_ROLE_NONE
			     ? json_pack("{s:[s]}", "revoke", principal)
			     : json_pack("{s:[{s:s, s:s}]}", "grant",
					 "principal", principal, "role",
					 svc_role_name(role)));
}

int svc_remote_project_role_set(svc_remote *r, const char *principal,
				svc_role role)
{
	return role_patch(r, SECURITY "?scope=project", NULL, principal, role);
}

int svc_remote_role_list(svc_role_entry **out, size_t *count, int *inherit,
			 svc_role *mine, char **you, char **conn_name,
			 svc_remote *r, const char *name_or_id)
{
	json_t *v, *a;
	svc_role_entry *l = NULL;
	size_t i;
	int rc, oom = 0;

	*out = NULL;
	*count = 0;
	*you = *conn_name = NULL;
	if ((rc = get_array(&v, &a, (void **)&l, sizeof(*l), r, SECURITY,
			    name_or_id, "roles")))
		return rc;
	rc = roles_from(l, a, &oom);
	if (!rc && svc_role_parse(mine, str_of(v, "yourRole")
				  ? str_of(v, "yourRole") : ""))
		rc = error_set(SVC_ERROR, "the server sent no role of yours");
	*inherit = !json_is_false(json_object_get(v, "inherit"));
	*you = dup_of(v, "you", &oom);
	*conn_name = dup_of(json_object_get(v, "resource"), "name", &oom);
	i = json_array_size(a);
	json_decref(v);
	if (oom && !rc)
		rc = error_oom();
	if (rc) {
		svc_role_entries_free(l, i);
		free(*you);
		free(*conn_name);
		*you = *conn_name = NULL;
		return rc;
	}
	*out = l;
	*count = i;
	return 0;
}

int svc_remote_role_set(svc_remote *r, const char *name_or_id,
			const char *principal, svc_role role)
{
	return role_patch(r, SECURITY, name_or_id, principal, role);
}

int svc_remote_inherit_set(svc_remote *r, const char *name_or_id, int on)
{
	return patch(r, SECURITY, name_or_id,
		     json_pack("{s:b}", "inherit", on));
}

int svc_remote_group_list(char ***out, size_t *count, svc_remote *r,
			  const char *group)
{
	json_t *v, *a, *e;
	char **l = NULL;
	size_t i;
	int rc;

	*out = NULL;
	*count = 0;
	if ((rc = get_array(&v, &a, (void **)&l, sizeof(*l), r, GROUPS, group,
			    "value")))
		return rc;
	json_array_foreach(a, i, e)
		if (!json_is_string(e) || !(l[i] = strdup(json_string_value(e)))) {
			svc_strings_free(l, json_array_size(a));
			json_decref(v);
			return json_is_string(e) ? error_oom()
				: error_set(SVC_ERROR, "the server sent a group or member that is not a string");
		}
	*count = json_array_size(a);
	*out = l;
	json_decref(v);
	return 0;
}

int svc_remote_group_make(svc_remote *r, const char *group, int create)
{
	return call(NULL, r, create ? "PUT" : "DELETE", r->project, GROUPS,
		    group, NULL);
}

int svc_remote_group_member(svc_remote *r, const char *group,
			    const char *member, int add)
{
	return patch(r, GROUPS, group,
		     json_pack("{s:[s]}", add ? "add" : "remove", member));
}

/* ---- registered pipelines ---------------------------------------------------- */

#define PIPELINES "_apis/pipelines"

int svc_remote_pipedef_list(svc_pipedef **out, size_t *count, svc_remote *r)
{
	json_t *v, *a, *e;
	svc_pipedef *l = NULL;
	size_t i;
	int rc, oom = 0;

	*out = NULL;
	*count = 0;
	if ((rc = get_array(&v, &a, (void **)&l, sizeof(*l), r, PIPELINES,
			    NULL, "value")))
		return rc;
	json_array_foreach(a, i, e) {
		json_t *conf = json_object_get(e, "configuration");
		json_t *repo = json_object_get(conf, "repository");
		json_t *conn = json_object_get(repo, "connection");

		l[i].name = dup_of(e, "name", &oom);
		l[i].connection = dup_of(conn, "name", &oom);
		l[i].connection_id = dup_of(conn, "id", &oom);
		l[i].url = dup_of(repo, "url", &oom);
		l[i].path = dup_of(conf, "path", &oom);
		l[i].branch = dup_of(repo, "defaultBranch", &oom);
		l[i].created_by = dup_of(e, "createdBy", &oom);
		l[i].created = json_integer_value(json_object_get(e, "created"));
		if (!oom && (!l[i].name || !l[i].connection ||
			     !l[i].connection_id || !l[i].url || !l[i].path ||
			     !l[i].created_by)) {
			svc_pipedefs_free(l, json_array_size(a));
			json_decref(v);
			return error_set(SVC_ERROR, "the server sent a pipeline without a name, connection, URL, path or creator");
		}
	}
	i = json_array_size(a);
	json_decref(v);
	if (oom) {
		svc_pipedefs_free(l, i);
		return error_oom();
	}
	*out = l;
	*count = i;
	return 0;
}

int svc_remote_pipedef_register(svc_remote *r, const char *name,
				const char *connection, const char *url,
				const char *path, const char *branch)
{
	svc_buf body = SVC_BUF_INIT;
	json_t *o = json_pack("{s:s, s:{s:s, s:s, s:{s:s, s:s?, s:{s:s}}}}",
			      "name", name, "configuration", "type", "yaml",
			      "path", path, "repository", "url", url,
			      "defaultBranch", branch, "connection", "name",
			      connection);
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	int rc;

	json_decref(o);
	rc = !s || buf_puts(&body, s)
		? error_oom()
		: call(NULL, r, "POST", r->project, PIPELINES, NULL, &body);
	free(s);
	buf_clear(&body);
	return rc;
}

int svc_remote_pipedef_remove(svc_remote *r, const char *name)
{
	return call(NULL, r, "DELETE", r->project, PIPELINES, name, NULL);
}

int svc_remote_pipeline_source(char **yaml, size_t *len, char **origin,
			       svc_remote *r, const char *pipeline,
			       const char *commit)
{
	svc_buf path;
	json_t *v = NULL, *y;
	int rc, oom = 0;

	*yaml = *origin = NULL;
	*len = 0;
	if ((rc = path_of(&path, "_apis/svcconn/pipelines", pipeline, NULL,
			  NULL)))
		return rc;
	rc = buf_puts(&path, "/source") ||
			     (commit && (buf_puts(&path, "?commit=") ||
					 put_segment(&path, commit)))
		     ? error_oom()
		     : call(&v, r, "GET", r->project, path.ptr, NULL, NULL);
	buf_clear(&path);
	if (rc)
		return rc;
	y = json_object_get(v, "yaml");
	*origin = dup_of(v, "origin", &oom);
	if (!oom && (!json_is_string(y) || !*origin))
		rc = error_set(SVC_ERROR, "the server sent a pipeline's source without its YAML or origin");
	else if (oom || !(*yaml = strndup(json_string_value(y),
					   json_string_length(y))))
		rc = error_oom();
	if (rc) {
		free(*origin);
		*origin = NULL;
	} else {
		*len = json_string_length(y);
	}
	json_decref(v);
	return rc;
}

/* ---- plan ------------------------------------------------------------------ */

static int send_json(json_t **out, svc_remote *r, const char *method,
		     const char *base, const char *path, json_t *o);

/* tpl_seen_fn of the plan's walk: each file read, into the files sent. */
static int plan_seen(const char *path, const char *text, size_t len,
		     void *data)
{
	json_t *s = json_stringn(text, len);

	if (!s)
		return error_set(SVC_EINVALID,
				 "'%s' is not UTF-8 text: it cannot be sent to a server",
				 path);
	return json_object_set_new(data, path, s) ? error_oom() : 0;
}

int svc_remote_plan(svc_plan **out, svc_remote *r, const svc_plan_options *o)
{
	json_t *files = json_object(), *vars = json_array(), *body, *v = NULL;
	svc_buf file = SVC_BUF_INIT;
	svc_diags *walk = NULL;
	tpl_ctx *tpl = NULL;
	const ynode *root;
	tpl_options to;
	size_t i;
	int rc;

	if (!o || o->version != SVC_PLAN_OPTIONS_VERSION || !o->file)
		rc = error_set(SVC_EINVALID, "invalid plan options");
	else if (o->flags & SVC_PLAN_FETCH)
		rc = error_set(SVC_EINVALID,
			       "--fetch works only on a local store: a server plans the files sent and fetches no template of another repository");
	else if (o->ntask_dirs)
		rc = error_set(SVC_EINVALID,
			       "--tasks-dir works only on a local store: a server plans with its own task manifests");
	else if (!files || !vars)
		rc = error_oom();
	else
		rc = tpl_path_normalize(&file, o->file);
	/* the files the plan reads, read here by the same walk */
	plan_tpl_options(&to, o);
	to.seen = plan_seen;
	to.seen_data = files;
	if (!rc && !(rc = svc_diags_new(&walk)))
		rc = tpl_expand(&tpl, &root, file.ptr, &to, walk);
	tpl_free(tpl);
	svc_diags_free(walk);
	for (i = 0; !rc && i < o->nvars; i++)
		if (json_array_append_new(vars, json_string(o->vars[i])))
			rc = error_set(SVC_EINVALID, "--var '%s' is not UTF-8 text",
				       o->vars[i]);
	if (rc) {
		json_decref(files);
		json_decref(vars);
		buf_clear(&file);
		return rc;
	}
	body = json_pack("{s:s, s:o, s:s?, s:s?, s:o, s:b}", "file", file.ptr,
			 "files", files, "pipeline", o->pipeline,
			 "branch", o->branch, "variables", vars,
			 "exact", (o->flags & SVC_PLAN_EXACT) != 0);
	buf_clear(&file);
	if (!body)
		return error_set(SVC_EINVALID,
				 "the pipeline name or branch is not UTF-8 text");
	if (!(rc = send_json(&v, r, "POST", r->project, "_apis/svcconn/plan",
			     body)))
		rc = plan_from_json(out, v);
	json_decref(v);
	return rc;
}

/* ---- personal access tokens -------------------------------------------------- */

#define PATS "_apis/tokens/pats"

/* One PatToken of the server into *i; 0, or an error. */
static int token_info_from(svc_token_info *i, json_t *e)
{
	const char *id = str_of(e, "authorizationId");
	int oom = 0;

	memset(i, 0, sizeof(*i));
	if (!id || strlen(id) != SVC_TOKEN_ID_LEN)
		return error_set(SVC_ERROR, "the server sent a token without its id");
	memcpy(i->id, id, SVC_TOKEN_ID_LEN + 1);
	i->owner = dup_of(e, "owner", &oom);
	i->name = dup_of(e, "displayName", &oom);
	i->scopes = dup_of(e, "scope", &oom);
	i->created = json_integer_value(json_object_get(e, "created"));
	i->expires = json_integer_value(json_object_get(e, "expires"));
	i->last_used = json_integer_value(json_object_get(e, "lastUsed"));
	i->revoked = json_integer_value(json_object_get(e, "revoked"));
	if (oom || !i->owner || !i->name || !i->scopes) {
		svc_token_info_clear(i);
		return oom ? error_oom()
			   : error_set(SVC_ERROR, "the server sent token '%s' without an owner, name or scopes",
				       id);
	}
	return 0;
}

int svc_remote_token_create(char **token, svc_token_info *info,
			    svc_remote *r, const char *owner,
			    const char *name, const char *scopes,
			    unsigned days)
{
	svc_buf body = SVC_BUF_INIT;
	json_t *o = json_pack("{s:s, s:s, s:I, s:s*}", "displayName", name,
			      "scope", scopes, "days", (json_int_t)days,
			      "owner", owner);
	json_t *v = NULL, *pat, *t;
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	int rc;

	*token = NULL;
	json_decref(o);
	rc = !s || buf_puts(&body, s)
		? error_oom()
		: call(&v, r, "POST", r->root, PATS, NULL, &body);
	free(s);
	buf_clear(&body);
	if (rc)
		return rc;
	pat = json_object_get(v, "patToken");
	t = json_object_get(pat, "token");
	if (json_string_length(t) != SVC_TOKEN_LEN)
		rc = error_set(SVC_ERROR, "the server answered a new token without it");
	else if ((rc = token_info_from(info, pat)) == 0 &&
		 !(*token = malloc(SVC_TOKEN_LEN + 1))) {
		svc_token_info_clear(info);
		rc = error_oom();
	}
	if (*token)
		memcpy(*token, json_string_value(t), SVC_TOKEN_LEN + 1);
	json_decref(v);
	return rc;
}

int svc_remote_token_list(svc_token_info **out, size_t *count,
			  svc_remote *r, const char *owner, int all)
{
	svc_buf path;
	json_t *v, *a, *e;
	svc_token_info *l = NULL;
	size_t i;
	int rc = 0;

	*out = NULL;
	*count = 0;
	if ((rc = path_of(&path, all ? PATS "?all=true" : PATS, NULL,
			  owner ? "owner" : NULL, owner)))
		return rc;
	rc = call(&v, r, "GET", r->root, path.ptr, NULL, NULL);
	buf_clear(&path);
	if (rc)
		return rc;
	a = json_object_get(v, "patTokens");
	if (json_array_size(a) && !(l = calloc(json_array_size(a), sizeof(*l)))) {
		json_decref(v);
		return error_oom();
	}
	json_array_foreach(a, i, e)
		if ((rc = token_info_from(&l[i], e)))
			break;
	i = json_array_size(a);
	json_decref(v);
	if (rc) {
		svc_token_list_free(l, i);
		return rc;
	}
	*out = l;
	*count = i;
	return 0;
}

int svc_remote_token_revoke(svc_remote *r, const char *id)
{
	svc_buf path;
	int rc;

	if ((rc = path_of(&path, PATS, NULL, "authorizationId", id)))
		return rc;
	rc = call(NULL, r, "DELETE", r->root, path.ptr, NULL, NULL);
	buf_clear(&path);
	return rc;
}

/* ---- users' passwords ---------------------------------------------------------- */

#define USERS "_apis/svcconn/users"

/* USERS/{name}/password into *path; name NULL: the token's holder. */
static int password_path(svc_buf *path, svc_remote *r, const char *name)
{
	char *me = NULL;
	int rc;

	if (!name && (rc = svc_remote_whoami(&me, r)))
		return rc;
	if ((rc = path_of(path, USERS, name ? name : me, NULL, NULL)) == 0 &&
	    buf_puts(path, "/password")) {
		buf_clear(path);
		rc = error_oom();
	}
	free(me);
	return rc;
}

int svc_remote_password_set(svc_remote *r, const char *name,
			    const char *password, size_t len)
{
	svc_buf body, path;
	int rc;

	if ((rc = password_path(&path, r, name)))
		return rc;
	if ((rc = secret_body(&body, json_pack("{s:s#}", "password", password,
					       len))) == 0)
		rc = call(NULL, r, "PUT", r->root, path.ptr, NULL, &body);
	buf_clear(&body);
	buf_clear(&path);
	return rc;
}

int svc_remote_password_remove(svc_remote *r, const char *name)
{
	svc_buf path;
	int rc;

	if ((rc = password_path(&path, r, name)))
		return rc;
	rc = call(NULL, r, "DELETE", r->root, path.ptr, NULL, NULL);
	buf_clear(&path);
	return rc;
}

int svc_remote_user_list(svc_user_info **out, size_t *count, svc_remote *r)
{
	json_t *v, *a, *e;
	svc_user_info *l = NULL;
	size_t i;
	int rc;

	*out = NULL;
	*count = 0;
	if ((rc = get_array_at(&v, &a, (void **)&l, sizeof(*l), r, r->root,
			       USERS, NULL, "value")))
		return rc;
	json_array_foreach(a, i, e) {
		const char *name = str_of(e, "name");

		if (!name || !(l[i].name = strdup(name))) {
			svc_user_list_free(l, i);
			json_decref(v);
			return name ? error_oom()
				    : error_set(SVC_ERROR, "the server sent a user without a name");
		}
		l[i].changed = json_integer_value(json_object_get(e, "changed"));
	}
	*count = json_array_size(a);
	*out = l;
	json_decref(v);
	return 0;
}

/* ---- the OIDC issuer's signing keys ------------------------------------------ */

#define OIDC_KEYS "_apis/svcconn/oidc/keys"

int svc_remote_oidc_keys(svc_oidc_key **out, size_t *count, svc_remote *r)
{
	json_t *v, *a, *e;
	svc_oidc_key *l = NULL;
	size_t i;
	int rc;

	*out = NULL;
	*count = 0;
	if ((rc = call(&v, r, "GET", r->root, OIDC_KEYS, NULL, NULL)))
		return rc;
	a = json_object_get(v, "value");
	if (json_array_size(a) && !(l = calloc(json_array_size(a), sizeof(*l)))) {
		json_decref(v);
		return error_oom();
	}
	json_array_foreach(a, i, e) {
		const char *kid = str_of(e, "kid"), *alg = str_of(e, "alg");

		if (!kid || !alg || strlen(kid) > SVC_OIDC_KID_LEN ||
		    strlen(alg) >= sizeof(l[i].alg)) {
			svc_oidc_keys_free(l);
			json_decref(v);
			return error_set(SVC_ERROR, "the server sent a signing key without a valid kid or alg");
		}
		memcpy(l[i].kid, kid, strlen(kid) + 1);
		memcpy(l[i].alg, alg, strlen(alg) + 1);
		l[i].created = json_integer_value(json_object_get(e, "created"));
		l[i].retired = json_integer_value(json_object_get(e, "retired"));
		l[i].signed_until =
			json_integer_value(json_object_get(e, "signedUntil"));
		l[i].drop_at =
			json_integer_value(json_object_get(e, "publishedUntil"));
	}
	*count = json_array_size(a);
	*out = l;
	json_decref(v);
	return 0;
}

int svc_remote_oidc_rotate(char **kid, svc_remote *r, const char *alg)
{
	svc_buf body = SVC_BUF_INIT;
	json_t *o = json_pack("{s:s*}", "alg", alg), *v = NULL;
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	int rc, oom = 0;

	*kid = NULL;
	json_decref(o);
	rc = !s || buf_puts(&body, s)
		? error_oom()
		: call(&v, r, "POST", r->root, OIDC_KEYS "/rotate", NULL, &body);
	free(s);
	buf_clear(&body);
	if (rc)
		return rc;
	*kid = dup_of(v, "kid", &oom);
	json_decref(v);
	if (!*kid)
		return oom ? error_oom()
			   : error_set(SVC_ERROR, "the server answered a rotation without the new key's id");
	return 0;
}

/* ---- lists ----------------------------------------------------------------- */

/*
 * GET base/path and the elements of its array member, each read by from
 * into element i of a new zeroed array of elsize bytes: the array into
 * *out and its length into *count; on failure (from's error, or the
 * call's) nothing, what was read freed with free_list.
 */
static int list_of(void **out, size_t *count, svc_remote *r,
		   const char *base, const char *path, const char *member,
		   size_t elsize, int (*from)(void *arr, size_t i, json_t *e),
		   void (*free_list)(void *arr, size_t n))
{
	json_t *v, *a, *e;
	char *l = NULL;
	size_t i, n;
	int rc;

	*out = NULL;
	*count = 0;
	if ((rc = call(&v, r, "GET", base, path, NULL, NULL)))
		return rc;
	a = json_object_get(v, member);
	n = json_array_size(a);
	if (n && !(l = calloc(n, elsize))) {
		json_decref(v);
		return error_oom();
	}
	json_array_foreach(a, i, e)
		if ((rc = from(l, i, e)))
			break;
	json_decref(v);
	if (rc) {
		free_list(l, n);
		return rc;
	}
	*out = l;
	*count = n;
	return 0;
}

/* method base/path with the JSON o as body (the reference is taken); the
 * answer's JSON into *out when out is not NULL. */
static int send_json(json_t **out, svc_remote *r, const char *method,
		     const char *base, const char *path, json_t *o)
{
	svc_buf body = SVC_BUF_INIT;
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	int rc;

	json_decref(o);
	rc = !s || buf_puts(&body, s)
		? error_oom()
		: call(out, r, method, base, path, NULL, &body);
	free(s);
	buf_clear(&body);
	return rc;
}

/* ---- projects ------------------------------------------------------------- */

#define PROJECTS "_apis/projects"

/* One TeamProjectReference of the server into element i of arr. */
static int project_from(void *arr, size_t i, json_t *e)
{
	svc_project *p = (svc_project *)arr + i;
	int oom = 0;

	p->id = dup_of(e, "id", &oom);
	p->name = dup_of(e, "name", &oom);
	p->description = dup_of(e, "description", &oom);
	p->created_by = dup_of(e, "createdBy", &oom);
	p->created_at = dup_of(e, "created", &oom);
	if (oom)
		return error_oom();
	if (!p->id || !p->name || !p->description || !p->created_by ||
	    !p->created_at)
		return error_set(SVC_ERROR, "the server sent a project without an id, name, description, creator or time");
	return 0;
}

static void projects_free(void *arr, size_t n)
{
	svc_projects_free(arr, n);
}

int svc_remote_project_list(svc_project **out, size_t *count, svc_remote *r)
{
	return list_of((void **)out, count, r, r->root, PROJECTS, "value",
		       sizeof(**out), project_from, projects_free);
}

int svc_remote_project_create(svc_remote *r, const char *name,
			      const char *description)
{
	return send_json(NULL, r, "POST", r->root, PROJECTS,
			 json_pack("{s:s, s:s*}", "name", name, "description",
				   description));
}

int svc_remote_project_delete(svc_remote *r, const char *name_or_id)
{
	return call(NULL, r, "DELETE", r->root, PROJECTS, name_or_id, NULL);
}

/*
 * The id of connection name_or_id of r's project, as a new string: the
 * share calls are the organization's and name the connection by id.
 */
static int conn_id_of(char **id, svc_remote *r, const char *name_or_id)
{
	svc_conn *c = NULL;
	int rc;

	*id = NULL;
	if ((rc = svc_remote_conn_get(&c, r, name_or_id)))
		return rc;
	if (!svc_conn_id(c) || !(*id = strdup(svc_conn_id(c))))
		rc = svc_conn_id(c) ? error_oom()
				    : error_set(SVC_ERROR, "the server sent connection '%s' without an id",
						name_or_id);
	svc_conn_free(c);
	return rc;
}

int svc_remote_conn_share(svc_remote *r, const char *name_or_id,
			  const char *project, const char *name,
			  const char *description)
{
	svc_buf path;
	char *id = NULL;
	int rc;

	if ((rc = conn_id_of(&id, r, name_or_id)) ||
	    (rc = path_of(&path, EP, id, NULL, NULL))) {
		free(id);
		return rc;
	}
	rc = send_json(NULL, r, "PATCH", r->root, path.ptr,
		       json_pack("[{s:{s:s}, s:s*, s:s*}]", "projectReference",
				 "name", project, "name", name, "description",
				 description));
	buf_clear(&path);
	free(id);
	return rc;
}

int svc_remote_conn_unshare(svc_remote *r, const char *name_or_id,
			    const char *project)
{
	svc_buf path;
	char *id = NULL;
	int rc;

	/* sharesOnly: the owning project named is not shared, rather than
	 * the connection deleted as Azure's call does */
	if ((rc = conn_id_of(&id, r, name_or_id)))
		return rc;
	if ((rc = path_of(&path, EP, id, "projectIds", project)) == 0) {
		rc = buf_puts(&path, "&sharesOnly=true")
			? error_oom()
			: call(NULL, r, "DELETE", r->root, path.ptr, NULL, NULL);
		buf_clear(&path);
	}
	free(id);
	return rc;
}

/* ---- agent pools and agents ----------------------------------------------- */

#define POOLS "_apis/distributedtask/pools"
#define AGENTS "_apis/svcconn/agents"

/* One TaskAgentPool of the server into element i of arr. */
static int pool_from(void *arr, size_t i, json_t *e)
{
	svc_pool *p = (svc_pool *)arr + i;
	int oom = 0;

	p->name = dup_of(e, "name", &oom);
	p->created_by = dup_of(json_object_get(e, "createdBy"), "displayName",
			       &oom);
	p->trusted = json_is_true(json_object_get(e, "trusted"));
	p->created = json_integer_value(json_object_get(e, "created"));
	if (oom)
		return error_oom();
	if (!p->name || !p->created_by)
		return error_set(SVC_ERROR, "the server sent a pool without a name or creator");
	return 0;
}

static void pools_free(void *arr, size_t n)
{
	svc_pool_list_free(arr, n);
}

int svc_remote_pool_list(svc_pool **out, size_t *count, svc_remote *r)
{
	return list_of((void **)out, count, r, r->root, POOLS, "value",
		       sizeof(**out), pool_from, pools_free);
}

int svc_remote_pool_create(svc_remote *r, const char *name, int trusted)
{
	return send_json(NULL, r, "POST", r->root, POOLS,
			 json_pack("{s:s, s:b}", "name", name, "trusted",
				   trusted));
}

/* One agent of the server into element i of arr. */
static int agent_from(void *arr, size_t i, json_t *e)
{
	svc_agent *a = (svc_agent *)arr + i;
	const char *tid = str_of(e, "tokenId");
	int oom = 0;

	a->name = dup_of(e, "name", &oom);
	a->pool = dup_of(json_object_get(e, "pool"), "name", &oom);
	a->created_by = dup_of(e, "createdBy", &oom);
	a->created = json_integer_value(json_object_get(e, "created"));
	a->last_used = json_integer_value(json_object_get(e, "lastUsed"));
	a->revoked = json_integer_value(json_object_get(e, "revoked"));
	a->expires = json_integer_value(json_object_get(e, "expires"));
	if (oom)
		return error_oom();
	if (!a->name || !a->pool || !tid || strlen(tid) != SVC_TOKEN_ID_LEN)
		return error_set(SVC_ERROR, "the server sent an agent without a name, pool or credential id");
	memcpy(a->token_id, tid, SVC_TOKEN_ID_LEN + 1);
	return 0;
}

static void agents_free(void *arr, size_t n)
{
	svc_agent_list_free(arr, n);
}

int svc_remote_agent_list(svc_agent **out, size_t *count, svc_remote *r)
{
	return list_of((void **)out, count, r, r->root, AGENTS, "value",
		       sizeof(**out), agent_from, agents_free);
}

int svc_remote_agent_revoke(svc_remote *r, const char *name)
{
	return call(NULL, r, "DELETE", r->root, AGENTS, name, NULL);
}

int svc_remote_agent_registration_token(char **token, long long *expires,
					svc_remote *r, const char *pool,
					unsigned hours)
{
	json_t *v = NULL, *t;
	int rc;

	*token = NULL;
	if ((rc = send_json(&v, r, "POST", r->root,
			    "_apis/svcconn/registrationtokens",
			    json_pack("{s:s, s:I}", "pool", pool, "hours",
				      (json_int_t)hours))))
		return rc;
	t = json_object_get(v, "token");
	if (json_string_length(t) != SVC_TOKEN_LEN)
		rc = error_set(SVC_ERROR, "the server answered a registration token without it");
	else if (!(*token = malloc(SVC_TOKEN_LEN + 1)))
		rc = error_oom();
	else
		memcpy(*token, json_string_value(t), SVC_TOKEN_LEN + 1);
	*expires = json_integer_value(json_object_get(v, "expires"));
	json_decref(v);
	return rc;
}

/* ---- connection types ------------------------------------------------------- */

int svc_remote_types(char **out, svc_remote *r, const char *type)
{
	svc_buf path;
	json_t *v = NULL;
	int rc;

	*out = NULL;
	if ((rc = path_of(&path, "_apis/serviceendpoint/types", NULL,
			  type ? "type" : NULL, type)))
		return rc;
	rc = call(&v, r, "GET", r->root, path.ptr, NULL, NULL);
	buf_clear(&path);
	if (rc)
		return rc;
	if (!json_is_array(json_object_get(v, "value")))
		rc = error_set(SVC_ERROR, "the server sent no list of types");
	else if (!(*out = json_dumps(json_object_get(v, "value"),
				     JSON_COMPACT | JSON_PRESERVE_ORDER)))
		rc = error_oom();
	json_decref(v);
	return rc;
}

/* ---- the login file ------------------------------------------------------------ */

int svc_remote_login_path(char **out)
{
	const char *x = getenv("XDG_CONFIG_HOME"), *h = getenv("HOME");
	struct passwd *pw;
	svc_buf b = SVC_BUF_INIT;

	*out = NULL;
	if ((!h || !*h) && (pw = getpwuid(geteuid())) != NULL)
		h = pw->pw_dir;
	if (x && *x == '/')
		buf_printf(&b, "%s/svcconn/server.json", x);
	else if (h && *h)
		buf_printf(&b, "%s/.config/svcconn/server.json", h);
	else
		return error_set(SVC_ERROR, "no home directory for the login file");
	if (!b.ptr)
		return error_oom();
	*out = buf_detach(&b, NULL);
	return 0;
}

int svc_remote_login_save(const char *url, const char *token,
			  size_t token_len, const char *ca_file)
{
	char *path = NULL, *slash, *s = NULL;
	json_t *o;
	int rc;

	if ((rc = svc_remote_login_path(&path)))
		return rc;
	slash = strrchr(path, '/');
	*slash = '\0';
	rc = dir_ensure_private(path);
	*slash = '/';
	if (rc)
		goto done;
	o = json_pack("{s:s, s:s%, s:s*}", "url", url, "token", token,
		      token_len, "ca", ca_file);
	s = o ? json_dumps(o, JSON_INDENT(2)) : NULL;
	json_decref(o);
	if (!s) {
		rc = error_oom();
		goto done;
	}
	rc = file_replace_private(path, s, strlen(s));
	svc_wipe(s, strlen(s));
	free(s);
done:
	free(path);
	return rc;
}

int svc_remote_login_load(char **url, char **token, size_t *token_len,
			  char **ca_file)
{
	svc_buf b;
	char *path = NULL;
	json_error_t jerr;
	json_t *o = NULL, *t;
	int rc;

	*url = *token = *ca_file = NULL;
	*token_len = 0;
	if ((rc = svc_remote_login_path(&path)))
		return rc;
	buf_init(&b, REMOTE_MAX_FILE, 1);
	if (access(path, F_OK) != 0) {
		rc = error_set(SVC_ENOTFOUND,
			       "not logged in to a server (no '%s'; run 'svcconn login URL')",
			       path);
		goto done;
	}
	if ((rc = file_read_private(&b, path, "login file")))
		goto done;
	o = json_loadb(b.ptr ? b.ptr : "", b.len, 0, &jerr);
	t = json_object_get(o, "token");
	if (!json_is_string(str_of(o, "url") ? t : NULL)) {
		rc = error_set(SVC_EINVALID,
			       "login file '%s': field 'url' or 'token' is missing",
			       path);
		goto done;
	}
	if (!(*url = strdup(str_of(o, "url"))) ||
	    (str_of(o, "ca") && !(*ca_file = strdup(str_of(o, "ca")))) ||
	    !(*token = malloc(json_string_length(t) + 1))) {
		free(*url);
		free(*ca_file);
		*url = *ca_file = NULL;
		rc = error_oom();
		goto done;
	}
	memcpy(*token, json_string_value(t), json_string_length(t) + 1);
	*token_len = json_string_length(t);
done:
	json_decref(o);
	buf_clear(&b);
	free(path);
	return rc;
}

int svc_remote_login_remove(void)
{
	char *path = NULL;
	int rc;

	if ((rc = svc_remote_login_path(&path)))
		return rc;
	if (unlink(path) != 0)
		rc = error_set(SVC_ENOTFOUND, "not logged in to a server (no '%s')",
			       path);
	free(path);
	return rc;
}

/* jansson's blocks come from malloc; their size from malloc_usable_size. */
static void wipe_free(void *p)
{
	if (!p)
		return;
	svc_wipe(p, malloc_usable_size(p));
	free(p);
}

void svc_json_wipe_on_free(void)
{
	json_set_alloc_funcs(malloc, wipe_free);
}

/* ---- jobs (an agent's credential) ------------------------------------------- */

void svc_remote_job_free(svc_remote_job *j)
{
	if (!j)
		return;
	if (j->token)
		svc_secret_free(j->token, j->token_len);
	if (j->endpoints)
		svc_secret_free(j->endpoints, j->endpoints_len);
	free(j->id);
	free(j->source);
	free(j->record);
	free(j->oidc_request_uri);
	free(j->message);
	free(j->withheld);
	free(j);
}

/* The gate's status of the answer's "status" member. */
static int gate_status(svc_gate_status *out, const char *s)
{
	static const struct { const char *name; svc_gate_status st; } map[] = {
		{ "granted", SVC_GATE_GRANTED },
		{ "needs-permission", SVC_GATE_NEEDS_PERMISSION },
		{ "waiting", SVC_GATE_WAITING },
		{ "denied", SVC_GATE_DENIED },
		{ "skipped", SVC_GATE_SKIPPED },
	};
	size_t i;

	for (i = 0; s && i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(map[i].name, s)) {
			*out = map[i].st;
			return 0;
		}
	return error_set(SVC_ERROR, "the server answered a job start with status '%s'",
			 s ? s : "");
}

/* The gate's messages of answer v, one line each, into *out. */
static int gate_message(char **out, json_t *v)
{
	svc_buf b = SVC_BUF_INIT;
	json_t *it;
	size_t i;

	json_array_foreach(json_object_get(v, "gate"), i, it)
		if (buf_printf(&b, "%s: %s%s%s\n", str_of(it, "connection")
			       ? str_of(it, "connection") : "",
			       str_of(it, "what") ? str_of(it, "what") : "",
			       str_of(it, "message") ? ": " : "",
			       str_of(it, "message") ? str_of(it, "message") : "")) {
			buf_clear(&b);
			return error_oom();
		}
	*out = b.len ? buf_detach(&b, NULL) : NULL;
	buf_clear(&b);
	return 0;
}

/* The answer v of a granted start into j (its secrets in wiped memory). */
static int job_from(svc_remote_job *j, json_t *v)
{
	json_t *eps = json_object_get(v, "endpoints");
	json_t *lease = json_object_get(v, "leaseExpires");
	const char *tok = str_of(v, "token");
	int rc;

	if (!str_of(v, "jobId") || !tok || !json_is_array(eps) ||
	    !json_is_object(json_object_get(v, "job")) ||
	    !json_is_integer(lease))
		return error_set(SVC_ERROR,
				 "the server's answer to a job start lacks jobId, token, endpoints, job or leaseExpires");
	j->lease_expires = json_integer_value(lease);
	j->token_len = strlen(tok);
	if (!(j->token = strdup(tok)))
		return error_oom();
	if ((rc = dup_member(&j->id, v, "jobId")) ||
	    (rc = dup_member(&j->source, v, "source")) ||
	    (rc = dup_member(&j->oidc_request_uri, v, "oidcRequestUri")) ||
	    (rc = dup_member(&j->withheld, v, "secretsWithheld")))
		return rc;
	if (!(j->record = json_dumps(json_object_get(v, "job"), JSON_COMPACT)))
		return error_oom();
	if (!(j->endpoints = json_dumps(eps, JSON_COMPACT)))
		return error_oom();
	j->endpoints_len = strlen(j->endpoints);
	return 0;
}

/*
 * The run's variables as Azure's runs API sends them ({"NAME": {"value":
 * "V"}}) and whether it is a fork's (with what the agent says of its
 * secrets), into request o; the server judges them.
 */
static int job_request_extras(json_t *o, const svc_job_request *req)
{
	json_t *vars;
	size_t i;
	int rc;

	if (req->fork)
		json_object_set_new(o, "fork", json_true());
	if (req->fork && req->fork_secrets)
		json_object_set_new(o, "forkSecrets", json_true());
	if (!req->nvars)
		return 0;
	if (!(vars = json_object()))
		return error_oom();
	for (i = 0; i < req->nvars; i++) {
		const char *eq = strchr(req->vars[i], '=');
		char *name;

		if (!eq) {
			json_decref(vars);
			return error_set(SVC_EINVALID, "variable '%s' is not NAME=VALUE",
					 req->vars[i]);
		}
		if (!(name = strndup(req->vars[i], (size_t)(eq - req->vars[i])))) {
			json_decref(vars);
			return error_oom();
		}
		/* the last of one name wins, as --var's do locally */
		if (json_object_set_new(vars, name,
					json_pack("{s:s}", "value", eq + 1))) {
			json_decref(vars);
			rc = error_set(SVC_EINVALID,
				       "variable '%s': its name or value is not UTF-8",
				       name);
			free(name);
			return rc;
		}
		free(name);
	}
	json_object_set_new(o, "variables", vars);
	return 0;
}

int svc_remote_job_start(svc_remote_job **out, svc_remote *r,
			 const svc_job_request *req)
{
	svc_remote_job *j;
	svc_buf body = SVC_BUF_INIT;
	json_t *o, *v = NULL;
	char *text = NULL;
	long saved_ms;
	int rc;

	*out = NULL;
	if (!req || !req->pipeline || !req->job || !req->run_id)
		return error_set(SVC_EINVALID,
				 "a job needs a pipeline name, a job and a run id");
	o = json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:s?, s:s?}", "pipeline",
		      req->pipeline, "job", req->job, "runId", req->run_id,
		      "stage", req->stage, "branch", req->branch, "commit",
		      req->commit, "requestedBy", req->requested_by);
	if (o && req->yaml)
		json_object_set_new(o, "yaml",
				    json_stringn(req->yaml, req->yaml_len));
	if (o && req->wait_s > 0)
		json_object_set_new(o, "wait", json_integer(req->wait_s));
	if (o && (rc = job_request_extras(o, req))) {
		json_decref(o);
		return rc;
	}
	if (!o || !(text = json_dumps(o, JSON_COMPACT)) ||
	    buf_puts(&body, text)) {
		json_decref(o);
		free(text);
		buf_clear(&body);
		return error_oom();
	}
	json_decref(o);
	free(text);
	if (!(j = calloc(1, sizeof(*j)))) {
		buf_clear(&body);
		return error_oom();
	}
	/* a long wait on the server: the call's time-out grows by it */
	saved_ms = r->timeout_ms;
	if (req->wait_s > 0)
		r->timeout_ms = (saved_ms ? saved_ms : HTTP_DEFAULT_TIMEOUT_MS) +
				req->wait_s * 1000;
	rc = call(&v, r, "POST", r->project, "_apis/svcconn/jobs", NULL,
		  &body);
	r->timeout_ms = saved_ms;
	buf_clear(&body);
	if (rc)
		goto done;
	if ((rc = gate_status(&j->status, str_of(v, "status"))) ||
	    (rc = gate_message(&j->message, v)))
		goto done;
	if (j->status == SVC_GATE_GRANTED)
		rc = job_from(j, v);
done:
	json_decref(v);
	if (rc) {
		svc_remote_job_free(j);
		return rc;
	}
	*out = j;
	return 0;
}

int svc_remote_job_renew(long long *lease, svc_remote *r, const char *id)
{
	svc_buf path = SVC_BUF_INIT;
	json_t *v = NULL, *l;
	int rc;

	if ((rc = buf_puts(&path, "_apis/svcconn/jobs/")) ||
	    (rc = put_segment(&path, id)) || (rc = buf_puts(&path, "/renew")))
		rc = error_oom();
	else
		rc = call_ex(&v, r, "POST", r->project, path.ptr, NULL, NULL,
			     1);
	l = json_object_get(v, "leaseExpires");
	if (rc == 0 && lease)
		*lease = json_is_integer(l) ? json_integer_value(l) : 0;
	json_decref(v);
	buf_clear(&path);
	return rc;
}

int svc_remote_job_complete(svc_remote *r, const char *id, const char *result)
{
	svc_buf path = SVC_BUF_INIT, body = SVC_BUF_INIT;
	json_t *o = json_pack("{s:s}", "result", result ? result : "");
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	int rc;

	if (!text || (rc = buf_puts(&body, text)) ||
	    (rc = buf_puts(&path, "_apis/svcconn/jobs/")) ||
	    (rc = put_segment(&path, id)) || (rc = buf_puts(&path, "/complete")))
		rc = error_oom();
	else
		rc = call_ex(NULL, r, "POST", r->project, path.ptr, NULL,
			     &body, 1);
	json_decref(o);
	free(text);
	buf_clear(&path);
	buf_clear(&body);
	return rc;
}

int svc_remote_agent_open(svc_remote **out, const char *config_dir,
			  const char *url)
{
	svc_remote_options ro;
	svc_buf cfg = SVC_BUF_INIT, cred, path = SVC_BUF_INIT;
	json_t *o = NULL;
	size_t n;
	int rc;

	*out = NULL;
	buf_init(&cred, REMOTE_MAX_FILE, 1);
	buf_init(&cfg, REMOTE_MAX_FILE, 0);
	if ((rc = buf_printf(&path, "%s/agent.json", config_dir)))
		goto done;
	if (access(path.ptr, F_OK) != 0) {
		rc = error_set(SVC_ENOTFOUND,
			       "'%s': no agent is registered here (svcconn-agent register)",
			       path.ptr);
		goto done;
	}
	if ((rc = file_read_private(&cfg, path.ptr, "agent configuration")))
		goto done;
	o = json_loadb(cfg.ptr ? cfg.ptr : "", cfg.len, 0, NULL);
	if (!str_of(o, "server")) {
		rc = error_set(SVC_EINVALID, "'%s': field 'server' is missing",
			       path.ptr);
		goto done;
	}
	buf_reset(&path);
	if ((rc = buf_printf(&path, "%s/credential", config_dir)) ||
	    (rc = file_read_private(&cred, path.ptr, "agent credential")))
		goto done;
	n = cred.len;
	while (n && (cred.ptr[n - 1] == '\n' || cred.ptr[n - 1] == '\r'))
		n--;
	memset(&ro, 0, sizeof(ro));
	ro.version = SVC_REMOTE_OPTIONS_VERSION;
	ro.url = url ? url : str_of(o, "server");
	ro.token = cred.ptr;
	ro.token_len = n;
	ro.ca_file = str_of(o, "ca");
	rc = svc_remote_new(out, &ro);
done:
	json_decref(o);
	buf_clear(&cfg);
	buf_clear(&cred);
	buf_clear(&path);
	return rc;
}

int svc_remote_collection(char **uri, char **project, const svc_remote *r)
{
	const char *path = r->project + strlen(r->root), *slash;

	/* r->project is ROOT/ORG/PROJECT (default/default without a path) */
	slash = strrchr(path, '/');
	*uri = *project = NULL;
	if (!slash || slash == path ||
	    !(*uri = strndup(r->project, (size_t)(slash - r->project) + 1)) ||
	    !(*project = strdup(slash + 1))) {
		free(*uri);
		*uri = NULL;
		return error_oom();
	}
	return 0;
}
