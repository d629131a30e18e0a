/*
 * store_sqlite.c - the SQLite backend of the connection store.
 *
 * One database file under the store directory, created empty with mode 0600
 * before SQLite opens it, so the -wal and -shm files SQLite makes next to it
 * inherit 0600.  The connection runs in WAL mode (readers never block the
 * writer), with synchronous=FULL (a committed rekey must survive a power
 * loss before its key file is renamed into place), foreign keys on,
 * secure_delete on (freed pages, which may hold old ciphertext, are zeroed)
 * and a 30 s busy timeout, so concurrent processes queue instead of failing.
 * Write transactions start with BEGIN IMMEDIATE: the write lock is taken
 * first, so a transaction never fails half-way on a lock upgrade.
 *
 * The schema is versioned with PRAGMA user_version: migrations[] holds one
 * step per version, applied in order in one transaction when a database is
 * opened.  Names are unique with COLLATE NOCASE (a connection's within its
 * project), and that unique index is what name lookups use.  Every statement is prepared with bound
 * parameters; no SQL is ever built from input.
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
 * permission requests and agents' jobs.  The backend looks names up in
 * one project at a time (project_use).
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
#include "svcconn/certs.h"
#include "store/store_backend.h"
#include "util/buf.h"
#include "util/fileio.h"

/* How long a statement waits for a lock held by another process. */
#define BUSY_TIMEOUT_MS 30000

struct store_backend {
	sqlite3 *db;  /**< the database connection */
	char *path;   /**< path of the database file, for messages */
	char project[SVC_ID_LEN + 1]; /**< the project names are looked up
					   in and new rows go to (default
					   "default"'s id; project_use) */
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
static int db_fail(store_backend *be, int src, const char *doing)
{
	int base = src & 0xff;

	if (src == SQLITE_CONSTRAINT_UNIQUE ||
	    src == SQLITE_CONSTRAINT_PRIMARYKEY)
		return error_set(SVC_EEXISTS, "cannot %s: %s", doing,
				 sqlite3_errmsg(be->db));
	if (base == SQLITE_BUSY || base == SQLITE_LOCKED)
		return error_set(SVC_ERROR,
				 "cannot %s: store '%s' was locked by another process for more than %d s",
				 doing, be->path, BUSY_TIMEOUT_MS / 1000);
	if (base == SQLITE_NOTADB || base == SQLITE_CORRUPT)
		return error_set(SVC_ERROR,
				 "cannot %s: '%s' is not a valid store database (%s)",
				 doing, be->path, sqlite3_errmsg(be->db));
	return error_set(SVC_ERROR, "cannot %s in '%s': %s", doing, be->path,
			 sqlite3_errmsg(be->db));
}

static int prepare(store_backend *be, sqlite3_stmt **st, const char *sql,
		   const char *doing)
{
	int src = sqlite3_prepare_v2(be->db, sql, -1, st, NULL);

	if (src != SQLITE_OK) {
		*st = NULL;
		return db_fail(be, src, doing);
	}
	return 0;
}

/* Step once: 1 for a row, 0 when done, an SVC_E* code on failure. */
static int step(store_backend *be, sqlite3_stmt *st, const char *doing)
{
	int src = sqlite3_step(st);

	if (src == SQLITE_ROW)
		return 1;
	if (src == SQLITE_DONE)
		return 0;
	return db_fail(be, sqlite3_extended_errcode(be->db), doing);
}

/* Bind a string (NULL binds SQL NULL); 0 or an error. */
static int bind_str(store_backend *be, sqlite3_stmt *st, int i, const char *s)
{
	int src = s ? sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC)
		    : sqlite3_bind_null(st, i);

	return src == SQLITE_OK ? 0 : db_fail(be, src, "bind a parameter");
}

static int bind_bytes(store_backend *be, sqlite3_stmt *st, int i,
		      const void *p, size_t len, int blob)
{
	int src;

	if (!p)
		src = sqlite3_bind_null(st, i);
	else if (blob)
		src = sqlite3_bind_blob64(st, i, p, len, SQLITE_STATIC);
	else
		src = sqlite3_bind_text64(st, i, p, len, SQLITE_STATIC,
					  SQLITE_UTF8);
	return src == SQLITE_OK ? 0 : db_fail(be, src, "bind a parameter");
}

static int bind_int(store_backend *be, sqlite3_stmt *st, int i, long long v)
{
	int src = sqlite3_bind_int64(st, i, v);

	return src == SQLITE_OK ? 0 : db_fail(be, src, "bind a parameter");
}

/* Column i as a C string, or NULL for SQL NULL. */
static const char *col_str(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

/* Run a statement without parameters or results. */
static int exec(store_backend *be, const char *sql, const char *doing)
{
	int src = sqlite3_exec(be->db, sql, NULL, NULL, NULL);

	return src == SQLITE_OK ? 0 : db_fail(be, src, doing);
}

/* One-statement write with bound strings; SVC_ENOTFOUND if no row moved. */
static int changed_or_notfound(store_backend *be, int rc)
{
	if (rc < 0)
		return rc;
	return sqlite3_changes(be->db) > 0 ? 0 : SVC_ENOTFOUND;
}

/* ---- opening ----------------------------------------------------------- */

/* 0 when no row breaks a foreign key after a migration, else an error. */
static int foreign_keys_hold(store_backend *be)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(be, &st, "PRAGMA foreign_key_check",
			  "check the migrated schema")) != 0)
		return rc;
	rc = step(be, st, "check the migrated schema");
	if (rc == 1)
		rc = error_set(SVC_ERROR,
			       "cannot migrate store '%s': a row of table '%s' refers to a missing row",
			       be->path, col_str(st, 0));
	sqlite3_finalize(st);
	return rc;
}

/* 1 when table has column, 0 when not, or an error. */
static int has_column(store_backend *be, const char *table,
		      const char *column)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(be, &st, "SELECT 1 FROM pragma_table_info(?1) "
			  "WHERE name = ?2", "read the schema")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, table)) == 0 &&
	    (rc = bind_str(be, st, 2, column)) == 0)
		rc = step(be, st, "read the schema");
	sqlite3_finalize(st);
	return rc;
}

/* The steps of rebuilds[] of migration version its tables still need. */
static int run_rebuilds(store_backend *be, int version)
{
	size_t i;
	int rc;

	for (i = 0; i < sizeof(rebuilds) / sizeof(rebuilds[0]); i++) {
		if (rebuilds[i].version != version)
			continue;
		rc = has_column(be, rebuilds[i].table, rebuilds[i].column);
		if (rc == 0)
			rc = exec(be, rebuilds[i].sql, "migrate the schema");
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
static int migrate(store_backend *be)
{
	sqlite3_stmt *st = NULL;
	char sql[64];
	int rc, version = 0, i;

	/* off outside the transaction (a no-op inside one): a migration
	 * that rebuilds a table must not cascade its DROP TABLE */
	if ((rc = exec(be, "PRAGMA foreign_keys = OFF", "configure the store")))
		return rc;
	if ((rc = exec(be, "BEGIN IMMEDIATE", "start the schema migration")))
		goto fail;
	if ((rc = prepare(be, &st, "PRAGMA user_version",
			  "read the schema version")) != 0)
		goto fail;
	if ((rc = step(be, st, "read the schema version")) < 0)
		goto fail;
	version = rc == 1 ? sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);
	st = NULL;
	if (version > SCHEMA_VERSION) {
		rc = error_set(SVC_ERROR,
			       "store '%s' has schema version %d, newer than this svcconn knows (%d): upgrade svcconn",
			       be->path, version, SCHEMA_VERSION);
		goto fail;
	}
	if (version == SCHEMA_VERSION) {
		exec(be, "ROLLBACK", "end the schema check");
		return exec(be, "PRAGMA foreign_keys = ON", "configure the store");
	}
	for (i = version; i < SCHEMA_VERSION; i++)
		if ((rc = exec(be, migrations[i], "migrate the schema")) != 0 ||
		    (rc = run_rebuilds(be, i + 1)) != 0)
			goto fail;
	if ((rc = foreign_keys_hold(be)) != 0)
		goto fail;
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", SCHEMA_VERSION);
	if ((rc = exec(be, sql, "set the schema version")) != 0 ||
	    (rc = exec(be, "COMMIT", "commit the schema migration")) != 0)
		goto fail;
	return exec(be, "PRAGMA foreign_keys = ON", "configure the store");
fail:
	sqlite3_finalize(st);
	if (!sqlite3_get_autocommit(be->db))
		sqlite3_exec(be->db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_exec(be->db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
	return rc;
}

/* An existing database file must be ours and private. */
static int check_private_file(const char *path)
{
	struct stat sb;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY |
		      O_NONBLOCK);
	int rc = 0;

	if (fd < 0) {
		if (errno == ENOENT)
			return error_set(SVC_ENOTFOUND,
					 "no store at '%s' (create one with 'svcconn init')",
					 path);
		return error_set(SVC_ERROR, "cannot open store '%s': %s", path,
				 strerror(errno));
	}
	if (fstat(fd, &sb) != 0)
		rc = error_set(SVC_ERROR, "cannot stat store '%s'", path);
	else if (!S_ISREG(sb.st_mode))
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
	close(fd);
	return rc;
}

static int sqlite_remove(const char *path);

/* Names are looked up in the project "default" until told otherwise. */
static int default_project(store_backend *be)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "SELECT id FROM projects WHERE name = 'default'",
			  "find the default project")) != 0)
		return rc;
	rc = step(be, st, "find the default project");
	if (rc == 1 && col_str(st, 0) &&
	    strlen(col_str(st, 0)) <= SVC_ID_LEN)
		snprintf(be->project, sizeof(be->project), "%s",
			 col_str(st, 0));
	else if (rc >= 0)
		rc = error_set(SVC_ERROR, "store '%s' has no project 'default'",
			       be->path);
	sqlite3_finalize(st);
	return rc < 0 ? rc : 0;
}

static void sqlite_close(store_backend *be)
{
	if (!be)
		return;
	sqlite3_close_v2(be->db);
	free(be->path);
	free(be);
}

static int sqlite_open(store_backend **out, const char *path, int create)
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
	};
	store_backend *be;
	sqlite3_stmt *st = NULL;
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
	if (!(be = calloc(1, sizeof(*be))) || !(be->path = strdup(path))) {
		rc = error_oom();
		goto fail;
	}
	src = sqlite3_open_v2(path, &be->db,
			      SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW,
			      NULL);
	if (src != SQLITE_OK) {
		rc = be->db ? db_fail(be, src, "open the store")
			    : error_oom();
		goto fail;
	}
	sqlite3_extended_result_codes(be->db, 1);
	sqlite3_busy_timeout(be->db, BUSY_TIMEOUT_MS);
	sqlite3_db_config(be->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	/* Keep the -wal and -shm files when the last connection closes:
	 * short-lived readers such as git's credential helper would
	 * otherwise create, size and delete both on every run. */
	persist_wal = 1;
	sqlite3_file_control(be->db, "main", SQLITE_FCNTL_PERSIST_WAL,
			     &persist_wal);
	for (i = 0; i < sizeof(setup) / sizeof(setup[0]); i++)
		if ((rc = exec(be, setup[i], "configure the store")) != 0)
			goto fail;
	/* WAL is persistent; setting it again is a cheap no-op */
	if ((rc = prepare(be, &st, "PRAGMA journal_mode = WAL",
			  "switch to WAL mode")) != 0)
		goto fail;
	rc = step(be, st, "switch to WAL mode");
	mode = rc == 1 ? col_str(st, 0) : NULL;
	if (rc >= 0 && (!mode || strcmp(mode, "wal") != 0))
		rc = error_set(SVC_ERROR, "cannot switch store '%s' to WAL mode",
			       path);
	sqlite3_finalize(st);
	if (rc < 0)
		goto fail;
	if ((rc = migrate(be)) != 0 || (rc = default_project(be)) != 0)
		goto fail;
	*out = be;
	return 0;
fail:
	sqlite_close(be);
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

static int sqlite_begin(store_backend *be, int write)
{
	return exec(be, write ? "BEGIN IMMEDIATE" : "BEGIN",
		    "start a transaction");
}

static int sqlite_commit(store_backend *be)
{
	return exec(be, "COMMIT", "commit");
}

static void sqlite_rollback(store_backend *be)
{
	if (!sqlite3_get_autocommit(be->db))
		sqlite3_exec(be->db, "ROLLBACK", NULL, NULL, NULL);
}

static int sqlite_data_version(long long *out, store_backend *be)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(be, &st, "PRAGMA data_version",
			  "read the data version")) != 0)
		return rc;
	if ((rc = step(be, st, "read the data version")) == 1) {
		*out = sqlite3_column_int64(st, 0);
		rc = 0;
	} else if (rc == 0) {
		rc = error_set(SVC_ERROR, "cannot read the data version of '%s'",
			       be->path);
	}
	sqlite3_finalize(st);
	return rc;
}

/* ---- meta -------------------------------------------------------------- */

static int sqlite_meta_get(char **out, store_backend *be, const char *key)
{
	sqlite3_stmt *st;
	const char *v;
	int rc;

	if ((rc = prepare(be, &st, "SELECT value FROM meta WHERE key = ?1",
			  "read store metadata")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, key)) == 0 &&
	    (rc = step(be, st, "read store metadata")) == 1) {
		v = col_str(st, 0);
		rc = v && (*out = strdup(v)) ? 0 : error_oom();
	} else if (rc == 0) {
		rc = SVC_ENOTFOUND;
	}
	sqlite3_finalize(st);
	return rc;
}

static int sqlite_meta_set(store_backend *be, const char *key,
			   const char *value)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "INSERT INTO meta (key, value) VALUES (?1, ?2) "
			  "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
			  "write store metadata")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, key)) == 0 &&
	    (rc = bind_str(be, st, 2, value)) == 0)
		rc = step(be, st, "write store metadata");
	sqlite3_finalize(st);
	return rc < 0 ? rc : 0;
}

static int sqlite_meta_delete(store_backend *be, const char *key)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(be, &st, "DELETE FROM meta WHERE key = ?1",
			  "write store metadata")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, key)) == 0)
		rc = step(be, st, "write store metadata");
	sqlite3_finalize(st);
	return rc < 0 ? rc : 0;
}

/* ---- connections ------------------------------------------------------- */

