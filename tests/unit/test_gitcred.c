/*
 * test_gitcred.c - git credentials: the helper protocol's parser and
 * printer, git's matching rule, and the encrypted store behind
 * git-credential-svcconn (get, store, erase, rekey).
 *
 * The parser cases are the edges of git's credential_read() plus what this
 * parser refuses on purpose (no '=', NUL, stray CR, over-long lines and
 * inputs); the store cases are the rules of git's `store` helper as
 * credential-store.c and credential_match() apply them, each checked
 * through the public API, and what the store adds: the password sealed and
 * bound to its row, rekey, the audit log, and schema migration 3.
 */
#include "testutil.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>


#include "svcconn/errors.h"
#include "svcconn/gitcred.h"
#include "svcconn/secret.h"
#include "svcconn/store.h"
#include "gitcred/gitcred_int.h"
#include "store/store_write.h"

/* Per-test fixture: a fresh store. */
struct fx {
	char *dir;              /**< temporary directory (removed after) */
	char *home;             /**< store home */
	svc_store_options opts; /**< options pointing at home */
	svc_store *st;          /**< the open store */
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->dir = tu_mkdtemp();
	f->home = tu_path(f->dir, "home");
	f->opts.version = SVC_STORE_OPTIONS_VERSION;
	f->opts.home = f->home;
	f->opts.database = tu_database();
	assert_int_equal(svc_store_init(&f->opts, "tester"), 0);
	assert_int_equal(svc_store_open(&f->st, &f->opts), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	svc_store_free(f->st);
	tu_rm_rf(f->dir);
	free(f->home);
	free(f->dir);
	free(f);
	return 0;
}

/* ---- helpers ----------------------------------------------------------- */

/* Parse text (a C string) or fail with the reason. */
static svc_gitcred *parse(const char *text)
{
	svc_gitcred *c = NULL;

	if (svc_gitcred_parse(&c, text, strlen(text)) != 0)
		fail_msg("parse: %s", svc_error_last());
	return c;
}

/* The return code of parsing len bytes at text (the credential freed). */
static int parse_rc(const char *text, size_t len)
{
	svc_gitcred *c = NULL;
	int rc = svc_gitcred_parse(&c, text, len);

	svc_gitcred_free(c);
	return rc;
}

/* Assert attribute a of c is want (NULL: absent). */
static void attr_is(const svc_gitcred *c, svc_gitcred_attr a,
		    const char *want)
{
	const char *v = svc_gitcred_value(c, a);

	if (!want) {
		if (v)
			fail_msg("%s: want absent, have '%s'",
				 gitcred_attr_name(a), v);
		return;
	}
	if (!v)
		fail_msg("%s: want '%s', have absent", gitcred_attr_name(a),
			 want);
	assert_string_equal(v, want);
}

/* Store the credential given as protocol text. */
static void put(struct fx *f, const char *text)
{
	svc_gitcred *c = parse(text);
	int stored = -1;

	if (svc_gitcred_store(&stored, f->st, c, "tester") != 0)
		fail_msg("store: %s", svc_error_last());
	assert_int_equal(stored, 1);
	svc_gitcred_free(c);
}

/*
 * Look the request up; want is "username/password" of the expected
 * answer, or NULL for no match.
 */
static void get_is(struct fx *f, const char *request, const char *want)
{
	svc_gitcred *req = parse(request), *ans = NULL;
	char have[512];
	int rc;

	rc = svc_gitcred_get(&ans, f->st, req);
	svc_gitcred_free(req);
	if (!want) {
		if (rc == 0)
			fail_msg("%s: want no match, have '%s'", request,
				 svc_gitcred_value(ans, SVC_GITCRED_USERNAME));
		assert_int_equal(rc, SVC_ENOTFOUND);
		return;
	}
	if (rc != 0)
		fail_msg("%s: want %s: %s", request, want, svc_error_last());
	snprintf(have, sizeof(have), "%s/%s",
		 svc_gitcred_value(ans, SVC_GITCRED_USERNAME),
		 svc_gitcred_value(ans, SVC_GITCRED_PASSWORD));
	assert_string_equal(have, want);
	/* only username and password, as git's store helper answers */
	attr_is(ans, SVC_GITCRED_PROTOCOL, NULL);
	attr_is(ans, SVC_GITCRED_HOST, NULL);
	attr_is(ans, SVC_GITCRED_PATH, NULL);
	svc_gitcred_free(ans);
}

/* Erase what the request matches; the number erased. */
static size_t erase(struct fx *f, const char *request)
{
	svc_gitcred *req = parse(request);
	size_t n = 99;

	if (svc_gitcred_erase(&n, f->st, req, "tester") != 0)
		fail_msg("erase: %s", svc_error_last());
	svc_gitcred_free(req);
	return n;
}

/* A raw connection to the store's database (SQLite's or PostgreSQL). */
static tu_db *raw_db(struct fx *f)
{
	return tu_db_open(f->home, f->opts.database);
}

/* The first column of the first row of sql, as an integer. */
static long long raw_int(struct fx *f, const char *sql)
{
	return tu_db_get(f->home, f->opts.database, sql);
}

/* Run sql on the raw database. */
static void raw_exec(struct fx *f, const char *sql)
{
	tu_db_run(f->home, f->opts.database, sql);
}

static long long rows(struct fx *f)
{
	return raw_int(f, "SELECT count(*) FROM git_credentials");
}

static long long audits(struct fx *f, const char *action)
{
	char sql[128];

	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM audit WHERE action = '%s'", action);
	return raw_int(f, sql);
}

/* ---- the parser -------------------------------------------------------- */

static void test_parse_basic(void **state)
{
	svc_gitcred *c;

	(void)state;
	c = parse("protocol=https\nhost=example.com:8443\npath=a/b.git\n"
		  "username=bob\npassword=p=w\n");
	attr_is(c, SVC_GITCRED_PROTOCOL, "https");
	attr_is(c, SVC_GITCRED_HOST, "example.com:8443");
	attr_is(c, SVC_GITCRED_PATH, "a/b.git");
	attr_is(c, SVC_GITCRED_USERNAME, "bob");
	/* the value is everything after the first '=' */
	attr_is(c, SVC_GITCRED_PASSWORD, "p=w");
	svc_gitcred_free(c);

	/* unknown keys are ignored, a later line wins, no final newline */
	c = parse("capability[]=authtype\nhost=a\nwwwauth[]=Basic realm=x\n"
		  "password_expiry_utc=9999999999\noauth_refresh_token=t\n"
		  "=nokey\nhost=b\nprotocol=http");
	attr_is(c, SVC_GITCRED_HOST, "b");
	attr_is(c, SVC_GITCRED_PROTOCOL, "http");
	attr_is(c, SVC_GITCRED_PASSWORD, NULL);
	attr_is(c, SVC_GITCRED_USERNAME, NULL);
	svc_gitcred_free(c);

	/* a blank line ends the input; what follows is not read */
	c = parse("host=a\n\nhost=b\nno equals sign here\n");
	attr_is(c, SVC_GITCRED_HOST, "a");
	svc_gitcred_free(c);

	/* CRLF line endings, and a CRLF blank line */
	c = parse("protocol=https\r\nhost=a\r\n\r\nhost=b\n");
	attr_is(c, SVC_GITCRED_PROTOCOL, "https");
	attr_is(c, SVC_GITCRED_HOST, "a");
	svc_gitcred_free(c);

	/* empty input: a credential with nothing */
	c = parse("");
	attr_is(c, SVC_GITCRED_HOST, NULL);
	svc_gitcred_free(c);
}

static void test_parse_empty_values(void **state)
{
	svc_gitcred *c;

	(void)state;
	c = parse("username=\npassword=\n");
	attr_is(c, SVC_GITCRED_USERNAME, "");
	attr_is(c, SVC_GITCRED_PASSWORD, "");
	attr_is(c, SVC_GITCRED_PATH, NULL);
	svc_gitcred_free(c);
}

static void test_parse_refusals(void **state)
{
	static const char nul[] = "protocol=https\nhost=a\0b\n";
	char *big;
	size_t n;

	(void)state;
	assert_int_equal(parse_rc("protocol=https\nhost\n", 20), SVC_EINVALID);
	assert_non_null(strstr(svc_error_last(), "line 2"));
	assert_int_equal(parse_rc(nul, sizeof(nul) - 1), SVC_EINVALID);
	assert_non_null(strstr(svc_error_last(), "NUL"));
	/* a CR anywhere but before the LF */
	assert_int_equal(parse_rc("host=a\rhost=b\n", 14), SVC_EINVALID);
	assert_int_equal(parse_rc("password=x\r", 11), SVC_EINVALID);
	assert_int_equal(parse_rc("password=a\r\r\n", 13), SVC_EINVALID);
	/* the message names the line, never its value */
	assert_int_equal(parse_rc("password=s3cr3t-value\n", 22), 0);
	assert_int_equal(parse_rc("s3cr3t-value\n", 13), SVC_EINVALID);
	assert_null(strstr(svc_error_last(), "s3cr3t"));

	/* one line: SVC_GITCRED_LINE_MAX bytes with its LF pass, one more
	 * byte does not */
	n = SVC_GITCRED_LINE_MAX;
	big = malloc(SVC_GITCRED_INPUT_MAX + 2000);
	assert_non_null(big);
	memcpy(big, "password=", 9);
	memset(big + 9, 'a', n - 10);
	big[n - 1] = '\n';
	assert_int_equal(parse_rc(big, n), 0);
	memset(big + 9, 'a', n - 9);
	big[n] = '\n';
	assert_int_equal(parse_rc(big, n + 1), SVC_EINVALID);
	assert_non_null(strstr(svc_error_last(), "longer"));
	/* the whole input: lines of 1000 bytes up to just over 1 MiB */
	for (n = 0; n + 1000 <= SVC_GITCRED_INPUT_MAX + 1000; n += 1000) {
		memcpy(big + n, "x=", 2);
		memset(big + n + 2, 'b', 997);
		big[n + 999] = '\n';
	}
	assert_int_equal(parse_rc(big, SVC_GITCRED_INPUT_MAX), 0);
	assert_int_equal(parse_rc(big, SVC_GITCRED_INPUT_MAX + 1),
			 SVC_EINVALID);
	free(big);
}

static void test_parse_url(void **state)
{
	svc_gitcred *c;

	(void)state;
	c = parse("host=old\npassword=old\n"
		  "url=https://us%65r:p%40ss%3Aw@example.com:8443//a/b.git//\n");
	attr_is(c, SVC_GITCRED_PROTOCOL, "https");
	attr_is(c, SVC_GITCRED_HOST, "example.com:8443");
	attr_is(c, SVC_GITCRED_PATH, "a/b.git");
	attr_is(c, SVC_GITCRED_USERNAME, "user");
	attr_is(c, SVC_GITCRED_PASSWORD, "p@ss:w");
	svc_gitcred_free(c);

	/* url= clears what came before; later lines still apply */
	c = parse("username=x\npassword=y\nurl=http://h\nusername=z\n");
	attr_is(c, SVC_GITCRED_PROTOCOL, "http");
	attr_is(c, SVC_GITCRED_HOST, "h");
	attr_is(c, SVC_GITCRED_PATH, NULL);
	attr_is(c, SVC_GITCRED_PASSWORD, NULL);
	attr_is(c, SVC_GITCRED_USERNAME, "z");
	svc_gitcred_free(c);

	/* user without password; empty user; the host ends at ? and # */
	c = parse("url=https://bob@h/p\n");
	attr_is(c, SVC_GITCRED_USERNAME, "bob");
	attr_is(c, SVC_GITCRED_PASSWORD, NULL);
	svc_gitcred_free(c);
	c = parse("url=https://@h\n");
	attr_is(c, SVC_GITCRED_USERNAME, "");
	attr_is(c, SVC_GITCRED_HOST, "h");
	svc_gitcred_free(c);
	c = parse("url=https://h?x=a@b\n");
	attr_is(c, SVC_GITCRED_HOST, "h");
	attr_is(c, SVC_GITCRED_USERNAME, NULL);
	attr_is(c, SVC_GITCRED_PATH, "?x=a@b");
	svc_gitcred_free(c);
	/* an empty host is a host; %00 and bad escapes stay as they are */
	c = parse("url=cert:///etc/x%00%zz%4\n");
	attr_is(c, SVC_GITCRED_PROTOCOL, "cert");
	attr_is(c, SVC_GITCRED_HOST, "");
	attr_is(c, SVC_GITCRED_PATH, "etc/x%00%zz%4");
	svc_gitcred_free(c);

	/* no scheme; a decoded newline or carriage return */
	assert_int_equal(parse_rc("url=example.com\n", 16), SVC_EINVALID);
	assert_int_equal(parse_rc("url=://h\n", 9), SVC_EINVALID);
	assert_int_equal(parse_rc("url=https://a%0ab@h\n", 20), SVC_EINVALID);
	assert_int_equal(parse_rc("url=https://h/x%0D\n", 19), SVC_EINVALID);
	assert_int_equal(parse_rc("url=https://u:p%0a@h\n", 21),
			 SVC_EINVALID);
}

static void test_read_fd(void **state)
{
	static const char text[] = "protocol=https\nhost=h\n\nhost=later\n";
	svc_gitcred *c = NULL;
	char *chunk;
	int fds[2];
	size_t i;
	pid_t pid;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], text, sizeof(text) - 1),
			 (ssize_t)sizeof(text) - 1);
	/* the writer keeps its end open: reading stops at the blank line */
	assert_int_equal(svc_gitcred_read_fd(&c, fds[0]), 0);
	attr_is(c, SVC_GITCRED_HOST, "h");
	svc_gitcred_free(c);
	close(fds[0]);
	close(fds[1]);

	/* an endless stream is cut off at the input limit */
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		chunk = malloc(4096);
		if (!chunk)
			_exit(1);
		for (i = 0; i < 4096; i++)
			chunk[i] = (i % 64 == 63) ? '\n' : 'k';
		for (i = 0; i < 1024; i++)
			if (write(fds[1], chunk, 4096) != 4096)
				break;
		_exit(0);
	}
	close(fds[1]);
	assert_int_equal(svc_gitcred_read_fd(&c, fds[0]), SVC_EINVALID);
	assert_non_null(strstr(svc_error_last(), "larger"));
	close(fds[0]);
	waitpid(pid, NULL, 0);
}

