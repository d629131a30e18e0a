/*
 * store_integrity.c - every connection row authenticated under the key.
 *
 * AES-GCM authenticates each secret on its own; this binds a connection's
 * whole stored form together, so that whoever can write store.db but does
 * not have the master key cannot change a URL, flip a secret field to a
 * plaintext one, swap names, add or drop a field, or put back an older
 * value, without every read of that connection refusing it.
 *
 * Each connection row carries a version and a MAC: HMAC-SHA256 under the
 * row-MAC key (crypto.h) over a canonical encoding of the connection as
 * stored (conn_encode(): a label, the version, then id, name, type,
 * scheme, URL and description, then every field sorted by key with its
 * kind, its secret flag and its value or, for a secret, its whole sealed
 * form; each item length-prefixed).  Created and updated times, the
 * authorization columns (all_pipelines, inherit_roles) and other tables
 * are not covered.
 *
 * A row with a valid MAC can still be an older copy of itself.  So the
 * store keeps a manifest: the table conn_manifest lists every
 * connection's id and the version it was last written with, and the meta
 * row "conn_manifest" holds its head, under its own MAC:
 *
 *     <64 hex MAC> LF <epoch> SP <count> SP <64 hex XOR>
 *
 * where the XOR is over every entry's PRF, HMAC(label, id, version), an
 * incremental MAC of the set, so that a write changes one entry and the
 * head instead of rewriting the whole list.  Every write of a connection
 * takes the next epoch as its version and updates its entry and the head
 * in the same transaction; versions are never reused, not even by a
 * connection deleted and imported again with its old id.  An older copy
 * of a row is refused because its version is not the manifest's; an
 * older manifest together with it is refused when any other connection
 * was written since.  What this cannot see is the whole store put back to
 * an older state (the file copied back), which holds older MACs that are
 * all consistent; docs/security.md says so.
 *
 * Every write first checks the manifest against every row (and update
 * and rename the row they change), so a write never makes a tampered row
 * valid.  Deleting a connection does not check it: that is how a refused
 * connection is removed.  A handle keeps the checked manifest while no
 * other process commits (struct store_mcache), so reading one connection
 * costs its own MAC, not the whole store's; and, for reads, while another
 * process's commits leave the manifest's head as it was (no connection
 * written: a fleet's servers recording jobs), see mcache_get.  A list of
 * every connection is checked in one walk over all their versions, MACs
 * and sealed secrets (store_conn_verify_all, the backend's
 * conn_seals_all), which matches the manifest against every row on the
 * way; a list read to be shown reads them in the walk that reads the
 * connections (store_conn_list_verified, conn_list_sealed).  Stores from
 * before schema version 5 are MAC'd as they are, once, at the first open
 * with the key (store_rows_adopt()).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svcconn/secret.h"
#include "crypto/crypto.h"
#include "errors_int.h"
#include "store/store_int.h"
#include "util/buf.h"
#include "util/hex.h"

/* The meta row holding the manifest. */
#define META_MANIFEST "conn_manifest"
/* The meta row schema migration 5 leaves: MAC the rows at the next open. */
#define META_UNSEALED "rows_unsealed"
/* First item of a connection's encoding. */
#define CONN_LABEL "svcconn/conn-mac/v1"
/* First part of what the manifest head's MAC covers. */
#define MANIFEST_LABEL "svcconn/manifest/v1"
/* First part of what an entry's PRF covers. */
#define ENTRY_LABEL "svcconn/manifest-entry/v1"
/* Largest manifest held in memory (about a million connections). */
#define MANIFEST_MAX ((size_t)64 << 20)
/* Largest encoding of one connection. */
#define ENCODING_MAX ((size_t)256 << 20)
/* The message every refusal of a connection starts with. */
#define CONN_REFUSED \
	"connection '%s' failed its integrity check: the store was changed without the key (%s)"

/* One manifest entry. */
typedef struct manifest_ent {
	char id[SVC_ID_LEN + 1]; /**< connection id */
	long long version;       /**< the version it was last written with */
} manifest_ent;

/* The manifest in memory. */
typedef struct manifest {
	long long epoch; /**< the last version handed out */
	svc_buf ents;    /**< manifest_ent[], sorted by id */
	size_t n;        /**< entries */
	unsigned char x[CRYPTO_MAC_LEN]; /**< XOR of the entries' PRFs */
} manifest;

/* One sealed secret of the connection being encoded. */
typedef struct sealed_ent {
	char *key;           /**< field key as stored */
	unsigned char *data; /**< sealed bytes */
	size_t len;          /**< bytes in data */
} sealed_ent;

/* The sealed secrets of one connection. */
typedef struct sealed_set {
	svc_buf ents; /**< sealed_ent[] */
	size_t n;     /**< entries */
} sealed_set;

/* ---- the manifest ------------------------------------------------------ */

static void manifest_init(manifest *m)
{
	m->epoch = 0;
	memset(m->x, 0, sizeof(m->x));
	buf_init(&m->ents, MANIFEST_MAX, 0);
	m->n = 0;
}

static void manifest_clear(manifest *m)
{
	buf_clear(&m->ents);
	m->n = 0;
}

