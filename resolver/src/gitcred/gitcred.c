/*
 * gitcred.c - git's credential-helper protocol: the credential type, its
 * parser and printer, `url=` expansion, and git's matching rule.
 *
 * The parser works on a buffer (svc_gitcred_read_fd() reads one, bounded,
 * from a descriptor), so it is unit-tested and fuzzed without pipes.  It
 * follows git's credential_read(): lines are split at LF, a CR before the
 * LF is dropped (strbuf_getline), a blank line ends the input, the known
 * keys replace what an earlier line of the same key said, and unknown keys
 * are ignored.  Where git would carry on with a value it could not write
 * back (CR, NUL), this parser refuses the whole input: a helper that fails
 * closed costs a password prompt, one that stores a smuggled attribute can
 * hand a password to the wrong host.
 *
 * `url=` is expanded as credential_from_url() does: it clears every
 * attribute read so far, needs a "scheme://", takes an optional
 * "user[:password]@" before the host, ends the host at the first '/', '?'
 * or '#', percent-decodes the parts (%00 and malformed escapes are kept as
 * they are), and trims the slashes around the path, an empty path being
 * none.  A decoded part holding CR or LF makes the input invalid.
 *
 * Every value is its own allocation, wiped when replaced or freed.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "svcconn/gitcred.h"
#include "svcconn/secret.h"
#include "errors_int.h"
#include "gitcred/gitcred_int.h"
#include "util/buf.h"

/* A credential: one owned, NUL-terminated value per attribute. */
struct svc_gitcred {
	char *v[SVC_GITCRED_ATTR_COUNT];    /**< values; NULL when absent */
	size_t len[SVC_GITCRED_ATTR_COUNT]; /**< bytes in each value */
};

/* The protocol's names of the attributes, in svc_gitcred_attr order. */
static const char *const attr_names[SVC_GITCRED_ATTR_COUNT] = {
	"protocol", "host", "path", "username", "password",
};

const char *gitcred_attr_name(svc_gitcred_attr a)
{
	return (unsigned)a < SVC_GITCRED_ATTR_COUNT ? attr_names[a] : "?";
}

int svc_gitcred_new(svc_gitcred **out)
{
	svc_gitcred *c = calloc(1, sizeof(*c));

	if (!c)
		return error_oom();
	*out = c;
	return 0;
}

/* Wipe and drop attribute a. */
static void attr_clear(svc_gitcred *c, unsigned a)
{
	svc_secret_free(c->v[a], c->len[a]);
	c->v[a] = NULL;
	c->len[a] = 0;
}

void svc_gitcred_free(svc_gitcred *c)
{
	unsigned a;

	if (!c)
		return;
	for (a = 0; a < SVC_GITCRED_ATTR_COUNT; a++)
		attr_clear(c, a);
	free(c);
}

const char *svc_gitcred_value(const svc_gitcred *c, svc_gitcred_attr a)
{
	if (!c || (unsigned)a >= SVC_GITCRED_ATTR_COUNT)
		return NULL;
	return c->v[a];
}

int gitcred_check_value(const char *value, size_t len, svc_gitcred_attr a)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (value[i] == '\n' || value[i] == '\r')
			return error_set(SVC_EINVALID,
					 "credential value for %s contains a newline or carriage return",
					 gitcred_attr_name(a));
		if (value[i] == '\0')
			return error_set(SVC_EINVALID,
					 "credential value for %s contains a NUL byte",
					 gitcred_attr_name(a));
	}
	return 0;
}

int svc_gitcred_set_len(svc_gitcred *c, svc_gitcred_attr a, const char *value,
			size_t len)
{
	svc_buf b;
	char *copy;
	int rc;

	if (!c || (unsigned)a >= SVC_GITCRED_ATTR_COUNT)
		return error_set(SVC_EINVALID, "no such credential attribute");
	if (!value) {
		attr_clear(c, a);
		return 0;
	}
	if (len > SVC_GITCRED_INPUT_MAX)
		return error_set(SVC_EINVALID,
				 "credential value for %s is too long",
				 gitcred_attr_name(a));
	if ((rc = gitcred_check_value(value, len, a)) != 0)
		return rc;
	buf_init(&b, SVC_GITCRED_INPUT_MAX, 1);
	if ((rc = buf_put(&b, value, len)) != 0 ||
	    !(copy = buf_detach(&b, NULL))) {
		buf_clear(&b);
		return rc ? rc : error_oom();
	}
	attr_clear(c, a);
	c->v[a] = copy;
	c->len[a] = len;
	return 0;
}

