/*
 * fuzz_logcmd.c - libFuzzer target for the logging-command parser
 * (resolver/src/mask/logcmd.c) and the masking stream that acts on the
 * commands (resolver/src/mask/stream.c).
 *
 * Each input is a step's output.  Every line goes through logcmd_parse()
 * and the accessors; then the whole input goes through a stdout stream
 * (commands read) and a stderr stream (not read) of a masker that knows
 * two secrets, cut into writes at places taken from the input's first
 * bytes, with a line limit of 1 KiB so that long lines are reached with
 * small inputs.  The event callback accepts and refuses in turn and
 * registers data parameters, as the runtime does; every third of the
 * other commands goes to what `svcconn-agent run` does with them
 * (runtime/commands.c, System.Debug on), whose lines go to the same
 * output.  A crash, a sanitizer
 * report, a leak, or either known secret in the output is a bug.  The
 * same file runs without libFuzzer through replay.c.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "errors_int.h"
#include "mask/mask_int.h"
#include "runtime/runtime_int.h"
#include "util/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char secret1[] = "fuzz-secret-1";
static const char secret2[] = "p%a;s\"s\\w]";

/* Output of one stream. */
struct out {
	svc_buf b;              /**< what the stream wrote */
};

static int out_write(void *ctx, const char *p, size_t n)
{
	return buf_put(&((struct out *)ctx)->b, p, n);
}

/* The runtime's side: alternate accept and refuse. */
struct events {
	svc_masker *m;          /**< register data parameters here */
	unsigned n;             /**< events seen */
	struct job_cmds *c;     /**< run's handling of the other commands */
	struct out *o;          /**< where its lines go */
};

static void cmd_out(void *ctx, int fd, const char *p, size_t n)
{
	(void)fd;
	if (buf_put(&((struct out *)ctx)->b, p, n))
		abort();
}

static int on_event(void *ctx, const svc_mask_event *ev)
{
	struct events *e = ctx;

	if (!ev->value || strlen(ev->value) > ev->value_len)
		abort();        /* values are NUL-terminated at their length */
	if (ev->kind == SVC_MASK_EVENT_SETENDPOINT && !ev->id)
		abort();
	if (ev->kind == SVC_MASK_EVENT_SETVARIABLE && !ev->name)
		abort();
	if (ev->kind == SVC_MASK_EVENT_COMPLETE ||
	    ev->kind == SVC_MASK_EVENT_ISSUE ||
	    ev->kind == SVC_MASK_EVENT_COMMAND) {
		size_t len = 0;
		const char *v = svc_mask_event_prop(ev, "type", &len);

		if (!ev->name || (v && strlen(v) > len))
			abort();
		if (e->n++ % 3 == 0)
			return job_cmds_event(e->c, ev, cmd_out, e->o, 1);
		return 0;
	}
	if (ev->kind == SVC_MASK_EVENT_SETENDPOINT &&
	    ev->field == SVC_MASK_FIELD_DATA)
		(void)svc_masker_add(e->m, ev->value, ev->value_len);
	if (e->n++ % 2)
		return error_set(SVC_EDENIED, "refused by the fuzzer");
	return 0;
}

/* Parse each line on its own and use what came out. */
static void parse_lines(const char *text, size_t size)
{
	logcmd c;
	size_t i = 0;

	logcmd_init(&c);
	while (i < size) {
		const char *nl = memchr(text + i, '\n', size - i);
		size_t end = nl ? (size_t)(nl - text) : size, len;
		char name[64];
		const char *v;

		if (logcmd_parse(&c, text + i, end - i) == 0) {
			logcmd_name(&c, name, sizeof(name));
			if (strlen(name) >= sizeof(name))
				abort();
			(void)logcmd_is(&c, "task", "setsecret");
			v = logcmd_prop_get(&c, "variable", &len);
			if (v && strlen(v) > len)
				abort();
			v = logcmd_data(&c, &len);
			if (strlen(v) > len)
				abort();
		}
		i = end + 1;
	}
	logcmd_clear(&c);
}

/* Run the input through one stream; abort if a known secret comes out. */
static void run_stream(const char *text, size_t size, int commands,
		       size_t cut1, size_t cut2)
{
	svc_masker_options mo;
	svc_mask_stream_options so;
	svc_masker *m = NULL;
	svc_mask_stream *s = NULL;
	struct events ev;
	struct out o;
	svc_env *env = NULL;

	memset(&mo, 0, sizeof(mo));
	mo.version = SVC_MASKER_OPTIONS_VERSION;
	mo.max_line = 1024;
	if (svc_masker_new(&m, &mo) ||
	    svc_masker_add(m, secret1, sizeof(secret1) - 1) ||
	    svc_masker_add(m, secret2, sizeof(secret2) - 1))
		abort();
	buf_init(&o.b, 0, 0);
	ev.m = m;
	ev.n = 0;
	ev.o = &o;
	if (job_cmds_new(&ev.c, NULL) || svc_env_new(&env) ||
	    svc_env_set(env, "SYSTEM_DEBUG", "true") ||
	    job_cmds_step_begin(ev.c, m, env, "0"))
		abort();
	memset(&so, 0, sizeof(so));
	so.version = SVC_MASK_STREAM_OPTIONS_VERSION;
	so.commands = commands;
	so.write = out_write;
	so.write_ctx = &o;
	so.event = on_event;
	so.event_ctx = &ev;
	if (svc_mask_stream_new(&s, m, &so) ||
	    svc_mask_stream_write(s, text, cut1) ||
	    svc_mask_stream_write(s, text + cut1, cut2 - cut1) ||
	    svc_mask_stream_write(s, text + cut2, size - cut2) ||
	    svc_mask_stream_finish(s))
		abort();
	if (o.b.len && (memmem(o.b.ptr, o.b.len, secret1, sizeof(secret1) - 1) ||
			memmem(o.b.ptr, o.b.len, secret2, sizeof(secret2) - 1)))
		abort();
	svc_mask_stream_free(s);
	(void)job_cmds_step_end(ev.c);
	job_cmds_free(ev.c);
	svc_env_free(env);
	svc_masker_free(m);
	buf_clear(&o.b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text;
	size_t cut1, cut2;

	if (size < 2)
		return 0;
	/* two bytes choose where the writes are cut */
	text = (const char *)data + 2;
	cut1 = size > 2 ? data[0] % (size - 1) : 0;
	cut2 = size > 2 ? cut1 + data[1] % (size - 1 - cut1) : 0;
	size -= 2;
	if (cut1 > size)
		cut1 = size;
	if (cut2 > size)
		cut2 = size;
	parse_lines(text, size);
	run_stream(text, size, 1, cut1, cut2);
	run_stream(text, size, 0, cut1, cut2);
	return 0;
}
