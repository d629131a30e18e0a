/*
 * bench_server.c - what svcconn-server costs a job start, and how it
 * holds up under a fleet.  Run by bench_server.sh, which makes the store,
 * the certificate and the registration tokens and starts the server.
 *
 *   bench_server local HOME REGFILE N
 *       N job starts (and completes) of the bench pipeline in process:
 *       svc_ops_job_start/svc_ops_job_complete on the store at HOME as an
 *       agent registered here, as the server calls them (compile, gate,
 *       usage history, job token; no sandbox, no HTTP).  Prints
 *       "local MS" (the median ms of one start + complete).
 *   bench_server remote URL CA REGFILE N
 *       the same N through the server: one agent registered with the
 *       token of REGFILE, one kept-alive HTTPS connection (libcurl), POST
 *       .../_apis/svcconn/jobs then .../jobs/{id}/complete.  Prints
 *       "remote MS".
 *   bench_server fleet URL[,URL...] CA REGDIR AGENTS JOBS
 *       AGENTS threads, each an agent (registered with REGDIR/reg.I) on
 *       its own kept-alive connection, JOBS job starts (and completes)
 *       each, all at once.  Agent I talks to the I-th URL of the list,
 *       round robin (servers sharing one database: bench_fleet.sh).
 *       Prints errors, p50 and p99 of a job start, and job starts per
 *       second; exits 1 on any error.
 *
 * Every job is of the same pipeline (one container resource with a
 * Docker registry connection, no check), with a run id of its own.
 */
#define BENCH_NAME "bench_server"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "svcconn/agents.h"
#include "svcconn/catalog.h"
#include "svcconn/ops.h"
#include "svcconn/secret.h"
#include "svcconn/store.h"
#include "bench_util.h"

/* The pipeline every job is of. */
static const char yaml[] =
	"resources:\n  containers:\n    - container: c\n"
	"      image: x.example.test/i:1\n      endpoint: reg\n"
	"jobs:\n  - job: Build\n    container: c\n    steps:\n"
	"      - bash: echo hi\n";

/* The first line of file path, into a new string. */
static char *read_line(const char *path)
{
	char buf[256];
	FILE *f = fopen(path, "r");

	if (!f || !fgets(buf, sizeof(buf), f))
		die(path, "cannot read");
	fclose(f);
	buf[strcspn(buf, "\r\n")] = 0;
	return strdup(buf);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The q-quantile of the n values of v (sorted here). */
static double quantile(double *v, size_t n, double q)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[(size_t)(q * (double)(n - 1) + 0.5)];
}

/* ---- in process ------------------------------------------------------- */

static int bench_local(const char *home, const char *regfile, int n)
{
	svc_store_options o = { 0 };
	svc_store *st = NULL;
	svc_catalog *cat = NULL;
	svc_principal *p = NULL;
	svc_agent info;
	char *reg = read_line(regfile), *cred = NULL, run[32];
	double *t = calloc((size_t)n, sizeof(*t));
	int i;

	o.version = SVC_STORE_OPTIONS_VERSION;
	o.home = home;
	memset(&info, 0, sizeof(info));
	if (!t || svc_store_open(&st, &o) || svc_catalog_new(&cat) ||
	    svc_agent_register(&cred, &info, st, reg, strlen(reg), "local",
			       "127.0.0.1", "bench") ||
	    svc_principal_new(&p, SVC_PRINCIPAL_AGENT, "local", "token"))
		die("setup", svc_error_last());
	for (i = 0; i < n; i++) {
		svc_job_request req = { "bench", yaml, sizeof(yaml) - 1, "Build",
					NULL, run, NULL, "bench" };
		svc_agent_job *j = NULL;
		double t0 = now();

		snprintf(run, sizeof(run), "local-%d", i);
		if (svc_ops_job_start(&j, st, p, cat, &req) ||
		    j->gate->status != SVC_GATE_GRANTED ||
		    svc_ops_job_complete(st, p, j->id, "Succeeded"))
			die("local job start", svc_error_last());
		t[i] = now() - t0;
		svc_agent_job_free(j);
	}
	printf("local %.3f\n", quantile(t, (size_t)n, 0.5) * 1e3);
	svc_secret_free(cred, SVC_TOKEN_LEN);
	svc_agent_clear(&info);
	svc_principal_free(p);
	svc_catalog_free(cat);
	svc_store_free(st);
	free(reg);
	free(t);
	return 0;
}

