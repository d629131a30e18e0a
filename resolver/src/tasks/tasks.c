/*
 * tasks.c - loading task manifests (task.json) with jansson.
 *
 * svc_tasks_load() walks each directory (its own task.json, then those of
 * its subdirectories in sorted order), reads every manifest through
 * file_read_all() bounded by SVC_TASK_MAX_MANIFEST, strips a UTF-8
 * byte-order mark, and parses it with JSON_REJECT_DUPLICATES.  jansson
 * bounds the nesting depth, rejects NUL bytes in strings and invalid UTF-8;
 * this file bounds the counts (JSON values, inputs, aliases, handlers) and
 * the length of identifiers, so a hostile manifest costs little (about 25
 * MB of memory at worst) and cannot crash us.
 *
 * What a manifest must get right, or be skipped with an error: id (a GUID),
 * name, version.Major, inputs (an array of objects, each with a name, a
 * type and, optionally, aliases).  Those are what pipeline resolution
 * depends on.  Everything else (friendlyName, labels, defaults, required,
 * properties, Minor/Patch, execution) is read when well typed and otherwise
 * ignored with a warning.  Keys are matched ignoring case when no key of
 * the exact case is present, as the agent reads them.
 *
 * Each loaded manifest owns its memory as a list of blocks (struct
 * task_item), copied out of the JSON document before it is released, so
 * freeing a task is freeing its blocks.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <jansson.h>

#include "svcconn/tasks.h"
#include "errors_int.h"
#include "util/buf.h"
#include "util/fileio.h"
#include "util/paths.h"

/* Bounds on one manifest, far above what real tasks use (58, 2, 5). */
#define MAX_INPUTS 512   /* inputs per manifest */
#define MAX_ALIASES 16   /* aliases per input */
#define MAX_HANDLERS 64  /* execution handlers per manifest */
#define MAX_WORD 256     /* bytes in a name, alias, id or scheme */
#define MAX_TYPE 1024    /* bytes in an input type */
#define MAX_VALUES 100000 /* JSON values: jansson spends ~200 bytes each */

/* Internal result: the manifest was skipped after an error diagnostic. */
#define SKIP 1

/* The type prefix of a connection input. */
static const char conn_prefix[] = "connectedService:";

/* One loaded manifest: its public view and every block it owns. */
struct task_item {
	svc_task pub;   /**< public view, pointing into the blocks */
	svc_buf blocks; /**< the owned allocations, as an array of void * */
};

struct svc_tasks {
	svc_buf items;  /**< struct task_item *, in load order */
	size_t count;   /**< number of manifests */
	char *searched; /**< the directories given, ", "-joined, or "none" */
};

/* The state of one svc_tasks_load() call. */
struct loader {
	svc_tasks *set;     /**< the set being filled */
	svc_diags *diags;   /**< where problems go, or NULL */
	const char *path;   /**< the manifest being read */
	size_t found;       /**< task.json files seen so far */
	int shipped;        /**< 1 while reading the tasks svcconn ships: one
			         overridden by the caller's is no news */
};

/* ---- owned blocks ------------------------------------------------------- */

static struct task_item *item_new(void)
{
	struct task_item *it = calloc(1, sizeof(*it));

	if (!it) {
		error_oom();
		return NULL;
	}
	buf_init(&it->blocks, 0, 0);
	return it;
}

static void item_free(struct task_item *it)
{
	size_t i, n;
	void *p;

	if (!it)
		return;
	n = it->blocks.len / sizeof(p);
	for (i = 0; i < n; i++) {
		memcpy(&p, it->blocks.ptr + i * sizeof(p), sizeof(p));
		free(p);
	}
	buf_clear(&it->blocks);
	free(it);
}

/* n zeroed elements of size bytes owned by it; NULL (error set) on failure. */
static void *item_alloc(struct task_item *it, size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p) {
		error_oom();
		return NULL;
	}
	if (buf_put(&it->blocks, &p, sizeof(p)) != 0) {
		free(p);
		return NULL;
	}
	return p;
}

/* A NUL-terminated copy of len bytes of s owned by it. */
static char *item_strndup(struct task_item *it, const char *s, size_t len)
{
	char *p;

	if (len == (size_t)-1)
		return NULL;
	p = item_alloc(it, len + 1, 1);
	if (p)
		memcpy(p, s, len);
	return p;
}

static char *item_strdup(struct task_item *it, const char *s)
{
	return item_strndup(it, s, strlen(s));
}

static struct task_item *set_at(const svc_tasks *t, size_t i)
{
	struct task_item *it;

	memcpy(&it, t->items.ptr + i * sizeof(it), sizeof(it));
	return it;
}

/* ---- diagnostics -------------------------------------------------------- */

static int vreport(struct loader *ld, const char *file, unsigned line,
		   unsigned column, svc_severity sev, const char *field,
		   const char *fmt, va_list ap)
	__attribute__((format(printf, 7, 0)));
static int vreport(struct loader *ld, const char *file, unsigned line,
		   unsigned column, svc_severity sev, const char *field,
		   const char *fmt, va_list ap)
{
	svc_buf msg = SVC_BUF_INIT;
	int rc;

	if (!ld->diags)
		return 0;
	rc = buf_vprintf(&msg, fmt, ap);
	if (rc == 0)
		rc = svc_diags_add(ld->diags, file, line, column, sev, field,
				   "%s", msg.ptr);
	buf_clear(&msg);
	return rc;
}

