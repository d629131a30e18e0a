/*
 * agents.h - agent pools, registered agents and their credentials.
 *
 * An Administrator creates pools (`svcconn pools create NAME [--trusted]`;
 * a trusted pool's agents may supply a job's pipeline YAML themselves) and
 * issues one-time registration tokens for a pool (SVC_REGISTRATION_TOKEN_
 * PREFIX, valid for hours, stored as a hash like a personal token).  An
 * agent exchanges one, over the server's API, for its credential: a token
 * of the same shape (SVC_AGENT_TOKEN_PREFIX), stored as a hash too, with
 * which it authenticates as principal kind AGENT.  The registration token
 * is spent by the exchange.  Revoking an agent revokes its credential: its
 * next request is refused.
 *
 * The policy (who may create pools, issue tokens, list and revoke agents:
 * the store's Administrator) is in the authority layer (ops.h:
 * svc_ops_pool_*, svc_ops_agent_*).  svc_agent_register is authenticated by
 * the registration token it is given; svc_agent_enroll is its client, run
 * on the agent's machine.
 */
#ifndef SVCCONN_AGENTS_H
#define SVCCONN_AGENTS_H

#include <stddef.h>
#include "authz.h"
#include "catalog.h"
#include "conn.h"
#include "errors.h"
#include "store.h"
#include "tokens.h"

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default)

/** Hours a registration token is valid for when none are given. */
#define SVC_REGISTRATION_DEFAULT_HOURS 24
/** Most hours a registration token can be valid for. */
#define SVC_REGISTRATION_MAX_HOURS (24 * 30)
/** Days an agent's credential is valid for. */
#define SVC_AGENT_CREDENTIAL_DAYS SVC_TOKEN_MAX_DAYS

/** A pool of agents. */
typedef struct svc_pool {
	char *name;        /**< unique, any case */
	int trusted;       /**< 1: its agents may supply pipeline YAML */
	char *created_by;  /**< who created it (audit name) */
	long long created; /**< seconds since the epoch */
} svc_pool;

/** A registered agent (never its credential). */
typedef struct svc_agent {
	char *name;                          /**< unique, any case */
	char *pool;                          /**< its pool */
	char token_id[SVC_TOKEN_ID_LEN + 1]; /**< its credential's id */
	char *created_by;  /**< who issued its registration token */
	long long created; /**< registered at */
	long long revoked; /**< revoked at, or 0 */
	long long last_used; /**< its credential's last use, or 0 */
	long long expires; /**< its credential's expiry */
} svc_agent;

/** Free a list of pools (NULL accepted). */
void svc_pool_list_free(svc_pool *list, size_t count);
/** Free the strings of one agent record. */
void svc_agent_clear(svc_agent *a);
/** Free a list of agents (NULL accepted). */
void svc_agent_list_free(svc_agent *list, size_t count);

/**
 * The server's side of the exchange: spend registration token reg (len
 * bytes) and register an agent called name in its pool.  *credential
 * receives the agent's credential, shown this once (free it with
 * svc_secret_free(*credential, SVC_TOKEN_LEN)); info (may be NULL) its
 * record (svc_agent_clear).  A malformed, unknown, wrong, spent or
 * expired token is SVC_EDENIED and audited ("token-auth-failed", with
 * client and request); a name taken is SVC_EEXISTS and leaves the token
 * unspent.  The registration is audited ("agent-register").
 */
int svc_agent_register(char **credential, svc_agent *info, svc_store *st,
		       const char *reg, size_t len, const char *name,
		       const char *client, const char *request);

/**
 * The pool and state of the agent called name (for a server that has
 * authenticated its credential); SVC_ENOTFOUND when there is none.
 */
int svc_agent_get(svc_agent *out, svc_pool *pool, svc_store *st,
		  const char *name);

/* ---- jobs agents start through the server ---- */

/** Hours a job token lives at most, whatever its leases. */
#define SVC_JOB_TOKEN_MAX_HOURS 24
/** Seconds a job's lease lasts unless the server says otherwise, and the
 * shortest and longest it may say. */
#define SVC_JOB_LEASE_DEFAULT 300
#define SVC_JOB_LEASE_MIN 10
#define SVC_JOB_LEASE_MAX 86400

