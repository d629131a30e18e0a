/*
 * test_verify_http.c - svc_verify() for the HTTP verifiers, against the
 * fixture server of tests/support/httpd.c on loopback, over HTTP and over
 * HTTPS with certificates made at test time (tests/support/tlsgen.c).
 *
 * The fixture checks credentials itself: each route names the exact
 * Authorization (or X-API-Token) value it accepts and answers anything else
 * with 401, so "good credentials pass" means the verifier sent what the
 * service expects, and "wrong ones fail" means a real refusal was read.
 *
 * Every verifier of the table runs through: good and wrong credentials,
 * an untrusted (self-signed) certificate with and without
 * acceptUntrustedCerts, a server that never answers (short timeout), a
 * name under .invalid, and a closed port.  Then the cases of their own:
 * Docker's bearer-token dance, Docker Host's client certificate, the body
 * checks (npm, NuGet, Cargo, Subversion), the Python upload probe.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "testutil.h"
#include "httpd.h"
#include "tlsgen.h"
#include "net/http.h"
#include "svcconn/conn.h"
#include "svcconn/verify.h"

/** One verifier's case. */
struct vcase {
	const char *type;         /**< catalog type id */
	const char *scheme;       /**< scheme */
	const char *url_key;      /**< NULL: the connection URL; else the
				       field holding the service URL */
	const char *url_prefix;   /**< before the server's base ("sparse+") */
	const char *url_suffix;   /**< after the server's base */
	const char *method;       /**< what the verifier sends */
	const char *path;         /**< where it sends it */
	const char *fields[6];    /**< "key=value" with good credentials */
	const char *bad_key;      /**< the field made wrong */
	const char *auth_header;  /**< NULL: Authorization */
	const char *auth_value;   /**< what the fixture accepts */
	struct httpd_response ok; /**< its answer then */
};

#define JSON "application/json"

