/*
 * main.c - svcconn, the admin command line of svcconn.
 *
 * Finds the subcommand in the table and runs it.  The process is hardened
 * first (umask 077, no core dumps, not dumpable) because commands read and
 * hold secrets.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const struct cmd_entry *const commands[] = {
	&cmd_init_entry, &cmd_types_entry, &cmd_create_entry, &cmd_list_entry,
	&cmd_show_entry, &cmd_edit_entry, &cmd_rename_entry,
	&cmd_delete_entry, &cmd_import_entry, &cmd_export_entry,
	&cmd_rekey_entry, &cmd_migrate_entry, &cmd_audit_entry,
	&cmd_plan_entry,
	&cmd_permissions_entry, &cmd_requests_entry, &cmd_permit_entry,
	&cmd_security_entry, &cmd_groups_entry, &cmd_checks_entry,
	&cmd_approvals_entry, &cmd_approve_entry, &cmd_reject_entry,
	&cmd_bypass_entry, &cmd_history_entry, &cmd_expiring_entry,
	&cmd_verify_entry, &cmd_oidc_entry, &cmd_tokens_entry,
	&cmd_users_entry,
	&cmd_pipelines_entry, &cmd_pools_entry, &cmd_agents_entry,
	&cmd_login_entry, &cmd_logout_entry, &cmd_projects_entry,
	&cmd_share_entry, &cmd_unshare_entry, NULL
};

static void usage(FILE *f)
{
	size_t i;

	fputs("usage: svcconn [--server URL [--ca FILE]] [--project NAME] COMMAND\n"
	      "               [OPTIONS]\n\n"
	      "Manage CI service connections: named, authenticated connections\n"
	      "to external services, stored encrypted.\n\nCommands:\n", f);
	for (i = 0; commands[i]; i++)
		fprintf(f, "  %-12s %s\n", commands[i]->name,
			commands[i]->summary);
	fputs("\n'svcconn COMMAND --help' describes a command.\n"
	      "Environment: SVCCONN_HOME (store directory), SVCCONN_KEY_FILE\n"
	      "(master key), SVCCONN_USER (act under another name: an impersonation\n"
	      "the audit log records as 'OSUSER as NAME'), SVCCONN_TYPES_PATH\n"
	      "(more directories of custom type definitions, ':'-separated),\n"
	      "SVCCONN_SERVER (act on svcconn-server at this URL: see 'svcconn\n"
	      "login --help'), SVCCONN_TOKEN_FILE, SVCCONN_CA, SVCCONN_PROJECT\n"
	      "(the project to act in, default 'default': see 'svcconn projects\n"
	      "--help').\n", f);
}

int main(int argc, char **argv)
{
	struct cli_ctx ctx;
	size_t i;
	int rc;

	if (svc_process_harden() != 0) {
		fprintf(stderr, "svcconn: error: %s\n", svc_error_last());
		return EXIT_FAILED;
	}
	memset(&ctx, 0, sizeof(ctx));
	/* svcconn [--server URL] [--ca FILE] [--project NAME] COMMAND ...:
	 * as after it */
	ctx.project = getenv("SVCCONN_PROJECT");
	while (argc >= 3 && (strcmp(argv[1], "--server") == 0 ||
			     strcmp(argv[1], "--ca") == 0 ||
			     strcmp(argv[1], "--project") == 0)) {
		*(argv[1][2] == 's' ? &ctx.server
		  : argv[1][2] == 'c' ? &ctx.ca_file : &ctx.project) = argv[2];
		argc -= 2;
		argv += 2;
	}
	if (ctx.project && !*ctx.project)
		ctx.project = NULL;
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("svcconn %s\n", svc_version());
		return EXIT_OK;
	}
	for (i = 0; commands[i]; i++)
		if (strcmp(commands[i]->name, argv[1]) == 0)
			break;
	if (!commands[i]) {
		fprintf(stderr, "svcconn: error: unknown command '%s'\n",
			argv[1]);
		usage(stderr);
		return EXIT_USAGE;
	}
	ctx.opts.version = SVC_STORE_OPTIONS_VERSION;
	if (svc_principal_local(&ctx.who) != 0 ||
	    (ctx.project && *ctx.project &&
	     svc_principal_set_project(ctx.who, ctx.project) != 0)) {
		fprintf(stderr, "svcconn: error: %s\n", svc_error_last());
		svc_principal_free(ctx.who);
		return EXIT_FAILED;
	}
	/* JSON carries secrets to a server and from the login file */
	svc_json_wipe_on_free();
	rc = commands[i]->exec(&ctx, argc - 1, argv + 1);
	svc_remote_free(ctx.remote);
	svc_principal_free(ctx.who);
	if (fflush(stdout) != 0 && rc == EXIT_OK)
		rc = EXIT_FAILED;
	return rc;
}
