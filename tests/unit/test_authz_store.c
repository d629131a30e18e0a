/*
 * test_authz_store.c - the stored side of authorization (authz.h, in
 * store_authz.c): roles and groups, pipeline permissions and requests,
 * checks, check runs, approvals, exclusive locks and the usage history.
 *
 * Every test gets its own store, initialised by "tester".  Time is moved
 * with SVCCONN_NOW (never slept); the fixture clears it again.  Races
 * between processes are real: forked children open the store themselves
 * (the parent closes its handle first, so no SQLite handle crosses a
 * fork).  Where a test must look under the store (rows left after a
 * delete, the schema version) it opens the database directly (tu_db).
 * Run as test_authz_store_pg, every store is on PostgreSQL; the upgrade
 * from SQLite's schema 1 is skipped there.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "svcconn/authz.h"
#include "svcconn/conn.h"
#include "svcconn/errors.h"
#include "svcconn/store.h"
#include "store/store_write.h"

/* A fixed time for the lock tests (2030-01-01T00:00:00Z). */
#define T0 1893456000L

/* Per-test fixture: a temporary directory with an open store under it. */
struct fx {
	char *dir;              /**< temporary directory (removed after) */
	char *home;             /**< store home: dir/home */
	svc_store_options opts; /**< options pointing at home */
	svc_store *st;          /**< the open store, or NULL */
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	unsetenv("SVCCONN_NOW");
	f->dir = tu_mkdtemp();
	f->home = tu_path(f->dir, "home");
	f->opts.version = SVC_STORE_OPTIONS_VERSION;
	f->opts.home = f->home;
	f->opts.database = tu_database();
	assert_int_equal(svc_store_init(&f->opts, "tester"), 0);
	assert_int_equal(svc_store_open(&f->st, &f->opts), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	unsetenv("SVCCONN_NOW");
	svc_store_free(f->st);
	tu_rm_rf(f->dir);
	free(f->home);
	free(f->dir);
	free(f);
	return 0;
}

/* Set the clock to epoch seconds t. */
static void set_now(long t)
{
	char v[32];

	snprintf(v, sizeof(v), "%ld", t);
	assert_int_equal(setenv("SVCCONN_NOW", v, 1), 0);
}

/* Create a connection named name as actor; its id into id (37 bytes). */
static void mkconn(struct fx *f, const char *name, const char *actor,
		   char id[SVC_ID_LEN + 1])
{
	svc_conn *c;

	assert_int_equal(svc_conn_new(&c, "generic", name), 0);
	assert_int_equal(svc_conn_set_url(c, "https://example.test/"), 0);
	assert_int_equal(svc_store_conn_create(f->st, c, actor), 0);
	snprintf(id, SVC_ID_LEN + 1, "%s", svc_conn_id(c));
	svc_conn_free(c);
}

/* The last audit record's action and (when detail is not NULL) detail. */
static void last_audit(struct fx *f, const char *action, const char *has)
{
	const svc_audit_entry *e;
	svc_audit_list *al;

	assert_int_equal(svc_store_audit(&al, f->st, 1), 0);
	e = svc_audit_list_at(al, 0);
	assert_non_null(e);
	assert_string_equal(e->action, action);
	if (has)
		assert_non_null(strstr(e->detail, has));
	svc_audit_list_free(al);
}

/* The number of audit records. */
static size_t audit_count(struct fx *f)
{
	svc_audit_list *al;
	size_t n;

	assert_int_equal(svc_store_audit(&al, f->st, 0), 0);
	n = svc_audit_list_count(al);
	svc_audit_list_free(al);
	return n;
}

/* The role of principal in list e (NONE when absent); *is_group too. */
static svc_role role_in(const svc_role_entry *e, size_t n,
			const char *principal, int *is_group)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(e[i].principal, principal) == 0) {
			if (is_group)
				*is_group = e[i].is_group;
			return e[i].role;
		}
	}
	return SVC_ROLE_NONE;
}

/* The role of principal on conn (NULL: the store). */
static svc_role role_of(struct fx *f, const char *conn, const char *principal)
{
	svc_role_entry *e;
	svc_role r;
	size_t n;

	assert_int_equal(svc_store_role_list(&e, &n, f->st, conn), 0);
	r = role_in(e, n, principal, NULL);
	svc_role_entries_free(e, n);
	return r;
}

/* 1 when pipeline may use conn. */
static int allowed(struct fx *f, const char *conn, const char *pipeline)
{
	int ok = -1;

	assert_int_equal(svc_store_pipeline_allowed(f->st, conn, pipeline,
						    &ok), 0);
	return ok;
}

/* Rows of table whose column col equals v, straight from the database. */
static int raw_count(struct fx *f, const char *table, const char *col,
		     const char *v)
{
	const tu_param p[] = { TU_TEXT(v) };
	char sql[256];
	tu_db *db = tu_db_open(f->home, f->opts.database);
	tu_rows *r;
	int n;

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s WHERE %s = ?1",
		 table, col);
	r = tu_db_query(db, sql, p, 1);
	n = (int)tu_rows_int(r, 0, 0);
	tu_rows_free(r);
	tu_db_close(db);
	return n;
}

/* ---- roles ------------------------------------------------------------- */

static void test_init_makes_admin(void **state)
{
	struct fx *f = *state;
	svc_role_entry *e;
	size_t n;
	int g = -1;

	assert_int_equal(svc_store_role_list(&e, &n, f->st, NULL), 0);
	assert_int_equal(n, 1);
	assert_int_equal(role_in(e, n, "tester", &g), SVC_ROLE_ADMIN);
	assert_int_equal(g, 0);
	svc_role_entries_free(e, n);
	/* one transaction, one record */
	assert_int_equal(audit_count(f), 1);
	last_audit(f, "init", "\"administrator\":\"tester\"");
}

static void test_create_makes_admin(void **state)
{
	struct fx *f = *state;
	char id[SVC_ID_LEN + 1];
	svc_conn *c[1];

	mkconn(f, "prod", "alice", id);
	assert_int_equal(role_of(f, id, "alice"), SVC_ROLE_ADMIN);
	assert_int_equal(role_of(f, "PROD", "alice"), SVC_ROLE_ADMIN);
	/* the store's roles are not touched */
	assert_int_equal(role_of(f, NULL, "alice"), SVC_ROLE_NONE);
	assert_int_equal(audit_count(f), 2);
	last_audit(f, "create", "\"administrator\":\"alice\"");
	/* importing a new connection makes the importer its Administrator */
	assert_int_equal(svc_conn_new(&c[0], "generic", "imported"), 0);
	assert_int_equal(svc_conn_set_url(c[0], "https://example.test/"), 0);
	assert_int_equal(svc_store_conn_import(f->st, c, 1, "bob", 0), 0);
	svc_conn_free(c[0]);
	assert_int_equal(role_of(f, "imported", "bob"), SVC_ROLE_ADMIN);
	last_audit(f, "import", "\"administrator\":\"bob\"");
}

