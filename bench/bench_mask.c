/*
 * bench_mask.c - masking throughput against grep -F.
 *
 * Writes one 200 MB log into a temporary directory: build-log lines
 * (timestamps, levels, paths, package names, URLs, JSON fragments, numbers)
 * with, about once every 2,000 lines, one of 1,000 generated secrets in one
 * of its forms (raw, JSON-escaped, percent-encoded, base64, in a longer
 * base64 text, in a logging command's escaping).  Secrets are 20 to 40
 * bytes and some hold %, ;, ", \, /, + or a space, so their forms differ.
 *
 * For 1, 100 and 1,000 secrets it measures:
 *   - the masker, in-process through the library API: a masker holding the
 *     secrets (every form), a stream that reads logging commands (as a
 *     step's stdout is filtered), the log read from the page cache in
 *     1 MiB read()s and written to the stream, the output counted and
 *     dropped by the write callback;
 *   - `grep -F -c -f PATTERNS LOG` run as a child (LC_ALL=C), PATTERNS
 *     holding the same forms the masker matches (every pattern of its
 *     database), and the same grep on an empty file, which is grep's
 *     cost of reading and compiling the patterns.
 * grep's output goes to a file: GNU grep stops at the first match when its
 * output is /dev/null.  Each figure is the best of three runs.
 *
 * The ratio checked is throughput: grep's time minus its empty-file run
 * (its pattern compilation) over the masker's time without its database
 * build, which is paid once per set of secrets, not per byte; both sides
 * read the log from the page cache.  The end-to-end ratio (grep's whole
 * run over the masker's build plus scan) is printed too.  Targets: 3x at
 * 1 secret, 10x at 100, 25x at 1,000.  Exits 1 when one is missed, 2 when
 * the benchmark cannot run.  BENCH_KEEP_LOG=1 keeps the log and patterns.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <svcconn/svcconn.h>
#include <svcconn/mask.h>

#include "mask/mask_int.h"
#include "util/buf.h"

#define BENCH_NAME "bench_mask"
#include "bench_util.h"

#define LOG_BYTES ((size_t)200 * 1000 * 1000)
#define KEEP_LOG getenv("BENCH_KEEP_LOG")
#define NSECRETS 1000
#define SECRET_EVERY 2000       /* lines between secrets, on average */
#define RUNS 3
#define READ_SIZE ((size_t)1024 * 1024)

/* xorshift64*: fast, reproducible. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static const char *const words[] = {
	"build", "step", "compile", "link", "test", "passed", "restore",
	"package", "install", "resolved", "artifact", "publish", "docker",
	"image", "layer", "push", "pull", "cache", "hit", "miss", "version",
	"deprecated", "warning", "error", "downloading", "extracting",
	"node_modules", "target", "release", "debug", "configure", "check",
	"generating", "writing", "reading", "finished", "in", "the", "of",
	"for", "with", "from", "to", "and", "file", "files", "bytes", "ms",
};
#define NWORDS (sizeof(words) / sizeof(words[0]))

static void put_word(svc_buf *b, uint64_t *seed)
{
	if (buf_puts(b, words[rnd(seed) % NWORDS]))
		die("log", "out of memory");
}

/* One ordinary build-log line. */
static void log_line(svc_buf *b, uint64_t *seed, unsigned long n)
{
	unsigned kind = (unsigned)(rnd(seed) % 6), i, nw;
	int rc = buf_printf(b, "2024-05-%02lu T%02lu:%02lu:%02lu.%03luZ ",
			    n % 28 + 1, n / 3600 % 24, n / 60 % 60, n % 60,
			    n % 1000);

	switch (kind) {
	case 0:
		rc |= buf_printf(b, "[info] ");
		break;
	case 1:
		rc |= buf_printf(b, "/home/vsts/work/1/s/src/mod%lu/file%lu.c:%lu: ",
				 n % 97, n % 1013, n % 4999);
		break;
	case 2:
		rc |= buf_printf(b, "GET https://registry.example.test/v2/pkg-%lu/blobs/sha256:%016llx ",
				 n % 311, (unsigned long long)rnd(seed));
		break;
	case 3:
		rc |= buf_printf(b, "{\"level\":\"debug\",\"id\":%lu,\"msg\":\"",
				 n);
		break;
	default:
		rc |= buf_printf(b, "##[section] ");
		break;
	}
	nw = 3 + (unsigned)(rnd(seed) % 10);
	for (i = 0; i < nw && rc == 0; i++) {
		put_word(b, seed);
		rc = buf_putc(b, ' ');
	}
	if (rc == 0 && kind == 3)
		rc = buf_puts(b, "\"}");
	if (rc == 0)
		rc = buf_putc(b, '\n');
	if (rc)
		die("log", "out of memory");
}

