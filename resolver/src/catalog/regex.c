/*
 * regex.c - the catalog's regular expressions, matched in linear time.
 *
 * A `validate: {regex: ...}` of a custom type is hostile input: every
 * command reads the definitions, so a pattern that takes a backtracking
 * or expanding engine (glibc's regcomp() expands counted repeats:
 * "((a{0,255}){0,255}){0,255}" reached gigabytes) into huge memory or
 * time would stop every command.  This engine bounds both before it does
 * any work:
 *
 *   1. The pattern (at most CATRE_MAX_PATTERN bytes) is parsed into a
 *      tree, groups nested at most CATRE_MAX_DEPTH deep, counted repeats
 *      at most CATRE_MAX_REPEAT.
 *   2. The size of the program the tree compiles to is computed from the
 *      tree (a counted repeat costs its body times the count, so nested
 *      counts multiply) and a pattern whose program would exceed
 *      CATRE_MAX_PROG instructions is refused, before anything is built.
 *   3. The program is a Thompson NFA, run over the value as a set of
 *      states (Pike's simulation without captures): each byte visits each
 *      instruction at most once, so a match takes O(value length x
 *      program size) time and O(program size) memory, whatever the
 *      pattern and the value; a value longer than CATRE_MAX_VALUE does
 *      not match (the worst program takes about 0.7 s over 64 KiB).
 *
 * The syntax is POSIX extended regular expressions in the C locale, on
 * bytes, always matched against the whole value; what it accepts is
 * listed in docs/custom-types.md.  Nothing here prints or sets the
 * thread's last error: reasons are static text for the caller to quote.
 */
#include <stdlib.h>
#include <string.h>

#include "svcconn/errors.h"
#include "catalog/catalog_int.h"

/* An unbounded repeat's maximum in the tree. */
#define INF (-1)

/* Tree node kinds. */
enum { N_EMPTY, N_BYTE, N_SET, N_ANY, N_BOL, N_EOL, N_CAT, N_ALT, N_REP };

/* One node of the parsed pattern. */
struct node {
	int kind;               /**< N_* */
	int a, b;               /**< children (CAT, ALT: both; REP: a) */
	int min, max;           /**< REP: the bounds (max INF: unbounded) */
	int set;                /**< SET: index of its byte set */
	unsigned char c;        /**< BYTE: the byte */
	size_t size;            /**< instructions it compiles to (saturated) */
};

/* Program instructions. */
enum { I_BYTE, I_SET, I_ANY, I_SPLIT, I_JMP, I_BOL, I_EOL, I_MATCH };

/* One instruction. */
struct insn {
	unsigned char op;       /**< I_* */
	unsigned char c;        /**< I_BYTE: the byte */
	unsigned set;           /**< I_SET: index of the byte set */
	unsigned x, y;          /**< I_SPLIT: both targets; I_JMP: x */
};

/* A set of bytes. */
struct byteset {
	unsigned char bits[32]; /**< bit b set: byte b is in the set */
};

struct catre {
	struct insn *prog;      /**< the program, ending with I_MATCH */
	unsigned nprog;         /**< instructions in prog */
	struct byteset *sets;   /**< the byte sets the program names */
	unsigned nsets;         /**< entries in sets */
};

/* The parser's state. */
struct parser {
	const char *p;          /**< the pattern */
	size_t len;             /**< its length */
	size_t i;               /**< next byte to read */
	struct node *nodes;     /**< the tree's nodes */
	int nnodes, capnodes;   /**< used and allocated */
	struct byteset *sets;   /**< byte sets of bracket expressions */
	unsigned nsets, capsets;/**< used and allocated */
	int depth;              /**< groups open */
	const char *why;        /**< the first problem, or NULL */
	size_t at;              /**< its offset in the pattern */
	int oom;                /**< out of memory */
};

static int fail(struct parser *ps, const char *why)
{
	if (!ps->why) {
		ps->why = why;
		ps->at = ps->i;
	}
	return -1;
}

