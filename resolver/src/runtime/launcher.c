/*
 * launcher.c - one sandbox per job, a step started in it on request.
 *
 * Starting bubblewrap for every step costs more than many steps do (a
 * mount and a PID namespace, /proc, /dev: about twice a plain fork and
 * exec here).  So a job's steps share one sandbox (job_view() in run.c:
 * the store, its key and every job's directory hidden, this job's own
 * directories and the broker's socket shown), in which the launcher runs
 * as PID 1, started by svcconn-agent (run) or its launcher-keeper (the
 * hooks), and dying with it.  It listens on a socket
 * that steps cannot see (launcher.sock in the job directory; the listening
 * descriptor is inherited, the path is hidden from the sandbox) and, for
 * each request, kills whatever the previous step left running, starts the
 * step with the descriptors it was sent (its standard output and error)
 * and the environment it was sent, waits for it, kills what it left
 * running (so its output ends with it, as with a sandbox of its own), and
 * answers its wait status.  Steps that reference an SSH connection still
 * get a sandbox of their own, which shows the job's ssh-agent.
 *
 * A request: a 4-byte length (native order) and that many bytes: "run",
 * the working directory, the number of arguments, the arguments, the
 * number of environment entries, the entries, each ended by a NUL; two
 * descriptors (standard output, standard error) with its first byte.  Or
 * "stop".  The answer: "exit N\n" with the wait status N.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "svcconn/run.h"
#include "svcconn/secret.h"
#include "errors_int.h"
#include "runtime/runtime_int.h"
#include "util/buf.h"
#include "util/jobdir.h"
#include "util/sandbox.h"
#include "util/spawn.h"

#define REQUEST_MAX (8u * 1024u * 1024u)  /* arguments and environment */
#define LISTEN_FD 3                        /* the socket, in the launcher */
#define IDLE_MS (6 * 3600 * 1000)          /* a launcher without a request
					      that long ends (a backstop: its
					      starter stops it) */

extern char **environ;

/* ---- the agent's side ---------------------------------------------------- */

int svc_step_launcher_start(long *out, svc_store *st, const char *job_dir,
			    const char *exe)
{
	static char *const envp[] = { "PATH=/usr/local/bin:/usr/bin:/bin", NULL };
	struct sockaddr_un sa;
	struct sandbox *sb = NULL;
	svc_buf pidtext = SVC_BUF_INIT;
	char **argv = NULL, fdarg[16];
	char *cmd[5];
	struct spawn sp = SPAWN_INIT;
	int dirfd = -1, lfd = -1, rc, pfd;
	pid_t pid;

	if ((rc = jobdir_open(&dirfd, job_dir)) || (rc = jobdir_sock_path(&sa, dirfd, JOBDIR_LAUNCHER_SOCK)))
		goto done;
	unlinkat(dirfd, JOBDIR_LAUNCHER_SOCK, 0);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(lfd, 4) != 0) {
		rc = error_set(SVC_ERROR, "cannot listen for the job's steps: %s",
			       strerror(errno));
		goto done;
	}
	snprintf(fdarg, sizeof(fdarg), "%d", LISTEN_FD);
	cmd[0] = (char *)exe;
	cmd[1] = "step-launcher";
	cmd[2] = "--fd";
	cmd[3] = fdarg;
	cmd[4] = NULL;
	if ((rc = job_view(&sb, st, job_dir, 1)) ||
	    (rc = sandbox_argv(&argv, sb, cmd)))
		goto done;
	/* /dev/null on 0-2, the socket as LISTEN_FD; its own process group,
	 * to be stopped by; the launcher inside dies with it
	 * (--die-with-parent), and every step with the launcher */
	sp.argv = argv;
	sp.envp = envp;
	sp.pass_fd = lfd;
	sp.pass_as = LISTEN_FD;
	sp.flags = SPAWN_PGROUP;
	if ((rc = spawn_start(&pid, &sp))) {
		rc = error_set(SVC_ERROR, "cannot start '%s': %s", argv[0],
			       strerror(errno));
		goto done;
	}
	if ((rc = buf_printf(&pidtext, "%ld\n", (long)pid)))
		goto done;
	unlinkat(dirfd, JOBDIR_LAUNCHER_PID, 0);
	pfd = openat(dirfd, JOBDIR_LAUNCHER_PID, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		     O_CLOEXEC, 0600);
	if (pfd < 0 || write(pfd, pidtext.ptr, pidtext.len) != (ssize_t)pidtext.len)
		rc = error_set(SVC_ERROR, "cannot write '%s': %s", JOBDIR_LAUNCHER_PID, strerror(errno));
	if (pfd >= 0)
		close(pfd);
	if (!rc && out)
		*out = (long)pid;
