/*
 * runtime_int.h - what the runtime's files share: a step's reach, as the
 * job's state gives it.
 */
#ifndef SVC_RUNTIME_INT_H
#define SVC_RUNTIME_INT_H

#include <stddef.h>
#include <jansson.h>
#include "svcconn/inject.h"
#include "svcconn/job.h"
#include "svcconn/mask.h"
#include "svcconn/run.h"
#include "svcconn/store.h"

struct json_t;
struct macro_dict;

/**
 * Plan and gate the job of o without a job directory (o->job_dir is not
 * used): what svc_job_start does before it writes the job's state, and
 * what a server runs for an agent.  source (may be NULL) is recorded as
 * the message of the granted usage records: where the YAML came from.
 * *out is set as by svc_job_start.  An exclusive lock it takes lasts
 * lease_seconds unless renewed.  With held non-NULL, the gate's write
 * transaction may be left open on success for the caller's writes
 * (authz_gate_hold: *held says whether it is; end it with
 * store_write_release).
 */
int job_gate(svc_job **out, const svc_job_options *o, svc_store *st,
	     const svc_catalog *cat, const char *source, long lease_seconds,
	     int *held);
/**
 * The state of granted job j as a job directory records it (steps,
 * variables, connection ids; never a secret): what the server sends the
 * agent, which writes it into its job directory.
 */
int job_record(json_t **out, const svc_job *j, const svc_job_options *o);
/** The ids of the job's own connections (valid while j lives). */
const char *const *job_conns(const svc_job *j, size_t *n);
/** Take j's gate report (j keeps none). */
svc_gate_report *job_take_gate(svc_job *j);
/** Take j's diagnostics (j keeps none). */
svc_diags *job_take_diags(svc_job *j);
/** 0 when result is a job's result (Succeeded, ...), else SVC_EINVALID. */
int job_result_check(const char *result);

/* What a step may reach, besides its environment. */
struct job_step_info {
	char **ids;      /**< the connections the step references */
	size_t nids;     /**< entries in ids */
	int ssh;         /**< one of them is an SSH connection */
	int sandbox;     /**< the job runs its steps in the sandbox */
	int job_masked;  /**< set by the caller: the masker holds the job's
			      connections' secrets already (job_mask_new()) */
	struct json_t *step; /**< the step in the job's state (inputs as the
				  plan expanded them, env:, body, name) */
	struct json_t *vars; /**< the job's variables in its state */
};

/**
 * svc_job_step_prepare(), and what the step may reach into info (may be
 * NULL; clear it with job_step_info_clear()).
 */
int job_step_prepare(svc_env **out, svc_masker *m, struct job_step_info *info,
		     svc_store *st, const char *job_dir, const char *step);
void job_step_info_clear(struct job_step_info *info);
/**
 * A masker holding the secrets of every connection of the job in job_dir
 * (what each of its steps masks, whichever it references), compiled: the
 * base each step's masker is cloned from.
 */
int job_mask_new(svc_masker **out, svc_store *st, const char *job_dir);

/* A directory of the job that its steps see, and the variable naming it. */
struct job_subdir {
	const char *name;   /**< under the job directory */
	const char *var;    /**< the agent's predefined variable */
};
/** The job's directories steps see (tmp/, a/, b/, ...); NULL-ended. */
extern const struct job_subdir job_subdirs[];
/**
 * The predefined variables of a step's working directory: sources
 * directory, default working directory, repository path and name, and
 * the commit checked out there (Build.SourceVersion) when it is a git
 * repository.
 */
int job_workdir_env(svc_env *e, const char *workdir);

struct sandbox;
/**
 * The view every step of the job in job_dir shares (run.c): the store's
 * directory, its key, the user's default store, the jobs root and the
 * job's directory hidden; the job's tmp/ and the broker's socket shown.
 * launcher: the sandbox runs the job's launcher as its PID 1 (else a step
 * of its own).
 */
int job_view(struct sandbox **out, svc_store *st, const char *job_dir,
	     int launcher);
