/*
 * test_vars.c - the step variables of a job (secret variables and
 * task.setendpoint changes) and their encoding for the job's broker: the
 * empty state, awkward values (line breaks, the logging commands' and the
 * encoding's own separators, non-ASCII, empty), thousands of entries, a
 * hand-written text pinning the format, malformed texts refused whole, the
 * 1 MiB bound, and public variables (task.setvariable without issecret:
 * read from a step's output, passed on under their own names, never over
 * what the step has already, never under the agent contract's names).  Round trips are checked on what the later steps get
 * (svc_step_vars_apply), not only on the text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <svcconn/svcconn.h>
#include <svcconn/run.h>

#include "testutil.h"
#include "util/buf.h"

/* Awkward values: separators of the encoding (' ', ':'), of the broker's
 * protocol ('=', LF, CR), of logging commands (';', ']', '%'), non-ASCII,
 * a tab, a control byte, and the empty value. */
static const char *const awkward[] = {
	"tok: a;b]c%d=e f",
	"first-line-aaa\nsecond-line-bbb\r\n",
	"\xf0\x9f\x94\x91key\ttab\001ctl",
	"svcvars1 v:61:62 e:",
	"",
};
#define NAWKWARD (sizeof(awkward) / sizeof(awkward[0]))

/* The encoded text of v (a C string; the test frees it). */
static char *encode(const svc_step_vars *v, size_t *len)
{
	char *text = NULL;

	assert_int_equal(svc_step_vars_encode(&text, len, v), 0);
	assert_non_null(text);
	assert_int_equal(strlen(text), *len);
	/* one line the broker's protocol carries as it is */
	assert_null(memchr(text, '\n', *len));
	assert_null(memchr(text, '\r', *len));
	return text;
}

/* v decoded from its own encoding encodes to the same text. */
static svc_step_vars *round_trip(const svc_step_vars *v)
{
	svc_step_vars *back = NULL;
	size_t len, len2;
	char *text = encode(v, &len), *text2;

	assert_int_equal(svc_step_vars_decode(&back, text, len), 0);
	assert_non_null(back);
	text2 = encode(back, &len2);
	assert_int_equal(len, len2);
	assert_memory_equal(text, text2, len);
	svc_secret_free(text, len);
	svc_secret_free(text2, len2);
	return back;
}

/*
 * What a later step gets from v: an environment that has the connection
 * "conn-1" (its URL and a password), with v applied.
 */
static svc_env *applied(const svc_step_vars *v)
{
	svc_masker *m = NULL;
	svc_env *env = NULL;

	assert_int_equal(svc_masker_new(&m, NULL), 0);
	assert_int_equal(svc_env_new(&env), 0);
	assert_int_equal(svc_env_set(env, "ENDPOINT_URL_conn-1", "https://a.example.test/"), 0);
	assert_int_equal(svc_env_set(env, "ENDPOINT_AUTH_PARAMETER_conn-1_PASSWORD", "old"), 0);
	assert_int_equal(svc_step_vars_apply(v, env, m), 0);
	svc_masker_free(m);
	return env;
}

static void assert_env(const svc_env *env, const char *name, const char *want)
{
	const char *got = svc_env_get(env, name);

	if (!want) {
		assert_null(got);
		return;
	}
	assert_non_null(got);
	assert_string_equal(got, want);
}

static void test_empty(void **state)
{
	svc_step_vars *v = NULL, *back;
	svc_env *env;
	size_t len;
	char *text;

	(void)state;
	assert_int_equal(svc_step_vars_new(&v), 0);
	text = encode(v, &len);
	assert_string_equal(text, "svcvars1");
	svc_secret_free(text, len);
	back = round_trip(v);
	env = applied(back);
	assert_env(env, "VSTS_SECRET_VARIABLES", NULL);
	assert_env(env, "ENDPOINT_URL_conn-1", "https://a.example.test/");
	svc_env_free(env);
	svc_step_vars_free(back);
	/* nothing saved yet: the broker answers "" */
	back = NULL;
	assert_int_equal(svc_step_vars_decode(&back, "", 0), 0);
	assert_non_null(back);
	text = encode(back, &len);
	assert_string_equal(text, "svcvars1");
	svc_secret_free(text, len);
	svc_step_vars_free(back);
	svc_step_vars_free(v);
	svc_step_vars_free(NULL);
}

