/*
 * daemon.c - starting svcconn-agent's own per-job daemons (the lease keeper,
 * the git credential broker): this program again, in another mode, with a
 * fresh environment holding only what it needs, detached in a session of
 * its own, with nothing of the caller's open but /dev/null on 0-2.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <svcconn/secret.h>

#include "daemon.h"

int agent_start_daemon(const char *self, const char *mode,
		       const char *job_dir, const char *home)
{
	return agent_start_daemon_ex(self, mode, job_dir, home, NULL, -1);
}

int agent_start_daemon_ex(const char *self, const char *mode,
			  const char *job_dir, const char *home,
			  const char *const *extra, int in_fd)
{
	static const char *const keep[] = { "SVCCONN_HOME", "SVCCONN_KEY_FILE",
		"SVCCONN_USER", "SVCCONN_NOW", "SVCCONN_TYPES_PATH", "HOME",
		"PATH", "SVCCONN_JOBS_DIR", "SVCCONN_BWRAP", "XDG_RUNTIME_DIR",
		NULL };
	char *envp[16], *argv[20], watch[32];
	size_t ne = 0, i = 0;
	int rc;

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
	for (size_t k = 0; extra && extra[k] && i < 19; k++)
		argv[i++] = (char *)extra[k];
	argv[i] = NULL;
	rc = svc_process_detach_stdin(self, argv, envp, in_fd);
	for (i = 0; i < ne; i++)
		free(envp[i]);
	return rc ? -1 : 0;
}
