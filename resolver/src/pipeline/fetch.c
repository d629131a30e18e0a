/*
 * fetch.c - templates of other repositories, fetched as the service does.
 *
 * A template written `path@alias` lives in the repository resource alias
 * of the pipeline, at the resource's ref (its default branch when none).
 * The service reads it through the resource's own endpoint connection; so
 * does this module: the clone URL comes from the resource's type and the
 * connection (repo_clone_url), the user name and password from the
 * connection's scheme (svc_conn_git_credential), and libgit2 asks for them
 * through a credentials callback that answers from memory: no credential
 * is ever in a URL, an argv, a configuration or a file.
 *
 * The cache is keyed by repository URL and commit:
 * <cache>/<sha256(url), 32 hex>/git is a bare repository holding what was
 * fetched (objects only; the remote is anonymous, so not even the URL is
 * in its configuration), and <cache>/<hash>/<commit>/ the YAML files of
 * that commit's tree, written once into a temporary directory that is then
 * renamed, so a reader sees a whole tree or none.  Each directory is 0700
 * and each file 0600.  A ref is listed on every fetch (a branch moves); a
 * commit already in the cache is not downloaded again.
 */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <git2.h>
#include <openssl/evp.h>

#include "errors_int.h"
#include "pipeline/fetch.h"
#include "util/child.h"
#include "util/fileio.h"
#include "util/hex.h"

#define FETCH_MAX_FILES 10000        /* YAML files written per commit */
#define FETCH_MAX_BYTES (64u << 20)  /* their bytes together */
#define FETCH_TIMEOUT_MS 120000      /* a fetch's time, unless
					SVCCONN_FETCH_TIMEOUT_MS says */
#define FETCH_REPORT_MAX 4096        /* bytes of the child's report */
#define FETCH_FILE_COMMITS 256       /* commits of one repository whose
					files are cached (repo_fetch_file) */

int repo_clone_url(svc_buf *out, const char *type, const char *name,
		   const svc_conn *c, const char *what)
{
	const char *url = c ? svc_conn_url(c) : NULL;
	const char *ctype = c ? svc_conn_type(c) : NULL;
	const char *slash;
	size_t n;

	if (!name || !*name)
		return error_set(SVC_EINVALID, "repository '%s' has no name", what);
	if (url && ctype && (!strcasecmp(ctype, "git") ||
			     !strcasecmp(ctype, "generic")))
		return buf_puts(out, url);   /* the connection names the repo */
	if (!type || !strcasecmp(type, "github"))
		return buf_printf(out, "https://github.com/%s.git", name);
	if (!strcasecmp(type, "bitbucket"))
		return buf_printf(out, "https://bitbucket.org/%s.git", name);
	if (!url)
		return error_set(SVC_EINVALID,
				 "repository '%s' of type %s needs an endpoint",
				 what, type);
	n = strlen(url);
	while (n && url[n - 1] == '/')
		n--;
	if (!strcasecmp(type, "git")) {
		slash = strchr(name, '/');
		if (slash)
			return buf_printf(out, "%.*s/%.*s/_git/%s", (int)n, url,
					  (int)(slash - name), name, slash + 1);
		return buf_printf(out, "%.*s/_git/%s", (int)n, url, name);
	}
	return buf_printf(out, "%.*s/%s%s", (int)n, url, name,
			  strstr(name, ".git") ? "" : ".git");
}

/* What the credentials callback answers with. */
struct cred {
	const char *user;   /**< user name, or NULL */
	const char *pass;   /**< password or token, or NULL */
	int asked;          /**< times the server asked */
};

static int on_cred(git_credential **out, const char *url, const char *from_url,
		   unsigned int allowed, void *payload)
{
	struct cred *g = payload;

	(void)url;
	(void)from_url;
	if (++g->asked > 1)
		return GIT_EAUTH;    /* what we gave was refused */
	if (!(allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) || !g->pass)
		return GIT_PASSTHROUGH;
	return git_credential_userpass_plaintext_new(out, g->user ? g->user : "",
						     g->pass);
}

/* The error of a libgit2 call, for url. */
static int git_fail(int code, const char *url, const struct cred *g)
{
	const git_error *e = git_error_last();

	if (code == GIT_EAUTH || (g->asked > 1))
		return error_set(SVC_EDENIED,
				 "cannot fetch '%s': the server refused the endpoint connection's credentials",
				 url);
	return error_set(SVC_ERROR, "cannot fetch '%s': %s", url,
			 e && e->message ? e->message : "libgit2 error");
}

