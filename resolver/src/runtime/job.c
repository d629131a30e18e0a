/*
 * job.c - starting and ending a job: which connections it uses, whether it
 * may use them, and the job's private state.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <git2.h>
#include <jansson.h>
#include <sys/utsname.h>

#include "svcconn/agents.h"
#include "svcconn/broker.h"
#include "svcconn/job.h"
#include "authz/authz_int.h"
#include "runtime/runtime_int.h"
#include "errors_int.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/fileio.h"
#include "util/jobdir.h"
#include "util/sandbox.h"

/* a local job's locks: the lease a server's jobs have by default */
#define LEASE_SECONDS SVC_JOB_LEASE_DEFAULT

struct svc_job {
	svc_plan *plan;          /**< the pipeline, compiled exactly */
	svc_gate_report *gate;   /**< the gate's decision, or NULL */
	svc_diags *diags;        /**< problems that made the job invalid */
	char *holder;            /**< lock holder name of the stage */
	int holds_lock;          /**< an exclusive lock was acquired */
	const char **conns;      /**< ids of the job's own connections (in
				      plan's strings) */
	size_t nconns;           /**< entries in conns */
};

static int same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Add id to a set of strings (no duplicates). */
static int set_add(const char ***set, size_t *n, const char *id)
{
	const char **p;
	size_t i;

	for (i = 0; i < *n; i++)
		if (!strcmp((*set)[i], id))
			return 0;
	p = realloc(*set, (*n + 1) * sizeof(*p));
	if (!p)
		return error_oom();
	*set = p;
	(*set)[(*n)++] = id;
	return 0;
}

/* 1 when reference r belongs to job (of stage), or to the stage (job NULL). */
static int belongs(const svc_plan *p, const svc_ref *r, const char *stage,
		   const char *job)
{
	size_t i;

	if (r->job)
		return same(r->stage, stage) && (!job || same(r->job, job));
	/* a resource: used by a job that names it */
	if (job)
		return svc_plan_job_uses(p, stage, job, r->alias);
	for (i = 0; i < svc_plan_ref_count(p); i++) {
		const svc_ref *o = svc_plan_ref_at(p, i);

		if (o->job && same(o->stage, stage) &&
		    svc_plan_job_uses(p, stage, o->job, r->alias))
			return 1;
	}
	return 0;
}

static json_t *jstr_or_null(const char *v)
{
	return v ? json_string(v) : json_null();
}

/*
 * The job's steps with their inputs (a connection input holds the ids it
 * resolved to, comma-separated) and the connections each step references.
 */
static json_t *steps_json(const svc_plan *p, const svc_job_options *o)
{
	json_t *steps = json_array();
	size_t i, j, k;

	for (i = 0; i < svc_plan_step_count(p); i++) {
		const svc_plan_step *st = svc_plan_step_at(p, i);
		json_t *s, *in, *conns;

		if (!same(st->stage, o->stage) || !same(st->job, o->job))
			continue;
		in = json_object();
		conns = json_array();
		for (j = 0; j < st->ninputs; j++) {
			svc_buf ids = SVC_BUF_INIT;

			for (k = 0; k < svc_plan_ref_count(p); k++) {
				const svc_ref *r = svc_plan_ref_at(p, k);

				if (r->kind != SVC_REF_TASK_INPUT ||
				    r->step != st->index || !r->conn_id ||
				    !same(r->stage, st->stage) ||
				    !same(r->job, st->job) || !r->input ||
				    strcmp(r->input, st->input_names[j]))
					continue;
				buf_printf(&ids, "%s%s", ids.len ? "," : "", r->conn_id);
				json_array_append_new(conns, json_string(r->conn_id));
			}
			json_object_set_new(in, st->input_names[j],
					    json_string(ids.len ? ids.ptr
							: st->input_values[j]));
			buf_clear(&ids);
		}
		/* a checkout of a repository resource references the
		 * resource's connection: the step that may fetch with it */
		for (k = 0; st->kind && !strcmp(st->kind, "checkout") && st->body &&
			    k < svc_plan_ref_count(p); k++) {
			const svc_ref *r = svc_plan_ref_at(p, k);

			if (r->kind == SVC_REF_RESOURCE_ENDPOINT && r->alias &&
			    r->conn_id && !strcmp(r->alias, st->body))
				json_array_append_new(conns, json_string(r->conn_id));
		}
		s = json_object();
		json_object_set_new(s, "index", json_integer(st->index));
		json_object_set_new(s, "name", jstr_or_null(st->name));
		json_object_set_new(s, "displayName", jstr_or_null(st->display));
		json_object_set_new(s, "kind", jstr_or_null(st->kind));
		json_object_set_new(s, "task", jstr_or_null(st->task));
		json_object_set_new(s, "taskDir", jstr_or_null(st->task_dir));
		json_object_set_new(s, "handler", jstr_or_null(st->handler));
		json_object_set_new(s, "target", jstr_or_null(st->target));
		json_object_set_new(s, "body", jstr_or_null(st->body));
		json_object_set_new(s, "workingDirectory", jstr_or_null(st->workdir));
		json_object_set_new(s, "inputs", in);
		in = json_object(); /* its env: mapping, as written */
		for (j = 0; j < st->nenv; j++)
			json_object_set_new(in, st->env_names[j],
					    json_string(st->env_values[j]));
		json_object_set_new(s, "env", in);
		json_object_set_new(s, "connections", conns);
		json_array_append_new(steps, s);
	}
	return steps;
}

