/*
 * yaml_doc.h - a YAML document as a tree with source positions, read from
 * hostile input.
 *
 * Built from libyaml's event stream.  Every node keeps its 1-based line and
 * column.  The reader enforces limits that make hostile input fail with one
 * clear error instead of a crash or runaway memory: input size, nesting
 * depth, total node count with aliases expanded (so an alias bomb is caught
 * however it is built), scalar length, duplicate mapping keys, one document
 * only.  Scalars are wiped when the tree is freed, because import files may
 * hold secrets; libyaml's own buffers are wiped before they are released.
 */
#ifndef SVC_YAML_DOC_H
#define SVC_YAML_DOC_H

#include <stddef.h>
#include "svcconn/errors.h"
#include "util/buf.h"

typedef enum ynode_kind {
	YNODE_SCALAR = 0,
	YNODE_MAP = 1,
	YNODE_SEQ = 2
} ynode_kind;

typedef struct ynode {
	ynode_kind kind;        /**< scalar, mapping or sequence */
	unsigned line;          /**< 1-based line of the node's start */
	unsigned column;        /**< 1-based column */
	char *scalar;           /**< scalar text (NUL-terminated) or NULL */
	size_t len;             /**< scalar length in bytes */
	int plain;              /**< 1 for a plain (unquoted) scalar */
	struct ynode **items;   /**< seq: items; map: key0,val0,key1,val1... */
	size_t n;               /**< entries in items (2 per map pair) */
	size_t alloc;           /**< entries allocated */
	const char *file;       /**< file the node was read from (owned by
				     its ydoc, which must outlive the node) */
	const struct ynode *parent; /**< containing node in its file, or NULL */
	size_t index;           /**< position in parent->items */
	const struct ynode *origin; /**< for a node made from another (an
				     expanded template), the source node */
	unsigned flags;         /**< YNODE_F_* */
} ynode;

/** The node's value could not be fully known (undefined parameter...). */
#define YNODE_F_UNRESOLVED 0x1u

/** Limits on hostile input; zero members take the defaults. */
typedef struct ydoc_limits {
	size_t max_bytes;   /**< input size (default 4 MiB) */
	unsigned max_depth; /**< nesting depth (default 64) */
	size_t max_nodes;   /**< nodes, aliases expanded (default 200000) */
	size_t max_scalar;  /**< one scalar's length (default 1 MiB) */
	int no_anchors;     /**< refuse anchors and aliases, as Azure
			         Pipelines does */
} ydoc_limits;

typedef struct ydoc {
	ynode *root;        /**< root node, NULL for an empty document */
	char *file;         /**< file name for diagnostics */
	ynode **all;        /**< every node, for freeing */
	size_t nall;        /**< nodes in all */
	size_t aall;        /**< allocated in all */
} ydoc;

/**
 * Parse text (len bytes) named file.  On error, adds one diagnostic with the
 * location to diags and returns SVC_EINVALID.
 */
int ydoc_parse(ydoc **out, const char *file, const char *text, size_t len,
	       const ydoc_limits *limits, svc_diags *diags);
void ydoc_free(ydoc *doc);

/** The value for key in a mapping (exact match), or NULL. */
const ynode *ynode_get(const ynode *map, const char *key);
/** The key node for key in a mapping, or NULL. */
const ynode *ynode_key(const ynode *map, const char *key);
/** 1 when n is a scalar equal to s. */
int ynode_is(const ynode *n, const char *s);
/** A new empty node owned by doc (for building trees), or NULL. */
ynode *ydoc_node_new(ydoc *doc, ynode_kind kind, const ynode *like);
/** Append child to a MAP or SEQ node; 0 or SVC_ERROR. */
int ynode_append(ynode *parent, ynode *child);
/** Set a scalar node's text (copied). */
int ynode_set_scalar(ynode *n, const char *s, size_t len);
/** An empty document (for synthesized trees) named file. */
int ydoc_new(ydoc **out, const char *file);
/**
 * The YAML path of n in its file, e.g. "stages[0].jobs[1].steps[2]", into
 * out (following origin links to the source node first).
 */
int ynode_path(const ynode *n, svc_buf *out);

/** Add a diagnostic at node at's file, line and column (at may be NULL). */
void ynode_diag(svc_diags *d, const ynode *at, svc_severity sev,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/** Name of a node kind: "a scalar", "a mapping", "a sequence". */
const char *ynode_kind_name(ynode_kind k);

#endif