/* The remote head that ref names (NULL: the default branch), or NULL. */
static const git_remote_head *pick_head(const git_remote_head **heads,
					size_t n, const char *ref,
					git_oid *commit)
{
	const git_remote_head *h = NULL;
	char want[3][512];
	size_t i, k, nw = 0;

	if (!ref || !*ref) {
		snprintf(want[nw++], sizeof(want[0]), "HEAD");
	} else if (!strncmp(ref, "refs/", 5)) {
		snprintf(want[nw++], sizeof(want[0]), "%s", ref);
	} else {
		snprintf(want[nw++], sizeof(want[0]), "refs/heads/%s", ref);
		snprintf(want[nw++], sizeof(want[0]), "refs/tags/%s", ref);
	}
	for (k = 0; k < nw && !h; k++)
		for (i = 0; i < n && !h; i++)
			if (!strcmp(heads[i]->name, want[k]))
				h = heads[i];
	if (!h)
		return NULL;
	git_oid_cpy(commit, &h->oid);
	/* an annotated tag: the commit is listed as the peeled ref */
	for (i = 0; i < n; i++) {
		size_t l = strlen(h->name);

		if (!strncmp(heads[i]->name, h->name, l) &&
		    !strcmp(heads[i]->name + l, "^{}"))
			git_oid_cpy(commit, &heads[i]->oid);
	}
	return h;
}

/* Writing a tree's YAML files under a directory. */
struct writer {
	const char *dir;     /**< the directory */
	git_repository *repo;/**< where the blobs are */
	size_t files;        /**< files written */
	size_t bytes;        /**< their bytes */
	int rc;              /**< first failure */
};

static int is_yaml(const char *name)
{
	size_t n = strlen(name);

	return (n > 4 && !strcasecmp(name + n - 4, ".yml")) ||
	       (n > 5 && !strcasecmp(name + n - 5, ".yaml"));
}

