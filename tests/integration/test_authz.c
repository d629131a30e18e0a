/*
 * test_authz.c - who may use a connection, driven through the real
 * `svcconn` and `svcconn-agent` executables, story by story:
 *
 * - a restricted connection: exit 3 and the message, permit, pass; removed,
 *   blocked again;
 * - approval of 2 of 3 approvers: the requester refused, one approval still
 *   waits, a second passes; a rejection denies; a timeout skips the stage;
 * - branch control fails on a feature branch and requests no approval;
 * - business hours outside and inside the window (the test clock);
 * - a REST check against a local HTTP server: pass, fail, retry then pass,
 *   unreachable, malformed JSON;
 * - required template;
 * - exclusive locks: two runs in both behaviours, a holder killed with
 *   SIGKILL whose lease expires;
 * - roles: Reader, User, Creator;
 * - processes approving and evaluating at once lose no decision.
 *
 * Time comes from SVCCONN_NOW: no test sleeps through a window.
 */
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "httpd.h"
#include "testutil.h"

extern char **environ;

#define FIX SVC_SOURCE_DIR "/fixtures/authz/"
#define T0 "2026-11-23T10:00:00Z" /* a Monday, 11:00 in Berlin */

static char *tmp;      /* this test's directory */
static char *home;     /* the store of the current test */
static char now[64];   /* SVCCONN_NOW for the next command */
static int serial;     /* unique job directories */

/* Run `prog args...` (NULL-ended) as user with stdin text. */
static void run(tu_result *r, const char *prog, const char *user,
		const char *in, const char *const *args)
{
	char *argv[64], env_home[4200], env_user[300], env_now[100];
	char *env[] = { env_home, env_user, env_now, NULL };
	int n = 0;

	argv[n++] = (char *)tu_bin(prog);
	while (*args && n < 62)
		argv[n++] = (char *)*args++;
	argv[n] = NULL;
	snprintf(env_home, sizeof(env_home), "SVCCONN_HOME=%s", home);
	snprintf(env_user, sizeof(env_user), "SVCCONN_USER=%s", user);
	snprintf(env_now, sizeof(env_now), "SVCCONN_NOW=%s", now);
	tu_run(r, in, argv, env);
}

#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* svcconn as user; fails the test unless the exit code is want. */
static void svc(int want, const char *user, const char *const *args)
{
	tu_result r;

	run(&r, "svcconn", user, "p4ssw0rd-secret\n", args);
	if (r.status != want)
		fail_msg("svcconn %s %s as %s: exit %d (want %d)\n%s%s", args[0],
			 args[1] ? args[1] : "", user, r.status, want, r.out, r.err);
	tu_result_free(&r);
}

/* job-start of run_id for the pipeline file with conn; returns the exit. */
static int start(tu_result *r, const char *file, const char *conn,
		 const char *run_id, const char *branch, const char *by)
{
	char jobdir[4200], var[300];

	snprintf(jobdir, sizeof(jobdir), "%s/job-%d", tmp, ++serial);
	snprintf(var, sizeof(var), "conn=%s", conn);
	run(r, "svcconn-agent", "agent", NULL,
	    ARGS("job-start", "--pipeline-file", file, "--pipeline", "app",
		 "--stage", "Deploy", "--job", "Ship", "--run-id", run_id,
		 "--branch", branch ? branch : "refs/heads/main",
		 "--requested-by", by ? by : "alice", "--var", var,
		 "--job-dir", jobdir));
	return r->status;
}

static int start_simple(const char *conn, const char *run_id)
{
	tu_result r;
	int rc = start(&r, FIX "pipeline.yml", conn, run_id, NULL, NULL);

	tu_result_free(&r);
	return rc;
}

/* A value from the first object of a JSON array printed by svcconn. */
static char *json_first(const char *user, const char *const *args,
			const char *key)
{
	tu_result r;
	json_error_t e;
	json_t *a, *v;
	char *out = NULL;

	run(&r, "svcconn", user, NULL, args);
	a = json_loads(r.out, 0, &e);
	v = json_object_get(json_array_get(a, 0), key);
	if (json_is_string(v))
		out = strdup(json_string_value(v));
	json_decref(a);
	tu_result_free(&r);
	return out;
}

