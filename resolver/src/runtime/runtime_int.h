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
/**
 * Remove the job (or run) directory dir and everything in it, without
 * following symbolic links; 0, or -1 when something was left.
 */
int job_dir_remove(const char *dir);

#endif
