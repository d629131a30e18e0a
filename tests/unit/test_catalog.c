/*
 * test_catalog.c - the built-in catalog's shape, and every validator.
 *
 * The first half checks the tables as data: 26 types in order, unique ids,
 * keys unique within a scheme and its common fields, one URL field, defaults
 * that pass their own validators, required_when conditions that name an
 * enum field and one of its values, variants that select a real scheme and
 * preset valid values, and that every connection type string the tasks use
 * resolves.  The second half feeds each validator good values and several
 * bad ones.
 */
#include "testutil.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "svcconn/catalog.h"
#include "catalog/catalog_int.h"

/* ---- helpers ------------------------------------------------------------ */

/* Check value (of len bytes) with a field using validator v and arg. */
static int check_n(svc_validator v, const char *arg, const char *value,
		   size_t len, const char **why)
{
	svc_field f;

	memset(&f, 0, sizeof(f));
	f.key = "test";
	f.kind = SVC_FIELD_DATA;
	f.label = "Test";
	f.validator = v;
	f.validator_arg = arg;
	*why = NULL;
	return svc_field_check(&f, value, len, why);
}

static void expect_ok(svc_validator v, const char *arg, const char *value)
{
	const char *why;

	if (check_n(v, arg, value, strlen(value), &why) != 0)
		fail_msg("validator %d refused \"%s\": %s", (int)v, value, why);
}

static void expect_bad(svc_validator v, const char *arg, const char *value)
{
	const char *why;

	if (check_n(v, arg, value, strlen(value), &why) != SVC_EINVALID)
		fail_msg("validator %d accepted \"%s\"", (int)v, value);
	assert_non_null(why);
	assert_true(why[0] != '\0');
}

/* 1 when value (of n bytes) is one of the '|'-separated words of list. */
static int in_enum(const char *list, const char *value, size_t n)
{
	while (list && *list) {
		size_t len = strcspn(list, "|");

		if (len == n && strncmp(list, value, n) == 0)
			return 1;
		list += len;
		if (*list == '|')
			list++;
	}
	return 0;
}

static const svc_type *type_at(size_t i)
{
	return &catalog_builtin_types[i];
}

/* ---- the tables --------------------------------------------------------- */

static void test_types(void **state)
{
	size_t i, j;

	(void)state;
	assert_int_equal(catalog_builtin_count, 26);
	for (i = 0; i < catalog_builtin_count; i++) {
		const svc_type *t = type_at(i);

		assert_non_null(t->id);
		assert_non_null(t->name);
		assert_non_null(t->description);
		assert_true(t->description[0] != '\0');
		if (t->nschemes < 1)
			fail_msg("type %s has no scheme", t->id);
		assert_non_null(t->schemes);
		if (t->ncommon)
			assert_non_null(t->common);
		if (t->nvariants)
			assert_non_null(t->variants);
		if (i > 0 && strcasecmp(type_at(i - 1)->name, t->name) >= 0)
			fail_msg("types out of order: \"%s\" before \"%s\"",
				 type_at(i - 1)->name, t->name);
		for (j = 0; j < i; j++) {
			if (strcasecmp(type_at(j)->id, t->id) == 0)
				fail_msg("duplicate type id %s", t->id);
			if (strcasecmp(type_at(j)->name, t->name) == 0)
				fail_msg("duplicate type name %s", t->name);
		}
		for (j = 0; j < t->nschemes; j++) {
			size_t k;

			assert_non_null(t->schemes[j].id);
			assert_non_null(t->schemes[j].label);
			if (t->schemes[j].nfields)
				assert_non_null(t->schemes[j].fields);
			for (k = 0; k < j; k++)
				if (strcasecmp(t->schemes[k].id,
					       t->schemes[j].id) == 0)
					fail_msg("%s: duplicate scheme %s",
						 t->id, t->schemes[j].id);
		}
	}
}

/* A check of field a of scheme s (its own fields, then the common ones). */
typedef void field_fn(const svc_type *t, const svc_scheme *s, size_t a);

/* Run fn on every field of every scheme of every type. */
static void for_each_field(field_fn *fn)
{
	size_t i, j, a;

	for (i = 0; i < catalog_builtin_count; i++) {
		const svc_type *t = type_at(i);

		for (j = 0; j < t->nschemes; j++)
			for (a = 0; a < svc_type_field_count(t, &t->schemes[j]);
			     a++)
				fn(t, &t->schemes[j], a);
	}
}

/* "type/scheme/key" of a field, for messages (static buffer). */
static const char *where(const svc_type *t, const svc_scheme *s,
			 const svc_field *f)
{
	static char buf[256];

	snprintf(buf, sizeof(buf), "%s/%s/%s", t->id, s->id, f->key);
	return buf;
}

static void check_shape(const svc_type *t, const svc_scheme *s, size_t a)
{
	const svc_field *f = svc_type_field_at(t, s, a);
	int needs_arg;
	size_t b;

	assert_non_null(f);
	assert_non_null(f->key);
	if (!f->label || !f->label[0] || !f->help || !f->help[0] ||
	    strchr(f->help, '\n'))
		fail_msg("%s: label or help missing", where(t, s, f));
	if (f->required && f->required_when)
		fail_msg("%s: both required and required_when",
			 where(t, s, f));
	if (f->required && f->default_value)
		fail_msg("%s: required with a default", where(t, s, f));
	needs_arg = f->validator == SVC_VALID_ENUM ||
		    f->validator == SVC_VALID_REGEX ||
		    f->validator == SVC_VALID_LENGTH;
	if (f->validator == SVC_VALID_KUBECONFIG) {
		/* the arg, if any, names the field holding the context */
		if (f->validator_arg && !svc_type_field(t, s, f->validator_arg))
			fail_msg("%s: no context field %s", where(t, s, f),
				 f->validator_arg);
	} else if (needs_arg != (f->validator_arg != NULL)) {
		fail_msg("%s: validator_arg mismatch", where(t, s, f));
	}
	if (f->kind == SVC_FIELD_URL) {
		assert_string_equal(f->key, "url");
		assert_false(f->secret);
		return;
	}
	assert_true(f->kind == SVC_FIELD_AUTH || f->kind == SVC_FIELD_DATA);
	/* auth and data keys share one namespace */
	for (b = 0; b < a; b++) {
		const svc_field *g = svc_type_field_at(t, s, b);

		if (g->kind != SVC_FIELD_URL && strcasecmp(g->key, f->key) == 0)
			fail_msg("%s: key twice", where(t, s, f));
	}
}

