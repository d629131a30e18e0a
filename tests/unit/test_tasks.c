/*
 * test_tasks.c - task manifests (svcconn/tasks.h).
 *
 * Against the real data in SVC_SHARED_DIR/data/tasks: all 224 manifests load
 * without a diagnostic; the connection inputs found are exactly the rows of
 * INDEX.tsv; every connection type string of TYPES.tsv names a catalog type
 * and schemes it has (with the known gaps listed below); lookups by name,
 * name@major and GUID.  Against manifests written to a temporary directory:
 * a byte-order mark, hostile files (each reported with its file name and
 * skipped, while good manifests beside them still load), and a directory
 * given first overriding the defaults.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "svcconn/catalog.h"
#include "svcconn/tasks.h"
#include "util/buf.h"

#define TASKS_DIR SVC_SHARED_DIR "/data/tasks"

/* Number of task.json files under TASKS_DIR. */
#define REAL_TASKS 224

/*
 * Connection type strings of the tasks that must NOT name a catalog type:
 * the Azure DevOps "workload identity user" is the pipeline's own identity,
 * not a connection svcconn stores.
 */
static const char *const not_catalog_types[] = { "WorkloadIdentityUser" };

/* Schemes the tasks accept that the catalog does not have (known gaps). */
static const struct {
	const char *type;   /**< type id as the tasks spell it */
	const char *scheme; /**< scheme missing from the catalog type */
} scheme_gaps[] = {
	{ "github", "OAuth2" }, /* the catalog's github type has no OAuth2 */
};

/* ---- helpers ------------------------------------------------------------ */

/* A list of owned strings. */
typedef struct strlist {
	char **v;      /**< the strings */
	size_t n;      /**< entries used */
	size_t alloc;  /**< entries allocated */
} strlist;

static void sl_add(strlist *l, const char *s)
{
	if (l->n == l->alloc) {
		l->alloc = l->alloc ? l->alloc * 2 : 64;
		l->v = realloc(l->v, l->alloc * sizeof(*l->v));
		assert_non_null(l->v);
	}
	l->v[l->n] = strdup(s);
	assert_non_null(l->v[l->n]);
	l->n++;
}

