/*
 * expr.c - parse and evaluate Azure Pipelines template expressions.
 *
 * Two passes over the text.  The parser, a recursive-descent parser over a
 * lexer that tokenizes as the service does, builds a small tree of enodes:
 * literals, root names (looked up at once, so an undefined name is an error
 * even in a branch that would be skipped) and function calls.  Each enode
 * carries the list of accessors applied to its value (.name, [expr], the
 * `*` filters), evaluated in a loop, so a chain a.b.c... costs no stack.
 * Recursion only happens through function arguments and [] indexers, which
 * the service limits to 50 levels (EXPR_MAX_DEPTH): the parser refuses
 * deeper nesting, so neither pass can overflow the stack.  The evaluator
 * walks the tree lazily: and/or short-circuit, iif evaluates one branch,
 * coalesce stops at the first non-empty value, format() evaluates only the
 * arguments it uses, join() evaluates its separator only when needed.
 *
 * Every evaluation counts its steps (nodes evaluated, items visited) and
 * the bytes of strings and nodes it produces, and stops at EXPR_MAX_STEPS
 * and EXPR_MAX_MEMORY; the text is limited to EXPR_MAX_LEN.  Substring
 * search is memmem (linear), split() looks delimiters up in a bitmap or a
 * sorted array, convertToJson() walks with an explicit stack.
 *
 * Nodes made by split() and by the `*` filters live in the evaluation's
 * arena, created on first use.  An arena is reference counted: each EV_NODE
 * value pointing into it holds a reference, and an arena whose nodes point
 * at another arena's nodes (a filter over a split() result that came in
 * through a loop variable) holds a reference on that arena.  Arenas are
 * released iteratively, never by recursion.
 *
 * Semantics, as the service's engine has them:
 *  - eq/ne/in/notIn/containsValue convert the right value to the type of
 *    the left one; a failed conversion makes eq false (ne true).  Strings
 *    compare ordinally ignoring case; null equals null and ''; mappings and
 *    sequences are equal only when they are the same node.
 *  - gt/ge/lt/le convert likewise, but a failed conversion is an error; a
 *    null or collection on the left is first converted to a number.
 *  - to boolean: null, false, 0 and '' are false, all else true; to number:
 *    null and '' are 0, booleans 0/1, strings parsed with optional white
 *    space, sign, ',' group separators and decimals; to string: null is '',
 *    booleans 'True'/'False', numbers "0.#######".  Collections convert to
 *    neither numbers nor strings.
 *  - a missing property or index is null; indexing a map tries an exact key
 *    then one differing in case; a sequence index is a number >= 0, floored.
 *
 * Where this implementation knowingly differs from the service:
 *  - numbers are doubles (about 15 significant digits), not .NET Decimal;
 *  - version literals (1.2.3) are strings, so they compare as strings;
 *  - `null` and hexadecimal numbers (0x1F) are accepted as literals; the
 *    service's lexer rejects both;
 *  - case folding (comparisons, lower(), upper()) covers ASCII letters only;
 *  - format() ignores format specifiers ({0:yyyyMMdd}): there are no dates
 *    at compile time;
 *  - split() treats its second argument as a set of delimiter characters,
 *    as .NET's String.Split(char[]) does; an empty set splits at white space.
 */
#include "pipeline/expr.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svcconn/errors.h"
#include "svcconn/secret.h"
#include "errors_int.h"

/* ------------------------------------------------------------------------
 * Arenas of synthesized nodes
 */

struct expr_arena {
	size_t refs;            /**< references from values and other arenas */
	svc_buf nodes;          /**< ynode * array: nodes made here */
	svc_buf deps;           /**< expr_arena * array: arenas we point into */
	struct expr_arena *next; /**< link on the release work list */
};

static expr_arena *arena_new(void)
{
	expr_arena *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->refs = 1;
	buf_init(&a->nodes, 0, 0);
	buf_init(&a->deps, 0, 0);
	return a;
}

static void arena_ref(expr_arena *a)
{
	if (a)
		a->refs++;
}

static void arena_unref(expr_arena *a)
{
	expr_arena *todo;

	if (!a || --a->refs > 0)
		return;
	a->next = NULL;
	todo = a;
	while (todo) {
		expr_arena *cur = todo;
		ynode **nodes = (ynode **)(void *)cur->nodes.ptr;
		expr_arena **deps = (expr_arena **)(void *)cur->deps.ptr;
		size_t i, n;

		todo = cur->next;
		n = cur->deps.len / sizeof(*deps);
		for (i = 0; i < n; i++)
			if (--deps[i]->refs == 0) {
				deps[i]->next = todo;
				todo = deps[i];
			}
		n = cur->nodes.len / sizeof(*nodes);
		for (i = 0; i < n; i++) {
			if (nodes[i]->scalar)
				svc_secret_free(nodes[i]->scalar, nodes[i]->len);
			free(nodes[i]->items);
			free(nodes[i]);
		}
		buf_clear(&cur->nodes);
		buf_clear(&cur->deps);
		free(cur);
	}
}

/* ------------------------------------------------------------------------
 * Characters
 */

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int up(int c)
{
	return c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c;
}

static int low(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Decode the UTF-8 character at s[i] (i < n) into *cp; returns its length.
 * A malformed byte decodes alone, as 0xDC00 + byte. */
static size_t utf8_at(const char *s, size_t n, size_t i, uint32_t *cp)
{
	const unsigned char *u = (const unsigned char *)s + i;
	size_t left = n - i, len, k;
	uint32_t c, min;

	if (u[0] < 0x80) {
		*cp = u[0];
		return 1;
	}
	if ((u[0] & 0xE0) == 0xC0) {
		len = 2; c = u[0] & 0x1F; min = 0x80;
	} else if ((u[0] & 0xF0) == 0xE0) {
		len = 3; c = u[0] & 0x0F; min = 0x800;
	} else if ((u[0] & 0xF8) == 0xF0) {
		len = 4; c = u[0] & 0x07; min = 0x10000;
	} else {
		*cp = 0xDC00u + u[0];
		return 1;
	}
	if (left < len) {
		*cp = 0xDC00u + u[0];
		return 1;
	}
	for (k = 1; k < len; k++) {
		if ((u[k] & 0xC0) != 0x80) {
			*cp = 0xDC00u + u[0];
			return 1;
		}
		c = (c << 6) | (u[k] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
		*cp = 0xDC00u + u[0];
		return 1;
	}
	*cp = c;
	return len;
}

/* .NET's Char.IsWhiteSpace. */
static int is_space_cp(uint32_t c)
{
	return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 ||
	       c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) ||
	       c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
	       c == 0x3000;
}

/* Length of the white-space character at s[i], or 0. */
static size_t space_at(const char *s, size_t n, size_t i)
{
	uint32_t cp;
	size_t l = utf8_at(s, n, i, &cp);

	return is_space_cp(cp) ? l : 0;
}

/* Length in UTF-16 code units, as .NET counts string length. */
static size_t utf16_len(const char *s, size_t n)
{
	size_t i = 0, units = 0;
	uint32_t cp;

	while (i < n) {
		i += utf8_at(s, n, i, &cp);
		units += cp >= 0x10000 && cp <= 0x10FFFF ? 2 : 1;
	}
	return units;
}

static int icase_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	size_t i, n = an < bn ? an : bn;

	for (i = 0; i < n; i++) {
		int ca = up((unsigned char)a[i]), cb = up((unsigned char)b[i]);

		if (ca != cb)
			return ca < cb ? -1 : 1;
	}
	return an == bn ? 0 : an < bn ? -1 : 1;
}

static int icase_eq(const char *a, size_t an, const char *b, size_t bn)
{
	return an == bn && icase_cmp(a, an, b, bn) == 0;
}

/* ------------------------------------------------------------------------
 * Numbers
 */

/* The largest .NET Decimal. */
#define DEC_MAX 79228162514264337593543950335.0

#define PD_PLUS 0x1u   /* a leading '+' */
#define PD_EXP 0x2u    /* an exponent */
#define PD_GROUP 0x4u  /* ',' between integer digits */
#define PD_WHITE 0x8u  /* leading and trailing white space */

/* Significant digits kept when parsing; more cannot change a double. */
#define PD_DIGITS 40

/*
 * Parse a decimal number: [sign] digits [. digits] [e [sign] digits], with
 * what flags allow.  The digits are collected and handed to strtod() as
 * "DIGITSe<exp>", which has no decimal point and so does not depend on the
 * locale.  Returns 1 and sets *out, or 0 when s is not such a number or is
 * outside Decimal's range.
 */
static int parse_decimal(const char *s, size_t n, unsigned flags, double *out)
{
	char dig[PD_DIGITS + 32], *end;
	size_t i = 0, nd = 0, l;
	long exp10 = 0, e = 0;
	int neg = 0, seen = 0, eneg = 0, edig = 0;
	double d;

	if (flags & PD_WHITE) {
		while (i < n && (l = space_at(s, n, i)))
			i += l;
		while (n > i) {
			size_t k = n - 1;

			while (k > i && ((unsigned char)s[k] & 0xC0) == 0x80)
				k--;
			if (!space_at(s, n, k))
				break;
			n = k;
		}
	}
	if (i < n && (s[i] == '-' || (s[i] == '+' && (flags & PD_PLUS)))) {
		neg = s[i] == '-';
		i++;
	}
	while (i < n) {
		if (is_digit(s[i])) {
			seen = 1;
			if (nd == 0 && s[i] == '0')
				;               /* leading zero */
			else if (nd < PD_DIGITS)
				dig[nd++] = s[i];
			else
				exp10++;        /* dropped integer digit */
			i++;
		} else if (s[i] == ',' && (flags & PD_GROUP) && seen) {
			i++;
		} else {
			break;
		}
	}
	if (i < n && s[i] == '.') {
		i++;
		while (i < n && is_digit(s[i])) {
			seen = 1;
			if (nd == 0 && s[i] == '0') {
				exp10--;
			} else if (nd < PD_DIGITS) {
				dig[nd++] = s[i];
				exp10--;
			}
			i++;
		}
	}
	if (!seen)
		return 0;
	if (i < n && (s[i] == 'e' || s[i] == 'E') && (flags & PD_EXP)) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			eneg = s[i++] == '-';
		while (i < n && is_digit(s[i])) {
			if (e < 100000)
				e = e * 10 + (s[i] - '0');
			edig = 1;
			i++;
		}
		if (!edig)
			return 0;
	}
	if (i != n)
		return 0;
	if (nd == 0) {
		*out = 0.0;
		return 1;
	}
	exp10 += eneg ? -e : e;
	if (exp10 > 100000)
		exp10 = 100000;
	if (exp10 < -100000)
		exp10 = -100000;
	snprintf(dig + nd, sizeof(dig) - nd, "e%ld", exp10);
	d = strtod(dig, &end);
	if (!(d <= DEC_MAX))
		return 0;
	*out = neg ? -d : d;
	return 1;
}

