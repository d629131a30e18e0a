/*
 * test_verify_git.c - the Other Git and Azure Repos verifiers.
 *
 * Other Git against a real git server on loopback: lighttpd running git
 * http-backend behind basic auth, started by fixtures/git/server.sh (the
 * server the demo and tests/integration/git_broker.sh use) and stopped by
 * its pid.  The right password lists the refs; a wrong one or none is
 * AUTH; a closed port is CONNECT; a server that accepts the connection
 * and never answers hits the timeout (the ls-remote child is killed).
 * Over HTTPS (the fixture server of tests/support/httpd.c with a
 * self-signed certificate, answering a ref advertisement), an untrusted
 * certificate is TLS unless the connection accepts untrusted
 * certificates.
 *
 * Azure Repos against the fixture server: connectionData with the token
 * as basic auth's password; 401 is AUTH; an answer without
 * authenticatedUser is UNEXPECTED.
 */
#include "testutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <svcconn/svcconn.h>

#include "verify/verify_int.h"
#include "util/buf.h"
#include "httpd.h"
#include "tlsgen.h"
#include "verifyutil.h"

#define NROUTES(r) (sizeof(r) / sizeof((r)[0]))
#define PW "git-Verify-pw-42"

static const svc_verify_options quick = { SVC_VERIFY_OPTIONS_VERSION, 5000, 10000 };

/* The lighttpd server of fixtures/git/server.sh. */
struct gitsrv {
	char *dir;     /**< its directory */
	char *url;     /**< http://127.0.0.1:PORT/git/private.git */
	int pid;       /**< lighttpd's pid */
};

static int setup(void **state)
{
	struct gitsrv *g = calloc(1, sizeof(*g));
	tu_result r = { 0 };
	int port = 0;
	char *argv[] = { "/bin/bash", "-c",
		". \"$0\" && git_server_start \"$1\" ciuser \"$2\" >&2 && "
		"echo \"$git_port $git_httpd_pid\"",
		SVC_SOURCE_DIR "/fixtures/git/server.sh", NULL, PW, NULL };

	if (!g || !(g->dir = tu_mkdtemp()))
		return -1;
	argv[4] = g->dir;
	tu_run(&r, NULL, argv, NULL);
	if (r.status != 0 || sscanf(r.out, "%d %d", &port, &g->pid) != 2) {
		fprintf(stderr, "cannot start the git server: %s\n", r.err);
		tu_result_free(&r);
		return -1;
	}
	tu_result_free(&r);
	if (asprintf(&g->url, "http://127.0.0.1:%d/git/private.git", port) < 0)
		return -1;
	*state = g;
	return 0;
}

static int teardown(void **state)
{
	struct gitsrv *g = *state;

	if (g->pid > 1)
		kill(g->pid, SIGTERM);
	tu_rm_rf(g->dir);
	free(g->dir);
	free(g->url);
	free(g);
	return 0;
}

/* Verify an Other Git connection of url with user and password. */
static void check_git(const char *url, const char *user, const char *pw,
		      const char *accept, svc_verify_outcome want,
		      const svc_verify_options *o)
{
	svc_verify_result r = { 0 };
	char *fu = NULL, *fp = NULL, *fa = NULL;
	const char *f[4] = { NULL, NULL, NULL, NULL };
	size_t n = 0;
	svc_conn *c;

	if (user && asprintf(&fu, "username=%s", user) > 0)
		f[n++] = fu;
	if (pw && asprintf(&fp, "password=%s", pw) > 0)
		f[n++] = fp;
	if (accept && asprintf(&fa, "acceptUntrustedCerts=%s", accept) > 0)
		f[n++] = fa;
	c = vu_conn("git", "UsernamePassword", url, f);
	assert_int_equal(svc_verify(&r, NULL, c, o), 0);
	if (r.outcome != want)
		fail_msg("outcome %s (want %s): %s", svc_verify_outcome_name(r.outcome),
			 svc_verify_outcome_name(want), r.message);
	if (pw)
		assert_null(strstr(r.message, pw));
	svc_verify_result_clear(&r);
	svc_conn_free(c);
	free(fu);
	free(fp);
	free(fa);
}

static void test_git_credentials(void **state)
{
	struct gitsrv *g = *state;

	check_git(g->url, "ciuser", PW, NULL, SVC_VERIFY_OK, &quick);
	check_git(g->url, "ciuser", "wrong-password", NULL, SVC_VERIFY_AUTH, &quick);
	check_git(g->url, NULL, NULL, NULL, SVC_VERIFY_AUTH, &quick);
}

