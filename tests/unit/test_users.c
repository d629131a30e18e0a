/*
 * test_users.c - users' passwords (users.h, ops.h: svc_ops_password_*):
 * the PHC strings our hashing writes (Argon2id, its parameters, a fresh
 * salt), verification refusing a wrong password and an unknown user with
 * one message and the same work, the authority over whose password, the
 * audit records (never the password), and that neither the password nor
 * the hash comes back from a list or is written anywhere in the store
 * but as the hash (SQLite's file, or a pg_dump when the test runs on
 * PostgreSQL as test_users_pg).
 */
#include "testutil.h"
#include "users/users_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <argon2.h>

#include "svcconn/errors.h"
#include "svcconn/ops.h"
#include "svcconn/store.h"

#define PW "correct horse battery staple"

static svc_principal *user(const char *name)
{
	svc_principal *p = NULL;

	assert_int_equal(svc_principal_new(&p, SVC_PRINCIPAL_USER, name, "test"),
			 0);
	return p;
}

/* Seconds verify of name with pw takes (the best of three). */
static double verify_time(tu_store *f, const char *name, const char *pw)
{
	double best = 1e9;
	int i;

	for (i = 0; i < 3; i++) {
		struct timespec a, b;
		double d;

		clock_gettime(CLOCK_MONOTONIC, &a);
		assert_int_equal(svc_password_verify(f->st, name, pw, strlen(pw),
						     "192.0.2.7", "POST /t"),
				 SVC_EDENIED);
		clock_gettime(CLOCK_MONOTONIC, &b);
		d = (double)(b.tv_sec - a.tv_sec) +
		    (double)(b.tv_nsec - a.tv_nsec) / 1e9;
		if (d < best)
			best = d;
	}
	return best;
}

/* Our PHC strings: Argon2id, v=19, m=19456, t=2, p=1, 16-byte salt. */
static void test_phc(void **state)
{
	char *a = NULL, *b = NULL;
	const char *salt, *hash;

	(void)state;
	assert_int_equal(password_hash(&a, PW, strlen(PW)), 0);
	assert_int_equal(password_hash(&b, PW, strlen(PW)), 0);
	assert_memory_equal(a, "$argon2id$v=19$m=19456,t=2,p=1$", 31);
	salt = a + 31;
	hash = strchr(salt, '$');
	assert_non_null(hash);
	/* 16 bytes of salt and 32 of hash, base64 without padding */
	assert_int_equal(hash - salt, 22);
	assert_int_equal(strlen(hash + 1), 43);
	/* a fresh salt each time: the same password, another string */
	assert_string_not_equal(a, b);
	assert_null(strstr(a, PW));
	assert_int_equal(argon2id_verify(a, PW, strlen(PW)), ARGON2_OK);
	assert_int_equal(argon2id_verify(b, PW, strlen(PW)), ARGON2_OK);
	assert_int_not_equal(argon2id_verify(a, "correct horse battery stapler",
					     29), ARGON2_OK);
	free(a);
	free(b);
	/* too short, too long, a NUL inside */
	assert_int_equal(password_hash(&a, "1234567", 7), SVC_EINVALID);
	assert_int_equal(password_hash(&a, "12345678", 8), 0);
	free(a);
	assert_int_equal(password_hash(&a, "1234\0" "5678", 9), SVC_EINVALID);
	{
		char big[SVC_PASSWORD_MAX + 2];

		memset(big, 'x', sizeof(big));
		assert_int_equal(password_hash(&a, big, SVC_PASSWORD_MAX + 1),
				 SVC_EINVALID);
	}
}

