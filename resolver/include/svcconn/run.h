/*
 * run.h - running a pipeline on this machine (`svcconn-agent run`).
 *
 * Stage by stage, job by job, step by step: each job is gated like an
 * agent's job (pipeline permissions, checks), each step runs in a fresh
 * environment with the connections its own inputs reference.  Output and
 * events go to the caller's callbacks, which mask and print them.
 */
#ifndef SVCCONN_RUN_H
#define SVCCONN_RUN_H

#include <signal.h>
#include <stddef.h>
#include "catalog.h"
#include "errors.h"
#include "inject.h"
#include "job.h"
#include "mask.h"
#include "store.h"

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default)

/**
 * Variables a job's steps set, in memory only: secret ones
 * (task.setvariable issecret=true) passed to the later steps of the job as
 * SECRET_<NAME> with VSTS_SECRET_VARIABLES naming them, and masked; public
 * ones (without issecret) as <NAME> (upper-cased, '.' and ' ' turned into
 * '_') with VSTS_PUBLIC_VARIABLES naming them, unless the step has that
 * variable already; the values they mask (task.setsecret), masked in the
 * later steps too; and the endpoint changes (task.setendpoint) they make.  `svcconn-agent run` keeps them for the
 * job; steps run one by one through the hooks keep them with the job's
 * broker (svc_step_vars_load/save).
 */
typedef struct svc_step_vars svc_step_vars;

/** svc_step_vars_set_public(): the variable is a secret one already. */
#define SVC_STEP_VARS_SECRET SVC_MASK_EVENT_SECRET

int svc_step_vars_new(svc_step_vars **out);
/** Wipes the values, then frees; NULL is accepted. */
void svc_step_vars_free(svc_step_vars *v);
/**
 * Set a secret variable.  SVC_EINVALID for a name on the closed list
 * (docs/runtime.md: names that change how programs load, start or find
 * credentials, and the agent's own), compared in its environment form
 * (upper case, '.' and ' ' as '_').  A value the variable held before
 * stays masked in the later steps.
 */
int svc_step_vars_set(svc_step_vars *v, const char *name, const char *value,
		      size_t len);
/**
 * Set a public variable: a name of letters, digits, '_', '.' and ' ', and
 * not on the closed list (SVC_EINVALID).  One already secret stays secret:
 * then SVC_STEP_VARS_SECRET is returned, and the caller must mask the
 * value (svc_mask_event_fn's SVC_MASK_EVENT_SECRET does that).
 */
int svc_step_vars_set_public(svc_step_vars *v, const char *name,
			     const char *value, size_t len);
/**
 * Mask value in the job's later steps too (task.setsecret: the agent masks
 * it for the rest of the job).  An empty value is ignored, a repeated one
 * kept once.
 */
int svc_step_vars_add_secret(svc_step_vars *v, const char *value, size_t len);
/**
 * Record a task.setendpoint change (the caller has checked that id is a
 * connection of the job): later steps that have the connection see it.
 */
int svc_step_vars_endpoint(svc_step_vars *v, const char *id,
			   svc_mask_endpoint_field field, const char *key,
			   const char *value, size_t len);
/**
 * Put the variables into env, apply the endpoint changes to the
 * connections env has, and register the secret values with m.
 */
int svc_step_vars_apply(const svc_step_vars *v, svc_env *env,
			svc_masker *m);

/** Largest encoded step variables (1 MiB): what a job's broker keeps. */
#define SVC_STEP_VARS_MAX (1024u * 1024u)

/**
 * Encode v as one line of text, no CR, LF or NUL: "svcvars1", then for
 * each variable " v:NAME:VALUE" (secret) or " p:NAME:VALUE" (public), or
 * for an output variable (NAME "step.name") " x:NAME:VALUE" (secret) or
 * " o:NAME:VALUE" (public),
 * then for each task.setsecret value " s:VALUE", then for each endpoint
 * change, in order,
 * " e:ID:F:KEY:VALUE" with F "a" (authParameter), "d" (dataParameter) or
 * "u" (url, KEY empty); every NAME, VALUE, ID and KEY in lower-case hex.
 * *out is a new string of *len bytes, to free with svc_secret_free.
 * SVC_EINVALID when it would be longer than SVC_STEP_VARS_MAX.
 */
int svc_step_vars_encode(char **out, size_t *len, const svc_step_vars *v);
/**
 * New step variables from the len bytes of text svc_step_vars_encode()
 * made; "" is none.  SVC_EINVALID when the text is malformed in any way
 * (nothing of it is kept).
 */
int svc_step_vars_decode(svc_step_vars **out, const char *text, size_t len);
/**
 * The step variables the broker of the job in job_dir keeps for its steps
 * run one by one (svcconn-agent step): none before a step saved any.
 * *out is set to NULL, and 0 returned, when no broker serves the job.
 */
