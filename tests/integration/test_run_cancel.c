/*
 * test_run_cancel.c - a run canceled while a step runs, through the
 * library's svc_pipeline_run() with the real store, gate, sandbox and
 * steps: the canceled flag is set by the output callback when the first
 * step says so (as a SIGINT handler would set it), and from then on only
 * what always() or canceled() allows runs; the job ends Canceled, the jobs
 * after it are skipped unless their condition is canceled(), and the run
 * exits 6 (canceled).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <svcconn/svcconn.h>
#include <svcconn/run.h>

#include "planutil.h"
#include "testutil.h"
#include "util/buf.h"

static const char pipeline[] =
	"jobs:\n"
	"  - job: A\n"
	"    steps:\n"
	"      - script: echo cancel-now\n"
	"      - script: echo never-default\n"
	"      - script: echo always-ran\n"
	"        condition: always()\n"
	"      - script: echo canceled-ran\n"
	"        condition: and(canceled(), eq(variables['Agent.JobStatus'], 'Canceled'))\n"
	"      - script: echo never-succeededOrFailed\n"
	"        condition: succeededOrFailed()\n"
	"  - job: B\n"
	"    dependsOn: A\n"
	"    condition: succeededOrFailed()\n"
	"    steps:\n"
	"      - script: echo never-B\n"
	"  - job: C\n"
	"    dependsOn: A\n"
	"    condition: canceled()\n"
	"    steps:\n"
	"      - script: echo C-ran\n";

/* What the run said and printed, and the flag a signal handler would set. */
struct seen {
	svc_buf text;                   /* every event and output */
	volatile sig_atomic_t canceled; /* set on "cancel-now" */
};

static void on_output(void *ctx, const char *stage, const char *job,
		      const char *step, int fd, const char *data, size_t len)
{
	struct seen *s = ctx;

	(void)stage;
	(void)step;
	(void)fd;
	buf_printf(&s->text, "[%s] ", job);
	buf_put(&s->text, data, len);
	if (tu_memmem(data, len, "cancel-now", 10))
		s->canceled = 1;
}

static void on_event(void *ctx, const char *message)
{
	struct seen *s = ctx;

	buf_printf(&s->text, "== %s\n", message);
}

static void test_cancel(void **state)
{
	svc_run_options o;
	svc_catalog *cat = NULL;
	struct seen s;
	char *dir = NULL, *file, *work;
	svc_store *st;
	int code = -1;

	(void)state;
	memset(&s, 0, sizeof(s));
	buf_init(&s.text, 0, 0);
	st = pu_store(&dir);
	assert_int_equal(svc_catalog_new(&cat), 0);
	file = tu_path(dir, "cancel.yml");
	tu_write_file(file, pipeline);
	work = tu_mkdtemp();
	memset(&o, 0, sizeof(o));
	o.version = SVC_RUN_OPTIONS_VERSION;
	o.pipeline_file = file;
	o.pipeline = "demo";
	o.run_id = "cancel";
	o.workdir = work;
	o.output = on_output;
	o.event = on_event;
	o.ctx = &s;
	o.cancel = &s.canceled;
	if (svc_pipeline_run(&code, &o, st, cat))
		fail_msg("run: %s", svc_error_last());
	if (!s.text.ptr || code != 6 ||
	    !strstr(s.text.ptr, "[A] cancel-now") ||
	    !strstr(s.text.ptr, "[A] always-ran") ||
	    !strstr(s.text.ptr, "[A] canceled-ran") ||
	    !strstr(s.text.ptr, "skipped: the run was canceled") ||
	    !strstr(s.text.ptr, "== job A: Canceled") ||
	    !strstr(s.text.ptr, "== job B skipped: its condition 'succeededOrFailed()' is false") ||
	    !strstr(s.text.ptr, "[C] C-ran") ||
	    strstr(s.text.ptr, "never"))
		fail_msg("exit %d:\n%s", code, s.text.ptr ? s.text.ptr : "");
	buf_clear(&s.text);
	svc_catalog_free(cat);
	svc_store_free(st);
	tu_rm_rf(work);
	tu_rm_rf(dir);
	free(work);
	free(file);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cancel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
