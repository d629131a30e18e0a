/*
 * template.c - compile-time expansion of a pipeline: templates, parameters,
 * template expressions and conditionals, extends.
 *
 * The expansion walks the source tree once and builds the expanded tree in
 * an arena document.  A scope carries what expressions can see: the
 * template's parameter values, the compile-time variables, the variables of
 * enclosing ${{ each }} loops, and the file being expanded (template paths
 * are relative to it).  Every problem is a diagnostic at the place it was
 * written; expansion goes on past problems so that all of them are reported
 * in one run.  Hostile input is bounded: files, bytes, include depth and the
 * size of the expanded tree all have limits.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "errors_int.h"
#include "pipeline/expr.h"
#include "pipeline/template.h"
#include "util/buf.h"
#include "util/fileio.h"

/* One file loaded for this pipeline. */
struct loaded {
	char *path;   /**< normalised path, as opened */
	ydoc *doc;    /**< its tree, NULL when it failed to parse */
};

struct tpl_ctx {
	ydoc *arena;               /**< nodes of the expanded tree */
	struct loaded *files;      /**< files loaded so far */
	size_t nfiles;             /**< entries in files */
	size_t bytes;              /**< bytes of YAML read */
	size_t budget_hit;         /**< the node limit was reported */
	svc_diags *diags;          /**< where problems go */
	char **groups;             /**< variable groups seen */
	size_t ngroups;            /**< entries in groups */
	const char *stack[TPL_MAX_DEPTH + 2]; /**< include chain (paths) */
	size_t depth;              /**< entries in stack */
	ynode *cvars;              /**< compile-time variables (a MAP) */
	ynode *empty;              /**< an empty MAP */
	int explore;               /**< take every branch that depends on
				        open parameters (plan) */
	char *extends;             /**< the pipeline's extends template */
	char *top_dir;             /**< the pipeline file's directory ("" for
				        the current one) */
	tpl_repo *repos;           /**< the pipeline's repository resources */
	size_t nrepos;             /**< entries in repos */
	struct fetched *fetched;   /**< other repositories asked for */
	size_t nfetched;           /**< entries in fetched */
	tpl_fetch_fn fetch;        /**< reads another repository, or NULL */
	void *fetch_data;          /**< its data */
	char **noted;              /**< templates already noted (once each) */
	size_t nnoted;             /**< entries in noted */
	const tpl_source *source;  /**< the files, or NULL: the file system */
	tpl_seen_fn seen;          /**< told each file read, or NULL */
	void *seen_data;           /**< its data */
	int failed;                /**< the code seen stopped with, or 0 */
};

/* A repository asked for by alias, once per pipeline. */
struct fetched {
	char *alias;               /**< the alias */
	char *dir;                 /**< its files, NULL when unreadable */
	char *why;                 /**< why it cannot be read, or NULL */
};

/* What a template expression can see. */
struct scope {
	const struct scope *up;    /**< enclosing scope (loops) */
	tpl_ctx *ctx;              /**< the expansion */
	const ynode *params;       /**< parameter values: a MAP */
	const char *const *undefined; /**< declared parameters without value */
	size_t nundefined;         /**< entries in undefined */
	const char *loop_var;      /**< ${{ each }} variable, or NULL */
	const ynode *loop_value;   /**< its value */
	const char *file;          /**< file being expanded */
	const char *root;          /**< root directory of the repository the
				        file is in, when it was fetched (NULL:
				        the pipeline's own repository) */
	const char *list;          /**< key of the list being expanded
				        (stages, jobs, steps...), or NULL */
	int open;                  /**< parameters are the file's own defaults
				        (no caller gave values): explore */
};

static int expand_map_into(const struct scope *sc, const ynode *n, ynode *out);
static int expand_seq_into(const struct scope *sc, const ynode *n, ynode *out);
static ynode *expand_node(const struct scope *sc, const ynode *n);
static int noted(tpl_ctx *ctx, const char *name);

/* A problem at node at. */
#define diag(ctx, at, sev, ...) ynode_diag((ctx)->diags, at, sev, __VA_ARGS__)

/* A new arena node like `like`, counting against the node limit. */
static ynode *node(tpl_ctx *ctx, ynode_kind kind, const ynode *like)
{
	if (ctx->arena->nall >= TPL_MAX_NODES) {
		if (!ctx->budget_hit++)
			diag(ctx, like, SVC_SEV_ERROR,
			     "expanded pipeline is larger than %u nodes",
			     TPL_MAX_NODES);
		return NULL;
	}
	return ydoc_node_new(ctx->arena, kind, like);
}

static ynode *scalar_node(tpl_ctx *ctx, const ynode *like, const char *s,
			  size_t len, int plain)
{
	ynode *n = node(ctx, YNODE_SCALAR, like);

	if (!n || ynode_set_scalar(n, s, len))
		return NULL;
	n->plain = plain;
	return n;
}

/*
 * A copy of a tree into the arena, keeping positions and origins.  Nodes an
 * expression made (no file: split(), ...) live only as long as its value,
 * so their copies take the position of site, where the expression is
 * written.
 */
static ynode *copy_tree(tpl_ctx *ctx, const ynode *src, const ynode *site)
{
	const ynode *like = src->file || !site ? src : site;
	ynode *n;
	size_t i;

	if (src->kind == YNODE_SCALAR) {
		n = scalar_node(ctx, like, src->scalar, src->len, src->plain);
		if (n)
			n->flags = src->flags;
		return n;
	}
	n = node(ctx, src->kind, like);
	for (i = 0; n && i < src->n; i++) {
		ynode *c = copy_tree(ctx, src->items[i], site);

		if (!c || ynode_append(n, c))
			return NULL;
	}
	return n;
}

/* ---- expressions ---------------------------------------------------- */

static int lookup(void *data, const char *name, evalue *out)
{
	const struct scope *sc = data, *s;

	for (s = sc; s; s = s->up)
		if (s->loop_var && strcasecmp(s->loop_var, name) == 0)
			return evalue_from_node(out, s->loop_value);
	if (strcasecmp(name, "parameters") == 0)
		return evalue_from_node(out, sc->params ? sc->params
							: sc->ctx->empty);
	if (strcasecmp(name, "variables") == 0)
		return evalue_from_node(out, sc->ctx->cvars);
	return SVC_ENOTFOUND;
}

/* 1 when the expression text names a declared parameter without value. */
static int names_undefined(const struct scope *sc, const char *text,
			   size_t len)
{
	size_t i, j;

	for (i = 0; i < sc->nundefined; i++) {
		const char *u = sc->undefined[i];
		size_t ul = strlen(u);

		for (j = 0; j + 11 + ul <= len; j++) {
			const char *p = text + j;

			if (strncasecmp(p, "parameters", 10) != 0)
				continue;
			p += 10;
			if (*p == '.' && strncmp(p + 1, u, ul) == 0 &&
			    !(p[1 + ul] == '_' || (p[1 + ul] >= '0' && p[1 + ul] <= '9') ||
			      ((p[1 + ul] | 32) >= 'a' && (p[1 + ul] | 32) <= 'z')))
				return 1;
			if (p[0] == '[' && p[1] == '\'' &&
			    strncmp(p + 2, u, ul) == 0 && p[2 + ul] == '\'')
				return 1;
		}
	}
	return 0;
}

/*
 * Evaluate expression text at node `at`.  On failure (reported) or when the
 * value depends on a parameter without value, *unresolved is set and *out
 * is null.
 */
static void eval(const struct scope *sc, const ynode *at, const char *text,
		 size_t len, evalue *out, int *unresolved)
{
	expr_env env = { lookup, (void *)sc };
	char *err = NULL;

	memset(out, 0, sizeof(*out));
	out->kind = EV_NULL;
	if (names_undefined(sc, text, len)) {
		*unresolved = 1;
		return;
	}
	if (expr_eval(out, text, len, &env, &err) != 0) {
		diag(sc->ctx, at, SVC_SEV_ERROR,
		     "invalid template expression '${{%.*s}}': %s",
		     (int)(len > 200 ? 200 : len), text, err ? err : "error");
		free(err);
		memset(out, 0, sizeof(*out));
		out->kind = EV_NULL;
		*unresolved = 1;
	}
}

