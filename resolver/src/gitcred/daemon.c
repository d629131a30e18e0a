/*
 * daemon.c - the per-user daemon behind git-credential-svcconn: starting it
 * and serving (svcconn/gitcred_daemon.h; the client is daemon_client.c).
 *
 * It is one process per store, single-threaded, one request at a time (a
 * request is a database lookup and one decryption: well under a
 * millisecond).  Everything a client sends is bounded: the header in size,
 * the request's input in size (svc_gitcred_read_fd_timeout) and time, and
 * every write to a client's descriptor in time, so a stalled or hostile
 * client costs the others a few seconds at most.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "svcconn/gitcred.h"
#include "svcconn/gitcred_daemon.h"
#include "svcconn/secret.h"
#include "svcconn/store.h"
#include "errors_int.h"
#include "gitcred/daemon_int.h"
#include "util/home.h"

#define TICK_MS 5000            /* how often an idle daemon looks around */
#define IO_TIMEOUT_MS 5000      /* longest write to a client's descriptor */

/* A serving daemon. */
struct daemon {
	const svc_gitcred_daemon_options *o; /**< the options */
	svc_store *st;          /**< the store, open */
	char *home;             /**< the store's directory */
	char *key_file;         /**< the store's key file */
	struct stat key_sb;     /**< the key file when the store was opened */
	int dirfd;              /**< the store's directory */
	int lockfd;             /**< SVC_GITCRED_DAEMON_LOCK, locked */
	int lfd;                /**< the listening socket */
	int sigfd;              /**< SIGTERM, SIGINT, SIGHUP: end */
	struct stat sock_sb;    /**< the socket file we bound */
	int stop;               /**< end after this request */
};

/* 1 when a and b are the same file, unchanged. */
static int same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	       a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/*
 * (Re)open the store and remember its key file; on failure the store open
 * before stays as it was.
 */
static int open_store(struct daemon *d)
{
	svc_store *st = NULL;
	struct stat sb;
	int rc;

	if ((rc = svc_store_open(&st, NULL)) != 0)
		return rc;
	if (stat(d->key_file, &sb) != 0) {
		svc_store_free(st);
		return error_set(SVC_ECRYPTO, "cannot find the key file '%s'",
				 d->key_file);
	}
	svc_store_free(d->st);
	d->st = st;
	d->key_sb = sb;
	return 0;
}

/* 1 when the key file is the one the store was opened with. */
static int key_unchanged(const struct daemon *d)
{
	struct stat sb;

	return stat(d->key_file, &sb) == 0 && same_file(&sb, &d->key_sb);
}

/*
 * 1 while the store's directory is where it was (not removed, moved or
 * replaced) and the socket in it is the one we bound.
 */
static int still_ours(const struct daemon *d)
{
	struct stat sb, dsb, hsb;

	return fstat(d->dirfd, &dsb) == 0 && dsb.st_nlink > 0 &&
	       stat(d->home, &hsb) == 0 && hsb.st_dev == dsb.st_dev &&
	       hsb.st_ino == dsb.st_ino &&
	       fstatat(d->dirfd, SVC_GITCRED_DAEMON_SOCKET, &sb,
		       AT_SYMLINK_NOFOLLOW) == 0 &&
	       sb.st_dev == d->sock_sb.st_dev && sb.st_ino == d->sock_sb.st_ino;
}

/* 1 when our executable was replaced (an upgrade): the new one must serve. */
static int exe_replaced(void)
{
	static const char deleted[] = " (deleted)";
	char path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);

	if (n < 0)
		return 0;
	path[n] = '\0';
	return (size_t)n >= sizeof(deleted) - 1 &&
	       strcmp(path + n - (sizeof(deleted) - 1), deleted) == 0;
}

