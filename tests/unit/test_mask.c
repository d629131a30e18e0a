/*
 * test_mask.c - the masker: every encoded form of secrets with awkward
 * bytes, split across writes at every offset; base64 inside longer base64;
 * basic-auth pairs; multi-line secrets; too-short secrets; thousands of
 * secrets; overlapping matches; the logging commands (task.setsecret,
 * task.setvariable, task.setendpoint, malformed ones); stdout and stderr
 * sharing one pattern set; bounded memory on a huge line; and text that
 * holds no secret coming out byte for byte.
 *
 * Expected encodings are written out here (computed with Python's json,
 * urllib and base64), not derived from the code under test.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include <svcconn/svcconn.h>
#include <svcconn/mask.h>

#include "errors_int.h"
#include "mask/mask_int.h"
#include "testutil.h"
#include "util/buf.h"

/* Secrets with every awkward byte: %, ;, ", \, ], $, ', space, +, /,
 * non-ASCII, a tab, a control byte, a newline. */
static const char *const awkward[] = {
	"p%a;s\"s\\w\xc3\xb6rd",
	"tok]en$with'quote",
	"a b+c/d=e?f&g",
	"\xf0\x9f\x94\x91key\ttab\001ctl",
	"first-line-aaa\nsecond-line-bbb",
};
#define NAWKWARD (sizeof(awkward) / sizeof(awkward[0]))

/* ---- helpers ---- */

static int sink_write(void *ctx, const char *data, size_t len)
{
	return buf_put(ctx, data, len);
}

/* What the event callback saw, and how it answers. */
struct seen {
	int n;                  /**< events received */
	svc_mask_event_kind kind; /**< the last one's kind */
	char name[256];         /**< its name ("" for NULL) */
	char id[64];            /**< its id ("" for NULL) */
	char value[256];        /**< its value */
	size_t value_len;       /**< its length */
	svc_mask_endpoint_field field; /**< its field */
	int is_output;          /**< isoutput */
	int is_readonly;        /**< isreadonly */
	int too_short;          /**< too_short */
	int refuse;             /**< answer SVC_EDENIED */
	const char *refusal;    /**< the error message to refuse with */
	svc_masker *add_to;     /**< register the value here (data fields) */
	int handle;             /**< answer SVC_MASK_EVENT_HANDLED */
	const char *prop_key;   /**< read this property of the command */
	char prop[64];          /**< its value ("" for none) */
	int has_prop;           /**< it had one */
};

static void copy_str(char *dst, size_t size, const char *s, size_t len)
{
	if (!s) {
		dst[0] = '\0';
		return;
	}
	if (len >= size)
		len = size - 1;
	memcpy(dst, s, len);
	dst[len] = '\0';
}

static int on_event(void *ctx, const svc_mask_event *ev)
{
	struct seen *s = ctx;

	s->n++;
	s->kind = ev->kind;
	copy_str(s->name, sizeof(s->name), ev->name,
		 ev->name ? strlen(ev->name) : 0);
	copy_str(s->id, sizeof(s->id), ev->id, ev->id ? strlen(ev->id) : 0);
	copy_str(s->value, sizeof(s->value), ev->value, ev->value_len);
	s->value_len = ev->value_len;
	s->field = ev->field;
	s->is_output = ev->is_output;
	s->is_readonly = ev->is_readonly;
	s->too_short = ev->too_short;
	if (s->add_to && ev->kind == SVC_MASK_EVENT_SETENDPOINT &&
	    ev->field == SVC_MASK_FIELD_DATA)
		assert_int_equal(svc_masker_add(s->add_to, ev->value,
						ev->value_len), 0);
	if (s->prop_key) {
		size_t len = 0;
		const char *v = svc_mask_event_prop(ev, s->prop_key, &len);

		s->has_prop = v != NULL;
		copy_str(s->prop, sizeof(s->prop), v, v ? len : 0);
	}
	if (s->refuse)
		return error_set(SVC_EDENIED, "%s", s->refusal);
	return s->handle ? SVC_MASK_EVENT_HANDLED : 0;
}

static svc_masker *new_masker(void)
{
	svc_masker *m = NULL;

	assert_int_equal(svc_masker_new(&m, NULL), 0);
	return m;
}

static svc_mask_stream *new_stream(svc_masker *m, int commands,
				   svc_buf *out, struct seen *seen)
{
	svc_mask_stream_options o;
	svc_mask_stream *s = NULL;

	memset(&o, 0, sizeof(o));
	o.version = SVC_MASK_STREAM_OPTIONS_VERSION;
	o.commands = commands;
	o.write = sink_write;
	o.write_ctx = out;
	o.event = seen ? on_event : NULL;
	o.event_ctx = seen;
	assert_int_equal(svc_mask_stream_new(&s, m, &o), 0);
	return s;
}

/* Filter text written as pieces cut at cuts[0..ncuts) then finish. */
static char *filter_cuts(svc_masker *m, int commands, struct seen *seen,
			 const char *text, size_t len, const size_t *cuts,
			 size_t ncuts, size_t *outlen)
{
	svc_buf out;
	svc_mask_stream *s;
	size_t i, at = 0;
	char *r;

	buf_init(&out, (size_t)1 << 30, 0);
	s = new_stream(m, commands, &out, seen);
	for (i = 0; i <= ncuts; i++) {
		size_t end = i < ncuts ? cuts[i] : len;

		assert_int_equal(svc_mask_stream_write(s, text + at, end - at),
				 0);
		at = end;
	}
	assert_int_equal(svc_mask_stream_finish(s), 0);
	svc_mask_stream_free(s);
	r = buf_detach(&out, outlen);
	assert_non_null(r);
	return r;
}

static char *filter(svc_masker *m, int commands, struct seen *seen,
		    const char *text)
{
	return filter_cuts(m, commands, seen, text, strlen(text), NULL, 0,
			   NULL);
}

/* Every form (>= the minimum, without newline) of a value, listed. */
struct forms {
	char *f[64];            /**< the forms, owned */
	size_t len[64];         /**< their lengths */
	size_t n;               /**< how many */
};

static int collect_form(void *ctx, const char *form, size_t len)
{
	struct forms *fs = ctx;
	size_t i;

	if (len < SVC_MASK_MIN_LENGTH || memchr(form, '\n', len))
		return 0;
	for (i = 0; i < fs->n; i++)
		if (fs->len[i] == len && memcmp(fs->f[i], form, len) == 0)
			return 0;
	assert_true(fs->n < 64);
	fs->f[fs->n] = malloc(len + 1);
	assert_non_null(fs->f[fs->n]);
	memcpy(fs->f[fs->n], form, len);
	fs->f[fs->n][len] = '\0';
	fs->len[fs->n++] = len;
	return 0;
}

static void forms_of(struct forms *fs, const char *v)
{
	memset(fs, 0, sizeof(*fs));
	assert_int_equal(mask_forms(v, strlen(v), collect_form, fs), 0);
}

static void forms_free(struct forms *fs)
{
	size_t i;

	for (i = 0; i < fs->n; i++)
		free(fs->f[i]);
	fs->n = 0;
}

/* No form of any awkward secret (nor any of its lines) in out. */
static void assert_no_awkward(const char *out, size_t outlen)
{
	size_t i, j;

	for (i = 0; i < NAWKWARD; i++) {
		struct forms fs;

		forms_of(&fs, awkward[i]);
		for (j = 0; j < fs.n; j++)
			if (tu_memmem(out, outlen, fs.f[j], fs.len[j])) {
				print_error("form '%s' of secret %zu in output\n",
					    fs.f[j], i);
				fail();
			}
		forms_free(&fs);
	}
	assert_null(tu_memmem(out, outlen, "first-line-aaa", 14) ? "x" : NULL);
	assert_null(tu_memmem(out, outlen, "second-line-bbb", 15) ? "x" : NULL);
}

static svc_masker *awkward_masker(void)
{
	svc_masker *m = new_masker();
	size_t i;

	for (i = 0; i < NAWKWARD; i++)
		assert_int_equal(svc_masker_add(m, awkward[i],
						strlen(awkward[i])), 0);
	return m;
}

/* ---- forms ---- */