static void test_awkward_values(void **state)
{
	svc_step_vars *v = NULL, *back;
	char name[32], var[64];
	svc_env *env;
	size_t i;

	(void)state;
	assert_int_equal(svc_step_vars_new(&v), 0);
	for (i = 0; i < NAWKWARD; i++) {
		snprintf(name, sizeof(name), "var.%zu", i);
		assert_int_equal(svc_step_vars_set(v, name, awkward[i],
						   strlen(awkward[i])), 0);
	}
	/* set again, in another case: replaced, not added */
	assert_int_equal(svc_step_vars_set(v, "VAR.0", "replaced", 8), 0);
	assert_int_equal(svc_step_vars_endpoint(v, "conn-1", SVC_MASK_FIELD_AUTH,
						"password", awkward[1],
						strlen(awkward[1])), 0);
	assert_int_equal(svc_step_vars_endpoint(v, "conn-1", SVC_MASK_FIELD_DATA,
						"the key", awkward[0],
						strlen(awkward[0])), 0);
	assert_int_equal(svc_step_vars_endpoint(v, "conn-1", SVC_MASK_FIELD_URL,
						NULL, "https://b.example.test/",
						23), 0);
	/* a connection the step does not have changes nothing of it */
	assert_int_equal(svc_step_vars_endpoint(v, "conn-2", SVC_MASK_FIELD_URL,
						NULL, "https://c.example.test/",
						23), 0);
	back = round_trip(v);
	env = applied(back);
	assert_env(env, "SECRET_VAR_0", "replaced");
	for (i = 1; i < NAWKWARD; i++) {
		snprintf(var, sizeof(var), "SECRET_VAR_%zu", i);
		assert_env(env, var, awkward[i]);
	}
	assert_env(env, "VSTS_SECRET_VARIABLES",
		   "[\"var.0\",\"var.1\",\"var.2\",\"var.3\",\"var.4\"]");
	assert_env(env, "ENDPOINT_AUTH_PARAMETER_conn-1_PASSWORD", awkward[1]);
	assert_env(env, "ENDPOINT_DATA_conn-1_THE_KEY", awkward[0]);
	assert_env(env, "ENDPOINT_URL_conn-1", "https://b.example.test/");
	assert_env(env, "ENDPOINT_URL_conn-2", NULL);
	svc_env_free(env);
	svc_step_vars_free(back);
	svc_step_vars_free(v);
}

static void test_many(void **state)
{
	svc_step_vars *v = NULL, *back;
	char name[32], value[64], var[64];
	svc_env *env;
	size_t i;

	(void)state;
	assert_int_equal(svc_step_vars_new(&v), 0);
	for (i = 0; i < 3000; i++) {
		snprintf(name, sizeof(name), "v%zu", i);
		snprintf(value, sizeof(value), "value %zu;\nline two %zu", i, i);
		assert_int_equal(svc_step_vars_set(v, name, value, strlen(value)), 0);
	}
	for (i = 0; i < 500; i++) {
		snprintf(value, sizeof(value), "pw-%zu", i);
		assert_int_equal(svc_step_vars_endpoint(v, "conn-1",
							SVC_MASK_FIELD_AUTH,
							"password", value,
							strlen(value)), 0);
	}
	back = round_trip(v);
	env = applied(back);
	for (i = 0; i < 3000; i += 499) {
		snprintf(var, sizeof(var), "SECRET_V%zu", i);
		snprintf(value, sizeof(value), "value %zu;\nline two %zu", i, i);
		assert_env(env, var, value);
	}
	/* the changes apply in order: the last one wins */
	assert_env(env, "ENDPOINT_AUTH_PARAMETER_conn-1_PASSWORD", "pw-499");
	svc_env_free(env);
	svc_step_vars_free(back);
	svc_step_vars_free(v);
}

