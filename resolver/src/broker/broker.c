/*
 * broker.c - the per-job broker (server and client): git credentials, SSH
 * key passphrases and the step variables of the job.
 *
 * The server (svc_broker_serve) loads the job's git-capable connections
 * with their secrets into "grants" (URL split into scheme, host, port and
 * path; the user name and password git will get), writes its pid, token
 * and helper files into the job directory, listens on broker.sock and
 * answers one connection at a time.  Every request is "key=value" lines up
 * to a blank line (kv_parse, shared with the client); it must come from our
 * own uid and carry a token; its "request" is looked up in a fixed table.
 *
 * Two kinds of token: the job's (broker.token, for svcconn-agent, which
 * never gives it to a step) and a step's.  Before a step starts, the agent
 * asks "step-grant" with the connections the step references; the step's
 * sandbox shows the new token as broker.token, so its git helper presents
 * it, and it reaches only the git credentials of those connections.
 * "step-end" revokes it.  Requests marked job-only in the table
 * (step variables, SSH passphrases, grants) refuse a step's token.
 *
 * Files are reached through a descriptor of the job directory (openat,
 * /proc/self/fd/N/broker.sock for bind and connect, which also keeps the
 * socket path short); their names and the job record are util/jobdir.c's.
 * Liveness is a lock, not a pid: the broker holds an flock on broker.pid
 * for its whole life (jobdir_pid_take, and jobdir_pid_alive, the check the
 * lease keeper's pid file shares), so stop and sweep never mistake a
 * reused pid for a broker, and a broker killed with SIGKILL is known dead.
 *
 * The client (svc_broker_git_credential and friends) checks the job
 * directory and the token file on their descriptors, checks the broker's
 * uid, sends one request and reads one answer, bounded.
 *
 * SSH connections (type "ssh") granted to the job: job-start refuses one
 * without a pinned hostKey (svc_broker_ssh_check); svc_broker_ssh_start
 * writes the pinned keys into the job's known_hosts (0600) and, for the
 * connections with a PrivateKey, starts one ssh-agent with its socket in
 * the job directory (fresh environment, pid in ssh-agent.pid) and feeds it
 * each key with "ssh-add -" through a socket pair: the key is never in a
 * file or argv.  A key's passphrase reaches ssh-add through
 * svcconn-askpass, which asks the broker ("ssh-askpass", with the
 * connection id ssh-add's environment names); the broker answers it once,
 * then wipes it.  The agent is killed, and its socket, pid file and
 * known_hosts removed, by svc_broker_stop, by the broker when it ends, and
 * by the sweep when the broker died; a pid is killed only when its
 * /proc cmdline is the ssh-agent of that very job directory.
 *
 * The job's step variables: steps run one by one through the hooks
 * (svcconn-agent step) pass on the secret variables and task.setendpoint
 * changes of their logging commands through the broker, never a file.
 * "vars-put" (key "vars") replaces them, "vars-get" answers them (key
 * "vars"; empty before the first put).  The value is one opaque line,
 * svc_step_vars_encode()'s (svcconn/run.h: every name and value in hex),
 * of at most SVC_STEP_VARS_MAX (1 MiB): the one line allowed over
 * LINE_MAX_LEN, which is why requests and answers are bounded a little
 * over 1 MiB.  The broker keeps it in memory only, as a secret: wiped when
 * replaced and when the broker ends.  job-start starts a broker for every
 * granted job for this, and for the job's SystemVssConnection: a random
 * token made when the broker starts, kept in its memory only, which
 * "system-token" (the job's token only) answers (key "token"), so that
 * every step of the job is given the same one; one without git or SSH connections writes no
 * broker.helper, so its steps' git is left as it was.
 *
 * A job of svcconn-server (o->endpoints): there is no store.  The
 * broker holds the granted connections as the server sent them
 * (ServiceEndpoints with their secrets, in memory only, wiped as jansson
 * frees them), loads its git grants from them, answers "connection" (the
 * job's token only; key "endpoint", the endpoint's JSON in hex) to the
 * agent's step processes, gives the server's job token as the
 * SystemVssConnection token, and renews the job's lease on the server
 * halfway through it (o->remote, with the agent's credential).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "svcconn/broker.h"
#include "svcconn/conn.h"
#include "svcconn/run.h"
#include "svcconn/secret.h"
#include "svcconn/remote.h"
#include "errors_int.h"
#include "remote/remote_int.h"
#include "util/buf.h"
#include "util/fileio.h"
#include "util/hex.h"
#include "util/jobdir.h"
#include "broker/sshagent.h"

#define SSH_TYPE "ssh"
#define SSH_STOP_WAIT_MS 2000   /* how long we wait for ssh-agent to end */

#define TOKEN_BYTES 32
#define TOKEN_HEX (2 * TOKEN_BYTES)
#define LINE_MAX_LEN 4096u      /* longest protocol line, newline included */
#define VARS_PREFIX "vars="     /* the one line that may be longer... */
#define ENDPOINT_PREFIX "endpoint=" /* ...and a connection's answer */
#define ENDPOINT_PREFIX_LEN (sizeof(ENDPOINT_PREFIX) - 1)
#define RENEW_MIN_SECONDS 5     /* a job's lease is renewed no more often */
#define VARS_PREFIX_LEN (sizeof(VARS_PREFIX) - 1)
#define VARS_LINE_MAX (VARS_PREFIX_LEN + SVC_STEP_VARS_MAX + 1) /* ...up to this */
#define REQUEST_MAX (SVC_STEP_VARS_MAX + 8192u)  /* longest request (vars-put) */
#define REPLY_MAX (SVC_STEP_VARS_MAX + 65536u)   /* longest answer (vars-get) */
#define IO_TIMEOUT_SECONDS 5    /* a peer that stalls is dropped */
#define STOP_WAIT_MS 3000       /* how long stop waits for the broker */
#define STEP_GRANTS_MAX 16      /* steps of a job holding a grant at once */
#define STEP_IDS_MAX 64         /* connections one step may reference */

/* What git may get from one connection of the job. */
struct grant {
	char *id;        /**< connection id */
	char *name;      /**< connection name, for notes */
	char *scheme;    /**< URL scheme, lower case: "http" or "https" */
	char *host;      /**< host, lower case, IPv6 without brackets */
	unsigned port;   /**< port; the scheme's default when the URL has none */
	char *path;      /**< URL path without '/' around it; "" for all */
	char *username;  /**< user name given to git */
	char *password;  /**< password or token given to git (wiped) */
	size_t pwlen;    /**< bytes in password */
};

/* What ssh-add may get from one SSH connection of the job. */
struct ssh_grant {
	char *id;        /**< connection id, named by ssh-add's environment */
	char *name;      /**< connection name, for notes */
	char *secret;    /**< key passphrase (auth "password"), NULL once given */
	size_t len;      /**< bytes in secret */
};

/*
 * One running step's grant: the token the step's git helper presents, and
 * the connections the step references (its only reach).
 */
struct step_grant {
	char token[TOKEN_HEX + 1];   /**< the step's token; "" when unused */
	char **ids;                  /**< connection ids the step references */
	size_t nids;                 /**< entries in ids */
};

/* A running broker. */
struct broker {
	const svc_broker_options *o; /**< the caller's options */
	struct grant *grants;        /**< the job's git-capable connections */
	size_t ngrants;              /**< entries in grants */
	struct ssh_grant *ssh;       /**< the job's SSH connections with a key */
	size_t nssh;                 /**< entries in ssh */
	char token[TOKEN_HEX + 1];   /**< the job's token (wiped at the end):
					  the agent's, never a step's */
	struct step_grant steps[STEP_GRANTS_MAX]; /**< the running steps'
							grants */
	char *vars;                  /**< the job's step variables as the last
					  vars-put left them (encoded, secret:
					  wiped when replaced and at the end) */
	size_t varslen;              /**< bytes in vars */
	char system_token[SVC_BROKER_SYSTEM_TOKEN_MAX + 1]; /**< the job's
					       SystemVssConnection token
					       (wiped at the end) */
	json_t *eps;                 /**< a server's job: its granted
					  connections with their secrets
					  (ServiceEndpoints; freed with
					  jansson's wiping free), else NULL */
	long long lease;             /**< a server's job: when its lease
					  ends (seconds since 1970) */
	time_t renew_at;             /**< when to renew it next */
	int dirfd;                   /**< the job directory */
	int pidfd;                   /**< broker.pid, flock held while alive */
	int lfd;                     /**< the listening socket */
};

/* A request the broker answers: the fixed table. */
struct request {
	const char *name;            /**< value of "request=" */
	int job_only;                /**< 1: the job's token only, never a
					  step's */
	/**
	 * Answer into reply; vals are the parsed request's values, step the
	 * grant of the step whose token came (NULL: the job's token).
	 */
	int (*run)(struct broker *b, const struct step_grant *step,
		   const char *const *vals, svc_buf *reply);
};

/* The keys a request may hold; others are ignored. */
enum { K_REQUEST, K_TOKEN, K_PROTOCOL, K_HOST, K_PATH, K_USERNAME,
	K_CONNECTION, K_VARS, K_CONNECTIONS, K_STEP, K_COUNT };
static const char *const request_keys[K_COUNT] = {
	"request", "token", "protocol", "host", "path", "username", "connection",
	"vars", "connections", "step"
};

/* The keys of an answer. */
enum { R_STATUS, R_USERNAME, R_PASSWORD, R_VARS, R_TOKEN, R_ENDPOINT,
	R_COUNT };
static const char *const reply_keys[R_COUNT] = {
	"status", "username", "password", "vars", "token", "endpoint"
};

/* ---- small helpers ------------------------------------------------------ */

