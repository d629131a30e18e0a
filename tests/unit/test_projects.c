/*
 * test_projects.c - projects (docs/projects.md): the schema 10 migration
 * keeps every row of a store the previous schema made, connection names
 * are unique within a project, and a principal with a role only in
 * project A cannot list, show or use B's connections (they are not found,
 * not refused) until one is shared into A, under its name there; an
 * unshare takes it away again; roles granted at project scope reach the
 * connections the project owns.  A plan (svc_plan_build) resolves its
 * references as that list would, reading only the connections they name.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "svcconn/ops.h"
#include "svcconn/pipeline.h"
#include "store/store_int.h"
#include "store/store_write.h"
#include "util/buf.h"

struct fx {
	char *dir;              /**< temporary directory (removed after) */
	svc_store_options opts; /**< options pointing at dir/home */
	svc_store *st;          /**< the open store */
	svc_principal *admin;   /**< the store's administrator */
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->dir = tu_mkdtemp();
	f->opts.version = SVC_STORE_OPTIONS_VERSION;
	f->opts.home = tu_path(f->dir, "home");
	f->opts.database = tu_database();
	assert_int_equal(svc_principal_new(&f->admin, SVC_PRINCIPAL_USER,
					   "admin", "test"), 0);
	assert_int_equal(svc_ops_store_init(&f->opts, f->admin), 0);
	assert_int_equal(svc_store_open(&f->st, &f->opts), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	svc_store_free(f->st);
	svc_principal_free(f->admin);
	tu_rm_rf(f->dir);
	free((char *)f->opts.home);
	free(f->dir);
	free(f);
	return 0;
}

/* A user principal acting in project (NULL: default). */
static svc_principal *user(const char *name, const char *project)
{
	svc_principal *p = NULL;

	assert_int_equal(svc_principal_new(&p, SVC_PRINCIPAL_USER, name,
					   "test"), 0);
	assert_int_equal(svc_principal_set_project(p, project), 0);
	return p;
}

/* Create a generic connection name with a secret as p; its id to id. */
static int mkconn(struct fx *f, const svc_principal *p, const char *name,
		  char id[SVC_ID_LEN + 1])
{
	svc_conn *c = NULL;
	int rc;

	assert_int_equal(svc_conn_new(&c, "generic", name), 0);
	assert_int_equal(svc_conn_set_scheme(c, "UsernamePassword"), 0);
	assert_int_equal(svc_conn_set_url(c, "https://example.com/"), 0);
	assert_int_equal(svc_conn_set_field(c, "username", "u", 1), 0);
	assert_int_equal(svc_conn_set_field_class(c, "username",
						  SVC_FIELD_AUTH, 0), 0);
	assert_int_equal(svc_conn_set_field(c, "password", "pw-secret", 9), 0);
	assert_int_equal(svc_conn_set_field_class(c, "password",
						  SVC_FIELD_AUTH, 1), 0);
	rc = svc_ops_conn_create(f->st, p, c);
	if (rc == 0 && id)
		snprintf(id, SVC_ID_LEN + 1, "%s", svc_conn_id(c));
	svc_conn_free(c);
	return rc;
}

/* The names of the connections p lists, comma-separated, in out. */
static void names(char *out, size_t size, struct fx *f, const svc_principal *p)
{
	svc_conn **l = NULL;
	size_t n = 0, i, used = 0;

	assert_int_equal(svc_ops_conn_list(&l, &n, f->st, p), 0);
	out[0] = '\0';
	for (i = 0; i < n; i++)
		used += (size_t)snprintf(out + used, size - used, "%s%s",
					 i ? "," : "", svc_conn_name(l[i]));
	svc_store_conn_list_free(l, n);
}

/* ---- the migration ------------------------------------------------------ */

/* Run sql on the store's database (no foreign keys, as sqlite3 does). */
static void raw_exec(const char *path, const char *sql)
{
	sqlite3 *db;
	char *err = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s", err);
	sqlite3_close(db);
}

/* "table=count;" for every table but those added after schema 9, into b. */
static void table_counts(svc_buf *b, const char *path)
{
	sqlite3 *db;
	sqlite3_stmt *t, *c;
	char sql[128];

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db,
		"SELECT name FROM sqlite_master WHERE type = 'table' AND "
		"name NOT LIKE 'sqlite_%' AND name NOT IN ('projects', "
		"'conn_shares', 'user_passwords', 'console_sessions') ORDER BY name", -1, &t, NULL), SQLITE_OK);
	while (sqlite3_step(t) == SQLITE_ROW) {
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM \"%s\"",
			 (const char *)sqlite3_column_text(t, 0));
		assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &c, NULL),
				 SQLITE_OK);
		assert_int_equal(sqlite3_step(c), SQLITE_ROW);
		/* the previous schema had a row in every table */
		assert_true(sqlite3_column_int(c, 0) > 0);
		buf_printf(b, "%s=%d;", sqlite3_column_text(t, 0),
			   sqlite3_column_int(c, 0));
		sqlite3_finalize(c);
	}
	sqlite3_finalize(t);
	sqlite3_close(db);
}

