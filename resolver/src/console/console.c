/*
 * console.c - svcconn-server's web console: sign-in with a user name and
 * password (an Argon2id hash, users.h) or a personal access token, the
 * page of a rate-limited sign-in (429), sessions, the checks every
 * request passes, and the route table of its pages (console_pages.c,
 * console_forms.c, console_runs.c, console_security.c, console_audit.c).
 *
 * The console is a front end like the CLI: each page calls svc_ops_* as
 * the signed-in principal, exactly as the API's handlers do, and shows
 * what the authority layer answers; it holds no role logic of its own.
 *
 * Sessions live in the store (console_sessions.c), so every server of a
 * fleet knows them: a 256-bit random id in a cookie (HttpOnly; Secure;
 * SameSite=Strict; Path=/console), its row keyed by the id's SHA-256,
 * ending after an idle time and an absolute time, or when its token or
 * password goes; a session keeps the principal's name and its token's
 * scopes ("full" for a password), never the token or the password.  Every
 * POST but the sign-in carries the session's CSRF token
 * (a hidden field, compared in constant time), and every POST must come
 * from the console's own origin (Origin and Sec-Fetch-Site, when the
 * browser sends them).  Every response carries a strict
 * Content-Security-Policy (no inline script), nosniff, no referrer and
 * no-store.
 *
 * The server calls every handler here under its store lock: the session
 * rows are read and written in the store's own transactions under it.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>
#include <microhttpd.h>
#include <openssl/crypto.h>

#include "svcconn/secret.h"
#include "svcconn/tokens.h"
#include "svcconn/users.h"
#include "console/console_int.h"
#include "errors_int.h"

/* The session cookie's name. */
#define COOKIE "svcconn_session"
/* Hex digits of a session id and of a CSRF token. */
#define ID_HEX (2 * CON_ID_BYTES)
/* Default idle and absolute time-outs, seconds. */
#define DEF_IDLE_S 900
#define DEF_MAX_S 28800
/* Longest console path kept (longer: no page). */
#define PATH_MAX_LEN 2048

/* The assets (style sheet, script, icon), generated from console/assets/ at build time. */
extern const char con_css[];
extern const char con_js[];
extern const char con_svg[];

struct console {
	unsigned idle_s;                /**< idle time-out */
	unsigned max_s;                 /**< absolute time-out */
	int https;                      /**< the origin's scheme is https */
};

int console_new(struct console **out, unsigned idle_s, unsigned max_s,
		int https)
{
	struct console *con = calloc(1, sizeof(*con));

	if (!con)
		return error_oom();
	con->idle_s = idle_s ? idle_s : DEF_IDLE_S;
	con->max_s = max_s ? max_s : DEF_MAX_S;
	con->https = https;
	*out = con;
	return 0;
}

void console_free(struct console *con)
{
	free(con);
}

/*
 * The live session of the request's cookie into *s (con_session_find);
 * SVC_ENOTFOUND when there is none.
 */
static int session_find(struct con_session *s, const struct console *con,
			struct srv_call *c)
{
	const struct srv_shared *sh = srv_shared(c->srv);

	return con_session_find(s, sh->store,
				MHD_lookup_connection_value(c->conn,
							    MHD_COOKIE_KIND,
							    COOKIE),
				con->idle_s);
}

/* ---- what every response and every POST gets ---------------------------- */

/* The headers of every console response. */
static void security_headers(struct srv_call *c)
{
	srv_header_add(c, "Content-Security-Policy",
		       "default-src 'none'; script-src 'self'; style-src 'self'; "
		       "img-src 'self'; form-action 'self'; "
		       "frame-ancestors 'none'; base-uri 'none'");
	srv_header_add(c, "Referrer-Policy", "no-referrer");
	srv_header_add(c, "X-Frame-Options", "DENY");
}

/*
 * 1 when a POST comes from the console's own origin as far as the
 * browser says: Sec-Fetch-Site same-origin when sent, Origin this
 * server's scheme and Host when sent ("null" only with Sec-Fetch-Site).
 */
