/*
 * store_gitcred.c - git credentials in the store: get, store, erase, and
 * their share of a rekey.
 *
 * This file decides and seals; the backend (store_backend.h: gitcred_*)
 * only moves rows.  The backend selects rows by the attributes a request
 * has (what SQL can do exactly); every selected row is checked again here
 * with git's rule (gitcred_match), so a backend whose comparisons were
 * looser could not widen a match.  Passwords are compared in constant
 * time, and only opened when a request needs them (get, erase with a
 * password, store deciding whether anything changed).
 *
 * The password is sealed under the store's master key with associated
 * data "git-credential" and "password" LF protocol LF host LF path LF
 * username: values never hold LF, so the encoding is unambiguous, and a
 * sealed password moved to another row (or to a connection's field, whose
 * associated data names a UUID) fails to open.  Stored form, as git's
 * store helper reads its file back: no host is host "", the path loses the
 * slashes around it and an empty one is none.
 *
 * Changes run in one write transaction with one audit record ("gitcred-
 * store", "gitcred-erase") naming protocol, host and path: the user name
 * can be a token for some services, so it is not logged.  Storing what is
 * stored already, when it is the newest credential, writes nothing (git's
 * helper would move it to the front, where it is), so a `git fetch` that
 * approves the same credential every time leaves no trail of identical
 * records.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "svcconn/gitcred.h"
#include "svcconn/secret.h"
#include "svcconn/store.h"
#include "crypto/crypto.h"
#include "errors_int.h"
#include "gitcred/gitcred_int.h"
#include "store/store_backend.h"
#include "store/store_gitcred.h"
#include "store/store_int.h"
#include "util/buf.h"

/* The "connection id" part of a git credential's associated data. */
#define GITCRED_AAD_ID "git-credential"
/* Largest buffer of row ids or resealed passwords held at once (1 GiB). */
#define GITCRED_BUF_MAX ((size_t)1 << 30)

/* ---- helpers ----------------------------------------------------------- */

/* The field-key part of the associated data of a row's password. */
static int aad_key(svc_buf *out, const char *protocol, const char *host,
		   const char *path, const char *username)
{
	return buf_printf(out, "password\n%s\n%s\n%s\n%s", protocol, host, path,
			  username);
}

/* Open the sealed password of row r into pt (a secret buffer). */
static int open_password(svc_buf *pt, svc_store *st, const store_gitcred_row *r)
{
	svc_buf aad = SVC_BUF_INIT;
	int rc;

	if ((rc = aad_key(&aad, r->protocol, r->host, r->path,
			  r->username)) != 0)
		return rc;
	rc = crypto_open(pt, &st->key, GITCRED_AAD_ID, aad.ptr, r->sealed,
			 r->sealed_len);
	buf_clear(&aad);
	if (rc == SVC_ECRYPTO && strcmp(r->key_id, st->key.id) != 0)
		return error_set(SVC_ECRYPTO,
				 "cannot decrypt the git credential for '%s://%s': it is sealed with key id %s, not with the store's key %s",
				 r->protocol, r->host, r->key_id, st->key.id);
	if (rc == SVC_ECRYPTO)
		return error_set(SVC_ECRYPTO,
				 "cannot decrypt the git credential for '%s://%s': authentication failed (tampered, moved, or wrong key)",
				 r->protocol, r->host);
	return rc;
}

/*
 * Row r as a credential (its path absent when ""), with its password
 * opened when with_password.
 */
