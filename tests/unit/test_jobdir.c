/*
 * test_jobdir.c - the job directory module and the one spawn helper.
 *
 * The job record: written and read back unchanged, and read by job.c's
 * readers; a hostile record (a symbolic link, another owner, readable by
 * others, a FIFO, bad JSON, a field of the wrong type, more than 1 MiB)
 * refused with a message naming the file and the field; a server's job,
 * a local one and none (ended) told apart.  Pid files: the
 * one liveness check says dead for a dead pid and for a live process that
 * merely has the pid (a reused pid), which job-end then never signals;
 * a live keeper is stopped.  Spawn: the child gets exactly the
 * environment array given and nothing of ours, the descriptors given and
 * no other, its working directory and umask, on both of its ways
 * (posix_spawn and fork); a daemon is not our child; work run in a forked
 * copy sees none of our descriptors but its report pipe.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include <svcconn/svcconn.h>
#include <svcconn/jobdir.h>

#include "testutil.h"
#include "util/child.h"
#include "util/jobdir.h"
#include "util/spawn.h"

/* A job record shaped as job-start writes it. */
static const char record_text[] =
	"{\"pipeline\": \"ci\", \"runId\": \"7\", \"stage\": null, \"job\": \"build\","
	" \"holder\": \"ci/7\", \"locks\": false,"
	" \"connections\": [\"c1\", \"c2\"], \"startedAt\": \"2026-01-01T00:00:00Z\","
	" \"branch\": \"refs/heads/main\", \"requestedBy\": \"tester\","
	" \"jobId\": \"j\", \"planId\": \"p\", \"reason\": \"Manual\","
	" \"project\": \"default\", \"collectionUri\": \"https://x.invalid/\","
	" \"isolation\": \"none\","
	" \"steps\": [{\"index\": 0, \"name\": \"one\", \"displayName\": null,"
	"   \"kind\": \"script\", \"task\": null, \"taskDir\": null, \"handler\": null,"
	"   \"target\": null, \"body\": \"echo hi\", \"workingDirectory\": null,"
	"   \"inputs\": {\"a\": \"b\"}, \"env\": {\"E\": \"v\"}, \"connections\": [\"c1\"]}],"
	" \"variables\": [{\"name\": \"V\", \"value\": \"w\"}]}";

/* A new job directory (0700) and the path of its record. */
static char *new_job(char **record)
{
	char *dir = tu_mkdtemp();

	*record = tu_path(dir, "job.json");
	return dir;
}

/* The record holding text, then svc_job_env's and jobdir_record_read's
 * refusal: both fail with rc, and the message holds every word given. */
static void refused(const char *dir, int rc, const char *w1, const char *w2)
{
	svc_env *e = NULL;
	json_t *r = NULL;

	assert_int_equal(jobdir_record_read(&r, dir), rc);
	assert_null(r);
	assert_non_null(strstr(svc_error_last(), w1));
	if (w2)
		assert_non_null(strstr(svc_error_last(), w2));
	/* job.c's readers get the same refusal */
	assert_int_equal(svc_job_env(&e, dir), rc);
	assert_null(e);
	assert_non_null(strstr(svc_error_last(), w1));
	assert_int_equal(svc_job_has_connection(dir, "c1"), 0);
}

