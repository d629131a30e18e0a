/*
 * httpd.c - the HTTP/1.1 fixture server for tests (see httpd.h).
 *
 * The parent binds and listens on 127.0.0.1:0 before forking, so the port
 * is known and connections queue from the moment httpd_start() returns;
 * then it closes its copy of the socket and only the child accepts.  The
 * child asks for SIGKILL when its parent dies, checks that the parent did
 * not die before that request took effect, and serves connections one at a
 * time, forever, until killed.  It never returns into the test's code and
 * leaves with _exit() only.
 *
 * One connection carries one request.  The child reads the head (bounded
 * by HTTPD_MAX_HEAD) and a Content-Length body (bounded by HTTPD_MAX_BODY),
 * answering "100 Continue" when asked, with a 5 second limit on each read
 * so a stuck client cannot wedge the server.  The raw request is written to
 * "<dir>/req-NNNNNN" (via a temporary name and rename, so the parent never
 * sees half a file) before the response goes out; the parent parses those
 * files with the same parser.  Response sequences are counted in the
 * child, which is the only process that sees requests.
 *
 * Connection I/O goes through conn_read() and conn_write(), which speak
 * TLS (OpenSSL) when the server was started with httpd_start_tls(): the
 * SSL_CTX is built in the parent (so a bad certificate is an error of
 * httpd_start_tls, not a dead child), the handshake runs right after
 * accept with a receive timeout, and a failed handshake (an untrusted
 * server certificate on the client's side, a missing client certificate
 * on ours) just drops the connection.
 */
#include "httpd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

/** Milliseconds one read may wait for the client. */
#define HTTPD_READ_TIMEOUT_MS 5000
/** Most requests recorded (numbering of the files). */
#define HTTPD_MAX_REQUESTS 999999

struct httpd {
	pid_t pid;              /**< the serving child */
	int port;               /**< port on 127.0.0.1 */
	char dir[64];           /**< private directory of request files */
	int tls;                /**< 1: serving HTTPS */
};

/** One accepted connection. */
struct conn {
	int fd;                 /**< the socket */
	SSL *ssl;               /**< its TLS session, or NULL for HTTP */
};

/* ------------------------------------------------------------------------
 * Parsing (shared by the server and httpd_requests)
 */

void httpd_requests_free(struct httpd_request *r, size_t n)
{
	size_t i, j;

	if (!r)
		return;
	for (i = 0; i < n; i++) {
		free(r[i].method);
		free(r[i].target);
		for (j = 0; j < r[i].nheaders; j++) {
			free(r[i].headers[j].name);
			free(r[i].headers[j].value);
		}
		free(r[i].headers);
		free(r[i].body);
	}
	free(r);
}

static char *dup_n(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

/* End of the head (just past the blank line) in buf, or 0. */
static size_t head_end(const char *buf, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (buf[i + 1] == '\n')
			return i + 2;
		if (buf[i + 1] == '\r' && i + 2 < len && buf[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

/*
 * Parse a head of hlen bytes into r (method, target, headers; no body).
 * Returns 0, or -1 when it is malformed or memory runs out.
 */
static int parse_head(struct httpd_request *r, const char *buf, size_t hlen)
{
	const char *p = buf, *end = buf + hlen, *eol, *sp1, *sp2, *colon;
	const char *vs, *ve;

	memset(r, 0, sizeof(*r));
	eol = memchr(p, '\n', (size_t)(end - p));
	if (!eol)
		return -1;
	sp1 = memchr(p, ' ', (size_t)(eol - p));
	sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1)) : NULL;
	if (!sp1 || !sp2 || sp1 == p || sp2 == sp1 + 1)
		return -1;
	r->method = dup_n(p, (size_t)(sp1 - p));
	r->target = dup_n(sp1 + 1, (size_t)(sp2 - sp1 - 1));
	r->headers = calloc(HTTPD_MAX_HEADERS, sizeof(*r->headers));
	if (!r->method || !r->target || !r->headers)
		return -1;
	for (p = eol + 1; p < end; p = eol + 1) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			return -1;
		ve = eol > p && eol[-1] == '\r' ? eol - 1 : eol;
		if (ve == p)
			break;          /* the blank line */
		colon = memchr(p, ':', (size_t)(ve - p));
		if (!colon || colon == p)
			return -1;
		if (r->nheaders == HTTPD_MAX_HEADERS)
			continue;
		for (vs = colon + 1; vs < ve && (*vs == ' ' || *vs == '\t');
		     vs++)
			;
		while (ve > vs && (ve[-1] == ' ' || ve[-1] == '\t'))
			ve--;
		r->headers[r->nheaders].name = dup_n(p, (size_t)(colon - p));
		r->headers[r->nheaders].value = dup_n(vs, (size_t)(ve - vs));
		if (!r->headers[r->nheaders].name ||
		    !r->headers[r->nheaders].value) {
			r->nheaders++;
			return -1;
		}
		r->nheaders++;
	}
	return 0;
}

const char *httpd_header(const struct httpd_request *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nheaders; i++)
		if (strcasecmp(r->headers[i].name, name) == 0)
			return r->headers[i].value;
	return NULL;
}

