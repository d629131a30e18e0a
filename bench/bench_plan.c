/*
 * bench_plan.c - plan time against pipeline size.
 *
 * Generates two pipelines, of 1,000 and 10,000 task steps spread over 10
 * stages, whose steps reference 1,000 connections (by name, through
 * variables, and through a steps template with a parameter), plans each
 * against a store holding the 1,000 connections, and reports the time of
 * each (best of three).  Ten times the steps must cost at most twelve times
 * the time: prints the ratio and exits 1 past that.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <svcconn/svcconn.h>
#include "store/store_write.h"

#define BENCH_NAME "bench_plan"
#include "bench_util.h"

#define CONNS 1000

static FILE *open_w(const char *dir, const char *name)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (!(f = fopen(path, "w")))
		die(path, strerror(errno));
	return f;
}

/* The task manifest: one connection input with an alias. */
static void write_task(const char *dir)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/tasks", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/tasks/DeployV1", dir);
	mkdir(path, 0700);
	f = open_w(path, "task.json");
	fputs("{\"id\": \"0f0e0d0c-0b0a-4909-8807-060504030201\", \"name\": \"Deploy\",\n"
	      " \"version\": {\"Major\": 1, \"Minor\": 0, \"Patch\": 0},\n"
	      " \"inputs\": [\n"
	      "  {\"name\": \"connectedServiceNameARM\", \"aliases\": [\"azureSubscription\"],\n"
	      "   \"type\": \"connectedService:AzureRM\", \"required\": true},\n"
	      "  {\"name\": \"script\", \"type\": \"string\"}],\n"
	      " \"execution\": {\"Node20_1\": {\"target\": \"main.js\"}}}\n", f);
	fclose(f);
}

/* A pipeline of nsteps steps in 10 stages, and its steps template. */
static void write_pipeline(const char *dir, const char *name, int nsteps)
{
	FILE *f = open_w(dir, name), *t;
	int s, i, per = nsteps / 10, k = 0;

	t = open_w(dir, "step.yml");
	fputs("parameters:\n  - name: conn\n    type: string\nsteps:\n"
	      "  - task: Deploy@1\n    inputs:\n"
	      "      azureSubscription: ${{ parameters.conn }}\n"
	      "      script: deploy\n", t);
	fclose(t);
	fputs("variables:\n", f);
	for (i = 0; i < 100; i++)
		fprintf(f, "  v%d: conn-%04d\n", i, i * 10);
	fputs("stages:\n", f);
	for (s = 0; s < 10; s++) {
		fprintf(f, "  - stage: s%d\n    jobs:\n      - job: j%d\n        steps:\n",
			s, s);
		for (i = 0; i < per; i++, k++) {
			int c = k % CONNS;

			if (k % 3 == 0)
				fprintf(f, "          - task: Deploy@1\n            inputs:\n"
					"              azureSubscription: conn-%04d\n"
					"              script: step %d\n", c, k);
			else if (k % 3 == 1)
				fprintf(f, "          - task: Deploy@1\n            inputs:\n"
					"              connectedServiceNameARM: $(v%d)\n", k % 100);
			else
				fprintf(f, "          - template: step.yml\n            parameters:\n"
					"              conn: conn-%04d\n", c);
		}
	}
	fclose(f);
}

static double plan_time(svc_store *st, const svc_catalog *cat,
			const char *dir, const char *name, size_t *nrefs)
{
	char file[1024], tasks[1024];
	const char *dirs[1] = { tasks };
	svc_plan_options o;
	double best = 1e9;
	int i;

	snprintf(file, sizeof(file), "%s/%s", dir, name);
	snprintf(tasks, sizeof(tasks), "%s/tasks", dir);
	memset(&o, 0, sizeof(o));
	o.version = SVC_PLAN_OPTIONS_VERSION;
	o.file = file;
	o.task_dirs = dirs;
	o.ntask_dirs = 1;
	for (i = 0; i < 3; i++) {
		svc_plan *p = NULL;
		double t0 = now(), t;

		if (svc_plan_build(&p, &o, st, cat))
			die("plan", svc_error_last());
		t = now() - t0;
		if (!svc_plan_ok(p)) {
			char *j = svc_plan_json(p);

			fprintf(stderr, "bench_plan: %s does not resolve\n%.2000s\n",
				name, j ? j : "");
			exit(2);
		}
		*nrefs = svc_plan_ref_count(p);
		svc_plan_free(p);
		if (t < best)
			best = t;
	}
	return best;
}

int main(void)
{
	char dir[] = "/tmp/svcbenchplan.XXXXXX", cmd[128];
	svc_store_options so = { SVC_STORE_OPTIONS_VERSION, NULL, NULL };
	svc_catalog *cat = NULL;
	svc_store *st = NULL;
	double t1, t10, ratio;
	size_t r1, r10;
	int i;

	if (!mkdtemp(dir))
		die("mkdtemp", strerror(errno));
	so.home = dir;
	if (svc_catalog_new(&cat) || svc_store_init(&so, "bench") ||
	    svc_store_open(&st, &so))
		die("store", svc_error_last());
	for (i = 0; i < CONNS; i++) {
		char name[32];
		svc_conn *c = NULL;

		snprintf(name, sizeof(name), "conn-%04d", i);
		if (svc_conn_new(&c, "azurerm", name) ||
		    svc_conn_set_scheme(c, "ManagedServiceIdentity") ||
		    svc_store_conn_create(st, c, "bench"))
			die("create", svc_error_last());
		svc_conn_free(c);
	}
	write_task(dir);
	write_pipeline(dir, "p1000.yml", 1000);
	t1 = plan_time(st, cat, dir, "p1000.yml", &r1);
	write_pipeline(dir, "p10000.yml", 10000);
	t10 = plan_time(st, cat, dir, "p10000.yml", &r10);
	ratio = t10 / t1;
	printf("plan, 1,000 steps: %zu references in %.1f ms\n", r1, t1 * 1e3);
	printf("plan, 10,000 steps: %zu references in %.1f ms\n", r10, t10 * 1e3);
	printf("ratio time(10,000)/time(1,000): %.2f (target <= 12): %s\n", ratio,
	       ratio <= 12.0 ? "PASS" : "FAIL");
	svc_store_free(st);
	svc_catalog_free(cat);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_plan: could not remove %s\n", dir);
	return ratio <= 12.0 ? 0 : 1;
}
