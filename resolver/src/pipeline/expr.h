/*
 * expr.h - the template-expression language of Azure Pipelines: the text
 * between "${{" and "}}", parsed and evaluated the way the service does.
 *
 * An expression is a literal ('string' with '' for a quote, numbers,
 * true/false, null), a root name resolved by the caller ("parameters",
 * "variables", a loop variable), a call of one of the built-in functions
 * (case-insensitive names: and, or, not, xor, eq, ne, gt, ge, lt, le,
 * contains, containsValue, startsWith, endsWith, in, notIn, coalesce,
 * format, join, lower, upper, length, replace, split, trim, iif,
 * convertToJson), and property access after a name or a call: `.name`,
 * `['key']`, `[0]`, and the filters `.*` / `[*]`.
 *
 * Values are null, booleans, numbers, strings, and YAML mappings and
 * sequences (EV_NODE).  A node value borrows its ynode: from the caller's
 * tree (arena NULL) or from a reference-counted arena of nodes synthesized
 * by split() and the `*` filters; every evalue holding a node holds a
 * reference on its arena, so the value stays valid for as long as it lives,
 * independently of the evaluation that made it.  Reference counts are not
 * atomic: a value and its copies belong to one thread.
 *
 * Conversions and comparisons follow the service's rules (the right operand
 * is converted to the type of the left one; strings compare ordinally,
 * ignoring ASCII case).  Where this implementation knowingly differs from
 * the service, it is said in expr.c's design comment.
 *
 * Hostile input cannot crash the evaluator or make it use unbounded memory
 * or stack: the limits below are enforced and fail with a message.
 */
#ifndef SVC_PIPELINE_EXPR_H
#define SVC_PIPELINE_EXPR_H

#include <stddef.h>

#include "exchange/yaml_doc.h"
#include "util/buf.h"

/** Longest expression, in UTF-16 code units as the service counts. */
#define EXPR_MAX_LEN 21000
/** Nesting of function calls and [] indexers refused from this depth on,
 *  as the service's MaxDepth (49 levels pass). */
#define EXPR_MAX_DEPTH 50
/** Arguments of one function call (format() takes 255 at most). */
#define EXPR_MAX_ARGS 1024
/** Evaluation steps (nodes evaluated, items visited) per expression. */
#define EXPR_MAX_STEPS 1000000u
/** Bytes of strings and nodes one evaluation may produce, in total. */
#define EXPR_MAX_MEMORY ((size_t)8 * 1024 * 1024)

typedef enum evalue_kind {
	EV_NULL = 0,
	EV_BOOL,
	EV_NUMBER,
	EV_STRING,
	EV_NODE
} evalue_kind;

/** A reference-counted set of synthesized nodes (opaque). */
typedef struct expr_arena expr_arena;

/** A value; initialise with EVALUE_INIT, release with evalue_clear(). */
typedef struct evalue {
	evalue_kind kind;   /**< which members below are meaningful */
	int b;              /**< EV_BOOL: 0 or 1 */
	double num;         /**< EV_NUMBER: finite, within .NET Decimal's range */
	char *str;          /**< EV_STRING: owned, NUL-terminated (may hold NULs) */
	size_t len;         /**< EV_STRING: length in bytes */
	const ynode *node;  /**< EV_NODE: a MAP or SEQ node, never a scalar */
	expr_arena *arena;  /**< EV_NODE: reference keeping node alive, or NULL
				 when node is borrowed from the caller's tree */
} evalue;

#define EVALUE_INIT { EV_NULL, 0, 0.0, NULL, 0, NULL, NULL }

/** Release what v owns and make it null.  NULL is accepted. */
void evalue_clear(evalue *v);
/**
 * Copy src into dst (overwritten, not cleared first): a string is
 * duplicated, a node gets a new reference on its arena.
 */
int evalue_copy(evalue *dst, const evalue *src);
/** A string value holding a copy of s (len bytes). */
int evalue_set_string(evalue *out, const char *s, size_t len);

/**
 * A YAML node as a value.  A plain scalar is typed by the YAML 1.2 core
 * schema: null/Null/NULL/~/empty -> null, true/True/TRUE/false/False/FALSE
 * -> bool, integers (decimal, 0o octal, 0x hex) and floats -> number (but
 * .inf, .nan and numbers outside .NET Decimal's range stay strings); any
 * other plain scalar and every quoted one is a string.  A mapping or
 * sequence becomes EV_NODE, borrowed (arena NULL).
 */
