/*
 * cmd_tokens.c - `svcconn tokens create|list|revoke`: personal access
 * tokens for svcconn-server.
 *
 * The token is printed once, alone on standard output (so that a script
 * can capture it); its id and expiry go to standard error.  It is never
 * printed again: the store keeps only its hash.  A token acts as its
 * owner; an Administrator of the store may create, list and revoke the
 * tokens of others.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

enum { OPT_SCOPES = 1, OPT_DAYS, OPT_OWNER, OPT_ALL };

static const struct option options[] = {
	{ "scopes", required_argument, NULL, OPT_SCOPES },
	{ "days", required_argument, NULL, OPT_DAYS },
	{ "owner", required_argument, NULL, OPT_OWNER },
	{ "all", no_argument, NULL, OPT_ALL },
	{ "json", no_argument, NULL, OPT_JSON },
	CLI_COMMON_OPTIONS
};

/* What the options say. */
struct tok_opts {
	const char *scopes;  /**< --scopes, or NULL (endpoints:read) */
	unsigned days;       /**< --days, or 0 (the default) */
	const char *owner;   /**< --owner, or NULL (the acting identity) */
	int all;             /**< --all: every owner's (list) */
};

static int on_opt(int c, const char *arg, void *data)
{
	struct tok_opts *o = data;
	char *end;
	unsigned long v;

	switch (c) {
	case OPT_SCOPES: o->scopes = arg; break;
	case OPT_OWNER: o->owner = arg; break;
	case OPT_ALL: o->all = 1; break;
	case OPT_DAYS:
		v = strtoul(arg, &end, 10);
		if (!*arg || *end || v == 0 || v > SVC_TOKEN_MAX_DAYS)
			return cli_fail(SVC_EINVALID,
					"--days takes a number from 1 to %d, not '%s'",
					SVC_TOKEN_MAX_DAYS, arg);
		o->days = (unsigned)v;
		break;
	}
	return EXIT_OK;
}

static int tok_create(struct cli_ctx *ctx, svc_store *st, const struct tok_opts *o,
		  const char *name)
{
	svc_token_info info;
	char *tok = NULL, exp[32];
	int rc;

	if ((rc = cli_token_create(ctx, st, &tok, &info, o->owner, name,
				   o->scopes ? o->scopes : "endpoints:read",
				   o->days)))
		return cli_lib_fail(rc);
	cli_when(exp, info.expires);
	if (ctx->json) {
		json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "id",
				      info.id, "token", tok, "owner", info.owner,
				      "name", info.name, "scopes", info.scopes,
				      "expires", exp);

		rc = cli_print_json(j);
	} else {
		printf("%s\n", tok);
		fprintf(stderr,
			"svcconn: token '%s' (id %s) for '%s', scopes %s, expires %s;\n"
			"svcconn: it is shown this once: the store keeps only its hash\n",
			info.name, info.id, info.owner, info.scopes, exp);
	}
	fflush(stdout);
	svc_secret_free(tok, SVC_TOKEN_LEN);
	svc_token_info_clear(&info);
	return rc;
}

static int tok_list(struct cli_ctx *ctx, svc_store *st, const struct tok_opts *o)
{
	svc_token_info *l = NULL;
	size_t n = 0, i;
	json_t *a;
	int rc;

	if ((rc = cli_token_list(ctx, st, &l, &n, o->owner, o->all)))
		return cli_lib_fail(rc);
	a = json_array();
	if (!ctx->json)
		printf("%-16s %-12s %-20s %-20s %-20s %-20s %s\n", "ID", "OWNER",
		       "NAME", "EXPIRES", "LAST USED", "REVOKED", "SCOPES");
	for (i = 0; i < n; i++) {
		char exp[32], used[32], rev[32];

		cli_when(exp, l[i].expires);
		cli_when(used, l[i].last_used);
		cli_when(rev, l[i].revoked);
		if (ctx->json) {
			json_array_append_new(a, json_pack(
				"{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "id",
				l[i].id, "owner", l[i].owner, "name", l[i].name,
				"scopes", l[i].scopes, "expires", exp,
				"lastUsed", used, "revoked", rev));
			continue;
		}
		printf("%-16s ", l[i].id);
		cli_print_safe(stdout, l[i].owner);
		putchar(' ');
		cli_print_safe(stdout, l[i].name);
		printf(" %s %s %s %s\n", exp, used, rev, l[i].scopes);
	}
	rc = ctx->json ? cli_print_json(a) : (json_decref(a), EXIT_OK);
	svc_token_list_free(l, n);
	return rc;
}

static int tok_revoke(struct cli_ctx *ctx, svc_store *st, const char *id)
{
	int rc = cli_token_revoke(ctx, st, id);

	if (rc)
		return cli_lib_fail(rc);
	printf("revoked token '%s'\n", id);
	return EXIT_OK;
}

static int cmd_tokens(struct cli_ctx *ctx, int argc, char **argv)
{
	struct tok_opts o;
	svc_store *st = NULL;
	const char *verb;
	int rc, exit_now, nargs;

	memset(&o, 0, sizeof(o));
	if ((rc = cli_parse(ctx, &cmd_tokens_entry, argc, argv, NULL, options,
			    on_opt, &o, &exit_now)) || exit_now)
		return rc;
	verb = optind < argc ? argv[optind] : "list";
	nargs = argc - optind - 1;
	if (strcmp(verb, "create") && strcmp(verb, "list") &&
	    strcmp(verb, "revoke"))
		return cli_usage_error(&cmd_tokens_entry, "unknown action '%s'",
				       verb);
	if (strcmp(verb, "list") ? nargs != 1 : nargs > 0)
		return cli_usage_error(&cmd_tokens_entry,
				       "wrong arguments for '%s'", verb);
	if ((rc = cli_open_store(ctx, &st)))
		return rc;
	if (!strcmp(verb, "create"))
		rc = tok_create(ctx, st, &o, argv[optind + 1]);
	else if (!strcmp(verb, "list"))
		rc = tok_list(ctx, st, &o);
	else
		rc = tok_revoke(ctx, st, argv[optind + 1]);
	svc_store_free(st);
	return rc;
}

const struct cmd_entry cmd_tokens_entry = {
	"tokens",
	"tokens create NAME [--scopes S] [--days N] [--owner USER] [--json]\n"
	"       svcconn tokens list [--owner USER | --all] [--json]\n"
	"       svcconn tokens revoke ID",
	"personal access tokens for svcconn-server",
	"create prints the new token once, alone on standard output; the store\n"
	"keeps only its SHA-256 hash. It acts as its owner (the acting identity,\n"
	"or --owner USER for an Administrator of the store).\n"
	"Options:\n"
	"  --scopes S    comma- or space-separated: endpoints:read (default),\n"
	"                endpoints:manage (implies read), approvals, full\n"
	"  --days N      valid for N days (default 30, at most 365)\n"
	"  --owner USER  whose tokens (an Administrator's option)\n"
	"  --all         list: every owner's tokens (Administrator)\n"
	"  --json        print JSON\n"
	"revoke ends a token at once; an Administrator may revoke anybody's.\n"
	"Creating and revoking are audited ('svcconn audit'), as is every failed\n"
	"authentication with a token (its id, never the secret).\n"
	"Against a server (a token with scope full), a user manages its own\n"
	"tokens there; the new token comes back in the answer only.\n",
	cmd_tokens, 1
};
