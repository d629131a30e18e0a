/*
 * errors.c - the thread's last error, and lists of diagnostics.
 *
 * The last error lives in thread-local storage (like libgit2's
 * git_error_last), so the library keeps no shared mutable state.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svcconn/errors.h"
#include "errors_int.h"
#include "util/buf.h"

static _Thread_local char last_error[1024];

const char *svc_error_last(void)
{
	return last_error;
}

void svc_error_clear(void)
{
	last_error[0] = '\0';
}

int error_set(int code, const char *fmt, ...)
{
	char msg[sizeof(last_error)];
	va_list ap;

	/* formatted aside first: an argument may be svc_error_last() itself
	 * (a message wrapping the one before), which vsnprintf into
	 * last_error would overwrite while reading it */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	memcpy(last_error, msg, sizeof(msg));
	return code;
}

int error_oom(void)
{
	return error_set(SVC_ERROR, "out of memory");
}

/* One stored diagnostic: the public view plus the owned strings. */
struct diag_item {
	svc_diag d;     /**< public view, pointing into the strings below */
	char *file;     /**< owned copy of the file name */
	char *field;    /**< owned copy of the field */
	char *message;  /**< owned message */
};

struct svc_diags {
	struct diag_item *items; /**< entries, in order of addition */
	size_t count;            /**< entries used */
	size_t alloc;            /**< entries allocated */
};

int svc_diags_new(svc_diags **out)
{
	svc_diags *d = calloc(1, sizeof(*d));

	if (!d)
		return error_oom();
	*out = d;
	return 0;
}

void svc_diags_free(svc_diags *d)
{
	size_t i;

	if (!d)
		return;
	for (i = 0; i < d->count; i++) {
		free(d->items[i].file);
		free(d->items[i].field);
		free(d->items[i].message);
	}
	free(d->items);
	free(d);
}

size_t svc_diags_count(const svc_diags *d)
{
	return d ? d->count : 0;
}

size_t svc_diags_errors(const svc_diags *d)
{
	size_t i, n = 0;

	for (i = 0; d && i < d->count; i++)
		n += d->items[i].d.severity == SVC_SEV_ERROR;
	return n;
}

const svc_diag *svc_diags_at(const svc_diags *d, size_t i)
{
	return d && i < d->count ? &d->items[i].d : NULL;
}

int svc_diags_add(svc_diags *d, const char *file, unsigned line,
		  unsigned column, svc_severity sev, const char *field,
		  const char *fmt, ...)
{
	struct diag_item *it;
	svc_buf msg = SVC_BUF_INIT;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	if (rc)
		return rc;
	/* the same problem at the same place is reported once */
	for (size_t i = 0; i < d->count; i++) {
		const svc_diag *o = &d->items[i].d;

		if (o->line == line && o->column == column &&
		    o->severity == sev && strcmp(o->message, msg.ptr) == 0 &&
		    ((!o->file && !file) ||
		     (o->file && file && strcmp(o->file, file) == 0))) {
			buf_clear(&msg);
			return 0;
		}
	}
	if (d->count >= SVC_DIAGS_MAX) {
		buf_clear(&msg);
		return 0;
	}
	if (d->count == d->alloc) {
		size_t n = d->alloc ? d->alloc * 2 : 8, bytes;
		void *p;

		if (!size_mul_ok(&bytes, n, sizeof(*d->items)) ||
		    !(p = realloc(d->items, bytes))) {
			buf_clear(&msg);
			return error_oom();
		}
		d->items = p;
		d->alloc = n;
	}
	it = &d->items[d->count];
	memset(it, 0, sizeof(*it));
	it->message = buf_detach(&msg, NULL);
	it->file = file ? strdup(file) : NULL;
	it->field = field ? strdup(field) : NULL;
	if (!it->message || (file && !it->file) || (field && !it->field)) {
		free(it->message);
		free(it->file);
		free(it->field);
		return error_oom();
	}
	it->d.file = it->file;
	it->d.line = line;
	it->d.column = column;
	it->d.severity = sev;
	it->d.field = it->field;
	it->d.message = it->message;
	d->count++;
	return 0;
}

char *svc_diag_format(const svc_diag *e)
{
	static const char *const sev[] = { "error", "warning", "note" };
	svc_buf b = SVC_BUF_INIT;

	if (e->file) {
		buf_puts(&b, e->file);
		if (e->line)
			buf_printf(&b, ":%u", e->line);
		if (e->line && e->column)
			buf_printf(&b, ":%u", e->column);
		buf_puts(&b, ": ");
	}
	buf_printf(&b, "%s: %s", sev[e->severity <= SVC_SEV_NOTE ? e->severity : 0],
		   e->message);
	return buf_detach(&b, NULL);
}
