/*
 * cmd_agents.c - `svcconn agents registration-token|list|revoke`: the
 * build agents of svcconn-server.
 *
 * registration-token prints a one-time token, alone on standard output,
 * with which one agent registers itself into the pool
 * (`svcconn-agent register`); the store keeps only its hash.  revoke ends
 * an agent's access at once.  The store's Administrator does all three.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum { OPT_POOL = 1, OPT_HOURS };

static const struct option options[] = {
	{ "pool", required_argument, NULL, OPT_POOL },
	{ "hours", required_argument, NULL, OPT_HOURS },
	{ "json", no_argument, NULL, OPT_JSON },
	CLI_COMMON_OPTIONS
};

/* What the options say. */
struct agent_opts {
	const char *pool;  /**< --pool */
	unsigned hours;    /**< --hours, or 0 (the default) */
};

static int on_opt(int c, const char *arg, void *data)
{
	struct agent_opts *o = data;
	char *end;
	unsigned long v;

	switch (c) {
	case OPT_POOL: o->pool = arg; break;
	case OPT_HOURS:
		v = strtoul(arg, &end, 10);
		if (!*arg || *end || v == 0 || v > SVC_REGISTRATION_MAX_HOURS)
			return cli_fail(SVC_EINVALID,
					"--hours takes a number from 1 to %d, not '%s'",
					SVC_REGISTRATION_MAX_HOURS, arg);
		o->hours = (unsigned)v;
		break;
	}
	return EXIT_OK;
}

static int reg_token(struct cli_ctx *ctx, svc_store *st,
		     const struct agent_opts *o)
{
	char *tok = NULL, exp[32];
	long long expires = 0;
	int rc;

	if ((rc = cli_agent_registration_token(ctx, st, &tok, &expires,
					       o->pool, o->hours)))
		return cli_lib_fail(rc);
	cli_when(exp, expires);
	printf("%s\n", tok);
	fflush(stdout);
	fprintf(stderr,
		"svcconn: a registration token for one agent of pool '%s', valid until %s;\n"
		"svcconn: it is shown this once: the store keeps only its hash\n",
		o->pool, exp);
	svc_secret_free(tok, SVC_TOKEN_LEN);
	return EXIT_OK;
}

static int agent_list(struct cli_ctx *ctx, svc_store *st)
{
	svc_agent *l = NULL;
	size_t n = 0, i;
	json_t *a;
	int rc;

	if ((rc = cli_agent_list(ctx, st, &l, &n)))
		return cli_lib_fail(rc);
	a = json_array();
	if (!ctx->json)
		printf("%-20s %-16s %-20s %-20s %s\n", "NAME", "POOL",
		       "REGISTERED", "LAST USED", "REVOKED");
	for (i = 0; i < n; i++) {
		char created[32], used[32], rev[32];

		cli_when(created, l[i].created);
		cli_when(used, l[i].last_used);
		cli_when(rev, l[i].revoked);
		if (ctx->json) {
			json_array_append_new(a, json_pack(
				"{s:s, s:s, s:s, s:s, s:s, s:s}", "name",
				l[i].name, "pool", l[i].pool, "tokenId",
				l[i].token_id, "registered", created,
				"lastUsed", used, "revoked", rev));
			continue;
		}
		printf("%-20s %-16s %-20s %-20s %s\n", l[i].name, l[i].pool,
		       created, used, rev);
	}
	rc = ctx->json ? cli_print_json(a) : (json_decref(a), EXIT_OK);
	svc_agent_list_free(l, n);
	return rc;
}

static int cmd_agents(struct cli_ctx *ctx, int argc, char **argv)
{
	struct agent_opts o;
	svc_store *st = NULL;
	const char *verb;
	int rc, exit_now, nargs;

	memset(&o, 0, sizeof(o));
	if ((rc = cli_parse(ctx, &cmd_agents_entry, argc, argv, NULL, options,
			    on_opt, &o, &exit_now)) || exit_now)
		return rc;
	verb = optind < argc ? argv[optind] : "list";
	nargs = argc - optind - 1;
	if (strcmp(verb, "registration-token") && strcmp(verb, "list") &&
	    strcmp(verb, "revoke"))
		return cli_usage_error(&cmd_agents_entry, "unknown action '%s'",
				       verb);
	if (strcmp(verb, "revoke") ? nargs > 0 : nargs != 1)
		return cli_usage_error(&cmd_agents_entry,
				       "wrong arguments for '%s'", verb);
	if (!strcmp(verb, "registration-token") && !o.pool)
		return cli_usage_error(&cmd_agents_entry,
				       "registration-token needs --pool POOL");
	if ((rc = cli_open_store(ctx, &st)))
		return rc;
	if (!strcmp(verb, "registration-token")) {
		rc = reg_token(ctx, st, &o);
	} else if (!strcmp(verb, "list")) {
		rc = agent_list(ctx, st);
	} else if ((rc = cli_agent_revoke(ctx, st, argv[optind + 1]))) {
		rc = cli_lib_fail(rc);
	} else {
		printf("revoked agent '%s'\n", argv[optind + 1]);
	}
	svc_store_free(st);
	return rc;
}

const struct cmd_entry cmd_agents_entry = {
	"agents",
	"agents registration-token --pool POOL [--hours N]\n"
	"       svcconn agents list [--json]\n"
	"       svcconn agents revoke NAME",
	"build agents of svcconn-server",
	"registration-token prints a one-time token, alone on standard output,\n"
	"for one agent to register itself into POOL with\n"
	"  svcconn-agent register --server URL --registration-token-file F --name NAME\n"
	"which exchanges it for the agent's own credential (kept 0600 on the\n"
	"agent; the store keeps only hashes of both). The store's Administrator\n"
	"issues tokens, lists and revokes agents.\n"
	"Options:\n"
	"  --pool POOL  the pool the agent joins ('svcconn pools')\n"
	"  --hours N    the token is valid for N hours (default 24, at most 720)\n"
	"  --json       print JSON\n"
	"revoke ends an agent's access at once: its next request is refused.\n"
	"Every token issued, registration and revocation is audited.\n"
	"Against a server (--server) all three act on the server's store.\n",
	cmd_agents, 1
};