static manifest_ent *manifest_at(const manifest *m, size_t i)
{
	return (manifest_ent *)m->ents.ptr + i;
}

/* The index of id, or of where it would go; *found says which. */
static size_t manifest_pos(const manifest *m, const char *id, int *found)
{
	size_t lo = 0, hi = m->n, mid;
	int c;

	*found = 0;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(manifest_at(m, mid)->id, id);
		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static const manifest_ent *manifest_find(const manifest *m, const char *id)
{
	int found;
	size_t i = manifest_pos(m, id, &found);

	return found ? manifest_at(m, i) : NULL;
}

/* Set the version of id, adding it in order when it is new. */
static int manifest_set(manifest *m, const char *id, long long version)
{
	manifest_ent e;
	size_t i;
	int found, rc;

	if (strlen(id) > SVC_ID_LEN)
		return error_set(SVC_EINVALID,
				 "connection id '%s' is too long", id);
	i = manifest_pos(m, id, &found);
	if (found) {
		manifest_at(m, i)->version = version;
		return 0;
	}
	memset(&e, 0, sizeof(e));
	memcpy(e.id, id, strlen(id));
	e.version = version;
	if ((rc = buf_grow(&m->ents, sizeof(e))) != 0)
		return rc;
	memmove(manifest_at(m, i + 1), manifest_at(m, i),
		(m->n - i) * sizeof(e));
	memcpy(manifest_at(m, i), &e, sizeof(e));
	m->n++;
	m->ents.len = m->n * sizeof(e);
	return 0;
}

static void manifest_remove(manifest *m, const char *id)
{
	int found;
	size_t i = manifest_pos(m, id, &found);

	if (!found)
		return;
	memmove(manifest_at(m, i), manifest_at(m, i + 1),
		(m->n - i - 1) * sizeof(manifest_ent));
	m->n--;
	m->ents.len = m->n * sizeof(manifest_ent);
}

/* XOR into m->x the PRF of the entry (id, version) under k (through the
 * HMAC context st keeps keyed). */
static int entry_fold(svc_store *st, manifest *m, const crypto_key *k,
		      const char *id, long long version)
{
	unsigned char prf[CRYPTO_MAC_LEN], v[8];
	const void *parts[3];
	size_t lens[3], i;
	int rc;

	for (i = 0; i < 8; i++)
		v[i] = (unsigned char)((unsigned long long)version >>
				       (8 * (7 - i)));
	parts[0] = ENTRY_LABEL;
	lens[0] = sizeof(ENTRY_LABEL);
	parts[1] = id;
	lens[1] = strlen(id) + 1;
	parts[2] = v;
	lens[2] = sizeof(v);
	if ((rc = crypto_mac_kept(prf, &st->macer, k, parts, lens, 3)) != 0)
		return rc;
	for (i = 0; i < sizeof(prf); i++)
		m->x[i] ^= prf[i];
	return 0;
}

/* The head's text "<epoch> <count> <hex of the XOR>" into b. */
static int head_text(svc_buf *b, const manifest *m)
{
	char hex[2 * CRYPTO_MAC_LEN + 1];

	hex_write(hex, m->x, sizeof(m->x));
	hex[sizeof(hex) - 1] = '\0';
	return buf_printf(b, "%lld %zu %s", m->epoch, m->n, hex);
}

/* The MAC of the head's text under k, in hex. */
static int head_mac(char out[2 * CRYPTO_MAC_LEN], const crypto_key *k,
		    const char *text, size_t len)
{
	unsigned char mac[CRYPTO_MAC_LEN];
	const void *parts[2] = { MANIFEST_LABEL, text };
	size_t lens[2] = { sizeof(MANIFEST_LABEL), len };
	int rc;

	if ((rc = crypto_mac(mac, k, parts, lens, 2)) == 0)
		hex_write(out, mac, sizeof(mac));
	return rc;
}

/* What loading the entries needs. */
struct load_ctx {
	svc_store *st;        /**< the store it is read from */
	manifest *m;          /**< the manifest being filled */
	const crypto_key *k;  /**< the key of its PRFs */
};

static int load_one(void *p, const char *id, const char *name,
		    long long version)
{
	struct load_ctx *ctx = p;
	int rc;

	(void)name;
	if ((rc = manifest_set(ctx->m, id, version)) == 0)
		rc = entry_fold(ctx->st, ctx->m, ctx->k, id, version);
	return rc;
}

/*
 * Load the manifest: its head (epoch, count, XOR of the entries' PRFs)
 * under its MAC, and its entries, which must fold into that XOR.
 */
static int manifest_load(manifest *m, svc_store *st, const crypto_key *k)
{
	char want[2 * CRYPTO_MAC_LEN];
	const size_t h = 2 * CRYPTO_MAC_LEN;
	svc_buf text = SVC_BUF_INIT;
	struct load_ctx ctx;
	long long epoch = 0;
	size_t count = 0;
	char *v = NULL;
	int rc, ok = 0;

	rc = st->ops->meta_get(&v, st->be, META_MANIFEST);
	if (rc == SVC_ENOTFOUND)
		return error_set(SVC_ECRYPTO,
				 "store '%s' failed its integrity check: its list of connections is missing (the store was changed without the key)",
				 st->db_path);
	if (rc)
		return rc;
	if (strlen(v) > h && v[h] == '\n' &&
	    (rc = head_mac(want, k, v + h + 1, strlen(v + h + 1))) == 0 &&
	    svc_secret_equal(want, h, v, h) &&
	    sscanf(v + h + 1, "%lld %zu", &epoch, &count) == 2) {
		ctx.st = st;
		ctx.m = m;
		ctx.k = k;
		if ((rc = st->ops->manifest_list(st->be, load_one, &ctx)) == 0) {
			m->epoch = epoch;
			/* the entries must give back the head's text */
			if ((rc = head_text(&text, m)) == 0)
				ok = m->n == count &&
				     strcmp(text.ptr, v + h + 1) == 0;
		}
	}
	free(v);
	buf_clear(&text);
	if (rc)
		return rc;
	if (!ok)
		return error_set(SVC_ECRYPTO,
				 "store '%s' failed its integrity check: its list of connections was changed without the key",
				 st->db_path);
	return 0;
}

/* Write the manifest's head, MAC'd under k (the entries are written as
 * they change). */
static int manifest_store(svc_store *st, const manifest *m, const crypto_key *k)
{
	char mac[2 * CRYPTO_MAC_LEN];
	svc_buf text = SVC_BUF_INIT, head = SVC_BUF_INIT;
	int rc;

	if ((rc = head_text(&text, m)) == 0 &&
	    (rc = head_mac(mac, k, text.ptr, text.len)) == 0 &&
	    (rc = buf_put(&head, mac, sizeof(mac))) == 0 &&
	    (rc = buf_putc(&head, '\n')) == 0 &&
	    (rc = buf_put(&head, text.ptr, text.len)) == 0)
		rc = st->ops->meta_set(st->be, META_MANIFEST, head.ptr);
	buf_clear(&text);
	buf_clear(&head);
	return rc;
}

/* Set the entry of id to version, in m (under k) and in the store. */
static int manifest_put(svc_store *st, manifest *m, const crypto_key *k,
			const char *id, long long version)
{
	const manifest_ent *e = manifest_find(m, id);
	int rc = 0;

	if (e)
		rc = entry_fold(st, m, k, id, e->version);
	if (rc == 0 && (rc = entry_fold(st, m, k, id, version)) == 0 &&
	    (rc = manifest_set(m, id, version)) == 0)
		rc = st->ops->manifest_put(st->be, id, version);
	return rc;
}

/* Drop the entry of id, in m (under k) and in the store. */
static int manifest_drop(svc_store *st, manifest *m, const crypto_key *k,
			 const char *id)
{
	const manifest_ent *e = manifest_find(m, id);
	int rc;

	if (!e)
		return 0;
	if ((rc = entry_fold(st, m, k, id, e->version)) != 0)
		return rc;
	manifest_remove(m, id);
	return st->ops->manifest_delete(st->be, id);
}

/* ---- the list, checked once per change of the database ----------------- */

/*
 * The list as last checked by this handle.  It is used again as long as
 * no other process committed anything (SQLite's data_version), so a read
 * costs one row's MAC, not the whole list; a write transaction changes it
 * in memory and writes it once, before its commit.
 */
struct store_mcache {
	manifest m;   /**< the list, its MAC checked */
	int valid;    /**< m is the stored list as of data version dv */
	int matched;  /**< and every row had the version m lists */
	int read_ok;  /**< the rows matched m once, and the stored head
			   has been m's since (a read relies on m) */
	int dirty;    /**< changed by the open write transaction */
	long long dv; /**< the data version m was read at */
};

/* What mcache_get checks the rows against the list for. */
enum {
	MCACHE_LIST = 0,  /**< nothing: the caller walks every row */
	MCACHE_READ = 1,  /**< reading connections (each row checked) */
	MCACHE_WRITE = 2, /**< writing: every row now */
};

static void mcache_drop(svc_store *st)
{
	if (!st->mcache)
		return;
	manifest_clear(&st->mcache->m);
	manifest_init(&st->mcache->m);
	st->mcache->valid = st->mcache->matched = st->mcache->dirty = 0;
	st->mcache->read_ok = 0;
}

void store_mcache_free(svc_store *st)
{
	if (!st->mcache)
		return;
	manifest_clear(&st->mcache->m);
	free(st->mcache);
	st->mcache = NULL;
}

static int manifest_match(svc_store *st, const manifest *m);
static int manifest_missing(svc_store *st, const manifest *m);

/*
 * 1 in *same when the stored head is byte for byte the head of m under
 * the store's key: no connection was written since m was read (every
 * write of one takes a new epoch into the head).
 */
static int head_unchanged(int *same, svc_store *st, const manifest *m)
{
	char mac[2 * CRYPTO_MAC_LEN];
	svc_buf text = SVC_BUF_INIT;
	char *v = NULL;
	size_t h = sizeof(mac);
	int rc;

	*same = 0;
	rc = st->ops->meta_get(&v, st->be, META_MANIFEST);
	if (rc == SVC_ENOTFOUND) {
		svc_error_clear();
		return 0; /* manifest_load says what is wrong */
	}
	if (rc == 0 && (rc = head_text(&text, m)) == 0 &&
	    (rc = head_mac(mac, &st->key, text.ptr, text.len)) == 0)
		*same = strlen(v) == h + 1 + text.len && v[h] == '\n' &&
			memcmp(v, mac, h) == 0 &&
			memcmp(v + h + 1, text.ptr, text.len) == 0;
	free(v);
	buf_clear(&text);
	return rc;
}

/*
 * Inside a transaction: the store's list, checked against its MAC and
 * against every row's version, as match asks (MCACHE_*).
 *
 * When another process committed (the data version moved) and the stored
 * head is still m's, no connection was written: m is kept, and reads go
 * on relying on it (each row read is checked against m's version and its
 * own MAC, which refuses an older copy of it and a row m does not list),
 * while a write matches every row again first, so that it never makes an
 * older copy of another connection valid.  On a fleet of servers, where
 * every job of another server moves the data version, a read then costs
 * one row's checks and the head, not the whole list.
 */
static int mcache_get(manifest **out, svc_store *st, int match)
{
	struct store_mcache *mc = st->mcache;
	long long dv = 0;
	int rc, same = 0;

	if (!mc) {
		if (!(mc = calloc(1, sizeof(*mc))))
			return error_oom();
		manifest_init(&mc->m);
		st->mcache = mc;
	}
	if (!mc->dirty) {
		if ((rc = st->ops->data_version(&dv, st->be)) != 0)
			return rc;
		if (mc->valid && mc->dv != dv &&
		    (rc = head_unchanged(&same, st, &mc->m)) != 0)
			return rc;
		if (same) {
			mc->dv = dv;
			mc->matched = 0;
		} else if (!mc->valid || mc->dv != dv) {
			mcache_drop(st);
			if ((rc = manifest_load(&mc->m, st, &st->key)) != 0)
				return rc;
			mc->valid = 1;
			mc->dv = dv;
		}
	}
	if ((match == MCACHE_WRITE && !mc->matched) ||
	    (match == MCACHE_READ && !mc->read_ok)) {
		if ((rc = manifest_match(st, &mc->m)) != 0)
			return rc;
		mc->matched = mc->read_ok = 1;
	}
	*out = &mc->m;
	return 0;
}

int store_mcache_flush(svc_store *st)
{
	if (!st->mcache || !st->mcache->dirty)
		return 0;
	return manifest_store(st, &st->mcache->m, &st->key);
}

void store_mcache_end(svc_store *st, int ok)
{
	if (!st->mcache)
		return;
	if (!ok)
		mcache_drop(st);
	st->mcache->dirty = 0;
}

/* ---- one connection's encoding and MAC --------------------------------- */

int store_enc_u64(svc_buf *b, unsigned long long v)
{
	unsigned char be[8];
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		be[i] = (unsigned char)(v & 0xff);
	return buf_put(b, be, sizeof(be));
}

/* A byte string: present (1) or not (0), its length, its bytes. */
static int enc_bytes(svc_buf *b, const void *p, size_t len)
{
	int rc;

	if (!p)
		return buf_putc(b, 0);
	if ((rc = buf_putc(b, 1)) != 0 || (rc = store_enc_u64(b, len)) != 0)
		return rc;
	return len ? buf_put(b, p, len) : 0;
}

static int enc_str(svc_buf *b, const char *s)
{
	return enc_bytes(b, s, s ? strlen(s) : 0);
}

static int field_cmp(const void *a, const void *b)
{
	return strcmp(((const svc_conn_field *)a)->key,
		      ((const svc_conn_field *)b)->key);
}

static void sealed_init(sealed_set *s)
{
	buf_init(&s->ents, SVC_BUF_DEFAULT_MAX, 0);
	s->n = 0;
}

static void sealed_clear(sealed_set *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		free(((sealed_ent *)s->ents.ptr)[i].key);
		free(((sealed_ent *)s->ents.ptr)[i].data);
	}
	buf_clear(&s->ents);
	s->n = 0;
}

