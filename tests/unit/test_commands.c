/*
 * test_commands.c - what `svcconn-agent run` does with its steps' logging
 * commands (resolver/src/runtime/commands.c), through the real masking
 * stream and masker: task.debug with and without SYSTEM_DEBUG, prependpath
 * into the later steps' PATH (latest first, repeated ones moved, not put
 * twice), the build number, task.complete read as .NET reads the enum,
 * issues counted and shown masked, unknown commands.  The file checks and
 * copies are driven end to end by tests/integration/logcmds.sh.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <svcconn/svcconn.h>

#include "errors_int.h"
#include "runtime/runtime_int.h"
#include "util/buf.h"

/* The step's output, collected. */
static void collect(void *ctx, int fd, const char *data, size_t len)
{
	(void)fd;
	assert_int_equal(buf_put(ctx, data, len), 0);
}

/* What run.c's on_command does for these events. */
struct io {
	struct job_cmds *c;     /**< the commands' state */
	svc_buf *out;           /**< where lines go */
};

static int on_event(void *ctx, const svc_mask_event *ev)
{
	struct io *io = ctx;

	return job_cmds_event(io->c, ev, collect, io->out, 1);
}

static int sink(void *ctx, const char *data, size_t len)
{
	return buf_put(ctx, data, len);
}

/*
 * Run text through a stream of a step with env (PATH and SYSTEM_DEBUG as
 * given; NULL: unset) and return its output; *env_out (may be NULL) gets
 * the step's environment after job_cmds_step_begin.
 */
/* The id of the step step() runs (a task's pre-job, main and post-job
 * steps share one). */
static const char *step_id = "0";

static char *step(struct job_cmds *c, svc_masker *m, const char *path,
		  const char *debug, const char *text, svc_env **env_out)
{
	svc_mask_stream_options o;
	svc_mask_stream *s = NULL;
	svc_env *env = NULL;
	struct io io;
	svc_buf out;

	buf_init(&out, 0, 0);
	assert_int_equal(svc_env_new(&env), 0);
	if (path)
		assert_int_equal(svc_env_set(env, "PATH", path), 0);
	if (debug)
		assert_int_equal(svc_env_set(env, "SYSTEM_DEBUG", debug), 0);
	assert_int_equal(job_cmds_step_begin(c, m, env, step_id), 0);
	io.c = c;
	io.out = &out;
	memset(&o, 0, sizeof(o));
	o.version = SVC_MASK_STREAM_OPTIONS_VERSION;
	o.commands = 1;
	o.write = sink;
	o.write_ctx = &out;
	o.event = on_event;
	o.event_ctx = &io;
	assert_int_equal(svc_mask_stream_new(&s, m, &o), 0);
	assert_int_equal(svc_mask_stream_write(s, text, strlen(text)), 0);
	assert_int_equal(svc_mask_stream_finish(s), 0);
	svc_mask_stream_free(s);
	if (env_out)
		*env_out = env;
	else
		svc_env_free(env);
	assert_int_equal(buf_putc(&out, '\0'), 0);
	return buf_detach(&out, NULL);
}

