/*
 * certs.c - find a connection's certificates and keys, parse them with
 * OpenSSL 3, and say what is wrong with them.
 *
 * Which fields hold material is the catalog's knowledge, not a list here:
 * a field validated as PEM is read block by block (certificates, PKCS#1,
 * SEC1 and PKCS#8 keys, encrypted ones, "OPENSSH PRIVATE KEY" noted but
 * not read); a base64 field is decoded and read when it is a PKCS#12, a DER
 * certificate or PEM text (anything else, a token, is not material); a
 * kubeconfig field is read as YAML and the base64 *-data entries of the
 * context in use (the field its validator names, else current-context; all
 * entries when neither names one) are read as PEM.
 *
 * Pairing: keys and certificates are grouped - one group for the plain
 * PEM and base64 fields of the connection (so Docker Host's cert and key
 * fields pair), one per PKCS#12 and one per kubeconfig user or cluster.  A
 * key is fine when some certificate of its group carries its public key
 * (EVP_PKEY_eq); otherwise the group's first non-CA certificate, preferring
 * one in the key's own field, is reported as not matching it (the key
 * itself when its group holds only CA certificates).  A key alone
 * in its group (SSH, Chef, Maven) pairs with nothing and is only read.
 *
 * An encrypted key is opened with the connection's passphrase field (a
 * field whose key ends in "passphrase", else one ending in "password",
 * never the material's own field and never a validated one).  Decoded
 * bytes are kept in wiping buffers; keys are freed by OpenSSL, which
 * clears private components.
 */
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "svcconn/certs.h"
#include "svcconn/secret.h"
#include "errors_int.h"
#include "certs/certs_int.h"
#include "exchange/yaml_doc.h"
#include "util/buf.h"
#include "util/clock.h"

#define DAY 86400LL
#define DEFAULT_WITHIN (30 * DAY)
/* Bound on the items of one connection (a field is at most a few MiB). */
#define MAX_ITEMS 4096

/* One item while the report is built. */
struct item {
	svc_cert_item pub;   /**< what callers see (strings owned here) */
	X509 *cert;          /**< the certificate, or NULL */
	EVP_PKEY *key;       /**< the private key, or NULL */
	int group;           /**< pairing group */
	char *note;          /**< problem text known when added, or NULL */
	const char *mismatch; /**< field of the key it does not match */
};

struct svc_cert_report {
	svc_buf items;       /**< struct item array, as bytes */
	int incomplete;      /**< a material field was set but not loaded */
};

/* What a scan of one connection carries along. */
struct scan {
	svc_cert_report *r;      /**< the report being filled */
	const svc_conn *c;       /**< the connection */
	const svc_type *t;       /**< its type */
	const svc_scheme *s;     /**< its scheme */
	const char *field;       /**< the field being read */
	int group;               /**< current pairing group */
	int groups;              /**< groups handed out */
	const char *pass;        /**< passphrase for the field, or NULL */
	const char *pass_field;  /**< the field it came from */
};

static struct item *items_of(const svc_cert_report *r, size_t *n)
{
	*n = r->items.len / sizeof(struct item);
	return (struct item *)(void *)r->items.ptr;
}

/* Append an item; cert and key are owned by it from here on. */
static int add_item(struct scan *sc, const char *part, X509 *cert,
		    EVP_PKEY *key, int is_key, unsigned problems,
		    const char *note)
{
	struct item it;
	size_t n;

	items_of(sc->r, &n);
	memset(&it, 0, sizeof(it));
	it.cert = cert;
	it.key = key;
	it.group = sc->group;
	it.pub.is_key = is_key;
	it.pub.problems = problems;
	it.pub.field = strdup(sc->field);
	it.pub.part = strdup(part ? part : "");
	it.note = note ? strdup(note) : NULL;
	if (n >= MAX_ITEMS || !it.pub.field || !it.pub.part ||
	    (note && !it.note) || buf_put(&sc->r->items, &it, sizeof(it))) {
		free((char *)it.pub.field);
		free((char *)it.pub.part);
		free(it.note);
		X509_free(cert);
		EVP_PKEY_free(key);
		return n >= MAX_ITEMS
			       ? error_set(SVC_EINVALID,
					   "field '%s' holds too many certificates",
					   sc->field)
			       : error_oom();
	}
	return 0;
}

