/*
 * pipedef.h - pipelines the server compiles itself: a pipeline name bound
 * to a YAML file of a repository, read through one of the store's
 * connections.
 *
 * As on Azure DevOps, where a pipeline is defined by a file of a
 * repository resource, svcconn-server does not take a job's pipeline from
 * the agent: it reads the registered file at the run's commit, fetched
 * with libgit2 through the repository's connection (its secret answers the
 * git server from memory only), and decides the job's connections from
 * that.  The fetched files are cached under the store's directory
 * (cache/pipelines/, 0700), each entry checked against the git blob id its
 * commit's tree names before it is used.  The operations are in ops.h
 * (svc_ops_pipedef_*, svc_ops_pipeline_source); docs/pipelines.md.
 */
#ifndef SVCCONN_PIPEDEF_H
#define SVCCONN_PIPEDEF_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default)

/** The largest pipeline file read (bytes). */
#define SVC_PIPEDEF_YAML_MAX (1024u * 1024u)

/** One registered pipeline. */
typedef struct svc_pipedef {
	char *name;          /**< the pipeline's name */
	char *connection;    /**< the repository's connection (name) */
	char *connection_id; /**< its id */
	char *url;           /**< the repository's clone URL */
	char *path;          /**< the YAML file, from the repository's root */
	char *branch;        /**< the default branch, or NULL (the remote's HEAD) */
	char *created_by;    /**< who registered it */
	long long created;   /**< when (seconds since 1970) */
} svc_pipedef;

/** Free count entries of a list from svc_ops_pipedef_list(); NULL accepted. */
void svc_pipedefs_free(svc_pipedef *list, size_t count);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
