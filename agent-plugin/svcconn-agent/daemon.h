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
/**
 * agent_start_daemon() with the NULL-terminated extra arguments after
 * the others (may be NULL) and in_fd (-1: /dev/null) as its standard
 * input.
 */
int agent_start_daemon_ex(const char *self, const char *mode,
			  const char *job_dir, const char *home,
			  const char *const *extra, int in_fd);

#endif
