/*
 * html.c - the console's HTML writer (html.h): a small printf whose only
 * string conversion escapes, so that no value reaches a page unescaped.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "console/html.h"

void html_init(html *h)
{
	buf_init(&h->b, HTML_PAGE_MAX, 1);
	h->failed = 0;
}

void html_clear(html *h)
{
	buf_clear(&h->b);
}

/* s escaped for text and quoted attribute values. */
static int put_escaped(svc_buf *b, const char *s)
{
	int rc = 0;

	for (; s && *s && rc == 0; s++) {
		switch (*s) {
		case '&': rc = buf_puts(b, "&amp;"); break;
		case '<': rc = buf_puts(b, "&lt;"); break;
		case '>': rc = buf_puts(b, "&gt;"); break;
		case '"': rc = buf_puts(b, "&quot;"); break;
		case '\'': rc = buf_puts(b, "&#39;"); break;
		default: rc = buf_putc(b, *s); break;
		}
	}
	return rc;
}

void html_printf(html *h, const char *fmt, ...)
{
	va_list ap;
	const char *p = fmt;

	va_start(ap, fmt);
	while (*p && !h->failed) {
		const char *pct = strchr(p, '%');
		int rc = 0;

		if (!pct) {
			rc = buf_puts(&h->b, p);
			p += strlen(p);
		} else if (pct != p) {
			rc = buf_put(&h->b, p, (size_t)(pct - p));
			p = pct;
		} else if (p[1] == 's') {
			rc = put_escaped(&h->b, va_arg(ap, const char *));
			p += 2;
		} else if (p[1] == 'd') {
			rc = buf_printf(&h->b, "%d", va_arg(ap, int));
			p += 2;
		} else if (p[1] == 'u') {
			rc = buf_printf(&h->b, "%u", va_arg(ap, unsigned));
			p += 2;
		} else if (p[1] == 'z' && p[2] == 'u') {
			rc = buf_printf(&h->b, "%zu", va_arg(ap, size_t));
			p += 3;
		} else if (p[1] == 'l' && p[2] == 'l' && p[3] == 'd') {
			rc = buf_printf(&h->b, "%lld", va_arg(ap, long long));
			p += 4;
		} else if (p[1] == '%') {
			rc = buf_putc(&h->b, '%');
			p += 2;
		} else {
			rc = -1;
		}
		if (rc)
			h->failed = 1;
	}
	va_end(ap);
}

int html_url_segment(svc_buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	int rc = 0;

	for (; *s && rc == 0; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr("-._~", ch))
			rc = buf_putc(out, (char)ch);
		else
			rc = buf_printf(out, "%%%c%c", hex[ch >> 4], hex[ch & 15]);
	}
	return rc;
}