/* "fatal: what: reason" on a client's standard error. */
static void client_error(int fd, const char *what, const char *reason)
{
	char line[1024];
	int n = snprintf(line, sizeof(line), "fatal: %s%s%s\n", what,
			 *what ? ": " : "", reason);

	if (n > 0)
		svc_write_all(fd, line, (size_t)n < sizeof(line) ? (size_t)n
			      : sizeof(line) - 1, IO_TIMEOUT_MS);
}

/*
 * Receive a request's header and descriptors.  0 with *nfds descriptors
 * in fds (3 for a good request); -1 when nothing usable came.
 */
static int receive(int fd, char *head, size_t cap, size_t *len, int *fds,
		   size_t *nfds)
{
	char cbuf[CMSG_SPACE(8 * sizeof(int))];
	struct msghdr msg;
	struct cmsghdr *cm;
	struct iovec iov;
	ssize_t n;

	*nfds = 0;
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = head;
	iov.iov_len = cap;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf;
	msg.msg_controllen = sizeof(cbuf);
	while ((n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
		;
	if (n <= 0)
		return -1;
	for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
		size_t k, count;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		count = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (k = 0; k < count && *nfds < 8; k++)
			memcpy(&fds[(*nfds)++], CMSG_DATA(cm) + k * sizeof(int),
			       sizeof(int));
	}
	*len = (size_t)n;
	return (msg.msg_flags & (MSG_CTRUNC | MSG_TRUNC)) ? -1 : 0;
}

/*
 * Split the header into its three NUL-ended fields; -1 unless it is
 * exactly that, with our magic and a sane actor.
 */
static int parse_header(const char *head, size_t len, const char **action,
			const char **actor)
{
	const char *f[3], *p = head, *end = head + len;
	size_t i, n;

	for (i = 0; i < 3; i++) {
		const char *nul = memchr(p, '\0', (size_t)(end - p));

		if (!nul)
			return -1;
		f[i] = p;
		p = nul + 1;
	}
	if (p != end || strcmp(f[0], DAEMON_MAGIC) != 0)
		return -1;
	n = strlen(f[2]);
	for (i = 0; i < n; i++)
		if ((unsigned char)f[2][i] < 0x20 || f[2][i] == 0x7f)
			return -1;
	if (n > DAEMON_ACTOR_MAX)
		return -1;
	*action = f[1];
	*actor = n ? f[2] : NULL;
	return 0;
}

/* Carry out one action on the client's descriptors; DAEMON_OK or _FAILED. */
static char carry_out(struct daemon *d, svc_gitcred_action act,
		      const char *actor, const int *fds)
{
	svc_gitcred *req = NULL, *answer = NULL;
	char *text = NULL, status = DAEMON_OK;
	size_t len = 0;
	int rc;

	if (svc_gitcred_read_fd_timeout(&req, fds[0], d->o->read_timeout_ms)) {
		client_error(fds[2], "unable to read credential", svc_error_last());
		return DAEMON_FAILED;
	}
	rc = svc_gitcred_run(&answer, d->st, act, req, actor);
	/* a rekey between our look at the key file and the read: the store
	 * reopened has the new key */
	if (rc == SVC_ECRYPTO && open_store(d) == 0)
		rc = svc_gitcred_run(&answer, d->st, act, req, actor);
	if (rc == 0 && answer && (rc = svc_gitcred_format(&text, &len, answer)) == 0 &&
	    svc_write_all(fds[1], text, len, IO_TIMEOUT_MS) != 0)
		rc = error_set(SVC_ERROR, "cannot write the credential");
	if (rc) {
		client_error(fds[2], "", svc_error_last());
		status = DAEMON_FAILED;
	}
	svc_secret_free(text, len);
	svc_gitcred_free(answer);
	svc_gitcred_free(req);
	return status;
}

/* Serve one connection. */
static void serve_one(struct daemon *d, int fd)
{
	struct timeval tv = { IO_TIMEOUT_MS / 1000, 0 };
	char head[DAEMON_HEADER_MAX];
	const char *action = NULL, *actor = NULL;
	struct ucred cr;
	socklen_t crlen = sizeof(cr);
	size_t len = 0, nfds = 0, i;
	int fds[8];
	char status;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &crlen) != 0 ||
	    crlen != sizeof(cr) || cr.uid != geteuid())
		return;
	if (receive(fd, head, sizeof(head), &len, fds, &nfds) != 0 ||
	    nfds != 3)
		goto done;
	if (parse_header(head, len, &action, &actor) != 0) {
		/* a client of another version: it runs the request itself,
		 * and this daemon makes way for one of its own version */
		if (len > sizeof(DAEMON_MAGIC_FAMILY) - 1 &&
		    memcmp(head, DAEMON_MAGIC_FAMILY,
			   sizeof(DAEMON_MAGIC_FAMILY) - 1) == 0 &&
		    memchr(head, '\0', len) &&
		    strcmp(head, DAEMON_MAGIC) != 0) {
			status = DAEMON_RESTART;
			d->stop = 1;
			send(fd, &status, 1, MSG_NOSIGNAL);
		}
		goto done;
	}
	if (strcmp(action, "exit") == 0) {
		status = DAEMON_OK;
		d->stop = 1;
	} else if (exe_replaced()) {
		status = DAEMON_RESTART;
		d->stop = 1;
	} else if (!key_unchanged(d) && open_store(d) != 0) {
		/* the client's own run will say what is wrong */
		status = DAEMON_RESTART;
		d->stop = 1;
	} else {
		status = carry_out(d, svc_gitcred_action_of(action), actor, fds);
	}
	send(fd, &status, 1, MSG_NOSIGNAL);
