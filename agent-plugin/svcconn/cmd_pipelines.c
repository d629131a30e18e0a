/*
 * cmd_pipelines.c - `svcconn pipelines register|list|remove|source`:
 * pipelines the server compiles itself, each a YAML file of a repository
 * read through a stored connection (svcconn/pipedef.h).
 *
 * source prints the file at a commit (or its branch's head) on standard
 * output, as the server reads it for a job, and its origin ("repository
 * CONN@COMMIT:PATH", naming the commit used) on standard error.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum { OPT_CONNECTION = 1, OPT_URL, OPT_PATH, OPT_BRANCH, OPT_COMMIT };

static const struct option options[] = {
	{ "connection", required_argument, NULL, OPT_CONNECTION },
	{ "url", required_argument, NULL, OPT_URL },
	{ "path", required_argument, NULL, OPT_PATH },
	{ "branch", required_argument, NULL, OPT_BRANCH },
	{ "commit", required_argument, NULL, OPT_COMMIT },
	{ "json", no_argument, NULL, OPT_JSON },
	CLI_COMMON_OPTIONS
};

/* What the options say. */
struct pipe_opts {
	const char *connection; /**< --connection */
	const char *url;        /**< --url */
	const char *path;       /**< --path */
	const char *branch;     /**< --branch, or NULL */
	const char *commit;     /**< --commit, or NULL (the branch's head) */
};

static int on_opt(int c, const char *arg, void *data)
{
	struct pipe_opts *o = data;

	switch (c) {
	case OPT_CONNECTION: o->connection = arg; break;
	case OPT_URL: o->url = arg; break;
	case OPT_PATH: o->path = arg; break;
	case OPT_BRANCH: o->branch = arg; break;
	case OPT_COMMIT: o->commit = arg; break;
	}
	return EXIT_OK;
}

static int pipe_register(struct cli_ctx *ctx, svc_store *st,
			 const struct pipe_opts *o, const char *name)
{
	int rc;

	if (!o->connection || !o->url || !o->path)
		return cli_usage_error(&cmd_pipelines_entry,
				       "register needs --connection, --url and --path");
	if ((rc = cli_pipedef_register(ctx, st, name, o->connection, o->url,
				       o->path, o->branch)))
		return cli_lib_fail(rc);
	printf("registered pipeline '%s': %s of %s through '%s'\n", name,
	       o->path, o->url, o->connection);
	return EXIT_OK;
}

static int pipe_list(struct cli_ctx *ctx, svc_store *st)
{
	svc_pipedef *l = NULL;
	size_t n = 0, i;
	json_t *a;
	int rc;

	if ((rc = cli_pipedef_list(ctx, st, &l, &n)))
		return cli_lib_fail(rc);
	a = json_array();
	if (!ctx->json)
		printf("%-24s %-20s %-12s %-28s %s\n", "NAME", "CONNECTION",
		       "BRANCH", "PATH", "URL");
	for (i = 0; i < n; i++) {
		if (ctx->json) {
			json_array_append_new(a, json_pack(
				"{s:s, s:s, s:s, s:s, s:s, s:s?, s:s, s:I}",
				"name", l[i].name, "connection", l[i].connection,
				"connectionId", l[i].connection_id, "url",
				l[i].url, "path", l[i].path, "branch",
				l[i].branch, "createdBy", l[i].created_by,
				"created", (json_int_t)l[i].created));
			continue;
		}
		cli_print_safe(stdout, l[i].name);
		putchar(' ');
		cli_print_safe(stdout, l[i].connection);
		putchar(' ');
		cli_print_safe(stdout, l[i].branch ? l[i].branch : "(default)");
		putchar(' ');
		cli_print_safe(stdout, l[i].path);
		putchar(' ');
		cli_print_safe(stdout, l[i].url);
		putchar('\n');
	}
	rc = ctx->json ? cli_print_json(a) : (json_decref(a), EXIT_OK);
	svc_pipedefs_free(l, n);
	return rc;
}

static int pipe_remove(struct cli_ctx *ctx, svc_store *st, const char *name)
{
	int rc = cli_pipedef_remove(ctx, st, name);

	if (rc)
		return cli_lib_fail(rc);
	printf("removed pipeline '%s'\n", name);
	return EXIT_OK;
}

