/*
 * test_verify_custom.c - verify of custom connection types
 * (verify_custom.c): the request a definition describes, sent to fixture
 * servers on loopback (support/httpd.c).  The shipped Power Platform
 * definition asks the authority for a client-credentials token; the
 * vCenter one opens a session with basic auth; a definition of the test's
 * own sends a named header and a field in the URL's path.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svcconn/catalog.h"
#include "svcconn/conn.h"
#include "svcconn/errors.h"
#include "svcconn/verify.h"
#include "httpd.h"
#include "verifyutil.h"

#define TENANT "72f988bf-86f1-41af-91ab-2d7cd011db47"
#define APP "0c1d2e3f-1111-4222-8333-944455566677"

/* Per-test fixture: custom types from the project's types/ and a test dir. */
struct fx {
	char *dir;              /**< temporary directory (removed after) */
	svc_catalog *cat;       /**< the catalog with the custom types */
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char path[4096], *home, *def;

	assert_non_null(f);
	f->dir = tu_mkdtemp();
	home = tu_path(f->dir, "home");
	def = tu_path(f->dir, "apikey.yml");
	tu_write_file(def,
		      "id: apikey-service\n"
		      "name: API key service\n"
		      "schemes:\n"
		      "  - id: Token\n"
		      "    fields:\n"
		      "      - {key: url, kind: url, required: true, validate: url}\n"
		      "      - {key: project, kind: data, required: true}\n"
		      "      - {key: apiKey, kind: auth, required: true, secret: true}\n"
		      "verify:\n"
		      "  url: \"{url}/projects/{project}/me\"\n"
		      "  auth: {header: {name: X-Api-Key, value: apiKey}}\n");
	snprintf(path, sizeof(path), "%s/types:%s", SVC_SOURCE_DIR, f->dir);
	/* the test's own environment: where types are read from, no secret */
	setenv("SVCCONN_TYPES_PATH", path, 1);
	setenv("SVCCONN_HOME", home, 1);
	assert_int_equal(svc_catalog_new(&f->cat), 0);
	free(home);
	free(def);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	svc_catalog_free(f->cat);
	tu_rm_rf(f->dir);
	free(f->dir);
	free(f);
	unsetenv("SVCCONN_TYPES_PATH");
	return 0;
}

/* Validate c against the catalog (defaults applied) and verify it. */
static void verify(struct fx *f, svc_conn *c, svc_verify_result *r)
{
	svc_verify_options o = { SVC_VERIFY_OPTIONS_VERSION, 2000, 5000 };
	svc_diags *d = NULL;

	assert_int_equal(svc_diags_new(&d), 0);
	if (svc_conn_validate(c, f->cat, d) != 0) {
		print_error("%s\n", svc_diag_format(svc_diags_at(d, 0)));
		fail();
	}
	svc_diags_free(d);
	assert_int_equal(svc_verify(r, f->cat, c, &o), 0);
}

static svc_conn *power_platform(int port, const char *secret)
{
	char authority[64], field[128];
	const char *fields[] = { "tenantId=" TENANT, "applicationId=" APP,
		field, authority, NULL };

	snprintf(authority, sizeof(authority), "authorityUrl=http://127.0.0.1:%d",
		 port);
	snprintf(field, sizeof(field), "clientSecret=%s", secret);
	return vu_conn("powerplatform-spn", "None",
		       "https://contoso.crm4.dynamics.com/", fields);
}

