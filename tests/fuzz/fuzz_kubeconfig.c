/*
 * fuzz_kubeconfig.c - libFuzzer target for the kubeconfig reader of the
 * Kubernetes verifier (resolver/src/verify/kubeconfig.c): a stored
 * kubeconfig is text its owner pasted, read as hostile YAML.
 *
 * Each input is a kubeconfig, read for its current context and for a
 * named one.  An accepted context has a server; a client certificate comes
 * with its key.  Any crash, sanitizer report, leak or abort is a bug;
 * refusals are expected.  The same file runs without libFuzzer through
 * replay.c.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "svcconn/errors.h"
#include "verify/kubeconfig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const contexts[] = { NULL, "prod" };
	struct kubeconfig k;
	size_t i;

	for (i = 0; i < sizeof(contexts) / sizeof(contexts[0]); i++) {
		if (kubeconfig_parse(&k, (const char *)data, size,
				     contexts[i]) != 0)
			continue;
		if (!k.server || !k.context || !k.cert_pem != !k.key_pem)
			abort();
		kubeconfig_clear(&k);
	}
	return 0;
}
