/*
 * test_ops.c - the authority layer (ops.h) attacked as a second front end
 * would: every verb called as a principal without a role, a Reader, a User,
 * a User through a group, a Creator, the OS user impersonating a Reader
 * (SVCCONN_USER), and the Administrator.
 *
 * Each call must be refused or allowed exactly as the role matrix of
 * docs/authz.md says.  A refusal is SVC_EDENIED naming the principal, the
 * role it needs and the connection (or the store), and leaves the store as
 * it was: a fingerprint of everything stored (connections with their
 * secrets, roles, inheritance, groups, pipelines, checks, requests, check
 * runs, the audit log, the master key) is compared before and after.  An
 * allowed change writes exactly one audit record, under the principal's
 * audit name ("root as rita" for the impersonation).
 *
 * Every (verb, principal) pair that changes the store gets a fresh store.
 */
#include "testutil.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "svcconn/authz.h"
#include "svcconn/exchange.h"
#include "svcconn/ops.h"
#include "svcconn/secret.h"
#include "util/buf.h"
#include "store/store_write.h"

/* The fixture: a store with one connection "prod" and its surroundings. */
struct fx {
	char *dir;              /**< temporary directory (removed after) */
	svc_store_options opts; /**< options pointing at dir/home */
	svc_store *st;          /**< the open store */
	svc_principal *admin;   /**< the store's administrator */
	char prod[SVC_ID_LEN + 1]; /**< id of "prod" */
	char *check_id;         /**< its approval check */
	char *run_id;           /**< that check's pending run */
	char *request_id;       /**< a permission request on it */
};

/* One principal of the matrix and the roles it holds. */
struct who {
	const char *name;   /**< its name; "@rita" the local impersonation */
	svc_role on_conn;   /**< its role on "prod" (Creator counts as Reader) */
	svc_role on_store;  /**< its role on the store */
};

static const struct who people[] = {
	{ "nobody", SVC_ROLE_NONE, SVC_ROLE_NONE },
	{ "carl", SVC_ROLE_READER, SVC_ROLE_CREATOR },
	{ "rita", SVC_ROLE_READER, SVC_ROLE_NONE },
	{ "@rita", SVC_ROLE_READER, SVC_ROLE_NONE },
	{ "ursula", SVC_ROLE_USER, SVC_ROLE_NONE },
	{ "gina", SVC_ROLE_USER, SVC_ROLE_NONE },
	{ "admin", SVC_ROLE_ADMIN, SVC_ROLE_ADMIN },
};
#define NPEOPLE (sizeof(people) / sizeof(people[0]))

static svc_principal *principal(const struct who *w)
{
	svc_principal *p = NULL;

	if (w->name[0] == '@') {
		assert_int_equal(setenv("SVCCONN_USER", w->name + 1, 1), 0);
		assert_int_equal(svc_principal_local(&p), 0);
		unsetenv("SVCCONN_USER");
	} else {
		assert_int_equal(svc_principal_new(&p, SVC_PRINCIPAL_USER,
						   w->name, "test"), 0);
	}
	return p;
}

/* Run 1 of "build", job "job" of stage "deploy", requested by rita. */
static void deploy_run(svc_run *run)
{
	memset(run, 0, sizeof(*run));
	run->pipeline = "build";
	run->run_id = "1";
	run->stage = "deploy";
	run->job = "job";
	run->branch = "refs/heads/main";
	run->requested_by = "rita";
}

static void fx_up(struct fx *f)
{
	const char *keys[] = { "approvers" }, *vals[] = { "ursula,admin" };
	const char *ids[1];
	svc_run run;
	svc_gate_report *rep = NULL;
	svc_conn *c = NULL;
	size_t i;

	memset(f, 0, sizeof(*f));
	f->dir = tu_mkdtemp();
	f->opts.version = SVC_STORE_OPTIONS_VERSION;
	f->opts.home = tu_path(f->dir, "home");
	f->opts.database = tu_database();
	assert_int_equal(svc_principal_new(&f->admin, SVC_PRINCIPAL_USER,
					   "admin", "test"), 0);
	assert_int_equal(svc_ops_store_init(&f->opts, f->admin), 0);
	assert_int_equal(svc_store_open(&f->st, &f->opts), 0);
	assert_int_equal(svc_conn_new(&c, "generic", "prod"), 0);
	/* verification calls this: refused at once, on loopback */
	assert_int_equal(svc_conn_set_scheme(c, "UsernamePassword"), 0);
	assert_int_equal(svc_conn_set_url(c, "http://127.0.0.1:1/"), 0);
	assert_int_equal(svc_conn_set_field(c, "username", "deployer", 8), 0);
	assert_int_equal(svc_conn_set_field_class(c, "username",
						  SVC_FIELD_AUTH, 0), 0);
	assert_int_equal(svc_conn_set_field(c, "password", "s3cret-prod", 11), 0);
	assert_int_equal(svc_conn_set_field_class(c, "password",
						  SVC_FIELD_AUTH, 1), 0);
	assert_int_equal(svc_ops_conn_create(f->st, f->admin, c), 0);
	snprintf(f->prod, sizeof(f->prod), "%s", svc_conn_id(c));
	svc_conn_free(c);
	assert_int_equal(svc_ops_role_set(f->st, f->admin, NULL, "carl",
					  SVC_ROLE_CREATOR), 0);
	assert_int_equal(svc_ops_role_set(f->st, f->admin, "prod", "rita",
					  SVC_ROLE_READER), 0);
	assert_int_equal(svc_ops_role_set(f->st, f->admin, "prod", "ursula",
					  SVC_ROLE_USER), 0);
	assert_int_equal(svc_ops_group_create(f->st, f->admin, "ops-team"), 0);
	assert_int_equal(svc_ops_group_add(f->st, f->admin, "ops-team", "gina"), 0);
	assert_int_equal(svc_ops_role_set(f->st, f->admin, "prod", "ops-team",
					  SVC_ROLE_USER), 0);
	assert_int_equal(svc_ops_pipeline_allow(f->st, f->admin, "prod", "build"), 0);
	assert_int_equal(svc_ops_check_add(&f->check_id, f->st, f->admin, "prod",
					   "approval", keys, vals, 1), 0);
	assert_int_equal(svc_store_request_open(&f->request_id, f->st, f->prod,
						"deploy", "7", "rita"), 0);
	/* a run of "build" waits for the approval */
	deploy_run(&run);
	ids[0] = f->prod;
	assert_int_equal(svc_authz_gate(&rep, f->st, &run, ids, 1, 0), 0);
	assert_int_equal(rep->status, SVC_GATE_WAITING);
	for (i = 0; i < rep->nitems; i++)
		if (rep->items[i].check_run_id)
			f->run_id = strdup(rep->items[i].check_run_id);
	assert_non_null(f->run_id);
	svc_gate_report_free(rep);
}