int svc_step_vars_load(svc_step_vars **out, const char *job_dir);
/** Give v to the broker of the job in job_dir for the job's later steps. */
int svc_step_vars_save(const svc_step_vars *v, const char *job_dir);

/** A step's output after masking; fd is 1 or 2. */
typedef void (*svc_step_output_fn)(void *ctx, int fd, const char *data,
				   size_t len);

/**
 * Run argv as step `step` (index or name) of the job in job_dir, in its
 * fresh environment, in workdir (NULL: here): the job's variables and
 * vars' in it, its inputs and env: with their $(name) macros expanded the
 * agent's way (docs/runtime.md); both outputs go through the
 * masker of the step's secrets (and vars'), logging commands on standard
 * output and standard error are processed (setsecret, setvariable, secret
 * or not, output ones as "stepname.name" (the closed list of names
 * refused), and
 * setendpoint, for a connection of the job, into vars), the others pass
 * through for the agent that runs the step (svc_pipeline_run() acts on
 * them itself, see docs/runtime.md), and the masked output goes to
 * output.
 * *status is the child's wait status; a step that exited 0 but said it
 * failed (task.complete result=Failed or Cancelled, as tasks' setResult
 * does) gets the status of an exit 1.
 */
int svc_step_exec(int *status, svc_store *st, const char *job_dir,
		  const char *step, char *const argv[], const char *workdir,
		  svc_step_vars *vars, svc_step_output_fn output, void *ctx);

#define SVC_STEP_OPTIONS_VERSION 1

/** What svc_step_exec_ext() adds to svc_step_exec(). */
typedef struct svc_step_options {
	unsigned version;              /**< SVC_STEP_OPTIONS_VERSION */
	/**
	 * When *cancel becomes non-zero (a signal handler sets it), the
	 * step is canceled: every process of it is killed, and its status
	 * is that of SIGKILL.  NULL: never.
	 */
	const volatile sig_atomic_t *cancel;
	/**
	 * The job's SystemVssConnection token (SVC_BROKER_TOKEN_HEX hex
	 * digits, svcconn-agent run's, in its memory), or NULL: the one the
	 * job's broker keeps (svc_broker_system_token), or, without a
	 * broker, a new one for this step.
	 */
	const char *system_token;
	/**
	 * The calling agent's own variables, "NAME=VALUE" (the hooks pass
	 * them on; docs/runtime.md): a name on the closed list of
	 * svc_step_vars_set() is refused (SVC_EINVALID), but for the agent's
	 * predefined groups (AGENT_, BUILD_, COMMON_, PIPELINE_, RELEASE_,
	 * SYSTEM_, TASK_, TF_BUILD); svcconn's own variables win, but for the
	 * stand-ins of the run's identity (the collection URI, the project,
	 * the run's and job's ids, ...), where the agent's real value does.
	 * SYSTEM_ACCESSTOKEN is masked, and with the collection URI it is the
	 * step's SystemVssConnection.
	 */
	const char *const *pass_env;
	size_t npass_env;              /**< entries in pass_env */
	int pass_agent_env;            /**< 1: also the variables of the
					    agent's predefined groups in our
					    own environment (pass_env wins) */
} svc_step_options;

/**
 * 0 when the hooks may pass the calling agent's variable name on to a
 * step (svc_step_options.pass_env): upper-case letters, digits and '_',
 * and not on the closed list but for the agent's predefined groups;
 * SVC_EINVALID (the message says why) otherwise.
 */
int svc_step_pass_env_allowed(const char *name);

/** svc_step_exec() with options (xo may be NULL). */
int svc_step_exec_ext(int *status, svc_store *st, const char *job_dir,
		      const char *step, char *const argv[], const char *workdir,
		      svc_step_vars *vars, const svc_step_options *xo,
		      svc_step_output_fn output, void *ctx);

/**
 * Start the sandbox the steps of the job in job_dir share (see
 * docs/runtime.md), with its launcher: `exe step-launcher --fd 3` as its
 * PID 1 (exe calls svc_step_launcher_serve(3)), listening on
 * job_dir/launcher.sock, which steps cannot see.  It is a child of the
 * caller (*pid, may be NULL, is bubblewrap's) and dies with it.
 * svc_step_exec() then starts the job's steps in it, but for those that
 * reference an SSH connection (a sandbox of their own).
 */
int svc_step_launcher_start(long *pid, svc_store *st, const char *job_dir,
			    const char *exe);
/** Stop the job's launcher and whatever runs in its sandbox. */
int svc_step_launcher_stop(const char *job_dir);
/**
 * The launcher's loop, inside the sandbox: serve the requests of the
 * listening socket fd until one says stop.
 */
int svc_step_launcher_serve(int fd);

#define SVC_RUN_OPTIONS_VERSION 1

/**
 * Where a run's jobs start and end (svc_run_options.jobs): NULL is the
 * local store's (svc_job_start, svc_job_end); svcconn-agent's server
 * jobs are another.  The run loop is the same for both.
 */