static void test_fields_wellformed(void **state)
{
	size_t i, j, a, urls;

	(void)state;
	for_each_field(check_shape);
	for (i = 0; i < catalog_builtin_count; i++) {
		const svc_type *t = type_at(i);

		/* one URL field per scheme, and it is a common field */
		for (j = 0; j < t->nschemes; j++) {
			const svc_scheme *s = &t->schemes[j];
			size_t n = svc_type_field_count(t, s);

			for (a = 0, urls = 0; a < n; a++)
				urls += svc_type_field_at(t, s, a)->kind ==
					SVC_FIELD_URL;
			if (urls != 1)
				fail_msg("%s/%s: %zu URL fields", t->id, s->id,
					 urls);
		}
		for (a = 0, urls = 0; a < t->ncommon; a++)
			urls += t->common[a].kind == SVC_FIELD_URL;
		if (urls != 1)
			fail_msg("%s: the URL is not a common field", t->id);
	}
}

static void check_default(const svc_type *t, const svc_scheme *s, size_t a)
{
	const svc_field *f = svc_type_field_at(t, s, a);
	const char *d = f->default_value, *why = NULL;

	if (!d)
		return;
	if (svc_field_check(f, d, strlen(d), &why))
		fail_msg("%s: default \"%s\" fails: %s", where(t, s, f), d,
			 why);
	if (f->validator == SVC_VALID_ENUM &&
	    !in_enum(f->validator_arg, d, strlen(d)))
		fail_msg("%s: default not in enum", where(t, s, f));
}

static void test_defaults_valid(void **state)
{
	(void)state;
	for_each_field(check_default);
}

/* 1 when value is allowed by the enum field key of some scheme of t. */
static int some_scheme_allows(const svc_type *t, const char *key,
			      const char *value)
{
	size_t k;

	for (k = 0; k < t->nschemes; k++) {
		const svc_field *h = svc_type_field(t, &t->schemes[k], key);

		if (h && h->validator == SVC_VALID_ENUM &&
		    in_enum(h->validator_arg, value, strlen(value)))
			return 1;
	}
	return 0;
}

static size_t required_when_checked;

/*
 * Every required_when is "key=value": key an enum field of the same scheme
 * (or the common set), value allowed by that enum.  A common field's
 * condition must hold in at least one scheme.  The condition field comes
 * before the field it governs: defaults are applied in field order.
 */
static void check_required_when(const svc_type *t, const svc_scheme *s,
				size_t a)
{
	const svc_field *f = svc_type_field_at(t, s, a), *g;
	const char *rw = f->required_when, *eq;
	char key[64];
	size_t k;
	int allowed;

	if (!rw)
		return;
	eq = strchr(rw, '=');
	if (!eq || eq == rw || !eq[1] || (size_t)(eq - rw) >= sizeof(key) ||
	    strchr(eq + 1, '=') || strchr(rw, ';'))
		fail_msg("%s: bad required_when \"%s\"", where(t, s, f), rw);
	memcpy(key, rw, (size_t)(eq - rw));
	key[eq - rw] = '\0';
	g = svc_type_field(t, s, key);
	if (!g || g->validator != SVC_VALID_ENUM)
		fail_msg("%s: required_when names no enum field %s",
			 where(t, s, f), key);
	assert_int_equal(strcmp(g->key, key), 0);
	for (k = 0; svc_type_field_at(t, s, k) != g; k++)
		if (svc_type_field_at(t, s, k) == f)
			fail_msg("%s: %s must come before it", where(t, s, f),
				 key);
	/* own field: the value must be allowed here; common: somewhere */
	if (a < s->nfields)
		allowed = in_enum(g->validator_arg, eq + 1, strlen(eq + 1));
	else
		allowed = some_scheme_allows(t, key, eq + 1);
	if (!allowed)
		fail_msg("%s: \"%s\" is not a value of %s", where(t, s, f),
			 eq + 1, key);
	required_when_checked++;
}

static void test_required_when(void **state)
{
	(void)state;
	required_when_checked = 0;
	for_each_field(check_required_when);
	assert_true(required_when_checked >= 8);
}

static void test_variants(void **state)
{
	size_t i, j, k;

	(void)state;
	for (i = 0; i < catalog_builtin_count; i++) {
		const svc_type *t = type_at(i);

		for (j = 0; j < t->nvariants; j++) {
			const svc_variant *v = &t->variants[j];
			const svc_scheme *s = svc_type_scheme(t, v->scheme);
			const char *p = v->presets;

			assert_non_null(v->id);
			assert_non_null(v->label);
			if (!s)
				fail_msg("%s: variant %s selects no scheme",
					 t->id, v->id);
			for (k = 0; k < j; k++)
				if (strcasecmp(t->variants[k].id, v->id) == 0)
					fail_msg("%s: variant %s twice", t->id,
						 v->id);
			if (svc_type_scheme(t, v->id))
				fail_msg("%s: variant %s is also a scheme id",
					 t->id, v->id);
			if (svc_type_variant(t, v->id) != v)
				fail_msg("%s: variant %s not found", t->id,
					 v->id);
			while (p && *p) {
				size_t len = strcspn(p, ";");
				const char *eq = memchr(p, '=', len);
				const svc_field *f;
				const char *why = NULL;
				char key[64];

				if (!eq || eq == p ||
				    (size_t)(eq - p) >= sizeof(key))
					fail_msg("%s/%s: bad presets \"%s\"",
						 t->id, v->id, v->presets);
				memcpy(key, p, (size_t)(eq - p));
				key[eq - p] = '\0';
				f = svc_type_field(t, s, key);
				if (!f)
					fail_msg("%s/%s: preset %s is no field "
						 "of scheme %s", t->id, v->id,
						 key, s->id);
				if (svc_field_check(f, eq + 1,
						    len - (size_t)(eq + 1 - p),
						    &why))
					fail_msg("%s/%s: preset %s fails: %s",
						 t->id, v->id, key, why);
				p += len;
				if (*p == ';')
					p++;
			}
		}
	}
}

