/*
 * server.c - svcconn-server's HTTP front end: listening, limits, routing,
 * authentication and JSON errors.  The resources are in server_api.c.
 *
 * HTTP is GNU libmicrohttpd's (its parser, its TLS through GnuTLS from the
 * PEM files we hand it); nothing here parses HTTP.  Two daemons share one
 * access handler: TCP (HTTPS, or plain HTTP on loopback when asked for)
 * and a Unix socket, where the peer's SO_PEERCRED uid names the principal.
 * libmicrohttpd enforces the connection limits, the per-address limit,
 * the idle time-out and the header memory; the body is gathered here in
 * a bounded buffer that is wiped (bodies carry secrets) and refused with
 * 413 past its cap, as is a Content-Length over it before any is read.
 * An answer's body is handed to libmicrohttpd without a copy and wiped
 * when it is done with it (body_wipe_free): job answers carry secrets.
 *
 * Every request is answered in this order: size, rate limit of failed
 * authentications (429 with Retry-After), route (for the scope it
 * needs), authentication (401, or 403 for a scope not granted; both
 * audited by tokens.c), then the resource under the store's lock: the
 * store is one handle, used by one request at a time (TCP_THREADS
 * threads answer TCP requests, one more the Unix socket's; a
 * verification lets go of the store during its outbound call).  A store
 * whose database cannot be reached (SVC_EUNAVAIL) is a 503 with Retry-After.
 * A handler may ask to wait for a change instead of answering now
 * (srv_wait: a job start held while its gate waits): the request is
 * suspended, holding no thread and not the store, and answered again from
 * the start when the store's watch reports a commit (see "waiting").
 * Errors are JSON bodies shaped like Azure DevOps' {"message",
 * "typeKey"}, naming the request.  One log line per request says who,
 * what and the status; never a body, a header or a query.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>
#include <openssl/crypto.h>

#include "svcconn/agents.h"
#include "svcconn/secret.h"
#include "svcconn/server.h"
#include "svcconn/tokens.h"
#include "errors_int.h"
#include "server/server_int.h"
#include "store/store_int.h"
#include "store/store_watch.h"
#include "util/buf.h"

/* Defaults of svc_server_options. */
#define DEF_MAX_CONNECTIONS 64
#define DEF_MAX_PER_IP 16
#define DEF_TIMEOUT_S 30
#define DEF_MAX_BODY ((size_t)1 << 20)
#define DEF_HEADER_MEMORY ((size_t)32 << 10)
#define DEF_AUTH_FAIL_MAX 10
#define DEF_AUTH_FAIL_WINDOW 60
/* Threads answering TCP requests: one holds the store at a time, the
 * others meanwhile do TLS, read bodies and send answers, or run while a
 * verification's outbound call runs without the store (api_verify.c). */
#define TCP_THREADS 4
/* Requests waiting for a change at once (srv_wait), at most: more are
 * answered at once.  A waiting request holds a connection, no thread. */
#define WAITERS_MAX 256
/* A waiting request is asked again at least this often, for what no
 * commit announces (a lock's lease running out), milliseconds. */
#define WAIT_RECHECK_MS 15000
/* The waker's longest sleep between looks at its waiters' deadlines. */
#define WAKER_TICK_MS 200
/* Addresses whose failed authentications are counted at once. */
#define RATE_SLOTS 1024
/* Longest log line, and longest path shown in one. */
#define LOG_LINE_MAX 1024
#define LOG_PATH_MAX 200

/* Failed authentications of one client address in the current window. */
struct rate_slot {
	char addr[INET6_ADDRSTRLEN]; /**< the address ("" unused) */
	time_t start;                /**< the window started then */
	unsigned failures;           /**< failures in it */
};

struct svc_server {
	struct srv_shared shared;    /**< what the resources use */
	pthread_mutex_t store_lock;  /**< one request at a time in the store */
	pthread_mutex_t rate_lock;   /**< guards rate */
	struct rate_slot *rate;      /**< RATE_SLOTS entries */
	struct MHD_Daemon *tcp;      /**< the TCP daemon, or NULL */
	struct MHD_Daemon *unix_d;   /**< the Unix socket daemon, or NULL */
	int unix_fd;                 /**< its listening socket, or -1 */
	char *unix_path;             /**< its path (removed at stop) */
	unsigned port;               /**< the TCP port served */
	size_t max_body;             /**< body cap */
	unsigned fail_max;           /**< failures per window */
	unsigned fail_window;        /**< window, seconds */
	char *org, *project;         /**< copies for shared */
	svc_server_log_fn log;       /**< log lines */
	void *log_ctx;               /**< its argument */
	store_watch *watch;          /**< commits that can release a waiting
					  job, or NULL: requests never wait */
	pthread_t waker;             /**< resumes the waiting requests */
	int waker_started;           /**< waker runs */
	pthread_mutex_t wait_lock;   /**< guards the fields below */
	pthread_cond_t wait_cond;    /**< a request waits, or stop */
	struct srv_req *waiters;     /**< suspended requests (srv_wait) */
	size_t nwaiters;             /**< entries in waiters */
	unsigned long long changes;  /**< changes the watch has reported */
	int stopping;                /**< no more waiting: stopping */
};

/* What one connection's request carries between handler calls. */
struct srv_req {
	svc_buf body;       /**< the body, wiped on free */
	int too_large;      /**< the body passed the cap */
	int unix_peer;      /**< arrived on the Unix socket */
	struct MHD_Connection *conn; /**< its connection, to resume */
	long long first_ms; /**< first answered (mono_ms), 0: not yet */
	long long until_ms; /**< waiting: asked again by then at the latest */
	struct srv_req *next; /**< next in the server's waiters */
};

/* Milliseconds of CLOCK_MONOTONIC. */
static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const struct srv_shared *srv_shared(const svc_server *s)
{
	return &s->shared;
}

