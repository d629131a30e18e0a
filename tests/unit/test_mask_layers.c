/*
 * test_mask_layers.c - secrets added to a compiled masker go into a small
 * database of their own stacked on the big one, and clones share the
 * compiled set; neither may change what is masked.
 *
 * The differential tests compare a layered masker (a compiled base, a
 * clone of it, secrets added to the clone in two more rounds) with one
 * fresh masker built with every secret at once, on random secrets that
 * overlap, contain and are contained in each other across the layers,
 * some spanning lines, and random texts made of their forms, fragments and
 * logging commands that set more secrets between lines, written in random
 * cuts and in writes longer than the stream's 64 KiB pieces with a secret
 * across the piece boundary.  The outputs must be the same bytes.  Then:
 * secrets set between lines on a big compiled set (the layer rebuilt,
 * folded once it grows) against full rebuilds; a clone's secrets are its
 * own and its shared layers outlive the masker that built them; clones
 * made and freed on several threads at once; an upper layer is wiped.
 */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <svcconn/svcconn.h>
#include <svcconn/mask.h>

#include "errors_int.h"
#include "mask/mask_int.h"
#include "testutil.h"
#include "util/buf.h"

/* ---- helpers ---- */

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static size_t below(uint64_t *s, size_t n)
{
	return n ? (size_t)(rnd(s) % n) : 0;
}

static int sink_write(void *ctx, const char *data, size_t len)
{
	return buf_put(ctx, data, len);
}

static svc_masker *new_masker(enum mask_layering mode)
{
	svc_masker *m = NULL;

	assert_int_equal(svc_masker_new(&m, NULL), 0);
	mask_set_layering(m, mode);
	return m;
}

/* Filter text through a stream on m written in pieces cut at cuts[]. */
static char *filter_cuts(svc_masker *m, int commands, const char *text,
			 size_t len, const size_t *cuts, size_t ncuts,
			 size_t *outlen)
{
	svc_mask_stream_options o;
	svc_mask_stream *s = NULL;
	svc_buf out;
	size_t i, at = 0;
	char *r;

	buf_init(&out, (size_t)1 << 30, 0);
	memset(&o, 0, sizeof(o));
	o.version = SVC_MASK_STREAM_OPTIONS_VERSION;
	o.commands = commands;
	o.write = sink_write;
	o.write_ctx = &out;
	assert_int_equal(svc_mask_stream_new(&s, m, &o), 0);
	for (i = 0; i <= ncuts; i++) {
		size_t end = i < ncuts ? cuts[i] : len;

		assert_int_equal(svc_mask_stream_write(s, text + at, end - at),
				 0);
		at = end;
	}
	assert_int_equal(svc_mask_stream_finish(s), 0);
	svc_mask_stream_free(s);
	assert_int_equal(buf_putc(&out, '\0'), 0);
	r = buf_detach(&out, outlen);
	assert_non_null(r);
	(*outlen)--;
	return r;
}

static char *mask_text(svc_masker *m, const char *text)
{
	char *out = NULL;
	size_t len;

	assert_int_equal(svc_masker_mask(&out, &len, m, text, strlen(text)), 0);
	return out;
}

/* ---- random secrets and texts ---- */

#define MAXSEC 48
#define POOL 2048

/* The secrets of one round and the pieces texts are made of. */
struct world {
	char sec[MAXSEC][64];   /**< secrets, NUL-terminated */
	size_t nsec;            /**< how many */
	char *pool[POOL];       /**< forms of the secrets, owned */
	size_t plen[POOL];      /**< their lengths */
	size_t npool;           /**< how many */
};

static int pool_add(void *ctx, const char *p, size_t len)
{
	struct world *w = ctx;

	if (w->npool == POOL || !len)
		return 0;
	w->pool[w->npool] = malloc(len);
	assert_non_null(w->pool[w->npool]);
	memcpy(w->pool[w->npool], p, len);
	w->plen[w->npool++] = len;
	return 0;
}

/*
 * A new secret: from a small alphabet (so forms collide), or one that
 * contains an earlier one, is inside one, or overlaps one's end; now and
 * then with a newline and a short line (its whole raw value then holds a
 * newline: a layer that is not newline-safe).
 */