/* Copy one sealed secret into the set (a store_sealed_cb). */
static int sealed_collect(void *p, const store_sealed *s)
{
	sealed_set *set = p;
	sealed_ent e;
	int rc;

	e.key = strdup(s->key);
	e.data = malloc(s->len ? s->len : 1);
	e.len = s->len;
	if (!e.key || !e.data) {
		rc = error_oom();
	} else {
		memcpy(e.data, s->data, s->len);
		if ((rc = buf_put(&set->ents, &e, sizeof(e))) == 0) {
			set->n++;
			return 0;
		}
	}
	free(e.key);
	free(e.data);
	return rc;
}

static const sealed_ent *sealed_find(const sealed_set *s, const char *key)
{
	const sealed_ent *e = (const sealed_ent *)s->ents.ptr;
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(e[i].key, key) == 0)
			return &e[i];
	return NULL;
}

/*
 * The canonical encoding of connection c (as conn_get reads it; its
 * secrets loaded or not) with its sealed secrets s, at version, into b.
 * SVC_EINVALID when a secret field has no sealed value or the other way
 * round: the stored rows do not fit together.
 */
static int conn_encode(svc_buf *b, const svc_conn *c, const char *id,
		       long long version, const sealed_set *s)
{
	svc_buf fields = SVC_BUF_INIT;
	svc_conn_field *fa;
	const sealed_ent *se;
	size_t i, n = svc_conn_field_count(c), nf = 0, nsecret = 0;
	svc_conn_field f;
	int rc = 0;

	for (i = 0; i < n && rc == 0; i++)
		if (svc_conn_field_at(c, i, &f) == 0 && f.is_set &&
		    (rc = buf_put(&fields, &f, sizeof(f))) == 0)
			nf++;
	fa = (svc_conn_field *)fields.ptr;
	if (rc == 0 && nf > 1)
		qsort(fa, nf, sizeof(*fa), field_cmp);
	if (rc == 0 &&
	    ((rc = enc_str(b, CONN_LABEL)) != 0 ||
	     (rc = store_enc_u64(b, (unsigned long long)version)) != 0 ||
	     (rc = enc_str(b, id)) != 0 ||
	     (rc = enc_str(b, svc_conn_name(c))) != 0 ||
	     (rc = enc_str(b, svc_conn_type(c))) != 0 ||
	     (rc = enc_str(b, svc_conn_scheme(c))) != 0 ||
	     (rc = enc_str(b, svc_conn_url(c))) != 0 ||
	     (rc = enc_str(b, svc_conn_description(c))) != 0 ||
	     (rc = store_enc_u64(b, nf)) != 0))
		goto done;
	for (i = 0; i < nf && rc == 0; i++) {
		if ((rc = enc_str(b, fa[i].key)) != 0 ||
		    (rc = store_enc_u64(b, (unsigned long long)fa[i].kind)) != 0 ||
		    (rc = buf_putc(b, fa[i].secret ? 1 : 0)) != 0)
			break;
		if (!fa[i].secret) {
			rc = enc_bytes(b, fa[i].value ? fa[i].value : "",
				       fa[i].value ? fa[i].len : 0);
			continue;
		}
		if (!(se = sealed_find(s, fa[i].key))) {
			rc = SVC_EINVALID;
			break;
		}
		nsecret++;
		rc = enc_bytes(b, se->data, se->len);
	}
	if (rc == 0 && nsecret != s->n)
		rc = SVC_EINVALID;
done:
	buf_clear(&fields);
	return rc;
}

