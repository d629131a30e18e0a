/*
 * kubeconfig.h - what a kubeconfig says about one context: the cluster's
 * server and how to trust it, and the user's credentials.
 *
 * Read from hostile input with the YAML reader of exchange/yaml_doc.h
 * (bounded size, depth and nodes).  Only what a client needs to call the
 * API server is taken: clusters[].cluster.server,
 * certificate-authority-data, insecure-skip-tls-verify; users[].user.token,
 * client-certificate-data, client-key-data, username, password.  Paths to
 * files (certificate-authority, client-certificate, client-key,
 * tokenFile) and exec/auth-provider plugins are refused: a stored
 * connection must carry its credentials, not point at this machine's
 * files or run programs.  Secrets are held in buffers wiped by
 * kubeconfig_clear().
 */
#ifndef SVC_VERIFY_KUBECONFIG_H
#define SVC_VERIFY_KUBECONFIG_H

#include <stddef.h>

/** One context of a kubeconfig, resolved. */
struct kubeconfig {
	char *context;         /**< the context's name */
	char *server;          /**< the cluster's API server URL */
	char *ca_pem;          /**< decoded certificate-authority-data, or NULL */
	int insecure;          /**< insecure-skip-tls-verify: true */
	char *token;           /**< bearer token (secret), or NULL */
	char *cert_pem;        /**< decoded client-certificate-data, or NULL */
	char *key_pem;         /**< decoded client-key-data (secret), or NULL */
	size_t key_len;        /**< bytes in key_pem */
	char *username;        /**< basic-auth user, or NULL */
	char *password;        /**< basic-auth password (secret), or NULL */
};

/**
 * Resolve context (NULL or "": current-context) of the kubeconfig text
 * (len bytes) into *out (zeroed first).  0, or SVC_EINVALID with the
 * reason in svc_error_last() ("kubeconfig:LINE: ..." naming the field).
 */
int kubeconfig_parse(struct kubeconfig *out, const char *text, size_t len,
		     const char *context);
/** Wipe and free what k holds; k may be reused.  NULL accepted. */
void kubeconfig_clear(struct kubeconfig *k);

#endif
