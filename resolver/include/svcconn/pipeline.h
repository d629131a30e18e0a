/*
 * pipeline.h - a pipeline's connection references, found and resolved.
 *
 * svc_plan_build() reads an Azure Pipelines YAML file the way the service
 * compiles it (templates, parameters, template expressions, variables),
 * walks its stages, jobs and steps, and finds every place it names a service
 * connection: task inputs whose manifest type is connectedService:*,
 * repository, container, build, package and webhook resources, and inline
 * job containers.  Each reference is resolved against the store (by name,
 * case-insensitive, or id) and checked against the type and schemes the
 * input accepts.  Every problem is reported with file, line and column.
 */
#ifndef SVCCONN_PIPELINE_H
#define SVCCONN_PIPELINE_H

#include <stddef.h>
#include "catalog.h"
#include "errors.h"
#include "store.h"
#include "tasks.h"

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default)

/** Where a reference is written. */
typedef enum svc_ref_kind {
	SVC_REF_TASK_INPUT = 0,         /**< a task input */
	SVC_REF_RESOURCE_ENDPOINT,      /**< resources.repositories[].endpoint */
	SVC_REF_CONTAINER_ENDPOINT,     /**< a container's endpoint */
	SVC_REF_BUILD_CONNECTION,       /**< resources.builds[].connection */
	SVC_REF_PACKAGE_CONNECTION,     /**< resources.packages[].connection */
	SVC_REF_WEBHOOK_CONNECTION      /**< resources.webhooks[].connection */
} svc_ref_kind;

/** What became of a reference. */
typedef enum svc_ref_status {
	SVC_REF_RESOLVED = 0,       /**< a stored connection of the right type */
	SVC_REF_UNKNOWN_NAME,       /**< no connection of that name or id */
	SVC_REF_WRONG_TYPE,         /**< the connection's type is not accepted */
	SVC_REF_WRONG_SCHEME,       /**< its scheme is not among the accepted */
	SVC_REF_UNRESOLVED_VARIABLE,/**< written through an unknown variable or
				         a parameter without value */
	SVC_REF_NO_MANIFEST,        /**< the task has no manifest */
	SVC_REF_EXTERNAL_TEMPLATE   /**< behind a template of another repo */
} svc_ref_status;

/** One connection reference. */
typedef struct svc_ref {
	const char *file;        /**< file the value is written in */
	unsigned line;           /**< 1-based line of the value */
	unsigned column;         /**< 1-based column of the value */
	const char *path;        /**< YAML path of the step/resource in file */
	svc_ref_kind kind;       /**< where it is written */
	const char *task;        /**< Name@Major for task inputs, else NULL */
	const char *key;         /**< key as written in the YAML */
	const char *input;       /**< manifest input name (task inputs) */
	const char *written;     /**< the scalar as written */
	const char *value;       /**< after expansion (one name) */
	const char *accepts;     /**< accepted type, e.g. "AzureRM", or NULL */
	const char *schemes;     /**< accepted schemes "A,B", or NULL (any) */
	const char *stage;       /**< stage name, or NULL */
	const char *job;         /**< job name, or NULL (resources) */
	int step;                /**< step index in its job, or -1 */
	svc_ref_status status;   /**< the outcome */
	const char *message;     /**< why, when not resolved */
	const char *conn_id;     /**< the connection, when found */
	const char *conn_name;   /**< its name */
	const char *conn_type;   /**< its type */
	const char *conn_scheme; /**< its scheme */
	const char *alias;       /**< resource alias (resources), or NULL */
	const char *authz;       /**< with a pipeline name: "authorized",
				      "needs-permission" or "checks"; else NULL */
	const char *checks;      /**< the checks that will run, as
				      "kind:id,kind:id", or NULL */
} svc_ref;

/** A repository resource of the pipeline. */
typedef struct svc_plan_repo {
	const char *alias;  /**< the resource's alias */
	const char *type;   /**< github, git, bitbucket, ... */
	const char *name;   /**< repository name */
	const char *ref;    /**< ref, or NULL */
} svc_plan_repo;

#define SVC_PLAN_OPTIONS_VERSION 1

typedef struct svc_plan_options {
	unsigned version;              /**< SVC_PLAN_OPTIONS_VERSION */
	const char *file;              /**< the pipeline file */
	const char *pipeline;          /**< pipeline name (authorization) */
	const char *branch;            /**< the run's branch, refs/heads/... */
	const char *const *vars;       /**< "NAME=VALUE" variables */
	size_t nvars;                  /**< entries in vars */
	const char *const *task_dirs;  /**< directories of task manifests */
	size_t ntask_dirs;             /**< entries in task_dirs */
	unsigned flags;                /**< SVC_PLAN_* */
} svc_plan_options;

/**
 * Decide conditionals with the parameters' defaults, as a run does (without
 * it, plan expands every branch of a conditional list item on the file's
 * own parameters: see docs/pipelines.md).
 */
#define SVC_PLAN_EXACT 0x1u
/**
 * Fetch the templates of other repositories (path@alias) as the service
 * does: through the repository resource's endpoint connection (read from
 * the store with its secrets, given to git from memory), at its ref, into
 * $SVCCONN_HOME/cache/templates/<hash of url>/<commit>/.  Without it, such a
 * template is a warning and what the pipeline passes to it inline is
 * checked.
 */
