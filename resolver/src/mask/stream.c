/*
 * stream.c - masking one output as it comes, and the logging commands in it.
 *
 * The algorithm.  What must be replaced is the union of the occurrences of
 * all patterns: every byte covered by at least one match is masked, and
 * each maximal run of masked bytes (overlapping or touching matches merged)
 * becomes one "***".  That is leftmost-longest replacement with overlaps
 * merged, and it does not depend on the order matches are found in.  The
 * patterns are literals, so a match's start is its end minus its length:
 * Vectorscan reports ends (in ascending order for literal databases), and
 * the spans are merged on a stack as they arrive (an out-of-order one
 * falls back to sort and merge).  A database may be a stack of layers
 * (mask.c): the window is scanned with each in turn into the same spans,
 * so the union, and the output, is that of one database of them all.
 *
 * Streaming.  Each write is cut in pieces of MASK_CHUNK bytes.  The stream
 * keeps a window: some context (bytes already written), then the bytes held
 * back; a piece is scanned together with the window, as two segments of a
 * vectored scan, so the piece itself is not copied.  With L the longest
 * pattern, a match that ends past the data seen so far starts after n-L, so
 * every byte before n-(L-1) is settled; when no pattern holds a newline,
 * so is every byte up to the last newline.  Settled bytes are written;
 * the rest (at most L-1 bytes, or the last partial line) is kept, with up
 * to L-1 bytes of context before it, so that a match straddling the write
 * point is found again and its remainder masked.  Whether the last byte
 * written was masked is remembered, so that a run continuing across two
 * writes still gives one "***".
 *
 * Commands.  A stream that reads logging commands writes whole lines only
 * (a line longer than max_line is written in settled pieces and never read
 * as a command).  The "##vso[" pattern is part of the same database, so
 * command lines are found by the same scan; text between them goes out in
 * large pieces.  A handled command's line is not written.  When handling it
 * added a secret, the rest of the window is scanned again with the new
 * database before anything after the command is written.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "svcconn/errors.h"
#include "svcconn/secret.h"
#include "errors_int.h"
#include "mask/mask_int.h"

#define NONE ((size_t)-1)

/* What handling a line decided. */
enum { LINE_PASS = 0, LINE_CONSUMED = 1 };

/* One masked span [s, e) of the window. */
struct span {
	size_t s;               /**< first masked byte */
	size_t e;               /**< one past the last */
};

/* The results of one scan. */
struct scan {
	svc_buf spans;          /**< struct span, merged and sorted */
	size_t nspans;          /**< entries in spans */
	svc_buf hits;           /**< size_t positions of "##vso[" */
	size_t nhits;           /**< entries in hits */
	int spans_unsorted;     /**< a match arrived out of order */
	int hits_unsorted;      /**< likewise for hits */
	int want_hits;          /**< record "##vso[" positions */
	const mask_db *db;      /**< the layer being scanned with */
	int rc;                 /**< an append failed: its code */
};

/* The window as two segments: held bytes, then the new piece. */
struct vwin {
	const char *a;          /**< the stream's window buffer */
	size_t alen;            /**< its length */
	const char *b;          /**< the piece being written */
	size_t blen;            /**< its length */
	size_t n;               /**< alen + blen */
};

struct svc_mask_stream {
	svc_masker *m;          /**< the shared pattern set */
	mask_db *db;            /**< database of the last scan (a reference) */
	hs_scratch_t *scratch;  /**< Vectorscan scratch space for db */
	int commands;           /**< read logging commands */
	svc_mask_write_fn write; /**< where masked output goes */
	void *write_ctx;        /**< passed to write */
	svc_mask_event_fn event; /**< handled commands, or NULL */
	void *event_ctx;        /**< passed to event */
	int public_variables;   /**< report non-secret task.setvariable */
	svc_buf win;            /**< secret: context, then held-back bytes */
	size_t ctx;             /**< bytes of win already written */
	int in_mask;            /**< the last byte written was masked */
	int long_line;          /**< inside a line longer than max_line */
	int broken;             /**< a write failed: no more output */
	struct scan sc;         /**< the window's scan */
	struct scan aux;        /**< the scan of a warning line */
	logcmd cmd;             /**< the command being handled */
	svc_buf line;           /**< secret: a command line, copied out */
	svc_buf warn;           /**< secret: the warning being written */
};

/* ---- the window ---- */

/* First c in [from, to), or NONE. */
static size_t v_memchr(const struct vwin *v, size_t from, size_t to, char c)
{
	const char *q;

	if (from >= to)
		return NONE;
	if (from < v->alen) {
		size_t stop = to < v->alen ? to : v->alen;

		q = memchr(v->a + from, c, stop - from);
		if (q)
			return (size_t)(q - v->a);
		from = stop;
	}
	if (from >= to)
		return NONE;
	q = memchr(v->b + (from - v->alen), c, to - from);
	return q ? (size_t)(q - v->b) + v->alen : NONE;
}

