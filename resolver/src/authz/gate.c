/*
 * gate.c - deciding whether a stage of a run may use its connections:
 * pipeline permissions, then checks in category order, with finality,
 * timeouts, approvals frozen at the start, defer, bypass, and the usage
 * history of every decision.
 *
 * A check's state for one stage of one run lives in its check run (the
 * store keeps it, compare-and-set on a version), so that every attempt of a
 * run, from any process, sees the same decisions: an approval given between
 * two attempts lets the next one through; a rejection stays final.  Check
 * kinds that are decided by a call or the clock (business hours, REST API)
 * are evaluated again at each attempt until they decide.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "svcconn/authz.h"
#include "svcconn/secret.h"
#include "authz/authz_int.h"
#include "authz/checkkinds.h"
#include "authz/checkutil.h"
#include "errors_int.h"
#include "util/buf.h"
#include "util/clock.h"
#include "store/store_int.h"
#include "store/store_write.h"

#define DEFAULT_LEASE 300          /* seconds an exclusive lock lasts unrenewed */
#define DEFAULT_APPROVAL_TIMEOUT (30L * 86400)
#define DEFAULT_CHECK_TIMEOUT 86400L
#define REST_CALL_TIMEOUT_MS 30000L
#define CAS_TRIES 8

const char *svc_gate_status_name(svc_gate_status s)
{
	static const char *const names[] = { "granted", "needs-permission",
					     "waiting", "denied", "skipped" };

	return (unsigned)s <= SVC_GATE_SKIPPED ? names[s] : "?";
}

void svc_gate_report_free(svc_gate_report *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->nitems; i++) {
		free(r->items[i].conn_id);
		free(r->items[i].conn_name);
		free(r->items[i].what);
		free(r->items[i].check_id);
		free(r->items[i].check_run_id);
		free(r->items[i].request_id);
		free(r->items[i].message);
	}
	free(r->items);
	free(r);
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int add_item(svc_gate_report *r, const svc_conn *c, const char *what,
		    const char *check_id, const char *run_id,
		    const char *request_id, svc_gate_status st,
		    const char *message)
{
	svc_gate_item *it, *n = realloc(r->items,
					(r->nitems + 1) * sizeof(*r->items));

	if (!n)
		return error_oom();
	r->items = n;
	it = &r->items[r->nitems++];
	memset(it, 0, sizeof(*it));
	it->conn_id = dup_or_null(svc_conn_id(c));
	it->conn_name = dup_or_null(svc_conn_name(c));
	it->what = dup_or_null(what);
	it->check_id = dup_or_null(check_id);
	it->check_run_id = dup_or_null(run_id);
	it->request_id = dup_or_null(request_id);
	it->status = st;
	it->message = dup_or_null(message);
	return 0;
}

/* ---- check evaluation (the kinds, their order: checkkinds.c) ---------------- */

/* What a check's evaluation found. */
struct verdict {
	svc_gate_status status;  /**< granted (passed), waiting, denied, skipped */
	svc_buf msg;             /**< why */
	char run_id[SVC_ID_LEN + 1]; /**< the check run, or "" */
};

static const char *jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static long jlong(json_t *o, const char *k, long def)
{
	json_t *v = json_object_get(o, k);

	return json_is_integer(v) ? (long)json_integer_value(v) : def;
}

static int elapsed_since(const char *iso, time_t now, long *secs)
{
	time_t t;

	if (!iso || clock_parse(&t, iso))
		return SVC_EINVALID;
	*secs = (long)(now - t);
	return 0;
}

/* ---- approvals ---------------------------------------------------------- */

/*
 * The approval state of run: rejected, approved, timed out or pending, with
 * the frozen approvers and how many more approvals are needed.
 */
/*
 * The status of approval check run after its decisions a (n) at now, as
 * configured by cfg, with its message into msg.
 */
static void approval_judge(const svc_check_run *run, json_t *cfg,
			   const svc_approval *a, size_t n, time_t now,
			   const char **status, svc_buf *msg)
{
	size_t i, j, got = 0, napprovers;
	json_t *state, *approvers;
	json_error_t jerr;
	long min, elapsed = 0, timeout;

	state = json_loads(run->state ? run->state : "{}", 0, &jerr);
	approvers = json_object_get(state, "approvers");
	napprovers = json_array_size(approvers);
	min = jlong(cfg, "min", 0);
	if (min <= 0 || (size_t)min > napprovers)
		min = (long)napprovers;
	timeout = jlong(cfg, "timeout", DEFAULT_APPROVAL_TIMEOUT);
	*status = SVC_RUN_PENDING;
	for (i = 0; i < n; i++)
		if (!strcmp(a[i].decision, "reject")) {
			*status = SVC_RUN_REJECTED;
			buf_printf(msg, "rejected by %s%s%s", a[i].actor,
				   a[i].comment ? ": " : "",
				   a[i].comment ? a[i].comment : "");
			goto done;
		}
	/* each approver entry counts once; deferred approvals from their time */
	for (j = 0; j < napprovers; j++) {
		const char *who = json_string_value(json_array_get(approvers, j));

		for (i = 0; who && i < n; i++) {
			time_t from;

			if (strcmp(a[i].as_approver, who) ||
			    strcmp(a[i].decision, "approve"))
				continue;
			if (a[i].defer_until && !clock_parse(&from, a[i].defer_until) &&
			    from > now)
				continue;
			got++;
			break;
		}
	}
	if ((long)got >= min && napprovers) {
		*status = SVC_RUN_APPROVED;
		buf_printf(msg, "approved (%zu of %ld)", got, min);
		goto done;
	}
	elapsed_since(run->started_at, now, &elapsed);
	if (elapsed >= timeout) {
		*status = SVC_RUN_TIMED_OUT;
		buf_printf(msg, "approval timed out after %ld s", timeout);
		goto done;
	}
	buf_printf(msg, "waiting for %ld more approval(s) from ", min - (long)got);
	for (j = 0; j < napprovers; j++)
		buf_printf(msg, "%s%s", j ? ", " : "",
			   json_string_value(json_array_get(approvers, j)));
	if (jstr(cfg, "instructions"))
		buf_printf(msg, " (instructions: %s)", jstr(cfg, "instructions"));
done:
	json_decref(state);
}

