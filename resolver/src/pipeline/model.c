/*
 * model.c - the pipeline model: stages, jobs, steps and resources of an
 * expanded pipeline, and the connection references in them.
 *
 * The walk knows the shapes of a pipeline: steps only, jobs, stages with
 * jobs, deployment jobs with their strategies (runOnce, rolling, canary and
 * their hooks), task steps with inputs and the step shortcuts, and the
 * resources block.  Task inputs are classified by the task's manifest; a
 * task without one is reported once and never guessed at.  Runtime macros
 * $(name) are expanded here, from the variables of the job, its stage and
 * the pipeline (mapping and list forms) and from --var, with the agent's
 * scanner (util/macro.c); each job keeps its merged variables as written,
 * and each step its env: mapping, for the run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "svcconn/secret.h"
#include "errors_int.h"
#include "pipeline/runtime_expr.h"
#include "resolve/plan_int.h"
#include "util/buf.h"
#include "util/macro.h"

/* Variables visible at some level: the block, and the enclosing level. */
struct vscope {
	const ynode *vars;        /**< a variables: block (MAP or SEQ) */
	const struct vscope *up;  /**< enclosing level, NULL at the top */
};

/* Where the walk is. */
struct where {
	svc_plan *plan;           /**< the plan being filled */
	const struct vscope *vs;  /**< variables in scope */
	const char *const *cli;   /**< --var values */
	size_t ncli;              /**< entries in cli */
	const char *stage;        /**< current stage name, or NULL */
	const char *job;          /**< current job name, or NULL */
	int step;                 /**< current step index, or -1 */
	int next_step;            /**< index of the job's next step */
	char **reported;          /**< tasks reported without manifest */
	size_t nreported;         /**< entries in reported */
	const char *hook_cond;    /**< the condition of a deployment's
				       on: failure / success steps */
	int inline_stage;         /**< the stage was passed inline to a
				       template that could not be read */
	macro_dict dict;          /**< the variables in scope, merged and
				       expanded (scope_vars) */
	const struct vscope *dict_vs; /**< the scope dict was made for */
};

/* A problem at node at. */
#define diag(p, at, sev, ...) ynode_diag((p)->diags, at, sev, __VA_ARGS__)

static const char *scalar(const ynode *n)
{
	return n && n->kind == YNODE_SCALAR ? n->scalar : NULL;
}

/* ---- variables and macros ------------------------------------------------ */

/* The value node of variable name in one variables: block, or NULL. */
static const ynode *var_in(const ynode *vars, const char *name)
{
	size_t i;

	if (!vars)
		return NULL;
	if (vars->kind == YNODE_MAP) {
		for (i = 0; i + 1 < vars->n; i += 2)
			if (strcasecmp(vars->items[i]->scalar, name) == 0)
				return vars->items[i + 1];
		return NULL;
	}
	for (i = vars->kind == YNODE_SEQ ? vars->n : 0; i > 0; i--) {
		const ynode *it = vars->items[i - 1];
		const char *n = scalar(ynode_get(it, "name"));

		if (n && strcasecmp(n, name) == 0)
			return ynode_get(it, "value");
	}
	return NULL;
}

/* The text of variable name, or NULL; *from_cli when given with --var. */
static const char *var_lookup(const struct where *w, const char *name)
{
	const struct vscope *s;
	size_t i, n = strlen(name);

	for (i = 0; i < w->ncli; i++)
		if (strncasecmp(w->cli[i], name, n) == 0 && w->cli[i][n] == '=')
			return w->cli[i] + n + 1;
	for (s = w->vs; s; s = s->up) {
		const ynode *v = var_in(s->vars, name);

		if (v)
			return v->kind == YNODE_SCALAR ? v->scalar : NULL;
	}
	return NULL;
}

/* Why a variable has no value here (for messages). */
static void why_unknown(const struct where *w, svc_buf *why, const char *name)
{
	static const char *const runtime[] = { "Build.", "System.", "Agent.",
		"Pipeline.", "Environment.", "Release.", "Resources.", NULL };
	size_t i, ng = tpl_group_count(w->plan->tpl);

	for (i = 0; runtime[i]; i++)
		if (strncasecmp(name, runtime[i], strlen(runtime[i])) == 0) {
			buf_printf(why, "'%s' is a predefined variable known only at run time",
				   name);
			return;
		}
	buf_printf(why, "variable '%s' is not defined", name);
	if (ng) {
		buf_puts(why, " (it may come from variable group");
		for (i = 0; i < ng; i++)
			buf_printf(why, "%s '%s'", i ? "," : "",
				   tpl_group_at(w->plan->tpl, i));
		buf_puts(why, ", which svcconn cannot read)");
	}
}