#define CONN_COLUMNS \
	"id, name, type, scheme, url, description, created_by, created_at, " \
	"updated_by, updated_at, all_pipelines, project_id"

/* A connection from a row whose first columns are CONN_COLUMNS. */
static int conn_from_row(svc_conn **out, sqlite3_stmt *st)
{
	svc_conn *c;
	int rc;

	if ((rc = svc_conn_new(&c, col_str(st, 2), col_str(st, 1))) != 0)
		return rc;
	if ((rc = svc_conn_set_id(c, col_str(st, 0))) != 0 ||
	    (rc = svc_conn_set_scheme(c, col_str(st, 3))) != 0 ||
	    (rc = svc_conn_set_url(c, col_str(st, 4))) != 0 ||
	    (rc = svc_conn_set_description(c, col_str(st, 5))) != 0 ||
	    (rc = svc_conn_set_meta(c, col_str(st, 6), col_str(st, 7),
				    col_str(st, 8), col_str(st, 9))) != 0) {
		svc_conn_free(c);
		return rc;
	}
	svc_conn_set_all_pipelines(c, sqlite3_column_int(st, 10));
	if ((rc = svc_conn_set_project_id(c, col_str(st, 11))) != 0) {
		svc_conn_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

/*
 * Add the field of a row with columns (key, kind, secret, value) starting
 * at column first: a non-secret value, or a secret set but not loaded.
 */
static int field_from_row(svc_conn *c, sqlite3_stmt *st, int first)
{
	const char *key = col_str(st, first);
	svc_field_kind kind = (svc_field_kind)sqlite3_column_int(st, first + 1);
	int secret = sqlite3_column_int(st, first + 2), rc;
	const char *value;

	if (!key)
		return error_oom();
	if (secret)
		return svc_conn_set_field_unloaded(c, key, kind);
	value = col_str(st, first + 3);
	if (!value)
		value = "";
	rc = svc_conn_set_field(c, key, value,
				(size_t)sqlite3_column_bytes(st, first + 3));
	if (rc == 0)
		rc = svc_conn_set_field_class(c, key, kind, 0);
	return rc;
}

static int sqlite_conn_find(char **id, char **name, store_backend *be,
			    const char *name_or_id, unsigned by)
{
	static const char *const sql[] = {
		"SELECT id, name FROM connections WHERE id = ?1",
		/* a name: owned by the project, or shared into it */
		"SELECT id, name FROM connections "
		"WHERE name = ?1 AND project_id = ?2 "
		"UNION ALL SELECT c.id, c.name FROM conn_shares s "
		"JOIN connections c ON c.id = s.conn_id "
		"WHERE s.name = ?1 AND s.project_id = ?2",
	};
	char *i_copy = NULL, *n_copy = NULL;
	sqlite3_stmt *st;
	int rc = 0, pass;

	for (pass = 0; pass < 2; pass++) {
		if (!(by & (pass == 0 ? STORE_FIND_ID : STORE_FIND_NAME)))
			continue;
		if ((rc = prepare(be, &st, sql[pass],
				  "look up a connection")) != 0)
			return rc;
		if ((rc = bind_str(be, st, 1, name_or_id)) == 0 &&
		    (pass == 0 ||
		     (rc = bind_str(be, st, 2, be->project)) == 0))
			rc = step(be, st, "look up a connection");
		if (rc == 1) {
			i_copy = id ? strdup(col_str(st, 0)) : NULL;
			n_copy = name ? strdup(col_str(st, 1)) : NULL;
		}
		sqlite3_finalize(st);
		if (rc < 0)
			return rc;
		if (rc == 1)
			break;
	}
	if (rc != 1)
		return SVC_ENOTFOUND;
	if ((id && !i_copy) || (name && !n_copy)) {
		free(i_copy);
		free(n_copy);
		return error_oom();
	}
	if (id)
		*id = i_copy;
	if (name)
		*name = n_copy;
	return 0;
}

static int sqlite_conn_insert(store_backend *be, const store_conn_row *r)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "INSERT INTO connections (" CONN_COLUMNS ") "
			  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
			  "?12)",
			  "add a connection")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, r->id)) == 0 &&
	    (rc = bind_str(be, st, 2, r->name)) == 0 &&
	    (rc = bind_str(be, st, 3, r->type)) == 0 &&
	    (rc = bind_str(be, st, 4, r->scheme)) == 0 &&
	    (rc = bind_str(be, st, 5, r->url)) == 0 &&
	    (rc = bind_str(be, st, 6, r->description)) == 0 &&
	    (rc = bind_str(be, st, 7, r->created_by)) == 0 &&
	    (rc = bind_str(be, st, 8, r->created_at)) == 0 &&
	    (rc = bind_str(be, st, 9, r->updated_by)) == 0 &&
	    (rc = bind_str(be, st, 10, r->updated_at)) == 0 &&
	    (rc = bind_int(be, st, 11, r->all_pipelines)) == 0 &&
	    (rc = bind_str(be, st, 12, be->project)) == 0)
		rc = step(be, st, "add a connection");
	sqlite3_finalize(st);
	return rc < 0 ? rc : 0;
}

static int sqlite_conn_update(store_backend *be, const store_conn_row *r)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "UPDATE connections SET name = ?2, type = ?3, "
			  "scheme = ?4, url = ?5, description = ?6, "
			  "updated_by = ?7, updated_at = ?8, "
			  "all_pipelines = ?9 WHERE id = ?1",
			  "update a connection")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, r->id)) == 0 &&
	    (rc = bind_str(be, st, 2, r->name)) == 0 &&
	    (rc = bind_str(be, st, 3, r->type)) == 0 &&
	    (rc = bind_str(be, st, 4, r->scheme)) == 0 &&
	    (rc = bind_str(be, st, 5, r->url)) == 0 &&
	    (rc = bind_str(be, st, 6, r->description)) == 0 &&
	    (rc = bind_str(be, st, 7, r->updated_by)) == 0 &&
	    (rc = bind_str(be, st, 8, r->updated_at)) == 0 &&
	    (rc = bind_int(be, st, 9, r->all_pipelines)) == 0)
		rc = step(be, st, "update a connection");
	sqlite3_finalize(st);
	return changed_or_notfound(be, rc);
}

static int sqlite_conn_get(svc_conn **out, store_backend *be, const char *id)
{
	sqlite3_stmt *st;
	svc_conn *c = NULL;
	int rc;

	if ((rc = prepare(be, &st,
			  "SELECT " CONN_COLUMNS " FROM connections WHERE id = ?1",
			  "read a connection")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, id)) == 0 &&
	    (rc = step(be, st, "read a connection")) == 1)
		rc = conn_from_row(&c, st);
	else if (rc == 0)
		rc = SVC_ENOTFOUND;
	sqlite3_finalize(st);
	if (rc)
		return rc;
	if ((rc = prepare(be, &st,
			  "SELECT key, kind, secret, value FROM fields "
			  "WHERE conn_id = ?1 ORDER BY rowid",
			  "read the fields of a connection")) != 0)
		goto done;
	if ((rc = bind_str(be, st, 1, id)) == 0)
		while ((rc = step(be, st, "read the fields of a connection")) == 1)
			if ((rc = field_from_row(c, st, 0)) != 0)
				break;
	sqlite3_finalize(st);
done:
	if (rc) {
		svc_conn_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

static int sqlite_conn_list(svc_conn ***out, size_t *count,
			    store_backend *be)
{
	sqlite3_stmt *st = NULL;
	svc_conn **list = NULL;
	size_t n = 0, have = 0, i = 0;
	const char *cid;
	int rc;

	/* count first, so the array is allocated once (callers hold a
	 * transaction, so the count stays true) */
	if ((rc = prepare(be, &st, "SELECT count(*) FROM connections",
			  "count connections")) != 0)
		return rc;
	if ((rc = step(be, st, "count connections")) == 1)
		n = (size_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	st = NULL;
	if (rc < 0)
		return rc;
	if (!(list = calloc(n ? n : 1, sizeof(*list))))
		return error_oom();
	if ((rc = prepare(be, &st,
			  "SELECT " CONN_COLUMNS " FROM connections "
			  "ORDER BY name", "list connections")) != 0)
		goto done;
	while (have < n && (rc = step(be, st, "list connections")) == 1) {
		if ((rc = conn_from_row(&list[have], st)) != 0)
			goto done;
		have++;
	}
	if (rc < 0)
		goto done;
	sqlite3_finalize(st);
	/* the fields of all of them, in the same order, merged in one walk */
	if ((rc = prepare(be, &st,
			  "SELECT f.conn_id, f.key, f.kind, f.secret, f.value "
			  "FROM connections c JOIN fields f ON f.conn_id = c.id "
			  "ORDER BY c.name, f.rowid", "list fields")) != 0)
		goto done;
	while ((rc = step(be, st, "list fields")) == 1) {
		cid = col_str(st, 0);
		while (i < have && cid &&
		       strcmp(svc_conn_id(list[i]), cid) != 0)
			i++;
		if (i == have)
			break;
		if ((rc = field_from_row(list[i], st, 1)) != 0)
			goto done;
	}
	rc = rc < 0 ? rc : 0;
done:
	sqlite3_finalize(st);
	if (rc) {
		for (i = 0; i < have; i++)
			svc_conn_free(list[i]);
		free(list);
		return rc;
	}
	*out = list;
	*count = have;
	return 0;
}

static int sqlite_conn_delete(store_backend *be, const char *id)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(be, &st, "DELETE FROM connections WHERE id = ?1",
			  "delete a connection")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, id)) == 0)
		rc = step(be, st, "delete a connection");
	sqlite3_finalize(st);
	return changed_or_notfound(be, rc);
}

static int sqlite_conn_rename(store_backend *be, const char *id,
			      const char *name, const char *updated_by,
			      const char *updated_at)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "UPDATE connections SET name = ?2, updated_by = ?3, "
			  "updated_at = ?4 WHERE id = ?1",
			  "rename a connection")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, id)) == 0 &&
	    (rc = bind_str(be, st, 2, name)) == 0 &&
	    (rc = bind_str(be, st, 3, updated_by)) == 0 &&
	    (rc = bind_str(be, st, 4, updated_at)) == 0)
		rc = step(be, st, "rename a connection");
	sqlite3_finalize(st);
	return changed_or_notfound(be, rc);
}

static int sqlite_conn_mac_get(long long *version, svc_buf *mac,
			       store_backend *be, const char *id)
{
	sqlite3_stmt *st;
	const void *p;
	int rc;

	if ((rc = prepare(be, &st,
			  "SELECT m.version, m.mac FROM connections c "
			  "LEFT JOIN conn_macs m ON m.conn_id = c.id "
			  "WHERE c.id = ?1",
			  "read the MAC of a connection")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, id)) == 0 &&
	    (rc = step(be, st, "read the MAC of a connection")) == 1) {
		*version = sqlite3_column_int64(st, 0);
		p = sqlite3_column_blob(st, 1);
		rc = p ? buf_put(mac, p, (size_t)sqlite3_column_bytes(st, 1))
		       : 0;
	} else if (rc == 0) {
		rc = SVC_ENOTFOUND;
	}
	sqlite3_finalize(st);
	return rc;
}

/*
 * Walk the rows (id, name or NULL, version) of sql; a non-zero return of
 * cb stops the walk with it.
 */
static int version_walk(store_backend *be, const char *sql,
			store_version_cb cb, void *ctx)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(be, &st, sql, "read the versions of connections")))
		return rc;
	while ((rc = step(be, st, "read the versions of connections")) == 1) {
		if (!col_str(st, 0)) {
			rc = error_oom();
			break;
		}
		if ((rc = cb(ctx, col_str(st, 0), col_str(st, 1),
			     sqlite3_column_int64(st, 2))) != 0)
			break;
	}
	sqlite3_finalize(st);
	return rc;
}

static int sqlite_conn_mac_list(store_backend *be, store_version_cb cb,
				void *ctx)
{
	return version_walk(be,
			    "SELECT c.id, c.name, coalesce(m.version, 0) "
			    "FROM connections c "
			    "LEFT JOIN conn_macs m ON m.conn_id = c.id", cb, ctx);
}

static int sqlite_manifest_list(store_backend *be, store_version_cb cb,
				void *ctx)
{
	return version_walk(be,
			    "SELECT conn_id, NULL, version FROM conn_manifest "
			    "ORDER BY conn_id", cb, ctx);
}

/* Run sql with id (and version, unless negative) bound. */
static int manifest_write(store_backend *be, const char *sql, const char *id,
			  long long version)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(be, &st, sql, "write the list of versions")) != 0)
		return rc;
	if ((!id || (rc = bind_str(be, st, 1, id)) == 0) &&
	    (version < 0 || (rc = bind_int(be, st, 2, version)) == 0))
		rc = step(be, st, "write the list of versions");
	sqlite3_finalize(st);
	return rc < 0 ? rc : 0;
}

static int sqlite_manifest_put(store_backend *be, const char *id,
			       long long version)
{
	return manifest_write(be,
			      "INSERT INTO conn_manifest (conn_id, version) "
			      "VALUES (?1, ?2) ON CONFLICT (conn_id) DO UPDATE "
			      "SET version = excluded.version", id, version);
}

static int sqlite_manifest_delete(store_backend *be, const char *id)
{
	return manifest_write(be, "DELETE FROM conn_manifest WHERE conn_id = ?1",
			      id, -1);
}

static int sqlite_manifest_clear(store_backend *be)
{
	return manifest_write(be, "DELETE FROM conn_manifest", NULL, -1);
}

static int sqlite_conn_mac_put(store_backend *be, const char *id,
			       long long version, const unsigned char *mac,
			       size_t len)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "INSERT INTO conn_macs (conn_id, version, mac) "
			  "SELECT id, ?2, ?3 FROM connections WHERE id = ?1 "
			  "ON CONFLICT (conn_id) DO UPDATE SET "
			  "version = excluded.version, mac = excluded.mac",
			  "write the MAC of a connection")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, id)) == 0 &&
	    (rc = bind_int(be, st, 2, version)) == 0 &&
	    (rc = bind_bytes(be, st, 3, mac, len, 1)) == 0)
		rc = step(be, st, "write the MAC of a connection");
	sqlite3_finalize(st);
	return changed_or_notfound(be, rc);
}

