/*
 * runtime_expr.c - conditions and $[ ] expressions at run time, on top of
 * the one expression language (expr.c's expr_eval_runtime): this file
 * only answers its roots (variables, dependencies, stageDependencies) and
 * its job status functions, as runtime_expr.h describes.
 *
 * The job status functions, as documented for the agent and the service:
 *  - always(): true, even when the run is canceled; canceled(): the run
 *    was canceled; the others are false once it is;
 *  - at step level (no arguments): succeeded() when the job so far is
 *    Succeeded or SucceededWithIssues, failed() when it is Failed,
 *    succeededOrFailed() when it is any of the three;
 *  - at job and stage level, over every dependency (direct or indirect)
 *    without arguments, over the named ones with: succeeded() when all
 *    Succeeded or SucceededWithIssues, failed() when one Failed,
 *    succeededOrFailed() when none was canceled.  A name that is not a
 *    dependency is an error.
 */
#include "pipeline/runtime_expr.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "svcconn/errors.h"
#include "svcconn/secret.h"
#include "errors_int.h"
#include "pipeline/expr.h"
#include "util/buf.h"

/* What the callbacks of expr_eval_runtime() see. */
struct rt {
	const rtx_ctx *c;   /**< the context */
	int check;          /**< 1: checking only, dependencies unknown */
};

const char *rtx_result_name(rtx_result r)
{
	switch (r) {
	case RTX_SUCCEEDED: return "Succeeded";
	case RTX_SUCCEEDED_WITH_ISSUES: return "SucceededWithIssues";
	case RTX_FAILED: return "Failed";
	case RTX_CANCELED: return "Canceled";
	case RTX_SKIPPED: return "Skipped";
	default: return "";
	}
}

static int ok_result(rtx_result r)
{
	return r == RTX_SUCCEEDED || r == RTX_SUCCEEDED_WITH_ISSUES;
}

/* A callback's string as the value; NOTFOUND is null. */
static int take_string(evalue *out, int rc, char *v)
{
	if (rc == SVC_ENOTFOUND) {
		svc_error_clear();
		return 0;
	}
	if (rc)
		return rc;
	rc = evalue_set_string(out, v ? v : "", v ? strlen(v) : 0);
	if (v)
		svc_secret_free(v, strlen(v));
	return rc ? error_oom() : 0;
}

/* The dependency called name (job level: a job; stage level: a stage). */
static const rtx_dep *find_dep(const rtx_dep *deps, size_t n, int stages,
			       const char *stage, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const char *d = stages ? deps[i].stage : deps[i].job;

		if (d && !strcasecmp(d, name) &&
		    (!stage || (deps[i].stage && !strcasecmp(deps[i].stage, stage))))
			return &deps[i];
	}
	return NULL;
}

/* <dep>.result or <dep>.outputs['key'] of dependency d (path at p). */
static int dep_value(const rtx_ctx *c, const rtx_dep *d, const char *const *p,
		     size_t np, size_t *used, evalue *out)
{
	char *v = NULL;
	const char *dot;
	int rc;

	*used = np < 3 ? np : 3;
	if (!d || np < 2)
		return 0; /* not a dependency: null, as in the service */
	if (!strcasecmp(p[1], "result")) {
		*used = 2;
		return evalue_set_string(out, rtx_result_name(d->result),
					 strlen(rtx_result_name(d->result)))
			? error_oom() : 0;
	}
	if (strcasecmp(p[1], "outputs") || np < 3 || !c->lookup_output)
		return 0;
	if (d->job) { /* a job's: <step>.<var> */
		rc = c->lookup_output(c->cb_ctx, d->stage, d->job, p[2], &v);
		return take_string(out, rc, v);
	}
	/* a stage's: <job>.<step>.<var> */
	if (!(dot = strchr(p[2], '.')) || dot == p[2])
		return 0;
	{
		char *job = strndup(p[2], (size_t)(dot - p[2]));

		if (!job)
			return error_oom();
		rc = c->lookup_output(c->cb_ctx, d->stage, job, dot + 1, &v);
		free(job);
	}
	return take_string(out, rc, v);
}

static int rt_path(void *ctx, const char *name, const char *const *p,
		   size_t np, size_t *used, evalue *out)
{
	const rtx_ctx *c = ((const struct rt *)ctx)->c;
	char *v = NULL;
	int rc;

	*used = 0;
	if (!strcasecmp(name, "variables")) {
		if (np == 0)
			return error_set(SVC_EINVALID,
					 "'variables' is read with a name written out: variables['name'] or variables.name");
		*used = 1;
		if (c->level == RTX_STEP && !strcasecmp(p[0], "Agent.JobStatus"))
			return evalue_set_string(out, rtx_result_name(c->canceled ?
					RTX_CANCELED : c->job_status),
					strlen(rtx_result_name(c->canceled ?
					RTX_CANCELED : c->job_status))) ? error_oom() : 0;
		if (!c->lookup_var)
			return 0;
		rc = c->lookup_var(c->cb_ctx, p[0], &v);
		return take_string(out, rc, v);
	}
	if (!strcasecmp(name, "dependencies") && c->level != RTX_STEP) {
		const rtx_dep *d;

		if (np < 2)
			return error_set(SVC_EINVALID, c->level == RTX_JOB
				? "'dependencies' is read as dependencies.<job>.result or dependencies.<job>.outputs['<step>.<variable>'], names written out"
				: "'dependencies' is read as dependencies.<stage>.result or dependencies.<stage>.outputs['<job>.<step>.<variable>'], names written out");
		d = find_dep(c->deps, c->ndeps, c->level == RTX_STAGE,
			     c->level == RTX_JOB ? c->stage : NULL, p[0]);
		return dep_value(c, d && d->direct ? d : NULL, p, np, used, out);
	}
	if (!strcasecmp(name, "stageDependencies") && c->level == RTX_JOB) {
		const rtx_dep *d;

		if (np < 3)
			return error_set(SVC_EINVALID,
					 "'stageDependencies' is read as stageDependencies.<stage>.<job>.result or .outputs['<step>.<variable>'], names written out");
		d = find_dep(c->stage_deps, c->nstage_deps, 0, p[0], p[1]);
		rc = dep_value(c, d, p + 1, np - 1, used, out);
		*used += 1;
		return rc;
	}
	return SVC_ENOTFOUND;
}

