/*
 * passwords.c - users' passwords: Argon2id hashes in PHC strings, set,
 * removed, listed and verified.
 *
 * A new hash takes PASSWORD_* of users_int.h (OWASP's second Argon2id
 * configuration: m=19456 KiB, t=2, p=1) and a 16-byte salt from
 * RAND_bytes; argon2id_hash_encoded writes the PHC string, which is all
 * the row keeps (store_backend.h: password_*).  argon2id_verify reads the
 * parameters back from the string and compares in constant time.  A user
 * without a row is verified against dummy_phc, a hash of the same
 * parameters of a password nobody knows, so an unknown name costs what a
 * known one does.  Every set and removal is one write transaction with its
 * audit record, and ends the console's sessions signed in with the
 * user's password (console/console_sessions.c); every refused
 * verification writes "password-auth-failed" (the name, the client, the
 * request; never the password).
 */
#include <stdlib.h>
#include <string.h>

#include <argon2.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "svcconn/secret.h"
#include "users/users_int.h"
#include "errors_int.h"
#include "store/store_backend.h"
#include "store/store_int.h"
#include "util/clock.h"

/* Longest user name. */
#define NAME_MAX_LEN 256
/* Longest PHC string read from a row. */
#define PHC_MAX 512

/* The hash of a random password nobody knows, with the parameters above. */
static const char dummy_phc[] =
	"$argon2id$v=19$m=19456,t=2,p=1$/K4p22Z0wMn8G5lWj0+mWg$"
	"ne2x5BL7p3SsZcVRf+42B8hxUJPMByWklf/hKerZhKg";

/* 0 when name may be a user's name, else SVC_EINVALID naming it. */
static int check_user(const char *name)
{
	int rc;

	if (!name)
		return error_set(SVC_EINVALID, "a password needs a user name");
	if ((rc = store_name_check("user name", name)))
		return rc;
	if (strlen(name) > NAME_MAX_LEN)
		return error_set(SVC_EINVALID,
				 "user name '%.40s...' is longer than %d characters",
				 name, NAME_MAX_LEN);
	return 0;
}

int password_hash(char **phc, const char *password, size_t len)
{
	unsigned char salt[PASSWORD_SALT_BYTES];
	size_t n = argon2_encodedlen(PASSWORD_T_COST, PASSWORD_M_COST,
				     PASSWORD_LANES, PASSWORD_SALT_BYTES,
				     PASSWORD_HASH_BYTES, Argon2_id);
	char *out;
	int rc;

	if (len < SVC_PASSWORD_MIN || len > SVC_PASSWORD_MAX)
		return error_set(SVC_EINVALID,
				 "a password has %d to %d bytes, not %zu",
				 SVC_PASSWORD_MIN, SVC_PASSWORD_MAX, len);
	if (memchr(password, '\0', len))
		return error_set(SVC_EINVALID, "a password cannot hold a NUL byte");
	if (RAND_bytes(salt, sizeof(salt)) != 1)
		return error_set(SVC_ERROR, "cannot get random bytes for a salt");
	if (!(out = malloc(n))) {
		OPENSSL_cleanse(salt, sizeof(salt));
		return error_oom();
	}
	rc = argon2id_hash_encoded(PASSWORD_T_COST, PASSWORD_M_COST,
				   PASSWORD_LANES, password, len, salt,
				   sizeof(salt), PASSWORD_HASH_BYTES, out, n);
	OPENSSL_cleanse(salt, sizeof(salt));
	if (rc != ARGON2_OK) {
		free(out);
		return error_set(SVC_ERROR, "cannot hash a password: %s",
				 argon2_error_message(rc));
	}
	*phc = out;
	return 0;
}

int svc_password_set(svc_store *st, const char *name, const char *password,
		     size_t len, const char *actor)
{
	store_password_row r;
	char *phc = NULL, now_iso[32];
	time_t now;
	int rc;

	if ((rc = check_user(name)) || (rc = clock_now(&now)) ||
	    (rc = password_hash(&phc, password, len)))
		return rc;
	clock_iso8601(now_iso, now);
	r.name = name;
	r.phc = phc;
	r.changed = (long long)now;
	if ((rc = store_tx_write(st)) == 0) {
		rc = st->ops->password_put(st->be, &r);
		/* the console's sessions of the old password end with it */
		if (rc == 0)
			rc = st->ops->session_end_password(st->be, name);
		if (rc == 0)
			rc = store_audit(st, now_iso, store_actor(actor),
					 "password-set", "", "",
					 json_pack("{s:s}", "user", name));
		rc = store_tx_end(st, rc);
	}
	svc_secret_free(phc, strlen(phc));
	return rc;
}

