/*
 * test_plan.c - finding and resolving connection references in the
 * pipelines of fixtures/pipelines/: every pipeline shape, templates,
 * parameters, expressions, variables, resources, and every problem plan
 * reports; the plan's JSON read back; a principal's plan of files in
 * memory (svc_ops_plan).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "pipeline/fetch.h"
#include "pipeline/template.h"
#include "resolve/plan_int.h"
#include "store/store_write.h"
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
	pu_conn(st, "nuget-org", "externalnugetfeed", "None", NULL);
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

/* The value of variable name in a job's merged variables, or NULL. */
static const char *job_var(const svc_plan *p, const char *stage,
			   const char *job, const char *name)
{
	const char *const *names, *const *values;
	size_t i, n;

	assert_int_equal(svc_plan_job_vars(p, stage, job, &names, &values, &n), 0);
	for (i = 0; i < n; i++)
		if (!strcasecmp(names[i], name))
			return values[i];
	return NULL;
}

/*
 * What the run gets of the variables: each job's, merged the Azure way
 * (pipeline < stage < job, --var over all; list form, groups left out),
 * values as written; each step's env: as written; inputs expanded with
 * the agent's scanner (a name up to the next ')', a cycle as written).
 */
static void test_job_variables_and_env(void **state)
{
	const char *vars[] = { "fromCli=cli", "level=cli-wins", NULL };
	char *d = tu_mkdtemp(), path[512];
	const char *const *names, *const *values;
	const svc_plan_step *s;
	svc_plan *p;
	size_t n;

	(void)state;
	snprintf(path, sizeof(path), "%s/v.yml", d);
	tu_write_file(path,
		"variables:\n"
		"  - name: level\n    value: pipeline\n"
		"  - group: secrets-group\n"
		"  - name: where\n    value: $(Build.SourcesDirectory)/out\n"
		"  - name: conn\n    value: $(conn)\n"
		"stages:\n"
		"  - stage: S\n"
		"    variables:\n      level: stage\n      stageOnly: s\n"
		"    jobs:\n"
		"      - job: J\n"
		"        variables:\n          level: job\n"
		"        steps:\n"
		"          - bash: echo $(where)\n"
		"            env:\n              TOKEN: $(mySecret)\n              PLAIN: x $(level)\n"
		"          - task: Docker@2\n"
		"            inputs:\n              containerRegistry: $(conn)\n"
		"              command: 'a $(my var) b $(stageOnly)'\n"
		"      - job: K\n"
		"        steps:\n          - bash: echo\n");
	p = pu_plan(st, cat, path, vars);
	assert_string_equal(job_var(p, "S", "J", "level"), "cli-wins");
	assert_string_equal(job_var(p, "S", "J", "stageOnly"), "s");
	assert_string_equal(job_var(p, "S", "J", "fromcli"), "cli");
	assert_string_equal(job_var(p, "S", "J", "where"), "$(Build.SourcesDirectory)/out");
	assert_null(job_var(p, "S", "J", "secrets-group"));
	assert_string_equal(job_var(p, "S", "K", "level"), "cli-wins");
	assert_int_equal(svc_plan_job_vars(p, NULL, "J", &names, &values, &n),
			 SVC_ENOTFOUND);
	s = svc_plan_step_at(p, 0);
	assert_int_equal(s->nenv, 2);
	assert_string_equal(s->env_names[0], "TOKEN");
	assert_string_equal(s->env_values[0], "$(mySecret)");
	assert_string_equal(s->env_values[1], "x $(level)");
	s = svc_plan_step_at(p, 1);
	assert_int_equal(s->nenv, 0);
	for (n = 0; n < s->ninputs; n++)
		if (!strcmp(s->input_names[n], "command"))
			break;
	assert_true(n < s->ninputs);
	assert_string_equal(s->input_values[n], "a $(my var) b s");
	assert_true(pu_diag_has(p, "variable 'conn' refers to itself"));
	svc_plan_free(p);
	tu_rm_rf(d);
	free(d);
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

#define OFF FIX "official/"

/* Diagnostics of severity sev; with text, only those containing it. */
static size_t count_diags(const svc_plan *p, svc_severity sev,
			  const char *text)
{
	const svc_diags *d = svc_plan_diags(p);
	size_t i, n = 0;

	for (i = 0; i < svc_diags_count(d); i++) {
		const svc_diag *x = svc_diags_at(d, i);

		n += x->severity == sev && (!text || strstr(x->message, text));
	}
	return n;
}

/* The plan resolves everything and has no error; else print it all. */
static void assert_clean(const svc_plan *p, const char *what)
{
	if (!svc_plan_ok(p) || count_diags(p, SVC_SEV_ERROR, NULL)) {
		char *j = svc_plan_json(p);

		fail_msg("%s has errors:\n%s", what, j);
	}
}

/* 1 when a diagnostic of severity sev at file suffix:line contains text. */
static int diag_at(const svc_plan *p, svc_severity sev, const char *file,
		   unsigned line, const char *text)
{
	const svc_diags *d = svc_plan_diags(p);
	size_t i, fl = strlen(file);

	for (i = 0; i < svc_diags_count(d); i++) {
		const svc_diag *x = svc_diags_at(d, i);
		size_t l = x->file ? strlen(x->file) : 0;

		if (x->severity == sev && x->line == line && l >= fl &&
		    !strcmp(x->file + l - fl, file) && strstr(x->message, text))
			return 1;
	}
	return 0;
}

/*
 * A OneBranch-style official pipeline: extends a template of another
 * repository (not fetched) with the stages inline; templates written
 * path@self relative to the including file and from the root, a backslash
 * path, a variables template written as a mapping.
 */
static void test_official_onebranch(void **state)
{
	svc_plan *p = pu_plan(st, cat, OFF ".pipelines/OneBranch.Official.yml",
			      NULL);
	const svc_ref *r;

	(void)state;
	assert_clean(p, "OneBranch.Official.yml");
	r = expect(p, ".pipelines/templates/build.steps.yml", 9,
		   "containerRegistry", "acr-main");
	assert_string_equal(r->stage, "build");
	assert_string_equal(r->job, "main");
	expect(p, ".pipelines/templates/sign.steps.yml", 6, "azureSubscription",
	       "arm-west");
	expect(p, ".pipelines/templates/publish.steps.yml", 6,
	       "containerRegistry", "acr-stage");
	/* $(buildSubscription) comes from the variables template (a mapping) */
	r = expect(p, ".pipelines/OneBranch.Official.yml", 53,
		   "azureSubscription", "arm-prod");
	assert_string_equal(r->written, "$(buildSubscription)");
	assert_int_equal(r->step, 3);
	r = expect(p, ".pipelines/OneBranch.Official.yml", 67,
		   "azureSubscription", "arm-east");
	assert_string_equal(r->stage, "deploy");
	assert_int_equal(svc_plan_ref_count(p), 5);
	/* the template it could not read, at its line, as a warning */
	assert_true(diag_at(p, SVC_SEV_WARNING, ".pipelines/OneBranch.Official.yml",
			    26, "'v2/OneBranch.Official.CrossPlat.yml@templates'"));
	assert_int_equal(count_diags(p, SVC_SEV_WARNING, NULL), 1);
	svc_plan_free(p);
}

/*
 * A 1ES-style official pipeline: extends its wrapper written
 * /path@self, which extends the 1ES template of another repository with
 * `stages: ${{ parameters.stages }}`; a job's 1ES nuget output (its
 * NuGetCommand@2 push); a stage template written /path@self
 * with `${{ insert }}: ${{ parameters.extra }}` of an object defaulting to {}.
 */
static void test_official_1es(void **state)
{
	svc_plan *p = pu_plan(st, cat, OFF "eng/official.yml", NULL);
	const svc_ref *r;

	(void)state;
	assert_clean(p, "eng/official.yml");
	r = expect(p, "eng/official.yml", 37, "azureSubscription", "arm-prod");
	assert_string_equal(r->stage, "Build");
	assert_string_equal(r->job, "Compile");
	/* a 1ES nuget output: the template's NuGetCommand@2 push */
	r = expect(p, "eng/official.yml", 33, "publishFeedCredentials", "nuget-org");
	assert_string_equal(r->task, "NuGetCommand@2");
	assert_string_equal(r->input, "externalEndpoint");
	assert_string_equal(r->path,
			    "extends.parameters.stages[0].jobs[0].templateContext.outputs[1]");
	r = expect(p, "eng/stages/deploy.yml", 23,
		   "azureResourceManagerConnection", "arm-west");
	assert_string_equal(r->stage, "Deploy_production");
	assert_string_equal(r->job, "Rollout");
	assert_int_equal(svc_plan_ref_count(p), 3);
	assert_true(diag_at(p, SVC_SEV_WARNING, "eng/pipeline-1es.yml", 12,
			    "1ES.Official.PipelineTemplate.yml@1ESPipelineTemplates"));
	svc_plan_free(p);
}

/*
 * Templates of another repository in a jobs list and a steps list: the
 * steps passed to them (a stepList, and steps inside an object) are found
 * where they are written; a string parameter naming a connection is not a
 * reference; a name through a variable group stays a reference with its
 * expression.
 */
static void test_other_repo_inline(void **state)
{
	svc_plan *p = pu_plan(st, cat, OFF "other-repo-jobs.yml", NULL);
	const svc_ref *r;

	(void)state;
	expect(p, "other-repo-jobs.yml", 8, "endpoint", "github-contoso");
	r = expect(p, "other-repo-jobs.yml", 20, "azureSubscription", "arm-prod");
	assert_string_equal(r->job, "dotnet_build");
	assert_string_equal(r->path, "jobs[0].parameters.preBuildSteps[0]");
	r = expect(p, "other-repo-jobs.yml", 29, "azureSubscription", NULL);
	assert_int_equal(r->status, SVC_REF_UNRESOLVED_VARIABLE);
	assert_string_equal(r->written, "$(deployConnection)");
	assert_non_null(strstr(r->message, "release-secrets"));
	assert_null(pu_find(p, "other-repo-jobs.yml", 16, NULL));
	assert_int_equal(svc_plan_ref_count(p), 3);
	assert_true(diag_at(p, SVC_SEV_WARNING, "other-repo-jobs.yml", 14,
			    "jobs/dotnet-build.yml@shared"));
	assert_true(diag_at(p, SVC_SEV_WARNING, "other-repo-jobs.yml", 33,
			    "steps/notify.yml@shared"));
	/* the only error is the unresolved variable's */
	assert_int_equal(count_diags(p, SVC_SEV_ERROR, NULL), 1);
	svc_plan_free(p);
}

/*
 * Root-relative templates that include root-relative templates; one that
 * exists nowhere is named from the root, not joined to the includer's
 * folders a second time.
 */
static void test_root_relative(void **state)
{
	svc_plan *p = pu_plan(st, cat, OFF ".azuredevops/validate.yml", NULL);
	const svc_ref *r;

	(void)state;
	assert_clean(p, "validate.yml");
	r = expect(p, ".azuredevops/pipelineTemplates/steps.login.yml", 7,
		   "azureSubscription", "arm-east");
	assert_string_equal(r->job, "Validate");
	svc_plan_free(p);
	p = pu_plan(st, cat, OFF ".azuredevops/pipelineTemplates/jobs.nested-missing.yml",
		    NULL);
	assert_true(pu_diag_has(p, "/.azuredevops/pipelineTemplates/steps.missing.yml' not found"));
	assert_false(pu_diag_has(p, "pipelineTemplates/.azuredevops"));
	svc_plan_free(p);
}

/*
 * The legacy schema: phases (phase, queue, server) are read as jobs, with a
 * note; an old template declaring no parameters takes those it is given,
 * with one note for the template, not one warning per parameter.
 */
static void test_legacy_phases(void **state)
{
	svc_plan *p = pu_plan(st, cat, OFF "legacy/phases.yml", NULL);
	const svc_ref *r;

	(void)state;
	assert_clean(p, "legacy/phases.yml");
	r = expect(p, "legacy/phases.yml", 13, "azureSubscription", "arm-prod");
	assert_string_equal(r->job, "Build");
	r = expect(p, "legacy/old-steps.yml", 5, "azureSubscription", "arm-east");
	assert_string_equal(r->job, "Gate");
	expect(p, "legacy/old-steps.yml", 11, "containerRegistry", "acr-main");
	assert_int_equal(svc_plan_ref_count(p), 3);
	assert_int_equal(count_diags(p, SVC_SEV_NOTE, "declares no parameters"), 1);
	assert_true(diag_at(p, SVC_SEV_NOTE, "legacy/phases.yml", 5,
			    "legacy form of 'jobs'"));
	assert_int_equal(count_diags(p, SVC_SEV_WARNING, NULL), 0);
	svc_plan_free(p);
}

/* A steps-only pipeline's container and services; YAML anchors refused. */
static void test_steps_only_and_anchors(void **state)
{
	svc_plan *p = pu_plan(st, cat, OFF "legacy/steps-only.yml", NULL);
	const svc_ref *r;

	(void)state;
	assert_clean(p, "legacy/steps-only.yml");
	r = expect(p, "legacy/steps-only.yml", 9, "endpoint", "acr-main");
	assert_int_equal(r->kind, SVC_REF_CONTAINER_ENDPOINT);
	assert_string_equal(r->path, "container");
	r = expect(p, "legacy/steps-only.yml", 14, "endpoint", "acr-stage");
	assert_string_equal(r->path, "services.redis");
	expect(p, "legacy/steps-only.yml", 20, "azureSubscription", "arm-prod");
	assert_int_equal(svc_plan_ref_count(p), 3);
	svc_plan_free(p);
	p = pu_plan(st, cat, OFF "legacy/anchors.yml", NULL);
	assert_true(diag_at(p, SVC_SEV_ERROR, "legacy/anchors.yml", 3,
			    "anchors are not supported"));
	assert_false(svc_plan_ok(p));
	svc_plan_free(p);
}

/* Clone URLs of repository resources, by type and endpoint connection. */
static void test_clone_urls(void **state)
{
	static const struct {
		const char *type, *name, *ctype, *url, *want;
	} cases[] = {
		{ "github", "contoso/app", NULL, NULL,
		  "https://github.com/contoso/app.git" },
		{ "bitbucket", "contoso/app", NULL, NULL,
		  "https://bitbucket.org/contoso/app.git" },
		{ "githubenterprise", "team/app", "githubenterprise",
		  "https://ghe.contoso.com/", "https://ghe.contoso.com/team/app.git" },
		{ "git", "Tools/templates", "externaltfs",
		  "https://dev.azure.com/contoso", "https://dev.azure.com/contoso/Tools/_git/templates" },
		{ "git", "templates", "externaltfs",
		  "https://dev.azure.com/contoso/Tools", "https://dev.azure.com/contoso/Tools/_git/templates" },
		{ "git", "templates", "git", "https://git.contoso.com/r/templates.git",
		  "https://git.contoso.com/r/templates.git" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		svc_buf b = SVC_BUF_INIT;
		svc_conn *c = NULL;

		if (cases[i].ctype) {
			assert_int_equal(svc_conn_new(&c, cases[i].ctype, "c"), 0);
			assert_int_equal(svc_conn_set_url(c, cases[i].url), 0);
		}
		assert_int_equal(repo_clone_url(&b, cases[i].type, cases[i].name,
						c, "r"), 0);
		assert_string_equal(b.ptr, cases[i].want);
		buf_clear(&b);
		svc_conn_free(c);
	}
	/* Azure Repos and GitHub Enterprise need their connection */
	{
		svc_buf b = SVC_BUF_INIT;

		assert_int_equal(repo_clone_url(&b, "githubenterprise", "a/b", NULL,
						"tools"), SVC_EINVALID);
		assert_non_null(strstr(svc_error_last(), "'tools'"));
		buf_clear(&b);
	}
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

/* The plan's JSON read back (a server's answer) is the same plan. */
static void test_json_round_trip(void **state)
{
	const char *files[] = { "main.yml", "problems.yml", "extends.yml" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[512];
		svc_plan *p, *q = NULL;
		char *s, *t;
		json_error_t err;
		json_t *v;

		snprintf(path, sizeof(path), "%s%s", FIX, files[i]);
		p = pu_plan(st, cat, path, NULL);
		s = svc_plan_json(p);
		assert_non_null(v = json_loads(s, 0, &err));
		assert_int_equal(plan_from_json(&q, v), 0);
		t = svc_plan_json(q);
		assert_string_equal(s, t);
		assert_int_equal(svc_plan_ok(p), svc_plan_ok(q));
		assert_true(svc_plan_ref_count(q) > 0);
		json_decref(v);
		free(s);
		free(t);
		svc_plan_free(p);
		svc_plan_free(q);
	}
	{
		svc_plan *q = NULL;
		json_t *v = json_pack("{s:[{s:s}], s:[]}", "references",
				      "status", "nonsense", "diagnostics");

		assert_int_equal(plan_from_json(&q, v), SVC_ERROR);
		assert_null(q);
		json_decref(v);
	}
}

/* svc_ops_plan as principal who of the files given (path, text pairs). */
static int ops_plan(svc_plan **out, const char *who, unsigned flags,
		    const char *file, const char *const *files)
{
	svc_plan_file f[8];
	svc_plan_options o;
	svc_principal *p = NULL;
	size_t n = 0;
	int rc;

	for (n = 0; files[2 * n]; n++) {
		f[n].path = files[2 * n];
		f[n].text = files[2 * n + 1];
		f[n].len = strlen(files[2 * n + 1]);
	}
	memset(&o, 0, sizeof(o));
	o.version = SVC_PLAN_OPTIONS_VERSION;
	o.file = file;
	o.pipeline = "ci";
	o.flags = flags;
	assert_int_equal(svc_principal_new(&p, SVC_PRINCIPAL_USER, who, "test"),
			 0);
	rc = svc_ops_plan(out, st, p, &o, f, n, cat);
	svc_principal_free(p);
	return rc;
}

/*
 * A principal's plan: only what it may read resolves; a connection it
 * may not read is exactly a missing name, suggested to nobody who cannot
 * read it; the files come from memory only.
 */
static void test_ops_plan_as_principal(void **state)
{
	const char *files[] = {
		"ci/p.yml",
		"steps:\n"
		"- task: Docker@2\n"
		"  inputs:\n"
		"    containerRegistry: acr-main\n"
		"- task: Docker@2\n"
		"  inputs:\n"
		"    containerRegistry: acr-stag\n"
		"- template: t/x.yml\n"
		"- template: t/unsent.yml\n",
		"ci/t/x.yml",
		"steps:\n"
		"- task: Docker@2\n"
		"  inputs:\n"
		"    containerRegistry: acr-stage\n",
		NULL
	};
	const char *bad[][2] = {
		{ "/etc/passwd", "not a relative path" },
		{ "a/../b.yml", "goes up with '..'" },
		{ "./b.yml", "is not normalised" },
		{ "", "not a relative path" },
	};
	svc_conn *c = NULL;
	svc_plan *p = NULL;
	const svc_ref *r;
	size_t i;
	char *s;

	(void)state;
	assert_int_equal(setenv("SVCCONN_TASKS_PATH",
				SVC_SHARED_DIR "/data/tasks", 1), 0);
	assert_int_equal(svc_store_conn_get(&c, st, "acr-main", 0), 0);
	assert_int_equal(svc_store_role_set(st, svc_conn_id(c), "nora",
					    SVC_ROLE_READER, "tester"), 0);
	svc_conn_free(c);

	/* the creator reads both: a near miss is offered acr-stage */
	assert_int_equal(ops_plan(&p, "tester", 0, "ci/p.yml", files), 0);
	assert_non_null(r = pu_find(p, "ci/p.yml", 7, "containerRegistry"));
	assert_non_null(strstr(r->message, "did you mean 'acr-stage'"));
	assert_non_null(r = pu_find(p, "ci/t/x.yml", 4, "containerRegistry"));
	assert_int_equal(r->status, SVC_REF_RESOLVED);
	assert_string_equal(r->authz, "needs-permission");
	assert_true(pu_diag_has(p, "template 'ci/t/unsent.yml' not found"));
	svc_plan_free(p);

	/* nora reads acr-main only */
	assert_int_equal(ops_plan(&p, "nora", 0, "ci/p.yml", files), 0);
	assert_non_null(r = pu_find(p, "ci/p.yml", 4, "containerRegistry"));
	assert_int_equal(r->status, SVC_REF_RESOLVED);
	assert_string_equal(r->authz, "needs-permission");
	assert_non_null(r = pu_find(p, "ci/p.yml", 7, "containerRegistry"));
	assert_string_equal(r->message,
			    "no connection named 'acr-stag' (expected a connection of type 'dockerregistry')");
	assert_non_null(r = pu_find(p, "ci/t/x.yml", 4, "containerRegistry"));
	assert_int_equal(r->status, SVC_REF_UNKNOWN_NAME);
	assert_null(r->conn_id);
	assert_null(r->authz);
	assert_string_equal(r->message,
			    "no connection named 'acr-stage' (expected a connection of type 'dockerregistry')");
	s = svc_plan_json(p);
	assert_null(strstr(s, "did you mean"));
	free(s);
	assert_false(svc_plan_ok(p));
	svc_plan_free(p);

	/* nobody with no role: nothing resolves */
	assert_int_equal(ops_plan(&p, "nobody", 0, "ci/p.yml", files), 0);
	for (i = 0; i < svc_plan_ref_count(p); i++)
		assert_int_equal(svc_plan_ref_at(p, i)->status,
				 SVC_REF_UNKNOWN_NAME);
	svc_plan_free(p);

	/* refused: paths, fetching */
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *one[] = { "p.yml", "steps: []\n", bad[i][0], "x",
				      NULL };

		p = NULL;
		assert_int_equal(ops_plan(&p, "tester", 0, "p.yml", one),
				 SVC_EINVALID);
		assert_null(p);
		assert_non_null(strstr(svc_error_last(), "field 'files'"));
		assert_non_null(strstr(svc_error_last(), bad[i][1]));
		assert_int_equal(ops_plan(&p, "tester", 0, bad[i][0], one),
				 SVC_EINVALID);
		assert_non_null(strstr(svc_error_last(), "field 'file'"));
	}
	assert_int_equal(ops_plan(&p, "tester", SVC_PLAN_FETCH, "ci/p.yml",
				  files), SVC_EINVALID);
	assert_null(p);
	{
		/* more than the 20 MiB a pipeline's files may hold together */
		size_t half = TPL_MAX_BYTES / 2 + 1;
		char *big = malloc(half + 1);
		const char *two[] = { "a.yml", big, "b.yml", big, NULL };

		assert_non_null(big);
		memset(big, '#', half);
		big[half] = '\0';
		assert_int_equal(ops_plan(&p, "tester", 0, "a.yml", two),
				 SVC_EINVALID);
		assert_null(p);
		assert_non_null(strstr(svc_error_last(),
				       "field 'files': more than"));
		assert_non_null(strstr(svc_error_last(), "'b.yml'"));
		free(big);
	}
	unsetenv("SVCCONN_TASKS_PATH");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_main_pipeline),
		cmocka_unit_test(test_vars_and_conditionals),
		cmocka_unit_test(test_job_variables_and_env),
		cmocka_unit_test(test_problems),
		cmocka_unit_test(test_cycle),
		cmocka_unit_test(test_extends_and_parameters_without_value),
		cmocka_unit_test(test_json_shape),
		cmocka_unit_test(test_official_onebranch),
		cmocka_unit_test(test_official_1es),
		cmocka_unit_test(test_other_repo_inline),
		cmocka_unit_test(test_root_relative),
		cmocka_unit_test(test_legacy_phases),
		cmocka_unit_test(test_steps_only_and_anchors),
		cmocka_unit_test(test_clone_urls),
		cmocka_unit_test(test_json_round_trip),
		cmocka_unit_test(test_ops_plan_as_principal),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