/*
 * The MAC of connection c (stored under id) with its sealed secrets s at
 * version, under k (through the HMAC context st keeps keyed).
 */
static int conn_mac(unsigned char out[CRYPTO_MAC_LEN], svc_store *st,
		    const crypto_key *k, const svc_conn *c, const char *id,
		    long long version,
		    const sealed_set *s)
{
	svc_buf enc;
	const void *part;
	size_t len;
	int rc;

	buf_init(&enc, ENCODING_MAX, 0);
	if ((rc = conn_encode(&enc, c, id, version, s)) == 0) {
		part = enc.ptr;
		len = enc.len;
		rc = crypto_mac_kept(out, &st->macer, k, &part, &len, 1);
	}
	buf_clear(&enc);
	return rc;
}

/* The sealed secrets of connection id into s. */
static int sealed_load(sealed_set *s, svc_store *st, const char *id)
{
	return st->ops->secrets_get(st->be, id, sealed_collect, s);
}

/* ---- checking ---------------------------------------------------------- */

/*
 * Check connection c (as read) against the version and MAC its row holds
 * (have), its sealed secrets s, and the manifest m.
 */
static int check_conn(svc_store *st, const manifest *m, const svc_conn *c,
		      long long version, const svc_buf *have,
		      const sealed_set *s)
{
	unsigned char want[CRYPTO_MAC_LEN];
	const manifest_ent *e = manifest_find(m, svc_conn_id(c));
	const char *why = NULL;
	int rc = 0;

	if (!e)
		why = "it is not in the store's list of connections";
	else if (e->version != version)
		why = "it is not the version last written";
	else if ((rc = conn_mac(want, st, &st->key, c, svc_conn_id(c),
				version, s)) ==
			 SVC_EINVALID ||
		 (rc == 0 && !svc_secret_equal(want, sizeof(want), have->ptr,
					       have->len)))
		why = "its name, type, URL or fields are not what was written";
	if (why)
		rc = error_set(SVC_ECRYPTO, CONN_REFUSED, svc_conn_name(c), why);
	return rc;
}

