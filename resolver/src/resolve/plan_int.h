/*
 * plan_int.h - the plan object shared by the model walk (pipeline/model.c),
 * which adds references, and resolution (resolve/plan.c), which resolves
 * them.
 */
#ifndef SVC_PLAN_INT_H
#define SVC_PLAN_INT_H

#include <jansson.h>

#include "svcconn/authz.h"
#include "svcconn/pipeline.h"
#include "svcconn/tasks.h"
#include "exchange/yaml_doc.h"
#include "pipeline/template.h"

/* When a stage or job runs: what it depends on, and its condition. */
struct plan_ctl {
	const char *condition; /**< condition: as written, or NULL */
	const char *file;      /**< file of the condition (or of the item) */
	unsigned line;         /**< its line */
	const char **depends;  /**< dependsOn: names (the plan's strings) */
	size_t ndepends;       /**< entries in depends */
	int depends_set;       /**< dependsOn was written (even as []) */
	int continue_on_error; /**< continueOnError: true (jobs) */
};

/* A job of the pipeline and the resources it uses. */
struct plan_job {
	const char *stage;     /**< stage name, or NULL */
	const char *job;       /**< job name */
	const char **aliases;  /**< resource aliases it uses */
	size_t naliases;       /**< entries in aliases */
	const char **var_names;  /**< its variables, merged (plan_job_vars) */
	const char **var_values; /**< their values as written */
	size_t nvars;          /**< entries in the two arrays */
	struct plan_ctl ctl;   /**< when it runs */
};

/* A stage of the pipeline. */
struct plan_stage {
	const char *name;      /**< its name */
	struct plan_ctl ctl;   /**< when it runs */
};

/* lockBehavior set on a stage (stage NULL: the pipeline). */
struct plan_lock {
	const char *stage;     /**< stage name, or NULL */
	int sequential;        /**< 1 for sequential */
};

struct svc_plan {
	svc_ref *refs;        /**< references in the order found */
	size_t nrefs;         /**< entries used */
	size_t arefs;         /**< entries allocated */
	char **strs;          /**< strings the references point to */
	size_t nstrs;         /**< entries used */
	size_t astrs;         /**< entries allocated */
	svc_diags *diags;     /**< problems found */
	svc_tasks *tasks;     /**< task manifests */
	tpl_ctx *tpl;         /**< the expanded pipeline */
	svc_conn **conns;     /**< the store's connections */
	size_t nconns;        /**< entries in conns */
	struct plan_job *jobs;/**< the pipeline's jobs */
	size_t njobs;         /**< entries in jobs */
	svc_plan_repo *repos; /**< repository resources */
	size_t nrepos;        /**< entries in repos */
	struct plan_lock *locks; /**< lockBehavior settings */
	size_t nlocks;        /**< entries in locks */
	const char *extends;  /**< extends template, or NULL */
	svc_plan_step *steps; /**< every step of every job */
	size_t nsteps;        /**< entries in steps */
	struct plan_stage *stages; /**< the stages, in order */
	size_t nstages;       /**< entries in stages */
};

/** Record a job, the resources it uses and when it runs (ctl's array is
 * copied, its strings must be the plan's). */
int plan_add_job(svc_plan *p, const char *stage, const char *job,
		 const char *const *aliases, size_t naliases,
		 const struct plan_ctl *ctl);
/** Record a stage and when it runs, as plan_add_job(). */
int plan_add_stage(svc_plan *p, const char *name, const struct plan_ctl *ctl);
/** The variables of the job added last: d's names and values as written. */
struct macro_dict;
int plan_job_vars(svc_plan *p, const struct macro_dict *d);
int plan_add_repo(svc_plan *p, const svc_plan_repo *r);
int plan_add_lock(svc_plan *p, const char *stage, int sequential);
/** Record a step; its strings must be owned by the plan, the input
 * and env arrays are copied. */
int plan_add_step(svc_plan *p, const svc_plan_step *s);

/**
 * What a plan resolves against, given by its caller: the local store's
 * connections its references name (svc_plan_build, through find), or
 * those a principal may read (svc_ops_plan, in conns).
 */
struct plan_input {
	svc_conn **conns;     /**< the connections a reference may name;
				   plan_build takes them (freed with the
				   plan, or on failure) */
	size_t nconns;        /**< entries in conns */
	/** Instead of conns (NULL: conns is all there is): the connections
	 * keys name (names or ids; a key naming none left out) or, keys
	 * NULL, every one, into a list plan_build takes
	 * (svc_store_conn_list_free); called once with the references'
	 * values, and once more without keys when one of them names none,
	 * for the message's suggestions */
	int (*find)(svc_conn ***out, size_t *n, const char *const *keys,
		    size_t nkeys, void *data);
	/** With a pipeline name: whether conn_id allows it and its checks
	 * (svc_checks_free); SVC_EDENIED shows nothing; NULL: no
	 * authorization is shown */
	int (*authorize)(int *allowed, svc_check **checks, size_t *n,
			 const char *conn_id, const char *pipeline,
			 void *data);
	void *data;           /**< passed to authorize and find */
	svc_store *fetch_store; /**< endpoint connections of SVC_PLAN_FETCH,
				     or NULL */
	const tpl_source *source; /**< the pipeline's files, or NULL: the
				       file system */
};

/** Build the plan of o against in (svc_plan_build's work). */
int plan_build(svc_plan **out, const svc_plan_options *o,
	       const struct plan_input *in, const svc_catalog *cat);
/** The expansion options of o, as the plan expands (no fetch, no source). */
void plan_tpl_options(tpl_options *to, const svc_plan_options *o);

/**
 * A plan made again from v, svc_plan_json's document (a server's answer):
 * its references and diagnostics, as svc_plan_json, svc_plan_ok and the
 * reference and diagnostic calls give them; nothing else is in it.
 * SVC_ERROR when v is not such a document.
 */
int plan_from_json(svc_plan **out, json_t *v);

/** A copy of s owned by the plan (NULL for NULL); NULL on no memory. */
const char *plan_str(svc_plan *p, const char *s);
/** Append a reference; its strings must be owned by the plan. */
int plan_add_ref(svc_plan *p, const svc_ref *r);

/**
 * Walk the expanded pipeline root: find every connection reference, expand
 * $(var) macros with the stage and job scopes, and add the references to
 * the plan with status SVC_REF_RESOLVED (not yet checked) or
 * SVC_REF_UNRESOLVED_VARIABLE.  vars are the --var values.
 */
int model_walk(svc_plan *p, const ynode *root, const char *const *vars,
	       size_t nvars);

#endif