/*
 * The job's variables as the plan merged them, values as written: each
 * step expands them (stepvars.c) with the predefined variables and those
 * its earlier steps set.
 */
static json_t *vars_json(const svc_plan *p, const svc_job_options *o)
{
	const char *const *names, *const *values;
	json_t *a = json_array(), *v;
	size_t i, n = 0;

	if (svc_plan_job_vars(p, o->stage, o->job, &names, &values, &n))
		svc_error_clear();
	for (i = 0; i < n; i++) {
		v = json_object();
		json_object_set_new(v, "name", json_string(names[i]));
		json_object_set_new(v, "value", json_string(values[i]));
		json_array_append_new(a, v);
	}
	return a;
}

/*
 * The job's state (no secret in it): written into the job directory by a
 * local job-start, sent to the agent by the server (job_record).
 */
static int job_state(json_t **out, const svc_job_options *o,
		     const svc_plan *p, const char *holder,
		     const char *const *ids, size_t n, int lock)
{
	json_t *s = json_object(), *a = json_array();
	char at[32], jobid[SVC_ID_LEN + 1], planid[SVC_ID_LEN + 1];
	time_t now;
	size_t i;
	int rc;

	clock_now(&now);
	clock_iso8601(at, now);
	for (i = 0; i < n; i++)
		json_array_append_new(a, json_string(ids[i]));
	json_object_set_new(s, "pipeline", json_string(o->pipeline));
	json_object_set_new(s, "runId", json_string(o->run_id));
	json_object_set_new(s, "stage", o->stage ? json_string(o->stage) : json_null());
	json_object_set_new(s, "job", json_string(o->job));
	json_object_set_new(s, "holder", json_string(holder));
	json_object_set_new(s, "locks", json_boolean(lock));
	json_object_set_new(s, "connections", a);
	json_object_set_new(s, "startedAt", json_string(at));
	json_object_set_new(s, "branch", o->branch ? json_string(o->branch) : json_null());
	json_object_set_new(s, "requestedBy", o->requested_by ? json_string(o->requested_by) : json_null());
	/* what the agent's predefined variables say of the run */
	if ((rc = svc_uuid_new(jobid)) || (rc = svc_uuid_new(planid))) {
		json_decref(s);
		json_decref(a);
		return rc;
	}
	json_object_set_new(s, "jobId", json_string(jobid));
	json_object_set_new(s, "planId", json_string(planid));
	json_object_set_new(s, "reason", json_string(o->reason ? o->reason : "Manual"));
	json_object_set_new(s, "project", json_string(SVC_LOCAL_PROJECT));
	json_object_set_new(s, "collectionUri", json_string(SVC_LOCAL_COLLECTION_URI));
	/* how its steps run: read by every step, never by the steps */
	json_object_set_new(s, "isolation", json_string(o->steps_see_store
							? "none" : "sandbox"));
	json_object_set_new(s, "steps", steps_json(p, o));
	json_object_set_new(s, "variables", vars_json(p, o));
	*out = s;
	return 0;
}

/* The job's state, written into the job directory. */
static int write_state(const svc_job_options *o, const svc_plan *p,
		       const char *holder, const char *const *ids, size_t n,
		       int lock)
{
	json_t *s = NULL;
	int rc = job_state(&s, o, p, holder, ids, n, lock);

	if (rc == 0)
		rc = jobdir_record_write(o->job_dir, s);
	json_decref(s);
	return rc;
}

int job_record(json_t **out, const svc_job *j, const svc_job_options *o)
{
	return job_state(out, o, j->plan, j->holder, j->conns, j->nconns,
			 j->holds_lock);
}

