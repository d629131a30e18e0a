/*
 * jobdir.h - what svcconn-agent's own per-job daemons need of the job
 * directory, whose layout only the library knows.
 *
 * The lease keeper of a job holding an exclusive lock records itself in
 * the job directory with svc_jobdir_keeper_take(): its pid in a file it
 * keeps locked for its whole life, so that svc_jobdir_keeper_stop() (at
 * job-end) signals a live keeper only, never a process that happens to
 * have a dead keeper's pid.  The broker's pid file works the same way.
 */
#ifndef SVCCONN_JOBDIR_H
#define SVCCONN_JOBDIR_H

#include "errors.h"

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default)

/**
 * Record the calling process as the lease keeper of job_dir; *fd holds the
 * lock until svc_jobdir_keeper_release() or the process ends.  SVC_EEXISTS
 * when a live keeper holds it.
 */
int svc_jobdir_keeper_take(int *fd, const char *job_dir);
/** Let go of the keeper's record taken as fd, removing it. */
void svc_jobdir_keeper_release(int fd, const char *job_dir);
/**
 * Stop the lease keeper of job_dir, if a live one holds its record
 * (SIGTERM, SIGKILL when it is still there after 3 s), and remove the
 * record.  1 when a keeper was stopped, 0 when there was none, or an error.
 */
int svc_jobdir_keeper_stop(const char *job_dir);

/** Remove a step launcher's socket left in job_dir, before starting one. */
int svc_jobdir_launcher_reset(const char *job_dir);
/** 1 when the step launcher of job_dir listens (its socket exists). */
int svc_jobdir_launcher_ready(const char *job_dir);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
