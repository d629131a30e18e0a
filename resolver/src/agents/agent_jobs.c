/*
 * agent_jobs.c - jobs agents start through the server: compiled and gated
 * here, with only the granted connections' secrets handed out.
 *
 * A start takes the pipeline's YAML from the registered pipeline of that
 * name, read by the server at the run's commit (pipeline/pipedef.c; any
 * pool), or from the agent when its pool is trusted; it writes the YAML
 * to a private temporary directory (in memory when it can: scratch_base),
 * plans
 * and gates it with the runtime's own job_gate (the same permissions,
 * checks, approvals, exclusive locks and usage history as a local
 * job-start; the usage records name the YAML's source), and when granted
 * stores the job (agent_jobs) with a job access token (svcj_, a tokens
 * row of kind "job" owned by the job's id, hashed).  The token is valid
 * while the job runs and its lease lasts; renewing extends the lease and
 * the job's exclusive locks, completing records the result, releases the
 * locks and revokes the token.  A job whose lease ends is expired by
 * svc_agent_jobs_expire (called before every job request): locks
 * released, usage finished as Failed, token revoked, audited.
 *
 * The request's variables (checked here: count, names, sizes) are the
 * plan's compile-time values, as a local run's --var.  A fork's run is
 * gated as any, but the server decides its secrets (fork_withheld): none
 * for a registered pipeline, the local rule for a trusted pool's YAML;
 * withheld, the job's row and record name no connection and its source
 * (usage history, audit) says why.
 *
 * Refusals that concern another party's job (another agent's, another
 * job token's) are audited ("job-access-refused") before SVC_EDENIED.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <linux/magic.h>
#include <jansson.h>

#include "svcconn/agents.h"
#include "svcconn/job.h"
#include "svcconn/secret.h"
#include "agents/agents_int.h"
#include "pipeline/pipedef_int.h"
#include "errors_int.h"
#include "runtime/runtime_int.h"
#include "store/store_backend.h"
#include "store/store_int.h"
#include "tokens/tokens_int.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/fileio.h"
#include "util/jobdir.h"

void svc_agent_job_free(svc_agent_job *j)
{
	size_t i;

	if (!j)
		return;
	svc_gate_report_free(j->gate);
	svc_diags_free(j->diags);
	if (j->token)
		svc_secret_free(j->token, SVC_TOKEN_LEN);
	for (i = 0; i < j->nconns; i++)
		svc_conn_free(j->conns[i]);
	free(j->conns);
	free(j->source);
	free(j->record);
	free(j);
}

/* Audit a refusal of actor on job id (NULL: a start); SVC_EDENIED, why. */
static int refuse(svc_store *st, const char *actor, const char *id,
		  const char *why)
{
	char now_iso[32];
	time_t now;
	int rc;

	if (clock_now(&now) == 0 && store_tx_write(st) == 0) {
		clock_iso8601(now_iso, now);
		rc = store_audit(st, now_iso, store_actor(actor),
				 "job-access-refused", "", "",
				 json_pack("{s:s, s:s}", "jobId", id ? id : "",
					   "reason", why));
		store_tx_end(st, rc);
	}
	if (!id)
		return error_set(SVC_EDENIED, "'%s' may not start this job: %s",
				 actor, why);
	return error_set(SVC_EDENIED, "'%s' may not use job '%s': %s", actor,
			 id, why);
}

int agents_job_refuse(svc_store *st, const char *actor, const char *id,
		      const char *why)
{
	return refuse(st, actor, id, why);
}

/* A copy of one job row. */
struct job_copy {
	int found;                   /**< a row was seen */
	char id[SVC_ID_LEN + 1];     /**< its id */
	char *agent, *pipeline, *run_id, *stage, *job, *holder, *conns,
	     *token_id, *state;      /**< its strings (stage may be NULL) */
	int locks;                   /**< it holds exclusive locks */
	long long lease_expires;     /**< its lease */
};

static void job_copy_clear(struct job_copy *c)
{
	free(c->agent);
	free(c->pipeline);
	free(c->run_id);
	free(c->stage);
	free(c->job);
	free(c->holder);
	free(c->conns);
	free(c->token_id);
	free(c->state);
	memset(c, 0, sizeof(*c));
}

