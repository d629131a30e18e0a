/*
 * test_gitcred_daemon.c - the per-user daemon behind git-credential-svcconn
 * (svcconn/gitcred_daemon.h): a real daemon (svc_gitcred_daemon_serve in a
 * child process) on a real socket, driven by the real client
 * (svc_gitcred_daemon_call in another child, with pipes on 0-2) and by
 * hostile peers speaking to its socket directly.
 *
 * Every wait is for an event (a child's exit, a socket's answer), never a
 * sleep that hopes something has happened.
 */
#include "testutil.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "svcconn/errors.h"
#include "svcconn/gitcred.h"
#include "svcconn/gitcred_daemon.h"
#include "svcconn/store.h"
#include "gitcred/daemon_int.h"
#include "store/store_write.h"

/* Per-test fixture: a fresh store in SVCCONN_HOME and its daemon. */
struct fx {
	char *dir;    /**< temporary directory (removed after) */
	char *home;   /**< the store */
	char *sock;   /**< the daemon's socket */
	pid_t pid;    /**< the daemon, or 0 */
};

/* Serve the store in a child; wait until its socket answers. */
static pid_t start_daemon(struct fx *f, unsigned idle)
{
	svc_gitcred_daemon_options o = { SVC_GITCRED_DAEMON_OPTIONS_VERSION,
		idle, 300 };
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(svc_gitcred_daemon_serve(&o) == 0 ? 0 : 1);
	/* ready when a connection is accepted: connect until it is */
	for (;;) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		int fd = socket(AF_UNIX, SOCK_STREAM, 0), ok;

		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f->sock);
		ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
		close(fd);
		if (ok)
			break;
		assert_int_equal(waitpid(pid, NULL, WNOHANG), 0);
		usleep(10000);
	}
	return pid;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	svc_store_options so = { SVC_STORE_OPTIONS_VERSION };

	assert_non_null(f);
	f->dir = tu_mkdtemp();
	f->home = tu_path(f->dir, "home");
	f->sock = tu_path(f->home, SVC_GITCRED_DAEMON_SOCKET);
	so.home = f->home;
	assert_int_equal(svc_store_init(&so, "tester"), 0);
	/* the test's own environment: the store under test, no secret */
	setenv("SVCCONN_HOME", f->home, 1);
	unsetenv("SVCCONN_KEY_FILE");
	f->pid = start_daemon(f, 60);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	if (f->pid > 0) {
		kill(f->pid, SIGTERM);
		waitpid(f->pid, NULL, 0);
	}
	tu_rm_rf(f->dir);
	free(f->sock);
	free(f->home);
	free(f->dir);
	free(f);
	return 0;
}

/* A pipe's read end holding text, its write end closed (or kept open). */
static int input_of(const char *text, int keep_open, int *writer)
{
	int p[2];

	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], text, strlen(text)), (ssize_t)strlen(text));
	if (keep_open)
		*writer = p[1];
	else
		close(p[1]);
	return p[0];
}

/*
 * Run the client for action in a child with input on 0 and files on 1-2;
 * returns its exit code (the call's result * 10 + git's status), *out and
 * *err what the daemon wrote there.
 */
