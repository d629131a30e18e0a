/*
 * plan.c - a pipeline's references resolved against the store: the plan.
 *
 * Building a plan: load the task manifests, expand the pipeline
 * (pipeline/template.c), walk it for references (pipeline/model.c), then
 * resolve each reference by connection name (case-insensitive) or id and
 * check the connection's type and scheme against what the input accepts.
 * From a store, only the connections the references name are read
 * (find_conns); every one only when a name is not found, for the
 * suggestions.
 * Every reference that does not resolve also becomes a diagnostic at its
 * file, line and column saying what was expected; unknown names come with
 * the closest existing names.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>

#include "svcconn/authz.h"
#include "errors_int.h"
#include "resolve/plan_int.h"
#include "util/buf.h"
#include "util/macro.h"
#include "util/fileio.h"
#include "util/home.h"
#include "pipeline/fetch.h"
#include "store/store_int.h"

const char *plan_str(svc_plan *p, const char *s)
{
	char *copy;

	if (!s)
		return NULL;
	if (p->nstrs == p->astrs) {
		size_t n = p->astrs ? p->astrs * 2 : 64, bytes;
		char **np;

		if (!size_mul_ok(&bytes, n, sizeof(*np)) ||
		    !(np = realloc(p->strs, bytes)))
			return NULL;
		p->strs = np;
		p->astrs = n;
	}
	if (!(copy = strdup(s)))
		return NULL;
	p->strs[p->nstrs++] = copy;
	return copy;
}

int plan_add_ref(svc_plan *p, const svc_ref *r)
{
	if (p->nrefs == p->arefs) {
		size_t n = p->arefs ? p->arefs * 2 : 32, bytes;
		svc_ref *np;

		if (!size_mul_ok(&bytes, n, sizeof(*np)) ||
		    !(np = realloc(p->refs, bytes)))
			return error_oom();
		p->refs = np;
		p->arefs = n;
	}
	p->refs[p->nrefs++] = *r;
	return 0;
}

/* Copy ctl into d, with an array of its own. */
static int copy_ctl(struct plan_ctl *d, const struct plan_ctl *ctl)
{
	size_t i;

	*d = *ctl;
	d->depends = calloc(ctl->ndepends + 1, sizeof(*d->depends));
	if (!d->depends)
		return error_oom();
	for (i = 0; i < ctl->ndepends; i++)
		d->depends[i] = ctl->depends[i];
	return 0;
}

int plan_add_stage(svc_plan *p, const char *name, const struct plan_ctl *ctl)
{
	struct plan_stage *n = realloc(p->stages, (p->nstages + 1) * sizeof(*n));

	if (!n)
		return error_oom();
	p->stages = n;
	n[p->nstages].name = plan_str(p, name);
	if (copy_ctl(&n[p->nstages].ctl, ctl))
		return error_oom();
	p->nstages++;
	return 0;
}

int plan_add_job(svc_plan *p, const char *stage, const char *job,
		 const char *const *aliases, size_t naliases,
		 const struct plan_ctl *ctl)
{
	struct plan_job *n = realloc(p->jobs, (p->njobs + 1) * sizeof(*n)), *j;
	size_t i;

	if (!n)
		return error_oom();
	p->jobs = n;
	j = &p->jobs[p->njobs];
	memset(j, 0, sizeof(*j));
	j->stage = plan_str(p, stage);
	j->job = plan_str(p, job);
	j->aliases = calloc(naliases ? naliases : 1, sizeof(*j->aliases));
	if (!j->aliases)
		return error_oom();
	for (i = 0; i < naliases; i++)
		j->aliases[j->naliases++] = plan_str(p, aliases[i]);
	p->njobs++;
	return copy_ctl(&j->ctl, ctl);
}

int plan_job_vars(svc_plan *p, const macro_dict *d)
{
	struct plan_job *j = p->njobs ? &p->jobs[p->njobs - 1] : NULL;
	size_t i;

	if (!j)
		return 0;
	j->var_names = calloc(d->n + 1, sizeof(*j->var_names));
	j->var_values = calloc(d->n + 1, sizeof(*j->var_values));
	if (!j->var_names || !j->var_values)
		return error_oom();
	for (i = 0; i < d->n; i++) {
		j->var_names[i] = plan_str(p, d->v[i].name);
		j->var_values[i] = plan_str(p, d->v[i].raw);
		if (!j->var_names[i] || !j->var_values[i])
			return error_oom();
	}
	j->nvars = d->n;
	return 0;
}

