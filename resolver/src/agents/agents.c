/*
 * agents.c - agent pools, registered agents, registration tokens and the
 * exchange of a registration token for an agent's credential.
 *
 * Both tokens are made, stored (SHA-256 only) and checked by tokens.c
 * (tokens_int.h: token_mint, token_row_insert, token_check), as personal
 * tokens are; their rows carry the kind ("registration", "agent") where a
 * personal token has its scopes.  A registration token's owner is its
 * pool; an agent credential's owner is its agent.  The exchange is one
 * write transaction: check the registration token, spend it (its row is
 * revoked), store the agent and its credential, audit; a failure changes
 * nothing, and a refused token is audited like a refused personal token.
 *
 * svc_agent_enroll, the client of the exchange (on the agent's machine),
 * posts to the server with libcurl (net/http.c) and writes the credential
 * 0600 into the agent's configuration directory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "svcconn/agents.h"
#include "svcconn/secret.h"
#include "agents/agents_int.h"
#include "errors_int.h"
#include "net/http.h"
#include "store/store_backend.h"
#include "store/store_int.h"
#include "tokens/tokens_int.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/fileio.h"

/* Longest pool or agent name. */
#define NAME_MAX_LEN 100
/* Largest answer of the server to an enrolment. */
#define ENROLL_BODY_MAX 16384

/* A pool or agent name: 1-100 of [A-Za-z0-9._-], not starting with '.'. */
static int check_name(const char *what, const char *name)
{
	size_t i, n = name ? strlen(name) : 0;

	if (n == 0)
		return error_set(SVC_EINVALID, "%s needs a name", what);
	if (n > NAME_MAX_LEN)
		return error_set(SVC_EINVALID,
				 "%s name is longer than %d bytes", what,
				 NAME_MAX_LEN);
	for (i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		      (c == '.' && i > 0)))
			return error_set(SVC_EINVALID,
					 "%s name '%.*s' may hold only letters, digits, '.', '-' and '_'",
					 what, (int)(n > 64 ? 64 : n), name);
	}
	return 0;
}

static int dup_str(char **out, const char *s)
{
	if (!(*out = strdup(s ? s : "")))
		return error_oom();
	return 0;
}

/* ---- pools ------------------------------------------------------------- */

void svc_pool_list_free(svc_pool *list, size_t count)
{
	size_t i;

	for (i = 0; list && i < count; i++) {
		free(list[i].name);
		free(list[i].created_by);
	}
	free(list);
}

/* Collects rows into a growing array of records. */
struct list_ctx {
	svc_buf buf;  /**< the record array, bounded */
	size_t n;     /**< records in it */
};

static int pool_from_row(svc_pool *p, const store_pool_row *r)
{
	memset(p, 0, sizeof(*p));
	p->trusted = r->trusted;
	p->created = r->created;
	if (dup_str(&p->name, r->name) || dup_str(&p->created_by, r->created_by)) {
		free(p->name);
		free(p->created_by);
		return error_oom();
	}
	return 0;
}

static int pool_cb(void *ctx, const store_pool_row *r)
{
	struct list_ctx *l = ctx;
	svc_pool p;
	int rc;

	if ((rc = pool_from_row(&p, r)))
		return rc;
	if ((rc = buf_put(&l->buf, &p, sizeof(p)))) {
		free(p.name);
		free(p.created_by);
		return rc;
	}
	l->n++;
	return 0;
}

/* The pools called name (NULL: all) inside the caller's transaction. */
static int pools_read(svc_pool **out, size_t *count, svc_store *st,
		      const char *name)
{
	struct list_ctx l = { SVC_BUF_INIT, 0 };
	int rc;

	rc = st->ops->pool_list(st->be, name, pool_cb, &l);
	if (rc) {
		svc_pool_list_free((svc_pool *)l.buf.ptr, l.n);
		return rc;
	}
	*out = (svc_pool *)buf_detach(&l.buf, NULL);
	*count = l.n;
	return 0;
}

