/*
 * main.c - svcconn-gitcred, the whole git credential helper whose store is
 * the encrypted svcconn store, and its per-user daemon.
 *
 * git runs the thin git-credential-svcconn (agent-plugin/git-credential-
 * svcconn), which hands the request to the daemon, or runs this program
 * with the same action when no daemon answers or in a job:
 *
 *   svcconn-gitcred get|store|erase   one request, on standard input
 *   svcconn-gitcred --serve           the daemon (svcconn/gitcred_daemon.h)
 *
 * git writes the request on standard input (`git help credential`): `get`
 * prints the matching username= and password= lines (nothing when there is
 * no match), `store` keeps a credential, `erase` removes every match.
 * Unknown actions are ignored, as git asks of helpers.  Exit 0 whenever the
 * action ran, found or not; errors go to standard error as "fatal: ..."
 * with exit 1 (usage: 129).
 *
 * The program is thin: the protocol and the matching are libsvcconn's
 * (svcconn/gitcred.h).  Where the credentials come from is a mode, picked
 * from the environment:
 *
 *   local  SVCCONN_JOB_DIR unset: the user's own credentials in the store
 *          under $SVCCONN_HOME (or ~/.local/share/svcconn); get and erase
 *          on a machine without a store find nothing, store needs one
 *          ('svcconn init').  After the request it starts the store's
 *          daemon, unless SVCCONN_GITCRED_DAEMON is "off" or 0, or
 *          SVCCONN_KEY_FILE names a key elsewhere (the daemon serves the
 *          store with its own key only);
 *   job    SVCCONN_JOB_DIR set: inside a CI job, the answer comes from
 *          the job's broker (svcconn/broker.h), for the connections the job
 *          was granted, and from nothing else: get asks the broker (with
 *          the token in the job directory) and prints what it gives, or
 *          nothing; store does nothing (the broker's credentials are not
 *          the step's to keep); erase tells the broker the credential was
 *          refused.  A broker that cannot be reached fails the action.
 *
 * Each mode is a table entry with one function per action, so the job mode
 * slots in as a new entry without touching the rest.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <svcconn/broker.h>
#include <svcconn/errors.h>
#include <svcconn/gitcred.h>
#include <svcconn/gitcred_daemon.h>
#include <svcconn/secret.h>
#include <svcconn/store.h>

/* Exit codes: as git's helpers and git's usage(). */
enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 129 };

/* One source of credentials. */
struct mode {
	const char *name;   /**< "local", "job" */
	/**
	 * Run act on the request req.  For get, *answer is set to the
	 * credential to print, or NULL for none.  0, or an SVC_E* code with
	 * the reason in *why (a constant) or, when *why stays NULL, in
	 * svc_error_last().
	 */
	int (*run)(svc_gitcred_action act, const svc_gitcred *req,
		   svc_gitcred **answer, const char **why);
};

/* ---- local mode: the user's store ---------------------------------------- */

/*
 * Start the store's daemon so that git's next request is served fast; a
 * daemon that finds another one serving ends quietly.
 */
static void start_daemon(void)
{
	const char *key = getenv("SVCCONN_KEY_FILE");
	long idle = svc_gitcred_daemon_idle();
	char self[4096];
	ssize_t n;

	if (idle < 0) {
		fputs("warning: SVCCONN_GITCRED_DAEMON is neither \"off\" nor a number of seconds up to a day: no daemon\n",
		      stderr);
		return;
	}
	if (idle == 0 || (key && *key))
		return;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return;
	self[n] = '\0';
	if (svc_gitcred_daemon_start(self) != 0)
		fprintf(stderr, "warning: cannot start the credential daemon: %s\n",
			svc_error_last());
}

static int local_run(svc_gitcred_action act, const svc_gitcred *req,
		     svc_gitcred **answer, const char **why)
{
	svc_store *st = NULL;
	int rc;

	*answer = NULL;
	*why = NULL;
	rc = svc_store_open(&st, NULL);
	/* like git's store helper with no file yet: nothing to find */
	if (rc == SVC_ENOTFOUND && act != SVC_GITCRED_STORE)
		return 0;
	if (rc)
		return rc;
	rc = svc_gitcred_run(answer, st, act, req, NULL);
	if (rc == 0)
		start_daemon();
	svc_store_free(st);
	return rc;
}