/* A text written by hand: the format is what run.h says. */
static void test_known_text(void **state)
{
	/* name "tok" = "a b", then conn-1's auth "password" = "x\ny", then
	 * its url, both hex; upper-case hex is read too */
	static const char text[] =
		"svcvars1 v:746f6b:612062 "
		"e:636f6e6e2d31:a:70617373776f7264:780A79 "
		"e:636f6e6e2d31:u::68747470733a2f2f782f";
	svc_step_vars *v = NULL;
	svc_env *env;
	size_t len;
	char *again;

	(void)state;
	assert_int_equal(svc_step_vars_decode(&v, text, strlen(text)), 0);
	env = applied(v);
	assert_env(env, "SECRET_TOK", "a b");
	assert_env(env, "VSTS_SECRET_VARIABLES", "[\"tok\"]");
	assert_env(env, "ENDPOINT_AUTH_PARAMETER_conn-1_PASSWORD", "x\ny");
	assert_env(env, "ENDPOINT_URL_conn-1", "https://x/");
	svc_env_free(env);
	again = encode(v, &len);
	assert_string_equal(again,
			    "svcvars1 v:746f6b:612062 "
			    "e:636f6e6e2d31:a:70617373776f7264:780a79 "
			    "e:636f6e6e2d31:u::68747470733a2f2f782f");
	svc_secret_free(again, len);
	svc_step_vars_free(v);
}

static void test_malformed(void **state)
{
	static const char *const bad[] = {
		"svcvars2",                       /* another version */
		"svcvars",
		"x",
		" svcvars1",
		"svcvars1 ",                      /* an empty record */
		"svcvars1  v:61:62",
		"svcvars1\nv:61:62",
		"svcvars1 v:61",                  /* too few fields */
		"svcvars1 v:61:62:63",            /* too many */
		"svcvars1 v::62",                 /* no name */
		"svcvars1 v:6:62",                /* odd hex */
		"svcvars1 v:61:6",
		"svcvars1 v:zz:62",               /* not hex */
		"svcvars1 v:61:6g",
		"svcvars1 v:61:-62",
		"svcvars1 v:61:6200",             /* a NUL in the value */
		"svcvars1 v:6100:62",             /* a NUL in the name */
		"svcvars1 y:61:62",               /* an unknown record */
		"svcvars1 vv:61:62",
		"svcvars1 :61:62",
		"svcvars1 e:6964:a::7077",        /* authParameter without key */
		"svcvars1 e:6964:d::7077",
		"svcvars1 e:6964:u:6b:7077",      /* url with a key */
		"svcvars1 e:6964:z:6b:7077",      /* unknown field */
		"svcvars1 e:6964:aa:6b:7077",
		"svcvars1 e::a:6b:7077",          /* no id */
		"svcvars1 e:6964:a:6b",           /* too few fields */
		"svcvars1 e:6964:a:6b:70:77",     /* too many */
		"svcvars1 e:6964:a:6b:7000",      /* a NUL in the value */
		"svcvars1 v:61:62 v:61",          /* a bad record after good ones */
		"svcvars1 p:61",                  /* public: too few fields */
		"svcvars1 p:61:62:63",
		"svcvars1 p::62",
		"svcvars1 pv:61:62",
		"svcvars1 p:61:6200",
		"svcvars1 p:656e64706f696e745f75726c5f78:62", /* endpoint_url_x */
		"svcvars1 p:696e7075742e61:62",   /* input.a */
		"svcvars1 p:7365637265745f61:62", /* secret_a */
		"svcvars1 p:767374735f61:62",     /* vsts_a */
		"svcvars1 s:",                    /* setsecret: an empty value */
		"svcvars1 s:61:62",               /* too many fields */
		"svcvars1 s:6100",                /* a NUL */
	};
	svc_step_vars *v = (svc_step_vars *)&v; /* must stay untouched */
	char name[1500], *big;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (svc_step_vars_decode(&v, bad[i], strlen(bad[i])) != SVC_EINVALID)
			fail_msg("accepted: '%s'", bad[i]);
		assert_ptr_equal(v, (svc_step_vars *)&v);
		assert_non_null(strstr(svc_error_last(), "malformed"));
	}
	/* a NUL inside the text */
	assert_int_equal(svc_step_vars_decode(&v, "svcvars1\0 v:61:62", 17),
			 SVC_EINVALID);
	/* a name too long for the environment */
	memcpy(name, "svcvars1 v:", 11);
	for (i = 0; i < 700; i++)
		memcpy(name + 11 + 2 * i, "61", 2);
	memcpy(name + 11 + 1400, ":62", 4);
	assert_int_equal(svc_step_vars_decode(&v, name, strlen(name)), SVC_EINVALID);
	assert_ptr_equal(v, (svc_step_vars *)&v);
	/* over the bound, whatever it holds */
	big = malloc(SVC_STEP_VARS_MAX + 2);
	assert_non_null(big);
	memset(big, 'a', SVC_STEP_VARS_MAX + 1);
	memcpy(big, "svcvars1 v:61:", 14);
	big[SVC_STEP_VARS_MAX + 1] = '\0';
	assert_int_equal(svc_step_vars_decode(&v, big, SVC_STEP_VARS_MAX + 1),
			 SVC_EINVALID);
	assert_non_null(strstr(svc_error_last(), "1 MiB"));
	assert_ptr_equal(v, (svc_step_vars *)&v);
	free(big);
}