/* Add the names of one variables: block to d (values set later). */
static int names_in(macro_dict *d, const ynode *vars)
{
	size_t i;
	int rc = 0;

	for (i = 0; vars && i < vars->n && !rc; i++) {
		const char *n = vars->kind == YNODE_MAP
			? (i % 2 ? NULL : vars->items[i]->scalar)
			: scalar(ynode_get(vars->items[i], "name"));

		if (n && *n && !macro_dict_find(d, n, strlen(n)))
			rc = macro_dict_set(d, n, "", 0);
	}
	return rc;
}

/*
 * The variables in scope as Azure merges them into w->dict: the
 * pipeline's, the stage's and the job's (the nearest wins), --var over
 * all; each name with its value as written, then expanded through the
 * others (macro_dict_expand).  A variable without a scalar value (a
 * mapping) is left out; groups cannot be read (why_unknown says so).
 */
static int scope_vars(struct where *w)
{
	const struct vscope *s;
	size_t i;
	int rc = 0;

	if (w->dict_vs && w->dict_vs == w->vs)
		return 0;
	macro_dict_clear(&w->dict);
	w->dict_vs = w->vs;
	for (s = w->vs; s && !rc; s = s->up)
		rc = names_in(&w->dict, s->vars);
	for (i = 0; i < w->ncli && !rc; i++) {
		const char *eq = strchr(w->cli[i], '=');
		char *n = eq ? strndup(w->cli[i], (size_t)(eq - w->cli[i])) : NULL;

		if (eq && !n)
			rc = error_oom();
		else if (n && *n && !macro_dict_find(&w->dict, n, strlen(n)))
			rc = macro_dict_set(&w->dict, n, "", 0);
		free(n);
	}
	for (i = 0; i < w->dict.n && !rc; i++) {
		const char *v = var_lookup(w, w->dict.v[i].name);

		if (v)
			rc = macro_dict_set(&w->dict, w->dict.v[i].name, v, 0);
		else
			w->dict.v[i].state = -1; /* not a scalar: dropped below */
	}
	for (i = w->dict.n; i > 0 && !rc; i--)
		if (w->dict.v[i - 1].state == -1) {
			free(w->dict.v[i - 1].name);
			svc_secret_free(w->dict.v[i - 1].raw, (size_t)-1);
			memmove(&w->dict.v[i - 1], &w->dict.v[i],
				(w->dict.n - i) * sizeof(w->dict.v[0]));
			w->dict.n--;
		}
	return rc ? rc : macro_dict_expand(&w->dict);
}

/* What a plan-time expansion looks up, and why a name has no value. */
struct plan_lookup {
	struct where *w;   /**< where the walk is (its dict is made) */
	svc_buf *why;      /**< the first reason, when one is wanted */
};

static const char *plan_var(void *ctx, const char *name, size_t len,
			    int *secret)
{
	struct plan_lookup *l = ctx;
	const struct macro_var *x = macro_dict_find(&l->w->dict, name, len);
	char n[256];

	snprintf(n, sizeof(n), "%.*s", (int)(len < 255 ? len : 255), name);
	if (x && x->value && !strstr(x->value, "$[")) {
		*secret = 0;
		return x->value;
	}
	if (!l->why || l->why->len)
		return NULL;
	if (!x)
		why_unknown(l->w, l->why, n);
	else if (x->value)
		buf_printf(l->why, "variable '%s' is computed at run time (%s)",
			   n, x->value);
	else
		buf_printf(l->why, "variable '%s' refers to itself", n);
	return NULL;
}

/*
 * Expand the $(name) macros of text into out with the variables in scope
 * (macro.c, as the agent does at run time); unknown names stay as written
 * and make *why (may be NULL) say why, as does a macro left in a value.
 */
static int expand_macros(struct where *w, const char *text, svc_buf *out,
			 svc_buf *why)
{
	struct plan_lookup l = { w, why };
	size_t start = out->len;
	int rc;

	if ((rc = scope_vars(w)) ||
	    (rc = macro_expand(out, text, plan_var, &l, NULL)))
		return rc;
	if (why && !why->len && out->ptr && strstr(out->ptr + start, "$(")) {
		/* a variable's value holds a macro nothing defines */
		svc_buf none = SVC_BUF_INIT;
		struct plan_lookup u = { w, why };

		rc = macro_expand(&none, out->ptr + start, plan_var, &u, NULL);
		buf_clear(&none);
	}
	return rc;
}

