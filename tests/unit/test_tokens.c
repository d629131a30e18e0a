/*
 * test_tokens.c - personal access tokens (tokens.h): the format, storage
 * of the hash only, verification over the whole hash, expiry, revocation,
 * scopes, and the audit records of create, revoke and every failure
 * (naming the id, never the secret).
 */
#include "testutil.h"
#include "tokens/tokens_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "svcconn/errors.h"
#include "svcconn/secret.h"
#include "svcconn/store.h"
#include "svcconn/tokens.h"

/* Per-test fixture: a fresh store (tu_store), SVCCONN_NOW unset around it. */
static int setup(void **state)
{
	unsetenv("SVCCONN_NOW");
	return tu_store_setup(state);
}

static int teardown(void **state)
{
	unsetenv("SVCCONN_NOW");
	return tu_store_teardown(state);
}

/* The raw database of f's store (SQLite's, or PostgreSQL). */
static tu_db *raw_db(tu_store *f)
{
	return tu_db_open(f->home, f->database);
}

/* Set the stored hash of token id to the len bytes at h. */
static void hash_set(tu_store *f, const char *id, const void *h, size_t len)
{
	const tu_param p[] = { TU_BLOB(h, len), TU_TEXT(id) };
	tu_db *db = raw_db(f);
	tu_rows *r = tu_db_query(db, "UPDATE access_tokens SET hash = ?1 "
				 "WHERE id = ?2", p, 2);

	assert_int_equal(r->changes, 1);
	tu_rows_free(r);
	tu_db_close(db);
}

/* A new token of owner with scopes for days; its id into id. */
static char *new_token(tu_store *f, const char *owner, const char *scopes,
		       unsigned days, char id[SVC_TOKEN_ID_LEN + 1])
{
	svc_token_info info;
	char *tok = NULL;

	if (svc_token_create(&tok, &info, f->st, owner, "ci", scopes, days,
			     "tester") != 0)
		fail_msg("create: %s", svc_error_last());
	if (id)
		memcpy(id, info.id, SVC_TOKEN_ID_LEN + 1);
	svc_token_info_clear(&info);
	return tok;
}

/* Verify tok for need; the code, with a into *a (cleared by the caller). */
static int verify(tu_store *f, const char *tok, const char *need,
		  svc_token_auth *a)
{
	return svc_token_verify(a, f->st, tok, tok ? strlen(tok) : 0, need,
				"192.0.2.7", "GET /test");
}

static void test_format(void **state)
{
	tu_store *f = *state;
	char id[SVC_TOKEN_ID_LEN + 1], id2[SVC_TOKEN_ID_LEN + 1];
	char *a = new_token(f, "alice", "endpoints:read", 0, id);
	char *b = new_token(f, "alice", "endpoints:read", 0, id2);
	size_t i;

	assert_int_equal(strlen(a), SVC_TOKEN_LEN);
	assert_memory_equal(a, "svcp_", 5);
	assert_memory_equal(a + 5, id, SVC_TOKEN_ID_LEN);
	assert_int_equal(a[5 + SVC_TOKEN_ID_LEN], '_');
	for (i = 5; i < 5 + SVC_TOKEN_ID_LEN; i++)
		assert_non_null(strchr("0123456789abcdef", a[i]));
	for (i = 6 + SVC_TOKEN_ID_LEN; i < SVC_TOKEN_LEN; i++)
		assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				       "abcdefghijklmnopqrstuvwxyz0123456789-_",
				       a[i]));
	/* fresh randomness each time: id and secret */
	assert_string_not_equal(id, id2);
	assert_memory_not_equal(a + 6 + SVC_TOKEN_ID_LEN,
				b + 6 + SVC_TOKEN_ID_LEN, 43);
	svc_secret_free(a, SVC_TOKEN_LEN);
	svc_secret_free(b, SVC_TOKEN_LEN);
}