static void test_set_and_format(void **state)
{
	svc_gitcred *c;
	size_t len;
	char *text;

	(void)state;
	assert_int_equal(svc_gitcred_new(&c), 0);
	/* values that would break the protocol are refused */
	assert_int_equal(svc_gitcred_set(c, SVC_GITCRED_PASSWORD, "a\nb"),
			 SVC_EINVALID);
	assert_int_equal(svc_gitcred_set(c, SVC_GITCRED_USERNAME, "a\rb"),
			 SVC_EINVALID);
	assert_int_equal(svc_gitcred_set_len(c, SVC_GITCRED_HOST, "a\0b", 3),
			 SVC_EINVALID);
	assert_int_equal(svc_gitcred_set(c, (svc_gitcred_attr)7, "x"),
			 SVC_EINVALID);
	assert_null(svc_gitcred_value(c, (svc_gitcred_attr)7));
	assert_int_equal(svc_gitcred_format(&text, &len, c), 0);
	assert_int_equal(len, 0);
	svc_secret_free(text, len);

	/* written in git's order, whatever the order they were set in */
	assert_int_equal(svc_gitcred_set(c, SVC_GITCRED_PASSWORD, ""), 0);
	assert_int_equal(svc_gitcred_set(c, SVC_GITCRED_USERNAME, "u"), 0);
	assert_int_equal(svc_gitcred_set(c, SVC_GITCRED_HOST, "h"), 0);
	assert_int_equal(svc_gitcred_set(c, SVC_GITCRED_PROTOCOL, "https"), 0);
	assert_int_equal(svc_gitcred_format(&text, &len, c), 0);
	assert_string_equal(text, "protocol=https\nhost=h\nusername=u\n"
			    "password=\n");
	assert_int_equal(len, strlen(text));
	svc_secret_free(text, len);
	/* what is written parses again: a protocol expanded from a url=
	 * line of the longest length would make a longer line */
	{
		size_t plen = SVC_GITCRED_LINE_MAX - 8;
		char *line = malloc(plen + 9);
		svc_gitcred *u = NULL;

		assert_non_null(line);
		memcpy(line, "url=", 4);
		memset(line + 4, 'p', plen);
		memcpy(line + 4 + plen, "://\n", 4);
		assert_int_equal(svc_gitcred_parse(&u, line, plen + 8), 0);
		assert_int_equal(svc_gitcred_format(&text, &len, u),
				 SVC_EINVALID);
		svc_gitcred_free(u);
		free(line);
	}
	/* NULL removes */
	assert_int_equal(svc_gitcred_set(c, SVC_GITCRED_HOST, NULL), 0);
	attr_is(c, SVC_GITCRED_HOST, NULL);
	svc_gitcred_free(c);
	svc_gitcred_free(NULL);
}

