/*
 * test_cli_types.c - every type and scheme of the catalog through the real
 * `svcconn` executable.
 *
 * For each scheme of each type (and each variant): a connection with every
 * field set to a valid value is created (secrets from files), shown, exported
 * with secrets, imported into a second store and compared; every required
 * field, left out, gives an error naming it and the scheme; every validator
 * rejects a bad value with an error naming the field.  A connection of
 * each scheme edited into each variant of its type gets the variant's
 * presets in place of the old scheme's values.  The catalog is read
 * through the library so that a type added later is tested here too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <svcconn/svcconn.h>

#include "testutil.h"

#define MAX_ARGS 200

static char *tmp;         /* temporary directory of this test */
static char *home_a;      /* first store */
static char *home_b;      /* second store (import target) */
static svc_catalog *cat;  /* the catalog */
static int serial;        /* makes names and files unique */

static const char kubeconfig[] =
	"apiVersion: v1\nkind: Config\ncurrent-context: ctx1\n"
	"clusters:\n- name: c1\n  cluster:\n    server: https://k8s.example.test:6443\n"
	"contexts:\n- name: ctx1\n  context:\n    cluster: c1\n    user: u1\n"
	"users:\n- name: u1\n  user:\n    token: kube-token-value\n";

/* A valid sample value for field f; unique per call for plain text. */
static char *sample(const svc_field *f)
{
	char buf[512];

	switch (f->validator) {
	case SVC_VALID_URL:
		snprintf(buf, sizeof(buf), "https://svc%d.example.test/path", serial);
		break;
	case SVC_VALID_TCP_URL:
		snprintf(buf, sizeof(buf), "tcp://host%d.example.test:19000", serial);
		break;
	case SVC_VALID_GUID:
		snprintf(buf, sizeof(buf), "6e6f7c2a-1b3d-4e5f-8a9b-%012d", serial);
		break;
	case SVC_VALID_PEM:
		/* a real (throw-away) key: create parses keys (certificates.md) */
		return strdup("-----BEGIN PRIVATE KEY-----\n"
			      "MC4CAQAwBQYDK2VwBCIEIIZWmTscHi/LvGtXQbPpB+uGHdaR/aqL1vhJKwi+FaCS\n"
			      "-----END PRIVATE KEY-----");
	case SVC_VALID_BASE64:
		snprintf(buf, sizeof(buf), "c2FtcGxl%04dLXZhbHVl", serial % 10000);
		break;
	case SVC_VALID_KUBECONFIG:
		return strdup(kubeconfig);
	case SVC_VALID_THUMBPRINTS:
		snprintf(buf, sizeof(buf), "%040d", serial);
		break;
	case SVC_VALID_NAME:
		snprintf(buf, sizeof(buf), "feed_%d", serial);
		break;
	case SVC_VALID_ENUM:
		if (f->default_value)
			return strdup(f->default_value);
		snprintf(buf, sizeof(buf), "%.*s",
			 (int)strcspn(f->validator_arg, "|"), f->validator_arg);
		break;
	case SVC_VALID_BOOL:
		return strdup("true");
	case SVC_VALID_PORT:
		return strdup("2222");
	case SVC_VALID_KNOWN_HOSTS:
		snprintf(buf, sizeof(buf),
			 "host%d.example.test ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDl0MW9tY2N0ZXN0a2V5dGVzdGtleXRlc3RrZXk=",
			 serial);
		break;
	default:
		if (strcasecmp(f->key, "clusterContext") == 0)
			return strdup("ctx1");
		snprintf(buf, sizeof(buf), "v%d-%s", serial, f->key);
		break;
	}
	return strdup(buf);
}

