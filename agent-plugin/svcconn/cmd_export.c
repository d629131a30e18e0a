/*
 * cmd_export.c - `svcconn export [NAME...]`: YAML, secrets only on request
 * and only into a new file of mode 0600.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

enum { OPT_SECRETS = 1 };

/* Options of export. */
struct export_opts {
	int secrets;          /**< --include-secrets */
	const char *output;   /**< -o FILE */
};

static const struct option options[] = {
	{ "include-secrets", no_argument, NULL, OPT_SECRETS },
	{ "output", required_argument, NULL, 'o' },
	CLI_COMMON_OPTIONS
};

static int on_opt(int c, const char *arg, void *data)
{
	struct export_opts *o = data;

	if (c == OPT_SECRETS)
		o->secrets = 1;
	else
		o->output = arg;
	return EXIT_OK;
}

/* Write text to a new file created with mode 0600. */
static int write_new(const char *path, const char *text, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
		      0600);
	size_t off = 0;

	if (fd < 0)
		return cli_fail(SVC_ERROR, "cannot create '%s': %s%s", path,
				strerror(errno),
				errno == EEXIST ? " (export never overwrites a file)" : "");
	while (off < len) {
		ssize_t k = write(fd, text + off, len - off);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			close(fd);
			unlink(path);
			return cli_fail(SVC_ERROR, "cannot write '%s': %s", path,
					strerror(errno));
		}
		off += (size_t)k;
	}
	if (fsync(fd) != 0 || close(fd) != 0)
		return cli_fail(SVC_ERROR, "cannot write '%s': %s", path,
				strerror(errno));
	return EXIT_OK;
}

static int cmd_export(struct cli_ctx *ctx, int argc, char **argv)
{
	struct export_opts o = { 0, NULL };
	svc_store *st = NULL;
	size_t n = 0;
	char *text = NULL;
	size_t len = 0;
	int rc, exit_now;

	if ((rc = cli_parse(ctx, &cmd_export_entry, argc, argv, "o:", options,
			    on_opt, &o, &exit_now)) || exit_now)
		return rc;
	if (o.secrets && !o.output)
		return cli_usage_error(&cmd_export_entry,
				       "--include-secrets writes only to a new file: add -o FILE");
	if ((rc = cli_open_store(ctx, &st)))
		return rc;
	if (ctx->remote && o.secrets) {
		rc = cli_fail(SVC_EINVALID, "--include-secrets works only on a local store: secrets never leave a server");
		goto done;
	}
	/* only what this identity may read; secrets need Administrator */
	if ((rc = cli_export(ctx, st, &text, &len, &n,
			     argc > optind ? (const char *const *)argv + optind
					   : NULL,
			     (size_t)(argc - optind),
			     o.secrets ? SVC_EXPORT_SECRETS : 0))) {
		rc = cli_lib_fail(rc);
		goto done;
	}
	if (o.output)
		rc = write_new(o.output, text, len);
	else
		rc = fwrite(text, 1, len, stdout) == len ? EXIT_OK
			: cli_fail(SVC_ERROR, "cannot write standard output");
	if (rc == EXIT_OK && o.output)
		fprintf(stderr, "exported %zu connection(s) to %s%s\n", n,
			o.output, o.secrets ? " (with secrets, mode 0600)" : "");
done:
	svc_secret_free(text, len);
	svc_store_free(st);
	return rc;
}

const struct cmd_entry cmd_export_entry = {
	"export", "export [NAME|ID...] [--include-secrets] [-o FILE]",
	"export connections as YAML",
	"Without --include-secrets the export holds no secret value at all.\n"
	"With it, the secrets are written only into FILE, which must not exist\n"
	"and is created with mode 0600; they are never printed.\n"
	"Against a server (--server) the export is the server's, without secrets;\n"
	"--include-secrets is refused there (exit 2): secrets never leave it.\n"
	"  -o, --output FILE   write to a new file instead of standard output\n",
	cmd_export, 1
};