int agents_pool_create(svc_store *st, const char *name, int trusted,
		       const char *actor)
{
	store_pool_row r;
	char now_iso[32];
	time_t now;
	int rc;

	if ((rc = check_name("a pool", name)) || (rc = clock_now(&now)))
		return rc;
	clock_iso8601(now_iso, now);
	memset(&r, 0, sizeof(r));
	r.name = name;
	r.trusted = trusted ? 1 : 0;
	r.created_by = store_actor(actor);
	r.created = (long long)now;
	if ((rc = store_tx_write(st)) != 0)
		return rc;
	rc = st->ops->pool_insert(st->be, &r);
	if (rc == SVC_EEXISTS)
		rc = error_set(SVC_EEXISTS, "pool '%s' exists", name);
	if (rc == 0)
		rc = store_audit(st, now_iso, store_actor(actor), "pool-create",
				 "", "",
				 json_pack("{s:s, s:b}", "pool", name, "trusted",
					   r.trusted));
	return store_tx_end(st, rc);
}

int agents_pool_list(svc_pool **out, size_t *count, svc_store *st)
{
	int rc;

	if ((rc = store_tx_read(st)) != 0)
		return rc;
	rc = pools_read(out, count, st, NULL);
	return store_tx_end(st, rc);
}

/* The pool called name inside the caller's transaction; SVC_ENOTFOUND. */
static int pool_get(svc_pool *out, svc_store *st, const char *name)
{
	svc_pool *l = NULL;
	size_t n = 0;
	int rc;

	if ((rc = pools_read(&l, &n, st, name)))
		return rc;
	if (n == 0) {
		free(l);
		return error_set(SVC_ENOTFOUND, "no pool '%s'", name);
	}
	*out = l[0];
	free(l);
	return 0;
}

/* ---- registration tokens ---------------------------------------------- */

int agents_registration_token(char **token, long long *expires,
			      svc_store *st, const char *pool,
			      unsigned hours, const char *actor)
{
	struct token_minted m;
	svc_pool p;
	char now_iso[32];
	long long exp;
	time_t now;
	int rc;

	memset(&m, 0, sizeof(m));
	memset(&p, 0, sizeof(p));
	if (hours == 0)
		hours = SVC_REGISTRATION_DEFAULT_HOURS;
	if (hours > SVC_REGISTRATION_MAX_HOURS)
		return error_set(SVC_EINVALID,
				 "a registration token is valid for at most %d hours, not %u",
				 SVC_REGISTRATION_MAX_HOURS, hours);
	if ((rc = check_name("a pool", pool)) || (rc = clock_now(&now)) ||
	    (rc = token_mint(&m, SVC_REGISTRATION_TOKEN_PREFIX)))
		return rc;
	clock_iso8601(now_iso, now);
	exp = (long long)now + (long long)hours * 3600;
	if ((rc = store_tx_write(st)) != 0)
		goto done;
	rc = pool_get(&p, st, pool);
	if (rc == 0)
		rc = token_row_insert(st, &m, p.name, "registration",
				      SVC_TOKEN_KIND_REGISTRATION,
				      (long long)now, exp);
	if (rc == 0)
		rc = store_audit(st, now_iso, store_actor(actor),
				 "agent-registration-token-create", "", "",
				 json_pack("{s:s, s:s, s:I}", "tokenId", m.id,
					   "pool", p.name, "expires",
					   (json_int_t)exp));
	if ((rc = store_tx_end(st, rc)) != 0)
		goto done;
	*token = m.text;
	m.text = NULL;
	*expires = exp;
done:
	free(p.name);
	free(p.created_by);
	token_minted_clear(&m);
	return rc;
}

/* ---- agents -------------------------------------------------------------- */

void svc_agent_clear(svc_agent *a)
{
	if (!a)
		return;
	free(a->name);
	free(a->pool);
	free(a->created_by);
	memset(a, 0, sizeof(*a));
}

void svc_agent_list_free(svc_agent *list, size_t count)
{
	size_t i;

	for (i = 0; list && i < count; i++)
		svc_agent_clear(&list[i]);
	free(list);
}

/* Collects agent rows. */
static int agent_cb(void *ctx, const store_agent_row *r)
{
	struct list_ctx *l = ctx;
	svc_agent a;
	int rc;

	memset(&a, 0, sizeof(a));
	snprintf(a.token_id, sizeof(a.token_id), "%s", r->token_id);
	a.created = r->created;
	a.revoked = r->revoked;
	if (dup_str(&a.name, r->name) || dup_str(&a.pool, r->pool) ||
	    dup_str(&a.created_by, r->created_by)) {
		svc_agent_clear(&a);
		return error_oom();
	}
	if ((rc = buf_put(&l->buf, &a, sizeof(a)))) {
		svc_agent_clear(&a);
		return rc;
	}
	l->n++;
	return 0;
}