int job_gate(svc_job **out, const svc_job_options *o, svc_store *st,
	     const svc_catalog *cat, const char *source, long lease_seconds,
	     int *held)
{
	svc_plan_options po;
	svc_job *j;
	svc_run run;
	svc_run_repo *repos = NULL;
	const char **stage_ids = NULL;
	size_t nstage = 0, i;
	svc_buf holder = SVC_BUF_INIT;
	int rc;

	if (held)
		*held = 0;
	if (!o || o->version != SVC_JOB_OPTIONS_VERSION || !o->pipeline_file ||
	    !o->pipeline || !o->job || !o->run_id)
		return error_set(SVC_EINVALID,
				 "a job needs a pipeline file, pipeline name, job and run id");
	j = calloc(1, sizeof(*j));
	if (!j || svc_diags_new(&j->diags)) {
		free(j);
		return error_oom();
	}
	*out = j;
	memset(&po, 0, sizeof(po));
	po.version = SVC_PLAN_OPTIONS_VERSION;
	po.file = o->pipeline_file;
	po.pipeline = o->pipeline;
	po.branch = o->branch;
	po.vars = o->vars;
	po.nvars = o->nvars;
	po.task_dirs = o->task_dirs;
	po.ntask_dirs = o->ntask_dirs;
	/* templates of other repositories; the gate reads the references'
	 * permissions and checks (below), the plan need not */
	po.flags = SVC_PLAN_EXACT | SVC_PLAN_FETCH | SVC_PLAN_NO_AUTHZ;
	if ((rc = svc_plan_build(&j->plan, &po, st, cat)))
		return rc;
	/*
	 * The pipeline's own problems make the job invalid (references are
	 * judged below, for this job only: their diagnostics name a field).
	 */
	for (i = 0; i < svc_diags_count(svc_plan_diags(j->plan)); i++) {
		const svc_diag *d = svc_diags_at(svc_plan_diags(j->plan), i);

		if (d->severity == SVC_SEV_ERROR && d->field == NULL)
			svc_diags_add(j->diags, d->file, d->line, d->column,
				      d->severity, d->field, "%s", d->message);
	}
	if (!svc_plan_has_job(j->plan, o->stage, o->job))
		svc_diags_add(j->diags, o->pipeline_file, 0, 0, SVC_SEV_ERROR,
			      "job", "there is no job '%s'%s%s%s in the pipeline",
			      o->job, o->stage ? " in stage '" : "",
			      o->stage ? o->stage : "", o->stage ? "'" : "");
	for (i = 0; i < svc_plan_ref_count(j->plan); i++) {
		const svc_ref *r = svc_plan_ref_at(j->plan, i);
		int mine = belongs(j->plan, r, o->stage, o->job);

		if (mine && r->status != SVC_REF_RESOLVED) {
			svc_diags_add(j->diags, r->file, r->line, r->column,
				      SVC_SEV_ERROR, r->key, "%s: %s",
				      r->key ? r->key : "reference",
				      r->message ? r->message
						 : svc_ref_status_name(r->status));
			continue;
		}
		if (r->status != SVC_REF_RESOLVED)
			continue;
		if ((mine && (rc = set_add(&j->conns, &j->nconns, r->conn_id))) ||
		    ((mine || belongs(j->plan, r, o->stage, NULL)) &&
		     (rc = set_add(&stage_ids, &nstage, r->conn_id))))
			goto done;
	}
	if (svc_diags_errors(j->diags)) {
		rc = error_set(SVC_EINVALID, "the job cannot start: %zu problem(s)",
			       svc_diags_errors(j->diags));
		goto done;
	}
	buf_printf(&holder, "%s/%s/%s", o->pipeline, o->run_id,
		   o->stage ? o->stage : "");
	if (!(j->holder = strdup(holder.ptr ? holder.ptr : ""))) {
		rc = error_oom();
		goto done;
	}
	repos = calloc(svc_plan_repo_count(j->plan) + 1, sizeof(*repos));
	if (!repos) {
		rc = error_oom();
		goto done;
	}
	for (i = 0; i < svc_plan_repo_count(j->plan); i++) {
		const svc_plan_repo *pr = svc_plan_repo_at(j->plan, i);

		repos[i].alias = pr->alias;
		repos[i].name = pr->name;
		repos[i].ref = pr->ref;
	}
	memset(&run, 0, sizeof(run));
	run.pipeline = o->pipeline;
	run.run_id = o->run_id;
	run.stage = o->stage;
	run.job = o->job;
	run.branch = o->branch;
	run.requested_by = o->requested_by;
	run.extends = svc_plan_extends(j->plan);
	run.repos = repos;
	run.nrepos = svc_plan_repo_count(j->plan);
	run.lock_sequential = svc_plan_lock_sequential(j->plan, o->stage);
	run.lease_seconds = lease_seconds;
	run.used = j->conns;
	run.nused = j->nconns;
	run.source = source;
	if ((rc = authz_gate_hold(&j->gate, held, st, &run, stage_ids, nstage,
				  0)))
		goto done;
	for (i = 0; i < j->gate->nitems; i++)
		if (!strcmp(j->gate->items[i].what, "exclusive-lock") &&
		    j->gate->items[i].status == SVC_GATE_GRANTED)
			j->holds_lock = 1;
done:
	free(repos);
	free(stage_ids);
	buf_clear(&holder);
	return rc;
}

