/*
 * inject.h - a step's environment, built fresh, the way the Azure Pipelines
 * agent hands connections to tasks.
 *
 * Per connection <id> (the id as written, lower case with dashes):
 * ENDPOINT_URL_<id>, ENDPOINT_AUTH_<id> (JSON {"parameters": {...},
 * "scheme": ...}, key case preserved), ENDPOINT_AUTH_SCHEME_<id>,
 * ENDPOINT_AUTH_PARAMETER_<id>_<KEY>, ENDPOINT_DATA_<id> (JSON of the
 * non-secret data fields) and ENDPOINT_DATA_<id>_<KEY> (every data field:
 * an SSH private key travels here, as tasks expect); <KEY> is upper-cased
 * with '.' and ' ' turned into '_'.  Inputs are INPUT_<NAME> the same way.
 * The array is built in memory for execve/posix_spawn: nothing is ever
 * set in svcconn's own environment, and every value is wiped when the
 * environment is freed.
 */
#ifndef SVCCONN_INJECT_H
#define SVCCONN_INJECT_H

#include <stddef.h>
#include "conn.h"
#include "errors.h"

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default)

typedef struct svc_env svc_env;

int svc_env_new(svc_env **out);
/** Wipes every value, then frees; NULL is accepted. */
void svc_env_free(svc_env *e);
/**
 * Set NAME=value (replacing an earlier value).  NAME must be letters,
 * digits, '_', '.' or '-' (not starting with a digit); value may not
 * contain NUL.
 */
int svc_env_set(svc_env *e, const char *name, const char *value);
/** Copy name from the current environment, if it is set there. */
int svc_env_inherit(svc_env *e, const char *name);
/** INPUT_<NAME>=value, NAME transformed as the agent does. */
int svc_env_set_input(svc_env *e, const char *name, const char *value);
/** Every ENDPOINT_* variable of connection c (loaded with its secrets). */
int svc_env_add_conn(svc_env *e, const svc_conn *c);
/** The value of name, or NULL. */
const char *svc_env_get(const svc_env *e, const char *name);
/** The NULL-terminated "NAME=value" array, valid until e changes. */
char *const *svc_env_array(const svc_env *e);
/** "<NAME upper-cased, '.' and ' ' as '_'>" into out[size]. */
int svc_env_key(char *out, size_t size, const char *name);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
