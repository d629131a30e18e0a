/*
 * test_expr.c - the ${{ }} template-expression evaluator: literals,
 * property access and filters, every function, the service's conversion
 * rules, error messages with columns, value lifetimes across evaluations,
 * and the limits that keep hostile expressions harmless.
 *
 * Root names come from a lookup callback over YAML trees parsed with
 * ydoc_parse(): "parameters" and "variables", plus a few names that stand
 * for loop variables and failing lookups.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <svcconn/svcconn.h>

#include "errors_int.h"
#include "exchange/yaml_doc.h"
#include "pipeline/expr.h"
#include "testutil.h"
#include "util/buf.h"

static const char params_yaml[] =
	"name: World\n"
	"flag: true\n"
	"flagStr: 'true'\n"
	"off: False\n"
	"count: 3\n"
	"zero: 0\n"
	"ratio: 1.50\n"
	"hex: 0x1F\n"
	"octal: 0o17\n"
	"exp: 1e3\n"
	"inf: .inf\n"
	"empty: ''\n"
	"nothing: null\n"
	"tilde: ~\n"
	"blank:\n"
	"quotedNum: '42'\n"
	"list: [a, b, c]\n"
	"nums: [1, 2, 3]\n"
	"emptyList: []\n"
	"emptyMap: {}\n"
	"objs:\n"
	"  - name: x\n"
	"    id: 1\n"
	"  - name: y\n"
	"    id: 2\n"
	"    extra: [p, q]\n"
	"map:\n"
	"  Key: upper\n"
	"  key: lower\n"
	"  Other: o\n"
	"  dotted.key: dv\n"
	"nested:\n"
	"  a:\n"
	"    b: deep\n"
	"text: \"line1\\nline2 \\\"q\\\"\"\n"
	"spaced: '  padded \t'\n"
	"unicode: 'h\xc3\xa9llo \xe2\x82\xac'\n";

static const char vars_yaml[] =
	"Build.SourceBranch: refs/heads/main\n"
	"System.Debug: 'false'\n";

/* Number of items in the "huge" sequence: more than the step limit. */
#define HUGE_ITEMS ((size_t)EXPR_MAX_STEPS + 10)

/* Everything the lookup callback can answer. */
struct fixture {
	ydoc *params;           /**< the "parameters" tree */
	ydoc *vars;             /**< the "variables" tree */
	evalue saved;           /**< "saved": a value kept from an evaluation */
	ynode zero;             /**< a scalar 0 shared by every huge item */
	ynode huge;             /**< "huge": a sequence of HUGE_ITEMS items */
	char *bigtext;          /**< "bigtext": a long string */
	size_t bigtext_len;     /**< its length */
};

static int lookup(void *ctx, const char *name, evalue *out)
{
	struct fixture *f = ctx;

	if (strcasecmp(name, "parameters") == 0)
		return evalue_from_node(out, f->params->root);
	if (strcasecmp(name, "variables") == 0)
		return evalue_from_node(out, f->vars->root);
	if (strcasecmp(name, "item") == 0)
		return evalue_set_string(out, "loop", 4);
	if (strcasecmp(name, "saved") == 0)
		return evalue_copy(out, &f->saved);
	if (strcasecmp(name, "huge") == 0)
		return evalue_from_node(out, &f->huge);
	if (strcasecmp(name, "bigtext") == 0)
		return evalue_set_string(out, f->bigtext, f->bigtext_len);
	if (strcasecmp(name, "broken") == 0)
		return error_set(SVC_ERROR, "backend down");
	return SVC_ENOTFOUND;
}

static ydoc *parse(const char *text)
{
	svc_diags *d = NULL;
	ydoc *doc = NULL;

	assert_int_equal(svc_diags_new(&d), 0);
	assert_int_equal(ydoc_parse(&doc, "t.yml", text, strlen(text), NULL, d), 0);
	svc_diags_free(d);
	return doc;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	size_t i;

	assert_non_null(f);
	f->params = parse(params_yaml);
	f->vars = parse(vars_yaml);
	f->zero.kind = YNODE_SCALAR;
	f->zero.scalar = (char *)"0";
	f->zero.len = 1;
	f->zero.plain = 1;
	f->huge.kind = YNODE_SEQ;
	f->huge.items = calloc(HUGE_ITEMS, sizeof(ynode *));
	assert_non_null(f->huge.items);
	for (i = 0; i < HUGE_ITEMS; i++)
		f->huge.items[i] = &f->zero;
	f->huge.n = f->huge.alloc = HUGE_ITEMS;
	f->bigtext_len = 2 * 1024 * 1024;
	f->bigtext = malloc(f->bigtext_len + 1);
	assert_non_null(f->bigtext);
	for (i = 0; i < f->bigtext_len; i++)
		f->bigtext[i] = i % 2 ? ',' : 'a';
	f->bigtext[f->bigtext_len] = '\0';
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	ydoc_free(f->params);
	ydoc_free(f->vars);
	evalue_clear(&f->saved);
	free(f->huge.items);
	free(f->bigtext);
	free(f);
	return 0;
}

/* Evaluate expr; on failure report the message. */
static void eval_ok(void **state, const char *expr, evalue *v)
{
	expr_env env = { lookup, *state };
	char *err = NULL;
	int rc;

	memset(v, 0, sizeof(*v));
	rc = expr_eval(v, expr, strlen(expr), &env, &err);
	if (rc)
		fail_msg("'%s' failed: %s", expr, err ? err : "(no message)");
	assert_null(err);
}

