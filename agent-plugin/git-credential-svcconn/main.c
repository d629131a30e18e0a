/*
 * main.c - git-credential-svcconn, the git credential helper git runs:
 *
 *   git config --global credential.helper /path/to/git-credential-svcconn
 *
 * A thin client linked to the C library alone, so that the fetch it serves
 * does not wait for OpenSSL and SQLite to load: it hands its standard
 * input, output and error to the daemon of the user's store, which answers
 * git on them, and exits with the daemon's status
 * (svcconn/gitcred_daemon.h).  Whenever that cannot be done without having
 * read anything, it runs svcconn-gitcred, the whole helper, with the same
 * action, which then starts the daemon for the next request.  It does so
 * at once:
 *
 *   - inside a job (SVCCONN_JOB_DIR set): the job's broker answers;
 *   - when SVCCONN_GITCRED_DAEMON is "off" or 0 (or not valid: the whole
 *     helper says so), or SVCCONN_KEY_FILE names a key elsewhere;
 *   - for actions other than get, store and erase (ignored there, as git
 *     asks of helpers).
 *
 * `exit` ends the daemon (as git's credential-cache has it); with no daemon
 * it does nothing.  The client never holds a secret: the answer goes from
 * the daemon to git without passing through it.
 *
 * svcconn-gitcred is looked for next to this program (the build tree, or
 * an installation into one directory), then in the installation's libexec
 * directory relative to it (util/paths.h).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <svcconn/gitcred_daemon.h>

#include "util/paths.h"

/* Exit codes: as git's helpers and git's usage(). */
enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 129 };

/* 1 when the request must go to the whole helper without asking the daemon. */
static int direct_only(const char *action)
{
	const char *job = getenv("SVCCONN_JOB_DIR");
	const char *key = getenv("SVCCONN_KEY_FILE");

	if ((job && *job) || (key && *key) || svc_gitcred_daemon_idle() <= 0)
		return 1;
	return strcmp(action, "get") && strcmp(action, "store") &&
	       strcmp(action, "erase");
}

/* Run svcconn-gitcred with argv's action; returns only when it cannot. */
static int run_whole(char **argv)
{
	char *path = paths_program(SVC_GITCRED_DAEMON_EXE), self[PATH_MAX];

	if (!path) {
		if (paths_self_dir(self, sizeof(self)) != 0)
			snprintf(self, sizeof(self), "this program");
		fprintf(stderr, "fatal: cannot find %s next to %s or in its libexec directory\n",
			SVC_GITCRED_DAEMON_EXE, self);
		return EXIT_FAILED;
	}
	argv[0] = path;
	execv(path, argv);
	fprintf(stderr, "fatal: cannot run %s: %s\n", path, strerror(errno));
	free(path);
	return EXIT_FAILED;
}

int main(int argc, char **argv)
{
	int status = EXIT_FAILED;

	if (argc != 2) {
		fputs("usage: git credential-svcconn <get|store|erase|exit>\n",
		      stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "exit") == 0) {
		/* no daemon: nothing to end */
		svc_gitcred_daemon_call(&status, "exit");
		return EXIT_OK;
	}
	if (direct_only(argv[1]))
		return run_whole(argv);
	switch (svc_gitcred_daemon_call(&status, argv[1])) {
	case 0:
		return status;
	case SVC_GITCRED_DAEMON_ABSENT:
		return run_whole(argv);
	default:
		fputs("fatal: the svcconn credential daemon ended during the request\n",
		      stderr);
		return EXIT_FAILED;
	}
}