static int same_origin(const struct console *con, struct srv_call *c)
{
	const char *site = MHD_lookup_connection_value(c->conn, MHD_HEADER_KIND,
						       "Sec-Fetch-Site");
	const char *origin = MHD_lookup_connection_value(c->conn,
							 MHD_HEADER_KIND,
							 "Origin");
	const char *host = MHD_lookup_connection_value(c->conn, MHD_HEADER_KIND,
						       MHD_HTTP_HEADER_HOST);
	const char *scheme = con->https ? "https://" : "http://";
	size_t n = strlen(scheme);

	if (site && strcmp(site, "same-origin") != 0)
		return 0;
	/* under Referrer-Policy: no-referrer a browser sends Origin: null
	 * with its own same-origin form posts; Sec-Fetch-Site vouches then */
	if (!origin || (site && !strcmp(origin, "null")))
		return 1;
	return host && strncmp(origin, scheme, n) == 0 &&
	       strcmp(origin + n, host) == 0;
}

/* 1 when the POST's csrf field is the session's token. */
static int csrf_ok(const struct con_session *s, const struct srv_call *c)
{
	svc_buf v;
	int ok;

	buf_init(&v, ID_HEX, 1);
	ok = con_form_get(&v, c, "csrf", ID_HEX) == 0 && v.len == ID_HEX &&
	     CRYPTO_memcmp(v.ptr, s->csrf, ID_HEX) == 0;
	buf_clear(&v);
	return ok;
}

/* ---- forms and query arguments ------------------------------------------ */

int con_form_get(svc_buf *out, const struct srv_call *c, const char *name,
		 size_t max)
{
	const char *p = c->body, *end = c->body + c->body_len;
	size_t nlen = strlen(name);

	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *stop = amp ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(stop - p));

		if (eq && (size_t)(eq - p) == nlen && memcmp(p, name, nlen) == 0) {
			svc_buf raw;
			size_t i, len;
			int rc;

			/* '+' is a space; libmicrohttpd decodes the %XX
			 * escapes (one it cannot decode stays as sent) */
			buf_init(&raw, c->body_len, 1);
			if (buf_put(&raw, eq + 1, (size_t)(stop - eq - 1))) {
				buf_clear(&raw);
				return -1;
			}
			for (i = 0; i < raw.len; i++)
				if (raw.ptr[i] == '+')
					raw.ptr[i] = ' ';
			len = MHD_http_unescape(raw.ptr);
			/* a NUL would cut the value short where C reads it */
			buf_reset(out);
			rc = len == strlen(raw.ptr) && len <= max &&
			     buf_put(out, raw.ptr, len) == 0 ? 0 : -1;
			buf_clear(&raw);
			return rc;
		}
		p = stop + 1;
	}
	return -1;
}

size_t con_page_number(const struct srv_call *c)
{
	const char *v = srv_query(c, "page");
	unsigned long n;
	char *e;

	if (!v)
		return 1;
	n = strtoul(v, &e, 10);
	return *v && !*e && n >= 1 && n <= 1000000 ? (size_t)n : 1;
}

void con_pager(struct con_req *r, const char *tail, const char *qname,
	       const char *qvalue, size_t page, size_t n)
{
	size_t pages = (n + CON_PAGE_ROWS - 1) / CON_PAGE_ROWS;
	svc_buf qq = SVC_BUF_INIT;

	if (pages <= 1)
		return;
	if (qname && qvalue && *qvalue) {
		buf_printf(&qq, "%s=", qname);
		html_url_segment(&qq, qvalue);
		buf_puts(&qq, "&");
	}
	html_printf(&r->h, "<nav class=\"pager\" aria-label=\"Pages\">");
	if (page > 1)
		html_printf(&r->h, "<a href=\"%s%s?%spage=%zu\" rel=\"prev\">Previous</a>",
			    r->base, tail, qq.ptr ? qq.ptr : "", page - 1);
	html_printf(&r->h, "<span>Page %zu of %zu (%zu in all)</span>", page,
		    pages, n);
	if (page < pages)
		html_printf(&r->h, "<a href=\"%s%s?%spage=%zu\" rel=\"next\">Next</a>",
			    r->base, tail, qq.ptr ? qq.ptr : "", page + 1);
	html_printf(&r->h, "</nav>");
	buf_clear(&qq);
}

/* ---- pages: frame, errors, redirects ------------------------------------- */

