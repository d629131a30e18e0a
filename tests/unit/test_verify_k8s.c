/*
 * test_verify_k8s.c - the Kubernetes and Chef verifiers against fixture
 * HTTPS servers on loopback (tests/support/httpd.c; CA, server and client
 * certificates made at test time by tests/support/tlsgen.c).
 *
 * Kubernetes: a kubeconfig whose certificate-authority-data is the test
 * CA passes, with its token sent as a bearer token; without the CA the
 * server is untrusted (TLS) unless the connection accepts untrusted
 * certificates or the kubeconfig says insecure-skip-tls-verify; a
 * kubeconfig with a client certificate passes a server that requires one
 * of its CA; a service account (URL, base64 token and CA) passes; 401 is
 * AUTH; a server that never answers hits the timeout.
 *
 * Chef: the signed request reaches the server, which checks it as Chef
 * does: the X-Ops-Authorization-N lines, joined and decoded, verify with
 * the client's public key over the canonical request rebuilt from what
 * the server received; 401 is AUTH.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include <svcconn/svcconn.h>

#include "verify/verify_int.h"
#include "util/buf.h"
#include "httpd.h"
#include "tlsgen.h"
#include "verifyutil.h"

#define NROUTES(r) (sizeof(r) / sizeof((r)[0]))

static const svc_verify_options quick = { SVC_VERIFY_OPTIONS_VERSION, 2000, 2000 };

static const struct httpd_response version[] = {
	{ 200, "application/json", "{\"major\":\"1\",\"minor\":\"29\",\"gitVersion\":\"v1.29.3\"}", NULL, 0, 0 } };
static const struct httpd_response api[] = {
	{ 200, "application/json", "{\"kind\":\"APIVersions\",\"versions\":[\"v1\"]}", NULL, 0, 0 } };
static const struct httpd_response unauthorized[] = {
	{ 401, "application/json", "{\"kind\":\"Status\",\"code\":401}", NULL, 0, 0 } };
static const struct httpd_response slow[] = {
	{ 200, "application/json", "{}", NULL, 10000, 0 } };
static const struct httpd_route routes[] = {
	{ "GET", "/version", version, 1 },
	{ "GET", "/api", api, 1 },
	{ "GET", "/denied/version", unauthorized, 1 },
	{ "GET", "/slow/version", slow, 1 },
};

/* Shared by the tests: a CA, a server certificate, a client one. */
struct fixture {
	struct tlsgen_cert ca, srv, cli;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f || tlsgen_ca(&f->ca, "k8s CA") || tlsgen_server(&f->srv, &f->ca) ||
	    tlsgen_client(&f->cli, &f->ca, "admin"))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	tlsgen_free(&f->ca);
	tlsgen_free(&f->srv);
	tlsgen_free(&f->cli);
	free(f);
	return 0;
}

/* base64 of s, in a new string. */
static char *b64(const char *s)
{
	svc_buf b = SVC_BUF_INIT;

	assert_int_equal(vc_base64(&b, s, strlen(s), 0), 0);
	return buf_detach(&b, NULL);
}

/*
 * A kubeconfig for server (with path), its cluster's extra line
 * cluster_extra and its user's lines user (each "    key: value\n").
 */
static char *kubeconfig(const char *server, const char *cluster_extra,
			const char *user)
{
	char *s;

	assert_true(asprintf(&s,
		"apiVersion: v1\nkind: Config\ncurrent-context: test\n"
		"clusters:\n- name: c\n  cluster:\n    server: %s\n%s"
		"contexts:\n- name: test\n  context:\n    cluster: c\n    user: u\n"
		"users:\n- name: u\n  user:\n%s", server, cluster_extra, user) > 0);
	return s;
}

/* Verify a kubeconfig connection; the outcome must be want. */
static void check_kube(const char *kc, const char *accept, svc_verify_outcome want,
		       const svc_verify_options *o)
{
	svc_verify_result r = { 0 };
	char *f_kc, *f_acc;
	svc_conn *c;

	assert_true(asprintf(&f_kc, "kubeconfig=%s", kc) > 0);
	assert_true(asprintf(&f_acc, "acceptUntrustedCerts=%s", accept) > 0);
	{
		const char *f[] = { "authorizationType=Kubeconfig", f_kc, f_acc, NULL };

		c = vu_conn("kubernetes", "Kubernetes", NULL, f);
	}
	assert_int_equal(svc_verify(&r, NULL, c, o), 0);
	if (r.outcome != want)
		fail_msg("outcome %s (want %s): %s", svc_verify_outcome_name(r.outcome),
			 svc_verify_outcome_name(want), r.message);
	assert_null(strstr(r.message, "tok-k8s"));
	svc_verify_result_clear(&r);
	svc_conn_free(c);
	free(f_kc);
	free(f_acc);
}

