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

/* The audit record of a verification (never a secret). */
static void audit(struct cli_ctx *ctx, svc_store *st, const svc_conn *c,
		  const svc_verify_result *r)
{
	json_t *d = json_pack("{s:s, s:i}", "outcome",
			      svc_verify_outcome_name(r->outcome),
			      "httpStatus", r->http_status);
	char *s = d ? json_dumps(d, JSON_COMPACT) : NULL;

	/* a record that cannot be written does not change the answer */
	if (s)
		(void)svc_store_audit_add(st, ctx->actor, "verify",
					  svc_conn_id(c), svc_conn_name(c), s);
	free(s);
	json_decref(d);
}

/*
 * A copy of c with every secret that is set but not loaded (an edit that
 * did not replace it) read from the stored connection.
 */
static int with_stored_secrets(svc_conn **out, svc_store *st,
			       const svc_conn *c)
{
	svc_conn *full = NULL, *stored = NULL;
	svc_conn_field f, sf;
	size_t i;
	int rc;

	if ((rc = svc_conn_dup(&full, c)))
		return cli_lib_fail(rc);
	for (i = 0; i < svc_conn_field_count(full); i++) {
		svc_conn_field_at(full, i, &f);
		if (f.value || !f.is_set)
			continue;
		if (!stored && (rc = svc_store_conn_get(&stored, st,
							svc_conn_id(c),
							SVC_GET_SECRETS))) {
			rc = cli_lib_fail(rc);
			goto fail;
		}
		if (svc_conn_field_get(stored, f.key, &sf) == 0 && sf.value &&
		    (rc = svc_conn_set_field(full, f.key, sf.value, sf.len))) {
			rc = cli_lib_fail(rc);
			goto fail;
		}
	}
	svc_conn_free(stored);
	*out = full;
	return EXIT_OK;
fail:
	svc_conn_free(stored);
	svc_conn_free(full);
	return rc;
}

int cli_verify_before_save(struct cli_ctx *ctx, svc_store *st,
			   const svc_conn *c, const svc_catalog *cat)
{
	svc_verify_result r;
	svc_conn *full = NULL;
	int rc;

	if ((rc = with_stored_secrets(&full, st, c)))
		return rc;
	rc = svc_verify(&r, cat, full, NULL);
	svc_conn_free(full);
	if (rc)
		return cli_lib_fail(rc);
	if (r.outcome == SVC_VERIFY_OK || r.outcome == SVC_VERIFY_LOCAL) {
		/* with --json, stdout is the connection's JSON alone */
		FILE *f = ctx->json ? stderr : stdout;

		fprintf(f, "verified: ");
		cli_print_safe(f, r.message);
		fputc('\n', f);
		rc = EXIT_OK;
	} else {
		rc = cli_fail(SVC_ERROR, "verification failed (%s): %s; "
			      "nothing stored",
			      svc_verify_outcome_name(r.outcome), r.message);
	}
	svc_verify_result_clear(&r);
	return rc;
}

/* --pin-host-key: store the server's host keys in c's hostKey field. */
static int pin_host_key(struct cli_ctx *ctx, svc_store *st, svc_conn *c,
			svc_conn *full)
{
	char *keys = NULL;
	int rc;

	if (strcmp(svc_conn_type(c), "ssh") != 0)
		return cli_fail(SVC_EINVALID, "--pin-host-key is for SSH "
				"connections ('%s' is of type '%s')",
				svc_conn_name(c), svc_conn_type(c));
	if ((rc = cli_require(ctx, st, c, SVC_ROLE_ADMIN)))
		return rc;
	if ((rc = svc_verify_ssh_host_keys(&keys, full, NULL)))
		return cli_lib_fail(rc);
	if ((rc = svc_conn_set_field(c, "hostKey", keys, strlen(keys))) ||
	    (rc = svc_conn_set_field(full, "hostKey", keys, strlen(keys))) ||
	    (rc = svc_store_conn_update(st, c, ctx->actor))) {
		free(keys);
		return cli_lib_fail(rc);
	}
	if (!ctx->json) {
		printf("pinned host key of '");
		cli_print_safe(stdout, svc_conn_name(c));
		printf("': ");
		cli_print_safe(stdout, keys);
		if (*keys && keys[strlen(keys) - 1] != '\n')
			putchar('\n');
	}
	free(keys);
	return EXIT_OK;
}

static int cmd_verify(struct cli_ctx *ctx, int argc, char **argv)
{
	svc_verify_result r = { 0 };
	svc_catalog *cat = NULL;
	svc_store *st = NULL;
	svc_conn *c = NULL, *full = NULL;
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
	if ((rc = cli_get_conn(ctx, st, argv[optind], SVC_ROLE_USER, &c)))
		goto done;
	if ((rc = svc_store_conn_get(&full, st, svc_conn_id(c),
				     SVC_GET_SECRETS))) {
		rc = cli_lib_fail(rc);
		goto done;
	}
	if (pin && (rc = pin_host_key(ctx, st, c, full)))
		goto done;
	if ((rc = svc_verify(&r, cat, full, NULL))) {
		rc = cli_lib_fail(rc);
		goto done;
	}
	verified = 1;
	audit(ctx, st, c, &r);
	rc = print_result(ctx, c, &r);
done:
	if (verified)
		svc_verify_result_clear(&r);
	svc_conn_free(full);
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
	"                   field first (trust on first use; needs Administrator)\n",
	cmd_verify
};