static void test_roles(void **state)
{
	struct fx *f = *state;
	char id[SVC_ID_LEN + 1];
	size_t before;
	int on = -1;

	mkconn(f, "prod", "alice", id);
	/* store level: set, replace, the same again changes nothing */
	assert_int_equal(svc_store_role_set(f->st, NULL, "bob",
					    SVC_ROLE_READER, "tester"), 0);
	assert_int_equal(role_of(f, NULL, "bob"), SVC_ROLE_READER);
	last_audit(f, "role-set", "\"role\":\"Reader\"");
	assert_int_equal(svc_store_role_set(f->st, NULL, "bob", SVC_ROLE_USER,
					    "tester"), 0);
	assert_int_equal(role_of(f, NULL, "bob"), SVC_ROLE_USER);
	last_audit(f, "role-set", "\"previous\":\"Reader\"");
	before = audit_count(f);
	assert_int_equal(svc_store_role_set(f->st, NULL, "bob", SVC_ROLE_USER,
					    "tester"), 0);
	assert_int_equal(audit_count(f), before);
	/* Creator: on the store only */
	assert_int_equal(svc_store_role_set(f->st, NULL, "carol",
					    SVC_ROLE_CREATOR, "tester"), 0);
	assert_int_equal(role_of(f, NULL, "carol"), SVC_ROLE_CREATOR);
	assert_int_equal(svc_store_role_set(f->st, id, "carol",
					    SVC_ROLE_CREATOR, "alice"),
			 SVC_EINVALID);
	assert_non_null(strstr(svc_error_last(), "Creator"));
	/* connection level, by id or by name; an override of the store */
	assert_int_equal(svc_store_role_set(f->st, "prod", "bob",
					    SVC_ROLE_READER, "alice"), 0);
	assert_int_equal(role_of(f, id, "bob"), SVC_ROLE_READER);
	assert_int_equal(role_of(f, NULL, "bob"), SVC_ROLE_USER);
	/* NONE removes; removing what is not there is ENOTFOUND */
	assert_int_equal(svc_store_role_set(f->st, id, "bob", SVC_ROLE_NONE,
					    "alice"), 0);
	assert_int_equal(role_of(f, id, "bob"), SVC_ROLE_NONE);
	last_audit(f, "role-set", "\"role\":\"none\"");
	assert_int_equal(svc_store_role_set(f->st, id, "bob", SVC_ROLE_NONE,
					    "alice"), SVC_ENOTFOUND);
	/* refusals */
	assert_int_equal(svc_store_role_set(f->st, "nope", "bob",
					    SVC_ROLE_READER, "alice"),
			 SVC_ENOTFOUND);
	assert_int_equal(svc_store_role_set(f->st, NULL, "bad\nname",
					    SVC_ROLE_READER, "tester"),
			 SVC_EINVALID);
	assert_int_equal(svc_store_role_set(f->st, NULL, "",
					    SVC_ROLE_READER, "tester"),
			 SVC_EINVALID);
	assert_int_equal(svc_store_role_set(f->st, NULL, "bob", (svc_role)9,
					    "tester"), SVC_EINVALID);
	/* principals compare exactly */
	assert_int_equal(role_of(f, NULL, "BOB"), SVC_ROLE_NONE);
	/* inheritance: on by default, switched per connection */
	assert_int_equal(svc_store_inherit_get(f->st, id, &on), 0);
	assert_int_equal(on, 1);
	assert_int_equal(svc_store_inherit_set(f->st, id, 0, "alice"), 0);
	last_audit(f, "role-inherit", "\"inherit\":false");
	assert_int_equal(svc_store_inherit_get(f->st, "prod", &on), 0);
	assert_int_equal(on, 0);
	assert_int_equal(svc_store_inherit_get(f->st, "nope", &on),
			 SVC_ENOTFOUND);
}

/* ---- groups ------------------------------------------------------------ */

/* The strings of a list joined with ",", into out. */
static void joined(char *out, size_t size, char **l, size_t n)
{
	size_t i, len = 0;

	out[0] = '\0';
	for (i = 0; i < n && len < size; i++)
		len += (size_t)snprintf(out + len, size - len, "%s%s",
					i ? "," : "", l[i]);
}

static void test_groups(void **state)
{
	struct fx *f = *state;
	char id[SVC_ID_LEN + 1], s[256];
	svc_role_entry *e;
	char **l;
	size_t n;
	int g = -1;

	mkconn(f, "prod", "alice", id);
	assert_int_equal(svc_store_group_create(f->st, "devs", "tester"), 0);
	last_audit(f, "group-create", "devs");
	assert_int_equal(svc_store_group_create(f->st, "devs", "tester"),
			 SVC_EEXISTS);
	assert_int_equal(svc_store_group_create(f->st, "ops", "tester"), 0);
	assert_int_equal(svc_store_group_add(f->st, "devs", "bob", "tester"),
			 0);
	last_audit(f, "group-add", "\"member\":\"bob\"");
	assert_int_equal(svc_store_group_add(f->st, "devs", "carol",
					     "tester"), 0);
	assert_int_equal(svc_store_group_add(f->st, "devs", "bob", "tester"),
			 0);
	assert_int_equal(svc_store_group_add(f->st, "ops", "bob", "tester"),
			 0);
	assert_int_equal(svc_store_group_add(f->st, "nope", "bob", "tester"),
			 SVC_ENOTFOUND);
	/* no nested groups; users and groups share names */
	assert_int_equal(svc_store_group_add(f->st, "devs", "ops", "tester"),
			 SVC_EINVALID);
	assert_non_null(strstr(svc_error_last(), "'ops' is a group"));
	assert_int_equal(svc_store_group_add(f->st, "devs", "devs", "tester"),
			 SVC_EINVALID);
	assert_int_equal(svc_store_group_create(f->st, "bob", "tester"),
			 SVC_EEXISTS);
	/* lists */
	assert_int_equal(svc_store_group_list(&l, &n, f->st, NULL), 0);
	joined(s, sizeof(s), l, n);
	assert_string_equal(s, "devs,ops");
	svc_strings_free(l, n);
	assert_int_equal(svc_store_group_list(&l, &n, f->st, "devs"), 0);
	joined(s, sizeof(s), l, n);
	assert_string_equal(s, "bob,carol");
	svc_strings_free(l, n);
	assert_int_equal(svc_store_group_list(&l, &n, f->st, "nope"),
			 SVC_ENOTFOUND);
	assert_int_equal(svc_store_groups_of(&l, &n, f->st, "bob"), 0);
	joined(s, sizeof(s), l, n);
	assert_string_equal(s, "devs,ops");
	svc_strings_free(l, n);
	assert_int_equal(svc_store_group_exists(f->st, "devs"), 1);
	assert_int_equal(svc_store_group_exists(f->st, "bob"), 0);
	/* a group's role is marked as a group's */
	assert_int_equal(svc_store_role_set(f->st, id, "devs", SVC_ROLE_USER,
					    "alice"), 0);
	assert_int_equal(svc_store_role_set(f->st, NULL, "devs",
					    SVC_ROLE_READER, "tester"), 0);
	assert_int_equal(svc_store_role_list(&e, &n, f->st, id), 0);
	assert_int_equal(role_in(e, n, "devs", &g), SVC_ROLE_USER);
	assert_int_equal(g, 1);
	assert_int_equal(role_in(e, n, "alice", &g), SVC_ROLE_ADMIN);
	assert_int_equal(g, 0);
	svc_role_entries_free(e, n);
	/* remove a member */
	assert_int_equal(svc_store_group_remove(f->st, "devs", "carol",
						"tester"), 0);
	last_audit(f, "group-remove", "carol");
	assert_int_equal(svc_store_group_remove(f->st, "devs", "carol",
						"tester"), SVC_ENOTFOUND);
	/* deleting a group deletes its memberships and its roles */
	assert_int_equal(svc_store_group_delete(f->st, "devs", "tester"), 0);
	last_audit(f, "group-delete", "\"roles\":2");
	assert_int_equal(svc_store_group_exists(f->st, "devs"), 0);
	assert_int_equal(svc_store_groups_of(&l, &n, f->st, "bob"), 0);
	joined(s, sizeof(s), l, n);
	assert_string_equal(s, "ops");
	svc_strings_free(l, n);
	assert_int_equal(role_of(f, id, "devs"), SVC_ROLE_NONE);
	assert_int_equal(role_of(f, NULL, "devs"), SVC_ROLE_NONE);
	assert_int_equal(raw_count(f, "group_members", "group_name", "devs"),
			 0);
	assert_int_equal(svc_store_group_delete(f->st, "devs", "tester"),
			 SVC_ENOTFOUND);
}

/* ---- pipeline permissions and requests --------------------------------- */

