/*
 * yaml_doc.c - YAML text to a positioned tree, with limits for hostile input.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "svcconn/secret.h"
#include "errors_int.h"
#include "exchange/yaml_doc.h"
#include "util/buf.h"

/* One anchor seen so far. */
struct anchor {
	char *name;     /**< anchor name */
	ynode *node;    /**< anchored node */
	size_t weight;  /**< nodes in its subtree, aliases expanded */
};

/* Parser state. */
struct reader {
	yaml_parser_t parser;      /**< libyaml parser */
	ydoc *doc;                 /**< document being built */
	const ydoc_limits *lim;    /**< limits in force */
	svc_diags *diags;          /**< where the error goes */
	size_t nodes;              /**< nodes so far, aliases expanded */
	struct anchor *anchors;    /**< anchors so far */
	size_t nanchors;           /**< anchors used */
	size_t aanchors;           /**< anchors allocated */
	int failed;                /**< an error was reported */
};

static const ydoc_limits default_limits = {
	4u * 1024 * 1024, 64, 200000, 1024 * 1024
};

static int fail(struct reader *r, unsigned line, unsigned col,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int fail(struct reader *r, unsigned line, unsigned col,
		const char *fmt, ...)
{
	svc_buf msg = SVC_BUF_INIT;
	va_list ap;

	if (!r->failed) {
		va_start(ap, fmt);
		buf_vprintf(&msg, fmt, ap);
		va_end(ap);
		svc_diags_add(r->diags, r->doc->file, line, col,
			      SVC_SEV_ERROR, NULL, "%s",
			      msg.ptr ? msg.ptr : "invalid YAML");
		buf_clear(&msg);
	}
	r->failed = 1;
	return SVC_EINVALID;
}

static ynode *node_new(struct reader *r, ynode_kind kind,
		       const yaml_mark_t *m)
{
	ydoc *d = r->doc;
	ynode *n;

	if (d->nall == d->aall) {
		size_t na = d->aall ? d->aall * 2 : 64, bytes;
		void *p;

		if (!size_mul_ok(&bytes, na, sizeof(*d->all)) ||
		    !(p = realloc(d->all, bytes)))
			return NULL;
		d->all = p;
		d->aall = na;
	}
	n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->kind = kind;
	n->line = (unsigned)m->line + 1;
	n->column = (unsigned)m->column + 1;
	n->file = d->file;
	d->all[d->nall++] = n;
	return n;
}

static int push(ynode *parent, ynode *child)
{
	if (!child->parent) {
		/* an aliased node keeps its first place */
		child->parent = parent;
		child->index = parent->n;
	}
	if (parent->n == parent->alloc) {
		size_t na = parent->alloc ? parent->alloc * 2 : 8, bytes;
		void *p;

		if (!size_mul_ok(&bytes, na, sizeof(*parent->items)) ||
		    !(p = realloc(parent->items, bytes)))
			return error_oom();
		parent->items = p;
		parent->alloc = na;
	}
	parent->items[parent->n++] = child;
	return 0;
}

static int next_event(struct reader *r, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&r->parser, ev)) {
		const yaml_mark_t *m = r->parser.problem_mark.line ||
			r->parser.problem_mark.column ? &r->parser.problem_mark
						      : &r->parser.context_mark;
		char msg[256];

		snprintf(msg, sizeof(msg), "%s%s%s",
			 r->parser.problem ? r->parser.problem : "invalid YAML",
			 r->parser.context ? " " : "",
			 r->parser.context ? r->parser.context : "");
		return fail(r, (unsigned)m->line + 1, (unsigned)m->column + 1,
			    "invalid YAML: %s", msg);
	}
	return 0;
}

static void event_free(yaml_event_t *ev)
{
	if (ev->type == YAML_SCALAR_EVENT && ev->data.scalar.value)
		svc_wipe(ev->data.scalar.value, ev->data.scalar.length);
	yaml_event_delete(ev);
}

