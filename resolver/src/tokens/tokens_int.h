/*
 * tokens_int.h - personal access tokens below the policy: creating,
 * listing and revoking rows for a given owner.  Only the authority layer
 * (ops/ops_tokens.c: who may manage whose tokens) calls these; they are
 * not exported from libsvcconn.
 */
#ifndef SVC_TOKENS_INT_H
#define SVC_TOKENS_INT_H

#include "svcconn/tokens.h"

/**
 * Create a token for owner, valid for days (0: SVC_TOKEN_DEFAULT_DAYS; at
 * most SVC_TOKEN_MAX_DAYS).  *token receives the token (free it with
 * svc_secret_free(token, SVC_TOKEN_LEN)), info (may be NULL) its record
 * (svc_token_info_clear()).  actor is audited as who created it.
 */
int svc_token_create(char **token, svc_token_info *info, svc_store *st,
		     const char *owner, const char *name, const char *scopes,
		     unsigned days, const char *actor);

/** Tokens of owner (NULL: everybody's), oldest first. */
int svc_token_list(svc_token_info **out, size_t *count, svc_store *st,
		   const char *owner);

/**
 * Revoke token id at once.  With owner non-NULL only a token of that
 * owner is found (SVC_ENOTFOUND otherwise, as for an unknown id).
 */
int svc_token_revoke(svc_store *st, const char *id, const char *owner,
		     const char *actor);

#endif