void con_csrf_field(struct con_req *r)
{
	html_printf(&r->h, "<input type=\"hidden\" name=\"csrf\" value=\"%s\">",
		    r->csrf);
}

void con_page_begin(struct con_req *r, const char *title, const char *purpose)
{
	html_printf(&r->h,
		    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
		    "<title>%s - svcconn</title>"
		    "<link rel=\"icon\" href=\"/console/console.svg\">"
		    "<link rel=\"stylesheet\" href=\"/console/console.css\">"
		    "<script src=\"/console/console.js\" defer></script>"
		    "</head><body><a class=\"skip\" href=\"#main\">Skip to content</a>"
		    "<header class=\"top\"><span class=\"brand\">svcconn</span>",
		    title);
	if (r->csrf) {
		html_printf(&r->h,
			    "<nav aria-label=\"Main\"><a href=\"%s/connections\">Service connections</a>"
			    "<a href=\"%s/requests\">Permission requests</a>"
			    "<a href=\"%s/approvals\">Approvals</a>"
			    "<a href=\"%s/audit\">Audit log</a></nav>"
			    "<span class=\"who\">%s in %s</span>"
			    "<form method=\"post\" action=\"/console/signout\" class=\"signout\">",
			    r->base, r->base, r->base, r->base,
			    svc_principal_name(r->c->who),
			    svc_principal_project(r->c->who));
		con_csrf_field(r);
		html_printf(&r->h, "<button type=\"submit\">Sign out</button></form>");
	}
	html_printf(&r->h, "</header><main id=\"main\"><h1>%s</h1>"
		    "<p class=\"purpose\">%s</p>", title, purpose);
}

int con_page_send(struct con_req *r, unsigned status)
{
	size_t len = 0;
	char *text;

	html_printf(&r->h, "</main></body></html>\n");
	security_headers(r->c);
	if (r->h.failed) {
		html_clear(&r->h);
		return srv_error(r->c, MHD_HTTP_INTERNAL_SERVER_ERROR,
				 "InternalServerErrorException",
				 "the page of '%s' could not be written",
				 r->c->request);
	}
	text = buf_detach(&r->h.b, &len);
	return srv_reply_page(r->c, status, "text/html; charset=utf-8", text,
			      len);
}

void html_reset_page(struct con_req *r)
{
	html_clear(&r->h);
	html_init(&r->h);
}

/* A page that only says msg, with status. */
static int message_page(struct con_req *r, unsigned status, const char *title,
			const char *msg)
{
	html_reset_page(r);
	con_page_begin(r, title, "The console could not do what was asked.");
	html_printf(&r->h, "<p class=\"error\" role=\"alert\">%s</p>", msg);
	return con_page_send(r, status);
}

unsigned con_lib_message(struct con_req *r, int rc, char *msg, size_t size)
{
	json_t *m;

	/* the API's status and message for rc (a 500's detail goes to the
	 * log only) */
	srv_lib_error(r->c, rc);
	m = json_object_get(r->c->out, "message");
	snprintf(msg, size, "%s",
		 json_is_string(m) ? json_string_value(m) : "the request failed");
	return r->c->status;
}

/* The title of a page that says why status was answered. */
static const char *status_title(unsigned status)
{
	return status == MHD_HTTP_FORBIDDEN ? "Not allowed"
	       : status == MHD_HTTP_NOT_FOUND ? "Not found"
	       : status == MHD_HTTP_SERVICE_UNAVAILABLE ? "Unavailable"
	       : "Refused";
}

int con_lib_error(struct con_req *r, int rc)
{
	char msg[768];
	unsigned status = con_lib_message(r, rc, msg, sizeof(msg));

	return message_page(r, status, status_title(status), msg);
}

int con_need_scope(struct con_req *r, const char *scope)
{
	char msg[256];

	if (svc_token_scope_allows(r->scopes, scope))
		return 0;
	snprintf(msg, sizeof(msg),
		 "the access token this session signed in with does not grant scope '%s'",
		 scope);
	message_page(r, MHD_HTTP_FORBIDDEN, "Not allowed", msg);
	return -1;
}

/* 303 to location (a path of ours). */
static int redirect(struct srv_call *c, const char *location)
{
	security_headers(c);
	if (srv_header_add(c, MHD_HTTP_HEADER_LOCATION, location))
		return srv_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
				 "InternalServerErrorException", "out of memory");
	return srv_reply_page(c, MHD_HTTP_SEE_OTHER, "text/plain; charset=utf-8",
			      strdup(""), 0);
}