static int rt_status(void *ctx, const char *name, const char *const *args,
		     size_t nargs, int *out)
{
	const rtx_ctx *c = ((const struct rt *)ctx)->c;
	int succ = !strcmp(name, "succeeded"), fail = !strcmp(name, "failed");
	size_t i, j;

	if (!strcmp(name, "always")) {
		*out = 1;
		return 0;
	}
	if (c->level == RTX_STEP && nargs)
		return error_set(SVC_EINVALID,
				 "'%s' takes job or stage names only in the condition of a job or stage",
				 name);
	for (i = 0; c->level != RTX_STEP && i < nargs &&
		    !((const struct rt *)ctx)->check; i++)
		if (!find_dep(c->deps, c->ndeps, c->level == RTX_STAGE,
			      c->level == RTX_JOB ? c->stage : NULL, args[i])) {
			const char *who = c->level == RTX_JOB ? c->job : c->stage;
			char q[64], w[64];

			return error_set(SVC_EINVALID,
					 "'%s' is not a dependency of %s '%s'",
					 expr_excerpt(args[i], strlen(args[i]), q),
					 c->level == RTX_JOB ? "job" : "stage",
					 expr_excerpt(who ? who : "", who ? strlen(who) : 0, w));
		}
	if (!strcmp(name, "canceled") || c->canceled) {
		*out = !strcmp(name, "canceled") && c->canceled;
		return 0;
	}
	if (c->level == RTX_STEP) {
		*out = succ ? ok_result(c->job_status)
		     : fail ? c->job_status == RTX_FAILED
		     : ok_result(c->job_status) || c->job_status == RTX_FAILED;
		return 0;
	}
	*out = !fail;
	for (j = 0; j < c->ndeps; j++) {
		const rtx_dep *d = &c->deps[j];
		const char *dn = c->level == RTX_STAGE ? d->stage : d->job;
		int named = !nargs;

		for (i = 0; i < nargs && !named; i++)
			named = dn && !strcasecmp(dn, args[i]);
		if (!named)
			continue;
		if (succ && !ok_result(d->result))
			*out = 0;
		else if (fail && d->result == RTX_FAILED)
			*out = 1;
		else if (!succ && !fail && d->result == RTX_CANCELED)
			*out = 0;
	}
	return 0;
}

/* Evaluate text (len bytes) against c. */
static int eval(evalue *v, const rtx_ctx *c, int check, const char *text,
		size_t len, char **err)
{
	struct rt r = { c, check };
	expr_runtime rt;

	rt.path = rt_path;
	rt.status = rt_status;
	rt.ctx = &r;
	return expr_eval_runtime(v, text, len, &rt, err);
}

static int blank(const char *s)
{
	if (!s)
		return 1;
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	return *s == '\0';
}

/* rtx_condition(), or only its checks. */
static int condition(int *out, const rtx_ctx *c, int check, const char *text,
		     char **err)
{
	evalue v = EVALUE_INIT;
	int rc;

	if (blank(text))
		text = "succeeded()";
	if ((rc = eval(&v, c, check, text, strlen(text), err)))
		return rc;
	*out = evalue_truthy(&v);
	evalue_clear(&v);
	return 0;
}

int rtx_condition(int *out, const rtx_ctx *c, const char *text, char **err)
{
	return condition(out, c, 0, text, err);
}

int rtx_eval_string(char **out, const rtx_ctx *c, const char *text,
		    char **err)
{
	evalue v = EVALUE_INIT;
	svc_buf b = SVC_BUF_INIT;
	size_t len = strlen(text);
	int rc;

	while (len && (text[len - 1] == ' ' || text[len - 1] == '\n'))
		len--;
	if (len >= 3 && !strncmp(text, "$[", 2) && text[len - 1] == ']') {
		text += 2;
		len -= 3;
	}
	if ((rc = eval(&v, c, 0, text, len, err)))
		return rc;
	if ((rc = evalue_to_string(&v, &b))) {
		if (err)
			*err = strdup(svc_error_last());
	} else {
		*out = buf_detach(&b, NULL);
		if (!*out && !(*out = strdup("")))
			rc = error_oom();
	}
	evalue_clear(&v);
	buf_clear(&b);
	return rc;
}

int rtx_check(rtx_level level, const char *text, char **err)
{
	rtx_ctx c;
	int b;

	memset(&c, 0, sizeof(c));
	c.level = level;
	c.job_status = RTX_SUCCEEDED;
	/* dependencies are not known yet: the names given to the status
	 * functions are checked when the condition runs */
	return condition(&b, &c, 1, text, err);
}
