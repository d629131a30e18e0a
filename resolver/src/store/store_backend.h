/*
 * store_backend.h - the store's rows: the operations store.c runs on.
 *
 * store.c owns everything that does not depend on the database: paths, the
 * master key, sealing and opening secrets, what an audit record says, and
 * the order of operations inside a transaction.  These operations only move
 * rows: they never see a plaintext secret (secret fields reach them sealed)
 * and never decide policy.  One implementation, store_rows.c, writes each
 * of them once in SQL over a driver; the engine boundary is sqldb.h (the
 * SQLite driver sqlite.c, the PostgreSQL one postgresql.c), not this table.
 *
 * Conventions: every operation returns 0 or a negative SVC_E* code with the
 * message set by error_set(); SVC_ENOTFOUND for a missing row and
 * SVC_EEXISTS for a unique-key violation are returned without a message the
 * caller has to keep (store.c words its own).  Write operations are only
 * called between begin(be, 1) and commit/rollback; reads may be called
 * inside a transaction (for a consistent snapshot) or outside one.
 *
 * The authorization tables (store_authz.c decides, these move rows) hand
 * out lists as arrays of the public structs of authz.h, allocated here and
 * released with their public _free functions.  "conn_id NULL" means the
 * store itself where roles are concerned.  Names of pipelines compare
 * case-insensitively (ASCII); principals, groups and lock holders exactly.
 */
#ifndef SVC_STORE_BACKEND_H
#define SVC_STORE_BACKEND_H

#include <stddef.h>

#include "svcconn/authz.h"
#include "svcconn/certs.h"
#include "svcconn/conn.h"
#include "svcconn/projects.h"
#include "svcconn/store.h"
#include "util/buf.h"

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
/**
 * Called once per connection version (store_integrity.c): its id, its
 * name (NULL where not known) and version; non-zero stops.
 */
typedef int (*store_version_cb)(void *ctx, const char *id, const char *name,
				long long version);
/** Called once per audit record, oldest first; non-zero stops. */
typedef int (*store_audit_cb)(void *ctx, const svc_audit_entry *e);

/**
 * One row of conn_seals_all: a connection's version and MAC, with one of
 * its sealed secrets (key NULL when it holds none).  A connection with
 * several secrets gives one row for each, one after the other.
 */
typedef struct store_seal_row {
	const char *conn_id;          /**< the connection */
	long long version;            /**< its version, 0 without a MAC */
	const unsigned char *mac;     /**< its MAC, NULL without one */
	size_t mac_len;               /**< bytes in mac */
	const char *key;              /**< a secret field's key, or NULL */
	const unsigned char *data;    /**< that secret's sealed bytes */
	size_t len;                   /**< bytes in data */
} store_seal_row;
/** Called once per row of conn_seals_all; non-zero stops the walk. */
typedef int (*store_seal_cb)(void *ctx, const store_seal_row *r);
/**
 * Called once per row of conn_list_sealed with the connection the row
 * belongs to (whole once the rows of the next one start); non-zero stops
 * the walk.
 */
typedef int (*store_conn_seal_cb)(void *ctx, const svc_conn *c,
				  const store_seal_row *r);

/**
 * One row of conn_roles_all: a connection's role inheritance, with one
 * role assigned on it (principal NULL when it has none).  A connection
 * with several assignments gives one row for each, one after the other.
 */
typedef struct store_conn_role_row {
	const char *conn_id;          /**< the connection */
	int inherit;                  /**< 1 when it inherits store roles */
	const char *principal;        /**< a user or group, or NULL */
	svc_role role;                /**< the role assigned to it */
} store_conn_role_row;
/** Called once per row of conn_roles_all; non-zero stops the walk. */
typedef int (*store_conn_role_cb)(void *ctx, const store_conn_role_row *r);

/**
 * One git credential row (store_gitcred.c seals the password and decides
 * what matches; the backend moves rows).  A credential without a path has
 * path "" (a stored path is never empty), so the unique key (protocol,
 * host, path, username) holds.
 */
typedef struct store_gitcred_row {
	long long id;                 /**< row id, increasing with each
					   store (newest is highest) */
	const char *protocol;         /**< protocol, exactly as given */
	const char *host;             /**< host with port, or "" */
	const char *path;             /**< path, or "" for none */
	const char *username;         /**< user name, may be "" */
	const unsigned char *sealed;  /**< the sealed password */
	size_t sealed_len;            /**< bytes in sealed */
	const char *key_id;           /**< id of the key that sealed it */
	const char *created_at;       /**< first stored, ISO 8601 */
	const char *updated_at;       /**< last stored, ISO 8601 */
} store_gitcred_row;

