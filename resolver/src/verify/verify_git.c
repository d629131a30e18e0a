/*
 * verify_git.c - the verifiers of Other Git (git) and Azure Repos
 * (externaltfs) connections.
 *
 * Other Git: an ls-remote of the connection's URL with libgit2
 * (git_remote_create_detached, git_remote_connect with a credentials
 * callback, git_remote_ls): the user name and password are given once;
 * asked again means they were refused (AUTH).  The certificate_check
 * callback accepts an untrusted certificate only for a connection with
 * acceptUntrustedCerts; proxies come from the environment (GIT_PROXY_AUTO).
 *
 * libgit2 1.5 has no connect or read timeout, so the ls-remote runs in a
 * child process (fork, libgit2 initialised there only) that reports one
 * line "<outcome> <message>" through a pipe; the parent waits at most the
 * verify timeout, then kills it (TIMEOUT).  The child holds the same
 * secrets as the parent and dies with them.
 *
 * Azure Repos: GET {url}/_apis/connectionData with the token as the
 * password of basic auth (empty user) or with the user name and password;
 * the answer must name an authenticatedUser.  When the URL is a
 * repository's (".../_git/NAME"), connectionData is asked of what is
 * before "/_git/", and the repository is then listed with ls-remote too.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <git2.h>
#include <jansson.h>

#include "svcconn/secret.h"
#include "util/child.h"
#include "verify/verify_int.h"
#include "errors_int.h"
#include "util/buf.h"

#define GIT_REPORT_MAX 1024   /* bytes of the child's one-line report */

/* What the credentials callback needs. */
struct git_ctx {
	const char *user;     /**< user name, or NULL */
	const char *pass;     /**< password or token, or NULL */
	int asked;            /**< times credentials were asked for */
	int insecure;         /**< accept an untrusted certificate */
};

static int on_cred(git_credential **out, const char *url, const char *from_url,
		   unsigned int allowed, void *payload)
{
	struct git_ctx *g = payload;

	(void)url;
	if (++g->asked > 1)
		return GIT_EAUTH;    /* what we gave was refused */
	if (!(allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) || (!g->pass && !g->user))
		return GIT_PASSTHROUGH;
	return git_credential_userpass_plaintext_new(out,
		g->user ? g->user : from_url ? from_url : "",
		g->pass ? g->pass : "");
}

static int on_cert(git_cert *cert, int valid, const char *host, void *payload)
{
	struct git_ctx *g = payload;

	(void)cert;
	(void)host;
	if (valid)
		return 0;
	return g->insecure ? 0 : GIT_ECERTIFICATE;
}

/* The outcome a libgit2 error stands for. */
static svc_verify_outcome git_outcome(int code, const git_error *e,
				      const struct git_ctx *g)
{
	const char *m = e && e->message ? e->message : "";

	if (g->asked > 1 || code == GIT_EAUTH ||
	    strstr(m, "authentication") || strstr(m, "401"))
		return SVC_VERIFY_AUTH;
	if (code == GIT_ECERTIFICATE || (e && e->klass == GIT_ERROR_SSL) ||
	    strstr(m, "certificate") || strstr(m, "SSL") || strstr(m, "TLS"))
		return SVC_VERIFY_TLS;
	if (strstr(m, "resolve"))
		return SVC_VERIFY_DNS;
	if (strstr(m, "timed out"))
		return SVC_VERIFY_TIMEOUT;
	if (strstr(m, "connect") || (e && e->klass == GIT_ERROR_NET))
		return SVC_VERIFY_CONNECT;
	if (strstr(m, "403"))
		return SVC_VERIFY_AUTH;
	return SVC_VERIFY_UNEXPECTED;
}

/* In the child: the ls-remote, its report written to fd. */
static void ls_remote_child(int fd, const char *url, struct git_ctx *g)
{
	git_remote_callbacks cb = GIT_REMOTE_CALLBACKS_INIT;
	git_proxy_options px = GIT_PROXY_OPTIONS_INIT;
	const git_remote_head **heads;
	git_remote *r = NULL;
	char line[GIT_REPORT_MAX];
	size_t n = 0, i;
	int rc;

	git_libgit2_init();
	cb.credentials = on_cred;
	cb.certificate_check = on_cert;
	cb.payload = g;
	px.type = GIT_PROXY_AUTO;
	px.certificate_check = on_cert;
	px.payload = g;
	if ((rc = git_remote_create_detached(&r, url)) ||
	    (rc = git_remote_connect(r, GIT_DIRECTION_FETCH, &cb, &px, NULL)) ||
	    (rc = git_remote_ls(&heads, &n, r))) {
		const git_error *e = git_error_last();

		/* asked twice: the credentials were refused, and libgit2's
		 * last error may be a stale one of its own */
		snprintf(line, sizeof(line), "%d ls-remote failed: %s",
			 (int)git_outcome(rc, e, g),
			 g->asked > 1 ? "the server refused the credentials"
			 : e && e->message ? e->message : "unknown error");
	} else {
		snprintf(line, sizeof(line), "%d ls-remote listed %zu ref%s",
			 (int)SVC_VERIFY_OK, n, n == 1 ? "" : "s");
	}
	for (i = 0; line[i]; i++)
		if ((unsigned char)line[i] < 0x20)
			line[i] = ' ';
	svc_write_all(fd, line, strlen(line), -1);
	git_remote_free(r);
	_exit(0);
}