int con_redirect(struct con_req *r, const char *tail)
{
	char loc[1280];

	snprintf(loc, sizeof(loc), "%s%s", r->base, tail);
	return redirect(r->c, loc);
}

/* ---- the route table of the pages ----------------------------------------- */

/* One page: method, its segments after the project ("*": an id), scope. */
struct con_route {
	const char *method;           /**< GET or POST */
	const char *path;             /**< e.g. "connections/ * /history" */
	const char *scope;            /**< the token scope it needs */
	int (*page)(struct con_req *r); /**< answers */
};

static const struct con_route con_routes[] = {
	{ "GET", "connections", "endpoints:read", con_connections },
	{ "GET", "connections/new", "endpoints:read", con_new_form },
	{ "POST", "connections/new", "endpoints:manage", con_new },
	{ "GET", "connections/*", "endpoints:read", con_connection },
	{ "GET", "connections/*/edit", "endpoints:read", con_edit_form },
	{ "POST", "connections/*/edit", "endpoints:manage", con_edit },
	{ "GET", "connections/*/history", "endpoints:read", con_history },
	{ "GET", "connections/*/checks", "endpoints:read", con_checks },
	{ "POST", "connections/*/checks", "endpoints:manage", con_check_toggle },
	{ "GET", "connections/*/checks/new", "endpoints:read", con_check_new_form },
	{ "POST", "connections/*/checks/new", "endpoints:manage", con_check_add },
	{ "GET", "connections/*/checks/delete", "endpoints:read",
	  con_check_delete_confirm },
	{ "POST", "connections/*/checks/delete", "endpoints:manage",
	  con_check_delete },
	{ "GET", "connections/*/delete", "endpoints:read", con_delete_confirm },
	{ "POST", "connections/*/delete", "endpoints:manage", con_delete },
	{ "GET", "connections/*/security", "endpoints:read", con_security },
	{ "POST", "connections/*/security", "endpoints:manage",
	  con_security_change },
	{ "GET", "audit", "endpoints:read", con_audit },
	{ "GET", "requests", "endpoints:read", con_requests },
	{ "GET", "requests/*", "endpoints:read", con_request },
	{ "GET", "requests/*/permit", "endpoints:read", con_permit_confirm },
	{ "POST", "requests/*/permit", "endpoints:manage", con_permit },
	{ "GET", "approvals", "approvals", con_approvals },
	{ "GET", "approvals/*", "approvals", con_approval },
	{ "POST", "approvals/*", "approvals", con_decide },
	{ NULL, NULL, NULL, NULL }
};

/* 1 when the segments match route path rp. */
static int route_is(const char *rp, const char *const *seg, size_t nseg)
{
	size_t i = 0;

	while (*rp) {
		size_t m = strcspn(rp, "/");

		if (i == nseg || (!(m == 1 && rp[0] == '*') &&
				  (strlen(seg[i]) != m ||
				   strncmp(seg[i], rp, m) != 0)))
			return 0;
		i++;
		rp += m;
		rp += *rp == '/';
	}
	return i == nseg;
}

/* ---- sign-in, sign-out, assets ------------------------------------------- */

/* A request without a session: r->csrf NULL, no navigation. */
static void anon_req(struct con_req *r, struct srv_call *c)
{
	memset(r, 0, sizeof(*r));
	r->c = c;
	html_init(&r->h);
}

/* Where a sign-in page's error goes. */
enum signin_error {
	SIGNIN_OK = 0,     /**< no error */
	SIGNIN_TOP,        /**< above both forms (the origin, a 500) */
	SIGNIN_PASSWORD,   /**< next to the password */
	SIGNIN_TOKEN       /**< next to the token */
};

/*
 * The end of the secret input of form at, and its error paragraph (id)
 * when the error is where: tied to the input by aria-describedby.
 */
static void signin_error(html *h, enum signin_error where,
			 enum signin_error at, const char *id, const char *msg)
{
	if (where != at) {
		html_printf(h, ">");
		return;
	}
	html_printf(h, " aria-invalid=\"true\" aria-describedby=\"%s\">"
		    "<p class=\"error\" role=\"alert\" id=\"%s\">%s</p>",
		    id, id, msg);
}

