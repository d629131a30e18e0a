/*
 * cmd_users.c - `svcconn users passwd [NAME] [--remove]` and `svcconn
 * users list`: the passwords users sign in to the web console with.
 *
 * The password is read from the terminal with echo off (typed twice), or
 * else as the first line of standard input; never from an argument or the
 * environment.  The buffers that held it are wiped.  The store keeps only
 * its Argon2id hash (users.h); list prints names and when each password
 * was set, never a hash.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

enum { OPT_REMOVE = 1 };

static const struct option options[] = {
	{ "remove", no_argument, NULL, OPT_REMOVE },
	{ "json", no_argument, NULL, OPT_JSON },
	CLI_COMMON_OPTIONS
};

/*
 * The new password into *pw (*len bytes; svc_secret_free): typed twice on
 * the terminal, or the first line of standard input.  EXIT_OK, or the
 * exit status of the failure it printed.
 */
static int read_password(char **pw, size_t *len)
{
	char *again = NULL;
	size_t n = 0;
	int rc, same;

	if (!isatty(STDIN_FILENO)) {
		char *nl;

		if ((rc = svc_secret_read_fd(pw, len, STDIN_FILENO)))
			return cli_lib_fail(rc);
		if ((nl = memchr(*pw, '\n', *len)) != NULL) {
			svc_wipe(nl, *len - (size_t)(nl - *pw));
			*len = (size_t)(nl - *pw);
		}
		if (*len && (*pw)[*len - 1] == '\r')
			(*pw)[--*len] = '\0';
		return EXIT_OK;
	}
	if ((rc = svc_secret_prompt(pw, len, "new password: ")))
		return cli_lib_fail(rc);
	if ((rc = svc_secret_prompt(&again, &n, "the new password again: "))) {
		svc_secret_free(*pw, *len);
		*pw = NULL;
		return cli_lib_fail(rc);
	}
	same = svc_secret_equal(*pw, *len, again, n);
	svc_secret_free(again, n);
	if (same)
		return EXIT_OK;
	svc_secret_free(*pw, *len);
	*pw = NULL;
	return cli_fail(SVC_EINVALID, "the two passwords differ");
}

static int users_passwd(struct cli_ctx *ctx, svc_store *st, const char *name,
			int remove)
{
	char *pw = NULL;
	size_t len = 0;
	int rc;

	if (remove) {
		if ((rc = cli_password_remove(ctx, st, name)))
			return cli_lib_fail(rc);
		printf("removed the password of '%s'\n",
		       name ? name : svc_principal_name(ctx->who));
		return EXIT_OK;
	}
	if ((rc = read_password(&pw, &len)))
		return rc;
	rc = cli_password_set(ctx, st, name, pw, len);
	svc_secret_free(pw, len);
	if (rc)
		return cli_lib_fail(rc);
	printf("set the password of '%s'\n",
	       name ? name : svc_principal_name(ctx->who));
	return EXIT_OK;
}

static int users_list(struct cli_ctx *ctx, svc_store *st)
{
	svc_user_info *l = NULL;
	size_t n = 0, i;
	json_t *a;
	int rc;

	if ((rc = cli_user_list(ctx, st, &l, &n)))
		return cli_lib_fail(rc);
	a = json_array();
	if (!ctx->json)
		printf("%-24s %s\n", "USER", "PASSWORD SET");
	for (i = 0; i < n; i++) {
		char when[32];

		cli_when(when, l[i].changed);
		if (ctx->json) {
			json_array_append_new(a, json_pack("{s:s, s:s}", "name",
							   l[i].name, "changed",
							   when));
			continue;
		}
		cli_print_safe(stdout, l[i].name);
		printf(" %s\n", when);
	}
	rc = ctx->json ? cli_print_json(a) : (json_decref(a), EXIT_OK);
	svc_user_list_free(l, n);
	return rc;
}

static int cmd_users(struct cli_ctx *ctx, int argc, char **argv)
{
	svc_store *st = NULL;
	const char *verb;
	int rc, exit_now, nargs, remove = 0;

	if ((rc = cli_parse(ctx, &cmd_users_entry, argc, argv, NULL, options,
			    cli_flag_opt, &remove, &exit_now)) || exit_now)
		return rc;
	verb = optind < argc ? argv[optind] : "list";
	nargs = argc - optind - 1;
	if (strcmp(verb, "passwd") && strcmp(verb, "list"))
		return cli_usage_error(&cmd_users_entry, "unknown action '%s'",
				       verb);
	if (!strcmp(verb, "list") ? nargs > 0 || remove : nargs > 1)
		return cli_usage_error(&cmd_users_entry,
				       "wrong arguments for '%s'", verb);
	if ((rc = cli_open_store(ctx, &st)))
		return rc;
	if (!strcmp(verb, "list"))
		rc = users_list(ctx, st);
	else
		rc = users_passwd(ctx, st, nargs == 1 ? argv[optind + 1] : NULL,
				  remove);
	svc_store_free(st);
	return rc;
}

const struct cmd_entry cmd_users_entry = {
	"users",
	"users passwd [NAME] [--remove]\n"
	"       svcconn users list [--json]",
	"users' passwords for the web console",
	"passwd sets the password NAME (default: the acting identity) signs in\n"
	"to the web console with: typed twice on the terminal with echo off, or\n"
	"the first line of standard input; never an argument. 8 to 1024 bytes.\n"
	"A user sets its own; an Administrator of the store anybody's.\n"
	"The store keeps only an Argon2id hash (m=19456 KiB, t=2, p=1, a random\n"
	"16-byte salt).\n"
	"Options:\n"
	"  --remove      passwd: remove the password (no more password sign-in)\n"
	"  --json        list: print JSON\n"
	"list prints the users with a password and when each was set (every\n"
	"user for an Administrator, else yourself); never a hash.\n"
	"Setting and removing are audited ('svcconn audit'), as is every refused\n"
	"sign-in with a password (the name, never the password).\n"
	"Against a server (a token with scope full), the same rules apply there.\n",
	cmd_users, 1
};