static void srv_log(svc_server *s, svc_server_log_level level,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void srv_log(svc_server *s, svc_server_log_level level,
		    const char *fmt, ...)
{
	char line[LOG_LINE_MAX];
	va_list ap;

	if (!s->log)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	s->log(s->log_ctx, level, line);
}

void srv_log_line(const svc_server *s, svc_server_log_level level,
		  const char *line)
{
	if (s->log)
		s->log(s->log_ctx, level, line);
}

/* libmicrohttpd's own messages, to the log. */
static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
	svc_server *s = cls;
	char line[LOG_LINE_MAX];
	size_t n;

	if (!s->log)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	s->log(s->log_ctx, SVC_SERVER_LOG_WARNING, line);
}

/* s with control characters replaced, cut to LOG_PATH_MAX, into out. */
static void printable(char out[LOG_PATH_MAX + 4], const char *s)
{
	size_t i;

	for (i = 0; s && s[i] && i < LOG_PATH_MAX; i++)
		out[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ||
				 s[i] == '"' ? '?' : s[i];
	if (s && s[i])
		memcpy(out + i, "...", 3), i += 3;
	out[i] = '\0';
}

/* ---- responses ---------------------------------------------------------- */

const char *srv_query(const struct srv_call *c, const char *name)
{
	return MHD_lookup_connection_value(c->conn, MHD_GET_ARGUMENT_KIND,
					   name);
}

int srv_reply(struct srv_call *c, unsigned status, json_t *v)
{
	json_decref(c->out);
	c->out = v;
	c->status = status;
	if (!v && status != MHD_HTTP_NO_CONTENT)
		return srv_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
				 "InternalServerErrorException",
				 "out of memory answering '%s'", c->request);
	return 0;
}

int srv_reply_page(struct srv_call *c, unsigned status, const char *type,
		   char *page, size_t len)
{
	if (c->page) {
		svc_wipe(c->page, c->page_len);
		free(c->page);
	}
	c->page = page;
	c->page_len = page ? len : 0;
	c->page_type = type;
	c->status = status;
	if (!page)
		return srv_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
				 "InternalServerErrorException",
				 "out of memory answering '%s'", c->request);
	return 0;
}

int srv_header_add(struct srv_call *c, const char *name, const char *value)
{
	size_t i;

	for (i = 0; i < 2 * SRV_HEADERS_MAX && c->headers[i]; i += 2)
		;
	if (i == 2 * SRV_HEADERS_MAX)
		return -1;
	c->headers[i] = strdup(name);
	c->headers[i + 1] = strdup(value);
	if (!c->headers[i] || !c->headers[i + 1]) {
		free(c->headers[i]);
		free(c->headers[i + 1]);
		c->headers[i] = c->headers[i + 1] = NULL;
		return -1;
	}
	return 0;
}

/*
 * Take the store for one request, its reads folded into one transaction
 * until its first write (store_fold_begin): a request's authentication,
 * project and handler read one snapshot for one BEGIN and COMMIT.
 */
static void store_enter(svc_server *s)
{
	pthread_mutex_lock(&s->store_lock);
	store_fold_begin(s->shared.store);
}

static void store_leave(svc_server *s)
{
	store_fold_end(s->shared.store);
	pthread_mutex_unlock(&s->store_lock);
}

void srv_store_unlock(struct srv_call *c)
{
	store_leave(c->srv);
}

void srv_store_relock(struct srv_call *c)
{
	store_enter(c->srv);
}

void srv_wait(struct srv_call *c, long long ms)
{
	c->wait_ms = ms > 0 ? ms : 0;
}

void srv_retry_after(struct srv_call *c, const char *seconds)
{
	size_t i;

	for (i = 0; i < 2 * SRV_HEADERS_MAX && c->headers[i]; i += 2)
		if (!strcasecmp(c->headers[i], "Retry-After"))
			return;
	srv_header_add(c, "Retry-After", seconds);
}

/* Free what a handler left in c (its page wiped). */
static void call_clear(struct srv_call *c)
{
	size_t i;

	json_decref(c->out);
	if (c->page) {
		svc_wipe(c->page, c->page_len);
		free(c->page);
	}
	for (i = 0; i < 2 * SRV_HEADERS_MAX; i++) {
		if (c->headers[i])
			svc_wipe(c->headers[i], strlen(c->headers[i]));
		free(c->headers[i]);
	}
}

int srv_error(struct srv_call *c, unsigned status, const char *type_key,
	      const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_decref(c->out);
	if (c->page) {
		svc_wipe(c->page, c->page_len);
		free(c->page);
		c->page = NULL;
	}
	/* the shape of Azure DevOps' errors (WrappedException) */
	c->out = json_pack("{s:s, s:s, s:s, s:s, s:i, s:i}", "$id", "1",
			   "message", msg, "typeName", type_key, "typeKey",
			   type_key, "errorCode", 0, "eventId", 3000);
	c->status = status;
	return -1;
}

int srv_lib_error(struct srv_call *c, int rc)
{
	const char *msg = svc_error_last();

	if (!*msg)
		msg = "operation failed";
	switch (rc) {
	case SVC_ENOTFOUND:
		return srv_error(c, MHD_HTTP_NOT_FOUND,
				 "ServiceEndpointNotFoundException", "%s", msg);
	case SVC_EDENIED:
		return srv_error(c, MHD_HTTP_FORBIDDEN, "AccessCheckException",
				 "%s", msg);
	case SVC_EINVALID:
		return srv_error(c, MHD_HTTP_BAD_REQUEST, "ArgumentException",
				 "%s", msg);
	case SVC_EEXISTS:
		return srv_error(c, MHD_HTTP_CONFLICT,
				 "DuplicateServiceConnectionException", "%s",
				 msg);
	case SVC_EUNAVAIL:
		/* the database is down, restarting or busy: nothing was
		 * changed (its transaction is gone); the detail names the
		 * database, for the log only */
		srv_log(c->srv, SVC_SERVER_LOG_ERROR, "%s: %s", c->request, msg);
		srv_retry_after(c, SRV_UNAVAIL_RETRY_S);
		return srv_error(c, MHD_HTTP_SERVICE_UNAVAILABLE,
				 "ServiceUnavailableException",
				 "'%s' cannot be served now: the store's database cannot be reached or takes no writes (a standby); retry later",
				 c->request);
	default:
		/* the detail (paths, database) is for the log only */
		srv_log(c->srv, SVC_SERVER_LOG_ERROR, "%s: %s", c->request, msg);
		return srv_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
				 "InternalServerErrorException",
				 "'%s' failed on the server; its log says why",
				 c->request);
	}
}

