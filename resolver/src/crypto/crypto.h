/*
 * crypto.h - sealing secrets with AES-256-GCM, and the master key.
 *
 * A sealed value is: version byte (2) | 12-byte random nonce | ciphertext |
 * 16-byte tag.  The associated data binds it to its place:
 * "svcconn/v2" NUL conn_id NUL field_key, so a ciphertext copied to another
 * connection or field fails to open.  Format 1 (version byte 1, associated
 * data "svcconn/v1" ...) is what stores sealed before their rows were
 * authenticated; it still opens, and is never written.  The master key is 32 random bytes in a
 * file that must be a regular file, owned by the user, mode 0600 or
 * stricter; its id (first 8 bytes of SHA-256 over a label and the key, hex)
 * tells which key sealed what, without revealing the key.
 *
 * The store also authenticates its rows (store_integrity.c) with
 * HMAC-SHA256 under a second key derived from the master key:
 * HMAC-SHA256(master key, "svcconn row mac v1").  Keeping the two uses
 * apart means a row MAC never reveals anything about the sealing key.
 */
#ifndef SVC_CRYPTO_H
#define SVC_CRYPTO_H

#include <stddef.h>
#include "util/buf.h"

#define CRYPTO_KEY_LEN 32
#define CRYPTO_NONCE_LEN 12
#define CRYPTO_TAG_LEN 16
#define CRYPTO_VERSION 2
#define CRYPTO_VERSION_V1 1
#define CRYPTO_MAC_LEN 32

typedef struct crypto_key {
	unsigned char k[CRYPTO_KEY_LEN]; /**< the key bytes */
	char id[17];                     /**< key id: 16 hex chars */
	unsigned char mac[CRYPTO_MAC_LEN]; /**< row-MAC key derived from k */
} crypto_key;

/** Load and check the key file (permissions, owner, exact size). */
int crypto_key_load(crypto_key *out, const char *path);
/** A fresh random key. */
int crypto_key_generate(crypto_key *out);
/** Write key to path, which must not exist, mode 0600, fsync'd. */
int crypto_key_write(const crypto_key *k, const char *path);
/** Wipe a key. */
void crypto_key_wipe(crypto_key *k);

/**
 * HMAC-SHA256 of the parts (ptrs[i], lens[i]) one after the other under
 * k's row-MAC key into out.
 */
int crypto_mac(unsigned char out[CRYPTO_MAC_LEN], const crypto_key *k,
	       const void *const *ptrs, const size_t *lens, size_t n);

/** An HMAC context kept keyed with one row-MAC key (crypto_mac_kept). */
typedef struct crypto_macer crypto_macer;

/**
 * crypto_mac through *mc, an HMAC context kept keyed with k's row-MAC key
 * from one call to the next: made at the first call (*mc NULL) and made
 * again when k is another key.  A walk MACing every connection keys one
 * context instead of one per MAC.  Free with crypto_macer_free.
 */
int crypto_mac_kept(unsigned char out[CRYPTO_MAC_LEN], crypto_macer **mc,
		    const crypto_key *k, const void *const *ptrs,
		    const size_t *lens, size_t n);
/** Free mc (its keyed state wiped); NULL is accepted. */
void crypto_macer_free(crypto_macer *mc);

/** Seal plaintext for (conn_id, field_key); appends to out. */
int crypto_seal(svc_buf *out, const crypto_key *k, const char *conn_id,
		const char *field_key, const void *pt, size_t len);
/**
 * Open a sealed value for (conn_id, field_key) into out (which should be a
 * secret buffer).  SVC_ECRYPTO when it fails to authenticate.
 */
int crypto_open(svc_buf *out, const crypto_key *k, const char *conn_id,
		const char *field_key, const void *sealed, size_t len);

/**
 * A rekey's step for one value: open sealed (for conn_id, field_key) with
 * from, seal it again with to, and append the record "len sealed" (len a
 * size_t) to rec; the plaintext never leaves this call (wiped).
 * SVC_ECRYPTO when it does not open with from.
 */
int crypto_reseal(svc_buf *rec, const crypto_key *from, const crypto_key *to,
		  const char *conn_id, const char *field_key,
		  const void *sealed, size_t len);
/**
 * Read the record of crypto_reseal() at *p: its sealed bytes and their
 * length; *p moves past it.
 */
void crypto_reseal_next(const char **p, const unsigned char **sealed,
			size_t *len);

#endif