/* A value f's validator rejects, or NULL when it accepts anything. */
static const char *bad_value(const svc_field *f)
{
	switch (f->validator) {
	case SVC_VALID_URL: return "not a url";
	case SVC_VALID_TCP_URL: return "http://cluster.example.test:19000";
	case SVC_VALID_GUID: return "1234-not-a-guid";
	case SVC_VALID_PEM: return "not a pem block";
	case SVC_VALID_BASE64: return "!!not*base64!!";
	case SVC_VALID_KUBECONFIG: return "apiVersion: [unclosed";
	case SVC_VALID_THUMBPRINTS: return "xyz,12";
	case SVC_VALID_NAME: return "bad name!";
	case SVC_VALID_ENUM: return "NoSuchValue";
	case SVC_VALID_BOOL: return "perhaps";
	case SVC_VALID_PORT: return "70000";
	case SVC_VALID_KNOWN_HOSTS: return "garbage";
	default: return NULL;
	}
}

/* Argument vector builder. */
struct args {
	char *v[MAX_ARGS];  /* the vector, NULL-terminated */
	int n;              /* entries used */
};

static void add(struct args *a, const char *s)
{
	assert_true(a->n < MAX_ARGS - 1);
	a->v[a->n++] = strdup(s);
	a->v[a->n] = NULL;
}

static void args_free(struct args *a)
{
	int i;

	for (i = 0; i < a->n; i++)
		free(a->v[i]);
	a->n = 0;
}

/* Add the option setting field f to value (a secret through a file). */
static void add_field(struct args *a, const svc_field *f, const char *value)
{
	char opt[1024];

	if (f->kind == SVC_FIELD_URL) {
		add(a, "--url");
		add(a, value);
	} else if (f->secret || f->validator == SVC_VALID_KUBECONFIG ||
		   strchr(value, '\n')) {
		char name[64], *path;

		snprintf(name, sizeof(name), "value-%d", ++serial);
		path = tu_path(tmp, name);
		tu_write_file(path, value);
		add(a, "--secret");
		snprintf(opt, sizeof(opt), "%s=@%s", f->key, path);
		add(a, opt);
		free(path);
	} else {
		add(a, "--set");
		snprintf(opt, sizeof(opt), "%s=%s", f->key, value);
		add(a, opt);
	}
}

/* The create command for type t, scheme (or variant) id, skipping field
 * `skip` and replacing field `bad` with a bad value. */
/* The value a variant's presets ("k=v;k=v") give key, or NULL. */
static char *preset(const char *presets, const char *key)
{
	size_t klen = strlen(key);
	const char *p = presets;

	while (p && *p) {
		size_t len = strcspn(p, ";");

		if (len > klen && p[klen] == '=' && strncasecmp(p, key, klen) == 0)
			return strndup(p + klen + 1, len - klen - 1);
		p += len;
		if (*p == ';')
			p++;
	}
	return NULL;
}

static void build_command(struct args *a, const char *verb, const char *home,
			  const svc_type *t, const char *scheme_arg,
			  const svc_scheme *s, const char *name,
			  const svc_field *skip, const svc_field *bad,
			  char ***values)
{
	size_t i, n = svc_type_field_count(t, s);
	const svc_variant *v = svc_type_variant(t, scheme_arg);

	add(a, tu_bin("svcconn"));
	add(a, verb);
	if (!strcmp(verb, "create"))
		add(a, t->id);
	add(a, name);
	add(a, "--home");
	add(a, home);
	add(a, "--scheme");
	add(a, scheme_arg);
	*values = calloc(n + 1, sizeof(char *));
	for (i = 0; i < n; i++) {
		const svc_field *f = svc_type_field_at(t, s, i);

		if (f == skip)
			continue;
		if (f == bad) {
			add_field(a, f, bad_value(f));
			continue;
		}
		/* a variant presets some data fields: leave those to it */
		if (v && ((*values)[i] = preset(v->presets, f->key)) != NULL)
			continue;
		(*values)[i] = sample(f);
		serial++;
		add_field(a, f, (*values)[i]);
	}
}

