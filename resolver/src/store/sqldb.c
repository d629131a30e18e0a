/*
 * sqldb.c - which SQL driver serves a store location (sqldb.h).
 */
#include <string.h>

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