/* Public variables: names, precedence, secrecy kept, the encoding. */
static void test_public(void **state)
{
	static const char text[] = "svcvars1 p:646f636b65722e636f6e666967:2f612062 "
		"v:746f6b:78 s:6d61736b2d6d652d35353131";
	svc_step_vars *v = NULL, *back;
	svc_env *env;
	size_t len;
	char *again;

	(void)state;
	assert_int_equal(svc_step_vars_new(&v), 0);
	assert_int_equal(svc_step_vars_set_public(v, "Docker.Config", "/tmp/d c", 8), 0);
	assert_int_equal(svc_step_vars_set_public(v, "my var", awkward[1],
						  strlen(awkward[1])), 0);
	/* what the step has already wins */
	assert_int_equal(svc_step_vars_set_public(v, "Java.Home", "x", 1), 0);
	assert_int_equal(svc_step_vars_set_public(v, "kubeconfig", "/k", 2), 0);
	/* a secret variable set again without issecret stays secret, and
	 * the caller is told so (to mask the value at once) */
	assert_int_equal(svc_step_vars_set(v, "tok", "s3cret-1", 8), 0);
	assert_int_equal(svc_step_vars_set_public(v, "TOK", "s3cret-2", 8),
			 SVC_STEP_VARS_SECRET);
	/* task.setsecret values: masked in later steps, kept once */
	assert_int_equal(svc_step_vars_add_secret(v, "mask-me-5511", 12), 0);
	assert_int_equal(svc_step_vars_add_secret(v, "mask-me-5511", 12), 0);
	assert_int_equal(svc_step_vars_add_secret(v, "", 0), 0);
	assert_int_equal(svc_step_vars_add_secret(v, "a\0b", 3), SVC_EINVALID);
	/* a public one set again as secret becomes secret */
	assert_int_equal(svc_step_vars_set_public(v, "later", "l-value", 7), 0);
	assert_int_equal(svc_step_vars_set(v, "later", "l-secret", 8), 0);
	/* the agent contract's names are refused */
	assert_int_equal(svc_step_vars_set_public(v, "endpoint.url.conn-1", "x", 1),
			 SVC_EINVALID);
	assert_int_equal(svc_step_vars_set_public(v, "Input.X", "x", 1), SVC_EINVALID);
	assert_int_equal(svc_step_vars_set_public(v, "secret_tok", "x", 1), SVC_EINVALID);
	assert_int_equal(svc_step_vars_set_public(v, "VSTS_PUBLIC_VARIABLES", "x", 1),
			 SVC_EINVALID);
	assert_int_equal(svc_step_vars_set_public(v, "a=b", "x", 1), SVC_EINVALID);
	assert_int_equal(svc_step_vars_set_public(v, "PATH=/x", "x", 1), SVC_EINVALID);
	assert_int_equal(svc_step_vars_set_public(v, "a-b", "x", 1), SVC_EINVALID);
	assert_int_equal(svc_step_vars_set_public(v, "1a", "x", 1), SVC_EINVALID);
	back = round_trip(v);
	env = applied(back);
	/* not the step's: passed on (the agent does the same) */
	assert_env(env, "JAVA_HOME", "x");
	assert_env(env, "KUBECONFIG", "/k");
	svc_step_vars_free(back);
	svc_env_free(env);

	/* apply onto an environment that has PATH already */
	{
		svc_masker *m = NULL;

		assert_int_equal(svc_masker_new(&m, NULL), 0);
		assert_int_equal(svc_env_new(&env), 0);
		assert_int_equal(svc_env_set(env, "PATH", "/usr/bin"), 0);
		assert_int_equal(svc_env_set(env, "JAVA_HOME", "kept"), 0);
		assert_int_equal(svc_step_vars_apply(v, env, m), 0);
		assert_int_equal(svc_masker_compile(m), 0);
		assert_env(env, "DOCKER_CONFIG", "/tmp/d c");
		assert_env(env, "MY_VAR", awkward[1]);
		assert_env(env, "PATH", "/usr/bin");
		assert_env(env, "JAVA_HOME", "kept");
		assert_env(env, "KUBECONFIG", "/k");
		assert_env(env, "TOK", NULL);
		assert_env(env, "SECRET_TOK", "s3cret-2");
		assert_env(env, "LATER", NULL);
		assert_env(env, "SECRET_LATER", "l-secret");
		assert_env(env, "VSTS_PUBLIC_VARIABLES",
			   "[\"Docker.Config\",\"my var\",\"kubeconfig\"]");
		assert_env(env, "VSTS_SECRET_VARIABLES", "[\"tok\",\"later\"]");
		/* secret values are masked, public ones are not */
		{
			char *out = NULL;
			size_t olen;
			static const char in[] = "s3cret-2 l-secret /tmp/d c mask-me-5511 s3cret-1";

			assert_int_equal(svc_masker_mask(&out, &olen, m, in,
							 sizeof(in) - 1), 0);
			/* s3cret-1: the value tok held first */
			assert_string_equal(out, "*** *** /tmp/d c *** ***");
			free(out);
		}
		svc_env_free(env);
		svc_masker_free(m);
	}
	svc_step_vars_free(v);

	/* the format: " p:NAME:VALUE" */
	v = NULL;
	assert_int_equal(svc_step_vars_decode(&v, text, strlen(text)), 0);
	env = applied(v);
	assert_env(env, "DOCKER_CONFIG", "/a b");
	assert_env(env, "SECRET_TOK", "x");
	assert_env(env, "VSTS_PUBLIC_VARIABLES", "[\"docker.config\"]");
	svc_env_free(env);
	again = encode(v, &len);
	assert_string_equal(again, text);
	svc_secret_free(again, len);
	svc_step_vars_free(v);
}

