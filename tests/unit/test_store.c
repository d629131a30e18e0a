/*
 * test_store.c - the encrypted connection store.
 *
 * Every test gets its own store directory.  Connections are built by hand
 * (kind and secret flag set with svc_conn_set_field_class, as validation
 * would), so these tests do not depend on the catalog's contents.  Where a
 * test needs to look under the store, it opens the database with SQLite
 * directly: to check modes, to grep for plaintext, to tamper with or move
 * ciphertext, and to check that name lookups use an index.
 */
#include "testutil.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "svcconn/conn.h"
#include "svcconn/errors.h"
#include "svcconn/store.h"
#include "crypto/crypto.h"

/* The secret values used below; none may ever appear in a file. */
#define SECRET_A "S3cret-Alpha-7f1c9e2d"
#define SECRET_B "S3cret-Bravo-48a6b0c1"
#define SECRET_C "S3cret-Charlie-d95e11aa"

/* Per-test fixture: a temporary directory with the store under it. */
struct fx {
	char *dir;              /**< temporary directory (removed after) */
	char *home;             /**< store home: dir/home (not made yet) */
	svc_store_options opts; /**< options pointing at home */
	svc_store *st;          /**< an open store, or NULL */
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->dir = tu_mkdtemp();
	f->home = tu_path(f->dir, "home");
	f->opts.version = SVC_STORE_OPTIONS_VERSION;
	f->opts.home = f->home;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	svc_store_free(f->st);
	tu_rm_rf(f->dir);
	free(f->home);
	free(f->dir);
	free(f);
	return 0;
}

/* init + open into f->st. */
static void init_open(struct fx *f)
{
	assert_int_equal(svc_store_init(&f->opts, "tester"), 0);
	assert_int_equal(svc_store_open(&f->st, &f->opts), 0);
}

/* A generic UsernamePassword connection with a secret password. */
static svc_conn *mk(const char *name, const char *url, const char *user,
		    const char *pass)
{
	svc_conn *c;

	assert_int_equal(svc_conn_new(&c, "generic", name), 0);
	assert_int_equal(svc_conn_set_scheme(c, "UsernamePassword"), 0);
	assert_int_equal(svc_conn_set_url(c, url), 0);
	assert_int_equal(svc_conn_set_field(c, "username", user, strlen(user)),
			 0);
	assert_int_equal(svc_conn_set_field_class(c, "username",
						  SVC_FIELD_AUTH, 0), 0);
	if (pass) {
		assert_int_equal(svc_conn_set_field(c, "password", pass,
						    strlen(pass)), 0);
		assert_int_equal(svc_conn_set_field_class(c, "password",
							  SVC_FIELD_AUTH, 1),
				 0);
	}
	return c;
}

/* Add a secret field key=value to c. */
static void add_secret(svc_conn *c, const char *key, const char *value)
{
	assert_int_equal(svc_conn_set_field(c, key, value, strlen(value)), 0);
	assert_int_equal(svc_conn_set_field_class(c, key, SVC_FIELD_DATA, 1),
			 0);
}

static void create(struct fx *f, svc_conn *c)
{
	assert_int_equal(svc_store_conn_create(f->st, c, "tester"), 0);
}

/* Field key of c as a string, or NULL when absent or not loaded. */
static const char *fval(const svc_conn *c, const char *key)
{
	svc_conn_field v;

	if (svc_conn_field_get(c, key, &v) != 0)
		return NULL;
	return v.value;
}

static mode_t file_mode(const char *path)
{
	struct stat sb;

	assert_int_equal(stat(path, &sb), 0);
	return sb.st_mode & 07777;
}

static char *suffixed(const char *path, const char *suffix)
{
	size_t n = strlen(path) + strlen(suffix) + 1;
	char *p = malloc(n);

	assert_non_null(p);
	snprintf(p, n, "%s%s", path, suffix);
	return p;
}

/* Open the store's database directly with SQLite. */
static sqlite3 *raw_db(struct fx *f)
{
	char *path = tu_path(f->home, "store.db");
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 30000);
	free(path);
	return db;
}