/* Last c in [from, to), or NONE. */
static size_t v_memrchr(const struct vwin *v, size_t from, size_t to, char c)
{
	const char *q;

	if (from >= to)
		return NONE;
	if (to > v->alen) {
		size_t start = from > v->alen ? from : v->alen;

		q = memrchr(v->b + (start - v->alen), c, to - start);
		if (q)
			return (size_t)(q - v->b) + v->alen;
		to = start;
	}
	if (from >= to)
		return NONE;
	q = memrchr(v->a + from, c, to - from);
	return q ? (size_t)(q - v->a) : NONE;
}

/* Append [from, to) of the window to out. */
static int v_copy(svc_buf *out, const struct vwin *v, size_t from, size_t to)
{
	int rc = 0;

	if (from < v->alen) {
		size_t stop = to < v->alen ? to : v->alen;

		rc = buf_put(out, v->a + from, stop - from);
		from = stop;
	}
	if (rc == 0 && from < to)
		rc = buf_put(out, v->b + (from - v->alen), to - from);
	return rc;
}

/* ---- output ---- */

static int out_write(svc_mask_stream *s, const char *p, size_t n)
{
	int rc;

	if (!n)
		return 0;
	if (s->broken)
		return error_set(SVC_ERROR, "masked output failed earlier");
	rc = s->write(s->write_ctx, p, n);
	if (rc) {
		s->broken = 1;
		return rc < 0 ? rc : error_set(SVC_ERROR,
					       "cannot write masked output");
	}
	return 0;
}

/* Write the unmasked bytes [from, to) of the window. */
static int out_raw(svc_mask_stream *s, const struct vwin *v, size_t from,
		   size_t to)
{
	int rc = 0;

	if (from >= to)
		return 0;
	s->in_mask = 0;
	if (from < v->alen) {
		size_t stop = to < v->alen ? to : v->alen;

		rc = out_write(s, v->a + from, stop - from);
		from = stop;
	}
	if (rc == 0 && from < to)
		rc = out_write(s, v->b + (from - v->alen), to - from);
	return rc;
}

/*
 * Write [a, b) of the window with the spans of sc masked; *si is the first
 * span that may still matter (spans are sorted, regions come in order).
 */
static int emit(svc_mask_stream *s, const struct scan *sc,
		const struct vwin *v, size_t a, size_t b, size_t *si)
{
	const struct span *sp = (const struct span *)sc->spans.ptr;
	size_t cur = a, i;
	int rc = 0;

	if (a >= b)
		return 0;
	while (*si < sc->nspans && sp[*si].e <= a)
		(*si)++;
	for (i = *si; i < sc->nspans && sp[i].s < b && rc == 0; i++) {
		size_t ms = sp[i].s > a ? sp[i].s : a;
		size_t me = sp[i].e < b ? sp[i].e : b;

		if (ms > cur)
			rc = out_raw(s, v, cur, ms);
		/* a run that goes on from the last byte written: no new mask */
		if (rc == 0 && !(s->in_mask && ms == a))
			rc = out_write(s, SVC_MASK_REPLACEMENT,
				       sizeof(SVC_MASK_REPLACEMENT) - 1);
		s->in_mask = 1;
		cur = me;
	}
	if (rc == 0 && cur < b)
		rc = out_raw(s, v, cur, b);
	while (*si < sc->nspans && sp[*si].e <= b)
		(*si)++;
	return rc;
}

/* ---- scanning ---- */

static int span_append(struct scan *sc, size_t s, size_t e)
{
	struct span x;
	int rc;

	x.s = s;
	x.e = e;
	rc = buf_put(&sc->spans, &x, sizeof(x));
	if (rc == 0)
		sc->nspans++;
	return rc;
}

static int on_match(unsigned int id, unsigned long long from,
		    unsigned long long to, unsigned int flags, void *ctx)
{
	struct scan *sc = ctx;
	struct span *sp;
	size_t s, e = (size_t)to, n;

	(void)from;
	(void)flags;
	if (id == sc->db->cmd_id) {
		size_t pos = e - LOGCMD_PREFIX_LEN;

		if (!sc->want_hits)
			return 0;
		if (sc->nhits &&
		    ((const size_t *)sc->hits.ptr)[sc->nhits - 1] > pos)
			sc->hits_unsorted = 1;
		sc->rc = buf_put(&sc->hits, &pos, sizeof(pos));
		if (sc->rc)
			return 1;
		sc->nhits++;
		return 0;
	}
	s = e - sc->db->lens[id];
	n = sc->nspans;
	sp = (struct span *)sc->spans.ptr;
	if (n && !sc->spans_unsorted && e < sp[n - 1].s)
		sc->spans_unsorted = 1;
	if (n && !sc->spans_unsorted) {
		/* ends ascend: merge with the spans this one touches */
		while (n && s <= sp[n - 1].e) {
			if (sp[n - 1].s < s)
				s = sp[n - 1].s;
			if (sp[n - 1].e > e)
				e = sp[n - 1].e;
			n--;
		}
		sc->nspans = n;
		sc->spans.len = n * sizeof(struct span);
	}
	sc->rc = span_append(sc, s, e);
	return sc->rc ? 1 : 0;
}