static void fx_down(struct fx *f)
{
	svc_store_free(f->st);
	svc_principal_free(f->admin);
	tu_rm_rf(f->dir);
	free((char *)f->opts.home);
	free(f->dir);
	free(f->check_id);
	free(f->run_id);
	free(f->request_id);
}

/* Append the strings to b, each followed by a newline. */
static void put_strings(svc_buf *b, char **s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		buf_printf(b, "%s\n", s[i]);
	svc_strings_free(s, n);
}

/*
 * Everything stored, as text: what a refusal must leave as it was.
 * Newly allocated; wiped and freed by the caller (it holds secrets).
 */
static char *fingerprint(struct fx *f)
{
	svc_buf b;
	svc_conn **l = NULL, **full;
	svc_role_entry *e = NULL;
	svc_check *k = NULL;
	svc_check_run *r = NULL;
	svc_perm_request *q = NULL;
	svc_audit_list *al = NULL;
	char **s = NULL, *yaml = NULL, *key, *path;
	size_t n = 0, i, len = 0, m = 0;
	int on = 0;

	buf_init(&b, SVC_BUF_DEFAULT_MAX, 1);

	assert_int_equal(svc_store_conn_list(&l, &n, f->st), 0);
	full = calloc(n + 1, sizeof(*full));
	assert_non_null(full);
	for (i = 0; i < n; i++) {
		assert_int_equal(svc_store_conn_get(&full[i], f->st,
						    svc_conn_id(l[i]),
						    SVC_GET_SECRETS), 0);
		buf_printf(&b, "conn %s all=%d\n", svc_conn_id(l[i]),
			   svc_conn_all_pipelines(l[i]));
		assert_int_equal(svc_store_role_list(&e, &m, f->st,
						     svc_conn_id(l[i])), 0);
		for (size_t j = 0; j < m; j++)
			buf_printf(&b, "role %s=%d\n", e[j].principal, e[j].role);
		svc_role_entries_free(e, m);
		assert_int_equal(svc_store_inherit_get(f->st, svc_conn_id(l[i]),
						       &on), 0);
		buf_printf(&b, "inherit %d\n", on);
		assert_int_equal(svc_store_pipeline_list(&s, &m, f->st,
							 svc_conn_id(l[i])), 0);
		put_strings(&b, s, m);
	}
	assert_int_equal(svc_export_yaml(&yaml, &len, full, n,
					 SVC_EXPORT_SECRETS), 0);
	buf_printf(&b, "%s", yaml);
	svc_secret_free(yaml, len);
	for (i = 0; i < n; i++)
		svc_conn_free(full[i]);
	free(full);
	svc_store_conn_list_free(l, n);
	assert_int_equal(svc_store_role_list(&e, &m, f->st, NULL), 0);
	for (i = 0; i < m; i++)
		buf_printf(&b, "store role %s=%d\n", e[i].principal, e[i].role);
	svc_role_entries_free(e, m);
	assert_int_equal(svc_store_group_list(&s, &m, f->st, NULL), 0);
	put_strings(&b, s, m);
	assert_int_equal(svc_store_group_list(&s, &m, f->st, "ops-team"), 0);
	put_strings(&b, s, m);
	assert_int_equal(svc_store_check_list(&k, &m, f->st, NULL), 0);
	for (i = 0; i < m; i++)
		buf_printf(&b, "check %s %s %d\n", k[i].id, k[i].config,
			   k[i].enabled);
	svc_checks_free(k, m);
	assert_int_equal(svc_store_check_run_list(&r, &m, f->st, 0, NULL), 0);
	for (i = 0; i < m; i++)
		buf_printf(&b, "run %s %s\n", r[i].id, r[i].status);
	svc_check_runs_free(r, m);
	assert_int_equal(svc_store_request_list(&q, &m, f->st, 0), 0);
	for (i = 0; i < m; i++)
		buf_printf(&b, "request %s %s\n", q[i].id, q[i].status);
	svc_perm_requests_free(q, m);
	assert_int_equal(svc_store_audit(&al, f->st, 0), 0);
	buf_printf(&b, "audit %zu\n", svc_audit_list_count(al));
	svc_audit_list_free(al);
	path = tu_path(f->opts.home, "master.key");
	key = tu_read_file(path, &len);
	free(path);
	assert_non_null(key);
	buf_put(&b, key, len);
	svc_secret_free(key, len);
	return buf_detach(&b, NULL);
}

/* The number of audit records and the newest one's actor (newly allocated). */
static size_t audit_last(struct fx *f, char **actor)
{
	svc_audit_list *al = NULL;
	size_t n;

	assert_int_equal(svc_store_audit(&al, f->st, 0), 0);
	n = svc_audit_list_count(al);
	if (actor)
		*actor = n ? strdup(svc_audit_list_at(al, n - 1)->actor) : NULL;
	svc_audit_list_free(al);
	return n;
}

/* ---- the verbs, each as a second front end would call it ----------------- */

static int v_show(struct fx *f, const svc_principal *p)
{
	svc_conn *c = NULL;
	int rc = svc_ops_conn_get(&c, f->st, p, "prod", 0);

	if (!rc)
		assert_string_equal(svc_conn_name(c), "prod");
	svc_conn_free(c);
	return rc;
}

static int v_show_secrets(struct fx *f, const svc_principal *p)
{
	svc_conn *c = NULL;
	svc_conn_field fl;
	int rc = svc_ops_conn_get(&c, f->st, p, "prod", SVC_GET_SECRETS);

	if (!rc) {
		assert_int_equal(svc_conn_field_get(c, "password", &fl), 0);
		assert_memory_equal(fl.value, "s3cret-prod", 11);
	}
	svc_conn_free(c);
	return rc;
}

static int v_edit(struct fx *f, const svc_principal *p)
{
	svc_conn *c = NULL;
	int rc;

	/* a front end that skips svc_ops_conn_edit and stores a connection
	 * it built itself under prod's id is refused by the update too */
	assert_int_equal(svc_conn_new(&c, "generic", "prod"), 0);
	assert_int_equal(svc_conn_set_id(c, f->prod), 0);
	assert_int_equal(svc_conn_set_url(c, "http://127.0.0.1:2/"), 0);
	rc = svc_ops_conn_update(f->st, p, c);
	svc_conn_free(c);
	return rc;
}