static int write_entry(const char *root, const git_tree_entry *e, void *data)
{
	struct writer *w = data;
	const char *name = git_tree_entry_name(e);
	git_filemode_t mode = git_tree_entry_filemode(e);
	svc_buf path = SVC_BUF_INIT;
	git_blob *blob = NULL;
	int fd = -1, rc;

	if (!strcmp(name, ".") || !strcmp(name, "..") || !strcmp(name, ".git") ||
	    strchr(name, '/'))
		return 1;   /* skip (a subtree: do not descend) */
	if ((rc = buf_printf(&path, "%s/%s%s", w->dir, root, name)))
		goto done;
	if (mode == GIT_FILEMODE_TREE) {
		if (mkdir(path.ptr, 0700) != 0)
			rc = error_set(SVC_ERROR, "cannot create '%s': %s",
				       path.ptr, strerror(errno));
		goto done;
	}
	if ((mode != GIT_FILEMODE_BLOB && mode != GIT_FILEMODE_BLOB_EXECUTABLE) ||
	    !is_yaml(name))
		goto done;
	if (git_blob_lookup(&blob, w->repo, git_tree_entry_id(e))) {
		rc = error_set(SVC_ERROR, "cannot read '%s%s' of the fetched tree",
			       root, name);
		goto done;
	}
	w->bytes += (size_t)git_blob_rawsize(blob);
	if (++w->files > FETCH_MAX_FILES || w->bytes > FETCH_MAX_BYTES) {
		rc = error_set(SVC_EINVALID,
			       "the fetched repository has more YAML than %u files or %u bytes",
			       FETCH_MAX_FILES, FETCH_MAX_BYTES);
		goto done;
	}
	fd = open(path.ptr, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
		  0600);
	if (fd < 0 || write(fd, git_blob_rawcontent(blob),
			    (size_t)git_blob_rawsize(blob)) !=
			      (ssize_t)git_blob_rawsize(blob))
		rc = error_set(SVC_ERROR, "cannot write '%s': %s", path.ptr,
			       strerror(errno));
done:
	if (fd >= 0)
		close(fd);
	git_blob_free(blob);
	buf_clear(&path);
	if (rc) {
		w->rc = rc;
		return -1;
	}
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

/* Write the YAML files of commit (in repo) as directory final. */
static int write_tree(git_repository *repo, const git_oid *commit,
		      const char *final)
{
	struct writer w;
	svc_buf tmp = SVC_BUF_INIT;
	git_object *obj = NULL, *peeled = NULL;
	git_tree *tree = NULL;
	int rc = 0;

	memset(&w, 0, sizeof(w));
	if (git_object_lookup(&obj, repo, commit, GIT_OBJECT_ANY) ||
	    git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT) ||
	    git_commit_tree(&tree, (git_commit *)peeled)) {
		rc = error_set(SVC_ERROR, "the fetched ref is not a commit");
		goto done;
	}
	if ((rc = buf_printf(&tmp, "%s.tmp%ld", final, (long)getpid())))
		goto done;
	nftw(tmp.ptr, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	if (mkdir(tmp.ptr, 0700) != 0) {
		rc = error_set(SVC_ERROR, "cannot create '%s': %s", tmp.ptr,
			       strerror(errno));
		goto done;
	}
	w.dir = tmp.ptr;
	w.repo = repo;
	if (git_tree_walk(tree, GIT_TREEWALK_PRE, write_entry, &w) || w.rc) {
		rc = w.rc ? w.rc : error_set(SVC_ERROR, "cannot walk the fetched tree");
	} else if (rename(tmp.ptr, final) != 0) {
		/* another plan wrote the same commit first: it is the same */
		struct stat st;

		if (!(errno == EEXIST || errno == ENOTEMPTY) ||
		    stat(final, &st) != 0 || !S_ISDIR(st.st_mode))
			rc = error_set(SVC_ERROR, "cannot rename '%s': %s",
				       tmp.ptr, strerror(errno));
	}
	if (rc || access(tmp.ptr, F_OK) == 0)
		nftw(tmp.ptr, rm_one, 16, FTW_DEPTH | FTW_PHYS);
done:
	git_tree_free(tree);
	git_object_free(peeled);
	git_object_free(obj);
	buf_clear(&tmp);
	return rc;
}

/* 1 when url carries a user or password in its authority. */
static int url_has_userinfo(const char *url)
{
	const char *p = strstr(url, "://"), *end;

	if (!p)
		return 0;
	p += 3;
	end = p + strcspn(p, "/?#");
	return memchr(p, '@', (size_t)(end - p)) != NULL;
}

/*
 * The bare repository that caches url under cache: *repo, and its base
 * directory <cache>/<sha256(url), 32 hex> into base.  libgit2 must be
 * initialised.
 */
static int open_cache(git_repository **repo, svc_buf *base, const char *cache,
		      const char *url)
{
	svc_buf gitdir = SVC_BUF_INIT;
	unsigned char md[32];
	char hexmd[33];
	int rc;

	*repo = NULL;
	if (url_has_userinfo(url))
		return error_set(SVC_EINVALID,
				 "'%s': a clone URL must not hold credentials", url);
	if (!EVP_Digest(url, strlen(url), md, NULL, EVP_sha256(), NULL))
		return error_set(SVC_ERROR, "sha256 failed");
	hex_write(hexmd, md, 16);
	hexmd[32] = '\0';
	if ((rc = dir_ensure_private(cache)) ||
	    (rc = buf_printf(base, "%s/%s", cache, hexmd)) ||
	    (rc = dir_ensure_private(base->ptr)) ||
	    (rc = buf_printf(&gitdir, "%s/git", base->ptr)))
		goto done;
	if (git_repository_open_bare(repo, gitdir.ptr) &&
	    git_repository_init(repo, gitdir.ptr, 1))
		rc = error_set(SVC_ERROR, "cannot create the fetch cache '%s': %s",
			       gitdir.ptr,
			       git_error_last() ? git_error_last()->message : "");
done:
	buf_clear(&gitdir);
	return rc;
}

/*
 * An anonymous remote of url in repo, connected for fetching with the
 * credentials of g, its refs listed into *heads and *n.
 */
static int connect_ls(git_remote **remote, const git_remote_head ***heads,
		      size_t *n, git_repository *repo, const char *url,
		      git_remote_callbacks *cb, git_proxy_options *px,
		      struct cred *g)
{
	git_remote_create_options ro = GIT_REMOTE_CREATE_OPTIONS_INIT;
	int rc;

	cb->credentials = on_cred;
	cb->payload = g;
	px->type = GIT_PROXY_AUTO;
	/*
	 * anonymous, and without url.*.insteadOf of the user's configuration:
	 * the URL is the resource's, as the service fetches it
	 */
	ro.repository = repo;
	ro.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF |
		   GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
	if ((rc = git_remote_create_with_opts(remote, url, &ro)) ||
	    (rc = git_remote_connect(*remote, GIT_DIRECTION_FETCH, cb, px, NULL)) ||
	    (rc = git_remote_ls(heads, n, *remote)))
		return git_fail(rc, url, g);
	return 0;
}

/* Download refspec of the connected remote into its repository. */
static int download(git_remote *remote, const char *refspec,
		    git_remote_callbacks *cb, git_proxy_options *px,
		    const char *url, const struct cred *g)
{
	git_fetch_options fo = GIT_FETCH_OPTIONS_INIT;
	git_strarray specs;
	char *specp = (char *)refspec;
	int rc;

	specs.strings = &specp;
	specs.count = 1;
	fo.callbacks = *cb;
	fo.proxy_opts = *px;
	fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	if ((rc = git_remote_download(remote, &specs, &fo)))
		return git_fail(rc, url, g);
	return 0;
}

/* The fetch itself, in the process that calls it. */
static int fetch_here(char **dir, const char *cache, const char *url,
		      const char *ref, const char *user, const char *pass)
{
	git_remote_callbacks cb = GIT_REMOTE_CALLBACKS_INIT;
	git_proxy_options px = GIT_PROXY_OPTIONS_INIT;
	const git_remote_head **heads = NULL;
	const git_remote_head *head;
	git_repository *repo = NULL;
	git_remote *remote = NULL;
	struct cred g = { user, pass, 0 };
	svc_buf base = SVC_BUF_INIT, out = SVC_BUF_INIT, spec = SVC_BUF_INIT;
	char hexc[GIT_OID_HEXSZ + 1];
	git_oid commit;
	struct stat st;
	size_t n = 0;
	int rc;

	*dir = NULL;
	git_libgit2_init();
	if ((rc = open_cache(&repo, &base, cache, url)) ||
	    (rc = connect_ls(&remote, &heads, &n, repo, url, &cb, &px, &g)))
		goto shutdown;
	if (!(head = pick_head(heads, n, ref, &commit))) {
		rc = error_set(SVC_ENOTFOUND, "'%s' has no ref '%s'", url,
			       ref && *ref ? ref : "HEAD");
		goto shutdown;
	}
	git_oid_tostr(hexc, sizeof(hexc), &commit);
	if ((rc = buf_printf(&out, "%s/%s", base.ptr, hexc)))
		goto shutdown;
	if (stat(out.ptr, &st) == 0 && S_ISDIR(st.st_mode))
		goto found;    /* this commit is in the cache */
	if ((rc = buf_printf(&spec, "+%s:refs/svcconn/fetched",
			     strcmp(head->name, "HEAD") ? head->name
			     : head->symref_target ? head->symref_target
			     : "HEAD")) ||
	    (rc = download(remote, spec.ptr, &cb, &px, url, &g)) ||
	    (rc = write_tree(repo, &commit, out.ptr)))
		goto shutdown;
found:
	*dir = buf_detach(&out, NULL);
	rc = *dir ? 0 : error_oom();
shutdown:
	git_remote_free(remote);
	git_repository_free(repo);
	git_libgit2_shutdown();
	buf_clear(&base);
	buf_clear(&out);
	buf_clear(&spec);
	return rc;
}

/* ---- one file at a commit (registered pipelines) ----------------------- */

/* The git blob id of data (SHA-1 of "blob LEN\0" + data) as hex into out. */
static int blob_id_hex(char out[41], const void *data, size_t len)
{
	unsigned char md[20];
	char head[32];
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int n = snprintf(head, sizeof(head), "blob %zu", len), ok;

	ok = c && EVP_DigestInit_ex(c, EVP_sha1(), NULL) &&
	     EVP_DigestUpdate(c, head, (size_t)n + 1) &&
	     EVP_DigestUpdate(c, data, len) &&
	     EVP_DigestFinal_ex(c, md, NULL);
	EVP_MD_CTX_free(c);
	if (!ok)
		return error_set(SVC_ERROR, "sha1 failed");
	hex_write(out, md, 20);
	out[40] = '\0';
	return 0;
}

/*
 * The blob id of path in commit of repo (every object read is checked
 * against its id by libgit2), into blob; SVC_ENOTFOUND when the commit or
 * the path is not there (*no_commit set for the commit).
 */
static int blob_at(git_oid *blob, size_t *size, int *no_commit,
		   git_repository *repo, const git_oid *commit,
		   const char *path, const char *url)
{
	git_commit *c = NULL;
	git_tree *tree = NULL;
	git_tree_entry *e = NULL;
	git_blob *b = NULL;
	char hexc[GIT_OID_HEXSZ + 1];
	int rc = 0;

	*no_commit = 0;
	git_oid_tostr(hexc, sizeof(hexc), commit);
	if (git_commit_lookup(&c, repo, commit)) {
		*no_commit = 1;
		return SVC_ENOTFOUND;
	}
	if (git_commit_tree(&tree, c)) {
		rc = error_set(SVC_ERROR, "cannot read the tree of commit %s of '%s'",
			       hexc, url);
		goto done;
	}
	if (git_tree_entry_bypath(&e, tree, path) ||
	    (git_tree_entry_filemode(e) != GIT_FILEMODE_BLOB &&
	     git_tree_entry_filemode(e) != GIT_FILEMODE_BLOB_EXECUTABLE)) {
		rc = error_set(SVC_ENOTFOUND, "'%s' is not a file of commit %s of '%s'",
			       path, hexc, url);
		goto done;
	}
	if (git_blob_lookup(&b, repo, git_tree_entry_id(e))) {
		rc = error_set(SVC_ERROR, "cannot read '%s' of commit %s of '%s': %s",
			       path, hexc, url,
			       git_error_last() ? git_error_last()->message : "");
		goto done;
	}
	git_oid_cpy(blob, git_tree_entry_id(e));
	*size = (size_t)git_blob_rawsize(b);
done:
	git_blob_free(b);
	git_tree_entry_free(e);
	git_tree_free(tree);
	git_commit_free(c);
	return rc;
}

/* What a file fetch reports from its child. */
struct file_job {
	const char *cache, *url, *branch, *commit, *path, *user, *pass;
	size_t max;  /**< largest file accepted */
};

static int rm_tree(const char *dir)
{
	return nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/*
 * Keep at most FETCH_FILE_COMMITS commit directories of entries under
 * base: before one more is made, the least recently written go.
 */
static void prune_commits(const char *base)
{
	DIR *d = opendir(base);
	struct dirent *e;
	struct stat st;
	char oldest[41] = "", path[4096];
	time_t when = 0;
	size_t n = 0;

	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strlen(e->d_name) != 40 ||
		    strspn(e->d_name, "0123456789abcdef") != 40)
			continue;
		snprintf(path, sizeof(path), "%s/%s", base, e->d_name);
		if (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode))
			continue;
		n++;
		if (!oldest[0] || st.st_mtime < when) {
			memcpy(oldest, e->d_name, 41);
			when = st.st_mtime;
		}
	}
	closedir(d);
	if (n >= FETCH_FILE_COMMITS && oldest[0]) {
		snprintf(path, sizeof(path), "%s/%s", base, oldest);
		rm_tree(path);
	}
}