/* A loopback port that accepts connections and never answers: *fd. */
static int silent_port(int *fd)
{
	struct sockaddr_in a = { 0 };
	socklen_t len = sizeof(a);

	*fd = socket(AF_INET, SOCK_STREAM, 0);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(*fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(*fd, 8), 0);
	assert_int_equal(getsockname(*fd, (struct sockaddr *)&a, &len), 0);
	return ntohs(a.sin_port);
}

static void test_git_unreachable(void **state)
{
	svc_verify_options o = { SVC_VERIFY_OPTIONS_VERSION, 500, 800 };
	char *url;
	int fd, port;

	(void)state;
	port = silent_port(&fd);
	assert_true(asprintf(&url, "http://127.0.0.1:%d/repo.git", port) > 0);
	check_git(url, "u", "p", NULL, SVC_VERIFY_TIMEOUT, &o);
	close(fd);   /* now nothing listens there */
	check_git(url, "u", "p", NULL, SVC_VERIFY_CONNECT, &quick);
	free(url);
}

/* A ref advertisement of the smart HTTP protocol (one ref, no capabilities). */
static const struct httpd_response refs[] = {
	{ 200, "application/x-git-upload-pack-advertisement",
	  "001e# service=git-upload-pack\n0000"
	  "003d1111111111111111111111111111111111111111 refs/heads/main\n0000",
	  NULL, 0, 0 } };
static const struct httpd_route git_routes[] = {
	{ "GET", "/repo.git/info/refs", refs, 1 },
};

static void test_git_tls(void **state)
{
	struct tlsgen_cert self = { 0 };
	struct httpd_tls tls = { 0 };
	struct httpd *h;
	char *url;

	(void)state;
	assert_int_equal(tlsgen_server(&self, NULL), 0);
	tls.cert_pem = self.cert_pem;
	tls.key_pem = self.key_pem;
	assert_int_equal(httpd_start_tls(&h, git_routes, NROUTES(git_routes), &tls), 0);
	assert_true(asprintf(&url, "https://localhost:%d/repo.git", httpd_port(h)) > 0);
	check_git(url, "u", "p", "false", SVC_VERIFY_TLS, &quick);
	check_git(url, "u", "p", "true", SVC_VERIFY_OK, &quick);
	free(url);
	httpd_stop(h);
	tlsgen_free(&self);
}

/* ---- Azure Repos --------------------------------------------------------- */

static const struct httpd_response conndata[] = {
	{ 200, "application/json", "{\"authenticatedUser\":{\"id\":\"8a1\",\"providerDisplayName\":\"Build Bot\"},\"instanceId\":\"x\"}", NULL, 0, 0 } };
static const struct httpd_response denied[] = {
	{ 401, "text/html", "denied", NULL, 0, 0 } };
static const struct httpd_response anonymous[] = {
	{ 200, "application/json", "{\"instanceId\":\"x\"}", NULL, 0, 0 } };
static const struct httpd_route tfs_routes[] = {
	{ "GET", "/org/_apis/connectionData", conndata, 1 },
	{ "GET", "/bad/_apis/connectionData", denied, 1 },
	{ "GET", "/anon/_apis/connectionData", anonymous, 1 },
};

static void check_tfs(struct httpd *h, const char *path, svc_verify_outcome want)
{
	static const char *const f[] = { "apitoken=pat-abc-123", NULL };
	svc_verify_result r = { 0 };
	char *url = httpd_url(h, path);
	svc_conn *c = vu_conn("externaltfs", "Token", url, f);

	assert_int_equal(svc_verify(&r, NULL, c, &quick), 0);
	if (r.outcome != want)
		fail_msg("outcome %s (want %s): %s", svc_verify_outcome_name(r.outcome),
			 svc_verify_outcome_name(want), r.message);
	svc_verify_result_clear(&r);
	svc_conn_free(c);
	free(url);
}

static void test_azure_repos(void **state)
{
	struct httpd_request *q = NULL;
	struct httpd *h;
	size_t n = 0;

	(void)state;
	assert_int_equal(httpd_start(&h, tfs_routes, NROUTES(tfs_routes)), 0);
	check_tfs(h, "/org/", SVC_VERIFY_OK);
	assert_int_equal(httpd_requests(h, &q, &n), 0);
	assert_int_equal(n, 1);
	/* base64(":pat-abc-123") */
	assert_string_equal(httpd_header(&q[0], "Authorization"), "Basic OnBhdC1hYmMtMTIz");
	httpd_requests_free(q, n);
	check_tfs(h, "/bad", SVC_VERIFY_AUTH);
	check_tfs(h, "/anon", SVC_VERIFY_UNEXPECTED);
	httpd_stop(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_git_credentials),
		cmocka_unit_test(test_git_unreachable),
		cmocka_unit_test(test_git_tls),
		cmocka_unit_test(test_azure_repos),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
