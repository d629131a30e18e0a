/*
 * sqlite.c - the SQLite driver under the store's rows (sqldb.h).
 *
 * One database file under the store directory, created empty with mode 0600
 * before SQLite opens it, so the -wal and -shm files SQLite makes next to it
 * inherit 0600.  The connection runs in WAL mode (readers never block the
 * writer), with synchronous=FULL (a committed rekey must survive a power
 * loss before its key file is renamed into place), foreign keys on,
 * secure_delete on (freed pages, which may hold old ciphertext, are zeroed)
 * and a 30 s busy timeout, so concurrent processes queue instead of failing.
 * Write transactions start with BEGIN IMMEDIATE: the write lock is taken
 * first, so a transaction never fails half-way on a lock upgrade (what
 * sqldb.h asks of begin(db, 1)).  The common dialect is SQLite's own, so
 * statements are prepared as they come; "rowid" is SQLite's implicit one.
 *
 * The schema is versioned with PRAGMA user_version: migrations[] holds one
 * step per version, applied in order in one transaction when a database is
 * opened.  Names are unique with COLLATE NOCASE (a connection's within its
 * project), and that unique index is what name lookups use.  Every statement
 * is prepared with bound parameters; no SQL is ever built from input.
 *
 * Version 2 adds the authorization tables (roles, groups, pipeline
 * permissions and requests, checks, check runs, approvals, locks, usage).
 * Races between processes are settled by the database, not by reading
 * first: a check run is started with INSERT ... ON CONFLICT DO NOTHING on
 * its unique key and then read back, and updated with a compare-and-set
 * on its version column.  Lists are handed out as arrays of the public
 * structs, built in one bounded buffer (collect()).
 *
 * Version 3 adds git_credentials, the credentials git-credential-svcconn
 * keeps: the password sealed like a connection's secret fields (its key_id
 * beside it, for rekey), the rest in the clear for lookups.  A credential
 * without a path has path '' so that the unique key holds (NULLs are
 * distinct in a UNIQUE index); ids come from AUTOINCREMENT, so they grow
 * with each store and "newest first" is ORDER BY id DESC.
 *
 * Version 4 adds cert_expiry: per connection, the earliest notAfter of its
 * certificates and the field holding it (field and not_after NULL: it
 * holds none), recorded by store.c when it writes the connection, so that
 * lists show expiry without decrypting anything.  No row means not known
 * yet (a connection stored before version 4, until it is edited or
 * rescanned); the row goes with its connection (ON DELETE CASCADE).
 *
 * Version 5 adds conn_macs, each connection's version and MAC, and
 * conn_manifest, the version each connection was last written with, kept
 * apart from the connections so that it outlives a row removed behind the
 * store's back (store_integrity.c computes and checks them; here they are
 * only rows; a connection without a MAC has version 0), and the meta row
 * "rows_unsealed", which tells store.c to MAC the rows that exist as they
 * are, once, the next time the store is opened with its key.
 *
 * Version 6 adds oidc_keys, the signing keys of the OIDC issuer: the key
 * id (its RFC 7638 thumbprint), algorithm, private key sealed like a
 * secret field (key_id beside it, for rekey), and times in seconds since
 * the epoch: made, retired (NULL for the one current key, which a partial
 * unique index keeps to one), the latest expiry of a token it signed, and
 * when it stops being published.
 * Version 7 adds access_tokens, the personal access tokens of the server
 * (tokens/tokens.c): the lookup id, the SHA-256 hash of the token (never
 * the token), owner, name, scopes and times as seconds since the epoch.
 * Version 8 adds pipeline_defs, the pipelines the server compiles itself
 * (pipeline/pipedef.c): a name bound to a connection (removed with it),
 * the repository's URL, the YAML path and the default branch.
 * Version 9 adds agent_pools (name, trusted, who made it, when) and agents
 * (name, pool, the token id of its credential, times, revoked); the
 * credential and the one-time registration tokens are access_tokens rows
 * whose scopes name their kind (tokens/tokens_int.h); and agent_jobs, the
 * jobs agents started through the server (agents/agent_jobs.c): agent,
 * pipeline, run, stage, job, lock holder, the granted connection ids (a
 * JSON array), the job token's id, the pipeline's source, state (running,
 * completed, expired), result and times.
 * Version 10 adds projects (docs/projects.md): the table projects with the
 * row "default" every existing row moves to; the owning project of each
 * connection (names unique within it), registered pipeline and pipeline
 * permission; conn_shares, the projects a connection is shared into with
 * its name there; a project scope for role assignments; the project of
 * permission requests and agents' jobs.  The rows (store_rows.c) look
 * names up in one project at a time (project_use).
 * Version 11 adds user_passwords, the users' passwords for the web
 * console (users/passwords.c): name, the Argon2id hash as a PHC string
 * ($argon2id$v=19$m=...,t=...,p=...$salt$hash; never the password) and
 * when it was set, in seconds since the epoch.
 * Version 12 adds console_sessions, the web console's sessions, so that
 * every server of a store knows them: keyed by the SHA-256 of the
 * cookie's id (a reader of the database cannot present one), the
 * principal, scopes, the credential signed in with, and times.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "svcconn/errors.h"
#include "errors_int.h"
#include "store/sqldb.h"
#include "util/buf.h"
#include "util/fileio.h"

/* How long a statement waits for a lock held by another process. */
#define BUSY_TIMEOUT_MS 30000
/* Finished statements kept prepared for the next use of the same SQL. */
#define STMT_CACHE 48

struct sqldb {
	sqlite3 *db;  /**< the database connection */
	char *path;   /**< path of the database file, for messages */
	sqldb_stmt *idle[STMT_CACHE]; /**< finished statements, reset and
					   unbound, kept for their SQL's
					   next prepare (NULL: a free slot) */
	long long seen;     /**< a watcher's data_version last read */
};

struct sqldb_stmt {
	sqlite3_stmt *st;   /**< the prepared statement */
	sqldb *db;          /**< the database it runs on */
	const char *doing;  /**< what it is for, for messages (static) */
	char *sql;          /**< its SQL, to match the next prepare */
};