/* Encodings written out independently: each must come out as ***. */
static void test_known_encodings(void **state)
{
	static const char *const known[] = {
		/* p%a;s"s\wörd */
		"p%a;s\"s\\w\xc3\xb6rd",
		"p%a;s\\\"s\\\\w\xc3\xb6rd",            /* JSON */
		"p%a;s\\\"s\\\\w\\u00f6rd",             /* JSON, ASCII */
		"p%a;s\\\"s\\\\w\\u00F6rd",             /* JSON, ASCII, upper */
		"p%25a%3Bs%22s%5Cw%C3%B6rd",            /* EscapeDataString */
		"p%25a%3bs%22s%5cw%c3%b6rd",            /* lower-case hex */
		"p%a;s\"s\\\\w\xc3\xb6rd",              /* \ and ' escaped */
		"p%AZP25a;s\"s\\w\xc3\xb6rd",           /* logging-command data */
		"p%AZP25a%3Bs\"s\\w\xc3\xb6rd",         /* ... property */
		"p%a;s&quot;s\\w\xc3\xb6rd",             /* XML */
		"p%25a;s%22s%5Cw%C3%B6rd",              /* URL userinfo */
		"p%a%3Bs%22s%5Cw%C3%B6rd",              /* WHATWG userinfo */
		"cCVhO3Mic1x3w7ZyZA==",                 /* base64 */
		"cCVhO3Mic1x3w7ZyZA",                   /* unpadded */
		/* tok]en$with'quote */
		"tok%5Den$with'quote",                  /* property escape */
		"tok%5Den%24with%27quote",              /* EscapeDataString */
		"tok%5Den%24with'quote",                /* encodeURIComponent */
		"tok]en\\$with'quote",                  /* shell double quotes */
		"tok]en$with\\'quote",                  /* \ and ' escaped */
		"tok]en$with&apos;quote",               /* XML */
		"tok]en$with&#x27;quote",               /* html.escape */
		"dG9rXWVuJHdpdGgncXVvdGU=",             /* base64 */
		/* a b+c/d=e?f&g */
		"a+b%2Bc%2Fd%3De%3Ff%26g",              /* form encoding */
		"a%20b%2Bc%2Fd%3De%3Ff%26g",            /* EscapeDataString */
		"a b+c/d=e?f&amp;g",                    /* XML */
		"a%20b+c%2Fd=e%3Ff&g",                  /* URL userinfo */
		"a%20b+c%2Fd%3De%3Ff&g",                /* WHATWG userinfo */
		"YSBiK2MvZD1lP2YmZw==",                 /* base64 */
		/* key with emoji, tab, control byte */
		"\\ud83d\\udd11key\\ttab\\u0001ctl",    /* JSON, ASCII */
		"\xf0\x9f\x94\x91key\\ttab\\u0001ctl",  /* JSON */
		"%F0%9F%94%91key%09tab%01ctl",          /* EscapeDataString */
		"8J+UkWtleQl0YWIBY3Rs",                 /* base64 */
		"8J-UkWtleQl0YWIBY3Rs",                 /* base64url */
		/* the two-line secret */
		"first-line-aaa\\nsecond-line-bbb",     /* JSON */
		"first-line-aaa%0Asecond-line-bbb",     /* URL, logging cmd */
		"Zmlyc3QtbGluZS1hYWEKc2Vjb25kLWxpbmUtYmJi", /* base64 */
	};
	svc_masker *m = awkward_masker();
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		char text[256], want[] = "<< *** >>\n", *out;

		snprintf(text, sizeof(text), "<< %s >>\n", known[i]);
		out = filter(m, 0, NULL, text);
		if (strcmp(out, want) != 0) {
			print_error("'%s' gave '%s'\n", known[i], out);
			fail();
		}
		free(out);
	}
	svc_masker_free(m);
}

/*
 * Where real tasks put credentials: a pip index URL's userinfo
 * (PipAuthenticate's PIP_INDEX_URL), Maven's settings.xml
 * (MavenAuthenticate), a git remote written by Node's URL class.
 */
static void test_credentials_in_urls_and_xml(void **state)
{
	static const char pw[] = "p@ss:w/rd!&<x>'\"=";
	static const char *const lines[] = {
		"PIP_INDEX_URL=https://build:p%40ss%3Aw%2Frd!&%3Cx%3E'%22=@feed.example/simple/\n",
		"remote: https://build:p%40ss%3Aw%2Frd!&%3Cx%3E'%22%3D@git.example/r.git\n",
		"<password>p@ss:w/rd!&amp;&lt;x&gt;&apos;&quot;=</password>\n",
		"<password>p@ss:w/rd!&amp;&lt;x&gt;'\"=</password>\n",
		/* that URL set as a variable: the task library escapes % */
		"##vso[task.setvariable variable=PIP_INDEX_URL]https://build:p%AZP2540ss%AZP253Aw%AZP252Frd!&%AZP253Cx%AZP253E'%AZP2522=@feed.example/simple/\n",
	};
	static const char *const want[] = {
		"PIP_INDEX_URL=https://build:***@feed.example/simple/\n",
		"remote: https://build:***@git.example/r.git\n",
		"<password>***</password>\n",
		"<password>***</password>\n",
		"##vso[task.setvariable variable=PIP_INDEX_URL]https://build:***@feed.example/simple/\n",
	};
	svc_masker *m = new_masker();
	size_t i;

	(void)state;
	assert_int_equal(svc_masker_add(m, pw, sizeof(pw) - 1), 0);
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		char *out = filter(m, 0, NULL, lines[i]);

		if (strcmp(out, want[i]) != 0) {
			print_error("'%s' gave '%s'\n", lines[i], out);
			fail();
		}
		free(out);
	}
	svc_masker_free(m);
}

/*
 * A PEM key's lines are masked each, but not its armor lines: a public
 * certificate printed next to it keeps its BEGIN/END lines.
 */
static void test_pem_armor_not_masked(void **state)
{
	static const char key[] =
		"-----BEGIN PRIVATE KEY-----\n"
		"MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n"
		"-----END PRIVATE KEY-----\n";
	svc_masker *m = new_masker();
	char *out;

	(void)state;
	assert_int_equal(svc_masker_add(m, key, sizeof(key) - 1), 0);
	out = filter(m, 0, NULL,
		     "-----BEGIN CERTIFICATE-----\n"
		     "key line: MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n"
		     "-----END PRIVATE KEY-----\n");
	assert_string_equal(out, "-----BEGIN CERTIFICATE-----\n"
			    "key line: ***\n"
			    "-----END PRIVATE KEY-----\n");
	free(out);
	out = filter(m, 0, NULL, key);
	assert_null(strstr(out, "MIIEvQ"));
	free(out);
	svc_masker_free(m);
}

/* Every form of every awkward secret, cut at every offset. */
static void test_forms_split_everywhere(void **state)
{
	svc_masker *m = awkward_masker();
	size_t i, j, cut;

	(void)state;
	for (i = 0; i < NAWKWARD; i++) {
		struct forms fs;

		forms_of(&fs, awkward[i]);
		assert_true(fs.n >= 6);
		for (j = 0; j < fs.n; j++) {
			char text[512];
			size_t len;

			len = (size_t)snprintf(text, sizeof(text),
					       "step: %s.\n", fs.f[j]);
			for (cut = 0; cut <= len; cut++) {
				size_t outlen;
				char *out = filter_cuts(m, 1, NULL, text, len,
							&cut, 1, &outlen);

				if (strcmp(out, "step: ***.\n") != 0) {
					print_error("form '%s' cut at %zu: '%s'\n",
						    fs.f[j], cut, out);
					fail();
				}
				free(out);
			}
		}
		forms_free(&fs);
	}
	svc_masker_free(m);
}

/*
 * A secret longer than Vectorscan takes as one literal (16 KiB; a
 * kubeconfig or a PFX in base64 is that long): every form is masked whole,
 * cut anywhere, and the masker compiles.
 */