static const struct vcase cases[] = {
	{ "github", "Token", NULL, "", "", "GET", "/user",
	  { "AccessToken=tok-good" }, "AccessToken", NULL, "Bearer tok-good",
	  { 200, JSON, "{\"login\": \"octocat\"}", NULL, 0, 0 } },
	{ "githubenterprise", "Token", NULL, "", "/", "GET", "/api/v3/user",
	  { "apitoken=tok-good" }, "apitoken", NULL, "Bearer tok-good",
	  { 200, JSON, "{\"login\": \"octocat\"}", NULL, 0, 0 } },
	{ "githubenterprise", "UsernamePassword", NULL, "", "", "GET",
	  "/api/v3/user", { "username=ci", "password=good" }, "password",
	  NULL, "Basic Y2k6Z29vZA==",
	  { 200, JSON, "{\"login\": \"ci\"}", NULL, 0, 0 } },
	{ "bitbucket", "UsernamePassword", NULL, "", "", "GET", "/2.0/user",
	  { "username=ci", "password=good" }, "password", NULL,
	  "Basic Y2k6Z29vZA==",
	  { 200, JSON, "{\"username\": \"ci\"}", NULL, 0, 0 } },
	{ "bitbucket", "Token", NULL, "", "", "GET", "/2.0/user",
	  { "email=ci@example.com", "apitoken=good" }, "apitoken", NULL,
	  "Basic Y2lAZXhhbXBsZS5jb206Z29vZA==",
	  { 200, JSON, "{\"username\": \"ci\"}", NULL, 0, 0 } },
	{ "dockerregistry", "UsernamePassword", "registry", "", "/v1/", "GET",
	  "/v2/", { "username=ci", "password=good" }, "password", NULL,
	  "Basic Y2k6Z29vZA==", { 200, JSON, "{}", NULL, 0, 0 } },
	{ "generic", "UsernamePassword", NULL, "", "/ping", "GET", "/ping",
	  { "username=ci", "password=good" }, "password", NULL,
	  "Basic Y2k6Z29vZA==", { 200, "text/plain", "pong", NULL, 0, 0 } },
	{ "Jenkins", "UsernamePassword", NULL, "", "/", "GET", "/api/json",
	  { "username=ci", "password=good" }, "password", NULL,
	  "Basic Y2k6Z29vZA==", { 200, JSON, "{\"mode\": \"NORMAL\"}", NULL,
				  0, 0 } },
	{ "jira", "UsernamePassword", NULL, "", "", "GET",
	  "/rest/api/2/myself", { "username=ci", "password=good" },
	  "password", NULL, "Basic Y2k6Z29vZA==",
	  { 200, JSON, "{\"name\": \"ci\"}", NULL, 0, 0 } },
	{ "externalmavenrepository", "UsernamePassword", NULL, "", "/maven2",
	  "GET", "/maven2/", { "username=ci", "password=good" }, "password",
	  NULL, "Basic Y2k6Z29vZA==",
	  { 200, "text/html", "<html></html>", NULL, 0, 0 } },
	{ "externalmavenrepository", "Token", NULL, "", "/maven2/", "GET",
	  "/maven2/", { "apitoken=good" }, "apitoken", NULL, "Bearer good",
	  { 200, "text/html", "<html></html>", NULL, 0, 0 } },
	{ "externalnpmregistry", "Token", NULL, "", "/npm/", "GET",
	  "/npm/-/whoami", { "apitoken=good" }, "apitoken", NULL,
	  "Bearer good", { 200, JSON, "{\"username\": \"ci\"}", NULL, 0, 0 } },
	{ "externalnpmregistry", "UsernamePassword", NULL, "", "", "GET",
	  "/-/whoami", { "username=ci", "password=good" }, "password", NULL,
	  "Basic Y2k6Z29vZA==",
	  { 200, JSON, "{\"username\": \"ci\"}", NULL, 0, 0 } },
	{ "externalnugetfeed", "UsernamePassword", NULL, "", "/v3/index.json",
	  "GET", "/v3/index.json", { "username=ci", "password=good" },
	  "password", NULL, "Basic Y2k6Z29vZA==",
	  { 200, JSON, "{\"version\": \"3.0.0\", \"resources\": []}", NULL, 0,
	    0 } },
	{ "externalPythonDownloadFeed", "UsernamePassword", NULL, "",
	  "/simple", "GET", "/simple/", { "username=ci", "password=good" },
	  "password", NULL, "Basic Y2k6Z29vZA==",
	  { 200, "text/html; charset=utf-8", "<html></html>", NULL, 0, 0 } },
	{ "externalPythonDownloadFeed", "Token", NULL, "", "/simple/", "GET",
	  "/simple/", { "apitoken=good" }, "apitoken", NULL,
	  "Basic X190b2tlbl9fOmdvb2Q=",
	  { 200, "application/vnd.pypi.simple.v1+json", "{}", NULL, 0, 0 } },
	{ "externalPythonUploadFeed", "UsernamePassword", NULL, "",
	  "/legacy/", "POST", "/legacy", { "username=ci", "password=good",
	  "endpointname=test" }, "password", NULL, "Basic Y2k6Z29vZA==",
	  { 400, "text/plain", "missing content", NULL, 0, 0 } },
	{ "externalcargorepository", "Token", NULL, "sparse+", "/index/",
	  "GET", "/index/config.json", { "apitoken=good" }, "apitoken", NULL,
	  "good", { 200, JSON, "{\"dl\": \"https://x/dl\", "
		    "\"auth-required\": true}", NULL, 0, 0 } },
	{ "externalcargorepository", "UsernamePassword", NULL, "", "/index",
	  "GET", "/index/config.json", { "username=ci", "password=good" },
	  "password", NULL, "Basic Y2k6Z29vZA==",
	  { 200, JSON, "{\"dl\": \"https://x/dl\"}", NULL, 0, 0 } },
	{ "subversion", "UsernamePassword", NULL, "", "/svn/repo", "OPTIONS",
	  "/svn/repo", { "username=ci", "password=good" }, "password", NULL,
	  "Basic Y2k6Z29vZA==",
	  { 200, "text/xml", NULL, "DAV: 1,2\r\nDAV: version-control\r\n",
	    0, 0 } },
	{ "vsmobilecenter", "Token", NULL, "", "/v0.1", "GET", "/v0.1/user",
	  { "apitoken=good" }, "apitoken", "X-API-Token", "good",
	  { 200, JSON, "{\"name\": \"ci\"}", NULL, 0, 0 } },
};
#define NCASES (sizeof(cases) / sizeof(cases[0]))

