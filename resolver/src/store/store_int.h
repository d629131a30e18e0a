/*
 * store_int.h - what the store's own files share (store.c, store_authz.c).
 *
 * store.c owns the handle, the transactions and the audit log; the other
 * public parts of the store (authorization: store_authz.c) are built on
 * these few helpers and on the backend's table of row operations, so that
 * every change they make is, like a connection edit, one write transaction
 * with its audit record.  Nothing here is exported from the library.
 */
#ifndef SVC_STORE_INT_H
#define SVC_STORE_INT_H

#include <jansson.h>

#include "svcconn/catalog.h"
#include "svcconn/store.h"
#include "crypto/crypto.h"
#include "store/store_backend.h"

/* Name of the database file inside the store directory. */
#define STORE_DB_NAME "store.db"
/* Name of the file in the store directory that records a PostgreSQL
 * database's location instead (0600: it may hold a password). */
#define STORE_DB_LOCATION_NAME "database"
/* Name of the key file inside the store directory (the default). */
#define STORE_KEY_NAME "master.key"

struct svc_store {
	const store_backend_ops *ops; /**< the backend's operations */
	store_backend *be;            /**< the backend's open state */
	char *home;                   /**< store directory */
	char *key_file;               /**< master key file */
	char *key_new;                /**< "<key_file>.new", used by rekey */
	char *db_path;                /**< the database for messages: SQLite's
					   file, PostgreSQL's redacted
					   location */
	char *db_location;            /**< the database as the backend opens
					   it (may hold a password: wiped) */
	int db_recorded;              /**< db_location came from the store
					   directory's file "database" */
	crypto_key key;               /**< the current master key */
	svc_catalog *catalog;         /**< read once, when certificates are
					   first checked (store_certs.c) */
	struct store_mcache *mcache;  /**< the checked list of connection
					   versions (store_integrity.c) */
	crypto_macer *macer;          /**< an HMAC context keyed with the
					   row-MAC key last used, for the
					   MAC of every row of a walk */
	int held;                     /**< a read transaction is held open
					   (store_read_hold, or a fold's) */
	int held_explicit;            /**< store_read_hold holds it */
	int held_keyed;               /**< the held transaction checked the
					   store's key (a fold's begun by a
					   read that needed none has not) */
	int fold;                     /**< reads fold into one transaction
					   (store_fold_begin) */
	int fold_failed;              /**< a read of the fold failed: its
					   transaction ends with the last
					   read open in it */
	unsigned joined;              /**< reads that joined it and have
					   not ended yet */
	int wheld;                    /**< a write transaction is held open
					   (store_write_hold) */
	unsigned wjoined;             /**< transactions that joined it and
					   have not ended yet */
	int wfailed;                  /**< one that joined it failed: it
					   is rolled back at its release */
};

/** Who acts: actor, else $SVCCONN_USER, else "unknown". */
const char *store_actor(const char *actor);
/**
 * 0 when s is a name fit to store (a principal, group, pipeline...): not
 * empty, at most 512 bytes, no control character; else SVC_EINVALID
 * saying what (e.g. "group name") is wrong.
 */
int store_name_check(const char *what, const char *s);
/**
 * svc_store_init() making admin the store's Administrator, recorded as done
 * by actor (the ops layer: "root as alice" makes alice the administrator).
 */
int store_init_as(const svc_store_options *opts, const char *admin,
		  const char *actor);
/**
 * svc_store_conn_create() and svc_store_conn_import() giving the
 * Administrator role on each new connection to owner (the principal's
 * name), recorded as done by actor (its audit name).
 */
int store_conn_create_as(svc_store *st, svc_conn *c, const char *owner,
			 const char *actor);
int store_conn_import_as(svc_store *st, svc_conn **conns, size_t count,
			 const char *owner, const char *actor, unsigned flags);
/** The current time (clock.h, so SVCCONN_NOW holds), ISO 8601. */
int store_now_iso(char out[32]);
/** 0 when result is a usage record's result (Succeeded, ...); else SVC_EINVALID. */
int store_usage_result_check(const char *result);
/**
 * An audit list of count entries (an array from malloc, each string from
 * malloc), which it owns from then on, freed on failure too: records
 * read elsewhere than in a store (the client of a server).
 */
