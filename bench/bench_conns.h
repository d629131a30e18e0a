/*
 * bench_conns.h - the connections bench_list and bench_import store:
 * COUNT Generic connections named conn-<i>, each with a URL, a user name
 * and a password to seal, validated.  Include after bench_util.h.
 */
#ifndef SVCCONN_BENCH_CONNS_H
#define SVCCONN_BENCH_CONNS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <svcconn/svcconn.h>

/* count new connections (free each, then the array); dies on failure. */
static inline svc_conn **bench_generic_conns(int count,
					     const svc_catalog *cat)
{
	svc_conn **conns = calloc((size_t)count, sizeof(*conns));
	int i;

	if (!conns)
		die("generate", "out of memory");
	for (i = 0; i < count; i++) {
		char name[64], pw[64];
		svc_diags *d = NULL;

		snprintf(name, sizeof(name), "conn-%05d", i);
		snprintf(pw, sizeof(pw), "pw-%08d-secret", i);
		if (svc_conn_new(&conns[i], "generic", name) ||
		    svc_conn_set_url(conns[i], "https://service.example.test/api") ||
		    svc_conn_set_field(conns[i], "username", "ci", 2) ||
		    svc_conn_set_field(conns[i], "password", pw, strlen(pw)) ||
		    svc_diags_new(&d) || svc_conn_validate(conns[i], cat, d))
			die("create", svc_error_last());
		svc_diags_free(d);
	}
	return conns;
}

#endif