/* Add a diagnostic at a place; 0, or a negative code when out of memory. */
static int report_at(struct loader *ld, const char *file, unsigned line,
		     unsigned column, svc_severity sev, const char *field,
		     const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));
static int report_at(struct loader *ld, const char *file, unsigned line,
		     unsigned column, svc_severity sev, const char *field,
		     const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vreport(ld, file, line, column, sev, field, fmt, ap);
	va_end(ap);
	return rc;
}

/* Add a diagnostic; 0, or a negative code when out of memory. */
static int report(struct loader *ld, const char *file, svc_severity sev,
		  const char *field, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static int report(struct loader *ld, const char *file, svc_severity sev,
		  const char *field, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vreport(ld, file, 0, 0, sev, field, fmt, ap);
	va_end(ap);
	return rc;
}

/* An error in the current manifest: returns SKIP (or a negative code). */
static int bad(struct loader *ld, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int bad(struct loader *ld, const char *field, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vreport(ld, ld->path, 0, 0, SVC_SEV_ERROR, field, fmt, ap);
	va_end(ap);
	return rc ? rc : SKIP;
}

/* A warning in the current manifest: returns 0 (or a negative code). */
static int warn(struct loader *ld, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int warn(struct loader *ld, const char *field, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vreport(ld, ld->path, 0, 0, SVC_SEV_WARNING, field, fmt, ap);
	va_end(ap);
	return rc;
}

/* "a string", "an array", ...: what a JSON value is, for messages. */
static const char *jkind(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	default:
		return "null";
	}
}

/* ---- checks on text ----------------------------------------------------- */

/* 1 when s (len bytes) is 1..MAX_WORD printable ASCII bytes, no spaces. */
static int is_word(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > MAX_WORD)
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

/* 1 when s (len bytes) is 1..max printable ASCII bytes, spaces allowed. */
static int is_text(const char *s, size_t len, size_t max)
{
	size_t i;

	if (len == 0 || len > max)
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

/* 1 when s (len bytes) is a task name: letters, digits, '-', '_'. */
static int is_task_name(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > MAX_WORD)
		return 0;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return 0;
	}
	return 1;
}

static int is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

/* 1 when s (len bytes) is a GUID: 8-4-4-4-12 hex digits. */
static int is_guid(const char *s, size_t len)
{
	size_t i;

	if (len != 36)
		return 0;
	for (i = 0; i < len; i++) {
		int dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-' : !is_hex(s[i]))
			return 0;
	}
	return 1;
}

/* A decimal number of len bytes (1..10 digits, at most UINT_MAX). */
static int parse_uint(const char *s, size_t len, unsigned *out)
{
	unsigned long long n = 0;
	size_t i;

	if (len == 0 || len > 10)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		n = n * 10 + (unsigned)(s[i] - '0');
	}
	if (n > UINT_MAX)
		return -1;
	*out = (unsigned)n;
	return 0;
}

/* A version part: a non-negative integer or a decimal string. */
static int version_part(const json_t *v, unsigned *out)
{
	json_int_t n;

	if (json_is_string(v))
		return parse_uint(json_string_value(v), json_string_length(v),
				  out);
	if (!json_is_integer(v))
		return -1;
	n = json_integer_value(v);
	if (n < 0 || (unsigned long long)n > UINT_MAX)
		return -1;
	*out = (unsigned)n;
	return 0;
}

/*
 * An upper bound on the number of JSON values in text (containers, commas
 * and one more, counted outside strings), to refuse a manifest whose parse
 * would take far more memory than its size, before parsing it.
 */
static size_t count_values(const char *s, size_t len)
{
	size_t i, n = 1;
	int in_string = 0;

	for (i = 0; i < len; i++) {
		char c = s[i];

		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = 0;
		} else if (c == '"') {
			in_string = 1;
		} else if (c == '{' || c == '[' || c == ',') {
			n++;
		}
	}
	return n;
}

/* Copy jansson's error text keeping printable ASCII only. */
static void clean_text(char *dst, size_t size, const char *src)
{
	size_t i;

	for (i = 0; i + 1 < size && src[i]; i++)
		dst[i] = (unsigned char)src[i] >= 0x20 &&
			 (unsigned char)src[i] < 0x7f ? src[i] : '?';
	dst[i] = '\0';
}

/*
 * A string, number or boolean as text: the string itself, or written into
 * num (of size bytes).  NULL for an object, an array or null.
 */
static const char *scalar_text(const json_t *v, char *num, size_t size)
{
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_boolean(v))
		return json_is_true(v) ? "true" : "false";
	if (json_is_integer(v)) {
		snprintf(num, size, "%" JSON_INTEGER_FORMAT,
			 json_integer_value(v));
		return num;
	}
	if (json_is_real(v)) {
		snprintf(num, size, "%.17g", json_real_value(v));
		return num;
	}
	return NULL;
}

/*
 * The member key of obj, matching the key's case if one does, else the
 * first that matches ignoring case (the agent reads task.json ignoring
 * case, and real manifests write "groupname" and "helpMarkdown").
 */
