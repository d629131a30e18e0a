/*
 * test_pipelines.c - plan every real pipeline of ../shared/data/pipelines/
 * and compare what is found with EXPECTED.tsv, read by hand.
 *
 * For each pipeline file: plan it against an empty store to learn the names
 * it uses and the type each input expects, fill a fresh store with a
 * connection of that type (and an accepted scheme) for each name, and plan
 * again.  Every task-input, resource-endpoint and container-endpoint row of
 * EXPECTED.tsv whose task has a manifest must be found at its file and line,
 * and nothing else may be reported as a reference.  The starter templates
 * that are not valid YAML must give a YAML error with a location.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <svcconn/svcconn.h>
#include <svcconn/pipeline.h>
#include <svcconn/tasks.h>

#include "planutil.h"
#include "testutil.h"

#define PIPES SVC_SHARED_DIR "/data/pipelines"
#define MAXF 256
#define MAXROWS 512

static char *files[MAXF];           /* pipeline files, relative */
static size_t nfiles;
static char *expected[MAXROWS];     /* "file:line" wanted */
static size_t nexpected;
static char *unparsable[MAXF];      /* files that are not valid YAML */
static size_t nunparsable;

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void scan(const char *dir, const char *rel)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		char path[2048], r[2048];
		struct stat st;
		size_t n = strlen(e->d_name);

		if (e->d_name[0] == '.' && (n == 1 || (n == 2 && e->d_name[1] == '.')))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		snprintf(r, sizeof(r), "%s%s%s", rel, *rel ? "/" : "", e->d_name);
		if (stat(path, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode))
			scan(path, r);
		else if ((n > 4 && !strcmp(e->d_name + n - 4, ".yml")) ||
			 (n > 5 && !strcmp(e->d_name + n - 5, ".yaml"))) {
			assert_true(nfiles < MAXF);
			files[nfiles++] = strdup(r);
		}
	}
	closedir(d);
}

/* Split a TSV line in place (quoting off). */
static size_t split(char *line, char **cols, size_t max)
{
	size_t n = 0;

	while (n < max) {
		cols[n++] = line;
		line = strchr(line, '\t');
		if (!line)
			break;
		*line++ = '\0';
	}
	return n;
}

static void load_expected(const svc_tasks *tasks)
{
	char *text = tu_read_file(PIPES "/EXPECTED.tsv", NULL), *line, *save;
	char *src = tu_read_file(PIPES "/SOURCES.tsv", NULL);
	int first = 1, col = -1;

	assert_non_null(text);
	assert_non_null(src);
	for (line = strtok_r(src, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *c[16];
		size_t n = split(line, c, 16), k;

		if (col < 0) {
			for (k = 0; k < n; k++)
				if (!strcmp(c[k], "yaml_parses"))
					col = (int)k;
			assert_true(col >= 0);
		} else if ((size_t)col < n && !strcmp(c[col], "no")) {
			unparsable[nunparsable++] = strdup(c[0]);
		}
	}
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *c[16], key[2300];
		size_t n = split(line, c, 16), i;

		if (first) {
			first = 0;
			continue;
		}
		if (n < 9)
			continue;
		if (strcmp(c[7], "task-input") && strcmp(c[7], "resource-endpoint") &&
		    strcmp(c[7], "container-endpoint"))
			continue;
		if (!strcmp(c[7], "task-input") && !svc_tasks_find(tasks, c[2]))
			continue; /* a task without manifest: inputs unknown */
		for (i = 0; i < nunparsable; i++)
			if (!strcmp(unparsable[i], c[0]))
				break;
		if (i < nunparsable)
			continue; /* not valid YAML as it stands */
		snprintf(key, sizeof(key), "%s:%s", c[0], c[6]);
		assert_true(nexpected < MAXROWS);
		expected[nexpected++] = strdup(key);
	}
	free(text);
	free(src);
}

/* The path of a reference's file below pipelines/. */
static const char *rel_of(const char *file)
{
	const char *p = strstr(file, "/data/pipelines/");

	return p ? p + strlen("/data/pipelines/") : file;
}

/* A fresh store holding a connection for each unknown name of plan p. */
static svc_store *store_for(const svc_plan *p, const svc_catalog *cat,
			    char **dir)
{
	svc_store *st = pu_store(dir);
	size_t i;

	for (i = 0; i < svc_plan_ref_count(p); i++) {
		const svc_ref *r = svc_plan_ref_at(p, i);
		const svc_type *t = r->accepts ? svc_catalog_find(cat, r->accepts) : NULL;
		const char *scheme = NULL;
		char name[300], list[300];
		svc_conn *have = NULL;

		if (r->status != SVC_REF_UNKNOWN_NAME || !t)
			continue;
		if (svc_store_conn_get(&have, st, r->value, 0) == 0) {
			svc_conn_free(have);
			continue;
		}
		if (r->schemes) {
			char *tok, *save;

			snprintf(list, sizeof(list), "%s", r->schemes);
			for (tok = strtok_r(list, ",", &save); tok && !scheme;
			     tok = strtok_r(NULL, ",", &save))
				if (svc_type_scheme(t, tok))
					scheme = svc_type_scheme(t, tok)->id;
		}
		if (!scheme)
			scheme = t->schemes[0].id;
		if (svc_is_uuid(r->value)) {
			snprintf(name, sizeof(name), "by-id-%.8s", r->value);
			pu_conn(st, name, t->id, scheme, r->value);
		} else {
			pu_conn(st, r->value, t->id, scheme, NULL);
		}
	}
	return st;
}