int check_evaluate_approval(svc_store *st, const svc_run *r,
			    const svc_check_run *run, json_t *cfg, time_t now,
			    const char **status, svc_buf *msg, json_t *run_state)
{
	svc_approval *a = NULL;
	size_t n = 0;
	int rc;

	(void)r;
	(void)run_state;
	if ((rc = svc_store_approval_list(&a, &n, st, run->id)))
		return rc;
	approval_judge(run, cfg, a, n, now, status, msg);
	svc_approvals_free(a, n);
	return 0;
}

/* ---- one check ---------------------------------------------------------- */

/* 1 when a ref matches pattern list, with refs/heads/ added to bare names. */
static int ref_allowed(const char *patterns, const char *ref)
{
	char full[512];

	if (strncmp(ref, "refs/", 5) == 0)
		return check_branch_allowed(patterns, ref);
	snprintf(full, sizeof(full), "refs/heads/%s", ref);
	return check_branch_allowed(patterns, full);
}

int check_evaluate_branch(svc_store *st, const svc_run *run,
			  const svc_check_run *cr, json_t *cfg, time_t now,
			  const char **status, svc_buf *msg, json_t *state)
{
	const char *allowed = jstr(cfg, "allowed") ? jstr(cfg, "allowed") : "*";
	size_t i;

	(void)st;
	(void)cr;
	(void)now;
	(void)state;
	*status = SVC_RUN_PASSED;
	if (!run->branch) {
		*status = SVC_RUN_FAILED;
		buf_printf(msg, "the run's branch is not known (allowed: %s)", allowed);
		return 0;
	}
	if (!ref_allowed(allowed, run->branch)) {
		*status = SVC_RUN_FAILED;
		buf_printf(msg, "branch '%s' is not allowed (allowed: %s)",
			   run->branch, allowed);
		return 0;
	}
	for (i = 0; i < run->nrepos; i++)
		if (run->repos[i].ref && !ref_allowed(allowed, run->repos[i].ref)) {
			*status = SVC_RUN_FAILED;
			buf_printf(msg, "repository '%s' is on '%s', which is not allowed (allowed: %s)",
				   run->repos[i].alias, run->repos[i].ref, allowed);
			return 0;
		}
	buf_printf(msg, "branch '%s' allowed", run->branch);
	return 0;
}

/* Compare refs, "main" meaning refs/heads/main. */
static int same_ref(const char *a, const char *b)
{
	if (!a || !b)
		return !a && !b;
	if (!strncmp(a, "refs/heads/", 11))
		a += 11;
	if (!strncmp(b, "refs/heads/", 11))
		b += 11;
	return strcmp(a, b) == 0;
}

int check_evaluate_template(svc_store *st, const svc_run *run,
			    const svc_check_run *cr, json_t *cfg, time_t now,
			    const char **status, svc_buf *msg, json_t *state)
{
	const char *want_repo = jstr(cfg, "repo"), *want_ref = jstr(cfg, "ref");
	const char *want_path = jstr(cfg, "path"), *ext = run->extends, *at;
	char path[1024];
	size_t i, plen;

	(void)st;
	(void)cr;
	(void)now;
	(void)state;
	*status = SVC_RUN_FAILED;
	if (!ext) {
		buf_printf(msg, "the pipeline must extend template '%s' of '%s', but does not extend any",
			   want_path ? want_path : "", want_repo ? want_repo : "");
		return 0;
	}
	at = strchr(ext, '@');
	plen = at ? (size_t)(at - ext) : strlen(ext);
	snprintf(path, sizeof(path), "%.*s", (int)plen, ext);
	while (want_path && *want_path == '/')
		want_path++;
	if (!want_path || strcmp(path[0] == '/' ? path + 1 : path, want_path)) {
		buf_printf(msg, "the pipeline extends '%s', not the required '%s'",
			   ext, want_path ? want_path : "");
		return 0;
	}
	if (!at) {
		if (want_repo && strcmp(want_repo, "self")) {
			buf_printf(msg, "the pipeline extends '%s' of its own repository, not of '%s'",
				   path, want_repo);
			return 0;
		}
		*status = SVC_RUN_PASSED;
		buf_printf(msg, "extends the required template '%s'", path);
		return 0;
	}
	for (i = 0; i < run->nrepos; i++)
		if (!strcmp(run->repos[i].alias, at + 1))
			break;
	if (i == run->nrepos || !want_repo ||
	    strcmp(run->repos[i].name ? run->repos[i].name : "", want_repo) ||
	    (want_ref && !same_ref(run->repos[i].ref ? run->repos[i].ref
						       : "refs/heads/main", want_ref))) {
		buf_printf(msg, "the pipeline extends '%s', which is not '%s' of '%s' at '%s'",
			   ext, want_path, want_repo ? want_repo : "",
			   want_ref ? want_ref : "");
		return 0;
	}
	*status = SVC_RUN_PASSED;
	buf_printf(msg, "extends the required template '%s' of '%s'", path,
		   want_repo);
	return 0;
}