static void test_pipelines(void **state)
{
	struct fx *f = *state;
	char id[SVC_ID_LEN + 1];
	svc_conn *c;
	char **l;
	size_t n;

	mkconn(f, "prod", "alice", id);
	assert_int_equal(allowed(f, id, "CI-Build"), 0);
	assert_int_equal(svc_store_pipeline_allow(f->st, id, "CI-Build",
						  "alice"), 0);
	last_audit(f, "pipeline-allow", "CI-Build");
	/* names compare case-insensitively */
	assert_int_equal(allowed(f, id, "ci-build"), 1);
	assert_int_equal(allowed(f, "prod", "CI-BUILD"), 1);
	assert_int_equal(allowed(f, id, "other"), 0);
	assert_int_equal(svc_store_pipeline_allow(f->st, id, "ci-build",
						  "alice"), 0);
	assert_int_equal(svc_store_pipeline_allow(f->st, id, "deploy",
						  "alice"), 0);
	assert_int_equal(svc_store_pipeline_list(&l, &n, f->st, id), 0);
	assert_int_equal(n, 2);
	assert_string_equal(l[0], "CI-Build");
	assert_string_equal(l[1], "deploy");
	svc_strings_free(l, n);
	/* removing is as easy as adding */
	assert_int_equal(svc_store_pipeline_disallow(f->st, id, "CI-BUILD",
						     "alice"), 0);
	last_audit(f, "pipeline-disallow", "CI-BUILD");
	assert_int_equal(allowed(f, id, "CI-Build"), 0);
	assert_int_equal(svc_store_pipeline_disallow(f->st, id, "CI-Build",
						     "alice"), SVC_ENOTFOUND);
	/* open to all pipelines, and back */
	assert_int_equal(svc_store_conn_set_all_pipelines(f->st, id, 1,
							  "alice"), 0);
	last_audit(f, "pipelines-all", "\"all_pipelines\":true");
	assert_int_equal(allowed(f, id, "anything"), 1);
	assert_int_equal(svc_store_conn_get(&c, f->st, id, 0), 0);
	assert_int_equal(svc_conn_all_pipelines(c), 1);
	svc_conn_free(c);
	assert_int_equal(svc_store_conn_set_all_pipelines(f->st, "prod", 0,
							  "alice"), 0);
	assert_int_equal(allowed(f, id, "anything"), 0);
	assert_int_equal(allowed(f, id, "DEPLOY"), 1);
	/* refusals */
	assert_int_equal(svc_store_pipeline_allow(f->st, "nope", "x", "alice"),
			 SVC_ENOTFOUND);
	assert_int_equal(svc_store_pipeline_allow(f->st, id, "", "alice"),
			 SVC_EINVALID);
}

static void test_requests(void **state)
{
	struct fx *f = *state;
	char id[SVC_ID_LEN + 1], *r1, *r2, *r3;
	svc_perm_request *l;
	size_t n;

	mkconn(f, "prod", "alice", id);
	assert_int_equal(svc_store_request_open(&r1, f->st, id, "App",
						"run-1", "carol"), 0);
	assert_true(svc_is_uuid(r1));
	last_audit(f, "request-open", "run-1");
	/* a pending request is reused, whatever the case of the name */
	assert_int_equal(svc_store_request_open(&r2, f->st, "prod", "app",
						"run-2", "dave"), 0);
	assert_string_equal(r1, r2);
	free(r2);
	assert_int_equal(svc_store_request_list(&l, &n, f->st, 1), 0);
	assert_int_equal(n, 1);
	assert_string_equal(l[0].id, r1);
	assert_string_equal(l[0].conn_id, id);
	assert_string_equal(l[0].conn_name, "prod");
	assert_string_equal(l[0].pipeline, "App");
	assert_string_equal(l[0].run_id, "run-1");
	assert_string_equal(l[0].requested_by, "carol");
	assert_string_equal(l[0].status, "pending");
	assert_null(l[0].decided_by);
	assert_non_null(l[0].at);
	svc_perm_requests_free(l, n);
	/* permitting authorizes the pipeline, in one go */
	assert_int_equal(allowed(f, id, "App"), 0);
	assert_int_equal(svc_store_request_permit(f->st, r1, "alice"), 0);
	last_audit(f, "request-permit", "\"pipeline\":\"App\"");
	assert_int_equal(allowed(f, id, "APP"), 1);
	assert_int_equal(svc_store_request_list(&l, &n, f->st, 1), 0);
	assert_int_equal(n, 0);
	svc_perm_requests_free(l, n);
	assert_int_equal(svc_store_request_list(&l, &n, f->st, 0), 0);
	assert_int_equal(n, 1);
	assert_string_equal(l[0].status, "permitted");
	assert_string_equal(l[0].decided_by, "alice");
	svc_perm_requests_free(l, n);
	/* again: fine, nothing changes */
	assert_int_equal(svc_store_request_permit(f->st, r1, "bob"), 0);
	assert_int_equal(svc_store_request_permit(f->st,
						  "00000000-0000-4000-8000-000000000000",
						  "alice"), SVC_ENOTFOUND);
	/* once decided, a new need opens a new request */
	assert_int_equal(svc_store_pipeline_disallow(f->st, id, "App",
						     "alice"), 0);
	assert_int_equal(svc_store_request_open(&r3, f->st, id, "App",
						"run-3", "carol"), 0);
	assert_string_not_equal(r1, r3);
	assert_int_equal(svc_store_request_open(&r2, f->st, "nope", "App",
						"run-3", "carol"),
			 SVC_ENOTFOUND);
	free(r1);
	free(r3);
}

/* ---- checks ------------------------------------------------------------ */

static void test_checks(void **state)
{
	struct fx *f = *state;
	char a[SVC_ID_LEN + 1], b[SVC_ID_LEN + 1], *c1, *c2, *c3, *c4, *x;
	svc_check *l, *one;
	size_t n;

	mkconn(f, "prod", "alice", a);
	mkconn(f, "test", "alice", b);
	assert_int_equal(svc_store_check_add(&c1, f->st, a, "approval",
					     "{\"approvers\":[\"bob\"]}",
					     "alice"), 0);
	assert_true(svc_is_uuid(c1));
	last_audit(f, "check-add", "\"kind\":\"approval\"");
	assert_int_equal(svc_store_check_add(&c2, f->st, "prod",
					     "branch-control",
					     "{\"allowed\":\"refs/heads/main\"}",
					     "alice"), 0);
	assert_int_equal(svc_store_check_add(&c3, f->st, b, "exclusive-lock",
					     NULL, "alice"), 0);
	assert_int_equal(svc_store_check_add(&c4, f->st, a, "business-hours",
					     "{\"tz\":\"UTC\"}", "alice"), 0);
	/* refusals: the six kinds only, a JSON object only */
	assert_int_equal(svc_store_check_add(&x, f->st, a, "manual", "{}",
					     "alice"), SVC_EINVALID);
	assert_int_equal(svc_store_check_add(&x, f->st, a, "approval", "[]",
					     "alice"), SVC_EINVALID);
	assert_int_equal(svc_store_check_add(&x, f->st, a, "approval",
					     "{\"a\":", "alice"),
			 SVC_EINVALID);
	assert_int_equal(svc_store_check_add(&x, f->st, "nope", "approval",
					     "{}", "alice"), SVC_ENOTFOUND);
	/* creation order */
	assert_int_equal(svc_store_check_list(&l, &n, f->st, a), 0);
	assert_int_equal(n, 3);
	assert_string_equal(l[0].id, c1);
	assert_string_equal(l[1].id, c2);
	assert_string_equal(l[2].id, c4);
	assert_true(l[0].seq < l[1].seq && l[1].seq < l[2].seq);
	assert_string_equal(l[0].kind, "approval");
	assert_string_equal(l[0].config, "{\"approvers\":[\"bob\"]}");
	assert_string_equal(l[0].conn_id, a);
	assert_string_equal(l[0].created_by, "alice");
	assert_int_equal(l[0].enabled, 1);
	svc_checks_free(l, n);
	assert_int_equal(svc_store_check_list(&l, &n, f->st, NULL), 0);
	assert_int_equal(n, 4);
	assert_string_equal(l[2].id, c3);
	assert_string_equal(l[2].config, "{}");
	svc_checks_free(l, n);
	/* enable / disable */
	assert_int_equal(svc_store_check_enable(f->st, c2, 0, "alice"), 0);
	last_audit(f, "check-disable", "branch-control");
	assert_int_equal(svc_store_check_get(&one, f->st, c2), 0);
	assert_int_equal(one->enabled, 0);
	svc_checks_free(one, 1);
	assert_int_equal(svc_store_check_enable(f->st, c2, 1, "alice"), 0);
	last_audit(f, "check-enable", NULL);
	assert_int_equal(svc_store_check_get(&one, f->st, c2), 0);
	assert_int_equal(one->enabled, 1);
	svc_checks_free(one, 1);
	/* remove */
	assert_int_equal(svc_store_check_remove(f->st, c1, "alice"), 0);
	last_audit(f, "check-remove", c1);
	assert_int_equal(svc_store_check_remove(f->st, c1, "alice"),
			 SVC_ENOTFOUND);
	assert_int_equal(svc_store_check_get(&one, f->st, c1), SVC_ENOTFOUND);
	assert_int_equal(svc_store_check_enable(f->st, c1, 1, "alice"),
			 SVC_ENOTFOUND);
	assert_int_equal(svc_store_check_list(&l, &n, f->st, a), 0);
	assert_int_equal(n, 2);
	assert_string_equal(l[0].id, c2);
	svc_checks_free(l, n);
	free(c1);
	free(c2);
	free(c3);
	free(c4);
}

