/*
 * broker.h - the per-job broker, and its client.
 *
 * A granted job gets a broker: a small process that holds, in memory for
 * the job's lifetime, the credentials of its git-capable connections (Other
 * Git, GitHub, GitHub Enterprise, Bitbucket, Azure Repos, Generic), handed
 * to git through git-credential-svcconn one request at a time, and the
 * secret variables and endpoint changes its steps pass on to each other.
 * The git credentials never reach a step's environment, argv or a file;
 * the step variables reach only the later steps' environment.
 * `svcconn-agent job-start` starts one for every granted job;
 * `svcconn-agent run`, which keeps the step variables itself, only for a
 * job with git-capable or SSH connections (svc_broker_wanted).
 *
 * The broker lives in the job's private directory (mode 0700):
 *
 *   broker.pid     its process id (0600)
 *   broker.token   64 hex digits of a random 32-byte token (0600)
 *   broker.helper  the absolute path of git-credential-svcconn (0600; only
 *                  for a job with git-capable or SSH connections)
 *   broker.sock    the Unix socket it listens on (made under umask 077)
 *   broker.log     notes (failed authentications), never a secret
 *
 * It answers only a peer of its own uid (SO_PEERCRED) that presents the
 * token (compared in constant time), and only the requests of a fixed
 * table: "ping", "git-credential" (protocol, host, path),
 * "git-credential-reject" (git's erase: noted, nothing changes),
 * "ssh-askpass" (below), "vars-get" and "vars-put" (the job's step
 * variables, svc_step_vars_encode()'s text, up to SVC_STEP_VARS_MAX).  A
 * credential is given only for a URL of one of the job's git-capable
 * connections: same scheme (an https credential never goes to http), same
 * host and port, the path at or under the connection URL's path (no "."
 * or ".." segments).  User names by scheme, as the agent's: OAuth and
 * OAuth2 "OAuth", PersonalAccessToken "PersonalAccessToken", Token
 * "x-access-token", UsernamePassword the connection's username.
 *
 * The protocol is line based, like git's: "key=value" lines ended by a
 * blank line, in both directions; unknown keys are ignored, a malformed
 * line fails the request, lines and requests are bounded, and no value
 * written holds CR, LF or NUL.  Answers start with "status=" ok, none,
 * denied or error.
 *
 * The broker ends when job.json disappears (job-end), when the process it
 * watches dies, when asked to stop, or at its deadline (6 hours by
 * default), wiping every credential and the step variables and removing
 * its files.
 *
 * SSH connections (type "ssh") of the job: each must pin its server's key
 * (hostKey); the job directory gets
 *
 *   known_hosts     the pinned keys, "[host]:port type base64" (0600)
 *   ssh-agent.sock  the socket of the job's ssh-agent, holding every key
 *   ssh-agent.pid   its process id (0600)
 *
 * and a key's passphrase is asked of the broker ("ssh-askpass", by
 * svcconn-askpass while ssh-add runs at job start), which gives it once.
 * A job with an SSH key gets a broker even without a git connection, so
 * that the sweep of a dead broker's directory kills its ssh-agent too.
 */
#ifndef SVCCONN_BROKER_H
#define SVCCONN_BROKER_H

#include <signal.h>
#include <stddef.h>
#include "catalog.h"
#include "errors.h"
#include "gitcred.h"
#include "inject.h"
#include "conn.h"
#include "store.h"

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default)

#define SVC_BROKER_OPTIONS_VERSION 1

/** Default lifetime of a broker, in seconds (6 hours). */
#define SVC_BROKER_DEADLINE_DEFAULT (6L * 3600L)

