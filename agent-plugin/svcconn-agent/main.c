/*
 * main.c - svcconn-agent, the runtime side of svcconn: the hooks a build
 * agent calls around each job.
 *
 *   job-start  resolve the job's connection references, enforce pipeline
 *              permissions and checks, record the use; exit 0 granted,
 *              2 invalid input, 3 needs permission, 4 waiting on checks,
 *              5 denied (or skipped)
 *   step       run one step of the job with its connections, passing the
 *              secret variables and endpoint changes of its logging
 *              commands on to the job's later steps through the job's
 *              broker (never a file)
 *   job-end    record the job's result, release its locks, remove its state
 *
 * With --server, job-start asks svcconn-server instead of a local store
 * (job_start_server): the server's job record goes into the job
 * directory, its connections into the job's broker's memory; step and
 * job-end then act on that job (job_end_server completes it there).
 * run --server runs a whole pipeline with the library's run loop, its
 * jobs started and ended on the server (server_job_start, server_job_end).
 *
 * A job that holds an exclusive lock gets a lease keeper: a small process
 * (this program, re-executed with a fresh environment) that renews the
 * lock's lease while the process that started the job lives, so that a
 * killed agent's lock expires instead of blocking the connection forever.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <svcconn/svcconn.h>
#include <svcconn/broker.h>
#include <svcconn/remote.h>

#include "daemon.h"

/* broker_cmd.c: the per-job broker; always: also for a job without git or
 * SSH connections (it keeps the step variables of the hooks' steps) */
int agent_broker_main(int argc, char **argv);
int agent_broker_start(const char *self, const char *job_dir, const char *home,
		       svc_store *st, const svc_catalog *cat, int always);
int agent_broker_stop(const char *job_dir);
/* mask_cmd.c: svcconn-agent mask */
int agent_mask_main(int argc, char **argv);
/* register_cmd.c: svcconn-agent register; the agent's configuration dir */
int agent_register_main(int argc, char **argv);
int agent_config_dir(char *out, size_t size, const char *given);
/* broker_cmd.c: the broker of a job of svcconn-server (its secrets) */
int agent_broker_start_server(const char *self, const char *job_dir,
			      const svc_remote_job *rj, const char *server,
			      const char *config_dir);

#define MAX_LIST 256
#define ENV_FILE_LINE_MAX 65536  /* longest line of an --env-file */
#define LAUNCHER_WAIT_MS 5000  /* how long job-start waits for the sandbox */
#define KEEPER_INTERVAL 15

enum { EXIT_GRANTED = 0, EXIT_FAILED = 1, EXIT_INVALID = 2,
       EXIT_PERMISSION = 3, EXIT_WAITING = 4, EXIT_DENIED = 5,
       EXIT_CANCELED = 6 };

/* The signal that canceled the run or the step (SIGINT, SIGTERM), or 0. */
static volatile sig_atomic_t canceled;

static void on_cancel(int sig)
{
	canceled = sig;
}

/*
 * SIGINT and SIGTERM cancel: the library kills the running step and (run)
 * runs the post-job steps; we end with 128 + the signal's number.
 */