/* ---- git's matching rule ----------------------------------------------- */

static int match(const char *want, const char *have, int match_password)
{
	svc_gitcred *w = parse(want), *h = parse(have);
	int m = gitcred_match(w, h, match_password);

	svc_gitcred_free(w);
	svc_gitcred_free(h);
	return m;
}

static void test_match_rules(void **state)
{
	static const char have[] =
		"protocol=https\nhost=h:1\npath=r.git\nusername=u\n"
		"password=pw\n";

	(void)state;
	assert_true(match("protocol=https\nhost=h:1\n", have, 0));
	assert_false(match("protocol=http\nhost=h:1\n", have, 0));
	/* the port is part of the host */
	assert_false(match("protocol=https\nhost=h\n", have, 0));
	assert_false(match("protocol=https\nhost=H:1\n", have, 0));
	/* username and path only when the request has them */
	assert_true(match("protocol=https\nhost=h:1\nusername=u\n", have, 0));
	assert_false(match("protocol=https\nhost=h:1\nusername=v\n", have, 0));
	assert_false(match("protocol=https\nhost=h:1\nusername=\n", have, 0));
	assert_true(match("protocol=https\nhost=h:1\npath=r.git\n", have, 0));
	assert_false(match("protocol=https\nhost=h:1\npath=s.git\n", have, 0));
	assert_false(match("protocol=https\nhost=h:1\npath=r\n",
			   "protocol=https\nhost=h:1\nusername=u\n", 0));
	/* the password only when asked to */
	assert_true(match("host=h:1\npassword=other\n", have, 0));
	assert_false(match("host=h:1\npassword=other\n", have, 1));
	assert_false(match("host=h:1\npassword=p\n", have, 1));
	assert_true(match("host=h:1\npassword=pw\n", have, 1));
	/* an empty request matches everything */
	assert_true(match("", have, 1));
}