/* Digits in base (8 or 16) after a 0x/0o prefix; 1 and *out on success. */
static int parse_radix(const char *s, size_t n, int base, double *out)
{
	double d = 0;
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		int c = low((unsigned char)s[i]), v;

		if (is_digit(c))
			v = c - '0';
		else if (c >= 'a' && c <= 'f')
			v = c - 'a' + 10;
		else
			return 0;
		if (v >= base)
			return 0;
		d = d * base + v;
		if (d > DEC_MAX)
			return 0;
	}
	*out = d;
	return 1;
}

/*
 * Format x as .NET formats a Decimal with "0.#######": rounded half away
 * from zero to at most 7 decimals, no trailing zeros, no exponent.  Works
 * from the 15 significant digits a double holds reliably, taken from
 * "%.14e" by picking the digits (so a locale's decimal point is harmless).
 * out must hold 64 bytes; returns the length.
 */
static size_t fmt_number(double x, char *out)
{
	char tmp[64], dig[16], s[48], *p;
	size_t nd = 0, len = 0, ip, fl, o = 0;
	long e, k, j;
	int neg = x < 0;

	if (!(x == x) || x == 0 || fabs(x) > DEC_MAX) {
		if (x == x && x != 0) {
			/* outside the range the evaluator ever makes */
			int r = snprintf(out, 64, "%.15g", x);

			return r > 0 && r < 64 ? (size_t)r : 0;
		}
		out[0] = '0';
		out[1] = '\0';
		return 1;
	}
	snprintf(tmp, sizeof(tmp), "%.14e", fabs(x));
	for (p = tmp; *p && *p != 'e' && *p != 'E'; p++)
		if (is_digit(*p) && nd < 15)
			dig[nd++] = *p;
	e = *p ? strtol(p + 1, NULL, 10) : 0;
	k = e + 7;      /* index of the digit worth 1e-7 */
	if (k == -1) {
		s[len++] = dig[0] >= '5' ? '1' : '0';
	} else if (k >= 0) {
		for (j = 0; j <= k; j++)
			s[len++] = (size_t)j < nd ? dig[j] : '0';
		if ((size_t)(k + 1) < nd && dig[k + 1] >= '5') {
			size_t i = len;

			while (i > 0 && s[i - 1] == '9')
				s[--i] = '0';
			if (i == 0) {
				memmove(s + 1, s, len);
				s[0] = '1';
				len++;
			} else {
				s[i - 1]++;
			}
		}
	} else {
		s[len++] = '0';
	}
	/* s holds round(|x| * 1e7) in decimal */
	while (len < 8) {
		memmove(s + 1, s, len);
		s[0] = '0';
		len++;
	}
	ip = len - 7;
	fl = 7;
	while (fl > 0 && s[ip + fl - 1] == '0')
		fl--;
	while (ip > 1 && s[0] == '0') {
		memmove(s, s + 1, --len);
		ip--;
	}
	if (neg && !(ip == 1 && s[0] == '0' && fl == 0))
		out[o++] = '-';
	memcpy(out + o, s, ip);
	o += ip;
	if (fl) {
		out[o++] = '.';
		memcpy(out + o, s + ip, fl);
		o += fl;
	}
	out[o] = '\0';
	return o;
}

/* ------------------------------------------------------------------------
 * Values
 */

void evalue_clear(evalue *v)
{
	if (!v)
		return;
	if (v->str)
		svc_secret_free(v->str, v->len);
	arena_unref(v->arena);
	v->kind = EV_NULL;
	v->b = 0;
	v->num = 0.0;
	v->str = NULL;
	v->len = 0;
	v->node = NULL;
	v->arena = NULL;
}

int evalue_set_string(evalue *out, const char *s, size_t len)
{
	char *p = malloc(len + 1);

	if (!p)
		return error_oom();
	if (len)
		memcpy(p, s, len);
	p[len] = '\0';
	memset(out, 0, sizeof(*out));
	out->kind = EV_STRING;
	out->str = p;
	out->len = len;
	return 0;
}

int evalue_copy(evalue *dst, const evalue *src)
{
	if (src->kind == EV_STRING)
		return evalue_set_string(dst, src->str ? src->str : "",
					 src->str ? src->len : 0);
	*dst = *src;
	dst->str = NULL;
	dst->len = 0;
	if (src->kind == EV_NODE)
		arena_ref(src->arena);
	else
		dst->arena = NULL;
	return 0;
}

static void set_bool(evalue *out, int b)
{
	memset(out, 0, sizeof(*out));
	out->kind = EV_BOOL;
	out->b = !!b;
}

static void set_number(evalue *out, double d)
{
	memset(out, 0, sizeof(*out));
	out->kind = EV_NUMBER;
	out->num = d == 0 ? 0.0 : d;
}

static void set_node(evalue *out, const ynode *n, expr_arena *arena)
{
	memset(out, 0, sizeof(*out));
	out->kind = EV_NODE;
	out->node = n;
	out->arena = arena;
	arena_ref(arena);
}

static int word_is(const char *s, size_t n, const char *w)
{
	return strlen(w) == n && memcmp(s, w, n) == 0;
}

/* A scalar node typed by the YAML 1.2 core schema (plain) or as a string. */
static int scalar_value(evalue *out, const ynode *n)
{
	const char *s = n->scalar ? n->scalar : "";
	size_t len = n->scalar ? n->len : 0;
	double d;

	if (n->plain) {
		if (len == 0 || word_is(s, len, "~") || word_is(s, len, "null") ||
		    word_is(s, len, "Null") || word_is(s, len, "NULL")) {
			memset(out, 0, sizeof(*out));
			return 0;
		}
		if (word_is(s, len, "true") || word_is(s, len, "True") ||
		    word_is(s, len, "TRUE")) {
			set_bool(out, 1);
			return 0;
		}
		if (word_is(s, len, "false") || word_is(s, len, "False") ||
		    word_is(s, len, "FALSE")) {
			set_bool(out, 0);
			return 0;
		}
		if ((len > 2 && s[0] == '0' && s[1] == 'x' &&
		     parse_radix(s + 2, len - 2, 16, &d)) ||
		    (len > 2 && s[0] == '0' && s[1] == 'o' &&
		     parse_radix(s + 2, len - 2, 8, &d)) ||
		    parse_decimal(s, len, PD_PLUS | PD_EXP, &d)) {
			set_number(out, d);
			return 0;
		}
	}
	return evalue_set_string(out, s, len);
}

int evalue_from_node(evalue *out, const ynode *n)
{
	if (n->kind == YNODE_SCALAR)
		return scalar_value(out, n);
	set_node(out, n, NULL);
	return 0;
}

int evalue_from_item(evalue *out, const ynode *n, const evalue *parent)
{
	if (n->kind == YNODE_SCALAR)
		return scalar_value(out, n);
	set_node(out, n, parent && parent->kind == EV_NODE ? parent->arena
							 : NULL);
	return 0;
}

int evalue_truthy(const evalue *v)
{
	switch (v->kind) {
	case EV_BOOL:
		return v->b;
	case EV_NUMBER:
		return v->num != 0;
	case EV_STRING:
		return v->len > 0;
	case EV_NODE:
		return 1;
	default:
		return 0;
	}
}

const char *evalue_kind_name(const evalue *v)
{
	switch (v->kind) {
	case EV_BOOL:
		return "a boolean";
	case EV_NUMBER:
		return "a number";
	case EV_STRING:
		return "a string";
	case EV_NODE:
		return v->node && v->node->kind == YNODE_MAP ? "a mapping"
							    : "a sequence";
	default:
		return "null";
	}
}

/* A value seen as a string without allocating. */
struct strview {
	const char *p;  /**< the bytes: into the value or into tmp */
	size_t n;       /**< their count */
	char tmp[64];   /**< room for a formatted number or boolean */
};

/* 0, or -1 when v (a mapping or sequence) has no string form. */
static int as_string(const evalue *v, struct strview *sv)
{
	switch (v->kind) {
	case EV_NULL:
		sv->p = "";
		sv->n = 0;
		return 0;
	case EV_BOOL:
		sv->p = v->b ? "True" : "False";
		sv->n = v->b ? 4 : 5;
		return 0;
	case EV_NUMBER:
		sv->n = fmt_number(v->num, sv->tmp);
		sv->p = sv->tmp;
		return 0;
	case EV_STRING:
		sv->p = v->str ? v->str : "";
		sv->n = v->str ? v->len : 0;
		return 0;
	default:
		return -1;
	}
}

/* 0 and *d, or -1 when v does not convert to a number. */
static int as_number(const evalue *v, double *d)
{
	switch (v->kind) {
	case EV_NULL:
		*d = 0;
		return 0;
	case EV_BOOL:
		*d = v->b;
		return 0;
	case EV_NUMBER:
		*d = v->num;
		return 0;
	case EV_STRING:
		if (v->len == 0) {
			*d = 0;
			return 0;
		}
		return parse_decimal(v->str, v->len,
				     PD_PLUS | PD_GROUP | PD_WHITE, d) ? 0 : -1;
	default:
		return -1;
	}
}

int evalue_to_string(const evalue *v, svc_buf *out)
{
	struct strview sv;

	if (as_string(v, &sv))
		return error_set(SVC_EINVALID, "cannot convert %s to a string",
				 evalue_kind_name(v));
	return buf_put(out, sv.p, sv.n);
}

/* The service's equality: r converted to l's type; failure is inequality. */
static int values_equal(const evalue *l, const evalue *r)
{
	struct strview sv;
	double d;

	switch (l->kind) {
	case EV_BOOL:
		return l->b == evalue_truthy(r);
	case EV_NUMBER:
		return as_number(r, &d) == 0 && l->num == d;
	case EV_STRING:
		return as_string(r, &sv) == 0 &&
		       icase_eq(l->str ? l->str : "", l->len, sv.p, sv.n);
	case EV_NODE:
		return r->kind == EV_NODE && r->node == l->node;
	default:
		return r->kind == EV_NULL || (r->kind == EV_STRING && r->len == 0);
	}
}

/* ------------------------------------------------------------------------
 * The tree
 */

enum enode_kind {
	N_LITERAL,      /* a literal value */
	N_NAME,         /* a root name, looked up while parsing */
	N_CALL          /* a function call */
};

enum acc_kind {
	A_PROP,         /* .name */
	A_INDEX,        /* [expr] */
	A_WILD          /* .* or [*] */
};

struct enode;
struct eval;

typedef int (*func_fn)(struct eval *ev, const struct enode *call,
		       evalue *out);

/* A built-in function. */
struct func {
	const char *name;       /**< documented spelling, matched ignoring case */
	unsigned min;           /**< fewest arguments */
	unsigned max;           /**< most arguments */
	func_fn fn;             /**< the implementation */
};