static void catch_cancel(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_cancel;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static void usage(FILE *f)
{
	fputs("usage: svcconn-agent run PIPELINE.yml --pipeline NAME [--run-id N] [--branch REF]\n"
	      "                 [--requested-by USER] [--var K=V]... [--stage S] [--job J]\n"
	      "                 [--workdir DIR] [--tasks-dir DIR]... [--wait] [--fork [--fork-secrets]]\n"
	      "                 [--home DIR] [--let-steps-read-the-store] [--output-dir DIR]\n"
	      "       svcconn-agent run PIPELINE.yml --server URL --pipeline NAME [--commit SHA]\n"
	      "                 [--run-id N] [--config-dir DIR] [run's other options]\n"
	      "       svcconn-agent register --server URL --registration-token-file F|- --name NAME\n"
	      "                 [--ca FILE] [--config-dir DIR]   (see register --help)\n"
	      "       svcconn-agent job-start --pipeline-file F --pipeline NAME --job JOB\n"
	      "                 [--stage S] [--run-id N] [--branch REF] [--requested-by USER]\n"
	      "                 [--var K=V]... [--tasks-dir DIR]... --job-dir DIR [--home DIR]\n"
	      "                 [--format env|json] [--let-steps-read-the-store]\n"
	      "       svcconn-agent job-start --server URL --pipeline NAME [--commit SHA |\n"
	      "                 --pipeline-file F] --job JOB [--stage S] [--run-id N]\n"
	      "                 [--branch REF] [--requested-by USER] [--var K=V]...\n"
	      "                 [--fork [--fork-secrets]] --job-dir DIR\n"
	      "                 [--config-dir DIR] [--format env|json]\n"
	      "       svcconn-agent step --job-dir DIR --step ID [--home DIR] [--env-file FILE]\n"
	      "                 [--pass-env NAME]... -- COMMAND [ARG...]\n"
	      "       svcconn-agent job-end --job-dir DIR --result RESULT [--home DIR]\n"
	      "       svcconn-agent mask --secrets-file FILE < IN > OUT\n\n"
	      "run runs the pipeline here, stages and jobs in dependsOn order, each\n"
	      "stage, job and step when its condition holds (default succeeded()):\n"
	      "script and bash steps through bash, task steps through their Node or\n"
	      "Bash handler, with the job's variables and $(name) macros expanded\n"
	      "as the agent does; exit 0 when no job failed, 1 when one failed, and\n"
	      "the job-start codes otherwise (--wait asks again while checks wait:\n"
	      "every 10 s on the local store; with --server each ask waits on the\n"
	      "server, up to a minute, and returns as soon as the job may start).\n"
	      "A task's pre- and post-job handlers (prejobexecution,\n"
	      "postjobexecution) run as the agent runs them: \"Pre-job: X\" before\n"
	      "the job's first step, \"Post-job: X\" in reverse order after its\n"
	      "last, also when a step failed or the job was canceled. SIGINT or\n"
	      "SIGTERM cancels: the running step is killed, only what always() or\n"
	      "canceled() allows runs after it, the post-job steps run, the job\n"
	      "ends Canceled, and run exits with\n"
	      "128 + the signal's number.\n"
	      "--fork marks a run for a pull request from a fork: steps that use a\n"
	      "connection are skipped with the agent's message, unless the\n"
	      "pipeline makes secrets available to forks (--fork-secrets).\n"
	      "With --server, --fork, --fork-secrets and --var go to the\n"
	      "server, which decides: a fork's run of a registered pipeline\n"
	      "gets no secrets; of a trusted pool's YAML, as locally.\n"
	      "run acts on the steps' logging commands as the agent does:\n"
	      "issues are counted and shown as ##[warning]/##[error] lines,\n"
	      "task.complete sets the step's result (SucceededWithIssues still\n"
	      "exits 0), task.debug shows with System.Debug, task.prependpath\n"
	      "and build.updatebuildnumber reach the job's later steps; files\n"
	      "steps attach or upload (under the working directory or the job's\n"
	      "directories only) are copied to --output-dir DIR/JOB/TYPE/NAME,\n"
	      "or without it listed and not kept (docs/runtime.md).\n"
	      "job-start gates a job's use of service connections: pipeline\n"
	      "permissions, approvals and checks of every connection its stage uses.\n"
	      "Exit codes: 0 granted, 2 invalid input, 3 needs permission (see\n"
	      "'svcconn requests'), 4 waiting on checks (try again later), 5 denied\n"
	      "or the stage skipped. --run-id identifies the run across attempts\n"
	      "(default 'local'). Granted, it prints the job's environment as\n"
	      "KEY=VALUE lines (or a JSON object with --format json) for the\n"
	      "agent to export; it holds no secret.\n"
	      "job-start --server URL asks svcconn-server (this agent's, registered\n"
	      "with 'register'; its credential from --config-dir) to start the job:\n"
	      "the server compiles the registered pipeline NAME at --commit (the\n"
	      "head of its branch without it), or with --pipeline-file the agent's\n"
	      "YAML (trusted pools only), and gates it. Granted, the job's\n"
	      "connections and their secrets are kept only in the job's broker's\n"
	      "memory (no store, no key, no secret file on this machine), the\n"
	      "broker renews the job's lease, and each step's SystemVssConnection\n"
	      "token is the server's job token; step and job-end act on the\n"
	      "server's job (job-end completes it there). Same exit codes.\n"
	      "run --server URL runs the pipeline as run does, but starts every\n"
	      "job on the server (the run's --run-id shared, the file's YAML sent,\n"
	      "or with --commit the registered pipeline at that commit compiled\n"
	      "there) as job-start --server does, and completes it there with its\n"
	      "result; no store is opened. Same exit codes as run.\n"
	      "step runs COMMAND as step ID (its index in the job, or its name)\n"
	      "with a fresh environment: the agent's INPUT_*, ENDPOINT_*, SYSTEM_*\n"
	      "and BUILD_* variables for the connections the step's own inputs\n"
	      "reference, the job's SystemVssConnection, the job's variables and\n"
	      "the step's env:, its inputs' $(name) macros expanded; it exits with\n"
	      "the command's status (128 + the signal's number when SIGINT or\n"
	      "SIGTERM canceled it). The calling agent's own variables of its\n"
	      "predefined groups (AGENT_, BUILD_, COMMON_, PIPELINE_, RELEASE_,\n"
	      "SYSTEM_, TASK_, ENVIRONMENT_, RESOURCES_, TF_BUILD) in step's own\n"
	      "environment reach the command, then those of --env-file (KEY=VALUE\n"
	      "lines, '#' comments) and --pass-env NAME; names on the closed list\n"
	      "of docs/runtime.md are refused, and svcconn's own variables win but\n"
	      "for its stand-ins of the run's identity. Its other logging commands\n"
	      "pass through for the agent that runs it. Variables (secret, public,\n"
	      "output) and endpoint changes its logging commands set reach the\n"
	      "job's later steps through the job's broker (memory only, never a\n"
	      "file).\n"
	      "Every step runs in a sandbox (bubblewrap) where the store, its key\n"
	      "and every job's directory do not exist; it reaches the job's broker\n"
	      "only with a token of its own, for the connections it references.\n"
	      "Without bubblewrap, run and job-start refuse to start a job unless\n"
	      "--let-steps-read-the-store says that its steps may run as the\n"
	      "store's user, where they can read every secret (docs/security.md).\n"
	      "Job directories belong under the jobs root ($SVCCONN_JOBS_DIR, else\n"
	      "$XDG_RUNTIME_DIR/svcconn/jobs, else /tmp/svcconn-UID/jobs), which\n"
	      "steps cannot see; run puts them there itself.\n"
	      "mask filters standard input to standard output with the masker\n"
	      "of step output (one secret per line in FILE).\n"
	      "job-end records RESULT (Succeeded, SucceededWithIssues, Failed,\n"
	      "Canceled, Skipped, Abandoned) in the usage history and releases\n"
	      "the job's exclusive locks.\n", f);
}

static int fail(int code, const char *what)
{
	fprintf(stderr, "svcconn-agent: error: %s%s%s\n", what ? what : "",
		what ? ": " : "", svc_error_last());
	return code;
}

/* The catalog, saying which type definitions it skipped and why. */
static int catalog_new(svc_catalog **cat)
{
	const svc_diags *w;
	size_t i;
	int rc = svc_catalog_new(cat);

	for (i = 0; rc == 0 && (w = svc_catalog_warnings(*cat)) &&
		    i < svc_diags_count(w); i++) {
		char *m = svc_diag_format(svc_diags_at(w, i));

		fprintf(stderr, "svcconn-agent: %s\n", m ? m : "");
		free(m);
	}
	return rc;
}

static int exit_of(int rc)
{
	return rc == SVC_EINVALID ? EXIT_INVALID : rc == SVC_EDENIED ? EXIT_DENIED
		: EXIT_FAILED;
}

/* Options shared by the subcommands. */
struct opts {
	svc_store_options store;        /**< where the store is */
	svc_job_options job;            /**< the job */
	const char *vars[MAX_LIST];     /**< --var */
	const char *dirs[MAX_LIST];     /**< --tasks-dir */
	const char *result;             /**< --result */
	const char *step;               /**< --step */
	const char *env_file;           /**< step: --env-file */
	const char *pass[MAX_LIST];     /**< step: --pass-env */
	size_t npass;                   /**< entries in pass */
	const char *pipeline_arg;       /**< run: the pipeline file */
	const char *workdir;            /**< run: --workdir */
	const char *output_dir;         /**< run: --output-dir */
	int wait;                       /**< run: --wait */
	int fork;                       /**< run: --fork */
	int fork_secrets;               /**< run: --fork-secrets */
	int json;                       /**< --format json */
	char **command;                 /**< after --: the step's command */
	long watch_pid;                 /**< --watch-pid (keeper) */
	const char *server;             /**< --server: a job of svcconn-server */
	const char *commit;             /**< --commit (a registered pipeline) */
	const char *config_dir;         /**< --config-dir (the agent's) */
};

enum { O_FILE = 1, O_PIPELINE, O_JOB, O_STAGE, O_RUN, O_BRANCH, O_BY, O_VAR,
       O_TASKS, O_JOBDIR, O_HOME, O_RESULT, O_WATCH, O_STEP, O_FORMAT, O_WORKDIR, O_WAIT, O_FORK, O_FORK_SECRETS, O_SEE_STORE, O_ENV_FILE, O_PASS_ENV, O_OUTPUT_DIR, O_SERVER, O_COMMIT, O_CONFIG, O_HELP };

static const struct option options[] = {
	{ "pipeline-file", required_argument, NULL, O_FILE },
	{ "pipeline", required_argument, NULL, O_PIPELINE },
	{ "job", required_argument, NULL, O_JOB },
	{ "stage", required_argument, NULL, O_STAGE },
	{ "run-id", required_argument, NULL, O_RUN },
	{ "branch", required_argument, NULL, O_BRANCH },
	{ "requested-by", required_argument, NULL, O_BY },
	{ "var", required_argument, NULL, O_VAR },
	{ "tasks-dir", required_argument, NULL, O_TASKS },
	{ "job-dir", required_argument, NULL, O_JOBDIR },
	{ "home", required_argument, NULL, O_HOME },
	{ "result", required_argument, NULL, O_RESULT },
	{ "watch-pid", required_argument, NULL, O_WATCH },
	{ "step", required_argument, NULL, O_STEP },
	{ "format", required_argument, NULL, O_FORMAT },
	{ "workdir", required_argument, NULL, O_WORKDIR },
	{ "wait", no_argument, NULL, O_WAIT },
	{ "fork", no_argument, NULL, O_FORK },
	{ "fork-secrets", no_argument, NULL, O_FORK_SECRETS },
	{ "let-steps-read-the-store", no_argument, NULL, O_SEE_STORE },
	{ "env-file", required_argument, NULL, O_ENV_FILE },
	{ "pass-env", required_argument, NULL, O_PASS_ENV },
	{ "output-dir", required_argument, NULL, O_OUTPUT_DIR },
	{ "server", required_argument, NULL, O_SERVER },
	{ "commit", required_argument, NULL, O_COMMIT },
	{ "config-dir", required_argument, NULL, O_CONFIG },
	{ "help", no_argument, NULL, O_HELP },
	{ NULL, 0, NULL, 0 }
};

static int parse(struct opts *o, int argc, char **argv)
{
	int c;

	memset(o, 0, sizeof(*o));
	o->store.version = SVC_STORE_OPTIONS_VERSION;
	o->job.version = SVC_JOB_OPTIONS_VERSION;
	o->job.vars = o->vars;
	o->job.task_dirs = o->dirs;
	o->job.run_id = "local";
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", options, NULL)) != -1) {
		switch (c) {
		case O_FILE: o->job.pipeline_file = optarg; break;
		case O_PIPELINE: o->job.pipeline = optarg; break;
		case O_JOB: o->job.job = optarg; break;
		case O_STAGE: o->job.stage = optarg; break;
		case O_RUN: o->job.run_id = optarg; break;
		case O_BRANCH: o->job.branch = optarg; break;
		case O_BY: o->job.requested_by = optarg; break;
		case O_JOBDIR: o->job.job_dir = optarg; break;
		case O_HOME: o->store.home = optarg; break;
		case O_RESULT: o->result = optarg; break;
		case O_WATCH: o->watch_pid = strtol(optarg, NULL, 10); break;
		case O_STEP: o->step = optarg; break;
		case O_WORKDIR: o->workdir = optarg; break;
		case O_OUTPUT_DIR: o->output_dir = optarg; break;
		case O_WAIT: o->wait = 1; break;
		case O_FORK: o->fork = 1; break;
		case O_FORK_SECRETS: o->fork_secrets = 1; break;
		case O_SEE_STORE: o->job.steps_see_store = 1; break;
		case O_ENV_FILE: o->env_file = optarg; break;
		case O_SERVER: o->server = optarg; break;
		case O_COMMIT: o->commit = optarg; break;
		case O_CONFIG: o->config_dir = optarg; break;
		case O_PASS_ENV:
			if (o->npass == MAX_LIST) {
				fprintf(stderr, "svcconn-agent: error: too many --pass-env\n");
				return EXIT_INVALID;
			}
			o->pass[o->npass++] = optarg;
			break;
		case O_FORMAT:
			if (strcmp(optarg, "json") && strcmp(optarg, "env")) {
				fprintf(stderr, "svcconn-agent: error: --format takes env or json\n");
				return EXIT_INVALID;
			}
			o->json = !strcmp(optarg, "json");
			break;
		case O_VAR:
			if (!strchr(optarg, '=') || o->job.nvars == MAX_LIST) {
				fprintf(stderr, "svcconn-agent: error: --var takes NAME=VALUE\n");
				return EXIT_INVALID;
			}
			o->vars[o->job.nvars++] = optarg;
			break;
		case O_TASKS:
			if (o->job.ntask_dirs == MAX_LIST)
				return EXIT_INVALID;
			o->dirs[o->job.ntask_dirs++] = optarg;
			break;
		case O_HELP:
			usage(stdout);
			return -1;
		default:
			fprintf(stderr, "svcconn-agent: error: unknown or incomplete option '%s'\n",
				argv[optind - 1]);
			usage(stderr);
			return EXIT_INVALID;
		}
	}
	if (!strcmp(argv[0], "run") && optind < argc &&
	    strcmp(argv[optind - 1], "--")) {
		o->pipeline_arg = argv[optind++];
		if (optind == argc)
			return 0;
	}
	if (optind < argc && !strcmp(argv[optind - 1], "--")) {
		o->command = argv + optind;
		return 0;
	}
	if (optind != argc) {
		fprintf(stderr, "svcconn-agent: error: unexpected argument '%s'\n",
			argv[optind]);
		return EXIT_INVALID;
	}
	return 0;
}