/* ---- check runs -------------------------------------------------------- */

/*
 * The table of check kinds: each kind's category, and the messages that
 * name the kinds, built from the table, word for word as before.
 */
static void test_check_kinds(void **state)
{
	struct fx *f = *state;
	static const char *const none[] = { NULL };
	const char *k[] = { "allowed" }, *v[] = { "main" };
	const char *tk[] = { "repo", "ref", "path" };
	const char *tv[] = { "templates", "refs/heads/main", "deploy.yml" };
	char id[SVC_ID_LEN + 1], *chk, *x = NULL, *json = NULL;
	svc_check_run *r;

	assert_int_equal(svc_check_kind_category("branch-control"), SVC_CHECK_STATIC);
	assert_int_equal(svc_check_kind_category("required-template"), SVC_CHECK_STATIC);
	assert_int_equal(svc_check_kind_category("approval"), SVC_CHECK_DYNAMIC);
	assert_int_equal(svc_check_kind_category("business-hours"), SVC_CHECK_DYNAMIC);
	assert_int_equal(svc_check_kind_category("rest-api"), SVC_CHECK_DYNAMIC);
	assert_int_equal(svc_check_kind_category("exclusive-lock"), SVC_CHECK_LOCK);
	assert_int_equal(svc_check_kind_category("manual"), SVC_CHECK_UNKNOWN);
	assert_int_equal(svc_check_kind_category(NULL), SVC_CHECK_UNKNOWN);
	assert_true(SVC_CHECK_STATIC < SVC_CHECK_DYNAMIC &&
		    SVC_CHECK_DYNAMIC < SVC_CHECK_LOCK &&
		    SVC_CHECK_LOCK < SVC_CHECK_UNKNOWN);

	mkconn(f, "prod", "alice", id);
	assert_int_equal(svc_store_check_add(&x, f->st, id, "manual", "{}",
					     "alice"), SVC_EINVALID);
	assert_string_equal(svc_error_last(),
			    "unknown kind of check 'manual' (want approval, branch-control, business-hours, rest-api, required-template or exclusive-lock)");
	assert_int_equal(svc_check_config(&json, f->st, "manual", none, none, 0),
			 SVC_EINVALID);
	assert_string_equal(svc_error_last(),
			    "unknown check kind 'manual' (approval, branch-control, business-hours, rest-api, required-template, exclusive-lock)");
	assert_int_equal(svc_check_config(&json, f->st, "exclusive-lock", k, v, 1),
			 SVC_EINVALID);
	assert_string_equal(svc_error_last(), "a exclusive-lock check takes no --allowed");
	assert_int_equal(svc_check_config(&json, f->st, "required-template", tk, tv, 2),
			 SVC_EINVALID);
	assert_string_equal(svc_error_last(), "a required-template check needs --path");

	/* each kind's configure function, through the table */
	assert_int_equal(svc_check_config(&json, f->st, "exclusive-lock", none, none, 0), 0);
	assert_string_equal(json, "{}");
	free(json);
	assert_int_equal(svc_check_config(&json, f->st, "required-template", tk, tv, 3), 0);
	assert_string_equal(json, "{\"repo\":\"templates\",\"ref\":\"refs/heads/main\",\"path\":\"deploy.yml\"}");
	free(json);
	assert_int_equal(svc_check_config(&json, f->st, "branch-control", k, v, 1), 0);
	assert_string_equal(json, "{\"allowed\":\"main\"}");

	/* only the table's bypassable kinds can be bypassed */
	assert_int_equal(svc_store_check_add(&chk, f->st, id, "branch-control",
					     json, "alice"), 0);
	free(json);
	assert_int_equal(svc_store_check_run_start(&r, f->st, chk, "App", "run-1",
						   "Deploy", "carol", "{}"), 0);
	assert_int_equal(svc_authz_bypass(f->st, r->id, "alice"), SVC_EINVALID);
	assert_string_equal(svc_error_last(),
			    "a branch-control check cannot be bypassed (only approval, business-hours and rest-api)");
	svc_check_run_free(r);
	free(chk);
}

