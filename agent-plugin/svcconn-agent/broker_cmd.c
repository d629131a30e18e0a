/*
 * broker_cmd.c - `svcconn-agent broker`, the per-job broker daemon
 * (hidden), and the two calls job-start and job-end make about it.
 *
 *   svcconn-agent broker --job-dir DIR [--home DIR] [--watch-pid PID]
 *                        [--deadline SECONDS]
 *
 * job-start runs agent_broker_start() for every granted job (the broker
 * also keeps the step variables its steps pass on); `run`, which keeps
 * those itself, only for a job with a git-capable or SSH connection.  It
 * starts this program again as "broker" with a fresh environment (only
 * where the store is), detached in its own session with every descriptor
 * closed, and waits until the broker answers a ping, so that the job's
 * first step finds it.  The daemon hardens itself (no core dumps, not
 * dumpable, umask 077), locks its memory when it may, and serves until the
 * job ends (svc_broker_serve, svcconn/broker.h).
 * job-end runs agent_broker_stop().  Notes go to <job_dir>/broker.log
 * (0600); they never hold a secret.
 *
 * SSH connections: before anything starts, agent_broker_start refuses a
 * job with an SSH connection that pins no host key (svc_broker_ssh_check,
 * whose message says how to pin one); after the broker answers, it writes
 * the job's known_hosts and starts the job's ssh-agent with every key
 * (svc_broker_ssh_start), passphrases answered by svcconn-askpass next to
 * this program, which asks the broker.  agent_broker_stop kills the agent.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <strings.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <svcconn/svcconn.h>

#include "daemon.h"
#include <svcconn/broker.h>
#include <svcconn/remote.h>

#include <jansson.h>

#define HELPER_NAME "git-credential-svcconn"
#define ASKPASS_NAME "svcconn-askpass"
#define READY_WAIT_MS 5000

int agent_broker_main(int argc, char **argv);
int agent_broker_start(const char *self, const char *job_dir, const char *home,
		       svc_store *st, const svc_catalog *cat, int always);
int agent_broker_stop(const char *job_dir);
int agent_broker_start_server(const char *self, const char *job_dir,
			      const svc_remote_job *rj, const char *server,
			      const char *config_dir);

/* Set by SIGTERM, SIGINT and SIGHUP: the broker ends, wiping. */
static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

/* The broker's log: one line per note in <job_dir>/broker.log. */
struct log_ctx {
	int fd;   /**< broker.log, or -1 */
};

static void log_note(void *ctx, const char *message)
{
	struct log_ctx *l = ctx;
	char at[32], line[1024];
	time_t now = time(NULL);
	struct tm tm;
	int n;

	if (l->fd < 0)
		return;
	gmtime_r(&now, &tm);
	strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", &tm);
	n = snprintf(line, sizeof(line), "%s broker[%ld]: %s\n", at,
		     (long)getpid(), message);
	if (n > 0 && write(l->fd, line, (size_t)n < sizeof(line) ? (size_t)n
			   : sizeof(line) - 1) < 0)
		return;
}

/* Lock all memory when this process may (root, or no limit). */
static void lock_memory(void)
{
	struct rlimit rl;

	if (geteuid() == 0 ||
	    (getrlimit(RLIMIT_MEMLOCK, &rl) == 0 && rl.rlim_cur == RLIM_INFINITY))
		mlockall(MCL_CURRENT | MCL_FUTURE);
}

/* The absolute path of program name next to self, or NULL. */
static char *program_next_to(const char *self, const char *name)
{
	char *copy = strdup(self), *dir, *out = NULL;
	size_t n;

	if (!copy)
		return NULL;
	dir = dirname(copy);
	n = strlen(dir) + strlen(name) + 2;
	if ((out = malloc(n)) != NULL) {
		snprintf(out, n, "%s/%s", dir, name);
		if (access(out, X_OK) != 0) {
			free(out);
			out = NULL;
		}
	}
	free(copy);
	return out;
}