static int v_edit_begin(struct fx *f, const svc_principal *p)
{
	svc_conn *c = NULL;
	int rc = svc_ops_conn_edit(&c, f->st, p, "prod");

	svc_conn_free(c);
	return rc;
}

static int v_rename(struct fx *f, const svc_principal *p)
{
	return svc_ops_conn_rename(f->st, p, "prod", "prod2");
}

static int v_delete(struct fx *f, const svc_principal *p)
{
	return svc_ops_conn_delete(f->st, p, "prod");
}

static int v_history(struct fx *f, const svc_principal *p)
{
	svc_usage *u = NULL;
	size_t n = 0;
	int rc = svc_ops_usage_list(&u, &n, f->st, p, "prod", 0);

	svc_usages_free(u, n);
	return rc;
}

static int v_pipelines(struct fx *f, const svc_principal *p)
{
	char **s = NULL;
	size_t n = 0;
	int rc = svc_ops_pipeline_list(&s, &n, f->st, p, "prod");

	svc_strings_free(s, n);
	return rc;
}

static int v_allow(struct fx *f, const svc_principal *p)
{
	return svc_ops_pipeline_allow(f->st, p, "prod", "release");
}

static int v_disallow(struct fx *f, const svc_principal *p)
{
	return svc_ops_pipeline_disallow(f->st, p, "prod", "build");
}

static int v_open_all(struct fx *f, const svc_principal *p)
{
	return svc_ops_conn_set_all_pipelines(f->st, p, "prod", 1);
}

static int v_restrict(struct fx *f, const svc_principal *p)
{
	return svc_ops_conn_set_all_pipelines(f->st, p, "prod", 0);
}

static int v_roles(struct fx *f, const svc_principal *p)
{
	svc_role_entry *e = NULL;
	size_t n = 0;
	int rc = svc_ops_role_list(&e, &n, NULL, f->st, p, "prod");

	svc_role_entries_free(e, n);
	return rc;
}

static int v_grant(struct fx *f, const svc_principal *p)
{
	/* the classic escalation: make an accomplice Administrator */
	return svc_ops_role_set(f->st, p, "prod", "mallory", SVC_ROLE_ADMIN);
}

static int v_inherit(struct fx *f, const svc_principal *p)
{
	return svc_ops_inherit_set(f->st, p, "prod", 0);
}

static int v_checks(struct fx *f, const svc_principal *p)
{
	svc_check *k = NULL;
	size_t n = 0;
	int rc = svc_ops_check_list(&k, &n, f->st, p, "prod");

	svc_checks_free(k, n);
	return rc;
}

static int v_check_add(struct fx *f, const svc_principal *p)
{
	char *id = NULL;
	int rc = svc_ops_check_add(&id, f->st, p, "prod", "exclusive-lock",
				   NULL, NULL, 0);

	free(id);
	return rc;
}

static int v_check_remove(struct fx *f, const svc_principal *p)
{
	return svc_ops_check_remove(f->st, p, "prod", f->check_id);
}

static int v_check_disable(struct fx *f, const svc_principal *p)
{
	return svc_ops_check_enable(f->st, p, "prod", f->check_id, 0);
}

static int export_one(struct fx *f, const svc_principal *p, unsigned flags)
{
	const char *names[] = { "prod" };
	char *text = NULL;
	size_t len = 0, n = 0;
	int rc = svc_ops_export(&text, &len, &n, f->st, p, names, 1, flags);

	if (!rc)
		assert_int_equal(n, 1);
	svc_secret_free(text, len);
	return rc;
}

static int v_export(struct fx *f, const svc_principal *p)
{
	return export_one(f, p, 0);
}

static int v_export_secrets(struct fx *f, const svc_principal *p)
{
	return export_one(f, p, SVC_EXPORT_SECRETS);
}

static int v_verify(struct fx *f, const svc_principal *p)
{
	svc_verify_result r;
	svc_catalog *cat = NULL;
	int rc;

	assert_int_equal(svc_catalog_new(&cat), 0);
	rc = svc_ops_verify(&r, NULL, NULL, f->st, p, cat, "prod", 0);
	if (!rc)
		svc_verify_result_clear(&r);
	svc_catalog_free(cat);
	return rc;
}

static int v_certs_check(struct fx *f, const svc_principal *p)
{
	svc_cert_report *r = NULL;
	svc_catalog *cat = NULL;
	svc_conn *c = NULL;
	int rc;

	/* checking a candidate reads prod's stored secrets */
	assert_int_equal(svc_store_conn_get(&c, f->st, "prod", 0), 0);
	assert_int_equal(svc_catalog_new(&cat), 0);
	rc = svc_ops_certs_check(&r, f->st, p, c, cat);
	svc_cert_report_free(r);
	svc_catalog_free(cat);
	svc_conn_free(c);
	return rc;
}

static int v_permit(struct fx *f, const svc_principal *p)
{
	svc_perm_request *r = NULL;
	int rc = svc_ops_request_permit(&r, f->st, p, f->request_id);

	if (!rc)
		assert_string_equal(r->pipeline, "deploy");
	svc_perm_requests_free(r, r ? 1 : 0);
	return rc;
}

static int v_bypass(struct fx *f, const svc_principal *p)
{
	return svc_ops_bypass(f->st, p, f->run_id);
}

static int v_create(struct fx *f, const svc_principal *p)
{
	svc_conn *c = NULL;
	int rc;

	assert_int_equal(svc_conn_new(&c, "generic", "new1"), 0);
	assert_int_equal(svc_conn_set_url(c, "http://127.0.0.1:3/"), 0);
	rc = svc_ops_conn_create(f->st, p, c);
	svc_conn_free(c);
	return rc;
}

static int v_import(struct fx *f, const svc_principal *p)
{
	svc_conn *c = NULL;
	int rc;

	assert_int_equal(svc_conn_new(&c, "generic", "imp1"), 0);
	assert_int_equal(svc_conn_set_url(c, "http://127.0.0.1:4/"), 0);
	rc = svc_ops_conn_import(f->st, p, &c, 1, 0);
	svc_conn_free(c);
	return rc;
}

static int v_rekey(struct fx *f, const svc_principal *p)
{
	return svc_ops_rekey(f->st, p);
}

static int v_audit(struct fx *f, const svc_principal *p)
{
	svc_audit_list *al = NULL;
	int rc = svc_ops_audit(&al, f->st, p, 0);

	svc_audit_list_free(al);
	return rc;
}

static int v_groups(struct fx *f, const svc_principal *p)
{
	char **s = NULL;
	size_t n = 0;
	int rc = svc_ops_group_list(&s, &n, f->st, p, NULL);

	svc_strings_free(s, n);
	return rc;
}

