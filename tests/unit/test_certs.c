/*
 * test_certs.c - the certificate checks (certs.c) and the store's record of
 * expiry (store_certs.c), with keys and certificates generated here with
 * OpenSSL's API, against "now" fixed by SVCCONN_NOW.
 *
 * - a certificate and its key (Docker Host's cert/key/ca fields) pass;
 * - a certificate with another key is reported as not matching it, and
 *   the CA certificate beside it is not; a key beside CA certificates
 *   only is reported itself;
 * - expired, expiring in 10 days and valid for 400 days, in a combined
 *   PEM field (Azure Resource Manager's servicePrincipalCertificate);
 * - an encrypted key (Maven) opens with the right passphrase, is an error
 *   with a wrong one, and is only noted without one;
 * - a kubeconfig's embedded client certificate, key and CA are found,
 *   and a wrong key in it is reported;
 * - a PKCS#12 (Service Fabric) with the right and a wrong password;
 * - a CERTIFICATE block that is valid PEM but no certificate is an error;
 * - a base64 token is not material;
 * - the store records the earliest expiry on create, keeps it through an
 *   edit that loads no secret, and a rescan fills a missing record.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "svcconn/certs.h"
#include "svcconn/conn.h"
#include "svcconn/store.h"
#include "certgen.h"
#include "store/store_write.h"

#define NOW_TEXT "2030-06-01T00:00:00Z"
#define NOW ((time_t)1906502400) /* NOW_TEXT */
#define DAY 86400LL

/* Per-test material: a CA and keys. */
struct fx {
	svc_catalog *cat;     /**< the catalog */
	EVP_PKEY *ca_key;     /**< the CA's key */
	X509 *ca;             /**< the CA, valid 400 days */
	char *ca_pem;         /**< its PEM */
	EVP_PKEY *key;        /**< a client key */
	EVP_PKEY *other;      /**< another key */
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	setenv("SVCCONN_NOW", NOW_TEXT, 1);
	assert_int_equal(svc_catalog_new(&f->cat), 0);
	f->ca_key = cg_key();
	f->ca = cg_cert(f->ca_key, "test-ca", NOW, -DAY, 400 * DAY, NULL,
			NULL, 1);
	f->ca_pem = cg_pem_cert(f->ca);
	f->key = cg_key();
	f->other = cg_key();
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	svc_catalog_free(f->cat);
	X509_free(f->ca);
	EVP_PKEY_free(f->ca_key);
	EVP_PKEY_free(f->key);
	EVP_PKEY_free(f->other);
	free(f->ca_pem);
	free(f);
	return 0;
}

/* A client certificate for key, signed by the CA, valid until now+until. */
static char *client_pem(struct fx *f, EVP_PKEY *key, long long until)
{
	X509 *x = cg_cert(key, "client", NOW, -DAY, until, f->ca, f->ca_key,
			  0);
	char *pem = cg_pem_cert(x);

	X509_free(x);
	return pem;
}

static void set(svc_conn *c, const char *k, const char *v)
{
	assert_int_equal(svc_conn_set_field(c, k, v, strlen(v)), 0);
}

/* Validate c (it must pass the catalog) and check it. */
static svc_cert_report *check(struct fx *f, svc_conn *c)
{
	svc_cert_report *r = NULL;
	svc_diags *d = NULL;

	assert_int_equal(svc_diags_new(&d), 0);
	if (svc_conn_validate(c, f->cat, d) != 0)
		fail_msg("validation: %s", svc_diags_count(d)
			 ? svc_diags_at(d, 0)->message : svc_error_last());
	svc_diags_free(d);
	assert_int_equal(svc_certs_check(&r, c, f->cat, NULL), 0);
	return r;
}

/* A Docker Host connection with cert (PEM) and key (PEM). */
static svc_conn *docker(struct fx *f, const char *cert, const char *key)
{
	svc_conn *c;

	assert_int_equal(svc_conn_new(&c, "dockerhost", "dh"), 0);
	assert_int_equal(svc_conn_set_url(c, "tcp://docker.test:2376"), 0);
	set(c, "cacert", f->ca_pem);
	set(c, "cert", cert);
	set(c, "key", key);
	return c;
}

