/*
 * verify_http.c - the verifiers of services spoken to over HTTP: GitHub,
 * GitHub Enterprise, Bitbucket Cloud, Docker Registry and Docker Host,
 * Generic, Jenkins, Jira, Maven, npm, NuGet, Python download and upload,
 * Cargo, Subversion and Visual Studio App Center.  docs/verify.md says
 * what each one sends and what it counts as success.
 *
 * Each verifier builds one http_request (verify_http_init sets timeouts
 * and the acceptUntrustedCerts rule), sets its credentials by the
 * connection's scheme, calls net/http.c, and lets verify_http_answer()
 * read the common part of the answer (network failures, 401/403, other
 * non-2xx); what is left is the type's own check of a 2xx answer.
 *
 * URLs are built from the connection's URL with the path appended; the
 * target in messages never shows user info or a query.  Composed secrets
 * (a Basic value for Cargo, a token URL for Docker) live in secret svc_bufs
 * and are wiped.
 */
#include "verify/verify_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "svcconn/errors.h"
#include "svcconn/secret.h"
#include "errors_int.h"
#include "util/buf.h"

/** Longest URL built here, in bytes. */
#define VH_MAX_URL ((size_t)8192)

/** One call of a verifier and what it owns. */
struct vcall {
	http_request req;       /**< the request being made */
	http_response resp;     /**< its response */
	char *url;              /**< the URL called (owned) */
	char *target;           /**< "METHOD url" for messages (owned) */
};

static void vcall_init(struct vcall *v, const svc_conn *c,
		       const svc_verify_options *o)
{
	memset(v, 0, sizeof(*v));
	verify_http_init(&v->req, c, o);
}

static void vcall_clear(struct vcall *v)
{
	http_response_clear(&v->resp);
	free(v->url);
	free(v->target);
	v->url = NULL;
	v->target = NULL;
}

/*
 * base (trailing '/' removed) + path into v->url, and the target.
 * SVC_EINVALID-style outcome INVALID is set by the caller when base is
 * missing; here only memory can fail.
 */
static int vcall_url(struct vcall *v, const char *method, const char *base,
		     const char *path)
{
	svc_buf b;
	size_t n = strlen(base);

	while (n > 0 && base[n - 1] == '/')
		n--;
	buf_init(&b, VH_MAX_URL, 0);
	if (buf_put(&b, base, n) != 0 || buf_puts(&b, path) != 0) {
		buf_clear(&b);
		return error_set(SVC_EINVALID, "URL too long");
	}
	free(v->url);
	free(v->target);
	v->url = buf_detach(&b, NULL);
	v->target = verify_target(method, v->url);
	if (!v->target)
		v->target = strdup(method);
	if (!v->url || !v->target)
		return error_oom();
	v->req.method = method;
	v->req.url = v->url;
	return 0;
}

/* Make the call; 1 when out is set (done), 0 for 2xx, <0 on error. */
static int vcall_run(svc_verify_result *out, struct vcall *v)
{
	int rc;

	http_response_clear(&v->resp);
	rc = http_call(&v->resp, &v->req);
	return verify_http_answer(out, v->target, rc, &v->resp);
}

/* INVALID for a field the connection lacks. */
static int missing(svc_verify_result *out, const char *what)
{
	return verify_set(out, SVC_VERIFY_INVALID, NULL,
			  "the connection has no %s", what);
}

/* Set basic auth from the username and password fields. */
static int auth_basic(svc_verify_result *out, struct vcall *v,
		      const svc_conn *c, const char *ukey, const char *pkey)
{
	const char *u = verify_field(c, ukey);

	if (!u)
		return missing(out, ukey) ? -1 : 1;
	v->req.auth = HTTP_AUTH_BASIC;
	v->req.username = u;
	v->req.password = verify_field(c, pkey);
	return 0;
}

/* Set "Authorization: Bearer" from a token field. */
static int auth_bearer(svc_verify_result *out, struct vcall *v,
		       const svc_conn *c, const char *key)
{
	const char *t = verify_field(c, key);

	if (!t)
		return missing(out, key) ? -1 : 1;
	v->req.auth = HTTP_AUTH_BEARER;
	v->req.token = t;
	return 0;
}

