/*
 * store_backend.h - the narrow interface between store.c and a database.
 *
 * store.c owns everything that does not depend on the database: paths, the
 * master key, sealing and opening secrets, what an audit record says, and
 * the order of operations inside a transaction.  A backend only moves rows:
 * it never sees a plaintext secret (secret fields reach it sealed) and it
 * never decides policy.  SQLite (store_sqlite.c) is the embedded default; a
 * PostgreSQL backend implements the same table of operations.
 *
 * Conventions: every operation returns 0 or a negative SVC_E* code with the
 * message set by error_set(); SVC_ENOTFOUND for a missing row and
 * SVC_EEXISTS for a unique-key violation are returned without a message the
 * caller has to keep (store.c words its own).  Write operations are only
 * called between begin(be, 1) and commit/rollback; reads may be called
 * inside a transaction (for a consistent snapshot) or outside one.
 */
#ifndef SVC_STORE_BACKEND_H
#define SVC_STORE_BACKEND_H

#include <stddef.h>

#include "svcconn/conn.h"
#include "svcconn/store.h"

/** A backend's open state (a database handle and what goes with it). */
typedef struct store_backend store_backend;

/** The connections table's columns, for inserts and updates. */
typedef struct store_conn_row {
	const char *id;           /**< connection id (UUID), never NULL */
	const char *name;         /**< unique name (case-insensitive) */
	const char *type;         /**< type id */
	const char *scheme;       /**< scheme id, or NULL */
	const char *url;          /**< URL, or NULL */
	const char *description;  /**< description, or NULL */
	const char *created_by;   /**< creator */
	const char *created_at;   /**< creation time, ISO 8601 */
	const char *updated_by;   /**< last updater */
	const char *updated_at;   /**< last update time, ISO 8601 */
	int all_pipelines;        /**< 1 when open to all pipelines */
} store_conn_row;

/** One field row to write. */
typedef struct store_field_row {
	const char *key;              /**< field key */
	svc_field_kind kind;          /**< auth or data */
	int secret;                   /**< 1: sealed holds it; 0: value */
	const char *value;            /**< non-secret value, or NULL */
	size_t value_len;             /**< bytes in value */
	const unsigned char *sealed;  /**< secret: the sealed bytes; NULL
					   keeps the stored ciphertext and
					   only updates kind */
	size_t sealed_len;            /**< bytes in sealed */
	const char *key_id;           /**< id of the key that sealed it */
} store_field_row;

/** One sealed secret as stored (read side, and reseal on rekey). */
typedef struct store_sealed {
	const char *conn_id;          /**< connection the secret belongs to */
	const char *key;              /**< field key, exactly as stored */
	svc_field_kind kind;          /**< auth or data */
	const unsigned char *data;    /**< the sealed bytes */
	size_t len;                   /**< bytes in data */
	const char *key_id;           /**< id of the key that sealed it */
} store_sealed;

/** conn_find: match the connection id exactly. */
#define STORE_FIND_ID 0x1u
/** conn_find: match the name case-insensitively. */
#define STORE_FIND_NAME 0x2u

/** Called once per sealed secret; a non-zero return stops the walk. */
typedef int (*store_sealed_cb)(void *ctx, const store_sealed *s);
/** Called once per audit record, oldest first; non-zero stops. */
typedef int (*store_audit_cb)(void *ctx, const svc_audit_entry *e);

/** The operations of a backend. */
typedef struct store_backend_ops {
	const char *name;  /**< "sqlite", "postgresql" */

	/**
	 * Open the database at location.  With create, the database must
	 * not exist (SVC_EEXISTS) and is created private (0600) from the
	 * start; without, a missing one is SVC_ENOTFOUND.  Pending schema
	 * migrations are applied either way.
	 */
	int (*open)(store_backend **out, const char *location, int create);
	/** Close; NULL is accepted. */
	void (*close)(store_backend *be);
	/** Remove a database created by a failed init (not open). */
	int (*remove)(const char *location);

	/** Start a transaction; write takes the write lock at once. */
	int (*begin)(store_backend *be, int write);
	/** Commit the open transaction. */
	int (*commit)(store_backend *be);
	/** Roll back the open transaction, if any. */
	void (*rollback)(store_backend *be);

	/** A value of the meta table into a new string; SVC_ENOTFOUND. */
	int (*meta_get)(char **out, store_backend *be, const char *key);
	/** Insert or replace a value of the meta table. */
	int (*meta_set)(store_backend *be, const char *key, const char *value);

	/**
	 * Look a connection up by id and/or name (STORE_FIND_*), id first;
	 * its id and current name into new strings (either out may be NULL).
	 */
	int (*conn_find)(char **id, char **name, store_backend *be,
			 const char *name_or_id, unsigned by);
	/** Insert a connection row; SVC_EEXISTS when id or name is taken. */
	int (*conn_insert)(store_backend *be, const store_conn_row *row);
	/** Rewrite the row with row->id (all columns but created_*). */
	int (*conn_update)(store_backend *be, const store_conn_row *row);
	/**
	 * The connection with this id: metadata, non-secret field values,
	 * and secret fields set but not loaded.
	 */
	int (*conn_get)(svc_conn **out, store_backend *be, const char *id);
	/** Every connection as conn_get gives it, ordered by name. */
	int (*conn_list)(svc_conn ***out, size_t *count, store_backend *be);
	/** Delete a connection and its fields. */
	int (*conn_delete)(store_backend *be, const char *id);
	/** Change the name; SVC_EEXISTS when taken by another. */
	int (*conn_rename)(store_backend *be, const char *id, const char *name,
			   const char *updated_by, const char *updated_at);

	/** Insert or replace one field of a connection. */
	int (*field_put)(store_backend *be, const char *conn_id,
			 const store_field_row *f);
	/** Delete one field (key case-insensitive). */
	int (*field_delete)(store_backend *be, const char *conn_id,
			    const char *key);
	/** Walk the sealed secrets of one connection, or of all (NULL). */
	int (*secrets_get)(store_backend *be, const char *conn_id,
			   store_sealed_cb cb, void *ctx);
	/** Replace the sealed bytes and key id of one existing secret. */
	int (*secret_put)(store_backend *be, const store_sealed *s);

	/** Append an audit record (seq is assigned; e->seq is ignored). */
	int (*audit_append)(store_backend *be, const svc_audit_entry *e);
	/** The last limit records (all when 0), oldest first. */
	int (*audit_list)(store_backend *be, size_t limit, store_audit_cb cb,
			  void *ctx);
} store_backend_ops;

/** The SQLite backend (store_sqlite.c). */
extern const store_backend_ops store_sqlite_ops;

#endif