/* ---- fields and secrets ------------------------------------------------ */

static int sqlite_field_put(store_backend *be, const char *conn_id,
			    const store_field_row *f)
{
	sqlite3_stmt *st;
	int rc;

	if (f->secret && !f->sealed) {
		/* keep the stored ciphertext; only the kind may change */
		if ((rc = prepare(be, &st,
				  "UPDATE fields SET kind = ?3 WHERE conn_id = ?1 "
				  "AND key = ?2 AND secret = 1",
				  "update a field")) != 0)
			return rc;
		if ((rc = bind_str(be, st, 1, conn_id)) == 0 &&
		    (rc = bind_str(be, st, 2, f->key)) == 0 &&
		    (rc = bind_int(be, st, 3, f->kind)) == 0)
			rc = step(be, st, "update a field");
		sqlite3_finalize(st);
		return changed_or_notfound(be, rc);
	}
	if ((rc = prepare(be, &st,
			  "INSERT INTO fields (conn_id, key, kind, secret, value, "
			  "sealed, key_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
			  "ON CONFLICT (conn_id, key) DO UPDATE SET "
			  "key = excluded.key, kind = excluded.kind, "
			  "secret = excluded.secret, value = excluded.value, "
			  "sealed = excluded.sealed, key_id = excluded.key_id",
			  "write a field")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, conn_id)) == 0 &&
	    (rc = bind_str(be, st, 2, f->key)) == 0 &&
	    (rc = bind_int(be, st, 3, f->kind)) == 0 &&
	    (rc = bind_int(be, st, 4, f->secret ? 1 : 0)) == 0 &&
	    (rc = bind_bytes(be, st, 5, f->secret ? NULL : f->value,
			     f->value_len, 0)) == 0 &&
	    (rc = bind_bytes(be, st, 6, f->secret ? f->sealed : NULL,
			     f->sealed_len, 1)) == 0 &&
	    (rc = bind_str(be, st, 7, f->secret ? f->key_id : NULL)) == 0)
		rc = step(be, st, "write a field");
	sqlite3_finalize(st);
	return rc < 0 ? rc : 0;
}

static int sqlite_field_delete(store_backend *be, const char *conn_id,
			       const char *key)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "DELETE FROM fields WHERE conn_id = ?1 AND key = ?2",
			  "delete a field")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, conn_id)) == 0 &&
	    (rc = bind_str(be, st, 2, key)) == 0)
		rc = step(be, st, "delete a field");
	sqlite3_finalize(st);
	return changed_or_notfound(be, rc);
}

static int sqlite_secrets_get(store_backend *be, const char *conn_id,
			      store_sealed_cb cb, void *ctx)
{
	sqlite3_stmt *st;
	store_sealed s;
	int rc;

	rc = prepare(be, &st,
		     conn_id ? "SELECT conn_id, key, kind, sealed, key_id "
			       "FROM fields WHERE secret = 1 AND conn_id = ?1 "
			       "ORDER BY rowid"
			     : "SELECT conn_id, key, kind, sealed, key_id "
			       "FROM fields WHERE secret = 1 ORDER BY rowid",
		     "read secrets");
	if (rc)
		return rc;
	if (conn_id && (rc = bind_str(be, st, 1, conn_id)) != 0)
		goto done;
	while ((rc = step(be, st, "read secrets")) == 1) {
		s.conn_id = col_str(st, 0);
		s.key = col_str(st, 1);
		s.kind = (svc_field_kind)sqlite3_column_int(st, 2);
		s.data = sqlite3_column_blob(st, 3);
		s.len = (size_t)sqlite3_column_bytes(st, 3);
		s.key_id = col_str(st, 4);
		if (!s.conn_id || !s.key || !s.key_id) {
			rc = error_oom();
			break;
		}
		if ((rc = cb(ctx, &s)) != 0)
			break;
	}
	rc = rc < 0 ? rc : 0;
done:
	sqlite3_finalize(st);
	return rc;
}

static int sqlite_secret_put(store_backend *be, const store_sealed *s)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "UPDATE fields SET sealed = ?3, key_id = ?4 "
			  "WHERE conn_id = ?1 AND key = ?2 AND secret = 1",
			  "reseal a secret")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, s->conn_id)) == 0 &&
	    (rc = bind_str(be, st, 2, s->key)) == 0 &&
	    (rc = bind_bytes(be, st, 3, s->data, s->len, 1)) == 0 &&
	    (rc = bind_str(be, st, 4, s->key_id)) == 0)
		rc = step(be, st, "reseal a secret");
	sqlite3_finalize(st);
	return changed_or_notfound(be, rc);
}

/* ---- audit ------------------------------------------------------------- */

static int sqlite_audit_append(store_backend *be, const svc_audit_entry *e)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "INSERT INTO audit (at, actor, action, conn_id, "
			  "conn_name, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
			  "write the audit log")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, e->at)) == 0 &&
	    (rc = bind_str(be, st, 2, e->actor)) == 0 &&
	    (rc = bind_str(be, st, 3, e->action)) == 0 &&
	    (rc = bind_str(be, st, 4, e->conn_id ? e->conn_id : "")) == 0 &&
	    (rc = bind_str(be, st, 5, e->conn_name ? e->conn_name : "")) == 0 &&
	    (rc = bind_str(be, st, 6, e->detail ? e->detail : "{}")) == 0)
		rc = step(be, st, "write the audit log");
	sqlite3_finalize(st);
	return rc < 0 ? rc : 0;
}

static int sqlite_audit_list(store_backend *be, size_t limit,
			     store_audit_cb cb, void *ctx)
{
	sqlite3_stmt *st;
	svc_audit_entry e;
	int rc;

	rc = prepare(be, &st,
		     "SELECT seq, at, actor, action, conn_id, conn_name, detail "
		     "FROM (SELECT * FROM audit ORDER BY seq DESC LIMIT ?1) "
		     "ORDER BY seq", "read the audit log");
	if (rc)
		return rc;
	/* LIMIT -1 is "no limit" in SQLite */
	if ((rc = bind_int(be, st, 1, limit ? (long long)limit : -1)) != 0)
		goto done;
	while ((rc = step(be, st, "read the audit log")) == 1) {
		e.seq = sqlite3_column_int64(st, 0);
		e.at = col_str(st, 1);
		e.actor = col_str(st, 2);
		e.action = col_str(st, 3);
		e.conn_id = col_str(st, 4);
		e.conn_name = col_str(st, 5);
		e.detail = col_str(st, 6);
		if (!e.at || !e.actor || !e.action || !e.conn_id ||
		    !e.conn_name || !e.detail) {
			rc = error_oom();
			break;
		}
		if ((rc = cb(ctx, &e)) != 0)
			break;
	}
	rc = rc < 0 ? rc : 0;
done:
	sqlite3_finalize(st);
	return rc;
}

/* ---- authorization: helpers -------------------------------------------- */

/* Largest list of rows one call hands out (bytes of structs). */
#define LIST_MAX ((size_t)1 << 30)

/* A copy of column i into *out (SQL NULL gives NULL); 0 or out of memory. */
static int col_dup(char **out, sqlite3_stmt *st, int i)
{
	const char *s;

	*out = NULL;
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return 0;
	if (!(s = col_str(st, i)) || !(*out = strdup(s)))
		return error_oom();
	return 0;
}

/* Prepare sql and bind the strings p[0..n-1] to ?1..?n. */
static int prep_strs(store_backend *be, sqlite3_stmt **st, const char *sql,
		     const char *doing, const char *const *p, int n)
{
	int rc, i;

	if ((rc = prepare(be, st, sql, doing)) != 0)
		return rc;
	for (i = 0; i < n; i++) {
		if ((rc = bind_str(be, *st, i + 1, p[i])) != 0) {
			sqlite3_finalize(*st);
			*st = NULL;
			return rc;
		}
	}
	return 0;
}

/* Run a write with the strings p[0..n-1] bound; 0 or an error. */
static int run_strs(store_backend *be, const char *sql, const char *doing,
		    const char *const *p, int n)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = prep_strs(be, &st, sql, doing, p, n)) != 0)
		return rc;
	rc = step(be, st, doing);
	sqlite3_finalize(st);
	return rc < 0 ? rc : 0;
}

/* Rows changed by the last write, as a size. */
static size_t changes(store_backend *be)
{
	int n = sqlite3_changes(be->db);

	return n > 0 ? (size_t)n : 0;
}

/* One element of any list handed out, so a row fits and is aligned. */
union list_item {
	char *s;              /**< a string list's element */
	svc_role_entry role;  /**< a role assignment */
	svc_perm_request req; /**< a permission request */
	svc_check check;      /**< a check */
	svc_check_run run;    /**< a check run */
	svc_approval appr;    /**< an approval */
	svc_usage use;        /**< a usage record */
	svc_cert_expiry exp;  /**< a certificate expiry */
	svc_project proj;     /**< a project */
	svc_share share;      /**< a share of a connection */
};

/*
 * Fill one (zeroed) element from the current row.  On failure the element
 * may be partly filled: the list's free function releases it with the rest.
 */
typedef int (*row_fn)(union list_item *it, sqlite3_stmt *st);
/* Free a list of count elements (the public _free function of its type). */
typedef void (*list_free_fn)(void *list, size_t count);

/*
 * Step through st (finalized here), turning each row into an element of
 * size bytes with fn, in place at the end of one growing array; on failure
 * every element made so far (the partial one included) is freed with fr.
 */
static int collect(void **out, size_t *count, store_backend *be,
		   sqlite3_stmt *st, size_t size, row_fn fn, list_free_fn fr,
		   const char *doing)
{
	static const union list_item zero;
	svc_buf b;
	void *items = NULL;
	size_t n;
	int rc;

	buf_init(&b, LIST_MAX, 0);
	while ((rc = step(be, st, doing)) == 1) {
		if ((rc = buf_put(&b, &zero, size)) != 0)
			break;
		/* the block is malloc'd, so aligned for any element */
		if ((rc = fn((union list_item *)(void *)(b.ptr + b.len - size),
			     st)) != 0)
			break;
	}
	sqlite3_finalize(st);
	n = b.len / size;
	items = buf_detach(&b, NULL);
	if (rc < 0 || !items) {
		if (items)
			fr(items, n);
		return rc < 0 ? rc : error_oom();
	}
	*out = items;
	*count = n;
	return 0;
}

/*
 * collect() over sql with the strings p bound; out is the address of the
 * caller's array pointer (of any element type), set on success.
 */
static int select_list(void *out, size_t *count, store_backend *be,
		       const char *sql, const char *doing,
		       const char *const *p, int n, size_t size, row_fn fn,
		       list_free_fn fr)
{
	sqlite3_stmt *st;
	void *items = NULL;
	int rc;

	if ((rc = prep_strs(be, &st, sql, doing, p, n)) != 0 ||
	    (rc = collect(&items, count, be, st, size, fn, fr, doing)) != 0)
		return rc;
	memcpy(out, &items, sizeof(items));
	return 0;
}

static void strings_free_v(void *p, size_t n)
{
	svc_strings_free(p, n);
}

static int string_row(union list_item *it, sqlite3_stmt *st)
{
	return col_dup(&it->s, st, 0);
}

/* A sorted list of strings from sql with the strings p bound. */
static int string_list(char ***out, size_t *count, store_backend *be,
		       const char *sql, const char *doing,
		       const char *const *p, int n)
{
	return select_list(out, count, be, sql, doing, p, n, sizeof(char *),
			   string_row, strings_free_v);
}

/* One string column of the one row of sql into *out; SVC_ENOTFOUND. */
static int string_get(char **out, store_backend *be, const char *sql,
		      const char *doing, const char *const *p, int n)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = prep_strs(be, &st, sql, doing, p, n)) != 0)
		return rc;
	if ((rc = step(be, st, doing)) == 1)
		rc = out ? col_dup(out, st, 0) : 0;
	else if (rc == 0)
		rc = SVC_ENOTFOUND;
	sqlite3_finalize(st);
	return rc;
}

/* ---- roles and groups -------------------------------------------------- */

/*
 * A scope column of a role: the connection (or project) id, or '' for the
 * store.
 */
static const char *scope(const char *conn_id)
{
	return conn_id ? conn_id : "";
}

static int sqlite_role_put(store_backend *be, const char *conn_id,
			   const char *project_id, const char *principal,
			   svc_role role, const char *by, const char *at)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "INSERT INTO role_assignments (conn_id, principal, "
			  "role, assigned_by, assigned_at, project_id) "
			  "VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
			  "ON CONFLICT (conn_id, project_id, principal) "
			  "DO UPDATE SET "
			  "role = excluded.role, "
			  "assigned_by = excluded.assigned_by, "
			  "assigned_at = excluded.assigned_at",
			  "assign a role")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, scope(conn_id))) == 0 &&
	    (rc = bind_str(be, st, 2, principal)) == 0 &&
	    (rc = bind_int(be, st, 3, (long long)role)) == 0 &&
	    (rc = bind_str(be, st, 4, by)) == 0 &&
	    (rc = bind_str(be, st, 5, at)) == 0 &&
	    (rc = bind_str(be, st, 6, scope(project_id))) == 0)
		rc = step(be, st, "assign a role");
	sqlite3_finalize(st);
	return rc < 0 ? rc : 0;
}

static int sqlite_role_get(svc_role *out, store_backend *be,
			   const char *conn_id, const char *project_id,
			   const char *principal)
{
	const char *p[] = { scope(conn_id), principal, scope(project_id) };
	sqlite3_stmt *st;
	int rc;

	if ((rc = prep_strs(be, &st,
			    "SELECT role FROM role_assignments "
			    "WHERE conn_id = ?1 AND principal = ?2 "
			    "AND project_id = ?3",
			    "read a role", p, 3)) != 0)
		return rc;
	if ((rc = step(be, st, "read a role")) == 1) {
		*out = (svc_role)sqlite3_column_int(st, 0);
		rc = 0;
	} else if (rc == 0) {
		rc = SVC_ENOTFOUND;
	}
	sqlite3_finalize(st);
	return rc;
}

static int sqlite_role_delete(store_backend *be, const char *conn_id,
			      const char *project_id, const char *principal)
{
	const char *p[] = { scope(conn_id), principal, scope(project_id) };

	return changed_or_notfound(be, run_strs(be,
		"DELETE FROM role_assignments "
		"WHERE conn_id = ?1 AND principal = ?2 AND project_id = ?3",
		"remove a role", p, 3));
}