int check_evaluate_hours(svc_store *st, const svc_run *run,
			 const svc_check_run *cr, json_t *cfg, time_t now,
			 const char **status, svc_buf *msg, json_t *state)
{
	bh_window w;
	int inside = 0;
	time_t next = 0;
	long elapsed = 0, timeout = jlong(cfg, "timeout", DEFAULT_CHECK_TIMEOUT);
	char when[32];

	(void)st;
	(void)run;
	(void)state;
	if (check_bh_parse(&w, jstr(cfg, "days"), jstr(cfg, "tz"),
			   jstr(cfg, "start"), jstr(cfg, "end")) ||
	    check_bh_inside(&w, now, &inside, &next)) {
		*status = SVC_RUN_FAILED;
		buf_printf(msg, "invalid business hours: %s", svc_error_last());
		return 0;
	}
	if (inside) {
		*status = SVC_RUN_PASSED;
		buf_printf(msg, "inside business hours");
		return 0;
	}
	elapsed_since(cr->started_at, now, &elapsed);
	if (elapsed >= timeout) {
		*status = SVC_RUN_FAILED;
		buf_printf(msg, "outside business hours (%s %s-%s %s) until the check timed out",
			   jstr(cfg, "days"), jstr(cfg, "start"), jstr(cfg, "end"),
			   jstr(cfg, "tz"));
		return 0;
	}
	clock_iso8601(when, next);
	*status = SVC_RUN_PENDING;
	buf_printf(msg, "waiting for business hours (%s %s-%s %s); the window opens at %s",
		   jstr(cfg, "days"), jstr(cfg, "start"), jstr(cfg, "end"),
		   jstr(cfg, "tz"), when);
	return 0;
}

/* Make the REST call of a check and judge its answer. */
static void rest_attempt(svc_store *st, const svc_run *run, json_t *cfg,
			 int *pass, svc_buf *msg)
{
	const char *cname = jstr(cfg, "connection"), *suffix = jstr(cfg, "urlSuffix");
	const char *expr = jstr(cfg, "success");
	svc_conn *c = NULL;
	svc_conn_field user, pw;
	rest_request req;
	rest_response resp;
	svc_buf url = SVC_BUF_INIT, h[4];
	const char *defaults[5];
	char *why = NULL;
	int ok = 0, i;

	*pass = 0;
	memset(&resp, 0, sizeof(resp));
	if (!cname || svc_store_conn_get(&c, st, cname, SVC_GET_SECRETS)) {
		buf_printf(msg, "the check's connection '%s' cannot be read: %s",
			   cname ? cname : "", svc_error_last());
		return;
	}
	if (strcasecmp(svc_conn_type(c), "generic") != 0) {
		buf_printf(msg, "connection '%s' is not a Generic connection",
			   svc_conn_name(c));
		svc_conn_free(c);
		return;
	}
	buf_printf(&url, "%s%s", svc_conn_url(c) ? svc_conn_url(c) : "",
		   suffix ? suffix : "");
	for (i = 0; i < 4; i++)
		buf_init(&h[i], 4096, 0);
	buf_printf(&h[0], "X-Svcconn-Pipeline: %s", run->pipeline ? run->pipeline : "");
	buf_printf(&h[1], "X-Svcconn-Run-Id: %s", run->run_id ? run->run_id : "");
	buf_printf(&h[2], "X-Svcconn-Stage: %s", run->stage ? run->stage : "");
	buf_printf(&h[3], "X-Svcconn-Job: %s", run->job ? run->job : "");
	for (i = 0; i < 4; i++)
		defaults[i] = h[i].ptr;
	defaults[4] = NULL;
	memset(&req, 0, sizeof(req));
	req.method = jstr(cfg, "method") ? jstr(cfg, "method") : "POST";
	req.url = url.ptr;
	req.headers_json = jstr(cfg, "headers");
	req.body = jstr(cfg, "body");
	req.default_headers = defaults;
	req.timeout_ms = REST_CALL_TIMEOUT_MS;
	if (svc_conn_field_get(c, "username", &user) == 0 && user.value)
		req.username = user.value;
	if (svc_conn_field_get(c, "password", &pw) == 0 && pw.value)
		req.password = pw.value;
	if (check_rest_call(&resp, &req) != 0) {
		/* messages name the connection, never the URL (it may carry
		   a token in its query) */
		buf_printf(msg, "REST call through '%s' failed: %s", svc_conn_name(c),
			   resp.error ? resp.error : svc_error_last());
	} else if (resp.status < 200 || resp.status > 299) {
		buf_printf(msg, "REST call through '%s' answered %ld",
			   svc_conn_name(c), resp.status);
	} else if (!expr || !*expr) {
		*pass = 1;
		buf_printf(msg, "REST call through '%s' answered %ld",
			   svc_conn_name(c), resp.status);
	} else if (check_rest_success(&ok, expr, resp.body.ptr ? resp.body.ptr : "",
				      resp.body.len, &why) != 0) {
		buf_printf(msg, "REST call through '%s': %s", svc_conn_name(c),
			   why ? why : "invalid answer");
	} else {
		*pass = ok;
		buf_printf(msg, "REST call through '%s': success criteria %s",
			   svc_conn_name(c), ok ? "met" : "not met");
	}
	free(why);
	rest_response_clear(&resp);
	for (i = 0; i < 4; i++)
		buf_clear(&h[i]);
	buf_clear(&url);
	svc_conn_free(c);
}