static int span_cmp(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	return x->s < y->s ? -1 : x->s > y->s;
}

static int size_cmp(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

/* Sort and merge spans that came out of order. */
static void spans_normalize(struct scan *sc)
{
	struct span *sp = (struct span *)sc->spans.ptr;
	size_t i, k = 0;

	qsort(sp, sc->nspans, sizeof(*sp), span_cmp);
	for (i = 0; i < sc->nspans; i++) {
		if (k && sp[i].s <= sp[k - 1].e) {
			if (sp[i].e > sp[k - 1].e)
				sp[k - 1].e = sp[i].e;
		} else {
			sp[k++] = sp[i];
		}
	}
	sc->nspans = k;
	sc->spans.len = k * sizeof(*sp);
}

/*
 * Scan the whole window with every layer of the stream's database into
 * sc.  The matches of a layer come after those of the layer above, out of
 * order: on_match() merges what it can and normalizing does the rest.
 */
static int scan(svc_mask_stream *s, struct scan *sc, const struct vwin *v)
{
	const char *data[2];
	unsigned int len[2], count = 0;
	const mask_db *d;
	hs_error_t err = HS_SUCCESS;

	sc->nspans = 0;
	sc->spans.len = 0;
	sc->nhits = 0;
	sc->hits.len = 0;
	sc->spans_unsorted = 0;
	sc->hits_unsorted = 0;
	sc->rc = 0;
	if (v->alen) {
		data[count] = v->a;
		len[count++] = (unsigned int)v->alen;
	}
	if (v->blen) {
		data[count] = v->b;
		len[count++] = (unsigned int)v->blen;
	}
	if (!count)
		return 0;
	for (d = s->db; d && err == HS_SUCCESS && !sc->rc; d = d->below) {
		sc->db = d;
		if (d->hs)
			err = hs_scan_vector(d->hs, data, len, count, 0,
					     s->scratch, on_match, sc);
	}
	if (sc->rc)
		return sc->rc;
	if (err != HS_SUCCESS)
		return error_set(SVC_ERROR, "masking scan failed (error %d)",
				 (int)err);
	if (sc->spans_unsorted)
		spans_normalize(sc);
	if (sc->hits_unsorted)
		qsort(sc->hits.ptr, sc->nhits, sizeof(size_t), size_cmp);
	return 0;
}

/* Make sure the stream scans with the masker's current database. */
static int refresh_db(svc_mask_stream *s)
{
	mask_db *db;
	const mask_db *d;
	int rc = mask_db_acquire(s->m, &db);

	if (rc)
		return rc;
	if (db == s->db) {
		mask_db_release(s->m, db);
		return 0;
	}
	/* one scratch, grown to fit every layer */
	for (d = db; d; d = d->below)
		if (d->hs && hs_alloc_scratch(d->hs, &s->scratch) != HS_SUCCESS) {
			mask_db_release(s->m, db);
			return error_set(SVC_ERROR,
					 "cannot allocate masking scratch");
		}
	mask_db_release(s->m, s->db);
	s->db = db;
	return 0;
}

/* ---- warnings ---- */

/* Write a warning line, control characters replaced, masked. */
static int warnf(svc_mask_stream *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int warnf(svc_mask_stream *s, const char *fmt, ...)
{
	struct vwin v;
	va_list ap;
	size_t i, si = 0;
	int rc;

	buf_reset(&s->warn);
	rc = buf_puts(&s->warn, "##[warning]svcconn: ");
	if (rc == 0) {
		va_start(ap, fmt);
		rc = buf_vprintf(&s->warn, fmt, ap);
		va_end(ap);
	}
	if (rc == 0)
		rc = buf_putc(&s->warn, '\n');
	if (rc == 0)
		rc = refresh_db(s);
	if (rc)
		return rc;
	for (i = 0; i + 1 < s->warn.len; i++)
		if ((unsigned char)s->warn.ptr[i] < 0x20 ||
		    s->warn.ptr[i] == 0x7f)
			s->warn.ptr[i] = '?';
	v.a = s->warn.ptr;
	v.alen = s->warn.len;
	v.b = NULL;
	v.blen = 0;
	v.n = v.alen;
	s->in_mask = 0;
	rc = scan(s, &s->aux, &v);
	if (rc == 0)
		rc = emit(s, &s->aux, &v, 0, v.n, &si);
	s->in_mask = 0;
	buf_reset(&s->warn);
	return rc;
}

/* ---- commands ---- */

/* The property key of the command, read as logcmd_is_true(). */
static int prop_true(const logcmd *c, const char *key)
{
	size_t len = 0;
	const char *v = logcmd_prop_get(c, key, &len);

	return v && logcmd_is_true(v, len);
}

static int is_guid(const char *v)
{
	size_t i;

	for (i = 0; i < 36; i++) {
		char c = v[i];

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return 0;
		} else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
			     (c >= 'A' && c <= 'F'))) {
			return 0;
		}
	}
	return v[36] == '\0';
}

