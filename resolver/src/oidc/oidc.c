/*
 * oidc.c - the OIDC issuer: its signing keys in the store, rotation, ID
 * tokens, the JWKS and the discovery document (svcconn/oidc.h).
 *
 * Keys are rows of the store's oidc_keys table (store_backend.h): the
 * private key's DER sealed under the master key with associated data
 * "oidc-signing-key" and the key id, so a sealed key moved to another row
 * fails to open, and a key opened is checked to be the key its id names
 * (its thumbprint).  The public keys published are derived from the sealed
 * private keys, not stored beside them: whoever can write the database but
 * lacks the master key cannot publish a key of their own.
 *
 * A token is signed inside a write transaction that also records, on the
 * key, the latest expiry it signed (signed_until) and the audit record.
 * So a rotation, which takes the same lock, always sees every token the
 * old key signed, and the old key stays published until signed_until plus
 * SVC_OIDC_LEEWAY; a key that signed nothing is dropped at once.  Keys
 * whose time has come are deleted by the next write (a token, a rotation)
 * and are never published after their time, deleted or not.
 *
 * What a token's names may hold (docs/oidc.md): the organization is
 * Azure DevOps' organization name (letters, digits and '-', 1 to 50, not
 * starting or ending with '-'); the project follows Azure's project rules
 * (1 to 64 characters, none of \ / : * ? " ' < > ; # $ { } , + = [ ] |,
 * no control character, not starting with '_' or '.', not ending with
 * '.'); the connection name is svcconn's (1 to 256 characters of UTF-8
 * without control characters or white space at either end) without '/'.
 * So sub always splits back into exactly its three names.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "svcconn/conn.h"
#include "svcconn/errors.h"
#include "svcconn/oidc.h"
#include "svcconn/projects.h"
#include "svcconn/store.h"
#include "crypto/crypto.h"
#include "errors_int.h"
#include "oidc/oidc_int.h"
#include "store/store_backend.h"
#include "store/store_gitcred.h"
#include "store/store_int.h"
#include "util/buf.h"
#include "util/clock.h"

/* The "connection id" part of a signing key's associated data. */
#define OIDC_AAD_ID "oidc-signing-key"
/* Longest issuer URL and audience accepted. */
#define OIDC_ISSUER_MAX 1024
#define OIDC_AUDIENCE_MAX 256
/* Largest buffer of keys or resealed keys held at once. */
#define OIDC_BUF_MAX ((size_t)16 * 1024 * 1024)

/* ---- what a token may say ---------------------------------------------- */

/* 1 when host (n bytes, with any port) is a loopback host. */
static int loopback_host(const char *host, size_t n)
{
	static const char *const names[] = { "127.0.0.1", "localhost",
					     "[::1]" };
	size_t i, l;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		l = strlen(names[i]);
		if (n >= l && strncmp(host, names[i], l) == 0 &&
		    (n == l || host[l] == ':'))
			return 1;
	}
	return 0;
}

/*
 * The issuer: https://host[:port][/path], or http:// on a loopback host
 * (tests, and a server behind a local proxy); printable ASCII without
 * white space, user info, query, fragment or a trailing '/'.
 */
