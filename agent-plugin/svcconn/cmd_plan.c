/*
 * cmd_plan.c - `svcconn plan PIPELINE.yml`: every connection reference of a
 * pipeline, where it is written, and what it resolves to.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define MAX_LIST 256

enum { OPT_PIPELINE = 1, OPT_BRANCH, OPT_VAR, OPT_TASKS_DIR, OPT_FETCH };

/* Options of plan. */
struct plan_opts {
	const char *pipeline;           /**< --pipeline */
	const char *branch;             /**< --branch */
	const char *vars[MAX_LIST];     /**< --var K=V */
	size_t nvars;                   /**< entries in vars */
	const char *dirs[MAX_LIST];     /**< --tasks-dir */
	size_t ndirs;                   /**< entries in dirs */
	int fetch;                      /**< --fetch */
};

static const struct option options[] = {
	{ "pipeline", required_argument, NULL, OPT_PIPELINE },
	{ "branch", required_argument, NULL, OPT_BRANCH },
	{ "var", required_argument, NULL, OPT_VAR },
	{ "tasks-dir", required_argument, NULL, OPT_TASKS_DIR },
	{ "fetch", no_argument, NULL, OPT_FETCH },
	{ "json", no_argument, NULL, OPT_JSON },
	CLI_COMMON_OPTIONS
};

static int on_opt(int c, const char *arg, void *data)
{
	struct plan_opts *o = data;

	switch (c) {
	case OPT_PIPELINE: o->pipeline = arg; break;
	case OPT_BRANCH: o->branch = arg; break;
	case OPT_FETCH: o->fetch = 1; break;
	case OPT_VAR:
		if (!strchr(arg, '=') || arg[0] == '=' || o->nvars == MAX_LIST)
			return cli_fail(SVC_EINVALID, "--var takes NAME=VALUE");
		o->vars[o->nvars++] = arg;
		break;
	default:
		if (o->ndirs == MAX_LIST)
			return cli_fail(SVC_EINVALID, "too many --tasks-dir");
		o->dirs[o->ndirs++] = arg;
	}
	return EXIT_OK;
}

static void print_ref(const svc_ref *r)
{
	printf("    %s%s%s ", r->task ? r->task : svc_ref_kind_name(r->kind),
	       r->task ? " " : " ", r->key);
	cli_print_safe(stdout, r->written ? r->written : "");
	if (r->written && r->value && strcmp(r->written, r->value) != 0) {
		fputs(" = ", stdout);
		cli_print_safe(stdout, r->value);
	}
	if (r->status == SVC_REF_RESOLVED)
		printf(" -> %s (%s, %s, %s)", r->conn_name, r->conn_type,
		       r->conn_scheme, r->conn_id);
	else {
		printf(" [%s: ", svc_ref_status_name(r->status));
		cli_print_safe(stdout, r->message ? r->message : "");
		putchar(']');
	}
	if (r->authz)
		printf(" {%s%s%s}", r->authz, r->checks ? ": " : "",
		       r->checks ? r->checks : "");
	printf("\n      at %s:%u:%u %s\n", r->file, r->line, r->column, r->path);
}

static void print_plan(const svc_plan *p, const char *file)
{
	size_t i, n = svc_plan_ref_count(p), ok = 0;
	const char *stage = "", *job = "";

	printf("plan of %s\n", file);
	for (i = 0; i < n; i++) {
		const svc_ref *r = svc_plan_ref_at(p, i);
		const char *s = r->stage ? r->stage : "", *j = r->job ? r->job : "";

		if (i == 0 || strcmp(s, stage) || strcmp(j, job)) {
			if (!r->job)
				printf("  resources\n");
			else
				printf("  %s%s%sjob %s\n", r->stage ? "stage " : "",
				       r->stage ? r->stage : "", r->stage ? " / " : "",
				       r->job);
			stage = s;
			job = j;
		}
		print_ref(r);
		ok += r->status == SVC_REF_RESOLVED;
	}
	printf("%zu reference(s): %zu resolved, %zu not\n", n, ok, n - ok);
}

