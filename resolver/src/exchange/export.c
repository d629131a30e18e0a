/*
 * export.c - connections to YAML (the svcconn/v1 exchange format).
 *
 * The writer is svcconn's own rather than libyaml's emitter: the emitter
 * copies every scalar into memory it frees without wiping, which would leave
 * secrets behind.  Values are written as double-quoted YAML scalars with
 * every control character escaped, so any byte string round-trips exactly
 * and nothing in a value can break the document's structure.  Everything is
 * written into one secret buffer.
 */
#include <string.h>

#include "svcconn/exchange.h"
#include "svcconn/secret.h"
#include "errors_int.h"
#include "util/buf.h"

/* Append s (len bytes) as a double-quoted YAML scalar. */
static int quoted(svc_buf *b, const char *s, size_t len)
{
	size_t i;
	int rc = buf_putc(b, '"');

	for (i = 0; !rc && i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		switch (ch) {
		case '"': rc = buf_puts(b, "\\\""); break;
		case '\\': rc = buf_puts(b, "\\\\"); break;
		case '\n': rc = buf_puts(b, "\\n"); break;
		case '\r': rc = buf_puts(b, "\\r"); break;
		case '\t': rc = buf_puts(b, "\\t"); break;
		default:
			if (ch < 0x20 || ch == 0x7f)
				rc = buf_printf(b, "\\x%02x", ch);
			else
				rc = buf_putc(b, (char)ch);
		}
	}
	return rc ? rc : buf_putc(b, '"');
}

/* "<indent>key: "value"\n" */
static int pair(svc_buf *b, const char *indent, const char *key,
		const char *value, size_t len)
{
	int rc;

	if ((rc = buf_printf(b, "%s%s: ", indent, key)) ||
	    (rc = quoted(b, value, len)))
		return rc;
	return buf_putc(b, '\n');
}

/* The auth or data mapping of c; left out when it would be empty. */
static int fields(svc_buf *b, const svc_conn *c, svc_field_kind kind,
		  const char *title, unsigned flags)
{
	size_t i, n = svc_conn_field_count(c), shown = 0;
	svc_conn_field f;
	int rc = 0;

	for (i = 0; i < n && !rc; i++) {
		svc_conn_field_at(c, i, &f);
		if (f.kind != kind || !f.value ||
		    (f.secret && !(flags & SVC_EXPORT_SECRETS)))
			continue;
		if (shown++ == 0 && (rc = buf_printf(b, "    %s:\n", title)))
			break;
		rc = pair(b, "      ", f.key, f.value, f.len);
	}
	return rc;
}

static int one(svc_buf *b, const svc_conn *c, unsigned flags)
{
	const char *v;
	int rc;

	if ((rc = buf_puts(b, "  - ")) ||
	    (rc = pair(b, "", "name", svc_conn_name(c),
		       strlen(svc_conn_name(c)))))
		return rc;
	if ((v = svc_conn_id(c)) && (rc = pair(b, "    ", "id", v, strlen(v))))
		return rc;
	v = svc_conn_type(c);
	if ((rc = pair(b, "    ", "type", v, strlen(v))))
		return rc;
	if ((v = svc_conn_scheme(c)) &&
	    (rc = pair(b, "    ", "scheme", v, strlen(v))))
		return rc;
	if ((v = svc_conn_url(c)) && (rc = pair(b, "    ", "url", v, strlen(v))))
		return rc;
	if ((v = svc_conn_description(c)) && *v &&
	    (rc = pair(b, "    ", "description", v, strlen(v))))
		return rc;
	if ((rc = buf_printf(b, "    allPipelines: %s\n",
			     svc_conn_all_pipelines(c) ? "true" : "false")))
		return rc;
	if ((rc = fields(b, c, SVC_FIELD_AUTH, "auth", flags)))
		return rc;
	return fields(b, c, SVC_FIELD_DATA, "data", flags);
}

int svc_export_yaml(char **out, size_t *len, svc_conn *const *conns,
		    size_t count, unsigned flags)
{
	svc_buf b;
	size_t i;
	int rc;

	buf_init(&b, 0, 1);
	rc = buf_printf(&b, "# svcconn export%s\napiVersion: svcconn/v1\nconnections:%s\n",
			flags & SVC_EXPORT_SECRETS ? " (contains secrets)"
						   : " (no secrets)",
			count ? "" : " []");
	for (i = 0; i < count && !rc; i++)
		rc = one(&b, conns[i], flags);
	if (rc) {
		buf_clear(&b);
		return rc;
	}
	*out = buf_detach(&b, len);
	return *out ? 0 : error_oom();
}