static int call(struct fx *f, const char *action, const char *input,
		int keep_open, char **out, char **err)
{
	char *po = tu_path(f->dir, "out"), *pe = tu_path(f->dir, "err");
	int writer = -1, in = input_of(input, keep_open, &writer), status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		int o = open(po, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int e = open(pe, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int st = 9, rc;

		if (writer >= 0)
			close(writer);
		dup2(in, 0);
		dup2(o, 1);
		dup2(e, 2);
		rc = svc_gitcred_daemon_call(&st, action);
		_exit(rc * 10 + st);
	}
	close(in);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (writer >= 0)
		close(writer);
	*out = tu_read_file(po, NULL);
	*err = tu_read_file(pe, NULL);
	free(po);
	free(pe);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/* call, expecting success, stdout want and nothing on stderr. */
static void expect(struct fx *f, const char *action, const char *input,
		   const char *want)
{
	char *out, *err;

	assert_int_equal(call(f, action, input, 0, &out, &err), 0);
	assert_string_equal(out, want);
	assert_string_equal(err, "");
	free(out);
	free(err);
}

static const char STORE_X[] =
	"protocol=https\nhost=git.example.com\nusername=ci\npassword=s3cret-x\n";
static const char GET_X[] = "protocol=https\nhost=git.example.com\n";
static const char ANSWER_X[] = "username=ci\npassword=s3cret-x\n";

/* The daemon stores, answers and erases in the store itself. */
static void test_serves_the_store(void **state)
{
	struct fx *f = *state;
	svc_store_options so = { SVC_STORE_OPTIONS_VERSION };
	svc_gitcred *want = NULL, *got = NULL;
	svc_store *st = NULL;

	expect(f, "get", GET_X, "");
	expect(f, "store", STORE_X, "");
	expect(f, "get", GET_X, ANSWER_X);
	/* what it stored is in the store, for the whole helper too */
	so.home = f->home;
	assert_int_equal(svc_store_open(&st, &so), 0);
	assert_int_equal(svc_gitcred_parse(&want, GET_X, strlen(GET_X)), 0);
	assert_int_equal(svc_gitcred_get(&got, st, want), 0);
	assert_string_equal(svc_gitcred_value(got, SVC_GITCRED_PASSWORD),
			    "s3cret-x");
	svc_gitcred_free(got);
	expect(f, "erase", GET_X, "");
	assert_int_equal(svc_gitcred_get(&got, st, want), SVC_ENOTFOUND);
	svc_gitcred_free(want);
	svc_store_free(st);
	expect(f, "get", GET_X, "");
}

/* A malformed request is refused on the client's stderr, status 1. */
static void test_refuses_bad_input(void **state)
{
	struct fx *f = *state;
	char *out, *err;

	assert_int_equal(call(f, "get", "protocol=https\nhost example.com\n",
			      0, &out, &err), 1);
	assert_string_equal(out, "");
	assert_non_null(strstr(err, "fatal: unable to read credential"));
	free(out);
	free(err);
	/* a client whose input never ends holds the daemon for its read
	 * time only, then the others are served */
	assert_int_equal(call(f, "get", "protocol=https\n", 1, &out, &err), 1);
	assert_non_null(strstr(err, "no complete credential"));
	free(out);
	free(err);
	expect(f, "store", STORE_X, "");
	expect(f, "get", GET_X, ANSWER_X);
}

/*
 * Send head (len bytes) with nfds copies of /dev/null to the socket; the
 * status byte answered, or -1 when the daemon closed without one.
 */
static int raw(struct fx *f, const char *head, size_t len, int nfds)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char cbuf[CMSG_SPACE(8 * sizeof(int))], reply;
	int fds[8], fd = socket(AF_UNIX, SOCK_STREAM, 0), i;
	struct msghdr msg = { 0 };
	struct iovec iov = { (void *)head, len };
	ssize_t n;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f->sock);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (nfds > 0) {
		struct cmsghdr *cm;

		memset(cbuf, 0, sizeof(cbuf));
		for (i = 0; i < nfds; i++)
			fds[i] = open("/dev/null", O_RDWR);
		msg.msg_control = cbuf;
		msg.msg_controllen = CMSG_SPACE((size_t)nfds * sizeof(int));
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN((size_t)nfds * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, (size_t)nfds * sizeof(int));
	}
	if (len || nfds)
		assert_true(sendmsg(fd, &msg, MSG_NOSIGNAL) >= 0);
	shutdown(fd, SHUT_WR);
	n = recv(fd, &reply, 1, 0);
	close(fd);
	for (i = 0; i < nfds; i++)
		close(fds[i]);
	return n == 1 ? reply : -1;
}

/*
 * Peers that do not speak the protocol get nothing, and the daemon lives
 * on; a client of another version is sent to the whole helper.
 */