static void make_secret(struct world *w, uint64_t *seed, int multiline)
{
	static const char abc[] = "abcAB01%;\"\\ +/=-_.";
	char *s = w->sec[w->nsec];
	size_t n = 0, i, kind = below(seed, 5);

	if (w->nsec && kind == 1) {             /* contains an earlier one */
		static const char *const pre[] = { "xy", "y", "" };
		static const char *const post[] = { "z%;", "%;", ";" };
		char o[64];

		memcpy(o, w->sec[below(seed, w->nsec)], sizeof(o));
		n = (size_t)snprintf(s, 64, "%s%.40s%s", pre[below(seed, 3)], o,
				     post[below(seed, 3)]);
	} else if (w->nsec && kind == 2) {      /* inside an earlier one */
		const char *o = w->sec[below(seed, w->nsec)];
		size_t ol = strlen(o), from, len;

		if (ol >= 5) {
			len = 4 + below(seed, ol - 4);
			from = below(seed, ol - len + 1);
			memcpy(s, o + from, len);
			n = len;
		}
	} else if (w->nsec && kind == 3) {      /* overlaps one's end */
		const char *o = w->sec[below(seed, w->nsec)];
		size_t ol = strlen(o), k = ol > 6 ? 3 : 1;

		memcpy(s, o + ol - k, k);
		n = k;
		for (i = 0; i < 5 + below(seed, 8); i++)
			s[n++] = abc[below(seed, sizeof(abc) - 1)];
	}
	if (!n)
		for (i = 0, n = 4 + below(seed, 14); i < n; i++)
			s[i] = abc[below(seed, sizeof(abc) - 1)];
	if (multiline && n < 50) {
		memcpy(s + n, "\nab", 3);       /* a line too short alone */
		n += 3;
	}
	s[n] = '\0';
	assert_int_equal(mask_forms(s, n, pool_add, w), 0);
	pool_add(w, s, n);
	w->nsec++;
}

static void world_free(struct world *w)
{
	size_t i;

	for (i = 0; i < w->npool; i++)
		free(w->pool[i]);
	memset(w, 0, sizeof(*w));
}

/*
 * Random text: forms, fragments of forms, filler, newlines, and with
 * commands one piece in cmd_every a secret set between lines.
 */
static void make_text(svc_buf *t, struct world *w, uint64_t *seed,
		      size_t len, int commands, size_t cmd_every)
{
	static const char *const filler[] = {
		" ", "\n", "x", "log line ", "ab", "%", "##", "\r\n", "***",
		"##vso[task.debug]hello\n",
	};

	buf_reset(t);
	while (t->len < len) {
		size_t k = below(seed, 9), p = below(seed, w->npool);

		if (commands && below(seed, cmd_every) == 0)
			k = 9;
		if (k < 4) {
			assert_int_equal(buf_put(t, w->pool[p], w->plen[p]), 0);
		} else if (k < 6) {
			size_t from = below(seed, w->plen[p]);
			size_t n = 1 + below(seed, w->plen[p] - from);

			assert_int_equal(buf_put(t, w->pool[p] + from, n), 0);
		} else if (k < 9) {
			assert_int_equal(buf_puts(t, filler[below(seed, 10)]),
					 0);
		} else {
			/* a secret set between lines: a fresh one, or one
			 * the masker has already */
			char v[32];
			size_t i, n = 5 + below(seed, 12);

			for (i = 0; i < n; i++)
				v[i] = "qrstuvwQRS9%;"[below(seed, 13)];
			v[n] = '\0';
			assert_int_equal(buf_printf(t, "\n##vso[task.setsecret]%s\n"
						    "%s and %.*s\n", below(seed, 2)
						    ? v : w->sec[p % w->nsec],
						    v, (int)w->plen[p],
						    w->pool[p]), 0);
		}
	}
}

/* Random sorted cuts of [0, len]. */
static size_t make_cuts(size_t *cuts, size_t max, size_t len, uint64_t *seed)
{
	size_t n = below(seed, max), i, j;

	for (i = 0; i < n; i++) {
		size_t x = below(seed, len + 1);

		for (j = i; j && cuts[j - 1] > x; j--)
			cuts[j] = cuts[j - 1];
		cuts[j] = x;
	}
	return n;
}

static void add_all(svc_masker *m, const struct world *w, size_t from,
		    size_t to)
{
	size_t i;

	for (i = from; i < to; i++)
		assert_int_equal(svc_masker_add(m, w->sec[i], strlen(w->sec[i])),
				 0);
}

static void expect_same(svc_masker *layered, svc_masker *full, int commands,
			const svc_buf *t, const size_t *cuts, size_t ncuts,
			int round)
{
	size_t la, lb;
	char *a = filter_cuts(layered, commands, t->ptr, t->len, cuts, ncuts,
			      &la);
	char *b = filter_cuts(full, commands, t->ptr, t->len, cuts, ncuts,
			      &lb);

	if (la != lb || memcmp(a, b, la) != 0) {
		size_t i = 0;

		while (i < la && i < lb && a[i] == b[i])
			i++;
		print_error("round %d (commands %d, %zu bytes, %zu cuts): "
			    "differs at %zu:\nlayered: %.80s\nfull:    %.80s\n",
			    round, commands, t->len, ncuts, i, a + i, b + i);
		fail();
	}
	free(a);
	free(b);
}