typedef struct svc_broker_options {
	unsigned version;          /**< SVC_BROKER_OPTIONS_VERSION */
	const char *job_dir;       /**< the job's private directory */
	const char *helper;        /**< absolute path of git-credential-svcconn
					written to broker.helper, or NULL */
	long deadline_seconds;     /**< lifetime; 0: the default */
	long watch_pid;            /**< stop when this process dies (0: none) */
	volatile sig_atomic_t *stop; /**< stop when *stop becomes non-zero
					  (a signal handler sets it), or NULL */
	/** A note about the broker's work (never a secret), or NULL. */
	void (*log)(void *ctx, const char *message);
	void *ctx;                 /**< passed to log */
	/* a job started by svcconn-server (st NULL): what the server sent */
	const char *endpoints;     /**< the job's granted connections, a JSON
					array of ServiceEndpoints with their
					secrets, kept in memory only; NULL:
					the job's connections are read from
					the store */
	size_t endpoints_len;      /**< bytes of endpoints */
	const char *job_token;     /**< the server's job access token: the
					job's SystemVssConnection token
					(NULL: a random one) */
	struct svc_remote *remote; /**< the server, with the agent's
					credential: the broker renews the
					job's lease there, or NULL */
	const char *job_id;        /**< the server's id of the job */
	long long lease_expires;   /**< when its lease ends (seconds since
					1970) unless renewed */
} svc_broker_options;

/**
 * *wanted = 1 when the job started in job_dir was granted at least one
 * git-capable connection (so that it needs a broker).
 */
int svc_broker_wanted(int *wanted, svc_store *st, const svc_catalog *cat,
		      const char *job_dir);

/**
 * Serve the job in o->job_dir until it ends (see above); a job without
 * git-capable connections is served too (its step variables).
 * SVC_EEXISTS when a live broker serves it already.  Returns 0 when it
 * ended normally.
 */
int svc_broker_serve(const svc_broker_options *o, svc_store *st,
		     const svc_catalog *cat);

/**
 * SVC_EINVALID, with a message saying how to pin one, when an SSH
 * connection granted to the job in job_dir has no hostKey (or one that is
 * not a known_hosts line).
 */
int svc_broker_ssh_check(svc_store *st, const svc_catalog *cat,
			 const char *job_dir);

/**
 * Prepare the SSH connections of the job in job_dir (after its broker
 * answers): write known_hosts, start the job's ssh-agent (fresh
 * environment, detached) and add each connection's PrivateKey with
 * "ssh-add -" fed through a socket pair; askpass (absolute path of
 * svcconn-askpass, or NULL) answers passphrases.  Nothing is done for a
 * job without SSH connections.  On failure the agent is stopped again.
 */
int svc_broker_ssh_start(svc_store *st, const svc_catalog *cat,
			 const char *job_dir, const char *askpass);

/**
 * Kill the ssh-agent of job_dir (only when /proc shows the ssh-agent of
 * that directory under the recorded pid) and remove its socket, pid file
 * and the job's known_hosts.  0 also when there was none.
 */
int svc_broker_ssh_stop(const char *job_dir);

/**
 * Ask the broker of job_dir for the passphrase of the job's SSH connection
 * whose id is connection (svcconn-askpass).  *out is a new string of *len
 * bytes, to free with svc_secret_free.  SVC_ENOTFOUND when the broker has
 * none (or gave it already).
 */
int svc_broker_ssh_askpass(char **out, size_t *len, const char *job_dir,
			   const char *connection);

/** 0 when the broker of job_dir answers a ping. */
int svc_broker_ping(const char *job_dir);

/**
 * Ask the broker of job_dir for the credential of request req (protocol,
 * host, path): *out gets a new credential with username and password.
 * SVC_ENOTFOUND when the broker has none for it (or refuses).
 */
int svc_broker_git_credential(svc_gitcred **out, const char *job_dir,
			      const svc_gitcred *req);

/** Tell the broker of job_dir that the credential for req was refused. */
int svc_broker_git_reject(const char *job_dir, const svc_gitcred *req);

/**
 * The step variables the broker of job_dir keeps (svc_step_vars_encode()'s
 * text; "" before a step saved any): *out is a new string of *len bytes,
 * to free with svc_secret_free.  SVC_ENOTFOUND when no broker serves the
 * job (no token file); an error when one should but does not answer.
 */
int svc_broker_vars_get(char **out, size_t *len, const char *job_dir);

