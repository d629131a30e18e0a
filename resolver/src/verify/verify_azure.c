/*
 * verify_azure.c - the verifiers of the Azure types: Azure Resource
 * Manager (azurerm), Azure Classic (azure), Service Bus (AzureServiceBus)
 * and Service Fabric (servicefabric).
 *
 * Resource Manager, service principal: a client-credentials token request
 * to the connection's authority, then a read of the subscription (or of
 * the management group) with the token.  Which token endpoint:
 *  - data field activeDirectoryAuthority set (MSAL): POST
 *    {authority}/{tenant}/oauth2/v2.0/token with scope={url}/.default;
 *  - else environmentAuthorityUrl set (ADAL): POST
 *    {authority}/{tenant}/oauth2/token with resource=
 *    activeDirectoryServiceEndpointResourceId, or the URL;
 *  - else the environment's public authority (login.microsoftonline.com
 *    and its sovereign-cloud twins), v2.0.
 * The client authenticates with client_secret (spnKey) or with a client
 * assertion (spnCertificate): a JWT signed RS256 with the key of the PEM,
 * its header carrying the certificate's x5t (base64url SHA-1 thumbprint).
 * Then GET {url}/subscriptions/{id}?api-version=2020-01-01 (the
 * connection's "Environment URL", so tests point both at loopback).
 * Workload identity federation and managed identity obtain tokens only on
 * Azure (an OIDC token of a running pipeline, the instance metadata
 * service): SVC_VERIFY_LOCAL.  A publish profile is checked locally (it
 * holds a publishing user and password).
 *
 * Classic, certificate: the base64 PKCS#12 management certificate (as in
 * a .publishsettings file, no password) is presented as the TLS client
 * certificate to GET {url}/{subscriptionId}/services/hostedservices
 * (x-ms-version 2014-06-01).  Classic, credentials: Azure AD's
 * username-password grant is refused for accounts with multi-factor
 * authentication and retired for the Service Management API, so nothing
 * is called: SVC_VERIFY_LOCAL.
 *
 * Service Bus: the connection string's Endpoint, SharedAccessKeyName and
 * SharedAccessKey make a SAS token for https://{host}/{queue}, and the
 * queue is read (GET, Atom description).  An Endpoint "sb://h/" becomes
 * https; "http://" is kept only for a loopback host (tests).
 *
 * Service Fabric: a TLS connection to the cluster's HTTP gateway
 * (tcp://host:port becomes https://host:port), the server certificate
 * recognised by thumbprint (SHA-1 of its DER, any case, one of a comma
 * list) or by common name, not by a CA; the client certificate (PKCS#12,
 * base64) presented for the certificate scheme; then
 * GET /$/GetClusterManifest?api-version=6.0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "svcconn/secret.h"
#include "verify/verify_int.h"
#include "errors_int.h"
#include "util/buf.h"

#define ARM_API_VERSION "2020-01-01"
#define MG_API_VERSION "2020-05-01"
#define ASSERTION_LIFETIME 600   /* seconds a client assertion is valid */
#define SAS_LIFETIME 600         /* seconds a SAS token is valid */
#define CLIENT_ASSERTION_TYPE "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

/* Append s without its trailing slashes. */
static int put_base(svc_buf *b, const char *s)
{
	size_t n = strlen(s);

	while (n && s[n - 1] == '/')
		n--;
	return buf_put(b, s, n);
}

/* The public authority of an Azure environment. */
static const char *default_authority(const char *env)
{
	if (env && !strcasecmp(env, "AzureChinaCloud"))
		return "https://login.chinacloudapi.cn";
	if (env && !strcasecmp(env, "AzureUSGovernment"))
		return "https://login.microsoftonline.us";
	if (env && !strcasecmp(env, "AzureGermanCloud"))
		return "https://login.microsoftonline.de";
	return "https://login.microsoftonline.com";
}

/* Append "&key=" and the percent-encoded value. */
static int form_add(svc_buf *b, const char *key, const char *v, size_t n)
{
	int rc;

	if ((rc = buf_printf(b, "%s%s=", b->len ? "&" : "", key)))
		return rc;
	return vc_urlencode(b, v, n);
}

/* ---- the client assertion ------------------------------------------------ */

