/*
 * test_cli_certs.c - certificate checks and expiry through the real
 * `svcconn` executable, with certificates generated at test time and "now"
 * fixed by SVCCONN_NOW.
 *
 * - create refuses a certificate that does not match its key, and an
 *   expired one, naming connection and field, and stores nothing;
 * - a certificate expiring within 30 days is stored with a warning;
 * - list shows the EXPIRES column (and "expires" in --json);
 * - expiring: --within windows, soonest first, exit 1 when something is
 *   due and 0 when nothing is, --json fields, expired ones later on;
 * - edit checks a new certificate against the stored (encrypted) key;
 * - a store migrated from schema 3 shows expiry as unknown until
 *   `expiring --rescan` fills it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "certgen.h"
#include "testutil.h"

#define NOW ((time_t)1906502400) /* 2030-06-01T00:00:00Z */
#define DAY 86400LL

static char *tmp;          /* this test's directory */
static char *home;         /* the store */
static EVP_PKEY *ca_key, *key, *other;
static X509 *ca;

static char *env_now[] = { "SVCCONN_NOW=2030-06-01T00:00:00Z", NULL };

/* Run svcconn with args (NULL-ended) and extra environment env. */
static void svc_env(tu_result *r, char *const *env, ...)
{
	va_list ap;

	va_start(ap, env);
	tu_svcconn_v(r, home, NULL, env, ap);
	va_end(ap);
}

#define svc(r, ...) svc_env(r, env_now, __VA_ARGS__, NULL)

static void expect(tu_result *r, int status, const char *in_err,
		   const char *in_out)
{
	if (r->status != status)
		fail_msg("exit %d, want %d; stderr: %s; stdout: %s", r->status,
			 status, r->err, r->out);
	if (in_err && !strstr(r->err, in_err))
		fail_msg("stderr lacks '%s': %s", in_err, r->err);
	if (in_out && !strstr(r->out, in_out))
		fail_msg("stdout lacks '%s': %s", in_out, r->out);
}

/* A file in tmp with content; returns "KEY=@path" for --secret. */
static char *secret_arg(const char *k, const char *file, char *content)
{
	char *p = tu_path(tmp, file), *arg;
	size_t n = strlen(k) + strlen(p) + 3;

	tu_write_file(p, content);
	free(content);
	arg = malloc(n);
	assert_non_null(arg);
	snprintf(arg, n, "%s=@%s", k, p);
	free(p);
	return arg;
}

/* A client certificate for k, signed by the CA, valid until now+until. */
static char *client(EVP_PKEY *k, const char *cn, long long until)
{
	X509 *x = cg_cert(k, cn, NOW, -DAY, until, ca, ca_key, 0);
	char *pem = cg_pem_cert(x);

	X509_free(x);
	return pem;
}

/* svcconn create dockerhost NAME with a cert valid until now+until. */
static void create_docker(tu_result *r, const char *name, EVP_PKEY *k,
			  long long until)
{
	char *cacert = secret_arg("cacert", "ca.pem", cg_pem_cert(ca));
	char *cert = secret_arg("cert", "cert.pem", client(key, name, until));
	char *kf = secret_arg("key", "key.pem", cg_pem_key(k, NULL));

	svc(r, "create", "dockerhost", name, "--url", "tcp://docker.test:2376",
	    "--secret", cacert, "--secret", cert, "--secret", kf);
	free(cacert);
	free(cert);
	free(kf);
}

static int setup(void **state)
{
	tu_result r;

	(void)state;
	tmp = tu_mkdtemp();
	home = tu_path(tmp, "home");
	ca_key = cg_key();
	key = cg_key();
	other = cg_key();
	ca = cg_cert(ca_key, "test-ca", NOW, -DAY, 900 * DAY, NULL, NULL, 1);
	svc(&r, "init");
	expect(&r, 0, NULL, NULL);
	tu_result_free(&r);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tu_rm_rf(tmp);
	free(tmp);
	free(home);
	X509_free(ca);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(key);
	EVP_PKEY_free(other);
	return 0;
}

