/*
 * daemon_client.c - the git credential helper's side of the per-user daemon
 * (svcconn/gitcred_daemon.h).  The C library alone: this file (with
 * util/home.c) is all the thin git-credential-svcconn links, so it starts
 * in a fraction of a millisecond.
 *
 * One request: connect to the socket in the store's directory (reached
 * through /proc/self/fd/N/, which keeps the path short and checks the
 * directory first), check the daemon runs as our uid, send the header
 * "svcconn-gitcred/1\0ACTION\0ACTOR\0" with our descriptors 0, 1 and 2,
 * and wait for one status byte: '0' or '1' (git's exit status; the daemon
 * has written the answer or the error on our descriptors) or 'R' (restart:
 * the daemon touched nothing; run the request directly).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "svcconn/gitcred_daemon.h"
#include "gitcred/daemon_int.h"
#include "util/home.h"

long svc_gitcred_daemon_idle(void)
{
	const char *v = getenv("SVCCONN_GITCRED_DAEMON");
	char *end;
	long n;

	if (!v || !*v)
		return SVC_GITCRED_DAEMON_IDLE;
	if (strcmp(v, "off") == 0)
		return 0;
	if (*v < '0' || *v > '9')
		return -1;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || *end || n < 0 || n > DAEMON_IDLE_MAX)
		return -1;
	return n;
}

/* Connect to the daemon of the user's store; a socket, or -1 for none. */
static int connect_daemon(void)
{
	struct sockaddr_un sa;
	struct ucred cr;
	socklen_t crlen = sizeof(cr);
	struct stat sb;
	char *home = NULL;
	int dirfd = -1, fd = -1, n;

	if (home_dir(&home, NULL) != 0)
		return -1;
	dirfd = open(home, O_PATH | O_DIRECTORY | O_CLOEXEC);
	free(home);
	/* the directory must be ours and private, as the store demands */
	if (dirfd < 0 || fstat(dirfd, &sb) != 0 || sb.st_uid != geteuid() ||
	    (sb.st_mode & 077))
		goto fail;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	n = snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/%s",
		     dirfd, SVC_GITCRED_DAEMON_SOCKET);
	if (n < 0 || (size_t)n >= sizeof(sa.sun_path))
		goto fail;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		goto fail;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &crlen) != 0 ||
	    crlen != sizeof(cr) || cr.uid != geteuid())
		goto fail;
	close(dirfd);
	return fd;
fail:
	if (fd >= 0)
		close(fd);
	if (dirfd >= 0)
		close(dirfd);
	return -1;
}

int svc_gitcred_daemon_call(int *status, const char *action)
{
	const char *actor = getenv("SVCCONN_USER");
	char head[DAEMON_HEADER_MAX], cbuf[CMSG_SPACE(3 * sizeof(int))];
	int fds[3] = { 0, 1, 2 }, fd, n;
	struct msghdr msg;
	struct cmsghdr *cm;
	struct iovec iov;
	char reply;
	ssize_t got;

	*status = 1;
	if (!actor)
		actor = "";
	/* a name the daemon would refuse: the whole helper says why */
	for (n = 0; actor[n]; n++)
		if ((unsigned char)actor[n] < 0x20 || actor[n] == 0x7f)
			return SVC_GITCRED_DAEMON_ABSENT;
	if (n > DAEMON_ACTOR_MAX)
		return SVC_GITCRED_DAEMON_ABSENT;
	n = snprintf(head, sizeof(head), "%s%c%s%c%s%c", DAEMON_MAGIC, 0,
		     action, 0, actor, 0);
	if (n < 0 || (size_t)n >= sizeof(head))
		return SVC_GITCRED_DAEMON_ABSENT;
	if ((fd = connect_daemon()) < 0)
		return SVC_GITCRED_DAEMON_ABSENT;
	memset(&msg, 0, sizeof(msg));
	memset(cbuf, 0, sizeof(cbuf));
	iov.iov_base = head;
	iov.iov_len = (size_t)n;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf;
	msg.msg_controllen = sizeof(cbuf);
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(fds));
	memcpy(CMSG_DATA(cm), fds, sizeof(fds));
	while ((got = sendmsg(fd, &msg, MSG_NOSIGNAL)) < 0 && errno == EINTR)
		;
	if (got != n) {
		close(fd);
		return SVC_GITCRED_DAEMON_ABSENT;
	}
	while ((got = recv(fd, &reply, 1, 0)) < 0 && errno == EINTR)
		;
	close(fd);
	if (got != 1)
		return SVC_GITCRED_DAEMON_LOST;
	switch (reply) {
	case DAEMON_OK:
		*status = 0;
		return 0;
	case DAEMON_FAILED:
		*status = 1;
		return 0;
	case DAEMON_RESTART:
		return SVC_GITCRED_DAEMON_ABSENT;
	default:
		return SVC_GITCRED_DAEMON_LOST;
	}
}