int arm_client_assertion(svc_buf *out, const char *pem, size_t len,
			 const char *client_id, const char *aud, long long now)
{
	unsigned char md[EVP_MAX_MD_SIZE], rnd[16];
	unsigned int mdlen = 0;
	svc_buf x5t = SVC_BUF_INIT, jti = SVC_BUF_INIT;
	json_t *h = NULL, *p = NULL;
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	int rc;

	if ((rc = vc_load_cert(&x, pem, len)) ||
	    (rc = vc_load_key(&key, pem, len, NULL)))
		goto done;
	if (X509_check_private_key(x, key) != 1) {
		rc = error_set(SVC_EINVALID, "the certificate does not match its private key");
		goto done;
	}
	if (!X509_digest(x, EVP_sha1(), md, &mdlen) ||
	    RAND_bytes(rnd, sizeof(rnd)) != 1) {
		rc = error_set(SVC_ERROR, "cannot hash the certificate");
		goto done;
	}
	if ((rc = vc_base64(&x5t, md, mdlen, 1)) ||
	    (rc = vc_base64(&jti, rnd, sizeof(rnd), 1)))
		goto done;
	h = json_pack("{s:s, s:s, s:s}", "alg", "RS256", "typ", "JWT", "x5t", x5t.ptr);
	p = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I}", "aud", aud,
		      "iss", client_id, "sub", client_id, "jti", jti.ptr,
		      "nbf", (json_int_t)now, "iat", (json_int_t)now,
		      "exp", (json_int_t)(now + ASSERTION_LIFETIME));
	rc = h && p ? vc_jws(out, key, h, p) : error_oom();
done:
	json_decref(h);
	json_decref(p);
	buf_clear(&x5t);
	buf_clear(&jti);
	EVP_PKEY_free(key);
	X509_free(x);
	return rc;
}

/* ---- HTTP ------------------------------------------------------------------ */

/*
 * Make req (its target named in *target, a new string).  As
 * verify_http_answer: 0 for a 2xx, 1 when out is set, <0 an SVC_E* code.
 */
static int call(svc_verify_result *out, http_response *resp,
		http_request *req, char **target)
{
	free(*target);
	*target = verify_target(req->method, req->url);
	return verify_http_answer(out, *target, http_call(resp, req), resp);
}

/* 1 when a token endpoint's 400 answer names a refused credential. */
static int token_refused(const http_response *r, char *code, size_t len)
{
	json_t *j = json_loadb(r->body.ptr ? r->body.ptr : "", r->body.len, 0, NULL);
	const char *e = json_string_value(json_object_get(j, "error"));
	int refused = e && (!strcmp(e, "invalid_client") ||
			    !strcmp(e, "unauthorized_client") ||
			    !strcmp(e, "invalid_grant"));

	if (refused)
		snprintf(code, len, "%s", e);
	json_decref(j);
	return refused;
}

/*
 * The access token of a client-credentials request at token endpoint
 * `endpoint` with form `form` into *token (secret buffer).  0 with the
 * token; 1 when out says why not; <0 an SVC_E* code.
 */
static int get_token(svc_verify_result *out, svc_buf *token,
		     const svc_conn *c, const svc_verify_options *o,
		     const char *endpoint, const svc_buf *form)
{
	http_response resp = { 0 };
	http_request req;
	char *target = NULL, code[64];
	json_t *j = NULL;
	const char *t;
	int rc;

	verify_http_init(&req, c, o);
	req.method = "POST";
	req.url = endpoint;
	req.body = form->ptr;
	req.body_len = form->len;
	req.content_type = "application/x-www-form-urlencoded";
	rc = http_call(&resp, &req);
	target = verify_target("POST", endpoint);
	if (!rc && resp.status == 400 && token_refused(&resp, code, sizeof(code))) {
		out->http_status = 400;
		rc = verify_set(out, SVC_VERIFY_AUTH, target,
				"token request refused (%s)", code);
		rc = rc ? rc : 1;
		goto done;
	}
	if ((rc = verify_http_answer(out, target, rc, &resp)))
		goto done;
	j = json_loadb(resp.body.ptr ? resp.body.ptr : "", resp.body.len, 0, NULL);
	if (!(t = json_string_value(json_object_get(j, "access_token"))) || !*t) {
		rc = verify_set(out, SVC_VERIFY_UNEXPECTED, target,
				"the token endpoint answered no access_token");
		rc = rc ? rc : 1;
		goto done;
	}
	buf_init(token, 64 * 1024, 1);
	rc = buf_puts(token, t);
done:
	if (j) {
		/* the token is a secret: wipe jansson's copy too */
		json_t *v = json_object_get(j, "access_token");

		if (json_is_string(v))
			svc_wipe((char *)json_string_value(v), json_string_length(v));
	}
	json_decref(j);
	svc_wipe(resp.body.ptr, resp.body.len);
	http_response_clear(&resp);
	free(target);
	return rc;
}

