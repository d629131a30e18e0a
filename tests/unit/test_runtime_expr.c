/*
 * test_runtime_expr.c - conditions and $[ ] expressions at run time: the
 * job status functions at step, job and stage level (with and without
 * names, canceled runs), the variables root, dependencies and
 * stageDependencies with their results and output variables (what the
 * callbacks are asked for), $[ ] values as strings, the checks made when
 * the pipeline is read, and hostile conditions refused with a message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <svcconn/svcconn.h>

#include "errors_int.h"
#include "pipeline/runtime_expr.h"
#include "testutil.h"
#include "util/buf.h"

/* The variables and output variables the callbacks answer with, and the
 * last output lookup made. */
struct table {
	const char *const *vars;     /* name, value, name, value, ..., NULL */
	const char *const *outputs;  /* "stage/job/name", value, ..., NULL */
	char asked[256];             /* the last output asked for */
};

static int lookup_var(void *ctx, const char *name, char **value)
{
	const struct table *t = ctx;
	size_t i;

	for (i = 0; t->vars && t->vars[i]; i += 2)
		if (!strcasecmp(t->vars[i], name))
			return (*value = strdup(t->vars[i + 1])) ? 0 : SVC_ERROR;
	return SVC_ENOTFOUND;
}

static int lookup_output(void *ctx, const char *stage, const char *job,
			 const char *name, char **value)
{
	struct table *t = ctx;
	size_t i;

	snprintf(t->asked, sizeof(t->asked), "%s/%s/%s", stage ? stage : "-",
		 job, name);
	for (i = 0; t->outputs && t->outputs[i]; i += 2)
		if (!strcasecmp(t->outputs[i], t->asked))
			return (*value = strdup(t->outputs[i + 1])) ? 0 : SVC_ERROR;
	return SVC_ENOTFOUND;
}

/* The value of condition cond against c; fails the test on an error. */
static int holds(const rtx_ctx *c, const char *cond)
{
	char *err = NULL;
	int b = -1, rc = rtx_condition(&b, c, cond, &err);

	if (rc)
		fail_msg("'%s': %s", cond, err ? err : "?");
	free(err);
	return b;
}

/* The error message of condition cond against c (asserts there is one). */
static char *refused(const rtx_ctx *c, const char *cond)
{
	char *err = NULL;
	int b = -1;

	assert_int_equal(rtx_condition(&b, c, cond, &err), SVC_EINVALID);
	assert_non_null(err);
	assert_int_equal(b, -1);
	return err;
}

static void test_step_status(void **state)
{
	rtx_ctx c;
	char *err;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.level = RTX_STEP;
	c.job_status = RTX_SUCCEEDED;
	assert_int_equal(holds(&c, "succeeded()"), 1);
	assert_int_equal(holds(&c, NULL), 1);        /* the default */
	assert_int_equal(holds(&c, "  \n"), 1);
	assert_int_equal(holds(&c, "failed()"), 0);
	assert_int_equal(holds(&c, "succeededOrFailed()"), 1);
	assert_int_equal(holds(&c, "always()"), 1);
	assert_int_equal(holds(&c, "canceled()"), 0);
	assert_int_equal(holds(&c, "eq(variables['Agent.JobStatus'], 'Succeeded')"), 1);

	c.job_status = RTX_SUCCEEDED_WITH_ISSUES;
	assert_int_equal(holds(&c, "SUCCEEDED()"), 1); /* names ignore case */
	assert_int_equal(holds(&c, "failed()"), 0);
	assert_int_equal(holds(&c, "eq(variables['agent.jobstatus'], 'SucceededWithIssues')"), 1);

	c.job_status = RTX_FAILED;
	assert_int_equal(holds(&c, "succeeded()"), 0);
	assert_int_equal(holds(&c, NULL), 0);
	assert_int_equal(holds(&c, "failed()"), 1);
	assert_int_equal(holds(&c, "succeededOrFailed()"), 1);
	assert_int_equal(holds(&c, "always()"), 1);
	assert_int_equal(holds(&c, "not(canceled())"), 1);

	c.canceled = 1;
	assert_int_equal(holds(&c, "always()"), 1);
	assert_int_equal(holds(&c, "canceled()"), 1);
	assert_int_equal(holds(&c, "failed()"), 0);
	assert_int_equal(holds(&c, "succeeded()"), 0);
	assert_int_equal(holds(&c, "succeededOrFailed()"), 0);
	assert_int_equal(holds(&c, "eq(variables['Agent.JobStatus'], 'Canceled')"), 1);

	/* names belong to job and stage conditions; dependencies too */
	err = refused(&c, "succeeded('A')");
	assert_string_equal(err, "'succeeded' takes job or stage names only in the condition of a job or stage at column 1");
	free(err);
	err = refused(&c, "and(always(), eq(dependencies.A.result, 'Failed'))");
	assert_string_equal(err, "name 'dependencies' is not defined at column 18");
	free(err);
	err = refused(&c, "always(1)");
	assert_string_equal(err, "wrong number of arguments to 'always' (expected 0, got 1) at column 1");
	free(err);
}