int store_audit_list_adopt(svc_audit_list **out, svc_audit_entry *entries,
			   size_t count);

/**
 * Look connection names up in project id (an id from the store), and put
 * new connections, pipeline permissions, registered pipelines and
 * permission requests there, until told otherwise; the store starts in
 * "default".
 */
int store_project_use(svc_store *st, const char *id);
/**
 * svc_store_conn_list, of every project with all (their own names), else
 * of the current one as svc_store_conn_list gives them.
 */
int store_conn_list(svc_conn ***out, size_t *count, svc_store *st, int all);
/**
 * The connections keys name (each an id, or a name matched
 * case-insensitively as the database does), as svc_store_conn_list gives
 * them: only those of the current project or shared into it (under their
 * name here), each checked as svc_store_conn_get checks one, ordered by
 * name; a key that names none is left out.  One read transaction, a few
 * statements for the keys and a few for each connection found: the other
 * connections of the store are not read.
 */
int store_conn_find_list(svc_conn ***out, size_t *count, svc_store *st,
			 const char *const *keys, size_t nkeys);
/** The id store_project_use set. */
const char *store_project_current(svc_store *st);

/** Start a write transaction (the key settled if someone rekeyed). */
int store_tx_write(svc_store *st);
/** Start a read transaction that needs no key. */
int store_tx_read(svc_store *st);
/**
 * Hold one read transaction (the store's key matching st->key) open
 * across many reads: until store_read_release, every read transaction
 * started on st joins it instead of taking the database's locks again, so
 * a walk over many connections (a role check on each) reads one snapshot
 * at the cost of one.  A write started meanwhile fails.
 */
int store_read_hold(svc_store *st);
/** End what store_read_hold started; a no-op when nothing is held. */
void store_read_release(svc_store *st);
/**
 * Fold the read transactions started on st from now on into as few as
 * the writes allow, until store_fold_end: the first read begins one that
 * every later read joins (the store's key checked in it by the first read
 * that needs the key), and it ends when a
 * write transaction begins (which then sees what it reads anew), when a
 * read that joined it fails (the next read begins another), or at
 * store_fold_end.  A server folds the reads of one request so that its
 * authentication, its project and its handler's reads cost one
 * transaction instead of one each.  store_read_hold inside a fold joins
 * its transaction.
 */
void store_fold_begin(svc_store *st);
/** End the fold: its open read transaction, if any, ends. */
void store_fold_end(svc_store *st);
/**
 * Hold one write transaction open across many store operations: until
 * store_write_release, every transaction started on st (read or write)
 * joins it, so a job start's steps (the gate's records, the lock, the
 * job's row) take the database's write lock once and commit together.
 * A joined transaction that ends with an error makes the release roll
 * everything back (there is no partial undo).  Fails while a read is
 * held, or a write already.
 */
int store_write_hold(svc_store *st);
/**
 * End what store_write_hold started: commit when rc is 0 and no joined
 * transaction failed, else roll back; returns rc (or the commit's error,
 * or that of the joined transaction that failed).
 */
int store_write_release(svc_store *st, int rc);
/** 1 while store_write_hold holds a write transaction open. */
int store_write_held(const svc_store *st);
/** End a transaction: commit when rc is 0, else roll back; returns rc. */
int store_tx_end(svc_store *st, int rc);

/**
 * Append an audit record inside the open write transaction; detail (a
 * JSON object, NULL meaning a failed allocation) is consumed.
 */
int store_audit(svc_store *st, const char *at, const char *actor,
		const char *action, const char *conn_id,
		const char *conn_name, json_t *detail);

/**
 * Inside a transaction: the connection named name_or_id (its id, or its
 * name case-insensitively) into new strings (either out may be NULL);
 * SVC_ENOTFOUND with a message naming it.
 */
int store_find_conn(char **id, char **name, svc_store *st,
		    const char *name_or_id);

/**
 * Open one sealed secret s into c (its field set, loaded); the error names
 * the connection and field when it does not authenticate.
 */