static int sqlite_role_delete_principal(size_t *n, store_backend *be,
					const char *principal)
{
	const char *p[] = { principal };
	int rc;

	rc = run_strs(be, "DELETE FROM role_assignments WHERE principal = ?1",
		      "remove the roles of a principal", p, 1);
	if (rc == 0 && n)
		*n = changes(be);
	return rc;
}

static void roles_free_v(void *p, size_t n)
{
	svc_role_entries_free(p, n);
}

static int role_row(union list_item *it, sqlite3_stmt *st)
{
	it->role.role = (svc_role)sqlite3_column_int(st, 1);
	it->role.is_group = sqlite3_column_int(st, 2) != 0;
	return col_dup(&it->role.principal, st, 0);
}

static int sqlite_role_list(svc_role_entry **out, size_t *count,
			    store_backend *be, const char *conn_id,
			    const char *project_id)
{
	const char *p[] = { scope(conn_id), scope(project_id) };

	return select_list(out, count, be,
			   "SELECT r.principal, r.role, EXISTS (SELECT 1 "
			   "FROM principal_groups g WHERE g.name = r.principal) "
			   "FROM role_assignments r WHERE r.conn_id = ?1 "
			   "AND r.project_id = ?2 ORDER BY r.principal",
			   "list roles", p, 2, sizeof(svc_role_entry),
			   role_row, roles_free_v);
}

static int sqlite_inherit_get(int *on, store_backend *be, const char *conn_id)
{
	const char *p[] = { conn_id };
	sqlite3_stmt *st;
	int rc;

	if ((rc = prep_strs(be, &st,
			    "SELECT inherit_roles FROM connections WHERE id = ?1",
			    "read role inheritance", p, 1)) != 0)
		return rc;
	if ((rc = step(be, st, "read role inheritance")) == 1) {
		*on = sqlite3_column_int(st, 0) != 0;
		rc = 0;
	} else if (rc == 0) {
		rc = SVC_ENOTFOUND;
	}
	sqlite3_finalize(st);
	return rc;
}

static int sqlite_inherit_set(store_backend *be, const char *conn_id, int on)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "UPDATE connections SET inherit_roles = ?2 "
			  "WHERE id = ?1", "set role inheritance")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, conn_id)) == 0 &&
	    (rc = bind_int(be, st, 2, on ? 1 : 0)) == 0)
		rc = step(be, st, "set role inheritance");
	sqlite3_finalize(st);
	return changed_or_notfound(be, rc);
}

static int sqlite_group_insert(store_backend *be, const char *name,
			       const char *by, const char *at)
{
	const char *p[] = { name, by, at };

	return run_strs(be,
			"INSERT INTO principal_groups (name, created_by, "
			"created_at) VALUES (?1, ?2, ?3)",
			"create a group", p, 3);
}

static int sqlite_group_find(store_backend *be, const char *name)
{
	const char *p[] = { name };

	return string_get(NULL, be,
			  "SELECT name FROM principal_groups WHERE name = ?1",
			  "look up a group", p, 1);
}

static int sqlite_group_delete(size_t *members, store_backend *be,
			       const char *name)
{
	const char *p[] = { name };
	int rc;

	rc = run_strs(be, "DELETE FROM group_members WHERE group_name = ?1",
		      "delete the members of a group", p, 1);
	if (rc == 0 && members)
		*members = changes(be);
	if (rc == 0)
		rc = changed_or_notfound(be, run_strs(be,
			"DELETE FROM principal_groups WHERE name = ?1",
			"delete a group", p, 1));
	return rc;
}

static int sqlite_member_insert(store_backend *be, const char *group,
				const char *member, const char *by,
				const char *at)
{
	const char *p[] = { group, member, by, at };

	return run_strs(be,
			"INSERT INTO group_members (group_name, member, "
			"added_by, added_at) VALUES (?1, ?2, ?3, ?4)",
			"add a group member", p, 4);
}

static int sqlite_member_delete(store_backend *be, const char *group,
				const char *member)
{
	const char *p[] = { group, member };

	return changed_or_notfound(be, run_strs(be,
		"DELETE FROM group_members "
		"WHERE group_name = ?1 AND member = ?2",
		"remove a group member", p, 2));
}

static int sqlite_group_list(char ***out, size_t *count, store_backend *be,
			     const char *group)
{
	const char *p[] = { group };

	if (!group)
		return string_list(out, count, be,
				   "SELECT name FROM principal_groups "
				   "ORDER BY name", "list groups", p, 0);
	return string_list(out, count, be,
			   "SELECT member FROM group_members "
			   "WHERE group_name = ?1 ORDER BY member",
			   "list the members of a group", p, 1);
}

static int sqlite_groups_of(char ***out, size_t *count, store_backend *be,
			    const char *member)
{
	const char *p[] = { member };

	return string_list(out, count, be,
			   "SELECT group_name FROM group_members "
			   "WHERE member = ?1 ORDER BY group_name",
			   "list the groups of a principal", p, 1);
}

/* ---- pipeline permissions and requests --------------------------------- */

static int sqlite_conn_set_all_pipelines(store_backend *be,
					 const char *conn_id, int all,
					 const char *by, const char *at)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "UPDATE connections SET all_pipelines = ?2, "
			  "updated_by = ?3, updated_at = ?4 WHERE id = ?1",
			  "open a connection to all pipelines")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, conn_id)) == 0 &&
	    (rc = bind_int(be, st, 2, all ? 1 : 0)) == 0 &&
	    (rc = bind_str(be, st, 3, by)) == 0 &&
	    (rc = bind_str(be, st, 4, at)) == 0)
		rc = step(be, st, "open a connection to all pipelines");
	sqlite3_finalize(st);
	return changed_or_notfound(be, rc);
}

static int sqlite_pipeline_insert(store_backend *be, const char *conn_id,
				  const char *pipeline, const char *by,
				  const char *at)
{
	const char *p[] = { conn_id, pipeline, by, at, be->project };

	return run_strs(be,
			"INSERT INTO pipeline_permissions (conn_id, pipeline, "
			"added_by, added_at, project_id) "
			"VALUES (?1, ?2, ?3, ?4, ?5)",
			"authorize a pipeline", p, 5);
}

static int sqlite_pipeline_delete(store_backend *be, const char *conn_id,
				  const char *pipeline)
{
	const char *p[] = { conn_id, pipeline, be->project };

	return changed_or_notfound(be, run_strs(be,
		"DELETE FROM pipeline_permissions "
		"WHERE conn_id = ?1 AND pipeline = ?2 AND project_id = ?3",
		"remove a pipeline's permission", p, 3));
}

static int sqlite_pipeline_find(store_backend *be, const char *conn_id,
				const char *pipeline)
{
	const char *p[] = { conn_id, pipeline, be->project };

	return string_get(NULL, be,
			  "SELECT pipeline FROM pipeline_permissions "
			  "WHERE conn_id = ?1 AND pipeline = ?2 "
			  "AND project_id = ?3",
			  "look up a pipeline's permission", p, 3);
}

static int sqlite_pipeline_list(char ***out, size_t *count,
				store_backend *be, const char *conn_id)
{
	const char *p[] = { conn_id, be->project };

	return string_list(out, count, be,
			   "SELECT pipeline FROM pipeline_permissions "
			   "WHERE conn_id = ?1 AND project_id = ?2 "
			   "ORDER BY pipeline",
			   "list authorized pipelines", p, 2);
}

static int sqlite_request_insert(store_backend *be, const svc_perm_request *r)
{
	const char *p[] = { r->id, r->conn_id, r->pipeline, r->run_id,
			    r->requested_by, r->at, r->status,
			    r->decided_by, be->project };

	return run_strs(be,
			"INSERT INTO permission_requests (id, conn_id, "
			"pipeline, run_id, requested_by, at, status, "
			"decided_by, project_id) "
			"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
			"record a permission request", p, 9);
}

static int sqlite_request_find_pending(char **id, store_backend *be,
				       const char *conn_id,
				       const char *pipeline)
{
	const char *p[] = { conn_id, pipeline };

	return string_get(id, be,
			  "SELECT id FROM permission_requests WHERE "
			  "conn_id = ?1 AND pipeline = ?2 AND status = 'pending'",
			  "look up a permission request", p, 2);
}

#define REQUEST_COLUMNS \
	"r.id, r.conn_id, c.name, r.pipeline, r.run_id, r.requested_by, " \
	"r.at, r.status, r.decided_by " \
	"FROM permission_requests r JOIN connections c ON c.id = r.conn_id"

static void requests_free_v(void *p, size_t n)
{
	svc_perm_requests_free(p, n);
}

static int request_row(union list_item *it, sqlite3_stmt *st)
{
	svc_perm_request *r = &it->req;
	int rc;

	if ((rc = col_dup(&r->id, st, 0)) == 0 &&
	    (rc = col_dup(&r->conn_id, st, 1)) == 0 &&
	    (rc = col_dup(&r->conn_name, st, 2)) == 0 &&
	    (rc = col_dup(&r->pipeline, st, 3)) == 0 &&
	    (rc = col_dup(&r->run_id, st, 4)) == 0 &&
	    (rc = col_dup(&r->requested_by, st, 5)) == 0 &&
	    (rc = col_dup(&r->at, st, 6)) == 0 &&
	    (rc = col_dup(&r->status, st, 7)) == 0)
		rc = col_dup(&r->decided_by, st, 8);
	return rc;
}

static int sqlite_request_get(svc_perm_request **out, store_backend *be,
			      const char *id)
{
	const char *p[] = { id };
	sqlite3_stmt *st;
	size_t n;
	void *items = NULL;
	int rc;

	if ((rc = prep_strs(be, &st, "SELECT " REQUEST_COLUMNS
			    " WHERE r.id = ?1", "read a permission request",
			    p, 1)) != 0)
		return rc;
	if ((rc = collect(&items, &n, be, st, sizeof(svc_perm_request),
			  request_row, requests_free_v,
			  "read a permission request")) != 0)
		return rc;
	if (n == 0) {
		free(items);
		return SVC_ENOTFOUND;
	}
	*out = items;
	return 0;
}

static int sqlite_request_list(svc_perm_request **out, size_t *count,
			       store_backend *be, int pending_only)
{
	sqlite3_stmt *st;
	void *items = NULL;
	int rc;

	if ((rc = prepare(be, &st, pending_only
			  ? "SELECT " REQUEST_COLUMNS
			    " WHERE r.status = 'pending' ORDER BY r.seq"
			  : "SELECT " REQUEST_COLUMNS " ORDER BY r.seq",
			  "list permission requests")) != 0)
		return rc;
	if ((rc = collect(&items, count, be, st, sizeof(svc_perm_request),
			  request_row, requests_free_v,
			  "list permission requests")) != 0)
		return rc;
	*out = items;
	return 0;
}

static int sqlite_request_decide(store_backend *be, const char *id,
				 const char *status, const char *by,
				 const char *at)
{
	const char *p[] = { id, status, by, at };

	return changed_or_notfound(be, run_strs(be,
		"UPDATE permission_requests SET status = ?2, "
		"decided_by = ?3, decided_at = ?4 WHERE id = ?1",
		"decide a permission request", p, 4));
}

/* ---- checks, their runs and approvals ---------------------------------- */

#define CHECK_COLUMNS \
	"id, conn_id, kind, config, enabled, seq, created_by, created_at " \
	"FROM checks"

static void checks_free_v(void *p, size_t n)
{
	svc_checks_free(p, n);
}

static int check_row(union list_item *it, sqlite3_stmt *st)
{
	svc_check *c = &it->check;
	int rc;

	c->enabled = sqlite3_column_int(st, 4) != 0;
	c->seq = sqlite3_column_int64(st, 5);
	if ((rc = col_dup(&c->id, st, 0)) == 0 &&
	    (rc = col_dup(&c->conn_id, st, 1)) == 0 &&
	    (rc = col_dup(&c->kind, st, 2)) == 0 &&
	    (rc = col_dup(&c->config, st, 3)) == 0 &&
	    (rc = col_dup(&c->created_by, st, 6)) == 0)
		rc = col_dup(&c->created_at, st, 7);
	return rc;
}

static int sqlite_check_insert(store_backend *be, const svc_check *c)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "INSERT INTO checks (id, conn_id, kind, config, "
			  "enabled, created_by, created_at) "
			  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
			  "add a check")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, c->id)) == 0 &&
	    (rc = bind_str(be, st, 2, c->conn_id)) == 0 &&
	    (rc = bind_str(be, st, 3, c->kind)) == 0 &&
	    (rc = bind_str(be, st, 4, c->config)) == 0 &&
	    (rc = bind_int(be, st, 5, c->enabled ? 1 : 0)) == 0 &&
	    (rc = bind_str(be, st, 6, c->created_by)) == 0 &&
	    (rc = bind_str(be, st, 7, c->created_at)) == 0)
		rc = step(be, st, "add a check");
	sqlite3_finalize(st);
	return rc < 0 ? rc : 0;
}

static int sqlite_check_delete(store_backend *be, const char *id)
{
	const char *p[] = { id };
	int rc;

	if ((rc = run_strs(be,
			   "DELETE FROM approvals WHERE check_run_id IN "
			   "(SELECT id FROM check_runs WHERE check_id = ?1)",
			   "delete the approvals of a check", p, 1)) != 0 ||
	    (rc = run_strs(be, "DELETE FROM check_runs WHERE check_id = ?1",
			   "delete the runs of a check", p, 1)) != 0)
		return rc;
	return changed_or_notfound(be, run_strs(be,
		"DELETE FROM checks WHERE id = ?1", "delete a check", p, 1));
}

static int sqlite_check_set_enabled(store_backend *be, const char *id,
				    int enabled)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "UPDATE checks SET enabled = ?2 WHERE id = ?1",
			  "enable a check")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, id)) == 0 &&
	    (rc = bind_int(be, st, 2, enabled ? 1 : 0)) == 0)
		rc = step(be, st, "enable a check");
	sqlite3_finalize(st);
	return changed_or_notfound(be, rc);
}

