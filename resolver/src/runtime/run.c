/*
 * run.c - running a pipeline on this machine: stages, then their jobs, one
 * at a time in an order that satisfies dependsOn, each stage, job and step
 * when its condition holds (runtime_expr.c; default succeeded()), each job
 * gated like an agent's job: started and ended through svc_run_jobs, the
 * local store's (local_start: svc_job_start) or the caller's (a server's
 * jobs, svcconn-agent run --server), each step in a fresh
 * environment with its own connections, in its sandbox (step.c).
 * Conditions read variables and output variables through struct runner's
 * lookups.
 *
 * script: and bash: steps run through bash (the script is written into the
 * job's private directory and run with -e -o pipefail, as the agent does);
 * task: steps through their manifest's handler (the Node handlers with
 * node, svcconn's Bash handler with bash); checkout: self is the working
 * directory.  Output goes to the caller's callback as it comes, tagged with
 * the job and step; the caller masks and prints it.  A task's pre- and
 * post-job handlers run as the agent runs them (run_job_hooks), and a
 * cancel (svc_run_options.cancel) kills the running step and runs the
 * post-job steps.
 */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "svcconn/broker.h"
#include "svcconn/run.h"
#include "svcconn/secret.h"
#include "errors_int.h"
#include "pipeline/expr.h"
#include "pipeline/fetch.h"
#include "pipeline/runtime_expr.h"
#include "resolve/plan_int.h"
#include "runtime/runtime_int.h"
#include "store/store_int.h"
#include "util/buf.h"
#include "util/fileio.h"
#include "util/jobdir.h"
#include "util/macro.h"
#include "util/sandbox.h"

/* What one run shares with every job. */
struct runner {
	const svc_run_options *o;   /**< the options */
	svc_store *st;              /**< the store, or NULL (jobs elsewhere) */
	const svc_run_jobs *jobs;   /**< where jobs start and end */
	svc_run_jobs local;         /**< the store's, when o->jobs is NULL */
	const svc_catalog *cat;     /**< the catalog */
	size_t steps_run;           /**< steps run so far */
	size_t steps_failed;        /**< of those, failed */
	size_t steps_skipped;       /**< steps skipped (forks) */
	svc_step_vars *vars;        /**< variables set by the job's steps */
	svc_masker *job_mask;       /**< the job's connections' secrets,
				         compiled once, at its first step:
				         each step's masker is a clone */
	const svc_plan *plan;       /**< the pipeline */
	const char *stage;          /**< the running step's stage */
	const char *job;            /**< its job */
	const char *label;          /**< its label */
	char system_token[SVC_BROKER_TOKEN_HEX + 1]; /**< the job's
					 SystemVssConnection token (memory
					 only, wiped when the job ends) */
	int post;                   /**< running post-job steps: a cancel
					 no longer kills them */
	struct run_outputs outputs; /**< output variables of ended jobs */
	rtx_var_fn lookup_var;      /**< variables for conditions */
	rtx_output_fn lookup_output;/**< output variables of ended jobs, or
				         NULL (they read as null) */
	void *lookup_ctx;           /**< passed to both */
	const char *cur_stage;      /**< the running job's stage */
	const char *cur_job;        /**< the running job, or NULL */
	const rtx_ctx *job_ctx;     /**< the running job's context (its
				         dependencies): for the $[ ] of its
				         variables (rtx_eval_string) */
	struct job_cmds *cmds;      /**< what the steps' commands did */
};

/* 1 when the run was canceled. */
static int canceled(const struct runner *r)
{
	return r->o->cancel && *r->o->cancel;
}

/* A running step's masked output, to the caller's callback. */
static void step_output(void *ctx, int fd, const char *data, size_t len)
{
	struct runner *r = ctx;

	if (r->o->output)
		r->o->output(r->o->ctx, r->stage, r->job, r->label, fd, data, len);
}