/*
 * libmicrohttpd's free of an answer's body (JSON text, NUL-terminated):
 * wiped first, as a job's answer and an ID token carry secrets.
 */
static void body_wipe_free(void *text)
{
	if (!text)
		return;
	svc_wipe(text, strlen(text));
	free(text);
}

/* Queue c's answer on conn, with extra headers (name, value pairs). */
static enum MHD_Result send_call(struct MHD_Connection *conn,
				 struct srv_call *c, const char *h1,
				 const char *v1, const char *h2, const char *v2)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	char *text = NULL;
	size_t len = 0;

	size_t i;

	if (c->page) {
		text = c->page;
		len = c->page_len;
	} else if (c->out) {
		text = json_dumps(c->out, JSON_COMPACT | JSON_PRESERVE_ORDER);
		len = text ? strlen(text) : 0;
	}
	/* a JSON body is sent from text itself (no copy of libmicrohttpd's),
	 * and wiped when the response is destroyed, after it was sent (a
	 * job's answer holds secrets); a console page (no secret: its
	 * writer never loads one) is copied, and c keeps and wipes its own */
	if (text && !c->page)
		r = MHD_create_response_from_buffer_with_free_callback(len, text,
								      body_wipe_free);
	else
		r = MHD_create_response_from_buffer(len, text ? text : (char *)"",
						    MHD_RESPMEM_MUST_COPY);
	if (!r) {
		if (!c->page)
			body_wipe_free(text);
		return MHD_NO;
	}
	if (c->page)
		MHD_add_response_header(r, "Content-Type", c->page_type);
	else if (c->out)
		MHD_add_response_header(r, "Content-Type",
					"application/json; charset=utf-8");
	for (i = 0; i < 2 * SRV_HEADERS_MAX && c->headers[i]; i += 2)
		MHD_add_response_header(r, c->headers[i], c->headers[i + 1]);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	if (h1)
		MHD_add_response_header(r, h1, v1);
	if (h2)
		MHD_add_response_header(r, h2, v2);
	ret = MHD_queue_response(conn, c->status, r);
	MHD_destroy_response(r);
	return ret;
}

/* ---- rate limit of failed authentications ----------------------------- */

/* Seconds until addr may try again, or 0 when it may now. */
static unsigned rate_blocked(svc_server *s, const char *addr)
{
	time_t now = time(NULL);
	unsigned wait = 0;
	size_t i;

	pthread_mutex_lock(&s->rate_lock);
	for (i = 0; i < RATE_SLOTS; i++) {
		struct rate_slot *r = &s->rate[i];

		if (strcmp(r->addr, addr) != 0)
			continue;
		if (now - r->start >= (time_t)s->fail_window)
			r->addr[0] = '\0';
		else if (r->failures >= s->fail_max)
			wait = (unsigned)(r->start + s->fail_window - now);
		break;
	}
	pthread_mutex_unlock(&s->rate_lock);
	return wait;
}

/* Count a failed authentication of addr. */
static void rate_fail(svc_server *s, const char *addr)
{
	time_t now = time(NULL);
	struct rate_slot *slot = NULL, *oldest = &s->rate[0];
	size_t i;

	pthread_mutex_lock(&s->rate_lock);
	for (i = 0; i < RATE_SLOTS && !slot; i++) {
		struct rate_slot *r = &s->rate[i];

		if (r->addr[0] && now - r->start >= (time_t)s->fail_window)
			r->addr[0] = '\0';
		if (strcmp(r->addr, addr) == 0)
			slot = r;
		else if (!r->addr[0] || (oldest->addr[0] && r->start < oldest->start))
			oldest = r;
	}
	if (!slot) {
		/* a new address takes a free slot, or the oldest one */
		slot = oldest;
		snprintf(slot->addr, sizeof(slot->addr), "%s", addr);
		slot->start = now;
		slot->failures = 0;
	}
	slot->failures++;
	pthread_mutex_unlock(&s->rate_lock);
}

/* ---- authentication ----------------------------------------------------- */

/* The client's address as text ("unix" for the socket). */
static void client_addr(char out[INET6_ADDRSTRLEN], struct MHD_Connection *conn,
			int unix_peer)
{
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr *sa;

	snprintf(out, INET6_ADDRSTRLEN, "%s", unix_peer ? "unix" : "unknown");
	if (unix_peer)
		return;
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	sa = ci ? ci->client_addr : NULL;
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr,
			  out, INET6_ADDRSTRLEN);
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6,
			  &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
			  out, INET6_ADDRSTRLEN);
}

/* The login name of the Unix socket's peer into name; 0 or -1. */
static int peer_name(char *name, size_t size, struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct passwd pw, *found = NULL;
	char pwbuf[4096];

	if (!ci || getsockopt(ci->connect_fd, SOL_SOCKET, SO_PEERCRED, &cred,
			      &len) != 0 || len != sizeof(cred))
		return -1;
	if (getpwuid_r(cred.uid, &pw, pwbuf, sizeof(pwbuf), &found) != 0 ||
	    !found) {
		snprintf(name, size, "#%u", (unsigned)cred.uid);
		return -2;
	}
	snprintf(name, size, "%s", found->pw_name);
	return 0;
}

/*
 * The token of the request: "Authorization: Bearer TOKEN", or the
 * password of Basic authentication (any user name), as Azure DevOps takes
 * a PAT.  Newly allocated (free with svc_secret_free), or NULL.
 */
char *srv_request_token(struct MHD_Connection *conn)
{
	const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						    MHD_HTTP_HEADER_AUTHORIZATION);
	char *user, *pass = NULL, *tok = NULL;

	if (!h)
		return NULL;
	if (strncasecmp(h, "Bearer ", 7) == 0) {
		h += 7;
		h += strspn(h, " ");
		return strdup(h);
	}
	user = MHD_basic_auth_get_username_password(conn, &pass);
	if (pass) {
		tok = strdup(pass);
		OPENSSL_cleanse(pass, strlen(pass));
		MHD_free(pass);
	}
	if (user)
		MHD_free(user);
	return tok;
}

