/*
 * test_cli.c - the admin CLI's promises about secrets, driven through the
 * real `svcconn` executable.
 *
 * - secrets never reach the store file, its WAL or journal, the audit log,
 *   or an export without --include-secrets;
 * - a secret given with --set is refused and nothing is stored;
 * - no process's argv carries a secret during create or edit;
 * - a tampered or moved ciphertext fails to decrypt with a clear error;
 * - rekey killed with SIGKILL at random points leaves every secret intact;
 * - import is all or nothing and names file and line of each problem;
 * - a master key readable by others is refused, saying why;
 * - the store directory and files are private from the start.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>
#include <svcconn/svcconn.h>

#include "testutil.h"

extern char **environ;

static char *tmp;   /* this test's directory */
static char *home;  /* the store */

#define SECRET_PW "Pw-7f3a9c1e-do-not-leak"
#define SECRET_PW2 "Pw2-b4d20e77-edited-secret"
#define SECRET_TOKEN "ghp_TOKEN0d9e8f7a6b5c4d3e2f1"

/* Run svcconn with args (NULL-ended), stdin text; returns the result. */
static void svc(tu_result *r, const char *in, ...)
{
	va_list ap;

	va_start(ap, in);
	tu_svcconn_v(r, home, in, NULL, ap);
	va_end(ap);
}

static void svc_ok(const char *in, const char *a1, const char *a2,
		   const char *a3, const char *a4, const char *a5,
		   const char *a6, const char *a7)
{
	tu_result r;

	svc(&r, in, a1, a2, a3, a4, a5, a6, a7, NULL);
	if (r.status != 0)
		fail_msg("svcconn %s %s: exit %d: %s", a1, a2 ? a2 : "",
			 r.status, r.err);
	tu_result_free(&r);
}

static char *file_with(const char *name, const char *content)
{
	char *p = tu_path(tmp, name);

	tu_write_file(p, content);
	return p;
}

/* Open the database directly, as an attacker with the file would. */
static sqlite3 *raw_db(void)
{
	char *p = tu_path(home, "store.db");
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 10000);
	free(p);
	return db;
}

