/*
 * crypto.c - AES-256-GCM sealing of secret values, and the master key file.
 *
 * Sealing is OpenSSL's EVP interface with a fresh 12-byte nonce from
 * RAND_bytes for every value, so one key can seal up to about 2^32 values
 * before nonce reuse becomes a concern (a store rekeys long before that).
 * The associated data "svcconn/v2" NUL conn_id NUL field_key is
 * authenticated but not stored: it names the place the value belongs to,
 * so a ciphertext moved to another row or field fails to open.  Values
 * sealed before the store authenticated its rows are format 1, with
 * "svcconn/v1" in front; they still open, and the store reseals them as
 * format 2 when it first MACs its rows (store.c: a store holding any
 * format 2 value was upgraded already).
 *
 * The key file is read with file_read_private(), which checks type, owner
 * and mode on the opened descriptor.  Every buffer that held key material
 * or plaintext is wiped with svc_wipe() before it goes out of scope, and
 * every EVP context is freed on every path.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "svcconn/errors.h"
#include "svcconn/secret.h"
#include "crypto/crypto.h"
#include "errors_int.h"
#include "util/fileio.h"
#include "util/hex.h"

/* Label the row-MAC key is derived from (HMAC under the master key). */
#define ROW_MAC_LABEL "svcconn row mac v1"
/* Label hashed in front of the key to derive its id. */
#define KEY_ID_LABEL "svcconn key id"
/* First part of the associated data of each sealed format, NUL included:
 * the format's version is authenticated, so no one without the key turns a
 * value of one format into one of the other. */
#define AAD_PREFIX_V1 "svcconn/v1"
#define AAD_PREFIX_V2 "svcconn/v2"
/* Largest plaintext sealed at once (EVP lengths are int). */
#define SEAL_MAX ((size_t)INT_MAX - CRYPTO_NONCE_LEN - CRYPTO_TAG_LEN - 1)

/* What keeps a row-MAC key keyed for many MACs (crypto_mac_kept). */
struct crypto_macer {
	EVP_MAC_CTX *ctx;                  /**< HMAC-SHA256, keyed */
	unsigned char key[CRYPTO_MAC_LEN]; /**< the row-MAC key it holds
						(wiped) */
};