/*
 * In the child: the file of j at its commit (or the branch's head) into
 * the entry <base>/<commit>/<sha256(path)>; *state 0 when the entry was
 * in the cache and right, 1 when fetched, 2 when the entry had been
 * altered (the repository's cache is then thrown away and fetched again).
 */
static int file_here(svc_buf *entry, char hexc[41], char hexb[41], int *state,
		     const struct file_job *j)
{
	git_remote_callbacks cb = GIT_REMOTE_CALLBACKS_INIT;
	git_proxy_options px = GIT_PROXY_OPTIONS_INIT;
	const git_remote_head **heads = NULL;
	const git_remote_head *head = NULL;
	git_repository *repo = NULL;
	git_remote *remote = NULL;
	struct cred g = { j->user, j->pass, 0 };
	svc_buf base = SVC_BUF_INIT, dir = SVC_BUF_INIT, spec = SVC_BUF_INIT,
		have = SVC_BUF_INIT;
	unsigned char md[32];
	char hexp[33];
	git_oid commit, blob;
	git_blob *b = NULL;
	size_t n = 0, size = 0;
	int rc, no_commit = 0, tries;

	*state = 0;
	git_libgit2_init();
	if (!EVP_Digest(j->path, strlen(j->path), md, NULL, EVP_sha256(), NULL)) {
		rc = error_set(SVC_ERROR, "sha256 failed");
		goto done;
	}
	hex_write(hexp, md, 16);
	hexp[32] = '\0';
	if (j->commit && git_oid_fromstr(&commit, j->commit)) {
		rc = error_set(SVC_EINVALID, "'%s' is not a full commit id (40 hex digits)",
			       j->commit);
		goto done;
	}
	for (tries = 0; tries < 2; tries++) {
		if ((rc = open_cache(&repo, &base, j->cache, j->url)))
			goto done;
		if (!j->commit) {
			/* the branch's head: the remote is asked every time */
			if ((rc = connect_ls(&remote, &heads, &n, repo, j->url, &cb,
					     &px, &g)))
				goto done;
			if (!(head = pick_head(heads, n, j->branch, &commit))) {
				rc = error_set(SVC_ENOTFOUND, "'%s' has no branch '%s'",
					       j->url, j->branch ? j->branch : "HEAD");
				goto done;
			}
		}
		git_oid_tostr(hexc, 41, &commit);
		rc = blob_at(&blob, &size, &no_commit, repo, &commit, j->path,
			     j->url);
		if (rc && !no_commit)
			goto done;
		if (no_commit) {
			/* not cached: download (a given commit: every branch) */
			if (!remote &&
			    (rc = connect_ls(&remote, &heads, &n, repo, j->url,
					     &cb, &px, &g)))
				goto done;
			buf_reset(&spec);
			if ((rc = j->commit
				? buf_puts(&spec, "+refs/heads/*:refs/svcconn/heads/*")
				: buf_printf(&spec, "+%s:refs/svcconn/fetched",
					     strcmp(head->name, "HEAD") ? head->name
					     : head->symref_target ? head->symref_target
					     : "HEAD")) ||
			    (rc = download(remote, spec.ptr, &cb, &px, j->url, &g)))
				goto done;
			if (*state == 0)
				*state = 1;
			rc = blob_at(&blob, &size, &no_commit, repo, &commit,
				     j->path, j->url);
			if (no_commit)
				rc = error_set(SVC_ENOTFOUND,
					       "commit %s is not on any branch of '%s'",
					       hexc, j->url);
			if (rc)
				goto done;
		}
		if (size > j->max) {
			rc = error_set(SVC_EINVALID,
				       "'%s' of commit %s of '%s' has %zu bytes; at most %zu are read",
				       j->path, hexc, j->url, size, j->max);
			goto done;
		}
		git_oid_tostr(hexb, 41, &blob);
		buf_reset(&dir);
		buf_reset(entry);
		if ((rc = buf_printf(&dir, "%s/%s", base.ptr, hexc)))
			goto done;
		if (access(dir.ptr, F_OK) != 0)
			prune_commits(base.ptr);
		if ((rc = dir_ensure_private(dir.ptr)) ||
		    (rc = buf_printf(entry, "%s/%s", dir.ptr, hexp)))
			goto done;
		buf_reset(&have);
		if (file_read_private(&have, entry->ptr, "cached pipeline") == 0) {
			char got[41];

			if ((rc = blob_id_hex(got, have.ptr ? have.ptr : "",
					      have.len)))
				goto done;
			if (!strcmp(got, hexb))
				goto done;    /* the entry is right */
			if (tries == 0) {
				/* altered: distrust this repository's cache */
				*state = 2;
				git_remote_free(remote);
				remote = NULL;
				git_repository_free(repo);
				repo = NULL;
				rm_tree(base.ptr);
				buf_reset(&base);
				continue;
			}
		}
		if (git_blob_lookup(&b, repo, &blob) ||
		    (rc = file_replace_private(entry->ptr, git_blob_rawcontent(b),
					       (size_t)git_blob_rawsize(b))))
			rc = rc ? rc : error_set(SVC_ERROR, "cannot read blob %s", hexb);
		goto done;
	}
done:
	git_blob_free(b);
	git_remote_free(remote);
	git_repository_free(repo);
	git_libgit2_shutdown();
	buf_clear(&base);
	buf_clear(&dir);
	buf_clear(&spec);
	buf_clear(&have);
	return rc;
}

