/*
 * html.h - the console's one HTML writer: page markup comes from format
 * strings written in the source, and every value (a %s argument) is
 * HTML-escaped on its way in, whatever it is: connection names,
 * descriptions, pipeline names and comments are user input.  Nothing
 * else in the console writes to a page.
 */
#ifndef SVC_CONSOLE_HTML_H
#define SVC_CONSOLE_HTML_H

#include <stddef.h>

#include "util/buf.h"

/** Most bytes of one page. */
#define HTML_PAGE_MAX ((size_t)4 << 20)

/** A page being written. */
typedef struct html {
	svc_buf b;   /**< the markup so far (wiped on clear) */
	int failed;  /**< 1 once a write failed (no memory, too long) */
} html;

void html_init(html *h);
/** Wipe and free the page. */
void html_clear(html *h);

/**
 * Append fmt, markup written in the source, with its conversions: %s (a
 * value, HTML-escaped; NULL is written as nothing), %d, %u, %zu, %lld and
 * %%.  Any other conversion fails the page.
 */
void html_printf(html *h, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/** s percent-encoded as one URL path segment (or query value) into out. */
int html_url_segment(svc_buf *out, const char *s);

#endif