/** Certificates shared by the TLS tests. */
static struct tlsgen_cert ca, server, selfsigned, client, other_ca,
	other_client;

static int group_setup(void **state)
{
	(void)state;
	if (tlsgen_ca(&ca, "verify test CA") ||
	    tlsgen_server(&server, &ca) || tlsgen_server(&selfsigned, NULL) ||
	    tlsgen_client(&client, &ca, "docker client") ||
	    tlsgen_ca(&other_ca, "another CA") ||
	    tlsgen_client(&other_client, &other_ca, "stranger"))
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	tlsgen_free(&ca);
	tlsgen_free(&server);
	tlsgen_free(&selfsigned);
	tlsgen_free(&client);
	tlsgen_free(&other_ca);
	tlsgen_free(&other_client);
	return 0;
}

/* A server for case k answering rsp (the case's own when NULL). */
static struct httpd *start(const struct vcase *k,
			   const struct httpd_response *rsp,
			   const struct httpd_tls *tls,
			   struct httpd_route *route)
{
	struct httpd *h = NULL;

	memset(route, 0, sizeof(*route));
	route->method = k->method;
	route->path = k->path;
	route->responses = rsp ? rsp : &k->ok;
	route->nresponses = 1;
	route->auth_value = k->auth_value;
	route->auth_header = k->auth_header;
	assert_int_equal(httpd_start_tls(&h, route, 1, tls), 0);
	return h;
}

/* The connection of case k for the service at base; bad: a wrong secret. */
static svc_conn *make_conn(const struct vcase *k, const char *base, int bad)
{
	char url[512];
	svc_conn *c = NULL;
	size_t i;

	snprintf(url, sizeof(url), "%s%s%s", k->url_prefix, base,
		 k->url_suffix);
	assert_int_equal(svc_conn_new(&c, k->type, "conn"), 0);
	assert_int_equal(svc_conn_set_scheme(c, k->scheme), 0);
	if (k->url_key)
		assert_int_equal(svc_conn_set_field(c, k->url_key, url,
						    strlen(url)), 0);
	else
		assert_int_equal(svc_conn_set_url(c, url), 0);
	for (i = 0; i < 6 && k->fields[i]; i++) {
		const char *eq = strchr(k->fields[i], '=');
		char key[64];

		snprintf(key, sizeof(key), "%.*s", (int)(eq - k->fields[i]),
			 k->fields[i]);
		if (bad && strcmp(key, k->bad_key) == 0)
			assert_int_equal(svc_conn_set_field(c, key, "bad", 3),
					 0);
		else
			assert_int_equal(svc_conn_set_field(c, key, eq + 1,
							    strlen(eq + 1)),
					 0);
	}
	return c;
}

/* Verify c with a total timeout of timeout_ms (0: 20 s). */
static void run(svc_verify_result *r, const svc_conn *c, long timeout_ms)
{
	svc_verify_options o = { SVC_VERIFY_OPTIONS_VERSION, 0, 0 };

	o.timeout_ms = timeout_ms ? timeout_ms : 20000;
	assert_int_equal(svc_verify(r, NULL, c, &o), 0);
	assert_non_null(r->message);
}

/* Fail unless r has outcome want and its message holds needle. */
static void expect(const struct vcase *k, const svc_verify_result *r,
		   svc_verify_outcome want, const char *needle)
{
	if (r->outcome != want || (needle && !strstr(r->message, needle)))
		fail_msg("%s/%s: outcome %s (%s), want %s with '%s'", k->type,
			 k->scheme, svc_verify_outcome_name(r->outcome),
			 r->message, svc_verify_outcome_name(want),
			 needle ? needle : "");
}

/* Server base "http(s)://127.0.0.1:port" of h. */
static char *base_of(struct httpd *h)
{
	char *b = httpd_url(h, "");

	assert_non_null(b);
	return b;
}

