/*
 * test_agents.c - agent pools, registration tokens and agents (agents.h,
 * ops_agents.c): only a user who is the store's Administrator manages
 * them; a registration token registers one agent, once; the agent's
 * credential verifies as an agent's, not as a personal token, and not
 * after revocation; an agent holds no role even under a user's name; and
 * the server's router matches a star segment between others
 * (jobs/{id}/renew), and several (plans/{p}/jobs/{j}/oidctoken), and
 * nothing more; only a job's own token gets ID tokens.
 */
#include "testutil.h"
#include "server/server_int.h"
#include "tokens/tokens_int.h"

#include <stdlib.h>
#include <string.h>

#include "svcconn/agents.h"
#include "svcconn/errors.h"
#include "svcconn/ops.h"
#include "svcconn/secret.h"
#include "svcconn/tokens.h"

static svc_principal *who(svc_principal_kind kind, const char *name)
{
	svc_principal *p = NULL;

	assert_int_equal(svc_principal_new(&p, kind, name, "test"), 0);
	return p;
}

static void test_pools_admin_only(void **state)
{
	tu_store *f = *state;
	svc_principal *admin = who(SVC_PRINCIPAL_USER, "tester");
	svc_principal *bob = who(SVC_PRINCIPAL_USER, "bob");
	svc_principal *agent = who(SVC_PRINCIPAL_AGENT, "tester");
	svc_pool *l = NULL;
	size_t n = 0;

	assert_int_equal(svc_ops_pool_create(f->st, admin, "dev", 1), 0);
	assert_int_equal(svc_ops_pool_create(f->st, admin, "DEV", 0), SVC_EEXISTS);
	assert_int_equal(svc_ops_pool_create(f->st, admin, "../x", 0), SVC_EINVALID);
	assert_int_equal(svc_ops_pool_create(f->st, bob, "b", 0), SVC_EDENIED);
	/* the user's name does not make an agent its Administrator */
	assert_int_equal(svc_ops_pool_create(f->st, agent, "a", 0), SVC_EDENIED);
	assert_int_equal(svc_ops_pool_list(&l, &n, f->st, admin), 0);
	assert_int_equal(n, 1);
	assert_string_equal(l[0].name, "dev");
	assert_int_equal(l[0].trusted, 1);
	svc_pool_list_free(l, n);
	assert_int_equal(svc_ops_pool_list(&l, &n, f->st, bob), SVC_EDENIED);
	svc_principal_free(admin);
	svc_principal_free(bob);
	svc_principal_free(agent);
}

static void test_register_once(void **state)
{
	tu_store *f = *state;
	svc_principal *admin = who(SVC_PRINCIPAL_USER, "tester");
	svc_token_info *tl = NULL;
	svc_token_auth a;
	svc_agent info, *al = NULL;
	char *reg = NULL, *cred = NULL, *again = NULL;
	long long exp = 0;
	size_t n = 0;

	assert_int_equal(svc_ops_pool_create(f->st, admin, "linux", 0), 0);
	assert_int_equal(svc_ops_agent_registration_token(&reg, &exp, f->st,
							  admin, "linux", 2), 0);
	assert_memory_equal(reg, SVC_REGISTRATION_TOKEN_PREFIX, 5);
	assert_int_equal(strlen(reg), SVC_TOKEN_LEN);
	/* a registration token is no personal token */
	assert_int_equal(svc_token_verify(&a, f->st, reg, strlen(reg), NULL,
					  "t", "t"), SVC_EDENIED);
	svc_token_auth_clear(&a);
	assert_int_equal(svc_agent_register(&cred, &info, f->st, reg,
					    strlen(reg), "b1", "t", "t"), 0);
	assert_string_equal(info.pool, "linux");
	svc_agent_clear(&info);
	/* spent */
	assert_int_equal(svc_agent_register(&again, NULL, f->st, reg,
					    strlen(reg), "b2", "t", "t"),
			 SVC_EDENIED);
	assert_null(again);
	/* the credential: an agent's, with scope agent only */
	assert_int_equal(svc_token_verify(&a, f->st, cred, strlen(cred),
					  "agent", "t", "t"), 0);
	assert_int_equal(a.holder, SVC_TOKEN_AGENT);
	assert_string_equal(a.owner, "b1");
	svc_token_auth_clear(&a);
	assert_int_equal(svc_token_verify(&a, f->st, cred, strlen(cred),
					  "endpoints:read", "t", "t"),
			 SVC_EDENIED);
	assert_int_equal(a.forbidden, 1);
	svc_token_auth_clear(&a);
	/* neither is listed or revocable as a personal token */
	assert_int_equal(svc_token_list(&tl, &n, f->st, NULL), 0);
	assert_int_equal(n, 0);
	svc_token_list_free(tl, n);
	assert_int_equal(svc_ops_agent_list(&al, &n, f->st, admin), 0);
	assert_int_equal(n, 1);
	assert_int_equal(svc_token_revoke(f->st, al[0].token_id, NULL, "t"),
			 SVC_ENOTFOUND);
	svc_agent_list_free(al, n);
	/* revoked: refused at once */
	assert_int_equal(svc_ops_agent_revoke(f->st, admin, "B1"), 0);
	assert_int_equal(svc_token_verify(&a, f->st, cred, strlen(cred),
					  "agent", "t", "t"), SVC_EDENIED);
	svc_token_auth_clear(&a);
	svc_secret_free(reg, SVC_TOKEN_LEN);
	svc_secret_free(cred, SVC_TOKEN_LEN);
	svc_principal_free(admin);
}