static void test_record_round_trip(void **state)
{
	json_error_t jerr;
	json_t *in = json_loads(record_text, 0, &jerr), *out = NULL;
	struct stat sb;
	char *rec, *dir = new_job(&rec);

	(void)state;
	assert_non_null(in);
	assert_int_equal(jobdir_record_write(dir, in), 0);
	assert_int_equal(stat(rec, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(jobdir_record_read(&out, dir), 0);
	assert_true(json_equal(in, out));
	/* job.c reads it through the module */
	assert_int_equal(svc_job_has_connection(dir, "c2"), 1);
	assert_int_equal(svc_job_has_connection(dir, "c3"), 0);
	/* removed, it is gone: no job was started there */
	assert_int_equal(jobdir_record_remove(dir), 0);
	assert_int_equal(jobdir_record_remove(dir), 0);
	json_decref(out);
	out = NULL;
	assert_int_equal(jobdir_record_read(&out, dir), SVC_ENOTFOUND);
	assert_non_null(strstr(svc_error_last(), "no job was started"));
	json_decref(in);
	tu_rm_rf(dir);
	free(dir);
	free(rec);
}

/*
 * svc_job_server_id tells three cases apart: a server's job (0, its id
 * and project URL), a local job (1), and no job running there (ended by
 * job-end, which removes the record; SVC_ENOTFOUND saying so).
 */
static void test_server_id(void **state)
{
	svc_job_options o;
	json_error_t jerr;
	json_t *in = json_loads(record_text, 0, &jerr);
	char *rec, *dir = new_job(&rec), *id = NULL, *url = NULL;

	(void)state;
	assert_non_null(in);
	assert_int_equal(jobdir_record_write(dir, in), 0);
	assert_int_equal(svc_job_server_id(&id, &url, dir), 1);
	assert_null(id);
	assert_null(url);
	assert_int_equal(jobdir_record_remove(dir), 0);
	assert_int_equal(svc_job_server_id(NULL, NULL, dir), SVC_ENOTFOUND);
	assert_non_null(strstr(svc_error_last(), "no job is running in '"));
	assert_non_null(strstr(svc_error_last(), "': it has ended (job-end), or none was started there"));
	/* adopted from a server (steps as the user's: no sandbox probe) */
	memset(&o, 0, sizeof(o));
	o.version = SVC_JOB_OPTIONS_VERSION;
	o.job_dir = dir;
	o.steps_see_store = 1;
	assert_int_equal(svc_job_adopt(&o, record_text, "job-42",
				       "https://srv.example/org/", "proj", NULL),
			 0);
	assert_int_equal(svc_job_server_id(&id, &url, dir), 0);
	assert_string_equal(id, "job-42");
	assert_string_equal(url, "https://srv.example/org/proj");
	free(id);
	free(url);
	json_decref(in);
	tu_rm_rf(dir);
	free(dir);
	free(rec);
}

static void test_record_symlink(void **state)
{
	char *rec, *dir = new_job(&rec), *other = tu_path(dir, "elsewhere.json");

	(void)state;
	tu_write_file(other, record_text);
	assert_int_equal(symlink(other, rec), 0);
	refused(dir, SVC_EINSECURE, rec, "symbolic link");
	tu_rm_rf(dir);
	free(dir);
	free(rec);
	free(other);
}

static void test_record_owner_and_mode(void **state)
{
	char *rec, *dir = new_job(&rec);

	(void)state;
	tu_write_file(rec, record_text);
	assert_int_equal(chmod(rec, 0644), 0);
	refused(dir, SVC_EINSECURE, rec, "permissions 0644 for job record");
	assert_int_equal(chmod(rec, 0600), 0);
	if (geteuid() == 0) {
		/* CI runs as root, which may give the file away */
		assert_int_equal(chown(rec, 65534, 65534), 0);
		refused(dir, SVC_EINSECURE, rec, "owned by uid 65534");
	}
	unlink(rec);
	assert_int_equal(mkfifo(rec, 0600), 0);
	refused(dir, SVC_EINSECURE, rec, "not a regular file");
	tu_rm_rf(dir);
	free(dir);
	free(rec);
}

static void test_record_bad_json(void **state)
{
	char *rec, *dir = new_job(&rec);

	(void)state;
	tu_write_file(rec, "{\"connections\": [\"c1\"],\n");
	refused(dir, SVC_EINVALID, rec, "not JSON");
	tu_write_file(rec, "[\"c1\"]");
	refused(dir, SVC_EINVALID, rec, "not a JSON object");
	tu_write_file(rec, "{\"connections\": [\"c1\"], \"job\": \"a\", \"job\": \"b\"}");
	refused(dir, SVC_EINVALID, rec, "not JSON");
	tu_rm_rf(dir);
	free(dir);
	free(rec);
}

/* Fields of the wrong type, each named in the refusal. */
static void test_record_fields(void **state)
{
	static const struct { const char *text, *field; } cases[] = {
		{ "{\"pipeline\": \"p\"}", "field 'connections' is missing" },
		{ "{\"connections\": \"c1\"}", "field 'connections' is not an array of strings" },
		{ "{\"connections\": [\"c1\", 2]}", "field 'connections' is not an array of strings" },
		{ "{\"connections\": [], \"holder\": 1}", "field 'holder' is not a string" },
		{ "{\"connections\": [], \"locks\": \"yes\"}", "field 'locks' is not true or false" },
		{ "{\"connections\": [], \"steps\": {}}", "field 'steps' is not an array of objects" },
		{ "{\"connections\": [], \"steps\": [7]}", "field 'steps[0]' is not an object" },
		{ "{\"connections\": [], \"steps\": [{\"index\": 0}, {\"index\": \"1\"}]}",
		  "field 'steps[1].index' is not an integer" },
		{ "{\"connections\": [], \"steps\": [{\"name\": \"x\"}]}",
		  "field 'steps[0].index' is missing" },
		{ "{\"connections\": [], \"steps\": [{\"index\": 0, \"inputs\": {\"a\": []}}]}",
		  "field 'steps[0].inputs' is not an object of strings" },
		{ "{\"connections\": [], \"variables\": [{\"name\": \"V\"}]}",
		  "field 'variables[0].value' is missing" },
	};
	char *rec, *dir = new_job(&rec);
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tu_write_file(rec, cases[i].text);
		refused(dir, SVC_EINVALID, rec, cases[i].field);
	}
	tu_rm_rf(dir);
	free(dir);
	free(rec);
}

static void test_record_oversized(void **state)
{
	char *rec, *dir = new_job(&rec), *big;
	size_t n = JOBDIR_RECORD_MAX + 1;

	(void)state;
	/* valid JSON, one byte too long */
	big = malloc(n + 1);
	assert_non_null(big);
	memset(big, ' ', n);
	memcpy(big, "{\"connections\": []}", 19);
	big[n] = '\0';
	tu_write_file(rec, big);
	refused(dir, SVC_EINVALID, rec, "larger than 1048576 bytes");
	big[n - 1] = '\0';
	tu_write_file(rec, big);
	{
		json_t *r = NULL;

		assert_int_equal(jobdir_record_read(&r, dir), 0);
		json_decref(r);
	}
	free(big);
	tu_rm_rf(dir);
	free(dir);
	free(rec);
}

/* ---- pid files ------------------------------------------------------------ */

/* Write "pid\n" into name of dir, as a stale pid file. */
static void write_pid(const char *dir, const char *name, long pid)
{
	char text[32], *p = tu_path(dir, name);

	snprintf(text, sizeof(text), "%ld\n", pid);
	tu_write_file(p, text);
	free(p);
}

static int exists(const char *dir, const char *name)
{
	char *p = tu_path(dir, name);
	int e = access(p, F_OK) == 0;

	free(p);
	return e;
}

static void test_keeper_dead_pid(void **state)
{
	char *dir = tu_mkdtemp();
	pid_t pid = fork();
	int dirfd;

	(void)state;
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	/* the keeper died without removing its file: its pid is nobody's */
	write_pid(dir, JOBDIR_KEEPER_PID, pid);
	assert_int_equal(jobdir_open(&dirfd, dir), 0);
	assert_int_equal(jobdir_pid_alive(dirfd, JOBDIR_KEEPER_PID, NULL), 0);
	close(dirfd);
	assert_int_equal(svc_jobdir_keeper_stop(dir), 0);
	assert_false(exists(dir, JOBDIR_KEEPER_PID));
	tu_rm_rf(dir);
	free(dir);
}

static void test_keeper_reused_pid(void **state)
{
	static char *const argv[] = { "/bin/sleep", "30", NULL };
	static char *const envp[] = { NULL };
	struct spawn sp = SPAWN_INIT;
	char *dir = tu_mkdtemp();
	int dirfd, status;
	pid_t other;

	(void)state;
	/* a process that is not the keeper has the pid the file names */
	sp.argv = argv;
	sp.envp = envp;
	assert_int_equal(spawn_start(&other, &sp), 0);
	write_pid(dir, JOBDIR_KEEPER_PID, other);
	assert_int_equal(jobdir_open(&dirfd, dir), 0);
	assert_int_equal(jobdir_pid_alive(dirfd, JOBDIR_KEEPER_PID, NULL), 0);
	assert_int_equal(jobdir_pid_stop(dirfd, JOBDIR_KEEPER_PID, 100), 0);
	close(dirfd);
	/* job-end's stop: nothing signalled, the stale file removed */
	assert_int_equal(svc_jobdir_keeper_stop(dir), 0);
	assert_false(exists(dir, JOBDIR_KEEPER_PID));
	assert_int_equal(waitpid(other, &status, WNOHANG), 0);
	assert_int_equal(kill(other, 0), 0);
	kill(other, SIGKILL);
	assert_int_equal(waitpid(other, &status, 0), other);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	tu_rm_rf(dir);
	free(dir);
}

static void test_keeper_live(void **state)
{
	char *dir = tu_mkdtemp();
	int dirfd, status, fd, i, alive = 0;
	pid_t keeper;

	(void)state;
	keeper = fork();
	assert_true(keeper >= 0);
	if (keeper == 0) {
		if (svc_jobdir_keeper_take(&fd, dir) != 0)
			_exit(1);
		for (;;)
			pause();
	}
	assert_int_equal(jobdir_open(&dirfd, dir), 0);
	for (i = 0; i < 250 && !alive; i++) {
		struct timespec ts = { 0, 20 * 1000 * 1000 };

		if (!(alive = jobdir_pid_alive(dirfd, JOBDIR_KEEPER_PID, NULL)))
			nanosleep(&ts, NULL);
	}
	assert_true(alive);
	/* a second keeper is refused while the first lives */
	assert_int_equal(jobdir_pid_take(&fd, dirfd, JOBDIR_KEEPER_PID), SVC_EEXISTS);
	close(dirfd);
	assert_int_equal(svc_jobdir_keeper_stop(dir), 1);
	assert_int_equal(waitpid(keeper, &status, 0), keeper);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
	assert_false(exists(dir, JOBDIR_KEEPER_PID));
	/* and a new one may take it, and let it go */
	assert_int_equal(svc_jobdir_keeper_take(&fd, dir), 0);
	assert_true(exists(dir, JOBDIR_KEEPER_PID));
	svc_jobdir_keeper_release(fd, dir);
	assert_false(exists(dir, JOBDIR_KEEPER_PID));
	tu_rm_rf(dir);
	free(dir);
}

/* ---- spawn ---------------------------------------------------------------- */

/*
 * Run sp with its stdout on a pipe; its output into out (NUL-ended), its
 * exit status returned.
 */
static int run_capture(struct spawn *sp, char *out, size_t max)
{
	int p[2], status;
	size_t got = 0;
	ssize_t n;
	pid_t pid;

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	sp->fd[1] = p[1];
	assert_int_equal(spawn_start(&pid, sp), 0);
	close(p[1]);
	while (got < max - 1 && (n = read(p[0], out + got, max - 1 - got)) > 0)
		got += (size_t)n;
	out[got] = '\0';
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void test_spawn_environment_exact(void **state)
{
	static char *const argv[] = { "/usr/bin/env", NULL };
	static char *const envp[] = { "ONE=1", "TWO=two words", NULL };
	static char *const none[] = { NULL };
	struct spawn sp = SPAWN_INIT;
	char out[4096];
	pid_t pid;

	(void)state;
	setenv("SVC_PARENT_ONLY", "must-not-reach-the-child", 1);
	sp.argv = argv;
	sp.envp = envp;
	assert_int_equal(run_capture(&sp, out, sizeof(out)), 0);
	assert_string_equal(out, "ONE=1\nTWO=two words\n");
	/* the same through fork (a umask asks for it) */
	sp.flags = SPAWN_UMASK;
	sp.umask = 077;
	assert_int_equal(run_capture(&sp, out, sizeof(out)), 0);
	assert_string_equal(out, "ONE=1\nTWO=two words\n");
	/* an empty environment is empty, on both ways */
	sp.envp = none;
	sp.flags = 0;
	assert_int_equal(run_capture(&sp, out, sizeof(out)), 0);
	assert_string_equal(out, "");
	sp.flags = SPAWN_UMASK;
	assert_int_equal(run_capture(&sp, out, sizeof(out)), 0);
	assert_string_equal(out, "");
	/* and none at all is refused, never taken for ours */
	sp.envp = NULL;
	assert_int_equal(spawn_start(&pid, &sp), SVC_EINVALID);
	unsetenv("SVC_PARENT_ONLY");
}

static void test_spawn_descriptors(void **state)
{
	static char *const probe[] = { "/bin/sh", "-c",
		"echo passed >&5; if (: >&6) 2>/dev/null; then echo open6; fi;"
		" if (: >&4) 2>/dev/null; then echo open4; fi", NULL };
	static char *const envp[] = { "PATH=/usr/bin:/bin", NULL };
	struct spawn sp = SPAWN_INIT;
	char out[256], got[64];
	int p[2], leak, six, round;
	ssize_t n;

	(void)state;
	/* descriptors of ours, not close-on-exec: never in the child */
	leak = open("/dev/null", O_WRONLY);
	assert_true(leak >= 0);
	six = dup2(leak, 6);
	assert_int_equal(six, 6);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	for (round = 0; round < 2; round++) {
		sp.argv = probe;
		sp.envp = envp;
		sp.pass_fd = p[1];
		sp.pass_as = 5;
		sp.flags = round ? SPAWN_UMASK : 0;
		sp.umask = 077;
		assert_int_equal(run_capture(&sp, out, sizeof(out)), 0);
		assert_null(strstr(out, "open6"));
		assert_null(strstr(out, "open4"));
		n = read(p[0], got, sizeof(got) - 1);
		assert_int_equal(n, 7);
		got[n] = '\0';
		assert_string_equal(got, "passed\n");
	}
	close(p[0]);
	close(p[1]);
	close(six);
	close(leak);
}

static void test_spawn_cwd_umask_search(void **state)
{
	static char *const pwd[] = { "pwd", NULL };
	static char *const um[] = { "/bin/sh", "-c", "umask", NULL };
	static char *const missing[] = { "svc-no-such-program", NULL };
	static char *const envp[] = { NULL };
	struct spawn sp = SPAWN_INIT;
	char out[4096], *dir = tu_mkdtemp(), *real = realpath(dir, NULL);
	pid_t pid;

	(void)state;
	sp.argv = pwd;
	sp.envp = envp;
	sp.cwd = dir;
	sp.flags = SPAWN_SEARCH;
	assert_int_equal(run_capture(&sp, out, sizeof(out)), 0);
	assert_int_equal(strlen(out), strlen(real) + 1);
	assert_memory_equal(out, real, strlen(real));
	sp.flags = SPAWN_SEARCH | SPAWN_UMASK;
	sp.umask = 022;
	assert_int_equal(run_capture(&sp, out, sizeof(out)), 0);
	assert_memory_equal(out, real, strlen(real));
	sp.argv = um;
	sp.cwd = NULL;
	sp.flags = SPAWN_UMASK;
	sp.umask = 027;
	assert_int_equal(run_capture(&sp, out, sizeof(out)), 0);
	assert_string_equal(out, "0027\n");
	sp.umask = 0;
	assert_int_equal(run_capture(&sp, out, sizeof(out)), 0);
	assert_string_equal(out, "0000\n");
	/* a program that is nowhere: an error naming it, errno the reason */
	sp.argv = missing;
	sp.fd[1] = -1;
	sp.flags = SPAWN_SEARCH;
	assert_int_equal(spawn_start(&pid, &sp), SVC_ERROR);
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(svc_error_last(), "svc-no-such-program"));
	tu_rm_rf(dir);
	free(dir);
	free(real);
}

static void test_spawn_detach(void **state)
{
	char *dir = tu_mkdtemp(), *file = tu_path(dir, "ppid"), *text = NULL;
	char script[512];
	char *argv[] = { "/bin/sh", "-c", script, NULL };
	static char *const envp[] = { "PATH=/usr/bin:/bin", NULL };
	struct spawn sp = SPAWN_INIT;
	pid_t pid = -1;
	int i;

	(void)state;
	/* the daemon says its parent and its session: not us, its own */
	snprintf(script, sizeof(script),
		 "cut -d' ' -f4,6 /proc/$$/stat > %s.tmp; echo \"$$\" >> %s.tmp;"
		 " mv %s.tmp %s", file, file, file, file);
	sp.argv = argv;
	sp.envp = envp;
	sp.flags = SPAWN_DETACH;
	assert_int_equal(spawn_start(&pid, &sp), 0);
	assert_int_equal(pid, 0);
	for (i = 0; i < 500 && !(text = tu_read_file(file, NULL)); i++) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };

		nanosleep(&ts, NULL);
	}
	assert_non_null(text);
	{
		long ppid = 0, sid = 0, self = 0;

		assert_int_equal(sscanf(text, "%ld %ld %ld", &ppid, &sid, &self), 3);
		assert_true(ppid != (long)getpid());
		assert_int_equal(sid, self);
	}
	free(text);
	tu_rm_rf(dir);
	free(dir);
	free(file);
}

