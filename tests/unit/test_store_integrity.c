/*
 * test_store_integrity.c - every connection row authenticated.
 *
 * The MAC of a row is recomputed here from the database with OpenSSL's
 * HMAC and the documented encoding (store_integrity.c), so the format is
 * pinned by an independent implementation.  The store's list of versions
 * is checked the same way.  The upgrade from schema 4 is tried on a store
 * taken back to schema 4 by hand (secrets resealed in format 1 with plain
 * EVP, the table and the list removed, the version set back): opened
 * again, it is upgraded, its secrets resealed in format 2, its rows MAC'd,
 * and a change made after that is refused; the same steps taken by someone
 * without the key on an upgraded store are refused.  Then: a missing or changed list, the
 * unverified read that delete uses, and rekey MAC'ing every row anew.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sqlite3.h>

#include "svcconn/conn.h"
#include "svcconn/errors.h"
#include "svcconn/store.h"
#include "crypto/crypto.h"
#include "util/buf.h"
#include "util/hex.h"

#define SECRET_A "Integrity-Alpha-2b7c"
#define SECRET_B "Integrity-Bravo-91d0"

/* Per-test fixture: a temporary directory with an open store under it. */
struct fx {
	char *dir;              /**< temporary directory (removed after) */
	char *home;             /**< store home */
	svc_store_options opts; /**< options pointing at home */
	svc_store *st;          /**< the open store, or NULL */
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->dir = tu_mkdtemp();
	f->home = tu_path(f->dir, "home");
	f->opts.version = SVC_STORE_OPTIONS_VERSION;
	f->opts.home = f->home;
	assert_int_equal(svc_store_init(&f->opts, "tester"), 0);
	assert_int_equal(svc_store_open(&f->st, &f->opts), 0);
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

static void reopen(struct fx *f)
{
	svc_store_free(f->st);
	f->st = NULL;
	assert_int_equal(svc_store_open(&f->st, &f->opts), 0);
}

static sqlite3 *raw_db(struct fx *f)
{
	char *path = tu_path(f->home, "store.db");
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 30000);
	free(path);
	return db;
}

