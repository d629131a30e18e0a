/*
 * planutil.h - building a store and plans for the pipeline tests.
 */
#ifndef SVC_PLANUTIL_H
#define SVC_PLANUTIL_H

#include <svcconn/svcconn.h>
#include <svcconn/pipeline.h>

/* A store in a new temporary directory; *dir receives it (caller frees). */
svc_store *pu_store(char **dir);
/*
 * Store a connection of a type and scheme with no fields (the plan only
 * reads identity, type and scheme).  id may be NULL.
 */
void pu_conn(svc_store *st, const char *name, const char *type,
	     const char *scheme, const char *id);
/* Plan file with the shared task manifests and vars (NULL-ended). */
svc_plan *pu_plan(svc_store *st, const svc_catalog *cat, const char *file,
		  const char *const *vars);
/* The reference whose file ends with file_suffix at line, key; or NULL. */
const svc_ref *pu_find(const svc_plan *p, const char *file_suffix,
		       unsigned line, const char *key);
/* 1 when some diagnostic's message contains text. */
int pu_diag_has(const svc_plan *p, const char *text);

#endif
