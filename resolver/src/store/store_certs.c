/*
 * store_certs.c - the store's record of certificate expiry.
 *
 * Whenever store.c writes a connection (create, edit, import) it calls
 * store_expiry_record() inside the same write transaction: the
 * connection's certificates are checked (certs.c) and the earliest
 * notAfter and its field are kept in the clear, beside the connection, so
 * that `svcconn list` and `svcconn expiring` never decrypt a secret.  A
 * connection handed over without its secrets loaded (edit loads none) has
 * them opened from their stored ciphertext for the check, and wiped with
 * the copy.  Rescan does the same for every connection, for stores made
 * before the record existed.
 */
#include <stdlib.h>
#include <string.h>

#include "svcconn/certs.h"
#include "errors_int.h"
#include "certs/certs_int.h"
#include "util/clock.h"
#include "store/store_gitcred.h"
#include "store/store_int.h"
#include "store/store_write.h"

/* The decrypting walk that fills only the fields set but not loaded. */
struct fill_ctx {
	svc_store *st;  /**< the store (its key) */
	svc_conn *c;    /**< the copy being filled */
};

static int fill_one(void *p, const store_sealed *s)
{
	struct fill_ctx *x = p;
	svc_conn_field f;

	if (svc_conn_field_get(x->c, s->key, &f) != 0 || !f.is_set || f.value)
		return 0;
	return store_open_into(x->st, x->c, s);
}

/*
 * Check c; when a field that may hold material is set but not loaded,
 * check a copy with the stored values of connection id opened (inside a
 * transaction that sees them).
 */
static int check_filled(svc_cert_report **out, svc_store *st,
			const svc_conn *c, const char *id,
			const svc_catalog *cat, const svc_certs_options *o)
{
	struct fill_ctx x;
	svc_cert_report *r = NULL;
	int rc;

	if ((rc = svc_certs_check(&r, c, cat, o)) != 0)
		return rc;
	if (!svc_cert_report_incomplete(r) || !id || !*id) {
		*out = r;
		return 0;
	}
	svc_cert_report_free(r);
	x.st = st;
	if ((rc = svc_conn_dup(&x.c, c)) != 0)
		return rc;
	if ((rc = st->ops->secrets_get(st->be, id, fill_one, &x)) == 0)
		rc = svc_certs_check(out, x.c, cat, o);
	svc_conn_free(x.c);
	return rc;
}

/* Record the report's earliest expiry for id (unknown if incomplete). */
static int record(svc_store *st, const char *id, const svc_cert_report *r,
		  const char *now)
{
	const svc_cert_item *e = svc_cert_report_earliest(r);

	if (svc_cert_report_incomplete(r))
		return st->ops->expiry_put(st->be, id, NULL, 0, NULL);
	return st->ops->expiry_put(st->be, id, e ? e->field : NULL,
				   e ? e->not_after : 0, now);
}

int store_expiry_record(svc_store *st, const svc_conn *c, const char *id,
			const char *now)
{
	svc_cert_report *r = NULL;
	int rc;

	/* one catalog per open store: not its type directories per create */
	if (!st->catalog && (rc = svc_catalog_new(&st->catalog)) != 0)
		return rc;
	if ((rc = check_filled(&r, st, c, id, st->catalog, NULL)) == 0)
		rc = record(st, id, r, now);
	svc_cert_report_free(r);
	return rc;
}

int svc_certs_check_stored(svc_cert_report **out, svc_store *st,
			   const svc_conn *c, const svc_catalog *cat,
			   const svc_certs_options *opts)
{
	int rc;

	if ((rc = store_tx_read_key(st)) != 0)
		return rc;
	return store_tx_end(st, check_filled(out, st, c, svc_conn_id(c), cat,
					     opts));
}

int svc_store_cert_expiry_list(svc_cert_expiry **out, size_t *count,
			       svc_store *st)
{
	svc_cert_expiry *l = NULL;
	size_t n = 0, i;
	time_t now;
	int rc;

	if ((rc = clock_now(&now)) != 0 || (rc = store_tx_read(st)) != 0)
		return rc;
	if ((rc = store_tx_end(st, st->ops->expiry_list(&l, &n, st->be))) != 0)
		return rc;
	for (i = 0; i < n; i++) {
		if (!l[i].field)
			continue;
		l[i].seconds_left = l[i].not_after - (long long)now;
		l[i].days_left = certs_days(l[i].seconds_left);
		l[i].expired = l[i].seconds_left <= 0;
	}
	*out = l;
	*count = n;
	return 0;
}

void svc_cert_expiry_list_free(svc_cert_expiry *list, size_t count)
{
	size_t i;

	if (!list)
		return;
	for (i = 0; i < count; i++) {
		free((char *)list[i].conn_id);
		free((char *)list[i].name);
		free((char *)list[i].type);
		free((char *)list[i].field);
		free((char *)list[i].checked_at);
	}
	free(list);
}

/* Inside the write transaction: check and record every connection. */
static int rescan_tx(size_t *n, svc_store *st, const svc_catalog *cat,
		     const char *now)
{
	svc_conn **list = NULL;
	svc_cert_report *r;
	size_t count = 0, i;
	int rc;

	if ((rc = st->ops->conn_list(&list, &count, st->be)) != 0)
		return rc;
	for (i = 0; i < count && rc == 0; i++) {
		r = NULL;
		rc = check_filled(&r, st, list[i], svc_conn_id(list[i]), cat,
				  NULL);
		if (rc == 0)
			rc = record(st, svc_conn_id(list[i]), r, now);
		svc_cert_report_free(r);
	}
	svc_store_conn_list_free(list, count);
	*n = count;
	return rc;
}

int svc_store_cert_rescan(size_t *scanned, svc_store *st,
			  const svc_catalog *cat, const char *actor)
{
	const char *who = store_actor(actor);
	char now[32];
	size_t n = 0;
	int rc;

	if ((rc = store_now_iso(now)) != 0 || (rc = store_tx_write(st)) != 0)
		return rc;
	if ((rc = rescan_tx(&n, st, cat, now)) == 0)
		rc = store_audit(st, now, who, "cert-rescan", "", "",
				 json_pack("{s:I}", "connections",
					   (json_int_t)n));
	if ((rc = store_tx_end(st, rc)) == 0 && scanned)
		*scanned = n;
	return rc;
}
