/*
 * test_conn.c - the connection object, validation against the catalog, the
 * buffer type and secret helpers.
 */
#include <stdlib.h>
#include <string.h>

#include <svcconn/svcconn.h>

#include "testutil.h"
#include "util/buf.h"

static svc_catalog *cat;

static int setup(void **state)
{
	(void)state;
	return svc_catalog_new(&cat);
}

static int teardown(void **state)
{
	(void)state;
	svc_catalog_free(cat);
	return 0;
}

/* Validate c and return the diagnostics (caller frees). */
static svc_diags *validate(svc_conn *c, int want_rc)
{
	svc_diags *d = NULL;

	assert_int_equal(svc_diags_new(&d), 0);
	assert_int_equal(svc_conn_validate(c, cat, d), want_rc);
	return d;
}

static int has(const svc_diags *d, const char *text)
{
	size_t i;

	for (i = 0; i < svc_diags_count(d); i++)
		if (strstr(svc_diags_at(d, i)->message, text))
			return 1;
	return 0;
}

static void test_normalises_type_scheme_and_key_case(void **state)
{
	svc_conn *c = NULL;
	svc_conn_field f;
	svc_diags *d;

	(void)state;
	assert_int_equal(svc_conn_new(&c, "GitHub", "gh"), 0);
	assert_int_equal(svc_conn_set_scheme(c, "token"), 0);
	assert_int_equal(svc_conn_set_field(c, "accesstoken", "t0k", 3), 0);
	d = validate(c, 0);
	assert_string_equal(svc_conn_type(c), "github");
	assert_string_equal(svc_conn_scheme(c), "Token");
	assert_int_equal(svc_conn_field_get(c, "AccessToken", &f), 0);
	assert_string_equal(f.key, "AccessToken");
	assert_true(f.secret);
	assert_int_equal(f.kind, SVC_FIELD_AUTH);
	assert_non_null(svc_conn_url(c)); /* the type's default URL */
	svc_diags_free(d);
	svc_conn_free(c);
}

static void test_defaults_variants_and_problems(void **state)
{
	svc_conn *c = NULL;
	svc_conn_field f;
	svc_diags *d;

	(void)state;
	assert_int_equal(svc_conn_new(&c, "ssh", "host"), 0);
	assert_int_equal(svc_conn_set_field(c, "Host", "h.example.test", 14), 0);
	assert_int_equal(svc_conn_set_field(c, "username", "u", 1), 0);
	d = validate(c, 0);
	assert_int_equal(svc_conn_field_get(c, "Port", &f), 0);
	assert_string_equal(f.value, "22");
	svc_diags_free(d);
	svc_conn_free(c);

	assert_int_equal(svc_conn_new(&c, "generic", "g"), 0);
	assert_int_equal(svc_conn_set_field(c, "nosuch", "x", 1), 0);
	d = validate(c, SVC_EINVALID);
	assert_true(has(d, "unknown field 'nosuch'"));
	assert_true(has(d, "valid: "));
	svc_diags_free(d);
	svc_conn_free(c);

	assert_int_equal(svc_conn_new(&c, "generic", "g"), 0);
	assert_int_equal(svc_conn_set_scheme(c, "NoScheme"), 0);
	d = validate(c, SVC_EINVALID);
	assert_true(has(d, "unknown scheme 'NoScheme'"));
	svc_diags_free(d);
	svc_conn_free(c);

	assert_int_equal(svc_conn_new(&c, "nosuchtype", "g"), 0);
	d = validate(c, SVC_EINVALID);
	assert_true(has(d, "unknown connection type"));
	svc_diags_free(d);
	svc_conn_free(c);

	/* a name that looks like an id would make lookups ambiguous */
	assert_int_equal(svc_conn_new(&c, "generic",
				      "0b6f2d1e-1a2b-4c3d-8e9f-0a1b2c3d4e5f"), 0);
	d = validate(c, SVC_EINVALID);
	assert_true(has(d, "looks like a connection id"));
	svc_diags_free(d);
	svc_conn_free(c);
}