static int cmd_plan(struct cli_ctx *ctx, int argc, char **argv)
{
	struct plan_opts o;
	svc_plan_options po;
	svc_catalog *cat = NULL;
	svc_store *st = NULL;
	svc_plan *plan = NULL;
	int rc, exit_now;

	memset(&o, 0, sizeof(o));
	if ((rc = cli_parse(ctx, &cmd_plan_entry, argc, argv, NULL, options,
			    on_opt, &o, &exit_now)) || exit_now)
		return rc;
	if (argc - optind != 1)
		return cli_usage_error(&cmd_plan_entry, "plan needs a PIPELINE file");
	if ((rc = cli_open_store(ctx, &st)))
		return rc;
	memset(&po, 0, sizeof(po));
	po.version = SVC_PLAN_OPTIONS_VERSION;
	po.file = argv[optind];
	po.pipeline = o.pipeline;
	po.branch = o.branch;
	po.vars = o.vars;
	po.nvars = o.nvars;
	po.task_dirs = o.dirs;
	po.ntask_dirs = o.ndirs;
	po.flags = o.fetch ? SVC_PLAN_FETCH : 0;
	/* against a server: the files read here, planned there as the
	 * token's principal (svc_ops_plan) */
	if (ctx->remote ? (rc = svc_remote_plan(&plan, ctx->remote, &po)) != 0
			: cli_catalog_new(&cat) ||
			  (rc = svc_plan_build(&plan, &po, st, cat)) != 0) {
		rc = cli_lib_fail(rc ? rc : SVC_ERROR);
		goto done;
	}
	if (ctx->json) {
		char *s = svc_plan_json(plan);

		if (!s) {
			rc = cli_fail(SVC_ERROR, "out of memory");
			goto done;
		}
		puts(s);
		free(s);
	} else {
		print_plan(plan, po.file);
		fflush(stdout);
		cli_print_diags(svc_plan_diags(plan));
	}
	rc = svc_plan_ok(plan) ? EXIT_OK : EXIT_USAGE;
done:
	svc_plan_free(plan);
	svc_catalog_free(cat);
	svc_store_free(st);
	return rc;
}

const struct cmd_entry cmd_plan_entry = {
	"plan",
	"plan PIPELINE.yml [--pipeline NAME] [--branch REF] [--var K=V]... "
	"[--tasks-dir DIR]... [--fetch] [--json]",
	"show every connection reference of a pipeline and what it resolves to",
	"Reads the pipeline as Azure Pipelines compiles it: templates (relative\n"
	"to the including file; path@self also from the repository's root),\n"
	"parameters, ${{ }} expressions and conditionals, extends, variables\n"
	"($(name) from the pipeline, stage and job, and --var).\n"
	"A template of another repository (path@alias) is read only with --fetch;\n"
	"without it plan warns which templates it could not read and checks what\n"
	"the pipeline passes to them inline (steps, jobs and stages).\n"
	"Task inputs are classified by the tasks' manifests (task.json), loaded\n"
	"from each --tasks-dir, then $SVCCONN_TASKS_PATH (colon-separated), then\n"
	"the tasks svcconn ships; a task without a manifest is reported once.\n"
	"A template file can be planned on its own: its parameters take their\n"
	"defaults, and references through a parameter without one are reported\n"
	"as unresolved.\n"
	"  --pipeline NAME   the pipeline's name: each resolved reference then\n"
	"                    shows its authorization (authorized,\n"
	"                    needs-permission, or checks with the checks that\n"
	"                    will run), without starting anything\n"
	"  --branch REF      the run's branch (refs/heads/...)\n"
	"  --var NAME=VALUE  a variable (wins over the file's)\n"
	"  --tasks-dir DIR   a directory of task manifests (repeatable)\n"
	"  --fetch           fetch templates of other repositories as the service\n"
	"                    does: through the repository resource's endpoint\n"
	"                    connection (its secret given to git from memory), at\n"
	"                    its ref, into $SVCCONN_HOME/cache/templates\n"
	"  --json            {\"references\": [...], \"diagnostics\": [...]}\n"
	"Against a server (--server, SVCCONN_SERVER), the pipeline and the\n"
	"templates it includes are read here (paths under the current directory)\n"
	"and sent; the server plans them with its task manifests as the token's\n"
	"user in the project: a connection it may not read is reported as a name\n"
	"that does not exist.  --fetch and --tasks-dir work only locally.\n"
	"Exit 0 when every reference resolves, 2 when any does not (the report\n"
	"still lists everything).\n",
	cmd_plan, 1
};