/* End (index of the first '}') of the expression starting after "${{". */
static const char *expr_end(const char *p, const char *end)
{
	int quoted = 0;

	for (; p + 1 < end; p++) {
		if (*p == '\'')
			quoted = !quoted;
		else if (!quoted && p[0] == '}' && p[1] == '}')
			return p;
	}
	return NULL;
}

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

/* If s is exactly one "${{ ... }}" (surrounding blanks allowed), set the
 * inner text and return 1. */
static int whole_expr(const char *s, size_t len, const char **in,
		      size_t *inlen)
{
	const char *end = s + len, *p = skip_ws(s, end), *e;

	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (end - p < 5 || strncmp(p, "${{", 3) != 0)
		return 0;
	e = expr_end(p + 3, end);
	if (!e || e + 2 != end)
		return 0;
	*in = p + 3;
	*inlen = (size_t)(e - (p + 3));
	return 1;
}

/* Expand a scalar: a whole expression may yield a mapping or sequence. */
static ynode *expand_scalar(const struct scope *sc, const ynode *n)
{
	const char *in, *p, *end;
	size_t inlen;
	svc_buf b = SVC_BUF_INIT;
	evalue v;
	int unresolved = 0, plain = n->plain;
	ynode *out;

	if (!strstr(n->scalar, "${{"))
		return scalar_node(sc->ctx, n, n->scalar, n->len, n->plain);
	if (whole_expr(n->scalar, n->len, &in, &inlen)) {
		eval(sc, n, in, inlen, &v, &unresolved);
		if (v.kind == EV_NODE) {
			out = copy_tree(sc->ctx, v.node, n);
			evalue_clear(&v);
			return out;
		}
		evalue_to_string(&v, &b);
		plain = v.kind != EV_STRING;
		evalue_clear(&v);
	} else {
		/* interpolation: text with expressions inside */
		end = n->scalar + n->len;
		for (p = n->scalar; p < end;) {
			const char *s = strstr(p, "${{"), *e;

			if (!s || s >= end) {
				buf_put(&b, p, (size_t)(end - p));
				break;
			}
			buf_put(&b, p, (size_t)(s - p));
			e = expr_end(s + 3, end);
			if (!e) {
				diag(sc->ctx, n, SVC_SEV_ERROR,
				     "template expression without closing '}}'");
				buf_put(&b, s, (size_t)(end - s));
				unresolved = 1;
				break;
			}
			eval(sc, n, s + 3, (size_t)(e - s - 3), &v, &unresolved);
			if (v.kind == EV_NODE) {
				diag(sc->ctx, n, SVC_SEV_ERROR,
				     "a mapping or sequence cannot be inserted into text");
				unresolved = 1;
			} else {
				evalue_to_string(&v, &b);
			}
			evalue_clear(&v);
			p = e + 2;
		}
		plain = 0;
	}
	out = scalar_node(sc->ctx, n, b.ptr ? b.ptr : "", b.len, plain);
	if (out && unresolved)
		out->flags |= YNODE_F_UNRESOLVED;
	buf_clear(&b);
	return out;
}

/* ---- directives: ${{ if }}, ${{ elseif }}, ${{ else }}, ${{ each }} --------- */

enum directive { D_NONE, D_IF, D_ELSEIF, D_ELSE, D_EACH, D_INSERT, D_OTHER };

/* Classify a mapping key; arg and arglen receive the condition or loop. */
static enum directive directive_of(const ynode *k, const char **arg,
				   size_t *arglen)
{
	const char *in, *p, *end;
	size_t inlen;

	if (k->kind != YNODE_SCALAR || !whole_expr(k->scalar, k->len, &in, &inlen))
		return k->kind == YNODE_SCALAR && strstr(k->scalar, "${{")
			       ? D_OTHER : D_NONE;
	end = in + inlen;
	p = skip_ws(in, end);
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	*arg = p;
	*arglen = (size_t)(end - p);
	if ((size_t)(end - p) >= 6 && strncmp(p, "elseif", 6) == 0 &&
	    (p[6] == ' ' || p[6] == '(')) {
		*arg = p + 6;
		*arglen = (size_t)(end - p - 6);
		return D_ELSEIF;
	}
	if ((size_t)(end - p) >= 2 && strncmp(p, "if", 2) == 0 &&
	    (p[2] == ' ' || p[2] == '(')) {
		*arg = p + 2;
		*arglen = (size_t)(end - p - 2);
		return D_IF;
	}
	if (end - p == 4 && strncmp(p, "else", 4) == 0)
		return D_ELSE;
	if ((size_t)(end - p) > 5 && strncmp(p, "each ", 5) == 0) {
		*arg = p + 5;
		*arglen = (size_t)(end - p - 5);
		return D_EACH;
	}
	if (end - p == 6 && strncmp(p, "insert", 6) == 0)
		return D_INSERT;
	return D_OTHER;
}

/* 1 when needle occurs in the first len bytes of hay, ignoring case. */
static int strcasestr_n(const char *hay, size_t len, const char *needle)
{
	size_t n = strlen(needle), i;

	for (i = 0; i + n <= len; i++)
		if (strncasecmp(hay + i, needle, n) == 0)
			return 1;
	return 0;
}

/* State of an if/elseif/else chain. */
enum chain { CH_NONE, CH_TAKEN, CH_OPEN };

/* Decide whether a directive's body is expanded; updates the chain. */
static int take_branch(const struct scope *sc, const ynode *k,
		       enum directive d, const char *arg, size_t arglen,
		       enum chain *ch, int in_seq)
{
	evalue v;
	int unresolved = 0, take = 0;

	/*
	 * In a list, a condition on parameters that no caller set is open: a
	 * caller or the queue may choose either way, so every branch is
	 * expanded.  (In a mapping the branches would overwrite each other's
	 * keys, so there the defaults decide.)
	 */
	if (in_seq && sc->open && sc->ctx->explore &&
	    (d == D_IF || d == D_ELSEIF) && strcasestr_n(arg, arglen, "parameters")) {
		if (d == D_IF || *ch != CH_NONE)
			*ch = CH_OPEN;
		return 1;
	}
	switch (d) {
	case D_IF:
		eval(sc, k, arg, arglen, &v, &unresolved);
		take = !unresolved && evalue_truthy(&v);
		evalue_clear(&v);
		*ch = take ? CH_TAKEN : CH_OPEN;
		return take;
	case D_ELSEIF:
		if (*ch == CH_NONE) {
			diag(sc->ctx, k, SVC_SEV_ERROR,
			     "'${{ elseif }}' without a preceding '${{ if }}'");
			return 0;
		}
		if (*ch == CH_TAKEN)
			return 0;
		eval(sc, k, arg, arglen, &v, &unresolved);
		take = !unresolved && evalue_truthy(&v);
		evalue_clear(&v);
		if (take)
			*ch = CH_TAKEN;
		return take;
	case D_ELSE:
		if (*ch == CH_NONE) {
			diag(sc->ctx, k, SVC_SEV_ERROR,
			     "'${{ else }}' without a preceding '${{ if }}'");
			return 0;
		}
		take = *ch == CH_OPEN;
		*ch = CH_NONE;
		return take;
	default:
		*ch = CH_NONE;
		return 1;
	}
}

/*
 * Run body once per element of the ${{ each NAME in EXPR }} collection,
 * calling fn(scope, body, out) with NAME bound.
 */