/* What a stream made with public_variables reports, and what it writes. */
struct events {
	svc_step_vars *v;       /**< where the variables go */
	int n;                  /**< events seen */
};

static int on_event(void *ctx, const svc_mask_event *ev)
{
	struct events *e = ctx;

	e->n++;
	if (ev->kind == SVC_MASK_EVENT_SETSECRET)
		return svc_step_vars_add_secret(e->v, ev->value, ev->value_len);
	assert_int_equal(ev->kind, SVC_MASK_EVENT_SETVARIABLE);
	return ev->is_secret
		? svc_step_vars_set(e->v, ev->name, ev->value, ev->value_len)
		: svc_step_vars_set_public(e->v, ev->name, ev->value, ev->value_len);
}

static int to_buf(void *ctx, const char *data, size_t len)
{
	return buf_put(ctx, data, len);
}

/* Run text through a commands stream with the variables v; the output. */
static char *through_stream(svc_step_vars *v, svc_masker *m, const char *in,
			    size_t len, int *nevents)
{
	svc_mask_stream_options so;
	svc_mask_stream *s = NULL;
	svc_buf out = SVC_BUF_INIT;
	struct events e = { v, 0 };
	size_t i;

	memset(&so, 0, sizeof(so));
	so.version = SVC_MASK_STREAM_OPTIONS_VERSION;
	so.commands = 1;
	so.write = to_buf;
	so.write_ctx = &out;
	so.event = on_event;
	so.event_ctx = &e;
	so.public_variables = 1;
	assert_int_equal(svc_mask_stream_new(&s, m, &so), 0);
	/* byte by byte: nothing may depend on how the output is cut */
	for (i = 0; i < len; i++)
		assert_int_equal(svc_mask_stream_write(s, in + i, 1), 0);
	assert_int_equal(svc_mask_stream_finish(s), 0);
	svc_mask_stream_free(s);
	*nevents = e.n;
	assert_int_equal(buf_putc(&out, '\0'), 0);
	return buf_detach(&out, NULL);
}

