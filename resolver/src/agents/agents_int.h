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

#endif