int svc_gitcred_set(svc_gitcred *c, svc_gitcred_attr a, const char *value)
{
	return svc_gitcred_set_len(c, a, value, value ? strlen(value) : 0);
}

/* ---- url= -------------------------------------------------------------- */

/* The value of one hex digit, or -1. */
static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/*
 * Percent-decode len bytes at s into attribute a, as git's url_decode():
 * "%XX" becomes its byte unless that byte is NUL or XX is not hex.
 */
static int set_decoded(svc_gitcred *c, svc_gitcred_attr a, const char *s,
		       size_t len)
{
	svc_buf b;
	size_t i;
	int hi, lo, rc = 0;

	buf_init(&b, SVC_GITCRED_INPUT_MAX, 1);
	for (i = 0; i < len && rc == 0; i++) {
		if (s[i] == '%' && len - i >= 3 &&
		    (hi = hexval(s[i + 1])) >= 0 &&
		    (lo = hexval(s[i + 2])) >= 0 && (hi | lo) != 0) {
			rc = buf_putc(&b, (char)(hi * 16 + lo));
			i += 2;
		} else {
			rc = buf_putc(&b, s[i]);
		}
	}
	if (rc == 0 && (rc = gitcred_check_value(b.ptr ? b.ptr : "", b.len,
						 a)) != 0)
		rc = error_set(SVC_EINVALID,
			       "url contains a newline or carriage return in its %s component",
			       gitcred_attr_name(a));
	if (rc == 0)
		rc = svc_gitcred_set_len(c, a, b.ptr ? b.ptr : "", b.len);
	buf_clear(&b);
	return rc;
}

/* Find the first occurrence of needle in the len bytes at s, or NULL. */
static const char *find_in(const char *s, size_t len, const char *needle)
{
	size_t n = strlen(needle), i;

	for (i = 0; n <= len && i <= len - n; i++)
		if (memcmp(s + i, needle, n) == 0)
			return s + i;
	return NULL;
}

/* First byte of s[0..len) that is ch, or NULL. */
static const char *find_ch(const char *s, size_t len, char ch)
{
	return memchr(s, ch, len);
}

/* Expand a url= value (len bytes; no NUL, CR or LF) as git does. */
static int expand_url(svc_gitcred *c, const char *url, size_t len)
{
	const char *end = url + len, *proto_end, *cp, *at, *colon, *slash;
	const char *host;
	size_t plen;
	unsigned a;
	int rc;

	for (a = 0; a < SVC_GITCRED_ATTR_COUNT; a++)
		attr_clear(c, a);
	proto_end = find_in(url, len, "://");
	if (!proto_end || proto_end == url)
		return error_set(SVC_EINVALID,
				 "credential url has no scheme");
	cp = proto_end + 3;
	at = find_ch(cp, (size_t)(end - cp), '@');
	colon = find_ch(cp, (size_t)(end - cp), ':');
	for (slash = cp; slash < end && *slash != '/' && *slash != '?' &&
	     *slash != '#'; slash++)
		;
	if (!at || slash <= at) {
		host = cp;
	} else if (!colon || at <= colon) {
		if ((rc = set_decoded(c, SVC_GITCRED_USERNAME, cp,
				      (size_t)(at - cp))) != 0)
			return rc;
		host = at + 1;
	} else {
		if ((rc = set_decoded(c, SVC_GITCRED_USERNAME, cp,
				      (size_t)(colon - cp))) != 0 ||
		    (rc = set_decoded(c, SVC_GITCRED_PASSWORD, colon + 1,
				      (size_t)(at - colon - 1))) != 0)
			return rc;
		host = at + 1;
	}
	if ((rc = svc_gitcred_set_len(c, SVC_GITCRED_PROTOCOL, url,
				      (size_t)(proto_end - url))) != 0 ||
	    (rc = set_decoded(c, SVC_GITCRED_HOST, host,
			      (size_t)(slash - host))) != 0)
		return rc;
	while (slash < end && *slash == '/')
		slash++;
	if (slash == end)
		return 0;
	if ((rc = set_decoded(c, SVC_GITCRED_PATH, slash,
			      (size_t)(end - slash))) != 0)
		return rc;
	/* trailing slashes go after decoding, as in git ("%2F" too) */
	plen = c->len[SVC_GITCRED_PATH];
	while (plen > 1 && c->v[SVC_GITCRED_PATH][plen - 1] == '/')
		c->v[SVC_GITCRED_PATH][--plen] = '\0';
	c->len[SVC_GITCRED_PATH] = plen;
	return 0;
}