static void test_hash_only(void **state)
{
	tu_store *f = *state;
	char id[SVC_TOKEN_ID_LEN + 1], sql[256], hex[65];
	char *tok = new_token(f, "alice", "full", 0, id);
	unsigned char md[32];
	unsigned int n = 0;
	size_t len, i;
	char *db = NULL;
	tu_db *raw;
	tu_rows *r;

	/* neither the token nor its secret part is in the database file
	 * (the write-ahead log is checkpointed when the store closes) */
	svc_store_free(f->st);
	f->st = NULL;
	{
		svc_store_options opts = { SVC_STORE_OPTIONS_VERSION, f->home,
					   NULL };
		char *path = tu_path(f->home, "store.db");

		opts.database = f->database;
		if (f->database) {
			/* PostgreSQL: every row of the table, as text */
			raw = raw_db(f);
			r = tu_db_query(raw, "SELECT string_agg(CAST(t AS TEXT),"
					" ' ') FROM access_tokens t", NULL, 0);
			db = strdup(tu_rows_text(r, 0, 0));
			assert_non_null(strstr(db, "alice"));
			tu_rows_free(r);
			tu_db_close(raw);
		} else {
			db = tu_read_file(path, NULL);
		}
		assert_non_null(db);
		len = strlen(db);
		free(path);
		assert_int_equal(svc_store_open(&f->st, &opts), 0);
	}
	assert_false(tu_memmem(db, len, tok, SVC_TOKEN_LEN));
	assert_false(tu_memmem(db, len, tok + 6 + SVC_TOKEN_ID_LEN, 43));
	free(db);
	/* what is stored is SHA-256 of the whole token */
	assert_int_equal(EVP_Digest(tok, SVC_TOKEN_LEN, md, &n, EVP_sha256(),
				    NULL), 1);
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02X", md[i]);
	raw = raw_db(f);
	snprintf(sql, sizeof(sql),
		 "SELECT hash, owner, scopes FROM access_tokens WHERE id = '%s'",
		 id);
	r = tu_db_query(raw, sql, NULL, 0);
	assert_int_equal(r->n, 1);
	assert_int_equal(r->len[0], 32);
	{
		char got[65];

		for (i = 0; i < 32; i++)
			snprintf(got + 2 * i, 3, "%02X", r->cell[0][i]);
		assert_string_equal(got, hex);
	}
	assert_string_equal(tu_rows_text(r, 0, 1), "alice");
	assert_string_equal(tu_rows_text(r, 0, 2), "full");
	tu_rows_free(r);
	tu_db_close(raw);
	svc_secret_free(tok, SVC_TOKEN_LEN);
}