/* scheme://authority... with no space or control character. */
static int is_absolute_url(const char *v, size_t len)
{
	size_t i = 0;

	if (!len || !((v[0] >= 'a' && v[0] <= 'z') ||
		      (v[0] >= 'A' && v[0] <= 'Z')))
		return 0;
	while (i < len && ((v[i] >= 'a' && v[i] <= 'z') ||
			   (v[i] >= 'A' && v[i] <= 'Z') ||
			   (v[i] >= '0' && v[i] <= '9') || v[i] == '+' ||
			   v[i] == '-' || v[i] == '.'))
		i++;
	if (len - i < 4 || memcmp(v + i, "://", 3) != 0 ||
	    strchr("/?#", v[i + 3]))
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)v[i] <= 0x20 || v[i] == 0x7f)
			return 0;
	return 1;
}

/* Register a value read from a command; 0, or an error to fail on. */
static int add_value(svc_mask_stream *s, const char *v, size_t len,
		     int *too_short, const char *what)
{
	int rc;

	*too_short = 0;
	if (!len)
		return 0;
	rc = mask_add(s->m, v, len, too_short);
	if (rc == SVC_EINVALID)
		return warnf(s, "%s: value not masked: %s", what,
			     svc_error_last());
	return rc;
}

static int report(svc_mask_stream *s, const svc_mask_event *ev)
{
	return s->event ? s->event(s->event_ctx, ev) : 0;
}

/*
 * task.complete, task.logissue and every other command but the three
 * handled here: reported (with the property key's value, or "" when it is
 * missing or longer than 63 bytes, as the event's name; with key NULL the
 * command's lower-case "area.event"), and passed through for the agent
 * unless the event function acted on it (SVC_MASK_EVENT_HANDLED).
 */
static int cmd_report(svc_mask_stream *s, svc_mask_event_kind kind,
		      const char *key)
{
	svc_mask_event ev;
	char prop[128];
	size_t len = 0, dlen = 0, i;
	const char *v = key ? logcmd_prop_get(&s->cmd, key, &len) : NULL;
	int rc;

	prop[0] = '\0';
	if (!key) {
		logcmd_name(&s->cmd, prop, sizeof(prop));
		for (i = 0; prop[i]; i++)
			if (prop[i] >= 'A' && prop[i] <= 'Z')
				prop[i] = (char)(prop[i] - 'A' + 'a');
	} else if (v && len < 64) {
		memcpy(prop, v, len);
		prop[len] = '\0';
	}
	memset(&ev, 0, sizeof(ev));
	ev.kind = kind;
	ev.name = prop;
	ev.value = logcmd_data(&s->cmd, &dlen);
	if (!ev.value) {
		ev.value = "";
		dlen = 0;
	}
	ev.value_len = dlen;
	ev.cmd = &s->cmd;
	rc = report(s, &ev); /* nothing to refuse: acted on, or passed on */
	svc_error_clear();
	return rc == SVC_MASK_EVENT_HANDLED ? LINE_CONSUMED : LINE_PASS;
}

const char *svc_mask_event_prop(const svc_mask_event *ev, const char *key,
				size_t *len)
{
	if (!ev || !ev->cmd || !key)
		return NULL;
	return logcmd_prop_get(ev->cmd, key, len);
}

static int cmd_setsecret(svc_mask_stream *s)
{
	svc_mask_event ev;
	size_t len;
	const char *v = logcmd_data(&s->cmd, &len);
	int rc, too_short;

	if (!len)
		return LINE_CONSUMED;
	if ((rc = add_value(s, v, len, &too_short, "task.setsecret")) != 0)
		return rc;
	memset(&ev, 0, sizeof(ev));
	ev.kind = SVC_MASK_EVENT_SETSECRET;
	ev.value = v;
	ev.value_len = len;
	ev.too_short = too_short;
	(void)report(s, &ev);
	return LINE_CONSUMED;
}

