/*
 * pipedef.c - pipelines the server compiles itself (svcconn/pipedef.h).
 *
 * A registration binds a pipeline name to a file of a repository and the
 * stored connection that reads it; the row (store_backend.h: pipedef_*)
 * goes with its connection.  The source of a registered pipeline is
 * fetched by fetch.c (repo_fetch_file) into <store home>/cache/pipelines:
 * the connection's git credential is handed to libgit2's credentials
 * callback from memory, never put in a URL, an argv or a file, and a
 * cached entry is used only when its git blob id is the one the commit's
 * tree names.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "svcconn/conn.h"
#include "errors_int.h"
#include "pipeline/fetch.h"
#include "pipeline/pipedef_int.h"
#include "store/store_backend.h"
#include "store/store_int.h"
#include "util/buf.h"
#include "util/clock.h"

#define NAME_MAX_LEN 128   /* characters of a pipeline name */
#define TEXT_MAX_LEN 1024  /* characters of a URL, path or branch */

/* The types whose connections read a git repository. */
static const char *const git_types[] = {
	"git", "github", "githubenterprise", "bitbucket", "externaltfs",
	"generic", NULL
};

static int valid_name(const char *name)
{
	size_t i, n = name ? strlen(name) : 0;

	if (n == 0 || n > NAME_MAX_LEN || name[0] == ' ' || name[n - 1] == ' ')
		return 0;
	for (i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || strchr("-_. ", c)))
			return 0;
	}
	return 1;
}

