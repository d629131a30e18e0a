/*
 * cli_remote.c - svcconn against a server: `svcconn login URL`, `svcconn
 * logout`, connecting to the server --server or SVCCONN_SERVER names, and
 * the per-verb dispatch every command that works remotely calls (the
 * server through svcconn/remote.h, or svc_ops_* on the local store), so
 * that each command prints what it got through one path.
 *
 * The token is never in argv or the environment: `login` reads it from
 * standard input (or prompts without echo on a terminal) and stores it in
 * the login file (0600, see svc_remote_login_save); a script may name a
 * private file holding it with SVCCONN_TOKEN_FILE instead.  A login's
 * token is used only for the URL it was given for.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

/* ---- the dispatch ------------------------------------------------------- */

int cli_conn_get(struct cli_ctx *ctx, svc_store *st, svc_conn **out,
		 const char *name_or_id)
{
	return ctx->remote ? svc_remote_conn_get(out, ctx->remote, name_or_id)
			   : svc_ops_conn_get(out, st, ctx->who, name_or_id, 0);
}

int cli_conn_edit(struct cli_ctx *ctx, svc_store *st, svc_conn **out,
		  const char *name_or_id)
{
	/* the server checks the role when the change arrives */
	return ctx->remote ? svc_remote_conn_get(out, ctx->remote, name_or_id)
			   : svc_ops_conn_edit(out, st, ctx->who, name_or_id);
}

int cli_conn_create(struct cli_ctx *ctx, svc_store *st, svc_conn *c)
{
	return ctx->remote ? svc_remote_conn_create(ctx->remote, c)
			   : svc_ops_conn_create(st, ctx->who, c);
}

int cli_conn_update(struct cli_ctx *ctx, svc_store *st, svc_conn *c)
{
	return ctx->remote ? svc_remote_conn_update(ctx->remote, c)
			   : svc_ops_conn_update(st, ctx->who, c);
}

int cli_conn_rename(struct cli_ctx *ctx, svc_store *st,
		    const char *name_or_id, const char *new_name)
{
	return ctx->remote
		? svc_remote_conn_rename(ctx->remote, name_or_id, new_name)
		: svc_ops_conn_rename(st, ctx->who, name_or_id, new_name);
}

int cli_conn_delete(struct cli_ctx *ctx, svc_store *st,
		    const char *name_or_id)
{
	return ctx->remote ? svc_remote_conn_delete(ctx->remote, name_or_id)
			   : svc_ops_conn_delete(st, ctx->who, name_or_id);
}

int cli_conn_list_expiry(struct cli_ctx *ctx, svc_store *st,
			 svc_conn ***conns, size_t *nconns,
			 svc_cert_expiry **exp, size_t *nexp)
{
	svc_conn **l = NULL;
	size_t n = 0;
	int rc;

	if (!ctx->remote)
		return svc_ops_conn_list_expiry(conns, nconns, exp, nexp, st,
						ctx->who);
	if ((rc = svc_remote_conn_list(&l, &n, ctx->remote)) ||
	    (rc = svc_remote_cert_expiry_list(exp, nexp, ctx->remote))) {
		svc_store_conn_list_free(l, n);
		return rc;
	}
	*conns = l;
	*nconns = n;
	return 0;
}

int cli_audit(struct cli_ctx *ctx, svc_store *st, svc_audit_list **out,
	      const svc_audit_filter *f)
{
	return ctx->remote ? svc_remote_audit_query(out, ctx->remote, f)
			   : svc_ops_audit_query(out, st, ctx->who, f);
}

int cli_pipeline_list(struct cli_ctx *ctx, svc_store *st, char ***out,
		      size_t *n, const char *name_or_id)
{
	return ctx->remote
		? svc_remote_pipeline_list(out, n, ctx->remote, name_or_id)
		: svc_ops_pipeline_list(out, n, st, ctx->who, name_or_id);
}