static int copy_cb(void *ctx, const store_job_row *r)
{
	struct job_copy *c = ctx;

	c->found = 1;
	snprintf(c->id, sizeof(c->id), "%s", r->id);
	c->locks = r->locks;
	c->lease_expires = r->lease_expires;
	if (!(c->agent = strdup(r->agent)) ||
	    !(c->pipeline = strdup(r->pipeline)) ||
	    !(c->run_id = strdup(r->run_id)) ||
	    (r->stage && !(c->stage = strdup(r->stage))) ||
	    !(c->job = strdup(r->job)) || !(c->holder = strdup(r->holder)) ||
	    !(c->conns = strdup(r->conns)) ||
	    !(c->token_id = strdup(r->token_id)) ||
	    !(c->state = strdup(r->state)))
		return error_oom();
	return 1;
}

/* The row of job id into c (SVC_ENOTFOUND when none). */
static int job_read(struct job_copy *c, svc_store *st, const char *id)
{
	int rc;

	memset(c, 0, sizeof(*c));
	if ((rc = store_tx_read(st)) != 0)
		return rc;
	rc = st->ops->job_list(st->be, id, 0, copy_cb, c);
	rc = store_tx_end(st, rc);
	if (rc == 0 && !c->found)
		rc = error_set(SVC_ENOTFOUND, "no job '%s'", id);
	if (rc)
		job_copy_clear(c);
	return rc;
}

/*
 * End job c as state with result, in one write transaction: usage records
 * finished, locks released, the job token revoked, audited as action by
 * actor.  The row is read again under the write lock, so of two servers
 * ending one job (one completing it, another expiring it) only the first
 * does: the second finds it ended and changes nothing (*gone set, 0).
 */
static int job_finish(int *gone, svc_store *st, const struct job_copy *c,
		      const char *state, const char *result,
		      const char *action, const char *actor)
{
	struct job_copy now_row;
	char now_iso[32];
	time_t now;
	int rc;

	*gone = 0;
	if ((rc = store_usage_result_check(result)) || (rc = clock_now(&now)))
		return rc;
	clock_iso8601(now_iso, now);
	if ((rc = store_tx_write(st)) != 0)
		return rc;
	memset(&now_row, 0, sizeof(now_row));
	rc = st->ops->job_list(st->be, c->id, 0, copy_cb, &now_row);
	if (rc == 0 && (!now_row.found || strcmp(now_row.state, "running")))
		*gone = 1;
	job_copy_clear(&now_row);
	if (rc || *gone)
		return store_tx_end(st, rc);
	rc = st->ops->usage_finish(NULL, st->be, c->pipeline, c->run_id,
				   c->stage, c->job, result, now_iso);
	if (rc == 0)
		rc = st->ops->lock_release(st->be, c->holder, 0);
	if (rc == 0)
		rc = st->ops->job_update(st->be, c->id, state, result,
					 c->lease_expires, (long long)now);
	if (rc == 0) {
		rc = st->ops->token_revoke(st->be, c->token_id, (long long)now);
		if (rc == SVC_ENOTFOUND)
			rc = 0;
	}
	if (rc == 0)
		rc = store_audit(st, now_iso, store_actor(actor), action, "", "",
				 json_pack("{s:s, s:s, s:s, s:s, s:s}", "jobId",
					   c->id, "agent", c->agent,
					   "pipeline", c->pipeline, "runId",
					   c->run_id, "result", result));
	return store_tx_end(st, rc);
}

/* Collects the ids of expired jobs. */
struct expired {
	svc_buf ids;  /**< SVC_ID_LEN + 1 bytes each */
	size_t n;     /**< ids in it */
};

static int expired_cb(void *ctx, const store_job_row *r)
{
	struct expired *e = ctx;
	char id[SVC_ID_LEN + 1];

	snprintf(id, sizeof(id), "%s", r->id);
	if (buf_put(&e->ids, id, sizeof(id)))
		return SVC_ERROR;
	e->n++;
	return 0;
}

int svc_agent_jobs_expire(svc_store *st, size_t *n)
{
	struct expired e = { SVC_BUF_INIT, 0 };
	struct job_copy c;
	time_t now;
	size_t i;
	int rc, gone;

	if (n)
		*n = 0;
	if ((rc = clock_now(&now)) || (rc = store_tx_read(st)) != 0)
		return rc;
	rc = st->ops->job_list(st->be, NULL, (long long)now, expired_cb, &e);
	rc = store_tx_end(st, rc);
	for (i = 0; rc == 0 && i < e.n; i++) {
		const char *id = e.ids.ptr + i * (SVC_ID_LEN + 1);

		if ((rc = job_read(&c, st, id)))
			break;
		rc = job_finish(&gone, st, &c, "expired", "Failed",
				"job-expired", "svcconn-server");
		job_copy_clear(&c);
		if (rc == 0 && !gone && n)
			(*n)++;
	}
	buf_clear(&e.ids);
	return rc;
}

