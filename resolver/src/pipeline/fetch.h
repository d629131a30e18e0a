/*
 * fetch.h - templates of other repositories, fetched as the service does:
 * the clone URL of a repository resource, the git credential its endpoint
 * connection gives, and a fetch with libgit2 into a cache keyed by
 * repository URL and commit.
 */
#ifndef SVC_PIPELINE_FETCH_H
#define SVC_PIPELINE_FETCH_H

#include <stddef.h>
#include "svcconn/conn.h"
#include "util/buf.h"

/**
 * The clone URL of a repository resource of type (github,
 * githubenterprise, bitbucket, git = Azure Repos) named name, whose
 * endpoint connection is c (NULL when it has none): github and bitbucket
 * on their hosts; githubenterprise under the connection's URL; Azure Repos
 * "Project/Repo" as {url}/Project/_git/Repo ("Repo": {url}/_git/Repo); an
 * Other Git (git) or Generic connection names the repository by its own
 * URL.  what names the resource in errors.  Appended to out.
 */
int repo_clone_url(svc_buf *out, const char *type, const char *name,
		   const svc_conn *c, const char *what);

/**
 * Fetch ref (NULL: the default branch) of url with libgit2 and make its
 * YAML files readable under cache (created 0700 when missing):
 * cache/<hash of url>/<commit>/.  user and pass (may be NULL) answer the
 * server's request for credentials from memory; they are never written.
 * *dir is set to the tree's directory (malloc'd).  The fetch runs in a
 * child process killed after 120 s (SVCCONN_FETCH_TIMEOUT_MS), since
 * libgit2 1.5 has no network timeout.  A path of the tree that would leave
 * it is refused by the caller (template.c).
 */
int repo_fetch(char **dir, const char *cache, const char *url,
	       const char *ref, const char *user, const char *pass,
	       size_t passlen);

#endif
