/*
 * jobdir.c - the job directory and its files (see jobdir.h for the
 * layout).  Nothing else in svcconn names a file of a job directory or
 * parses its job record.
 *
 * The record is read through a descriptor of the directory with
 * O_NOFOLLOW, checked on the opened descriptor (regular, ours, private,
 * bounded), parsed, and its known fields checked against a table of their
 * types, so that its readers (job.c, broker.c) take a string for a string
 * and never meet a hostile shape.  Unknown fields are ignored.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "svcconn/errors.h"
#include "svcconn/jobdir.h"
#include "errors_int.h"
#include "util/buf.h"
#include "util/fileio.h"
#include "util/jobdir.h"

/* Deepest directory jobdir_remove descends into. */
#define MAX_TREE_DEPTH 64
#define PID_EXIT_WAIT_MS 5000  /* how long a stopped daemon may take to end */

/* ---- the directory -------------------------------------------------------- */

int jobdir_create(const char *job_dir)
{
	if (!job_dir || !*job_dir)
		return error_set(SVC_EINVALID, "no job directory");
	return dir_ensure_private(job_dir);
}

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

/*
 * Remove name (in the directory open as dirfd) and, when it is a
 * directory, everything in it, without following symbolic links.  0, or
 * -1 when something could not be removed.
 */
static int remove_tree(int dirfd, const char *name, int depth)
{
	struct dirent *e;
	DIR *d;
	int fd, rc = 0;

	if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (depth >= MAX_TREE_DEPTH ||
	    (fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
			 O_CLOEXEC)) < 0)
		return -1;
	if (!(d = fdopendir(fd))) {
		close(fd);
		return -1;
	}
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			rc |= remove_tree(fd, e->d_name, depth + 1);
	closedir(d);
	return unlinkat(dirfd, name, AT_REMOVEDIR) == 0 || errno == ENOENT
		? rc : -1;
}

int jobdir_remove(const char *dir)
{
	if (remove_tree(AT_FDCWD, dir, 0))
		return error_set(SVC_ERROR, "cannot remove '%s': %s", dir,
				 strerror(errno));
	return 0;
}

/* ---- the job record ------------------------------------------------------- */

/* What a field of the record holds. */
enum ftype {
	F_STRING,   /* a string or null */
	F_INTEGER,  /* an integer */
	F_BOOLEAN,  /* true or false */
	F_STRINGS,  /* an array of strings */
	F_MAP,      /* an object of strings */
	F_OBJECTS   /* an array of objects, each checked against sub */
};

/* One known field of the record, or of an object in it. */
struct field {
	const char *name;          /**< its key */
	enum ftype type;           /**< what it holds */
	int required;              /**< 1: a record without it is refused */
	const struct field *sub;   /**< F_OBJECTS: the fields of each object */
};

static const struct field step_fields[] = {
	{ "index", F_INTEGER, 1, NULL },
	{ "name", F_STRING, 0, NULL },
	{ "displayName", F_STRING, 0, NULL },
	{ "kind", F_STRING, 0, NULL },
	{ "task", F_STRING, 0, NULL },
	{ "taskDir", F_STRING, 0, NULL },
	{ "handler", F_STRING, 0, NULL },
	{ "target", F_STRING, 0, NULL },
	{ "body", F_STRING, 0, NULL },
	{ "workingDirectory", F_STRING, 0, NULL },
	{ "inputs", F_MAP, 0, NULL },
	{ "env", F_MAP, 0, NULL },
	{ "connections", F_STRINGS, 0, NULL },
	{ NULL, 0, 0, NULL }
};

static const struct field variable_fields[] = {
	{ "name", F_STRING, 1, NULL },
	{ "value", F_STRING, 1, NULL },
	{ NULL, 0, 0, NULL }
};