/* One property access applied to a value. */
struct accessor {
	enum acc_kind kind;     /**< .name, [expr] or a `*` filter */
	size_t pos;             /**< byte offset of the '.' or '[' */
	const char *name;       /**< A_PROP: the name, inside the text */
	size_t nlen;            /**< A_PROP: its length */
	struct enode *index;    /**< A_INDEX: the index expression */
};

/* A node of the parsed expression. */
struct enode {
	enum enode_kind kind;   /**< literal, name or call */
	size_t pos;             /**< byte offset of its first token */
	evalue val;             /**< N_LITERAL, N_NAME: the value */
	const struct func *fn;  /**< N_CALL: the function */
	struct enode **args;    /**< N_CALL: the arguments */
	size_t nargs;           /**< N_CALL: their count */
	struct accessor *acc;   /**< accesses applied to the value, in order */
	size_t nacc;            /**< their count */
};

/* State of one expr_eval() call. */
struct eval {
	const char *text;       /**< the expression */
	size_t len;             /**< its length in bytes */
	const expr_env *env;    /**< root names */
	const expr_runtime *rt; /**< a runtime expression's names and job
				     status functions, or NULL */
	svc_buf msg;            /**< the first error message */
	size_t steps;           /**< steps taken */
	size_t memory;          /**< bytes of results produced */
	expr_arena *arena;      /**< nodes made here, or NULL before the first */
	svc_buf nodes;          /**< struct enode * array, for freeing */
};

/* 1-based column of byte offset pos, in characters. */
static unsigned column(const struct eval *ev, size_t pos)
{
	size_t i, col = 1;

	if (pos > ev->len)
		pos = ev->len;
	for (i = 0; i < pos; i++)
		col += ((unsigned char)ev->text[i] & 0xC0) != 0x80;
	return col > 0xFFFFFFFFu ? 0xFFFFFFFFu : (unsigned)col;
}