/**
 * Which git credential rows to walk: each non-NULL member must equal the
 * row's column byte for byte (path "" selects the rows without a path);
 * NULL members select any value.
 */
typedef struct store_gitcred_pattern {
	const char *protocol;  /**< protocol, or NULL */
	const char *host;      /**< host, or NULL */
	const char *path;      /**< path, or NULL */
	const char *username;  /**< user name, or NULL */
} store_gitcred_pattern;

/** Called once per git credential row, newest first; non-zero stops. */
typedef int (*store_gitcred_cb)(void *ctx, const store_gitcred_row *r);

/**
 * One signing key of the OIDC issuer (oidc/oidc.c seals and decides; the
 * backend moves rows).  Times are seconds since the epoch; a current key
 * has retired_at and drop_at 0.
 */
typedef struct store_oidc_key_row {
	const char *kid;              /**< key id (RFC 7638 thumbprint) */
	const char *alg;              /**< "RS256", "ES256" */
	const unsigned char *sealed;  /**< the sealed private key (DER) */
	size_t sealed_len;            /**< bytes in sealed */
	const char *key_id;           /**< id of the master key that sealed it */
	long long created_at;         /**< made at */
	long long retired_at;         /**< retired at; 0: current */
	long long signed_until;       /**< latest exp of a token it signed */
	long long drop_at;            /**< unpublished from; 0: current */
} store_oidc_key_row;

/** Called once per OIDC signing key, oldest first; non-zero stops. */
typedef int (*store_oidc_key_cb)(void *ctx, const store_oidc_key_row *r);

/**
 * One personal access token row (tokens/tokens.c decides; the backend
 * moves rows).  Only the SHA-256 hash of the token is stored.  Times are
 * seconds since the epoch; last_used and revoked are 0 when never.
 */
typedef struct store_token_row {
	const char *id;              /**< the token's lookup id (hex) */
	const unsigned char *hash;   /**< SHA-256 of the whole token */
	size_t hash_len;             /**< bytes in hash (32) */
	const char *owner;           /**< the principal it acts as */
	const char *name;            /**< its owner's name for it */
	const char *scopes;          /**< space-separated scopes */
	long long created;           /**< created at */
	long long expires;           /**< not valid from then on */
	long long last_used;         /**< last authenticated with, or 0 */
	long long revoked;           /**< revoked at, or 0 */
} store_token_row;

/** Called once per token row; non-zero stops. */
typedef int (*store_token_cb)(void *ctx, const store_token_row *r);

/**
 * One user's password row (users/passwords.c decides): the Argon2id hash
 * as a PHC string, never the password.  changed: seconds since the epoch.
 */
typedef struct store_password_row {
	const char *name;     /**< the user's name */
	const char *phc;      /**< $argon2id$v=19$m=...,t=...,p=...$salt$hash */
	long long changed;    /**< set at */
} store_password_row;

/** Called once per password row; non-zero stops. */
typedef int (*store_password_cb)(void *ctx, const store_password_row *r);

/**
 * One console session row (console/console_sessions.c decides): the
 * SHA-256 of the cookie's id in hex, never the id.  Times in seconds
 * since the epoch.
 */
typedef struct store_session_row {
	const char *id_hash;  /**< SHA-256 of the id, 64 hex digits */
	const char *principal; /**< who signed in */
	const char *scopes;   /**< the token's scopes, NULL: all */
	const char *token_id; /**< the token signed in with, NULL: a password */
	long long created;    /**< signed in then */
	long long last_seen;  /**< its last request (to a minute) */
	long long expires;    /**< its absolute end */
} store_session_row;

/** Called once per session row; non-zero stops. */
typedef int (*store_session_cb)(void *ctx, const store_session_row *r);

/**
 * One registered pipeline (pipeline/pipedef.c decides; the backend moves
 * rows): a name bound to a YAML file of a repository read through a
 * stored connection.  created is seconds since the epoch.
 */