static int v_group_create(struct fx *f, const svc_principal *p)
{
	return svc_ops_group_create(f->st, p, "new-team");
}

static int v_group_join(struct fx *f, const svc_principal *p)
{
	/* joining the group that holds User on prod */
	return svc_ops_group_add(f->st, p, "ops-team", svc_principal_name(p));
}

static int v_group_leave(struct fx *f, const svc_principal *p)
{
	return svc_ops_group_remove(f->st, p, "ops-team", "gina");
}

static int v_group_delete(struct fx *f, const svc_principal *p)
{
	return svc_ops_group_delete(f->st, p, "ops-team");
}

static int v_store_roles(struct fx *f, const svc_principal *p)
{
	svc_role_entry *e = NULL;
	size_t n = 0;
	int rc = svc_ops_role_list(&e, &n, NULL, f->st, p, NULL);

	svc_role_entries_free(e, n);
	return rc;
}

static int v_store_grant(struct fx *f, const svc_principal *p)
{
	return svc_ops_role_set(f->st, p, NULL, "mallory", SVC_ROLE_ADMIN);
}

static int v_rescan(struct fx *f, const svc_principal *p)
{
	svc_catalog *cat = NULL;
	size_t n = 0;
	int rc;

	assert_int_equal(svc_catalog_new(&cat), 0);
	rc = svc_ops_cert_rescan(&n, f->st, p, cat);
	svc_catalog_free(cat);
	return rc;
}

/* One verb of the matrix. */
struct verb {
	const char *name;  /**< for failure messages */
	int (*call)(struct fx *f, const svc_principal *p); /**< the call */
	int on_store;      /**< the role is needed on the store, not prod */
	svc_role need;     /**< the least role that may */
	int changes;       /**< an allowed call changes the store */
};

static const struct verb verbs[] = {
	{ "show", v_show, 0, SVC_ROLE_READER, 0 },
	{ "show with secrets", v_show_secrets, 0, SVC_ROLE_ADMIN, 0 },
	{ "edit (begin)", v_edit_begin, 0, SVC_ROLE_ADMIN, 0 },
	{ "edit (store)", v_edit, 0, SVC_ROLE_ADMIN, 1 },
	{ "rename", v_rename, 0, SVC_ROLE_ADMIN, 1 },
	{ "delete", v_delete, 0, SVC_ROLE_ADMIN, 1 },
	{ "history", v_history, 0, SVC_ROLE_READER, 0 },
	{ "permissions", v_pipelines, 0, SVC_ROLE_READER, 0 },
	{ "permissions --add", v_allow, 0, SVC_ROLE_USER, 1 },
	{ "permissions --remove", v_disallow, 0, SVC_ROLE_USER, 1 },
	{ "permissions --all-pipelines", v_open_all, 0, SVC_ROLE_ADMIN, 1 },
	{ "permissions --restrict", v_restrict, 0, SVC_ROLE_USER, 1 },
	{ "security NAME", v_roles, 0, SVC_ROLE_READER, 0 },
	{ "security NAME --grant", v_grant, 0, SVC_ROLE_ADMIN, 1 },
	{ "security NAME --inherit", v_inherit, 0, SVC_ROLE_ADMIN, 1 },
	{ "checks", v_checks, 0, SVC_ROLE_READER, 0 },
	{ "checks add", v_check_add, 0, SVC_ROLE_USER, 1 },
	{ "checks remove", v_check_remove, 0, SVC_ROLE_USER, 1 },
	{ "checks disable", v_check_disable, 0, SVC_ROLE_USER, 1 },
	{ "export", v_export, 0, SVC_ROLE_READER, 0 },
	{ "export --include-secrets", v_export_secrets, 0, SVC_ROLE_ADMIN, 0 },
	{ "verify", v_verify, 0, SVC_ROLE_USER, 1 },
	{ "certificate check of an edit", v_certs_check, 0, SVC_ROLE_ADMIN, 0 },
	{ "permit", v_permit, 0, SVC_ROLE_USER, 1 },
	{ "bypass", v_bypass, 0, SVC_ROLE_ADMIN, 1 },
	{ "create", v_create, 1, SVC_ROLE_CREATOR, 1 },
	{ "import", v_import, 1, SVC_ROLE_CREATOR, 1 },
	{ "rekey", v_rekey, 1, SVC_ROLE_ADMIN, 1 },
	{ "audit", v_audit, 1, SVC_ROLE_ADMIN, 0 },
	{ "groups", v_groups, 1, SVC_ROLE_READER, 0 },
	{ "groups create", v_group_create, 1, SVC_ROLE_ADMIN, 1 },
	{ "groups add", v_group_join, 1, SVC_ROLE_ADMIN, 1 },
	{ "groups remove", v_group_leave, 1, SVC_ROLE_ADMIN, 1 },
	{ "groups delete", v_group_delete, 1, SVC_ROLE_ADMIN, 1 },
	{ "security", v_store_roles, 1, SVC_ROLE_READER, 0 },
	{ "security --grant", v_store_grant, 1, SVC_ROLE_ADMIN, 1 },
	{ "expiring --rescan", v_rescan, 1, SVC_ROLE_ADMIN, 1 },
};

/*
 * Every verb as every principal: refused ones change nothing and say who
 * needs which role where; allowed ones succeed, and each change leaves one
 * audit record under the principal's audit name.
 */
static void test_matrix(void **state)
{
	size_t v, w;
	struct fx f;

	(void)state;
	for (v = 0; v < sizeof(verbs) / sizeof(verbs[0]); v++) {
		const struct verb *vb = &verbs[v];

		fx_up(&f);
		for (w = 0; w < NPEOPLE; w++) {
			const struct who *pw = &people[w];
			svc_role have = vb->on_store ? pw->on_store : pw->on_conn;
			svc_principal *p = principal(pw);
			char *before = fingerprint(&f), *after, *actor = NULL;
			size_t nbefore = audit_last(&f, NULL);
			int rc = vb->call(&f, p);

			if (have < vb->need) {
				const char *msg = svc_error_last();

				if (rc != SVC_EDENIED)
					fail_msg("%s as %s: %d, want refused", vb->name,
						 svc_principal_audit_name(p), rc);
				assert_non_null(strstr(msg, "permission denied"));
				assert_non_null(strstr(msg, svc_principal_name(p)));
				assert_non_null(strstr(msg, svc_role_name(vb->need)));
				assert_non_null(strstr(msg, vb->on_store ? "the store"
									 : "'prod'"));
				after = fingerprint(&f);
				if (strcmp(before, after))
					fail_msg("%s as %s: refused but the store changed",
						 vb->name, svc_principal_audit_name(p));
				free(after);
			} else {
				if (rc != 0)
					fail_msg("%s as %s: %d (%s), want allowed",
						 vb->name, svc_principal_audit_name(p), rc,
						 svc_error_last());
				if (audit_last(&f, &actor) !=
				    nbefore + (vb->changes ? 1 : 0))
					fail_msg("%s as %s: not one audit record per change",
						 vb->name, svc_principal_audit_name(p));
				if (vb->changes)
					assert_string_equal(actor,
							    svc_principal_audit_name(p));
				free(actor);
			}
			svc_secret_free(before, strlen(before));
			svc_principal_free(p);
			if (have >= vb->need && vb->changes) {
				/* the next principal meets the store as it was */
				fx_down(&f);
				fx_up(&f);
			}
		}
		fx_down(&f);
	}
}

