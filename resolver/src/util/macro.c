/*
 * macro.c - $(name) macros expanded as the Azure Pipelines agent expands
 * them (see macro.h): the scanner, and a table of variables that expands
 * its own values through each other.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "svcconn/secret.h"
#include "errors_int.h"
#include "util/macro.h"

int macro_expand(svc_buf *out, const char *text, macro_lookup_fn lookup,
		 void *ctx, int *secret)
{
	const char *p = text ? text : "";
	int rc = 0;

	while (*p && !rc) {
		const char *s = strstr(p, "$("), *e, *v;
		int sec = 0;

		e = s ? strchr(s + 2, ')') : NULL;
		if (!e)
			return buf_puts(out, p);
		v = e > s + 2 ? lookup(ctx, s + 2, (size_t)(e - s - 2), &sec) : NULL;
		if (!v) {
			/* unknown: as written, and the scan goes on after "$" */
			rc = buf_put(out, p, (size_t)(s + 1 - p));
			p = s + 1;
			continue;
		}
		if (secret && sec)
			*secret = 1;
		if (!(rc = buf_put(out, p, (size_t)(s - p))))
			rc = buf_puts(out, v);
		p = e + 1; /* never into the value put in */
	}
	return rc;
}

void macro_dict_clear(macro_dict *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		free(d->v[i].name);
		svc_secret_free(d->v[i].raw, (size_t)-1);
		svc_secret_free(d->v[i].value, (size_t)-1);
	}
	free(d->v);
	free(d->sorted);
	d->v = NULL;
	d->sorted = NULL;
	d->n = 0;
}

/* name (len bytes) against s, without case, in strcasecmp's order. */
static int name_cmp(const char *name, size_t len, const char *s)
{
	int r = strncasecmp(name, s, len);

	return r ? r : s[len] ? -1 : 0;
}

