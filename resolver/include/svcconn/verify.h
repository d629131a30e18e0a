/*
 * verify.h - does this connection work?  A real call to the service with
 * the stored credentials, before a pipeline finds out.
 *
 * svc_verify() looks the connection's type up in a table of verifiers (one
 * per type, resolver/src/verify/) and runs it.  What failed is a category
 * a user can act on (DNS, connect, TLS, authentication, an unexpected
 * answer, a timeout) with a one-line message that never holds a secret.
 * A type that no call can check says so (SVC_VERIFY_LOCAL) and reports
 * what it checked locally.
 */
#ifndef SVCCONN_VERIFY_H
#define SVCCONN_VERIFY_H

#include <stddef.h>
#include "catalog.h"
#include "conn.h"
#include "errors.h"

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default)

/** The outcome of a verification. */
typedef enum svc_verify_outcome {
	SVC_VERIFY_OK = 0,          /**< the service accepted the credentials */
	SVC_VERIFY_DNS = 1,         /**< the host name does not resolve */
	SVC_VERIFY_CONNECT = 2,     /**< no connection (refused, unreachable) */
	SVC_VERIFY_TLS = 3,         /**< TLS failed: untrusted or wrong
					 certificate, handshake, client cert */
	SVC_VERIFY_AUTH = 4,        /**< credentials refused (401, 403, a
					 failed SSH or git authentication) */
	SVC_VERIFY_UNEXPECTED = 5,  /**< an answer the service would not give */
	SVC_VERIFY_TIMEOUT = 6,     /**< no answer in time */
	SVC_VERIFY_HOSTKEY = 7,     /**< SSH host key not the pinned one */
	SVC_VERIFY_INVALID = 8,     /**< the connection itself is unusable
					 (bad URL, bad key, missing field) */
	SVC_VERIFY_LOCAL = 9        /**< no call can check this type; what
					 could be checked locally passed */
} svc_verify_outcome;

/** What svc_verify found. */
typedef struct svc_verify_result {
	svc_verify_outcome outcome; /**< see above */
	char *message;              /**< one line, no secret (free with
					 svc_verify_result_clear) */
	char *target;               /**< what was called: "GET https://h/user",
					 "ssh git@h:22", or NULL */
	int http_status;            /**< the last HTTP status, or 0 */
} svc_verify_result;

/** Options of svc_verify (NULL: defaults). */
typedef struct svc_verify_options {
	unsigned version;           /**< SVC_VERIFY_OPTIONS_VERSION */
	long connect_timeout_ms;    /**< 0: SVC_VERIFY_CONNECT_TIMEOUT_MS */
	long timeout_ms;            /**< whole call, 0: SVC_VERIFY_TIMEOUT_MS */
} svc_verify_options;
#define SVC_VERIFY_OPTIONS_VERSION 1
#define SVC_VERIFY_CONNECT_TIMEOUT_MS 10000L
#define SVC_VERIFY_TIMEOUT_MS 30000L

/**
 * Verify connection c (with its secrets decrypted) of a type in cat.  0
 * when a verification ran, whatever its outcome (in *out); an SVC_E* code
 * when it could not run at all (out of memory).  Proxies come from the
 * environment (http_proxy, https_proxy, no_proxy), as libcurl reads them;
 * TLS certificates are checked unless the connection's
 * "acceptUntrustedCerts" data field is "true".
 */
int svc_verify(svc_verify_result *out, const svc_catalog *cat,
	       const svc_conn *c, const svc_verify_options *o);

/**
 * For an SSH connection: the host keys its server presents, as known_hosts
 * lines for the connection's host and port (what `svcconn verify NAME
 * --pin-host-key` stores in the "hostKey" data field, trust on first use).
 * *out is a new string; 0 or an SVC_E* code with the reason in
 * svc_error_last().
 */
int svc_verify_ssh_host_keys(char **out, const svc_conn *c,
			     const svc_verify_options *o);

/** Free what a result holds; the result may be reused. */
void svc_verify_result_clear(svc_verify_result *r);

/** "ok", "dns", "connect", "tls", "auth", ... for an outcome. */
const char *svc_verify_outcome_name(svc_verify_outcome o);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