static void test_git_capable(void **state)
{
	static const char *const git[] = {
		"git", "github", "githubenterprise", "bitbucket",
		"externaltfs", "generic"
	};
	size_t i, j;

	(void)state;
	for (i = 0; i < catalog_builtin_count; i++) {
		const svc_type *t = type_at(i);
		int want = 0;

		for (j = 0; j < sizeof(git) / sizeof(git[0]); j++)
			want |= strcmp(t->id, git[j]) == 0;
		if (t->git_capable != want)
			fail_msg("%s: git_capable %d", t->id, t->git_capable);
	}
}

static void test_lookups_and_flags(void **state)
{
	svc_catalog *cat = NULL;
	const svc_type *t;
	const svc_scheme *s;
	const svc_field *f;
	size_t i, builtin = 0;

	(void)state;
	assert_int_equal(svc_catalog_new(&cat), 0);
	/* 26 built in, and the definitions of types/ found from the build tree */
	for (i = 0; i < svc_catalog_count(cat); i++)
		builtin += svc_catalog_at(cat, i)->source == NULL;
	assert_int_equal(builtin, 26);
	t = svc_catalog_find(cat, "vmware");
	assert_non_null(t);
	assert_non_null(strstr(t->source, "/types/vmware.yml"));
	t = svc_catalog_find(cat, "dockerRegistry");
	assert_non_null(t);
	assert_string_equal(t->name, "Docker Registry");
	assert_non_null(svc_catalog_find(cat, "ExternalTfs"));
	assert_non_null(svc_catalog_find(cat, "Generic"));
	assert_non_null(svc_catalog_find(cat, "serviceFabric"));
	assert_null(svc_catalog_find(cat, "nosuchtype"));

	/* SSH: the private key is data but secret; the host key is not */
	t = svc_catalog_find(cat, "ssh");
	assert_non_null(t);
	s = svc_type_scheme(t, "usernamepassword");
	assert_non_null(s);
	f = svc_type_field(t, s, "privatekey");
	assert_non_null(f);
	assert_string_equal(f->key, "PrivateKey");
	assert_int_equal(f->kind, SVC_FIELD_DATA);
	assert_int_equal(f->secret, 1);
	f = svc_type_field(t, s, "hostKey");
	assert_non_null(f);
	assert_int_equal(f->secret, 0);
	assert_int_equal(f->validator, SVC_VALID_KNOWN_HOSTS);
	assert_string_equal(f->label, "Host key");
	f = svc_type_field(t, s, "Port");
	assert_non_null(f);
	assert_string_equal(f->default_value, "22");

	/* Kubernetes: authorizationType default per scheme */
	t = svc_catalog_find(cat, "kubernetes");
	f = svc_type_field(t, svc_type_scheme(t, "Kubernetes"),
			   "authorizationType");
	assert_string_equal(f->default_value, "Kubeconfig");
	f = svc_type_field(t, svc_type_scheme(t, "Token"),
			   "authorizationType");
	assert_string_equal(f->default_value, "ServiceAccount");
	assert_non_null(svc_type_variant(t, "serviceaccount"));

	/* Jira: the chosen scheme */
	t = svc_catalog_find(cat, "jira");
	s = svc_type_scheme(t, "UsernamePassword");
	assert_non_null(s);
	f = svc_type_field(t, s, "password");
	assert_int_equal(f->secret, 1);
	assert_string_equal(f->label, "API token");

	assert_string_equal(svc_field_kind_name(SVC_FIELD_AUTH), "auth");
	assert_string_equal(svc_field_kind_name(SVC_FIELD_DATA), "data");
	assert_string_equal(svc_field_kind_name(SVC_FIELD_URL), "url");
	svc_catalog_free(cat);
}

/* Keys, passwords, tokens and kubeconfigs are always secret. */
static void check_secret(const svc_type *t, const svc_scheme *s, size_t a)
{
	const svc_field *f = svc_type_field_at(t, s, a);

	if (((strcasestr(f->key, "key") && f->validator == SVC_VALID_PEM) ||
	     strcasestr(f->key, "password") || strcasestr(f->key, "token") ||
	     strcasestr(f->key, "kubeconfig")) && !f->secret)
		fail_msg("%s: not secret", where(t, s, f));
}

static void test_key_fields_secret(void **state)
{
	(void)state;
	for_each_field(check_secret);
}

/* Every type string of the tasks (TYPES.tsv) resolves, with its schemes. */
static void test_task_type_strings(void **state)
{
	svc_catalog *cat = NULL;
	char *text, *line, *save = NULL;
	size_t rows = 0;

	(void)state;
	text = tu_read_file(SVC_SHARED_DIR "/data/tasks/TYPES.tsv", NULL);
	assert_non_null(text);
	assert_int_equal(svc_catalog_new(&cat), 0);
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *tab = strchr(line, '\t'), *colon, *schemes, *sc, *s2;
		const svc_type *t;

		if (!tab || strncmp(line, "type_string", 11) == 0)
			continue;
		*tab = '\0';
		colon = strchr(line, ':');
		schemes = colon ? colon + 1 : NULL;
		if (colon)
			*colon = '\0';
		/* WorkloadIdentityUser is not one of the 26 reference types */
		if (strcasecmp(line, "WorkloadIdentityUser") == 0)
			continue;
		t = svc_catalog_find(cat, line);
		if (!t)
			fail_msg("task type string %s not in the catalog",
				 line);
		for (sc = schemes ? strtok_r(schemes, ",", &s2) : NULL; sc;
		     sc = strtok_r(NULL, ",", &s2)) {
			/* GitHubRelease and KubeloginInstaller list the
			 * GitHub Enterprise scheme OAuth2 on a github input;
			 * the key table knows no github OAuth2 scheme */
			if (strcmp(t->id, "github") == 0 &&
			    strcmp(sc, "OAuth2") == 0)
				continue;
			if (!svc_type_scheme(t, sc))
				fail_msg("%s: tasks accept scheme %s, the "
					 "catalog lacks it", t->id, sc);
		}
		rows++;
	}
	assert_true(rows >= 20);
	svc_catalog_free(cat);
	free(text);
}

/* ---- validators --------------------------------------------------------- */