/**
 * Make the len bytes of text (one line, at most SVC_STEP_VARS_MAX) the
 * step variables the broker of job_dir keeps, replacing (and wiping) what
 * it kept.
 */
int svc_broker_vars_put(const char *job_dir, const char *text, size_t len);

/**
 * Stop the broker of job_dir (SIGTERM to the pid in broker.pid, waiting a
 * little for it) and remove its files.  0 also when there was none.
 */
int svc_broker_stop(const char *job_dir);

/**
 * Remove the leftovers (socket, token, pid and helper files) of brokers
 * that died without cleaning up, in the job directories next to job_dir
 * (and, when job_dir is <dir>/jobs/<run>/<job> or <dir>/.svcconn/<run>/<job>,
 * in every run's job
 * directories).  A directory whose broker still lives is not touched; a job
 * directory itself is never removed.  *swept (may be NULL) counts them.
 */
int svc_broker_sweep(size_t *swept, const char *job_dir);

/**
 * When the job in job_dir has a broker: add to env SVCCONN_JOB_DIR (the
 * absolute job directory) and GIT_CONFIG_COUNT/KEY/VALUE entries that clear
 * every inherited credential.helper, set git-credential-svcconn as the only
 * one, and turn on credential.useHttpPath (so the broker sees the path).
 * Nothing is added when the job has no broker.  When ssh is non-zero (the
 * step references an SSH connection) and the job has SSH connections:
 * SSH_AUTH_SOCK (its ssh-agent, when it holds keys) and GIT_SSH_COMMAND
 * ("ssh -F /dev/null -o IdentitiesOnly=no -o
 * UserKnownHostsFile=<job_dir>/known_hosts -o StrictHostKeyChecking=yes -o
 * GlobalKnownHostsFile=/dev/null"); other steps get neither.
 */
int svc_broker_step_env(svc_env *env, const char *job_dir, int ssh);

/** One step's grant from the job's broker (svc_broker_step_begin). */
typedef struct svc_broker_step svc_broker_step;

/**
 * Ask the broker of the job in job_dir for a grant to one step: a new
 * token that reaches only the n connections ids (those the step
 * references; n may be 0) for git credentials, and nothing else the
 * broker answers (step variables, SSH passphrases, grants: the job's token
 * only).  The step gets it as SVC_BROKER_TOKEN_ENV; its sandbox has no
 * broker.token.  SVC_ENOTFOUND when no broker serves the job.
 */
int svc_broker_step_begin(svc_broker_step **out, const char *job_dir,
			  const char *const *ids, size_t n);
/** The step's token (64 hex digits); valid while s lives. */
const char *svc_broker_step_token(const svc_broker_step *s);
/**
 * The step has ended: its token reaches nothing any more; s is freed.
 * NULL is accepted.
 */
void svc_broker_step_end(svc_broker_step *s);

/** Hex digits in a broker's tokens. */
#define SVC_BROKER_TOKEN_HEX 64
/** The longest SystemVssConnection token (a server's job token fits). */
#define SVC_BROKER_SYSTEM_TOKEN_MAX 128

/**
 * The job's SystemVssConnection token (kept in the broker's memory only;
 * the job's token asks, never a step's) into out: the server's job token
 * for a job of svcconn-server, else a random one the broker of job_dir
 * made when it started.  SVC_ENOTFOUND when no broker serves the job.
 */
int svc_broker_system_token(char out[SVC_BROKER_SYSTEM_TOKEN_MAX + 1],
			    const char *job_dir);
/**
 * Connection id of the job in job_dir (a job of svcconn-server, whose
 * connections only its broker holds) with its secrets, asked of the
 * broker with the job's token.  SVC_ENOTFOUND when the job has no such
 * connection.
 */
int svc_broker_connection(svc_conn **out, const char *job_dir,
			  const char *id);
/** A new random token of SVC_BROKER_TOKEN_HEX hex digits into out. */
int svc_broker_token_new(char out[SVC_BROKER_TOKEN_HEX + 1]);

/** The variable a step's token is given in (git's helper reads it). */
#define SVC_BROKER_TOKEN_ENV "SVCCONN_BROKER_TOKEN"

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