const char *const *job_conns(const svc_job *j, size_t *n)
{
	*n = j->nconns;
	return j->conns;
}

svc_gate_report *job_take_gate(svc_job *j)
{
	svc_gate_report *g = j->gate;

	j->gate = NULL;
	return g;
}

svc_diags *job_take_diags(svc_job *j)
{
	svc_diags *d = j->diags;

	j->diags = NULL;
	return d;
}


/*
 * What every job start does before it has a decision: the steps' sandbox
 * checked, the job directory made.
 */
static int job_dir_begin(const svc_job_options *o)
{
	int rc;

	/* steps share the store's user only when the operator said so */
	if (!o->steps_see_store && (rc = svc_step_sandbox_check())) {
		char why[512];

		snprintf(why, sizeof(why), "%s", svc_error_last());
		return error_set(SVC_EINSECURE,
				 "steps cannot run in their sandbox here (%s); they would run as the store's user and could read every secret: install bubblewrap, or let them with --let-steps-read-the-store",
				 why);
	}
	return jobdir_create(o->job_dir);
}

int svc_job_start(svc_job **out, const svc_job_options *o, svc_store *st,
		  const svc_catalog *cat)
{
	int rc;

	if (!o || o->version != SVC_JOB_OPTIONS_VERSION || !o->pipeline_file ||
	    !o->pipeline || !o->job || !o->run_id || !o->job_dir)
		return error_set(SVC_EINVALID,
				 "a job needs a pipeline file, pipeline name, job, run id and job directory");
	if ((rc = job_dir_begin(o)) ||
	    (rc = job_gate(out, o, st, cat, NULL, LEASE_SECONDS, NULL)))
		return rc;
	if ((*out)->gate->status == SVC_GATE_GRANTED)
		rc = write_state(o, (*out)->plan, (*out)->holder, (*out)->conns,
				 (*out)->nconns, (*out)->holds_lock);
	return rc;
}

int svc_job_adopt(const svc_job_options *o, const char *record,
		  const char *job_id, const char *collection_uri,
		  const char *project, const char *oidc_request_uri)
{
	json_t *s;
	int rc;

	if (!o || o->version != SVC_JOB_OPTIONS_VERSION || !o->job_dir ||
	    !record || !job_id || !collection_uri || !project)
		return error_set(SVC_EINVALID,
				 "a server's job needs its record, id, collection URI, project and a job directory");
	/* first: the sandbox's probe forks, with nothing of ours held */
	if ((rc = job_dir_begin(o)))
		return rc;
	s = json_loads(record, 0, NULL);
	if (!json_is_object(s)) {
		json_decref(s);
		return error_set(SVC_EINVALID, "the server's job record is not a JSON object");
	}
	/* the server's names for it; how its steps run is this machine's */
	json_object_set_new(s, "jobId", json_string(job_id));
	/* the server's oidctoken route names the job as its plan too */
	json_object_set_new(s, "planId", json_string(job_id));
	json_object_set_new(s, "collectionUri", json_string(collection_uri));
	json_object_set_new(s, "project", json_string(project));
	json_object_set_new(s, "isolation", json_string(o->steps_see_store
							? "none" : "sandbox"));
	json_object_set_new(s, "server", json_true());
	if (oidc_request_uri)
		json_object_set_new(s, "oidcRequestUri",
				    json_string(oidc_request_uri));
	rc = jobdir_record_write(o->job_dir, s);
	json_decref(s);
	return rc;
}

int svc_job_server_id(char **id, char **url, const char *job_dir)
{
	json_t *s = NULL;
	const char *v, *uri, *project;
	int rc;

	if ((rc = jobdir_record_read(&s, job_dir)) == SVC_ENOTFOUND)
		/* job-end removes the record (the directory stays) */
		return error_set(SVC_ENOTFOUND,
				 "no job is running in '%s': it has ended (job-end), or none was started there",
				 job_dir);
	if (rc)
		return rc;
	v = json_string_value(json_object_get(s, "jobId"));
	uri = json_string_value(json_object_get(s, "collectionUri"));
	project = json_string_value(json_object_get(s, "project"));
	if (!json_is_true(json_object_get(s, "server")) || !v || !uri ||
	    !project)
		rc = 1; /* a local job: the store's */
	else if (id && !(*id = strdup(v)))
		rc = error_oom();
	else if (url) {
		svc_buf b = SVC_BUF_INIT;

		/* the project's URL: the collection URI ends with '/' */
		if ((rc = buf_printf(&b, "%s%s", uri, project)) == 0 &&
		    !(*url = buf_detach(&b, NULL)))
			rc = error_oom();
		buf_clear(&b);
		if (rc && id) {
			free(*id);
			*id = NULL;
		}
	}
	json_decref(s);
	return rc;
}