static size_t sat_add(size_t a, size_t b)
{
	return a + b < a || a + b > CATRE_MAX_PROG + 1 ? CATRE_MAX_PROG + 1
						       : a + b;
}

static size_t sat_mul(size_t a, size_t n)
{
	return n && a > (CATRE_MAX_PROG + 1) / n ? CATRE_MAX_PROG + 1
		 : (a * n > CATRE_MAX_PROG + 1 ? CATRE_MAX_PROG + 1 : a * n);
}

/* Instructions a repeat of a body of size a compiles to (see emit()). */
static size_t rep_size(size_t a, int min, int max)
{
	if (max == INF)
		return min == 0 ? sat_add(a, 2)
				: sat_add(sat_mul(a, (size_t)min), 1);
	return sat_add(sat_mul(a, (size_t)min),
		       sat_mul(sat_add(a, 1), (size_t)(max - min)));
}

/* A new node of kind k; its index, or -1. */
static int node_new(struct parser *ps, int kind)
{
	struct node *n;

	if (ps->nnodes == ps->capnodes) {
		int cap = ps->capnodes ? ps->capnodes * 2 : 32;

		if (!(n = realloc(ps->nodes, (size_t)cap * sizeof(*n)))) {
			ps->oom = 1;
			return fail(ps, "out of memory");
		}
		ps->nodes = n;
		ps->capnodes = cap;
	}
	n = &ps->nodes[ps->nnodes];
	memset(n, 0, sizeof(*n));
	n->kind = kind;
	n->a = n->b = -1;
	switch (kind) {
	case N_EMPTY:
		n->size = 0;
		break;
	default:
		n->size = 1;
	}
	return ps->nnodes++;
}

/* A node joining a and b (N_CAT or N_ALT); -1 on failure. */
static int join(struct parser *ps, int kind, int a, int b)
{
	int k = node_new(ps, kind);

	if (k < 0)
		return -1;
	ps->nodes[k].a = a;
	ps->nodes[k].b = b;
	ps->nodes[k].size = sat_add(ps->nodes[a].size, ps->nodes[b].size);
	if (kind == N_ALT)
		ps->nodes[k].size = sat_add(ps->nodes[k].size, 2);
	if (ps->nodes[k].size > CATRE_MAX_PROG)
		return fail(ps, "the pattern is too large once its repeats are counted out (nested counted repeats?)");
	return k;
}

/* A new, empty byte set; its index, or -1. */
static int set_new(struct parser *ps)
{
	struct byteset *s;

	if (ps->nsets == ps->capsets) {
		unsigned cap = ps->capsets ? ps->capsets * 2 : 8;

		if (!(s = realloc(ps->sets, cap * sizeof(*s)))) {
			ps->oom = 1;
			return fail(ps, "out of memory");
		}
		ps->sets = s;
		ps->capsets = cap;
	}
	memset(&ps->sets[ps->nsets], 0, sizeof(ps->sets[0]));
	return (int)ps->nsets++;
}

static void set_add(struct byteset *s, unsigned char c)
{
	s->bits[c >> 3] |= (unsigned char)(1u << (c & 7));
}

static int set_has(const struct byteset *s, unsigned char c)
{
	return s->bits[c >> 3] >> (c & 7) & 1;
}

/* The C locale's character classes, by name. */
static int in_class(const char *name, size_t n, int c)
{
	static const char *const names[] = { "alnum", "alpha", "blank",
		"cntrl", "digit", "graph", "lower", "print", "punct", "space",
		"upper", "xdigit", NULL };
	int lower = c >= 'a' && c <= 'z', upper = c >= 'A' && c <= 'Z';
	int digit = c >= '0' && c <= '9', graph = c > 0x20 && c < 0x7f;
	int k;

	for (k = 0; names[k]; k++)
		if (strlen(names[k]) == n && memcmp(names[k], name, n) == 0)
			break;
	switch (k) {
	case 0: return lower || upper || digit;
	case 1: return lower || upper;
	case 2: return c == ' ' || c == '\t';
	case 3: return c < 0x20 || c == 0x7f;
	case 4: return digit;
	case 5: return graph;
	case 6: return lower;
	case 7: return graph || c == ' ';
	case 8: return graph && !lower && !upper && !digit;
	case 9: return c == ' ' || (c >= '\t' && c <= '\r');
	case 10: return upper;
	case 11: return digit || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
	}
	return -1;
}

