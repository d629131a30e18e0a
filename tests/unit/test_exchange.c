/*
 * test_exchange.c - the YAML reader under hostile input, and export/import
 * of connections through the library.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <svcconn/svcconn.h>

#include "exchange/yaml_doc.h"
#include "testutil.h"
#include "util/buf.h"

/* Parse text; expect failure with one error whose text contains want and
 * whose line is line (0: any). */
static void expect_error(const char *text, size_t len, const char *want,
			 unsigned line)
{
	svc_diags *d = NULL;
	ydoc *doc = NULL;
	const svc_diag *e;

	assert_int_equal(svc_diags_new(&d), 0);
	assert_int_equal(ydoc_parse(&doc, "hostile.yml", text, len, NULL, d),
			 SVC_EINVALID);
	assert_null(doc);
	assert_int_equal(svc_diags_count(d), 1);
	e = svc_diags_at(d, 0);
	assert_string_equal(e->file, "hostile.yml");
	if (!strstr(e->message, want))
		fail_msg("error '%s' does not say '%s'", e->message, want);
	if (line)
		assert_int_equal(e->line, line);
	svc_diags_free(d);
}

static void test_billion_laughs(void **state)
{
	svc_buf b = SVC_BUF_INIT;
	int i, j;

	(void)state;
	buf_puts(&b, "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
	for (i = 1; i < 12; i++) {
		buf_printf(&b, "a%d: &a%d [", i, i);
		for (j = 0; j < 10; j++)
			buf_printf(&b, "%s*a%d", j ? ", " : "", i - 1);
		buf_puts(&b, "]\n");
	}
	expect_error(b.ptr, b.len, "node", 0);
	buf_clear(&b);
}

static void test_deep_nesting(void **state)
{
	svc_buf b = SVC_BUF_INIT;
	int i;

	(void)state;
	for (i = 0; i < 200; i++)
		buf_putc(&b, '[');
	for (i = 0; i < 200; i++)
		buf_putc(&b, ']');
	expect_error(b.ptr, b.len, "nesting", 1);
	buf_clear(&b);
}

static void test_bad_inputs(void **state)
{
	static const char nul[] = "a: 1\nb: \0x\n";
	static const char bad_utf8[] = "a: \xff\xfe bad\n";

	(void)state;
	expect_error("a: 1\nb: 2\na: 3\n", 15, "duplicate key 'a'", 3);
	expect_error(nul, sizeof(nul) - 1, "NUL", 2);
	expect_error(bad_utf8, sizeof(bad_utf8) - 1, "invalid YAML", 1);
	expect_error("a:\n\tb: 1\n", 9, "invalid YAML", 2);
	expect_error("a: [1, 2\n", 9, "invalid YAML", 0);
	expect_error("--- a\n--- b\n", 12, "more than one", 2);
	expect_error("a: *nope\n", 9, "unknown alias", 1);
	expect_error("{[1]: x}\n", 8, "mapping keys must be scalars", 1);
}

static void test_too_large(void **state)
{
	ydoc_limits lim = { 64, 0, 0, 0 };
	svc_diags *d = NULL;
	ydoc *doc = NULL;
	char text[200];

	(void)state;
	memset(text, 'a', sizeof(text));
	assert_int_equal(svc_diags_new(&d), 0);
	assert_int_equal(ydoc_parse(&doc, "big.yml", text, sizeof(text), &lim, d),
			 SVC_EINVALID);
	assert_non_null(strstr(svc_diags_at(d, 0)->message, "larger"));
	svc_diags_free(d);
}

static void test_positions(void **state)
{
	const char *text = "top:\n  key: value\n  list:\n    - one\n";
	svc_diags *d = NULL;
	ydoc *doc = NULL;
	const ynode *top, *v;

	(void)state;
	assert_int_equal(svc_diags_new(&d), 0);
	assert_int_equal(ydoc_parse(&doc, "p.yml", text, strlen(text), NULL, d), 0);
	top = ynode_get(doc->root, "top");
	v = ynode_get(top, "key");
	assert_string_equal(v->scalar, "value");
	assert_int_equal(v->line, 2);
	assert_int_equal(v->column, 8);
	v = ynode_get(top, "list");
	assert_int_equal(v->kind, YNODE_SEQ);
	assert_int_equal(v->items[0]->line, 4);
	ydoc_free(doc);
	svc_diags_free(d);
}

static svc_conn *valid_conn(const svc_catalog *cat, const char *name,
			    const char *pw)
{
	svc_conn *c = NULL;
	svc_diags *d = NULL;

	assert_int_equal(svc_conn_new(&c, "generic", name), 0);
	assert_int_equal(svc_conn_set_url(c, "https://x.example.test"), 0);
	assert_int_equal(svc_conn_set_field(c, "username", "u\"s\\er", 6), 0);
	assert_int_equal(svc_conn_set_field(c, "password", pw, strlen(pw)), 0);
	assert_int_equal(svc_diags_new(&d), 0);
	assert_int_equal(svc_conn_validate(c, cat, d), 0);
	svc_diags_free(d);
	return c;
}

static void test_export_import_round_trip(void **state)
{
	const char *pw = "line1\nline2\t\"quoted\" \\ \x01 end";
	svc_catalog *cat = NULL;
	svc_conn *c, **back = NULL;
	svc_diags *d = NULL;
	svc_conn_field f;
	char *text = NULL;
	size_t len, n = 0;

	(void)state;
	assert_int_equal(svc_catalog_new(&cat), 0);
	c = valid_conn(cat, "odd: name # with yaml chars", pw);
	/* without secrets: the password is not there at all */
	assert_int_equal(svc_export_yaml(&text, &len, &c, 1, 0), 0);
	assert_null(strstr(text, "line1"));
	assert_null(strstr(text, "password"));
	svc_secret_free(text, len);
	/* with secrets: everything comes back byte for byte */
	assert_int_equal(svc_export_yaml(&text, &len, &c, 1, SVC_EXPORT_SECRETS), 0);
	assert_int_equal(svc_diags_new(&d), 0);
	assert_int_equal(svc_import_yaml(&back, &n, "x.yml", text, len, cat, d), 0);
	assert_int_equal(n, 1);
	assert_string_equal(svc_conn_name(back[0]), "odd: name # with yaml chars");
	assert_int_equal(svc_conn_field_get(back[0], "password", &f), 0);
	assert_int_equal(f.len, strlen(pw));
	assert_memory_equal(f.value, pw, f.len);
	assert_true(f.secret);
	assert_int_equal(svc_conn_field_get(back[0], "username", &f), 0);
	assert_string_equal(f.value, "u\"s\\er");
	svc_conn_free(back[0]);
	free(back);
	svc_secret_free(text, len);
	svc_conn_free(c);
	svc_diags_free(d);
	svc_catalog_free(cat);
}

static void test_import_reports_every_problem(void **state)
{
	const char *text =
		"apiVersion: svcconn/v1\n"
		"connections:\n"
		"  - name: a\n"
		"    type: generic\n"
		"    url: not a url\n"
		"    bogus: 1\n"
		"  - name: b\n"
		"    type: ssh\n"
		"    data:\n"
		"      Port: \"99999\"\n"
		"  - name: A\n"
		"    type: generic\n"
		"    url: https://ok.example.test\n";
	svc_catalog *cat = NULL;
	svc_diags *d = NULL;
	svc_conn **out = NULL;
	size_t n = 0, i;
	int saw_url = 0, saw_bogus = 0, saw_port = 0, saw_dup = 0;

	(void)state;
	assert_int_equal(svc_catalog_new(&cat), 0);
	assert_int_equal(svc_diags_new(&d), 0);
	assert_int_equal(svc_import_yaml(&out, &n, "in.yml", text, strlen(text),
					 cat, d), SVC_EINVALID);
	assert_null(out);
	for (i = 0; i < svc_diags_count(d); i++) {
		const svc_diag *e = svc_diags_at(d, i);

		saw_bogus |= e->line == 6 && strstr(e->message, "bogus") != NULL;
		saw_url |= e->line == 5 && strstr(e->message, "'url'") != NULL;
		saw_port |= e->line == 10 && strstr(e->message, "'Port'") != NULL;
		saw_dup |= e->line == 11 && strstr(e->message, "duplicate") != NULL;
	}
	assert_true(saw_bogus);
	assert_true(saw_url);
	assert_true(saw_port);
	assert_true(saw_dup);
	svc_diags_free(d);
	svc_catalog_free(cat);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_billion_laughs),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_bad_inputs),
		cmocka_unit_test(test_too_large),
		cmocka_unit_test(test_positions),
		cmocka_unit_test(test_export_import_round_trip),
		cmocka_unit_test(test_import_reports_every_problem),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
