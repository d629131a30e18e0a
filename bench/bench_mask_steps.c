/*
 * bench_mask_steps.c - a step's masker start-up in a job with many
 * secrets, and secrets set between lines of output, against full rebuilds
 * measured in the same run.
 *
 * The job: 50 steps whose connections hold 1,000 secrets between them
 * (20 each, 20 to 40 bytes, some with %, ;, ", \ or a space so their forms
 * differ).  Every step masks all the job's connections' secrets, as the
 * agent does, plus its own: its broker token and the secret variables the
 * steps before it set (one each).  A step's masker start-up is: the masker
 * holding all that, compiled, and the step's two output streams (stdout,
 * stderr, reading logging commands) made and a first line written through
 * each.
 *
 *   - full rebuild (the baseline, what every step did before): a new
 *     masker, every secret added, the whole set compiled;
 *   - reused (what `svcconn-agent run` does): the job's masker built once,
 *     at its first step, the secrets its steps set added to it as they
 *     come; each step clones it (the compiled database shared) and adds
 *     its own token, compiled alone into a small layer.
 *
 * Then 50 secrets set between lines of output (`##vso[task.setsecret]`, a
 * line that prints it, 50 times) in a step of that job: with a full
 * rebuild per secret (the baseline) and with the layer.  Both outputs
 * must be the same, with every secret masked.
 *
 * Prints the median, the mean and the worst start-up of steps 2..50
 * reused, the median and the worst of
 * steps 2..11 with a full rebuild (every step costs the same there: ten
 * are enough, and keep the run short), the first step's, the ratio, and
 * the 50 secrets' times; exits 1 when the reused start-up's median is
 * over the goal (20 ms), 2 when the benchmark cannot run.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <svcconn/svcconn.h>
#include <svcconn/mask.h>

#include "mask/mask_int.h"
#include "util/buf.h"

#define BENCH_NAME "bench_mask_steps"
#include "bench_util.h"

#define STEPS 50
#define PER_STEP 20                     /* connection secrets per step */
#define NSECRETS (STEPS * PER_STEP)     /* 1,000 */
#define NSET 50                         /* secrets set between lines */
#define FULL_STEPS 11                   /* steps run with full rebuilds */
#define GOAL_MS 20.0