/* Schema 10 taken back to exactly what schema 9 created. */
static const char back_to_v9[] =
	"CREATE TABLE c9 ("
	"  id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE COLLATE NOCASE,"
	"  type TEXT NOT NULL, scheme TEXT, url TEXT, description TEXT,"
	"  created_by TEXT NOT NULL, created_at TEXT NOT NULL,"
	"  updated_by TEXT NOT NULL, updated_at TEXT NOT NULL,"
	"  all_pipelines INTEGER NOT NULL DEFAULT 0,"
	"  inherit_roles INTEGER NOT NULL DEFAULT 1);"
	"INSERT INTO c9 SELECT id, name, type, scheme, url, description,"
	"  created_by, created_at, updated_by, updated_at, all_pipelines,"
	"  inherit_roles FROM connections;"
	"DROP TABLE connections; ALTER TABLE c9 RENAME TO connections;"
	"CREATE TABLE r9 (conn_id TEXT NOT NULL DEFAULT '',"
	"  principal TEXT NOT NULL,"
	"  role INTEGER NOT NULL CHECK (role BETWEEN 1 AND 4),"
	"  assigned_by TEXT NOT NULL, assigned_at TEXT NOT NULL,"
	"  PRIMARY KEY (conn_id, principal));"
	"INSERT INTO r9 SELECT conn_id, principal, role, assigned_by,"
	"  assigned_at FROM role_assignments;"
	"DROP TABLE role_assignments; ALTER TABLE r9 RENAME TO role_assignments;"
	"CREATE INDEX role_assignments_principal ON role_assignments (principal);"
	"CREATE TABLE p9 (conn_id TEXT NOT NULL"
	"  REFERENCES connections(id) ON DELETE CASCADE,"
	"  pipeline TEXT NOT NULL COLLATE NOCASE, added_by TEXT NOT NULL,"
	"  added_at TEXT NOT NULL, PRIMARY KEY (conn_id, pipeline));"
	"INSERT INTO p9 SELECT conn_id, pipeline, added_by, added_at"
	"  FROM pipeline_permissions;"
	"DROP TABLE pipeline_permissions;"
	"ALTER TABLE p9 RENAME TO pipeline_permissions;"
	"CREATE TABLE d9 (name TEXT PRIMARY KEY COLLATE NOCASE,"
	"  conn_id TEXT NOT NULL REFERENCES connections(id) ON DELETE CASCADE,"
	"  url TEXT NOT NULL, path TEXT NOT NULL, branch TEXT,"
	"  created_by TEXT NOT NULL, created INTEGER NOT NULL);"
	"INSERT INTO d9 SELECT name, conn_id, url, path, branch, created_by,"
	"  created FROM pipeline_defs;"
	"DROP TABLE pipeline_defs; ALTER TABLE d9 RENAME TO pipeline_defs;"
	"ALTER TABLE permission_requests DROP COLUMN project_id;"
	"ALTER TABLE agent_jobs DROP COLUMN project_id;"
	"DROP TABLE conn_shares; DROP TABLE projects;"
	"PRAGMA user_version = 9;";

