/*
 * sqldb.c - which SQL driver serves a store location, the one list of
 * the store's tables, and the wait of the drivers' watchers (sqldb.h).
 */
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "svcconn/errors.h"
#include "errors_int.h"
#include "store/sqldb.h"

/* 1 when s starts like a libpq keyword string: "keyword =". */
static int is_conninfo(const char *s)
{
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyz_");

	return n > 0 && s[n + strspn(s + n, " ")] == '=';
}

const sqldb_driver *sqldb_driver_for(const char *location)
{
	if (strncmp(location, "postgresql://", 13) == 0 ||
	    strncmp(location, "postgres://", 11) == 0 || is_conninfo(location))
		return &sqldb_postgresql;
	return &sqldb_sqlite;
}

int sqldb_wait_fds(int fd, int wake_fd, long timeout_ms)
{
	struct pollfd p[2];
	nfds_t n = 0;
	uint64_t v;
	int r, mask = 0;

	if (fd >= 0) {
		p[n].fd = fd;
		p[n++].events = POLLIN;
	}
	if (wake_fd >= 0) {
		p[n].fd = wake_fd;
		p[n++].events = POLLIN;
	}
	if (timeout_ms < 0)
		timeout_ms = 0;
	do
		r = poll(p, n, timeout_ms > 60000 ? 60000 : (int)timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return error_set(SVC_ERROR, "cannot wait for a change: %s",
				 strerror(errno));
	if (fd >= 0 && (p[0].revents & (POLLIN | POLLHUP | POLLERR)))
		mask |= SQLDB_WAIT_FD;
	if (wake_fd >= 0 && (p[n - 1].revents & POLLIN)) {
		/* an eventfd: one read resets its count */
		if (read(wake_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
			return error_set(SVC_ERROR, "cannot wait for a change: %s",
					 strerror(errno));
		mask |= SQLDB_WAIT_WAKE;
	}
	return mask;
}

/*
 * The store's tables as `svcconn migrate` copies them (store_migrate.c):
 * every table of both schemas (sqlite.c, postgresql.c) but each engine's
 * own bookkeeping (SQLite's sqlite_sequence; PostgreSQL's svcconn_schema
 * and svcconn_version), with every column but the "rowid" that orders
 * fields and oidc_keys (the copy inserts their rows in that order, so the
 * target's rowids keep it).  Parents come before the tables that refer to
 * them.  A migration that adds a table or column adds it here.  A
 * transient table's rows are not copied (the target's stays empty).
 */
const sqldb_table sqldb_tables[] = {
	{ "meta", "key, value", "TT", NULL, NULL, "key = 'rows_unsealed'", 0 },
	{ "projects", "id, name, description, created_by, created_at",
	  "TTTTT", NULL, NULL, "name = 'default'", 0 },
	{ "connections",
	  "id, project_id, name, type, scheme, url, description, created_by,"
	  " created_at, updated_by, updated_at, all_pipelines, inherit_roles",
	  "TTTTTTTTTTTII", NULL, NULL, NULL, 0 },
	{ "fields", "conn_id, key, kind, secret, value, sealed, key_id",
	  "TTIITBT", "rowid", NULL, NULL, 0 },
	{ "audit", "seq, at, actor, action, conn_id, conn_name, detail",
	  "ITTTTTT", "seq", "seq", NULL, 0 },
	{ "role_assignments",
	  "conn_id, project_id, principal, role, assigned_by, assigned_at",
	  "TTTITT", NULL, NULL, NULL, 0 },
	{ "principal_groups", "name, created_by, created_at", "TTT", NULL,
	  NULL, NULL, 0 },
	{ "group_members", "group_name, member, added_by, added_at", "TTTT",
	  NULL, NULL, NULL, 0 },
	{ "pipeline_permissions",
	  "conn_id, project_id, pipeline, added_by, added_at", "TTTTT", NULL,
	  NULL, NULL, 0 },
	{ "permission_requests",
	  "seq, id, conn_id, pipeline, run_id, requested_by, at, status,"
	  " decided_by, decided_at, project_id",
	  "ITTTTTTTTTT", "seq", "seq", NULL, 0 },
	{ "checks",
	  "seq, id, conn_id, kind, config, enabled, created_by, created_at",
	  "ITTTTITT", "seq", "seq", NULL, 0 },
	{ "check_runs",
	  "seq, id, check_id, pipeline, run_id, stage, requested_by, status,"
	  " state, message, started_at, updated_at, version",
	  "ITTTTTTTTTTTI", "seq", "seq", NULL, 0 },
	{ "approvals",
	  "seq, check_run_id, actor, as_approver, decision, comment,"
	  " defer_until, at",
	  "ITTTTTTT", "seq", "seq", NULL, 0 },
	{ "lock_holders", "conn_id, holder, lease_expires, acquired_at",
	  "TTIT", NULL, NULL, NULL, 0 },
	{ "lock_queue", "seq, conn_id, holder, queued_at, status", "ITTTT",
	  "seq", "seq", NULL, 0 },
	{ "usage_history",
	  "id, conn_id, conn_name, pipeline, run_id, stage, job,"
	  " requested_by, decision, message, at, result, finished_at",
	  "ITTTTTTTTTTTT", "id", "id", NULL, 0 },
	{ "git_credentials",
	  "id, protocol, host, path, username, sealed_password, key_id,"
	  " created_at, updated_at",
	  "ITTTTBTTT", "id", "id", NULL, 0 },
	{ "cert_expiry", "conn_id, field, not_after, checked_at", "TTIT",
	  NULL, NULL, NULL, 0 },
	{ "conn_macs", "conn_id, version, mac", "TIB", NULL, NULL, NULL, 0 },
	{ "conn_manifest", "conn_id, version", "TI", NULL, NULL, NULL, 0 },
	{ "oidc_keys",
	  "kid, alg, sealed_key, key_id, created_at, retired_at,"
	  " signed_until, drop_at",
	  "TTBTIIII", "rowid", NULL, NULL, 0 },
	{ "access_tokens",
	  "id, hash, owner, name, scopes, created, expires, last_used,"
	  " revoked",
	  "TBTTTIIII", NULL, NULL, NULL, 0 },
	{ "pipeline_defs",
	  "project_id, name, conn_id, url, path, branch, created_by, created",
	  "TTTTTTTI", NULL, NULL, NULL, 0 },
	{ "agent_pools", "name, trusted, created_by, created", "TITI", NULL,
	  NULL, NULL, 0 },
	{ "agents", "name, pool, token_id, created_by, created, revoked",
	  "TTTTII", NULL, NULL, NULL, 0 },
	{ "agent_jobs",
	  "id, agent, pipeline, run_id, stage, job, holder, locks, conns,"
	  " token_id, source, state, result, lease_expires, started, ended,"
	  " project_id",
	  "TTTTTTTITTTTTIIIT", NULL, NULL, NULL, 0 },
	{ "conn_shares",
	  "conn_id, project_id, name, description, shared_by, shared_at",
	  "TTTTTT", NULL, NULL, NULL, 0 },
	{ "user_passwords", "name, phc, changed", "TTI", NULL, NULL, NULL, 0 },
	/* not copied (transient): a session is the source's; copied, one
	 * signed out on the source after the copy would live again */
	{ "console_sessions",
	  "id_hash, principal, scopes, token_id, created, last_seen,"
	  " expires",
	  "TTTTIII", NULL, NULL, NULL, 1 },
};

const size_t sqldb_table_count = sizeof(sqldb_tables) / sizeof(sqldb_tables[0]);
