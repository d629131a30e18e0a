/*
 * users_int.h - users' passwords below the policy: setting, removing and
 * listing rows for a given name.  Only the authority layer (ops/ops_users.c:
 * who may change whose password) calls these; they are not exported from
 * libsvcconn.
 */
#ifndef SVC_USERS_INT_H
#define SVC_USERS_INT_H

#include "svcconn/users.h"

/* The Argon2id parameters of new hashes (users.h says why). */
#define PASSWORD_T_COST 2         /* passes */
#define PASSWORD_M_COST 19456     /* KiB of memory (19 MiB) */
#define PASSWORD_LANES 1          /* lanes and threads */
#define PASSWORD_SALT_BYTES 16
#define PASSWORD_HASH_BYTES 32

/**
 * The Argon2id PHC string of password (len bytes) with a fresh random
 * salt into *phc (free()); SVC_EINVALID for a password shorter than
 * SVC_PASSWORD_MIN, longer than SVC_PASSWORD_MAX or holding a NUL.
 */
int password_hash(char **phc, const char *password, size_t len);

/**
 * Set the password of name (replacing any), audited "password-set" under
 * actor, in one write transaction.
 */
int svc_password_set(svc_store *st, const char *name, const char *password,
		     size_t len, const char *actor);

/** Remove the password of name (SVC_ENOTFOUND: none), audited. */
int svc_password_remove(svc_store *st, const char *name, const char *actor);

/** The users with a password (name NULL: all; else that one), by name. */
int svc_user_list(svc_user_info **out, size_t *count, svc_store *st,
		  const char *name);

#endif
