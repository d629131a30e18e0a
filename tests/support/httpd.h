/*
 * httpd.h - a small real HTTP/1.1 server on 127.0.0.1 for tests.
 *
 * A test starts it with a table of routes, talks to it over loopback with
 * the real client code, reads back what the server received, and stops
 * it.  Each route answers with a sequence of canned responses, served in
 * order (the last one repeats), so retries, failures followed by success,
 * timeouts (a delay) and dropped connections can be scripted.
 *
 * The server runs in a forked child process that dies with the test
 * process (PR_SET_PDEATHSIG) and on httpd_stop(), so a crashed or killed
 * test never leaves it behind.  Every request is recorded, byte for byte,
 * as a file in a private temporary directory before it is answered, so by
 * the time the client has its response the parent can read the request
 * back with httpd_requests().
 *
 * Only what tests need: one request per connection ("Connection: close"),
 * bodies by Content-Length (chunked requests get 501), bounded sizes
 * (HTTPD_MAX_HEAD, HTTPD_MAX_BODY), one connection at a time.
 *
 * TLS: httpd_start_tls() serves HTTPS with a certificate and key given as
 * PEM (tests/support/tlsgen.h makes them), and with a client CA it asks
 * for a client certificate and refuses a connection without one it
 * trusts, as a Docker daemon with --tlsverify does.
 */
#ifndef SVC_TEST_HTTPD_H
#define SVC_TEST_HTTPD_H

#include <stddef.h>

/** Longest request line plus headers, in bytes. */
#define HTTPD_MAX_HEAD ((size_t)16 * 1024)
/** Longest request body, in bytes. */
#define HTTPD_MAX_BODY ((size_t)1024 * 1024)
/** Most headers kept per request. */
#define HTTPD_MAX_HEADERS 100

/** One canned response. */
struct httpd_response {
	int status;               /**< HTTP status code (200, 302, 500...) */
	const char *content_type; /**< Content-Type, or NULL for none */
	const char *body;         /**< body, or NULL for an empty one */
	const char *headers;      /**< extra header lines, each ending in
				       "\r\n" ("Location: /x\r\n"), or NULL */
	unsigned delay_ms;        /**< wait this long before answering (the
				       wait ends early if the client leaves) */
	int close;                /**< 1: close the connection without
				       answering anything */
};

/** Where requests go, and what they get. */
struct httpd_route {
	const char *method;       /**< "GET", "POST"...; NULL matches any */
	const char *path;         /**< path to match exactly, without the
				       query string */
	const struct httpd_response *responses; /**< served in order; the
				       last one repeats */
	size_t nresponses;        /**< entries in responses, at least 1 */
	const char *auth_value;   /**< NULL, or the exact value the request
				       must carry in auth_header; any other
				       request gets denied instead (and does
				       not advance the sequence) */
	const char *auth_header;  /**< NULL: "Authorization" */
	const struct httpd_response *denied; /**< NULL: 401 with
				       "WWW-Authenticate: Basic realm=..." */
};

/** One header of a recorded request. */
struct httpd_header {
	char *name;               /**< as sent */
	char *value;              /**< without surrounding white space */
};

/** A request as the server received it. */
struct httpd_request {
	char *method;             /**< "GET", ... */
	char *target;             /**< path and query, as sent */
	struct httpd_header *headers; /**< in order */
	size_t nheaders;          /**< entries in headers */
	char *body;               /**< body, NUL-terminated (may hold NULs) */
	size_t body_len;          /**< body length in bytes */
};

/** A running server (opaque). */
struct httpd;

/**
 * Start serving routes (which, with everything they point to, must stay
 * valid until httpd_stop) on an ephemeral port of 127.0.0.1.  Unrouted
 * requests get 404.  Returns 0, or -1 with errno set.
 */
int httpd_start(struct httpd **out, const struct httpd_route *routes,
		size_t nroutes);
/** HTTPS settings of httpd_start_tls (PEM strings, copied at start). */
struct httpd_tls {
	const char *cert_pem;     /**< server certificate (chain), PEM */
	const char *key_pem;      /**< its private key, PEM, unencrypted */
	const char *client_ca_pem; /**< NULL: no client certificate; else
				       one signed by this CA is required */
};

/**
 * As httpd_start, serving HTTPS: httpd_url() gives "https://..." URLs.
 * A failed handshake is not a request (nothing is recorded).
 */
int httpd_start_tls(struct httpd **out, const struct httpd_route *routes,
		    size_t nroutes, const struct httpd_tls *tls);
/** The port the server listens on. */
int httpd_port(const struct httpd *h);
/** The private directory where requests are recorded. */
const char *httpd_dir(const struct httpd *h);
/**
 * "http://127.0.0.1:<port><path>" ("https://" with TLS) in a new string
 * (caller frees), or NULL.
 */
char *httpd_url(const struct httpd *h, const char *path);
/**
 * The requests received so far, oldest first (*out NULL when none);
 * release with httpd_requests_free().  Returns 0, or -1 with errno set.
 */
int httpd_requests(struct httpd *h, struct httpd_request **out, size_t *n);
void httpd_requests_free(struct httpd_request *r, size_t n);
/** The value of the first header called name (any case), or NULL. */
const char *httpd_header(const struct httpd_request *r, const char *name);
/** Stop the server, wait for it, and remove its files.  NULL accepted. */
void httpd_stop(struct httpd *h);

#endif