/* Right, wrong and unknown: one message, audited without the password. */
static void test_verify(void **state)
{
	tu_store *f = *state;
	svc_principal *admin = user("tester");
	char action[64], detail[512], wrong_msg[256];

	assert_int_equal(svc_ops_password_set(f->st, admin, "alice", PW,
					      strlen(PW)), 0);
	assert_int_equal(svc_password_verify(f->st, "alice", PW, strlen(PW),
					     "192.0.2.7", "POST /t"), 0);
	/* a prefix, a longer one, another case: all refused */
	assert_int_equal(svc_password_verify(f->st, "alice", PW, strlen(PW) - 1,
					     "192.0.2.7", "POST /t"),
			 SVC_EDENIED);
	snprintf(wrong_msg, sizeof(wrong_msg), "%s", svc_error_last());
	tu_last_audit(f->st, action, detail);
	assert_string_equal(action, "password-auth-failed");
	assert_non_null(strstr(detail, "\"alice\""));
	assert_non_null(strstr(detail, "wrong password"));
	assert_non_null(strstr(detail, "192.0.2.7"));
	assert_null(strstr(detail, "horse"));
	assert_int_equal(svc_password_verify(f->st, "alice",
					     "Correct horse battery staple",
					     strlen(PW), NULL, NULL),
			 SVC_EDENIED);
	/* an unknown user: the same message */
	assert_int_equal(svc_password_verify(f->st, "mallory", PW, strlen(PW),
					     "192.0.2.7", "POST /t"),
			 SVC_EDENIED);
	assert_string_equal(svc_error_last(), wrong_msg);
	assert_string_equal(wrong_msg, "user name or password refused");
	tu_last_audit(f->st, action, detail);
	assert_string_equal(action, "password-auth-failed");
	assert_non_null(strstr(detail, "no such user"));
	/* a user whose password was removed: refused */
	assert_int_equal(svc_ops_password_remove(f->st, admin, "alice"), 0);
	assert_int_equal(svc_password_verify(f->st, "alice", PW, strlen(PW),
					     NULL, NULL), SVC_EDENIED);
	assert_string_equal(svc_error_last(), wrong_msg);
	svc_principal_free(admin);
}

/* An unknown user costs the work of a known one (Argon2id on a dummy). */
static void test_unknown_same_work(void **state)
{
	tu_store *f = *state;
	svc_principal *admin = user("tester");
	double known, unknown;

	assert_int_equal(svc_ops_password_set(f->st, admin, "alice", PW,
					      strlen(PW)), 0);
	known = verify_time(f, "alice", "not the password");
	unknown = verify_time(f, "nobody-at-all", "not the password");
	print_message("wrong password %.3f s, unknown user %.3f s\n", known,
		      unknown);
	/* without the dummy an unknown user would take well under 1% */
	assert_true(unknown > known * 0.5);
	assert_true(known > unknown * 0.5);
	svc_principal_free(admin);
}

/* A user its own; the Administrator anybody's; agents none. */
static void test_authority(void **state)
{
	tu_store *f = *state;
	svc_principal *admin = user("tester"), *alice = user("alice");
	svc_principal *agent = NULL;
	svc_user_info *l = NULL;
	size_t n = 0;
	char action[64], detail[512];

	assert_int_equal(svc_ops_password_set(f->st, alice, NULL, PW,
					      strlen(PW)), 0);
	tu_last_audit(f->st, action, detail);
	assert_string_equal(action, "password-set");
	assert_non_null(strstr(detail, "\"alice\""));
	assert_null(strstr(detail, "horse"));
	assert_null(strstr(detail, "argon2"));
	assert_int_equal(svc_ops_password_set(f->st, alice, "bob", PW,
					      strlen(PW)), SVC_EDENIED);
	assert_int_equal(svc_ops_password_set(f->st, admin, "bob", PW,
					      strlen(PW)), 0);
	assert_int_equal(svc_ops_password_remove(f->st, alice, "bob"),
			 SVC_EDENIED);
	/* alice sees herself; the Administrator both, by name */
	assert_int_equal(svc_ops_user_list(&l, &n, f->st, alice), 0);
	assert_int_equal(n, 1);
	assert_string_equal(l[0].name, "alice");
	assert_true(l[0].changed > 0);
	svc_user_list_free(l, n);
	assert_int_equal(svc_ops_user_list(&l, &n, f->st, admin), 0);
	assert_int_equal(n, 2);
	assert_string_equal(l[0].name, "alice");
	assert_string_equal(l[1].name, "bob");
	svc_user_list_free(l, n);
	assert_int_equal(svc_principal_new(&agent, SVC_PRINCIPAL_AGENT, "a1",
					   "token"), 0);
	assert_int_equal(svc_ops_password_set(f->st, agent, NULL, PW,
					      strlen(PW)), SVC_EDENIED);
	/* removal: one's own, then gone */
	assert_int_equal(svc_ops_password_remove(f->st, alice, NULL), 0);
	tu_last_audit(f->st, action, detail);
	assert_string_equal(action, "password-removed");
	assert_int_equal(svc_ops_password_remove(f->st, alice, NULL),
			 SVC_ENOTFOUND);
	assert_int_equal(svc_ops_user_list(&l, &n, f->st, alice), 0);
	assert_int_equal(n, 0);
	svc_user_list_free(l, n);
	/* a name the store refuses */
	assert_int_equal(svc_ops_password_set(f->st, admin, "a\nb", PW,
					      strlen(PW)), SVC_EINVALID);
	svc_principal_free(agent);
	svc_principal_free(alice);
	svc_principal_free(admin);
}