int agent_broker_main(int argc, char **argv)
{
	enum { B_JOBDIR = 1, B_HOME, B_WATCH, B_DEADLINE, B_HELPER, B_SERVER,
	       B_CONFIG, B_SERVER_JOB };
	static const struct option opts[] = {
		{ "job-dir", required_argument, NULL, B_JOBDIR },
		{ "home", required_argument, NULL, B_HOME },
		{ "watch-pid", required_argument, NULL, B_WATCH },
		{ "deadline", required_argument, NULL, B_DEADLINE },
		{ "helper", required_argument, NULL, B_HELPER },
		{ "server", required_argument, NULL, B_SERVER },
		{ "config-dir", required_argument, NULL, B_CONFIG },
		{ "server-job", no_argument, NULL, B_SERVER_JOB },
		{ NULL, 0, NULL, 0 }
	};
	svc_store_options so;
	svc_broker_options bo;
	struct log_ctx log = { -1 };
	struct sigaction sa;
	svc_catalog *cat = NULL;
	svc_store *st = NULL;
	svc_remote *remote = NULL;
	json_t *job = NULL;
	char self[4096], logpath[4096], *helper = NULL, *end, *in = NULL;
	char *eps = NULL;
	const char *server = NULL, *config = NULL;
	size_t inlen = 0;
	ssize_t n;
	int c, rc, server_job = 0;

	memset(&so, 0, sizeof(so));
	so.version = SVC_STORE_OPTIONS_VERSION;
	memset(&bo, 0, sizeof(bo));
	bo.version = SVC_BROKER_OPTIONS_VERSION;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case B_JOBDIR: bo.job_dir = optarg; break;
		case B_HOME: so.home = optarg; break;
		case B_HELPER: bo.helper = optarg; break;
		case B_SERVER: server = optarg; break;
		case B_CONFIG: config = optarg; break;
		case B_SERVER_JOB: server_job = 1; break;
		case B_WATCH:
		case B_DEADLINE:
			errno = 0;
			if (c == B_WATCH)
				bo.watch_pid = strtol(optarg, &end, 10);
			else
				bo.deadline_seconds = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg) {
				fprintf(stderr, "svcconn-agent: error: '%s' is not a number\n",
					optarg);
				return 2;
			}
			break;
		default:
			fprintf(stderr, "usage: svcconn-agent broker --job-dir DIR [--home DIR | --server-job --config-dir DIR [--server URL]] [--watch-pid PID] [--deadline SECONDS]\n");
			return 2;
		}
	}
	if (!bo.job_dir || optind != argc) {
		fprintf(stderr, "usage: svcconn-agent broker --job-dir DIR [--home DIR | --server-job --config-dir DIR [--server URL]] [--watch-pid PID] [--deadline SECONDS]\n");
		return 2;
	}
	if (svc_process_harden() != 0) {
		fprintf(stderr, "svcconn-agent: error: %s\n", svc_error_last());
		return 1;
	}
	lock_memory();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (!bo.helper) {
		n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n > 0) {
			self[n] = '\0';
			helper = program_next_to(self, HELPER_NAME);
			bo.helper = helper;
		}
	}
	snprintf(logpath, sizeof(logpath), "%s/broker.log", bo.job_dir);
	log.fd = open(logpath, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
		      0600);
	bo.stop = &stop_flag;
	bo.log = log_note;
	bo.ctx = &log;
	if (server_job) {
		/*
		 * A job of svcconn-server: no store; the job's id, lease,
		 * token and endpoints (with their secrets) come on standard
		 * input, once, and live in this process's memory only.
		 */
		svc_json_wipe_on_free();
		if (!config || svc_secret_read_fd(&in, &inlen, 0) != 0 ||
		    !(job = json_loadb(in, inlen, 0, NULL)) ||
		    !json_is_array(json_object_get(job, "endpoints")) ||
		    !(eps = json_dumps(json_object_get(job, "endpoints"),
				       JSON_COMPACT)) ||
		    svc_remote_agent_open(&remote, config, server) != 0) {
			log_note(&log, "cannot read the server's job");
			rc = 1;
			goto done;
		}
		bo.endpoints = eps;
		bo.endpoints_len = strlen(eps);
		bo.job_token = json_string_value(json_object_get(job, "token"));
		bo.job_id = json_string_value(json_object_get(job, "jobId"));
		bo.lease_expires = json_integer_value(json_object_get(job, "leaseExpires"));
		bo.remote = remote;
	}
	if (svc_catalog_new(&cat) != 0 ||
	    (!server_job && (rc = svc_store_open(&st, &so)) != 0)) {
		log_note(&log, "cannot open the store");
		rc = 1;
		goto done;
	}
	rc = svc_broker_serve(&bo, st, cat);
	if (rc) {
		char msg[512];

		snprintf(msg, sizeof(msg), "cannot serve: %s", svc_error_last());
		log_note(&log, msg);
		fprintf(stderr, "svcconn-agent: error: broker: %s\n", svc_error_last());
	}
	rc = rc ? 1 : 0;