static int add_anchor(struct reader *r, const char *name, ynode *n,
		      size_t weight)
{
	if (r->nanchors == r->aanchors) {
		size_t na = r->aanchors ? r->aanchors * 2 : 8, bytes;
		void *p;

		if (!size_mul_ok(&bytes, na, sizeof(*r->anchors)) ||
		    !(p = realloc(r->anchors, bytes)))
			return error_oom();
		r->anchors = p;
		r->aanchors = na;
	}
	r->anchors[r->nanchors].name = strdup(name);
	if (!r->anchors[r->nanchors].name)
		return error_oom();
	r->anchors[r->nanchors].node = n;
	r->anchors[r->nanchors].weight = weight;
	r->nanchors++;
	return 0;
}

static int count(struct reader *r, size_t w, const yaml_mark_t *m)
{
	if (w > r->lim->max_nodes || r->nodes > r->lim->max_nodes - w)
		return fail(r, (unsigned)m->line + 1, (unsigned)m->column + 1,
			    "document too large: more than %zu nodes (aliases expanded)",
			    r->lim->max_nodes);
	r->nodes += w;
	return 0;
}

/*
 * Parse one node starting with event ev (consumed).  *weight receives the
 * node count of the subtree with aliases expanded.
 */
static int parse_node(struct reader *r, yaml_event_t *ev, ynode **out,
		      size_t *weight, unsigned depth)
{
	yaml_event_t sub;
	ynode *n = NULL;
	size_t w = 1, cw;
	int rc = 0;
	yaml_char_t *anchor = NULL;

	if (depth > r->lim->max_depth)
		return fail(r, (unsigned)ev->start_mark.line + 1,
			    (unsigned)ev->start_mark.column + 1,
			    "nesting deeper than %u levels", r->lim->max_depth);
	switch (ev->type) {
	case YAML_ALIAS_EVENT: {
		size_t i;

		if (r->lim->no_anchors)
			return fail(r, (unsigned)ev->start_mark.line + 1,
				    (unsigned)ev->start_mark.column + 1,
				    "anchors are not supported");

		for (i = r->nanchors; i > 0; i--)
			if (strcmp(r->anchors[i - 1].name,
				   (const char *)ev->data.alias.anchor) == 0)
				break;
		if (i == 0)
			return fail(r, (unsigned)ev->start_mark.line + 1,
				    (unsigned)ev->start_mark.column + 1,
				    "unknown alias '%s'",
				    (const char *)ev->data.alias.anchor);
		if ((rc = count(r, r->anchors[i - 1].weight, &ev->start_mark)))
			return rc;
		*out = r->anchors[i - 1].node;
		*weight = r->anchors[i - 1].weight;
		return 0;
	}
	case YAML_SCALAR_EVENT:
		if (ev->data.scalar.length > r->lim->max_scalar)
			return fail(r, (unsigned)ev->start_mark.line + 1,
				    (unsigned)ev->start_mark.column + 1,
				    "scalar longer than %zu bytes", r->lim->max_scalar);
		if ((rc = count(r, 1, &ev->start_mark)))
			return rc;
		n = node_new(r, YNODE_SCALAR, &ev->start_mark);
		if (!n)
			return error_oom();
		n->scalar = malloc(ev->data.scalar.length + 1);
		if (!n->scalar)
			return error_oom();
		memcpy(n->scalar, ev->data.scalar.value, ev->data.scalar.length);
		n->scalar[ev->data.scalar.length] = '\0';
		n->len = ev->data.scalar.length;
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		anchor = ev->data.scalar.anchor;
		break;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT: {
		int is_map = ev->type == YAML_MAPPING_START_EVENT;
		yaml_event_type_t end = is_map ? YAML_MAPPING_END_EVENT
					       : YAML_SEQUENCE_END_EVENT;

		if ((rc = count(r, 1, &ev->start_mark)))
			return rc;
		n = node_new(r, is_map ? YNODE_MAP : YNODE_SEQ,
			     &ev->start_mark);
		if (!n)
			return error_oom();
		anchor = is_map ? ev->data.mapping_start.anchor
				: ev->data.sequence_start.anchor;
		for (;;) {
			ynode *child = NULL;

			cw = 0;
			if ((rc = next_event(r, &sub)))
				return rc;
			if (sub.type == end) {
				event_free(&sub);
				break;
			}
			rc = parse_node(r, &sub, &child, &cw, depth + 1);
			event_free(&sub);
			if (rc)
				return rc;
			w += cw;
			if (is_map && n->n % 2 == 0) {
				if (child->kind != YNODE_SCALAR)
					return fail(r, child->line,
						    child->column,
						    "mapping keys must be scalars");
				if (ynode_key(n, child->scalar))
					return fail(r, child->line,
						    child->column,
						    "duplicate key '%s'",
						    child->scalar);
			}
			if ((rc = push(n, child)))
				return rc;
		}
		break;
	}
	default:
		return fail(r, (unsigned)ev->start_mark.line + 1,
			    (unsigned)ev->start_mark.column + 1,
			    "unexpected YAML event");
	}
	if (anchor && r->lim->no_anchors)
		return fail(r, (unsigned)ev->start_mark.line + 1,
			    (unsigned)ev->start_mark.column + 1,
			    "anchors are not supported");
	if (anchor && (rc = add_anchor(r, (const char *)anchor, n, w)))
		return rc;
	*out = n;
	*weight = w;
	return 0;
}