/* ---- the store --------------------------------------------------------- */

static void test_store_get_erase(void **state)
{
	struct fx *f = *state;

	get_is(f, "protocol=https\nhost=example.com\n", NULL);
	put(f, "protocol=https\nhost=example.com\nusername=store-user\n"
	       "password=store-pass\n");
	get_is(f, "protocol=https\nhost=example.com\n",
	       "store-user/store-pass");
	get_is(f, "protocol=http\nhost=example.com\n", NULL);
	get_is(f, "protocol=https\nhost=other.tld\n", NULL);
	get_is(f, "protocol=https\nhost=example.com:443\n", NULL);
	get_is(f, "protocol=https\nhost=example.com\nusername=other\n", NULL);
	get_is(f, "protocol=https\nhost=example.com\nusername=store-user\n",
	       "store-user/store-pass");
	/* a lookup needs protocol and host */
	get_is(f, "host=example.com\n", NULL);
	get_is(f, "protocol=https\n", NULL);
	assert_int_equal(erase(f, "protocol=https\nhost=example.com\n"), 1);
	get_is(f, "protocol=https\nhost=example.com\n", NULL);
	assert_int_equal(rows(f), 0);
	assert_int_equal(audits(f, "gitcred-store"), 1);
	assert_int_equal(audits(f, "gitcred-erase"), 1);
}