/*
 * Schema migrations: migrations[i] takes a database from user_version i to
 * i + 1.  Append new steps; never edit a released one.
 */
static const char *const migrations[] = {
	/* 1: connections, their fields, the audit log, store metadata */
	"CREATE TABLE meta ("
	"  key TEXT PRIMARY KEY,"
	"  value TEXT NOT NULL"
	");"
	"CREATE TABLE connections ("
	"  id TEXT PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE COLLATE NOCASE,"
	"  type TEXT NOT NULL,"
	"  scheme TEXT,"
	"  url TEXT,"
	"  description TEXT,"
	"  created_by TEXT NOT NULL,"
	"  created_at TEXT NOT NULL,"
	"  updated_by TEXT NOT NULL,"
	"  updated_at TEXT NOT NULL,"
	"  all_pipelines INTEGER NOT NULL DEFAULT 0"
	");"
	"CREATE TABLE fields ("
	"  conn_id TEXT NOT NULL"
	"    REFERENCES connections(id) ON DELETE CASCADE,"
	"  key TEXT NOT NULL COLLATE NOCASE,"
	"  kind INTEGER NOT NULL,"
	"  secret INTEGER NOT NULL,"
	"  value TEXT,"
	"  sealed BLOB,"
	"  key_id TEXT,"
	"  PRIMARY KEY (conn_id, key),"
	"  CHECK ((secret = 0 AND value IS NOT NULL AND sealed IS NULL) OR"
	"         (secret = 1 AND value IS NULL AND sealed IS NOT NULL"
	"          AND key_id IS NOT NULL))"
	");"
	"CREATE TABLE audit ("
	"  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  at TEXT NOT NULL,"
	"  actor TEXT NOT NULL,"
	"  action TEXT NOT NULL,"
	"  conn_id TEXT NOT NULL DEFAULT '',"
	"  conn_name TEXT NOT NULL DEFAULT '',"
	"  detail TEXT NOT NULL DEFAULT '{}'"
	");",
	/*
	 * 2: authorization.  Roles on the store have conn_id ''; groups and
	 * users share one namespace of principals (exact case).  Pipeline
	 * names compare case-insensitively.  A check run without a stage
	 * has stage '' (so the unique key holds).  Usage records name their
	 * connection but do not reference it: they outlive it.
	 */
	"ALTER TABLE connections"
	"  ADD COLUMN inherit_roles INTEGER NOT NULL DEFAULT 1;"
	"CREATE TABLE role_assignments ("
	"  conn_id TEXT NOT NULL DEFAULT '',"
	"  principal TEXT NOT NULL,"
	"  role INTEGER NOT NULL CHECK (role BETWEEN 1 AND 4),"
	"  assigned_by TEXT NOT NULL,"
	"  assigned_at TEXT NOT NULL,"
	"  PRIMARY KEY (conn_id, principal)"
	");"
	"CREATE INDEX role_assignments_principal"
	"  ON role_assignments (principal);"
	"CREATE TABLE principal_groups ("
	"  name TEXT PRIMARY KEY,"
	"  created_by TEXT NOT NULL,"
	"  created_at TEXT NOT NULL"
	");"
	"CREATE TABLE group_members ("
	"  group_name TEXT NOT NULL"
	"    REFERENCES principal_groups(name) ON DELETE CASCADE,"
	"  member TEXT NOT NULL,"
	"  added_by TEXT NOT NULL,"
	"  added_at TEXT NOT NULL,"
	"  PRIMARY KEY (group_name, member)"
	");"
	"CREATE INDEX group_members_member ON group_members (member);"
	"CREATE TABLE pipeline_permissions ("
	"  conn_id TEXT NOT NULL"
	"    REFERENCES connections(id) ON DELETE CASCADE,"
	"  pipeline TEXT NOT NULL COLLATE NOCASE,"
	"  added_by TEXT NOT NULL,"
	"  added_at TEXT NOT NULL,"
	"  PRIMARY KEY (conn_id, pipeline)"
	");"
	"CREATE TABLE permission_requests ("
	"  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  id TEXT NOT NULL UNIQUE,"
	"  conn_id TEXT NOT NULL"
	"    REFERENCES connections(id) ON DELETE CASCADE,"
	"  pipeline TEXT NOT NULL COLLATE NOCASE,"
	"  run_id TEXT NOT NULL,"
	"  requested_by TEXT NOT NULL,"
	"  at TEXT NOT NULL,"
	"  status TEXT NOT NULL CHECK (status IN ('pending', 'permitted')),"
	"  decided_by TEXT,"
	"  decided_at TEXT"
	");"
	"CREATE UNIQUE INDEX permission_requests_pending"
	"  ON permission_requests (conn_id, pipeline) WHERE status = 'pending';"
	"CREATE TABLE checks ("
	"  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  id TEXT NOT NULL UNIQUE,"
	"  conn_id TEXT NOT NULL"
	"    REFERENCES connections(id) ON DELETE CASCADE,"
	"  kind TEXT NOT NULL,"
	"  config TEXT NOT NULL,"
	"  enabled INTEGER NOT NULL DEFAULT 1,"
	"  created_by TEXT NOT NULL,"
	"  created_at TEXT NOT NULL"
	");"
	"CREATE INDEX checks_conn ON checks (conn_id, seq);"
	"CREATE TABLE check_runs ("
	"  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  id TEXT NOT NULL UNIQUE,"
	"  check_id TEXT NOT NULL REFERENCES checks(id) ON DELETE CASCADE,"
	"  pipeline TEXT NOT NULL COLLATE NOCASE,"
	"  run_id TEXT NOT NULL,"
	"  stage TEXT NOT NULL,"
	"  requested_by TEXT,"
	"  status TEXT NOT NULL,"
	"  state TEXT NOT NULL DEFAULT '{}',"
	"  message TEXT,"
	"  started_at TEXT NOT NULL,"
	"  updated_at TEXT NOT NULL,"
	"  version INTEGER NOT NULL DEFAULT 1,"
	"  UNIQUE (check_id, pipeline, run_id, stage)"
	");"
	"CREATE INDEX check_runs_status ON check_runs (status, seq);"
	"CREATE TABLE approvals ("
	"  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  check_run_id TEXT NOT NULL"
	"    REFERENCES check_runs(id) ON DELETE CASCADE,"
	"  actor TEXT NOT NULL,"
	"  as_approver TEXT NOT NULL,"
	"  decision TEXT NOT NULL CHECK (decision IN ('approve', 'reject')),"
	"  comment TEXT,"
	"  defer_until TEXT,"
	"  at TEXT NOT NULL"
	");"
	"CREATE INDEX approvals_run ON approvals (check_run_id, seq);"
	"CREATE TABLE lock_holders ("
	"  conn_id TEXT PRIMARY KEY"
	"    REFERENCES connections(id) ON DELETE CASCADE,"
	"  holder TEXT NOT NULL,"
	"  lease_expires INTEGER NOT NULL,"
	"  acquired_at TEXT NOT NULL"
	");"
	"CREATE INDEX lock_holders_holder ON lock_holders (holder);"
	"CREATE TABLE lock_queue ("
	"  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  conn_id TEXT NOT NULL"
	"    REFERENCES connections(id) ON DELETE CASCADE,"
	"  holder TEXT NOT NULL,"
	"  queued_at TEXT NOT NULL,"
	"  status TEXT NOT NULL CHECK (status IN ('waiting', 'canceled')),"
	"  UNIQUE (conn_id, holder)"
	");"
	"CREATE INDEX lock_queue_holder ON lock_queue (holder);"
	"CREATE TABLE usage_history ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  conn_id TEXT NOT NULL,"
	"  conn_name TEXT NOT NULL,"
	"  pipeline TEXT NOT NULL COLLATE NOCASE,"
	"  run_id TEXT NOT NULL,"
	"  stage TEXT,"
	"  job TEXT,"
	"  requested_by TEXT,"
	"  decision TEXT NOT NULL,"
	"  message TEXT,"
	"  at TEXT NOT NULL,"
	"  result TEXT,"
	"  finished_at TEXT"
	");"
	"CREATE INDEX usage_history_conn ON usage_history (conn_id, id);"
	"CREATE INDEX usage_history_run ON usage_history (run_id, pipeline);",
	/*
	 * 3: git credentials (store_gitcred.c).  IF NOT EXISTS: a store
	 * taken back to an older version by hand may still have the table.
	 */
	"CREATE TABLE IF NOT EXISTS git_credentials ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  protocol TEXT NOT NULL,"
	"  host TEXT NOT NULL,"
	"  path TEXT NOT NULL DEFAULT '',"
	"  username TEXT NOT NULL,"
	"  sealed_password BLOB NOT NULL,"
	"  key_id TEXT NOT NULL,"
	"  created_at TEXT NOT NULL,"
	"  updated_at TEXT NOT NULL,"
	"  UNIQUE (protocol, host, path, username)"
	");",
	/*
	 * 4: the earliest certificate expiry of each connection
	 * (store_certs.c).  IF NOT EXISTS, as in 3.
	 */
	"CREATE TABLE IF NOT EXISTS cert_expiry ("
	"  conn_id TEXT PRIMARY KEY"
	"    REFERENCES connections(id) ON DELETE CASCADE,"
	"  field TEXT,"
	"  not_after INTEGER,"
	"  checked_at TEXT NOT NULL,"
	"  CHECK ((field IS NULL) = (not_after IS NULL))"
	");",
	/*
	 * 5: every connection row authenticated (store_integrity.c): its
	 * version and MAC, and the mark that the rows present are to be
	 * MAC'd at the next open with the key (unless the store has its
	 * list of versions: taken back to an older version by hand).  IF
	 * NOT EXISTS, as in 3.
	 */
	"CREATE TABLE IF NOT EXISTS conn_macs ("
	"  conn_id TEXT PRIMARY KEY"
	"    REFERENCES connections(id) ON DELETE CASCADE,"
	"  version INTEGER NOT NULL,"
	"  mac BLOB NOT NULL"
	");"
	"CREATE TABLE IF NOT EXISTS conn_manifest ("
	"  conn_id TEXT PRIMARY KEY,"
	"  version INTEGER NOT NULL"
	");"
	"INSERT INTO meta (key, value) SELECT 'rows_unsealed', '1'"
	"  WHERE NOT EXISTS (SELECT 1 FROM meta WHERE key = 'conn_manifest')"
	"  ON CONFLICT (key) DO NOTHING;",
	/*
	 * 6: the OIDC issuer's signing keys (oidc/oidc.c), the private key
	 * sealed; at most one current key (retired_at NULL).  IF NOT
	 * EXISTS, as in 3.
	 */
	"CREATE TABLE IF NOT EXISTS oidc_keys ("
	"  kid TEXT PRIMARY KEY,"
	"  alg TEXT NOT NULL,"
	"  sealed_key BLOB NOT NULL,"
	"  key_id TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  retired_at INTEGER,"
	"  signed_until INTEGER NOT NULL DEFAULT 0,"
	"  drop_at INTEGER,"
	"  CHECK ((retired_at IS NULL) = (drop_at IS NULL))"
	");"
	"CREATE UNIQUE INDEX IF NOT EXISTS oidc_keys_current"
	"  ON oidc_keys ((retired_at IS NULL)) WHERE retired_at IS NULL;",
	/*
	 * 7: personal access tokens (tokens/tokens.c), stored as hashes.
	 * IF NOT EXISTS, as in 3.
	 */
	"CREATE TABLE IF NOT EXISTS access_tokens ("
	"  id TEXT PRIMARY KEY,"
	"  hash BLOB NOT NULL,"
	"  owner TEXT NOT NULL,"
	"  name TEXT NOT NULL,"
	"  scopes TEXT NOT NULL,"
	"  created INTEGER NOT NULL,"
	"  expires INTEGER NOT NULL,"
	"  last_used INTEGER NOT NULL DEFAULT 0,"
	"  revoked INTEGER NOT NULL DEFAULT 0"
	");"
	"CREATE INDEX IF NOT EXISTS access_tokens_owner"
	"  ON access_tokens (owner);",
	/*
	 * 8: registered pipelines (pipeline/pipedef.c), bound to a
	 * connection and removed with it.  IF NOT EXISTS, as in 3.
	 */
	"CREATE TABLE IF NOT EXISTS pipeline_defs ("
	"  name TEXT PRIMARY KEY COLLATE NOCASE,"
	"  conn_id TEXT NOT NULL"
	"    REFERENCES connections(id) ON DELETE CASCADE,"
	"  url TEXT NOT NULL,"
	"  path TEXT NOT NULL,"
	"  branch TEXT,"
	"  created_by TEXT NOT NULL,"
	"  created INTEGER NOT NULL"
	");",
	/*
	 * 9: agent pools and registered agents (agents/agents.c); an agent's
	 * credential and the registration tokens are access_tokens rows.
	 */
	"CREATE TABLE IF NOT EXISTS agent_pools ("
	"  name TEXT PRIMARY KEY COLLATE NOCASE,"
	"  trusted INTEGER NOT NULL DEFAULT 0,"
	"  created_by TEXT NOT NULL,"
	"  created INTEGER NOT NULL"
	");"
	"CREATE TABLE IF NOT EXISTS agents ("
	"  name TEXT PRIMARY KEY COLLATE NOCASE,"
	"  pool TEXT NOT NULL COLLATE NOCASE REFERENCES agent_pools (name),"
	"  token_id TEXT NOT NULL,"
	"  created_by TEXT NOT NULL,"
	"  created INTEGER NOT NULL,"
	"  revoked INTEGER NOT NULL DEFAULT 0"
	");"
	"CREATE TABLE IF NOT EXISTS agent_jobs ("
	"  id TEXT PRIMARY KEY,"
	"  agent TEXT NOT NULL,"
	"  pipeline TEXT NOT NULL,"
	"  run_id TEXT NOT NULL,"
	"  stage TEXT,"
	"  job TEXT NOT NULL,"
	"  holder TEXT NOT NULL,"
	"  locks INTEGER NOT NULL,"
	"  conns TEXT NOT NULL,"
	"  token_id TEXT NOT NULL,"
	"  source TEXT NOT NULL,"
	"  state TEXT NOT NULL,"
	"  result TEXT,"
	"  lease_expires INTEGER NOT NULL,"
	"  started INTEGER NOT NULL,"
	"  ended INTEGER NOT NULL DEFAULT 0"
	");"
	"CREATE INDEX IF NOT EXISTS agent_jobs_running"
	"  ON agent_jobs (lease_expires) WHERE state = 'running';",
	/*
	 * 10: projects (docs/projects.md): the table with its row
	 * "default" and the shares; the tables whose rows gain a project
	 * are changed by the steps of rebuilds[] below.  IF NOT EXISTS, as
	 * in 3.
	 */
	"CREATE TABLE IF NOT EXISTS projects ("
	"  id TEXT PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE COLLATE NOCASE,"
	"  description TEXT NOT NULL DEFAULT '',"
	"  created_by TEXT NOT NULL,"
	"  created_at TEXT NOT NULL"
	");"
	"INSERT INTO projects (id, name, description, created_by, created_at)"
	"  SELECT lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) ||"
	"    '-4' || substr(hex(randomblob(2)), 2) || '-' ||"
	"    substr('89AB', 1 + (abs(random()) % 4), 1) ||"
	"    substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6))),"
	"    'default', 'The default project', 'svcconn',"
	"    strftime('%Y-%m-%dT%H:%M:%SZ', 'now')"
	"  WHERE NOT EXISTS (SELECT 1 FROM projects WHERE name = 'default');"
	"CREATE TABLE IF NOT EXISTS conn_shares ("
	"  conn_id TEXT NOT NULL"
	"    REFERENCES connections(id) ON DELETE CASCADE,"
	"  project_id TEXT NOT NULL REFERENCES projects(id),"
	"  name TEXT NOT NULL COLLATE NOCASE,"
	"  description TEXT NOT NULL DEFAULT '',"
	"  shared_by TEXT NOT NULL,"
	"  shared_at TEXT NOT NULL,"
	"  PRIMARY KEY (conn_id, project_id),"
	"  UNIQUE (project_id, name)"
	");",
	/*
	 * 11: user_passwords, the console's password hashes (users/
	 * passwords.c): the user's name, its Argon2id hash as a PHC string
	 * (parameters and salt inside), and when it was set.
	 */
	"CREATE TABLE IF NOT EXISTS user_passwords ("
	"  name TEXT PRIMARY KEY,"
	"  phc TEXT NOT NULL,"
	"  changed INTEGER NOT NULL"
	");",
	/*
	 * 12: console_sessions, the web console's sessions shared by every
	 * server of the store (console/console_sessions.c): the SHA-256 of
	 * the cookie's random id in hex (never the id), the principal, its
	 * token's scopes (NULL: all), the token signed in with (NULL: a
	 * password) and times in seconds since the epoch.
	 */
	"CREATE TABLE IF NOT EXISTS console_sessions ("
	"  id_hash TEXT PRIMARY KEY,"
	"  principal TEXT NOT NULL,"
	"  scopes TEXT,"
	"  token_id TEXT,"
	"  created INTEGER NOT NULL,"
	"  last_seen INTEGER NOT NULL,"
	"  expires INTEGER NOT NULL"
	");"
	"CREATE INDEX IF NOT EXISTS console_sessions_principal"
	"  ON console_sessions (principal);",
};

