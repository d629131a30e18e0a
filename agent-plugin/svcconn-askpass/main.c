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
 *
 * For `svcconn verify` of an SSH connection (resolver/src/verify/
 * verify_ssh.c), SVCCONN_ASKPASS_FIFO names instead a FIFO (ours, 0600)
 * that the verifier holds open with the password or passphrase and a
 * newline in its buffer: read once, without waiting (a second question,
 * after a refusal, finds it empty and gets no answer).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <svcconn/broker.h>
#include <svcconn/secret.h>
#include <svcconn/svcconn.h>

#define FIFO_MAX 65536   /* longest answer read from a FIFO */

/*
 * The answer waiting in FIFO path (one line): checked on the opened
 * descriptor (a FIFO of ours), read without blocking.  0, or 1.
 */
static int answer_from_fifo(char **out, size_t *len, const char *path)
{
	struct stat sb;
	char *buf = NULL, *nl;
	ssize_t n;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISFIFO(sb.st_mode) ||
	    sb.st_uid != geteuid() || (sb.st_mode & 077) || !(buf = malloc(FIFO_MAX))) {
		if (fd >= 0)
			close(fd);
		return 1;
	}
	while (got < FIFO_MAX - 1 && (n = read(fd, buf + got, FIFO_MAX - 1 - got)) > 0) {
		got += (size_t)n;
		if (memchr(buf, '\n', got))
			break;
	}
	close(fd);
	if (!(nl = memchr(buf, '\n', got))) {
		svc_secret_free(buf, got);
		return 1;
	}
	*nl = '\0';
	*out = buf;
	*len = (size_t)(nl - buf);
	svc_wipe(nl + 1, got - *len - 1);
	return 0;
}

int main(int argc, char **argv)
{
	const char *fifo = getenv("SVCCONN_ASKPASS_FIFO");
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
	if (fifo && *fifo) {
		if (answer_from_fifo(&pass, &len, fifo) != 0)
			return 1;
	} else if (!job_dir || !*job_dir || !conn || !*conn) {
		fprintf(stderr, "svcconn-askpass: error: SVCCONN_JOB_DIR and SVCCONN_SSH_CONNECTION must name the job and its SSH connection\n");
		return 1;
	} else if (svc_broker_ssh_askpass(&pass, &len, job_dir, conn) != 0) {
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
