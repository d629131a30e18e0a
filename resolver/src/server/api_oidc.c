/*
 * api_oidc.c - the OIDC issuer's public documents, served by
 * svcconn-server without authentication (a cloud that trusts the issuer
 * fetches them): the discovery document at SVC_OIDC_DISCOVERY_PATH and
 * the signing keys at SVC_OIDC_JWKS_PATH (svcconn/oidc.h).
 *
 * Both are served only when the server was given its public URL
 * (--issuer); the issuer is never taken from a request.  The JWKS is
 * kept in memory and built again when the set of published keys changes:
 * each request lists the keys' ids and whether each is past its drop time
 * (one small query), so a rotation made by `svcconn oidc rotate` in
 * another process is served at once, and a retired key stops being
 * published when its time comes.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <microhttpd.h>

#include "svcconn/oidc.h"
#include "errors_int.h"
#include "server/server_int.h"
#include "util/buf.h"
#include "util/clock.h"

struct srv_oidc {
	pthread_mutex_t lock; /**< guards the members below */
	char *issuer;         /**< the server's URL, or NULL: no issuer */
	char *discovery;      /**< the discovery document (JSON text) */
	char *jwks;           /**< the JWKS last built (JSON text), or NULL */
	char *keyset;         /**< the key set it was built from */
};

int srv_oidc_new(struct srv_oidc **out, const char *issuer)
{
	struct srv_oidc *o = calloc(1, sizeof(*o));
	int rc = 0;

	if (!o)
		return error_oom();
	pthread_mutex_init(&o->lock, NULL);
	if (issuer && (!(o->issuer = strdup(issuer)) ||
		       (rc = svc_oidc_discovery(&o->discovery, issuer)))) {
		rc = rc ? rc : error_oom();
		srv_oidc_free(o);
		return rc;
	}
	*out = o;
	return 0;
}

void srv_oidc_free(struct srv_oidc *o)
{
	if (!o)
		return;
	pthread_mutex_destroy(&o->lock);
	free(o->issuer);
	free(o->discovery);
	free(o->jwks);
	free(o->keyset);
	free(o);
}

/* 404 when the server has no issuer; else 0. */
static int need_issuer(struct srv_call *c, const struct srv_oidc *o)
{
	if (o && o->issuer)
		return 0;
	return srv_error(c, MHD_HTTP_NOT_FOUND, "ApiResourceNotFoundException",
			 "'%s': this server is no OIDC issuer (start it with --issuer URL)",
			 c->request);
}

int api_oidc_discovery(struct srv_call *c)
{
	struct srv_oidc *o = srv_shared(c->srv)->oidc;
	json_error_t err;

	if (need_issuer(c, o))
		return -1;
	return srv_reply(c, MHD_HTTP_OK, json_loads(o->discovery, 0, &err));
}

/* The published key set now: "kid:p;" per key ("x" once past drop_at). */
static int keyset_now(svc_buf *out, svc_store *st)
{
	svc_oidc_key *keys = NULL;
	size_t n = 0, i;
	time_t now;
	int rc;

	if ((rc = clock_now(&now)) || (rc = svc_oidc_keys(&keys, &n, st)))
		return rc;
	for (i = 0; i < n && rc == 0; i++)
		rc = buf_printf(out, "%s:%c;", keys[i].kid,
				keys[i].drop_at && keys[i].drop_at <= (long long)now
					? 'x' : 'p');
	if (rc == 0 && n == 0)
		rc = buf_puts(out, "-");
	svc_oidc_keys_free(keys);
	return rc;
}

int api_oidc_jwks(struct srv_call *c)
{
	const struct srv_shared *sh = srv_shared(c->srv);
	struct srv_oidc *o = sh->oidc;
	svc_buf set = SVC_BUF_INIT;
	json_error_t err;
	json_t *doc = NULL;
	char *fresh = NULL;
	int rc;

	if (need_issuer(c, o))
		return -1;
	/* the store is ours: every handler runs under the store's lock */
	pthread_mutex_lock(&o->lock);
	rc = keyset_now(&set, sh->store);
	if (rc == 0 && (!o->jwks || !o->keyset || strcmp(o->keyset, set.ptr))) {
		/* a rotation or a drop (or the first request): build again */
		if ((rc = svc_oidc_jwks(&fresh, sh->store)) == 0) {
			/* building may have made the first key: list again */
			buf_reset(&set);
			rc = keyset_now(&set, sh->store);
		}
		if (rc == 0) {
			free(o->jwks);
			free(o->keyset);
			o->jwks = fresh;
			o->keyset = buf_detach(&set, NULL);
			fresh = NULL;
			rc = o->keyset ? 0 : error_oom();
		}
	}
	if (rc == 0)
		doc = json_loads(o->jwks, 0, &err);
	pthread_mutex_unlock(&o->lock);
	free(fresh);
	buf_clear(&set);
	if (rc)
		return srv_lib_error(c, rc);
	return srv_reply(c, MHD_HTTP_OK, doc);
}
