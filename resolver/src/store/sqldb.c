/*
 * sqldb.c - which SQL driver serves a store location (sqldb.h).
 */
#include <string.h>

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

/*
 * Until the PostgreSQL driver (postgresql.c) is built in: a driver that
 * only refuses to open.
 */
static int nopg_open(sqldb **out, const char *location, int create)
{
	(void)out;
	(void)location;
	(void)create;
	return error_set(SVC_EINVALID,
			 "this svcconn was built without PostgreSQL");
}

static int nopg_remove(const char *location)
{
	(void)location;
	return 0;
}

const sqldb_driver sqldb_postgresql = {
	.name = "PostgreSQL",
	.open = nopg_open,
	.remove = nopg_remove,
};