static void test_empty_username_password(void **state)
{
	struct fx *f = *state;

	put(f, "protocol=https\nhost=sso.tld\nusername=\npassword=\n");
	get_is(f, "protocol=https\nhost=sso.tld\n", "/");
	get_is(f, "protocol=https\nhost=sso.tld\nusername=\n", "/");
	get_is(f, "protocol=https\nhost=sso.tld\nusername=x\n", NULL);
	/* an erase with password= only erases an empty password */
	assert_int_equal(erase(f, "protocol=https\nhost=sso.tld\n"
				  "password=x\n"), 0);
	assert_int_equal(erase(f, "protocol=https\nhost=sso.tld\n"
				  "username=\npassword=\n"), 1);
	get_is(f, "protocol=https\nhost=sso.tld\n", NULL);
}

static void test_incomplete_not_stored(void **state)
{
	static const char *const incomplete[] = {
		"host=h\nusername=u\npassword=p\n",
		"protocol=https\nusername=u\npassword=p\n",
		"protocol=https\nhost=h\npassword=p\n",
		"protocol=https\nhost=h\nusername=u\n",
	};
	struct fx *f = *state;
	svc_gitcred *c;
	size_t i;
	int stored;

	for (i = 0; i < sizeof(incomplete) / sizeof(incomplete[0]); i++) {
		c = parse(incomplete[i]);
		stored = -1;
		assert_int_equal(svc_gitcred_store(&stored, f->st, c, NULL), 0);
		assert_int_equal(stored, 0);
		svc_gitcred_free(c);
	}
	assert_int_equal(rows(f), 0);
	/* a path stands in for a host; the host is stored as "" */
	put(f, "protocol=cert\npath=/etc/c.pem\nusername=u\npassword=p\n");
	assert_int_equal(raw_int(f, "SELECT count(*) FROM git_credentials "
				    "WHERE host = '' AND path = 'etc/c.pem'"),
			 1);
	get_is(f, "protocol=cert\nhost=\npath=etc/c.pem\n", "u/p");
}