/* The job record job.c writes (write_state). */
static const struct field record_fields[] = {
	{ "pipeline", F_STRING, 0, NULL },
	{ "runId", F_STRING, 0, NULL },
	{ "stage", F_STRING, 0, NULL },
	{ "job", F_STRING, 0, NULL },
	{ "holder", F_STRING, 0, NULL },
	{ "locks", F_BOOLEAN, 0, NULL },
	{ "connections", F_STRINGS, 1, NULL },
	{ "startedAt", F_STRING, 0, NULL },
	{ "branch", F_STRING, 0, NULL },
	{ "requestedBy", F_STRING, 0, NULL },
	{ "jobId", F_STRING, 0, NULL },
	{ "planId", F_STRING, 0, NULL },
	{ "reason", F_STRING, 0, NULL },
	{ "project", F_STRING, 0, NULL },
	{ "collectionUri", F_STRING, 0, NULL },
	{ "isolation", F_STRING, 0, NULL },
	{ "steps", F_OBJECTS, 0, step_fields },
	{ "variables", F_OBJECTS, 0, variable_fields },
	{ NULL, 0, 0, NULL }
};

static const char *const type_words[] = {
	"a string", "an integer", "true or false", "an array of strings",
	"an object of strings", "an array of objects"
};

/* 1 when every value of array or object v is a string. */
static int all_strings(json_t *v)
{
	const char *k;
	json_t *it;
	size_t i;

	if (json_is_array(v)) {
		json_array_foreach(v, i, it)
			if (!json_is_string(it))
				return 0;
		return 1;
	}
	json_object_foreach(v, k, it)
		if (!json_is_string(it))
			return 0;
	return 1;
}

/*
 * Check object o against table t; path is o's place in the record ("" or
 * "steps[2]."), file the record's path, for the message.
 */
static int check_fields(json_t *o, const struct field *t, const char *path,
			const char *file)
{
	size_t i, k;
	int rc = 0;

	for (i = 0; t[i].name && !rc; i++) {
		json_t *v = json_object_get(o, t[i].name), *it;
		int ok;

		if (!v || json_is_null(v)) {
			if (t[i].required)
				rc = error_set(SVC_EINVALID,
					       "job record '%s': field '%s%s' is missing",
					       file, path, t[i].name);
			continue;
		}
		switch (t[i].type) {
		case F_STRING: ok = json_is_string(v); break;
		case F_INTEGER: ok = json_is_integer(v); break;
		case F_BOOLEAN: ok = json_is_boolean(v); break;
		case F_STRINGS: ok = json_is_array(v) && all_strings(v); break;
		case F_MAP: ok = json_is_object(v) && all_strings(v); break;
		default: ok = json_is_array(v); break;
		}
		if (!ok) {
			rc = error_set(SVC_EINVALID,
				       "job record '%s': field '%s%s' is not %s",
				       file, path, t[i].name, type_words[t[i].type]);
			break;
		}
		if (t[i].type != F_OBJECTS)
			continue;
		json_array_foreach(v, k, it) {
			svc_buf sub = SVC_BUF_INIT;

			if ((rc = buf_printf(&sub, "%s%s[%zu]", path, t[i].name, k)))
				break;
			if (!json_is_object(it))
				rc = error_set(SVC_EINVALID,
					       "job record '%s': field '%s' is not an object",
					       file, sub.ptr);
			else if (!(rc = buf_putc(&sub, '.')))
				rc = check_fields(it, t[i].sub, sub.ptr, file);
			buf_clear(&sub);
			if (rc)
				break;
		}
	}
	return rc;
}

/* Read the record file of dirfd (opened and checked on its descriptor). */
static int read_record_text(svc_buf *text, int dirfd, const char *file)
{
	int fd, rc;

	fd = openat(dirfd, JOBDIR_RECORD, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
		    O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ELOOP)
			return error_set(SVC_EINSECURE,
					 "job record '%s' is a symbolic link", file);
		return error_set(errno == ENOENT ? SVC_ENOTFOUND : SVC_ERROR,
				 "cannot open job record '%s': %s", file,
				 strerror(errno));
	}
	if (!(rc = fd_check_private(fd, file, "job record"))) {
		buf_init(text, JOBDIR_RECORD_MAX, 0);
		if ((rc = fd_read_all(text, fd, "the job record")) == SVC_EINVALID)
			rc = error_set(SVC_EINVALID,
				       "job record '%s' is larger than %u bytes",
				       file, JOBDIR_RECORD_MAX);
	}
	close(fd);
	return rc;
}