int cli_pipeline_set(struct cli_ctx *ctx, svc_store *st,
		     const char *name_or_id, const char *pipeline, int allow)
{
	if (ctx->remote)
		return svc_remote_pipeline_set(ctx->remote, name_or_id,
					       pipeline, allow);
	return allow ? svc_ops_pipeline_allow(st, ctx->who, name_or_id, pipeline)
		     : svc_ops_pipeline_disallow(st, ctx->who, name_or_id,
						 pipeline);
}

int cli_conn_set_all_pipelines(struct cli_ctx *ctx, svc_store *st,
			       const char *name_or_id, int all)
{
	return ctx->remote
		? svc_remote_conn_set_all_pipelines(ctx->remote, name_or_id, all)
		: svc_ops_conn_set_all_pipelines(st, ctx->who, name_or_id, all);
}

int cli_approval_list(struct cli_ctx *ctx, svc_store *st, svc_check_run **out,
		      char ***conn_names, size_t *n, int pending_only)
{
	return ctx->remote
		? svc_remote_approval_list(out, conn_names, n, ctx->remote,
					   pending_only)
		: svc_ops_approval_list(out, conn_names, n, st, ctx->who,
					pending_only);
}

int cli_decide(struct cli_ctx *ctx, svc_store *st, const char *check_run_id,
	       const char *decision, const char *comment,
	       const char *defer_until)
{
	return ctx->remote
		? svc_remote_decide(ctx->remote, check_run_id, decision,
				    comment, defer_until)
		: svc_ops_decide(st, ctx->who, check_run_id, decision, comment,
				 defer_until);
}

int cli_bypass(struct cli_ctx *ctx, svc_store *st, const char *check_run_id)
{
	return ctx->remote ? svc_remote_bypass(ctx->remote, check_run_id)
			   : svc_ops_bypass(st, ctx->who, check_run_id);
}

int cli_usage_list(struct cli_ctx *ctx, svc_store *st, svc_usage **out,
		   size_t *n, const char *name_or_id, size_t limit)
{
	return ctx->remote
		? svc_remote_usage_list(out, n, ctx->remote, name_or_id, limit)
		: svc_ops_usage_list(out, n, st, ctx->who, name_or_id, limit);
}

int cli_request_list(struct cli_ctx *ctx, svc_store *st,
		     svc_perm_request **out, size_t *n, int pending_only)
{
	return ctx->remote
		? svc_remote_request_list(out, n, ctx->remote, pending_only)
		: svc_ops_request_list(out, n, st, ctx->who, pending_only);
}

int cli_request_permit(struct cli_ctx *ctx, svc_store *st,
		       svc_perm_request **req, const char *id)
{
	return ctx->remote ? svc_remote_request_permit(req, ctx->remote, id)
			   : svc_ops_request_permit(req, st, ctx->who, id);
}

int cli_check_list(struct cli_ctx *ctx, svc_store *st, svc_check **out,
		   size_t *n, const char *name_or_id)
{
	return ctx->remote
		? svc_remote_check_list(out, n, ctx->remote, name_or_id)
		: svc_ops_check_list(out, n, st, ctx->who, name_or_id);
}

int cli_check_add(struct cli_ctx *ctx, svc_store *st, char **id,
		  const char *name_or_id, const char *kind,
		  const char *const *keys, const char *const *values,
		  size_t n)
{
	return ctx->remote
		? svc_remote_check_add(id, ctx->remote, name_or_id, kind, keys,
				       values, n)
		: svc_ops_check_add(id, st, ctx->who, name_or_id, kind, keys,
				    values, n);
}

int cli_check_remove(struct cli_ctx *ctx, svc_store *st,
		     const char *name_or_id, const char *check_id)
{
	return ctx->remote
		? svc_remote_check_remove(ctx->remote, name_or_id, check_id)
		: svc_ops_check_remove(st, ctx->who, name_or_id, check_id);
}