static void set_now(const char *t)
{
	snprintf(now, sizeof(now), "%s", t);
}

/* A fresh store with the registry connection, open to all pipelines. */
static int setup(void **state)
{
	(void)state;
	tmp = tu_mkdtemp();
	home = tu_path(tmp, "home");
	set_now(T0);
	svc(0, "admin", ARGS("init"));
	svc(0, "admin", ARGS("create", "dockerregistry", "registry", "--scheme",
			     "Others", "--set", "registry=https://r.example.test/",
			     "--set", "username=ci", "--secret", "password=-",
			     "--grant-all-pipelines"));
	svc(0, "admin", ARGS("groups", "create", "team-ops"));
	svc(0, "admin", ARGS("groups", "add", "team-ops", "carol"));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tu_rm_rf(tmp);
	free(tmp);
	free(home);
	return 0;
}

static void test_pipeline_permission(void **state)
{
	tu_result r;
	char *req;

	(void)state;
	svc(0, "admin", ARGS("permissions", "registry", "--restrict"));
	assert_int_equal(start(&r, FIX "pipeline.yml", "registry", "1", NULL, NULL), 3);
	assert_non_null(strstr(r.out, "This pipeline needs permission to access a resource before this run can continue"));
	assert_non_null(strstr(r.out, "'registry'"));
	tu_result_free(&r);
	req = json_first("admin", ARGS("requests", "--json"), "id");
	assert_non_null(req);
	/* a Reader may not permit */
	svc(0, "admin", ARGS("security", "registry", "--grant", "rita=Reader"));
	svc(5, "rita", ARGS("permit", req));
	svc(0, "admin", ARGS("permit", req));
	assert_int_equal(start_simple("registry", "1"), 0);
	svc(0, "admin", ARGS("permissions", "registry", "--remove", "app"));
	assert_int_equal(start_simple("registry", "2"), 3);
	svc(0, "admin", ARGS("permissions", "registry", "--all-pipelines"));
	assert_int_equal(start_simple("registry", "3"), 0);
	free(req);
}

static void test_approvals(void **state)
{
	tu_result r;
	char *id, *check;

	(void)state;
	svc(0, "admin", ARGS("checks", "registry", "add", "approval", "--approvers",
			     "alice,bob,team-ops", "--min", "2", "--instructions",
			     "check the release notes"));
	assert_int_equal(start(&r, FIX "pipeline.yml", "registry", "10", NULL, "alice"), 4);
	assert_non_null(strstr(r.out, "2 more approval"));
	assert_non_null(strstr(r.out, "alice, bob, team-ops"));
	tu_result_free(&r);
	id = json_first("admin", ARGS("approvals", "--pending", "--json"), "id");
	assert_non_null(id);
	/* the requester may not approve; someone who is no approver neither */
	svc(5, "alice", ARGS("approve", id));
	svc(5, "mallory", ARGS("approve", id));
	svc(0, "bob", ARGS("approve", id, "--comment", "looks good"));
	svc(1, "bob", ARGS("approve", id)); /* each approver decides once */
	assert_int_equal(start_simple("registry", "10"), 4);
	/* carol approves for the group team-ops: the second approval */
	svc(0, "carol", ARGS("approve", id));
	assert_int_equal(start_simple("registry", "10"), 0);
	free(id);

	/* a rejection is final */
	assert_int_equal(start_simple("registry", "11"), 4);
	id = json_first("admin", ARGS("approvals", "--pending", "--json"), "id");
	svc(0, "bob", ARGS("reject", id, "--comment", "not today"));
	assert_int_equal(start(&r, FIX "pipeline.yml", "registry", "11", NULL, NULL), 5);
	/* SVCCONN_USER=bob is the OS user impersonating bob: recorded so */
	{
		struct passwd *pw = getpwuid(geteuid());
		char want[300];

		assert_non_null(pw);
		snprintf(want, sizeof(want), "rejected by %s%s", pw->pw_name,
			 strcmp(pw->pw_name, "bob") ? " as bob" : "");
		assert_non_null(strstr(r.out, want));
	}
	tu_result_free(&r);
	free(id);

	/* a timed-out approval skips the stage */
	check = json_first("admin", ARGS("checks", "registry", "--json"), "id");
	svc(0, "admin", ARGS("checks", "registry", "remove", check));
	svc(0, "admin", ARGS("checks", "registry", "add", "approval", "--approvers",
			     "bob", "--timeout", "1d"));
	assert_int_equal(start_simple("registry", "12"), 4);
	set_now("2026-11-25T10:00:00Z");
	assert_int_equal(start(&r, FIX "pipeline.yml", "registry", "12", NULL, NULL), 5);
	assert_non_null(strstr(r.out, "skipped"));
	tu_result_free(&r);
	free(check);

	/* a deferred approval counts from its time on */
	assert_int_equal(start_simple("registry", "13"), 4);
	id = json_first("admin", ARGS("approvals", "--pending", "--json"), "id");
	svc(0, "bob", ARGS("approve", id, "--defer-until", "2026-11-25T12:00:00Z"));
	assert_int_equal(start_simple("registry", "13"), 4);
	set_now("2026-11-25T12:00:01Z");
	assert_int_equal(start_simple("registry", "13"), 0);
	free(id);
}