int ydoc_parse(ydoc **out, const char *file, const char *text, size_t len,
	       const ydoc_limits *limits, svc_diags *diags)
{
	struct reader r;
	yaml_event_t ev;
	size_t w, i;
	int rc = 0, docs = 0;

	memset(&r, 0, sizeof(r));
	r.lim = limits ? limits : &default_limits;
	r.diags = diags;
	r.doc = calloc(1, sizeof(*r.doc));
	if (!r.doc || !(r.doc->file = strdup(file ? file : "<input>"))) {
		free(r.doc);
		return error_oom();
	}
	if (len > r.lim->max_bytes) {
		fail(&r, 0, 0, "file is larger than %zu bytes", r.lim->max_bytes);
		ydoc_free(r.doc);
		return SVC_EINVALID;
	}
	if (memchr(text, '\0', len)) {
		const char *z = memchr(text, '\0', len);
		unsigned line = 1;

		for (const char *p = text; p < z; p++)
			line += *p == '\n';
		fail(&r, line, 0, "binary data (a NUL byte) in YAML input");
		ydoc_free(r.doc);
		return SVC_EINVALID;
	}
	if (!yaml_parser_initialize(&r.parser)) {
		ydoc_free(r.doc);
		return error_oom();
	}
	yaml_parser_set_input_string(&r.parser, (const unsigned char *)text,
				     len);
	yaml_parser_set_encoding(&r.parser, YAML_UTF8_ENCODING);
	for (;;) {
		if ((rc = next_event(&r, &ev)))
			break;
		if (ev.type == YAML_STREAM_END_EVENT) {
			event_free(&ev);
			break;
		}
		if (ev.type == YAML_DOCUMENT_START_EVENT) {
			if (++docs > 1) {
				rc = fail(&r, (unsigned)ev.start_mark.line + 1,
					  (unsigned)ev.start_mark.column + 1,
					  "more than one YAML document");
				event_free(&ev);
				break;
			}
		} else if (ev.type != YAML_STREAM_START_EVENT &&
			   ev.type != YAML_DOCUMENT_END_EVENT) {
			rc = parse_node(&r, &ev, &r.doc->root, &w, 1);
		}
		event_free(&ev);
		if (rc)
			break;
	}
	/* libyaml keeps copies of the input in its buffers: wipe them */
	if (r.parser.buffer.start)
		svc_wipe(r.parser.buffer.start,
			 (size_t)(r.parser.buffer.end - r.parser.buffer.start));
	if (r.parser.raw_buffer.start)
		svc_wipe(r.parser.raw_buffer.start,
			 (size_t)(r.parser.raw_buffer.end -
				  r.parser.raw_buffer.start));
	yaml_parser_delete(&r.parser);
	for (i = 0; i < r.nanchors; i++)
		free(r.anchors[i].name);
	free(r.anchors);
	if (rc) {
		if (!r.failed)
			fail(&r, 0, 0, "%s", svc_error_last());
		ydoc_free(r.doc);
		return SVC_EINVALID;
	}
	*out = r.doc;
	return 0;
}

void ydoc_free(ydoc *doc)
{
	size_t i;

	if (!doc)
		return;
	for (i = 0; i < doc->nall; i++) {
		ynode *n = doc->all[i];

		if (n->scalar)
			svc_secret_free(n->scalar, n->len);
		free(n->items);
		free(n);
	}
	free(doc->all);
	free(doc->file);
	free(doc);
}