/* Power Platform: the token request, its form exactly, and a refusal. */
static void test_power_platform(void **state)
{
	static const struct httpd_response token[] = {
		{ 200, "application/json",
		  "{\"token_type\":\"Bearer\",\"access_token\":\"eyJ0eXAi\"}",
		  NULL, 0, 0 } };
	static const struct httpd_response refused[] = {
		{ 401, "application/json",
		  "{\"error\":\"invalid_client\"}", NULL, 0, 0 } };
	static const struct httpd_route ok_routes[] = {
		{ "POST", "/" TENANT "/oauth2/v2.0/token", token, 1, NULL, NULL, NULL },
		{ NULL, NULL, NULL, 0, NULL, NULL, NULL } };
	static const struct httpd_route bad_routes[] = {
		{ "POST", "/" TENANT "/oauth2/v2.0/token", refused, 1, NULL, NULL, NULL },
		{ NULL, NULL, NULL, 0, NULL, NULL, NULL } };
	struct fx *f = *state;
	struct httpd *h = NULL;
	struct httpd_request *req = NULL;
	svc_verify_result r;
	svc_conn *c;
	size_t n = 0;

	assert_int_equal(httpd_start(&h, ok_routes, 1), 0);
	/* a secret with form syntax in it cannot add a field */
	c = power_platform(httpd_port(h), "s3cret&scope=evil+x");
	verify(f, c, &r);
	if (r.outcome != SVC_VERIFY_OK)
		print_error("%s: %s\n", svc_verify_outcome_name(r.outcome),
			    r.message);
	assert_int_equal(r.outcome, SVC_VERIFY_OK);
	assert_int_equal(r.http_status, 200);
	assert_null(strstr(r.message, "s3cret"));
	assert_int_equal(httpd_requests(h, &req, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(req[0].body,
		"grant_type=client_credentials&client_id=" APP
		"&client_secret=s3cret%26scope%3Devil%2Bx"
		"&scope=https%3A%2F%2Fcontoso.crm4.dynamics.com%2F.default");
	assert_string_equal(httpd_header(&req[0], "Content-Type"),
			    "application/x-www-form-urlencoded");
	httpd_requests_free(req, n);
	svc_verify_result_clear(&r);
	svc_conn_free(c);
	httpd_stop(h);

	assert_int_equal(httpd_start(&h, bad_routes, 1), 0);
	c = power_platform(httpd_port(h), "wrong-secret");
	verify(f, c, &r);
	assert_int_equal(r.outcome, SVC_VERIFY_AUTH);
	assert_non_null(strstr(r.message, "HTTP 401"));
	assert_null(strstr(r.message, "wrong-secret"));
	svc_verify_result_clear(&r);
	svc_conn_free(c);
	httpd_stop(h);

	/* an authority that is not there */
	c = power_platform(1, "s3cret");
	verify(f, c, &r);
	assert_int_equal(r.outcome, SVC_VERIFY_CONNECT);
	svc_verify_result_clear(&r);
	svc_conn_free(c);
}

/* vCenter: a session with basic auth; a wrong password is refused. */
static void test_vcenter_basic(void **state)
{
	static const struct httpd_response session[] = {
		{ 200, "application/json", "{\"value\":\"f00d\"}", NULL, 0, 0 } };
	/* "Basic " + base64("admin@vsphere.local:vc-Pa55") */
	static const struct httpd_route routes[] = {
		{ "POST", "/rest/com/vmware/cis/session", session, 1,
		  "Basic YWRtaW5AdnNwaGVyZS5sb2NhbDp2Yy1QYTU1", NULL, NULL },
		{ NULL, NULL, NULL, 0, NULL, NULL, NULL } };
	const char *good[] = { "username=admin@vsphere.local",
		"password=vc-Pa55", NULL };
	const char *bad[] = { "username=admin@vsphere.local",
		"password=guess", NULL };
	struct fx *f = *state;
	struct httpd *h = NULL;
	svc_verify_result r;
	char url[64];
	svc_conn *c;

	assert_int_equal(httpd_start(&h, routes, 1), 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", httpd_port(h));
	c = vu_conn("vmware", "UsernamePassword", url, good);
	verify(f, c, &r);
	assert_int_equal(r.outcome, SVC_VERIFY_OK);
	svc_verify_result_clear(&r);
	svc_conn_free(c);
	c = vu_conn("vmware", "UsernamePassword", url, bad);
	verify(f, c, &r);
	assert_int_equal(r.outcome, SVC_VERIFY_AUTH);
	svc_verify_result_clear(&r);
	svc_conn_free(c);
	httpd_stop(h);
}

/* A named header, and a field in the path, percent-encoded. */
static void test_header_and_path(void **state)
{
	static const struct httpd_response me[] = {
		{ 200, "application/json", "{}", NULL, 0, 0 } };
	static const struct httpd_route routes[] = {
		{ "GET", "/api/projects/a%2Fb%3Fc/me", me, 1, "key-123",
		  "X-Api-Key", NULL },
		{ NULL, NULL, NULL, 0, NULL, NULL, NULL } };
	const char *good[] = { "project=a/b?c", "apiKey=key-123", NULL };
	const char *bad[] = { "project=a/b?c", "apiKey=key-999", NULL };
	struct fx *f = *state;
	struct httpd *h = NULL;
	svc_verify_result r;
	char url[64];
	svc_conn *c;

	assert_int_equal(httpd_start(&h, routes, 1), 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/api/", httpd_port(h));
	c = vu_conn("apikey-service", "Token", url, good);
	verify(f, c, &r);
	assert_int_equal(r.outcome, SVC_VERIFY_OK);
	assert_non_null(strstr(r.target, "/api/projects/a%2Fb%3Fc/me"));
	svc_verify_result_clear(&r);
	svc_conn_free(c);
	c = vu_conn("apikey-service", "Token", url, bad);
	verify(f, c, &r);
	assert_int_equal(r.outcome, SVC_VERIFY_AUTH);
	svc_verify_result_clear(&r);
	svc_conn_free(c);
	httpd_stop(h);
}

/* A custom type without a verify request is checked locally. */
static void test_no_request(void **state)
{
	const char *fields[] = { "username=vmm\\admin", "password=pw", NULL };
	struct fx *f = *state;
	svc_verify_result r;
	svc_conn *c = vu_conn("scvmm", "UsernamePassword",
			      "https://vmm.example.test", fields);

	verify(f, c, &r);
	assert_int_equal(r.outcome, SVC_VERIFY_LOCAL);
	assert_non_null(strstr(r.message, "defines no verify request"));
	svc_verify_result_clear(&r);
	svc_conn_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_power_platform, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vcenter_basic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_header_and_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_request, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
