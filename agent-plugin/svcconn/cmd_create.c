/*
 * cmd_create.c - `svcconn create` and `svcconn edit`: one set of options.
 *
 * Secret values never come from the command line, where every user of the
 * machine can read them in the process list: only from a file (KEY=@FILE),
 * standard input (KEY=-) or a prompt with echo off (KEY alone, on a
 * terminal).  A secret field given with --set is refused before anything is
 * read or stored.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli.h"

#define MAX_FIELD_ARGS 256

/* One --set/--secret/--unset argument. */
struct field_arg {
	char kind;        /**< 's' set, 'x' secret, 'u' unset */
	const char *arg;  /**< the argument as given */
};

/* Options of create and edit. */
struct conn_opts {
	const char *scheme;        /**< --scheme */
	const char *url;           /**< --url */
	const char *description;   /**< --description */
	int grant_all;             /**< --grant-all-pipelines */
	int verify;                /**< --verify: store only if it works */
	int editing;               /**< parsing for edit */
	struct field_arg f[MAX_FIELD_ARGS]; /**< field arguments in order */
	size_t nf;                 /**< entries in f */
};

enum { OPT_SCHEME = 1, OPT_URL, OPT_SET, OPT_SECRET, OPT_UNSET, OPT_DESC,
       OPT_GRANT, OPT_VERIFY };

static const struct option options[] = {
	{ "scheme", required_argument, NULL, OPT_SCHEME },
	{ "url", required_argument, NULL, OPT_URL },
	{ "set", required_argument, NULL, OPT_SET },
	{ "secret", required_argument, NULL, OPT_SECRET },
	{ "unset", required_argument, NULL, OPT_UNSET },
	{ "description", required_argument, NULL, OPT_DESC },
	{ "grant-all-pipelines", no_argument, NULL, OPT_GRANT },
	{ "verify", no_argument, NULL, OPT_VERIFY },
	{ "json", no_argument, NULL, OPT_JSON },
	CLI_COMMON_OPTIONS
};

/* One option of create/edit into o. */
static int on_opt(int c, const char *arg, void *data)
{
	struct conn_opts *o = data;

	switch (c) {
	case OPT_SCHEME: o->scheme = arg; break;
	case OPT_URL: o->url = arg; break;
	case OPT_DESC: o->description = arg; break;
	case OPT_GRANT: o->grant_all = 1; break;
	case OPT_VERIFY: o->verify = 1; break;
	default:
		if (o->nf == MAX_FIELD_ARGS)
			return cli_fail(SVC_EINVALID, "too many field options");
		if (c == OPT_UNSET && !o->editing)
			return cli_fail(SVC_EINVALID, "--unset is only for edit");
		o->f[o->nf].kind = c == OPT_SET ? 's' : c == OPT_SECRET ? 'x' : 'u';
		o->f[o->nf++].arg = arg;
	}
	return EXIT_OK;
}

static int parse(struct cli_ctx *ctx, const struct cmd_entry *cmd,
		 struct conn_opts *o, int argc, char **argv, int *exit_now)
{
	memset(o, 0, sizeof(*o));
	o->editing = cmd == &cmd_edit_entry;
	return cli_parse(ctx, cmd, argc, argv, NULL, options, on_opt, o,
			 exit_now);
}

/* 1 when key names a secret field in any scheme of type t. */
static int secret_anywhere(const svc_type *t, const char *key)
{
	size_t i;

	for (i = 0; i < t->nschemes; i++) {
		const svc_field *f = svc_type_field(t, &t->schemes[i], key);

		if (f && f->secret)
			return 1;
	}
	return 0;
}

/* 1 when some scheme of t has an auth or data field called url. */
static int url_is_field(const svc_type *t)
{
	size_t i;

	for (i = 0; t && i < t->nschemes; i++) {
		const svc_field *f = svc_type_field(t, &t->schemes[i], "url");

		if (f && f->kind != SVC_FIELD_URL)
			return 1;
	}
	return 0;
}