static int each(const struct scope *sc, const ynode *k, const char *arg,
		size_t arglen, const ynode *body, ynode *out,
		int (*fn)(const struct scope *, const ynode *, ynode *))
{
	const char *end = arg + arglen, *p = arg, *in;
	char name[128];
	size_t nlen, i;
	struct scope inner;
	evalue v;
	int unresolved = 0, rc = 0;

	while (p < end && *p != ' ')
		p++;
	nlen = (size_t)(p - arg);
	p = skip_ws(p, end);
	if (nlen == 0 || nlen >= sizeof(name) || end - p < 3 ||
	    strncmp(p, "in ", 3) != 0) {
		diag(sc->ctx, k, SVC_SEV_ERROR,
		     "'${{ each }}' must read '${{ each NAME in EXPRESSION }}'");
		return 0;
	}
	memcpy(name, arg, nlen);
	name[nlen] = '\0';
	in = p + 3;
	eval(sc, k, in, (size_t)(end - in), &v, &unresolved);
	if (unresolved || v.kind == EV_NULL) {
		evalue_clear(&v);
		return 0;
	}
	if (v.kind != EV_NODE) {
		diag(sc->ctx, k, SVC_SEV_ERROR,
		     "'${{ each }}' needs a sequence or mapping to iterate");
		evalue_clear(&v);
		return 0;
	}
	inner = *sc;
	inner.up = sc;
	inner.loop_var = name;
	for (i = 0; i < v.node->n && !rc; i++) {
		if (v.node->kind == YNODE_MAP) {
			/* a mapping iterates over {key, value} pairs */
			ynode *pair = node(sc->ctx, YNODE_MAP, k), *kk, *vk;

			if (!pair || !(kk = scalar_node(sc->ctx, k, "key", 3, 1)) ||
			    !(vk = scalar_node(sc->ctx, k, "value", 5, 1)) ||
			    ynode_append(pair, kk) ||
			    ynode_append(pair, v.node->items[i]) ||
			    ynode_append(pair, vk) ||
			    ynode_append(pair, v.node->items[i + 1])) {
				rc = SVC_ERROR;
				break;
			}
			i++;
			inner.loop_value = pair;
		} else {
			inner.loop_value = v.node->items[i];
		}
		rc = fn(&inner, body, out);
	}
	evalue_clear(&v);
	return rc;
}

/* ---- mappings ---------------------------------------------------------- */

/* Set key to value in MAP out, replacing an earlier value of that key. */
static int map_set(ynode *out, ynode *key, ynode *value)
{
	size_t i;

	for (i = 0; i + 1 < out->n; i += 2)
		if (out->items[i]->scalar && key->scalar &&
		    strcmp(out->items[i]->scalar, key->scalar) == 0) {
			out->items[i + 1] = value;
			return 0;
		}
	if (ynode_append(out, key))
		return SVC_ERROR;
	return ynode_append(out, value);
}

/*
 * Merge the expansion of body (a MAP, or nothing) into out.  A body that is
 * one expression (`${{ insert }}: ${{ parameters.x }}`) may give a mapping,
 * or nothing (an empty object, a parameter without value).
 */
static int merge_body(const struct scope *sc, const ynode *body, ynode *out)
{
	ynode *e;
	size_t i;
	int rc = 0;

	if (body->kind == YNODE_MAP)
		return expand_map_into(sc, body, out);
	if (body->kind == YNODE_SCALAR && body->len == 0)
		return 0;
	if (body->kind == YNODE_SCALAR && strstr(body->scalar, "${{")) {
		if (!(e = expand_scalar(sc, body)))
			return SVC_ERROR;
		if (e->kind == YNODE_MAP) {
			for (i = 0; i + 1 < e->n && !rc; i += 2)
				rc = map_set(out, e->items[i], e->items[i + 1]);
			return rc;
		}
		if (e->kind == YNODE_SCALAR &&
		    (e->len == 0 || (e->flags & YNODE_F_UNRESOLVED)))
			return 0;
	}
	diag(sc->ctx, body, SVC_SEV_ERROR,
	     "a conditional inside a mapping must hold a mapping, not %s",
	     ynode_kind_name(body->kind));
	return 0;
}

/* The key of a list whose template items splice by kind, or NULL. */
static const char *list_key(const ynode *k)
{
	static const char *const keys[] = { "stages", "jobs", "phases", "steps",
					    "variables", NULL };
	size_t i;

	for (i = 0; k && k->kind == YNODE_SCALAR && keys[i]; i++)
		if (strcmp(k->scalar, keys[i]) == 0)
			return keys[i];
	return NULL;
}

static int expand_map_into(const struct scope *sc, const ynode *n, ynode *out)
{
	enum chain ch = CH_NONE;
	const char *arg;
	size_t i, arglen;
	int rc = 0;

	for (i = 0; i + 1 < n->n && !rc; i += 2) {
		const ynode *k = n->items[i], *v = n->items[i + 1];
		enum directive d = directive_of(k, &arg, &arglen);
		ynode *ek, *ev;

		switch (d) {
		case D_IF:
		case D_ELSEIF:
		case D_ELSE:
		case D_INSERT:
			if (take_branch(sc, k, d, arg, arglen, &ch, 0))
				rc = merge_body(sc, v, out);
			continue;
		case D_EACH:
			ch = CH_NONE;
			rc = each(sc, k, arg, arglen, v, out, merge_body);
			continue;
		default:
			ch = CH_NONE;
			break;
		}
		ek = expand_scalar(sc, k);
		{
			/* template items of a list splice by its key */
			struct scope in = *sc;

			in.list = list_key(ek);
			ev = expand_node(&in, v);
		}
		if (!ek || !ev)
			return SVC_ERROR;
		if (ek->kind != YNODE_SCALAR) {
			diag(sc->ctx, k, SVC_SEV_ERROR,
			     "a mapping key expression must give text");
			continue;
		}
		rc = map_set(out, ek, ev);
	}
	return rc;
}

/* ---- templates ---------------------------------------------------------- */

/* The reader's limits, and anchors refused as the service refuses them. */
static const ydoc_limits pipeline_limits = {
	4u << 20, 64, 200000, 1u << 20, 1
};

/* The loaded document for path, reading and parsing it the first time. */
static const ydoc *load(tpl_ctx *ctx, const char *path, const ynode *at)
{
	svc_buf text = SVC_BUF_INIT;
	struct loaded *f;
	ydoc *doc = NULL;
	size_t i;
	int rc;

	for (i = 0; i < ctx->nfiles; i++)
		if (strcmp(ctx->files[i].path, path) == 0)
			return ctx->files[i].doc;
	if (ctx->nfiles >= TPL_MAX_FILES) {
		diag(ctx, at, SVC_SEV_ERROR,
		     "more than %d template files in one pipeline", TPL_MAX_FILES);
		return NULL;
	}
	buf_init(&text, TPL_MAX_BYTES - ctx->bytes, 0);
	rc = ctx->source ? ctx->source->read(&text, path, ctx->source->data)
			 : file_read_all(&text, path);
	if (rc == 0 && ctx->seen &&
	    (rc = ctx->seen(path, text.ptr ? text.ptr : "", text.len,
			    ctx->seen_data)) != 0) {
		/* the caller's own failure: the expansion stops */
		ctx->failed = rc;
		buf_clear(&text);
		return NULL;
	}
	if (rc == SVC_ENOTFOUND) {
		diag(ctx, at, SVC_SEV_ERROR, "template '%s' not found", path);
	} else if (rc == SVC_EINVALID && text.len + 4096 > text.max) {
		diag(ctx, at, SVC_SEV_ERROR,
		     "'%s': the pipeline's files are larger than %u bytes together",
		     path, TPL_MAX_BYTES);
	} else if (rc) {
		diag(ctx, at, SVC_SEV_ERROR, "%s", svc_error_last());
	} else {
		ctx->bytes += text.len;
		ydoc_parse(&doc, path, text.ptr ? text.ptr : "", text.len,
			   &pipeline_limits, ctx->diags);
	}
	buf_clear(&text);
	f = realloc(ctx->files, (ctx->nfiles + 1) * sizeof(*ctx->files));
	if (!f) {
		ydoc_free(doc);
		return NULL;
	}
	ctx->files = f;
	f[ctx->nfiles].path = strdup(path);
	f[ctx->nfiles].doc = doc;
	if (!f[ctx->nfiles].path) {
		ydoc_free(doc);
		return NULL;
	}
	ctx->nfiles++;
	return doc;
}

int tpl_path_normalize(svc_buf *out, const char *path)
{
	const char *parts[256];
	size_t lens[256], n = 0, i;
	const char *p = path;
	int absolute = path[0] == '/', rc = 0;

	while (*p) {
		size_t len = strcspn(p, "/");

		if (len == 0 || (len == 1 && p[0] == '.')) {
			/* skip */
		} else if (len == 2 && p[0] == '.' && p[1] == '.' && n > 0 &&
			   !(lens[n - 1] == 2 && parts[n - 1][0] == '.' &&
			     parts[n - 1][1] == '.')) {
			n--;
		} else if (n < 256) {
			parts[n] = p;
			lens[n++] = len;
		} else {
			return error_set(SVC_EINVALID, "path too deep: '%s'", path);
		}
		p += len;
		if (*p == '/')
			p++;
	}
	if (absolute)
		rc = buf_putc(out, '/');
	for (i = 0; i < n && !rc; i++) {
		if (i && (rc = buf_putc(out, '/')))
			break;
		rc = buf_put(out, parts[i], lens[i]);
	}
	if (!rc && out->len == 0)
		rc = buf_putc(out, '.');
	return rc;
}

