/*
 * test_rekey.c - re-encrypting the store under a new master key, and
 * surviving a kill -9 at any point of it.
 *
 * A store of 300 connections, each with two secrets, is rekeyed by a child
 * process in a loop; the parent SIGKILLs it after a delay spread over the
 * measured length of one rekey (stratified: one slot per iteration, a
 * random point inside the slot), then opens the store and checks every
 * secret.  The narrow window between the commit and the rename of the key
 * file is also reproduced by hand, as are a stale "<key>.new" and a key
 * that matches nothing; and a writer in another process keeps working
 * while the key changes under it.  The seed is printed so a failure can be replayed
 * (SVC_TEST_SEED).
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


#include "svcconn/conn.h"
#include "svcconn/errors.h"
#include "svcconn/store.h"
#include "crypto/crypto.h"
#include "store/store_write.h"

#define NCONN 300
#define KILL_ROUNDS 40

/* Per-test fixture: a store with NCONN connections. */
struct fx {
	char *dir;              /**< temporary directory (removed after) */
	char *home;             /**< store home */
	char *key;              /**< the key file */
	char *key_new;          /**< "<key>.new" */
	svc_store_options opts; /**< options pointing at home */
};

static void secret_of(char *out, size_t n, const char *what, int i)
{
	snprintf(out, n, "%s-%03d-Q8ZKv1", what, i);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	svc_conn *batch[NCONN];
	svc_store *st;
	char name[32], pw[64], tok[64];
	size_t klen;
	int i;

	assert_non_null(f);
	f->dir = tu_mkdtemp();
	f->home = tu_path(f->dir, "home");
	f->key = tu_path(f->home, "master.key");
	klen = strlen(f->key) + 5;
	f->key_new = malloc(klen);
	assert_non_null(f->key_new);
	snprintf(f->key_new, klen, "%s.new", f->key);
	f->opts.version = SVC_STORE_OPTIONS_VERSION;
	f->opts.home = f->home;
	f->opts.database = tu_database();
	assert_int_equal(svc_store_init(&f->opts, "tester"), 0);
	assert_int_equal(svc_store_open(&st, &f->opts), 0);
	for (i = 0; i < NCONN; i++) {
		snprintf(name, sizeof(name), "conn-%03d", i);
		secret_of(pw, sizeof(pw), "pw", i);
		secret_of(tok, sizeof(tok), "tok", i);
		assert_int_equal(svc_conn_new(&batch[i], "generic", name), 0);
		svc_conn_set_url(batch[i], "https://example.com");
		svc_conn_set_field(batch[i], "username", "u", 1);
		svc_conn_set_field_class(batch[i], "username", SVC_FIELD_AUTH, 0);
		svc_conn_set_field(batch[i], "password", pw, strlen(pw));
		svc_conn_set_field_class(batch[i], "password", SVC_FIELD_AUTH, 1);
		svc_conn_set_field(batch[i], "token", tok, strlen(tok));
		svc_conn_set_field_class(batch[i], "token", SVC_FIELD_DATA, 1);
	}
	assert_int_equal(svc_store_conn_import(st, batch, NCONN, "tester", 0),
			 0);
	for (i = 0; i < NCONN; i++)
		svc_conn_free(batch[i]);
	svc_store_free(st);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	tu_rm_rf(f->dir);
	free(f->home);
	free(f->key);
	free(f->key_new);
	free(f->dir);
	free(f);
	return 0;
}

/* Every secret of every connection, through an open store. */
static void check_all(svc_store *st)
{
	char name[32], want[64];
	svc_conn_field v;
	svc_conn *c;
	int i;

	for (i = 0; i < NCONN; i++) {
		snprintf(name, sizeof(name), "conn-%03d", i);
		if (svc_store_conn_get(&c, st, name, SVC_GET_SECRETS) != 0)
			fail_msg("%s: %s", name, svc_error_last());
		secret_of(want, sizeof(want), "pw", i);
		assert_int_equal(svc_conn_field_get(c, "password", &v), 0);
		assert_non_null(v.value);
		assert_string_equal(v.value, want);
		secret_of(want, sizeof(want), "tok", i);
		assert_int_equal(svc_conn_field_get(c, "token", &v), 0);
		assert_non_null(v.value);
		assert_string_equal(v.value, want);
		svc_conn_free(c);
	}
}