static int row_cred(svc_gitcred **out, svc_store *st,
		    const store_gitcred_row *r, int with_password)
{
	svc_gitcred *c = NULL;
	svc_buf pt;
	int rc;

	buf_init(&pt, SVC_GITCRED_INPUT_MAX, 1);
	if ((rc = svc_gitcred_new(&c)) != 0)
		return rc;
	if ((rc = svc_gitcred_set(c, SVC_GITCRED_PROTOCOL, r->protocol)) ||
	    (rc = svc_gitcred_set(c, SVC_GITCRED_HOST, r->host)) ||
	    (rc = svc_gitcred_set(c, SVC_GITCRED_PATH,
				  *r->path ? r->path : NULL)) ||
	    (rc = svc_gitcred_set(c, SVC_GITCRED_USERNAME, r->username)))
		goto fail;
	if (with_password &&
	    ((rc = open_password(&pt, st, r)) != 0 ||
	     (rc = svc_gitcred_set_len(c, SVC_GITCRED_PASSWORD,
				       pt.ptr ? pt.ptr : "", pt.len)) != 0))
		goto fail;
	buf_clear(&pt);
	*out = c;
	return 0;
fail:
	buf_clear(&pt);
	svc_gitcred_free(c);
	return rc;
}

/* A JSON string for s; text that is not UTF-8 is replaced by a marker. */
static json_t *jstr(const char *s)
{
	json_t *j = json_string(s ? s : "");

	return j ? j : json_string("(not UTF-8)");
}

/* The audit detail of a change: where, and how many rows it touched. */
static json_t *detail_of(const char *protocol, const char *host,
			 const char *path, const char *count_key, size_t n)
{
	return json_pack("{s:o, s:o, s:o, s:I}", "protocol", jstr(protocol),
			 "host", jstr(host ? host : ""), "path",
			 jstr(path ? path : ""), count_key, (json_int_t)n);
}

/* Drop the rows whose ids are in ids (an array of long long). */
static int delete_rows(svc_store *st, const svc_buf *ids)
{
	size_t i, n = ids->len / sizeof(long long);
	long long id;
	int rc;

	for (i = 0; i < n; i++) {
		memcpy(&id, ids->ptr + i * sizeof(id), sizeof(id));
		if ((rc = st->ops->gitcred_delete(st->be, id)) != 0)
			return rc == SVC_ENOTFOUND
				? error_set(SVC_ERROR,
					    "git credential %lld vanished during a write transaction",
					    id)
				: rc;
	}
	return 0;
}

/* ---- get --------------------------------------------------------------- */

/* What the lookup walk needs and finds. */
struct get_ctx {
	svc_store *st;             /**< the store (its key) */
	const svc_gitcred *want;   /**< the request */
	svc_gitcred *found;        /**< the answer, once found */
};

static int get_one(void *p, const store_gitcred_row *r)
{
	struct get_ctx *ctx = p;
	svc_gitcred *have = NULL, *ans = NULL;
	const char *user, *pw;
	int rc, match;

	if ((rc = row_cred(&have, ctx->st, r, 0)) != 0)
		return rc;
	match = gitcred_match(ctx->want, have, 0);
	svc_gitcred_free(have);
	if (!match)
		return 0;
	if ((rc = row_cred(&have, ctx->st, r, 1)) != 0)
		return rc;
	/* answer as git's store helper does: username and password */
	user = svc_gitcred_value(have, SVC_GITCRED_USERNAME);
	pw = svc_gitcred_value(have, SVC_GITCRED_PASSWORD);
	if ((rc = svc_gitcred_new(&ans)) == 0 &&
	    (rc = svc_gitcred_set(ans, SVC_GITCRED_USERNAME, user)) == 0)
		rc = svc_gitcred_set_len(ans, SVC_GITCRED_PASSWORD, pw,
					 strlen(pw));
	svc_gitcred_free(have);
	if (rc) {
		svc_gitcred_free(ans);
		return rc;
	}
	ctx->found = ans;
	return 1; /* the newest match is the answer */
}

/* The backend pattern of a request: its attributes as they are. */
static void pattern_of(store_gitcred_pattern *p, const svc_gitcred *want)
{
	p->protocol = svc_gitcred_value(want, SVC_GITCRED_PROTOCOL);
	p->host = svc_gitcred_value(want, SVC_GITCRED_HOST);
	p->path = svc_gitcred_value(want, SVC_GITCRED_PATH);
	p->username = svc_gitcred_value(want, SVC_GITCRED_USERNAME);
}