int jobdir_record_read(json_t **out, const char *job_dir)
{
	svc_buf file = SVC_BUF_INIT, text = SVC_BUF_INIT;
	json_error_t jerr;
	json_t *r = NULL;
	int rc, dirfd = -1;

	if ((rc = jobdir_open(&dirfd, job_dir))) {
		if (rc == SVC_ENOTFOUND)
			rc = error_set(SVC_ENOTFOUND, "no job was started in '%s'",
				       job_dir);
		return rc;
	}
	if ((rc = buf_printf(&file, "%s/%s", job_dir, JOBDIR_RECORD)))
		goto done;
	if ((rc = read_record_text(&text, dirfd, file.ptr))) {
		if (rc == SVC_ENOTFOUND)
			rc = error_set(SVC_ENOTFOUND, "no job was started in '%s'",
				       job_dir);
		goto done;
	}
	r = json_loadb(text.ptr ? text.ptr : "", text.len, JSON_REJECT_DUPLICATES,
		       &jerr);
	if (!r) {
		rc = error_set(SVC_EINVALID, "job record '%s' is not JSON: %s (line %d)",
			       file.ptr, jerr.text, jerr.line);
		goto done;
	}
	if (!json_is_object(r)) {
		rc = error_set(SVC_EINVALID, "job record '%s' is not a JSON object",
			       file.ptr);
		goto done;
	}
	if ((rc = check_fields(r, record_fields, "", file.ptr)))
		goto done;
	*out = r;
	r = NULL;
done:
	json_decref(r);
	close(dirfd);
	buf_clear(&file);
	buf_clear(&text);
	return rc;
}

int jobdir_record_write(const char *job_dir, const json_t *record)
{
	svc_buf path = SVC_BUF_INIT;
	char *text;
	int rc;

	if (!(text = json_dumps(record, JSON_INDENT(2))))
		return error_oom();
	if (!(rc = buf_printf(&path, "%s/%s", job_dir, JOBDIR_RECORD)))
		rc = file_replace_private(path.ptr, text, strlen(text));
	free(text);
	buf_clear(&path);
	return rc;
}

int jobdir_record_remove(const char *job_dir)
{
	svc_buf path = SVC_BUF_INIT;
	int rc;

	if ((rc = buf_printf(&path, "%s/%s", job_dir, JOBDIR_RECORD)))
		return rc;
	if (unlink(path.ptr) != 0 && errno != ENOENT)
		rc = error_set(SVC_ERROR, "cannot remove '%s': %s", path.ptr,
			       strerror(errno));
	buf_clear(&path);
	return rc;
}

/* ---- files and pid files -------------------------------------------------- */

int jobdir_file_write(int dirfd, const char *name, const void *data, size_t len)
{
	const char *p = data;
	int fd, rc = 0;

	unlinkat(dirfd, name, 0);
	fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		    0600);
	if (fd < 0)
		return error_set(SVC_ERROR, "cannot create '%s': %s", name,
				 strerror(errno));
	while (len && !rc) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			rc = error_set(SVC_ERROR, "cannot write '%s': %s", name,
				       strerror(errno));
		else {
			p += n;
			len -= (size_t)n;
		}
	}
	close(fd);
	if (rc)
		unlinkat(dirfd, name, 0);
	return rc;
}

int jobdir_pid_alive(int dirfd, const char *name, int *pidfd)
{
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (pidfd)
		*pidfd = -1;
	if (fd < 0)
		return 0;
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		close(fd);
		return errno == EWOULDBLOCK;
	}
	if (pidfd)
		*pidfd = fd;
	else
		close(fd);
	return 0;
}