static void test_verify(void **state)
{
	tu_store *f = *state;
	char id[SVC_TOKEN_ID_LEN + 1], action[64], detail[512];
	char *tok = new_token(f, "alice", "endpoints:read", 0, id);
	char *bad = strdup(tok);
	svc_token_auth a;

	assert_int_equal(verify(f, tok, "endpoints:read", &a), 0);
	assert_string_equal(a.owner, "alice");
	assert_string_equal(a.id, id);
	assert_int_equal(a.forbidden, 0);
	svc_token_auth_clear(&a);

	/* one character of the secret changed: refused, audited with the
	 * id, the client and the request, never the secret */
	bad[SVC_TOKEN_LEN - 1] = bad[SVC_TOKEN_LEN - 1] == 'A' ? 'B' : 'A';
	assert_int_equal(verify(f, bad, NULL, &a), SVC_EDENIED);
	assert_null(a.owner);
	assert_non_null(strstr(svc_error_last(), "wrong secret"));
	svc_token_auth_clear(&a);
	tu_last_audit(f->st, action, detail);
	assert_string_equal(action, "token-auth-failed");
	assert_non_null(strstr(detail, id));
	assert_non_null(strstr(detail, "192.0.2.7"));
	assert_non_null(strstr(detail, "GET /test"));
	assert_null(strstr(detail, tok + 6 + SVC_TOKEN_ID_LEN));
	assert_null(strstr(detail, bad + 6 + SVC_TOKEN_ID_LEN));

	/* an unknown id: refused the same way */
	memcpy(bad, tok, SVC_TOKEN_LEN);
	bad[5] = bad[5] == '0' ? '1' : '0';
	assert_int_equal(verify(f, bad, NULL, &a), SVC_EDENIED);
	assert_non_null(strstr(svc_error_last(), "unknown token"));
	svc_token_auth_clear(&a);

	/* malformed and missing: refused, audited without an id */
	assert_int_equal(verify(f, "svcp_nothing", NULL, &a), SVC_EDENIED);
	assert_null(a.id);
	svc_token_auth_clear(&a);
	tu_last_audit(f->st, action, detail);
	assert_string_equal(action, "token-auth-failed");
	assert_null(strstr(detail, "tokenId"));
	assert_int_equal(verify(f, NULL, NULL, &a), SVC_EDENIED);
	assert_non_null(strstr(svc_error_last(), "no token"));
	svc_token_auth_clear(&a);

	/* the stored hash differs in its last byte only: the whole hash is
	 * compared (CRYPTO_memcmp over 32 bytes, not a prefix) */
	{
		char sql[160];
		unsigned char h[32];
		tu_db *db = raw_db(f);
		tu_rows *r;

		snprintf(sql, sizeof(sql),
			 "SELECT hash FROM access_tokens WHERE id = '%s'", id);
		r = tu_db_query(db, sql, NULL, 0);
		assert_int_equal(r->len[0], 32);
		memcpy(h, r->cell[0], 32);
		tu_rows_free(r);
		tu_db_close(db);
		h[31] ^= 0x01;
		hash_set(f, id, h, 32);
	}
	assert_int_equal(verify(f, tok, NULL, &a), SVC_EDENIED);
	assert_non_null(strstr(svc_error_last(), "wrong secret"));
	svc_token_auth_clear(&a);
	/* a stored hash of another length is refused too */
	hash_set(f, id, "", 1);
	assert_int_equal(verify(f, tok, NULL, &a), SVC_EDENIED);
	svc_token_auth_clear(&a);
	free(bad);
	svc_secret_free(tok, SVC_TOKEN_LEN);
}

static void test_expiry(void **state)
{
	tu_store *f = *state;
	char *tok, *tok30;
	svc_token_info *l = NULL;
	size_t n = 0;
	svc_token_auth a;

	setenv("SVCCONN_NOW", "1000000000", 1);
	tok = new_token(f, "alice", "full", 1, NULL);
	tok30 = new_token(f, "alice", "full", 0, NULL);
	assert_int_equal(svc_token_list(&l, &n, f->st, "alice"), 0);
	assert_int_equal(n, 2);
	/* same creation time: listed in the order of their random ids */
	assert_int_equal(l[0].created, 1000000000);
	assert_int_equal(l[0].expires + l[1].expires,
			 2 * 1000000000LL + 86400 + 30 * 86400);
	assert_true(l[0].expires == 1000000000 + 86400 ||
		    l[1].expires == 1000000000 + 86400);
	svc_token_list_free(l, n);

	setenv("SVCCONN_NOW", "1000086399", 1);
	assert_int_equal(verify(f, tok, NULL, &a), 0);
	svc_token_auth_clear(&a);
	setenv("SVCCONN_NOW", "1000086400", 1);
	assert_int_equal(verify(f, tok, NULL, &a), SVC_EDENIED);
	assert_non_null(strstr(svc_error_last(), "expired"));
	svc_token_auth_clear(&a);
	assert_int_equal(verify(f, tok30, NULL, &a), 0);
	svc_token_auth_clear(&a);

	/* at most a year */
	{
		char *t = NULL;

		assert_int_equal(svc_token_create(&t, NULL, f->st, "alice", "x",
						  "full", SVC_TOKEN_MAX_DAYS + 1,
						  "tester"), SVC_EINVALID);
		assert_null(t);
	}
	svc_secret_free(tok, SVC_TOKEN_LEN);
	svc_secret_free(tok30, SVC_TOKEN_LEN);
}