/* Refuse secrets given with --set, and secret values inline. */
static int check_field_args(const struct conn_opts *o, const svc_type *t)
{
	size_t i;
	int stdin_used = 0;

	for (i = 0; i < o->nf; i++) {
		const char *arg = o->f[i].arg, *eq = strchr(arg, '=');
		size_t klen = eq ? (size_t)(eq - arg) : strlen(arg);
		char key[129];

		if (klen == 0 || klen >= sizeof(key))
			return cli_fail(SVC_EINVALID, "invalid field argument '%.*s'",
					(int)(klen < 64 ? klen : 64), arg);
		memcpy(key, arg, klen);
		key[klen] = '\0';
		if (strcasecmp(key, "url") == 0 && !url_is_field(t))
			return cli_fail(SVC_EINVALID,
					"the connection's URL is set with --url, not as a field");
		if (o->f[i].kind == 's') {
			if (!eq)
				return cli_fail(SVC_EINVALID,
						"--set needs KEY=VALUE, got '%s'", key);
			if (t && secret_anywhere(t, key))
				return cli_fail(SVC_EINVALID,
						"field '%s' is secret and is not accepted with --set (the command line is visible to every user); pass it with --secret %s=@FILE, --secret %s=- (standard input) or --secret %s (prompt)",
						key, key, key, key);
		} else if (o->f[i].kind == 'x') {
			if (eq && eq[1] != '@' && strcmp(eq + 1, "-") != 0)
				return cli_fail(SVC_EINVALID,
						"secret values are not accepted on the command line; use --secret %s=@FILE, --secret %s=- (standard input) or --secret %s (prompt)",
						key, key, key);
			if (eq && strcmp(eq + 1, "-") == 0 && stdin_used++)
				return cli_fail(SVC_EINVALID,
						"only one secret can come from standard input");
		}
	}
	return EXIT_OK;
}

/* Read the value of a --secret argument. */
static int read_secret(const char *key, const char *eq, char **val,
		       size_t *len)
{
	char prompt[200];
	int rc;

	if (eq && eq[1] == '@')
		rc = svc_secret_read_file(val, len, eq + 2);
	else if (eq)
		rc = svc_secret_read_fd(val, len, STDIN_FILENO);
	else if (isatty(STDIN_FILENO)) {
		snprintf(prompt, sizeof(prompt), "%s: ", key);
		rc = svc_secret_prompt(val, len, prompt);
	} else
		return cli_fail(SVC_EINVALID,
				"no value for secret '%s': standard input is not a terminal to prompt on; use --secret %s=@FILE or --secret %s=-",
				key, key, key);
	if (rc)
		return cli_fail(rc, "cannot read secret '%s': %s", key,
				svc_error_last());
	return EXIT_OK;
}

/* Apply field arguments to c. */
static int apply_fields(svc_conn *c, const struct conn_opts *o)
{
	size_t i;
	int rc;

	for (i = 0; i < o->nf; i++) {
		const char *arg = o->f[i].arg, *eq = strchr(arg, '=');
		char key[129];
		size_t klen = eq ? (size_t)(eq - arg) : strlen(arg);

		memcpy(key, arg, klen);
		key[klen] = '\0';
		if (o->f[i].kind == 'u') {
			if (svc_conn_unset_field(c, key) != 0)
				return cli_fail(SVC_EINVALID,
						"cannot unset '%s': no such field is set",
						key);
			continue;
		}
		if (o->f[i].kind == 's') {
			rc = svc_conn_set_field(c, key, eq + 1, strlen(eq + 1));
		} else {
			char *val = NULL;
			size_t len = 0;

			if ((rc = read_secret(key, eq, &val, &len)) != EXIT_OK)
				return rc;
			rc = svc_conn_set_field(c, key, val, len);
			svc_secret_free(val, len);
		}
		if (rc)
			return cli_lib_fail(rc);
	}
	return EXIT_OK;
}