int plan_add_repo(svc_plan *p, const svc_plan_repo *r)
{
	svc_plan_repo *n = realloc(p->repos, (p->nrepos + 1) * sizeof(*n));

	if (!n)
		return error_oom();
	p->repos = n;
	p->repos[p->nrepos++] = *r;
	return 0;
}

int plan_add_lock(svc_plan *p, const char *stage, int sequential)
{
	struct plan_lock *n = realloc(p->locks, (p->nlocks + 1) * sizeof(*n));

	if (!n)
		return error_oom();
	p->locks = n;
	p->locks[p->nlocks].stage = plan_str(p, stage);
	p->locks[p->nlocks++].sequential = sequential;
	return 0;
}

int plan_add_step(svc_plan *p, const svc_plan_step *st)
{
	svc_plan_step *n = realloc(p->steps, (p->nsteps + 1) * sizeof(*n)), *d;
	const char **names, **values, **enames, **evalues;
	size_t i;

	if (!n)
		return error_oom();
	p->steps = n;
	d = &p->steps[p->nsteps];
	*d = *st;
	names = calloc(st->ninputs + 1, sizeof(*names));
	values = calloc(st->ninputs + 1, sizeof(*values));
	enames = calloc(st->nenv + 1, sizeof(*enames));
	evalues = calloc(st->nenv + 1, sizeof(*evalues));
	if (!names || !values || !enames || !evalues) {
		free(names);
		free(values);
		free(enames);
		free(evalues);
		return error_oom();
	}
	for (i = 0; i < st->ninputs; i++) {
		names[i] = st->input_names[i];
		values[i] = st->input_values[i];
	}
	for (i = 0; i < st->nenv; i++) {
		enames[i] = plan_str(p, st->env_names[i]);
		evalues[i] = plan_str(p, st->env_values[i]);
	}
	d->input_names = names;
	d->input_values = values;
	d->env_names = enames;
	d->env_values = evalues;
	p->nsteps++;
	return 0;
}

size_t svc_plan_step_count(const svc_plan *p)
{
	return p->nsteps;
}

const svc_plan_step *svc_plan_step_at(const svc_plan *p, size_t i)
{
	return i < p->nsteps ? &p->steps[i] : NULL;
}

static int same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

int svc_plan_has_job(const svc_plan *p, const char *stage, const char *job)
{
	size_t i;

	for (i = 0; i < p->njobs; i++)
		if (same(p->jobs[i].stage, stage) && same(p->jobs[i].job, job))
			return 1;
	return 0;
}

int svc_plan_job_vars(const svc_plan *p, const char *stage, const char *job,
		      const char *const **names, const char *const **values,
		      size_t *n)
{
	size_t i;

	for (i = 0; i < p->njobs; i++)
		if (same(p->jobs[i].stage, stage) && same(p->jobs[i].job, job)) {
			static const char *const none[1] = { NULL };

			*names = p->jobs[i].var_names ? p->jobs[i].var_names : none;
			*values = p->jobs[i].var_values ? p->jobs[i].var_values : none;
			*n = p->jobs[i].nvars;
			return 0;
		}
	return error_set(SVC_ENOTFOUND, "there is no job '%s' in the pipeline",
			 job ? job : "");
}

int svc_plan_job_uses(const svc_plan *p, const char *stage, const char *job,
		      const char *alias)
{
	size_t i, j;

	for (i = 0; alias && i < p->njobs; i++) {
		if (!same(p->jobs[i].stage, stage) || !same(p->jobs[i].job, job))
			continue;
		for (j = 0; j < p->jobs[i].naliases; j++)
			if (same(p->jobs[i].aliases[j], alias))
				return 1;
	}
	return 0;
}

const char *svc_plan_extends(const svc_plan *p)
{
	return p->extends;
}

size_t svc_plan_repo_count(const svc_plan *p)
{
	return p->nrepos;
}

const svc_plan_repo *svc_plan_repo_at(const svc_plan *p, size_t i)
{
	return i < p->nrepos ? &p->repos[i] : NULL;
}

int svc_plan_lock_sequential(const svc_plan *p, const char *stage)
{
	size_t i;
	int seq = 0;

	for (i = 0; i < p->nlocks; i++)
		if (!p->locks[i].stage)
			seq = p->locks[i].sequential;
	for (i = 0; stage && i < p->nlocks; i++)
		if (same(p->locks[i].stage, stage))
			seq = p->locks[i].sequential;
	return seq;
}

