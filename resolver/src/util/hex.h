/*
 * hex.h - bytes as hexadecimal text and back: the one hex codec of svcconn
 * (tokens, key ids, values carried through line protocols).
 */
#ifndef SVC_UTIL_HEX_H
#define SVC_UTIL_HEX_H

#include <stddef.h>
#include "util/buf.h"

/** Write the lower-case hex of the n bytes at p into out[2 * n] (no NUL). */
void hex_write(char *out, const void *p, size_t n);
/** Append the lower-case hex of the n bytes at p to out. */
int hex_encode(svc_buf *out, const void *p, size_t n);
/**
 * Append the bytes the hex text s (len characters) stands for to out;
 * SVC_EINVALID unless len is even and every character a hex digit (either
 * case).  A secret out keeps the decoded bytes wiped on growth and clear.
 */
int hex_decode(svc_buf *out, const char *s, size_t len);

#endif