static void test_valid_url(void **state)
{
	(void)state;
	expect_ok(SVC_VALID_URL, NULL, "https://example.com");
	expect_ok(SVC_VALID_URL, NULL, "http://h.example:8080/p/a?q=1#f");
	expect_ok(SVC_VALID_URL, NULL, "HTTPS://[::1]:443/");
	expect_ok(SVC_VALID_URL, NULL, "https://api.appcenter.ms/v0.1");
	expect_bad(SVC_VALID_URL, NULL, "");
	expect_bad(SVC_VALID_URL, NULL, "ftp://example.com/");
	expect_bad(SVC_VALID_URL, NULL, "example.com");
	expect_bad(SVC_VALID_URL, NULL, "https://");
	expect_bad(SVC_VALID_URL, NULL, "https:///path");
	expect_bad(SVC_VALID_URL, NULL, "https://exa mple.com/");
	expect_bad(SVC_VALID_URL, NULL, "https://example.com/a b");
	expect_bad(SVC_VALID_URL, NULL, "https://h:99999/");
	expect_bad(SVC_VALID_URL, NULL, "https://h:/");
	expect_bad(SVC_VALID_URL, NULL, "https://h:8x/");
	expect_bad(SVC_VALID_URL, NULL, "https://user:pw@example.com/");
	expect_bad(SVC_VALID_URL, NULL, "https://example.com/\n");
	expect_bad(SVC_VALID_URL, NULL, "https://[zz]/");
	expect_bad(SVC_VALID_URL, NULL, "https://ex\xc3\xa4mple.com/");
}

static void test_valid_tcp_url(void **state)
{
	(void)state;
	expect_ok(SVC_VALID_TCP_URL, NULL, "tcp://cluster.example:19000");
	expect_ok(SVC_VALID_TCP_URL, NULL, "tcp://10.0.0.1:2376/");
	expect_ok(SVC_VALID_TCP_URL, NULL, "TCP://[fe80::1]:2376");
	expect_bad(SVC_VALID_TCP_URL, NULL, "cluster.example:19000");
	expect_bad(SVC_VALID_TCP_URL, NULL, "https://cluster.example:19000");
	expect_bad(SVC_VALID_TCP_URL, NULL, "tcp://cluster.example");
	expect_bad(SVC_VALID_TCP_URL, NULL, "tcp://cluster.example:");
	expect_bad(SVC_VALID_TCP_URL, NULL, "tcp://h:0");
	expect_bad(SVC_VALID_TCP_URL, NULL, "tcp://h:65536");
	expect_bad(SVC_VALID_TCP_URL, NULL, "tcp://h:abc");
	expect_bad(SVC_VALID_TCP_URL, NULL, "tcp://:19000");
	expect_bad(SVC_VALID_TCP_URL, NULL, "tcp://h:19000/path");
	expect_bad(SVC_VALID_TCP_URL, NULL, "tcp://u@h:19000");
}

static void test_valid_guid(void **state)
{
	(void)state;
	expect_ok(SVC_VALID_GUID, NULL, "0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e");
	expect_ok(SVC_VALID_GUID, NULL, "0B1C2D3E-4F5A-6B7C-8D9E-0F1A2B3C4D5E");
	expect_bad(SVC_VALID_GUID, NULL, "");
	expect_bad(SVC_VALID_GUID, NULL, "0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e");
	expect_bad(SVC_VALID_GUID, NULL, "0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5");
	expect_bad(SVC_VALID_GUID, NULL,
		   "0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e0");
	expect_bad(SVC_VALID_GUID, NULL,
		   "0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5g");
	expect_bad(SVC_VALID_GUID, NULL,
		   "{0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e}");
	expect_bad(SVC_VALID_GUID, NULL,
		   "0b1c2d3e-4f5a6-b7c-8d9e-0f1a2b3c4d5e");
}

#define PEM_CERT \
	"-----BEGIN CERTIFICATE-----\n" \
	"MIIBszCCAVmgAwIBAgIUQ2VydGlmaWNhdGUgZm9yIHRlc3Rz\n" \
	"-----END CERTIFICATE-----\n"
#define PEM_OPENSSH \
	"-----BEGIN OPENSSH PRIVATE KEY-----\n" \
	"b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAAB\n" \
	"-----END OPENSSH PRIVATE KEY-----\n"

static void test_valid_pem(void **state)
{
	(void)state;
	expect_ok(SVC_VALID_PEM, NULL, PEM_CERT);
	expect_ok(SVC_VALID_PEM, NULL, PEM_OPENSSH);
	expect_ok(SVC_VALID_PEM, NULL, PEM_CERT PEM_OPENSSH);
	expect_ok(SVC_VALID_PEM, NULL, "Bag Attributes\n    x: y\n" PEM_CERT);
	expect_bad(SVC_VALID_PEM, NULL, "");
	expect_bad(SVC_VALID_PEM, NULL, "garbage, not a key");
	expect_bad(SVC_VALID_PEM, NULL,
		   "-----BEGIN CERTIFICATE-----\n@@@@!!!!\n"
		   "-----END CERTIFICATE-----\n");
	expect_bad(SVC_VALID_PEM, NULL,
		   "-----BEGIN CERTIFICATE-----\nTUlJQg==\n");
	expect_bad(SVC_VALID_PEM, NULL,
		   "-----BEGIN CERTIFICATE-----\nTUlJQg==\n"
		   "-----END PRIVATE KEY-----\n");
	expect_bad(SVC_VALID_PEM, NULL,
		   PEM_CERT "-----BEGIN CERTIFICATE-----\n$$$$\n"
		   "-----END CERTIFICATE-----\n");
	expect_bad(SVC_VALID_PEM, NULL,
		   "-----BEGIN X-----\n-----END X-----\n");
}

static void test_valid_base64(void **state)
{
	(void)state;
	expect_ok(SVC_VALID_BASE64, NULL, "aGVsbG8=");
	expect_ok(SVC_VALID_BASE64, NULL, "aGVsbG8gd29ybGQ=\n");
	expect_ok(SVC_VALID_BASE64, NULL, "AAAA\nBBBB\r\nCC==");
	expect_ok(SVC_VALID_BASE64, NULL, "QQ==");
	expect_ok(SVC_VALID_BASE64, NULL, "ab+/");
	expect_bad(SVC_VALID_BASE64, NULL, "");
	expect_bad(SVC_VALID_BASE64, NULL, "  \n");
	expect_bad(SVC_VALID_BASE64, NULL, "aGVsbG8");
	expect_bad(SVC_VALID_BASE64, NULL, "aGV$bG8=");
	expect_bad(SVC_VALID_BASE64, NULL, "aGVs-G8=");
	expect_bad(SVC_VALID_BASE64, NULL, "a===");
	expect_bad(SVC_VALID_BASE64, NULL, "=AAA");
	expect_bad(SVC_VALID_BASE64, NULL, "AA==AA==");
	expect_bad(SVC_VALID_BASE64, NULL, "AA=A");
	expect_bad(SVC_VALID_BASE64, NULL, "aG Vs");
}