/* ---- parsing ----------------------------------------------------------- */

/* The attribute a key names, or -1 for a key this parser ignores. */
static int attr_of(const char *key, size_t n)
{
	unsigned a;

	for (a = 0; a < SVC_GITCRED_ATTR_COUNT; a++)
		if (strlen(attr_names[a]) == n &&
		    memcmp(attr_names[a], key, n) == 0)
			return (int)a;
	return -1;
}

/* Handle one line (without its line ending) numbered lineno. */
static int parse_line(svc_gitcred *c, const char *line, size_t n,
		      unsigned lineno)
{
	const char *eq;
	int a;

	if (memchr(line, '\0', n))
		return error_set(SVC_EINVALID,
				 "credential line %u contains a NUL byte",
				 lineno);
	if (memchr(line, '\r', n))
		return error_set(SVC_EINVALID,
				 "credential line %u contains a carriage return",
				 lineno);
	if (!(eq = memchr(line, '=', n)))
		return error_set(SVC_EINVALID,
				 "invalid credential line %u: no '='", lineno);
	if ((size_t)(eq - line) == 3 && memcmp(line, "url", 3) == 0)
		return expand_url(c, eq + 1, n - 4);
	if ((a = attr_of(line, (size_t)(eq - line))) < 0)
		return 0; /* unknown keys are for other helpers or later gits */
	return svc_gitcred_set_len(c, (svc_gitcred_attr)a, eq + 1,
				   n - (size_t)(eq - line) - 1);
}

int svc_gitcred_parse(svc_gitcred **out, const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len, *nl;
	svc_gitcred *c = NULL;
	unsigned lineno = 0;
	size_t n, full;
	int rc;

	if (len > SVC_GITCRED_INPUT_MAX)
		return error_set(SVC_EINVALID,
				 "credential input is larger than %u bytes",
				 SVC_GITCRED_INPUT_MAX);
	if ((rc = svc_gitcred_new(&c)) != 0)
		return rc;
	while (p < end) {
		lineno++;
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		full = nl ? n + 1 : n;
		if (full > SVC_GITCRED_LINE_MAX) {
			rc = error_set(SVC_EINVALID,
				       "credential line %u is longer than %u bytes",
				       lineno, SVC_GITCRED_LINE_MAX);
			goto fail;
		}
		/* strbuf_getline: a CR is dropped only before an LF */
		if (nl && n > 0 && p[n - 1] == '\r')
			n--;
		if (n == 0)
			break;
		if ((rc = parse_line(c, p, n, lineno)) != 0)
			goto fail;
		p += full;
	}
	*out = c;
	return 0;
fail:
	svc_gitcred_free(c);
	return rc;
}

/*
 * 1 when a blank line ("\n" or "\r\n" at the start of a line) starts at
 * an offset from "from" on in the len bytes at s.
 */
static int blank_line_from(const char *s, size_t len, size_t from)
{
	size_t i;

	for (i = from; i < len; i++) {
		if (i > 0 && s[i - 1] != '\n')
			continue;
		if (s[i] == '\n' ||
		    (s[i] == '\r' && i + 1 < len && s[i + 1] == '\n'))
			return 1;
	}
	return 0;
}

/* Milliseconds left until deadline (a CLOCK_MONOTONIC time), at least 0. */
static int ms_left(const struct timespec *deadline)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(deadline->tv_sec - now.tv_sec) * 1000 +
	     (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms < 0 ? 0 : ms > INT_MAX ? INT_MAX : (int)ms;
}

int svc_gitcred_read_fd(svc_gitcred **out, int fd)
{
	return svc_gitcred_read_fd_timeout(out, fd, -1);
}