long long certs_days(long long seconds)
{
	return seconds >= 0 ? seconds / DAY : -((-seconds + DAY - 1) / DAY);
}

/* ---- the passphrase of a field ------------------------------------------ */

static int ends_with_ci(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

/* Set sc->pass for material in field key (see the top of the file). */
static void find_pass(struct scan *sc, const char *key)
{
	static const char *const suffixes[] = { "passphrase", "password" };
	svc_conn_field f;
	size_t i, j, n = svc_conn_field_count(sc->c);

	sc->pass = NULL;
	sc->pass_field = NULL;
	for (j = 0; j < 2; j++)
		for (i = 0; i < n; i++) {
			const svc_field *cf;

			if (svc_conn_field_at(sc->c, i, &f) != 0 ||
			    !f.is_set || strcasecmp(f.key, key) == 0 ||
			    !ends_with_ci(f.key, suffixes[j]))
				continue;
			cf = svc_type_field(sc->t, sc->s, f.key);
			if (cf && cf->validator != SVC_VALID_NONE)
				continue;
			if (!f.value) {
				sc->r->incomplete = 1;
				continue;
			}
			sc->pass = f.value;
			sc->pass_field = f.key;
			return;
		}
}

static int pass_cb(char *buf, int size, int rwflag, void *u)
{
	const struct scan *sc = u;
	size_t n;

	(void)rwflag;
	if (!sc->pass || size <= 0)
		return -1;
	n = strlen(sc->pass);
	if (n > (size_t)size)
		return -1;
	memcpy(buf, sc->pass, n);
	return (int)n;
}

/* ---- PEM ------------------------------------------------------------------ */

static const char *find_str(const char *s, size_t n, const char *needle)
{
	size_t m = strlen(needle), i;

	for (i = 0; m <= n && i <= n - m; i++)
		if (memcmp(s + i, needle, m) == 0)
			return s + i;
	return NULL;
}

static int is_cert_label(const char *l, size_t n)
{
	return (n == 11 && memcmp(l, "CERTIFICATE", 11) == 0) ||
	       (n == 16 && memcmp(l, "X509 CERTIFICATE", 16) == 0) ||
	       (n == 19 && memcmp(l, "TRUSTED CERTIFICATE", 19) == 0);
}

static int is_key_label(const char *l, size_t n)
{
	return n >= 11 && memcmp(l + n - 11, "PRIVATE KEY", 11) == 0;
}

/* One certificate block (text of len bytes). */
static int pem_cert(struct scan *sc, const char *text, size_t len,
		    const char *part, int trusted)
{
	BIO *bio = BIO_new_mem_buf(text, (int)len);
	X509 *x;

	if (!bio)
		return error_oom();
	x = trusted ? PEM_read_bio_X509_AUX(bio, NULL, NULL, NULL)
		    : PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (!x)
		return add_item(sc, part, NULL, NULL, 0, SVC_CERT_UNPARSEABLE,
				"a certificate block that does not parse");
	return add_item(sc, part, x, NULL, 0, 0, NULL);
}

/* One private key block. */
static int pem_key(struct scan *sc, const char *text, size_t len,
		   const char *label, size_t ll, const char *part)
{
	svc_buf note = SVC_BUF_INIT;
	EVP_PKEY *k;
	BIO *bio;
	int encrypted, rc;

	if (ll == 19 && memcmp(label, "OPENSSH PRIVATE KEY", 19) == 0)
		return add_item(sc, part, NULL, NULL, 1, SVC_CERT_NOT_CHECKED,
				"an OpenSSH private key: not read (it has no expiry)");
	encrypted = (ll == 21 && memcmp(label, "ENCRYPTED PRIVATE KEY", 21) == 0) ||
		    find_str(text, len, "Proc-Type: 4,ENCRYPTED") != NULL;
	if (encrypted && !sc->pass)
		return add_item(sc, part, NULL, NULL, 1, SVC_CERT_NOT_CHECKED,
				"an encrypted private key and no passphrase field: not checked against its certificate");
	if (!(bio = BIO_new_mem_buf(text, (int)len)))
		return error_oom();
	k = PEM_read_bio_PrivateKey(bio, NULL, pass_cb, sc);
	BIO_free(bio);
	if (k)
		return add_item(sc, part, NULL, k, 1, 0, NULL);
	if (!encrypted)
		return add_item(sc, part, NULL, NULL, 1, SVC_CERT_UNPARSEABLE,
				"a private key block that does not parse");
	if (buf_printf(&note,
		       "the encrypted private key does not open with the passphrase in field '%s'",
		       sc->pass_field))
		return error_oom();
	rc = add_item(sc, part, NULL, NULL, 1, SVC_CERT_BAD_PASSPHRASE,
		      note.ptr);
	buf_clear(&note);
	return rc;
}

/*
 * Every "-----BEGIN X-----" ... "-----END X-----" block of text; other
 * labels (public keys, parameters, requests) are not material.
 */
static int scan_pem(struct scan *sc, const char *text, size_t len,
		    const char *part)
{
	const char *p = text, *end = text + len;
	int rc = 0;

	ERR_set_mark();
	while (rc == 0 && p < end) {
		const char *b = find_str(p, (size_t)(end - p), "-----BEGIN ");
		const char *l, *le, *e;
		char endline[96];
		size_t ll;

		if (!b)
			break;
		l = b + 11;
		le = find_str(l, (size_t)(end - l), "-----");
		if (!le || (ll = (size_t)(le - l)) > 64)
			break;
		snprintf(endline, sizeof(endline), "-----END %.*s-----",
			 (int)ll, l);
		e = find_str(le, (size_t)(end - le), endline);
		if (!e) {
			if (is_cert_label(l, ll) || is_key_label(l, ll))
				rc = add_item(sc, part, NULL, NULL,
					      is_key_label(l, ll),
					      SVC_CERT_UNPARSEABLE,
					      "a PEM block without its END line");
			break;
		}
		e += strlen(endline);
		if (is_cert_label(l, ll))
			rc = pem_cert(sc, b, (size_t)(e - b), part,
				      ll == 19);
		else if (is_key_label(l, ll))
			rc = pem_key(sc, b, (size_t)(e - b), l, ll, part);
		p = e;
	}
	ERR_pop_to_mark();
	return rc;
}

/* ---- DER, PKCS#12 and base64 ---------------------------------------------- */

/*
 * 1 when the PKCS#12's MAC checks with pass (without one: no password or
 * the empty one, as PKCS12_parse tries); *use is the password that did.
 */
static int p12_opens(PKCS12 *p12, const char *pass, const char **use)
{
	*use = pass;
	if (!PKCS12_mac_present(p12))
		return 1;
	if (pass)
		return PKCS12_verify_mac(p12, pass, -1);
	if (PKCS12_verify_mac(p12, NULL, 0))
		return 1;
	*use = "";
	return PKCS12_verify_mac(p12, "", 0);
}

/* A PKCS#12: its key, certificate and chain, in a group of their own. */
static int scan_p12(struct scan *sc, PKCS12 *p12, const char *part)
{
	svc_buf note = SVC_BUF_INIT;
	EVP_PKEY *k = NULL;
	X509 *x = NULL;
	STACK_OF(X509) *ca = NULL;
	const char *pass = NULL;
	int rc, saved = sc->group;

	sc->group = sc->groups++;
	if (!p12_opens(p12, sc->pass, &pass)) {
		rc = sc->pass ? buf_printf(&note,
					   "the PKCS#12 does not open with the password in field '%s'",
					   sc->pass_field)
			      : buf_puts(&note,
					 "the PKCS#12 needs a password and no password field is set");
		if (rc == 0)
			rc = add_item(sc, part, NULL, NULL, 1,
				      SVC_CERT_BAD_PASSPHRASE, note.ptr);
		goto done;
	}
	if (!PKCS12_parse(p12, pass, &k, &x, &ca)) {
		rc = add_item(sc, part, NULL, NULL, 1, SVC_CERT_UNPARSEABLE,
			      "a PKCS#12 (.pfx) that does not parse (or uses an algorithm OpenSSL 3 does not enable by default)");
		goto done;
	}
	rc = 0;
	if (k) {
		rc = add_item(sc, part, NULL, k, 1, 0, NULL);
		k = NULL;
	}
	if (rc == 0 && x) {
		rc = add_item(sc, part, x, NULL, 0, 0, NULL);
		x = NULL;
	}
	while (rc == 0 && ca && sk_X509_num(ca) > 0)
		rc = add_item(sc, part, sk_X509_shift(ca), NULL, 0, 0, NULL);
done:
	sk_X509_pop_free(ca, X509_free);
	X509_free(x);
	EVP_PKEY_free(k);
	buf_clear(&note);
	sc->group = saved;
	return rc;
}

/* Decoded bytes: PEM text, a PKCS#12, a DER certificate, or not material. */
static int scan_der(struct scan *sc, const unsigned char *d, size_t n,
		    const char *part)
{
	const unsigned char *p = d;
	PKCS12 *p12;
	X509 *x;
	int rc = 0;

	if (n > 0x7fffffff)
		return 0;
	if (find_str((const char *)d, n, "-----BEGIN "))
		return scan_pem(sc, (const char *)d, n, part);
	ERR_set_mark();
	if ((p12 = d2i_PKCS12(NULL, &p, (long)n)) != NULL) {
		rc = scan_p12(sc, p12, part[0] ? part : "pkcs12");
		PKCS12_free(p12);
	} else {
		p = d;
		x = d2i_X509(NULL, &p, (long)n);
		if (x && p == d + n)
			rc = add_item(sc, part, x, NULL, 0, 0, NULL);
		else
			X509_free(x);
	}
	ERR_pop_to_mark();
	return rc;
}

static int base64_decode(svc_buf *out, const char *s, size_t n)
{
	EVP_ENCODE_CTX *ctx;
	int outl = 0, rc = 0;
	size_t off = 0;

	if (!(ctx = EVP_ENCODE_CTX_new()))
		return error_oom();
	EVP_DecodeInit(ctx);
	/* decoded data is at most 3/4 of the input, in chunks */
	while (rc == 0 && off < n) {
		size_t chunk = n - off > 4096 ? 4096 : n - off;

		if ((rc = buf_grow(out, chunk)) != 0)
			break;
		if (EVP_DecodeUpdate(ctx, (unsigned char *)out->ptr + out->len,
				     &outl, (const unsigned char *)s + off,
				     (int)chunk) < 0)
			rc = SVC_EINVALID;
		else
			out->len += (size_t)outl;
		off += chunk;
	}
	if (rc == 0 && (rc = buf_grow(out, 64)) == 0) {
		if (EVP_DecodeFinal(ctx, (unsigned char *)out->ptr + out->len,
				    &outl) < 0)
			rc = SVC_EINVALID;
		else
			out->len += (size_t)outl;
	}
	if (out->ptr)
		out->ptr[out->len] = '\0';
	EVP_ENCODE_CTX_free(ctx);
	return rc;
}

static int scan_b64(struct scan *sc, const char *s, size_t n,
		    const char *part)
{
	svc_buf d;
	int rc;

	buf_init(&d, 0, 1);
	rc = base64_decode(&d, s, n);
	if (rc == SVC_EINVALID) {
		rc = 0; /* not base64: not material (the validator speaks) */
	} else if (rc == 0 && d.len) {
		rc = scan_der(sc, (const unsigned char *)d.ptr, d.len, part);
	}
	buf_clear(&d);
	return rc;
}

/* ---- kubeconfig ------------------------------------------------------------ */

/* The entry of list (a sequence of {name, key: {...}}) called name. */
static const ynode *named(const ynode *list, const char *name)
{
	size_t i;

	for (i = 0; list && list->kind == YNODE_SEQ && i < list->n; i++)
		if (ynode_is(ynode_get(list->items[i], "name"), name))
			return list->items[i];
	return NULL;
}

/* The base64 entries keys[] of each inner map of list (only want's). */
static int kube_list(struct scan *sc, const ynode *root, const char *list,
		     const char *inner, const char *want,
		     const char *const *keys, size_t nkeys)
{
	const ynode *l = ynode_get(root, list), *e, *m, *v;
	svc_buf part = SVC_BUF_INIT;
	size_t i, k;
	int rc = 0;

	for (i = 0; rc == 0 && l && l->kind == YNODE_SEQ && i < l->n; i++) {
		e = l->items[i];
		if (want && !ynode_is(ynode_get(e, "name"), want))
			continue;
		if (!(m = ynode_get(e, inner)) || m->kind != YNODE_MAP)
			continue;
		v = ynode_get(e, "name");
		sc->group = sc->groups++;
		for (k = 0; rc == 0 && k < nkeys; k++) {
			const ynode *d = ynode_get(m, keys[k]);

			if (!d || d->kind != YNODE_SCALAR)
				continue;
			buf_reset(&part);
			if ((rc = buf_printf(&part, "%s[%s].%s", list,
					     v && v->scalar ? v->scalar : "",
					     keys[k])) == 0)
				rc = scan_b64(sc, d->scalar, d->len, part.ptr);
		}
	}
	buf_clear(&part);
	sc->group = 0;
	return rc;
}

static int scan_kubeconfig(struct scan *sc, const char *text, size_t len,
			   const char *context)
{
	static const char *const user_keys[] = {
		"client-certificate-data", "client-key-data"
	};
	static const char *const cluster_keys[] = {
		"certificate-authority-data"
	};
	const ynode *ctx = NULL, *cm = NULL;
	const char *user = NULL, *cluster = NULL;
	svc_diags *diags = NULL;
	ydoc *doc = NULL;
	int rc;

	if ((rc = svc_diags_new(&diags)) != 0)
		return rc;
	if (ydoc_parse(&doc, sc->field, text, len, NULL, diags) != 0 ||
	    !doc->root || doc->root->kind != YNODE_MAP) {
		rc = 0; /* the validator reports a broken kubeconfig */
		goto done;
	}
	if (!context) {
		const ynode *cur = ynode_get(doc->root, "current-context");

		if (cur && cur->kind == YNODE_SCALAR && cur->len)
			context = cur->scalar;
	}
	if (context)
		ctx = named(ynode_get(doc->root, "contexts"), context);
	if (ctx && (cm = ynode_get(ctx, "context")) != NULL) {
		const ynode *u = ynode_get(cm, "user"),
			    *c = ynode_get(cm, "cluster");

		user = u && u->kind == YNODE_SCALAR ? u->scalar : NULL;
		cluster = c && c->kind == YNODE_SCALAR ? c->scalar : NULL;
	}
	rc = kube_list(sc, doc->root, "users", "user", user, user_keys, 2);
	if (rc == 0)
		rc = kube_list(sc, doc->root, "clusters", "cluster", cluster,
			       cluster_keys, 1);
done:
	ydoc_free(doc);
	svc_diags_free(diags);
	return rc;
}

/* ---- pairing, expiry, words --------------------------------------------- */

/* Pair the keys of each group with certificates (top of the file). */
static void pair(svc_cert_report *r)
{
	size_t n, i, j;
	struct item *it = items_of(r, &n);

	for (i = 0; i < n; i++) {
		struct item *cand = NULL;
		int matched = 0;

		if (!it[i].key)
			continue;
		for (j = 0; j < n && !matched; j++)
			if (it[j].cert && it[j].group == it[i].group &&
			    EVP_PKEY_eq(X509_get0_pubkey(it[j].cert),
					it[i].key) == 1)
				matched = 1;
		if (matched)
			continue;
		for (j = 0; j < n; j++) {
			if (!it[j].cert || it[j].group != it[i].group ||
			    X509_check_ca(it[j].cert) != 0)
				continue;
			if (!cand || (strcmp(it[j].pub.field,
					     it[i].pub.field) == 0 &&
				      strcmp(cand->pub.field,
					     it[i].pub.field) != 0))
				cand = &it[j];
		}
		if (cand) {
			cand->pub.problems |= SVC_CERT_KEY_MISMATCH;
			cand->mismatch = it[i].pub.field;
			continue;
		}
		/* only CA certificates beside it: the key is the odd one
		 * (unless a certificate of the group did not parse: that is
		 * reported already) */
		for (j = 0; j < n; j++)
			if (it[j].group == it[i].group && !it[j].pub.is_key &&
			    !it[j].cert)
				break;
		if (j < n)
			continue;
		for (j = 0; j < n; j++)
			if (it[j].cert && it[j].group == it[i].group)
				it[i].pub.problems |= SVC_CERT_KEY_MISMATCH;
	}
}

static void day_string(char out[16], long long t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, 16, "%Y-%m-%d", &tm);
}

