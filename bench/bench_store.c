/*
 * bench_store.c - store speed: create, show by name, list.
 *
 * Creates 10,000 connections (Generic, with a secret password) in a fresh
 * store under a temporary directory, measuring create throughput, and
 * measures "show by name" (svc_store_conn_get with secrets, as `svcconn
 * show` and the runtime do) when the store holds 1,000 connections and again
 * when it holds 10,000.  The ratio of the two per-lookup times is the
 * number that matters: lookups go through an index, so it must stay under 2.
 * Prints the figures and exits 1 when the ratio is 2 or more.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <svcconn/svcconn.h>
#include "store/store_write.h"

#define BENCH_NAME "bench_store"
#include "bench_util.h"

#define SMALL 1000
#define LARGE 10000
#define LOOKUPS 4000

/* Create connections [from, to) named conn-<i>. */
static double create_range(svc_store *st, const svc_catalog *cat, int from,
			   int to)
{
	double t0 = now();
	int i;

	for (i = from; i < to; i++) {
		char name[64], pw[64];
		svc_conn *c = NULL;
		svc_diags *d = NULL;

		snprintf(name, sizeof(name), "conn-%05d", i);
		snprintf(pw, sizeof(pw), "pw-%08d-secret", i);
		if (svc_conn_new(&c, "generic", name) ||
		    svc_conn_set_url(c, "https://service.example.test/api") ||
		    svc_conn_set_field(c, "username", "ci", 2) ||
		    svc_conn_set_field(c, "password", pw, strlen(pw)) ||
		    svc_diags_new(&d) || svc_conn_validate(c, cat, d) ||
		    svc_store_conn_create(st, c, "bench"))
			die("create", svc_error_last());
		svc_diags_free(d);
		svc_conn_free(c);
	}
	return now() - t0;
}

/* Mean seconds per show-by-name over LOOKUPS random names below n. */
static double show_time(svc_store *st, int n)
{
	double t0;
	unsigned seed = 42;
	int i;

	t0 = now();
	for (i = 0; i < LOOKUPS; i++) {
		char name[64];
		svc_conn *c = NULL;

		snprintf(name, sizeof(name), "CONN-%05d", rand_r(&seed) % n);
		if (svc_store_conn_get(&c, st, name, SVC_GET_SECRETS))
			die("show", svc_error_last());
		svc_conn_free(c);
	}
	return (now() - t0) / LOOKUPS;
}

int main(void)
{
	char dir[] = "/tmp/svcbench.XXXXXX", cmd[128];
	svc_store_options opts = { SVC_STORE_OPTIONS_VERSION, NULL, NULL };
	svc_catalog *cat = NULL;
	svc_store *st = NULL;
	svc_conn **list = NULL;
	size_t count = 0;
	double c_small, c_large, s_small, s_large, t0, list_t, ratio;

	if (!mkdtemp(dir))
		die("mkdtemp", strerror(errno));
	opts.home = dir;
	if (svc_catalog_new(&cat) || svc_store_init(&opts, "bench") ||
	    svc_store_open(&st, &opts))
		die("init", svc_error_last());
	c_small = create_range(st, cat, 0, SMALL);
	show_time(st, SMALL); /* warm the page cache */
	s_small = show_time(st, SMALL);
	c_large = create_range(st, cat, SMALL, LARGE);
	show_time(st, LARGE);
	s_large = show_time(st, LARGE);
	t0 = now();
	if (svc_store_conn_list(&list, &count, st))
		die("list", svc_error_last());
	list_t = now() - t0;
	svc_store_conn_list_free(list, count);
	ratio = s_large / s_small;
	printf("create: %d connections in %.2f s (%.0f/s; first %d: %.0f/s)\n",
	       LARGE, c_small + c_large, LARGE / (c_small + c_large), SMALL,
	       SMALL / c_small);
	printf("show by name, with secrets: %.1f us at %d connections, %.1f us at %d\n",
	       s_small * 1e6, SMALL, s_large * 1e6, LARGE);
	printf("list: %zu connections in %.1f ms\n", count, list_t * 1e3);
	printf("ratio show(%d)/show(%d): %.2f (target < 2): %s\n", LARGE,
	       SMALL, ratio, ratio < 2.0 ? "PASS" : "FAIL");
	svc_store_free(st);
	svc_catalog_free(cat);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_store: could not remove %s\n", dir);
	return ratio < 2.0 ? 0 : 1;
}