static void test_multiple_users_and_overwrite(void **state)
{
	struct fx *f = *state;

	put(f, "protocol=https\nhost=example.com\nusername=user1\n"
	       "password=pass1\n");
	put(f, "protocol=https\nhost=example.com\nusername=user2\n"
	       "password=pass2\n");
	get_is(f, "protocol=https\nhost=example.com\nusername=user1\n",
	       "user1/pass1");
	get_is(f, "protocol=https\nhost=example.com\nusername=user2\n",
	       "user2/pass2");
	/* without a username: the most recently stored */
	get_is(f, "protocol=https\nhost=example.com\n", "user2/pass2");
	put(f, "protocol=https\nhost=example.com\nusername=user1\n"
	       "password=pass1b\n");
	get_is(f, "protocol=https\nhost=example.com\n", "user1/pass1b");
	get_is(f, "protocol=https\nhost=example.com\nusername=user1\n",
	       "user1/pass1b");
	assert_int_equal(rows(f), 2);

	/* storing what is stored changes nothing, not even the audit log */
	assert_int_equal(audits(f, "gitcred-store"), 3);
	put(f, "protocol=https\nhost=example.com\nusername=user1\n"
	       "password=pass1b\n");
	assert_int_equal(audits(f, "gitcred-store"), 3);
	assert_int_equal(rows(f), 2);
	/* an older one stored again becomes the newest, as in git's file */
	put(f, "protocol=https\nhost=example.com\nusername=user2\n"
	       "password=pass2\n");
	get_is(f, "protocol=https\nhost=example.com\n", "user2/pass2");
	assert_int_equal(audits(f, "gitcred-store"), 4);
	assert_int_equal(rows(f), 2);

	/* forget one user: the other remains */
	assert_int_equal(erase(f, "protocol=https\nhost=example.com\n"
				  "username=user1\n"), 1);
	get_is(f, "protocol=https\nhost=example.com\nusername=user1\n", NULL);
	get_is(f, "protocol=https\nhost=example.com\nusername=user2\n",
	       "user2/pass2");
}

static void test_erase_every_match(void **state)
{
	struct fx *f = *state;

	put(f, "protocol=https\nhost=example.com\nusername=e1\npassword=p\n");
	put(f, "protocol=https\nhost=example.com\nusername=e2\npassword=p\n");
	put(f, "protocol=https\nhost=example.com\npath=r.git\nusername=e3\n"
	       "password=p\n");
	put(f, "protocol=https\nhost=keep.tld\nusername=e1\npassword=p\n");
	put(f, "protocol=http\nhost=example.com\nusername=e1\npassword=p\n");
	/* an empty request erases nothing (git's store helper's guard) */
	assert_int_equal(erase(f, ""), 0);
	assert_int_equal(erase(f, "password=p\n"), 0);
	assert_int_equal(rows(f), 5);
	/* path= matches nothing: no credential has an empty path */
	assert_int_equal(erase(f, "protocol=https\nhost=example.com\npath=\n"),
			 0);
	assert_int_equal(erase(f, "protocol=https\nhost=example.com\n"), 3);
	get_is(f, "protocol=https\nhost=example.com\n", NULL);
	get_is(f, "protocol=https\nhost=keep.tld\n", "e1/p");
	get_is(f, "protocol=http\nhost=example.com\n", "e1/p");
	/* a pattern of a user name alone spans hosts and protocols */
	assert_int_equal(erase(f, "username=e1\n"), 2);
	assert_int_equal(rows(f), 0);
	assert_int_equal(audits(f, "gitcred-erase"), 2);
}

static void test_erase_by_password(void **state)
{
	struct fx *f = *state;

	put(f, "protocol=https\nhost=example.com\nusername=u\npassword=pass1\n");
	/* git rejects what failed: a password that is not the stored one
	 * must not erase it */
	assert_int_equal(erase(f, "protocol=https\nhost=example.com\n"
				  "username=u\npassword=pass2\n"), 0);
	assert_int_equal(erase(f, "protocol=https\nhost=example.com\n"
				  "username=u\npassword=pass\n"), 0);
	get_is(f, "protocol=https\nhost=example.com\nusername=u\n", "u/pass1");
	assert_int_equal(erase(f, "protocol=https\nhost=example.com\n"
				  "username=u\npassword=pass1\n"), 1);
	get_is(f, "protocol=https\nhost=example.com\n", NULL);
}