static void test_variables(void **state)
{
	static const char *const vars[] = { "Build.Reason", "PullRequest",
		"deploy", "true", "Count", "3", NULL };
	struct table t = { vars, NULL, "" };
	rtx_ctx c;
	char *s = NULL, *err = NULL;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.level = RTX_STEP;
	c.job_status = RTX_SUCCEEDED;
	c.lookup_var = lookup_var;
	c.cb_ctx = &t;
	assert_int_equal(holds(&c, "eq(variables['build.reason'], 'pullrequest')"), 1);
	assert_int_equal(holds(&c, "eq(variables.DEPLOY, true)"), 1);
	assert_int_equal(holds(&c, "and(succeeded(), gt(variables.count, 2))"), 1);
	assert_int_equal(holds(&c, "eq(variables['nope'], '')"), 1); /* null */
	assert_int_equal(holds(&c, "variables.nope"), 0);
	assert_int_equal(holds(&c, "ne(variables.deploy, 'false')"), 1);

	assert_int_equal(rtx_eval_string(&s, &c, "$[ format('{0}-{1}', variables.deploy, variables['Count']) ]", &err), 0);
	assert_string_equal(s, "true-3");
	free(s);
	assert_int_equal(rtx_eval_string(&s, &c, "eq(variables.count, 3)", &err), 0);
	assert_string_equal(s, "True");
	free(s);

	err = refused(&c, "eq(variables, 'x')");
	assert_string_equal(err, "'variables' is read with a name written out: variables['name'] or variables.name at column 4");
	free(err);
	err = refused(&c, "eq(parameters.x, 'x')");
	assert_string_equal(err, "name 'parameters' is not defined at column 4");
	free(err);
}

static void test_job_level(void **state)
{
	static const char *const outputs[] = {
		"S2/A/setvars.color", "blue",
		"S1/Build/ver.number", "1.2.3",
		NULL };
	static const rtx_dep deps[] = {
		{ "S2", "A", RTX_SUCCEEDED, 1 },
		{ "S2", "B", RTX_FAILED, 1 },
		{ "S2", "C", RTX_SKIPPED, 0 },  /* a dependency of B */
	};
	static const rtx_dep sdeps[] = {
		{ "S1", "Build", RTX_SUCCEEDED_WITH_ISSUES, 1 },
	};
	struct table t = { NULL, outputs, "" };
	rtx_ctx c;
	char *err;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.level = RTX_JOB;
	c.stage = "S2";
	c.job = "D";
	c.deps = deps;
	c.ndeps = 3;
	c.stage_deps = sdeps;
	c.nstage_deps = 1;
	c.lookup_output = lookup_output;
	c.cb_ctx = &t;

	assert_int_equal(holds(&c, NULL), 0);            /* B failed */
	assert_int_equal(holds(&c, "succeeded()"), 0);
	assert_int_equal(holds(&c, "succeeded('A')"), 1);
	assert_int_equal(holds(&c, "succeeded('a', 'B')"), 0);
	assert_int_equal(holds(&c, "failed()"), 1);
	assert_int_equal(holds(&c, "failed('A')"), 0);
	assert_int_equal(holds(&c, "failed('A', 'b')"), 1);
	assert_int_equal(holds(&c, "succeededOrFailed()"), 1);
	assert_int_equal(holds(&c, "succeeded('C')"), 0); /* skipped */
	assert_int_equal(holds(&c, "always()"), 1);

	assert_int_equal(holds(&c, "eq(dependencies.A.result, 'Succeeded')"), 1);
	assert_int_equal(holds(&c, "in(dependencies['b'].result, 'Failed', 'Canceled')"), 1);
	/* only direct dependencies are in `dependencies` */
	assert_int_equal(holds(&c, "eq(dependencies.C.result, '')"), 1);
	assert_int_equal(holds(&c, "eq(dependencies.Nope.result, '')"), 1);
	assert_int_equal(holds(&c, "eq(dependencies.A.outputs['setvars.color'], 'Blue')"), 1);
	assert_string_equal(t.asked, "S2/A/setvars.color");
	assert_int_equal(holds(&c, "eq(dependencies.A.outputs['setvars.other'], '')"), 1);
	assert_string_equal(t.asked, "S2/A/setvars.other");
	assert_int_equal(holds(&c, "eq(stageDependencies.S1.Build.outputs['ver.number'], '1.2.3')"), 1);
	assert_string_equal(t.asked, "S1/Build/ver.number");
	assert_int_equal(holds(&c, "eq(stageDependencies.s1.build.result, 'SucceededWithIssues')"), 1);
	assert_int_equal(holds(&c, "eq(stageDependencies.S1.Other.result, '')"), 1);
	/* a property after the value applies to it as usual */
	assert_int_equal(holds(&c, "eq(length(dependencies.A.result), 9)"), 1);

	err = refused(&c, "succeeded('Z')");
	assert_string_equal(err, "'Z' is not a dependency of job 'D' at column 1");
	free(err);
	err = refused(&c, "eq(dependencies.A, 'x')");
	assert_non_null(strstr(err, "'dependencies' is read as dependencies.<job>.result"));
	free(err);
	c.canceled = 1;
	assert_int_equal(holds(&c, "failed()"), 0);
	assert_int_equal(holds(&c, "canceled()"), 1);
	assert_int_equal(holds(&c, "always()"), 1);
}