int svc_password_remove(svc_store *st, const char *name, const char *actor)
{
	char now_iso[32];
	time_t now;
	int rc;

	if ((rc = check_user(name)) || (rc = clock_now(&now)))
		return rc;
	clock_iso8601(now_iso, now);
	if ((rc = store_tx_write(st)) != 0)
		return rc;
	rc = st->ops->password_delete(st->be, name);
	if (rc == SVC_ENOTFOUND)
		rc = error_set(SVC_ENOTFOUND, "user '%s' has no password", name);
	if (rc == 0)
		rc = st->ops->session_end_password(st->be, name);
	if (rc == 0)
		rc = store_audit(st, now_iso, store_actor(actor),
				 "password-removed", "", "",
				 json_pack("{s:s}", "user", name));
	return store_tx_end(st, rc);
}

/* Collects rows into a growing array of records. */
struct list_ctx {
	svc_buf buf;  /**< the svc_user_info array, bounded */
	size_t n;     /**< records in it */
};

static int list_cb(void *ctx, const store_password_row *r)
{
	struct list_ctx *l = ctx;
	svc_user_info u;
	int rc;

	u.changed = r->changed;
	if (!(u.name = strdup(r->name)))
		return error_oom();
	if ((rc = buf_put(&l->buf, &u, sizeof(u)))) {
		free(u.name);
		return rc;
	}
	l->n++;
	return 0;
}

int svc_user_list(svc_user_info **out, size_t *count, svc_store *st,
		  const char *name)
{
	struct list_ctx l = { SVC_BUF_INIT, 0 };
	int rc;

	if ((rc = store_tx_read(st)) != 0)
		return rc;
	rc = st->ops->password_list(st->be, name, list_cb, &l);
	if (rc == SVC_ENOTFOUND)
		rc = 0;
	rc = store_tx_end(st, rc);
	if (rc) {
		svc_user_list_free((svc_user_info *)l.buf.ptr, l.n);
		return rc;
	}
	*out = (svc_user_info *)buf_detach(&l.buf, NULL);
	*count = l.n;
	return 0;
}

void svc_user_list_free(svc_user_info *list, size_t count)
{
	size_t i;

	for (i = 0; list && i < count; i++)
		free(list[i].name);
	free(list);
}

/* Keeps the PHC string of the row password_list finds. */
static int phc_cb(void *ctx, const store_password_row *r)
{
	svc_buf *b = ctx;

	return buf_puts(b, r->phc) ? SVC_ERROR : 1;
}

/* Audit a refused sign-in of name and return SVC_EDENIED. */
static int refused(svc_store *st, const char *name, const char *why,
		   const char *client, const char *request)
{
	char now_iso[32];
	time_t now;

	if (clock_now(&now) == 0 && store_tx_write(st) == 0) {
		clock_iso8601(now_iso, now);
		store_tx_end(st, store_audit(st, now_iso, "(unauthenticated)",
					     "password-auth-failed", "", "",
					     json_pack("{s:s, s:s, s:s, s:s}",
						       "user", name ? name : "",
						       "reason", why, "client",
						       client ? client : "",
						       "request",
						       request ? request : "")));
	}
	/* one message for every reason: it must not tell users apart */
	return error_set(SVC_EDENIED, "user name or password refused");
}

int svc_password_verify(svc_store *st, const char *name, const char *password,
			size_t len, const char *client, const char *request)
{
	svc_buf phc;
	const char *why = NULL;
	int rc, known = 0;

	buf_init(&phc, PHC_MAX, 0);
	if (!password || check_user(name) || len > SVC_PASSWORD_MAX ||
	    memchr(password, '\0', len)) {
		why = "malformed user name or password";
		goto check;
	}
	if ((rc = store_tx_read(st)) != 0)
		goto done;
	rc = st->ops->password_list(st->be, name, phc_cb, &phc);
	if ((rc = store_tx_end(st, rc == SVC_ENOTFOUND ? 0 : rc)) != 0)
		goto done;
	known = phc.len > 0;
	if (!known)
		why = "no such user, or no password set";
check:
	/* the same work for every path: unknown users check a dummy */
	rc = argon2id_verify(known ? phc.ptr : dummy_phc,
			     password ? password : "", password ? len : 0);
	if (known && rc != ARGON2_OK)
		why = rc == ARGON2_VERIFY_MISMATCH ? "wrong password"
						   : "the stored hash cannot be read";
	rc = why ? refused(st, name, why, client, request) : 0;
done:
	buf_clear(&phc);
	return rc;
}