static void test_long_secret(void **state)
{
	static const char alphabet[] =
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
		"\"\\%/:+=&? ";
	enum { LONG = 40000 };
	svc_masker *m = new_masker();
	char *secret = malloc(LONG + 1);
	unsigned seed = 12345;
	struct forms fs;
	size_t i, j, c;

	(void)state;
	assert_non_null(secret);
	for (i = 0; i < LONG; i++) {
		seed = seed * 1103515245u + 12345u;
		secret[i] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
	}
	secret[LONG] = '\0';
	assert_int_equal(svc_masker_add(m, secret, LONG), 0);
	assert_int_equal(svc_masker_compile(m), 0);
	memset(&fs, 0, sizeof(fs));
	assert_int_equal(mask_forms(secret, LONG, collect_form, &fs), 0);
	assert_true(fs.n >= 6);
	for (j = 0; j < fs.n; j++) {
		size_t len = fs.len[j] + 8, cuts[] = { 1, 4095, 4096, 4097,
			16383, len / 2, len - 2 };
		char *text = malloc(len + 1);

		assert_non_null(text);
		memcpy(text, "step: ", 6);
		memcpy(text + 6, fs.f[j], fs.len[j]);
		memcpy(text + 6 + fs.len[j], ".\n", 3);
		for (c = 0; c < sizeof(cuts) / sizeof(cuts[0]); c++) {
			size_t outlen, k;
			char *out = filter_cuts(m, 1, NULL, text, len, &cuts[c],
						1, &outlen);

			/* "step: ", only stars, ".\n" */
			assert_true(outlen > 8);
			assert_memory_equal(out, "step: ", 6);
			assert_memory_equal(out + outlen - 2, ".\n", 2);
			for (k = 6; k < outlen - 2; k++)
				if (out[k] != '*') {
					print_error("form %zu cut at %zu: byte %zu shows\n",
						    j, cuts[c], k);
					fail();
				}
			free(out);
		}
		free(text);
	}
	forms_free(&fs);
	free(secret);
	svc_masker_free(m);
}

/* A log with all forms, written one byte at a time and in odd pieces. */
static void test_forms_byte_by_byte(void **state)
{
	svc_masker *m = awkward_masker();
	svc_buf log;
	size_t i, j, *cuts, outlen;
	char *out;

	(void)state;
	buf_init(&log, 0, 0);
	for (i = 0; i < NAWKWARD; i++) {
		struct forms fs;

		forms_of(&fs, awkward[i]);
		for (j = 0; j < fs.n; j++)
			assert_int_equal(buf_printf(&log, "[%zu.%zu] value=%s; next\n",
						    i, j, fs.f[j]), 0);
		forms_free(&fs);
	}
	assert_int_equal(buf_printf(&log, "raw: %s end\n", awkward[4]), 0);
	cuts = calloc(log.len, sizeof(*cuts));
	assert_non_null(cuts);
	for (i = 0; i + 1 < log.len; i++)
		cuts[i] = i + 1;
	out = filter_cuts(m, 1, NULL, log.ptr, log.len, cuts, log.len - 1,
			  &outlen);
	assert_no_awkward(out, outlen);
	assert_non_null(strstr(out, "[0.0] value=***; next\n"));
	free(out);
	/* pieces of 7 bytes, through a stream without commands */
	for (i = 0, j = 0; i + 7 < log.len; i += 7)
		cuts[j++] = i + 7;
	out = filter_cuts(m, 0, NULL, log.ptr, log.len, cuts, j, &outlen);
	assert_no_awkward(out, outlen);
	free(out);
	free(cuts);
	buf_clear(&log);
	svc_masker_free(m);
}

/* base64(prefix + secret + suffix): the secret's own characters go. */
static void test_base64_inside_base64(void **state)
{
	static const char secret[] = "Sup3r-Secr3t-Value";
	svc_masker *m = new_masker();
	size_t p, x, slen = sizeof(secret) - 1;

	(void)state;
	assert_int_equal(svc_masker_add(m, secret, slen), 0);
	for (p = 0; p <= 5; p++) {
		for (x = 0; x <= 3; x++) {
			unsigned char raw[64], enc[128];
			char text[256], inner[128], *out;
			size_t rlen = p + slen + x, c, ni = 0;
			int elen;

			memset(raw, 0xa5, sizeof(raw));
			memcpy(raw + p, secret, slen);
			elen = EVP_EncodeBlock(enc, raw, (int)rlen);
			/* the characters that draw on the secret's bytes alone */
			for (c = 0; c < (size_t)elen; c++) {
				size_t g = c / 4, j = c % 4;
				size_t lo = 3 * g + (j == 0 ? 0 : j - 1);
				size_t hi = 3 * g + (j == 3 ? 2 : j);

				if (lo >= p && hi < p + slen && enc[c] != '=')
					inner[ni++] = (char)enc[c];
			}
			inner[ni] = '\0';
			assert_true(ni >= 20);
			snprintf(text, sizeof(text), "data: %s\n", enc);
			out = filter(m, 0, NULL, text);
			if (strstr(out, inner) || !strstr(out, "***")) {
				print_error("prefix %zu suffix %zu: '%s'\n", p,
					    x, out);
				fail();
			}
			free(out);
		}
	}
	svc_masker_free(m);
}

static void test_basic_auth(void **state)
{
	svc_masker *m = new_masker();
	char *out;

	(void)state;
	assert_int_equal(svc_masker_add_basic_auth(m, "builduser", 9,
						   "hunter2pass", 11), 0);
	/* base64("builduser:hunter2pass") */
	out = filter(m, 0, NULL,
		     "Authorization: Basic YnVpbGR1c2VyOmh1bnRlcjJwYXNz\n"
		     "builduser logged in with hunter2pass\n");
	assert_string_equal(out, "Authorization: Basic ***\n"
				 "builduser logged in with ***\n");
	free(out);
	/* the same header in a longer base64 text (a docker config) */
	out = filter(m, 0, NULL,
		     "eyJhdXRoIjoiYnVpbGR1c2VyOmh1bnRlcjJwYXNzIn0=\n");
	assert_null(strstr(out, "YnVpbGR1c2VyOmh1bnRlcjJwYXNz"));
	assert_null(strstr(out, "Omh1bnRlcjJwYXNz"));
	assert_non_null(strstr(out, "***"));
	free(out);
	svc_masker_free(m);
}

/* ---- the minimum length ---- */

static void test_too_short(void **state)
{
	svc_masker *m = new_masker();
	char *out;

	(void)state;
	assert_int_equal(svc_masker_add(m, "a", 1), 0);
	assert_int_equal(svc_masker_add(m, "a", 1), 0);
	assert_int_equal(svc_masker_add(m, "ab", 2), 0);
	assert_int_equal(svc_masker_add(m, "xyz", 3), 0);
	assert_int_equal(svc_masker_add(m, "", 0), 0);
	assert_int_equal(svc_masker_too_short(m), 3);
	assert_int_equal(svc_masker_take_too_short(m), 3);
	assert_int_equal(svc_masker_take_too_short(m), 0);
	assert_int_equal(svc_masker_patterns(m), 0);
	out = filter(m, 1, NULL, "a banana, an abacus, xyz\n");
	assert_string_equal(out, "a banana, an abacus, xyz\n");
	free(out);
	/* the shortest maskable secret is masked */
	assert_int_equal(svc_masker_add(m, "abcd", 4), 0);
	out = filter(m, 1, NULL, "x abcd y\n");
	assert_string_equal(out, "x *** y\n");
	free(out);
	assert_int_equal(svc_masker_take_too_short(m), 0);
	assert_int_equal(svc_masker_add(m, "q", 1), 0);
	assert_int_equal(svc_masker_take_too_short(m), 1);
	svc_masker_free(m);
}

static void test_options(void **state)
{
	svc_masker_options o;
	svc_masker *m = NULL;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.version = SVC_MASKER_OPTIONS_VERSION;
	o.min_length = 1;
	assert_int_equal(svc_masker_new(&m, &o), SVC_EINVALID);
	o.min_length = 8;
	assert_int_equal(svc_masker_new(&m, &o), 0);
	assert_int_equal(svc_masker_add(m, "seven77", 7), 0);
	assert_int_equal(svc_masker_too_short(m), 1);
	svc_masker_free(m);
	o.version = 99;
	assert_int_equal(svc_masker_new(&m, &o), SVC_EINVALID);
}

/* ---- multi-line secrets ---- */