static void expect_str(void **state, const char *expr, const char *want)
{
	svc_buf b = SVC_BUF_INIT;
	evalue v;

	eval_ok(state, expr, &v);
	if (evalue_to_string(&v, &b))
		fail_msg("'%s' gave %s", expr, evalue_kind_name(&v));
	if (strcmp(b.ptr ? b.ptr : "", want) != 0)
		fail_msg("'%s' gave '%s', not '%s'", expr, b.ptr ? b.ptr : "",
			 want);
	buf_clear(&b);
	evalue_clear(&v);
}

/* The result must be a string value (not a converted one). */
static void expect_string_kind(void **state, const char *expr,
			       const char *want)
{
	evalue v;

	eval_ok(state, expr, &v);
	if (v.kind != EV_STRING)
		fail_msg("'%s' gave %s, not a string", expr, evalue_kind_name(&v));
	assert_int_equal(v.len, strlen(want));
	assert_memory_equal(v.str, want, v.len);
	evalue_clear(&v);
}

static void expect_bool(void **state, const char *expr, int want)
{
	evalue v;

	eval_ok(state, expr, &v);
	if (v.kind != EV_BOOL)
		fail_msg("'%s' gave %s, not a boolean", expr, evalue_kind_name(&v));
	if (v.b != want)
		fail_msg("'%s' gave %s", expr, v.b ? "true" : "false");
	evalue_clear(&v);
}

static void expect_num(void **state, const char *expr, double want)
{
	evalue v;

	eval_ok(state, expr, &v);
	if (v.kind != EV_NUMBER)
		fail_msg("'%s' gave %s, not a number", expr, evalue_kind_name(&v));
	if (v.num != want)
		fail_msg("'%s' gave %.17g, not %.17g", expr, v.num, want);
	evalue_clear(&v);
}

static void expect_null(void **state, const char *expr)
{
	evalue v;

	eval_ok(state, expr, &v);
	if (v.kind != EV_NULL)
		fail_msg("'%s' gave %s, not null", expr, evalue_kind_name(&v));
	evalue_clear(&v);
}

/* Evaluate text (len bytes); expect SVC_EINVALID and a message with want. */
static void expect_err_len(void **state, const char *text, size_t len,
			   const char *want)
{
	expr_env env = { lookup, *state };
	evalue v = EVALUE_INIT;
	char *err = NULL;
	int rc = expr_eval(&v, text, len, &env, &err);

	if (rc != SVC_EINVALID)
		fail_msg("'%.60s' returned %d, not SVC_EINVALID", text, rc);
	assert_non_null(err);
	if (!strstr(err, want))
		fail_msg("'%.60s': error '%s' does not say '%s'", text, err, want);
	assert_int_equal(v.kind, EV_NULL);
	free(err);
}

static void expect_err(void **state, const char *expr, const char *want)
{
	expect_err_len(state, expr, strlen(expr), want);
}

static void test_literals(void **state)
{
	expect_string_kind(state, "'abc'", "abc");
	expect_string_kind(state, "'it''s'", "it's");
	expect_string_kind(state, "''''", "'");
	expect_string_kind(state, "''", "");
	expect_string_kind(state, "  'spaced'  ", "spaced");
	expect_string_kind(state, "'with ) , [ ] chars'", "with ) , [ ] chars");
	expect_num(state, "42", 42);
	expect_num(state, "-1.5", -1.5);
	expect_num(state, ".5", 0.5);
	expect_num(state, "1.", 1);
	expect_num(state, "007", 7);
	expect_num(state, "0x1F", 31);
	expect_num(state, "0xff", 255);
	expect_num(state, "-0x10", -16);
	expect_num(state, "-0", 0);
	expect_bool(state, "true", 1);
	expect_bool(state, "TRUE", 1);
	expect_bool(state, "False", 0);
	expect_null(state, "null");
	expect_null(state, "NULL");
	/* a version literal is kept as its text */
	expect_string_kind(state, "1.2.3", "1.2.3");
	expect_string_kind(state, "1.2.3.4", "1.2.3.4");
	expect_err(state, "1.2.3.4.5", "unrecognized value '1.2.3.4.5'");
	expect_err(state, "1e3", "unrecognized value '1e3'");
	expect_err(state, "0x", "unrecognized value '0x'");
	expect_err(state, "-", "unrecognized value '-'");
	/* numbers convert to strings without trailing zeros */
	expect_str(state, "1.50", "1.5");
	expect_str(state, "0.12345678", "0.1234568");
	expect_str(state, "0.00000004", "0");
	expect_str(state, "0.00000005", "0.0000001");
	expect_str(state, "-0.00000005", "-0.0000001");
	expect_str(state, "1000000", "1000000");
	expect_str(state, "123456789012", "123456789012");
	expect_str(state, "0.99999999", "1");
	expect_str(state, "79000000000000000000000000000",
		   "79000000000000000000000000000");
	expect_err(state, "80000000000000000000000000000", "unrecognized value");
	expect_str(state, "true", "True");
	expect_str(state, "false", "False");
	expect_str(state, "null", "");
}

