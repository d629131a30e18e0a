/*
 * fleetagent.c - one agent of tests/integration/fleet_pg.sh: a registered
 * agent running its jobs on two servers through svcconn's API client, the
 * calls svcconn-agent makes (svc_remote_agent_open with the agent's
 * credential, svc_remote_job_start, svc_remote_job_complete), without the
 * broker and the sandbox svcconn-agent puts around each job
 * (server_agent_run.sh covers those; here they would cost seconds of CPU
 * a job, minutes for 200 jobs on two loaded cores).
 *
 *   fleetagent CONFIG_DIR URL_A URL_B PIPELINES LOCKS N PHASE JOBS
 *
 * Job J (1..JOBS) of agent N is run PHASE*10000 + N*1000 + J, of pipeline
 * "fleet" with the YAML of PIPELINES/CONN.yml (CONN regA when J + N/2 is
 * odd, else regB: agents 0 and 1 want one connection while 2 and 3 want
 * the other, each pair from both servers), requested by alice, started
 * on server (N + J) % 2: a 202 is
 * asked again there after a pause, a failure (no answer, a 5xx) on the
 * other server.  Once granted, its step: mkdir LOCKS/CONN (it fails when
 * the directory exists: another run holds the lock at the same time), a
 * pause, rmdir; then the job is completed, Succeeded (Failed when the
 * mkdir failed) on the server that granted it.  A completion that gets no
 * answer is not asked again: the job ends by its lease.
 *
 * One line an event on standard output (errors' messages on standard
 * error): "TIME start RUN SERVER CODE [JOBID]" (CODE as svcconn-agent
 * job-start's exit: 0 granted, 3 needs permission, 4 waiting, 5 denied,
 * 2 invalid, 1 failed), "TIME step RUN CODE" (0, or 9: the lock directory
 * existed), "TIME end RUN CODE" (0 recorded, 1 not).  Exits 0 once every
 * job has ended, 2 on bad arguments.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "svcconn/errors.h"
#include "svcconn/remote.h"

#define YAML_MAX 65536       /* a pipeline file */
#define WAIT_MS 250          /* between attempts of a waiting job */
#define RETRY_MS 300         /* after a server did not answer */
#define STEP_MS 50           /* the step holds the lock directory */

static void pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Print one event line: the time, what, the run, the rest. */
static void event(const char *what, const char *run, const char *rest)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	printf("%lld.%06ld %s %s %s\n", (long long)ts.tv_sec,
	       ts.tv_nsec / 1000, what, run, rest);
	fflush(stdout);
}

/* The pipeline file path into buf (at most YAML_MAX bytes): its length. */
static size_t read_yaml(char *buf, const char *path)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f) {
		fprintf(stderr, "fleetagent: cannot open '%s': %s\n", path,
			strerror(errno));
		exit(2);
	}
	n = fread(buf, 1, YAML_MAX - 1, f);
	fclose(f);
	buf[n] = 0;
	return n;
}

/* The exit code svcconn-agent job-start gives for rc and status. */
static int start_code(int rc, const svc_remote_job *j)
{
	if (rc == SVC_EDENIED)
		return 5;
	if (rc == SVC_EINVALID)
		return 2;
	if (rc)
		return 1;
	switch (j->status) {
	case SVC_GATE_GRANTED: return 0;
	case SVC_GATE_NEEDS_PERMISSION: return 3;
	case SVC_GATE_WAITING: return 4;
	default: return 5;
	}
}

/* The step: 0, or 9 when the lock directory existed. */
static int step(const char *dir)
{
	if (mkdir(dir, 0700) != 0) {
		fprintf(stderr, "fleetagent: lock violation: mkdir '%s': %s\n",
			dir, strerror(errno));
		return 9;
	}
	pause_ms(STEP_MS);
	if (rmdir(dir) != 0) {
		fprintf(stderr, "fleetagent: rmdir '%s': %s\n", dir,
			strerror(errno));
		return 9;
	}
	return 0;
}

/* Job j of agent n, until it ended (whatever its result). */
static void run_job(svc_remote *r[2], const char *pipelines,
		    const char *locks, int n, int phase, int j)
{
	static char yaml[YAML_MAX];
	const char *conn = (j + n / 2) % 2 ? "regA" : "regB";
	char run[32], path[4096], rest[128];
	svc_job_request req;
	svc_remote_job *job = NULL;
	int srv = (n + j) % 2, code, rc;

	snprintf(run, sizeof(run), "%d", phase * 10000 + n * 1000 + j);
	snprintf(path, sizeof(path), "%s/%s.yml", pipelines, conn);
	memset(&req, 0, sizeof(req));
	req.pipeline = "fleet";
	req.yaml = yaml;
	req.yaml_len = read_yaml(yaml, path);
	req.job = "Build";
	req.run_id = run;
	req.requested_by = "alice";
	for (;;) {
		rc = svc_remote_job_start(&job, r[srv], &req);
		code = start_code(rc, job);
		snprintf(rest, sizeof(rest), "%d %d %s", srv, code,
			 code == 0 ? job->id : "");
		event("start", run, rest);
		if (code == 0)
			break;
		if (rc)
			fprintf(stderr, "fleetagent: run %s: %s\n", run,
				svc_error_last());
		svc_remote_job_free(job);
		job = NULL;
		if (code == 4) {
			pause_ms(WAIT_MS);
		} else if (code == 1) {
			srv = 1 - srv;
			pause_ms(RETRY_MS);
		} else {
			return; /* refused: the run ends here */
		}
	}
	snprintf(path, sizeof(path), "%s/%s", locks, conn);
	code = step(path);
	snprintf(rest, sizeof(rest), "%d", code);
	event("step", run, rest);
	rc = svc_remote_job_complete(r[srv], job->id,
				     code ? "Failed" : "Succeeded");
	if (rc)
		fprintf(stderr, "fleetagent: run %s: job %s: %s\n", run,
			job->id, svc_error_last());
	event("end", run, rc ? "1" : "0");
	svc_remote_job_free(job);
}

/* The number in s, or exit 2. */
static int number(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (!*s || *end || v < 0 || v > 9999) {
		fprintf(stderr, "fleetagent: '%s' is not a number from 0 to 9999\n", s);
		exit(2);
	}
	return (int)v;
}

int main(int argc, char **argv)
{
	svc_remote *r[2] = { NULL, NULL };
	int i, n, phase, jobs;

	if (argc != 9) {
		fprintf(stderr, "usage: fleetagent CONFIG_DIR URL_A URL_B PIPELINES LOCKS N PHASE JOBS\n");
		return 2;
	}
	n = number(argv[6]);
	phase = number(argv[7]);
	jobs = number(argv[8]);
	for (i = 0; i < 2; i++)
		if (svc_remote_agent_open(&r[i], argv[1], argv[2 + i])) {
			fprintf(stderr, "fleetagent: %s\n", svc_error_last());
			return 2;
		}
	for (i = 1; i <= jobs; i++)
		run_job(r, argv[4], argv[5], n, phase, i);
	svc_remote_free(r[0]);
	svc_remote_free(r[1]);
	return 0;
}