static void build_create(struct args *a, const char *home, const svc_type *t,
			 const char *scheme_arg, const svc_scheme *s,
			 const char *name, const svc_field *skip,
			 const svc_field *bad, char ***values)
{
	build_command(a, "create", home, t, scheme_arg, s, name, skip, bad,
		      values);
}

static void free_values(char **values, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(values[i]);
	free(values);
}

static json_t *show_json(const char *home, const char *name)
{
	char *argv[] = { (char *)tu_bin("svcconn"), "show", (char *)name,
			 "--json", "--home", (char *)home, NULL };
	tu_result r;
	json_error_t err;
	json_t *o;

	tu_run(&r, NULL, argv, NULL);
	if (r.status != 0)
		fail_msg("show %s: %s", name, r.err);
	o = json_loads(r.out, 0, &err);
	assert_non_null(o);
	tu_result_free(&r);
	return o;
}

/* Check the shown JSON against the values given at creation. */
static void check_shown(json_t *o, const svc_type *t, const svc_scheme *s,
			char **values, const char *what)
{
	size_t i, n = svc_type_field_count(t, s);

	if (strcasecmp(json_string_value(json_object_get(o, "type")), t->id))
		fail_msg("%s: type %s", what,
			 json_string_value(json_object_get(o, "type")));
	if (strcmp(json_string_value(json_object_get(o, "scheme")), s->id))
		fail_msg("%s: scheme %s", what,
			 json_string_value(json_object_get(o, "scheme")));
	for (i = 0; i < n; i++) {
		const svc_field *f = svc_type_field_at(t, s, i);
		json_t *v;
		const char *want;

		if (!values[i])
			continue;
		if (f->kind == SVC_FIELD_URL) {
			v = json_object_get(o, "url");
		} else {
			v = json_object_get(json_object_get(o,
				f->kind == SVC_FIELD_DATA ? "data" : "auth"), f->key);
		}
		want = f->secret ? "***" : values[i];
		if (!json_is_string(v) || strcmp(json_string_value(v), want) != 0)
			fail_msg("%s: field %s is '%s', want '%s'", what, f->key,
				 json_is_string(v) ? json_string_value(v) : "(missing)",
				 want);
	}
}

/* Run a prepared command and expect status; returns the result. */
static void run_expect(tu_result *r, struct args *a, int status,
		       const char *what)
{
	tu_run(r, NULL, a->v, NULL);
	if (r->status != status)
		fail_msg("%s: exit %d (want %d)\nstdout: %s\nstderr: %s", what,
			 r->status, status, r->out, r->err);
}

/* Run a prepared command, expecting success, and free it. */
static void run_ok(struct args *a, const char *what)
{
	tu_result r;

	run_expect(&r, a, 0, what);
	tu_result_free(&r);
	args_free(a);
}

/* The connection name as shown holds values (scheme s of type t). */
static void expect_shown(const char *name, const svc_type *t,
			 const svc_scheme *s, char **values, const char *what)
{
	json_t *o = show_json(home_a, name);

	check_shown(o, t, s, values, what);
	json_decref(o);
}