/* The sealed blob of field key of connection name (malloc'd). */
static unsigned char *blob_get(sqlite3 *db, const char *name, const char *key,
			       int *len)
{
	sqlite3_stmt *st;
	unsigned char *out;

	assert_int_equal(sqlite3_prepare_v2(db,
		"SELECT f.sealed FROM fields f JOIN connections c "
		"ON c.id = f.conn_id WHERE c.name = ?1 AND f.key = ?2",
		-1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	*len = sqlite3_column_bytes(st, 0);
	out = malloc((size_t)*len);
	assert_non_null(out);
	memcpy(out, sqlite3_column_blob(st, 0), (size_t)*len);
	sqlite3_finalize(st);
	return out;
}

static void blob_set(sqlite3 *db, const char *name, const char *key,
		     const unsigned char *p, int len)
{
	sqlite3_stmt *st;

	assert_int_equal(sqlite3_prepare_v2(db,
		"UPDATE fields SET sealed = ?3 WHERE key = ?2 AND conn_id = "
		"(SELECT id FROM connections WHERE name = ?1)",
		-1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, p, len, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	assert_int_equal(sqlite3_changes(db), 1);
	sqlite3_finalize(st);
}

static long long raw_count(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	long long n;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* Assert that none of the secrets occurs in the file at path. */
static void assert_file_clean(const char *path)
{
	static const char *const secrets[] = { SECRET_A, SECRET_B, SECRET_C };
	size_t len, i;
	char *data = tu_read_file(path, &len);

	if (!data)
		return; /* not there (a -wal after a checkpoint) */
	for (i = 0; i < 3; i++)
		if (tu_memmem(data, len, secrets[i], strlen(secrets[i])))
			fail_msg("secret '%s' found in '%s'", secrets[i], path);
	free(data);
}

/* ---- tests ------------------------------------------------------------- */

static void test_paths(void **state)
{
	svc_store_options o = { SVC_STORE_OPTIONS_VERSION, NULL, NULL };
	const char *saved = getenv("HOME");
	char *home, *key, *old_home = saved ? strdup(saved) : NULL;

	(void)state;
	setenv("SVCCONN_HOME", "/srv/svc/", 1);
	unsetenv("SVCCONN_KEY_FILE");
	assert_int_equal(svc_store_paths(&home, &key, NULL), 0);
	assert_string_equal(home, "/srv/svc");
	assert_string_equal(key, "/srv/svc/master.key");
	free(home);
	free(key);
	setenv("SVCCONN_KEY_FILE", "/keys/k", 1);
	o.home = "/opt/h";
	assert_int_equal(svc_store_paths(&home, &key, &o), 0);
	assert_string_equal(home, "/opt/h");
	assert_string_equal(key, "/keys/k");
	free(home);
	free(key);
	o.key_file = "/other/k";
	assert_int_equal(svc_store_paths(&home, &key, &o), 0);
	assert_string_equal(key, "/other/k");
	free(home);
	free(key);
	unsetenv("SVCCONN_HOME");
	unsetenv("SVCCONN_KEY_FILE");
	setenv("HOME", "/home/u", 1);
	assert_int_equal(svc_store_paths(&home, &key, NULL), 0);
	assert_string_equal(home, "/home/u/.local/share/svcconn");
	assert_string_equal(key, "/home/u/.local/share/svcconn/master.key");
	free(home);
	free(key);
	o.version = 99;
	assert_int_equal(svc_store_paths(&home, &key, &o), SVC_EINVALID);
	if (old_home)
		setenv("HOME", old_home, 1);
	free(old_home);
}

static void test_init_modes(void **state)
{
	struct fx *f = *state;
	char *db, *key, *wal, *shm;
	svc_conn *c;

	init_open(f);
	db = tu_path(f->home, "store.db");
	key = tu_path(f->home, "master.key");
	wal = suffixed(db, "-wal");
	shm = suffixed(db, "-shm");
	assert_int_equal(file_mode(f->home), 0700);
	assert_int_equal(file_mode(key), 0600);
	assert_int_equal(file_mode(db), 0600);
	assert_string_equal(svc_store_db_path(f->st), db);
	/* after a write, SQLite's side files exist and are private too */
	c = mk("first", "https://example.com", "alice", SECRET_A);
	create(f, c);
	svc_conn_free(c);
	assert_int_equal(access(wal, F_OK), 0);
	assert_int_equal(access(shm, F_OK), 0);
	assert_int_equal(file_mode(wal), 0600);
	assert_int_equal(file_mode(shm), 0600);
	/* a second init is refused, and leaves everything alone */
	assert_int_equal(svc_store_init(&f->opts, "tester"), SVC_EEXISTS);
	assert_non_null(strstr(svc_error_last(), "exists"));
	assert_int_equal(svc_store_conn_get(&c, f->st, "first",
					    SVC_GET_SECRETS), 0);
	assert_string_equal(fval(c, "password"), SECRET_A);
	svc_conn_free(c);
	free(db);
	free(key);
	free(wal);
	free(shm);
}

static void test_init_existing_key(void **state)
{
	struct fx *f = *state;
	char *keypath = tu_path(f->dir, "given.key");
	crypto_key k, l;

	/* an existing key file is used, not replaced */
	assert_int_equal(crypto_key_generate(&k), 0);
	assert_int_equal(crypto_key_write(&k, keypath), 0);
	f->opts.key_file = keypath;
	init_open(f);
	assert_int_equal(crypto_key_load(&l, keypath), 0);
	assert_string_equal(k.id, l.id);
	svc_store_free(f->st);
	f->st = NULL;
	tu_rm_rf(f->home);
	/* an insecure one is refused, and no database is left behind */
	assert_int_equal(chmod(keypath, 0644), 0);
	assert_int_equal(svc_store_init(&f->opts, "tester"), SVC_EINSECURE);
	assert_non_null(strstr(svc_error_last(), "too open"));
	assert_int_equal(svc_store_open(&f->st, &f->opts), SVC_ENOTFOUND);
	assert_int_equal(chmod(keypath, 0600), 0);
	assert_int_equal(svc_store_init(&f->opts, "tester"), 0);
	crypto_key_wipe(&k);
	crypto_key_wipe(&l);
	free(keypath);
}

static void test_open_refusals(void **state)
{
	struct fx *f = *state;
	char *db, *key;
	crypto_key k;

	assert_int_equal(svc_store_open(&f->st, &f->opts), SVC_ENOTFOUND);
	assert_non_null(strstr(svc_error_last(), "svcconn init"));
	assert_int_equal(svc_store_init(&f->opts, "tester"), 0);
	db = tu_path(f->home, "store.db");
	key = tu_path(f->home, "master.key");
	/* a database readable by others */
	assert_int_equal(chmod(db, 0644), 0);
	assert_int_equal(svc_store_open(&f->st, &f->opts), SVC_EINSECURE);
	assert_int_equal(chmod(db, 0600), 0);
	/* another key */
	assert_int_equal(unlink(key), 0);
	assert_int_equal(crypto_key_generate(&k), 0);
	assert_int_equal(crypto_key_write(&k, key), 0);
	assert_int_equal(svc_store_open(&f->st, &f->opts), SVC_ECRYPTO);
	assert_non_null(strstr(svc_error_last(), "does not match this store"));
	/* no key at all */
	assert_int_equal(unlink(key), 0);
	assert_int_equal(svc_store_open(&f->st, &f->opts), SVC_ECRYPTO);
	assert_non_null(strstr(svc_error_last(), "master.key"));
	assert_null(f->st);
	crypto_key_wipe(&k);
	free(db);
	free(key);
}

static void test_crud(void **state)
{
	struct fx *f = *state;
	svc_conn *c, *g, **list;
	svc_conn_field v;
	char id[SVC_ID_LEN + 1];
	size_t n;

	init_open(f);
	c = mk("GitHub-Main", "https://example.com/a", "alice", SECRET_A);
	svc_conn_set_description(c, "main account");
	svc_conn_set_all_pipelines(c, 1);
	create(f, c);
	assert_true(svc_is_uuid(svc_conn_id(c)));
	assert_string_equal(svc_conn_created_by(c), "tester");
	assert_non_null(svc_conn_created_at(c));
	snprintf(id, sizeof(id), "%s", svc_conn_id(c));
	svc_conn_free(c);
	c = mk("another", "https://example.com/b", "bob", SECRET_B);
	create(f, c);
	svc_conn_free(c);

	/* by name in any case, and by id */
	assert_int_equal(svc_store_conn_get(&g, f->st, "github-main", 0), 0);
	assert_string_equal(svc_conn_id(g), id);
	assert_string_equal(svc_conn_name(g), "GitHub-Main");
	assert_string_equal(svc_conn_type(g), "generic");
	assert_string_equal(svc_conn_scheme(g), "UsernamePassword");
	assert_string_equal(svc_conn_url(g), "https://example.com/a");
	assert_string_equal(svc_conn_description(g), "main account");
	assert_int_equal(svc_conn_all_pipelines(g), 1);
	assert_string_equal(svc_conn_created_by(g), "tester");
	assert_string_equal(fval(g, "username"), "alice");
	/* the secret is there but not loaded */
	assert_int_equal(svc_conn_field_get(g, "password", &v), 0);
	assert_int_equal(v.is_set, 1);
	assert_int_equal(v.secret, 1);
	assert_null(v.value);
	svc_conn_free(g);
	assert_int_equal(svc_store_conn_get(&g, f->st, "GITHUB-MAIN",
					    SVC_GET_SECRETS), 0);
	assert_int_equal(svc_conn_field_get(g, "password", &v), 0);
	assert_string_equal(v.value, SECRET_A);
	assert_int_equal(v.secret, 1);
	assert_int_equal(v.kind, SVC_FIELD_AUTH);
	svc_conn_free(g);
	assert_int_equal(svc_store_conn_get(&g, f->st, id, 0), 0);
	assert_string_equal(svc_conn_name(g), "GitHub-Main");
	svc_conn_free(g);
	assert_int_equal(svc_store_conn_get(&g, f->st, "nope", 0),
			 SVC_ENOTFOUND);
	assert_non_null(strstr(svc_error_last(), "'nope'"));

	/* list: ordered by name, case-insensitively, without secrets */
	assert_int_equal(svc_store_conn_list(&list, &n, f->st), 0);
	assert_int_equal(n, 2);
	assert_string_equal(svc_conn_name(list[0]), "another");
	assert_string_equal(svc_conn_name(list[1]), "GitHub-Main");
	assert_string_equal(fval(list[1], "username"), "alice");
	assert_int_equal(svc_conn_field_get(list[1], "password", &v), 0);
	assert_null(v.value);
	assert_int_equal(v.is_set, 1);
	svc_store_conn_list_free(list, n);

	/* a given id is kept; a bad one refused */
	c = mk("third", "https://example.com/c", "carol", SECRET_C);
	svc_conn_set_id(c, "0123abcd-0000-4000-8000-000000000001");
	create(f, c);
	assert_string_equal(svc_conn_id(c),
			    "0123abcd-0000-4000-8000-000000000001");
	svc_conn_free(c);
	c = mk("fourth", "https://example.com/d", "dave", SECRET_C);
	svc_conn_set_id(c, "0123abcd-0000-4000-8000-000000000001");
	assert_int_equal(svc_store_conn_create(f->st, c, "tester"),
			 SVC_EEXISTS);
	svc_conn_set_id(c, "not-a-uuid");
	assert_int_equal(svc_store_conn_create(f->st, c, "tester"),
			 SVC_EINVALID);
	svc_conn_free(c);
}

static void test_duplicate_name(void **state)
{
	struct fx *f = *state;
	svc_conn *c;

	init_open(f);
	c = mk("Prod", "https://example.com", "u", SECRET_A);
	create(f, c);
	svc_conn_free(c);
	c = mk("PROD", "https://example.com", "u", SECRET_B);
	assert_int_equal(svc_store_conn_create(f->st, c, "tester"),
			 SVC_EEXISTS);
	assert_non_null(strstr(svc_error_last(), "'Prod'"));
	svc_conn_free(c);
	c = mk("prod", "https://example.com", "u", NULL);
	assert_int_equal(svc_store_conn_create(f->st, c, "tester"),
			 SVC_EEXISTS);
	svc_conn_free(c);
}

static void test_update(void **state)
{
	struct fx *f = *state;
	unsigned char *before, *after;
	int blen, alen;
	svc_audit_list *al;
	const svc_audit_entry *e;
	svc_conn *c, *g;
	sqlite3 *db;

	init_open(f);
	c = mk("svc", "https://example.com/old", "alice", SECRET_A);
	add_secret(c, "token", SECRET_B);
	create(f, c);
	svc_conn_free(c);
	db = raw_db(f);
	before = blob_get(db, "svc", "password", &blen);

	/* edit without loading secrets: the secrets are kept as stored */
	assert_int_equal(svc_store_conn_get(&c, f->st, "svc", 0), 0);
	svc_conn_set_url(c, "https://example.com/new");
	svc_conn_set_field(c, "username", "alice2", 6);
	assert_int_equal(svc_store_conn_update(f->st, c, "editor"), 0);
	assert_string_equal(svc_conn_updated_by(c), "editor");
	svc_conn_free(c);
	assert_int_equal(svc_store_conn_get(&g, f->st, "svc",
					    SVC_GET_SECRETS), 0);
	assert_string_equal(svc_conn_url(g), "https://example.com/new");
	assert_string_equal(fval(g, "username"), "alice2");
	assert_string_equal(fval(g, "password"), SECRET_A);
	assert_string_equal(fval(g, "token"), SECRET_B);
	assert_string_equal(svc_conn_updated_by(g), "editor");
	assert_string_equal(svc_conn_created_by(g), "tester");
	after = blob_get(db, "svc", "password", &alen);
	assert_int_equal(alen, blen);
	assert_memory_equal(before, after, (size_t)blen);
	free(after);

	/* a new secret value is sealed again; the token is dropped */
	svc_conn_set_field(g, "password", SECRET_C, strlen(SECRET_C));
	assert_int_equal(svc_conn_unset_field(g, "token"), 0);
	assert_int_equal(svc_store_conn_update(f->st, g, "editor"), 0);
	svc_conn_free(g);
	after = blob_get(db, "svc", "password", &alen);
	assert_true(alen != blen || memcmp(before, after, (size_t)alen) != 0);
	free(after);
	free(before);
	assert_int_equal(raw_count(db, "SELECT count(*) FROM fields "
				   "WHERE key = 'token'"), 0);
	assert_int_equal(svc_store_conn_get(&g, f->st, "svc",
					    SVC_GET_SECRETS), 0);
	assert_string_equal(fval(g, "password"), SECRET_C);
	assert_null(fval(g, "token"));
	svc_conn_free(g);

	/* the audit names what changed, by key */
	assert_int_equal(svc_store_audit(&al, f->st, 2), 0);
	assert_int_equal(svc_audit_list_count(al), 2);
	e = svc_audit_list_at(al, 0);
	assert_string_equal(e->action, "edit");
	assert_string_equal(e->actor, "editor");
	assert_string_equal(e->conn_name, "svc");
	assert_string_equal(e->detail,
			    "{\"changed\":[\"url\",\"username\"],\"removed\":[]}");
	e = svc_audit_list_at(al, 1);
	assert_string_equal(e->detail,
			    "{\"changed\":[\"password\"],\"removed\":[\"token\"]}");
	assert_true(svc_audit_list_at(al, 0)->seq < e->seq);
	assert_null(svc_audit_list_at(al, 2));
	svc_audit_list_free(al);

	/* a secret set but not loaded with nothing stored is refused */
	assert_int_equal(svc_store_conn_get(&g, f->st, "svc", 0), 0);
	assert_int_equal(svc_conn_set_field_unloaded(g, "token",
						     SVC_FIELD_DATA), 0);
	assert_int_equal(svc_store_conn_update(f->st, g, "editor"),
			 SVC_EINVALID);
	assert_non_null(strstr(svc_error_last(), "'token'"));
	svc_conn_free(g);
	/* renaming through update onto a taken name is refused */
	c = mk("other", "https://example.com", "o", NULL);
	create(f, c);
	svc_conn_free(c);
	assert_int_equal(svc_store_conn_get(&g, f->st, "svc", 0), 0);
	svc_conn_set_name(g, "OTHER");
	assert_int_equal(svc_store_conn_update(f->st, g, "editor"),
			 SVC_EEXISTS);
	svc_conn_free(g);
	sqlite3_close(db);
}

static void test_rename_delete(void **state)
{
	struct fx *f = *state;
	svc_conn *c;
	sqlite3 *db;
	char id[SVC_ID_LEN + 1];

	init_open(f);
	c = mk("old-name", "https://example.com", "u", SECRET_A);
	create(f, c);
	snprintf(id, sizeof(id), "%s", svc_conn_id(c));
	svc_conn_free(c);
	c = mk("taken", "https://example.com", "u", NULL);
	create(f, c);
	svc_conn_free(c);

	assert_int_equal(svc_store_conn_rename(f->st, "OLD-NAME", "new-name",
					       "tester"), 0);
	assert_int_equal(svc_store_conn_get(&c, f->st, "old-name", 0),
			 SVC_ENOTFOUND);
	/* the secret follows: it is bound to the id, not the name */
	assert_int_equal(svc_store_conn_get(&c, f->st, "new-name",
					    SVC_GET_SECRETS), 0);
	assert_string_equal(svc_conn_id(c), id);
	assert_string_equal(fval(c, "password"), SECRET_A);
	svc_conn_free(c);
	assert_int_equal(svc_store_conn_rename(f->st, id, "TAKEN", "tester"),
			 SVC_EEXISTS);
	assert_non_null(strstr(svc_error_last(), "'taken'"));
	/* a change of case of its own name is fine */
	assert_int_equal(svc_store_conn_rename(f->st, id, "New-Name",
					       "tester"), 0);
	assert_int_equal(svc_store_conn_rename(f->st, "missing", "x",
					       "tester"), SVC_ENOTFOUND);
	assert_int_equal(svc_store_conn_rename(f->st, id, "", "tester"),
			 SVC_EINVALID);

	assert_int_equal(svc_store_conn_delete(f->st, "new-name", "tester"), 0);
	assert_int_equal(svc_store_conn_get(&c, f->st, id, 0), SVC_ENOTFOUND);
	assert_int_equal(svc_store_conn_delete(f->st, "new-name", "tester"),
			 SVC_ENOTFOUND);
	db = raw_db(f);
	assert_int_equal(raw_count(db, "SELECT count(*) FROM fields f WHERE "
				   "NOT EXISTS (SELECT 1 FROM connections c "
				   "WHERE c.id = f.conn_id)"), 0);
	assert_int_equal(raw_count(db, "SELECT count(*) FROM connections"), 1);
	sqlite3_close(db);
}

static void test_audit_and_no_plaintext(void **state)
{
	static const char *const actions[] = {
		"init", "create", "create", "edit", "rename", "delete"
	};
	struct fx *f = *state;
	svc_audit_list *al;
	const svc_audit_entry *e;
	char *db, *wal;
	struct stat sb;
	svc_conn *c;
	size_t i;

	init_open(f);
	c = mk("a", "https://example.com", "alice", SECRET_A);
	create(f, c);
	svc_conn_free(c);
	c = mk("b", "https://example.com", "bob", SECRET_B);
	create(f, c);
	svc_conn_free(c);
	assert_int_equal(svc_store_conn_get(&c, f->st, "a", SVC_GET_SECRETS),
			 0);
	svc_conn_set_field(c, "password", SECRET_C, strlen(SECRET_C));
	assert_int_equal(svc_store_conn_update(f->st, c, NULL), 0);
	svc_conn_free(c);
	assert_int_equal(svc_store_conn_rename(f->st, "a", "a2", "tester"), 0);
	assert_int_equal(svc_store_conn_delete(f->st, "b", "tester"), 0);

	assert_int_equal(svc_store_audit(&al, f->st, 0), 0);
	assert_int_equal(svc_audit_list_count(al), 6);
	for (i = 0; i < 6; i++) {
		e = svc_audit_list_at(al, i);
		assert_string_equal(e->action, actions[i]);
		assert_string_equal(e->actor, "tester"); /* $SVCCONN_USER */
		assert_null(strstr(e->detail, "S3cret"));
		assert_null(strstr(e->conn_name, "S3cret"));
	}
	assert_non_null(strstr(svc_audit_list_at(al, 1)->detail,
			       "\"password\""));
	assert_non_null(strstr(svc_audit_list_at(al, 3)->detail,
			       "\"password\""));
	assert_non_null(strstr(svc_audit_list_at(al, 4)->detail,
			       "\"from\":\"a\""));
	svc_audit_list_free(al);
	assert_int_equal(svc_store_audit(&al, f->st, 1), 0);
	assert_int_equal(svc_audit_list_count(al), 1);
	assert_string_equal(svc_audit_list_at(al, 0)->action, "delete");
	svc_audit_list_free(al);

	/* no plaintext secret in the database or its log, open or closed */
	db = tu_path(f->home, "store.db");
	wal = suffixed(db, "-wal");
	assert_int_equal(access(wal, F_OK), 0);
	assert_file_clean(db);
	assert_file_clean(wal);
	svc_store_free(f->st);
	f->st = NULL;
	assert_file_clean(db);
	assert_file_clean(wal);
	/* the log is kept for the next opener, but emptied: nothing
	 * deleted above lingers in it */
	assert_int_equal(stat(wal, &sb), 0);
	assert_int_equal(sb.st_size, 0);
	free(db);
	free(wal);
}

static void test_tampered_blob(void **state)
{
	struct fx *f = *state;
	unsigned char *b;
	svc_conn *c;
	sqlite3 *db;
	int len;

	init_open(f);
	c = mk("tamper-me", "https://example.com", "u", SECRET_A);
	create(f, c);
	svc_conn_free(c);
	db = raw_db(f);
	b = blob_get(db, "tamper-me", "password", &len);
	b[len / 2] ^= 0x01;
	blob_set(db, "tamper-me", "password", b, len);
	free(b);
	sqlite3_close(db);
	assert_int_equal(svc_store_conn_get(&c, f->st, "tamper-me",
					    SVC_GET_SECRETS), SVC_ECRYPTO);
	assert_string_equal(svc_error_last(),
			    "cannot decrypt field 'password' of connection 'tamper-me': authentication failed (tampered, moved, or wrong key)");
	/* without secrets the row's MAC refuses it */
	assert_int_equal(svc_store_conn_get(&c, f->st, "tamper-me", 0),
			 SVC_ECRYPTO);
	assert_non_null(strstr(svc_error_last(),
			       "connection 'tamper-me' failed its integrity check"));
	/* and a rekey refuses to launder it */
	assert_int_equal(svc_store_rekey(f->st, "tester"), SVC_ECRYPTO);
	assert_non_null(strstr(svc_error_last(), "'tamper-me'"));
}

static void test_moved_blob(void **state)
{
	struct fx *f = *state;
	unsigned char *b;
	svc_conn *c;
	sqlite3 *db;
	int len;

	init_open(f);
	c = mk("src", "https://example.com", "u", SECRET_A);
	add_secret(c, "token", SECRET_C);
	create(f, c);
	svc_conn_free(c);
	c = mk("dst", "https://example.com", "u", SECRET_B);
	create(f, c);
	svc_conn_free(c);
	db = raw_db(f);
	/* to another connection's row */
	b = blob_get(db, "src", "password", &len);
	blob_set(db, "dst", "password", b, len);
	assert_int_equal(svc_store_conn_get(&c, f->st, "dst",
					    SVC_GET_SECRETS), SVC_ECRYPTO);
	assert_non_null(strstr(svc_error_last(), "connection 'dst'"));
	/* to another field of the same connection */
	blob_set(db, "src", "token", b, len);
	assert_int_equal(svc_store_conn_get(&c, f->st, "src",
					    SVC_GET_SECRETS), SVC_ECRYPTO);
	assert_non_null(strstr(svc_error_last(), "field 'token'"));
	free(b);
	sqlite3_close(db);
}

/* In a child: create count connections named prefix-N; exit status. */
static void child_writer(struct fx *f, const char *prefix, int count)
{
	svc_store *st;
	svc_conn *c;
	char name[64];
	int i, rc = 0;

	if (svc_store_open(&st, &f->opts) != 0)
		_exit(2);
	for (i = 0; i < count && rc == 0; i++) {
		snprintf(name, sizeof(name), "%s-%d", prefix, i);
		if (svc_conn_new(&c, "generic", name) != 0)
			_exit(3);
		svc_conn_set_url(c, "https://example.com");
		svc_conn_set_field(c, "password", SECRET_A, strlen(SECRET_A));
		svc_conn_set_field_class(c, "password", SVC_FIELD_AUTH, 1);
		rc = svc_store_conn_create(st, c, prefix);
		svc_conn_free(c);
	}
	if (rc)
		fprintf(stderr, "%s: %s\n", prefix, svc_error_last());
	svc_store_free(st);
	_exit(rc ? 1 : 0);
}

static void test_concurrent_writers(void **state)
{
	struct fx *f = *state;
	svc_conn **list;
	pid_t a, b;
	int sa, sb;
	size_t n;

	assert_int_equal(svc_store_init(&f->opts, "tester"), 0);
	a = fork();
	assert_true(a >= 0);
	if (a == 0)
		child_writer(f, "left", 40);
	b = fork();
	assert_true(b >= 0);
	if (b == 0)
		child_writer(f, "right", 40);
	assert_int_equal(waitpid(a, &sa, 0), a);
	assert_int_equal(waitpid(b, &sb, 0), b);
	assert_true(WIFEXITED(sa) && WEXITSTATUS(sa) == 0);
	assert_true(WIFEXITED(sb) && WEXITSTATUS(sb) == 0);
	assert_int_equal(svc_store_open(&f->st, &f->opts), 0);
	assert_int_equal(svc_store_conn_list(&list, &n, f->st), 0);
	assert_int_equal(n, 80);
	svc_store_conn_list_free(list, n);
}

static void test_import(void **state)
{
	struct fx *f = *state;
	svc_conn *batch[3], *c;
	svc_conn **list;
	char keep_id[SVC_ID_LEN + 1];
	size_t n;

	init_open(f);
	c = mk("existing", "https://example.com/old", "old", SECRET_A);
	create(f, c);
	snprintf(keep_id, sizeof(keep_id), "%s", svc_conn_id(c));
	svc_conn_free(c);

	batch[0] = mk("fresh-1", "https://example.com/1", "one", SECRET_B);
	batch[1] = mk("EXISTING", "https://example.com/new", "new", SECRET_C);
	batch[2] = mk("fresh-2", "https://example.com/2", "two", SECRET_B);
	/* without replace: refused as a whole, naming the culprit */
	assert_int_equal(svc_store_conn_import(f->st, batch, 3, "tester", 0),
			 SVC_EEXISTS);
	assert_non_null(strstr(svc_error_last(), "'EXISTING'"));
	assert_int_equal(svc_store_conn_list(&list, &n, f->st), 0);
	assert_int_equal(n, 1);
	svc_store_conn_list_free(list, n);

	/* a broken connection at the end undoes the ones before it */
	c = mk("broken", "https://example.com", "u", NULL);
	assert_int_equal(svc_conn_set_field_unloaded(c, "password",
						     SVC_FIELD_AUTH), 0);
	{
		svc_conn *bad[2] = { batch[0], c };

		assert_int_equal(svc_store_conn_import(f->st, bad, 2, "tester",
						       0), SVC_EINVALID);
	}
	svc_conn_free(c);
	assert_int_equal(svc_store_conn_get(&c, f->st, "fresh-1", 0),
			 SVC_ENOTFOUND);

	/* with replace: all in, the existing one keeps its id */
	assert_int_equal(svc_store_conn_import(f->st, batch, 3, "tester",
					       SVC_IMPORT_REPLACE), 0);
	assert_int_equal(svc_store_conn_list(&list, &n, f->st), 0);
	assert_int_equal(n, 3);
	svc_store_conn_list_free(list, n);
	assert_int_equal(svc_store_conn_get(&c, f->st, "existing",
					    SVC_GET_SECRETS), 0);
	assert_string_equal(svc_conn_id(c), keep_id);
	assert_string_equal(svc_conn_name(c), "EXISTING");
	assert_string_equal(svc_conn_url(c), "https://example.com/new");
	assert_string_equal(fval(c, "password"), SECRET_C);
	svc_conn_free(c);
	assert_int_equal(svc_store_conn_get(&c, f->st, "fresh-2",
					    SVC_GET_SECRETS), 0);
	assert_string_equal(fval(c, "password"), SECRET_B);
	svc_conn_free(c);
	for (n = 0; n < 3; n++)
		svc_conn_free(batch[n]);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_name_lookup_indexed(void **state)
{
	enum { N = 10000, LOOKUPS = 500 };
	struct fx *f = *state;
	svc_conn **batch, *c;
	sqlite3_stmt *st;
	sqlite3 *db;
	char name[64];
	const char *detail;
	double t0, dt;
	int i, indexed = 0;

	init_open(f);
	batch = calloc(N, sizeof(*batch));
	assert_non_null(batch);
	for (i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "Conn-%05d", i);
		batch[i] = mk(name, "https://example.com", "user", SECRET_A);
	}
	assert_int_equal(svc_store_conn_import(f->st, batch, N, "tester", 0),
			 0);
	for (i = 0; i < N; i++)
		svc_conn_free(batch[i]);
	free(batch);
	t0 = now_s();
	for (i = 0; i < LOOKUPS; i++) {
		snprintf(name, sizeof(name), "conn-%05d", (i * 7919) % N);
		assert_int_equal(svc_store_conn_get(&c, f->st, name, 0), 0);
		svc_conn_free(c);
	}
	dt = now_s() - t0;
	print_message("%d lookups by name among %d connections: %.3f s\n",
		      LOOKUPS, N, dt);
	assert_true(dt < 5.0);
	/* and the plan says why: the name's unique NOCASE index */
	db = raw_db(f);
	assert_int_equal(sqlite3_prepare_v2(db,
		"EXPLAIN QUERY PLAN SELECT id, name FROM connections "
		"WHERE name = ?1", -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		detail = (const char *)sqlite3_column_text(st, 3);
		if (detail && strstr(detail, "USING") && strstr(detail, "INDEX"))
			indexed = 1;
	}
	sqlite3_finalize(st);
	assert_true(indexed);
	sqlite3_close(db);
}

static void test_schema(void **state)
{
	struct fx *f = *state;
	sqlite3 *db;

	init_open(f);
	db = raw_db(f);
	assert_int_equal(raw_count(db, "PRAGMA user_version"), 5);
	assert_int_equal(raw_count(db, "SELECT count(*) FROM meta "
				   "WHERE key = 'key_id'"), 1);
	/* a new store starts authenticated: its (empty) list, no mark */
	assert_int_equal(raw_count(db, "SELECT count(*) FROM meta "
				   "WHERE key = 'conn_manifest'"), 1);
	assert_int_equal(raw_count(db, "SELECT count(*) FROM meta "
				   "WHERE key = 'rows_unsealed'"), 0);
	sqlite3_close(db);
	/* reopening applies nothing twice */
	svc_store_free(f->st);
	f->st = NULL;
	assert_int_equal(svc_store_open(&f->st, &f->opts), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paths),
		cmocka_unit_test_setup_teardown(test_init_modes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_init_existing_key, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_open_refusals, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_crud, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_name, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_update, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rename_delete, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_audit_and_no_plaintext,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_tampered_blob, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_moved_blob, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_writers, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_import, setup, teardown),
		cmocka_unit_test_setup_teardown(test_name_lookup_indexed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_schema, setup, teardown),
	};

	setenv("SVCCONN_USER", "tester", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