/*
 * Start the keeper of the job's sandbox (launcher-keeper, detached, as
 * long as the process that started the job lives) and wait until its
 * launcher listens, so that the job's first step finds it.
 */
static int start_launcher_keeper(const struct opts *o, const char *self)
{
	int waited;

	if (svc_jobdir_launcher_reset(o->job.job_dir) ||
	    agent_start_daemon(self, "launcher-keeper", o->job.job_dir,
			       o->store.home) != 0)
		return -1;
	for (waited = 0; !svc_jobdir_launcher_ready(o->job.job_dir); waited += 20) {
		struct timespec ts = { 0, 20 * 1000 * 1000 };

		if (waited >= LAUNCHER_WAIT_MS)
			return -1;
		nanosleep(&ts, NULL);
	}
	return 0;
}

/* Start the lease keeper for the job in job_dir. */
static void start_keeper(const struct opts *o, const char *self)
{
	agent_start_daemon(self, "lease-keeper", o->job.job_dir, o->store.home);
}

static void print_report(const svc_gate_report *g)
{
	size_t i;

	for (i = 0; i < g->nitems; i++) {
		const svc_gate_item *it = &g->items[i];

		if (it->status == SVC_GATE_GRANTED)
			continue;
		if (it->status == SVC_GATE_NEEDS_PERMISSION)
			printf("%s\n", it->message);
		else
			printf("%s: %s check on connection '%s': %s%s%s%s\n",
			       svc_gate_status_name(it->status), it->what,
			       it->conn_name, it->message ? it->message : "",
			       it->check_run_id ? " (check run " : "",
			       it->check_run_id ? it->check_run_id : "",
			       it->check_run_id ? ")" : "");
	}
}