static void test_good_and_wrong_credentials(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NCASES; i++) {
		const struct vcase *k = &cases[i];
		struct httpd_route route;
		struct httpd *h = start(k, NULL, NULL, &route);
		char *base = base_of(h), want[128];
		svc_verify_result r;
		svc_conn *c;

		c = make_conn(k, base, 0);
		run(&r, c, 0);
		expect(k, &r, SVC_VERIFY_OK, NULL);
		snprintf(want, sizeof(want), "%s http://127.0.0.1:%d%s",
			 k->method, httpd_port(h), k->path);
		assert_string_equal(r.target, want);
		/* the secret is never in what is shown */
		assert_null(strstr(r.message, "good"));
		svc_verify_result_clear(&r);
		svc_conn_free(c);

		c = make_conn(k, base, 1);
		run(&r, c, 0);
		expect(k, &r, SVC_VERIFY_AUTH, "HTTP 401 Unauthorized");
		assert_int_equal(r.http_status, 401);
		assert_null(strstr(r.message, "bad"));
		svc_verify_result_clear(&r);
		svc_conn_free(c);
		free(base);
		httpd_stop(h);
	}
}

static void test_untrusted_certificate(void **state)
{
	struct httpd_tls tls = { selfsigned.cert_pem, selfsigned.key_pem,
				 NULL };
	size_t i;

	(void)state;
	for (i = 0; i < NCASES; i++) {
		const struct vcase *k = &cases[i];
		struct httpd_route route;
		struct httpd *h = start(k, NULL, &tls, &route);
		char *base = base_of(h);
		svc_verify_result r;
		svc_conn *c = make_conn(k, base, 0);
		struct httpd_request *req = NULL;
		size_t n = 0;

		assert_int_equal(strncmp(base, "https://", 8), 0);
		run(&r, c, 0);
		expect(k, &r, SVC_VERIFY_TLS, "TLS error with 127.0.0.1:");
		svc_verify_result_clear(&r);
		/* nothing (no credential) reached the server */
		assert_int_equal(httpd_requests(h, &req, &n), 0);
		assert_int_equal(n, 0);

		assert_int_equal(svc_conn_set_field(c, "acceptUntrustedCerts",
						    "true", 4), 0);
		run(&r, c, 0);
		expect(k, &r, SVC_VERIFY_OK, NULL);
		svc_verify_result_clear(&r);
		/* "false" keeps the check */
		assert_int_equal(svc_conn_set_field(c, "acceptUntrustedCerts",
						    "false", 5), 0);
		run(&r, c, 0);
		expect(k, &r, SVC_VERIFY_TLS, NULL);
		svc_verify_result_clear(&r);
		svc_conn_free(c);
		free(base);
		httpd_stop(h);
	}
}

static void test_no_answer_times_out(void **state)
{
	static const struct httpd_response never = {
		200, "text/plain", "late", NULL, 30000, 0
	};
	size_t i;

	(void)state;
	for (i = 0; i < NCASES; i++) {
		const struct vcase *k = &cases[i];
		struct httpd_route route;
		struct httpd *h;
		char *base;
		svc_verify_result r;
		svc_conn *c;

		memset(&route, 0, sizeof(route));
		route.method = k->method;
		route.path = k->path;
		route.responses = &never;
		route.nresponses = 1;
		assert_int_equal(httpd_start(&h, &route, 1), 0);
		base = base_of(h);
		c = make_conn(k, base, 0);
		run(&r, c, 300);
		expect(k, &r, SVC_VERIFY_TIMEOUT, "timed out after 300 ms");
		svc_verify_result_clear(&r);
		svc_conn_free(c);
		free(base);
		httpd_stop(h);
	}
}