static void test_properties(void **state)
{
	evalue v;

	expect_string_kind(state, "parameters.name", "World");
	expect_string_kind(state, "parameters['name']", "World");
	expect_string_kind(state, "Parameters.NAME", "World");
	expect_string_kind(state, "parameters . name", "World");
	/* an exact key first, then one differing in case */
	expect_string_kind(state, "parameters.map.Key", "upper");
	expect_string_kind(state, "parameters.map.key", "lower");
	expect_string_kind(state, "parameters.map.KEY", "upper");
	expect_string_kind(state, "parameters.map.other", "o");
	expect_string_kind(state, "parameters.map['dotted.key']", "dv");
	expect_string_kind(state, "parameters['map']['dotted.key']", "dv");
	expect_string_kind(state, "variables['Build.SourceBranch']",
			   "refs/heads/main");
	expect_string_kind(state, "variables['build.sourcebranch']",
			   "refs/heads/main");
	expect_string_kind(state, "parameters.nested.a.b", "deep");
	expect_string_kind(state, "parameters.nested['a'].b", "deep");
	expect_string_kind(state, "parameters.list[1]", "b");
	expect_string_kind(state, "parameters.list['1']", "b");
	expect_string_kind(state, "parameters.list[1.7]", "b");
	expect_string_kind(state, "parameters.list[true]", "b");
	expect_string_kind(state, "parameters.list[parameters.zero]", "a");
	expect_string_kind(state, "parameters.objs[1].name", "y");
	expect_string_kind(state, "parameters.objs[1]['extra'][0]", "p");
	expect_string_kind(state, "item", "loop");
	/* misses are null, not errors */
	expect_null(state, "parameters.list[3]");
	expect_null(state, "parameters.list[-1]");
	expect_null(state, "parameters.list['x']");
	expect_null(state, "parameters.list.name");
	expect_null(state, "parameters.missing");
	expect_null(state, "parameters.missing.deeper[0].still");
	expect_null(state, "parameters.name.length");
	expect_null(state, "parameters.count.x");
	expect_null(state, "parameters.map[parameters.list]");
	expect_null(state, "item.x");
	/* scalars are typed by the YAML core schema */
	expect_bool(state, "parameters.flag", 1);
	expect_bool(state, "parameters.off", 0);
	expect_string_kind(state, "parameters.flagStr", "true");
	expect_num(state, "parameters.count", 3);
	expect_num(state, "parameters.ratio", 1.5);
	expect_num(state, "parameters.hex", 31);
	expect_num(state, "parameters.octal", 15);
	expect_num(state, "parameters.exp", 1000);
	expect_string_kind(state, "parameters.inf", ".inf");
	expect_null(state, "parameters.nothing");
	expect_null(state, "parameters.tilde");
	expect_null(state, "parameters.blank");
	expect_string_kind(state, "parameters.quotedNum", "42");
	expect_string_kind(state, "parameters.empty", "");
	eval_ok(state, "parameters.list", &v);
	assert_int_equal(v.kind, EV_NODE);
	assert_int_equal(v.node->kind, YNODE_SEQ);
	assert_null(v.arena);
	evalue_clear(&v);
	eval_ok(state, "parameters", &v);
	assert_int_equal(v.kind, EV_NODE);
	assert_int_equal(v.node->kind, YNODE_MAP);
	evalue_clear(&v);
	/* access on a function's result */
	expect_string_kind(state, "split('a,b', ',')[1]", "b");
	expect_num(state, "length(split('a,b,c', ','))", 3);
}

static void test_filters(void **state)
{
	expect_str(state, "join(',', parameters.objs.*.name)", "x,y");
	expect_str(state, "join(',', parameters.objs[*].id)", "1,2");
	expect_str(state, "join(';', parameters.objs.*.extra.*)", "p;q");
	expect_str(state, "join(';', parameters.objs[*]['extra'][1])", "q");
	expect_num(state, "length(parameters.map.*)", 4);
	expect_num(state, "length(parameters.list.*)", 3);
	expect_num(state, "length(parameters.name.*)", 0);
	expect_num(state, "length(parameters.missing[*].x)", 0);
	expect_num(state, "length(parameters.objs.*.nothing)", 0);
	expect_str(state, "join(',', split('a;b', ';')[*])", "a,b");
	expect_bool(state, "containsValue(parameters.objs.*.name, 'Y')", 1);
	expect_str(state, "convertToJson(parameters.objs.*.id)",
		   "[\n  1,\n  2\n]");
}

static void test_logic(void **state)
{
	expect_bool(state, "and(true, true)", 1);
	expect_bool(state, "and(true, true, false)", 0);
	expect_bool(state, "and(1, 'x', parameters.list)", 1);
	expect_bool(state, "or(false, false)", 0);
	expect_bool(state, "or(false, 0, '', null, 'x')", 1);
	expect_bool(state, "not(true)", 0);
	expect_bool(state, "xor(true, false)", 1);
	expect_bool(state, "xor(true, 'yes')", 0);
	expect_bool(state, "AND(TRUE, Not(False))", 1);
	/* short-circuits: the failing length() is never evaluated */
	expect_bool(state, "and(false, length(parameters.flag))", 0);
	expect_bool(state, "or(true, length(parameters.flag))", 1);
	expect_str(state, "iif(true, 'a', length(parameters.flag))", "a");
	expect_str(state, "iif(parameters.empty, length(1), 'b')", "b");
	expect_err(state, "and(true, length(parameters.flag))",
		   "cannot take the length of a boolean at column 18");
	expect_str(state, "coalesce(parameters.missing, '', 'x', length(1))",
		   "x");
	expect_string_kind(state, "coalesce(parameters.missing, '')", "");
	expect_null(state, "coalesce(parameters.missing, null)");
	expect_num(state, "coalesce(parameters.empty, 0)", 0);
	expect_bool(state, "coalesce(false, 'x')", 0);
}

