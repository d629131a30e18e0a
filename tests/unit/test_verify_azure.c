/*
 * test_verify_azure.c - the Azure verifiers against fixture servers on
 * loopback (tests/support/httpd.c, HTTPS with certificates made by
 * tests/support/tlsgen.c at test time).
 *
 * The fixture answers what each test scripts; the test then reads the
 * requests the server received and checks them as Azure would: the token
 * request's client_id and client_secret, or the client assertion's RS256
 * signature with the certificate's public key; the bearer token on the
 * subscription read; the Service Bus SAS signature recomputed from the
 * key; the classic management certificate presented over TLS (the server
 * requires a client certificate of its CA).  Refusals (401, 400
 * invalid_client) give AUTH, a server that never answers TIMEOUT, a
 * Service Fabric certificate with another thumbprint or name TLS.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include <svcconn/svcconn.h>

#include "verify/verify_int.h"
#include "util/buf.h"
#include "httpd.h"
#include "tlsgen.h"
#include "verifyutil.h"

#define TENANT "72f988bf-86f1-41af-91ab-2d7cd011db47"
#define CLIENT "11111111-2222-3333-4444-555555555555"
#define SUB "a1b2c3d4-0000-1111-2222-333344445555"
#define NROUTES(r) (sizeof(r) / sizeof((r)[0]))

static const svc_verify_options quick = { SVC_VERIFY_OPTIONS_VERSION, 2000, 2000 };

/* The recorded requests of h (asserting there are n). */
static struct httpd_request *got(struct httpd *h, size_t n)
{
	struct httpd_request *r = NULL;
	size_t k = 0;

	assert_int_equal(httpd_requests(h, &r, &k), 0);
	assert_int_equal(k, n);
	return r;
}

/* Verify c, expecting outcome want; the result is returned for checks. */
static void run(svc_verify_result *r, const svc_conn *c, svc_verify_outcome want,
		const svc_verify_options *o)
{
	memset(r, 0, sizeof(*r));
	assert_int_equal(svc_verify(r, NULL, c, o), 0);
	if (r->outcome != want)
		fail_msg("outcome %s (want %s): %s", svc_verify_outcome_name(r->outcome),
			 svc_verify_outcome_name(want), r->message);
}

/* ---- Azure Resource Manager ------------------------------------------------ */

static const struct httpd_response token_ok[] = {
	{ 200, "application/json", "{\"token_type\":\"Bearer\",\"access_token\":\"arm-tok-777\",\"expires_in\":3599}", NULL, 0, 0 } };
static const struct httpd_response token_bad[] = {
	{ 401, "application/json", "{\"error\":\"invalid_client\",\"error_description\":\"AADSTS7000215: Invalid client secret provided.\"}", NULL, 0, 0 } };
static const struct httpd_response token_400[] = {
	{ 400, "application/json", "{\"error\":\"unauthorized_client\",\"error_description\":\"AADSTS700016\"}", NULL, 0, 0 } };
static const struct httpd_response token_hang[] = {
	{ 200, "application/json", "{}", NULL, 10000, 0 } };
static const struct httpd_response sub_ok[] = {
	{ 200, "application/json", "{\"id\":\"/subscriptions/" SUB "\",\"subscriptionId\":\"" SUB "\",\"displayName\":\"Dev\",\"state\":\"Enabled\"}", NULL, 0, 0 } };

static const struct httpd_route arm_routes[] = {
	{ "POST", "/" TENANT "/oauth2/v2.0/token", token_ok, 1 },
	{ "POST", "/" TENANT "/oauth2/token", token_ok, 1 },
	{ "POST", "/bad/" TENANT "/oauth2/v2.0/token", token_bad, 1 },
	{ "POST", "/bad400/" TENANT "/oauth2/v2.0/token", token_400, 1 },
	{ "POST", "/hang/" TENANT "/oauth2/v2.0/token", token_hang, 1 },
	{ "GET", "/subscriptions/" SUB, sub_ok, 1 },
};

