/*
 * daemon.c - starting svcconn-agent's own per-job daemons (the lease keeper,
 * the git credential broker): this program again, in another mode, with a
 * fresh environment holding only what it needs, detached in a session of
 * its own, with nothing of the caller's open but /dev/null on 0-2.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon.h"

int agent_start_daemon(const char *self, const char *mode,
		       const char *job_dir, const char *home)
{
	static const char *const keep[] = { "SVCCONN_HOME", "SVCCONN_KEY_FILE",
		"SVCCONN_USER", "SVCCONN_NOW", "HOME", "PATH", NULL };
	char *envp[16], *argv[12], watch[32];
	size_t ne = 0, i = 0;
	pid_t pid;
	int fd;

	for (size_t k = 0; keep[k]; k++) {
		const char *v = getenv(keep[k]);
		size_t n;

		if (!v)
			continue;
		n = strlen(keep[k]) + strlen(v) + 2;
		if ((envp[ne] = malloc(n)) != NULL)
			snprintf(envp[ne++], n, "%s=%s", keep[k], v);
	}
	envp[ne] = NULL;
	/* the daemon lives while the process that started the job does */
	snprintf(watch, sizeof(watch), "%ld", (long)getppid());
	argv[i++] = (char *)self;
	argv[i++] = (char *)mode;
	argv[i++] = "--job-dir";
	argv[i++] = (char *)job_dir;
	argv[i++] = "--watch-pid";
	argv[i++] = watch;
	if (home) {
		argv[i++] = "--home";
		argv[i++] = (char *)home;
	}
	argv[i] = NULL;
	pid = fork();
	if (pid == 0) {
		/* detach: a daemon of its own session, no inherited output */
		if (fork() != 0)
			_exit(0);
		setsid();
		fd = open("/dev/null", O_RDWR);
		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
			if (fd > 2)
				close(fd);
		}
		/* nothing of the caller's may stay open in the daemon */
		for (fd = 3; fd < 1024; fd++)
			close(fd);
		execve(self, argv, envp);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
	for (i = 0; i < ne; i++)
		free(envp[i]);
	return pid < 0 ? -1 : 0;
}