/* The certificate item whose field is field and subject subject. */
static const svc_cert_item *cert_in(const svc_cert_report *r,
				    const char *field, const char *subject)
{
	size_t i;

	for (i = 0; i < svc_cert_report_count(r); i++) {
		const svc_cert_item *it = svc_cert_report_at(r, i);

		if (!it->is_key && strcmp(it->field, field) == 0 &&
		    it->subject && strcmp(it->subject, subject) == 0)
			return it;
	}
	fail_msg("no certificate '%s' in field '%s'", subject, field);
	return NULL;
}

/* The (first) key item of field. */
static const svc_cert_item *key_in(const svc_cert_report *r,
				   const char *field)
{
	size_t i;

	for (i = 0; i < svc_cert_report_count(r); i++) {
		const svc_cert_item *it = svc_cert_report_at(r, i);

		if (it->is_key && strcmp(it->field, field) == 0)
			return it;
	}
	fail_msg("no key in field '%s'", field);
	return NULL;
}

static void test_matching_pair_passes(void **state)
{
	struct fx *f = *state;
	char *cert = client_pem(f, f->key, 400 * DAY);
	char *key = cg_pem_key(f->key, NULL);
	svc_conn *c = docker(f, cert, key);
	svc_cert_report *r = check(f, c);
	const svc_cert_item *it;

	assert_int_equal(svc_cert_report_count(r), 3);
	assert_int_equal(svc_cert_report_with(r, ~0u), 0);
	it = cert_in(r, "cert", "CN=client");
	assert_int_equal(it->not_after, (long long)NOW + 400 * DAY);
	assert_int_equal(it->days_left, 400);
	assert_false(it->is_ca);
	assert_true(cert_in(r, "cacert", "CN=test-ca")->is_ca);
	assert_null(key_in(r, "key")->subject);
	assert_false(svc_cert_report_incomplete(r));
	svc_cert_report_free(r);
	svc_conn_free(c);
	free(cert);
	free(key);
}

static void test_mismatched_key(void **state)
{
	struct fx *f = *state;
	char *cert = client_pem(f, f->key, 400 * DAY);
	char *key = cg_pem_key(f->other, NULL);
	svc_conn *c = docker(f, cert, key);
	svc_cert_report *r = check(f, c);
	const svc_cert_item *it = cert_in(r, "cert", "CN=client");

	assert_int_equal(it->problems, SVC_CERT_KEY_MISMATCH);
	assert_non_null(strstr(it->message,
			       "does not match the private key in field 'key'"));
	assert_int_equal(cert_in(r, "cacert", "CN=test-ca")->problems, 0);
	assert_int_equal(svc_cert_report_with(r, SVC_CERT_ERRORS), 1);
	svc_cert_report_free(r);
	svc_conn_free(c);

	/* the CA's certificate where the client's belongs: the key is wrong */
	c = docker(f, f->ca_pem, key);
	r = check(f, c);
	assert_int_equal(key_in(r, "key")->problems, SVC_CERT_KEY_MISMATCH);
	assert_int_equal(svc_cert_report_with(r, SVC_CERT_ERRORS), 1);
	svc_cert_report_free(r);
	svc_conn_free(c);
	free(cert);
	free(key);
}

/* The client certificate and its key (encrypted under pass) in one PEM. */
static char *cert_and_key(struct fx *f, long long until, const char *pass)
{
	char *cert = client_pem(f, f->key, until);
	char *key = cg_pem_key(f->key, pass);
	char *both = cg_cat(cert, key);

	free(cert);
	free(key);
	return both;
}

/* An Azure Resource Manager connection with cert+key in one PEM field. */
static svc_cert_report *arm_with(struct fx *f, long long until)
{
	char *both = cert_and_key(f, until, NULL);
	svc_conn *c;
	svc_cert_report *r;

	assert_int_equal(svc_conn_new(&c, "azurerm", "arm"), 0);
	assert_int_equal(svc_conn_set_scheme(c, "ServicePrincipal"), 0);
	set(c, "authenticationType", "spnCertificate");
	set(c, "serviceprincipalid", "11111111-2222-3333-4444-555555555555");
	set(c, "tenantid", "66666666-7777-8888-9999-000000000000");
	set(c, "subscriptionId", "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee");
	set(c, "subscriptionName", "test");
	set(c, "servicePrincipalCertificate", both);
	r = check(f, c);
	svc_conn_free(c);
	free(both);
	return r;
}