/* A new HMAC-SHA256 context keyed with key (klen bytes) into *out. */
static int hmac_new(EVP_MAC_CTX **out, const unsigned char *key, size_t klen)
{
	OSSL_PARAM params[2];
	EVP_MAC *mac;
	EVP_MAC_CTX *ctx = NULL;

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						     (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	/* the context keeps its own reference to the method */
	if ((mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) != NULL &&
	    (ctx = EVP_MAC_CTX_new(mac)) != NULL &&
	    EVP_MAC_init(ctx, key, klen, params) != 1) {
		EVP_MAC_CTX_free(ctx);
		ctx = NULL;
	}
	EVP_MAC_free(mac);
	if (!ctx)
		return error_set(SVC_ECRYPTO, "cannot compute an HMAC");
	*out = ctx;
	return 0;
}

/*
 * HMAC-SHA256 through the keyed ctx of the parts, one after the other.
 * The context starts again from its key (EVP_MAC_init with no key), so
 * one keyed context serves any number of MACs.
 */
static int hmac_run(unsigned char out[CRYPTO_MAC_LEN], EVP_MAC_CTX *ctx,
		    const void *const *ptrs, const size_t *lens, size_t n)
{
	size_t i, outlen = 0;
	int ok;

	ok = EVP_MAC_init(ctx, NULL, 0, NULL) == 1;
	for (i = 0; ok && i < n; i++)
		ok = EVP_MAC_update(ctx, ptrs[i], lens[i]) == 1;
	ok = ok && EVP_MAC_final(ctx, out, &outlen, CRYPTO_MAC_LEN) == 1 &&
	     outlen == CRYPTO_MAC_LEN;
	if (!ok) {
		svc_wipe(out, CRYPTO_MAC_LEN);
		return error_set(SVC_ECRYPTO, "cannot compute an HMAC");
	}
	return 0;
}

/* HMAC-SHA256 under key (klen bytes) of the parts, one after the other. */
static int hmac_parts(unsigned char out[CRYPTO_MAC_LEN],
		      const unsigned char *key, size_t klen,
		      const void *const *ptrs, const size_t *lens, size_t n)
{
	EVP_MAC_CTX *ctx = NULL;
	int rc;

	if ((rc = hmac_new(&ctx, key, klen)) != 0) {
		svc_wipe(out, CRYPTO_MAC_LEN);
		return rc;
	}
	rc = hmac_run(out, ctx, ptrs, lens, n);
	EVP_MAC_CTX_free(ctx);
	return rc;
}

int crypto_mac(unsigned char out[CRYPTO_MAC_LEN], const crypto_key *k,
	       const void *const *ptrs, const size_t *lens, size_t n)
{
	return hmac_parts(out, k->mac, sizeof(k->mac), ptrs, lens, n);
}

int crypto_mac_kept(unsigned char out[CRYPTO_MAC_LEN], crypto_macer **mc,
		    const crypto_key *k, const void *const *ptrs,
		    const size_t *lens, size_t n)
{
	crypto_macer *m = *mc;
	int rc;

	/* keyed for another key (a rekey, another store's): keyed again */
	if (m && CRYPTO_memcmp(m->key, k->mac, sizeof(m->key)) != 0) {
		crypto_macer_free(m);
		*mc = m = NULL;
	}
	if (!m) {
		if (!(m = calloc(1, sizeof(*m)))) {
			svc_wipe(out, CRYPTO_MAC_LEN);
			return error_oom();
		}
		if ((rc = hmac_new(&m->ctx, k->mac, sizeof(k->mac))) != 0) {
			free(m);
			svc_wipe(out, CRYPTO_MAC_LEN);
			return rc;
		}
		memcpy(m->key, k->mac, sizeof(m->key));
		*mc = m;
	}
	return hmac_run(out, m->ctx, ptrs, lens, n);
}

void crypto_macer_free(crypto_macer *mc)
{
	if (!mc)
		return;
	EVP_MAC_CTX_free(mc->ctx); /* cleanses the keyed state */
	svc_wipe(mc->key, sizeof(mc->key));
	free(mc);
}

/*
 * Derive k->id from k->k (hex of the first 8 bytes of SHA-256(label||key))
 * and the row-MAC key k->mac (HMAC-SHA256(key, label)).
 */
static int key_set_id(crypto_key *k)
{
	const void *label = ROW_MAC_LABEL;
	size_t label_len = strlen(ROW_MAC_LABEL);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx;
	int ok;

	ctx = EVP_MD_CTX_new();
	if (!ctx)
		return error_oom();
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	     EVP_DigestUpdate(ctx, KEY_ID_LABEL, strlen(KEY_ID_LABEL)) == 1 &&
	     EVP_DigestUpdate(ctx, k->k, sizeof(k->k)) == 1 &&
	     EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen >= 8;
	EVP_MD_CTX_free(ctx);
	if (ok) {
		hex_write(k->id, md, 8);
		k->id[16] = '\0';
	}
	svc_wipe(md, sizeof(md));
	if (!ok)
		return error_set(SVC_ECRYPTO, "cannot compute the key id");
	return hmac_parts(k->mac, k->k, sizeof(k->k), &label, &label_len, 1);
}

void crypto_key_wipe(crypto_key *k)
{
	if (k)
		svc_wipe(k, sizeof(*k));
}

int crypto_key_generate(crypto_key *out)
{
	crypto_key k;
	int rc;

	if (RAND_bytes(k.k, sizeof(k.k)) != 1) {
		crypto_key_wipe(&k);
		return error_set(SVC_ECRYPTO,
				 "cannot generate a key: no random bytes");
	}
	if ((rc = key_set_id(&k)) == 0)
		memcpy(out, &k, sizeof(k));
	crypto_key_wipe(&k);
	return rc;
}

int crypto_key_load(crypto_key *out, const char *path)
{
	crypto_key k;
	struct stat lst;
	svc_buf b;
	int rc;

	/* room for one byte more than a key, to tell "too long" apart */
	buf_init(&b, CRYPTO_KEY_LEN + 1, 1);
	rc = file_read_private(&b, path, "master key");
	if (rc == SVC_ERROR && lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode)) {
		/* the open refused to follow it (O_NOFOLLOW); say why */
		rc = error_set(SVC_EINSECURE,
			       "master key '%s' is a symbolic link; refusing to follow it (point the key file setting at the real file)",
			       path);
		goto done;
	}
	if (rc == SVC_EINVALID) {
		rc = error_set(SVC_ECRYPTO,
			       "master key '%s' is longer than %d bytes: it must be exactly %d random bytes",
			       path, CRYPTO_KEY_LEN, CRYPTO_KEY_LEN);
		goto done;
	}
	if (rc)
		goto done;
	if (b.len != CRYPTO_KEY_LEN) {
		rc = error_set(SVC_ECRYPTO,
			       "master key '%s' is %zu bytes: it must be exactly %d random bytes",
			       path, b.len, CRYPTO_KEY_LEN);
		goto done;
	}
	memcpy(k.k, b.ptr, CRYPTO_KEY_LEN);
	if ((rc = key_set_id(&k)) == 0)
		memcpy(out, &k, sizeof(k));
	crypto_key_wipe(&k);
done:
	buf_clear(&b);
	return rc;
}