static void test_migration_keeps_every_row(void **state)
{
	struct fx *f = *state;
	const char *keys[] = { "approvers" }, *vals[] = { "admin" };
	char a[SVC_ID_LEN + 1], b[SVC_ID_LEN + 1], *check = NULL, *req = NULL;
	char *db, sql[4096];
	svc_buf before, after;
	svc_gate_report *rep = NULL;
	svc_conn *c = NULL;
	svc_run run;
	const char *ids[1];
	svc_project *pr = NULL;
	size_t n = 0;

	if (f->opts.database) {
		print_message("skipped on PostgreSQL: the migration from "
			      "SQLite's schema 9 (PostgreSQL's starts at 10)\n");
		skip();
	}
	db = strdup(svc_store_db_path(f->st));
	/* rows in every table, made through the library where it can */
	assert_int_equal(mkconn(f, f->admin, "alpha", a), 0);
	assert_int_equal(mkconn(f, f->admin, "beta", b), 0);
	assert_int_equal(svc_ops_role_set(f->st, f->admin, "alpha", "rita",
					  SVC_ROLE_READER), 0);
	assert_int_equal(svc_ops_group_create(f->st, f->admin, "team"), 0);
	assert_int_equal(svc_ops_group_add(f->st, f->admin, "team", "gina"), 0);
	assert_int_equal(svc_ops_pipeline_allow(f->st, f->admin, "alpha",
						"build"), 0);
	assert_int_equal(svc_ops_check_add(&check, f->st, f->admin, "alpha",
					   "approval", keys, vals, 1), 0);
	assert_int_equal(svc_store_request_open(&req, f->st, b, "deploy", "7",
						"rita"), 0);
	memset(&run, 0, sizeof(run));
	run.pipeline = "build";
	run.run_id = "1";
	run.stage = "s";
	run.job = "j";
	run.requested_by = "rita";
	ids[0] = a;
	assert_int_equal(svc_authz_gate(&rep, f->st, &run, ids, 1, 0), 0);
	for (n = 0; n < rep->nitems; n++)
		if (rep->items[n].check_run_id)
			assert_int_equal(svc_ops_decide(f->st, f->admin,
						rep->items[n].check_run_id,
						"approve", "ok", NULL), 0);
	svc_gate_report_free(rep);
	n = 0;
	svc_store_free(f->st);
	f->st = NULL;
	snprintf(sql, sizeof(sql),
		 "INSERT INTO git_credentials (protocol, host, username,"
		 " sealed_password, key_id, created_at, updated_at)"
		 " VALUES ('https', 'h', 'u', x'00', 'k', 't', 't');"
		 "INSERT OR IGNORE INTO cert_expiry (conn_id, checked_at)"
		 " VALUES ('%s', 't');"
		 "INSERT INTO oidc_keys (kid, alg, sealed_key, key_id,"
		 " created_at) VALUES ('kid', 'ES256', x'00', 'k', 1);"
		 "INSERT INTO access_tokens (id, hash, owner, name, scopes,"
		 " created, expires) VALUES ('t1', x'00', 'rita', 'n', 'all',"
		 " 1, 2);"
		 "INSERT INTO pipeline_defs (project_id, name, conn_id, url,"
		 " path, created_by, created) SELECT id, 'ci', '%s',"
		 " 'https://example.com/r.git', 'ci.yml', 'admin', 1"
		 " FROM projects;"
		 "INSERT INTO agent_pools (name, created_by, created)"
		 " VALUES ('pool', 'admin', 1);"
		 "INSERT INTO agents (name, pool, token_id, created_by, created)"
		 " VALUES ('ag', 'pool', 't1', 'admin', 1);"
		 "INSERT INTO agent_jobs (id, agent, pipeline, run_id, job,"
		 " holder, locks, conns, token_id, source, state,"
		 " lease_expires, started) VALUES ('j1', 'ag', 'build', '1',"
		 " 'j', 'h', 0, '[]', 't1', 'agent', 'running', 9, 1);"
		 "INSERT INTO lock_holders (conn_id, holder, lease_expires,"
		 " acquired_at) VALUES ('%s', 'h', 9, 't');"
		 "INSERT INTO lock_queue (conn_id, holder, queued_at, status)"
		 " VALUES ('%s', 'h2', 't', 'waiting');"
		 "INSERT INTO role_assignments (principal, role, assigned_by,"
		 " assigned_at) VALUES ('team', 2, 'admin', 't');",
		 a, a, a, a);
	raw_exec(db, sql);
	raw_exec(db, back_to_v9);
	buf_init(&before, 0, 0);
	buf_init(&after, 0, 0);
	table_counts(&before, db);

	/* opening migrates: every row is there, in project "default" */
	assert_int_equal(svc_store_open(&f->st, &f->opts), 0);
	table_counts(&after, db);
	assert_string_equal(before.ptr, after.ptr);
	assert_int_equal(svc_store_project_list(&pr, &n, f->st, NULL), 0);
	assert_int_equal(n, 1);
	assert_string_equal(pr[0].name, "default");
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM connections WHERE project_id = '%s'",
		 pr[0].id);
	svc_projects_free(pr, n);
	{
		sqlite3 *d;
		sqlite3_stmt *q;

		assert_int_equal(sqlite3_open(db, &d), SQLITE_OK);
		assert_int_equal(sqlite3_prepare_v2(d, sql, -1, &q, NULL),
				 SQLITE_OK);
		assert_int_equal(sqlite3_step(q), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int(q, 0), 2);
		sqlite3_finalize(q);
		sqlite3_close(d);
	}
	/* the rows still read, their MACs and secrets intact */
	assert_int_equal(svc_ops_conn_get(&c, f->st, f->admin, "alpha",
					  SVC_GET_SECRETS), 0);
	{
		svc_conn_field fl;

		assert_int_equal(svc_conn_field_get(c, "password", &fl), 0);
		assert_string_equal(fl.value, "pw-secret");
	}
	svc_conn_free(c);
	{
		char **pl = NULL;

		assert_int_equal(svc_ops_pipeline_list(&pl, &n, f->st,
						       f->admin, "alpha"), 0);
		assert_int_equal(n, 1);
		assert_string_equal(pl[0], "build");
		svc_strings_free(pl, n);
	}
	buf_clear(&before);
	buf_clear(&after);
	free(check);
	free(req);
	free(db);
}