static int apply_common(svc_conn *c, const struct conn_opts *o)
{
	if ((o->scheme && svc_conn_set_scheme(c, o->scheme)) ||
	    (o->url && svc_conn_set_url(c, *o->url ? o->url : NULL)) ||
	    (o->description && svc_conn_set_description(c, o->description)))
		return cli_lib_fail(SVC_ERROR);
	if (o->grant_all)
		svc_conn_set_all_pipelines(c, 1);
	return EXIT_OK;
}

static int validate(svc_conn *c, const svc_catalog *cat)
{
	svc_diags *d = NULL;
	int rc;

	if (svc_diags_new(&d))
		return cli_lib_fail(SVC_ERROR);
	rc = svc_conn_validate(c, cat, d);
	if (rc) {
		if (svc_diags_count(d))
			cli_print_diags(d);
		else
			cli_lib_fail(rc);
		fputs("svcconn: nothing was stored\n", stderr);
		rc = EXIT_USAGE;
	}
	svc_diags_free(d);
	return rc;
}

static int report(struct cli_ctx *ctx, const svc_conn *c,
		  const svc_catalog *cat, const char *verb)
{
	if (ctx->json)
		return cli_print_json(cli_conn_json(c, cat));
	printf("%s connection '", verb);
	cli_print_safe(stdout, svc_conn_name(c));
	printf("' (%s, %s, id %s)\n", svc_conn_type(c), svc_conn_scheme(c),
	       svc_conn_id(c));
	return EXIT_OK;
}

/*
 * The checks create and edit make before saving: certificates, and the
 * call of --verify.  Against a server, the server validates and checks
 * the certificates, and verifies with --verify as it stores
 * (store_conn), and removes the fields --unset names.
 */
static int local_checks(struct cli_ctx *ctx, svc_store *st, const svc_conn *c,
			const svc_catalog *cat, const struct conn_opts *o)
{
	int rc;

	/* --verify: the server verifies as it stores (store_conn);
	 * --grant-all-pipelines travels as allPipelines, --unset as unset */
	if (ctx->remote)
		return EXIT_OK;
	if ((rc = cli_check_certs(ctx, st, c, cat)))
		return rc;
	if (o->verify && (rc = cli_verify_before_save(ctx, st, c, cat)))
		return rc;
	return EXIT_OK;
}

/*
 * Store c by op (cli_conn_create or cli_conn_update); against a server
 * with --verify, the server verifies and then stores in one call, and
 * the verification is printed as a local --verify prints it.
 */
static int store_conn(struct cli_ctx *ctx, svc_store *st, svc_conn *c,
		      const struct conn_opts *o,
		      int (*op)(struct cli_ctx *ctx, svc_store *st,
				svc_conn *c))
{
	const char *unset[MAX_FIELD_ARGS];
	svc_verify_result r;
	size_t i, n;
	int rc;

	if (!ctx->remote)
		return (rc = op(ctx, st, c)) ? cli_lib_fail(rc) : EXIT_OK;
	/* --unset: the keys, named to the server (a PUT keeps a secret it
	 * leaves out) */
	for (i = n = 0; i < o->nf; i++)
		if (o->f[i].kind == 'u')
			unset[n++] = o->f[i].arg;
	if ((rc = svc_remote_conn_save(o->verify ? &r : NULL, ctx->remote, c,
				       unset, n)))
		return cli_lib_fail(rc);
	if (!o->verify)
		return EXIT_OK;
	rc = cli_verify_report(ctx, &r);
	svc_verify_result_clear(&r);
	return rc;
}