static int check_issuer(const char *iss)
{
	const char *host, *p;
	size_t n;

	if (!iss || !*iss)
		return error_set(SVC_EINVALID, "the OIDC issuer is missing");
	n = strlen(iss);
	if (n > OIDC_ISSUER_MAX)
		return error_set(SVC_EINVALID,
				 "the OIDC issuer is longer than %d characters",
				 OIDC_ISSUER_MAX);
	for (p = iss; *p; p++)
		if (*p <= ' ' || *p > '~' || *p == '?' || *p == '#' ||
		    *p == '@' || *p == '\\')
			return error_set(SVC_EINVALID,
					 "the OIDC issuer '%.64s' holds '%c', which an issuer URL may not (no white space, user info, query or fragment)",
					 iss, *p > ' ' && *p <= '~' ? *p : '?');
	if (strncmp(iss, "https://", 8) == 0)
		host = iss + 8;
	else if (strncmp(iss, "http://", 7) == 0)
		host = iss + 7;
	else
		return error_set(SVC_EINVALID,
				 "the OIDC issuer '%s' is not an https:// URL",
				 iss);
	n = strcspn(host, "/");
	if (n == 0)
		return error_set(SVC_EINVALID,
				 "the OIDC issuer '%s' has no host", iss);
	if (host == iss + 7 && !loopback_host(host, n))
		return error_set(SVC_EINVALID,
				 "the OIDC issuer '%s' must be https:// (http:// only on a loopback host)",
				 iss);
	if (iss[strlen(iss) - 1] == '/')
		return error_set(SVC_EINVALID,
				 "the OIDC issuer '%s' ends with '/'", iss);
	return 0;
}

/* 1 when s is UTF-8 text (jansson refuses anything else). */
static int utf8_ok(const char *s)
{
	json_t *j = json_string(s);

	json_decref(j);
	return j != NULL;
}

static int check_organization(const char *v)
{
	size_t i, n = v ? strlen(v) : 0;

	if (n == 0 || n > 50)
		return error_set(SVC_EINVALID,
				 "the organization name must have 1 to 50 characters");
	for (i = 0; i < n; i++)
		if (!((v[i] >= 'a' && v[i] <= 'z') ||
		      (v[i] >= 'A' && v[i] <= 'Z') ||
		      (v[i] >= '0' && v[i] <= '9') || v[i] == '-'))
			return error_set(SVC_EINVALID,
					 "the organization name '%s' may hold only letters, digits and '-'",
					 utf8_ok(v) ? v : "(not UTF-8)");
	if (v[0] == '-' || v[n - 1] == '-')
		return error_set(SVC_EINVALID,
				 "the organization name '%s' must not start or end with '-'",
				 v);
	return 0;
}