/* Subject, dates and expiry problems of a certificate item. */
static int cert_facts(struct item *it, time_t now, long long within)
{
	const ASN1_TIME *na = X509_get0_notAfter(it->cert);
	svc_buf subj = SVC_BUF_INIT;
	BIO *bio;
	struct tm tm;
	long long left;
	char *mem = NULL;
	long mlen;

	it->pub.is_ca = X509_check_ca(it->cert) != 0;
	if (!(bio = BIO_new(BIO_s_mem())))
		return error_oom();
	X509_NAME_print_ex(bio, X509_get_subject_name(it->cert), 0,
			   XN_FLAG_RFC2253);
	mlen = BIO_get_mem_data(bio, &mem);
	if (buf_put(&subj, mem ? mem : "", mlen > 0 ? (size_t)mlen : 0) ||
	    buf_putc(&subj, '\0')) {
		BIO_free(bio);
		buf_clear(&subj);
		return error_oom();
	}
	BIO_free(bio);
	it->pub.subject = buf_detach(&subj, NULL);
	memset(&tm, 0, sizeof(tm));
	if (!na || !ASN1_TIME_to_tm(na, &tm))
		return 0;
	it->pub.not_after = (long long)timegm(&tm);
	left = it->pub.not_after - (long long)now;
	it->pub.days_left = certs_days(left);
	if (left <= 0)
		it->pub.problems |= SVC_CERT_EXPIRED;
	else if (left <= within)
		it->pub.problems |= SVC_CERT_EXPIRING;
	return 0;
}