int svc_gitcred_read_fd_timeout(svc_gitcred **out, int fd, int timeout_ms)
{
	struct timespec deadline;
	char chunk[4096];
	size_t from;
	ssize_t n;
	svc_buf b;
	int rc = 0;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	if (timeout_ms >= 0) {
		deadline.tv_sec += timeout_ms / 1000;
		deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
		if (deadline.tv_nsec >= 1000000000) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000;
		}
	}
	/* one byte over the limit tells "too large" from "exactly full" */
	buf_init(&b, SVC_GITCRED_INPUT_MAX + 1, 1);
	for (;;) {
		if (timeout_ms >= 0) {
			struct pollfd p = { fd, POLLIN, 0 };
			int ready = poll(&p, 1, ms_left(&deadline));

			if (ready < 0 && errno == EINTR)
				continue;
			if (ready == 0) {
				rc = error_set(SVC_ERROR,
					       "no complete credential within %d ms",
					       timeout_ms);
				break;
			}
		}
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = error_set(SVC_ERROR,
				       "cannot read the credential: %s",
				       strerror(errno));
			break;
		}
		if (n == 0)
			break;
		/* a blank line may straddle two reads: look again from the
		 * last byte of the previous one */
		from = b.len ? b.len - 1 : 0;
		if ((rc = buf_put(&b, chunk, (size_t)n)) != 0) {
			rc = error_set(SVC_EINVALID,
				       "credential input is larger than %u bytes",
				       SVC_GITCRED_INPUT_MAX);
			break;
		}
		/* stop at a blank line, as git's reader does */
		if (blank_line_from(b.ptr, b.len, from))
			break;
	}
	svc_wipe(chunk, sizeof(chunk));
	if (rc == 0)
		rc = svc_gitcred_parse(out, b.ptr ? b.ptr : "", b.len);
	buf_clear(&b);
	return rc;
}

/* ---- printing and matching --------------------------------------------- */

int svc_gitcred_format(char **out, size_t *len, const svc_gitcred *c)
{
	svc_buf b;
	unsigned a;
	int rc = 0;

	buf_init(&b, SVC_GITCRED_INPUT_MAX * 2, 1);
	for (a = 0; a < SVC_GITCRED_ATTR_COUNT && rc == 0; a++) {
		if (!c->v[a])
			continue;
		/* the setters refuse these; check again, it is cheap */
		if ((rc = gitcred_check_value(c->v[a], c->len[a],
					      (svc_gitcred_attr)a)) != 0)
			break;
		/* what this writes, this parser must read back */
		if (c->len[a] + strlen(attr_names[a]) + 2 >
		    SVC_GITCRED_LINE_MAX) {
			rc = error_set(SVC_EINVALID,
				       "credential value for %s is too long to write",
				       attr_names[a]);
			break;
		}
		if ((rc = buf_puts(&b, attr_names[a])) == 0 &&
		    (rc = buf_putc(&b, '=')) == 0 &&
		    (rc = buf_put(&b, c->v[a], c->len[a])) == 0)
			rc = buf_putc(&b, '\n');
	}
	if (rc == 0 && !(*out = buf_detach(&b, len)))
		rc = error_oom();
	buf_clear(&b);
	return rc;
}

const char *gitcred_path_trimmed(const char *path, size_t *len)
{
	size_t n;

	if (!path) {
		*len = 0;
		return "";
	}
	while (*path == '/')
		path++;
	n = strlen(path);
	while (n > 0 && path[n - 1] == '/')
		n--;
	*len = n;
	return path;
}

int gitcred_match(const svc_gitcred *want, const svc_gitcred *have,
		  int match_password)
{
	unsigned a;

	for (a = 0; a < SVC_GITCRED_ATTR_COUNT; a++) {
		if (!want->v[a])
			continue;
		if (a == SVC_GITCRED_PASSWORD && !match_password)
			continue;
		if (!have->v[a])
			return 0;
		if (a == SVC_GITCRED_PASSWORD) {
			if (!svc_secret_equal(want->v[a], want->len[a],
					      have->v[a], have->len[a]))
				return 0;
		} else if (want->len[a] != have->len[a] ||
			   memcmp(want->v[a], have->v[a], want->len[a]) != 0) {
			return 0;
		}
	}
	return 1;
}