static void test_branch_control(void **state)
{
	tu_result r;
	char *none;

	(void)state;
	svc(0, "admin", ARGS("checks", "registry", "add", "branch-control",
			     "--allowed", "refs/heads/main,refs/heads/release/*"));
	svc(0, "admin", ARGS("checks", "registry", "add", "approval", "--approvers", "bob"));
	assert_int_equal(start(&r, FIX "pipeline.yml", "registry", "20",
			       "refs/heads/feature/x", NULL), 5);
	assert_non_null(strstr(r.out, "refs/heads/feature/x"));
	tu_result_free(&r);
	/* no approval was requested for that run */
	none = json_first("admin", ARGS("approvals", "--json"), "id");
	assert_null(none);
	/* a release branch passes branch control and waits for bob */
	assert_int_equal(start(&r, FIX "pipeline.yml", "registry", "21",
			       "refs/heads/release/1.0", NULL), 4);
	tu_result_free(&r);
}

static void test_business_hours(void **state)
{
	tu_result r;

	(void)state;
	svc(0, "admin", ARGS("checks", "registry", "add", "business-hours", "--days",
			     "Mon-Fri", "--tz", "Europe/Berlin", "--start", "08:00",
			     "--end", "18:00", "--timeout", "3d"));
	/* Saturday: outside, waits with the next window */
	set_now("2026-11-28T12:00:00Z");
	assert_int_equal(start(&r, FIX "pipeline.yml", "registry", "30", NULL, NULL), 4);
	assert_non_null(strstr(r.out, "business hours"));
	assert_non_null(strstr(r.out, "2026-11-30T07:00:00Z"));
	tu_result_free(&r);
	/* Monday 09:00 in Berlin: inside */
	set_now("2026-11-30T08:00:00Z");
	assert_int_equal(start_simple("registry", "30"), 0);
	/* Monday 19:00 in Berlin, a new run: outside again */
	set_now("2026-11-30T18:00:00Z");
	assert_int_equal(start_simple("registry", "31"), 4);
	/* past the timeout: failed */
	set_now("2026-12-05T12:00:00Z");
	assert_int_equal(start_simple("registry", "31"), 5);
}