static void test_stage_level(void **state)
{
	static const char *const outputs[] = { "Build/Compile/setver.v", "7",
		"Build/Deploy/Deploy.hook.ok", "yes", NULL };
	static const rtx_dep deps[] = {
		{ "Build", NULL, RTX_SUCCEEDED, 1 },
		{ "Test", NULL, RTX_SKIPPED, 1 },
		{ "Lint", NULL, RTX_FAILED, 0 },
	};
	struct table t = { NULL, outputs, "" };
	rtx_ctx c;
	char *err;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.level = RTX_STAGE;
	c.stage = "Release";
	c.deps = deps;
	c.ndeps = 3;
	c.lookup_output = lookup_output;
	c.cb_ctx = &t;
	assert_int_equal(holds(&c, NULL), 0);
	assert_int_equal(holds(&c, "succeeded('Build')"), 1);
	assert_int_equal(holds(&c, "failed()"), 1);      /* Lint, indirectly */
	assert_int_equal(holds(&c, "failed('Build', 'Test')"), 0);
	assert_int_equal(holds(&c, "in(dependencies.Test.result, 'Succeeded', 'Skipped')"), 1);
	assert_int_equal(holds(&c, "eq(dependencies.Build.outputs['Compile.setver.v'], 7)"), 1);
	assert_string_equal(t.asked, "Build/Compile/setver.v");
	/* a deployment job's outputs: <job>.<job>.<step>.<var> */
	assert_int_equal(holds(&c, "eq(dependencies.Build.outputs['Deploy.Deploy.hook.ok'], 'yes')"), 1);
	assert_string_equal(t.asked, "Build/Deploy/Deploy.hook.ok");
	err = refused(&c, "eq(stageDependencies.Build.Compile.result, 'x')");
	assert_string_equal(err, "name 'stageDependencies' is not defined at column 4");
	free(err);
	err = refused(&c, "succeeded('Compile')");
	assert_string_equal(err, "'Compile' is not a dependency of stage 'Release' at column 1");
	free(err);
}

static void test_check(void **state)
{
	svc_buf big = SVC_BUF_INIT;
	char *err = NULL;
	int i;

	(void)state;
	assert_int_equal(rtx_check(RTX_STEP, "and(succeeded(), eq(variables.x, 'y'))", &err), 0);
	assert_int_equal(rtx_check(RTX_JOB, "or(failed('A'), eq(dependencies.A.outputs['s.v'], 1))", &err), 0);
	assert_int_equal(rtx_check(RTX_STAGE, "succeededOrFailed('Build')", &err), 0);
	assert_int_equal(rtx_check(RTX_STEP, NULL, &err), 0);

	assert_int_equal(rtx_check(RTX_STEP, "eq(variables.x, 'y'", &err), SVC_EINVALID);
	assert_string_equal(err, "expected ')' at column 20");
	free(err);
	assert_int_equal(rtx_check(RTX_STEP, "sucessful()", &err), SVC_EINVALID);
	assert_string_equal(err, "unknown function 'sucessful' at column 1");
	free(err);
	assert_int_equal(rtx_check(RTX_STEP, "eq(counter('a', 1), 1)", &err), SVC_EINVALID);
	assert_string_equal(err, "function 'counter' is only available in variable definitions of the service, which svcconn does not keep at column 4");
	free(err);
	assert_int_equal(rtx_check(RTX_JOB, "eq(stageDependencies.A, 1)", &err), SVC_EINVALID);
	free(err);

	/* hostile: nesting past the service's depth, and a huge text */
	for (i = 0; i < 200; i++)
		buf_puts(&big, "not(");
	buf_puts(&big, "true");
	for (i = 0; i < 200; i++)
		buf_puts(&big, ")");
	assert_int_equal(rtx_check(RTX_STEP, big.ptr, &err), SVC_EINVALID);
	assert_string_equal(err, "expression nested too deeply (50 levels or more) at column 197");
	free(err);
	buf_reset(&big);
	buf_puts(&big, "or(");
	for (i = 0; i < 3000; i++)
		buf_puts(&big, "succeeded(), ");
	buf_puts(&big, "always())");
	assert_int_equal(rtx_check(RTX_STEP, big.ptr, &err), SVC_EINVALID);
	assert_string_equal(err, "expression longer than 21000 characters at column 21001");
	free(err);
	buf_clear(&big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_step_status),
		cmocka_unit_test(test_variables),
		cmocka_unit_test(test_job_level),
		cmocka_unit_test(test_stage_level),
		cmocka_unit_test(test_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
