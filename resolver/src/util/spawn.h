/*
 * spawn.h - the one way svcconn starts a child process.
 *
 * Every child gets a fresh environment: the caller's array, whole, and
 * nothing of ours (an absent array is refused, never taken to mean
 * "inherit").  Its standard streams are the descriptors given or
 * /dev/null, one more descriptor may be passed at a number of the
 * caller's choosing, and every other descriptor of ours is closed in it.
 *
 * posix_spawn starts it (no copy of our memory, which may hold secrets, is
 * ever running outside a program of its own) except where a step needs
 * fork:
 *   - SPAWN_DETACH: a daemon that is not our child (fork twice, so that
 *     it is reparented at once and nobody has to reap it);
 *   - fn: work run in a copy of this process, without a program to exec
 *     (the git verifier runs libgit2 there, to give up on it at a
 *     deadline);
 *   - umask: posix_spawn cannot set the child's, and umask() in the
 *     parent is process-wide.
 * Only async-signal-safe calls are made between fork and exec.
 */
#ifndef SVC_UTIL_SPAWN_H
#define SVC_UTIL_SPAWN_H

#include <sys/types.h>

/* Flags of struct spawn. */
#define SPAWN_PGROUP 0x1u    /* a process group of its own (a cancel kills it all) */
#define SPAWN_SETSID 0x2u    /* a session of its own */
#define SPAWN_SIGDEFAULT 0x4u /* every signal's action reset to its default */
#define SPAWN_SEARCH 0x8u    /* argv[0] without '/' looked for on our PATH */
#define SPAWN_DETACH 0x10u   /* a daemon, not our child (implies SETSID; no pid) */
#define SPAWN_UMASK 0x20u    /* set the child's umask to umask */

/* What to start, and how. */
struct spawn {
	const char *path;       /**< the program; NULL: argv[0] */
	char *const *argv;      /**< its arguments (argv[0] first) */
	char *const *envp;      /**< its whole environment (required but
				     with fn, which runs in a copy of us) */
	int fd[3];              /**< its 0, 1, 2; -1: /dev/null */
	int pass_fd;            /**< one more descriptor to pass, or -1 */
	int pass_as;            /**< the number pass_fd has in the child (>= 3) */
	const char *cwd;        /**< its working directory; NULL: ours */
	mode_t umask;           /**< its umask, with SPAWN_UMASK */
	unsigned flags;         /**< SPAWN_* */
	void (*fn)(void *arg);  /**< instead of a program: run fn(arg) in a
				     forked copy of us, which then _exits */
	void *arg;              /**< fn's argument */
};

/** A spawn with nothing given: /dev/null on 0-2, no descriptor passed. */
#define SPAWN_INIT { NULL, NULL, NULL, { -1, -1, -1 }, -1, -1, NULL, 0, 0, NULL, NULL }

/**
 * Start the child s describes; *pid gets its pid (0 with SPAWN_DETACH).
 * SVC_ERROR ("cannot run 'argv[0]': ...") when it could not be started,
 * with errno set to the reason; SVC_EINVALID without an environment.
 */
int spawn_start(pid_t *pid, const struct spawn *s);

#endif