/* The problems of an item in words. */
static int words(struct item *it)
{
	svc_buf m = SVC_BUF_INIT;
	char day[16];
	int rc = 0;
	long long d = it->pub.days_left;

	day_string(day, it->pub.not_after);
	if (it->pub.problems & SVC_CERT_EXPIRED)
		rc = buf_printf(&m, "expired on %s (%lld day%s ago)", day, -d,
				d == -1 ? "" : "s");
	else if (it->pub.problems & SVC_CERT_EXPIRING)
		rc = buf_printf(&m, "expires on %s (in %lld day%s)", day, d,
				d == 1 ? "" : "s");
	if (rc == 0 && (it->pub.problems & SVC_CERT_KEY_MISMATCH))
		rc = it->mismatch
			? buf_printf(&m, "%sdoes not match the private key in field '%s'",
				     m.len ? "; " : "", it->mismatch)
			: buf_printf(&m, "%sthe private key matches no certificate of the connection (only CA certificates)",
				     m.len ? "; " : "");
	if (rc == 0 && it->note)
		rc = buf_printf(&m, "%s%s", m.len ? "; " : "", it->note);
	if (rc) {
		buf_clear(&m);
		return rc;
	}
	it->pub.message = buf_detach(&m, NULL);
	return 0;
}

/* ---- the report ------------------------------------------------------------ */