static json_t *jget(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	const char *k;

	if (v || !json_is_object(obj))
		return v;
	json_object_foreach(obj, k, v)
		if (strcasecmp(k, key) == 0)
			return v;
	return NULL;
}

/* ---- one input ---------------------------------------------------------- */

/*
 * Split the connection type of in->type ("connectedService:AzureRM" or
 * "connectedService:github:OAuth,Token") into conn_type and schemes.
 */
static int parse_conn_type(struct loader *ld, struct task_item *it,
			   svc_task_input *in, const char *field)
{
	const char *rest = in->type + sizeof(conn_prefix) - 1;
	const char *colon = strchr(rest, ':');
	size_t tlen = colon ? (size_t)(colon - rest) : strlen(rest);
	const char *p, **schemes;
	size_t n = 1;

	if (!is_word(rest, tlen))
		return bad(ld, field, "field '%s' names no valid connection "
			   "type", field);
	if (!(in->conn_type = item_strndup(it, rest, tlen)))
		return SVC_ERROR;
	if (!colon)
		return 0;
	for (p = colon + 1; *p; p++)
		n += *p == ',';
	if (!(schemes = item_alloc(it, n, sizeof(*schemes))))
		return SVC_ERROR;
	n = 0;
	for (p = colon + 1; *p;) {
		size_t len = strcspn(p, ",");
		const char *s = p;

		p += len;
		if (*p == ',')
			p++;
		while (len && (*s == ' ' || *s == '\t'))
			s++, len--;
		while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
			len--;
		if (len == 0)
			continue;
		if (!is_word(s, len))
			return bad(ld, field,
				   "field '%s' has an invalid scheme name",
				   field);
		if (!(schemes[n++] = item_strndup(it, s, len)))
			return SVC_ERROR;
	}
	in->schemes = schemes;
	in->nschemes = n;
	return 0;
}

/* 1 when props has key (any case) set to true or "true" (any case). */
static int prop_true(json_t *props, const char *key)
{
	const char *k;
	json_t *v;

	json_object_foreach(props, k, v) {
		if (strcasecmp(k, key) != 0)
			continue;
		if (json_is_true(v) ||
		    (json_is_string(v) &&
		     strcasecmp(json_string_value(v), "true") == 0))
			return 1;
	}
	return 0;
}

static int parse_aliases(struct loader *ld, struct task_item *it,
			 svc_task_input *in, json_t *v, size_t idx)
{
	char field[64];
	const char **aliases;
	size_t i, n;

	snprintf(field, sizeof(field), "inputs[%zu].aliases", idx);
	if (!json_is_array(v))
		return bad(ld, field, "field '%s' is %s, not an array", field,
			   jkind(v));
	n = json_array_size(v);
	if (n > MAX_ALIASES)
		return bad(ld, field, "field '%s' has more than %d entries",
			   field, MAX_ALIASES);
	if (!(aliases = item_alloc(it, n, sizeof(*aliases))))
		return SVC_ERROR;
	for (i = 0; i < n; i++) {
		json_t *a = json_array_get(v, i);

		snprintf(field, sizeof(field), "inputs[%zu].aliases[%zu]", idx,
			 i);
		if (!json_is_string(a))
			return bad(ld, field, "field '%s' is %s, not a string",
				   field, jkind(a));
		if (!is_word(json_string_value(a), json_string_length(a)))
			return bad(ld, field, "field '%s' is not a valid name",
				   field);
		if (!(aliases[i] = item_strdup(it, json_string_value(a))))
			return SVC_ERROR;
	}
	in->aliases = aliases;
	in->naliases = n;
	return 0;
}

/* The optional fields of an input: warnings only. */
static int parse_input_extras(struct loader *ld, struct task_item *it,
			      svc_task_input *in, json_t *obj, size_t idx)
{
	char field[64], num[64];
	json_t *v;
	int rc = 0;

	if ((v = jget(obj, "label")) && !json_is_null(v)) {
		snprintf(field, sizeof(field), "inputs[%zu].label", idx);
		if (!json_is_string(v))
			rc = warn(ld, field, "field '%s' is %s, not a string; "
				  "ignored", field, jkind(v));
		else if (!(in->label = item_strdup(it, json_string_value(v))))
			return SVC_ERROR;
	}
	if (rc == 0 && (v = jget(obj, "defaultValue")) &&
	    !json_is_null(v)) {
		const char *text = scalar_text(v, num, sizeof(num));

		snprintf(field, sizeof(field), "inputs[%zu].defaultValue", idx);
		if (!text)
			rc = warn(ld, field, "field '%s' is %s, not a value; "
				  "ignored", field, jkind(v));
		if (text && !(in->default_value = item_strdup(it, text)))
			return SVC_ERROR;
	}
	if (rc == 0 && (v = jget(obj, "required"))) {
		snprintf(field, sizeof(field), "inputs[%zu].required", idx);
		if (json_is_boolean(v))
			in->required = json_is_true(v);
		else if (json_is_string(v) &&
			 (strcasecmp(json_string_value(v), "true") == 0 ||
			  strcasecmp(json_string_value(v), "false") == 0))
			in->required = strcasecmp(json_string_value(v),
						  "true") == 0;
		else
			rc = warn(ld, field, "field '%s' is neither true nor "
				  "false; taken as false", field);
	}
	if (rc == 0 && (v = jget(obj, "properties")) &&
	    !json_is_null(v)) {
		snprintf(field, sizeof(field), "inputs[%zu].properties", idx);
		if (!json_is_object(v))
			rc = warn(ld, field, "field '%s' is %s, not an object; "
				  "ignored", field, jkind(v));
		else
			in->multi = prop_true(v, "MultiSelectFlatList") ||
				    prop_true(v, "MultiSelect");
	}
	return rc;
}

