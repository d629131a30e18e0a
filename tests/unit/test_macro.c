/*
 * test_macro.c - the one $(name) expander (util/macro.c), against what the
 * agent's VarUtil.ExpandValues and Variables.RecalculateExpanded do: one
 * pass that never looks into a value it put in, unknown names as written
 * (and the scan going on one character after their "$("), names up to the
 * next ")" with any characters and without case, a table's values expanded
 * through each other however deep, cycles and too deep chains left as
 * written, secrecy carried by what a value is made of, variables asked
 * first (predefined), a thousand names found by binary search, the size
 * bound, and the output variables of a run
 * found by job and "step.variable" (runtime/stepvars.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <svcconn/svcconn.h>
#include <svcconn/run.h>

#include "testutil.h"
#include "runtime/runtime_int.h"
#include "util/buf.h"
#include "util/macro.h"

/* text expanded with table d into a string the test frees; *secret too. */
static char *expand(macro_dict *d, const char *text, int *secret)
{
	svc_buf b = SVC_BUF_INIT;
	char *s;

	assert_int_equal(macro_expand(&b, text, macro_dict_lookup, d, secret), 0);
	s = strdup(b.ptr ? b.ptr : "");
	buf_clear(&b);
	return s;
}

static void expect(macro_dict *d, const char *text, const char *want)
{
	char *got = expand(d, text, NULL);

	assert_string_equal(got, want);
	free(got);
}

static void test_one_pass(void **state)
{
	macro_dict d = MACRO_DICT_INIT;

	(void)state;
	assert_int_equal(macro_dict_set(&d, "a", "$(b)", 0), 0);
	assert_int_equal(macro_dict_set(&d, "b", "B", 0), 0);
	assert_int_equal(macro_dict_set(&d, "lit", "$(a)", 0), 0);
	assert_int_equal(macro_dict_set(&d, "My Var.x", "spaced", 0), 0);
	/* before the table is expanded, a value goes in as given and is
	 * never looked into */
	expect(&d, "[$(lit)]", "[$(a)]");
	assert_int_equal(macro_dict_expand(&d), 0);
	expect(&d, "x$(a)y$(B)z", "xByBz");          /* nested, without case */
	expect(&d, "$(nope) $(a)", "$(nope) B");     /* unknown as written */
	expect(&d, "$()$(", "$()$(");                /* empty, unterminated */
	expect(&d, "$($(a))", "$(B)");               /* rescanned after "$" */
	expect(&d, "$(a", "$(a");
	expect(&d, "$(my var.X)!", "spaced!");        /* any character */
	expect(&d, "echo $(pwd) $(a)", "echo $(pwd) B");
	expect(&d, "", "");
	macro_dict_clear(&d);
}

static void test_table(void **state)
{
	macro_dict d = MACRO_DICT_INIT;
	struct macro_var *x;
	char name[16], val[32];
	int i, secret = 0;
	char *s;

	(void)state;
	/* cycles stay as written: direct, and through others */
	assert_int_equal(macro_dict_set(&d, "self", "$(self)x", 0), 0);
	assert_int_equal(macro_dict_set(&d, "p", "1$(q)", 0), 0);
	assert_int_equal(macro_dict_set(&d, "q", "2$(p)", 0), 0);
	assert_int_equal(macro_dict_set(&d, "r", "3$(q)", 0), 0);
	assert_int_equal(macro_dict_set(&d, "ok", "fine", 0), 0);
	/* a chain of 49 levels expands; one of 50 does not */
	for (i = 0; i < 60; i++) {
		snprintf(name, sizeof(name), "c%d", i);
		snprintf(val, sizeof(val), i < 59 ? "$(c%d)" : "end", i + 1);
		assert_int_equal(macro_dict_set(&d, name, val, 0), 0);
	}
	/* secrecy is carried by what a value is made of */
	assert_int_equal(macro_dict_set(&d, "tok", "s3cret", 1), 0);
	assert_int_equal(macro_dict_set(&d, "url", "https://u:$(tok)@h/", 0), 0);
	/* set again, whatever the case: replaced, secret stays secret */
	assert_int_equal(macro_dict_set(&d, "TOK", "s3cret2", 0), 0);
	assert_int_equal(macro_dict_expand(&d), 0);
	expect(&d, "$(self)", "$(self)x");
	expect(&d, "$(p)|$(q)|$(r)|$(ok)", "1$(q)|2$(p)|3$(q)|fine");
	expect(&d, "$(c10)", "end");   /* 49 below it */
	expect(&d, "$(c9)", "$(c10)");  /* 50 below it: as written */
	x = macro_dict_find(&d, "URL", 3);
	assert_non_null(x);
	assert_true(x->secret);
	s = expand(&d, "$(url)", &secret);
	assert_string_equal(s, "https://u:s3cret2@h/");
	assert_true(secret);
	free(s);
	secret = 0;
	free(expand(&d, "$(ok)", &secret));
	assert_false(secret);
	macro_dict_clear(&d);
	assert_int_equal(d.n, 0);
}

