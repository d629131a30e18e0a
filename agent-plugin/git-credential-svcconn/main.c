/*
 * main.c - git-credential-svcconn, a git credential helper whose store is
 * the encrypted svcconn store.
 *
 *   git config --global credential.helper /path/to/git-credential-svcconn
 *
 * git runs it with one action and writes the request on its standard input
 * (`git help credential`): `get` prints the matching username= and
 * password= lines (nothing when there is no match), `store` keeps a
 * credential, `erase` removes every match.  Unknown actions are ignored, as
 * git asks of helpers.  Exit 0 whenever the action ran, found or not;
 * errors go to standard error as "fatal: ..." with exit 1 (usage: 129).
 *
 * The program is thin: the protocol and the matching are libsvcconn's
 * (svcconn/gitcred.h).  Where the credentials come from is a mode, picked
 * from the environment:
 *
 *   local  SVCCONN_JOB_DIR unset: the user's own credentials in the store
 *          under $SVCCONN_HOME (or ~/.local/share/svcconn); get and erase
 *          on a machine without a store find nothing, store needs one
 *          ('svcconn init');
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
#include <svcconn/secret.h>
#include <svcconn/store.h>

/* Exit codes: as git's helpers and git's usage(). */
enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 129 };

/* The helper's actions. */
enum action { ACT_GET, ACT_STORE, ACT_ERASE, ACT_UNKNOWN };

/* One source of credentials. */
struct mode {
	const char *name;   /**< "local", "job" */
	/**
	 * Run act on the request req.  For get, *answer is set to the
	 * credential to print, or NULL for none.  0, or an SVC_E* code with
	 * the reason in *why (a constant) or, when *why stays NULL, in
	 * svc_error_last().
	 */
	int (*run)(enum action act, const svc_gitcred *req,
		   svc_gitcred **answer, const char **why);
};

/* ---- local mode: the user's store ---------------------------------------- */

static int local_run(enum action act, const svc_gitcred *req,
		     svc_gitcred **answer, const char **why)
{
	svc_store *st = NULL;
	int rc;

	*answer = NULL;
	*why = NULL;
	rc = svc_store_open(&st, NULL);
	/* like git's store helper with no file yet: nothing to find */
	if (rc == SVC_ENOTFOUND && act != ACT_STORE)
		return 0;
	if (rc)
		return rc;
	switch (act) {
	case ACT_GET:
		rc = svc_gitcred_get(answer, st, req);
		if (rc == SVC_ENOTFOUND)
			rc = 0;
		break;
	case ACT_STORE:
		rc = svc_gitcred_store(NULL, st, req, NULL);
		break;
	case ACT_ERASE:
		rc = svc_gitcred_erase(NULL, st, req, NULL);
		break;
	default:
		rc = 0;
		break;
	}
	svc_store_free(st);
	return rc;
}

/* ---- job mode: the job's broker ----------------------------------------- */

static int job_run(enum action act, const svc_gitcred *req,
		   svc_gitcred **answer, const char **why)
{
	const char *job_dir = getenv("SVCCONN_JOB_DIR");
	int rc;

	*answer = NULL;
	*why = NULL;
	switch (act) {
	case ACT_GET:
		rc = svc_broker_git_credential(answer, job_dir, req);
		/* no connection of the job for this URL: git gets nothing */
		if (rc == SVC_ENOTFOUND)
			rc = 0;
		return rc;
	case ACT_ERASE:
		return svc_broker_git_reject(job_dir, req);
	case ACT_STORE:
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

static enum action action_of(const char *s)
{
	if (strcmp(s, "get") == 0)
		return ACT_GET;
	if (strcmp(s, "store") == 0)
		return ACT_STORE;
	if (strcmp(s, "erase") == 0)
		return ACT_ERASE;
	return ACT_UNKNOWN;
}

/* Write all len bytes at p to fd; 0 or -1. */
static int write_all(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Print the answer of get; stdio is not used, its buffer is not wiped. */
static int print_answer(const svc_gitcred *answer)
{
	size_t len = 0;
	char *text = NULL;
	int rc;

	if ((rc = svc_gitcred_format(&text, &len, answer)) != 0)
		return rc;
	rc = write_all(STDOUT_FILENO, text, len);
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
	enum action act;
	int rc;

	if (svc_process_harden() != 0) {
		fprintf(stderr, "fatal: %s\n", svc_error_last());
		return EXIT_FAILED;
	}
	if (argc != 2) {
		fputs("usage: git credential-svcconn <get|store|erase>\n",
		      stderr);
		return EXIT_USAGE;
	}
	act = action_of(argv[1]);
	mode = pick_mode();
	if ((rc = svc_gitcred_read_fd(&req, STDIN_FILENO)) != 0) {
		fprintf(stderr, "fatal: unable to read credential: %s\n",
			svc_error_last());
		return EXIT_FAILED;
	}
	/* unknown actions are for newer helpers: ignore them, as git's own
	 * helpers do */
	if (act == ACT_UNKNOWN) {
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
