/*
 * svcconn-askpass - the SSH_ASKPASS program of a job's ssh-add.
 *
 *   SSH_ASKPASS=<path>/svcconn-askpass SSH_ASKPASS_REQUIRE=force ssh-add -
 *
 * When job-start adds an SSH connection's private key to the job's
 * ssh-agent, ssh-add runs this program for the key's passphrase (its one
 * argument is ssh-add's prompt, ignored).  It asks the job's broker, over
 * the broker's socket with the job's token, for the passphrase of the
 * connection SVCCONN_SSH_CONNECTION names, in the job SVCCONN_JOB_DIR names
 * (both set in ssh-add's fresh environment), and writes it, with a
 * newline, to stdout: a pipe that ssh-add reads.  It answers nothing else;
 * the broker gives a passphrase once.  Exit 0 with an answer, 1 without.
 * The passphrase is never in argv, the environment or a file, and is wiped
 * before exit.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <svcconn/broker.h>
#include <svcconn/secret.h>
#include <svcconn/svcconn.h>

int main(int argc, char **argv)
{
	const char *job_dir = getenv("SVCCONN_JOB_DIR");
	const char *conn = getenv("SVCCONN_SSH_CONNECTION");
	char *pass = NULL;
	size_t len = 0;
	int rc;

	(void)argc;
	(void)argv;
	if (svc_process_harden() != 0) {
		fprintf(stderr, "svcconn-askpass: error: %s\n", svc_error_last());
		return 1;
	}
	if (!job_dir || !*job_dir || !conn || !*conn) {
		fprintf(stderr, "svcconn-askpass: error: SVCCONN_JOB_DIR and SVCCONN_SSH_CONNECTION must name the job and its SSH connection\n");
		return 1;
	}
	if (svc_broker_ssh_askpass(&pass, &len, job_dir, conn) != 0) {
		fprintf(stderr, "svcconn-askpass: error: %s\n", svc_error_last());
		return 1;
	}
	rc = svc_write_all(1, pass, len, -1) || svc_write_all(1, "\n", 1, -1) ? 1 : 0;
	svc_secret_free(pass, len);
	if (rc)
		fprintf(stderr, "svcconn-askpass: error: cannot write the answer: %s\n",
			strerror(errno));
	return rc;
}