struct macro_var *macro_dict_find(const macro_dict *d, const char *name,
				  size_t len)
{
	size_t i, lo = 0, hi = d->n;

	if (!d->sorted) {
		for (i = 0; i < d->n; i++)
			if (!name_cmp(name, len, d->v[i].name))
				return &d->v[i];
		return NULL;
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = name_cmp(name, len, d->v[d->sorted[mid]].name);

		if (!r)
			return &d->v[d->sorted[mid]];
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* Sort d->sorted by name: a merge sort through tmp (n entries). */
static void sort_names(const macro_dict *d, size_t *tmp)
{
	size_t *a = d->sorted, *b = tmp, *t, w, i;

	for (w = 1; w < d->n; w *= 2) {
		for (i = 0; i < d->n; i += 2 * w) {
			size_t l = i, m = i + w < d->n ? i + w : d->n, r = m,
			       e = i + 2 * w < d->n ? i + 2 * w : d->n, k = i;

			while (l < m || r < e)
				b[k++] = r >= e || (l < m &&
					strcasecmp(d->v[a[l]].name, d->v[a[r]].name) <= 0)
					? a[l++] : a[r++];
		}
		t = a;
		a = b;
		b = t;
	}
	if (a != d->sorted)
		memcpy(d->sorted, a, d->n * sizeof(*a));
}

int macro_dict_set(macro_dict *d, const char *name, const char *value,
		   int secret)
{
	struct macro_var *x = macro_dict_find(d, name, strlen(name)), *n;
	char *copy = strdup(value ? value : "");
	size_t bytes;

	if (!copy)
		return error_oom();
	free(d->sorted); /* the next expansion sorts again */
	d->sorted = NULL;
	if (x) {
		svc_secret_free(x->raw, (size_t)-1);
		x->raw = copy;
		x->secret |= secret;
		return 0;
	}
	if (!size_mul_ok(&bytes, d->n + 1, sizeof(*n)) ||
	    !(n = realloc(d->v, bytes))) {
		svc_secret_free(copy, (size_t)-1);
		return error_oom();
	}
	d->v = n;
	x = &d->v[d->n];
	memset(x, 0, sizeof(*x));
	if (!(x->name = strdup(name))) {
		svc_secret_free(copy, (size_t)-1);
		return error_oom();
	}
	x->raw = copy;
	x->secret = secret;
	d->n++;
	return 0;
}

/* Expansion states of a variable. */
enum { TODO = 0, BUSY, DONE, KEPT };
/* How expanding one variable ended. */
enum { EXP_OK = 0, EXP_KEPT, EXP_DEEP };

/* What the expansion of one variable's value looks up. */
struct nest {
	macro_dict *d;     /**< the table */
	unsigned level;    /**< how deep the variable being expanded is */
	int status;        /**< EXP_*: the worst a nested one gave */
	unsigned depth;    /**< deepest nesting under it */
	int oom;           /**< out of memory */
};

static int expand_var(macro_dict *d, struct macro_var *x, unsigned level);

/* The lookup of a nested variable: expanded first. */
static const char *nested(void *ctx, const char *name, size_t len,
			  int *secret)
{
	struct nest *n = ctx;
	struct macro_var *y;
	const char *v;
	int r;

	if (n->d->fixed && (v = n->d->fixed(n->d->fixed_ctx, name, len, secret)))
		return v;
	if (!(y = macro_dict_find(n->d, name, len)))
		return NULL;
	if (y->state == BUSY) {
		n->status = n->status == EXP_DEEP ? EXP_DEEP : EXP_KEPT;
		return NULL; /* a cycle */
	}
	if (y->state == TODO) {
		r = expand_var(n->d, y, n->level + 1);
		if (r < 0) {
			n->oom = 1;
			return NULL;
		}
		if (r == EXP_DEEP) {
			n->status = EXP_DEEP;
			return NULL;
		}
	}
	if (y->state == KEPT) {
		if (n->status == EXP_OK)
			n->status = EXP_KEPT;
		return NULL;
	}
	if (y->depth + 1 > n->depth)
		n->depth = y->depth + 1;
	*secret = y->secret;
	return y->value;
}

/*
 * Expand x through the table at nesting level: EXP_OK (x->value set),
 * EXP_KEPT (x stays as written for good), EXP_DEEP (too deep from where it
 * was reached: to do again from the top), or an error code.
 */
static int expand_var(macro_dict *d, struct macro_var *x, unsigned level)
{
	struct nest n = { d, level, EXP_OK, 0, 0 };
	svc_buf b;
	int rc, secret = 0;

	if (level >= MACRO_MAX_DEPTH)
		return EXP_DEEP;
	x->state = BUSY;
	buf_init(&b, MACRO_MAX_VALUE, 1);
	rc = macro_expand(&b, x->raw, nested, &n, &secret);
	if (n.oom) {
		buf_clear(&b);
		x->state = TODO;
		return error_oom();
	}
	if (rc == SVC_EINVALID) {
		svc_error_clear();
		n.status = EXP_KEPT; /* too long */
	} else if (rc) {
		buf_clear(&b);
		x->state = TODO;
		return rc;
	}
	if (n.status == EXP_OK && n.depth >= MACRO_MAX_DEPTH)
		n.status = EXP_KEPT;
	if (n.status == EXP_DEEP && level > 0) {
		buf_clear(&b);
		x->state = TODO; /* decided from the top */
		return EXP_DEEP;
	}
	if (n.status != EXP_OK) {
		buf_clear(&b);
		x->state = KEPT;
		return EXP_KEPT;
	}
	if (!(x->value = buf_detach(&b, NULL))) {
		x->state = TODO;
		return error_oom();
	}
	x->secret |= secret;
	x->depth = n.depth;
	x->state = DONE;
	return EXP_OK;
}

int macro_dict_expand(macro_dict *d)
{
	size_t i, *tmp;
	int rc;

	free(d->sorted);
	d->sorted = calloc(d->n + 1, sizeof(*d->sorted));
	tmp = calloc(d->n + 1, sizeof(*tmp));
	if (!d->sorted || !tmp) {
		free(d->sorted);
		free(tmp);
		d->sorted = NULL;
		return error_oom();
	}
	for (i = 0; i < d->n; i++) {
		svc_secret_free(d->v[i].value, (size_t)-1);
		d->v[i].value = NULL;
		d->v[i].state = TODO;
		d->v[i].depth = 0;
		d->sorted[i] = i;
	}
	sort_names(d, tmp);
	free(tmp);
	for (i = 0; i < d->n; i++)
		if (d->v[i].state == TODO &&
		    (rc = expand_var(d, &d->v[i], 0)) < 0)
			return rc;
	return 0;
}

const char *macro_dict_lookup(void *ctx, const char *name, size_t len,
			      int *secret)
{
	const macro_dict *d = ctx;
	const struct macro_var *x;
	const char *v;

	if (d->fixed && (v = d->fixed(d->fixed_ctx, name, len, secret)))
		return v;
	if (!(x = macro_dict_find(d, name, len)))
		return NULL;
	*secret = x->secret;
	return x->value ? x->value : x->raw;
}
