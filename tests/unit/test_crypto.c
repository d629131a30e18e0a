/*
 * test_crypto.c - AES-256-GCM sealing and the master key file.
 *
 * Round trips, the sealed layout (checked by an independent decryption with
 * the documented associated data), every kind of tampering, a ciphertext
 * moved to another connection or field, a wrong key, and each way a key
 * file is refused (mode, owner, size, symlink, a FIFO: at once, without
 * blocking) with a message saying why; the row-MAC key derived from the
 * master key, checked against an independent HMAC.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "svcconn/errors.h"
#include "crypto/crypto.h"

/* A key with bytes base, base + 1, ..., loaded through a key file. */
static void fixed_key(crypto_key *k, unsigned char base)
{
	crypto_key tmp;
	char *dir = tu_mkdtemp(), *path = tu_path(dir, "k");
	unsigned char raw[CRYPTO_KEY_LEN];
	FILE *f;
	int i;

	for (i = 0; i < CRYPTO_KEY_LEN; i++)
		raw[i] = (unsigned char)(base + i);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(raw, 1, sizeof(raw), f), sizeof(raw));
	fclose(f);
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(crypto_key_load(&tmp, path), 0);
	*k = tmp;
	tu_rm_rf(dir);
	free(path);
	free(dir);
}

static void seal(svc_buf *out, const crypto_key *k, const char *id,
		 const char *field, const char *pt)
{
	buf_init(out, 0, 0);
	assert_int_equal(crypto_seal(out, k, id, field, pt, strlen(pt)), 0);
}

static void test_round_trip(void **state)
{
	crypto_key k;
	svc_buf s, pt, s2;

	(void)state;
	assert_int_equal(crypto_key_generate(&k), 0);
	assert_int_equal(strlen(k.id), 16);
	seal(&s, &k, "conn-1", "password", "hunter2");
	assert_int_equal(s.len, 1 + CRYPTO_NONCE_LEN + 7 + CRYPTO_TAG_LEN);
	assert_int_equal((unsigned char)s.ptr[0], CRYPTO_VERSION);
	assert_false(tu_memmem(s.ptr, s.len, "hunter2", 7));
	buf_init(&pt, 0, 1);
	assert_int_equal(crypto_open(&pt, &k, "conn-1", "password", s.ptr,
				     s.len), 0);
	assert_int_equal(pt.len, 7);
	assert_string_equal(pt.ptr, "hunter2");
	/* a fresh nonce each time: same input, different output */
	seal(&s2, &k, "conn-1", "password", "hunter2");
	assert_int_not_equal(memcmp(s.ptr + 1, s2.ptr + 1, CRYPTO_NONCE_LEN),
			     0);
	buf_clear(&s2);
	/* empty values and values with NUL bytes survive */
	buf_clear(&s);
	buf_init(&s, 0, 0);
	assert_int_equal(crypto_seal(&s, &k, "c", "f", "", 0), 0);
	buf_reset(&pt);
	assert_int_equal(crypto_open(&pt, &k, "c", "f", s.ptr, s.len), 0);
	assert_int_equal(pt.len, 0);
	buf_clear(&s);
	buf_init(&s, 0, 0);
	assert_int_equal(crypto_seal(&s, &k, "c", "f", "a\0b", 3), 0);
	buf_reset(&pt);
	assert_int_equal(crypto_open(&pt, &k, "c", "f", s.ptr, s.len), 0);
	assert_int_equal(pt.len, 3);
	assert_memory_equal(pt.ptr, "a\0b", 3);
	buf_clear(&s);
	buf_clear(&pt);
	crypto_key_wipe(&k);
}

/* The documented layout and associated data, checked with plain EVP. */
static void test_layout_independent(void **state)
{
	static const char aad[] = "svcconn/v2\0conn-x\0token";
	unsigned char out[64], *s;
	EVP_CIPHER_CTX *ctx;
	crypto_key k;
	svc_buf b;
	int n = 0, fin = 0;

	(void)state;
	fixed_key(&k, 0);
	assert_string_equal(k.id, "c6020889fc2cc3e7");
	seal(&b, &k, "conn-x", "token", "s3cret-value");
	s = (unsigned char *)b.ptr;
	ctx = EVP_CIPHER_CTX_new();
	assert_non_null(ctx);
	assert_int_equal(EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, k.k,
					    s + 1), 1);
	assert_int_equal(EVP_DecryptUpdate(ctx, NULL, &n,
					   (const unsigned char *)aad,
					   (int)sizeof(aad) - 1), 1);
	assert_int_equal(EVP_DecryptUpdate(ctx, out, &n, s + 1 + 12,
					   (int)b.len - 1 - 12 - 16), 1);
	assert_int_equal(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16,
					     s + b.len - 16), 1);
	assert_int_equal(EVP_DecryptFinal_ex(ctx, out + n, &fin), 1);
	assert_int_equal(n + fin, 12);
	assert_memory_equal(out, "s3cret-value", 12);
	EVP_CIPHER_CTX_free(ctx);
	buf_clear(&b);
	crypto_key_wipe(&k);
}