#define SCHEMA_VERSION ((int)(sizeof(migrations) / sizeof(migrations[0])))

/*
 * Steps of a migration that change a table SQLite cannot change in place
 * (a unique key gains a column: the table is rebuilt; or a column is
 * added), each run after migrations[version - 1] unless its table has the
 * column already (a store taken back to an older version by hand, as the
 * IF NOT EXISTS of the other steps allow).  Rows move to the project
 * "default".  migrate() runs them with foreign keys off, so that a
 * DROP TABLE cascades nothing, and checks the keys before it commits, as
 * SQLite's ALTER TABLE documentation says.
 */
static const struct rebuild {
	int version;        /**< the migration it belongs to */
	const char *table;  /**< the table changed */
	const char *column; /**< skipped when table has this column */
	const char *sql;    /**< the step */
} rebuilds[] = {
	{ 10, "connections", "project_id",
	  "CREATE TABLE connections_v10 ("
	  "  id TEXT PRIMARY KEY,"
	  "  project_id TEXT NOT NULL REFERENCES projects(id),"
	  "  name TEXT NOT NULL COLLATE NOCASE,"
	  "  type TEXT NOT NULL,"
	  "  scheme TEXT,"
	  "  url TEXT,"
	  "  description TEXT,"
	  "  created_by TEXT NOT NULL,"
	  "  created_at TEXT NOT NULL,"
	  "  updated_by TEXT NOT NULL,"
	  "  updated_at TEXT NOT NULL,"
	  "  all_pipelines INTEGER NOT NULL DEFAULT 0,"
	  "  inherit_roles INTEGER NOT NULL DEFAULT 1,"
	  "  UNIQUE (project_id, name)"
	  ");"
	  "INSERT INTO connections_v10 (id, project_id, name, type, scheme,"
	  "  url, description, created_by, created_at, updated_by,"
	  "  updated_at, all_pipelines, inherit_roles)"
	  "  SELECT c.id, p.id, c.name, c.type, c.scheme, c.url,"
	  "    c.description, c.created_by, c.created_at, c.updated_by,"
	  "    c.updated_at, c.all_pipelines, c.inherit_roles"
	  "  FROM connections c, projects p WHERE p.name = 'default';"
	  "DROP TABLE connections;"
	  "ALTER TABLE connections_v10 RENAME TO connections;" },
	/* a role's scope: the store (conn_id and project_id ''), a
	 * project (project_id) or one connection (conn_id) */
	{ 10, "role_assignments", "project_id",
	  "CREATE TABLE role_assignments_v10 ("
	  "  conn_id TEXT NOT NULL DEFAULT '',"
	  "  project_id TEXT NOT NULL DEFAULT '',"
	  "  principal TEXT NOT NULL,"
	  "  role INTEGER NOT NULL CHECK (role BETWEEN 1 AND 4),"
	  "  assigned_by TEXT NOT NULL,"
	  "  assigned_at TEXT NOT NULL,"
	  "  PRIMARY KEY (conn_id, project_id, principal)"
	  ");"
	  "INSERT INTO role_assignments_v10 (conn_id, principal, role,"
	  "  assigned_by, assigned_at)"
	  "  SELECT conn_id, principal, role, assigned_by, assigned_at"
	  "  FROM role_assignments;"
	  "DROP TABLE role_assignments;"
	  "ALTER TABLE role_assignments_v10 RENAME TO role_assignments;"
	  "CREATE INDEX IF NOT EXISTS role_assignments_principal"
	  "  ON role_assignments (principal);" },
	{ 10, "pipeline_permissions", "project_id",
	  "CREATE TABLE pipeline_permissions_v10 ("
	  "  conn_id TEXT NOT NULL"
	  "    REFERENCES connections(id) ON DELETE CASCADE,"
	  "  project_id TEXT NOT NULL REFERENCES projects(id),"
	  "  pipeline TEXT NOT NULL COLLATE NOCASE,"
	  "  added_by TEXT NOT NULL,"
	  "  added_at TEXT NOT NULL,"
	  "  PRIMARY KEY (conn_id, project_id, pipeline)"
	  ");"
	  "INSERT INTO pipeline_permissions_v10 (conn_id, project_id,"
	  "  pipeline, added_by, added_at)"
	  "  SELECT r.conn_id, p.id, r.pipeline, r.added_by, r.added_at"
	  "  FROM pipeline_permissions r, projects p"
	  "  WHERE p.name = 'default';"
	  "DROP TABLE pipeline_permissions;"
	  "ALTER TABLE pipeline_permissions_v10"
	  "  RENAME TO pipeline_permissions;" },
	{ 10, "pipeline_defs", "project_id",
	  "CREATE TABLE pipeline_defs_v10 ("
	  "  project_id TEXT NOT NULL REFERENCES projects(id),"
	  "  name TEXT NOT NULL COLLATE NOCASE,"
	  "  conn_id TEXT NOT NULL"
	  "    REFERENCES connections(id) ON DELETE CASCADE,"
	  "  url TEXT NOT NULL,"
	  "  path TEXT NOT NULL,"
	  "  branch TEXT,"
	  "  created_by TEXT NOT NULL,"
	  "  created INTEGER NOT NULL,"
	  "  PRIMARY KEY (project_id, name)"
	  ");"
	  "INSERT INTO pipeline_defs_v10 (project_id, name, conn_id, url,"
	  "  path, branch, created_by, created)"
	  "  SELECT p.id, d.name, d.conn_id, d.url, d.path, d.branch,"
	  "    d.created_by, d.created"
	  "  FROM pipeline_defs d, projects p WHERE p.name = 'default';"
	  "DROP TABLE pipeline_defs;"
	  "ALTER TABLE pipeline_defs_v10 RENAME TO pipeline_defs;" },
	{ 10, "permission_requests", "project_id",
	  "ALTER TABLE permission_requests ADD COLUMN project_id TEXT"
	  "  NOT NULL DEFAULT '';"
	  "UPDATE permission_requests SET project_id ="
	  "  (SELECT id FROM projects WHERE name = 'default');" },
	{ 10, "agent_jobs", "project_id",
	  "ALTER TABLE agent_jobs ADD COLUMN project_id TEXT NOT NULL"
	  "  DEFAULT '';"
	  "UPDATE agent_jobs SET project_id ="
	  "  (SELECT id FROM projects WHERE name = 'default');" },
};

