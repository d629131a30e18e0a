/*
 * cli_util.c - what every svcconn subcommand shares.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

void cli_usage(const struct cmd_entry *cmd, FILE *f)
{
	fprintf(f, "usage: svcconn %s\n", cmd->usage);
}

int cli_exit_code(int rc)
{
	switch (rc) {
	case SVC_OK: return EXIT_OK;
	case SVC_EINVALID: return EXIT_USAGE;
	case SVC_ENOTFOUND: return EXIT_NOTFOUND;
	case SVC_EDENIED: return EXIT_DENIED;
	default: return EXIT_FAILED;
	}
}

int cli_fail(int rc, const char *fmt, ...)
{
	va_list ap;

	fputs("svcconn: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return cli_exit_code(rc);
}

int cli_lib_fail(int rc)
{
	const char *msg = svc_error_last();

	return cli_fail(rc, "%s", *msg ? msg : "operation failed");
}

int cli_usage_error(const struct cmd_entry *cmd, const char *fmt, ...)
{
	va_list ap;

	fputs("svcconn: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	cli_usage(cmd, stderr);
	return EXIT_USAGE;
}

void cli_print_diags(const svc_diags *d)
{
	size_t i, n = svc_diags_count(d);

	for (i = 0; i < n; i++) {
		char *s = svc_diag_format(svc_diags_at(d, i));

		fputs("svcconn: ", stderr);
		cli_print_safe(stderr, s ? s : "(no memory)");
		fputc('\n', stderr);
		free(s);
	}
}

int cli_catalog_new(svc_catalog **cat)
{
	static int warned;
	int rc = svc_catalog_new(cat);

	/* the definitions the catalog skipped: said once per command */
	if (rc == 0 && !warned) {
		cli_print_diags(svc_catalog_warnings(*cat));
		warned = 1;
	}
	return rc;
}

int cli_common_opt(struct cli_ctx *ctx, const struct cmd_entry *cmd,
		   int opt, const char *arg, int *exit_now)
{
	switch (opt) {
	case OPT_HOME:
		ctx->opts.home = arg;
		/* the catalog's custom types live in the store's directory:
		 * the library finds it through SVCCONN_HOME (not a secret) */
		setenv("SVCCONN_HOME", arg, 1);
		return 1;
	case OPT_JSON:
		ctx->json = 1;
		return 1;
	case OPT_SERVER:
		ctx->server = arg;
		return 1;
	case OPT_CA:
		ctx->ca_file = arg;
		return 1;
	case OPT_PROJECT:
		ctx->project_opt = arg;
		if (svc_principal_set_project(ctx->who, arg)) {
			cli_lib_fail(SVC_EINVALID);
			*exit_now = 1;
		}
		return 1;
	case OPT_HELP:
		cli_usage(cmd, stdout);
		fprintf(stdout, "\n%s\n", cmd->summary);
		if (cmd->help && *cmd->help)
			fprintf(stdout, "\n%s", cmd->help);
		fputs("\nCommon options:\n"
		      "  --home DIR   the store directory (default $SVCCONN_HOME,\n"
		      "               else ~/.local/share/svcconn)\n"
		      "  --help       this text\n"
		      "  --server URL act on svcconn-server at URL (default\n"
		      "               $SVCCONN_SERVER) with the token of 'svcconn\n"
		      "               login', or of the file $SVCCONN_TOKEN_FILE\n"
		      "  --ca FILE    trust the CAs of FILE (PEM) for the server\n"
		      "               too (default $SVCCONN_CA, else the login's)\n"
		      "  --project P  act in project P (default $SVCCONN_PROJECT,\n"
		      "               else 'default'; see 'svcconn projects --help')\n"
		      "Exit codes: 0 success, 1 failed, 2 bad usage or invalid input,\n"
		      "3 not found, 5 refused.\n", stdout);
		if (!cmd->remote)
			fputs("This command works only on a local store.\n",
			      stdout);
		*exit_now = 1;
		return 1;
	default:
		return 0;
	}
}