static char *dup_str(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* A heap copy of len bytes at s, NUL-terminated, for a secret. */
static char *dup_secret(const char *s, size_t len)
{
	char *p = malloc(len + 1);

	if (p) {
		memcpy(p, s, len);
		p[len] = '\0';
	}
	return p;
}

static void lower(char *s)
{
	for (; s && *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* 1 when s has no byte that would break a line protocol. */
static int line_safe(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] == '\n' || s[i] == '\r' || s[i] == '\0')
			return 0;
	return 1;
}

/* Append "key=value\n"; SVC_EINVALID when value would break the line. */
static int put_kv(svc_buf *b, const char *key, const char *value, size_t len)
{
	int rc;

	if (!line_safe(value, len))
		return error_set(SVC_EINVALID, "value of '%s' holds a line break",
				 key);
	if ((rc = buf_puts(b, key)) || (rc = buf_putc(b, '=')) ||
	    (rc = buf_put(b, value, len)) || (rc = buf_putc(b, '\n')))
		return rc;
	return 0;
}

/* Send all len bytes (no SIGPIPE); 0 or SVC_ERROR. */
static int send_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return error_set(SVC_ERROR, "cannot write to the broker socket: %s",
					 n < 0 ? strerror(errno) : "closed");
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Read from fd into b until a blank line ends the text (or the peer
 * closes); bounded by b's maximum.
 */
static int recv_text(svc_buf *b, int fd)
{
	char chunk[1024];
	int rc = 0;

	for (;;) {
		ssize_t n = recv(fd, chunk, sizeof(chunk), 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = error_set(SVC_ERROR, "cannot read from the broker socket: %s",
				       strerror(errno));
			break;
		}
		if (n == 0)
			break;
		if ((rc = buf_put(b, chunk, (size_t)n)))
			break;
		if ((b->len == 1 && b->ptr[0] == '\n') ||
		    (b->len >= 2 && b->ptr[b->len - 1] == '\n' &&
		     b->ptr[b->len - 2] == '\n'))
			break;
	}
	svc_wipe(chunk, sizeof(chunk));
	return rc;
}

/*
 * The longest line (newline included) that may start at line, n bytes
 * long: LINE_MAX_LEN, but VARS_LINE_MAX for the "vars=" line (the job's
 * step variables, up to SVC_STEP_VARS_MAX) and the "endpoint=" line (a
 * server's job's connection, hex).
 */
static size_t line_max(const char *line, size_t n)
{
	return (n >= VARS_PREFIX_LEN &&
		!memcmp(line, VARS_PREFIX, VARS_PREFIX_LEN)) ||
	       (n >= ENDPOINT_PREFIX_LEN &&
		!memcmp(line, ENDPOINT_PREFIX, ENDPOINT_PREFIX_LEN))
		? VARS_LINE_MAX : LINE_MAX_LEN;
}

/*
 * Parse "key=value" lines of text (len bytes; changed in place) up to a
 * blank line or the end.  vals[i] points at the value of keys[i] or stays
 * NULL.  Unknown keys are ignored; a line without '=', with CR or NUL, over
 * its line_max(), or a key given twice makes the text invalid.
 */
static int kv_parse(char *text, size_t len, const char *const *keys,
		    const char **vals, size_t nkeys)
{
	size_t pos = 0, i, lineno = 0;

	for (i = 0; i < nkeys; i++)
		vals[i] = NULL;
	while (pos < len) {
		char *line = text + pos, *nl, *eq;
		size_t n;

		lineno++;
		nl = memchr(line, '\n', len - pos);
		n = nl ? (size_t)(nl - line) : len - pos;
		if (n + 1 > line_max(line, n))
			return error_set(SVC_EINVALID, "line %zu is too long", lineno);
		if (n == 0)
			break;
		if (memchr(line, '\r', n) || memchr(line, '\0', n))
			return error_set(SVC_EINVALID, "line %zu holds CR or NUL", lineno);
		line[n] = '\0';
		pos += n + (nl ? 1 : 0);
		if (!(eq = strchr(line, '=')))
			return error_set(SVC_EINVALID, "line %zu has no '='", lineno);
		*eq = '\0';
		for (i = 0; i < nkeys; i++) {
			if (strcmp(line, keys[i]))
				continue;
			if (vals[i])
				return error_set(SVC_EINVALID, "key '%s' given twice", line);
			vals[i] = eq + 1;
		}
	}
	return 0;
}




static void set_timeouts(int fd)
{
	struct timeval tv = { IO_TIMEOUT_SECONDS, 0 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* Remove the broker's files from dirfd (pid last); 1 when any was there. */
static int remove_files(int dirfd)
{
	static const char *const names[] = { JOBDIR_BROKER_SOCK, JOBDIR_BROKER_TOKEN, JOBDIR_BROKER_HELPER, JOBDIR_BROKER_PID };
	size_t i;
	int any = 0;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (unlinkat(dirfd, names[i], 0) == 0)
			any = 1;
	return any;
}

/* 1 when connection c is of a git-capable type. */
static int git_capable(const svc_catalog *cat, const svc_conn *c)
{
	const svc_type *t = svc_catalog_find(cat, svc_conn_type(c));

	return t && t->git_capable;
}

/* ---- URLs --------------------------------------------------------------- */

/* The default port of a scheme, 0 when it is not http(s). */
static unsigned default_port(const char *scheme)
{
	if (!strcasecmp(scheme, "https"))
		return 443;
	if (!strcasecmp(scheme, "http"))
		return 80;
	return 0;
}

/*
 * Split "host[:port]" or "[v6]:port" (len bytes at s) into a new lower-case
 * host and a port (def when absent).  SVC_EINVALID when malformed.
 */
static int split_host(char **host, unsigned *port, const char *s, size_t len,
		      unsigned def)
{
	const char *h = s, *colon = NULL, *end = s + len;
	size_t hlen;

	if (len && s[0] == '[') {
		const char *rb = memchr(s, ']', len);

		if (!rb)
			return error_set(SVC_EINVALID, "malformed host");
		h = s + 1;
		hlen = (size_t)(rb - h);
		if (rb + 1 < end) {
			if (rb[1] != ':')
				return error_set(SVC_EINVALID, "malformed host");
			colon = rb + 1;
		}
	} else {
		colon = memchr(s, ':', len);
		hlen = colon ? (size_t)(colon - s) : len;
	}
	if (hlen == 0)
		return error_set(SVC_EINVALID, "empty host");
	*port = def;
	if (colon && colon + 1 < end) {
		unsigned long p = 0;
		const char *q;

		for (q = colon + 1; q < end; q++) {
			if (!isdigit((unsigned char)*q) || (p = p * 10 + (unsigned)(*q - '0')) > 65535)
				return error_set(SVC_EINVALID, "malformed port");
		}
		if (p == 0)
			return error_set(SVC_EINVALID, "malformed port");
		*port = (unsigned)p;
	}
	if (!(*host = malloc(hlen + 1)))
		return error_oom();
	memcpy(*host, h, hlen);
	(*host)[hlen] = '\0';
	lower(*host);
	return 0;
}

/*
 * 1 when the len bytes at s have a "." or ".." segment, '/' and '\\' both
 * separating segments (servers on Windows, and some on Linux, take '\\'
 * as one).
 */
static int dot_segment(const char *s, size_t len)
{
	size_t i, seg;

	for (i = 0, seg = 0; i <= len; i++) {
		if (i < len && s[i] != '/' && s[i] != '\\')
			continue;
		if ((i - seg == 1 && s[seg] == '.') ||
		    (i - seg == 2 && s[seg] == '.' && s[seg + 1] == '.'))
			return 1;
		seg = i + 1;
	}
	return 0;
}

/*
 * A path without '/' around it, into a new string; SVC_EINVALID when a
 * segment is "." or "..", as written or once percent-decoded (what the
 * server will see: "%2e%2e/", "..%2f"), or when it decodes to a NUL.
 * len bytes at s.
 */
static int norm_path(char **out, const char *s, size_t len)
{
	char *dec;
	int declen = 0, bad;

	while (len && s[0] == '/') {
		s++;
		len--;
	}
	while (len && s[len - 1] == '/')
		len--;
	if (len > INT_MAX)
		return error_set(SVC_EINVALID, "the path is too long");
	if (!(dec = curl_easy_unescape(NULL, s, (int)len, &declen)))
		return error_oom();
	bad = dot_segment(s, len) || dot_segment(dec, (size_t)declen) ||
	      memchr(dec, '\0', (size_t)declen) != NULL;
	curl_free(dec);
	if (bad)
		return error_set(SVC_EINVALID, "the path has a '.' or '..' segment");
	if (!(*out = malloc(len + 1)))
		return error_oom();
	memcpy(*out, s, len);
	(*out)[len] = '\0';
	return 0;
}

/* Split an http(s) URL into g's scheme, host, port and path. */
static int parse_url(struct grant *g, const char *url)
{
	const char *p = strstr(url, "://"), *auth, *end, *at;
	int rc;

	if (!p || p == url)
		return error_set(SVC_EINVALID, "not an absolute URL");
	if (!(g->scheme = malloc((size_t)(p - url) + 1)))
		return error_oom();
	memcpy(g->scheme, url, (size_t)(p - url));
	g->scheme[p - url] = '\0';
	lower(g->scheme);
	if (!default_port(g->scheme))
		return error_set(SVC_EINVALID, "not an http(s) URL");
	auth = p + 3;
	end = auth + strcspn(auth, "/?#");
	/* user information is not part of the origin */
	at = memchr(auth, '@', (size_t)(end - auth));
	if (at)
		auth = at + 1;
	if ((rc = split_host(&g->host, &g->port, auth, (size_t)(end - auth),
			     default_port(g->scheme))))
		return rc;
	return norm_path(&g->path, end, *end == '/' ? strcspn(end, "?#") : 0);
}

/* ---- loading the grants ------------------------------------------------- */

static void grant_clear(struct grant *g)
{
	free(g->id);
	free(g->name);
	free(g->scheme);
	free(g->host);
	free(g->path);
	svc_secret_free(g->username, (size_t)-1);
	svc_secret_free(g->password, g->pwlen);
	memset(g, 0, sizeof(*g));
}

/*
 * The user name and password git gets from connection c, by its scheme as
 * the agent does (svc_conn_git_credential).  SVC_ENOTFOUND when the scheme
 * gives git nothing.
 */
static int grant_credential(struct grant *g, const svc_conn *c)
{
	const char *user, *pass;
	size_t len = 0;

	if (svc_conn_git_credential(c, &user, &pass, &len) ||
	    !line_safe(pass, len) || !line_safe(user, strlen(user)))
		return SVC_ENOTFOUND;
	g->username = dup_str(user);
	g->password = dup_secret(pass, len);
	g->pwlen = len;
	if (!g->username || !g->password)
		return error_oom();
	return 0;
}

/* 1 when connection c is of the SSH type. */
static int is_ssh(const svc_conn *c)
{
	return svc_conn_type(c) && !strcmp(svc_conn_type(c), SSH_TYPE);
}

/* 1 when SSH connection c has a private key (loaded or not). */
static int ssh_has_key(const svc_conn *c)
{
	svc_conn_field f;

	return is_ssh(c) && svc_conn_field_get(c, "PrivateKey", &f) == 0 &&
		f.is_set && (!f.value || f.len);
}

static void ssh_grant_clear(struct ssh_grant *g)
{
	free(g->id);
	free(g->name);
	svc_secret_free(g->secret, g->len);
	memset(g, 0, sizeof(*g));
}

/* Add SSH connection c (secrets loaded) to b->ssh when it has a key. */
static int load_ssh_grant(struct broker *b, const svc_conn *c)
{
	struct ssh_grant *g = &b->ssh[b->nssh];
	svc_conn_field f;

	if (!ssh_has_key(c))
		return 0;
	g->id = dup_str(svc_conn_id(c));
	g->name = dup_str(svc_conn_name(c));
	if (svc_conn_field_get(c, "password", &f) == 0 && f.value && f.len &&
	    f.kind == SVC_FIELD_AUTH && line_safe(f.value, f.len)) {
		g->secret = dup_secret(f.value, f.len);
		g->len = f.len;
		if (!g->secret) {
			ssh_grant_clear(g);
			return error_oom();
		}
	}
	if (!g->id || !g->name) {
		ssh_grant_clear(g);
		return error_oom();
	}
	b->nssh++;
	return 0;
}

/* The ServiceEndpoint of connection id among eps (a server's job), or NULL. */
static json_t *endpoint_of(json_t *eps, const char *id)
{
	json_t *e;
	size_t i;

	json_array_foreach(eps, i, e) {
		const char *eid = json_string_value(json_object_get(e, "id"));

		if (eid && id && !strcmp(eid, id))
			return e;
	}
	return NULL;
}

/*
 * Granted connection id with its secrets: from the server's answer that
 * b holds (a server's job), else from the store.
 */
static int job_conn(svc_conn **out, const struct broker *b, svc_store *st,
		    const char *id)
{
	json_t *e;

	if (!b->eps)
		return svc_store_conn_get(out, st, id, SVC_GET_SECRETS);
	if (!(e = endpoint_of(b->eps, id)))
		return error_set(SVC_ENOTFOUND,
				 "the server granted the job no connection '%s'", id);
	return remote_conn_from(out, e);
}

/* Load the job's git-capable connections (with secrets) into b->grants. */
static int load_grants(struct broker *b, svc_store *st, const svc_catalog *cat)
{
	json_t *s = NULL, *v;
	size_t i, n;
	int rc;

	if ((rc = jobdir_record_read(&s, b->o->job_dir)))
		return rc;
	n = json_array_size(json_object_get(s, "connections"));
	if (!(b->ssh = calloc(n ? n : 1, sizeof(*b->ssh))) ||
	    !(b->grants = calloc(n ? n : 1, sizeof(*b->grants)))) {
		json_decref(s);
		return error_oom();
	}
	json_array_foreach(json_object_get(s, "connections"), i, v) {
		struct grant *g = &b->grants[b->ngrants];
		svc_conn *c = NULL;
		const char *id = json_string_value(v);

		if (!id)
			continue;
		if ((rc = job_conn(&c, b, st, id)))
			break;
		if (is_ssh(c)) {
			rc = load_ssh_grant(b, c);
			svc_conn_free(c);
			if (rc)
				break;
			continue;
		}
		if (!git_capable(cat, c) || !svc_conn_url(c) ||
		    parse_url(g, svc_conn_url(c)) != 0 ||
		    (rc = grant_credential(g, c)) != 0) {
			grant_clear(g);
			svc_conn_free(c);
			if (rc == SVC_ENOTFOUND)
				rc = 0;
			if (rc)
				break;
			continue;
		}
		g->id = dup_str(svc_conn_id(c));
		g->name = dup_str(svc_conn_name(c));
		svc_conn_free(c);
		if (!g->id || !g->name) {
			rc = error_oom();
			break;
		}
		b->ngrants++;
	}
	json_decref(s);
	svc_error_clear();
	return rc;
}

/*
 * The stored connection that entry v of a job's granted list names, or
 * NULL when it is gone from the store since the job started (skipped).
 */
static svc_conn *granted_conn(svc_store *st, const json_t *v, unsigned flags)
{
	svc_conn *c = NULL;

	if (!json_string_value(v) ||
	    svc_store_conn_get(&c, st, json_string_value(v), flags) != 0) {
		svc_error_clear();
		return NULL;
	}
	return c;
}

int svc_broker_wanted(int *wanted, svc_store *st, const svc_catalog *cat,
		      const char *job_dir)
{
	json_t *s = NULL, *v;
	size_t i;
	int rc, any = 0;

	if ((rc = jobdir_record_read(&s, job_dir)))
		return rc;
	json_array_foreach(json_object_get(s, "connections"), i, v) {
		svc_conn *c = granted_conn(st, v, 0);

		if (!c)
			continue;
		any = any || git_capable(cat, c) || ssh_has_key(c);
		svc_conn_free(c);
	}
	json_decref(s);
	*wanted = any;
	return 0;
}

/* ---- SSH connections: known_hosts and the job's ssh-agent -------------- */

/* Append s to b quoted for sh when it holds anything but [A-Za-z0-9/._+-]. */
static int put_sh_quoted(svc_buf *b, const char *s)
{
	size_t i, n = strlen(s);
	int plain = n > 0, rc;

	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("/._+-", s[i]))
			plain = 0;
	if (plain)
		return buf_puts(b, s);
	if ((rc = buf_putc(b, '\'')))
		return rc;
	for (i = 0; !rc && i < n; i++)
		rc = s[i] == '\'' ? buf_puts(b, "'\\''") : buf_putc(b, s[i]);
	return rc ? rc : buf_putc(b, '\'');
}

/* The how-to error for SSH connection c without a pinned host key. */
static int no_pin(const svc_conn *c)
{
	svc_conn_field host, port;
	const char *h = "HOST", *pt = "22";

	if (svc_conn_field_get(c, "Host", &host) == 0 && host.value)
		h = host.value;
	if (svc_conn_field_get(c, "Port", &port) == 0 && port.value && port.len)
		pt = port.value;
	return error_set(SVC_EINVALID,
			 "SSH connection '%s' has no pinned host key: pin the key "
			 "its server presents with `svcconn verify %s --pin-host-key`, "
			 "or set one with "
			 "`svcconn edit %s --set hostKey=\"%s ssh-ed25519 AAAA...\"` "
			 "(e.g. from `ssh-keyscan -p %s %s`)",
			 svc_conn_name(c), svc_conn_name(c), svc_conn_name(c), h,
			 pt, h);
}

/*
 * Append to kh the known_hosts lines of every SSH connection granted to
 * the job; each must have a pinned host key.  *nssh: how many there are.
 */
static int granted_known_hosts(svc_buf *kh, int *nssh, svc_store *st,
			       const json_t *granted)
{
	svc_conn_field f;
	svc_conn *c;
	json_t *v;
	size_t i;
	int rc = 0;

	*nssh = 0;
	json_array_foreach(json_object_get(granted, "connections"), i, v) {
		if (!(c = granted_conn(st, v, 0)))
			continue;
		if (is_ssh(c)) {
			++*nssh;
			if (svc_conn_field_get(c, "hostKey", &f) != 0 ||
			    !f.value || !f.len)
				rc = no_pin(c);
			else
				rc = ssh_known_hosts_lines(kh, c);
		}
		svc_conn_free(c);
		if (rc)
			break;
	}
	return rc;
}

int svc_broker_ssh_check(svc_store *st, const svc_catalog *cat,
			 const char *job_dir)
{
	svc_buf kh = SVC_BUF_INIT;
	json_t *s = NULL;
	int rc, nssh;

	(void)cat;
	if ((rc = jobdir_record_read(&s, job_dir)))
		return rc;
	rc = granted_known_hosts(&kh, &nssh, st, s);
	json_decref(s);
	buf_clear(&kh);
	return rc;
}

/*
 * 1 when pid runs "ssh-agent ... -a <dir>/ssh-agent.sock" for directory
 * dirfd: only that process is ever killed (a pid may have been reused).
 */
static int is_our_agent(long pid, int dirfd)
{
	char path[64], self[64], dir[PATH_MAX], cmd[2 * PATH_MAX];
	const char *last = NULL, *p;
	ssize_t n, dn;
	int fd;

	snprintf(self, sizeof(self), "/proc/self/fd/%d", dirfd);
	dn = readlink(self, dir, sizeof(dir) - 1);
	if (dn <= 0)
		return 0;
	dir[dn] = '\0';
	snprintf(path, sizeof(path), "/proc/%ld/cmdline", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	n = read(fd, cmd, sizeof(cmd) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	cmd[n] = '\0';
	p = strrchr(cmd, '/');
	if (strcmp(p ? p + 1 : cmd, "ssh-agent"))
		return 0;
	for (p = cmd; p < cmd + n; p += strlen(p) + 1)
		last = p;
	return last && !strncmp(last, dir, (size_t)dn) && last[dn] == '/' &&
		!strcmp(last + dn + 1, JOBDIR_SSH_SOCK);
}

/* 1 while pid runs (a zombie no longer does). */
static int pid_runs(long pid)
{
	char path[64], buf[512], *st;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	st = strrchr(buf, ')');
	return !(st && st[1] == ' ' && (st[2] == 'Z' || st[2] == 'X'));
}

/*
 * Kill the ssh-agent of directory dirfd and remove its socket, its pid
 * file and the job's known_hosts.  1 when any of them was there.
 */
static int ssh_stop_at(int dirfd)
{
	static const char *const names[] = { JOBDIR_SSH_SOCK, JOBDIR_KNOWN_HOSTS, JOBDIR_SSH_PID };
	struct stat sb;
	char buf[32];
	ssize_t n;
	size_t i;
	long pid = 0;
	int fd, waited, any = 0;

	fd = openat(dirfd, JOBDIR_SSH_PID, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0) {
		if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) &&
		    sb.st_uid == geteuid() && (n = read(fd, buf, sizeof(buf) - 1)) > 0) {
			buf[n] = '\0';
			pid = strtol(buf, NULL, 10);
		}
		close(fd);
	}
	if (pid > 1 && is_our_agent(pid, dirfd)) {
		kill((pid_t)pid, SIGTERM);
		for (waited = 0; pid_runs(pid) && waited < SSH_STOP_WAIT_MS; waited += 20) {
			struct timespec ts = { 0, 20 * 1000 * 1000 };

			nanosleep(&ts, NULL);
		}
		if (pid_runs(pid))
			kill((pid_t)pid, SIGKILL);
	}
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (unlinkat(dirfd, names[i], 0) == 0)
			any = 1;
	return any;
}

int svc_broker_ssh_stop(const char *job_dir)
{
	int dirfd, rc;

	if ((rc = jobdir_open(&dirfd, job_dir)))
		return rc == SVC_ENOTFOUND ? 0 : rc;
	ssh_stop_at(dirfd);
	close(dirfd);
	return 0;
}

/*
 * Start the job's ssh-agent ("ssh-agent -s -a <abs>/ssh-agent.sock", a
 * fresh environment; it detaches itself) and record its pid.
 */
static int start_agent(int dirfd, const char *abs)
{
	svc_buf sock = SVC_BUF_INIT;
	char pidtext[32];
	pid_t pid;
	int rc;

	if ((rc = buf_printf(&sock, "%s/%s", abs, JOBDIR_SSH_SOCK)))
		return rc;
	if (!(rc = sshagent_start(&pid, sock.ptr, 0))) {
		snprintf(pidtext, sizeof(pidtext), "%ld\n", (long)pid);
		rc = jobdir_file_write(dirfd, JOBDIR_SSH_PID, pidtext, strlen(pidtext));
	}
	buf_clear(&sock);
	return rc;
}

/*
 * Add the private key of SSH connection c to the job's agent: "ssh-add -"
 * reads it from a socket pair; a passphrase comes from askpass (asking
 * the broker for connection c).
 */
static int add_key(const svc_conn *c, const char *abs, const char *askpass)
{
	svc_buf sock = SVC_BUF_INIT, e_ask = SVC_BUF_INIT, e_job = SVC_BUF_INIT,
		e_conn = SVC_BUF_INIT, what = SVC_BUF_INIT;
	char *envp[6];
	svc_conn_field key;
	size_t ne = 0;
	int rc;

	if (svc_conn_field_get(c, "PrivateKey", &key) != 0 || !key.value || !key.len)
		return error_set(SVC_EINVALID, "SSH connection '%s' has no private key",
				 svc_conn_name(c));
	if ((rc = buf_printf(&what, "ssh-add of the key of SSH connection '%s'",
			     svc_conn_name(c))) ||
	    (rc = buf_printf(&sock, "%s/%s", abs, JOBDIR_SSH_SOCK)) ||
	    (rc = buf_printf(&e_job, "SVCCONN_JOB_DIR=%s", abs)) ||
	    (rc = buf_printf(&e_conn, "SVCCONN_SSH_CONNECTION=%s", svc_conn_id(c))) ||
	    (askpass && (rc = buf_printf(&e_ask, "SSH_ASKPASS=%s", askpass))))
		goto done;
	envp[ne++] = e_job.ptr;
	envp[ne++] = e_conn.ptr;
	if (askpass) {
		envp[ne++] = e_ask.ptr;
		envp[ne++] = "SSH_ASKPASS_REQUIRE=force";
	}
	envp[ne] = NULL;
	rc = sshagent_add_key(sock.ptr, key.value, key.len, envp, what.ptr);
done:
	buf_clear(&sock);
	buf_clear(&e_ask);
	buf_clear(&e_job);
	buf_clear(&e_conn);
	buf_clear(&what);
	return rc;
}

int svc_broker_ssh_start(svc_store *st, const svc_catalog *cat,
			 const char *job_dir, const char *askpass)
{
	svc_buf kh = SVC_BUF_INIT;
	json_t *s = NULL, *v;
	char *abs = NULL;
	size_t i;
	int rc, dirfd = -1, agent = 0, nssh = 0;

	(void)cat;
	if (askpass && askpass[0] != '/')
		return error_set(SVC_EINVALID, "askpass path '%s' is not absolute", askpass);
	if ((rc = jobdir_open(&dirfd, job_dir)) || (rc = jobdir_record_read(&s, job_dir)))
		goto done;
	if (!(abs = realpath(job_dir, NULL))) {
		rc = error_set(SVC_ERROR, "cannot resolve '%s': %s", job_dir, strerror(errno));
		goto done;
	}
	/* the known_hosts first: every SSH connection pinned */
	if ((rc = granted_known_hosts(&kh, &nssh, st, s)) || !nssh)
		goto done;
	if ((rc = jobdir_file_write(dirfd, JOBDIR_KNOWN_HOSTS, kh.ptr, kh.len)))
		goto done;
	/* then the agent, with every key */
	json_array_foreach(json_object_get(s, "connections"), i, v) {
		svc_conn *c = granted_conn(st, v, SVC_GET_SECRETS);

		if (!c)
			continue;
		if (ssh_has_key(c)) {
			if (!agent && !(rc = start_agent(dirfd, abs)))
				agent = 1;
			if (!rc)
				rc = add_key(c, abs, askpass);
		}
		svc_conn_free(c);
		if (rc)
			goto done;
	}
done:
	if (rc && dirfd >= 0)
		ssh_stop_at(dirfd);
	if (dirfd >= 0)
		close(dirfd);
	json_decref(s);
	free(abs);
	buf_clear(&kh);
	return rc;
}

/* ---- the server --------------------------------------------------------- */

static void note(const struct broker *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A note for the log: control bytes of request values become '?'. */
static void note(const struct broker *b, const char *fmt, ...)
{
	svc_buf m = SVC_BUF_INIT;
	va_list ap;
	size_t i;

	if (!b->o->log)
		return;
	va_start(ap, fmt);
	buf_vprintf(&m, fmt, ap);
	va_end(ap);
	for (i = 0; i < m.len; i++)
		if ((unsigned char)m.ptr[i] < 0x20 || m.ptr[i] == 0x7f)
			m.ptr[i] = '?';
	if (m.ptr)
		b->o->log(b->o->ctx, m.ptr);
	buf_clear(&m);
}

/*
 * The grant for a request (protocol, host, path), or NULL: the same
 * scheme, host and port, the path at or under the grant's; the grant with
 * the longest path wins.  A step's token reaches only the connections the
 * step references.
 */
static int step_reaches(const struct step_grant *step, const char *id)
{
	size_t i;

	if (!step)
		return 1; /* the job's token: every connection of the job */
	for (i = 0; i < step->nids; i++)
		if (!strcmp(step->ids[i], id))
			return 1;
	return 0;
}

static const struct grant *find_grant(const struct broker *b,
				      const struct step_grant *step,
				      const char *proto, const char *hostport,
				      const char *path)
{
	const struct grant *best = NULL;
	char *host = NULL, *p = NULL;
	unsigned port;
	size_t i;

	if (!proto || !hostport || !default_port(proto) ||
	    split_host(&host, &port, hostport, strlen(hostport),
		       default_port(proto)) != 0 ||
	    norm_path(&p, path ? path : "", path ? strlen(path) : 0) != 0)
		goto done;
	for (i = 0; i < b->ngrants; i++) {
		const struct grant *g = &b->grants[i];
		size_t gl = strlen(g->path);

		if (strcasecmp(g->scheme, proto) || strcmp(g->host, host) ||
		    g->port != port || !step_reaches(step, g->id))
			continue;
		/* without a path (no credential.useHttpPath), only a grant
		 * of the whole origin */
		if (gl && (!path || strncmp(p, g->path, gl) ||
			   (p[gl] != '\0' && p[gl] != '/')))
			continue;
		if (!best || gl > strlen(best->path))
			best = g;
	}
done:
	free(host);
	free(p);
	svc_error_clear();
	return best;
}

static int req_ping(struct broker *b, const struct step_grant *step,
		    const char *const *vals, svc_buf *reply)
{
	(void)b;
	(void)step;
	(void)vals;
	return buf_puts(reply, "status=ok\n");
}

static int req_credential(struct broker *b, const struct step_grant *step,
			  const char *const *vals, svc_buf *reply)
{
	const struct grant *g = find_grant(b, step, vals[K_PROTOCOL], vals[K_HOST],
					   vals[K_PATH]);
	int rc;

	if (!g) {
		note(b, "no connection of the %s for %s://%s/%s",
		     step ? "step" : "job",
		     vals[K_PROTOCOL] ? vals[K_PROTOCOL] : "?",
		     vals[K_HOST] ? vals[K_HOST] : "?",
		     vals[K_PATH] ? vals[K_PATH] : "");
		return buf_puts(reply, "status=none\n");
	}
	note(b, "credential of connection '%s' given for %s://%s/%s", g->name,
	     vals[K_PROTOCOL], vals[K_HOST], vals[K_PATH] ? vals[K_PATH] : "");
	if ((rc = buf_puts(reply, "status=ok\n")) ||
	    (rc = put_kv(reply, "username", g->username, strlen(g->username))) ||
	    (rc = put_kv(reply, "password", g->password, g->pwlen)))
		return rc;
	return 0;
}

static int req_reject(struct broker *b, const struct step_grant *step,
		      const char *const *vals, svc_buf *reply)
{
	const struct grant *g = find_grant(b, step, vals[K_PROTOCOL], vals[K_HOST],
					   vals[K_PATH]);

	if (g)
		note(b, "authentication failed with connection '%s' (%s) at %s://%s/%s",
		     g->name, g->id, vals[K_PROTOCOL], vals[K_HOST],
		     vals[K_PATH] ? vals[K_PATH] : "");
	return buf_puts(reply, "status=ok\n");
}

/*
 * The passphrase of the job's SSH connection vals[K_CONNECTION], for
 * svcconn-askpass (ssh-add at job start): given once, then wiped.
 */
static int req_ssh_askpass(struct broker *b, const struct step_grant *step,
			   const char *const *vals, svc_buf *reply)
{
	struct ssh_grant *g = NULL;
	size_t i;
	int rc;

	(void)step; /* the job's token only */
	for (i = 0; vals[K_CONNECTION] && i < b->nssh; i++)
		if (!strcmp(b->ssh[i].id, vals[K_CONNECTION]))
			g = &b->ssh[i];
	if (!g || !g->secret) {
		note(b, "no passphrase to give for SSH connection '%s'",
		     vals[K_CONNECTION] ? vals[K_CONNECTION] : "");
		return buf_puts(reply, "status=none\n");
	}
	note(b, "passphrase of SSH connection '%s' given to ssh-add", g->name);
	if ((rc = buf_puts(reply, "status=ok\n")) ||
	    (rc = put_kv(reply, "password", g->secret, g->len)))
		return rc;
	svc_secret_free(g->secret, g->len);
	g->secret = NULL;
	g->len = 0;
	return 0;
}

/* The job's step variables, as the last vars-put left them ("" before). */
static int req_vars_get(struct broker *b, const struct step_grant *step,
			const char *const *vals, svc_buf *reply)
{
	int rc;

	(void)step; /* the job's token only */
	(void)vals;
	if ((rc = buf_puts(reply, "status=ok\n")) ||
	    (rc = put_kv(reply, "vars", b->vars ? b->vars : "", b->varslen)))
		return rc;
	return 0;
}

/* Keep vals[K_VARS] as the job's step variables, wiping the old ones. */
static int req_vars_put(struct broker *b, const struct step_grant *step,
			const char *const *vals, svc_buf *reply)
{
	size_t len = vals[K_VARS] ? strlen(vals[K_VARS]) : 0;
	char *copy;

	(void)step; /* the job's token only */
	if (!vals[K_VARS] || len > SVC_STEP_VARS_MAX) {
		note(b, "step variables refused: none given, or over %u bytes",
		     SVC_STEP_VARS_MAX);
		return buf_puts(reply, "status=error\n");
	}
	if (!(copy = dup_secret(vals[K_VARS], len)))
		return error_oom();
	svc_secret_free(b->vars, b->varslen);
	b->vars = copy;
	b->varslen = len;
	note(b, "the job's step variables saved (%zu bytes)", len);
	return buf_puts(reply, "status=ok\n");
}

static int make_token(char *out);

/* The job's SystemVssConnection token, the same for every step. */
static int req_system_token(struct broker *b, const struct step_grant *step,
			    const char *const *vals, svc_buf *reply)
{
	int rc;

	(void)step; /* the job's token only */
	(void)vals;
	if ((rc = buf_puts(reply, "status=ok\n")) ||
	    (rc = put_kv(reply, "token", b->system_token,
			 strlen(b->system_token))))
		return rc;
	return 0;
}

/*
 * A server's job's connection vals[K_CONNECTION] with its secrets, as the
 * hex of its ServiceEndpoint JSON: for the agent's own processes (the
 * job's token), which hold no store.
 */
static int req_connection(struct broker *b, const struct step_grant *step,
			  const char *const *vals, svc_buf *reply)
{
	svc_buf hex;
	json_t *e;
	char *text;
	int rc;

	(void)step; /* the job's token only */
	if (!b->eps || !(e = endpoint_of(b->eps, vals[K_CONNECTION]))) {
		note(b, "connection '%s' asked for: not the job's",
		     vals[K_CONNECTION] ? vals[K_CONNECTION] : "");
		return buf_puts(reply, "status=none\n");
	}
	if (!(text = json_dumps(e, JSON_COMPACT)))
		return error_oom();
	buf_init(&hex, VARS_LINE_MAX, 1);
	if (!(rc = hex_encode(&hex, text, strlen(text))) &&
	    !(rc = buf_puts(reply, "status=ok\n")))
		rc = put_kv(reply, "endpoint", hex.ptr, hex.len);
	svc_secret_free(text, strlen(text));
	buf_clear(&hex);
	return rc;
}

static void step_grant_clear(struct step_grant *g)
{
	size_t i;

	for (i = 0; i < g->nids; i++)
		free(g->ids[i]);
	free(g->ids);
	svc_wipe(g->token, sizeof(g->token));
	g->ids = NULL;
	g->nids = 0;
}

/*
 * A grant for one step (the agent asks before it starts the step): a new
 * token that reaches only vals[K_CONNECTIONS] (comma-separated ids, each
 * a connection of the job; empty: none).
 */
static int req_step_grant(struct broker *b, const struct step_grant *step,
			  const char *const *vals, svc_buf *reply)
{
	struct step_grant *g = NULL;
	const char *p = vals[K_CONNECTIONS] ? vals[K_CONNECTIONS] : "";
	size_t i;
	int rc;

	(void)step; /* the job's token only */
	for (i = 0; i < STEP_GRANTS_MAX && !g; i++)
		if (!b->steps[i].token[0])
			g = &b->steps[i];
	if (!g) {
		note(b, "step grant refused: %d steps hold one already",
		     STEP_GRANTS_MAX);
		return buf_puts(reply, "status=error\n");
	}
	if (!(g->ids = calloc(STEP_IDS_MAX, sizeof(*g->ids))))
		return error_oom();
	while (*p) {
		size_t n = strcspn(p, ",");

		if (n && g->nids == STEP_IDS_MAX) {
			rc = error_set(SVC_EINVALID, "too many connections");
			goto fail;
		}
		if (n && !(g->ids[g->nids++] = strndup(p, n))) {
			rc = error_oom();
			goto fail;
		}
		p += n + (p[n] == ',');
	}
	if ((rc = make_token(g->token)) ||
	    (rc = buf_puts(reply, "status=ok\n")) ||
	    (rc = put_kv(reply, "token", g->token, TOKEN_HEX)))
		goto fail;
	note(b, "a step was granted %zu connection(s)", g->nids);
	return 0;
fail:
	step_grant_clear(g);
	return rc;
}

/* The end of a step: its token (vals[K_STEP]) reaches nothing any more. */
static int req_step_end(struct broker *b, const struct step_grant *step,
			const char *const *vals, svc_buf *reply)
{
	size_t i;

	(void)step; /* the job's token only */
	for (i = 0; vals[K_STEP] && i < STEP_GRANTS_MAX; i++)
		if (b->steps[i].token[0] &&
		    svc_secret_equal(vals[K_STEP], strlen(vals[K_STEP]),
				     b->steps[i].token, TOKEN_HEX)) {
			step_grant_clear(&b->steps[i]);
			return buf_puts(reply, "status=ok\n");
		}
	return buf_puts(reply, "status=none\n");
}

static const struct request requests[] = {
	{ "ping", 0, req_ping },
	{ "git-credential", 0, req_credential },
	{ "git-credential-reject", 0, req_reject },
	{ "ssh-askpass", 1, req_ssh_askpass },
	{ "vars-get", 1, req_vars_get },
	{ "vars-put", 1, req_vars_put },
	{ "step-grant", 1, req_step_grant },
	{ "step-end", 1, req_step_end },
	{ "system-token", 1, req_system_token },
	{ "connection", 1, req_connection },
};

/* The running step whose token is token, or NULL. */
static const struct step_grant *step_of(const struct broker *b,
					const char *token)
{
	const struct step_grant *found = NULL;
	size_t i, len = strlen(token);

	/* every slot compared, so the time says nothing of which matched */
	for (i = 0; i < STEP_GRANTS_MAX; i++)
		if (b->steps[i].token[0] &&
		    svc_secret_equal(token, len, b->steps[i].token, TOKEN_HEX))
			found = &b->steps[i];
	return found;
}

/* Answer one client on fd. */
static void serve_one(struct broker *b, int fd)
{
	const struct step_grant *step = NULL;
	svc_buf in, reply;
	const char *vals[K_COUNT];
	size_t i;
	int rc;

	buf_init(&in, REQUEST_MAX, 1);
	buf_init(&reply, REPLY_MAX, 1);
	if (!jobdir_peer_is_us(fd)) {
		note(b, "a client of another user was refused");
		goto done;
	}
	set_timeouts(fd);
	if (recv_text(&in, fd) != 0 || !in.ptr ||
	    kv_parse(in.ptr, in.len, request_keys, vals, K_COUNT) != 0) {
		buf_puts(&reply, "status=error\n");
		note(b, "malformed request refused");
		goto answer;
	}
	/* the job's token (the agent), or a running step's */
	if (!vals[K_TOKEN] || (!svc_secret_equal(vals[K_TOKEN], strlen(vals[K_TOKEN]),
						 b->token, TOKEN_HEX) &&
			       !(step = step_of(b, vals[K_TOKEN])))) {
		buf_puts(&reply, "status=denied\n");
		note(b, "request without the job's or a step's token refused");
		goto answer;
	}
	for (i = 0; i < sizeof(requests) / sizeof(requests[0]); i++)
		if (vals[K_REQUEST] && !strcmp(vals[K_REQUEST], requests[i].name))
			break;
	if (i == sizeof(requests) / sizeof(requests[0])) {
		buf_puts(&reply, "status=error\n");
		note(b, "unknown request '%s' refused",
		     vals[K_REQUEST] ? vals[K_REQUEST] : "");
		goto answer;
	}
	if (step && requests[i].job_only) {
		buf_puts(&reply, "status=denied\n");
		note(b, "request '%s' with a step's token refused", requests[i].name);
		goto answer;
	}
	if ((rc = requests[i].run(b, step, vals, &reply)) != 0) {
		buf_reset(&reply);
		buf_puts(&reply, "status=error\n");
	}
answer:
	if (!buf_putc(&reply, '\n'))
		send_all(fd, reply.ptr, reply.len);
done:
	buf_clear(&in);
	buf_clear(&reply);
	svc_error_clear();
}

/* A random token as hex into out[TOKEN_HEX + 1]. */
static int make_token(char *out)
{
	unsigned char raw[TOKEN_BYTES];
	size_t got = 0;

	while (got < sizeof(raw)) {
		ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return error_set(SVC_ERROR, "cannot get random bytes: %s",
					 strerror(errno));
		got += (size_t)n;
	}
	hex_write(out, raw, sizeof(raw));
	out[TOKEN_HEX] = '\0';
	svc_wipe(raw, sizeof(raw));
	return 0;
}

/* Take broker.pid; SVC_EEXISTS when a live broker holds it. */
static int take_pid(struct broker *b)
{
	int rc = jobdir_pid_take(&b->pidfd, b->dirfd, JOBDIR_BROKER_PID);

	if (rc == SVC_EEXISTS)
		return error_set(SVC_EEXISTS, "a broker serves '%s' already",
				 b->o->job_dir);
	return rc;
}

/* Listen on broker.sock, made under umask 077. */
static int make_socket(struct broker *b)
{
	struct sockaddr_un sa;
	mode_t old;
	int rc;

	if ((rc = jobdir_sock_path(&sa, b->dirfd, JOBDIR_BROKER_SOCK)))
		return rc;
	unlinkat(b->dirfd, JOBDIR_BROKER_SOCK, 0);
	b->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (b->lfd < 0)
		return error_set(SVC_ERROR, "cannot make a socket: %s", strerror(errno));
	old = umask(077);
	rc = bind(b->lfd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc != 0 || listen(b->lfd, 16) != 0)
		return error_set(SVC_ERROR, "cannot listen on '%s/%s': %s",
				 b->o->job_dir, JOBDIR_BROKER_SOCK, strerror(errno));
	return 0;
}

/* When to renew a lease that ends at lease: halfway there. */
static time_t renew_time(long long lease)
{
	time_t now = time(NULL);
	long long half = (lease - (long long)now) / 2;

	return now + (time_t)(half > RENEW_MIN_SECONDS ? half : RENEW_MIN_SECONDS);
}

/* A server's job: renew its lease on the server when it is time. */
static void renew(struct broker *b)
{
	long long lease = 0;

	if (!b->o->remote || !b->o->job_id || time(NULL) < b->renew_at)
		return;
	if (svc_remote_job_renew(&lease, b->o->remote, b->o->job_id) == 0) {
		b->lease = lease;
		note(b, "the job's lease renewed until %lld", lease);
	} else {
		note(b, "the job's lease was not renewed: %s", svc_error_last());
		svc_error_clear();
	}
	b->renew_at = renew_time(b->lease);
}

/* Why the broker should stop now, or NULL. */
static const char *should_stop(const struct broker *b, const struct timespec *end)
{
	struct timespec now;

	if (b->o->stop && *b->o->stop)
		return "asked to stop";
	if (faccessat(b->dirfd, JOBDIR_RECORD, F_OK, AT_SYMLINK_NOFOLLOW) != 0)
		return "the job has ended";
	if (b->o->watch_pid > 1 && kill((pid_t)b->o->watch_pid, 0) != 0 &&
	    errno == ESRCH)
		return "the job's agent is gone";
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec >= end->tv_sec)
		return "the job's time is up";
	return NULL;
}

int svc_broker_serve(const svc_broker_options *o, svc_store *st,
		     const svc_catalog *cat)
{
	struct broker b;
	struct timespec end;
	svc_buf helper = SVC_BUF_INIT;
	const char *why = NULL;
	size_t i;
	int rc, own_files = 0;

	if (!o || o->version != SVC_BROKER_OPTIONS_VERSION || !o->job_dir ||
	    (!st && !o->endpoints) || !cat)
		return error_set(SVC_EINVALID, "a broker needs its options, a store (or a server's endpoints) and a catalog");
	if (o->job_token && (strlen(o->job_token) > SVC_BROKER_SYSTEM_TOKEN_MAX ||
			     !line_safe(o->job_token, strlen(o->job_token))))
		return error_set(SVC_EINVALID, "the job's token is too long or holds a line break");
	if (o->helper && (o->helper[0] != '/' || !line_safe(o->helper, strlen(o->helper))))
		return error_set(SVC_EINVALID, "helper path '%s' is not absolute", o->helper);
	memset(&b, 0, sizeof(b));
	b.o = o;
	b.dirfd = b.pidfd = b.lfd = -1;
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += o->deadline_seconds > 0 ? o->deadline_seconds
		: SVC_BROKER_DEADLINE_DEFAULT;
	if (o->endpoints)
		b.eps = json_loadb(o->endpoints, o->endpoints_len, 0, NULL);
	if (o->endpoints && !json_is_array(b.eps)) {
		rc = error_set(SVC_EINVALID, "the job's endpoints are not a JSON array");
		goto done;
	}
	b.lease = o->lease_expires;
	b.renew_at = renew_time(b.lease);
	if ((rc = jobdir_open(&b.dirfd, o->job_dir)) ||
	    (rc = load_grants(&b, st, cat)) || (rc = take_pid(&b)))
		goto done;
	own_files = 1;
	if (o->job_token)
		memcpy(b.system_token, o->job_token, strlen(o->job_token) + 1);
	if ((rc = make_token(b.token)) ||
	    (!o->job_token && (rc = make_token(b.system_token))) ||
	    (rc = buf_printf(&helper, "%s\n", o->helper ? o->helper : "")) ||
	    (rc = jobdir_file_write(b.dirfd, JOBDIR_BROKER_TOKEN, b.token, TOKEN_HEX)) ||
	    /* the helper file turns on git's use of us: git/SSH jobs only */
	    (o->helper && (b.ngrants || b.nssh) &&
	     (rc = jobdir_file_write(b.dirfd, JOBDIR_BROKER_HELPER, helper.ptr, helper.len))) ||
	    (rc = make_socket(&b)))
		goto done;
	note(&b, "serving %zu git connection(s) and the job's step variables",
	     b.ngrants);
	while (!(why = should_stop(&b, &end))) {
		struct pollfd p = { b.lfd, POLLIN, 0 };
		int cfd;

		renew(&b);
		if (poll(&p, 1, 1000) <= 0 || !(p.revents & POLLIN))
			continue;
		cfd = accept4(b.lfd, NULL, NULL, SOCK_CLOEXEC);
		if (cfd < 0)
			continue;
		serve_one(&b, cfd);
		close(cfd);
	}
	note(&b, "stopped: %s", why);
done:
	if (b.lfd >= 0)
		close(b.lfd);
	if (own_files) {
		ssh_stop_at(b.dirfd);
		remove_files(b.dirfd);
	}
	if (b.pidfd >= 0)
		close(b.pidfd);
	if (b.dirfd >= 0)
		close(b.dirfd);
	for (i = 0; i < b.ngrants; i++)
		grant_clear(&b.grants[i]);
	free(b.grants);
	for (i = 0; i < b.nssh; i++)
		ssh_grant_clear(&b.ssh[i]);
	free(b.ssh);
	for (i = 0; i < STEP_GRANTS_MAX; i++)
		step_grant_clear(&b.steps[i]);
	svc_secret_free(b.vars, b.varslen);
	svc_wipe(b.token, sizeof(b.token));
	svc_wipe(b.system_token, sizeof(b.system_token));
	json_decref(b.eps);
	buf_clear(&helper);
	return rc;
}

/* ---- stopping and sweeping --------------------------------------------- */

int svc_broker_stop(const char *job_dir)
{
	int dirfd, rc;

	if ((rc = jobdir_open(&dirfd, job_dir)))
		return rc == SVC_ENOTFOUND ? 0 : rc;
	jobdir_pid_stop(dirfd, JOBDIR_BROKER_PID, STOP_WAIT_MS);
	ssh_stop_at(dirfd);
	remove_files(dirfd);
	close(dirfd);
	return 0;
}

/* Sweep one directory entry name of parent; 1 when it had leftovers. */
static int sweep_dir(int parent, const char *name)
{
	struct stat sb;
	int fd, pidfd, any = 0;

	if (name[0] == '.')
		return 0;
	fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (fstat(fd, &sb) == 0 && sb.st_uid == geteuid() && !(sb.st_mode & 077) &&
	    !jobdir_pid_alive(fd, JOBDIR_BROKER_PID, &pidfd)) {
		/* dead (or never started): its files are leftovers */
		any = ssh_stop_at(fd);
		any = remove_files(fd) || any;
		if (pidfd >= 0)
			close(pidfd);
	}
	close(fd);
	return any;
}

/* Sweep every directory in dir (depth 1) or below (depth 2). */
static size_t sweep_tree(int dirfd, int depth)
{
	DIR *d;
	struct dirent *e;
	size_t n = 0;
	int fd = dup(dirfd);

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	while ((e = readdir(d))) {
		int sub;

		if (e->d_name[0] == '.')
			continue;
		if (depth == 1) {
			n += (size_t)sweep_dir(dirfd, e->d_name);
			continue;
		}
		sub = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
			     O_CLOEXEC);
		if (sub >= 0) {
			n += sweep_tree(sub, 1);
			close(sub);
		}
	}
	closedir(d);
	return n;
}

int svc_broker_sweep(size_t *swept, const char *job_dir)
{
	svc_buf parent = SVC_BUF_INIT;
	char *slash, *base;
	size_t n = 0;
	int rc, fd, depth = 1;

	if (!job_dir || !*job_dir)
		return error_set(SVC_EINVALID, "no job directory");
	if ((rc = buf_puts(&parent, job_dir)))
		return rc;
	while (parent.len > 1 && parent.ptr[parent.len - 1] == '/')
		parent.ptr[--parent.len] = '\0';
	slash = strrchr(parent.ptr, '/');
	if (slash == parent.ptr)
		goto done; /* a job directory right under / : nothing to sweep */
	if (!slash) {
		buf_reset(&parent);
		if ((rc = buf_puts(&parent, ".")))
			goto done;
	} else {
		*slash = '\0';
	}
	/* <store>/jobs/<run>/<job> (svcconn-agent run) or an agent's
	 * <dir>/.svcconn/<run>/<job>: sweep the jobs of every run */
	slash = strrchr(parent.ptr, '/');
	if (slash && slash != parent.ptr) {
		*slash = '\0';
		base = strrchr(parent.ptr, '/');
		base = base ? base + 1 : parent.ptr;
		if (!strcmp(base, ".svcconn") || !strcmp(base, "jobs"))
			depth = 2;
		else
			*slash = '/';
	}
	fd = open(parent.ptr, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		n = sweep_tree(fd, depth);
		close(fd);
	}
done:
	buf_clear(&parent);
	if (!rc && swept)
		*swept = n;
	return rc;
}

/* ---- the step's environment --------------------------------------------- */

/*
 * The SSH part of a step's environment: SSH_AUTH_SOCK when the job has an
 * ssh-agent, GIT_SSH_COMMAND when it has a known_hosts (no user config,
 * only the job's pinned host keys, strict checking).
 */
static int ssh_step_env(svc_env *env, const char *job_dir)
{
	svc_buf v = SVC_BUF_INIT, p = SVC_BUF_INIT;
	char *abs = NULL;
	int rc = 0, dirfd;

	if (jobdir_open(&dirfd, job_dir) != 0) {
		svc_error_clear();
		return 0;
	}
	if (faccessat(dirfd, JOBDIR_KNOWN_HOSTS, F_OK, AT_SYMLINK_NOFOLLOW) != 0)
		goto done;
	if (!(abs = realpath(job_dir, NULL))) {
		rc = error_set(SVC_ERROR, "cannot resolve '%s': %s", job_dir, strerror(errno));
		goto done;
	}
	if (faccessat(dirfd, JOBDIR_SSH_SOCK, F_OK, AT_SYMLINK_NOFOLLOW) == 0 &&
	    ((rc = buf_printf(&p, "%s/%s", abs, JOBDIR_SSH_SOCK)) ||
	     (rc = svc_env_set(env, "SSH_AUTH_SOCK", p.ptr))))
		goto done;
	buf_reset(&p);
	if ((rc = buf_printf(&p, "%s/%s", abs, JOBDIR_KNOWN_HOSTS)) ||
	    (rc = buf_puts(&v, "ssh -F /dev/null -o IdentitiesOnly=no -o UserKnownHostsFile=")) ||
	    (rc = put_sh_quoted(&v, p.ptr)) ||
	    (rc = buf_puts(&v, " -o StrictHostKeyChecking=yes -o GlobalKnownHostsFile=/dev/null")) ||
	    (rc = svc_env_set(env, "GIT_SSH_COMMAND", v.ptr)))
		goto done;
done:
	close(dirfd);
	free(abs);
	buf_clear(&v);
	buf_clear(&p);
	return rc;
}

int svc_broker_step_env(svc_env *env, const char *job_dir, int ssh)
{
	svc_buf path = SVC_BUF_INIT, helper = SVC_BUF_INIT, value = SVC_BUF_INIT;
	char *abs = NULL;
	size_t i;
	int rc, plain = 1;

	buf_init(&helper, PATH_MAX + 2, 0);
	if ((ssh && (rc = ssh_step_env(env, job_dir))) ||
	    (rc = buf_printf(&path, "%s/%s", job_dir, JOBDIR_BROKER_HELPER)))
		goto done;
	rc = file_read_private(&helper, path.ptr, "broker helper file");
	if (rc == SVC_ENOTFOUND) {
		svc_error_clear();
		rc = 0;
		goto done; /* the job has no broker */
	}
	if (rc)
		goto done;
	while (helper.len && helper.ptr[helper.len - 1] == '\n')
		helper.ptr[--helper.len] = '\0';
	if (!helper.len || helper.ptr[0] != '/' || !line_safe(helper.ptr, helper.len)) {
		rc = error_set(SVC_EINVALID, "'%s' does not name an absolute path", path.ptr);
		goto done;
	}
	if (!(abs = realpath(job_dir, NULL))) {
		rc = error_set(SVC_ERROR, "cannot resolve '%s': %s", job_dir, strerror(errno));
		goto done;
	}
	/* git runs a helper value through the shell: quote odd paths */
	for (i = 0; i < helper.len; i++)
		if (!isalnum((unsigned char)helper.ptr[i]) &&
		    !strchr("/._+-", helper.ptr[i]))
			plain = 0;
	if (plain) {
		rc = buf_puts(&value, helper.ptr);
	} else {
		rc = buf_puts(&value, "!'");
		for (i = 0; !rc && i < helper.len; i++)
			rc = helper.ptr[i] == '\'' ? buf_puts(&value, "'\\''")
				: buf_putc(&value, helper.ptr[i]);
		if (!rc)
			rc = buf_putc(&value, '\'');
	}
	if (rc || (rc = svc_env_set(env, "SVCCONN_JOB_DIR", abs)) ||
	    (rc = svc_env_set(env, "GIT_CONFIG_COUNT", "3")) ||
	    (rc = svc_env_set(env, "GIT_CONFIG_KEY_0", "credential.helper")) ||
	    (rc = svc_env_set(env, "GIT_CONFIG_VALUE_0", "")) ||
	    (rc = svc_env_set(env, "GIT_CONFIG_KEY_1", "credential.helper")) ||
	    (rc = svc_env_set(env, "GIT_CONFIG_VALUE_1", value.ptr)) ||
	    (rc = svc_env_set(env, "GIT_CONFIG_KEY_2", "credential.useHttpPath")) ||
	    (rc = svc_env_set(env, "GIT_CONFIG_VALUE_2", "true")))
		goto done;
done:
	free(abs);
	buf_clear(&path);
	buf_clear(&helper);
	buf_clear(&value);
	return rc;
}

/* ---- the client --------------------------------------------------------- */

/* Read the job's token from dirfd into out[TOKEN_HEX + 1]. */
static int read_token(char *out, int dirfd, const char *job_dir)
{
	char buf[TOKEN_HEX + 4];
	struct stat sb;
	ssize_t n;
	size_t i;
	int fd = openat(dirfd, JOBDIR_BROKER_TOKEN, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOENT
			? error_set(SVC_ERROR, "no git credential broker serves the job in '%s'",
				    job_dir)
			: error_set(SVC_ERROR, "cannot open '%s' of the job in '%s': %s",
				    JOBDIR_BROKER_TOKEN, job_dir, strerror(errno));
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_uid != geteuid() ||
	    (sb.st_mode & 077)) {
		close(fd);
		return error_set(SVC_EINSECURE, "'%s' is not private to its owner", JOBDIR_BROKER_TOKEN);
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < TOKEN_HEX) {
		svc_wipe(buf, sizeof(buf));
		return error_set(SVC_EINVALID, "'%s' holds no token", JOBDIR_BROKER_TOKEN);
	}
	for (i = 0; i < TOKEN_HEX; i++)
		if (!isxdigit((unsigned char)buf[i]))
			break;
	if (i < TOKEN_HEX || (n > TOKEN_HEX && buf[TOKEN_HEX] != '\n')) {
		svc_wipe(buf, sizeof(buf));
		return error_set(SVC_EINVALID, "'%s' holds no token", JOBDIR_BROKER_TOKEN);
	}
	memcpy(out, buf, TOKEN_HEX);
	out[TOKEN_HEX] = '\0';
	svc_wipe(buf, sizeof(buf));
	return 0;
}

/*
 * A step's own token, from SVCCONN_BROKER_TOKEN (its sandbox has no
 * broker.token), into out[TOKEN_HEX + 1]: 1, or 0 when there is none.
 */
static int step_token(char *out)
{
	const char *t = getenv(SVC_BROKER_TOKEN_ENV);
	size_t i;

	if (!t || strlen(t) != TOKEN_HEX)
		return 0;
	for (i = 0; i < TOKEN_HEX; i++)
		if (!isxdigit((unsigned char)t[i]))
			return 0;
	memcpy(out, t, TOKEN_HEX + 1);
	return 1;
}

/*
 * Send request (with protocol, host and path of req, when given, and key
 * with the len bytes of value, when key is given) to the broker of
 * job_dir; *reply gets its answer (secret buffer) and vals its parsed
 * values.
 */
static int call(svc_buf *reply, const char **vals, const char *job_dir,
		const char *request, const svc_gitcred *req, const char *key,
		const char *value, size_t len)
{
	static const svc_gitcred_attr attrs[] = { SVC_GITCRED_PROTOCOL,
		SVC_GITCRED_HOST, SVC_GITCRED_PATH };
	static const char *const names[] = { "protocol", "host", "path" };
	char token[TOKEN_HEX + 1];
	struct sockaddr_un sa;
	svc_buf out;
	size_t i;
	int dirfd = -1, fd = -1, rc;

	buf_init(&out, REQUEST_MAX, 1);
	/* no broker to ask is a failure, not "nothing for this URL" */
	if ((rc = jobdir_open(&dirfd, job_dir)) == SVC_ENOTFOUND)
		rc = SVC_ERROR;
	if (rc || (rc = step_token(token) ? 0 : read_token(token, dirfd, job_dir)) ||
	    (rc = jobdir_sock_path(&sa, dirfd, JOBDIR_BROKER_SOCK)))
		goto done;
	if ((rc = put_kv(&out, "request", request, strlen(request))) ||
	    (rc = put_kv(&out, "token", token, TOKEN_HEX)))
		goto done;
	for (i = 0; req && i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		const char *v = svc_gitcred_value(req, attrs[i]);

		if (v && (rc = put_kv(&out, names[i], v, strlen(v))))
			goto done;
	}
	if (key && (rc = put_kv(&out, key, value, len)))
		goto done;
	if ((rc = buf_putc(&out, '\n')))
		goto done;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		rc = error_set(SVC_ERROR, "cannot reach the job's broker: %s",
			       strerror(errno));
		goto done;
	}
	if (!jobdir_peer_is_us(fd)) {
		rc = error_set(SVC_EINSECURE, "the job's broker runs as another user");
		goto done;
	}
	set_timeouts(fd);
	if ((rc = send_all(fd, out.ptr, out.len)) || (rc = recv_text(reply, fd)))
		goto done;
	if (!reply->ptr || (rc = kv_parse(reply->ptr, reply->len, reply_keys, vals,
					  R_COUNT)) ||
	    !vals[R_STATUS]) {
		rc = error_set(SVC_ERROR, "the job's broker gave no valid answer");
		goto done;
	}
	if (!strcmp(vals[R_STATUS], "ok"))
		rc = 0;
	else if (!strcmp(vals[R_STATUS], "none"))
		rc = error_set(SVC_ENOTFOUND, "the job has no connection for this URL");
	else if (!strcmp(vals[R_STATUS], "denied"))
		rc = error_set(SVC_EDENIED, "the job's broker refused the request");
	else
		rc = error_set(SVC_ERROR, "the job's broker could not answer");
done:
	if (fd >= 0)
		close(fd);
	if (dirfd >= 0)
		close(dirfd);
	svc_wipe(token, sizeof(token));
	buf_clear(&out);
	return rc;
}