/* In the child: report "0 COMMIT BLOB STATE ENTRY" or "CODE MESSAGE". */
static void file_child(int fd, void *arg)
{
	svc_buf entry = SVC_BUF_INIT;
	char hexc[41] = "", hexb[41] = "";
	int state = 0;
	int rc = file_here(&entry, hexc, hexb, &state, arg);

	if (rc)
		dprintf(fd, "%d %s", rc, svc_error_last());
	else
		dprintf(fd, "0 %s %s %d %s", hexc, hexb, state, entry.ptr);
	buf_clear(&entry);
}

/*
 * libgit2 1.5 has no connect or read timeout, so a fetch runs in a child
 * (libgit2 initialised there only) given up on at the deadline.  The
 * child's report, "0 RESULT" or "CODE MESSAGE", into *msg (in report).
 */
static int run_child(char **result, char *report, const char *url,
		     void (*fn)(int fd, void *arg), void *arg)
{
	const char *env = getenv("SVCCONN_FETCH_TIMEOUT_MS");
	long limit = env && atol(env) > 0 ? atol(env) : FETCH_TIMEOUT_MS;
	int timed_out, rc;
	long code;
	char *msg;

	if ((rc = child_report(report, FETCH_REPORT_MAX, limit, &timed_out,
			       fn, arg)))
		return rc;
	if (timed_out)
		return error_set(SVC_ERROR, "cannot fetch '%s': no answer in %ld ms",
				 url, limit);
	code = strtol(report, &msg, 10);
	if (msg == report || *msg != ' ')
		return error_set(SVC_ERROR, "cannot fetch '%s': the fetch ended without a report",
				 url);
	if (code != 0)
		return error_set((int)code, "%s", msg + 1);
	*result = msg + 1;
	return 0;
}