/* Directory part of path ("" for a bare name), appended to out. */
static int dir_of(svc_buf *out, const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? buf_put(out, path, (size_t)(slash - path + 1)) : 0;
}

/* 1 when path is a regular file (dir 0) or a directory (dir 1). */
static int exists(const tpl_ctx *ctx, const char *path, int dir)
{
	struct stat st;

	if (ctx->source)
		return ctx->source->exists(path, dir, ctx->source->data);
	return stat(path, &st) == 0 &&
	       (dir ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode));
}

/*
 * The path of template `ref` included from file `from`: relative to the
 * including file's directory, or, for "/x/y.yml", to the repository root:
 * the nearest ancestor directory of the including file where it exists.
 * One that exists nowhere is named under the nearest ancestor holding its
 * first folder ("x"), else under top (the git work tree's root or the
 * pipeline's directory) -- never under the includer's own directory, where
 * the path would name the includer's folders twice
 * (".azuredevops/t/.azuredevops/t/x.yml").
 */
static int template_path(const tpl_ctx *ctx, svc_buf *out, const char *from,
			 const char *ref, const char *top)
{
	svc_buf dir = SVC_BUF_INIT, cand = SVC_BUF_INIT, up = SVC_BUF_INIT,
		root = SVC_BUF_INIT;
	size_t first = strcspn(ref + 1, "/");
	int rc = dir_of(&dir, from), hops, found = 0, have_root = 0;

	if (ref[0] != '/') {
		if (!rc)
			rc = buf_puts(&dir, ref);
		if (!rc)
			rc = tpl_path_normalize(out, dir.ptr);
		buf_clear(&dir);
		return rc;
	}
	for (hops = 0; !rc && hops < 64; hops++) {
		const char *d = dir.ptr ? dir.ptr : "";

		buf_reset(&cand);
		rc = buf_printf(&cand, "%s%s", d, ref + 1);
		if (rc || (found = exists(ctx, cand.ptr, 0)))
			break;
		if (!have_root && ref[1 + first] == '/') {
			/* the folder the path starts with is here: the root */
			buf_reset(&up);
			if (!(rc = buf_printf(&up, "%s%.*s", d, (int)first,
					      ref + 1)) &&
			    exists(ctx, up.ptr, 1)) {
				have_root = 1;
				rc = buf_puts(&root, d);
			}
		}
		if (rc || strcmp(d, "/") == 0)
			break;
		/* one directory up; stop at the top */
		buf_reset(&up);
		rc = buf_printf(&up, "%s..", d);
		buf_reset(&dir);
		if (!rc)
			rc = tpl_path_normalize(&dir, up.ptr);
		if (rc)
			break;    /* (up through "..": the hops bound it) */
		if (strcmp(dir.ptr, ".") == 0)
			buf_reset(&dir);
		else if (strcmp(dir.ptr, "/") != 0)
			rc = buf_putc(&dir, '/');
	}
	if (!rc && !found) {
		/* not found anywhere */
		buf_reset(&cand);
		rc = buf_printf(&cand, "%s%s", have_root && root.ptr ? root.ptr
				: have_root ? "" : top, ref + 1);
	}
	if (!rc)
		rc = tpl_path_normalize(out, cand.ptr ? cand.ptr : ref + 1);
	buf_clear(&dir);
	buf_clear(&cand);
	buf_clear(&up);
	buf_clear(&root);
	return rc;
}

/* Convert a given value to a declared parameter type. */
static ynode *typed(tpl_ctx *ctx, const ynode *v, const char *type)
{
	ynode *n;

	if (v->kind != YNODE_SCALAR || !type)
		return (ynode *)v;
	if (strcasecmp(type, "boolean") == 0) {
		int t = strcasecmp(v->scalar, "true") == 0 ||
			strcasecmp(v->scalar, "yes") == 0 ||
			strcasecmp(v->scalar, "on") == 0;
		return scalar_node(ctx, v, t ? "true" : "false", t ? 4 : 5, 1);
	}
	if (strcasecmp(type, "string") == 0 && v->plain) {
		n = scalar_node(ctx, v, v->scalar, v->len, 0);
		if (n)
			n->flags = v->flags;
		return n;
	}
	return (ynode *)v;
}

/* Names of declared parameters without value, owned by the caller. */
struct undef {
	const char **names; /**< the names (borrowed from the documents) */
	size_t n;           /**< entries */
};

static int undef_add(struct undef *u, const char *name)
{
	const char **p = realloc(u->names, (u->n + 1) * sizeof(*p));

	if (!p)
		return error_oom();
	u->names = p;
	u->names[u->n++] = name;
	return 0;
}

/*
 * The parameter values of a template: declarations decl (list or mapping
 * form) with defaults, overridden by given (already expanded).
 */
static ynode *build_params(const struct scope *sc, const ynode *decl,
			   const ynode *given, const ynode *at,
			   struct undef *u)
{
	tpl_ctx *ctx = sc->ctx;
	ynode *out = node(ctx, YNODE_MAP, at);
	const ynode *undeclared = NULL;
	size_t i;

	if (!out)
		return NULL;
	if (decl && decl->kind == YNODE_SEQ) {
		for (i = 0; i < decl->n; i++) {
			const ynode *d = decl->items[i];
			const ynode *name = ynode_get(d, "name"), *type, *def, *v;
			ynode *key;

			if (!name || name->kind != YNODE_SCALAR) {
				diag(ctx, d, SVC_SEV_ERROR,
				     "a parameter declaration needs a 'name'");
				continue;
			}
			type = ynode_get(d, "type");
			def = ynode_get(d, "default");
			v = given ? ynode_get(given, name->scalar) : NULL;
			if (!v && def)
				v = copy_tree(ctx, def, NULL);
			if (!v) {
				if (undef_add(u, name->scalar))
					return NULL;
				continue;
			}
			v = typed(ctx, v, type && type->kind == YNODE_SCALAR
						  ? type->scalar : NULL);
			key = scalar_node(ctx, name, name->scalar, name->len, 1);
			if (!v || !key || map_set(out, key, (ynode *)v))
				return NULL;
		}
	} else if (decl && decl->kind == YNODE_MAP) {
		for (i = 0; i + 1 < decl->n; i += 2) {
			const ynode *name = decl->items[i];
			const ynode *v = given ? ynode_get(given, name->scalar) : NULL;
			ynode *key = scalar_node(ctx, name, name->scalar,
						 name->len, 1);

			if (!v)
				v = copy_tree(ctx, decl->items[i + 1], NULL);
			if (!key || !v || map_set(out, key, (ynode *)v))
				return NULL;
		}
	} else if (decl && !(decl->kind == YNODE_SCALAR && decl->len == 0)) {
		diag(ctx, decl, SVC_SEV_ERROR,
		     "'parameters' must be a list of declarations or a mapping");
	}
	/*
	 * given parameters the template does not declare: an error of typed
	 * declarations; an old template (no list of declarations) takes them
	 * as given, as the service does, with one note per template
	 */
	for (i = 0; given && given->kind == YNODE_MAP && i + 1 < given->n; i += 2)
		if (!ynode_get(out, given->items[i]->scalar)) {
			int declared = 0;
			size_t j;

			for (j = 0; j < u->n; j++)
				declared |= strcmp(u->names[j],
						   given->items[i]->scalar) == 0;
			if (!declared && decl && decl->kind == YNODE_SEQ)
				diag(ctx, given->items[i], SVC_SEV_WARNING,
				     "template '%s' declares no parameter '%s'",
				     at->scalar ? at->scalar : "",
				     given->items[i]->scalar);
			else if (!declared && !undeclared)
				undeclared = given->items[i];
			if (map_set(out, given->items[i], given->items[i + 1]))
				return NULL;
		}
	if (undeclared && at->scalar) {
		svc_buf key = SVC_BUF_INIT;

		if (buf_printf(&key, "parameters of %s", at->scalar) == 0 &&
		    !noted(ctx, key.ptr))
			diag(ctx, at, SVC_SEV_NOTE,
			     "template '%s' declares no parameters: those it is given ('%s'...) are used as given, as the service does",
			     at->scalar, undeclared->scalar);
		buf_clear(&key);
	}
	return out;
}

