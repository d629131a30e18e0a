/*
 * cmd_oidc.c - `svcconn oidc`: the OIDC issuer's signing keys.
 *
 * `keys` lists them (id, algorithm, times; never a private key), `rotate`
 * makes a new current key (docs/oidc.md).  Listing needs the store's
 * Reader role, rotating its Administrator role.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

/* Option codes of this command. */
enum { OPT_ALG = 1 };

static const struct option options[] = {
	{ "alg", required_argument, NULL, OPT_ALG },
	{ "json", no_argument, NULL, OPT_JSON },
	CLI_COMMON_OPTIONS
};

static int on_opt(int c, const char *arg, void *data)
{
	(void)c;
	*(const char **)data = arg;
	return EXIT_OK;
}

static int keys(struct cli_ctx *ctx, svc_store *st)
{
	char c[32], r[32], s[32], d[32];
	svc_oidc_key *k = NULL;
	size_t n = 0, i;
	json_t *a, *o;
	int rc = cli_oidc_keys(ctx, st, &k, &n);

	if (rc)
		return cli_lib_fail(rc);
	if (ctx->json) {
		a = json_array();
		for (i = 0; a && i < n; i++) {
			o = json_pack("{s:s, s:s, s:s, s:s*, s:s*, s:s*}",
				      "kid", k[i].kid, "alg", k[i].alg,
				      "created", cli_when(c, k[i].created),
				      "retired", k[i].retired
				      ? cli_when(r, k[i].retired) : NULL,
				      "signedUntil", k[i].signed_until
				      ? cli_when(s, k[i].signed_until) : NULL,
				      "publishedUntil", k[i].drop_at
				      ? cli_when(d, k[i].drop_at) : NULL);
			if (!o || json_array_append_new(a, o)) {
				json_decref(a);
				a = NULL;
			}
		}
		svc_oidc_keys_free(k);
		return cli_print_json(a);
	}
	printf("%-43s  %-5s  %-20s  %s\n", "KID", "ALG", "CREATED",
	       "RETIRED / PUBLISHED UNTIL");
	for (i = 0; i < n; i++) {
		printf("%-43s  %-5s  %-20s  ", k[i].kid, k[i].alg,
		       cli_when(c, k[i].created));
		if (k[i].retired)
			printf("%s / %s\n", cli_when(r, k[i].retired),
			       cli_when(d, k[i].drop_at));
		else
			printf("current\n");
	}
	if (n == 0)
		printf("(no keys yet: the first token or JWKS request makes one)\n");
	svc_oidc_keys_free(k);
	return EXIT_OK;
}

static int cmd_oidc(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *alg = NULL, *verb;
	svc_store *st = NULL;
	char *kid = NULL;
	int rc, exit_now, rotate;

	if ((rc = cli_parse(ctx, &cmd_oidc_entry, argc, argv, NULL, options,
			    on_opt, &alg, &exit_now)) || exit_now)
		return rc;
	if (optind >= argc)
		return cli_usage_error(&cmd_oidc_entry, "missing action (keys or rotate)");
	verb = argv[optind];
	rotate = strcmp(verb, "rotate") == 0;
	if (!rotate && strcmp(verb, "keys") != 0)
		return cli_usage_error(&cmd_oidc_entry, "unknown action '%s'", verb);
	if (optind + 1 != argc)
		return cli_usage_error(&cmd_oidc_entry, "unexpected argument '%s'",
				       argv[optind + 1]);
	if (alg && !rotate)
		return cli_usage_error(&cmd_oidc_entry, "--alg goes with 'rotate'");
	if ((rc = cli_open_store(ctx, &st)))
		return rc;
	if (!rotate) {
		rc = keys(ctx, st);
		goto done;
	}
	if ((rc = cli_oidc_rotate(ctx, st, &kid, alg))) {
		rc = cli_lib_fail(rc);
		goto done;
	}
	if (ctx->json)
		rc = cli_print_json(json_pack("{s:s}", "kid", kid));
	else
		printf("new current OIDC signing key '%s'\n", kid);
	free(kid);
done:
	svc_store_free(st);
	return rc;
}

const struct cmd_entry cmd_oidc_entry = {
	"oidc",
	"oidc (keys | rotate [--alg RS256|ES256]) [--json]",
	"the OIDC issuer's signing keys: list, rotate",
	"svcconn signs short-lived ID tokens for workload identity federation\n"
	"(docs/oidc.md). 'keys' lists the signing keys: id (kid), algorithm,\n"
	"when each was made, and for a retired key when it was retired and\n"
	"until when it stays published (the last token it signed expires,\n"
	"plus five minutes); private keys are never shown. It needs the\n"
	"store's Reader role.\n"
	"'rotate' makes a new current key (RS256 unless --alg ES256; Microsoft\n"
	"Entra ID accepts only RSA) and retires the current one; keys past\n"
	"their time are dropped. It needs the store's Administrator role.\n"
	"Against a server, both act on the server's keys (rotate: a token with\n"
	"scope full); the published keys follow at once.\n",
	cmd_oidc, 1
};