done:
	if (lfd >= 0)
		close(lfd);
	if (dirfd >= 0)
		close(dirfd);
	free(argv);
	sandbox_free(sb);
	buf_clear(&pidtext);
	return rc;
}

/* Connect to the job's launcher; SVC_ENOTFOUND when the job has none. */
static int launcher_connect(int *out, const char *job_dir)
{
	struct sockaddr_un sa;
	int dirfd, fd, rc;

	if ((rc = jobdir_open(&dirfd, job_dir)))
		return rc;
	if (faccessat(dirfd, JOBDIR_LAUNCHER_SOCK, F_OK, AT_SYMLINK_NOFOLLOW) != 0) {
		close(dirfd);
		return error_set(SVC_ENOTFOUND, "the job has no step launcher");
	}
	if ((rc = jobdir_sock_path(&sa, dirfd, JOBDIR_LAUNCHER_SOCK))) {
		close(dirfd);
		return rc;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		rc = error_set(SVC_ERROR, "cannot reach the job's step launcher: %s",
			       strerror(errno));
		if (fd >= 0)
			close(fd);
		close(dirfd);
		return rc;
	}
	close(dirfd);
	if (!jobdir_peer_is_us(fd)) {
		close(fd);
		return error_set(SVC_EINSECURE, "the job's step launcher runs as another user");
	}
	*out = fd;
	return 0;
}

int launcher_available(const char *job_dir)
{
	int dirfd, ok;

	if (jobdir_open(&dirfd, job_dir) != 0) {
		svc_error_clear();
		return 0;
	}
	ok = faccessat(dirfd, JOBDIR_LAUNCHER_SOCK, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
	close(dirfd);
	return ok;
}

/* Append s and its NUL. */
static int put_str(svc_buf *b, const char *s)
{
	return buf_put(b, s, strlen(s) + 1);
}

int launcher_run(int *conn, const char *job_dir, char *const argv[],
		 char *const envp[], const char *workdir, int out, int err)
{
	char cbuf[CMSG_SPACE(2 * sizeof(int))], num[32];
	struct msghdr mh;
	struct iovec iov;
	struct cmsghdr *cm;
	svc_buf req;
	uint32_t len;
	size_t n, off = 0;
	int fd = -1, rc, fds[2] = { out, err };

	buf_init(&req, REQUEST_MAX, 1);
	if ((rc = buf_put(&req, "\0\0\0\0", 4)) || (rc = put_str(&req, "run")) ||
	    (rc = put_str(&req, workdir ? workdir : ".")))
		goto done;
	for (n = 0; argv[n]; n++)
		;
	snprintf(num, sizeof(num), "%zu", n);
	if ((rc = put_str(&req, num)))
		goto done;
	for (n = 0; argv[n]; n++)
		if ((rc = put_str(&req, argv[n])))
			goto done;
	for (n = 0; envp[n]; n++)
		;
	snprintf(num, sizeof(num), "%zu", n);
	if ((rc = put_str(&req, num)))
		goto done;
	for (n = 0; envp[n]; n++)
		if ((rc = put_str(&req, envp[n])))
			goto done;
	len = (uint32_t)(req.len - 4);
	memcpy(req.ptr, &len, 4);
	if ((rc = launcher_connect(&fd, job_dir)))
		goto done;
	/* the descriptors go with the first bytes */
	memset(&mh, 0, sizeof(mh));
	memset(cbuf, 0, sizeof(cbuf));
	iov.iov_base = req.ptr;
	iov.iov_len = req.len;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(fds));
	memcpy(CMSG_DATA(cm), fds, sizeof(fds));
	while (off < req.len) {
		ssize_t w;

		iov.iov_base = req.ptr + off;
		iov.iov_len = req.len - off;
		w = sendmsg(fd, &mh, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			rc = error_set(SVC_ERROR, "cannot send the step to the launcher: %s",
				       strerror(errno));
			goto done;
		}
		off += (size_t)w;
		mh.msg_control = NULL; /* sent once */
		mh.msg_controllen = 0;
	}
	*conn = fd;
	fd = -1;
done:
	if (fd >= 0)
		close(fd);
	buf_clear(&req);
	return rc;
}