static int parse_input(struct loader *ld, struct task_item *it,
		       svc_task_input *in, json_t *obj, size_t idx)
{
	char field[64];
	json_t *v;
	int rc;

	snprintf(field, sizeof(field), "inputs[%zu]", idx);
	if (!json_is_object(obj))
		return bad(ld, field, "field '%s' is %s, not an object", field,
			   jkind(obj));

	snprintf(field, sizeof(field), "inputs[%zu].name", idx);
	if (!(v = jget(obj, "name")))
		return bad(ld, field, "field '%s' is missing", field);
	if (!json_is_string(v))
		return bad(ld, field, "field '%s' is %s, not a string", field,
			   jkind(v));
	if (!is_word(json_string_value(v), json_string_length(v)))
		return bad(ld, field, "field '%s' is not a valid input name",
			   field);
	if (!(in->name = item_strdup(it, json_string_value(v))))
		return SVC_ERROR;

	snprintf(field, sizeof(field), "inputs[%zu].type", idx);
	if (!(v = jget(obj, "type")))
		return bad(ld, field, "field '%s' of input '%s' is missing",
			   field, in->name);
	if (!json_is_string(v))
		return bad(ld, field, "field '%s' of input '%s' is %s, not a "
			   "string", field, in->name, jkind(v));
	if (!is_text(json_string_value(v), json_string_length(v), MAX_TYPE))
		return bad(ld, field, "field '%s' of input '%s' is not a valid "
			   "type", field, in->name);
	if (!(in->type = item_strdup(it, json_string_value(v))))
		return SVC_ERROR;
	if (strncasecmp(in->type, conn_prefix, sizeof(conn_prefix) - 1) == 0) {
		in->is_connection = 1;
		if ((rc = parse_conn_type(ld, it, in, field)) != 0)
			return rc;
	}

	if ((v = jget(obj, "aliases")) &&
	    (rc = parse_aliases(ld, it, in, v, idx)) != 0)
		return rc;
	return parse_input_extras(ld, it, in, obj, idx);
}

/* Name or alias j of input in (j == 0 the name). */
static const char *input_word(const svc_task_input *in, size_t j)
{
	return j == 0 ? in->name : in->aliases[j - 1];
}

/* Warn when a name or alias of input x is also one of input y's. */
static int check_pair(struct loader *ld, const svc_task_input *x,
		      const svc_task_input *y)
{
	size_t i, j;

	for (i = 0; i <= x->naliases; i++)
		for (j = 0; j <= y->naliases; j++) {
			const char *w = input_word(x, i);

			if (strcasecmp(w, input_word(y, j)) == 0)
				return warn(ld, "inputs", "'%s' names both "
					    "input '%s' and input '%s'", w,
					    x->name, y->name);
		}
	return 0;
}

/* Warn when two inputs share a name or alias (bounded by the limits). */
static int check_collisions(struct loader *ld, const svc_task *t)
{
	size_t a, b;
	int rc;

	for (a = 0; a < t->ninputs; a++)
		for (b = a + 1; b < t->ninputs; b++)
			if ((rc = check_pair(ld, &t->inputs[a],
					     &t->inputs[b])) != 0)
				return rc;
	return 0;
}

/* ---- one manifest ------------------------------------------------------- */

static int parse_inputs(struct loader *ld, struct task_item *it, json_t *v)
{
	svc_task_input *inputs;
	size_t i, n;
	int rc;

	if (!json_is_array(v))
		return bad(ld, "inputs", "field 'inputs' is %s, not an array",
			   jkind(v));
	n = json_array_size(v);
	if (n > MAX_INPUTS)
		return bad(ld, "inputs", "field 'inputs' has more than %d "
			   "entries", MAX_INPUTS);
	if (!(inputs = item_alloc(it, n, sizeof(*inputs))))
		return SVC_ERROR;
	for (i = 0; i < n; i++)
		if ((rc = parse_input(ld, it, &inputs[i], json_array_get(v, i),
				      i)) != 0)
			return rc;
	it->pub.inputs = inputs;
	it->pub.ninputs = n;
	return check_collisions(ld, &it->pub);
}

/*
 * The handlers of one execution section of the manifest (sect:
 * "execution", "prejobexecution" or "postjobexecution") into *out, *nout.
 */
