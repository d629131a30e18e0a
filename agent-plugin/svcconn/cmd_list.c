/*
 * cmd_list.c - `svcconn list`: every connection, never a secret, with the
 * earliest expiry of its certificates as the store recorded it (nothing is
 * decrypted; "-" when it holds none or it is not recorded yet).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

enum { OPT_TYPE = 1 };

static const struct option options[] = {
	{ "type", required_argument, NULL, OPT_TYPE },
	{ "json", no_argument, NULL, OPT_JSON },
	CLI_COMMON_OPTIONS
};

static int on_opt(int c, const char *arg, void *data)
{
	(void)c;
	*(const char **)data = arg;
	return EXIT_OK;
}

static int cmd_list(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *type = NULL;
	svc_catalog *cat = NULL;
	svc_store *st = NULL;
	svc_conn **list = NULL;
	svc_cert_expiry *exp = NULL;
	struct cli_json_array *out = NULL;
	size_t n = 0, nexp = 0, hint = 0, i;
	int rc, exit_now;

	if ((rc = cli_parse(ctx, &cmd_list_entry, argc, argv, NULL, options,
			    on_opt, &type, &exit_now)) || exit_now)
		return rc;
	if (optind != argc)
		return cli_usage_error(&cmd_list_entry, "unexpected argument '%s'",
				       argv[optind]);
	if ((rc = cli_open_store(ctx, &st)))
		return rc;
	if (cli_catalog_new(&cat) ||
	    (rc = cli_conn_list_expiry(ctx, st, &list, &n, &exp, &nexp))) {
		rc = cli_lib_fail(rc ? rc : SVC_ERROR);
		goto done;
	}
	/* each object printed as it is made: the list is never one tree */
	if (ctx->json && !(out = calloc(1, sizeof(*out)))) {
		rc = cli_fail(SVC_ERROR, "out of memory");
		goto done;
	}
	if (!ctx->json)
		printf("%-32s %-26s %-20s %-10s %s\n", "NAME", "TYPE", "SCHEME",
		       "EXPIRES", "ID");
	for (i = 0; i < n; i++) {
		const svc_conn *c = list[i];
		const svc_cert_expiry *e =
			cli_expiry_of(exp, nexp, &hint, svc_conn_id(c));
		char day[16] = "-";
		json_t *o;

		if (type && strcasecmp(type, svc_conn_type(c)) != 0)
			continue;
		if (e && e->field)
			cli_day(day, e->not_after);
		if (ctx->json) {
			o = cli_conn_json(c, cat);
			json_object_set_new(o, "expires", e && e->field
					    ? json_string(day) : json_null());
			cli_json_array_add(out, o);
			continue;
		}
		cli_print_safe(stdout, svc_conn_name(c));
		printf("%*s %-26s %-20s %-10s %s\n",
		       (int)(strlen(svc_conn_name(c)) < 32
				     ? 32 - strlen(svc_conn_name(c)) : 0), "",
		       svc_conn_type(c), svc_conn_scheme(c), day,
		       svc_conn_id(c));
	}
	if (ctx->json)
		rc = cli_json_array_end(out);
done:
	free(out);
	svc_store_conn_list_free(list, n);
	svc_cert_expiry_list_free(exp, nexp);
	svc_catalog_free(cat);
	svc_store_free(st);
	return rc;
}

const struct cmd_entry cmd_list_entry = {
	"list", "list [--type TYPE] [--json]",
	"list connections (secrets are never shown)",
	"EXPIRES is the earliest notAfter of the connection's certificates\n"
	"(UTC), '-' when it holds none or it is not recorded yet (see\n"
	"'svcconn expiring --rescan').\n"
	"With --json, prints an array of the objects 'show --json' prints, each\n"
	"with \"expires\": the date, or null.\n",
	cmd_list, 1
};
