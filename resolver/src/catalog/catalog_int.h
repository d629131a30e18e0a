/*
 * catalog_int.h - the built-in type table, shared by catalog.c and
 * catalog_data.c.
 */
#ifndef SVC_CATALOG_INT_H
#define SVC_CATALOG_INT_H

#include <stddef.h>
#include <jansson.h>
#include "svcconn/catalog.h"

/**
 * t as Azure DevOps' ServiceEndpointType with svcconn's members
 * (type_json.c): what svcconn-server serves and `svcconn types` prints.
 */
json_t *catalog_type_json(const svc_type *t);

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
 * with *why set (and for a pattern, *at, when not NULL, the byte of the
 * pattern where the problem is).
 */
int catalog_validator_arg_ok(svc_validator v, const char *arg,
			     const char **why, size_t *at);

/**
 * Load the custom type definitions: every *.yml and *.yaml file of
 * $SVCCONN_HOME/types, then of each directory in SVCCONN_TYPES_PATH
 * (':'-separated), then of the installed definitions' directory; the first
 * definition of an id wins.  *types gets a new array of *n types (free
 * with catalog_custom_free).  A definition that cannot be used (not a
 * regular file, unreadable, malformed) is skipped, with its problems in
 * diags as warnings (file, line, reason); only running out of memory
 * fails the load.  (svc_catalog_new() skips a built-in id likewise.)
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

/* ---- regex.c: the catalog's regular expressions ---- */

/** Longest pattern, in bytes. */
#define CATRE_MAX_PATTERN 1024
/** Most instructions a pattern compiles to, repeats counted out. */
#define CATRE_MAX_PROG 2000
/** Largest count of a repeat {n,m}. */
#define CATRE_MAX_REPEAT 255
/** Deepest nesting of groups. */
#define CATRE_MAX_DEPTH 32
/** Longest value matched against a pattern; a longer one does not match. */
#define CATRE_MAX_VALUE ((size_t)64 * 1024)

/** A compiled pattern. */
typedef struct catre catre;

/**
 * Compile pattern (POSIX ERE, C locale, bytes; docs/custom-types.md) into
 * *out, refusing what is over the bounds above before building anything.
 * 0; SVC_EINVALID with *why (static text) and *at (the byte of the
 * pattern where it was found); SVC_ERROR when out of memory.
 */
int catre_compile(catre **out, const char *pattern, const char **why,
		  size_t *at);
/**
 * 1 when re matches the whole of s (len bytes), 0 when not (or when len
 * is over CATRE_MAX_VALUE), SVC_ERROR out of memory.  Time O(len x
 * program size), memory O(program size).
 */
int catre_match(const catre *re, const char *s, size_t len);
void catre_free(catre *re);

/** Free what a custom type holds (its schemes, fields and strings). */
void catalog_custom_clear(svc_type *t);
/** Clear n custom types and free the array. */
void catalog_custom_free(svc_type *types, size_t n);

#endif