int svc_broker_ping(const char *job_dir)
{
	const char *vals[R_COUNT];
	svc_buf reply;
	int rc;

	buf_init(&reply, REPLY_MAX, 1);
	rc = call(&reply, vals, job_dir, "ping", NULL, NULL, NULL, 0);
	buf_clear(&reply);
	return rc;
}

int svc_broker_git_credential(svc_gitcred **out, const char *job_dir,
			      const svc_gitcred *req)
{
	const char *vals[R_COUNT];
	svc_gitcred *c = NULL;
	svc_buf reply;
	int rc;

	buf_init(&reply, REPLY_MAX, 1);
	if ((rc = call(&reply, vals, job_dir, "git-credential", req, NULL, NULL, 0)))
		goto done;
	if (!vals[R_USERNAME] || !vals[R_PASSWORD]) {
		rc = error_set(SVC_ENOTFOUND, "the job's broker gave no credential");
		goto done;
	}
	if ((rc = svc_gitcred_new(&c)) ||
	    (rc = svc_gitcred_set(c, SVC_GITCRED_USERNAME, vals[R_USERNAME])) ||
	    (rc = svc_gitcred_set(c, SVC_GITCRED_PASSWORD, vals[R_PASSWORD])))
		goto done;
	*out = c;
	c = NULL;
done:
	svc_gitcred_free(c);
	buf_clear(&reply);
	return rc;
}

