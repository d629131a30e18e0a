/*
 * store.h - the encrypted connection store.
 *
 * The store keeps connections, their encrypted secrets and the audit log.
 * Callers see only this interface; the backend behind it is SQLite under
 * $SVCCONN_HOME (the embedded default), and a PostgreSQL backend for fleets
 * of agents slots in behind the same calls.
 *
 * Secret fields are sealed with AES-256-GCM under the 32-byte master key,
 * with the connection id and field key as associated data.  Every change is
 * one transaction and writes one audit record (field keys, never values).
 * Changes are made through the ops layer (ops.h), which checks the acting
 * principal's role first; this header opens, reads and closes.
 */
#ifndef SVCCONN_STORE_H
#define SVCCONN_STORE_H

#include <stddef.h>
#include "conn.h"
#include "errors.h"

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default)

typedef struct svc_store svc_store;

#define SVC_STORE_OPTIONS_VERSION 2

/**
 * Where the store lives. NULL members take their defaults.  Version 1
 * (without database) is still accepted.
 */
typedef struct svc_store_options {
	unsigned version;      /**< SVC_STORE_OPTIONS_VERSION */
	const char *home;      /**< store directory; default $SVCCONN_HOME or
				    ~/.local/share/svcconn */
	const char *key_file;  /**< master key; default $SVCCONN_KEY_FILE or
				    <home>/master.key */
	const char *database;  /**< a PostgreSQL database (a postgresql://
				    URL or libpq keyword string); default
				    $SVCCONN_DATABASE, else the one the
				    store directory's file "database"
				    records, else SQLite's <home>/store.db.
				    Secret (it may hold a password). */
} svc_store_options;

/**
 * Resolve the home directory and key file from opts and the environment
 * into newly allocated strings.
 */
/** The directory of an open store (private, 0700); lives as long as st. */
const char *svc_store_home(const svc_store *st);
int svc_store_paths(char **home, char **key_file,
		    const svc_store_options *opts);

/**
 * The database a command-line argument names, for svc_store_options's
 * database: "@FILE" reads the location from FILE (bounded, one trailing
 * newline removed); a location written out in the argument must carry no
 * password, which argv shows to every user of the machine (SVC_EINVALID:
 * ~/.pgpass or $PGPASSFILE hold it).  Release *out with
 * svc_secret_free(*out, *len).
 */
int svc_store_database_arg(char **out, size_t *len, const char *arg);

/** Open an existing store; SVC_ENOTFOUND when there is none. */
int svc_store_open(svc_store **out, const svc_store_options *opts);
/** Close; wipes the key. NULL is accepted. */
void svc_store_free(svc_store *st);

/** Flags for svc_store_conn_get. */
#define SVC_GET_SECRETS 0x1u /**< decrypt secret fields */
/**
 * Skip the integrity check (never with SVC_GET_SECRETS): only for naming
 * a connection that is to be deleted, so that one refused as tampered
 * can still be removed.  Its values must not be used.
 */
#define SVC_GET_UNVERIFIED 0x2u

/**
 * Load a connection by name (case-insensitive) or id.  The stored rows are
 * checked against their MAC under the master key first (docs/security.md):
 * SVC_ECRYPTO, naming the connection, when the store was changed without
 * the key.
 */
int svc_store_conn_get(svc_conn **out, svc_store *st, const char *name_or_id,
		       unsigned flags);

/** The connections of the project names are looked up in (ops.h:
 * svc_principal_set_project; "default" otherwise) — its own, and those
 * shared into it under their name there — ordered by name, without
 * secret values; checked as svc_store_conn_get() checks one. */
int svc_store_conn_list(svc_conn ***out, size_t *count, svc_store *st);
/** Free a list from svc_store_conn_list. */
void svc_store_conn_list_free(svc_conn **list, size_t count);

/** Flags for svc_ops_conn_import. */
#define SVC_IMPORT_REPLACE 0x1u /**< overwrite connections of the same name */

/** One audit record. */
typedef struct svc_audit_entry {
	long long seq;        /**< increasing sequence number */
	const char *at;       /**< UTC time, ISO 8601 */
	const char *actor;    /**< who acted */
	const char *action;   /**< create, edit, rename, delete, import, rekey */
	const char *conn_id;  /**< connection id, or "" */
	const char *conn_name;/**< connection name at the time, or "" */
	const char *detail;   /**< JSON object: what changed (keys only) */
} svc_audit_entry;

typedef struct svc_audit_list svc_audit_list;
int svc_store_audit(svc_audit_list **out, svc_store *st, size_t limit);
size_t svc_audit_list_count(const svc_audit_list *l);
const svc_audit_entry *svc_audit_list_at(const svc_audit_list *l, size_t i);
void svc_audit_list_free(svc_audit_list *l);

/**
 * The acting identity: $SVCCONN_USER when set and not empty, else the login
 * name of the effective user.  Newly allocated.
 */
int svc_identity_current(char **out);

/**
 * Whether the store's database answers now (one empty read transaction):
 * 0, or SVC_EUNAVAIL when it cannot be reached (a PostgreSQL server down
 * or restarting; the next call connects again).  For health checks.
 */
int svc_store_ping(svc_store *st);

/**
 * The database, for diagnostics and tests: SQLite's file, or a
 * PostgreSQL database's redacted location (postgresql://HOST:PORT/DB).
 */
const char *svc_store_db_path(const svc_store *st);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
