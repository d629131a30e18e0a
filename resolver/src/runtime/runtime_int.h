/*
 * runtime_int.h - what the runtime's files share: a step's reach, as the
 * job's state gives it.
 */
#ifndef SVC_RUNTIME_INT_H
#define SVC_RUNTIME_INT_H

#include <stddef.h>
#include "svcconn/inject.h"
#include "svcconn/mask.h"
#include "svcconn/store.h"

/* What a step may reach, besides its environment. */
struct job_step_info {
	char **ids;      /**< the connections the step references */
	size_t nids;     /**< entries in ids */
	int ssh;         /**< one of them is an SSH connection */
	int sandbox;     /**< the job runs its steps in the sandbox */
	int job_masked;  /**< set by the caller: the masker holds the job's
			      connections' secrets already (job_mask_new()) */
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
/**
 * Remove the job (or run) directory dir and everything in it, without
 * following symbolic links; 0, or -1 when something was left.
 */
int job_dir_remove(const char *dir);

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

#endif