static void test_expired_expiring_and_valid(void **state)
{
	struct fx *f = *state;
	svc_cert_report *r;
	const svc_cert_item *it;

	r = arm_with(f, -5 * DAY);
	it = cert_in(r, "servicePrincipalCertificate", "CN=client");
	assert_int_equal(it->problems, SVC_CERT_EXPIRED);
	assert_int_equal(it->days_left, -5);
	assert_string_equal(it->message, "expired on 2030-05-27 (5 days ago)");
	assert_int_equal(svc_cert_report_with(r, SVC_CERT_ERRORS), 1);
	svc_cert_report_free(r);

	r = arm_with(f, 10 * DAY);
	it = cert_in(r, "servicePrincipalCertificate", "CN=client");
	assert_int_equal(it->problems, SVC_CERT_EXPIRING);
	assert_int_equal(it->days_left, 10);
	assert_string_equal(it->message, "expires on 2030-06-11 (in 10 days)");
	assert_int_equal(svc_cert_report_with(r, SVC_CERT_ERRORS), 0);
	assert_ptr_equal(svc_cert_report_earliest(r), it);
	svc_cert_report_free(r);

	r = arm_with(f, 400 * DAY);
	assert_int_equal(svc_cert_report_with(r, ~0u), 0);
	assert_int_equal(cert_in(r, "servicePrincipalCertificate",
				 "CN=client")->days_left, 400);
	svc_cert_report_free(r);
}

/* A Maven PrivateKey connection: cert + encrypted key, passphrase or not. */
static svc_cert_report *maven_with(struct fx *f, const char *pass)
{
	char *both = cert_and_key(f, 400 * DAY, "right-passphrase");
	svc_conn *c;
	svc_cert_report *r;

	assert_int_equal(svc_conn_new(&c, "externalmavenrepository", "mvn"),
			 0);
	assert_int_equal(svc_conn_set_scheme(c, "PrivateKey"), 0);
	assert_int_equal(svc_conn_set_url(c, "https://repo.test/maven2"), 0);
	set(c, "RepositoryId", "central");
	set(c, "privateKey", both);
	if (pass)
		set(c, "passphrase", pass);
	r = check(f, c);
	svc_conn_free(c);
	free(both);
	return r;
}

static void test_encrypted_key_passphrase(void **state)
{
	struct fx *f = *state;
	svc_cert_report *r;
	const svc_cert_item *k;

	r = maven_with(f, "right-passphrase");
	assert_int_equal(svc_cert_report_with(r, ~0u), 0);
	assert_int_equal(svc_cert_report_count(r), 2);
	svc_cert_report_free(r);

	r = maven_with(f, "wrong-passphrase");
	k = key_in(r, "privateKey");
	assert_int_equal(k->problems, SVC_CERT_BAD_PASSPHRASE);
	assert_non_null(strstr(k->message, "passphrase in field 'passphrase'"));
	assert_int_equal(svc_cert_report_with(r, SVC_CERT_ERRORS), 1);
	svc_cert_report_free(r);

	r = maven_with(f, NULL);
	assert_int_equal(key_in(r, "privateKey")->problems,
			 SVC_CERT_NOT_CHECKED);
	assert_int_equal(svc_cert_report_with(r, SVC_CERT_ERRORS), 0);
	svc_cert_report_free(r);
}

static svc_cert_report *kube_with(struct fx *f, EVP_PKEY *key)
{
	char *cert = client_pem(f, f->key, 10 * DAY);
	char *kpem = cg_pem_key(key, NULL);
	char *kc = cg_kubeconfig(f->ca_pem, cert, kpem);
	svc_conn *c;
	svc_cert_report *r;

	assert_int_equal(svc_conn_new(&c, "kubernetes", "k8s"), 0);
	assert_int_equal(svc_conn_set_scheme(c, "Kubeconfig"), 0);
	set(c, "kubeconfig", kc);
	r = check(f, c);
	svc_conn_free(c);
	free(cert);
	free(kpem);
	free(kc);
	return r;
}