static int parse_handlers(struct loader *ld, struct task_item *it, json_t *v,
			  const char *sect, const svc_task_handler **out,
			  size_t *nout)
{
	svc_task_handler *handlers;
	const char *kind;
	json_t *h, *x;
	char field[MAX_WORD + 64];
	size_t n = 0;
	int rc = 0;

	if (!json_is_object(v))
		return warn(ld, sect, "field '%s' is %s, not an object; "
			    "ignored", sect, jkind(v));
	if (json_object_size(v) > MAX_HANDLERS)
		return warn(ld, sect, "field '%s' has more than %d "
			    "handlers; ignored", sect, MAX_HANDLERS);
	if (!(handlers = item_alloc(it, json_object_size(v),
				    sizeof(*handlers))))
		return SVC_ERROR;
	json_object_foreach(v, kind, h) {
		svc_task_handler *hd = &handlers[n];

		if (rc)
			break;
		if (!is_word(kind, strlen(kind))) {
			rc = warn(ld, sect, "field '%s' has a handler with an "
				  "invalid name; ignored", sect);
			continue;
		}
		if (!(hd->kind = item_strdup(it, kind)))
			return SVC_ERROR;
		n++;
		snprintf(field, sizeof(field), "%s.%s", sect, kind);
		if (!json_is_object(h)) {
			rc = warn(ld, field, "field '%s' is %s, not an object",
				  field, jkind(h));
			continue;
		}
		x = jget(h, "target");
		if (x && json_is_string(x)) {
			hd->target = item_strdup(it, json_string_value(x));
			if (!hd->target)
				return SVC_ERROR;
		} else if (x) {
			rc = warn(ld, field, "field '%s.target' is %s, not a "
				  "string; ignored", field, jkind(x));
		}
		if (rc)
			break;
		x = jget(h, "argumentFormat");
		if (x && json_is_string(x)) {
			hd->argument_format = item_strdup(it,
							  json_string_value(x));
			if (!hd->argument_format)
				return SVC_ERROR;
		} else if (x) {
			rc = warn(ld, field, "field '%s.argumentFormat' is %s, "
				  "not a string; ignored", field, jkind(x));
		}
	}
	*out = handlers;
	*nout = n;
	return rc;
}

static int parse_version(struct loader *ld, struct task_item *it, json_t *ver)
{
	static const char *const part[] = { "Minor", "Patch" };
	unsigned *dst[] = { &it->pub.minor, &it->pub.patch };
	json_t *v;
	size_t i;
	int rc;

	if (!ver)
		return bad(ld, "version", "field 'version' is missing");
	if (!json_is_object(ver))
		return bad(ld, "version", "field 'version' is %s, not an "
			   "object", jkind(ver));
	if (!(v = jget(ver, "Major")))
		return bad(ld, "version.Major", "field 'version.Major' is "
			   "missing");
	if (version_part(v, &it->pub.major) != 0)
		return bad(ld, "version.Major", "field 'version.Major' is not "
			   "a version number");
	for (i = 0; i < 2; i++) {
		char field[32];

		if (!(v = jget(ver, part[i])) ||
		    version_part(v, dst[i]) == 0)
			continue;
		snprintf(field, sizeof(field), "version.%s", part[i]);
		if ((rc = warn(ld, field, "field '%s' is not a version number;"
			       " taken as 0", field)) != 0)
			return rc;
	}
	return 0;
}

/* Fill it from the manifest's root value: 0, SKIP or a negative code. */
static int parse_task(struct loader *ld, struct task_item *it, json_t *root)
{
	svc_task *t = &it->pub;
	json_t *v;
	int rc;

	if (!json_is_object(root))
		return bad(ld, NULL, "task manifest is %s, not an object",
			   jkind(root));

	if (!(v = jget(root, "id")))
		return bad(ld, "id", "field 'id' is missing");
	if (!json_is_string(v) ||
	    !is_guid(json_string_value(v), json_string_length(v)))
		return bad(ld, "id", "field 'id' is not a GUID");
	if (!(t->id = item_strdup(it, json_string_value(v))))
		return SVC_ERROR;

	if (!(v = jget(root, "name")))
		return bad(ld, "name", "field 'name' is missing");
	if (!json_is_string(v))
		return bad(ld, "name", "field 'name' is %s, not a string",
			   jkind(v));
	if (!is_task_name(json_string_value(v), json_string_length(v)))
		return bad(ld, "name", "field 'name' is not a task name "
			   "(letters, digits, '-' and '_')");
	if (!(t->name = item_strdup(it, json_string_value(v))))
		return SVC_ERROR;

	if ((rc = parse_version(ld, it, jget(root, "version"))))
		return rc;

	v = jget(root, "friendlyName");
	if (v && json_is_string(v)) {
		if (!(t->friendly_name = item_strdup(it, json_string_value(v))))
			return SVC_ERROR;
	} else if (v && (rc = warn(ld, "friendlyName", "field 'friendlyName' "
				   "is %s, not a string; ignored",
				   jkind(v))) != 0) {
		return rc;
	}

	if ((v = jget(root, "inputs")) && !json_is_null(v) &&
	    (rc = parse_inputs(ld, it, v)) != 0)
		return rc;
	if ((v = jget(root, "execution")) && !json_is_null(v) &&
	    (rc = parse_handlers(ld, it, v, "execution", &t->handlers,
				 &t->nhandlers)) != 0)
		return rc;
	/* run before the job's first step and after its last */
	if ((v = jget(root, "prejobexecution")) && !json_is_null(v) &&
	    (rc = parse_handlers(ld, it, v, "prejobexecution",
				 &t->pre_handlers, &t->npre_handlers)) != 0)
		return rc;
	if ((v = jget(root, "postjobexecution")) && !json_is_null(v) &&
	    (rc = parse_handlers(ld, it, v, "postjobexecution",
				 &t->post_handlers, &t->npost_handlers)) != 0)
		return rc;
	return 0;
}