/*
 * The sign-in page with status: a user name and password, or a personal
 * access token; msg an error shown where says.  user and project (the
 * values typed, or NULL) are kept; a password or token never is.
 */
static int signin_page(struct srv_call *c, unsigned status,
		       enum signin_error where, const char *msg,
		       const char *user, const char *project)
{
	struct con_req r;

	if (!project || !*project)
		project = "default";
	anon_req(&r, c);
	con_page_begin(&r, "Sign in",
		       "Sign in to manage service connections, permit pipelines and "
		       "approve runs: with your user name and password ('svcconn users "
		       "passwd'), or with a personal access token of this server "
		       "('svcconn tokens create').");
	if (where == SIGNIN_TOP)
		html_printf(&r.h, "<p class=\"error\" role=\"alert\" id=\"signin-error\">%s</p>",
			    msg);
	html_printf(&r.h,
		    "<form method=\"post\" action=\"/console/signin\" class=\"card\" id=\"signin-password\">"
		    "<h2>With a password</h2>"
		    "<label for=\"user\">User name</label>"
		    "<input id=\"user\" name=\"user\" type=\"text\" autocomplete=\"username\" "
		    "autocapitalize=\"none\" spellcheck=\"false\" required autofocus value=\"%s\">"
		    "<label for=\"password\">Password</label>"
		    "<input id=\"password\" name=\"password\" type=\"password\" "
		    "autocomplete=\"current-password\" required",
		    user ? user : "");
	signin_error(&r.h, where, SIGNIN_PASSWORD, "password-error", msg);
	html_printf(&r.h,
		    "<label for=\"project-p\">Project</label>"
		    "<input id=\"project-p\" name=\"project\" type=\"text\" value=\"%s\" required>"
		    "<button type=\"submit\">Sign in</button></form>"
		    "<form method=\"post\" action=\"/console/signin\" class=\"card\" id=\"signin-token\">"
		    "<h2>Or with a personal access token</h2>"
		    "<label for=\"token\">Personal access token</label>"
		    "<input id=\"token\" name=\"token\" type=\"password\" "
		    "autocomplete=\"off\" required",
		    project);
	signin_error(&r.h, where, SIGNIN_TOKEN, "token-error", msg);
	html_printf(&r.h,
		    "<label for=\"project-t\">Project</label>"
		    "<input id=\"project-t\" name=\"project\" type=\"text\" value=\"%s\" required>"
		    "<button type=\"submit\">Sign in with the token</button></form>",
		    project);
	return con_page_send(&r, status);
}

int console_too_many(struct srv_call *c, unsigned retry_s)
{
	struct con_req r;
	time_t at = time(NULL) + (time_t)retry_s;
	struct tm tm;
	char when[32] = "";

	if (gmtime_r(&at, &tm))
		strftime(when, sizeof(when), "%H:%M:%S UTC", &tm);
	anon_req(&r, c);
	con_page_begin(&r, "Too many sign-in attempts",
		       "This address made too many refused sign-ins; the console "
		       "waits before it takes another.");
	html_printf(&r.h,
		    "<p class=\"error\" role=\"alert\" id=\"retry\">Too many refused "
		    "sign-ins from this address: try again in %u seconds (at %s).</p>"
		    "<p><a href=\"/console/signin\">Back to the sign-in</a></p>",
		    retry_s, when);
	return con_page_send(&r, MHD_HTTP_TOO_MANY_REQUESTS);
}

/* A refused sign-in: logged (never the secret), its page a 401 (counted
 * against the address by the server) or a 500. */
static int signin_refused(struct srv_call *c, int rc, enum signin_error where,
			  const char *msg, const char *user,
			  const char *project)
{
	char line[512];

	snprintf(line, sizeof(line), "%s %s: %s", c->client, c->request,
		 svc_error_last());
	srv_log_line(c->srv, SVC_SERVER_LOG_WARNING, line);
	if (rc == SVC_EUNAVAIL) {
		srv_retry_after(c, SRV_UNAVAIL_RETRY_S);
		return signin_page(c, MHD_HTTP_SERVICE_UNAVAILABLE, SIGNIN_TOP,
				   "the store's database cannot be reached or takes no writes now; try again shortly",
				   user, project);
	}
	if (rc != SVC_EDENIED)
		return signin_page(c, MHD_HTTP_INTERNAL_SERVER_ERROR, SIGNIN_TOP,
				   "the sign-in failed on the server", user,
				   project);
	return signin_page(c, MHD_HTTP_UNAUTHORIZED, where, msg, user, project);
}