/* Add class name (n bytes) to set s; -1 when there is no such class. */
static int set_add_class(struct byteset *s, const char *name, size_t n)
{
	int c;

	if (in_class(name, n, 'a') < 0)
		return -1;
	for (c = 0; c < 256; c++)
		if (in_class(name, n, c) == 1)
			set_add(s, (unsigned char)c);
	return 0;
}

/* A bracket expression; ps->i is past the '['. */
static int parse_bracket(struct parser *ps)
{
	int k, set, neg = 0, first = 1, c;
	size_t open = ps->i - 1;
	struct byteset *s;

	if ((set = set_new(ps)) < 0 || (k = node_new(ps, N_SET)) < 0)
		return -1;
	ps->nodes[k].set = set;
	s = &ps->sets[set];
	if (ps->i < ps->len && ps->p[ps->i] == '^') {
		neg = 1;
		ps->i++;
	}
	for (;;) {
		unsigned char lo, hi;

		if (ps->i >= ps->len) {
			ps->i = open;
			return fail(ps, "'[' without its ']'");
		}
		lo = (unsigned char)ps->p[ps->i];
		if (lo == ']' && !first) {
			ps->i++;
			break;
		}
		first = 0;
		if (lo == '[' && ps->i + 1 < ps->len &&
		    strchr(":=.", ps->p[ps->i + 1])) {
			char kind = ps->p[ps->i + 1];
			const char *name = ps->p + ps->i + 2;
			const char *end = NULL;
			size_t j;

			for (j = ps->i + 2; j + 1 < ps->len; j++)
				if (ps->p[j] == kind && ps->p[j + 1] == ']') {
					end = ps->p + j;
					break;
				}
			if (kind != ':')
				return fail(ps, "collating elements and equivalence classes ([. .] [= =]) are not supported");
			if (!end || set_add_class(s, name, (size_t)(end - name)) != 0)
				return fail(ps, "unknown character class (alnum, alpha, blank, cntrl, digit, graph, lower, print, punct, space, upper, xdigit)");
			ps->i = (size_t)(end - ps->p) + 2;
			continue;
		}
		ps->i++;
		hi = lo;
		if (ps->i + 1 < ps->len && ps->p[ps->i] == '-' &&
		    ps->p[ps->i + 1] != ']') {
			hi = (unsigned char)ps->p[ps->i + 1];
			ps->i--;        /* problems: at the range's start */
			if (hi == '[')
				return fail(ps, "a range cannot end with a class");
			if (hi < lo)
				return fail(ps, "a range ends before it starts");
			ps->i += 3;
		}
		for (c = lo; c <= hi; c++)
			set_add(s, (unsigned char)c);
	}
	if (neg)
		for (c = 0; c < 32; c++)
			s->bits[c] = (unsigned char)~s->bits[c];
	return k;
}

/* A set node for a backslash class (d, w, s; upper case negated). */
static int escape_class(struct parser *ps, char e)
{
	const char *cls = e == 'd' || e == 'D' ? "digit"
			  : e == 's' || e == 'S' ? "space" : "alnum";
	int k, set, c;
	struct byteset *s;

	if ((set = set_new(ps)) < 0 || (k = node_new(ps, N_SET)) < 0)
		return -1;
	ps->nodes[k].set = set;
	s = &ps->sets[set];
	set_add_class(s, cls, strlen(cls));
	if (e == 'w' || e == 'W')
		set_add(s, '_');
	if (e >= 'A' && e <= 'Z')
		for (c = 0; c < 32; c++)
			s->bits[c] = (unsigned char)~s->bits[c];
	return k;
}

static int parse_alt(struct parser *ps);

