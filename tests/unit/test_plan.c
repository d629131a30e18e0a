/*
 * test_plan.c - finding and resolving connection references in the
 * pipelines of fixtures/pipelines/: every pipeline shape, templates,
 * parameters, expressions, variables, resources, and every problem plan
 * reports.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "planutil.h"
#include "testutil.h"

#define FIX SVC_SOURCE_DIR "/fixtures/pipelines/"

static char *dir;
static svc_store *st;
static svc_catalog *cat;

static int setup(void **state)
{
	(void)state;
	st = pu_store(&dir);
	assert_int_equal(svc_catalog_new(&cat), 0);
	pu_conn(st, "acr-main", "dockerregistry", "UsernamePassword", NULL);
	pu_conn(st, "acr-stage", "dockerregistry", "UsernamePassword", NULL);
	pu_conn(st, "github-contoso", "github", "Token", NULL);
	pu_conn(st, "github-oauth", "github", "OAuth", NULL);
	pu_conn(st, "jenkins-main", "Jenkins", "UsernamePassword", NULL);
	pu_conn(st, "hook-main", "incomingwebhook", "None", NULL);
	pu_conn(st, "arm-prod", "azurerm", "ServicePrincipal", NULL);
	pu_conn(st, "arm-east", "azurerm", "ServicePrincipal", NULL);
	pu_conn(st, "arm-west", "azurerm", "WorkloadIdentityFederation", NULL);
	pu_conn(st, "arm-from-vars", "azurerm", "ServicePrincipal", NULL);
	pu_conn(st, "arm-rollback", "azurerm", "ManagedServiceIdentity", NULL);
	pu_conn(st, "maven-a", "externalmavenrepository", "Token", NULL);
	pu_conn(st, "Maven-B", "externalmavenrepository", "UsernamePassword",
		NULL);
	pu_conn(st, "k8s-prod", "kubernetes", "Kubernetes", NULL);
	pu_conn(st, "k8s-dev", "kubernetes", "Token", NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	svc_store_free(st);
	svc_catalog_free(cat);
	tu_rm_rf(dir);
	free(dir);
	return 0;
}

/* Expect a reference at file:line with key resolving to name. */
static const svc_ref *expect(const svc_plan *p, const char *file,
			     unsigned line, const char *key, const char *name)
{
	const svc_ref *r = pu_find(p, file, line, key);

	if (!r)
		fail_msg("no reference %s at %s:%u", key, file, line);
	if (name && (r->status != SVC_REF_RESOLVED ||
		     strcasecmp(r->conn_name, name) != 0))
		fail_msg("%s:%u %s: status %s (%s), want connection %s", file,
			 line, key, svc_ref_status_name(r->status),
			 r->message ? r->message : "", name);
	return r;
}

static void test_main_pipeline(void **state)
{
	svc_plan *p = pu_plan(st, cat, FIX "main.yml", NULL);
	const svc_ref *r;

	(void)state;
	if (!svc_plan_ok(p)) {
		char *j = svc_plan_json(p);
		fail_msg("main.yml does not resolve:\n%s", j);
	}
	/* resources */
	r = expect(p, "main.yml", 30, "endpoint", "github-contoso");
	assert_int_equal(r->kind, SVC_REF_RESOURCE_ENDPOINT);
	assert_string_equal(r->path, "resources.repositories[0]");
	r = expect(p, "main.yml", 34, "endpoint", "acr-main");
	assert_int_equal(r->kind, SVC_REF_CONTAINER_ENDPOINT);
	assert_string_equal(r->written, "$(registryConnection)");
	expect(p, "main.yml", 38, "connection", "jenkins-main");
	r = expect(p, "main.yml", 42, "connection", "hook-main");
	assert_int_equal(r->kind, SVC_REF_WEBHOOK_CONNECTION);
	/* steps, with variables of pipeline and stage (list + template) */
	r = expect(p, "main.yml", 58, "containerRegistry", "acr-main");
	assert_string_equal(r->task, "Docker@2");
	assert_string_equal(r->stage, "Build");
	assert_string_equal(r->job, "Compile");
	assert_int_equal(r->step, 1);
	assert_string_equal(r->path, "stages[0].jobs[0].steps[1]");
	expect(p, "main.yml", 62, "containerRegistry", "acr-stage");
	/* a steps template: the reference is at the template's line */
	r = expect(p, "templates/steps.yml", 10, "azureSubscription", "arm-prod");
	assert_string_equal(r->input, "connectedServiceNameARM");
	assert_string_equal(r->written, "${{ parameters.azureSubscription }}");
	assert_string_equal(r->path, "steps[0]");
	/* multi-select: two references, names matched ignoring case */
	expect(p, "main.yml", 68, "mavenServiceConnections", "maven-a");
	{
		size_t i, n = 0;

		for (i = 0; i < svc_plan_ref_count(p); i++)
			n += svc_plan_ref_at(p, i)->line == 68;
		assert_int_equal(n, 2);
	}
	/* inline job container and a variable from a variables template */
	r = expect(p, "main.yml", 73, "endpoint", "acr-main");
	assert_string_equal(r->path, "stages[0].jobs[1].container");
	expect(p, "main.yml", 77, "azureSubscription", "arm-from-vars");
	/* ${{ each }} over an object parameter in a jobs template */
	{
		size_t i, n = 0;

		for (i = 0; i < svc_plan_ref_count(p); i++) {
			r = svc_plan_ref_at(p, i);
			if (strstr(r->file, "templates/jobs.yml") && r->line == 11)
				n++;
		}
		assert_int_equal(n, 2);
	}
	expect(p, "templates/jobs.yml", 11, "connectedServiceNameARM", NULL);
	/* deployment strategy: runOnce (useCanary is false), on.failure */
	r = expect(p, "main.yml", 103, "kubernetesServiceEndpoint", "k8s-prod");
	assert_string_equal(r->job, "Rollout");
	assert_null(pu_find(p, "main.yml", 95, NULL));
	expect(p, "main.yml", 109, "azureSubscription", "arm-rollback");
	assert_int_equal(svc_plan_ref_count(p), 15);
	svc_plan_free(p);
}