/* ---- finding connections -------------------------------------------------- */

static int cmp_conn_name(const void *a, const void *b)
{
	return strcasecmp(svc_conn_name(*(svc_conn *const *)a),
			  svc_conn_name(*(svc_conn *const *)b));
}

static const svc_conn *find_conn(const svc_plan *p, const char *value)
{
	size_t lo = 0, hi = p->nconns, i;

	if (svc_is_uuid(value)) {
		for (i = 0; i < p->nconns; i++)
			if (strcmp(svc_conn_id(p->conns[i]), value) == 0)
				return p->conns[i];
		return NULL;
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcasecmp(value, svc_conn_name(p->conns[mid]));

		if (c == 0)
			return p->conns[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* qsort: strings. */
static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The plan's connections: list (n of them), sorted by name. */
static void set_conns(svc_plan *p, svc_conn **list, size_t n)
{
	svc_store_conn_list_free(p->conns, p->nconns);
	p->conns = list;
	p->nconns = n;
	if (n)
		qsort(p->conns, n, sizeof(*p->conns), cmp_conn_name);
}

/*
 * With in->find: the connections the references still to resolve name,
 * their distinct values asked for at once; and every connection when one
 * of them names none, so that its message suggests the closest names
 * (resolve_one).
 */
static int find_conns(svc_plan *p, const struct plan_input *in)
{
	const char **keys = NULL;
	svc_conn **list = NULL;
	size_t nkeys = 0, n = 0, i;
	int rc, missing = 0;

	for (i = 0; i < p->nrefs; i++)
		nkeys += p->refs[i].status == SVC_REF_RESOLVED;
	if (!nkeys)
		return 0;
	if (!(keys = calloc(nkeys, sizeof(*keys))))
		return error_oom();
	for (i = 0, nkeys = 0; i < p->nrefs; i++)
		if (p->refs[i].status == SVC_REF_RESOLVED)
			keys[nkeys++] = p->refs[i].value;
	qsort(keys, nkeys, sizeof(*keys), cmp_str);
	for (i = 1, n = nkeys ? 1 : 0; i < nkeys; i++)
		if (strcmp(keys[n - 1], keys[i]) != 0)
			keys[n++] = keys[i];
	nkeys = n;
	n = 0;
	rc = in->find(&list, &n, keys, nkeys, in->data);
	if (rc == 0) {
		set_conns(p, list, n);
		for (i = 0; i < nkeys && !missing; i++)
			missing = !find_conn(p, keys[i]);
	}
	free(keys);
	if (rc || !missing)
		return rc;
	list = NULL;
	n = 0;
	if ((rc = in->find(&list, &n, NULL, 0, in->data)) == 0)
		set_conns(p, list, n);
	return rc;
}

/* Edit distance of a and b, ignoring case, capped at cap + 1. */
static size_t distance(const char *a, const char *b, size_t cap)
{
	size_t la = strlen(a), lb = strlen(b), i, j, row[257], prev, tmp;

	if (la > 256 || lb > 256)
		return cap + 1;
	if ((la > lb ? la - lb : lb - la) > cap)
		return cap + 1;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t cost = ((a[i - 1] | 32) == (b[j - 1] | 32)) ? 0 : 1;

			tmp = row[j];
			row[j] = prev + cost;
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			if (tmp + 1 < row[j])
				row[j] = tmp + 1;
			prev = tmp;
		}
	}
	return row[lb];
}

/* "; did you mean 'a', 'b'?" for the closest names, into out. */
static void suggest(const svc_plan *p, const char *value, svc_buf *out)
{
	size_t cap = strlen(value) / 3 > 2 ? strlen(value) / 3 : 2;
	const char *best[3] = { NULL, NULL, NULL };
	size_t bestd[3] = { (size_t)-1, (size_t)-1, (size_t)-1 }, i, k, shown = 0;

	for (i = 0; i < p->nconns; i++) {
		const char *n = svc_conn_name(p->conns[i]);
		size_t d = distance(value, n, cap);

		if (d > cap)
			continue;
		for (k = 0; k < 3; k++)
			if (d < bestd[k]) {
				memmove(&best[k + 1], &best[k],
					(2 - k) * sizeof(best[0]));
				memmove(&bestd[k + 1], &bestd[k],
					(2 - k) * sizeof(bestd[0]));
				best[k] = n;
				bestd[k] = d;
				break;
			}
	}
	for (k = 0; k < 3 && best[k]; k++)
		buf_printf(out, "%s'%s'", shown++ ? ", " : "; did you mean ",
			   best[k]);
	if (shown)
		buf_putc(out, '?');
}

/* 1 when scheme is one of the comma-separated list, ignoring case. */
static int scheme_ok(const char *list, const char *scheme)
{
	size_t n = strlen(scheme);

	while (list && *list) {
		size_t len = strcspn(list, ",");

		if (len == n && strncasecmp(list, scheme, n) == 0)
			return 1;
		list += len;
		if (*list == ',')
			list++;
	}
	return 0;
}

static void resolve_one(svc_plan *p, svc_ref *r, const svc_catalog *cat)
{
	svc_buf msg = SVC_BUF_INIT;
	const svc_type *want = r->accepts ? svc_catalog_find(cat, r->accepts)
					  : NULL;
	const svc_conn *c;

	if (r->status != SVC_REF_RESOLVED)
		goto report;
	c = find_conn(p, r->value);
	if (!c) {
		r->status = SVC_REF_UNKNOWN_NAME;
		buf_printf(&msg, "no connection named '%s'", r->value);
		if (r->accepts)
			buf_printf(&msg, " (expected a connection of type '%s')",
				   r->accepts);
		suggest(p, r->value, &msg);
	} else {
		r->conn_id = svc_conn_id(c);
		r->conn_name = svc_conn_name(c);
		r->conn_type = svc_conn_type(c);
		r->conn_scheme = svc_conn_scheme(c);
		if (r->accepts && !want) {
			r->status = SVC_REF_WRONG_TYPE;
			buf_printf(&msg, "'%s' accepts connections of type '%s', which svcconn does not define",
				   r->key, r->accepts);
		} else if (want && strcasecmp(want->id, svc_conn_type(c)) != 0) {
			r->status = SVC_REF_WRONG_TYPE;
			buf_printf(&msg, "connection '%s' is of type '%s', but '%s' expects type '%s'",
				   svc_conn_name(c), svc_conn_type(c), r->key,
				   want->id);
		} else if (r->schemes &&
			   !scheme_ok(r->schemes, svc_conn_scheme(c))) {
			r->status = SVC_REF_WRONG_SCHEME;
			buf_printf(&msg, "connection '%s' uses scheme '%s', but '%s' accepts only %s",
				   svc_conn_name(c), svc_conn_scheme(c), r->key,
				   r->schemes);
		}
	}
	if (msg.len)
		r->message = plan_str(p, msg.ptr);
report:
	if (r->status != SVC_REF_RESOLVED)
		svc_diags_add(p->diags, r->file, r->line, r->column,
			      SVC_SEV_ERROR, r->key, "%s%s%s: %s",
			      r->task ? r->task : svc_ref_kind_name(r->kind),
			      r->task ? " input " : " ",
			      r->key ? r->key : "",
			      r->message ? r->message : svc_ref_status_name(r->status));
	buf_clear(&msg);
}

/*
 * What would gate each resolved reference for pipeline, without starting
 * anything: its permission, and the enabled checks of its connection, as
 * in->authorize reads them (SVC_EDENIED: not shown).
 */
static int authorize(svc_plan *p, const struct plan_input *in,
		     const char *pipeline)
{
	size_t i, j, n;
	int rc = 0;

	for (i = 0; i < p->nrefs && !rc; i++) {
		svc_ref *r = &p->refs[i];
		svc_check *k = NULL;
		svc_buf list = SVC_BUF_INIT;
		int allowed = 0;

		if (r->status != SVC_REF_RESOLVED)
			continue;
		n = 0;
		rc = in->authorize(&allowed, &k, &n, r->conn_id, pipeline,
				   in->data);
		if (rc == SVC_EDENIED) {
			svc_error_clear();
			rc = 0;
			continue;
		}
		if (rc)
			break;
		for (j = 0; j < n; j++)
			if (k[j].enabled)
				buf_printf(&list, "%s%s:%s", list.len ? "," : "",
					   k[j].kind, k[j].id);
		r->authz = plan_str(p, !allowed ? "needs-permission"
				       : list.len ? "checks" : "authorized");
		r->checks = list.len ? plan_str(p, list.ptr) : NULL;
		buf_clear(&list);
		svc_checks_free(k, n);
	}
	return rc;
}

/* ---- building ----------------------------------------------------------- */

/* What fetching a template repository needs. */
struct fetcher {
	svc_store *st;        /**< the store (endpoint connections), or NULL */
	char *cache;          /**< $SVCCONN_HOME/cache/templates */
};

/*
 * The tpl_fetch_fn of the plan: repository resource r fetched through its
 * endpoint connection, whose secret goes to git from memory only.
 */
static int fetch_repo(char **dir, const tpl_repo *r, void *data)
{
	struct fetcher *f = data;
	svc_buf url = SVC_BUF_INIT;
	const char *user = NULL, *pass = NULL;
	svc_conn *c = NULL;
	size_t plen = 0;
	int rc = 0;

	if (!f->cache) {
		svc_buf b = SVC_BUF_INIT;
		char *home = NULL;

		if (f->st)
			home = strdup(svc_store_home(f->st));
		else if (home_dir(&home, NULL) != 0)
			home = NULL;
		if (!home)
			return error_set(SVC_ENOTFOUND,
					 "no home for the template cache: set SVCCONN_HOME");
		if ((rc = buf_printf(&b, "%s/cache", home)) ||
		    (rc = dir_ensure_private(b.ptr)) ||
		    (rc = buf_puts(&b, "/templates")) ||
		    (rc = dir_ensure_private(b.ptr))) {
			free(home);
			buf_clear(&b);
			return rc;
		}
		free(home);
		f->cache = buf_detach(&b, NULL);
	}
	if (r->endpoint) {
		if (strstr(r->endpoint, "$(") || strstr(r->endpoint, "${{"))
			return error_set(SVC_EINVALID,
					 "endpoint '%s' is known only at run time",
					 r->endpoint);
		if (!f->st)
			return error_set(SVC_ENOTFOUND,
					 "endpoint connection '%s' cannot be read without a store",
					 r->endpoint);
		if ((rc = svc_store_conn_get(&c, f->st, r->endpoint,
					     SVC_GET_SECRETS))) {
			char why[512];

			snprintf(why, sizeof(why), "%s", svc_error_last());
			return error_set(rc, "endpoint connection '%s': %s",
					 r->endpoint, why);
		}
		if (svc_conn_git_credential(c, &user, &pass, &plen)) {
			rc = error_set(SVC_EINVALID,
				       "endpoint connection '%s' (scheme %s) gives git no credential",
				       r->endpoint, svc_conn_scheme(c) ? svc_conn_scheme(c) : "none");
			goto done;
		}
	}
	if (!(rc = repo_clone_url(&url, r->type, r->name, c, r->alias)))
		rc = repo_fetch(dir, f->cache, url.ptr, r->ref, user, pass, plen);
done:
	svc_conn_free(c);
	buf_clear(&url);
	return rc;
}

void plan_tpl_options(tpl_options *to, const svc_plan_options *o)
{
	memset(to, 0, sizeof(*to));
	to->vars = o->vars;
	to->nvars = o->nvars;
	to->explore = !(o->flags & SVC_PLAN_EXACT);
}

int plan_build(svc_plan **out, const svc_plan_options *o,
	       const struct plan_input *in, const svc_catalog *cat)
{
	struct fetcher fetcher = { in->fetch_store, NULL };
	svc_conn **conns = in->conns;
	const ynode *root = NULL;
	tpl_options to;
	svc_plan *p;
	size_t i;
	int rc;

	if (!o || o->version != SVC_PLAN_OPTIONS_VERSION || !o->file) {
		svc_store_conn_list_free(conns, in->nconns);
		return error_set(SVC_EINVALID, "invalid plan options");
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		svc_store_conn_list_free(conns, in->nconns);
		return error_oom();
	}
	/* the plan owns the connections from here on */
	set_conns(p, conns, in->nconns);
	/* the options' directories, $SVCCONN_TASKS_PATH, the shipped tasks */
	if ((rc = svc_diags_new(&p->diags)) ||
	    (rc = svc_tasks_load_path(&p->tasks, o->task_dirs, o->ntask_dirs,
				      p->diags)))
		goto fail;
	plan_tpl_options(&to, o);
	to.source = in->source;
	if (o->flags & SVC_PLAN_FETCH) {
		to.fetch = fetch_repo;
		to.fetch_data = &fetcher;
	}
	rc = tpl_expand(&p->tpl, &root, o->file, &to, p->diags);
	free(fetcher.cache);
	if (rc)
		goto fail;
	p->extends = plan_str(p, tpl_extends(p->tpl));
	if ((rc = model_walk(p, root, o->vars, o->nvars)) ||
	    (in->find && (rc = find_conns(p, in))))
		goto fail;
	for (i = 0; i < p->nrefs; i++)
		resolve_one(p, &p->refs[i], cat);
	if (in->authorize && o->pipeline && !(o->flags & SVC_PLAN_NO_AUTHZ) &&
	    (rc = authorize(p, in, o->pipeline)))
		goto fail;
	*out = p;
	return 0;
fail:
	svc_plan_free(p);
	return rc;
}

/* The local store's authorization: read as the gate reads it. */
static int store_authorize(int *allowed, svc_check **checks, size_t *n,
			   const char *conn_id, const char *pipeline,
			   void *data)
{
	svc_store *st = data;
	int rc = svc_store_pipeline_allowed(st, conn_id, pipeline, allowed);

	return rc ? rc : svc_store_check_list(checks, n, st, conn_id);
}

/* The local store's connections: those keys name, or every one. */
static int store_find(svc_conn ***out, size_t *n, const char *const *keys,
		      size_t nkeys, void *data)
{
	svc_store *st = data;

	return keys ? store_conn_find_list(out, n, st, keys, nkeys)
		    : svc_store_conn_list(out, n, st);
}

int svc_plan_build(svc_plan **out, const svc_plan_options *o, svc_store *st,
		   const svc_catalog *cat)
{
	struct plan_input in;

	/* a local store is one trust domain: every connection of the
	 * project entered (svc_ops_plan plans as a principal), read as the
	 * references name them */
	memset(&in, 0, sizeof(in));
	in.find = st ? store_find : NULL;
	in.authorize = st ? store_authorize : NULL;
	in.data = st;
	in.fetch_store = st;
	return plan_build(out, o, &in, cat);
}

void svc_plan_free(svc_plan *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->nsteps; i++) {
		free((void *)p->steps[i].input_names);
		free((void *)p->steps[i].input_values);
		free((void *)p->steps[i].env_names);
		free((void *)p->steps[i].env_values);
	}
	free(p->steps);
	for (i = 0; i < p->njobs; i++) {
		free(p->jobs[i].aliases);
		free(p->jobs[i].var_names);
		free(p->jobs[i].var_values);
		free(p->jobs[i].ctl.depends);
	}
	free(p->jobs);
	for (i = 0; i < p->nstages; i++)
		free(p->stages[i].ctl.depends);
	free(p->stages);
	free(p->repos);
	free(p->locks);
	for (i = 0; i < p->nstrs; i++)
		free(p->strs[i]);
	free(p->strs);
	free(p->refs);
	svc_diags_free(p->diags);
	svc_tasks_free(p->tasks);
	tpl_free(p->tpl);
	svc_store_conn_list_free(p->conns, p->nconns);
	free(p);
}