/* ------------------------------------------------------------------------
 * The serving child
 */

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Read up to n bytes, waiting at most HTTPD_READ_TIMEOUT_MS; 0 at EOF,
   -1 on error or timeout. */
static ssize_t conn_read(struct conn *c, char *buf, size_t n)
{
	struct pollfd pfd = { c->fd, POLLIN, 0 };
	ssize_t got;
	int rc;

	for (;;) {
		if (c->ssl && SSL_pending(c->ssl) > 0)
			rc = 1;
		else
			rc = poll(&pfd, 1, HTTPD_READ_TIMEOUT_MS);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0)
			return -1;
		if (c->ssl) {
			size_t done = 0;
			int r = SSL_read_ex(c->ssl, buf, n, &done);

			if (r > 0)
				return (ssize_t)done;
			r = SSL_get_error(c->ssl, r);
			if (r == SSL_ERROR_WANT_READ)
				continue;
			return r == SSL_ERROR_ZERO_RETURN ? 0 : -1;
		}
		got = recv(c->fd, buf, n, 0);
		if (got < 0 && errno == EINTR)
			continue;
		return got;
	}
}

static int conn_write(struct conn *c, const char *buf, size_t n)
{
	ssize_t put;

	if (c->ssl) {
		size_t done = 0;

		return n == 0 || SSL_write_ex(c->ssl, buf, n, &done) > 0
		       ? 0 : -1;
	}
	while (n > 0) {
		put = send(c->fd, buf, n, MSG_NOSIGNAL);
		if (put < 0 && errno == EINTR)
			continue;
		if (put <= 0)
			return -1;
		buf += put;
		n -= (size_t)put;
	}
	return 0;
}

/* Wait ms, or less when the client goes away; 1 when it went away. */
static int conn_wait(struct conn *c, unsigned ms)
{
	long long until = now_ms() + ms, left;
	struct pollfd pfd = { c->fd, POLLIN, 0 };
	char byte;

	while ((left = until - now_ms()) > 0) {
		pfd.revents = 0;
		if (poll(&pfd, 1, (int)left) > 0) {
			if (recv(c->fd, &byte, 1, MSG_PEEK) <= 0)
				return 1;
			/* unexpected extra bytes: keep waiting, slowly */
			usleep(10000);
		}
	}
	return 0;
}

static const char *reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	default: return "Status";
	}
}

static int respond(struct conn *c, const struct httpd_response *rsp,
		   int head_only)
{
	const char *body = rsp->body ? rsp->body : "";
	size_t blen = strlen(body);
	char head[HTTPD_MAX_HEAD];
	int n;

	n = snprintf(head, sizeof(head),
		     "HTTP/1.1 %d %s\r\n"
		     "Content-Length: %zu\r\n"
		     "Connection: close\r\n"
		     "%s%s%s"
		     "%s"
		     "\r\n",
		     rsp->status, reason(rsp->status), blen,
		     rsp->content_type ? "Content-Type: " : "",
		     rsp->content_type ? rsp->content_type : "",
		     rsp->content_type ? "\r\n" : "",
		     rsp->headers ? rsp->headers : "");
	if (n < 0 || (size_t)n >= sizeof(head))
		return -1;
	if (conn_write(c, head, (size_t)n) != 0)
		return -1;
	return head_only ? 0 : conn_write(c, body, blen);
}