/* ---- when stages, jobs and steps run ------------------------------------ */

/* Boolean field key of n (continueOnError, enabled); dflt when absent. */
static int flag(struct where *w, const ynode *n, const char *key, int dflt)
{
	const ynode *v = ynode_get(n, key);
	const char *s = scalar(v);

	if (v && s && (!strcasecmp(s, "true") || !strcasecmp(s, "false")))
		return !strcasecmp(s, "true");
	if (v)
		diag(w->plan, v, SVC_SEV_ERROR, "%s: must be true or false", key);
	return dflt;
}

/*
 * When n, a stage, job or step (level), runs: its condition (checked now),
 * continueOnError, and dependsOn (names into names[max]).
 */
static void read_ctl(struct where *w, const ynode *n, rtx_level level,
		     struct plan_ctl *c, const char **names, size_t max)
{
	const ynode *cond = ynode_get(n, "condition"), *dep = ynode_get(n, "dependsOn");
	char *err = NULL;
	size_t i;

	memset(c, 0, sizeof(*c));
	c->file = plan_str(w->plan, (cond ? cond : n)->file);
	c->line = (cond ? cond : n)->line;
	if (cond && !scalar(cond))
		diag(w->plan, cond, SVC_SEV_ERROR, "condition: must be an expression, not %s",
		     ynode_kind_name(cond->kind));
	else if (cond && rtx_check(level, cond->scalar, &err))
		diag(w->plan, cond, SVC_SEV_ERROR, "condition: %s", err ? err : "invalid");
	else if (cond)
		c->condition = plan_str(w->plan, cond->scalar);
	free(err);
	c->continue_on_error = level != RTX_STAGE && flag(w, n, "continueOnError", 0);
	if (level == RTX_STEP || !dep)
		return;
	c->depends_set = 1;
	c->depends = names;
	if (scalar(dep) && *dep->scalar)
		names[c->ndepends++] = plan_str(w->plan, dep->scalar);
	for (i = 0; dep->kind == YNODE_SEQ && i < dep->n && c->ndepends < max; i++)
		if (scalar(dep->items[i]))
			names[c->ndepends++] = plan_str(w->plan, dep->items[i]->scalar);
	if (dep->kind == YNODE_MAP || (dep->kind == YNODE_SEQ && i < dep->n))
		diag(w->plan, dep, SVC_SEV_ERROR, "dependsOn: must be a name or a list of at most %zu names",
		     max);
}

/* ---- references --------------------------------------------------------- */

/*
 * Add the references written in value node v (one, or comma-separated when
 * multi) for the reference template r.
 */
static int add_refs(struct where *w, svc_ref *r, const ynode *v,
		    const ynode *owner, int multi)
{
	svc_plan *p = w->plan;
	svc_buf exp = SVC_BUF_INIT, why = SVC_BUF_INIT, path = SVC_BUF_INIT;
	const char *s;
	int rc = 0;

	if (!v || v->kind != YNODE_SCALAR) {
		if (v)
			diag(p, v, SVC_SEV_ERROR,
			     "'%s' must name a connection, not hold %s", r->key,
			     ynode_kind_name(v->kind));
		return 0;
	}
	{
		const ynode *src = v;

		while (src->origin)
			src = src->origin;
		/* an input left empty names nothing; one made empty does */
		if (v->len == 0 && !(v->flags & YNODE_F_UNRESOLVED) &&
		    !(src->scalar && (strstr(src->scalar, "${{") ||
				      strstr(src->scalar, "$("))))
			return 0;
	}
	r->file = plan_str(p, v->file);
	r->line = v->line;
	r->column = v->column;
	ynode_path(owner, &path);
	r->path = plan_str(p, path.ptr ? path.ptr : "");
	buf_clear(&path);
	r->stage = plan_str(p, w->stage);
	r->job = plan_str(p, w->job);
	r->step = w->step;
	{
		const ynode *src = v;

		while (src->origin)
			src = src->origin;
		r->written = plan_str(p, src->scalar);
	}
	if (v->flags & YNODE_F_UNRESOLVED)
		buf_puts(&why, "the value comes from a template parameter or expression without a value");
	rc = expand_macros(w, v->scalar, &exp, &why);
	s = exp.ptr ? exp.ptr : "";
	while (!rc) {
		size_t len = multi ? strcspn(s, ",") : strlen(s);
		const char *a = s, *b = s + len;

		while (a < b && (*a == ' ' || *a == '\t'))
			a++;
		while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
			b--;
		if (b == a && !multi && !why.len)
			buf_printf(&why, "'%s' gives an empty connection name",
				   r->written ? r->written : "");
		if (b > a || !multi) {
			char *one = strndup(a, (size_t)(b - a));

			if (!one) {
				rc = error_oom();
				break;
			}
			r->value = plan_str(p, one);
			free(one);
			r->status = why.len ? SVC_REF_UNRESOLVED_VARIABLE
					    : SVC_REF_RESOLVED;
			r->message = why.len ? plan_str(p, why.ptr) : NULL;
			rc = plan_add_ref(p, r);
		}
		if (!multi || !s[len])
			break;
		s += len + 1;
	}
	buf_clear(&exp);
	buf_clear(&why);
	return rc;
}