/* The OS user's name, as svc_principal_local() finds it. */
static const char *os_user(void)
{
	struct passwd *pw = getpwuid(geteuid());

	assert_non_null(pw);
	return pw->pw_name;
}

/* Lists show only what the principal may read; an export of everything
 * by one who may not read everything is refused whole. */
/* 1 when needle is in hay ignoring ASCII case (the filter's text rule). */
static int has_text(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return 1;
	return 0;
}

/* 1 when record e matches f by the header's rules (f's times in full). */
static int audit_match(const svc_audit_entry *e, const svc_audit_filter *f)
{
	return (!f->action || !strcmp(e->action, f->action)) &&
	       (!f->actor || !strcmp(e->actor, f->actor)) &&
	       (!f->conn || !strcmp(e->conn_id, f->conn) ||
		!strcmp(e->conn_name, f->conn)) &&
	       (!f->from || strcmp(e->at, f->from) >= 0) &&
	       (!f->until || strcmp(e->at, f->until) < 0) &&
	       (!f->text || has_text(e->actor, f->text) ||
		has_text(e->action, f->text) || has_text(e->conn_name, f->text) ||
		has_text(e->detail, f->text));
}

/*
 * svc_ops_audit_query(f) gives exactly the records that matching every
 * record by hand selects (the newest f->limit after f->skip, oldest
 * first); returns how many.
 */
static size_t audit_same(struct fx *f, const svc_audit_filter *flt)
{
	svc_audit_list *all = NULL, *got = NULL;
	long long want[256];
	size_t n, i, k = 0, first, last;

	assert_int_equal(svc_store_audit(&all, f->st, 0), 0);
	n = svc_audit_list_count(all);
	assert_true(n <= 256);
	for (i = 0; i < n; i++)
		if (audit_match(svc_audit_list_at(all, i), flt))
			want[k++] = svc_audit_list_at(all, i)->seq;
	svc_audit_list_free(all);
	last = flt->skip < k ? k - flt->skip : 0;
	first = flt->limit && flt->limit < last ? last - flt->limit : 0;
	assert_int_equal(svc_ops_audit_query(&got, f->st, f->admin, flt), 0);
	assert_int_equal(svc_audit_list_count(got), last - first);
	for (i = first; i < last; i++)
		assert_int_equal(svc_audit_list_at(got, i - first)->seq, want[i]);
	svc_audit_list_free(got);
	return last - first;
}

/*
 * The audit filter on this engine (SQLite, or PostgreSQL as
 * test_ops_pg): each condition alone and together, pages of it, a time
 * range around records written at known times, LIKE's own characters
 * taken literally; a time that is not one and an unknown version
 * refused; a Reader refused as by svc_ops_audit.
 */
static void test_audit_filter(void **state)
{
	struct fx f;
	svc_audit_filter flt;
	svc_audit_list *l = NULL;
	svc_principal *rita;

	(void)state;
	fx_up(&f);
	rita = principal(&people[2]);
	assert_int_equal(setenv("SVCCONN_NOW", "2020-01-01T10:00:00Z", 1), 0);
	assert_int_equal(svc_ops_role_set(f.st, f.admin, "prod", "odd%_name",
					  SVC_ROLE_READER), 0);
	assert_int_equal(setenv("SVCCONN_NOW", "2020-02-01T10:00:00Z", 1), 0);
	assert_int_equal(svc_ops_role_set(f.st, f.admin, "prod", "oddXYname",
					  SVC_ROLE_READER), 0);
	unsetenv("SVCCONN_NOW");
	memset(&flt, 0, sizeof(flt));
	flt.version = SVC_AUDIT_FILTER_VERSION;
	assert_true(audit_same(&f, &flt) >= 10);
	flt.action = "role-set";
	assert_true(audit_same(&f, &flt) >= 5);
	flt.conn = "prod";
	assert_true(audit_same(&f, &flt) >= 4);
	flt.conn = f.prod;
	assert_true(audit_same(&f, &flt) >= 4);
	flt.actor = "admin";
	assert_true(audit_same(&f, &flt) >= 4);
	flt.limit = 2;
	flt.skip = 1;
	assert_int_equal(audit_same(&f, &flt), 2);
	flt.skip = 1000;
	assert_int_equal(audit_same(&f, &flt), 0);
	memset(&flt, 0, sizeof(flt));
	flt.version = SVC_AUDIT_FILTER_VERSION;
	/* the forms of a time, each as the full time it means */
	flt.from = "2019-12-31";
	flt.until = "2020-01-31T00:00";
	assert_int_equal(svc_ops_audit_query(&l, f.st, f.admin, &flt), 0);
	assert_int_equal(svc_audit_list_count(l), 1);
	assert_string_equal(svc_audit_list_at(l, 0)->at, "2020-01-01T10:00:00Z");
	svc_audit_list_free(l);
	l = NULL;
	flt.from = "2020-01-01T10:00:00Z";
	flt.until = "2020-02-01T10:00:00";
	assert_int_equal(audit_same(&f, &flt), 1);
	flt.until = NULL;
	flt.from = "2020-02-01T10:00:01Z";
	assert_true(audit_same(&f, &flt) >= 10);
	/* LIKE's % and _ are the text's own characters */
	flt.from = NULL;
	flt.text = "ODD%_";
	assert_int_equal(audit_same(&f, &flt), 1);
	flt.text = "odd";
	assert_int_equal(audit_same(&f, &flt), 2);
	flt.text = "Role-SET";
	assert_true(audit_same(&f, &flt) >= 5);
	flt.text = NULL;
	flt.until = "2020-13-45";
	assert_int_equal(svc_ops_audit_query(&l, f.st, f.admin, &flt), SVC_EINVALID);
	assert_non_null(strstr(svc_error_last(), "'until'"));
	flt.until = NULL;
	assert_int_equal(svc_ops_audit_query(&l, f.st, rita, &flt), SVC_EDENIED);
	flt.version = 99;
	assert_int_equal(svc_ops_audit_query(&l, f.st, f.admin, &flt), SVC_EINVALID);
	assert_null(l);
	svc_principal_free(rita);
	fx_down(&f);
}