/** What an agent asks for when it starts a job. */
typedef struct svc_job_request {
	const char *pipeline;     /**< pipeline name */
	const char *yaml;         /**< the pipeline's YAML (trusted pools),
				       or NULL: the registered pipeline's,
				       fetched by the server */
	size_t yaml_len;          /**< bytes of yaml */
	const char *commit;       /**< without yaml: the commit (40 hex
				       digits) to read the registered
				       pipeline at; NULL: the head of its
				       registered branch */
	const char *job;          /**< job name */
	const char *stage;        /**< stage, or NULL */
	const char *run_id;       /**< run id */
	const char *branch;       /**< the run's branch, or NULL */
	const char *requested_by; /**< who queued the run, or NULL */
	const char *const *vars;  /**< "NAME=VALUE": the run's variables
				       (--var), compile-time values of the
				       server's plan as of a local one */
	size_t nvars;             /**< entries in vars (at most
				       SVC_JOB_VARS_MAX) */
	int fork;                 /**< a run for a pull request from a
				       fork (Build.Reason PullRequest) */
	long lease_seconds;       /**< the job's lease: the SERVER's setting
				       (svc_server_options.job_lease_s),
				       never the agent's; 0: the default */
	int fork_secrets;         /**< the agent says the pipeline makes
				       secrets available to forks: heeded
				       only for agent-supplied YAML of a
				       trusted pool; a registered
				       pipeline's fork runs get none */
	long wait_s;              /**< svc_remote_job_start: the server may
				       hold the start up to this many
				       seconds (SVC_JOB_WAIT_MAX at most) while
				       the gate answers "waiting", and
				       answers as soon as a change on any
				       server releases it; 0: at once */
} svc_job_request;

/** The longest a server holds a job start whose gate waits, seconds. */
#define SVC_JOB_WAIT_MAX 60

/** Variables a job request may carry, and the longest name and value. */
#define SVC_JOB_VARS_MAX 256
#define SVC_JOB_VAR_NAME_MAX 256
#define SVC_JOB_VAR_VALUE_MAX 32768

/** What the server decided for a job an agent asked to start. */
typedef struct svc_agent_job {
	char id[SVC_ID_LEN + 1];  /**< the job's id (granted) */
	svc_gate_report *gate;    /**< the gate's report, or NULL */
	svc_diags *diags;         /**< why the job is invalid, or NULL */
	char *token;              /**< the job access token (granted), shown
				       once; wiped by svc_agent_job_free */
	long long lease_expires;  /**< the job expires then unless renewed */
	char *source;             /**< where the pipeline came from */
	char *record;             /**< the job's state as JSON text (steps,
				       variables, connection ids; no secret)
				       for the agent's job directory */
	svc_conn **conns;         /**< the granted connections, with their
				       secrets (granted only) */
	size_t nconns;            /**< entries in conns */
	const char *withheld;     /**< why a fork's run got no secrets
				       (static text), or NULL */
} svc_agent_job;

/** Free (wiping the token and the secrets); NULL accepted. */
void svc_agent_job_free(svc_agent_job *j);

/**
 * Expire the running jobs whose lease has ended: their locks released,
 * their usage records finished as "Failed", their tokens revoked, each
 * audited ("job-expired").  *n (may be NULL) counts them.
 */
int svc_agent_jobs_expire(svc_store *st, size_t *n);

#define SVC_AGENT_ENROLL_OPTIONS_VERSION 1

/** Where and how an agent registers itself. */
typedef struct svc_agent_enroll_options {
	unsigned version;       /**< SVC_AGENT_ENROLL_OPTIONS_VERSION */
	const char *server;     /**< https://host:port (http:// on loopback
				     for tests only) */
	const char *ca_file;    /**< CA certificates (PEM) trusted beside
				     the system's, or NULL */
	const char *name;       /**< the agent's name */
	const char *config_dir; /**< where the credential is written
				     (created 0700); it must not hold one */
} svc_agent_enroll_options;

/**
 * The agent's side: exchange registration token reg (len bytes) at the
 * server for a credential, written 0600 to config_dir/credential (created
 * with that mode, atomically), with config_dir/agent.json (server, name,
 * pool, CA file).  The token travels in an Authorization header only.
 * info (may be NULL) receives what the server said (svc_agent_clear).
 */
int svc_agent_enroll(svc_agent *info, const svc_agent_enroll_options *o,
		     const char *reg, size_t len);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