const ynode *ynode_key(const ynode *map, const char *key)
{
	size_t i;

	if (!map || map->kind != YNODE_MAP)
		return NULL;
	for (i = 0; i < map->n; i += 2)
		if (map->items[i]->scalar &&
		    strcmp(map->items[i]->scalar, key) == 0)
			return map->items[i];
	return NULL;
}

const ynode *ynode_get(const ynode *map, const char *key)
{
	size_t i;

	if (!map || map->kind != YNODE_MAP)
		return NULL;
	for (i = 0; i + 1 < map->n; i += 2)
		if (map->items[i]->scalar &&
		    strcmp(map->items[i]->scalar, key) == 0)
			return map->items[i + 1];
	return NULL;
}

int ynode_is(const ynode *n, const char *s)
{
	return n && n->kind == YNODE_SCALAR && strcmp(n->scalar, s) == 0;
}

int ydoc_new(ydoc **out, const char *file)
{
	ydoc *d = calloc(1, sizeof(*d));

	if (!d || !(d->file = strdup(file ? file : "<generated>"))) {
		free(d);
		return error_oom();
	}
	*out = d;
	return 0;
}

ynode *ydoc_node_new(ydoc *doc, ynode_kind kind, const ynode *like)
{
	struct reader r;
	yaml_mark_t m = { 0, 0, 0 };
	ynode *n;

	memset(&r, 0, sizeof(r));
	r.doc = doc;
	if (like && like->line) {
		m.line = like->line - 1;
		m.column = like->column ? like->column - 1 : 0;
	}
	n = node_new(&r, kind, &m);
	if (!n)
		return NULL;
	if (like) {
		n->file = like->file;
		n->line = like->line;
		n->column = like->column;
		n->origin = like->origin ? like->origin : like;
		n->flags = like->flags;
	}
	return n;
}

int ynode_append(ynode *parent, ynode *child)
{
	const ynode *keep = child->parent;
	int rc = push(parent, child);

	/* synthesized trees do not re-parent nodes of a source document */
	if (keep)
		child->parent = keep;
	return rc;
}

int ynode_set_scalar(ynode *n, const char *s, size_t len)
{
	char *copy = malloc(len + 1);

	if (!copy)
		return error_oom();
	memcpy(copy, s, len);
	copy[len] = '\0';
	if (n->scalar)
		svc_secret_free(n->scalar, n->len);
	n->scalar = copy;
	n->len = len;
	return 0;
}

/* 1 when s can be written as .s in a path. */
static int plain_key(const char *s)
{
	const char *p;

	if (!s || !*s)
		return 0;
	for (p = s; *p; p++)
		if (!(*p == '_' || *p == '-' || (*p >= 'a' && *p <= 'z') ||
		      (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
			return 0;
	return 1;
}

int ynode_path(const ynode *n, svc_buf *out)
{
	const ynode *chain[128];
	size_t depth = 0, i;
	int rc = 0;

	while (n && n->origin)
		n = n->origin;
	for (; n && n->parent && depth < 128; n = n->parent)
		chain[depth++] = n;
	for (i = depth; i > 0 && !rc; i--) {
		const ynode *c = chain[i - 1], *p = c->parent;

		if (p->kind == YNODE_SEQ) {
			rc = buf_printf(out, "[%zu]", c->index);
		} else if (c->index % 2 == 1) {
			const char *key = p->items[c->index - 1]->scalar;

			if (plain_key(key))
				rc = buf_printf(out, "%s%s", out->len ? "." : "",
						key);
			else
				rc = buf_printf(out, "[\"%s\"]", key);
		}
	}
	return rc;
}

void ynode_diag(svc_diags *d, const ynode *at, svc_severity sev,
		const char *fmt, ...)
{
	svc_buf b = SVC_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	svc_diags_add(d, at ? at->file : NULL, at ? at->line : 0,
		      at ? at->column : 0, sev, NULL, "%s",
		      b.ptr ? b.ptr : "error");
	buf_clear(&b);
}

const char *ynode_kind_name(ynode_kind k)
{
	switch (k) {
	case YNODE_SCALAR: return "a scalar";
	case YNODE_MAP: return "a mapping";
	default: return "a sequence";
	}
}