int svc_broker_git_reject(const char *job_dir, const svc_gitcred *req)
{
	const char *vals[R_COUNT];
	svc_buf reply;
	int rc;

	buf_init(&reply, REPLY_MAX, 1);
	rc = call(&reply, vals, job_dir, "git-credential-reject", req, NULL, NULL, 0);
	buf_clear(&reply);
	return rc;
}

int svc_broker_ssh_askpass(char **out, size_t *len, const char *job_dir,
			   const char *connection)
{
	const char *vals[R_COUNT];
	svc_buf reply;
	char *p;
	int rc;

	if (!connection || !*connection)
		return error_set(SVC_EINVALID, "no SSH connection named");
	buf_init(&reply, REPLY_MAX, 1);
	if ((rc = call(&reply, vals, job_dir, "ssh-askpass", NULL, "connection",
		       connection, strlen(connection)))) {
		if (rc == SVC_ENOTFOUND)
			error_set(rc, "the job's broker has no passphrase for SSH connection '%s'",
				  connection);
		goto done;
	}
	if (!vals[R_PASSWORD]) {
		rc = error_set(SVC_ENOTFOUND, "the job's broker gave no passphrase");
		goto done;
	}
	if (!(p = dup_secret(vals[R_PASSWORD], strlen(vals[R_PASSWORD])))) {
		rc = error_oom();
		goto done;
	}
	*len = strlen(p);
	*out = p;
done:
	buf_clear(&reply);
	return rc;
}