#define SVC_PLAN_FETCH 0x2u
/**
 * Leave out what would gate each reference (svc_ref's authz and checks
 * stay NULL even with a pipeline name): for a job, whose gate reads and
 * decides it itself, so it is not read twice.
 */
#define SVC_PLAN_NO_AUTHZ 0x4u

typedef struct svc_plan svc_plan;

/**
 * One file of a pipeline planned somewhere else than where it is written
 * (svc_ops_plan: a server planning what a client sent): its path,
 * relative, normalised ("t/x.yml", no "..", no "./"), and its bytes.
 */
typedef struct svc_plan_file {
	const char *path;   /**< relative path, as the pipeline names it */
	const char *text;   /**< its contents (not NUL-terminated) */
	size_t len;         /**< bytes in text */
} svc_plan_file;

/**
 * Build the plan of a pipeline.  st may be NULL (nothing resolves then).
 * Returns 0 when the plan was built (whatever it found: see
 * svc_plan_ok()), or an error code when it could not be built at all.
 */
int svc_plan_build(svc_plan **out, const svc_plan_options *opts,
		   svc_store *st, const svc_catalog *cat);
void svc_plan_free(svc_plan *p);
size_t svc_plan_ref_count(const svc_plan *p);
const svc_ref *svc_plan_ref_at(const svc_plan *p, size_t i);
const svc_diags *svc_plan_diags(const svc_plan *p);
/** The task manifests the plan was built with (svc_tasks_load_path()). */
const svc_tasks *svc_plan_tasks(const svc_plan *p);
/** 1 when every reference resolved and no diagnostic is an error. */
int svc_plan_ok(const svc_plan *p);
/** The plan as JSON ({"references": [...], "diagnostics": [...]}). */
char *svc_plan_json(const svc_plan *p);
/**
 * 1 when job (of stage; NULL for a pipeline without stages) uses the
 * resource alias: checkout, container or services.
 */
int svc_plan_job_uses(const svc_plan *p, const char *stage, const char *job,
		      const char *alias);
/** 1 when the pipeline has a job of that name (in stage). */
int svc_plan_has_job(const svc_plan *p, const char *stage, const char *job);
/** The pipeline's extends template as written ("path@alias"), or NULL. */
const char *svc_plan_extends(const svc_plan *p);
size_t svc_plan_repo_count(const svc_plan *p);
const svc_plan_repo *svc_plan_repo_at(const svc_plan *p, size_t i);
/** lockBehavior of stage (or the pipeline): 1 for sequential. */
int svc_plan_lock_sequential(const svc_plan *p, const char *stage);

/** A step of a job, as the run will execute it. */
typedef struct svc_plan_step {
	const char *stage;     /**< stage name, or NULL */
	const char *job;       /**< job name */
	int index;             /**< position in the job (deployment hooks in
				    order: preDeploy, deploy, ...) */
	const char *name;      /**< the step's `name:`, or NULL */
	const char *display;   /**< displayName, or NULL */
	const char *kind;      /**< task, script, bash, pwsh, powershell,
				    checkout, download, publish, other */
	const char *task;      /**< Name@Major (manifest's spelling), or NULL */
	const char *task_dir;  /**< the manifest's directory, or NULL */
	const char *handler;   /**< the handler run chooses (Node20_1, Node16,
				    Node10, Node, Bash), or NULL */
	const char *target;    /**< the handler's target file, or NULL */
	const char *body;      /**< script text or checkout target */
	const char *const *input_names;  /**< inputs by the manifest's names */
	const char *const *input_values; /**< their values, $(var) expanded */
	size_t ninputs;        /**< entries in the two arrays */
	const char *pre_handler;  /**< the handler of the task's
				       prejobexecution run chooses, or NULL */
	const char *pre_target;   /**< its target file, or NULL */
	const char *post_handler; /**< the same for postjobexecution */
	const char *post_target;  /**< its target file, or NULL */
	const char *const *env_names;  /**< its env: mapping, names as written */
	const char *const *env_values; /**< values as written (the run expands
					    their macros) */
	size_t nenv;           /**< entries in the two arrays */
	const char *condition; /**< condition: as written (after ${{ }}), or
				    NULL: succeeded() */
	const char *condition_file; /**< the file the step is written in */
	unsigned condition_line;    /**< line of its condition (or the step) */
	int continue_on_error; /**< continueOnError: true */
	int disabled;          /**< enabled: false */
	const char *workdir;   /**< workingDirectory: as written (the run
				    expands its macros), or NULL */
} svc_plan_step;

size_t svc_plan_step_count(const svc_plan *p);
const svc_plan_step *svc_plan_step_at(const svc_plan *p, size_t i);
/**
 * The variables of job (of stage; NULL for a pipeline without stages) as
 * Azure merges them: the pipeline's, the stage's and the job's, the
 * nearest winning, and the plan's vars (--var, queue-time) over all;
 * variable templates included, variable groups not (svcconn cannot read
 * them).  Values as written: macros are expanded at run time, with the
 * predefined variables.  The arrays (*n entries) belong to the plan.
 * SVC_ENOTFOUND when there is no such job.
 */
int svc_plan_job_vars(const svc_plan *p, const char *stage, const char *job,
		      const char *const **names, const char *const **values,
		      size_t *n);

/** "resolved", "unknown-name", ... */
const char *svc_ref_status_name(svc_ref_status s);
/** "task-input", "resource-endpoint", ... */
const char *svc_ref_kind_name(svc_ref_kind k);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