int repo_fetch_file(char **data, size_t *len, char commit[41], int *state,
		    const char *cache, const char *url, const char *branch,
		    const char *at, const char *path, size_t max,
		    const char *user, const char *pass)
{
	struct file_job j = { cache, url, branch, at, path, user, pass, max };
	char report[FETCH_REPORT_MAX + 1], *res, got[41];
	char hexc[41], hexb[41], entry[FETCH_REPORT_MAX + 1];
	svc_buf b = SVC_BUF_INIT;
	int rc, st;

	if ((rc = run_child(&res, report, url, file_child, &j)))
		return rc;
	if (sscanf(res, "%40s %40s %d %4096[^\n]", hexc, hexb, &st, entry) != 4)
		return error_set(SVC_ERROR, "cannot fetch '%s': a malformed report",
				 url);
	/* the entry is read again here: it must still be the blob */
	buf_init(&b, max + 1, 0);
	if ((rc = file_read_private(&b, entry, "cached pipeline")) ||
	    (rc = blob_id_hex(got, b.ptr ? b.ptr : "", b.len)))
		goto done;
	if (strcmp(got, hexb)) {
		rc = error_set(SVC_EINSECURE,
			       "the cached '%s' of commit %s of '%s' was altered while it was read",
			       path, hexc, url);
		goto done;
	}
	if (!b.ptr && (rc = buf_putc(&b, '\0')) == 0)
		b.len = 0;
	if (rc)
		goto done;
	*len = b.len;
	*data = buf_detach(&b, NULL);
	memcpy(commit, hexc, 41);
	*state = st;
	rc = *data ? 0 : error_oom();
done:
	buf_clear(&b);
	return rc;
}

/* What the child of repo_fetch needs. */
struct fetch_job {
	const char *cache, *url, *ref, *user, *pass; /**< repo_fetch's */
};

/* In the child: fetch, and report "0 DIR" or "CODE MESSAGE". */
static void fetch_child(int fd, void *arg)
{
	const struct fetch_job *j = arg;
	char *d = NULL;
	int rc = fetch_here(&d, j->cache, j->url, j->ref, j->user, j->pass);

	dprintf(fd, "%d %s", rc, rc ? svc_error_last() : d);
}

int repo_fetch(char **dir, const char *cache, const char *url,
	       const char *ref, const char *user, const char *pass,
	       size_t passlen)
{
	struct fetch_job j = { cache, url, ref, user, pass };
	char report[FETCH_REPORT_MAX + 1], *res;
	int rc;

	(void)passlen;
	*dir = NULL;
	if ((rc = run_child(&res, report, url, fetch_child, &j)))
		return rc;
	if (!(*dir = strdup(res)))
		return error_oom();
	return 0;
}
