/*
 * hex.c - the one hex codec: encoding writes lower case, decoding accepts
 * either case and fails closed on anything else (odd length, a non-digit).
 */
#include "util/hex.h"

#include "svcconn/errors.h"
#include "svcconn/secret.h"
#include "errors_int.h"

static const char digits[] = "0123456789abcdef";

/* The value of hex digit c, or -1. */
static int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void hex_write(char *out, const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
}

int hex_encode(svc_buf *out, const void *p, size_t n)
{
	size_t need;
	int rc;

	if (!size_mul_ok(&need, n, 2))
		return error_set(SVC_EINVALID, "input too large");
	if ((rc = buf_grow(out, need)))
		return rc;
	hex_write(out->ptr + out->len, p, n);
	out->len += need;
	out->ptr[out->len] = '\0';
	return 0;
}

int hex_decode(svc_buf *out, const char *s, size_t len)
{
	size_t i, start = out->len;
	int rc;

	if (len % 2)
		return error_set(SVC_EINVALID, "hex text of odd length");
	if ((rc = buf_grow(out, len / 2)))
		return rc;
	for (i = 0; i < len; i += 2) {
		int hi = digit_value(s[i]), lo = digit_value(s[i + 1]);

		if (hi < 0 || lo < 0) {
			/* drop (and wipe) what was decoded of it */
			svc_wipe(out->ptr + start, out->len - start);
			out->len = start;
			out->ptr[out->len] = '\0';
			return error_set(SVC_EINVALID, "not a hex digit at %zu", i);
		}
		out->ptr[out->len++] = (char)(hi << 4 | lo);
	}
	out->ptr[out->len] = '\0';
	return 0;
}