/* Add it to the set unless a task of that name or id and major exists. */
static int add_task(struct loader *ld, struct task_item *it)
{
	const svc_task *t = &it->pub;
	size_t i;
	int rc;

	for (i = 0; i < ld->set->count; i++) {
		const svc_task *o = &set_at(ld->set, i)->pub;

		if (o->major != t->major ||
		    (strcasecmp(o->name, t->name) != 0 &&
		     strcasecmp(o->id, t->id) != 0))
			continue;
		rc = ld->shipped ? 0 :
		     report(ld, t->manifest_path, SVC_SEV_NOTE, NULL,
			    "task '%s@%u' is already loaded from '%s'; this "
			    "manifest is ignored", t->name, t->major,
			    o->manifest_path);
		item_free(it);
		return rc;
	}
	if ((rc = buf_put(&ld->set->items, &it, sizeof(it))) != 0) {
		item_free(it);
		return rc;
	}
	ld->set->count++;
	return 0;
}

/* Read, parse and add one manifest: 0 (loaded or skipped) or negative. */
static int load_manifest(struct loader *ld, const char *dir, const char *path)
{
	svc_buf raw;
	json_error_t jerr;
	json_t *root = NULL;
	struct task_item *it = NULL;
	const char *text;
	char why[sizeof(jerr.text)];
	size_t len;
	int rc;

	ld->path = path;
	buf_init(&raw, SVC_TASK_MAX_MANIFEST, 0);
	if ((rc = file_read_all(&raw, path)) != 0) {
		if (rc == SVC_EINVALID)
			rc = report(ld, path, SVC_SEV_ERROR, NULL, "task "
				    "manifest is larger than %zu bytes",
				    SVC_TASK_MAX_MANIFEST);
		else
			rc = report(ld, path, SVC_SEV_ERROR, NULL, "cannot "
				    "read task manifest: %s", svc_error_last());
		goto done;
	}
	text = raw.ptr ? raw.ptr : "";
	len = raw.len;
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		text += 3, len -= 3;
	if (count_values(text, len) > MAX_VALUES) {
		rc = report(ld, path, SVC_SEV_ERROR, NULL, "task manifest has "
			    "more than %d JSON values", MAX_VALUES);
		goto done;
	}
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		clean_text(why, sizeof(why), jerr.text);
		rc = report_at(ld, path,
			       jerr.line > 0 ? (unsigned)jerr.line : 0,
			       jerr.column > 0 ? (unsigned)jerr.column : 0,
			       SVC_SEV_ERROR, NULL,
			       "cannot parse task manifest: %s", why);
		goto done;
	}
	if (!(it = item_new()) ||
	    !(it->pub.dir = item_strdup(it, dir)) ||
	    !(it->pub.manifest_path = item_strdup(it, path))) {
		rc = SVC_ERROR;
		goto done;
	}
	rc = parse_task(ld, it, root);
	if (rc == 0) {
		rc = add_task(ld, it);
		it = NULL;
	}
done:
	item_free(it);
	json_decref(root);
	buf_clear(&raw);
	ld->path = NULL;
	return rc < 0 ? rc : 0;
}

/* ---- directories -------------------------------------------------------- */

/* base "/" name into out (base's trailing slashes dropped); 0 or negative. */
static int join(svc_buf *out, const char *base, const char *name)
{
	size_t len = strlen(base);

	while (len > 1 && base[len - 1] == '/')
		len--;
	buf_reset(out);
	if (buf_put(out, base, len) != 0)
		return SVC_ERROR;
	if (!name)
		return 0;
	if ((len == 0 || base[len - 1] != '/') && buf_putc(out, '/') != 0)
		return SVC_ERROR;
	return buf_puts(out, name) != 0 ? SVC_ERROR : 0;
}

/*
 * Load the task.json of dir's subdirectory sub (of dir itself when sub is
 * NULL), if there is one.  d is dir, open.
 */
static int try_manifest(struct loader *ld, DIR *d, const char *dir,
			const char *sub)
{
	svc_buf taskdir = SVC_BUF_INIT, path = SVC_BUF_INIT;
	svc_buf rel = SVC_BUF_INIT;
	struct stat st;
	int rc;

	if ((rc = join(&taskdir, dir, sub)) != 0 ||
	    (rc = join(&path, taskdir.ptr, "task.json")) != 0 ||
	    (rc = sub ? join(&rel, sub, "task.json") :
			join(&rel, "task.json", NULL)) != 0)
		goto done;
	if (fstatat(dirfd(d), rel.ptr, &st, 0) != 0) {
		if (errno != ENOENT && errno != ENOTDIR)
			rc = report(ld, path.ptr, SVC_SEV_WARNING, NULL,
				    "cannot read task manifest: %s",
				    strerror(errno));
		goto done;
	}
	ld->found++;
	/* not a security check: it keeps a FIFO from blocking the read */
	if (!S_ISREG(st.st_mode))
		rc = report(ld, path.ptr, SVC_SEV_ERROR, NULL,
			    "task manifest is not a regular file");
	else
		rc = load_manifest(ld, taskdir.ptr, path.ptr);
done:
	buf_clear(&taskdir);
	buf_clear(&path);
	buf_clear(&rel);
	return rc;
}

