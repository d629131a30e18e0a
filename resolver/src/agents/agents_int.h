/*
 * agents_int.h - pools and agents below the policy: the rows, the
 * registration tokens and revocation.  Only the authority layer
 * (ops/ops_agents.c: the store's Administrator) calls these; they are
 * not exported from libsvcconn.
 */
#ifndef SVC_AGENTS_INT_H
#define SVC_AGENTS_INT_H

#include "svcconn/agents.h"

/** Create pool name (trusted 0/1); SVC_EEXISTS when it exists. */
int agents_pool_create(svc_store *st, const char *name, int trusted,
		       const char *actor);
/** Every pool, by name. */
int agents_pool_list(svc_pool **out, size_t *count, svc_store *st);
/**
 * A one-time registration token for pool, valid for hours (0: the
 * default); *token (svc_secret_free(*token, SVC_TOKEN_LEN)) shown once,
 * *expires its expiry.
 */
int agents_registration_token(char **token, long long *expires,
			      svc_store *st, const char *pool,
			      unsigned hours, const char *actor);
/** Every agent, by name. */
int agents_list(svc_agent **out, size_t *count, svc_store *st);
/** Revoke agent name and its credential at once. */
int agents_revoke(svc_store *st, const char *name, const char *actor);

/**
 * Start the job of req for agent (its pool's name and trust given): the
 * pipeline compiled from req->yaml (a trusted pool's), gated; granted, a
 * job row, a job token and the granted connections with secrets in *out.
 * Refusals are audited.
 */
int agents_job_start(svc_agent_job **out, svc_store *st,
		     const svc_catalog *cat, const char *agent,
		     const char *pool, int trusted,
		     const svc_job_request *req);
/**
 * Renew (result NULL) or complete (result given) job id, started by agent
 * (NULL: any), or as the job itself (job_id non-NULL must equal id).
 * SVC_EDENIED, audited, for another agent's or another job's; SVC_EINVALID
 * for one that ended.  *lease (may be NULL) receives the new lease end,
 * lease_seconds from now (0: SVC_JOB_LEASE_DEFAULT).
 */
int agents_job_touch(long long *lease, svc_store *st, const char *agent,
		     const char *job_id, const char *id, const char *result,
		     long lease_seconds);
/**
 * The granted connections, with their secrets, of job id, for the job
 * itself (job_id): SVC_EDENIED, audited, for any other job.
 */
int agents_job_conns(svc_conn ***out, size_t *count, svc_store *st,
		     const char *job_id, const char *id);
/** Audit ("job-access-refused") actor's use of job id refused; SVC_EDENIED, why. */
int agents_job_refuse(svc_store *st, const char *actor, const char *id,
		      const char *why);

#endif
