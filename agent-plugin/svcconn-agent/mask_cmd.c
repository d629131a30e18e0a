/*
 * mask_cmd.c - `svcconn-agent mask --secrets-file FILE [--no-commands]`:
 * copy standard input to standard output with every secret masked.
 *
 * FILE holds one secret per line (CR LF or LF); it is read like a secret
 * (bounded, into a wiping buffer) and wiped as soon as the secrets are
 * registered.  Logging commands on the input are read as on a step's
 * stdout (task.setsecret adds a secret; command lines are not copied);
 * --no-commands filters a stderr-like stream that has none.  Output is
 * written as soon as each line is settled.  Secrets too short to mask are
 * counted and reported once on standard error.  Exit status: 0 when all
 * input was copied, 1 on a failure (nothing unmasked is written), 2 for a
 * usage error.
 *
 * main.c dispatches here with argv[0] = "mask".
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <svcconn/svcconn.h>
#include <svcconn/mask.h>

int agent_mask_main(int argc, char **argv);

/* Bytes read from standard input at a time. */
#define MASK_IO_SIZE ((size_t)64 * 1024)

/* Buffered standard output. */
struct out {
	char *buf;              /**< pending masked bytes */
	size_t len;             /**< bytes pending */
	int failed;             /**< a write failed (errno kept) */
};

static int out_flush(struct out *o)
{
	size_t done = 0;

	while (done < o->len) {
		ssize_t w = write(STDOUT_FILENO, o->buf + done, o->len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			o->failed = 1;
			return -1;
		}
		done += (size_t)w;
	}
	o->len = 0;
	return 0;
}

static int out_write(void *ctx, const char *data, size_t len)
{
	struct out *o = ctx;

	if (o->len + len > MASK_IO_SIZE && out_flush(o))
		return -1;
	if (len > MASK_IO_SIZE) {
		while (len) {
			ssize_t w = write(STDOUT_FILENO, data, len);

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				o->failed = 1;
				return -1;
			}
			data += w;
			len -= (size_t)w;
		}
		return 0;
	}
	memcpy(o->buf + o->len, data, len);
	o->len += len;
	return 0;
}

static void mask_usage(FILE *f)
{
	fputs("usage: svcconn-agent mask --secrets-file FILE [--no-commands]\n\n"
	      "Copy standard input to standard output with every secret of\n"
	      "FILE (one per line) masked as ***, in all its encodings.\n"
	      "Logging commands (##vso[task.setsecret]...) on the input are\n"
	      "read unless --no-commands is given.\n", f);
}

/* Register each line of the secrets file. */
static int load_secrets(svc_masker *m, const char *path)
{
	char *text = NULL;
	size_t len = 0, i = 0;
	int rc = svc_secret_read_file(&text, &len, path);

	if (rc)
		return rc;
	while (i < len && rc == 0) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - text) : len, n = end - i;

		if (n && text[end - 1] == '\r')
			n--;
		if (n)
			rc = svc_masker_add(m, text + i, n);
		i = end + 1;
	}
	svc_secret_free(text, len);
	return rc;
}

static int fail(const char *what)
{
	fprintf(stderr, "svcconn-agent: error: %s: %s\n", what,
		svc_error_last());
	return 1;
}

/* Say once how many secrets could not be masked. */
static void warn_short(svc_masker *m)
{
	size_t n = svc_masker_take_too_short(m);

	if (n)
		fprintf(stderr, "svcconn-agent: warning: %zu secret(s) too short to mask (under %d bytes)\n",
			n, SVC_MASK_MIN_LENGTH);
}

/* The filter itself: 0 when all input went out, 1 after a message. */
static int copy_masked(svc_mask_stream *s, struct out *o, char *in)
{
	int rc = 0;

	for (;;) {
		ssize_t r = read(STDIN_FILENO, in, MASK_IO_SIZE);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			fprintf(stderr, "svcconn-agent: error: cannot read standard input: %s\n",
				strerror(errno));
			return 1;
		}
		if (r == 0)
			break;
		/* write each settled line at once: the output is live */
		if ((rc = svc_mask_stream_write(s, in, (size_t)r)) != 0 ||
		    out_flush(o))
			break;
	}
	if (rc == 0 && !o->failed && (rc = svc_mask_stream_finish(s)) == 0)
		out_flush(o);
	if (o->failed) {
		fprintf(stderr, "svcconn-agent: error: cannot write standard output: %s\n",
			strerror(errno));
		return 1;
	}
	return rc ? fail("cannot mask the input") : 0;
}

int agent_mask_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "secrets-file", required_argument, NULL, 'f' },
		{ "no-commands", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	svc_mask_stream_options so;
	svc_mask_stream *s = NULL;
	svc_masker *m = NULL;
	struct out o = { NULL, 0, 0 };
	const char *file = NULL;
	char *in = NULL;
	int c, commands = 1, status = 1;

	if (svc_process_harden())
		return fail("cannot protect the process");
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'f': file = optarg; break;
		case 'n': commands = 0; break;
		case 'h': mask_usage(stdout); return 0;
		default:
			fprintf(stderr, "svcconn-agent: error: bad option '%s'\n",
				argv[optind - 1]);
			mask_usage(stderr);
			return 2;
		}
	}
	if (!file || optind != argc) {
		mask_usage(stderr);
		return 2;
	}
	if (svc_masker_new(&m, NULL))
		return fail("cannot create the masker");
	if (load_secrets(m, file)) {
		status = fail("cannot read the secrets");
		goto free_all;
	}
	warn_short(m);
	if (svc_masker_compile(m)) {
		status = fail("cannot prepare masking");
		goto free_all;
	}
	memset(&so, 0, sizeof(so));
	so.version = SVC_MASK_STREAM_OPTIONS_VERSION;
	so.commands = commands;
	so.write = out_write;
	so.write_ctx = &o;
	o.buf = malloc(MASK_IO_SIZE);
	in = malloc(MASK_IO_SIZE);
	if (!o.buf || !in) {
		fprintf(stderr, "svcconn-agent: error: out of memory\n");
		goto free_all;
	}
	if (svc_mask_stream_new(&s, m, &so)) {
		status = fail("cannot create the mask stream");
		goto free_all;
	}
	if (copy_masked(s, &o, in))
		goto free_all;
	warn_short(m);  /* those task.setsecret added */
	status = 0;
free_all:
	svc_mask_stream_free(s);
	svc_masker_free(m);
	if (in) {
		svc_wipe(in, MASK_IO_SIZE);
		free(in);
	}
	free(o.buf);
	return status;
}