int launcher_wait(int *status, int conn)
{
	char buf[64];
	size_t got = 0;
	char *end;
	long v;

	while (got < sizeof(buf) - 1) {
		ssize_t n = read(conn, buf + got, sizeof(buf) - 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
		if (memchr(buf, '\n', got))
			break;
	}
	buf[got] = '\0';
	if (strncmp(buf, "exit ", 5) ||
	    (v = strtol(buf + 5, &end, 10), *end != '\n') || v < 0 || v > INT_MAX)
		return error_set(SVC_ERROR, "the job's step launcher gave no exit status");
	*status = (int)v;
	return 0;
}

int svc_step_launcher_stop(const char *job_dir)
{
	char buf[16], pidtext[32], msg[8];
	uint32_t len = 4;
	int fd, dirfd, pfd;
	ssize_t n;
	long pid;

	if (launcher_connect(&fd, job_dir) == 0) {
		memcpy(msg, &len, 4);
		memcpy(msg + 4, "stop", 4);
		if (write(fd, msg, sizeof(msg)) == (ssize_t)sizeof(msg))
			while ((n = read(fd, buf, sizeof(buf))) > 0 ||
			       (n < 0 && errno == EINTR))
				;
		close(fd);
	}
	svc_error_clear();
	if (jobdir_open(&dirfd, job_dir) != 0) {
		svc_error_clear();
		return 0;
	}
	/* whatever still runs of it: its process group */
	pfd = openat(dirfd, JOBDIR_LAUNCHER_PID, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (pfd >= 0) {
		n = read(pfd, pidtext, sizeof(pidtext) - 1);
		close(pfd);
		if (n > 0) {
			pidtext[n] = '\0';
			pid = strtol(pidtext, NULL, 10);
			if (pid > 1 && kill(-(pid_t)pid, 0) == 0)
				kill(-(pid_t)pid, SIGKILL);
			if (pid > 1)
				waitpid((pid_t)pid, NULL, WNOHANG);
		}
	}
	unlinkat(dirfd, JOBDIR_LAUNCHER_SOCK, 0);
	unlinkat(dirfd, JOBDIR_LAUNCHER_PID, 0);
	close(dirfd);
	return 0;
}

/* ---- the launcher, PID 1 of the job's sandbox ----------------------------- */

/* Kill every process of the sandbox but us, and reap them. */
static void kill_leftovers(void)
{
	kill(-1, SIGKILL);
	while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
		;
}

/* Read one request of fd into b, with the two descriptors it carries. */
static int read_request(svc_buf *b, int fd, int fds[2])
{
	char cbuf[CMSG_SPACE(2 * sizeof(int))];
	struct msghdr mh;
	struct iovec iov;
	struct cmsghdr *cm;
	uint32_t len;
	char head[4];
	ssize_t n;
	size_t got = 0;

	fds[0] = fds[1] = -1;
	memset(&mh, 0, sizeof(mh));
	iov.iov_base = head;
	iov.iov_len = sizeof(head);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	do
		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC | MSG_WAITALL);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(head))
		return -1;
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
		    cm->cmsg_len == CMSG_LEN(2 * sizeof(int)))
			memcpy(fds, CMSG_DATA(cm), 2 * sizeof(int));
	memcpy(&len, head, 4);
	if (len > REQUEST_MAX || buf_grow(b, len + 1))
		return -1;
	while (got < len) {
		n = read(fd, b->ptr + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	b->len = len;
	b->ptr[len] = '\0';
	return 0;
}

/*
 * Point argv and envp (n slots each, NULL-terminated) into the request p
 * of len bytes after "run\0"; *cwd too.  -1 when it is malformed.
 */
static int parse_run(const char *p, size_t len, const char **cwd,
		     char ***argv, char ***envp)
{
	const char *end = p + len;
	char **lists[2] = { NULL, NULL };
	size_t i, k;

	p += 4;
	if (p >= end)
		return -1;
	*cwd = p;
	p += strlen(p) + 1;
	for (k = 0; k < 2; k++) {
		char *e;
		unsigned long n;

		if (p >= end)
			goto bad;
		n = strtoul(p, &e, 10);
		if (*e || n > 65536)
			goto bad;
		p += strlen(p) + 1;
		if (!(lists[k] = calloc(n + 1, sizeof(char *))))
			goto bad;
		for (i = 0; i < n; i++) {
			if (p >= end)
				goto bad;
			lists[k][i] = (char *)p;
			p += strlen(p) + 1;
		}
	}
	if (!lists[0][0])
		goto bad;
	*argv = lists[0];
	*envp = lists[1];
	return 0;
bad:
	free(lists[0]);
	free(lists[1]);
	return -1;
}

/*
 * Start the step (posix_spawn: no copy of our memory, as fork would make)
 * in a session of its own, with /dev/null, out and err as its standard
 * streams and nothing else of ours; argv[0] is looked for on the step's
 * PATH.  Its pid, or -1 (then a line on its standard error says why).
 */
static pid_t spawn_step(char **argv, char **envp, const char *cwd, int fds[2])
{
	struct spawn sp = SPAWN_INIT;
	const char *path = "/usr/bin:/bin";
	size_t i;
	pid_t pid;

	for (i = 0; envp[i]; i++)
		if (!strncmp(envp[i], "PATH=", 5))
			path = envp[i] + 5;
	/* SPAWN_SEARCH looks in our PATH: the step's (no secret in it) */
	setenv("PATH", path, 1);
	sp.argv = argv;
	sp.envp = envp;
	sp.fd[1] = fds[0];
	sp.fd[2] = fds[1];
	sp.cwd = cwd;
	sp.flags = SPAWN_SETSID | SPAWN_SIGDEFAULT | SPAWN_SEARCH;
	if (spawn_start(&pid, &sp)) {
		dprintf(fds[1], "##[error]cannot run '%s' in '%s': %s\n", argv[0], cwd,
			strerror(errno));
		return -1;
	}
	return pid;
}

/*
 * Wait for the step pid, reaping what it leaves; the agent gone (conn
 * closed) ends it.  Its wait status (127 << 8 when the agent went first).
 */
static int wait_step(int conn, pid_t pid)
{
	int status = 127 << 8;
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);

	for (;;) {
		struct pollfd p[2] = { { conn, POLLIN, 0 }, { pidfd, POLLIN, 0 } };
		int st;
		pid_t w = waitpid(-1, &st, WNOHANG);

		if (w == pid) {
			status = st;
			break;
		}
		if (w > 0)
			continue; /* a leftover of the step, reaped */
		/* without a pidfd, look again every 50 ms */
		if (poll(p, pidfd >= 0 ? 2 : 1, pidfd >= 0 ? -1 : 50) > 0 &&
		    (p[0].revents & (POLLHUP | POLLERR | POLLIN))) {
			char c;

			if (recv(conn, &c, 1, MSG_DONTWAIT | MSG_PEEK) <= 0) {
				kill(-1, SIGKILL); /* the agent is gone */
				break;
			}
		}
	}
	if (pidfd >= 0)
		close(pidfd);
	return status;
}