int svc_gitcred_get(svc_gitcred **out, svc_store *st, const svc_gitcred *want)
{
	store_gitcred_pattern pat;
	struct get_ctx ctx;
	int rc;

	if (!want)
		return error_set(SVC_EINVALID, "no credential to look up");
	pattern_of(&pat, want);
	if (!pat.protocol || !pat.host)
		return error_set(SVC_ENOTFOUND,
				 "a credential lookup needs a protocol and a host");
	/* a stored path is never empty: path= matches nothing */
	if (pat.path && !*pat.path)
		return error_set(SVC_ENOTFOUND, "no matching git credential");
	ctx.st = st;
	ctx.want = want;
	ctx.found = NULL;
	if ((rc = store_tx_read_key(st)) != 0)
		return rc;
	rc = store_tx_end(st, st->ops->gitcred_list(st->be, &pat, get_one,
						    &ctx));
	if (rc == 0 && !ctx.found)
		rc = error_set(SVC_ENOTFOUND, "no matching git credential");
	if (rc) {
		svc_gitcred_free(ctx.found);
		return rc;
	}
	*out = ctx.found;
	return 0;
}

/* ---- store ------------------------------------------------------------- */

/* What the walk over the rows a new credential replaces collects. */
struct store_ctx {
	svc_store *st;              /**< the store (its key) */
	const svc_gitcred *want;    /**< the replacement pattern */
	const svc_gitcred *c;       /**< the new credential, stored form */
	svc_buf *ids;               /**< ids of the rows it replaces */
	int same;                   /**< a replaced row equals c, password
					 and all */
	char *created_at;           /**< that row's creation time */
};

static int store_one(void *p, const store_gitcred_row *r)
{
	struct store_ctx *ctx = p;
	svc_gitcred *have = NULL;
	int rc, match;

	if ((rc = row_cred(&have, ctx->st, r, 0)) != 0)
		return rc;
	match = gitcred_match(ctx->want, have, 0);
	/* the same protocol, host, path and user name: same password? */
	if (match && gitcred_match(ctx->c, have, 0) &&
	    gitcred_match(have, ctx->c, 0)) {
		svc_gitcred_free(have);
		have = NULL;
		if ((rc = row_cred(&have, ctx->st, r, 1)) != 0)
			return rc;
		ctx->same = gitcred_match(ctx->c, have, 1);
		free(ctx->created_at);
		if (!(ctx->created_at = strdup(r->created_at)))
			rc = error_oom();
	}
	svc_gitcred_free(have);
	if (rc == 0 && match)
		rc = buf_put(ctx->ids, &r->id, sizeof(r->id));
	return rc;
}

/* The id of the first row of a walk, newest first: the newest. */
static int newest_id(void *p, const store_gitcred_row *r)
{
	*(long long *)p = r->id;
	return 1;
}

/*
 * The stored form of c (host "" when absent, the path trimmed, absent when
 * empty) into *norm, and the pattern of the rows it replaces into *want:
 * c's protocol, host (absent: any), trimmed path (none: any) and user name.
 */