static void raw_exec(struct fx *f, const char *sql)
{
	sqlite3 *db = raw_db(f);

	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static long long raw_int(struct fx *f, const char *sql)
{
	sqlite3 *db = raw_db(f);
	sqlite3_stmt *st;
	long long v;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* A generic UsernamePassword connection with a secret password and token. */
static void create(struct fx *f, const char *name, const char *url)
{
	svc_conn *c;

	assert_int_equal(svc_conn_new(&c, "generic", name), 0);
	assert_int_equal(svc_conn_set_scheme(c, "UsernamePassword"), 0);
	assert_int_equal(svc_conn_set_url(c, url), 0);
	assert_int_equal(svc_conn_set_field(c, "username", "alice", 5), 0);
	assert_int_equal(svc_conn_set_field_class(c, "username",
						  SVC_FIELD_AUTH, 0), 0);
	assert_int_equal(svc_conn_set_field(c, "password", SECRET_A,
					    strlen(SECRET_A)), 0);
	assert_int_equal(svc_conn_set_field_class(c, "password",
						  SVC_FIELD_AUTH, 1), 0);
	assert_int_equal(svc_conn_set_field(c, "token", SECRET_B,
					    strlen(SECRET_B)), 0);
	assert_int_equal(svc_conn_set_field_class(c, "token", SVC_FIELD_DATA,
						  1), 0);
	assert_int_equal(svc_store_conn_create(f->st, c, "tester"), 0);
	svc_conn_free(c);
}

/* The error of reading name (with secrets), which must be refused. */
static void refused(struct fx *f, const char *name, const char *msg)
{
	svc_conn *c = NULL;

	assert_int_equal(svc_store_conn_get(&c, f->st, name, SVC_GET_SECRETS),
			 SVC_ECRYPTO);
	assert_null(c);
	assert_non_null(strstr(svc_error_last(), msg));
}

static void readable(struct fx *f, const char *name)
{
	svc_conn *c = NULL;
	svc_conn_field v;

	assert_int_equal(svc_store_conn_get(&c, f->st, name, SVC_GET_SECRETS),
			 0);
	assert_int_equal(svc_conn_field_get(c, "password", &v), 0);
	assert_string_equal(v.value, SECRET_A);
	svc_conn_free(c);
}

/* ---- the encoding, recomputed ----------------------------------------- */

static void enc_u64(svc_buf *b, unsigned long long v)
{
	unsigned char be[8];
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		be[i] = (unsigned char)v;
	assert_int_equal(buf_put(b, be, 8), 0);
}

/* Present (1), 8-byte big-endian length, bytes; absent (NULL) is 0. */
static void enc_bytes(svc_buf *b, const void *p, size_t len)
{
	assert_int_equal(buf_putc(b, p ? 1 : 0), 0);
	if (!p)
		return;
	enc_u64(b, len);
	assert_int_equal(buf_put(b, p, len), 0);
}

/* The row-MAC key, from the key file itself. */
static void mac_key(struct fx *f, unsigned char out[32])
{
	static const char label[] = "svcconn row mac v1";
	char *path = tu_path(f->home, "master.key");
	size_t len = 0;
	char *k = tu_read_file(path, &len);
	unsigned int n = 0;

	assert_int_equal(len, 32);
	assert_non_null(HMAC(EVP_sha256(), k, 32,
			     (const unsigned char *)label, strlen(label), out,
			     &n));
	free(k);
	free(path);
}

/* Column i as bytes into enc (NULL column: absent). */
static void enc_col(svc_buf *b, sqlite3_stmt *st, int i)
{
	const void *p = sqlite3_column_blob(st, i);

	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		enc_bytes(b, NULL, 0);
	else
		enc_bytes(b, p ? p : "", (size_t)sqlite3_column_bytes(st, i));
}

/* The stored MAC of the only connection. */
static void only_mac(struct fx *f, unsigned char out[32])
{
	sqlite3 *db = raw_db(f);
	sqlite3_stmt *st;

	assert_int_equal(sqlite3_prepare_v2(db, "SELECT mac FROM conn_macs",
					    -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_bytes(st, 0), 32);
	memcpy(out, sqlite3_column_blob(st, 0), 32);
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* The MAC of connection name recomputed from its rows equals the stored. */
static void assert_mac_recomputes(struct fx *f, const char *name)
{
	unsigned char key[32], want[32];
	svc_buf enc = SVC_BUF_INIT;
	sqlite3 *db = raw_db(f);
	sqlite3_stmt *st;
	unsigned int n = 0;
	long long nf;
	char id[64];

	assert_int_equal(sqlite3_prepare_v2(db,
		"SELECT c.id, m.version, m.mac, c.name, c.type, c.scheme, "
		"c.url, c.description, (SELECT count(*) FROM fields "
		"WHERE conn_id = c.id) FROM connections c JOIN conn_macs m "
		"ON m.conn_id = c.id WHERE c.name = ?1", -1, &st, NULL),
		SQLITE_OK);
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	snprintf(id, sizeof(id), "%s", sqlite3_column_text(st, 0));
	enc_bytes(&enc, "svcconn/conn-mac/v1", 19);
	enc_u64(&enc, (unsigned long long)sqlite3_column_int64(st, 1));
	enc_col(&enc, st, 0);
	enc_col(&enc, st, 3);
	enc_col(&enc, st, 4);
	enc_col(&enc, st, 5);
	enc_col(&enc, st, 6);
	enc_col(&enc, st, 7);
	nf = sqlite3_column_int64(st, 8);
	enc_u64(&enc, (unsigned long long)nf);
	mac_key(f, key);
	assert_int_equal(sqlite3_column_bytes(st, 2), 32);
	memcpy(want, sqlite3_column_blob(st, 2), 32);
	sqlite3_finalize(st);
	/* fields by key (byte order): key, kind, secret flag, value or the
	 * whole sealed value */
	assert_int_equal(sqlite3_prepare_v2(db,
		"SELECT key, kind, secret, CASE secret WHEN 1 THEN sealed "
		"ELSE CAST(value AS BLOB) END FROM fields WHERE conn_id = ?1 "
		"ORDER BY CAST(key AS BLOB)", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		nf--;
		enc_col(&enc, st, 0);
		enc_u64(&enc, (unsigned long long)sqlite3_column_int64(st, 1));
		assert_int_equal(buf_putc(&enc, (char)sqlite3_column_int(st, 2)),
				 0);
		enc_col(&enc, st, 3);
	}
	assert_int_equal(nf, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	{
		unsigned char got[32];

		assert_non_null(HMAC(EVP_sha256(), key, 32,
				     (const unsigned char *)enc.ptr, enc.len,
				     got, &n));
		assert_memory_equal(got, want, 32);
	}
	buf_clear(&enc);
}

/* The list "<hex MAC> LF <epoch> LF (<id> SP <version> LF)*" recomputes. */
static void assert_manifest_recomputes(struct fx *f)
{
	static const char label[] = "svcconn/manifest/v1";
	unsigned char key[32], mac[32];
	char hex[65];
	sqlite3 *db = raw_db(f);
	sqlite3_stmt *st;
	const char *v, *nl;
	unsigned int n = 0;

	mac_key(f, key);
	assert_int_equal(sqlite3_prepare_v2(db,
		"SELECT value FROM meta WHERE key = 'conn_manifest'", -1, &st,
		NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = (const char *)sqlite3_column_text(st, 0);
	nl = strchr(v, '\n');
	assert_non_null(nl);
	assert_int_equal(nl - v, 64);
	{
		svc_buf msg = SVC_BUF_INIT;

		assert_int_equal(buf_put(&msg, label, sizeof(label)), 0);
		assert_int_equal(buf_puts(&msg, nl + 1), 0);
		assert_non_null(HMAC(EVP_sha256(), key, 32,
				     (const unsigned char *)msg.ptr, msg.len,
				     mac, &n));
		buf_clear(&msg);
	}
	hex_write(hex, mac, 32);
	hex[64] = '\0';
	assert_memory_equal(v, hex, 64);
	sqlite3_finalize(st);
	sqlite3_close(db);
}

static void test_mac_format(void **state)
{
	struct fx *f = *state;

	create(f, "svc", "https://example.com");
	create(f, "second", "https://second.example.com");
	assert_mac_recomputes(f, "svc");
	assert_mac_recomputes(f, "second");
	assert_manifest_recomputes(f);
	/* every write takes the next version; the list follows */
	assert_int_equal(raw_int(f, "SELECT version FROM conn_macs m JOIN "
				    "connections c ON c.id = m.conn_id "
				    "WHERE c.name = 'second'"), 2);
	assert_int_equal(svc_store_conn_rename(f->st, "svc", "first",
					       "tester"), 0);
	assert_int_equal(raw_int(f, "SELECT version FROM conn_macs m JOIN "
				    "connections c ON c.id = m.conn_id "
				    "WHERE c.name = 'first'"), 3);
	assert_mac_recomputes(f, "first");
	assert_manifest_recomputes(f);
	readable(f, "first");
}

/* Bytes moved between two adjacent values do not keep the MAC valid. */
static void test_length_prefixes(void **state)
{
	struct fx *f = *state;

	create(f, "svc", "https://example.com/ab");
	raw_exec(f, "UPDATE connections SET description = 'c' "
		    "WHERE name = 'svc'");
	refused(f, "svc", "connection 'svc' failed its integrity check");
	raw_exec(f, "UPDATE connections SET url = 'https://example.com/a', "
		    "description = 'bc' WHERE name = 'svc'");
	refused(f, "svc", "connection 'svc' failed its integrity check");
	raw_exec(f, "UPDATE connections SET url = 'https://example.com/ab', "
		    "description = NULL WHERE name = 'svc'");
	readable(f, "svc");
	/* a field's kind is covered too */
	raw_exec(f, "UPDATE fields SET kind = kind + 1 WHERE key = 'username'");
	refused(f, "svc", "connection 'svc' failed its integrity check");
}

/* ---- the upgrade from schema 4 ----------------------------------------- */

/*
 * Seal pt for (id, key) in format 1, as svcconn did before rows were
 * authenticated: version byte 1, nonce, ciphertext, tag, associated data
 * "svcconn/v1" NUL id NUL key.  Written with plain EVP.
 */
static void seal_v1(svc_buf *out, const crypto_key *k, const char *id,
		    const char *key, const char *pt, size_t len)
{
	unsigned char nonce[12], tag[16], ct[256];
	svc_buf aad = SVC_BUF_INIT;
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, fin = 0;

	assert_true(len <= sizeof(ct));
	assert_int_equal(RAND_bytes(nonce, sizeof(nonce)), 1);
	assert_int_equal(buf_put(&aad, "svcconn/v1", 11), 0);
	assert_int_equal(buf_put(&aad, id, strlen(id) + 1), 0);
	assert_int_equal(buf_puts(&aad, key), 0);
	assert_int_equal(EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, k->k,
					    nonce), 1);
	assert_int_equal(EVP_EncryptUpdate(ctx, NULL, &n,
					   (const unsigned char *)aad.ptr,
					   (int)aad.len), 1);
	assert_int_equal(EVP_EncryptUpdate(ctx, ct, &n,
					   (const unsigned char *)pt, (int)len),
			 1);
	assert_int_equal(EVP_EncryptFinal_ex(ctx, ct + n, &fin), 1);
	assert_int_equal(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16,
					     tag), 1);
	EVP_CIPHER_CTX_free(ctx);
	assert_int_equal(buf_putc(out, 1), 0);
	assert_int_equal(buf_put(out, nonce, sizeof(nonce)), 0);
	assert_int_equal(buf_put(out, ct, len), 0);
	assert_int_equal(buf_put(out, tag, sizeof(tag)), 0);
	buf_clear(&aad);
}

/*
 * Take the store back to what svcconn before schema 5 left: every secret
 * sealed in format 1, no MACs, no list, user_version 4.
 */
static void back_to_v4(struct fx *f)
{
	char *kpath = tu_path(f->home, "master.key");
	sqlite3 *db;
	sqlite3_stmt *st, *up;
	crypto_key k;
	svc_buf pt, v1;

	svc_store_free(f->st);
	f->st = NULL;
	assert_int_equal(crypto_key_load(&k, kpath), 0);
	db = raw_db(f);
	assert_int_equal(sqlite3_prepare_v2(db,
		"SELECT conn_id, key, sealed FROM fields WHERE secret = 1",
		-1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db,
		"UPDATE fields SET sealed = ?3 WHERE conn_id = ?1 AND key = ?2",
		-1, &up, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(st, 0);
		const char *key = (const char *)sqlite3_column_text(st, 1);

		buf_init(&pt, 0, 1);
		buf_init(&v1, 0, 0);
		assert_int_equal(crypto_open(&pt, &k, id, key,
					     sqlite3_column_blob(st, 2),
					     (size_t)sqlite3_column_bytes(st, 2)),
				 0);
		seal_v1(&v1, &k, id, key, pt.ptr, pt.len);
		sqlite3_bind_text(up, 1, id, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(up, 2, key, -1, SQLITE_TRANSIENT);
		sqlite3_bind_blob(up, 3, v1.ptr, (int)v1.len, SQLITE_TRANSIENT);
		assert_int_equal(sqlite3_step(up), SQLITE_DONE);
		sqlite3_reset(up);
		buf_clear(&pt);
		buf_clear(&v1);
	}
	sqlite3_finalize(st);
	sqlite3_finalize(up);
	assert_int_equal(sqlite3_exec(db,
		"DROP TABLE conn_macs;"
		"DELETE FROM meta WHERE key = 'conn_manifest';"
		"PRAGMA user_version = 4;", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	crypto_key_wipe(&k);
	free(kpath);
}

static void test_upgrade_from_v4(void **state)
{
	struct fx *f = *state;
	svc_audit_list *audit = NULL;
	const svc_audit_entry *e;
	int seen = 0;
	size_t i;

	create(f, "svc", "https://example.com");
	create(f, "second", "https://second.example.com");
	back_to_v4(f);
	assert_int_equal(raw_int(f, "SELECT count(*) FROM fields WHERE "
				    "secret = 1 AND substr(sealed, 1, 1) = x'01'"),
			 4);
	assert_int_equal(svc_store_open(&f->st, &f->opts), 0);
	assert_int_equal(raw_int(f, "PRAGMA user_version"), 5);
	assert_int_equal(raw_int(f, "SELECT count(*) FROM meta WHERE key = "
				    "'rows_unsealed'"), 0);
	assert_int_equal(raw_int(f, "SELECT count(*) FROM conn_macs"), 2);
	/* its secrets are resealed in the current format, same key */
	assert_int_equal(raw_int(f, "SELECT count(*) FROM fields WHERE "
				    "secret = 1 AND substr(sealed, 1, 1) = x'02'"),
			 4);
	assert_mac_recomputes(f, "svc");
	assert_mac_recomputes(f, "second");
	assert_manifest_recomputes(f);
	readable(f, "svc");
	/* recorded in the audit log */
	assert_int_equal(svc_store_audit(&audit, f->st, 0), 0);
	for (i = 0; (e = svc_audit_list_at(audit, i)); i++)
		if (strcmp(e->action, "authenticate") == 0 &&
		    strstr(e->detail, "\"connections\":2") &&
		    strstr(e->detail, "\"secrets_resealed\":4"))
			seen = 1;
	svc_audit_list_free(audit);
	assert_true(seen);
	/* reopening does it once only */
	reopen(f);
	assert_int_equal(raw_int(f, "SELECT max(version) FROM conn_macs"), 2);
	/* and from now on a change without the key is refused */
	raw_exec(f, "UPDATE connections SET url = 'https://evil.example' "
		    "WHERE name = 'svc'");
	refused(f, "svc", "connection 'svc' failed its integrity check: the store was changed without the key");
	readable(f, "second");
}

/*
 * Someone without the key makes an authenticated store look like one from
 * before the upgrade, to have its changed rows adopted: refused, because
 * it holds values sealed after the upgrade.
 */
static void test_downgrade_refused(void **state)
{
	struct fx *f = *state;
	svc_store *st = NULL;

	create(f, "svc", "https://example.com");
	svc_store_free(f->st);
	f->st = NULL;
	raw_exec(f, "UPDATE connections SET url = 'https://evil.example';"
		    "INSERT INTO meta (key, value) VALUES ('rows_unsealed', '1')");
	assert_int_equal(svc_store_open(&st, &f->opts), SVC_ECRYPTO);
	assert_non_null(strstr(svc_error_last(),
			       "MACs were removed without the key"));
	/* the same with the MACs and the list gone and the version back */
	raw_exec(f, "DROP TABLE conn_macs;"
		    "DELETE FROM meta WHERE key = 'conn_manifest';"
		    "PRAGMA user_version = 4;");
	assert_int_equal(svc_store_open(&st, &f->opts), SVC_ECRYPTO);
	assert_non_null(strstr(svc_error_last(),
			       "MACs were removed without the key"));
	assert_null(st);
}

/* ---- the list of versions ----------------------------------------------- */

static void test_list_missing_or_changed(void **state)
{
	struct fx *f = *state;
	svc_conn **list = NULL;
	size_t n = 0;

	create(f, "svc", "https://example.com");
	raw_exec(f, "UPDATE meta SET value = replace(value, ' 1', ' 2') "
		    "WHERE key = 'conn_manifest'");
	refused(f, "svc", "its list of connections was changed without the key");
	assert_int_equal(svc_store_conn_list(&list, &n, f->st), SVC_ECRYPTO);
	raw_exec(f, "DELETE FROM meta WHERE key = 'conn_manifest'");
	refused(f, "svc", "its list of connections is missing");
	/* and a write does not make it valid again */
	assert_int_equal(svc_store_conn_rename(f->st, "svc", "other",
					       "tester"), SVC_ECRYPTO);
}

/* An older copy of one row: its version is not the list's. */
static void test_older_row(void **state)
{
	struct fx *f = *state;
	svc_conn *c = NULL;

	create(f, "svc", "https://example.com");
	raw_exec(f, "CREATE TABLE keep AS SELECT * FROM conn_macs;"
		    "CREATE TABLE keepc AS SELECT * FROM connections");
	assert_int_equal(svc_store_conn_get(&c, f->st, "svc", 0), 0);
	assert_int_equal(svc_conn_set_url(c, "https://new.example.com"), 0);
	assert_int_equal(svc_store_conn_update(f->st, c, "tester"), 0);
	svc_conn_free(c);
	raw_exec(f, "UPDATE connections SET url = (SELECT url FROM keepc);"
		    "UPDATE conn_macs SET version = (SELECT version FROM keep),"
		    " mac = (SELECT mac FROM keep)");
	refused(f, "svc", "it is not the version last written");
	/* an edit does not launder it */
	assert_int_equal(svc_store_conn_get(&c, f->st, "svc",
					    SVC_GET_UNVERIFIED), 0);
	assert_int_equal(svc_store_conn_update(f->st, c, "tester"),
			 SVC_ECRYPTO);
	svc_conn_free(c);
	/* nor a rekey */
	assert_int_equal(svc_store_rekey(f->st, "tester"), SVC_ECRYPTO);
	assert_non_null(strstr(svc_error_last(), "'svc'"));
}

/* ---- reading unverified, deleting, rekey -------------------------------- */

static void test_unverified_and_delete(void **state)
{
	struct fx *f = *state;
	svc_conn *c = NULL;

	create(f, "svc", "https://example.com");
	create(f, "keep", "https://keep.example.com");
	raw_exec(f, "UPDATE fields SET secret = 0, value = 'x', sealed = NULL,"
		    " key_id = NULL WHERE key = 'password' AND conn_id = "
		    "(SELECT id FROM connections WHERE name = 'svc')");
	refused(f, "svc", "connection 'svc' failed its integrity check");
	assert_int_equal(svc_store_conn_get(&c, f->st, "svc",
					    SVC_GET_UNVERIFIED |
					    SVC_GET_SECRETS), SVC_EINVALID);
	assert_int_equal(svc_store_conn_get(&c, f->st, "svc",
					    SVC_GET_UNVERIFIED), 0);
	svc_conn_free(c);
	assert_int_equal(svc_store_conn_delete(f->st, "svc", "tester"), 0);
	readable(f, "keep");
}

static void test_rekey_macs_again(void **state)
{
	struct fx *f = *state;
	unsigned char before[32], after[32];

	create(f, "svc", "https://example.com");
	only_mac(f, before);
	raw_exec(f, "CREATE TABLE keep AS SELECT * FROM meta "
		    "WHERE key = 'conn_manifest'");
	assert_int_equal(svc_store_rekey(f->st, "tester"), 0);
	only_mac(f, after);
	assert_memory_not_equal(before, after, 32);
	assert_mac_recomputes(f, "svc");
	assert_manifest_recomputes(f);
	readable(f, "svc");
	reopen(f);
	readable(f, "svc");
	/* the list MAC'd under the old key no longer verifies */
	raw_exec(f, "UPDATE meta SET value = (SELECT value FROM keep) "
		    "WHERE key = 'conn_manifest'");
	refused(f, "svc", "its list of connections was changed without the key");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_mac_format, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_length_prefixes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_upgrade_from_v4, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_downgrade_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_list_missing_or_changed,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_older_row, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unverified_and_delete,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_rekey_macs_again, setup,
						teardown),
	};

	setenv("SVCCONN_USER", "tester", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
