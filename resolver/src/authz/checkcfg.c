/*
 * checkcfg.c - the configuration of a check, built from options and
 * checked before it is stored, so that a check never fails later for a
 * value that was wrong when it was added.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "svcconn/authz.h"
#include "authz/checkkinds.h"
#include "authz/checkutil.h"
#include "errors_int.h"

static int in_list(const char *list, const char *key)
{
	size_t n = strlen(key);

	while (*list) {
		size_t len = strcspn(list, ",");

		if (len == n && !strncmp(list, key, n))
			return 1;
		list += len;
		if (*list == ',')
			list++;
	}
	return 0;
}

static const char *get(const char *const *keys, const char *const *values,
		       size_t n, const char *key)
{
	size_t i;

	for (i = n; i > 0; i--)
		if (!strcmp(keys[i - 1], key))
			return values[i - 1];
	return NULL;
}

static int duration(json_t *o, const char *name, const char *key,
		    const char *v)
{
	long secs;

	if (!v)
		return 0;
	if (check_parse_duration(&secs, v))
		return error_set(SVC_EINVALID, "invalid --%s '%s': %s", key, v,
				 svc_error_last());
	json_object_set_new(o, name, json_integer(secs));
	return 0;
}

int check_configure_approval(json_t *o, svc_store *st, const char *const *k,
			     const char *const *v, size_t n)
{
	const char *list = get(k, v, n, "approvers"), *min = get(k, v, n, "min");
	const char *allow = get(k, v, n, "allow-requester");
	json_t *a = json_array();
	char *end;
	long m = 0;

	(void)st;
	while (*list) {
		size_t len = strcspn(list, ",");
		const char *s = list, *e = list + len;

		while (s < e && *s == ' ')
			s++;
		while (e > s && e[-1] == ' ')
			e--;
		if (e > s)
			json_array_append_new(a, json_stringn(s, (size_t)(e - s)));
		list += len;
		if (*list == ',')
			list++;
	}
	json_object_set_new(o, "approvers", a);
	if (!json_array_size(a))
		return error_set(SVC_EINVALID, "--approvers names no approver");
	if (min) {
		m = strtol(min, &end, 10);
		if (!*min || *end || m < 1 || (size_t)m > json_array_size(a))
			return error_set(SVC_EINVALID,
					 "--min must be from 1 to the number of approvers (%zu)",
					 json_array_size(a));
		json_object_set_new(o, "min", json_integer(m));
	}
	if (allow)
		json_object_set_new(o, "allowRequester",
				    json_boolean(!strcasecmp(allow, "true")));
	if (get(k, v, n, "instructions"))
		json_object_set_new(o, "instructions",
				    json_string(get(k, v, n, "instructions")));
	return duration(o, "timeout", "timeout", get(k, v, n, "timeout"));
}

int check_configure_hours(json_t *o, svc_store *st, const char *const *k,
			  const char *const *v, size_t n)
{
	bh_window w;

	(void)st;
	if (check_bh_parse(&w, get(k, v, n, "days"), get(k, v, n, "tz"),
			   get(k, v, n, "start"), get(k, v, n, "end")))
		return error_set(SVC_EINVALID, "invalid business hours: %s",
				 svc_error_last());
	json_object_set_new(o, "days", json_string(get(k, v, n, "days")));
	json_object_set_new(o, "tz", json_string(get(k, v, n, "tz")));
	json_object_set_new(o, "start", json_string(get(k, v, n, "start")));
	json_object_set_new(o, "end", json_string(get(k, v, n, "end")));
	return duration(o, "timeout", "timeout", get(k, v, n, "timeout"));
}

int check_configure_rest(json_t *o, svc_store *st, const char *const *k,
			 const char *const *v, size_t n)
{
	const char *cname = get(k, v, n, "connection"), *h = get(k, v, n, "headers");
	const char *expr = get(k, v, n, "success"), *method = get(k, v, n, "method");
	svc_conn *c = NULL;
	json_error_t jerr;
	json_t *hj;
	char *why = NULL;
	int ok, rc;

	if ((rc = svc_store_conn_get(&c, st, cname, 0)))
		return error_set(SVC_EINVALID, "--connection: %s", svc_error_last());
	if (strcasecmp(svc_conn_type(c), "generic")) {
		rc = error_set(SVC_EINVALID,
			       "--connection '%s' is a %s connection; a REST check calls a Generic connection",
			       svc_conn_name(c), svc_conn_type(c));
		svc_conn_free(c);
		return rc;
	}
	json_object_set_new(o, "connection", json_string(svc_conn_id(c)));
	svc_conn_free(c);
	if (method) {
		const char *p;

		for (p = method; *p; p++)
			if (*p < 'A' || *p > 'Z')
				return error_set(SVC_EINVALID,
						 "--method must be an HTTP method such as GET or POST");
		json_object_set_new(o, "method", json_string(method));
	}
	if (h) {
		hj = json_loads(h, 0, &jerr);
		if (!json_is_object(hj)) {
			json_decref(hj);
			return error_set(SVC_EINVALID, "--headers must be a JSON object");
		}
		json_decref(hj);
		json_object_set_new(o, "headers", json_string(h));
	}
	if (get(k, v, n, "url-suffix"))
		json_object_set_new(o, "urlSuffix", json_string(get(k, v, n, "url-suffix")));
	if (get(k, v, n, "body"))
		json_object_set_new(o, "body", json_string(get(k, v, n, "body")));
	if (expr) {
		/* a syntax error is found now, not at the first run */
		if (check_rest_success(&ok, expr, "{}", 2, &why) &&
		    why && !strstr(why, "not JSON")) {
			rc = error_set(SVC_EINVALID, "--success: %s", why);
			free(why);
			return rc;
		}
		free(why);
		json_object_set_new(o, "success", json_string(expr));
	}
	if ((rc = duration(o, "retryInterval", "retry-interval",
			   get(k, v, n, "retry-interval"))))
		return rc;
	return duration(o, "timeout", "timeout", get(k, v, n, "timeout"));
}

