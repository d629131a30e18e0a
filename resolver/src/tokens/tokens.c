/*
 * tokens.c - personal access tokens: create, list, revoke, verify.
 *
 * The token is made of a lookup id (8 random bytes, hex) and a secret (32
 * random bytes, base64url), both from OpenSSL's RAND_bytes.  Only the
 * SHA-256 of the whole token string is stored (store_backend.h: token_*),
 * so the id is bound to its secret.  Verification takes the same path for
 * an unknown id as for a known one (a hash compared with CRYPTO_memcmp
 * against a fixed value), then checks revocation, expiry and scope.
 *
 * Every create and revoke is one write transaction with its audit record
 * ("token-create", "token-revoke"); every failed verification writes one
 * ("token-auth-failed") naming the id when the token parsed, the client
 * and the request, never the secret.  The token itself is held only in
 * buffers wiped before they are freed.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "svcconn/secret.h"
#include "tokens/tokens_int.h"
#include "errors_int.h"
#include "store/store_backend.h"
#include "store/store_int.h"
#include "util/clock.h"
#include "util/hex.h"

/* The scopes a token can carry. */
static const char *const known_scopes[] = {
	"endpoints:read", "endpoints:manage", "approvals", "full", NULL
};

/* Bytes of a token's secret part, and of its hash. */
#define SECRET_BYTES 32
#define HASH_BYTES 32
/* A token's use is recorded at most this often (seconds). */
#define TOUCH_EVERY 60
/* Longest name or scope list accepted. */
#define TEXT_MAX 200

static int is_known_scope(const char *s, size_t n)
{
	size_t i;

	for (i = 0; known_scopes[i]; i++)
		if (strlen(known_scopes[i]) == n &&
		    memcmp(known_scopes[i], s, n) == 0)
			return 1;
	return 0;
}

/* 1 when the space-separated list has the word w of n bytes. */
static int has_word(const char *list, const char *w, size_t n)
{
	const char *p = list;

	while (p && *p) {
		size_t len = strcspn(p, " ");

		if (len == n && memcmp(p, w, n) == 0)
			return 1;
		p += len;
		p += *p == ' ';
	}
	return 0;
}

int svc_token_scopes_parse(char **out, const char *scopes)
{
	svc_buf b = SVC_BUF_INIT;
	const char *p = scopes ? scopes : "";
	int rc = 0;

	buf_init(&b, TEXT_MAX, 0);
	while (*p && rc == 0) {
		size_t n;

		p += strspn(p, " ,");
		n = strcspn(p, " ,");
		if (n == 0)
			break;
		if (!is_known_scope(p, n))
			rc = error_set(SVC_EINVALID,
				       "unknown scope '%.*s' (known: endpoints:read, endpoints:manage, approvals, full)",
				       (int)(n > 64 ? 64 : n), p);
		else if (!b.ptr || !has_word(b.ptr, p, n)) {
			if (b.len)
				rc = buf_putc(&b, ' ');
			if (rc == 0)
				rc = buf_put(&b, p, n);
		}
		p += n;
	}
	if (rc == 0 && b.len == 0)
		rc = error_set(SVC_EINVALID, "a token needs at least one scope");
	if (rc) {
		buf_clear(&b);
		return rc;
	}
	*out = buf_detach(&b, NULL);
	return 0;
}

int svc_token_scope_allows(const char *scopes, const char *need)
{
	if (!need)
		return 1;
	if (!scopes)
		return 0;
	if (has_word(scopes, "full", 4) ||
	    has_word(scopes, need, strlen(need)))
		return 1;
	return strcmp(need, "endpoints:read") == 0 &&
	       has_word(scopes, "endpoints:manage", 16);
}

/* SHA-256 of len bytes at p into out. */
static int sha256(unsigned char out[HASH_BYTES], const char *p, size_t len)
{
	unsigned int n = 0;

	if (!EVP_Digest(p, len, out, &n, EVP_sha256(), NULL) ||
	    n != HASH_BYTES)
		return error_set(SVC_ERROR, "cannot hash a token");
	return 0;
}

