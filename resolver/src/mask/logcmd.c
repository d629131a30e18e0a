/*
 * logcmd.c - parsing one Azure Pipelines logging command.
 *
 * The syntax, as the agent reads it (Command.TryParse): the command starts
 * at the first "##vso[" of the line and its head runs to the first ']'
 * after it (the agent's IndexOf finds the prefix in lower case only; we
 * read "##VSO[" too, so that a value meant as a secret is masked however
 * the prefix was written; area and event compare without case, as the
 * agent's command tables do); the head is "area.event" (split on '.', empty parts dropped,
 * exactly two left), then, after the first space, properties separated by
 * ';', each split on its first '=' (parts with an empty key or value are
 * ignored; a later key replaces an earlier one, keys compare without case).
 * The data is the rest of the line.  Values and data are unescaped:
 * %3B ';', %0D CR, %0A LF, %5D ']', %AZP25 '%' (no escape can produce
 * another, so one left-to-right pass equals the agent's chain of
 * Replace()).  Unlike the agent we also trim spaces around keys, so
 * "issecret" is found in "a=b; issecret=true"; true/false values are read
 * by the stream as the agent's Boolean.TryParse (any case, spaces around).
 *
 * The parsed text goes into wiping buffers: a value may be a secret.
 */
#include <string.h>
#include <strings.h>

#include "svcconn/errors.h"
#include "svcconn/secret.h"
#include "errors_int.h"
#include "mask/mask_int.h"

/* Largest parsed command: a line is bounded by the stream before this. */
#define LOGCMD_TEXT_MAX ((size_t)64 * 1024 * 1024)

void logcmd_init(logcmd *c)
{
	buf_init(&c->text, LOGCMD_TEXT_MAX, 1);
	buf_init(&c->props, LOGCMD_TEXT_MAX, 0);
	c->nprops = 0;
	c->area = c->event = c->data = 0;
	c->data_len = 0;
}

void logcmd_clear(logcmd *c)
{
	buf_clear(&c->text);
	buf_clear(&c->props);
	c->nprops = 0;
	c->data_len = 0;
}

int logcmd_unescape(svc_buf *out, const char *s, size_t len)
{
	static const struct { const char *esc; size_t n; char c; } map[] = {
		{ "%3B", 3, ';' }, { "%0D", 3, '\r' }, { "%0A", 3, '\n' },
		{ "%5D", 3, ']' }, { "%AZP25", 6, '%' }
	};
	size_t i = 0, start = 0, j;
	int rc = 0;

	while (i < len && rc == 0) {
		const char *pct = memchr(s + i, '%', len - i);

		if (!pct)
			break;
		i = (size_t)(pct - s);
		for (j = 0; j < sizeof(map) / sizeof(map[0]); j++)
			if (len - i >= map[j].n &&
			    memcmp(s + i, map[j].esc, map[j].n) == 0)
				break;
		if (j == sizeof(map) / sizeof(map[0])) {
			i++;
			continue;
		}
		rc = buf_put(out, s + start, i - start);
		if (rc == 0)
			rc = buf_putc(out, map[j].c);
		i += map[j].n;
		start = i;
	}
	if (rc == 0)
		rc = buf_put(out, s + start, len - start);
	return rc;
}

/* Append s (len bytes) and a NUL; *off gets where it starts. */
static int put_str(logcmd *c, size_t *off, const char *s, size_t len)
{
	int rc;

	*off = c->text.len;
	rc = buf_put(&c->text, s, len);
	return rc ? rc : buf_putc(&c->text, '\0');
}

/* Append the unescaped s and a NUL; *off and *outlen say where. */
static int put_unescaped(logcmd *c, size_t *off, size_t *outlen,
			 const char *s, size_t len)
{
	int rc;

	*off = c->text.len;
	rc = logcmd_unescape(&c->text, s, len);
	if (rc == 0) {
		*outlen = c->text.len - *off;
		rc = buf_putc(&c->text, '\0');
	}
	return rc;
}

/* The first "##vso[" of [s, s+len) in any case, or NULL. */
static const char *find_prefix(const char *s, size_t len)
{
	const char *p = s, *end = s + len;

	while ((size_t)(end - p) >= LOGCMD_PREFIX_LEN &&
	       (p = memmem(p, (size_t)(end - p), "##", 2)) != NULL) {
		if ((size_t)(end - p) < LOGCMD_PREFIX_LEN)
			break;
		if (strncasecmp(p, LOGCMD_PREFIX, LOGCMD_PREFIX_LEN) == 0)
			return p;
		p++;
	}
	return NULL;
}