/* A chain of 2..MASK_LAYERS_MAX layers, the "##vso[" in the bottom one. */
static void expect_layers(const mask_db *db)
{
	const mask_db *d;
	size_t n = 0, pat = 0;

	for (d = db; d; d = d->below) {
		n++;
		pat += d->npat;
		assert_int_equal(d->cmd_id, d->below ? UINT_MAX : d->npat);
		assert_true(d->maxlen >= (d->below ? d->below->maxlen : 0));
	}
	assert_true(n >= 2 && n <= MASK_LAYERS_MAX);
	assert_int_equal(db->allpat, pat);
}

/*
 * The layered masker against one fresh full build, round after round of
 * random secrets: the base compiled, cloned (the base freed now and then
 * before the clone is used), two rounds added to the clone, each compiled
 * into the layer on top of the shared base.
 */
static void test_layered_against_full(void **state)
{
	uint64_t seed = 0x5eed1234abcdULL;
	size_t cuts[64];
	svc_buf t;
	int round;

	(void)state;
	buf_init(&t, 0, 0);
	for (round = 0; round < 40; round++) {
		struct world w;
		svc_masker *base = new_masker(MASK_LAYER_ALWAYS), *layered = NULL;
		svc_masker *full = new_masker(MASK_LAYER_NEVER);
		size_t na = 1 + below(&seed, 14), nb = 1 + below(&seed, 10);
		size_t nc = below(&seed, 6), i, text;
		int nl_layer = (int)below(&seed, 3); /* 0 none; 1 base; 2 top */
		mask_db *db = NULL;

		memset(&w, 0, sizeof(w));
		for (i = 0; i < na + nb + nc; i++)
			make_secret(&w, &seed, (nl_layer == 1 && i == 0) ||
					       (nl_layer == 2 && i == na));
		add_all(base, &w, 0, na);
		assert_int_equal(svc_masker_compile(base), 0);
		assert_int_equal(svc_masker_clone(&layered, base), 0);
		if (round % 3 == 0) {
			svc_masker_free(base);  /* the clone keeps its layer */
			base = NULL;
		}
		add_all(layered, &w, na, na + nb);
		assert_int_equal(svc_masker_compile(layered), 0);
		add_all(layered, &w, na + nb, na + nb + nc);
		assert_int_equal(svc_masker_compile(layered), 0);
		/* nothing compiled in full: the secrets are in the layer */
		assert_int_equal(mask_full_build_count(layered), 0);
		assert_int_equal(mask_db_acquire(layered, &db), 0);
		expect_layers(db);
		mask_db_release(layered, db);
		add_all(full, &w, 0, na + nb + nc);
		for (text = 0; text < 4; text++) {
			int commands = (int)below(&seed, 2);
			size_t len = 40 + below(&seed, 2500), ncuts;

			make_text(&t, &w, &seed, len, commands, 10);
			ncuts = make_cuts(cuts, 40, t.len, &seed);
			expect_same(layered, full, commands, &t, cuts, ncuts,
				    round);
		}
		/* the base still masks its own secrets alone */
		if (base) {
			char *o = mask_text(base, w.sec[0]);

			if (!strchr(w.sec[0], '\n'))
				assert_string_equal(o, "***");
			free(o);
		}
		svc_masker_free(base);
		svc_masker_free(layered);
		svc_masker_free(full);
		world_free(&w);
	}
	buf_clear(&t);
}

/*
 * Writes longer than the stream's pieces (MASK_CHUNK): each is cut in
 * 64 KiB pieces inside the stream, and a secret of each layer sits across
 * a piece boundary.
 */
