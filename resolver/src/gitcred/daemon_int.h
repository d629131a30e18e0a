/*
 * daemon_int.h - the wire format between git-credential-svcconn and its
 * daemon (svcconn/gitcred_daemon.h), shared by both sides.
 */
#ifndef SVC_GITCRED_DAEMON_INT_H
#define SVC_GITCRED_DAEMON_INT_H

/** First field of every request: the protocol and its version. */
#define DAEMON_MAGIC "svcconn-gitcred/1"
/** Longest request header: magic, action and actor, each NUL-ended. */
#define DAEMON_HEADER_MAX 1024
/** Longest actor name (as svc_identity_current() accepts). */
#define DAEMON_ACTOR_MAX 256
/** What every version of the protocol's magic starts with. */
#define DAEMON_MAGIC_FAMILY "svcconn-gitcred/"
/** Longest idle time accepted from SVCCONN_GITCRED_DAEMON (a day). */
#define DAEMON_IDLE_MAX 86400L

/** The status byte of an answer. */
enum {
	DAEMON_OK = '0',       /**< done; git gets exit status 0 */
	DAEMON_FAILED = '1',   /**< failed; the reason is on the client's
				    standard error; exit status 1 */
	DAEMON_RESTART = 'R'   /**< not done, nothing read: run directly */
};

#endif