int cli_check_enable(struct cli_ctx *ctx, svc_store *st,
		     const char *name_or_id, const char *check_id,
		     int enabled)
{
	return ctx->remote
		? svc_remote_check_enable(ctx->remote, name_or_id, check_id,
					  enabled)
		: svc_ops_check_enable(st, ctx->who, name_or_id, check_id,
				       enabled);
}

int cli_role_list(struct cli_ctx *ctx, svc_store *st, const char *scope,
		  svc_role_entry **out, size_t *n, int *inherit,
		  svc_role *mine, char **you, char **conn_name)
{
	svc_conn *c = NULL;
	int rc;

	if (ctx->remote)
		return svc_remote_role_list(out, n, inherit, mine, you,
					    conn_name, ctx->remote, scope);
	*you = *conn_name = NULL;
	if ((rc = svc_ops_role_list(out, n, inherit, st, ctx->who, scope)) ||
	    (scope && (rc = svc_ops_conn_get(&c, st, ctx->who, scope, 0))) ||
	    (rc = svc_ops_role(mine, st, ctx->who, scope)))
		goto fail;
	if (!(*you = strdup(svc_principal_name(ctx->who))) ||
	    (c && !(*conn_name = strdup(svc_conn_name(c))))) {
		rc = SVC_ERROR;
		goto fail;
	}
	svc_conn_free(c);
	return 0;
fail:
	svc_role_entries_free(*out, *n);
	*out = NULL;
	*n = 0;
	free(*you);
	*you = NULL;
	svc_conn_free(c);
	return rc;
}

int cli_role_set(struct cli_ctx *ctx, svc_store *st, const char *scope,
		 const char *principal, svc_role role)
{
	return ctx->remote
		? svc_remote_role_set(ctx->remote, scope, principal, role)
		: svc_ops_role_set(st, ctx->who, scope, principal, role);
}

int cli_inherit_set(struct cli_ctx *ctx, svc_store *st, const char *scope,
		    int on)
{
	return ctx->remote ? svc_remote_inherit_set(ctx->remote, scope, on)
			   : svc_ops_inherit_set(st, ctx->who, scope, on);
}

int cli_group_list(struct cli_ctx *ctx, svc_store *st, char ***out,
		   size_t *n, const char *group)
{
	return ctx->remote
		? svc_remote_group_list(out, n, ctx->remote, group)
		: svc_ops_group_list(out, n, st, ctx->who, group);
}

int cli_group_make(struct cli_ctx *ctx, svc_store *st, const char *group,
		   int create)
{
	if (ctx->remote)
		return svc_remote_group_make(ctx->remote, group, create);
	return create ? svc_ops_group_create(st, ctx->who, group)
		      : svc_ops_group_delete(st, ctx->who, group);
}

int cli_group_member(struct cli_ctx *ctx, svc_store *st, const char *group,
		     const char *member, int add)
{
	if (ctx->remote)
		return svc_remote_group_member(ctx->remote, group, member,
					       add);
	return add ? svc_ops_group_add(st, ctx->who, group, member)
		   : svc_ops_group_remove(st, ctx->who, group, member);
}

int cli_pipedef_list(struct cli_ctx *ctx, svc_store *st, svc_pipedef **out,
		     size_t *n)
{
	return ctx->remote ? svc_remote_pipedef_list(out, n, ctx->remote)
			   : svc_ops_pipedef_list(out, n, st, ctx->who);
}

int cli_pipedef_register(struct cli_ctx *ctx, svc_store *st,
			 const char *name, const char *connection,
			 const char *url, const char *path,
			 const char *branch)
{
	return ctx->remote
		? svc_remote_pipedef_register(ctx->remote, name, connection,
					      url, path, branch)
		: svc_ops_pipedef_register(st, ctx->who, name, connection,
					   url, path, branch);
}

int cli_pipedef_remove(struct cli_ctx *ctx, svc_store *st, const char *name)
{
	return ctx->remote ? svc_remote_pipedef_remove(ctx->remote, name)
			   : svc_ops_pipedef_remove(st, ctx->who, name);
}