/*
 * Who the sign-in's credential names, into *user, *scopes and *token_id
 * (new strings; token_id NULL for a password, which grants every scope:
 * the roles decide); 0, or the page already answered in *page_rc.
 */
static int signin_check(char **user, char **scopes, char **token_id,
			int *page_rc,
			struct srv_call *c, const svc_buf *name,
			const svc_buf *pw, const svc_buf *tok,
			const char *project)
{
	const struct srv_shared *sh = srv_shared(c->srv);
	svc_token_auth ta;
	int rc;

	*user = *scopes = *token_id = NULL;
	if (!tok->len) {
		rc = svc_password_verify(sh->store, name->ptr, pw->ptr, pw->len,
					 c->client, c->request);
		if (rc) {
			*page_rc = signin_refused(c, rc, SIGNIN_PASSWORD,
						  "the user name or the password is wrong",
						  name->ptr, project);
			return -1;
		}
		if (!(*user = strdup(name->ptr)) || !(*scopes = strdup("full"))) {
			free(*user);
			*page_rc = srv_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
					     "InternalServerErrorException",
					     "out of memory");
			return -1;
		}
		return 0;
	}
	memset(&ta, 0, sizeof(ta));
	rc = svc_token_verify(&ta, sh->store, tok->ptr, tok->len, NULL,
			      c->client, c->request);
	if (rc == 0 && ta.holder != SVC_TOKEN_PERSON)
		rc = error_set(SVC_EDENIED,
			       "token '%s' is not a personal access token",
			       ta.id ? ta.id : "?");
	if (rc) {
		*page_rc = signin_refused(c, rc, SIGNIN_TOKEN,
					  "the access token was refused", NULL,
					  project);
		svc_token_auth_clear(&ta);
		return -1;
	}
	*user = ta.owner;
	*scopes = ta.scopes;
	*token_id = ta.id;
	ta.owner = ta.scopes = ta.id = NULL;
	svc_token_auth_clear(&ta);
	return 0;
}

int console_signin(struct srv_call *c)
{
	const struct srv_shared *sh = srv_shared(c->srv);
	struct console *con = sh->console;
	svc_buf tok, name, pw, proj, loc;
	char cookie[ID_HEX + 1], hdr[ID_HEX + 128];
	char *user = NULL, *scopes = NULL, *token_id = NULL;
	struct con_session s;
	int rc;

	if (!same_origin(con, c))
		return signin_page(c, MHD_HTTP_FORBIDDEN, SIGNIN_TOP,
				   "sign-in refused: the form was not posted from this console's origin",
				   NULL, NULL);
	buf_init(&tok, 512, 1);
	buf_init(&name, 512, 1);
	buf_init(&pw, SVC_PASSWORD_MAX + 1, 1);
	buf_init(&proj, 256, 0);
	loc = (svc_buf)SVC_BUF_INIT;
	if (con_form_get(&proj, c, "project", 128) || !proj.len ||
	    ((con_form_get(&tok, c, "token", 256) || !tok.len) &&
	     (con_form_get(&name, c, "user", 256) || !name.len ||
	      con_form_get(&pw, c, "password", SVC_PASSWORD_MAX) || !pw.len))) {
		rc = signin_page(c, MHD_HTTP_BAD_REQUEST, SIGNIN_TOP,
				 "give a user name and its password, or a personal access token, and a project",
				 name.ptr, proj.ptr);
		goto done;
	}
	/* a pasted token often ends in a newline or a space */
	while (tok.len && strchr(" \t\r\n", tok.ptr[tok.len - 1]))
		tok.ptr[--tok.len] = '\0';
	if (signin_check(&user, &scopes, &token_id, &rc, c, &name, &pw, &tok,
			 proj.ptr))
		goto done;
	/* a browser signing in again leaves no session behind */
	if (session_find(&s, con, c) == 0) {
		con_session_end(sh->store, &s);
		con_session_clear(&s);
	}
	if ((rc = con_session_new(cookie, sh->store, user, scopes, token_id,
				  con->idle_s, con->max_s)) != 0) {
		struct con_req r;

		anon_req(&r, c);
		rc = con_lib_error(&r, rc);
		goto done;
	}
	snprintf(hdr, sizeof(hdr),
		 "%s=%s; HttpOnly; Secure; SameSite=Strict; Path=/console",
		 COOKIE, cookie);
	svc_wipe(cookie, sizeof(cookie));
	buf_printf(&loc, "/console/");
	html_url_segment(&loc, sh->organization);
	buf_putc(&loc, '/');
	html_url_segment(&loc, proj.ptr);
	buf_puts(&loc, "/connections");
	if (srv_header_add(c, "Set-Cookie", hdr) || !loc.ptr)
		rc = srv_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
			       "InternalServerErrorException", "out of memory");
	else
		rc = redirect(c, loc.ptr);
	svc_wipe(hdr, sizeof(hdr));