/** 1 when the job in job_dir has a step launcher (launcher.c). */
int launcher_available(const char *job_dir);
/**
 * Send argv with envp (run in workdir) to the job's launcher, with out and
 * err as its standard output and error; *conn is the connection its
 * status comes on (launcher_wait), to close.
 */
int launcher_run(int *conn, const char *job_dir, char *const argv[],
		 char *const envp[], const char *workdir, int out, int err);
/** The wait status of the step sent on conn. */
int launcher_wait(int *status, int conn);

/**
 * The closed list's word on variable name (transformed as the agent
 * does): 0, or SVC_EINVALID saying whose it is (vars.c).
 */
int vars_name_allowed(const char *name);

struct svc_step_options;
/**
 * Put the calling agent's variables of xo (may be NULL) into env (agentenv.c:
 * svcconn's own win, but for its stand-ins); SYSTEM_ACCESSTOKEN is masked
 * with m.
 */
int job_pass_env(svc_env *env, svc_masker *m, const struct svc_step_options *xo);
/**
 * Give env the job's SystemVssConnection: its URL the collection URI env
 * has, its token the SYSTEM_ACCESSTOKEN env was passed, else token, else
 * the one of the job's broker, else a new one; masked with m.
 */
int job_system_conn(svc_env *env, svc_masker *m, const char *job_dir,
		    const char *token);
/* The variables a step gets from the agent's own environment (run.c);
 * NULL-ended. */
extern const char *const step_inherited[];

/*
 * The variables of a step (stepvars.c), the agent's way: the job's (from
 * info->vars), with those set by the job's earlier steps (vars) over them,
 * expanded through each other and through the predefined variables env
 * has already (which they never override); then into env: public ones
 * as <NAME> (unless env has it: the predefined, the connections', the
 * inputs') listed in VSTS_PUBLIC_VARIABLES, and the step's inputs and its
 * env: mapping trimmed and with their macros expanded, then those left
 * with the variables passed on from the agent's environment
 * (step_inherited: $(HOME)), as the agent does.  A value made from a secret is
 * registered with m.  When script is not NULL, the step's body, macros
 * expanded, is written there (a new private file).  *cwd (cwd may be
 * NULL): the step's workingDirectory:, expanded and made absolute against
 * System.DefaultWorkingDirectory, or NULL without one (malloc'd).
 */
int step_vars_finish(svc_env *env, svc_masker *m,
		     const struct job_step_info *info,
		     const svc_step_vars *vars, const char *script, char **cwd);

/* Set output variable name of step (as "step.name"); SVC_EINVALID for a
 * step without a name. */
int step_vars_set_output(svc_step_vars *v, const char *step, const char *name,
			 const char *value, size_t len, int secret);
/* Add every variable of v to d (secret ones as secret). */
int step_vars_dict(const svc_step_vars *v, struct macro_dict *d);
/* The i-th output variable of v: 1 and its fields, or 0 past the last. */
int step_vars_output_at(const svc_step_vars *v, size_t i, const char **name,
			const char **value, size_t *len, int *secret);

/* One output variable a finished job of the run set. */
struct run_output {
	char *stage;     /**< its stage, or NULL (a pipeline without stages) */
	char *job;       /**< its job */
	char *name;      /**< "step.variable", as the step set it */
	char *value;     /**< the value (wiped on free) */
	int secret;      /**< a secret output: masked wherever it is used */
};

/* The output variables of a run's finished jobs (svc_pipeline_run). */
struct run_outputs {
	struct run_output *v;  /**< in the order the jobs ended */
	size_t n;              /**< entries used */
};

/*
 * The value of output step_var ("step.variable", compared without case)
 * of job (of stage, NULL without stages) in o, or NULL: what
 * dependencies.J.outputs['s.x'] and stageDependencies.S.J.outputs['s.x']
 * read.  *secret (may be NULL) tells whether it is a secret one.
 */
const char *run_output(const struct run_outputs *o, const char *stage,
		       const char *job, const char *step_var, int *secret);