static int sqlite_check_get(svc_check **out, store_backend *be,
			    const char *id)
{
	const char *p[] = { id };
	sqlite3_stmt *st;
	void *items = NULL;
	size_t n;
	int rc;

	if ((rc = prep_strs(be, &st, "SELECT " CHECK_COLUMNS " WHERE id = ?1",
			    "read a check", p, 1)) != 0)
		return rc;
	if ((rc = collect(&items, &n, be, st, sizeof(svc_check), check_row,
			  checks_free_v, "read a check")) != 0)
		return rc;
	if (n == 0) {
		free(items);
		return SVC_ENOTFOUND;
	}
	*out = items;
	return 0;
}

static int sqlite_check_list(svc_check **out, size_t *count,
			     store_backend *be, const char *conn_id)
{
	const char *p[] = { conn_id };
	sqlite3_stmt *st;
	void *items = NULL;
	int rc;

	rc = prep_strs(be, &st,
		       conn_id ? "SELECT " CHECK_COLUMNS
				 " WHERE conn_id = ?1 ORDER BY seq"
			       : "SELECT " CHECK_COLUMNS " ORDER BY seq",
		       "list checks", p, conn_id ? 1 : 0);
	if (rc)
		return rc;
	if ((rc = collect(&items, count, be, st, sizeof(svc_check), check_row,
			  checks_free_v, "list checks")) != 0)
		return rc;
	*out = items;
	return 0;
}

/* A run's columns, its check's connection and kind joined, no stage ''. */
#define RUN_COLUMNS \
	"r.id, r.check_id, c.conn_id, c.kind, r.pipeline, r.run_id, " \
	"NULLIF(r.stage, ''), r.requested_by, r.status, r.state, r.message, " \
	"r.started_at, r.updated_at, r.version " \
	"FROM check_runs r JOIN checks c ON c.id = r.check_id"

static void runs_free_v(void *p, size_t n)
{
	svc_check_runs_free(p, n);
}

static int run_row(union list_item *it, sqlite3_stmt *st)
{
	svc_check_run *r = &it->run;
	int rc;

	r->version = sqlite3_column_int64(st, 13);
	if ((rc = col_dup(&r->id, st, 0)) == 0 &&
	    (rc = col_dup(&r->check_id, st, 1)) == 0 &&
	    (rc = col_dup(&r->conn_id, st, 2)) == 0 &&
	    (rc = col_dup(&r->kind, st, 3)) == 0 &&
	    (rc = col_dup(&r->pipeline, st, 4)) == 0 &&
	    (rc = col_dup(&r->run_id, st, 5)) == 0 &&
	    (rc = col_dup(&r->stage, st, 6)) == 0 &&
	    (rc = col_dup(&r->requested_by, st, 7)) == 0 &&
	    (rc = col_dup(&r->status, st, 8)) == 0 &&
	    (rc = col_dup(&r->state, st, 9)) == 0 &&
	    (rc = col_dup(&r->message, st, 10)) == 0 &&
	    (rc = col_dup(&r->started_at, st, 11)) == 0)
		rc = col_dup(&r->updated_at, st, 12);
	return rc;
}

/* The one run st selects (finalized here); SVC_ENOTFOUND. */
static int run_one(svc_check_run **out, store_backend *be, sqlite3_stmt *st)
{
	void *items = NULL;
	size_t n;
	int rc;

	if ((rc = collect(&items, &n, be, st, sizeof(svc_check_run), run_row,
			  runs_free_v, "read a check run")) != 0)
		return rc;
	if (n == 0) {
		free(items);
		return SVC_ENOTFOUND;
	}
	*out = items;
	return 0;
}

static int sqlite_check_run_insert(int *inserted, store_backend *be,
				   const svc_check_run *r)
{
	sqlite3_stmt *st;
	int rc;

	/* the unique key decides: a second start finds the first's row */
	if ((rc = prepare(be, &st,
			  "INSERT INTO check_runs (id, check_id, pipeline, "
			  "run_id, stage, requested_by, status, state, message, "
			  "started_at, updated_at, version) VALUES (?1, ?2, ?3, "
			  "?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, 1) "
			  "ON CONFLICT (check_id, pipeline, run_id, stage) "
			  "DO NOTHING", "start a check run")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, r->id)) == 0 &&
	    (rc = bind_str(be, st, 2, r->check_id)) == 0 &&
	    (rc = bind_str(be, st, 3, r->pipeline)) == 0 &&
	    (rc = bind_str(be, st, 4, r->run_id)) == 0 &&
	    (rc = bind_str(be, st, 5, r->stage)) == 0 &&
	    (rc = bind_str(be, st, 6, r->requested_by)) == 0 &&
	    (rc = bind_str(be, st, 7, r->status)) == 0 &&
	    (rc = bind_str(be, st, 8, r->state)) == 0 &&
	    (rc = bind_str(be, st, 9, r->message)) == 0 &&
	    (rc = bind_str(be, st, 10, r->started_at)) == 0)
		rc = step(be, st, "start a check run");
	sqlite3_finalize(st);
	if (rc < 0)
		return rc;
	if (inserted)
		*inserted = sqlite3_changes(be->db) > 0;
	return 0;
}

static int sqlite_check_run_find(svc_check_run **out, store_backend *be,
				 const char *check_id, const char *pipeline,
				 const char *run_id, const char *stage)
{
	const char *p[] = { check_id, pipeline, run_id, stage };
	sqlite3_stmt *st;
	int rc;

	if ((rc = prep_strs(be, &st, "SELECT " RUN_COLUMNS
			    " WHERE r.check_id = ?1 AND r.pipeline = ?2 AND "
			    "r.run_id = ?3 AND r.stage = ?4",
			    "look up a check run", p, 4)) != 0)
		return rc;
	return run_one(out, be, st);
}

static int sqlite_check_run_get(svc_check_run **out, store_backend *be,
				const char *id)
{
	const char *p[] = { id };
	sqlite3_stmt *st;
	int rc;

	if ((rc = prep_strs(be, &st, "SELECT " RUN_COLUMNS " WHERE r.id = ?1",
			    "read a check run", p, 1)) != 0)
		return rc;
	return run_one(out, be, st);
}

static int sqlite_check_run_cas(store_backend *be, const char *id,
				long long version, const char *status,
				const char *state, const char *message,
				const char *updated_at)
{
	const char *p[] = { id };
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "UPDATE check_runs SET "
			  "status = coalesce(?3, status), "
			  "state = coalesce(?4, state), "
			  "message = coalesce(?5, message), "
			  "updated_at = ?6, version = version + 1 "
			  "WHERE id = ?1 AND version = ?2",
			  "update a check run")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, id)) == 0 &&
	    (rc = bind_int(be, st, 2, version)) == 0 &&
	    (rc = bind_str(be, st, 3, status)) == 0 &&
	    (rc = bind_str(be, st, 4, state)) == 0 &&
	    (rc = bind_str(be, st, 5, message)) == 0 &&
	    (rc = bind_str(be, st, 6, updated_at)) == 0)
		rc = step(be, st, "update a check run");
	sqlite3_finalize(st);
	if (rc < 0)
		return rc;
	if (sqlite3_changes(be->db) > 0)
		return 0;
	/* no row moved: a stale version, or no such run */
	rc = string_get(NULL, be, "SELECT id FROM check_runs WHERE id = ?1",
			"look up a check run", p, 1);
	return rc == 0 ? SVC_EPENDING : rc;
}

static int sqlite_check_run_list(svc_check_run **out, size_t *count,
				 store_backend *be, int pending_only,
				 const char *kind)
{
	sqlite3_stmt *st;
	void *items = NULL;
	int rc;

	if ((rc = prepare(be, &st, "SELECT " RUN_COLUMNS
			  " WHERE (?1 = 0 OR r.status = 'pending') AND "
			  "(?2 IS NULL OR c.kind = ?2) ORDER BY r.seq",
			  "list check runs")) != 0)
		return rc;
	if ((rc = bind_int(be, st, 1, pending_only ? 1 : 0)) != 0 ||
	    (rc = bind_str(be, st, 2, kind)) != 0) {
		sqlite3_finalize(st);
		return rc;
	}
	if ((rc = collect(&items, count, be, st, sizeof(svc_check_run),
			  run_row, runs_free_v, "list check runs")) != 0)
		return rc;
	*out = items;
	return 0;
}

static int sqlite_approval_insert(store_backend *be, const svc_approval *a)
{
	const char *p[] = { a->check_run_id, a->actor, a->as_approver,
			    a->decision, a->comment, a->defer_until, a->at };

	return run_strs(be,
			"INSERT INTO approvals (check_run_id, actor, "
			"as_approver, decision, comment, defer_until, at) "
			"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
			"record an approval", p, 7);
}

static void approvals_free_v(void *p, size_t n)
{
	svc_approvals_free(p, n);
}

static int approval_row(union list_item *it, sqlite3_stmt *st)
{
	svc_approval *a = &it->appr;
	int rc;

	a->seq = sqlite3_column_int64(st, 0);
	if ((rc = col_dup(&a->check_run_id, st, 1)) == 0 &&
	    (rc = col_dup(&a->actor, st, 2)) == 0 &&
	    (rc = col_dup(&a->as_approver, st, 3)) == 0 &&
	    (rc = col_dup(&a->decision, st, 4)) == 0 &&
	    (rc = col_dup(&a->comment, st, 5)) == 0 &&
	    (rc = col_dup(&a->defer_until, st, 6)) == 0)
		rc = col_dup(&a->at, st, 7);
	return rc;
}

static int sqlite_approval_list(svc_approval **out, size_t *count,
				store_backend *be, const char *check_run_id)
{
	const char *p[] = { check_run_id };
	sqlite3_stmt *st;
	void *items = NULL;
	int rc;

	if ((rc = prep_strs(be, &st,
			    "SELECT seq, check_run_id, actor, as_approver, "
			    "decision, comment, defer_until, at FROM approvals "
			    "WHERE check_run_id = ?1 ORDER BY seq",
			    "list approvals", p, 1)) != 0)
		return rc;
	if ((rc = collect(&items, count, be, st, sizeof(svc_approval),
			  approval_row, approvals_free_v,
			  "list approvals")) != 0)
		return rc;
	*out = items;
	return 0;
}

/* ---- exclusive locks --------------------------------------------------- */

static int sqlite_lock_expire(store_backend *be, const char *conn_id,
			      long long now)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "DELETE FROM lock_holders "
			  "WHERE conn_id = ?1 AND lease_expires <= ?2",
			  "release an expired lock")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, conn_id)) == 0 &&
	    (rc = bind_int(be, st, 2, now)) == 0)
		rc = step(be, st, "release an expired lock");
	sqlite3_finalize(st);
	return rc < 0 ? rc : 0;
}

static int sqlite_lock_holder_get(char **holder, store_backend *be,
				  const char *conn_id)
{
	const char *p[] = { conn_id };

	return string_get(holder, be,
			  "SELECT holder FROM lock_holders WHERE conn_id = ?1",
			  "read a lock", p, 1);
}

static int sqlite_lock_holder_put(store_backend *be, const char *conn_id,
				  const char *holder, long long lease_expires,
				  const char *acquired_at)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "INSERT INTO lock_holders (conn_id, holder, "
			  "lease_expires, acquired_at) VALUES (?1, ?2, ?3, ?4) "
			  "ON CONFLICT (conn_id) DO UPDATE SET "
			  "holder = excluded.holder, "
			  "lease_expires = excluded.lease_expires, "
			  "acquired_at = excluded.acquired_at",
			  "take a lock")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, conn_id)) == 0 &&
	    (rc = bind_str(be, st, 2, holder)) == 0 &&
	    (rc = bind_int(be, st, 3, lease_expires)) == 0 &&
	    (rc = bind_str(be, st, 4, acquired_at)) == 0)
		rc = step(be, st, "take a lock");
	sqlite3_finalize(st);
	return rc < 0 ? rc : 0;
}

static int sqlite_lock_renew(store_backend *be, const char *conn_id,
			     const char *holder, long long lease_expires)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "UPDATE lock_holders SET lease_expires = ?3 "
			  "WHERE holder = ?2 AND (?1 IS NULL OR conn_id = ?1)",
			  "renew a lock")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, conn_id)) == 0 &&
	    (rc = bind_str(be, st, 2, holder)) == 0 &&
	    (rc = bind_int(be, st, 3, lease_expires)) == 0)
		rc = step(be, st, "renew a lock");
	sqlite3_finalize(st);
	return changed_or_notfound(be, rc);
}

static int sqlite_lock_release(store_backend *be, const char *holder,
			       int keep_queue)
{
	const char *p[] = { holder };
	int rc;

	if ((rc = run_strs(be, "DELETE FROM lock_holders WHERE holder = ?1",
			   "release a lock", p, 1)) != 0 || keep_queue)
		return rc;
	return run_strs(be, "DELETE FROM lock_queue WHERE holder = ?1",
			"leave a lock queue", p, 1);
}

static int sqlite_lock_queue_status(char **status, store_backend *be,
				    const char *conn_id, const char *holder)
{
	const char *p[] = { conn_id, holder };

	return string_get(status, be,
			  "SELECT status FROM lock_queue "
			  "WHERE conn_id = ?1 AND holder = ?2",
			  "read a lock queue", p, 2);
}

static int sqlite_lock_queue_add(store_backend *be, const char *conn_id,
				 const char *holder, const char *queued_at)
{
	const char *p[] = { conn_id, holder, queued_at };

	return run_strs(be,
			"INSERT INTO lock_queue (conn_id, holder, queued_at, "
			"status) VALUES (?1, ?2, ?3, 'waiting') "
			"ON CONFLICT (conn_id, holder) DO NOTHING",
			"queue for a lock", p, 3);
}

static int sqlite_lock_queue_next(char **holder, store_backend *be,
				  const char *conn_id, int newest)
{
	const char *p[] = { conn_id };

	return string_get(holder, be, newest
			  ? "SELECT holder FROM lock_queue WHERE conn_id = ?1 "
			    "AND status = 'waiting' ORDER BY seq DESC LIMIT 1"
			  : "SELECT holder FROM lock_queue WHERE conn_id = ?1 "
			    "AND status = 'waiting' ORDER BY seq LIMIT 1",
			  "read a lock queue", p, 1);
}

