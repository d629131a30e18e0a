/*
 * verify.c - svc_verify(): find the connection's type in the table of
 * verifiers and run it; the result helpers; and what every HTTP verifier
 * shares (timeouts, the acceptUntrustedCerts rule, reading an answer).
 *
 * The table maps a catalog type id (compared case-insensitively) to one
 * function.  A type missing from it is reported as SVC_VERIFY_LOCAL: no
 * call can check it here, and the connection was validated against the
 * catalog, which is what can be checked locally.
 *
 * The acceptUntrustedCerts rule: certificate checking is switched off for
 * a connection only when its "acceptUntrustedCerts" data field is "true"
 * (any case), the option the catalog offers for the types that have it.
 */
#include "verify/verify_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "svcconn/errors.h"
#include "errors_int.h"
#include "util/buf.h"

/** Type id to verifier; types not listed are SVC_VERIFY_LOCAL. */
static const struct verifier verifiers[] = {
	/* HTTP services (verify_http.c) */
	{ "github", verify_github },
	{ "githubenterprise", verify_github_enterprise },
	{ "bitbucket", verify_bitbucket },
	{ "dockerregistry", verify_docker_registry },
	{ "dockerhost", verify_docker_host },
	{ "generic", verify_generic },
	{ "Jenkins", verify_jenkins },
	{ "jira", verify_jira },
	{ "externalmavenrepository", verify_maven },
	{ "externalnpmregistry", verify_npm },
	{ "externalnugetfeed", verify_nuget },
	{ "externalPythonDownloadFeed", verify_python_download },
	{ "externalPythonUploadFeed", verify_python_upload },
	{ "externalcargorepository", verify_cargo },
	{ "subversion", verify_subversion },
	{ "vsmobilecenter", verify_app_center },
	/* ---- git, SSH, Azure, Kubernetes, Chef, webhook verifiers:
	 * entries go here (declared in verify_int.h) ---- */
	{ "git", verify_git },
	{ "externaltfs", verify_externaltfs },
	{ "ssh", verify_ssh },
	{ "azurerm", verify_azurerm },
	{ "azure", verify_azure_classic },
	{ "AzureServiceBus", verify_servicebus },
	{ "servicefabric", verify_servicefabric },
	{ "kubernetes", verify_kubernetes },
	{ "Chef", verify_chef },
	{ "incomingwebhook", verify_webhook },
	/* ---- end of the git, SSH, Azure... entries ---- */
};

void svc_verify_result_clear(svc_verify_result *r)
{
	if (!r)
		return;
	free(r->message);
	free(r->target);
	r->message = NULL;
	r->target = NULL;
	r->outcome = SVC_VERIFY_OK;
	r->http_status = 0;
}

const char *svc_verify_outcome_name(svc_verify_outcome o)
{
	switch (o) {
	case SVC_VERIFY_OK: return "ok";
	case SVC_VERIFY_DNS: return "dns";
	case SVC_VERIFY_CONNECT: return "connect";
	case SVC_VERIFY_TLS: return "tls";
	case SVC_VERIFY_AUTH: return "auth";
	case SVC_VERIFY_UNEXPECTED: return "unexpected";
	case SVC_VERIFY_TIMEOUT: return "timeout";
	case SVC_VERIFY_HOSTKEY: return "hostkey";
	case SVC_VERIFY_INVALID: return "invalid";
	case SVC_VERIFY_LOCAL: return "local";
	}
	return "unknown";
}