static void test_dns_and_refused(void **state)
{
	struct sockaddr_in sa;
	socklen_t salen = sizeof(sa);
	char base[64];
	size_t i;
	int fd;

	(void)state;
	/* a port bound but not listening refuses for sure */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &salen), 0);
	for (i = 0; i < NCASES; i++) {
		const struct vcase *k = &cases[i];
		svc_verify_result r;
		svc_conn *c;

		c = make_conn(k, "http://svcconn-verify-test.invalid", 0);
		run(&r, c, 0);
		expect(k, &r, SVC_VERIFY_DNS,
		       "cannot resolve host 'svcconn-verify-test.invalid'");
		svc_verify_result_clear(&r);
		svc_conn_free(c);

		snprintf(base, sizeof(base), "http://127.0.0.1:%d",
			 ntohs(sa.sin_port));
		c = make_conn(k, base, 0);
		run(&r, c, 0);
		expect(k, &r, SVC_VERIFY_CONNECT, "Connection refused");
		svc_verify_result_clear(&r);
		svc_conn_free(c);
	}
	close(fd);
}

/* docker login's dance: 401 Bearer challenge, token with basic, retry. */
static void test_docker_bearer_token(void **state)
{
	static const struct httpd_response token = {
		200, JSON, "{\"token\": \"reg-token-1\", \"expires_in\": 300}",
		NULL, 0, 0
	};
	static const struct httpd_response access_token = {
		200, JSON, "{\"access_token\": \"reg-token-1\"}", NULL, 0, 0
	};
	static const struct httpd_response v2 = { 200, JSON, "{}", NULL, 0, 0 };
	struct httpd_route troute = { "GET", "/token", &token, 1,
				      "Basic Y2k6Z29vZA==", NULL, NULL };
	struct httpd_route rroute = { "GET", "/v2/", &v2, 1,
				      "Bearer reg-token-1", NULL, NULL };
	struct httpd_response challenge = { 401, JSON, "{\"errors\": []}",
					    NULL, 0, 0 };
	struct httpd *th = NULL, *rh = NULL;
	struct httpd_request *req = NULL;
	svc_verify_result r;
	char hdr[256], *base;
	svc_conn *c;
	size_t n = 0;
	int round;

	(void)state;
	for (round = 0; round < 2; round++) {
		troute.responses = round ? &access_token : &token;
		assert_int_equal(httpd_start(&th, &troute, 1), 0);
		snprintf(hdr, sizeof(hdr),
			 "WWW-Authenticate: Bearer realm=\"http://127.0.0.1:"
			 "%d/token\",service=\"test registry\","
			 "scope=\"registry:catalog:*\"\r\n", httpd_port(th));
		challenge.headers = hdr;
		rroute.denied = &challenge;
		assert_int_equal(httpd_start(&rh, &rroute, 1), 0);
		base = base_of(rh);

		c = make_conn(&cases[5], base, 0);
		run(&r, c, 0);
		expect(&cases[5], &r, SVC_VERIFY_OK, "login succeeded");
		svc_verify_result_clear(&r);
		svc_conn_free(c);
		/* the token request carried service and scope, escaped */
		assert_int_equal(httpd_requests(th, &req, &n), 0);
		assert_int_equal(n, 1);
		assert_string_equal(req[0].target, "/token?service=test%20"
				    "registry&scope=registry%3Acatalog%3A%2A");
		httpd_requests_free(req, n);
		/* the registry saw the anonymous probe, then the bearer */
		assert_int_equal(httpd_requests(rh, &req, &n), 0);
		assert_int_equal(n, 2);
		assert_null(httpd_header(&req[0], "Authorization"));
		assert_string_equal(httpd_header(&req[1], "Authorization"),
				    "Bearer reg-token-1");
		httpd_requests_free(req, n);

		/* a wrong password is refused by the token service */
		c = make_conn(&cases[5], base, 1);
		run(&r, c, 0);
		expect(&cases[5], &r, SVC_VERIFY_AUTH, "GET http://127.0.0.1:");
		assert_non_null(strstr(r.message, "/token: credentials "
					       "refused (HTTP 401"));
		svc_verify_result_clear(&r);
		svc_conn_free(c);
		free(base);
		httpd_stop(rh);
		httpd_stop(th);
	}
}