static int sqlite_lock_queue_cancel_older(store_backend *be,
					  const char *conn_id,
					  const char *holder)
{
	const char *p[] = { conn_id, holder };

	return run_strs(be,
			"UPDATE lock_queue SET status = 'canceled' "
			"WHERE conn_id = ?1 AND status = 'waiting' "
			"AND holder <> ?2 AND seq < coalesce((SELECT seq "
			"FROM lock_queue WHERE conn_id = ?1 AND holder = ?2), "
			"9223372036854775807)",
			"cancel older lock waiters", p, 2);
}

static int sqlite_lock_queue_set(store_backend *be, const char *conn_id,
				 const char *holder, const char *status)
{
	const char *p[] = { conn_id, holder, status };

	return changed_or_notfound(be, run_strs(be,
		"UPDATE lock_queue SET status = ?3 "
		"WHERE conn_id = ?1 AND holder = ?2",
		"update a lock queue", p, 3));
}

static int sqlite_lock_queue_remove(store_backend *be, const char *conn_id,
				    const char *holder)
{
	const char *p[] = { conn_id, holder };

	return run_strs(be,
			"DELETE FROM lock_queue "
			"WHERE conn_id = ?1 AND holder = ?2",
			"leave a lock queue", p, 2);
}

/* ---- usage history ----------------------------------------------------- */

static int sqlite_usage_insert(store_backend *be, const svc_usage *u)
{
	const char *p[] = { u->conn_id, u->conn_name, u->pipeline, u->run_id,
			    u->stage, u->job, u->requested_by, u->decision,
			    u->message, u->at, u->result, u->finished_at };

	return run_strs(be,
			"INSERT INTO usage_history (conn_id, conn_name, "
			"pipeline, run_id, stage, job, requested_by, decision, "
			"message, at, result, finished_at) VALUES (?1, ?2, "
			"?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
			"record a use", p, 12);
}

static int sqlite_usage_finish(size_t *n, store_backend *be,
			       const char *pipeline, const char *run_id,
			       const char *stage, const char *job,
			       const char *result, const char *at)
{
	const char *p[] = { pipeline, run_id, stage, job, result, at };
	int rc;

	rc = run_strs(be,
		      "UPDATE usage_history SET result = ?5, finished_at = ?6 "
		      "WHERE run_id = ?2 AND pipeline = ?1 AND stage IS ?3 "
		      "AND job IS ?4 AND decision = 'granted' "
		      "AND result IS NULL",
		      "record the end of a use", p, 6);
	if (rc == 0 && n)
		*n = changes(be);
	return rc;
}

static void usages_free_v(void *p, size_t n)
{
	svc_usages_free(p, n);
}

static int usage_row(union list_item *it, sqlite3_stmt *st)
{
	svc_usage *u = &it->use;
	int rc;

	u->id = sqlite3_column_int64(st, 0);
	if ((rc = col_dup(&u->conn_id, st, 1)) == 0 &&
	    (rc = col_dup(&u->conn_name, st, 2)) == 0 &&
	    (rc = col_dup(&u->pipeline, st, 3)) == 0 &&
	    (rc = col_dup(&u->run_id, st, 4)) == 0 &&
	    (rc = col_dup(&u->stage, st, 5)) == 0 &&
	    (rc = col_dup(&u->job, st, 6)) == 0 &&
	    (rc = col_dup(&u->requested_by, st, 7)) == 0 &&
	    (rc = col_dup(&u->decision, st, 8)) == 0 &&
	    (rc = col_dup(&u->message, st, 9)) == 0 &&
	    (rc = col_dup(&u->at, st, 10)) == 0 &&
	    (rc = col_dup(&u->result, st, 11)) == 0)
		rc = col_dup(&u->finished_at, st, 12);
	return rc;
}

#define USAGE_COLUMNS \
	"id, conn_id, conn_name, pipeline, run_id, stage, job, requested_by, " \
	"decision, message, at, result, finished_at FROM usage_history"

static int sqlite_usage_list(svc_usage **out, size_t *count,
			     store_backend *be, const char *conn_id,
			     size_t limit)
{
	sqlite3_stmt *st;
	void *items = NULL;
	int rc;

	rc = prepare(be, &st,
		     conn_id ? "SELECT " USAGE_COLUMNS
			       " WHERE conn_id = ?1 ORDER BY id DESC LIMIT ?2"
			     : "SELECT " USAGE_COLUMNS
			       " ORDER BY id DESC LIMIT ?2",
		     "list usage");
	if (rc)
		return rc;
	/* LIMIT -1 is "no limit" in SQLite */
	if ((conn_id && (rc = bind_str(be, st, 1, conn_id)) != 0) ||
	    (rc = bind_int(be, st, 2,
			   limit ? (long long)limit : -1)) != 0) {
		sqlite3_finalize(st);
		return rc;
	}
	if ((rc = collect(&items, count, be, st, sizeof(svc_usage), usage_row,
			  usages_free_v, "list usage")) != 0)
		return rc;
	*out = items;
	return 0;
}

static int sqlite_conn_authz_delete(store_backend *be, const char *conn_id)
{
	static const char *const sql[] = {
		"DELETE FROM role_assignments WHERE conn_id = ?1",
		"DELETE FROM pipeline_permissions WHERE conn_id = ?1",
		"DELETE FROM permission_requests WHERE conn_id = ?1",
		("DELETE FROM approvals WHERE check_run_id IN (SELECT r.id "
		 "FROM check_runs r JOIN checks c ON c.id = r.check_id "
		 "WHERE c.conn_id = ?1)"),
		("DELETE FROM check_runs WHERE check_id IN "
		 "(SELECT id FROM checks WHERE conn_id = ?1)"),
		"DELETE FROM checks WHERE conn_id = ?1",
		"DELETE FROM lock_holders WHERE conn_id = ?1",
		"DELETE FROM lock_queue WHERE conn_id = ?1",
	};
	const char *p[] = { conn_id };
	size_t i;
	int rc = 0;

	for (i = 0; i < sizeof(sql) / sizeof(sql[0]) && rc == 0; i++)
		rc = run_strs(be, sql[i],
			      "delete the authorization of a connection", p, 1);
	return rc;
}

/* ---- git credentials ----------------------------------------------- */

static int sqlite_gitcred_list(store_backend *be,
			       const store_gitcred_pattern *want,
			       store_gitcred_cb cb, void *ctx)
{
	store_gitcred_row r;
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "SELECT id, protocol, host, path, username, "
			  "sealed_password, key_id, created_at, updated_at "
			  "FROM git_credentials "
			  "WHERE (?1 IS NULL OR protocol = ?1) "
			  "AND (?2 IS NULL OR host = ?2) "
			  "AND (?3 IS NULL OR path = ?3) "
			  "AND (?4 IS NULL OR username = ?4) "
			  "ORDER BY id DESC",
			  "read git credentials")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, want->protocol)) != 0 ||
	    (rc = bind_str(be, st, 2, want->host)) != 0 ||
	    (rc = bind_str(be, st, 3, want->path)) != 0 ||
	    (rc = bind_str(be, st, 4, want->username)) != 0)
		goto done;
	while ((rc = step(be, st, "read git credentials")) == 1) {
		r.id = sqlite3_column_int64(st, 0);
		r.protocol = col_str(st, 1);
		r.host = col_str(st, 2);
		r.path = col_str(st, 3);
		r.username = col_str(st, 4);
		r.sealed = sqlite3_column_blob(st, 5);
		r.sealed_len = (size_t)sqlite3_column_bytes(st, 5);
		r.key_id = col_str(st, 6);
		r.created_at = col_str(st, 7);
		r.updated_at = col_str(st, 8);
		if (!r.protocol || !r.host || !r.path || !r.username ||
		    !r.key_id || !r.created_at || !r.updated_at) {
			rc = error_oom();
			break;
		}
		if (!r.sealed)
			r.sealed = (const unsigned char *)"";
		if ((rc = cb(ctx, &r)) != 0)
			break;
	}
	rc = rc < 0 ? rc : 0;
done:
	sqlite3_finalize(st);
	return rc;
}

static int sqlite_gitcred_insert(long long *id, store_backend *be,
				 const store_gitcred_row *r)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "INSERT INTO git_credentials (protocol, host, path, "
			  "username, sealed_password, key_id, created_at, "
			  "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
			  "store a git credential")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, r->protocol)) == 0 &&
	    (rc = bind_str(be, st, 2, r->host)) == 0 &&
	    (rc = bind_str(be, st, 3, r->path)) == 0 &&
	    (rc = bind_str(be, st, 4, r->username)) == 0 &&
	    (rc = bind_bytes(be, st, 5, r->sealed, r->sealed_len, 1)) == 0 &&
	    (rc = bind_str(be, st, 6, r->key_id)) == 0 &&
	    (rc = bind_str(be, st, 7, r->created_at)) == 0 &&
	    (rc = bind_str(be, st, 8, r->updated_at)) == 0)
		rc = step(be, st, "store a git credential");
	sqlite3_finalize(st);
	if (rc < 0)
		return rc;
	if (id)
		*id = (long long)sqlite3_last_insert_rowid(be->db);
	return 0;
}

static int sqlite_gitcred_delete(store_backend *be, long long id)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(be, &st, "DELETE FROM git_credentials WHERE id = ?1",
			  "erase a git credential")) != 0)
		return rc;
	if ((rc = bind_int(be, st, 1, id)) == 0)
		rc = step(be, st, "erase a git credential");
	sqlite3_finalize(st);
	return changed_or_notfound(be, rc);
}

static int sqlite_gitcred_reseal(store_backend *be, long long id,
				 const unsigned char *sealed, size_t len,
				 const char *key_id)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "UPDATE git_credentials SET sealed_password = ?2, "
			  "key_id = ?3 WHERE id = ?1",
			  "reseal a git credential")) != 0)
		return rc;
	if ((rc = bind_int(be, st, 1, id)) == 0 &&
	    (rc = bind_bytes(be, st, 2, sealed, len, 1)) == 0 &&
	    (rc = bind_str(be, st, 3, key_id)) == 0)
		rc = step(be, st, "reseal a git credential");
	sqlite3_finalize(st);
	return changed_or_notfound(be, rc);
}

/* ---- OIDC signing keys ------------------------------------------------- */

static int sqlite_oidc_key_list(store_backend *be, store_oidc_key_cb cb,
				void *ctx)
{
	store_oidc_key_row r;
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "SELECT kid, alg, sealed_key, key_id, created_at, "
			  "retired_at, signed_until, drop_at FROM oidc_keys "
			  "ORDER BY created_at, rowid",
			  "read the OIDC signing keys")) != 0)
		return rc;
	while ((rc = step(be, st, "read the OIDC signing keys")) == 1) {
		r.kid = col_str(st, 0);
		r.alg = col_str(st, 1);
		r.sealed = sqlite3_column_blob(st, 2);
		r.sealed_len = (size_t)sqlite3_column_bytes(st, 2);
		r.key_id = col_str(st, 3);
		r.created_at = sqlite3_column_int64(st, 4);
		r.retired_at = sqlite3_column_int64(st, 5);
		r.signed_until = sqlite3_column_int64(st, 6);
		r.drop_at = sqlite3_column_int64(st, 7);
		if (!r.kid || !r.alg || !r.key_id) {
			rc = error_oom();
			break;
		}
		if (!r.sealed)
			r.sealed = (const unsigned char *)"";
		if ((rc = cb(ctx, &r)) != 0)
			break;
	}
	rc = rc < 0 ? rc : 0;
	sqlite3_finalize(st);
	return rc;
}

static int sqlite_oidc_key_insert(store_backend *be,
				  const store_oidc_key_row *r)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "INSERT INTO oidc_keys (kid, alg, sealed_key, key_id, "
			  "created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
			  "store an OIDC signing key")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, r->kid)) == 0 &&
	    (rc = bind_str(be, st, 2, r->alg)) == 0 &&
	    (rc = bind_bytes(be, st, 3, r->sealed, r->sealed_len, 1)) == 0 &&
	    (rc = bind_str(be, st, 4, r->key_id)) == 0 &&
	    (rc = bind_int(be, st, 5, r->created_at)) == 0)
		rc = step(be, st, "store an OIDC signing key");
	sqlite3_finalize(st);
	return rc < 0 ? rc : 0;
}

static int sqlite_oidc_key_times(store_backend *be,
				 const store_oidc_key_row *r)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "UPDATE oidc_keys SET retired_at = ?2, "
			  "signed_until = ?3, drop_at = ?4 WHERE kid = ?1",
			  "update an OIDC signing key")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, r->kid)) == 0 &&
	    (rc = r->retired_at ? bind_int(be, st, 2, r->retired_at) : 0) == 0 &&
	    (rc = bind_int(be, st, 3, r->signed_until)) == 0 &&
	    (rc = r->retired_at ? bind_int(be, st, 4, r->drop_at) : 0) == 0)
		rc = step(be, st, "update an OIDC signing key");
	sqlite3_finalize(st);
	return changed_or_notfound(be, rc);
}

static int sqlite_oidc_key_reseal(store_backend *be, const char *kid,
				  const unsigned char *sealed, size_t len,
				  const char *key_id)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "UPDATE oidc_keys SET sealed_key = ?2, key_id = ?3 "
			  "WHERE kid = ?1", "reseal an OIDC signing key")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, kid)) == 0 &&
	    (rc = bind_bytes(be, st, 2, sealed, len, 1)) == 0 &&
	    (rc = bind_str(be, st, 3, key_id)) == 0)
		rc = step(be, st, "reseal an OIDC signing key");
	sqlite3_finalize(st);
	return changed_or_notfound(be, rc);
}

static int sqlite_oidc_key_drop(size_t *n, store_backend *be, long long now)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "DELETE FROM oidc_keys WHERE drop_at IS NOT NULL "
			  "AND drop_at <= ?1", "drop OIDC signing keys")) != 0)
		return rc;
	if ((rc = bind_int(be, st, 1, now)) == 0)
		rc = step(be, st, "drop OIDC signing keys");
	sqlite3_finalize(st);
	if (rc < 0)
		return rc;
	if (n)
		*n = (size_t)sqlite3_changes(be->db);
	return 0;
}

/* ---- personal access tokens ------------------------------------------- */

#define TOKEN_COLUMNS \
	"id, hash, owner, name, scopes, created, expires, last_used, revoked"

