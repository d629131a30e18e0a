/*
 * cmd_verify.c - `svcconn verify NAME`: does this connection work?  A real
 * call to the service with the stored credentials (svc_verify), reported
 * in one line or as JSON, and recorded in the audit log.
 *
 * Also the "Verify and save" step of `create --verify` / `edit --verify`
 * (cli_verify_before_save): the connection as it is about to be stored is
 * verified, with the stored secrets an edit did not replace, and nothing is
 * stored when it fails.
 *
 * Against a server (--server) the server makes the call with the secrets
 * it stores and answers the outcome alone: the client never holds them.
 *
 * `--pin-host-key` (SSH): the host keys the server presents are stored in
 * the connection's hostKey field (trust on first use; an edit, audited by
 * the store) before the verification, which then checks against them.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const struct option options[] = {
	{ "json", no_argument, NULL, OPT_JSON },
	{ "pin-host-key", no_argument, NULL, 'p' },
	CLI_COMMON_OPTIONS
};

/* Print r for connection c, one line or JSON; the exit code for it. */
static int print_result(const struct cli_ctx *ctx, const svc_conn *c,
			const svc_verify_result *r)
{
	int good = r->outcome == SVC_VERIFY_OK ||
		   r->outcome == SVC_VERIFY_LOCAL;
	json_t *o;

	if (ctx->json) {
		o = json_pack("{s:s, s:s, s:s, s:s, s:s?, s:i}",
			      "name", svc_conn_name(c),
			      "type", svc_conn_type(c),
			      "outcome", svc_verify_outcome_name(r->outcome),
			      "message", r->message ? r->message : "",
			      "target", r->target,
			      "httpStatus", r->http_status);
		if (!o || cli_print_json(o) != EXIT_OK)
			return cli_fail(SVC_ERROR, "out of memory");
	} else {
		if (r->outcome == SVC_VERIFY_OK)
			printf("ok: ");
		else if (r->outcome == SVC_VERIFY_LOCAL)
			printf("ok (not checked by a call): ");
		else
			printf("failed (%s): ",
			       svc_verify_outcome_name(r->outcome));
		cli_print_safe(stdout, r->message ? r->message : "");
		putchar('\n');
	}
	return good ? EXIT_OK : EXIT_FAILED;
}

int cli_verify_report(const struct cli_ctx *ctx, const svc_verify_result *r)
{
	if (r->outcome == SVC_VERIFY_OK || r->outcome == SVC_VERIFY_LOCAL) {
		/* with --json, stdout is the connection's JSON alone */
		FILE *f = ctx->json ? stderr : stdout;

		fprintf(f, "verified: ");
		cli_print_safe(f, r->message ? r->message : "");
		fputc('\n', f);
		return EXIT_OK;
	}
	return cli_fail(SVC_ERROR, "verification failed (%s): %s; "
			"nothing stored",
			svc_verify_outcome_name(r->outcome),
			r->message ? r->message : "");
}

int cli_verify_before_save(struct cli_ctx *ctx, svc_store *st,
			   const svc_conn *c, const svc_catalog *cat)
{
	svc_verify_result r;
	int rc;

	if ((rc = svc_ops_verify_candidate(&r, st, ctx->who, c, cat)))
		return cli_lib_fail(rc);
	rc = cli_verify_report(ctx, &r);
	svc_verify_result_clear(&r);
	return rc;
}

static int cmd_verify(struct cli_ctx *ctx, int argc, char **argv)
{
	svc_verify_result r = { 0 };
	svc_catalog *cat = NULL;
	svc_store *st = NULL;
	svc_conn *c = NULL;
	char *keys = NULL;
	int rc, pin = 0, exit_now, verified = 0;

	if ((rc = cli_parse(ctx, &cmd_verify_entry, argc, argv, NULL, options,
			    cli_flag_opt, &pin, &exit_now)) || exit_now)
		return rc;
	if (argc - optind != 1)
		return cli_usage_error(&cmd_verify_entry,
				       "verify needs a NAME or ID");
	if ((rc = cli_open_store(ctx, &st)))
		return rc;
	if (cli_catalog_new(&cat)) {
		rc = cli_lib_fail(SVC_ERROR);
		goto done;
	}
	/* using the credentials is a User's right; they are never shown */
	if ((rc = cli_verify(ctx, st, &r, &c, &keys, cat, argv[optind],
			     pin ? SVC_OPS_PIN_HOST_KEY : 0))) {
		rc = cli_lib_fail(rc);
		goto done;
	}
	verified = 1;
	if (keys && !ctx->json) {
		printf("pinned host key of '");
		cli_print_safe(stdout, svc_conn_name(c));
		printf("': ");
		cli_print_safe(stdout, keys);
		if (*keys && keys[strlen(keys) - 1] != '\n')
			putchar('\n');
	}
	rc = print_result(ctx, c, &r);
done:
	if (verified)
		svc_verify_result_clear(&r);
	free(keys);
	svc_conn_free(c);
	svc_catalog_free(cat);
	svc_store_free(st);
	return rc;
}

const struct cmd_entry cmd_verify_entry = {
	"verify", "verify NAME|ID [--json] [--pin-host-key]",
	"check a connection with a real call to its service",
	"Makes a real call to the service with the stored credentials (see\n"
	"docs/verify.md for what each type checks) and prints one line:\n"
	"  ok: ...                        the service accepted the credentials\n"
	"  ok (not checked by a call): .. no call can check this type\n"
	"  failed (OUTCOME): ...          dns, connect, tls, auth, unexpected,\n"
	"                                 timeout, hostkey or invalid\n"
	"Exit 0 for ok, 1 for a failed verification (3 not found, 5 denied).\n"
	"Proxies come from http_proxy/https_proxy/no_proxy; TLS certificates\n"
	"are checked unless the connection's acceptUntrustedCerts is \"true\".\n"
	"Each verification is recorded in the audit log (action \"verify\").\n"
	"Options:\n"
	"  --json           print {\"name\",\"type\",\"outcome\",\"message\",\n"
	"                   \"target\",\"httpStatus\"}\n"
	"  --pin-host-key   SSH: store the server's host keys in the hostKey\n"
	"                   field first (trust on first use; needs Administrator)\n"
	"Against a server (--server) the server makes the call with the secrets\n"
	"it stores; the output and exit codes are the same.\n",
	cmd_verify, 1
};