/*
 * 0 when a broker serves the job in job_dir; SVC_ENOTFOUND for a job
 * without one (its token file is never left by one that ended cleanly):
 * nothing to ask.
 */
static int served(const char *job_dir)
{
	int rc, dirfd, token;

	if ((rc = jobdir_open(&dirfd, job_dir)))
		return rc;
	token = faccessat(dirfd, JOBDIR_BROKER_TOKEN, F_OK, AT_SYMLINK_NOFOLLOW) == 0 ||
		errno != ENOENT;
	close(dirfd);
	return token ? 0 : error_set(SVC_ENOTFOUND, "no broker serves the job in '%s'",
				     job_dir);
}

int svc_broker_vars_get(char **out, size_t *len, const char *job_dir)
{
	const char *vals[R_COUNT];
	svc_buf reply;
	size_t n;
	char *p;
	int rc;

	if ((rc = served(job_dir)))
		return rc;
	buf_init(&reply, REPLY_MAX, 1);
	if ((rc = call(&reply, vals, job_dir, "vars-get", NULL, NULL, NULL, 0)))
		goto done;
	if (!vals[R_VARS]) {
		rc = error_set(SVC_ERROR, "the job's broker gave no step variables");
		goto done;
	}
	n = strlen(vals[R_VARS]);
	if (!(p = dup_secret(vals[R_VARS], n))) {
		rc = error_oom();
		goto done;
	}
	*len = n;
	*out = p;
done:
	buf_clear(&reply);
	return rc;
}