/* ---- names, isolation, sharing, roles ------------------------------------ */

static void test_names_unique_per_project(void **state)
{
	struct fx *f = *state;
	svc_principal *inb = user("admin", "b");
	char a[SVC_ID_LEN + 1], b[SVC_ID_LEN + 1];
	svc_conn *c = NULL;

	assert_int_equal(svc_ops_project_create(NULL, f->st, f->admin, "b",
						"the other one"), 0);
	assert_int_equal(svc_ops_project_create(NULL, f->st, f->admin, "B",
						NULL), SVC_EEXISTS);
	assert_int_equal(mkconn(f, f->admin, "prod", a), 0);
	assert_int_equal(mkconn(f, f->admin, "PROD", NULL), SVC_EEXISTS);
	/* the same name in another project is another connection */
	assert_int_equal(mkconn(f, inb, "prod", b), 0);
	assert_string_not_equal(a, b);
	assert_int_equal(svc_ops_conn_get(&c, f->st, inb, "prod", 0), 0);
	assert_string_equal(svc_conn_id(c), b);
	svc_conn_free(c);
	assert_int_equal(svc_ops_conn_get(&c, f->st, f->admin, "prod", 0), 0);
	assert_string_equal(svc_conn_id(c), a);
	svc_conn_free(c);
	/* a project that owns connections is not deleted; "default" never */
	assert_int_equal(svc_ops_project_delete(f->st, f->admin, "b"),
			 SVC_EINVALID);
	assert_non_null(strstr(svc_error_last(), "still owns 1 connection"));
	assert_int_equal(svc_ops_project_delete(f->st, f->admin, "default"),
			 SVC_EINVALID);
	assert_int_equal(svc_ops_conn_delete(f->st, inb, "prod"), 0);
	assert_int_equal(svc_ops_project_delete(f->st, f->admin, "b"), 0);
	/* and names nothing any more */
	assert_int_equal(svc_ops_conn_get(&c, f->st, inb, "prod", 0),
			 SVC_ENOTFOUND);
	assert_string_equal(svc_error_last(), "no project named 'b'");
	svc_principal_free(inb);
}