/*
 * Credentials by the connection's scheme: UsernamePassword → basic
 * (username, password); Token → bearer (apitoken), or basic with
 * token_user as user when token_user is not NULL; None → none.  Returns 0
 * (set), 1 (out set: not possible), or <0.
 */
static int auth_by_scheme(svc_verify_result *out, struct vcall *v,
			  const svc_conn *c, const char *token_user)
{
	const char *s = svc_conn_scheme(c) ? svc_conn_scheme(c) : "";

	if (strcasecmp(s, "UsernamePassword") == 0)
		return auth_basic(out, v, c, "username", "password");
	if (strcasecmp(s, "None") == 0)
		return 0;
	if (strcasecmp(s, "Token") == 0) {
		if (!token_user)
			return auth_bearer(out, v, c, "apitoken");
		if (!verify_field(c, "apitoken"))
			return missing(out, "apitoken") ? -1 : 1;
		v->req.auth = HTTP_AUTH_BASIC;
		v->req.username = token_user;
		v->req.password = verify_field(c, "apitoken");
		return 0;
	}
	return verify_set(out, SVC_VERIFY_LOCAL, NULL,
			  "scheme '%s' cannot be checked by a call", s)
	       ? -1 : 1;
}

/*
 * The common first half of most verifiers: base (INVALID naming what when
 * it is missing), the credentials by scheme (token_user as for
 * auth_by_scheme), then method base+path.  0 for a 2xx answer in v->resp,
 * 1 when out is set, <0 on error.
 */
static int call_by_scheme(svc_verify_result *out, struct vcall *v,
			  const svc_conn *c, const char *method,
			  const char *base, const char *path, const char *what,
			  const char *token_user)
{
	int rc;

	if (!base || !*base)
		return missing(out, what) ? -1 : 1;
	if ((rc = auth_by_scheme(out, v, c, token_user)) != 0 ||
	    (rc = vcall_url(v, method, base, path)) != 0)
		return rc;
	return vcall_run(out, v);
}

/* Parse the 2xx body as a JSON object; NULL (and out set) when not. */
static json_t *json_body(svc_verify_result *out, const struct vcall *v)
{
	json_error_t jerr;
	json_t *j = json_loadb(v->resp.body.ptr ? v->resp.body.ptr : "",
			       v->resp.body.len, 0, &jerr);

	if (!j || !json_is_object(j)) {
		json_decref(j);
		(void)verify_set(out, SVC_VERIFY_UNEXPECTED, v->target,
				 "%s: answer is not a JSON object", v->target);
		return NULL;
	}
	return j;
}

/* OK with "<target>: <what>". */
static int ok(svc_verify_result *out, const struct vcall *v, const char *what)
{
	return verify_set(out, SVC_VERIFY_OK, v->target, "%s: %s", v->target,
			  what);
}

/* OK naming the account of a JSON field when present. */
static int ok_as(svc_verify_result *out, const struct vcall *v,
		 const char *key)
{
	json_t *j = json_loadb(v->resp.body.ptr ? v->resp.body.ptr : "",
			       v->resp.body.len, 0, NULL);
	const char *who = json_string_value(json_object_get(j, key));
	int rc;

	if (who)
		rc = verify_set(out, SVC_VERIFY_OK, v->target,
				"%s: authenticated as '%.128s'", v->target,
				who);
	else
		rc = ok(out, v, "credentials accepted");
	json_decref(j);
	return rc;
}

/* 1 when url's host is host (any case). */
static int url_host_is(const char *url, const char *host)
{
	CURLU *u = curl_url();
	char *h = NULL;
	int is = 0;

	if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &h, 0) == CURLUE_OK)
		is = strcasecmp(h, host) == 0;
	curl_free(h);
	curl_url_cleanup(u);
	return is;
}

/* ------------------------------------------------------------------------
 * GitHub, GitHub Enterprise, Bitbucket
 */

