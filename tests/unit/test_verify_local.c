/*
 * test_verify_local.c - the parts of the verifiers that need no server:
 * the incoming-webhook signature (RFC 2202 / RFC 4231 HMAC vectors, and
 * the verifier's LOCAL outcome), Chef's canonical request and signature
 * (checked with the public key), the Service Bus SAS token (a vector
 * computed independently with Python's hmac, below), the Azure client
 * assertion (its RS256 signature checked with the certificate's public
 * key, its x5t against the certificate), and the kubeconfig reader
 * (contexts, data fields decoded, files and exec plugins refused, errors
 * naming line and field).
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <svcconn/svcconn.h>

#include "net/http.h"
#include "verify/kubeconfig.h"
#include "verify/verify_int.h"
#include "util/buf.h"
#include "tlsgen.h"
#include "verifyutil.h"

/* ---- incoming webhook --------------------------------------------------- */

static void test_webhook_vectors(void **state)
{
	svc_buf b = SVC_BUF_INIT;
	const char *data = "what do ya want for nothing?";

	(void)state;
	/* RFC 2202 test case 2 (HMAC-SHA1) */
	assert_int_equal(webhook_signature(&b, "X-Hub-Signature", "Jefe", 4, data,
					   strlen(data)), 0);
	assert_string_equal(b.ptr, "sha1=effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
	buf_clear(&b);
	/* RFC 4231 test case 2 (HMAC-SHA256), chosen by the "-256" header */
	assert_int_equal(webhook_signature(&b, "X-Hub-Signature-256", "Jefe", 4,
					   data, strlen(data)), 0);
	assert_string_equal(b.ptr, "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	assert_int_equal(webhook_check("X-Hub-Signature-256", "Jefe", 4, data,
				       strlen(data), b.ptr), 0);
	b.ptr[b.len - 1] ^= 1;
	assert_int_equal(webhook_check("X-Hub-Signature-256", "Jefe", 4, data,
				       strlen(data), b.ptr), SVC_EDENIED);
	assert_int_equal(webhook_check("X-Hub-Signature-256", "Jefx", 4, data,
				       strlen(data),
				       "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
			 SVC_EDENIED);
	buf_clear(&b);
}

static void test_webhook_verifier(void **state)
{
	svc_verify_result r = { 0 };
	svc_conn *c;

	(void)state;
	assert_int_equal(svc_conn_new(&c, "incomingwebhook", "hook"), 0);
	assert_int_equal(svc_conn_set_scheme(c, "None"), 0);
	assert_int_equal(svc_conn_set_field(c, "webhookname", "build", 5), 0);
	assert_int_equal(svc_conn_set_field(c, "secret", "s3cr3t", 6), 0);
	assert_int_equal(svc_conn_set_field(c, "header", "X-Hub-Signature", 15), 0);
	assert_int_equal(svc_verify(&r, NULL, c, NULL), 0);
	assert_int_equal(r.outcome, SVC_VERIFY_LOCAL);
	assert_string_equal(r.message, "signature computed and checked locally; no call can check an incoming webhook");
	assert_null(strstr(r.message, "s3cr3t"));
	svc_verify_result_clear(&r);
	svc_conn_free(c);
}

/* ---- Chef ----------------------------------------------------------------- */

static void test_chef_canonical(void **state)
{
	svc_buf b = SVC_BUF_INIT;

	(void)state;
	assert_int_equal(chef_canonical(&b, "GET", "//organizations/acme//clients/node1/",
					NULL, 0, "node1", "2024-05-01T10:20:30Z"), 0);
	/* the hash of the empty body is base64(SHA-256("")) */
	assert_string_equal(b.ptr,
		"Method:GET\n"
		"Path:/organizations/acme/clients/node1\n"
		"X-Ops-Content-Hash:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"
		"X-Ops-Sign:version=1.3\n"
		"X-Ops-Timestamp:2024-05-01T10:20:30Z\n"
		"X-Ops-UserId:node1\n"
		"X-Ops-Server-API-Version:1");
	buf_clear(&b);
}

/* The value of header name in list l ("Name: value" lines), or NULL. */
static const char *slist_get(const struct curl_slist *l, const char *name)
{
	size_t n = strlen(name);

	for (; l; l = l->next)
		if (!strncasecmp(l->data, name, n) && l->data[n] == ':')
			return l->data + n + 1 + (l->data[n + 1] == ' ');
	return NULL;
}

static void test_chef_signature(void **state)
{
	struct tlsgen_cert k = { 0 };
	struct tlsgen_opts o = { 0 };
	http_headers h = HTTP_HEADERS_INIT;
	svc_buf canon = SVC_BUF_INIT, sig = SVC_BUF_INIT, b64 = SVC_BUF_INIT;
	EVP_PKEY *key = NULL;
	EVP_MD_CTX *md;
	char name[40];
	int i;

	(void)state;
	o.kind = TLSGEN_CLIENT;
	o.rsa = 1;
	assert_int_equal(tlsgen_make(&k, &o), 0);
	assert_int_equal(vc_load_key(&key, k.key_pem, strlen(k.key_pem), NULL), 0);
	assert_int_equal(chef_sign(&h, key, "GET", "/users/alice", NULL, 0, "alice",
				   "2024-05-01T10:20:30Z"), 0);
	assert_string_equal(slist_get(h.list, "X-Ops-Sign"), "algorithm=sha256;version=1.3");
	assert_string_equal(slist_get(h.list, "X-Ops-Userid"), "alice");
	assert_string_equal(slist_get(h.list, "X-Ops-Timestamp"), "2024-05-01T10:20:30Z");
	assert_string_equal(slist_get(h.list, "X-Ops-Content-Hash"),
			    "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
	/* the server's side: join the lines, decode, verify the canonical
	 * request with the public key */
	for (i = 1; i < 20; i++) {
		const char *v;

		snprintf(name, sizeof(name), "X-Ops-Authorization-%d", i);
		if (!(v = slist_get(h.list, name)))
			break;
		assert_true(strlen(v) <= 60);
		assert_int_equal(buf_puts(&b64, v), 0);
	}
	assert_true(i > 5);   /* 256 bytes of signature: 344 base64 chars */
	assert_int_equal(vc_unbase64(&sig, b64.ptr, b64.len), 0);
	assert_int_equal(chef_canonical(&canon, "GET", "/users/alice", NULL, 0, "alice",
					"2024-05-01T10:20:30Z"), 0);
	md = EVP_MD_CTX_new();
	assert_int_equal(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, k.pkey), 1);
	assert_int_equal(EVP_DigestVerify(md, (unsigned char *)sig.ptr, sig.len,
					  (unsigned char *)canon.ptr, canon.len), 1);
	/* another timestamp does not verify */
	canon.ptr[canon.len - 30] ^= 1;
	assert_int_equal(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, k.pkey), 1);
	assert_int_not_equal(EVP_DigestVerify(md, (unsigned char *)sig.ptr, sig.len,
					      (unsigned char *)canon.ptr, canon.len), 1);
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(key);
	http_headers_clear(&h);
	buf_clear(&canon);
	buf_clear(&sig);
	buf_clear(&b64);
	tlsgen_free(&k);
}