static int fail(struct eval *ev, size_t pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Record the first error, "<message> at column N"; returns SVC_EINVALID. */
static int fail(struct eval *ev, size_t pos, const char *fmt, ...)
{
	va_list ap;

	if (ev->msg.len == 0) {
		va_start(ap, fmt);
		buf_vprintf(&ev->msg, fmt, ap);
		va_end(ap);
		buf_printf(&ev->msg, " at column %u", column(ev, pos));
	}
	return SVC_EINVALID;
}

static int oom(struct eval *ev)
{
	if (ev->msg.len == 0)
		buf_puts(&ev->msg, "out of memory");
	return error_oom();
}

/*
 * Quote text for a message: at most 40 bytes, cut at a character boundary;
 * control characters and malformed UTF-8 become '?'.  out must hold 64
 * bytes; returns out.
 */
const char *expr_excerpt(const char *s, size_t n, char *out)
{
	size_t i = 0, o = 0, l;
	uint32_t cp;

	while (i < n) {
		l = utf8_at(s, n, i, &cp);
		if (o + l > 40) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (cp < 0x20 || cp == 0x7F ||
		    (cp >= 0xDC00 && cp <= 0xDCFF && l == 1)) {
			out[o++] = '?';
		} else {
			memcpy(out + o, s + i, l);
			o += l;
		}
		i += l;
	}
	out[o] = '\0';
	return out;
}

static int step(struct eval *ev, size_t pos)
{
	if (++ev->steps > EXPR_MAX_STEPS)
		return fail(ev, pos, "expression too costly to evaluate (more than %u steps)",
			    EXPR_MAX_STEPS);
	return 0;
}

/* Account for bytes produced; fails past EXPR_MAX_MEMORY. */
static int charge(struct eval *ev, size_t pos, size_t bytes)
{
	if (bytes > EXPR_MAX_MEMORY - ev->memory)
		return fail(ev, pos, "expression result too large (more than %zu bytes)",
			    EXPR_MAX_MEMORY);
	ev->memory += bytes;
	return 0;
}

/* A result buffer; what is put in it is charged as it comes. */
static void out_init(svc_buf *b)
{
	buf_init(b, EXPR_MAX_MEMORY, 0);
}

static int out_put(struct eval *ev, size_t pos, svc_buf *b, const void *p,
		   size_t n)
{
	int rc = charge(ev, pos, n);

	if (rc)
		return rc;
	rc = buf_put(b, p, n);
	if (rc == SVC_EINVALID)
		return fail(ev, pos, "expression result too large (more than %zu bytes)",
			    EXPR_MAX_MEMORY);
	return rc ? oom(ev) : 0;
}

/* Turn the buffer into a string value (its bytes are charged already). */
static int out_string(struct eval *ev, svc_buf *b, evalue *out)
{
	size_t n;
	char *s = buf_detach(b, &n);

	if (!s)
		return oom(ev);
	memset(out, 0, sizeof(*out));
	out->kind = EV_STRING;
	out->str = s;
	out->len = n;
	return 0;
}

/* Keep a synthesized node in the evaluation's arena (freed on failure). */
static int arena_keep(struct eval *ev, ynode *n)
{
	if (!ev->arena && !(ev->arena = arena_new())) {
		free(n->items);
		free(n->scalar);
		free(n);
		return oom(ev);
	}
	if (buf_put(&ev->arena->nodes, &n, sizeof(n))) {
		free(n->items);
		free(n->scalar);
		free(n);
		return oom(ev);
	}
	return 0;
}

/* Make our arena hold a reference on dep (whose nodes ours point at). */
static int arena_depend(struct eval *ev, expr_arena *dep)
{
	expr_arena **deps;
	size_t i, n;

	if (!dep || dep == ev->arena)
		return 0;
	if (!ev->arena && !(ev->arena = arena_new()))
		return oom(ev);
	deps = (expr_arena **)(void *)ev->arena->deps.ptr;
	n = ev->arena->deps.len / sizeof(*deps);
	for (i = 0; i < n; i++)
		if (deps[i] == dep)
			return 0;
	if (buf_put(&ev->arena->deps, &dep, sizeof(dep)))
		return oom(ev);
	dep->refs++;
	return 0;
}

/* A new sequence node whose items are in items (ynode * array), as a
 * value; the buffer is consumed. */
static int make_seq(struct eval *ev, size_t pos, svc_buf *items, evalue *out)
{
	size_t count = items->len / sizeof(ynode *);
	ynode *n;
	int rc;

	if ((rc = charge(ev, pos, sizeof(*n)))) {
		buf_clear(items);
		return rc;
	}
	n = calloc(1, sizeof(*n));
	if (!n) {
		buf_clear(items);
		return oom(ev);
	}
	n->kind = YNODE_SEQ;
	if (count) {
		n->items = (ynode **)(void *)buf_detach(items, NULL);
		if (!n->items) {
			free(n);
			return oom(ev);
		}
	}
	buf_clear(items);
	n->n = n->alloc = count;
	if ((rc = arena_keep(ev, n)))
		return rc;
	set_node(out, n, ev->arena);
	return 0;
}

/* Append a node pointer to an items buffer, counting a step. */
static int push_item(struct eval *ev, size_t pos, svc_buf *items,
		     const ynode *n)
{
	int rc;

	if ((rc = step(ev, pos)))
		return rc;
	return out_put(ev, pos, items, &n, sizeof(n));
}

/* ------------------------------------------------------------------------
 * Property access
 */

/* The key of an access: a property name or an index value. */
struct key {
	const char *name;       /**< A_PROP name, or NULL */
	size_t nlen;            /**< its length */
	const evalue *v;        /**< A_INDEX value, or NULL */
};

static int key_string(const struct key *k, struct strview *sv)
{
	if (k->name) {
		sv->p = k->name;
		sv->n = k->nlen;
		return 0;
	}
	return as_string(k->v, sv);
}

/* The sequence index a key names, if any. */
static int key_index(const struct key *k, size_t count, size_t *idx)
{
	double d;

	if (k->name || as_number(k->v, &d) || !(d >= 0))
		return -1;
	d = floor(d);
	if (!(d < (double)count))
		return -1;
	*idx = (size_t)d;
	return 0;
}

/* The value for a key in a mapping: exact match, then ignoring case. */
static const ynode *map_find(const ynode *map, const char *k, size_t kn)
{
	size_t i;

	for (i = 0; i + 1 < map->n; i += 2) {
		const ynode *key = map->items[i];

		if (key->scalar && key->len == kn && memcmp(key->scalar, k, kn) == 0)
			return map->items[i + 1];
	}
	for (i = 0; i + 1 < map->n; i += 2) {
		const ynode *key = map->items[i];

		if (key->scalar && icase_eq(key->scalar, key->len, k, kn))
			return map->items[i + 1];
	}
	return NULL;
}

/* What one access finds in one collection node, or NULL. */
static const ynode *lookup_in(const ynode *n, const struct key *k)
{
	struct strview sv;
	size_t idx;

	if (n->kind == YNODE_MAP)
		return key_string(k, &sv) ? NULL : map_find(n, sv.p, sv.n);
	if (n->kind == YNODE_SEQ)
		return key_index(k, n->n, &idx) ? NULL : n->items[idx];
	return NULL;
}

/* Append the children of a collection (a mapping's values). */
static int push_children(struct eval *ev, size_t pos, svc_buf *items,
			 const ynode *n)
{
	size_t i;
	int rc;

	if (n->kind == YNODE_MAP) {
		for (i = 1; i < n->n; i += 2)
			if ((rc = push_item(ev, pos, items, n->items[i])))
				return rc;
	} else if (n->kind == YNODE_SEQ) {
		for (i = 0; i < n->n; i++)
			if ((rc = push_item(ev, pos, items, n->items[i])))
				return rc;
	}
	return 0;
}

/*
 * Apply one access to *v (replaced by the result).  *filtered says v is the
 * result of a `*` filter: further accesses then apply to each of its items
 * and collect what they find, as the service's filtered arrays do.
 */
static int access_one(struct eval *ev, const struct accessor *a,
		      const struct key *k, evalue *v, int *filtered)
{
	svc_buf items;
	evalue res = EVALUE_INIT;
	size_t i;
	int rc;

	if (a->kind == A_WILD || *filtered) {
		out_init(&items);
		rc = 0;
		if (v->kind == EV_NODE && !*filtered) {
			rc = push_children(ev, a->pos, &items, v->node);
		} else if (v->kind == EV_NODE) {
			for (i = 0; i < v->node->n && !rc; i++) {
				const ynode *it = v->node->items[i], *f;

				if ((rc = step(ev, a->pos)))
					break;
				if (a->kind == A_WILD)
					rc = push_children(ev, a->pos, &items, it);
				else if ((f = lookup_in(it, k)))
					rc = push_item(ev, a->pos, &items, f);
			}
		}
		if (!rc && v->kind == EV_NODE)
			rc = arena_depend(ev, v->arena);
		if (rc || (rc = make_seq(ev, a->pos, &items, &res))) {
			buf_clear(&items);
			return rc;
		}
		*filtered = 1;
	} else if (v->kind == EV_NODE) {
		const ynode *f = lookup_in(v->node, k);

		if (f && (rc = evalue_from_item(&res, f, v)))
			return oom(ev);
	}
	evalue_clear(v);
	*v = res;
	return 0;
}

static int eval_node(struct eval *ev, const struct enode *n, evalue *out);

static int apply_accessors(struct eval *ev, const struct enode *n, evalue *v)
{
	int filtered = 0, rc;
	size_t i;

	for (i = 0; i < n->nacc; i++) {
		const struct accessor *a = &n->acc[i];
		evalue idx = EVALUE_INIT;
		struct key k = { NULL, 0, NULL };

		if ((rc = step(ev, a->pos)))
			return rc;
		if (a->kind == A_PROP) {
			k.name = a->name;
			k.nlen = a->nlen;
		} else if (a->kind == A_INDEX) {
			if ((rc = eval_node(ev, a->index, &idx)))
				return rc;
			k.v = &idx;
		}
		rc = access_one(ev, a, &k, v, &filtered);
		evalue_clear(&idx);
		if (rc)
			return rc;
	}
	return 0;
}

/* ------------------------------------------------------------------------
 * Functions
 */

static int arg(struct eval *ev, const struct enode *call, size_t i,
	       evalue *out)
{
	return eval_node(ev, call->args[i], out);
}

/* Evaluate argument i and see it as a string; holder keeps it alive. */
static int arg_string(struct eval *ev, const struct enode *call, size_t i,
		      evalue *holder, struct strview *sv)
{
	int rc = arg(ev, call, i, holder);

	if (rc)
		return rc;
	if (as_string(holder, sv)) {
		rc = fail(ev, call->args[i]->pos, "cannot convert %s to a string",
			  evalue_kind_name(holder));
		evalue_clear(holder);
		return rc;
	}
	return 0;
}

static int f_and(struct eval *ev, const struct enode *call, evalue *out)
{
	size_t i;
	int rc, t;

	for (i = 0; i < call->nargs; i++) {
		evalue v = EVALUE_INIT;

		if ((rc = arg(ev, call, i, &v)))
			return rc;
		t = evalue_truthy(&v);
		evalue_clear(&v);
		if (!t) {
			set_bool(out, 0);
			return 0;
		}
	}
	set_bool(out, 1);
	return 0;
}

static int f_or(struct eval *ev, const struct enode *call, evalue *out)
{
	size_t i;
	int rc, t;

	for (i = 0; i < call->nargs; i++) {
		evalue v = EVALUE_INIT;

		if ((rc = arg(ev, call, i, &v)))
			return rc;
		t = evalue_truthy(&v);
		evalue_clear(&v);
		if (t) {
			set_bool(out, 1);
			return 0;
		}
	}
	set_bool(out, 0);
	return 0;
}

static int f_not(struct eval *ev, const struct enode *call, evalue *out)
{
	evalue v = EVALUE_INIT;
	int rc = arg(ev, call, 0, &v);

	if (rc)
		return rc;
	set_bool(out, !evalue_truthy(&v));
	evalue_clear(&v);
	return 0;
}

/* Evaluate the two arguments of a binary function. */
static int two_args(struct eval *ev, const struct enode *call, evalue *l,
		    evalue *r)
{
	int rc = arg(ev, call, 0, l);

	if (rc)
		return rc;
	if ((rc = arg(ev, call, 1, r)))
		evalue_clear(l);
	return rc;
}

static int f_xor(struct eval *ev, const struct enode *call, evalue *out)
{
	evalue l = EVALUE_INIT, r = EVALUE_INIT;
	int rc = two_args(ev, call, &l, &r);

	if (rc)
		return rc;
	set_bool(out, evalue_truthy(&l) != evalue_truthy(&r));
	evalue_clear(&l);
	evalue_clear(&r);
	return 0;
}

static int f_eq(struct eval *ev, const struct enode *call, evalue *out)
{
	evalue l = EVALUE_INIT, r = EVALUE_INIT;
	int rc = two_args(ev, call, &l, &r);

	if (rc)
		return rc;
	set_bool(out, values_equal(&l, &r));
	evalue_clear(&l);
	evalue_clear(&r);
	return 0;
}

static int f_ne(struct eval *ev, const struct enode *call, evalue *out)
{
	int rc = f_eq(ev, call, out);

	if (!rc)
		out->b = !out->b;
	return rc;
}

/* The service's ordering: r converted to l's type; failure is an error. */
static int compare(struct eval *ev, const struct enode *call,
		   const evalue *l, const evalue *r, int *res)
{
	struct strview sv;
	double a, b;

	switch (l->kind) {
	case EV_BOOL:
		b = evalue_truthy(r);
		*res = (l->b > b) - (l->b < b);
		return 0;
	case EV_STRING:
		if (as_string(r, &sv))
			return fail(ev, call->args[1]->pos,
				    "cannot convert %s to a string",
				    evalue_kind_name(r));
		*res = icase_cmp(l->str ? l->str : "", l->len, sv.p, sv.n);
		return 0;
	default:
		if (as_number(l, &a))
			return fail(ev, call->args[0]->pos,
				    "cannot convert %s to a number",
				    evalue_kind_name(l));
		if (as_number(r, &b)) {
			char q[64];

			if (r->kind == EV_STRING)
				return fail(ev, call->args[1]->pos,
					    "cannot convert '%s' to a number",
					    expr_excerpt(r->str, r->len, q));
			return fail(ev, call->args[1]->pos,
				    "cannot convert %s to a number",
				    evalue_kind_name(r));
		}
		*res = (a > b) - (a < b);
		return 0;
	}
}

static int ordering(struct eval *ev, const struct enode *call, evalue *out,
		    int want_lt, int want_eq, int want_gt)
{
	evalue l = EVALUE_INIT, r = EVALUE_INIT;
	int rc = two_args(ev, call, &l, &r), c = 0;

	if (rc)
		return rc;
	rc = compare(ev, call, &l, &r, &c);
	if (!rc)
		set_bool(out, c < 0 ? want_lt : c == 0 ? want_eq : want_gt);
	evalue_clear(&l);
	evalue_clear(&r);
	return rc;
}

static int f_gt(struct eval *ev, const struct enode *call, evalue *out)
{
	return ordering(ev, call, out, 0, 0, 1);
}

static int f_ge(struct eval *ev, const struct enode *call, evalue *out)
{
	return ordering(ev, call, out, 0, 1, 1);
}

static int f_lt(struct eval *ev, const struct enode *call, evalue *out)
{
	return ordering(ev, call, out, 1, 0, 0);
}

static int f_le(struct eval *ev, const struct enode *call, evalue *out)
{
	return ordering(ev, call, out, 1, 1, 0);
}

/* Two string arguments. */
static int two_strings(struct eval *ev, const struct enode *call,
		       evalue *hl, struct strview *l, evalue *hr,
		       struct strview *r)
{
	int rc = arg_string(ev, call, 0, hl, l);

	if (rc)
		return rc;
	if ((rc = arg_string(ev, call, 1, hr, r)))
		evalue_clear(hl);
	return rc;
}

/* An upper-cased copy of s in b. */
static int fold_copy(struct eval *ev, const char *s, size_t n, svc_buf *b)
{
	size_t i;

	buf_init(b, 0, 0);
	if (buf_grow(b, n))
		return oom(ev);
	for (i = 0; i < n; i++)
		b->ptr[i] = (char)up((unsigned char)s[i]);
	b->len = n;
	b->ptr[n] = '\0';
	return 0;
}

static int f_contains(struct eval *ev, const struct enode *call, evalue *out)
{
	evalue hl = EVALUE_INIT, hr = EVALUE_INIT;
	struct strview l, r;
	svc_buf a, b;
	int rc = two_strings(ev, call, &hl, &l, &hr, &r);

	if (rc)
		return rc;
	if (r.n == 0) {
		set_bool(out, 1);
	} else if (r.n > l.n) {
		set_bool(out, 0);
	} else if (!(rc = fold_copy(ev, l.p, l.n, &a))) {
		if (!(rc = fold_copy(ev, r.p, r.n, &b))) {
			set_bool(out, memmem(a.ptr, a.len, b.ptr, b.len) != NULL);
			buf_clear(&b);
		}
		buf_clear(&a);
	}
	evalue_clear(&hl);
	evalue_clear(&hr);
	return rc;
}

static int affix(struct eval *ev, const struct enode *call, evalue *out,
		 int at_end)
{
	evalue hl = EVALUE_INIT, hr = EVALUE_INIT;
	struct strview l, r;
	int rc = two_strings(ev, call, &hl, &l, &hr, &r);

	if (rc)
		return rc;
	set_bool(out, r.n <= l.n &&
		 icase_eq(l.p + (at_end ? l.n - r.n : 0), r.n, r.p, r.n));
	evalue_clear(&hl);
	evalue_clear(&hr);
	return 0;
}

static int f_startswith(struct eval *ev, const struct enode *call,
			evalue *out)
{
	return affix(ev, call, out, 0);
}

static int f_endswith(struct eval *ev, const struct enode *call, evalue *out)
{
	return affix(ev, call, out, 1);
}

static int f_in(struct eval *ev, const struct enode *call, evalue *out)
{
	evalue l = EVALUE_INIT;
	size_t i;
	int rc = arg(ev, call, 0, &l), found = 0;

	if (rc)
		return rc;
	for (i = 1; i < call->nargs && !found; i++) {
		evalue r = EVALUE_INIT;

		if ((rc = arg(ev, call, i, &r))) {
			evalue_clear(&l);
			return rc;
		}
		found = values_equal(&l, &r);
		evalue_clear(&r);
	}
	evalue_clear(&l);
	set_bool(out, found);
	return 0;
}

static int f_notin(struct eval *ev, const struct enode *call, evalue *out)
{
	int rc = f_in(ev, call, out);

	if (!rc)
		out->b = !out->b;
	return rc;
}

static int f_containsvalue(struct eval *ev, const struct enode *call,
			   evalue *out)
{
	evalue coll = EVALUE_INIT, needle = EVALUE_INIT;
	const ynode *n;
	size_t i, first, stride;
	int rc = arg(ev, call, 0, &coll), found = 0;

	if (rc)
		return rc;
	if (coll.kind != EV_NODE) {
		evalue_clear(&coll);
		set_bool(out, 0);
		return 0;
	}
	if ((rc = arg(ev, call, 1, &needle))) {
		evalue_clear(&coll);
		return rc;
	}
	n = coll.node;
	first = n->kind == YNODE_MAP ? 1 : 0;
	stride = n->kind == YNODE_MAP ? 2 : 1;
	for (i = first; i < n->n && !found && !rc; i += stride) {
		evalue item = EVALUE_INIT;

		if ((rc = step(ev, call->pos)))
			break;
		if (evalue_from_item(&item, n->items[i], &coll)) {
			rc = oom(ev);
			break;
		}
		found = values_equal(&needle, &item);
		evalue_clear(&item);
	}
	evalue_clear(&coll);
	evalue_clear(&needle);
	if (!rc)
		set_bool(out, found);
	return rc;
}

static int f_coalesce(struct eval *ev, const struct enode *call, evalue *out)
{
	size_t i;
	int rc;

	for (i = 0; i < call->nargs; i++) {
		evalue v = EVALUE_INIT;

		if ((rc = arg(ev, call, i, &v)))
			return rc;
		if (i + 1 < call->nargs && (v.kind == EV_NULL ||
					    (v.kind == EV_STRING && v.len == 0))) {
			evalue_clear(&v);
			continue;
		}
		*out = v;
		return 0;
	}
	memset(out, 0, sizeof(*out));
	return 0;
}

/* format(): the service's parser for {N}, {N:spec}, {{ and }}. */
static int f_format(struct eval *ev, const struct enode *call, evalue *out)
{
	evalue hf = EVALUE_INIT, *cache = NULL;
	unsigned char *have = NULL;
	struct strview fs;
	svc_buf b;
	size_t nfa = call->nargs - 1, i = 0;
	char q[64];
	int rc = arg_string(ev, call, 0, &hf, &fs);

	if (rc)
		return rc;
	out_init(&b);
	if (nfa && (!(cache = calloc(nfa, sizeof(*cache))) ||
		    !(have = calloc(nfa, 1)))) {
		rc = oom(ev);
		goto done;
	}
	while (i < fs.n && !rc) {
		const char *s = fs.p;
		size_t n = fs.n;
		const char *lbp = memchr(s + i, '{', n - i);
		const char *rbp = memchr(s + i, '}', n - i);
		size_t lb = lbp ? (size_t)(lbp - s) : 0;
		size_t rb = rbp ? (size_t)(rbp - s) : 0;

		if (lbp && (!rbp || rb > lb)) {
			size_t j = lb + 1, idx = 0, nd = 0, close;
			struct strview av;

			if (j < n && s[j] == '{') {
				rc = out_put(ev, call->pos, &b, s + i, lb + 1 - i);
				i = lb + 2;
				continue;
			}
			if (!rbp)
				goto invalid;
			while (j < n && is_digit(s[j])) {
				idx = idx * 10 + (size_t)(s[j] - '0');
				if (idx > 255)
					goto invalid;
				nd++;
				j++;
			}
			if (nd == 0)
				goto invalid;
			if (j < n && s[j] == ':') {
				/* a format specifier: skipped, no dates here */
				for (j++; j < n; j++) {
					if (s[j] != '}')
						continue;
					if (j + 1 < n && s[j + 1] == '}')
						j++;
					else
						break;
				}
				if (j >= n)
					goto invalid;
			} else if (j >= n || s[j] != '}') {
				goto invalid;
			}
			close = j;
			if (idx >= nfa) {
				rc = fail(ev, call->pos,
					  "format argument {%zu} out of range: %zu argument%s given",
					  idx, nfa, nfa == 1 ? "" : "s");
				break;
			}
			if (!have[idx]) {
				if ((rc = arg(ev, call, idx + 1, &cache[idx])))
					break;
				have[idx] = 1;
			}
			if (as_string(&cache[idx], &av)) {
				rc = fail(ev, call->args[idx + 1]->pos,
					  "cannot convert %s to a string",
					  evalue_kind_name(&cache[idx]));
				break;
			}
			if (!(rc = out_put(ev, call->pos, &b, s + i, lb - i)))
				rc = out_put(ev, call->pos, &b, av.p, av.n);
			i = close + 1;
		} else if (rbp) {
			if (rb + 1 >= n || s[rb + 1] != '}')
				goto invalid;
			rc = out_put(ev, call->pos, &b, s + i, rb + 1 - i);
			i = rb + 2;
		} else {
			rc = out_put(ev, call->pos, &b, s + i, n - i);
			break;
		}
		continue;
invalid:
		rc = fail(ev, call->args[0]->pos, "invalid format string '%s'",
			  expr_excerpt(fs.p, fs.n, q));
	}
	if (!rc)
		rc = out_string(ev, &b, out);
done:
	buf_clear(&b);
	for (i = 0; i < nfa && cache; i++)
		evalue_clear(&cache[i]);
	free(cache);
	free(have);
	evalue_clear(&hf);
	return rc;
}

static int f_join(struct eval *ev, const struct enode *call, evalue *out)
{
	evalue coll = EVALUE_INIT, hs = EVALUE_INIT;
	struct strview sep, sv;
	svc_buf b;
	size_t i;
	int rc = arg(ev, call, 1, &coll);

	if (rc)
		return rc;
	out_init(&b);
	sep.p = "";
	sep.n = 0;
	if (coll.kind == EV_NODE && coll.node->kind == YNODE_SEQ) {
		const ynode *n = coll.node;

		for (i = 0; i < n->n && !rc; i++) {
			evalue item = EVALUE_INIT;

			if ((rc = step(ev, call->pos)))
				break;
			if (i == 1 &&
			    (rc = arg_string(ev, call, 0, &hs, &sep)))
				break;
			if (i > 0 &&
			    (rc = out_put(ev, call->pos, &b, sep.p, sep.n)))
				break;
			if (evalue_from_item(&item, n->items[i], &coll)) {
				rc = oom(ev);
				break;
			}
			/* an item that is a collection joins as '' */
			if (!as_string(&item, &sv))
				rc = out_put(ev, call->pos, &b, sv.p, sv.n);
			evalue_clear(&item);
		}
	} else if (!as_string(&coll, &sv)) {
		rc = out_put(ev, call->pos, &b, sv.p, sv.n);
	}
	if (!rc)
		rc = out_string(ev, &b, out);
	buf_clear(&b);
	evalue_clear(&hs);
	evalue_clear(&coll);
	return rc;
}

static int change_case(struct eval *ev, const struct enode *call,
		       evalue *out, int (*conv)(int))
{
	evalue h = EVALUE_INIT;
	struct strview sv;
	svc_buf b;
	size_t i;
	int rc = arg_string(ev, call, 0, &h, &sv);

	if (rc)
		return rc;
	out_init(&b);
	if (!(rc = out_put(ev, call->pos, &b, sv.p, sv.n))) {
		for (i = 0; i < b.len; i++)
			b.ptr[i] = (char)conv((unsigned char)b.ptr[i]);
		rc = out_string(ev, &b, out);
	}
	buf_clear(&b);
	evalue_clear(&h);
	return rc;
}

static int f_lower(struct eval *ev, const struct enode *call, evalue *out)
{
	return change_case(ev, call, out, low);
}

static int f_upper(struct eval *ev, const struct enode *call, evalue *out)
{
	return change_case(ev, call, out, up);
}

static int f_length(struct eval *ev, const struct enode *call, evalue *out)
{
	evalue v = EVALUE_INIT;
	int rc = arg(ev, call, 0, &v);

	if (rc)
		return rc;
	if (v.kind == EV_STRING)
		set_number(out, (double)utf16_len(v.str, v.len));
	else if (v.kind == EV_NODE)
		set_number(out, (double)(v.node->kind == YNODE_MAP ? v.node->n / 2
								  : v.node->n));
	else
		rc = fail(ev, call->args[0]->pos,
			  "cannot take the length of %s", evalue_kind_name(&v));
	evalue_clear(&v);
	return rc;
}

static int f_replace(struct eval *ev, const struct enode *call, evalue *out)
{
	evalue hs = EVALUE_INIT, ho = EVALUE_INIT, hn = EVALUE_INIT;
	struct strview s, o, nw;
	svc_buf b;
	size_t i = 0;
	int rc = two_strings(ev, call, &hs, &s, &ho, &o);

	if (rc)
		return rc;
	if ((rc = arg_string(ev, call, 2, &hn, &nw)))
		goto done;
	out_init(&b);
	while (!rc && i < s.n && o.n > 0) {
		const char *p = memmem(s.p + i, s.n - i, o.p, o.n);

		if (!p)
			break;
		if (!(rc = out_put(ev, call->pos, &b, s.p + i,
				   (size_t)(p - (s.p + i)))))
			rc = out_put(ev, call->pos, &b, nw.p, nw.n);
		i = (size_t)(p - s.p) + o.n;
	}
	if (!rc)
		rc = out_put(ev, call->pos, &b, s.p + i, s.n - i);
	if (!rc)
		rc = out_string(ev, &b, out);
	buf_clear(&b);
done:
	evalue_clear(&hs);
	evalue_clear(&ho);
	evalue_clear(&hn);
	return rc;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* A string part of split() as a quoted scalar node in items. */
static int split_part(struct eval *ev, size_t pos, svc_buf *items,
		      const char *p, size_t n)
{
	ynode *node;
	int rc;

	if ((rc = charge(ev, pos, sizeof(*node) + n + 1)))
		return rc;
	node = calloc(1, sizeof(*node));
	if (!node || !(node->scalar = malloc(n + 1))) {
		free(node);
		return oom(ev);
	}
	node->kind = YNODE_SCALAR;
	if (n)
		memcpy(node->scalar, p, n);
	node->scalar[n] = '\0';
	node->len = n;
	if ((rc = arena_keep(ev, node)))
		return rc;
	return push_item(ev, pos, items, node);
}

static int f_split(struct eval *ev, const struct enode *call, evalue *out)
{
	evalue hs = EVALUE_INIT, hd = EVALUE_INIT;
	struct strview s, d;
	unsigned char ascii[16];
	svc_buf wide, items;
	size_t i, l, start = 0, nwide;
	uint32_t cp;
	int rc = two_strings(ev, call, &hs, &s, &hd, &d);

	if (rc)
		return rc;
	/* the delimiter set: a bitmap for ASCII, a sorted array beyond */
	memset(ascii, 0, sizeof(ascii));
	buf_init(&wide, 0, 0);
	for (i = 0; i < d.n && !rc; i += l) {
		l = utf8_at(d.p, d.n, i, &cp);
		if (cp < 0x80)
			ascii[cp >> 3] |= (unsigned char)(1u << (cp & 7));
		else if (buf_put(&wide, &cp, sizeof(cp)))
			rc = oom(ev);
	}
	nwide = wide.len / sizeof(uint32_t);
	if (nwide > 1)
		qsort(wide.ptr, nwide, sizeof(uint32_t), cmp_u32);
	out_init(&items);
	for (i = 0; i < s.n && !rc; i += l) {
		int delim;

		l = utf8_at(s.p, s.n, i, &cp);
		if (d.n == 0)
			delim = is_space_cp(cp);
		else if (cp < 0x80)
			delim = (ascii[cp >> 3] >> (cp & 7)) & 1;
		else
			delim = nwide && bsearch(&cp, wide.ptr, nwide,
						 sizeof(uint32_t), cmp_u32);
		if (delim) {
			rc = split_part(ev, call->pos, &items, s.p + start,
					i - start);
			start = i + l;
		}
	}
	if (!rc)
		rc = split_part(ev, call->pos, &items, s.p + start, s.n - start);
	if (!rc)
		rc = make_seq(ev, call->pos, &items, out);
	buf_clear(&items);
	buf_clear(&wide);
	evalue_clear(&hs);
	evalue_clear(&hd);
	return rc;
}

static int f_trim(struct eval *ev, const struct enode *call, evalue *out)
{
	evalue h = EVALUE_INIT;
	struct strview sv;
	svc_buf b;
	size_t i = 0, n, l;
	int rc = arg_string(ev, call, 0, &h, &sv);

	if (rc)
		return rc;
	n = sv.n;
	while (i < n && (l = space_at(sv.p, n, i)))
		i += l;
	while (n > i) {
		size_t k = n - 1;

		while (k > i && ((unsigned char)sv.p[k] & 0xC0) == 0x80)
			k--;
		if (!space_at(sv.p, n, k))
			break;
		n = k;
	}
	out_init(&b);
	if (!(rc = out_put(ev, call->pos, &b, sv.p + i, n - i)))
		rc = out_string(ev, &b, out);
	buf_clear(&b);
	evalue_clear(&h);
	return rc;
}

static int f_iif(struct eval *ev, const struct enode *call, evalue *out)
{
	evalue c = EVALUE_INIT;
	int rc = arg(ev, call, 0, &c), t;

	if (rc)
		return rc;
	t = evalue_truthy(&c);
	evalue_clear(&c);
	return arg(ev, call, t ? 1 : 2, out);
}

/* A JSON string literal, escaped as Newtonsoft.Json does by default. */
static int json_string(struct eval *ev, size_t pos, svc_buf *b,
		       const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, run = 0;
	int rc = out_put(ev, pos, b, "\"", 1);

	for (i = 0; i < n && !rc; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[8];
		size_t el = 0;

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			el = 2;
		} else if (c < 0x20) {
			esc[0] = '\\';
			el = 2;
			switch (c) {
			case '\b': esc[1] = 'b'; break;
			case '\t': esc[1] = 't'; break;
			case '\n': esc[1] = 'n'; break;
			case '\f': esc[1] = 'f'; break;
			case '\r': esc[1] = 'r'; break;
			default:
				memcpy(esc + 1, "u00", 3);
				esc[4] = hex[c >> 4];
				esc[5] = hex[c & 15];
				el = 6;
			}
		} else if (c == 0xC2 && i + 1 < n &&
			   (unsigned char)s[i + 1] == 0x85) {
			memcpy(esc, "\\u0085", 6);
			el = 6;
		} else if (c == 0xE2 && i + 2 < n &&
			   (unsigned char)s[i + 1] == 0x80 &&
			   ((unsigned char)s[i + 2] == 0xA8 ||
			    (unsigned char)s[i + 2] == 0xA9)) {
			memcpy(esc, (unsigned char)s[i + 2] == 0xA8 ? "\\u2028"
								     : "\\u2029", 6);
			el = 6;
		}
		if (!el) {
			run++;
			continue;
		}
		if (run)
			rc = out_put(ev, pos, b, s + i - run, run);
		run = 0;
		if (!rc)
			rc = out_put(ev, pos, b, esc, el);
		if (el == 6 && c >= 0x80)
			i += c == 0xC2 ? 1 : 2;
	}
	if (!rc && run)
		rc = out_put(ev, pos, b, s + n - run, run);
	if (!rc)
		rc = out_put(ev, pos, b, "\"", 1);
	return rc;
}

/* A scalar value as JSON. */
static int json_scalar(struct eval *ev, size_t pos, svc_buf *b,
		       const evalue *v)
{
	char num[64];

	switch (v->kind) {
	case EV_BOOL:
		return v->b ? out_put(ev, pos, b, "true", 4)
			    : out_put(ev, pos, b, "false", 5);
	case EV_NUMBER:
		return out_put(ev, pos, b, num, fmt_number(v->num, num));
	case EV_STRING:
		return json_string(ev, pos, b, v->str, v->len);
	default:
		return out_put(ev, pos, b, "null", 4);
	}
}

static int indent(struct eval *ev, size_t pos, svc_buf *b, size_t level)
{
	static const char spaces[] = "                                ";
	int rc = 0;

	level *= 2;
	while (level && !rc) {
		size_t k = level < sizeof(spaces) - 1 ? level : sizeof(spaces) - 1;

		rc = out_put(ev, pos, b, spaces, k);
		level -= k;
	}
	return rc;
}

/* A frame of the convertToJson() walk. */
struct jframe {
	const ynode *n;         /**< the collection being written */
	size_t i;               /**< index of its next item in n->items */
};

/* Open a collection: "[]"/"{}" when empty, else "[" or "{" and a frame. */
static int json_open(struct eval *ev, size_t pos, svc_buf *b,
		     svc_buf *stack, const ynode *n)
{
	int map = n->kind == YNODE_MAP;
	struct jframe f;
	int rc;

	if (n->n == 0)
		return out_put(ev, pos, b, map ? "{}" : "[]", 2);
	f.n = n;
	f.i = 0;
	if ((rc = out_put(ev, pos, stack, &f, sizeof(f))))
		return rc;
	return out_put(ev, pos, b, map ? "{" : "[", 1);
}

/* convertToJson(): the service's layout, two-space indents. */
static int f_converttojson(struct eval *ev, const struct enode *call,
			   evalue *out)
{
	evalue v = EVALUE_INIT;
	svc_buf b, stack;
	size_t pos = call->pos;
	int rc = arg(ev, call, 0, &v);

	if (rc)
		return rc;
	out_init(&b);
	out_init(&stack);
	if (v.kind != EV_NODE)
		rc = json_scalar(ev, pos, &b, &v);
	else
		rc = json_open(ev, pos, &b, &stack, v.node);
	while (!rc && stack.len) {
		size_t depth = stack.len / sizeof(struct jframe);
		struct jframe *f = (struct jframe *)(void *)stack.ptr + depth - 1;
		const ynode *child;
		int map = f->n->kind == YNODE_MAP;

		if ((rc = step(ev, pos)))
			break;
		if (f->i + (map ? 1 : 0) >= f->n->n) {
			stack.len -= sizeof(struct jframe);
			if (!(rc = out_put(ev, pos, &b, "\n", 1)) &&
			    !(rc = indent(ev, pos, &b, depth - 1)))
				rc = out_put(ev, pos, &b, map ? "}" : "]", 1);
			continue;
		}
		if (f->i > 0 && (rc = out_put(ev, pos, &b, ",", 1)))
			break;
		if ((rc = out_put(ev, pos, &b, "\n", 1)) ||
		    (rc = indent(ev, pos, &b, depth)))
			break;
		if (map) {
			const ynode *key = f->n->items[f->i];

			rc = json_string(ev, pos, &b, key->scalar ? key->scalar : "",
					 key->scalar ? key->len : 0);
			if (!rc)
				rc = out_put(ev, pos, &b, ": ", 2);
			child = f->n->items[f->i + 1];
			f->i += 2;
		} else {
			child = f->n->items[f->i];
			f->i += 1;
		}
		if (rc)
			break;
		if (child->kind == YNODE_SCALAR) {
			evalue sv = EVALUE_INIT;

			if (scalar_value(&sv, child)) {
				rc = oom(ev);
				break;
			}
			rc = json_scalar(ev, pos, &b, &sv);
			evalue_clear(&sv);
		} else {
			rc = json_open(ev, pos, &b, &stack, child);
		}
	}
	if (!rc)
		rc = out_string(ev, &b, out);
	buf_clear(&b);
	buf_clear(&stack);
	evalue_clear(&v);
	return rc;
}

static const struct func funcs[] = {
	{ "and", 2, EXPR_MAX_ARGS, f_and },
	{ "coalesce", 2, EXPR_MAX_ARGS, f_coalesce },
	{ "contains", 2, 2, f_contains },
	{ "containsValue", 2, 2, f_containsvalue },
	{ "convertToJson", 1, 1, f_converttojson },
	{ "endsWith", 2, 2, f_endswith },
	{ "eq", 2, 2, f_eq },
	{ "format", 1, 255, f_format },
	{ "ge", 2, 2, f_ge },
	{ "gt", 2, 2, f_gt },
	{ "iif", 3, 3, f_iif },
	{ "in", 2, EXPR_MAX_ARGS, f_in },
	{ "join", 2, 2, f_join },
	{ "le", 2, 2, f_le },
	{ "length", 1, 1, f_length },
	{ "lower", 1, 1, f_lower },
	{ "lt", 2, 2, f_lt },
	{ "ne", 2, 2, f_ne },
	{ "not", 1, 1, f_not },
	{ "notIn", 2, EXPR_MAX_ARGS, f_notin },
	{ "or", 2, EXPR_MAX_ARGS, f_or },
	{ "replace", 3, 3, f_replace },
	{ "split", 2, 2, f_split },
	{ "startsWith", 2, 2, f_startswith },
	{ "trim", 1, 1, f_trim },
	{ "upper", 1, 1, f_upper },
	{ "xor", 2, 2, f_xor },
};

/* A job status function: asks the runtime with its arguments as strings. */
static int f_status(struct eval *ev, const struct enode *call, evalue *out)
{
	const char **args = calloc(call->nargs + 1, sizeof(*args));
	evalue v = EVALUE_INIT;
	struct strview sv;
	size_t i;
	int rc = 0, b = 0;

	if (!args)
		return oom(ev);
	for (i = 0; i < call->nargs && !rc; i++) {
		if (!(rc = arg_string(ev, call, i, &v, &sv)) &&
		    !(args[i] = strndup(sv.p, sv.n)))
			rc = oom(ev);
		evalue_clear(&v);
	}
	if (!rc && (rc = ev->rt->status(ev->rt->ctx, call->fn->name, args,
					call->nargs, &b)))
		fail(ev, call->pos, "%s", svc_error_last());
	for (i = 0; i < call->nargs; i++)
		free((char *)args[i]);
	free(args);
	if (!rc)
		set_bool(out, b);
	return rc;
}

/* The job status functions of runtime expressions and conditions. */
static const struct func status_funcs[] = {
	{ "always", 0, 0, f_status },
	{ "canceled", 0, 0, f_status },
	{ "failed", 0, EXPR_MAX_ARGS, f_status },
	{ "succeeded", 0, EXPR_MAX_ARGS, f_status },
	{ "succeededOrFailed", 0, EXPR_MAX_ARGS, f_status },
};

/* Functions of runtime expressions ($[ ]) and conditions only. */
static const char *const runtime_only[] = {
	"counter", "always", "canceled", "failed", "succeeded",
	"succeededOrFailed", NULL
};

static const struct func *find_func(const struct eval *ev, const char *s,
				    size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(funcs) / sizeof(funcs[0]); i++)
		if (icase_eq(funcs[i].name, strlen(funcs[i].name), s, n))
			return &funcs[i];
	for (i = 0; ev->rt && i < sizeof(status_funcs) / sizeof(status_funcs[0]); i++)
		if (icase_eq(status_funcs[i].name, strlen(status_funcs[i].name), s, n))
			return &status_funcs[i];
	return NULL;
}