static void test_truthiness(void **state)
{
	evalue v = EVALUE_INIT;

	expect_bool(state, "not('')", 1);
	expect_bool(state, "not('false')", 0);
	expect_bool(state, "not('0')", 0);
	expect_bool(state, "not(0)", 1);
	expect_bool(state, "not(0.0)", 1);
	expect_bool(state, "not(-1)", 0);
	expect_bool(state, "not(null)", 1);
	expect_bool(state, "not(parameters.missing)", 1);
	expect_bool(state, "not(parameters.emptyList)", 0);
	expect_bool(state, "not(parameters.emptyMap)", 0);
	expect_bool(state, "not(variables['system.debug'])", 0);
	assert_false(evalue_truthy(&v));
	assert_int_equal(evalue_set_string(&v, "", 0), 0);
	assert_false(evalue_truthy(&v));
	evalue_clear(&v);
	assert_int_equal(evalue_set_string(&v, "false", 5), 0);
	assert_true(evalue_truthy(&v));
	evalue_clear(&v);
	v.kind = EV_NUMBER;
	v.num = 0;
	assert_false(evalue_truthy(&v));
	v.num = 0.5;
	assert_true(evalue_truthy(&v));
	v.kind = EV_BOOL;
	v.b = 0;
	assert_false(evalue_truthy(&v));
}

static void test_equality(void **state)
{
	/* the right value is converted to the left one's type */
	expect_bool(state, "eq(1, '1')", 1);
	expect_bool(state, "eq('1', 1)", 1);
	expect_bool(state, "eq(1, '1.0')", 1);
	expect_bool(state, "eq('1.0', 1)", 0);
	expect_bool(state, "eq(1000, ' 1,000 ')", 1);
	expect_bool(state, "eq(' 1,000 ', 1000)", 0);
	expect_bool(state, "eq(1, '+1')", 1);
	expect_bool(state, "eq(-1.5, ' -1.5 ')", 1);
	expect_bool(state, "eq(0, '')", 1);
	expect_bool(state, "eq(1000, '1e3')", 0);
	expect_bool(state, "eq(255, '0xFF')", 0);
	expect_bool(state, "eq(1, 'abc')", 0);
	expect_bool(state, "ne(1, 'abc')", 1);
	expect_bool(state, "eq(1, true)", 1);
	expect_bool(state, "eq(0, null)", 1);
	expect_bool(state, "eq(null, 0)", 0);
	expect_bool(state, "eq(null, '')", 1);
	expect_bool(state, "eq('', null)", 1);
	expect_bool(state, "eq(null, parameters.missing)", 1);
	expect_bool(state, "eq(true, 'abc')", 1);
	expect_bool(state, "eq(false, '')", 1);
	expect_bool(state, "eq(true, 0)", 0);
	expect_bool(state, "eq('True', true)", 1);
	expect_bool(state, "eq('true', true)", 1);
	expect_bool(state, "eq('yes', true)", 0);
	expect_bool(state, "eq('ABC', 'abc')", 1);
	expect_bool(state, "ne('ABC', 'abd')", 1);
	expect_bool(state, "eq('1.5', 1.50)", 1);
	expect_bool(state, "eq(parameters.count, '3')", 1);
	expect_bool(state, "eq(parameters.flag, true)", 1);
	expect_bool(state, "eq(parameters.flagStr, true)", 1);
	expect_bool(state, "eq(parameters.quotedNum, 42)", 1);
	expect_bool(state, "eq(variables['Build.SourceBranch'], 'refs/heads/MAIN')", 1);
	/* collections are equal only to themselves */
	expect_bool(state, "eq(parameters.list, parameters.list)", 1);
	expect_bool(state, "eq(parameters.list, parameters.nums)", 0);
	expect_bool(state, "eq(parameters.list, 'a')", 0);
	expect_bool(state, "eq('a', parameters.list)", 0);
	expect_bool(state, "eq(1, parameters.list)", 0);
	expect_bool(state, "eq(true, parameters.list)", 1);
	expect_bool(state, "ne(parameters.list, parameters.nums)", 1);
}

static void test_ordering(void **state)
{
	expect_bool(state, "gt(2, 1)", 1);
	expect_bool(state, "gt(1, 1)", 0);
	expect_bool(state, "ge(1, '1')", 1);
	expect_bool(state, "lt(1, '2')", 1);
	expect_bool(state, "le(2, 1)", 0);
	expect_bool(state, "lt('a', 'B')", 1);
	expect_bool(state, "gt('b', 'A')", 1);
	expect_bool(state, "ge('abc', 'ABC')", 1);
	expect_bool(state, "lt('ab', 'abc')", 1);
	expect_bool(state, "gt('10', 9)", 0);    /* compared as strings */
	expect_bool(state, "gt(10, '9')", 1);    /* compared as numbers */
	expect_bool(state, "gt(true, false)", 1);
	expect_bool(state, "lt(false, 'x')", 1);
	expect_bool(state, "le(null, 0)", 1);
	expect_bool(state, "lt(null, 1)", 1);
	expect_bool(state, "gt(parameters.count, 2)", 1);
	expect_bool(state, "lt('a', null)", 0);
	expect_err(state, "gt(1, 'abc')",
		   "cannot convert 'abc' to a number at column 7");
	expect_err(state, "gt(1, parameters.list)",
		   "cannot convert a sequence to a number at column 7");
	expect_err(state, "lt(parameters.map, 1)",
		   "cannot convert a mapping to a number at column 4");
	expect_err(state, "lt('a', parameters.map)",
		   "cannot convert a mapping to a string at column 9");
}