static void test_lists_are_filtered(void **state)
{
	svc_principal *nobody = principal(&people[0]);
	svc_principal *rita = principal(&people[2]);
	svc_conn **l = NULL;
	svc_perm_request *q = NULL;
	svc_cert_expiry *e = NULL;
	char *text = NULL;
	size_t n = 0, len = 0, k = 0;
	struct fx f;

	(void)state;
	fx_up(&f);
	assert_int_equal(svc_ops_conn_list(&l, &n, f.st, nobody), 0);
	assert_int_equal(n, 0);
	svc_store_conn_list_free(l, n);
	assert_int_equal(svc_ops_conn_list(&l, &n, f.st, rita), 0);
	assert_int_equal(n, 1);
	assert_string_equal(svc_conn_name(l[0]), "prod");
	svc_store_conn_list_free(l, n);
	assert_int_equal(svc_ops_request_list(&q, &n, f.st, nobody, 0), 0);
	assert_int_equal(n, 0);
	svc_perm_requests_free(q, n);
	assert_int_equal(svc_ops_request_list(&q, &n, f.st, rita, 0), 0);
	assert_int_equal(n, 1);
	assert_string_equal(q[0].pipeline, "deploy");
	svc_perm_requests_free(q, n);
	assert_int_equal(svc_ops_cert_expiry_list(&e, &n, f.st, nobody), 0);
	assert_int_equal(n, 0);
	svc_cert_expiry_list_free(e, n);
	assert_int_equal(svc_ops_cert_expiry_list(&e, &n, f.st, rita), 0);
	assert_int_equal(n, 1);
	assert_string_equal(e[0].name, "prod");
	svc_cert_expiry_list_free(e, n);
	/* rita reads prod, but not a second connection: all or nothing */
	assert_int_equal(v_create(&f, f.admin), 0);
	assert_int_equal(svc_ops_export(&text, &len, &k, f.st, rita, NULL, 0, 0),
			 SVC_EDENIED);
	assert_non_null(strstr(svc_error_last(), "'new1'"));
	assert_null(text);
	assert_int_equal(svc_ops_export(&text, &len, &k, f.st, f.admin, NULL, 0,
					0), 0);
	assert_int_equal(k, 2);
	svc_secret_free(text, len);
	svc_principal_free(nobody);
	svc_principal_free(rita);
	fx_down(&f);
}

/* Create a plain connection named name as the administrator. */
static void plain_conn(struct fx *f, const char *name)
{
	svc_conn *c = NULL;

	assert_int_equal(svc_conn_new(&c, "generic", name), 0);
	assert_int_equal(svc_conn_set_url(c, "http://127.0.0.1:3/"), 0);
	assert_int_equal(svc_ops_conn_create(f->st, f->admin, c), 0);
	svc_conn_free(c);
}

/*
 * One listing with expiries (svc_ops_conn_list_expiry, what `list` and
 * `expiring` call) decides, with the principal's roles looked up once,
 * exactly what a role lookup per connection decides: for every principal
 * of the matrix and an agent, over connections readable by an explicit
 * role, through a group, by inheritance (Creator on the store counting as
 * Reader), not inherited, and shared from another project (its roles
 * there, the listing project's at most User), the connections are those where
 * svc_ops_role gives Reader or more, in the store's order, and the
 * expiries are theirs, the same as svc_ops_cert_expiry_list's.
 */
static void test_list_with_expiry_decides_per_connection(void **state)
{
	svc_conn **all = NULL, **l = NULL;
	svc_cert_expiry *e = NULL, *e2 = NULL;
	size_t nall = 0, n = 0, ne = 0, ne2 = 0, i, j, k, seen = 0;
	struct fx f;

	(void)state;
	fx_up(&f);
	plain_conn(&f, "a-open");
	plain_conn(&f, "m-closed");
	plain_conn(&f, "z-open");
	assert_int_equal(svc_ops_inherit_set(f.st, f.admin, "m-closed", 0), 0);
	assert_int_equal(svc_ops_role_set(f.st, f.admin, "m-closed", "ops-team",
					  SVC_ROLE_READER), 0);
	assert_int_equal(svc_ops_role_set(f.st, f.admin, NULL, "rita",
					  SVC_ROLE_READER), 0);
	/* one of project p2 shared into default: p2's roles count on it,
	 * default's at most User */
	assert_int_equal(svc_ops_project_create(NULL, f.st, f.admin, "p2",
						NULL), 0);
	assert_int_equal(svc_principal_set_project(f.admin, "p2"), 0);
	plain_conn(&f, "p2-conn");
	assert_int_equal(svc_ops_project_role_set(f.st, f.admin, "ursula",
						  SVC_ROLE_READER), 0);
	assert_int_equal(svc_ops_conn_share(f.st, f.admin, "p2-conn",
					    "default", "from-p2", NULL), 0);
	assert_int_equal(svc_principal_set_project(f.admin, "default"), 0);
	assert_int_equal(svc_ops_project_role_set(f.st, f.admin, "gina",
						  SVC_ROLE_ADMIN), 0);
	assert_int_equal(svc_ops_project_enter(f.st, f.admin), 0);
	assert_int_equal(svc_store_conn_list(&all, &nall, f.st), 0);
	assert_int_equal(nall, 5);
	for (i = 0; i <= NPEOPLE; i++) {
		svc_principal *p = i < NPEOPLE ? principal(&people[i]) : NULL;

		if (!p)
			assert_int_equal(svc_principal_new(&p, SVC_PRINCIPAL_AGENT,
							   "rita", "test"), 0);
		assert_int_equal(svc_ops_conn_list_expiry(&l, &n, &e, &ne, f.st,
							  p), 0);
		for (j = 0, k = 0; j < nall; j++) {
			svc_role r = SVC_ROLE_NONE;
			int reads = i < NPEOPLE &&
				svc_ops_role(&r, f.st, p, svc_conn_id(all[j])) == 0 &&
				r >= SVC_ROLE_READER;

			if (!reads)
				continue;
			assert_true(k < n);
			assert_string_equal(svc_conn_id(l[k]), svc_conn_id(all[j]));
			k++;
		}
		assert_int_equal(k, n);
		seen += n;
		/* every listed connection's expiry, and no other */
		assert_int_equal(ne, n);
		for (j = 0; j < ne; j++) {
			for (k = 0; k < n; k++)
				if (!strcmp(svc_conn_id(l[k]), e[j].conn_id))
					break;
			assert_true(k < n);
		}
		assert_int_equal(svc_ops_cert_expiry_list(&e2, &ne2, f.st, p), 0);
		assert_int_equal(ne2, ne);
		for (j = 0; j < ne; j++)
			assert_string_equal(e2[j].conn_id, e[j].conn_id);
		svc_cert_expiry_list_free(e2, ne2);
		svc_cert_expiry_list_free(e, ne);
		svc_store_conn_list_free(l, n);
		svc_principal_free(p);
	}
	/* the matrix is not trivial: some see some, not all see all */
	assert_true(seen > 0 && seen < (NPEOPLE + 1) * nall);
	svc_store_conn_list_free(all, nall);
	fx_down(&f);
}