/* Docker Host: TLS both ways with the connection's CA, cert and key. */
static void test_docker_host_client_certificate(void **state)
{
	static const struct httpd_response version = {
		200, JSON, "{\"Version\": \"20.10.24\", \"ApiVersion\": "
		"\"1.41\"}", NULL, 0, 0
	};
	struct httpd_route route = { "GET", "/version", &version, 1, NULL,
				     NULL, NULL };
	struct httpd_tls tls = { server.cert_pem, server.key_pem, ca.cert_pem };
	struct httpd *h = NULL;
	svc_verify_result r;
	svc_conn *c = NULL;
	char url[64];
	const struct vcase k = { "dockerhost", "Certificate", NULL, NULL,
				 NULL, "GET", "/version", { NULL }, NULL,
				 NULL, NULL, { 0, NULL, NULL, NULL, 0, 0 } };

	(void)state;
	assert_int_equal(httpd_start_tls(&h, &route, 1, &tls), 0);
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", httpd_port(h));
	assert_int_equal(svc_conn_new(&c, "dockerhost", "dh"), 0);
	assert_int_equal(svc_conn_set_scheme(c, "Certificate"), 0);
	assert_int_equal(svc_conn_set_url(c, url), 0);
	assert_int_equal(svc_conn_set_field(c, "cacert", ca.cert_pem,
					    strlen(ca.cert_pem)), 0);
	assert_int_equal(svc_conn_set_field(c, "cert", client.cert_pem,
					    strlen(client.cert_pem)), 0);
	assert_int_equal(svc_conn_set_field(c, "key", client.key_pem,
					    strlen(client.key_pem)), 0);
	run(&r, c, 0);
	expect(&k, &r, SVC_VERIFY_OK, "Docker 20.10.24 accepted the client");
	snprintf(url, sizeof(url), "GET https://127.0.0.1:%d/version",
		 httpd_port(h));
	assert_string_equal(r.target, url);
	svc_verify_result_clear(&r);

	/* a client certificate of another CA is refused in the handshake */
	assert_int_equal(svc_conn_set_field(c, "cert", other_client.cert_pem,
					    strlen(other_client.cert_pem)), 0);
	assert_int_equal(svc_conn_set_field(c, "key", other_client.key_pem,
					    strlen(other_client.key_pem)), 0);
	run(&r, c, 0);
	expect(&k, &r, SVC_VERIFY_TLS, "TLS error with 127.0.0.1:");
	svc_verify_result_clear(&r);

	/* the right client, but the daemon's CA is not the one given */
	assert_int_equal(svc_conn_set_field(c, "cert", client.cert_pem,
					    strlen(client.cert_pem)), 0);
	assert_int_equal(svc_conn_set_field(c, "key", client.key_pem,
					    strlen(client.key_pem)), 0);
	assert_int_equal(svc_conn_set_field(c, "cacert", other_ca.cert_pem,
					    strlen(other_ca.cert_pem)), 0);
	run(&r, c, 0);
	expect(&k, &r, SVC_VERIFY_TLS, NULL);
	svc_verify_result_clear(&r);

	/* no client certificate at all: the connection is unusable */
	assert_int_equal(svc_conn_unset_field(c, "cert"), 0);
	run(&r, c, 0);
	expect(&k, &r, SVC_VERIFY_INVALID, "client certificate and key");
	svc_verify_result_clear(&r);
	svc_conn_free(c);
	httpd_stop(h);
}

/* Run case k against a server answering rsp (no credential check). */
static void body_case(const struct vcase *k, const struct httpd_response *rsp,
		      svc_verify_outcome want, const char *needle)
{
	struct httpd_route route;
	struct httpd *h = start(k, rsp, NULL, &route);
	char *base = base_of(h);
	svc_verify_result r;
	svc_conn *c = make_conn(k, base, 0);

	run(&r, c, 0);
	expect(k, &r, want, needle);
	svc_verify_result_clear(&r);
	svc_conn_free(c);
	free(base);
	httpd_stop(h);
}

static const struct vcase *find(const char *type, const char *scheme)
{
	size_t i;

	for (i = 0; i < NCASES; i++)
		if (!strcmp(cases[i].type, type) &&
		    !strcmp(cases[i].scheme, scheme))
			return &cases[i];
	fail_msg("no case %s/%s", type, scheme);
	return NULL;
}