static void test_kubeconfig_token_and_ca(void **state)
{
	struct fixture *f = *state;
	struct httpd_tls tls = { f->srv.cert_pem, f->srv.key_pem, NULL };
	struct httpd_request *q = NULL;
	struct httpd *h;
	char *server, *ca, *ca_line, *kc, *base;
	size_t n = 0;

	assert_int_equal(httpd_start_tls(&h, routes, NROUTES(routes), &tls), 0);
	server = httpd_url(h, "");
	ca = b64(f->ca.cert_pem);
	assert_true(asprintf(&ca_line, "    certificate-authority-data: %s\n", ca) > 0);
	/* the kubeconfig's CA makes the server trusted */
	kc = kubeconfig(server, ca_line, "    token: tok-k8s\n");
	check_kube(kc, "false", SVC_VERIFY_OK, &quick);
	free(kc);
	assert_int_equal(httpd_requests(h, &q, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(q[0].target, "/version");
	assert_string_equal(q[1].target, "/api");
	assert_string_equal(httpd_header(&q[0], "Authorization"), "Bearer tok-k8s");
	assert_string_equal(httpd_header(&q[1], "Authorization"), "Bearer tok-k8s");
	httpd_requests_free(q, n);
	/* no CA: untrusted, unless accepted by the connection or the kubeconfig */
	kc = kubeconfig(server, "", "    token: tok-k8s\n");
	check_kube(kc, "false", SVC_VERIFY_TLS, &quick);
	check_kube(kc, "true", SVC_VERIFY_OK, &quick);
	free(kc);
	kc = kubeconfig(server, "    insecure-skip-tls-verify: true\n", "    token: tok-k8s\n");
	check_kube(kc, "false", SVC_VERIFY_OK, &quick);
	free(kc);
	/* a refused token; a server that never answers */
	assert_true(asprintf(&base, "%s/denied", server) > 0);
	kc = kubeconfig(base, ca_line, "    token: tok-k8s\n");
	check_kube(kc, "false", SVC_VERIFY_AUTH, &quick);
	free(kc);
	free(base);
	assert_true(asprintf(&base, "%s/slow", server) > 0);
	kc = kubeconfig(base, ca_line, "    token: tok-k8s\n");
	{
		svc_verify_options o = { SVC_VERIFY_OPTIONS_VERSION, 300, 300 };

		check_kube(kc, "false", SVC_VERIFY_TIMEOUT, &o);
	}
	free(kc);
	free(base);
	free(ca_line);
	free(ca);
	free(server);
	httpd_stop(h);
}

static void test_kubeconfig_client_cert(void **state)
{
	struct fixture *f = *state;
	struct httpd_tls tls = { f->srv.cert_pem, f->srv.key_pem, f->ca.cert_pem };
	struct httpd *h;
	char *server, *ca, *ca_line, *crt, *key, *user, *kc;

	assert_int_equal(httpd_start_tls(&h, routes, NROUTES(routes), &tls), 0);
	server = httpd_url(h, "");
	ca = b64(f->ca.cert_pem);
	crt = b64(f->cli.cert_pem);
	key = b64(f->cli.key_pem);
	assert_true(asprintf(&ca_line, "    certificate-authority-data: %s\n", ca) > 0);
	assert_true(asprintf(&user, "    client-certificate-data: %s\n    client-key-data: %s\n",
			     crt, key) > 0);
	kc = kubeconfig(server, ca_line, user);
	check_kube(kc, "false", SVC_VERIFY_OK, &quick);
	free(kc);
	free(user);
	free(ca_line);
	free(ca);
	free(crt);
	free(key);
	free(server);
	httpd_stop(h);
}

static void test_service_account(void **state)
{
	struct fixture *f = *state;
	struct httpd_tls tls = { f->srv.cert_pem, f->srv.key_pem, NULL };
	struct httpd_request *q = NULL;
	svc_verify_result r = { 0 };
	struct httpd *h;
	char *server, *f_tok, *f_ca, *tok, *ca;
	size_t n = 0;
	svc_conn *c;

	assert_int_equal(httpd_start_tls(&h, routes, NROUTES(routes), &tls), 0);
	server = httpd_url(h, "/");
	tok = b64("sa-token-xyz");
	ca = b64(f->ca.cert_pem);
	assert_true(asprintf(&f_tok, "apiToken=%s", tok) > 0);
	assert_true(asprintf(&f_ca, "serviceAccountCertificate=%s", ca) > 0);
	{
		const char *fl[] = { "authorizationType=ServiceAccount", f_tok, f_ca, NULL };

		c = vu_conn("kubernetes", "Token", server, fl);
	}
	assert_int_equal(svc_verify(&r, NULL, c, &quick), 0);
	assert_int_equal(r.outcome, SVC_VERIFY_OK);
	assert_non_null(strstr(r.message, "v1.29.3"));
	assert_int_equal(httpd_requests(h, &q, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(httpd_header(&q[0], "Authorization"), "Bearer sa-token-xyz");
	httpd_requests_free(q, n);
	svc_verify_result_clear(&r);
	svc_conn_free(c);
	{
		const char *fl[] = { "authorizationType=AzureSubscription", NULL };

		c = vu_conn("kubernetes", "Kubernetes", NULL, fl);
	}
	assert_int_equal(svc_verify(&r, NULL, c, &quick), 0);
	assert_int_equal(r.outcome, SVC_VERIFY_LOCAL);
	svc_verify_result_clear(&r);
	svc_conn_free(c);
	free(f_tok);
	free(f_ca);
	free(tok);
	free(ca);
	free(server);
	httpd_stop(h);
}

/* ---- Chef ------------------------------------------------------------------ */

static const struct httpd_response client_json[] = {
	{ 200, "application/json", "{\"name\":\"node1\",\"clientname\":\"node1\",\"validator\":false}", NULL, 0, 0 } };
static const struct httpd_route chef_routes[] = {
	{ "GET", "/organizations/acme/clients/node1", client_json, 1 },
	{ "GET", "/organizations/acme/clients/intruder", unauthorized, 1 },
};

static void test_chef(void **state)
{
	struct tlsgen_cert k = { 0 };
	struct tlsgen_opts to = { 0 };
	struct httpd *h;
	struct httpd_request *q = NULL;
	svc_verify_result r = { 0 };
	svc_buf canon = SVC_BUF_INIT, sig = SVC_BUF_INIT, joined = SVC_BUF_INIT;
	char *url, *f_key, name[40];
	EVP_MD_CTX *md;
	size_t n = 0;
	svc_conn *c;
	int i;

	(void)state;
	to.kind = TLSGEN_CLIENT;
	to.rsa = 1;
	assert_int_equal(tlsgen_make(&k, &to), 0);
	assert_int_equal(httpd_start(&h, chef_routes, NROUTES(chef_routes)), 0);
	url = httpd_url(h, "/organizations/acme/");
	assert_true(asprintf(&f_key, "password=%s", k.key_pem) > 0);
	{
		const char *f[] = { "username=node1", f_key, NULL };

		c = vu_conn("Chef", "UsernamePassword", url, f);
	}
	assert_int_equal(svc_verify(&r, NULL, c, &quick), 0);
	if (r.outcome != SVC_VERIFY_OK)
		fail_msg("%s", r.message);
	svc_verify_result_clear(&r);
	svc_conn_free(c);
	/* the server's check */
	assert_int_equal(httpd_requests(h, &q, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(httpd_header(&q[0], "X-Ops-Sign"), "algorithm=sha256;version=1.3");
	assert_string_equal(httpd_header(&q[0], "X-Ops-Userid"), "node1");
	for (i = 1; i < 20; i++) {
		const char *v;

		snprintf(name, sizeof(name), "X-Ops-Authorization-%d", i);
		if (!(v = httpd_header(&q[0], name)))
			break;
		assert_int_equal(buf_puts(&joined, v), 0);
	}
	assert_int_equal(vc_unbase64(&sig, joined.ptr, joined.len), 0);
	assert_int_equal(chef_canonical(&canon, q[0].method, q[0].target, q[0].body,
					q[0].body_len, httpd_header(&q[0], "X-Ops-Userid"),
					httpd_header(&q[0], "X-Ops-Timestamp")), 0);
	md = EVP_MD_CTX_new();
	assert_int_equal(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, k.pkey), 1);
	assert_int_equal(EVP_DigestVerify(md, (unsigned char *)sig.ptr, sig.len,
					  (unsigned char *)canon.ptr, canon.len), 1);
	EVP_MD_CTX_free(md);
	httpd_requests_free(q, n);
	/* a client the server refuses */
	{
		const char *f[] = { "username=intruder", f_key, NULL };

		c = vu_conn("Chef", "UsernamePassword", url, f);
	}
	assert_int_equal(svc_verify(&r, NULL, c, &quick), 0);
	assert_int_equal(r.outcome, SVC_VERIFY_AUTH);
	svc_verify_result_clear(&r);
	svc_conn_free(c);
	free(f_key);
	free(url);
	buf_clear(&canon);
	buf_clear(&sig);
	buf_clear(&joined);
	httpd_stop(h);
	tlsgen_free(&k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kubeconfig_token_and_ca),
		cmocka_unit_test(test_kubeconfig_client_cert),
		cmocka_unit_test(test_service_account),
		cmocka_unit_test(test_chef),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