/* The job's environment, as KEY=VALUE lines or (--format json) JSON. */
static int print_env(const struct opts *o)
{
	svc_env *env = NULL;
	char *const *v;
	int first = 1;

	if (svc_job_env(&env, o->job.job_dir))
		return fail(EXIT_FAILED, "job environment");
	if (o->json)
		putchar('{');
	for (v = svc_env_array(env); *v; v++) {
		const char *eq = strchr(*v, '=');

		if (!o->json) {
			printf("%s\n", *v);
			continue;
		}
		printf("%s\n  \"%.*s\": \"", first ? "" : ",", (int)(eq - *v), *v);
		for (const char *p = eq + 1; *p; p++) {
			if (*p == '"' || *p == '\\')
				printf("\\%c", *p);
			else if ((unsigned char)*p < 0x20)
				printf("\\u%04x", (unsigned char)*p);
			else
				putchar(*p);
		}
		putchar('"');
		first = 0;
	}
	if (o->json)
		printf("\n}\n");
	svc_env_free(env);
	return 0;
}

/*
 * Say so when job_dir is not under the jobs root: the sandbox of this
 * job's steps hides it, but other jobs' steps hide only the jobs root.
 */
static void warn_outside_root(const char *job_dir)
{
	char *root = NULL, *abs = NULL;
	size_t n;

	if (svc_jobs_root(&root) == 0 && (abs = realpath(job_dir, NULL)) &&
	    (n = strlen(root), strncmp(abs, root, n) || abs[n] != '/'))
		fprintf(stderr, "svcconn-agent: warning: job directory '%s' is not under the jobs root '%s', so other jobs' steps can see it\n",
			job_dir, root);
	free(root);
	free(abs);
}

static int job_start(struct opts *o, const char *self)
{
	svc_catalog *cat = NULL;
	svc_store *st = NULL;
	svc_job *job = NULL;
	char *me = NULL;
	const svc_gate_report *g;
	size_t i;
	int rc, code;

	if (!o->job.pipeline_file || !o->job.pipeline || !o->job.job ||
	    !o->job.job_dir) {
		fprintf(stderr, "svcconn-agent: error: job-start needs --pipeline-file, --pipeline, --job and --job-dir\n");
		return EXIT_INVALID;
	}
	if (!o->job.requested_by && svc_identity_current(&me) == 0)
		o->job.requested_by = me;
	if (catalog_new(&cat) || (rc = svc_store_open(&st, &o->store))) {
		code = fail(EXIT_FAILED, "cannot open the store");
		goto done;
	}
	/* leftovers of brokers of killed jobs next to this one */
	svc_broker_sweep(NULL, o->job.job_dir);
	warn_outside_root(o->job.job_dir);
	rc = svc_job_start(&job, &o->job, st, cat);
	if (job && svc_diags_count(svc_job_diags(job))) {
		for (i = 0; i < svc_diags_count(svc_job_diags(job)); i++) {
			char *s = svc_diag_format(svc_diags_at(svc_job_diags(job), i));

			fprintf(stderr, "svcconn-agent: %s\n", s ? s : "");
			free(s);
		}
	}
	if (rc) {
		code = fail(exit_of(rc), "job cannot start");
		goto done;
	}
	g = svc_job_gate(job);
	print_report(g);
	switch (g->status) {
	case SVC_GATE_GRANTED:
		if (svc_job_holds_lock(job))
			start_keeper(o, self);
		if (agent_broker_start(self, o->job.job_dir, o->store.home, st, cat,
				       1)) {
			code = fail(EXIT_FAILED, "cannot start the job's broker");
			break;
		}
		/* the sandbox the job's steps share, after the broker */
		if (!o->job.steps_see_store &&
		    start_launcher_keeper(o, self)) {
			fprintf(stderr, "svcconn-agent: error: the job's sandbox did not start in %s\n",
				o->job.job_dir);
			code = EXIT_FAILED;
			break;
		}
		code = print_env(o) ? EXIT_FAILED : EXIT_GRANTED;
		break;
	case SVC_GATE_NEEDS_PERMISSION:
		code = EXIT_PERMISSION;
		break;
	case SVC_GATE_WAITING:
		printf("waiting on checks: run again later\n");
		code = EXIT_WAITING;
		break;
	case SVC_GATE_SKIPPED:
		printf("stage '%s' skipped: an approval timed out\n",
		       o->job.stage ? o->job.stage : "");
		code = EXIT_DENIED;
		break;
	default:
		printf("denied\n");
		code = EXIT_DENIED;
	}
done:
	svc_job_free(job);
	svc_store_free(st);
	svc_catalog_free(cat);
	free(me);
	return code;
}

/* The server of this registered agent (--server, --config-dir), or NULL. */
static svc_remote *agent_remote(const struct opts *o, char *dir, size_t size)
{
	svc_remote *r = NULL;

	if (agent_config_dir(dir, size, o->config_dir)) {
		fail(EXIT_FAILED, "no agent configuration directory (set HOME or --config-dir)");
		return NULL;
	}
	if (svc_remote_agent_open(&r, dir, o->server)) {
		fail(EXIT_FAILED, "cannot reach the server as this agent");
		return NULL;
	}
	return r;
}

/* The server's request for the job jo describes: its YAML, or the
 * registered pipeline at commit (NULL: its branch's head), the run's
 * --var values, and whether it is a fork's (--fork, --fork-secrets: the
 * server decides what that gets). */
static void job_request(svc_job_request *req, const svc_job_options *jo,
			const char *yaml, size_t ylen, const struct opts *o)
{
	const char *commit = o->commit;

	memset(req, 0, sizeof(*req));
	req->vars = jo->vars;
	req->nvars = jo->nvars;
	req->fork = o->fork;
	req->fork_secrets = o->fork_secrets;
	req->pipeline = jo->pipeline;
	req->yaml = yaml;
	req->yaml_len = ylen;
	req->commit = commit;
	req->job = jo->job;
	req->stage = jo->stage;
	req->run_id = jo->run_id;
	req->branch = jo->branch;
	req->requested_by = jo->requested_by;
	/* --wait: the server holds each ask until a change releases the
	 * job (or a minute passes), so it starts at once, not on a clock */
	req->wait_s = o->wait ? SVC_JOB_WAIT_MAX : 0;
}

/*
 * job-start --server: the server compiles and gates the job; granted,
 * its record goes into the job directory (no secret) and its connections
 * with their secrets into the job's broker, which alone holds them.
 */