/*
 * REST check: a pass is final without a retry interval, else valid for the
 * interval; a failure is final without a retry interval, else the call is
 * repeated at the next attempt after the interval, until the timeout.
 */
int check_evaluate_rest(svc_store *st, const svc_run *run,
			const svc_check_run *cr, json_t *cfg, time_t now,
			const char **status, svc_buf *msg, json_t *state)
{
	long retry = jlong(cfg, "retryInterval", 0);
	long timeout = jlong(cfg, "timeout", DEFAULT_CHECK_TIMEOUT), elapsed = 0;
	long next = jlong(state, "nextAttempt", 0);
	int pass = 0;

	if (next && now < next && !strcmp(cr->status, SVC_RUN_PENDING)) {
		char when[32];

		clock_iso8601(when, next);
		*status = SVC_RUN_PENDING;
		buf_printf(msg, "%s; next attempt at %s",
			   cr->message ? cr->message : "REST check waiting", when);
		return 0;
	}
	rest_attempt(st, run, cfg, &pass, msg);
	json_object_set_new(state, "attempts",
			    json_integer(jlong(state, "attempts", 0) + 1));
	if (pass) {
		*status = SVC_RUN_PASSED;
		if (retry > 0)
			json_object_set_new(state, "validUntil",
					    json_integer((json_int_t)(now + retry)));
		return 0;
	}
	elapsed_since(cr->started_at, now, &elapsed);
	if (retry <= 0 || elapsed + retry > timeout) {
		*status = SVC_RUN_FAILED;
		return 0;
	}
	*status = SVC_RUN_PENDING;
	json_object_set_new(state, "nextAttempt",
			    json_integer((json_int_t)(now + retry)));
	return 0;
}

/* Map a check run status to a gate status. */
static svc_gate_status gate_of(const char *status)
{
	if (!strcmp(status, SVC_RUN_PASSED) || !strcmp(status, SVC_RUN_APPROVED) ||
	    !strcmp(status, SVC_RUN_BYPASSED))
		return SVC_GATE_GRANTED;
	if (!strcmp(status, SVC_RUN_PENDING))
		return SVC_GATE_WAITING;
	if (!strcmp(status, SVC_RUN_TIMED_OUT))
		return SVC_GATE_SKIPPED;
	return SVC_GATE_DENIED;
}

/* 1 when a decided run needs no new evaluation. */
static int settled(const svc_check_run *cr, time_t now)
{
	json_error_t jerr;
	json_t *state;
	long until;

	if (!strcmp(cr->status, SVC_RUN_PENDING))
		return 0;
	if (strcmp(cr->status, SVC_RUN_PASSED) || strcmp(cr->kind, "rest-api"))
		return 1;
	/* a REST pass with a retry interval is valid for that interval */
	state = json_loads(cr->state ? cr->state : "{}", 0, &jerr);
	until = jlong(state, "validUntil", 0);
	json_decref(state);
	return until == 0 || now < until;
}

/* The frozen initial state of a check's run. */
static char *initial_state(const svc_check *chk, json_t *cfg)
{
	json_t *s = json_object();
	char *out;

	if (!strcmp(chk->kind, "approval")) {
		json_t *a = json_object_get(cfg, "approvers");

		json_object_set(s, "approvers", a ? a : json_array());
	}
	out = json_dumps(s, JSON_COMPACT);
	json_decref(s);
	return out;
}

/* Evaluate one check (not a lock) for the run; fills v. */
static int eval_check(svc_store *st, const svc_run *run, const svc_check *chk,
		      struct verdict *v)
{
	json_error_t jerr;
	json_t *cfg = json_loads(chk->config, 0, &jerr);
	svc_check_run *cr = NULL;
	const check_kind *kind = check_kind_find(chk->kind);
	char *init = initial_state(chk, cfg);
	time_t now;
	int rc, tries;