int verify_set(svc_verify_result *out, svc_verify_outcome outcome,
	       const char *target, const char *fmt, ...)
{
	svc_buf msg = SVC_BUF_INIT;
	char *t = NULL, *p;
	va_list ap;
	int rc;

	buf_init(&msg, 4096, 0);
	va_start(ap, fmt);
	rc = buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	if (rc != 0 || (target && !(t = strdup(target)))) {
		buf_clear(&msg);
		return error_oom();
	}
	/* one line, whatever the message was built from */
	for (p = msg.ptr; p && *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	free(out->message);
	free(out->target);
	out->message = buf_detach(&msg, NULL);
	out->target = t;
	out->outcome = outcome;
	return 0;
}

int svc_verify(svc_verify_result *out, const svc_catalog *cat,
	       const svc_conn *c, const svc_verify_options *o)
{
	const svc_type *t;
	const char *type;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (!c || !svc_conn_type(c))
		return error_set(SVC_EINVALID, "no connection to verify");
	if (o && o->version != SVC_VERIFY_OPTIONS_VERSION)
		return error_set(SVC_EINVALID,
				 "unsupported verify options version %u",
				 o->version);
	type = svc_conn_type(c);
	for (i = 0; i < sizeof(verifiers) / sizeof(verifiers[0]); i++)
		if (strcasecmp(verifiers[i].type, type) == 0)
			return verifiers[i].run(out, c, o);
	/* a custom type: the request its definition describes */
	t = cat ? svc_catalog_find(cat, type) : NULL;
	if (svc_type_is_custom(t))
		return verify_custom(out, t, c, o);
	return verify_set(out, SVC_VERIFY_LOCAL, NULL,
			  "connections of type '%s' cannot be checked by a "
			  "call; the connection is valid for its type",
			  type);
}

/* ------------------------------------------------------------------------
 * HTTP helpers
 */

const char *verify_field(const svc_conn *c, const char *key)
{
	svc_conn_field f;

	if (svc_conn_field_get(c, key, &f) != 0 || !f.value || !*f.value)
		return NULL;
	return f.value;
}

int verify_insecure(const svc_conn *c)
{
	const char *v = verify_field(c, "acceptUntrustedCerts");

	return v && strcasecmp(v, "true") == 0;
}

void verify_http_init(http_request *req, const svc_conn *c,
		      const svc_verify_options *o)
{
	memset(req, 0, sizeof(*req));
	req->timeout_ms = o && o->timeout_ms > 0 ? o->timeout_ms
						 : SVC_VERIFY_TIMEOUT_MS;
	req->connect_timeout_ms = o && o->connect_timeout_ms > 0
				  ? o->connect_timeout_ms
				  : SVC_VERIFY_CONNECT_TIMEOUT_MS;
	req->insecure = verify_insecure(c);
}

char *verify_target(const char *method, const char *url)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL;
	svc_buf b;
	char *out = NULL;

	buf_init(&b, 8192, 0);
	if (!u || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		goto done;
	curl_url_get(u, CURLUPART_PORT, &port, 0);
	curl_url_get(u, CURLUPART_PATH, &path, 0);
	if (buf_printf(&b, "%s %s://%s%s%s%s", method, scheme, host,
		       port ? ":" : "", port ? port : "",
		       path ? path : "/") == 0)
		out = buf_detach(&b, NULL);
done:
	buf_clear(&b);
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(path);
	curl_url_cleanup(u);
	return out;
}

int verify_http_answer(svc_verify_result *out, const char *target,
		       int call_rc, const http_response *r)
{
	svc_verify_outcome o;
	int rc;

	out->http_status = (int)r->status;
	if (call_rc != 0) {
		switch (r->err) {
		case HTTP_ERR_DNS: o = SVC_VERIFY_DNS; break;
		case HTTP_ERR_CONNECT: o = SVC_VERIFY_CONNECT; break;
		case HTTP_ERR_TLS: o = SVC_VERIFY_TLS; break;
		case HTTP_ERR_TIMEOUT: o = SVC_VERIFY_TIMEOUT; break;
		case HTTP_ERR_INVALID: o = SVC_VERIFY_INVALID; break;
		default: o = SVC_VERIFY_UNEXPECTED; break;
		}
		rc = verify_set(out, o, target, "%s",
				r->error ? r->error : svc_error_last());
		return rc ? rc : 1;
	}
	if (r->status == 401 || r->status == 403) {
		rc = verify_set(out, SVC_VERIFY_AUTH, target,
				"%s: credentials refused (HTTP %ld %s)",
				target ? target : "request", r->status,
				r->status == 401 ? "Unauthorized"
						 : "Forbidden");
		return rc ? rc : 1;
	}
	if (r->status < 200 || r->status > 299) {
		rc = verify_set(out, SVC_VERIFY_UNEXPECTED, target,
				"%s: unexpected answer HTTP %ld",
				target ? target : "request", r->status);
		return rc ? rc : 1;
	}
	return 0;
}