/* A task step: classify its inputs with the manifest. */
static int walk_task(struct where *w, const ynode *step)
{
	svc_plan *p = w->plan;
	const ynode *tnode = ynode_get(step, "task"), *inputs;
	const char *tref = scalar(tnode);
	const svc_task *t;
	svc_ref r;
	char name_at[300];
	size_t i;
	int rc = 0;

	if (!tref)
		return 0;
	t = svc_tasks_find(p->tasks, tref);
	if (!t) {
		for (i = 0; i < w->nreported; i++)
			if (strcasecmp(w->reported[i], tref) == 0)
				return 0;
		diag(p, tnode, SVC_SEV_WARNING,
		     "no manifest for task '%s' (searched: %s): its inputs cannot be classified (add its task.json with --tasks-dir)",
		     tref, svc_tasks_searched(p->tasks));
		{
			char **np = realloc(w->reported,
					    (w->nreported + 1) * sizeof(*np));

			if (!np || !(np[w->nreported] = strdup(tref)))
				return error_oom();
			w->reported = np;
			w->nreported++;
		}
		return 0;
	}
	inputs = ynode_get(step, "inputs");
	if (!inputs)
		return 0;
	if (inputs->kind != YNODE_MAP) {
		diag(p, inputs, SVC_SEV_ERROR, "'inputs' must be a mapping");
		return 0;
	}
	snprintf(name_at, sizeof(name_at), "%s@%u", t->name, t->major);
	for (i = 0; i + 1 < inputs->n && !rc; i += 2) {
		const ynode *k = inputs->items[i];
		const svc_task_input *in = svc_task_input_find(t, k->scalar);

		if (!in || !in->is_connection)
			continue;
		memset(&r, 0, sizeof(r));
		r.kind = SVC_REF_TASK_INPUT;
		r.task = plan_str(p, name_at);
		r.key = plan_str(p, k->scalar);
		r.input = plan_str(p, in->name);
		r.accepts = plan_str(p, in->conn_type);
		if (in->nschemes) {
			svc_buf s = SVC_BUF_INIT;
			size_t j;

			for (j = 0; j < in->nschemes; j++)
				buf_printf(&s, "%s%s", j ? "," : "", in->schemes[j]);
			r.schemes = plan_str(p, s.ptr);
			buf_clear(&s);
		}
		rc = add_refs(w, &r, inputs->items[i + 1], step, in->multi);
	}
	return rc;
}

/*
 * The handler of one execution section run chooses (the Node handlers,
 * newest first, then svcconn's Bash), into *kind and *target (plan
 * strings); both stay NULL when it has none of them.
 */
static void choose_handler(svc_plan *p, const char **kind, const char **target,
			   const svc_task_handler *hs, size_t n)
{
	static const char *const pref[] = { "Node20_1", "Node20", "Node16",
		"Node10", "Node", "Bash", NULL };
	size_t h, k;

	for (k = 0; pref[k]; k++)
		for (h = 0; h < n; h++)
			if (!strcmp(hs[h].kind, pref[k])) {
				*kind = plan_str(p, pref[k]);
				*target = plan_str(p, hs[h].target);
				return;
			}
}