static void test_real_pipelines(void **state)
{
	const char *dirs[] = { SVC_SHARED_DIR "/data/tasks" };
	char *found[2048];
	size_t nfound = 0, i, j, missing = 0, extra = 0;
	svc_diags *d = NULL;
	svc_tasks *tasks = NULL;
	svc_catalog *cat = NULL;
	char report[65536];
	size_t rlen = 0;

	(void)state;
	assert_int_equal(svc_diags_new(&d), 0);
	assert_int_equal(svc_tasks_load(&tasks, dirs, 1, d), 0);
	assert_int_equal(svc_catalog_new(&cat), 0);
	scan(PIPES, "");
	qsort(files, nfiles, sizeof(*files), cmp_str);
	load_expected(tasks);
	printf("# %zu pipeline files, %zu expected references\n", nfiles, nexpected);
	report[0] = '\0';
	for (i = 0; i < nfiles; i++) {
		char path[2048], *dir = NULL;
		svc_plan *p0, *p;
		svc_store *st;
		int is_unparsable = 0;

		snprintf(path, sizeof(path), "%s/%s", PIPES, files[i]);
		for (j = 0; j < nunparsable; j++)
			is_unparsable |= !strcmp(unparsable[j], files[i]);
		p0 = pu_plan(NULL, cat, path, NULL);
		st = store_for(p0, cat, &dir);
		svc_plan_free(p0);
		p = pu_plan(st, cat, path, NULL);
		if (is_unparsable) {
			const svc_diags *pd = svc_plan_diags(p);
			int yaml_error = 0;

			for (j = 0; j < svc_diags_count(pd); j++) {
				const svc_diag *e = svc_diags_at(pd, j);

				/* the YAML reader's error, at a place in the file */
				yaml_error |= e->severity == SVC_SEV_ERROR &&
					      e->line > 0 && e->file &&
					      strstr(e->file, files[i]);
			}
			if (!yaml_error)
				fail_msg("%s: no YAML error with a location", files[i]);
			printf("# %s: %s\n", files[i],
			       svc_diags_at(pd, 0) ? svc_diags_at(pd, 0)->message : "");
		}
		for (j = 0; j < svc_plan_ref_count(p); j++) {
			const svc_ref *r = svc_plan_ref_at(p, j);
			char key[2300];
			size_t k;

			if (r->status != SVC_REF_RESOLVED &&
			    r->status != SVC_REF_UNRESOLVED_VARIABLE)
				rlen += (size_t)snprintf(report + rlen,
					sizeof(report) - rlen,
					"unexpected status %s at %s:%u: %s\n",
					svc_ref_status_name(r->status),
					rel_of(r->file), r->line,
					r->message ? r->message : "");
			snprintf(key, sizeof(key), "%s:%u", rel_of(r->file), r->line);
			for (k = 0; k < nfound; k++)
				if (!strcmp(found[k], key))
					break;
			if (k == nfound && nfound < 2048)
				found[nfound++] = strdup(key);
		}
		svc_plan_free(p);
		svc_store_free(st);
		tu_rm_rf(dir);
		free(dir);
	}
	for (i = 0; i < nexpected; i++) {
		for (j = 0; j < nfound; j++)
			if (!strcmp(expected[i], found[j]))
				break;
		if (j == nfound && rlen < sizeof(report) - 300) {
			missing++;
			rlen += (size_t)snprintf(report + rlen, sizeof(report) - rlen,
						 "expected, not found: %s\n", expected[i]);
		}
	}
	for (j = 0; j < nfound; j++) {
		for (i = 0; i < nexpected; i++)
			if (!strcmp(expected[i], found[j]))
				break;
		if (i == nexpected && rlen < sizeof(report) - 300) {
			extra++;
			rlen += (size_t)snprintf(report + rlen, sizeof(report) - rlen,
						 "found, not expected: %s\n", found[j]);
		}
	}
	printf("# %zu references found at %zu places; %zu missing, %zu extra\n",
	       nfound, nfound, missing, extra);
	if (rlen)
		fail_msg("%s", report);
	for (j = 0; j < nfound; j++)
		free(found[j]);
	svc_tasks_free(tasks);
	svc_catalog_free(cat);
	svc_diags_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_pipelines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