static void test_isolation_and_sharing(void **state)
{
	struct fx *f = *state;
	svc_principal *adm_a = user("admin", "a"), *adm_b = user("admin", "b");
	svc_principal *alice = user("alice", "a"), *alice_b = user("alice", "b");
	svc_principal *alice_none = user("alice", "nosuch");
	char list[256], bid[SVC_ID_LEN + 1];
	svc_project *pr = NULL;
	svc_share *sh = NULL;
	svc_conn *c = NULL;
	size_t n = 0;
	svc_role r;

	assert_int_equal(svc_ops_project_create(NULL, f->st, f->admin, "a",
						NULL), 0);
	assert_int_equal(svc_ops_project_create(NULL, f->st, f->admin, "b",
						NULL), 0);
	assert_int_equal(mkconn(f, adm_a, "a-conn", NULL), 0);
	assert_int_equal(mkconn(f, adm_b, "b-conn", bid), 0);
	/* alice: User in project a only */
	assert_int_equal(svc_ops_project_role_set(f->st, adm_a, "alice",
						  SVC_ROLE_USER), 0);

	/* she sees a, not b: b is not found, as a project that is not */
	assert_int_equal(svc_ops_project_list(&pr, &n, f->st, alice), 0);
	assert_int_equal(n, 2);
	assert_string_equal(pr[0].name, "a");
	assert_string_equal(pr[1].name, "default");
	svc_projects_free(pr, n);
	assert_int_equal(svc_ops_conn_get(&c, f->st, alice_b, "b-conn", 0),
			 SVC_ENOTFOUND);
	assert_string_equal(svc_error_last(), "no project named 'b'");
	assert_int_equal(svc_ops_conn_get(&c, f->st, alice_none, "x", 0),
			 SVC_ENOTFOUND);
	assert_string_equal(svc_error_last(), "no project named 'nosuch'");

	/* in a, the role reaches a's connection; b's is not found, by
	 * name or by id — never "permission denied" */
	names(list, sizeof(list), f, alice);
	assert_string_equal(list, "a-conn");
	assert_int_equal(svc_ops_role(&r, f->st, alice, "a-conn"), 0);
	assert_int_equal(r, SVC_ROLE_USER);
	assert_int_equal(svc_ops_conn_get(&c, f->st, alice, "b-conn", 0),
			 SVC_ENOTFOUND);
	assert_int_equal(svc_ops_conn_get(&c, f->st, alice, bid, 0),
			 SVC_ENOTFOUND);
	assert_non_null(strstr(svc_error_last(), "no connection named"));
	assert_int_equal(svc_ops_pipeline_allow(f->st, alice, bid, "ci"),
			 SVC_ENOTFOUND);
	/* even the store's administrator sees b's connection only in b */
	assert_int_equal(svc_ops_conn_get(&c, f->st, adm_a, bid, 0),
			 SVC_ENOTFOUND);

	/* shared into a under another name: visible there, as a User */
	assert_int_equal(svc_ops_conn_share(f->st, adm_b, "b-conn", "a",
					    "from-b", "b's"), 0);
	names(list, sizeof(list), f, alice);
	assert_string_equal(list, "a-conn,from-b");
	assert_int_equal(svc_ops_conn_get(&c, f->st, alice, "from-b", 0), 0);
	assert_string_equal(svc_conn_id(c), bid);
	svc_conn_free(c);
	assert_int_equal(svc_ops_role(&r, f->st, alice, "from-b"), 0);
	assert_int_equal(r, SVC_ROLE_USER);
	assert_int_equal(svc_ops_pipeline_allow(f->st, alice, "from-b", "ci"),
			 0);
	/* its secrets stay its Administrators' */
	assert_int_equal(svc_ops_conn_get(&c, f->st, alice, "from-b",
					  SVC_GET_SECRETS), SVC_EDENIED);
	assert_int_equal(svc_ops_conn_shares(&sh, &n, f->st, adm_b, "b-conn"),
			 0);
	assert_int_equal(n, 1);
	assert_string_equal(sh[0].project, "a");
	assert_string_equal(sh[0].name, "from-b");
	svc_shares_free(sh, n);
	/* a name taken in a is refused there */
	assert_int_equal(svc_ops_conn_share(f->st, adm_b, "b-conn", "a",
					    "a-conn", NULL), SVC_EEXISTS);
	/* sharing needs User in the target: alice has none in b */
	assert_int_equal(svc_ops_conn_share(f->st, alice, "a-conn", "b", NULL,
					    NULL), SVC_EDENIED);

	/* unshared: gone from a again */
	assert_int_equal(svc_ops_conn_unshare(f->st, adm_b, "b-conn", "a"), 0);
	names(list, sizeof(list), f, alice);
	assert_string_equal(list, "a-conn");
	assert_int_equal(svc_ops_conn_get(&c, f->st, alice, "from-b", 0),
			 SVC_ENOTFOUND);
	assert_int_equal(svc_ops_conn_unshare(f->st, adm_b, "b-conn", "a"),
			 SVC_ENOTFOUND);

	svc_principal_free(adm_a);
	svc_principal_free(adm_b);
	svc_principal_free(alice);
	svc_principal_free(alice_b);
	svc_principal_free(alice_none);
}

static void test_project_roles(void **state)
{
	struct fx *f = *state;
	svc_principal *adm = user("admin", "p"), *pat = user("pat", "p");
	svc_principal *pat_d = user("pat", NULL);
	svc_role_entry *e = NULL;
	svc_conn *c = NULL;
	size_t n = 0;
	svc_role r;

	assert_int_equal(svc_ops_project_create(NULL, f->st, f->admin, "p",
						NULL), 0);
	assert_int_equal(mkconn(f, f->admin, "in-default", NULL), 0);
	/* pat: Creator in p, nothing else */
	assert_int_equal(svc_ops_project_role_set(f->st, pat, "pat",
						  SVC_ROLE_ADMIN),
			 SVC_ENOTFOUND); /* p is invisible to pat yet */
	assert_int_equal(svc_ops_project_role_set(f->st, adm, "pat",
						  SVC_ROLE_CREATOR), 0);
	assert_int_equal(svc_ops_project_role_list(&e, &n, f->st, pat), 0);
	assert_int_equal(n, 1);
	assert_string_equal(e[0].principal, "pat");
	assert_int_equal(e[0].role, SVC_ROLE_CREATOR);
	svc_role_entries_free(e, n);
	/* a project's Creator creates there, and administers what it made */
	assert_int_equal(mkconn(f, pat, "made-in-p", NULL), 0);
	assert_int_equal(svc_ops_conn_get(&c, f->st, pat, "made-in-p",
					  SVC_GET_SECRETS), 0);
	svc_conn_free(c);
	/* not in default, nor on the store */
	assert_int_equal(mkconn(f, pat_d, "nope", NULL), SVC_EDENIED);
	assert_int_equal(svc_ops_conn_get(&c, f->st, pat_d, "in-default", 0),
			 SVC_EDENIED);
	assert_int_equal(svc_ops_project_create(NULL, f->st, pat, "q", NULL),
			 SVC_EDENIED);
	/* a project Reader reads the project's connections */
	assert_int_equal(svc_ops_project_role_set(f->st, adm, "team-r",
						  SVC_ROLE_READER), 0);
	assert_int_equal(svc_ops_group_create(f->st, f->admin, "team-r"), 0);
	assert_int_equal(svc_ops_group_add(f->st, f->admin, "team-r", "rob"),
			 0);
	{
		svc_principal *rob = user("rob", "p");

		assert_int_equal(svc_ops_role(&r, f->st, rob, "made-in-p"), 0);
		assert_int_equal(r, SVC_ROLE_READER);
		assert_int_equal(svc_ops_conn_get(&c, f->st, rob, "made-in-p",
						  SVC_GET_SECRETS),
				 SVC_EDENIED);
		svc_principal_free(rob);
	}
	/* removed: p is invisible again, though pat keeps the role on the
	 * connection it made (docs/projects.md) */
	assert_int_equal(svc_ops_project_role_set(f->st, adm, "pat",
						  SVC_ROLE_NONE), 0);
	assert_int_equal(svc_ops_conn_get(&c, f->st, pat, "made-in-p", 0),
			 SVC_ENOTFOUND);
	svc_principal_free(adm);
	svc_principal_free(pat);
	svc_principal_free(pat_d);
}