/*
 * task.setvariable without issecret: reported only when the stream was
 * asked to (public_variables), and passed through for the agent unless
 * the caller, acting as the agent, answers SVC_MASK_EVENT_HANDLED.
 */
static int cmd_setvariable_public(svc_mask_stream *s, const char *name,
				  size_t nlen, const char *v, size_t len)
{
	svc_mask_event ev;
	int rc, too_short;

	if (!s->public_variables || !name || !nlen)
		return LINE_PASS;
	memset(&ev, 0, sizeof(ev));
	ev.kind = SVC_MASK_EVENT_SETVARIABLE;
	ev.name = name;
	ev.value = v;
	ev.value_len = len;
	ev.is_output = prop_true(&s->cmd, "isoutput");
	ev.is_readonly = prop_true(&s->cmd, "isreadonly");
	rc = report(s, &ev);
	if (rc < 0) {
		rc = warnf(s, "task.setvariable: '%.*s' refused: %s",
			   (int)(nlen > 200 ? 200 : nlen), name,
			   svc_error_last());
		return rc ? rc : LINE_CONSUMED;
	}
	if (rc == SVC_MASK_EVENT_SECRET) {
		/* a secret variable set again: its value is a secret too,
		 * masked from this line on, which is not written */
		if ((rc = add_value(s, v, len, &too_short,
				    "task.setvariable")) != 0)
			return rc;
		return LINE_CONSUMED;
	}
	/* the caller is the agent and kept it: the line is not written */
	return rc == SVC_MASK_EVENT_HANDLED ? LINE_CONSUMED : LINE_PASS;
}

static int cmd_setvariable(svc_mask_stream *s)
{
	svc_mask_event ev;
	size_t len, nlen = 0;
	const char *v = logcmd_data(&s->cmd, &len);
	const char *name = logcmd_prop_get(&s->cmd, "variable", &nlen);
	int rc, too_short;

	if (!prop_true(&s->cmd, "issecret"))
		return cmd_setvariable_public(s, name, nlen, v, len);
	if ((rc = add_value(s, v, len, &too_short, "task.setvariable")) != 0)
		return rc;
	if (!name || !nlen) {
		rc = warnf(s, "task.setvariable: missing 'variable'");
	} else if (memchr(v, '\n', len) || memchr(v, '\r', len)) {
		rc = warnf(s, "task.setvariable: multi-line secret value of '%.*s' refused",
			   (int)(nlen > 200 ? 200 : nlen), name);
	} else {
		memset(&ev, 0, sizeof(ev));
		ev.kind = SVC_MASK_EVENT_SETVARIABLE;
		ev.name = name;
		ev.value = v;
		ev.value_len = len;
		ev.is_output = prop_true(&s->cmd, "isoutput");
		ev.is_readonly = prop_true(&s->cmd, "isreadonly");
		ev.too_short = too_short;
		ev.is_secret = 1;
		if (report(s, &ev) < 0)
			rc = warnf(s, "task.setvariable: '%.*s' refused: %s",
				   (int)(nlen > 200 ? 200 : nlen), name,
				   svc_error_last());
	}
	return rc ? rc : LINE_CONSUMED;
}

static int cmd_setendpoint(svc_mask_stream *s)
{
	svc_mask_event ev;
	size_t len, flen = 0;
	const char *v = logcmd_data(&s->cmd, &len);
	const char *id = logcmd_prop_get(&s->cmd, "id", NULL);
	const char *field = logcmd_prop_get(&s->cmd, "field", &flen);
	const char *key = logcmd_prop_get(&s->cmd, "key", NULL);
	svc_mask_endpoint_field kind = SVC_MASK_FIELD_AUTH;
	int rc = 0, too_short = 0, known = 1;

	if (field && strcasecmp(field, "authParameter") == 0)
		kind = SVC_MASK_FIELD_AUTH;
	else if (field && strcasecmp(field, "dataParameter") == 0)
		kind = SVC_MASK_FIELD_DATA;
	else if (field && strcasecmp(field, "url") == 0)
		kind = SVC_MASK_FIELD_URL;
	else
		known = 0;
	/* an authorization parameter is a secret whatever happens next */
	if (known && kind == SVC_MASK_FIELD_AUTH &&
	    (rc = add_value(s, v, len, &too_short, "task.setendpoint")) != 0)
		return rc;
	if (!id)
		rc = warnf(s, "task.setendpoint: missing 'id'");
	else if (!is_guid(id))
		rc = warnf(s, "task.setendpoint: 'id' is not a connection id");
	else if (!field)
		rc = warnf(s, "task.setendpoint: missing 'field'");
	else if (!known)
		rc = warnf(s, "task.setendpoint: unknown field '%.*s'",
			   (int)(flen > 64 ? 64 : flen), field);
	else if (kind != SVC_MASK_FIELD_URL && (!key || !*key))
		rc = warnf(s, "task.setendpoint: missing 'key'");
	else if (!len)
		rc = warnf(s, "task.setendpoint: empty value");
	else if (kind == SVC_MASK_FIELD_URL && !is_absolute_url(v, len))
		rc = warnf(s, "task.setendpoint: 'url' is not an absolute URL");
	else {
		memset(&ev, 0, sizeof(ev));
		ev.kind = SVC_MASK_EVENT_SETENDPOINT;
		ev.id = id;
		ev.field = kind;
		ev.name = kind == SVC_MASK_FIELD_URL ? NULL : key;
		ev.value = v;
		ev.value_len = len;
		ev.too_short = too_short;
		if (report(s, &ev) < 0)
			rc = warnf(s, "task.setendpoint: refused: %s",
				   svc_error_last());
	}
	return rc ? rc : LINE_CONSUMED;
}

