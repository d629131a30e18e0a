/*
 * pipedef_int.h - registered pipelines below the policy: the ops layer
 * (ops/ops_pipedef.c) decides who may; these only act.
 */
#ifndef SVC_PIPELINE_PIPEDEF_INT_H
#define SVC_PIPELINE_PIPEDEF_INT_H

#include "svcconn/pipedef.h"
#include "svcconn/store.h"

/** Check and store a registration; audited under actor. */
int pipedef_register(svc_store *st, const char *name, const char *connection,
		     const char *url, const char *path, const char *branch,
		     const char *actor);
/** Every registration (name NULL) or the one named, by name. */
int pipedef_list(svc_pipedef **out, size_t *count, svc_store *st,
		 const char *name);
/** Remove a registration; audited under actor. */
int pipedef_remove(svc_store *st, const char *name, const char *actor);
/** The YAML of a registered pipeline (svc_ops_pipeline_source). */
int pipedef_source(char **yaml, size_t *len, char **origin, svc_store *st,
		   const char *pipeline, const char *commit);

#endif
