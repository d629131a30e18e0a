/*
 * main.c - svcconn-server: the store's HTTPS API and the administrators'
 * Unix socket (the library's server.h does the work).
 *
 * Parses options, hardens the process (umask 077, no core dumps, not
 * dumpable), makes jansson wipe what it frees (request bodies hold
 * secrets), starts the server, prints its log lines on standard error,
 * and stops cleanly on SIGTERM or SIGINT.
 */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


#include <jansson.h>
#include <svcconn/svcconn.h>

static const char usage_text[] =
	"usage: svcconn-server [--home DIR] (--listen ADDR:PORT\n"
	"                      (--tls-cert FILE --tls-key FILE | --insecure-http-on-loopback)\n"
	"                      | --unix-socket PATH)... [options]\n";

static const char help_text[] =
	"\nServe the store's API (Azure DevOps' service endpoint shapes) over\n"
	"HTTPS to holders of personal access tokens, and over a Unix socket to\n"
	"the host's users (identified by their uid). See docs/server.md.\n"
	"\nOptions:\n"
	"  --home DIR               the store directory (default $SVCCONN_HOME,\n"
	"                           else ~/.local/share/svcconn)\n"
	"  --database LOCATION|@FILE\n"
	"                           a PostgreSQL database (postgresql://HOST/DB;\n"
	"                           @FILE reads it from FILE; no password on the\n"
	"                           command line: ~/.pgpass); default\n"
	"                           $SVCCONN_DATABASE, else the one 'svcconn init\n"
	"                           --database' recorded in the store directory,\n"
	"                           else SQLite's store.db there\n"
	"  --listen ADDR:PORT       serve HTTPS on a numeric address ([::1]:PORT\n"
	"                           for IPv6; port 0 picks one, logged)\n"
	"  --tls-cert FILE          the certificate chain, PEM\n"
	"  --tls-key FILE           its private key, PEM\n"
	"  --insecure-http-on-loopback\n"
	"                           plain HTTP instead, for tests: refused unless\n"
	"                           the address is loopback\n"
	"  --unix-socket PATH       also (or only) serve this socket; an existing\n"
	"                           path is refused unless it is a stale socket of\n"
	"                           this user\n"
	"  --unix-socket-mode MODE  0600 (default) or 0660 (the group may connect)\n"
	"  --organization NAME      the organization served (default 'default')\n"
	"  --project NAME           ignored, for compatibility: every project of\n"
	"                           the store is served, at /ORG/PROJECT/_apis/...\n"
	"                           ('svcconn projects --help')\n"
	"  --issuer URL             the server's public https:// URL as an OIDC\n"
	"                           issuer (http:// only on a loopback host):\n"
	"                           serves /.well-known/openid-configuration and\n"
	"                           /.well-known/jwks without authentication,\n"
	"                           and signs jobs' ID tokens (the oidctoken\n"
	"                           route, WIF idTokens; docs/oidc.md); without\n"
	"                           it, none of these\n"
	"  --job-lease S            the lease of an agent's job, seconds (300;\n"
	"                           10 to 86400): its broker renews it halfway;\n"
	"                           a job not renewed in time expires, its\n"
	"                           exclusive locks released\n"
	"  --max-connections N      connections at once (64)\n"
	"  --max-per-ip N           connections at once from one address (16)\n"
	"  --timeout S              idle connection time-out, seconds (30)\n"
	"  --max-body BYTES         request body cap, 413 past it (1048576)\n"
	"  --max-auth-failures N    failed authentications from one address in\n"
	"                           a window before 429 (10)\n"
	"  --auth-failure-window S  that window, seconds (60)\n"
	"  --console-idle-timeout S a web console session ends S seconds after\n"
	"                           its last request (900; docs/console.md)\n"
	"  --console-max-age S      and S seconds after its sign-in (28800)\n"
	"  --help                   this text\n"
	"\nLog lines go to standard error; they never hold a secret, a body or\n"
	"a header. Exit codes: 0 stopped by SIGTERM or SIGINT, 1 failed,\n"
	"2 bad usage.\n";