static void test_rest_check(void **state)
{
	static const struct httpd_response ok[] = {
		{ 200, "application/json", "{\"status\": \"ok\"}", NULL, 0, 0 } };
	static const struct httpd_response bad[] = {
		{ 200, "application/json", "{\"status\": \"failed\"}", NULL, 0, 0 } };
	static const struct httpd_response flaky[] = {
		{ 503, "text/plain", "busy", NULL, 0, 0 },
		{ 200, "application/json", "{\"status\": \"ok\"}", NULL, 0, 0 } };
	static const struct httpd_response junk[] = {
		{ 200, "application/json", "{not json", NULL, 0, 0 } };
	const struct httpd_route routes[] = {
		{ "POST", "/ok", ok, 1 }, { "POST", "/bad", bad, 1 },
		{ "POST", "/flaky", flaky, 2 }, { "POST", "/junk", junk, 1 } };
	struct httpd *h = NULL;
	struct httpd_request *req = NULL;
	size_t nreq = 0;
	char *url, *check;
	tu_result r;
	const char *suffixes[] = { "/ok", "/bad", "/flaky", "/junk" };
	const int want[] = { 0, 5, 4, 5 };
	int i;

	(void)state;
	assert_int_equal(httpd_start(&h, routes, 4), 0);
	url = httpd_url(h, "");
	svc(0, "admin", ARGS("create", "generic", "gate-service", "--url", url,
			     "--set", "username=gate", "--secret", "password=-"));
	for (i = 0; i < 4; i++) {
		char run_id[16];

		check = json_first("admin", ARGS("checks", "registry", "--json"), "id");
		if (check)
			svc(0, "admin", ARGS("checks", "registry", "remove", check));
		free(check);
		svc(0, "admin", ARGS("checks", "registry", "add", "rest-api",
				     "--connection", "gate-service", "--url-suffix",
				     suffixes[i], "--success", "eq(root['status'], 'ok')",
				     "--retry-interval", i == 2 ? "5m" : "0",
				     "--timeout", "1h"));
		snprintf(run_id, sizeof(run_id), "4%d", i);
		if (start(&r, FIX "pipeline.yml", "registry", run_id, NULL, NULL) != want[i])
			fail_msg("REST %s: exit %d, want %d\n%s%s", suffixes[i],
				 r.status, want[i], r.out, r.err);
		if (i == 3)
			assert_non_null(strstr(r.out, "not JSON"));
		tu_result_free(&r);
		if (i == 2) {
			/* retry then pass: before the interval it waits
			   without calling; after it, the call passes */
			assert_int_equal(start_simple("registry", run_id), 4);
			set_now("2026-11-23T10:06:00Z");
			assert_int_equal(start_simple("registry", run_id), 0);
			set_now(T0);
		}
	}
	/* the server saw basic auth and the run's identity */
	assert_int_equal(httpd_requests(h, &req, &nreq), 0);
	assert_true(nreq >= 5);
	assert_non_null(httpd_header(&req[0], "Authorization"));
	assert_string_equal(httpd_header(&req[0], "X-Svcconn-Pipeline"), "app");
	httpd_requests_free(req, nreq);
	httpd_stop(h);
	/* unreachable: the server is gone */
	check = json_first("admin", ARGS("checks", "registry", "--json"), "id");
	svc(0, "admin", ARGS("checks", "registry", "remove", check));
	svc(0, "admin", ARGS("checks", "registry", "add", "rest-api",
			     "--connection", "gate-service", "--url-suffix", "/ok"));
	assert_int_equal(start(&r, FIX "pipeline.yml", "registry", "49", NULL, NULL), 5);
	assert_non_null(strstr(r.out, "failed"));
	tu_result_free(&r);
	/* a bad expression is refused when the check is added */
	svc(2, "admin", ARGS("checks", "registry", "add", "rest-api", "--connection",
			     "gate-service", "--success", "eq(root['status'"));
	free(check);
	free(url);
}

static void test_required_template(void **state)
{
	tu_result r;

	(void)state;
	svc(0, "admin", ARGS("checks", "registry", "add", "required-template",
			     "--repo", "self", "--ref", "refs/heads/main", "--path",
			     "templates/safe.yml"));
	assert_int_equal(start(&r, FIX "pipeline.yml", "registry", "50", NULL, NULL), 5);
	assert_non_null(strstr(r.out, "extend"));
	tu_result_free(&r);
	assert_int_equal(start_simple("registry", "51"), 5);
	{
		char jobdir[4200];

		snprintf(jobdir, sizeof(jobdir), "%s/job-ext", tmp);
		run(&r, "svcconn-agent", "agent", NULL,
		    ARGS("job-start", "--pipeline-file", FIX "extends.yml",
			 "--pipeline", "app", "--stage", "Deploy", "--job", "Ship",
			 "--run-id", "52", "--branch", "refs/heads/main",
			 "--var", "conn=registry", "--job-dir", jobdir));
		if (r.status != 0)
			fail_msg("extends: %d\n%s%s", r.status, r.out, r.err);
		tu_result_free(&r);
	}
}