/* Is path on the include chain already? */
static int on_stack(const tpl_ctx *ctx, const char *path)
{
	size_t i;

	for (i = 0; i < ctx->depth; i++)
		if (strcmp(ctx->stack[i], path) == 0)
			return 1;
	return 0;
}

static void report_cycle(tpl_ctx *ctx, const ynode *at, const char *path)
{
	svc_buf b = SVC_BUF_INIT;
	size_t i;

	for (i = 0; i < ctx->depth; i++)
		if (strcmp(ctx->stack[i], path) == 0)
			break;
	for (; i < ctx->depth; i++)
		buf_printf(&b, "%s -> ", ctx->stack[i]);
	buf_puts(&b, path);
	diag(ctx, at, SVC_SEV_ERROR, "template include cycle: %s",
	     b.ptr ? b.ptr : path);
	buf_clear(&b);
}

/* 1 when the name is already in list (adding it when not). */
static int noted(tpl_ctx *ctx, const char *name)
{
	char **p;
	size_t i;

	for (i = 0; i < ctx->nnoted; i++)
		if (strcmp(ctx->noted[i], name) == 0)
			return 1;
	p = realloc(ctx->noted, (ctx->nnoted + 1) * sizeof(*p));
	if (!p)
		return 1;
	ctx->noted = p;
	if ((p[ctx->nnoted] = strdup(name)) != NULL)
		ctx->nnoted++;
	return 0;
}

/*
 * The directory holding repository alias's files, fetched once per
 * pipeline; NULL when it cannot be read, with the reason in *why.
 */
static const char *repo_dir(tpl_ctx *ctx, const char *alias, const char **why)
{
	struct fetched *f;
	const tpl_repo *repo = NULL;
	char *dir = NULL;
	size_t i;
	int rc;

	for (i = 0; i < ctx->nfetched; i++)
		if (strcmp(ctx->fetched[i].alias, alias) == 0) {
			*why = ctx->fetched[i].why;
			return ctx->fetched[i].dir;
		}
	f = realloc(ctx->fetched, (ctx->nfetched + 1) * sizeof(*f));
	if (!f)
		return NULL;
	ctx->fetched = f;
	f = &f[ctx->nfetched];
	memset(f, 0, sizeof(*f));
	if (!(f->alias = strdup(alias)))
		return NULL;
	ctx->nfetched++;
	for (i = 0; i < ctx->nrepos; i++)
		if (strcmp(ctx->repos[i].alias, alias) == 0)
			repo = &ctx->repos[i];
	if (!repo) {
		f->why = strdup("the pipeline has no repository resource of that alias");
	} else if (!ctx->fetch) {
		f->why = strdup("templates of other repositories are read only with --fetch");
	} else if ((rc = ctx->fetch(&dir, repo, ctx->fetch_data)) != 0) {
		f->why = strdup(svc_error_last());
	} else {
		f->dir = dir;
	}
	*why = f->why;
	return f->dir;
}

/*
 * Where the template reference ref written in the file of scope sc is:
 * `path@self` or a path is in the repository of that file (for @self, the
 * including file's folder first, then the repository's root; backslashes
 * read as '/'), `path@alias` in repository resource alias.  *root is the
 * root directory of the repository when it was fetched.  Returns
 * SVC_ENOTFOUND, with *why, when that repository cannot be read.
 */
static int locate(const struct scope *sc, const char *ref, svc_buf *out,
		  const char **root, const char **why)
{
	svc_buf b = SVC_BUF_INIT;
	char *copy = strdup(ref), *at, *p;
	const char *alias = NULL, *dir;
	int rc = 0;

	if (!copy)
		return error_oom();
	for (p = copy; *p; p++)
		if (*p == '\\')
			*p = '/';
	if ((at = strrchr(copy, '@')) != NULL) {
		*at = '\0';
		alias = at + 1;
	}
	*root = sc->root;
	if (alias && strcmp(alias, "self") != 0) {
		if (!(dir = repo_dir(sc->ctx, alias, why))) {
			free(copy);
			return SVC_ENOTFOUND;
		}
		*root = dir;
		rc = buf_printf(&b, "%s/%s", dir, copy + (copy[0] == '/'));
	} else {
		/* relative to the including file (for @self, when it is there) */
		int rel = 0;

		if (copy[0] != '/' && !(rc = dir_of(&b, sc->file)) &&
		    !(rc = buf_puts(&b, copy)))
			rel = !alias || exists(sc->ctx, b.ptr, 0);
		if (!rc && !rel) {
			/* from the root of the repository */
			buf_reset(&b);
			if (sc->root) {
				rc = buf_printf(&b, "%s/%s", sc->root,
						copy + (copy[0] == '/'));
			} else if (!(rc = buf_printf(&b, "/%s",
						     copy + (copy[0] == '/')))) {
				svc_buf abs = SVC_BUF_INIT;

				rc = template_path(sc->ctx, &abs, sc->file, b.ptr,
						   sc->ctx->top_dir);
				buf_clear(&b);
				b = abs;
			}
		}
	}
	if (!rc)
		rc = tpl_path_normalize(out, b.ptr);
	if (!rc && *root) {
		/* a fetched repository's templates stay inside it */
		buf_reset(&b);
		if (!(rc = tpl_path_normalize(&b, *root)) &&
		    (strncmp(out->ptr, b.ptr, b.len) != 0 || out->ptr[b.len] != '/'))
			rc = error_set(SVC_EINVALID,
				       "template '%s' is outside its repository",
				       ref);
	}
	buf_clear(&b);
	free(copy);
	return rc;
}

/*
 * Open the template named by node tref (a template: value), and prepare its
 * scope.  Returns its root mapping or NULL (problem reported).  *other is
 * set when it is in another repository that cannot be read.
 */
static const ynode *open_template(const struct scope *sc, const ynode *tref,
				  const ynode *given, struct scope *inner,
				  struct undef *u, char **pathp, int *other)
{
	tpl_ctx *ctx = sc->ctx;
	svc_buf path = SVC_BUF_INIT;
	const char *root_dir = NULL, *why = NULL;
	const ynode *root;
	const ydoc *doc;
	int rc;

	*pathp = NULL;
	*other = 0;
	if (tref->kind != YNODE_SCALAR || tref->len == 0) {
		diag(ctx, tref, SVC_SEV_ERROR, "'template' needs a file path");
		return NULL;
	}
	rc = locate(sc, tref->scalar, &path, &root_dir, &why);
	if (rc == SVC_ENOTFOUND) {
		const char *alias = strrchr(tref->scalar, '@') + 1;

		diag(ctx, tref, SVC_SEV_WARNING,
		     "template '%s' of repository '%s' cannot be read (%s): only what the pipeline passes to it inline is checked",
		     tref->scalar, alias, why ? why : "no memory");
		*other = 1;
	} else if (rc) {
		diag(ctx, tref, SVC_SEV_ERROR, "%s", svc_error_last());
	}
	if (rc) {
		buf_clear(&path);
		return NULL;
	}
	if (on_stack(ctx, path.ptr)) {
		report_cycle(ctx, tref, path.ptr);
		buf_clear(&path);
		return NULL;
	}
	if (ctx->depth >= TPL_MAX_DEPTH) {
		diag(ctx, tref, SVC_SEV_ERROR,
		     "templates nested deeper than %d levels", TPL_MAX_DEPTH);
		buf_clear(&path);
		return NULL;
	}
	doc = load(ctx, path.ptr, tref);
	if (!doc) {
		buf_clear(&path);
		return NULL;
	}
	root = doc->root;
	if (!root || root->kind != YNODE_MAP) {
		diag(ctx, tref, SVC_SEV_ERROR,
		     "template '%s' is not a mapping", path.ptr);
		buf_clear(&path);
		return NULL;
	}
	memset(inner, 0, sizeof(*inner));
	inner->ctx = ctx;
	inner->file = doc->file;
	inner->root = root_dir;
	inner->params = build_params(sc, ynode_get(root, "parameters"), given,
				     tref, u);
	inner->undefined = u->names;
	inner->nundefined = u->n;
	*pathp = buf_detach(&path, NULL);
	return root;
}

