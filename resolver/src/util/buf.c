/*
 * buf.c - the one growable buffer type: bounded, optionally wiping.
 */
#include "util/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svcconn/errors.h"
#include "svcconn/secret.h"
#include "errors_int.h"

void buf_init(svc_buf *b, size_t max, int secret)
{
	b->ptr = NULL;
	b->len = 0;
	b->alloc = 0;
	b->max = max ? max : SVC_BUF_DEFAULT_MAX;
	b->secret = secret;
}

void buf_clear(svc_buf *b)
{
	if (!b)
		return;
	if (b->ptr && b->secret)
		svc_wipe(b->ptr, b->alloc);
	free(b->ptr);
	b->ptr = NULL;
	b->len = 0;
	b->alloc = 0;
}

void buf_reset(svc_buf *b)
{
	if (b->ptr) {
		if (b->secret)
			svc_wipe(b->ptr, b->alloc);
		b->ptr[0] = '\0';
	}
	b->len = 0;
}

int size_mul_ok(size_t *out, size_t n, size_t size)
{
	if (size && n > (size_t)-1 / size)
		return 0;
	*out = n * size;
	return 1;
}

int buf_grow(svc_buf *b, size_t extra)
{
	size_t need, nalloc;
	char *p;

	if (extra > b->max || b->len > b->max - extra)
		return error_set(SVC_EINVALID,
				 "input too large (limit %zu bytes)", b->max);
	need = b->len + extra + 1;
	if (need <= b->alloc)
		return 0;
	nalloc = b->alloc ? b->alloc : 64;
	while (nalloc < need)
		nalloc = nalloc > ((size_t)-1) / 2 ? need : nalloc * 2;
	if (b->secret) {
		/* never realloc a secret: copy, then wipe the old block */
		p = malloc(nalloc);
		if (!p)
			return error_oom();
		if (b->ptr) {
			memcpy(p, b->ptr, b->len + 1);
			svc_wipe(b->ptr, b->alloc);
			free(b->ptr);
		}
	} else {
		p = realloc(b->ptr, nalloc);
		if (!p)
			return error_oom();
	}
	if (!b->ptr)
		p[0] = '\0';
	b->ptr = p;
	b->alloc = nalloc;
	return 0;
}

int buf_put(svc_buf *b, const void *data, size_t len)
{
	int rc = buf_grow(b, len);

	if (rc)
		return rc;
	if (len)
		memcpy(b->ptr + b->len, data, len);
	b->len += len;
	b->ptr[b->len] = '\0';
	return 0;
}

int buf_puts(svc_buf *b, const char *s)
{
	return buf_put(b, s, strlen(s));
}

int buf_putc(svc_buf *b, char c)
{
	return buf_put(b, &c, 1);
}

int buf_vprintf(svc_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n, rc;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return error_set(SVC_ERROR, "cannot format text");
	rc = buf_grow(b, (size_t)n);
	if (rc)
		return rc;
	vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int buf_printf(svc_buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

char *buf_detach(svc_buf *b, size_t *len)
{
	char *p;

	if (!b->ptr && buf_grow(b, 0))
		return NULL;
	p = b->ptr;
	if (len)
		*len = b->len;
	b->ptr = NULL;
	b->len = 0;
	b->alloc = 0;
	return p;
}