/* One atom: a byte, '.', a bracket, an anchor, an escape or a group. */
static int parse_atom(struct parser *ps)
{
	size_t open = ps->i;
	char c = ps->p[ps->i];
	int k;

	switch (c) {
	case '(':
		if (++ps->depth > CATRE_MAX_DEPTH)
			return fail(ps, "groups are nested too deeply");
		ps->i++;
		if ((k = parse_alt(ps)) < 0)
			return -1;
		if (ps->i >= ps->len || ps->p[ps->i] != ')') {
			ps->i = open;
			return fail(ps, "'(' without its ')'");
		}
		ps->i++;
		ps->depth--;
		return k;
	case '[':
		ps->i++;
		return parse_bracket(ps);
	case '.':
		ps->i++;
		return node_new(ps, N_ANY);
	case '^':
		ps->i++;
		return node_new(ps, N_BOL);
	case '$':
		ps->i++;
		return node_new(ps, N_EOL);
	case '*': case '+': case '?': case '{':
		return fail(ps, "a repeat with nothing to repeat");
	case '\\':
		if (ps->i + 1 >= ps->len)
			return fail(ps, "a '\\' at the end of the pattern");
		c = ps->p[ps->i + 1];
		ps->i += 2;
		if (strchr("dDwWsS", c))
			return escape_class(ps, c);
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9')) {
			ps->i -= 2;
			return fail(ps, "unknown escape (backreferences and \\b are not supported; \\d \\w \\s \\D \\W \\S are)");
		}
		break;
	default:
		ps->i++;
	}
	if ((k = node_new(ps, N_BYTE)) >= 0)
		ps->nodes[k].c = (unsigned char)c;
	return k;
}

/* A decimal number at ps->i (over 255: 256); -1 when there is none. */
static int number(struct parser *ps)
{
	int n = 0, digits = 0;

	while (ps->i < ps->len && ps->p[ps->i] >= '0' && ps->p[ps->i] <= '9') {
		digits++;
		n = n * 10 + (ps->p[ps->i++] - '0');
		if (n > CATRE_MAX_REPEAT)
			n = CATRE_MAX_REPEAT + 1;
	}
	return digits ? n : -1;
}

/* The bounds of "{n}", "{n,}" or "{n,m}"; ps->i is past the '{'. */
static int parse_bounds(struct parser *ps, int *min, int *max)
{
	if ((*min = number(ps)) < 0)
		return fail(ps, "'{' must start a bound {n}, {n,} or {n,m} (write \\{ for the character)");
	*max = *min;
	if (ps->i < ps->len && ps->p[ps->i] == ',') {
		ps->i++;
		*max = number(ps);
		if (*max < 0)
			*max = INF;
	}
	if (ps->i >= ps->len || ps->p[ps->i] != '}')
		return fail(ps, "'{' must start a bound {n}, {n,} or {n,m} (write \\{ for the character)");
	ps->i++;
	if (*min > CATRE_MAX_REPEAT || *max > CATRE_MAX_REPEAT)
		return fail(ps, "a repeat count is over 255");
	if (*max != INF && *max < *min)
		return fail(ps, "a bound {n,m} with m < n");
	return 0;
}

/* An atom and its repeats. */
static int parse_piece(struct parser *ps)
{
	int k = parse_atom(ps);

	while (k >= 0 && ps->i < ps->len && strchr("*+?{", ps->p[ps->i])) {
		size_t at = ps->i;  /* problems are reported at the operator */
		char q = ps->p[ps->i++];
		int min = 0, max = INF, r;

		if (q == '+')
			min = 1;
		else if (q == '?')
			max = 1;
		else if (q == '{' && parse_bounds(ps, &min, &max) != 0) {
			ps->at = at;
			return -1;
		}
		if ((r = node_new(ps, N_REP)) < 0)
			return -1;
		ps->nodes[r].a = k;
		ps->nodes[r].min = min;
		ps->nodes[r].max = max;
		ps->nodes[r].size = rep_size(ps->nodes[k].size, min, max);
		if (ps->nodes[r].size > CATRE_MAX_PROG) {
			ps->i = at;
			return fail(ps, "the pattern is too large once its repeats are counted out (nested counted repeats?)");
		}
		k = r;
	}
	return k;
}