static const char kubeconfig[] =
	"apiVersion: v1\n"
	"kind: Config\n"
	"clusters:\n"
	"- name: c1\n"
	"  cluster:\n"
	"    server: https://k8s.example:6443\n"
	"contexts:\n"
	"- name: ctx1\n"
	"  context:\n"
	"    cluster: c1\n"
	"    user: u1\n"
	"- name: ctx2\n"
	"  context: {cluster: c1, user: u1}\n"
	"users:\n"
	"- name: u1\n"
	"  user:\n"
	"    token: abc\n";

static void expect_kube(const char *text, const char *context, int ok)
{
	const char *why = NULL;
	int rc = catalog_check_kubeconfig(text, strlen(text), context, &why);

	if (ok && rc != 0)
		fail_msg("kubeconfig refused (%s): %s\n%s",
			 context ? context : "-", why, text);
	if (!ok && rc != SVC_EINVALID)
		fail_msg("kubeconfig accepted (%s):\n%s",
			 context ? context : "-", text);
	if (!ok)
		assert_non_null(why);
}

static void test_valid_kubeconfig(void **state)
{
	char buf[1024];

	(void)state;
	expect_ok(SVC_VALID_KUBECONFIG, NULL, kubeconfig);
	expect_kube(kubeconfig, NULL, 1);
	expect_kube(kubeconfig, "ctx1", 1);
	expect_kube(kubeconfig, "ctx2", 1);
	expect_kube(kubeconfig, "ctx3", 0);
	snprintf(buf, sizeof(buf), "%scurrent-context: ctx2\n", kubeconfig);
	expect_kube(buf, NULL, 1);
	snprintf(buf, sizeof(buf), "%scurrent-context: \"\"\n", kubeconfig);
	expect_kube(buf, NULL, 1);
	snprintf(buf, sizeof(buf), "%scurrent-context: gone\n", kubeconfig);
	expect_kube(buf, NULL, 0);
	expect_bad(SVC_VALID_KUBECONFIG, NULL, buf);
	/* a second document */
	snprintf(buf, sizeof(buf), "%s---\n%s", kubeconfig, kubeconfig);
	expect_kube(buf, NULL, 0);
	/* a syntax error after a good document */
	snprintf(buf, sizeof(buf), "%s---\nkey: [unclosed\n", kubeconfig);
	expect_kube(buf, NULL, 0);
	expect_bad(SVC_VALID_KUBECONFIG, NULL, "");
	expect_bad(SVC_VALID_KUBECONFIG, NULL, "clusters: [a, b\n");
	expect_bad(SVC_VALID_KUBECONFIG, NULL, "key: \"unterminated\n");
	expect_bad(SVC_VALID_KUBECONFIG, NULL, "just a scalar\n");
	expect_bad(SVC_VALID_KUBECONFIG, NULL, "- clusters\n- contexts\n");
	expect_bad(SVC_VALID_KUBECONFIG, NULL,
		   "clusters: []\ncontexts: []\n");
	expect_bad(SVC_VALID_KUBECONFIG, NULL,
		   "clusters: []\ncontexts: {a: b}\nusers: []\n");
	expect_bad(SVC_VALID_KUBECONFIG, NULL,
		   "clusters: x\ncontexts: []\nusers: []\n");
	expect_ok(SVC_VALID_KUBECONFIG, NULL,
		  "clusters: []\ncontexts: []\nusers: []\n");
}

static void test_valid_thumbprints(void **state)
{
	const char *sha1 = "0123456789abcdef0123456789ABCDEF01234567";
	const char *sha256 =
		"0123456789abcdef0123456789abcdef"
		"0123456789abcdef0123456789abcdef";
	char buf[256];

	(void)state;
	expect_ok(SVC_VALID_THUMBPRINTS, NULL, sha1);
	expect_ok(SVC_VALID_THUMBPRINTS, NULL, sha256);
	snprintf(buf, sizeof(buf), "%s , %s,%s", sha1, sha256, sha1);
	expect_ok(SVC_VALID_THUMBPRINTS, NULL, buf);
	expect_bad(SVC_VALID_THUMBPRINTS, NULL, "");
	expect_bad(SVC_VALID_THUMBPRINTS, NULL,
		   "0123456789abcdef0123456789abcdef0123456"); /* 39 */
	expect_bad(SVC_VALID_THUMBPRINTS, NULL,
		   "0123456789abcdef0123456789abcdef012345678"); /* 41 */
	expect_bad(SVC_VALID_THUMBPRINTS, NULL,
		   "0123456789abcdef0123456789abcdef0123456g");
	snprintf(buf, sizeof(buf), "%s,", sha1);
	expect_bad(SVC_VALID_THUMBPRINTS, NULL, buf);
	snprintf(buf, sizeof(buf), "%s,,%s", sha1, sha1);
	expect_bad(SVC_VALID_THUMBPRINTS, NULL, buf);
	snprintf(buf, sizeof(buf), "%s;%s", sha1, sha1);
	expect_bad(SVC_VALID_THUMBPRINTS, NULL, buf);
	snprintf(buf, sizeof(buf), "%s\n", sha1);
	expect_bad(SVC_VALID_THUMBPRINTS, NULL, buf);
}