static void test_public_from_commands(void **state)
{
	static const char in[] =
		"##vso[task.setvariable variable=KUBECONFIG]/job/tmp/kube config\n"
		"##vso[task.setvariable variable=cargo.tok;issecret=true]tok-4471\n"
		"##vso[task.setvariable variable=INPUT_X]x\n"
		"tok-4471\n";
	svc_step_vars *v = NULL;
	svc_masker *m = NULL;
	svc_env *env;
	char *out;
	int n;

	(void)state;
	assert_int_equal(svc_step_vars_new(&v), 0);
	assert_int_equal(svc_masker_new(&m, NULL), 0);
	assert_int_equal(svc_masker_compile(m), 0);
	out = through_stream(v, m, in, sizeof(in) - 1, &n);
	assert_int_equal(n, 3);
	/* a public variable's line passes through for the agent; the secret's
	 * does not; a refused one becomes a warning */
	assert_non_null(strstr(out,
			       "##vso[task.setvariable variable=KUBECONFIG]/job/tmp/kube config\n"));
	assert_null(strstr(out, "cargo.tok"));
	assert_null(strstr(out, "tok-4471"));
	assert_non_null(strstr(out, "##[warning]svcconn: task.setvariable: 'INPUT_X' refused"));
	env = applied(v);
	assert_env(env, "KUBECONFIG", "/job/tmp/kube config");
	assert_env(env, "SECRET_CARGO_TOK", "tok-4471");
	assert_env(env, "INPUT_X", NULL);
	svc_env_free(env);
	free(out);
	svc_masker_free(m);
	svc_step_vars_free(v);
}

/*
 * Logging commands read as the agent reads them: a secret variable set
 * again without issecret stays secret and its new value is masked on its
 * own line and after it; "issecret= True" is true; "##VSO[" and
 * "TASK.SETSECRET" are commands; a name on the closed list is refused with
 * a warning and reaches no later step.
 */
