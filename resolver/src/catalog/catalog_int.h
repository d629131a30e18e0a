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

#endif