static int pipe_source(struct cli_ctx *ctx, svc_store *st,
		       const struct pipe_opts *o, const char *name)
{
	char *yaml = NULL, *origin = NULL;
	size_t len = 0;
	int rc;

	if ((rc = cli_pipeline_source(ctx, st, &yaml, &len, &origin, name,
				      o->commit)))
		return cli_lib_fail(rc);
	if (ctx->json) {
		rc = cli_print_json(json_pack("{s:s, s:s%}", "origin", origin,
					      "yaml", yaml, len));
	} else {
		fwrite(yaml, 1, len, stdout);
		fprintf(stderr, "svcconn: pipeline '%s' from %s\n", name, origin);
		rc = EXIT_OK;
	}
	free(yaml);
	free(origin);
	return rc;
}

static int cmd_pipelines(struct cli_ctx *ctx, int argc, char **argv)
{
	struct pipe_opts o;
	svc_store *st = NULL;
	const char *verb;
	int rc, exit_now, nargs;

	memset(&o, 0, sizeof(o));
	if ((rc = cli_parse(ctx, &cmd_pipelines_entry, argc, argv, NULL, options,
			    on_opt, &o, &exit_now)) || exit_now)
		return rc;
	verb = optind < argc ? argv[optind] : "list";
	nargs = argc - optind - 1;
	if (strcmp(verb, "register") && strcmp(verb, "list") &&
	    strcmp(verb, "remove") && strcmp(verb, "source"))
		return cli_usage_error(&cmd_pipelines_entry, "unknown action '%s'",
				       verb);
	if (strcmp(verb, "list") ? nargs != 1 : nargs > 0)
		return cli_usage_error(&cmd_pipelines_entry,
				       "wrong arguments for '%s'", verb);
	if ((rc = cli_open_store(ctx, &st)))
		return rc;
	if (!strcmp(verb, "register"))
		rc = pipe_register(ctx, st, &o, argv[optind + 1]);
	else if (!strcmp(verb, "list"))
		rc = pipe_list(ctx, st);
	else if (!strcmp(verb, "remove"))
		rc = pipe_remove(ctx, st, argv[optind + 1]);
	else
		rc = pipe_source(ctx, st, &o, argv[optind + 1]);
	svc_store_free(st);
	return rc;
}

const struct cmd_entry cmd_pipelines_entry = {
	"pipelines",
	"pipelines register NAME --connection CONN --url URL --path FILE [--branch B]\n"
	"       svcconn pipelines list [--json]\n"
	"       svcconn pipelines remove NAME\n"
	"       svcconn pipelines source NAME [--commit SHA] [--json]",
	"pipelines the server compiles itself, from a repository",
	"A registered pipeline is the YAML file FILE of the git repository URL,\n"
	"read through the stored connection CONN (git, github, githubenterprise,\n"
	"bitbucket, externaltfs or generic, whose scheme gives git a credential):\n"
	"svcconn-server reads it at a run's commit to decide the job's connections,\n"
	"instead of taking a pipeline file from the agent.\n"
	"Options:\n"
	"  --connection CONN  the repository's connection (User on it needed)\n"
	"  --url URL          the clone URL: https://, or http:// on loopback; no\n"
	"                     credentials in it (the connection gives them)\n"
	"  --path FILE        the YAML file, from the repository's root\n"
	"  --branch B         the default branch (default: the remote's HEAD)\n"
	"  --commit SHA       source: the full 40-hex commit (default: the\n"
	"                     branch's head)\n"
	"  --json             print JSON\n"
	"register and remove need Administrator on the store and are audited;\n"
	"list and source need Reader. source prints the file on standard output\n"
	"and 'repository CONN@COMMIT:PATH' (the commit used) on standard error.\n"
	"Fetched files are cached under the store's cache/pipelines (0700); a\n"
	"cached file is used only when its git blob id is the one its commit's\n"
	"tree names, else the repository is fetched again.\n"
	"Against a server, each acts on the server's store; source prints the\n"
	"file the server fetches (the connection's secrets stay there).\n",
	cmd_pipelines, 1
};