/* Record step s of the current job, with its inputs $(var)-expanded. */
static int record_step(struct where *w, const ynode *s)
{
	static const char *const kinds[] = { "task", "script", "bash", "pwsh",
		"powershell", "checkout", "download", "publish", NULL };
	svc_plan *p = w->plan;
	const char *names[512], *values[512], *enames[256], *evalues[256];
	const ynode *inputs = ynode_get(s, "inputs"), *env;
	const svc_task *t = NULL;
	svc_plan_step st;
	char name_at[300], **mnames = NULL, **mvalues = NULL;
	size_t i, n = 0, nm = 0;
	int rc;

	memset(&st, 0, sizeof(st));
	st.stage = plan_str(p, w->stage);
	st.job = plan_str(p, w->job);
	st.index = w->step;
	st.name = plan_str(p, scalar(ynode_get(s, "name")));
	st.display = plan_str(p, scalar(ynode_get(s, "displayName")));
	st.kind = "other";
	for (i = 0; kinds[i]; i++)
		if (ynode_get(s, kinds[i])) {
			st.kind = kinds[i];
			break;
		}
	if (!strcmp(st.kind, "task")) {
		t = svc_tasks_find(p->tasks, scalar(ynode_get(s, "task")));
		if (t) {
			snprintf(name_at, sizeof(name_at), "%s@%u", t->name, t->major);
			st.task = plan_str(p, name_at);
			st.task_dir = plan_str(p, t->dir);
			choose_handler(p, &st.handler, &st.target, t->handlers,
				       t->nhandlers);
			/* the agent's pre- and post-job steps of the task */
			choose_handler(p, &st.pre_handler, &st.pre_target,
				       t->pre_handlers, t->npre_handlers);
			choose_handler(p, &st.post_handler, &st.post_target,
				       t->post_handlers, t->npost_handlers);
		} else {
			st.task = plan_str(p, scalar(ynode_get(s, "task")));
		}
	} else {
		st.body = plan_str(p, scalar(ynode_get(s, st.kind)));
		st.workdir = plan_str(p, scalar(ynode_get(s, "workingDirectory")));
	}
	/* the step's inputs as written, then as the agent gives them: every
	 * input of the manifest by its name, with its default when the step
	 * gives none */
	for (i = 0; inputs && inputs->kind == YNODE_MAP && i + 1 < inputs->n &&
		    n < 512; i += 2) {
		const char *v = scalar(inputs->items[i + 1]);

		if (!v)
			continue;
		names[n] = inputs->items[i]->scalar;
		values[n++] = v;
	}
	if ((rc = svc_task_inputs_merge(&mnames, &mvalues, &nm, t, names, values, n)))
		return rc;
	for (i = 0, n = 0; i < nm && n < 512; i++) {
		svc_buf exp = SVC_BUF_INIT;

		names[n] = plan_str(p, mnames[i]);
		if (expand_macros(w, mvalues[i], &exp, NULL) == 0)
			values[n++] = plan_str(p, exp.ptr ? exp.ptr : "");
		buf_clear(&exp);
	}
	svc_task_inputs_free(mnames, mvalues, nm);
	st.input_names = names;
	st.input_values = values;
	st.ninputs = n;
	/* its env: mapping as written: the run expands it */
	env = ynode_get(s, "env");
	for (i = 0; env && env->kind == YNODE_MAP && i + 1 < env->n &&
		    st.nenv < 256; i += 2)
		if (scalar(env->items[i + 1])) {
			enames[st.nenv] = env->items[i]->scalar;
			evalues[st.nenv++] = scalar(env->items[i + 1]);
		}
	st.env_names = enames;
	st.env_values = evalues;
	{
		struct plan_ctl ctl;

		read_ctl(w, s, RTX_STEP, &ctl, NULL, 0);
		st.condition = ctl.condition ? ctl.condition : w->hook_cond;
		st.condition_file = ctl.file;
		st.condition_line = ctl.line;
		st.continue_on_error = ctl.continue_on_error;
		st.disabled = !flag(w, s, "enabled", 1);
	}
	rc = plan_add_step(p, &st);
	return rc;
}

static int walk_steps(struct where *w, const ynode *steps)
{
	size_t i;
	int rc = 0;

	if (!steps)
		return 0;
	if (steps->kind != YNODE_SEQ) {
		diag(w->plan, steps, SVC_SEV_ERROR, "'steps' must be a list");
		return 0;
	}
	for (i = 0; i < steps->n && !rc; i++) {
		const ynode *s = steps->items[i];

		if (s->kind != YNODE_MAP)
			continue;
		w->step = w->next_step++;
		rc = record_step(w, s);
		if (!rc && ynode_get(s, "task"))
			rc = walk_task(w, s);
	}
	w->step = -1;
	return rc;
}

/* A container: an alias (string) or inline with an endpoint. */
static int walk_container(struct where *w, const ynode *c)
{
	svc_ref r;

	if (!c || c->kind != YNODE_MAP || !ynode_get(c, "endpoint"))
		return 0;
	memset(&r, 0, sizeof(r));
	r.kind = SVC_REF_CONTAINER_ENDPOINT;
	r.key = plan_str(w->plan, "endpoint");
	r.accepts = plan_str(w->plan, "dockerregistry");
	return add_refs(w, &r, ynode_get(c, "endpoint"), c, 0);
}

