/*
 * test_reference.c - the catalog against the two sources it was built from.
 *
 * (a) The reference text (shared/reference/service-connections.md): every
 *     parameter row of every table under a "###" type heading (and its
 *     "####"/"#####" subsections) must be the label of a field, scheme or
 *     variant of that type, apart from the rows every type has (connection
 *     name, description, security) and the scheme selectors.  Every type of
 *     the summary table must be in the catalog.  Sections outside "Common
 *     service connection types" (the extension types) are not built-in and
 *     are skipped.
 * (b) The key table (shared/data/endpoint-keys.tsv): every row with a real
 *     key must be a field of the named type and scheme(s), with the exact key
 *     case, the same kind and the same secret flag.
 *
 * Each test collects every miss and fails once, listing them all.
 */
#include "testutil.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "svcconn/catalog.h"
#include "util/buf.h"

#define REFERENCE SVC_SHARED_DIR "/reference/service-connections.md"
#define KEYS SVC_SHARED_DIR "/data/endpoint-keys.tsv"

/* ---- text helpers ------------------------------------------------------- */

/*
 * Copy s (of n bytes) into out (size osz) trimmed, with runs of whitespace
 * made one space: the form labels are compared in.
 */
static void normalise(char *out, size_t osz, const char *s, size_t n)
{
	size_t i, o = 0;
	int space = 0;

	for (i = 0; i < n && o + 1 < osz; i++) {
		if (isspace((unsigned char)s[i])) {
			space = o > 0;
			continue;
		}
		if (space && o + 2 < osz)
			out[o++] = ' ';
		space = 0;
		out[o++] = s[i];
	}
	out[o] = '\0';
}

/* 1 when label, normalised, equals the normalised text ignoring case. */
static int label_is(const char *label, const char *text)
{
	char a[256];

	if (!label)
		return 0;
	normalise(a, sizeof(a), label, strlen(label));
	return strcasecmp(a, text) == 0;
}

/* 1 when text is the label of a field, scheme or variant of t. */
static int type_has_label(const svc_type *t, const char *text)
{
	size_t i, j;

	for (i = 0; i < t->nschemes; i++) {
		const svc_scheme *s = &t->schemes[i];

		if (label_is(s->label, text))
			return 1;
		for (j = 0; j < svc_type_field_count(t, s); j++)
			if (label_is(svc_type_field_at(t, s, j)->label, text))
				return 1;
	}
	for (i = 0; i < t->nvariants; i++)
		if (label_is(t->variants[i].label, text))
			return 1;
	return 0;
}

/* The catalog type a "###" heading names, or NULL. */
static const svc_type *type_for_heading(const svc_catalog *cat,
					const char *heading)
{
	static const char suffix[] = " service connection";
	char h[256];
	size_t n = strlen(heading), i, sl = sizeof(suffix) - 1;

	if (n > sl && strcasecmp(heading + n - sl, suffix) == 0)
		n -= sl;
	normalise(h, sizeof(h), heading, n);
	for (i = 0; i < svc_catalog_count(cat); i++) {
		const svc_type *t = svc_catalog_at(cat, i);
		size_t before = strcspn(t->name, "/");

		if (strcasecmp(t->name, h) == 0 ||
		    (strlen(h) == before &&
		     strncasecmp(t->name, h, before) == 0))
			return t;
	}
	return NULL;
}