int jobdir_pid_take(int *pidfd, int dirfd, const char *name)
{
	char tmp[64], pid[32];
	int fd, n;

	if (jobdir_pid_alive(dirfd, name, NULL))
		return error_set(SVC_EEXISTS, "a live process holds '%s'", name);
	n = snprintf(tmp, sizeof(tmp), "%s.%ld", name, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return error_set(SVC_EINVALID, "pid file name '%s' is too long", name);
	unlinkat(dirfd, tmp, 0);
	fd = openat(dirfd, tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		    0600);
	if (fd < 0)
		return error_set(SVC_ERROR, "cannot create '%s': %s", tmp,
				 strerror(errno));
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (flock(fd, LOCK_EX | LOCK_NB) != 0 || write(fd, pid, (size_t)n) != n ||
	    renameat(dirfd, tmp, dirfd, name) != 0) {
		close(fd);
		unlinkat(dirfd, tmp, 0);
		return error_set(SVC_ERROR, "cannot write '%s'", name);
	}
	*pidfd = fd;
	return 0;
}

/* Signal pid through its pidfd when there is one (no reuse race). */
static void pid_signal(int pfd, long pid, int sig)
{
	if (pfd < 0 || pidfd_send_signal(pfd, sig, NULL, 0) != 0)
		kill((pid_t)pid, sig);
}

int jobdir_pid_stop(int dirfd, const char *name, int wait_ms)
{
	char buf[32];
	int fd, pfd = -1, waited = 0, stopped = 0;
	ssize_t n;
	long pid;

	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK) {
		/* alive: the pid in the file is the lock holder's own */
		n = read(fd, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		pid = strtol(buf, NULL, 10);
		if (pid > 1) {
			pfd = pidfd_open((pid_t)pid, 0);
			pid_signal(pfd, pid, SIGTERM);
			stopped = 1;
		}
		while (flock(fd, LOCK_EX | LOCK_NB) != 0 && waited < wait_ms) {
			struct timespec ts = { 0, 20 * 1000 * 1000 };

			nanosleep(&ts, NULL);
			waited += 20;
		}
		if (waited >= wait_ms && pid > 1)
			pid_signal(pfd, pid, SIGKILL);
		/* the lock goes with the process's files, a moment before the
		 * process itself ends: wait for the end, so that nothing of
		 * it runs once the caller goes on */
		if (pfd >= 0) {
			struct pollfd pw = { pfd, POLLIN, 0 };

			poll(&pw, 1, PID_EXIT_WAIT_MS);
			close(pfd);
		}
	}
	close(fd);
	return stopped;
}

/* ---- sockets -------------------------------------------------------------- */

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

/* ---- what the executable's daemons need ----------------------------------- */

#define KEEPER_STOP_WAIT_MS 3000  /* how long a keeper may take to end */

int svc_jobdir_keeper_take(int *fd, const char *job_dir)
{
	int dirfd, rc;

	if ((rc = jobdir_open(&dirfd, job_dir)))
		return rc;
	rc = jobdir_pid_take(fd, dirfd, JOBDIR_KEEPER_PID);
	close(dirfd);
	return rc;
}

void svc_jobdir_keeper_release(int fd, const char *job_dir)
{
	int dirfd;

	if (fd < 0)
		return;
	if (jobdir_open(&dirfd, job_dir) == 0) {
		unlinkat(dirfd, JOBDIR_KEEPER_PID, 0);
		close(dirfd);
	}
	close(fd);
}

int svc_jobdir_keeper_stop(const char *job_dir)
{
	int dirfd, rc;

	if ((rc = jobdir_open(&dirfd, job_dir)))
		return rc == SVC_ENOTFOUND ? 0 : rc;
	rc = jobdir_pid_stop(dirfd, JOBDIR_KEEPER_PID, KEEPER_STOP_WAIT_MS);
	unlinkat(dirfd, JOBDIR_KEEPER_PID, 0);
	close(dirfd);
	return rc;
}

int svc_jobdir_launcher_reset(const char *job_dir)
{
	int dirfd, rc;

	if ((rc = jobdir_open(&dirfd, job_dir)))
		return rc;
	if (unlinkat(dirfd, JOBDIR_LAUNCHER_SOCK, 0) != 0 && errno != ENOENT)
		rc = error_set(SVC_ERROR, "cannot remove '%s/%s': %s", job_dir,
			       JOBDIR_LAUNCHER_SOCK, strerror(errno));
	close(dirfd);
	return rc;
}

int svc_jobdir_launcher_ready(const char *job_dir)
{
	int dirfd, ready;

	if (jobdir_open(&dirfd, job_dir))
		return 0;
	ready = faccessat(dirfd, JOBDIR_LAUNCHER_SOCK, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
	close(dirfd);
	return ready;
}