	clock_now(&now);
	rc = svc_store_check_run_start(&cr, st, chk->id, run->pipeline,
				       run->run_id, run->stage,
				       run->requested_by, init ? init : "{}");
	free(init);
	for (tries = 0; !rc && tries < CAS_TRIES; tries++) {
		const char *status = NULL;
		json_t *state = json_loads(cr->state ? cr->state : "{}", 0, &jerr);
		char *state_s;

		snprintf(v->run_id, sizeof(v->run_id), "%s", cr->id);
		buf_reset(&v->msg);
		if (settled(cr, now)) {
			v->status = gate_of(cr->status);
			buf_puts(&v->msg, cr->message ? cr->message : cr->status);
			json_decref(state);
			break;
		}
		if (kind && kind->evaluate)
			rc = kind->evaluate(st, run, cr, cfg, now, &status,
					    &v->msg, state);
		else {
			status = SVC_RUN_FAILED;
			buf_printf(&v->msg, "unknown check kind '%s'", chk->kind);
		}
		if (rc) {
			json_decref(state);
			break;
		}
		state_s = json_dumps(state, JSON_COMPACT);
		json_decref(state);
		rc = svc_store_check_run_update(st, cr->id, cr->version, status,
						state_s ? state_s : "{}",
						v->msg.ptr ? v->msg.ptr : "");
		free(state_s);
		if (rc == SVC_EPENDING) {
			/* another process decided meanwhile: look again */
			char id[SVC_ID_LEN + 1];

			snprintf(id, sizeof(id), "%s", cr->id);
			svc_check_run_free(cr);
			cr = NULL;
			rc = svc_store_check_run_get(&cr, st, id);
			continue;
		}
		if (!rc)
			v->status = gate_of(status);
		break;
	}
	svc_check_run_free(cr);
	json_decref(cfg);
	return rc;
}

/* ---- the gate -------------------------------------------------------------- */

/* "pipeline/run/stage": who holds an exclusive lock. */
static void holder_of(const svc_run *run, svc_buf *out)
{
	buf_printf(out, "%s/%s/%s", run->pipeline ? run->pipeline : "",
		   run->run_id ? run->run_id : "", run->stage ? run->stage : "");
}

static int record(svc_store *st, const svc_run *run, const svc_conn *c,
		  const char *decision, const char *message)
{
	svc_usage u;
	char at[32];
	time_t now;

	clock_now(&now);
	clock_iso8601(at, now);
	memset(&u, 0, sizeof(u));
	u.conn_id = (char *)svc_conn_id(c);
	u.conn_name = (char *)svc_conn_name(c);
	u.pipeline = (char *)run->pipeline;
	u.run_id = (char *)run->run_id;
	u.stage = (char *)run->stage;
	u.job = (char *)run->job;
	u.requested_by = (char *)run->requested_by;
	u.decision = (char *)decision;
	u.message = (char *)message;
	u.at = at;
	/* a run still waiting, or still needing permission, for the same
	 * reason is not recorded again at each time it is asked */
	if (strcmp(decision, "waiting") == 0 ||
	    strcmp(decision, "needs-permission") == 0)
		return store_usage_add_changed(st, &u);
	return svc_store_usage_add(st, &u);
}

/* Sort order of checks: category, then creation. */
struct ordered {
	const svc_check *chk;  /**< the check */
	const svc_conn *conn;  /**< its connection */
	int cat;               /**< its category */
};

static int cmp_ordered(const void *a, const void *b)
{
	const struct ordered *x = a, *y = b;

	if (x->cat != y->cat)
		return x->cat - y->cat;
	return x->chk->seq < y->chk->seq ? -1 : x->chk->seq > y->chk->seq;
}

/*
 * What the gate reads before it decides, in one read transaction outside
 * the write lock, as each read did on its own before: the connections,
 * whether the pipeline may use each (allowed), their checks, and whether
 * one of those calls out (rest-api; or a kind unknown here).
 */
static int gate_read(svc_store *st, const svc_run *run,
		     const char *const *conn_ids, size_t nconns,
		     svc_conn **conns, int *allowed, svc_check **checks,
		     size_t *nchecks, int *calls_out)
{
	int rc, hold = !store_write_held(st);
	size_t i, j;

	*calls_out = 0;
	if (hold && (rc = store_read_hold(st)) != 0)
		return rc;
	for (i = 0, rc = 0; i < nconns && !rc; i++) {
		if ((rc = svc_store_conn_get(&conns[i], st, conn_ids[i], 0)) ||
		    (rc = svc_store_pipeline_allowed(st, svc_conn_id(conns[i]),
						     run->pipeline, &allowed[i])) ||
		    (rc = svc_store_check_list(&checks[i], &nchecks[i], st,
					       svc_conn_id(conns[i]))))
			break;
		for (j = 0; j < nchecks[i]; j++) {
			const check_kind *k = check_kind_find(checks[i][j].kind);

			if (checks[i][j].enabled && (!k || k->calls_out))
				*calls_out = 1;
		}
	}
	if (hold)
		store_read_release(st);
	return rc;
}

/*
 * The gate's decision and records (svc_authz_gate) once gate_read has
 * read, in the caller's transactions.
 */