/* A sequence of pieces, up to '|', ')' or the end (maybe empty). */
static int parse_cat(struct parser *ps)
{
	int k = -1, p;

	while (ps->i < ps->len && ps->p[ps->i] != '|' && ps->p[ps->i] != ')') {
		if ((p = parse_piece(ps)) < 0)
			return -1;
		k = k < 0 ? p : join(ps, N_CAT, k, p);
		if (k < 0)
			return -1;
	}
	return k < 0 ? node_new(ps, N_EMPTY) : k;
}

/* Alternatives separated by '|'. */
static int parse_alt(struct parser *ps)
{
	int k = parse_cat(ps), b;

	while (k >= 0 && ps->i < ps->len && ps->p[ps->i] == '|') {
		ps->i++;
		if ((b = parse_cat(ps)) < 0)
			return -1;
		k = join(ps, N_ALT, k, b);
	}
	return k;
}

/*
 * Emit node k at re->nprog (the sizes were checked: it fits, and it takes
 * exactly nodes[k].size instructions, so a repeat knows where it ends).
 */
static void emit(struct catre *re, const struct node *nodes, int k)
{
	const struct node *n = &nodes[k];
	unsigned split, jmp, start = re->nprog;
	unsigned end = start + (unsigned)n->size;
	int j, loop = n->kind == N_REP && n->max == INF && n->min > 0;
	struct insn *in;

	switch (n->kind) {
	case N_EMPTY:
		return;
	case N_CAT:
		emit(re, nodes, n->a);
		emit(re, nodes, n->b);
		return;
	case N_ALT:
		split = re->nprog++;
		emit(re, nodes, n->a);
		jmp = re->nprog++;
		re->prog[split] = (struct insn){ I_SPLIT, 0, 0, split + 1,
						 re->nprog };
		emit(re, nodes, n->b);
		re->prog[jmp] = (struct insn){ I_JMP, 0, 0, re->nprog, 0 };
		return;
	case N_REP:
		/* the required copies (the last one loops for a{n,}) */
		for (j = 0; j < n->min; j++) {
			start = re->nprog;
			emit(re, nodes, n->a);
		}
		if (loop) {
			split = re->nprog++;
			re->prog[split] = (struct insn){ I_SPLIT, 0, 0, start,
							 end };
		} else if (n->max == INF) {
			/* a*: a split over the body and a jump back */
			split = re->nprog++;
			emit(re, nodes, n->a);
			jmp = re->nprog++;
			re->prog[jmp] = (struct insn){ I_JMP, 0, 0, split, 0 };
			re->prog[split] = (struct insn){ I_SPLIT, 0, 0,
							 split + 1, end };
		} else {
			/* the optional copies, each may skip to the end */
			for (j = 0; j < n->max - n->min; j++) {
				split = re->nprog++;
				re->prog[split] = (struct insn){ I_SPLIT, 0, 0,
								 split + 1, end };
				emit(re, nodes, n->a);
			}
		}
		return;
	}
	in = &re->prog[re->nprog++];
	memset(in, 0, sizeof(*in));
	in->op = n->kind == N_BYTE ? I_BYTE : n->kind == N_SET ? I_SET
		 : n->kind == N_ANY ? I_ANY : n->kind == N_BOL ? I_BOL : I_EOL;
	in->c = n->c;
	in->set = (unsigned)n->set;
}