static void test_multiline(void **state)
{
	static const char key[] = "-----BEGIN KEY-----\n"
				  "MIIEpAIBAAKCAQEA1234\n"
				  "-----END KEY-----";
	static const char crlf[] = "line-one-1111\r\nxyz\r\nline-three-33";
	svc_masker *m = new_masker();
	svc_buf out;
	svc_mask_stream *s;
	char *r;

	(void)state;
	assert_int_equal(svc_masker_add(m, key, sizeof(key) - 1), 0);
	/* each line alone, and the whole value as one run of lines */
	r = filter(m, 1, NULL, "got MIIEpAIBAAKCAQEA1234 here\n");
	assert_string_equal(r, "got *** here\n");
	free(r);
	r = filter(m, 1, NULL, "-----BEGIN KEY-----\nMIIEpAIBAAKCAQEA1234\n"
		   "-----END KEY-----\n");
	/* the armor lines are no secret of their own */
	assert_string_equal(r, "-----BEGIN KEY-----\n***\n-----END KEY-----\n");
	free(r);
	r = filter(m, 1, NULL, "{\"key\":\"-----BEGIN KEY-----\\n"
		   "MIIEpAIBAAKCAQEA1234\\n-----END KEY-----\"}\n");
	assert_string_equal(r, "{\"key\":\"***\"}\n");
	free(r);
	/* no pattern spans lines: a complete line goes out at once */
	buf_init(&out, 0, 0);
	s = new_stream(m, 1, &out, NULL);
	assert_int_equal(svc_mask_stream_write(s, "hello\nwor", 9), 0);
	assert_int_equal(out.len, 6);
	svc_mask_stream_free(s);
	buf_clear(&out);

	/* a short line ("xyz"): the whole value is a pattern too */
	assert_int_equal(svc_masker_add(m, crlf, sizeof(crlf) - 1), 0);
	r = filter(m, 1, NULL, "a line-one-1111\r\nxyz\r\nline-three-33 b\n");
	assert_string_equal(r, "a *** b\n");
	free(r);
	r = filter(m, 1, NULL, "the key: xyz\n");
	assert_string_equal(r, "the key: xyz\n");
	free(r);
	/* now lines are held back until no secret can span them */
	buf_init(&out, 0, 0);
	s = new_stream(m, 1, &out, NULL);
	assert_int_equal(svc_mask_stream_write(s, "hello\n", 6), 0);
	assert_int_equal(out.len, 0);
	assert_int_equal(svc_mask_stream_finish(s), 0);
	assert_int_equal(out.len, 6);
	svc_mask_stream_free(s);
	buf_clear(&out);
	svc_masker_free(m);
}

/* ---- matching ---- */

static void test_overlaps(void **state)
{
	svc_masker *m = new_masker();
	size_t len;
	char *out;

	(void)state;
	assert_int_equal(svc_masker_add(m, "abcdef", 6), 0);
	assert_int_equal(svc_masker_add(m, "defghi", 6), 0);
	assert_int_equal(svc_masker_add(m, "wxyz", 4), 0);
	assert_int_equal(svc_masker_add(m, "wxyz0123", 8), 0);
	out = filter(m, 0, NULL, "1 abcdefghi 2 abcdefabcdef 3 wxyz0123! "
		     "4 wxyzwxyz 5 wxyz 6 abcde\n");
	assert_string_equal(out, "1 *** 2 *** 3 ***! 4 *** 5 *** 6 abcde\n");
	free(out);
	/* a secret that starts with NUL bytes: masked from its first other */
	assert_int_equal(svc_masker_add(m, "\0\0bin\xff\x01ary", 9), 0);
	assert_int_equal(svc_masker_add(m, "\0\0\0ab", 5), 0);
	assert_int_equal(svc_masker_mask(&out, &len, m, "x\0\0bin\xff\x01ary "
					 "\0\0\0ab ab.", 20), 0);
	assert_int_equal(len, 16);
	assert_memory_equal(out, "x\0\0*** \0\0\0ab ab.", 16);
	free(out);
	svc_masker_free(m);
}

/* Text without secrets, any bytes at all, comes out unchanged. */
static void test_untouched(void **state)
{
	svc_masker *m = awkward_masker();
	unsigned char text[70000];
	unsigned seed = 7;
	size_t i, outlen, cuts[3] = { 1, 4097, 65537 };
	char *out;

	(void)state;
	for (i = 0; i < sizeof(text); i++) {
		seed = seed * 1103515245u + 12345u;
		text[i] = (unsigned char)(seed >> 16);
		/* no logging command: "##" never followed by "vso[" */
		if (i >= 2 && text[i - 2] == '#' && text[i - 1] == '#')
			text[i] = 'x';
	}
	out = filter_cuts(m, 1, NULL, (const char *)text, sizeof(text), cuts,
			  3, &outlen);
	assert_int_equal(outlen, sizeof(text));
	assert_memory_equal(out, text, sizeof(text));
	free(out);
	out = filter(m, 1, NULL, "plain text: first-line second-line p%a s\n");
	assert_string_equal(out, "plain text: first-line second-line p%a s\n");
	free(out);
	svc_masker_free(m);
}

static void test_many_secrets(void **state)
{
	enum { N = 5000 };
	svc_masker *m = new_masker();
	svc_buf log;
	char secret[32], *out;
	size_t i, outlen;
	unsigned seed = 11;

	(void)state;
	buf_init(&log, 0, 0);
	for (i = 0; i < N; i++) {
		size_t j;

		for (j = 0; j < 20; j++) {
			seed = seed * 1103515245u + 12345u;
			secret[j] = "abcdefghijklmnopqrstuvwxyz0123456789"[
				(seed >> 16) % 36];
		}
		snprintf(secret + 20, sizeof(secret) - 20, "%05zu", i);
		assert_int_equal(svc_masker_add(m, secret, 25), 0);
		assert_int_equal(buf_printf(&log, "line %zu uses %s today\n",
					    i, secret), 0);
	}
	assert_true(svc_masker_patterns(m) >= 4 * N);
	assert_int_equal(svc_masker_compile(m), 0);
	out = filter_cuts(m, 1, NULL, log.ptr, log.len, NULL, 0, &outlen);
	for (i = 0; i < N; i++) {
		char want[64];

		snprintf(want, sizeof(want), "line %zu uses *** today\n", i);
		assert_non_null(strstr(out, want));
	}
	assert_null(strstr(out, "00042"));
	free(out);
	buf_clear(&log);
	svc_masker_free(m);
}

/* The patterns of a masker, for the reference below. */
struct patlist {
	char *p[512];           /**< pattern bytes, owned */
	size_t len[512];        /**< their lengths */
	size_t n;               /**< how many */
};

static int collect_pattern(void *ctx, const char *p, size_t len)
{
	struct patlist *l = ctx;

	assert_true(l->n < 512);
	l->p[l->n] = malloc(len);
	assert_non_null(l->p[l->n]);
	memcpy(l->p[l->n], p, len);
	l->len[l->n++] = len;
	return 0;
}

/*
 * The reference: every byte inside any occurrence of any pattern is
 * masked, each run of masked bytes becomes one "***".  Brute force.
 */
static char *reference(const struct patlist *l, const char *text, size_t len,
		       size_t *outlen)
{
	char *mark = calloc(len + 1, 1), *out = malloc(len + 1);
	size_t i, j, o = 0;

	assert_non_null(mark);
	assert_non_null(out);
	for (i = 0; i < l->n; i++)
		for (j = 0; j + l->len[i] <= len; j++)
			if (memcmp(text + j, l->p[i], l->len[i]) == 0)
				memset(mark + j, 1, l->len[i]);
	for (i = 0; i < len; i++) {
		if (!mark[i])
			out[o++] = text[i];
		else if (i == 0 || !mark[i - 1])
			o += (size_t)snprintf(out + o, 4, "***");
	}
	*outlen = o;
	free(mark);
	return out;
}