static int scan_field(struct scan *sc, const svc_conn_field *f,
		      const svc_field *cf)
{
	svc_conn_field ctxf;
	const char *context = NULL;

	if (!f->value) {
		sc->r->incomplete = 1;
		return 0;
	}
	sc->field = f->key;
	sc->group = 0;
	find_pass(sc, f->key);
	switch (cf->validator) {
	case SVC_VALID_PEM:
		return scan_pem(sc, f->value, f->len, "");
	case SVC_VALID_BASE64:
		return scan_b64(sc, f->value, f->len, "");
	case SVC_VALID_KUBECONFIG:
		if (cf->validator_arg &&
		    svc_conn_field_get(sc->c, cf->validator_arg, &ctxf) == 0 &&
		    ctxf.value && *ctxf.value)
			context = ctxf.value;
		return scan_kubeconfig(sc, f->value, f->len, context);
	default:
		return 0;
	}
}

int svc_certs_check(svc_cert_report **out, const svc_conn *c,
		    const svc_catalog *cat, const svc_certs_options *opts)
{
	long long within = opts && opts->within > 0 ? opts->within
						    : DEFAULT_WITHIN;
	struct scan sc;
	struct item *it;
	svc_conn_field f;
	time_t now;
	size_t i, n;
	int rc;

	memset(&sc, 0, sizeof(sc));
	if ((rc = clock_now(&now)) != 0)
		return rc;
	if (!(sc.r = calloc(1, sizeof(*sc.r))))
		return error_oom();
	buf_init(&sc.r->items, 0, 0);
	sc.c = c;
	sc.groups = 1;
	sc.t = svc_catalog_find(cat, svc_conn_type(c));
	sc.s = sc.t && svc_conn_scheme(c)
		       ? svc_type_scheme(sc.t, svc_conn_scheme(c)) : NULL;
	n = sc.s ? svc_conn_field_count(c) : 0;
	for (i = 0; i < n && rc == 0; i++) {
		const svc_field *cf;

		if (svc_conn_field_at(c, i, &f) != 0 || !f.is_set ||
		    !(cf = svc_type_field(sc.t, sc.s, f.key)))
			continue;
		rc = scan_field(&sc, &f, cf);
	}
	if (rc == 0)
		pair(sc.r);
	it = items_of(sc.r, &n);
	for (i = 0; i < n && rc == 0; i++)
		if ((!it[i].cert || (rc = cert_facts(&it[i], now, within)) == 0))
			rc = words(&it[i]);
	if (rc) {
		svc_cert_report_free(sc.r);
		return rc;
	}
	*out = sc.r;
	return 0;
}

