/*
 * fuzz_expr.c - libFuzzer target for the ${{ }} template-expression
 * evaluator (resolver/src/pipeline/expr.c).
 *
 * Each input is the text of one expression.  It is evaluated against a
 * small fixed "parameters" tree (scalars of every kind, sequences, nested
 * mappings, keys differing only in case), a "variables" mapping, a string
 * loop variable "item", and a loop variable "saved" holding a split()
 * result made by an earlier evaluation, so arenas of synthesized nodes are
 * shared across evaluations; that variable is released before the result
 * is used, which must keep alive whatever it points into.  The result is
 * then used the way the template engine uses it: converted to a string,
 * tested for truth, copied, and its items walked.  The same text is then
 * a condition of a job and of a step (runtime_expr.c: the job status
 * functions, variables, dependencies with results and output variables,
 * stageDependencies).  Any crash, sanitizer report or leak is a bug;
 * errors are expected.  The same file runs
 * without libFuzzer through replay.c.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "svcconn/errors.h"
#include "exchange/yaml_doc.h"
#include "pipeline/expr.h"
#include "pipeline/runtime_expr.h"
#include "util/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char params_yaml[] =
	"name: World\n"
	"flag: true\n"
	"flagStr: 'true'\n"
	"count: 3\n"
	"ratio: 1.50\n"
	"hex: 0x1F\n"
	"exp: -1.5e-3\n"
	"spaces: \"\\t x \\u00a0\\u3000\"\n"
	"empty: ''\n"
	"nothing: null\n"
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
	"  dotted.key: dv\n"
	"nested: {a: {b: {c: [1, {d: deep}]}}}\n"
	"text: \"line1\\nline2 \\\"q\\\"\"\n"
	"unicode: 'h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80'\n"
	"variables:\n"
	"  Build.SourceBranch: refs/heads/main\n"
	"  System.Debug: 'false'\n";

/* What the lookup callback answers from. */
struct names {
	const ynode *params;    /**< "parameters" */
	const ynode *vars;      /**< "variables" */
	const evalue *saved;    /**< "saved", a split() result */
};

static int lookup(void *ctx, const char *name, evalue *out)
{
	const struct names *n = ctx;

	if (strcasecmp(name, "parameters") == 0)
		return evalue_from_node(out, n->params);
	if (strcasecmp(name, "variables") == 0)
		return evalue_from_node(out, n->vars);
	if (strcasecmp(name, "item") == 0)
		return evalue_set_string(out, "loop", 4);
	if (strcasecmp(name, "saved") == 0)
		return evalue_copy(out, n->saved);
	return SVC_ENOTFOUND;
}

/* Use a result as the template engine would. */
static void consume(const evalue *v)
{
	svc_buf b = SVC_BUF_INIT;
	evalue copy = EVALUE_INIT;
	size_t i;

	(void)evalue_truthy(v);
	(void)evalue_kind_name(v);
	(void)evalue_to_string(v, &b);
	buf_clear(&b);
	if (evalue_copy(&copy, v))
		return;
	if (copy.kind == EV_NODE) {
		for (i = 0; i < copy.node->n && i < 64; i++) {
			evalue item = EVALUE_INIT;

			if (evalue_from_item(&item, copy.node->items[i], &copy) == 0) {
				(void)evalue_to_string(&item, &b);
				buf_clear(&b);
				evalue_clear(&item);
			}
		}
	}
	evalue_clear(&copy);
}

static int rt_var(void *ctx, const char *name, char **value)
{
	(void)ctx;
	if (strcasecmp(name, "mode"))
		return SVC_ENOTFOUND;
	return (*value = strdup("fast")) ? 0 : SVC_ERROR;
}

static int rt_output(void *ctx, const char *stage, const char *job,
		     const char *name, char **value)
{
	(void)ctx;
	(void)stage;
	(void)job;
	return (*value = strdup(name)) ? 0 : SVC_ERROR;
}

/* The text as the condition of a job and of a step. */
static void conditions(const uint8_t *data, size_t size)
{
	static const rtx_dep deps[] = { { "S", "A", RTX_SUCCEEDED, 1 },
		{ "S", "B", RTX_FAILED, 0 } };
	char *text = malloc(size + 1), *err = NULL, *s = NULL;
	rtx_ctx c;
	int b;

	if (!text)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	memset(&c, 0, sizeof(c));
	c.level = RTX_JOB;
	c.stage = "S";
	c.job = "C";
	c.deps = c.stage_deps = deps;
	c.ndeps = c.nstage_deps = 2;
	c.lookup_var = rt_var;
	c.lookup_output = rt_output;
	if (rtx_condition(&b, &c, text, &err) && !err)
		abort();
	free(err);
	err = NULL;
	c.level = RTX_STEP;
	c.job_status = RTX_FAILED;
	if (rtx_eval_string(&s, &c, text, &err) && !err)
		abort();
	free(err);
	free(s);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ydoc *doc = NULL;
	evalue saved = EVALUE_INIT, v = EVALUE_INIT;
	struct names names;
	expr_env env;
	char *err = NULL;
	int rc;

	/* parsed per input: no state survives from one input to the next */
	if (ydoc_parse(&doc, "fuzz.yml", params_yaml, sizeof(params_yaml) - 1,
		       NULL, NULL))
		abort();
	names.params = doc->root;
	names.vars = ynode_get(doc->root, "variables");
	names.saved = &saved;
	env.lookup = lookup;
	env.ctx = &names;
	if (expr_eval(&saved, "split('x,y;z', ',;')", 20, &env, NULL))
		abort();
	rc = expr_eval(&v, (const char *)data, size, &env, &err);
	/* the result must outlive the loop variable it may point into */
	evalue_clear(&saved);
	if (rc == 0) {
		consume(&v);
		evalue_clear(&v);
	} else if (!err) {
		abort();        /* every failure here must come with a message */
	}
	free(err);
	ydoc_free(doc);
	conditions(data, size);
	return 0;
}