/* The steps lists of a deployment strategy. */
static int walk_strategy(struct where *w, const ynode *strategy)
{
	static const char *const kinds[] = { "runOnce", "rolling", "canary",
					     NULL };
	static const char *const hooks[] = { "preDeploy", "deploy",
		"routeTraffic", "postRouteTraffic", NULL };
	size_t i, j;
	int rc = 0;

	for (i = 0; kinds[i] && !rc; i++) {
		const ynode *k = ynode_get(strategy, kinds[i]), *on;

		if (!k)
			continue;
		for (j = 0; hooks[j] && !rc; j++)
			rc = walk_steps(w, ynode_get(ynode_get(k, hooks[j]),
						     "steps"));
		on = ynode_get(k, "on");
		w->hook_cond = "failed()"; /* the steps of on: failure */
		if (!rc)
			rc = walk_steps(w, ynode_get(ynode_get(on, "failure"),
						     "steps"));
		w->hook_cond = "succeeded()";
		if (!rc)
			rc = walk_steps(w, ynode_get(ynode_get(on, "success"),
						     "steps"));
		w->hook_cond = NULL;
	}
	return rc;
}

/*
 * The outputs of a job passed inline to a 1ES template that could not be
 * read (templateContext.outputs): `output: nuget` is what the template
 * makes a NuGetCommand@2 push of, with the output's keys as the task's
 * inputs (publishFeedCredentials is a connection).  Nothing is recorded as
 * a step: the template decides where it runs.
 */
static int walk_outputs(struct where *w, const ynode *job)
{
	const ynode *outs = ynode_get(ynode_get(job, "templateContext"), "outputs");
	ydoc *arena = tpl_arena(w->plan->tpl);
	size_t i;
	int rc = 0;

	for (i = 0; outs && outs->kind == YNODE_SEQ && i < outs->n && !rc; i++) {
		const ynode *o = outs->items[i], *kind = ynode_get(o, "output");
		ynode *step, *k, *v, *ik;

		if (!kind || !ynode_is(kind, "nuget"))
			continue;
		step = ydoc_node_new(arena, YNODE_MAP, o);
		k = ydoc_node_new(arena, YNODE_SCALAR, kind);
		v = ydoc_node_new(arena, YNODE_SCALAR, kind);
		ik = ydoc_node_new(arena, YNODE_SCALAR, kind);
		if (!step || !k || !v || !ik || ynode_set_scalar(k, "task", 4) ||
		    ynode_set_scalar(v, "NuGetCommand@2", 14) ||
		    ynode_set_scalar(ik, "inputs", 6) || ynode_append(step, k) ||
		    ynode_append(step, v) || ynode_append(step, ik) ||
		    ynode_append(step, (ynode *)o))
			return error_oom();
		w->step = -1;
		rc = walk_task(w, step);
	}
	return rc;
}

/* Record a job and the resources it uses: checkout, container, services. */
static int record_job(struct where *w, const ynode *j)
{
	const char *aliases[256], *deps[256];
	const ynode *steps = ynode_get(j, "steps"), *svc = ynode_get(j, "services");
	const char *c = scalar(ynode_get(j, "container"));
	struct plan_ctl ctl;
	size_t n = 0, i;
	int rc;

	if (c && *c)
		aliases[n++] = c;
	for (i = 0; svc && svc->kind == YNODE_MAP && i + 1 < svc->n && n < 256; i += 2)
		if ((c = scalar(svc->items[i + 1])) != NULL)
			aliases[n++] = c;
	for (i = 0; steps && steps->kind == YNODE_SEQ && i < steps->n && n < 256; i++) {
		c = scalar(ynode_get(steps->items[i], "checkout"));
		if (c && strcmp(c, "self") && strcmp(c, "none"))
			aliases[n++] = c;
	}
	read_ctl(w, j, RTX_JOB, &ctl, deps, 256);
	if ((rc = plan_add_job(w->plan, w->stage, w->job, aliases, n, &ctl)) ||
	    (rc = scope_vars(w)))
		return rc;
	return plan_job_vars(w->plan, &w->dict);
}