/* Set the error for a failed SQLite call with result code src. */
static int db_fail(sqldb *db, int src, const char *doing)
{
	int base = src & 0xff;

	if (src == SQLITE_CONSTRAINT_UNIQUE ||
	    src == SQLITE_CONSTRAINT_PRIMARYKEY)
		return error_set(SVC_EEXISTS, "cannot %s: %s", doing,
				 sqlite3_errmsg(db->db));
	if (base == SQLITE_BUSY || base == SQLITE_LOCKED)
		return error_set(SVC_ERROR,
				 "cannot %s: store '%s' was locked by another process for more than %d s",
				 doing, db->path, BUSY_TIMEOUT_MS / 1000);
	if (base == SQLITE_NOTADB || base == SQLITE_CORRUPT)
		return error_set(SVC_ERROR,
				 "cannot %s: '%s' is not a valid store database (%s)",
				 doing, db->path, sqlite3_errmsg(db->db));
	return error_set(SVC_ERROR, "cannot %s in '%s': %s", doing, db->path,
			 sqlite3_errmsg(db->db));
}

/* Run a statement without parameters or results. */
static int exec(sqldb *db, const char *sql, const char *doing)
{
	int src = sqlite3_exec(db->db, sql, NULL, NULL, NULL);

	return src == SQLITE_OK ? 0 : db_fail(db, src, doing);
}