/* ---- what is passed inline to a template that cannot be read ----------- */

/*
 * What a mapping is, by its keys: 0 stage, 1 job, 2 step, -1 neither.  The
 * key must hold text (a name, a script, a task), as it does in those: a
 * parameter named `publish` holding a mapping is not a publish step.
 */
static int item_kind(const ynode *it)
{
	static const char *const kinds[][12] = {
		{ "stage", NULL },
		{ "job", "deployment", "phase", NULL },
		{ "task", "script", "bash", "pwsh", "powershell", "checkout",
		  "download", "downloadBuild", "publish", "getPackage",
		  "reviewApp", NULL },
	};
	size_t k, i;

	if (!it || it->kind != YNODE_MAP)
		return -1;
	for (k = 0; k < 3; k++)
		for (i = 0; kinds[k][i]; i++) {
			const ynode *v = ynode_get(it, kinds[k][i]);

			if (v && v->kind == YNODE_SCALAR)
				return (int)k;
		}
	return -1;
}

/*
 * Gather the stages, jobs and steps found by shape in the value n (a
 * template's parameters) into found[0..2], without looking inside them.
 */
static int gather(const ynode *n, ynode *const found[3], unsigned depth)
{
	int k = item_kind(n), rc = 0;
	size_t i;

	if (depth > 64)
		return 0;
	if (k >= 0) {
		if (k < 2)
			((ynode *)n)->flags |= TPL_F_INLINE;
		return ynode_append(found[k], (ynode *)n);
	}
	if (n->kind == YNODE_SEQ)
		for (i = 0; i < n->n && !rc; i++)
			rc = gather(n->items[i], found, depth + 1);
	else if (n->kind == YNODE_MAP)
		for (i = 1; i < n->n && !rc; i += 2)
			rc = gather(n->items[i], found, depth + 1);
	return rc;
}

/* A mapping {key: value} made at node like. */
static ynode *pair_map(tpl_ctx *ctx, const ynode *like, const char *key,
		       ynode *value)
{
	ynode *m = node(ctx, YNODE_MAP, like);
	ynode *k = scalar_node(ctx, like, key, strlen(key), 1);

	if (!m || !k || ynode_append(m, k) || ynode_append(m, value))
		return NULL;
	return m;
}

/* A name for a job or stage holding what template path was passed. */
static ynode *holder_name(tpl_ctx *ctx, const ynode *tref)
{
	char name[64];
	const char *b = strrchr(tref->scalar, '/');
	size_t i;

	b = b ? b + 1 : tref->scalar;
	for (i = 0; b[i] && b[i] != '@' && i + 1 < sizeof(name); i++)
		name[i] = (b[i] >= 'a' && b[i] <= 'z') || (b[i] >= 'A' && b[i] <= 'Z') ||
			  (b[i] >= '0' && b[i] <= '9') ? b[i] : '_';
	name[i] = '\0';
	if (i > 4 && !strcmp(name + i - 4, "_yml"))
		i -= 4;    /* the file's name without .yml */
	return scalar_node(ctx, tref, name, i, 1);
}

/*
 * Put the items of sets[k], if any, in a new {kind: NAME, key: items} at the
 * end of sets[k - 1] (steps in a job, jobs in a stage).
 */
static int hold(tpl_ctx *ctx, const ynode *tref, ynode *sets[3], int k,
		const char *kind, const char *key)
{
	ynode *h, *kk;

	if (!sets[k]->n)
		return 0;
	h = pair_map(ctx, tref, kind, holder_name(ctx, tref));
	kk = scalar_node(ctx, tref, key, strlen(key), 1);
	if (!h || !kk || ynode_append(h, kk) || ynode_append(h, sets[k]) ||
	    ynode_append(sets[k - 1], h) ||
	    !(sets[k] = node(ctx, YNODE_SEQ, tref)))
		return SVC_ERROR;
	return 0;
}

/*
 * The stages, jobs and steps passed inline (given) to the template tref
 * that cannot be read, as sets[0], sets[1] and sets[2] (each NULL when
 * there are none).  In a list of jobs (list "jobs" or "phases"), steps are
 * put in a job named after the template; in a list of stages, jobs are
 * put in such a stage too.
 */
static int inline_content(const struct scope *sc, const ynode *tref,
			  const ynode *given, const char *list, ynode *sets[3])
{
	tpl_ctx *ctx = sc->ctx;
	size_t i;
	int rc = 0, k;

	for (k = 0; k < 3; k++)
		if (!(sets[k] = node(ctx, YNODE_SEQ, tref)))
			return SVC_ERROR;
	/* in the values of the parameters, not the parameters themselves */
	for (i = 1; given && given->kind == YNODE_MAP && i < given->n && !rc;
	     i += 2)
		rc = gather(given->items[i], sets, 1);
	if (rc)
		return rc;
	/* steps in a job, jobs in a stage, as the list asks */
	if (list && (!strcmp(list, "jobs") || !strcmp(list, "phases") ||
		     !strcmp(list, "stages")) &&
	    (rc = hold(ctx, tref, sets, 2, "job", "steps")))
		return rc;
	if (list && !strcmp(list, "stages") &&
	    (rc = hold(ctx, tref, sets, 1, "stage", "jobs")))
		return rc;
	for (k = 0; k < 3; k++)
		if (!sets[k]->n)
			sets[k] = NULL;
	return 0;
}

/* A variables: mapping of a template, as the list form (name, value). */
static int vars_as_list(const struct scope *sc, const ynode *body, ynode *out)
{
	ynode *m = node(sc->ctx, YNODE_MAP, body);
	size_t i;
	int rc;

	if (!m || (rc = expand_map_into(sc, body, m)))
		return SVC_ERROR;
	for (i = 0; i + 1 < m->n && !rc; i += 2) {
		ynode *it = pair_map(sc->ctx, m->items[i], "name", m->items[i]);
		ynode *vk = scalar_node(sc->ctx, m->items[i], "value", 5, 1);

		if (!it || !vk || ynode_append(it, vk) ||
		    ynode_append(it, m->items[i + 1]))
			return SVC_ERROR;
		rc = ynode_append(out, it);
	}
	return rc;
}

/* Splice the steps/jobs/stages/variables of template item `item` into out. */
static int include(const struct scope *sc, const ynode *item, ynode *out)
{
	static const char *const keys[] = { "stages", "jobs", "phases",
					    "steps", "variables", NULL };
	const ynode *tref = ynode_get(item, "template"), *given_raw, *root;
	ynode *given = NULL, *eref;
	struct undef u = { NULL, 0 };
	struct scope inner;
	char *path = NULL;
	size_t i;
	int rc = 0, other;

	eref = expand_scalar(sc, tref);
	if (!eref)
		return SVC_ERROR;
	given_raw = ynode_get(item, "parameters");
	if (given_raw) {
		given = expand_node(sc, given_raw);
		if (given && given->kind != YNODE_MAP) {
			diag(sc->ctx, given_raw, SVC_SEV_ERROR,
			     "template parameters must be a mapping");
			given = NULL;
		}
	}
	root = open_template(sc, eref, given, &inner, &u, &path, &other);
	if (!root) {
		ynode *sets[3];
		int k;

		free(u.names);
		if (!other || !given || (sc->list && !strcmp(sc->list, "variables")))
			return 0;
		if ((rc = inline_content(sc, eref, given, sc->list, sets)))
			return rc;
		for (k = 0; k < 3 && !rc; k++)
			for (i = 0; sets[k] && i < sets[k]->n && !rc; i++)
				rc = ynode_append(out, sets[k]->items[i]);
		return rc;
	}
	sc->ctx->stack[sc->ctx->depth++] = path;
	for (i = 0; keys[i] && !rc; i++) {
		const ynode *body = ynode_get(root, keys[i]);

		if (!body)
			continue;
		inner.list = keys[i];
		if (body->kind == YNODE_MAP && !strcmp(keys[i], "variables")) {
			rc = vars_as_list(&inner, body, out);
			continue;
		}
		if (body->kind != YNODE_SEQ) {
			diag(sc->ctx, body, SVC_SEV_ERROR,
			     "'%s' in a template must be a list", keys[i]);
			continue;
		}
		if (!strcmp(keys[i], "phases") && !noted(sc->ctx, path))
			diag(sc->ctx, body, SVC_SEV_NOTE,
			     "'phases' is the legacy form of 'jobs': read as jobs");
		rc = expand_seq_into(&inner, body, out);
	}
	sc->ctx->depth--;
	free(path);
	free(u.names);
	return rc;
}

