/*
 * register_cmd.c - `svcconn-agent register`: this machine becomes an agent
 * of a svcconn-server.
 *
 * The one-time registration token an Administrator issued ('svcconn agents
 * registration-token') is read from a file or standard input, never from
 * argv, and exchanged at the server for the agent's credential, which the
 * library writes 0600 into the agent's configuration directory
 * (--config-dir, else $SVCCONN_AGENT_CONFIG, else
 * $XDG_CONFIG_HOME/svcconn-agent, else ~/.config/svcconn-agent).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <svcconn/svcconn.h>

enum { OPT_SERVER = 1, OPT_TOKEN_FILE, OPT_NAME, OPT_CA, OPT_CONFIG,
       OPT_HELP };

static const struct option options[] = {
	{ "server", required_argument, NULL, OPT_SERVER },
	{ "registration-token-file", required_argument, NULL, OPT_TOKEN_FILE },
	{ "name", required_argument, NULL, OPT_NAME },
	{ "ca", required_argument, NULL, OPT_CA },
	{ "config-dir", required_argument, NULL, OPT_CONFIG },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 }
};

static void register_usage(FILE *f)
{
	fputs("usage: svcconn-agent register --server URL --registration-token-file FILE\n"
	      "                              --name NAME [--ca FILE] [--config-dir DIR]\n"
	      "\n"
	      "Exchange a one-time registration token ('svcconn agents\n"
	      "registration-token --pool POOL' on the server's host) for this agent's\n"
	      "credential. FILE '-' reads the token from standard input; it is never\n"
	      "taken from the command line. The credential is written 0600 to\n"
	      "DIR/credential and the server's address to DIR/agent.json; DIR is\n"
	      "--config-dir, else $SVCCONN_AGENT_CONFIG, else\n"
	      "$XDG_CONFIG_HOME/svcconn-agent, else ~/.config/svcconn-agent.\n"
	      "  --server URL  https://host:port of svcconn-server\n"
	      "  --ca FILE     CA certificates (PEM) to trust besides the system's\n",
	      f);
}

int agent_config_dir(char *out, size_t size, const char *given);

/* The configuration directory into out (size bytes); 0 or -1. */
int agent_config_dir(char *out, size_t size, const char *given)
{
	const char *v;
	int n;

	if (given)
		n = snprintf(out, size, "%s", given);
	else if ((v = getenv("SVCCONN_AGENT_CONFIG")) && *v)
		n = snprintf(out, size, "%s", v);
	else if ((v = getenv("XDG_CONFIG_HOME")) && *v)
		n = snprintf(out, size, "%s/svcconn-agent", v);
	else if ((v = getenv("HOME")) && *v)
		n = snprintf(out, size, "%s/.config/svcconn-agent", v);
	else
		return -1;
	return n > 0 && (size_t)n < size ? 0 : -1;
}

int agent_register_main(int argc, char **argv);

int agent_register_main(int argc, char **argv)
{
	svc_agent_enroll_options o;
	svc_agent info;
	const char *file = NULL, *cfg = NULL;
	char dir[4096], *tok = NULL;
	size_t len = 0;
	int c, rc;

	memset(&o, 0, sizeof(o));
	memset(&info, 0, sizeof(info));
	o.version = SVC_AGENT_ENROLL_OPTIONS_VERSION;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (c) {
		case OPT_SERVER: o.server = optarg; break;
		case OPT_TOKEN_FILE: file = optarg; break;
		case OPT_NAME: o.name = optarg; break;
		case OPT_CA: o.ca_file = optarg; break;
		case OPT_CONFIG: cfg = optarg; break;
		case OPT_HELP: register_usage(stdout); return 0;
		default: register_usage(stderr); return 2;
		}
	}
	if (optind < argc || !o.server || !file || !o.name) {
		fprintf(stderr, "svcconn-agent: error: register needs --server, --registration-token-file and --name\n");
		register_usage(stderr);
		return 2;
	}
	if (agent_config_dir(dir, sizeof(dir), cfg)) {
		fprintf(stderr, "svcconn-agent: error: no configuration directory (set HOME or --config-dir)\n");
		return 2;
	}
	o.config_dir = dir;
	rc = strcmp(file, "-") ? svc_secret_read_file(&tok, &len, file)
			       : svc_secret_read_fd(&tok, &len, STDIN_FILENO);
	if (rc == 0)
		rc = svc_agent_enroll(&info, &o, tok, len);
	if (tok)
		svc_secret_free(tok, len);
	if (rc) {
		fprintf(stderr, "svcconn-agent: error: %s\n", svc_error_last());
		return rc == SVC_EINVALID ? 2 : rc == SVC_EDENIED ? 5 : 1;
	}
	printf("registered agent '%s' in pool '%s' (credential %s) at '%s'\n",
	       info.name, info.pool, info.token_id, o.server);
	fprintf(stderr, "svcconn-agent: its credential is in '%s/credential' (0600)\n",
		dir);
	svc_agent_clear(&info);
	return 0;
}