/* 1 when the string v holds a control character. */
static int has_control(const char *v)
{
	const unsigned char *p;

	for (p = (const unsigned char *)v; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 1;
	return 0;
}

static int check_project(const char *v)
{
	size_t n = v ? strlen(v) : 0;
	const char *bad;

	if (n == 0 || n > 64)
		return error_set(SVC_EINVALID,
				 "the project name must have 1 to 64 characters");
	if (!utf8_ok(v) || has_control(v))
		return error_set(SVC_EINVALID,
				 "the project name is not UTF-8 text without control characters");
	if ((bad = strpbrk(v, "\\/:*?\"'<>;#${},+=[]|")) != NULL)
		return error_set(SVC_EINVALID,
				 "the project name '%s' holds '%c', which Azure DevOps does not allow",
				 v, *bad);
	if (v[0] == '_' || v[0] == '.' || v[n - 1] == '.')
		return error_set(SVC_EINVALID,
				 "the project name '%s' must not start with '_' or '.' or end with '.'",
				 v);
	return 0;
}

static int check_connection(const char *v)
{
	size_t n = v ? strlen(v) : 0;

	if (n == 0 || n > 256)
		return error_set(SVC_EINVALID,
				 "the connection name must have 1 to 256 characters");
	if (!utf8_ok(v) || has_control(v))
		return error_set(SVC_EINVALID,
				 "the connection name is not UTF-8 text without control characters");
	if (strchr(v, '/'))
		return error_set(SVC_EINVALID,
				 "the connection name '%s' holds '/', which would change the token's subject",
				 v);
	if (v[0] == ' ' || v[0] == '\t' || v[n - 1] == ' ' ||
	    v[n - 1] == '\t')
		return error_set(SVC_EINVALID,
				 "the connection name '%s' starts or ends with white space",
				 v);
	return 0;
}

static int check_audience(const char *v)
{
	size_t n = strlen(v);

	if (n == 0 || n > OIDC_AUDIENCE_MAX || !utf8_ok(v) || has_control(v))
		return error_set(SVC_EINVALID,
				 "the audience must be 1 to %d characters of text without control characters",
				 OIDC_AUDIENCE_MAX);
	return 0;
}

/* ---- keys in the store ------------------------------------------------- */

/* One key row copied out of the walk. */
struct okey {
	int found;                        /**< 1 when the rest is set */
	char kid[SVC_OIDC_KID_LEN + 1];   /**< key id */
	char alg[8];                      /**< algorithm */
	svc_buf sealed;                   /**< its sealed private key */
	store_oidc_key_row row;           /**< times (strings point above) */
};

static void okey_init(struct okey *k)
{
	memset(k, 0, sizeof(*k));
	buf_init(&k->sealed, OIDC_BUF_MAX, 0);
}

/* Copy r into k; SVC_ECRYPTO for a row whose names cannot be a key's. */
static int okey_set(struct okey *k, const store_oidc_key_row *r)
{
	if (strlen(r->kid) != SVC_OIDC_KID_LEN || !oidc_alg_known(r->alg))
		return error_set(SVC_ECRYPTO,
				 "the OIDC signing key '%.64s' in the store is damaged",
				 r->kid);
	memcpy(k->kid, r->kid, sizeof(k->kid));
	snprintf(k->alg, sizeof(k->alg), "%s", r->alg);
	buf_reset(&k->sealed);
	k->row = *r;
	k->row.kid = k->kid;
	k->row.alg = k->alg;
	k->row.sealed = NULL;
	k->row.key_id = NULL;
	k->found = 1;
	return buf_put(&k->sealed, r->sealed, r->sealed_len);
}

/* The walk that finds the current key. */
static int find_current(void *ctx, const store_oidc_key_row *r)
{
	return r->retired_at == 0 ? okey_set(ctx, r) : 0;
}

/*
 * Open the sealed private key of kid (alg) with the store's key; the
 * key opened must be the one kid names.
 */
static int open_key(EVP_PKEY **out, svc_store *st, const char *kid,
		    const char *alg, const void *sealed, size_t len)
{
	char have[SVC_OIDC_KID_LEN + 1];
	EVP_PKEY *k = NULL;
	svc_buf der;
	int rc;

	buf_init(&der, OIDC_BUF_MAX, 1);
	rc = crypto_open(&der, &st->key, OIDC_AAD_ID, kid, sealed, len);
	if (rc == SVC_ECRYPTO)
		rc = error_set(SVC_ECRYPTO,
			       "cannot decrypt OIDC signing key '%s': authentication failed (tampered, moved, or wrong key)",
			       kid);
	if (rc == 0)
		rc = oidc_key_load(&k, alg, der.ptr, der.len);
	buf_clear(&der);
	if (rc == 0 && (rc = oidc_kid(have, k)) == 0 &&
	    strcmp(have, kid) != 0)
		rc = error_set(SVC_ECRYPTO,
			       "OIDC signing key '%s' is not the key its id names",
			       kid);
	if (rc) {
		EVP_PKEY_free(k);
		return rc;
	}
	*out = k;
	return 0;
}

/*
 * Inside a write transaction: make a current key for alg at now and store
 * it sealed; its id into kid, the key into *out (may be NULL).
 */
static int make_key(EVP_PKEY **out, char kid[SVC_OIDC_KID_LEN + 1],
		    svc_store *st, const char *alg, long long now)
{
	svc_buf der, sealed = SVC_BUF_INIT;
	store_oidc_key_row r;
	EVP_PKEY *k = NULL;
	int rc;

	buf_init(&der, OIDC_BUF_MAX, 1);
	if ((rc = oidc_key_generate(&k, alg)) != 0 ||
	    (rc = oidc_key_der(&der, k)) != 0 || (rc = oidc_kid(kid, k)) != 0 ||
	    (rc = crypto_seal(&sealed, &st->key, OIDC_AAD_ID, kid, der.ptr,
			      der.len)) != 0)
		goto done;
	memset(&r, 0, sizeof(r));
	r.kid = kid;
	r.alg = alg;
	r.sealed = (const unsigned char *)sealed.ptr;
	r.sealed_len = sealed.len;
	r.key_id = st->key.id;
	r.created_at = now;
	rc = st->ops->oidc_key_insert(st->be, &r);
	if (rc == SVC_EEXISTS)
		rc = error_set(SVC_ERROR,
			       "cannot store the new OIDC signing key: a current key exists");
done:
	buf_clear(&der);
	buf_clear(&sealed);
	if (rc == 0 && out)
		*out = k;
	else
		EVP_PKEY_free(k);
	return rc;
}

/*
 * Inside a write transaction: the current key (made, and audited, when
 * there is none) into cur, opened into *out when out is not NULL.
 */
static int current_key(EVP_PKEY **out, struct okey *cur, svc_store *st,
		       long long now, const char *at, const char *actor)
{
	EVP_PKEY *k = NULL;
	int rc;

	if ((rc = st->ops->oidc_key_list(st->be, find_current, cur)) != 0)
		return rc;
	if (cur->found)
		return out ? open_key(out, st, cur->kid, cur->alg,
				      cur->sealed.ptr, cur->sealed.len)
			   : 0;
	if ((rc = make_key(&k, cur->kid, st, SVC_OIDC_ALG_DEFAULT, now)) != 0)
		return rc;
	snprintf(cur->alg, sizeof(cur->alg), "%s", SVC_OIDC_ALG_DEFAULT);
	cur->row.kid = cur->kid;
	cur->row.alg = cur->alg;
	cur->row.created_at = now;
	cur->found = 1;
	rc = store_audit(st, at, actor, "oidc-key-create", "", "",
			 json_pack("{s:s, s:s}", "kid", cur->kid, "alg",
				   cur->alg));
	if (rc == 0 && out)
		*out = k;
	else
		EVP_PKEY_free(k);
	return rc;
}

/* Delete the keys whose time has come; *n counts them. */
static int drop_due(size_t *n, svc_store *st, long long now)
{
	return st->ops->oidc_key_drop(n, st->be, now);
}

/* ---- tokens ------------------------------------------------------------ */

/* The claims of a token, as Azure DevOps orders them. */
static json_t *claims_of(const svc_oidc_token_options *o, const char *sub,
			 const char *aud, const char *jti, long long now,
			 long long exp)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I}", "jti", jti,
			 "sub", sub, "aud", aud, "iss", o->issuer, "nbf",
			 (json_int_t)now, "exp", (json_int_t)exp, "iat",
			 (json_int_t)now);
}