static void test_key_id_known(void **state)
{
	crypto_key a, b;

	(void)state;
	fixed_key(&a, 0);
	fixed_key(&b, 0);
	assert_string_equal(a.id, b.id);
	fixed_key(&b, 1);
	assert_string_not_equal(a.id, b.id);
	crypto_key_wipe(&a);
	crypto_key_wipe(&b);
}

static void test_tampered(void **state)
{
	size_t positions[4], i, bit;
	crypto_key k;
	svc_buf s, pt;

	(void)state;
	assert_int_equal(crypto_key_generate(&k), 0);
	seal(&s, &k, "conn-1", "password", "correct horse battery staple");
	positions[0] = 0;                           /* version */
	positions[1] = 1 + 5;                       /* nonce */
	positions[2] = 1 + CRYPTO_NONCE_LEN + 3;    /* ciphertext */
	positions[3] = s.len - 1;                   /* tag */
	buf_init(&pt, 0, 1);
	for (i = 0; i < 4; i++) {
		for (bit = 0; bit < 8; bit++) {
			s.ptr[positions[i]] ^= (char)(1u << bit);
			assert_int_equal(crypto_open(&pt, &k, "conn-1",
						     "password", s.ptr, s.len),
					 SVC_ECRYPTO);
			assert_int_equal(pt.len, 0);
			assert_non_null(strstr(svc_error_last(), "password"));
			s.ptr[positions[i]] ^= (char)(1u << bit);
		}
	}
	/* truncated and extended */
	assert_int_equal(crypto_open(&pt, &k, "conn-1", "password", s.ptr,
				     s.len - 1), SVC_ECRYPTO);
	assert_int_equal(crypto_open(&pt, &k, "conn-1", "password", s.ptr,
				     10), SVC_ECRYPTO);
	assert_non_null(strstr(svc_error_last(), "length"));
	/* untouched, it still opens */
	assert_int_equal(crypto_open(&pt, &k, "conn-1", "password", s.ptr,
				     s.len), 0);
	buf_clear(&pt);
	buf_clear(&s);
	crypto_key_wipe(&k);
}

static void test_moved_and_wrong_key(void **state)
{
	crypto_key k, other;
	svc_buf s, pt;

	(void)state;
	assert_int_equal(crypto_key_generate(&k), 0);
	assert_int_equal(crypto_key_generate(&other), 0);
	assert_string_not_equal(k.id, other.id);
	seal(&s, &k, "conn-1", "password", "hunter2");
	buf_init(&pt, 0, 1);
	assert_int_equal(crypto_open(&pt, &k, "conn-2", "password", s.ptr,
				     s.len), SVC_ECRYPTO);
	assert_int_equal(crypto_open(&pt, &k, "conn-1", "token", s.ptr,
				     s.len), SVC_ECRYPTO);
	assert_non_null(strstr(svc_error_last(), "authentication failed"));
	/* the NUL separators matter: no ambiguity between id and key */
	assert_int_equal(crypto_open(&pt, &k, "conn-1p", "assword", s.ptr,
				     s.len), SVC_ECRYPTO);
	assert_int_equal(crypto_open(&pt, &other, "conn-1", "password", s.ptr,
				     s.len), SVC_ECRYPTO);
	assert_int_equal(pt.len, 0);
	buf_clear(&pt);
	buf_clear(&s);
	crypto_key_wipe(&k);
	crypto_key_wipe(&other);
}