/* In the forked copy: report whether descriptor 6 of ours is open there. */
static void report_fd6(int fd, void *arg)
{
	(void)arg;
	dprintf(fd, "%s", fcntl(6, F_GETFD) < 0 ? "closed" : "open");
}

static void test_spawn_function(void **state)
{
	char report[64];
	int six, timed_out = 1;

	(void)state;
	six = open("/dev/null", O_RDONLY);
	assert_true(six >= 0);
	if (six != 6) {
		assert_int_equal(dup2(six, 6), 6);
		close(six);
	}
	assert_int_equal(child_report(report, sizeof(report) - 1, 5000, &timed_out,
				      report_fd6, NULL), 0);
	assert_int_equal(timed_out, 0);
	assert_string_equal(report, "closed");
	close(6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_round_trip),
		cmocka_unit_test(test_server_id),
		cmocka_unit_test(test_record_symlink),
		cmocka_unit_test(test_record_owner_and_mode),
		cmocka_unit_test(test_record_bad_json),
		cmocka_unit_test(test_record_fields),
		cmocka_unit_test(test_record_oversized),
		cmocka_unit_test(test_keeper_dead_pid),
		cmocka_unit_test(test_keeper_reused_pid),
		cmocka_unit_test(test_keeper_live),
		cmocka_unit_test(test_spawn_environment_exact),
		cmocka_unit_test(test_spawn_descriptors),
		cmocka_unit_test(test_spawn_cwd_umask_search),
		cmocka_unit_test(test_spawn_detach),
		cmocka_unit_test(test_spawn_function),
	};

	umask(077);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