int catre_compile(catre **out, const char *pattern, const char **why,
		  size_t *at)
{
	struct parser ps;
	struct catre *re = NULL;
	int root, rc = SVC_EINVALID;

	*out = NULL;
	*at = 0;
	memset(&ps, 0, sizeof(ps));
	ps.p = pattern;
	ps.len = strlen(pattern);
	if (ps.len > CATRE_MAX_PATTERN) {
		*why = "the pattern is longer than 1024 bytes";
		return SVC_EINVALID;
	}
	root = parse_alt(&ps);
	if (root >= 0 && ps.i < ps.len)
		root = fail(&ps, "')' without its '('");
	if (root >= 0 && ps.nodes[root].size + 1 > CATRE_MAX_PROG)
		root = fail(&ps, "the pattern is too large once its repeats are counted out (nested counted repeats?)");
	if (root < 0) {
		*why = ps.why;
		*at = ps.at;
		rc = ps.oom ? SVC_ERROR : SVC_EINVALID;
		goto done;
	}
	if (!(re = calloc(1, sizeof(*re))) ||
	    !(re->prog = calloc(ps.nodes[root].size + 1, sizeof(*re->prog)))) {
		*why = "out of memory";
		rc = SVC_ERROR;
		goto done;
	}
	emit(re, ps.nodes, root);
	re->prog[re->nprog++] = (struct insn){ I_MATCH, 0, 0, 0, 0 };
	re->sets = ps.sets;
	re->nsets = ps.nsets;
	ps.sets = NULL;
	*out = re;
	re = NULL;
	rc = 0;
done:
	catre_free(re);
	free(ps.nodes);
	free(ps.sets);
	return rc;
}

void catre_free(catre *re)
{
	if (!re)
		return;
	free(re->prog);
	free(re->sets);
	free(re);
}

/* A set of program counters: sparse-set membership in O(1). */
struct pcset {
	unsigned *dense;        /**< the members, in the order added */
	unsigned *sparse;       /**< index in dense of each pc */
	unsigned n;             /**< members */
};

static int pcset_has(const struct pcset *s, unsigned pc)
{
	return s->sparse[pc] < s->n && s->dense[s->sparse[pc]] == pc;
}

/* Add pc and every state it reaches without reading a byte at pos. */
static void closure(const struct catre *re, struct pcset *s, unsigned *stack,
		    unsigned pc, size_t pos, size_t len)
{
	unsigned sp = 0;

	stack[sp++] = pc;
	while (sp) {
		const struct insn *in;

		pc = stack[--sp];
		if (pcset_has(s, pc))
			continue;
		s->sparse[pc] = s->n;
		s->dense[s->n++] = pc;
		in = &re->prog[pc];
		switch (in->op) {
		case I_JMP:
			stack[sp++] = in->x;
			break;
		case I_SPLIT:
			stack[sp++] = in->y;
			stack[sp++] = in->x;
			break;
		case I_BOL:
			if (pos == 0)
				stack[sp++] = pc + 1;
			break;
		case I_EOL:
			if (pos == len)
				stack[sp++] = pc + 1;
			break;
		default:
			break;
		}
	}
}

int catre_match(const catre *re, const char *s, size_t len)
{
	unsigned n = re->nprog, *mem, i;
	struct pcset cur, next, tmp;
	size_t pos;
	int matched = 0;

	if (len > CATRE_MAX_VALUE)
		return 0;
	/* each visited state pushes at most two: 2n + 1 bounds the stack */
	if (!(mem = calloc((size_t)n * 6 + 1, sizeof(*mem))))
		return SVC_ERROR;
	cur = (struct pcset){ mem, mem + n, 0 };
	next = (struct pcset){ mem + 2 * (size_t)n, mem + 3 * (size_t)n, 0 };
	closure(re, &cur, mem + 4 * (size_t)n, 0, 0, len);
	for (pos = 0; pos < len && cur.n; pos++) {
		unsigned char c = (unsigned char)s[pos];

		next.n = 0;
		for (i = 0; i < cur.n; i++) {
			const struct insn *in = &re->prog[cur.dense[i]];

			if ((in->op == I_BYTE && in->c == c) ||
			    (in->op == I_SET && set_has(&re->sets[in->set], c)) ||
			    in->op == I_ANY)
				closure(re, &next, mem + 4 * (size_t)n,
					cur.dense[i] + 1, pos + 1, len);
		}
		tmp = cur;
		cur = next;
		next = tmp;
	}
	for (i = 0; pos == len && i < cur.n; i++)
		if (re->prog[cur.dense[i]].op == I_MATCH)
			matched = 1;
	free(mem);
	return matched;
}