static int walk_jobs(struct where *w, const ynode *jobs)
{
	size_t i;
	int rc = 0;

	if (!jobs)
		return 0;
	if (jobs->kind != YNODE_SEQ) {
		diag(w->plan, jobs, SVC_SEV_ERROR, "'jobs' must be a list");
		return 0;
	}
	for (i = 0; i < jobs->n && !rc; i++) {
		const ynode *j = jobs->items[i], *services;
		struct vscope vs = { ynode_get(j, "variables"), w->vs };
		const struct vscope *saved = w->vs;
		char fallback[32];
		size_t k;

		if (j->kind != YNODE_MAP)
			continue;
		w->job = scalar(ynode_get(j, "job"));
		if (!w->job)
			w->job = scalar(ynode_get(j, "deployment"));
		if (!w->job)
			w->job = scalar(ynode_get(j, "phase"));
		if (!w->job) {
			snprintf(fallback, sizeof(fallback), "job%zu", i + 1);
			w->job = fallback;
		}
		w->vs = &vs;
		w->dict_vs = NULL; /* another job's scope */
		w->next_step = 0;
		rc = record_job(w, j);
		if (!rc)
			rc = walk_container(w, ynode_get(j, "container"));
		services = ynode_get(j, "services");
		for (k = 0; !rc && services && services->kind == YNODE_MAP &&
			    k + 1 < services->n; k += 2)
			rc = walk_container(w, services->items[k + 1]);
		if (!rc)
			rc = walk_steps(w, ynode_get(j, "steps"));
		if (!rc && ynode_get(j, "strategy"))
			rc = walk_strategy(w, ynode_get(j, "strategy"));
		if (!rc && (w->inline_stage || (j->flags & TPL_F_INLINE)))
			rc = walk_outputs(w, j);
		w->vs = saved;
		w->dict_vs = NULL;
		w->job = NULL;
	}
	return rc;
}

/* The alias of a resource item: the value of its first key. */
static const char *alias_of(const ynode *it)
{
	return it && it->kind == YNODE_MAP && it->n >= 2 ? scalar(it->items[1])
							 : NULL;
}

/* One resources list: items named by `alias` key, reference in `key`. */
static int walk_resource_list(struct where *w, const ynode *list,
			      svc_ref_kind kind, const char *key,
			      const char *accepts_fixed, const char *type_key)
{
	size_t i;
	int rc = 0;

	for (i = 0; list && list->kind == YNODE_SEQ && i < list->n && !rc; i++) {
		const ynode *it = list->items[i], *v = ynode_get(it, key);
		const char *accepts = accepts_fixed;
		svc_ref r;

		if (!v)
			continue;
		if (type_key) {
			const char *t = scalar(ynode_get(it, type_key));

			accepts = t;
			if (t && strcasecmp(t, "git") == 0)
				accepts = "externaltfs";
			else if (t && kind == SVC_REF_PACKAGE_CONNECTION)
				accepts = "github";
		}
		memset(&r, 0, sizeof(r));
		r.kind = kind;
		r.key = plan_str(w->plan, key);
		r.accepts = plan_str(w->plan, accepts);
		r.alias = plan_str(w->plan, alias_of(it));
		rc = add_refs(w, &r, v, it, 0);
	}
	return rc;
}

static size_t seq_len(const ynode *n)
{
	return n && n->kind == YNODE_SEQ ? n->n : 0;
}

static int walk_resources(struct where *w, const ynode *res)
{
	const ynode *containers;
	size_t i;
	int rc;

	if (!res || res->kind != YNODE_MAP)
		return 0; /* the old list form (- repo: self) has none */
	rc = walk_resource_list(w, ynode_get(res, "repositories"),
				SVC_REF_RESOURCE_ENDPOINT, "endpoint", NULL,
				"type");
	for (i = 0; !rc && i < seq_len(ynode_get(res, "repositories")); i++) {
		const ynode *it = ynode_get(res, "repositories")->items[i];
		svc_plan_repo repo;

		repo.alias = plan_str(w->plan, alias_of(it));
		repo.type = plan_str(w->plan, scalar(ynode_get(it, "type")));
		repo.name = plan_str(w->plan, scalar(ynode_get(it, "name")));
		repo.ref = plan_str(w->plan, scalar(ynode_get(it, "ref")));
		if (repo.alias)
			rc = plan_add_repo(w->plan, &repo);
	}
	containers = ynode_get(res, "containers");
	if (!rc)
		rc = walk_resource_list(w, containers, SVC_REF_CONTAINER_ENDPOINT,
					"endpoint", "dockerregistry", NULL);
	for (i = 0; !rc && containers && containers->kind == YNODE_SEQ &&
		    i < containers->n; i++) {
		const ynode *it = containers->items[i];
		const ynode *sub = ynode_get(it, "azureSubscription");
		svc_ref r;

		if (!sub)
			continue;
		memset(&r, 0, sizeof(r));
		r.kind = SVC_REF_CONTAINER_ENDPOINT;
		r.key = plan_str(w->plan, "azureSubscription");
		r.accepts = plan_str(w->plan, "AzureRM");
		r.alias = plan_str(w->plan, alias_of(it));
		rc = add_refs(w, &r, sub, it, 0);
	}
	if (!rc)
		rc = walk_resource_list(w, ynode_get(res, "builds"),
					SVC_REF_BUILD_CONNECTION, "connection",
					NULL, "type");
	if (!rc)
		rc = walk_resource_list(w, ynode_get(res, "packages"),
					SVC_REF_PACKAGE_CONNECTION, "connection",
					NULL, "type");
	if (!rc)
		rc = walk_resource_list(w, ynode_get(res, "webhooks"),
					SVC_REF_WEBHOOK_CONNECTION, "connection",
					"incomingwebhook", NULL);
	return rc;
}