/* ---- routing -------------------------------------------------------------- */

/*
 * 1 when tail matches the route path rp segment by segment: a "*" segment
 * matches one non-empty segment shorter than argsz (the last one is the
 * route's {id}: into *seg, *seglen), the others only themselves.
 */
static int route_match(const char **seg, size_t *seglen, const char *tail,
		       const char *rp, size_t argsz)
{
	*seg = NULL;
	for (;;) {
		size_t n = strcspn(tail, "/"), m = strcspn(rp, "/");

		if (m == 2 && rp[0] == '*' && rp[1] == '*' && !rp[2])
			return n > 0;
		if (m == 1 && rp[0] == '*') {
			if (n == 0 || n >= argsz)
				return 0;
			*seg = tail;
			*seglen = n;
		} else if (n != m || strncmp(tail, rp, n) != 0) {
			return 0;
		}
		if (!tail[n] || !rp[m])
			return !tail[n] && !rp[m];
		tail += n + 1;
		rp += m + 1;
	}
}

int srv_route_find(const struct srv_route **route, char *arg, size_t argsz,
		   const char *org, const char *project, const char *method,
		   const char *path)
{
	char proj[SRV_PROJECT_MAX];
	int rc = srv_route_match(route, arg, argsz, proj, sizeof(proj), org,
				 method, path);

	if (rc == 1 && (*route)->place == SRV_PROJECT &&
	    strcasecmp(proj, project) != 0)
		return -1;
	return rc;
}

int srv_route_match(const struct srv_route **route, char *arg, size_t argsz,
		    char *proj, size_t projsz, const char *org,
		    const char *method, const char *path)
{
	const char *rest[2] = { NULL, NULL }, *p = path;
	size_t seglen[2] = { 0, 0 }, i, n;
	int found = 0, other_place = 0;

	/* /{org}/{project}/rest, /{org}/rest and /rest */
	if (*p != '/')
		return 0;
	p++;
	for (i = 0; i < 2; i++) {
		n = strcspn(p, "/");
		seglen[i] = n;
		rest[i] = p;
		if (!p[n])
			break;
		p += n + 1;
	}
	for (i = 0; srv_routes[i].method; i++) {
		const struct srv_route *r = &srv_routes[i];
		const char *tail, *seg = NULL;
		size_t idlen = 0;

		if (r->place == SRV_PROJECT) {
			/* /{org}/{project}/ + route */
			const char *t = path + 1;

			n = strcspn(t, "/");
			if (!t[n])
				continue;
			tail = t + n + 1;
			n = strcspn(tail, "/");
			if (!tail[n])
				continue;
			tail += n + 1;
		} else if (strncmp(path + 1, "_apis/", 6) == 0 ||
			   strncmp(path + 1, ".well-known/", 12) == 0 ||
			   strncmp(path + 1, "console/", 8) == 0 ||
			   strcmp(path + 1, "favicon.ico") == 0) {
			tail = path + 1;
		} else {
			n = strcspn(path + 1, "/");
			if (!path[1 + n])
				continue;
			tail = path + 2 + n;
		}
		/* a {id} segment too long for arg matches nothing (it is
		 * never cut short, to name another connection) */
		if (!route_match(&seg, &idlen, tail, r->path, argsz))
			continue;
		/* the place: the served organization, any project (one
		 * whose name does not fit proj is none) */
		if (r->place == SRV_PROJECT &&
		    (seglen[0] != strlen(org) ||
		     strncasecmp(rest[0], org, seglen[0]) != 0 ||
		     seglen[1] == 0 || seglen[1] >= projsz)) {
			other_place = 1;
			continue;
		}
		if (r->place == SRV_GLOBAL && tail != path + 1 &&
		    (seglen[0] != strlen(org) ||
		     strncasecmp(rest[0], org, seglen[0]) != 0)) {
			other_place = 1;
			continue;
		}
		if (strcmp(r->method, method) != 0) {
			found = found ? found : 2;
			continue;
		}
		*route = r;
		if (seg)
			snprintf(arg, argsz, "%.*s", (int)idlen, seg);
		snprintf(proj, projsz, "%.*s",
			 r->place == SRV_PROJECT ? (int)seglen[1] : 0,
			 r->place == SRV_PROJECT ? rest[1] : "");
		return 1;
	}
	return found ? found : (other_place ? -1 : 0);
}

/* ---- the access handler ------------------------------------------------ */

/*
 * Authenticate c for route (its scope); 0 when c->actor is set, else the
 * answer (401, 403, 429) is in c and *retry (seconds) may be set.
 */
static int authenticate(struct srv_call *c, struct MHD_Connection *conn,
			const struct srv_route *route, int unix_peer,
			const char *addr, char *who, size_t whosz,
			svc_token_auth *ta, unsigned *retry)
{
	svc_server *s = c->srv;
	char *tok;
	int rc, pr, had_token;

	if (unix_peer) {
		if ((pr = peer_name(who, whosz, conn)) == -1)
			return srv_error(c, MHD_HTTP_UNAUTHORIZED,
					 "VssUnauthorizedException",
					 "cannot identify the peer of the socket for '%s'",
					 c->request);
		if (pr == -2)
			return srv_error(c, MHD_HTTP_FORBIDDEN,
					 "AccessCheckException",
					 "uid '%s' of the socket's peer has no login name",
					 who + 1);
		c->actor = who;
		c->auth_method = "unixSocket";
		return 0;
	}
	if ((*retry = rate_blocked(s, addr)) != 0)
		return srv_error(c, MHD_HTTP_TOO_MANY_REQUESTS,
				 "TooManyRequestsException",
				 "too many failed authentications from '%s'; retry in %u s",
				 addr, *retry);
	tok = srv_request_token(conn);
	had_token = tok != NULL;
	rc = svc_token_verify(ta, s->shared.store, tok,
			      tok ? strlen(tok) : 0, route ? route->scope : NULL,
			      addr, c->request);
	svc_secret_free(tok, (size_t)-1);
	if (rc == 0) {
		c->actor = ta->owner;
		c->auth_method = ta->holder == SVC_TOKEN_AGENT ? "agentToken"
				 : ta->holder == SVC_TOKEN_JOB ? "jobToken"
							       : "token";
		c->token_id = ta->id;
		c->scopes = ta->scopes;
		return 0;
	}
	if (rc != SVC_EDENIED)
		return srv_lib_error(c, rc);
	/* a refusal (401 or 403) counts against the address */
	rate_fail(s, addr);
	srv_log(s, SVC_SERVER_LOG_WARNING, "%s %s: %s", addr, c->request,
		svc_error_last());
	if (ta->forbidden)
		return srv_error(c, MHD_HTTP_FORBIDDEN, "AccessCheckException",
				 "%s: the token does not grant scope '%s'",
				 c->request, route->scope);
	return srv_error(c, MHD_HTTP_UNAUTHORIZED, "VssUnauthorizedException",
			 "%s: %s", c->request,
			 had_token ? "the access token was refused"
			     : "no access token (Authorization: Bearer TOKEN)");
}