/* The sealed value of a connection's field, read raw; caller frees. */
static unsigned char *sealed_of(sqlite3 *db, const char *name,
				const char *key, int *len)
{
	sqlite3_stmt *st;
	unsigned char *out;

	assert_int_equal(sqlite3_prepare_v2(db,
		"SELECT f.sealed FROM fields f JOIN connections c ON c.id = f.conn_id "
		"WHERE c.name = ?1 AND f.key = ?2", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	*len = sqlite3_column_bytes(st, 0);
	assert_true(*len > 20);
	out = malloc((size_t)*len);
	memcpy(out, sqlite3_column_blob(st, 0), (size_t)*len);
	sqlite3_finalize(st);
	return out;
}

/* Overwrite the sealed value of a connection's field. */
static void set_sealed(sqlite3 *db, const char *name, const char *key,
		       const unsigned char *v, int len)
{
	sqlite3_stmt *st;

	assert_int_equal(sqlite3_prepare_v2(db,
		"UPDATE fields SET sealed = ?1 WHERE key = ?2 AND conn_id = "
		"(SELECT id FROM connections WHERE name = ?3)", -1, &st, NULL),
		SQLITE_OK);
	sqlite3_bind_blob(st, 1, v, len, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	assert_int_equal(sqlite3_changes(db), 1);
	sqlite3_finalize(st);
}

/* "prefix" + s, newly allocated. */
static char *cat2(const char *prefix, const char *s)
{
	size_t n = strlen(prefix) + strlen(s) + 1;
	char *p = malloc(n);

	snprintf(p, n, "%s%s", prefix, s);
	return p;
}

/* Fail if any of the secrets occurs in the file (missing files pass). */
static void assert_no_secret_in(const char *path)
{
	const char *secrets[] = { SECRET_PW, SECRET_PW2, SECRET_TOKEN, NULL };
	size_t len, i;
	char *data = tu_read_file(path, &len);

	if (!data)
		return;
	for (i = 0; secrets[i]; i++)
		if (tu_memmem(data, len, secrets[i], strlen(secrets[i])))
			fail_msg("secret %zu found in %s", i, path);
	free(data);
}

static int setup(void **state)
{
	tu_result r;

	(void)state;
	tmp = tu_mkdtemp();
	home = tu_path(tmp, "home");
	svc(&r, NULL, "init", NULL);
	assert_int_equal(r.status, 0);
	tu_result_free(&r);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tu_rm_rf(tmp);
	free(tmp);
	free(home);
	return 0;
}

static void test_store_is_private_from_the_start(void **state)
{
	struct stat st;
	char *p;

	(void)state;
	assert_int_equal(stat(home, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	p = tu_path(home, "master.key");
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	free(p);
	p = tu_path(home, "store.db");
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	free(p);
}

static void test_secrets_never_reach_disk_or_logs(void **state)
{
	char *pw = file_with("pw", SECRET_PW "\n");
	char *pw2 = file_with("pw2", SECRET_PW2);
	char *exp = tu_path(tmp, "export-plain.yml");
	char *secret_arg, *secret_arg2, *p;
	const char *suffix[] = { "", "-wal", "-shm", "-journal", NULL };
	tu_result r;
	size_t i;

	(void)state;
	secret_arg = cat2("password=@", pw);
	secret_arg2 = cat2("password=@", pw2);
	svc_ok(NULL, "create", "generic", "leak-check", "--url",
	       "https://svc.example.test", "--set", "username=ci");
	svc_ok(NULL, "edit", "leak-check", "--secret", secret_arg, NULL, NULL, NULL);
	svc(&r, NULL, "create", "jenkins", "leak-jenkins", "--url",
	    "https://jenkins.example.test", "--set", "username=bot",
	    "--secret", secret_arg, NULL);
	assert_int_equal(r.status, 0);
	tu_result_free(&r);
	svc(&r, NULL, "edit", "leak-jenkins", "--secret", secret_arg2, NULL);
	assert_int_equal(r.status, 0);
	tu_result_free(&r);
	svc(&r, SECRET_TOKEN "\n", "create", "github", "leak-gh", "--scheme",
	    "Token", "--secret", "AccessToken=-", NULL);
	if (r.status)
		fail_msg("github create: %s", r.err);
	tu_result_free(&r);
	svc_ok(NULL, "rename", "leak-gh", "leak-github", NULL, NULL, NULL, NULL);
	svc_ok(NULL, "rekey", NULL, NULL, NULL, NULL, NULL, NULL);
	svc_ok(NULL, "export", "-o", exp, NULL, NULL, NULL, NULL);
	/* every form of output and storage */
	for (i = 0; suffix[i]; i++) {
		char name[64];

		snprintf(name, sizeof(name), "store.db%s", suffix[i]);
		p = tu_path(home, name);
		assert_no_secret_in(p);
		free(p);
	}
	assert_no_secret_in(exp);
	svc(&r, NULL, "audit", "--json", NULL);
	assert_int_equal(r.status, 0);
	assert_null(strstr(r.out, SECRET_PW));
	assert_null(strstr(r.out, SECRET_PW2));
	assert_null(strstr(r.out, SECRET_TOKEN));
	assert_non_null(strstr(r.out, "password")); /* the key is recorded */
	tu_result_free(&r);
	svc(&r, NULL, "list", "--json", NULL);
	assert_null(strstr(r.out, SECRET_TOKEN));
	tu_result_free(&r);
	svc(&r, NULL, "show", "leak-github", NULL);
	assert_int_equal(r.status, 0);
	assert_null(strstr(r.out, SECRET_TOKEN));
	assert_non_null(strstr(r.out, "***"));
	tu_result_free(&r);
	svc(&r, NULL, "export", NULL);
	assert_int_equal(r.status, 0);
	assert_null(strstr(r.out, SECRET_TOKEN));
	tu_result_free(&r);
	/* with --include-secrets, only to a new 0600 file */
	svc(&r, NULL, "export", "--include-secrets", NULL);
	assert_int_equal(r.status, 2);
	assert_null(strstr(r.out, SECRET_TOKEN));
	tu_result_free(&r);
	p = tu_path(tmp, "export-secrets.yml");
	svc_ok(NULL, "export", "--include-secrets", "-o", p, NULL, NULL, NULL);
	{
		struct stat st;
		char *data = tu_read_file(p, NULL);

		assert_int_equal(stat(p, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0600);
		assert_non_null(strstr(data, SECRET_TOKEN));
		assert_non_null(strstr(data, SECRET_PW2));
		free(data);
	}
	svc(&r, NULL, "export", "--include-secrets", "-o", p, NULL);
	assert_int_equal(r.status, 1); /* never overwrites */
	tu_result_free(&r);
	free(p);
	free(secret_arg);
	free(secret_arg2);
	free(pw);
	free(pw2);
	free(exp);
}

static void test_secret_with_set_is_refused(void **state)
{
	tu_result r;

	(void)state;
	svc(&r, NULL, "create", "generic", "set-refused", "--url",
	    "https://x.example.test", "--set", "password=" SECRET_PW, NULL);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "--secret password=@FILE"));
	assert_null(strstr(r.err, SECRET_PW));
	tu_result_free(&r);
	svc(&r, NULL, "create", "generic", "set-refused", "--url",
	    "https://x.example.test", "--secret", "password=" SECRET_PW, NULL);
	assert_int_equal(r.status, 2);
	assert_null(strstr(r.err, SECRET_PW));
	tu_result_free(&r);
	svc(&r, NULL, "show", "set-refused", NULL);
	assert_int_equal(r.status, 3); /* nothing was stored */
	tu_result_free(&r);
	/* edit: refused too, and the stored connection is unchanged */
	svc_ok(NULL, "create", "generic", "set-edit", "--url",
	       "https://x.example.test", NULL, NULL);
	svc(&r, NULL, "edit", "set-edit", "--set", "password=" SECRET_PW,
	    "--url", "https://changed.example.test", NULL);
	assert_int_equal(r.status, 2);
	tu_result_free(&r);
	svc(&r, NULL, "show", "set-edit", "--json", NULL);
	assert_non_null(strstr(r.out, "https://x.example.test"));
	tu_result_free(&r);
}

/* 1 when some process's command line contains s. */
static int secret_in_any_argv(const char *s)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int found = 0;

	assert_non_null(d);
	while (!found && (e = readdir(d)) != NULL) {
		char path[300], *data;
		size_t len;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
		data = tu_read_file(path, &len);
		if (data && tu_memmem(data, len, s, strlen(s)))
			found = 1;
		free(data);
	}
	closedir(d);
	return found;
}

/* Start svcconn with stdin from a pipe we hold; returns the write end. */
static pid_t start_waiting(int *wfd, char *const argv[])
{
	posix_spawn_file_actions_t fa;
	int p[2];
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[0], 0);
	posix_spawn_file_actions_addclose(&fa, p[1]);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	assert_int_equal(posix_spawn(&pid, argv[0], &fa, NULL, argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	close(p[0]);
	*wfd = p[1];
	return pid;
}

static void test_no_secret_in_any_argv(void **state)
{
	char *create[] = { (char *)tu_bin("svcconn"), "create", "generic",
			   "argv-check", "--url", "https://a.example.test",
			   "--set", "username=u", "--secret", "password=-",
			   "--home", home, NULL };
	char *edit[] = { (char *)tu_bin("svcconn"), "edit", "argv-check",
			 "--secret", "password=-", "--home", home, NULL };
	char *const *cmds[] = { create, edit };
	int i, status, wfd;

	(void)state;
	for (i = 0; i < 2; i++) {
		pid_t pid = start_waiting(&wfd, cmds[i]);
		struct timespec ts = { 0, 50 * 1000 * 1000 };

		/* while svcconn waits for the secret, and after it has it */
		nanosleep(&ts, NULL);
		assert_false(secret_in_any_argv(SECRET_PW));
		assert_int_equal(write(wfd, SECRET_PW "\n", strlen(SECRET_PW) + 1),
				 (ssize_t)strlen(SECRET_PW) + 1);
		assert_false(secret_in_any_argv(SECRET_PW));
		close(wfd);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		assert_false(secret_in_any_argv(SECRET_PW));
	}
}

static void test_tampered_and_moved_ciphertexts_fail(void **state)
{
	char *a = file_with("pa", "first-secret-value"), *b = file_with("pb", "second-secret-value");
	char *arga, *argb, *out = tu_path(tmp, "x.yml");
	sqlite3 *db;
	tu_result r;

	(void)state;
	arga = cat2("password=@", a);
	argb = cat2("password=@", b);
	svc_ok(NULL, "create", "generic", "tamper-a", "--url",
	       "https://a.example.test", "--secret", arga);
	svc_ok(NULL, "create", "generic", "tamper-b", "--url",
	       "https://b.example.test", "--secret", argb);
	db = raw_db();
	/* flip one bit of the sealed value of tamper-a */
	{
		int len;
		unsigned char *v = sealed_of(db, "tamper-a", "password", &len);

		v[len / 2] ^= 1;
		set_sealed(db, "tamper-a", "password", v, len);
		free(v);
	}
	sqlite3_close(db);
	svc(&r, NULL, "export", "tamper-a", "--include-secrets", "-o", out, NULL);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "cannot decrypt"));
	assert_non_null(strstr(r.err, "tamper-a"));
	tu_result_free(&r);
	/* move tamper-b's sealed value into a third connection's row */
	svc_ok(NULL, "create", "generic", "tamper-c", "--url",
	       "https://c.example.test", "--secret", arga);
	db = raw_db();
	{
		int len;
		unsigned char *v = sealed_of(db, "tamper-b", "password", &len);

		set_sealed(db, "tamper-c", "password", v, len);
		free(v);
	}
	sqlite3_close(db);
	svc(&r, NULL, "export", "tamper-c", "--include-secrets", "-o", out, NULL);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "cannot decrypt"));
	assert_null(strstr(r.err, "second-secret-value"));
	tu_result_free(&r);
	/* the untouched one still decrypts */
	svc_ok(NULL, "export", "tamper-b", "--include-secrets", "-o", out,
	       NULL, NULL);
	svc_ok(NULL, "delete", "tamper-a", NULL, NULL, NULL, NULL, NULL);
	svc_ok(NULL, "delete", "tamper-c", NULL, NULL, NULL, NULL, NULL);
	free(arga);
	free(argb);
	free(a);
	free(b);
	free(out);
}

