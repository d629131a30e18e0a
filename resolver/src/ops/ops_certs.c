/*
 * ops_certs.c - the verbs that read secrets to check them: certificate
 * checks and expiry, verification with a real call; and installing and
 * removing custom types in the store's directory.
 *
 * Verification uses a connection's secrets without revealing them, which
 * is a User's right; checking a connection before it is stored needs the
 * right to store it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "ops/ops_int.h"
#include "store/store_int.h"
#include "errors_int.h"

int svc_ops_conn_list_expiry(svc_conn ***conns, size_t *nconns,
			     svc_cert_expiry **exp, size_t *nexp,
			     svc_store *st, const svc_principal *p)
{
	svc_cert_expiry *l = NULL;
	svc_conn **cl = NULL;
	size_t n = 0, nc = 0, i, j, k = 0;
	int rc;

	/* the connections p may read, decided once; their expiries follow */
	if ((rc = svc_ops_conn_list(&cl, &nc, st, p)) ||
	    (rc = svc_store_cert_expiry_list(&l, &n, st)))
		goto done;
	/* keep the entries of the connections p may read; the list is
	 * ordered by name, so the readable one is near where the last was */
	for (i = 0, j = 0; i < n; i++) {
		size_t tries;

		for (tries = 0; tries < nc; tries++, j = (j + 1) % nc)
			if (!strcmp(svc_conn_id(cl[j]), l[i].conn_id))
				break;
		if (nc && tries < nc) {
			svc_cert_expiry keep = l[i];

			l[i] = l[k];
			l[k++] = keep;
		}
	}
	if (k < n) {
		/* the entries dropped go to a list of their own, freed */
		svc_cert_expiry *tail = malloc((n - k) * sizeof(*tail));

		if (!tail) {
			rc = error_oom();
			goto done;
		}
		memcpy(tail, l + k, (n - k) * sizeof(*tail));
		svc_cert_expiry_list_free(tail, n - k);
		n = k;
	}
	*exp = l;
	*nexp = k;
	l = NULL;
	if (conns) {
		*conns = cl;
		*nconns = nc;
		cl = NULL;
	}
done:
	svc_cert_expiry_list_free(l, n);
	svc_store_conn_list_free(cl, nc);
	return rc;
}

int svc_ops_cert_expiry_list(svc_cert_expiry **out, size_t *count,
			     svc_store *st, const svc_principal *p)
{
	return svc_ops_conn_list_expiry(NULL, NULL, out, count, st, p);
}

int svc_ops_cert_rescan(size_t *scanned, svc_store *st,
			const svc_principal *p, const svc_catalog *cat)
{
	int rc = ops_require(st, p, NULL, SVC_ROLE_ADMIN);

	return rc ? rc : svc_store_cert_rescan(scanned, st, cat,
					       svc_principal_audit_name(p));
}

int svc_ops_certs_check(svc_cert_report **out, svc_store *st,
			const svc_principal *p, const svc_conn *c,
			const svc_catalog *cat)
{
	int rc = ops_require_candidate(st, p, c);

	return rc ? rc : svc_certs_check_stored(out, st, c, cat, NULL);
}

/*
 * A copy of c with every secret that is set but not loaded (an edit that
 * did not replace it) read from the stored connection.
 */
static int with_stored_secrets(svc_conn **out, svc_store *st,
			       const svc_conn *c)
{
	svc_conn *full = NULL, *stored = NULL;
	svc_conn_field f, sf;
	size_t i;
	int rc;

	if ((rc = svc_conn_dup(&full, c)))
		return rc;
	for (i = 0; i < svc_conn_field_count(full); i++) {
		svc_conn_field_at(full, i, &f);
		if (f.value || !f.is_set)
			continue;
		if (!stored && (rc = svc_store_conn_get(&stored, st,
							svc_conn_id(c),
							SVC_GET_SECRETS)))
			goto fail;
		if (svc_conn_field_get(stored, f.key, &sf) == 0 && sf.value &&
		    (rc = svc_conn_set_field(full, f.key, sf.value, sf.len)))
			goto fail;
	}
	svc_conn_free(stored);
	*out = full;
	return 0;
fail:
	svc_conn_free(stored);
	svc_conn_free(full);
	return rc;
}

int ops_verify_candidate_load(svc_conn **full, svc_store *st,
			      const svc_principal *p, const svc_conn *c)
{
	int rc = ops_require_candidate(st, p, c);

	return rc ? rc : with_stored_secrets(full, st, c);
}

int svc_ops_verify_candidate(svc_verify_result *out, svc_store *st,
			     const svc_principal *p, const svc_conn *c,
			     const svc_catalog *cat)
{
	svc_conn *full = NULL;
	int rc;

	if ((rc = ops_verify_candidate_load(&full, st, p, c)))
		return rc;
	rc = svc_verify(out, cat, full, NULL);
	svc_conn_free(full);
	return rc;
}

void ops_verify_record(svc_store *st, const svc_principal *p,
		       const svc_conn *c, const svc_verify_result *r)
{
	json_t *d = json_pack("{s:s, s:i}", "outcome",
			      svc_verify_outcome_name(r->outcome),
			      "httpStatus", r->http_status);
	char *s = d ? json_dumps(d, JSON_COMPACT) : NULL;

	/* a record that cannot be written does not change the answer */
	if (s)
		(void)svc_store_audit_add(st, svc_principal_audit_name(p),
					  "verify", svc_conn_id(c),
					  svc_conn_name(c), s);
	free(s);
	json_decref(d);
}