/* ---- through the server ------------------------------------------------- */

/* One agent's connection to the server. */
struct agent {
	CURL *curl;           /**< kept-alive handle */
	const char *url;      /**< the server */
	const char *ca;       /**< its certificate */
	char auth[160];       /**< "Authorization: Bearer svca_..." */
	char body[65536];     /**< the last response */
	size_t len;           /**< bytes in body */
};

static size_t on_data(char *p, size_t size, size_t n, void *data)
{
	struct agent *a = data;
	size_t k = size * n;

	if (a->len + k >= sizeof(a->body))
		return 0;
	memcpy(a->body + a->len, p, k);
	a->len += k;
	a->body[a->len] = 0;
	return k;
}

/* POST url+path with body (and the agent's token unless noauth): status. */
static long post(struct agent *a, const char *path, const char *body,
		 const char *auth)
{
	struct curl_slist *h = NULL;
	char url[512];
	long status = 0;

	snprintf(url, sizeof(url), "%s%s", a->url, path);
	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, auth ? auth : a->auth);
	a->len = 0;
	a->body[0] = 0;
	curl_easy_setopt(a->curl, CURLOPT_URL, url);
	curl_easy_setopt(a->curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(a->curl, CURLOPT_POSTFIELDS, body);
	if (curl_easy_perform(a->curl) == CURLE_OK)
		curl_easy_getinfo(a->curl, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(h);
	return status;
}

/* Open a's connection and register it as name with the token of regfile. */
static void agent_init(struct agent *a, const char *url, const char *ca,
		       const char *regfile, const char *name)
{
	char *reg = read_line(regfile), auth[160], body[128];
	json_t *v;

	memset(a, 0, sizeof(*a));
	a->url = url;
	a->ca = ca;
	if (!(a->curl = curl_easy_init()))
		die("curl", "no handle");
	curl_easy_setopt(a->curl, CURLOPT_CAINFO, ca);
	curl_easy_setopt(a->curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(a->curl, CURLOPT_WRITEDATA, a);
	curl_easy_setopt(a->curl, CURLOPT_TIMEOUT, 60L);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", reg);
	snprintf(body, sizeof(body), "{\"name\":\"%s\"}", name);
	if (post(a, "/_apis/svcconn/agents", body, auth) != 201 ||
	    !(v = json_loads(a->body, 0, NULL)))
		die("register", a->body);
	snprintf(a->auth, sizeof(a->auth), "Authorization: Bearer %s",
		 json_string_value(json_object_get(v, "token")));
	json_decref(v);
	svc_wipe(auth, sizeof(auth));
	free(reg);
}

/*
 * One job start (its latency into *lat) and complete; 0, or -1 when
 * either did not answer as it should.
 */
static int job(struct agent *a, const char *run, double *lat)
{
	json_t *req = json_pack("{s:s, s:s, s:s, s:s, s:s}", "pipeline",
				"bench", "yaml", yaml, "job", "Build", "runId",
				run, "requestedBy", "bench");
	char *body = json_dumps(req, JSON_COMPACT), path[256];
	double t0 = now();
	long st = post(a, "/default/default/_apis/svcconn/jobs", body, NULL);
	json_t *v;
	int rc = -1;

	*lat = now() - t0;
	json_decref(req);
	free(body);
	if (st != 201 || !(v = json_loads(a->body, 0, NULL)))
		return -1;
	snprintf(path, sizeof(path), "/default/default/_apis/svcconn/jobs/%s/complete",
		 json_string_value(json_object_get(v, "jobId")));
	json_decref(v);
	if (post(a, path, "{\"result\":\"Succeeded\"}", NULL) == 200)
		rc = 0;
	return rc;
}

static int bench_remote(const char *url, const char *ca, const char *regfile,
			int n)
{
	struct agent *a = malloc(sizeof(*a));
	double *t = calloc((size_t)n, sizeof(*t)), lat;
	char run[32];
	int i;

	if (!a || !t)
		die("memory", "out of memory");
	agent_init(a, url, ca, regfile, "remote");
	for (i = 0; i < n; i++) {
		double t0 = now();

		snprintf(run, sizeof(run), "remote-%d", i);
		if (job(a, run, &lat))
			die("remote job start", a->body);
		t[i] = now() - t0;
	}
	printf("remote %.3f\n", quantile(t, (size_t)n, 0.5) * 1e3);
	curl_easy_cleanup(a->curl);
	free(a);
	free(t);
	return 0;
}

/* One agent of the fleet. */
struct fleet_agent {
	struct agent a;   /**< its connection */
	int idx;          /**< its number */
	int jobs;         /**< job starts to make */
	double *lat;      /**< their latencies */
	int errors;       /**< those that failed */
};

static void *fleet_run(void *data)
{
	struct fleet_agent *f = data;
	char run[48];
	int i;

	for (i = 0; i < f->jobs; i++) {
		snprintf(run, sizeof(run), "fleet-%d-%d", f->idx, i);
		if (job(&f->a, run, &f->lat[i]))
			f->errors++;
	}
	return NULL;
}

#define FLEET_URLS_MAX 8  /* servers the agents are spread over */

static int bench_fleet(const char *url_list, const char *ca,
		       const char *regdir, int agents, int jobs)
{
	struct fleet_agent *f = calloc((size_t)agents, sizeof(*f));
	pthread_t *th = calloc((size_t)agents, sizeof(*th));
	double *all = calloc((size_t)agents * (size_t)jobs, sizeof(*all));
	char *urls = strdup(url_list), *url[FLEET_URLS_MAX], *tok, *save = NULL;
	double t0, wall;
	char path[512], name[32];
	int i, nurl = 0, errors = 0;

	if (!f || !th || !all || !urls)
		die("memory", "out of memory");
	for (tok = strtok_r(urls, ",", &save); tok && nurl < FLEET_URLS_MAX;
	     tok = strtok_r(NULL, ",", &save))
		url[nurl++] = tok;
	if (!nurl)
		die("fleet", "no server URL");
	for (i = 0; i < agents; i++) {
		snprintf(path, sizeof(path), "%s/reg.%d", regdir, i);
		snprintf(name, sizeof(name), "fleet%d", i);
		agent_init(&f[i].a, url[i % nurl], ca, path, name);
		f[i].idx = i;
		f[i].jobs = jobs;
		f[i].lat = all + (size_t)i * (size_t)jobs;
	}
	t0 = now();
	for (i = 0; i < agents; i++)
		if (pthread_create(&th[i], NULL, fleet_run, &f[i]))
			die("thread", "cannot start");
	for (i = 0; i < agents; i++) {
		pthread_join(th[i], NULL);
		errors += f[i].errors;
		curl_easy_cleanup(f[i].a.curl);
	}
	wall = now() - t0;
	printf("fleet %d agents x %d job starts on %d server(s): errors %d, p50 %.1f ms, p99 %.1f ms, %.1f job starts/s\n",
	       agents, jobs, nurl, errors,
	       quantile(all, (size_t)agents * (size_t)jobs, 0.5) * 1e3,
	       quantile(all, (size_t)agents * (size_t)jobs, 0.99) * 1e3,
	       (double)agents * jobs / wall);
	free(f);
	free(th);
	free(all);
	free(urls);
	return errors ? 1 : 0;
}

int main(int argc, char **argv)
{
	int rc = 2;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (argc == 5 && !strcmp(argv[1], "local"))
		rc = bench_local(argv[2], argv[3], atoi(argv[4]));
	else if (argc == 6 && !strcmp(argv[1], "remote"))
		rc = bench_remote(argv[2], argv[3], argv[4], atoi(argv[5]));
	else if (argc == 7 && !strcmp(argv[1], "fleet"))
		rc = bench_fleet(argv[2], argv[3], argv[4], atoi(argv[5]),
				 atoi(argv[6]));
	else
		fprintf(stderr, "usage: bench_server local HOME REGFILE N | remote URL CA REGFILE N | fleet URL[,URL...] CA REGDIR AGENTS JOBS\n");
	curl_global_cleanup();
	return rc;
}