/* ---- Azure Resource Manager ------------------------------------------------ */

/*
 * The token endpoint of c into ep, and the form asking for a token for
 * the management API (without the client's credential) into form.
 */
static int arm_endpoint(svc_buf *ep, svc_buf *form, const svc_conn *c,
			const char *mgmt, const char *tenant, const char *client)
{
	const char *msal = verify_field(c, "activeDirectoryAuthority");
	const char *adal = verify_field(c, "environmentAuthorityUrl");
	const char *res = verify_field(c, "activeDirectoryServiceEndpointResourceId");
	svc_buf scope = SVC_BUF_INIT;
	int rc;

	if ((rc = put_base(ep, msal ? msal : adal ? adal :
			   default_authority(verify_field(c, "environment")))) ||
	    (rc = buf_printf(ep, "/%s/oauth2/%s", tenant,
			     !msal && adal ? "token" : "v2.0/token")) ||
	    (rc = form_add(form, "grant_type", "client_credentials", 18)) ||
	    (rc = form_add(form, "client_id", client, strlen(client))))
		return rc;
	if (!msal && adal) {
		const char *r = res ? res : mgmt;

		return form_add(form, "resource", r, strlen(r));
	}
	if (!(rc = put_base(&scope, mgmt)) && !(rc = buf_puts(&scope, "/.default")))
		rc = form_add(form, "scope", scope.ptr, scope.len);
	buf_clear(&scope);
	return rc;
}

/* What the ARM read found: the subscription or management group. */
static int arm_read(svc_verify_result *out, const svc_conn *c,
		    const svc_verify_options *o, const char *mgmt,
		    const svc_buf *token)
{
	const char *sub = verify_field(c, "subscriptionId");
	const char *mg = verify_field(c, "managementGroupId");
	const char *level = verify_field(c, "scopeLevel");
	int is_mg = level && !strcasecmp(level, "ManagementGroup");
	svc_buf url = SVC_BUF_INIT;
	http_response resp = { 0 };
	http_request req;
	char *target = NULL;
	json_t *j = NULL;
	const char *id;
	int rc;

	if (!(is_mg ? mg : sub)) {
		rc = verify_set(out, SVC_VERIFY_INVALID, NULL, "no %s",
				is_mg ? "managementGroupId" : "subscriptionId");
		goto done;
	}
	if ((rc = put_base(&url, mgmt)) ||
	    (rc = is_mg ? buf_puts(&url, "/providers/Microsoft.Management/managementGroups/")
			: buf_puts(&url, "/subscriptions/")) ||
	    (rc = vc_urlencode(&url, is_mg ? mg : sub, strlen(is_mg ? mg : sub))) ||
	    (rc = buf_printf(&url, "?api-version=%s",
			     is_mg ? MG_API_VERSION : ARM_API_VERSION)))
		goto done;
	verify_http_init(&req, c, o);
	req.method = "GET";
	req.url = url.ptr;
	req.auth = HTTP_AUTH_BEARER;
	req.token = token->ptr;
	if ((rc = call(out, &resp, &req, &target))) {
		rc = rc == 1 ? 0 : rc;
		goto done;
	}
	j = json_loadb(resp.body.ptr ? resp.body.ptr : "", resp.body.len, 0, NULL);
	id = json_string_value(json_object_get(j, is_mg ? "name" : "subscriptionId"));
	if (!id || strcasecmp(id, is_mg ? mg : sub))
		rc = verify_set(out, SVC_VERIFY_UNEXPECTED, target,
				"the answer is not %s '%s'",
				is_mg ? "management group" : "subscription",
				is_mg ? mg : sub);
	else
		rc = verify_set(out, SVC_VERIFY_OK, target,
				"token issued; %s '%s' readable",
				is_mg ? "management group" : "subscription", id);
done:
	json_decref(j);
	http_response_clear(&resp);
	buf_clear(&url);
	free(target);
	return rc;
}

