/*
 * test_verify_ssh.c - the SSH verifier against a real OpenSSH sshd on a
 * loopback port, set up with tests/integration/lib/sshd.sh (shared with
 * tests/integration/ssh_job.sh): a system user with git-shell (so the
 * remote command itself fails: authentication must be told apart from
 * it), a password, two authorized ed25519 keys, one with a passphrase.
 * Needs root (useradd), as ssh_job.sh; skipped otherwise.
 *
 * The host keys come from svc_verify_ssh_host_keys() (ssh-keyscan) in the
 * known_hosts form the job uses.  Then: the key passes; the key with its
 * passphrase passes (svcconn-askpass reads it from the verifier's FIFO);
 * a wrong passphrase is INVALID; a key the server does not know and a
 * wrong password are AUTH; the right password passes; another pinned key
 * is HOSTKEY; no pin is INVALID with the how-to; a closed port is
 * CONNECT.  No secret appears in a message.
 */
#include "testutil.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <svcconn/svcconn.h>

#include "verify/verify_int.h"
#include "verifyutil.h"

#define PW "ssh-Verify-pw-17"
#define PP "key-Pass-phrase-9"
#define LIB SVC_SOURCE_DIR "/tests/integration/lib/sshd.sh"

static const svc_verify_options quick = { SVC_VERIFY_OPTIONS_VERSION, 5000, 20000 };

/* The sshd and what it knows. */
struct sshsrv {
	char *dir;        /**< its directory */
	char user[32];    /**< the system user */
	char port[16];    /**< its port */
	int pid;          /**< sshd's pid */
	char *pin;        /**< its host keys, as pinned */
	char *key;        /**< an authorized key (OpenSSH PEM) */
	char *key_pp;     /**< an authorized key with passphrase PP */
	char *stranger;   /**< a key it does not know */
	char *other_host; /**< "127.0.0.1 " + another host's public key */
};

static int setup(void **state)
{
	struct sshsrv *s = calloc(1, sizeof(*s));
	char *argv[] = { "/bin/bash", "-c",
		"set -e; . \"$0\"; S=$1; u=$2\n"
		"chmod 755 \"$S\"\n"
		"sshd_user_add \"$u\" \"$S/home\" /usr/bin/git-shell\n"
		"usermod -p \"$(openssl passwd -6 \"$3\")\" \"$u\"\n"
		"mkdir -p \"$S/keys\" \"$S/authorized_keys\"\n"
		"ssh-keygen -q -t ed25519 -N '' -C k -f \"$S/key\"\n"
		"ssh-keygen -q -t ed25519 -N \"$4\" -C kpp -f \"$S/key_pp\"\n"
		"ssh-keygen -q -t ed25519 -N '' -C x -f \"$S/stranger\"\n"
		"ssh-keygen -q -t ed25519 -N '' -f \"$S/other_host\"\n"
		"cat \"$S/key.pub\" \"$S/key_pp.pub\" > \"$S/authorized_keys/$u\"\n"
		"sshd_start_free \"$S\" \"$u\" yes >&2\n"
		"echo \"$sshd_port $sshd_pid\"\n",
		LIB, NULL, NULL, PW, PP, NULL };
	tu_result r = { 0 };
	char *p;

	if (geteuid() != 0)
		return 0;   /* the tests skip */
	if (!s || !(s->dir = tu_mkdtemp()))
		return -1;
	snprintf(s->user, sizeof(s->user), "svcvfy%ld", (long)getpid());
	argv[4] = s->dir;
	argv[5] = s->user;
	tu_run(&r, NULL, argv, NULL);
	if (r.status != 0 || sscanf(r.out, "%15s %d", s->port, &s->pid) != 2) {
		fprintf(stderr, "cannot start sshd: %s\n", r.err);
		tu_result_free(&r);
		return -1;
	}
	tu_result_free(&r);
	p = tu_path(s->dir, "key");
	s->key = tu_read_file(p, NULL);
	free(p);
	p = tu_path(s->dir, "key_pp");
	s->key_pp = tu_read_file(p, NULL);
	free(p);
	p = tu_path(s->dir, "stranger");
	s->stranger = tu_read_file(p, NULL);
	free(p);
	p = tu_path(s->dir, "other_host.pub");
	{
		char *pub = tu_read_file(p, NULL);

		if (!pub || asprintf(&s->other_host, "127.0.0.1 %s", pub) < 0)
			return -1;
		free(pub);
	}
	free(p);
	*state = s;
	return 0;
}

static int teardown(void **state)
{
	struct sshsrv *s = *state;
	char *argv[] = { "/bin/bash", "-c", ". \"$0\"; sshd_user_del \"$1\"", LIB,
		NULL, NULL };
	tu_result r = { 0 };

	if (!s)
		return 0;
	if (s->pid > 1)
		kill(s->pid, SIGTERM);
	argv[4] = s->user;
	tu_run(&r, NULL, argv, NULL);
	tu_result_free(&r);
	tu_rm_rf(s->dir);
	free(s->dir);
	free(s->pin);
	free(s->key);
	free(s->key_pp);
	free(s->stranger);
	free(s->other_host);
	free(s);
	return 0;
}