static int is_runtime_only(const char *s, size_t n)
{
	size_t i;

	for (i = 0; runtime_only[i]; i++)
		if (icase_eq(runtime_only[i], strlen(runtime_only[i]), s, n))
			return 1;
	return 0;
}

static int eval_node(struct eval *ev, const struct enode *n, evalue *out)
{
	evalue v = EVALUE_INIT;
	int rc;

	if ((rc = step(ev, n->pos)))
		return rc;
	if (n->kind == N_CALL)
		rc = n->fn->fn(ev, n, &v);
	else if (evalue_copy(&v, &n->val))
		rc = oom(ev);
	if (!rc && n->nacc)
		rc = apply_accessors(ev, n, &v);
	/* strings copied from names and properties count like results */
	if (!rc && v.kind == EV_STRING && (n->kind != N_CALL || n->nacc))
		rc = charge(ev, n->pos, v.len);
	if (rc) {
		evalue_clear(&v);
		return rc;
	}
	*out = v;
	return 0;
}

/* ------------------------------------------------------------------------
 * Lexer and parser
 */

enum tok_kind {
	T_END, T_LPAREN, T_RPAREN, T_LBRACK, T_RBRACK, T_COMMA, T_DOT,
	T_STAR, T_STRING, T_NUMBER, T_WORD
};