/* Open the store and check every secret; fail with the reason. */
static void open_and_check(struct fx *f)
{
	svc_store *st;

	if (svc_store_open(&st, &f->opts) != 0)
		fail_msg("open: %s", svc_error_last());
	check_all(st);
	svc_store_free(st);
}

/* The key id in a key file, or "" when it does not load. */
static void key_id_of(char out[17], const char *path)
{
	crypto_key k;

	out[0] = '\0';
	if (crypto_key_load(&k, path) == 0)
		memcpy(out, k.id, 17);
	crypto_key_wipe(&k);
}

/* The key id the database says, read directly. */
static void meta_id_of(char out[17], struct fx *f)
{
	tu_db *db = tu_db_open(f->home, f->opts.database);
	tu_rows *r = tu_db_query(db, "SELECT value FROM meta "
				 "WHERE key = 'key_id'", NULL, 0);

	assert_int_equal(r->n, 1);
	snprintf(out, 17, "%s", tu_rows_text(r, 0, 0));
	tu_rows_free(r);
	tu_db_close(db);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Copy a file's bytes (a key: small). */
static char *slurp(const char *path, size_t *len)
{
	char *data = tu_read_file(path, len);

	assert_non_null(data);
	return data;
}

static void put_key_bytes(const char *path, const char *data, size_t len)
{
	FILE *fp;

	unlink(path);
	fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	fclose(fp);
	assert_int_equal(chmod(path, 0600), 0);
}

/* ---- tests ------------------------------------------------------------- */

static void test_rekey_basic(void **state)
{
	struct fx *f = *state;
	char before[17], after[17], meta[17];
	const svc_audit_entry *e;
	svc_audit_list *al;
	svc_store *st;
	size_t oldlen;
	char *old;

	key_id_of(before, f->key);
	old = slurp(f->key, &oldlen);
	assert_int_equal(svc_store_open(&st, &f->opts), 0);
	assert_int_equal(svc_store_rekey(st, "tester"), 0);
	key_id_of(after, f->key);
	meta_id_of(meta, f);
	assert_string_not_equal(before, after);
	assert_string_equal(after, meta);
	assert_int_equal(access(f->key_new, F_OK), -1);
	check_all(st);
	assert_int_equal(svc_store_audit(&al, st, 1), 0);
	e = svc_audit_list_at(al, 0);
	assert_string_equal(e->action, "rekey");
	assert_non_null(strstr(e->detail, before));
	assert_non_null(strstr(e->detail, after));
	assert_non_null(strstr(e->detail, "\"secrets\":600"));
	svc_audit_list_free(al);
	svc_store_free(st);
	open_and_check(f);
	/* the old key no longer opens the store */
	put_key_bytes(f->key, old, oldlen);
	assert_int_equal(svc_store_open(&st, &f->opts), SVC_ECRYPTO);
	assert_non_null(strstr(svc_error_last(), "does not match"));
	free(old);
}

/* A handle opened before someone else's rekey follows the new key. */
static void test_rekey_other_handle(void **state)
{
	struct fx *f = *state;
	svc_store *early, *st;
	svc_conn *c;
	svc_conn_field v;

	assert_int_equal(svc_store_open(&early, &f->opts), 0);
	assert_int_equal(svc_store_open(&st, &f->opts), 0);
	assert_int_equal(svc_store_rekey(st, "tester"), 0);
	assert_int_equal(svc_store_rekey(st, "tester"), 0);
	/* reading with the stale handle */
	assert_int_equal(svc_store_conn_get(&c, early, "conn-007",
					    SVC_GET_SECRETS), 0);
	assert_int_equal(svc_conn_field_get(c, "password", &v), 0);
	assert_string_equal(v.value, "pw-007-Q8ZKv1");
	svc_conn_free(c);
	/* writing with it seals under the current key */
	assert_int_equal(svc_conn_new(&c, "generic", "late"), 0);
	svc_conn_set_field(c, "password", "late-secret", 11);
	svc_conn_set_field_class(c, "password", SVC_FIELD_AUTH, 1);
	assert_int_equal(svc_store_rekey(st, "tester"), 0);
	assert_int_equal(svc_store_conn_create(early, c, "tester"), 0);
	svc_conn_free(c);
	assert_int_equal(svc_store_conn_get(&c, st, "late", SVC_GET_SECRETS),
			 0);
	assert_int_equal(svc_conn_field_get(c, "password", &v), 0);
	assert_string_equal(v.value, "late-secret");
	svc_conn_free(c);
	svc_store_free(early);
	svc_store_free(st);
	open_and_check(f);
}

/* Killed after the commit, before the rename: reproduced by hand. */
static void test_rekey_after_commit(void **state)
{
	struct fx *f = *state;
	char old_id[17], new_id[17], meta[17], now_id[17];
	svc_store *st;
	size_t oldlen;
	char *old;

	key_id_of(old_id, f->key);
	old = slurp(f->key, &oldlen);
	assert_int_equal(svc_store_open(&st, &f->opts), 0);
	assert_int_equal(svc_store_rekey(st, "tester"), 0);
	svc_store_free(st);
	key_id_of(new_id, f->key);
	/* the state at that instant: database under the new key, the new
	 * key still in .new, the key file still old */
	assert_int_equal(rename(f->key, f->key_new), 0);
	put_key_bytes(f->key, old, oldlen);
	meta_id_of(meta, f);
	assert_string_equal(meta, new_id);
	key_id_of(now_id, f->key);
	assert_string_equal(now_id, old_id);
	/* open finishes the rename */
	open_and_check(f);
	key_id_of(now_id, f->key);
	assert_string_equal(now_id, new_id);
	assert_int_equal(access(f->key_new, F_OK), -1);
	/* and the next rekey from that state works too */
	assert_int_equal(rename(f->key, f->key_new), 0);
	put_key_bytes(f->key, old, oldlen);
	assert_int_equal(svc_store_open(&st, &f->opts), 0);
	assert_int_equal(svc_store_rekey(st, "tester"), 0);
	svc_store_free(st);
	open_and_check(f);
	free(old);
}

/* A .new that never got committed is removed at open. */
static void test_stale_new(void **state)
{
	struct fx *f = *state;
	crypto_key k;
	char id[17];

	key_id_of(id, f->key);
	assert_int_equal(crypto_key_generate(&k), 0);
	assert_int_equal(crypto_key_write(&k, f->key_new), 0);
	open_and_check(f);
	assert_int_equal(access(f->key_new, F_OK), -1);
	/* a partly written one too */
	put_key_bytes(f->key_new, "short", 5);
	open_and_check(f);
	assert_int_equal(access(f->key_new, F_OK), -1);
	/* the key file was never touched */
	{
		char now_id[17];

		key_id_of(now_id, f->key);
		assert_string_equal(now_id, id);
	}
	crypto_key_wipe(&k);
}

/* When neither the key file nor .new matches, nothing is removed. */
static void test_neither_matches(void **state)
{
	struct fx *f = *state;
	crypto_key a, b;
	svc_store *st;
	size_t oldlen;
	char *old;

	old = slurp(f->key, &oldlen);
	assert_int_equal(unlink(f->key), 0);
	assert_int_equal(crypto_key_generate(&a), 0);
	assert_int_equal(crypto_key_generate(&b), 0);
	assert_int_equal(crypto_key_write(&a, f->key), 0);
	assert_int_equal(crypto_key_write(&b, f->key_new), 0);
	assert_int_equal(svc_store_open(&st, &f->opts), SVC_ECRYPTO);
	assert_non_null(strstr(svc_error_last(), "does not match this store"));
	assert_int_equal(access(f->key_new, F_OK), 0);
	/* put the right key back: open works and drops the stray .new */
	put_key_bytes(f->key, old, oldlen);
	open_and_check(f);
	assert_int_equal(access(f->key_new, F_OK), -1);
	crypto_key_wipe(&a);
	crypto_key_wipe(&b);
	free(old);
}

/* A child that rekeys count times, pausing between; exit status. */
static void rekey_child(struct fx *f, int count)
{
	svc_store *st;
	int i;

	if (svc_store_open(&st, &f->opts) != 0)
		_exit(2);
	for (i = 0; i < count; i++) {
		if (svc_store_rekey(st, "rekeyer") != 0) {
			fprintf(stderr, "rekeyer: %s\n", svc_error_last());
			_exit(1);
		}
		/* let the writer in: SQLite's busy handler sleeps, so a
		 * back-to-back loop would hold the lock all along */
		usleep(10000);
	}
	svc_store_free(st);
	_exit(0);
}

/* A child that writes and reads back secrets meanwhile; exit status. */
static void writer_child(struct fx *f, int count)
{
	svc_conn_field v;
	svc_store *st;
	svc_conn *c;
	char name[32], secret[64];
	int i;

	if (svc_store_open(&st, &f->opts) != 0)
		_exit(2);
	for (i = 0; i < count; i++) {
		snprintf(name, sizeof(name), "w-%d", i);
		snprintf(secret, sizeof(secret), "w-secret-%d", i);
		if (svc_conn_new(&c, "generic", name) != 0)
			_exit(3);
		svc_conn_set_field(c, "password", secret, strlen(secret));
		svc_conn_set_field_class(c, "password", SVC_FIELD_AUTH, 1);
		if (svc_store_conn_create(st, c, "writer") != 0)
			goto fail;
		svc_conn_free(c);
		if (svc_store_conn_get(&c, st, name, SVC_GET_SECRETS) != 0)
			goto fail;
		if (svc_conn_field_get(c, "password", &v) != 0 || !v.value ||
		    strcmp(v.value, secret) != 0)
			_exit(4);
		svc_conn_free(c);
	}
	svc_store_free(st);
	_exit(0);
fail:
	fprintf(stderr, "writer: %s\n", svc_error_last());
	_exit(1);
}

/* Rekeys while another process writes and reads: both succeed. */
static void test_rekey_concurrent_writer(void **state)
{
	struct fx *f = *state;
	int sa, sb, i;
	char name[32], want[64];
	svc_conn_field v;
	svc_store *st;
	svc_conn *c;
	pid_t a, b;

	a = fork();
	assert_true(a >= 0);
	if (a == 0)
		rekey_child(f, 15);
	b = fork();
	assert_true(b >= 0);
	if (b == 0)
		writer_child(f, 60);
	assert_int_equal(waitpid(a, &sa, 0), a);
	assert_int_equal(waitpid(b, &sb, 0), b);
	assert_true(WIFEXITED(sa) && WEXITSTATUS(sa) == 0);
	assert_true(WIFEXITED(sb) && WEXITSTATUS(sb) == 0);
	assert_int_equal(svc_store_open(&st, &f->opts), 0);
	/* for the record: how many writes landed between the rekeys */
	{
		svc_audit_list *al;
		size_t j, first = 0, last = 0, inside = 0;
		const svc_audit_entry *e;

		assert_int_equal(svc_store_audit(&al, st, 0), 0);
		for (j = 0; j < svc_audit_list_count(al); j++) {
			e = svc_audit_list_at(al, j);
			if (strcmp(e->action, "rekey") == 0) {
				first = first ? first : j;
				last = j;
			}
		}
		for (j = first; j < last; j++)
			inside += strcmp(svc_audit_list_at(al, j)->action,
					 "create") == 0;
		print_message("%zu of 60 writes landed between the first and "
			      "the last of 15 rekeys\n", inside);
		svc_audit_list_free(al);
	}
	check_all(st);
	for (i = 0; i < 60; i++) {
		snprintf(name, sizeof(name), "w-%d", i);
		snprintf(want, sizeof(want), "w-secret-%d", i);
		assert_int_equal(svc_store_conn_get(&c, st, name,
						    SVC_GET_SECRETS), 0);
		assert_int_equal(svc_conn_field_get(c, "password", &v), 0);
		assert_string_equal(v.value, want);
		svc_conn_free(c);
	}
	svc_store_free(st);
}

/* The child: open, say ready, rekey until killed. */
static void rekey_loop(struct fx *f, int ready_fd)
{
	svc_store *st;
	char c = 'r';

	if (svc_store_open(&st, &f->opts) != 0) {
		fprintf(stderr, "child open: %s\n", svc_error_last());
		_exit(2);
	}
	if (write(ready_fd, &c, 1) != 1)
		_exit(3);
	for (;;) {
		if (svc_store_rekey(st, "child") != 0) {
			fprintf(stderr, "child rekey: %s\n", svc_error_last());
			_exit(1);
		}
	}
}

static void test_rekey_killed(void **state)
{
	struct fx *f = *state;
	const char *seed_env = getenv("SVC_TEST_SEED");
	unsigned seed = seed_env ? (unsigned)strtoul(seed_env, NULL, 10)
				 : (unsigned)time(NULL);
	int round, fds[2], status, states[3] = { 0, 0, 0 };
	char kid[17], nid[17], mid[17], c;
	double t0, one, span, delay;
	svc_store *st;
	pid_t pid;

	/* measure one rekey of this store */
	assert_int_equal(svc_store_open(&st, &f->opts), 0);
	t0 = now_s();
	assert_int_equal(svc_store_rekey(st, "tester"), 0);
	assert_int_equal(svc_store_rekey(st, "tester"), 0);
	assert_int_equal(svc_store_rekey(st, "tester"), 0);
	one = (now_s() - t0) / 3;
	svc_store_free(st);
	span = 2.5 * one;
	print_message("one rekey of %d secrets: %.1f ms; killing %d times "
		      "within %.1f ms (seed %u)\n", 2 * NCONN, one * 1e3,
		      KILL_ROUNDS, span * 1e3, seed);
	srand(seed);
	for (round = 0; round < KILL_ROUNDS; round++) {
		assert_int_equal(pipe(fds), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			close(fds[0]);
			rekey_loop(f, fds[1]);
		}
		close(fds[1]);
		assert_int_equal(read(fds[0], &c, 1), 1);
		close(fds[0]);
		/* stratified: slot round of KILL_ROUNDS, random inside */
		delay = span * (round + (double)rand() / RAND_MAX) /
			KILL_ROUNDS;
		usleep((useconds_t)(delay * 1e6));
		kill(pid, SIGKILL);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		if (!WIFSIGNALED(status))
			fail_msg("round %d: the child exited with %d", round,
				 WEXITSTATUS(status));
		/* what state did the kill leave? (for the record) */
		key_id_of(kid, f->key);
		key_id_of(nid, f->key_new);
		meta_id_of(mid, f);
		if (access(f->key_new, F_OK) != 0)
			states[0]++;             /* no rekey in flight */
		else if (strcmp(nid, mid) == 0)
			states[2]++;             /* committed, not renamed */
		else
			states[1]++;             /* not committed */
		assert_true(strcmp(kid, mid) == 0 || strcmp(nid, mid) == 0);
		open_and_check(f);
		key_id_of(kid, f->key);
		meta_id_of(mid, f);
		assert_string_equal(kid, mid);
		assert_int_equal(access(f->key_new, F_OK), -1);
	}
	print_message("kill landed: %d idle, %d before commit, "
		      "%d between commit and rename\n",
		      states[0], states[1], states[2]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rekey_basic, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_rekey_other_handle, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_rekey_after_commit, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_stale_new, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_neither_matches, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_rekey_concurrent_writer,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_rekey_killed, setup,
						teardown),
	};

	setenv("SVCCONN_USER", "tester", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