static void test_commands_as_the_agent(void **state)
{
	static const char in[] =
		"##vso[task.setvariable variable=tok;issecret=true]first-9931\n"
		"##vso[task.setvariable variable=TOK]second-9932\n"
		"after: second-9932 first-9931\n"
		"##vso[task.setvariable variable=spaced;issecret= True ]spaced-9933\n"
		"##vso[task.setvariable variable=tabbed; IsSecret =\tTRUE]tabbed-9936\n"
		"spaced-9933 tabbed-9936\n"
		"##VSO[TASK.SETSECRET]upper-9934\n"
		"x ##Vso[Task.SetVariable variable=up;ISSECRET=true]upper-9935\n"
		"upper-9934 upper-9935\n"
		"##vso[task.setvariable variable=LD_PRELOAD]/tmp/evil.so\n"
		"##vso[task.setvariable variable=Build.SourceBranch]refs/heads/evil\n"
		"##vso[task.setvariable variable=git.askpass]/tmp/evil\n"
		"##vso[task.setvariable variable=fine]ok-value\n";
	svc_step_vars *v = NULL;
	svc_masker *m = NULL;
	svc_env *env;
	char *out;
	int n;

	(void)state;
	assert_int_equal(svc_step_vars_new(&v), 0);
	assert_int_equal(svc_masker_new(&m, NULL), 0);
	out = through_stream(v, m, in, sizeof(in) - 1, &n);
	assert_int_equal(n, 10);
	assert_null(strstr(out, "first-9931"));
	assert_null(strstr(out, "second-9932"));
	assert_null(strstr(out, "variable=TOK"));  /* its line is not written */
	assert_non_null(strstr(out, "after: *** ***\n"));
	assert_null(strstr(out, "spaced-9933"));
	assert_null(strstr(out, "tabbed-9936"));
	assert_non_null(strstr(out, "\n*** ***\n"));
	assert_null(strstr(out, "upper-9934"));
	assert_null(strstr(out, "upper-9935"));
	assert_non_null(strstr(out, "##[warning]svcconn: task.setvariable: 'LD_PRELOAD' refused: LD_* is the dynamic loader's"));
	assert_non_null(strstr(out, "##[warning]svcconn: task.setvariable: 'Build.SourceBranch' refused: BUILD_* is"));
	assert_non_null(strstr(out, "##[warning]svcconn: task.setvariable: 'git.askpass' refused: GIT_* is"));
	assert_non_null(strstr(out, "##vso[task.setvariable variable=fine]ok-value\n"));
	free(out);
	svc_masker_free(m);

	/* the next step: secrets as SECRET_*, both values of tok masked,
	 * nothing of the closed list in its environment */
	assert_int_equal(svc_masker_new(&m, NULL), 0);
	env = applied(v);
	assert_env(env, "SECRET_TOK", "second-9932");
	assert_env(env, "TOK", NULL);
	assert_env(env, "SECRET_SPACED", "spaced-9933");
	assert_env(env, "SECRET_TABBED", "tabbed-9936");
	assert_env(env, "SECRET_UP", "upper-9935");
	assert_env(env, "FINE", "ok-value");
	assert_env(env, "LD_PRELOAD", NULL);
	assert_env(env, "BUILD_SOURCEBRANCH", NULL);
	assert_env(env, "GIT_ASKPASS", NULL);
	svc_env_free(env);
	assert_int_equal(svc_env_new(&env), 0);
	assert_int_equal(svc_step_vars_apply(v, env, m), 0);
	{
		static const char later[] = "first-9931 second-9932";
		char *masked = NULL;
		size_t olen;

		assert_int_equal(svc_masker_mask(&masked, &olen, m, later,
						 sizeof(later) - 1), 0);
		assert_string_equal(masked, "*** ***");
		free(masked);
	}
	svc_env_free(env);
	svc_masker_free(m);
	svc_step_vars_free(v);
}

static void test_bound(void **state)
{
	svc_step_vars *v = NULL, *back = NULL;
	size_t n = SVC_STEP_VARS_MAX / 2 - 64, len;
	char *value = malloc(n + 1), *text = (char *)&text;

	(void)state;
	assert_non_null(value);
	memset(value, 'x', n);
	value[n] = '\0';
	assert_int_equal(svc_step_vars_new(&v), 0);
	/* just under 1 MiB encoded: kept whole */
	assert_int_equal(svc_step_vars_set(v, "big", value, n), 0);
	back = round_trip(v);
	svc_step_vars_free(back);
	/* over it: refused, saying the bound */
	assert_int_equal(svc_step_vars_set(v, "more", value, 100), 0);
	assert_int_equal(svc_step_vars_encode(&text, &len, v), SVC_EINVALID);
	assert_ptr_equal(text, (char *)&text);
	assert_non_null(strstr(svc_error_last(), "over 1 MiB"));
	svc_step_vars_free(v);
	free(value);
}

/*
 * The closed list: every name the brief names (and the agent's read-only
 * ones), in the forms a step writes them (any case, '.' and ' ' for '_'),
 * refused as public and as secret variables; the names real tasks set
 * still pass.
 */