struct token {
	enum tok_kind kind;     /**< what it is */
	size_t pos;             /**< byte offset in the text */
	size_t len;             /**< length in bytes */
};

struct parser {
	struct eval *ev;        /**< text, errors, lookups, node list */
	const char *s;          /**< the text */
	size_t n;               /**< its length */
	size_t i;               /**< where the lexer is */
	struct token tok;       /**< the current token */
	int have_prev;          /**< a token came before the current one */
	enum tok_kind prev;     /**< the kind of that token */
};

/* Ends a number or keyword, as in the service's lexer. */
static int is_stop(const char *s, size_t n, size_t i)
{
	char c = s[i];

	return c == '(' || c == ')' || c == ',' || c == '.' || c == '[' ||
	       c == ']' || space_at(s, n, i) > 0;
}

/* Read the next token into p->tok. */
static void lex(struct parser *p)
{
	const char *s = p->s;
	size_t n = p->n, i = p->i, l;
	struct token t;

	if (p->tok.kind != T_END || p->have_prev) {
		p->prev = p->tok.kind;
		p->have_prev = 1;
	}
	while (i < n && (l = space_at(s, n, i)))
		i += l;
	t.pos = i;
	t.len = 1;
	if (i >= n) {
		t.kind = T_END;
		t.len = 0;
	} else if (s[i] == '\'') {
		size_t j = i + 1;

		t.kind = T_STRING;
		for (;;) {
			if (j >= n) {
				t.kind = T_WORD;        /* unterminated */
				break;
			}
			if (s[j] == '\'') {
				if (j + 1 < n && s[j + 1] == '\'') {
					j += 2;
					continue;
				}
				j++;
				break;
			}
			j++;
		}
		t.len = j - i;
	} else if (s[i] == '(' || s[i] == ')' || s[i] == '[' || s[i] == ']' ||
		   s[i] == ',' || s[i] == '*') {
		t.kind = s[i] == '(' ? T_LPAREN : s[i] == ')' ? T_RPAREN :
			 s[i] == '[' ? T_LBRACK : s[i] == ']' ? T_RBRACK :
			 s[i] == ',' ? T_COMMA : T_STAR;
	} else if (s[i] == '.' && p->have_prev && p->prev != T_COMMA &&
		   p->prev != T_LBRACK && p->prev != T_LPAREN) {
		t.kind = T_DOT;
	} else {
		size_t j = i + 1;
		int number = s[i] == '-' || s[i] == '.' || is_digit(s[i]);

		while (j < n && (!is_stop(s, n, j) || (number && s[j] == '.')))
			j++;
		t.kind = number ? T_NUMBER : T_WORD;
		t.len = j - i;
	}
	p->i = t.pos + t.len;
	p->tok = t;
}