/* What the child of ls_remote does. */
struct ls_job {
	const char *url;        /**< the repository */
	struct git_ctx g;       /**< its credentials */
};

static void ls_job_run(int fd, void *arg)
{
	struct ls_job *j = arg;

	ls_remote_child(fd, j->url, &j->g);
}

/*
 * ls-remote url with user/pass (either may be NULL) in a child, waiting
 * at most o's timeout; the outcome into out.
 */
static int ls_remote(svc_verify_result *out, const char *url, const char *user,
		     const char *pass, int insecure, const svc_verify_options *o)
{
	struct ls_job job = { url, { user, pass, 0, insecure } };
	long limit = o && o->timeout_ms > 0 ? o->timeout_ms : SVC_VERIFY_TIMEOUT_MS;
	char buf[GIT_REPORT_MAX + 1], *target = NULL, *msg;
	int rc, timed_out = 0;
	long code;

	if ((rc = child_report(buf, GIT_REPORT_MAX, limit, &timed_out, ls_job_run,
			       &job)))
		return rc;
	target = verify_target("GET", url);
	if (timed_out)
		rc = verify_set(out, SVC_VERIFY_TIMEOUT, target,
				"ls-remote timed out after %ld ms", limit);
	else if ((code = strtol(buf, &msg, 10)) < 0 || code > SVC_VERIFY_LOCAL ||
		 msg == buf || *msg != ' ')
		rc = verify_set(out, SVC_VERIFY_UNEXPECTED, target,
				"ls-remote ended without a report");
	else
		rc = verify_set(out, (svc_verify_outcome)code, target, "%s", msg + 1);
	free(target);
	return rc;
}

int verify_git(svc_verify_result *out, const svc_conn *c,
	       const svc_verify_options *o)
{
	const char *url = svc_conn_url(c);

	if (!url)
		return verify_set(out, SVC_VERIFY_INVALID, NULL, "no repository URL");
	return ls_remote(out, url, verify_field(c, "username"),
			 verify_field(c, "password"), verify_insecure(c), o);
}

/* ---- Azure Repos ------------------------------------------------------- */

int verify_externaltfs(svc_verify_result *out, const svc_conn *c,
		       const svc_verify_options *o)
{
	const char *url = svc_conn_url(c), *scheme = svc_conn_scheme(c);
	const char *user, *pass, *repo;
	svc_buf api = SVC_BUF_INIT;
	http_response resp = { 0 };
	http_request req;
	char *target = NULL;
	json_t *j = NULL;
	const char *who = NULL;
	size_t n;
	int rc, token = scheme && !strcasecmp(scheme, "Token");

	user = token ? "" : verify_field(c, "username");
	pass = verify_field(c, token ? "apitoken" : "password");
	if (!url || !user || !pass)
		return verify_set(out, SVC_VERIFY_INVALID, NULL,
				  "an Azure Repos connection needs a URL and %s",
				  token ? "a token" : "a user name and password");
	repo = strstr(url, "/_git/");
	n = repo ? (size_t)(repo - url) : strlen(url);
	while (n && url[n - 1] == '/')
		n--;
	if ((rc = buf_put(&api, url, n)) ||
	    (rc = buf_puts(&api, "/_apis/connectionData")))
		goto done;
	verify_http_init(&req, c, o);
	req.method = "GET";
	req.url = api.ptr;
	req.auth = HTTP_AUTH_BASIC;
	req.username = user;
	req.password = pass;
	target = verify_target("GET", api.ptr);
	if ((rc = verify_http_answer(out, target, http_call(&resp, &req), &resp))) {
		rc = rc == 1 ? 0 : rc;
		goto done;
	}
	j = json_loadb(resp.body.ptr ? resp.body.ptr : "", resp.body.len, 0, NULL);
	if (json_is_object(json_object_get(j, "authenticatedUser")))
		who = json_string_value(json_object_get(
			json_object_get(j, "authenticatedUser"), "providerDisplayName"));
	if (!json_is_object(json_object_get(j, "authenticatedUser"))) {
		rc = verify_set(out, SVC_VERIFY_UNEXPECTED, target,
				"the answer names no authenticatedUser");
		goto done;
	}
	if (repo) {
		rc = ls_remote(out, url, token ? "pat" : user, pass,
			       verify_insecure(c), o);
		goto done;
	}
	rc = verify_set(out, SVC_VERIFY_OK, target, "authenticated as '%s'",
			who ? who : "(unnamed)");
done:
	json_decref(j);
	http_response_clear(&resp);
	buf_clear(&api);
	free(target);
	return rc;
}