static int job_start_server(struct opts *o, const char *self)
{
	char dir[4096], *uri = NULL, *project = NULL, *yaml = NULL;
	svc_remote *r = NULL;
	svc_remote_job *rj = NULL;
	svc_job_request req;
	size_t ylen = 0;
	int rc, code = EXIT_FAILED;

	if (!o->job.pipeline || !o->job.job || !o->job.job_dir) {
		fprintf(stderr, "svcconn-agent: error: job-start --server needs --pipeline, --job and --job-dir\n");
		return EXIT_INVALID;
	}
	if (o->job.pipeline_file && o->commit) {
		fprintf(stderr, "svcconn-agent: error: --pipeline-file sends the pipeline's YAML; --commit reads the registered one: not both\n");
		return EXIT_INVALID;
	}
	/* the answer's secrets pass through jansson: wiped when freed */
	svc_json_wipe_on_free();
	if (!(r = agent_remote(o, dir, sizeof(dir))))
		return EXIT_FAILED;
	if (o->job.pipeline_file &&
	    svc_secret_read_file(&yaml, &ylen, o->job.pipeline_file)) {
		code = fail(EXIT_INVALID, "cannot read the pipeline file");
		goto done;
	}
	job_request(&req, &o->job, yaml, ylen, o);
	svc_broker_sweep(NULL, o->job.job_dir);
	warn_outside_root(o->job.job_dir);
	if ((rc = svc_remote_job_start(&rj, r, &req))) {
		code = fail(exit_of(rc), "job cannot start");
		goto done;
	}
	if (rj->message && rj->status != SVC_GATE_GRANTED)
		fputs(rj->message, stdout);
	switch (rj->status) {
	case SVC_GATE_GRANTED:
		break;
	case SVC_GATE_NEEDS_PERMISSION:
		code = EXIT_PERMISSION;
		goto done;
	case SVC_GATE_WAITING:
		printf("waiting on checks: run again later\n");
		code = EXIT_WAITING;
		goto done;
	default:
		printf("denied\n");
		code = EXIT_DENIED;
		goto done;
	}
	if (svc_remote_collection(&uri, &project, r) ||
	    svc_job_adopt(&o->job, rj->record, rj->id, uri, project,
			  rj->oidc_request_uri)) {
		code = fail(EXIT_FAILED, "cannot make the job's directory");
		svc_remote_job_complete(r, rj->id, "Failed");
		goto done;
	}
	if (agent_broker_start_server(self, o->job.job_dir, rj, o->server, dir)) {
		code = fail(EXIT_FAILED, "cannot start the job's broker");
		goto abandon;
	}
	if (!o->job.steps_see_store && start_launcher_keeper(o, self)) {
		fprintf(stderr, "svcconn-agent: error: the job's sandbox did not start in %s\n",
			o->job.job_dir);
		goto abandon;
	}
	fprintf(stderr, "svcconn-agent: job %s granted by %s (%s)\n", rj->id,
		o->server ? o->server : "the agent's server", rj->source);
	if (rj->withheld)
		fprintf(stderr, "svcconn-agent: job %s has no connections: %s\n",
			rj->id, rj->withheld);
	code = print_env(o) ? EXIT_FAILED : EXIT_GRANTED;
	goto done;
abandon:
	/* nothing of it stays: the server ends it, the directory goes */
	svc_jobdir_keeper_stop(o->job.job_dir);
	svc_step_launcher_stop(o->job.job_dir);
	agent_broker_stop(o->job.job_dir);
	svc_job_end(NULL, o->job.job_dir, "Failed");
	svc_remote_job_complete(r, rj->id, "Failed");
done:
	if (yaml)
		svc_secret_free(yaml, ylen);
	free(uri);
	free(project);
	svc_remote_job_free(rj);
	svc_remote_free(r);
	return code;
}

/*
 * job-end of a job of svcconn-server: its broker stops (wiping the
 * secrets), the server records the result (which ends the job's token),
 * the job directory's state goes.
 */
static int job_end_server(struct opts *o)
{
	char dir[4096], *id = NULL, *url = NULL;
	svc_remote *r;
	int rc;

	if (svc_job_server_id(&id, &url, o->job.job_dir))
		return fail(EXIT_FAILED, "job-end");
	/* the server that started the job, unless --server says another */
	if (!o->server)
		o->server = url;
	/* the result checked, the directory's state gone: nothing runs on */
	if ((rc = svc_job_end(NULL, o->job.job_dir, o->result))) {
		free(id);
		free(url);
		return fail(exit_of(rc), "job-end");
	}
	svc_jobdir_keeper_stop(o->job.job_dir);
	svc_step_launcher_stop(o->job.job_dir);
	agent_broker_stop(o->job.job_dir);
	r = agent_remote(o, dir, sizeof(dir));
	rc = r ? svc_remote_job_complete(r, id, o->result) : SVC_ERROR;
	svc_remote_free(r);
	free(id);
	free(url);
	if (!r)
		return EXIT_FAILED;
	if (rc)
		return fail(exit_of(rc), "the server did not record the job's end");
	printf("job ended: %s\n", o->result);
	return EXIT_GRANTED;
}

static int job_end(struct opts *o)
{
	svc_store *st = NULL;
	int rc;

	if (!o->job.job_dir || !o->result) {
		fprintf(stderr, "svcconn-agent: error: job-end needs --job-dir and --result\n");
		return EXIT_INVALID;
	}
	rc = svc_job_server_id(NULL, NULL, o->job.job_dir);
	if (rc == 0)
		return job_end_server(o);
	if (rc == SVC_ENOTFOUND)
		return fail(EXIT_FAILED, "job-end"); /* ended already */
	svc_jobdir_keeper_stop(o->job.job_dir);
	svc_step_launcher_stop(o->job.job_dir);
	agent_broker_stop(o->job.job_dir);
	if ((rc = svc_store_open(&st, &o->store)))
		return fail(EXIT_FAILED, "cannot open the store");
	rc = svc_job_end(st, o->job.job_dir, o->result);
	svc_store_free(st);
	if (rc)
		return fail(exit_of(rc), "job-end");
	printf("job ended: %s\n", o->result);
	return EXIT_GRANTED;
}

/* The calling agent's variables a step gets: --env-file, --pass-env. */
struct pass_list {
	char *v[2 * MAX_LIST + 1];  /**< "NAME=VALUE" (wiped: SYSTEM_ACCESSTOKEN
				         may be one) */
	size_t n;                   /**< entries in v */
	char *text;                 /**< the --env-file read (wiped) */
	size_t len;                 /**< bytes in text */
};

static void pass_list_clear(struct pass_list *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		svc_secret_free(p->v[i], strlen(p->v[i]));
	svc_secret_free(p->text, p->len);
	memset(p, 0, sizeof(*p));
}