static int store_forms(svc_gitcred **norm, svc_gitcred **want,
		       const svc_gitcred *c)
{
	const char *proto = svc_gitcred_value(c, SVC_GITCRED_PROTOCOL);
	const char *host = svc_gitcred_value(c, SVC_GITCRED_HOST);
	const char *user = svc_gitcred_value(c, SVC_GITCRED_USERNAME);
	const char *pw = svc_gitcred_value(c, SVC_GITCRED_PASSWORD);
	const char *path;
	svc_gitcred *n = NULL, *w = NULL;
	size_t plen;
	int rc;

	path = gitcred_path_trimmed(svc_gitcred_value(c, SVC_GITCRED_PATH),
				    &plen);
	if ((rc = svc_gitcred_new(&n)) || (rc = svc_gitcred_new(&w)) ||
	    (rc = svc_gitcred_set(n, SVC_GITCRED_PROTOCOL, proto)) ||
	    (rc = svc_gitcred_set(n, SVC_GITCRED_HOST, host ? host : "")) ||
	    (rc = svc_gitcred_set_len(n, SVC_GITCRED_PATH,
				      plen ? path : NULL, plen)) ||
	    (rc = svc_gitcred_set(n, SVC_GITCRED_USERNAME, user)) ||
	    (rc = svc_gitcred_set_len(n, SVC_GITCRED_PASSWORD, pw,
				      strlen(pw))) ||
	    (rc = svc_gitcred_set(w, SVC_GITCRED_PROTOCOL, proto)) ||
	    (rc = svc_gitcred_set(w, SVC_GITCRED_HOST, host)) ||
	    (rc = svc_gitcred_set_len(w, SVC_GITCRED_PATH,
				      plen ? path : NULL, plen)) ||
	    (rc = svc_gitcred_set(w, SVC_GITCRED_USERNAME, user))) {
		svc_gitcred_free(n);
		svc_gitcred_free(w);
		return rc;
	}
	*norm = n;
	*want = w;
	return 0;
}

/* Inside the write transaction: replace the rows matching want with n. */
static int store_tx(int *changed, svc_store *st, const svc_gitcred *n,
		    const svc_gitcred *want, const char *who, const char *now)
{
	const char *protocol = svc_gitcred_value(n, SVC_GITCRED_PROTOCOL);
	const char *host = svc_gitcred_value(n, SVC_GITCRED_HOST);
	const char *path = svc_gitcred_value(n, SVC_GITCRED_PATH);
	const char *user = svc_gitcred_value(n, SVC_GITCRED_USERNAME);
	const char *pw = svc_gitcred_value(n, SVC_GITCRED_PASSWORD);
	svc_buf ids, aad = SVC_BUF_INIT, sealed = SVC_BUF_INIT;
	store_gitcred_pattern pat, all = { NULL, NULL, NULL, NULL };
	long long same_id = 0, newest = 0;
	store_gitcred_row row;
	struct store_ctx ctx;
	size_t replaced;
	int rc;

	buf_init(&ids, GITCRED_BUF_MAX, 0);
	pattern_of(&pat, want);
	ctx.st = st;
	ctx.want = want;
	ctx.c = n;
	ctx.ids = &ids;
	ctx.same = 0;
	ctx.created_at = NULL;
	if ((rc = st->ops->gitcred_list(st->be, &pat, store_one, &ctx)) != 0)
		goto done;
	replaced = ids.len / sizeof(long long);
	/* the same credential, and the newest: storing it again would
	 * change nothing a lookup can see */
	*changed = 1;
	if (replaced == 1 && ctx.same) {
		memcpy(&same_id, ids.ptr, sizeof(same_id));
		if ((rc = st->ops->gitcred_list(st->be, &all, newest_id,
						&newest)) != 0)
			goto done;
		*changed = newest != same_id;
	}
	if (!*changed)
		goto done;
	if (!path)
		path = "";
	if ((rc = delete_rows(st, &ids)) != 0 ||
	    (rc = aad_key(&aad, protocol, host, path, user)) != 0 ||
	    (rc = crypto_seal(&sealed, &st->key, GITCRED_AAD_ID, aad.ptr, pw,
			      strlen(pw))) != 0)
		goto done;
	row.id = 0;
	row.protocol = protocol;
	row.host = host;
	row.path = path;
	row.username = user;
	row.sealed = (const unsigned char *)sealed.ptr;
	row.sealed_len = sealed.len;
	row.key_id = st->key.id;
	row.created_at = ctx.created_at ? ctx.created_at : now;
	row.updated_at = now;
	if ((rc = st->ops->gitcred_insert(NULL, st->be, &row)) != 0)
		goto done;
	rc = store_audit(st, now, who, "gitcred-store", "", "",
			 detail_of(protocol, host, path, "replaced", replaced));
done:
	free(ctx.created_at);
	buf_clear(&ids);
	buf_clear(&aad);
	buf_clear(&sealed);
	return rc;
}