static void test_path_rules(void **state)
{
	struct fx *f = *state;

	put(f, "protocol=http\nhost=path.tld\npath=foo.git\nusername=user\n"
	       "password=pass\n");
	/* the request's path must match; without one, any path does */
	get_is(f, "protocol=http\nhost=path.tld\npath=bar.git\n", NULL);
	get_is(f, "protocol=http\nhost=path.tld\npath=foo.git\n",
	       "user/pass");
	get_is(f, "protocol=http\nhost=path.tld\n", "user/pass");
	get_is(f, "protocol=http\nhost=path.tld\npath=\n", NULL);
	/* stored as git's file would give it back: no slashes around */
	put(f, "protocol=http\nhost=path.tld\npath=/dir/x.git/\n"
	       "username=user\npassword=pass2\n");
	get_is(f, "protocol=http\nhost=path.tld\npath=dir/x.git\n",
	       "user/pass2");
	get_is(f, "protocol=http\nhost=path.tld\npath=foo.git\n",
	       "user/pass");
	/* a credential without a path does not answer for a path ... */
	put(f, "protocol=http\nhost=nopath.tld\nusername=user\n"
	       "password=np\n");
	get_is(f, "protocol=http\nhost=nopath.tld\npath=foo.git\n", NULL);
	/* ... and storing one replaces those with paths, as git's store
	 * helper does (the new credential is the pattern) */
	put(f, "protocol=http\nhost=path.tld\nusername=user\npassword=all\n");
	assert_int_equal(raw_int(f, "SELECT count(*) FROM git_credentials "
				    "WHERE host = 'path.tld'"), 1);
	get_is(f, "protocol=http\nhost=path.tld\npath=foo.git\n", NULL);
	get_is(f, "protocol=http\nhost=path.tld\n", "user/all");
}

static void test_sealed_at_rest(void **state)
{
	struct fx *f = *state;
	char *db;
	size_t len;
	svc_gitcred *req, *ans = NULL;

	put(f, "protocol=https\nhost=a.tld\nusername=ua\n"
	       "password=Plaintext-Marker-A\n");
	put(f, "protocol=https\nhost=b.tld\nusername=ub\n"
	       "password=Plaintext-Marker-B\n");
	svc_store_free(f->st);
	f->st = NULL;
	if (f->opts.database) {
		/* no plaintext password in any row, its bytes read as text
		 * (the rows are there: their hosts are found) */
		tu_db *d = raw_db(f);

		tu_db_exec(d, "SET bytea_output = 'escape'");
		assert_int_equal(tu_db_int(d, "SELECT count(*) FROM "
			"git_credentials g WHERE position('Plaintext-Marker' "
			"IN CAST(g AS TEXT)) > 0"), 0);
		assert_int_equal(tu_db_int(d, "SELECT count(*) FROM "
			"git_credentials g WHERE position('.tld' "
			"IN CAST(g AS TEXT)) > 0"), 2);
		tu_db_close(d);
	} else {
		/* no plaintext password in the database files */
		raw_exec(f, "PRAGMA wal_checkpoint(TRUNCATE)");
		db = tu_path(f->home, "store.db");
		{
			char *content = tu_read_file(db, &len);

			assert_non_null(content);
			assert_false(tu_memmem(content, len,
					       "Plaintext-Marker", 16));
			free(content);
		}
		free(db);
	}
	assert_int_equal(raw_int(f, "SELECT count(*) FROM git_credentials "
				    "WHERE length(sealed_password) = 1 + 12 + "
				    "18 + 16"), 2);
	/* a sealed password moved to another row does not open there */
	raw_exec(f, "UPDATE git_credentials SET sealed_password = (SELECT "
		    "sealed_password FROM git_credentials WHERE host = 'a.tld')"
		    " WHERE host = 'b.tld'");
	assert_int_equal(svc_store_open(&f->st, &f->opts), 0);
	get_is(f, "protocol=https\nhost=a.tld\n", "ua/Plaintext-Marker-A");
	req = parse("protocol=https\nhost=b.tld\n");
	assert_int_equal(svc_gitcred_get(&ans, f->st, req), SVC_ECRYPTO);
	assert_non_null(strstr(svc_error_last(), "b.tld"));
	svc_gitcred_free(req);
	/* nor when its row is changed around it */
	raw_exec(f, "UPDATE git_credentials SET username = 'ux' "
		    "WHERE host = 'a.tld'");
	req = parse("protocol=https\nhost=a.tld\n");
	assert_int_equal(svc_gitcred_get(&ans, f->st, req), SVC_ECRYPTO);
	svc_gitcred_free(req);
}

