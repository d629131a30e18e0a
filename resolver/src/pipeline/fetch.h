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

/**
 * The file path (relative to the repository's root) of url at commit at
 * (40 hex digits), or when at is NULL at the head of branch (NULL: the
 * default branch), fetched with libgit2 like repo_fetch (same child,
 * deadline and credential rules) into the cache entry
 * cache/<hash of url>/<commit>/<hash of path> (0600), then read back into
 * *data (NUL-terminated, *len bytes, at most max).  A given commit is
 * looked for in the cache first and downloaded with every branch only when
 * missing.  The entry is trusted only when its git blob id is the one the
 * commit's tree names (each object read through libgit2 is checked against
 * its id): an altered entry throws that repository's cache away and it is
 * fetched again.  Entries of at most 256 commits per repository are kept
 * (the least recently written go first); each file is at most max bytes.
 * *commit receives the commit used; *state 0 (from the
 * cache), 1 (downloaded) or 2 (the entry had been altered; fetched again).
 */
int repo_fetch_file(char **data, size_t *len, char commit[41], int *state,
		    const char *cache, const char *url, const char *branch,
		    const char *at, const char *path, size_t max,
		    const char *user, const char *pass);

#endif