typedef struct store_pipedef_row {
	const char *name;       /**< the pipeline's name (unique, no case) */
	const char *conn_id;    /**< the repository's connection */
	const char *conn_name;  /**< its name (read only: joined) */
	const char *url;        /**< the repository's clone URL */
	const char *path;       /**< the YAML file in it */
	const char *branch;     /**< its default branch, or NULL (HEAD) */
	const char *created_by; /**< who registered it */
	long long created;      /**< registered at */
} store_pipedef_row;

/** Called once per registered pipeline, by name; non-zero stops. */
typedef int (*store_pipedef_cb)(void *ctx, const store_pipedef_row *r);
/** One agent pool row (agents/agents.c decides). */
typedef struct store_pool_row {
	const char *name;        /**< unique, any case */
	int trusted;             /**< 1: its agents may supply pipeline YAML */
	const char *created_by;  /**< audit name of who created it */
	long long created;       /**< seconds since the epoch */
} store_pool_row;

/** Called once per pool row; non-zero stops. */
typedef int (*store_pool_cb)(void *ctx, const store_pool_row *r);

/** One registered agent row; its credential is a token row (token_id). */
typedef struct store_agent_row {
	const char *name;        /**< unique, any case */
	const char *pool;        /**< its pool's name */
	const char *token_id;    /**< its credential's token id */
	const char *created_by;  /**< audit name of who issued the
				      registration token */
	long long created;       /**< registered at */
	long long revoked;       /**< revoked at, or 0 */
} store_agent_row;

/** Called once per agent row; non-zero stops. */
typedef int (*store_agent_cb)(void *ctx, const store_agent_row *r);

/** One job an agent started through the server (agents/agent_jobs.c). */
typedef struct store_job_row {
	const char *id;          /**< the job's id (a UUID) */
	const char *agent;       /**< the agent that started it */
	const char *pipeline;    /**< pipeline name */
	const char *run_id;      /**< run id */
	const char *stage;       /**< stage, or NULL */
	const char *job;         /**< job name */
	const char *holder;      /**< its lock holder name */
	int locks;               /**< 1: it holds exclusive locks */
	const char *conns;       /**< granted connection ids, a JSON array */
	const char *token_id;    /**< its job token's id */
	const char *source;      /**< where its pipeline's YAML came from */
	const char *state;       /**< running, completed, expired */
	const char *result;      /**< its result once ended, or NULL */
	long long lease_expires; /**< it expires then unless renewed */
	long long started;       /**< seconds since the epoch */
	long long ended;         /**< or 0 */
} store_job_row;

/** Called once per job row; non-zero stops. */
typedef int (*store_job_cb)(void *ctx, const store_job_row *r);