/* Approval runs of a project's connection are seen and decided there (and
 * where it is shared), not from another project: not found, as a run that
 * does not exist. */
static void test_approvals_per_project(void **state)
{
	struct fx *f = *state;
	svc_principal *adm_b = user("admin", "b"), *bob = user("bob", "a");
	svc_principal *bob_b = user("bob", "b");
	const char *keys[] = { "approvers" }, *vals[] = { "bob,admin" };
	const char *ids[1];
	char bid[SVC_ID_LEN + 1], *check = NULL, *run_id = NULL, **cn = NULL;
	svc_gate_report *rep = NULL;
	svc_check_run *runs = NULL;
	svc_run run;
	size_t n = 0, i;

	assert_int_equal(svc_ops_project_create(NULL, f->st, f->admin, "a",
						NULL), 0);
	assert_int_equal(svc_ops_project_create(NULL, f->st, f->admin, "b",
						NULL), 0);
	assert_int_equal(mkconn(f, adm_b, "b-conn", bid), 0);
	{
		svc_principal *adm_a = user("admin", "a");

		assert_int_equal(svc_ops_project_role_set(f->st, adm_a, "bob",
							  SVC_ROLE_USER), 0);
		svc_principal_free(adm_a);
	}
	assert_int_equal(svc_ops_pipeline_allow(f->st, adm_b, "b-conn",
						"build"), 0);
	assert_int_equal(svc_ops_check_add(&check, f->st, adm_b, "b-conn",
					   "approval", keys, vals, 1), 0);
	memset(&run, 0, sizeof(run));
	run.pipeline = "build";
	run.run_id = "1";
	run.stage = "deploy";
	run.job = "job";
	run.requested_by = "carol";
	ids[0] = bid;
	assert_int_equal(svc_authz_gate(&rep, f->st, &run, ids, 1, 0), 0);
	assert_int_equal(rep->status, SVC_GATE_WAITING);
	for (i = 0; i < rep->nitems; i++)
		if (rep->items[i].check_run_id)
			run_id = strdup(rep->items[i].check_run_id);
	svc_gate_report_free(rep);
	assert_non_null(run_id);

	/* b's administrator sees it; bob, an approver seeing only a, does
	 * not, and cannot decide it from a (nor enter b) */
	assert_int_equal(svc_ops_approval_list(&runs, &cn, &n, f->st, adm_b,
					       1), 0);
	assert_int_equal(n, 1);
	assert_string_equal(cn[0], "b-conn");
	svc_check_runs_free(runs, n);
	svc_strings_free(cn, n);
	assert_int_equal(svc_ops_approval_list(&runs, &cn, &n, f->st, bob, 1),
			 0);
	assert_int_equal(n, 0);
	svc_check_runs_free(runs, n);
	svc_strings_free(cn, n);
	assert_int_equal(svc_ops_decide(f->st, bob, run_id, "approve", NULL,
					NULL), SVC_ENOTFOUND);
	assert_int_equal(svc_ops_decide(f->st, bob_b, run_id, "approve", NULL,
					NULL), SVC_ENOTFOUND);
	assert_int_equal(svc_ops_bypass(f->st, bob, run_id), SVC_ENOTFOUND);

	/* shared into a: there under its name in a, and bob decides it */
	assert_int_equal(svc_ops_conn_share(f->st, adm_b, "b-conn", "a",
					    "from-b", NULL), 0);
	assert_int_equal(svc_ops_approval_list(&runs, &cn, &n, f->st, bob, 1),
			 0);
	assert_int_equal(n, 1);
	assert_string_equal(cn[0], "from-b");
	svc_check_runs_free(runs, n);
	svc_strings_free(cn, n);
	assert_int_equal(svc_ops_decide(f->st, bob, run_id, "approve", NULL,
					NULL), 0);

	free(check);
	free(run_id);
	svc_principal_free(adm_b);
	svc_principal_free(bob);
	svc_principal_free(bob_b);
}