/* Handle the command on the line [ls, le) of the window. */
static int handle_line(svc_mask_stream *s, const struct vwin *v, size_t ls,
		       size_t le)
{
	int rc;

	buf_reset(&s->line);
	if ((rc = v_copy(&s->line, v, ls, le)) != 0)
		return rc;
	rc = logcmd_parse(&s->cmd, s->line.ptr, s->line.len);
	buf_reset(&s->line);
	if (rc == SVC_ENOTFOUND)
		return LINE_PASS;
	if (rc == SVC_EINVALID) {
		rc = warnf(s, "malformed logging command ignored: %s",
			   svc_error_last());
		return rc ? rc : LINE_CONSUMED;
	}
	if (rc)
		return rc;
	if (logcmd_is(&s->cmd, "task", "setsecret"))
		return cmd_setsecret(s);
	if (logcmd_is(&s->cmd, "task", "setvariable"))
		return cmd_setvariable(s);
	if (logcmd_is(&s->cmd, "task", "setendpoint"))
		return cmd_setendpoint(s);
	if (logcmd_is(&s->cmd, "task", "complete"))
		return cmd_report(s, SVC_MASK_EVENT_COMPLETE, "result");
	if (logcmd_is(&s->cmd, "task", "logissue") ||
	    logcmd_is(&s->cmd, "task", "issue"))
		return cmd_report(s, SVC_MASK_EVENT_ISSUE, "type");
	return cmd_report(s, SVC_MASK_EVENT_COMMAND, NULL);
}

/* ---- the window's life ---- */

/*
 * Keep [pos, n) of the window for later, with up to L-1 bytes of context
 * before it (none when noctx: after a line that was not written).
 */
static int compact(svc_mask_stream *s, const struct vwin *v, size_t pos,
		   int noctx)
{
	size_t hold = s->db->maxlen ? s->db->maxlen - 1 : 0, cs = pos;
	int rc = 0;

	if (!noctx) {
		cs = pos > hold ? pos - hold : 0;
		if (s->db->nl_safe) {
			size_t q = v_memrchr(v, cs, pos, '\n');

			if (q != NONE)
				cs = q + 1;
		}
	}
	if (cs < v->alen) {
		memmove(s->win.ptr, s->win.ptr + cs, v->alen - cs);
		s->win.len = v->alen - cs;
		s->win.ptr[s->win.len] = '\0';
		rc = buf_put(&s->win, v->b, v->blen);
	} else {
		s->win.len = 0;
		if (s->win.ptr)
			s->win.ptr[0] = '\0';
		if (v->n > cs)
			rc = buf_put(&s->win, v->b + (cs - v->alen), v->n - cs);
	}
	s->ctx = pos - cs;
	return rc;
}

/* The end of the settled bytes of [c, n) for a stream without commands. */
static size_t settled(const svc_mask_stream *s, const struct vwin *v,
		      size_t c, int final)
{
	size_t hold = s->db->maxlen ? s->db->maxlen - 1 : 0;
	size_t end = v->n > hold ? v->n - hold : 0;

	if (final)
		return v->n;
	if (s->db->nl_safe) {
		size_t q = v_memrchr(v, c, v->n, '\n');

		if (q != NONE && q + 1 > end)
			end = q + 1;
	}
	return end < c ? c : end;
}