static void test_string_functions(void **state)
{
	expect_bool(state, "contains('Hello World', 'WORLD')", 1);
	expect_bool(state, "contains('abc', '')", 1);
	expect_bool(state, "contains('ab', 'abc')", 0);
	expect_bool(state, "contains(12345, 34)", 1);
	expect_bool(state, "contains(true, 'RU')", 1);
	expect_bool(state, "contains(parameters.missing, '')", 1);
	expect_err(state, "contains(parameters.list, 'a')",
		   "cannot convert a sequence to a string at column 10");
	expect_bool(state, "startsWith('refs/heads/main', 'REFS/')", 1);
	expect_bool(state, "startsWith('ab', 'abc')", 0);
	expect_bool(state, "endsWith('file.YAML', '.yaml')", 1);
	expect_bool(state, "endsWith('file.yml', '.yaml')", 0);
	expect_bool(state, "endsWith('x', '')", 1);
	expect_str(state, "lower('ABC def')", "abc def");
	expect_str(state, "upper('abc')", "ABC");
	expect_str(state, "upper(1.5)", "1.5");
	expect_str(state, "upper(parameters.unicode)", "H\xc3\xa9LLO \xe2\x82\xac");
	expect_num(state, "length('')", 0);
	expect_num(state, "length('abc')", 3);
	expect_num(state, "length(parameters.unicode)", 7);
	expect_num(state, "length('\xf0\x9f\x98\x80')", 2);    /* UTF-16 */
	expect_num(state, "length(parameters.list)", 3);
	expect_num(state, "length(parameters.map)", 4);
	expect_num(state, "length(parameters.emptyMap)", 0);
	expect_err(state, "length(1)", "cannot take the length of a number at column 8");
	expect_err(state, "length(null)", "cannot take the length of null");
	expect_str(state, "replace('a-b-c', '-', '+')", "a+b+c");
	expect_str(state, "replace('aaa', 'a', 'bb')", "bbbbbb");
	expect_str(state, "replace('abab', 'ab', '')", "");
	expect_str(state, "replace('abc', '', 'x')", "abc");
	expect_str(state, "replace('Abc', 'a', 'x')", "Abc");
	expect_str(state, "replace(123, 2, true)", "1True3");
	expect_str(state, "trim('  x y  ')", "x y");
	expect_str(state, "trim(parameters.spaced)", "padded");
	expect_str(state, "trim('\xc2\xa0x\xe3\x80\x80')", "x");
	expect_str(state, "trim('   ')", "");
	expect_str(state, "trim(parameters.unicode)", "h\xc3\xa9llo \xe2\x82\xac");
}

static void test_split(void **state)
{
	evalue v;

	expect_str(state, "join('|', split('a,b,,c', ','))", "a|b||c");
	expect_num(state, "length(split('a,b,', ','))", 3);
	expect_num(state, "length(split('', ','))", 1);
	expect_num(state, "length(split('abc', ','))", 1);
	/* the delimiter is a set of characters */
	expect_str(state, "join('|', split('a;b,c', ';,'))", "a|b|c");
	expect_str(state, "join('|', split('a\xe2\x82\xac" "b', '\xe2\x82\xac'))", "a|b");
	/* no delimiter: white space */
	expect_str(state, "join('|', split('a b\tc', ''))", "a|b|c");
	/* the parts are strings, even when they look like numbers */
	expect_string_kind(state, "split('1,2', ',')[0]", "1");
	expect_bool(state, "eq(split('1,2', ',')[1], 2)", 1);
	expect_bool(state, "containsValue(split('a,b', ','), 'B')", 1);
	expect_str(state, "convertToJson(split('a,2', ','))",
		   "[\n  \"a\",\n  \"2\"\n]");
	eval_ok(state, "split(parameters.name, 'o')", &v);
	assert_int_equal(v.kind, EV_NODE);
	assert_non_null(v.arena);
	assert_int_equal(v.node->n, 2);
	assert_string_equal(v.node->items[0]->scalar, "W");
	assert_string_equal(v.node->items[1]->scalar, "rld");
	evalue_clear(&v);
	expect_err(state, "split(parameters.map, ',')",
		   "cannot convert a mapping to a string at column 7");
}

static void test_collections(void **state)
{
	expect_bool(state, "in('b', 'a', 'B')", 1);
	expect_bool(state, "in('z', 'a', 'b')", 0);
	expect_bool(state, "in(1, '1', 2)", 1);
	expect_bool(state, "notIn('z', 'a', 'b')", 1);
	expect_bool(state, "notin('a', 'a')", 0);
	/* short-circuits after the first match */
	expect_bool(state, "in('a', 'a', length(1))", 1);
	expect_bool(state, "containsValue(parameters.list, 'B')", 1);
	expect_bool(state, "containsValue(parameters.list, 'd')", 0);
	expect_bool(state, "containsValue(parameters.nums, '2')", 1);
	expect_bool(state, "containsValue(parameters.nums, 2)", 1);
	expect_bool(state, "containsValue(parameters.map, 'LOWER')", 1);
	expect_bool(state, "containsValue(parameters.map, 'Key')", 0);
	expect_bool(state, "containsValue(parameters.emptyList, '')", 0);
	expect_bool(state, "containsValue('abc', 'a')", 0);
	expect_bool(state, "containsValue(parameters.missing, length(1))", 0);
	expect_str(state, "join(', ', parameters.list)", "a, b, c");
	expect_str(state, "join('', parameters.nums)", "123");
	expect_str(state, "join(',', parameters.emptyList)", "");
	expect_str(state, "join(',', 'single')", "single");
	expect_str(state, "join(',', 1.50)", "1.5");
	expect_str(state, "join(',', parameters.map)", "");
	expect_str(state, "join(',', parameters.objs)", ",");
	expect_str(state, "join(',', parameters.missing)", "");
	/* the separator is only needed for two items or more */
	expect_str(state, "join(length(1), split('a', ','))", "a");
	expect_err(state, "join(length(1), parameters.list)",
		   "cannot take the length of a number at column 13");
}