/* ---- statements -------------------------------------------------------- */

static void stmt_free(sqldb_stmt *s)
{
	if (!s)
		return;
	sqlite3_finalize(s->st);
	free(s->sql);
	free(s);
}

/*
 * The operations above prepare the same few statements over and over (a
 * listing of 10,000 connections runs several per connection): a finished
 * one is kept in db->idle and handed out again for the same SQL, so SQLite
 * parses each statement once per connection to the database.
 */
static int sqlite_prepare(sqldb_stmt **out, sqldb *db, const char *sql,
			  const char *doing)
{
	sqldb_stmt *s;
	size_t i;
	int src;

	*out = NULL;
	for (i = 0; i < STMT_CACHE; i++) {
		s = db->idle[i];
		if (s && strcmp(s->sql, sql) == 0) {
			db->idle[i] = NULL;
			s->doing = doing;
			*out = s;
			return 0;
		}
	}
	if (!(s = calloc(1, sizeof(*s))) || !(s->sql = strdup(sql))) {
		free(s);
		return error_oom();
	}
	s->db = db;
	s->doing = doing;
	src = sqlite3_prepare_v3(db->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
				 &s->st, NULL);
	if (src != SQLITE_OK) {
		stmt_free(s);
		return db_fail(db, src, doing);
	}
	*out = s;
	return 0;
}

