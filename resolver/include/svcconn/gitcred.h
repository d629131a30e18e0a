/*
 * gitcred.h - git's credential-helper protocol, and git credentials kept
 * encrypted in the svcconn store (the library behind git-credential-svcconn).
 *
 * A credential is a set of attributes as git's credential protocol names
 * them (`git help credential`): protocol, host (with its port), path,
 * username and password.  svc_gitcred_parse() reads the protocol's text
 * ("key=value" lines up to a blank line or the end), svc_gitcred_format()
 * writes it; svc_gitcred_get(), svc_gitcred_store() and svc_gitcred_erase()
 * are the helper's three actions on the store.  They match credentials
 * exactly as git's own `store` helper does (builtin/credential-store.c with
 * credential_match() of credential.c):
 *
 *   - an attribute of the request that is present must equal the stored one
 *     byte for byte; an absent one matches anything;
 *   - so the username matters only when the request has one, and the path
 *     only when the request has one (git sends it for http(s) only with
 *     credential.useHttpPath); a request path never matches a credential
 *     stored without a path;
 *   - get answers with the most recently stored match; it needs a protocol
 *     and a host (git always sends both; git's file helper would answer a
 *     request without them with any credential, this one answers nothing);
 *   - store first removes every credential that matches the new one (its
 *     protocol, host, path and username, the password not considered), then
 *     adds it; a credential without protocol, host-or-path, username or
 *     password is not stored;
 *   - erase removes every match, and when the request has a password only
 *     credentials with that password (compared in constant time); a request
 *     without protocol, host, path and username erases nothing.
 *
 * Empty values are values: `username=` and `password=` are stored and given
 * back as empty.  Other attributes git may send (password_expiry_utc,
 * oauth_refresh_token, wwwauth[], capability[], ...) are ignored, as git's
 * store helper ignores them: nothing is stored that is not given back.
 *
 * Parsing fails closed: a line without '=', a NUL byte, a carriage return
 * anywhere but in a CRLF line ending, a line over SVC_GITCRED_LINE_MAX
 * bytes or an input over SVC_GITCRED_INPUT_MAX bytes make the whole input
 * invalid (SVC_EINVALID); no value ever holds CR, LF or NUL, so every value
 * can be written back into the protocol.  `url=` is expanded into protocol,
 * host, path, username and password as git does, replacing what came
 * before it.  Every value lives in memory that is wiped when it is freed.
 *
 * In the store, the password is sealed (AES-256-GCM) with associated data
 * naming the credential's protocol, host, path and username, so a sealed
 * password copied to another row does not open; `svcconn rekey` reseals
 * these passwords with the connections' secrets.  Each change writes one
 * audit record (protocol, host and path; never the username or password).
 */
#ifndef SVCCONN_GITCRED_H
#define SVCCONN_GITCRED_H

#include <stddef.h>
#include "errors.h"
#include "store.h"

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default)

/** Longest protocol line accepted, its newline included (64 KiB). */
#define SVC_GITCRED_LINE_MAX (64u * 1024u)
/** Longest protocol input accepted (1 MiB). */
#define SVC_GITCRED_INPUT_MAX (1024u * 1024u)

/** The attributes of a credential, in the order git writes them. */
typedef enum svc_gitcred_attr {
	SVC_GITCRED_PROTOCOL = 0, /**< "https", "http", "ssh", ... */
	SVC_GITCRED_HOST = 1,     /**< host name, with ":port" when given */
	SVC_GITCRED_PATH = 2,     /**< path of the repository, no slashes
				       around it */
	SVC_GITCRED_USERNAME = 3, /**< user name; may be empty */
	SVC_GITCRED_PASSWORD = 4  /**< password or token; may be empty */
} svc_gitcred_attr;

/** Number of attributes in svc_gitcred_attr. */
#define SVC_GITCRED_ATTR_COUNT 5

/** A credential: an opaque set of attributes, each present or absent. */
typedef struct svc_gitcred svc_gitcred;