int check_configure_branch(json_t *o, svc_store *st, const char *const *k,
			   const char *const *v, size_t n)
{
	const char *a = get(k, v, n, "allowed");

	(void)st;
	if (!a || !*a)
		return error_set(SVC_EINVALID, "--allowed names no branch");
	json_object_set_new(o, "allowed", json_string(a));
	return 0;
}

int check_configure_template(json_t *o, svc_store *st, const char *const *k,
			     const char *const *v, size_t n)
{
	(void)st;
	json_object_set_new(o, "repo", json_string(get(k, v, n, "repo")));
	json_object_set_new(o, "ref", json_string(get(k, v, n, "ref")));
	json_object_set_new(o, "path", json_string(get(k, v, n, "path")));
	return 0;
}

int svc_check_config(char **json, svc_store *st, const char *kind,
		     const char *const *keys, const char *const *values,
		     size_t n)
{
	const check_kind *k = check_kind_find(kind);
	json_t *o;
	size_t i;
	int rc = 0;

	if (!k) {
		svc_buf names = SVC_BUF_INIT;

		check_kind_names(&names, 0, ", ");
		rc = error_set(SVC_EINVALID, "unknown check kind '%s' (%s)",
			       kind ? kind : "", names.ptr ? names.ptr : "");
		buf_clear(&names);
		return rc;
	}
	for (i = 0; i < n; i++)
		if (!in_list(k->keys, keys[i]))
			return error_set(SVC_EINVALID,
					 "a %s check takes no --%s", kind, keys[i]);
	{
		const char *req = k->required;

		while (*req) {
			size_t len = strcspn(req, ",");
			char key[32];

			snprintf(key, sizeof(key), "%.*s", (int)len, req);
			if (!get(keys, values, n, key))
				return error_set(SVC_EINVALID,
						 "a %s check needs --%s", kind, key);
			req += len;
			if (*req == ',')
				req++;
		}
	}
	o = json_object();
	if (k->configure)
		rc = k->configure(o, st, keys, values, n);
	if (!rc && !(*json = json_dumps(o, JSON_COMPACT)))
		rc = error_oom();
	json_decref(o);
	return rc;
}
