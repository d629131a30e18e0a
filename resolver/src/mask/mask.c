/*
 * mask.c - the masker's pattern set and its compiled database.
 *
 * Every registered secret becomes a handful of literal patterns, its
 * encoded forms (encodings.c).  Patterns are kept once each, in a hash set
 * whose bytes live in wiping buffers; values too short to mask are kept in
 * the same set, only to be counted once.  A multi-line secret registers
 * each line of at least the minimum length and the forms of the whole
 * value that hold no newline (JSON, URL, base64, ...); the raw whole value
 * (and the forms with a raw newline) only when some non-empty line is too
 * short to be masked alone.  That keeps most pattern sets free of
 * newlines, which lets streams write every complete line at once.
 *
 * The patterns are compiled with Vectorscan's hs_compile_lit_multi() into
 * one HS_MODE_VECTORED literal database, plus one more literal, "##vso["
 * in any case, that finds logging commands in the same pass.  Compiling is lazy: adding
 * secrets marks the set dirty and the next scan (or svc_masker_compile())
 * rebuilds it, so registering thousands costs one compile.  A database is
 * immutable and reference-counted: the masker holds one reference to the
 * current one, each stream one to the database of its last scan, so a
 * stream on another thread may finish a scan while a new set is built.
 * The last reference wipes the database (it holds the patterns) and frees
 * it.  Everything else is guarded by the masker's mutex.
 *
 * Layers.  Compiling costs about 14 us a pattern (0.28 s for 1,000
 * secrets), so a secret added to a big compiled set is not compiled with
 * all the others again: the patterns added since the top layer was built
 * are compiled alone into a small layer stacked on it (mask_db's below),
 * merged with the layers above the bottom one as they grow (stack_on()),
 * and folded into a full rebuild once they are more than a quarter of the
 * bottom layer's, so the work stays within a constant factor of one build
 * per pattern added.  Members are only ever appended, so a layer covers
 * the members 0..nents-1 and the one above it the rest.  Streams scan
 * every layer; what is masked is the union of the matches, which does not
 * depend on which layer found them.
 * A clone (svc_masker_clone()) copies the set and shares the compiled
 * layers, read-only: a job's connections are compiled once and each step
 * adds its own secrets in a layer of its own.  Layers' reference counts
 * are atomic, since maskers with different mutexes share them.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "svcconn/errors.h"
#include "svcconn/secret.h"
#include "errors_int.h"
#include "mask/mask_int.h"

/* Largest total of pattern bytes a masker keeps. */
#define MASK_TEXT_MAX ((size_t)512 * 1024 * 1024)
/* Longest literal given to Vectorscan; longer forms are cut in pieces. */
#define MASK_PATTERN_MAX ((size_t)4096)
/* Smallest line length limit the options accept. */
#define MASK_MIN_MAX_LINE ((size_t)1024)

/* One member of the set: a pattern, or a too-short secret. */
struct mask_ent {
	size_t off;             /**< offset of its bytes in text */
	size_t len;             /**< length: < min_len means too short */
	uint64_t hash;          /**< FNV-1a of the bytes */
};

struct svc_masker {
	pthread_mutex_t lock;   /**< guards every field below */
	size_t min_len;         /**< shortest maskable secret */
	size_t max_line;        /**< longest line read as a command */
	svc_buf text;           /**< secret: the members' bytes back to back */
	svc_buf ents;           /**< secret: struct mask_ent per member */
	size_t nents;           /**< members */
	svc_buf slots;          /**< secret: hash table of member index + 1 */
	size_t nslots;          /**< table size, a power of two (or 0) */
	size_t npat;            /**< members that are patterns */
	size_t nshort;          /**< members that are too-short secrets */
	size_t short_taken;     /**< nshort at the last take_too_short */
	uint64_t gen;           /**< bumped whenever a pattern is added */
	uint64_t builds;        /**< databases built so far */
	uint64_t full_builds;   /**< of those, builds of every pattern */
	enum mask_layering layering; /**< when a layer is stacked */
	mask_db *db;            /**< current database (one reference), or NULL */
};