/* Check connection c (as read), its row's MAC and secrets read for it. */
static int check_one(svc_store *st, const manifest *m, const svc_conn *c)
{
	const char *id = svc_conn_id(c);
	sealed_set s;
	svc_buf have = SVC_BUF_INIT;
	long long version = 0;
	int rc;

	sealed_init(&s);
	if ((rc = st->ops->conn_mac_get(&version, &have, st->be, id)) == 0 &&
	    (rc = sealed_load(&s, st, id)) == 0)
		rc = check_conn(st, m, c, version, &have, &s);
	sealed_clear(&s);
	buf_clear(&have);
	return rc;
}

/* What the walk comparing the rows' versions with the manifest needs. */
struct match_ctx {
	svc_store *st;      /**< the store, for messages */
	const manifest *m;  /**< the manifest */
	size_t matched;     /**< rows found in it */
};

static int match_one(void *p, const char *id, const char *name,
		     long long version)
{
	struct match_ctx *ctx = p;
	const manifest_ent *e = manifest_find(ctx->m, id);

	if (!e || e->version != version)
		return error_set(SVC_ECRYPTO, CONN_REFUSED, name,
				 e ? "it is not the version last written"
				   : "it is not in the store's list of connections");
	ctx->matched++;
	return 0;
}

/*
 * Every connection row at the version the manifest m lists, and every
 * listed connection present: an older copy of one row, even together
 * with an older manifest, is seen whichever connection is read.
 */