/* Bytes of file path (nothing when it does not exist) into b. */
static size_t slurp(char *b, size_t max, const char *path)
{
	FILE *fp = fopen(path, "rb");
	size_t n;

	if (!fp)
		return 0;
	n = fread(b, 1, max, fp);
	fclose(fp);
	return n;
}

/*
 * Everything the store wrote for a password holds the hash, never the
 * password: SQLite's database and write-ahead log, or a pg_dump of the
 * PostgreSQL database.
 */
static void test_store_has_no_password(void **state)
{
	tu_store *f = *state;
	svc_principal *admin = user("tester");
	const char *pw = "unmistakable-Passw0rd-4711";
	const size_t max = 32u << 20;
	char *text, path[4096];
	size_t len = 0, i;
	int found_hash = 0;

	assert_int_equal(svc_ops_password_set(f->st, admin, "alice", pw,
					      strlen(pw)), 0);
	text = malloc(2 * max);
	assert_non_null(text);
	if (getenv("SVCCONN_TEST_PG")) {
		/* the fixture's URL (its user) with the store's database */
		char *p = tu_path(getenv("SVCCONN_TEST_PG"), "url");
		char *url = tu_read_file(p, NULL);
		const char *db = strrchr(svc_store_db_path(f->st), '/');
		FILE *dump;

		assert_non_null(url);
		assert_non_null(db);
		url[strcspn(url, "\n")] = '\0';
		assert_non_null(strrchr(url, '/'));
		*strrchr(url, '/') = '\0';
		snprintf(path, sizeof(path), "pg_dump --data-only '%s%s'", url,
			 db);
		free(url);
		free(p);
		dump = popen(path, "r");
		assert_non_null(dump);
		len = fread(text, 1, max, dump);
		assert_int_equal(pclose(dump), 0);
	} else {
		len = slurp(text, max, svc_store_db_path(f->st));
		snprintf(path, sizeof(path), "%s-wal", svc_store_db_path(f->st));
		len += slurp(text + len, max, path);
	}
	assert_true(len > 0);
	for (i = 0; i + strlen(pw) <= len; i++) {
		assert_false(memcmp(text + i, pw, strlen(pw)) == 0);
		if (memcmp(text + i, "$argon2id$v=19$", 15) == 0)
			found_hash = 1;
	}
	assert_true(found_hash);
	free(text);
	svc_principal_free(admin);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_phc),
		cmocka_unit_test_setup_teardown(test_verify, tu_store_setup,
						tu_store_teardown),
		cmocka_unit_test_setup_teardown(test_unknown_same_work,
						tu_store_setup,
						tu_store_teardown),
		cmocka_unit_test_setup_teardown(test_authority, tu_store_setup,
						tu_store_teardown),
		cmocka_unit_test_setup_teardown(test_store_has_no_password,
						tu_store_setup,
						tu_store_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
