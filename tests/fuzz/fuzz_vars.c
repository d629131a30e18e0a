/*
 * fuzz_vars.c - libFuzzer target for the decoder of a job's step variables
 * (svc_step_vars_decode, resolver/src/runtime/vars.c), the text a job's
 * broker hands back to each step run through the hooks.
 *
 * Each input is such a text.  When it decodes, its encoding must decode
 * again to the very same encoding (encode o decode is a fixed point), stay
 * one line, and stay within the bound.  A crash, a sanitizer report, a
 * leak or a broken round trip is a bug.  The same file runs without
 * libFuzzer through replay.c.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "svcconn/run.h"
#include "svcconn/secret.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	svc_step_vars *v = NULL, *w = NULL;
	char *t1 = NULL, *t2 = NULL;
	size_t l1 = 0, l2 = 0;

	if (svc_step_vars_decode(&v, (const char *)data, size) != 0)
		return 0;
	if (svc_step_vars_encode(&t1, &l1, v) != 0 || l1 > SVC_STEP_VARS_MAX ||
	    memchr(t1, '\n', l1) || memchr(t1, '\r', l1) ||
	    svc_step_vars_decode(&w, t1, l1) != 0 ||
	    svc_step_vars_encode(&t2, &l2, w) != 0 || l1 != l2 ||
	    memcmp(t1, t2, l1))
		abort();
	svc_secret_free(t1, l1);
	svc_secret_free(t2, l2);
	svc_step_vars_free(v);
	svc_step_vars_free(w);
	return 0;
}