/* Write the raw request as request number seq, atomically. */
static void record(const char *dir, unsigned seq, const char *buf,
		   size_t len)
{
	char tmp[128], final[128];
	int fd;

	snprintf(tmp, sizeof(tmp), "%s/tmp-%06u", dir, seq);
	snprintf(final, sizeof(final), "%s/req-%06u", dir, seq);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	while (len > 0) {
		ssize_t put = write(fd, buf, len);

		if (put < 0 && errno == EINTR)
			continue;
		if (put <= 0)
			break;
		buf += put;
		len -= (size_t)put;
	}
	close(fd);
	rename(tmp, final);
}

/** What the child knows while serving. */
struct server {
	const struct httpd_route *routes; /**< the table */
	size_t nroutes;                   /**< entries in routes */
	size_t *served;                   /**< responses served per route */
	const char *dir;                  /**< where requests are recorded */
	unsigned seq;                     /**< requests recorded so far */
};

static const struct httpd_response not_found = {
	404, "text/plain", "not found\n", NULL, 0, 0
};
static const struct httpd_response bad_request = {
	400, "text/plain", "bad request\n", NULL, 0, 0
};
static const struct httpd_response too_large = {
	413, "text/plain", "too large\n", NULL, 0, 0
};
static const struct httpd_response denied = {
	401, "text/plain", "unauthorized\n",
	"WWW-Authenticate: Basic realm=\"httpd\"\r\n", 0, 0
};
static const struct httpd_response no_chunked = {
	501, "text/plain", "chunked bodies are not supported\n", NULL, 0, 0
};

static const struct httpd_response *route(struct server *s,
					  const struct httpd_request *r)
{
	size_t plen = strcspn(r->target, "?"), i, k;

	for (i = 0; i < s->nroutes; i++) {
		const struct httpd_route *rt = &s->routes[i];

		if (rt->method && strcmp(rt->method, r->method) != 0)
			continue;
		if (strlen(rt->path) != plen ||
		    strncmp(rt->path, r->target, plen) != 0)
			continue;
		if (rt->auth_value) {
			const char *got = httpd_header(r, rt->auth_header
						       ? rt->auth_header
						       : "Authorization");

			if (!got || strcmp(got, rt->auth_value) != 0)
				return rt->denied ? rt->denied : &denied;
		}
		if (rt->nresponses == 0)
			return &not_found;
		k = s->served[i] < rt->nresponses ? s->served[i]
						  : rt->nresponses - 1;
		s->served[i]++;
		return &rt->responses[k];
	}
	return &not_found;
}

static void serve_one(struct server *s, struct conn *c)
{
	char *buf = malloc(HTTPD_MAX_HEAD + HTTPD_MAX_BODY);
	size_t len = 0, hlen = 0, total;
	struct httpd_request r;
	const struct httpd_response *rsp;
	const char *v;
	unsigned long long clen = 0;
	ssize_t got;

	memset(&r, 0, sizeof(r));
	if (!buf)
		return;
	/* the head */
	while (!(hlen = head_end(buf, len))) {
		if (len == HTTPD_MAX_HEAD) {
			respond(c, &too_large, 0);
			goto done;
		}
		got = conn_read(c, buf + len, HTTPD_MAX_HEAD - len);
		if (got <= 0)
			goto done;
		len += (size_t)got;
	}
	if (parse_head(&r, buf, hlen) != 0) {
		respond(c, &bad_request, 0);
		goto done;
	}
	if (httpd_header(&r, "Transfer-Encoding")) {
		respond(c, &no_chunked, 0);
		goto done;
	}
	if ((v = httpd_header(&r, "Content-Length"))) {
		char *end;

		if (*v < '0' || *v > '9') {
			respond(c, &bad_request, 0);
			goto done;
		}
		errno = 0;
		clen = strtoull(v, &end, 10);
		if (*end || errno) {
			respond(c, &bad_request, 0);
			goto done;
		}
		if (clen > HTTPD_MAX_BODY) {
			respond(c, &too_large, 0);
			goto done;
		}
	}
	if ((v = httpd_header(&r, "Expect")) &&
	    strcasecmp(v, "100-continue") == 0 && len - hlen < clen &&
	    conn_write(c, "HTTP/1.1 100 Continue\r\n\r\n", 25) != 0)
		goto done;
	/* the body */
	total = hlen + (size_t)clen;
	while (len < total) {
		got = conn_read(c, buf + len, total - len);
		if (got <= 0)
			goto done;
		len += (size_t)got;
	}
	if (s->seq < HTTPD_MAX_REQUESTS)
		record(s->dir, ++s->seq, buf, total);
	rsp = route(s, &r);
	if (rsp->delay_ms && conn_wait(c, rsp->delay_ms))
		goto done;
	if (rsp->close)
		goto done;
	respond(c, rsp, strcmp(r.method, "HEAD") == 0);
	/* let the client read everything before the close */
	if (c->ssl)
		SSL_shutdown(c->ssl);
	shutdown(c->fd, SHUT_WR);
done:
	free(r.method);
	free(r.target);
	if (r.headers) {
		size_t j;

		for (j = 0; j < r.nheaders; j++) {
			free(r.headers[j].name);
			free(r.headers[j].value);
		}
		free(r.headers);
	}
	free(buf);
}