/* Random text made of secrets' pieces; any cuts give the reference. */
static void test_random_against_reference(void **state)
{
	static const char *const secrets[] = {
		"alpha-secret", "secret-beta", "gamma\\\"q", "DELTA%x;y",
		"abab", "ab\nab\ncd-long-line",
	};
	static const char *const bits[] = {
		"alpha-", "secret", "-beta", "gamma", "\\\"q", "DELTA%", "x;y",
		"ab", "ab\n", "cd-long-line", "\n", " ", "x", "YWxwaGEtc2VjcmV0",
		"c2VjcmV0LWJldGE", "secret%2Dbeta", "alpha-secret\\n",
		"abababab", "##", "***",
	};
	unsigned seed = 12345;
	int variant, iter;

	(void)state;
	/* variant 0: no pattern spans lines; 1: one does */
	for (variant = 0; variant < 2; variant++) {
		svc_masker *m = new_masker();
		struct patlist l;
		size_t i, nsec = variant ? 6 : 5;

		for (i = 0; i < nsec; i++)
			assert_int_equal(svc_masker_add(m, secrets[i],
							strlen(secrets[i])), 0);
		memset(&l, 0, sizeof(l));
		assert_int_equal(mask_foreach_pattern(m, collect_pattern, &l),
				 0);
		for (iter = 0; iter < 300; iter++) {
			char text[4096];
			size_t len = 0, cuts[16], ncuts, k, want_len, got_len;
			char *want, *got;

			while (len < 3000) {
				const char *b;

				seed = seed * 1103515245u + 12345u;
				b = bits[(seed >> 16) %
					 (sizeof(bits) / sizeof(bits[0]))];
				memcpy(text + len, b, strlen(b));
				len += strlen(b);
			}
			seed = seed * 1103515245u + 12345u;
			ncuts = (seed >> 16) % 16;
			for (k = 0; k < ncuts; k++) {
				seed = seed * 1103515245u + 12345u;
				cuts[k] = (seed >> 8) % (len + 1);
			}
			/* sorted, as write offsets */
			for (k = 1; k < ncuts; k++) {
				size_t x = cuts[k], j = k;

				while (j && cuts[j - 1] > x) {
					cuts[j] = cuts[j - 1];
					j--;
				}
				cuts[j] = x;
			}
			want = reference(&l, text, len, &want_len);
			got = filter_cuts(m, (int)(iter & 1), NULL, text, len,
					  cuts, ncuts, &got_len);
			if (got_len != want_len ||
			    memcmp(got, want, want_len) != 0) {
				print_error("variant %d iteration %d differs\n",
					    variant, iter);
				fail();
			}
			free(want);
			free(got);
		}
		for (i = 0; i < l.n; i++)
			free(l.p[i]);
		svc_masker_free(m);
	}
}

/* Add every form (>= the minimum) of v to the reference's list. */
static int add_ref_form(void *ctx, const char *p, size_t len)
{
	if (len < SVC_MASK_MIN_LENGTH)
		return 0;
	return collect_pattern(ctx, p, len);
}

/*
 * Random lines, some of them task.setsecret commands: the output must be
 * that of the reference applied line by line, each secret masked from the
 * line after its command on, whatever the cuts.
 */
static void test_random_commands_against_reference(void **state)
{
	static const char *const news[] = {
		"new-secret-one", "2nd;secret\"x", "third%secret",
	};
	static const char *const bits[] = {
		"new-secret-", "one", "2nd;secret\"x", "third", "%secret", " ",
		"log text ", "bmV3LXNlY3JldC1vbmU=", "third%25secret", "##",
		"2nd%3Bsecret%22x",
	};
	unsigned seed = 777;
	int iter;

	(void)state;
	for (iter = 0; iter < 200; iter++) {
		svc_masker *m = new_masker();
		struct patlist l;
		svc_buf text, want;
		size_t line, k, cuts[8], ncuts, got_len;
		char *got;

		memset(&l, 0, sizeof(l));
		buf_init(&text, 0, 0);
		buf_init(&want, 0, 0);
		for (line = 0; line < 40; line++) {
			char one[256];
			size_t len = 0, outlen;
			char *masked;

			seed = seed * 1103515245u + 12345u;
			if ((seed >> 16) % 8 == 0) {
				const char *v = news[(seed >> 8) % 3];

				assert_int_equal(buf_printf(&text,
					"##vso[task.setsecret]%s\n", v), 0);
				assert_int_equal(mask_forms(v, strlen(v),
							    add_ref_form, &l), 0);
				continue;
			}
			for (k = 0; k < 6; k++) {
				const char *b;

				seed = seed * 1103515245u + 12345u;
				b = bits[(seed >> 16) %
					 (sizeof(bits) / sizeof(bits[0]))];
				memcpy(one + len, b, strlen(b));
				len += strlen(b);
			}
			one[len++] = '\n';
			assert_int_equal(buf_put(&text, one, len), 0);
			masked = reference(&l, one, len, &outlen);
			assert_int_equal(buf_put(&want, masked, outlen), 0);
			free(masked);
		}
		seed = seed * 1103515245u + 12345u;
		ncuts = (seed >> 16) % 8;
		for (k = 0; k < ncuts; k++) {
			seed = seed * 1103515245u + 12345u;
			cuts[k] = (k ? cuts[k - 1] : 0) +
				  (seed >> 8) % (text.len / 8 + 1);
			if (cuts[k] > text.len)
				cuts[k] = text.len;
		}
		got = filter_cuts(m, 1, NULL, text.ptr, text.len, cuts, ncuts,
				  &got_len);
		if (got_len != want.len ||
		    memcmp(got, want.ptr ? want.ptr : "", want.len) != 0) {
			print_error("iteration %d:\n%s\nwanted\n%s\n", iter, got,
				    want.ptr);
			fail();
		}
		free(got);
		for (k = 0; k < l.n; k++)
			free(l.p[k]);
		buf_clear(&text);
		buf_clear(&want);
		svc_masker_free(m);
	}
}

/* A secret added while bytes are held back masks them too. */
static void test_added_while_held(void **state)
{
	svc_masker *m = new_masker();
	svc_buf out;
	svc_mask_stream *s;
	struct seen seen;

	(void)state;
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(svc_masker_add(m, "a-rather-long-secret-to-hold-bytes",
					34), 0);
	buf_init(&out, 0, 0);
	s = new_stream(m, 0, &out, NULL);
	assert_int_equal(svc_mask_stream_write(s, "value: late-secret-xyz", 22),
			 0);
	assert_int_equal(svc_masker_add(m, "late-secret-xyz", 15), 0);
	assert_int_equal(svc_mask_stream_finish(s), 0);
	assert_int_equal(buf_putc(&out, '\0'), 0);
	assert_string_equal(out.ptr, "value: ***");
	svc_mask_stream_free(s);
	buf_clear(&out);
	svc_masker_free(m);
}

static void test_mask_once(void **state)
{
	svc_masker *m = awkward_masker();
	char *out = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(svc_masker_mask(&out, &len, m, "x tok]en$with'quote",
					 19), 0);
	assert_string_equal(out, "x ***");
	assert_int_equal(len, 5);
	free(out);
	svc_masker_free(m);
}

/* The database holds the forms past its header, and the wipe clears them. */
static void test_database_wipe(void **state)
{
	static const char *const secrets[] = {
		"Zq7-unique-SECRET-value-91", "another-Secret-xyz-22",
		"short-1",
	};
	svc_masker *m = new_masker();
	mask_db *db = NULL;
	size_t i, size = 0;
	const char *p;

	(void)state;
	for (i = 0; i < 3; i++)
		assert_int_equal(svc_masker_add(m, secrets[i],
						strlen(secrets[i])), 0);
	assert_int_equal(mask_db_acquire(m, &db), 0);
	assert_int_equal(hs_database_size(db->hs, &size), HS_SUCCESS);
	p = (const char *)db->hs;
	for (i = 0; i < 3; i++) {
		size_t n = strlen(secrets[i]);

		/* present (so the check means something), never in the header */
		assert_true(tu_memmem(p, size, secrets[i], n));
		assert_false(tu_memmem(p, MASK_DB_HEADER + n - 1, secrets[i], n));
	}
	mask_hs_wipe(db->hs);
	for (i = 0; i < 3; i++)
		assert_false(tu_memmem(p, size, secrets[i], 4));
	mask_db_release(m, db);
	svc_masker_free(m);     /* frees the wiped database: header intact */
}

/* ---- logging commands ---- */

/*
 * Filter text through a commands stream cut once at every offset: the
 * output must be want and n commands reported each time; the last event
 * seen is in *last.
 */
static void expect_all_cuts(const char *text, const char *want, int n,
			    struct seen *last)
{
	size_t len = strlen(text), cut;

	for (cut = 0; cut <= len; cut++) {
		svc_masker *m = new_masker();
		size_t outlen;
		char *out;

		memset(last, 0, sizeof(*last));
		out = filter_cuts(m, 1, last, text, len, &cut, 1, &outlen);
		if (strcmp(out, want) != 0) {
			print_error("cut at %zu: '%s'\n", cut, out);
			fail();
		}
		assert_int_equal(last->n, n);
		free(out);
		svc_masker_free(m);
	}
}