static void test_rekey_killed_at_random_points(void **state)
{
	char *ref = tu_path(tmp, "rekey-ref.yml"), *dir = tu_path(tmp, "rk");
	char *before, *after;
	unsigned seed = (unsigned)time(NULL);
	long span_us;
	int i, kills = 0;
	tu_result r;

	(void)state;
	/* a store with many secrets so a rekey takes a measurable time */
	{
		char *pw = file_with("rk-pw", "rekey-secret");
		char *arg;

		arg = cat2("password=@", pw);
		for (i = 0; i < 300; i++) {
			char name[32];

			snprintf(name, sizeof(name), "rk-%03d", i);
			svc_ok(NULL, "create", "generic", name, "--url",
			       "https://r.example.test", "--secret", arg);
		}
		free(arg);
		free(pw);
	}
	svc_ok(NULL, "export", "--include-secrets", "-o", ref, NULL, NULL, NULL);
	before = tu_read_file(ref, NULL);
	/* how long a whole rekey process takes here: kill within that span */
	{
		struct timespec t0, t1;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (i = 0; i < 3; i++)
			svc_ok(NULL, "rekey", NULL, NULL, NULL, NULL, NULL, NULL);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		span_us = ((t1.tv_sec - t0.tv_sec) * 1000000L +
			   (t1.tv_nsec - t0.tv_nsec) / 1000) / 3;
		if (span_us < 100)
			span_us = 100;
	}
	printf("# rekey kill test, seed %u, one rekey takes %ld us\n", seed,
	       span_us);
	for (i = 0; i < 30; i++) {
		char *argv[] = { (char *)tu_bin("svcconn"), "rekey", "--home",
				 home, NULL };
		struct timespec ts = { 0, (rand_r(&seed) % span_us) * 1000 };
		char name[32], *out;
		int status;
		pid_t pid;

		assert_int_equal(posix_spawn(&pid, argv[0], NULL, NULL, argv,
					     environ), 0);
		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		kills += WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
		snprintf(name, sizeof(name), "rekey-%d.yml", i);
		out = tu_path(tmp, name);
		svc(&r, NULL, "export", "--include-secrets", "-o", out, NULL);
		if (r.status != 0)
			fail_msg("store unreadable after rekey killed (try %d, seed %u): %s",
				 i, seed, r.err);
		tu_result_free(&r);
		after = tu_read_file(out, NULL);
		if (strcmp(before, after) != 0)
			fail_msg("secrets changed after rekey killed (try %d)", i);
		free(after);
		free(out);
	}
	printf("# %d of 30 rekeys were killed before they finished\n", kills);
	assert_true(kills > 0);
	free(before);
	free(ref);
	free(dir);
}