static int cmp_names(const void *a, const void *b)
{
	const char *x, *y;

	memcpy(&x, a, sizeof(x));
	memcpy(&y, b, sizeof(y));
	return strcmp(x, y);
}

/* Load dir/task.json and dir/<sub>/task.json for every subdirectory. */
static int load_dir(struct loader *ld, const char *dir)
{
	svc_buf names = SVC_BUF_INIT;
	struct dirent *e;
	size_t before = ld->found, i, n;
	char *name;
	DIR *d;
	int rc;

	if (!(d = opendir(dir))) {
		int err = errno;

		if (err == ENOENT)
			return report(ld, dir, SVC_SEV_WARNING, NULL,
				      "tasks directory does not exist");
		return report(ld, dir, SVC_SEV_WARNING, NULL,
			      "cannot read tasks directory: %s",
			      strerror(err));
	}
	if ((rc = try_manifest(ld, d, dir, NULL)) != 0)
		goto done;
	while ((e = readdir(d)) != NULL) {
		struct stat st;

		if (e->d_name[0] == '.' ||
		    fstatat(dirfd(d), e->d_name, &st, 0) != 0 ||
		    !S_ISDIR(st.st_mode))
			continue;
		if (!(name = strdup(e->d_name))) {
			rc = error_oom();
			goto done;
		}
		if ((rc = buf_put(&names, &name, sizeof(name))) != 0) {
			free(name);
			goto done;
		}
	}
	n = names.len / sizeof(name);
	if (n)
		qsort(names.ptr, n, sizeof(name), cmp_names);
	for (i = 0; i < n && rc == 0; i++) {
		memcpy(&name, names.ptr + i * sizeof(name), sizeof(name));
		rc = try_manifest(ld, d, dir, name);
	}
	if (rc == 0 && ld->found == before)
		rc = report(ld, dir, SVC_SEV_WARNING, NULL,
			    "no task.json found in tasks directory");
done:
	n = names.len / sizeof(name);
	for (i = 0; i < n; i++) {
		memcpy(&name, names.ptr + i * sizeof(name), sizeof(name));
		free(name);
	}
	buf_clear(&names);
	closedir(d);
	return rc;
}

/* The non-NULL entries of dirs joined by ", " ("none") into a new string. */
static int join_dirs(char **out, const char *const *dirs, size_t ndirs)
{
	svc_buf b = SVC_BUF_INIT;
	size_t i;
	int rc = 0;

	for (i = 0; i < ndirs && rc == 0; i++)
		if (dirs[i])
			rc = buf_printf(&b, "%s%s", b.len ? ", " : "", dirs[i]);
	if (rc == 0 && !b.len)
		rc = buf_puts(&b, "none");
	if (rc) {
		buf_clear(&b);
		return rc;
	}
	*out = buf_detach(&b, NULL);
	return 0;
}

/* ---- the public functions ----------------------------------------------- */

/*
 * svc_tasks_load() of dirs[0..ndirs), where dirs[shipped..] are the tasks
 * svcconn ships (ndirs: none).
 */
static int load_set(svc_tasks **out, const char *const *dirs, size_t ndirs,
		    size_t shipped, svc_diags *diags)
{
	struct loader ld;
	svc_tasks *set;
	size_t i;
	int rc = 0;

	if (!out || (ndirs && !dirs))
		return error_set(SVC_EINVALID, "no tasks directories given");
	if (!(set = calloc(1, sizeof(*set))))
		return error_oom();
	buf_init(&set->items, 0, 0);
	memset(&ld, 0, sizeof(ld));
	ld.set = set;
	ld.diags = diags;
	for (i = 0; i < ndirs && rc == 0; i++) {
		ld.shipped = i >= shipped;
		if (dirs[i])
			rc = load_dir(&ld, dirs[i]);
	}
	if (rc == 0)
		rc = join_dirs(&set->searched, dirs, ndirs);
	if (rc) {
		svc_tasks_free(set);
		return rc;
	}
	*out = set;
	return 0;
}

int svc_tasks_load(svc_tasks **out, const char *const *dirs, size_t ndirs,
		   svc_diags *diags)
{
	return load_set(out, dirs, ndirs, ndirs, diags);
}

int svc_tasks_load_path(svc_tasks **out, const char *const *dirs,
			size_t ndirs, svc_diags *diags)
{
	const char *env = getenv("SVCCONN_TASKS_PATH");
	size_t cap = ndirs + 2, n = 0, nown = 0, shipped, i;
	const char **all = NULL;
	char **own = NULL; /* the strings made here: env's entries, shipped */
	int rc = 0;

	if (!out || (ndirs && !dirs))
		return error_set(SVC_EINVALID, "no tasks directories given");
	for (i = 0; env && env[i]; i++)
		cap += env[i] == ':';
	if (!(all = calloc(cap, sizeof(*all))) ||
	    !(own = calloc(cap, sizeof(*own)))) {
		rc = error_oom();
		goto done;
	}
	for (i = 0; i < ndirs; i++)
		all[n++] = dirs[i];
	while (env && *env) {
		size_t len = strcspn(env, ":");

		if (len && !(own[nown++] = strndup(env, len))) {
			rc = error_oom();
			goto done;
		}
		if (len)
			all[n++] = own[nown - 1];
		env += len + (env[len] == ':');
	}
	/* the tasks svcconn ships, where they are */
	shipped = n;
	if ((own[nown] = paths_data_dir("tasks")) != NULL)
		all[n++] = own[nown++];
	rc = load_set(out, all, n, shipped, diags);
done:
	for (i = 0; own && i < nown; i++)
		free(own[i]);
	free(own);
	free(all);
	return rc;
}