/* Keeps the use and expiry of the credential token_get finds. */
static int cred_cb(void *ctx, const store_token_row *r)
{
	svc_agent *a = ctx;

	a->last_used = r->last_used;
	a->expires = r->expires;
	if (r->revoked && !a->revoked)
		a->revoked = r->revoked;
	return 1;
}

/* The agents called name (NULL: all), inside the caller's transaction. */
static int agents_read(svc_agent **out, size_t *count, svc_store *st,
		       const char *name)
{
	struct list_ctx l = { SVC_BUF_INIT, 0 };
	svc_agent *a;
	size_t i;
	int rc;

	rc = st->ops->agent_list(st->be, name, agent_cb, &l);
	a = (svc_agent *)l.buf.ptr;
	for (i = 0; rc == 0 && i < l.n; i++) {
		rc = st->ops->token_get(st->be, a[i].token_id, cred_cb, &a[i]);
		if (rc == SVC_ENOTFOUND)
			rc = 0;
	}
	if (rc) {
		svc_agent_list_free(a, l.n);
		return rc;
	}
	*out = (svc_agent *)buf_detach(&l.buf, NULL);
	*count = l.n;
	return 0;
}

int agents_list(svc_agent **out, size_t *count, svc_store *st)
{
	int rc;

	if ((rc = store_tx_read(st)) != 0)
		return rc;
	rc = agents_read(out, count, st, NULL);
	return store_tx_end(st, rc);
}

int svc_agent_get(svc_agent *out, svc_pool *pool, svc_store *st,
		  const char *name)
{
	svc_agent *l = NULL;
	svc_pool p;
	size_t n = 0;
	int rc;

	memset(&p, 0, sizeof(p));
	if (!name)
		return error_set(SVC_EINVALID, "no agent named");
	if ((rc = store_tx_read(st)) != 0)
		return rc;
	rc = agents_read(&l, &n, st, name);
	if (rc == 0 && n == 0)
		rc = error_set(SVC_ENOTFOUND, "no agent '%s'", name);
	if (rc == 0 && pool)
		rc = pool_get(&p, st, l[0].pool);
	rc = store_tx_end(st, rc);
	if (rc) {
		svc_agent_list_free(l, n);
		return rc;
	}
	*out = l[0];
	free(l);
	if (pool)
		*pool = p;
	return 0;
}

int agents_revoke(svc_store *st, const char *name, const char *actor)
{
	svc_agent *l = NULL;
	char now_iso[32];
	size_t n = 0;
	time_t now;
	int rc;

	if ((rc = check_name("an agent", name)) || (rc = clock_now(&now)))
		return rc;
	clock_iso8601(now_iso, now);
	if ((rc = store_tx_write(st)) != 0)
		return rc;
	rc = agents_read(&l, &n, st, name);
	if (rc == 0 && n == 0)
		rc = error_set(SVC_ENOTFOUND, "no agent '%s'", name);
	if (rc == 0)
		rc = st->ops->agent_revoke(st->be, l[0].name, (long long)now);
	if (rc == 0) {
		rc = st->ops->token_revoke(st->be, l[0].token_id,
					   (long long)now);
		if (rc == SVC_ENOTFOUND)
			rc = 0;
	}
	if (rc == 0)
		rc = store_audit(st, now_iso, store_actor(actor),
				 "agent-revoke", "", "",
				 json_pack("{s:s, s:s, s:s}", "agent", l[0].name,
					   "pool", l[0].pool, "tokenId",
					   l[0].token_id));
	rc = store_tx_end(st, rc);
	svc_agent_list_free(l, n);
	return rc;
}

/* ---- the exchange -------------------------------------------------------- */

