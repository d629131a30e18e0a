/*
 * console_sessions.c - the web console's sessions, kept in the store so
 * that every server of a fleet knows each (docs/scale.md): a sign-in on
 * one server works on the next, and a sign-out on any ends it on all.
 *
 * The cookie holds a 256-bit random id (hex).  The row (store_rows.c:
 * console_sessions) is keyed by the SHA-256 of the id, never the id: a
 * reader of the database, or of its backups, cannot present a session.
 * The id is compared through its hash in the database's index: who does
 * not hold a live id learns nothing from the time of a lookup but that it
 * is unknown.  The CSRF token of its forms is not stored either: it is
 * HMAC-SHA256 keyed with the id over a fixed label, so every server
 * derives the same token from the cookie alone, a page that leaks its
 * token does not leak the id, and a rekey of the master key does not end
 * sessions nor break a form open in a browser.
 *
 * A session ends idle_s after its last request and max_s after its
 * sign-in, at sign-out, and as soon as its credential goes: the token it
 * signed in with revoked or expired (session_get asks on every request),
 * or the password it signed in with changed or removed (users/passwords.c
 * deletes its rows in the same transaction).  Its
 * last request is written at most every tenth of idle_s (at most a
 * minute), so that reading pages stays mostly reads; ended rows are
 * purged by each sign-in and each such write.
 */
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "svcconn/secret.h"
#include "console/console_int.h"
#include "errors_int.h"
#include "store/store_backend.h"
#include "store/store_int.h"
#include "util/buf.h"
#include "util/hex.h"

/* What the CSRF token is the HMAC of, keyed with the session's id. */
static const char csrf_label[] = "svcconn console csrf v1";
/* The longest wait between two writes of a session's last request, s. */
#define TOUCH_MAX_S 60

/* The row key (hash) and the CSRF token of id, both hex. */
static int session_keys(char hash[2 * CON_ID_BYTES + 1],
			char csrf[2 * CON_ID_BYTES + 1],
			const unsigned char id[CON_ID_BYTES])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	int ok;

	ok = EVP_Digest(id, CON_ID_BYTES, md, &n, EVP_sha256(), NULL) == 1 &&
	     n == CON_ID_BYTES;
	if (ok)
		hex_write(hash, md, CON_ID_BYTES);
	ok = ok && HMAC(EVP_sha256(), id, CON_ID_BYTES,
			(const unsigned char *)csrf_label,
			sizeof(csrf_label) - 1, md, &n) && n == CON_ID_BYTES;
	if (ok)
		hex_write(csrf, md, CON_ID_BYTES);
	svc_wipe(md, sizeof(md));
	hash[2 * CON_ID_BYTES] = csrf[2 * CON_ID_BYTES] = '\0';
	return ok ? 0 : error_set(SVC_ERROR, "cannot derive a session's keys");
}

/* Carries what session_get finds into a con_session. */
struct find_ctx {
	struct con_session *s; /**< filled */
	long long last_seen;   /**< its last request as recorded */
};

static int find_cb(void *ctx, const store_session_row *r)
{
	struct find_ctx *f = ctx;

	f->last_seen = r->last_seen;
	if (!(f->s->user = strdup(r->principal)) ||
	    (r->scopes && !(f->s->scopes = strdup(r->scopes))))
		return error_oom();
	return 0;
}

/* 1 when a request at now after one at last is to be written. */
static int touch_due(long long now, long long last, unsigned idle_s)
{
	long long every = idle_s / 10;

	return now - last >= (every < TOUCH_MAX_S ? every : TOUCH_MAX_S);
}

int con_session_find(struct con_session *out, svc_store *st,
		     const char *cookie, unsigned idle_s)
{
	unsigned char id[CON_ID_BYTES];
	struct find_ctx f = { out, 0 };
	long long now = (long long)time(NULL);
	svc_buf raw;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!cookie || strlen(cookie) != 2 * CON_ID_BYTES)
		return error_set(SVC_ENOTFOUND, "no console session");
	buf_init(&raw, CON_ID_BYTES, 1);
	if (hex_decode(&raw, cookie, 2 * CON_ID_BYTES) != 0 ||
	    raw.len != CON_ID_BYTES) {
		buf_clear(&raw);
		return error_set(SVC_ENOTFOUND, "no console session");
	}
	memcpy(id, raw.ptr, CON_ID_BYTES);
	buf_clear(&raw);
	rc = session_keys(out->hash, out->csrf, id);
	svc_wipe(id, sizeof(id));
	if (rc || (rc = store_tx_read(st)) != 0)
		goto fail;
	rc = st->ops->session_get(st->be, out->hash, now, now - idle_s,
				  find_cb, &f);
	if ((rc = store_tx_end(st, rc)) != 0)
		goto fail;
	if (touch_due(now, f.last_seen, idle_s)) {
		if ((rc = store_tx_write(st)) != 0)
			goto fail;
		rc = st->ops->session_touch(st->be, out->hash, now);
		if (rc == 0)
			rc = st->ops->session_purge(st->be, now, now - idle_s);
		if ((rc = store_tx_end(st, rc)) != 0)
			goto fail;
	}
	return 0;
fail:
	con_session_clear(out);
	return rc == SVC_ENOTFOUND
		       ? error_set(SVC_ENOTFOUND, "no console session")
		       : rc;
}

int con_session_new(char cookie[2 * CON_ID_BYTES + 1], svc_store *st,
		    const char *user, const char *scopes,
		    const char *token_id, unsigned idle_s, unsigned max_s)
{
	unsigned char id[CON_ID_BYTES];
	char hash[2 * CON_ID_BYTES + 1], csrf[2 * CON_ID_BYTES + 1];
	long long now = (long long)time(NULL);
	store_session_row r;
	int rc;

	if (RAND_bytes(id, CON_ID_BYTES) != 1)
		return error_set(SVC_ERROR, "cannot get random bytes for a session");
	if ((rc = session_keys(hash, csrf, id)) != 0)
		goto done;
	r.id_hash = hash;
	r.principal = user;
	r.scopes = scopes;
	r.token_id = token_id;
	r.created = r.last_seen = now;
	r.expires = now + (long long)max_s;
	if ((rc = store_tx_write(st)) != 0)
		goto done;
	rc = st->ops->session_purge(st->be, now, now - idle_s);
	if (rc == 0)
		rc = st->ops->session_insert(st->be, &r);
	if ((rc = store_tx_end(st, rc)) == 0) {
		hex_write(cookie, id, CON_ID_BYTES);
		cookie[2 * CON_ID_BYTES] = '\0';
	}
done:
	svc_wipe(id, sizeof(id));
	svc_wipe(csrf, sizeof(csrf));
	return rc;
}

int con_session_end(svc_store *st, const struct con_session *s)
{
	int rc;

	if ((rc = store_tx_write(st)) != 0)
		return rc;
	return store_tx_end(st, st->ops->session_delete(st->be, s->hash));
}

void con_session_clear(struct con_session *s)
{
	if (s->user)
		svc_secret_free(s->user, strlen(s->user));
	if (s->scopes)
		svc_secret_free(s->scopes, strlen(s->scopes));
	svc_wipe(s, sizeof(*s));
}