static void test_import_all_or_nothing_with_lines(void **state)
{
	char *f = file_with("bad-import.yml",
		"apiVersion: svcconn/v1\n"
		"connections:\n"
		"  - name: imp-ok\n"
		"    type: generic\n"
		"    url: https://ok.example.test\n"
		"  - name: imp-bad\n"
		"    type: azurerm\n"
		"    scheme: ServicePrincipal\n"
		"    auth:\n"
		"      tenantid: not-a-guid\n"
		"  - name: imp-unknown\n"
		"    type: nosuchtype\n");
	tu_result r;

	(void)state;
	svc(&r, NULL, "import", f, NULL);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "bad-import.yml:10:"));
	assert_non_null(strstr(r.err, "tenantid"));
	assert_non_null(strstr(r.err, "nosuchtype"));
	assert_non_null(strstr(r.err, "nothing was imported"));
	tu_result_free(&r);
	svc(&r, NULL, "show", "imp-ok", NULL);
	assert_int_equal(r.status, 3);
	tu_result_free(&r);
	free(f);
}

static void test_unsafe_key_file_is_refused(void **state)
{
	char *key = tu_path(home, "master.key");
	tu_result r;

	(void)state;
	assert_int_equal(chmod(key, 0644), 0);
	svc(&r, NULL, "list", NULL);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "too open"));
	tu_result_free(&r);
	assert_int_equal(chmod(key, 0600), 0);
	svc(&r, NULL, "list", NULL);
	assert_int_equal(r.status, 0);
	tu_result_free(&r);
	free(key);
}