/* ---- waiting for a change (srv_wait) ---------------------------------- */

/*
 * A request whose handler asked to wait is suspended (libmicrohttpd's
 * suspend/resume: it keeps its connection, not a thread, nor the store)
 * and put on the server's list; the waker thread waits on the store's
 * watch (store_watch.h) and resumes every waiter when it reports a
 * change, and each at its own deadline; a resumed request is answered
 * again from the start (its handler sees c->waited_ms).  A change
 * reported between the handler's look and the suspension (changes moved
 * meanwhile) makes the request due at once.
 */

/* Resume and unlist *pp (under wait_lock). */
static void waiter_resume(svc_server *s, struct srv_req **pp)
{
	struct srv_req *rq = *pp;

	*pp = rq->next;
	rq->next = NULL;
	s->nwaiters--;
	MHD_resume_connection(rq->conn);
}

/*
 * Suspend conn's request for up to ms (seen: s->changes when it was
 * looked at): 1, or 0 when it cannot wait and is to be answered now.
 */
static int wait_for_change(svc_server *s, struct MHD_Connection *conn,
			   struct srv_req *rq, long long ms,
			   unsigned long long seen)
{
	pthread_mutex_lock(&s->wait_lock);
	if (!s->watch || s->stopping || s->nwaiters >= WAITERS_MAX) {
		pthread_mutex_unlock(&s->wait_lock);
		return 0;
	}
	rq->conn = conn;
	rq->until_ms = s->changes != seen ? 0
		       : mono_ms() + (ms < WAIT_RECHECK_MS ? ms : WAIT_RECHECK_MS);
	rq->next = s->waiters;
	s->waiters = rq;
	s->nwaiters++;
	MHD_suspend_connection(conn);
	pthread_cond_signal(&s->wait_cond);
	pthread_mutex_unlock(&s->wait_lock);
	return 1;
}

/* The waker thread: see above. */
static void *waker_main(void *arg)
{
	svc_server *s = arg;
	struct srv_req **pp;
	long long now, next;
	int rc, failing = 0;

	pthread_mutex_lock(&s->wait_lock);
	while (!s->stopping) {
		if (!s->waiters) {
			pthread_cond_wait(&s->wait_cond, &s->wait_lock);
			continue;
		}
		now = mono_ms();
		next = now + WAKER_TICK_MS;
		for (pp = &s->waiters; *pp;) {
			if ((*pp)->until_ms <= now) {
				waiter_resume(s, pp);
				continue;
			}
			if ((*pp)->until_ms < next)
				next = (*pp)->until_ms;
			pp = &(*pp)->next;
		}
		if (!s->waiters)
			continue;
		pthread_mutex_unlock(&s->wait_lock);
		rc = store_watch_wait(s->watch, (long)(next - now));
		if (rc < 0 && !failing)
			srv_log(s, SVC_SERVER_LOG_WARNING,
				"waiting jobs are asked again: %s",
				svc_error_last());
		failing = rc < 0;
		pthread_mutex_lock(&s->wait_lock);
		/* a change, or the database lost: every waiter asks again
		 * (and is answered 503 while it cannot be reached) */
		if (rc != 0) {
			s->changes++;
			while (s->waiters)
				waiter_resume(s, &s->waiters);
		}
	}
	pthread_mutex_unlock(&s->wait_lock);
	return NULL;
}

/* Stop the waker and resume every waiter (before the daemons stop). */
static void waiting_stop(svc_server *s)
{
	pthread_mutex_lock(&s->wait_lock);
	s->stopping = 1;
	pthread_cond_signal(&s->wait_cond);
	pthread_mutex_unlock(&s->wait_lock);
	if (s->waker_started) {
		store_watch_wake(s->watch);
		pthread_join(s->waker, NULL);
		s->waker_started = 0;
	}
	pthread_mutex_lock(&s->wait_lock);
	while (s->waiters)
		waiter_resume(s, &s->waiters);
	pthread_mutex_unlock(&s->wait_lock);
}

/*
 * Answer a request that is not public (under the store: store_enter):
 * authenticate it, then run its route's handler (found: as
 * srv_route_match returned, with route, arg and proj), or say why not.
 */