static void sl_free(strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sort and drop duplicates. */
static void sl_sort_unique(strlist *l)
{
	size_t i, j = 0;

	qsort(l->v, l->n, sizeof(*l->v), cmp_str);
	for (i = 0; i < l->n; i++) {
		if (j && strcmp(l->v[j - 1], l->v[i]) == 0) {
			free(l->v[i]);
			continue;
		}
		l->v[j++] = l->v[i];
	}
	l->n = j;
}

/* The lines of a text file after its header line, CRs dropped. */
static void read_tsv(strlist *rows, const char *path)
{
	char *text = tu_read_file(path, NULL), *line, *next;
	int header = 1;

	if (!text)
		fail_msg("cannot read %s", path);
	for (line = text; line && *line; line = next) {
		size_t len;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		len = strlen(line);
		if (len && line[len - 1] == '\r')
			line[--len] = '\0';
		if (header) {
			header = 0;
			continue;
		}
		if (len)
			sl_add(rows, line);
	}
	free(text);
}

/* Every diagnostic, one per line (caller frees). */
static char *diags_text(const svc_diags *d)
{
	svc_buf b = SVC_BUF_INIT;
	size_t i;

	for (i = 0; i < svc_diags_count(d); i++) {
		char *s = svc_diag_format(svc_diags_at(d, i));

		assert_non_null(s);
		buf_printf(&b, "\n  %s", s);
		free(s);
	}
	return buf_detach(&b, NULL);
}

static svc_tasks *load(const char *const *dirs, size_t n, svc_diags **diags)
{
	svc_tasks *t = NULL;

	assert_int_equal(svc_diags_new(diags), 0);
	assert_int_equal(svc_tasks_load(&t, dirs, n, *diags), 0);
	assert_non_null(t);
	return t;
}

static svc_tasks *load_real(svc_diags **diags)
{
	const char *dirs[] = { TASKS_DIR };

	return load(dirs, 1, diags);
}

/* The last path component of a directory. */
static const char *base_name(const char *dir)
{
	const char *s = strrchr(dir, '/');

	return s ? s + 1 : dir;
}

/* The diagnostic of severity sev whose file is path, or NULL. */
static const svc_diag *diag_for(const svc_diags *d, const char *path,
				svc_severity sev)
{
	size_t i;

	for (i = 0; i < svc_diags_count(d); i++) {
		const svc_diag *e = svc_diags_at(d, i);

		if (e->severity == sev && e->file && strcmp(e->file, path) == 0)
			return e;
	}
	return NULL;
}

/* Write dir/sub/task.json (sub NULL: dir/task.json) holding content. */
static void write_manifest(const char *dir, const char *sub,
			   const char *content)
{
	char *d = sub ? tu_path(dir, sub) : strdup(dir);
	char *p;

	assert_non_null(d);
	if (sub)
		assert_int_equal(mkdir(d, 0700), 0);
	p = tu_path(d, "task.json");
	tu_write_file(p, content);
	free(p);
	free(d);
}

/* A small valid manifest for a task name, major version and friendly name. */
static char *manifest(const char *id, const char *name, const char *major,
		      const char *friendly)
{
	svc_buf b = SVC_BUF_INIT;

	assert_int_equal(buf_printf(&b,
		"{\n  \"id\": \"%s\",\n  \"name\": \"%s\",\n"
		"  \"friendlyName\": \"%s\",\n"
		"  \"version\": { \"Major\": %s, \"Minor\": \"7\", \"Patch\": 1 },\n"
		"  \"inputs\": [\n"
		"    { \"name\": \"conn\", \"aliases\": [\"serviceConnection\"],\n"
		"      \"type\": \"connectedService:Generic\", \"required\": \"True\" },\n"
		"    { \"name\": \"text\", \"type\": \"string\", \"defaultValue\": 5 }\n"
		"  ],\n"
		"  \"execution\": { \"Node20_1\": { \"target\": \"main.js\" } }\n}\n",
		id, name, friendly, major), 0);
	return buf_detach(&b, NULL);
}

#define GOOD_ID "11111111-2222-3333-4444-555555555555"
#define WARN_ID "aaaaaaaa-2222-3333-4444-555555555555"

/* ---- the real manifests ------------------------------------------------- */

static void test_real_load(void **state)
{
	svc_diags *d;
	svc_tasks *t;
	char *text;
	size_t i;

	(void)state;
	t = load_real(&d);
	text = diags_text(d);
	if (svc_diags_count(d) != 0)
		fail_msg("%zu diagnostics (%zu errors):%s", svc_diags_count(d),
			 svc_diags_errors(d), text);
	free(text);
	assert_int_equal(svc_tasks_count(t), REAL_TASKS);
	for (i = 0; i < svc_tasks_count(t); i++) {
		const svc_task *k = svc_tasks_at(t, i);
		char *p = tu_path(k->dir, "task.json");

		assert_string_equal(p, k->manifest_path);
		free(p);
		assert_non_null(k->id);
		assert_non_null(k->name);
		assert_non_null(k->friendly_name);
		if (k->ninputs)
			assert_non_null(k->inputs);
		assert_true(k->nhandlers > 0 || k->ninputs > 0);
	}
	assert_null(svc_tasks_at(t, REAL_TASKS));
	svc_tasks_free(t);
	svc_diags_free(d);
}

/* Rebuild "type[:scheme,...]" from the parsed parts of a connection input. */
static void check_split(const svc_task *k, const svc_task_input *in)
{
	svc_buf b = SVC_BUF_INIT;
	size_t j;

	assert_non_null(in->conn_type);
	buf_printf(&b, "connectedService:%s", in->conn_type);
	for (j = 0; j < in->nschemes; j++)
		buf_printf(&b, "%c%s", j ? ',' : ':', in->schemes[j]);
	if (strcmp(b.ptr, in->type) != 0)
		fail_msg("%s: input %s: type \"%s\" split as \"%s\"",
			 k->manifest_path, in->name, in->type, b.ptr);
	buf_clear(&b);
}

static void test_real_index(void **state)
{
	strlist want = { 0 }, got = { 0 };
	svc_buf diff = SVC_BUF_INIT;
	svc_diags *d;
	svc_tasks *t;
	size_t i, j, a, ndiff = 0;

	(void)state;
	read_tsv(&want, TASKS_DIR "/INDEX.tsv");
	assert_true(want.n > 0);
	t = load_real(&d);
	for (i = 0; i < svc_tasks_count(t); i++) {
		const svc_task *k = svc_tasks_at(t, i);

		for (j = 0; j < k->ninputs; j++) {
			const svc_task_input *in = &k->inputs[j];
			svc_buf row = SVC_BUF_INIT;

			if (strncasecmp(in->type, "connectedService", 16) == 0)
				assert_true(in->is_connection);
			if (!in->is_connection) {
				assert_null(in->conn_type);
				assert_int_equal(in->nschemes, 0);
				continue;
			}
			check_split(k, in);
			buf_printf(&row, "%s\t%s\t%u\t%s\t%s\t",
				   base_name(k->dir), k->name, k->major,
				   k->id, in->name);
			for (a = 0; a < in->naliases; a++)
				buf_printf(&row, "%s%s", a ? "," : "",
					   in->aliases[a]);
			buf_printf(&row, "\t%s", in->type);
			sl_add(&got, row.ptr);
			buf_clear(&row);
		}
	}
	sl_sort_unique(&want);
	sl_sort_unique(&got);
	for (i = 0, j = 0; i < want.n || j < got.n;) {
		int c = i == want.n ? 1 : j == got.n ? -1 :
			strcmp(want.v[i], got.v[j]);

		if (c == 0) {
			i++, j++;
			continue;
		}
		buf_printf(&diff, "\n  %s %s", c < 0 ? "missing:   " :
			   "unexpected:", c < 0 ? want.v[i++] : got.v[j++]);
		ndiff++;
	}
	if (ndiff)
		fail_msg("%zu rows differ from INDEX.tsv (%zu expected, %zu "
			 "found):%s", ndiff, want.n, got.n, diff.ptr);
	assert_int_equal(got.n, 165);
	buf_clear(&diff);
	sl_free(&want);
	sl_free(&got);
	svc_tasks_free(t);
	svc_diags_free(d);
}

static int is_scheme_gap(const char *type, const char *scheme)
{
	size_t i;

	for (i = 0; i < sizeof(scheme_gaps) / sizeof(scheme_gaps[0]); i++)
		if (strcasecmp(scheme_gaps[i].type, type) == 0 &&
		    strcasecmp(scheme_gaps[i].scheme, scheme) == 0)
			return 1;
	return 0;
}

static int is_not_catalog(const char *type)
{
	size_t i;

	for (i = 0; i < sizeof(not_catalog_types) /
			sizeof(not_catalog_types[0]); i++)
		if (strcasecmp(not_catalog_types[i], type) == 0)
			return 1;
	return 0;
}

static void test_real_types_in_catalog(void **state)
{
	strlist rows = { 0 };
	svc_buf errs = SVC_BUF_INIT;
	svc_catalog *cat;
	size_t i, nerr = 0, nschemes = 0, nexcluded = 0;

	(void)state;
	assert_int_equal(svc_catalog_new(&cat), 0);
	read_tsv(&rows, TASKS_DIR "/TYPES.tsv");
	assert_true(rows.n > 0);
	for (i = 0; i < rows.n; i++) {
		char *s = rows.v[i], *colon, *scheme, *save = NULL;
		const svc_type *ty;

		s[strcspn(s, "\t")] = '\0';
		colon = strchr(s, ':');
		if (colon)
			*colon = '\0';
		ty = svc_catalog_find(cat, s);
		if (is_not_catalog(s)) {
			nexcluded++;
			if (ty) {
				buf_printf(&errs, "\n  \"%s\" maps to catalog "
					   "type %s", s, ty->id);
				nerr++;
			}
			continue;
		}
		if (!ty) {
			buf_printf(&errs, "\n  \"%s\" is not a catalog type", s);
			nerr++;
			continue;
		}
		for (scheme = colon ? strtok_r(colon + 1, ",", &save) : NULL;
		     scheme; scheme = strtok_r(NULL, ",", &save)) {
			nschemes++;
			if (svc_type_scheme(ty, scheme) ||
			    is_scheme_gap(s, scheme))
				continue;
			buf_printf(&errs, "\n  \"%s\" (catalog %s) has no scheme "
				   "\"%s\"", s, ty->id, scheme);
			nerr++;
		}
	}
	if (nerr)
		fail_msg("%zu connection types or schemes do not match the "
			 "catalog:%s", nerr, errs.ptr);
	/* WorkloadIdentityUser and workloadidentityuser */
	assert_int_equal(nexcluded, 2);
	assert_true(nschemes > 0);
	buf_clear(&errs);
	sl_free(&rows);
	svc_catalog_free(cat);
}

static void test_find(void **state)
{
	const svc_task *k, *k2;
	const svc_task_input *in;
	svc_diags *d;
	svc_tasks *t;

	(void)state;
	t = load_real(&d);

	k = svc_tasks_find(t, "AzureCLI@2");
	assert_non_null(k);
	assert_string_equal(k->name, "AzureCLI");
	assert_int_equal(k->major, 2);
	assert_string_equal(base_name(k->dir), "AzureCLIV2");
	assert_string_equal(k->id, "46E4BE58-730B-4389-8A2F-EA10B3E5E815");
	assert_ptr_equal(svc_tasks_find(t, "azurecli@2"), k);
	assert_ptr_equal(svc_tasks_find(t,
		"46e4be58-730b-4389-8a2f-ea10b3e5e815@2"), k);

	k2 = svc_tasks_find(t, "azurecli@1");
	assert_non_null(k2);
	assert_int_equal(k2->major, 1);
	assert_string_equal(base_name(k2->dir), "AzureCLIV1");

	k2 = svc_tasks_find(t, "AzureCLI");
	assert_non_null(k2);
	assert_int_equal(k2->major, 3);
	assert_ptr_equal(svc_tasks_find(t,
		"46E4BE58-730B-4389-8A2F-EA10B3E5E815"), k2);

	k2 = svc_tasks_find(t, "Docker@2");
	assert_non_null(k2);
	assert_string_equal(k2->name, "Docker");
	assert_int_equal(k2->major, 2);

	assert_null(svc_tasks_find(t, "Nope@1"));
	assert_null(svc_tasks_find(t,
		"ms-devlabs.x.y.PublishAzureDevOpsExtension@5"));
	assert_null(svc_tasks_find(t, "ms-devlabs.x.y.AzureCLI@2"));
	assert_null(svc_tasks_find(t, "AzureCLI@9"));
	assert_null(svc_tasks_find(t, "AzureCLI@"));
	assert_null(svc_tasks_find(t, "AzureCLI@2.1"));
	assert_null(svc_tasks_find(t, "AzureCLI@2@2"));
	assert_null(svc_tasks_find(t, "AzureCLI@-2"));
	assert_null(svc_tasks_find(t, "AzureCLI@99999999999"));
	assert_null(svc_tasks_find(t, "@2"));
	assert_null(svc_tasks_find(t, ""));
	assert_null(svc_tasks_find(t, " AzureCLI@2"));
	assert_null(svc_tasks_find(t, NULL));
	assert_null(svc_tasks_find(NULL, "AzureCLI@2"));

	/* inputs by name and alias, any case */
	in = svc_task_input_find(k, "azureSubscription");
	assert_non_null(in);
	assert_string_equal(in->name, "connectedServiceNameARM");
	assert_ptr_equal(svc_task_input_find(k, "CONNECTEDSERVICENAMEARM"), in);
	assert_true(in->is_connection);
	assert_string_equal(in->conn_type, "AzureRM");
	assert_int_equal(in->nschemes, 0);
	assert_true(in->required);
	assert_false(in->multi);
	assert_string_equal(in->label, "Azure Resource Manager connection");
	in = svc_task_input_find(k, "scriptLocation");
	assert_non_null(in);
	assert_false(in->is_connection);
	assert_string_equal(in->type, "pickList");
	assert_string_equal(in->default_value, "scriptPath");
	assert_null(svc_task_input_find(k, "nope"));
	assert_null(svc_task_input_find(k, NULL));

	/* handlers in manifest order */
	assert_int_equal(k->nhandlers, 3);
	assert_string_equal(k->handlers[0].kind, "Node10");
	assert_string_equal(k->handlers[1].kind, "Node16");
	assert_string_equal(k->handlers[2].kind, "Node20_1");
	assert_string_equal(k->handlers[2].target, "azureclitask.js");
	assert_string_equal(k->handlers[2].argument_format, "");

	/* multi-select connection inputs */
	k = svc_tasks_find(t, "DotNetCoreCLI@2");
	assert_non_null(k);
	in = svc_task_input_find(k, "externalFeedCredentials");
	assert_non_null(in);
	assert_string_equal(in->name, "externalEndpoints");
	assert_true(in->multi);
	assert_string_equal(in->conn_type, "ExternalNuGetFeed");
	in = svc_task_input_find(k, "publishFeedCredentials");
	assert_non_null(in);
	assert_false(in->multi);

	/* schemes */
	k = svc_tasks_find(t, "GitHubRelease@1");
	assert_non_null(k);
	in = svc_task_input_find(k, "gitHubConnection");
	assert_non_null(in);
	assert_string_equal(in->conn_type, "github");
	assert_int_equal(in->nschemes, 5);
	assert_string_equal(in->schemes[0], "OAuth");
	assert_string_equal(in->schemes[1], "OAuth2");
	assert_string_equal(in->schemes[4], "Token");

	svc_tasks_free(t);
	svc_diags_free(d);
}

/* ---- manifests written here --------------------------------------------- */

static void test_bom(void **state)
{
	svc_buf b = SVC_BUF_INIT;
	const svc_task *k;
	const char *dirs[1];
	svc_diags *d;
	svc_tasks *t;
	char *dir = tu_mkdtemp(), *m, *text;

	(void)state;
	m = manifest(GOOD_ID, "BomTask", "\"4\"", "With a BOM");
	buf_puts(&b, "\xEF\xBB\xBF");
	buf_puts(&b, m);
	write_manifest(dir, "BomTaskV4", b.ptr);
	/* keys in another case, as the agent accepts them */
	write_manifest(dir, "CaseV3", "{\"ID\": \"" WARN_ID "\", "
		       "\"NAME\": \"Case\", \"Version\": {\"major\": 3}, "
		       "\"Inputs\": [{\"Name\": \"c\", \"TYPE\": "
		       "\"connectedService:ssh\", \"Aliases\": [\"sshEndpoint\"], "
		       "\"Properties\": {\"multiselectflatlist\": \"TRUE\"}}]}");
	dirs[0] = dir;
	t = load(dirs, 1, &d);
	text = diags_text(d);
	if (svc_diags_count(d))
		fail_msg("diagnostics:%s", text);
	free(text);
	assert_int_equal(svc_tasks_count(t), 2);
	k = svc_tasks_find(t, "case");
	assert_non_null(k);
	assert_int_equal(k->major, 3);
	assert_ptr_equal(svc_task_input_find(k, "SSHENDPOINT"), &k->inputs[0]);
	assert_string_equal(k->inputs[0].conn_type, "ssh");
	assert_true(k->inputs[0].multi);
	k = svc_tasks_find(t, "bomtask@4");
	assert_non_null(k);
	assert_int_equal(k->major, 4);
	assert_int_equal(k->minor, 7);
	assert_int_equal(k->patch, 1);
	assert_string_equal(k->friendly_name, "With a BOM");
	assert_int_equal(k->ninputs, 2);
	assert_true(k->inputs[0].required);
	assert_string_equal(k->inputs[0].conn_type, "Generic");
	assert_string_equal(k->inputs[1].default_value, "5");
	assert_int_equal(k->nhandlers, 1);
	assert_string_equal(k->handlers[0].target, "main.js");
	assert_null(k->handlers[0].argument_format);
	svc_tasks_free(t);
	svc_diags_free(d);
	buf_clear(&b);
	free(m);
	tu_rm_rf(dir);
	free(dir);
}

/*
 * prejobexecution and postjobexecution (any key case, as the agent reads
 * task.json) are loaded beside execution; a malformed one is a warning
 * naming its field, and the task still loads without it.
 */
static void test_job_handlers(void **state)
{
	const svc_task *k;
	const char *dirs[1];
	svc_diags *d;
	svc_tasks *t;
	char *dir = tu_mkdtemp(), *text;

	(void)state;
	write_manifest(dir, "AuthV0", "{\"id\": \"" GOOD_ID "\", \"name\": \"Auth\", "
		       "\"version\": {\"Major\": 0}, "
		       "\"PreJobExecution\": {\"Node16\": {\"target\": \"pre16.js\"}, "
		       "\"Node20_1\": {\"target\": \"pre.js\"}}, "
		       "\"execution\": {\"Node20_1\": {\"target\": \"main.js\"}}, "
		       "\"postjobexecution\": {\"Node20_1\": {\"target\": \"post.js\", "
		       "\"argumentFormat\": \"\"}}}");
	write_manifest(dir, "BadV1", "{\"id\": \"" WARN_ID "\", \"name\": \"Bad\", "
		       "\"version\": {\"Major\": 1}, "
		       "\"execution\": {\"Node20_1\": {\"target\": \"main.js\"}}, "
		       "\"postjobexecution\": [\"post.js\"]}");
	dirs[0] = dir;
	t = load(dirs, 1, &d);
	assert_int_equal(svc_tasks_count(t), 2);
	k = svc_tasks_find(t, "Auth@0");
	assert_non_null(k);
	assert_int_equal(k->nhandlers, 1);
	assert_string_equal(k->handlers[0].target, "main.js");
	assert_int_equal(k->npre_handlers, 2);
	assert_string_equal(k->pre_handlers[0].kind, "Node16");
	assert_string_equal(k->pre_handlers[1].target, "pre.js");
	assert_int_equal(k->npost_handlers, 1);
	assert_string_equal(k->post_handlers[0].target, "post.js");
	k = svc_tasks_find(t, "Bad@1");
	assert_non_null(k);
	assert_int_equal(k->nhandlers, 1);
	assert_int_equal(k->npost_handlers, 0);
	assert_null(k->pre_handlers);
	text = diags_text(d);
	assert_non_null(strstr(text, "field 'postjobexecution' is an array, not an object; ignored"));
	free(text);
	svc_tasks_free(t);
	svc_diags_free(d);
	tu_rm_rf(dir);
	free(dir);
}

/* A hostile manifest: the folder it is written to and its content. */
struct hostile {
	const char *folder;  /**< subdirectory of the temporary directory */
	char *content;       /**< task.json content (owned) */
	int positioned;      /**< 1 when the error must carry line and column */
};

static char *xstrdup(const char *s)
{
	char *p = strdup(s);

	assert_non_null(p);
	return p;
}

/* Manifest text with one field replaced: the good manifest's prefix. */
#define HEAD "{\"id\": \"" GOOD_ID "\", \"version\": {\"Major\": 1}, "

static void test_hostile(void **state)
{
	struct hostile h[32];
	svc_buf big = SVC_BUF_INIT;
	const char *dirs[1];
	svc_diags *d;
	svc_tasks *t;
	char *dir = tu_mkdtemp(), *text, *good, *p;
	size_t n = 0, i;

	(void)state;
	h[n++] = (struct hostile){ "Truncated", xstrdup(
		"{\n  \"id\": \"" GOOD_ID "\",\n  \"name\": \"Trunc"), 1 };
	/* 5 MiB: valid JSON, but past the size limit */
	buf_init(&big, 0, 0);
	buf_puts(&big, HEAD "\"name\": \"Huge\", \"pad\": \"");
	while (big.len < (size_t)5 * 1024 * 1024)
		buf_puts(&big, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	buf_puts(&big, "\"}");
	h[n++] = (struct hostile){ "Huge", buf_detach(&big, NULL), 0 };
	h[n++] = (struct hostile){ "DupKeys", xstrdup(HEAD
		"\"name\": \"A\",\n\"name\": \"B\"}"), 1 };
	h[n++] = (struct hostile){ "InputsObject", xstrdup(HEAD
		"\"name\": \"InputsObject\", \"inputs\": {\"name\": \"x\"}}"),
		0 };
	h[n++] = (struct hostile){ "TypeNumber", xstrdup(HEAD
		"\"name\": \"TypeNumber\", \"inputs\": [{\"name\": \"x\", "
		"\"type\": 5}]}"), 0 };
	/* nested past jansson's depth limit */
	buf_init(&big, 0, 0);
	for (i = 0; i < 50000; i++)
		buf_putc(&big, '[');
	h[n++] = (struct hostile){ "DeepOpen", buf_detach(&big, NULL), 1 };
	buf_init(&big, 0, 0);
	buf_puts(&big, HEAD "\"name\": \"DeepClosed\", \"x\": ");
	for (i = 0; i < 5000; i++)
		buf_putc(&big, '[');
	for (i = 0; i < 5000; i++)
		buf_putc(&big, ']');
	buf_puts(&big, "}");
	h[n++] = (struct hostile){ "DeepClosed", buf_detach(&big, NULL), 1 };
	h[n++] = (struct hostile){ "Empty", xstrdup(""), 0 };
	h[n++] = (struct hostile){ "NotObject", xstrdup("[1, 2, 3]"), 0 };
	h[n++] = (struct hostile){ "Garbage", xstrdup(HEAD
		"\"name\": \"Garbage\"} x"), 1 };
	h[n++] = (struct hostile){ "BadUtf8", xstrdup(HEAD
		"\"name\": \"Bad\xff\xfe\"}"), 0 };
	h[n++] = (struct hostile){ "NulString", xstrdup(HEAD
		"\"name\": \"Nul\\u0000\"}"), 0 };
	h[n++] = (struct hostile){ "NoId", xstrdup(
		"{\"name\": \"NoId\", \"version\": {\"Major\": 1}}"), 0 };
	h[n++] = (struct hostile){ "IdNotGuid", xstrdup(
		"{\"id\": \"x\", \"name\": \"X\", \"version\": {\"Major\": 1}}"),
		0 };
	h[n++] = (struct hostile){ "NameAt", xstrdup(HEAD
		"\"name\": \"Evil@1\"}"), 0 };
	h[n++] = (struct hostile){ "NameEscape", xstrdup(HEAD
		"\"name\": \"E\\u001b[31m\"}"), 0 };
	h[n++] = (struct hostile){ "NoVersion", xstrdup(
		"{\"id\": \"" GOOD_ID "\", \"name\": \"NoVersion\"}"), 0 };
	h[n++] = (struct hostile){ "MajorNegative", xstrdup(
		"{\"id\": \"" GOOD_ID "\", \"name\": \"M\", "
		"\"version\": {\"Major\": -1}}"), 0 };
	h[n++] = (struct hostile){ "MajorHuge", xstrdup(
		"{\"id\": \"" GOOD_ID "\", \"name\": \"M\", "
		"\"version\": {\"Major\": \"99999999999\"}}"), 0 };
	h[n++] = (struct hostile){ "MajorReal", xstrdup(
		"{\"id\": \"" GOOD_ID "\", \"name\": \"M\", "
		"\"version\": {\"Major\": 1.5}}"), 0 };
	h[n++] = (struct hostile){ "MajorOverflow", xstrdup(
		"{\"id\": \"" GOOD_ID "\", \"name\": \"M\", "
		"\"version\": {\"Major\": 1e999}}"), 1 };
	h[n++] = (struct hostile){ "InputNotObject", xstrdup(HEAD
		"\"name\": \"I\", \"inputs\": [\"x\"]}"), 0 };
	h[n++] = (struct hostile){ "InputNoName", xstrdup(HEAD
		"\"name\": \"I\", \"inputs\": [{\"type\": \"string\"}]}"), 0 };
	h[n++] = (struct hostile){ "AliasNumber", xstrdup(HEAD
		"\"name\": \"I\", \"inputs\": [{\"name\": \"x\", \"type\": "
		"\"string\", \"aliases\": [1]}]}"), 0 };
	h[n++] = (struct hostile){ "AliasesString", xstrdup(HEAD
		"\"name\": \"I\", \"inputs\": [{\"name\": \"x\", \"type\": "
		"\"string\", \"aliases\": \"y\"}]}"), 0 };
	h[n++] = (struct hostile){ "ConnNoType", xstrdup(HEAD
		"\"name\": \"I\", \"inputs\": [{\"name\": \"x\", \"type\": "
		"\"connectedService:\"}]}"), 0 };
	/* too many inputs */
	buf_init(&big, 0, 0);
	buf_puts(&big, HEAD "\"name\": \"Many\", \"inputs\": [");
	for (i = 0; i < 600; i++)
		buf_printf(&big, "%s{\"name\": \"i%zu\", \"type\": \"string\"}",
			   i ? "," : "", i);
	buf_puts(&big, "]}");
	h[n++] = (struct hostile){ "TooManyInputs", buf_detach(&big, NULL),
		0 };
	/* small, but too costly to parse: 150000 values */
	buf_init(&big, 0, 0);
	buf_puts(&big, HEAD "\"name\": \"ManyValues\", \"x\": [0");
	for (i = 1; i < 150000; i++)
		buf_puts(&big, ",0");
	buf_puts(&big, "]}");
	h[n++] = (struct hostile){ "ManyValues", buf_detach(&big, NULL), 0 };
	assert_true(n <= sizeof(h) / sizeof(h[0]));

	for (i = 0; i < n; i++)
		write_manifest(dir, h[i].folder, h[i].content);
	/* a FIFO must not block the loader */
	p = tu_path(dir, "Fifo");
	assert_int_equal(mkdir(p, 0700), 0);
	free(p);
	p = tu_path(dir, "Fifo/task.json");
	assert_int_equal(mkfifo(p, 0600), 0);
	free(p);
	/* good manifests beside them: one clean, one with only warnings */
	good = manifest(GOOD_ID, "Good", "1", "Good");
	write_manifest(dir, "GoodV1", good);
	free(good);
	write_manifest(dir, "WarnV1", "{\"id\": \"" WARN_ID "\", "
		"\"version\": {\"Major\": 1}, \"name\": \"Warn\", "
		"\"friendlyName\": 5, \"inputs\": [{\"name\": \"x\", \"type\": "
		"\"connectedService:ssh\", \"required\": \"maybe\", "
		"\"defaultValue\": {}, \"label\": [], \"properties\": 1}, "
		"{\"name\": \"y\", \"aliases\": [\"X\"], \"type\": \"string\"}], "
		"\"execution\": {\"Node\": 5, \"Bash\": {\"target\": 1}}}");
	/* a subdirectory without task.json and a plain file are ignored */
	p = tu_path(dir, "Empty.d");
	assert_int_equal(mkdir(p, 0700), 0);
	free(p);
	p = tu_path(dir, "README");
	tu_write_file(p, "not a task\n");
	free(p);

	dirs[0] = dir;
	t = load(dirs, 1, &d);
	text = diags_text(d);

	/* the good ones load */
	assert_int_equal(svc_tasks_count(t), 2);
	assert_non_null(svc_tasks_find(t, "Good@1"));
	assert_non_null(svc_tasks_find(t, "Warn@1"));
	assert_null(svc_tasks_find(t, "Warn@1")->friendly_name);
	assert_false(svc_tasks_find(t, "Warn@1")->inputs[0].required);
	assert_int_equal(svc_tasks_find(t, "Warn@1")->nhandlers, 2);

	/* each bad one: one error naming its file, nothing else */
	for (i = 0; i < n; i++) {
		char *sub = tu_path(dir, h[i].folder);
		char *path = tu_path(sub, "task.json");
		const svc_diag *e = diag_for(d, path, SVC_SEV_ERROR);

		if (!e)
			fail_msg("%s: no error diagnostic:%s", h[i].folder,
				 text);
		assert_non_null(e->message);
		assert_true(e->message[0] != '\0');
		if (h[i].positioned && (e->line == 0 || e->column == 0))
			fail_msg("%s: no position: %s", h[i].folder,
				 e->message);
		free(path);
		free(sub);
	}
	p = tu_path(dir, "Fifo/task.json");
	assert_non_null(diag_for(d, p, SVC_SEV_ERROR));
	free(p);
	if (svc_diags_errors(d) != n + 1)
		fail_msg("%zu errors for %zu bad manifests:%s",
			 svc_diags_errors(d), n + 1, text);
	/* friendlyName, required, defaultValue, label, properties, the
	 * two handlers, and the alias X naming input x */
	if (svc_diags_count(d) - svc_diags_errors(d) != 8)
		fail_msg("expected 8 warnings:%s", text);
	/* printable text only in messages */
	for (i = 0; i < svc_diags_count(d); i++) {
		const char *m = svc_diags_at(d, i)->message;

		for (; *m; m++)
			assert_true(*m >= 0x20 && *m < 0x7f);
	}

	free(text);
	svc_tasks_free(t);
	svc_diags_free(d);
	for (i = 0; i < n; i++)
		free(h[i].content);
	tu_rm_rf(dir);
	free(dir);
}

static void test_override(void **state)
{
	const char *dirs[2];
	const svc_task *k;
	const svc_diag *e;
	svc_diags *d;
	svc_tasks *t;
	char *dir = tu_mkdtemp(), *m, *over, *real;

	(void)state;
	/* a task.json in the directory itself */
	m = manifest("46E4BE58-730B-4389-8A2F-EA10B3E5E815", "AzureCLI", "2",
		     "Override");
	write_manifest(dir, NULL, m);
	free(m);
	over = tu_path(dir, "task.json");
	real = xstrdup(TASKS_DIR "/AzureCLIV2/task.json");

	/* given first: it wins, the default is noted */
	dirs[0] = dir;
	dirs[1] = TASKS_DIR;
	t = load(dirs, 2, &d);
	assert_int_equal(svc_tasks_count(t), REAL_TASKS);
	k = svc_tasks_find(t, "AzureCLI@2");
	assert_non_null(k);
	assert_string_equal(k->friendly_name, "Override");
	assert_string_equal(k->manifest_path, over);
	assert_string_equal(k->dir, dir);
	assert_int_equal(svc_tasks_find(t, "AzureCLI")->major, 3);
	assert_int_equal(svc_diags_errors(d), 0);
	assert_int_equal(svc_diags_count(d), 1);
	e = diag_for(d, real, SVC_SEV_NOTE);
	assert_non_null(e);
	assert_non_null(strstr(e->message, over));
	svc_tasks_free(t);
	svc_diags_free(d);

	/* given last: the default wins */
	dirs[0] = TASKS_DIR;
	dirs[1] = dir;
	t = load(dirs, 2, &d);
	assert_int_equal(svc_tasks_count(t), REAL_TASKS);
	assert_string_equal(svc_tasks_find(t, "AzureCLI@2")->friendly_name,
			    "Azure CLI");
	assert_int_equal(svc_diags_count(d), 1);
	assert_non_null(diag_for(d, over, SVC_SEV_NOTE));
	svc_tasks_free(t);
	svc_diags_free(d);

	/* the same directory twice: every manifest of the second is noted */
	dirs[0] = TASKS_DIR;
	dirs[1] = TASKS_DIR "/";
	t = load(dirs, 2, &d);
	assert_int_equal(svc_tasks_count(t), REAL_TASKS);
	assert_int_equal(svc_diags_count(d), REAL_TASKS);
	assert_int_equal(svc_diags_errors(d), 0);
	svc_tasks_free(t);
	svc_diags_free(d);

	free(over);
	free(real);
	tu_rm_rf(dir);
	free(dir);
}

static void test_dirs(void **state)
{
	const char *dirs[3];
	svc_diags *d;
	svc_tasks *t;
	char *dir = tu_mkdtemp();

	(void)state;
	/* missing, not a directory, empty: warnings, and loading goes on */
	dirs[0] = "/nonexistent/svcconn-tasks";
	dirs[1] = TASKS_DIR "/INDEX.tsv";
	dirs[2] = dir;
	t = load(dirs, 3, &d);
	assert_int_equal(svc_tasks_count(t), 0);
	assert_int_equal(svc_diags_count(d), 3);
	assert_int_equal(svc_diags_errors(d), 0);
	assert_non_null(diag_for(d, dirs[0], SVC_SEV_WARNING));
	assert_non_null(diag_for(d, dirs[1], SVC_SEV_WARNING));
	assert_non_null(diag_for(d, dir, SVC_SEV_WARNING));
	svc_tasks_free(t);
	svc_diags_free(d);

	/* no diagnostics list, no directories */
	t = NULL;
	dirs[0] = TASKS_DIR;
	dirs[1] = "/nonexistent/svcconn-tasks";
	assert_int_equal(svc_tasks_load(&t, dirs, 2, NULL), 0);
	assert_int_equal(svc_tasks_count(t), REAL_TASKS);
	svc_tasks_free(t);
	t = NULL;
	assert_int_equal(svc_tasks_load(&t, NULL, 0, NULL), 0);
	assert_int_equal(svc_tasks_count(t), 0);
	assert_null(svc_tasks_at(t, 0));
	svc_tasks_free(t);
	svc_tasks_free(NULL);
	assert_int_equal(svc_tasks_count(NULL), 0);
	assert_int_equal(svc_tasks_load(NULL, dirs, 1, NULL), SVC_EINVALID);

	tu_rm_rf(dir);
	free(dir);
}

/* The value merged for input name, failing when there is none. */
static const char *merged(char **names, char **values, size_t n,
			  const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return values[i];
	fail_msg("no merged input '%s'", name);
	return NULL;
}

/*
 * A step's inputs as the agent gives them: every input of the manifest by
 * its name, the step's value (by alias too, the last one given) or the
 * default (a boolean's true, a macro left for expansion) or "", trimmed;
 * then the inputs the manifest does not know.
 */
static void test_inputs_merge(void **state)
{
	char *dir = tu_mkdtemp(), **on = NULL, **ov = NULL;
	const char *names[] = { "serviceConnection", "extra", "FLAG", "extra",
				"unset" };
	const char *values[] = { "  my-conn\n", " x ", " false ", "y", NULL };
	const char *dirs[1];
	svc_diags *diags = NULL;
	svc_tasks *set;
	const svc_task *t;
	size_t n = 0;

	(void)state;
	write_manifest(dir, NULL,
		"{\"id\": \"" GOOD_ID "\", \"name\": \"Merge\", "
		"\"version\": {\"Major\": 1}, \"inputs\": ["
		"{\"name\": \"conn\", \"aliases\": [\"serviceConnection\"], "
		"\"type\": \"connectedService:Generic\", \"required\": true},"
		"{\"name\": \"text\", \"type\": \"string\", \"defaultValue\": 5},"
		"{\"name\": \"flag\", \"type\": \"boolean\", \"defaultValue\": \"true\"},"
		"{\"name\": \"other\", \"type\": \"boolean\", \"defaultValue\": true},"
		"{\"name\": \"cwd\", \"type\": \"filePath\", "
		"\"defaultValue\": \" $(System.DefaultWorkingDirectory) \"},"
		"{\"name\": \"nodefault\", \"type\": \"string\"}]}");
	dirs[0] = dir;
	set = load(dirs, 1, &diags);
	t = svc_tasks_find(set, "Merge@1");
	assert_non_null(t);
	assert_int_equal(svc_task_inputs_merge(&on, &ov, &n, t, names, values,
					       5), 0);
	assert_int_equal(n, 7);
	assert_string_equal(on[0], "conn");
	assert_string_equal(ov[0], "my-conn");
	assert_string_equal(merged(on, ov, n, "text"), "5");
	assert_string_equal(merged(on, ov, n, "flag"), "false");
	assert_string_equal(merged(on, ov, n, "other"), "true");
	assert_string_equal(merged(on, ov, n, "cwd"),
			    "$(System.DefaultWorkingDirectory)");
	assert_string_equal(merged(on, ov, n, "nodefault"), "");
	assert_string_equal(on[6], "extra");
	assert_string_equal(ov[6], "y");
	svc_task_inputs_free(on, ov, n);
	/* no manifest: the step's own, trimmed */
	assert_int_equal(svc_task_inputs_merge(&on, &ov, &n, NULL, names,
					       values, 5), 0);
	assert_int_equal(n, 3);
	assert_string_equal(merged(on, ov, n, "serviceConnection"), "my-conn");
	assert_string_equal(merged(on, ov, n, "FLAG"), "false");
	assert_string_equal(merged(on, ov, n, "extra"), "y");
	svc_task_inputs_free(on, ov, n);
	svc_tasks_free(set);
	svc_diags_free(diags);
	tu_rm_rf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_load),
		cmocka_unit_test(test_real_index),
		cmocka_unit_test(test_real_types_in_catalog),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_bom),
		cmocka_unit_test(test_job_handlers),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_override),
		cmocka_unit_test(test_dirs),
		cmocka_unit_test(test_inputs_merge),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