int svc_agent_register(char **credential, svc_agent *info, svc_store *st,
		       const char *reg, size_t len, const char *name,
		       const char *client, const char *request)
{
	struct token_minted m;
	svc_token_info ti;
	store_agent_row r;
	svc_pool p;
	const char *why = NULL;
	char id[SVC_TOKEN_ID_LEN + 1], now_iso[32], actor[NAME_MAX_LEN + 16];
	long long exp;
	time_t now;
	int rc;

	memset(&m, 0, sizeof(m));
	memset(&p, 0, sizeof(p));
	memset(&ti, 0, sizeof(ti));
	if ((rc = check_name("an agent", name)) || (rc = clock_now(&now)))
		return rc;
	clock_iso8601(now_iso, now);
	exp = (long long)now + (long long)SVC_AGENT_CREDENTIAL_DAYS * 86400;
	if ((rc = token_mint(&m, SVC_AGENT_TOKEN_PREFIX)) != 0)
		return rc;
	if ((rc = store_tx_write(st)) != 0)
		goto done;
	rc = token_check(&ti, &why, id, st, reg, len,
			 SVC_REGISTRATION_TOKEN_PREFIX,
			 SVC_TOKEN_KIND_REGISTRATION, (long long)now);
	if (rc == 0 && why) {
		/* nothing changed: the refusal is audited on its own */
		store_tx_end(st, SVC_EDENIED);
		rc = token_refused(st, id[0] ? id : NULL, why, client,
				   request);
		goto done;
	}
	if (rc == 0 && (rc = pool_get(&p, st, ti.owner)) == SVC_ENOTFOUND)
		rc = error_set(SVC_EDENIED,
			       "registration token '%s' names pool '%s', which is gone",
			       id, ti.owner);
	/* spent: a registration token is good for one agent */
	if (rc == 0)
		rc = st->ops->token_revoke(st->be, id, (long long)now);
	if (rc == 0)
		rc = token_row_insert(st, &m, name, "agent",
				      SVC_TOKEN_KIND_AGENT, (long long)now, exp);
	if (rc == 0) {
		memset(&r, 0, sizeof(r));
		r.name = name;
		r.pool = p.name;
		r.token_id = m.id;
		r.created_by = ti.owner;
		r.created = (long long)now;
		rc = st->ops->agent_insert(st->be, &r);
		if (rc == SVC_EEXISTS)
			rc = error_set(SVC_EEXISTS,
				       "an agent called '%s' is registered", name);
	}
	if (rc == 0) {
		snprintf(actor, sizeof(actor), "%s (agent)", name);
		rc = store_audit(st, now_iso, actor, "agent-register", "", "",
				 json_pack("{s:s, s:s, s:s, s:s, s:s}",
					   "agent", name, "pool", p.name,
					   "registrationTokenId", id,
					   "tokenId", m.id, "client",
					   client ? client : ""));
	}
	if ((rc = store_tx_end(st, rc)) != 0)
		goto done;
	if (info) {
		memset(info, 0, sizeof(*info));
		snprintf(info->token_id, sizeof(info->token_id), "%s", m.id);
		info->created = (long long)now;
		info->expires = exp;
		if (dup_str(&info->name, name) || dup_str(&info->pool, p.name) ||
		    dup_str(&info->created_by, "registration")) {
			svc_agent_clear(info);
			rc = error_oom();
			goto done;
		}
	}
	*credential = m.text;
	m.text = NULL;
done:
	svc_token_info_clear(&ti);
	free(p.name);
	free(p.created_by);
	token_minted_clear(&m);
	return rc;
}

/* ---- the client of the exchange ---------------------------------------- */

/* path under dir into b (bounded); 0 or an error. */
static int dir_path(svc_buf *b, const char *dir, const char *name)
{
	buf_init(b, 4096, 0);
	return buf_printf(b, "%s/%s", dir, name);
}