/* Decide p on the fixture's approval; the new audit records' actor. */
static int decide(struct fx *f, const svc_principal *p, const char *what)
{
	return svc_ops_decide(f->st, p, f->run_id, what, NULL, NULL);
}

/*
 * The requester of a run cannot approve it under any name: not as
 * herself, not as the OS user impersonating her, and the OS user who
 * queued a run cannot approve it by impersonating an approver.  Who is
 * not an approver cannot decide; an approver's decision is recorded under
 * the audit name.
 */
static void test_requester_cannot_approve(void **state)
{
	const struct who rita_as = { "@rita", 0, 0 }, ursula_as = { "@ursula", 0, 0 };
	const struct who ursula = { "ursula", 0, 0 };
	svc_principal *p;
	svc_approval *a = NULL;
	size_t n = 0;
	char *before, *after, *actor = NULL, want[600];
	struct fx f;

	(void)state;
	fx_up(&f);
	/* rita requested run 1: make her an approver too */
	assert_int_equal(svc_ops_check_remove(f.st, f.admin, "prod", f.check_id), 0);
	{
		const char *keys[] = { "approvers" }, *vals[] = { "rita,ursula" };
		const char *ids[] = { f.prod };
		svc_gate_report *rep = NULL;
		svc_run run;
		size_t i;

		free(f.check_id);
		free(f.run_id);
		f.run_id = NULL;
		assert_int_equal(svc_ops_check_add(&f.check_id, f.st, f.admin, "prod",
						   "approval", keys, vals, 1), 0);
		memset(&run, 0, sizeof(run));
		run.pipeline = "build";
		run.run_id = "2";
		run.stage = "deploy";
		run.job = "job";
		run.branch = "refs/heads/main";
		run.requested_by = "rita";
		assert_int_equal(svc_authz_gate(&rep, f.st, &run, ids, 1, 0), 0);
		for (i = 0; i < rep->nitems; i++)
			if (rep->items[i].check_run_id)
				f.run_id = strdup(rep->items[i].check_run_id);
		svc_gate_report_free(rep);
		assert_non_null(f.run_id);
	}
	/* rita, and the OS user as rita: refused, nothing recorded but the
	 * refusals' audit records */
	p = principal(&rita_as);
	before = fingerprint(&f);
	n = audit_last(&f, NULL);
	assert_int_equal(decide(&f, p, "approve"), SVC_EDENIED);
	assert_non_null(strstr(svc_error_last(), "requested this run"));
	svc_principal_free(p);
	p = principal(&people[2]);
	assert_int_equal(decide(&f, p, "approve"), SVC_EDENIED);
	svc_principal_free(p);
	/* not an approver at all */
	p = principal(&people[0]);
	assert_int_equal(decide(&f, p, "approve"), SVC_EDENIED);
	assert_non_null(strstr(svc_error_last(), "not an approver"));
	svc_principal_free(p);
	/* an agent (or a job) named as an approver decides nothing */
	assert_int_equal(svc_principal_new(&p, SVC_PRINCIPAL_AGENT, "ursula",
					   "token"), 0);
	assert_int_equal(decide(&f, p, "approve"), SVC_EDENIED);
	assert_non_null(strstr(svc_error_last(), "is not a user"));
	assert_int_equal(svc_ops_bypass(f.st, p, f.run_id), SVC_EDENIED);
	svc_principal_free(p);
	assert_int_equal(audit_last(&f, &actor), n + 4);
	assert_string_equal(actor, "ursula");
	free(actor);
	actor = NULL;
	{
		svc_audit_list *al = NULL;
		size_t i, k = 0;

		assert_int_equal(svc_store_audit(&al, f.st, 0), 0);
		for (i = n; i < svc_audit_list_count(al); i++)
			k += !strcmp(svc_audit_list_at(al, i)->action,
				     "approval-refused") &&
			     !strcmp(svc_audit_list_at(al, i)->conn_id, f.prod);
		assert_int_equal(k, 4);
		svc_audit_list_free(al);
	}
	after = fingerprint(&f);
	/* the same store but for those four records */
	{
		char *x = strstr(before, "\naudit "), *y = strstr(after, "\naudit ");

		assert_non_null(x);
		assert_non_null(y);
		assert_int_equal(x - before, y - after);
		assert_memory_equal(before, after, (size_t)(x - before));
		assert_string_equal(strchr(x + 1, '\n'), strchr(y + 1, '\n'));
	}
	svc_secret_free(after, strlen(after));
	svc_secret_free(before, strlen(before));
	/* the OS user queued a run: impersonating ursula does not let it
	 * approve that run (its real identity is the requester) */
	{
		const char *ids[] = { f.prod };
		svc_gate_report *rep = NULL;
		svc_run run;
		char *mine = NULL;
		size_t i;

		memset(&run, 0, sizeof(run));
		run.pipeline = "build";
		run.run_id = "3";
		run.stage = "deploy";
		run.job = "job";
		run.branch = "refs/heads/main";
		run.requested_by = os_user();
		assert_int_equal(svc_authz_gate(&rep, f.st, &run, ids, 1, 0), 0);
		for (i = 0; i < rep->nitems; i++)
			if (rep->items[i].check_run_id)
				mine = strdup(rep->items[i].check_run_id);
		svc_gate_report_free(rep);
		assert_non_null(mine);
		p = principal(&ursula_as);
		if (strcmp(os_user(), "ursula")) {
			assert_int_equal(svc_ops_decide(f.st, p, mine, "approve",
							NULL, NULL), SVC_EDENIED);
			assert_non_null(strstr(svc_error_last(), "requested this run"));
		}
		/* a rejection is not an approval: the requester may reject */
		assert_int_equal(svc_ops_decide(f.st, p, mine, "reject", NULL,
						NULL), 0);
		svc_principal_free(p);
		free(mine);
	}
	/* ursula (authenticated as herself) approves rita's run; the OS user
	 * impersonating ursula is recorded as such */
	p = principal(&ursula);
	n = audit_last(&f, NULL);
	assert_int_equal(decide(&f, p, "approve"), 0);
	assert_int_equal(audit_last(&f, &actor), n + 1);
	assert_string_equal(actor, "ursula");
	free(actor);
	svc_principal_free(p);
	assert_int_equal(svc_store_approval_list(&a, &n, f.st, f.run_id), 0);
	assert_int_equal(n, 1);
	assert_string_equal(a[0].actor, "ursula");
	svc_approvals_free(a, n);
	p = principal(&ursula_as);
	snprintf(want, sizeof(want), "%s as ursula", os_user());
	if (strcmp(os_user(), "ursula"))
		assert_string_equal(svc_principal_audit_name(p), want);
	svc_principal_free(p);
	fx_down(&f);
}