size_t svc_plan_ref_count(const svc_plan *p)
{
	return p->nrefs;
}

const svc_ref *svc_plan_ref_at(const svc_plan *p, size_t i)
{
	return i < p->nrefs ? &p->refs[i] : NULL;
}

const svc_diags *svc_plan_diags(const svc_plan *p)
{
	return p->diags;
}

const svc_tasks *svc_plan_tasks(const svc_plan *p)
{
	return p->tasks;
}

int svc_plan_ok(const svc_plan *p)
{
	size_t i;

	for (i = 0; i < p->nrefs; i++)
		if (p->refs[i].status != SVC_REF_RESOLVED)
			return 0;
	return svc_diags_errors(p->diags) == 0;
}

const char *svc_ref_status_name(svc_ref_status s)
{
	static const char *const names[] = { "resolved", "unknown-name",
		"wrong-type", "wrong-scheme", "unresolved-variable",
		"no-manifest", "external-template" };

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

const char *svc_ref_kind_name(svc_ref_kind k)
{
	static const char *const names[] = { "task-input", "resource-endpoint",
		"container-endpoint", "build-connection", "package-connection",
		"webhook-connection" };

	return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "?";
}

static json_t *jstr(const char *s)
{
	return s ? json_string(s) : json_null();
}

char *svc_plan_json(const svc_plan *p)
{
	json_t *root = json_object(), *refs = json_array(), *diags = json_array();
	size_t i;
	char *s;

	for (i = 0; i < p->nrefs; i++) {
		const svc_ref *r = &p->refs[i];
		json_t *o = json_object(), *conn = json_null();

		json_object_set_new(o, "file", jstr(r->file));
		json_object_set_new(o, "line", json_integer(r->line));
		json_object_set_new(o, "column", json_integer(r->column));
		json_object_set_new(o, "path", jstr(r->path));
		json_object_set_new(o, "kind", json_string(svc_ref_kind_name(r->kind)));
		json_object_set_new(o, "task", jstr(r->task));
		json_object_set_new(o, "key", jstr(r->key));
		json_object_set_new(o, "input", jstr(r->input));
		json_object_set_new(o, "written", jstr(r->written));
		json_object_set_new(o, "value", jstr(r->value));
		json_object_set_new(o, "stage", jstr(r->stage));
		json_object_set_new(o, "job", jstr(r->job));
		json_object_set_new(o, "step", r->step >= 0 ? json_integer(r->step)
							    : json_null());
		json_object_set_new(o, "alias", jstr(r->alias));
		json_object_set_new(o, "accepts", jstr(r->accepts));
		json_object_set_new(o, "schemes", jstr(r->schemes));
		if (r->conn_id) {
			conn = json_object();
			json_object_set_new(conn, "id", json_string(r->conn_id));
			json_object_set_new(conn, "name", json_string(r->conn_name));
			json_object_set_new(conn, "type", json_string(r->conn_type));
			json_object_set_new(conn, "scheme", json_string(r->conn_scheme));
		}
		json_object_set_new(o, "connection", conn);
		if (r->authz) {
			json_t *az = json_object(), *ck = json_array();
			const char *c = r->checks;

			while (c && *c) {
				size_t len = strcspn(c, ",");
				const char *colon = memchr(c, ':', len);
				json_t *one = json_object();

				if (colon) {
					json_object_set_new(one, "kind",
						json_stringn(c, (size_t)(colon - c)));
					json_object_set_new(one, "id",
						json_stringn(colon + 1,
							     len - (size_t)(colon - c) - 1));
				}
				json_array_append_new(ck, one);
				c += len;
				if (*c == ',')
					c++;
			}
			json_object_set_new(az, "status", json_string(r->authz));
			json_object_set_new(az, "checks", ck);
			json_object_set_new(o, "authorization", az);
		} else {
			json_object_set_new(o, "authorization", json_null());
		}
		json_object_set_new(o, "status",
				    json_string(svc_ref_status_name(r->status)));
		json_object_set_new(o, "message", jstr(r->message));
		json_array_append_new(refs, o);
	}
	for (i = 0; i < svc_diags_count(p->diags); i++) {
		static const char *const sev[] = { "error", "warning", "note" };
		const svc_diag *d = svc_diags_at(p->diags, i);
		json_t *o = json_object();

		json_object_set_new(o, "file", jstr(d->file));
		json_object_set_new(o, "line", json_integer(d->line));
		json_object_set_new(o, "column", json_integer(d->column));
		json_object_set_new(o, "severity", json_string(sev[d->severity]));
		json_object_set_new(o, "message", json_string(d->message));
		json_array_append_new(diags, o);
	}
	json_object_set_new(root, "references", refs);
	json_object_set_new(root, "diagnostics", diags);
	s = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	return s;
}

/* The string member key of o as the plan's (NULL for null or absent). */
static const char *jget(svc_plan *p, json_t *o, const char *key, int *bad)
{
	json_t *v = json_object_get(o, key);

	if (!v || json_is_null(v))
		return NULL;
	if (!json_is_string(v)) {
		*bad = 1;
		return NULL;
	}
	return plan_str(p, json_string_value(v));
}

/* The unsigned member key of o, 0 when absent. */
static unsigned jnum(json_t *o, const char *key, int *bad)
{
	json_t *v = json_object_get(o, key);
	json_int_t n = json_integer_value(v);

	if (v && (!json_is_integer(v) || n < 0 || n > (json_int_t)UINT_MAX))
		*bad = 1;
	return (unsigned)n;
}

/* The index of name in names (n entries), or -1. */
static int named(const char *name, const char *(*of)(int), int n)
{
	int i;

	for (i = 0; name && i < n; i++)
		if (strcmp(of(i), name) == 0)
			return i;
	return -1;
}

static const char *status_of(int i)
{
	return svc_ref_status_name((svc_ref_status)i);
}

static const char *kind_of(int i)
{
	return svc_ref_kind_name((svc_ref_kind)i);
}

/* One reference of svc_plan_json's array back into r. */
static void ref_from(svc_plan *p, svc_ref *r, json_t *o, int *bad)
{
	json_t *conn = json_object_get(o, "connection"),
	       *az = json_object_get(o, "authorization"),
	       *step = json_object_get(o, "step");
	int st = named(json_string_value(json_object_get(o, "status")),
		       status_of, SVC_REF_EXTERNAL_TEMPLATE + 1),
	    kind = named(json_string_value(json_object_get(o, "kind")),
			 kind_of, SVC_REF_WEBHOOK_CONNECTION + 1);

	memset(r, 0, sizeof(*r));
	if (!json_is_object(o) || st < 0 || kind < 0) {
		*bad = 1;
		return;
	}
	r->file = jget(p, o, "file", bad);
	r->line = jnum(o, "line", bad);
	r->column = jnum(o, "column", bad);
	r->path = jget(p, o, "path", bad);
	r->kind = (svc_ref_kind)kind;
	r->task = jget(p, o, "task", bad);
	r->key = jget(p, o, "key", bad);
	r->input = jget(p, o, "input", bad);
	r->written = jget(p, o, "written", bad);
	r->value = jget(p, o, "value", bad);
	r->stage = jget(p, o, "stage", bad);
	r->job = jget(p, o, "job", bad);
	r->step = json_is_integer(step) ? (int)json_integer_value(step) : -1;
	r->alias = jget(p, o, "alias", bad);
	r->accepts = jget(p, o, "accepts", bad);
	r->schemes = jget(p, o, "schemes", bad);
	r->status = (svc_ref_status)st;
	r->message = jget(p, o, "message", bad);
	if (json_is_object(conn)) {
		r->conn_id = jget(p, conn, "id", bad);
		r->conn_name = jget(p, conn, "name", bad);
		r->conn_type = jget(p, conn, "type", bad);
		r->conn_scheme = jget(p, conn, "scheme", bad);
	}
	if (json_is_object(az)) {
		json_t *ck = json_object_get(az, "checks"), *one;
		svc_buf list = SVC_BUF_INIT;
		size_t i;

		r->authz = jget(p, az, "status", bad);
		json_array_foreach(ck, i, one) {
			const char *k = json_string_value(json_object_get(one, "kind")),
				   *id = json_string_value(json_object_get(one, "id"));

			if (!k || !id || buf_printf(&list, "%s%s:%s",
						    list.len ? "," : "", k, id))
				*bad = 1;
		}
		r->checks = list.len ? plan_str(p, list.ptr) : NULL;
		buf_clear(&list);
	}
}

int plan_from_json(svc_plan **out, json_t *v)
{
	json_t *refs = json_object_get(v, "references"),
	       *diags = json_object_get(v, "diagnostics"), *o;
	svc_plan *p = calloc(1, sizeof(*p));
	size_t i;
	int rc = 0, bad = !json_is_array(refs) || !json_is_array(diags);

	if (!p)
		return error_oom();
	if ((rc = svc_diags_new(&p->diags)))
		goto fail;
	json_array_foreach(refs, i, o) {
		svc_ref r;

		ref_from(p, &r, o, &bad);
		if (bad || (rc = plan_add_ref(p, &r)))
			break;
	}
	json_array_foreach(diags, i, o) {
		static const char *const sev[] = { "error", "warning", "note" };
		const char *s = json_string_value(json_object_get(o, "severity")),
			   *m = json_string_value(json_object_get(o, "message"));
		int k;

		for (k = 0; s && k < 3 && strcmp(sev[k], s); k++)
			;
		if (bad || rc || !s || k == 3 || !m) {
			bad = 1;
			break;
		}
		rc = svc_diags_add(p->diags,
				   json_string_value(json_object_get(o, "file")),
				   jnum(o, "line", &bad), jnum(o, "column", &bad),
				   (svc_severity)k, NULL, "%s", m);
	}
	if (!rc && bad)
		rc = error_set(SVC_ERROR, "the server's plan is not the JSON of a plan");
	if (rc)
		goto fail;
	*out = p;
	return 0;
fail:
	svc_plan_free(p);
	return rc;
}