done:
	free(user);
	free(scopes);
	free(token_id);
	buf_clear(&tok);
	buf_clear(&name);
	buf_clear(&pw);
	buf_clear(&proj);
	buf_clear(&loc);
	return rc;
}

/* POST /console/signout: the session ended, its cookie dropped. */
static int signout(struct srv_call *c, struct console *con)
{
	struct con_session s;
	struct con_req r;
	int rc = session_find(&s, con, c);

	anon_req(&r, c);
	if (rc == 0 && (!same_origin(con, c) || !csrf_ok(&s, c))) {
		con_session_clear(&s);
		return message_page(&r, MHD_HTTP_FORBIDDEN, "Not allowed",
				    "sign-out refused: no valid CSRF token, or not from this console's origin");
	}
	if (rc == 0) {
		rc = con_session_end(srv_shared(c->srv)->store, &s);
		con_session_clear(&s);
	}
	if (rc && rc != SVC_ENOTFOUND)
		return con_lib_error(&r, rc);
	srv_header_add(c, "Set-Cookie",
		       COOKIE "=; HttpOnly; Secure; SameSite=Strict; Path=/console; Max-Age=0");
	return redirect(c, "/console/signin");
}

/* An asset, with its type. */
static int asset(struct srv_call *c, const char *type, const char *text)
{
	char *copy = strdup(text);

	security_headers(c);
	return srv_reply_page(c, MHD_HTTP_OK, type, copy, copy ? strlen(copy) : 0);
}

/* ---- dispatch ------------------------------------------------------------- */

/*
 * The page of session s: /console/{org}/{project}/{rest}, seg holding
 * org, project and rest's segments.
 */
static int session_page(struct srv_call *c, struct console *con,
			const struct con_session *s, char **seg, size_t nseg)
{
	const struct srv_shared *sh = srv_shared(c->srv);
	const struct con_route *rt;
	struct con_req r;
	svc_buf base = SVC_BUF_INIT;
	size_t i;
	int rc;

	anon_req(&r, c);
	if (!strcmp(c->method, "POST") && (!same_origin(con, c) || !csrf_ok(s, c)))
		return message_page(&r, MHD_HTTP_FORBIDDEN, "Not allowed",
				    "the change was refused: no valid CSRF token, or not posted from this console's origin");
	buf_puts(&base, "/console/");
	html_url_segment(&base, sh->organization);
	buf_putc(&base, '/');
	html_url_segment(&base, seg[1]);
	if (!base.ptr || base.len >= sizeof(r.base)) {
		buf_clear(&base);
		return message_page(&r, MHD_HTTP_NOT_FOUND, "Not found",
				    "no console page at this address");
	}
	memcpy(r.base, base.ptr, base.len + 1);
	buf_clear(&base);
	if ((rc = svc_principal_new(&c->who, SVC_PRINCIPAL_USER, s->user,
				    "console")))
		return con_lib_error(&r, rc);
	c->actor = svc_principal_name(c->who);
	c->project = seg[1];
	r.csrf = s->csrf;
	r.scopes = s->scopes;
	for (i = 2; i < nseg; i++)
		r.seg[i - 2] = seg[i];
	r.nseg = nseg - 2;
	if (srv_enter_project(c)) {
		json_t *m = json_object_get(c->out, "message");
		char msg[512];

		snprintf(msg, sizeof(msg), "%s",
			 json_is_string(m) ? json_string_value(m) : "no such project");
		r.csrf = NULL;
		return message_page(&r, c->status, status_title(c->status),
				    msg);
	}
	for (rt = con_routes; rt->method; rt++) {
		if (strcmp(rt->method, c->method) != 0 ||
		    !route_is(rt->path, r.seg, r.nseg))
			continue;
		rc = con_need_scope(&r, rt->scope) ? -1 : rt->page(&r);
		html_clear(&r.h);
		return rc;
	}
	return message_page(&r, MHD_HTTP_NOT_FOUND, "Not found",
			    "no console page at this address");
}