/* ---- sequences ---------------------------------------------------------- */

/* Splice the expansion of a directive's body into sequence out. */
static int splice_body(const struct scope *sc, const ynode *body, ynode *out)
{
	ynode *e;

	if (body->kind == YNODE_SEQ)
		return expand_seq_into(sc, body, out);
	if (body->kind == YNODE_SCALAR && body->len == 0)
		return 0;
	e = expand_node(sc, body);
	if (!e)
		return SVC_ERROR;
	if (body->kind == YNODE_SCALAR && e->kind != YNODE_SCALAR) {
		/* `- ${{ insert }}: ${{ parameters.list }}`: its items */
		size_t i;
		int rc = 0;

		if (e->kind == YNODE_MAP && e->n == 0)
			return 0;
		for (i = 0; e->kind == YNODE_SEQ && i < e->n && !rc; i++)
			rc = ynode_append(out, e->items[i]);
		return e->kind == YNODE_SEQ ? rc : ynode_append(out, e);
	}
	if (body->kind == YNODE_SCALAR && (e->flags & YNODE_F_UNRESOLVED) &&
	    e->len == 0)
		return 0;
	return ynode_append(out, e);
}

static int expand_seq_into(const struct scope *sc, const ynode *n, ynode *out)
{
	enum chain ch = CH_NONE;
	const char *arg;
	size_t i, arglen;
	int rc = 0;

	for (i = 0; i < n->n && !rc; i++) {
		const ynode *it = n->items[i];
		enum directive d = D_NONE;
		ynode *e;

		if (it->kind == YNODE_MAP && it->n == 2)
			d = directive_of(it->items[0], &arg, &arglen);
		switch (d) {
		case D_IF:
		case D_ELSEIF:
		case D_ELSE:
		case D_INSERT:
			if (take_branch(sc, it->items[0], d, arg, arglen, &ch, 1))
				rc = splice_body(sc, it->items[1], out);
			continue;
		case D_EACH:
			ch = CH_NONE;
			rc = each(sc, it->items[0], arg, arglen, it->items[1],
				  out, splice_body);
			continue;
		default:
			ch = CH_NONE;
			break;
		}
		if (it->kind == YNODE_MAP && it->n >= 2 &&
		    ynode_is(it->items[0], "template")) {
			rc = include(sc, it, out);
			continue;
		}
		e = expand_node(sc, it);
		if (!e)
			return SVC_ERROR;
		rc = ynode_append(out, e);
	}
	return rc;
}

static ynode *expand_node(const struct scope *sc, const ynode *n)
{
	ynode *out;

	switch (n->kind) {
	case YNODE_SCALAR:
		return expand_scalar(sc, n);
	case YNODE_MAP:
		out = node(sc->ctx, YNODE_MAP, n);
		if (out && expand_map_into(sc, n, out))
			return NULL;
		return out;
	default:
		out = node(sc->ctx, YNODE_SEQ, n);
		if (out && expand_seq_into(sc, n, out))
			return NULL;
		return out;
	}
}

/* ---- the pipeline ------------------------------------------------------ */

static const char *tpl_scalar(const ynode *n)
{
	return n && n->kind == YNODE_SCALAR ? n->scalar : NULL;
}

/* Record compile-time variables of a variables: block (either form). */
static int collect_vars(tpl_ctx *ctx, const ynode *vars)
{
	size_t i;

	if (!vars)
		return 0;
	if (vars->kind == YNODE_MAP) {
		for (i = 0; i + 1 < vars->n; i += 2)
			if (vars->items[i + 1]->kind == YNODE_SCALAR &&
			    map_set(ctx->cvars, vars->items[i], vars->items[i + 1]))
				return SVC_ERROR;
		return 0;
	}
	for (i = 0; vars->kind == YNODE_SEQ && i < vars->n; i++) {
		const ynode *it = vars->items[i], *name, *value, *group;

		if ((group = ynode_get(it, "group")) && group->kind == YNODE_SCALAR) {
			char **g = realloc(ctx->groups,
					   (ctx->ngroups + 1) * sizeof(*g));

			diag(ctx, group, SVC_SEV_NOTE,
			     "variable group '%s' cannot be read here: a name that comes from it is reported as unresolved",
			     group->scalar);
			if (!g)
				return error_oom();
			ctx->groups = g;
			if (!(g[ctx->ngroups] = strdup(group->scalar)))
				return error_oom();
			ctx->ngroups++;
			continue;
		}
		name = ynode_get(it, "name");
		value = ynode_get(it, "value");
		if (name && value && name->kind == YNODE_SCALAR &&
		    value->kind == YNODE_SCALAR &&
		    map_set(ctx->cvars, (ynode *)name, (ynode *)value))
			return SVC_ERROR;
	}
	return 0;
}

/* Apply an expanded root's extends: the template gives stages/jobs/steps. */
static ynode *apply_extends(tpl_ctx *ctx, const struct scope *sc,
			    ynode *root, unsigned depth)
{
	const ynode *ext = ynode_get(root, "extends"), *troot, *tref;
	struct undef u = { NULL, 0 };
	struct scope inner;
	ynode *out, *body;
	char *path = NULL;
	size_t i;
	int other;

	if (!ext)
		return root;
	tref = ynode_get(ext, "template");
	if (!tref) {
		diag(ctx, ext, SVC_SEV_ERROR, "'extends' needs a 'template'");
		return root;
	}
	if (depth > 10) {
		diag(ctx, ext, SVC_SEV_ERROR, "'extends' chain deeper than 10");
		return root;
	}
	if (depth == 0 && tref->kind == YNODE_SCALAR && !ctx->extends)
		ctx->extends = strdup(tref->scalar);
	troot = open_template(sc, tref, ynode_get(ext, "parameters"), &inner,
			      &u, &path, &other);
	if (!troot)
		free(u.names);
	if (!troot && other) {
		/* the stages, jobs and steps the pipeline passes inline */
		ynode *sets[3];
		static const char *const keys[] = { "stages", "jobs", "steps" };
		int k;

		out = node(ctx, YNODE_MAP, root);
		if (!out || inline_content(sc, tref, ynode_get(ext, "parameters"),
					   NULL, sets))
			return root;
		for (i = 0; i + 1 < root->n; i += 2)
			if (strcmp(root->items[i]->scalar, "extends") &&
			    map_set(out, root->items[i], root->items[i + 1]))
				return root;
		for (k = 0; k < 3; k++) {
			ynode *key;

			if (!sets[k])
				continue;
			key = scalar_node(ctx, tref, keys[k], strlen(keys[k]), 1);
			if (!key || map_set(out, key, sets[k]))
				return root;
		}
		return out;
	}
	if (!troot)
		return root;
	ctx->stack[ctx->depth++] = path;
	body = node(ctx, YNODE_MAP, troot);
	if (body && expand_map_into(&inner, troot, body))
		body = NULL;
	ctx->depth--;
	out = node(ctx, YNODE_MAP, root);
	/* the pipeline's own keys, but its body comes from the template */
	for (i = 0; out && i + 1 < root->n; i += 2) {
		const char *k = root->items[i]->scalar;

		if (strcmp(k, "extends") && strcmp(k, "stages") &&
		    strcmp(k, "jobs") && strcmp(k, "steps"))
			map_set(out, root->items[i], root->items[i + 1]);
	}
	for (i = 0; out && body && i + 1 < body->n; i += 2) {
		const char *k = body->items[i]->scalar;

		if (strcmp(k, "parameters") == 0)
			continue;
		if (!ynode_get(out, k) || !strcmp(k, "stages") ||
		    !strcmp(k, "jobs") || !strcmp(k, "steps") ||
		    !strcmp(k, "extends"))
			map_set(out, body->items[i], body->items[i + 1]);
	}
	free(u.names);
	if (out && body && ynode_get(body, "extends")) {
		struct scope next = inner;

		out = apply_extends(ctx, &next, out, depth + 1);
	}
	free(path);
	return out ? out : root;
}