/* ---- plans: the connections the references name ----------------------- */

/*
 * Plan, in f's store as it stands (its current project), a pipeline of one
 * step per value of values (NULL-ended), each naming a Generic connection;
 * svc_plan_build's return, the plan in *out.
 */
static int plan_values(svc_plan **out, struct fx *f,
		       const char *const *values)
{
	const char *dirs[] = { SVC_SHARED_DIR "/data/tasks" };
	char *file = tu_path(f->dir, "azure-pipelines.yml");
	svc_catalog *cat = NULL;
	svc_plan_options o;
	FILE *y = fopen(file, "w");
	size_t i;
	int rc;

	assert_non_null(y);
	fputs("steps:\n", y);
	for (i = 0; values[i]; i++)
		fprintf(y, "- task: cURLUploader@2\n"
			   "  inputs:\n"
			   "    files: out.txt\n"
			   "    authType: ServiceEndpoint\n"
			   "    serviceEndpoint: '%s'\n", values[i]);
	assert_int_equal(fclose(y), 0);
	assert_int_equal(svc_catalog_new(&cat), 0);
	memset(&o, 0, sizeof(o));
	o.version = SVC_PLAN_OPTIONS_VERSION;
	o.file = file;
	o.task_dirs = dirs;
	o.ntask_dirs = 1;
	*out = NULL;
	rc = svc_plan_build(out, &o, f->st, cat);
	svc_catalog_free(cat);
	free(file);
	return rc;
}

/* The reference of step i (0-based) of a plan_values plan. */
static const svc_ref *step_ref(const svc_plan *p, size_t i)
{
	const svc_ref *r = svc_plan_ref_at(p, i);

	assert_non_null(r);
	assert_string_equal(r->key, "serviceEndpoint");
	return r;
}

/* Reference r resolved to the connection id, named name in the plan. */
static void resolved(const svc_ref *r, const char *id, const char *name)
{
	if (r->status != SVC_REF_RESOLVED)
		fail_msg("'%s': %s", r->value, r->message ? r->message : "");
	assert_string_equal(r->conn_id, id);
	assert_string_equal(r->conn_name, name);
}

/*
 * In project a: a's connections by name in any case and by id, b's shared
 * one under its name in a (by that name or by its id); b's other
 * connection is unknown by its id, and b's names are unknown, as in the
 * list of a (svc_store_conn_list); an unknown name keeps its message and
 * its suggestion.
 */