/* Write the commands' lines and the text between them; see the top. */
static int process_commands(svc_mask_stream *s, const struct vwin *v,
			    int final, size_t *posp, int *rescan)
{
	size_t n = v->n, pos = *posp, si = 0, from = pos, stop = n, h;
	size_t hold = s->db->maxlen ? s->db->maxlen - 1 : 0;
	size_t sure = n > hold ? n - hold : 0;  /* settled without newlines */
	size_t max_line = mask_max_line(s->m), q, end;
	uint64_t gen = s->db->gen;
	const size_t *hits = (const size_t *)s->sc.hits.ptr;
	/* secrets added since the database was built: commands may still be
	 * read with it, but nothing is written before a rescan */
	int rc = 0, stale = mask_generation(s->m) != gen;

	if (s->db->nl_safe || final)
		sure = n;
	if (stale && (s->long_line || final)) {
		*rescan = 1;
		return 0;
	}
	if (s->long_line) {
		q = v_memchr(v, pos, n, '\n');
		if (q == NONE || q + 1 > sure) {
			end = final ? n : (sure > pos ? sure : pos);
			rc = emit(s, &s->sc, v, pos, end, &si);
			*posp = end;
			if (final)
				s->long_line = 0;
			return rc;
		}
		rc = emit(s, &s->sc, v, pos, q + 1, &si);
		pos = from = q + 1;
		s->long_line = 0;
	}
	for (h = 0; h < s->sc.nhits && rc == 0; h++) {
		size_t hp = hits[h], ls, le, next;

		if (hp < from)
			continue;
		q = v_memrchr(v, pos, hp, '\n');
		ls = q == NONE ? pos : q + 1;
		q = v_memchr(v, hp, n, '\n');
		if (q == NONE && !final) {
			stop = ls;      /* wait for the end of the line */
			break;
		}
		le = q == NONE ? n : q;
		next = q == NONE ? n : q + 1;
		if (next > sure) {
			stop = ls;      /* a secret may still span it */
			break;
		}
		from = next;
		if (le - ls > max_line)
			continue;       /* too long to be a command */
		if (stale && ls > pos)
			break;          /* text to write: rescan it first */
		if ((rc = emit(s, &s->sc, v, pos, ls, &si)) != 0)
			break;
		pos = ls;
		rc = handle_line(s, v, ls, le);
		if (rc < 0)
			break;
		if (rc == LINE_PASS) {
			rc = 0;
			if (stale)
				break;  /* a line to write: rescan it first */
			continue;
		}
		rc = 0;
		pos = next;
		s->in_mask = 0;
		/*
		 * New secrets need a new database before anything more is
		 * written; a run of command lines that are not written (a
		 * task registering many secrets) needs none between them,
		 * so the next database is built once, after the run.
		 */
		if (mask_generation(s->m) != gen) {
			stale = 1;
			if (h + 1 < s->sc.nhits && hits[h + 1] == pos)
				continue;
			break;
		}
	}
	if (rc)
		return rc;
	/* the complete, settled lines before stop */
	if (final && stop == n) {
		end = n;
	} else {
		size_t cap = stop < sure ? stop : sure;

		q = cap > pos ? v_memrchr(v, pos, cap, '\n') : NONE;
		end = q == NONE ? pos : q + 1;
	}
	/* something to write, or a long line to start: the new database
	 * first; nothing yet (the next command line is still coming): it
	 * can wait, and be built once after the run of commands */
	if (stale && (end > pos || final ||
		      (n - pos > max_line && v_memchr(v, pos, n, '\n') == NONE))) {
		*rescan = 1;
		*posp = pos;
		return 0;
	}
	if ((rc = emit(s, &s->sc, v, pos, end, &si)) != 0)
		return rc;
	pos = end;
	/* a partial line past the limit is no command: write it as it goes */
	if (!final && n - pos > max_line && v_memchr(v, pos, n, '\n') == NONE) {
		s->long_line = 1;
		end = n > hold ? n - hold : 0;
		if (end > pos) {
			rc = emit(s, &s->sc, v, pos, end, &si);
			pos = end;
		}
	}
	*posp = pos;
	return rc;
}

/* Filter one piece (or, with final, everything held). */
static int process(svc_mask_stream *s, const char *piece, size_t plen,
		   int final)
{
	struct vwin v;
	size_t pos, si = 0;
	int rc, rescan, fresh = !s->commands;

	for (;;) {
		/*
		 * A stream with commands may scan with a database older than
		 * the newest secrets: process_commands() writes nothing with
		 * it, and asks for a rescan, with the newest one, first.
		 */
		if ((fresh || !s->db) && (rc = refresh_db(s)) != 0)
			return rc;
		v.a = s->win.ptr;
		v.alen = s->win.len;
		v.b = piece;
		v.blen = plen;
		v.n = v.alen + v.blen;
		pos = s->ctx;
		rescan = 0;
		if (v.n == pos)
			return 0;
		s->sc.want_hits = s->commands;
		if ((rc = scan(s, &s->sc, &v)) != 0)
			return rc;
		if (!s->commands) {
			size_t end = settled(s, &v, pos, final);

			if ((rc = emit(s, &s->sc, &v, pos, end, &si)) != 0)
				return rc;
			pos = end;
		} else if ((rc = process_commands(s, &v, final, &pos,
						  &rescan)) != 0) {
			return rc;
		}
		if ((rc = compact(s, &v, pos, rescan)) != 0)
			return rc;
		if (!rescan)
			return 0;
		fresh = 1;
		piece = NULL;   /* what is left of it is in the window now */
		plen = 0;
	}
}