void svc_job_free(svc_job *j)
{
	if (!j)
		return;
	svc_plan_free(j->plan);
	svc_gate_report_free(j->gate);
	free(j->conns);
	svc_diags_free(j->diags);
	free(j->holder);
	free(j);
}

const svc_gate_report *svc_job_gate(const svc_job *j)
{
	return j->gate;
}

const svc_plan *svc_job_plan(const svc_job *j)
{
	return j->plan;
}

const svc_diags *svc_job_diags(const svc_job *j)
{
	return j->diags;
}

int svc_job_holds_lock(const svc_job *j)
{
	return j->holds_lock;
}

const char *svc_job_holder(const svc_job *j)
{
	return j->holder;
}

int job_result_check(const char *result)
{
	static const char *const results[] = { "Succeeded", "SucceededWithIssues",
		"Failed", "Canceled", "Skipped", "Abandoned", NULL };
	size_t i;

	for (i = 0; results[i]; i++)
		if (result && !strcmp(results[i], result))
			return 0;
	return error_set(SVC_EINVALID,
			 "invalid result '%s' (Succeeded, SucceededWithIssues, Failed, Canceled, Skipped, Abandoned)",
			 result ? result : "");
}

int svc_job_end(svc_store *st, const char *job_dir, const char *result)
{
	svc_buf path = SVC_BUF_INIT;
	json_t *s = NULL;
	int rc;

	if ((rc = job_result_check(result)))
		return rc;
	if ((rc = jobdir_record_read(&s, job_dir)))
		goto done;
	/* a server's job: the server records its end (svc_remote_job_complete) */
	if (!st)
		goto local;
	rc = svc_store_usage_finish(st, json_string_value(json_object_get(s, "pipeline")),
				    json_string_value(json_object_get(s, "runId")),
				    json_string_value(json_object_get(s, "stage")),
				    json_string_value(json_object_get(s, "job")),
				    result);
	if (!rc && json_string_value(json_object_get(s, "holder")))
		rc = svc_store_lock_release(st, json_string_value(json_object_get(s, "holder")));
local:
	if (!rc)
		rc = jobdir_record_remove(job_dir);
	/* the job's temporary directory, with what its tasks wrote there */
	if (!rc && !(rc = buf_printf(&path, "%s/%s", job_dir, JOBDIR_TMP)))
		rc = jobdir_remove(path.ptr);
done:
	json_decref(s);
	buf_clear(&path);
	return rc;
}

int svc_job_renew(svc_store *st, const char *job_dir)
{
	json_t *s = NULL;
	int rc = jobdir_record_read(&s, job_dir);

	if (!rc && json_is_true(json_object_get(s, "locks")))
		rc = svc_store_lock_renew(st, json_string_value(json_object_get(s, "holder")),
					  LEASE_SECONDS);
	json_decref(s);
	return rc;
}

/* The step of state s named by index or name, or NULL. */
static json_t *find_step(json_t *s, const char *step)
{
	json_t *steps = json_object_get(s, "steps"), *it;
	char *end;
	long idx = strtol(step, &end, 10);
	size_t i;

	json_array_foreach(steps, i, it) {
		const char *name = json_string_value(json_object_get(it, "name"));

		if ((*step && !*end && json_integer_value(json_object_get(it, "index")) == idx) ||
		    (name && !strcmp(name, step)))
			return it;
	}
	return NULL;
}

/* 1 when id is one of the connections the job was granted. */
static int granted(json_t *s, const char *id)
{
	json_t *v;
	size_t i;

	json_array_foreach(json_object_get(s, "connections"), i, v)
		if (json_string_value(v) && !strcmp(json_string_value(v), id))
			return 1;
	return 0;
}

int svc_job_has_connection(const char *job_dir, const char *id)
{
	json_t *s = NULL;
	int has = 0;

	if (jobdir_record_read(&s, job_dir) == 0)
		has = granted(s, id);
	json_decref(s);
	return has;
}

static int set_from(svc_env *e, const char *name, json_t *s, const char *key)
{
	const char *v = json_string_value(json_object_get(s, key));

	return v ? svc_env_set(e, name, v) : 0;
}

/* The job's own directories (under job_dir) that steps see: name, what. */
const struct job_subdir job_subdirs[] = {
	{ JOBDIR_TMP, "AGENT_TEMPDIRECTORY" },
	/* the tools' own temporary files too (the agent's VSTS_OVERWRITE_TEMP):
	 * private to the job and removed with it, never the shared /tmp */
	{ JOBDIR_TMP, "TMPDIR" },
	{ "a", "BUILD_ARTIFACTSTAGINGDIRECTORY" },
	{ "a", "BUILD_STAGINGDIRECTORY" },
	{ "b", "BUILD_BINARIESDIRECTORY" },
	{ "TestResults", "COMMON_TESTRESULTSDIRECTORY" },
	{ "_tool", "AGENT_TOOLSDIRECTORY" },
	{ NULL, NULL }
};

