/*
 * console_int.h - what the console's files share: the request being
 * answered as a page (console.c) and the pages (console_pages.c for
 * connections, console_forms.c for their New and Edit forms,
 * console_checks.c for a connection's Approvals and checks tab,
 * console_runs.c for permission requests and approvals,
 * console_security.c for a connection's roles, console_audit.c for the
 * audit log).
 */
#ifndef SVC_CONSOLE_INT_H
#define SVC_CONSOLE_INT_H

#include <stddef.h>

#include "svcconn/conn.h"
#include "console/html.h"
#include "server/server_int.h"

/** Most path segments a console page has after /console/{org}/{project}. */
#define CON_SEGS_MAX 4

/** One console request of a signed-in session, answered as a page. */
struct con_req {
	struct srv_call *c;          /**< the call (c->who: the session's
					  principal, in c->project) */
	const char *csrf;            /**< the session's CSRF token */
	const char *scopes;          /**< the signing-in token's scopes
					  (NULL: all) */
	const char *seg[CON_SEGS_MAX]; /**< the path's segments after the
					  project, decoded */
	size_t nseg;                 /**< how many */
	char base[1024];             /**< "/console/{org}/{project}",
					  percent-encoded */
	html h;                      /**< the page */
};

/** Rows of a table page. */
#define CON_PAGE_ROWS 20

/**
 * Start a page: its title, and one sentence that says what it is for;
 * the navigation when r is signed in.
 */
void con_page_begin(struct con_req *r, const char *title,
		    const char *purpose);
/** Drop what was written of r's page, to write another. */
void html_reset_page(struct con_req *r);
/** End the page and answer it with status (headers of every page). */
int con_page_send(struct con_req *r, unsigned status);
/** A hidden field holding the session's CSRF token, in a form. */
void con_csrf_field(struct con_req *r);
/**
 * Answer with a page saying the library refused or failed (rc:
 * svc_error_last(), the status as the API gives it).
 */
int con_lib_error(struct con_req *r, int rc);
/**
 * The status and message (into msg) the API answers the library's
 * error rc with; a 500's detail is logged, not shown.
 */
unsigned con_lib_message(struct con_req *r, int rc, char *msg, size_t size);
/** 403 with a page when the session's token lacks scope; 0 when it has it. */
int con_need_scope(struct con_req *r, const char *scope);
/** 303 to base + tail. */
int con_redirect(struct con_req *r, const char *tail);
/**
 * The form field name of a POST body (urlencoded) into out (a secret
 * buffer, at most max bytes); 0, or -1 when absent or malformed.
 */
int con_form_get(svc_buf *out, const struct srv_call *c, const char *name,
		 size_t max);
/** Page number of ?page= (1 when absent or not a number from 1). */
size_t con_page_number(const struct srv_call *c);
/**
 * The pager under a table of n rows shown CON_PAGE_ROWS at a time on
 * page: links to base + tail?page=N, with qname=qvalue before it when
 * both are given (the search, a filter).
 */
void con_pager(struct con_req *r, const char *tail, const char *qname,
	       const char *qvalue, size_t page, size_t n);

/**
 * Connection r->seg[1] (without secrets, through svc_ops_conn_get) into
 * *out; else the refusal's page is sent and the error returned.
 */
int con_conn_load(svc_conn **out, struct con_req *r);
/**
 * Connection r->seg[1] loaded as con_conn_load, and its page begun: the
 * title what followed by its name, purpose, and its tabs with tab active
 * (-1: no tabs).
 */
int con_conn_page(svc_conn **out, struct con_req *r, const char *what,
		  const char *purpose, int tab);
/**
 * The tabs of connection c; active: 0 Overview, 1 Usage history, 2
 * Approvals and checks, another number none.
 */
void con_conn_tabs(struct con_req *r, const svc_conn *c, int active);

/* ---- sessions in the store (console_sessions.c) ---- */

/** Bytes of a session's id (the cookie holds them in hex). */
#define CON_ID_BYTES 32

/** A live session, as a request found it. */
struct con_session {
	char hash[2 * CON_ID_BYTES + 1]; /**< SHA-256 of its id, hex: its row */
	char csrf[2 * CON_ID_BYTES + 1]; /**< its forms' token */
	char *user;                      /**< the principal's name */
	char *scopes;                    /**< its token's scopes, NULL: all */
};

/**
 * The live session of cookie (the cookie's value, or NULL) into *out,
 * its request recorded; SVC_ENOTFOUND when there is none (unknown,
 * malformed, timed out with idle_s, or its credential gone), another
 * error when the store failed.  con_session_clear() it.
 */
int con_session_find(struct con_session *out, svc_store *st,
		     const char *cookie, unsigned idle_s);
/**
 * A new session of user (scopes NULL: all) signed in with token token_id
 * (NULL: with its password, as it is now), ending idle_s after its last
 * request and max_s after now; its cookie value (hex) into cookie.
 */
int con_session_new(char cookie[2 * CON_ID_BYTES + 1], svc_store *st,
		    const char *user, const char *scopes,
		    const char *token_id, unsigned idle_s, unsigned max_s);
/** End session s (its row deleted: on every server). */
int con_session_end(svc_store *st, const struct con_session *s);
/** Wipe and free what s holds. */
void con_session_clear(struct con_session *s);

/* The pages: each answers r (its route and method checked by console.c). */
int con_connections(struct con_req *r);
int con_connection(struct con_req *r);
int con_history(struct con_req *r);
int con_checks(struct con_req *r);
int con_check_new_form(struct con_req *r);
int con_check_add(struct con_req *r);
int con_check_toggle(struct con_req *r);
int con_check_delete_confirm(struct con_req *r);
int con_check_delete(struct con_req *r);
int con_delete_confirm(struct con_req *r);
int con_delete(struct con_req *r);
int con_new_form(struct con_req *r);
int con_new(struct con_req *r);
int con_edit_form(struct con_req *r);
int con_edit(struct con_req *r);
int con_requests(struct con_req *r);
int con_request(struct con_req *r);
int con_permit_confirm(struct con_req *r);
int con_permit(struct con_req *r);
int con_approvals(struct con_req *r);
int con_approval(struct con_req *r);
int con_decide(struct con_req *r);
int con_security(struct con_req *r);
int con_security_change(struct con_req *r);
int con_audit(struct con_req *r);

#endif