static void answer_authenticated(struct srv_call *c,
				 struct MHD_Connection *conn, int unix_peer,
				 const char *addr,
				 const struct srv_route *route, int found,
				 const char *arg, const char *proj,
				 const char *shown, char *who, size_t whosz,
				 svc_token_auth *ta, unsigned *retry)
{
	int prc;

	if (authenticate(c, conn, found == 1 ? route : NULL, unix_peer, addr,
			 who, whosz, ta, retry) != 0)
		return;
	c->client = addr;
	if (found == 1 &&
	    (prc = svc_principal_new(&c->who,
				     ta->holder == SVC_TOKEN_AGENT
					     ? SVC_PRINCIPAL_AGENT
				     : ta->holder == SVC_TOKEN_JOB
					     ? SVC_PRINCIPAL_JOB
					     : SVC_PRINCIPAL_USER,
				     c->actor, c->auth_method)) != 0) {
		srv_lib_error(c, prc);
	} else if (found == 1) {
		c->arg = arg[0] ? arg : NULL;
		c->project = route->place == SRV_PROJECT ? proj : NULL;
		/* a project the caller may not see is one that does not
		 * exist: 404 with the same message */
		if (!c->project || srv_enter_project(c) == 0)
			route->handler(c);
	} else if (found == 2) {
		srv_error(c, MHD_HTTP_METHOD_NOT_ALLOWED,
			  "MethodNotAllowedException",
			  "'%s' does not accept method %s", shown, c->method);
	} else if (found == -1) {
		srv_error(c, MHD_HTTP_NOT_FOUND,
			  "ProjectDoesNotExistWithNameException",
			  "'%s': this server serves the organization '%s' only",
			  shown, c->srv->org);
	} else {
		srv_error(c, MHD_HTTP_NOT_FOUND, "ApiResourceNotFoundException",
			  "no resource at '%s'", shown);
	}
}

/* Answer a request whose body has all arrived. */
static enum MHD_Result answer(svc_server *s, struct MHD_Connection *conn,
			      struct srv_req *rq, const char *url,
			      const char *method)
{
	struct srv_call c;
	const struct srv_route *route = NULL;
	svc_token_auth ta;
	char addr[INET6_ADDRSTRLEN], who[256], arg[256], shown[LOG_PATH_MAX + 4];
	char request[LOG_PATH_MAX + 32], retry_s[16], proj[SRV_PROJECT_MAX];
	unsigned retry = 0;
	unsigned long long changes;
	enum MHD_Result ret;
	long long now;
	int found;

	memset(&c, 0, sizeof(c));
	memset(&ta, 0, sizeof(ta));
	arg[0] = '\0';
	now = mono_ms();
	if (!rq->first_ms)
		rq->first_ms = now;
	c.waited_ms = now - rq->first_ms;
	pthread_mutex_lock(&s->wait_lock);
	changes = s->changes;
	pthread_mutex_unlock(&s->wait_lock);
	printable(shown, url);
	snprintf(request, sizeof(request), "%s %s", method, shown);
	client_addr(addr, conn, rq->unix_peer);
	c.srv = s;
	c.conn = conn;
	c.method = method;
	c.path = url;
	c.request = request;
	c.body = rq->body.ptr ? rq->body.ptr : "";
	c.body_len = rq->body.len;
	found = srv_route_match(&route, arg, sizeof(arg), proj, sizeof(proj),
				s->org, method, url);
	if (rq->too_large)
		srv_error(&c, MHD_HTTP_CONTENT_TOO_LARGE,
			  "RequestBodyTooLargeException",
			  "the body of '%s' is larger than %zu bytes", request,
			  s->max_body);
	else if (found == 1 && route->public_ == SRV_SELF_AUTH &&
		 !rq->unix_peer && (retry = rate_blocked(s, addr)) != 0) {
		/* the console's sign-in answers a browser: a page */
		if (route->handler == console_signin)
			console_too_many(&c, retry);
		else
			srv_error(&c, MHD_HTTP_TOO_MANY_REQUESTS,
				  "TooManyRequestsException",
				  "too many failed authentications from '%s'; retry in %u s",
				  addr, retry);
	}
	else if (found == 1 && route->public_) {
		c.client = addr;
		store_enter(s);
		route->handler(&c);
		store_leave(s);
		/* its own refusal (a registration token's) counts */
		if (route->public_ == SRV_SELF_AUTH &&
		    c.status == MHD_HTTP_UNAUTHORIZED && !rq->unix_peer)
			rate_fail(s, addr);
	}
	else {
		/* the store is taken once: the token's check and the
		 * handler's reads are one transaction */
		store_enter(s);
		answer_authenticated(&c, conn, rq->unix_peer, addr, route,
				     found, arg, proj, shown, who, sizeof(who),
				     &ta, &retry);
		store_leave(s);
	}
	if (c.wait_ms && wait_for_change(s, conn, rq, c.wait_ms, changes)) {
		/* answered later: logged then, once */
		ret = MHD_YES;
		goto done;
	}
	srv_log(s, c.status >= 400 ? SVC_SERVER_LOG_WARNING : SVC_SERVER_LOG_INFO,
		"%s %s \"%s\" %u", addr, c.actor ? c.actor : "-", request,
		c.status);
	if (c.status == MHD_HTTP_TOO_MANY_REQUESTS) {
		snprintf(retry_s, sizeof(retry_s), "%u", retry);
		ret = send_call(conn, &c, "Retry-After", retry_s, NULL, NULL);
	} else if (c.status == MHD_HTTP_UNAUTHORIZED) {
		ret = send_call(conn, &c, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
				"Bearer realm=\"svcconn\"", NULL, NULL);
	} else {
		ret = send_call(conn, &c, NULL, NULL, NULL, NULL);
	}
done:
	call_clear(&c);
	svc_principal_free(c.who);
	svc_token_auth_clear(&ta);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	svc_server *s = cls;
	struct srv_req *rq = *con_cls;

	(void)version;
	if (!rq) {
		const char *cl = MHD_lookup_connection_value(
			conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
			conn, MHD_CONNECTION_INFO_DAEMON);

		if (!(rq = calloc(1, sizeof(*rq))))
			return MHD_NO;
		buf_init(&rq->body, s->max_body, 1);
		rq->unix_peer = ci && ci->daemon == s->unix_d;
		/* a declared size over the cap is refused before it is sent */
		if (cl) {
			char *end;
			unsigned long long v = strtoull(cl, &end, 10);

			rq->too_large = *end || v > s->max_body;
		}
		*con_cls = rq;
		/* answered at once: the body is not read */
		return rq->too_large ? answer(s, conn, rq, url, method)
				     : MHD_YES;
	}
	if (*upload_size) {
		if (!rq->too_large &&
		    buf_put(&rq->body, upload, *upload_size) != 0) {
			rq->too_large = 1;
			buf_clear(&rq->body);
		}
		*upload_size = 0;
		return MHD_YES;
	}
	return answer(s, conn, rq, url, method);
}

