/*
 * planutil.c - building a store and plans for the pipeline tests.
 */
#include <stdlib.h>
#include <string.h>

#include "planutil.h"
#include "testutil.h"
#include "store/store_write.h"

svc_store *pu_store(char **dir)
{
	svc_store_options o = { SVC_STORE_OPTIONS_VERSION, NULL, NULL };
	svc_store *st = NULL;

	*dir = tu_mkdtemp();
	o.home = *dir;
	assert_int_equal(svc_store_init(&o, "tester"), 0);
	assert_int_equal(svc_store_open(&st, &o), 0);
	return st;
}

void pu_conn(svc_store *st, const char *name, const char *type,
	     const char *scheme, const char *id)
{
	svc_conn *c = NULL;

	assert_int_equal(svc_conn_new(&c, type, name), 0);
	assert_int_equal(svc_conn_set_scheme(c, scheme), 0);
	if (id)
		assert_int_equal(svc_conn_set_id(c, id), 0);
	if (svc_store_conn_create(st, c, "tester") != 0)
		fail_msg("cannot store '%s': %s", name, svc_error_last());
	svc_conn_free(c);
}

svc_plan *pu_plan(svc_store *st, const svc_catalog *cat, const char *file,
		  const char *const *vars)
{
	const char *dirs[] = { SVC_SHARED_DIR "/data/tasks" };
	svc_plan_options o;
	svc_plan *p = NULL;
	size_t n = 0;

	while (vars && vars[n])
		n++;
	memset(&o, 0, sizeof(o));
	o.version = SVC_PLAN_OPTIONS_VERSION;
	o.file = file;
	o.vars = vars;
	o.nvars = n;
	o.task_dirs = dirs;
	o.ntask_dirs = 1;
	if (svc_plan_build(&p, &o, st, cat) != 0)
		fail_msg("plan %s: %s", file, svc_error_last());
	return p;
}

const svc_ref *pu_find(const svc_plan *p, const char *file_suffix,
		       unsigned line, const char *key)
{
	size_t i, fl = strlen(file_suffix);

	for (i = 0; i < svc_plan_ref_count(p); i++) {
		const svc_ref *r = svc_plan_ref_at(p, i);
		size_t l = strlen(r->file);

		if (r->line == line && l >= fl &&
		    strcmp(r->file + l - fl, file_suffix) == 0 &&
		    (!key || strcmp(r->key, key) == 0))
			return r;
	}
	return NULL;
}

int pu_diag_has(const svc_plan *p, const char *text)
{
	const svc_diags *d = svc_plan_diags(p);
	size_t i;

	for (i = 0; i < svc_diags_count(d); i++)
		if (strstr(svc_diags_at(d, i)->message, text))
			return 1;
	return 0;
}
