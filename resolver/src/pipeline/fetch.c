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
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
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

/* The fetch itself, in the process that calls it. */
static int fetch_here(char **dir, const char *cache, const char *url,
		      const char *ref, const char *user, const char *pass)
{
	git_remote_callbacks cb = GIT_REMOTE_CALLBACKS_INIT;
	git_fetch_options fo = GIT_FETCH_OPTIONS_INIT;
	git_proxy_options px = GIT_PROXY_OPTIONS_INIT;
	git_remote_create_options ro = GIT_REMOTE_CREATE_OPTIONS_INIT;
	const git_remote_head **heads = NULL;
	const git_remote_head *head;
	git_repository *repo = NULL;
	git_remote *remote = NULL;
	struct cred g = { user, pass, 0 };
	svc_buf base = SVC_BUF_INIT, gitdir = SVC_BUF_INIT, out = SVC_BUF_INIT,
		spec = SVC_BUF_INIT;
	unsigned char md[32];
	char hexmd[33], hexc[GIT_OID_HEXSZ + 1], *specp;
	git_strarray specs;
	git_oid commit;
	struct stat st;
	size_t n = 0;
	int rc;

	*dir = NULL;
	if (url_has_userinfo(url))
		return error_set(SVC_EINVALID,
				 "'%s': a clone URL must not hold credentials", url);
	if (!EVP_Digest(url, strlen(url), md, NULL, EVP_sha256(), NULL))
		return error_set(SVC_ERROR, "sha256 failed");
	hex_write(hexmd, md, 16);
	hexmd[32] = '\0';
	if ((rc = dir_ensure_private(cache)) ||
	    (rc = buf_printf(&base, "%s/%s", cache, hexmd)) ||
	    (rc = dir_ensure_private(base.ptr)) ||
	    (rc = buf_printf(&gitdir, "%s/git", base.ptr)))
		goto done;
	git_libgit2_init();
	if (git_repository_open_bare(&repo, gitdir.ptr) &&
	    git_repository_init(&repo, gitdir.ptr, 1)) {
		rc = error_set(SVC_ERROR, "cannot create the template cache '%s': %s",
			       gitdir.ptr, git_error_last() ? git_error_last()->message : "");
		goto shutdown;
	}
	cb.credentials = on_cred;
	cb.payload = &g;
	px.type = GIT_PROXY_AUTO;
	/*
	 * anonymous, and without url.*.insteadOf of the user's configuration:
	 * the URL is the resource's, as the service fetches it
	 */
	ro.repository = repo;
	ro.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF |
		   GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
	if ((rc = git_remote_create_with_opts(&remote, url, &ro)) ||
	    (rc = git_remote_connect(remote, GIT_DIRECTION_FETCH, &cb, &px, NULL)) ||
	    (rc = git_remote_ls(&heads, &n, remote))) {
		rc = git_fail(rc, url, &g);
		goto shutdown;
	}
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
			     : "HEAD"))) 
		goto shutdown;
	specp = spec.ptr;
	specs.strings = &specp;
	specs.count = 1;
	fo.callbacks = cb;
	fo.proxy_opts = px;
	fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	if ((rc = git_remote_download(remote, &specs, &fo))) {
		rc = git_fail(rc, url, &g);
		goto shutdown;
	}
	if ((rc = write_tree(repo, &commit, out.ptr)))
		goto shutdown;
found:
	*dir = buf_detach(&out, NULL);
	rc = *dir ? 0 : error_oom();
shutdown:
	git_remote_free(remote);
	git_repository_free(repo);
	git_libgit2_shutdown();
done:
	buf_clear(&base);
	buf_clear(&gitdir);
	buf_clear(&out);
	buf_clear(&spec);
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

/*
 * libgit2 1.5 has no connect or read timeout, so the fetch runs in a child
 * (libgit2 initialised there only) given up on at the deadline.
 */
int repo_fetch(char **dir, const char *cache, const char *url,
	       const char *ref, const char *user, const char *pass,
	       size_t passlen)
{
	struct fetch_job j = { cache, url, ref, user, pass };
	char report[FETCH_REPORT_MAX + 1], *msg;
	const char *env = getenv("SVCCONN_FETCH_TIMEOUT_MS");
	long limit = env && atol(env) > 0 ? atol(env) : FETCH_TIMEOUT_MS;
	int timed_out, rc;
	long code;

	(void)passlen;
	*dir = NULL;
	if ((rc = child_report(report, FETCH_REPORT_MAX, limit, &timed_out,
			       fetch_child, &j)))
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
	if (!(*dir = strdup(msg + 1)))
		return error_oom();
	return 0;
}