static void test_check_runs(void **state)
{
	struct fx *f = *state;
	char id[SVC_ID_LEN + 1], *chk, *lock;
	svc_check_run *r1, *r2, *r3, *r4, *l;
	size_t n;

	mkconn(f, "prod", "alice", id);
	assert_int_equal(svc_store_check_add(&chk, f->st, id, "approval", "{}",
					     "alice"), 0);
	assert_int_equal(svc_store_check_add(&lock, f->st, id,
					     "exclusive-lock", "{}", "alice"),
			 0);
	/* starting twice gives the same run */
	assert_int_equal(svc_store_check_run_start(&r1, f->st, chk, "App",
						   "run-1", "Deploy", "carol",
						   "{\"approvers\":[\"bob\"]}"),
			 0);
	assert_true(svc_is_uuid(r1->id));
	assert_string_equal(r1->status, SVC_RUN_PENDING);
	assert_string_equal(r1->kind, "approval");
	assert_string_equal(r1->conn_id, id);
	assert_string_equal(r1->stage, "Deploy");
	assert_string_equal(r1->requested_by, "carol");
	assert_int_equal(r1->version, 1);
	assert_int_equal(svc_store_check_run_start(&r2, f->st, chk, "app",
						   "run-1", "Deploy", "carol",
						   "{}"), 0);
	assert_string_equal(r1->id, r2->id);
	assert_string_equal(r2->state, "{\"approvers\":[\"bob\"]}");
	svc_check_run_free(r2);
	/* another stage is another run; no stage is a stage of its own */
	assert_int_equal(svc_store_check_run_start(&r2, f->st, chk, "App",
						   "run-1", "Build", NULL,
						   NULL), 0);
	assert_string_not_equal(r1->id, r2->id);
	assert_int_equal(svc_store_check_run_start(&r3, f->st, lock, "App",
						   "run-1", NULL, NULL, NULL),
			 0);
	assert_null(r3->stage);
	assert_int_equal(svc_store_check_run_start(&r4, f->st, lock, "App",
						   "run-1", NULL, NULL, NULL),
			 0);
	assert_string_equal(r3->id, r4->id);
	svc_check_run_free(r4);
	/* compare-and-set */
	assert_int_equal(svc_store_check_run_update(f->st, r1->id, 1,
						    SVC_RUN_APPROVED,
						    "{\"n\":1}", "approved"),
			 0);
	assert_int_equal(svc_store_check_run_update(f->st, r1->id, 1,
						    SVC_RUN_REJECTED, NULL,
						    "late"), SVC_EPENDING);
	assert_non_null(strstr(svc_error_last(), "reload"));
	assert_int_equal(svc_store_check_run_get(&r4, f->st, r1->id), 0);
	assert_int_equal(r4->version, 2);
	assert_string_equal(r4->status, SVC_RUN_APPROVED);
	assert_string_equal(r4->state, "{\"n\":1}");
	assert_string_equal(r4->message, "approved");
	svc_check_run_free(r4);
	/* NULL keeps */
	assert_int_equal(svc_store_check_run_update(f->st, r1->id, 2, NULL,
						    NULL, "again"), 0);
	assert_int_equal(svc_store_check_run_get(&r4, f->st, r1->id), 0);
	assert_int_equal(r4->version, 3);
	assert_string_equal(r4->status, SVC_RUN_APPROVED);
	assert_string_equal(r4->state, "{\"n\":1}");
	assert_string_equal(r4->message, "again");
	svc_check_run_free(r4);
	/* refusals */
	assert_int_equal(svc_store_check_run_update(f->st, r1->id, 3, "maybe",
						    NULL, NULL), SVC_EINVALID);
	assert_int_equal(svc_store_check_run_update(f->st, r1->id, 3, NULL,
						    "[1]", NULL), SVC_EINVALID);
	assert_int_equal(svc_store_check_run_update(f->st, "no-such-run", 1,
						    NULL, NULL, NULL),
			 SVC_ENOTFOUND);
	assert_int_equal(svc_store_check_run_get(&r4, f->st, "no-such-run"),
			 SVC_ENOTFOUND);
	assert_int_equal(svc_store_check_run_start(&r4, f->st, "no-such-check",
						   "App", "run-1", "Deploy",
						   NULL, NULL), SVC_ENOTFOUND);
	assert_int_equal(svc_store_check_run_start(&r4, f->st, chk, "App",
						   "run-1", "Deploy", NULL,
						   "not json"), SVC_EINVALID);
	/* lists: oldest first; pending only; by kind */
	assert_int_equal(svc_store_check_run_list(&l, &n, f->st, 0, NULL), 0);
	assert_int_equal(n, 3);
	assert_string_equal(l[0].id, r1->id);
	assert_string_equal(l[1].id, r2->id);
	assert_string_equal(l[2].id, r3->id);
	svc_check_runs_free(l, n);
	assert_int_equal(svc_store_check_run_list(&l, &n, f->st, 1, NULL), 0);
	assert_int_equal(n, 2);
	assert_string_equal(l[0].id, r2->id);
	svc_check_runs_free(l, n);
	assert_int_equal(svc_store_check_run_list(&l, &n, f->st, 1,
						  "exclusive-lock"), 0);
	assert_int_equal(n, 1);
	assert_string_equal(l[0].id, r3->id);
	svc_check_runs_free(l, n);
	/* a bypass is audited, with who did it */
	assert_int_equal(svc_store_check_run_update_as(f->st, r2->id, 1,
						       SVC_RUN_BYPASSED, NULL,
						       "bypassed", "alice"),
			 0);
	last_audit(f, "check-bypass", "\"to\":\"bypassed\"");
	assert_int_equal(svc_store_check_run_update(f->st, r3->id, 1,
						    SVC_RUN_PASSED, NULL,
						    NULL), 0);
	last_audit(f, "check-bypass", NULL); /* not audited: a run's step */
	svc_check_run_free(r1);
	svc_check_run_free(r2);
	svc_check_run_free(r3);
	free(chk);
	free(lock);
}

/* In a child: start the run and write its id to fd. */
static void child_start(struct fx *f, const char *chk, int fd)
{
	svc_check_run *r;
	svc_store *st;
	int ok;

	if (svc_store_open(&st, &f->opts) != 0)
		_exit(2);
	ok = svc_store_check_run_start(&r, st, chk, "App", "run-9", "Deploy",
				       "child", "{\"n\":0}") == 0 &&
	     write(fd, r->id, SVC_ID_LEN) == SVC_ID_LEN;
	_exit(ok ? 0 : 3);
}

/*
 * In a child: add 1 to the counter n in the run's state, times times,
 * reloading and retrying whenever someone else changed it first.
 */
static void child_count(struct fx *f, const char *run_id, int times)
{
	svc_check_run *r;
	svc_store *st;
	json_t *j;
	char next[64];
	long long v;
	int i, rc;

	if (svc_store_open(&st, &f->opts) != 0)
		_exit(2);
	for (i = 0; i < times; i++) {
		do {
			if (svc_store_check_run_get(&r, st, run_id) != 0)
				_exit(3);
			if (!(j = json_loads(r->state, 0, NULL)))
				_exit(4);
			v = json_integer_value(json_object_get(j, "n"));
			json_decref(j);
			snprintf(next, sizeof(next), "{\"n\":%lld}", v + 1);
			rc = svc_store_check_run_update(st, run_id,
							r->version, NULL,
							next, NULL);
			svc_check_run_free(r);
		} while (rc == SVC_EPENDING);
		if (rc != 0)
			_exit(5);
	}
	svc_store_free(st);
	_exit(0);
}

static void test_check_run_races(void **state)
{
	struct fx *f = *state;
	char id[SVC_ID_LEN + 1], *chk, ra[SVC_ID_LEN + 1], rb[SVC_ID_LEN + 1];
	svc_check_run *r;
	int pa[2], pb[2], sa, sb;
	pid_t a, b;
	json_t *j;

	mkconn(f, "prod", "alice", id);
	assert_int_equal(svc_store_check_add(&chk, f->st, id, "approval", "{}",
					     "alice"), 0);
	svc_store_free(f->st);
	f->st = NULL;
	/* two processes starting the same run get the same row */
	assert_int_equal(pipe(pa), 0);
	assert_int_equal(pipe(pb), 0);
	if ((a = fork()) == 0)
		child_start(f, chk, pa[1]);
	if ((b = fork()) == 0)
		child_start(f, chk, pb[1]);
	assert_true(a > 0 && b > 0);
	assert_int_equal(waitpid(a, &sa, 0), a);
	assert_int_equal(waitpid(b, &sb, 0), b);
	assert_true(WIFEXITED(sa) && WEXITSTATUS(sa) == 0);
	assert_true(WIFEXITED(sb) && WEXITSTATUS(sb) == 0);
	assert_int_equal(read(pa[0], ra, SVC_ID_LEN), SVC_ID_LEN);
	assert_int_equal(read(pb[0], rb, SVC_ID_LEN), SVC_ID_LEN);
	ra[SVC_ID_LEN] = rb[SVC_ID_LEN] = '\0';
	assert_string_equal(ra, rb);
	close(pa[0]);
	close(pa[1]);
	close(pb[0]);
	close(pb[1]);
	/* two processes each counting 200 by compare-and-set: none lost */
	if ((a = fork()) == 0)
		child_count(f, ra, 200);
	if ((b = fork()) == 0)
		child_count(f, ra, 200);
	assert_true(a > 0 && b > 0);
	assert_int_equal(waitpid(a, &sa, 0), a);
	assert_int_equal(waitpid(b, &sb, 0), b);
	assert_true(WIFEXITED(sa) && WEXITSTATUS(sa) == 0);
	assert_true(WIFEXITED(sb) && WEXITSTATUS(sb) == 0);
	assert_int_equal(svc_store_open(&f->st, &f->opts), 0);
	assert_int_equal(svc_store_check_run_get(&r, f->st, ra), 0);
	assert_non_null(j = json_loads(r->state, 0, NULL));
	assert_int_equal(json_integer_value(json_object_get(j, "n")), 400);
	assert_int_equal(r->version, 401);
	json_decref(j);
	svc_check_run_free(r);
	free(chk);
}

/* ---- approvals --------------------------------------------------------- */

/* Connection prod (its id into id) with an approval check (*chk) and its
 * run for run-1 of App's stage Deploy, queued by carol (*r). */