/* The TLS handshake on c, bounded in time; 0, or -1 (c->ssl freed). */
static int conn_handshake(struct conn *c, SSL_CTX *ctx)
{
	struct timeval tv = { HTTPD_READ_TIMEOUT_MS / 1000, 0 };

	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	c->ssl = SSL_new(ctx);
	if (c->ssl && SSL_set_fd(c->ssl, c->fd) == 1 &&
	    SSL_accept(c->ssl) == 1)
		return 0;
	ERR_clear_error();
	SSL_free(c->ssl);
	c->ssl = NULL;
	return -1;
}

static void serve(int lfd, const struct httpd_route *routes, size_t nroutes,
		  const char *dir, SSL_CTX *ctx)
{
	struct server s = { routes, nroutes, NULL, dir, 0 };
	struct conn c = { -1, NULL };

	s.served = calloc(nroutes ? nroutes : 1, sizeof(*s.served));
	if (!s.served)
		_exit(1);
	for (;;) {
		c.fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (c.fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			_exit(1);
		}
		if (!ctx || conn_handshake(&c, ctx) == 0)
			serve_one(&s, &c);
		SSL_free(c.ssl);
		c.ssl = NULL;
		close(c.fd);
	}
}

/* ------------------------------------------------------------------------
 * The parent's side
 */

/*
 * Default dispositions and nothing blocked: the test framework's handlers
 * (cmocka catches SIGSEGV and longjmps back into its runner) must never run
 * in the server, or a crash there would go on running tests.
 */
static void reset_signals(void)
{
	struct sigaction sa;
	sigset_t none;
	int sig;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* An SSL_CTX serving cert/key, asking for client certificates signed by
   client_ca when given; NULL on failure (OpenSSL's errors printed). */
static SSL_CTX *tls_context(const struct httpd_tls *tls)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	BIO *b = NULL;
	X509 *x = NULL;
	EVP_PKEY *k = NULL;
	int ok = 0;

	if (!ctx || !tls->cert_pem || !tls->key_pem)
		goto done;
	b = BIO_new_mem_buf(tls->cert_pem, -1);
	if (!b || !(x = PEM_read_bio_X509(b, NULL, NULL, NULL)) ||
	    SSL_CTX_use_certificate(ctx, x) != 1)
		goto done;
	BIO_free(b);
	b = BIO_new_mem_buf(tls->key_pem, -1);
	if (!b || !(k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL)) ||
	    SSL_CTX_use_PrivateKey(ctx, k) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1)
		goto done;
	if (tls->client_ca_pem) {
		X509_STORE *st = SSL_CTX_get_cert_store(ctx);
		X509 *ca;

		BIO_free(b);
		b = BIO_new_mem_buf(tls->client_ca_pem, -1);
		if (!b)
			goto done;
		while ((ca = PEM_read_bio_X509(b, NULL, NULL, NULL))) {
			int added = X509_STORE_add_cert(st, ca);

			X509_free(ca);
			if (added != 1)
				goto done;
		}
		ERR_clear_error();      /* the end of the PEM */
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER |
				   SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	}
	ok = 1;
done:
	if (!ok) {
		ERR_print_errors_fp(stderr);
		SSL_CTX_free(ctx);
		ctx = NULL;
	}
	BIO_free(b);
	X509_free(x);
	EVP_PKEY_free(k);
	return ctx;
}

int httpd_start(struct httpd **out, const struct httpd_route *routes,
		size_t nroutes)
{
	return httpd_start_tls(out, routes, nroutes, NULL);
}

