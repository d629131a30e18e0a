/*
 * fuzz_typedef.c - libFuzzer target for custom type definitions
 * (resolver/src/catalog/custom.c), which `svcconn types add` and every
 * catalog read from files anyone with write access to a types directory
 * may have written.
 *
 * Each input is a definition file.  When it is accepted, the type must be
 * whole (an id, a name, at least one scheme, every field with a key and a
 * label, every verify request with a method and a URL), and every field's
 * validation, with the arguments the definition gave it (regular
 * expressions, enumerations, bounds), must run on a few values without
 * trouble.  Any crash, sanitizer report, leak or abort is a bug; refusals
 * are expected.  The same file runs without libFuzzer through replay.c.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "svcconn/catalog.h"
#include "svcconn/errors.h"
#include "catalog/catalog_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const values[] = { "", "x", "https://example.test/a",
		"72f988bf-86f1-41af-91ab-2d7cd011db47", "true", "443" };
	svc_diags *diags = NULL;
	svc_type t;
	size_t i, j, k;

	if (svc_diags_new(&diags) != 0)
		abort();
	if (catalog_custom_parse(&t, "fuzz.yml", (const char *)data, size,
				 diags) != 0) {
		if (svc_diags_errors(diags) == 0)
			abort(); /* a refusal always says why */
		svc_diags_free(diags);
		return 0;
	}
	if (!t.id || !t.name || !t.source || t.nschemes == 0 || !t.schemes)
		abort();
	for (i = 0; i < t.nschemes; i++) {
		const svc_scheme *s = &t.schemes[i];

		if (!s->id || !s->label)
			abort();
		for (j = 0; j < s->nfields; j++) {
			const svc_field *f = &s->fields[j];
			const char *why = NULL;

			if (!f->key || !f->label)
				abort();
			for (k = 0; k < sizeof(values) / sizeof(values[0]); k++)
				if (svc_field_check(f, values[k], strlen(values[k]),
						    &why) != 0 && !why)
					abort();
		}
	}
	if (t.verify && (!t.verify->method || !t.verify->url))
		abort();
	catalog_custom_clear(&t);
	svc_diags_free(diags);
	return 0;
}