int crypto_key_write(const crypto_key *k, const char *path)
{
	int rc = file_create_private(path, k->k, sizeof(k->k));

	if (rc == SVC_EEXISTS)
		return error_set(SVC_EEXISTS,
				 "master key '%s' already exists; not overwriting it",
				 path);
	if (rc)
		return rc;
	/* make the new name durable too, not only the content */
	return dir_sync_parent(path);
}

/* The associated data of format version for (conn_id, field_key). */
static int make_aad(svc_buf *aad, unsigned version, const char *conn_id,
		    const char *field_key)
{
	const char *prefix = version == 1 ? AAD_PREFIX_V1 : AAD_PREFIX_V2;
	int rc;

	if ((rc = buf_put(aad, prefix, strlen(prefix) + 1)) != 0 ||
	    (rc = buf_put(aad, conn_id, strlen(conn_id) + 1)) != 0 ||
	    (rc = buf_puts(aad, field_key)) != 0)
		return rc;
	return 0;
}

int crypto_seal(svc_buf *out, const crypto_key *k, const char *conn_id,
		const char *field_key, const void *pt, size_t len)
{
	unsigned char nonce[CRYPTO_NONCE_LEN], tag[CRYPTO_TAG_LEN];
	EVP_CIPHER_CTX *ctx = NULL;
	svc_buf aad = SVC_BUF_INIT;
	size_t start = out->len;
	unsigned char *p;
	int n = 0, fin = 0, rc;

	if (!conn_id || !field_key)
		return error_set(SVC_EINVALID,
				 "sealing needs a connection id and a field key");
	if (len > SEAL_MAX)
		return error_set(SVC_EINVALID,
				 "value of field '%s' is too large to seal",
				 field_key);
	if ((rc = make_aad(&aad, CRYPTO_VERSION, conn_id, field_key)) != 0)
		goto done;
	if ((rc = buf_grow(out, 1 + sizeof(nonce) + len + sizeof(tag))) != 0)
		goto done;
	if (RAND_bytes(nonce, sizeof(nonce)) != 1) {
		rc = error_set(SVC_ECRYPTO, "cannot seal: no random bytes");
		goto done;
	}
	if (!(ctx = EVP_CIPHER_CTX_new())) {
		rc = error_oom();
		goto done;
	}
	p = (unsigned char *)out->ptr + start;
	p[0] = CRYPTO_VERSION;
	memcpy(p + 1, nonce, sizeof(nonce));
	if (EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, sizeof(nonce),
				NULL) != 1 ||
	    EVP_EncryptInit_ex(ctx, NULL, NULL, k->k, nonce) != 1 ||
	    EVP_EncryptUpdate(ctx, NULL, &n, (const unsigned char *)aad.ptr,
			      (int)aad.len) != 1 ||
	    EVP_EncryptUpdate(ctx, p + 1 + sizeof(nonce), &n, pt,
			      (int)len) != 1 ||
	    EVP_EncryptFinal_ex(ctx, p + 1 + sizeof(nonce) + n, &fin) != 1 ||
	    (size_t)n + (size_t)fin != len ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, sizeof(tag),
				tag) != 1) {
		rc = error_set(SVC_ECRYPTO, "cannot seal field '%s'", field_key);
		goto done;
	}
	memcpy(p + 1 + sizeof(nonce) + len, tag, sizeof(tag));
	out->len = start + 1 + sizeof(nonce) + len + sizeof(tag);
	out->ptr[out->len] = '\0';
	rc = 0;
done:
	if (rc && out->ptr) {
		/* drop a partial result (never plaintext, but be tidy) */
		svc_wipe(out->ptr + start, out->alloc - start);
		out->len = start;
		out->ptr[start] = '\0';
	}
	EVP_CIPHER_CTX_free(ctx);
	svc_wipe(nonce, sizeof(nonce));
	svc_wipe(tag, sizeof(tag));
	buf_clear(&aad);
	return rc;
}