int svc_agent_enroll(svc_agent *info, const svc_agent_enroll_options *o,
		     const char *reg, size_t len)
{
	svc_buf url = SVC_BUF_INIT, ca = SVC_BUF_INIT, path = SVC_BUF_INIT;
	http_request req;
	http_response resp;
	json_t *body = NULL, *ans = NULL, *cfg = NULL;
	char *text = NULL, *cfgtext = NULL, *reg_copy = NULL;
	const char *cred, *pool;
	json_error_t jerr;
	struct stat sb;
	int rc;

	memset(&resp, 0, sizeof(resp));
	if (!o || o->version != SVC_AGENT_ENROLL_OPTIONS_VERSION || !o->server ||
	    !o->config_dir)
		return error_set(SVC_EINVALID, "enrolment options are missing");
	if ((rc = check_name("an agent", o->name)))
		return rc;
	if (len != SVC_TOKEN_LEN ||
	    memcmp(reg, SVC_REGISTRATION_TOKEN_PREFIX, 5) != 0)
		return error_set(SVC_EINVALID,
				 "this is not a registration token (%s...)",
				 SVC_REGISTRATION_TOKEN_PREFIX);
	if ((rc = dir_ensure_private(o->config_dir)) ||
	    (rc = dir_path(&path, o->config_dir, "credential")))
		goto done;
	if (lstat(path.ptr, &sb) == 0) {
		rc = error_set(SVC_EEXISTS,
			       "'%s' exists: this agent is registered already",
			       path.ptr);
		goto done;
	}
	if (o->ca_file) {
		buf_init(&ca, 1024 * 1024, 0);
		if ((rc = file_read_all(&ca, o->ca_file)) ||
		    (rc = buf_putc(&ca, '\0')))
			goto done;
	}
	buf_init(&url, 4096, 0);
	if ((rc = buf_printf(&url, "%s%s_apis/svcconn/agents", o->server,
			     o->server[0] && o->server[strlen(o->server) - 1] == '/'
				     ? "" : "/")))
		goto done;
	if (!(reg_copy = strndup(reg, len)) ||
	    !(body = json_pack("{s:s}", "name", o->name)) ||
	    !(text = json_dumps(body, JSON_COMPACT))) {
		rc = error_oom();
		goto done;
	}
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.url = url.ptr;
	req.body = text;
	req.body_len = strlen(text);
	req.auth = HTTP_AUTH_BEARER;
	req.token = reg_copy;
	req.ca_pem = ca.ptr;
	req.max_body = ENROLL_BODY_MAX;
	if ((rc = http_call(&resp, &req)))
		goto done;
	if (resp.status != 200 && resp.status != 201) {
		ans = json_loads(resp.body.ptr ? resp.body.ptr : "", 0, &jerr);
		rc = error_set(resp.status == 401 || resp.status == 403
				       ? SVC_EDENIED
				       : resp.status == 409 ? SVC_EEXISTS
							    : SVC_ERROR,
			       "the server refused the registration (%ld): %s",
			       resp.status,
			       json_is_string(json_object_get(ans, "message"))
				       ? json_string_value(json_object_get(ans, "message"))
				       : "no message");
		goto done;
	}
	ans = json_loads(resp.body.ptr ? resp.body.ptr : "", 0, &jerr);
	cred = json_string_value(json_object_get(ans, "token"));
	pool = json_string_value(json_object_get(ans, "pool"));
	if (!cred || strlen(cred) != SVC_TOKEN_LEN ||
	    memcmp(cred, SVC_AGENT_TOKEN_PREFIX, 5) != 0 || !pool) {
		rc = error_set(SVC_ERROR,
			       "the server's answer to the registration has no agent credential");
		goto done;
	}
	if ((rc = file_create_private(path.ptr, cred, SVC_TOKEN_LEN)))
		goto done;
	cfg = json_pack("{s:s, s:s, s:s, s:s?}", "server", o->server, "name",
			o->name, "pool", pool, "ca", o->ca_file);
	buf_clear(&path);
	if (!cfg || !(cfgtext = json_dumps(cfg, JSON_INDENT(2)))) {
		rc = error_oom();
		goto done;
	}
	if ((rc = dir_path(&path, o->config_dir, "agent.json")) ||
	    (rc = file_replace_private(path.ptr, cfgtext, strlen(cfgtext))))
		goto done;
	if (info) {
		memset(info, 0, sizeof(*info));
		snprintf(info->token_id, sizeof(info->token_id), "%.16s",
			 cred + 5);
		if (dup_str(&info->name, o->name) || dup_str(&info->pool, pool) ||
		    dup_str(&info->created_by, "registration")) {
			svc_agent_clear(info);
			rc = error_oom();
		}
	}
done:
	if (ans) {
		/* the credential in the parsed answer */
		const char *c = json_string_value(json_object_get(ans, "token"));

		if (c)
			svc_wipe((char *)c, strlen(c));
	}
	if (resp.body.ptr)
		svc_wipe(resp.body.ptr, resp.body.len);
	http_response_clear(&resp);
	json_decref(ans);
	json_decref(body);
	json_decref(cfg);
	free(text);
	free(cfgtext);
	if (reg_copy)
		svc_secret_free(reg_copy, len);
	buf_clear(&url);
	buf_clear(&ca);
	buf_clear(&path);
	return rc;
}