static void test_agent_holds_no_role(void **state)
{
	tu_store *f = *state;
	svc_principal *user = who(SVC_PRINCIPAL_USER, "tester");
	svc_principal *agent = who(SVC_PRINCIPAL_AGENT, "tester");
	svc_principal *job = who(SVC_PRINCIPAL_JOB, "tester");
	svc_audit_list *al = NULL;

	assert_int_equal(svc_ops_audit(&al, f->st, user, 5), 0);
	svc_audit_list_free(al);
	al = NULL;
	assert_int_equal(svc_ops_audit(&al, f->st, agent, 5), SVC_EDENIED);
	assert_int_equal(svc_ops_audit(&al, f->st, job, 5), SVC_EDENIED);
	assert_non_null(strstr(svc_error_last(), "not a user"));
	svc_principal_free(user);
	svc_principal_free(agent);
	svc_principal_free(job);
}

/* Only a job's own token gets ID tokens: a user (even the store's
 * Administrator) or an agent is refused, and so is a job that does not
 * exist, with nothing signed. */
static void test_oidc_job_token_job_only(void **state)
{
	tu_store *f = *state;
	svc_principal *admin = who(SVC_PRINCIPAL_USER, "tester");
	svc_principal *agent = who(SVC_PRINCIPAL_AGENT, "b1");
	svc_principal *job = who(SVC_PRINCIPAL_JOB, "0c7e5a4e-5d6b-4c3a-9e2f-1a2b3c4d5e6f");
	svc_oidc_token_options o;
	svc_oidc_key *keys = NULL;
	size_t n = 0;
	char *tok = NULL;

	memset(&o, 0, sizeof(o));
	o.version = SVC_OIDC_TOKEN_OPTIONS_VERSION;
	o.issuer = "https://build.example";
	o.organization = "o";
	o.project = "p";
	assert_int_equal(svc_ops_oidc_job_token(&tok, f->st, admin, svc_principal_name(job),
						"c", &o), SVC_EDENIED);
	assert_int_equal(svc_ops_oidc_job_token(&tok, f->st, agent, svc_principal_name(job),
						"c", &o), SVC_EDENIED);
	assert_int_equal(svc_ops_oidc_job_token(&tok, f->st, job, svc_principal_name(job),
						"c", &o), SVC_ENOTFOUND);
	assert_int_equal(svc_ops_oidc_job_token(&tok, f->st, job, "another-job", "c",
						&o), SVC_EDENIED);
	assert_null(tok);
	/* nothing was signed: not even a first key was made */
	assert_int_equal(svc_oidc_keys(&keys, &n, f->st), 0);
	assert_int_equal(n, 0);
	svc_oidc_keys_free(keys);
	svc_principal_free(admin);
	svc_principal_free(agent);
	svc_principal_free(job);
}