/* ---- job mode: the job's broker ----------------------------------------- */

static int job_run(svc_gitcred_action act, const svc_gitcred *req,
		   svc_gitcred **answer, const char **why)
{
	const char *job_dir = getenv("SVCCONN_JOB_DIR");
	int rc;

	*answer = NULL;
	*why = NULL;
	switch (act) {
	case SVC_GITCRED_GET:
		rc = svc_broker_git_credential(answer, job_dir, req);
		/* no connection of the job for this URL: git gets nothing */
		if (rc == SVC_ENOTFOUND)
			rc = 0;
		return rc;
	case SVC_GITCRED_ERASE:
		return svc_broker_git_reject(job_dir, req);
	case SVC_GITCRED_STORE:
	default:
		return 0;
	}
}

static const struct mode modes[] = {
	{ "local", local_run },
	{ "job", job_run },
};

/* The mode the environment asks for. */
static const struct mode *pick_mode(void)
{
	const char *job = getenv("SVCCONN_JOB_DIR");

	return job && *job ? &modes[1] : &modes[0];
}

/* ---- the program --------------------------------------------------------- */

/* The daemon: serve until it ends (see svcconn/gitcred_daemon.h). */
static int serve(void)
{
	svc_gitcred_daemon_options o = { SVC_GITCRED_DAEMON_OPTIONS_VERSION,
		SVC_GITCRED_DAEMON_IDLE, 10000 };
	long idle = svc_gitcred_daemon_idle();

	if (idle <= 0) {
		fputs("fatal: SVCCONN_GITCRED_DAEMON turns the daemon off\n", stderr);
		return EXIT_FAILED;
	}
	o.idle_seconds = (unsigned)idle;
	if (svc_gitcred_daemon_serve(&o) != 0) {
		fprintf(stderr, "fatal: %s\n", svc_error_last());
		return EXIT_FAILED;
	}
	return EXIT_OK;
}

/* Print the answer of get; stdio is not used, its buffer is not wiped. */
static int print_answer(const svc_gitcred *answer)
{
	size_t len = 0;
	char *text = NULL;
	int rc;

	if ((rc = svc_gitcred_format(&text, &len, answer)) != 0)
		return rc;
	rc = svc_write_all(STDOUT_FILENO, text, len, -1);
	svc_secret_free(text, len);
	if (rc) {
		fprintf(stderr, "fatal: cannot write the credential: %s\n",
			strerror(errno));
		return SVC_ERROR;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const struct mode *mode;
	svc_gitcred *req = NULL, *answer = NULL;
	const char *why = NULL;
	svc_gitcred_action act;
	int rc;

	if (svc_process_harden() != 0) {
		fprintf(stderr, "fatal: %s\n", svc_error_last());
		return EXIT_FAILED;
	}
	if (argc != 2) {
		fputs("usage: svcconn-gitcred <get|store|erase|--serve>\n",
		      stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--serve") == 0)
		return serve();
	act = svc_gitcred_action_of(argv[1]);
	mode = pick_mode();
	if ((rc = svc_gitcred_read_fd(&req, STDIN_FILENO)) != 0) {
		fprintf(stderr, "fatal: unable to read credential: %s\n",
			svc_error_last());
		return EXIT_FAILED;
	}
	/* unknown actions are for newer helpers: ignore them, as git's own
	 * helpers do */
	if (act == SVC_GITCRED_UNKNOWN) {
		svc_gitcred_free(req);
		return EXIT_OK;
	}
	rc = mode->run(act, req, &answer, &why);
	if (rc)
		fprintf(stderr, "fatal: %s\n", why ? why : svc_error_last());
	if (rc == 0 && answer)
		rc = print_answer(answer);
	svc_gitcred_free(answer);
	svc_gitcred_free(req);
	return rc ? EXIT_FAILED : EXIT_OK;
}