static void test_setsecret(void **state)
{
	static const char text[] = "##vso[task.setsecret]hunter2-xyz\n"
				   "the value is hunter2-xyz\n"
				   "##vso[task.setsecret]a%3Bb%AZP25c%5Dd%0Ae\n"
				   "escaped: a;b%c]d\n";
	struct seen seen;

	(void)state;
	expect_all_cuts(text, "the value is ***\nescaped: ***\n", 2, &seen);
	assert_int_equal(seen.kind, SVC_MASK_EVENT_SETSECRET);
	assert_string_equal(seen.value, "a;b%c]d\ne");
}

/*
 * The prefix and the command's name in any case ("##VSO[", "TASK.SETSECRET"):
 * a value meant as a secret is masked however it was written.
 */
static void test_setsecret_any_case(void **state)
{
	static const char text[] = "##VSO[TASK.SETSECRET]hunter3-xyz\n"
				   "val hunter3-xyz\n"
				   "x ##vSo[task.SetSecret]abc-4567\n"
				   "abc-4567 #vso[ ##vs ##\n";
	struct seen seen;
	logcmd c;

	(void)state;
	expect_all_cuts(text, "val ***\n*** #vso[ ##vs ##\n", 2, &seen);
	logcmd_init(&c);
	assert_int_equal(logcmd_parse(&c, "## ##Vso[a.b]d", 14), 0);
	assert_true(logcmd_is(&c, "A", "B"));
	assert_int_equal(logcmd_parse(&c, "##vs", 4), SVC_ENOTFOUND);
	assert_int_equal(logcmd_parse(&c, "###VSO", 6), SVC_ENOTFOUND);
	logcmd_clear(&c);
}

/*
 * A task that registers many secrets in a run of command lines (a vault
 * task does) gets one new database after the run, not one per secret,
 * however the run is cut into writes; every secret is masked in the
 * output that follows, and in a line between two runs.
 */
static void test_setsecret_run(void **state)
{
	enum { NSEC = 40, PIECE = 97 };
	svc_buf text;
	size_t cuts[4096], ncuts = 0, outlen, i;
	svc_masker *m = new_masker();
	struct seen seen;
	char *out;
	uint64_t before;

	(void)state;
	buf_init(&text, (size_t)1 << 20, 0);
	for (i = 0; i < NSEC; i++)
		buf_printf(&text, "##vso[task.setsecret]run-secret-%03zu-%s\n", i,
			   "0123456789abcdefghijklmnopqrstuvwxyz");
	buf_puts(&text, "after the run:");
	for (i = 0; i < NSEC; i++)
		buf_printf(&text, " run-secret-%03zu-%s", i,
			   "0123456789abcdefghijklmnopqrstuvwxyz");
	buf_puts(&text, "\n##vso[task.setsecret]second-run-secret-1\n"
		 "between: run-secret-007-0123456789abcdefghijklmnopqrstuvwxyz\n"
		 "##vso[task.setsecret]second-run-secret-2\n"
		 "end: second-run-secret-1 second-run-secret-2\n");
	for (i = PIECE; i < text.len && ncuts < 4096; i += PIECE)
		cuts[ncuts++] = i;
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(svc_masker_compile(m), 0);
	before = mask_build_count(m);
	out = filter_cuts(m, 1, &seen, text.ptr, text.len, cuts, ncuts, &outlen);
	assert_null(strstr(out, "secret"));
	buf_reset(&text);
	buf_puts(&text, "after the run:");
	for (i = 0; i < NSEC; i++)
		buf_puts(&text, " ***");
	buf_puts(&text, "\nbetween: ***\nend: *** ***\n");
	assert_string_equal(out, text.ptr);
	/* the first run: one build; then one per secret of the second run,
	 * each followed by a line to write */
	assert_true(mask_build_count(m) - before <= 4);
	assert_int_equal(seen.n, NSEC + 2);
	free(out);
	buf_clear(&text);
	svc_masker_free(m);
}


static void test_setsecret_midline_and_last_line(void **state)
{
	svc_masker *m = new_masker();
	struct seen seen;
	char *out;

	(void)state;
	memset(&seen, 0, sizeof(seen));
	out = filter(m, 1, &seen, "prefix ##vso[task.setsecret]mid-secret-1\n"
		     "mid-secret-1\n##vso[task.setsecret]tail-secret");
	assert_string_equal(out, "***\n");
	assert_int_equal(seen.n, 2);
	free(out);
	out = filter(m, 1, NULL, "tail-secret\n");
	assert_string_equal(out, "***\n");
	free(out);
	/* a too-short secret is reported, not masked */
	memset(&seen, 0, sizeof(seen));
	out = filter(m, 1, &seen, "##vso[task.setsecret]ab\nab\n");
	assert_string_equal(out, "ab\n");
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.too_short, 1);
	assert_int_equal(svc_masker_take_too_short(m), 1);
	free(out);
	svc_masker_free(m);
}

static void test_setvariable(void **state)
{
	svc_masker *m = new_masker();
	struct seen seen;
	char *out;

	(void)state;
	memset(&seen, 0, sizeof(seen));
	out = filter(m, 1, &seen,
		     "##vso[task.setvariable variable=TOKEN;issecret=true;"
		     "isoutput=true]tok-value-1\n"
		     "echo tok-value-1\n"
		     "##vso[task.setvariable variable=PLAIN]not-secret\n");
	assert_string_equal(out, "echo ***\n"
				 "##vso[task.setvariable variable=PLAIN]not-secret\n");
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.kind, SVC_MASK_EVENT_SETVARIABLE);
	assert_string_equal(seen.name, "TOKEN");
	assert_string_equal(seen.value, "tok-value-1");
	assert_int_equal(seen.is_output, 1);
	assert_int_equal(seen.is_readonly, 0);
	free(out);

	/* a multi-line secret value is refused, but masked */
	memset(&seen, 0, sizeof(seen));
	out = filter(m, 1, &seen,
		     "##vso[task.setvariable variable=ML; issecret=True]"
		     "line-1111%0Aline-2222\nline-2222\n");
	assert_int_equal(seen.n, 0);
	assert_non_null(strstr(out, "##[warning]"));
	assert_non_null(strstr(out, "multi-line"));
	assert_null(strstr(out, "line-1111"));
	assert_null(strstr(out, "line-2222"));
	free(out);

	/* no variable name */
	out = filter(m, 1, &seen,
		     "##vso[task.setvariable issecret=true]orphan-value\n"
		     "orphan-value\n");
	assert_int_equal(seen.n, 0);
	assert_non_null(strstr(out, "missing 'variable'"));
	assert_null(strstr(out, "orphan-value"));
	free(out);

	/* the caller refuses: a warning, itself masked */
	seen.refuse = 1;
	seen.refusal = "variable 'X' with value refused-val-9 not allowed";
	out = filter(m, 1, &seen,
		     "##vso[task.setvariable variable=X;issecret=true]"
		     "refused-val-9\n");
	assert_int_equal(seen.n, 1);
	assert_non_null(strstr(out, "refused"));
	assert_null(strstr(out, "refused-val-9"));
	free(out);
	svc_masker_free(m);
}

