/*
 * test_remote.c - the client of svcconn-server (svcconn/remote.h) against
 * the real server (svc_server_start on loopback, plain HTTP as the server
 * allows there for tests) over a fresh store: each refusal comes back as
 * the code and the message the ops layer gives locally for the same
 * principal (404 SVC_ENOTFOUND, 403 SVC_EDENIED, 409 SVC_EEXISTS, 400
 * SVC_EINVALID naming the field), a wrong token and a short scope are
 * SVC_EDENIED, an unreachable server SVC_ERROR; a secret sent on create
 * comes back set but not loaded, and no response holds it; the audit log
 * read through the server equals the store's.
 */
#include "testutil.h"
#include "tokens/tokens_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svcconn/catalog.h"
#include "svcconn/errors.h"
#include "svcconn/ops.h"
#include "svcconn/remote.h"
#include "svcconn/secret.h"
#include "svcconn/server.h"
#include "svcconn/store.h"
#include "svcconn/tokens.h"

#define SECRET "remote-unit-secret-93ac"

/* The fixture: a store, its server, tokens of tester and nobody. */
struct fx {
	tu_store *f;          /**< the store (tester is its Administrator) */
	svc_server *srv;      /**< serving it on 127.0.0.1 */
	char url[64];         /**< http://127.0.0.1:PORT */
	char *tok;            /**< tester's token, every scope */
	char *rtok;           /**< tester's token, endpoints:read only */
	char *ntok;           /**< nobody's token (no role) */
};

static char *token(tu_store *f, const char *owner, const char *scopes)
{
	svc_token_info info;
	char *tok = NULL;

	if (svc_token_create(&tok, &info, f->st, owner, "t", scopes, 1,
			     "tester") != 0)
		fail_msg("token: %s", svc_error_last());
	svc_token_info_clear(&info);
	return tok;
}

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));
	svc_server_options o;
	void *fs = NULL;

	if (!x || tu_store_setup(&fs) != 0)
		return -1;
	x->f = fs;
	x->tok = token(x->f, "tester", "full");
	x->rtok = token(x->f, "tester", "endpoints:read");
	x->ntok = token(x->f, "nobody", "full");
	memset(&o, 0, sizeof(o));
	o.version = SVC_SERVER_OPTIONS_VERSION;
	o.store.version = SVC_STORE_OPTIONS_VERSION;
	o.store.home = x->f->home;
	o.listen = "127.0.0.1:0";
	o.insecure_http = 1;
	if (svc_server_start(&x->srv, &o) != 0)
		fail_msg("server: %s", svc_error_last());
	snprintf(x->url, sizeof(x->url), "http://127.0.0.1:%u",
		 svc_server_port(x->srv));
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;
	void *fs = x->f;

	svc_server_stop(x->srv);
	svc_secret_free(x->tok, strlen(x->tok));
	svc_secret_free(x->rtok, strlen(x->rtok));
	svc_secret_free(x->ntok, strlen(x->ntok));
	free(x);
	return tu_store_teardown(&fs);
}

static svc_remote *client(struct fx *x, const char *tok)
{
	svc_remote_options o = { SVC_REMOTE_OPTIONS_VERSION, x->url, tok,
				 strlen(tok), NULL, 5000 };
	svc_remote *r = NULL;

	if (svc_remote_new(&r, &o) != 0)
		fail_msg("client: %s", svc_error_last());
	return r;
}

/* A valid generic connection called name, its password SECRET. */
static svc_conn *conn(const char *name)
{
	svc_catalog *cat = NULL;
	svc_conn *c = NULL;
	svc_diags *d = NULL;

	assert_int_equal(svc_catalog_new(&cat), 0);
	assert_int_equal(svc_diags_new(&d), 0);
	assert_int_equal(svc_conn_new(&c, "generic", name), 0);
	assert_int_equal(svc_conn_set_scheme(c, "UsernamePassword"), 0);
	assert_int_equal(svc_conn_set_url(c, "https://api.example.test"), 0);
	assert_int_equal(svc_conn_set_field(c, "username", "u", 1), 0);
	assert_int_equal(svc_conn_set_field(c, "password", SECRET,
					    strlen(SECRET)), 0);
	assert_int_equal(svc_conn_validate(c, cat, d), 0);
	svc_diags_free(d);
	svc_catalog_free(cat);
	return c;
}