int httpd_start_tls(struct httpd **out, const struct httpd_route *routes,
		    size_t nroutes, const struct httpd_tls *tls)
{
	SSL_CTX *ctx = NULL;
	struct sockaddr_in sa;
	socklen_t salen = sizeof(sa);
	struct httpd *h;
	pid_t parent = getpid();
	int lfd, saved;

	if (tls && !(ctx = tls_context(tls))) {
		errno = EINVAL;
		return -1;
	}
	h = calloc(1, sizeof(*h));
	if (!h) {
		SSL_CTX_free(ctx);
		return -1;
	}
	h->tls = ctx != NULL;
	snprintf(h->dir, sizeof(h->dir), "/tmp/svchttpd.XXXXXX");
	if (!mkdtemp(h->dir)) {
		saved = errno;
		free(h);
		errno = saved;
		return -1;
	}
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = 0;
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(lfd, 16) != 0 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &salen) != 0)
		goto fail;
	h->port = ntohs(sa.sin_port);
	fflush(NULL);   /* nothing buffered is written twice */
	h->pid = fork();
	if (h->pid < 0)
		goto fail;
	if (h->pid == 0) {
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 ||
		    getppid() != parent)
			_exit(0);
		reset_signals();
		serve(lfd, routes, nroutes, h->dir, ctx);
		_exit(0);
	}
	close(lfd);
	SSL_CTX_free(ctx);
	*out = h;
	return 0;
fail:
	saved = errno;
	SSL_CTX_free(ctx);
	if (lfd >= 0)
		close(lfd);
	rmdir(h->dir);
	free(h);
	errno = saved;
	return -1;
}

int httpd_port(const struct httpd *h)
{
	return h->port;
}

const char *httpd_dir(const struct httpd *h)
{
	return h->dir;
}

char *httpd_url(const struct httpd *h, const char *path)
{
	size_t n = strlen(path) + 32;
	char *u = malloc(n);

	if (u)
		snprintf(u, n, "%s://127.0.0.1:%d%s", h->tls ? "https" : "http",
			 h->port, path);
	return u;
}

/* Read a whole request file; NULL when it does not exist. */
static char *read_file(const char *path, size_t *len)
{
	size_t max = HTTPD_MAX_HEAD + HTTPD_MAX_BODY, n = 0;
	char *buf;
	ssize_t got;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	buf = malloc(max + 1);
	if (!buf) {
		close(fd);
		return NULL;
	}
	while (n < max && (got = read(fd, buf + n, max - n)) != 0) {
		if (got < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		n += (size_t)got;
	}
	close(fd);
	buf[n] = '\0';
	*len = n;
	return buf;
}

int httpd_requests(struct httpd *h, struct httpd_request **out, size_t *n)
{
	struct httpd_request *all = NULL;
	char path[128];
	size_t count = 0, i, len, hlen;
	char *raw;

	/* count the files first: they are numbered from 1 without gaps */
	for (;;) {
		snprintf(path, sizeof(path), "%s/req-%06zu", h->dir,
			 count + 1);
		if (access(path, F_OK) != 0)
			break;
		count++;
	}
	if (count) {
		all = calloc(count, sizeof(*all));
		if (!all)
			return -1;
	}
	for (i = 0; i < count; i++) {
		snprintf(path, sizeof(path), "%s/req-%06zu", h->dir, i + 1);
		raw = read_file(path, &len);
		if (!raw)
			goto fail;
		hlen = head_end(raw, len);
		if (!hlen || parse_head(&all[i], raw, hlen) != 0 ||
		    !(all[i].body = dup_n(raw + hlen, len - hlen))) {
			free(raw);
			goto fail;
		}
		all[i].body_len = len - hlen;
		free(raw);
	}
	*out = all;
	*n = count;
	return 0;
fail:
	httpd_requests_free(all, count);
	errno = EIO;
	return -1;
}

void httpd_stop(struct httpd *h)
{
	char path[128];
	unsigned i;

	if (!h)
		return;
	if (h->pid > 0) {
		kill(h->pid, SIGKILL);
		while (waitpid(h->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	for (i = 1; i <= HTTPD_MAX_REQUESTS; i++) {
		snprintf(path, sizeof(path), "%s/tmp-%06u", h->dir, i);
		unlink(path);
		snprintf(path, sizeof(path), "%s/req-%06u", h->dir, i);
		if (unlink(path) != 0)
			break;
	}
	rmdir(h->dir);
	free(h);
}