void svc_tasks_free(svc_tasks *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->count; i++)
		item_free(set_at(t, i));
	buf_clear(&t->items);
	free(t->searched);
	free(t);
}

const char *svc_tasks_searched(const svc_tasks *t)
{
	return t && t->searched ? t->searched : "none";
}

size_t svc_tasks_count(const svc_tasks *t)
{
	return t ? t->count : 0;
}

const svc_task *svc_tasks_at(const svc_tasks *t, size_t i)
{
	return t && i < t->count ? &set_at(t, i)->pub : NULL;
}

const svc_task *svc_tasks_find(const svc_tasks *t, const char *ref)
{
	const svc_task *best = NULL;
	const char *at;
	unsigned major = 0;
	size_t i, nlen;
	int by_id;

	if (!t || !ref)
		return NULL;
	at = strchr(ref, '@');
	nlen = at ? (size_t)(at - ref) : strlen(ref);
	if (nlen == 0 ||
	    (at && parse_uint(at + 1, strlen(at + 1), &major) != 0))
		return NULL;
	by_id = is_guid(ref, nlen);
	/* publisher.extension.contribution.Name: never a loaded manifest */
	if (!by_id && !is_task_name(ref, nlen))
		return NULL;
	for (i = 0; i < t->count; i++) {
		const svc_task *x = &set_at(t, i)->pub;
		const char *key = by_id ? x->id : x->name;

		if (strlen(key) != nlen || strncasecmp(key, ref, nlen) != 0)
			continue;
		if (at && x->major == major)
			return x;
		if (!at && (!best || x->major > best->major))
			best = x;
	}
	return best;
}

const svc_task_input *svc_task_input_find(const svc_task *t,
					  const char *name_or_alias)
{
	size_t i, j;

	if (!t || !name_or_alias)
		return NULL;
	for (i = 0; i < t->ninputs; i++)
		if (strcasecmp(t->inputs[i].name, name_or_alias) == 0)
			return &t->inputs[i];
	for (i = 0; i < t->ninputs; i++)
		for (j = 0; j < t->inputs[i].naliases; j++)
			if (strcasecmp(t->inputs[i].aliases[j],
				       name_or_alias) == 0)
				return &t->inputs[i];
	return NULL;
}

/* ---- a step's inputs ------------------------------------------------------ */

/* s trimmed of white space at both ends, as a new string. */
static char *trimmed(const char *s)
{
	size_t len;

	while (*s == ' ' || (*s >= '\t' && *s <= '\r'))
		s++;
	len = strlen(s);
	while (len && (s[len - 1] == ' ' ||
		       (s[len - 1] >= '\t' && s[len - 1] <= '\r')))
		len--;
	return strndup(s, len);
}

/* 1 when names[j] is given again after j (ignoring case): that one wins. */
static int given_later(const char *const *names, const char *const *values,
		       size_t n, size_t j)
{
	size_t i;

	for (i = j + 1; i < n; i++)
		if (names[i] && values[i] && strcasecmp(names[i], names[j]) == 0)
			return 1;
	return 0;
}

void svc_task_inputs_free(char **names, char **values, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(names ? names[i] : NULL);
		free(values ? values[i] : NULL);
	}
	free(names);
	free(values);
}

int svc_task_inputs_merge(char ***names_out, char ***values_out,
			  size_t *nout, const svc_task *t,
			  const char *const *names, const char *const *values,
			  size_t n)
{
	size_t nin = t ? t->ninputs : 0, cap = nin + n, k = 0, i, j;
	char **on = NULL, **ov = NULL;

	if (!names_out || !values_out || !nout || (n && (!names || !values)))
		return error_set(SVC_EINVALID, "invalid step inputs");
	if (!(on = calloc(cap + 1, sizeof(*on))) ||
	    !(ov = calloc(cap + 1, sizeof(*ov))))
		goto oom;
	/* the manifest's inputs: the step's value (the last given), else
	 * the default, else "" */
	for (i = 0; i < nin; i++) {
		const svc_task_input *in = &t->inputs[i];
		const char *v = in->default_value ? in->default_value : "";

		for (j = 0; j < n; j++)
			if (names[j] && values[j] &&
			    svc_task_input_find(t, names[j]) == in)
				v = values[j];
		if (!(on[k] = strdup(in->name)) || !(ov[k++] = trimmed(v)))
			goto oom;
	}
	/* the step's inputs the manifest does not know */
	for (j = 0; j < n; j++) {
		if (!names[j] || !values[j] ||
		    (t && svc_task_input_find(t, names[j])) ||
		    given_later(names, values, n, j))
			continue;
		if (!(on[k] = strdup(names[j])) || !(ov[k++] = trimmed(values[j])))
			goto oom;
	}
	*names_out = on;
	*values_out = ov;
	*nout = k;
	return 0;
oom:
	svc_task_inputs_free(on, ov, cap);
	return error_oom();
}