static void test_key_file_write_load(void **state)
{
	char *dir = tu_mkdtemp(), *path = tu_path(dir, "master.key");
	crypto_key k, l;
	struct stat sb;

	(void)state;
	assert_int_equal(crypto_key_generate(&k), 0);
	assert_int_equal(crypto_key_write(&k, path), 0);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	assert_int_equal(sb.st_size, CRYPTO_KEY_LEN);
	assert_int_equal(crypto_key_load(&l, path), 0);
	assert_memory_equal(k.k, l.k, CRYPTO_KEY_LEN);
	assert_string_equal(k.id, l.id);
	/* never overwritten */
	assert_int_equal(crypto_key_write(&k, path), SVC_EEXISTS);
	assert_non_null(strstr(svc_error_last(), "already exists"));
	/* missing */
	unlink(path);
	assert_int_equal(crypto_key_load(&l, path), SVC_ENOTFOUND);
	crypto_key_wipe(&k);
	crypto_key_wipe(&l);
	tu_rm_rf(dir);
	free(path);
	free(dir);
}

/* A 32-byte key file at dir/name with mode; returns its path. */
static char *key_file(const char *dir, const char *name, size_t len,
		      mode_t mode)
{
	char *path = tu_path(dir, name);
	char raw[64];
	FILE *f;

	memset(raw, 'k', sizeof(raw));
	unlink(path);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(raw, 1, len, f), len);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

static void test_key_file_refused(void **state)
{
	char *dir = tu_mkdtemp(), *path, *link;
	crypto_key k;

	(void)state;
	path = key_file(dir, "k", 32, 0600);
	assert_int_equal(crypto_key_load(&k, path), 0);
	free(path);

	path = key_file(dir, "k", 32, 0640);
	assert_int_equal(crypto_key_load(&k, path), SVC_EINSECURE);
	assert_non_null(strstr(svc_error_last(), "too open"));
	assert_non_null(strstr(svc_error_last(), "0640"));
	free(path);

	path = key_file(dir, "k", 32, 0604);
	assert_int_equal(crypto_key_load(&k, path), SVC_EINSECURE);
	assert_non_null(strstr(svc_error_last(), "too open"));
	free(path);

	path = key_file(dir, "k", 31, 0600);
	assert_int_equal(crypto_key_load(&k, path), SVC_ECRYPTO);
	assert_non_null(strstr(svc_error_last(), "31 bytes"));
	assert_non_null(strstr(svc_error_last(), "exactly 32"));
	free(path);

	path = key_file(dir, "k", 33, 0600);
	assert_int_equal(crypto_key_load(&k, path), SVC_ECRYPTO);
	assert_non_null(strstr(svc_error_last(), "exactly 32"));
	free(path);

	path = key_file(dir, "k", 64, 0600);
	assert_int_equal(crypto_key_load(&k, path), SVC_ECRYPTO);
	assert_non_null(strstr(svc_error_last(), "exactly 32"));
	free(path);

	path = key_file(dir, "k", 0, 0600);
	assert_int_equal(crypto_key_load(&k, path), SVC_ECRYPTO);
	assert_non_null(strstr(svc_error_last(), "0 bytes"));
	free(path);

	/* a symlink to a good key file is refused, not followed */
	path = key_file(dir, "real", 32, 0600);
	link = tu_path(dir, "link");
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(crypto_key_load(&k, link), SVC_EINSECURE);
	assert_non_null(strstr(svc_error_last(), "symbolic link"));
	free(link);
	free(path);

	/* a directory */
	path = tu_path(dir, "d");
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_not_equal(crypto_key_load(&k, path), 0);
	free(path);

	tu_rm_rf(dir);
	free(dir);
}

static void test_key_file_other_owner(void **state)
{
	char *dir, *path;
	crypto_key k;

	(void)state;
	if (geteuid() != 0) {
		skip();
		return;
	}
	dir = tu_mkdtemp();
	path = key_file(dir, "k", 32, 0600);
	assert_int_equal(chown(path, 65534, 65534), 0);
	assert_int_equal(crypto_key_load(&k, path), SVC_EINSECURE);
	assert_non_null(strstr(svc_error_last(), "owned by uid 65534"));
	tu_rm_rf(dir);
	free(path);
	free(dir);
}

/*
 * The format is authenticated: a format 2 value relabelled as format 1
 * (whose associated data starts "svcconn/v1") does not open.  Format 1
 * values made by hand open: test_store_integrity.c's upgrade test.
 */
static void test_format_authenticated(void **state)
{
	crypto_key k;
	svc_buf s, pt;

	(void)state;
	assert_int_equal(crypto_key_generate(&k), 0);
	seal(&s, &k, "conn-1", "password", "value");
	assert_int_equal((unsigned char)s.ptr[0], 2);
	s.ptr[0] = 1;
	buf_init(&pt, 0, 1);
	assert_int_equal(crypto_open(&pt, &k, "conn-1", "password", s.ptr,
				     s.len), SVC_ECRYPTO);
	assert_non_null(strstr(svc_error_last(), "authentication failed"));
	assert_int_equal(pt.len, 0);
	buf_clear(&s);
	buf_clear(&pt);
	crypto_key_wipe(&k);
}