static int manifest_match(svc_store *st, const manifest *m)
{
	struct match_ctx ctx;
	int rc;

	ctx.st = st;
	ctx.m = m;
	ctx.matched = 0;
	if ((rc = st->ops->conn_mac_list(st->be, match_one, &ctx)) != 0 ||
	    ctx.matched == m->n)
		return rc;
	return manifest_missing(st, m);
}

/*
 * The manifest m lists more connections than there are rows: name the
 * first one that has none.
 */
static int manifest_missing(svc_store *st, const manifest *m)
{
	const manifest_ent *e;
	size_t i;
	int rc;

	for (i = 0; i < m->n; i++) {
		e = manifest_at(m, i);
		rc = st->ops->conn_find(NULL, NULL, st->be, e->id,
					STORE_FIND_ID);
		if (rc == SVC_ENOTFOUND)
			return error_set(SVC_ECRYPTO,
					 "store '%s' failed its integrity check: connection id '%s' was removed without the key (delete it with its id to accept that)",
					 st->db_path, e->id);
		if (rc)
			return rc;
	}
	return error_set(SVC_ECRYPTO,
			 "store '%s' failed its integrity check: its list of connections does not match them",
			 st->db_path);
}

int store_conn_verify(svc_store *st, svc_conn *const *conns, size_t n)
{
	manifest *m;
	size_t i;
	int rc;

	rc = mcache_get(&m, st, MCACHE_READ);
	for (i = 0; i < n && rc == 0; i++)
		rc = check_one(st, m, conns[i]);
	return rc;
}

/* qsort and bsearch: connections by id. */
static int by_id(const void *a, const void *b)
{
	return strcmp(svc_conn_id(*(svc_conn *const *)a),
		      svc_conn_id(*(svc_conn *const *)b));
}

/* bsearch: an id against a connection. */
static int id_cmp(const void *id, const void *c)
{
	return strcmp(id, svc_conn_id(*(svc_conn *const *)c));
}

/* What the walk checking every connection at once needs. */
struct seals_ctx {
	svc_store *st;          /**< the store */
	const manifest *m;      /**< its list of versions, MAC checked */
	svc_conn **byid;        /**< the connections as read, by id; NULL
				     when the walk gives them (listed) */
	size_t n;               /**< how many */
	const svc_conn *listed; /**< in a walk that gives them: the
				     connection of ctx->id */
	const svc_conn *next;   /**< and of the row being read */
	char id[SVC_ID_LEN + 1]; /**< the connection whose rows are being
				      read; "" before the first */
	long long version;      /**< its row's version */
	svc_buf mac;            /**< its row's MAC */
	sealed_set s;           /**< its sealed secrets */
	size_t matched;         /**< rows at the version m lists */
	size_t checked;         /**< connections of byid checked */
};

/* The rows of ctx->id are all read: check that connection. */
static int seals_done(struct seals_ctx *ctx)
{
	svc_conn *const *found = ctx->byid
		? bsearch(ctx->id, ctx->byid, ctx->n, sizeof(*ctx->byid),
			  id_cmp)
		: NULL;
	const svc_conn *c = found ? *found : ctx->listed;
	struct match_ctx mctx = { ctx->st, ctx->m, 0 };
	int rc;

	/* a listed connection: its MAC and version; another: its version */
	if (c)
		rc = check_conn(ctx->st, ctx->m, c, ctx->version, &ctx->mac,
				&ctx->s);
	else
		rc = match_one(&mctx, ctx->id, ctx->id, ctx->version);
	if (rc)
		return rc;
	ctx->checked += c != NULL;
	ctx->matched++;
	buf_reset(&ctx->mac);
	sealed_clear(&ctx->s);
	return 0;
}

/* One row of conn_seals_all (a store_seal_cb). */
static int seals_row(void *p, const store_seal_row *r)
{
	struct seals_ctx *ctx = p;
	store_sealed one;
	size_t len = strlen(r->conn_id);
	int rc;

	if (strcmp(ctx->id, r->conn_id) != 0) {
		if (ctx->id[0] && (rc = seals_done(ctx)) != 0)
			return rc;
		if (len == 0 || len > SVC_ID_LEN)
			return error_set(SVC_ECRYPTO, CONN_REFUSED, r->conn_id,
					 "its id is not one svcconn writes");
		memcpy(ctx->id, r->conn_id, len + 1);
		ctx->listed = ctx->next;
		ctx->version = r->version;
		if (r->mac && (rc = buf_put(&ctx->mac, r->mac,
					    r->mac_len)) != 0)
			return rc;
	}
	if (!r->key)
		return 0;
	one.conn_id = r->conn_id;
	one.key = r->key;
	one.kind = SVC_FIELD_AUTH;
	one.data = r->data ? r->data : (const unsigned char *)"";
	one.len = r->len;
	one.key_id = NULL;
	return sealed_collect(&ctx->s, &one);
}