/* The rows of every table that are not about the type itself. */
static int generic_row(const char *param)
{
	static const char *const rows[] = {
		"Connection name", "Service connection name", "Description",
		"Security", "Authentication method", "Choose authorization",
		"Authentication Type",
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (strcasecmp(param, rows[i]) == 0)
			return 1;
	return 0;
}

/* The first cell of a table row "| a | b |" into out; 0 if not a row. */
static int first_cell(const char *line, char *out, size_t osz)
{
	const char *end;

	if (*line != '|')
		return 0;
	line++;
	end = strchr(line, '|');
	if (!end)
		end = line + strlen(line);
	normalise(out, osz, line, (size_t)(end - line));
	return 1;
}

/* 1 for a separator row: only '|', '-', ':' and spaces. */
static int separator_row(const char *line)
{
	return strspn(line, "|-: \t") == strlen(line) && strchr(line, '-');
}

/* ---- (a) the reference text --------------------------------------------- */

static void test_reference_labels(void **state)
{
	svc_catalog *cat = NULL;
	svc_buf miss = SVC_BUF_INIT;
	char *text, *line, *save = NULL;
	const svc_type *cur = NULL;
	char heading[256] = "", sub[256] = "";
	int in_types = 0, table = 0, summary = 0;
	size_t sections = 0, params = 0, listed = 0, misses = 0;

	(void)state;
	text = tu_read_file(REFERENCE, NULL);
	assert_non_null(text);
	assert_int_equal(svc_catalog_new(&cat), 0);
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char cell[512];
		size_t n = strlen(line);

		if (n && line[n - 1] == '\r')
			line[--n] = '\0';
		while (*line == ' ' || *line == '\t')
			line++;
		if (strncmp(line, "## ", 3) == 0) {
			in_types = strcmp(line + 3, "Common service "
					  "connection types") == 0;
			cur = NULL;
			table = summary = 0;
			continue;
		}
		if (strncmp(line, "### ", 4) == 0) {
			table = summary = 0;
			if (!in_types)
				continue;
			normalise(heading, sizeof(heading), line + 4,
				  strlen(line + 4));
			sub[0] = '\0';
			cur = type_for_heading(cat, heading);
			sections++;
			if (!cur) {
				buf_printf(&miss, "  no catalog type for "
					   "heading \"%s\"\n", heading);
				misses++;
			}
			continue;
		}
		if (strncmp(line, "#### ", 5) == 0 ||
		    strncmp(line, "##### ", 6) == 0) {
			normalise(sub, sizeof(sub), strchr(line, ' ') + 1,
				  strlen(strchr(line, ' ') + 1));
			table = 0;
			continue;
		}
		if (!first_cell(line, cell, sizeof(cell))) {
			table = summary = 0;
			continue;
		}
		if (!in_types || separator_row(line))
			continue;
		if (!table && !summary) {
			/* a header row starts a table */
			if (strcasecmp(cell, "Parameter") == 0 && cur)
				table = 1;
			else if (!cur && !sections &&
				 strcasecmp(cell,
					    "Service connection type") == 0)
				summary = 1;
			continue;
		}
		if (summary) {
			/* "[Azure Classic](#azure-classic-...)" */
			char *open = strchr(cell, '['), *close;

			if (!open || !(close = strchr(open, ']')))
				continue;
			*close = '\0';
			listed++;
			if (!type_for_heading(cat, open + 1) ||
			    strcasecmp(type_for_heading(cat, open + 1)->name,
				       open + 1) != 0) {
				buf_printf(&miss, "  summary type \"%s\" is "
					   "not in the catalog\n", open + 1);
				misses++;
			}
			continue;
		}
		if (generic_row(cell))
			continue;
		params++;
		if (!type_has_label(cur, cell)) {
			buf_printf(&miss, "  %s%s%s: parameter \"%s\" is no "
				   "label of type %s\n", heading,
				   sub[0] ? " / " : "", sub, cell, cur->id);
			misses++;
		}
	}
	if (misses)
		fail_msg("%zu reference parameter(s) not in the catalog:\n%s",
			 misses, miss.ptr);
	/* the walk really walked: 26 listed, 25 sections with tables */
	assert_int_equal(listed, 26);
	assert_int_equal(sections, 26);
	assert_true(params >= 100);
	buf_clear(&miss);
	svc_catalog_free(cat);
	free(text);
}

/* ---- (b) the key table -------------------------------------------------- */

/* Split line on tabs into at most max cells; returns the count. */
static size_t split_tabs(char *line, char **cells, size_t max)
{
	size_t n = 0;

	while (n < max) {
		cells[n++] = line;
		line = strchr(line, '\t');
		if (!line)
			break;
		*line++ = '\0';
	}
	return n;
}