int cli_token_create(struct cli_ctx *ctx, svc_store *st, char **token,
		     svc_token_info *info, const char *owner,
		     const char *name, const char *scopes, unsigned days)
{
	return ctx->remote
		? svc_remote_token_create(token, info, ctx->remote, owner, name,
					  scopes, days)
		: svc_ops_token_create(token, info, st, ctx->who, owner, name,
				       scopes, days);
}

int cli_token_list(struct cli_ctx *ctx, svc_store *st, svc_token_info **out,
		   size_t *n, const char *owner, int all)
{
	return ctx->remote
		? svc_remote_token_list(out, n, ctx->remote, owner, all)
		: svc_ops_token_list(out, n, st, ctx->who, owner, all);
}

int cli_token_revoke(struct cli_ctx *ctx, svc_store *st, const char *id)
{
	return ctx->remote ? svc_remote_token_revoke(ctx->remote, id)
			   : svc_ops_token_revoke(st, ctx->who, id);
}

int cli_password_set(struct cli_ctx *ctx, svc_store *st, const char *name,
		     const char *password, size_t len)
{
	return ctx->remote
		? svc_remote_password_set(ctx->remote, name, password, len)
		: svc_ops_password_set(st, ctx->who, name, password, len);
}

int cli_password_remove(struct cli_ctx *ctx, svc_store *st, const char *name)
{
	return ctx->remote ? svc_remote_password_remove(ctx->remote, name)
			   : svc_ops_password_remove(st, ctx->who, name);
}

int cli_user_list(struct cli_ctx *ctx, svc_store *st, svc_user_info **out,
		  size_t *n)
{
	return ctx->remote ? svc_remote_user_list(out, n, ctx->remote)
			   : svc_ops_user_list(out, n, st, ctx->who);
}

int cli_oidc_keys(struct cli_ctx *ctx, svc_store *st, svc_oidc_key **out,
		  size_t *n)
{
	return ctx->remote ? svc_remote_oidc_keys(out, n, ctx->remote)
			   : svc_ops_oidc_keys(out, n, st, ctx->who);
}

int cli_oidc_rotate(struct cli_ctx *ctx, svc_store *st, char **kid,
		    const char *alg)
{
	return ctx->remote ? svc_remote_oidc_rotate(kid, ctx->remote, alg)
			   : svc_ops_oidc_rotate(kid, st, ctx->who, alg);
}

int cli_project_list(struct cli_ctx *ctx, svc_store *st, svc_project **out,
		     size_t *n)
{
	return ctx->remote ? svc_remote_project_list(out, n, ctx->remote)
			   : svc_ops_project_list(out, n, st, ctx->who);
}

int cli_project_create(struct cli_ctx *ctx, svc_store *st, const char *name,
		       const char *description)
{
	return ctx->remote
		? svc_remote_project_create(ctx->remote, name, description)
		: svc_ops_project_create(NULL, st, ctx->who, name, description);
}

int cli_project_delete(struct cli_ctx *ctx, svc_store *st, const char *name)
{
	return ctx->remote ? svc_remote_project_delete(ctx->remote, name)
			   : svc_ops_project_delete(st, ctx->who, name);
}

int cli_conn_share(struct cli_ctx *ctx, svc_store *st, int share,
		   const char *name_or_id, const char *project,
		   const char *name, const char *description)
{
	if (ctx->remote)
		return share ? svc_remote_conn_share(ctx->remote, name_or_id,
						     project, name, description)
			     : svc_remote_conn_unshare(ctx->remote, name_or_id,
						       project);
	return share ? svc_ops_conn_share(st, ctx->who, name_or_id, project,
					  name, description)
		     : svc_ops_conn_unshare(st, ctx->who, name_or_id, project);
}

int cli_pool_list(struct cli_ctx *ctx, svc_store *st, svc_pool **out,
		  size_t *n)
{
	return ctx->remote ? svc_remote_pool_list(out, n, ctx->remote)
			   : svc_ops_pool_list(out, n, st, ctx->who);
}