/* An ARM connection against h, its authority under prefix. */
static svc_conn *arm_conn(struct httpd *h, const char *prefix, const char *auth_key,
			  const char *auth_type, const char *cred_key, const char *cred)
{
	char *base = httpd_url(h, "/"), *authority = httpd_url(h, prefix), *a, *t, *k;
	svc_conn *c;

	assert_int_equal(asprintf(&a, "%s=%s", auth_key, authority), (int)(strlen(auth_key) + strlen(authority) + 1));
	assert_true(asprintf(&t, "authenticationType=%s", auth_type) > 0);
	assert_true(asprintf(&k, "%s=%s", cred_key, cred) > 0);
	{
		const char *f[] = { "tenantid=" TENANT, "serviceprincipalid=" CLIENT,
			"subscriptionId=" SUB, "subscriptionName=Dev",
			"scopeLevel=Subscription", a, t, k, NULL };

		c = vu_conn("azurerm", "ServicePrincipal", base, f);
	}
	free(a);
	free(t);
	free(k);
	free(base);
	free(authority);
	return c;
}

static void test_arm_secret(void **state)
{
	struct httpd *h;
	struct httpd_request *q;
	svc_verify_result r;
	svc_conn *c;

	(void)state;
	assert_int_equal(httpd_start(&h, arm_routes, NROUTES(arm_routes)), 0);
	c = arm_conn(h, "/", "activeDirectoryAuthority", "spnKey",
		     "serviceprincipalkey", "s3cret/+&=value");
	run(&r, c, SVC_VERIFY_OK, &quick);
	assert_non_null(strstr(r.message, SUB));
	assert_null(strstr(r.message, "s3cret"));
	q = got(h, 2);
	/* the token endpoint got the client's credentials, form-encoded */
	assert_string_equal(q[0].method, "POST");
	assert_string_equal(httpd_header(&q[0], "Content-Type"), "application/x-www-form-urlencoded");
	assert_non_null(strstr(q[0].body, "grant_type=client_credentials"));
	assert_non_null(strstr(q[0].body, "client_id=" CLIENT));
	assert_non_null(strstr(q[0].body, "client_secret=s3cret%2F%2B%26%3Dvalue"));
	assert_non_null(strstr(q[0].body, "scope=http%3A%2F%2F127.0.0.1%3A"));
	assert_non_null(strstr(q[0].body, "%2F.default"));
	/* the subscription read carried the token */
	assert_string_equal(q[1].target, "/subscriptions/" SUB "?api-version=2020-01-01");
	assert_string_equal(httpd_header(&q[1], "Authorization"), "Bearer arm-tok-777");
	httpd_requests_free(q, 2);
	svc_verify_result_clear(&r);
	svc_conn_free(c);

	/* ADAL authority: the v1 endpoint with a resource */
	c = arm_conn(h, "/", "environmentAuthorityUrl", "spnKey",
		     "serviceprincipalkey", "pw");
	run(&r, c, SVC_VERIFY_OK, &quick);
	q = got(h, 4);
	assert_string_equal(q[2].target, "/" TENANT "/oauth2/token");
	assert_non_null(strstr(q[2].body, "resource=http%3A%2F%2F127.0.0.1"));
	httpd_requests_free(q, 4);
	svc_verify_result_clear(&r);
	svc_conn_free(c);

	/* refused credentials: 401 and 400 invalid/unauthorized_client */
	c = arm_conn(h, "/bad", "activeDirectoryAuthority", "spnKey",
		     "serviceprincipalkey", "wrong");
	run(&r, c, SVC_VERIFY_AUTH, &quick);
	assert_int_equal(r.http_status, 401);
	svc_verify_result_clear(&r);
	svc_conn_free(c);
	c = arm_conn(h, "/bad400", "activeDirectoryAuthority", "spnKey",
		     "serviceprincipalkey", "wrong");
	run(&r, c, SVC_VERIFY_AUTH, &quick);
	assert_non_null(strstr(r.message, "unauthorized_client"));
	svc_verify_result_clear(&r);
	svc_conn_free(c);

	/* a token endpoint that never answers */
	c = arm_conn(h, "/hang", "activeDirectoryAuthority", "spnKey",
		     "serviceprincipalkey", "pw");
	{
		svc_verify_options o = { SVC_VERIFY_OPTIONS_VERSION, 300, 300 };

		run(&r, c, SVC_VERIFY_TIMEOUT, &o);
	}
	svc_verify_result_clear(&r);
	svc_conn_free(c);
	httpd_stop(h);
}