/* The field of scheme s (or common) with exactly key and kind, or NULL. */
static const svc_field *exact_field(const svc_type *t, const svc_scheme *s,
				    const char *key, const char *kind)
{
	size_t i;

	for (i = 0; i < svc_type_field_count(t, s); i++) {
		const svc_field *f = svc_type_field_at(t, s, i);

		if (strcmp(f->key, key) == 0 &&
		    strcmp(svc_field_kind_name(f->kind), kind) == 0)
			return f;
	}
	return NULL;
}

/* Check one TSV row against one scheme; append to miss on failure. */
static size_t check_row_scheme(svc_buf *miss, const svc_type *t,
			       const svc_scheme *s, char **c)
{
	const svc_field *f = exact_field(t, s, c[4], c[3]);
	int secret = strcmp(c[5], "yes") == 0;

	if (!f) {
		const svc_field *near = svc_type_field(t, s, c[4]);

		if (near)
			buf_printf(miss, "  %s/%s: %s field \"%s\" missing "
				   "(found %s field \"%s\" instead)\n",
				   t->id, s->id, c[3], c[4],
				   svc_field_kind_name(near->kind), near->key);
		else
			buf_printf(miss, "  %s/%s: %s field \"%s\" missing\n",
				   t->id, s->id, c[3], c[4]);
		return 1;
	}
	if (f->secret != secret) {
		buf_printf(miss, "  %s/%s: \"%s\" secret flag %d, table says "
			   "%s\n", t->id, s->id, c[4], f->secret, c[5]);
		return 1;
	}
	return 0;
}

static void test_endpoint_keys(void **state)
{
	svc_catalog *cat = NULL;
	svc_buf miss = SVC_BUF_INIT;
	char *text, *line, *save = NULL;
	size_t rows = 0, misses = 0;

	(void)state;
	text = tu_read_file(KEYS, NULL);
	assert_non_null(text);
	assert_int_equal(svc_catalog_new(&cat), 0);
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *c[8], *sc, *s2 = NULL;
		const svc_type *t;
		size_t i;

		if (split_tabs(line, c, 8) < 6 ||
		    strcmp(c[0], "seed_type") == 0)
			continue;
		rows++;
		t = svc_catalog_find(cat, c[1]);
		if (!t) {
			buf_printf(&miss, "  type %s missing\n", c[1]);
			misses++;
			continue;
		}
		if (strcmp(t->id, c[1]) != 0 || strcmp(t->name, c[0]) != 0) {
			buf_printf(&miss, "  type %s (%s) is \"%s\" (%s)\n",
				   c[1], c[0], t->id, t->name);
			misses++;
		}
		/* Jira's scheme and keys are unknown: a documented choice */
		if (strcmp(c[4], "(unknown)") == 0 || strcmp(c[2], "?") == 0)
			continue;
		if (strcmp(c[2], "*") == 0) {
			if (strcmp(c[4], "(none)") == 0)
				continue;
			for (i = 0; i < t->nschemes; i++)
				misses += check_row_scheme(&miss, t,
							   &t->schemes[i], c);
			continue;
		}
		for (sc = strtok_r(c[2], ",", &s2); sc;
		     sc = strtok_r(NULL, ",", &s2)) {
			const svc_scheme *s = svc_type_scheme(t, sc);

			if (!s || strcmp(s->id, sc) != 0) {
				buf_printf(&miss, "  %s: scheme %s missing\n",
					   t->id, sc);
				misses++;
				continue;
			}
			/* "(none)": the scheme exists and has no fields */
			if (strcmp(c[4], "(none)") == 0)
				continue;
			misses += check_row_scheme(&miss, t, s, c);
		}
	}
	if (misses)
		fail_msg("%zu endpoint key(s) wrong in the catalog:\n%s",
			 misses, miss.ptr);
	assert_true(rows >= 180);
	buf_clear(&miss);
	svc_catalog_free(cat);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reference_labels),
		cmocka_unit_test(test_endpoint_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