static int pass_add(struct pass_list *p, const char *name, size_t nlen,
		    const char *value, size_t vlen)
{
	char *e;

	if (p->n == sizeof(p->v) / sizeof(p->v[0]) - 1) {
		fprintf(stderr, "svcconn-agent: error: more than %d variables to pass on\n",
			2 * MAX_LIST);
		return EXIT_INVALID;
	}
	if (!(e = malloc(nlen + vlen + 2))) {
		fprintf(stderr, "svcconn-agent: error: out of memory\n");
		return EXIT_FAILED;
	}
	memcpy(e, name, nlen);
	e[nlen] = '=';
	memcpy(e + nlen + 1, value, vlen);
	e[nlen + vlen + 1] = '\0';
	p->v[p->n++] = e;
	return 0;
}

/*
 * Read --env-file: KEY=VALUE lines, the value as written (no quotes taken
 * off), blank lines and lines starting with '#' skipped; anything else
 * (no '=', a name the hooks refuse, a NUL, a CR, a line too long) is an
 * error naming file and line.
 */
static int read_env_file(struct pass_list *p, const char *file)
{
	const char *line, *end;
	unsigned lineno = 0;
	int code;

	if (svc_secret_read_file(&p->text, &p->len, file)) {
		fprintf(stderr, "svcconn-agent: error: --env-file '%s': %s\n", file,
			svc_error_last());
		return EXIT_INVALID;
	}
	if (memchr(p->text, '\0', p->len)) {
		fprintf(stderr, "svcconn-agent: error: %s: holds a NUL byte\n", file);
		return EXIT_INVALID;
	}
	for (line = p->text; line < p->text + p->len; line = end + 1) {
		const char *eq, *nl = memchr(line, '\n', (size_t)(p->text + p->len - line));
		char name[520];

		end = nl ? nl : p->text + p->len;
		lineno++;
		if (end - line > ENV_FILE_LINE_MAX) {
			fprintf(stderr, "svcconn-agent: error: %s:%u: line longer than %d bytes\n",
				file, lineno, ENV_FILE_LINE_MAX);
			return EXIT_INVALID;
		}
		if (memchr(line, '\r', (size_t)(end - line))) {
			fprintf(stderr, "svcconn-agent: error: %s:%u: carriage return in a line\n",
				file, lineno);
			return EXIT_INVALID;
		}
		if (end == line || *line == '#')
			continue;
		eq = memchr(line, '=', (size_t)(end - line));
		if (!eq || eq == line || (size_t)(eq - line) >= sizeof(name)) {
			fprintf(stderr, "svcconn-agent: error: %s:%u: not KEY=VALUE\n",
				file, lineno);
			return EXIT_INVALID;
		}
		memcpy(name, line, (size_t)(eq - line));
		name[eq - line] = '\0';
		if (svc_step_pass_env_allowed(name)) {
			fprintf(stderr, "svcconn-agent: error: %s:%u: %s\n", file, lineno,
				svc_error_last());
			return EXIT_INVALID;
		}
		if ((code = pass_add(p, line, (size_t)(eq - line), eq + 1,
				     (size_t)(end - eq - 1))))
			return code;
	}
	return 0;
}

/* --env-file, then --pass-env NAME (its value ours; unset: not passed). */
static int pass_list_build(struct pass_list *p, const struct opts *o)
{
	size_t i;
	int code = 0;

	if (o->env_file && (code = read_env_file(p, o->env_file)))
		goto fail;
	for (i = 0; i < o->npass; i++) {
		const char *v = getenv(o->pass[i]);

		if (svc_step_pass_env_allowed(o->pass[i])) {
			fprintf(stderr, "svcconn-agent: error: --pass-env %s: %s\n",
				o->pass[i], svc_error_last());
			code = EXIT_INVALID;
			goto fail;
		}
		if (v && (code = pass_add(p, o->pass[i], strlen(o->pass[i]), v,
					  strlen(v))))
			goto fail;
	}
	return 0;
fail:
	pass_list_clear(p);
	return code;
}

/* A step's masked output, to our own. */
static void step_output(void *ctx, int fd, const char *data, size_t len)
{
	(void)ctx;
	fwrite(data, 1, len, fd == 2 ? stderr : stdout);
	fflush(fd == 2 ? stderr : stdout);
}

/*
 * Run a step's command with its fresh environment, its output masked; its
 * status is ours.  The secret variables and endpoint changes of the job's
 * earlier steps come from the job's broker, and go back to it with this
 * step's (the steps of a job run one after the other); a job without a
 * broker has none, and its steps cannot pass any on.
 */
static int step(struct opts *o)
{
	svc_step_options xo;
	struct pass_list pass;
	svc_step_vars *vars = NULL;
	svc_store *st = NULL;
	int rc, status = 0, code;

	if (!o->job.job_dir || !o->step || !o->command || !o->command[0]) {
		fprintf(stderr, "svcconn-agent: error: step needs --job-dir, --step and -- COMMAND\n");
		return EXIT_INVALID;
	}
	memset(&pass, 0, sizeof(pass));
	if ((code = pass_list_build(&pass, o)))
		return code;
	memset(&xo, 0, sizeof(xo));
	xo.version = SVC_STEP_OPTIONS_VERSION;
	xo.cancel = &canceled;
	xo.pass_env = (const char *const *)pass.v;
	xo.npass_env = pass.n;
	xo.pass_agent_env = 1;
	/* a job of svcconn-server: no store, its broker holds its secrets;
	 * no job (ended): said so, before any store is looked for */
	if ((rc = svc_job_server_id(NULL, NULL, o->job.job_dir)) < 0) {
		pass_list_clear(&pass);
		return fail(exit_of(rc) == EXIT_FAILED ? 127 : exit_of(rc), "step");
	}
	if (rc == 1 && (rc = svc_store_open(&st, &o->store))) {
		pass_list_clear(&pass);
		return fail(EXIT_FAILED, "cannot open the store");
	}
	if ((rc = svc_step_vars_load(&vars, o->job.job_dir))) {
		svc_store_free(st);
		pass_list_clear(&pass);
		return fail(127, "cannot get the variables of the job's earlier steps");
	}
	catch_cancel();
	rc = svc_step_exec_ext(&status, st, o->job.job_dir, o->step, o->command,
			       NULL, vars, &xo, step_output, NULL);
	svc_store_free(st);
	pass_list_clear(&pass);
	if (rc) {
		svc_step_vars_free(vars);
		return fail(exit_of(rc) == EXIT_FAILED ? 127 : exit_of(rc), "step");
	}
	code = canceled ? 128 + canceled : WIFEXITED(status) ? WEXITSTATUS(status)
		: 128 + WTERMSIG(status);
	if (vars && svc_step_vars_save(vars, o->job.job_dir)) {
		/* the later steps would miss them: this step fails */
		fail(EXIT_FAILED, "cannot pass the step's variables on");
		code = code ? code : EXIT_FAILED;
	}
	svc_step_vars_free(vars);
	return code;
}