/* Round trip of one scheme or variant. */
static void round_trip(const svc_type *t, const char *scheme_arg,
		       const svc_scheme *s)
{
	char name[128], what[256], *exp_a, *exp_b, *file_a, *file_b, fn[64];
	char **values = NULL;
	size_t n = svc_type_field_count(t, s);
	struct args a = { { 0 }, 0 };
	tu_result r;
	json_t *o;

	snprintf(name, sizeof(name), "rt-%s-%s", t->id, scheme_arg);
	snprintf(what, sizeof(what), "%s/%s", t->id, scheme_arg);
	build_create(&a, home_a, t, scheme_arg, s, name, NULL, NULL, &values);
	run_ok(&a, what);
	expect_shown(name, t, s, values, what);

	/* export with secrets from A, import into B, export again: same */
	snprintf(fn, sizeof(fn), "exp-a-%d.yml", ++serial);
	file_a = tu_path(tmp, fn);
	snprintf(fn, sizeof(fn), "exp-b-%d.yml", ++serial);
	file_b = tu_path(tmp, fn);
	{
		char *ex[] = { (char *)tu_bin("svcconn"), "export", name,
			       "--include-secrets", "-o", file_a, "--home",
			       home_a, NULL };
		tu_run(&r, NULL, ex, NULL);
		assert_int_equal(r.status, 0);
		tu_result_free(&r);
	}
	{
		char *im[] = { (char *)tu_bin("svcconn"), "import", file_a,
			       "--home", home_b, NULL };
		tu_run(&r, NULL, im, NULL);
		if (r.status != 0)
			fail_msg("%s: import: %s", what, r.err);
		tu_result_free(&r);
	}
	o = show_json(home_b, name);
	check_shown(o, t, s, values, what);
	json_decref(o);
	{
		char *ex[] = { (char *)tu_bin("svcconn"), "export", name,
			       "--include-secrets", "-o", file_b, "--home",
			       home_b, NULL };
		tu_run(&r, NULL, ex, NULL);
		assert_int_equal(r.status, 0);
		tu_result_free(&r);
	}
	exp_a = tu_read_file(file_a, NULL);
	exp_b = tu_read_file(file_b, NULL);
	assert_non_null(exp_a);
	assert_non_null(exp_b);
	if (strcmp(exp_a, exp_b) != 0)
		fail_msg("%s: export after import differs:\n%s\n---\n%s", what,
			 exp_a, exp_b);
	/* every secret value made the trip */
	for (size_t i = 0; i < n; i++) {
		const svc_field *f = svc_type_field_at(t, s, i);

		if (values[i] && f->secret && f->validator == SVC_VALID_NONE &&
		    !strstr(exp_b, values[i]))
			fail_msg("%s: secret %s lost in export/import", what, f->key);
	}
	free(exp_a);
	free(exp_b);
	free(file_a);
	free(file_b);
	free_values(values, n);
}

/* Each required field, left out, is named in the error with the scheme. */
static void missing_fields(const svc_type *t, const svc_scheme *s)
{
	size_t i, n = svc_type_field_count(t, s);

	for (i = 0; i < n; i++) {
		const svc_field *f = svc_type_field_at(t, s, i);
		struct args a = { { 0 }, 0 };
		char name[128], want[256], **values;
		tu_result r;

		if (!f->required || f->default_value)
			continue;
		snprintf(name, sizeof(name), "miss-%d", ++serial);
		build_create(&a, home_a, t, s->id, s, name, f, NULL, &values);
		run_expect(&r, &a, 2, f->key);
		snprintf(want, sizeof(want), "missing required field '%s'", f->key);
		if (!strstr(r.err, want) || !strstr(r.err, s->id))
			fail_msg("%s/%s without %s: error does not name it and the scheme: %s",
				 t->id, s->id, f->key, r.err);
		tu_result_free(&r);
		args_free(&a);
		free_values(values, n);
	}
}

/* Each validator rejects a bad value, naming the field. */
static void bad_values(const svc_type *t, const svc_scheme *s)
{
	size_t i, n = svc_type_field_count(t, s);

	for (i = 0; i < n; i++) {
		const svc_field *f = svc_type_field_at(t, s, i);
		struct args a = { { 0 }, 0 };
		char name[128], want[256], **values;
		tu_result r;

		if (!bad_value(f))
			continue;
		snprintf(name, sizeof(name), "bad-%d", ++serial);
		build_create(&a, home_a, t, s->id, s, name, NULL, f, &values);
		run_expect(&r, &a, 2, f->key);
		snprintf(want, sizeof(want), "'%s'", f->key);
		if (!strstr(r.err, want))
			fail_msg("%s/%s bad %s: error does not name the field: %s",
				 t->id, s->id, f->key, r.err);
		tu_result_free(&r);
		args_free(&a);
		free_values(values, n);
	}
}