static void approval_run(struct fx *f, char *id, char **chk,
			 svc_check_run **r)
{
	mkconn(f, "prod", "alice", id);
	assert_int_equal(svc_store_check_add(chk, f->st, id, "approval", "{}",
					     "alice"), 0);
	assert_int_equal(svc_store_check_run_start(r, f->st, *chk, "App",
						   "run-1", "Deploy", "carol",
						   NULL), 0);
}

static void test_approvals(void **state)
{
	struct fx *f = *state;
	char id[SVC_ID_LEN + 1], *chk;
	svc_check_run *r;
	svc_approval *l;
	size_t n;

	approval_run(f, id, &chk, &r);
	assert_int_equal(svc_store_approval_add(f->st, r->id, "bob", "devs",
						"approve", "looks fine",
						"2030-01-01T10:00:00Z"), 0);
	last_audit(f, "approval", "\"as_approver\":\"devs\"");
	assert_int_equal(svc_store_approval_add(f->st, r->id, "dave", NULL,
						"reject", NULL, NULL), 0);
	assert_int_equal(svc_store_approval_list(&l, &n, f->st, r->id), 0);
	assert_int_equal(n, 2);
	assert_true(l[0].seq < l[1].seq);
	assert_string_equal(l[0].check_run_id, r->id);
	assert_string_equal(l[0].actor, "bob");
	assert_string_equal(l[0].as_approver, "devs");
	assert_string_equal(l[0].decision, "approve");
	assert_string_equal(l[0].comment, "looks fine");
	assert_string_equal(l[0].defer_until, "2030-01-01T10:00:00Z");
	assert_non_null(l[0].at);
	assert_string_equal(l[1].actor, "dave");
	assert_string_equal(l[1].as_approver, "dave");
	assert_string_equal(l[1].decision, "reject");
	assert_null(l[1].comment);
	assert_null(l[1].defer_until);
	svc_approvals_free(l, n);
	/* refusals */
	assert_int_equal(svc_store_approval_add(f->st, r->id, "bob", NULL,
						"maybe", NULL, NULL),
			 SVC_EINVALID);
	assert_int_equal(svc_store_approval_add(f->st, r->id, "bob", NULL,
						"approve", NULL, "tomorrow"),
			 SVC_EINVALID);
	assert_int_equal(svc_store_approval_add(f->st, "no-such-run", "bob",
						NULL, "approve", NULL, NULL),
			 SVC_ENOTFOUND);
	assert_int_equal(svc_store_approval_list(&l, &n, f->st, "no-such-run"),
			 SVC_ENOTFOUND);
	svc_check_run_free(r);
	free(chk);
}

/* What judge saw, and what it answers (status NULL: it fails). */
struct judged {
	size_t calls;          /**< times called */
	size_t seen;           /**< decisions it was given, the new one counted */
	const char *status;    /**< its answer, or NULL to fail */
};

static int judge(void *ctx, const svc_check_run *run, const svc_approval *a,
		 size_t n, const char **status, char **message)
{
	struct judged *j = ctx;

	(void)run;
	(void)a;
	j->calls++;
	j->seen = n;
	if (!j->status)
		return SVC_ERROR;
	*status = j->status;
	*message = strdup("judged");
	return *message ? 0 : SVC_ERROR;
}

/*
 * A decision and the run's status it leads to are one transaction: when
 * the status cannot be written the decision is not either (no decision
 * without its status, so a crash between them leaves no stale pending);
 * written, both are there, the judge having counted the new decision; a
 * run no longer pending takes no decision.
 */
static void test_approval_decide_atomic(void **state)
{
	struct fx *f = *state;
	struct judged j = { 0, 0, NULL };
	char id[SVC_ID_LEN + 1], *chk, want[128];
	svc_check_run *r, *now;
	svc_approval *l;
	size_t n;

	approval_run(f, id, &chk, &r);
	/* the status fails: no decision, no audit record, the run as it was */
	assert_int_equal(svc_store_approval_decide(f->st, r->id, "bob", NULL,
						   "approve", NULL, NULL,
						   judge, &j),
			 SVC_ERROR);
	assert_int_equal(j.calls, 1);
	assert_int_equal(j.seen, 1);
	assert_int_equal(svc_store_approval_list(&l, &n, f->st, r->id), 0);
	assert_int_equal(n, 0);
	svc_approvals_free(l, n);
	assert_int_equal(raw_count(f, "approvals", "check_run_id", r->id), 0);
	assert_int_equal(raw_count(f, "audit", "action", "approval"), 0);
	assert_int_equal(svc_store_check_run_get(&now, f->st, r->id), 0);
	assert_string_equal(now->status, SVC_RUN_PENDING);
	assert_true(now->version == r->version);
	svc_check_run_free(now);
	/* judged approved: the decision and the status together */
	j.status = SVC_RUN_APPROVED;
	assert_int_equal(svc_store_approval_decide(f->st, r->id, "bob", NULL,
						   "approve", NULL, NULL,
						   judge, &j), 0);
	assert_int_equal(j.seen, 1);
	assert_int_equal(raw_count(f, "approvals", "check_run_id", r->id), 1);
	assert_int_equal(raw_count(f, "audit", "action", "approval"), 1);
	assert_int_equal(svc_store_check_run_get(&now, f->st, r->id), 0);
	assert_string_equal(now->status, SVC_RUN_APPROVED);
	assert_string_equal(now->message, "judged");
	svc_check_run_free(now);
	/* decided: another decision is refused, nothing added */
	j.calls = 0;
	assert_int_equal(svc_store_approval_decide(f->st, r->id, "dave", NULL,
						   "reject", NULL, NULL,
						   judge, &j),
			 SVC_EINVALID);
	snprintf(want, sizeof(want), "approval '%s' is already approved", r->id);
	assert_string_equal(svc_error_last(), want);
	assert_int_equal(j.calls, 0);
	assert_int_equal(raw_count(f, "approvals", "check_run_id", r->id), 1);
	svc_check_run_free(r);
	free(chk);
}

/* ---- exclusive locks --------------------------------------------------- */

/* Try to take conn's lock for holder; the outcome, holder_out in *who. */
static svc_lock_result try_lock(struct fx *f, const char *conn,
				const char *holder, int sequential,
				char **who)
{
	svc_lock_result res = (svc_lock_result)-1;
	char *w = NULL;

	assert_int_equal(svc_store_lock_acquire(&res, &w, f->st, conn, holder,
						sequential, 60), 0);
	if (who)
		*who = w;
	else
		free(w);
	return res;
}

/* Like try_lock, for a WAITING outcome: the name of whom it waits for. */
static void expect_wait(struct fx *f, const char *conn, const char *holder,
			int sequential, const char *for_whom)
{
	char *w = NULL;

	assert_int_equal(try_lock(f, conn, holder, sequential, &w),
			 SVC_LOCK_WAITING);
	assert_non_null(w);
	assert_string_equal(w, for_whom);
	free(w);
}