/* The kind of the token after the current one. */
static enum tok_kind peek(struct parser *p)
{
	struct parser save = *p;
	enum tok_kind k;

	lex(p);
	k = p->tok.kind;
	*p = save;
	return k;
}

/* [A-Za-z_][A-Za-z0-9_-]*, the service's keywords (hyphens allowed). */
static int is_keyword(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || !((s[0] >= 'a' && s[0] <= 'z') ||
			(s[0] >= 'A' && s[0] <= 'Z') || s[0] == '_'))
		return 0;
	for (i = 1; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      is_digit(s[i]) || s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
}

static int perr_token(struct parser *p, const struct token *t)
{
	char q[64];

	if (t->kind == T_END)
		return fail(p->ev, t->pos, "unexpected end of expression");
	return fail(p->ev, t->pos, "unexpected symbol '%s'",
		    expr_excerpt(p->s + t->pos, t->len, q));
}

static int new_node(struct parser *p, enum enode_kind kind, size_t pos,
		    struct enode **out)
{
	struct enode *n = calloc(1, sizeof(*n));

	if (!n)
		return oom(p->ev);
	if (buf_put(&p->ev->nodes, &n, sizeof(n))) {
		free(n);
		return oom(p->ev);
	}
	n->kind = kind;
	n->pos = pos;
	*out = n;
	return 0;
}

static void free_nodes(struct eval *ev)
{
	struct enode **all = (struct enode **)(void *)ev->nodes.ptr;
	size_t i, n = ev->nodes.len / sizeof(*all);

	for (i = 0; i < n; i++) {
		evalue_clear(&all[i]->val);
		free(all[i]->args);
		free(all[i]->acc);
		free(all[i]);
	}
	buf_clear(&ev->nodes);
}

/* A string, number or version literal from the current token. */
static int parse_literal(struct parser *p, struct enode **out)
{
	const struct token t = p->tok;
	const char *s = p->s + t.pos;
	struct enode *n = NULL;
	char q[64];
	double d;
	size_t i, dots = 0;
	int rc;

	if ((rc = new_node(p, N_LITERAL, t.pos, &n)))
		return rc;
	if (t.kind == T_STRING) {
		svc_buf b;

		buf_init(&b, 0, 0);
		if (buf_grow(&b, t.len))
			return oom(p->ev);
		for (i = 1; i + 1 < t.len; i++) {
			b.ptr[b.len++] = s[i];
			if (s[i] == '\'')
				i++;    /* '' stands for ' */
		}
		b.ptr[b.len] = '\0';
		n->val.kind = EV_STRING;
		n->val.str = buf_detach(&b, &n->val.len);
		if (!n->val.str)
			return oom(p->ev);
		*out = n;
		return 0;
	}
	for (i = 0; i < t.len; i++)
		dots += s[i] == '.';
	if (dots >= 2) {
		/* a version, 1.2.3 or 1.2.3.4: kept as a string */
		unsigned parts = 1, digits = 0;
		int ok = 1;

		for (i = 0; i < t.len && ok; i++) {
			if (s[i] == '.') {
				ok = digits > 0 && digits <= 9;
				parts++;
				digits = 0;
			} else {
				ok = is_digit(s[i]);
				digits++;
			}
		}
		if (ok && digits > 0 && digits <= 9 && parts <= 4) {
			if (evalue_set_string(&n->val, s, t.len))
				return oom(p->ev);
			*out = n;
			return 0;
		}
	} else {
		size_t off = s[0] == '-' ? 1 : 0;

		if (t.len > off + 2 && s[off] == '0' &&
		    (s[off + 1] == 'x' || s[off + 1] == 'X') &&
		    parse_radix(s + off + 2, t.len - off - 2, 16, &d)) {
			set_number(&n->val, off ? -d : d);
			*out = n;
			return 0;
		}
		if (parse_decimal(s, t.len, 0, &d)) {
			set_number(&n->val, d);
			*out = n;
			return 0;
		}
	}
	return fail(p->ev, t.pos, "unrecognized value '%s'",
		    expr_excerpt(s, t.len, q));
}

static int parse_value(struct parser *p, unsigned depth, struct enode **out);

/* Accesses after a name or a call: .name, .*, [expr], [*]. */
static int parse_accessors(struct parser *p, unsigned depth, struct enode *n)
{
	svc_buf acc;
	int rc = 0;

	buf_init(&acc, 0, 0);
	while (!rc && (p->tok.kind == T_DOT || p->tok.kind == T_LBRACK)) {
		struct accessor a;

		memset(&a, 0, sizeof(a));
		a.pos = p->tok.pos;
		if (p->tok.kind == T_DOT) {
			lex(p);
			if (p->tok.kind == T_STAR) {
				a.kind = A_WILD;
			} else if (p->tok.kind == T_WORD &&
				   is_keyword(p->s + p->tok.pos, p->tok.len)) {
				a.kind = A_PROP;
				a.name = p->s + p->tok.pos;
				a.nlen = p->tok.len;
			} else if (p->tok.kind == T_END) {
				rc = fail(p->ev, p->tok.pos,
					  "expected a property name after '.'");
				break;
			} else {
				rc = perr_token(p, &p->tok);
				break;
			}
			lex(p);
		} else {
			if (depth + 1 >= EXPR_MAX_DEPTH) {
				rc = fail(p->ev, p->tok.pos,
					  "expression nested too deeply (%d levels or more)",
					  EXPR_MAX_DEPTH);
				break;
			}
			lex(p);
			if (p->tok.kind == T_STAR) {
				a.kind = A_WILD;
				lex(p);
			} else {
				a.kind = A_INDEX;
				if ((rc = parse_value(p, depth + 1, &a.index)))
					break;
			}
			if (p->tok.kind != T_RBRACK) {
				rc = p->tok.kind == T_END
					? fail(p->ev, p->tok.pos, "expected ']'")
					: perr_token(p, &p->tok);
				break;
			}
			lex(p);
		}
		if (buf_put(&acc, &a, sizeof(a)))
			rc = oom(p->ev);
	}
	if (!rc && acc.len) {
		n->nacc = acc.len / sizeof(struct accessor);
		n->acc = (struct accessor *)(void *)buf_detach(&acc, NULL);
		if (!n->acc)
			rc = oom(p->ev);
	}
	buf_clear(&acc);
	return rc;
}

/* name(args...) with the current token on the name. */
static int parse_call(struct parser *p, unsigned depth, const struct func *fn,
		      struct enode **out)
{
	struct token name = p->tok;
	struct enode *n = NULL;
	svc_buf args;
	int rc;