int verify_github(svc_verify_result *out, const svc_conn *c,
		  const svc_verify_options *o)
{
	const char *url = svc_conn_url(c), *s = svc_conn_scheme(c);
	const char *base = "https://api.github.com";
	struct vcall v;
	int rc = 0;

	vcall_init(&v, c, o);
	if (s && strcasecmp(s, "InstallationToken") == 0) {
		rc = verify_set(out, SVC_VERIFY_LOCAL, NULL,
				"a GitHub App installation holds no stored "
				"token to check by a call");
		goto done;
	}
	/* github.com's API is api.github.com; any other URL is the API */
	if (url && *url && !url_host_is(url, "github.com") &&
	    !url_host_is(url, "api.github.com"))
		base = url;
	if ((rc = auth_bearer(out, &v, c, "AccessToken")) != 0)
		goto done;
	if ((rc = vcall_url(&v, "GET", base, "/user")) != 0)
		goto done;
	if ((rc = vcall_run(out, &v)) != 0)
		goto done;
	rc = ok_as(out, &v, "login");
done:
	vcall_clear(&v);
	return rc < 0 ? rc : 0;
}

int verify_github_enterprise(svc_verify_result *out, const svc_conn *c,
			     const svc_verify_options *o)
{
	const char *url = svc_conn_url(c), *s = svc_conn_scheme(c);
	struct vcall v;
	int rc = 0;

	vcall_init(&v, c, o);
	if (!url || !*url) {
		rc = missing(out, "server URL");
		goto done;
	}
	if (s && strcasecmp(s, "UsernamePassword") == 0)
		rc = auth_basic(out, &v, c, "username", "password");
	else if (s && strcasecmp(s, "Token") == 0)
		rc = auth_bearer(out, &v, c, "apitoken");
	else if (s && strcasecmp(s, "OAuth2") == 0)
		rc = auth_bearer(out, &v, c, "AccessToken");
	else
		rc = verify_set(out, SVC_VERIFY_LOCAL, NULL,
				"scheme '%s' holds no stored credentials to "
				"check by a call", s ? s : "") ? -1 : 1;
	if (rc != 0)
		goto done;
	if ((rc = vcall_url(&v, "GET", url, "/api/v3/user")) != 0)
		goto done;
	if ((rc = vcall_run(out, &v)) != 0)
		goto done;
	rc = ok_as(out, &v, "login");
done:
	vcall_clear(&v);
	return rc < 0 ? rc : 0;
}

int verify_bitbucket(svc_verify_result *out, const svc_conn *c,
		     const svc_verify_options *o)
{
	const char *url = svc_conn_url(c), *s = svc_conn_scheme(c);
	const char *base = "https://api.bitbucket.org";
	struct vcall v;
	int rc = 0;

	vcall_init(&v, c, o);
	if (url && *url && !url_host_is(url, "bitbucket.org"))
		base = url;
	if (s && strcasecmp(s, "Token") == 0)
		/* an Atlassian API token goes with the account's e-mail */
		rc = auth_basic(out, &v, c, "email", "apitoken");
	else if (s && strcasecmp(s, "OAuth") == 0)
		rc = auth_bearer(out, &v, c, "AccessToken");
	else
		rc = auth_basic(out, &v, c, "username", "password");
	if (rc != 0)
		goto done;
	if ((rc = vcall_url(&v, "GET", base, "/2.0/user")) != 0)
		goto done;
	if ((rc = vcall_run(out, &v)) != 0)
		goto done;
	rc = ok_as(out, &v, "username");
done:
	vcall_clear(&v);
	return rc < 0 ? rc : 0;
}

/* ------------------------------------------------------------------------
 * Docker
 */

/*
 * The value of key in a WWW-Authenticate challenge's parameters
 * (key="value" or key=value, comma separated) into a new string, or NULL.
 */
static char *challenge_param(const char *ch, const char *key)
{
	size_t klen = strlen(key);
	const char *p = ch, *e;
	char *v;

	while (*p) {
		while (*p == ' ' || *p == ',')
			p++;
		if (strncasecmp(p, key, klen) == 0 && p[klen] == '=') {
			p += klen + 1;
			if (*p == '"') {
				e = strchr(++p, '"');
				if (!e)
					return NULL;
			} else {
				e = p + strcspn(p, ", ");
			}
			if (!(v = malloc((size_t)(e - p) + 1)))
				return NULL;
			memcpy(v, p, (size_t)(e - p));
			v[e - p] = '\0';
			return v;
		}
		/* skip this parameter, quoted commas included */
		while (*p && *p != ',') {
			if (*p == '"') {
				e = strchr(p + 1, '"');
				p = e ? e + 1 : p + strlen(p);
			} else {
				p++;
			}
		}
	}
	return NULL;
}