int svc_broker_vars_put(const char *job_dir, const char *text, size_t len)
{
	const char *vals[R_COUNT];
	svc_buf reply;
	int rc;

	if (len > SVC_STEP_VARS_MAX)
		return error_set(SVC_EINVALID,
				 "the job's step variables are over %u MiB once encoded",
				 SVC_STEP_VARS_MAX >> 20);
	buf_init(&reply, REPLY_MAX, 1);
	rc = call(&reply, vals, job_dir, "vars-put", NULL, "vars", text, len);
	buf_clear(&reply);
	return rc;
}

int svc_broker_system_token(char out[SVC_BROKER_SYSTEM_TOKEN_MAX + 1],
			    const char *job_dir)
{
	const char *vals[R_COUNT];
	svc_buf reply;
	size_t n;
	int rc;

	if ((rc = served(job_dir)))
		return rc;
	buf_init(&reply, REPLY_MAX, 1);
	if (!(rc = call(&reply, vals, job_dir, "system-token", NULL, NULL, NULL, 0))) {
		n = vals[R_TOKEN] ? strlen(vals[R_TOKEN]) : 0;
		if (!n || n > SVC_BROKER_SYSTEM_TOKEN_MAX)
			rc = error_set(SVC_ERROR, "the job's broker gave no system token");
		else
			memcpy(out, vals[R_TOKEN], n + 1);
	}
	buf_clear(&reply);
	return rc;
}