/* What the run's callbacks need. */
struct run_out {
	int midline[3];          /**< per fd: the last chunk did not end a line */
	const char *self;        /**< this program, for the broker */
	const char *home;        /**< --home */
	svc_store *st;           /**< the open store */
	const svc_catalog *cat;  /**< the catalog */
};

/* A granted job of a run gets its git credential broker. */
static int run_job_started(void *ctx, const char *job_dir)
{
	struct run_out *ro = ctx;

	return agent_broker_start(ro->self, job_dir, ro->home, ro->st, ro->cat, 0);
}

static void run_job_ending(void *ctx, const char *job_dir)
{
	(void)ctx;
	agent_broker_stop(job_dir);
}

/* Output of a run's step: each line tagged with the job and step. */
static void run_output(void *ctx, const char *stage, const char *job,
		       const char *label, int fd, const char *data, size_t len)
{
	struct run_out *ro = ctx;
	FILE *f = fd == 2 ? stderr : stdout;
	size_t i;

	(void)stage;
	for (i = 0; i < len; i++) {
		if (!ro->midline[fd])
			fprintf(f, "[%s/%s] ", job ? job : "", label ? label : "");
		fputc(data[i], f);
		ro->midline[fd] = data[i] != '\n';
	}
	fflush(f);
}

static void run_event(void *ctx, const char *message)
{
	struct run_out *ro = ctx;

	if (ro->midline[1] || ro->midline[2]) {
		/* a step's last line had no newline */
		putchar('\n');
		ro->midline[1] = ro->midline[2] = 0;
	}
	printf("== %s\n", message);
	fflush(stdout);
}

/*
 * run --server: the run's jobs on svcconn-server (svc_run_jobs), each
 * started there (the run's id, the agent's YAML or the registered
 * pipeline at --commit) and adopted as job-start --server adopts it, its
 * secrets only in its broker; each ended there with its result.
 */
struct server_jobs {
	const struct opts *o;    /**< the options (--server, --commit) */
	const char *self;        /**< this program, for the broker */
	svc_remote *r;           /**< the agent's server */
	char dir[4096];          /**< the agent's configuration directory */
	char *uri;               /**< the server's collection URI */
	char *project;           /**< its project */
	char *yaml;              /**< the pipeline's YAML, or NULL (--commit) */
	size_t ylen;             /**< its length */
};

static int server_job_start(void *ctx, svc_gate_status *status,
			    const svc_job_options *jo,
			    void (*say)(void *say_ctx, const char *line),
			    void *say_ctx)
{
	struct server_jobs *sj = ctx;
	svc_remote_job *rj = NULL;
	svc_job_request req;
	char *line, *save = NULL, said[1024];
	int rc;

	job_request(&req, jo, sj->yaml, sj->ylen, sj->o);
	if ((rc = svc_remote_job_start(&rj, sj->r, &req)))
		return rc;
	*status = rj->status;
	if (rj->status != SVC_GATE_GRANTED) {
		/* the gate's items, one line each, said as the local gate's */
		for (line = rj->message ? strtok_r(rj->message, "\n", &save) : NULL;
		     line; line = strtok_r(NULL, "\n", &save)) {
			snprintf(said, sizeof(said), "job %s: %s", jo->job, line);
			say(say_ctx, said);
		}
		goto done;
	}
	if (rj->withheld) {
		snprintf(said, sizeof(said), "job %s has no connections: %s",
			 jo->job, rj->withheld);
		say(say_ctx, said);
	}
	rc = svc_job_adopt(jo, rj->record, rj->id, sj->uri, sj->project,
			   rj->oidc_request_uri);
	if (!rc && agent_broker_start_server(sj->self, jo->job_dir, rj,
					     sj->o->server, sj->dir)) {
		say(say_ctx, "the job's broker did not start");
		rc = SVC_ERROR;
	}
	if (rc) {
		/* nothing of it stays: the server ends it */
		svc_job_end(NULL, jo->job_dir, "Failed");
		svc_remote_job_complete(sj->r, rj->id, "Failed");
	}
done:
	svc_remote_job_free(rj);
	return rc;
}

static int server_job_end(void *ctx, const char *job_dir, const char *result)
{
	struct server_jobs *sj = ctx;
	char *id = NULL, *url = NULL;
	int rc, rc2;

	if ((rc = svc_job_server_id(&id, &url, job_dir)))
		return rc < 0 ? rc : SVC_ERROR; /* 1: not the server's (never) */
	/* the broker (its secrets) stopped already: run_job_ending */
	rc = svc_job_end(NULL, job_dir, result);
	rc2 = svc_remote_job_complete(sj->r, id, result);
	free(id);
	free(url);
	return rc ? rc : rc2;
}