/* Append "&name=<escaped value>" (first one with '?' when no query). */
static int add_query(svc_buf *b, const char *name, const char *value)
{
	char *esc;
	int rc;

	if (!value)
		return 0;
	esc = curl_easy_escape(NULL, value, 0);
	if (!esc)
		return error_oom();
	rc = buf_printf(b, "%c%s=%s", strchr(b->ptr, '?') ? '&' : '?', name,
			esc);
	curl_free(esc);
	return rc;
}

/*
 * The bearer-token dance of `docker login`: GET realm?service=&scope= with
 * basic credentials, take "token" (or "access_token") from the JSON, into
 * *token (a secret string).  1 when out is set, 0, or <0.
 */
static int docker_token(svc_verify_result *out, const svc_conn *c,
			const svc_verify_options *o, const char *challenge,
			char **token, size_t *token_len)
{
	char *realm = challenge_param(challenge, "realm");
	char *service = challenge_param(challenge, "service");
	char *scope = challenge_param(challenge, "scope");
	const char *tok;
	struct vcall t;
	json_t *j = NULL;
	svc_buf url;
	int rc = 0;

	vcall_init(&t, c, o);
	buf_init(&url, VH_MAX_URL, 0);
	if (!realm || (strncasecmp(realm, "https://", 8) != 0 &&
		       strncasecmp(realm, "http://", 7) != 0)) {
		rc = verify_set(out, SVC_VERIFY_UNEXPECTED, NULL,
				"registry asks for a bearer token without a "
				"usable realm") ? -1 : 1;
		goto done;
	}
	if (buf_puts(&url, realm) != 0 ||
	    add_query(&url, "service", service) != 0 ||
	    add_query(&url, "scope", scope) != 0) {
		rc = error_set(SVC_EINVALID, "token URL too long");
		goto done;
	}
	if ((rc = auth_basic(out, &t, c, "username", "password")) != 0)
		goto done;
	if ((rc = vcall_url(&t, "GET", url.ptr, "")) != 0)
		goto done;
	if ((rc = vcall_run(out, &t)) != 0)
		goto done;
	if (!(j = json_body(out, &t))) {
		rc = 1;
		goto done;
	}
	tok = json_string_value(json_object_get(j, "token"));
	if (!tok || !*tok)
		tok = json_string_value(json_object_get(j, "access_token"));
	if (!tok || !*tok) {
		rc = verify_set(out, SVC_VERIFY_UNEXPECTED, t.target,
				"%s: no token in the answer", t.target)
		     ? -1 : 1;
		goto done;
	}
	*token_len = strlen(tok);
	if (!(*token = strdup(tok)))
		rc = error_oom();
done:
	if (j) {
		const char *k;
		json_t *val;

		json_object_foreach(j, k, val)
			if (json_is_string(val))
				svc_wipe((char *)json_string_value(val),
					 json_string_length(val));
		json_decref(j);
	}
	buf_clear(&url);
	vcall_clear(&t);
	free(realm);
	free(service);
	free(scope);
	return rc;
}

/* The registry's base URL: scheme and host, Docker Hub's v1 name mapped. */
static int docker_base(char **out, const char *registry)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL;
	const char *hub = NULL;
	svc_buf b;
	int rc = SVC_EINVALID;

	buf_init(&b, VH_MAX_URL, 0);
	if (!u || curl_url_set(u, CURLUPART_URL, registry,
			       CURLU_GUESS_SCHEME) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		goto done;
	curl_url_get(u, CURLUPART_PORT, &port, 0);
	/* docker login's default name for Docker Hub */
	if (strcasecmp(host, "index.docker.io") == 0 ||
	    strcasecmp(host, "docker.io") == 0)
		hub = "registry-1.docker.io";
	if (buf_printf(&b, "%s://%s%s%s", scheme, hub ? hub : host,
		       port ? ":" : "", port ? port : "") != 0)
		goto done;
	*out = buf_detach(&b, NULL);
	rc = *out ? 0 : SVC_ERROR;
done:
	buf_clear(&b);
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return rc;
}

