/*
 * macro.h - $(name) macros, expanded the way the Azure Pipelines agent
 * expands them: the one scanner of svcconn, used by the plan (model.c) and
 * by a step's run (runtime/stepvars.c).
 *
 * A macro is "$(" then the name up to the next ")" (any characters; an
 * empty name is none).  macro_expand() makes one pass and never looks into
 * a value it put in (the agent's VarUtil.ExpandValues); an unknown name
 * stays exactly as written and the scan goes on one character after its
 * "$(".  A variable table (macro_dict) expands its own values first, each
 * through the others as deep as needed (the agent's
 * Variables.RecalculateExpanded): a value that refers to itself, directly
 * or not, or goes deeper than MACRO_MAX_DEPTH, stays as written; one made
 * from a secret value is secret.
 */
#ifndef SVC_UTIL_MACRO_H
#define SVC_UTIL_MACRO_H

#include <stddef.h>
#include "util/buf.h"

/** The agent's limit on nested variables (Variables.cs MaxDepth). */
#define MACRO_MAX_DEPTH 50
/** Largest value a variable expands to; a longer one stays as written. */
#define MACRO_MAX_VALUE ((size_t)1024 * 1024)

/*
 * The value of the variable named by the len bytes at name (not
 * NUL-terminated), or NULL when there is none; *secret (never NULL) set to
 * 1 when the value is a secret.
 */
typedef const char *(*macro_lookup_fn)(void *ctx, const char *name,
				       size_t len, int *secret);

/*
 * Append text to out with its macros expanded through lookup; *secret (may
 * be NULL) set to 1 when a secret value went in.  SVC_EINVALID when out
 * would grow past its maximum.
 */
int macro_expand(svc_buf *out, const char *text, macro_lookup_fn lookup,
		 void *ctx, int *secret);

/* One variable of a table. */
struct macro_var {
	char *name;      /**< the name (compared without case) */
	char *raw;       /**< the value as given (wiped on free) */
	char *value;     /**< expanded by macro_dict_expand, else NULL */
	int secret;      /**< the value is a secret */
	int state;       /**< expansion: 0 to do, 1 under way, 2 done, 3 kept
			      as written (a cycle, too deep or too long) */
	unsigned depth;  /**< nesting below it, once done */
};

/*
 * A table of variables, names unique without case.  fixed, when set, is
 * asked first: variables that the table's own do not override (a run's
 * predefined ones), final values that are not expanded further.
 */
typedef struct macro_dict {
	struct macro_var *v;  /**< the variables, in the order first set */
	size_t n;             /**< entries used */
	macro_lookup_fn fixed;/**< variables asked first, or NULL */
	void *fixed_ctx;      /**< its context */
	size_t *sorted;       /**< v's indexes by name (macro_dict_expand
				   makes it, macro_dict_set drops it) */
} macro_dict;

#define MACRO_DICT_INIT { NULL, 0, NULL, NULL, NULL }

/** Wipe the values and free the variables; the table may be reused. */
void macro_dict_clear(macro_dict *d);
/*
 * Set name to value (replacing a variable of that name whatever its case,
 * and keeping it secret when it was); the table needs expanding again.
 */
int macro_dict_set(macro_dict *d, const char *name, const char *value,
		   int secret);
/** The variable named by the len bytes at name, or NULL. */
struct macro_var *macro_dict_find(const macro_dict *d, const char *name,
				  size_t len);
/** Expand every value of the table through the others (see above). */
int macro_dict_expand(macro_dict *d);
/*
 * A macro_lookup_fn over a table (ctx) expanded with macro_dict_expand:
 * each variable's expanded value.
 */
const char *macro_dict_lookup(void *ctx, const char *name, size_t len,
			      int *secret);

#endif
