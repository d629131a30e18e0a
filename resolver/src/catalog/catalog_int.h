/*
 * catalog_int.h - the built-in type table, shared by catalog.c and
 * catalog_data.c.
 */
#ifndef SVC_CATALOG_INT_H
#define SVC_CATALOG_INT_H

#include <stddef.h>
#include "svcconn/catalog.h"

/** The built-in types, in alphabetical order of display name. */
extern const svc_type catalog_builtin_types[];
/** Number of entries in catalog_builtin_types. */
extern const size_t catalog_builtin_count;

/**
 * Check a kubeconfig (YAML text) and, when context is not NULL, that a
 * context of that name is present.  Sets *why on failure.
 */
int catalog_check_kubeconfig(const char *text, size_t len,
			     const char *context, const char **why);

/**
 * Check the argument of validator v (an enumeration's values, a regular
 * expression, length bounds; none for the others).  0, or SVC_EINVALID
 * with *why set.
 */
int catalog_validator_arg_ok(svc_validator v, const char *arg,
			     const char **why);

/**
 * Load the custom type definitions: every *.yml and *.yaml file of
 * $SVCCONN_HOME/types, then of each directory in SVCCONN_TYPES_PATH
 * (':'-separated), then of the installed definitions' directory; the first
 * definition of an id wins.  *types gets a new array of *n types (free
 * with catalog_custom_free).  A malformed definition, or one that
 * redefines a built-in type, fails the whole load with its file, line and
 * reason in diags (and svc_error_last()).
 */
int catalog_custom_load(svc_type **types, size_t *n, svc_diags *diags);

/**
 * Read one definition file into *t (release with catalog_custom_clear).
 * SVC_EINVALID with every problem (file, line, field) in diags.
 */
int catalog_custom_read(svc_type *t, const char *path, svc_diags *diags);

/** Like catalog_custom_read, for the definition text (len bytes) of path. */
int catalog_custom_parse(svc_type *t, const char *path, const char *text,
			 size_t len, svc_diags *diags);

/** Free what a custom type holds (its schemes, fields and strings). */
void catalog_custom_clear(svc_type *t);
/** Clear n custom types and free the array. */
void catalog_custom_free(svc_type *types, size_t n);

#endif
