/*
 * child.c - work that may hang, run in a child process with a deadline.
 *
 * The child is a forked copy of the parent (spawn.c's fn: there is no
 * program to exec): it inherits the parent's memory (secrets included)
 * but none of its descriptors beyond /dev/null on 0-2 and the report's
 * pipe, and dies with it: fn reports through the pipe and the child
 * _exits without running the parent's atexit handlers.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "svcconn/errors.h"
#include "errors_int.h"
#include "util/child.h"
#include "util/spawn.h"

#define REPORT_FD 3  /* the report pipe, in the child */

/* What the child runs: fn with the report pipe. */
struct child_work {
	void (*fn)(int fd, void *arg);  /**< the work */
	void *arg;                      /**< its argument */
};

static void child_run(void *arg)
{
	const struct child_work *w = arg;

	w->fn(REPORT_FD, w->arg);
}

/* Milliseconds on the monotonic clock. */
static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int child_report(char *report, size_t max, long timeout_ms, int *timed_out,
		 void (*fn)(int fd, void *arg), void *arg)
{
	struct child_work work = { fn, arg };
	struct spawn sp = SPAWN_INIT;
	long long deadline;
	size_t got = 0;
	int fds[2], status, rc;
	pid_t pid;

	*timed_out = 0;
	report[0] = '\0';
	if (pipe2(fds, O_CLOEXEC) != 0)
		return error_set(SVC_ERROR, "cannot make a pipe: %s", strerror(errno));
	sp.fn = child_run;
	sp.arg = &work;
	sp.pass_fd = fds[1];
	sp.pass_as = REPORT_FD;
	rc = spawn_start(&pid, &sp);
	close(fds[1]);
	if (rc) {
		close(fds[0]);
		return rc;
	}
	deadline = mono_ms() + timeout_ms;
	while (got < max) {
		struct pollfd p = { fds[0], POLLIN, 0 };
		long long left = deadline - mono_ms();
		ssize_t n;
		int pr;

		if (left <= 0 || (pr = poll(&p, 1, (int)left)) == 0) {
			*timed_out = 1;
			break;
		}
		if (pr < 0 || (n = read(fds[0], report + got, max - got)) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fds[0]);
	if (*timed_out)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	report[got] = '\0';
	return 0;
}
