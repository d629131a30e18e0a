/*
 * daemon.h - starting svcconn-agent's per-job daemons.
 */
#ifndef SVC_AGENT_DAEMON_H
#define SVC_AGENT_DAEMON_H

/**
 * Start `self mode --job-dir job_dir --watch-pid <our parent> [--home home]`
 * detached, with a fresh environment.  0, or -1 when it could not fork.
 */
int agent_start_daemon(const char *self, const char *mode,
		       const char *job_dir, const char *home);

#endif
