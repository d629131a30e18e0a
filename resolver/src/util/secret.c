/*
 * secret.c - wiping, reading and comparing secrets; process hardening.
 *
 * Reads are bounded by SVC_SECRET_MAX and go through a secret svc_buf, so no
 * partial copy of a secret is left behind in freed memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "svcconn/secret.h"
#include "errors_int.h"
#include "util/buf.h"
#include "util/fileio.h"
#include "util/spawn.h"

void svc_wipe(void *p, size_t n)
{
	if (p && n)
		OPENSSL_cleanse(p, n);
}

void svc_secret_free(char *s, size_t len)
{
	if (!s)
		return;
	svc_wipe(s, len == (size_t)-1 ? strlen(s) : len);
	free(s);
}

int svc_secret_equal(const void *a, size_t alen, const void *b, size_t blen)
{
	if (alen != blen)
		return 0;
	return alen == 0 || CRYPTO_memcmp(a, b, alen) == 0;
}

/* Remove one trailing LF or CRLF. */
static void strip_newline(svc_buf *b)
{
	if (b->len && b->ptr[b->len - 1] == '\n') {
		b->ptr[--b->len] = '\0';
		if (b->len && b->ptr[b->len - 1] == '\r')
			b->ptr[--b->len] = '\0';
	}
}


int svc_secret_read_fd(char **out, size_t *len, int fd)
{
	svc_buf b;
	int rc;

	buf_init(&b, SVC_SECRET_MAX, 1);
	if ((rc = fd_read_all(&b, fd, "standard input")) != 0) {
		buf_clear(&b);
		return rc;
	}
	strip_newline(&b);
	*out = buf_detach(&b, len);
	return *out ? 0 : error_oom();
}

int svc_secret_read_file(char **out, size_t *len, const char *path)
{
	struct stat st;
	svc_buf b;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return error_set(errno == ENOENT ? SVC_ENOTFOUND : SVC_ERROR,
				 "cannot open '%s': %s", path,
				 strerror(errno));
	if (fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
		close(fd);
		return error_set(SVC_EINVALID, "'%s' is not a file", path);
	}
	buf_init(&b, SVC_SECRET_MAX, 1);
	rc = fd_read_all(&b, fd, path);
	close(fd);
	if (rc) {
		buf_clear(&b);
		return rc;
	}
	strip_newline(&b);
	*out = buf_detach(&b, len);
	return *out ? 0 : error_oom();
}

int svc_secret_prompt(char **out, size_t *len, const char *prompt)
{
	struct termios old, quiet;
	svc_buf b;
	int fd, rc = 0;
	char c;
	ssize_t n;

	fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 || !isatty(fd)) {
		if (fd >= 0)
			close(fd);
		return error_set(SVC_EINVALID, "no terminal to prompt on");
	}
	if (tcgetattr(fd, &old) != 0) {
		close(fd);
		return error_set(SVC_ERROR, "cannot read terminal settings");
	}
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	if (write(fd, prompt, strlen(prompt)) < 0 ||
	    tcsetattr(fd, TCSAFLUSH, &quiet) != 0) {
		close(fd);
		return error_set(SVC_ERROR, "cannot turn terminal echo off");
	}
	buf_init(&b, SVC_SECRET_MAX, 1);
	for (;;) {
		n = read(fd, &c, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || c == '\n')
			break;
		if ((rc = buf_putc(&b, c)) != 0)
			break;
	}
	svc_wipe(&c, sizeof(c));
	tcsetattr(fd, TCSAFLUSH, &old);
	if (write(fd, "\n", 1) < 0)
		rc = rc ? rc : 0;
	close(fd);
	if (rc) {
		buf_clear(&b);
		return rc;
	}
	*out = buf_detach(&b, len);
	return *out ? 0 : error_oom();
}

int svc_process_harden(void)
{
	struct rlimit rl = { 0, 0 };
	int fd;

	umask(077);
	if (setrlimit(RLIMIT_CORE, &rl) != 0)
		return error_set(SVC_ERROR, "cannot disable core dumps: %s",
				 strerror(errno));
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		return error_set(SVC_ERROR, "cannot mark process undumpable: %s",
				 strerror(errno));
	/* make sure 0-2 are open so no secret file lands on them */
	for (;;) {
		fd = open("/dev/null", O_RDWR);
		if (fd < 0)
			return error_set(SVC_ERROR, "cannot open /dev/null");
		if (fd > 2) {
			close(fd);
			break;
		}
	}
	return 0;
}

int svc_process_detach(const char *exe, char *const argv[], char *const envp[])
{
	return svc_process_detach_stdin(exe, argv, envp, -1);
}

int svc_process_detach_stdin(const char *exe, char *const argv[],
			     char *const envp[], int in_fd)
{
	struct spawn sp = SPAWN_INIT;
	pid_t pid;

	sp.fd[0] = in_fd;

	/* a daemon of its own session, reparented at once, with no output
	 * of the caller's (a pipe of git's, of a test's) and nothing else of
	 * the caller's open */
	sp.path = exe;
	sp.argv = argv;
	sp.envp = envp;
	sp.flags = SPAWN_DETACH;
	return spawn_start(&pid, &sp);
}

int svc_write_all(int fd, const void *data, size_t len, int timeout_ms)
{
	const char *p = data;

	while (len) {
		ssize_t n;

		if (timeout_ms >= 0) {
			struct pollfd pf = { fd, POLLOUT, 0 };
			int ready = poll(&pf, 1, timeout_ms);

			if (ready < 0 && errno == EINTR)
				continue;
			if (ready == 0)
				errno = ETIMEDOUT;
			if (ready <= 0)
				return -1;
		}
		n = write(fd, p, len);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}
