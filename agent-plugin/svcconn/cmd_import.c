/*
 * cmd_import.c - `svcconn import FILE`: all entries or none, on a local
 * store or a server (one request, one transaction on the server).
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum { OPT_REPLACE = 1, OPT_DRY_RUN };

/* Options of import. */
struct import_opts {
	int replace;  /**< --replace */
	int dry_run;  /**< --dry-run */
};

static const struct option options[] = {
	{ "replace", no_argument, NULL, OPT_REPLACE },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	CLI_COMMON_OPTIONS
};

static int on_opt(int c, const char *arg, void *data)
{
	struct import_opts *o = data;

	(void)arg;
	if (c == OPT_REPLACE)
		o->replace = 1;
	else
		o->dry_run = 1;
	return EXIT_OK;
}

static int cmd_import(struct cli_ctx *ctx, int argc, char **argv)
{
	struct import_opts o = { 0, 0 };
	svc_catalog *cat = NULL;
	svc_diags *diags = NULL;
	svc_store *st = NULL;
	svc_conn **conns = NULL;
	char *text = NULL;
	const char *file;
	size_t len = 0, n = 0, i;
	int rc, exit_now;

	if ((rc = cli_parse(ctx, &cmd_import_entry, argc, argv, NULL, options,
			    on_opt, &o, &exit_now)) || exit_now)
		return rc;
	if (argc - optind != 1)
		return cli_usage_error(&cmd_import_entry, "import needs a FILE");
	file = argv[optind];
	/* the file may hold secrets: read it like one */
	rc = strcmp(file, "-") == 0 ? svc_secret_read_fd(&text, &len, 0)
				    : svc_secret_read_file(&text, &len, file);
	if (rc)
		return cli_lib_fail(rc);
	if (cli_catalog_new(&cat) || svc_diags_new(&diags)) {
		rc = cli_lib_fail(SVC_ERROR);
		goto done;
	}
	rc = svc_import_yaml(&conns, &n, strcmp(file, "-") ? file : "<stdin>",
			     text, len, cat, diags);
	if (rc) {
		cli_print_diags(diags);
		rc = cli_fail(rc, "%s; nothing was imported", svc_error_last());
		goto done;
	}
	if (o.dry_run) {
		printf("%zu connection(s) valid; nothing imported (--dry-run)\n", n);
		goto done;
	}
	if ((rc = cli_open_store(ctx, &st)))
		goto done;
	/* against a server too: one request, one transaction there */
	rc = cli_conn_import(ctx, st, conns, n,
			     o.replace ? SVC_IMPORT_REPLACE : 0);
	if (rc == SVC_EDENIED) {
		rc = cli_lib_fail(rc);
		goto done;
	}
	if (rc) {
		rc = cli_fail(rc, "%s; nothing was imported", svc_error_last());
		goto done;
	}
	printf("imported %zu connection(s)\n", n);
done:
	for (i = 0; i < n; i++)
		svc_conn_free(conns[i]);
	free(conns);
	svc_secret_free(text, len);
	svc_diags_free(diags);
	svc_catalog_free(cat);
	svc_store_free(st);
	return rc;
}

const struct cmd_entry cmd_import_entry = {
	"import", "import FILE|- [--replace] [--dry-run]",
	"import connections from an export file",
	"Every entry is validated first; if any is invalid, each problem is\n"
	"reported with its line and nothing is written. A name that exists\n"
	"already is an error unless --replace is given. --dry-run only validates.\n"
	"Against a server (--server) the file is validated here the same way,\n"
	"then sent in one request that the server stores in one transaction:\n"
	"all entries or none there too.\n",
	cmd_import, 1
};