/* The agent's name for this machine's processor, as Agent.OSArchitecture. */
static const char *os_arch(void)
{
	struct utsname u;

	if (uname(&u) != 0)
		return "X64";
	if (!strcmp(u.machine, "aarch64") || !strcmp(u.machine, "arm64"))
		return "ARM64";
	if (!strncmp(u.machine, "arm", 3))
		return "ARM";
	if (!strcmp(u.machine, "i686") || !strcmp(u.machine, "i386"))
		return "X86";
	return "X64";
}

/*
 * The job-level variables of state s: the agent's predefined variables
 * (no secret among them).  The job's directories are made here (private).
 */
static int base_env(svc_env *e, json_t *s, const char *job_dir)
{
	svc_buf d = SVC_BUF_INIT;
	char *abs = NULL, *slash, host[256];
	const char *stage = json_string_value(json_object_get(s, "stage"));
	size_t i;
	int rc = 0;

	if (!(abs = realpath(job_dir, NULL)))
		return error_set(SVC_ERROR, "cannot resolve '%s': %s", job_dir,
				 strerror(errno));
	for (i = 0; job_subdirs[i].name && !rc; i++) {
		buf_reset(&d);
		if (!(rc = buf_printf(&d, "%s/%s", abs, job_subdirs[i].name)) &&
		    !(rc = dir_ensure_private(d.ptr)))
			rc = svc_env_set(e, job_subdirs[i].var, d.ptr);
	}
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	if (rc || (rc = svc_env_set(e, "AGENT_BUILDDIRECTORY", abs)) ||
	    (rc = svc_env_set(e, "PIPELINE_WORKSPACE", abs)))
		goto done;
	if ((slash = strrchr(abs, '/')) && slash != abs)
		*slash = '\0';
	if ((rc = svc_env_set(e, "AGENT_WORKFOLDER", abs)) ||
	    (rc = svc_env_set(e, "TF_BUILD", "True")) ||
	    (rc = svc_env_set(e, "SYSTEM_HOSTTYPE", "build")) ||
	    (rc = svc_env_set(e, "SYSTEM_SERVERTYPE", "OnPremises")) ||
	    (rc = svc_env_set(e, "SYSTEM_CULTURE", "en-US")) ||
	    (rc = svc_env_set(e, "AGENT_OS", "Linux")) ||
	    (rc = svc_env_set(e, "AGENT_OSARCHITECTURE", os_arch())) ||
	    (rc = svc_env_set(e, "AGENT_VERSION", SVC_AGENT_VERSION)) ||
	    (rc = svc_env_set(e, "AGENT_NAME", host)) ||
	    (rc = svc_env_set(e, "AGENT_MACHINENAME", host)) ||
	    (rc = set_from(e, "SYSTEM_TEAMFOUNDATIONCOLLECTIONURI", s, "collectionUri")) ||
	    (rc = set_from(e, "SYSTEM_COLLECTIONURI", s, "collectionUri")) ||
	    (rc = set_from(e, "SYSTEM_TEAMPROJECT", s, "project")) ||
	    /* Azure's is a GUID; a project's name serves in its URLs */
	    (rc = set_from(e, "SYSTEM_TEAMPROJECTID", s, "project")) ||
	    /* a job of svcconn-server whose server issues OIDC tokens */
	    (rc = set_from(e, "SYSTEM_OIDCREQUESTURI", s, "oidcRequestUri")) ||
	    (rc = set_from(e, "SYSTEM_JOBID", s, "jobId")) ||
	    (rc = set_from(e, "SYSTEM_PLANID", s, "planId")) ||
	    (rc = set_from(e, "BUILD_REASON", s, "reason")) ||
	    (rc = set_from(e, "SYSTEM_DEFINITIONNAME", s, "pipeline")) ||
	    (rc = set_from(e, "BUILD_DEFINITIONNAME", s, "pipeline")) ||
	    (rc = set_from(e, "BUILD_BUILDID", s, "runId")) ||
	    (rc = set_from(e, "BUILD_BUILDNUMBER", s, "runId")) ||
	    /* a pipeline without stages has the agent's default stage */
	    (rc = svc_env_set(e, "SYSTEM_STAGENAME", stage ? stage : "__default")) ||
	    (rc = set_from(e, "SYSTEM_JOBNAME", s, "job")) ||
	    (rc = set_from(e, "AGENT_JOBNAME", s, "job")) ||
	    (rc = set_from(e, "BUILD_SOURCEBRANCH", s, "branch")) ||
	    (rc = set_from(e, "BUILD_REQUESTEDFOR", s, "requestedBy")))
		goto done;
done:
	free(abs);
	buf_clear(&d);
	return rc;
}