/*
 * Where a root-relative template that exists nowhere is named: the root of
 * the git work tree holding the pipeline (the nearest ancestor with a
 * .git), else the pipeline's directory; with a trailing '/' ("" for the
 * current directory).
 */
static int repo_top(char **out, const tpl_ctx *ctx, const char *pipeline)
{
	svc_buf dir = SVC_BUF_INIT, probe = SVC_BUF_INIT;
	char *real = NULL;
	size_t n;
	int rc = dir_of(&dir, pipeline);

	*out = NULL;
	/* files given by a source have no work tree around them: the
	 * pipeline's directory */
	if (!rc && !ctx->source)
		real = realpath(dir.ptr && *dir.ptr ? dir.ptr : ".", NULL);
	for (n = real ? strlen(real) : 0; !rc && n > 0;) {
		struct stat st;

		buf_reset(&probe);
		rc = buf_printf(&probe, "%.*s/.git", (int)n, real);
		if (!rc && stat(probe.ptr, &st) == 0) {
			buf_reset(&dir);
			rc = buf_printf(&dir, "%.*s/", (int)n, real);
			break;
		}
		while (n > 0 && real[n - 1] != '/')
			n--;
		if (n > 0)
			n--;   /* the slash */
	}
	free(real);
	if (!rc && !(*out = strdup(dir.ptr ? dir.ptr : "")))
		rc = error_oom();
	buf_clear(&dir);
	buf_clear(&probe);
	return rc;
}

/* Record the pipeline's repository resources (expanded), for @alias. */
static int collect_repos(tpl_ctx *ctx, const struct scope *sc,
			 const ynode *raw)
{
	const ynode *res, *list;
	size_t i;

	if (!raw || !(res = expand_node(sc, raw)))
		return 0;
	list = ynode_get(res, "repositories");
	if (!list || list->kind != YNODE_SEQ)
		return 0;
	ctx->repos = calloc(list->n ? list->n : 1, sizeof(*ctx->repos));
	if (!ctx->repos)
		return error_oom();
	for (i = 0; i < list->n; i++) {
		const ynode *it = list->items[i], *a = ynode_get(it, "repository");
		tpl_repo *r = &ctx->repos[ctx->nrepos];

		if (!a || a->kind != YNODE_SCALAR)
			continue;
		r->alias = a->scalar;
		r->type = tpl_scalar(ynode_get(it, "type"));
		r->name = tpl_scalar(ynode_get(it, "name"));
		r->ref = tpl_scalar(ynode_get(it, "ref"));
		r->endpoint = tpl_scalar(ynode_get(it, "endpoint"));
		r->at = it;
		ctx->nrepos++;
	}
	return 0;
}

int tpl_expand(tpl_ctx **out, const ynode **rootp, const char *path,
	       const tpl_options *o, svc_diags *diags)
{
	const char *const *vars = o->vars;
	size_t nvars = o->nvars;
	struct undef u = { NULL, 0 };
	svc_buf norm = SVC_BUF_INIT;
	struct scope sc;
	const ydoc *doc;
	tpl_ctx *ctx;
	ynode *root;
	size_t i;
	int rc;

	*rootp = NULL;
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return error_oom();
	ctx->diags = diags;
	ctx->explore = o->explore;
	ctx->fetch = o->fetch;
	ctx->fetch_data = o->fetch_data;
	ctx->source = o->source;
	ctx->seen = o->seen;
	ctx->seen_data = o->seen_data;
	if ((rc = ydoc_new(&ctx->arena, "<expanded>")) ||
	    !(ctx->cvars = ydoc_node_new(ctx->arena, YNODE_MAP, NULL)) ||
	    !(ctx->empty = ydoc_node_new(ctx->arena, YNODE_MAP, NULL))) {
		tpl_free(ctx);
		return rc ? rc : error_oom();
	}
	*out = ctx;
	if ((rc = tpl_path_normalize(&norm, path)))
		return rc;
	if ((rc = repo_top(&ctx->top_dir, ctx, norm.ptr))) {
		buf_clear(&norm);
		return rc;
	}
	doc = load(ctx, norm.ptr, NULL);
	buf_clear(&norm);
	if (!doc)
		return ctx->failed;
	if (!doc->root || doc->root->kind != YNODE_MAP) {
		diag(ctx, doc->root, SVC_SEV_ERROR,
		     "'%s' is not a pipeline: the document must be a mapping",
		     doc->file);
		return 0;
	}
	/* --var values, then the pipeline's own variables */
	for (i = 0; i < nvars; i++) {
		const char *eq = strchr(vars[i], '=');
		ynode *k, *v;

		if (!eq)
			continue;
		k = scalar_node(ctx, NULL, vars[i], (size_t)(eq - vars[i]), 1);
		v = scalar_node(ctx, NULL, eq + 1, strlen(eq + 1), 0);
		if (!k || !v || map_set(ctx->cvars, k, v))
			return error_oom();
	}
	memset(&sc, 0, sizeof(sc));
	sc.ctx = ctx;
	sc.file = doc->file;
	sc.open = 1;
	sc.params = build_params(&sc, ynode_get(doc->root, "parameters"), NULL,
				 doc->root, &u);
	sc.undefined = u.names;
	sc.nundefined = u.n;
	{
		/* variables are known to expressions in the rest of the file */
		ynode *v = NULL;
		const ynode *raw = ynode_get(doc->root, "variables");

		if (raw && (v = expand_node(&sc, raw)) != NULL)
			collect_vars(ctx, v);
		for (i = 0; i < nvars; i++) {
			/* --var wins over the file */
			const char *eq = strchr(vars[i], '=');
			ynode *k, *val;

			if (!eq)
				continue;
			k = scalar_node(ctx, NULL, vars[i], (size_t)(eq - vars[i]), 1);
			val = scalar_node(ctx, NULL, eq + 1, strlen(eq + 1), 0);
			if (!k || !val || map_set(ctx->cvars, k, val))
				return error_oom();
		}
	}
	if ((rc = collect_repos(ctx, &sc, ynode_get(doc->root, "resources"))))
		return rc;
	ctx->stack[ctx->depth++] = doc->file;
	root = node(ctx, YNODE_MAP, doc->root);
	if (root && expand_map_into(&sc, doc->root, root) == 0)
		*rootp = apply_extends(ctx, &sc, root, 0);
	ctx->depth--;
	free(u.names);
	return ctx->failed;
}

void tpl_free(tpl_ctx *ctx)
{
	size_t i;

	if (!ctx)
		return;
	for (i = 0; i < ctx->nfiles; i++) {
		free(ctx->files[i].path);
		ydoc_free(ctx->files[i].doc);
	}
	for (i = 0; i < ctx->ngroups; i++)
		free(ctx->groups[i]);
	free(ctx->groups);
	free(ctx->files);
	free(ctx->extends);
	free(ctx->top_dir);
	free(ctx->repos);
	for (i = 0; i < ctx->nfetched; i++) {
		free(ctx->fetched[i].alias);
		free(ctx->fetched[i].dir);
		free(ctx->fetched[i].why);
	}
	free(ctx->fetched);
	for (i = 0; i < ctx->nnoted; i++)
		free(ctx->noted[i]);
	free(ctx->noted);
	ydoc_free(ctx->arena);
	free(ctx);
}

size_t tpl_group_count(const tpl_ctx *ctx)
{
	return ctx->ngroups;
}

const char *tpl_group_at(const tpl_ctx *ctx, size_t i)
{
	return i < ctx->ngroups ? ctx->groups[i] : NULL;
}

const char *tpl_extends(const tpl_ctx *ctx)
{
	return ctx->extends;
}

ydoc *tpl_arena(tpl_ctx *ctx)
{
	return ctx->arena;
}