/* A FIFO at the key file is refused at once (alarm: a hang fails). */
static void test_key_file_fifo(void **state)
{
	char *dir = tu_mkdtemp(), *path = tu_path(dir, "master.key");
	char want[512];
	crypto_key k;

	(void)state;
	assert_int_equal(mkfifo(path, 0600), 0);
	signal(SIGALRM, SIG_DFL);
	alarm(10);
	assert_int_equal(crypto_key_load(&k, path), SVC_EINSECURE);
	alarm(0);
	snprintf(want, sizeof(want), "master key '%s' is not a regular file",
		 path);
	assert_string_equal(svc_error_last(), want);
	tu_rm_rf(dir);
	free(path);
	free(dir);
}

/*
 * The row-MAC key is HMAC-SHA256(master key, "svcconn row mac v1"), and
 * crypto_mac() is HMAC-SHA256 under it of its parts one after the other.
 */
static void test_row_mac_key(void **state)
{
	static const char label[] = "svcconn row mac v1";
	unsigned char mk[32], want[32], got[CRYPTO_MAC_LEN];
	const void *parts[2] = { "ab", "cd" };
	size_t lens[2] = { 2, 2 };
	unsigned int n = 0;
	crypto_key k, k2;

	(void)state;
	fixed_key(&k, 7);
	assert_non_null(HMAC(EVP_sha256(), k.k, sizeof(k.k),
			     (const unsigned char *)label, strlen(label), mk,
			     &n));
	assert_int_equal(n, 32);
	assert_memory_equal(k.mac, mk, 32);
	assert_memory_not_equal(k.mac, k.k, 32);
	assert_non_null(HMAC(EVP_sha256(), mk, 32,
			     (const unsigned char *)"abcd", 4, want, &n));
	assert_int_equal(crypto_mac(got, &k, parts, lens, 2), 0);
	assert_memory_equal(got, want, 32);
	/* another key, another MAC */
	fixed_key(&k2, 8);
	assert_int_equal(crypto_mac(got, &k2, parts, lens, 2), 0);
	assert_memory_not_equal(got, want, 32);
	crypto_key_wipe(&k);
	crypto_key_wipe(&k2);
}

/*
 * crypto_mac_kept() gives crypto_mac()'s MAC on every call through one
 * kept context (it starts again from the key each time, so a MAC does not
 * depend on the ones before it), and keys it again when given another
 * key: the MAC under that key, then under the first one again.
 */
static void test_mac_kept(void **state)
{
	const void *parts[3] = { "svcconn", "conn-1", "v" };
	size_t lens[3] = { 8, 7, 1 };
	unsigned char want[CRYPTO_MAC_LEN], got[CRYPTO_MAC_LEN];
	crypto_macer *mc = NULL;
	crypto_key k, k2;
	const crypto_key *keys[] = { &k, &k, &k2, &k2, &k };
	size_t i, n;

	(void)state;
	fixed_key(&k, 7);
	fixed_key(&k2, 8);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		/* one part fewer each other time: a different message */
		n = 3 - i % 2;
		assert_int_equal(crypto_mac(want, keys[i], parts, lens, n), 0);
		assert_int_equal(crypto_mac_kept(got, &mc, keys[i], parts,
						 lens, n), 0);
		assert_non_null(mc);
		assert_memory_equal(got, want, CRYPTO_MAC_LEN);
	}
	/* k2's MAC is not k's */
	assert_int_equal(crypto_mac_kept(got, &mc, &k2, parts, lens, 3), 0);
	assert_memory_not_equal(got, want, CRYPTO_MAC_LEN);
	crypto_macer_free(mc);
	crypto_macer_free(NULL);
	crypto_key_wipe(&k);
	crypto_key_wipe(&k2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_layout_independent),
		cmocka_unit_test(test_key_id_known),
		cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_moved_and_wrong_key),
		cmocka_unit_test(test_key_file_write_load),
		cmocka_unit_test(test_key_file_refused),
		cmocka_unit_test(test_key_file_other_owner),
		cmocka_unit_test(test_key_file_fifo),
		cmocka_unit_test(test_format_authenticated),
		cmocka_unit_test(test_row_mac_key),
		cmocka_unit_test(test_mac_kept),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
