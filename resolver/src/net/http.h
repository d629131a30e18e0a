/*
 * http.h - svcconn's one HTTP client (libcurl), internal to the library.
 *
 * One call, one response: method, URL, extra headers, an optional body and
 * one way of authenticating (basic, bearer, or a named header).  The call
 * is locked down: http and https only, redirects never followed (a 3xx is
 * returned as it is, so credentials never travel to another origin), no
 * signals, connect and total timeouts, a body capped both by the declared
 * Content-Length and by what arrives.  Proxies come from the environment
 * (http_proxy, https_proxy, no_proxy) as libcurl reads them by default.
 *
 * TLS peers and host names are verified unless the request says insecure.
 * A CA bundle, a client certificate and its key are given as PEM in memory
 * (CURLOPT_*_BLOB): nothing is written to disk.
 *
 * Everything the caller gives is validated before libcurl sees it (method
 * an upper-case token, URL without white space or control characters,
 * header names RFC 9110 tokens, values without CR, LF or other control
 * characters: refused, never stripped).  Header lines and credentials are
 * held in secret buffers and wiped; libcurl's own copy of a password is
 * beyond our reach.
 *
 * Failures are one line naming the peer by host and port, never by URL (a
 * URL may hold a token in its query), with a category (DNS, connect, TLS,
 * timeout...) a caller can map to its own outcomes.
 */
#ifndef SVC_NET_HTTP_H
#define SVC_NET_HTTP_H

#include <stddef.h>
#include "util/buf.h"

/** Largest response body kept by default, in bytes. */
#define HTTP_MAX_BODY ((size_t)1024 * 1024)
/** Most bytes of response header lines kept. */
#define HTTP_MAX_HEADERS ((size_t)64 * 1024)
/** Default total timeout, in milliseconds. */
#define HTTP_DEFAULT_TIMEOUT_MS 60000L
/** Default connect timeout (bounded by the total too), in milliseconds. */
#define HTTP_DEFAULT_CONNECT_TIMEOUT_MS 10000L

struct curl_slist;

/** Extra request headers; their lines are wiped when cleared. */
typedef struct http_headers {
	struct curl_slist *list; /**< libcurl's list of "Name: value" lines */
	int has_ctype;           /**< a Content-Type line is in the list */
} http_headers;
#define HTTP_HEADERS_INIT { NULL, 0 }

/**
 * Append "name: value" (nlen, vlen bytes; value may hold a secret).  what
 * ("custom", "default"...) names the source in messages.  SVC_EINVALID
 * with the last error set for a name that is not a token, a value with a
 * control character, or Content-Length/Transfer-Encoding.
 */
int http_headers_add(http_headers *h, const char *name, size_t nlen,
		     const char *value, size_t vlen, const char *what);
/** Wipe and free the lines; h may be reused.  NULL accepted. */
void http_headers_clear(http_headers *h);

/** How a request authenticates. */
typedef enum http_auth {
	HTTP_AUTH_NONE = 0,   /**< no credentials */
	HTTP_AUTH_BASIC,      /**< username and password (basic only) */
	HTTP_AUTH_BEARER,     /**< "Authorization: Bearer <token>" */
	HTTP_AUTH_HEADER      /**< "<auth_header>: <token>" as it is */
} http_auth;

/** One call; nothing here is owned.  Zero-initialise, then fill. */
typedef struct http_request {
	const char *method;        /**< "GET", "POST", "OPTIONS"...: an
				        upper-case token */
	const char *url;           /**< http:// or https:// URL */
	const http_headers *headers; /**< extra headers, or NULL */
	const char *body;          /**< request body, or NULL for none */
	size_t body_len;           /**< bytes of body */
	const char *content_type;  /**< with a body and no Content-Type
				        header; NULL: application/json */
	http_auth auth;            /**< how to authenticate */
	const char *username;      /**< HTTP_AUTH_BASIC: user (no ':') */
	const char *password;      /**< HTTP_AUTH_BASIC: password or NULL */
	const char *token;         /**< HTTP_AUTH_BEARER / _HEADER: value */
	const char *auth_header;   /**< HTTP_AUTH_HEADER: header name */
	long timeout_ms;           /**< total; 0: HTTP_DEFAULT_TIMEOUT_MS */
	long connect_timeout_ms;   /**< 0: HTTP_DEFAULT_CONNECT_TIMEOUT_MS;
				        never more than the total */
	int insecure;              /**< 1: do not verify the TLS peer */
	const char *ca_pem;        /**< trusted CAs (PEM, NUL-terminated)
				        added to the system's, or NULL */
	const char *client_cert_pem; /**< client certificate (PEM) or NULL */
	const char *client_key_pem;  /**< its private key (PEM) or NULL */
	const char *key_passphrase;  /**< passphrase of that key, or NULL */
	size_t max_body;           /**< 0: HTTP_MAX_BODY */
	int want_peer_cert;        /**< 1: keep the server's certificate
				        (PEM) in the response's peer_cert
				        (pinning by thumbprint; added for
				        verify_azure.c's Service Fabric) */
} http_request;

/** Why a call failed. */
typedef enum http_err {
	HTTP_ERR_NONE = 0,    /**< a response arrived */
	HTTP_ERR_INVALID,     /**< bad request: nothing was sent */
	HTTP_ERR_DNS,         /**< host (or proxy) name does not resolve */
	HTTP_ERR_CONNECT,     /**< refused, unreachable */
	HTTP_ERR_TLS,         /**< handshake, certificate, client cert */
	HTTP_ERR_TIMEOUT,     /**< connect or total timeout */
	HTTP_ERR_TOO_LARGE,   /**< body past the maximum */
	HTTP_ERR_PROTOCOL,    /**< empty reply, broken HTTP */
	HTTP_ERR_OTHER        /**< anything else */
} http_err;

/** What came back; release with http_response_clear(). */
typedef struct http_response {
	long status;          /**< HTTP status, 0 when no response */
	svc_buf body;         /**< body (NUL-terminated), at most max_body;
				   wiped as it grows and when cleared */
	svc_buf headers;      /**< header lines of the final response */
	http_err err;         /**< HTTP_ERR_NONE, or why it failed */
	char *error;          /**< one-line reason of a failure, or NULL */
	svc_buf peer_cert;    /**< the server's leaf certificate (PEM) when
				   want_peer_cert asked for it, else empty */
} http_response;

/**
 * Make the call.  *out is initialised here and must be released with
 * http_response_clear() whatever the result.  0 when a response arrived,
 * whatever its status; SVC_EINVALID for a request refused before sending;
 * SVC_ERROR for a transport failure.  Both set out->error, out->err and
 * svc_error_last(): "cannot connect to 127.0.0.1:1: Connection refused",
 * "timed out after 2000 ms", "cannot resolve host 'x.invalid'", "TLS error
 * with h:443: ...", "empty reply from h:80".
 */
int http_call(http_response *out, const http_request *req);
/** Free what r holds (NULL accepted); r may be reused. */
void http_response_clear(http_response *r);
/**
 * The value of the response header called name (any case; the first one),
 * without surrounding white space, in a new string; NULL when absent or
 * out of memory.
 */
char *http_response_header(const http_response *r, const char *name);
/** "host:port" of url for messages, into buf; "?" parts when unknown. */
void http_url_peer(const char *url, char *buf, size_t len);

#endif