static void check(int rc, const char *what)
{
	if (rc)
		die(what, svc_error_last());
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

/* A value of min..min+20 bytes, one byte in eight an awkward one. */
static void make_value(char *out, size_t min, uint64_t *seed)
{
	static const char plain[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	static const char odd[] = "%;\"\\ -_.";
	size_t n = min + (size_t)(rnd(seed) % 21), i;

	for (i = 0; i < n; i++)
		out[i] = rnd(seed) % 8 == 0 ? odd[rnd(seed) % (sizeof(odd) - 1)]
					    : plain[rnd(seed) % (sizeof(plain) - 1)];
	out[n] = '\0';
}

/* The job: its connections' secrets, and each step's own. */
struct job {
	char conn[NSECRETS][48];        /**< the connections' secrets */
	char token[STEPS][64];          /**< each step's broker token */
	char var[STEPS][48];            /**< the secret variable step i set */
	char set[NSET][48];             /**< the secrets set between lines */
};

static void add(svc_masker *m, const char *v)
{
	check(svc_masker_add(m, v, strlen(v)), "add");
}

/* Where a stream's output goes: counted, and kept when asked. */
struct sink {
	size_t bytes;           /**< bytes written */
	svc_buf *keep;          /**< a copy, or NULL */
};

static int sink_write(void *ctx, const char *data, size_t len)
{
	struct sink *k = ctx;

	k->bytes += len;
	return k->keep ? buf_put(k->keep, data, len) : 0;
}

static svc_mask_stream *stream(svc_masker *m, struct sink *k)
{
	svc_mask_stream_options o;
	svc_mask_stream *s = NULL;

	memset(&o, 0, sizeof(o));
	o.version = SVC_MASK_STREAM_OPTIONS_VERSION;
	o.commands = 1;
	o.write = sink_write;
	o.write_ctx = k;
	check(svc_mask_stream_new(&s, m, &o), "stream");
	return s;
}

/* The step's own secrets: its token, the variables set before it. */
static void add_step_own(svc_masker *m, const struct job *j, int step)
{
	int i;

	add(m, j->token[step]);
	for (i = 0; i < step; i++)
		add(m, j->var[i]);
}

/* The step's two streams made, a first line through each. */
static void open_streams(svc_masker *m, svc_mask_stream **s,
			  struct sink *k)
{
	static const char line[] = "Starting: step\n";
	int i;

	for (i = 0; i < 2; i++) {
		s[i] = stream(m, &k[i]);
		check(svc_mask_stream_write(s[i], line, sizeof(line) - 1),
		      "write");
	}
}

static void close_streams(svc_mask_stream **s)
{
	svc_mask_stream_free(s[0]);
	svc_mask_stream_free(s[1]);
}

static int dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), dbl_cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/*
 * The start-up of the first steps steps (ms into t[]), with a full
 * rebuild per step (reuse 0) or a clone of the job's masker (reuse 1).
 */
static void run_job(const struct job *j, int reuse, int steps, double *t)
{
	svc_masker *base = NULL;
	int step, i;

	for (step = 0; step < steps; step++) {
		svc_mask_stream *s[2];
		struct sink k[2];
		svc_masker *m = NULL;
		double t0 = now();

		memset(k, 0, sizeof(k));
		if (reuse && !base) {
			/* the job's first step builds the job's masker */
			check(svc_masker_new(&base, NULL), "masker");
			for (i = 0; i < NSECRETS; i++)
				add(base, j->conn[i]);
			check(svc_masker_compile(base), "compile");
		}
		if (reuse) {
			/* the variable the step before set */
			if (step)
				add(base, j->var[step - 1]);
			check(svc_masker_clone(&m, base), "clone");
		} else {
			check(svc_masker_new(&m, NULL), "masker");
			for (i = 0; i < NSECRETS; i++)
				add(m, j->conn[i]);
		}
		add_step_own(m, j, step);
		check(svc_masker_compile(m), "compile");
		open_streams(m, s, k);
		t[step] = (now() - t0) * 1e3;
		close_streams(s);
		svc_masker_free(m);
	}
	svc_masker_free(base);
}

/*
 * NSET secrets set between lines of output in the job's second step;
 * layering picks full rebuilds (the baseline) or the layer.  Seconds;
 * the output into out.
 */
static double set_between_lines(const struct job *j, enum mask_layering mode,
				const svc_buf *text, svc_buf *out)
{
	svc_masker *base = NULL, *m = NULL;
	svc_mask_stream *s;
	struct sink k;
	double t0;
	int i;

	check(svc_masker_new(&base, NULL), "masker");
	for (i = 0; i < NSECRETS; i++)
		add(base, j->conn[i]);
	check(svc_masker_clone(&m, base), "clone");
	add_step_own(m, j, 1);
	check(svc_masker_compile(m), "compile");
	mask_set_layering(m, mode);
	memset(&k, 0, sizeof(k));
	k.keep = out;
	s = stream(m, &k);
	t0 = now();
	check(svc_mask_stream_write(s, text->ptr, text->len), "write");
	check(svc_mask_stream_finish(s), "finish");
	t0 = now() - t0;
	svc_mask_stream_free(s);
	svc_masker_free(m);
	svc_masker_free(base);
	return t0;
}

int main(void)
{
	static struct job j;
	double full[STEPS], reused[STEPS], first_full, first_reused;
	double full_med, reused_med, reused_max = 0, full_max = 0, t_full, t_layer;
	double reused_sum = 0;
	svc_buf text, out_full, out_layer;
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	int i, rc = 0;

	for (i = 0; i < NSECRETS; i++)
		make_value(j.conn[i], 20, &seed);
	for (i = 0; i < STEPS; i++) {
		make_value(j.token[i], 40, &seed);
		make_value(j.var[i], 16, &seed);
	}
	for (i = 0; i < NSET; i++)
		make_value(j.set[i], 16, &seed);

	printf("a %d-step job, %d secrets in its connections (%d a step), each step's token and the secret variables set before it\n",
	       STEPS, NSECRETS, PER_STEP);
	run_job(&j, 0, FULL_STEPS, full);
	run_job(&j, 1, STEPS, reused);
	first_full = full[0];
	first_reused = reused[0];
	for (i = 1; i < STEPS; i++) {
		if (i < FULL_STEPS && full[i] > full_max)
			full_max = full[i];
		if (reused[i] > reused_max)
			reused_max = reused[i];
		reused_sum += reused[i];
	}
	full_med = median(full + 1, FULL_STEPS - 1);
	reused_med = median(reused + 1, STEPS - 1);
	printf("  step start-up: full rebuild %.1f ms median (worst %.1f; steps 2..%d), reused %.2f ms median (worst %.2f; steps 2..%d): %.0fx; goal <= %.0f ms: %s\n",
	       full_med, full_max, FULL_STEPS, reused_med, reused_max, STEPS,
	       full_med / reused_med, GOAL_MS,
	       reused_med <= GOAL_MS ? "met" : "MISSED");
	printf("  reused, steps 2..%d: %.2f ms on average\n", STEPS,
	       reused_sum / (STEPS - 1));
	printf("  first step: full rebuild %.1f ms, reused %.1f ms (builds the job's masker)\n",
	       first_full, first_reused);
	if (reused_med > GOAL_MS)
		rc = 1;

	buf_init(&text, 0, 0);
	buf_init(&out_full, 0, 0);
	buf_init(&out_layer, 0, 0);
	for (i = 0; i < NSET; i++)
		if (buf_printf(&text, "##vso[task.setsecret]%s\nstep output %d: %s and %s\n",
			       j.set[i], i, j.set[i], j.conn[i * 7]))
			die("text", "out of memory");
	t_full = set_between_lines(&j, MASK_LAYER_NEVER, &text, &out_full);
	t_layer = set_between_lines(&j, MASK_LAYER_AUTO, &text, &out_layer);
	if (out_full.len != out_layer.len ||
	    memcmp(out_full.ptr, out_layer.ptr, out_full.len) != 0)
		die("50 secrets", "the outputs differ");
	for (i = 0; i < NSET; i++)
		if (out_layer.ptr && memmem(out_layer.ptr, out_layer.len, j.set[i],
					     strlen(j.set[i])))
			die("50 secrets", "a secret was not masked");
	printf("  %d secrets set between lines of output: full rebuild each %.2f s, layered %.3f s: %.0fx\n",
	       NSET, t_full, t_layer, t_full / t_layer);
	buf_clear(&text);
	buf_clear(&out_full);
	buf_clear(&out_layer);
	return rc;
}