/* Reset s (no row, no binding left) and keep it for reuse, or free it. */
static void sqlite_finalize(sqldb_stmt *s)
{
	size_t i;

	if (!s)
		return;
	sqlite3_reset(s->st);
	sqlite3_clear_bindings(s->st);
	for (i = 0; i < STMT_CACHE; i++)
		if (!s->db->idle[i]) {
			s->db->idle[i] = s;
			return;
		}
	stmt_free(s);
}

/* Step once: 1 for a row, 0 when done, an SVC_E* code on failure. */
static int sqlite_step(sqldb_stmt *s)
{
	int src = sqlite3_step(s->st);

	if (src == SQLITE_ROW)
		return 1;
	if (src == SQLITE_DONE)
		return 0;
	return db_fail(s->db, sqlite3_extended_errcode(s->db->db), s->doing);
}

static int sqlite_bind_text(sqldb_stmt *s, int i, const char *p, size_t len)
{
	int src = p ? sqlite3_bind_text64(s->st, i, p, len, SQLITE_STATIC,
					  SQLITE_UTF8)
		    : sqlite3_bind_null(s->st, i);

	return src == SQLITE_OK ? 0 : db_fail(s->db, src, "bind a parameter");
}

static int sqlite_bind_blob(sqldb_stmt *s, int i, const void *p, size_t len)
{
	int src = p ? sqlite3_bind_blob64(s->st, i, p, len, SQLITE_STATIC)
		    : sqlite3_bind_null(s->st, i);

	return src == SQLITE_OK ? 0 : db_fail(s->db, src, "bind a parameter");
}

static int sqlite_bind_int(sqldb_stmt *s, int i, long long v)
{
	int src = sqlite3_bind_int64(s->st, i, v);

	return src == SQLITE_OK ? 0 : db_fail(s->db, src, "bind a parameter");
}

static const char *sqlite_col_text(sqldb_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s->st, i);
}

static const void *sqlite_col_blob(sqldb_stmt *s, int i, size_t *len)
{
	/* the pointer first, then its size (SQLite's documented order) */
	const void *p = sqlite3_column_blob(s->st, i);

	*len = (size_t)sqlite3_column_bytes(s->st, i);
	return p;
}

static long long sqlite_col_int(sqldb_stmt *s, int i)
{
	return sqlite3_column_int64(s->st, i);
}

static int sqlite_col_null(sqldb_stmt *s, int i)
{
	return sqlite3_column_type(s->st, i) == SQLITE_NULL;
}

static long long sqlite_changes(sqldb *db)
{
	return sqlite3_changes64(db->db);
}

/* ---- opening ----------------------------------------------------------- */

/* 0 when no row breaks a foreign key after a migration, else an error. */
static int foreign_keys_hold(sqldb *db)
{
	sqldb_stmt *st;
	int rc;

	if ((rc = sqlite_prepare(&st, db, "PRAGMA foreign_key_check",
				 "check the migrated schema")) != 0)
		return rc;
	rc = sqlite_step(st);
	if (rc == 1)
		rc = error_set(SVC_ERROR,
			       "cannot migrate store '%s': a row of table '%s' refers to a missing row",
			       db->path, sqlite_col_text(st, 0));
	sqlite_finalize(st);
	return rc;
}

/* 1 when table has column, 0 when not, or an error. */
static int has_column(sqldb *db, const char *table, const char *column)
{
	sqldb_stmt *st;
	int rc;

	if ((rc = sqlite_prepare(&st, db, "SELECT 1 FROM pragma_table_info(?1) "
				 "WHERE name = ?2", "read the schema")) != 0)
		return rc;
	if ((rc = sqlite_bind_text(st, 1, table, strlen(table))) == 0 &&
	    (rc = sqlite_bind_text(st, 2, column, strlen(column))) == 0)
		rc = sqlite_step(st);
	sqlite_finalize(st);
	return rc;
}