/* A publish profile: its XML names a publishing user and password. */
static int check_publish_profile(svc_verify_result *out, const svc_conn *c)
{
	const char *p = verify_field(c, "publishProfile");

	if (!p || !strstr(p, "<publishData") || !strstr(p, "userName=\"") ||
	    !strstr(p, "userPWD=\"") || !strstr(p, "publishUrl=\""))
		return verify_set(out, SVC_VERIFY_INVALID, NULL,
				  "the publish profile has no publishData with a publishUrl, userName and userPWD");
	return verify_set(out, SVC_VERIFY_LOCAL, NULL,
			  "publish profile read locally (publishUrl, userName, userPWD); it is checked by the deployment that uses it");
}

int verify_azurerm(svc_verify_result *out, const svc_conn *c,
		   const svc_verify_options *o)
{
	const char *scheme = svc_conn_scheme(c), *mgmt = svc_conn_url(c);
	const char *tenant = verify_field(c, "tenantid");
	const char *client = verify_field(c, "serviceprincipalid");
	const char *auth = verify_field(c, "authenticationType");
	svc_buf ep = SVC_BUF_INIT, form = SVC_BUF_INIT, token = SVC_BUF_INIT,
		assertion = SVC_BUF_INIT;
	svc_conn_field f;
	int rc;

	if (scheme && !strcasecmp(scheme, "WorkloadIdentityFederation"))
		return verify_set(out, SVC_VERIFY_LOCAL, NULL,
				  "workload identity federation gets its token from a running Azure pipeline's OIDC issuer; it cannot be verified from here");
	if (scheme && !strcasecmp(scheme, "ManagedServiceIdentity"))
		return verify_set(out, SVC_VERIFY_LOCAL, NULL,
				  "a managed identity gets its token from the Azure instance metadata service; it can only be verified on an Azure machine");
	if (scheme && !strcasecmp(scheme, "PublishProfile"))
		return check_publish_profile(out, c);
	if (!mgmt)
		mgmt = "https://management.azure.com/";
	if (!tenant || !client || strchr(tenant, '/') || strchr(tenant, '?'))
		return verify_set(out, SVC_VERIFY_INVALID, NULL,
				  "a service principal needs a tenant id and a client id");
	buf_init(&form, 256 * 1024, 1);
	if ((rc = arm_endpoint(&ep, &form, c, mgmt, tenant, client)))
		goto done;
	if (auth && !strcasecmp(auth, "spnCertificate")) {
		if (svc_conn_field_get(c, "servicePrincipalCertificate", &f) != 0 ||
		    !f.value) {
			rc = verify_set(out, SVC_VERIFY_INVALID, NULL,
					"no servicePrincipalCertificate");
			goto done;
		}
		buf_init(&assertion, 64 * 1024, 1);
		if ((rc = arm_client_assertion(&assertion, f.value, f.len, client,
					       ep.ptr, (long long)time(NULL)))) {
			rc = verify_set(out, SVC_VERIFY_INVALID, NULL,
					"servicePrincipalCertificate: %s",
					svc_error_last());
			goto done;
		}
		if ((rc = form_add(&form, "client_assertion_type", CLIENT_ASSERTION_TYPE,
				   strlen(CLIENT_ASSERTION_TYPE))) ||
		    (rc = form_add(&form, "client_assertion", assertion.ptr,
				   assertion.len)))
			goto done;
	} else {
		if (svc_conn_field_get(c, "serviceprincipalkey", &f) != 0 || !f.value) {
			rc = verify_set(out, SVC_VERIFY_INVALID, NULL,
					"no serviceprincipalkey");
			goto done;
		}
		if ((rc = form_add(&form, "client_secret", f.value, f.len)))
			goto done;
	}
	if ((rc = get_token(out, &token, c, o, ep.ptr, &form))) {
		rc = rc == 1 ? 0 : rc;
		goto done;
	}
	rc = arm_read(out, c, o, mgmt, &token);
done:
	buf_clear(&ep);
	buf_clear(&form);
	buf_clear(&token);
	buf_clear(&assertion);
	return rc;
}

