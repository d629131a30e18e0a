/*
 * ops_conn.c - the verbs on connections: create, get (with or without
 * secrets), list, update, rename, delete, import, export; and the
 * store-wide ones: rekey, migrate, the audit log, the usage history.
 *
 * Each checks the principal's role first and changes the store under its
 * audit name; a refusal changes nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "ops/ops_int.h"
#include "store/store_int.h"
#include "svcconn/exchange.h"
#include "svcconn/secret.h"
#include "errors_int.h"

int svc_ops_store_init(const svc_store_options *opts, const svc_principal *p)
{
	return store_init_as(opts, svc_principal_name(p),
			     svc_principal_audit_name(p));
}

int svc_ops_conn_create(svc_store *st, const svc_principal *p, svc_conn *c)
{
	int rc = ops_require(st, p, NULL, SVC_ROLE_CREATOR);

	return rc ? rc : store_conn_create_as(st, c, svc_principal_name(p),
					      svc_principal_audit_name(p));
}

int svc_ops_conn_get(svc_conn **out, svc_store *st, const svc_principal *p,
		     const char *name_or_id, unsigned flags)
{
	svc_conn *c = NULL;
	int rc;

	if (flags & SVC_GET_UNVERIFIED)
		return error_set(SVC_EINVALID,
				 "connections are read verified through ops");
	if ((rc = ops_enter(st, p)))
		return rc;
	/* loaded as asked first, so that a connection that cannot be read
	 * says why to anyone; the secrets are wiped when it is refused */
	if ((rc = svc_store_conn_get(&c, st, name_or_id, flags)))
		return rc;
	if ((rc = ops_require(st, p, c, flags & SVC_GET_SECRETS
					? SVC_ROLE_ADMIN : SVC_ROLE_READER)) ||
	    (rc = ops_conn_as_seen(st, c))) {
		svc_conn_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

int svc_ops_conn_edit(svc_conn **out, svc_store *st, const svc_principal *p,
		      const char *name_or_id)
{
	return ops_conn(out, st, p, name_or_id, SVC_ROLE_ADMIN);
}

int svc_ops_conn_list(svc_conn ***out, size_t *count, svc_store *st,
		      const svc_principal *p)
{
	svc_conn **l = NULL;
	authz_actor *a = NULL;
	svc_role *have = NULL;
	size_t n = 0, i, k = 0;
	int rc = ops_enter(st, p);

	/* one read transaction for the list and every role check on it */
	if (rc || (rc = store_read_hold(st)) != 0)
		return rc;
	if ((rc = svc_store_conn_list(&l, &n, st)) != 0) {
		store_read_release(st);
		return rc;
	}
	/* p's groups and store and project roles looked up once, the
	 * roles on every connection in one walk; a principal whose roles
	 * cannot be looked up (or not a user) sees nothing */
	if (n && (ops_role_actor(&a, st, p) != 0 ||
		  !(have = calloc(n, sizeof(*have))) ||
		  authz_actor_roles(have, a, st, l, n) != 0)) {
		authz_actor_free(a);
		a = NULL;
	}
	for (i = 0; i < n; i++) {
		/* the project's own, and those shared into it under
		 * their name there (svc_store_conn_list) */
		if (a && authz_role_enough(1, have[i], SVC_ROLE_READER)) {
			l[k++] = l[i];
			continue;
		}
		svc_conn_free(l[i]); /* not this principal's to see */
		l[i] = NULL;
	}
	free(have);
	authz_actor_free(a);
	store_read_release(st);
	svc_error_clear();
	*out = l;
	*count = k;
	return 0;
}

int svc_ops_conn_update(svc_store *st, const svc_principal *p, svc_conn *c)
{
	svc_conn *stored = NULL;
	int rc;

	/* the role on what is stored under c's id, not on c's claims */
	if (!svc_conn_id(c))
		return error_set(SVC_EINVALID, "connection '%s' has no id",
				 svc_conn_name(c));
	if ((rc = ops_conn(&stored, st, p, svc_conn_id(c), SVC_ROLE_ADMIN)))
		return rc;
	svc_conn_free(stored);
	return svc_store_conn_update(st, c, svc_principal_audit_name(p));
}

int svc_ops_conn_rename(svc_store *st, const svc_principal *p,
			const char *name_or_id, const char *new_name)
{
	svc_conn *c = NULL;
	int rc;

	if ((rc = ops_conn(&c, st, p, name_or_id, SVC_ROLE_ADMIN)))
		return rc;
	svc_conn_free(c);
	return svc_store_conn_rename(st, name_or_id, new_name,
				     svc_principal_audit_name(p));
}

int svc_ops_conn_delete(svc_store *st, const svc_principal *p,
			const char *name_or_id)
{
	svc_conn *c = NULL;
	int rc;

	/* unverified: a connection refused as tampered can still be
	 * removed; only its id is used, for the role check */
	if ((rc = ops_enter(st, p)))
		return rc;
	rc = svc_store_conn_get(&c, st, name_or_id, SVC_GET_UNVERIFIED);
	if (rc == 0)
		rc = ops_require(st, p, c, SVC_ROLE_ADMIN);
	else if (rc == SVC_ENOTFOUND && svc_is_uuid(name_or_id))
		/* maybe one removed from the store without the key: the
		 * store tells; only the store's administrator may ask */
		rc = ops_require(st, p, NULL, SVC_ROLE_ADMIN);
	svc_conn_free(c);
	return rc ? rc : svc_store_conn_delete(st, name_or_id,
					       svc_principal_audit_name(p));
}

int svc_ops_conn_import(svc_store *st, const svc_principal *p,
			svc_conn **conns, size_t count, unsigned flags)
{
	size_t i;
	int rc;

	if ((rc = ops_require(st, p, NULL, SVC_ROLE_CREATOR)))
		return rc;
	for (i = 0; (flags & SVC_IMPORT_REPLACE) && i < count; i++) {
		svc_conn *old = NULL;

		if (svc_store_conn_get(&old, st, svc_conn_name(conns[i]), 0))
			continue;
		rc = ops_require(st, p, old, SVC_ROLE_ADMIN);
		svc_conn_free(old);
		if (rc)
			return rc;
	}
	svc_error_clear();
	return store_conn_import_as(st, conns, count, svc_principal_name(p),
				    svc_principal_audit_name(p), flags);
}

/* Free n connections and the array. */
static void conns_free(svc_conn **c, size_t n)
{
	size_t i;

	for (i = 0; c && i < n; i++)
		svc_conn_free(c[i]);
	free(c);
}

int svc_ops_export(char **text, size_t *len, size_t *count, svc_store *st,
		   const svc_principal *p, const char *const *names,
		   size_t nnames, unsigned flags)
{
	unsigned get = flags & SVC_EXPORT_SECRETS ? SVC_GET_SECRETS : 0;
	svc_role need = get ? SVC_ROLE_ADMIN : SVC_ROLE_READER;
	svc_conn **conns = NULL, **all = NULL;
	size_t n = 0, nall = 0, i;
	int rc = 0;

	if ((rc = ops_enter(st, p)) ||
	    (!names && (rc = svc_store_conn_list(&all, &nall, st))))
		return rc;
	if (!names) {
		/* every connection of the project: one that may not be
		 * read refuses it all */
		for (i = 0; i < nall && !rc; i++)
			rc = ops_role_check(st, p, all[i], need);
		if (rc)
			goto done;
	}
	nnames = names ? nnames : nall;
	if (!(conns = calloc(nnames ? nnames : 1, sizeof(*conns)))) {
		rc = error_oom();
		goto done;
	}
	for (n = 0; n < nnames; n++)
		if ((rc = svc_ops_conn_get(&conns[n], st, p,
					   names ? names[n] : svc_conn_id(all[n]),
					   get)))
			goto done;
	if ((rc = svc_export_yaml(text, len, conns, n, flags)) == 0)
		*count = n;
done:
	conns_free(conns, n);
	svc_store_conn_list_free(all, nall);
	return rc;
}

int svc_ops_rekey(svc_store *st, const svc_principal *p)
{
	int rc = ops_require(st, p, NULL, SVC_ROLE_ADMIN);

	return rc ? rc : svc_store_rekey(st, svc_principal_audit_name(p));
}

int svc_ops_store_migrate(svc_migrate_table **out, size_t *count,
			  svc_store *st, const svc_principal *p,
			  const char *to)
{
	int rc = ops_require(st, p, NULL, SVC_ROLE_ADMIN);

	return rc ? rc : store_migrate(out, count, st, to);
}

int svc_ops_audit(svc_audit_list **out, svc_store *st, const svc_principal *p,
		  size_t limit)
{
	svc_audit_filter f;

	memset(&f, 0, sizeof(f));
	f.version = SVC_AUDIT_FILTER_VERSION;
	f.limit = limit;
	return svc_ops_audit_query(out, st, p, &f);
}

int svc_ops_audit_query(svc_audit_list **out, svc_store *st,
			const svc_principal *p, const svc_audit_filter *f)
{
	int rc = ops_require(st, p, NULL, SVC_ROLE_ADMIN);

	return rc ? rc : svc_store_audit_query(out, st, f);
}

int svc_ops_usage_list(svc_usage **out, size_t *count, svc_store *st,
		       const svc_principal *p, const char *name_or_id,
		       size_t limit)
{
	svc_conn *c = NULL;
	int rc;

	if ((rc = ops_conn(&c, st, p, name_or_id, SVC_ROLE_READER)))
		return rc;
	rc = svc_store_usage_list(out, count, st, svc_conn_id(c), limit);
	svc_conn_free(c);
	return rc;
}
