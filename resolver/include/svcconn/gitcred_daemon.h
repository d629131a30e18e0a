/*
 * gitcred_daemon.h - the per-user daemon that keeps git's credential helper
 * fast.
 *
 * git runs its credential helper for every fetch and push.  Started afresh,
 * git-credential-svcconn would load OpenSSL and SQLite, set up OpenSSL's
 * providers and read the store's schema each time: milliseconds before it
 * decrypts one password.  So the helper is split in two:
 *
 *   git-credential-svcconn   a thin client linked to the C library alone
 *                            (svc_gitcred_daemon_call): it hands its
 *                            standard input, output and error to the
 *                            daemon and exits with the daemon's status;
 *   svcconn-gitcred          the whole helper (svcconn/gitcred.h on the
 *                            store), run directly when no daemon answers;
 *                            it then starts one (svc_gitcred_daemon_start),
 *                            and with --serve it is the daemon
 *                            (svc_gitcred_daemon_serve).
 *
 * The daemon listens on SVC_GITCRED_DAEMON_SOCKET in the store's directory
 * (private to the user), holds SVC_GITCRED_DAEMON_LOCK while it lives (one
 * daemon per store), and serves one request at a time: the peer must run
 * as our uid and pass exactly three descriptors; the daemon reads the
 * request from the first (bounded in size and time), writes the answer to
 * the second and any error to the third, and sends back one status byte.
 * It keeps the store open and the key in memory (not dumpable, no core
 * dumps), notices a changed key file (`svcconn rekey`) and reopens the
 * store, and ends when it has been idle for its time, when its socket or
 * the store's directory is gone, when its executable was replaced, or on
 * the `exit` action.  Before it touches a client's descriptors it may
 * answer "restart": the client then runs svcconn-gitcred itself, so a
 * request is never lost.
 *
 * SVCCONN_GITCRED_DAEMON sets the idle time in seconds (default
 * SVC_GITCRED_DAEMON_IDLE); "off" or 0 runs every request directly.
 */
#ifndef SVCCONN_GITCRED_DAEMON_H
#define SVCCONN_GITCRED_DAEMON_H

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default)

/** The daemon's socket, in the store's directory. */
#define SVC_GITCRED_DAEMON_SOCKET "gitcred.sock"
/** The lock the living daemon holds, in the store's directory. */
#define SVC_GITCRED_DAEMON_LOCK "gitcred.lock"
/** Default idle time before the daemon ends, in seconds (as git's cache). */
#define SVC_GITCRED_DAEMON_IDLE 900u
/** The executable of the whole helper and the daemon. */
#define SVC_GITCRED_DAEMON_EXE "svcconn-gitcred"

/** What svc_gitcred_daemon_call returns besides 0. */
enum {
	SVC_GITCRED_DAEMON_ABSENT = 1, /**< no daemon took the request, and
					    nothing was read: run it directly */
	SVC_GITCRED_DAEMON_LOST = 2    /**< the daemon ended during the
					    request */
};

/**
 * The idle time SVCCONN_GITCRED_DAEMON asks for: its number of seconds, 0
 * for "off" or 0, SVC_GITCRED_DAEMON_IDLE when unset or empty.  -1 when
 * the value is none of these.
 */
long svc_gitcred_daemon_idle(void);

/**
 * Have the daemon of the user's store carry out action ("get", "store",
 * "erase"; "exit" ends the daemon) on our standard input, output and
 * error.  0 with *status the exit status for git, or one of the codes
 * above.  Uses the C library alone.
 */
int svc_gitcred_daemon_call(int *status, const char *action);

/** Options of svc_gitcred_daemon_serve. */
typedef struct svc_gitcred_daemon_options {
	unsigned version;        /**< SVC_GITCRED_DAEMON_OPTIONS_VERSION */
	unsigned idle_seconds;   /**< end after this long without a request */
	int read_timeout_ms;     /**< longest wait for a request's input */
} svc_gitcred_daemon_options;
#define SVC_GITCRED_DAEMON_OPTIONS_VERSION 1

/**
 * Serve the user's store (SVCCONN_HOME or the default) until one of the
 * ends above.  0 when it ended so, or when another daemon serves the store
 * already; an SVC_E* code when it could not start.
 */
int svc_gitcred_daemon_serve(const svc_gitcred_daemon_options *o);

/**
 * Start exe --serve as a detached daemon for the user's store, with an
 * environment holding only the store's absolute directory and what the
 * store reads (SVCCONN_USER, SVCCONN_NOW), and SVCCONN_GITCRED_DAEMON.
 * Returns at once; a daemon that finds another one running ends quietly.
 */
int svc_gitcred_daemon_start(const char *exe);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