static void test_locks_basic(void **state)
{
	struct fx *f = *state;
	char id[SVC_ID_LEN + 1], b[SVC_ID_LEN + 1];
	size_t before;

	mkconn(f, "prod", "alice", id);
	mkconn(f, "test", "alice", b);
	set_now(T0);
	before = audit_count(f);
	assert_int_equal(try_lock(f, id, "App/1/Deploy", 1, NULL),
			 SVC_LOCK_ACQUIRED);
	expect_wait(f, id, "App/2/Deploy", 1, "App/1/Deploy");
	/* another connection's lock is another lock */
	assert_int_equal(try_lock(f, b, "App/2/Deploy", 1, NULL),
			 SVC_LOCK_ACQUIRED);
	/* release: the waiter gets it */
	assert_int_equal(svc_store_lock_release(f->st, "App/1/Deploy"), 0);
	assert_int_equal(try_lock(f, "prod", "App/2/Deploy", 1, NULL),
			 SVC_LOCK_ACQUIRED);
	/* re-acquiring by the holder renews its lease */
	set_now(T0 + 50);
	assert_int_equal(try_lock(f, id, "App/2/Deploy", 1, NULL),
			 SVC_LOCK_ACQUIRED);
	set_now(T0 + 100); /* past the first lease, within the renewed one */
	expect_wait(f, id, "App/3/Deploy", 1, "App/2/Deploy");
	/* an expired lease is released */
	set_now(T0 + 111);
	assert_int_equal(try_lock(f, id, "App/3/Deploy", 1, NULL),
			 SVC_LOCK_ACQUIRED);
	/* renew extends every lease of a holder */
	assert_int_equal(svc_store_lock_renew(f->st, "App/3/Deploy", 300), 0);
	set_now(T0 + 111 + 200);
	expect_wait(f, id, "App/4/Deploy", 1, "App/3/Deploy");
	assert_int_equal(svc_store_lock_renew(f->st, "nobody", 60),
			 SVC_ENOTFOUND);
	assert_int_equal(svc_store_lock_release(f->st, "nobody"), 0);
	/* refusals */
	assert_int_equal(svc_store_lock_acquire(&(svc_lock_result){0}, NULL,
						f->st, id, "x", 1, 0),
			 SVC_EINVALID);
	assert_int_equal(svc_store_lock_acquire(&(svc_lock_result){0}, NULL,
						f->st, "nope", "x", 1, 60),
			 SVC_ENOTFOUND);
	/* locks are not audited */
	assert_int_equal(audit_count(f), before);
}

static void test_locks_sequential(void **state)
{
	struct fx *f = *state;
	char id[SVC_ID_LEN + 1];

	mkconn(f, "prod", "alice", id);
	set_now(T0);
	assert_int_equal(try_lock(f, id, "A", 1, NULL), SVC_LOCK_ACQUIRED);
	expect_wait(f, id, "B", 1, "A");
	expect_wait(f, id, "C", 1, "A");
	expect_wait(f, id, "D", 1, "A");
	assert_int_equal(svc_store_lock_release(f->st, "A"), 0);
	/* served in queue order, whoever asks first */
	expect_wait(f, id, "D", 1, "B");
	expect_wait(f, id, "C", 1, "B");
	assert_int_equal(try_lock(f, id, "B", 1, NULL), SVC_LOCK_ACQUIRED);
	expect_wait(f, id, "D", 1, "B");
	assert_int_equal(svc_store_lock_release(f->st, "B"), 0);
	expect_wait(f, id, "D", 1, "C");
	assert_int_equal(try_lock(f, id, "C", 1, NULL), SVC_LOCK_ACQUIRED);
	assert_int_equal(svc_store_lock_release(f->st, "C"), 0);
	assert_int_equal(try_lock(f, id, "D", 1, NULL), SVC_LOCK_ACQUIRED);
	/* a newcomer queues behind the holder, then is served */
	expect_wait(f, id, "E", 1, "D");
	assert_int_equal(svc_store_lock_release(f->st, "D"), 0);
	assert_int_equal(try_lock(f, id, "E", 1, NULL), SVC_LOCK_ACQUIRED);
	/* acquiring left the queue: nothing is waiting any more */
	assert_int_equal(raw_count(f, "lock_queue", "conn_id", id), 0);
}

static void test_locks_run_latest(void **state)
{
	struct fx *f = *state;
	char id[SVC_ID_LEN + 1];

	mkconn(f, "prod", "alice", id);
	set_now(T0);
	assert_int_equal(try_lock(f, id, "A", 0, NULL), SVC_LOCK_ACQUIRED);
	expect_wait(f, id, "B", 0, "A");
	expect_wait(f, id, "C", 0, "A");
	/* C, newer, replaced B */
	assert_int_equal(try_lock(f, id, "B", 0, NULL), SVC_LOCK_CANCELED);
	assert_int_equal(try_lock(f, id, "B", 0, NULL), SVC_LOCK_CANCELED);
	assert_int_equal(svc_store_lock_release(f->st, "A"), 0);
	assert_int_equal(try_lock(f, id, "C", 0, NULL), SVC_LOCK_ACQUIRED);
	assert_int_equal(try_lock(f, id, "B", 0, NULL), SVC_LOCK_CANCELED);
	/* releasing forgets the canceled place: B may queue again */
	assert_int_equal(svc_store_lock_release(f->st, "B"), 0);
	expect_wait(f, id, "B", 0, "C");
	/* the lock is free and older runs wait: the newest takes it */
	assert_int_equal(svc_store_lock_release(f->st, "C"), 0);
	expect_wait(f, id, "S", 1, "B"); /* sequential: behind B */
	assert_int_equal(try_lock(f, id, "D", 0, NULL), SVC_LOCK_ACQUIRED);
	assert_int_equal(try_lock(f, id, "B", 0, NULL), SVC_LOCK_CANCELED);
	assert_int_equal(try_lock(f, id, "S", 1, NULL), SVC_LOCK_CANCELED);
	/* an older waiter of a free lock, a newer one queued: replaced */
	assert_int_equal(svc_store_lock_release(f->st, "B"), 0);
	assert_int_equal(svc_store_lock_release(f->st, "S"), 0);
	expect_wait(f, id, "E", 0, "D");
	expect_wait(f, id, "F", 1, "D");
	assert_int_equal(svc_store_lock_release(f->st, "D"), 0);
	assert_int_equal(try_lock(f, id, "E", 0, NULL), SVC_LOCK_CANCELED);
	assert_int_equal(try_lock(f, id, "F", 1, NULL), SVC_LOCK_ACQUIRED);
}

/* ---- usage history ----------------------------------------------------- */

/* Record a use of conn by (pipeline, run, stage, job) with decision. */
static void use(struct fx *f, const char *conn, const char *pipeline,
		const char *run, const char *stage, const char *job,
		const char *decision)
{
	svc_usage u;

	memset(&u, 0, sizeof(u));
	u.conn_id = (char *)conn;
	u.pipeline = (char *)pipeline;
	u.run_id = (char *)run;
	u.stage = (char *)stage;
	u.job = (char *)job;
	u.requested_by = "carol";
	u.decision = (char *)decision;
	assert_int_equal(svc_store_usage_add(f->st, &u), 0);
}

static void test_usage(void **state)
{
	struct fx *f = *state;
	char a[SVC_ID_LEN + 1], b[SVC_ID_LEN + 1];
	svc_usage *l, bad;
	size_t n, before;

	mkconn(f, "prod", "alice", a);
	mkconn(f, "test", "alice", b);
	before = audit_count(f);
	use(f, a, "App", "run-1", "Deploy", "job1", "granted");
	use(f, "test", "App", "run-1", "Deploy", "job1", "granted");
	use(f, a, "App", "run-1", "Deploy", "job2", "denied");
	use(f, a, "App", "run-1", NULL, "job1", "granted");
	assert_int_equal(svc_store_usage_finish(f->st, "app", "run-1",
						"Deploy", "job1",
						"Succeeded"), 0);
	assert_int_equal(svc_store_usage_list(&l, &n, f->st, NULL, 0), 0);
	assert_int_equal(n, 4);
	/* newest first */
	assert_true(l[0].id > l[1].id && l[1].id > l[2].id);
	assert_null(l[0].stage);
	assert_null(l[0].result);          /* stage NULL is not "Deploy" */
	assert_string_equal(l[1].decision, "denied");
	assert_null(l[1].result);          /* only granted ones finish */
	assert_string_equal(l[2].conn_name, "test");
	assert_string_equal(l[2].conn_id, b);
	assert_string_equal(l[2].result, "Succeeded");
	assert_non_null(l[2].finished_at);
	assert_string_equal(l[3].result, "Succeeded");
	assert_string_equal(l[3].requested_by, "carol");
	assert_non_null(l[3].at);
	svc_usages_free(l, n);
	/* NULL stage matches NULL; a result is set once */
	assert_int_equal(svc_store_usage_finish(f->st, "App", "run-1", NULL,
						"job1", "Failed"), 0);
	assert_int_equal(svc_store_usage_finish(f->st, "App", "run-1",
						"Deploy", "job1",
						"Canceled"), 0);
	assert_int_equal(svc_store_usage_list(&l, &n, f->st, "prod", 0), 0);
	assert_int_equal(n, 3);
	assert_string_equal(l[0].result, "Failed");
	assert_string_equal(l[2].result, "Succeeded");
	svc_usages_free(l, n);
	assert_int_equal(svc_store_usage_list(&l, &n, f->st, a, 1), 0);
	assert_int_equal(n, 1);
	assert_null(l[0].stage);
	svc_usages_free(l, n);
	/* refusals */
	assert_int_equal(svc_store_usage_finish(f->st, "App", "run-1", NULL,
						"job1", "Fine"), SVC_EINVALID);
	memset(&bad, 0, sizeof(bad));
	bad.conn_id = a;
	bad.pipeline = "App";
	bad.run_id = "run-2";
	bad.decision = "perhaps";
	assert_int_equal(svc_store_usage_add(f->st, &bad), SVC_EINVALID);
	bad.decision = "granted";
	bad.conn_id = "nope";
	assert_int_equal(svc_store_usage_add(f->st, &bad), SVC_ENOTFOUND);
	/* usage is history, not audited */
	assert_int_equal(audit_count(f), before);
}