static void test_layers_across_pieces(void **state)
{
	uint64_t seed = 99;
	svc_buf t;
	int round;

	(void)state;
	buf_init(&t, 0, 0);
	for (round = 0; round < 8; round++) {
		struct world w;
		svc_masker *base = new_masker(MASK_LAYER_ALWAYS), *layered = NULL;
		svc_masker *full = new_masker(MASK_LAYER_NEVER);
		size_t cuts[4], ncuts = 0, k;

		memset(&w, 0, sizeof(w));
		for (k = 0; k < 12; k++)
			make_secret(&w, &seed, 0);
		add_all(base, &w, 0, 6);
		assert_int_equal(svc_masker_compile(base), 0);
		assert_int_equal(svc_masker_clone(&layered, base), 0);
		add_all(layered, &w, 6, 12);
		add_all(full, &w, 0, 12);
		make_text(&t, &w, &seed, 3 * MASK_CHUNK + 100, round & 1,
			  2000);
		/* a secret of the base, then one of the layer, across the
		 * first two piece boundaries (the first write starts at 0) */
		for (k = 1; k <= 2; k++) {
			const char *v = w.sec[k == 1 ? 0 : 6];
			size_t n = strlen(v), at = k * MASK_CHUNK - n / 2;

			memcpy(t.ptr + at, v, n);
		}
		if (round >= 4) {
			cuts[ncuts++] = MASK_CHUNK / 3;
			cuts[ncuts++] = 2 * MASK_CHUNK + 7;
		}
		expect_same(layered, full, round & 1, &t, cuts, ncuts, round);
		svc_masker_free(base);
		svc_masker_free(layered);
		svc_masker_free(full);
		world_free(&w);
	}
	buf_clear(&t);
}

/*
 * Secrets set between lines of output on a big compiled set, as a step
 * does on its job's connections: the default policy stacks them in a
 * layer (rebuilt for each, folded into one full rebuild once they grow
 * past a quarter of the set) and the output is that of a full rebuild for
 * each secret.
 */
static void test_setsecret_between_lines(void **state)
{
	enum { NBASE = 30, NSET = 20 };
	svc_masker *base = new_masker(MASK_LAYER_AUTO), *layered = NULL;
	svc_masker *full = new_masker(MASK_LAYER_NEVER);
	uint64_t before_full, before_all;
	char v[64];
	svc_buf t;
	size_t i, cuts[8], ncuts;
	uint64_t seed = 7;

	(void)state;
	buf_init(&t, 0, 0);
	for (i = 0; i < NBASE; i++) {
		snprintf(v, sizeof(v), "job-conn-secret-%03zu-%%;\"x", i);
		assert_int_equal(svc_masker_add(base, v, strlen(v)), 0);
		assert_int_equal(svc_masker_add(full, v, strlen(v)), 0);
	}
	assert_int_equal(svc_masker_clone(&layered, base), 0);
	assert_int_equal(svc_masker_compile(full), 0);
	for (i = 0; i < NSET; i++) {
		assert_int_equal(buf_printf(&t, "##vso[task.setsecret]set-%03zu-value\n"
					    "line %zu: set-%03zu-value, set-%03zu-value "
					    "and job-conn-secret-%03zu-%%;\"x\n",
					    i, i, i, i ? i - 1 : 0, i % NBASE), 0);
	}
	ncuts = make_cuts(cuts, 8, t.len, &seed);
	before_full = mask_full_build_count(layered);
	before_all = mask_build_count(layered);
	expect_same(layered, full, 1, &t, cuts, ncuts, 0);
	/* one build per secret on each side; on the layered side only the
	 * fold was a full build */
	assert_true(mask_build_count(layered) - before_all >= NSET);
	assert_true(mask_full_build_count(layered) - before_full <= 4);
	assert_true(mask_full_build_count(full) >= NSET);
	buf_clear(&t);
	svc_masker_free(base);
	svc_masker_free(layered);
	svc_masker_free(full);
}

/* A clone's secrets are its own; its source's added later are not its. */
static void test_clone_independent(void **state)
{
	svc_masker_options o;
	svc_masker *base = NULL, *c = NULL, *d = NULL;
	char *out;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.version = SVC_MASKER_OPTIONS_VERSION;
	o.min_length = 6;
	assert_int_equal(svc_masker_new(&base, &o), 0);
	assert_int_equal(svc_masker_add(base, "base-secret-1", 13), 0);
	assert_int_equal(svc_masker_add(base, "abcde", 5), 0); /* too short */
	/* cloning compiles the source once; the clone builds nothing */
	assert_int_equal(mask_build_count(base), 0);
	assert_int_equal(svc_masker_clone(&c, base), 0);
	assert_int_equal(mask_build_count(base), 1);
	assert_int_equal(svc_masker_take_too_short(c), 1);
	assert_int_equal(svc_masker_patterns(c), svc_masker_patterns(base));
	out = mask_text(c, "x base-secret-1 y");
	assert_string_equal(out, "x *** y");
	free(out);
	assert_int_equal(mask_build_count(c), 0);
	/* the options go with it */
	assert_int_equal(svc_masker_add(c, "12345", 5), 0);
	assert_int_equal(svc_masker_too_short(c), 2);
	assert_int_equal(svc_masker_add(c, "clone-only-2", 12), 0);
	assert_int_equal(svc_masker_add(base, "base-only-3", 11), 0);
	out = mask_text(base, "base-secret-1 clone-only-2 base-only-3");
	assert_string_equal(out, "*** clone-only-2 ***");
	free(out);
	out = mask_text(c, "base-secret-1 clone-only-2 base-only-3");
	assert_string_equal(out, "*** *** base-only-3");
	free(out);
	/* a clone of a clone; the first two freed, it still masks all */
	assert_int_equal(svc_masker_clone(&d, c), 0);
	svc_masker_free(base);
	svc_masker_free(c);
	out = mask_text(d, "base-secret-1 clone-only-2 base-only-3");
	assert_string_equal(out, "*** *** base-only-3");
	free(out);
	svc_masker_free(d);
	assert_int_equal(svc_masker_clone(NULL, NULL), SVC_EINVALID);
}