static void test_arm_certificate(void **state)
{
	struct tlsgen_cert k = { 0 };
	struct tlsgen_opts to = { 0 };
	struct httpd *h;
	struct httpd_request *q;
	svc_verify_result r;
	svc_buf pem = SVC_BUF_INIT, jwt = SVC_BUF_INIT;
	char tp[41], *aud, *p;
	svc_conn *c;

	(void)state;
	to.kind = TLSGEN_CLIENT;
	to.rsa = 1;
	assert_int_equal(tlsgen_make(&k, &to), 0);
	assert_int_equal(buf_puts(&pem, k.cert_pem), 0);
	assert_int_equal(buf_puts(&pem, k.key_pem), 0);
	assert_int_equal(httpd_start(&h, arm_routes, NROUTES(arm_routes)), 0);
	c = arm_conn(h, "/", "activeDirectoryAuthority", "spnCertificate",
		     "servicePrincipalCertificate", pem.ptr);
	run(&r, c, SVC_VERIFY_OK, &quick);
	q = got(h, 2);
	assert_null(strstr(q[0].body, "client_secret"));
	assert_non_null(strstr(q[0].body, "client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"));
	/* the token endpoint's side: the assertion is signed by the key of
	 * the certificate its x5t names, for this endpoint */
	p = strstr(q[0].body, "client_assertion=");
	assert_non_null(p);
	p += strlen("client_assertion=");
	assert_int_equal(buf_put(&jwt, p, strcspn(p, "&")), 0);
	assert_int_equal(vc_thumbprint(tp, k.x509), 0);
	aud = httpd_url(h, "/" TENANT "/oauth2/v2.0/token");
	vu_check_jwt(jwt.ptr, k.pkey, tp, CLIENT, aud);
	free(aud);
	assert_string_equal(httpd_header(&q[1], "Authorization"), "Bearer arm-tok-777");
	httpd_requests_free(q, 2);
	svc_verify_result_clear(&r);
	svc_conn_free(c);
	/* a PEM without its key is the connection's fault */
	c = arm_conn(h, "/", "activeDirectoryAuthority", "spnCertificate",
		     "servicePrincipalCertificate", k.cert_pem);
	run(&r, c, SVC_VERIFY_INVALID, &quick);
	svc_verify_result_clear(&r);
	svc_conn_free(c);
	httpd_stop(h);
	buf_clear(&pem);
	buf_clear(&jwt);
	tlsgen_free(&k);
}

static void test_arm_off_azure(void **state)
{
	static const char *const f[] = { "tenantid=" TENANT, NULL };
	svc_verify_result r;
	svc_conn *c;

	(void)state;
	c = vu_conn("azurerm", "ManagedServiceIdentity", NULL, f);
	run(&r, c, SVC_VERIFY_LOCAL, NULL);
	assert_non_null(strstr(r.message, "instance metadata"));
	svc_verify_result_clear(&r);
	svc_conn_free(c);
	c = vu_conn("azurerm", "WorkloadIdentityFederation", NULL, f);
	run(&r, c, SVC_VERIFY_LOCAL, NULL);
	svc_verify_result_clear(&r);
	svc_conn_free(c);
}

/* ---- Azure Classic: the management certificate over TLS ---------------- */

static const struct httpd_response hosted[] = {
	{ 200, "application/xml", "<HostedServices xmlns=\"http://schemas.microsoft.com/windowsazure\"></HostedServices>", NULL, 0, 0 } };
static const struct httpd_route classic_routes[] = {
	{ "GET", "/" SUB "/services/hostedservices", hosted, 1 },
};