static int check_options(const svc_oidc_token_options *o)
{
	int rc;

	if (!o || o->version != SVC_OIDC_TOKEN_OPTIONS_VERSION)
		return error_set(SVC_EINVALID,
				 "unknown OIDC token options version");
	if ((rc = check_issuer(o->issuer)) != 0 ||
	    (rc = check_organization(o->organization)) != 0 ||
	    (rc = check_project(o->project)) != 0 ||
	    (rc = check_connection(o->connection)) != 0 ||
	    (rc = check_audience(o->audience ? o->audience
					      : SVC_OIDC_AUDIENCE)) != 0)
		return rc;
	if (o->lifetime < 0 || o->lifetime > SVC_OIDC_LIFETIME_MAX)
		return error_set(SVC_EINVALID,
				 "the token lifetime must be 1 to %d seconds",
				 SVC_OIDC_LIFETIME_MAX);
	return 0;
}

int oidc_owner_project(char **out, svc_store *st, const svc_conn *c)
{
	svc_project *p = NULL;
	size_t n = 0;
	int rc;

	*out = NULL;
	if (!svc_conn_project_id(c))
		return 0;
	if ((rc = svc_store_project_list(&p, &n, st, svc_conn_project_id(c))))
		return rc;
	if (n && !(*out = strdup(p[0].name)))
		rc = error_oom();
	svc_projects_free(p, n);
	return rc;
}

