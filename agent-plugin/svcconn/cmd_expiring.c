/*
 * cmd_expiring.c - `svcconn expiring`: the connections whose certificates
 * have expired or expire within a window, soonest first, from the expiry
 * the store records when a connection is written (nothing is decrypted,
 * except with --rescan, which fills the record for connections stored
 * before it existed).
 *
 * Also the certificate check `create` and `edit` make before storing
 * (cli_check_certs) and the lookup `list` uses (cli_expiry_of).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

/* Options of expiring. */
struct exp_opts {
	long long within;  /**< window in seconds */
	int rescan;        /**< --rescan */
};

enum { OPT_WITHIN = 1, OPT_RESCAN };

static const struct option options[] = {
	{ "within", required_argument, NULL, OPT_WITHIN },
	{ "rescan", no_argument, NULL, OPT_RESCAN },
	{ "json", no_argument, NULL, OPT_JSON },
	CLI_COMMON_OPTIONS
};

/* "30d", "12h", "2w", "90m", "45s" into seconds. */
static int parse_duration(long long *out, const char *s)
{
	static const struct { char unit; long long secs; } units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 },
		{ 'w', 7 * 86400 }
	};
	char *end;
	long long v;
	size_t i;

	if (*s < '0' || *s > '9')
		return -1;
	v = strtoll(s, &end, 10);
	if (v < 0 || v > 100000 || end[0] == '\0' || end[1] != '\0')
		return -1;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (*end == units[i].unit) {
			*out = v * units[i].secs;
			return 0;
		}
	return -1;
}

static int on_opt(int c, const char *arg, void *data)
{
	struct exp_opts *o = data;

	if (c == OPT_RESCAN) {
		o->rescan = 1;
		return EXIT_OK;
	}
	if (parse_duration(&o->within, arg) != 0)
		return cli_fail(SVC_EINVALID,
				"invalid duration '%s' (want a number and a unit: 30d, 12h, 2w, 90m, 45s)",
				arg);
	return EXIT_OK;
}

const svc_cert_expiry *cli_expiry_of(const svc_cert_expiry *l, size_t n,
				     size_t *hint, const char *id)
{
	size_t i;

	/* both lists are ordered by name: the next one is nearly always it */
	if (*hint < n && strcmp(l[*hint].conn_id, id) == 0)
		return &l[(*hint)++];
	for (i = 0; i < n; i++)
		if (strcmp(l[i].conn_id, id) == 0) {
			*hint = i + 1;
			return &l[i];
		}
	return NULL;
}

void cli_day(char out[16], long long t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, 16, "%Y-%m-%d", &tm);
}

static int by_date(const void *a, const void *b)
{
	const svc_cert_expiry *x = *(const svc_cert_expiry *const *)a;
	const svc_cert_expiry *y = *(const svc_cert_expiry *const *)b;

	return x->not_after < y->not_after ? -1 : x->not_after > y->not_after;
}

static json_t *entry_json(const svc_cert_expiry *e)
{
	char at[32];
	time_t t = (time_t)e->not_after;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_pack("{s:s, s:s, s:s, s:s, s:I, s:b}", "name", e->name,
			 "type", e->type, "field", e->field, "notAfter", at,
			 "daysLeft", (json_int_t)e->days_left, "expired",
			 e->expired);
}

/* Print the selected entries (sel, n of them, sorted). */
static int print_due(struct cli_ctx *ctx, const svc_cert_expiry **sel,
		     size_t n)
{
	json_t *a;
	char day[16];
	size_t i;

	if (ctx->json) {
		if (!(a = json_array()))
			return cli_lib_fail(SVC_ERROR);
		for (i = 0; i < n; i++)
			json_array_append_new(a, entry_json(sel[i]));
		return cli_print_json(a);
	}
	if (n)
		printf("%-32s %-22s %-28s %-10s %s\n", "NAME", "TYPE", "FIELD",
		       "NOT AFTER", "DAYS LEFT");
	for (i = 0; i < n; i++) {
		cli_print_safe(stdout, sel[i]->name);
		printf("%*s %-22s ",
		       (int)(strlen(sel[i]->name) < 32
				     ? 32 - strlen(sel[i]->name) : 0), "",
		       sel[i]->type);
		cli_print_safe(stdout, sel[i]->field);
		cli_day(day, sel[i]->not_after);
		printf("%*s %-10s %lld%s\n",
		       (int)(strlen(sel[i]->field) < 28
				     ? 28 - strlen(sel[i]->field) : 0), "",
		       day, sel[i]->days_left,
		       sel[i]->expired ? " (expired)" : "");
	}
	return EXIT_OK;
}