static void test_format(void **state)
{
	expect_str(state, "format('Hello {0} {1}', 'John', 'Doe')",
		   "Hello John Doe");
	expect_str(state, "format('{0}{0}', 'x')", "xx");
	expect_str(state, "format('{1}-{0}', 'a', 'b')", "b-a");
	expect_str(state, "format('{{literal}} {0}', 1)", "{literal} 1");
	expect_str(state, "format('}}{{')", "}{");
	expect_str(state, "format('plain')", "plain");
	expect_str(state, "format('')", "");
	expect_str(state, "format('{0:yyyyMMdd}', 'when')", "when");
	expect_str(state, "format('{0:a}}b}', 'x')", "x");
	expect_str(state, "format('{0} {1} {2}', true, 1.50, null)",
		   "True 1.5 ");
	expect_str(state, "format('{0}', parameters.name)", "World");
	expect_str(state, "format('{1}', length(1), 'ok')", "ok");
	expect_str(state, "format('{0}', format('{0}', 'nested'))", "nested");
	expect_err(state, "format('{1}', 'a')",
		   "format argument {1} out of range: 1 argument given at column 1");
	expect_err(state, "format('{0}')", "format argument {0} out of range");
	expect_err(state, "format('{0', 'a')",
		   "invalid format string '{0' at column 8");
	expect_err(state, "format('{}', 'a')", "invalid format string");
	expect_err(state, "format('{x}', 'a')", "invalid format string");
	expect_err(state, "format('a}b')", "invalid format string");
	expect_err(state, "format('{256}', 'a')", "invalid format string");
	expect_err(state, "format('{0:abc', 'a')", "invalid format string");
	expect_err(state, "format('{0}', parameters.list)",
		   "cannot convert a sequence to a string at column 15");
	expect_err(state, "format(parameters.map)",
		   "cannot convert a mapping to a string at column 8");
}

static void test_convert_to_json(void **state)
{
	expect_str(state, "convertToJson(parameters.objs)",
		   "[\n"
		   "  {\n"
		   "    \"name\": \"x\",\n"
		   "    \"id\": 1\n"
		   "  },\n"
		   "  {\n"
		   "    \"name\": \"y\",\n"
		   "    \"id\": 2,\n"
		   "    \"extra\": [\n"
		   "      \"p\",\n"
		   "      \"q\"\n"
		   "    ]\n"
		   "  }\n"
		   "]");
	expect_str(state, "convertToJson(parameters.nested)",
		   "{\n  \"a\": {\n    \"b\": \"deep\"\n  }\n}");
	expect_str(state, "convertToJson(parameters.emptyList)", "[]");
	expect_str(state, "convertToJson(parameters.emptyMap)", "{}");
	expect_str(state, "convertToJson('a\"b')", "\"a\\\"b\"");
	expect_str(state, "convertToJson(parameters.text)",
		   "\"line1\\nline2 \\\"q\\\"\"");
	expect_str(state, "convertToJson(parameters.unicode)",
		   "\"h\xc3\xa9llo \xe2\x82\xac\"");
	expect_str(state, "convertToJson('\xe2\x80\xa8')", "\"\\u2028\"");
	expect_str(state, "convertToJson(true)", "true");
	expect_str(state, "convertToJson(1.50)", "1.5");
	expect_str(state, "convertToJson(parameters.nothing)", "null");
	expect_str(state, "convertToJson(parameters.quotedNum)", "\"42\"");
	expect_str(state, "convertToJson(parameters.flag)", "true");
}

static void test_to_string(void **state)
{
	svc_buf b = SVC_BUF_INIT;
	evalue v = EVALUE_INIT;

	assert_int_equal(evalue_to_string(&v, &b), 0);
	assert_int_equal(b.len, 0);
	v.kind = EV_BOOL;
	v.b = 1;
	assert_int_equal(evalue_to_string(&v, &b), 0);
	assert_string_equal(b.ptr, "True");
	buf_reset(&b);
	v.kind = EV_NUMBER;
	v.num = 1.0 / 3;
	assert_int_equal(evalue_to_string(&v, &b), 0);
	assert_string_equal(b.ptr, "0.3333333");
	buf_reset(&b);
	v.num = -2.0 / 3;
	assert_int_equal(evalue_to_string(&v, &b), 0);
	assert_string_equal(b.ptr, "-0.6666667");
	buf_reset(&b);
	v.num = 1e20;
	assert_int_equal(evalue_to_string(&v, &b), 0);
	assert_string_equal(b.ptr, "100000000000000000000");
	buf_reset(&b);
	v.num = -1.25;
	assert_int_equal(evalue_to_string(&v, &b), 0);
	assert_string_equal(b.ptr, "-1.25");
	buf_reset(&b);
	eval_ok(state, "parameters.map", &v);
	assert_int_equal(evalue_to_string(&v, &b), SVC_EINVALID);
	assert_string_equal(svc_error_last(), "cannot convert a mapping to a string");
	evalue_clear(&v);
	buf_clear(&b);
}

static void test_from_node(void **state)
{
	ydoc *doc = parse("[TRUE, Null, '', 0o7, +1.5e2, -.5, .NaN, 1_000, "
			  "yes, \"1\", [x], {k: v}]\n");
	evalue v;
	size_t i;
	static const evalue_kind kinds[] = {
		EV_BOOL, EV_NULL, EV_STRING, EV_NUMBER, EV_NUMBER, EV_NUMBER,
		EV_STRING, EV_STRING, EV_STRING, EV_STRING, EV_NODE, EV_NODE
	};

	(void)state;
	assert_int_equal(doc->root->n, sizeof(kinds) / sizeof(kinds[0]));
	for (i = 0; i < doc->root->n; i++) {
		assert_int_equal(evalue_from_node(&v, doc->root->items[i]), 0);
		if (v.kind != kinds[i])
			fail_msg("item %zu is %s", i, evalue_kind_name(&v));
		evalue_clear(&v);
	}
	assert_int_equal(evalue_from_node(&v, doc->root->items[4]), 0);
	assert_true(v.num == 150);
	evalue_clear(&v);
	assert_int_equal(evalue_from_node(&v, doc->root->items[5]), 0);
	assert_true(v.num == -0.5);
	evalue_clear(&v);
	ydoc_free(doc);
}