int verify_docker_registry(svc_verify_result *out, const svc_conn *c,
			   const svc_verify_options *o)
{
	const char *reg = verify_field(c, "registry"), *s = svc_conn_scheme(c);
	char *base = NULL, *challenge = NULL, *token = NULL;
	size_t token_len = 0;
	struct vcall v;
	int rc = 0;

	vcall_init(&v, c, o);
	if (s && strcasecmp(s, "UsernamePassword") != 0) {
		rc = verify_set(out, SVC_VERIFY_LOCAL, NULL,
				"an Azure Container Registry connection "
				"(scheme '%s') logs in through Azure; not "
				"checked by a call", s);
		goto done;
	}
	if (!reg) {
		rc = missing(out, "registry");
		goto done;
	}
	if (docker_base(&base, reg) != 0) {
		rc = verify_set(out, SVC_VERIFY_INVALID, NULL,
				"invalid registry URL");
		goto done;
	}
	if ((rc = vcall_url(&v, "GET", base, "/v2/")) != 0)
		goto done;
	/* first without credentials, as docker does, to get the challenge */
	rc = http_call(&v.resp, &v.req);
	if (rc == 0 && v.resp.status == 401)
		challenge = http_response_header(&v.resp, "WWW-Authenticate");
	if (rc == 0 && v.resp.status >= 200 && v.resp.status < 300) {
		out->http_status = (int)v.resp.status;
		rc = ok(out, &v, "the registry needs no credentials (they "
			"were not checked)");
		goto done;
	}
	if (!challenge) {
		if (rc == 0 && v.resp.status == 401) {
			out->http_status = 401;
			rc = verify_set(out, SVC_VERIFY_UNEXPECTED, v.target,
					"%s: 401 without a WWW-Authenticate "
					"challenge", v.target);
		} else {
			rc = verify_http_answer(out, v.target, rc, &v.resp);
		}
		goto done;
	}
	if (strncasecmp(challenge, "Bearer", 6) == 0) {
		if ((rc = docker_token(out, c, o, challenge + 6, &token,
				     &token_len)) != 0)
			goto done;
		v.req.auth = HTTP_AUTH_BEARER;
		v.req.token = token;
	} else if (strncasecmp(challenge, "Basic", 5) == 0) {
		if ((rc = auth_basic(out, &v, c, "username", "password")) != 0)
			goto done;
	} else {
		rc = verify_set(out, SVC_VERIFY_UNEXPECTED, v.target,
				"%s: unknown authentication scheme in the "
				"challenge", v.target);
		goto done;
	}
	if ((rc = vcall_run(out, &v)) != 0)
		goto done;
	rc = ok(out, &v, "login succeeded");
done:
	if (token)
		svc_secret_free(token, token_len);
	free(challenge);
	free(base);
	vcall_clear(&v);
	return rc < 0 ? rc : 0;
}

int verify_docker_host(svc_verify_result *out, const svc_conn *c,
		       const svc_verify_options *o)
{
	const char *url = svc_conn_url(c);
	json_t *j = NULL;
	svc_buf b;
	struct vcall v;
	int rc = 0;

	vcall_init(&v, c, o);
	buf_init(&b, VH_MAX_URL, 0);
	if (!url || !*url) {
		rc = missing(out, "server URL");
		goto done;
	}
	/* docker -H tcp://host:port with TLS is https://host:port */
	if (strncasecmp(url, "tcp://", 6) == 0)
		rc = buf_printf(&b, "https://%s", url + 6);
	else
		rc = buf_puts(&b, url);
	if (rc != 0)
		goto done;
	v.req.ca_pem = verify_field(c, "cacert");
	v.req.client_cert_pem = verify_field(c, "cert");
	v.req.client_key_pem = verify_field(c, "key");
	if (!v.req.client_cert_pem || !v.req.client_key_pem) {
		rc = missing(out, "client certificate and key");
		goto done;
	}
	if ((rc = vcall_url(&v, "GET", b.ptr, "/version")) != 0)
		goto done;
	if ((rc = vcall_run(out, &v)) != 0)
		goto done;
	if (!(j = json_body(out, &v)))
		goto done;
	if (!json_string_value(json_object_get(j, "Version")))
		rc = verify_set(out, SVC_VERIFY_UNEXPECTED, v.target,
				"%s: no 'Version' in the answer", v.target);
	else
		rc = verify_set(out, SVC_VERIFY_OK, v.target,
				"%s: Docker %.64s accepted the client "
				"certificate", v.target,
				json_string_value(json_object_get(j,
								  "Version")));
done:
	json_decref(j);
	buf_clear(&b);
	vcall_clear(&v);
	return rc < 0 ? rc : 0;
}