enum {
	OPT_HOME = 1000, OPT_LISTEN, OPT_CERT, OPT_KEY, OPT_INSECURE, OPT_UNIX,
	OPT_UNIX_MODE, OPT_ORG, OPT_PROJECT, OPT_MAXCONN, OPT_PERIP,
	OPT_TIMEOUT, OPT_MAXBODY, OPT_FAILMAX, OPT_FAILWIN, OPT_HELP,
	OPT_ISSUER, OPT_CONSOLE_IDLE, OPT_CONSOLE_MAX, OPT_LEASE, OPT_DATABASE
};

static const struct option options[] = {
	{ "home", required_argument, NULL, OPT_HOME },
	{ "database", required_argument, NULL, OPT_DATABASE },
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "tls-cert", required_argument, NULL, OPT_CERT },
	{ "tls-key", required_argument, NULL, OPT_KEY },
	{ "insecure-http-on-loopback", no_argument, NULL, OPT_INSECURE },
	{ "unix-socket", required_argument, NULL, OPT_UNIX },
	{ "unix-socket-mode", required_argument, NULL, OPT_UNIX_MODE },
	{ "organization", required_argument, NULL, OPT_ORG },
	{ "project", required_argument, NULL, OPT_PROJECT },
	{ "max-connections", required_argument, NULL, OPT_MAXCONN },
	{ "max-per-ip", required_argument, NULL, OPT_PERIP },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "max-body", required_argument, NULL, OPT_MAXBODY },
	{ "max-auth-failures", required_argument, NULL, OPT_FAILMAX },
	{ "auth-failure-window", required_argument, NULL, OPT_FAILWIN },
	{ "issuer", required_argument, NULL, OPT_ISSUER },
	{ "console-idle-timeout", required_argument, NULL, OPT_CONSOLE_IDLE },
	{ "console-max-age", required_argument, NULL, OPT_CONSOLE_MAX },
	{ "job-lease", required_argument, NULL, OPT_LEASE },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 }
};

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

/* One log line on standard error, with the time. */
static void log_line(void *ctx, svc_server_log_level level, const char *line)
{
	static const char *const names[] = { "info", "warning", "error" };
	char at[32];
	time_t now = time(NULL);
	struct tm tm;

	(void)ctx;
	gmtime_r(&now, &tm);
	strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", &tm);
	pthread_mutex_lock(&log_lock);
	fprintf(stderr, "%s svcconn-server: %s: %s\n", at,
		names[level <= SVC_SERVER_LOG_ERROR ? level : 2], line);
	fflush(stderr);
	pthread_mutex_unlock(&log_lock);
}

/* A number from 1 to max for option name, or 0 after the message. */
static unsigned long number(const char *name, const char *arg,
			    unsigned long max)
{
	char *end;
	unsigned long v = strtoul(arg, &end, 10);

	if (!*arg || *end || v == 0 || v > max) {
		fprintf(stderr,
			"svcconn-server: error: --%s takes a number from 1 to %lu, not '%s'\n",
			name, max, arg);
		return 0;
	}
	return v;
}

/* The database's location, read from --database (wiped at exit). */
static char *db_location;
static size_t db_location_len;

static void db_location_free(void)
{
	svc_secret_free(db_location, db_location_len);
	db_location = NULL;
}