/* 2xx answers that are not what the service would give. */
static void test_unexpected_answers(void **state)
{
	static const struct httpd_response not_index = {
		200, JSON, "{\"hello\": 1}", NULL, 0, 0 };
	static const struct httpd_response no_dl = {
		200, JSON, "{\"api\": \"https://x\"}", NULL, 0, 0 };
	static const struct httpd_response html = {
		200, "text/html", "<html>login page</html>", NULL, 0, 0 };
	static const struct httpd_response no_dav = {
		200, "text/plain", "", NULL, 0, 0 };
	static const struct httpd_response err500 = {
		500, "text/plain", "boom", NULL, 0, 0 };
	static const struct httpd_response forbidden = {
		403, "text/plain", "no", NULL, 0, 0 };
	static const struct httpd_response created = {
		200, "text/plain", "ok", NULL, 0, 0 };

	(void)state;
	body_case(find("externalnugetfeed", "UsernamePassword"), &not_index,
		  SVC_VERIFY_UNEXPECTED, "not a NuGet v3 service index");
	body_case(find("externalcargorepository", "Token"), &no_dl,
		  SVC_VERIFY_UNEXPECTED, "no 'dl'");
	body_case(find("externalnpmregistry", "Token"), &html,
		  SVC_VERIFY_UNEXPECTED, "not a JSON object");
	body_case(find("subversion", "UsernamePassword"), &no_dav,
		  SVC_VERIFY_UNEXPECTED, "no DAV header");
	body_case(find("externalPythonDownloadFeed", "UsernamePassword"),
		  &no_dav, SVC_VERIFY_UNEXPECTED, "not a simple index");
	body_case(find("jira", "UsernamePassword"), &err500,
		  SVC_VERIFY_UNEXPECTED, "unexpected answer HTTP 500");
	body_case(find("Jenkins", "UsernamePassword"), &forbidden,
		  SVC_VERIFY_AUTH, "HTTP 403 Forbidden");
	/* an upload endpoint that accepts an upload without a file */
	body_case(find("externalPythonUploadFeed", "UsernamePassword"),
		  &created, SVC_VERIFY_OK, "credentials accepted");
}

