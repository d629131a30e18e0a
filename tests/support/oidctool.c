/*
 * oidctool.c - the OIDC issuer of a store, for tests that check its
 * tokens with other programs (tests/integration/oidc_jose.sh).
 *
 *   oidctool HOME issue ISSUER ORG PROJECT CONNECTION [AUDIENCE [LIFETIME]]
 *   oidctool HOME jwks
 *   oidctool HOME discovery ISSUER
 *   oidctool HOME rotate [ALG]     (as the OS user, through ops.h)
 *
 * prints the token, document or new key id on standard output.  The time
 * is SVCCONN_NOW's, as everywhere in svcconn.  A test tool only: the
 * server decides who gets a token.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <svcconn/svcconn.h>

static int fail(const char *what)
{
	fprintf(stderr, "oidctool: %s: %s\n", what, svc_error_last());
	return 1;
}

int main(int argc, char **argv)
{
	svc_store_options opts;
	svc_oidc_token_options o;
	svc_store *st = NULL;
	char *out = NULL;
	int rc;

	if (argc < 3) {
		fprintf(stderr, "usage: oidctool HOME issue|jwks|discovery|rotate ...\n");
		return 2;
	}
	if (strcmp(argv[2], "discovery") == 0 && argc == 4)
		return svc_oidc_discovery(&out, argv[3]) ? fail("discovery")
			: (puts(out), free(out), 0);
	memset(&opts, 0, sizeof(opts));
	opts.version = SVC_STORE_OPTIONS_VERSION;
	opts.home = argv[1];
	if (svc_store_open(&st, &opts))
		return fail("open");
	if (strcmp(argv[2], "issue") == 0 && argc >= 7 && argc <= 9) {
		memset(&o, 0, sizeof(o));
		o.version = SVC_OIDC_TOKEN_OPTIONS_VERSION;
		o.issuer = argv[3];
		o.organization = argv[4];
		o.project = argv[5];
		o.connection = argv[6];
		o.audience = argc > 7 ? argv[7] : NULL;
		o.lifetime = argc > 8 ? strtol(argv[8], NULL, 10) : 0;
		o.requester = "oidctool";
		rc = svc_oidc_issue(&out, st, &o);
	} else if (strcmp(argv[2], "jwks") == 0 && argc == 3) {
		rc = svc_oidc_jwks(&out, st);
	} else if (strcmp(argv[2], "rotate") == 0 && argc <= 4) {
		svc_principal *me = NULL;

		rc = svc_principal_local(&me) ? 1
			: svc_ops_oidc_rotate(&out, st, me,
					      argc > 3 ? argv[3] : NULL);
		svc_principal_free(me);
	} else {
		svc_store_free(st);
		fprintf(stderr, "oidctool: bad arguments\n");
		return 2;
	}
	if (rc) {
		rc = fail(argv[2]);
	} else {
		puts(out);
		svc_secret_free(out, strlen(out)); /* a token is a credential */
	}
	svc_store_free(st);
	return rc;
}