/* Start a check of every connection with the list m. */
static void seals_begin(struct seals_ctx *ctx, svc_store *st,
			const manifest *m)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->st = st;
	ctx->m = m;
	buf_init(&ctx->mac, CRYPTO_MAC_LEN * 4, 0);
	sealed_init(&ctx->s);
}

/*
 * End the check of ctx after its walk ended with rc: the last connection
 * checked, every connection as read (n of them) checked, and every row
 * listed.  Returns rc or the first failure.
 */
static int seals_end(struct seals_ctx *ctx, int rc, size_t n)
{
	if (rc == 0 && ctx->id[0])
		rc = seals_done(ctx);
	if (rc == 0 && ctx->checked != n)
		rc = error_set(SVC_ECRYPTO,
			       "store '%s' failed its integrity check: its connections changed while they were read",
			       ctx->st->db_path);
	if (rc == 0 && ctx->matched != ctx->m->n)
		rc = manifest_missing(ctx->st, ctx->m);
	if (rc == 0)
		ctx->st->mcache->matched = ctx->st->mcache->read_ok = 1;
	buf_clear(&ctx->mac);
	sealed_clear(&ctx->s);
	return rc;
}

int store_conn_verify_all(svc_store *st, svc_conn *const *conns, size_t n)
{
	struct seals_ctx ctx;
	manifest *m;
	int rc;

	if ((rc = mcache_get(&m, st, MCACHE_LIST)) != 0)
		return rc;
	seals_begin(&ctx, st, m);
	ctx.n = n;
	if (n && !(ctx.byid = malloc(n * sizeof(*ctx.byid)))) {
		rc = error_oom();
	} else if (n) {
		memcpy(ctx.byid, conns, n * sizeof(*ctx.byid));
		qsort(ctx.byid, n, sizeof(*ctx.byid), by_id);
	}
	if (rc == 0)
		rc = st->ops->conn_seals_all(st->be, seals_row, &ctx);
	rc = seals_end(&ctx, rc, n);
	free(ctx.byid);
	return rc;
}

/* One row of conn_list_sealed (a store_conn_seal_cb). */
static int seals_row_listed(void *p, const svc_conn *c,
			    const store_seal_row *r)
{
	struct seals_ctx *ctx = p;

	ctx->next = c;
	return seals_row(ctx, r);
}

int store_conn_list_verified(svc_conn ***out, size_t *count, svc_store *st)
{
	struct seals_ctx ctx;
	svc_conn **list = NULL;
	manifest *m;
	size_t n = 0;
	int rc;

	if ((rc = mcache_get(&m, st, MCACHE_LIST)) != 0)
		return rc;
	seals_begin(&ctx, st, m);
	rc = st->ops->conn_list_sealed(&list, &n, st->be, seals_row_listed,
				       &ctx);
	if ((rc = seals_end(&ctx, rc, n)) != 0) {
		svc_store_conn_list_free(list, n);
		return rc;
	}
	*out = list;
	*count = n;
	return 0;
}

int store_rows_verify_all(svc_store *st)
{
	svc_conn **list = NULL;
	size_t n = 0;
	int rc;

	if ((rc = st->ops->conn_list(&list, &n, st->be)) == 0)
		rc = store_conn_verify_all(st, list, n);
	svc_store_conn_list_free(list, n);
	return rc;
}

/* ---- writing ----------------------------------------------------------- */

/*
 * MAC connection c, stored under id with its sealed secrets s, at version
 * under k, and record it in m.
 */
static int seal_conn(svc_store *st, manifest *m, const svc_conn *c,
		     const char *id, long long version, const sealed_set *s,
		     const crypto_key *k)
{
	unsigned char mac[CRYPTO_MAC_LEN];
	int rc = conn_mac(mac, st, k, c, id, version, s);

	if (rc == SVC_EINVALID)
		rc = error_set(SVC_ECRYPTO,
			       "connection '%s' cannot be authenticated: its secret fields and their sealed values do not match",
			       svc_conn_name(c));
	if (rc == 0 &&
	    (rc = st->ops->conn_mac_put(st->be, id, version, mac,
					sizeof(mac))) == 0)
		rc = manifest_put(st, m, k, id, version);
	return rc;
}

/*
 * MAC connection id as it is stored now at version under k, and record
 * it in m.  SVC_ENOTFOUND when there is no such connection.
 */
static int seal_into(svc_store *st, manifest *m, const char *id,
		     long long version, const crypto_key *k)
{
	svc_conn *c = NULL;
	sealed_set s;
	int rc;

	sealed_init(&s);
	if ((rc = st->ops->conn_get(&c, st->be, id)) == 0 &&
	    (rc = sealed_load(&s, st, id)) == 0)
		rc = seal_conn(st, m, c, id, version, &s, k);
	sealed_clear(&s);
	svc_conn_free(c);
	return rc;
}