/* A secret of 20..40 bytes, sometimes with awkward characters. */
static void make_secret(char *out, size_t *len, uint64_t *seed)
{
	static const char plain[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	static const char odd[] = "%;\"\\/+= -_.";
	size_t n = 20 + (size_t)(rnd(seed) % 21), i;

	for (i = 0; i < n; i++)
		out[i] = rnd(seed) % 8 == 0 ? odd[rnd(seed) % (sizeof(odd) - 1)]
					    : plain[rnd(seed) % (sizeof(plain) - 1)];
	*len = n;
}

/* A form of a secret, picked by the callback below. */
struct pick {
	unsigned want;          /**< the index of the form wanted */
	unsigned seen;          /**< forms seen so far */
	svc_buf *out;           /**< where the chosen form goes */
};

static int pick_form(void *ctx, const char *form, size_t len)
{
	struct pick *p = ctx;

	if (p->seen++ == p->want && !memchr(form, '\n', len))
		return buf_put(p->out, form, len);
	return 0;
}

static void write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			die("write", strerror(errno));
		p += w;
		n -= (size_t)w;
	}
}

/* The 200 MB log. */
static void make_log(const char *path, char secrets[][48],
		     const size_t *slen)
{
	svc_buf b;
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	unsigned long n = 0;
	size_t total = 0;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	if (fd < 0)
		die(path, strerror(errno));
	buf_init(&b, 0, 0);
	while (total < LOG_BYTES) {
		b.len = 0;
		while (b.len < READ_SIZE) {
			if (rnd(&seed) % SECRET_EVERY == 0) {
				size_t k = rnd(&seed) % NSECRETS;
				struct pick p;

				p.want = (unsigned)(rnd(&seed) % 20);
				p.seen = 0;
				p.out = &b;
				if (buf_puts(&b, "  token: ") ||
				    mask_forms(secrets[k], slen[k], pick_form,
					       &p) ||
				    buf_puts(&b, " (redact me)\n"))
					die("log", "out of memory");
			} else {
				log_line(&b, &seed, n);
			}
			n++;
		}
		write_all(fd, b.ptr, b.len);
		total += b.len;
	}
	buf_clear(&b);
	if (close(fd))
		die(path, strerror(errno));
}

/* Write each pattern of the masker on a line of the grep pattern file. */
static int write_pattern(void *ctx, const char *p, size_t len)
{
	FILE *f = ctx;

	if (memchr(p, '\n', len))
		return 0;       /* grep cannot take it; the log has none */
	if (fwrite(p, 1, len, f) != len || fputc('\n', f) == EOF)
		return SVC_ERROR;
	return 0;
}

/*
 * Seconds one grep run takes.  Its output goes to a file: GNU grep stops
 * at the first match when its output is /dev/null.
 */
static double run_grep(const char *patterns, const char *file,
		       const char *out)
{
	char *const argv[] = { "grep", "-F", "-c", "-f", (char *)patterns,
			       (char *)file, NULL };
	char *const envp[] = { "LC_ALL=C", "PATH=/usr/bin:/bin", NULL };
	posix_spawn_file_actions_t fa;
	pid_t pid;
	double t0;
	int status, rc;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, out,
					 O_WRONLY | O_CREAT | O_TRUNC, 0600);
	t0 = now();
	rc = posix_spawnp(&pid, "grep", &fa, NULL, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	if (rc)
		die("grep", strerror(rc));
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die("grep", strerror(errno));
	if (!WIFEXITED(status) || WEXITSTATUS(status) > 1)
		die("grep", "failed");
	return now() - t0;
}

/* The masker's write callback: count and drop. */
static int count_out(void *ctx, const char *data, size_t len)
{
	(void)data;
	*(size_t *)ctx += len;
	return 0;
}

/* Seconds to mask the whole log; *out gets the output size. */
static double run_masker(svc_masker *m, const char *log, char *buf,
			 size_t *out)
{
	svc_mask_stream_options o;
	svc_mask_stream *s = NULL;
	double t0;
	int fd;

	memset(&o, 0, sizeof(o));
	o.version = SVC_MASK_STREAM_OPTIONS_VERSION;
	o.commands = 1;
	o.write = count_out;
	o.write_ctx = out;
	*out = 0;
	t0 = now();
	fd = open(log, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || svc_mask_stream_new(&s, m, &o))
		die("masker", fd < 0 ? strerror(errno) : svc_error_last());
	for (;;) {
		ssize_t r = read(fd, buf, READ_SIZE);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			die(log, strerror(errno));
		if (r == 0)
			break;
		if (svc_mask_stream_write(s, buf, (size_t)r))
			die("masker", svc_error_last());
	}
	if (svc_mask_stream_finish(s))
		die("masker", svc_error_last());
	close(fd);
	svc_mask_stream_free(s);
	return now() - t0;
}

static double min2(double a, double b)
{
	return a < b ? a : b;
}

