/*
 * job.h - a job's start and end: the hooks an existing build agent calls.
 *
 * svc_job_start() plans the pipeline exactly as the run will compile it,
 * finds the connections the job uses (its task inputs, and the resources
 * its checkout, container and services name) and those its stage uses,
 * gates the stage (pipeline permissions, checks, exclusive locks) and, when
 * granted, writes the job's state into the job directory (mode 0700, files
 * 0600).  svc_job_end() records the job's result in the usage history,
 * releases its locks and removes its state.
 */
#ifndef SVCCONN_JOB_H
#define SVCCONN_JOB_H

#include <stddef.h>
#include "authz.h"
#include "catalog.h"
#include "errors.h"
#include "inject.h"
#include "mask.h"
#include "pipeline.h"
#include "store.h"

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default)

#define SVC_JOB_OPTIONS_VERSION 1

/**
 * The version of the Azure Pipelines agent whose contract svcconn follows
 * (Agent.Version): the newest minimumAgentVersion among Microsoft's tasks.
 */
#define SVC_AGENT_VERSION "4.248.0"
/** A local store's one project (System.TeamProject). */
#define SVC_LOCAL_PROJECT "default"
/**
 * System.CollectionUri of a job without a server: a name that resolves
 * nowhere (RFC 2606), so a task that calls it fails at once.
 */
#define SVC_LOCAL_COLLECTION_URI "https://svcconn.invalid/local/"

typedef struct svc_job_options {
	unsigned version;              /**< SVC_JOB_OPTIONS_VERSION */
	const char *pipeline_file;     /**< the pipeline YAML */
	const char *pipeline;          /**< pipeline name */
	const char *stage;             /**< stage, or NULL (no stages) */
	const char *job;               /**< job name */
	const char *run_id;            /**< run id */
	const char *branch;            /**< the run's branch */
	const char *requested_by;      /**< who queued the run */
	const char *const *vars;       /**< "NAME=VALUE" */
	size_t nvars;                  /**< entries in vars */
	const char *const *task_dirs;  /**< task manifest directories */
	size_t ntask_dirs;             /**< entries in task_dirs */
	const char *job_dir;           /**< the job's private directory */
	const char *reason;            /**< Build.Reason: NULL "Manual";
					    "PullRequest" for a fork's */
	int steps_see_store;           /**< 1: run the job's steps without
					    the sandbox, as the store's own
					    user, where they can read the
					    store, the key and other jobs (the
					    operator's explicit choice; see
					    docs/security.md) */
} svc_job_options;

typedef struct svc_job svc_job;

/**
 * Start a job.  Returns 0 with *out set whatever the gate decided (see
 * svc_job_gate()); SVC_EINVALID with the problems in svc_job_diags() (then
 * *out is set too) when the pipeline, stage or job is invalid or a
 * reference of the job does not resolve.
 */
int svc_job_start(svc_job **out, const svc_job_options *o, svc_store *st,
		  const svc_catalog *cat);
/**
 * Adopt a job that svcconn-server started and granted (svc_remote.h's
 * svc_remote_job_start): the same sandbox check and job directory as
 * svc_job_start, holding the server's record (steps, variables,
 * connection ids; never a secret) under the server's job id, project and
 * collection URI, and the server's OIDC request URI when it gave one
 * (SYSTEM_OIDCREQUESTURI; may be NULL).  Its connections' secrets are
 * only in the job's broker (svc_broker_options.endpoints); every step
 * asks it.
 */
int svc_job_adopt(const svc_job_options *o, const char *record,
		  const char *job_id, const char *collection_uri,
		  const char *project, const char *oidc_request_uri);
/**
 * The server's id of the job in job_dir and the URL of its project on
 * that server (https://host/ORG/PROJECT), new strings; id and url may be
 * NULL to ask only.  0 for a job svcconn-server started; 1 for a local
 * job (the store's; id and url untouched); SVC_ENOTFOUND when no job runs
 * in job_dir (it has ended, or none was started there); another error
 * for a record that cannot be read.
 */
int svc_job_server_id(char **id, char **url, const char *job_dir);
void svc_job_free(svc_job *j);
/** The gate's report, or NULL when the job was invalid. */
const svc_gate_report *svc_job_gate(const svc_job *j);
/** The plan of the pipeline. */
const svc_plan *svc_job_plan(const svc_job *j);
/** Problems found (invalid pipeline, unresolved references...). */
const svc_diags *svc_job_diags(const svc_job *j);
/** 1 when the job holds an exclusive lock (it must be kept alive). */
int svc_job_holds_lock(const svc_job *j);
/** The lock holder name of the job's stage ("pipeline/run/stage"). */
const char *svc_job_holder(const svc_job *j);

/**
 * End a job: record result (Succeeded, SucceededWithIssues, Failed,
 * Canceled, Skipped, Abandoned) for its connections, release its locks,
 * remove its state and its temporary directory (job_dir/tmp, with what
 * its tasks wrote there) from job_dir.  st NULL (a job of svcconn-server,
 * whose server records the result): the job directory's part only.
 */
int svc_job_end(svc_store *st, const char *job_dir, const char *result);

/**
 * The job-level environment of the job started in job_dir: AGENT_, BUILD_
 * and SYSTEM_ variables (no secret; what an agent's job hook exports).
 */
int svc_job_env(svc_env **out, const char *job_dir);

/**
 * The environment of a step (its index in the job, or its name) of the job
 * started in job_dir: a fresh array with SYSTEM_, BUILD_ and AGENT_ variables,
 * AGENT_TEMPDIRECTORY (job_dir/tmp, mode 0700), INPUT_<NAME> for each input
 * (a connection input holds the connection ids; macros expanded with the
 * pipeline's variables, as the plan did: svc_step_exec() adds the job's
 * variables and expands the inputs' macros with the run's) and, for each
 * connection the step's own inputs reference and no other, the ENDPOINT_*
 * variables with its secrets.  Free with svc_env_free(), which wipes them.
 */
int svc_job_step_env(svc_env **out, svc_store *st, const char *job_dir,
		     const char *step);

/**
 * svc_job_step_env(), and every secret of the step's connections (and
 * their basic-auth pairs) registered with masker m (may be NULL).
 */
int svc_job_step_prepare(svc_env **out, svc_masker *m, svc_store *st,
			 const char *job_dir, const char *step);

/** 1 when connection id was granted to the job in job_dir. */
int svc_job_has_connection(const char *job_dir, const char *id);

/**
 * Where job directories live: $SVCCONN_JOBS_DIR, else
 * $XDG_RUNTIME_DIR/svcconn/jobs, else /tmp/svcconn-<uid>/jobs; never in
 * the store.  Created private (0700) when missing; one that another user
 * owns, or that others can reach, is refused.  *out is a new string.
 */
int svc_jobs_root(char **out);

/**
 * 0 when steps can run in their sandbox here (bubblewrap found and able
 * to start one); else an error whose message says why.
 */
int svc_step_sandbox_check(void);

/** Renew the exclusive-lock leases of the job in job_dir. */
int svc_job_renew(svc_store *st, const char *job_dir);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
