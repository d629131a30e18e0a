/*
 * checkutil.h - the building blocks of the checks on a connection: timeout
 * durations, business-hours windows in an IANA time zone, branch control
 * patterns, and the Invoke-REST-API call with its success criteria.
 *
 * Nothing here knows about runs, stores or approvals: these are the pure
 * (or, for the REST call, self-contained) pieces the check engine is built
 * from, each testable on its own.  The semantics follow
 * shared/notes/checks-and-permissions.md.
 *
 * Time zones are read from the TZif files under CHECK_ZONEINFO_DIR by a
 * parser of our own (checkutil.c), never through setenv("TZ")/localtime():
 * the library must not touch the process environment or other global state.
 *
 * Conventions: 0 for success, SVC_EINVALID with svc_error_last() for bad
 * input; out-parameters are set only on success unless a function says
 * otherwise.  The REST functions live in rest.c (libcurl and jansson).
 */
#ifndef SVC_AUTHZ_CHECKUTIL_H
#define SVC_AUTHZ_CHECKUTIL_H

#include <stddef.h>
#include <time.h>

#include "util/buf.h"

/* ------------------------------------------------------------------------
 * Durations
 */

/** Longest duration a check accepts: 365 days, in seconds. */
#define CHECK_DURATION_MAX (365L * 24 * 60 * 60)

/**
 * Parse a duration: digits followed by one unit, "d" (days), "h" (hours),
 * "m" (minutes) or "s" (seconds) - "30d", "12h", "5m", "90s" - or "0"
 * alone.  A number without a unit is refused (minutes or seconds would be a
 * guess), as are signs, spaces, fractions and anything above 365d.
 */
int check_parse_duration(long *seconds, const char *s);

/* ------------------------------------------------------------------------
 * Time zones
 */

#ifndef CHECK_ZONEINFO_DIR
/** Where IANA time-zone files are looked up. */
#define CHECK_ZONEINFO_DIR "/usr/share/zoneinfo"
#endif

/** Largest TZif file accepted, in bytes. */
#define CHECK_TZ_MAX_FILE ((size_t)256 * 1024)

/** A loaded time zone (opaque): transitions, types and the POSIX rule. */
typedef struct check_tz check_tz;

/**
 * Load the IANA zone name ("Europe/Berlin", "UTC") from CHECK_ZONEINFO_DIR.
 * The name is checked first: letters, digits and "/_+-." only, no empty,
 * "." or ".." component, no leading "/", shorter than 64 bytes.  Files
 * with leap-second records ("right/...") are refused.
 */
int check_tz_load(check_tz **out, const char *name);
/**
 * Parse a TZif file (versions 1 to 4) held in memory; name is only used in
 * messages.  Every count and offset is checked against len, so truncated
 * or hostile data fails with SVC_EINVALID.
 */
int check_tz_parse(check_tz **out, const char *name,
		   const unsigned char *data, size_t len);
/**
 * A zone from a POSIX TZ rule alone ("CET-1CEST,M3.5.0,M10.5.0/3",
 * "<+09>-9", "EST5EDT,M3.2.0,M11.1.0"), as found in a TZif footer.
 */
int check_tz_posix(check_tz **out, const char *rule);
void check_tz_free(check_tz *z);
/** Times beyond +-CHECK_TIME_MAX (about 557,000 years) are clamped. */
#define CHECK_TIME_MAX ((long long)1 << 44)
/** The offset from UTC, in seconds east, in effect at t. */
long check_tz_offset(const check_tz *z, time_t t);

/* ------------------------------------------------------------------------
 * Business hours
 */

/** A weekly window of opening hours in one time zone. */
typedef struct bh_window {
	unsigned days;  /**< open days: bit 0 = Sunday ... bit 6 = Saturday */
	char tz[64];    /**< IANA zone name, checked to exist */
	int start_min;  /**< opening, minutes after local midnight */
	int end_min;    /**< closing (excluded), minutes; 1440 = 24:00 */
} bh_window;

/**
 * Parse a window.  days: "*", or comma-separated day names or ranges
 * ("Mon-Fri", "Mon,Wed,Fri", "Sat-Sun"; a range may wrap: "Fri-Mon" is
 * Fri, Sat, Sun, Mon); names are English, three letters or in full, in
 * any case.  tz: an IANA zone name that exists (see check_tz_load).
 * start and end: "HH:MM" (one or two hour digits), 24-hour clock, with
 * start < end; end may be "24:00".
 */
int check_bh_parse(bh_window *w, const char *days, const char *tz,
		   const char *start, const char *end);
/**
 * Whether the window is open at t (within +-CHECK_TIME_MAX): *inside is 1
 * when t's local weekday is an open day and its local time is in
 * [start, end).  *next_open is t
 * itself when inside, otherwise the first instant after t at which the
 * window opens.  Daylight-saving changes are followed: an opening time
 * that falls in a gap (clocks going forward) opens at the end of the gap
 * when that is still before the closing time; an opening time that occurs
 * twice (clocks going back) opens at its first occurrence, and again at the
 * second if the window had closed in between.
 */