/* ---- client certificates in PKCS#12 ------------------------------------- */

/* Append the contents of mem BIO b to out. */
static int put_bio(svc_buf *out, BIO *b)
{
	char *p = NULL;
	long n = BIO_get_mem_data(b, &p);

	return n > 0 ? buf_put(out, p, (size_t)n) : error_oom();
}

/*
 * The certificate and key of the base64 PKCS#12 b64 (password pass or
 * NULL) as PEM into cert and key (key a secret buffer).  A PEM given
 * instead of a PKCS#12 is taken as it is.
 */
static int p12_to_pem(svc_buf *cert, svc_buf *key, const char *b64, size_t n,
		      const char *pass)
{
	svc_buf der = SVC_BUF_INIT;
	const unsigned char *p;
	PKCS12 *p12 = NULL;
	EVP_PKEY *k = NULL;
	X509 *x = NULL;
	BIO *bc = NULL, *bk = NULL;
	int rc;

	buf_init(key, 1024 * 1024, 1);
	if (memmem(b64, n, "-----BEGIN ", 11)) {
		if (!(rc = buf_put(cert, b64, n)))
			rc = buf_put(key, b64, n);
		return rc;
	}
	buf_init(&der, 1024 * 1024, 1);
	if ((rc = vc_unbase64(&der, b64, n)))
		goto done;
	p = (const unsigned char *)der.ptr;
	if (!(p12 = d2i_PKCS12(NULL, &p, (long)der.len)) ||
	    !PKCS12_parse(p12, pass ? pass : "", &k, &x, NULL) || !k || !x) {
		rc = error_set(SVC_EINVALID, "not a PKCS#12 certificate with its key (or a wrong password)");
		goto done;
	}
	if (!(bc = BIO_new(BIO_s_mem())) || !(bk = BIO_new(BIO_s_mem())) ||
	    !PEM_write_bio_X509(bc, x) ||
	    !PEM_write_bio_PrivateKey(bk, k, NULL, NULL, 0, NULL, NULL)) {
		rc = error_oom();
		goto done;
	}
	if (!(rc = put_bio(cert, bc)))
		rc = put_bio(key, bk);
done:
	if (bk) {
		char *kp = NULL;
		long kn = BIO_get_mem_data(bk, &kp);

		if (kn > 0)
			OPENSSL_cleanse(kp, (size_t)kn);
	}
	BIO_free(bc);
	BIO_free(bk);
	EVP_PKEY_free(k);
	X509_free(x);
	PKCS12_free(p12);
	buf_clear(&der);
	return rc;
}

/* ---- Azure Classic ------------------------------------------------------- */

int verify_azure_classic(svc_verify_result *out, const svc_conn *c,
			 const svc_verify_options *o)
{
	const char *scheme = svc_conn_scheme(c), *base = svc_conn_url(c);
	const char *sub = verify_field(c, "subscriptionId");
	svc_buf cert = SVC_BUF_INIT, key = SVC_BUF_INIT, url = SVC_BUF_INIT;
	http_headers h = HTTP_HEADERS_INIT;
	http_response resp = { 0 };
	http_request req;
	svc_conn_field f;
	char *target = NULL;
	int rc;

	if (!scheme || strcasecmp(scheme, "Certificate"))
		return verify_set(out, SVC_VERIFY_LOCAL, NULL,
				  "Azure AD retired the username-password sign-in for the classic Service Management API (and refuses it with multi-factor authentication); nothing can be called with these credentials");
	if (!sub || !base || strchr(sub, '/'))
		return verify_set(out, SVC_VERIFY_INVALID, NULL,
				  "a classic connection needs a subscription id and a Service Management URL");
	if (svc_conn_field_get(c, "certificate", &f) != 0 || !f.value)
		return verify_set(out, SVC_VERIFY_INVALID, NULL, "no management certificate");
	if ((rc = p12_to_pem(&cert, &key, f.value, f.len, NULL))) {
		rc = verify_set(out, SVC_VERIFY_INVALID, NULL,
				"management certificate: %s", svc_error_last());
		goto done;
	}
	if ((rc = put_base(&url, base)) ||
	    (rc = buf_printf(&url, "/%s/services/hostedservices", sub)) ||
	    (rc = http_headers_add(&h, "x-ms-version", 12, "2014-06-01", 10,
				   "Service Management")))
		goto done;
	verify_http_init(&req, c, o);
	req.method = "GET";
	req.url = url.ptr;
	req.headers = &h;
	req.client_cert_pem = cert.ptr;
	req.client_key_pem = key.ptr;
	if ((rc = call(out, &resp, &req, &target))) {
		rc = rc == 1 ? 0 : rc;
		goto done;
	}
	if (!resp.body.ptr || !strstr(resp.body.ptr, "HostedServices"))
		rc = verify_set(out, SVC_VERIFY_UNEXPECTED, target,
				"the answer is not a list of hosted services");
	else
		rc = verify_set(out, SVC_VERIFY_OK, target,
				"management certificate accepted for subscription '%s'",
				sub);
done:
	http_headers_clear(&h);
	http_response_clear(&resp);
	buf_clear(&cert);
	buf_clear(&key);
	buf_clear(&url);
	free(target);
	return rc;
}