static void test_setendpoint(void **state)
{
	static const char id[] = "3f2c6b1e-8a7d-4c5b-9e0f-1a2b3c4d5e6f";
	svc_masker *m = new_masker();
	struct seen seen;
	char text[512], *out;

	(void)state;
	memset(&seen, 0, sizeof(seen));
	seen.add_to = m;
	snprintf(text, sizeof(text),
		 "##vso[task.setendpoint id=%s;field=authParameter;key=password]"
		 "ep-pass-123\nuse ep-pass-123\n", id);
	out = filter(m, 1, &seen, text);
	assert_string_equal(out, "use ***\n");
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.kind, SVC_MASK_EVENT_SETENDPOINT);
	assert_int_equal(seen.field, SVC_MASK_FIELD_AUTH);
	assert_string_equal(seen.id, id);
	assert_string_equal(seen.name, "password");
	assert_string_equal(seen.value, "ep-pass-123");
	free(out);

	snprintf(text, sizeof(text),
		 "##vso[task.setendpoint id=%s;field=url]https://new.example.test/api\n"
		 "##vso[task.setendpoint id=%s;field=dataParameter;key=privateKey]"
		 "data-secret-456\ndata-secret-456\n", id, id);
	out = filter(m, 1, &seen, text);
	assert_int_equal(seen.n, 3);
	assert_int_equal(seen.field, SVC_MASK_FIELD_DATA);
	assert_string_equal(seen.name, "privateKey");
	/* masked because the callback registered it (a secret data field) */
	assert_string_equal(out, "***\n");
	free(out);

	memset(&seen, 0, sizeof(seen));
	snprintf(text, sizeof(text),
		 "##vso[task.setendpoint id=%s;field=url]relative/path\n"
		 "##vso[task.setendpoint id=%s;field=authParameter]no-key-secret\n"
		 "##vso[task.setendpoint id=not-a-guid;field=url]https://x.test\n"
		 "##vso[task.setendpoint id=%s;field=other;key=k]v\n"
		 "##vso[task.setendpoint field=url]https://x.test\n"
		 "no-key-secret\n", id, id, id);
	out = filter(m, 1, &seen, text);
	assert_int_equal(seen.n, 0);
	assert_non_null(strstr(out, "'url' is not an absolute URL"));
	assert_non_null(strstr(out, "missing 'key'"));
	assert_non_null(strstr(out, "'id' is not a connection id"));
	assert_non_null(strstr(out, "unknown field 'other'"));
	assert_non_null(strstr(out, "missing 'id'"));
	/* an authParameter value is masked even when refused */
	assert_null(strstr(out, "no-key-secret"));
	assert_non_null(strstr(out, "\n***\n"));
	free(out);

	seen.refuse = 1;
	seen.refusal = "connection is not used by this job";
	snprintf(text, sizeof(text),
		 "##vso[task.setendpoint id=%s;field=authParameter;key=token]"
		 "other-job-secret\nother-job-secret\n", id);
	out = filter(m, 1, &seen, text);
	assert_int_equal(seen.n, 1);
	assert_non_null(strstr(out, "refused: connection is not used"));
	assert_null(strstr(out, "other-job-secret"));
	free(out);
	svc_masker_free(m);
}

static void test_malformed(void **state)
{
	svc_masker *m = new_masker();
	struct seen seen;
	char *out;

	(void)state;
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(svc_masker_add(m, "known-secret", 12), 0);
	out = filter(m, 1, &seen,
		     "##vso[task.setsecret never-closed-secret\n"
		     "##vso[nodot]value\n"
		     "##vso[a.b.c]value\n"
		     "##vso[task.logissue type=warning]known-secret leaked\n"
		     "after\n");
	assert_int_equal(seen.n, 1); /* the issue, reported and written */
	assert_null(strstr(out, "never-closed-secret"));
	assert_non_null(strstr(out, "no ']' after '##vso['"));
	assert_non_null(strstr(out, "not 'area.event'"));
	/* other commands are the agent's: through, masked */
	assert_non_null(strstr(out, "##vso[task.logissue type=warning]*** leaked\n"));
	assert_non_null(strstr(out, "\nafter\n"));
	free(out);
	svc_masker_free(m);
}

static void test_logcmd_parse(void **state)
{
	logcmd c;
	const char *v, *line;
	size_t len;

	(void)state;
	logcmd_init(&c);
	assert_int_equal(logcmd_parse(&c, "no command", 10), SVC_ENOTFOUND);
	line = "x ##vso[Task..SetVariable  variable=a; IsSecret =true;"
	       "variable=b;empty=;=v;eq=x=y%3Bz]da%0D%0Ata%AZP25\r";
	assert_int_equal(logcmd_parse(&c, line, strlen(line)), 0);
	assert_true(logcmd_is(&c, "task", "setvariable"));
	v = logcmd_prop_get(&c, "VARIABLE", &len);
	assert_string_equal(v, "b");
	assert_string_equal(logcmd_prop_get(&c, "issecret", NULL), "true");
	assert_null(logcmd_prop_get(&c, "empty", NULL));
	assert_string_equal(logcmd_prop_get(&c, "eq", NULL), "x=y;z");
	v = logcmd_data(&c, &len);
	assert_int_equal(len, 7);
	assert_memory_equal(v, "da\r\nta%", 7);
	logcmd_clear(&c);
}

/*
 * Every other command is reported with its lower-case name and its
 * properties, in any case; its line passes through unless the callback
 * handled it (task.complete and task.logissue too).
 */
static void test_other_commands(void **state)
{
	svc_masker *m = new_masker();
	struct seen seen;
	char *out;

	(void)state;
	memset(&seen, 0, sizeof(seen));
	seen.prop_key = "NAME";
	out = filter(m, 1, &seen,
		     "a\n##VSO[TASK.AddAttachment TYPE=t1; Name = n%3B1]/p/f%0A\nb\n");
	assert_string_equal(out, "a\n##VSO[TASK.AddAttachment TYPE=t1; Name = n%3B1]/p/f%0A\nb\n");
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.kind, SVC_MASK_EVENT_COMMAND);
	assert_string_equal(seen.name, "task.addattachment");
	assert_string_equal(seen.value, "/p/f\n");
	assert_true(seen.has_prop);
	assert_string_equal(seen.prop, " n;1"); /* values as written */
	free(out);

	/* handled: the line is not written; the rest is */
	memset(&seen, 0, sizeof(seen));
	seen.handle = 1;
	seen.prop_key = "result";
	out = filter(m, 1, &seen,
		     "##vso[Build.UpdateBuildNumber]1.2\nx\n"
		     "##vso[task.complete result=SucceededWithIssues]done\n"
		     "##vso[task.issue type=warning]w\n##vso[telemetry.publish]{}\n");
	assert_string_equal(out, "x\n");
	assert_int_equal(seen.n, 4);
	assert_int_equal(seen.kind, SVC_MASK_EVENT_COMMAND);
	assert_string_equal(seen.name, "telemetry.publish");
	assert_false(seen.has_prop);
	free(out);

	/* task.complete without a result is reported with an empty name */
	memset(&seen, 0, sizeof(seen));
	out = filter(m, 1, &seen, "##vso[task.complete]x\n");
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.kind, SVC_MASK_EVENT_COMPLETE);
	assert_string_equal(seen.name, "");
	assert_string_equal(out, "##vso[task.complete]x\n");
	free(out);
	assert_null(svc_mask_event_prop(NULL, "x", NULL));

	/* the agent's commands, written in any case, by their lower-case name */
	{
		static const char *const names[] = { "TASK.PREPENDPATH",
			"Task.Debug", "task.UPLOADFILE", "Task.UploadSummary",
			"BUILD.uploadlog", "build.AddBuildTag",
			"Build.UpdateBuildNumber", "build.UploadSummary",
			"Telemetry.Publish", "TASK.SetProgress", "task.SETTASKVARIABLE",
			"ARTIFACT.Upload", "release.UpdateReleaseName" };
		char line[128], lower[64];
		size_t i, j;

		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			snprintf(line, sizeof(line), "##vso[%s k=v]d\n", names[i]);
			for (j = 0; names[i][j]; j++)
				lower[j] = (char)(names[i][j] >= 'A' && names[i][j] <= 'Z'
						  ? names[i][j] - 'A' + 'a' : names[i][j]);
			lower[j] = '\0';
			memset(&seen, 0, sizeof(seen));
			seen.handle = 1;
			seen.prop_key = "K";
			out = filter(m, 1, &seen, line);
			assert_string_equal(out, "");
			assert_int_equal(seen.kind, SVC_MASK_EVENT_COMMAND);
			assert_string_equal(seen.name, lower);
			assert_string_equal(seen.prop, "v");
			free(out);
		}
	}
	svc_masker_free(m);
}