static void on_completed(void *cls, struct MHD_Connection *conn,
			 void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct srv_req *rq = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (!rq)
		return;
	buf_clear(&rq->body);
	free(rq);
	*con_cls = NULL;
}

/* ---- listening ----------------------------------------------------------- */

/* 1 when sa is a loopback address. */
static int is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)(const void *)sa)
				      ->sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a =
			&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;

		return IN6_IS_ADDR_LOOPBACK(a) ||
		       (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
	}
	return 0;
}

/* "ADDR:PORT" or "[ADDR]:PORT" into a numeric address. */
static int parse_listen(struct sockaddr_storage *ss, socklen_t *len,
			const char *listen)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *port, *colon = strrchr(listen, ':');
	struct addrinfo hints, *ai = NULL;
	size_t n;
	int e;

	if (!colon || colon == listen || !colon[1])
		return error_set(SVC_EINVALID,
				 "--listen '%s' is not ADDR:PORT", listen);
	n = (size_t)(colon - listen);
	if (listen[0] == '[' && listen[n - 1] == ']') {
		listen++;
		n -= 2;
	}
	if (n >= sizeof(host))
		return error_set(SVC_EINVALID, "--listen '%s': address too long",
				 listen);
	memcpy(host, listen, n);
	host[n] = '\0';
	port = colon + 1;
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	hints.ai_socktype = SOCK_STREAM;
	if ((e = getaddrinfo(host, port, &hints, &ai)) != 0 || !ai)
		return error_set(SVC_EINVALID,
				 "--listen '%s': not a numeric address and port (%s)",
				 host, gai_strerror(e));
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

/*
 * Make the Unix socket: a stale socket of ours at the path is replaced,
 * anything else there refused; the mode comes from the umask at bind
 * (no window in which it is wider), and is checked afterwards.
 */
static int unix_listen(svc_server *s, const char *path, unsigned mode)
{
	struct sockaddr_un sa;
	struct stat st;
	mode_t old;
	int fd, e;

	if (strlen(path) >= sizeof(sa.sun_path))
		return error_set(SVC_EINVALID, "socket path '%s' is too long",
				 path);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path));
	if (lstat(path, &st) == 0) {
		int probe;

		if (!S_ISSOCK(st.st_mode) || st.st_uid != geteuid())
			return error_set(SVC_EINSECURE,
					 "'%s' exists and is not a socket of this user; not replaced",
					 path);
		probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe >= 0 &&
		    connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			close(probe);
			return error_set(SVC_EEXISTS,
					 "a server is listening on '%s' already",
					 path);
		}
		if (probe >= 0)
			close(probe);
		if (unlink(path) != 0)
			return error_set(SVC_ERROR, "cannot remove stale socket '%s': %s",
					 path, strerror(errno));
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return error_set(SVC_ERROR, "cannot create a socket: %s",
				 strerror(errno));
	old = umask(mode == 0660 ? 0117 : 0177);
	e = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 ? 0 : errno;
	umask(old);
	if (e) {
		close(fd);
		return error_set(SVC_ERROR, "cannot bind socket '%s': %s", path,
				 strerror(e));
	}
	if (lstat(path, &st) != 0 || (st.st_mode & 0777) != mode ||
	    listen(fd, 64) != 0) {
		e = errno;
		close(fd);
		unlink(path);
		return error_set(SVC_ERROR,
				 "socket '%s' did not get mode %04o or cannot listen: %s",
				 path, mode, strerror(e));
	}
	s->unix_fd = fd;
	if (!(s->unix_path = strdup(path)))
		return error_oom();
	return 0;
}

static int start_unix(svc_server *s, const svc_server_options *o)
{
	unsigned mode = o->unix_mode ? o->unix_mode : 0600;
	int rc;

	if (mode != 0600 && mode != 0660)
		return error_set(SVC_EINVALID,
				 "socket mode %04o: only 0600 and 0660 are allowed",
				 mode);
	if ((rc = unix_listen(s, o->unix_socket, mode)))
		return rc;
	s->unix_d = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG |
			MHD_ALLOW_SUSPEND_RESUME, 0, NULL,
		NULL, on_request, s,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, s,
		MHD_OPTION_LISTEN_SOCKET, s->unix_fd,
		MHD_OPTION_CONNECTION_LIMIT,
		(unsigned)(o->max_connections ? o->max_connections
					      : DEF_MAX_CONNECTIONS),
		MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned)(o->timeout_s ? o->timeout_s : DEF_TIMEOUT_S),
		MHD_OPTION_CONNECTION_MEMORY_LIMIT,
		o->header_memory ? o->header_memory : DEF_HEADER_MEMORY,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
		MHD_OPTION_END);
	if (!s->unix_d)
		return error_set(SVC_ERROR, "cannot serve socket '%s'",
				 o->unix_socket);
	/* the daemon closes it */
	s->unix_fd = -1;
	return 0;
}