static void test_vars_and_conditionals(void **state)
{
	const char *vars[] = { "registryConnection=acr-stage", NULL };
	svc_plan *p = pu_plan(st, cat, FIX "main.yml", vars);
	const svc_ref *r;

	(void)state;
	/* --var wins over the file */
	r = expect(p, "main.yml", 58, "containerRegistry", "acr-stage");
	assert_string_equal(r->value, "acr-stage");
	svc_plan_free(p);
}

static void test_problems(void **state)
{
	svc_plan *p = pu_plan(st, cat, FIX "problems.yml", NULL);
	const svc_ref *r;
	size_t i, warnings = 0;

	(void)state;
	assert_false(svc_plan_ok(p));
	r = expect(p, "problems.yml", 7, "azureSubscription", NULL);
	assert_int_equal(r->status, SVC_REF_UNKNOWN_NAME);
	assert_non_null(strstr(r->message, "did you mean 'arm-east'"));
	r = expect(p, "problems.yml", 12, "azureSubscription", NULL);
	assert_int_equal(r->status, SVC_REF_WRONG_TYPE);
	assert_non_null(strstr(r->message, "github"));
	r = expect(p, "problems.yml", 19, "externalRegistryCredentials", NULL);
	assert_int_equal(r->status, SVC_REF_WRONG_SCHEME);
	assert_non_null(strstr(r->message, "OAuth"));
	r = expect(p, "problems.yml", 22, "azureSubscription", NULL);
	assert_int_equal(r->status, SVC_REF_UNRESOLVED_VARIABLE);
	assert_non_null(strstr(r->message, "shared-secrets"));
	r = expect(p, "problems.yml", 27, "azureDevOpsServiceConnection", NULL);
	assert_int_equal(r->status, SVC_REF_WRONG_TYPE);
	assert_non_null(strstr(r->message, "does not define"));
	expect(p, "problems.yml", 28, "connectedServiceNameARM", "arm-east");
	/* a task without manifest: reported once, its inputs not guessed */
	assert_null(pu_find(p, "problems.yml", 33, NULL));
	for (i = 0; i < svc_diags_count(svc_plan_diags(p)); i++)
		warnings += strstr(svc_diags_at(svc_plan_diags(p), i)->message,
				   "NoSuchTask@1") != NULL;
	assert_int_equal(warnings, 1);
	assert_true(pu_diag_has(p, "templates/missing.yml' not found"));
	assert_true(pu_diag_has(p, "repository 'othersrepo'"));
	/* every problem has a location */
	for (i = 0; i < svc_diags_count(svc_plan_diags(p)); i++) {
		const svc_diag *d = svc_diags_at(svc_plan_diags(p), i);

		assert_non_null(d->file);
		assert_true(d->line > 0);
	}
	svc_plan_free(p);
}

static void test_cycle(void **state)
{
	svc_plan *p = pu_plan(st, cat, FIX "cycle-a.yml", NULL);

	(void)state;
	assert_true(pu_diag_has(p, "template include cycle"));
	assert_false(svc_plan_ok(p));
	svc_plan_free(p);
}

static void test_extends_and_parameters_without_value(void **state)
{
	svc_plan *p = pu_plan(st, cat, FIX "extends.yml", NULL);
	const svc_ref *r;

	(void)state;
	expect(p, "extends.yml", 7, "endpoint", "github-contoso");
	r = expect(p, "templates/base.yml", 14, "azureSubscription", "arm-west");
	assert_string_equal(r->stage, "Main");
	r = expect(p, "templates/base.yml", 19, "azureSubscription", NULL);
	assert_int_equal(r->status, SVC_REF_UNRESOLVED_VARIABLE);
	svc_plan_free(p);
	/* the template planned on its own: defaults, and unresolved */
	p = pu_plan(st, cat, FIX "templates/base.yml", NULL);
	r = expect(p, "templates/base.yml", 14, "azureSubscription", NULL);
	assert_int_equal(r->status, SVC_REF_UNRESOLVED_VARIABLE);
	svc_plan_free(p);
}

static void test_json_shape(void **state)
{
	svc_plan *p = pu_plan(st, cat, FIX "main.yml", NULL);
	char *s = svc_plan_json(p);
	json_error_t err;
	json_t *o = json_loads(s, 0, &err), *r0;

	(void)state;
	assert_non_null(o);
	assert_true(json_is_array(json_object_get(o, "references")));
	assert_true(json_is_array(json_object_get(o, "diagnostics")));
	r0 = json_array_get(json_object_get(o, "references"), 0);
	assert_non_null(json_object_get(r0, "file"));
	assert_true(json_is_integer(json_object_get(r0, "line")));
	assert_string_equal(json_string_value(json_object_get(r0, "kind")),
			    "resource-endpoint");
	assert_string_equal(json_string_value(json_object_get(r0, "status")),
			    "resolved");
	assert_true(json_is_object(json_object_get(r0, "connection")));
	json_decref(o);
	free(s);
	svc_plan_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_main_pipeline),
		cmocka_unit_test(test_vars_and_conditionals),
		cmocka_unit_test(test_problems),
		cmocka_unit_test(test_cycle),
		cmocka_unit_test(test_extends_and_parameters_without_value),
		cmocka_unit_test(test_json_shape),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
