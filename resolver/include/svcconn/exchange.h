/*
 * exchange.h - export connections to YAML and import them back.
 *
 * The format is one YAML document:
 *
 *   apiVersion: svcconn/v1
 *   connections:
 *     - name: prod-registry
 *       id: 0b6f...            (optional on import)
 *       type: dockerregistry
 *       scheme: UsernamePassword
 *       url: https://hub.docker.com/
 *       description: ...
 *       allPipelines: false
 *       auth: {registry: ..., username: ..., password: ...}
 *       data: {registrytype: Others}
 *
 * Without SVC_EXPORT_SECRETS, secret fields are left out entirely.  Import
 * parses and validates every entry before anything is written, and reports
 * every problem with its file and line.
 */
#ifndef SVCCONN_EXCHANGE_H
#define SVCCONN_EXCHANGE_H

#include <stddef.h>
#include "catalog.h"
#include "conn.h"
#include "errors.h"

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default)

#define SVC_EXPORT_SECRETS 0x1u /**< include secret values */

/**
 * Write conns as YAML into a new NUL-terminated buffer *out (length *len).
 * With SVC_EXPORT_SECRETS the caller must wipe the buffer: use
 * svc_secret_free(*out, *len).
 */
int svc_export_yaml(char **out, size_t *len, svc_conn *const *conns,
		    size_t count, unsigned flags);

/**
 * Parse an export document (text of len bytes, named file in diagnostics)
 * into validated connections.  On any problem, every problem is in diags,
 * nothing is returned and the result is SVC_EINVALID.
 */
int svc_import_yaml(svc_conn ***out, size_t *count, const char *file,
		    const char *text, size_t len, const svc_catalog *cat,
		    svc_diags *diags);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