int svc_oidc_issue(char **token, svc_store *st,
		   const svc_oidc_token_options *o)
{
	char jti[SVC_ID_LEN + 1], at[32];
	const char *aud, *actor;
	svc_buf sub = SVC_BUF_INIT, tok;
	struct okey cur;
	EVP_PKEY *k = NULL;
	json_t *claims = NULL;
	long long now, exp;
	size_t dropped = 0;
	time_t t;
	int rc;

	buf_init(&tok, SVC_BUF_DEFAULT_MAX, 1);
	okey_init(&cur);
	if ((rc = check_options(o)) != 0)
		goto out;
	aud = o->audience ? o->audience : SVC_OIDC_AUDIENCE;
	actor = store_actor(o->requester);
	if ((rc = buf_printf(&sub, "sc://%s/%s/%s", o->organization,
			     o->project, o->connection)) != 0 ||
	    (rc = svc_uuid_new(jti)) != 0 || (rc = clock_now(&t)) != 0)
		goto out;
	now = (long long)t;
	exp = now + (o->lifetime ? o->lifetime : SVC_OIDC_LIFETIME_DEFAULT);
	clock_iso8601(at, t);
	if (!(claims = claims_of(o, sub.ptr, aud, jti, now, exp))) {
		rc = error_oom();
		goto out;
	}
	if ((rc = store_tx_write(st)) != 0)
		goto out;
	if ((rc = drop_due(&dropped, st, now)) != 0 ||
	    (rc = current_key(&k, &cur, st, now, at, actor)) != 0 ||
	    (rc = oidc_jws(&tok, k, cur.alg, cur.kid, claims)) != 0)
		goto end;
	if (exp > cur.row.signed_until) {
		cur.row.signed_until = exp;
		if ((rc = st->ops->oidc_key_times(st->be, &cur.row)) != 0)
			goto end;
	}
	rc = store_audit(st, at, actor, "oidc-issue",
			 o->connection_id ? o->connection_id : "", o->connection,
			 json_pack("{s:s, s:s, s:s, s:s, s:I, s:I}", "kid",
				   cur.kid, "sub", sub.ptr, "aud", aud, "jti",
				   jti, "exp", (json_int_t)exp, "keys_dropped",
				   (json_int_t)dropped));
end:
	rc = store_tx_end(st, rc);
	if (rc == 0)
		*token = buf_detach(&tok, NULL);
out:
	EVP_PKEY_free(k);
	json_decref(claims);
	buf_clear(&sub);
	buf_clear(&tok);
	buf_clear(&cur.sealed);
	return rc;
}

/* ---- rotation ---------------------------------------------------------- */

int svc_oidc_rotate(char **kid, svc_store *st, const char *alg,
		    const char *actor)
{
	char nkid[SVC_OIDC_KID_LEN + 1], at[32];
	const char *who = store_actor(actor);
	struct okey cur;
	size_t dropped = 0;
	long long now;
	time_t t;
	char *copy = NULL;
	int rc;

	if (!alg)
		alg = SVC_OIDC_ALG_DEFAULT;
	if (!oidc_alg_known(alg))
		return error_set(SVC_EINVALID,
				 "unknown signing algorithm '%s' (RS256 or ES256)",
				 alg);
	if ((rc = clock_now(&t)) != 0)
		return rc;
	now = (long long)t;
	clock_iso8601(at, t);
	okey_init(&cur);
	if ((rc = store_tx_write(st)) != 0)
		goto out;
	if ((rc = st->ops->oidc_key_list(st->be, find_current, &cur)) != 0)
		goto end;
	if (cur.found) {
		/* published until the last token it signed has expired */
		cur.row.retired_at = now;
		cur.row.drop_at = cur.row.signed_until
					  ? cur.row.signed_until + SVC_OIDC_LEEWAY
					  : now;
		if ((rc = st->ops->oidc_key_times(st->be, &cur.row)) != 0)
			goto end;
	}
	if ((rc = make_key(NULL, nkid, st, alg, now)) != 0 ||
	    (rc = drop_due(&dropped, st, now)) != 0)
		goto end;
	if (kid && !(copy = strdup(nkid))) {
		rc = error_oom();
		goto end;
	}
	rc = store_audit(st, at, who, "oidc-rotate", "", "",
			 json_pack("{s:s?, s:s, s:s, s:I}", "from",
				   cur.found ? cur.kid : NULL, "to", nkid,
				   "alg", alg, "keys_dropped",
				   (json_int_t)dropped));
end:
	rc = store_tx_end(st, rc);
	if (rc == 0 && kid) {
		*kid = copy;
		copy = NULL;
	}
out:
	free(copy);
	buf_clear(&cur.sealed);
	return rc;
}