/* ---- audit records from above the store -------------------------------- */

static void test_audit_add(void **state)
{
	struct fx *f = *state;
	char id[SVC_ID_LEN + 1];
	const svc_audit_entry *e;
	svc_audit_list *al;

	mkconn(f, "prod", "alice", id);
	assert_int_equal(svc_store_audit_add(f->st, "alice", "gate-deny", id,
					     "prod", "{\"stage\":\"Deploy\"}"),
			 0);
	assert_int_equal(svc_store_audit(&al, f->st, 1), 0);
	e = svc_audit_list_at(al, 0);
	assert_string_equal(e->action, "gate-deny");
	assert_string_equal(e->actor, "alice");
	assert_string_equal(e->conn_id, id);
	assert_string_equal(e->conn_name, "prod");
	assert_string_equal(e->detail, "{\"stage\":\"Deploy\"}");
	svc_audit_list_free(al);
	assert_int_equal(svc_store_audit_add(f->st, "alice", "note", NULL,
					     NULL, NULL), 0);
	last_audit(f, "note", "{}");
	assert_int_equal(svc_store_audit_add(f->st, "alice", "Bad Action",
					     NULL, NULL, NULL), SVC_EINVALID);
	assert_int_equal(svc_store_audit_add(f->st, "alice", "x", NULL, NULL,
					     "[1]"), SVC_EINVALID);
}

/* ---- deleting a connection --------------------------------------------- */

static void test_delete_removes_authz(void **state)
{
	struct fx *f = *state;
	char id[SVC_ID_LEN + 1], keep[SVC_ID_LEN + 1], *chk, *req;
	svc_check_run *r;
	svc_usage *l;
	size_t n;

	mkconn(f, "prod", "alice", id);
	mkconn(f, "keep", "alice", keep);
	assert_int_equal(svc_store_role_set(f->st, id, "bob", SVC_ROLE_USER,
					    "alice"), 0);
	assert_int_equal(svc_store_pipeline_allow(f->st, id, "App", "alice"),
			 0);
	assert_int_equal(svc_store_pipeline_allow(f->st, keep, "App",
						  "alice"), 0);
	assert_int_equal(svc_store_request_open(&req, f->st, id, "Other",
						"run-1", "carol"), 0);
	assert_int_equal(svc_store_check_add(&chk, f->st, id, "approval", "{}",
					     "alice"), 0);
	assert_int_equal(svc_store_check_run_start(&r, f->st, chk, "App",
						   "run-1", "Deploy", NULL,
						   NULL), 0);
	assert_int_equal(svc_store_approval_add(f->st, r->id, "bob", NULL,
						"approve", NULL, NULL), 0);
	assert_int_equal(try_lock(f, id, "A", 1, NULL), SVC_LOCK_ACQUIRED);
	expect_wait(f, id, "B", 1, "A");
	use(f, id, "App", "run-1", "Deploy", "job1", "granted");

	assert_int_equal(svc_store_conn_delete(f->st, "prod", "alice"), 0);
	assert_int_equal(raw_count(f, "role_assignments", "conn_id", id), 0);
	assert_int_equal(raw_count(f, "pipeline_permissions", "conn_id", id),
			 0);
	assert_int_equal(raw_count(f, "permission_requests", "conn_id", id),
			 0);
	assert_int_equal(raw_count(f, "checks", "conn_id", id), 0);
	assert_int_equal(raw_count(f, "check_runs", "check_id", chk), 0);
	assert_int_equal(raw_count(f, "approvals", "check_run_id", r->id), 0);
	assert_int_equal(raw_count(f, "lock_holders", "conn_id", id), 0);
	assert_int_equal(raw_count(f, "lock_queue", "conn_id", id), 0);
	/* the other connection keeps its rows; the history stays */
	assert_int_equal(raw_count(f, "pipeline_permissions", "conn_id", keep),
			 1);
	assert_int_equal(raw_count(f, "role_assignments", "conn_id", keep), 1);
	assert_int_equal(svc_store_usage_list(&l, &n, f->st, id, 0), 0);
	assert_int_equal(n, 1);
	assert_string_equal(l[0].conn_name, "prod");
	svc_usages_free(l, n);
	assert_int_equal(svc_store_check_get(&(svc_check *){NULL}, f->st, chk),
			 SVC_ENOTFOUND);
	last_audit(f, "delete", NULL);
	svc_check_run_free(r);
	free(chk);
	free(req);
}

/* ---- the schema -------------------------------------------------------- */

static void test_schema_upgrade(void **state)
{
	static const char *const drop =
		"DROP TABLE usage_history; DROP TABLE lock_queue;"
		"DROP TABLE lock_holders; DROP TABLE approvals;"
		"DROP TABLE check_runs; DROP TABLE checks;"
		"DROP TABLE permission_requests;"
		"DROP TABLE pipeline_permissions; DROP TABLE group_members;"
		"DROP TABLE principal_groups; DROP TABLE role_assignments;"
		"ALTER TABLE connections DROP COLUMN inherit_roles;"
		"PRAGMA user_version = 1;";
	struct fx *f = *state;
	char id[SVC_ID_LEN + 1];
	tu_db *db;
	int on = -1;

	if (f->opts.database) {
		print_message("skipped on PostgreSQL: its schema starts at "
			      "version 10, there is no version 1\n");
		skip();
	}
	mkconn(f, "prod", "alice", id);
	assert_int_equal(tu_db_get(f->home, NULL, "PRAGMA user_version"), 12);
	/* make it a version 1 store with a connection, then reopen it */
	svc_store_free(f->st);
	f->st = NULL;
	db = tu_db_open(f->home, NULL);
	tu_db_exec(db, drop);
	tu_db_close(db);
	assert_int_equal(svc_store_open(&f->st, &f->opts), 0);
	assert_int_equal(tu_db_get(f->home, NULL, "PRAGMA user_version"), 12);
	assert_int_equal(svc_store_inherit_get(f->st, id, &on), 0);
	assert_int_equal(on, 1);
	assert_int_equal(svc_store_role_set(f->st, id, "alice", SVC_ROLE_ADMIN,
					    "tester"), 0);
	assert_int_equal(role_of(f, "prod", "alice"), SVC_ROLE_ADMIN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_init_makes_admin, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_create_makes_admin, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_roles, setup, teardown),
		cmocka_unit_test_setup_teardown(test_groups, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pipelines, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_requests, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_kinds, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_check_runs, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_check_run_races, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_approvals, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_approval_decide_atomic,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_locks_basic, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_locks_sequential, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_locks_run_latest, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_usage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_add, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_delete_removes_authz,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_schema_upgrade, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