/* The steps of rebuilds[] of migration version its tables still need. */
static int run_rebuilds(sqldb *db, int version)
{
	size_t i;
	int rc;

	for (i = 0; i < sizeof(rebuilds) / sizeof(rebuilds[0]); i++) {
		if (rebuilds[i].version != version)
			continue;
		rc = has_column(db, rebuilds[i].table, rebuilds[i].column);
		if (rc == 0)
			rc = exec(db, rebuilds[i].sql, "migrate the schema");
		if (rc < 0)
			return rc;
	}
	return 0;
}

/*
 * Apply the pending migrations in one write transaction, foreign keys off
 * (so that a rebuilt table's DROP cascades nothing) and checked before the
 * commit.
 */
static int migrate(sqldb *db)
{
	sqldb_stmt *st = NULL;
	char sql[64];
	int rc, version = 0, i;

	/* off outside the transaction (a no-op inside one): a migration
	 * that rebuilds a table must not cascade its DROP TABLE */
	if ((rc = exec(db, "PRAGMA foreign_keys = OFF", "configure the store")))
		return rc;
	if ((rc = exec(db, "BEGIN IMMEDIATE", "start the schema migration")))
		goto fail;
	if ((rc = sqlite_prepare(&st, db, "PRAGMA user_version",
				 "read the schema version")) != 0)
		goto fail;
	if ((rc = sqlite_step(st)) < 0)
		goto fail;
	version = rc == 1 ? (int)sqlite_col_int(st, 0) : 0;
	sqlite_finalize(st);
	st = NULL;
	if (version > SCHEMA_VERSION) {
		rc = error_set(SVC_ERROR,
			       "store '%s' has schema version %d, newer than this svcconn knows (%d): upgrade svcconn",
			       db->path, version, SCHEMA_VERSION);
		goto fail;
	}
	if (version == SCHEMA_VERSION) {
		exec(db, "ROLLBACK", "end the schema check");
		return exec(db, "PRAGMA foreign_keys = ON", "configure the store");
	}
	for (i = version; i < SCHEMA_VERSION; i++)
		if ((rc = exec(db, migrations[i], "migrate the schema")) != 0 ||
		    (rc = run_rebuilds(db, i + 1)) != 0)
			goto fail;
	if ((rc = foreign_keys_hold(db)) != 0)
		goto fail;
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", SCHEMA_VERSION);
	if ((rc = exec(db, sql, "set the schema version")) != 0 ||
	    (rc = exec(db, "COMMIT", "commit the schema migration")) != 0)
		goto fail;
	return exec(db, "PRAGMA foreign_keys = ON", "configure the store");
fail:
	sqlite_finalize(st);
	if (!sqlite3_get_autocommit(db->db))
		sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_exec(db->db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
	return rc;
}
/* An existing database file must be ours and private. */
static int check_private_file(const char *path)
{
	struct stat sb;
	int rc = 0;

	/* lstat, never open() and close(): closing any descriptor of the
	 * file drops every POSIX lock this process holds on it, so a second
	 * connection opened here (a server's watcher) would take the first's
	 * shared lock away, and another process could then checkpoint and
	 * truncate the WAL under the first one's open transaction */
	if (lstat(path, &sb) != 0) {
		if (errno == ENOENT)
			return error_set(SVC_ENOTFOUND,
					 "no store at '%s' (create one with 'svcconn init')",
					 path);
		return error_set(SVC_ERROR, "cannot open store '%s': %s", path,
				 strerror(errno));
	}
	if (!S_ISREG(sb.st_mode))
		rc = error_set(SVC_EINSECURE, "store '%s' is not a regular file",
			       path);
	else if (sb.st_uid != geteuid())
		rc = error_set(SVC_EINSECURE,
			       "store '%s' is owned by uid %ld, not by you (uid %ld)",
			       path, (long)sb.st_uid, (long)geteuid());
	else if (sb.st_mode & 077)
		rc = error_set(SVC_EINSECURE,
			       "permissions %04o for store '%s' are too open (chmod 600)",
			       (unsigned)(sb.st_mode & 07777), path);
	return rc;
}

static int sqlite_remove(const char *path);

static void sqlite_close(sqldb *db)
{
	size_t i;

	if (!db)
		return;
	for (i = 0; i < STMT_CACHE; i++)
		stmt_free(db->idle[i]);
	sqlite3_close_v2(db->db);
	free(db->path);
	free(db);
}

static int sqlite_open(sqldb **out, const char *path, int create)
{
	static const char *const setup[] = {
		"PRAGMA foreign_keys = ON",
		"PRAGMA secure_delete = ON",
		"PRAGMA synchronous = FULL",
		"PRAGMA trusted_schema = OFF",
		/* the kept WAL (below) is truncated to nothing when the
		 * last connection closes and when the log starts over
		 * after a checkpoint, so nothing deleted lingers in it */
		"PRAGMA journal_size_limit = 0",
		/* up to 16 MiB of pages (SQLite's default is 2 MiB): a
		 * listing of 10,000 connections reads every page several
		 * times and would read most from the file again */
		"PRAGMA cache_size = -16384",
		/* reads map up to 256 MiB of the file instead of copying
		 * each page out of the kernel into the cache (writes still
		 * go through write()): a list of 10,000 connections takes
		 * about a seventh less CPU time */
		"PRAGMA mmap_size = 268435456",
	};
	sqldb *db;
	sqldb_stmt *st = NULL;
	const char *mode;
	size_t i;
	int rc, src, persist_wal;

	if (create) {
		rc = file_create_private(path, "", 0);
		if (rc == SVC_EEXISTS)
			return error_set(SVC_EEXISTS,
					 "a store database exists already at '%s'",
					 path);
		if (rc)
			return rc;
	} else if ((rc = check_private_file(path)) != 0) {
		return rc;
	}
	if (!(db = calloc(1, sizeof(*db))) || !(db->path = strdup(path))) {
		rc = error_oom();
		goto fail;
	}
	src = sqlite3_open_v2(path, &db->db,
			      SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW,
			      NULL);
	if (src != SQLITE_OK) {
		rc = db->db ? db_fail(db, src, "open the store")
			    : error_oom();
		goto fail;
	}
	sqlite3_extended_result_codes(db->db, 1);
	sqlite3_busy_timeout(db->db, BUSY_TIMEOUT_MS);
	sqlite3_db_config(db->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	/* Keep the -wal and -shm files when the last connection closes:
	 * short-lived readers such as git's credential helper would
	 * otherwise create, size and delete both on every run. */
	persist_wal = 1;
	sqlite3_file_control(db->db, "main", SQLITE_FCNTL_PERSIST_WAL,
			     &persist_wal);
	for (i = 0; i < sizeof(setup) / sizeof(setup[0]); i++)
		if ((rc = exec(db, setup[i], "configure the store")) != 0)
			goto fail;
	/* WAL is persistent; setting it again is a cheap no-op */
	if ((rc = sqlite_prepare(&st, db, "PRAGMA journal_mode = WAL",
				 "switch to WAL mode")) != 0)
		goto fail;
	rc = sqlite_step(st);
	mode = rc == 1 ? sqlite_col_text(st, 0) : NULL;
	if (rc >= 0 && (!mode || strcmp(mode, "wal") != 0))
		rc = error_set(SVC_ERROR, "cannot switch store '%s' to WAL mode",
			       path);
	sqlite_finalize(st);
	if (rc < 0)
		goto fail;
	if ((rc = migrate(db)) != 0)
		goto fail;
	*out = db;
	return 0;
fail:
	sqlite_close(db);
	if (create)
		sqlite_remove(path); /* ours: created above with O_EXCL */
	return rc;
}

static int sqlite_remove(const char *path)
{
	static const char *const suffix[] = { "", "-wal", "-shm", "-journal" };
	svc_buf p = SVC_BUF_INIT;
	size_t i;
	int rc = 0;

	for (i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		buf_reset(&p);
		if ((rc = buf_printf(&p, "%s%s", path, suffix[i])) != 0)
			break;
		if (unlink(p.ptr) != 0 && errno != ENOENT) {
			rc = error_set(SVC_ERROR, "cannot remove '%s': %s",
				       p.ptr, strerror(errno));
			break;
		}
	}
	buf_clear(&p);
	return rc;
}

/* ---- transactions ------------------------------------------------------ */

static int sqlite_begin(sqldb *db, int write)
{
	return exec(db, write ? "BEGIN IMMEDIATE" : "BEGIN",
		    "start a transaction");
}

static int sqlite_commit(sqldb *db)
{
	return exec(db, "COMMIT", "commit");
}

static void sqlite_rollback(sqldb *db)
{
	if (!sqlite3_get_autocommit(db->db))
		sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
}

static int sqlite_data_version(long long *out, sqldb *db)
{
	sqldb_stmt *st;
	int rc;

	if ((rc = sqlite_prepare(&st, db, "PRAGMA data_version",
				 "read the data version")) != 0)
		return rc;
	if ((rc = sqlite_step(st)) == 1) {
		*out = sqlite_col_int(st, 0);
		rc = 0;
	} else if (rc == 0) {
		rc = error_set(SVC_ERROR, "cannot read the data version of '%s'",
			       db->path);
	}
	sqlite_finalize(st);
	return rc;
}

/* ---- watching ---------------------------------------------------------- */

/*
 * A watcher is a connection of its own that only reads PRAGMA
 * data_version, which moves with every commit of every other connection:
 * the server's own (whose gate-relevant ones also signal wake_fd at once,
 * store_rows.c) and those of the CLI on the same file.  SQLite has no
 * channel between processes, so it looks every WATCH_POLL_MS.
 */
#define WATCH_POLL_MS 1000

static int sqlite_watch_open(sqldb **out, const char *path)
{
	sqldb *db;
	int rc;

	if ((rc = sqlite_open(&db, path, 0)) != 0)
		return rc;
	if ((rc = sqlite_data_version(&db->seen, db)) != 0) {
		sqlite_close(db);
		return rc;
	}
	*out = db;
	return 0;
}

static int sqlite_watch_wait(sqldb *db, int wake_fd, long timeout_ms)
{
	long long v;
	int r, woke;

	r = sqldb_wait_fds(-1, wake_fd, timeout_ms < WATCH_POLL_MS
						? timeout_ms : WATCH_POLL_MS);
	if (r < 0)
		return r;
	woke = (r & SQLDB_WAIT_WAKE) != 0;
	if ((r = sqlite_data_version(&v, db)) != 0)
		return r;
	if (v != db->seen) {
		db->seen = v;
		return woke ? 1 : 2;
	}
	return woke;
}

/*
 * Rows copied with their ids (svcconn migrate): nothing to do, SQLite's
 * AUTOINCREMENT keeps the largest id ever inserted in sqlite_sequence.
 */
static int sqlite_identity_sync(sqldb *db, const char *table,
				const char *column)
{
	(void)db;
	(void)table;
	(void)column;
	return 0;
}

const sqldb_driver sqldb_sqlite = {
	.name = "SQLite",
	.open = sqlite_open,
	.close = sqlite_close,
	.remove = sqlite_remove,
	.begin = sqlite_begin,
	.commit = sqlite_commit,
	.rollback = sqlite_rollback,
	.data_version = sqlite_data_version,
	.prepare = sqlite_prepare,
	.bind_text = sqlite_bind_text,
	.bind_blob = sqlite_bind_blob,
	.bind_int = sqlite_bind_int,
	.step = sqlite_step,
	.col_text = sqlite_col_text,
	.col_blob = sqlite_col_blob,
	.col_int = sqlite_col_int,
	.col_null = sqlite_col_null,
	.changes = sqlite_changes,
	.finalize = sqlite_finalize,
	.identity_sync = sqlite_identity_sync,
	.notify = NULL,
	.watch_open = sqlite_watch_open,
	.watch_wait = sqlite_watch_wait,
};