static void test_every_command_has_help(void **state)
{
	const char *cmds[] = { "init", "types", "create", "list", "show",
			       "edit", "rename", "delete", "import", "export",
			       "rekey", "audit", NULL };
	size_t i;
	tu_result r;

	(void)state;
	for (i = 0; cmds[i]; i++) {
		svc(&r, NULL, cmds[i], "--help", NULL);
		assert_int_equal(r.status, 0);
		assert_non_null(strstr(r.out, "usage: svcconn"));
		tu_result_free(&r);
	}
	svc(&r, NULL, "show", "no-such-connection", NULL);
	assert_int_equal(r.status, 3);
	tu_result_free(&r);
	svc(&r, NULL, "create", NULL);
	assert_int_equal(r.status, 2);
	tu_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_store_is_private_from_the_start),
		cmocka_unit_test(test_secrets_never_reach_disk_or_logs),
		cmocka_unit_test(test_secret_with_set_is_refused),
		cmocka_unit_test(test_no_secret_in_any_argv),
		cmocka_unit_test(test_tampered_and_moved_ciphertexts_fail),
		cmocka_unit_test(test_import_all_or_nothing_with_lines),
		cmocka_unit_test(test_unsafe_key_file_is_refused),
		cmocka_unit_test(test_every_command_has_help),
		cmocka_unit_test(test_rekey_killed_at_random_points),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
