/*
 * server.h - svcconn-server's HTTP front end: the API over HTTPS and over
 * a Unix socket for the host's administrators.
 *
 * The server owns one open store.  Over TCP it speaks HTTPS with the
 * certificate and key files it is given (plain HTTP only when asked for
 * and only on a loopback address, for tests); people authenticate with a
 * personal access token (tokens.h), as "Authorization: Bearer TOKEN" or
 * as the password of Basic authentication, as Azure DevOps accepts a PAT.
 * Over the Unix socket the peer's uid (SO_PEERCRED) names the principal.
 * Requests are bounded (connections, connections per address, time-out,
 * body and header sizes); failed authentications are rate-limited per
 * client address.  Resources follow the shapes of Azure DevOps' REST API
 * (docs/server.md, docs/openapi.json).
 *
 * The library never prints: what the server has to say goes to the log
 * callback, one line at a time, never with a secret.
 */
#ifndef SVCCONN_SERVER_H
#define SVCCONN_SERVER_H

#include <stddef.h>
#include "errors.h"
#include "store.h"

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default)

typedef struct svc_server svc_server;

/** Severity of a log line. */
typedef enum svc_server_log_level {
	SVC_SERVER_LOG_INFO = 0,   /**< a request, a start, a stop */
	SVC_SERVER_LOG_WARNING = 1, /**< a refused request, a limit hit */
	SVC_SERVER_LOG_ERROR = 2   /**< something failed */
} svc_server_log_level;

/** Where log lines go (the executable prints them). */
typedef void (*svc_server_log_fn)(void *ctx, svc_server_log_level level,
				  const char *line);

#define SVC_SERVER_OPTIONS_VERSION 1

/** How to serve.  Zero members take the defaults shown. */
typedef struct svc_server_options {
	unsigned version;         /**< SVC_SERVER_OPTIONS_VERSION */
	svc_store_options store;  /**< where the store is */
	const char *listen;       /**< "ADDR:PORT" ("[::1]:PORT"), port 0
				       picks one; NULL: no TCP listener */
	const char *tls_cert;     /**< certificate chain, PEM file */
	const char *tls_key;      /**< its private key, PEM file */
	int insecure_http;        /**< 1: plain HTTP (loopback only) */
	const char *unix_socket;  /**< path of the socket, or NULL */
	unsigned unix_mode;       /**< 0600 (default) or 0660 */
	const char *organization; /**< first path segment ("default") */
	const char *project;      /**< ignored (kept for compatibility):
				       every project of the store is
				       served at /ORG/PROJECT/ */
	unsigned max_connections; /**< at once (64) */
	unsigned max_per_ip;      /**< at once from one address (16) */
	unsigned timeout_s;       /**< idle connection time-out (30) */
	size_t max_body;          /**< request body bytes (1 MiB) */
	size_t header_memory;     /**< per connection, headers (32 KiB) */
	unsigned auth_fail_max;   /**< failed authentications from one
				       address per window (10) */
	unsigned auth_fail_window_s; /**< the window, seconds (60) */
	svc_server_log_fn log;    /**< log lines (NULL: none) */
	void *log_ctx;            /**< passed to log */
	const char *issuer;       /**< the server's public URL as an OIDC
				       issuer (https://, or http:// on a
				       loopback host; oidc.h): serves
				       SVC_OIDC_DISCOVERY_PATH and
				       SVC_OIDC_JWKS_PATH; NULL: neither */
	unsigned console_idle_s;  /**< a console session ends this long
				       after its last request (900) */
	unsigned console_max_s;   /**< and this long after sign-in
				       (28800) */
	unsigned job_lease_s;     /**< the lease of an agent's job, seconds
				       (SVC_JOB_LEASE_DEFAULT, 300; 10 to
				       86400): its agent's broker renews it
				       halfway; unrenewed, the job expires
				       and its exclusive locks go */
} svc_server_options;

/**
 * Open the store and start serving in threads of the library's own.
 * Refuses plain HTTP on an address that is not loopback, TLS without
 * both files, a socket path that exists and is not a stale socket of the
 * caller's, and a store that cannot be opened.
 */
int svc_server_start(svc_server **out, const svc_server_options *opts);

/** The TCP port served (the one picked for port 0), or 0. */
unsigned svc_server_port(const svc_server *s);

/** Stop serving, remove the socket, close the store; NULL accepted. */
void svc_server_stop(svc_server *s);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