static int gate_decide(svc_gate_report *r, svc_store *st, const svc_run *run,
		       svc_conn **conns, const int *allowed,
		       svc_check **checks, const size_t *nchecks,
		       size_t nconns, int dry_run)
{
	struct ordered *ord = NULL;
	size_t nord = 0, i, j;
	svc_buf holder = SVC_BUF_INIT;
	int rc = 0, cat;

	r->status = SVC_GATE_GRANTED;
	holder_of(run, &holder);
	/* pipeline permissions */
	for (i = 0; i < nconns && !rc; i++) {
		char *req = NULL;
		svc_buf m = SVC_BUF_INIT;

		if (allowed[i]) {
			rc = add_item(r, conns[i], "permission", NULL, NULL, NULL,
				      SVC_GATE_GRANTED, "pipeline authorized");
			continue;
		}
		if (!dry_run && (rc = svc_store_request_open(&req, st,
				svc_conn_id(conns[i]), run->pipeline, run->run_id,
				run->requested_by)))
			break;
		buf_printf(&m, "This pipeline needs permission to access a resource before this run can continue: connection '%s'%s%s%s",
			   svc_conn_name(conns[i]), req ? " (request " : "",
			   req ? req : "", req ? ")" : "");
		rc = add_item(r, conns[i], "permission", NULL, NULL, req,
			      SVC_GATE_NEEDS_PERMISSION, m.ptr);
		if (!rc && !dry_run)
			rc = record(st, run, conns[i], "needs-permission", m.ptr);
		r->status = SVC_GATE_NEEDS_PERMISSION;
		free(req);
		buf_clear(&m);
	}
	if (rc || (r->status != SVC_GATE_GRANTED && !dry_run))
		goto done;
	/* checks, category by category */
	for (i = 0; i < nconns && !rc; i++) {
		for (j = 0; !rc && j < nchecks[i]; j++) {
			struct ordered *n;

			if (!checks[i][j].enabled)
				continue;
			n = realloc(ord, (nord + 1) * sizeof(*ord));
			if (!n) {
				rc = error_oom();
				break;
			}
			ord = n;
			ord[nord].chk = &checks[i][j];
			ord[nord].conn = conns[i];
			ord[nord++].cat = (int)svc_check_kind_category(checks[i][j].kind);
		}
	}
	if (rc)
		goto done;
	if (nord)
		qsort(ord, nord, sizeof(*ord), cmp_ordered);
	for (cat = SVC_CHECK_STATIC, i = 0; cat <= SVC_CHECK_UNKNOWN && !rc; cat++) {
		svc_gate_status worst = SVC_GATE_GRANTED;

		for (; i < nord && ord[i].cat == cat && !rc; i++) {
			struct verdict v;

			memset(&v, 0, sizeof(v));
			buf_init(&v.msg, 0, 0);
			v.status = SVC_GATE_GRANTED;
			if (dry_run) {
				v.status = SVC_GATE_WAITING;
				buf_printf(&v.msg, "check %s will run", ord[i].chk->kind);
			} else if (svc_check_kind_category(ord[i].chk->kind) ==
				   SVC_CHECK_LOCK) {
				svc_lock_result lr;
				char *who = NULL;

				rc = svc_store_lock_acquire(&lr, &who, st,
					svc_conn_id(ord[i].conn), holder.ptr,
					run->lock_sequential,
					run->lease_seconds ? run->lease_seconds
							   : DEFAULT_LEASE);
				if (!rc && lr == SVC_LOCK_ACQUIRED) {
					buf_printf(&v.msg, "exclusive lock held by this run");
				} else if (!rc && lr == SVC_LOCK_WAITING) {
					v.status = SVC_GATE_WAITING;
					buf_printf(&v.msg, "waiting for the exclusive lock held by %s (%s)",
						   who ? who : "another run",
						   run->lock_sequential ? "sequential" : "runLatest");
				} else if (!rc) {
					v.status = SVC_GATE_DENIED;
					buf_printf(&v.msg, "canceled: a newer run is waiting for the exclusive lock (runLatest)");
				}
				free(who);
			} else {
				rc = eval_check(st, run, ord[i].chk, &v);
			}
			if (!rc)
				rc = add_item(r, ord[i].conn, ord[i].chk->kind,
					      ord[i].chk->id,
					      v.run_id[0] ? v.run_id : NULL, NULL,
					      v.status, v.msg.ptr);
			if (v.status > worst)
				worst = v.status;
			buf_clear(&v.msg);
		}
		if (dry_run)
			continue;
		if (worst == SVC_GATE_DENIED || worst == SVC_GATE_SKIPPED ||
		    worst == SVC_GATE_WAITING) {
			r->status = worst;
			break;
		}
	}
	/*
	 * A run that cannot go on holds no lock (one waiting for a second
	 * lock would block the first), but keeps its places in the queues.
	 */
	if (!rc && !dry_run && r->status != SVC_GATE_GRANTED)
		rc = svc_store_lock_release_held(st, holder.ptr);
	/* the usage history: one record per connection */
	for (i = 0; !rc && !dry_run && i < nconns; i++) {
		static const char *const dec[] = { "granted", "needs-permission",
						   "waiting", "denied", "skipped" };
		const char *why = NULL;

		if (run->used) {
			for (j = 0; j < run->nused; j++)
				if (!strcmp(run->used[j], svc_conn_id(conns[i])))
					break;
			if (j == run->nused)
				continue;
		}
		for (j = 0; j < r->nitems; j++)
			if (r->items[j].status != SVC_GATE_GRANTED &&
			    !strcmp(r->items[j].conn_id, svc_conn_id(conns[i])))
				why = r->items[j].message;
		rc = record(st, run, conns[i], dec[r->status],
			    why ? why : run->source);
	}
done:
	free(ord);
	buf_clear(&holder);
	return rc;
}