static int cmd_create(struct cli_ctx *ctx, int argc, char **argv)
{
	struct conn_opts o;
	svc_catalog *cat = NULL;
	svc_store *st = NULL;
	svc_conn *c = NULL;
	int rc, exit_now = 0;

	if ((rc = parse(ctx, &cmd_create_entry, &o, argc, argv, &exit_now)) ||
	    exit_now)
		return rc;
	if (argc - optind != 2)
		return cli_usage_error(&cmd_create_entry,
				       "create needs a TYPE and a NAME");
	if (cli_catalog_new(&cat))
		return cli_lib_fail(SVC_ERROR);
	if (!svc_catalog_find(cat, argv[optind])) {
		rc = cli_fail(SVC_EINVALID,
			      "unknown connection type '%s' (see 'svcconn types')",
			      argv[optind]);
		goto done;
	}
	if ((rc = check_field_args(&o, svc_catalog_find(cat, argv[optind]))))
		goto done;
	if (svc_conn_new(&c, argv[optind], argv[optind + 1])) {
		rc = cli_lib_fail(SVC_ERROR);
		goto done;
	}
	if ((rc = apply_common(c, &o)) || (rc = apply_fields(c, &o)) ||
	    (rc = validate(c, cat)))
		goto done;
	if ((rc = cli_open_store(ctx, &st)))
		goto done;
	if ((rc = local_checks(ctx, st, c, cat, &o)))
		goto done;
	if ((rc = store_conn(ctx, st, c, &o, cli_conn_create)))
		goto done;
	rc = report(ctx, c, cat, "created");
done:
	svc_conn_free(c);
	svc_store_free(st);
	svc_catalog_free(cat);
	return rc;
}

/* 1 when variant v (may be NULL) presets key ("k=v;k=v"). */
static int preset_by(const svc_variant *v, const char *key)
{
	const char *p = v ? v->presets : NULL;
	size_t klen = strlen(key);

	while (p && *p) {
		if (strncmp(p, key, klen) == 0 && p[klen] == '=')
			return 1;
		p += strcspn(p, ";");
		p += *p == ';';
	}
	return 0;
}

/*
 * Fit the fields kept from the old scheme to the new one: drop those it
 * does not have (or has as another kind: Docker Registry's auth field url
 * is not the connection's URL), those the new variant presets (it sets
 * them), and those
 * whose value its definition rejects where it has a default (a field
 * defined per scheme, such as Docker Registry's registrytype or
 * Kubernetes' authorizationType: the default or the preset takes their
 * place).  Values given in the same edit are applied afterwards.
 */
static void drop_foreign_fields(svc_conn *c, const svc_catalog *cat,
				const char *scheme)
{
	const svc_type *t = svc_catalog_find(cat, svc_conn_type(c));
	const svc_scheme *s;
	const svc_variant *v = NULL;
	const svc_field *def;
	const char *why;
	size_t i;
	svc_conn_field f;

	if (!t)
		return;
	s = svc_type_scheme(t, scheme);
	if (!s && (v = svc_type_variant(t, scheme)) != NULL)
		s = svc_type_scheme(t, v->scheme);
	if (!s)
		return;
	for (i = svc_conn_field_count(c); i > 0; i--) {
		svc_conn_field_at(c, i - 1, &f);
		def = svc_type_field(t, s, f.key);
		if (!def || def->kind != f.kind || preset_by(v, def->key) ||
		    (def->default_value && f.value &&
		     svc_field_check(def, f.value, f.len, &why) != 0)) {
			char *key = strdup(f.key);

			if (key)
				svc_conn_unset_field(c, key);
			free(key);
		}
	}
}