/* ---- publishing -------------------------------------------------------- */

/* The walk that builds the JWKS: the published keys, current first. */
struct jwks_ctx {
	svc_store *st;    /**< the store (its key) */
	long long now;    /**< the time published means */
	json_t *keys;     /**< the array built */
	int current;      /**< 1 once the current key is in */
};

static int add_jwk(void *p, const store_oidc_key_row *r)
{
	struct jwks_ctx *ctx = p;
	EVP_PKEY *k = NULL;
	json_t *jwk = NULL;
	int rc;

	if (r->retired_at && r->drop_at <= ctx->now)
		return 0; /* its time has come */
	if ((rc = open_key(&k, ctx->st, r->kid, r->alg, r->sealed,
			   r->sealed_len)) != 0 ||
	    (rc = oidc_jwk(&jwk, k, r->alg)) != 0)
		goto done;
	if (r->retired_at == 0) {
		ctx->current = 1;
		rc = json_array_insert_new(ctx->keys, 0, jwk);
	} else {
		rc = json_array_append_new(ctx->keys, jwk);
	}
	if (rc)
		rc = error_oom();
done:
	EVP_PKEY_free(k);
	return rc;
}

/* Under the write lock: make the first key unless there is one. */
static int ensure_key(svc_store *st)
{
	struct okey cur;
	char at[32];
	time_t t;
	int rc;

	if ((rc = clock_now(&t)) != 0)
		return rc;
	clock_iso8601(at, t);
	okey_init(&cur);
	if ((rc = store_tx_write(st)) == 0)
		rc = store_tx_end(st, current_key(NULL, &cur, st, (long long)t,
						  at, store_actor(NULL)));
	buf_clear(&cur.sealed);
	return rc;
}

int svc_oidc_jwks(char **json, svc_store *st)
{
	struct jwks_ctx ctx;
	json_t *doc = NULL;
	int rc, tries;
	time_t t;

	for (tries = 0; tries < 2; tries++) {
		if ((rc = clock_now(&t)) != 0)
			return rc;
		ctx.st = st;
		ctx.now = (long long)t;
		ctx.current = 0;
		if (!(ctx.keys = json_array()))
			return error_oom();
		if ((rc = store_tx_read_key(st)) != 0) {
			json_decref(ctx.keys);
			return rc;
		}
		rc = store_tx_end(st, st->ops->oidc_key_list(st->be, add_jwk,
							     &ctx));
		if (rc == 0 && ctx.current)
			break;
		json_decref(ctx.keys);
		ctx.keys = NULL;
		if (rc || (rc = ensure_key(st)) != 0)
			return rc;
	}
	if (!ctx.keys)
		return error_set(SVC_ERROR,
				 "the OIDC signing keys keep changing; try again");
	if (!(doc = json_pack("{s:o}", "keys", ctx.keys)) ||
	    !(*json = json_dumps(doc, JSON_COMPACT))) {
		json_decref(doc);
		return error_oom();
	}
	json_decref(doc);
	return 0;
}