/* ---- Service Bus --------------------------------------------------------- */

int sb_sas_token(svc_buf *out, const char *uri, const char *keyname,
		 const char *key, size_t klen, long long expiry)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mlen = 0;
	svc_buf sr = SVC_BUF_INIT, tosign = SVC_BUF_INIT, sig = SVC_BUF_INIT;
	int rc;

	if ((rc = vc_urlencode(&sr, uri, strlen(uri))) ||
	    (rc = buf_printf(&tosign, "%s\n%lld", sr.ptr, expiry)))
		goto done;
	if (!HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)tosign.ptr,
		  tosign.len, mac, &mlen)) {
		rc = error_set(SVC_ERROR, "cannot compute the HMAC");
		goto done;
	}
	if ((rc = vc_base64(&sig, mac, mlen, 0)) ||
	    (rc = buf_printf(out, "SharedAccessSignature sr=%s&sig=", sr.ptr)) ||
	    (rc = vc_urlencode(out, sig.ptr, sig.len)) ||
	    (rc = buf_printf(out, "&se=%lld&skn=", expiry)))
		goto done;
	rc = vc_urlencode(out, keyname, strlen(keyname));
done:
	OPENSSL_cleanse(mac, sizeof(mac));
	buf_clear(&sr);
	buf_clear(&tosign);
	buf_clear(&sig);
	return rc;
}

/* One "Key=value" of a connection string into a new string, or NULL. */
static char *cs_get(const char *cs, const char *key)
{
	size_t kn = strlen(key);
	const char *p = cs, *e;

	while (p && *p) {
		while (*p == ';' || *p == ' ')
			p++;
		e = strchr(p, ';');
		if (!strncasecmp(p, key, kn) && p[kn] == '=')
			return strndup(p + kn + 1, e ? (size_t)(e - p - kn - 1)
					  : strlen(p + kn + 1));
		p = e;
	}
	return NULL;
}

/* 1 when the authority of URL rest (after "scheme://") is a loopback host. */
static int loopback(const char *rest)
{
	return !strncmp(rest, "127.", 4) || !strncmp(rest, "localhost", 9) ||
		!strncmp(rest, "[::1]", 5);
}