/*
 * Where a job's YAML is written: $TMPDIR when set; else /dev/shm when it
 * is a tmpfs we may write (the file never reaches a disk, and making and
 * removing its directory costs no journal: on ext4 that was a tenth of a
 * server's CPU a job start); else /tmp.
 */
static const char *scratch_base(void)
{
	const char *tmp = getenv("TMPDIR");
	struct statfs fs;

	if (tmp && *tmp)
		return tmp;
	if (statfs("/dev/shm", &fs) == 0 && fs.f_type == TMPFS_MAGIC &&
	    access("/dev/shm", W_OK | X_OK) == 0)
		return "/dev/shm";
	return "/tmp";
}

/*
 * Write yaml to a new private directory (its path into dir, the file's
 * into file); the caller removes dir.  The file is not synced: it is read
 * back at once and removed.
 */
static int yaml_file(svc_buf *dir, svc_buf *file, const char *yaml,
		     size_t len)
{
	const char *tmp = scratch_base();
	int rc;

	buf_init(dir, 4096, 0);
	buf_init(file, 4096, 0);
	if ((rc = buf_printf(dir, "%s/svcconn-job.XXXXXX", tmp)))
		return rc;
	if (!mkdtemp(dir->ptr))
		return error_set(SVC_ERROR,
				 "cannot make a directory for the pipeline in '%s'",
				 tmp);
	if ((rc = buf_printf(file, "%s/azure-pipelines.yml", dir->ptr)))
		return rc;
	return file_create_scratch(file->ptr, yaml, len);
}

/* The commit of origin "repository CONN@COMMIT:PATH", or NULL. */
static const char *origin_commit(const char *origin, char commit[41])
{
	const char *at;

	for (at = strchr(origin, '@'); at; at = strchr(at + 1, '@'))
		if (strspn(at + 1, "0123456789abcdef") == 40 && at[41] == ':') {
			memcpy(commit, at + 1, 40);
			commit[40] = '\0';
			return commit;
		}
	return NULL;
}

/*
 * The YAML of registered pipeline req->pipeline at req->commit (its
 * branch's head without one), fetched by the server, into *yaml (*len
 * bytes; free()), and the usage history's words for it into src.
 */
static int registered_yaml(char **yaml, size_t *len, svc_buf *src,
			   svc_store *st, const svc_job_request *req)
{
	svc_pipedef *d = NULL;
	char *origin = NULL, commit[41];
	const char *used;
	size_t n = 0;
	int rc;

	if ((rc = pipedef_source(yaml, len, &origin, st, req->pipeline,
				 req->commit)))
		return rc;
	if ((rc = pipedef_list(&d, &n, st, req->pipeline)) == 0) {
		used = origin_commit(origin, commit);
		rc = buf_printf(src, "registered pipeline '%s' at %s (%s, %s)",
				d->name, used ? used : origin, d->url,
				d->path);
	}
	svc_pipedefs_free(d, n);
	free(origin);
	if (rc) {
		free(*yaml);
		*yaml = NULL;
	}
	return rc;
}

/* The JSON array text of n ids. */
static char *ids_json(const char *const *ids, size_t n)
{
	json_t *a = json_array();
	char *s;
	size_t i;

	for (i = 0; a && i < n; i++)
		json_array_append_new(a, json_string(ids[i]));
	s = a ? json_dumps(a, JSON_COMPACT) : NULL;
	json_decref(a);
	return s;
}

/* Load the connections ids (a JSON array's text) with their secrets. */
static int load_conns(svc_conn ***out, size_t *count, svc_store *st,
		      const char *ids)
{
	json_error_t err;
	json_t *a = json_loads(ids, 0, &err), *v;
	svc_conn **l;
	size_t i, n = 0;
	int rc = 0;

	if (!json_is_array(a)) {
		json_decref(a);
		return error_set(SVC_ERROR, "a job's connection list is not a JSON array");
	}
	l = calloc(json_array_size(a) + 1, sizeof(*l));
	if (!l)
		rc = error_oom();
	json_array_foreach(a, i, v) {
		if (rc)
			break;
		rc = svc_store_conn_get(&l[n], st, json_string_value(v),
					SVC_GET_SECRETS);
		if (rc == 0)
			n++;
	}
	json_decref(a);
	if (rc) {
		for (i = 0; i < n; i++)
			svc_conn_free(l[i]);
		free(l);
		return rc;
	}
	*out = l;
	*count = n;
	return 0;
}