const char *cli_server(const struct cli_ctx *ctx)
{
	const char *server = ctx->server ? ctx->server : getenv("SVCCONN_SERVER");

	return server && *server ? server : NULL;
}

int cli_refuse_server(const struct cli_ctx *ctx)
{
	if (!cli_server(ctx))
		return EXIT_OK;
	return cli_fail(SVC_EINVALID,
			"'%s' works only on a local store, not against a server (--server, SVCCONN_SERVER)",
			ctx->cmd ? ctx->cmd->name : "?");
}

int cli_open_store(struct cli_ctx *ctx, svc_store **out)
{
	const char *server = cli_server(ctx);
	int rc;

	*out = NULL;
	if (server) {
		if (!ctx->cmd || !ctx->cmd->remote)
			return cli_refuse_server(ctx);
		ctx->server = server;
		return cli_remote_open(ctx);
	}
	rc = svc_store_open(out, &ctx->opts);
	/* the plan and other reads without a principal act in it too */
	if (rc == 0 && (rc = svc_ops_project_enter(*out, ctx->who)) != 0) {
		svc_store_free(*out);
		*out = NULL;
	}
	if (rc)
		return cli_lib_fail(rc);
	return 0;
}

const char *cli_when(char out[32], long long t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!t || !gmtime_r(&tt, &tm) ||
	    !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, 32, "-");
	return out;
}

void cli_print_safe(FILE *f, const char *s)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; p && *p; p++)
		fputc(*p < 0x20 && *p != '\n' ? '?' : (*p == 0x7f ? '?' : *p),
		      f);
}

/* How every JSON value is printed. */
#define CLI_JSON_FLAGS (JSON_INDENT(2) | JSON_PRESERVE_ORDER)

int cli_print_json(json_t *v)
{
	int rc;

	if (!v)
		return cli_fail(SVC_ERROR, "out of memory");
	rc = json_dumpf(v, stdout, CLI_JSON_FLAGS);
	json_decref(v);
	if (rc != 0 || putchar('\n') == EOF)
		return cli_fail(SVC_ERROR, "cannot write JSON");
	return EXIT_OK;
}

/* Append len bytes of p to a's buffer, writing it out when full. */
static void json_array_put(struct cli_json_array *a, const char *p,
			   size_t len)
{
	size_t k;

	while (len && !a->failed) {
		if (a->len == sizeof(a->buf)) {
			if (fwrite(a->buf, 1, a->len, stdout) != a->len)
				a->failed = 1;
			a->len = 0;
		}
		k = sizeof(a->buf) - a->len;
		k = k < len ? k : len;
		memcpy(a->buf + a->len, p, k);
		a->len += k;
		p += k;
		len -= k;
	}
}

/*
 * json_dump_callback's output of one element, indented one level deeper
 * as inside the array: two more spaces after each newline (a string
 * never holds one: JSON escapes it).
 */
static int json_array_elem(const char *p, size_t len, void *data)
{
	struct cli_json_array *a = data;
	const char *nl;

	while ((nl = memchr(p, '\n', len)) != NULL) {
		json_array_put(a, p, (size_t)(nl - p) + 1);
		json_array_put(a, "  ", 2);
		len -= (size_t)(nl - p) + 1;
		p = nl + 1;
	}
	json_array_put(a, p, len);
	return a->failed ? -1 : 0;
}

void cli_json_array_add(struct cli_json_array *a, json_t *v)
{
	json_array_put(a, a->n++ ? ",\n  " : "[\n  ", 4);
	if (!v || json_dump_callback(v, json_array_elem, a, CLI_JSON_FLAGS))
		a->failed = 1;
	json_decref(v);
}