	if (depth + 1 >= EXPR_MAX_DEPTH)
		return fail(p->ev, name.pos, "expression nested too deeply (%d levels or more)",
			    EXPR_MAX_DEPTH);
	if ((rc = new_node(p, N_CALL, name.pos, &n)))
		return rc;
	n->fn = fn;
	lex(p);         /* ( */
	lex(p);
	buf_init(&args, 0, 0);
	while (p->tok.kind != T_RPAREN) {
		struct enode *a = NULL;

		if (args.len / sizeof(a) >= EXPR_MAX_ARGS) {
			rc = fail(p->ev, p->tok.pos,
				  "too many arguments to '%s' (limit %d)",
				  fn->name, EXPR_MAX_ARGS);
			break;
		}
		if ((rc = parse_value(p, depth + 1, &a)))
			break;
		if (buf_put(&args, &a, sizeof(a))) {
			rc = oom(p->ev);
			break;
		}
		if (p->tok.kind == T_COMMA) {
			lex(p);
			if (p->tok.kind == T_RPAREN) {
				rc = perr_token(p, &p->tok);
				break;
			}
		} else if (p->tok.kind == T_END) {
			rc = fail(p->ev, p->tok.pos, "expected ')'");
			break;
		} else if (p->tok.kind != T_RPAREN) {
			rc = perr_token(p, &p->tok);
			break;
		}
	}
	if (!rc) {
		n->nargs = args.len / sizeof(struct enode *);
		if (n->nargs < fn->min || n->nargs > fn->max) {
			if (fn->min == fn->max)
				rc = fail(p->ev, name.pos,
					  "wrong number of arguments to '%s' (expected %u, got %zu)",
					  fn->name, fn->min, n->nargs);
			else if (n->nargs < fn->min)
				rc = fail(p->ev, name.pos,
					  "wrong number of arguments to '%s' (expected at least %u, got %zu)",
					  fn->name, fn->min, n->nargs);
			else
				rc = fail(p->ev, name.pos,
					  "wrong number of arguments to '%s' (expected at most %u, got %zu)",
					  fn->name, fn->max, n->nargs);
		}
	}
	if (!rc && n->nargs) {
		n->args = (struct enode **)(void *)buf_detach(&args, NULL);
		if (!n->args)
			rc = oom(p->ev);
	}
	buf_clear(&args);
	if (rc)
		return rc;
	lex(p);         /* past ) */
	if ((rc = parse_accessors(p, depth, n)))
		return rc;
	*out = n;
	return 0;
}

/*
 * A root name of a runtime expression with its accessors: the literal path
 * after it goes to the runtime, which takes what it needs of it.
 */
static int runtime_name(struct parser *p, unsigned depth, struct enode *n,
			const char *name)
{
	const char **path;
	size_t i, np = 0, used = 0;
	char q[64];
	int rc;

	lex(p);
	if ((rc = parse_accessors(p, depth, n)))
		return rc;
	if (!(path = calloc(n->nacc + 1, sizeof(*path))))
		return oom(p->ev);
	for (i = 0; i < n->nacc && !rc; i++, np++) {
		const struct accessor *a = &n->acc[i];

		if (a->kind == A_PROP)
			path[i] = strndup(a->name, a->nlen);
		else if (a->kind == A_INDEX && a->index->kind == N_LITERAL &&
			 !a->index->nacc && a->index->val.kind == EV_STRING)
			path[i] = strndup(a->index->val.str, a->index->val.len);
		else
			break;
		if (!path[i])
			rc = oom(p->ev);
	}
	if (!rc)
		rc = p->ev->rt->path(p->ev->rt->ctx, name, path, np, &used,
				     &n->val);
	for (i = 0; i < np; i++)
		free((char *)path[i]);
	free(path);
	if (rc == SVC_ENOTFOUND)
		return fail(p->ev, n->pos, "name '%s' is not defined",
			    expr_excerpt(name, strlen(name), q));
	if (rc) {
		fail(p->ev, n->pos, "%s", svc_error_last());
		return rc;
	}
	if (used > n->nacc)
		used = n->nacc;
	/* what the runtime consumed is no longer applied to the value */
	memmove(n->acc, n->acc + used, (n->nacc - used) * sizeof(*n->acc));
	n->nacc -= used;
	return 0;
}

/* A root name: looked up now, so undefined names fail wherever they are. */
static int parse_name(struct parser *p, unsigned depth, struct enode **out)
{
	const struct token t = p->tok;
	const expr_env *env = p->ev->env;
	struct enode *n = NULL;
	char *name, q[64];
	int rc;

	if ((rc = new_node(p, N_NAME, t.pos, &n)))
		return rc;
	name = strndup(p->s + t.pos, t.len);
	if (!name)
		return oom(p->ev);
	if (p->ev->rt) {
		rc = runtime_name(p, depth, n, name);
		free(name);
		if (!rc)
			*out = n;
		return rc;
	}
	rc = env && env->lookup ? env->lookup(env->ctx, name, &n->val)
				: SVC_ENOTFOUND;
	free(name);
	if (rc == SVC_ENOTFOUND) {
		evalue_clear(&n->val);
		return fail(p->ev, t.pos, "name '%s' is not defined",
			    expr_excerpt(p->s + t.pos, t.len, q));
	}
	if (rc) {
		evalue_clear(&n->val);
		fail(p->ev, t.pos, "looking up '%s' failed: %s",
		     expr_excerpt(p->s + t.pos, t.len, q), svc_error_last());
		return rc;
	}
	if (n->val.kind == EV_NODE && (!n->val.node ||
				       n->val.node->kind == YNODE_SCALAR)) {
		/* a scalar node from the callback: take its value */
		evalue v = EVALUE_INIT;

		if (n->val.node && scalar_value(&v, n->val.node))
			return oom(p->ev);
		evalue_clear(&n->val);
		n->val = v;
	}
	lex(p);
	if ((rc = parse_accessors(p, depth, n)))
		return rc;
	*out = n;
	return 0;
}

static int parse_word(struct parser *p, unsigned depth, struct enode **out)
{
	const struct token t = p->tok;
	const char *s = p->s + t.pos;
	const struct func *fn;
	struct enode *n = NULL;
	char q[64];
	int rc, call;

	if (!is_keyword(s, t.len))
		return fail(p->ev, t.pos, "unrecognized value '%s'",
			    expr_excerpt(s, t.len, q));
	if (icase_eq(s, t.len, "true", 4) || icase_eq(s, t.len, "false", 5) ||
	    icase_eq(s, t.len, "null", 4)) {
		if ((rc = new_node(p, N_LITERAL, t.pos, &n)))
			return rc;
		if (up((unsigned char)s[0]) == 'T')
			set_bool(&n->val, 1);
		else if (up((unsigned char)s[0]) == 'F')
			set_bool(&n->val, 0);
		lex(p);
		*out = n;
		return 0;
	}
	call = peek(p) == T_LPAREN;
	fn = find_func(p->ev, s, t.len);
	if (call && !fn)
		return fail(p->ev, t.pos, !is_runtime_only(s, t.len)
			    ? "unknown function '%s'" : p->ev->rt
			    ? "function '%s' is only available in variable definitions of the service, which svcconn does not keep"
			    : "function '%s' is only available at runtime, not in ${{ }}",
			    expr_excerpt(s, t.len, q));
	if (call)
		return parse_call(p, depth, fn, out);
	if (fn || is_runtime_only(s, t.len)) {
		lex(p);
		return fail(p->ev, p->tok.pos, "expected '(' after '%s'",
			    expr_excerpt(s, t.len, q));
	}
	return parse_name(p, depth, out);
}

static int parse_value(struct parser *p, unsigned depth, struct enode **out)
{
	const struct token t = p->tok;
	int rc;

	switch (t.kind) {
	case T_STRING:
	case T_NUMBER:
		if ((rc = parse_literal(p, out)))
			return rc;
		lex(p);
		return 0;
	case T_WORD:
		if (p->s[t.pos] == '\'') {
			char q[64];

			return fail(p->ev, t.pos, "unterminated string '%s'",
				    expr_excerpt(p->s + t.pos, t.len, q));
		}
		return parse_word(p, depth, out);
	case T_END:
		return fail(p->ev, t.pos, "expected a value");
	default:
		return perr_token(p, &p->tok);
	}
}

/* Reject text longer than the service allows, counting UTF-16 units. */
static int check_length(struct eval *ev)
{
	size_t i = 0, units = 0;
	uint32_t cp;

	while (i < ev->len) {
		size_t l = utf8_at(ev->text, ev->len, i, &cp);

		units += cp >= 0x10000 && cp <= 0x10FFFF ? 2 : 1;
		if (units > EXPR_MAX_LEN)
			return fail(ev, i, "expression longer than %d characters",
				    EXPR_MAX_LEN);
		i += l;
	}
	return 0;
}

/* expr_eval() and expr_eval_runtime(): one of env and rt is NULL. */
static int eval_text(evalue *out, const char *text, size_t len,
		     const expr_env *env, const expr_runtime *rt, char **err)
{
	struct eval ev;
	struct parser p;
	struct enode *root = NULL;
	evalue v = EVALUE_INIT;
	int rc;

	memset(&ev, 0, sizeof(ev));
	ev.text = text ? text : "";
	ev.len = text ? len : 0;
	ev.env = env;
	ev.rt = rt;
	buf_init(&ev.msg, 4096, 0);
	buf_init(&ev.nodes, 0, 0);
	memset(&p, 0, sizeof(p));
	p.ev = &ev;
	p.s = ev.text;
	p.n = ev.len;
	p.tok.kind = T_END;

	if (ev.len > (size_t)EXPR_MAX_LEN * 3)
		rc = fail(&ev, (size_t)EXPR_MAX_LEN * 3,
			  "expression longer than %d characters", EXPR_MAX_LEN);
	else
		rc = check_length(&ev);
	if (!rc) {
		lex(&p);
		if (p.tok.kind == T_END)
			rc = fail(&ev, p.tok.pos, "expected an expression");
		else if (!(rc = parse_value(&p, 0, &root)) &&
			 p.tok.kind != T_END)
			rc = perr_token(&p, &p.tok);
	}
	if (!rc)
		rc = eval_node(&ev, root, &v);
	free_nodes(&ev);
	arena_unref(ev.arena);
	if (rc) {
		evalue_clear(&v);
		if (err) {
			if (ev.msg.len == 0)
				buf_puts(&ev.msg, svc_error_last());
			*err = ev.msg.len ? buf_detach(&ev.msg, NULL)
					  : strdup("invalid expression");
		}
		buf_clear(&ev.msg);
		return rc;
	}
	buf_clear(&ev.msg);
	*out = v;
	return 0;
}

int expr_eval(evalue *out, const char *text, size_t len, const expr_env *env,
	      char **err)
{
	return eval_text(out, text, len, env, NULL, err);
}

int expr_eval_runtime(evalue *out, const char *text, size_t len,
		      const expr_runtime *rt, char **err)
{
	return eval_text(out, text, len, NULL, rt, err);
}
