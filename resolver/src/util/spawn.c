/*
 * spawn.c - starting a child process (see spawn.h): posix_spawn, or fork
 * where a daemon, a function or a umask needs it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "svcconn/errors.h"
#include "errors_int.h"
#include "util/spawn.h"

/* The message of a failed start, errno kept as the reason. */
static int spawn_failed(const struct spawn *s, int err)
{
	int rc = error_set(SVC_ERROR, "cannot run '%s': %s",
			   s->path ? s->path : s->argv ? s->argv[0] : "a child",
			   strerror(err));

	errno = err;
	return rc;
}

/* Start s with posix_spawn. */
static int start_posix(pid_t *pid, const struct spawn *s)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	short flags = 0;
	int i, rc, first = 3;

	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	for (i = 0; i < 3; i++) {
		if (s->fd[i] < 0)
			posix_spawn_file_actions_addopen(&fa, i, "/dev/null",
							 i ? O_WRONLY : O_RDONLY, 0);
		else
			posix_spawn_file_actions_adddup2(&fa, s->fd[i], i);
	}
	if (s->pass_fd >= 0) {
		posix_spawn_file_actions_adddup2(&fa, s->pass_fd, s->pass_as);
		for (i = 3; i < s->pass_as; i++)
			posix_spawn_file_actions_addclose(&fa, i);
		first = s->pass_as + 1;
	}
	if (s->cwd)
		posix_spawn_file_actions_addchdir_np(&fa, s->cwd);
	/* nothing else of ours stays open in the child */
	posix_spawn_file_actions_addclosefrom_np(&fa, first);
	if (s->flags & SPAWN_PGROUP) {
		flags |= POSIX_SPAWN_SETPGROUP;
		posix_spawnattr_setpgroup(&at, 0);
	}
	if (s->flags & SPAWN_SETSID)
		flags |= POSIX_SPAWN_SETSID;
	if (s->flags & SPAWN_SIGDEFAULT) {
		sigset_t all;

		sigfillset(&all);
		flags |= POSIX_SPAWN_SETSIGDEF;
		posix_spawnattr_setsigdefault(&at, &all);
	}
	posix_spawnattr_setflags(&at, flags);
	rc = (s->flags & SPAWN_SEARCH)
		? posix_spawnp(pid, s->argv[0], &fa, &at, s->argv, s->envp)
		: posix_spawn(pid, s->path ? s->path : s->argv[0], &fa, &at,
			      s->argv, s->envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	return rc ? spawn_failed(s, rc) : 0;
}

/*
 * The child's side of start_fork: async-signal-safe calls only.  Never
 * returns.
 */
static void in_child(const struct spawn *s, int null)
{
	int i, src;

	if (s->flags & SPAWN_DETACH) {
		/* reparented at once: the intermediate child ends here */
		if (fork() != 0)
			_exit(0);
		setsid();
	} else if (s->flags & SPAWN_SETSID) {
		setsid();
	}
	if (s->flags & SPAWN_PGROUP)
		setpgid(0, 0);
	if (s->flags & SPAWN_SIGDEFAULT) {
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = SIG_DFL;
		for (i = 1; i < NSIG; i++)
			if (i != SIGKILL && i != SIGSTOP)
				sigaction(i, &sa, NULL);
	}
	if (s->flags & SPAWN_UMASK)
		umask(s->umask);
	if (s->cwd && chdir(s->cwd) != 0)
		_exit(127);
	for (i = 0; i < 3; i++) {
		src = s->fd[i] >= 0 ? s->fd[i] : null;
		if (src == i ? fcntl(i, F_SETFD, 0) != 0 : dup2(src, i) < 0)
			_exit(127);
	}
	if (s->pass_fd >= 0) {
		if (s->pass_fd == s->pass_as ? fcntl(s->pass_as, F_SETFD, 0) != 0
		    : dup2(s->pass_fd, s->pass_as) < 0)
			_exit(127);
		if (s->pass_as > 3)
			close_range(3, (unsigned)s->pass_as - 1, 0);
		close_range((unsigned)s->pass_as + 1, ~0u, 0);
	} else {
		close_range(3, ~0u, 0);
	}
	if (s->fn) {
		s->fn(s->arg);
		_exit(0);
	}
	if (s->flags & SPAWN_SEARCH)
		execvpe(s->argv[0], s->argv, s->envp);
	else
		execve(s->path ? s->path : s->argv[0], s->argv, s->envp);
	_exit(127);
}

/* Start s with fork (a daemon, a function, a umask). */
static int start_fork(pid_t *pid, const struct spawn *s)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC), err;
	pid_t p;

	if (null < 0)
		return spawn_failed(s, errno);
	p = fork();
	if (p == 0)
		in_child(s, null);
	err = errno;
	close(null);
	if (p < 0)
		return spawn_failed(s, err);
	if (s->flags & SPAWN_DETACH) {
		/* the intermediate child, which ends at once */
		while (waitpid(p, NULL, 0) < 0 && errno == EINTR)
			;
		p = 0;
	}
	*pid = p;
	return 0;
}

int spawn_start(pid_t *pid, const struct spawn *s)
{
	if (!s->envp && !s->fn)
		return error_set(SVC_EINVALID, "a child needs an environment of its own");
	if (!s->fn && (!s->argv || !s->argv[0]))
		return error_set(SVC_EINVALID, "a child needs a program");
	if (s->pass_fd >= 0 && s->pass_as < 3)
		return error_set(SVC_EINVALID, "descriptor %d cannot be passed as %d",
				 s->pass_fd, s->pass_as);
	if (s->fn || (s->flags & (SPAWN_DETACH | SPAWN_UMASK)))
		return start_fork(pid, s);
	return start_posix(pid, s);
}