/* An SSH connection to the server with the given fields (NULL: none). */
static svc_conn *ssh_conn(const struct sshsrv *s, const char *port,
			  const char *pin, const char *key, const char *pass)
{
	const char *f[] = { "Host=127.0.0.1", NULL, NULL, NULL, NULL, NULL, NULL };
	char fp[32], fu[64];
	size_t n = 1;
	svc_conn *c;

	snprintf(fp, sizeof(fp), "Port=%s", port);
	snprintf(fu, sizeof(fu), "username=%s", s->user);
	f[n++] = fp;
	f[n++] = fu;
	c = vu_conn("ssh", "UsernamePassword", NULL, f);
	if (pin)
		assert_int_equal(svc_conn_set_field(c, "hostKey", pin, strlen(pin)), 0);
	if (key)
		assert_int_equal(svc_conn_set_field(c, "PrivateKey", key, strlen(key)), 0);
	if (pass)
		assert_int_equal(svc_conn_set_field(c, "password", pass, strlen(pass)), 0);
	return c;
}

static void check(const struct sshsrv *s, svc_conn *c, svc_verify_outcome want,
		  const char *in_message)
{
	svc_verify_result r = { 0 };

	(void)s;
	assert_int_equal(svc_verify(&r, NULL, c, &quick), 0);
	if (r.outcome != want)
		fail_msg("outcome %s (want %s): %s", svc_verify_outcome_name(r.outcome),
			 svc_verify_outcome_name(want), r.message);
	if (in_message)
		assert_non_null(strstr(r.message, in_message));
	assert_null(strstr(r.message, PW));
	assert_null(strstr(r.message, PP));
	assert_null(strstr(r.message, "PRIVATE KEY"));
	svc_verify_result_clear(&r);
	svc_conn_free(c);
}

static void test_host_keys(void **state)
{
	struct sshsrv *s = *state;
	char prefix[64];
	svc_conn *c;

	if (!s)
		skip();
	c = ssh_conn(s, s->port, NULL, NULL, NULL);
	assert_int_equal(svc_verify_ssh_host_keys(&s->pin, c, &quick), 0);
	snprintf(prefix, sizeof(prefix), "[127.0.0.1]:%s ssh-ed25519 AAAA", s->port);
	assert_non_null(strstr(s->pin, prefix));
	/* no pin: the how-to */
	check(s, c, SVC_VERIFY_INVALID, "--pin-host-key");
}

static void test_key(void **state)
{
	struct sshsrv *s = *state;
	char *env;

	if (!s || !s->pin)
		skip();
	check(s, ssh_conn(s, s->port, s->pin, s->key, NULL), SVC_VERIFY_OK,
	      "authenticated with the private key");
	check(s, ssh_conn(s, s->port, s->pin, s->stranger, NULL), SVC_VERIFY_AUTH,
	      "Permission denied");
	check(s, ssh_conn(s, s->port, s->other_host, s->key, NULL),
	      SVC_VERIFY_HOSTKEY, NULL);
	/* the passphrase through svcconn-askpass */
	assert_true(asprintf(&env, "%s/svcconn-askpass", SVC_BIN_DIR) > 0);
	setenv("SVCCONN_ASKPASS", env, 1);
	check(s, ssh_conn(s, s->port, s->pin, s->key_pp, PP), SVC_VERIFY_OK, NULL);
	check(s, ssh_conn(s, s->port, s->pin, s->key_pp, "wrong-pp"),
	      SVC_VERIFY_INVALID, "passphrase");
	free(env);
}

static void test_password(void **state)
{
	struct sshsrv *s = *state;
	char *env;

	if (!s || !s->pin)
		skip();
	assert_true(asprintf(&env, "%s/svcconn-askpass", SVC_BIN_DIR) > 0);
	setenv("SVCCONN_ASKPASS", env, 1);
	check(s, ssh_conn(s, s->port, s->pin, NULL, PW), SVC_VERIFY_OK,
	      "authenticated with the password");
	check(s, ssh_conn(s, s->port, s->pin, NULL, "wrong-password"),
	      SVC_VERIFY_AUTH, "Permission denied");
	free(env);
}

static void test_closed_port(void **state)
{
	struct sshsrv *s = *state;
	char pin[4096];

	if (!s || !s->pin)
		skip();
	/* port 1 on loopback: nothing listens there */
	snprintf(pin, sizeof(pin), "127.0.0.1 %s", strchr(s->pin, ' ') + 1);
	check(s, ssh_conn(s, "1", pin, s->key, NULL), SVC_VERIFY_CONNECT, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host_keys),
		cmocka_unit_test(test_key),
		cmocka_unit_test(test_password),
		cmocka_unit_test(test_closed_port),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
