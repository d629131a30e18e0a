/*
 * template.h - expanding an Azure Pipelines YAML file the way the service
 * compiles it: template includes, template parameters, ${{ }} expressions,
 * ${{ if }}/${{ elseif }}/${{ else }}/${{ each }}, and extends.
 *
 * The result is a new YAML tree (owned by an arena document) whose nodes
 * keep the file, line and column where each was written, and an origin link
 * to the source node, so a reference found in the expanded tree points at
 * the template file and line where its value is written.  Runtime macros
 * $(var) are left as written: they are expanded by the model walk, which
 * knows the stage and job scopes.
 */
#ifndef SVC_PIPELINE_TEMPLATE_H
#define SVC_PIPELINE_TEMPLATE_H

#include <stddef.h>
#include "svcconn/errors.h"
#include "util/buf.h"
#include "exchange/yaml_doc.h"

/* Limits on what one pipeline may pull in. */
#define TPL_MAX_FILES 100             /**< template files per pipeline */
#define TPL_MAX_DEPTH 50              /**< include nesting */
#define TPL_MAX_BYTES (20u << 20)     /**< bytes of YAML in all files */
#define TPL_MAX_NODES 2000000u        /**< nodes in the expanded tree */

typedef struct tpl_ctx tpl_ctx;

/**
 * Flag of a stage or job node passed inline to a template that could not be
 * read (ynode.flags): the model walk reads what such a template would make
 * of its templateContext (1ES outputs).
 */
#define TPL_F_INLINE 0x100u

/** A repository resource of the pipeline, as templates name it (@alias). */
typedef struct tpl_repo {
	const char *alias;     /**< the resource's alias */
	const char *type;      /**< github, githubenterprise, bitbucket, git */
	const char *name;      /**< owner/repo, project/repo or a path */
	const char *ref;       /**< ref, or NULL for the default branch */
	const char *endpoint;  /**< connection name or id, or NULL */
	const ynode *at;       /**< where the resource is written */
} tpl_repo;

/**
 * Make the files of repository resource repo readable: *dir is set to the
 * directory holding its tree (malloc'd).  On failure, return an error code
 * with the reason in svc_error_last().
 */
typedef int (*tpl_fetch_fn)(char **dir, const tpl_repo *repo, void *data);

/**
 * Where a pipeline's files are read when not from the file system: a
 * server planning the files a client sent (ops/ops_plan.c).  Paths are
 * the normalised ones the expansion names; a root-relative template that
 * exists nowhere is named under the pipeline's directory (no work tree).
 * A repository fetched (tpl_options.fetch) is read from the file system:
 * a caller giving a source does not fetch.
 */
typedef struct tpl_source {
	/** path's bytes onto out (its maximum bounds them): 0,
	 * SVC_ENOTFOUND, or another code with its message */
	int (*read)(svc_buf *out, const char *path, void *data);
	/** 1 when path is a file there (dir 0), or a directory (dir 1) */
	int (*exists)(const char *path, int dir, void *data);
	void *data;               /**< passed to both */
} tpl_source;

/**
 * Called with each file the expansion read, once, in the order read (the
 * client sending a pipeline's files to a server collects them so):
 * nonzero stops the expansion with that code.
 */
typedef int (*tpl_seen_fn)(const char *path, const char *text, size_t len,
			   void *data);

/** How to expand. */
typedef struct tpl_options {
	const char *const *vars;  /**< "NAME=VALUE" compile-time variables */
	size_t nvars;             /**< entries in vars */
	int explore;              /**< see tpl_expand() */
	tpl_fetch_fn fetch;       /**< reads other repositories, or NULL */
	void *fetch_data;         /**< passed to fetch */
	const tpl_source *source; /**< the files, or NULL: the file system */
	tpl_seen_fn seen;         /**< told each file read, or NULL */
	void *seen_data;          /**< passed to seen */
} tpl_options;

/**
 * Load and expand the pipeline file path.  opts->vars ("NAME=VALUE") are
 * compile-time variables too (${{ variables.NAME }}).  A template of another
 * repository (path@alias) is read through opts->fetch; without it, or when
 * it fails, what the pipeline passes to it inline (steps, jobs and stages in
 * its parameters, recognised by shape) is expanded in its place, with a
 * warning naming the template.  With explore, every
 * branch of a conditional list item that depends on the file's own
 * parameters is expanded (their values are chosen by a caller or at queue
 * time: plan shows what any choice can use); without it the defaults decide,
 * as a run does.  Every problem goes to diags with its location.  *root is
 * the expanded root mapping (NULL when the file could not be read as YAML);
 * it lives as long as the context.
 */
int tpl_expand(tpl_ctx **out, const ynode **root, const char *path,
	       const tpl_options *opts, svc_diags *diags);
void tpl_free(tpl_ctx *ctx);
/** Names of variable groups the pipeline uses ("group: x"), for messages. */
size_t tpl_group_count(const tpl_ctx *ctx);
const char *tpl_group_at(const tpl_ctx *ctx, size_t i);
/** The pipeline's extends template as written, or NULL. */
const char *tpl_extends(const tpl_ctx *ctx);
/** The arena where callers may build nodes that live as long as ctx. */
ydoc *tpl_arena(tpl_ctx *ctx);
/** Lexically normalise a path: "a/b/../c" -> "a/c", "./x" -> "x". */
int tpl_path_normalize(svc_buf *out, const char *path);

#endif
