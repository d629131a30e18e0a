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
};

/**
 * svc_job_step_prepare(), and what the step may reach into info (may be
 * NULL; clear it with job_step_info_clear()).
 */
int job_step_prepare(svc_env **out, svc_masker *m, struct job_step_info *info,
		     svc_store *st, const char *job_dir, const char *step);
void job_step_info_clear(struct job_step_info *info);

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
 * A step starts with masker m and environment env: the directories earlier
 * steps prepended go in front of its PATH, the build number they set into
 * BUILD_BUILDNUMBER, and SYSTEM_DEBUG says whether task.debug is shown.
 */
int job_cmds_step_begin(struct job_cmds *c, svc_masker *m, svc_env *env);
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

#endif