static void test_valid_name_enum_bool_port(void **state)
{
	const char *e = "Kubeconfig|ServiceAccount|AzureSubscription";

	(void)state;
	expect_ok(SVC_VALID_NAME, NULL, "pypi-upload_1.x");
	expect_bad(SVC_VALID_NAME, NULL, "");
	expect_bad(SVC_VALID_NAME, NULL, "my feed");
	expect_bad(SVC_VALID_NAME, NULL, "a/b");
	expect_bad(SVC_VALID_NAME, NULL, "caf\xc3\xa9");

	expect_ok(SVC_VALID_ENUM, e, "Kubeconfig");
	expect_ok(SVC_VALID_ENUM, e, "AzureSubscription");
	expect_bad(SVC_VALID_ENUM, e, "kubeconfig");
	expect_bad(SVC_VALID_ENUM, e, "");
	expect_bad(SVC_VALID_ENUM, e, "Kube");
	expect_bad(SVC_VALID_ENUM, e, "Kubeconfig|ServiceAccount");
	expect_bad(SVC_VALID_ENUM, NULL, "Kubeconfig");

	expect_ok(SVC_VALID_BOOL, NULL, "true");
	expect_ok(SVC_VALID_BOOL, NULL, "false");
	expect_bad(SVC_VALID_BOOL, NULL, "True");
	expect_bad(SVC_VALID_BOOL, NULL, "1");
	expect_bad(SVC_VALID_BOOL, NULL, "yes");
	expect_bad(SVC_VALID_BOOL, NULL, "");

	expect_ok(SVC_VALID_PORT, NULL, "22");
	expect_ok(SVC_VALID_PORT, NULL, "1");
	expect_ok(SVC_VALID_PORT, NULL, "65535");
	expect_bad(SVC_VALID_PORT, NULL, "0");
	expect_bad(SVC_VALID_PORT, NULL, "65536");
	expect_bad(SVC_VALID_PORT, NULL, "-1");
	expect_bad(SVC_VALID_PORT, NULL, "+22");
	expect_bad(SVC_VALID_PORT, NULL, "22a");
	expect_bad(SVC_VALID_PORT, NULL, " 22");
	expect_bad(SVC_VALID_PORT, NULL, "022");
	expect_bad(SVC_VALID_PORT, NULL, "");
}

/* Public keys made with ssh-keygen for these tests. */
#define ED25519 \
	"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAII7uAQl4NiP9pG/WdbZDA9kqVFV7G3iS" \
	"Tw/X7KYuxnkc"
#define ECDSA \
	"ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYA" \
	"AABBBIQ0z5b5v6olujlPoM9rekI2QeZkiVZhbaC7DQS+u9vD3ZyWJyKKxeahsRbbwl6m" \
	"4PJBOYsPhUls0pyFeN36YyE="

static void test_valid_known_hosts(void **state)
{
	(void)state;
	expect_ok(SVC_VALID_KNOWN_HOSTS, NULL, "example.com " ED25519);
	expect_ok(SVC_VALID_KNOWN_HOSTS, NULL,
		  "# pinned keys\n\n[git.example]:2222,10.0.0.1 " ECDSA
		  " comment here\r\nexample.com " ED25519 "\n");
	expect_ok(SVC_VALID_KNOWN_HOSTS, NULL,
		  "|1|c2FsdA==|aGFzaA== " ED25519 "\n");
	expect_bad(SVC_VALID_KNOWN_HOSTS, NULL, "");
	expect_bad(SVC_VALID_KNOWN_HOSTS, NULL, "# only a comment\n");
	expect_bad(SVC_VALID_KNOWN_HOSTS, NULL, "example.com ssh-ed25519\n");
	expect_bad(SVC_VALID_KNOWN_HOSTS, NULL, ED25519);
	expect_bad(SVC_VALID_KNOWN_HOSTS, NULL,
		   "example.com rsa AAAAC3NzaC1lZDI1NTE5AAAAII7uAQl4NiP9pG/"
		   "WdbZDA9kqVFV7G3iSTw/X7KYuxnkc");
	/* key type and blob disagree */
	expect_bad(SVC_VALID_KNOWN_HOSTS, NULL,
		   "example.com ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAII7uAQl4NiP9pG/"
		   "WdbZDA9kqVFV7G3iSTw/X7KYuxnkc");
	expect_bad(SVC_VALID_KNOWN_HOSTS, NULL,
		   "example.com ssh-ed25519 AAAAC3Nz$$$$");
	expect_bad(SVC_VALID_KNOWN_HOSTS, NULL,
		   "@cert-authority *.example " ED25519);
	expect_bad(SVC_VALID_KNOWN_HOSTS, NULL,
		   "example.com " ED25519 "\ngarbage line\n");
}

static void test_valid_regex_length(void **state)
{
	(void)state;
	expect_ok(SVC_VALID_REGEX, "[a-z]+", "abc");
	expect_bad(SVC_VALID_REGEX, "[a-z]+", "abc1");
	expect_bad(SVC_VALID_REGEX, "[a-z]+", "1abc");
	expect_bad(SVC_VALID_REGEX, "[a-z]+", "");
	expect_bad(SVC_VALID_REGEX, "a|b", "ab");
	expect_ok(SVC_VALID_REGEX, "a|b", "b");
	expect_bad(SVC_VALID_REGEX, "[a-z", "a");
	expect_bad(SVC_VALID_REGEX, NULL, "a");
	expect_bad(SVC_VALID_REGEX, ".*", "a\nb");

	expect_ok(SVC_VALID_LENGTH, "2..4", "ab");
	expect_ok(SVC_VALID_LENGTH, "2..4", "abcd");
	expect_ok(SVC_VALID_LENGTH, "2..4", "a\nb");
	expect_bad(SVC_VALID_LENGTH, "2..4", "a");
	expect_bad(SVC_VALID_LENGTH, "2..4", "abcde");
	expect_bad(SVC_VALID_LENGTH, "4..2", "abc");
	expect_bad(SVC_VALID_LENGTH, "2-4", "abc");
	expect_bad(SVC_VALID_LENGTH, NULL, "abc");
}