int crypto_open(svc_buf *out, const crypto_key *k, const char *conn_id,
		const char *field_key, const void *sealed, size_t len)
{
	const unsigned char *s = sealed;
	EVP_CIPHER_CTX *ctx = NULL;
	svc_buf aad = SVC_BUF_INIT;
	size_t start = out->len, ctlen;
	unsigned char tag[CRYPTO_TAG_LEN];
	unsigned char *p;
	int n = 0, fin = 0, rc;

	if (!conn_id || !field_key)
		return error_set(SVC_EINVALID,
				 "opening needs a connection id and a field key");
	if (len < 1 + CRYPTO_NONCE_LEN + CRYPTO_TAG_LEN || len > SEAL_MAX)
		return error_set(SVC_ECRYPTO,
				 "cannot decrypt field '%s': sealed value has an impossible length (%zu bytes)",
				 field_key, len);
	if (s[0] != CRYPTO_VERSION && s[0] != CRYPTO_VERSION_V1)
		return error_set(SVC_ECRYPTO,
				 "cannot decrypt field '%s': unknown sealed format %u",
				 field_key, (unsigned)s[0]);
	ctlen = len - 1 - CRYPTO_NONCE_LEN - CRYPTO_TAG_LEN;
	memcpy(tag, s + len - CRYPTO_TAG_LEN, sizeof(tag));
	if ((rc = make_aad(&aad, s[0], conn_id, field_key)) != 0 ||
	    (rc = buf_grow(out, ctlen)) != 0)
		goto done;
	if (!(ctx = EVP_CIPHER_CTX_new())) {
		rc = error_oom();
		goto done;
	}
	p = (unsigned char *)out->ptr + start;
	if (EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, CRYPTO_NONCE_LEN,
				NULL) != 1 ||
	    EVP_DecryptInit_ex(ctx, NULL, NULL, k->k, s + 1) != 1 ||
	    EVP_DecryptUpdate(ctx, NULL, &n, (const unsigned char *)aad.ptr,
			      (int)aad.len) != 1 ||
	    EVP_DecryptUpdate(ctx, p, &n, s + 1 + CRYPTO_NONCE_LEN,
			      (int)ctlen) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, sizeof(tag),
				tag) != 1) {
		rc = error_set(SVC_ECRYPTO, "cannot decrypt field '%s'",
			       field_key);
		goto done;
	}
	if (EVP_DecryptFinal_ex(ctx, p + n, &fin) != 1 ||
	    (size_t)n + (size_t)fin != ctlen) {
		rc = error_set(SVC_ECRYPTO,
			       "cannot decrypt field '%s': authentication failed (tampered, moved, or wrong key)",
			       field_key);
		goto done;
	}
	out->len = start + ctlen;
	out->ptr[out->len] = '\0';
	rc = 0;
done:
	if (rc && out->ptr) {
		/* unauthenticated plaintext must never be seen: wipe it */
		svc_wipe(out->ptr + start, out->alloc - start);
		out->len = start;
		out->ptr[start] = '\0';
	}
	EVP_CIPHER_CTX_free(ctx);
	svc_wipe(tag, sizeof(tag));
	buf_clear(&aad);
	return rc;
}

int crypto_reseal(svc_buf *rec, const crypto_key *from, const crypto_key *to,
		  const char *conn_id, const char *field_key,
		  const void *sealed, size_t len)
{
	svc_buf pt, out = SVC_BUF_INIT;
	int rc;

	buf_init(&pt, SEAL_MAX, 1);
	if ((rc = crypto_open(&pt, from, conn_id, field_key, sealed, len)) == 0)
		rc = crypto_seal(&out, to, conn_id, field_key,
				 pt.ptr ? pt.ptr : "", pt.len);
	buf_clear(&pt);
	if (rc == 0 && (rc = buf_put(rec, &out.len, sizeof(out.len))) == 0)
		rc = buf_put(rec, out.ptr, out.len);
	buf_clear(&out);
	return rc;
}

void crypto_reseal_next(const char **p, const unsigned char **sealed,
			size_t *len)
{
	memcpy(len, *p, sizeof(*len));
	*sealed = (const unsigned char *)*p + sizeof(*len);
	*p += sizeof(*len) + *len;
}
