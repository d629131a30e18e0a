/*
 * testutil.c - test helpers: temporary trees, files, running commands.
 */
#include "testutil.h"
#include "store/store_write.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "svcconn/store.h"

extern char **environ;

char *tu_mkdtemp(void)
{
	char tmpl[] = "/tmp/svctest.XXXXXX";
	char *d = mkdtemp(tmpl);

	assert_non_null(d);
	return strdup(d);
}

static int rm_one(const char *p, const struct stat *sb, int flag,
		  struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

void tu_rm_rf(const char *path)
{
	if (path)
		nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

char *tu_path(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);

	assert_non_null(p);
	snprintf(p, n, "%s/%s", dir, name);
	return p;
}

void tu_write_file(const char *path, const char *content)
{
	FILE *f;

	unlink(path);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

char *tu_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0;
	int c;

	if (!f)
		return NULL;
	while ((c = fgetc(f)) != EOF) {
		if (n + 1 >= cap) {
			cap = cap ? cap * 2 : 4096;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		buf[n++] = (char)c;
	}
	fclose(f);
	if (!buf)
		buf = calloc(1, 1);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

int tu_memmem(const char *hay, size_t hlen, const char *needle, size_t nlen)
{
	return nlen && hay && memmem(hay, hlen, needle, nlen) != NULL;
}

static void append(char **buf, size_t *len, const char *data, size_t n)
{
	*buf = realloc(*buf, *len + n + 1);
	assert_non_null(*buf);
	memcpy(*buf + *len, data, n);
	*len += n;
	(*buf)[*len] = '\0';
}

void tu_run(tu_result *r, const char *stdin_text, char *const argv[],
	    char *const extra_env[])
{
	int in[2], out[2], err[2], status;
	posix_spawn_file_actions_t fa;
	char **envp;
	size_t n = 0, m = 0, i, olen = 0, elen = 0, ilen, ioff = 0;
	pid_t pid;

	while (environ[n])
		n++;
	while (extra_env && extra_env[m])
		m++;
	envp = calloc(n + m + 1, sizeof(*envp));
	assert_non_null(envp);
	for (i = 0; i < m; i++)
		envp[i] = extra_env[i];
	/* extra entries win: skip inherited ones with the same name */
	for (i = 0; i < n; i++) {
		size_t j, k = m, keylen = strcspn(environ[i], "=");
		for (j = 0; j < m; j++)
			if (strncmp(extra_env[j], environ[i], keylen + 1) == 0)
				break;
		if (j == m) {
			for (k = 0; envp[k]; k++)
				;
			envp[k] = environ[i];
		}
	}
	assert_int_equal(pipe(in), 0);
	assert_int_equal(pipe(out), 0);
	assert_int_equal(pipe(err), 0);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, err[1], 2);
	posix_spawn_file_actions_addclose(&fa, in[1]);
	posix_spawn_file_actions_addclose(&fa, out[0]);
	posix_spawn_file_actions_addclose(&fa, err[0]);
	/* the originals too: only 0-2 may reach the child */
	posix_spawn_file_actions_addclose(&fa, in[0]);
	posix_spawn_file_actions_addclose(&fa, out[1]);
	posix_spawn_file_actions_addclose(&fa, err[1]);
	assert_int_equal(posix_spawn(&pid, argv[0], &fa, NULL, argv, envp), 0);
	posix_spawn_file_actions_destroy(&fa);
	free(envp);
	close(in[0]);
	close(out[1]);
	close(err[1]);
	r->out = calloc(1, 1);
	r->err = calloc(1, 1);
	ilen = stdin_text ? strlen(stdin_text) : 0;
	if (!ilen) {
		close(in[1]);
		in[1] = -1;
	}
	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		struct pollfd p[3] = { { out[0], POLLIN, 0 }, { err[0], POLLIN, 0 },
				       { in[1], POLLOUT, 0 } };
		char chunk[8192];
		ssize_t k;

		if (out[0] < 0 && err[0] < 0)
			break;
		if (poll(p, in[1] >= 0 ? 3 : 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (in[1] >= 0 && (p[2].revents & (POLLOUT | POLLERR))) {
			k = write(in[1], stdin_text + ioff, ilen - ioff);
			if (k > 0)
				ioff += (size_t)k;
			if (k <= 0 || ioff == ilen) {
				close(in[1]);
				in[1] = -1;
			}
		}
		if (out[0] >= 0 && (p[0].revents & (POLLIN | POLLHUP))) {
			k = read(out[0], chunk, sizeof(chunk));
			if (k > 0)
				append(&r->out, &olen, chunk, (size_t)k);
			else {
				close(out[0]);
				out[0] = -1;
			}
		}
		if (err[0] >= 0 && (p[1].revents & (POLLIN | POLLHUP))) {
			k = read(err[0], chunk, sizeof(chunk));
			if (k > 0)
				append(&r->err, &elen, chunk, (size_t)k);
			else {
				close(err[0]);
				err[0] = -1;
			}
		}
	}
	if (in[1] >= 0)
		close(in[1]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	r->status = WIFEXITED(status) ? WEXITSTATUS(status)
				      : 128 + WTERMSIG(status);
}

void tu_result_free(tu_result *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

const char *tu_bin(const char *name)
{
	static char path[4096];

	snprintf(path, sizeof(path), "%s/%s", SVC_BIN_DIR, name);
	return path;
}

void tu_svcconn_v(tu_result *r, const char *home, const char *stdin_text,
		  char *const extra_env[], va_list ap)
{
	char *argv[64];
	int n = 0;

	argv[n++] = (char *)tu_bin("svcconn");
	while (n < 60 && (argv[n] = va_arg(ap, char *)) != NULL)
		n++;
	argv[n++] = "--home";
	argv[n++] = (char *)home;
	argv[n] = NULL;
	tu_run(r, stdin_text, argv, extra_env);
}

char *tu_pg_database(void)
{
	const char *dir = getenv("SVCCONN_TEST_PG");
	static unsigned n;
	char *path, *url, *slash, name[64], sql[128], *out;
	PGconn *c;
	PGresult *res;
	size_t len;

	if (!dir || !*dir)
		return NULL;
	path = tu_path(dir, "url");
	url = tu_read_file(path, NULL);
	assert_non_null(url);
	free(path);
	url[strcspn(url, "\n")] = '\0';
	c = PQconnectdb(url);
	assert_int_equal(PQstatus(c), CONNECTION_OK);
	snprintf(name, sizeof(name), "svctest_%ld_%u", (long)getpid(), n++);
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);
	res = PQexec(c, sql);
	assert_int_equal(PQresultStatus(res), PGRES_COMMAND_OK);
	PQclear(res);
	PQfinish(c);
	slash = strrchr(url, '/');
	assert_non_null(slash);
	len = (size_t)(slash - url) + 1 + strlen(name) + 1;
	out = malloc(len);
	assert_non_null(out);
	snprintf(out, len, "%.*s/%s", (int)(slash - url), url, name);
	free(url);
	return out;
}

/* The locations tu_database() handed out. */
static char **databases;
static size_t ndatabases;

static void databases_free(void)
{
	size_t i;

	for (i = 0; i < ndatabases; i++)
		free(databases[i]);
	free(databases);
}

const char *tu_database(void)
{
	char *loc = tu_pg_database(), **grown;

	if (!loc)
		return NULL;
	if (!databases)
		atexit(databases_free);
	grown = realloc(databases, (ndatabases + 1) * sizeof(*grown));
	assert_non_null(grown);
	databases = grown;
	databases[ndatabases++] = loc;
	return loc;
}

int tu_store_setup(void **state)
{
	tu_store *f = calloc(1, sizeof(*f));
	svc_store_options opts = { SVC_STORE_OPTIONS_VERSION, NULL, NULL,
				   NULL };

	assert_non_null(f);
	f->dir = tu_mkdtemp();
	f->home = tu_path(f->dir, "home");
	opts.home = f->home;
	opts.database = tu_database();
	assert_int_equal(svc_store_init(&opts, "tester"), 0);
	assert_int_equal(svc_store_open(&f->st, &opts), 0);
	*state = f;
	return 0;
}

int tu_store_teardown(void **state)
{
	tu_store *f = *state;

	svc_store_free(f->st);
	tu_rm_rf(f->dir);
	free(f->home);
	free(f->dir);
	free(f);
	return 0;
}

void tu_last_audit(struct svc_store *st, char action[64], char detail[512])
{
	svc_audit_list *l = NULL;
	const svc_audit_entry *e;
	size_t n;

	assert_int_equal(svc_store_audit(&l, st, 0), 0);
	n = svc_audit_list_count(l);
	assert_true(n > 0);
	e = svc_audit_list_at(l, n - 1);
	snprintf(action, 64, "%s", e->action);
	snprintf(detail, 512, "%s", e->detail);
	svc_audit_list_free(l);
}
