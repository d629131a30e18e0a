/*
 * cmd_share.c - `svcconn share CONN --project P [--name N]` and `svcconn
 * unshare CONN --project P`: a connection used from another project, as
 * Azure DevOps' serviceEndpointProjectReferences (docs/projects.md).
 *
 * The connection is looked up in the project acted in ('svcconn
 * --project SRC share ...', $SVCCONN_PROJECT, else "default"); --project
 * after the command names the project it is shared into.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum { OPT_NAME = 1, OPT_DESCRIPTION };

/* What share was given. */
struct share_opts {
	const char *name;        /**< --name, or NULL: its own */
	const char *description; /**< --description, or NULL */
};

static const struct option options[] = {
	{ "name", required_argument, NULL, OPT_NAME },
	{ "description", required_argument, NULL, OPT_DESCRIPTION },
	CLI_COMMON_OPTIONS
};

static int on_opt(int c, const char *arg, void *data)
{
	struct share_opts *o = data;

	if (c == OPT_NAME)
		o->name = arg;
	else if (c == OPT_DESCRIPTION)
		o->description = arg;
	return EXIT_OK;
}

/* share (unshare 0) or unshare (1). */
static int run(struct cli_ctx *ctx, const struct cmd_entry *cmd, int unshare,
	       int argc, char **argv)
{
	struct share_opts o;
	svc_store *st = NULL;
	const char *target;
	int rc, exit_now;

	memset(&o, 0, sizeof(o));
	if ((rc = cli_parse(ctx, cmd, argc, argv, NULL, options, on_opt, &o,
			    &exit_now)) || exit_now)
		return rc;
	if (argc - optind != 1)
		return cli_usage_error(cmd, "give one connection");
	if (!(target = ctx->project_opt))
		return cli_usage_error(cmd, "--project names the project to %s",
				       unshare ? "take it back from"
					       : "share it with");
	if (unshare && (o.name || o.description))
		return cli_usage_error(cmd, "unshare takes no --name or --description");
	/* the connection is the acting project's, not the target's (a
	 * server's calls go to the acting project too) */
	if (svc_principal_set_project(ctx->who, ctx->project))
		return cli_lib_fail(SVC_EINVALID);
	ctx->project_opt = NULL;
	if ((rc = cli_open_store(ctx, &st)))
		return rc;
	rc = cli_conn_share(ctx, st, !unshare, argv[optind], target, o.name,
			    o.description);
	if (rc == 0 && unshare)
		printf("connection '%s' is no longer shared with project '%s'\n",
		       argv[optind], target);
	else if (rc == 0)
		printf("shared connection '%s' with project '%s' as '%s'\n",
		       argv[optind], target, o.name ? o.name : argv[optind]);
	else
		rc = cli_lib_fail(rc);
	svc_store_free(st);
	return rc;
}

static int cmd_share(struct cli_ctx *ctx, int argc, char **argv)
{
	return run(ctx, &cmd_share_entry, 0, argc, argv);
}

static int cmd_unshare(struct cli_ctx *ctx, int argc, char **argv)
{
	return run(ctx, &cmd_unshare_entry, 1, argc, argv);
}

const struct cmd_entry cmd_share_entry = {
	"share",
	"share CONNECTION --project PROJECT [--name NAME] [--description TEXT]",
	"use a connection from another project",
	"Shares CONNECTION of the project acted in ('svcconn --project SRC\n"
	"share ...', else $SVCCONN_PROJECT, else 'default') with PROJECT, as\n"
	"Azure DevOps' serviceEndpointProjectReferences: there it is found\n"
	"under NAME (default: its own name; unique in that project), and that\n"
	"project's roles give at most User on it. Its owning project keeps it:\n"
	"editing, secrets and roles on it stay there. Sharing again renames it\n"
	"in PROJECT. You need the Administrator role on the connection and at\n"
	"least User in PROJECT.\n"
	"Options:\n"
	"  --project PROJECT   the project to share it with\n"
	"  --name NAME         its name in PROJECT\n"
	"  --description TEXT  its description in PROJECT\n"
	"Sharing is audited ('svcconn audit'). 'svcconn unshare' takes it back.\n"
	"Against a server (--server) it is Azure's PATCH of the connection\n"
	"with a ServiceEndpointProjectReference.\n",
	cmd_share, 1
};

const struct cmd_entry cmd_unshare_entry = {
	"unshare",
	"unshare CONNECTION --project PROJECT",
	"stop sharing a connection with a project",
	"Takes back a share made by 'svcconn share': CONNECTION of the project\n"
	"acted in is no longer found in PROJECT. The same roles as share.\n"
	"Options:\n"
	"  --project PROJECT  the project it was shared with\n"
	"Unsharing is audited ('svcconn audit'). Against a server (--server)\n"
	"too; it never deletes the connection (naming its own project is 'not\n"
	"shared', as locally).\n",
	cmd_unshare, 1
};