static void test_rekey_keeps_credentials(void **state)
{
	struct fx *f = *state;
	char old_id[64];
	tu_db *db;
	tu_rows *r;

	put(f, "protocol=https\nhost=example.com\nusername=u1\npassword=p1\n");
	put(f, "protocol=http\nhost=path.tld\npath=r.git\nusername=u2\n"
	       "password=\n");
	db = raw_db(f);
	r = tu_db_query(db, "SELECT value FROM meta WHERE key = 'key_id'",
			NULL, 0);
	assert_int_equal(r->n, 1);
	snprintf(old_id, sizeof(old_id), "%s", tu_rows_text(r, 0, 0));
	tu_rows_free(r);
	tu_db_close(db);

	assert_int_equal(svc_store_rekey(f->st, "tester"), 0);
	get_is(f, "protocol=https\nhost=example.com\n", "u1/p1");
	/* every row is sealed under the new key, and says so */
	assert_int_equal(raw_int(f, "SELECT count(*) FROM git_credentials g "
				    "JOIN meta m ON m.key = 'key_id' "
				    "WHERE g.key_id = m.value"), 2);
	svc_store_free(f->st);
	f->st = NULL;
	assert_int_equal(svc_store_open(&f->st, &f->opts), 0);
	get_is(f, "protocol=https\nhost=example.com\n", "u1/p1");
	get_is(f, "protocol=http\nhost=path.tld\npath=r.git\n", "u2/");
	{
		char sql[160];

		snprintf(sql, sizeof(sql),
			 "SELECT count(*) FROM git_credentials WHERE key_id = "
			 "'%s'", old_id);
		assert_int_equal(raw_int(f, sql), 0);
	}
	/* a credential that does not open stops the rekey, changing
	 * nothing */
	raw_exec(f, "UPDATE git_credentials SET username = 'moved' "
		    "WHERE username = 'u1'");
	assert_int_equal(svc_store_rekey(f->st, "tester"), SVC_ECRYPTO);
	assert_non_null(strstr(svc_error_last(), "cannot rekey"));
	raw_exec(f, "UPDATE git_credentials SET username = 'u1' "
		    "WHERE username = 'moved'");
	get_is(f, "protocol=https\nhost=example.com\n", "u1/p1");
}

static void test_schema_migration(void **state)
{
	struct fx *f = *state;
	tu_db *db = raw_db(f);

	assert_int_equal(tu_db_schema_version(db), tu_db_schema_current(db));
	tu_db_close(db);
	put(f, "protocol=https\nhost=h\nusername=u\npassword=p\n");
	if (!f->opts.database) {
		/* a version 2 store gains the table when it is opened
		 * (SQLite's: PostgreSQL's schema starts at 10) */
		svc_store_free(f->st);
		f->st = NULL;
		raw_exec(f, "DROP TABLE git_credentials; "
			    "PRAGMA user_version = 2;");
		assert_int_equal(svc_store_open(&f->st, &f->opts), 0);
		assert_int_equal(raw_int(f, "PRAGMA user_version"), 12);
		get_is(f, "protocol=https\nhost=h\n", NULL);
	}
	put(f, "protocol=https\nhost=h\nusername=u\npassword=p\n");
	get_is(f, "protocol=https\nhost=h\n", "u/p");
	/* the unique key: one row per protocol, host, path and user */
	svc_store_free(f->st);
	f->st = NULL;
	db = raw_db(f);
	assert_int_equal(tu_db_try(db, "INSERT INTO git_credentials (protocol, "
				   "host, path, username, sealed_password, "
				   "key_id, created_at, updated_at) VALUES "
				   "('https', 'h', '', 'u', 'x', 'k', 't', "
				   "'t')"), -1);
	tu_db_close(db);
	assert_int_equal(svc_store_open(&f->st, &f->opts), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_basic),
		cmocka_unit_test(test_parse_empty_values),
		cmocka_unit_test(test_parse_refusals),
		cmocka_unit_test(test_parse_url),
		cmocka_unit_test(test_read_fd),
		cmocka_unit_test(test_set_and_format),
		cmocka_unit_test(test_match_rules),
		cmocka_unit_test_setup_teardown(test_store_get_erase, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_empty_username_password,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_incomplete_not_stored,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_multiple_users_and_overwrite, setup, teardown),
		cmocka_unit_test_setup_teardown(test_erase_every_match, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_erase_by_password, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_path_rules, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_sealed_at_rest, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_rekey_keeps_credentials,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_schema_migration, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