/* area.event: split on '.', empty parts dropped, exactly two parts. */
static int parse_name(logcmd *c, const char *s, size_t len)
{
	const char *part[2];
	size_t plen[2], i = 0, n = 0;
	int rc;

	while (i < len) {
		size_t j = i;

		while (j < len && s[j] != '.')
			j++;
		if (j > i) {
			if (n == 2)
				return error_set(SVC_EINVALID,
						 "command name is not 'area.event'");
			part[n] = s + i;
			plen[n] = j - i;
			n++;
		}
		i = j + 1;
	}
	if (n != 2)
		return error_set(SVC_EINVALID, "command name is not 'area.event'");
	rc = put_str(c, &c->area, part[0], plen[0]);
	return rc ? rc : put_str(c, &c->event, part[1], plen[1]);
}

/* One "key=value" property. */
static int parse_prop(logcmd *c, const char *s, size_t len)
{
	const char *eq = memchr(s, '=', len);
	size_t klen, vlen, kstart = 0;
	logcmd_prop p;
	int rc;

	if (!eq)
		return 0;
	klen = (size_t)(eq - s);
	vlen = len - klen - 1;
	while (kstart < klen && (s[kstart] == ' ' || s[kstart] == '\t'))
		kstart++;
	while (klen > kstart && (s[klen - 1] == ' ' || s[klen - 1] == '\t'))
		klen--;
	if (klen == kstart || vlen == 0)
		return 0;
	if ((rc = put_str(c, &p.key, s + kstart, klen - kstart)) != 0 ||
	    (rc = put_unescaped(c, &p.val, &p.val_len, eq + 1, vlen)) != 0)
		return rc;
	rc = buf_put(&c->props, &p, sizeof(p));
	if (rc == 0)
		c->nprops++;
	return rc;
}

int logcmd_parse(logcmd *c, const char *line, size_t len)
{
	const char *pre, *head, *rb, *sp, *end;
	int rc;

	buf_reset(&c->text);
	buf_reset(&c->props);
	c->nprops = 0;
	c->data_len = 0;
	if (len && line[len - 1] == '\r')
		len--;
	pre = find_prefix(line, len);
	if (!pre)
		return SVC_ENOTFOUND;
	head = pre + LOGCMD_PREFIX_LEN;
	end = line + len;
	rb = memchr(head, ']', (size_t)(end - head));
	if (!rb)
		return error_set(SVC_EINVALID, "no ']' after '##vso['");
	sp = memchr(head, ' ', (size_t)(rb - head));
	if ((rc = parse_name(c, head, (size_t)((sp ? sp : rb) - head))) != 0)
		return rc;
	if (sp) {
		const char *p = sp + 1;

		while (p < rb) {
			const char *semi = memchr(p, ';', (size_t)(rb - p));
			const char *stop = semi ? semi : rb;

			if ((rc = parse_prop(c, p, (size_t)(stop - p))) != 0)
				return rc;
			p = stop + 1;
		}
	}
	return put_unescaped(c, &c->data, &c->data_len, rb + 1,
			     (size_t)(end - rb - 1));
}

int logcmd_is(const logcmd *c, const char *area, const char *event)
{
	return c->text.ptr && strcasecmp(c->text.ptr + c->area, area) == 0 &&
	       strcasecmp(c->text.ptr + c->event, event) == 0;
}

const char *logcmd_prop_get(const logcmd *c, const char *key, size_t *len)
{
	const logcmd_prop *p = (const logcmd_prop *)c->props.ptr;
	size_t i = c->nprops;

	while (i-- > 0) {
		if (strcasecmp(c->text.ptr + p[i].key, key) == 0) {
			if (len)
				*len = p[i].val_len;
			return c->text.ptr + p[i].val;
		}
	}
	return NULL;
}

const char *logcmd_data(const logcmd *c, size_t *len)
{
	if (len)
		*len = c->data_len;
	return c->text.ptr ? c->text.ptr + c->data : "";
}

/* Copy s into out[*n...] keeping only safe characters. */
static void name_part(char *out, size_t size, size_t *n, const char *s)
{
	for (; *s && *n + 1 < size; s++) {
		char ch = *s;

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_' || ch == '-'))
			ch = '?';
		out[(*n)++] = ch;
	}
}

void logcmd_name(const logcmd *c, char *out, size_t size)
{
	size_t n = 0;

	if (!size)
		return;
	if (c->text.ptr) {
		name_part(out, size, &n, c->text.ptr + c->area);
		if (n + 1 < size)
			out[n++] = '.';
		name_part(out, size, &n, c->text.ptr + c->event);
	}
	out[n] = '\0';
}

/*
 * A property that is true as the agent reads it (.NET Boolean.TryParse):
 * "true" in any case, with white space (and NULs) around it ignored.
 */
int logcmd_is_true(const char *v, size_t len)
{
	while (len && (v[0] == ' ' || v[0] == '\t' || v[0] == '\0' ||
		       (v[0] >= '\n' && v[0] <= '\r'))) {
		v++;
		len--;
	}
	while (len && (v[len - 1] == ' ' || v[len - 1] == '\t' ||
		       v[len - 1] == '\0' ||
		       (v[len - 1] >= '\n' && v[len - 1] <= '\r')))
		len--;
	return len == 4 && strncasecmp(v, "true", 4) == 0;
}