/* ------------------------------------------------------------------------
 * Generic, Jenkins, Jira, App Center
 */

/* GET base+path with basic credentials; OK on any 2xx. */
static int basic_get(svc_verify_result *out, const svc_conn *c,
		     const svc_verify_options *o, const char *path,
		     const char *who_key)
{
	const char *url = svc_conn_url(c);
	struct vcall v;
	int rc = 0;

	vcall_init(&v, c, o);
	if ((rc = call_by_scheme(out, &v, c, "GET", url, path, "server URL",
				 NULL)) != 0)
		goto done;
	rc = who_key ? ok_as(out, &v, who_key)
		     : ok(out, &v, "credentials accepted");
done:
	vcall_clear(&v);
	return rc < 0 ? rc : 0;
}

int verify_generic(svc_verify_result *out, const svc_conn *c,
		   const svc_verify_options *o)
{
	return basic_get(out, c, o, "", NULL);
}

int verify_jenkins(svc_verify_result *out, const svc_conn *c,
		   const svc_verify_options *o)
{
	return basic_get(out, c, o, "/api/json", NULL);
}

int verify_jira(svc_verify_result *out, const svc_conn *c,
		const svc_verify_options *o)
{
	return basic_get(out, c, o, "/rest/api/2/myself", "name");
}

int verify_app_center(svc_verify_result *out, const svc_conn *c,
		      const svc_verify_options *o)
{
	const char *url = svc_conn_url(c);
	char *base = NULL;
	struct vcall v;
	size_t n;
	int rc = 0;

	vcall_init(&v, c, o);
	if (!(base = strdup(url && *url ? url : "https://api.appcenter.ms"))) {
		rc = error_oom();
		goto done;
	}
	/* the catalog's URL includes the API version */
	n = strlen(base);
	while (n > 0 && base[n - 1] == '/')
		base[--n] = '\0';
	if (n >= 5 && strcasecmp(base + n - 5, "/v0.1") == 0)
		base[n - 5] = '\0';
	if (!(v.req.token = verify_field(c, "apitoken"))) {
		rc = missing(out, "apitoken");
		goto done;
	}
	v.req.auth = HTTP_AUTH_HEADER;
	v.req.auth_header = "X-API-Token";
	if ((rc = vcall_url(&v, "GET", base, "/v0.1/user")) != 0)
		goto done;
	if ((rc = vcall_run(out, &v)) != 0)
		goto done;
	rc = ok_as(out, &v, "name");
done:
	free(base);
	vcall_clear(&v);
	return rc < 0 ? rc : 0;
}

/* ------------------------------------------------------------------------
 * Package feeds
 */

int verify_maven(svc_verify_result *out, const svc_conn *c,
		 const svc_verify_options *o)
{
	const char *url = svc_conn_url(c), *s = svc_conn_scheme(c);
	struct vcall v;
	int rc = 0;

	vcall_init(&v, c, o);
	if (s && strcasecmp(s, "PrivateKey") == 0) {
		rc = verify_set(out, SVC_VERIFY_LOCAL, NULL,
				"a private-key (SSH/SCP) Maven repository "
				"is not checked by a call; the connection is "
				"valid for its type");
		goto done;
	}
	if ((rc = call_by_scheme(out, &v, c, "GET", url, "/",
				 "repository URL", NULL)) != 0)
		goto done;
	rc = ok(out, &v, "credentials accepted");
done:
	vcall_clear(&v);
	return rc < 0 ? rc : 0;
}