static void test_create_refuses_mismatch_and_expired(void **state)
{
	tu_result r;

	(void)state;
	create_docker(&r, "dh-bad", other, 100 * DAY);
	expect(&r, 2, "error: connection 'dh-bad', field 'cert': certificate "
		      "'CN=dh-bad' does not match the private key in field 'key'",
	       NULL);
	assert_non_null(strstr(r.err, "nothing was stored"));
	tu_result_free(&r);

	create_docker(&r, "dh-old", key, -3 * DAY);
	expect(&r, 2, "error: connection 'dh-old', field 'cert': certificate "
		      "'CN=dh-old' expired on 2030-05-29 (3 days ago)", NULL);
	tu_result_free(&r);

	svc(&r, "list");
	expect(&r, 0, NULL, "EXPIRES");
	assert_null(strstr(r.out, "dh-bad"));
	assert_null(strstr(r.out, "dh-old"));
	tu_result_free(&r);
}

/* The line of out that starts with name. */
static const char *line_of(const char *out, const char *name)
{
	const char *p = out;
	size_t n = strlen(name);

	while (p && *p) {
		if (strncmp(p, name, n) == 0 && p[n] == ' ')
			return p;
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	fail_msg("no line for '%s' in: %s", name, out);
	return NULL;
}

static void test_warning_list_and_expiring(void **state)
{
	char *kc, *arg, *cert, *kpem, *capem;
	json_t *j, *e;
	json_error_t jerr;
	tu_result r;

	(void)state;
	create_docker(&r, "dh-soon", key, 10 * DAY);
	expect(&r, 0, "warning: connection 'dh-soon', field 'cert': "
		      "certificate 'CN=dh-soon' expires on 2030-06-11 (in 10 days)",
	       "created connection 'dh-soon'");
	tu_result_free(&r);
	create_docker(&r, "dh-later", key, 100 * DAY);
	expect(&r, 0, NULL, NULL);
	assert_null(strstr(r.err, "warning"));
	tu_result_free(&r);
	cert = client(key, "kube-client", 60 * DAY);
	kpem = cg_pem_key(key, NULL);
	capem = cg_pem_cert(ca);
	kc = cg_kubeconfig(capem, cert, kpem);
	arg = secret_arg("kubeconfig", "kubeconfig", kc);
	svc(&r, "create", "kubernetes", "k8s", "--scheme", "Kubeconfig",
	    "--secret", arg);
	expect(&r, 0, NULL, NULL);
	tu_result_free(&r);
	free(arg);
	free(cert);
	free(kpem);
	free(capem);

	svc(&r, "list");
	expect(&r, 0, NULL, NULL);
	assert_non_null(strstr(line_of(r.out, "dh-soon"), " 2030-06-11 "));
	assert_non_null(strstr(line_of(r.out, "dh-later"), " 2030-09-09 "));
	assert_non_null(strstr(line_of(r.out, "k8s"), " 2030-07-31 "));
	tu_result_free(&r);
	svc(&r, "list", "--json");
	expect(&r, 0, NULL, "\"expires\": \"2030-06-11\"");
	tu_result_free(&r);

	/* default window: 30 days */
	svc(&r, "expiring");
	expect(&r, 1, NULL, "dh-soon");
	assert_non_null(strstr(line_of(r.out, "dh-soon"), " cert "));
	assert_null(strstr(r.out, "dh-later"));
	assert_null(strstr(r.out, "k8s"));
	tu_result_free(&r);
	/* a wider one, soonest first */
	svc(&r, "expiring", "--within", "15w");
	expect(&r, 1, NULL, NULL);
	assert_true(line_of(r.out, "dh-soon") < line_of(r.out, "k8s"));
	assert_true(line_of(r.out, "k8s") < line_of(r.out, "dh-later"));
	tu_result_free(&r);
	/* nothing due within 12 hours */
	svc(&r, "expiring", "--within", "12h");
	expect(&r, 0, NULL, NULL);
	assert_string_equal(r.out, "");
	tu_result_free(&r);
	svc(&r, "expiring", "--within", "30x");
	expect(&r, 2, "invalid duration '30x'", NULL);
	tu_result_free(&r);

	svc(&r, "expiring", "--within", "2w", "--json");
	expect(&r, 1, NULL, NULL);
	j = json_loads(r.out, 0, &jerr);
	assert_non_null(j);
	assert_int_equal(json_array_size(j), 1);
	e = json_array_get(j, 0);
	assert_string_equal(json_string_value(json_object_get(e, "name")),
			    "dh-soon");
	assert_string_equal(json_string_value(json_object_get(e, "type")),
			    "dockerhost");
	assert_string_equal(json_string_value(json_object_get(e, "field")),
			    "cert");
	assert_string_equal(json_string_value(json_object_get(e, "notAfter")),
			    "2030-06-11T00:00:00Z");
	assert_int_equal(json_integer_value(json_object_get(e, "daysLeft")),
			 10);
	assert_true(json_is_false(json_object_get(e, "expired")));
	json_decref(j);
	tu_result_free(&r);

	/* ten days on, it has expired */
	{
		char *later[] = { "SVCCONN_NOW=2030-06-20T00:00:00Z", NULL };

		svc_env(&r, later, "expiring", "--json", NULL);
		expect(&r, 1, NULL, NULL);
		j = json_loads(r.out, 0, &jerr);
		assert_non_null(j);
		e = json_array_get(j, 0);
		assert_string_equal(json_string_value(json_object_get(e, "name")),
				    "dh-soon");
		assert_true(json_is_true(json_object_get(e, "expired")));
		assert_int_equal(json_integer_value(json_object_get(e, "daysLeft")),
				 -9);
		json_decref(j);
		tu_result_free(&r);
	}
}

static void test_edit_checks_against_stored_key(void **state)
{
	char *arg;
	tu_result r;

	(void)state;
	create_docker(&r, "dh-edit", key, 20 * DAY);
	expect(&r, 0, "warning", NULL);
	tu_result_free(&r);

	/* a certificate of another key, against the stored key */
	arg = secret_arg("cert", "wrong.pem", client(other, "wrong", 400 * DAY));
	svc(&r, "edit", "dh-edit", "--secret", arg);
	expect(&r, 2, "connection 'dh-edit', field 'cert': certificate "
		      "'CN=wrong' does not match the private key in field 'key'",
	       NULL);
	tu_result_free(&r);
	free(arg);

	/* the renewed certificate of the same key */
	arg = secret_arg("cert", "renewed.pem", client(key, "renewed", 400 * DAY));
	svc(&r, "edit", "dh-edit", "--secret", arg);
	expect(&r, 0, NULL, "updated connection 'dh-edit'");
	assert_null(strstr(r.err, "warning"));
	tu_result_free(&r);
	free(arg);
	svc(&r, "list");
	expect(&r, 0, NULL, NULL);
	assert_non_null(strstr(line_of(r.out, "dh-edit"), " 2031-07-06 "));
	tu_result_free(&r);
}

static void test_rescan_after_migration(void **state)
{
	char *db = tu_path(home, "store.db");
	sqlite3 *sq;
	sqlite3_stmt *st;
	tu_result r;

	(void)state;
	create_docker(&r, "dh-migrated", key, 15 * DAY);
	expect(&r, 0, NULL, NULL);
	tu_result_free(&r);

	/* the store as schema 3 left it: no expiry table */
	assert_int_equal(sqlite3_open(db, &sq), SQLITE_OK);
	assert_int_equal(sqlite3_exec(sq, "DROP TABLE cert_expiry; "
				      "PRAGMA user_version = 3", NULL, NULL,
				      NULL), SQLITE_OK);
	sqlite3_close(sq);

	svc(&r, "list");
	expect(&r, 0, NULL, NULL);
	assert_non_null(strstr(line_of(r.out, "dh-migrated"), " - "));
	tu_result_free(&r);
	svc(&r, "expiring");
	expect(&r, 0, "run 'svcconn expiring --rescan'", NULL);
	assert_null(strstr(r.out, "dh-migrated"));
	tu_result_free(&r);

	svc(&r, "expiring", "--rescan");
	expect(&r, 1, "rescanned the certificates of", "dh-migrated");
	assert_null(strstr(r.err, "not recorded"));
	tu_result_free(&r);
	svc(&r, "list");
	expect(&r, 0, NULL, NULL);
	assert_non_null(strstr(line_of(r.out, "dh-migrated"), " 2030-06-16 "));
	tu_result_free(&r);

	assert_int_equal(sqlite3_open(db, &sq), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(sq, "PRAGMA user_version", -1,
					    &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 12);
	sqlite3_finalize(st);
	sqlite3_close(sq);
	free(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_refuses_mismatch_and_expired),
		cmocka_unit_test(test_warning_list_and_expiring),
		cmocka_unit_test(test_edit_checks_against_stored_key),
		cmocka_unit_test(test_rescan_after_migration),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