/* base64 of a PKCS#12 (no password) holding cert c and its key. */
static char *p12_b64(const struct tlsgen_cert *c)
{
	PKCS12 *p = PKCS12_create("", NULL, c->pkey, c->x509, NULL, 0, 0, 0, 0, 0);
	unsigned char *der = NULL;
	svc_buf b = SVC_BUF_INIT;
	int n;

	assert_non_null(p);
	n = i2d_PKCS12(p, &der);
	assert_true(n > 0);
	assert_int_equal(vc_base64(&b, der, (size_t)n, 0), 0);
	OPENSSL_free(der);
	PKCS12_free(p);
	return buf_detach(&b, NULL);
}

/*
 * Verify a classic certificate connection to url with cert's PKCS#12 and
 * acceptUntrustedCerts=accept; outcome want (for a refused client
 * certificate, TLS also stands for UNEXPECTED: see below).
 */
static void classic_check(const char *url, const struct tlsgen_cert *cert,
			  const char *accept, svc_verify_outcome want)
{
	char *b64 = p12_b64(cert), *f_cert, *f_acc;
	svc_verify_result r = { 0 };
	svc_conn *c;

	assert_true(asprintf(&f_cert, "certificate=%s", b64) > 0);
	assert_true(asprintf(&f_acc, "acceptUntrustedCerts=%s", accept) > 0);
	{
		const char *f[] = { "subscriptionId=" SUB, "subscriptionName=Dev",
			f_cert, f_acc, NULL };

		c = vu_conn("azure", "Certificate", url, f);
	}
	assert_int_equal(svc_verify(&r, NULL, c, &quick), 0);
	if (r.outcome != want &&
	    !(want == SVC_VERIFY_TLS && r.outcome == SVC_VERIFY_UNEXPECTED &&
	      cert && strstr(r.message, "broken")))
		fail_msg("outcome %s (want %s): %s", svc_verify_outcome_name(r.outcome),
			 svc_verify_outcome_name(want), r.message);
	svc_verify_result_clear(&r);
	svc_conn_free(c);
	free(f_cert);
	free(f_acc);
	free(b64);
}

static void test_classic_certificate(void **state)
{
	struct tlsgen_cert ca = { 0 }, srv = { 0 }, cli = { 0 }, stranger = { 0 };
	struct httpd_tls tls = { 0 };
	struct httpd *h;
	svc_verify_result r;
	svc_conn *c;
	char *url;

	(void)state;
	assert_int_equal(tlsgen_ca(&ca, "classic CA"), 0);
	assert_int_equal(tlsgen_server(&srv, &ca), 0);
	assert_int_equal(tlsgen_client(&cli, &ca, "management"), 0);
	assert_int_equal(tlsgen_client(&stranger, NULL, "stranger"), 0);
	tls.cert_pem = srv.cert_pem;
	tls.key_pem = srv.key_pem;
	tls.client_ca_pem = ca.cert_pem;
	assert_int_equal(httpd_start_tls(&h, classic_routes, NROUTES(classic_routes), &tls), 0);
	url = httpd_url(h, "/");
	classic_check(url, &cli, "true", SVC_VERIFY_OK);
	/* a certificate the server does not trust: TLS 1.3 refuses a client
	 * certificate after the handshake, so the client sees the "unknown
	 * ca" alert (TLS) or, when the server closed first, a broken
	 * connection (net/http.c calls that UNEXPECTED) */
	classic_check(url, &stranger, "true", SVC_VERIFY_TLS);
	/* without acceptUntrustedCerts, the test CA is not trusted */
	classic_check(url, &cli, "false", SVC_VERIFY_TLS);
	/* credentials: nothing can be called */
	{
		const char *f[] = { "subscriptionId=" SUB, "subscriptionName=Dev",
			"username=a@b.c", "password=pw", NULL };

		c = vu_conn("azure", "UsernamePassword", url, f);
	}
	run(&r, c, SVC_VERIFY_LOCAL, &quick);
	svc_verify_result_clear(&r);
	svc_conn_free(c);
	free(url);
	httpd_stop(h);
	tlsgen_free(&ca);
	tlsgen_free(&srv);
	tlsgen_free(&cli);
	tlsgen_free(&stranger);
}

/* ---- Service Bus ---------------------------------------------------------- */

static const struct httpd_response queue_ok[] = {
	{ 200, "application/atom+xml", "<entry xmlns=\"http://www.w3.org/2005/Atom\"><title>queue1</title><content type=\"application/xml\"><QueueDescription/></content></entry>", NULL, 0, 0 } };