int job_workdir_env(svc_env *e, const char *workdir)
{
	char *abs = realpath(workdir ? workdir : ".", NULL), *name;
	char oid[GIT_OID_HEXSZ + 1];
	git_repository *repo = NULL;
	git_oid head;
	int rc;

	if (!abs)
		return error_set(SVC_ERROR, "cannot resolve '%s': %s",
				 workdir ? workdir : ".", strerror(errno));
	name = strrchr(abs, '/');
	if ((rc = svc_env_set(e, "BUILD_SOURCESDIRECTORY", abs)) ||
	    (rc = svc_env_set(e, "SYSTEM_DEFAULTWORKINGDIRECTORY", abs)) ||
	    (rc = svc_env_set(e, "BUILD_REPOSITORY_LOCALPATH", abs)) ||
	    (rc = svc_env_set(e, "BUILD_REPOSITORY_NAME",
			      name && name[1] ? name + 1 : abs)))
		goto done;
	/* the commit checked out there, when it is a git repository */
	git_libgit2_init();
	if (git_repository_open_ext(&repo, abs, GIT_REPOSITORY_OPEN_NO_SEARCH,
				    NULL) == 0 &&
	    git_reference_name_to_id(&head, repo, "HEAD") == 0) {
		git_oid_tostr(oid, sizeof(oid), &head);
		if (!(rc = svc_env_set(e, "BUILD_SOURCEVERSION", oid)))
			rc = svc_env_set(e, "BUILD_REPOSITORY_PROVIDER", "Git");
	}
	git_repository_free(repo);
	git_libgit2_shutdown();
done:
	free(abs);
	return rc;
}

int svc_job_env(svc_env **out, const char *job_dir)
{
	json_t *s = NULL;
	svc_env *e = NULL;
	int rc;

	if (!(rc = jobdir_record_read(&s, job_dir)) && !(rc = svc_env_new(&e)))
		rc = base_env(e, s, job_dir);
	json_decref(s);
	if (rc) {
		svc_env_free(e);
		return rc;
	}
	*out = e;
	return 0;
}

/* Register every secret of c with masker m (and its basic-auth pair). */
static int mask_conn(svc_masker *m, const svc_conn *c)
{
	svc_conn_field f, user, pass;
	size_t i;
	int rc = 0;

	for (i = 0; !rc && i < svc_conn_field_count(c); i++) {
		svc_conn_field_at(c, i, &f);
		if (f.secret && f.value)
			rc = svc_masker_add(m, f.value, f.len);
	}
	if (!rc && svc_conn_field_get(c, "username", &user) == 0 && user.value &&
	    svc_conn_field_get(c, "password", &pass) == 0 && pass.value)
		rc = svc_masker_add_basic_auth(m, user.value, user.len, pass.value,
					       pass.len);
	return rc;
}

int svc_job_step_env(svc_env **out, svc_store *st, const char *job_dir,
		     const char *step)
{
	return job_step_prepare(out, NULL, NULL, st, job_dir, step);
}

int svc_job_step_prepare(svc_env **out, svc_masker *m, svc_store *st,
			 const char *job_dir, const char *step)
{
	return job_step_prepare(out, m, NULL, st, job_dir, step);
}

void job_step_info_clear(struct job_step_info *info)
{
	size_t i;

	for (i = 0; i < info->nids; i++)
		free(info->ids[i]);
	free(info->ids);
	json_decref(info->step);
	json_decref(info->vars);
	memset(info, 0, sizeof(*info));
}

/*
 * Granted connection id of the job in job_dir with its secrets: from the
 * store, or without one (a job of svcconn-server) from the job's broker,
 * which alone holds them.
 */
static int job_conn_get(svc_conn **out, svc_store *st, const char *job_dir,
			const char *id)
{
	if (st)
		return svc_store_conn_get(out, st, id, SVC_GET_SECRETS);
	return svc_broker_connection(out, job_dir, id);
}

int job_mask_new(svc_masker **out, svc_store *st, const char *job_dir)
{
	svc_masker *m = NULL;
	json_t *s = NULL, *v;
	size_t i;
	int rc;

	if ((rc = jobdir_record_read(&s, job_dir)) ||
	    (rc = svc_masker_new(&m, NULL)))
		goto done;
	json_array_foreach(json_object_get(s, "connections"), i, v) {
		svc_conn *c = NULL;

		if (!json_string_value(v))
			continue;
		if ((rc = job_conn_get(&c, st, job_dir, json_string_value(v))))
			goto done;
		rc = mask_conn(m, c);
		svc_conn_free(c);
		if (rc)
			goto done;
	}
	rc = svc_masker_compile(m);
done:
	json_decref(s);
	if (rc) {
		svc_masker_free(m);
		return rc;
	}
	*out = m;
	return 0;
}