/* The gate: NUL bytes, line breaks in single-line kinds, control bytes. */
static void test_valid_gate(void **state)
{
	const char *why;

	(void)state;
	/* free text: anything but NUL (a password may hold any byte) */
	expect_ok(SVC_VALID_NONE, NULL, "");
	expect_ok(SVC_VALID_NONE, NULL, "any text, even \xc3\xa9");
	expect_ok(SVC_VALID_NONE, NULL, "two\nlines\r\n\ttab \x01 \x7f");
	expect_ok(SVC_VALID_LENGTH, "1..9", "a\nb");
	/* structured single-line kinds: no line break, no control */
	expect_bad(SVC_VALID_NAME, NULL, "name\n");
	expect_bad(SVC_VALID_ENUM, "a|b", "a\n");
	expect_bad(SVC_VALID_REGEX, ".*", "cr\rhere");
	expect_bad(SVC_VALID_REGEX, ".*", "tab\there");
	expect_bad(SVC_VALID_REGEX, ".*", "esc\x1b[0m");
	expect_bad(SVC_VALID_REGEX, ".*", "del\x7f");
	assert_int_equal(check_n(SVC_VALID_GUID, NULL,
				 "0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e\n", 37,
				 &why), SVC_EINVALID);
	assert_string_equal(why, "contains a line break");
	/* structured multi-line kinds: TAB CR LF only */
	expect_ok(SVC_VALID_BASE64, NULL, "QUFB\r\nQkJC\n");
	expect_bad(SVC_VALID_BASE64, NULL, "QUFB\x0bQkJC");
	expect_bad(SVC_VALID_PEM, NULL, PEM_CERT "\x1b");
	assert_int_equal(check_n(SVC_VALID_NONE, NULL, "a\0b", 3, &why),
			 SVC_EINVALID);
	assert_string_equal(why, "contains a NUL byte");
	assert_int_equal(check_n(SVC_VALID_PEM, NULL, PEM_CERT "\0",
				 sizeof(PEM_CERT), &why), SVC_EINVALID);
	assert_int_equal(check_n(SVC_VALID_BASE64, NULL, "QQ==\x01", 5, &why),
			 SVC_EINVALID);
	assert_int_equal(check_n(SVC_VALID_NONE, NULL, NULL, 0, &why), 0);
	assert_int_equal(check_n(SVC_VALID_NONE, NULL, NULL, 3, &why),
			 SVC_EINVALID);
	assert_int_equal(svc_field_check(NULL, "x", 1, &why), SVC_EINVALID);
	/* a value not NUL-terminated: only len bytes are read */
	assert_int_equal(check_n(SVC_VALID_PORT, NULL, "22x", 2, &why), 0);
	assert_int_equal(check_n(SVC_VALID_URL, NULL, "https://h.example/ x",
				 18, &why), 0);
}

/*
 * Every validator reads only len bytes: values are copied into buffers of
 * exactly that size, without a NUL, so a sanitizer build catches any read
 * past the end.
 */
static void test_valid_no_overread(void **state)
{
	static const char *const values[] = {
		"", "x", "22", "true", "https://example.com",
		"https://example.com:443/p", "tcp://h:19000", "tcp://h:19000/",
		"0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e", "aGVsbG8=", "QQ",
		PEM_CERT, "-----BEGIN X-----\nQQ", kubeconfig, "a: [",
		"0123456789abcdef0123456789abcdef01234567,",
		"example.com " ED25519, "h ssh-ed25519 AAAA", "Kubeconfig",
	};
	static const struct {
		svc_validator v;  /* the validator */
		const char *arg;  /* its argument, or NULL */
	} kinds[] = {
		{ SVC_VALID_NONE, NULL }, { SVC_VALID_URL, NULL },
		{ SVC_VALID_TCP_URL, NULL }, { SVC_VALID_GUID, NULL },
		{ SVC_VALID_PEM, NULL }, { SVC_VALID_BASE64, NULL },
		{ SVC_VALID_KUBECONFIG, NULL }, { SVC_VALID_THUMBPRINTS, NULL },
		{ SVC_VALID_NAME, NULL }, { SVC_VALID_ENUM, "Kubeconfig|x" },
		{ SVC_VALID_BOOL, NULL }, { SVC_VALID_PORT, NULL },
		{ SVC_VALID_KNOWN_HOSTS, NULL }, { SVC_VALID_REGEX, "[a-z]+" },
		{ SVC_VALID_LENGTH, "1..5" },
	};
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		size_t n = strlen(values[i]);
		char *copy = malloc(n ? n : 1);

		assert_non_null(copy);
		memcpy(copy, values[i], n);
		for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
			const char *why;
			int rc = check_n(kinds[k].v, kinds[k].arg, copy, n,
					 &why);

			assert_true(rc == 0 || rc == SVC_EINVALID);
		}
		free(copy);
	}
}

/* ---- the catalog's regular expressions (regex.c) ------------------------ */

/* Our whole-value match of pattern against s, through the engine. */
static int re_whole(const char *pattern, const char *s, size_t n)
{
	const char *why = NULL;
	size_t at = 0;
	catre *re = NULL;
	int rc;

	if (catre_compile(&re, pattern, &why, &at) != 0)
		fail_msg("pattern \"%s\" refused: %s (byte %zu)", pattern, why, at);
	rc = catre_match(re, s, n);
	catre_free(re);
	assert_true(rc == 0 || rc == 1);
	return rc;
}

/*
 * The same language as glibc's POSIX ERE, anchored as the catalog always
 * anchored it ("^(...)$"), on every string of up to 4 bytes over an
 * alphabet that exercises the patterns.
 */
static void test_regex_same_as_posix(void **state)
{
	static const char *const patterns[] = {
		"a*", "(a|b)*c?", "a{2,3}", "(ab){1,}", "[a-c]+", "[^a]*",
		"a?b+", "(a|)b", "()*a", "(a*)*", "(a|ab)(c|bcd)?", "x{0}a",
		"a{0,2}b{2}", "[[:digit:]]+", "[]a]*", "[a-]+", "^a$", "a|^b",
		"(a$)|b", ".{2}", "\\.+", "[.]a", "(a+|b+)*1", "[[:alpha:].-]{1,3}",
		"((a|b){1,2}c){0,2}", "a{1}b{0,}", "(-|\\])+", "[^]a-]b?",
		"[[:upper:][:punct:]]*", "(a|b|c|1|-)*(ab|b1)",
	};
	static const char alphabet[] = "ab1.-]cA";
	const size_t na = sizeof(alphabet) - 1;
	char s[5], pat[128];
	size_t p, len, i, code, total;
	regex_t posix;

	(void)state;
	for (p = 0; p < sizeof(patterns) / sizeof(patterns[0]); p++) {
		snprintf(pat, sizeof(pat), "^(%s)$", patterns[p]);
		assert_int_equal(regcomp(&posix, pat, REG_EXTENDED | REG_NOSUB), 0);
		for (len = 0; len <= 4; len++) {
			for (total = 1, i = 0; i < len; i++)
				total *= na;
			for (code = 0; code < total; code++) {
				size_t c = code;

				for (i = 0; i < len; i++, c /= na)
					s[i] = alphabet[c % na];
				s[len] = '\0';
				if (re_whole(patterns[p], s, len) !=
				    (regexec(&posix, s, 0, NULL, 0) == 0))
					fail_msg("\"%s\" on \"%s\": not as POSIX",
						 patterns[p], s);
			}
		}
		regfree(&posix);
	}
	/* what POSIX has not: the escapes of classes, NUL bytes in values */
	assert_true(re_whole("\\d{3}\\s\\w+", "123 ab_9", 8));
	assert_false(re_whole("\\d{3}", "12a", 3));
	assert_true(re_whole("\\D\\S\\W", "a-!", 3));
	assert_false(re_whole("a.b", "a\0b", 3) == 0);
	assert_false(re_whole("ab", "ab\0", 3));
}