/** A new credential with no attribute. */
int svc_gitcred_new(svc_gitcred **out);
/** Wipe and free every value; NULL is accepted. */
void svc_gitcred_free(svc_gitcred *c);

/** The value of attribute a, or NULL when absent (or a is not valid). */
const char *svc_gitcred_value(const svc_gitcred *c, svc_gitcred_attr a);
/**
 * Set attribute a to a copy of value (NULL removes it).  A value with CR,
 * LF or (with svc_gitcred_set_len) NUL is refused with SVC_EINVALID.
 */
int svc_gitcred_set(svc_gitcred *c, svc_gitcred_attr a, const char *value);
/** Like svc_gitcred_set, for len bytes at value. */
int svc_gitcred_set_len(svc_gitcred *c, svc_gitcred_attr a, const char *value,
			size_t len);

/**
 * Parse the protocol text in buf (len bytes): lines up to the first blank
 * line or the end.  SVC_EINVALID, with the line number in the message but
 * never its value, when the input is malformed.
 */
int svc_gitcred_parse(svc_gitcred **out, const char *buf, size_t len);
/**
 * Read fd up to a blank line or its end (bounded by SVC_GITCRED_INPUT_MAX;
 * what was read is wiped) and parse it.
 */
int svc_gitcred_read_fd(svc_gitcred **out, int fd);
/**
 * Like svc_gitcred_read_fd, giving up with SVC_ERROR when the input is not
 * complete within timeout_ms milliseconds (-1: wait for ever), so that a
 * server reading a client's descriptor is never held by it.
 */
int svc_gitcred_read_fd_timeout(svc_gitcred **out, int fd, int timeout_ms);
/**
 * The protocol text of c: one "key=value" line per present attribute, in
 * svc_gitcred_attr order, into a new string (*len bytes) that holds the
 * password: release it with svc_secret_free(*out, *len).  SVC_EINVALID
 * when a line would be longer than SVC_GITCRED_LINE_MAX (a value expanded
 * from a long url=), so that what is written always parses again.
 */
int svc_gitcred_format(char **out, size_t *len, const svc_gitcred *c);

/**
 * Look want up in the store: the most recently stored credential matching
 * it, as a new credential holding its username and password (all git's
 * store helper answers).  SVC_ENOTFOUND when nothing matches.
 */
int svc_gitcred_get(svc_gitcred **out, svc_store *st, const svc_gitcred *want);
/**
 * Store c, replacing every credential that matches it; actor (NULL: the
 * current identity) names who did it in the audit record.  Storing what is
 * stored already changes nothing.  An incomplete credential (see above) is
 * not stored, and 0 is returned as git's helper does; *stored (may be NULL)
 * says whether it was stored.
 */
int svc_gitcred_store(int *stored, svc_store *st, const svc_gitcred *c,
		      const char *actor);
/** Erase every credential matching want; *erased (may be NULL) counts. */
int svc_gitcred_erase(size_t *erased, svc_store *st, const svc_gitcred *want,
		      const char *actor);

/** A helper's action, as git names it on the command line. */
typedef enum svc_gitcred_action {
	SVC_GITCRED_GET = 0,     /**< "get" */
	SVC_GITCRED_STORE = 1,   /**< "store" */
	SVC_GITCRED_ERASE = 2,   /**< "erase" */
	SVC_GITCRED_UNKNOWN = 3  /**< anything else: ignored, as git asks */
} svc_gitcred_action;

/** The action named s (SVC_GITCRED_UNKNOWN for any other word). */
svc_gitcred_action svc_gitcred_action_of(const char *s);
/**
 * Carry out act for the request req on the store, as git's store helper
 * does: get sets *answer to the match (NULL when there is none: not an
 * error), store and erase change the store (actor as above) and set
 * *answer to NULL; an unknown action does nothing.
 */
int svc_gitcred_run(svc_gitcred **answer, svc_store *st, svc_gitcred_action act,
		    const svc_gitcred *req, const char *actor);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