static void test_debug_path_number(void **state)
{
	struct job_cmds *c = NULL;
	svc_masker *m = NULL;
	svc_env *env = NULL;
	size_t w, e, issues;
	char *out;

	(void)state;
	assert_int_equal(job_cmds_new(&c, NULL), 0);
	assert_int_equal(svc_masker_new(&m, NULL), 0);
	out = step(c, m, "/usr/bin", " True ",
		   "##vso[task.debug]dbg-1\n"
		   "##vso[task.prependpath]/a\n"
		   "##VSO[TASK.PREPENDPATH]/b\n"
		   "##vso[task.prependpath]/a\n"
		   "##vso[build.updatebuildnumber]7.1\n"
		   "##vso[task.logissue type=warning]w\n"
		   "##vso[task.logissue type=Error]\n"
		   "##vso[task.complete result= SucceededWithIssues ]\n"
		   "plain\n", &env);
	assert_string_equal(out, "##[debug]dbg-1\n##[warning]w\nplain\n");
	/* the step itself keeps its PATH (the agent's too) */
	assert_string_equal(svc_env_get(env, "PATH"), "/usr/bin");
	svc_env_free(env);
	free(out);
	assert_int_equal(job_cmds_step_end(c), JOB_CMDS_ISSUES);

	/* the next step: /a moved first, then /b; the build number */
	out = step(c, m, "/usr/bin", NULL, "##vso[task.debug]dbg-2\n", &env);
	assert_string_equal(out, "");
	assert_string_equal(svc_env_get(env, "PATH"), "/a:/b:/usr/bin");
	assert_string_equal(svc_env_get(env, "BUILD_BUILDNUMBER"), "7.1");
	svc_env_free(env);
	free(out);
	assert_int_equal(job_cmds_step_end(c), JOB_CMDS_SUCCEEDED);

	/* not put in front twice; an empty PATH gets no trailing ':' */
	out = step(c, m, "/a:/b:/usr/bin", "false", "", &env);
	assert_string_equal(svc_env_get(env, "PATH"), "/a:/b:/usr/bin");
	svc_env_free(env);
	free(out);
	out = step(c, m, "", NULL, "", &env);
	assert_string_equal(svc_env_get(env, "PATH"), "/a:/b");
	svc_env_free(env);
	free(out);
	job_cmds_step_end(c);
	job_cmds_counts(c, &w, &e, &issues);
	assert_int_equal(w, 1);
	assert_int_equal(e, 1);
	assert_int_equal(issues, 1);
	svc_masker_free(m);
	job_cmds_free(c);
}

/*
 * task.settaskvariable: the later executions of the same task step (its
 * post-job step) get it as VSTS_TASKVARIABLE_<NAME>, as the task library
 * reads it; another step does not; a secret one is masked.
 */
static void test_task_variables(void **state)
{
	struct job_cmds *c = NULL;
	svc_masker *m = NULL;
	svc_env *env = NULL;
	char *out;

	(void)state;
	assert_int_equal(job_cmds_new(&c, NULL), 0);
	assert_int_equal(svc_masker_new(&m, NULL), 0);
	step_id = "3";
	out = step(c, m, NULL, NULL,
		   "##vso[task.settaskvariable variable=settings.path]/home/u/.m2/settings.xml\n"
		   "##vso[task.settaskvariable variable=backup;issecret=true]tv-secret-7781\n"
		   "##vso[task.settaskvariable variable=settings.path]/second\n"
		   "##vso[task.settaskvariable variable=bad=name]x\n"
		   "after tv-secret-7781\n", &env);
	assert_non_null(strstr(out, "after ***"));
	assert_null(strstr(out, "tv-secret-7781"));
	assert_null(svc_env_get(env, "VSTS_TASKVARIABLE_SETTINGS_PATH"));
	svc_env_free(env);
	free(out);
	job_cmds_step_end(c);
	step_id = "4";
	out = step(c, m, NULL, NULL, "", &env);
	assert_null(svc_env_get(env, "VSTS_TASKVARIABLE_SETTINGS_PATH"));
	svc_env_free(env);
	free(out);
	job_cmds_step_end(c);
	step_id = "3"; /* its post-job step */
	out = step(c, m, NULL, NULL, "", &env);
	assert_string_equal(svc_env_get(env, "VSTS_TASKVARIABLE_SETTINGS_PATH"),
			    "/second");
	assert_string_equal(svc_env_get(env, "VSTS_TASKVARIABLE_BACKUP"),
			    "tv-secret-7781");
	assert_null(svc_env_get(env, "VSTS_TASKVARIABLE_BAD=NAME"));
	svc_env_free(env);
	free(out);
	job_cmds_step_end(c);
	step_id = "0";
	svc_masker_free(m);
	job_cmds_free(c);
}