/* Commands only on the stream that reads them; one set for both. */
static void test_stdout_stderr(void **state)
{
	svc_masker *m = new_masker();
	svc_buf out, err;
	svc_mask_stream *so, *se;

	(void)state;
	buf_init(&out, 0, 0);
	buf_init(&err, 0, 0);
	/* a long secret: a partial line is held back, not written */
	assert_int_equal(svc_masker_add(m, "a-rather-long-secret-to-hold-bytes",
					34), 0);
	so = new_stream(m, 1, &out, NULL);
	se = new_stream(m, 0, &err, NULL);
	assert_int_equal(svc_mask_stream_write(se, "##vso[task.setsecret]not-on-stderr\n",
					       35), 0);
	assert_int_equal(svc_mask_stream_write(se, "err: shared-secret", 18), 0);
	assert_int_equal(svc_mask_stream_write(so, "##vso[task.setsecret]shared-secret\n"
					       "out: shared-secret\n", 54), 0);
	assert_int_equal(svc_mask_stream_write(se, " and not-on-stderr\n", 19), 0);
	assert_int_equal(svc_mask_stream_finish(so), 0);
	assert_int_equal(svc_mask_stream_finish(se), 0);
	assert_int_equal(buf_putc(&out, '\0'), 0);
	assert_int_equal(buf_putc(&err, '\0'), 0);
	assert_string_equal(out.ptr, "out: ***\n");
	assert_string_equal(err.ptr, "##vso[task.setsecret]not-on-stderr\n"
				     "err: *** and not-on-stderr\n");
	svc_mask_stream_free(so);
	svc_mask_stream_free(se);
	buf_clear(&out);
	buf_clear(&err);
	svc_masker_free(m);
}

/* Output written through a stream, counted and searched as it comes. */
struct counter {
	size_t bytes;           /**< bytes received */
	size_t found;           /**< times the secret was seen whole */
	char tail[64];          /**< last bytes, to see across writes */
	size_t tlen;            /**< bytes in tail */
};

static int count_write(void *ctx, const char *data, size_t len)
{
	struct counter *c = ctx;
	char both[128 + 64];
	size_t n = len < 128 ? len : 128;

	c->bytes += len;
	if (tu_memmem(data, len, "HUGE-line-secret", 16))
		c->found++;
	memcpy(both, c->tail, c->tlen);
	memcpy(both + c->tlen, data, n);
	if (tu_memmem(both, c->tlen + n, "HUGE-line-secret", 16))
		c->found++;
	n = len < sizeof(c->tail) ? len : sizeof(c->tail);
	memcpy(c->tail, data + len - n, n);
	c->tlen = n;
	return 0;
}

static void test_huge_line_bounded(void **state)
{
	enum { WRITES = 64, PIECE = 1024 * 1024 };
	svc_masker *m = new_masker();
	svc_mask_stream_options o;
	svc_mask_stream *s = NULL;
	struct counter c;
	struct seen seen;
	char *piece;
	size_t i, most = 0;

	(void)state;
	memset(&c, 0, sizeof(c));
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(svc_masker_add(m, "HUGE-line-secret", 16), 0);
	memset(&o, 0, sizeof(o));
	o.version = SVC_MASK_STREAM_OPTIONS_VERSION;
	o.commands = 1;
	o.write = count_write;
	o.write_ctx = &c;
	o.event = on_event;
	o.event_ctx = &seen;
	assert_int_equal(svc_mask_stream_new(&s, m, &o), 0);
	piece = malloc(PIECE);
	assert_non_null(piece);
	memset(piece, 'x', PIECE);
	/* the secret at a different place in each piece, across pieces too */
	for (i = 0; i < WRITES; i++) {
		size_t at = (i * 7919) % (PIECE - 16);

		memset(piece, 'x', PIECE);
		if (i == 0)
			memcpy(piece, "##vso[task.setsecret]never-parsed-value", 39);
		memcpy(piece + at, "HUGE-line-secret", 16);
		if (i % 2)
			memcpy(piece + PIECE - 8, "HUGE-lin", 8);
		else if (i)
			memcpy(piece, "e-secret", 8);
		assert_int_equal(svc_mask_stream_write(s, piece, PIECE), 0);
		if (mask_stream_memory(s) > most)
			most = mask_stream_memory(s);
	}
	assert_int_equal(svc_mask_stream_write(s, "\nend\n", 5), 0);
	assert_int_equal(svc_mask_stream_finish(s), 0);
	assert_true(most < 4 * 1024 * 1024);
	assert_int_equal(c.found, 0);
	assert_int_equal(seen.n, 0);    /* too long to be a command */
	assert_true(c.bytes > (size_t)(WRITES - 1) * PIECE);
	free(piece);
	svc_mask_stream_free(s);
	svc_masker_free(m);
}

/* Streams on two threads while a third adds secrets. */
struct worker {
	svc_masker *m;          /**< shared */
	int commands;           /**< which kind of stream */
	size_t failures;        /**< writes that failed */
};

static int worker_write(void *ctx, const char *data, size_t len)
{
	(void)ctx;
	(void)data;
	(void)len;
	return 0;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	svc_mask_stream_options o;
	svc_mask_stream *s = NULL;
	int i;

	memset(&o, 0, sizeof(o));
	o.version = SVC_MASK_STREAM_OPTIONS_VERSION;
	o.commands = w->commands;
	o.write = worker_write;
	if (svc_mask_stream_new(&s, w->m, &o))
		return NULL;
	for (i = 0; i < 2000; i++) {
		char line[128];
		int n = snprintf(line, sizeof(line),
				 "line %d thread-secret-%d text\n", i, i % 50);

		if (svc_mask_stream_write(s, line, (size_t)n))
			w->failures++;
	}
	svc_mask_stream_finish(s);
	svc_mask_stream_free(s);
	return NULL;
}

static void test_threads(void **state)
{
	svc_masker *m = new_masker();
	struct worker w[2];
	pthread_t t[2];
	int i;

	(void)state;
	for (i = 0; i < 2; i++) {
		w[i].m = m;
		w[i].commands = i;
		w[i].failures = 0;
		assert_int_equal(pthread_create(&t[i], NULL, worker_main, &w[i]),
				 0);
	}
	for (i = 0; i < 50; i++) {
		char secret[64];
		int n = snprintf(secret, sizeof(secret), "thread-secret-%d", i);

		assert_int_equal(svc_masker_add(m, secret, (size_t)n), 0);
	}
	for (i = 0; i < 2; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(w[i].failures, 0);
	}
	svc_masker_free(m);
}

static void test_bad_arguments(void **state)
{
	svc_masker *m = new_masker();
	svc_mask_stream_options o;
	svc_mask_stream *s = NULL;
	char big[16];

	(void)state;
	memset(&o, 0, sizeof(o));
	assert_int_equal(svc_mask_stream_new(&s, m, &o), SVC_EINVALID);
	o.write = sink_write;
	assert_int_equal(svc_mask_stream_new(&s, m, &o), SVC_EINVALID);
	assert_int_equal(svc_masker_add(NULL, "abcd", 4), SVC_EINVALID);
	assert_int_equal(svc_masker_add(m, NULL, 4), SVC_EINVALID);
	assert_int_equal(svc_masker_add(m, big, (size_t)SVC_SECRET_MAX + 1),
			 SVC_EINVALID);
	svc_masker_free(NULL);
	svc_mask_stream_free(NULL);
	svc_masker_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_encodings),
		cmocka_unit_test(test_credentials_in_urls_and_xml),
		cmocka_unit_test(test_pem_armor_not_masked),
		cmocka_unit_test(test_forms_split_everywhere),
		cmocka_unit_test(test_forms_byte_by_byte),
		cmocka_unit_test(test_long_secret),
		cmocka_unit_test(test_base64_inside_base64),
		cmocka_unit_test(test_basic_auth),
		cmocka_unit_test(test_too_short),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_multiline),
		cmocka_unit_test(test_overlaps),
		cmocka_unit_test(test_untouched),
		cmocka_unit_test(test_many_secrets),
		cmocka_unit_test(test_random_against_reference),
		cmocka_unit_test(test_random_commands_against_reference),
		cmocka_unit_test(test_added_while_held),
		cmocka_unit_test(test_mask_once),
		cmocka_unit_test(test_database_wipe),
		cmocka_unit_test(test_setsecret),
		cmocka_unit_test(test_setsecret_any_case),
		cmocka_unit_test(test_setsecret_run),
		cmocka_unit_test(test_setsecret_midline_and_last_line),
		cmocka_unit_test(test_setvariable),
		cmocka_unit_test(test_setendpoint),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_logcmd_parse),
		cmocka_unit_test(test_other_commands),
		cmocka_unit_test(test_stdout_stderr),
		cmocka_unit_test(test_huge_line_bounded),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_bad_arguments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