int main(void)
{
	static char secrets[NSECRETS][48];
	static const unsigned counts[] = { 1, 100, 1000 };
	static const double targets[] = { 3.0, 10.0, 25.0 };
	size_t slen[NSECRETS], i, outlen = 0, logsize;
	struct stat st;
	char dirt[256], log[512], empty[512], count[512], *buf;
	uint64_t seed = 42;
	double mb = (double)LOG_BYTES / 1e6;
	int missed = 0, fd;
	const char *tmp = getenv("TMPDIR");
	char *dir;

	snprintf(dirt, sizeof(dirt), "%s/bench_mask.XXXXXX",
		 tmp && *tmp && strlen(tmp) < 200 ? tmp : "/tmp");
	dir = mkdtemp(dirt);
	if (!dir)
		die("mkdtemp", strerror(errno));
	for (i = 0; i < NSECRETS; i++)
		make_secret(secrets[i], &slen[i], &seed);
	snprintf(log, sizeof(log), "%s/build.log", dir);
	snprintf(empty, sizeof(empty), "%s/empty.log", dir);
	snprintf(count, sizeof(count), "%s/grep.out", dir);
	fd = open(empty, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || close(fd))
		die(empty, strerror(errno));
	printf("generating a %.0f MB log in %s ...\n", mb, dir);
	fflush(stdout);
	make_log(log, secrets, slen);
	if (stat(log, &st))
		die(log, strerror(errno));
	logsize = (size_t)st.st_size;
	buf = malloc(READ_SIZE);
	if (!buf)
		die("bench", "out of memory");
	printf("masker: in-process library API (svc_mask_stream with logging "
	       "commands, 1 MiB writes, output counted)\n"
	       "grep:   grep -F -c -f PATTERNS LOG, LC_ALL=C, same patterns\n"
	       "times: best of %d; MB = 10^6 bytes\n\n", RUNS);
	printf("%8s %8s | %9s %9s %9s | %9s %9s %9s | %7s %7s %6s\n",
	       "secrets", "patterns", "mask s", "build s", "mask MB/s",
	       "grep s", "setup s", "grep MB/s", "ratio", "e2e", "target");
	for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		svc_masker *m = NULL;
		char pat[256];
		FILE *f;
		double tb = 1e9, tm = 1e9, tg = 1e9, ts = 1e9, ratio, scan;
		unsigned k;
		int r;

		/* the database build, timed on fresh maskers */
		for (r = 0; r < RUNS; r++) {
			double t0;

			svc_masker_free(m);
			m = NULL;
			if (svc_masker_new(&m, NULL))
				die("masker", svc_error_last());
			for (k = 0; k < counts[i]; k++)
				if (svc_masker_add(m, secrets[k], slen[k]))
					die("masker", svc_error_last());
			t0 = now();
			if (svc_masker_compile(m))
				die("masker", svc_error_last());
			tb = min2(tb, now() - t0);
		}
		snprintf(pat, sizeof(pat), "%s/patterns-%u", dir, counts[i]);
		f = fopen(pat, "wx");
		if (!f || mask_foreach_pattern(m, write_pattern, f) ||
		    fclose(f))
			die(pat, "cannot write");
		(void)run_masker(m, log, buf, &outlen);   /* warm the cache */
		for (r = 0; r < RUNS; r++) {
			tm = min2(tm, run_masker(m, log, buf, &outlen));
			tg = min2(tg, run_grep(pat, log, count));
			ts = min2(ts, run_grep(pat, empty, count));
		}
		scan = (tg - ts) / tm;
		ratio = tg / (tm + tb);
		printf("%8u %8zu | %9.3f %9.3f %9.0f | %9.3f %9.3f %9.0f | %6.1fx %6.1fx %5.0fx%s\n",
		       counts[i], svc_masker_patterns(m), tm, tb, mb / tm, tg,
		       ts, mb / (tg - ts), scan, ratio, targets[i],
		       scan < targets[i] ? "  MISSED" : "");
		fflush(stdout);
		if (scan < targets[i])
			missed = 1;
		/* every secret appears in the log: with all, output shrinks */
		if (outlen == 0 || outlen > logsize ||
		    (counts[i] == NSECRETS && outlen == logsize))
			die("masker", "unexpected output size");
		if (!KEEP_LOG)
			unlink(pat);
		svc_masker_free(m);
	}
	free(buf);
	if (!KEEP_LOG) {
		unlink(log);
		unlink(empty);
		unlink(count);
		rmdir(dir);
	}
	printf("\nmask s: masking the log (read() included), without the "
	       "database build (build s)\n"
	       "grep MB/s: without grep's setup (its run on an empty file)\n"
	       "ratio: throughput, (grep s - setup s) / mask s (checked)\n"
	       "e2e: grep s / (mask s + build s)\n%s\n",
	       missed ? "a target was missed" : "all targets met");
	return missed;
}