int verify_npm(svc_verify_result *out, const svc_conn *c,
	       const svc_verify_options *o)
{
	const char *url = svc_conn_url(c);
	struct vcall v;
	json_t *j = NULL;
	int rc = 0;

	vcall_init(&v, c, o);
	if ((rc = call_by_scheme(out, &v, c, "GET", url, "/-/whoami",
				 "registry URL", NULL)) != 0 ||
	    !(j = json_body(out, &v)))
		goto done;
	if (!json_string_value(json_object_get(j, "username")))
		rc = verify_set(out, SVC_VERIFY_UNEXPECTED, v.target,
				"%s: no username in the answer", v.target);
	else
		rc = ok_as(out, &v, "username");
done:
	json_decref(j);
	vcall_clear(&v);
	return rc < 0 ? rc : 0;
}

int verify_nuget(svc_verify_result *out, const svc_conn *c,
		 const svc_verify_options *o)
{
	const char *url = svc_conn_url(c), *s = svc_conn_scheme(c);
	struct vcall v;
	json_t *j = NULL;
	int rc = 0, keyonly = s && strcasecmp(s, "None") == 0;

	vcall_init(&v, c, o);
	/* scheme None: an API key is for pushing, the index is read
	   without it */
	if ((rc = call_by_scheme(out, &v, c, "GET", url, "", "feed URL",
				 "VssSessionToken")) != 0 ||
	    !(j = json_body(out, &v)))
		goto done;
	if (!json_is_string(json_object_get(j, "version")) ||
	    !json_is_array(json_object_get(j, "resources")))
		rc = verify_set(out, SVC_VERIFY_UNEXPECTED, v.target,
				"%s: not a NuGet v3 service index (no "
				"'version' and 'resources')", v.target);
	else
		rc = ok(out, &v, keyonly
			? "service index read (the API key is only used "
			  "when pushing and was not checked)"
			: "service index read with the credentials");
done:
	json_decref(j);
	vcall_clear(&v);
	return rc < 0 ? rc : 0;
}

/* 1 when s holds word (ASCII letters, any case). */
static int has_ci(const char *s, const char *word)
{
	size_t n = strlen(word);

	for (; *s; s++)
		if (strncasecmp(s, word, n) == 0)
			return 1;
	return 0;
}

int verify_python_download(svc_verify_result *out, const svc_conn *c,
			   const svc_verify_options *o)
{
	const char *url = svc_conn_url(c);
	char *ctype = NULL;
	struct vcall v;
	int rc = 0;

	vcall_init(&v, c, o);
	if ((rc = call_by_scheme(out, &v, c, "GET", url, "/", "index URL",
				 "__token__")) != 0)
		goto done;
	ctype = http_response_header(&v.resp, "Content-Type");
	if (!ctype || (!has_ci(ctype, "html") && !has_ci(ctype, "json")))
		rc = verify_set(out, SVC_VERIFY_UNEXPECTED, v.target,
				"%s: not a simple index (content type "
				"'%.64s')", v.target, ctype ? ctype : "");
	else
		rc = ok(out, &v, "index read with the credentials");
done:
	free(ctype);
	vcall_clear(&v);
	return rc < 0 ? rc : 0;
}

/* The body of the upload probe: an upload with no file. */
static const char upload_probe[] =
	"--svcconn-verify\r\n"
	"Content-Disposition: form-data; name=\":action\"\r\n\r\n"
	"file_upload\r\n"
	"--svcconn-verify\r\n"
	"Content-Disposition: form-data; name=\"protocol_version\"\r\n\r\n"
	"1\r\n"
	"--svcconn-verify--\r\n";