/* Hand each row of the prepared statement st to cb; 1 when one was. */
static int token_rows(store_backend *be, sqlite3_stmt *st, store_token_cb cb,
		      void *ctx)
{
	store_token_row r;
	int rc, seen = 0;

	while ((rc = step(be, st, "read access tokens")) == 1) {
		r.id = col_str(st, 0);
		r.hash = sqlite3_column_blob(st, 1);
		r.hash_len = (size_t)sqlite3_column_bytes(st, 1);
		r.owner = col_str(st, 2);
		r.name = col_str(st, 3);
		r.scopes = col_str(st, 4);
		r.created = sqlite3_column_int64(st, 5);
		r.expires = sqlite3_column_int64(st, 6);
		r.last_used = sqlite3_column_int64(st, 7);
		r.revoked = sqlite3_column_int64(st, 8);
		if (!r.id || !r.owner || !r.name || !r.scopes)
			return error_oom();
		if (!r.hash)
			r.hash = (const unsigned char *)"";
		seen = 1;
		if ((rc = cb(ctx, &r)) != 0)
			return rc < 0 ? rc : seen;
	}
	return rc < 0 ? rc : seen;
}

static int sqlite_token_insert(store_backend *be, const store_token_row *r)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "INSERT INTO access_tokens (" TOKEN_COLUMNS ") "
			  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
			  "store an access token")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, r->id)) == 0 &&
	    (rc = bind_bytes(be, st, 2, r->hash, r->hash_len, 1)) == 0 &&
	    (rc = bind_str(be, st, 3, r->owner)) == 0 &&
	    (rc = bind_str(be, st, 4, r->name)) == 0 &&
	    (rc = bind_str(be, st, 5, r->scopes)) == 0 &&
	    (rc = bind_int(be, st, 6, r->created)) == 0 &&
	    (rc = bind_int(be, st, 7, r->expires)) == 0 &&
	    (rc = bind_int(be, st, 8, r->last_used)) == 0 &&
	    (rc = bind_int(be, st, 9, r->revoked)) == 0)
		rc = step(be, st, "store an access token");
	sqlite3_finalize(st);
	return rc < 0 ? rc : 0;
}

static int sqlite_token_get(store_backend *be, const char *id,
			    store_token_cb cb, void *ctx)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "SELECT " TOKEN_COLUMNS " FROM access_tokens "
			  "WHERE id = ?1", "read an access token")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, id)) == 0)
		rc = token_rows(be, st, cb, ctx);
	sqlite3_finalize(st);
	return rc < 0 ? rc : (rc == 0 ? SVC_ENOTFOUND : 0);
}

static int sqlite_token_list(store_backend *be, const char *owner,
			     store_token_cb cb, void *ctx)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "SELECT " TOKEN_COLUMNS " FROM access_tokens "
			  "WHERE ?1 IS NULL OR owner = ?1 "
			  "ORDER BY created, id", "read access tokens")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, owner)) == 0)
		rc = token_rows(be, st, cb, ctx);
	sqlite3_finalize(st);
	return rc < 0 ? rc : 0;
}

static int sqlite_token_revoke(store_backend *be, const char *id, long long at)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "UPDATE access_tokens SET revoked = CASE revoked "
			  "WHEN 0 THEN ?2 ELSE revoked END WHERE id = ?1",
			  "revoke an access token")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, id)) == 0 &&
	    (rc = bind_int(be, st, 2, at)) == 0)
		rc = step(be, st, "revoke an access token");
	sqlite3_finalize(st);
	return changed_or_notfound(be, rc);
}

static int sqlite_token_touch(store_backend *be, const char *id, long long at)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "UPDATE access_tokens SET last_used = ?2 "
			  "WHERE id = ?1", "record an access token's use")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, id)) == 0 &&
	    (rc = bind_int(be, st, 2, at)) == 0)
		rc = step(be, st, "record an access token's use");
	sqlite3_finalize(st);
	return rc < 0 ? rc : 0;
}

/* ---- registered pipelines ---------------------------------------------- */

static int sqlite_pipedef_insert(store_backend *be, const store_pipedef_row *r)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "INSERT INTO pipeline_defs (name, conn_id, url, path, "
			  "branch, created_by, created, project_id) "
			  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
			  "register a pipeline")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, r->name)) == 0 &&
	    (rc = bind_str(be, st, 2, r->conn_id)) == 0 &&
	    (rc = bind_str(be, st, 3, r->url)) == 0 &&
	    (rc = bind_str(be, st, 4, r->path)) == 0 &&
	    (rc = bind_str(be, st, 5, r->branch)) == 0 &&
	    (rc = bind_str(be, st, 6, r->created_by)) == 0 &&
	    (rc = bind_int(be, st, 7, r->created)) == 0 &&
	    (rc = bind_str(be, st, 8, be->project)) == 0)
		rc = step(be, st, "register a pipeline");
	sqlite3_finalize(st);
	return rc < 0 ? rc : 0;
}

static int sqlite_pipedef_list(store_backend *be, const char *name,
			       store_pipedef_cb cb, void *ctx)
{
	store_pipedef_row r;
	sqlite3_stmt *st;
	int rc, seen = 0;

	if ((rc = prepare(be, &st,
			  "SELECT p.name, p.conn_id, c.name, p.url, p.path, "
			  "p.branch, p.created_by, p.created "
			  "FROM pipeline_defs p JOIN connections c "
			  "ON c.id = p.conn_id "
			  "WHERE p.project_id = ?2 AND "
			  "(?1 IS NULL OR p.name = ?1 COLLATE NOCASE) "
			  "ORDER BY p.name COLLATE NOCASE",
			  "read registered pipelines")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, name)) != 0 ||
	    (rc = bind_str(be, st, 2, be->project)) != 0)
		goto done;
	while ((rc = step(be, st, "read registered pipelines")) == 1) {
		r.name = col_str(st, 0);
		r.conn_id = col_str(st, 1);
		r.conn_name = col_str(st, 2);
		r.url = col_str(st, 3);
		r.path = col_str(st, 4);
		r.branch = col_str(st, 5);
		r.created_by = col_str(st, 6);
		r.created = sqlite3_column_int64(st, 7);
		if (!r.name || !r.conn_id || !r.conn_name || !r.url ||
		    !r.path || !r.created_by) {
			rc = error_oom();
			break;
		}
		seen = 1;
		if ((rc = cb(ctx, &r)) != 0)
			break;
	}
done:
	sqlite3_finalize(st);
	if (rc < 0)
		return rc;
	return name && !seen ? SVC_ENOTFOUND : 0;
}

static int sqlite_pipedef_delete(store_backend *be, const char *name)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "DELETE FROM pipeline_defs WHERE name = ?1 "
			  "COLLATE NOCASE AND project_id = ?2",
			  "remove a registered pipeline")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, name)) == 0 &&
	    (rc = bind_str(be, st, 2, be->project)) == 0)
		rc = step(be, st, "remove a registered pipeline");
	sqlite3_finalize(st);
	return changed_or_notfound(be, rc);
}

/* ---- projects and shared connections ------------------------------------ */

static int sqlite_project_use(store_backend *be, const char *id)
{
	if (!id || strlen(id) > SVC_ID_LEN)
		return error_set(SVC_EINVALID, "invalid project id '%s'",
				 id ? id : "");
	snprintf(be->project, sizeof(be->project), "%s", id);
	return 0;
}

static const char *sqlite_project_current(store_backend *be)
{
	return be->project;
}

static int sqlite_project_insert(store_backend *be, const svc_project *r)
{
	const char *p[] = { r->id, r->name, r->description ? r->description
							    : "",
			    r->created_by, r->created_at };

	return run_strs(be,
			"INSERT INTO projects (id, name, description, "
			"created_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
			"create a project", p, 5);
}

static void projects_free_v(void *p, size_t n)
{
	svc_projects_free(p, n);
}

static int project_row(union list_item *it, sqlite3_stmt *st)
{
	int rc;

	if ((rc = col_dup(&it->proj.id, st, 0)) == 0 &&
	    (rc = col_dup(&it->proj.name, st, 1)) == 0 &&
	    (rc = col_dup(&it->proj.description, st, 2)) == 0 &&
	    (rc = col_dup(&it->proj.created_by, st, 3)) == 0)
		rc = col_dup(&it->proj.created_at, st, 4);
	return rc;
}

static int sqlite_project_list(svc_project **out, size_t *count,
			       store_backend *be, const char *name_or_id)
{
	const char *p[] = { name_or_id };

	return select_list(out, count, be,
			   "SELECT id, name, description, created_by, "
			   "created_at FROM projects WHERE ?1 IS NULL OR "
			   "id = ?1 OR name = ?1 COLLATE NOCASE "
			   "ORDER BY name COLLATE NOCASE",
			   "list projects", p, 1, sizeof(svc_project),
			   project_row, projects_free_v);
}

static int sqlite_project_delete(store_backend *be, const char *id)
{
	const char *p[] = { id };
	int rc;

	/* its roles, pipelines and the shares into it go with it */
	if ((rc = run_strs(be, "DELETE FROM role_assignments "
			   "WHERE project_id = ?1", "delete a project", p, 1)) ||
	    (rc = run_strs(be, "DELETE FROM conn_shares WHERE project_id = ?1",
			   "delete a project", p, 1)) ||
	    (rc = run_strs(be, "DELETE FROM pipeline_permissions "
			   "WHERE project_id = ?1", "delete a project", p, 1)) ||
	    (rc = run_strs(be, "DELETE FROM pipeline_defs WHERE project_id = ?1",
			   "delete a project", p, 1)))
		return rc;
	return changed_or_notfound(be, run_strs(be,
		"DELETE FROM projects WHERE id = ?1", "delete a project", p, 1));
}

static int sqlite_project_conn_count(long long *n, store_backend *be,
				     const char *id)
{
	const char *p[] = { id };
	sqlite3_stmt *st;
	int rc;

	if ((rc = prep_strs(be, &st, "SELECT count(*) FROM connections "
			    "WHERE project_id = ?1", "count connections",
			    p, 1)) != 0)
		return rc;
	if ((rc = step(be, st, "count connections")) == 1)
		*n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc < 0 ? rc : 0;
}

static int sqlite_share_put(store_backend *be, const char *conn_id,
			    const char *project_id, const char *name,
			    const char *description, const char *by,
			    const char *at)
{
	const char *p[] = { conn_id, project_id, name,
			    description ? description : "", by, at };

	return run_strs(be,
			"INSERT INTO conn_shares (conn_id, project_id, name, "
			"description, shared_by, shared_at) "
			"VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
			"ON CONFLICT (conn_id, project_id) DO UPDATE SET "
			"name = excluded.name, "
			"description = excluded.description",
			"share a connection", p, 6);
}

static int sqlite_share_delete(store_backend *be, const char *conn_id,
			       const char *project_id)
{
	const char *p[] = { conn_id, project_id };

	return changed_or_notfound(be, run_strs(be,
		"DELETE FROM conn_shares WHERE conn_id = ?1 AND project_id = ?2",
		"unshare a connection", p, 2));
}

static int share_row(union list_item *it, sqlite3_stmt *st)
{
	int rc;

	if ((rc = col_dup(&it->share.project_id, st, 0)) == 0 &&
	    (rc = col_dup(&it->share.project, st, 1)) == 0 &&
	    (rc = col_dup(&it->share.name, st, 2)) == 0)
		rc = col_dup(&it->share.description, st, 3);
	return rc;
}

static void shares_free_v(void *p, size_t n)
{
	svc_shares_free(p, n);
}

static int sqlite_share_list(svc_share **out, size_t *count,
			     store_backend *be, const char *conn_id)
{
	const char *p[] = { conn_id };

	return select_list(out, count, be,
			   "SELECT s.project_id, p.name, s.name, s.description "
			   "FROM conn_shares s JOIN projects p "
			   "ON p.id = s.project_id WHERE s.conn_id = ?1 "
			   "ORDER BY p.name COLLATE NOCASE",
			   "list the shares of a connection", p, 1,
			   sizeof(svc_share), share_row, shares_free_v);
}

/* ---- agent pools and agents --------------------------------------------- */

static int sqlite_pool_insert(store_backend *be, const store_pool_row *r)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "INSERT INTO agent_pools (name, trusted, created_by, "
			  "created) VALUES (?1, ?2, ?3, ?4)",
			  "store an agent pool")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, r->name)) == 0 &&
	    (rc = bind_int(be, st, 2, r->trusted)) == 0 &&
	    (rc = bind_str(be, st, 3, r->created_by)) == 0 &&
	    (rc = bind_int(be, st, 4, r->created)) == 0)
		rc = step(be, st, "store an agent pool");
	sqlite3_finalize(st);
	return rc < 0 ? rc : 0;
}

static int sqlite_pool_list(store_backend *be, const char *name,
			    store_pool_cb cb, void *ctx)
{
	sqlite3_stmt *st;
	store_pool_row r;
	int rc;

	if ((rc = prepare(be, &st,
			  "SELECT name, trusted, created_by, created FROM "
			  "agent_pools WHERE ?1 IS NULL OR name = ?1 "
			  "ORDER BY name", "read agent pools")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, name)) == 0)
		while ((rc = step(be, st, "read agent pools")) == 1) {
			r.name = col_str(st, 0);
			r.trusted = (int)sqlite3_column_int64(st, 1);
			r.created_by = col_str(st, 2);
			r.created = sqlite3_column_int64(st, 3);
			if (!r.name || !r.created_by) {
				rc = error_oom();
				break;
			}
			if ((rc = cb(ctx, &r)) != 0)
				break;
		}
	sqlite3_finalize(st);
	return rc < 0 ? rc : 0;
}

static int sqlite_agent_insert(store_backend *be, const store_agent_row *r)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "INSERT INTO agents (name, pool, token_id, "
			  "created_by, created, revoked) "
			  "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
			  "store an agent")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, r->name)) == 0 &&
	    (rc = bind_str(be, st, 2, r->pool)) == 0 &&
	    (rc = bind_str(be, st, 3, r->token_id)) == 0 &&
	    (rc = bind_str(be, st, 4, r->created_by)) == 0 &&
	    (rc = bind_int(be, st, 5, r->created)) == 0 &&
	    (rc = bind_int(be, st, 6, r->revoked)) == 0)
		rc = step(be, st, "store an agent");
	sqlite3_finalize(st);
	return rc < 0 ? rc : 0;
}

