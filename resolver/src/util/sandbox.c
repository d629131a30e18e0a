/*
 * sandbox.c - the view of the file system a step runs in (see sandbox.h):
 * bwrap's arguments built from a list of paths to hide and to show again.
 *
 * Hidden directories are mounted over in order of their length, so a
 * directory inside another hidden one is hidden after it; shown paths come
 * last, each with its parent directories made private (0700) where they
 * are inside a hidden one, which is what the broker's client checks.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "svcconn/errors.h"
#include "errors_int.h"
#include "util/buf.h"
#include "util/sandbox.h"
#include "util/spawn.h"

#define ENTRIES_MAX 64   /* paths one view hides or shows */

/* One path hidden or shown. */
struct entry {
	char *src;      /**< what is shown (NULL: hidden) */
	char *dst;      /**< where, absolute, symbolic links resolved */
	int dir;        /**< hidden: 1 a directory (tmpfs), 0 a file */
	int writable;   /**< shown: read-write */
};

struct sandbox {
	char *bwrap;                      /**< bwrap's path */
	struct entry e[ENTRIES_MAX];      /**< the paths */
	size_t n;                         /**< entries in e */
	char **parents;                   /**< shown paths' parents (argv) */
	size_t nparents;                  /**< entries in parents */
	int launcher;                     /**< the command is the job's
					       launcher: PID 1 of the sandbox */
};

void sandbox_set_launcher(struct sandbox *sb)
{
	sb->launcher = 1;
}

int sandbox_find(char **out)
{
	const char *env = getenv("SVCCONN_BWRAP"), *path;
	svc_buf b = SVC_BUF_INIT;
	size_t n;

	if (env) {
		if (!*env || !strcmp(env, "none"))
			return error_set(SVC_ENOTFOUND, "SVCCONN_BWRAP turns the step sandbox off");
		if (!(*out = strdup(env)))
			return error_oom();
		return 0;
	}
	for (path = getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin"; *path;
	     path += n + (path[n] == ':')) {
		n = strcspn(path, ":");
		buf_reset(&b);
		if (!n || buf_put(&b, path, n) || buf_puts(&b, "/bwrap"))
			continue;
		if (access(b.ptr, X_OK) == 0) {
			*out = buf_detach(&b, NULL);
			return *out ? 0 : error_oom();
		}
	}
	buf_clear(&b);
	return error_set(SVC_ENOTFOUND,
			 "bubblewrap (bwrap) is not installed: apt-get install bubblewrap");
}

int sandbox_new(struct sandbox **out, const char *bwrap)
{
	struct sandbox *sb = calloc(1, sizeof(*sb));

	if (!sb || !(sb->bwrap = strdup(bwrap))) {
		free(sb);
		return error_oom();
	}
	*out = sb;
	return 0;
}

void sandbox_free(struct sandbox *sb)
{
	size_t i;

	if (!sb)
		return;
	for (i = 0; i < sb->n; i++) {
		free(sb->e[i].src);
		free(sb->e[i].dst);
	}
	for (i = 0; i < sb->nparents; i++)
		free(sb->parents[i]);
	free(sb->parents);
	free(sb->bwrap);
	free(sb);
}

/* 1 when path is dir or inside it. */
static int under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (n == 1 && dir[0] == '/')
		return 1;
	return !strncmp(path, dir, n) && (path[n] == '\0' || path[n] == '/');
}

static int add(struct sandbox *sb, char *src, char *dst, int dir, int writable)
{
	if (sb->n == ENTRIES_MAX) {
		free(src);
		free(dst);
		return error_set(SVC_EINVALID, "a step's sandbox shows or hides over %d paths",
				 ENTRIES_MAX);
	}
	sb->e[sb->n].src = src;
	sb->e[sb->n].dst = dst;
	sb->e[sb->n].dir = dir;
	sb->e[sb->n].writable = writable;
	sb->n++;
	return 0;
}

int sandbox_hide(struct sandbox *sb, const char *path)
{
	struct stat st;
	char *real;
	size_t i;

	if (!path || !*path || !(real = realpath(path, NULL)))
		return 0; /* nothing there to hide */
	if (!strcmp(real, "/") || stat(real, &st) != 0) {
		int root = !strcmp(real, "/");

		free(real);
		return root ? error_set(SVC_EINVALID, "a step's sandbox cannot hide '/'") : 0;
	}
	for (i = 0; i < sb->n; i++)
		if (!sb->e[i].src && !strcmp(sb->e[i].dst, real)) {
			free(real);
			return 0;
		}
	return add(sb, NULL, real, S_ISDIR(st.st_mode), 0);
}

int sandbox_show(struct sandbox *sb, const char *src, const char *dst,
		 int writable)
{
	char *s, *d;

	if (!dst || dst[0] != '/')
		return error_set(SVC_EINVALID, "'%s' is not an absolute path",
				 dst ? dst : "");
	if (!(s = realpath(src, NULL)))
		return errno == ENOENT ? error_set(SVC_ENOTFOUND, "'%s' does not exist", src)
			: error_set(SVC_ERROR, "cannot resolve '%s': %s", src, strerror(errno));
	if (!(d = strdup(dst))) {
		free(s);
		return error_oom();
	}
	return add(sb, s, d, 0, writable);
}

int sandbox_hides(const struct sandbox *sb, const char *path)
{
	char *real = realpath(path, NULL);
	int hidden = 0;
	size_t i;

	if (!real)
		return 0;
	for (i = 0; i < sb->n && !hidden; i++)
		hidden = !sb->e[i].src && under(real, sb->e[i].dst);
	for (i = 0; i < sb->n && hidden; i++)
		if (sb->e[i].src && under(real, sb->e[i].dst))
			hidden = 0;
	free(real);
	return hidden;
}