done:
	for (i = 0; i < nfds; i++)
		close(fds[i]);
}

/* Take the lock, open the store, bind the socket. */
static int setup(struct daemon *d)
{
	struct sockaddr_un sa;
	struct stat sb;
	const char *home;
	int rc, n;

	if ((rc = svc_store_paths(&d->home, &d->key_file, NULL)) != 0)
		return rc;
	home = d->home;
	d->dirfd = open(home, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (d->dirfd < 0) {
		rc = error_set(SVC_ENOTFOUND, "cannot open the store '%s': %s",
			       home, strerror(errno));
		return rc;
	}
	if (fstat(d->dirfd, &sb) != 0 || sb.st_uid != geteuid() ||
	    (sb.st_mode & 077)) {
		rc = error_set(SVC_EINSECURE, "the store '%s' is not private",
			       home);
		return rc;
	}
	d->lockfd = openat(d->dirfd, SVC_GITCRED_DAEMON_LOCK,
			   O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (d->lockfd < 0) {
		rc = error_set(SVC_ERROR, "cannot open the daemon's lock: %s",
			       strerror(errno));
		return rc;
	}
	if (flock(d->lockfd, LOCK_EX | LOCK_NB) != 0) {
		/* another daemon serves this store */
		rc = errno == EWOULDBLOCK ? 1
		     : error_set(SVC_ERROR, "cannot lock: %s", strerror(errno));
		return rc;
	}
	if ((rc = open_store(d)) != 0)
		return rc;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	n = snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/%s",
		     d->dirfd, SVC_GITCRED_DAEMON_SOCKET);
	/* a socket left by a daemon that was killed: the lock says it is
	 * dead */
	unlinkat(d->dirfd, SVC_GITCRED_DAEMON_SOCKET, 0);
	d->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (n < 0 || (size_t)n >= sizeof(sa.sun_path) || d->lfd < 0 ||
	    bind(d->lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(d->lfd, 16) != 0 ||
	    fstatat(d->dirfd, SVC_GITCRED_DAEMON_SOCKET, &d->sock_sb,
		    AT_SYMLINK_NOFOLLOW) != 0) {
		rc = error_set(SVC_ERROR, "cannot listen on '%s/%s': %s", home,
			       SVC_GITCRED_DAEMON_SOCKET, strerror(errno));
		return rc;
	}
	return 0;
}

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int svc_gitcred_daemon_serve(const svc_gitcred_daemon_options *o)
{
	struct daemon d = { .dirfd = -1, .lockfd = -1, .lfd = -1, .sigfd = -1 };
	long long idle_ms, last;
	sigset_t ends;
	int rc, tick;

	if (!o || o->version != SVC_GITCRED_DAEMON_OPTIONS_VERSION ||
	    o->idle_seconds == 0)
		return error_set(SVC_EINVALID, "invalid daemon options");
	d.o = o;
	idle_ms = (long long)o->idle_seconds * 1000;
	tick = idle_ms < TICK_MS ? (int)idle_ms : TICK_MS;
	/* the signals that end us arrive as a descriptor next to the socket;
	 * a client that closes its pipe early gives EPIPE, not SIGPIPE */
	sigemptyset(&ends);
	sigaddset(&ends, SIGTERM);
	sigaddset(&ends, SIGINT);
	sigaddset(&ends, SIGHUP);
	signal(SIGPIPE, SIG_IGN);
	if (sigprocmask(SIG_BLOCK, &ends, NULL) != 0 ||
	    (d.sigfd = signalfd(-1, &ends, SFD_CLOEXEC)) < 0)
		return error_set(SVC_ERROR, "cannot set up signals: %s",
				 strerror(errno));
	if ((rc = setup(&d)) == 0) {
		if (chdir("/") != 0)
			rc = error_set(SVC_ERROR, "cannot change to /");
		last = now_ms();
		while (rc == 0 && !d.stop && still_ours(&d)) {
			struct pollfd p[2] = { { d.lfd, POLLIN, 0 },
					       { d.sigfd, POLLIN, 0 } };
			int fd;

			if (poll(p, 2, tick) > 0 && p[1].revents)
				break;
			if (p[0].revents &&
			    (fd = accept4(d.lfd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
				serve_one(&d, fd);
				close(fd);
				last = now_ms();
			} else if (now_ms() - last >= idle_ms) {
				break;
			}
		}
		if (still_ours(&d))
			unlinkat(d.dirfd, SVC_GITCRED_DAEMON_SOCKET, 0);
	}
	if (rc == 1)
		rc = 0;
	if (d.lfd >= 0)
		close(d.lfd);
	svc_store_free(d.st);
	free(d.key_file);
	free(d.home);
	if (d.lockfd >= 0)
		close(d.lockfd);
	if (d.dirfd >= 0)
		close(d.dirfd);
	close(d.sigfd);
	return rc;
}

/* "NAME=value" in a new string. */
static int env_entry(char **out, const char *name, const char *value)
{
	size_t n = strlen(name) + strlen(value) + 2;

	if (!(*out = malloc(n)))
		return error_oom();
	snprintf(*out, n, "%s=%s", name, value);
	return 0;
}

int svc_gitcred_daemon_start(const char *exe)
{
	/* not SVCCONN_USER: each client names its own actor */
	static const char *const pass[] = { "SVCCONN_GITCRED_DAEMON", NULL };
	char *argv[] = { (char *)exe, "--serve", NULL };
	char *envp[8] = { NULL }, *home = NULL, *abs;
	size_t ne = 0, i;
	int rc;

	if (home_dir(&home, NULL) != 0)
		return error_set(SVC_EINVALID, "cannot find the store");
	abs = realpath(home, NULL);
	free(home);
	if (!abs)
		return error_set(SVC_ENOTFOUND, "cannot find the store");
	/* the daemon names the store by its absolute path, whatever the
	 * caller's directory */
	if ((rc = env_entry(&envp[ne], "SVCCONN_HOME", abs)) == 0)
		ne++;
	free(abs);
	for (i = 0; pass[i] && rc == 0; i++)
		if (getenv(pass[i]) &&
		    (rc = env_entry(&envp[ne], pass[i], getenv(pass[i]))) == 0)
			ne++;
	if (rc == 0)
		rc = svc_process_detach(exe, argv, envp);
	for (i = 0; i < ne; i++)
		free(envp[i]);
	return rc;
}