int verify_servicebus(svc_verify_result *out, const svc_conn *c,
		      const svc_verify_options *o)
{
	const char *queue = verify_field(c, "serviceBusQueueName");
	char *ep = NULL, *kn = NULL, *key = NULL, *target = NULL;
	svc_buf uri = SVC_BUF_INIT, sas = SVC_BUF_INIT;
	http_response resp = { 0 };
	http_request req;
	svc_conn_field f;
	const char *host;
	int rc;

	if (!queue || svc_conn_field_get(c, "serviceBusConnectionString", &f) != 0 ||
	    !f.value)
		return verify_set(out, SVC_VERIFY_INVALID, NULL,
				  "a Service Bus connection needs a connection string and a queue name");
	ep = cs_get(f.value, "Endpoint");
	kn = cs_get(f.value, "SharedAccessKeyName");
	key = cs_get(f.value, "SharedAccessKey");
	if (!ep || !kn || !key || !*kn || !*key) {
		rc = verify_set(out, SVC_VERIFY_INVALID, NULL,
				"the connection string needs Endpoint, SharedAccessKeyName and SharedAccessKey");
		goto done;
	}
	if (!strncasecmp(ep, "sb://", 5) || !strncasecmp(ep, "https://", 8))
		rc = buf_puts(&uri, "https://");
	else if (!strncasecmp(ep, "http://", 7) && loopback(ep + 7))
		rc = buf_puts(&uri, "http://");
	else {
		rc = verify_set(out, SVC_VERIFY_INVALID, NULL,
				"Endpoint must be sb:// or https:// (http:// only on loopback)");
		goto done;
	}
	host = strstr(ep, "://") + 3;
	if (rc || (rc = put_base(&uri, host)) || (rc = buf_putc(&uri, '/')) ||
	    (rc = vc_urlencode(&uri, queue, strlen(queue))))
		goto done;
	buf_init(&sas, 64 * 1024, 1);
	if ((rc = sb_sas_token(&sas, uri.ptr, kn, key, strlen(key),
			       (long long)time(NULL) + SAS_LIFETIME)))
		goto done;
	verify_http_init(&req, c, o);
	req.method = "GET";
	req.url = uri.ptr;
	req.auth = HTTP_AUTH_HEADER;
	req.auth_header = "Authorization";
	req.token = sas.ptr;
	if ((rc = call(out, &resp, &req, &target))) {
		rc = rc == 1 ? 0 : rc;
		goto done;
	}
	if (!resp.body.ptr || !strstr(resp.body.ptr, "QueueDescription"))
		rc = verify_set(out, SVC_VERIFY_UNEXPECTED, target,
				"the answer is not the description of queue '%s'", queue);
	else
		rc = verify_set(out, SVC_VERIFY_OK, target,
				"SAS token of key '%s' accepted; queue '%s' readable",
				kn, queue);
done:
	free(ep);
	free(kn);
	svc_secret_free(key, (size_t)-1);
	buf_clear(&uri);
	buf_clear(&sas);
	http_response_clear(&resp);
	free(target);
	return rc;
}

/* ---- Service Fabric ------------------------------------------------------ */

/* 1 when the comma-separated list holds item (any case, spaces ignored). */
static int in_list(const char *list, const char *item)
{
	size_t n = strlen(item);
	const char *p = list, *e;

	while (p && *p) {
		while (*p == ' ' || *p == ',')
			p++;
		e = p;
		while (*e && *e != ',')
			e++;
		while (e > p && e[-1] == ' ')
			e--;
		if ((size_t)(e - p) == n && !strncasecmp(p, item, n))
			return 1;
		p = *e ? strchr(e, ',') : NULL;
	}
	return 0;
}

/*
 * Check the server certificate (PEM) against c's lookup: thumbprints or
 * common names.  0 when it matches; else out says why (1).
 */
static int sf_check_cert(svc_verify_result *out, const svc_conn *c,
			 const svc_buf *pem, const char *target)
{
	const char *lookup = verify_field(c, "certLookup");
	int by_cn = lookup && !strcasecmp(lookup, "CommonName");
	const char *want = verify_field(c, by_cn ? "servercertcommonname"
					: "servercertthumbprint");
	char tp[41], cn[256] = "";
	X509 *x = NULL;
	int rc = 0, ok = 0;

	if (!want)
		rc = verify_set(out, SVC_VERIFY_INVALID, target, "no %s to check the cluster by",
				by_cn ? "servercertcommonname" : "servercertthumbprint");
	else if (!pem->len || vc_load_cert(&x, pem->ptr, pem->len) || vc_thumbprint(tp, x))
		rc = verify_set(out, SVC_VERIFY_TLS, target,
				"the cluster presented no certificate");
	else if (by_cn) {
		X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName,
					  cn, sizeof(cn));
		if (!(ok = in_list(want, cn)))
			rc = verify_set(out, SVC_VERIFY_TLS, target,
					"server certificate common name '%s' is not one of '%s'",
					cn, want);
	} else if (!(ok = in_list(want, tp))) {
		rc = verify_set(out, SVC_VERIFY_TLS, target,
				"server certificate thumbprint %s is not one of '%s'",
				tp, want);
	}
	X509_free(x);
	if (ok)
		return 0;
	return rc ? rc : 1;
}