/* 1 when s has no control character and is 1 to TEXT_MAX_LEN long. */
static int printable(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	const unsigned char *p;

	if (n == 0 || n > TEXT_MAX_LEN)
		return 0;
	for (p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

/* A path inside a repository: relative, no '..', '.' or empty segment. */
static int valid_path(const char *path)
{
	const char *p = path;

	if (!printable(path) || *path == '/' || strchr(path, '\\'))
		return 0;
	while (*p) {
		size_t n = strcspn(p, "/");

		if (n == 0 || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
		p += n;
		if (*p == '/' && !*++p)
			return 0;
	}
	return 1;
}

/*
 * https://, or http:// to a loopback host (tests); no user information
 * (credentials come from the connection, never from a URL).
 */
static int check_url(const char *url)
{
	const char *host, *end;
	size_t n;

	if (!printable(url) || strchr(url, ' '))
		return error_set(SVC_EINVALID, "--url '%s' is not a URL", url ? url : "");
	if (!strncasecmp(url, "https://", 8))
		host = url + 8;
	else if (!strncasecmp(url, "http://", 7))
		host = url + 7;
	else
		return error_set(SVC_EINVALID,
				 "--url '%s': only https:// repositories (http:// on loopback) are read",
				 url);
	end = host + strcspn(host, "/?#");
	if (memchr(host, '@', (size_t)(end - host)))
		return error_set(SVC_EINVALID,
				 "--url '%s': a repository URL must not hold credentials; the connection gives them",
				 url);
	n = (size_t)(end - host);
	if (n == 0)
		return error_set(SVC_EINVALID, "--url '%s' has no host", url);
	if (host == url + 7 &&
	    !(!strncmp(host, "127.", 4) || !strncasecmp(host, "localhost", 9) ||
	      !strncmp(host, "[::1]", 5)))
		return error_set(SVC_EINSECURE,
				 "--url '%s': plain http:// is read only from a loopback host",
				 url);
	return 0;
}

/* 0 when c reads a git repository and gives git a credential. */
static int check_git_conn(const svc_conn *c)
{
	const char *user, *pass;
	size_t i, plen;

	for (i = 0; git_types[i]; i++)
		if (!strcasecmp(svc_conn_type(c), git_types[i]))
			break;
	if (!git_types[i])
		return error_set(SVC_EINVALID,
				 "connection '%s' is of type '%s', which reads no git repository (git, github, githubenterprise, bitbucket, externaltfs, generic do)",
				 svc_conn_name(c), svc_conn_type(c));
	if (svc_conn_git_credential(c, &user, &pass, &plen))
		return error_set(SVC_EINVALID,
				 "connection '%s' (scheme %s) gives git no credential",
				 svc_conn_name(c),
				 svc_conn_scheme(c) ? svc_conn_scheme(c) : "none");
	return 0;
}

int pipedef_register(svc_store *st, const char *name, const char *connection,
		     const char *url, const char *path, const char *branch,
		     const char *actor)
{
	store_pipedef_row r;
	svc_conn *c = NULL;
	char at[32];
	time_t now;
	int rc;

	if (!valid_name(name))
		return error_set(SVC_EINVALID,
				 "pipeline name '%s' is not 1 to %d letters, digits, '-', '_', '.' or ' '",
				 name ? name : "", NAME_MAX_LEN);
	if ((rc = check_url(url)))
		return rc;
	if (!valid_path(path))
		return error_set(SVC_EINVALID,
				 "--path '%s' is not a file of the repository (relative, without '..')",
				 path ? path : "");
	if (branch && (!printable(branch) || strchr(branch, ' ') ||
		       strstr(branch, "..")))
		return error_set(SVC_EINVALID, "--branch '%s' is not a branch name",
				 branch);
	if ((rc = svc_store_conn_get(&c, st, connection, SVC_GET_SECRETS)) ||
	    (rc = check_git_conn(c)) || (rc = clock_now(&now)))
		goto done;
	memset(&r, 0, sizeof(r));
	r.name = name;
	r.conn_id = svc_conn_id(c);
	r.url = url;
	r.path = path;
	r.branch = branch;
	r.created_by = store_actor(actor);
	r.created = (long long)now;
	clock_iso8601(at, now);
	if ((rc = store_tx_write(st)))
		goto done;
	rc = st->ops->pipedef_insert(st->be, &r);
	if (rc == SVC_EEXISTS)
		rc = error_set(SVC_EEXISTS, "a pipeline named '%s' is registered already",
			       name);
	if (rc == 0)
		rc = store_audit(st, at, store_actor(actor), "pipeline-register",
				 svc_conn_id(c), svc_conn_name(c),
				 json_pack("{s:s, s:s, s:s, s:s?}", "pipeline",
					   name, "url", url, "path", path,
					   "branch", branch));
	rc = store_tx_end(st, rc);
done:
	svc_conn_free(c);
	return rc;
}

void svc_pipedefs_free(svc_pipedef *list, size_t count)
{
	size_t i;

	if (!list)
		return;
	for (i = 0; i < count; i++) {
		free(list[i].name);
		free(list[i].connection);
		free(list[i].connection_id);
		free(list[i].url);
		free(list[i].path);
		free(list[i].branch);
		free(list[i].created_by);
	}
	free(list);
}

/* Collects rows into a bounded array. */
struct list_ctx {
	svc_buf buf;  /**< the svc_pipedef array */
	size_t n;     /**< entries in it */
};

static char *dup_or_null(const char *s, int *bad)
{
	char *d = s ? strdup(s) : NULL;

	if (s && !d)
		*bad = 1;
	return d;
}

static int list_cb(void *ctx, const store_pipedef_row *r)
{
	struct list_ctx *l = ctx;
	svc_pipedef d;
	int bad = 0;

	d.name = dup_or_null(r->name, &bad);
	d.connection = dup_or_null(r->conn_name, &bad);
	d.connection_id = dup_or_null(r->conn_id, &bad);
	d.url = dup_or_null(r->url, &bad);
	d.path = dup_or_null(r->path, &bad);
	d.branch = dup_or_null(r->branch, &bad);
	d.created_by = dup_or_null(r->created_by, &bad);
	d.created = r->created;
	if (bad || buf_put(&l->buf, &d, sizeof(d))) {
		free(d.name);
		free(d.connection);
		free(d.connection_id);
		free(d.url);
		free(d.path);
		free(d.branch);
		free(d.created_by);
		return error_oom();
	}
	l->n++;
	return 0;
}

int pipedef_list(svc_pipedef **out, size_t *count, svc_store *st,
		 const char *name)
{
	struct list_ctx l;
	int rc;

	memset(&l, 0, sizeof(l));
	buf_init(&l.buf, (size_t)100000 * sizeof(svc_pipedef), 0);
	if ((rc = store_tx_read(st)) == 0)
		rc = store_tx_end(st, st->ops->pipedef_list(st->be, name, list_cb,
							    &l));
	if (rc == SVC_ENOTFOUND)
		rc = error_set(rc, "no pipeline named '%s' is registered", name);
	if (rc) {
		svc_pipedefs_free((svc_pipedef *)(void *)l.buf.ptr, l.n);
		l.buf.ptr = NULL;
		buf_clear(&l.buf);
		return rc;
	}
	*out = (svc_pipedef *)(void *)buf_detach(&l.buf, NULL);
	*count = l.n;
	return 0;
}

int pipedef_remove(svc_store *st, const char *name, const char *actor)
{
	svc_pipedef *d = NULL;
	size_t n = 0;
	char at[32];
	time_t now;
	int rc;

	if ((rc = pipedef_list(&d, &n, st, name)) || (rc = clock_now(&now)))
		goto done;
	clock_iso8601(at, now);
	if ((rc = store_tx_write(st)))
		goto done;
	rc = st->ops->pipedef_delete(st->be, d[0].name);
	if (rc == SVC_ENOTFOUND)
		rc = error_set(rc, "no pipeline named '%s' is registered", name);
	if (rc == 0)
		rc = store_audit(st, at, store_actor(actor), "pipeline-remove",
				 d[0].connection_id, d[0].connection,
				 json_pack("{s:s, s:s, s:s}", "pipeline",
					   d[0].name, "url", d[0].url, "path",
					   d[0].path));
	rc = store_tx_end(st, rc);
done:
	svc_pipedefs_free(d, n);
	return rc;
}

int pipedef_source(char **yaml, size_t *len, char **origin, svc_store *st,
		   const char *pipeline, const char *commit)
{
	svc_pipedef *d = NULL;
	svc_conn *c = NULL;
	svc_buf cache = SVC_BUF_INIT, o = SVC_BUF_INIT;
	const char *user = NULL, *pass = NULL;
	char used[41], *data = NULL;
	size_t n = 0, plen = 0, dlen = 0;
	int rc, state = 0;

	if (commit && (strlen(commit) != 40 ||
		       strspn(commit, "0123456789abcdef") != 40))
		return error_set(SVC_EINVALID,
				 "pipeline '%s': commit '%s' is not a full commit id (40 lower-case hex digits)",
				 pipeline, commit);
	if ((rc = pipedef_list(&d, &n, st, pipeline)))
		return rc;
	if ((rc = svc_store_conn_get(&c, st, d->connection_id, SVC_GET_SECRETS))) {
		char why[512];

		snprintf(why, sizeof(why), "%s", svc_error_last());
		rc = error_set(rc, "pipeline '%s': connection '%s': %s", pipeline,
			       d->connection, why);
		goto done;
	}
	if ((rc = check_git_conn(c)) ||
	    (rc = svc_conn_git_credential(c, &user, &pass, &plen)) ||
	    (rc = buf_printf(&cache, "%s/cache/pipelines", svc_store_home(st))))
		goto done;
	rc = repo_fetch_file(&data, &dlen, used, &state, cache.ptr, d->url,
			     d->branch, commit, d->path, SVC_PIPEDEF_YAML_MAX,
			     user, pass);
	if (rc) {
		char why[768];

		snprintf(why, sizeof(why), "%s", svc_error_last());
		rc = error_set(rc, "pipeline '%s' ('%s' at %s): %s", pipeline,
			       d->path, commit ? commit : d->branch ? d->branch
			       : "the default branch", why);
		goto done;
	}
	if ((rc = buf_printf(&o, "repository %s@%s:%s", d->connection, used,
			     d->path)))
		goto done;
	*origin = buf_detach(&o, NULL);
	if (!*origin) {
		rc = error_oom();
		goto done;
	}
	*yaml = data;
	*len = dlen;
	data = NULL;
done:
	free(data);
	svc_conn_free(c);
	svc_pipedefs_free(d, n);
	buf_clear(&cache);
	buf_clear(&o);
	return rc;
}