static void test_plan_resolves_as_listed(void **state)
{
	struct fx *f = *state;
	svc_principal *adm_a = user("admin", "a"), *adm_b = user("admin", "b");
	char *a_id = NULL, aid[SVC_ID_LEN + 1], gid[SVC_ID_LEN + 1];
	char bid[SVC_ID_LEN + 1], hid[SVC_ID_LEN + 1];
	const char *keys[4];
	svc_conn **l = NULL;
	svc_plan *p = NULL;
	size_t n = 0;

	assert_int_equal(svc_ops_project_create(&a_id, f->st, f->admin, "a",
						NULL), 0);
	assert_int_equal(svc_ops_project_create(NULL, f->st, f->admin, "b",
						NULL), 0);
	assert_int_equal(mkconn(f, adm_a, "Alpha-Conn", aid), 0);
	assert_int_equal(mkconn(f, adm_a, "gamma", gid), 0);
	assert_int_equal(mkconn(f, adm_b, "b-conn", bid), 0);
	assert_int_equal(mkconn(f, adm_b, "b-hidden", hid), 0);
	assert_int_equal(svc_ops_conn_share(f->st, adm_b, "b-conn", "a",
					    "from-b", NULL), 0);
	assert_int_equal(store_project_use(f->st, a_id), 0);

	/* the store's part: only what the keys name, as a's list has it */
	keys[0] = "ALPHA-conn";
	keys[1] = bid;
	keys[2] = hid;
	keys[3] = "b-conn";
	assert_int_equal(store_conn_find_list(&l, &n, f->st, keys, 4), 0);
	assert_int_equal(n, 2);
	assert_string_equal(svc_conn_name(l[0]), "Alpha-Conn");
	assert_string_equal(svc_conn_id(l[0]), aid);
	assert_string_equal(svc_conn_name(l[1]), "from-b");
	assert_string_equal(svc_conn_id(l[1]), bid);
	svc_store_conn_list_free(l, n);

	/* every reference found: resolved from those alone */
	{
		const char *v[] = { "alpha-conn", "ALPHA-CONN", gid, "From-B",
				    bid, NULL };

		assert_int_equal(plan_values(&p, f, v), 0);
		assert_int_equal(svc_plan_ref_count(p), 5);
		resolved(step_ref(p, 0), aid, "Alpha-Conn");
		resolved(step_ref(p, 1), aid, "Alpha-Conn");
		resolved(step_ref(p, 2), gid, "gamma");
		resolved(step_ref(p, 3), bid, "from-b");
		resolved(step_ref(p, 4), bid, "from-b");
		assert_true(svc_plan_ok(p));
		svc_plan_free(p);
	}
	/* b's unshared connection by id, b's names, a near miss: unknown,
	 * the near miss with the names of a to choose from */
	{
		const char *v[] = { hid, "b-conn", "b-hidden", "alpha-con",
				    "gamma", NULL };
		char want[128];

		assert_int_equal(plan_values(&p, f, v), 0);
		assert_false(svc_plan_ok(p));
		snprintf(want, sizeof(want),
			 "no connection named '%s' (expected a connection of type 'Generic')",
			 hid);
		assert_int_equal(step_ref(p, 0)->status, SVC_REF_UNKNOWN_NAME);
		assert_string_equal(step_ref(p, 0)->message, want);
		assert_null(step_ref(p, 0)->conn_id);
		assert_int_equal(step_ref(p, 1)->status, SVC_REF_UNKNOWN_NAME);
		assert_int_equal(step_ref(p, 2)->status, SVC_REF_UNKNOWN_NAME);
		assert_string_equal(step_ref(p, 3)->message,
				    "no connection named 'alpha-con' (expected a connection of type 'Generic'); did you mean 'Alpha-Conn'?");
		resolved(step_ref(p, 4), gid, "gamma");
		svc_plan_free(p);
	}
	free(a_id);
	svc_principal_free(adm_a);
	svc_principal_free(adm_b);
}

/*
 * A plan reads only the connections it names, not every one: in a store
 * of many connections one of which was changed without the key (its row
 * no longer matches its MAC), the list is refused, naming it, while a plan
 * naming others resolves.  Naming it, or a name that is not there (whose
 * suggestions need the whole list), is refused as before.
 */
static void test_plan_reads_only_named(void **state)
{
	struct fx *f = *state;
	char ids[40][SVC_ID_LEN + 1], name[32];
	svc_conn **l = NULL;
	svc_plan *p = NULL;
	size_t n = 0;
	int i;

	for (i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "conn-%02d", i);
		assert_int_equal(mkconn(f, f->admin, name, ids[i]), 0);
	}
	tu_db_run(f->opts.home, f->opts.database,
		  "UPDATE connections SET url = 'https://evil.example/' "
		  "WHERE name = 'conn-17'");
	assert_int_equal(svc_store_conn_list(&l, &n, f->st), SVC_ECRYPTO);
	assert_non_null(strstr(svc_error_last(), "'conn-17'"));
	{
		const char *v[] = { "conn-03", "CONN-21", ids[39], NULL };

		assert_int_equal(plan_values(&p, f, v), 0);
		resolved(step_ref(p, 0), ids[3], "conn-03");
		resolved(step_ref(p, 1), ids[21], "conn-21");
		resolved(step_ref(p, 2), ids[39], "conn-39");
		assert_true(svc_plan_ok(p));
		svc_plan_free(p);
	}
	{
		const char *v[] = { "conn-03", "conn-17", NULL };

		assert_int_equal(plan_values(&p, f, v), SVC_ECRYPTO);
		assert_non_null(strstr(svc_error_last(), "'conn-17'"));
	}
	{
		const char *v[] = { "conn-03", "conn-40", NULL };

		assert_int_equal(plan_values(&p, f, v), SVC_ECRYPTO);
		assert_non_null(strstr(svc_error_last(), "'conn-17'"));
	}
	/* the list is refused still: nothing made the row valid */
	assert_int_equal(svc_store_conn_list(&l, &n, f->st), SVC_ECRYPTO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_migration_keeps_every_row,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_names_unique_per_project,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_isolation_and_sharing,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_approvals_per_project,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_project_roles, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_plan_resolves_as_listed,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_plan_reads_only_named,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