/* job-end of the job started in directory dir. */
static void end_job(const char *dir, const char *result)
{
	tu_result r;

	run(&r, "svcconn-agent", "agent", NULL,
	    ARGS("job-end", "--job-dir", dir, "--result", result));
	assert_int_equal(r.status, 0);
	tu_result_free(&r);
}

static void test_exclusive_lock(void **state)
{
	tu_result r;
	char dir1[4200], dir2[4200], dir3[4200];

	(void)state;
	svc(0, "admin", ARGS("checks", "registry", "add", "exclusive-lock"));
	/* runLatest: run 60 holds; 61 waits; 62 arrives and cancels 61 */
	assert_int_equal(start_simple("registry", "60"), 0);
	snprintf(dir1, sizeof(dir1), "%s/job-%d", tmp, serial);
	assert_int_equal(start(&r, FIX "pipeline.yml", "registry", "61", NULL, NULL), 4);
	assert_non_null(strstr(r.out, "app/60/Deploy"));
	tu_result_free(&r);
	assert_int_equal(start_simple("registry", "62"), 4);
	assert_int_equal(start(&r, FIX "pipeline.yml", "registry", "61", NULL, NULL), 5);
	assert_non_null(strstr(r.out, "canceled"));
	tu_result_free(&r);
	end_job(dir1, "Succeeded");
	assert_int_equal(start_simple("registry", "62"), 0);
	snprintf(dir2, sizeof(dir2), "%s/job-%d", tmp, serial);
	end_job(dir2, "Succeeded");

	/* the holder dies: its lease expires and the next run goes on */
	{
		char jobdir[4200];
		char *argv[] = { "/bin/sh", "-c", NULL, NULL };
		char script[9000], env_home[4200], env_now[100], env_user[] = "SVCCONN_USER=agent";
		char *envp[] = { env_home, env_now, env_user, NULL };
		int status;
		pid_t pid;

		snprintf(jobdir, sizeof(jobdir), "%s/job-killed", tmp);
		snprintf(script, sizeof(script),
			 "'%s' job-start --pipeline-file '%spipeline.yml' --pipeline app "
			 "--stage Deploy --job Ship --run-id 63 --var conn=registry "
			 "--job-dir '%s' >/dev/null && exec sleep 600",
			 tu_bin("svcconn-agent"), FIX, jobdir);
		argv[2] = script;
		snprintf(env_home, sizeof(env_home), "SVCCONN_HOME=%s", home);
		snprintf(env_now, sizeof(env_now), "SVCCONN_NOW=%s", now);
		assert_int_equal(posix_spawn(&pid, argv[0], NULL, NULL, argv, envp), 0);
		/* wait until it holds the lock (its state file exists) */
		for (int i = 0; i < 600; i++) {
			char state_file[4300];
			struct timespec ts = { 0, 50 * 1000 * 1000 };

			snprintf(state_file, sizeof(state_file), "%s/keeper.pid", jobdir);
			if (access(state_file, F_OK) == 0)
				break;
			nanosleep(&ts, NULL);
		}
		assert_int_equal(start_simple("registry", "64"), 4);
		/* kill the holder and its lease keeper with SIGKILL */
		{
			char kp[4300], *pidtext;

			snprintf(kp, sizeof(kp), "%s/keeper.pid", jobdir);
			pidtext = tu_read_file(kp, NULL);
			if (pidtext)
				kill((pid_t)strtol(pidtext, NULL, 10), SIGKILL);
			free(pidtext);
		}
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		/* before the lease runs out it still waits; after, it goes on */
		assert_int_equal(start_simple("registry", "64"), 4);
		set_now("2026-11-23T10:10:00Z");
		assert_int_equal(start_simple("registry", "64"), 0);
		snprintf(dir3, sizeof(dir3), "%s/job-%d", tmp, serial);
		end_job(dir3, "Succeeded");
	}
}