void sandbox_each_hidden(const struct sandbox *sb,
			 void (*fn)(void *ctx, const char *path), void *ctx)
{
	size_t i;

	for (i = 0; i < sb->n; i++)
		if (!sb->e[i].src)
			fn(ctx, sb->e[i].dst);
}

static int by_length(const void *a, const void *b)
{
	const struct entry *x = *(const struct entry *const *)a;
	const struct entry *y = *(const struct entry *const *)b;
	size_t lx = strlen(x->dst), ly = strlen(y->dst);

	return lx < ly ? -1 : lx > ly;
}

/* Append to argv (room checked by the caller). */
#define PUT(v) (argv[n++] = (char *)(v))

int sandbox_argv(char ***out, struct sandbox *sb, char *const cmd[])
{
	static const char *const base[] = {
		"--new-session", "--unshare-pid",
		"--unshare-ipc", "--bind", "/", "/", "--proc", "/proc",
		"--dev", "/dev",
	};
	const struct entry *sorted[ENTRIES_MAX];
	size_t ncmd = 0, n = 0, i, nh = 0, room;
	char **argv;

	while (cmd[ncmd])
		ncmd++;
	/* base, per entry at most 6, per shown path's parent 4, "--", cmd */
	room = 1 + sizeof(base) / sizeof(base[0]) + 4 + 10 * sb->n + 1 + ncmd + 1;
	if (!(argv = calloc(room, sizeof(*argv))))
		return error_oom();
	PUT(sb->bwrap);
	for (i = 0; i < sizeof(base) / sizeof(base[0]); i++)
		PUT(base[i]);
	PUT("--die-with-parent");
	if (sb->launcher)
		PUT("--as-pid-1");
	if (geteuid() == 0) {
		/* root keeps its capabilities in bwrap unless told */
		PUT("--cap-drop");
		PUT("ALL");
	}
	for (i = 0; i < sb->n; i++)
		if (!sb->e[i].src)
			sorted[nh++] = &sb->e[i];
	qsort(sorted, nh, sizeof(sorted[0]), by_length);
	for (i = 0; i < nh; i++) {
		size_t k;
		int inside = 0;

		/* inside a directory hidden already: nothing to show of it */
		for (k = 0; k < i && !inside; k++)
			inside = sorted[k]->dir && under(sorted[i]->dst, sorted[k]->dst);
		if (inside)
			continue;
		if (sorted[i]->dir) {
			PUT("--perms");
			PUT("0700");
			PUT("--tmpfs");
			PUT(sorted[i]->dst);
		} else {
			PUT("--ro-bind");
			PUT("/dev/null");
			PUT(sorted[i]->dst);
		}
	}
	for (i = 0; i < sb->n; i++) {
		const struct entry *e = &sb->e[i];
		char *slash;

		if (!e->src)
			continue;
		/* the shown path's directory, private, where it was hidden */
		if (sb->nparents % 8 == 0) {
			char **p = realloc(sb->parents, (sb->nparents + 8) * sizeof(*p));

			if (!p) {
				free(argv);
				return error_oom();
			}
			sb->parents = p;
		}
		if (!(sb->parents[sb->nparents] = strdup(e->dst))) {
			free(argv);
			return error_oom();
		}
		slash = strrchr(sb->parents[sb->nparents], '/');
		*slash = '\0';
		if (*sb->parents[sb->nparents] && sandbox_hides(sb, sb->parents[sb->nparents])) {
			PUT("--perms");
			PUT("0700");
			PUT("--dir");
			PUT(sb->parents[sb->nparents]);
		}
		sb->nparents++;
		PUT(e->writable ? "--bind" : "--ro-bind");
		PUT(e->src);
		PUT(e->dst);
	}
	PUT("--");
	for (i = 0; i < ncmd; i++)
		PUT(cmd[i]);
	argv[n] = NULL;
	*out = argv;
	return 0;
}

int sandbox_probe(const char *path)
{
	static char *const cmd[] = { "/bin/sh", "-c", ":", NULL };
	char *const env[] = { "PATH=/usr/bin:/bin", NULL };
	struct spawn sp = SPAWN_INIT;
	struct sandbox *sb = NULL;
	svc_buf err = SVC_BUF_INIT;
	char **argv = NULL, chunk[512];
	int pipefd[2] = { -1, -1 }, rc, status = 0;
	pid_t pid;
	ssize_t got;

	buf_init(&err, 4096, 0);
	if ((rc = sandbox_new(&sb, path)) || (rc = sandbox_argv(&argv, sb, cmd)))
		goto done;
	if (pipe2(pipefd, O_CLOEXEC)) {
		rc = error_set(SVC_ERROR, "cannot make a pipe: %s", strerror(errno));
		goto done;
	}
	/* /dev/null on 0 and 1, its complaint on 2 */
	sp.path = path;
	sp.argv = argv;
	sp.envp = env;
	sp.fd[2] = pipefd[1];
	rc = spawn_start(&pid, &sp);
	close(pipefd[1]);
	pipefd[1] = -1;
	if (rc)
		goto done;
	while ((got = read(pipefd[0], chunk, sizeof(chunk))) > 0 ||
	       (got < 0 && errno == EINTR))
		if (got > 0 && buf_put(&err, chunk, (size_t)got))
			break; /* enough said */
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		while (err.len && (err.ptr[err.len - 1] == '\n'))
			err.ptr[--err.len] = '\0';
		rc = error_set(SVC_ERROR, "bubblewrap cannot start a sandbox here: %s",
			       err.len ? err.ptr : "it failed");
	}
done:
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	free(argv);
	sandbox_free(sb);
	buf_clear(&err);
	return rc;
}
