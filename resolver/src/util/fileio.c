/*
 * fileio.c - creating, checking and replacing private files.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "svcconn/errors.h"
#include "svcconn/secret.h"
#include "errors_int.h"
#include "util/fileio.h"

static int write_all(int fd, const void *data, size_t len, const char *path)
{
	const char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return error_set(SVC_ERROR, "cannot write '%s': %s",
					 path, strerror(errno));
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int dir_sync_parent(const char *path)
{
	char *copy = strdup(path);
	int fd, rc = 0;

	if (!copy)
		return error_oom();
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		if (fsync(fd) != 0)
			rc = error_set(SVC_ERROR, "cannot sync directory of '%s'",
				       path);
		close(fd);
	}
	free(copy);
	return rc;
}

/* Create path (must not exist), 0600, holding data; with sync, fsync. */
static int create_private(const char *path, const void *data, size_t len,
			  int sync)
{
	int fd, rc;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
		  0600);
	if (fd < 0)
		return error_set(errno == EEXIST ? SVC_EEXISTS : SVC_ERROR,
				 "cannot create '%s': %s", path,
				 strerror(errno));
	rc = write_all(fd, data, len, path);
	if (!rc && sync && fsync(fd) != 0)
		rc = error_set(SVC_ERROR, "cannot sync '%s': %s", path,
			       strerror(errno));
	close(fd);
	if (rc)
		unlink(path);
	return rc;
}

int file_create_private(const char *path, const void *data, size_t len)
{
	return create_private(path, data, len, 1);
}

int file_create_scratch(const char *path, const void *data, size_t len)
{
	return create_private(path, data, len, 0);
}

int file_replace_private(const char *path, const void *data, size_t len)
{
	svc_buf tmp = SVC_BUF_INIT;
	int rc;

	if ((rc = buf_printf(&tmp, "%s.tmp.%ld", path, (long)getpid())) != 0)
		return rc;
	unlink(tmp.ptr);
	rc = file_create_private(tmp.ptr, data, len);
	if (!rc && rename(tmp.ptr, path) != 0) {
		rc = error_set(SVC_ERROR, "cannot replace '%s': %s", path,
			       strerror(errno));
		unlink(tmp.ptr);
	}
	if (!rc)
		rc = dir_sync_parent(path);
	buf_clear(&tmp);
	return rc;
}

int fd_read_all(svc_buf *out, int fd, const char *what)
{
	char chunk[4096];
	ssize_t n;
	int rc = 0;

	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = error_set(SVC_ERROR, "cannot read %s: %s", what,
				       strerror(errno));
			break;
		}
		if (n == 0)
			break;
		if ((rc = buf_put(out, chunk, (size_t)n)) != 0) {
			rc = error_set(SVC_EINVALID, "%s is larger than %zu bytes",
				       what, out->max);
			break;
		}
	}
	svc_wipe(chunk, sizeof(chunk));
	return rc;
}

/* "'path'" for messages about a file. */
static int read_path(svc_buf *out, int fd, const char *path)
{
	svc_buf what = SVC_BUF_INIT;
	int rc = buf_printf(&what, "'%s'", path);

	if (!rc)
		rc = fd_read_all(out, fd, what.ptr);
	buf_clear(&what);
	return rc;
}

int fd_check_private(int fd, const char *path, const char *what)
{
	struct stat st;

	if (fstat(fd, &st) != 0)
		return error_set(SVC_ERROR, "cannot stat %s '%s'", what, path);
	if (!S_ISREG(st.st_mode))
		return error_set(SVC_EINSECURE, "%s '%s' is not a regular file",
				 what, path);
	if (st.st_uid != geteuid())
		return error_set(SVC_EINSECURE,
				 "%s '%s' is owned by uid %ld, not by you (uid %ld)",
				 what, path, (long)st.st_uid, (long)geteuid());
	if (st.st_mode & 077)
		return error_set(SVC_EINSECURE,
				 "permissions %04o for %s '%s' are too open: it must not be accessible by group or others (chmod 600)",
				 (unsigned)(st.st_mode & 07777), what, path);
	return 0;
}

int file_read_private(svc_buf *out, const char *path, const char *what)
{
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY |
		  O_NONBLOCK);
	if (fd < 0)
		return error_set(errno == ENOENT ? SVC_ENOTFOUND : SVC_ERROR,
				 "cannot open %s '%s': %s", what, path,
				 strerror(errno));
	if (!(rc = fd_check_private(fd, path, what)))
		rc = read_path(out, fd, path);
	close(fd);
	return rc;
}

int file_read_all(svc_buf *out, const char *path)
{
	struct stat st;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return error_set(errno == ENOENT ? SVC_ENOTFOUND : SVC_ERROR,
				 "cannot open '%s': %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
		close(fd);
		return error_set(SVC_EINVALID, "'%s' is not a file", path);
	}
	rc = read_path(out, fd, path);
	close(fd);
	return rc;
}

/* Create the missing parents of path (changed, then put back): 0755. */
static int make_parents(char *path)
{
	char *p;

	for (p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) != 0 && errno != EEXIST) {
			int rc = error_set(SVC_ERROR, "cannot create '%s': %s",
					   path, strerror(errno));

			*p = '/';
			return rc;
		}
		*p = '/';
	}
	return 0;
}

int dir_ensure_private(const char *dir)
{
	struct stat st;
	char *copy;
	int fd, rc = 0, made;

	copy = strdup(dir);
	if (!copy)
		return error_oom();
	/* the parents only when missing: one mkdir when they are there */
	made = mkdir(dir, 0700) == 0;
	if (!made && errno == ENOENT) {
		if ((rc = make_parents(copy)))
			goto done;
		made = mkdir(dir, 0700) == 0;
	}
	if (!made && errno != EEXIST) {
		rc = error_set(SVC_ERROR, "cannot create '%s': %s", dir,
			       strerror(errno));
		goto done;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		rc = error_set(SVC_ERROR, "cannot open directory '%s': %s",
			       dir, strerror(errno));
		goto done;
	}
	if (fstat(fd, &st) != 0)
		rc = error_set(SVC_ERROR, "cannot stat '%s'", dir);
	else if (st.st_uid != geteuid())
		rc = error_set(SVC_EINSECURE,
			       "directory '%s' is owned by uid %ld, not by you",
			       dir, (long)st.st_uid);
	else if (st.st_mode & 077)
		rc = error_set(SVC_EINSECURE,
			       "permissions %04o for directory '%s' are too open (chmod 700)",
			       (unsigned)(st.st_mode & 07777), dir);
	close(fd);
done:
	free(copy);
	return rc;
}