static const struct httpd_response queue_401[] = {
	{ 401, "application/xml", "<Error><Code>401</Code></Error>", NULL, 0, 0 } };
static const struct httpd_route sb_routes[] = {
	{ "GET", "/queue1", queue_ok, 1 },
	{ "GET", "/locked", queue_401, 1 },
};

/* "key=value" of the SAS token t, into a new string. */
static char *sas_part(const char *t, const char *key)
{
	char pat[16];
	const char *p;

	snprintf(pat, sizeof(pat), "%s=", key);
	p = strstr(t, pat);
	assert_non_null(p);
	p += strlen(pat);
	return strndup(p, strcspn(p, "&"));
}

/* Percent-decode s in place. */
static void pct_decode(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (*s == '%' && s[1] && s[2]) {
			char hx[3] = { s[1], s[2], 0 };

			*o++ = (char)strtol(hx, NULL, 16);
			s += 2;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

static void test_servicebus(void **state)
{
	const char *key = "k3y+Base64/Value=";
	struct httpd *h;
	struct httpd_request *q;
	svc_verify_result r;
	char *ep, *cs, *sr, *sig, *se, *skn, *tosign, *srd;
	unsigned char mac[32];
	unsigned int mlen = 0;
	svc_buf want = SVC_BUF_INIT;
	const char *auth;
	svc_conn *c;

	(void)state;
	assert_int_equal(httpd_start(&h, sb_routes, NROUTES(sb_routes)), 0);
	ep = httpd_url(h, "/");
	assert_true(asprintf(&cs, "serviceBusConnectionString=Endpoint=%s;SharedAccessKeyName=SendKey;SharedAccessKey=%s", ep, key) > 0);
	{
		const char *f[] = { cs, "serviceBusQueueName=queue1", NULL };

		c = vu_conn("AzureServiceBus", "None", NULL, f);
	}
	run(&r, c, SVC_VERIFY_OK, &quick);
	svc_verify_result_clear(&r);
	/* the fixture's side: recompute the signature from the key */
	q = got(h, 1);
	auth = httpd_header(&q[0], "Authorization");
	assert_non_null(auth);
	assert_int_equal(strncmp(auth, "SharedAccessSignature ", 22), 0);
	sr = sas_part(auth, "sr");
	sig = sas_part(auth, "sig");
	se = sas_part(auth, "se");
	skn = sas_part(auth, "skn");
	assert_string_equal(skn, "SendKey");
	srd = strdup(sr);
	pct_decode(srd);
	{
		char *u = httpd_url(h, "/queue1");

		assert_string_equal(srd, u);
		free(u);
	}
	assert_true(strtoll(se, NULL, 10) > (long long)time(NULL));
	assert_true(asprintf(&tosign, "%s\n%s", sr, se) > 0);
	HMAC(EVP_sha256(), key, (int)strlen(key), (unsigned char *)tosign,
	     strlen(tosign), mac, &mlen);
	assert_int_equal(vc_base64(&want, mac, mlen, 0), 0);
	pct_decode(sig);
	assert_string_equal(sig, want.ptr);
	httpd_requests_free(q, 1);
	svc_conn_free(c);
	free(cs);
	free(sr);
	free(sig);
	free(se);
	free(skn);
	free(srd);
	free(tosign);
	buf_clear(&want);

	/* a refused key */
	assert_true(asprintf(&cs, "serviceBusConnectionString=Endpoint=%s;SharedAccessKeyName=SendKey;SharedAccessKey=wrong", ep) > 0);
	{
		const char *f[] = { cs, "serviceBusQueueName=locked", NULL };

		c = vu_conn("AzureServiceBus", "None", NULL, f);
	}
	run(&r, c, SVC_VERIFY_AUTH, &quick);
	assert_null(strstr(r.message, "wrong"));
	svc_verify_result_clear(&r);
	svc_conn_free(c);
	free(cs);
	/* http:// only for loopback */
	{
		const char *f[] = { "serviceBusConnectionString=Endpoint=http://example.com/;SharedAccessKeyName=a;SharedAccessKey=b",
			"serviceBusQueueName=q", NULL };

		c = vu_conn("AzureServiceBus", "None", NULL, f);
	}
	run(&r, c, SVC_VERIFY_INVALID, &quick);
	svc_verify_result_clear(&r);
	svc_conn_free(c);
	free(ep);
	httpd_stop(h);
}

/* ---- Service Fabric --------------------------------------------------------- */

static const struct httpd_response manifest[] = {
	{ 200, "application/json", "{\"Manifest\":\"<ClusterManifest/>\"}", NULL, 0, 0 } };
static const struct httpd_route sf_routes[] = {
	{ "GET", "/$/GetClusterManifest", manifest, 1 },
};

/* Verify a certificate-scheme cluster at ep; outcome want, message with in. */
static void sf_check(const char *ep, const char *f_cert, const char *lookup,
		     const char *server, svc_verify_outcome want, const char *in)
{
	const char *f[] = { f_cert, lookup, server, NULL };
	svc_conn *c = vu_conn("servicefabric", "Certificate", ep, f);
	svc_verify_result r;

	run(&r, c, want, &quick);
	if (in)
		assert_non_null(strstr(r.message, in));
	svc_verify_result_clear(&r);
	svc_conn_free(c);
}

static void test_servicefabric(void **state)
{
	struct tlsgen_cert ca = { 0 }, srv = { 0 }, cli = { 0 };
	struct httpd_tls tls = { 0 };
	struct httpd *h;
	char tp[41], lower[41], *ep, *f_tp, *f_cert;
	size_t i;

	(void)state;
	assert_int_equal(tlsgen_ca(&ca, "fabric CA"), 0);
	assert_int_equal(tlsgen_server(&srv, &ca), 0);
	assert_int_equal(tlsgen_client(&cli, &ca, "fabric admin"), 0);
	tls.cert_pem = srv.cert_pem;
	tls.key_pem = srv.key_pem;
	tls.client_ca_pem = ca.cert_pem;
	assert_int_equal(httpd_start_tls(&h, sf_routes, NROUTES(sf_routes), &tls), 0);
	assert_true(asprintf(&ep, "tcp://127.0.0.1:%d", httpd_port(h)) > 0);
	assert_int_equal(vc_thumbprint(tp, srv.x509), 0);
	for (i = 0; i <= 40; i++)
		lower[i] = (char)(tp[i] >= 'A' && tp[i] <= 'F' ? tp[i] - 'A' + 'a' : tp[i]);
	{
		char *b64 = p12_b64(&cli);

		assert_true(asprintf(&f_cert, "certificate=%s", b64) > 0);
		free(b64);
	}
	/* the thumbprint matches, in lower case, second in a list */
	assert_true(asprintf(&f_tp, "servercertthumbprint=0000000000000000000000000000000000000000, %s", lower) > 0);
	sf_check(ep, f_cert, "certLookup=Thumbprint", f_tp, SVC_VERIFY_OK, NULL);
	free(f_tp);
	/* another thumbprint: refused, although the CA would be fine */
	sf_check(ep, f_cert, "certLookup=Thumbprint",
		 "servercertthumbprint=00112233445566778899AABBCCDDEEFF00112233",
		 SVC_VERIFY_TLS, tp);
	/* by common name (tlsgen's server certificate is for localhost), any case */
	sf_check(ep, f_cert, "certLookup=CommonName",
		 "servercertcommonname=other, LOCALHOST", SVC_VERIFY_OK, NULL);
	sf_check(ep, f_cert, "certLookup=CommonName",
		 "servercertcommonname=cluster.example.com", SVC_VERIFY_TLS, "localhost");
	free(f_cert);
	free(ep);
	httpd_stop(h);
	tlsgen_free(&ca);
	tlsgen_free(&srv);
	tlsgen_free(&cli);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arm_secret),
		cmocka_unit_test(test_arm_certificate),
		cmocka_unit_test(test_arm_off_azure),
		cmocka_unit_test(test_classic_certificate),
		cmocka_unit_test(test_servicebus),
		cmocka_unit_test(test_servicefabric),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
