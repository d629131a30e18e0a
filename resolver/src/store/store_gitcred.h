/*
 * store_gitcred.h - what store.c and store_gitcred.c (git credentials in
 * the store) call of each other.  Nothing here is exported.
 */
#ifndef SVC_STORE_GITCRED_H
#define SVC_STORE_GITCRED_H

#include <stddef.h>

#include "svcconn/store.h"
#include "crypto/crypto.h"

/**
 * In store.c: start a read transaction in which st->key is the store's
 * key (settling it, under the write lock, when someone rekeyed).
 */
int store_tx_read_key(svc_store *st);

/**
 * In store_gitcred.c, called by svc_store_rekey() inside its write
 * transaction: open every git credential's password with the store's
 * current key and seal it again with nk (key id nk->id).  *count (may be
 * NULL) counts them.  Nothing is written when one fails to open.
 */
int store_gitcred_reseal(size_t *count, svc_store *st, const crypto_key *nk);

#endif