static void init_store(const char *home)
{
	char *argv[] = { (char *)tu_bin("svcconn"), "init", "--home",
			 (char *)home, NULL };
	tu_result r;

	tu_run(&r, NULL, argv, NULL);
	assert_int_equal(r.status, 0);
	tu_result_free(&r);
}

static int setup(void **state)
{
	(void)state;
	tmp = tu_mkdtemp();
	home_a = tu_path(tmp, "store-a");
	home_b = tu_path(tmp, "store-b");
	init_store(home_a);
	init_store(home_b);
	return svc_catalog_new(&cat);
}

static int teardown(void **state)
{
	(void)state;
	svc_catalog_free(cat);
	tu_rm_rf(tmp);
	free(tmp);
	free(home_a);
	free(home_b);
	return 0;
}

static void test_every_scheme_round_trips(void **state)
{
	size_t i, j;

	(void)state;
	for (i = 0; i < svc_catalog_count(cat); i++) {
		const svc_type *t = svc_catalog_at(cat, i);

		for (j = 0; j < t->nschemes; j++)
			round_trip(t, t->schemes[j].id, &t->schemes[j]);
	}
}

static void test_every_variant_round_trips(void **state)
{
	size_t i, j;

	(void)state;
	for (i = 0; i < svc_catalog_count(cat); i++) {
		const svc_type *t = svc_catalog_at(cat, i);

		for (j = 0; j < t->nvariants; j++)
			round_trip(t, t->variants[j].id,
				   svc_type_scheme(t, t->variants[j].scheme));
	}
}

/*
 * A connection of scheme `from` edited into variant v with the fields of
 * v's scheme: the variant's presets replace what the old scheme had
 * (Docker Registry's registrytype: Others becomes ACR).
 */
static void edit_into_variant(const svc_type *t, const svc_scheme *from,
			      const svc_variant *v)
{
	const svc_scheme *to = svc_type_scheme(t, v->scheme);
	char name[128], what[256], **values = NULL;
	struct args a = { { 0 }, 0 };

	snprintf(name, sizeof(name), "ed-%s-%s-%s", t->id, from->id, v->id);
	snprintf(what, sizeof(what), "edit %s/%s into %s", t->id, from->id,
		 v->id);
	build_create(&a, home_a, t, from->id, from, name, NULL, NULL, &values);
	run_ok(&a, what);
	free_values(values, svc_type_field_count(t, from));
	build_command(&a, "edit", home_a, t, v->id, to, name, NULL, NULL,
		      &values);
	run_ok(&a, what);
	expect_shown(name, t, to, values, what);
	free_values(values, svc_type_field_count(t, to));
}

static void test_edit_into_every_variant(void **state)
{
	size_t i, j, k;

	(void)state;
	for (i = 0; i < svc_catalog_count(cat); i++) {
		const svc_type *t = svc_catalog_at(cat, i);

		for (j = 0; j < t->nvariants; j++)
			for (k = 0; k < t->nschemes; k++)
				edit_into_variant(t, &t->schemes[k],
						  &t->variants[j]);
	}
}

static void test_every_required_field_is_named(void **state)
{
	size_t i, j;

	(void)state;
	for (i = 0; i < svc_catalog_count(cat); i++) {
		const svc_type *t = svc_catalog_at(cat, i);

		for (j = 0; j < t->nschemes; j++)
			missing_fields(t, &t->schemes[j]);
	}
}

static void test_every_validator_names_the_field(void **state)
{
	size_t i, j;

	(void)state;
	for (i = 0; i < svc_catalog_count(cat); i++) {
		const svc_type *t = svc_catalog_at(cat, i);

		for (j = 0; j < t->nschemes; j++)
			bad_values(t, &t->schemes[j]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_scheme_round_trips),
		cmocka_unit_test(test_every_variant_round_trips),
		cmocka_unit_test(test_edit_into_every_variant),
		cmocka_unit_test(test_every_required_field_is_named),
		cmocka_unit_test(test_every_validator_names_the_field),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