static int cmd_expiring(struct cli_ctx *ctx, int argc, char **argv)
{
	struct exp_opts o = { 30 * 86400LL, 0 };
	const svc_cert_expiry **sel = NULL;
	svc_cert_expiry *l = NULL;
	svc_conn **conns = NULL;
	svc_catalog *cat = NULL;
	svc_store *st = NULL;
	size_t n = 0, nc = 0, k = 0, unknown = 0, hint = 0, i, scanned;
	int rc, exit_now;

	if ((rc = cli_parse(ctx, &cmd_expiring_entry, argc, argv, NULL,
			    options, on_opt, &o, &exit_now)) || exit_now)
		return rc;
	if (optind != argc)
		return cli_usage_error(&cmd_expiring_entry,
				       "unexpected argument '%s'", argv[optind]);
	if ((rc = cli_open_store(ctx, &st)))
		return rc;
	if (o.rescan) {
		/* against a server, the server decrypts its own store */
		if (cli_catalog_new(&cat) ||
		    (rc = cli_cert_rescan(ctx, st, &scanned, cat))) {
			rc = cli_lib_fail(rc ? rc : SVC_ERROR);
			goto done;
		}
		fprintf(stderr, "svcconn: rescanned the certificates of %zu connection%s\n",
			scanned, scanned == 1 ? "" : "s");
	}
	if ((rc = cli_conn_list_expiry(ctx, st, &conns, &nc, &l, &n))) {
		rc = cli_lib_fail(rc);
		goto done;
	}
	if (!(sel = calloc(n ? n : 1, sizeof(*sel)))) {
		rc = cli_lib_fail(SVC_ERROR);
		goto done;
	}
	for (i = 0; i < nc; i++) {
		const svc_cert_expiry *e;

		e = cli_expiry_of(l, n, &hint, svc_conn_id(conns[i]));
		if (!e || !e->known)
			unknown++;
		else if (e->field && e->seconds_left <= o.within)
			sel[k++] = e;
	}
	qsort(sel, k, sizeof(*sel), by_date);
	if ((rc = print_due(ctx, sel, k)) == EXIT_OK && k)
		rc = EXIT_FAILED;
	if (unknown)
		fprintf(stderr, "svcconn: note: the certificate expiry of %zu connection%s is not recorded yet (stored before svcconn kept it); run 'svcconn expiring --rescan'\n",
			unknown, unknown == 1 ? "" : "s");
done:
	free(sel);
	svc_cert_expiry_list_free(l, n);
	svc_store_conn_list_free(conns, nc);
	svc_catalog_free(cat);
	svc_store_free(st);
	return rc;
}

/* One problem line: "svcconn: LEVEL: connection 'N', field 'F': ...". */
static void problem(const char *level, const svc_conn *c,
		    const svc_cert_item *it)
{
	fprintf(stderr, "svcconn: %s: connection '", level);
	cli_print_safe(stderr, svc_conn_name(c));
	fputs("', field '", stderr);
	cli_print_safe(stderr, it->field);
	fputc('\'', stderr);
	if (it->part && *it->part) {
		fputs(" (", stderr);
		cli_print_safe(stderr, it->part);
		fputc(')', stderr);
	}
	if (it->subject) {
		fputs(": certificate '", stderr);
		cli_print_safe(stderr, it->subject);
		fputs("' ", stderr);
	} else {
		fputs(": ", stderr);
	}
	cli_print_safe(stderr, it->message ? it->message : "");
	fputc('\n', stderr);
}

int cli_check_certs(struct cli_ctx *ctx, svc_store *st, const svc_conn *c,
		    const svc_catalog *cat)
{
	svc_cert_report *r = NULL;
	const svc_cert_item *it;
	size_t i, n;
	int rc;

	if ((rc = svc_ops_certs_check(&r, st, ctx->who, c, cat)) != 0)
		return cli_lib_fail(rc);
	n = svc_cert_report_count(r);
	for (i = 0; i < n; i++) {
		it = svc_cert_report_at(r, i);
		if (it->problems & SVC_CERT_ERRORS)
			problem("error", c, it);
		else if (it->problems & SVC_CERT_EXPIRING)
			problem("warning", c, it);
		else if (it->problems & SVC_CERT_NOT_CHECKED)
			problem("note", c, it);
	}
	rc = EXIT_OK;
	if (svc_cert_report_with(r, SVC_CERT_ERRORS)) {
		fputs("svcconn: nothing was stored\n", stderr);
		rc = EXIT_USAGE;
	}
	svc_cert_report_free(r);
	return rc;
}

const struct cmd_entry cmd_expiring_entry = {
	"expiring", "expiring [--within DURATION] [--rescan] [--json]",
	"list connections whose certificates expire soon or have expired",
	"Lists the connections whose earliest certificate expires within\n"
	"DURATION (default 30d) or has expired, soonest first, with the field\n"
	"holding it, its notAfter date and the whole days left (negative once\n"
	"expired). Nothing is decrypted: the store records each connection's\n"
	"earliest expiry when it is created, edited or imported.\n"
	"Options:\n"
	"  --within DURATION  the window: a number and a unit s, m, h, d or w\n"
	"                     (30d, 12h, 2w); default 30d\n"
	"  --rescan           first decrypt every connection and record its\n"
	"                     expiry (for connections stored before svcconn kept\n"
	"                     it; needs the Administrator role on the store;\n"
	"                     against a server, the server decrypts its own)\n"
	"  --json             an array of {name, type, field, notAfter,\n"
	"                     daysLeft, expired}\n"
	"Exit status: 0 when nothing is due, 1 when some connection is listed\n"
	"(so a scheduled job can alert on it), 2 bad usage.\n",
	cmd_expiring, 1
};