int cli_pool_create(struct cli_ctx *ctx, svc_store *st, const char *name,
		    int trusted)
{
	return ctx->remote ? svc_remote_pool_create(ctx->remote, name, trusted)
			   : svc_ops_pool_create(st, ctx->who, name, trusted);
}

int cli_agent_list(struct cli_ctx *ctx, svc_store *st, svc_agent **out,
		   size_t *n)
{
	return ctx->remote ? svc_remote_agent_list(out, n, ctx->remote)
			   : svc_ops_agent_list(out, n, st, ctx->who);
}

int cli_agent_revoke(struct cli_ctx *ctx, svc_store *st, const char *name)
{
	return ctx->remote ? svc_remote_agent_revoke(ctx->remote, name)
			   : svc_ops_agent_revoke(st, ctx->who, name);
}

int cli_agent_registration_token(struct cli_ctx *ctx, svc_store *st,
				 char **token, long long *expires,
				 const char *pool, unsigned hours)
{
	return ctx->remote
		? svc_remote_agent_registration_token(token, expires,
						      ctx->remote, pool, hours)
		: svc_ops_agent_registration_token(token, expires, st,
						   ctx->who, pool, hours);
}

int cli_types(struct cli_ctx *ctx, const svc_catalog *cat, json_t **out,
	      const char *type)
{
	const svc_type *one = NULL;
	json_error_t err;
	char *s = NULL;
	size_t i;
	int rc = 0;

	*out = NULL;
	if (ctx->remote) {
		if ((rc = svc_remote_types(&s, ctx->remote, type)))
			return rc;
		*out = json_loads(s, 0, &err);
		free(s);
		return *out ? 0 : SVC_ERROR;
	}
	if (!(*out = json_array()))
		return SVC_ERROR;
	if (type)
		one = svc_catalog_find(cat, type);
	for (i = 0; rc == 0 && i < svc_catalog_count(cat); i++) {
		const svc_type *t = svc_catalog_at(cat, i);

		if (type && t != one)
			continue;
		if ((rc = svc_type_json(&s, t)) == 0) {
			json_array_append_new(*out, json_loads(s, 0, &err));
			free(s);
		}
	}
	if (rc) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

int cli_verify(struct cli_ctx *ctx, svc_store *st, svc_verify_result *out,
	       svc_conn **conn, char **pinned, const svc_catalog *cat,
	       const char *name_or_id, unsigned flags)
{
	return ctx->remote
		? svc_remote_verify(out, conn, pinned, ctx->remote, name_or_id,
				    flags)
		: svc_ops_verify(out, conn, pinned, st, ctx->who, cat,
				 name_or_id, flags);
}

int cli_export(struct cli_ctx *ctx, svc_store *st, char **text, size_t *len,
	       size_t *count, const char *const *names, size_t nnames,
	       unsigned flags)
{
	/* secrets never leave a server: cmd_export refuses to ask */
	if (ctx->remote && (flags & SVC_EXPORT_SECRETS))
		return SVC_EINVALID;
	return ctx->remote
		? svc_remote_export(text, len, count, ctx->remote, names,
				    nnames)
		: svc_ops_export(text, len, count, st, ctx->who, names, nnames,
				 flags);
}

int cli_conn_import(struct cli_ctx *ctx, svc_store *st, svc_conn **conns,
		    size_t count, unsigned flags)
{
	return ctx->remote
		? svc_remote_conn_import(ctx->remote, conns, count, flags)
		: svc_ops_conn_import(st, ctx->who, conns, count, flags);
}

int cli_cert_rescan(struct cli_ctx *ctx, svc_store *st, size_t *scanned,
		    const svc_catalog *cat)
{
	return ctx->remote ? svc_remote_cert_rescan(scanned, ctx->remote)
			   : svc_ops_cert_rescan(scanned, st, ctx->who, cat);
}

int cli_pipeline_source(struct cli_ctx *ctx, svc_store *st, char **yaml,
			size_t *len, char **origin, const char *pipeline,
			const char *commit)
{
	return ctx->remote
		? svc_remote_pipeline_source(yaml, len, origin, ctx->remote,
					     pipeline, commit)
		: svc_ops_pipeline_source(yaml, len, origin, st, ctx->who,
					  pipeline, commit);
}

int cli_project_role_list(struct cli_ctx *ctx, svc_store *st,
			  svc_role_entry **out, size_t *n)
{
	return ctx->remote ? svc_remote_project_role_list(out, n, ctx->remote)
			   : svc_ops_project_role_list(out, n, st, ctx->who);
}

int cli_project_role_set(struct cli_ctx *ctx, svc_store *st,
			 const char *principal, svc_role role)
{
	return ctx->remote
		? svc_remote_project_role_set(ctx->remote, principal, role)
		: svc_ops_project_role_set(st, ctx->who, principal, role);
}

int cli_local_only(const struct cli_ctx *ctx, const char *what)
{
	if (!ctx->remote)
		return EXIT_OK;
	return cli_fail(SVC_EINVALID,
			"%s works only on a local store, not against a server",
			what);
}

/* ---- the token ------------------------------------------------------------ */

/* Drop the line breaks that end a token read from a file or a pipe. */
static void chomp(const char *tok, size_t *len)
{
	while (*len && (tok[*len - 1] == '\n' || tok[*len - 1] == '\r'))
		(*len)--;
}

/*
 * The token of the file SVCCONN_TOKEN_FILE names: a regular file of ours
 * that nobody else may read (checked on the open descriptor).
 */
static int token_file_read(char **tok, size_t *len, const char *path)
{
	struct stat sb;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return cli_fail(SVC_EINVALID, "cannot open token file '%s' (SVCCONN_TOKEN_FILE)",
				path);
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    sb.st_uid != geteuid() || (sb.st_mode & 077)) {
		close(fd);
		return cli_fail(SVC_EINSECURE,
				"token file '%s' must be a regular file of yours that others cannot read (mode 0600)",
				path);
	}
	rc = svc_secret_read_fd(tok, len, fd);
	close(fd);
	if (rc)
		return cli_lib_fail(rc);
	chomp(*tok, len);
	return EXIT_OK;
}