/* The sealed secrets of a connection as they were written. */
struct store_seals {
	sealed_set s; /**< key and sealed bytes of each */
};

int store_seals_new(store_seals **out)
{
	store_seals *x = calloc(1, sizeof(*x));

	if (!x)
		return error_oom();
	sealed_init(&x->s);
	*out = x;
	return 0;
}

void store_seals_reset(store_seals *x)
{
	if (x) {
		sealed_clear(&x->s);
		sealed_init(&x->s);
	}
}

void store_seals_free(store_seals *x)
{
	if (!x)
		return;
	sealed_clear(&x->s);
	free(x);
}

int store_seals_add(store_seals *x, const char *key,
		    const unsigned char *data, size_t len)
{
	store_sealed one;

	memset(&one, 0, sizeof(one));
	one.key = key;
	one.data = data;
	one.len = len;
	return sealed_collect(&x->s, &one);
}

int store_conn_seal_begin(svc_store *st)
{
	manifest *m;

	return mcache_get(&m, st, MCACHE_WRITE);
}

int store_conn_seal_written(svc_store *st, const svc_conn *c,
			    const char *id, const store_seals *x)
{
	manifest *m;
	int rc;

	/* as store_conn_seal, but of the rows as written: every other row
	 * was matched by store_conn_seal_begin */
	if ((rc = mcache_get(&m, st, MCACHE_LIST)) != 0)
		return rc;
	st->mcache->dirty = 1;
	if ((rc = seal_conn(st, m, c, id, m->epoch + 1, &x->s,
			    &st->key)) != 0)
		return rc;
	m->epoch++;
	return mcache_get(&m, st, MCACHE_WRITE);
}

int store_conn_seal(svc_store *st, const char *id)
{
	manifest *m;
	int rc;

	/* every other row must match too: a write never makes an older
	 * copy of another connection valid (checked once id is sealed, as
	 * a new connection's row has no version yet; the list is written
	 * at the commit) */
	if ((rc = mcache_get(&m, st, MCACHE_LIST)) != 0)
		return rc;
	st->mcache->dirty = 1;
	if ((rc = seal_into(st, m, id, m->epoch + 1, &st->key)) != 0)
		return rc;
	m->epoch++;
	return mcache_get(&m, st, MCACHE_WRITE);
}

/*
 * Not checked against the rows: deleting is how a refused connection is
 * removed.  It changes no other entry and no epoch, so it never makes an
 * older copy of another connection valid.
 */
int store_conn_forget(svc_store *st, const char *id)
{
	manifest *m;
	int rc;

	if ((rc = mcache_get(&m, st, MCACHE_LIST)) == 0) {
		st->mcache->dirty = 1;
		rc = manifest_drop(st, m, &st->key, id);
	}
	return rc;
}

int store_conn_unlist(svc_store *st, const char *id)
{
	manifest *m;
	int rc;

	if ((rc = mcache_get(&m, st, MCACHE_LIST)) == 0)
		rc = manifest_find(m, id) ? 0 : SVC_ENOTFOUND;
	return rc == 0 ? store_conn_forget(st, id) : rc;
}

int store_rows_remac(svc_store *st, const crypto_key *nk)
{
	manifest *m, out;
	size_t i;
	int rc;

	manifest_init(&out);
	if ((rc = mcache_get(&m, st, MCACHE_WRITE)) != 0)
		goto done;
	out.epoch = m->epoch;
	for (i = 0; i < m->n && rc == 0; i++)
		rc = seal_into(st, &out, manifest_at(m, i)->id,
			       manifest_at(m, i)->version, nk);
	if (rc == 0)
		rc = manifest_store(st, &out, nk);
done:
	/* written under nk, or not at all: read again next time */
	mcache_drop(st);
	manifest_clear(&out);
	return rc;
}

int store_rows_unsealed(svc_store *st)
{
	char *v = NULL;
	int rc = st->ops->meta_get(&v, st->be, META_UNSEALED);

	free(v);
	if (rc == SVC_ENOTFOUND)
		return 0;
	return rc ? rc : 1;
}

int store_rows_adopt(svc_store *st, size_t *count)
{
	svc_conn **list = NULL;
	manifest m;
	size_t i, n = 0;
	int rc;

	manifest_init(&m);
	if ((rc = st->ops->conn_list(&list, &n, st->be)) != 0 ||
	    (rc = st->ops->manifest_clear(st->be)) != 0)
		goto done;
	for (i = 0; i < n && rc == 0; i++)
		rc = seal_into(st, &m, svc_conn_id(list[i]), (long long)i + 1,
			       &st->key);
	m.epoch = (long long)n;
	mcache_drop(st);
	if (rc == 0 && (rc = manifest_store(st, &m, &st->key)) == 0 &&
	    (rc = st->ops->meta_delete(st->be, META_UNSEALED)) == 0 && count)
		*count = n;
done:
	svc_store_conn_list_free(list, n);
	manifest_clear(&m);
	return rc;
}