static void test_complete(void **state)
{
	static const struct { const char *line; int result; } cases[] = {
		{ "##vso[task.complete result=Succeeded]x\n", JOB_CMDS_SUCCEEDED },
		{ "##vso[task.complete result=SucceededWithIssues]\n", JOB_CMDS_ISSUES },
		{ "##vso[task.complete result=1]\n", JOB_CMDS_ISSUES },
		{ "##vso[task.complete result=Failed]\n", JOB_CMDS_FAILED },
		{ "##vso[task.complete result=2]\n", JOB_CMDS_FAILED },
		{ "##vso[task.complete result=Canceled]\n", JOB_CMDS_FAILED },
		{ "##vso[task.complete result=Skipped]\n", JOB_CMDS_FAILED },
		/* .NET reads the names in their case only: invalid, failed */
		{ "##vso[task.complete result=failed]\n", JOB_CMDS_FAILED },
		{ "##vso[task.complete result=succeeded]\n", JOB_CMDS_FAILED },
		{ "##vso[task.complete result=Cancelled]\n", JOB_CMDS_FAILED },
		{ "##vso[task.complete]\n", JOB_CMDS_FAILED },
		{ "##vso[task.complete result=-1]\n", JOB_CMDS_FAILED },
	};
	struct job_cmds *c = NULL;
	svc_masker *m = NULL;
	size_t i;
	char *out;

	(void)state;
	assert_int_equal(job_cmds_new(&c, NULL), 0);
	assert_int_equal(svc_masker_new(&m, NULL), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		out = step(c, m, NULL, NULL, cases[i].line, NULL);
		assert_int_equal(job_cmds_step_failed(c),
				 cases[i].result == JOB_CMDS_FAILED);
		if (cases[i].result == JOB_CMDS_FAILED && !strstr(cases[i].line, "result=F") &&
		    !strstr(cases[i].line, "=2") && !strstr(cases[i].line, "=Canceled") &&
		    !strstr(cases[i].line, "=Skipped"))
			assert_non_null(strstr(out, "Command doesn't have valid result value."));
		else
			assert_string_equal(out, "");
		assert_int_equal(job_cmds_step_end(c), cases[i].result);
		free(out);
	}
	svc_masker_free(m);
	job_cmds_free(c);
}

static void test_issues_masked_and_unknown(void **state)
{
	struct job_cmds *c = NULL;
	svc_masker *m = NULL;
	size_t w, e, issues;
	char *out;

	(void)state;
	assert_int_equal(job_cmds_new(&c, NULL), 0);
	assert_int_equal(svc_masker_new(&m, NULL), 0);
	assert_int_equal(svc_masker_add(m, "s3cr3t-xyz", 10), 0);
	out = step(c, m, NULL, NULL,
		   "##vso[task.logissue type=error]a s3cr3t-xyz b\n"
		   "##vso[task.issue type=warning;sourcepath=s3cr3t-xyz.c]m\n"
		   "##vso[task.settaskvariable variable=v;issecret=true]tv-secret-1\n"
		   "tv-secret-1\n"
		   "##vso[nope.x]y\n"
		   "##vso[task.setprogress value=3]p\n", NULL);
	assert_string_equal(out,
		"##[error]a *** b\n"
		"##[warning]***.c(,): warning : m\n"
		"***\n"
		"##[warning]Cannot find command extension for ##vso[nope.command]. "
		"Please reference documentation (http://go.microsoft.com/fwlink/?LinkId=817296)\n");
	assert_false(job_cmds_step_failed(c));
	free(out);
	job_cmds_step_end(c);
	out = step(c, m, NULL, NULL, "##vso[build.bogus]z\n", NULL);
	assert_non_null(strstr(out, "##[error]Unable to process command '##vso[build.bogus]z'"));
	assert_non_null(strstr(out, "##[error]##vso[build.bogus] is not a recognized command for build command extension."));
	assert_true(job_cmds_step_failed(c));
	free(out);
	job_cmds_step_end(c);
	job_cmds_counts(c, &w, &e, &issues);
	assert_int_equal(w, 2);
	assert_int_equal(e, 3);
	assert_int_equal(issues, 0);
	svc_masker_free(m);
	job_cmds_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_debug_path_number),
		cmocka_unit_test(test_task_variables),
		cmocka_unit_test(test_complete),
		cmocka_unit_test(test_issues_masked_and_unknown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
