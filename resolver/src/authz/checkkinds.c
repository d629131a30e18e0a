/*
 * checkkinds.c - the table of check kinds (see checkkinds.h).  The order of
 * the table is the order kinds are named in messages.
 */
#include <string.h>

#include "authz/checkkinds.h"

static const check_kind kinds[] = {
	{ "approval", SVC_CHECK_DYNAMIC,
	  "approvers,min,allow-requester,instructions,timeout", "approvers", 1,
	  check_configure_approval, check_evaluate_approval },
	{ "branch-control", SVC_CHECK_STATIC, "allowed", "allowed", 0,
	  check_configure_branch, check_evaluate_branch },
	{ "business-hours", SVC_CHECK_DYNAMIC, "days,tz,start,end,timeout",
	  "days,tz,start,end", 1, check_configure_hours, check_evaluate_hours },
	{ "rest-api", SVC_CHECK_DYNAMIC,
	  "connection,method,url-suffix,headers,body,success,retry-interval,timeout",
	  "connection", 1, check_configure_rest, check_evaluate_rest, 1 },
	{ "required-template", SVC_CHECK_STATIC, "repo,ref,path", "repo,ref,path",
	  0, check_configure_template, check_evaluate_template },
	{ "exclusive-lock", SVC_CHECK_LOCK, "", "", 0, NULL, NULL },
};

#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

const check_kind *check_kind_find(const char *name)
{
	size_t i;

	for (i = 0; name && i < NKINDS; i++)
		if (!strcmp(kinds[i].name, name))
			return &kinds[i];
	return NULL;
}

const check_kind *check_kind_at(size_t i)
{
	return i < NKINDS ? &kinds[i] : NULL;
}

void check_kind_names(svc_buf *b, int bypassable_only, const char *last_sep)
{
	size_t i, n = 0, total = 0;

	for (i = 0; i < NKINDS; i++)
		total += !bypassable_only || kinds[i].bypassable;
	for (i = 0; i < NKINDS; i++) {
		if (bypassable_only && !kinds[i].bypassable)
			continue;
		if (n)
			buf_puts(b, n + 1 == total ? last_sep : ", ");
		buf_puts(b, kinds[i].name);
		n++;
	}
}

svc_check_category svc_check_kind_category(const char *kind)
{
	const check_kind *k = check_kind_find(kind);

	return k ? k->category : SVC_CHECK_UNKNOWN;
}