static void test_hostile_peers(void **state)
{
	static const char good[] = DAEMON_MAGIC "\0get\0tester";
	static const char old[] = "svcconn-gitcred/0\0get\0tester";
	static const char bad_actor[] = DAEMON_MAGIC "\0store\0evil\nactor";
	static const char extra[] = DAEMON_MAGIC "\0get\0tester\0more";
	static const char unended[] = DAEMON_MAGIC "\0get\0tester";
	struct fx *f = *state;
	char big[DAEMON_HEADER_MAX + 100];

	expect(f, "store", STORE_X, "");
	assert_int_equal(raw(f, "", 0, 0), -1);
	assert_int_equal(raw(f, "junk", 4, 0), -1);
	assert_int_equal(raw(f, good, sizeof(good), 0), -1);
	assert_int_equal(raw(f, good, sizeof(good), 1), -1);
	assert_int_equal(raw(f, good, sizeof(good), 5), -1);
	/* a client of another version is told to run the request itself,
	 * and this daemon makes way: a new one starts for the next request */
	assert_int_equal(raw(f, old, sizeof(old), 3), DAEMON_RESTART);
	assert_int_equal(waitpid(f->pid, NULL, 0), f->pid);
	f->pid = start_daemon(f, 60);
	assert_int_equal(raw(f, bad_actor, sizeof(bad_actor), 3), -1);
	assert_int_equal(raw(f, extra, sizeof(extra), 3), -1);
	assert_int_equal(raw(f, unended, sizeof(unended) - 1, 3), -1);
	memset(big, 'A', sizeof(big));
	assert_int_equal(raw(f, big, sizeof(big), 3), -1);
	/* the protocol itself, with /dev/null as the request: nothing to
	 * find, so a plain success */
	assert_int_equal(raw(f, good, sizeof(good), 3), DAEMON_OK);
	expect(f, "get", GET_X, ANSWER_X);
}

/* An actor name the daemon would refuse: the client does not send it. */
static void test_bad_actor_falls_back(void **state)
{
	struct fx *f = *state;
	char *out, *err;

	setenv("SVCCONN_USER", "evil\nname", 1);
	assert_int_equal(call(f, "get", GET_X, 0, &out, &err),
			 SVC_GITCRED_DAEMON_ABSENT * 10 + 1);
	setenv("SVCCONN_USER", "tester", 1);
	free(out);
	free(err);
	expect(f, "get", GET_X, "");
}

/* svcconn rekey while the daemon runs: it reopens the store. */
static void test_follows_a_rekey(void **state)
{
	struct fx *f = *state;
	svc_store_options so = { SVC_STORE_OPTIONS_VERSION };
	svc_store *st = NULL;

	expect(f, "store", STORE_X, "");
	so.home = f->home;
	assert_int_equal(svc_store_open(&st, &so), 0);
	assert_int_equal(svc_store_rekey(st, "tester"), 0);
	svc_store_free(st);
	expect(f, "get", GET_X, ANSWER_X);
}

/* One daemon per store; exit ends it; idle ends it. */
static void test_lifetime(void **state)
{
	svc_gitcred_daemon_options o = { SVC_GITCRED_DAEMON_OPTIONS_VERSION,
		60, 300 };
	struct fx *f = *state;
	char *out, *err;
	int status;

	/* a second daemon finds the first and ends at once */
	assert_int_equal(svc_gitcred_daemon_serve(&o), 0);
	expect(f, "get", GET_X, "");
	/* exit */
	assert_int_equal(call(f, "exit", "", 0, &out, &err), 0);
	free(out);
	free(err);
	assert_int_equal(waitpid(f->pid, &status, 0), f->pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(access(f->sock, F_OK), -1);
	/* no daemon: the client says so and reads nothing */
	assert_int_equal(call(f, "get", GET_X, 0, &out, &err),
			 SVC_GITCRED_DAEMON_ABSENT * 10 + 1);
	free(out);
	free(err);
	/* a daemon idle for its time ends by itself */
	f->pid = start_daemon(f, 1);
	assert_int_equal(waitpid(f->pid, &status, 0), f->pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	f->pid = 0;
	assert_int_equal(access(f->sock, F_OK), -1);
}

/* SVCCONN_GITCRED_DAEMON: off, seconds, or refused. */
static void test_idle_setting(void **state)
{
	static const struct { const char *value; long want; } cases[] = {
		{ NULL, SVC_GITCRED_DAEMON_IDLE }, { "", SVC_GITCRED_DAEMON_IDLE },
		{ "off", 0 }, { "0", 0 }, { "120", 120 }, { "86400", 86400 },
		{ "2m", -1 }, { "-5", -1 }, { "86401", -1 }, { "999999999999", -1 },
		{ "Off", -1 }, { " 5", -1 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cases[i].value)
			setenv("SVCCONN_GITCRED_DAEMON", cases[i].value, 1);
		else
			unsetenv("SVCCONN_GITCRED_DAEMON");
		assert_int_equal(svc_gitcred_daemon_idle(), cases[i].want);
	}
	unsetenv("SVCCONN_GITCRED_DAEMON");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_serves_the_store, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses_bad_input, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_peers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_actor_falls_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_follows_a_rekey, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lifetime, setup, teardown),
		cmocka_unit_test(test_idle_setting),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