static uint64_t fnv1a(const char *p, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static void lock(const svc_masker *m)
{
	pthread_mutex_lock((pthread_mutex_t *)&m->lock);
}

static void unlock(const svc_masker *m)
{
	pthread_mutex_unlock((pthread_mutex_t *)&m->lock);
}

void mask_hs_wipe(hs_database_t *hs)
{
	size_t size = 0;

	if (hs && hs_database_size(hs, &size) == HS_SUCCESS &&
	    size > MASK_DB_HEADER)
		svc_wipe((char *)hs + MASK_DB_HEADER, size - MASK_DB_HEADER);
}

/* Wipe the pattern tables of one layer, then free it (not the one below). */
static void db_free(mask_db *db)
{
	if (!db)
		return;
	if (db->hs) {
		mask_hs_wipe(db->hs);
		hs_free_database(db->hs);
	}
	free(db->lens);
	free(db);
}

static void db_ref(mask_db *db)
{
	__atomic_add_fetch(&db->refs, 1, __ATOMIC_RELAXED);
}

/* Drop a reference; the last one frees the layer and drops the one below. */
static void db_unref(mask_db *db)
{
	while (db && __atomic_sub_fetch(&db->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		mask_db *below = db->below;

		db_free(db);
		db = below;
	}
}

int svc_masker_new(svc_masker **out, const svc_masker_options *o)
{
	svc_masker *m;
	size_t min_len = SVC_MASK_MIN_LENGTH, max_line = SVC_MASK_MAX_LINE;

	if (o) {
		if (o->version != SVC_MASKER_OPTIONS_VERSION)
			return error_set(SVC_EINVALID,
					 "unknown masker options version %u",
					 o->version);
		if (o->min_length)
			min_len = o->min_length;
		if (o->max_line)
			max_line = o->max_line;
	}
	if (min_len < SVC_MASK_MIN_LENGTH_FLOOR || min_len > 4096)
		return error_set(SVC_EINVALID,
				 "minimum secret length %zu out of range (%d..4096)",
				 min_len, SVC_MASK_MIN_LENGTH_FLOOR);
	if (max_line < MASK_MIN_MAX_LINE || max_line > SVC_BUF_DEFAULT_MAX / 4)
		return error_set(SVC_EINVALID, "line limit %zu out of range",
				 max_line);
	if (hs_valid_platform() != HS_SUCCESS)
		return error_set(SVC_ERROR,
				 "this processor cannot run Vectorscan (no SSSE3)");
	m = calloc(1, sizeof(*m));
	if (!m)
		return error_oom();
	if (pthread_mutex_init(&m->lock, NULL) != 0) {
		free(m);
		return error_set(SVC_ERROR, "cannot create a mutex");
	}
	m->min_len = min_len;
	m->max_line = max_line;
	buf_init(&m->text, MASK_TEXT_MAX, 1);
	buf_init(&m->ents, MASK_TEXT_MAX, 1);
	buf_init(&m->slots, MASK_TEXT_MAX, 1);
	*out = m;
	return 0;
}

void svc_masker_free(svc_masker *m)
{
	if (!m)
		return;
	db_unref(m->db);
	buf_clear(&m->text);
	buf_clear(&m->ents);
	buf_clear(&m->slots);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

/* Rebuild the hash table with nslots slots (lock held). */
static int rehash(svc_masker *m, size_t nslots)
{
	const struct mask_ent *e = (const struct mask_ent *)m->ents.ptr;
	svc_buf t;
	uint32_t *slot;
	size_t bytes, i;
	int rc;

	if (!size_mul_ok(&bytes, nslots, sizeof(uint32_t)))
		return error_oom();
	buf_init(&t, MASK_TEXT_MAX, 1);
	if ((rc = buf_grow(&t, bytes)) != 0)
		return rc;
	memset(t.ptr, 0, bytes);
	t.len = bytes;
	slot = (uint32_t *)t.ptr;
	for (i = 0; i < m->nents; i++) {
		size_t at = (size_t)e[i].hash & (nslots - 1);

		while (slot[at])
			at = (at + 1) & (nslots - 1);
		slot[at] = (uint32_t)(i + 1);
	}
	buf_clear(&m->slots);
	m->slots = t;
	m->nslots = nslots;
	return 0;
}

/*
 * Add bytes p (len) to the set unless present (lock held); *added is set
 * to 1 when they were new.
 */
static int set_insert(svc_masker *m, const char *p, size_t len, int *added)
{
	const struct mask_ent *e;
	struct mask_ent ne;
	uint32_t *slot;
	uint64_t h = fnv1a(p, len);
	size_t at;
	int rc;

	*added = 0;
	if (m->nents >= UINT32_MAX / 4)
		return error_set(SVC_EINVALID, "too many secrets to mask");
	if ((m->nents + 1) * 2 > m->nslots &&
	    (rc = rehash(m, m->nslots ? m->nslots * 2 : 256)) != 0)
		return rc;
	e = (const struct mask_ent *)m->ents.ptr;
	slot = (uint32_t *)m->slots.ptr;
	for (at = (size_t)h & (m->nslots - 1); slot[at];
	     at = (at + 1) & (m->nslots - 1)) {
		const struct mask_ent *x = &e[slot[at] - 1];

		if (x->hash == h &&
		    svc_secret_equal(m->text.ptr + x->off, x->len, p, len))
			return 0;
	}
	ne.off = m->text.len;
	ne.len = len;
	ne.hash = h;
	if ((rc = buf_put(&m->text, p, len)) != 0)
		return rc;
	if ((rc = buf_put(&m->ents, &ne, sizeof(ne))) != 0) {
		m->text.len = ne.off;
		return rc;
	}
	slot[at] = (uint32_t)(++m->nents);
	*added = 1;
	return 0;
}

/* What a form callback registers into. */
struct add_ctx {
	svc_masker *m;          /**< the masker (locked) */
	int allow_nl;           /**< keep forms holding a newline */
	int added;              /**< a new pattern was added */
};

/* Add one pattern of len bytes at p to the set (lock held). */
static int add_pattern(struct add_ctx *a, const char *p, size_t len)
{
	int added, rc = set_insert(a->m, p, len, &added);

	if (rc == 0 && added) {
		a->m->npat++;
		a->added = 1;
	}
	return rc;
}

/*
 * Register one form.  A form longer than MASK_PATTERN_MAX (Vectorscan
 * refuses literals of 16 KiB and more; a kubeconfig or a PFX in base64 is
 * that long) is registered as pieces of MASK_PATTERN_MAX bytes, the last
 * one ending with the form: where the whole form appears, every byte of it
 * is inside a matching piece.
 */
static int add_form(void *ctx, const char *form, size_t len)
{
	struct add_ctx *a = ctx;
	size_t off;
	int rc = 0;

	if (len < a->m->min_len)
		return 0;
	if (!a->allow_nl && memchr(form, '\n', len))
		return 0;
	if (len <= MASK_PATTERN_MAX)
		return add_pattern(a, form, len);
	for (off = 0; off + MASK_PATTERN_MAX < len && rc == 0;
	     off += MASK_PATTERN_MAX)
		rc = add_pattern(a, form + off, MASK_PATTERN_MAX);
	if (rc == 0)
		rc = add_pattern(a, form + len - MASK_PATTERN_MAX,
				 MASK_PATTERN_MAX);
	return rc;
}

/* Register the forms of a value with several lines (lock held). */
/*
 * 1 when the n bytes at p are a PEM armor line ("-----BEGIN PRIVATE
 * KEY-----"): the same in every key and certificate, so not a secret of
 * its own (masking it would hide the armor of every certificate printed).
 */
static int pem_armor(const char *p, size_t n)
{
	size_t i, k = n >= 11 && !memcmp(p, "-----BEGIN ", 11) ? 11
		: n >= 9 && !memcmp(p, "-----END ", 9) ? 9 : 0;

	if (!k || n < k + 6 || memcmp(p + n - 5, "-----", 5))
		return 0;
	for (i = k; i < n - 5; i++)
		if (!(p[i] >= 'A' && p[i] <= 'Z') && !(p[i] >= '0' && p[i] <= '9') &&
		    p[i] != ' ')
			return 0;
	return 1;
}

static int add_lines(struct add_ctx *a, const char *v, size_t len)
{
	size_t i = 0;
	int short_line = 0, rc;

	/* is any non-empty line too short to be masked on its own? */
	while (i < len) {
		const char *nl = memchr(v + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - v) : len, n = end - i;

		if (n && v[end - 1] == '\r')
			n--;
		if (n && n < a->m->min_len)
			short_line = 1;
		i = end + 1;
	}
	a->allow_nl = short_line;
	if ((rc = mask_forms(v, len, add_form, a)) != 0)
		return rc;
	a->allow_nl = 0;
	for (i = 0; i < len && rc == 0;) {
		const char *nl = memchr(v + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - v) : len, n = end - i;

		if (n && v[end - 1] == '\r')
			n--;
		if (n >= a->m->min_len && !pem_armor(v + i, n))
			rc = mask_forms(v + i, n, add_form, a);
		i = end + 1;
	}
	return rc;
}

int mask_add(svc_masker *m, const char *v, size_t len, int *too_short)
{
	struct add_ctx a;
	int rc, added;

	*too_short = 0;
	if (len > SVC_SECRET_MAX)
		return error_set(SVC_EINVALID,
				 "secret too long to mask (limit %u bytes)",
				 SVC_SECRET_MAX);
	lock(m);
	if (len < m->min_len) {
		*too_short = 1;
		rc = len ? set_insert(m, v, len, &added) : 0;
		if (rc == 0 && len && added)
			m->nshort++;
		unlock(m);
		return rc;
	}
	a.m = m;
	a.allow_nl = 1;
	a.added = 0;
	if (memchr(v, '\n', len))
		rc = add_lines(&a, v, len);
	else
		rc = mask_forms(v, len, add_form, &a);
	if (a.added)
		m->gen++;
	unlock(m);
	return rc;
}

int svc_masker_add(svc_masker *m, const void *secret, size_t len)
{
	int too_short;

	if (!m || (!secret && len))
		return error_set(SVC_EINVALID, "no masker or secret");
	return mask_add(m, secret, len, &too_short);
}

int svc_masker_add_basic_auth(svc_masker *m, const char *user, size_t ulen,
			      const void *pass, size_t plen)
{
	struct add_ctx a;
	svc_buf pair;
	int rc;

	if (!m || (!user && ulen) || (!pass && plen))
		return error_set(SVC_EINVALID, "no masker or credentials");
	if ((rc = svc_masker_add(m, pass, plen)) != 0)
		return rc;
	buf_init(&pair, 2 * SVC_SECRET_MAX + 2, 1);
	rc = buf_put(&pair, user, ulen);
	if (rc == 0)
		rc = buf_putc(&pair, ':');
	if (rc == 0)
		rc = buf_put(&pair, pass, plen);
	if (rc == 0) {
		lock(m);
		a.m = m;
		a.allow_nl = 0;
		a.added = 0;
		rc = mask_forms_base64(pair.ptr, pair.len, add_form, &a);
		if (a.added)
			m->gen++;
		unlock(m);
	}
	buf_clear(&pair);
	return rc;
}

/*
 * Compile the members from..nents-1 into a new layer on top of below, or,
 * without below, all of them with "##vso[" into a bottom layer (lock
 * held).  *out gets it with one reference.
 */
static int build_layer(svc_masker *m, size_t from, mask_db *below,
		       mask_db **out)
{
	const struct mask_ent *e = (const struct mask_ent *)m->ents.ptr;
	const char **exprs = NULL;
	unsigned *ids = NULL, *flags = NULL, n, k = 0;
	size_t i, bytes;
	hs_compile_error_t *err = NULL;
	mask_db *db;
	int rc = 0;

	if (m->npat >= UINT_MAX - 1)
		return error_set(SVC_EINVALID, "too many secrets to mask");
	n = (unsigned)m->npat + 1;
	db = calloc(1, sizeof(*db));
	if (!db || !size_mul_ok(&bytes, n, sizeof(size_t)) ||
	    !(db->lens = malloc(bytes)) ||
	    !(exprs = calloc(n, sizeof(*exprs))) ||
	    !(ids = calloc(n, sizeof(*ids))) ||
	    !(flags = calloc(n, sizeof(*flags)))) {
		rc = error_oom();
		goto free_arrays;
	}
	db->nl_safe = 1;
	for (i = from; i < m->nents; i++) {
		const char *p = m->text.ptr + e[i].off;
		size_t len = e[i].len;

		if (len < m->min_len)
			continue;
		/*
		 * Vectorscan takes a literal that starts with a NUL byte for
		 * an empty one: match from the first other byte instead.
		 */
		while (len && *p == '\0') {
			p++;
			len--;
		}
		if (len < m->min_len)
			continue;
		exprs[k] = p;
		db->lens[k] = len;
		ids[k] = k;
		if (len > db->maxlen)
			db->maxlen = len;
		if (memchr(p, '\n', len))
			db->nl_safe = 0;
		k++;
	}
	db->npat = k;
	db->cmd_id = UINT_MAX;
	if (!below) {
		db->cmd_id = k;
		exprs[k] = LOGCMD_PREFIX;
		db->lens[k] = LOGCMD_PREFIX_LEN;
		ids[k] = k;
		flags[k] = HS_FLAG_CASELESS;    /* "##VSO[" starts a command too */
	}
	if ((k || !below) &&
	    hs_compile_lit_multi(exprs, flags, ids, db->lens, k + !below,
				 HS_MODE_VECTORED, NULL, &db->hs,
				 &err) != HS_SUCCESS) {
		rc = error_set(SVC_ERROR,
			       "cannot compile the masking patterns: %s",
			       err && err->message ? err->message : "unknown error");
		hs_free_compile_error(err);
		db->hs = NULL;
		goto free_arrays;
	}
	db->gen = m->gen;
	db->nents = m->nents;
	db->allpat = k;
	db->refs = 1;
	if (below) {
		if (below->maxlen > db->maxlen)
			db->maxlen = below->maxlen;
		db->nl_safe &= below->nl_safe;
		db->allpat += below->allpat;
		db_ref(below);
		db->below = below;
	}
	*out = db;
	db = NULL;
free_arrays:
	/* the expression array points into text: nothing to wipe here */
	free(exprs);
	free(ids);
	free(flags);
	db_free(db);
	return rc;
}

/*
 * The layer to stack the patterns added since the top one was built on,
 * or NULL for a full rebuild (lock held).  Upper layers no bigger than
 * what goes on them are merged into the new one, so each layer is bigger
 * than all those above it together and a pattern is compiled again only
 * when what is above it has doubled; at most MASK_LAYERS_MAX are kept.
 * Everything is rebuilt in one layer once the patterns above the bottom
 * one are more than a quarter of its own: a full rebuild then costs at
 * most five times the patterns added since the last one.
 */
static mask_db *stack_on(const svc_masker *m)
{
	const struct mask_ent *e = (const struct mask_ent *)m->ents.ptr;
	mask_db *under = m->db, *bottom;
	size_t i, added = 0, depth = 0;

	if (!under || m->layering == MASK_LAYER_NEVER)
		return NULL;
	for (bottom = under; bottom->below; bottom = bottom->below)
		depth++;
	for (i = under->nents; i < m->nents; i++)
		if (e[i].len >= m->min_len)
			added++;
	while (under != bottom &&
	       (added >= under->npat || depth + 2 > MASK_LAYERS_MAX)) {
		added += under->npat;
		under = under->below;
		depth--;
	}
	if (m->layering == MASK_LAYER_ALWAYS)
		return under;
	/* the new layer's patterns and those of the layers it stays on */
	added += under->allpat - bottom->npat;
	return added <= bottom->npat / 4 ? under : NULL;
}

/* Make the database of the current patterns (lock held). */
static int build(svc_masker *m)
{
	mask_db *under = stack_on(m), *db;
	int rc;

	if (under) {
		rc = build_layer(m, under->nents, under, &db);
	} else {
		rc = build_layer(m, 0, NULL, &db);
		if (rc == 0)
			m->full_builds++;
	}
	if (rc)
		return rc;
	m->builds++;
	db_unref(m->db);
	m->db = db;
	return 0;
}

int mask_db_acquire(svc_masker *m, mask_db **out)
{
	int rc = 0;

	lock(m);
	if (!m->db || m->db->gen != m->gen)
		rc = build(m);
	if (rc == 0) {
		db_ref(m->db);
		*out = m->db;
	}
	unlock(m);
	return rc;
}

void mask_db_release(svc_masker *m, mask_db *db)
{
	(void)m;
	db_unref(db);
}

/* Append the len bytes at p to b (nothing for none). */
static int copy_into(svc_buf *b, const char *p, size_t len)
{
	return len ? buf_put(b, p, len) : 0;
}

int svc_masker_clone(svc_masker **out, svc_masker *src)
{
	svc_masker_options o;
	svc_masker *m = NULL;
	int rc;

	if (!out || !src)
		return error_set(SVC_EINVALID, "no masker to clone");
	memset(&o, 0, sizeof(o));
	o.version = SVC_MASKER_OPTIONS_VERSION;
	o.min_length = src->min_len;
	o.max_line = src->max_line;
	if ((rc = svc_masker_new(&m, &o)) != 0)
		return rc;
	lock(src);
	/* the clone shares the compiled set: make it current first */
	if (!src->db || src->db->gen != src->gen)
		rc = build(src);
	if (rc == 0)
		rc = copy_into(&m->text, src->text.ptr, src->text.len);
	if (rc == 0)
		rc = copy_into(&m->ents, src->ents.ptr, src->ents.len);
	if (rc == 0)
		rc = copy_into(&m->slots, src->slots.ptr, src->slots.len);
	if (rc == 0) {
		m->nents = src->nents;
		m->nslots = src->nslots;
		m->npat = src->npat;
		m->nshort = src->nshort;
		m->short_taken = 0;     /* its own warning, as a new masker's */
		m->gen = src->gen;
		m->layering = src->layering;
		m->db = src->db;
		db_ref(m->db);
	}
	unlock(src);
	if (rc) {
		svc_masker_free(m);
		return rc;
	}
	*out = m;
	return 0;
}

int svc_masker_compile(svc_masker *m)
{
	mask_db *db;
	int rc;

	if (!m)
		return error_set(SVC_EINVALID, "no masker");
	if ((rc = mask_db_acquire(m, &db)) == 0)
		mask_db_release(m, db);
	return rc;
}

size_t mask_max_line(const svc_masker *m)
{
	return m->max_line;
}

uint64_t mask_build_count(svc_masker *m)
{
	uint64_t n;

	lock(m);
	n = m->builds;
	unlock(m);
	return n;
}

uint64_t mask_full_build_count(svc_masker *m)
{
	uint64_t n;

	lock(m);
	n = m->full_builds;
	unlock(m);
	return n;
}

void mask_set_layering(svc_masker *m, enum mask_layering mode)
{
	lock(m);
	m->layering = mode;
	unlock(m);
}

uint64_t mask_generation(svc_masker *m)
{
	uint64_t g;

	lock(m);
	g = m->gen;
	unlock(m);
	return g;
}

int mask_foreach_pattern(svc_masker *m, mask_form_fn fn, void *ctx)
{
	const struct mask_ent *e;
	size_t i;
	int rc = 0;

	lock(m);
	e = (const struct mask_ent *)m->ents.ptr;
	for (i = 0; i < m->nents && rc == 0; i++)
		if (e[i].len >= m->min_len)
			rc = fn(ctx, m->text.ptr + e[i].off, e[i].len);
	unlock(m);
	return rc;
}

size_t svc_masker_too_short(const svc_masker *m)
{
	size_t n;

	if (!m)
		return 0;
	lock(m);
	n = m->nshort;
	unlock(m);
	return n;
}

size_t svc_masker_take_too_short(svc_masker *m)
{
	size_t n;

	if (!m)
		return 0;
	lock(m);
	n = m->nshort - m->short_taken;
	m->short_taken = m->nshort;
	unlock(m);
	return n;
}

size_t svc_masker_patterns(const svc_masker *m)
{
	size_t n;

	if (!m)
		return 0;
	lock(m);
	n = m->npat;
	unlock(m);
	return n;
}
