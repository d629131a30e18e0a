/*
 * cmd_approve.c - `svcconn approve ID` and `svcconn reject ID`: an
 * approver's decision on an approval check run.
 */
#include <string.h>

#include "cli.h"

enum { OPT_COMMENT = 1, OPT_DEFER };

/* Options of approve/reject. */
struct decide_opts {
	const char *comment;  /**< --comment */
	const char *defer;    /**< --defer-until */
};

static const struct option options[] = {
	{ "comment", required_argument, NULL, OPT_COMMENT },
	{ "defer-until", required_argument, NULL, OPT_DEFER },
	CLI_COMMON_OPTIONS
};

static int on_opt(int c, const char *arg, void *data)
{
	struct decide_opts *o = data;

	if (c == OPT_COMMENT)
		o->comment = arg;
	else
		o->defer = arg;
	return EXIT_OK;
}

static int decide(struct cli_ctx *ctx, const struct cmd_entry *cmd, int argc,
		  char **argv, const char *decision)
{
	struct decide_opts o = { NULL, NULL };
	svc_store *st = NULL;
	int rc, exit_now;

	if ((rc = cli_parse(ctx, cmd, argc, argv, NULL, options, on_opt, &o,
			    &exit_now)) || exit_now)
		return rc;
	if (argc - optind != 1)
		return cli_usage_error(cmd, "%s needs an approval ID", cmd->name);
	if (o.defer && strcmp(decision, "approve"))
		return cli_usage_error(cmd, "--defer-until goes with approve");
	if ((rc = cli_open_store(ctx, &st)))
		return rc;
	rc = cli_decide(ctx, st, argv[optind], decision, o.comment, o.defer);
	if (rc)
		rc = cli_lib_fail(rc);
	else
		printf("%s %s%s%s\n", !strcmp(decision, "approve") ? "approved" : "rejected",
		       argv[optind], o.defer ? ", effective from " : "",
		       o.defer ? o.defer : "");
	svc_store_free(st);
	return rc;
}

static int cmd_approve(struct cli_ctx *ctx, int argc, char **argv)
{
	return decide(ctx, &cmd_approve_entry, argc, argv, "approve");
}

static int cmd_reject(struct cli_ctx *ctx, int argc, char **argv)
{
	return decide(ctx, &cmd_reject_entry, argc, argv, "reject");
}

const struct cmd_entry cmd_approve_entry = {
	"approve", "approve ID [--comment TEXT] [--defer-until TIME]",
	"approve an approval check run",
	"Only an approver of the check (or a member of an approver group) may\n"
	"decide; the requester of the run only when the check allows it. Each\n"
	"approver (a group counts as one) decides once. Under SVCCONN_USER the\n"
	"requester is refused by either name (the OS user's or the one taken).\n"
	"--defer-until (YYYY-MM-DDTHH:MM:SSZ) approves now, effective at that\n"
	"time.\n"
	"With --server, decided on the server as the token's owner (PATCH\n"
	".../pipelines/approvals); the server applies the same rules, and\n"
	"records a refusal in its audit log.\n",
	cmd_approve, 1
};

const struct cmd_entry cmd_reject_entry = {
	"reject", "reject ID [--comment TEXT]",
	"reject an approval check run (final: the stage is denied)",
	"Only an approver of the check (or a member of an approver group) may\n"
	"reject. With --server, on the server as the token's owner.\n",
	cmd_reject, 1
};