/* A fixed variable: "Fixed.Dir" only. */
static const char *fixed(void *ctx, const char *name, size_t len, int *secret)
{
	(void)ctx;
	*secret = 0;
	return len == 9 && !strncasecmp(name, "Fixed.Dir", 9) ? "/fixed" : NULL;
}

/* Many names, found in any case once the table is sorted. */
static void test_many_names(void **state)
{
	macro_dict d = MACRO_DICT_INIT;
	char name[32], val[32], text[32];
	int i;

	(void)state;
	for (i = 999; i >= 0; i--) {
		snprintf(name, sizeof(name), i % 2 ? "Name.%d" : "nAME_%d", i);
		snprintf(val, sizeof(val), "v%d", i);
		assert_int_equal(macro_dict_set(&d, name, val, 0), 0);
	}
	assert_int_equal(macro_dict_expand(&d), 0);
	for (i = 0; i < 1000; i++) {
		snprintf(text, sizeof(text), i % 2 ? "$(NAME.%d)" : "$(name_%d)", i);
		snprintf(val, sizeof(val), "v%d", i);
		expect(&d, text, val);
	}
	expect(&d, "$(name.1000)$(Name)$(Name.)", "$(name.1000)$(Name)$(Name.)");
	macro_dict_clear(&d);
}

static void test_fixed_and_bound(void **state)
{
	macro_dict d = MACRO_DICT_INIT;
	svc_buf big = SVC_BUF_INIT;
	int i;

	(void)state;
	d.fixed = fixed;
	assert_int_equal(macro_dict_set(&d, "fixed.dir", "mine", 0), 0);
	assert_int_equal(macro_dict_set(&d, "out", "$(Fixed.Dir)/out", 0), 0);
	/* a value that doubles at each level stops at the bound, as written */
	assert_int_equal(macro_dict_set(&d, "d0", "xxxxxxxxxxxxxxxx", 0), 0);
	for (i = 1; i < 40; i++) {
		char name[8], val[32];

		snprintf(name, sizeof(name), "d%d", i);
		snprintf(val, sizeof(val), "$(d%d)$(d%d)", i - 1, i - 1);
		assert_int_equal(macro_dict_set(&d, name, val, 0), 0);
	}
	assert_int_equal(macro_dict_expand(&d), 0);
	expect(&d, "$(fixed.dir) $(out)", "/fixed /fixed/out");
	expect(&d, "$(d39)", "$(d38)$(d38)");
	assert_int_equal(macro_expand(&big, "$(d15)", macro_dict_lookup, &d, NULL), 0);
	assert_int_equal(big.len, (size_t)16 << 15);
	buf_clear(&big);
	/* the output buffer's own maximum */
	buf_init(&big, 10, 0);
	assert_int_equal(macro_expand(&big, "$(d1)", macro_dict_lookup, &d, NULL),
			 SVC_EINVALID);
	buf_clear(&big);
	macro_dict_clear(&d);
}

static void test_run_outputs(void **state)
{
	struct run_outputs o = { NULL, 0 };
	svc_step_vars *v = NULL;
	int secret = 0;

	(void)state;
	assert_int_equal(svc_step_vars_new(&v), 0);
	assert_int_equal(step_vars_set_output(v, "build", "ver", "1.2", 3, 0), 0);
	assert_int_equal(step_vars_set_output(v, "build", "key", "k-secret", 8, 1), 0);
	assert_int_equal(svc_step_vars_set_public(v, "plain", "p", 1), 0);
	assert_int_equal(step_vars_set_output(v, NULL, "x", "y", 1, 0), SVC_EINVALID);
	assert_int_equal(run_outputs_add(&o, "S", "J", v), 0);
	assert_int_equal(o.n, 2);
	assert_string_equal(run_output(&o, "S", "j", "Build.Ver", &secret), "1.2");
	assert_false(secret);
	assert_string_equal(run_output(&o, "S", "J", "build.key", &secret), "k-secret");
	assert_true(secret);
	assert_null(run_output(&o, NULL, "J", "build.ver", NULL));
	assert_null(run_output(&o, "S", "J", "plain", NULL));
	assert_null(run_output(&o, "S", "K", "build.ver", NULL));
	run_outputs_clear(&o);
	svc_step_vars_free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_pass),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_many_names),
		cmocka_unit_test(test_fixed_and_bound),
		cmocka_unit_test(test_run_outputs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