typedef struct svc_run_jobs {
	/**
	 * Start the job jo describes (its job_dir exists, empty): *status the
	 * gate's answer; granted, the job's state is in jo->job_dir.  Says
	 * why a job is not granted through say(say_ctx, line).  0, or an
	 * error (SVC_EINVALID: the run's exit code is 2).
	 */
	int (*start)(void *ctx, svc_gate_status *status,
		     const svc_job_options *jo,
		     void (*say)(void *say_ctx, const char *line),
		     void *say_ctx);
	/** End the job of job_dir with result (an Azure result name). */
	int (*end)(void *ctx, const char *job_dir, const char *result);
	void *ctx;                     /**< passed to both */
	int own_system_token;          /**< 1: the job's broker holds its
					    SystemVssConnection token (a
					    server's job token): the run
					    makes none */
} svc_run_jobs;

typedef struct svc_run_options {
	unsigned version;              /**< SVC_RUN_OPTIONS_VERSION */
	const char *pipeline_file;     /**< the pipeline YAML */
	const char *pipeline;          /**< pipeline name */
	const char *run_id;            /**< run id */
	const char *branch;            /**< the run's branch, or NULL */
	const char *requested_by;      /**< who queued it */
	const char *stage;             /**< only this stage, or NULL */
	const char *job;               /**< only this job, or NULL */
	const char *workdir;           /**< working directory (default .) */
	const char *const *vars;       /**< "NAME=VALUE" */
	size_t nvars;                  /**< entries in vars */
	const char *const *task_dirs;  /**< task manifest directories */
	size_t ntask_dirs;             /**< entries in task_dirs */
	int wait;                      /**< poll while checks wait */
	int fork;                      /**< a run for a pull request from a
					    fork: no connections... */
	int fork_allowed;              /**< ...unless the pipeline makes them
					    available to forks */
	int steps_see_store;           /**< 1: steps run without their
					    sandbox (svc_job_options) */
	const char *launcher_exe;      /**< a program that runs
					    svc_step_launcher_serve() as
					    "step-launcher --fd N": each job's
					    steps share one sandbox (NULL: a
					    sandbox per step, slower) */
	long wait_interval;            /**< seconds from one attempt's start
					    to the next's (10); a server's
					    job start waits itself (up to
					    SVC_JOB_WAIT_MAX s) for a change,
					    and is asked again at once */
	long wait_timeout;             /**< give up after (3600 s) */
	/** A step's output, as it comes; fd 1 or 2. */
	void (*output)(void *ctx, const char *stage, const char *job,
		       const char *step, int fd, const char *data, size_t len);
	/** A line about the run (stage/job/step starts, decisions). */
	void (*event)(void *ctx, const char *message);
	/**
	 * A job was granted and its state written to job_dir (start its
	 * helpers, e.g. the git credential broker); non-zero fails the job.
	 */
	int (*job_started)(void *ctx, const char *job_dir);
	/** A job is about to end (stop what job_started started). */
	void (*job_ending)(void *ctx, const char *job_dir);
	void *ctx;                     /**< passed to the callbacks */
	/**
	 * When *cancel becomes non-zero (a signal handler sets it): the
	 * running step is killed (but a post-job step), later steps, jobs
	 * and stages run only when their condition says so (always(),
	 * canceled()), the job's post-job steps run, and the job ends
	 * Canceled (exit code 6).  NULL: never.
	 */
	const volatile sig_atomic_t *cancel;
	const char *output_dir;        /**< where the files steps attach or
					    upload (task.uploadfile, ...)
					    are copied, one directory per
					    job; NULL: listed, not kept */
	const svc_run_jobs *jobs;      /**< where jobs start and end; NULL:
					    the store given to
					    svc_pipeline_run */
} svc_run_options;

/**
 * Run the pipeline: stages and jobs in an order that satisfies their
 * dependsOn, each stage, job and step when its condition holds (default:
 * succeeded()), continueOnError and enabled as the agent has them, acting
 * on the steps' logging commands as the agent does (docs/runtime.md).
 * *exit_code: 0 no job failed (with issues or not), 1 a job failed, 2 invalid input, 3 needs
 * permission, 4 waiting on checks, 5 denied, 6 canceled
 * (svc_run_options.cancel).  A job runs as the agent runs it: the pre-job
 * steps of its tasks (task.json prejobexecution) in step order before its
 * first step, its steps, then the post-job steps (postjobexecution) of
 * every task step of the job in reverse order, also when a step failed or
 * the job was canceled; pre- and post-job steps have their task step's
 * inputs and connections.
 * Returns an error code only when the run could not be carried out.
 * st may be NULL when o->jobs starts and ends the jobs elsewhere (a
 * server's): the pipeline then compiles here without connections.
 */
int svc_pipeline_run(int *exit_code, const svc_run_options *o, svc_store *st,
		     const svc_catalog *cat);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