/* Run one request of conn; 1 when it was "stop". */
static int serve(int conn)
{
	svc_buf req;
	char **argv = NULL, **envp = NULL, answer[32];
	const char *cwd = NULL;
	int fds[2], status = 127 << 8, stop = 0, n;
	pid_t pid = -1;

	buf_init(&req, REQUEST_MAX + 1, 1);
	if (read_request(&req, conn, fds) != 0)
		goto done;
	if (req.len == 4 && !memcmp(req.ptr, "stop", 4)) {
		stop = 1;
		goto done;
	}
	if (req.len < 4 || memcmp(req.ptr, "run", 4) || fds[0] < 0 || fds[1] < 0 ||
	    parse_run(req.ptr, req.len, &cwd, &argv, &envp) != 0)
		goto done;
	kill_leftovers();
	pid = spawn_step(argv, envp, cwd, fds);
	/* the environment held the step's secrets: ours to forget */
	svc_wipe(req.ptr, req.len);
	close(fds[0]);
	close(fds[1]);
	fds[0] = fds[1] = -1;
	if (pid >= 0)
		status = wait_step(conn, pid);
	/* what the step left running ends with it, and its output with it */
	kill_leftovers();
	n = snprintf(answer, sizeof(answer), "exit %d\n", status);
	if (write(conn, answer, (size_t)n) != n)
		status = -1;
done:
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	free(argv);
	free(envp);
	buf_clear(&req);
	return stop;
}

int svc_step_launcher_serve(int lfd)
{
	svc_process_harden();
	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		struct pollfd p = { lfd, POLLIN, 0 };
		int conn, ready = poll(&p, 1, IDLE_MS);

		if (ready == 0)
			break; /* no step for that long: the job is gone */
		if (ready < 0)
			continue;
		conn = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

		if (conn < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			break;
		}
		if (!jobdir_peer_is_us(conn)) {
			close(conn);
			continue;
		}
		if (serve(conn)) {
			close(conn);
			break;
		}
		close(conn);
	}
	kill_leftovers();
	return 0;
}
