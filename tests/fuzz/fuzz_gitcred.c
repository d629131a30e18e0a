/*
 * fuzz_gitcred.c - libFuzzer target for git's credential-helper protocol
 * (resolver/src/gitcred/gitcred.c).
 *
 * Each input is what git would write on a helper's standard input.  When
 * it parses, the credential is written back with svc_gitcred_format() and
 * parsed again: the two must agree attribute by attribute (no value may
 * hold what would split or end a line; only a value expanded from a long
 * url= may be too long to write), and both are matched against a
 * fixed stored credential with git's rule, which must give the same
 * answer.  Any crash, sanitizer report, leak or abort is a bug; parse
 * errors are expected.  The same file runs without libFuzzer through
 * replay.c.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "svcconn/errors.h"
#include "svcconn/gitcred.h"
#include "svcconn/secret.h"
#include "gitcred/gitcred_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The stored credential requests are matched against. */
static const char stored[] =
	"protocol=https\nhost=example.com\npath=a/b.git\nusername=bob\n"
	"password=s3cret\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	svc_gitcred *c = NULL, *again = NULL, *have = NULL;
	const char *v, *w;
	size_t len = 0, i;
	char *text = NULL;
	unsigned a;

	if (svc_gitcred_parse(&c, (const char *)data, size) != 0)
		return 0;
	/* only a value too long to write back may fail to format */
	if (svc_gitcred_format(&text, &len, c) != 0) {
		if (!strstr(svc_error_last(), "too long to write"))
			abort();
		svc_gitcred_free(c);
		return 0;
	}
	if (memchr(text, '\r', len) || memchr(text, '\0', len))
		abort();
	if (svc_gitcred_parse(&again, text, len) != 0)
		abort();
	for (a = 0; a < SVC_GITCRED_ATTR_COUNT; a++) {
		v = svc_gitcred_value(c, (svc_gitcred_attr)a);
		w = svc_gitcred_value(again, (svc_gitcred_attr)a);
		if (!v != !w || (v && strcmp(v, w) != 0))
			abort();
		if (v && (strchr(v, '\n') || strchr(v, '\r')))
			abort();
	}
	if (svc_gitcred_parse(&have, stored, sizeof(stored) - 1) != 0)
		abort();
	for (i = 0; i < 2; i++)
		if (gitcred_match(c, have, (int)i) !=
		    gitcred_match(again, have, (int)i))
			abort();
	svc_secret_free(text, len);
	svc_gitcred_free(c);
	svc_gitcred_free(again);
	svc_gitcred_free(have);
	return 0;
}