/*
 * The local ops' code and message for name_or_id as who, into msg: a get,
 * or with del a delete.
 */
static int local_op(struct fx *x, const char *who, const char *name_or_id,
		    int del, char msg[512])
{
	svc_principal *p = NULL;
	svc_conn *c = NULL;
	int rc;

	assert_int_equal(svc_principal_new(&p, SVC_PRINCIPAL_USER, who,
					   "token"), 0);
	rc = del ? svc_ops_conn_delete(x->f->st, p, name_or_id)
		 : svc_ops_conn_get(&c, x->f->st, p, name_or_id, 0);
	snprintf(msg, 512, "%s", svc_error_last());
	svc_conn_free(c);
	svc_principal_free(p);
	return rc;
}

static void test_verbs_and_secrets(void **state)
{
	struct fx *x = *state;
	svc_remote *r = client(x, x->tok);
	svc_conn *c = conn("gh"), *back = NULL, **list = NULL;
	svc_conn_field f;
	size_t n = 0;
	char *who = NULL;

	assert_int_equal(svc_remote_whoami(&who, r), 0);
	assert_string_equal(who, "tester");
	free(who);
	assert_int_equal(svc_remote_conn_create(r, c), 0);
	assert_non_null(svc_conn_id(c));
	assert_string_equal(svc_conn_created_by(c), "tester");
	/* read back: the secret set, not loaded, its value nowhere */
	assert_int_equal(svc_remote_conn_get(&back, r, "gh"), 0);
	assert_string_equal(svc_conn_id(back), svc_conn_id(c));
	assert_int_equal(svc_conn_field_get(back, "password", &f), 0);
	assert_true(f.secret);
	assert_null(f.value);
	assert_int_equal(svc_conn_field_get(back, "username", &f), 0);
	assert_string_equal(f.value, "u");
	/* an update without the secret keeps it (the store still has it) */
	assert_int_equal(svc_conn_set_description(back, "second"), 0);
	assert_int_equal(svc_remote_conn_update(r, back), 0);
	svc_conn_free(back);
	assert_int_equal(svc_store_conn_get(&back, x->f->st, "gh",
					    SVC_GET_SECRETS), 0);
	assert_int_equal(svc_conn_field_get(back, "password", &f), 0);
	assert_memory_equal(f.value, SECRET, strlen(SECRET));
	assert_string_equal(svc_conn_description(back), "second");
	svc_conn_free(back);
	assert_int_equal(svc_remote_conn_rename(r, "gh", "gh2"), 0);
	assert_int_equal(svc_remote_conn_list(&list, &n, r), 0);
	assert_int_equal(n, 1);
	assert_string_equal(svc_conn_name(list[0]), "gh2");
	svc_store_conn_list_free(list, n);
	assert_int_equal(svc_remote_conn_delete(r, "gh2"), 0);
	/* the audit log read through the server is the store's */
	{
		svc_audit_list *ra = NULL, *la = NULL;
		svc_principal *p = NULL;
		size_t i;

		assert_int_equal(svc_principal_new(&p, SVC_PRINCIPAL_USER,
						   "tester", "token"), 0);
		assert_int_equal(svc_remote_audit(&ra, r, 0), 0);
		assert_int_equal(svc_ops_audit(&la, x->f->st, p, 0), 0);
		assert_int_equal(svc_audit_list_count(ra), svc_audit_list_count(la));
		assert_true(svc_audit_list_count(ra) >= 4);
		for (i = 0; i < svc_audit_list_count(ra); i++) {
			const svc_audit_entry *a = svc_audit_list_at(ra, i);
			const svc_audit_entry *b = svc_audit_list_at(la, i);

			assert_int_equal(a->seq, b->seq);
			assert_string_equal(a->action, b->action);
			assert_string_equal(a->actor, b->actor);
			assert_string_equal(a->detail, b->detail);
		}
		svc_audit_list_free(ra);
		assert_int_equal(svc_remote_audit(&ra, r, 2), 0);
		assert_int_equal(svc_audit_list_count(ra), 2);
		svc_audit_list_free(ra);
		svc_audit_list_free(la);
		svc_principal_free(p);
	}
	assert_int_equal(svc_remote_conn_list(&list, &n, r), 0);
	assert_int_equal(n, 0);
	svc_conn_free(c);
	svc_remote_free(r);
}