/* base64url without padding of n bytes into out (room for 4n/3+1). */
static void b64url(char *out, const unsigned char *in, size_t n)
{
	static const char abc[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t i, o = 0;

	for (i = 0; i + 2 < n; i += 3) {
		unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 |
			     in[i + 2];

		out[o++] = abc[v >> 18 & 63];
		out[o++] = abc[v >> 12 & 63];
		out[o++] = abc[v >> 6 & 63];
		out[o++] = abc[v & 63];
	}
	if (n - i == 1) {
		unsigned v = (unsigned)in[i] << 16;

		out[o++] = abc[v >> 18 & 63];
		out[o++] = abc[v >> 12 & 63];
	} else if (n - i == 2) {
		unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8;

		out[o++] = abc[v >> 18 & 63];
		out[o++] = abc[v >> 12 & 63];
		out[o++] = abc[v >> 6 & 63];
	}
	out[o] = '\0';
}

static int dup_str(char **out, const char *s)
{
	if (!(*out = strdup(s ? s : "")))
		return error_oom();
	return 0;
}

/* Copy row r into info (strings newly allocated). */
static int info_from_row(svc_token_info *info, const store_token_row *r)
{
	memset(info, 0, sizeof(*info));
	snprintf(info->id, sizeof(info->id), "%s", r->id);
	info->created = r->created;
	info->expires = r->expires;
	info->last_used = r->last_used;
	info->revoked = r->revoked;
	if (dup_str(&info->owner, r->owner) || dup_str(&info->name, r->name) ||
	    dup_str(&info->scopes, r->scopes)) {
		svc_token_info_clear(info);
		return error_oom();
	}
	return 0;
}

void svc_token_info_clear(svc_token_info *info)
{
	if (!info)
		return;
	free(info->owner);
	free(info->name);
	free(info->scopes);
	memset(info, 0, sizeof(*info));
}

/* A name for a token: printable, no control characters, bounded. */
static int check_name(const char *name)
{
	const unsigned char *p;

	if (!name || !*name)
		return error_set(SVC_EINVALID, "a token needs a name");
	if (strlen(name) > 100)
		return error_set(SVC_EINVALID,
				 "token name is longer than 100 bytes");
	for (p = (const unsigned char *)name; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return error_set(SVC_EINVALID,
					 "token name has a control character");
	return 0;
}

int token_mint(struct token_minted *m, const char *prefix)
{
	unsigned char rnd[8 + SECRET_BYTES];
	int rc = 0;

	memset(m, 0, sizeof(*m));
	if (strlen(prefix) != 5)
		return error_set(SVC_EINVALID, "token prefix '%s' is not 5 bytes",
				 prefix);
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return error_set(SVC_ERROR, "cannot get random bytes for a token");
	if (!(m->text = malloc(SVC_TOKEN_LEN + 1))) {
		rc = error_oom();
		goto wipe;
	}
	hex_write(m->id, rnd, 8);
	m->id[SVC_TOKEN_ID_LEN] = '\0';
	memcpy(m->text, prefix, 5);
	memcpy(m->text + 5, m->id, SVC_TOKEN_ID_LEN);
	m->text[5 + SVC_TOKEN_ID_LEN] = '_';
	b64url(m->text + 6 + SVC_TOKEN_ID_LEN, rnd + 8, SECRET_BYTES);
	if ((rc = sha256(m->hash, m->text, SVC_TOKEN_LEN)))
		token_minted_clear(m);
wipe:
	OPENSSL_cleanse(rnd, sizeof(rnd));
	return rc;
}

void token_minted_clear(struct token_minted *m)
{
	if (!m)
		return;
	if (m->text)
		svc_secret_free(m->text, SVC_TOKEN_LEN + 1);
	OPENSSL_cleanse(m, sizeof(*m));
}

int token_row_insert(svc_store *st, const struct token_minted *m,
		     const char *owner, const char *name, const char *scopes,
		     long long created, long long expires)
{
	store_token_row r;
	int rc;

	memset(&r, 0, sizeof(r));
	r.id = m->id;
	r.hash = m->hash;
	r.hash_len = HASH_BYTES;
	r.owner = owner;
	r.name = name;
	r.scopes = scopes;
	r.created = created;
	r.expires = expires;
	rc = st->ops->token_insert(st->be, &r);
	if (rc == SVC_EEXISTS)
		rc = error_set(SVC_ERROR, "token id '%s' is taken; try again",
			       m->id);
	return rc;
}

int svc_token_create(char **token, svc_token_info *info, svc_store *st,
		     const char *owner, const char *name, const char *scopes,
		     unsigned days, const char *actor)
{
	struct token_minted m;
	char *norm = NULL;
	char now_iso[32];
	store_token_row r;
	time_t now;
	int rc;

	memset(&m, 0, sizeof(m));
	if (!owner || !*owner)
		return error_set(SVC_EINVALID, "a token needs an owner");
	if ((rc = check_name(name)) || (rc = svc_token_scopes_parse(&norm, scopes)))
		return rc;
	if (days == 0)
		days = SVC_TOKEN_DEFAULT_DAYS;
	if (days > SVC_TOKEN_MAX_DAYS) {
		free(norm);
		return error_set(SVC_EINVALID,
				 "a token is valid for at most %d days, not %u",
				 SVC_TOKEN_MAX_DAYS, days);
	}
	if ((rc = clock_now(&now)) || (rc = token_mint(&m, SVC_TOKEN_PREFIX)))
		goto done;
	memset(&r, 0, sizeof(r));
	r.id = m.id;
	r.owner = owner;
	r.name = name;
	r.scopes = norm;
	r.created = (long long)now;
	r.expires = (long long)now + (long long)days * 86400;
	clock_iso8601(now_iso, now);
	if ((rc = store_tx_write(st)) != 0)
		goto done;
	rc = token_row_insert(st, &m, owner, name, norm, r.created, r.expires);
	if (rc == 0)
		rc = store_audit(st, now_iso, store_actor(actor), "token-create",
				 "", "",
				 json_pack("{s:s, s:s, s:s, s:s, s:I}", "tokenId",
					   m.id, "owner", owner, "name", name,
					   "scopes", norm, "expires",
					   (json_int_t)r.expires));
	if ((rc = store_tx_end(st, rc)) != 0)
		goto done;
	if (info && (rc = info_from_row(info, &r)))
		goto done;
	*token = m.text;
	m.text = NULL;
done:
	token_minted_clear(&m);
	free(norm);
	return rc;
}

/* Collects rows into a growing array of records. */
struct list_ctx {
	svc_buf buf;  /**< the svc_token_info array, bounded */
	size_t n;     /**< records in it */
};

static int list_cb(void *ctx, const store_token_row *r)
{
	struct list_ctx *l = ctx;
	svc_token_info info;
	int rc;

	if (token_kind_marker(r->scopes))
		return 0;
	if ((rc = info_from_row(&info, r)))
		return rc;
	if ((rc = buf_put(&l->buf, &info, sizeof(info)))) {
		svc_token_info_clear(&info);
		return rc;
	}
	l->n++;
	return 0;
}

int svc_token_list(svc_token_info **out, size_t *count, svc_store *st,
		   const char *owner)
{
	struct list_ctx l = { SVC_BUF_INIT, 0 };
	int rc;

	if ((rc = store_tx_read(st)) != 0)
		return rc;
	rc = st->ops->token_list(st->be, owner, list_cb, &l);
	rc = store_tx_end(st, rc);
	if (rc) {
		svc_token_list_free((svc_token_info *)l.buf.ptr, l.n);
		return rc;
	}
	*out = (svc_token_info *)buf_detach(&l.buf, NULL);
	*count = l.n;
	return 0;
}

void svc_token_list_free(svc_token_info *list, size_t count)
{
	size_t i;

	for (i = 0; list && i < count; i++)
		svc_token_info_clear(&list[i]);
	free(list);
}

/* Keeps the one row token_get finds. */
static int get_cb(void *ctx, const store_token_row *r)
{
	return info_from_row(ctx, r) ? SVC_ERROR : 1;
}

/* Keeps the hash of the row token_get finds. */
struct verify_row {
	svc_token_info info;           /**< the row's record */
	unsigned char hash[HASH_BYTES]; /**< its stored hash */
	int ok;                        /**< the row was well formed */
};

static int verify_cb(void *ctx, const store_token_row *r)
{
	struct verify_row *v = ctx;

	if (info_from_row(&v->info, r))
		return SVC_ERROR;
	if (r->hash_len == HASH_BYTES) {
		memcpy(v->hash, r->hash, HASH_BYTES);
		v->ok = 1;
	}
	return 1;
}

int svc_token_revoke(svc_store *st, const char *id, const char *owner,
		     const char *actor)
{
	svc_token_info info;
	char now_iso[32];
	time_t now;
	int rc;

	memset(&info, 0, sizeof(info));
	if (!id || strlen(id) != SVC_TOKEN_ID_LEN)
		return error_set(SVC_ENOTFOUND, "no token '%s'", id ? id : "");
	if ((rc = clock_now(&now)))
		return rc;
	clock_iso8601(now_iso, now);
	if ((rc = store_tx_write(st)) != 0)
		return rc;
	rc = st->ops->token_get(st->be, id, get_cb, &info);
	if (rc == 0 && ((owner && strcmp(info.owner, owner) != 0) ||
			token_kind_marker(info.scopes)))
		rc = SVC_ENOTFOUND;
	if (rc == SVC_ENOTFOUND)
		rc = error_set(SVC_ENOTFOUND, "no token '%s'%s%s%s", id,
			       owner ? " of '" : "", owner ? owner : "",
			       owner ? "'" : "");
	if (rc == 0)
		rc = st->ops->token_revoke(st->be, id, (long long)now);
	if (rc == 0)
		rc = store_audit(st, now_iso, store_actor(actor), "token-revoke",
				 "", "",
				 json_pack("{s:s, s:s, s:s}", "tokenId", id,
					   "owner", info.owner, "name",
					   info.name));
	rc = store_tx_end(st, rc);
	svc_token_info_clear(&info);
	return rc;
}

void svc_token_auth_clear(svc_token_auth *a)
{
	if (!a)
		return;
	free(a->id);
	free(a->owner);
	free(a->scopes);
	memset(a, 0, sizeof(*a));
}

int token_kind_marker(const char *scopes)
{
	return scopes && (strcmp(scopes, SVC_TOKEN_KIND_AGENT) == 0 ||
			  strcmp(scopes, SVC_TOKEN_KIND_REGISTRATION) == 0 ||
			  strcmp(scopes, SVC_TOKEN_KIND_JOB) == 0);
}

/* 1 when s (n bytes) is a well-formed token of prefix; its id into id. */
static int parse_token(char id[SVC_TOKEN_ID_LEN + 1], const char *s, size_t n,
		       const char *prefix)
{
	size_t i;

	if (n != SVC_TOKEN_LEN || memcmp(s, prefix, 5) != 0 ||
	    s[5 + SVC_TOKEN_ID_LEN] != '_')
		return 0;
	for (i = 5; i < 5 + SVC_TOKEN_ID_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	for (i = 6 + SVC_TOKEN_ID_LEN; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z') || s[i] == '-' || s[i] == '_'))
			return 0;
	memcpy(id, s + 5, SVC_TOKEN_ID_LEN);
	id[SVC_TOKEN_ID_LEN] = '\0';
	return 1;
}

int token_refused(svc_store *st, const char *id, const char *why,
		  const char *client, const char *request)
{
	char now_iso[32];
	time_t now;
	int rc;

	if (clock_now(&now) == 0) {
		clock_iso8601(now_iso, now);
		if ((rc = store_tx_write(st)) == 0) {
			json_t *d = json_pack("{s:s, s:s, s:s}", "reason", why,
					      "client", client ? client : "",
					      "request", request ? request : "");

			if (d && id)
				json_object_set_new(d, "tokenId",
						    json_string(id));
			rc = store_audit(st, now_iso, "(unauthenticated)",
					 "token-auth-failed", "", "", d);
			store_tx_end(st, rc);
		}
	}
	if (id)
		return error_set(SVC_EDENIED, "token '%s' refused: %s", id, why);
	return error_set(SVC_EDENIED, "token refused: %s", why);
}

int token_check(svc_token_info *info, const char **why, char *id,
		svc_store *st, const char *token, size_t len,
		const char *prefix, const char *kind, long long now)
{
	/* what an unknown id is compared against: the same work */
	static const unsigned char nothing[HASH_BYTES];
	unsigned char hash[HASH_BYTES];
	struct verify_row v;
	int rc, same;

	memset(info, 0, sizeof(*info));
	memset(&v, 0, sizeof(v));
	id[0] = '\0';
	*why = NULL;
	if (!token) {
		*why = "no token";
		return 0;
	}
	if (!parse_token(id, token, len, prefix)) {
		*why = "malformed token";
		return 0;
	}
	if ((rc = sha256(hash, token, len)))
		return rc;
	rc = st->ops->token_get(st->be, id, verify_cb, &v);
	if (rc && rc != SVC_ENOTFOUND) {
		OPENSSL_cleanse(hash, sizeof(hash));
		svc_token_info_clear(&v.info);
		return rc;
	}
	same = CRYPTO_memcmp(hash, v.ok ? v.hash : nothing, HASH_BYTES) == 0;
	OPENSSL_cleanse(hash, sizeof(hash));
	if (rc == SVC_ENOTFOUND || !v.ok)
		*why = "unknown token";
	else if (!same)
		*why = "wrong secret";
	else if (kind ? strcmp(v.info.scopes, kind) != 0
		      : token_kind_marker(v.info.scopes))
		*why = "not a token of this kind";
	else if (v.info.revoked)
		*why = "revoked";
	else if (now >= v.info.expires)
		*why = "expired";
	if (*why)
		svc_token_info_clear(&v.info);
	else
		*info = v.info;
	return 0;
}

int svc_token_verify(svc_token_auth *out, svc_store *st, const char *token,
		     size_t len, const char *need, const char *client,
		     const char *request)
{
	char id[SVC_TOKEN_ID_LEN + 1];
	svc_token_info info;
	const char *why = NULL;
	/* the kinds a request may carry, by prefix */
	static const struct {
		const char *prefix;      /**< the token's first 5 bytes */
		const char *kind;        /**< its row's kind, NULL: personal */
		svc_token_holder holder; /**< whom it speaks for */
	} kinds[] = {
		{ SVC_TOKEN_PREFIX, NULL, SVC_TOKEN_PERSON },
		{ SVC_AGENT_TOKEN_PREFIX, SVC_TOKEN_KIND_AGENT, SVC_TOKEN_AGENT },
		{ SVC_JOB_TOKEN_PREFIX, SVC_TOKEN_KIND_JOB, SVC_TOKEN_JOB },
	};
	size_t k = 0, i;
	int rc;
	time_t now;

	memset(out, 0, sizeof(*out));
	for (i = 0; token && len > 5 && i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (memcmp(token, kinds[i].prefix, 5) == 0)
			k = i;
	if ((rc = clock_now(&now)) || (rc = store_tx_read(st)) != 0)
		return rc;
	rc = token_check(&info, &why, id, st, token, len, kinds[k].prefix,
			 kinds[k].kind, (long long)now);
	store_tx_end(st, 0);
	if (rc)
		return rc;
	if (id[0] && !(out->id = strdup(id)))
		return error_oom();
	if (why)
		return token_refused(st, id[0] ? id : NULL, why, client,
				     request);
	out->holder = kinds[k].holder;
	out->owner = info.owner;
	out->scopes = info.scopes;
	info.owner = info.scopes = NULL;
	if (!svc_token_scope_allows(out->scopes, need)) {
		char reason[96];

		out->forbidden = 1;
		snprintf(reason, sizeof(reason), "scope '%s' not granted", need);
		svc_token_info_clear(&info);
		return token_refused(st, id, reason, client, request);
	}
	if ((long long)now - info.last_used >= TOUCH_EVERY &&
	    (rc = store_tx_write(st)) == 0) {
		rc = st->ops->token_touch(st->be, id, (long long)now);
		store_tx_end(st, rc);
	}
	svc_token_info_clear(&info);
	return 0;
}