int svc_gitcred_store(int *stored, svc_store *st, const svc_gitcred *c,
		      const char *actor)
{
	svc_gitcred *n = NULL, *want = NULL;
	const char *who;
	char *ident = NULL, now[32];
	int rc, changed = 0;

	if (!c)
		return error_set(SVC_EINVALID, "no credential to store");
	/* git's store helper: no protocol, host-or-path, user name or
	 * password is no credential; nothing to do */
	if (!svc_gitcred_value(c, SVC_GITCRED_PROTOCOL) ||
	    (!svc_gitcred_value(c, SVC_GITCRED_HOST) &&
	     !svc_gitcred_value(c, SVC_GITCRED_PATH)) ||
	    !svc_gitcred_value(c, SVC_GITCRED_USERNAME) ||
	    !svc_gitcred_value(c, SVC_GITCRED_PASSWORD)) {
		if (stored)
			*stored = 0;
		return 0;
	}
	if (!actor || !*actor) {
		if ((rc = svc_identity_current(&ident)) != 0)
			return rc;
		actor = ident;
	}
	who = store_actor(actor);
	if ((rc = store_forms(&n, &want, c)) != 0 ||
	    (rc = store_now_iso(now)) != 0 || (rc = store_tx_write(st)) != 0)
		goto done;
	rc = store_tx_end(st, store_tx(&changed, st, n, want, who, now));
done:
	svc_gitcred_free(n);
	svc_gitcred_free(want);
	free(ident);
	if (rc == 0 && stored)
		*stored = 1;
	return rc;
}

/* ---- erase ------------------------------------------------------------- */

/* What the erasing walk needs and collects. */
struct erase_ctx {
	svc_store *st;              /**< the store (its key) */
	const svc_gitcred *want;    /**< the request */
	svc_buf *ids;               /**< ids of the matching rows */
};

static int erase_one(void *p, const store_gitcred_row *r)
{
	struct erase_ctx *ctx = p;
	svc_gitcred *have = NULL;
	int rc, match, with_pw;

	/* the password is opened only when the request has one */
	with_pw = svc_gitcred_value(ctx->want, SVC_GITCRED_PASSWORD) != NULL;
	if ((rc = row_cred(&have, ctx->st, r, with_pw)) != 0)
		return rc;
	match = gitcred_match(ctx->want, have, 1);
	svc_gitcred_free(have);
	return match ? buf_put(ctx->ids, &r->id, sizeof(r->id)) : 0;
}

int svc_gitcred_erase(size_t *erased, svc_store *st, const svc_gitcred *want,
		      const char *actor)
{
	store_gitcred_pattern pat;
	struct erase_ctx ctx;
	char *ident = NULL, now[32];
	size_t n = 0;
	svc_buf ids;
	int rc;

	if (!want)
		return error_set(SVC_EINVALID, "no credential to erase");
	pattern_of(&pat, want);
	/* as git's store helper: an empty pattern would erase everything,
	 * and is far too easy to send by accident; path= matches nothing */
	if ((!pat.protocol && !pat.host && !pat.path && !pat.username) ||
	    (pat.path && !*pat.path)) {
		if (erased)
			*erased = 0;
		return 0;
	}
	if (!actor || !*actor) {
		if ((rc = svc_identity_current(&ident)) != 0)
			return rc;
		actor = ident;
	}
	buf_init(&ids, GITCRED_BUF_MAX, 0);
	ctx.st = st;
	ctx.want = want;
	ctx.ids = &ids;
	if ((rc = store_now_iso(now)) != 0 || (rc = store_tx_write(st)) != 0)
		goto done;
	rc = st->ops->gitcred_list(st->be, &pat, erase_one, &ctx);
	n = ids.len / sizeof(long long);
	if (rc == 0 && n > 0 && (rc = delete_rows(st, &ids)) == 0)
		rc = store_audit(st, now, store_actor(actor), "gitcred-erase",
				 "", "",
				 detail_of(pat.protocol, pat.host, pat.path,
					   "erased", n));
	rc = store_tx_end(st, rc);
done:
	buf_clear(&ids);
	free(ident);
	if (rc == 0 && erased)
		*erased = n;
	return rc;
}