/*
 * The gate: read outside the write lock (gate_read), then decide and
 * record.  A gate whose checks make no call decides in one write
 * transaction (one take of the database's write lock for its permission
 * requests, check runs, locks and usage records); with held, it is left
 * open for the caller's writes.  What it decides on that others change is
 * read again under that lock, as each write of the unheld gate reads
 * again: a check run's state and version, a lock's holder and queue.
 */
int authz_gate_hold(svc_gate_report **out, int *held, svc_store *st,
		    const svc_run *run, const char *const *conn_ids,
		    size_t nconns, int dry_run)
{
	svc_gate_report *r = calloc(1, sizeof(*r));
	svc_conn **conns = calloc(nconns ? nconns : 1, sizeof(*conns));
	int *allowed = calloc(nconns ? nconns : 1, sizeof(*allowed));
	svc_check **checks = calloc(nconns ? nconns : 1, sizeof(*checks));
	size_t *nchecks = calloc(nconns ? nconns : 1, sizeof(*nchecks));
	size_t i;
	int rc, calls_out = 1, hold = 0;

	if (held)
		*held = 0;
	if (!r || !conns || !allowed || !checks || !nchecks) {
		rc = error_oom();
		goto done;
	}
	if ((rc = gate_read(st, run, conn_ids, nconns, conns, allowed, checks,
			    nchecks, &calls_out)))
		goto done;
	hold = !dry_run && !calls_out && !store_write_held(st);
	if (hold && (rc = store_write_hold(st)) != 0) {
		hold = 0;
		goto done;
	}
	rc = gate_decide(r, st, run, conns, allowed, checks, nchecks, nconns,
			 dry_run);
	if (hold && (rc || !held))
		rc = store_write_release(st, rc);
	else if (hold)
		*held = 1;
done:
	for (i = 0; conns && i < nconns; i++) {
		svc_conn_free(conns[i]);
		if (checks)
			svc_checks_free(checks[i], nchecks[i]);
	}
	free(conns);
	free(allowed);
	free(checks);
	free(nchecks);
	if (rc) {
		svc_gate_report_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

int svc_authz_gate(svc_gate_report **out, svc_store *st, const svc_run *run,
		   const char *const *conn_ids, size_t nconns, int dry_run)
{
	return authz_gate_hold(out, NULL, st, run, conn_ids, nconns, dry_run);
}

/* ---- decisions by people ------------------------------------------------------ */

/* The approver entry of frozen list approvers that actor acts for. */
static int approver_entry(char **out, svc_store *st, json_t *approvers,
			  const char *actor)
{
	char **groups = NULL;
	size_t ng = 0, i, j;
	int rc = svc_store_groups_of(&groups, &ng, st, actor);

	*out = NULL;
	for (i = 0; !rc && i < json_array_size(approvers) && !*out; i++) {
		const char *a = json_string_value(json_array_get(approvers, i));

		if (!a)
			continue;
		if (!strcmp(a, actor))
			*out = strdup(a);
		for (j = 0; j < ng && !*out; j++)
			if (!strcmp(a, groups[j]))
				*out = strdup(a);
	}
	svc_strings_free(groups, ng);
	return rc;
}

/* 1 when who is one of the n names (none NULL). */
static int one_of(const char *who, const char *const *names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(who, names[i]))
			return 1;
	return 0;
}

/*
 * 1 when the run was requested by one of the names a principal is known by:
 * requested_by is such a name, or an impersonation "X as Y" (the audit
 * name of a principal) with X or Y among them.
 */
static int is_requester(const char *requested_by, const char *const *names,
			size_t n)
{
	const char *as = strstr(requested_by, " as ");
	char real[512];

	if (one_of(requested_by, names, n))
		return 1;
	if (!as || (size_t)(as - requested_by) >= sizeof(real))
		return 0;
	memcpy(real, requested_by, (size_t)(as - requested_by));
	real[as - requested_by] = '\0';
	return one_of(real, names, n) || one_of(as + 4, names, n);
}

/* What decide_judge judges with: the check's configuration, the time. */
struct judge_ctx {
	json_t *cfg;  /**< the check's configuration */
	time_t now;   /**< the decision's time */
};

/* svc_store_approval_judge_fn of a decision: the gate's approval_judge. */
static int decide_judge(void *ctx, const svc_check_run *run,
			const svc_approval *a, size_t n, const char **status,
			char **message)
{
	const struct judge_ctx *jc = ctx;
	svc_buf msg = SVC_BUF_INIT;

	approval_judge(run, jc->cfg, a, n, jc->now, status, &msg);
	*message = msg.ptr ? buf_detach(&msg, NULL) : NULL;
	buf_clear(&msg);
	return 0;
}

int svc_authz_decide(svc_store *st, const char *check_run_id,
		     const char *actor, const char *decision,
		     const char *comment, const char *defer_until)
{
	return authz_decide(st, check_run_id, actor, &actor, 1, actor,
			    decision, comment, defer_until);
}

int authz_decide(svc_store *st, const char *check_run_id, const char *actor,
		 const char *const *known_as, size_t nknown,
		 const char *audit_name, const char *decision,
		 const char *comment, const char *defer_until)
{
	svc_check_run *cr = NULL;
	svc_check *chk = NULL;
	svc_approval *a = NULL;
	json_t *cfg = NULL, *state = NULL;
	json_error_t jerr;
	char *entry = NULL, deferred[32];
	struct judge_ctx jc;
	size_t n = 0, i;
	time_t t;
	int rc;

	if (strcmp(decision, "approve") && strcmp(decision, "reject"))
		return error_set(SVC_EINVALID, "decision must be approve or reject");
	if (defer_until) {
		if (clock_parse(&t, defer_until))
			return SVC_EINVALID;
		clock_iso8601(deferred, t);
		defer_until = deferred;
	}
	if ((rc = svc_store_check_run_get(&cr, st, check_run_id)))
		return rc;
	if (strcmp(cr->kind, "approval")) {
		rc = error_set(SVC_EINVALID, "check run '%s' is a %s check, not an approval",
			       check_run_id, cr->kind);
		goto done;
	}
	if (strcmp(cr->status, SVC_RUN_PENDING)) {
		rc = error_set(SVC_EINVALID, "approval '%s' is already %s",
			       check_run_id, cr->status);
		goto done;
	}
	if ((rc = svc_store_check_get(&chk, st, cr->check_id)))
		goto done;
	cfg = json_loads(chk->config, 0, &jerr);
	state = json_loads(cr->state ? cr->state : "{}", 0, &jerr);
	if ((rc = approver_entry(&entry, st, json_object_get(state, "approvers"),
				 actor)))
		goto done;
	if (!entry) {
		rc = error_set(SVC_EDENIED,
			       "permission denied: '%s' is not an approver of '%s'",
			       actor, check_run_id);
		goto done;
	}
	if (!strcmp(decision, "approve") && cr->requested_by &&
	    is_requester(cr->requested_by, known_as, nknown) &&
	    !json_is_true(json_object_get(cfg, "allowRequester"))) {
		rc = error_set(SVC_EDENIED,
			       "permission denied: '%s' requested this run and may not approve it",
			       audit_name);
		goto done;
	}
	if ((rc = svc_store_approval_list(&a, &n, st, check_run_id)))
		goto done;
	for (i = 0; i < n; i++)
		if (!strcmp(a[i].as_approver, entry)) {
			rc = error_set(SVC_EEXISTS, "'%s' has already decided on '%s' (%s)",
				       entry, check_run_id, a[i].decision);
			goto done;
		}
	/* the decision and the run's status it leads to: one transaction */
	clock_now(&jc.now);
	jc.cfg = cfg;
	rc = svc_store_approval_decide(st, check_run_id, audit_name, entry,
				       decision, comment, defer_until,
				       decide_judge, &jc);
done:
	free(entry);
	svc_approvals_free(a, n);
	json_decref(cfg);
	json_decref(state);
	svc_checks_free(chk, chk ? 1 : 0);
	svc_check_run_free(cr);
	return rc;
}

int svc_authz_bypass(svc_store *st, const char *check_run_id,
		     const char *actor)
{
	return authz_bypass(st, check_run_id, actor, actor);
}

int authz_bypass(svc_store *st, const char *check_run_id, const char *actor,
		 const char *audit_name)
{
	svc_check_run *cr = NULL;
	svc_conn *c = NULL;
	svc_buf msg = SVC_BUF_INIT;
	const check_kind *kind;
	int rc, tries;

	if ((rc = svc_store_check_run_get(&cr, st, check_run_id)))
		return rc;
	kind = check_kind_find(cr->kind);
	if (!kind || !kind->bypassable) {
		check_kind_names(&msg, 1, " and ");
		rc = error_set(SVC_EINVALID,
			       "a %s check cannot be bypassed (only %s)",
			       cr->kind, msg.ptr ? msg.ptr : "");
		goto done;
	}
	if ((rc = svc_store_conn_get(&c, st, cr->conn_id, 0)) ||
	    (rc = svc_authz_require(st, actor, c, SVC_ROLE_ADMIN)))
		goto done;
	buf_printf(&msg, "bypassed by %s", audit_name);
	/* the change and its audit record in one transaction */
	for (tries = 0; tries < CAS_TRIES; tries++) {
		rc = svc_store_check_run_update_as(st, cr->id, cr->version,
						   SVC_RUN_BYPASSED, cr->state,
						   msg.ptr, audit_name);
		if (rc != SVC_EPENDING)
			break;
		svc_check_run_free(cr);
		cr = NULL;
		if ((rc = svc_store_check_run_get(&cr, st, check_run_id)))
			break;
	}
done:
	buf_clear(&msg);
	svc_conn_free(c);
	svc_check_run_free(cr);
	return rc;
}