static void test_closed_list(void **state)
{
	static const char *const refused[] = {
		"LD_PRELOAD", "ld_library_path", "Ld.Audit", "GLIBC_TUNABLES",
		"GCONV_PATH", "HOSTALIASES", "BASH_ENV", "env", "SHELLOPTS",
		"BASHOPTS", "IFS", "ps4", "PROMPT_COMMAND", "CDPATH",
		"GLOBIGNORE", "BASH_FUNC_echo%%", "BASH_FUNC_x", "NODE_OPTIONS",
		"node.path", "NODE_EXTRA_CA_CERTS", "NODE_TLS_REJECT_UNAUTHORIZED",
		"PYTHONPATH",
		"pythonstartup", "PYTHONHOME", "PERL5LIB", "PERL5OPT", "PERLLIB",
		"RUBYOPT", "RUBYLIB", "JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS",
		"JDK_JAVA_OPTIONS", "CLASSPATH", "MAVEN_OPTS",
		"DOTNET_STARTUP_HOOKS", "CORECLR_PROFILER_PATH", "GIT_ASKPASS",
		"GIT_SSH_COMMAND", "git.dir", "GIT_EXEC_PATH", "GIT_CONFIG_COUNT",
		"SSH_AUTH_SOCK", "ssh.askpass", "GCM_INTERACTIVE",
		"XDG_CONFIG_HOME", "SSL_CERT_FILE", "OPENSSL_CONF", "CURL_HOME",
		"http_proxy", "HTTPS_PROXY", "https.proxy", "all_proxy",
		"No_Proxy", "PATH", "path", "HOME", "TMPDIR", "SHELL",
		"SVCCONN_HOME", "svcconn.key.file", "Agent.TempDirectory",
		"BUILD_SOURCEBRANCH", "Build.SourceBranch", "build.buildid",
		"System.AccessToken", "system.teamfoundationcollectionuri",
		"Release.ReleaseId", "Pipeline.Workspace", "Common.TestResultsDirectory",
		"Task.DisplayName", "TF_BUILD", "endpoint.url.conn-1", "Input.X",
		"secret_tok", "VSTS_PUBLIC_VARIABLES",
	};
	static const char *const allowed[] = {
		"NODE_ENV", "pythonLocation", "NPM_CONFIG_USERCONFIG", "PIP_EXTRA_INDEX_URL", "PYPIRC_PATH",
		"DOCKER_CONFIG", "KUBECONFIG", "JAVA_HOME", "DOTNET_ROOT", "LANG",
		"GITVERSION_SEMVER", "BuildConfiguration", "my.var", "Paths",
		"HOMEDIR", "PS1X", "SSHKEY", "AGENTS", "environment",
	};
	svc_step_vars *v = NULL;
	size_t i;

	(void)state;
	assert_int_equal(svc_step_vars_new(&v), 0);
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		int pub = svc_step_vars_set_public(v, refused[i], "x", 1);

		if (pub != SVC_EINVALID)
			fail_msg("public '%s' accepted", refused[i]);
		if (!strstr(svc_error_last(), "a step may not set it"))
			fail_msg("'%s': %s", refused[i], svc_error_last());
		if (svc_step_vars_set(v, refused[i], "xxxx", 4) != SVC_EINVALID)
			fail_msg("secret '%s' accepted", refused[i]);
	}
	for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if (svc_step_vars_set_public(v, allowed[i], "x", 1) != 0)
			fail_msg("'%s' refused: %s", allowed[i], svc_error_last());
	/* the reason names whose the variable is */
	assert_int_equal(svc_step_vars_set_public(v, "ld.preload", "x", 1),
			 SVC_EINVALID);
	assert_non_null(strstr(svc_error_last(), "LD_* is the dynamic loader's (ld.so(8))"));
	svc_step_vars_free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_awkward_values),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_known_text),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_bound),
		cmocka_unit_test(test_public),
		cmocka_unit_test(test_public_from_commands),
		cmocka_unit_test(test_closed_list),
		cmocka_unit_test(test_commands_as_the_agent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
