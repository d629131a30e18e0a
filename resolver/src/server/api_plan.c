/*
 * api_plan.c - POST /{org}/{project}/_apis/svcconn/plan: `svcconn plan`
 * against a server.  The body carries the pipeline and the templates it
 * includes, read by the client:
 *
 *   {"file": "ci/pipe.yml", "files": {"ci/pipe.yml": "...", ...},
 *    "pipeline": NAME?, "branch": REF?, "variables": ["N=V", ...]?,
 *    "exact": false?}
 *
 * and the answer is svc_plan_json's document, what `svcconn plan --json`
 * prints locally.  The plan is built by svc_ops_plan as the request's
 * principal in the path's project: from the files sent only (never from
 * the server's disk), against the connections it may read.  Every member
 * is checked for its type here and every path by svc_ops_plan; a refusal
 * is a 400 naming the field.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <microhttpd.h>

#include "svcconn/ops.h"
#include "pipeline/template.h"
#include "server/server_int.h"

/* Most variables one request may set, as the CLI's --var. */
#define PLAN_MAX_VARS 256

/* A 400 naming field, what it must be. */
static int bad_field(struct srv_call *c, const char *field, const char *must)
{
	return srv_error(c, MHD_HTTP_BAD_REQUEST, "ArgumentException",
			 "'%s': field '%s' %s", c->request, field, must);
}

/* Optional string member key of body into *out: 0, or the reply sent. */
static int opt_str(struct srv_call *c, json_t *body, const char *key,
		   const char **out)
{
	json_t *v = json_object_get(body, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v) || strlen(json_string_value(v)) !=
				      json_string_length(v))
		return bad_field(c, key, "must be a string");
	*out = json_string_value(v);
	return 0;
}

int api_plan(struct srv_call *c)
{
	const struct srv_shared *sh = srv_shared(c->srv);
	json_t *body, *files, *vars, *exact, *v;
	const char *key, *vlist[PLAN_MAX_VARS];
	svc_plan_file flist[TPL_MAX_FILES];
	svc_plan_options po;
	svc_plan *plan = NULL;
	json_error_t err;
	size_t n = 0, i;
	char *text;
	int rc;

	body = json_loadb(c->body, c->body_len, JSON_REJECT_DUPLICATES, &err);
	if (!json_is_object(body)) {
		json_decref(body);
		return srv_error(c, MHD_HTTP_BAD_REQUEST, "ArgumentException",
				 "the body of '%s' must be a JSON object (a pipeline and its files)",
				 c->request);
	}
	memset(&po, 0, sizeof(po));
	po.version = SVC_PLAN_OPTIONS_VERSION;
	files = json_object_get(body, "files");
	vars = json_object_get(body, "variables");
	exact = json_object_get(body, "exact");
	if ((rc = opt_str(c, body, "file", &po.file)) ||
	    (rc = opt_str(c, body, "pipeline", &po.pipeline)) ||
	    (rc = opt_str(c, body, "branch", &po.branch)))
		goto done;
	if (!po.file) {
		rc = bad_field(c, "file", "is required (a string)");
		goto done;
	}
	if (!json_is_object(files)) {
		rc = bad_field(c, "files", "is required (an object of paths and their contents)");
		goto done;
	}
	if (json_object_size(files) > TPL_MAX_FILES) {
		rc = srv_error(c, MHD_HTTP_BAD_REQUEST, "ArgumentException",
			       "'%s': field 'files': more than %d files",
			       c->request, TPL_MAX_FILES);
		goto done;
	}
	json_object_foreach(files, key, v) {
		if (!json_is_string(v)) {
			rc = srv_error(c, MHD_HTTP_BAD_REQUEST, "ArgumentException",
				       "'%s': field 'files': the contents of '%s' must be a string",
				       c->request, key);
			goto done;
		}
		flist[n].path = key;
		flist[n].text = json_string_value(v);
		flist[n++].len = json_string_length(v);
	}
	if (vars && !json_is_null(vars)) {
		if (!json_is_array(vars) || json_array_size(vars) > PLAN_MAX_VARS) {
			rc = bad_field(c, "variables",
				       "must be an array of at most 256 strings NAME=VALUE");
			goto done;
		}
		json_array_foreach(vars, i, v) {
			const char *s = json_string_value(v);

			if (!s || strlen(s) != json_string_length(v) ||
			    !strchr(s, '=') || s[0] == '=') {
				rc = bad_field(c, "variables",
					       "must be an array of at most 256 strings NAME=VALUE");
				goto done;
			}
			vlist[po.nvars++] = s;
		}
		po.vars = vlist;
	}
	if (exact && !json_is_boolean(exact)) {
		rc = bad_field(c, "exact", "must be true or false");
		goto done;
	}
	po.flags = json_is_true(exact) ? SVC_PLAN_EXACT : 0;
	if ((rc = svc_ops_plan(&plan, sh->store, c->who, &po, flist, n,
			       sh->catalog))) {
		rc = srv_lib_error(c, rc);
		goto done;
	}
	text = svc_plan_json(plan);
	v = text ? json_loads(text, 0, &err) : NULL;
	free(text);
	rc = v ? srv_reply(c, MHD_HTTP_OK, v)
	       : srv_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
			   "InternalServerErrorException",
			   "'%s': the plan could not be written", c->request);
done:
	svc_plan_free(plan);
	json_decref(body);
	return rc;
}