/* ---- rekey ------------------------------------------------------------- */

/*
 * The resealing walk: each password is opened with the store's key and
 * sealed with the new one into out as a record "id" (a long long) and
 * crypto_reseal()'s, written back once the walk is over.
 */
struct reseal_ctx {
	svc_store *st;        /**< the store (its current key) */
	const crypto_key *nk; /**< the new key */
	svc_buf *out;         /**< the records */
	size_t count;         /**< passwords resealed */
};

static int reseal_one(void *p, const store_gitcred_row *r)
{
	struct reseal_ctx *ctx = p;
	svc_buf aad = SVC_BUF_INIT;
	int rc;

	if ((rc = aad_key(&aad, r->protocol, r->host, r->path,
			  r->username)) == 0 &&
	    (rc = buf_put(ctx->out, &r->id, sizeof(r->id))) == 0)
		rc = crypto_reseal(ctx->out, &ctx->st->key, ctx->nk,
				   GITCRED_AAD_ID, aad.ptr, r->sealed,
				   r->sealed_len);
	buf_clear(&aad);
	if (rc == SVC_ECRYPTO)
		return error_set(rc,
				 "cannot rekey: the git credential for '%s://%s' does not open with the current key (tampered?); nothing was changed",
				 r->protocol, r->host);
	if (rc == 0)
		ctx->count++;
	return rc;
}

int store_gitcred_reseal(size_t *count, svc_store *st, const crypto_key *nk)
{
	store_gitcred_pattern all = { NULL, NULL, NULL, NULL };
	struct reseal_ctx ctx;
	const unsigned char *sealed;
	const char *p, *end;
	long long id;
	size_t len;
	svc_buf recs;
	int rc;

	buf_init(&recs, GITCRED_BUF_MAX, 0);
	ctx.st = st;
	ctx.nk = nk;
	ctx.out = &recs;
	ctx.count = 0;
	rc = st->ops->gitcred_list(st->be, &all, reseal_one, &ctx);
	p = recs.ptr;
	end = recs.ptr + recs.len;
	while (rc == 0 && p && p < end) {
		memcpy(&id, p, sizeof(id));
		p += sizeof(id);
		crypto_reseal_next(&p, &sealed, &len);
		rc = st->ops->gitcred_reseal(st->be, id, sealed, len, nk->id);
	}
	buf_clear(&recs);
	if (rc == 0 && count)
		*count = ctx.count;
	return rc;
}

svc_gitcred_action svc_gitcred_action_of(const char *s)
{
	static const char *const names[] = { "get", "store", "erase" };
	size_t i;

	for (i = 0; s && i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i]) == 0)
			return (svc_gitcred_action)i;
	return SVC_GITCRED_UNKNOWN;
}

int svc_gitcred_run(svc_gitcred **answer, svc_store *st, svc_gitcred_action act,
		    const svc_gitcred *req, const char *actor)
{
	int rc;

	*answer = NULL;
	switch (act) {
	case SVC_GITCRED_GET:
		rc = svc_gitcred_get(answer, st, req);
		/* no match: git gets nothing, and that is no error */
		return rc == SVC_ENOTFOUND ? 0 : rc;
	case SVC_GITCRED_STORE:
		return svc_gitcred_store(NULL, st, req, actor);
	case SVC_GITCRED_ERASE:
		return svc_gitcred_erase(NULL, st, req, actor);
	default:
		return 0;
	}
}