int cli_remote_open(struct cli_ctx *ctx)
{
	svc_remote_options o = { SVC_REMOTE_OPTIONS_VERSION, NULL, NULL, 0,
				 NULL, 0 };
	const char *tf = getenv("SVCCONN_TOKEN_FILE");
	const char *ca = ctx->ca_file ? ctx->ca_file : getenv("SVCCONN_CA");
	char *url = NULL, *tok = NULL, *login_ca = NULL;
	size_t len = 0;
	int rc;

	if (tf && *tf) {
		if ((rc = token_file_read(&tok, &len, tf)))
			return rc;
	} else {
		if ((rc = svc_remote_login_load(&url, &tok, &len, &login_ca))) {
			rc = cli_fail(rc, "%s; or name a token file with SVCCONN_TOKEN_FILE",
				      svc_error_last());
			goto done;
		}
		/* a token goes only to the server it was given for */
		if (strcmp(url, ctx->server) != 0) {
			rc = cli_fail(SVC_EDENIED,
				      "the login is for '%s', not '%s' (run 'svcconn login %s')",
				      url, ctx->server, ctx->server);
			goto done;
		}
		if (!ca)
			ca = login_ca;
	}
	o.url = ctx->server;
	o.token = tok;
	o.token_len = len;
	o.ca_file = ca;
	if ((rc = svc_remote_new(&ctx->remote, &o)) ||
	    /* --project, else SVCCONN_PROJECT, instead of the URL's */
	    ((ctx->project_opt || ctx->project) &&
	     (rc = svc_remote_set_project(ctx->remote, ctx->project_opt
					  ? ctx->project_opt : ctx->project))))
		rc = cli_lib_fail(rc);
done:
	svc_secret_free(tok, len);
	free(url);
	free(login_ca);
	return rc;
}

