/*
 * jobdir.c - reaching a job's private directory and its sockets (see
 * jobdir.h).  Files of the directory are reached through its descriptor
 * (openat, /proc/self/fd/N/name for sockets, which also keeps the socket
 * path short).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "svcconn/errors.h"
#include "errors_int.h"
#include "util/jobdir.h"

int jobdir_open(int *out, const char *job_dir)
{
	struct stat sb;
	int fd;

	if (!job_dir || !*job_dir)
		return error_set(SVC_EINVALID, "no job directory");
	fd = open(job_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return error_set(errno == ENOENT ? SVC_ENOTFOUND : SVC_ERROR,
				 "cannot open job directory '%s': %s", job_dir,
				 strerror(errno));
	if (fstat(fd, &sb) != 0 || sb.st_uid != geteuid() || (sb.st_mode & 077)) {
		close(fd);
		return error_set(SVC_EINSECURE,
				 "job directory '%s' is not private to its owner",
				 job_dir);
	}
	*out = fd;
	return 0;
}

int jobdir_sock_path(struct sockaddr_un *sa, int dirfd, const char *name)
{
	int n;

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	n = snprintf(sa->sun_path, sizeof(sa->sun_path), "/proc/self/fd/%d/%s",
		     dirfd, name);
	if (n < 0 || (size_t)n >= sizeof(sa->sun_path))
		return error_set(SVC_ERROR, "socket path too long");
	return 0;
}

int jobdir_peer_is_us(int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0 ||
	    len != sizeof(cr))
		return 0;
	return cr.uid == geteuid();
}