static void say(const struct runner *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void say(const struct runner *r, const char *fmt, ...)
{
	svc_buf b = SVC_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	if (r->o->event && b.ptr)
		r->o->event(r->o->ctx, b.ptr);
	buf_clear(&b);
}

static int same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/*
 * The clone URL of repository resource alias: by its type, from its
 * endpoint connection's URL (github, bitbucket: their hosts).
 */
static int clone_url(svc_buf *out, const struct runner *r, const char *alias,
		     const char **ref)
{
	const svc_plan_repo *repo = NULL;
	svc_conn *c = NULL;
	size_t i;
	int rc = 0;

	for (i = 0; i < svc_plan_repo_count(r->plan); i++)
		if (!strcmp(svc_plan_repo_at(r->plan, i)->alias, alias))
			repo = svc_plan_repo_at(r->plan, i);
	if (!repo || !repo->name)
		return error_set(SVC_EINVALID, "checkout: no repository resource '%s'",
				 alias);
	for (i = 0; i < svc_plan_ref_count(r->plan); i++) {
		const svc_ref *ref_ = svc_plan_ref_at(r->plan, i);

		if (ref_->kind == SVC_REF_RESOURCE_ENDPOINT && ref_->alias &&
		    !strcmp(ref_->alias, alias) && ref_->conn_id &&
		    svc_store_conn_get(&c, r->st, ref_->conn_id, 0) == 0)
			break;
	}
	*ref = repo->ref;
	/* the one mapping of types to clone URLs, the template fetch's too */
	rc = repo_clone_url(out, repo->type ? repo->type : "github", repo->name,
			    c, alias);
	svc_conn_free(c);
	return rc;
}

/*
 * Add the secrets the job's steps have set so far to the job's masker m,
 * so that a step's clone of it compiles only its own token.  They go
 * through svc_step_vars_apply(), the one list of a step's secrets, into
 * an environment thrown away.
 */
static int job_mask_vars(svc_masker *m, const svc_step_vars *vars)
{
	svc_env *e = NULL;
	int rc;

	if ((rc = svc_env_new(&e)))
		return rc;
	rc = svc_step_vars_apply(vars, e, m);
	svc_env_free(e);
	return rc;
}

/* 1 when step s uses a connection: a connection input, or a checkout of
 * a repository resource with an endpoint. */
static int uses_connection(const struct runner *r, const svc_plan_step *s)
{
	size_t i;

	for (i = 0; i < svc_plan_ref_count(r->plan); i++) {
		const svc_ref *ref = svc_plan_ref_at(r->plan, i);

		if (ref->kind == SVC_REF_TASK_INPUT && ref->step == s->index &&
		    same(ref->stage, s->stage) && same(ref->job, s->job))
			return 1;
		if (ref->kind == SVC_REF_RESOURCE_ENDPOINT && ref->alias &&
		    !strcmp(s->kind, "checkout") && s->body &&
		    !strcmp(ref->alias, s->body))
			return 1;
	}
	return 0;
}

/* What a step is called in the run's output. */
static const char *step_label(const svc_plan_step *s)
{
	return s->name ? s->name : s->display ? s->display : s->task ? s->task
		: s->kind;
}

/* Run one step of a granted job; *failed: 1 when it did not succeed, 2
 * when it was skipped. */
static int run_step(struct runner *r, const svc_plan_step *s,
		    const char *job_dir, int *failed)
{
	svc_buf label = SVC_BUF_INIT, script = SVC_BUF_INIT, target = SVC_BUF_INIT;
	svc_step_options xo;
	char idx[32], *argv[10];
	int rc = 0, status = 0, i_arg, was_canceled;

	*failed = 0;
	buf_printf(&label, "%s", step_label(s));
	snprintf(idx, sizeof(idx), "%d", s->index);
	if (r->o->fork && !r->o->fork_allowed && uses_connection(r, s)) {
		/* the agent's words for a pull request from a fork */
		say(r, "step %s skipped: References service endpoint. PRs from repository forks are not allowed to access secrets in the pipeline.",
		    label.ptr);
		*failed = 2; /* skipped */
		goto done;
	}
	if (!strcmp(s->kind, "checkout") &&
	    (!s->body || !strcmp(s->body, "self") || !strcmp(s->body, "none"))) {
		say(r, "step %s: checkout of %s: the working directory", label.ptr,
		    s->body ? s->body : "self");
		goto done;
	}
	if (!strcmp(s->kind, "checkout")) {
		/* a repository resource: git clone through the job's broker */
		const char *ref = NULL;

		if ((rc = clone_url(&target, r, s->body, &ref)))
			goto done;
		argv[0] = "git";
		argv[1] = "clone";
		argv[2] = "--quiet";
		i_arg = 3;
		if (ref) {
			argv[i_arg++] = "--branch";
			argv[i_arg++] = (char *)(strncmp(ref, "refs/heads/", 11) ? ref
						 : ref + 11);
		}
		argv[i_arg++] = target.ptr;
		argv[i_arg++] = (char *)s->body;
		argv[i_arg] = NULL;
	} else if (!strcmp(s->kind, "script") || !strcmp(s->kind, "bash")) {
		/* the script goes into the job's private directory, written
		 * with its macros expanded when the step starts */
		buf_printf(&script, "%s/tmp", job_dir);
		if ((rc = dir_ensure_private(script.ptr)))
			goto done;
		buf_printf(&script, "/step-%d.sh", s->index);
		unlink(script.ptr);
		argv[0] = "bash";
		argv[1] = "--noprofile";
		argv[2] = "--norc";
		argv[3] = "-e";
		argv[4] = "-o";
		argv[5] = "pipefail";
		argv[6] = script.ptr;
		argv[7] = NULL;
	} else if (!strcmp(s->kind, "task") && s->handler && s->target) {
		buf_printf(&target, "%s/%s", s->task_dir, s->target);
		argv[0] = !strcmp(s->handler, "Bash") ? "bash" : "node";
		argv[1] = target.ptr;
		argv[2] = NULL;
	} else if (!strcmp(s->kind, "task") && !s->task_dir) {
		say(r, "step %s: no manifest for task '%s' (searched: %s)",
		    label.ptr, s->task ? s->task : "?",
		    svc_tasks_searched(svc_plan_tasks(r->plan)));
		*failed = 1;
		goto done;
	} else if (!strcmp(s->kind, "task")) {
		say(r, "step %s: task %s has no handler svcconn can run (Node, Node10, Node16, Node20_1, Bash)",
		    label.ptr, s->task ? s->task : "?");
		*failed = 1;
		goto done;
	} else {
		say(r, "step %s: '%s' steps are not run by svcconn yet", label.ptr,
		    s->kind);
		*failed = 1;
		goto done;
	}
	say(r, "step %s", label.ptr);
	r->stage = s->stage;
	r->job = s->job;
	r->label = label.ptr;
	/* the job's connections' secrets compiled once for all its steps,
	 * and the secrets its steps set, as they come */
	if ((!r->job_mask &&
	     (rc = job_mask_new(&r->job_mask, r->st, job_dir))) ||
	    (rc = job_mask_vars(r->job_mask, r->vars)))
		goto done;
	memset(&xo, 0, sizeof(xo));
	xo.version = SVC_STEP_OPTIONS_VERSION;
	/* post-job steps run on, and so do those that run after a cancel
	 * (their condition says so: always(), canceled()) */
	was_canceled = canceled(r);
	xo.cancel = r->post || was_canceled ? NULL : r->o->cancel;
	/* a server's job: its broker's token (job_system_conn) */
	xo.system_token = r->system_token[0] ? r->system_token : NULL;
	rc = step_exec(&status, r->st, job_dir, idx, argv, r->o->workdir,
		       r->vars, &xo, r->job_mask, script.ptr, r->cmds,
		       step_output, r);
	if (job_cmds_step_end(r->cmds) == JOB_CMDS_ISSUES && !rc &&
	    WIFEXITED(status) && WEXITSTATUS(status) == 0)
		say(r, "step %s succeeded with issues", label.ptr);
	if (!rc && !r->post && !was_canceled && canceled(r)) {
		*failed = 1;
		say(r, "step %s canceled", label.ptr);
	} else if (!rc && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
		*failed = 1;
		say(r, "step %s failed: %s %d", label.ptr,
		    WIFEXITED(status) ? "exit" : "signal",
		    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	}
done:
	if (rc) {
		say(r, "step %s: %s", label.ptr, svc_error_last());
		*failed = 1;
		rc = 0;
	}
	if (script.ptr)
		unlink(script.ptr);
	buf_clear(&label);
	buf_clear(&script);
	buf_clear(&target);
	return rc;
}

/*
 * The pre-job (post 0) or post-job (post 1) steps of the job whose first
 * step is plan step first, as the agent runs them: for each task step
 * whose manifest has prejobexecution, in step order, or postjobexecution,
 * in reverse order, its handler run as that step (the same index: the
 * same inputs and connections), called "Pre-job: X" or "Post-job: X".
 * Pre-job steps stop at a failure or a cancel (their condition is their
 * step's); post-job steps always run.  *failed_steps counts failures.
 */
static int run_job_hooks(struct runner *r, size_t first, const char *job_dir,
			 int post, int *failed_steps)
{
	const svc_plan_step *s0 = svc_plan_step_at(r->plan, first);
	size_t n = first, k;
	int rc = 0;

	while (n < svc_plan_step_count(r->plan) &&
	       same(svc_plan_step_at(r->plan, n)->stage, s0->stage) &&
	       same(svc_plan_step_at(r->plan, n)->job, s0->job))
		n++;
	r->post = post;
	for (k = 0; k < n - first && !rc; k++) {
		const svc_plan_step *s = svc_plan_step_at(r->plan,
							  post ? n - 1 - k : first + k);
		svc_plan_step h = *s;
		svc_buf label = SVC_BUF_INIT;
		int failed = 0;

		if (!(post ? s->post_handler : s->pre_handler))
			continue;
		if (!post && (*failed_steps || canceled(r)))
			break;
		h.name = NULL;
		h.handler = post ? s->post_handler : s->pre_handler;
		h.target = post ? s->post_target : s->pre_target;
		if (!(rc = buf_printf(&label, "%s: %s", post ? "Post-job" : "Pre-job",
				      step_label(s)))) {
			h.display = label.ptr;
			rc = run_step(r, &h, job_dir, &failed);
		}
		buf_clear(&label);
		if (rc || failed == 2) {
			r->steps_skipped += failed == 2;
			continue;
		}
		r->steps_run++;
		r->steps_failed += failed != 0;
		*failed_steps += failed != 0;
	}
	r->post = 0;
	return rc;
}

/*
 * A new private directory for the run's jobs under the jobs root, named
 * for the run (its id, with what is not [A-Za-z0-9._-] as '_') and made
 * unique: runs of the same id never share one.
 */
static int make_run_dir(char **out, const char *run_id)
{
	svc_buf b = SVC_BUF_INIT;
	char *root = NULL;
	size_t i;
	int rc;

	if ((rc = svc_jobs_root(&root)) || (rc = buf_printf(&b, "%s/run-", root)))
		goto done;
	for (i = 0; run_id[i] && i < 64 && !rc; i++)
		rc = buf_putc(&b, isalnum((unsigned char)run_id[i]) ||
				  strchr("._-", run_id[i]) ? run_id[i] : '_');
	if (rc || (rc = buf_puts(&b, "-XXXXXX")))
		goto done;
	if (!mkdtemp(b.ptr)) {
		rc = error_set(SVC_ERROR, "cannot create a directory in '%s': %s",
			       root, strerror(errno));
		goto done;
	}
	*out = buf_detach(&b, NULL);
	rc = *out ? 0 : error_oom();
done:
	free(root);
	buf_clear(&b);
	return rc;
}

/* A note of the job's commands, said at its end. */
static void say_note(void *ctx, const char *note)
{
	const struct runner *r = ctx;

	say(r, "job %s: %s", r->job, note);
}

/* A line of a job's start, said as the run's. */
static void say_line(void *ctx, const char *line)
{
	say(ctx, "%s", line);
}

/*
 * The local store's start of a job (svc_run_jobs.start): gated by
 * svc_job_start, its diagnostics and the items not granted said.
 */
static int local_start(void *ctx, svc_gate_status *status,
		       const svc_job_options *jo,
		       void (*say_fn)(void *say_ctx, const char *line),
		       void *say_ctx)
{
	struct runner *r = ctx;
	svc_job *j = NULL;
	svc_buf b = SVC_BUF_INIT;
	const svc_gate_report *g;
	size_t i;
	int rc;

	rc = svc_job_start(&j, jo, r->st, r->cat);
	for (i = 0; rc && j && i < svc_diags_count(svc_job_diags(j)); i++) {
		char *m = svc_diag_format(svc_diags_at(svc_job_diags(j), i));

		if (m)
			say_fn(say_ctx, m);
		free(m);
	}
	if (!rc) {
		g = svc_job_gate(j);
		for (i = 0; i < g->nitems; i++)
			if (g->items[i].status != SVC_GATE_GRANTED) {
				buf_reset(&b);
				buf_printf(&b, "job %s: %s", jo->job,
					   g->items[i].message);
				if (b.ptr)
					say_fn(say_ctx, b.ptr);
			}
		*status = g->status;
	}
	buf_clear(&b);
	svc_job_free(j);
	return rc;
}

static int local_end(void *ctx, const char *job_dir, const char *result)
{
	struct runner *r = ctx;

	return svc_job_end(r->st, job_dir, result);
}

/*
 * Start the job through r->jobs, waiting on checks when asked; the gate's
 * exit code.
 */
static int start_job(struct runner *r, const char *stage, const char *job,
		     const char *job_dir)
{
	const svc_run_options *o = r->o;
	svc_job_options jo;
	time_t t0 = time(NULL);
	int rc;

	memset(&jo, 0, sizeof(jo));
	jo.version = SVC_JOB_OPTIONS_VERSION;
	jo.pipeline_file = o->pipeline_file;
	jo.pipeline = o->pipeline;
	jo.stage = stage;
	jo.job = job;
	jo.run_id = o->run_id;
	jo.branch = o->branch;
	jo.requested_by = o->requested_by;
	jo.vars = o->vars;
	jo.nvars = o->nvars;
	jo.task_dirs = o->task_dirs;
	jo.ntask_dirs = o->ntask_dirs;
	jo.job_dir = job_dir;
	jo.steps_see_store = o->steps_see_store;
	jo.reason = o->fork ? "PullRequest" : NULL;
	for (;;) {
		svc_gate_status g = SVC_GATE_DENIED;
		time_t asked = time(NULL);

		if ((rc = r->jobs->start(r->jobs->ctx, &g, &jo, say_line, r))) {
			say(r, "job %s cannot start: %s", job, svc_error_last());
			return rc == SVC_EINVALID ? 2 : 1;
		}
		if (g == SVC_GATE_WAITING && o->wait && !canceled(r) &&
		    time(NULL) - t0 < (o->wait_timeout ? o->wait_timeout : 3600)) {
			/* the next ask wait_interval after this one began: a
			 * server that held this one (its long wait, up to
			 * SVC_JOB_WAIT_MAX s) is asked again at once */
			long gap = (o->wait_interval ? o->wait_interval : 10) -
				   (long)(time(NULL) - asked);
			struct timespec ts = { gap > 0 ? gap : 0, 0 };

			if (gap > 0)
				nanosleep(&ts, NULL);
			continue;
		}
		switch (g) {
		case SVC_GATE_GRANTED: return 0;
		case SVC_GATE_NEEDS_PERMISSION: return 3;
		case SVC_GATE_WAITING: return 4;
		default: return 5;
		}
	}
}

/* ---- the order of stages and jobs, and their conditions ----------------- */

/* A stage or a job of the run, and how it ended. */
struct item {
	const char *stage;          /**< its stage, or NULL without stages */
	const char *job;            /**< the job, or NULL for a stage */
	const struct plan_ctl *ctl; /**< when it runs, or NULL (none written) */
	size_t deps[256];           /**< its direct dependencies (indexes) */
	size_t ndeps;               /**< entries in deps */
	rtx_result result;          /**< RTX_PENDING until decided */
	int placed;                 /**< ordered already */
};

/* The run's stages and jobs. */
struct sched {
	struct item *stages;        /**< the stages (one unnamed without) */
	size_t nstages;             /**< entries in stages */
	struct item *jobs;          /**< every job */
	size_t njobs;               /**< entries in jobs */
};

static void sched_clear(struct sched *s)
{
	free(s->stages);
	free(s->jobs);
	memset(s, 0, sizeof(*s));
}

/*
 * Resolve the dependsOn names of it (an index into all[n]; peers are the
 * items of its stage): a stage without dependsOn depends on the stage
 * before it, a job on nothing.
 */
static int resolve_deps(struct runner *r, struct item *all, size_t n,
			size_t it, size_t prev, int has_prev)
{
	struct item *x = &all[it];
	size_t i, j;

	if (!x->ctl || !x->ctl->depends_set) {
		if (!x->job && has_prev)
			x->deps[x->ndeps++] = prev;
		return 0;
	}
	for (i = 0; i < x->ctl->ndepends && x->ndeps < 256; i++) {
		const char *name = x->ctl->depends[i];

		for (j = 0; j < n; j++)
			if (j != it && same(all[j].stage, x->stage) == (x->job != NULL) &&
			    !strcasecmp(x->job ? all[j].job : all[j].stage, name))
				break;
		if (j == n) {
			char q[64];

			say(r, "%s:%u: error: dependsOn: %s '%s' depends on '%s', which is not a %s of %s",
			    x->ctl->file ? x->ctl->file : "?", x->ctl->line,
			    x->job ? "job" : "stage", x->job ? x->job : x->stage,
			    expr_excerpt(name, strlen(name), q),
			    x->job ? "job" : "stage", x->job ? "its stage" : "the pipeline");
			return SVC_EINVALID;
		}
		x->deps[x->ndeps++] = j;
	}
	return 0;
}

/*
 * order[] gets the indexes of all[n] in an order that satisfies their
 * dependencies, pipeline order otherwise; a cycle is an error.
 */
static int order_items(struct runner *r, struct item *all, size_t n,
		       size_t *order)
{
	size_t k, i, d;

	for (k = 0; k < n; k++) {
		for (i = 0; i < n; i++) {
			if (all[i].placed)
				continue;
			for (d = 0; d < all[i].ndeps && all[all[i].deps[d]].placed; d++)
				;
			if (d == all[i].ndeps)
				break;
		}
		if (i == n) {
			for (i = 0; all[i].placed; i++)
				;
			say(r, "%s:%u: error: dependsOn: %s '%s' is in a cycle of dependencies",
			    all[i].ctl && all[i].ctl->file ? all[i].ctl->file : "?",
			    all[i].ctl ? all[i].ctl->line : 0,
			    all[i].job ? "job" : "stage", all[i].job ? all[i].job : all[i].stage);
			return SVC_EINVALID;
		}
		all[i].placed = 1;
		order[k] = i;
	}
	return 0;
}

/* The stages and jobs of the plan, with their dependencies resolved. */
static int sched_build(struct sched *s, struct runner *r)
{
	const svc_plan *p = r->plan;
	size_t i, nostage = 0;
	int rc = 0;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < p->njobs; i++)
		nostage |= p->jobs[i].stage == NULL;
	s->stages = calloc(p->nstages + 1, sizeof(*s->stages));
	s->jobs = calloc(p->njobs + 1, sizeof(*s->jobs));
	if (!s->stages || !s->jobs)
		return error_oom();
	for (i = 0; i < p->nstages; i++) {
		s->stages[i].stage = p->stages[i].name;
		s->stages[i].ctl = &p->stages[i].ctl;
	}
	s->nstages = p->nstages + (nostage ? 1 : 0); /* the unnamed: jobs only */
	for (i = 0; i < p->njobs; i++) {
		s->jobs[i].stage = p->jobs[i].stage;
		s->jobs[i].job = p->jobs[i].job;
		s->jobs[i].ctl = &p->jobs[i].ctl;
	}
	s->njobs = p->njobs;
	for (i = 0; i < p->nstages && !rc; i++)
		rc = resolve_deps(r, s->stages, p->nstages, i, i - 1, i > 0);
	/* a job depends only on jobs of its own stage */
	for (i = 0; i < s->njobs && !rc; i++)
		rc = resolve_deps(r, s->jobs, s->njobs, i, 0, 0);
	return rc;
}

/*
 * The dependencies of all[it], direct and indirect, that ended (those not
 * run by this run are left out), into deps; seen and stack hold n each.
 */
static size_t closure(rtx_dep *deps, const struct item *all, size_t n,
		      size_t it, unsigned char *seen, size_t *stack)
{
	size_t nd = 0, top = 0, i, x;

	memset(seen, 0, n);
	seen[it] = 1;
	stack[top++] = it;
	while (top) /* each item is pushed once */
		for (x = stack[--top], i = 0; i < all[x].ndeps; i++)
			if (!seen[all[x].deps[i]]) {
				seen[all[x].deps[i]] = 1;
				stack[top++] = all[x].deps[i];
			}
	seen[it] = 0;
	for (x = 0; x < n; x++) {
		if (!seen[x] || all[x].result == RTX_PENDING)
			continue;
		deps[nd].stage = all[x].stage;
		deps[nd].job = all[x].job;
		deps[nd].result = all[x].result;
		deps[nd].direct = 0;
		for (i = 0; i < all[it].ndeps; i++)
			deps[nd].direct |= all[it].deps[i] == x;
		nd++;
	}
	return nd;
}

/*
 * Variables for conditions: the run's --var values, then those the
 * running job's steps set (and its earlier steps' outputs, "step.var"),
 * then the running job's variables as the plan merged them.
 */
static int run_var(void *ctx, const char *name, char **value)
{
	const struct runner *r = ctx;
	const char *const *names, *const *values;
	macro_dict d = MACRO_DICT_INIT;
	const struct macro_var *v;
	size_t i, n = strlen(name), nv = 0;
	int rc;

	for (i = 0; i < r->o->nvars; i++)
		if (!strncasecmp(r->o->vars[i], name, n) && r->o->vars[i][n] == '=')
			return (*value = strdup(r->o->vars[i] + n + 1)) ? 0 : error_oom();
	if (r->vars && r->cur_job) {
		if ((rc = step_vars_dict(r->vars, &d)))
			return rc;
		v = macro_dict_find(&d, name, n);
		rc = !v ? SVC_ENOTFOUND
			: (*value = strdup(v->raw)) ? 0 : error_oom();
		macro_dict_clear(&d);
		if (rc != SVC_ENOTFOUND)
			return rc;
	}
	if (r->cur_job && svc_plan_job_vars(r->plan, r->cur_stage, r->cur_job,
					    &names, &values, &nv) == 0)
		for (i = nv; i > 0; i--)
			if (!strcasecmp(names[i - 1], name))
				return (*value = strdup(values[i - 1])) ? 0
					: error_oom();
	svc_error_clear();
	return SVC_ENOTFOUND;
}

/* Output variables of the run's ended jobs, for conditions. */
static int run_out(void *ctx, const char *stage, const char *job,
		   const char *name, char **value)
{
	const struct runner *r = ctx;
	const char *v = run_output(&r->outputs, stage, job, name, NULL);

	if (!v)
		return SVC_ENOTFOUND;
	return (*value = strdup(v)) ? 0 : error_oom();
}

/* A context for conditions at level. */
static void cond_ctx(rtx_ctx *c, struct runner *r, rtx_level level,
		     const char *stage, const char *job)
{
	memset(c, 0, sizeof(*c));
	c->level = level;
	c->stage = stage;
	c->job = job;
	c->job_status = RTX_SUCCEEDED;
	c->canceled = canceled(r);
	c->lookup_var = r->lookup_var;
	c->lookup_output = r->lookup_output;
	c->cb_ctx = r->lookup_ctx;
}

/* "A Failed, B Skipped": the dependencies that did not succeed. */
static void not_succeeded(svc_buf *b, const rtx_dep *d, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		if (d[i].result != RTX_SUCCEEDED &&
		    d[i].result != RTX_SUCCEEDED_WITH_ISSUES)
			buf_printf(b, "%s%s %s", k++ ? ", " : "",
				   d[i].job ? d[i].job : d[i].stage,
				   rtx_result_name(d[i].result));
}

/*
 * Decide with cond whether what c describes runs: 1 yes, 0 no (said, with
 * why), -1 its condition is in error (said, with file and line).
 */
static int decide(struct runner *r, const rtx_ctx *c, const char *what,
		  const char *cond, const char *file, unsigned line)
{
	svc_buf why = SVC_BUF_INIT;
	char *err = NULL;
	int yes = 0;

	if (rtx_condition(&yes, c, cond, &err)) {
		say(r, "%s:%u: error: condition of %s: %s", file ? file : "?", line,
		    what, err ? err : svc_error_last());
		free(err);
		return -1;
	}
	if (yes)
		return 1;
	if (cond && *cond) {
		char q[64];

		buf_printf(&why, "its condition '%s' is false",
			   expr_excerpt(cond, strlen(cond), q));
	}
	else if (c->canceled)
		buf_puts(&why, "the run was canceled");
	else if (c->level == RTX_STEP)
		buf_puts(&why, "a previous step failed");
	else {
		buf_puts(&why, "a dependency did not succeed (");
		not_succeeded(&why, c->deps, c->ndeps);
		buf_puts(&why, ")");
	}
	say(r, "%s skipped: %s", what, why.ptr ? why.ptr : "");
	buf_clear(&why);
	return 0;
}

/* ---- running a job ------------------------------------------------------ */

/*
 * The variables of job (of stage) written as a runtime expression
 * ("$[ dependencies.A.outputs['s.v'] ]"), evaluated with the job's
 * context and set among the variables of its steps (r->vars), over the
 * text as written; one that fails to evaluate is said and keeps its text
 * as written.
 */
static int job_runtime_vars(struct runner *r, const char *stage,
			    const char *job)
{
	const char *const *names, *const *values;
	size_t i, n = 0;
	int rc = 0;

	if (!r->job_ctx ||
	    svc_plan_job_vars(r->plan, stage, job, &names, &values, &n)) {
		svc_error_clear();
		return 0;
	}
	for (i = 0; i < n && !rc; i++) {
		const char *v = values[i];
		char *val = NULL, *err = NULL;

		while (*v == ' ' || *v == '\t')
			v++;
		if (strncmp(v, "$[", 2))
			continue;
		if (rtx_eval_string(&val, r->job_ctx, v, &err)) {
			say(r, "job %s: variable '%s': %s", job, names[i],
			    err ? err : svc_error_last());
			svc_error_clear();
		} else
			rc = svc_step_vars_set_public(r->vars, names[i], val,
						      strlen(val));
		free(val);
		free(err);
		if (rc == SVC_EINVALID) {
			/* a name on the closed list: said, as for a step's */
			say(r, "job %s: %s", job, svc_error_last());
			svc_error_clear();
			rc = 0;
		}
	}
	return rc;
}

/*
 * Run job x, whose first step is plan step first, in run_dir: its steps in
 * order, each when its condition holds.  *gate: the gate's exit code
 * when the job could not start (the run stops).
 */
static int run_job(struct runner *r, struct item *x, size_t first,
		   const char *run_dir, int *gate)
{
	const svc_run_options *o = r->o;
	const svc_plan_step *s = svc_plan_step_at(r->plan, first);
	svc_buf dir = SVC_BUF_INIT, what = SVC_BUF_INIT;
	rtx_result status = RTX_SUCCEEDED;
	size_t j;
	/* a job started after the run was canceled (its condition said so)
	 * is not canceled itself: its steps run as usual */
	int rc, started = 0, before = canceled(r);

	say(r, "%s%s%sjob %s", s->stage ? "stage " : "", s->stage ? s->stage : "",
	    s->stage ? " / " : "", s->job);
	/* under the jobs root, never the store or the workspace: the job's
	 * state and what its tasks write for their tools */
	buf_printf(&dir, "%s/%s-%s", run_dir, s->stage ? s->stage : "_", s->job);
	if ((rc = jobdir_create(dir.ptr)))
		goto done;
	if ((*gate = start_job(r, s->stage, s->job, dir.ptr)))
		goto done;
	svc_step_vars_free(r->vars);
	r->vars = NULL;
	svc_masker_free(r->job_mask);
	r->job_mask = NULL;
	r->cur_stage = s->stage;
	r->cur_job = s->job;
	if ((rc = svc_step_vars_new(&r->vars)) ||
	    (!r->jobs->own_system_token &&
	     (rc = svc_broker_token_new(r->system_token))) ||
	    (rc = job_cmds_job_begin(r->cmds, r->st, dir.ptr, o->workdir)))
		goto ended;
	/* its variables written as runtime expressions, $[ ... ], evaluated
	 * now with its dependencies (their outputs) */
	if ((rc = job_runtime_vars(r, s->stage, s->job)))
		goto ended;
	/* the secret outputs of the jobs before: masked here too */
	for (j = 0; j < r->outputs.n && !rc; j++)
		if (r->outputs.v[j].secret)
			rc = svc_step_vars_add_secret(r->vars, r->outputs.v[j].value,
						      strlen(r->outputs.v[j].value));
	if (rc)
		goto ended;
	if ((o->job_started && !(o->fork && !o->fork_allowed) &&
	     o->job_started(o->ctx, dir.ptr)) ||
	    /* after the broker: the sandbox shows its socket */
	    (!o->steps_see_store && o->launcher_exe &&
	     svc_step_launcher_start(NULL, r->st, dir.ptr, o->launcher_exe))) {
		say(r, "job %s: its helpers could not start: %s", s->job,
		    svc_error_last());
		status = RTX_FAILED;
		j = svc_plan_step_count(r->plan);
	} else
		j = first;
	/* the tasks' pre-job steps first; their post-job steps last, after
	 * a failure or a cancel too */
	if ((started = j == first)) {
		int failed_hooks = 0;

		if ((rc = run_job_hooks(r, first, dir.ptr, 0, &failed_hooks)))
			goto ended;
		if (failed_hooks) {
			status = RTX_FAILED;
			j = svc_plan_step_count(r->plan);
		}
	}
	for (; j < svc_plan_step_count(r->plan); j++) {
		const svc_plan_step *t = svc_plan_step_at(r->plan, j);
		rtx_ctx c;
		int failed = 0, go;

		if (!same(t->stage, s->stage) || !same(t->job, s->job))
			break;
		buf_reset(&what);
		buf_printf(&what, "step %s", t->name ? t->name : t->display ? t->display
			   : t->task ? t->task : t->kind);
		if (t->disabled) {
			say(r, "%s skipped: it is disabled (enabled: false)", what.ptr);
			r->steps_skipped++;
			continue;
		}
		cond_ctx(&c, r, RTX_STEP, t->stage, t->job);
		c.job_status = status;
		c.canceled = c.canceled && !before;
		go = decide(r, &c, what.ptr, t->condition, t->condition_file,
			    t->condition_line);
		if (go == 0) {
			r->steps_skipped++;
			continue;
		}
		if (go > 0 && (rc = run_step(r, t, dir.ptr, &failed)))
			break;
		if (failed == 2) {
			r->steps_skipped++;
			continue;
		}
		r->steps_run++;
		if (go < 0 || failed) {
			r->steps_failed++;
			if (t->continue_on_error) {
				say(r, "%s: continueOnError: the job goes on, SucceededWithIssues",
				    what.ptr);
				if (status == RTX_SUCCEEDED)
					status = RTX_SUCCEEDED_WITH_ISSUES;
			} else
				status = RTX_FAILED;
		}
	}
	if (started && !rc) {
		int failed_hooks = 0;

		rc = run_job_hooks(r, first, dir.ptr, 1, &failed_hooks);
		if (failed_hooks)
			status = RTX_FAILED;
	}
	if (canceled(r) && !before)
		status = RTX_CANCELED;
	/* what its steps' commands said: SucceededWithIssues, and its notes */
	r->job = s->job;
	if (job_cmds_job_end(r->cmds, say_note, r) == JOB_CMDS_ISSUES &&
	    status == RTX_SUCCEEDED)
		status = RTX_SUCCEEDED_WITH_ISSUES;
	if (status == RTX_FAILED && x->ctl && x->ctl->continue_on_error) {
		say(r, "job %s: continueOnError: SucceededWithIssues", s->job);
		status = RTX_SUCCEEDED_WITH_ISSUES;
	}
ended:
	svc_wipe(r->system_token, sizeof(r->system_token));
	svc_step_launcher_stop(dir.ptr);
	if (o->job_ending)
		o->job_ending(o->ctx, dir.ptr);
	if (rc)
		status = RTX_FAILED;
	if (!rc)
		rc = r->jobs->end(r->jobs->ctx, dir.ptr, rtx_result_name(status));
	else
		r->jobs->end(r->jobs->ctx, dir.ptr, rtx_result_name(status));
	/* its outputs, for the later jobs' dependencies.J.outputs[] */
	if (!rc && r->vars)
		rc = run_outputs_add(&r->outputs, s->stage, s->job, r->vars);
	r->cur_job = NULL;
	/* the job's directory with what its helpers left (logs) */
	jobdir_remove(dir.ptr);
	x->result = status;
	if (status != RTX_SUCCEEDED)
		say(r, "job %s: %s", s->job, rtx_result_name(status));
done:
	buf_clear(&dir);
	buf_clear(&what);
	return rc;
}

/* The index of the first plan step of job x, or SIZE_MAX when it has none. */
static size_t first_step(const struct runner *r, const struct item *x)
{
	size_t i;

	for (i = 0; i < svc_plan_step_count(r->plan); i++)
		if (same(svc_plan_step_at(r->plan, i)->stage, x->stage) &&
		    same(svc_plan_step_at(r->plan, i)->job, x->job))
			return i;
	return (size_t)-1;
}

/* How a stage that ran ended: from its jobs. */
static rtx_result stage_result(const struct sched *s, const char *stage)
{
	rtx_result res = RTX_SKIPPED;
	size_t i;

	for (i = 0; i < s->njobs; i++) {
		rtx_result j = s->jobs[i].result;

		if (!same(s->jobs[i].stage, stage) || j == RTX_PENDING)
			continue;
		if (j == RTX_FAILED || (j == RTX_CANCELED && res != RTX_FAILED) ||
		    (j == RTX_SUCCEEDED_WITH_ISSUES && (res == RTX_SUCCEEDED ||
							 res == RTX_SKIPPED)) ||
		    (j == RTX_SUCCEEDED && res == RTX_SKIPPED))
			res = j;
	}
	return res;
}

/*
 * Run the jobs of stage st (an index in s) in their order, each when its
 * condition holds; a stage skipped skips them all.
 */
static int run_stage(struct runner *r, struct sched *s, size_t st,
		     const size_t *jorder, char **run_dir, int *code)
{
	struct item *sx = &s->stages[st];
	rtx_dep *deps = NULL, *sdeps = NULL;
	unsigned char *seen = NULL;
	size_t k, i, nsd = 0, *stack = NULL;
	int rc = 0, go = 1;

	/* with --job, the stages without it are not run (nor skipped) */
	for (k = 0; r->o->job && k < s->njobs; k++)
		if (same(s->jobs[k].stage, sx->stage) && same(s->jobs[k].job, r->o->job))
			break;
	if (r->o->job && k == s->njobs)
		return 0;
	if (!(deps = calloc(s->njobs + s->nstages + 1, sizeof(*deps))) ||
	    !(sdeps = calloc(s->njobs + 1, sizeof(*sdeps))) ||
	    !(seen = calloc(s->njobs + s->nstages + 1, 1)) ||
	    !(stack = calloc(s->njobs + s->nstages + 1, sizeof(*stack)))) {
		rc = error_oom();
		goto done;
	}
	if (sx->stage) {
		rtx_ctx c;
		svc_buf what = SVC_BUF_INIT;

		cond_ctx(&c, r, RTX_STAGE, sx->stage, NULL);
		c.deps = deps;
		c.ndeps = closure(deps, s->stages, s->nstages, st, seen, stack);
		buf_printf(&what, "stage %s", sx->stage);
		go = decide(r, &c, what.ptr, sx->ctl->condition, sx->ctl->file,
			    sx->ctl->line);
		buf_clear(&what);
		/* stageDependencies: the jobs of the stages it depends on */
		for (i = 0; i < s->njobs; i++)
			for (k = 0; k < sx->ndeps; k++)
				if (same(s->jobs[i].stage, s->stages[sx->deps[k]].stage) &&
				    s->jobs[i].result != RTX_PENDING) {
					sdeps[nsd].stage = s->jobs[i].stage;
					sdeps[nsd].job = s->jobs[i].job;
					sdeps[nsd].result = s->jobs[i].result;
					sdeps[nsd++].direct = 1;
				}
	}
	if (go <= 0) {
		sx->result = go < 0 ? RTX_FAILED : canceled(r) ? RTX_CANCELED : RTX_SKIPPED;
		if (go < 0)
			*code = 1;
		for (k = 0; k < s->njobs; k++)
			if (same(s->jobs[k].stage, sx->stage))
				say(r, "job %s skipped: its stage was not run", s->jobs[k].job);
		goto done;
	}
	for (k = 0; k < s->njobs && !rc && *code < 2; k++) {
		struct item *x = &s->jobs[jorder[k]];
		size_t first;
		rtx_ctx c;
		svc_buf what = SVC_BUF_INIT;
		int gate = 0;

		if (!same(x->stage, sx->stage) ||
		    (r->o->job && !same(r->o->job, x->job)))
			continue;
		cond_ctx(&c, r, RTX_JOB, x->stage, x->job);
		c.deps = deps;
		c.ndeps = closure(deps, s->jobs, s->njobs, jorder[k], seen, stack);
		c.stage_deps = sdeps;
		c.nstage_deps = nsd;
		buf_printf(&what, "job %s", x->job);
		go = decide(r, &c, what.ptr, x->ctl->condition, x->ctl->file,
			    x->ctl->line);
		buf_clear(&what);
		if (go <= 0) {
			x->result = go < 0 ? RTX_FAILED : canceled(r) ? RTX_CANCELED
								  : RTX_SKIPPED;
			if (go < 0)
				*code = 1;
			continue;
		}
		if ((first = first_step(r, x)) == (size_t)-1) {
			x->result = RTX_SUCCEEDED; /* nothing to run */
			continue;
		}
		if (!*run_dir && (rc = make_run_dir(run_dir, r->o->run_id)))
			break;
		r->job_ctx = &c;
		rc = run_job(r, x, first, *run_dir, &gate);
		r->job_ctx = NULL;
		if (gate)
			*code = gate;
		else if (x->result == RTX_FAILED || x->result == RTX_CANCELED)
			*code = 1;
	}
	sx->result = stage_result(s, sx->stage);
done:
	free(deps);
	free(sdeps);
	free(seen);
	free(stack);
	return rc;
}

int svc_pipeline_run(int *exit_code, const svc_run_options *o, svc_store *st,
		     const svc_catalog *cat)
{
	struct runner r;
	struct sched s;
	svc_plan_options po;
	svc_plan *plan = NULL;
	size_t *sorder = NULL, *jorder = NULL;
	svc_buf tail = SVC_BUF_INIT;
	char *run_dir = NULL;
	size_t i, warnings, errors, issues;
	int rc, code = 0;

	if (!o || o->version != SVC_RUN_OPTIONS_VERSION || !o->pipeline_file ||
	    !o->pipeline || !o->run_id)
		return error_set(SVC_EINVALID, "a run needs a pipeline file, a pipeline name and a run id");
	if (!st && !o->jobs)
		return error_set(SVC_EINVALID, "a run needs a store, or somewhere else to start its jobs");
	memset(&r, 0, sizeof(r));
	memset(&s, 0, sizeof(s));
	r.o = o;
	r.st = st;
	r.cat = cat;
	r.local.start = local_start;
	r.local.end = local_end;
	r.local.ctx = &r;
	r.jobs = o->jobs ? o->jobs : &r.local;
	r.lookup_var = run_var;
	r.lookup_output = run_out;
	r.lookup_ctx = &r;
	memset(&po, 0, sizeof(po));
	po.version = SVC_PLAN_OPTIONS_VERSION;
	po.file = o->pipeline_file;
	po.vars = o->vars;
	po.nvars = o->nvars;
	po.task_dirs = o->task_dirs;
	po.ntask_dirs = o->ntask_dirs;
	po.flags = SVC_PLAN_EXACT | SVC_PLAN_FETCH; /* templates of other repositories */
	if ((rc = job_cmds_new(&r.cmds, o->output_dir)))
		return rc;
	if ((rc = svc_plan_build(&plan, &po, st, cat))) {
		job_cmds_free(r.cmds);
		return rc;
	}
	r.plan = plan;
	/* a pipeline that does not compile runs nothing */
	for (i = 0; i < svc_diags_count(svc_plan_diags(plan)); i++) {
		const svc_diag *d = svc_diags_at(svc_plan_diags(plan), i);
		char *m;

		if (d->severity != SVC_SEV_ERROR || d->field)
			continue;
		m = svc_diag_format(d);
		say(&r, "%s", m ? m : "invalid pipeline");
		free(m);
		code = 2;
	}
	/* stages and jobs in an order that satisfies dependsOn */
	if (!code && (rc = sched_build(&s, &r)) == SVC_EINVALID) {
		svc_error_clear();
		rc = 0;
		code = 2;
	}
	if (!rc && !code &&
	    (!(sorder = calloc(s.nstages + 1, sizeof(*sorder))) ||
	     !(jorder = calloc(s.njobs + 1, sizeof(*jorder)))))
		rc = error_oom();
	if (!rc && !code && (order_items(&r, s.stages, s.nstages, sorder) ||
			     order_items(&r, s.jobs, s.njobs, jorder)))
		code = 2;
	for (i = 0; !rc && code < 2 && i < s.nstages; i++) {
		struct item *sx = &s.stages[sorder[i]];

		if (o->stage && !same(o->stage, sx->stage))
			continue;
		rc = run_stage(&r, &s, sorder[i], jorder, &run_dir, &code);
		if (code >= 2)
			break;
	}
	if (!rc && canceled(&r))
		code = 6;
	svc_wipe(r.system_token, sizeof(r.system_token));
	svc_step_vars_free(r.vars);
	svc_masker_free(r.job_mask);
	run_outputs_clear(&r.outputs);
	if (run_dir)
		jobdir_remove(run_dir);
	free(run_dir);
	job_cmds_counts(r.cmds, &warnings, &errors, &issues);
	if (issues)
		buf_printf(&tail, ", %zu with issues", issues);
	if (warnings || errors)
		buf_printf(&tail, "; %zu warning(s), %zu error(s)", warnings, errors);
	if (!rc)
		say(&r, "summary: %zu step(s) run, %zu failed%s%.0zu%s%s; exit %d",
		    r.steps_run, r.steps_failed, r.steps_skipped ? ", " : "",
		    r.steps_skipped, r.steps_skipped ? " skipped" : "",
		    tail.ptr ? tail.ptr : "", code);
	buf_clear(&tail);
	job_cmds_free(r.cmds);
	sched_clear(&s);
	free(sorder);
	free(jorder);
	svc_plan_free(plan);
	if (!rc)
		*exit_code = code;
	return rc;
}