/* ---- login and logout ---------------------------------------------------------- */

static const struct option login_options[] = { CLI_COMMON_OPTIONS };

static int cmd_login(struct cli_ctx *ctx, int argc, char **argv)
{
	svc_remote_options o = { SVC_REMOTE_OPTIONS_VERSION, NULL, NULL, 0,
				 NULL, 0 };
	svc_remote *r = NULL;
	char *tok = NULL, *who = NULL, *ca = NULL;
	size_t len = 0;
	int rc, exit_now;

	if ((rc = cli_parse(ctx, &cmd_login_entry, argc, argv, NULL,
			    login_options, NULL, NULL, &exit_now)) || exit_now)
		return rc;
	if (argc - optind != 1)
		return cli_usage_error(&cmd_login_entry, "login needs the server's URL");
	o.url = argv[optind];
	o.ca_file = ctx->ca_file ? ctx->ca_file : getenv("SVCCONN_CA");
	/* the CA file is kept by its absolute name: later commands run
	 * from anywhere */
	if (o.ca_file && !(ca = realpath(o.ca_file, NULL)))
		return cli_fail(SVC_EINVALID, "cannot find CA file '%s'",
				o.ca_file);
	o.ca_file = ca;
	rc = isatty(STDIN_FILENO)
		     ? svc_secret_prompt(&tok, &len, "personal access token: ")
		     : svc_secret_read_fd(&tok, &len, STDIN_FILENO);
	if (rc) {
		rc = cli_lib_fail(rc);
		goto done;
	}
	chomp(tok, &len);
	o.token = tok;
	o.token_len = len;
	/* the token is checked before it is kept */
	if ((rc = svc_remote_new(&r, &o)) ||
	    (rc = svc_remote_whoami(&who, r)) ||
	    (rc = svc_remote_login_save(o.url, tok, len, ca))) {
		rc = cli_lib_fail(rc);
		goto done;
	}
	printf("logged in to %s as ", o.url);
	cli_print_safe(stdout, who);
	putchar('\n');
done:
	svc_remote_free(r);
	svc_secret_free(tok, len);
	free(who);
	free(ca);
	return rc;
}

static int cmd_logout(struct cli_ctx *ctx, int argc, char **argv)
{
	int rc, exit_now;

	if ((rc = cli_parse(ctx, &cmd_logout_entry, argc, argv, NULL,
			    login_options, NULL, NULL, &exit_now)) || exit_now)
		return rc;
	if (argc != optind)
		return cli_usage_error(&cmd_logout_entry, "unexpected argument '%s'",
				       argv[optind]);
	if ((rc = svc_remote_login_remove()))
		return cli_lib_fail(rc);
	puts("logged out (the login file is removed; the token stays valid until revoked)");
	return EXIT_OK;
}

const struct cmd_entry cmd_login_entry = {
	"login", "login URL [--ca FILE]",
	"keep a personal access token for svcconn-server at URL",
	"The token (made by 'svcconn tokens create' on the server's store) is\n"
	"read from standard input, or asked for without echo on a terminal;\n"
	"never give it as an argument. It is checked with the server\n"
	"(GET /_apis/connectionData), then kept with URL and the CA file in\n"
	"$XDG_CONFIG_HOME/svcconn/server.json (else ~/.config/svcconn/\n"
	"server.json; directory 0700, file created 0600). Commands use it with\n"
	"--server URL or SVCCONN_SERVER=URL, for that URL only.\n"
	"URL: https://HOST[:PORT][/ORGANIZATION/PROJECT] (default/default).\n",
	cmd_login, 1
};

const struct cmd_entry cmd_logout_entry = {
	"logout", "logout",
	"forget the token 'svcconn login' kept",
	"Removes the login file. The token itself stays valid on the server\n"
	"until it expires or is revoked ('svcconn tokens revoke ID').\n",
	cmd_logout, 1
};