static void test_route_star_between(void **state)
{
	const struct srv_route *r = NULL;
	char arg[64];

	(void)state;
	assert_int_equal(srv_route_find(&r, arg, sizeof(arg), "o", "p", "POST",
					"/o/p/_apis/svcconn/jobs/abc/renew"), 1);
	assert_ptr_equal(r->handler, api_job_renew);
	assert_string_equal(arg, "abc");
	assert_int_equal(srv_route_find(&r, arg, sizeof(arg), "o", "p", "GET",
					"/o/p/_apis/svcconn/jobs/x1/endpoints"), 1);
	assert_ptr_equal(r->handler, api_job_endpoints);
	assert_string_equal(arg, "x1");
	/* one segment only, never empty, the suffix exactly */
	assert_int_equal(srv_route_find(&r, arg, sizeof(arg), "o", "p", "POST",
					"/o/p/_apis/svcconn/jobs/a/b/renew"), 0);
	assert_int_equal(srv_route_find(&r, arg, sizeof(arg), "o", "p", "POST",
					"/o/p/_apis/svcconn/jobs//renew"), 0);
	assert_int_equal(srv_route_find(&r, arg, sizeof(arg), "o", "p", "POST",
					"/o/p/_apis/svcconn/jobs/a/renewx"), 0);
	assert_int_equal(srv_route_find(&r, arg, 4, "o", "p", "POST",
					"/o/p/_apis/svcconn/jobs/abcd/renew"), 0);
	/* the end-star routes as before */
	assert_int_equal(srv_route_find(&r, arg, sizeof(arg), "o", "p", "GET",
					"/o/p/_apis/serviceendpoint/endpoints/e1"), 1);
	assert_string_equal(arg, "e1");
	assert_int_equal(srv_route_find(&r, arg, sizeof(arg), "o", "p", "POST",
					"/o/p/_apis/svcconn/jobs"), 1);
	assert_ptr_equal(r->handler, api_job_start);
	/* several stars: each one segment, the last one is {id} */
	assert_int_equal(srv_route_find(&r, arg, sizeof(arg), "o", "p", "POST",
					"/o/p/_apis/distributedtask/hubs/build/plans/P1/jobs/J1/oidctoken"), 1);
	assert_ptr_equal(r->handler, api_oidc_job_token);
	assert_string_equal(arg, "J1");
	assert_int_equal(srv_route_find(&r, arg, sizeof(arg), "o", "p", "POST",
					"/o/p/_apis/distributedtask/hubs/build/plans//jobs/J1/oidctoken"), 0);
	assert_int_equal(srv_route_find(&r, arg, sizeof(arg), "o", "p", "POST",
					"/o/p/_apis/distributedtask/hubs/build/plans/P/Q/jobs/J1/oidctoken"), 0);
	assert_int_equal(srv_route_find(&r, arg, sizeof(arg), "o", "p", "POST",
					"/o/p/_apis/distributedtask/hubs/release/plans/P1/jobs/J1/oidctoken"), 0);
	assert_int_equal(srv_route_find(&r, arg, 4, "o", "p", "POST",
					"/o/p/_apis/distributedtask/hubs/build/plans/Plan1/jobs/J1/oidctoken"), 0);
	assert_int_equal(srv_route_find(&r, arg, sizeof(arg), "o", "p", "OPTIONS",
					"/o/_apis/distributedtask"), 1);
	assert_ptr_equal(r->handler, api_oidc_locations);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pools_admin_only,
						tu_store_setup, tu_store_teardown),
		cmocka_unit_test_setup_teardown(test_register_once,
						tu_store_setup, tu_store_teardown),
		cmocka_unit_test_setup_teardown(test_agent_holds_no_role,
						tu_store_setup, tu_store_teardown),
		cmocka_unit_test_setup_teardown(test_oidc_job_token_job_only,
						tu_store_setup, tu_store_teardown),
		cmocka_unit_test(test_route_star_between),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