static int run_pipeline(struct opts *o, const char *self)
{
	svc_run_options ro;
	svc_run_jobs jobs;
	struct run_out out;
	struct server_jobs sj;
	svc_catalog *cat = NULL;
	svc_store *st = NULL;
	char *me = NULL;
	int rc, code = EXIT_FAILED;

	if (!o->pipeline_arg)
		o->pipeline_arg = o->job.pipeline_file;
	if (!o->pipeline_arg || !o->job.pipeline) {
		fprintf(stderr, "svcconn-agent: error: run needs PIPELINE.yml (or --pipeline-file) and --pipeline NAME\n");
		return EXIT_INVALID;
	}
	if (o->commit && !o->server) {
		fprintf(stderr, "svcconn-agent: error: --commit names the registered pipeline's commit on a server: it needs --server\n");
		return EXIT_INVALID;
	}
	if (!o->job.requested_by && svc_identity_current(&me) == 0)
		o->job.requested_by = me;
	memset(&out, 0, sizeof(out));
	memset(&sj, 0, sizeof(sj));
	memset(&jobs, 0, sizeof(jobs));
	memset(&ro, 0, sizeof(ro));
	ro.version = SVC_RUN_OPTIONS_VERSION;
	ro.pipeline_file = o->pipeline_arg;
	ro.pipeline = o->job.pipeline;
	ro.run_id = o->job.run_id;
	ro.branch = o->job.branch;
	ro.requested_by = o->job.requested_by;
	ro.stage = o->job.stage;
	ro.job = o->job.job;
	ro.workdir = o->workdir;
	ro.output_dir = o->output_dir;
	ro.vars = o->job.vars;
	ro.nvars = o->job.nvars;
	ro.task_dirs = o->job.task_dirs;
	ro.ntask_dirs = o->job.ntask_dirs;
	ro.wait = o->wait;
	ro.fork = o->fork;
	ro.fork_allowed = o->fork_secrets;
	ro.steps_see_store = o->job.steps_see_store;
	/* SVCCONN_NO_LAUNCHER (bench/bench_steps.sh): a sandbox per step */
	ro.launcher_exe = getenv("SVCCONN_NO_LAUNCHER") ? NULL : self;
	ro.output = run_output;
	ro.event = run_event;
	ro.job_ending = run_job_ending;
	ro.ctx = &out;
	ro.cancel = &canceled;
	catch_cancel();
	if (catalog_new(&cat)) {
		code = fail(EXIT_FAILED, "cannot load the catalog");
		goto done;
	}
	out.self = self;
	out.home = o->store.home;
	out.cat = cat;
	if (o->server) {
		/* no store, no key: every job started and ended on the server,
		 * whose answers' secrets pass through jansson (wiped) */
		svc_json_wipe_on_free();
		sj.o = o;
		sj.self = self;
		if (!(sj.r = agent_remote(o, sj.dir, sizeof(sj.dir))))
			goto done;
		if (svc_remote_collection(&sj.uri, &sj.project, sj.r)) {
			code = fail(EXIT_FAILED, "cannot ask the server for its collection");
			goto done;
		}
		/* the agent's YAML; with --commit the server reads its own */
		if (!o->commit &&
		    svc_secret_read_file(&sj.yaml, &sj.ylen, o->pipeline_arg)) {
			code = fail(EXIT_INVALID, "cannot read the pipeline file");
			goto done;
		}
		jobs.start = server_job_start;
		jobs.end = server_job_end;
		jobs.ctx = &sj;
		jobs.own_system_token = 1;
		ro.jobs = &jobs;
	} else if (svc_store_open(&st, &o->store)) {
		code = fail(EXIT_FAILED, "cannot open the store");
		goto done;
	} else
		ro.job_started = run_job_started;
	out.st = st;
	if ((rc = svc_pipeline_run(&code, &ro, st, cat)))
		code = fail(exit_of(rc), "run");
	else if (code == EXIT_CANCELED && canceled)
		code = 128 + canceled;
done:
	if (sj.yaml)
		svc_secret_free(sj.yaml, sj.ylen);
	free(sj.uri);
	free(sj.project);
	svc_remote_free(sj.r);
	svc_store_free(st);
	svc_catalog_free(cat);
	free(me);
	return code;
}

/*
 * `svcconn-agent step-launcher --fd N` (hidden): PID 1 of a job's
 * sandbox, started by svc_step_launcher_start() with the listening socket
 * as descriptor N.
 */
static int step_launcher(int argc, char **argv)
{
	char *end;
	long fd;

	if (argc != 3 || strcmp(argv[1], "--fd") ||
	    (fd = strtol(argv[2], &end, 10), *end) || fd < 3 || fd > 1024) {
		fprintf(stderr, "svcconn-agent: error: step-launcher takes --fd N\n");
		return EXIT_INVALID;
	}
	return svc_step_launcher_serve((int)fd) ? EXIT_FAILED : 0;
}

/*
 * `svcconn-agent launcher-keeper --job-dir DIR --watch-pid PID` (hidden):
 * starts the job's sandbox as its child (it dies with this process) and
 * keeps it while the watched process (the one that started the job)
 * lives; job-end stops the sandbox, and this process ends with it.
 */
static int launcher_keeper(struct opts *o, const char *self)
{
	svc_store *st = NULL;
	long pid = 0;
	int status;

	/* a job of svcconn-server has no store to hide */
	if ((svc_job_server_id(NULL, NULL, o->job.job_dir) == 1 &&
	     svc_store_open(&st, &o->store)) ||
	    svc_step_launcher_start(&pid, st, o->job.job_dir, self)) {
		svc_store_free(st);
		return EXIT_FAILED;
	}
	svc_store_free(st);
	for (;;) {
		struct timespec ts = { 0, 250 * 1000 * 1000 };

		/* the sandbox ended: job-end stopped it.  Nothing more to
		 * stop: the next job in this directory may have its own
		 * launcher there by now, and it is not ours */
		if (waitpid((pid_t)pid, &status, WNOHANG) == (pid_t)pid)
			return 0;
		if (o->watch_pid > 1 && kill((pid_t)o->watch_pid, 0) != 0 &&
		    errno == ESRCH)
			break; /* the job's starter is gone */
		nanosleep(&ts, NULL);
	}
	/* end our own sandbox (its process group; the launcher, its PID 1,
	 * and every step die with it), not whatever the directory names */
	kill(-(pid_t)pid, SIGKILL);
	waitpid((pid_t)pid, &status, 0);
	return 0;
}

/* The lease keeper: renew while the watched process and the job live. */
static int lease_keeper(struct opts *o)
{
	int fd = -1;

	/* without its record, job-end finds no keeper to stop: it ends when
	 * the job does */
	if (svc_jobdir_keeper_take(&fd, o->job.job_dir))
		fd = -1;
	for (;;) {
		svc_store *st = NULL;
		struct timespec ts = { KEEPER_INTERVAL, 0 };

		if (o->watch_pid > 1 && kill((pid_t)o->watch_pid, 0) != 0 &&
		    errno == ESRCH)
			break;
		if (svc_store_open(&st, &o->store) == 0) {
			int rc = svc_job_renew(st, o->job.job_dir);

			svc_store_free(st);
			if (rc == SVC_ENOTFOUND)
				break; /* the job has ended */
		}
		nanosleep(&ts, NULL);
	}
	svc_jobdir_keeper_release(fd, o->job.job_dir);
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o;
	char self[4096];
	ssize_t n;
	int rc;

	if (svc_process_harden() != 0) {
		fprintf(stderr, "svcconn-agent: error: %s\n", svc_error_last());
		return EXIT_FAILED;
	}
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_INVALID : 0;
	}
	if (!strcmp(argv[1], "broker"))
		return agent_broker_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "mask"))
		return agent_mask_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "register"))
		return agent_register_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "step-launcher"))
		return step_launcher(argc - 1, argv + 1);
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return fail(EXIT_FAILED, "cannot find this program");
	self[n] = '\0';
	rc = parse(&o, argc - 1, argv + 1);
	if (rc)
		return rc < 0 ? 0 : rc;
	if (!strcmp(argv[1], "job-start"))
		return o.server ? job_start_server(&o, self) : job_start(&o, self);
	if (!strcmp(argv[1], "job-end"))
		return job_end(&o);
	if (!strcmp(argv[1], "step"))
		return step(&o);
	if (!strcmp(argv[1], "run"))
		return run_pipeline(&o, self);
	if (!strcmp(argv[1], "lease-keeper"))
		return lease_keeper(&o);
	if (!strcmp(argv[1], "launcher-keeper"))
		return launcher_keeper(&o, self);
	fprintf(stderr, "svcconn-agent: error: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return EXIT_INVALID;
}