int verify_python_upload(svc_verify_result *out, const svc_conn *c,
			 const svc_verify_options *o)
{
	const char *url = svc_conn_url(c);
	struct vcall v;
	int rc = 0;

	vcall_init(&v, c, o);
	if (!url || !*url) {
		rc = missing(out, "upload URL");
		goto done;
	}
	if ((rc = auth_by_scheme(out, &v, c, "__token__")) != 0)
		goto done;
	if ((rc = vcall_url(&v, "POST", url, "")) != 0)
		goto done;
	v.req.body = upload_probe;
	v.req.body_len = sizeof(upload_probe) - 1;
	v.req.content_type = "multipart/form-data; boundary=svcconn-verify";
	http_response_clear(&v.resp);
	rc = http_call(&v.resp, &v.req);
	/* authenticated, an upload without a file is refused as bad */
	if (rc == 0 && v.resp.status == 400) {
		out->http_status = 400;
		rc = ok(out, &v, "credentials accepted (the empty upload "
			"was refused, as expected)");
		goto done;
	}
	if ((rc = verify_http_answer(out, v.target, rc, &v.resp)) != 0)
		goto done;
	rc = ok(out, &v, "credentials accepted");
done:
	vcall_clear(&v);
	return rc < 0 ? rc : 0;
}

int verify_cargo(svc_verify_result *out, const svc_conn *c,
		 const svc_verify_options *o)
{
	const char *url = svc_conn_url(c), *s = svc_conn_scheme(c);
	const char *u, *p;
	svc_buf cred, val;
	struct vcall v;
	json_t *j = NULL;
	int rc = 0;

	vcall_init(&v, c, o);
	buf_init(&cred, 64 * 1024, 1);
	buf_init(&val, 128 * 1024, 1);
	if (!url || !*url) {
		rc = missing(out, "index URL");
		goto done;
	}
	if (strncasecmp(url, "sparse+", 7) == 0)
		url += 7;
	/* cargo sends the registry token as the Authorization value */
	if (s && strcasecmp(s, "UsernamePassword") == 0) {
		u = verify_field(c, "username");
		p = verify_field(c, "password");
		if (!u || !p) {
			rc = missing(out, "username and password");
			goto done;
		}
		if (buf_printf(&cred, "%s:%s", u, p) != 0 ||
		    buf_puts(&val, "Basic ") != 0 ||
		    buf_grow(&val, 4 * (cred.len / 3 + 1) + 1) != 0) {
			rc = error_set(SVC_EINVALID, "credentials too long");
			goto done;
		}
		val.len += (size_t)EVP_EncodeBlock(
			(unsigned char *)val.ptr + val.len,
			(const unsigned char *)cred.ptr, (int)cred.len);
		val.ptr[val.len] = '\0';
		v.req.token = val.ptr;
	} else if (!(v.req.token = verify_field(c, "apitoken"))) {
		rc = missing(out, "apitoken");
		goto done;
	}
	v.req.auth = HTTP_AUTH_HEADER;
	v.req.auth_header = "Authorization";
	if ((rc = vcall_url(&v, "GET", url, "/config.json")) != 0)
		goto done;
	if ((rc = vcall_run(out, &v)) != 0)
		goto done;
	if (!(j = json_body(out, &v)))
		goto done;
	if (!json_is_string(json_object_get(j, "dl")))
		rc = verify_set(out, SVC_VERIFY_UNEXPECTED, v.target,
				"%s: no 'dl' in the registry's config.json",
				v.target);
	else
		rc = ok(out, &v, "registry configuration read");
done:
	json_decref(j);
	buf_clear(&cred);
	buf_clear(&val);
	vcall_clear(&v);
	return rc < 0 ? rc : 0;
}

/* ------------------------------------------------------------------------
 * Subversion
 */

int verify_subversion(svc_verify_result *out, const svc_conn *c,
		      const svc_verify_options *o)
{
	const char *url = svc_conn_url(c);
	char *dav = NULL;
	struct vcall v;
	int rc = 0;

	vcall_init(&v, c, o);
	if ((rc = call_by_scheme(out, &v, c, "OPTIONS", url, "",
				 "repository URL", NULL)) != 0)
		goto done;
	dav = http_response_header(&v.resp, "DAV");
	if (!dav)
		rc = verify_set(out, SVC_VERIFY_UNEXPECTED, v.target,
				"%s: no DAV header: not a Subversion "
				"repository", v.target);
	else
		rc = ok(out, &v, "repository answered with DAV");
done:
	free(dav);
	vcall_clear(&v);
	return rc < 0 ? rc : 0;
}