static void test_sequential_lock(void **state)
{
	char dir[4200];

	(void)state;
	svc(0, "admin", ARGS("checks", "registry", "add", "exclusive-lock"));
	{
		/* lockBehavior comes from the pipeline: write one that says so */
		char *f = tu_path(tmp, "sequential.yml");
		tu_result r;

		tu_write_file(f,
			"lockBehavior: sequential\n"
			"resources:\n  containers:\n    - container: builder\n"
			"      image: x\n      endpoint: registry\n"
			"stages:\n  - stage: Deploy\n    jobs:\n      - job: Ship\n"
			"        container: builder\n        steps:\n          - script: echo\n");

		assert_int_equal(start(&r, f, "registry", "70", NULL, NULL), 0);
		tu_result_free(&r);
		snprintf(dir, sizeof(dir), "%s/job-%d", tmp, serial);
		assert_int_equal(start(&r, f, "registry", "71", NULL, NULL), 4);
		assert_non_null(strstr(r.out, "sequential"));
		tu_result_free(&r);
		assert_int_equal(start(&r, f, "registry", "72", NULL, NULL), 4);
		tu_result_free(&r);
		/* 71 was not canceled by 72 */
		assert_int_equal(start(&r, f, "registry", "71", NULL, NULL), 4);
		tu_result_free(&r);
		end_job(dir, "Failed");
		/* 72 must wait for 71, which queued first */
		assert_int_equal(start(&r, f, "registry", "72", NULL, NULL), 4);
		tu_result_free(&r);
		assert_int_equal(start(&r, f, "registry", "71", NULL, NULL), 0);
		tu_result_free(&r);
		free(f);
	}
}

static void test_roles(void **state)
{
	tu_result r;

	(void)state;
	svc(0, "admin", ARGS("security", "--grant", "rita=Reader", "--grant",
			     "uma=User", "--grant", "cody=Creator"));
	/* a Reader sees the connection, never its secret, and cannot edit */
	run(&r, "svcconn", "rita", NULL, ARGS("show", "registry", "--json"));
	assert_int_equal(r.status, 0);
	assert_null(strstr(r.out, "p4ssw0rd"));
	tu_result_free(&r);
	run(&r, "svcconn", "rita", NULL, ARGS("export", "registry", "--include-secrets",
					      "-o", "/dev/null/x"));
	assert_int_equal(r.status, 5);
	tu_result_free(&r);
	run(&r, "svcconn", "rita", NULL, ARGS("edit", "registry", "--set", "email=x@y.z"));
	assert_int_equal(r.status, 5);
	assert_non_null(strstr(r.err, "permission denied: 'rita' needs the Administrator role on 'registry'"));
	tu_result_free(&r);
	/* a User cannot open a connection to all pipelines */
	svc(0, "admin", ARGS("permissions", "registry", "--restrict"));
	svc(5, "uma", ARGS("permissions", "registry", "--all-pipelines"));
	svc(0, "uma", ARGS("permissions", "registry", "--add", "app"));
	/* a Creator creates, and cannot edit someone else's connection */
	svc(0, "cody", ARGS("create", "generic", "codys", "--url", "https://c.example.test"));
	svc(0, "cody", ARGS("edit", "codys", "--description", "mine"));
	svc(5, "cody", ARGS("edit", "registry", "--description", "not mine"));
	svc(5, "rita", ARGS("create", "generic", "ritas", "--url", "https://r.example.test"));
	/* nothing changed on a refusal */
	run(&r, "svcconn", "admin", NULL, ARGS("show", "registry", "--json"));
	assert_null(strstr(r.out, "not mine"));
	tu_result_free(&r);
	/* history and audit record what happened */
	assert_int_equal(start_simple("registry", "80"), 0);
	run(&r, "svcconn", "admin", NULL, ARGS("history", "registry", "--json"));
	assert_non_null(strstr(r.out, "\"granted\""));
	tu_result_free(&r);
}