int svc_oidc_discovery(char **json, const char *issuer)
{
	svc_buf jwks = SVC_BUF_INIT;
	json_t *doc;
	int rc;

	if ((rc = check_issuer(issuer)) != 0 ||
	    (rc = buf_printf(&jwks, "%s%s", issuer, SVC_OIDC_JWKS_PATH)) != 0)
		return rc;
	doc = json_pack("{s:s, s:s, s:[s], s:[s], s:[s], s:[s, s], "
			"s:[s, s, s, s, s, s, s]}",
			"issuer", issuer, "jwks_uri", jwks.ptr,
			"response_types_supported", "id_token",
			"subject_types_supported", "public",
			"scopes_supported", "openid",
			"id_token_signing_alg_values_supported", "RS256",
			"ES256", "claims_supported", "sub", "aud", "exp", "iat",
			"iss", "jti", "nbf");
	buf_clear(&jwks);
	if (!doc || !(*json = json_dumps(doc, JSON_COMPACT)))
		rc = error_oom();
	json_decref(doc);
	return rc;
}

/* ---- listing ----------------------------------------------------------- */

static int list_one(void *p, const store_oidc_key_row *r)
{
	svc_oidc_key k;

	memset(&k, 0, sizeof(k));
	snprintf(k.kid, sizeof(k.kid), "%s", r->kid);
	snprintf(k.alg, sizeof(k.alg), "%s", r->alg);
	k.created = r->created_at;
	k.retired = r->retired_at;
	k.signed_until = r->signed_until;
	k.drop_at = r->drop_at;
	return buf_put(p, &k, sizeof(k));
}

int svc_oidc_keys(svc_oidc_key **out, size_t *count, svc_store *st)
{
	svc_buf b;
	size_t len = 0;
	int rc;

	buf_init(&b, OIDC_BUF_MAX, 0);
	if ((rc = store_tx_read(st)) != 0)
		return rc;
	rc = store_tx_end(st, st->ops->oidc_key_list(st->be, list_one, &b));
	if (rc) {
		buf_clear(&b);
		return rc;
	}
	*count = b.len / sizeof(svc_oidc_key);
	*out = (svc_oidc_key *)buf_detach(&b, &len);
	return 0;
}

void svc_oidc_keys_free(svc_oidc_key *keys)
{
	free(keys);
}

/* ---- rekey ------------------------------------------------------------- */

/* The resealing walk: records "kid NUL" and crypto_reseal()'s. */
struct reseal_ctx {
	svc_store *st;        /**< the store (its old key) */
	const crypto_key *nk; /**< the new key */
	svc_buf *out;         /**< the records */
	size_t count;         /**< keys resealed */
};

static int reseal_one(void *p, const store_oidc_key_row *r)
{
	struct reseal_ctx *ctx = p;
	int rc;

	if ((rc = buf_put(ctx->out, r->kid, strlen(r->kid) + 1)) != 0)
		return rc;
	rc = crypto_reseal(ctx->out, &ctx->st->key, ctx->nk, OIDC_AAD_ID,
			   r->kid, r->sealed, r->sealed_len);
	if (rc == SVC_ECRYPTO)
		return error_set(rc,
				 "cannot rekey: OIDC signing key '%s' does not open with the current key (tampered?); nothing was changed",
				 r->kid);
	if (rc == 0)
		ctx->count++;
	return rc;
}

int oidc_reseal(size_t *count, svc_store *st, const crypto_key *nk)
{
	struct reseal_ctx ctx = { st, nk, NULL, 0 };
	const unsigned char *sealed;
	const char *p, *kid;
	svc_buf recs;
	size_t len;
	int rc;

	buf_init(&recs, OIDC_BUF_MAX, 0);
	ctx.out = &recs;
	rc = st->ops->oidc_key_list(st->be, reseal_one, &ctx);
	for (p = recs.ptr; rc == 0 && p && p < recs.ptr + recs.len;) {
		kid = p;
		p += strlen(p) + 1;
		crypto_reseal_next(&p, &sealed, &len);
		rc = st->ops->oidc_key_reseal(st->be, kid, sealed, len, nk->id);
	}
	buf_clear(&recs);
	if (rc == 0 && count)
		*count = ctx.count;
	return rc;
}