void svc_cert_report_free(svc_cert_report *r)
{
	struct item *it;
	size_t n, i;

	if (!r)
		return;
	it = items_of(r, &n);
	for (i = 0; i < n; i++) {
		X509_free(it[i].cert);
		EVP_PKEY_free(it[i].key);
		free((char *)it[i].pub.field);
		free((char *)it[i].pub.part);
		free((char *)it[i].pub.subject);
		free((char *)it[i].pub.message);
		free(it[i].note);
	}
	buf_clear(&r->items);
	free(r);
}

size_t svc_cert_report_count(const svc_cert_report *r)
{
	size_t n = 0;

	if (r)
		items_of(r, &n);
	return n;
}

const svc_cert_item *svc_cert_report_at(const svc_cert_report *r, size_t i)
{
	size_t n;
	struct item *it;

	if (!r)
		return NULL;
	it = items_of(r, &n);
	return i < n ? &it[i].pub : NULL;
}

size_t svc_cert_report_with(const svc_cert_report *r, unsigned mask)
{
	size_t i, k = 0, n = svc_cert_report_count(r);

	for (i = 0; i < n; i++)
		if (svc_cert_report_at(r, i)->problems & mask)
			k++;
	return k;
}

const svc_cert_item *svc_cert_report_earliest(const svc_cert_report *r)
{
	const svc_cert_item *best = NULL, *it;
	size_t i, n = svc_cert_report_count(r);

	for (i = 0; i < n; i++) {
		it = svc_cert_report_at(r, i);
		if (!it->is_key && it->not_after &&
		    (!best || it->not_after < best->not_after))
			best = it;
	}
	return best;
}

int svc_cert_report_incomplete(const svc_cert_report *r)
{
	return r ? r->incomplete : 0;
}