static int parse(svc_server_options *o, int argc, char **argv)
{
	const char *database = NULL;
	unsigned long v = 1;
	int c, idx;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", options, &idx)) != -1) {
		switch (c) {
		case OPT_HOME: o->store.home = optarg; break;
		case OPT_DATABASE: database = optarg; break;
		case OPT_LISTEN: o->listen = optarg; break;
		case OPT_CERT: o->tls_cert = optarg; break;
		case OPT_KEY: o->tls_key = optarg; break;
		case OPT_INSECURE: o->insecure_http = 1; break;
		case OPT_UNIX: o->unix_socket = optarg; break;
		case OPT_UNIX_MODE:
			if (strcmp(optarg, "0600") == 0 || strcmp(optarg, "600") == 0)
				o->unix_mode = 0600;
			else if (strcmp(optarg, "0660") == 0 || strcmp(optarg, "660") == 0)
				o->unix_mode = 0660;
			else {
				fprintf(stderr, "svcconn-server: error: --unix-socket-mode is 0600 or 0660, not '%s'\n",
					optarg);
				return 2;
			}
			break;
		case OPT_ORG: o->organization = optarg; break;
		case OPT_ISSUER: o->issuer = optarg; break;
		case OPT_PROJECT: o->project = optarg; break;
		case OPT_MAXCONN:
			o->max_connections = (unsigned)(v = number("max-connections", optarg, 100000));
			break;
		case OPT_PERIP:
			o->max_per_ip = (unsigned)(v = number("max-per-ip", optarg, 100000));
			break;
		case OPT_TIMEOUT:
			o->timeout_s = (unsigned)(v = number("timeout", optarg, 86400));
			break;
		case OPT_MAXBODY:
			o->max_body = (size_t)(v = number("max-body", optarg, 64ul << 20));
			break;
		case OPT_FAILMAX:
			o->auth_fail_max = (unsigned)(v = number("max-auth-failures", optarg, 100000));
			break;
		case OPT_LEASE:
			o->job_lease_s = (unsigned)(v = number("job-lease", optarg, SVC_JOB_LEASE_MAX));
			break;
		case OPT_FAILWIN:
			o->auth_fail_window_s = (unsigned)(v = number("auth-failure-window", optarg, 86400));
			break;
		case OPT_CONSOLE_IDLE:
			o->console_idle_s = (unsigned)(v = number("console-idle-timeout", optarg, 86400));
			break;
		case OPT_CONSOLE_MAX:
			o->console_max_s = (unsigned)(v = number("console-max-age", optarg, 30 * 86400));
			break;
		case OPT_HELP:
			fputs(usage_text, stdout);
			fputs(help_text, stdout);
			return -1;
		case ':':
			fprintf(stderr, "svcconn-server: error: option '%s' needs a value\n",
				argv[optind - 1]);
			return 2;
		default:
			fprintf(stderr, "svcconn-server: error: unknown option '%s'\n",
				argv[optind - 1]);
			fputs(usage_text, stderr);
			return 2;
		}
		if (v == 0)
			return 2;
	}
	if (optind != argc) {
		fprintf(stderr, "svcconn-server: error: unexpected argument '%s'\n",
			argv[optind]);
		return 2;
	}
	if (database) {
		if (svc_store_database_arg(&db_location, &db_location_len,
					   database) != 0) {
			fprintf(stderr, "svcconn-server: error: --database: %s\n",
				svc_error_last());
			return 2;
		}
		atexit(db_location_free);
		o->store.database = db_location;
	}
	if (!o->listen && !o->unix_socket) {
		fputs("svcconn-server: error: nothing to serve: give --listen or --unix-socket\n",
		      stderr);
		fputs(usage_text, stderr);
		return 2;
	}
	if (o->listen && !o->insecure_http && (!o->tls_cert || !o->tls_key)) {
		fputs("svcconn-server: error: --listen needs --tls-cert and --tls-key (plain HTTP only with --insecure-http-on-loopback, for tests)\n",
		      stderr);
		return 2;
	}
	return 0;
}

int main(int argc, char **argv)
{
	svc_server_options o;
	svc_server *srv = NULL;
	sigset_t set;
	int rc, sig = 0;

	if (svc_process_harden() != 0) {
		fprintf(stderr, "svcconn-server: error: %s\n", svc_error_last());
		return 1;
	}
	/* request bodies (secret parameters) pass through its strings */
	svc_json_wipe_on_free();
	memset(&o, 0, sizeof(o));
	o.version = SVC_SERVER_OPTIONS_VERSION;
	o.store.version = SVC_STORE_OPTIONS_VERSION;
	o.log = log_line;
	if ((rc = parse(&o, argc, argv)) != 0)
		return rc < 0 ? 0 : rc;
	if (o.store.home)
		/* custom types live in the store's directory (not a secret) */
		setenv("SVCCONN_HOME", o.store.home, 1);
	/* the signals are taken by sigwait, in this thread only: block
	 * them before the server's threads start (they inherit the mask) */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (svc_server_start(&srv, &o) != 0) {
		fprintf(stderr, "svcconn-server: error: %s\n", svc_error_last());
		return 1;
	}
	sigdelset(&set, SIGPIPE);
	while (sigwait(&set, &sig) != 0)
		;
	log_line(NULL, SVC_SERVER_LOG_INFO,
		 sig == SIGTERM ? "stopping (SIGTERM)" : "stopping (SIGINT)");
	svc_server_stop(srv);
	return 0;
}
