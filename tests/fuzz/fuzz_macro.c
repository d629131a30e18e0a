/*
 * fuzz_macro.c - libFuzzer target for the $(name) macros (util/macro.c):
 * the scanner and the table that expands its values through each other,
 * what every script body, input and env: value of a run goes through.
 *
 * An input is lines: each "name=value" line but the last sets a variable
 * (odd lines secret), the last line is the text.  The table is expanded,
 * then the text.  Checks: without variables the text comes back as it is;
 * a text without "$(" comes back as it is; a value no secret went into is
 * not said to be secret.  A crash, a sanitizer report, a leak or a failed
 * check is a bug.  The same file runs without libFuzzer through replay.c.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/macro.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	macro_dict d = MACRO_DICT_INIT, none = MACRO_DICT_INIT;
	svc_buf out, raw;
	char *in, *line, *nl, *text;
	size_t n = 0;
	int secret = 0, any_secret = 0;

	if (memchr(data, '\0', size) || !(in = malloc(size + 1)))
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';
	for (line = in; (nl = strchr(line, '\n')) != NULL; line = nl + 1) {
		char *eq;

		*nl = '\0';
		if ((eq = strchr(line, '=')) && eq != line) {
			*eq = '\0';
			if (macro_dict_set(&d, line, eq + 1, n % 2))
				abort();
			any_secret |= (int)(n % 2);
			n++;
		}
	}
	text = line;
	buf_init(&out, 4u << 20, 1);
	buf_init(&raw, 4u << 20, 0);
	if (macro_dict_expand(&d) ||
	    macro_expand(&raw, text, macro_dict_lookup, &none, NULL) ||
	    strcmp(raw.ptr ? raw.ptr : "", text))
		abort();
	if (macro_expand(&out, text, macro_dict_lookup, &d, &secret) == 0) {
		if (!strstr(text, "$(") && strcmp(out.ptr ? out.ptr : "", text))
			abort();
		if (secret && !any_secret)
			abort();
	}
	buf_clear(&out);
	buf_clear(&raw);
	macro_dict_clear(&d);
	free(in);
	return 0;
}