int evalue_from_node(evalue *out, const ynode *n);
/**
 * Like evalue_from_node() for n, a node inside parent's node (an item or a
 * mapping value): a MAP/SEQ result shares parent's arena.  Use this when
 * walking the items of a value, e.g. for ${{ each }}.
 */
int evalue_from_item(evalue *out, const ynode *n, const evalue *parent);

/**
 * Name lookup for the root identifiers of an expression ("parameters",
 * "variables", loop variables of ${{ each }}, ...).  name is as written;
 * the service matches names ignoring case, and so should the callback.
 * Returns 0 and sets *out (which the evaluator then owns), SVC_ENOTFOUND
 * for an unknown name, or another negative code for a failure.
 */
typedef int (*expr_lookup_fn)(void *ctx, const char *name, evalue *out);

typedef struct expr_env {
	expr_lookup_fn lookup; /**< resolves root names; NULL: none defined */
	void *ctx;             /**< passed to lookup */
} expr_env;

/**
 * Evaluate the text between ${{ and }} (len bytes).  The whole expression
 * is parsed and every root name resolved before anything is evaluated, so
 * syntax errors and undefined names are reported even in branches that
 * and/or/iif would skip.  On success *out holds the value (and *err is
 * untouched).  On error returns SVC_EINVALID and sets *err (when err is not
 * NULL) to a newly allocated message naming the problem and its 1-based
 * column in text, counted in characters: "unknown function 'foo' at column
 * 3", "expected ')' at column 12", "name 'foo' is not defined at column 1".
 * On another failure (out of memory, a failing lookup) returns that code,
 * with *err set when a message could be allocated.  Release *err with
 * free().
 */
int expr_eval(evalue *out, const char *text, size_t len, const expr_env *env,
	      char **err);

/**
 * A root name with the literal path written after it: for variables['x'],
 * name "variables" and path {"x"}; for dependencies.A.outputs['s.v'], name
 * "dependencies" and path {"A", "outputs", "s.v"}.  The path holds the
 * leading accessors that are a property (.name) or an index by a string
 * literal (['key']); it stops at the first other one.  The callback sets
 * *used to the number of path entries it consumed (the rest are applied
 * to *out as usual) and returns as expr_lookup_fn does.
 */
typedef int (*expr_path_fn)(void *ctx, const char *name,
			    const char *const *path, size_t npath,
			    size_t *used, evalue *out);
/**
 * A job status function of a runtime expression (always, canceled, failed,
 * succeeded, succeededOrFailed; name in that spelling), with its arguments
 * converted to strings.  Sets *out to 0 or 1; returns 0, or a negative code
 * with svc_error_last() saying why (the evaluation then fails with it).
 */
typedef int (*expr_status_fn)(void *ctx, const char *name,
			      const char *const *args, size_t nargs, int *out);

/** What a runtime expression (a condition, $[ ]) is evaluated against. */
typedef struct expr_runtime {
	expr_path_fn path;      /**< resolves every root name */
	expr_status_fn status;  /**< the job status functions */
	void *ctx;              /**< passed to both */
} expr_runtime;

/**
 * Evaluate a runtime expression: the language of expr_eval() (the same
 * parser, limits and messages), with every root name resolved through
 * rt->path and the job status functions available (counter() is not:
 * svcconn has no counters to keep).
 */
int expr_eval_runtime(evalue *out, const char *text, size_t len,
		      const expr_runtime *rt, char **err);

/** Truthiness: null, false, 0 and "" are false; everything else is true. */
int evalue_truthy(const evalue *v);

/**
 * Append v converted to a string as the service does: null -> "", a bool
 * -> "True"/"False", a number with up to 7 decimals and no trailing zeros
 * ("0.#######"), a string as is.  A mapping or sequence cannot be a string:
 * SVC_EINVALID with svc_error_last() "cannot convert a mapping to a
 * string" (use convertToJson() in the expression for JSON).
 */
int evalue_to_string(const evalue *v, svc_buf *out);

/**
 * Quote text (n bytes) for a message: at most 40 bytes, cut at a character
 * boundary; control characters and malformed UTF-8 become '?'.  out must
 * hold 64 bytes; returns out.
 */
const char *expr_excerpt(const char *s, size_t n, char *out);

/** Name of a value's kind for messages: "null", "a boolean", ... */
const char *evalue_kind_name(const evalue *v);

#endif