int check_bh_inside(const bh_window *w, time_t t, int *inside,
		    time_t *next_open);

/* ------------------------------------------------------------------------
 * Branch control
 */

/** Longest pattern list and ref accepted, in bytes. */
#define CHECK_BRANCH_MAX 8192

/**
 * Whether ref is allowed by patterns, a comma-separated list of fully
 * qualified refs with '*' wildcards ("refs/heads/main, refs/tags/v*").
 * Spaces around items are trimmed and empty items skipped.  A pattern that
 * does not start with "refs/" means "refs/heads/<pattern>"; "*" alone
 * allows every ref.  '*' matches any run of characters, '/' included;
 * every other character (including '?' and '[') is literal; matching is
 * case-sensitive.  A short ref ("main") is qualified the same way.
 * patterns NULL means the default, "*".
 * Returns 1 (allowed), 0 (not allowed), or SVC_EINVALID for a list without
 * any pattern, an empty ref, or input longer than CHECK_BRANCH_MAX.
 */
int check_branch_allowed(const char *patterns, const char *ref);

/* ------------------------------------------------------------------------
 * Invoke REST API (rest.c)
 */

/** Largest response body kept, in bytes. */
#define CHECK_REST_MAX_BODY ((size_t)1024 * 1024)
/** Default total timeout when a request gives none, in milliseconds. */
#define CHECK_REST_DEFAULT_TIMEOUT_MS 60000L
/** Longest connect phase, in milliseconds (bounded by the total too). */
#define CHECK_REST_CONNECT_TIMEOUT_MS 10000L

/** One HTTP call of a REST check; nothing here is owned. */
typedef struct rest_request {
	const char *method;       /**< "GET", "POST", ...: upper-case token */
	const char *url;          /**< http:// or https:// URL */
	const char *headers_json; /**< JSON object of extra headers (string
				       values), or NULL */
	const char *body;         /**< request body, or NULL for none */
	const char *username;     /**< basic auth user, or NULL for none */
	const char *password;     /**< basic auth password, or NULL */
	const char *const *default_headers; /**< "Name: value" lines that
				       carry the run's identity, NULL-ended,
				       or NULL; headers_json cannot override
				       them */
	long timeout_ms;          /**< total time allowed; 0: the default */
} rest_request;

/** What came back; release with rest_response_clear(). */
typedef struct rest_response {
	long status;    /**< HTTP status, 0 when no response was received */
	svc_buf body;   /**< response body, at most CHECK_REST_MAX_BODY */
	char *error;    /**< one-line reason of a failure, or NULL */
} rest_response;

/**
 * Make the call.  *out is initialised here (whatever it held is not freed)
 * and must be released with rest_response_clear() whatever the result.
 * Returns 0 when a response arrived, whatever its status.  Invalid
 * requests (a header name or value with CR, LF or another control
 * character, headers_json that is not an object of strings, a bad method)
 * give SVC_EINVALID before anything is sent; transport failures (DNS,
 * connect, timeout, TLS, a body over the limit) give SVC_ERROR.  Both set
 * out->error and svc_error_last() to the same one-line reason, e.g.
 * "cannot connect to 127.0.0.1:1: Connection refused" or "timed out after
 * 2000 ms".
 *
 * Only http and https are spoken, TLS peers and host names are verified,
 * redirects are never followed (a 3xx is returned as it is), and proxies
 * come from the environment as libcurl does by default (http_proxy,
 * https_proxy, no_proxy).  "Expect: 100-continue" is never sent; with a
 * body and no Content-Type header, "Content-Type: application/json" is.
 */
int check_rest_call(rest_response *out, const rest_request *req);
/** Free what r holds (NULL accepted); r may be reused after. */
void rest_response_clear(rest_response *r);

/**
 * Evaluate success criteria on a response body: json_body (len bytes,
 * at most CHECK_REST_MAX_BODY) is parsed as JSON and bound to the name
 * `root` (any case) of the template expression language
 * ("eq(root['status'], 'successful')", "and(eq(root.a, 1), ...)"); *ok is
 * 1 when the result is truthy.  On a body that is not JSON, an invalid
 * expression or a failed evaluation, returns SVC_EINVALID and sets *why
 * (when why is not NULL; free it) to "response is not JSON: ..." or
 * "invalid success criteria: ...".
 *
 * An empty (or blank) expression is refused with SVC_EINVALID: a check
 * without success criteria passes on any 2xx status, which the caller
 * decides from rest_response.status without calling this.
 */
int check_rest_success(int *ok, const char *expression, const char *json_body,
		       size_t len, char **why);

#endif