static void test_errors_as_locally(void **state)
{
	struct fx *x = *state;
	svc_remote *r = client(x, x->tok), *nr = client(x, x->ntok);
	svc_conn *c = conn("prod"), *dup = conn("prod"), *got = NULL;
	char want[512];
	int lrc;

	assert_int_equal(svc_remote_conn_create(r, c), 0);
	/* 404: not found, the local message */
	lrc = local_op(x, "tester", "nope", 0, want);
	assert_int_equal(lrc, SVC_ENOTFOUND);
	assert_int_equal(svc_remote_conn_get(&got, r, "nope"), SVC_ENOTFOUND);
	assert_string_equal(svc_error_last(), want);
	assert_null(got);
	/* 403: nobody may not delete, the local message */
	lrc = local_op(x, "nobody", "prod", 1, want);
	assert_int_equal(lrc, SVC_EDENIED);
	assert_int_equal(svc_remote_conn_delete(nr, "prod"), SVC_EDENIED);
	assert_string_equal(svc_error_last(), want);
	/* 409: the name is taken */
	assert_int_equal(svc_remote_conn_create(r, dup), SVC_EEXISTS);
	assert_non_null(strstr(svc_error_last(), "prod"));
	/* 400: the server's validation names the field */
	assert_int_equal(svc_conn_set_field(dup, "bogusfield", "x", 1), 0);
	assert_int_equal(svc_conn_set_name(dup, "other"), 0);
	assert_int_equal(svc_remote_conn_create(r, dup), SVC_EINVALID);
	assert_non_null(strstr(svc_error_last(), "field 'bogusfield'"));
	assert_null(strstr(svc_error_last(), SECRET));
	svc_conn_free(dup);
	svc_conn_free(c);
	svc_remote_free(nr);
	svc_remote_free(r);
}

static void test_refused_tokens_and_transport(void **state)
{
	struct fx *x = *state;
	svc_remote *w = client(x, "svcp_0123456789abcdef_wrong");
	svc_remote *ro = client(x, x->rtok), *gone;
	svc_remote_options o = { SVC_REMOTE_OPTIONS_VERSION,
				 "http://127.0.0.1:1", x->tok,
				 strlen(x->tok), NULL, 2000 };
	svc_conn *c = conn("ro"), **list = NULL;
	size_t n;
	char *who = NULL;

	/* 401: a wrong token */
	assert_int_equal(svc_remote_whoami(&who, w), SVC_EDENIED);
	assert_non_null(strstr(svc_error_last(), "access token was refused"));
	assert_null(who);
	/* 403: reading works, creating needs endpoints:manage */
	assert_int_equal(svc_remote_conn_list(&list, &n, ro), 0);
	svc_store_conn_list_free(list, n);
	assert_int_equal(svc_remote_conn_create(ro, c), SVC_EDENIED);
	assert_non_null(strstr(svc_error_last(), "endpoints:manage"));
	/* no server: a transport failure, the token not in the message */
	assert_int_equal(svc_remote_new(&gone, &o), 0);
	assert_int_equal(svc_remote_whoami(&who, gone), SVC_ERROR);
	assert_non_null(strstr(svc_error_last(), "127.0.0.1:1"));
	assert_null(strstr(svc_error_last(), x->tok));
	svc_remote_free(gone);
	/* plain HTTP elsewhere than loopback, and a URL with a query */
	o.url = "http://192.0.2.1:8080";
	assert_int_equal(svc_remote_new(&gone, &o), SVC_EINVALID);
	o.url = "https://127.0.0.1:1/?token=x";
	assert_int_equal(svc_remote_new(&gone, &o), SVC_EINVALID);
	svc_conn_free(c);
	svc_remote_free(ro);
	svc_remote_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_verbs_and_secrets, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_errors_as_locally, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_refused_tokens_and_transport,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