/** The operations of a backend. */
typedef struct store_backend_ops {
	const char *name;  /**< "rows" (store_rows.c) */

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

	/**
	 * Inside a write transaction, hold the new rows of connections
	 * being created (conn_insert, field_put of a value, role_put,
	 * expiry_put, conn_mac_put, manifest_put, audit_append) and write
	 * them many to a statement (sqldb.h's batches), parents first; reads
	 * meanwhile see only rows written, so the caller writes nothing it
	 * reads back before batch_end.  A unique key taken shows at a batch's
	 * run, as SVC_EEXISTS.
	 */
	int (*batch_begin)(store_backend *be);
	/** Write the rows held (keep) or drop them, and stop holding. */
	int (*batch_end)(store_backend *be, int keep);
	/**
	 * conn_find of many keys at once, by is STORE_FIND_NAME or
	 * STORE_FIND_ID: ids[k] the id of the connection keys[k] finds (a
	 * new string), or NULL; a few statements for all of them.
	 */
	int (*conn_find_many)(store_backend *be, char **ids,
			      const char *const *keys, size_t n, unsigned by);

	/** Start a transaction; write takes the write lock at once. */
	int (*begin)(store_backend *be, int write);
	/** Commit the open transaction. */
	int (*commit)(store_backend *be);
	/** Roll back the open transaction, if any. */
	void (*rollback)(store_backend *be);
	/**
	 * A number that changes whenever another connection (another
	 * process) commits a change to the database.
	 */
	int (*data_version)(long long *out, store_backend *be);

	/** A value of the meta table into a new string; SVC_ENOTFOUND. */
	int (*meta_get)(char **out, store_backend *be, const char *key);
	/** Insert or replace a value of the meta table. */
	int (*meta_set)(store_backend *be, const char *key, const char *value);
	/** Delete a value of the meta table (none is not an error). */
	int (*meta_delete)(store_backend *be, const char *key);

	/* ---- projects (docs/projects.md) ---- */

	/**
	 * The project (its id) names are looked up in and new connections,
	 * pipeline permissions, registered pipelines and permission
	 * requests go to; "default" when the store is opened.
	 */
	int (*project_use)(store_backend *be, const char *id);
	/** The id project_use set. */
	const char *(*project_current)(store_backend *be);
	/** Insert a project; SVC_EEXISTS when its name is taken. */
	int (*project_insert)(store_backend *be, const svc_project *r);
	/** The project with this id or name (NULL: every one), by name. */
	int (*project_list)(svc_project **out, size_t *count,
			    store_backend *be, const char *name_or_id);
	/** Delete a project with its roles, pipelines and shares. */
	int (*project_delete)(store_backend *be, const char *id);
	/** How many connections project id owns. */
	int (*project_conn_count)(long long *n, store_backend *be,
				  const char *id);
	/** Share conn_id into project_id as name (replacing a share). */
	int (*share_put)(store_backend *be, const char *conn_id,
			 const char *project_id, const char *name,
			 const char *description, const char *by,
			 const char *at);
	/** Take a share back; SVC_ENOTFOUND when there is none. */
	int (*share_delete)(store_backend *be, const char *conn_id,
			    const char *project_id);
	/** The projects conn_id is shared into, by project name. */
	int (*share_list)(svc_share **out, size_t *count, store_backend *be,
			  const char *conn_id);

	/**
	 * Look a connection up by id and/or name (STORE_FIND_*), id first;
	 * a name in the current project (project_use): owned by it or
	 * shared into it under that name;
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
	/**
	 * The version and MAC of connection id (store_integrity.c); the MAC
	 * is appended to mac, nothing when it has none.  SVC_ENOTFOUND.
	 */
	int (*conn_mac_get)(long long *version, svc_buf *mac,
			    store_backend *be, const char *id);
	/**
	 * Walk every connection's id, name and version (0 without a MAC);
	 * a non-zero return of cb stops the walk with it.
	 */
	int (*conn_mac_list)(store_backend *be, store_version_cb cb,
			     void *ctx);
	/**
	 * Every connection's version, MAC and sealed secrets in one walk
	 * (store_integrity.c checks a whole list with it), the rows of one
	 * connection together.
	 */
	int (*conn_seals_all)(store_backend *be, store_seal_cb cb, void *ctx);
	/**
	 * conn_list and conn_seals_all in one walk: every connection as
	 * conn_list gives it, and for each row read cb with its connection
	 * and that connection's version, MAC and one sealed secret (or
	 * none) as conn_seals_all gives them, the rows of one connection
	 * together.  A list of every connection is read once, not twice.
	 */
	int (*conn_list_sealed)(svc_conn ***out, size_t *count,
				store_backend *be, store_conn_seal_cb cb,
				void *ctx);
	/**
	 * The list of connection versions (store_integrity.c), by id:
	 * walk it (cb as in conn_mac_list, name NULL), set or delete one
	 * entry, or empty it.
	 */
	int (*manifest_list)(store_backend *be, store_version_cb cb,
			     void *ctx);
	int (*manifest_put)(store_backend *be, const char *id,
			    long long version);
	int (*manifest_delete)(store_backend *be, const char *id);
	int (*manifest_clear)(store_backend *be);
	/** Set the version and MAC of connection id; SVC_ENOTFOUND. */
	int (*conn_mac_put)(store_backend *be, const char *id,
			    long long version, const unsigned char *mac,
			    size_t len);

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
	/**
	 * The records f selects, oldest first (f's times already in the
	 * records' form, YYYY-MM-DDTHH:MM:SSZ).
	 */
	int (*audit_list)(store_backend *be, const svc_audit_filter *f,
			  store_audit_cb cb, void *ctx);

	/* ---- authorization: roles and groups ---- */

	/*
	 * A role's scope: a connection (conn_id, project_id NULL), a
	 * project (conn_id NULL, project_id) or the store (both NULL).
	 */
	/** Insert or replace the role of principal in a scope. */
	int (*role_put)(store_backend *be, const char *conn_id,
			const char *project_id, const char *principal,
			svc_role role, const char *by, const char *at);
	/** The role of principal in a scope; SVC_ENOTFOUND. */
	int (*role_get)(svc_role *out, store_backend *be, const char *conn_id,
			const char *project_id, const char *principal);
	/** Remove one assignment; SVC_ENOTFOUND when there is none. */
	int (*role_delete)(store_backend *be, const char *conn_id,
			   const char *project_id, const char *principal);
	/** Remove every assignment of principal; *n (may be NULL) counts. */
	int (*role_delete_principal)(size_t *n, store_backend *be,
				     const char *principal);
	/** Assignments in a scope by principal, is_group set. */
	int (*role_list)(svc_role_entry **out, size_t *count,
			 store_backend *be, const char *conn_id,
			 const char *project_id);
	/** Whether connection conn_id inherits store roles. */
	int (*inherit_get)(int *on, store_backend *be, const char *conn_id);
	int (*inherit_set)(store_backend *be, const char *conn_id, int on);
	/**
	 * Every connection's inheritance and the roles assigned on it in
	 * one walk (authz/roles.c decides a whole list with it), the rows of
	 * one connection together.
	 */
	int (*conn_roles_all)(store_backend *be, store_conn_role_cb cb,
			      void *ctx);
	/** Add a group; SVC_EEXISTS when taken. */
	int (*group_insert)(store_backend *be, const char *name, const char *by,
			    const char *at);
	/** 0 when name is a group, else SVC_ENOTFOUND. */
	int (*group_find)(store_backend *be, const char *name);
	/** Delete a group and its memberships (*members, may be NULL). */
	int (*group_delete)(size_t *members, store_backend *be,
			    const char *name);
	/** Add member to group; SVC_EEXISTS when it is one already. */
	int (*member_insert)(store_backend *be, const char *group,
			     const char *member, const char *by,
			     const char *at);
	/** Remove member from group; SVC_ENOTFOUND when it is not one. */
	int (*member_delete)(store_backend *be, const char *group,
			     const char *member);
	/** Every group (group NULL) or group's members, sorted. */
	int (*group_list)(char ***out, size_t *count, store_backend *be,
			  const char *group);
	/** The groups member belongs to, sorted. */
	int (*groups_of)(char ***out, size_t *count, store_backend *be,
			 const char *member);

	/* ---- pipeline permissions and requests ---- */

	/** Set the all_pipelines flag (and updated_*) of a connection. */
	int (*conn_set_all_pipelines)(store_backend *be, const char *conn_id,
				      int all, const char *by, const char *at);
	/** Add pipeline to the list; SVC_EEXISTS when listed already. */
	int (*pipeline_insert)(store_backend *be, const char *conn_id,
			       const char *pipeline, const char *by,
			       const char *at);
	/** Remove pipeline from the list; SVC_ENOTFOUND when not listed. */
	int (*pipeline_delete)(store_backend *be, const char *conn_id,
			       const char *pipeline);
	/** 0 when pipeline is listed, else SVC_ENOTFOUND. */
	int (*pipeline_find)(store_backend *be, const char *conn_id,
			     const char *pipeline);
	/** The listed pipelines, sorted. */
	int (*pipeline_list)(char ***out, size_t *count, store_backend *be,
			     const char *conn_id);
	/** Insert a request (conn_name is not stored: it is joined). */
	int (*request_insert)(store_backend *be, const svc_perm_request *r);
	/** The id of the pending request of (conn_id, pipeline). */
	int (*request_find_pending)(char **id, store_backend *be,
				    const char *conn_id, const char *pipeline);
	/** One request by id; SVC_ENOTFOUND. */
	int (*request_get)(svc_perm_request **out, store_backend *be,
			   const char *id);
	/** Requests (pending_only: just the pending ones), oldest first. */
	int (*request_list)(svc_perm_request **out, size_t *count,
			    store_backend *be, int pending_only);
	/** Set status, decided_by and the time of the decision. */
	int (*request_decide)(store_backend *be, const char *id,
			      const char *status, const char *by,
			      const char *at);

	/* ---- checks, their runs and approvals ---- */

	/** Insert a check (c->seq is assigned; ignored here). */
	int (*check_insert)(store_backend *be, const svc_check *c);
	/** Delete a check with its runs and their approvals. */
	int (*check_delete)(store_backend *be, const char *id);
	int (*check_set_enabled)(store_backend *be, const char *id,
				 int enabled);
	/** One check; SVC_ENOTFOUND. */
	int (*check_get)(svc_check **out, store_backend *be, const char *id);
	/** Checks of conn_id (NULL: all) in creation order. */
	int (*check_list)(svc_check **out, size_t *count, store_backend *be,
			  const char *conn_id);
	/**
	 * Insert a check run unless one exists for (check_id, pipeline,
	 * run_id, stage); *inserted (may be NULL) says which.  conn_id and
	 * kind are not stored (joined from the check); stage is not NULL.
	 */
	int (*check_run_insert)(int *inserted, store_backend *be,
				const svc_check_run *r);
	/** The run of (check_id, pipeline, run_id, stage); SVC_ENOTFOUND. */
	int (*check_run_find)(svc_check_run **out, store_backend *be,
			      const char *check_id, const char *pipeline,
			      const char *run_id, const char *stage);
	/** One check run by id; SVC_ENOTFOUND. */
	int (*check_run_get)(svc_check_run **out, store_backend *be,
			     const char *id);
	/**
	 * Compare-and-set: when the run's version is still version, set
	 * status, state and message (NULL keeps each), updated_at, and bump
	 * the version.  SVC_EPENDING when the version moved, SVC_ENOTFOUND
	 * when there is no such run.
	 */
	int (*check_run_cas)(store_backend *be, const char *id,
			     long long version, const char *status,
			     const char *state, const char *message,
			     const char *updated_at);
	/** Check runs (pending ones, of a kind), oldest first. */
	int (*check_run_list)(svc_check_run **out, size_t *count,
			      store_backend *be, int pending_only,
			      const char *kind);
	/** Append a decision (a->seq is assigned). */
	int (*approval_insert)(store_backend *be, const svc_approval *a);
	/** The decisions on a check run, in order. */
	int (*approval_list)(svc_approval **out, size_t *count,
			     store_backend *be, const char *check_run_id);

	/* ---- exclusive locks (lease_expires: seconds since the epoch) ---- */

	/** Drop the holder of conn_id when its lease ended at or before now. */
	int (*lock_expire)(store_backend *be, const char *conn_id,
			   long long now);
	/** The holder of conn_id; SVC_ENOTFOUND when free. */
	int (*lock_holder_get)(char **holder, store_backend *be,
			       const char *conn_id);
	/** Make holder the holder of conn_id (replacing any). */
	int (*lock_holder_put)(store_backend *be, const char *conn_id,
			       const char *holder, long long lease_expires,
			       const char *acquired_at);
	/**
	 * Set the lease of holder's locks (of conn_id only, unless NULL);
	 * SVC_ENOTFOUND when it holds none.
	 */
	int (*lock_renew)(store_backend *be, const char *conn_id,
			  const char *holder, long long lease_expires);
	/** Drop every lock and queue entry of holder. */
	int (*lock_release)(store_backend *be, const char *holder,
			    int keep_queue);
	/** The status of holder's queue entry for conn_id; SVC_ENOTFOUND. */
	int (*lock_queue_status)(char **status, store_backend *be,
				 const char *conn_id, const char *holder);
	/** Queue holder for conn_id as waiting, unless it is queued. */
	int (*lock_queue_add)(store_backend *be, const char *conn_id,
			      const char *holder, const char *queued_at);
	/** The oldest (or newest) waiting entry's holder; SVC_ENOTFOUND. */
	int (*lock_queue_next)(char **holder, store_backend *be,
			       const char *conn_id, int newest);
	/**
	 * Cancel the waiting entries of conn_id queued before holder's (all
	 * others when holder is not queued).
	 */
	int (*lock_queue_cancel_older)(store_backend *be, const char *conn_id,
				       const char *holder);
	/** Set the status of holder's entry. */
	int (*lock_queue_set)(store_backend *be, const char *conn_id,
			      const char *holder, const char *status);
	/** Remove holder's entry for conn_id, if any. */
	int (*lock_queue_remove)(store_backend *be, const char *conn_id,
				 const char *holder);

	/* ---- usage history ---- */

	/** Append a usage record (u->id is assigned). */
	int (*usage_insert)(store_backend *be, const svc_usage *u);
	/**
	 * 1 in *same when the newest record of u's connection (an id),
	 * pipeline, run, stage and job (NULL matches NULL) has u's decision
	 * and message; 0 when it differs or there is none.
	 */
	int (*usage_repeats)(int *same, store_backend *be, const svc_usage *u);
	/**
	 * Set result and finished_at on the granted records of (pipeline,
	 * run_id, stage, job) without a result (NULL stage or job match
	 * NULL); *n (may be NULL) counts them.
	 */
	int (*usage_finish)(size_t *n, store_backend *be, const char *pipeline,
			    const char *run_id, const char *stage,
			    const char *job, const char *result,
			    const char *at);
	/** Records of conn_id (NULL: all), newest first; limit 0: all. */
	int (*usage_list)(svc_usage **out, size_t *count, store_backend *be,
			  const char *conn_id, size_t limit);

	/**
	 * Delete the authorization rows bound to a connection: its roles,
	 * pipeline list, requests, checks with their runs and approvals,
	 * lock and queue.  Usage records stay.
	 */
	int (*conn_authz_delete)(store_backend *be, const char *conn_id);

	/* ---- git credentials (store_gitcred.c) ---- */

	/**
	 * Walk the rows selected by want (newest first); a callback's
	 * positive return stops the walk with 0, a negative one with it.
	 */
	int (*gitcred_list)(store_backend *be,
			    const store_gitcred_pattern *want,
			    store_gitcred_cb cb, void *ctx);
	/**
	 * Insert a row (r->id is ignored; the new id into *id, may be
	 * NULL); SVC_EEXISTS when its unique key is taken.
	 */
	int (*gitcred_insert)(long long *id, store_backend *be,
			      const store_gitcred_row *r);
	/** Delete one row; SVC_ENOTFOUND when there is none. */
	int (*gitcred_delete)(store_backend *be, long long id);
	/** Replace the sealed password and key id of one row (rekey). */
	int (*gitcred_reseal)(store_backend *be, long long id,
			      const unsigned char *sealed, size_t len,
			      const char *key_id);

	/* ---- certificate expiry (store_certs.c) ---- */

	/**
	 * Record the earliest certificate expiry of conn_id: its field and
	 * notAfter (seconds), field NULL when it holds no certificate; with
	 * checked_at NULL, forget it (not known).
	 */
	int (*expiry_put)(store_backend *be, const char *conn_id,
			  const char *field, long long not_after,
			  const char *checked_at);
	/** Every connection with its record (known 0 without), by name. */
	int (*expiry_list)(svc_cert_expiry **out, size_t *count,
			   store_backend *be);

	/* ---- the OIDC issuer's signing keys (oidc/oidc.c) ---- */

	/** Walk every key, oldest first. */
	int (*oidc_key_list)(store_backend *be, store_oidc_key_cb cb,
			     void *ctx);
	/**
	 * Insert a current key (r's kid, alg, sealed, key_id, created_at);
	 * SVC_EEXISTS when the kid is taken or a current key exists.
	 */
	int (*oidc_key_insert)(store_backend *be, const store_oidc_key_row *r);
	/** Set retired_at, signed_until and drop_at of r->kid; SVC_ENOTFOUND. */
	int (*oidc_key_times)(store_backend *be, const store_oidc_key_row *r);
	/** Replace the sealed key and master key id of kid (rekey). */
	int (*oidc_key_reseal)(store_backend *be, const char *kid,
			       const unsigned char *sealed, size_t len,
			       const char *key_id);
	/** Delete the keys with drop_at <= now; *n (may be NULL) counts. */
	int (*oidc_key_drop)(size_t *n, store_backend *be, long long now);

	/* ---- personal access tokens (tokens/tokens.c) ---- */

	/** Insert a token row; SVC_EEXISTS when its id is taken. */
	int (*token_insert)(store_backend *be, const store_token_row *r);
	/** The row of token id to cb; SVC_ENOTFOUND when there is none. */
	int (*token_get)(store_backend *be, const char *id, store_token_cb cb,
			 void *ctx);
	/** The rows of owner (NULL: all), oldest first, to cb. */
	int (*token_list)(store_backend *be, const char *owner,
			  store_token_cb cb, void *ctx);
	/**
	 * Mark token id revoked at at (kept when revoked already);
	 * SVC_ENOTFOUND when there is none.
	 */
	int (*token_revoke)(store_backend *be, const char *id, long long at);
	/** Record that token id was used at at. */
	int (*token_touch)(store_backend *be, const char *id, long long at);

	/* ---- users' passwords (users/passwords.c) ---- */

	/** Insert or replace the row of r->name. */
	int (*password_put)(store_backend *be, const store_password_row *r);
	/**
	 * The row of name (NULL: every row, by name) to cb; SVC_ENOTFOUND
	 * when a name is given and has none.
	 */
	int (*password_list)(store_backend *be, const char *name,
			     store_password_cb cb, void *ctx);
	/** Delete the row of name; SVC_ENOTFOUND when there is none. */
	int (*password_delete)(store_backend *be, const char *name);

	/* ---- the console's sessions (console/console_sessions.c) ---- */

	/** Insert r. */
	int (*session_insert)(store_backend *be, const store_session_row *r);
	/**
	 * The row of id_hash to cb when it is live: expires after now, seen
	 * after idle_before, and its token, if any, neither revoked nor
	 * expired; SVC_ENOTFOUND otherwise.
	 */
	int (*session_get)(store_backend *be, const char *id_hash,
			   long long now, long long idle_before,
			   store_session_cb cb, void *ctx);
	/** Record a request of id_hash at at. */
	int (*session_touch)(store_backend *be, const char *id_hash,
			     long long at);
	/** Delete the row of id_hash (none: 0). */
	int (*session_delete)(store_backend *be, const char *id_hash);
	/** Delete the sessions principal signed in to with its password. */
	int (*session_end_password)(store_backend *be, const char *principal);
	/** Delete every row session_get would no longer give. */
	int (*session_purge)(store_backend *be, long long now,
			     long long idle_before);

	/* ---- registered pipelines (pipeline/pipedef.c) ---- */

	/** Insert a row; SVC_EEXISTS when the name is taken. */
	int (*pipedef_insert)(store_backend *be, const store_pipedef_row *r);
	/** The row named name (NULL: every row, by name) to cb; SVC_ENOTFOUND. */
	int (*pipedef_list)(store_backend *be, const char *name,
			    store_pipedef_cb cb, void *ctx);
	/** Delete the row named name; SVC_ENOTFOUND when there is none. */
	int (*pipedef_delete)(store_backend *be, const char *name);
	/* ---- agent pools and agents (agents/agents.c) ---- */

	/** Insert a pool; SVC_EEXISTS when its name is taken. */
	int (*pool_insert)(store_backend *be, const store_pool_row *r);
	/** The pool called name (NULL: every one, by name) to cb. */
	int (*pool_list)(store_backend *be, const char *name, store_pool_cb cb,
			 void *ctx);
	/** Insert an agent; SVC_EEXISTS when its name is taken. */
	int (*agent_insert)(store_backend *be, const store_agent_row *r);
	/** The agent called name (NULL: every one, by name) to cb. */
	int (*agent_list)(store_backend *be, const char *name,
			  store_agent_cb cb, void *ctx);
	/** Mark agent name revoked at at; SVC_ENOTFOUND when none. */
	int (*agent_revoke)(store_backend *be, const char *name, long long at);
	/** Insert an agent's job. */
	int (*job_insert)(store_backend *be, const store_job_row *r);
	/**
	 * The job id (NULL: every one) to cb; with expired_at non-zero only
	 * running jobs whose lease ended at or before it.
	 */
	int (*job_list)(store_backend *be, const char *id, long long expired_at,
			store_job_cb cb, void *ctx);
	/** Set a job's state, result, lease and end; SVC_ENOTFOUND. */
	int (*job_update)(store_backend *be, const char *id, const char *state,
			  const char *result, long long lease_expires,
			  long long ended);
} store_backend_ops;

/** The rows of every engine, over its SQL driver (store_rows.c). */
extern const store_backend_ops store_rows_ops;

struct sqldb;
struct sqldb_driver;
/**
 * The driver and open database under be (store_rows.c), for the copy of
 * whole tables between two stores (store_migrate.c), which moves rows by
 * the one list of tables of sqldb.h rather than by operation.
 */
const struct sqldb_driver *store_rows_sqldb(struct sqldb **db,
					     store_backend *be);
/**
 * Signal the eventfd fd (-1: none) after each commit that can release a
 * waiting job, on an engine without a channel of its own (store_rows.c,
 * for store_watch.c).
 */
void store_rows_wake_fd(store_backend *be, int fd);
/** Write transactions be has committed (any thread may read it). */
unsigned long store_rows_write_commits(store_backend *be);

#endif
