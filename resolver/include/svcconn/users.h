/*
 * users.h - the server's users' passwords, for signing in to the web
 * console.
 *
 * A password is kept only as an Argon2id hash (Debian's libargon2) in the
 * PHC string format, "$argon2id$v=19$m=19456,t=2,p=1$SALT$HASH": 19 MiB of
 * memory, 2 passes, 1 lane (OWASP's second recommended configuration for
 * Argon2id, within RFC 9106's), a 16-byte salt from OpenSSL's RAND_bytes
 * and a 32-byte hash.  Parameters live in each string, so stronger ones
 * later verify older hashes unchanged.  Verifying an unknown user runs
 * Argon2id against a fixed hash of the same parameters, so the time taken
 * does not tell whether a user exists.  A password is never stored,
 * logged or returned; the buffers that held one are wiped.
 *
 * Passwords are set and removed through the authority layer (ops.h:
 * svc_ops_password_*): a user sets or removes its own, the store's
 * Administrator anybody's; each change is audited ("password-set",
 * "password-removed"), as is each refused sign-in ("password-auth-failed",
 * naming the user, never the password).
 */
#ifndef SVCCONN_USERS_H
#define SVCCONN_USERS_H

#include <stddef.h>
#include "errors.h"
#include "store.h"

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default)

/** Shortest password accepted, in bytes. */
#define SVC_PASSWORD_MIN 8
/** Longest password accepted, in bytes. */
#define SVC_PASSWORD_MAX 1024

/** A user with a password (never the hash). */
typedef struct svc_user_info {
	char *name;        /**< the user's name */
	long long changed; /**< its password was set then (epoch seconds) */
} svc_user_info;

/** Free a list from svc_ops_user_list (NULL accepted). */
void svc_user_list_free(svc_user_info *list, size_t count);

/**
 * Verify password (len bytes) of user name: 0 when it matches the stored
 * hash; SVC_EDENIED with the same message for an unknown user, a user
 * without a password and a wrong password (the same work done for each),
 * audited with client and request.
 */
int svc_password_verify(svc_store *st, const char *name, const char *password,
			size_t len, const char *client, const char *request);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