/* Clones of one base made, used and freed on several threads at once. */
struct worker {
	svc_masker *base;       /**< shared */
	int id;                 /**< which thread */
	int ok;                 /**< every output right */
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	int i;

	w->ok = 1;
	for (i = 0; i < 25; i++) {
		svc_masker *c = NULL;
		char mine[64], text[200], want[200], *out = NULL;
		size_t len;

		snprintf(mine, sizeof(mine), "thread-%d-secret-%d", w->id, i);
		snprintf(text, sizeof(text), "%s | shared-base-secret | other",
			 mine);
		snprintf(want, sizeof(want), "*** | *** | other");
		if (svc_masker_clone(&c, w->base) ||
		    svc_masker_add(c, mine, strlen(mine)) ||
		    svc_masker_mask(&out, &len, c, text, strlen(text)) ||
		    strcmp(out, want) != 0)
			w->ok = 0;
		free(out);
		svc_masker_free(c);
	}
	return NULL;
}

static void test_clone_threads(void **state)
{
	enum { N = 4 };
	svc_masker *base = new_masker(MASK_LAYER_AUTO);
	struct worker w[N];
	pthread_t t[N];
	int i;

	(void)state;
	for (i = 0; i < 200; i++) {
		char v[64];

		snprintf(v, sizeof(v), "filler-secret-%04d", i);
		assert_int_equal(svc_masker_add(base, v, strlen(v)), 0);
	}
	assert_int_equal(svc_masker_add(base, "shared-base-secret", 18), 0);
	assert_int_equal(svc_masker_compile(base), 0);
	for (i = 0; i < N; i++) {
		w[i].base = base;
		w[i].id = i;
		assert_int_equal(pthread_create(&t[i], NULL, worker_main, &w[i]),
				 0);
	}
	for (i = 0; i < N; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_true(w[i].ok);
	}
	/* the base compiled once, shared by every clone */
	assert_int_equal(mask_build_count(base), 1);
	svc_masker_free(base);
}

/* An upper layer holds its secrets past the header, and is wiped. */
static void test_layer_wipe(void **state)
{
	svc_masker *m = new_masker(MASK_LAYER_ALWAYS);
	mask_db *db = NULL;
	size_t size = 0;
	const char *p;

	(void)state;
	assert_int_equal(svc_masker_add(m, "bottom-Secret-q81", 17), 0);
	assert_int_equal(svc_masker_compile(m), 0);
	assert_int_equal(svc_masker_add(m, "upper-Secret-z93", 16), 0);
	assert_int_equal(mask_db_acquire(m, &db), 0);
	assert_non_null(db->below);
	assert_int_equal(db->cmd_id, UINT_MAX);
	assert_int_equal(hs_database_size(db->hs, &size), HS_SUCCESS);
	p = (const char *)db->hs;
	assert_true(tu_memmem(p, size, "upper-Secret-z93", 16));
	assert_false(tu_memmem(p, size, "bottom-Secret-q81", 17));
	assert_false(tu_memmem(p, MASK_DB_HEADER + 15, "upper-Secret-z93", 16));
	mask_hs_wipe(db->hs);
	assert_false(tu_memmem(p, size, "upper-Secret-z93", 4));
	mask_db_release(m, db);
	svc_masker_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layered_against_full),
		cmocka_unit_test(test_layers_across_pieces),
		cmocka_unit_test(test_setsecret_between_lines),
		cmocka_unit_test(test_clone_independent),
		cmocka_unit_test(test_clone_threads),
		cmocka_unit_test(test_layer_wipe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