/* ---- Service Bus --------------------------------------------------------- */

/*
 * The expected token was computed with Python's standard library, an
 * implementation independent of ours:
 *   sr = urllib.parse.quote(uri, safe='')
 *   sig = base64.b64encode(hmac.new(key.encode(), (sr + "\n" + str(exp)).encode(),
 *                                   hashlib.sha256).digest()).decode()
 *   "SharedAccessSignature sr=%s&sig=%s&se=%d&skn=%s" %
 *       (sr, urllib.parse.quote(sig, safe=''), exp, kn)
 */
static void test_sas_vector(void **state)
{
	svc_buf b = SVC_BUF_INIT;
	const char *key = "abcDEF123+/=keyvalue";

	(void)state;
	assert_int_equal(sb_sas_token(&b, "https://svcconn-test.servicebus.windows.net/queue1",
				      "RootManageSharedAccessKey", key, strlen(key),
				      1700000000LL), 0);
	assert_string_equal(b.ptr,
		"SharedAccessSignature sr=https%3A%2F%2Fsvcconn-test.servicebus.windows.net%2Fqueue1"
		"&sig=2wRAgKOPRZERd7ZQqE3qN3THw%2FEsQRU192Uo6ufto7k%3D&se=1700000000"
		"&skn=RootManageSharedAccessKey");
	buf_clear(&b);
}

/* ---- Azure client assertion ------------------------------------------------- */