int svc_broker_connection(svc_conn **out, const char *job_dir,
			  const char *id)
{
	const char *vals[R_COUNT];
	svc_buf reply, text;
	json_t *e = NULL;
	int rc;

	if ((rc = served(job_dir)))
		return rc;
	buf_init(&reply, REPLY_MAX, 1);
	buf_init(&text, REPLY_MAX, 1);
	rc = call(&reply, vals, job_dir, "connection", NULL, "connection", id,
		  strlen(id));
	if (rc == SVC_ENOTFOUND)
		rc = error_set(SVC_ENOTFOUND,
			       "the job's broker holds no connection '%s'", id);
	if (!rc && (!vals[R_ENDPOINT] ||
		    hex_decode(&text, vals[R_ENDPOINT], strlen(vals[R_ENDPOINT])) ||
		    !(e = json_loadb(text.ptr, text.len, 0, NULL))))
		rc = error_set(SVC_ERROR, "the job's broker gave no valid connection '%s'",
			       id);
	if (!rc)
		rc = remote_conn_from(out, e);
	json_decref(e);
	buf_clear(&reply);
	buf_clear(&text);
	return rc;
}

int svc_broker_token_new(char out[SVC_BROKER_TOKEN_HEX + 1])
{
	return make_token(out);
}

/* ---- a step's grant ------------------------------------------------------ */

