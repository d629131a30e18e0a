/*
 * ops_plan.c - the plan of a pipeline as a principal sees it: what
 * svcconn-server answers for `svcconn plan` (server/api_plan.c).
 *
 * The pipeline's files come with the request and are read from memory
 * only (a tpl_source over them): the server never opens a path a client
 * names.  References resolve against the connections the principal may
 * read in its project (svc_ops_conn_list, the one filter of what a
 * principal sees), so one it may not read is exactly a name that does not
 * exist and the suggestions name readable ones only; the authorization
 * shown is read after the role check of the permissions and checks reads
 * (ops_conn with Reader).
 */
#include <stdlib.h>
#include <string.h>

#include "ops/ops_int.h"
#include "resolve/plan_int.h"
#include "pipeline/template.h"
#include "errors_int.h"

/* Who plans, for the authorization callback. */
struct asker {
	svc_store *st;            /**< the store */
	const svc_principal *p;   /**< the principal */
};

/* The files sent, for the expansion's tpl_source. */
struct sent {
	const svc_plan_file *files; /**< the request's files */
	size_t n;                 /**< entries in files */
};

static int sent_read(svc_buf *out, const char *path, void *data)
{
	const struct sent *s = data;
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->files[i].path, path) == 0)
			return buf_put(out, s->files[i].text, s->files[i].len)
				? error_set(SVC_EINVALID, "'%s' is too large",
					    path)
				: 0;
	return error_set(SVC_ENOTFOUND, "'%s' was not sent", path);
}

static int sent_exists(const char *path, int dir, void *data)
{
	const struct sent *s = data;
	size_t i, n = strlen(path);

	/* a directory is the start of a file's path ("" or "." the top) */
	if (dir && (n == 0 || strcmp(path, ".") == 0))
		return s->n > 0;
	while (dir && n > 0 && path[n - 1] == '/')
		n--;
	for (i = 0; i < s->n; i++) {
		const char *f = s->files[i].path;

		if (!dir ? strcmp(f, path) == 0
			 : strncmp(f, path, n) == 0 && f[n] == '/')
			return 1;
	}
	return 0;
}

/* 0 when path (of the request's field) is relative, normalised and
 * free of "..". */
static int path_ok(const char *field, const char *path)
{
	svc_buf norm = SVC_BUF_INIT;
	const char *p;
	int rc;

	if (!*path || path[0] == '/')
		return error_set(SVC_EINVALID,
				 "field '%s': '%s' is not a relative path",
				 field, path);
	for (p = path; *p; p += strcspn(p, "/"), p += *p == '/') {
		size_t len = strcspn(p, "/");

		if (len == 2 && p[0] == '.' && p[1] == '.')
			return error_set(SVC_EINVALID,
					 "field '%s': '%s' goes up with '..'",
					 field, path);
	}
	rc = tpl_path_normalize(&norm, path);
	if (rc == 0 && strcmp(norm.ptr, path) != 0)
		rc = error_set(SVC_EINVALID,
			       "field '%s': '%s' is not normalised (as '%s')",
			       field, path, norm.ptr);
	buf_clear(&norm);
	return rc;
}

/* The plan's authorization of conn_id, after p's Reader role on it. */
static int ask(int *allowed, svc_check **checks, size_t *n,
	       const char *conn_id, const char *pipeline, void *data)
{
	const struct asker *a = data;
	svc_conn *c = NULL;
	int rc;

	if ((rc = ops_conn(&c, a->st, a->p, conn_id, SVC_ROLE_READER)))
		return rc == SVC_ENOTFOUND ? SVC_EDENIED : rc;
	svc_conn_free(c);
	rc = svc_store_pipeline_allowed(a->st, conn_id, pipeline, allowed);
	return rc ? rc : svc_store_check_list(checks, n, a->st, conn_id);
}

int svc_ops_plan(svc_plan **out, svc_store *st, const svc_principal *p,
		 const svc_plan_options *o, const svc_plan_file *files,
		 size_t nfiles, const svc_catalog *cat)
{
	struct asker asker = { st, p };
	struct sent sent = { files, nfiles };
	tpl_source src = { sent_read, sent_exists, &sent };
	struct plan_input in;
	size_t i, bytes = 0;
	int rc;

	if (!o || o->version != SVC_PLAN_OPTIONS_VERSION || !o->file)
		return error_set(SVC_EINVALID, "invalid plan options");
	if (o->flags & SVC_PLAN_FETCH)
		return error_set(SVC_EINVALID,
				 "a server plans the files sent: it does not fetch templates of other repositories");
	if (o->ntask_dirs)
		return error_set(SVC_EINVALID,
				 "a server plans with its own task manifests: no task directory can be given");
	if ((rc = path_ok("file", o->file)))
		return rc;
	if (nfiles > TPL_MAX_FILES)
		return error_set(SVC_EINVALID,
				 "field 'files': more than %d files", TPL_MAX_FILES);
	for (i = 0; i < nfiles; i++) {
		if ((rc = path_ok("files", files[i].path)))
			return rc;
		if (files[i].len > TPL_MAX_BYTES - bytes)
			return error_set(SVC_EINVALID,
					 "field 'files': more than %u bytes together (at '%s')",
					 TPL_MAX_BYTES, files[i].path);
		bytes += files[i].len;
	}
	memset(&in, 0, sizeof(in));
	if ((rc = svc_ops_conn_list(&in.conns, &in.nconns, st, p)))
		return rc;
	in.authorize = ask;
	in.data = &asker;
	in.source = &src;
	return plan_build(out, o, &in, cat);
}