int store_open_into(svc_store *st, svc_conn *c, const store_sealed *s);

/**
 * Inside the write transaction that stored c under id: record its
 * earliest certificate expiry (store_certs.c), opening the secret fields
 * c has set but not loaded from their stored values.
 */
int store_expiry_record(svc_store *st, const svc_conn *c, const char *id,
			const char *now);

/* ---- row integrity (store_integrity.c) ---- */

/** Append v to b as 8 bytes, big-endian (the row encodings). */
int store_enc_u64(svc_buf *b, unsigned long long v);

/**
 * Check connections as conn_get read them (secrets loaded or not) against
 * their MACs and the store's list of connections, inside a transaction in
 * which st->key is the store's key; the error names the connection.
 */
int store_conn_verify(svc_store *st, svc_conn *const *conns, size_t n);
/**
 * store_conn_verify() of every connection of the store (conns, as
 * conn_list read them), their rows read in one walk; the list of versions
 * is checked against every row on the way.
 */
int store_conn_verify_all(svc_store *st, svc_conn *const *conns, size_t n);
/**
 * Every connection of the store as conn_list reads them, checked as
 * store_conn_verify_all checks them, in one walk over their rows
 * (conn_list_sealed) instead of two; inside a transaction in which st->key
 * is the store's key.
 */
int store_conn_list_verified(svc_conn ***out, size_t *count, svc_store *st);
/**
 * Before the commit of a write transaction: write the list of versions
 * if the transaction changed it (store_tx_end() calls this).
 */
int store_mcache_flush(svc_store *st);
/** After a commit (ok 1) or a rollback (ok 0). */
void store_mcache_end(svc_store *st, int ok);
/** Free the cached list (svc_store_free). */
void store_mcache_free(svc_store *st);
/**
 * Walk every connection's role inheritance and the roles assigned on it
 * (store_backend_ops.conn_roles_all) in a read transaction.
 */
int store_conn_roles_all(svc_store *st, store_conn_role_cb cb, void *ctx);
/** store_conn_verify() over every connection of the store. */
int store_rows_verify_all(svc_store *st);
/**
 * Inside the write transaction that wrote connection id: give it the next
 * version, MAC it as it is stored now, record it in the list.
 */
int store_conn_seal(svc_store *st, const char *id);
/**
 * The sealed secrets of one connection as they are written, for
 * store_conn_seal_written() (the rows of an import held in batches cannot
 * be read back before they run).
 */
typedef struct store_seals store_seals;
int store_seals_new(store_seals **out);
/** Add field key's sealed bytes (copied). */
int store_seals_add(store_seals *x, const char *key,
		    const unsigned char *data, size_t len);
/** Empty, for the next connection. */
void store_seals_reset(store_seals *x);
void store_seals_free(store_seals *x);
/**
 * Inside a write transaction, before rows are held in batches: check the
 * list of versions against every row, as store_conn_seal does once.
 */
int store_conn_seal_begin(svc_store *st);
/**
 * store_conn_seal() of connection c, written under id with the secrets x,
 * MAC'd from what was written (c's metadata and fields as conn_insert and
 * field_put wrote them) instead of from the rows read back.
 */
int store_conn_seal_written(svc_store *st, const svc_conn *c,
			    const char *id, const store_seals *x);
/** Inside the write transaction that deleted id: drop it from the list. */
int store_conn_forget(svc_store *st, const char *id);
/**
 * Inside a write transaction: drop id, whose row was removed without the
 * key, from the list; SVC_ENOTFOUND (no message) when it is not listed.
 */
int store_conn_unlist(svc_store *st, const char *id);
/**
 * Inside a rekey's transaction, after the secrets are resealed: MAC every
 * connection and the list again under nk (checked first by the caller).
 */
int store_rows_remac(svc_store *st, const crypto_key *nk);
/** 1 when the rows still await their first MAC (schema upgrade), else 0. */
int store_rows_unsealed(svc_store *st);
/**
 * Inside a write transaction: MAC every connection as it is and write the
 * list (the upgrade to schema 5, and init); *count (may be NULL) counts.
 */
int store_rows_adopt(svc_store *st, size_t *count);

#endif
