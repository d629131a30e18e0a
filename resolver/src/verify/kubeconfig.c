/*
 * kubeconfig.c - one context of a kubeconfig, resolved (see kubeconfig.h).
 *
 * The document is read with ydoc_parse() (limits against hostile input);
 * the context is looked up by name in contexts[], then its cluster in
 * clusters[] and its user in users[].  Every error names the kubeconfig
 * line and the field.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "svcconn/errors.h"
#include "svcconn/secret.h"
#include "exchange/yaml_doc.h"
#include "verify/kubeconfig.h"
#include "verify/verify_int.h"
#include "errors_int.h"
#include "util/buf.h"

#define KC_FILE "kubeconfig"

/* An error at node n about field. */
static int kc_err(const ynode *n, const char *field, const char *what)
{
	return error_set(SVC_EINVALID, "%s:%u: '%s' %s", KC_FILE, n ? n->line : 0,
			 field, what);
}

/* The scalar at key of map m, or NULL; SVC_EINVALID when not a scalar. */
static int scalar(const char **out, const ynode *m, const char *key)
{
	const ynode *v = m && m->kind == YNODE_MAP ? ynode_get(m, key) : NULL;

	*out = NULL;
	if (!v)
		return 0;
	if (v->kind != YNODE_SCALAR)
		return kc_err(v, key, "is not a scalar");
	*out = v->scalar;
	return 0;
}

/*
 * The entry of sequence key of root whose "name" is name: its mapping
 * under sub ("cluster", "user", "context") into *out.
 */
static int find_named(const ynode **out, const ynode *root, const char *key,
		      const char *sub, const char *name)
{
	const ynode *seq = ynode_get(root, key);
	size_t i;

	if (!seq || seq->kind != YNODE_SEQ)
		return kc_err(seq ? seq : root, key, "is not a list");
	for (i = 0; i < seq->n; i++) {
		const ynode *e = seq->items[i], *v;

		if (e->kind != YNODE_MAP || !ynode_is(ynode_get(e, "name"), name))
			continue;
		v = ynode_get(e, sub);
		if (!v || v->kind != YNODE_MAP)
			return kc_err(v ? v : e, sub, "is not a mapping");
		*out = v;
		return 0;
	}
	return error_set(SVC_EINVALID, "%s:%u: no entry '%s' in '%s'", KC_FILE,
			 seq->line, name, key);
}

/* *out: a new string holding the decoded base64 of field key of m. */
static int decoded(char **out, size_t *olen, const ynode *m, const char *key,
		   int secret)
{
	svc_buf b = SVC_BUF_INIT;
	const char *s;
	int rc;

	if ((rc = scalar(&s, m, key)) || !s)
		return rc;
	buf_init(&b, 1024 * 1024, secret);
	if ((rc = vc_unbase64(&b, s, strlen(s))) || !b.len) {
		buf_clear(&b);
		return kc_err(ynode_get(m, key), key, "is not base64");
	}
	*out = buf_detach(&b, olen);
	return 0;
}

/* *out: a new copy of field key of m (NULL when absent). */
static int copy(char **out, const ynode *m, const char *key)
{
	const char *s;
	int rc;

	if ((rc = scalar(&s, m, key)) || !s)
		return rc;
	if (!(*out = strdup(s)))
		return error_oom();
	return 0;
}

/* Refuse keys that point at files or run programs. */
static int refuse(const ynode *m, const char *const *keys)
{
	for (; *keys; keys++)
		if (ynode_get(m, *keys))
			return kc_err(ynode_get(m, *keys), *keys,
				      "is not supported (a stored kubeconfig must carry its data, not name files or programs)");
	return 0;
}

int kubeconfig_parse(struct kubeconfig *out, const char *text, size_t len,
		     const char *context)
{
	static const char *const cluster_no[] = { "certificate-authority", NULL };
	static const char *const user_no[] = { "client-certificate", "client-key",
		"tokenFile", "exec", "auth-provider", NULL };
	const ynode *ctx = NULL, *cl = NULL, *us = NULL;
	const char *cname = NULL, *uname = NULL, *ins = NULL, *cur = NULL;
	svc_diags *d = NULL;
	ydoc *doc = NULL;
	size_t n;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = svc_diags_new(&d)))
		return rc;
	if (ydoc_parse(&doc, KC_FILE, text, len, NULL, d)) {
		const svc_diag *e = svc_diags_at(d, 0);

		rc = error_set(SVC_EINVALID, "%s:%u: %s", KC_FILE, e ? e->line : 0,
			       e ? e->message : "not valid YAML");
		goto done;
	}
	if (!doc->root || doc->root->kind != YNODE_MAP) {
		rc = error_set(SVC_EINVALID, "%s: not a mapping", KC_FILE);
		goto done;
	}
	if (!context || !*context) {
		if ((rc = scalar(&cur, doc->root, "current-context")))
			goto done;
		if (!cur || !*cur) {
			rc = error_set(SVC_EINVALID, "%s: no context named and no 'current-context'",
				       KC_FILE);
			goto done;
		}
		context = cur;
	}
	if ((rc = find_named(&ctx, doc->root, "contexts", "context", context)) ||
	    (rc = scalar(&cname, ctx, "cluster")) ||
	    (rc = scalar(&uname, ctx, "user")))
		goto done;
	if (!cname) {
		rc = kc_err(ctx, "cluster", "is missing in the context");
		goto done;
	}
	if ((rc = find_named(&cl, doc->root, "clusters", "cluster", cname)) ||
	    (rc = refuse(cl, cluster_no)))
		goto done;
	if (uname && ((rc = find_named(&us, doc->root, "users", "user", uname)) ||
		      (rc = refuse(us, user_no))))
		goto done;
	if (!(out->context = strdup(context))) {
		rc = error_oom();
		goto done;
	}
	if ((rc = copy(&out->server, cl, "server")) ||
	    (rc = decoded(&out->ca_pem, &n, cl, "certificate-authority-data", 0)) ||
	    (rc = scalar(&ins, cl, "insecure-skip-tls-verify")))
		goto done;
	if (!out->server) {
		rc = kc_err(cl, "server", "is missing in the cluster");
		goto done;
	}
	out->insecure = ins && !strcasecmp(ins, "true");
	if (us && ((rc = copy(&out->token, us, "token")) ||
		   (rc = decoded(&out->cert_pem, &n, us, "client-certificate-data", 0)) ||
		   (rc = decoded(&out->key_pem, &out->key_len, us, "client-key-data", 1)) ||
		   (rc = copy(&out->username, us, "username")) ||
		   (rc = copy(&out->password, us, "password"))))
		goto done;
	if (!out->cert_pem != !out->key_pem)
		rc = kc_err(us, out->cert_pem ? "client-key-data" : "client-certificate-data",
			    "is missing (a client certificate needs its key)");
done:
	if (rc)
		kubeconfig_clear(out);
	ydoc_free(doc);
	svc_diags_free(d);
	return rc;
}

void kubeconfig_clear(struct kubeconfig *k)
{
	if (!k)
		return;
	free(k->context);
	free(k->server);
	free(k->ca_pem);
	svc_secret_free(k->token, (size_t)-1);
	free(k->cert_pem);
	svc_secret_free(k->key_pem, k->key_pem ? k->key_len : 0);
	free(k->username);
	svc_secret_free(k->password, (size_t)-1);
	memset(k, 0, sizeof(*k));
}