/* What a principal is made of, and the names that are refused. */
static void test_principals(void **state)
{
	svc_principal *p = NULL;
	char want[600];

	(void)state;
	unsetenv("SVCCONN_USER");
	assert_int_equal(svc_principal_local(&p), 0);
	assert_string_equal(svc_principal_name(p), os_user());
	assert_string_equal(svc_principal_real(p), os_user());
	assert_string_equal(svc_principal_audit_name(p), os_user());
	assert_string_equal(svc_principal_authn(p), "os");
	assert_int_equal(svc_principal_kind_get(p), SVC_PRINCIPAL_USER);
	assert_int_equal(svc_principal_impersonating(p), 0);
	svc_principal_free(p);
	assert_int_equal(setenv("SVCCONN_USER", "alice", 1), 0);
	assert_int_equal(svc_principal_local(&p), 0);
	assert_string_equal(svc_principal_name(p), "alice");
	assert_string_equal(svc_principal_real(p), os_user());
	snprintf(want, sizeof(want), "%s as alice", os_user());
	if (strcmp(os_user(), "alice")) {
		assert_string_equal(svc_principal_audit_name(p), want);
		assert_int_equal(svc_principal_impersonating(p), 1);
	}
	svc_principal_free(p);
	p = NULL;
	/* names that would forge an audit line */
	assert_int_equal(setenv("SVCCONN_USER", "mallory as alice", 1), 0);
	assert_int_equal(svc_principal_local(&p), SVC_EINVALID);
	assert_int_equal(setenv("SVCCONN_USER", "alice\nroot", 1), 0);
	assert_int_equal(svc_principal_local(&p), SVC_EINVALID);
	assert_null(p);
	unsetenv("SVCCONN_USER");
	assert_int_equal(svc_principal_new(&p, SVC_PRINCIPAL_AGENT, "agent-7",
					   "token"), 0);
	assert_string_equal(svc_principal_audit_name(p), "agent-7");
	assert_string_equal(svc_principal_authn(p), "token");
	assert_int_equal(svc_principal_kind_get(p), SVC_PRINCIPAL_AGENT);
	svc_principal_free(p);
	p = NULL;
	assert_int_equal(svc_principal_new(&p, SVC_PRINCIPAL_JOB, "", "job-token"),
			 SVC_EINVALID);
	assert_int_equal(svc_principal_new(&p, (svc_principal_kind)9, "x", "y"),
			 SVC_EINVALID);
	assert_null(p);
	svc_principal_free(NULL);
}

/* The waiting records of run_id/job of "build" on prod. */
static size_t waiting_records(struct fx *f, const char *run_id,
			      const char *job)
{
	svc_usage *u = NULL;
	size_t n = 0, i, w = 0;

	assert_int_equal(svc_store_usage_list(&u, &n, f->st, f->prod, 0), 0);
	for (i = 0; i < n; i++)
		if (!strcmp(u[i].decision, "waiting") &&
		    !strcmp(u[i].run_id, run_id) && u[i].job &&
		    !strcmp(u[i].job, job))
			w++;
	svc_usages_free(u, n);
	return w;
}

/*
 * A run asked again while it waits for the same thing (a held job start,
 * woken by every commit that can release it) has one waiting record; a
 * record is added when what it waits for changes, and per job.
 */
static void test_waiting_recorded_once(void **state)
{
	struct fx f;
	svc_gate_report *rep = NULL;
	svc_run run;
	const char *ids[1];
	const char *keys[] = { "approvers" }, *vals[] = { "gina" };
	char *check2 = NULL;
	int i;

	(void)state;
	fx_up(&f);
	deploy_run(&run);
	ids[0] = f.prod;
	assert_int_equal(waiting_records(&f, "1", "job"), 1);
	for (i = 0; i < 3; i++) {
		assert_int_equal(svc_authz_gate(&rep, f.st, &run, ids, 1, 0), 0);
		assert_int_equal(rep->status, SVC_GATE_WAITING);
		svc_gate_report_free(rep);
		rep = NULL;
	}
	assert_int_equal(waiting_records(&f, "1", "job"), 1);
	/* another job of the run has its own */
	run.job = "job2";
	assert_int_equal(svc_authz_gate(&rep, f.st, &run, ids, 1, 0), 0);
	svc_gate_report_free(rep);
	rep = NULL;
	assert_int_equal(waiting_records(&f, "1", "job2"), 1);
	/* what it waits for changes (a second approval, of others):
	 * recorded again */
	run.job = "job";
	assert_int_equal(svc_ops_check_add(&check2, f.st, f.admin, "prod",
					   "approval", keys, vals, 1), 0);
	assert_int_equal(svc_authz_gate(&rep, f.st, &run, ids, 1, 0), 0);
	assert_int_equal(rep->status, SVC_GATE_WAITING);
	svc_gate_report_free(rep);
	assert_int_equal(waiting_records(&f, "1", "job"), 2);
	free(check2);
	fx_down(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_principals),
		cmocka_unit_test(test_matrix),
		cmocka_unit_test(test_lists_are_filtered),
		cmocka_unit_test(test_list_with_expiry_decides_per_connection),
		cmocka_unit_test(test_requester_cannot_approve),
		cmocka_unit_test(test_audit_filter),
		cmocka_unit_test(test_waiting_recorded_once),
	};

	/* the impersonation is made per principal; start without one */
	unsetenv("SVCCONN_USER");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