static int sqlite_agent_list(store_backend *be, const char *name,
			     store_agent_cb cb, void *ctx)
{
	sqlite3_stmt *st;
	store_agent_row r;
	int rc;

	if ((rc = prepare(be, &st,
			  "SELECT name, pool, token_id, created_by, created, "
			  "revoked FROM agents WHERE ?1 IS NULL OR name = ?1 "
			  "ORDER BY name", "read agents")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, name)) == 0)
		while ((rc = step(be, st, "read agents")) == 1) {
			r.name = col_str(st, 0);
			r.pool = col_str(st, 1);
			r.token_id = col_str(st, 2);
			r.created_by = col_str(st, 3);
			r.created = sqlite3_column_int64(st, 4);
			r.revoked = sqlite3_column_int64(st, 5);
			if (!r.name || !r.pool || !r.token_id ||
			    !r.created_by) {
				rc = error_oom();
				break;
			}
			if ((rc = cb(ctx, &r)) != 0)
				break;
		}
	sqlite3_finalize(st);
	return rc < 0 ? rc : 0;
}

static int sqlite_agent_revoke(store_backend *be, const char *name,
			       long long at)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "UPDATE agents SET revoked = CASE revoked "
			  "WHEN 0 THEN ?2 ELSE revoked END WHERE name = ?1",
			  "revoke an agent")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, name)) == 0 &&
	    (rc = bind_int(be, st, 2, at)) == 0)
		rc = step(be, st, "revoke an agent");
	sqlite3_finalize(st);
	return changed_or_notfound(be, rc);
}

#define JOB_COLUMNS \
	"id, agent, pipeline, run_id, stage, job, holder, locks, conns, " \
	"token_id, source, state, result, lease_expires, started, ended"

static int sqlite_job_insert(store_backend *be, const store_job_row *r)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "INSERT INTO agent_jobs (" JOB_COLUMNS ") VALUES "
			  "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
			  "?13, ?14, ?15, ?16)", "store an agent's job")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, r->id)) == 0 &&
	    (rc = bind_str(be, st, 2, r->agent)) == 0 &&
	    (rc = bind_str(be, st, 3, r->pipeline)) == 0 &&
	    (rc = bind_str(be, st, 4, r->run_id)) == 0 &&
	    (rc = bind_str(be, st, 5, r->stage)) == 0 &&
	    (rc = bind_str(be, st, 6, r->job)) == 0 &&
	    (rc = bind_str(be, st, 7, r->holder)) == 0 &&
	    (rc = bind_int(be, st, 8, r->locks)) == 0 &&
	    (rc = bind_str(be, st, 9, r->conns)) == 0 &&
	    (rc = bind_str(be, st, 10, r->token_id)) == 0 &&
	    (rc = bind_str(be, st, 11, r->source)) == 0 &&
	    (rc = bind_str(be, st, 12, r->state)) == 0 &&
	    (rc = bind_str(be, st, 13, r->result)) == 0 &&
	    (rc = bind_int(be, st, 14, r->lease_expires)) == 0 &&
	    (rc = bind_int(be, st, 15, r->started)) == 0 &&
	    (rc = bind_int(be, st, 16, r->ended)) == 0)
		rc = step(be, st, "store an agent's job");
	sqlite3_finalize(st);
	return rc < 0 ? rc : 0;
}

static int sqlite_job_list(store_backend *be, const char *id,
			   long long expired_at, store_job_cb cb, void *ctx)
{
	sqlite3_stmt *st;
	store_job_row r;
	int rc;

	if ((rc = prepare(be, &st,
			  "SELECT " JOB_COLUMNS " FROM agent_jobs WHERE "
			  "(?1 IS NULL OR id = ?1) AND (?2 = 0 OR "
			  "(state = 'running' AND lease_expires <= ?2)) "
			  "ORDER BY started, id", "read agents' jobs")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, id)) == 0 &&
	    (rc = bind_int(be, st, 2, expired_at)) == 0)
		while ((rc = step(be, st, "read agents' jobs")) == 1) {
			r.id = col_str(st, 0);
			r.agent = col_str(st, 1);
			r.pipeline = col_str(st, 2);
			r.run_id = col_str(st, 3);
			r.stage = col_str(st, 4);
			r.job = col_str(st, 5);
			r.holder = col_str(st, 6);
			r.locks = (int)sqlite3_column_int64(st, 7);
			r.conns = col_str(st, 8);
			r.token_id = col_str(st, 9);
			r.source = col_str(st, 10);
			r.state = col_str(st, 11);
			r.result = col_str(st, 12);
			r.lease_expires = sqlite3_column_int64(st, 13);
			r.started = sqlite3_column_int64(st, 14);
			r.ended = sqlite3_column_int64(st, 15);
			if (!r.id || !r.agent || !r.pipeline || !r.run_id ||
			    !r.job || !r.holder || !r.conns || !r.token_id ||
			    !r.source || !r.state) {
				rc = error_oom();
				break;
			}
			if ((rc = cb(ctx, &r)) != 0)
				break;
		}
	sqlite3_finalize(st);
	return rc < 0 ? rc : 0;
}

static int sqlite_job_update(store_backend *be, const char *id,
			     const char *state, const char *result,
			     long long lease_expires, long long ended)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = prepare(be, &st,
			  "UPDATE agent_jobs SET state = ?2, result = ?3, "
			  "lease_expires = ?4, ended = ?5 WHERE id = ?1",
			  "update an agent's job")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, id)) == 0 &&
	    (rc = bind_str(be, st, 2, state)) == 0 &&
	    (rc = bind_str(be, st, 3, result)) == 0 &&
	    (rc = bind_int(be, st, 4, lease_expires)) == 0 &&
	    (rc = bind_int(be, st, 5, ended)) == 0)
		rc = step(be, st, "update an agent's job");
	sqlite3_finalize(st);
	return changed_or_notfound(be, rc);
}

/* ---- certificate expiry ------------------------------------------------ */

static int sqlite_expiry_put(store_backend *be, const char *conn_id,
			     const char *field, long long not_after,
			     const char *checked_at)
{
	sqlite3_stmt *st;
	int rc;

	if (!checked_at)
		return run_strs(be, "DELETE FROM cert_expiry WHERE conn_id = ?1",
				"forget a certificate expiry", &conn_id, 1);
	if ((rc = prepare(be, &st,
			  "INSERT OR REPLACE INTO cert_expiry (conn_id, field, "
			  "not_after, checked_at) VALUES (?1, ?2, ?3, ?4)",
			  "record a certificate expiry")) != 0)
		return rc;
	if ((rc = bind_str(be, st, 1, conn_id)) == 0 &&
	    (rc = bind_str(be, st, 2, field)) == 0 &&
	    /* unbound, not_after stays NULL */
	    (rc = field ? bind_int(be, st, 3, not_after) : 0) == 0 &&
	    (rc = bind_str(be, st, 4, checked_at)) == 0)
		rc = step(be, st, "record a certificate expiry");
	sqlite3_finalize(st);
	return rc < 0 ? rc : 0;
}

static void expiry_free_v(void *p, size_t n)
{
	svc_cert_expiry_list_free(p, n);
}

static int expiry_row(union list_item *it, sqlite3_stmt *st)
{
	svc_cert_expiry *e = &it->exp;
	int rc;

	e->known = sqlite3_column_type(st, 5) != SQLITE_NULL;
	e->not_after = sqlite3_column_int64(st, 4);
	if ((rc = col_dup((char **)&e->conn_id, st, 0)) != 0 ||
	    (rc = col_dup((char **)&e->name, st, 1)) != 0 ||
	    (rc = col_dup((char **)&e->type, st, 2)) != 0 ||
	    (rc = col_dup((char **)&e->field, st, 3)) != 0)
		return rc;
	return col_dup((char **)&e->checked_at, st, 5);
}

static int sqlite_expiry_list(svc_cert_expiry **out, size_t *count,
			      store_backend *be)
{
	sqlite3_stmt *st;
	void *items = NULL;
	int rc;

	if ((rc = prepare(be, &st,
			  "SELECT c.id, c.name, c.type, e.field, e.not_after, "
			  "e.checked_at FROM connections c LEFT JOIN "
			  "cert_expiry e ON e.conn_id = c.id ORDER BY c.name",
			  "list certificate expiry")) != 0)
		return rc;
	if ((rc = collect(&items, count, be, st, sizeof(svc_cert_expiry),
			  expiry_row, expiry_free_v,
			  "list certificate expiry")) != 0)
		return rc;
	*out = items;
	return 0;
}

const store_backend_ops store_sqlite_ops = {
	.name = "sqlite",
	.project_use = sqlite_project_use,
	.project_current = sqlite_project_current,
	.project_insert = sqlite_project_insert,
	.project_list = sqlite_project_list,
	.project_delete = sqlite_project_delete,
	.project_conn_count = sqlite_project_conn_count,
	.share_put = sqlite_share_put,
	.share_delete = sqlite_share_delete,
	.share_list = sqlite_share_list,
	.open = sqlite_open,
	.close = sqlite_close,
	.remove = sqlite_remove,
	.begin = sqlite_begin,
	.commit = sqlite_commit,
	.rollback = sqlite_rollback,
	.meta_get = sqlite_meta_get,
	.data_version = sqlite_data_version,
	.meta_set = sqlite_meta_set,
	.meta_delete = sqlite_meta_delete,
	.conn_find = sqlite_conn_find,
	.conn_insert = sqlite_conn_insert,
	.conn_update = sqlite_conn_update,
	.conn_get = sqlite_conn_get,
	.conn_list = sqlite_conn_list,
	.conn_delete = sqlite_conn_delete,
	.conn_rename = sqlite_conn_rename,
	.conn_mac_get = sqlite_conn_mac_get,
	.conn_mac_list = sqlite_conn_mac_list,
	.conn_mac_put = sqlite_conn_mac_put,
	.manifest_list = sqlite_manifest_list,
	.manifest_put = sqlite_manifest_put,
	.manifest_delete = sqlite_manifest_delete,
	.manifest_clear = sqlite_manifest_clear,
	.field_put = sqlite_field_put,
	.field_delete = sqlite_field_delete,
	.secrets_get = sqlite_secrets_get,
	.secret_put = sqlite_secret_put,
	.audit_append = sqlite_audit_append,
	.audit_list = sqlite_audit_list,
	.role_put = sqlite_role_put,
	.role_get = sqlite_role_get,
	.role_delete = sqlite_role_delete,
	.role_delete_principal = sqlite_role_delete_principal,
	.role_list = sqlite_role_list,
	.inherit_get = sqlite_inherit_get,
	.inherit_set = sqlite_inherit_set,
	.group_insert = sqlite_group_insert,
	.group_find = sqlite_group_find,
	.group_delete = sqlite_group_delete,
	.member_insert = sqlite_member_insert,
	.member_delete = sqlite_member_delete,
	.group_list = sqlite_group_list,
	.groups_of = sqlite_groups_of,
	.conn_set_all_pipelines = sqlite_conn_set_all_pipelines,
	.pipeline_insert = sqlite_pipeline_insert,
	.pipeline_delete = sqlite_pipeline_delete,
	.pipeline_find = sqlite_pipeline_find,
	.pipeline_list = sqlite_pipeline_list,
	.request_insert = sqlite_request_insert,
	.request_find_pending = sqlite_request_find_pending,
	.request_get = sqlite_request_get,
	.request_list = sqlite_request_list,
	.request_decide = sqlite_request_decide,
	.check_insert = sqlite_check_insert,
	.check_delete = sqlite_check_delete,
	.check_set_enabled = sqlite_check_set_enabled,
	.check_get = sqlite_check_get,
	.check_list = sqlite_check_list,
	.check_run_insert = sqlite_check_run_insert,
	.check_run_find = sqlite_check_run_find,
	.check_run_get = sqlite_check_run_get,
	.check_run_cas = sqlite_check_run_cas,
	.check_run_list = sqlite_check_run_list,
	.approval_insert = sqlite_approval_insert,
	.approval_list = sqlite_approval_list,
	.lock_expire = sqlite_lock_expire,
	.lock_holder_get = sqlite_lock_holder_get,
	.lock_holder_put = sqlite_lock_holder_put,
	.lock_renew = sqlite_lock_renew,
	.lock_release = sqlite_lock_release,
	.lock_queue_status = sqlite_lock_queue_status,
	.lock_queue_add = sqlite_lock_queue_add,
	.lock_queue_next = sqlite_lock_queue_next,
	.lock_queue_cancel_older = sqlite_lock_queue_cancel_older,
	.lock_queue_set = sqlite_lock_queue_set,
	.lock_queue_remove = sqlite_lock_queue_remove,
	.usage_insert = sqlite_usage_insert,
	.usage_finish = sqlite_usage_finish,
	.usage_list = sqlite_usage_list,
	.conn_authz_delete = sqlite_conn_authz_delete,
	.gitcred_list = sqlite_gitcred_list,
	.gitcred_insert = sqlite_gitcred_insert,
	.gitcred_delete = sqlite_gitcred_delete,
	.gitcred_reseal = sqlite_gitcred_reseal,
	.expiry_put = sqlite_expiry_put,
	.expiry_list = sqlite_expiry_list,
	.oidc_key_list = sqlite_oidc_key_list,
	.oidc_key_insert = sqlite_oidc_key_insert,
	.oidc_key_times = sqlite_oidc_key_times,
	.oidc_key_reseal = sqlite_oidc_key_reseal,
	.oidc_key_drop = sqlite_oidc_key_drop,
	.token_insert = sqlite_token_insert,
	.token_get = sqlite_token_get,
	.token_list = sqlite_token_list,
	.token_revoke = sqlite_token_revoke,
	.token_touch = sqlite_token_touch,
	.pipedef_insert = sqlite_pipedef_insert,
	.pipedef_list = sqlite_pipedef_list,
	.pipedef_delete = sqlite_pipedef_delete,
	.pool_insert = sqlite_pool_insert,
	.pool_list = sqlite_pool_list,
	.agent_insert = sqlite_agent_insert,
	.agent_list = sqlite_agent_list,
	.agent_revoke = sqlite_agent_revoke,
	.job_insert = sqlite_job_insert,
	.job_list = sqlite_job_list,
	.job_update = sqlite_job_update,
};