static void test_kubeconfig_embedded(void **state)
{
	struct fx *f = *state;
	svc_cert_report *r = kube_with(f, f->key);
	const svc_cert_item *it = cert_in(r, "kubeconfig", "CN=client");

	assert_string_equal(it->part, "users[ci].client-certificate-data");
	assert_int_equal(it->problems, SVC_CERT_EXPIRING);
	assert_int_equal(key_in(r, "kubeconfig")->problems, 0);
	assert_string_equal(cert_in(r, "kubeconfig", "CN=test-ca")->part,
			    "clusters[test].certificate-authority-data");
	assert_int_equal(svc_cert_report_count(r), 3);
	svc_cert_report_free(r);

	r = kube_with(f, f->other);
	assert_true(cert_in(r, "kubeconfig", "CN=client")->problems &
		    SVC_CERT_KEY_MISMATCH);
	svc_cert_report_free(r);
}

static svc_cert_report *fabric_with(struct fx *f, const char *pass)
{
	X509 *x = cg_cert(f->key, "fabric-client", NOW, -DAY, 60 * DAY, f->ca,
			  f->ca_key, 0);
	char *p12 = cg_p12_b64(f->key, x, "pfx-password");
	svc_conn *c;
	svc_cert_report *r;

	assert_int_equal(svc_conn_new(&c, "servicefabric", "sf"), 0);
	assert_int_equal(svc_conn_set_scheme(c, "Certificate"), 0);
	assert_int_equal(svc_conn_set_url(c, "tcp://fabric.test:19000"), 0);
	set(c, "servercertthumbprint",
	    "0123456789abcdef0123456789abcdef01234567");
	set(c, "certificate", p12);
	set(c, "certificatepassword", pass);
	r = check(f, c);
	svc_conn_free(c);
	X509_free(x);
	free(p12);
	return r;
}

static void test_pkcs12(void **state)
{
	struct fx *f = *state;
	svc_cert_report *r = fabric_with(f, "pfx-password");
	const svc_cert_item *it = cert_in(r, "certificate", "CN=fabric-client");

	assert_int_equal(it->problems, 0);
	assert_string_equal(it->part, "pkcs12");
	assert_int_equal(it->days_left, 60);
	assert_int_equal(svc_cert_report_with(r, ~0u), 0);
	svc_cert_report_free(r);

	r = fabric_with(f, "not-the-password");
	assert_int_equal(key_in(r, "certificate")->problems,
			 SVC_CERT_BAD_PASSPHRASE);
	assert_non_null(strstr(key_in(r, "certificate")->message,
			       "password in field 'certificatepassword'"));
	svc_cert_report_free(r);
}

static void test_unparseable_certificate_block(void **state)
{
	struct fx *f = *state;
	/* valid PEM (the validator accepts it), but no certificate */
	const char *junk = "-----BEGIN CERTIFICATE-----\n"
			   "aGVsbG8gd29ybGQsIG5vdCBhIGNlcnRpZmljYXRl\n"
			   "-----END CERTIFICATE-----\n";
	char *key = cg_pem_key(f->key, NULL);
	svc_conn *c = docker(f, junk, key);
	svc_cert_report *r = check(f, c);
	size_t i;
	int seen = 0;

	for (i = 0; i < svc_cert_report_count(r); i++) {
		const svc_cert_item *it = svc_cert_report_at(r, i);

		if (strcmp(it->field, "cert") == 0) {
			assert_int_equal(it->problems, SVC_CERT_UNPARSEABLE);
			seen = 1;
		}
	}
	assert_true(seen);
	assert_int_equal(svc_cert_report_with(r, SVC_CERT_ERRORS), 1);
	svc_cert_report_free(r);
	svc_conn_free(c);
	free(key);
}