static int start_tcp(svc_server *s, const svc_server_options *o)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	char *cert = NULL, *key = NULL;
	size_t cert_len = 0, key_len = 0;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG |
			 MHD_ALLOW_SUSPEND_RESUME;
	const union MHD_DaemonInfo *di;
	int rc, tls = !o->insecure_http;

	if ((rc = parse_listen(&ss, &sslen, o->listen)))
		return rc;
	if (o->insecure_http && !is_loopback((struct sockaddr *)&ss))
		return error_set(SVC_EINSECURE,
				 "plain HTTP on '%s' refused: only on a loopback address (127.0.0.0/8, ::1), for tests",
				 o->listen);
	if (tls && (!o->tls_cert || !o->tls_key))
		return error_set(SVC_EINVALID,
				 "HTTPS on '%s' needs a certificate and a key file (--tls-cert, --tls-key)",
				 o->listen);
	if (tls && !MHD_is_feature_supported(MHD_FEATURE_TLS))
		return error_set(SVC_ERROR,
				 "this libmicrohttpd was built without TLS");
	if (tls && ((rc = svc_secret_read_file(&cert, &cert_len, o->tls_cert)) ||
		    (rc = svc_secret_read_file(&key, &key_len, o->tls_key))))
		goto done;
	if (tls)
		flags |= MHD_USE_TLS;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	s->tcp = MHD_start_daemon(
		flags, 0, NULL, NULL, on_request, s,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, s,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_CONNECTION_LIMIT,
		(unsigned)(o->max_connections ? o->max_connections
					      : DEF_MAX_CONNECTIONS),
		MHD_OPTION_PER_IP_CONNECTION_LIMIT,
		(unsigned)(o->max_per_ip ? o->max_per_ip : DEF_MAX_PER_IP),
		MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned)(o->timeout_s ? o->timeout_s : DEF_TIMEOUT_S),
		MHD_OPTION_CONNECTION_MEMORY_LIMIT,
		o->header_memory ? o->header_memory : DEF_HEADER_MEMORY,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)TCP_THREADS,
		tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, cert,
		MHD_OPTION_HTTPS_MEM_KEY, key,
		MHD_OPTION_END);
	if (!s->tcp) {
		rc = error_set(SVC_ERROR,
			       "cannot serve on '%s' (address in use, or the certificate and key do not load)",
			       o->listen);
		goto done;
	}
	di = MHD_get_daemon_info(s->tcp, MHD_DAEMON_INFO_BIND_PORT);
	s->port = di ? di->port : 0;
done:
	svc_secret_free(cert, cert_len);
	svc_secret_free(key, key_len);
	return rc;
}

int svc_server_start(svc_server **out, const svc_server_options *o)
{
	svc_server *s;
	int rc;

	if (!o || o->version != SVC_SERVER_OPTIONS_VERSION)
		return error_set(SVC_EINVALID, "server options of an unknown version");
	if (!o->listen && !o->unix_socket)
		return error_set(SVC_EINVALID,
				 "nothing to serve: give a TCP address or a socket path");
	if (!(s = calloc(1, sizeof(*s))))
		return error_oom();
	pthread_mutex_init(&s->store_lock, NULL);
	pthread_mutex_init(&s->rate_lock, NULL);
	pthread_mutex_init(&s->wait_lock, NULL);
	pthread_cond_init(&s->wait_cond, NULL);
	s->unix_fd = -1;
	s->log = o->log;
	s->log_ctx = o->log_ctx;
	s->max_body = o->max_body ? o->max_body : DEF_MAX_BODY;
	s->fail_max = o->auth_fail_max ? o->auth_fail_max : DEF_AUTH_FAIL_MAX;
	s->fail_window = o->auth_fail_window_s ? o->auth_fail_window_s
					       : DEF_AUTH_FAIL_WINDOW;
	s->org = strdup(o->organization ? o->organization : "default");
	s->project = strdup(o->project ? o->project : "default");
	s->rate = calloc(RATE_SLOTS, sizeof(*s->rate));
	if (!s->org || !s->project || !s->rate) {
		rc = error_oom();
		goto fail;
	}
	if (!*s->org || !*s->project || strchr(s->org, '/') ||
	    strchr(s->project, '/')) {
		rc = error_set(SVC_EINVALID,
			       "organization and project are non-empty names without '/'");
		goto fail;
	}
	if (o->job_lease_s && (o->job_lease_s < SVC_JOB_LEASE_MIN ||
				o->job_lease_s > SVC_JOB_LEASE_MAX)) {
		rc = error_set(SVC_EINVALID,
			       "a job's lease is %d to %d seconds, not %u",
			       SVC_JOB_LEASE_MIN, SVC_JOB_LEASE_MAX,
			       o->job_lease_s);
		goto fail;
	}
	s->shared.organization = s->org;
	s->shared.job_lease_s = (long)o->job_lease_s;
	if ((rc = srv_oidc_new(&s->shared.oidc, o->issuer)))
		goto fail;
	if ((rc = console_new(&s->shared.console, o->console_idle_s,
			      o->console_max_s, !o->insecure_http)))
		goto fail;
	if ((rc = svc_store_open(&s->shared.store, &o->store)) ||
	    (rc = svc_catalog_new(&s->shared.catalog)))
		goto fail;
	/* without a watch, a job start answers "waiting" at once */
	if (store_watch_open(&s->watch, s->shared.store) != 0)
		srv_log(s, SVC_SERVER_LOG_WARNING,
			"job starts will not wait for changes: %s",
			svc_error_last());
	else if (pthread_create(&s->waker, NULL, waker_main, s) == 0)
		s->waker_started = 1;
	else {
		store_watch_free(s->watch);
		s->watch = NULL;
	}
	if (o->listen && (rc = start_tcp(s, o)))
		goto fail;
	if (o->unix_socket && (rc = start_unix(s, o)))
		goto fail;
	if (s->tcp)
		srv_log(s, SVC_SERVER_LOG_INFO, "listening on %s://%s (port %u)",
			o->insecure_http ? "http" : "https", o->listen, s->port);
	if (s->unix_d)
		srv_log(s, SVC_SERVER_LOG_INFO, "listening on unix:%s",
			o->unix_socket);
	*out = s;
	return 0;
fail:
	svc_server_stop(s);
	return rc;
}

unsigned svc_server_port(const svc_server *s)
{
	return s ? s->port : 0;
}

void svc_server_stop(svc_server *s)
{
	if (!s)
		return;
	waiting_stop(s);
	if (s->tcp)
		MHD_stop_daemon(s->tcp);
	if (s->unix_d)
		MHD_stop_daemon(s->unix_d);
	if (s->unix_fd >= 0)
		close(s->unix_fd);
	if (s->unix_path)
		unlink(s->unix_path);
	free(s->unix_path);
	store_watch_free(s->watch);
	svc_store_free(s->shared.store);
	svc_catalog_free(s->shared.catalog);
	srv_oidc_free(s->shared.oidc);
	console_free(s->shared.console);
	pthread_mutex_destroy(&s->store_lock);
	pthread_mutex_destroy(&s->rate_lock);
	pthread_mutex_destroy(&s->wait_lock);
	pthread_cond_destroy(&s->wait_cond);
	free(s->rate);
	free(s->org);
	free(s->project);
	free(s);
}