static void test_variant_presets(void **state)
{
	svc_conn *c = NULL;
	svc_conn_field f;
	svc_diags *d;
	size_t i;
	const svc_type *t = svc_catalog_find(cat, "kubernetes");

	(void)state;
	assert_non_null(t);
	for (i = 0; i < t->nvariants; i++)
		if (strcmp(t->variants[i].scheme, "Token") == 0)
			break;
	assert_true(i < t->nvariants);
	assert_int_equal(svc_conn_new(&c, "kubernetes", "k"), 0);
	assert_int_equal(svc_conn_set_scheme(c, t->variants[i].id), 0);
	assert_int_equal(svc_conn_set_url(c, "https://k8s.example.test"), 0);
	assert_int_equal(svc_conn_set_field(c, "apiToken", "dG9rZW4=", 8), 0);
	assert_int_equal(svc_conn_set_field(c, "serviceAccountCertificate",
					    "Y2VydA==", 8), 0);
	d = validate(c, 0);
	assert_string_equal(svc_conn_scheme(c), "Token");
	assert_int_equal(svc_conn_field_get(c, "authorizationType", &f), 0);
	assert_string_equal(f.value, "ServiceAccount");
	svc_diags_free(d);
	svc_conn_free(c);
}

static void test_uuid(void **state)
{
	char id[SVC_ID_LEN + 1], id2[SVC_ID_LEN + 1];

	(void)state;
	assert_int_equal(svc_uuid_new(id), 0);
	assert_int_equal(svc_uuid_new(id2), 0);
	assert_true(svc_is_uuid(id));
	assert_string_not_equal(id, id2);
	assert_int_equal(id[14], '4');
	assert_false(svc_is_uuid("0B6F2D1E-1A2B-4C3D-8E9F-0A1B2C3D4E5F"));
	assert_false(svc_is_uuid("not-an-id"));
}

static void test_buffer_limits(void **state)
{
	svc_buf b;
	char big[100];

	(void)state;
	buf_init(&b, 64, 1);
	memset(big, 'x', sizeof(big));
	assert_int_equal(buf_put(&b, big, 60), 0);
	assert_int_equal(buf_put(&b, big, 10), SVC_EINVALID);
	assert_int_equal(b.len, 60);
	buf_clear(&b);
	assert_null(b.ptr);
	assert_true(svc_secret_equal("abc", 3, "abc", 3));
	assert_false(svc_secret_equal("abc", 3, "abd", 3));
	assert_false(svc_secret_equal("abc", 3, "abcd", 4));
}

static void test_dup_keeps_secrets_and_frees(void **state)
{
	svc_conn *c = NULL, *d = NULL;
	svc_conn_field f;

	(void)state;
	assert_int_equal(svc_conn_new(&c, "generic", "g"), 0);
	assert_int_equal(svc_conn_set_field(c, "password", "p", 1), 0);
	assert_int_equal(svc_conn_set_field(c, "password", "p2", 2), 0);
	assert_int_equal(svc_conn_set_field_unloaded(c, "other", SVC_FIELD_AUTH), 0);
	assert_int_equal(svc_conn_dup(&d, c), 0);
	assert_int_equal(svc_conn_field_get(d, "password", &f), 0);
	assert_string_equal(f.value, "p2");
	assert_int_equal(svc_conn_field_get(d, "other", &f), 0);
	assert_null(f.value);
	assert_true(f.is_set);
	assert_int_equal(svc_conn_unset_field(d, "other"), 0);
	assert_int_equal(svc_conn_unset_field(d, "other"), SVC_ENOTFOUND);
	svc_conn_free(c);
	svc_conn_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalises_type_scheme_and_key_case),
		cmocka_unit_test(test_defaults_variants_and_problems),
		cmocka_unit_test(test_variant_presets),
		cmocka_unit_test(test_uuid),
		cmocka_unit_test(test_buffer_limits),
		cmocka_unit_test(test_dup_keeps_secrets_and_frees),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