static void test_token_is_not_material(void **state)
{
	struct fx *f = *state;
	svc_conn *c;
	svc_cert_report *r;

	assert_int_equal(svc_conn_new(&c, "kubernetes", "sa"), 0);
	assert_int_equal(svc_conn_set_scheme(c, "ServiceAccount"), 0);
	assert_int_equal(svc_conn_set_url(c, "https://k8s.test:6443"), 0);
	set(c, "apiToken", "ZXlKaGJHY2lPaUpTVXpJMU5pSjkuZXlKemRXSWlPaUpqYVNKOQ==");
	r = check(f, c);
	assert_int_equal(svc_cert_report_count(r), 0);
	assert_null(svc_cert_report_earliest(r));
	svc_cert_report_free(r);
	svc_conn_free(c);
}

/* The expiry record of name in the store (fails when absent). */
static svc_cert_expiry *expiry(svc_store *st, const char *name,
			       svc_cert_expiry **l, size_t *n)
{
	size_t i;

	assert_int_equal(svc_store_cert_expiry_list(l, n, st), 0);
	for (i = 0; i < *n; i++)
		if (strcmp((*l)[i].name, name) == 0)
			return &(*l)[i];
	fail_msg("no connection '%s'", name);
	return NULL;
}

static void test_store_records_expiry(void **state)
{
	struct fx *f = *state;
	char *dir = tu_mkdtemp(), *home = tu_path(dir, "home");
	char *db = tu_path(home, "store.db");
	char *cert = client_pem(f, f->key, 20 * DAY);
	char *key = cg_pem_key(f->key, NULL);
	svc_store_options o = { SVC_STORE_OPTIONS_VERSION, home, NULL };
	svc_conn *c = docker(f, cert, key), *got = NULL;
	svc_cert_expiry *l = NULL, *e;
	svc_store *st = NULL;
	sqlite3 *sq;
	size_t n = 0, scanned = 0;

	assert_int_equal(svc_store_init(&o, "tester"), 0);
	assert_int_equal(svc_store_open(&st, &o), 0);
	svc_cert_report_free(check(f, c));
	assert_int_equal(svc_store_conn_create(st, c, "tester"), 0);
	e = expiry(st, "dh", &l, &n);
	assert_true(e->known);
	assert_string_equal(e->field, "cert");
	assert_int_equal(e->not_after, (long long)NOW + 20 * DAY);
	assert_int_equal(e->days_left, 20);
	assert_false(e->expired);
	svc_cert_expiry_list_free(l, n);

	/* an edit that loads no secret keeps it (the key is opened) */
	assert_int_equal(svc_store_conn_get(&got, st, "dh", 0), 0);
	assert_int_equal(svc_conn_set_description(got, "edited"), 0);
	assert_int_equal(svc_store_conn_update(st, got, "tester"), 0);
	e = expiry(st, "dh", &l, &n);
	assert_true(e->known);
	assert_int_equal(e->not_after, (long long)NOW + 20 * DAY);
	svc_cert_expiry_list_free(l, n);

	/* a store from before the record: unknown until a rescan */
	assert_int_equal(sqlite3_open(db, &sq), SQLITE_OK);
	assert_int_equal(sqlite3_exec(sq, "DELETE FROM cert_expiry", NULL,
				      NULL, NULL), SQLITE_OK);
	sqlite3_close(sq);
	e = expiry(st, "dh", &l, &n);
	assert_false(e->known);
	svc_cert_expiry_list_free(l, n);
	assert_int_equal(svc_store_cert_rescan(&scanned, st, f->cat,
					       "tester"), 0);
	assert_int_equal(scanned, 1);
	e = expiry(st, "dh", &l, &n);
	assert_true(e->known);
	assert_string_equal(e->field, "cert");
	svc_cert_expiry_list_free(l, n);

	svc_conn_free(got);
	svc_conn_free(c);
	svc_store_free(st);
	tu_rm_rf(dir);
	free(db);
	free(home);
	free(dir);
	free(cert);
	free(key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_matching_pair_passes,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_mismatched_key, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_expired_expiring_and_valid,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_encrypted_key_passphrase,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_kubeconfig_embedded,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_pkcs12, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_unparseable_certificate_block, setup, teardown),
		cmocka_unit_test_setup_teardown(test_token_is_not_material,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_records_expiry,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