/* What the Python upload probe sends: an upload with no file. */
static void test_python_upload_probe(void **state)
{
	const struct vcase *k = find("externalPythonUploadFeed",
				     "UsernamePassword");
	struct httpd_route route;
	struct httpd *h = start(k, NULL, NULL, &route);
	char *base = base_of(h);
	struct httpd_request *req = NULL;
	svc_verify_result r;
	svc_conn *c = make_conn(k, base, 0);
	size_t n = 0;

	(void)state;
	run(&r, c, 0);
	expect(k, &r, SVC_VERIFY_OK, "the empty upload was refused");
	assert_int_equal(r.http_status, 400);
	svc_verify_result_clear(&r);
	assert_int_equal(httpd_requests(h, &req, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(req[0].method, "POST");
	assert_string_equal(httpd_header(&req[0], "Content-Type"),
			    "multipart/form-data; boundary=svcconn-verify");
	assert_non_null(strstr(req[0].body, "name=\":action\"\r\n\r\n"
				       "file_upload\r\n"));
	assert_null(strstr(req[0].body, "name=\"content\""));
	httpd_requests_free(req, n);
	svc_conn_free(c);
	free(base);
	httpd_stop(h);
}

/* The parts of verify.c that are not a verifier. */
static void test_dispatch_and_names(void **state)
{
	svc_verify_options bad = { 99, 0, 0 };
	svc_verify_result r;
	svc_conn *c = NULL;
	const struct vcase *k = find("github", "Token");

	(void)state;
	assert_int_equal(svc_conn_new(&c, "no-such-type", "x"), 0);
	assert_int_equal(svc_verify(&r, NULL, c, NULL), 0);
	assert_int_equal(r.outcome, SVC_VERIFY_LOCAL);
	assert_non_null(strstr(r.message, "cannot be checked by a call"));
	assert_null(r.target);
	svc_verify_result_clear(&r);
	assert_int_equal(svc_verify(&r, NULL, c, &bad), SVC_EINVALID);
	svc_verify_result_clear(&r);
	svc_conn_free(c);
	svc_verify_result_clear(NULL);

	/* a GitHub App installation has no token to check */
	c = make_conn(k, "https://github.com", 0);
	assert_int_equal(svc_conn_set_scheme(c, "InstallationToken"), 0);
	assert_int_equal(svc_verify(&r, NULL, c, NULL), 0);
	assert_int_equal(r.outcome, SVC_VERIFY_LOCAL);
	svc_verify_result_clear(&r);
	svc_conn_free(c);

	assert_string_equal(svc_verify_outcome_name(SVC_VERIFY_OK), "ok");
	assert_string_equal(svc_verify_outcome_name(SVC_VERIFY_AUTH), "auth");
	assert_string_equal(svc_verify_outcome_name(SVC_VERIFY_TIMEOUT),
			    "timeout");
	assert_string_equal(svc_verify_outcome_name(SVC_VERIFY_LOCAL),
			    "local");
	assert_string_equal(svc_verify_outcome_name((svc_verify_outcome)42),
			    "unknown");
}

/* A user name and password in the URL never show in the target. */
static void test_target_hides_credentials(void **state)
{
	const struct vcase *k = find("generic", "UsernamePassword");
	svc_verify_result r;
	svc_conn *c;

	(void)state;
	c = make_conn(k, "http://ci:sekrit@svcconn-verify-test.invalid", 0);
	assert_int_equal(svc_conn_set_url(c, "http://ci:sekrit@svcconn-"
					  "verify-test.invalid/p?t=sekrit"),
			 0);
	run(&r, c, 0);
	assert_int_equal(r.outcome, SVC_VERIFY_DNS);
	assert_string_equal(r.target,
			    "GET http://svcconn-verify-test.invalid/p");
	assert_null(strstr(r.message, "sekrit"));
	svc_verify_result_clear(&r);
	svc_conn_free(c);
}

/* net/http.c on its own: response headers and a named-header token. */
static void test_http_client(void **state)
{
	static const struct httpd_response rsp = {
		200, JSON, "{}", "X-One: 1\r\nWWW-Authenticate:  Basic "
		"realm=\"r\"  \r\n", 0, 0
	};
	struct httpd_route route = { "GET", "/h", &rsp, 1, "t0k",
				     "X-Token", NULL };
	struct httpd *h = NULL;
	http_request req;
	http_response resp;
	char *url, *v;

	(void)state;
	assert_int_equal(httpd_start(&h, &route, 1), 0);
	url = httpd_url(h, "/h");
	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.url = url;
	req.auth = HTTP_AUTH_HEADER;
	req.auth_header = "X-Token";
	req.token = "t0k";
	assert_int_equal(http_call(&resp, &req), 0);
	assert_int_equal(resp.status, 200);
	assert_int_equal(resp.err, HTTP_ERR_NONE);
	v = http_response_header(&resp, "www-authenticate");
	assert_string_equal(v, "Basic realm=\"r\"");
	free(v);
	v = http_response_header(&resp, "Content-Type");
	assert_string_equal(v, JSON);
	free(v);
	assert_null(http_response_header(&resp, "X-Absent"));
	http_response_clear(&resp);
	/* a token with a line break is refused before sending */
	req.token = "t0k\r\nX-Evil: 1";
	assert_int_equal(http_call(&resp, &req), SVC_EINVALID);
	assert_int_equal(resp.err, HTTP_ERR_INVALID);
	http_response_clear(&resp);
	/* a certificate without its key */
	req.token = "t0k";
	req.client_cert_pem = client.cert_pem;
	assert_int_equal(http_call(&resp, &req), SVC_EINVALID);
	http_response_clear(&resp);
	free(url);
	httpd_stop(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_and_wrong_credentials),
		cmocka_unit_test(test_untrusted_certificate),
		cmocka_unit_test(test_no_answer_times_out),
		cmocka_unit_test(test_dns_and_refused),
		cmocka_unit_test(test_docker_bearer_token),
		cmocka_unit_test(test_docker_host_client_certificate),
		cmocka_unit_test(test_unexpected_answers),
		cmocka_unit_test(test_python_upload_probe),
		cmocka_unit_test(test_dispatch_and_names),
		cmocka_unit_test(test_target_hides_credentials),
		cmocka_unit_test(test_http_client),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