int model_walk(svc_plan *p, const ynode *root, const char *const *vars,
	       size_t nvars)
{
	struct vscope top = { NULL, NULL };
	struct where w;
	const ynode *stages;
	size_t i;
	int rc;

	if (!root)
		return 0;
	memset(&w, 0, sizeof(w));
	w.plan = p;
	w.cli = vars;
	w.ncli = nvars;
	w.step = -1;
	top.vars = ynode_get(root, "variables");
	w.vs = &top;
	if (scalar(ynode_get(root, "lockBehavior")))
		plan_add_lock(p, NULL, !strcasecmp(scalar(ynode_get(root,
					"lockBehavior")), "sequential"));
	rc = walk_resources(&w, ynode_get(root, "resources"));
	stages = ynode_get(root, "stages");
	if (!rc && stages && stages->kind == YNODE_SEQ) {
		for (i = 0; i < stages->n && !rc; i++) {
			const ynode *s = stages->items[i];
			struct vscope vs = { ynode_get(s, "variables"), &top };
			const char *deps[256];
			struct plan_ctl ctl;
			char fallback[32];

			w.stage = scalar(ynode_get(s, "stage"));
			if (!w.stage) {
				snprintf(fallback, sizeof(fallback), "stage%zu",
					 i + 1);
				w.stage = fallback;
			}
			w.vs = &vs;
			w.dict_vs = NULL;
			w.inline_stage = (s->flags & TPL_F_INLINE) != 0;
			read_ctl(&w, s, RTX_STAGE, &ctl, deps, 256);
			rc = plan_add_stage(p, w.stage, &ctl);
			if (!rc && scalar(ynode_get(s, "lockBehavior")))
				rc = plan_add_lock(p, w.stage, !strcasecmp(scalar(
					ynode_get(s, "lockBehavior")), "sequential"));
			if (!rc)
				rc = walk_jobs(&w, ynode_get(s, "jobs"));
			w.vs = &top;
			w.dict_vs = NULL;
			w.inline_stage = 0;
		}
		w.stage = NULL;
	} else if (!rc && stages) {
		diag(p, stages, SVC_SEV_ERROR, "'stages' must be a list");
	}
	if (!rc)
		rc = walk_jobs(&w, ynode_get(root, "jobs"));
	if (!rc && ynode_get(root, "phases")) {
		/* the legacy schema: phases of phase/queue/server, as jobs */
		diag(p, ynode_key(root, "phases"), SVC_SEV_NOTE,
		     "'phases' is the legacy form of 'jobs': read as jobs");
		rc = walk_jobs(&w, ynode_get(root, "phases"));
	}
	if (!rc && ynode_get(root, "steps")) {
		const ynode *services = ynode_get(root, "services");

		w.job = "Job";
		w.next_step = 0;
		rc = record_job(&w, root);
		/* a steps-only pipeline's container and services are its job's */
		if (!rc)
			rc = walk_container(&w, ynode_get(root, "container"));
		for (i = 0; !rc && services && services->kind == YNODE_MAP &&
			    i + 1 < services->n; i += 2)
			rc = walk_container(&w, services->items[i + 1]);
		if (!rc)
			rc = walk_steps(&w, ynode_get(root, "steps"));
	}
	for (i = 0; i < w.nreported; i++)
		free(w.reported[i]);
	free(w.reported);
	macro_dict_clear(&w.dict);
	return rc;
}