int cli_json_array_end(struct cli_json_array *a)
{
	json_array_put(a, a->n ? "\n]\n" : "[]\n", 3);
	if (!a->failed && a->len &&
	    fwrite(a->buf, 1, a->len, stdout) != a->len)
		a->failed = 1;
	a->len = 0;
	if (a->failed)
		return cli_fail(SVC_ERROR, "cannot write JSON");
	return EXIT_OK;
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

json_t *cli_conn_json(const svc_conn *c, const svc_catalog *cat)
{
	json_t *o = json_object(), *auth = json_object(), *data = json_object();
	const svc_type *t = svc_catalog_find(cat, svc_conn_type(c));
	const svc_scheme *s = t ? svc_type_scheme(t, svc_conn_scheme(c)) : NULL;
	size_t i, n = svc_conn_field_count(c);
	svc_conn_field f;

	for (i = 0; i < n; i++) {
		svc_conn_field_at(c, i, &f);
		json_object_set_new(f.kind == SVC_FIELD_DATA ? data : auth,
				    f.key,
				    f.secret ? json_string("***")
					     : json_stringn(f.value ? f.value : "",
							    f.len));
	}
	/* secret fields of the scheme that are not set show as null */
	n = t ? svc_type_field_count(t, s) : 0;
	for (i = 0; i < n; i++) {
		const svc_field *cf = svc_type_field_at(t, s, i);

		if (cf->secret && cf->kind != SVC_FIELD_URL &&
		    svc_conn_field_get(c, cf->key, &f) != 0)
			json_object_set_new(cf->kind == SVC_FIELD_DATA ? data
								       : auth,
					    cf->key, json_null());
	}
	json_object_set_new(o, "id", str_or_null(svc_conn_id(c)));
	json_object_set_new(o, "name", json_string(svc_conn_name(c)));
	json_object_set_new(o, "type", json_string(svc_conn_type(c)));
	json_object_set_new(o, "scheme", str_or_null(svc_conn_scheme(c)));
	json_object_set_new(o, "url", str_or_null(svc_conn_url(c)));
	json_object_set_new(o, "data", data);
	json_object_set_new(o, "auth", auth);
	json_object_set_new(o, "description",
			    str_or_null(svc_conn_description(c)));
	json_object_set_new(o, "createdBy", str_or_null(svc_conn_created_by(c)));
	json_object_set_new(o, "createdAt", str_or_null(svc_conn_created_at(c)));
	json_object_set_new(o, "updatedBy", str_or_null(svc_conn_updated_by(c)));
	json_object_set_new(o, "updatedAt", str_or_null(svc_conn_updated_at(c)));
	json_object_set_new(o, "allPipelines",
			    json_boolean(svc_conn_all_pipelines(c)));
	return o;
}

int cli_parse(struct cli_ctx *ctx, const struct cmd_entry *cmd, int argc,
	      char **argv, const char *shortopts, const struct option *opts,
	      int (*on_opt)(int c, const char *arg, void *data), void *data,
	      int *exit_now)
{
	char spec[16];
	int c, rc;

	*exit_now = 0;
	ctx->cmd = cmd;
	opterr = 0;
	optind = 1;
	snprintf(spec, sizeof(spec), ":%s", shortopts ? shortopts : "");
	while ((c = getopt_long(argc, argv, spec, opts, NULL)) != -1) {
		if (cli_common_opt(ctx, cmd, c, optarg, exit_now)) {
			if (*exit_now)
				return EXIT_OK;
			continue;
		}
		if (c == ':')
			return cli_usage_error(cmd, "option '%s' needs a value",
					       argv[optind - 1]);
		if (c == '?' || !on_opt)
			return cli_usage_error(cmd, "unknown option '%s'",
					       argv[optind - 1]);
		if ((rc = on_opt(c, optarg, data)) != EXIT_OK)
			return rc;
	}
	return EXIT_OK;
}

int cli_limit_opt(int c, const char *arg, void *data)
{
	char *end;
	unsigned long v = strtoul(arg, &end, 10);

	(void)c;
	if (!*arg || *end || v == 0 || v > 1000000)
		return cli_fail(SVC_EINVALID, "--limit takes a number from 1 to 1000000");
	*(size_t *)data = (size_t)v;
	return EXIT_OK;
}

int cli_flag_opt(int c, const char *arg, void *data)
{
	(void)c;
	(void)arg;
	*(int *)data = 1;
	return EXIT_OK;
}