/* ---- the public side ---- */

int svc_mask_stream_new(svc_mask_stream **out, svc_masker *m,
			const svc_mask_stream_options *o)
{
	svc_mask_stream *s;

	if (!m || !o || !o->write)
		return error_set(SVC_EINVALID, "no masker or output for the stream");
	if (o->version != SVC_MASK_STREAM_OPTIONS_VERSION)
		return error_set(SVC_EINVALID,
				 "unknown mask stream options version %u",
				 o->version);
	s = calloc(1, sizeof(*s));
	if (!s)
		return error_oom();
	s->m = m;
	s->commands = o->commands != 0;
	s->write = o->write;
	s->write_ctx = o->write_ctx;
	s->event = o->event;
	s->event_ctx = o->event_ctx;
	s->public_variables = o->public_variables != 0;
	buf_init(&s->win, 0, 1);
	buf_init(&s->sc.spans, 0, 0);
	buf_init(&s->sc.hits, 0, 0);
	buf_init(&s->aux.spans, 0, 0);
	buf_init(&s->aux.hits, 0, 0);
	buf_init(&s->line, 0, 1);
	buf_init(&s->warn, 0, 1);
	logcmd_init(&s->cmd);
	*out = s;
	return 0;
}

void svc_mask_stream_free(svc_mask_stream *s)
{
	if (!s)
		return;
	buf_clear(&s->win);
	buf_clear(&s->sc.spans);
	buf_clear(&s->sc.hits);
	buf_clear(&s->aux.spans);
	buf_clear(&s->aux.hits);
	buf_clear(&s->line);
	buf_clear(&s->warn);
	logcmd_clear(&s->cmd);
	if (s->scratch)
		hs_free_scratch(s->scratch);
	mask_db_release(s->m, s->db);
	free(s);
}

int svc_mask_stream_write(svc_mask_stream *s, const void *data, size_t len)
{
	const char *p = data;
	int rc = 0;

	if (!s || (!data && len))
		return error_set(SVC_EINVALID, "no stream or data");
	if (s->broken)
		return error_set(SVC_ERROR, "masked output failed earlier");
	while (len && rc == 0) {
		size_t n = len < MASK_CHUNK ? len : MASK_CHUNK;

		rc = process(s, p, n, 0);
		p += n;
		len -= n;
	}
	return rc;
}

int svc_mask_stream_finish(svc_mask_stream *s)
{
	int rc;

	if (!s)
		return error_set(SVC_EINVALID, "no stream");
	if (s->broken)
		return error_set(SVC_ERROR, "masked output failed earlier");
	rc = process(s, NULL, 0, 1);
	buf_reset(&s->win);
	s->ctx = 0;
	s->in_mask = 0;
	s->long_line = 0;
	return rc;
}

size_t mask_stream_memory(const svc_mask_stream *s)
{
	return s->win.alloc + s->sc.spans.alloc + s->sc.hits.alloc +
	       s->aux.spans.alloc + s->aux.hits.alloc + s->line.alloc +
	       s->warn.alloc + s->cmd.text.alloc + s->cmd.props.alloc;
}

/* The one-shot masker's sink. */
static int to_buf(void *ctx, const char *data, size_t len)
{
	return buf_put(ctx, data, len);
}

int svc_masker_mask(char **out, size_t *outlen, svc_masker *m,
		    const void *text, size_t len)
{
	svc_mask_stream_options o;
	svc_mask_stream *s = NULL;
	svc_buf b;
	char *p;
	int rc;

	if (!out || !m || (!text && len))
		return error_set(SVC_EINVALID, "nothing to mask");
	memset(&o, 0, sizeof(o));
	o.version = SVC_MASK_STREAM_OPTIONS_VERSION;
	o.write = to_buf;
	o.write_ctx = &b;
	buf_init(&b, len + 64, 0);
	if ((rc = svc_mask_stream_new(&s, m, &o)) == 0 &&
	    (rc = svc_mask_stream_write(s, text, len)) == 0)
		rc = svc_mask_stream_finish(s);
	svc_mask_stream_free(s);
	if (rc) {
		buf_clear(&b);
		return rc;
	}
	p = buf_detach(&b, outlen);
	if (!p)
		return error_oom();
	*out = p;
	return 0;
}