struct svc_broker_step {
	char *job_dir;               /**< the job directory */
	char token[TOKEN_HEX + 1];   /**< the step's token (wiped) */
};

int svc_broker_step_begin(svc_broker_step **out, const char *job_dir,
			  const char *const *ids, size_t n)
{
	const char *vals[R_COUNT];
	svc_broker_step *s = NULL;
	svc_buf reply, list = SVC_BUF_INIT;
	size_t i;
	int rc;

	if ((rc = served(job_dir)))
		return rc;
	buf_init(&reply, REPLY_MAX, 1);
	for (i = 0; i < n && !rc; i++) {
		if (!ids[i] || !*ids[i] || strchr(ids[i], ','))
			rc = error_set(SVC_EINVALID, "connection id '%s' cannot be granted to a step",
				       ids[i] ? ids[i] : "");
		else
			rc = buf_printf(&list, "%s%s", i ? "," : "", ids[i]);
	}
	if (rc || (rc = call(&reply, vals, job_dir, "step-grant", NULL,
			     "connections", list.ptr ? list.ptr : "", list.len)))
		goto done;
	if (!vals[R_TOKEN] || strlen(vals[R_TOKEN]) != TOKEN_HEX) {
		rc = error_set(SVC_ERROR, "the job's broker gave no step token");
		goto done;
	}
	if (!(s = calloc(1, sizeof(*s))) || !(s->job_dir = strdup(job_dir))) {
		free(s);
		rc = error_oom();
		goto done;
	}
	memcpy(s->token, vals[R_TOKEN], TOKEN_HEX);
	*out = s;
done:
	buf_clear(&reply);
	buf_clear(&list);
	return rc;
}

const char *svc_broker_step_token(const svc_broker_step *s)
{
	return s ? s->token : NULL;
}

void svc_broker_step_end(svc_broker_step *s)
{
	const char *vals[R_COUNT];
	svc_buf reply;

	if (!s)
		return;
	buf_init(&reply, REPLY_MAX, 1);
	call(&reply, vals, s->job_dir, "step-end", NULL, "step", s->token,
	     TOKEN_HEX);
	svc_error_clear();
	buf_clear(&reply);
	svc_wipe(s->token, sizeof(s->token));
	free(s->job_dir);
	free(s);
}