/* Store the SSH server's host keys in c's (and full's) hostKey field. */
static int pin_host_key(char **pinned, svc_store *st, const svc_principal *p,
			svc_conn *c, svc_conn *full)
{
	char *keys = NULL;
	int rc;

	if (strcmp(svc_conn_type(c), "ssh") != 0)
		return error_set(SVC_EINVALID, "--pin-host-key is for SSH "
				 "connections ('%s' is of type '%s')",
				 svc_conn_name(c), svc_conn_type(c));
	if ((rc = ops_require(st, p, c, SVC_ROLE_ADMIN)) ||
	    (rc = svc_verify_ssh_host_keys(&keys, full, NULL)))
		return rc;
	if ((rc = svc_conn_set_field(c, "hostKey", keys, strlen(keys))) ||
	    (rc = svc_conn_set_field(full, "hostKey", keys, strlen(keys))) ||
	    (rc = svc_store_conn_update(st, c, svc_principal_audit_name(p)))) {
		free(keys);
		return rc;
	}
	if (pinned)
		*pinned = keys;
	else
		free(keys);
	return 0;
}

int ops_verify_load(svc_conn **conn, svc_conn **secrets, char **pinned,
		    svc_store *st, const svc_principal *p,
		    const char *name_or_id, unsigned flags)
{
	svc_conn *c = NULL, *full = NULL;
	char *keys = NULL;
	int rc;

	/* using the credentials is a User's right; they are never shown */
	if ((rc = ops_conn(&c, st, p, name_or_id, SVC_ROLE_USER)) ||
	    (rc = svc_store_conn_get(&full, st, svc_conn_id(c),
				     SVC_GET_SECRETS)))
		goto fail;
	if ((flags & SVC_OPS_PIN_HOST_KEY) &&
	    (rc = pin_host_key(&keys, st, p, c, full)))
		goto fail;
	*conn = c;
	*secrets = full;
	*pinned = keys;
	return 0;
fail:
	free(keys);
	svc_conn_free(full);
	svc_conn_free(c);
	return rc;
}

int svc_ops_verify(svc_verify_result *out, svc_conn **conn, char **pinned,
		   svc_store *st, const svc_principal *p,
		   const svc_catalog *cat, const char *name_or_id,
		   unsigned flags)
{
	svc_conn *c = NULL, *full = NULL;
	char *keys = NULL;
	int rc;

	if ((rc = ops_verify_load(&c, &full, &keys, st, p, name_or_id,
				  flags)))
		return rc;
	if ((rc = svc_verify(out, cat, full, NULL)))
		goto done;
	ops_verify_record(st, p, c, out);
	if (conn) {
		*conn = c;
		c = NULL;
	}
	if (pinned) {
		*pinned = keys;
		keys = NULL;
	}
done:
	free(keys);
	svc_conn_free(full);
	svc_conn_free(c);
	return rc;
}

int svc_ops_type_install(char **id, char **dest, svc_store *st,
			 const svc_principal *p, const char *file,
			 int replace, svc_diags *diags)
{
	int rc = ops_require(st, p, NULL, SVC_ROLE_ADMIN);

	return rc ? rc : svc_catalog_install(id, dest, file, svc_store_home(st),
					     replace, diags);
}

int svc_ops_type_remove(svc_store *st, const svc_principal *p,
			const svc_catalog *cat, const char *id)
{
	svc_conn **list = NULL;
	const svc_type *t;
	size_t n = 0, i, inuse = 0;
	char names[512] = "";
	int rc;

	/* a type is in use when a connection of any project uses it */
	if ((rc = ops_require(st, p, NULL, SVC_ROLE_ADMIN)) ||
	    (rc = store_conn_list(&list, &n, st, 1)))
		return rc;
	t = svc_catalog_find(cat, id);
	if (!t || !svc_type_is_custom(t)) {
		rc = t ? error_set(SVC_EDENIED, "'%s' is a built-in type", id)
		       : error_set(SVC_ENOTFOUND, "unknown connection type '%s'", id);
		goto done;
	}
	for (i = 0; i < n; i++) {
		size_t at = strlen(names);

		if (strcasecmp(svc_conn_type(list[i]), t->id) != 0)
			continue;
		if (inuse++ < 5)
			snprintf(names + at, sizeof(names) - at, "%s'%s'",
				 at ? ", " : "", svc_conn_name(list[i]));
	}
	if (inuse) {
		rc = error_set(SVC_EDENIED, "type '%s' is used by %zu connection%s (%s%s): delete %s before removing the type",
			       t->id, inuse, inuse == 1 ? "" : "s", names,
			       inuse > 5 ? ", ..." : "", inuse == 1 ? "it" : "them");
		goto done;
	}
	rc = svc_catalog_uninstall(t->id, svc_store_home(st));
	if (rc == SVC_ENOTFOUND)
		rc = error_set(rc, "type '%s' is defined in %s, not installed with 'svcconn types add': remove that file, or its directory from SVCCONN_TYPES_PATH",
			       t->id, t->source);
done:
	svc_store_conn_list_free(list, n);
	return rc;
}