/* A lease of seconds (0: the default), within the bounds. */
static long job_lease(long seconds)
{
	return seconds <= 0 ? SVC_JOB_LEASE_DEFAULT
		: seconds < SVC_JOB_LEASE_MIN ? SVC_JOB_LEASE_MIN
		: seconds > SVC_JOB_LEASE_MAX ? SVC_JOB_LEASE_MAX : seconds;
}

/*
 * The request's variables, hostile input: at most SVC_JOB_VARS_MAX, each
 * "NAME=VALUE" with a name of letters, digits, '.', '_' and '-' (as
 * Azure's) of at most SVC_JOB_VAR_NAME_MAX bytes and a value of at most
 * SVC_JOB_VAR_VALUE_MAX; SVC_EINVALID naming the variable.
 */
static int vars_check(const svc_job_request *req)
{
	size_t i, n;

	if (req->nvars > SVC_JOB_VARS_MAX)
		return error_set(SVC_EINVALID,
				 "job '%s': %zu variables, more than %d",
				 req->job, req->nvars, SVC_JOB_VARS_MAX);
	for (i = 0; i < req->nvars; i++) {
		const char *v = req->vars ? req->vars[i] : NULL;
		const char *eq = v ? strchr(v, '=') : NULL;

		if (!eq || eq == v)
			return error_set(SVC_EINVALID,
					 "job '%s': variable %zu is not NAME=VALUE",
					 req->job, i + 1);
		n = (size_t)(eq - v);
		if (n > SVC_JOB_VAR_NAME_MAX ||
		    strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") < n)
			return error_set(SVC_EINVALID,
					 "job '%s': variable '%.*s': a name has at most %d letters, digits, '.', '_' or '-'",
					 req->job, (int)(n > 64 ? 64 : n), v,
					 SVC_JOB_VAR_NAME_MAX);
		if (strlen(eq + 1) > SVC_JOB_VAR_VALUE_MAX)
			return error_set(SVC_EINVALID,
					 "job '%s': variable '%.*s': its value is longer than %d bytes",
					 req->job, (int)n, v, SVC_JOB_VAR_VALUE_MAX);
	}
	return 0;
}

/*
 * Why a fork's run gets no secrets, or NULL when it gets them (or is no
 * fork's).  A registered pipeline's fork runs get none, as Azure's
 * default (the registration cannot allow them yet): the agent's
 * --fork-secrets is not heeded there, whatever its pool.  Agent-supplied
 * YAML comes from a trusted pool only, where the local rule holds: the
 * pipeline makes secrets available to forks (--fork-secrets) or not.
 */
static const char *fork_withheld(const svc_job_request *req)
{
	if (!req->fork)
		return NULL;
	if (!req->yaml)
		return "a pull request from a fork of a registered pipeline: its secrets are withheld (Azure's default for forks)";
	if (!req->fork_secrets)
		return "a pull request from a fork: its secrets are withheld (the pipeline does not make them available to forks)";
	return NULL;
}

/* A record whose job and steps name no connection (a fork's, withheld). */
static void record_withhold(json_t *rec)
{
	json_t *s;
	size_t i;

	json_object_set_new(rec, "connections", json_array());
	json_array_foreach(json_object_get(rec, "steps"), i, s)
		json_object_set_new(s, "connections", json_array());
}

int agents_job_start(svc_agent_job **out, svc_store *st,
		     const svc_catalog *cat, const char *agent,
		     const char *pool, int trusted,
		     const svc_job_request *req)
{
	svc_buf dir = SVC_BUF_INIT, file = SVC_BUF_INIT, src = SVC_BUF_INIT;
	struct token_minted m;
	char *fetched = NULL;
	size_t fetched_len = 0;
	svc_job_options o;
	svc_agent_job *aj;
	svc_job *job = NULL;
	store_job_row r;
	const char *const *ids;
	char *conns = NULL, now_iso[32];
	size_t nids = 0;
	time_t now, gate_now;
	int rc, held = 0;

	memset(&m, 0, sizeof(m));
	if (!req || !req->pipeline || !req->job || !req->run_id)
		return error_set(SVC_EINVALID,
				 "a job needs a pipeline name, a job and a run id");
	if (req->yaml && req->commit)
		return error_set(SVC_EINVALID,
				 "job '%s' of pipeline '%s': send either the pipeline's YAML or a commit of the registered pipeline, not both",
				 req->job, req->pipeline);
	if (req->yaml && !trusted)
		return refuse(st, agent, NULL,
			      "its pool is not trusted: its agents cannot supply pipeline YAML");
	if ((rc = vars_check(req)))
		return rc;
	if ((rc = svc_agent_jobs_expire(st, NULL)))
		return rc;
	if (!(aj = calloc(1, sizeof(*aj))))
		return error_oom();
	buf_init(&src, 512, 0);
	if (req->yaml)
		rc = buf_printf(&src,
				"pipeline YAML: agent-supplied, trusted pool '%s' (agent '%s')",
				pool, agent);
	else
		rc = registered_yaml(&fetched, &fetched_len, &src, st, req);
	/* the usage history and the audit say what a fork's run got */
	aj->withheld = fork_withheld(req);
	if (rc == 0 && req->fork)
		rc = buf_printf(&src, "; %s", aj->withheld ? aj->withheld
				: "a pull request from a fork: secrets made available to forks by the trusted pool's pipeline (--fork-secrets)");
	if (rc)
		goto done;
	if (!(aj->source = strdup(src.ptr))) {
		rc = error_oom();
		goto done;
	}
	if ((rc = yaml_file(&dir, &file, fetched ? fetched : req->yaml,
			    fetched ? fetched_len : req->yaml_len)))
		goto done;
	memset(&o, 0, sizeof(o));
	o.version = SVC_JOB_OPTIONS_VERSION;
	o.pipeline_file = file.ptr;
	o.pipeline = req->pipeline;
	o.stage = req->stage;
	o.job = req->job;
	o.run_id = req->run_id;
	o.branch = req->branch;
	o.requested_by = req->requested_by;
	o.vars = req->vars;
	o.nvars = req->nvars;
	o.reason = req->fork ? "PullRequest" : NULL;
	/* the job's lease counts from before the gate takes its locks, so
	 * it never ends after theirs: a request that finds a lock's lease
	 * ended expires its job first (svc_agent_jobs_expire) */
	if ((rc = clock_now(&gate_now)))
		goto done;
	/* the gate's writes and the job's row are one write transaction
	 * (held: none of its checks makes a call) */
	rc = job_gate(&job, &o, st, cat, aj->source,
		      job_lease(req->lease_seconds), &held);
	if (rc) {
		/* an invalid job: its diagnostics go back to the agent */
		if (job && svc_diags_count(svc_job_diags(job)))
			aj->diags = job_take_diags(job);
		goto done;
	}
	aj->gate = job_take_gate(job);
	if (aj->gate->status != SVC_GATE_GRANTED)
		goto done;
	/* a fork's run withheld: the job reaches no connection, now or
	 * later (its row's list is empty for its token too) */
	ids = aj->withheld ? NULL : job_conns(job, &nids);
	{
		json_t *rec = NULL;

		if ((rc = job_record(&rec, job, &o)))
			goto done;
		if (aj->withheld)
			record_withhold(rec);
		aj->record = json_dumps(rec, JSON_COMPACT);
		json_decref(rec);
		if (!aj->record) {
			rc = error_oom();
			goto done;
		}
	}
	if ((rc = clock_now(&now)) || (rc = svc_uuid_new(aj->id)) ||
	    (rc = token_mint(&m, SVC_JOB_TOKEN_PREFIX)))
		goto done;
	if (!(conns = ids_json(ids, nids))) {
		rc = error_oom();
		goto done;
	}
	clock_iso8601(now_iso, now);
	aj->lease_expires = (long long)gate_now + job_lease(req->lease_seconds);
	memset(&r, 0, sizeof(r));
	r.id = aj->id;
	r.agent = agent;
	r.pipeline = req->pipeline;
	r.run_id = req->run_id;
	r.stage = req->stage;
	r.job = req->job;
	r.holder = svc_job_holder(job);
	r.locks = svc_job_holds_lock(job);
	r.conns = conns;
	r.token_id = m.id;
	r.source = aj->source;
	r.state = "running";
	r.lease_expires = aj->lease_expires;
	r.started = (long long)now;
	if ((rc = store_tx_write(st)) != 0)
		goto done;
	rc = token_row_insert(st, &m, aj->id, "job", SVC_TOKEN_KIND_JOB,
			      (long long)now,
			      (long long)now + SVC_JOB_TOKEN_MAX_HOURS * 3600LL);
	if (rc == 0)
		rc = st->ops->job_insert(st->be, &r);
	if (rc == 0)
		rc = store_audit(st, now_iso, agent, "job-start", "", "",
				 json_pack("{s:s, s:s, s:s, s:s?, s:s, s:s, s:s, s:s}",
					   "jobId", aj->id, "pipeline",
					   req->pipeline, "runId", req->run_id,
					   "stage", req->stage, "job", req->job,
					   "source", aj->source, "connections",
					   conns, "tokenId", m.id));
	rc = store_tx_end(st, rc);
	if (held) {
		held = 0;
		rc = store_write_release(st, rc);
	}
	if (rc)
		goto done;
	aj->token = m.text;
	m.text = NULL;
	if ((rc = load_conns(&aj->conns, &aj->nconns, st, conns)))
		goto done;
done:
	/* a gate that did not grant: its records are kept; a failure after
	 * it: its records and locks are rolled back with it */
	if (held)
		rc = store_write_release(st, rc);
	svc_job_free(job);
	token_minted_clear(&m);
	free(conns);
	free(fetched);
	if (dir.ptr) {
		if (file.ptr)
			unlink(file.ptr);
		rmdir(dir.ptr);
	}
	buf_clear(&dir);
	buf_clear(&file);
	buf_clear(&src);
	if (rc && !aj->diags) {
		svc_agent_job_free(aj);
		return rc;
	}
	*out = aj;
	return rc;
}

int agents_job_touch(long long *lease, svc_store *st, const char *agent,
		     const char *job_id, const char *id, const char *result,
		     long lease_seconds)
{
	struct job_copy c;
	char now_iso[32];
	time_t now;
	int rc;

	if ((rc = svc_agent_jobs_expire(st, NULL)))
		return rc;
	if (!id || (rc = job_read(&c, st, id)) == SVC_ENOTFOUND)
		return refuse(st, agent ? agent : job_id, id, "no such job");
	if (rc)
		return rc;
	if ((agent && strcmp(c.agent, agent) != 0) ||
	    (job_id && strcmp(c.id, job_id) != 0)) {
		rc = refuse(st, agent ? agent : job_id, id,
			    "it was started by another agent");
		goto done;
	}
	if (strcmp(c.state, "running") != 0) {
		rc = error_set(SVC_EINVALID, "job '%s' has ended (%s)", id,
			       c.state);
		goto done;
	}
	if (result) {
		int gone;

		rc = job_finish(&gone, st, &c, "completed", result,
				"job-complete", agent ? agent : job_id);
		if (rc == 0 && gone)
			rc = error_set(SVC_EINVALID, "job '%s' has ended", id);
		goto done;
	}
	if ((rc = clock_now(&now)))
		goto done;
	clock_iso8601(now_iso, now);
	lease_seconds = job_lease(lease_seconds);
	c.lease_expires = (long long)now + lease_seconds;
	if (c.locks && (rc = svc_store_lock_renew(st, c.holder,
						  lease_seconds)))
		goto done;
	if ((rc = store_tx_write(st)) != 0)
		goto done;
	rc = st->ops->job_update(st->be, c.id, "running", NULL,
				 c.lease_expires, 0);
	rc = store_tx_end(st, rc);
	if (rc == 0 && lease)
		*lease = c.lease_expires;
done:
	job_copy_clear(&c);
	return rc;
}

int agents_job_conns(svc_conn ***out, size_t *count, svc_store *st,
		     const char *job_id, const char *id)
{
	struct job_copy c;
	int rc;

	if ((rc = svc_agent_jobs_expire(st, NULL)))
		return rc;
	if (!job_id || !id || strcmp(job_id, id) != 0)
		return refuse(st, job_id ? job_id : "(none)", id,
			      "a job token opens its own job only");
	if ((rc = job_read(&c, st, id)))
		return rc;
	if (strcmp(c.state, "running") != 0)
		rc = refuse(st, job_id, id, "the job has ended");
	else
		rc = load_conns(out, count, st, c.conns);
	job_copy_clear(&c);
	return rc;
}