/* Keep the output variables of job (of stage) that v holds. */
int run_outputs_add(struct run_outputs *o, const char *stage, const char *job,
		    const svc_step_vars *v);
/* Wipe and free them; o may be reused. */
void run_outputs_clear(struct run_outputs *o);
/*
 * commands.c: what `svcconn-agent run` does with its steps' logging
 * commands (the hooks leave them to the agent that calls svcconn).
 */
struct job_cmds;

/** A step's or a job's result, as its commands made it; worst wins. */
enum { JOB_CMDS_SUCCEEDED = 0, JOB_CMDS_ISSUES = 1, JOB_CMDS_FAILED = 2 };

/**
 * The commands' state of a run; output_dir (or NULL) is where attachments
 * are copied, made (0700) when missing.
 */
int job_cmds_new(struct job_cmds **out, const char *output_dir);
void job_cmds_free(struct job_cmds *c);
/**
 * A job starts in job_dir, its steps in workdir (NULL: here): what they
 * may upload from, and what the sandbox hides from them (st's store).
 */
int job_cmds_job_begin(struct job_cmds *c, svc_store *st, const char *job_dir,
		       const char *workdir);
/**
 * Step step (its id in the job) starts with masker m and environment env:
 * the directories earlier steps prepended go in front of its PATH, the
 * build number they set into BUILD_BUILDNUMBER, the task variables its
 * earlier executions set (a task's pre-job, main and post-job steps share
 * its id) as VSTS_TASKVARIABLE_<NAME>, masked, and SYSTEM_DEBUG says
 * whether task.debug is shown.
 */
int job_cmds_step_begin(struct job_cmds *c, svc_masker *m, svc_env *env,
			const char *step);
/**
 * One command of the running step (on_command of run.c): acted on and
 * SVC_MASK_EVENT_HANDLED returned, its lines written masked to out.
 */
int job_cmds_event(struct job_cmds *c, const svc_mask_event *ev,
		   void (*out)(void *ctx, int fd, const char *data, size_t len),
		   void *ctx, int fd);
/**
 * The step's masker goes: forget it (before svc_masker_free; NULL is
 * accepted).  Its commands are no longer acted on.
 */
void job_cmds_step_detach(struct job_cmds *c);
/** 1 when the running step's commands failed it. */
int job_cmds_step_failed(const struct job_cmds *c);
/** The step ended: its JOB_CMDS_* result, merged into the job's. */
int job_cmds_step_end(struct job_cmds *c);
/**
 * The job ended: say each note (attachments, build tags, build number;
 * masked) and return the job's JOB_CMDS_* result.
 */
int job_cmds_job_end(struct job_cmds *c, void (*say)(void *ctx, const char *note),
		     void *ctx);
/** The run's warnings, errors and steps that succeeded with issues. */
void job_cmds_counts(const struct job_cmds *c, size_t *warnings,
		     size_t *errors, size_t *issues);
/**
 * A view of what the steps of the job in job_dir cannot see (the store,
 * its key, the jobs root, the job's directory), for sandbox_hides() and
 * sandbox_each_hidden() only: it is never run (run.c).
 */
int job_hidden_view(struct sandbox **out, svc_store *st, const char *job_dir);

/*
 * Run step (its id in the job in job_dir) as argv in workdir, as
 * svc_step_exec_ext() does (step.c), for svc_pipeline_run: job_mask (or
 * NULL), the masker of the job's connections' secrets, is cloned for the
 * step (compiled once for the job); script (or NULL) is where the step's
 * body is written with its macros expanded; cmds (or NULL) acts on its
 * logging commands (commands.c).
 */
struct svc_step_options;
int step_exec(int *status, svc_store *st, const char *job_dir,
	      const char *step, char *const argv[], const char *workdir,
	      svc_step_vars *vars, const struct svc_step_options *xo,
	      svc_masker *job_mask, const char *script,
	      struct job_cmds *cmds, svc_step_output_fn output, void *ctx);

#endif