/* Start prog with args in the background; returns its pid. */
static pid_t spawn_bg(const char *prog, const char *user, const char *const *args)
{
	char *argv[64], env_home[4200], env_user[300], env_now[100];
	char *env[] = { env_home, env_user, env_now, NULL };
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int n = 0;

	argv[n++] = (char *)tu_bin(prog);
	while (*args && n < 62)
		argv[n++] = (char *)*args++;
	argv[n] = NULL;
	snprintf(env_home, sizeof(env_home), "SVCCONN_HOME=%s", home);
	snprintf(env_user, sizeof(env_user), "SVCCONN_USER=%s", user);
	snprintf(env_now, sizeof(env_now), "SVCCONN_NOW=%s", now);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", 1, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", 1, 0);
	assert_int_equal(posix_spawn(&pid, argv[0], &fa, NULL, argv, env), 0);
	posix_spawn_file_actions_destroy(&fa);
	return pid;
}

static void test_concurrent_decisions(void **state)
{
	const char *approvers[] = { "u1", "u2", "u3", "u4", "u5", "u6" };
	pid_t pids[16];
	int i, n = 0, status;
	char *id, jobdir[4200];
	tu_result r;

	(void)state;
	svc(0, "admin", ARGS("checks", "registry", "add", "approval", "--approvers",
			     "u1,u2,u3,u4,u5,u6"));
	assert_int_equal(start_simple("registry", "90"), 4);
	id = json_first("admin", ARGS("approvals", "--pending", "--json"), "id");
	assert_non_null(id);
	/* six approvers and evaluating runs, all at once */
	for (i = 0; i < 6; i++) {
		pids[n++] = spawn_bg("svcconn", approvers[i], ARGS("approve", id));
		snprintf(jobdir, sizeof(jobdir), "%s/job-c%d", tmp, i);
		pids[n++] = spawn_bg("svcconn-agent", "agent",
			ARGS("job-start", "--pipeline-file", FIX "pipeline.yml",
			     "--pipeline", "app", "--stage", "Deploy", "--job", "Ship",
			     "--run-id", "90", "--requested-by", "alice",
			     "--var", "conn=registry", "--job-dir", jobdir));
	}
	for (i = 0; i < n; i++)
		waitpid(pids[i], &status, 0);
	/* every decision is there, and the run passes */
	run(&r, "svcconn", "admin", NULL, ARGS("approvals", "--json"));
	assert_non_null(strstr(r.out, "approved (6 of 6)"));
	tu_result_free(&r);
	assert_int_equal(start_simple("registry", "90"), 0);
	free(id);
}

static void test_plan_shows_authorization(void **state)
{
	tu_result r;

	(void)state;
	svc(0, "admin", ARGS("permissions", "registry", "--restrict"));
	run(&r, "svcconn", "admin", NULL, ARGS("plan", FIX "pipeline.yml", "--pipeline",
					       "app", "--json"));
	assert_non_null(strstr(r.out, "\"needs-permission\""));
	tu_result_free(&r);
	svc(0, "admin", ARGS("permissions", "registry", "--add", "app"));
	svc(0, "admin", ARGS("checks", "registry", "add", "exclusive-lock"));
	run(&r, "svcconn", "admin", NULL, ARGS("plan", FIX "pipeline.yml", "--pipeline",
					       "app", "--json"));
	assert_non_null(strstr(r.out, "\"checks\""));
	assert_non_null(strstr(r.out, "exclusive-lock"));
	tu_result_free(&r);
	/* nothing was started: no request, no lock, no history */
	run(&r, "svcconn", "admin", NULL, ARGS("history", "registry", "--json"));
	assert_string_equal(r.out, "[]\n");
	tu_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pipeline_permission, setup, teardown),
		cmocka_unit_test_setup_teardown(test_approvals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_branch_control, setup, teardown),
		cmocka_unit_test_setup_teardown(test_business_hours, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rest_check, setup, teardown),
		cmocka_unit_test_setup_teardown(test_required_template, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exclusive_lock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sequential_lock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_roles, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_decisions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plan_shows_authorization, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