/* Elapsed seconds since *t0. */
static double since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) +
	       (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Refused, with this reason, found at byte at. */
static void expect_refused(const char *pattern, const char *reason,
			   size_t at_expected)
{
	const char *why = NULL;
	size_t at = 99999;
	catre *re = NULL;
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (catre_compile(&re, pattern, &why, &at) != SVC_EINVALID)
		fail_msg("pattern \"%.60s\" accepted", pattern);
	assert_null(re);
	if (!strstr(why, reason))
		fail_msg("\"%.60s\": \"%s\", not \"%s\"", pattern, why, reason);
	if (at != at_expected)
		fail_msg("\"%.60s\": at byte %zu, not %zu", pattern, at,
			 at_expected);
	/* refused before anything grows with the repeats (glibc's regcomp
	 * ran for minutes on the first one; the bound leaves room for a
	 * loaded machine and the sanitizers) */
	assert_true(since(&t0) < 2.0);
}

/*
 * Bounds: what would blow up an expanding or backtracking engine is
 * refused before it is built, or matched in time linear in the value.
 */
static void test_regex_bounds(void **state)
{
	char deep[200], longpat[CATRE_MAX_PATTERN + 2], *value;
	const size_t vlen = 64 * 1024;
	struct timespec t0;
	double worst;
	size_t i;

	(void)state;
	expect_refused("((a{0,255}){0,255}){0,255}", "too large once its repeats are counted out", 11);
	expect_refused("(a{255}){255}", "too large", 8);
	expect_refused("x((ab|cd){40}){40}", "too large", 14);
	expect_refused("a{256}", "over 255", 1);
	expect_refused("a{1000000}", "over 255", 1);
	expect_refused("a{3,2}", "m < n", 1);
	expect_refused("a{,3}", "must start a bound", 1);
	expect_refused("a{x}", "must start a bound", 1);
	expect_refused("a(b", "'(' without its ')'", 1);
	expect_refused("ab)", "')' without its '('", 2);
	expect_refused("ab[c", "'[' without its ']'", 2);
	expect_refused("[z-a]", "ends before it starts", 1);
	expect_refused("*a", "nothing to repeat", 0);
	expect_refused("a|+", "nothing to repeat", 2);
	expect_refused("(a)\\1", "unknown escape", 3);
	expect_refused("\\bword", "unknown escape", 0);
	expect_refused("ab\\", "at the end", 2);
	expect_refused("[[:foo:]]", "unknown character class", 1);
	expect_refused("[[=a=]]", "not supported", 1);
	for (i = 0; i < 33; i++)
		deep[i] = '(';
	deep[33] = 'a';
	for (i = 0; i < 33; i++)
		deep[34 + i] = ')';
	deep[67] = '\0';
	expect_refused(deep, "nested too deeply", 32);
	memset(longpat, 'a', sizeof(longpat) - 1);
	longpat[sizeof(longpat) - 1] = '\0';
	expect_refused(longpat, "longer than 1024 bytes", 0);
	longpat[CATRE_MAX_PATTERN] = '\0';
	assert_true(re_whole(longpat, longpat, CATRE_MAX_PATTERN));

	/* the largest programs over 64 KiB: linear, whatever the pattern */
	value = malloc(vlen);
	assert_non_null(value);
	memset(value, 'a', vlen);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_false(re_whole("(a*)*b", value, vlen));
	assert_false(re_whole("(a|aa)*c", value, vlen));
	assert_false(re_whole("(a+a+)+y", value, vlen));
	assert_true(re_whole("(a|aa)*", value, vlen));
	print_message("# classic backtracking blow-ups over 64 KiB: %.3f s\n",
		      since(&t0));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* 140 optional loops of 12 instructions: 1,822, all live at each byte */
	assert_false(re_whole("((a|a|a|a)*){0,140}b", value, vlen));
	worst = since(&t0);
	print_message("# a 1,822-instruction program, every state live, over 64 KiB: %.3f s\n",
		      worst);
	/* about 0.7 s optimised, 5 s under ASan: a hang detector */
	assert_true(worst < 60.0);
	/* a value up to the bound is matched; over it, not at all */
	assert_true(re_whole("a*", value, CATRE_MAX_VALUE));
	value = realloc(value, CATRE_MAX_VALUE + 1);
	assert_non_null(value);
	value[CATRE_MAX_VALUE] = 'a';
	assert_false(re_whole("a*", value, CATRE_MAX_VALUE + 1));
	free(value);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_fields_wellformed),
		cmocka_unit_test(test_defaults_valid),
		cmocka_unit_test(test_required_when),
		cmocka_unit_test(test_variants),
		cmocka_unit_test(test_git_capable),
		cmocka_unit_test(test_lookups_and_flags),
		cmocka_unit_test(test_key_fields_secret),
		cmocka_unit_test(test_task_type_strings),
		cmocka_unit_test(test_valid_url),
		cmocka_unit_test(test_valid_tcp_url),
		cmocka_unit_test(test_valid_guid),
		cmocka_unit_test(test_valid_pem),
		cmocka_unit_test(test_valid_base64),
		cmocka_unit_test(test_valid_kubeconfig),
		cmocka_unit_test(test_valid_thumbprints),
		cmocka_unit_test(test_valid_name_enum_bool_port),
		cmocka_unit_test(test_valid_known_hosts),
		cmocka_unit_test(test_valid_regex_length),
		cmocka_unit_test(test_valid_gate),
		cmocka_unit_test(test_valid_no_overread),
		cmocka_unit_test(test_regex_same_as_posix),
		cmocka_unit_test(test_regex_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