static void test_client_assertion(void **state)
{
	struct tlsgen_cert k = { 0 }, other = { 0 };
	struct tlsgen_opts o = { 0 };
	svc_buf pem = SVC_BUF_INIT, jwt = SVC_BUF_INIT;
	char tp[41];

	(void)state;
	o.kind = TLSGEN_CLIENT;
	o.rsa = 1;
	assert_int_equal(tlsgen_make(&k, &o), 0);
	assert_int_equal(tlsgen_make(&other, &o), 0);
	assert_int_equal(buf_puts(&pem, k.cert_pem), 0);
	assert_int_equal(buf_puts(&pem, k.key_pem), 0);
	assert_int_equal(arm_client_assertion(&jwt, pem.ptr, pem.len,
					      "11111111-2222-3333-4444-555555555555",
					      "https://login.example/t/oauth2/v2.0/token",
					      1700000000LL), 0);
	assert_int_equal(vc_thumbprint(tp, k.x509), 0);
	vu_check_jwt(jwt.ptr, k.pkey, tp, "11111111-2222-3333-4444-555555555555",
		   "https://login.example/t/oauth2/v2.0/token");
	/* a certificate with another's key is refused */
	buf_reset(&pem);
	buf_reset(&jwt);
	assert_int_equal(buf_puts(&pem, k.cert_pem), 0);
	assert_int_equal(buf_puts(&pem, other.key_pem), 0);
	assert_int_equal(arm_client_assertion(&jwt, pem.ptr, pem.len, "c", "a", 1),
			 SVC_EINVALID);
	buf_clear(&pem);
	buf_clear(&jwt);
	tlsgen_free(&k);
	tlsgen_free(&other);
}

/* ---- kubeconfig -------------------------------------------------------- */

static const char kc_text[] =
	"apiVersion: v1\n"
	"kind: Config\n"
	"current-context: dev\n"
	"clusters:\n"
	"- name: c1\n"
	"  cluster:\n"
	"    server: https://127.0.0.1:6443\n"
	"    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==\n"
	"- name: c2\n"
	"  cluster:\n"
	"    server: https://10.0.0.2\n"
	"    insecure-skip-tls-verify: true\n"
	"contexts:\n"
	"- name: dev\n"
	"  context: {cluster: c1, user: u1}\n"
	"- name: prod\n"
	"  context: {cluster: c2, user: u2}\n"
	"users:\n"
	"- name: u1\n"
	"  user:\n"
	"    token: tok-123\n"
	"- name: u2\n"
	"  user:\n"
	"    username: admin\n"
	"    password: pw\n";

static void test_kubeconfig(void **state)
{
	struct kubeconfig k;
	char *bad;

	(void)state;
	assert_int_equal(kubeconfig_parse(&k, kc_text, strlen(kc_text), NULL), 0);
	assert_string_equal(k.context, "dev");
	assert_string_equal(k.server, "https://127.0.0.1:6443");
	assert_string_equal(k.ca_pem, "-----BEGIN CERTIFICATE-----\n");
	assert_int_equal(k.insecure, 0);
	assert_string_equal(k.token, "tok-123");
	assert_null(k.username);
	kubeconfig_clear(&k);
	assert_int_equal(kubeconfig_parse(&k, kc_text, strlen(kc_text), "prod"), 0);
	assert_string_equal(k.server, "https://10.0.0.2");
	assert_int_equal(k.insecure, 1);
	assert_null(k.ca_pem);
	assert_string_equal(k.username, "admin");
	assert_string_equal(k.password, "pw");
	kubeconfig_clear(&k);
	assert_int_equal(kubeconfig_parse(&k, kc_text, strlen(kc_text), "nope"),
			 SVC_EINVALID);
	assert_non_null(strstr(svc_error_last(), "no entry 'nope' in 'contexts'"));
	/* a user that runs a program is refused, naming the line */
	bad = malloc(sizeof(kc_text) + 64);
	assert_non_null(bad);
	snprintf(bad, sizeof(kc_text) + 64, "%s    exec: {command: /bin/sh}\n", kc_text);
	assert_int_equal(kubeconfig_parse(&k, bad, strlen(bad), "prod"), SVC_EINVALID);
	assert_non_null(strstr(svc_error_last(), "kubeconfig:26: 'exec' is not supported"));
	free(bad);
	assert_int_equal(kubeconfig_parse(&k, "a: [", 4, NULL), SVC_EINVALID);
	assert_non_null(strstr(svc_error_last(), "kubeconfig:"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_webhook_vectors),
		cmocka_unit_test(test_webhook_verifier),
		cmocka_unit_test(test_chef_canonical),
		cmocka_unit_test(test_chef_signature),
		cmocka_unit_test(test_sas_vector),
		cmocka_unit_test(test_client_assertion),
		cmocka_unit_test(test_kubeconfig),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