static void test_revoke(void **state)
{
	tu_store *f = *state;
	char id[SVC_TOKEN_ID_LEN + 1], action[64], detail[512];
	char *tok = new_token(f, "alice", "full", 0, id);
	svc_token_info *l = NULL;
	size_t n = 0;
	svc_token_auth a;

	tu_last_audit(f->st, action, detail);
	assert_string_equal(action, "token-create");
	assert_non_null(strstr(detail, id));
	assert_null(strstr(detail, tok + 6 + SVC_TOKEN_ID_LEN));

	/* another owner's token is not found by bob */
	assert_int_equal(svc_token_revoke(f->st, id, "bob", "bob"),
			 SVC_ENOTFOUND);
	assert_int_equal(verify(f, tok, NULL, &a), 0);
	svc_token_auth_clear(&a);
	assert_int_equal(svc_token_revoke(f->st, id, "alice", "alice"), 0);
	tu_last_audit(f->st, action, detail);
	assert_string_equal(action, "token-revoke");
	assert_non_null(strstr(detail, id));
	assert_int_equal(verify(f, tok, NULL, &a), SVC_EDENIED);
	assert_non_null(strstr(svc_error_last(), "revoked"));
	svc_token_auth_clear(&a);
	assert_int_equal(svc_token_list(&l, &n, f->st, NULL), 0);
	assert_int_equal(n, 1);
	assert_true(l[0].revoked > 0);
	svc_token_list_free(l, n);
	svc_secret_free(tok, SVC_TOKEN_LEN);
}

static void test_scopes(void **state)
{
	tu_store *f = *state;
	char *norm = NULL, *rd = new_token(f, "alice", "endpoints:read", 0, NULL);
	char *mg = new_token(f, "alice", "endpoints:manage", 0, NULL);
	char action[64], detail[512];
	svc_token_auth a;

	assert_int_equal(svc_token_scopes_parse(&norm, "full, approvals,full"), 0);
	assert_string_equal(norm, "full approvals");
	free(norm);
	assert_int_equal(svc_token_scopes_parse(&norm, "root"), SVC_EINVALID);
	assert_int_equal(svc_token_scopes_parse(&norm, " , "), SVC_EINVALID);

	/* read does not grant manage: authenticated, forbidden, audited */
	assert_int_equal(verify(f, rd, "endpoints:manage", &a), SVC_EDENIED);
	assert_int_equal(a.forbidden, 1);
	assert_string_equal(a.owner, "alice");
	svc_token_auth_clear(&a);
	tu_last_audit(f->st, action, detail);
	assert_string_equal(action, "token-auth-failed");
	assert_non_null(strstr(detail, "endpoints:manage"));
	/* manage implies read; full grants everything */
	assert_int_equal(verify(f, mg, "endpoints:read", &a), 0);
	svc_token_auth_clear(&a);
	assert_true(svc_token_scope_allows("full", "approvals"));
	assert_false(svc_token_scope_allows("endpoints:manage", "approvals"));
	assert_true(svc_token_scope_allows("endpoints:read", NULL));
	svc_secret_free(rd, SVC_TOKEN_LEN);
	svc_secret_free(mg, SVC_TOKEN_LEN);
}

static void test_last_used(void **state)
{
	tu_store *f = *state;
	char *tok;
	svc_token_info *l = NULL;
	size_t n = 0;
	svc_token_auth a;

	setenv("SVCCONN_NOW", "1999999000", 1);
	tok = new_token(f, "alice", "full", 0, NULL);
	assert_int_equal(svc_token_list(&l, &n, f->st, "alice"), 0);
	assert_int_equal(l[0].last_used, 0);
	svc_token_list_free(l, n);
	setenv("SVCCONN_NOW", "2000000000", 1);
	assert_int_equal(verify(f, tok, NULL, &a), 0);
	svc_token_auth_clear(&a);
	assert_int_equal(svc_token_list(&l, &n, f->st, "alice"), 0);
	assert_int_equal(l[0].last_used, 2000000000);
	svc_token_list_free(l, n);
	svc_secret_free(tok, SVC_TOKEN_LEN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_format, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hash_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expiry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_revoke, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scopes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_last_used, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
