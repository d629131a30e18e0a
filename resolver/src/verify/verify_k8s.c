/*
 * verify_k8s.c - the verifier of Kubernetes connections (kubernetes).
 *
 * GET {server}/version, then GET {server}/api, with the credentials of the
 * connection's scheme:
 *  - Kubeconfig: the context the connection names (clusterContext, else
 *    the kubeconfig's current-context), resolved by kubeconfig.c: the
 *    cluster's server, its certificate-authority-data (trusted in addition
 *    to the system CAs) and insecure-skip-tls-verify; the user's token,
 *    client certificate and key, or username and password;
 *  - ServiceAccount: the connection's URL, its apiToken (base64 of the
 *    token, as the secret's data.token is) as a bearer token and its
 *    serviceAccountCertificate (base64 of the CA PEM) as the CA;
 *  - AzureSubscription: the cluster's credentials come from Azure (an ARM
 *    call at run time), so nothing is called: SVC_VERIFY_LOCAL.
 * The connection's acceptUntrustedCerts (verify_http_init) and the
 * kubeconfig's insecure-skip-tls-verify switch certificate checking off.
 * /version must answer JSON with "gitVersion", /api JSON with "versions".
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "svcconn/secret.h"
#include "verify/kubeconfig.h"
#include "verify/verify_int.h"
#include "errors_int.h"
#include "util/buf.h"

/*
 * GET base + path; check that the JSON answer has member key.  0 (with
 * gitVersion, if any, appended to ver), 1 when out says what failed, <0.
 */
static int k8s_get(svc_verify_result *out, svc_buf *ver,
		   const http_request *proto, const char *base,
		   const char *path, const char *key)
{
	svc_buf url = SVC_BUF_INIT;
	http_response resp = { 0 };
	http_request req = *proto;
	char *target = NULL;
	const char *gv;
	json_t *j = NULL;
	size_t n = strlen(base);
	int rc;

	while (n && base[n - 1] == '/')
		n--;
	if ((rc = buf_put(&url, base, n)) || (rc = buf_puts(&url, path)))
		goto done;
	req.method = "GET";
	req.url = url.ptr;
	target = verify_target("GET", url.ptr);
	if ((rc = verify_http_answer(out, target, http_call(&resp, &req), &resp)))
		goto done;
	j = json_loadb(resp.body.ptr ? resp.body.ptr : "", resp.body.len, 0, NULL);
	if (!json_object_get(j, key)) {
		rc = verify_set(out, SVC_VERIFY_UNEXPECTED, target,
				"the answer has no '%s': not a Kubernetes API server", key);
		rc = rc ? rc : 1;
		goto done;
	}
	if (strcmp(key, "versions")) {
		gv = json_string_value(json_object_get(j, key));
		rc = buf_puts(ver, gv ? gv : "(unknown version)");
	} else {
		rc = verify_set(out, SVC_VERIFY_OK, target,
				"Kubernetes %s; /version and /api readable",
				ver->ptr ? ver->ptr : "");
	}
done:
	json_decref(j);
	http_response_clear(&resp);
	buf_clear(&url);
	free(target);
	return rc;
}

/* /version, then /api, with req's credentials. */
static int k8s_check(svc_verify_result *out, const http_request *req,
		     const char *server)
{
	svc_buf version = SVC_BUF_INIT;
	int rc;

	if (!(rc = k8s_get(out, &version, req, server, "/version", "gitVersion")))
		rc = k8s_get(out, &version, req, server, "/api", "versions");
	buf_clear(&version);
	return rc == 1 ? 0 : rc;
}

/* A service account: URL, base64 token, base64 CA. */
static int verify_service_account(svc_verify_result *out, const svc_conn *c,
				  const svc_verify_options *o)
{
	const char *url = svc_conn_url(c), *cab = verify_field(c, "serviceAccountCertificate");
	svc_buf token = SVC_BUF_INIT, ca = SVC_BUF_INIT;
	svc_conn_field f;
	http_request req;
	int rc;

	if (!url || svc_conn_field_get(c, "apiToken", &f) != 0 || !f.value)
		return verify_set(out, SVC_VERIFY_INVALID, NULL,
				  "a service account needs the server URL and its token");
	buf_init(&token, 64 * 1024, 1);
	if (vc_unbase64(&token, f.value, f.len) || !token.len) {
		rc = verify_set(out, SVC_VERIFY_INVALID, NULL, "apiToken is not base64");
		goto done;
	}
	if (cab && (vc_unbase64(&ca, cab, strlen(cab)) || !ca.len)) {
		rc = verify_set(out, SVC_VERIFY_INVALID, NULL,
				"serviceAccountCertificate is not base64");
		goto done;
	}
	verify_http_init(&req, c, o);
	req.auth = HTTP_AUTH_BEARER;
	req.token = token.ptr;
	req.ca_pem = ca.ptr;
	rc = k8s_check(out, &req, url);
done:
	buf_clear(&token);
	buf_clear(&ca);
	return rc;
}

/* A kubeconfig: the connection's context of it. */
static int verify_kubeconfig(svc_verify_result *out, const svc_conn *c,
			     const svc_verify_options *o)
{
	struct kubeconfig k;
	svc_conn_field f;
	http_request req;
	int rc;

	if (svc_conn_field_get(c, "kubeconfig", &f) != 0 || !f.value)
		return verify_set(out, SVC_VERIFY_INVALID, NULL, "no kubeconfig");
	if (kubeconfig_parse(&k, f.value, f.len, verify_field(c, "clusterContext")))
		return verify_set(out, SVC_VERIFY_INVALID, NULL, "%s", svc_error_last());
	verify_http_init(&req, c, o);
	if (k.insecure)
		req.insecure = 1;
	req.ca_pem = k.ca_pem;
	req.client_cert_pem = k.cert_pem;
	req.client_key_pem = k.key_pem;
	if (k.token) {
		req.auth = HTTP_AUTH_BEARER;
		req.token = k.token;
	} else if (k.username) {
		req.auth = HTTP_AUTH_BASIC;
		req.username = k.username;
		req.password = k.password;
	}
	rc = k8s_check(out, &req, k.server);
	kubeconfig_clear(&k);
	return rc;
}

int verify_kubernetes(svc_verify_result *out, const svc_conn *c,
		      const svc_verify_options *o)
{
	const char *how = verify_field(c, "authorizationType");
	const char *scheme = svc_conn_scheme(c);

	if (how && !strcasecmp(how, "AzureSubscription"))
		return verify_set(out, SVC_VERIFY_LOCAL, NULL,
				  "an AKS connection gets the cluster's credentials from Azure at run time; verify its Azure Resource Manager connection instead");
	if ((how && !strcasecmp(how, "ServiceAccount")) ||
	    (scheme && !strcasecmp(scheme, "Token")))
		return verify_service_account(out, c, o);
	return verify_kubeconfig(out, c, o);
}