/*
 * A page of a signed-in session: /console/{org}/{project}/{rest}, seg
 * holding org, project and rest's segments; without a live session the
 * sign-in.
 */
static int project_page(struct srv_call *c, struct console *con,
			char **seg, size_t nseg)
{
	struct con_session s;
	struct con_req r;
	int rc;

	anon_req(&r, c);
	if (strcasecmp(seg[0], srv_shared(c->srv)->organization) != 0 ||
	    nseg - 2 > CON_SEGS_MAX)
		return message_page(&r, MHD_HTTP_NOT_FOUND, "Not found",
				    "no console page at this address");
	if ((rc = session_find(&s, con, c)) == SVC_ENOTFOUND)
		return redirect(c, "/console/signin");
	if (rc)
		return con_lib_error(&r, rc);
	rc = session_page(c, con, &s, seg, nseg);
	con_session_clear(&s);
	return rc;
}

/* c's path after /console/ split at '/' into seg (in buf); -1 if unfit. */
static int split_path(char *buf, size_t bufsz, char **seg, size_t maxseg,
		      size_t *nseg, const char *path)
{
	char *p;

	if (strncmp(path, "/console/", 9) != 0 || strlen(path + 9) >= bufsz)
		return -1;
	memcpy(buf, path + 9, strlen(path + 9) + 1);
	*nseg = 0;
	for (p = buf; p;) {
		char *slash = strchr(p, '/');

		if (slash)
			*slash = '\0';
		if (!*p || *nseg == maxseg)
			return -1;
		seg[(*nseg)++] = p;
		p = slash ? slash + 1 : NULL;
	}
	return 0;
}

static int dispatch(struct srv_call *c)
{
	struct console *con = srv_shared(c->srv)->console;
	char buf[PATH_MAX_LEN], *seg[CON_SEGS_MAX + 2];
	size_t nseg = 0;
	struct con_req r;

	if (split_path(buf, sizeof(buf), seg, CON_SEGS_MAX + 2, &nseg,
		       c->path) == 0) {
		int get = !strcmp(c->method, "GET");

		if (nseg == 1 && get && !strcmp(seg[0], "signin"))
			return signin_page(c, MHD_HTTP_OK, SIGNIN_OK, NULL, NULL,
					   NULL);
		if (nseg == 1 && get && !strcmp(seg[0], "console.css"))
			return asset(c, "text/css; charset=utf-8", con_css);
		if (nseg == 1 && get && !strcmp(seg[0], "console.js"))
			return asset(c, "text/javascript; charset=utf-8", con_js);
		if (nseg == 1 && get && !strcmp(seg[0], "console.svg"))
			return asset(c, "image/svg+xml", con_svg);
		if (nseg == 1 && !get && !strcmp(seg[0], "signout"))
			return signout(c, con);
		if (nseg >= 3)
			return project_page(c, con, seg, nseg);
	}
	anon_req(&r, c);
	return message_page(&r, MHD_HTTP_NOT_FOUND, "Not found",
			    "no console page at this address");
}

int console_get(struct srv_call *c)
{
	return dispatch(c);
}

int console_post(struct srv_call *c)
{
	return dispatch(c);
}

int console_favicon(struct srv_call *c)
{
	struct con_req r;

	anon_req(&r, c);
	return message_page(&r, MHD_HTTP_NOT_FOUND, "Not found",
			    "no icon at this address: the console's is /console/console.svg");
}
