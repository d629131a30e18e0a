/*
 * buf.h - the one growable buffer type of svcconn.
 *
 * Every buffer has a hard maximum size, fixed when it is initialised; growth
 * past it fails with SVC_EINVALID instead of eating memory.  A buffer may be
 * marked secret: then every reallocation copies into fresh memory and wipes
 * the old block, and svc_buf_clear() wipes before freeing.  The content is
 * always NUL-terminated so it can be used as a C string.
 */
#ifndef SVC_UTIL_BUF_H
#define SVC_UTIL_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct svc_buf {
	char *ptr;      /**< content, NUL-terminated, or NULL when empty */
	size_t len;     /**< bytes used, without the NUL */
	size_t alloc;   /**< bytes allocated */
	size_t max;     /**< hard limit on len */
	int secret;     /**< wipe on growth and clear */
} svc_buf;

/** Default hard maximum: 64 MiB. */
#define SVC_BUF_DEFAULT_MAX ((size_t)64 * 1024 * 1024)

#define SVC_BUF_INIT { NULL, 0, 0, SVC_BUF_DEFAULT_MAX, 0 }

void buf_init(svc_buf *b, size_t max, int secret);
/** Wipe (when secret) and free the content; the buffer may be reused. */
void buf_clear(svc_buf *b);
/** Make room for extra more bytes; SVC_EINVALID past the maximum. */
int buf_grow(svc_buf *b, size_t extra);
int buf_put(svc_buf *b, const void *data, size_t len);
int buf_puts(svc_buf *b, const char *s);
int buf_putc(svc_buf *b, char c);
int buf_printf(svc_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int buf_vprintf(svc_buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/** Take the content (NUL-terminated; never NULL on success) and reset. */
char *buf_detach(svc_buf *b, size_t *len);
/** Drop the content but keep the allocation (wiped when secret). */
void buf_reset(svc_buf *b);
/** Checked n * size; 0 on overflow (and *out untouched). */
int size_mul_ok(size_t *out, size_t n, size_t size);

#endif