done:
	svc_store_free(st);
	svc_catalog_free(cat);
	svc_remote_free(remote);
	json_decref(job);
	if (eps)
		svc_secret_free(eps, strlen(eps));
	if (in)
		svc_secret_free(in, inlen);
	free(helper);
	if (log.fd >= 0)
		close(log.fd);
	return rc;
}

/*
 * The job's SSH connections: known_hosts, ssh-agent and keys (the broker
 * answers already, for passphrases).  On failure the broker is stopped,
 * keeping the error message for the caller.
 */
static int start_ssh(const char *self, const char *job_dir, svc_store *st,
		     const svc_catalog *cat)
{
	char exe[4096], *askpass = NULL;
	ssize_t n;
	int rc;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		askpass = program_next_to(exe, ASKPASS_NAME);
	} else {
		askpass = program_next_to(self, ASKPASS_NAME);
	}
	rc = svc_broker_ssh_start(st, cat, job_dir, askpass);
	free(askpass);
	if (rc) {
		/* svc_broker_stop sets no error: the caller reports ours */
		svc_broker_stop(job_dir);
		return -1;
	}
	return 0;
}

/* Wait until the broker of job_dir answers; 0 or -1. */
static int wait_ready(const char *job_dir)
{
	int waited;

	for (waited = 0; svc_broker_ping(job_dir) != 0; waited += 20) {
		struct timespec ts = { 0, 20 * 1000 * 1000 };

		if (waited >= READY_WAIT_MS)
			return -1;
		nanosleep(&ts, NULL);
	}
	return 0;
}

int agent_broker_start(const char *self, const char *job_dir, const char *home,
		       svc_store *st, const svc_catalog *cat, int always)
{
	int wanted = always, rc = 0;

	/* an SSH connection without a pinned host key: nothing starts */
	if (svc_broker_ssh_check(st, cat, job_dir) != 0 ||
	    (!always && svc_broker_wanted(&wanted, st, cat, job_dir) != 0))
		return -1;
	if (!wanted)
		return 0;
	if (agent_start_daemon(self, "broker", job_dir, home) != 0)
		return -1;
	/* the first step must find it: wait until it answers */
	rc = wait_ready(job_dir);
	if (!rc)
		rc = start_ssh(self, job_dir, st, cat);
	return rc;
}

int agent_broker_start_server(const char *self, const char *job_dir,
			      const svc_remote_job *rj, const char *server,
			      const char *config_dir)
{
	const char *extra[] = { "--server-job", "--config-dir", config_dir,
		server ? "--server" : NULL, server, NULL };
	json_t *eps = json_loadb(rj->endpoints, rj->endpoints_len, 0, NULL);
	json_t *e, *job;
	char *text = NULL;
	size_t i;
	int p[2] = { -1, -1 }, rc = -1;

	json_array_foreach(eps, i, e) {
		const char *type = json_string_value(json_object_get(e, "type"));

		if (type && !strcasecmp(type, "ssh")) {
			fprintf(stderr, "svcconn-agent: error: connection '%s' is an SSH connection: a job of svcconn-server cannot use one yet\n",
				json_string_value(json_object_get(e, "name")));
			json_decref(eps);
			return -1;
		}
	}
	job = json_pack("{s:s, s:I, s:s%, s:o}", "jobId", rj->id,
			"leaseExpires", (json_int_t)rj->lease_expires, "token",
			rj->token, rj->token_len, "endpoints", eps);
	if (!job || !(text = json_dumps(job, JSON_COMPACT)) || pipe2(p, O_CLOEXEC))
		goto done;
	if (agent_start_daemon_ex(self, "broker", job_dir, NULL, extra, p[0]))
		goto done;
	close(p[0]);
	p[0] = -1;
	if (svc_write_all(p[1], text, strlen(text), READY_WAIT_MS) != 0)
		goto done;
	close(p[1]);
	p[1] = -1;
	rc = wait_ready(job_dir);
done:
	if (p[0] >= 0)
		close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
	if (text)
		svc_secret_free(text, strlen(text));
	json_decref(job);
	return rc;
}

int agent_broker_stop(const char *job_dir)
{
	int rc = svc_broker_ssh_stop(job_dir);

	return svc_broker_stop(job_dir) || rc ? -1 : 0;
}