/* The https URL of the cluster's HTTP gateway for its endpoint url. */
static int sf_gateway(svc_buf *out, const char *url)
{
	const char *hp, *colon;
	size_t n;
	int rc;

	if (!strncasecmp(url, "tcp://", 6))
		hp = url + 6;
	else if (!strncasecmp(url, "https://", 8))
		hp = url + 8;
	else
		return SVC_EINVALID;
	n = strcspn(hp, "/?#");
	colon = memchr(hp, ':', n);
	if ((rc = buf_puts(out, "https://")))
		return rc;
	/* the client endpoint 19000 has its HTTP gateway on 19080 */
	if (colon && (size_t)(hp + n - colon) == 6 && !strncmp(colon, ":19000", 6))
		return buf_put(out, hp, (size_t)(colon - hp)) ||
			buf_puts(out, ":19080") ? SVC_ERROR : 0;
	return buf_put(out, hp, n);
}

int verify_servicefabric(svc_verify_result *out, const svc_conn *c,
			 const svc_verify_options *o)
{
	const char *scheme = svc_conn_scheme(c), *url = svc_conn_url(c);
	svc_buf gw = SVC_BUF_INIT, cert = SVC_BUF_INIT, key = SVC_BUF_INIT;
	int is_cert = scheme && !strcasecmp(scheme, "Certificate");
	http_response resp = { 0 };
	http_request req;
	svc_conn_field f;
	char *target = NULL;
	int rc;

	if (scheme && !strcasecmp(scheme, "None"))
		return verify_set(out, SVC_VERIFY_LOCAL, NULL,
				  "Windows security (gMSA) works only from a Windows machine of the cluster's domain; nothing was called");
	if (!url || sf_gateway(&gw, url) || (rc = buf_puts(&gw, "/$/GetClusterManifest?api-version=6.0"))) {
		rc = verify_set(out, SVC_VERIFY_INVALID, NULL,
				"cluster endpoint must be tcp://HOST:PORT or https://HOST:PORT");
		goto done;
	}
	if (is_cert) {
		if (svc_conn_field_get(c, "certificate", &f) != 0 || !f.value) {
			rc = verify_set(out, SVC_VERIFY_INVALID, NULL, "no client certificate");
			goto done;
		}
		if (p12_to_pem(&cert, &key, f.value, f.len, verify_field(c, "certificatepassword"))) {
			rc = verify_set(out, SVC_VERIFY_INVALID, NULL, "client certificate: %s",
					svc_error_last());
			goto done;
		}
	}
	verify_http_init(&req, c, o);
	req.method = "GET";
	req.url = gw.ptr;
	req.insecure = 1;          /* trust comes from the pinned certificate */
	req.want_peer_cert = 1;
	req.client_cert_pem = cert.ptr;
	req.client_key_pem = key.ptr;
	target = verify_target("GET", gw.ptr);
	rc = http_call(&resp, &req);
	if (!rc && (rc = sf_check_cert(out, c, &resp.peer_cert, target))) {
		out->http_status = (int)resp.status;
		rc = rc == 1 ? 0 : rc;
		goto done;
	}
	if (!is_cert && !rc && (resp.status == 401 || resp.status == 403)) {
		out->http_status = (int)resp.status;
		rc = verify_set(out, SVC_VERIFY_LOCAL, target,
				"server certificate matches; Microsoft Entra sign-in cannot be checked from here");
		goto done;
	}
	if ((rc = verify_http_answer(out, target, rc, &resp))) {
		rc = rc == 1 ? 0 : rc;
		goto done;
	}
	rc = verify_set(out, is_cert ? SVC_VERIFY_OK : SVC_VERIFY_LOCAL, target,
			"server certificate matches%s; cluster manifest readable",
			is_cert ? ", client certificate accepted" : "");
done:
	http_response_clear(&resp);
	buf_clear(&gw);
	buf_clear(&cert);
	buf_clear(&key);
	free(target);
	return rc;
}