static int cmd_edit(struct cli_ctx *ctx, int argc, char **argv)
{
	struct conn_opts o;
	svc_catalog *cat = NULL;
	svc_store *st = NULL;
	svc_conn *c = NULL;
	int rc, exit_now = 0;

	if ((rc = parse(ctx, &cmd_edit_entry, &o, argc, argv, &exit_now)) ||
	    exit_now)
		return rc;
	if (argc - optind != 1)
		return cli_usage_error(&cmd_edit_entry, "edit needs a NAME");
	if (!o.scheme && !o.url && !o.description && !o.grant_all && !o.nf)
		return cli_usage_error(&cmd_edit_entry, "nothing to change");
	if (cli_catalog_new(&cat))
		return cli_lib_fail(SVC_ERROR);
	if ((rc = cli_open_store(ctx, &st)))
		goto done;
	if ((rc = cli_conn_edit(ctx, st, &c, argv[optind]))) {
		rc = cli_lib_fail(rc);
		goto done;
	}
	if ((rc = check_field_args(&o, svc_catalog_find(cat, svc_conn_type(c)))))
		goto done;
	if (o.scheme && strcasecmp(o.scheme, svc_conn_scheme(c)) != 0)
		drop_foreign_fields(c, cat, o.scheme);
	if ((rc = apply_common(c, &o)) || (rc = apply_fields(c, &o)) ||
	    (rc = validate(c, cat)))
		goto done;
	if ((rc = local_checks(ctx, st, c, cat, &o)))
		goto done;
	if ((rc = store_conn(ctx, st, c, &o, cli_conn_update)))
		goto done;
	rc = report(ctx, c, cat, "updated");
done:
	svc_conn_free(c);
	svc_store_free(st);
	svc_catalog_free(cat);
	return rc;
}

#define FIELD_HELP \
	"  --scheme S            auth scheme or variant (see 'svcconn types TYPE')\n" \
	"  --url URL             the connection's URL\n" \
	"  --set KEY=VALUE       a non-secret field\n" \
	"  --secret KEY=@FILE    a secret field, read from FILE\n" \
	"  --secret KEY=-        a secret field, read from standard input\n" \
	"  --secret KEY          a secret field, prompted for (echo off)\n" \
	"  --description TEXT    a description\n" \
	"  --grant-all-pipelines open the connection to all pipelines\n" \
	"  --json                print the result as JSON\n" \
	"  --verify              verify and save: call the service with the\n" \
	"                        credentials first (see 'svcconn verify') and\n" \
	"                        store nothing when that fails (exit 1);\n" \
	"                        against a server, the server makes the call\n" \
	"Secret values are never accepted as command-line text: a secret field\n" \
	"given with --set is refused and nothing is stored. One trailing newline\n" \
	"of a secret read from a file or standard input is removed.\n"

const struct cmd_entry cmd_create_entry = {
	"create",
	"create TYPE NAME [--scheme S] [--url URL] [--set KEY=VALUE]... "
	"[--secret KEY=@FILE|KEY=-|KEY]... [--description TEXT] "
	"[--grant-all-pipelines] [--verify] [--json]",
	"define a new connection",
	"Options:\n" FIELD_HELP
	"Every required field of the scheme must be given; defaults fill the\n"
	"rest. The connection is validated before anything is stored.\n"
	"Certificates and keys are parsed: one that does not match its key, is\n"
	"expired or does not parse is refused; one expiring within 30 days is\n"
	"stored with a warning (edit checks the same; see 'svcconn expiring').\n",
	cmd_create, 1
};

const struct cmd_entry cmd_edit_entry = {
	"edit",
	"edit NAME|ID [--scheme S] [--url URL] [--set KEY=VALUE]... "
	"[--secret KEY=@FILE|KEY=-|KEY]... [--unset KEY]... "
	"[--description TEXT] [--grant-all-pipelines] [--verify] [--json]",
	"change fields of a connection",
	"Changes only what is given; stored secrets not given stay as they are.\n"
	"Options:\n" FIELD_HELP
	"  --unset KEY           remove an optional field\n"
	"Changing the scheme (or variant) drops the fields the new scheme does\n"
	"not have, those the variant presets (it sets them) and those whose\n"
	"value the new scheme rejects where it has a default (registrytype).\n",
	cmd_edit, 1
};