/* Record connection c of the step in info. */
static int info_add(struct job_step_info *info, const svc_conn *c)
{
	char **ids;

	if (!info)
		return 0;
	if (!(ids = realloc(info->ids, (info->nids + 1) * sizeof(*ids))) ||
	    !(ids[info->nids] = strdup(svc_conn_id(c)))) {
		if (ids)
			info->ids = ids;
		return error_oom();
	}
	info->ids = ids;
	info->nids++;
	if (!strcmp(svc_conn_type(c), "ssh"))
		info->ssh = 1;
	return 0;
}

int job_step_prepare(svc_env **out, svc_masker *m, struct job_step_info *info,
		     svc_store *st, const char *job_dir, const char *step)
{
	json_t *s = NULL, *it, *v;
	svc_env *e = NULL;
	const char *k, *iso;
	size_t i;
	int rc, ssh = 0;

	if ((rc = jobdir_record_read(&s, job_dir)))
		goto done;
	if (!(it = find_step(s, step))) {
		rc = error_set(SVC_ENOTFOUND, "the job in '%s' has no step '%s'",
			       job_dir, step);
		goto done;
	}
	/* no word, or any other word: the sandbox */
	iso = json_string_value(json_object_get(s, "isolation"));
	if (info) {
		info->sandbox = !iso || strcmp(iso, "none");
		info->step = json_incref(it);
		info->vars = json_incref(json_object_get(s, "variables"));
	}
	if ((rc = svc_env_new(&e)) || (rc = base_env(e, s, job_dir)))
		goto done;
	json_object_foreach(json_object_get(it, "inputs"), k, v)
		if ((rc = svc_env_set_input(e, k, json_string_value(v) ?
						json_string_value(v) : "")))
			goto done;
	json_array_foreach(json_object_get(it, "connections"), i, v) {
		const char *id = json_string_value(v);
		svc_conn *c = NULL;

		if (!id)
			continue;
		if (!granted(s, id)) {
			rc = error_set(SVC_EDENIED,
				       "connection '%s' was not granted to this job", id);
			goto done;
		}
		if ((rc = job_conn_get(&c, st, job_dir, id)))
			goto done;
		rc = svc_env_add_conn(e, c);
		if (!rc && m && !(info && info->job_masked))
			rc = mask_conn(m, c);
		if (!rc)
			rc = info_add(info, c);
		if (!rc && !strcmp(svc_conn_type(c), "ssh"))
			ssh = 1;
		svc_conn_free(c);
		if (rc)
			goto done;
	}
	/* the secrets of the job's other connections: never in the step's
	 * environment, but masked should one reach its output anyway */
	json_array_foreach(json_object_get(s, "connections"), i, v) {
		const char *id = json_string_value(v);
		svc_conn *c = NULL;

		if (!m || (info && info->job_masked) || !id ||
		    granted(it, id)) /* the step's own: done */
			continue;
		if ((rc = job_conn_get(&c, st, job_dir, id)))
			goto done;
		rc = mask_conn(m, c);
		svc_conn_free(c);
		if (rc)
			goto done;
	}
	/* a job with a git broker: git asks it, through our helper only;
	 * the job's ssh-agent only for a step that references SSH */
	if ((rc = svc_broker_step_env(e, job_dir, ssh)))
		goto done;
done:
	json_decref(s);
	if (rc) {
		svc_env_free(e);
		if (info)
			job_step_info_clear(info);
		return rc;
	}
	*out = e;
	return 0;
}

int svc_jobs_root(char **out)
{
	const char *env = getenv("SVCCONN_JOBS_DIR");
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	svc_buf b = SVC_BUF_INIT;
	int rc;

	if (env && *env) {
		if (env[0] != '/')
			return error_set(SVC_EINVALID,
					 "SVCCONN_JOBS_DIR '%s' is not an absolute path", env);
		rc = buf_puts(&b, env);
	} else {
		/* a private directory of ours first, then jobs/ in it: a
		 * directory someone else made in /tmp is never used */
		if (xdg && xdg[0] == '/')
			rc = buf_printf(&b, "%s/svcconn", xdg);
		else
			rc = buf_printf(&b, "/tmp/svcconn-%ld", (long)geteuid());
		if (!rc)
			rc = dir_ensure_private(b.ptr);
		if (!rc)
			rc = buf_puts(&b, "/jobs");
	}
	if (!rc)
		rc = dir_ensure_private(b.ptr);
	if (rc) {
		buf_clear(&b);
		return rc;
	}
	*out = buf_detach(&b, NULL);
	return *out ? 0 : error_oom();
}

int svc_step_sandbox_check(void)
{
	char *bwrap = NULL;
	int rc;

	if ((rc = sandbox_find(&bwrap)) == 0)
		rc = sandbox_probe(bwrap);
	free(bwrap);
	return rc;
}