/* Values made by one evaluation outlive it and feed the next one. */
static void test_lifetimes(void **state)
{
	struct fixture *f = *state;
	evalue a, b, c;

	eval_ok(state, "split('x,y,z', ',')", &a);
	assert_non_null(a.arena);
	assert_int_equal(evalue_copy(&f->saved, &a), 0);
	evalue_clear(&a);
	/* "saved" is now a loop variable holding the split() result */
	expect_str(state, "join('-', saved)", "x-y-z");
	eval_ok(state, "saved[*]", &b);         /* points into saved's nodes */
	eval_ok(state, "saved", &c);
	evalue_clear(&f->saved);
	assert_int_equal(b.kind, EV_NODE);
	assert_int_equal(b.node->n, 3);
	assert_string_equal(b.node->items[2]->scalar, "z");
	assert_int_equal(evalue_from_item(&a, b.node->items[0], &b), 0);
	assert_int_equal(a.kind, EV_STRING);
	assert_string_equal(a.str, "x");
	evalue_clear(&a);
	evalue_clear(&b);
	assert_string_equal(c.node->items[1]->scalar, "y");
	evalue_clear(&c);
	evalue_clear(&c);       /* clearing twice is harmless */
	evalue_clear(NULL);
}

static void test_errors(void **state)
{
	expr_env env = { lookup, *state };
	evalue v = EVALUE_INIT;
	char *err = NULL;

	expect_err(state, "foo(1)", "unknown function 'foo' at column 1");
	expect_err(state, "eq(1, foo(2))", "unknown function 'foo' at column 7");
	expect_err(state, "eq(1, 2", "expected ')' at column 8");
	expect_err(state, "eq(1,", "expected a value at column 6");
	expect_err(state, "eq(1)",
		   "wrong number of arguments to 'eq' (expected 2, got 1) at column 1");
	expect_err(state, "not(1, 2)",
		   "wrong number of arguments to 'not' (expected 1, got 2)");
	expect_err(state, "and(true)",
		   "wrong number of arguments to 'and' (expected at least 2, got 1)");
	expect_err(state, "format()",
		   "wrong number of arguments to 'format' (expected at least 1, got 0)");
	expect_err(state, "counter('x', 0)",
		   "function 'counter' is only available at runtime");
	expect_err(state, "and(succeeded(), true)",
		   "function 'succeeded' is only available at runtime");
	expect_err(state, "bogus.x", "name 'bogus' is not defined at column 1");
	/* names are checked even where evaluation would not go */
	expect_err(state, "or(true, bogus)", "name 'bogus' is not defined at column 10");
	expect_err(state, "'abc", "unterminated string ''abc' at column 1");
	expect_err(state, "eq('a''', 'b)", "unterminated string ''b)' at column 11");
	expect_err(state, "eq(1,,2)", "unexpected symbol ',' at column 6");
	expect_err(state, "eq(1, 2,)", "unexpected symbol ')' at column 9");
	expect_err(state, "eq(1, 2) x", "unexpected symbol 'x' at column 10");
	expect_err(state, "eq(1, 2))", "unexpected symbol ')' at column 9");
	expect_err(state, "'a'.b", "unexpected symbol '.' at column 4");
	expect_err(state, "true[0]", "unexpected symbol '[' at column 5");
	expect_err(state, "(1)", "unexpected symbol '(' at column 1");
	expect_err(state, "*", "unexpected symbol '*' at column 1");
	expect_err(state, "parameters.", "expected a property name after '.' at column 12");
	expect_err(state, "parameters.0", "unexpected symbol '0' at column 12");
	expect_err(state, "parameters.'x'", "unexpected symbol ''x'' at column 12");
	expect_err(state, "parameters[1", "expected ']' at column 13");
	expect_err(state, "parameters[1 2]", "unexpected symbol '2' at column 14");
	expect_err(state, "parameters[]", "unexpected symbol ']' at column 12");
	expect_err(state, "12abc", "unrecognized value '12abc' at column 1");
	expect_err(state, "$x", "unrecognized value '$x' at column 1");
	expect_err(state, "eq(1, a$b)", "unrecognized value 'a$b' at column 7");
	expect_err(state, "eq", "expected '(' after 'eq' at column 3");
	expect_err(state, "eq 1", "expected '(' after 'eq' at column 4");
	expect_err(state, "", "expected an expression at column 1");
	expect_err(state, "   ", "expected an expression at column 4");
	/* columns count characters, not bytes */
	expect_err(state, "eq('\xc3\xa9', foo(1))", "unknown function 'foo' at column 9");
	/* control characters never reach a message */
	expect_err(state, "a\x01" "b", "unrecognized value 'a?b'");
	expect_err(state, "eq(1, \xff\xfe\xed\xb2\x80)", "unrecognized value '\?\?\?\?\?' at column 7");
	expect_err_len(state, "eq(1, \0)", 8, "unrecognized value '?' at column 7");
	/* a failing lookup keeps its code */
	assert_int_equal(expr_eval(&v, "broken", 6, &env, &err), SVC_ERROR);
	assert_non_null(err);
	assert_string_equal(err, "looking up 'broken' failed: backend down at column 1");
	free(err);
	/* err may be NULL; no environment means no names */
	assert_int_equal(expr_eval(&v, "foo(", 4, &env, NULL), SVC_EINVALID);
	err = NULL;
	assert_int_equal(expr_eval(&v, "parameters", 10, NULL, &err), SVC_EINVALID);
	assert_string_equal(err, "name 'parameters' is not defined at column 1");
	free(err);
	assert_int_equal(expr_eval(&v, "eq(1, 1)", 8, NULL, NULL), 0);
	assert_int_equal(v.kind, EV_BOOL);
	assert_true(v.b);
}

/* '(' * n, then a value, then ')' * n: calls nested n deep. */
static char *nested_calls(const char *fn, size_t n)
{
	svc_buf b = SVC_BUF_INIT;
	size_t i;

	for (i = 0; i < n; i++)
		buf_printf(&b, "%s(", fn);
	buf_puts(&b, "true");
	for (i = 0; i < n; i++)
		buf_putc(&b, ')');
	return buf_detach(&b, NULL);
}

static void test_limits(void **state)
{
	svc_buf b = SVC_BUF_INIT;
	evalue v;
	char *s;
	size_t i;

	/* nesting: the service allows 49 levels of calls and indexers */
	s = nested_calls("not", EXPR_MAX_DEPTH - 1);
	expect_bool(state, s, (EXPR_MAX_DEPTH - 1) % 2 == 0);
	free(s);
	s = nested_calls("not", EXPR_MAX_DEPTH);
	expect_err(state, s, "expression nested too deeply (50 levels or more) at column 197");
	free(s);
	s = nested_calls("not", 4000);       /* 20004 characters */
	expect_err(state, s, "expression nested too deeply");
	free(s);
	for (i = 0; i < 60; i++)
		buf_puts(&b, "parameters[");
	buf_puts(&b, "'x'");
	for (i = 0; i < 60; i++)
		buf_putc(&b, ']');
	expect_err(state, b.ptr, "expression nested too deeply");
	buf_reset(&b);
	/* a long chain of properties is no nesting */
	buf_puts(&b, "parameters");
	for (i = 0; i < 10000; i++)
		buf_puts(&b, ".x");
	expect_null(state, b.ptr);
	buf_reset(&b);
	/* length, in UTF-16 units */
	buf_putc(&b, '\'');
	for (i = 0; i < EXPR_MAX_LEN - 2; i++)
		buf_putc(&b, 'a');
	buf_putc(&b, '\'');
	eval_ok(state, b.ptr, &v);
	assert_int_equal(v.len, EXPR_MAX_LEN - 2);
	evalue_clear(&v);
	buf_reset(&b);
	buf_putc(&b, '\'');
	for (i = 0; i < EXPR_MAX_LEN - 1; i++)
		buf_putc(&b, 'a');
	buf_putc(&b, '\'');
	expect_err(state, b.ptr, "expression longer than 21000 characters at column 21001");
	buf_reset(&b);
	for (i = 0; i < EXPR_MAX_LEN / 2 + 1; i++)
		buf_puts(&b, "\xf0\x9f\x98\x80");      /* two units each */
	expect_err(state, b.ptr, "expression longer than 21000 characters");
	buf_reset(&b);
	for (i = 0; i < 1024 * 1024; i++)
		buf_putc(&b, '(');
	expect_err(state, b.ptr, "expression longer than 21000 characters");
	buf_reset(&b);
	/* arguments */
	buf_puts(&b, "and(");
	for (i = 0; i < EXPR_MAX_ARGS; i++)
		buf_puts(&b, "true,");
	buf_puts(&b, "true)");
	expect_err(state, b.ptr, "too many arguments to 'and' (limit 1024)");
	buf_reset(&b);
	buf_puts(&b, "format('{253}'");
	for (i = 0; i < 254; i++)
		buf_printf(&b, ", %zu", i);
	buf_putc(&b, ')');
	expect_str(state, b.ptr, "253");
	buf_reset(&b);
	buf_puts(&b, "format('{0}'");
	for (i = 0; i < 255; i++)
		buf_puts(&b, ", 0");
	buf_putc(&b, ')');
	expect_err(state, b.ptr, "wrong number of arguments to 'format' "
		   "(expected at most 255, got 256)");
	buf_clear(&b);
	/* memory: results grow tenfold per level */
	expect_err(state,
		   "replace(replace(replace(replace(replace(replace(replace("
		   "'aaaaaaaaaa', 'a', 'aaaaaaaaaa'), 'a', 'aaaaaaaaaa'), "
		   "'a', 'aaaaaaaaaa'), 'a', 'aaaaaaaaaa'), 'a', 'aaaaaaaaaa'), "
		   "'a', 'aaaaaaaaaa'), 'a', 'aaaaaaaaaa')",
		   "expression result too large (more than 8388608 bytes)");
	expect_err(state, "length(split(bigtext, ','))",
		   "expression result too large");
	expect_err(state, "length(format('{0}{0}{0}{0}{0}', bigtext))",
		   "expression result too large");
	/* steps: visiting more items than the limit */
	expect_err(state, "containsValue(huge, 'x')",
		   "expression too costly to evaluate (more than 1000000 steps)");
	expect_err(state, "length(huge.*)", "expression");
	expect_num(state, "length(huge)", (double)HUGE_ITEMS);
	expect_bool(state, "containsValue(huge, 0)", 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_literals),
		cmocka_unit_test(test_properties),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_logic),
		cmocka_unit_test(test_truthiness),
		cmocka_unit_test(test_equality),
		cmocka_unit_test(test_ordering),
		cmocka_unit_test(test_string_functions),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_collections),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_convert_to_json),
		cmocka_unit_test(test_to_string),
		cmocka_unit_test(test_from_node),
		cmocka_unit_test(test_lifetimes),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
