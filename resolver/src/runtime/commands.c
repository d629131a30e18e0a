/*
 * commands.c - what `svcconn-agent run` does with its steps' logging
 * commands, as the Azure Pipelines agent does with them (its
 * WorkerCommandManager and the task, build, telemetry, ... command
 * extensions).  Through the hooks (`svcconn-agent step`) none of this
 * runs: the agent that calls svcconn reads the commands itself.
 *
 *   task.logissue, task.issue   counted per step, job and run; shown as
 *                               "##[error]message" / "##[warning]message"
 *                               (with sourcepath: "path(line,col): type
 *                               code: message"); an empty message is
 *                               counted, not shown
 *   task.complete               the step's result: SucceededWithIssues
 *                               makes the step and its job so; Failed,
 *                               Canceled, Skipped, Abandoned fail it; any
 *                               other value is an invalid command
 *   task.debug                  shown as "##[debug]message" only when the
 *                               step's SYSTEM_DEBUG is true
 *   task.prependpath            the directory goes in front of PATH for
 *                               the job's later steps (as written, the
 *                               latest first; a repeated one moves first)
 *   build.updatebuildnumber     BUILD_BUILDNUMBER of the job's later steps
 *   build.addbuildtag           listed at the job's end
 *   task.addattachment, task.uploadfile, task.uploadsummary,
 *   build.uploadlog, build.uploadsummary
 *                               the file is checked (see open_upload) and,
 *                               with an output directory, copied to
 *                               DIR/JOB/TYPE/NAME; listed at the job's end
 *   task.settaskvariable        kept for the later executions of the same
 *                               task step (its post-job step), as
 *                               VSTS_TASKVARIABLE_<NAME>; a secret value
 *                               is masked
 *   task.setprogress, task.logdetail, telemetry.publish, artifact.*,
 *   results.*, codecoverage.publish, release.updatereleasename
 *                               accepted, nothing to do on this machine
 *
 * None of these lines is shown.  A command of an unknown area gives the
 * agent's warning; an unknown command of a known area, or one the agent
 * would refuse (a missing file, a missing property), gives its two error
 * lines and fails the step, as the agent's CommandResult does.  Every line
 * shown is masked with the step's masker, and so is every note kept for
 * the job's end.
 *
 * The agent process reads the files steps upload, outside the step's
 * sandbox: only a regular file under the step's working directory or one
 * of the job's directories that steps see is read, reached from there one
 * directory at a time without following any symbolic link, through no
 * directory the sandbox hides (compared by device and inode, on the
 * descriptors walked), readable by its permission bits, at most
 * UPLOAD_MAX bytes.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "svcconn/run.h"
#include "svcconn/secret.h"
#include "errors_int.h"
#include "mask/mask_int.h"
#include "runtime/runtime_int.h"
#include "util/buf.h"
#include "util/sandbox.h"

/* The agent's pointer to its documentation, in its messages. */
#define CMD_DOC "Please reference documentation (http://go.microsoft.com/fwlink/?LinkId=817296)"
/* Largest file a step may upload or attach. */
#define UPLOAD_MAX ((off_t)64 * 1024 * 1024)
/* Largest list of prepended directories, notes, paths. */
#define PREPEND_MAX ((size_t)64 * 1024)
#define NOTES_MAX ((size_t)1024 * 1024)
#define PATH_MAX_LEN ((size_t)4096)
/* Most directories hidden from steps that are compared. */
#define HIDDEN_MAX 64
/* Task variables a job's steps may set, in all. */
#define TASK_VARS_MAX 256
/* Most copies of one attachment name in one directory. */
#define COPIES_MAX 1000

/* A file's identity. */
struct fid {
	dev_t dev;              /**< its device */
	ino_t ino;              /**< its inode */
};

struct job_cmds {
	int out_dir;            /**< the output directory, or -1 */
	char *out_path;         /**< its path, for the notes */
	size_t run_warnings;    /**< warnings of the run */
	size_t run_errors;      /**< errors of the run */
	size_t run_issues;      /**< steps that succeeded with issues */
	char *copy_name;        /**< the job's directory under out_dir */
	char *roots[8];         /**< resolved: the working directory, then
				     the job's directories steps see */
	size_t nroots;          /**< entries in roots */
	struct fid hidden[HIDDEN_MAX]; /**< what steps cannot see */
	size_t nhidden;         /**< entries in hidden */
	svc_buf prepend;        /**< directories, each NUL-ended, oldest
				     first */
	char *build_number;     /**< build.updatebuildnumber, or NULL */
	svc_buf notes;          /**< masked lines for the job's end, each
				     NUL-ended */
	int job_result;         /**< JOB_CMDS_* of the job's steps, merged */
	svc_masker *m;          /**< the running step's masker */
	svc_mask_stream *disp;  /**< masks what is shown with m, one stream
				     for the step (not one per line) */
	svc_buf disp_out;       /**< what disp wrote */
	int debug;              /**< its SYSTEM_DEBUG is true */
	int step_result;        /**< its JOB_CMDS_* */
	char *step;             /**< the running step's id in the job */
	struct task_var *tv;    /**< task variables (task.settaskvariable) */
	size_t ntv;             /**< entries in tv */
};

/* A task variable: seen by the later executions of its task step only. */
struct task_var {
	char *step;             /**< the step's id in the job */
	char *name;             /**< as its environment names it */
	char *value;            /**< its value (wiped on free) */
	size_t len;             /**< bytes in value */
};

/* Where a step's lines go. */
struct shown {
	svc_step_output_fn out; /**< the step's output */
	void *ctx;              /**< its context */
	int fd;                 /**< the stream the command came on */
};

int job_cmds_new(struct job_cmds **out, const char *output_dir)
{
	struct job_cmds *c = calloc(1, sizeof(*c));

	if (!c)
		return error_oom();
	c->out_dir = -1;
	buf_init(&c->prepend, PREPEND_MAX, 0);
	buf_init(&c->notes, NOTES_MAX, 0);
	buf_init(&c->disp_out, 0, 0);
	if (output_dir) {
		if (mkdir(output_dir, 0700) && errno != EEXIST) {
			job_cmds_free(c);
			return error_set(SVC_ERROR, "cannot create '%s': %s",
					 output_dir, strerror(errno));
		}
		c->out_dir = open(output_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		c->out_path = realpath(output_dir, NULL);
		if (c->out_dir < 0 || !c->out_path) {
			int e = errno;

			job_cmds_free(c);
			return error_set(SVC_ERROR, "cannot open '%s': %s",
					 output_dir, strerror(e));
		}
	}
	*out = c;
	return 0;
}

static void job_clear(struct job_cmds *c)
{
	size_t i;

	for (i = 0; i < c->nroots; i++)
		free(c->roots[i]);
	c->nroots = 0;
	c->nhidden = 0;
	free(c->copy_name);
	c->copy_name = NULL;
	free(c->build_number);
	c->build_number = NULL;
	buf_reset(&c->prepend);
	buf_reset(&c->notes);
	c->job_result = JOB_CMDS_SUCCEEDED;
	for (i = 0; i < c->ntv; i++) {
		free(c->tv[i].step);
		free(c->tv[i].name);
		svc_secret_free(c->tv[i].value, c->tv[i].len);
	}
	free(c->tv);
	c->tv = NULL;
	c->ntv = 0;
	free(c->step);
	c->step = NULL;
}

void job_cmds_free(struct job_cmds *c)
{
	if (!c)
		return;
	job_clear(c);
	svc_mask_stream_free(c->disp);
	buf_clear(&c->disp_out);
	buf_clear(&c->prepend);
	buf_clear(&c->notes);
	if (c->out_dir >= 0)
		close(c->out_dir);
	free(c->out_path);
	free(c);
}

static void add_hidden(void *ctx, const char *path)
{
	struct job_cmds *c = ctx;
	struct stat st;

	if (c->nhidden < HIDDEN_MAX && stat(path, &st) == 0) {
		c->hidden[c->nhidden].dev = st.st_dev;
		c->hidden[c->nhidden].ino = st.st_ino;
		c->nhidden++;
	}
}

int job_cmds_job_begin(struct job_cmds *c, svc_store *st, const char *job_dir,
		       const char *workdir)
{
	struct sandbox *sb = NULL;
	svc_buf p = SVC_BUF_INIT;
	const char *base;
	char *abs = NULL;
	size_t i;
	int rc = 0;

	job_clear(c);
	if (!(c->roots[0] = realpath(workdir ? workdir : ".", NULL)))
		return error_set(SVC_ERROR, "cannot resolve '%s': %s",
				 workdir ? workdir : ".", strerror(errno));
	c->nroots = 1;
	if (!(abs = realpath(job_dir, NULL))) {
		rc = error_set(SVC_ERROR, "cannot resolve '%s': %s", job_dir,
			       strerror(errno));
		goto done;
	}
	for (i = 0; job_subdirs[i].name && c->nroots < 8 && !rc; i++) {
		if (i && !strcmp(job_subdirs[i].name, job_subdirs[i - 1].name))
			continue;
		buf_reset(&p);
		if (!(rc = buf_printf(&p, "%s/%s", abs, job_subdirs[i].name)) &&
		    !(c->roots[c->nroots++] = buf_detach(&p, NULL)))
			rc = error_oom();
	}
	if (rc || (rc = job_hidden_view(&sb, st, job_dir)))
		goto done;
	sandbox_each_hidden(sb, add_hidden, c);
	base = strrchr(abs, '/');
	if (!(c->copy_name = strdup(base ? base + 1 : abs)))
		rc = error_oom();
done:
	sandbox_free(sb);
	free(abs);
	buf_clear(&p);
	return rc;
}

/* Every directory of the prepend list, latest first, then cur. */
static int path_with_prepend(svc_buf *out, const struct job_cmds *c,
			     const char *cur)
{
	const char *p = c->prepend.ptr, *end = p + c->prepend.len, *q;
	int rc = 0;

	/* walk backwards over the NUL-ended entries */
	while (end > p && !rc) {
		q = end - 1;
		while (q > p && q[-1] != '\0')
			q--;
		if (out->len)
			rc = buf_putc(out, ':');
		if (!rc)
			rc = buf_puts(out, q);
		end = q;
	}
	/* the agent does not put it twice in front, nor leave a trailing
	 * separator (the working directory) when PATH is empty */
	if (rc || !cur || !*cur)
		return rc;
	if (strncmp(cur, out->ptr, out->len) == 0 && cur[out->len] == ':') {
		buf_reset(out);
		return buf_puts(out, cur);
	}
	return buf_printf(out, ":%s", cur);
}

int job_cmds_step_begin(struct job_cmds *c, svc_masker *m, svc_env *env,
			const char *step)
{
	const char *dbg = svc_env_get(env, "SYSTEM_DEBUG");
	svc_buf path = SVC_BUF_INIT;
	size_t i;
	int rc = 0;

	free(c->step);
	if (!(c->step = strdup(step ? step : "")))
		return error_oom();
	/* the task variables its earlier executions set (pre-job, main) */
	for (i = 0; i < c->ntv && !rc; i++)
		if (!strcmp(c->tv[i].step, c->step) &&
		    !(rc = svc_masker_add(m, c->tv[i].value, c->tv[i].len)))
			rc = svc_env_set(env, c->tv[i].name, c->tv[i].value);
	if (rc)
		return rc;
	c->m = m;
	c->debug = dbg && logcmd_is_true(dbg, strlen(dbg));
	c->step_result = JOB_CMDS_SUCCEEDED;
	if (c->prepend.len &&
	    !(rc = path_with_prepend(&path, c, svc_env_get(env, "PATH"))))
		rc = svc_env_set(env, "PATH", path.ptr);
	if (!rc && c->build_number)
		rc = svc_env_set(env, "BUILD_BUILDNUMBER", c->build_number);
	buf_clear(&path);
	return rc;
}

int job_cmds_step_end(struct job_cmds *c)
{
	int r = c->step_result;

	if (r == JOB_CMDS_ISSUES)
		c->run_issues++;
	if (r > c->job_result)
		c->job_result = r;
	job_cmds_step_detach(c);
	c->step_result = JOB_CMDS_SUCCEEDED;
	return r;
}

void job_cmds_step_detach(struct job_cmds *c)
{
	if (!c)
		return;
	svc_mask_stream_free(c->disp); /* it masks with the step's masker */
	c->disp = NULL;
	c->m = NULL;
}

int job_cmds_job_end(struct job_cmds *c, void (*say)(void *ctx, const char *note),
		     void *ctx)
{
	const char *p = c->notes.ptr, *end = p + c->notes.len;
	int r = c->job_result;

	while (p && p < end) {
		say(ctx, p);
		p += strlen(p) + 1;
	}
	job_clear(c);
	return r;
}

void job_cmds_counts(const struct job_cmds *c, size_t *warnings,
		     size_t *errors, size_t *issues)
{
	*warnings = c->run_warnings;
	*errors = c->run_errors;
	*issues = c->run_issues;
}

/* ---- showing ---- */

static int disp_write(void *ctx, const char *data, size_t len)
{
	return buf_put(ctx, data, len);
}

/* Mask text (len bytes) into c->disp_out. */
static int mask_text(struct job_cmds *c, const char *text, size_t len)
{
	int rc;

	buf_reset(&c->disp_out);
	if (!c->disp) {
		svc_mask_stream_options o;

		memset(&o, 0, sizeof(o));
		o.version = SVC_MASK_STREAM_OPTIONS_VERSION;
		o.write = disp_write;
		o.write_ctx = &c->disp_out;
		if ((rc = svc_mask_stream_new(&c->disp, c->m, &o)))
			return rc;
	}
	if ((rc = svc_mask_stream_write(c->disp, text, len)))
		return rc;
	return svc_mask_stream_finish(c->disp);
}

/* Write text (len bytes) and a newline to the step's output, masked. */
static int show(struct job_cmds *c, const struct shown *sh, const char *tag,
		const char *text, size_t len)
{
	svc_buf b = SVC_BUF_INIT;
	int rc;

	buf_init(&b, 0, 1);
	if (!(rc = buf_puts(&b, tag)) && !(rc = buf_put(&b, text, len)) &&
	    !(rc = buf_putc(&b, '\n')) &&
	    !(rc = mask_text(c, b.ptr, b.len)) && sh->out)
		sh->out(sh->ctx, sh->fd, c->disp_out.ptr, c->disp_out.len);
	buf_clear(&b);
	return rc;
}

/* An issue: counted, and shown unless its message is empty. */
static int issue(struct job_cmds *c, const struct shown *sh, int error,
		 const char *msg, size_t len)
{
	if (error)
		c->run_errors++;
	else
		c->run_warnings++;
	return len ? show(c, sh, error ? "##[error]" : "##[warning]", msg, len)
		   : 0;
}

/* Format into b, a new wiping buffer. */
static int vformat(svc_buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static int vformat(svc_buf *b, const char *fmt, va_list ap)
{
	buf_init(b, 0, 1);
	return buf_vprintf(b, fmt, ap);
}

static int issuef(struct job_cmds *c, const struct shown *sh, int error,
		  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int issuef(struct job_cmds *c, const struct shown *sh, int error,
		  const char *fmt, ...)
{
	svc_buf b = SVC_BUF_INIT;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vformat(&b, fmt, ap);
	va_end(ap);
	if (!rc)
		rc = issue(c, sh, error, b.ptr, b.len);
	buf_clear(&b);
	return rc;
}

/* A note for the job's end, masked now (the step's masker goes). */
static int notef(struct job_cmds *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int notef(struct job_cmds *c, const char *fmt, ...)
{
	svc_buf b = SVC_BUF_INIT;
	char *masked;
	size_t i;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vformat(&b, fmt, ap);
	va_end(ap);
	if (!rc && !(rc = mask_text(c, b.ptr, b.len))) {
		/* one line each: control characters as '?' */
		masked = c->disp_out.ptr;
		for (i = 0; i < c->disp_out.len; i++)
			if ((unsigned char)masked[i] < 0x20 || masked[i] == 0x7f)
				masked[i] = '?';
		if (!(rc = buf_put(&c->notes, masked, c->disp_out.len)))
			rc = buf_putc(&c->notes, '\0');
	}
	buf_clear(&b);
	return rc;
}

/* ---- the commands ---- */

/* What a command handler refuses with: the agent's exception message. */
#define refuse(...) error_set(SVC_EINVALID, __VA_ARGS__)

/* The data as a C string: NULL (after setting the error) if it holds NUL. */
static const char *data_str(const svc_mask_event *ev)
{
	if (strlen(ev->value) != ev->value_len) {
		refuse("the data holds a NUL character");
		return NULL;
	}
	return ev->value;
}

static int on_complete(struct job_cmds *c, const svc_mask_event *ev,
		       const struct shown *sh)
{
	static const char *const names[] = { "Succeeded", "SucceededWithIssues",
		"Failed", "Canceled", "Skipped", "Abandoned" };
	size_t len = 0, i, n;
	const char *v = svc_mask_event_prop(ev, "result", &len);
	long r = -1;

	(void)sh;
	/* .NET's Enum.TryParse: the names as written, or a number */
	while (v && len && (*v == ' ' || *v == '\t')) {
		v++;
		len--;
	}
	while (v && len && (v[len - 1] == ' ' || v[len - 1] == '\t'))
		len--;
	for (i = 0; v && i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == len && !memcmp(v, names[i], len))
			r = (long)i;
	for (n = 0; v && r < 0 && n < len && n < 9 && v[n] >= '0' && v[n] <= '9'; n++)
		;
	if (v && r < 0 && n && n == len)
		r = strtol(v, NULL, 10);
	if (r < 0)
		return refuse("Command doesn't have valid result value.");
	if (r == 1 && c->step_result < JOB_CMDS_ISSUES)
		c->step_result = JOB_CMDS_ISSUES;
	else if (r >= 2)
		c->step_result = JOB_CMDS_FAILED;
	return 0;
}

static int on_issue(struct job_cmds *c, const svc_mask_event *ev,
		    const struct shown *sh)
{
	size_t tlen = 0;
	const char *type = svc_mask_event_prop(ev, "type", &tlen);
	const char *sp = svc_mask_event_prop(ev, "sourcepath", NULL);
	const char *ln = svc_mask_event_prop(ev, "linenumber", NULL);
	const char *col = svc_mask_event_prop(ev, "columnnumber", NULL);
	const char *code = svc_mask_event_prop(ev, "code", NULL);
	int error;

	if (!type)
		return issuef(c, sh, 0, "Can't create TaskIssue from logging event.");
	if (!strcasecmp(type, "error"))
		error = 1;
	else if (!strcasecmp(type, "warning"))
		error = 0;
	else
		return refuse("issue type %.*s is not an expected issue type.",
			      (int)(tlen > 64 ? 64 : tlen), type);
	if (!sp)
		return issue(c, sh, error, ev->value, ev->value_len);
	/* e.g. "Program.cs(13,18): error CS1002: ; expected" */
	return issuef(c, sh, error, "%s(%s,%s): %s %s: %.*s", sp, ln ? ln : "",
		      col ? col : "", type, code ? code : "", (int)ev->value_len,
		      ev->value);
}

static int on_debug(struct job_cmds *c, const svc_mask_event *ev,
		    const struct shown *sh)
{
	return c->debug ? show(c, sh, "##[debug]", ev->value, ev->value_len) : 0;
}

static int on_prependpath(struct job_cmds *c, const svc_mask_event *ev,
			  const struct shown *sh)
{
	const char *v = data_str(ev);
	char *p, *end;
	size_t len;

	(void)sh;
	if (!v)
		return SVC_EINVALID;
	if (!*v)
		return refuse("Value cannot be null. (Parameter 'prependpath')");
	/* a directory given again moves to the front */
	p = c->prepend.ptr;
	end = p ? p + c->prepend.len : NULL;
	while (p && p < end) {
		len = strlen(p) + 1;
		if (!strcmp(p, v)) {
			memmove(p, p + len, (size_t)(end - p) - len);
			c->prepend.len -= len;
			end -= len;
			continue;
		}
		p += len;
	}
	if (buf_put(&c->prepend, v, ev->value_len + 1))
		return refuse("too many directories prepended to PATH (at most %zu bytes)",
			      PREPEND_MAX);
	return 0;
}

static int on_buildnumber(struct job_cmds *c, const svc_mask_event *ev,
			  const struct shown *sh)
{
	const char *v = data_str(ev);
	char *copy;

	(void)sh;
	if (!v)
		return SVC_EINVALID;
	if (!*v)
		return refuse("Build number is required.");
	if (!(copy = strdup(v)))
		return error_oom();
	free(c->build_number);
	c->build_number = copy;
	return notef(c, "build number '%s'", v);
}

static int on_buildtag(struct job_cmds *c, const svc_mask_event *ev,
		       const struct shown *sh)
{
	const char *v = data_str(ev);
	size_t len;

	(void)sh;
	if (!v)
		return SVC_EINVALID;
	len = ev->value_len;
	while (len && strchr(" \t\r\n\v\f", *v)) {
		v++;
		len--;
	}
	while (len && strchr(" \t\r\n\v\f", v[len - 1]))
		len--;
	if (!len)
		return refuse("Build tag is required.");
	return notef(c, "build tag '%.*s'", (int)len, v);
}

static int on_settaskvariable(struct job_cmds *c, const svc_mask_event *ev,
			      const struct shown *sh)
{
	size_t len = 0;
	const char *s = svc_mask_event_prop(ev, "issecret", &len);

	const char *name = svc_mask_event_prop(ev, "variable", NULL);
	struct task_var *tv;
	svc_buf env = SVC_BUF_INIT;
	size_t i;
	int rc;

	(void)sh;
	if (!name || !*name)
		return refuse("Task variable name is required.");
	/* the agent masks a secret one; the job's later steps do not get it */
	if (s && logcmd_is_true(s, len) && ev->value_len &&
	    (rc = svc_masker_add(c->m, ev->value, ev->value_len)))
		return rc;
	/* the later executions of the same task step get it, as the task
	 * library reads it: VSTS_TASKVARIABLE_ and the name as a key */
	if ((rc = buf_puts(&env, "VSTS_TASKVARIABLE_")))
		return rc;
	for (i = 0; name[i] && !rc; i++) {
		unsigned char ch = (unsigned char)name[i];

		if (!isalnum(ch) && !strchr("._- ", ch))
			rc = refuse("Task variable name is not valid.");
		else
			rc = buf_putc(&env, ch == '.' || ch == ' ' ? '_'
				      : (char)toupper(ch));
	}
	for (i = 0; !rc && i < c->ntv; i++)
		if (!strcmp(c->tv[i].step, c->step ? c->step : "") &&
		    !strcmp(c->tv[i].name, env.ptr))
			break;
	if (!rc && i == c->ntv) {
		if (c->ntv >= TASK_VARS_MAX)
			rc = refuse("Too many task variables.");
		else if (!(tv = realloc(c->tv, (c->ntv + 1) * sizeof(*tv))))
			rc = error_oom();
		else {
			c->tv = tv;
			memset(&tv[c->ntv], 0, sizeof(*tv));
			if (!(tv[c->ntv].step = strdup(c->step ? c->step : "")) ||
			    !(tv[c->ntv].name = strdup(env.ptr))) {
				free(tv[c->ntv].step);
				rc = error_oom();
			} else
				c->ntv++;
		}
	}
	if (!rc) {
		char *v = malloc(ev->value_len + 1);

		if (!v)
			rc = error_oom();
		else {
			memcpy(v, ev->value, ev->value_len);
			v[ev->value_len] = '\0';
			svc_secret_free(c->tv[i].value, c->tv[i].len);
			c->tv[i].value = v;
			c->tv[i].len = ev->value_len;
		}
	}
	buf_clear(&env);
	return rc;
}

/* ---- uploads ---- */

static int is_hidden(const struct job_cmds *c, const struct stat *st)
{
	size_t i;

	for (i = 0; i < c->nhidden; i++)
		if (c->hidden[i].dev == st->st_dev && c->hidden[i].ino == st->st_ino)
			return 1;
	return 0;
}

/* Readable by its mode bits for this process's user and groups. */
static int readable(const struct stat *st)
{
	gid_t groups[256];
	int n, i;

	if (st->st_uid == geteuid())
		return (st->st_mode & S_IRUSR) != 0;
	if (st->st_gid == getegid())
		return (st->st_mode & S_IRGRP) != 0;
	n = getgroups(256, groups);
	for (i = 0; i < n; i++)
		if (groups[i] == st->st_gid)
			return (st->st_mode & S_IRGRP) != 0;
	return (st->st_mode & S_IROTH) != 0;
}

/* The root that path (absolute) lies under, and the rest after it. */
static const char *under_root(const struct job_cmds *c, const char *path,
			      size_t *root)
{
	size_t i, best = 0, blen = 0;

	for (i = 0; i < c->nroots; i++) {
		size_t l = strlen(c->roots[i]);

		if (l > blen && !strncmp(path, c->roots[i], l) &&
		    (path[l] == '/' || (l == 1 && path[0] == '/'))) {
			best = i;
			blen = l;
		}
	}
	if (!blen)
		return NULL;
	*root = best;
	return path + blen;
}

/*
 * Open path (absolute, or relative to the working directory) for reading:
 * see the top of the file.  *fd and *st on success.
 */
static int open_upload(const struct job_cmds *c, const char *path, int *fd,
		       struct stat *st)
{
	char comp[PATH_MAX_LEN];
	const char *rest = path, *p;
	size_t root = 0, len;
	int dir = -1, next, rc = 0;

	if (!c->nroots)
		return refuse("no directory to read '%s' from", path);
	if (strlen(path) >= PATH_MAX_LEN)
		return refuse("'%s' is too long", path);
	if (path[0] == '/' && !(rest = under_root(c, path, &root)))
		return refuse("'%s' is not under the working directory or the job's directories",
			      path);
	dir = open(c->roots[root], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return error_set(SVC_ERROR, "cannot open '%s': %s",
				 c->roots[root], strerror(errno));
	for (p = rest; !rc;) {
		while (*p == '/')
			p++;
		len = strcspn(p, "/");
		if (!len) {
			rc = refuse("'%s' is a directory", path);
			break;
		}
		memcpy(comp, p, len);
		comp[len] = '\0';
		p += len;
		while (*p == '/')
			p++;
		if (!strcmp(comp, ".."))
			rc = refuse("'%s' goes up with '..'", path);
		else if (!strcmp(comp, ".") && *p)
			continue;
		if (rc)
			break;
		if (*p) {
			next = openat(dir, comp, O_RDONLY | O_DIRECTORY |
				      O_NOFOLLOW | O_CLOEXEC);
		} else {
			next = openat(dir, comp, O_RDONLY | O_NOFOLLOW |
				      O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
		}
		if (next < 0) {
			rc = errno == ELOOP || errno == ENOTDIR
				? refuse("'%s' goes through a symbolic link or a file", path)
				: errno == EACCES ? refuse("'%s' is not readable", path)
				: refuse("cannot open '%s': %s", path, strerror(errno));
			break;
		}
		close(dir);
		dir = next;
		if (fstat(dir, st)) {
			rc = error_set(SVC_ERROR, "cannot read '%s': %s", path,
				       strerror(errno));
		} else if (is_hidden(c, st)) {
			rc = refuse("'%s' is hidden from steps", path);
		} else if (!*p) {
			if (!S_ISREG(st->st_mode))
				rc = refuse("'%s' is not a regular file", path);
			else if (!readable(st))
				rc = refuse("'%s' is not readable", path);
			else if (st->st_size > UPLOAD_MAX)
				rc = refuse("'%s' is larger than %lld bytes", path,
					    (long long)UPLOAD_MAX);
			else
				break;
		}
	}
	if (rc) {
		if (dir >= 0)
			close(dir);
		return rc;
	}
	*fd = dir;
	return 0;
}

/* Make and open directory name in dir (not through a symbolic link). */
static int sub_dir(int dir, const char *name)
{
	if (mkdirat(dir, name, 0700) && errno != EEXIST)
		return -1;
	return openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* Copy the open file in to out_dir/JOB/type/name (name.1, ... if taken). */
static int keep_copy(struct job_cmds *c, int in, const char *type,
		     const char *name, svc_buf *kept)
{
	char chunk[65536], fname[PATH_MAX_LEN];
	int jd = -1, td = -1, out = -1, rc = 0, i;
	off_t total = 0;
	ssize_t n;

	if ((jd = sub_dir(c->out_dir, c->copy_name)) < 0 ||
	    (td = sub_dir(jd, type)) < 0) {
		rc = error_set(SVC_ERROR, "cannot make '%s/%s/%s': %s", c->out_path,
			       c->copy_name, type, strerror(errno));
		goto done;
	}
	for (i = 0; i < COPIES_MAX && out < 0; i++) {
		if (i)
			snprintf(fname, sizeof(fname), "%s.%d", name, i);
		else
			snprintf(fname, sizeof(fname), "%s", name);
		out = openat(td, fname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
			     O_CLOEXEC, 0600);
		if (out < 0 && errno != EEXIST)
			break;
	}
	if (out < 0) {
		rc = error_set(SVC_ERROR, "cannot create a copy of '%s' in '%s/%s/%s': %s",
			       name, c->out_path, c->copy_name, type, strerror(errno));
		goto done;
	}
	while ((n = read(in, chunk, sizeof(chunk))) != 0 && !rc) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || (total += n) > UPLOAD_MAX ||
		    write(out, chunk, (size_t)n) != n)
			rc = error_set(SVC_ERROR, "cannot copy '%s' to '%s/%s/%s'",
				       name, c->out_path, c->copy_name, type);
	}
	if (!rc)
		rc = buf_printf(kept, "%s/%s/%s/%s", c->out_path, c->copy_name,
				type, fname);
	else
		unlinkat(td, fname, 0);
done:
	if (out >= 0)
		close(out);
	if (td >= 0)
		close(td);
	if (jd >= 0)
		close(jd);
	return rc;
}

/* A type or a name as the agent takes it (no '/'), and as a file name. */
static int bad_name(const char *s)
{
	const char *p;

	if (!strcmp(s, ".") || !strcmp(s, ".."))
		return 1;
	for (p = s; *p; p++)
		if (*p == '/' || (unsigned char)*p < 0x20 || *p == 0x7f)
			return 1;
	return 0;
}

/* Attach the file path as type and name; missing: the agent's words. */
static int attach(struct job_cmds *c, const char *type, const char *name,
		  const char *path, const char *missing)
{
	svc_buf kept = SVC_BUF_INIT;
	struct stat st;
	int fd = -1, rc;

	if (!type || !*type)
		return refuse("Can't add task attachment, attachment type is not provided.");
	if (!name || !*name)
		return refuse("Can't add task attachment, attachment name is not provided.");
	if (bad_name(type))
		return refuse("Type contains invalid characters.");
	if (bad_name(name))
		return refuse("Name contains invalid characters.");
	if (!path || !*path)
		return refuse("%s", missing);
	if ((rc = open_upload(c, path, &fd, &st))) {
		char why[1024];

		snprintf(why, sizeof(why), "%s", svc_error_last());
		return refuse("%s (%s)", missing, why);
	}
	if (c->out_dir >= 0 && !(rc = keep_copy(c, fd, type, name, &kept)))
		rc = notef(c, "attachment '%s' (%s): kept as %s", name, type,
			   kept.ptr);
	else if (c->out_dir < 0)
		rc = notef(c, "attachment '%s' (%s) from %s: not kept (no --output-dir)",
			   name, type, path);
	close(fd);
	buf_clear(&kept);
	return rc;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

static int on_addattachment(struct job_cmds *c, const svc_mask_event *ev,
			    const struct shown *sh)
{
	const char *path = data_str(ev);

	(void)sh;
	return path ? attach(c, svc_mask_event_prop(ev, "type", NULL),
			     svc_mask_event_prop(ev, "name", NULL), path,
			     "Cannot upload task attachment file, attachment file location is not specified or attachment file does not exist on disk.")
		    : SVC_EINVALID;
}

/* task.uploadfile and task.uploadsummary: type, named for the file. */
static int upload_named(struct job_cmds *c, const svc_mask_event *ev,
			const char *type, const char *empty)
{
	const char *path = data_str(ev);

	if (!path)
		return SVC_EINVALID;
	if (!*path)
		return refuse("%s", empty);
	return attach(c, type, base_name(path), path,
		      "Cannot upload task attachment file, attachment file location is not specified or attachment file does not exist on disk.");
}

static int on_uploadfile(struct job_cmds *c, const svc_mask_event *ev,
			 const struct shown *sh)
{
	(void)sh;
	return upload_named(c, ev, "DistributedTask.Core.FileAttachment",
			    "Cannot upload file because file location is not specified.");
}

static int on_uploadsummary(struct job_cmds *c, const svc_mask_event *ev,
			    const struct shown *sh)
{
	(void)sh;
	return upload_named(c, ev, "DistributedTask.Core.Summary",
			    "Cannot upload summary file, summary file location is not specified.");
}

static int on_uploadlog(struct job_cmds *c, const svc_mask_event *ev,
			const struct shown *sh)
{
	const char *path = data_str(ev);
	svc_buf miss = SVC_BUF_INIT;
	int rc;

	(void)sh;
	if (!path)
		return SVC_EINVALID;
	if ((rc = buf_printf(&miss, "Log file path is not provided or file doesn't exist: '%s'",
			     path)))
		return rc;
	rc = attach(c, "DistributedTask.Core.Log", "CustomToolLog", path, miss.ptr);
	buf_clear(&miss);
	return rc;
}

static int on_build_uploadsummary(struct job_cmds *c, const svc_mask_event *ev,
				  const struct shown *sh)
{
	const char *path = data_str(ev);
	svc_buf miss = SVC_BUF_INIT, name = SVC_BUF_INIT;
	int rc;

	(void)sh;
	if (!path)
		return SVC_EINVALID;
	if (!(rc = buf_printf(&miss, "Markdown summary file path is not provided or file doesn't exist: '%s'",
			      path)) &&
	    !(rc = buf_printf(&name, "CustomMarkDownSummary-%s", base_name(path))))
		rc = attach(c, "DistributedTask.Core.Summary", name.ptr, path,
			    miss.ptr);
	buf_clear(&miss);
	buf_clear(&name);
	return rc;
}

/* ---- dispatch ---- */

typedef int (*cmd_fn)(struct job_cmds *c, const svc_mask_event *ev,
		      const struct shown *sh);

/* The agent's commands, by lower-case "area.event"; NULL: accepted. */
static const struct {
	const char *name;       /**< "area.event" */
	cmd_fn fn;              /**< what it does here */
} commands[] = {
	{ "task.debug", on_debug },
	{ "task.prependpath", on_prependpath },
	{ "task.addattachment", on_addattachment },
	{ "task.uploadfile", on_uploadfile },
	{ "task.uploadsummary", on_uploadsummary },
	{ "task.settaskvariable", on_settaskvariable },
	{ "task.setprogress", NULL },
	{ "task.logdetail", NULL },
	{ "build.uploadlog", on_uploadlog },
	{ "build.uploadsummary", on_build_uploadsummary },
	{ "build.updatebuildnumber", on_buildnumber },
	{ "build.addbuildtag", on_buildtag },
	{ "artifact.associate", NULL },
	{ "artifact.upload", NULL },
	{ "codecoverage.publish", NULL },
	{ "release.updatereleasename", NULL },
	{ "results.publish", NULL },
	{ "results.publishtoevidencestore", NULL },
	{ "telemetry.publish", NULL },
};

/* 1 when area (up to the '.') is one the agent has commands for. */
static int known_area(const char *name)
{
	static const char *const areas[] = { "task", "build", "artifact",
		"codecoverage", "release", "results", "telemetry" };
	size_t i, len = strcspn(name, ".");

	for (i = 0; i < sizeof(areas) / sizeof(areas[0]); i++)
		if (strlen(areas[i]) == len && !strncmp(name, areas[i], len))
			return 1;
	return 0;
}

int job_cmds_event(struct job_cmds *c, const svc_mask_event *ev,
		   svc_step_output_fn out, void *ctx, int fd)
{
	struct shown sh = { out, ctx, fd };
	const char *name = ev->name ? ev->name : "";
	size_t i;
	int rc = 0, found = 0;

	if (!c->m)
		return 0;       /* no step of ours is running */
	switch (ev->kind) {
	case SVC_MASK_EVENT_COMPLETE:
		name = "task.complete";
		rc = on_complete(c, ev, &sh);
		break;
	case SVC_MASK_EVENT_ISSUE:
		name = "task.logissue";
		rc = on_issue(c, ev, &sh);
		break;
	case SVC_MASK_EVENT_COMMAND:
		for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
			if (!strcmp(commands[i].name, name)) {
				found = 1;
				rc = commands[i].fn ? commands[i].fn(c, ev, &sh) : 0;
				break;
			}
		if (!found && !known_area(name)) {
			rc = issuef(c, &sh, 0, "Cannot find command extension for ##vso[%.*s.command]. " CMD_DOC,
				    (int)strcspn(name, "."), name);
			return rc ? rc : SVC_MASK_EVENT_HANDLED;
		}
		if (!found)
			rc = refuse("##vso[%s] is not a recognized command for %.*s command extension. " CMD_DOC ".",
				    name, (int)strcspn(name, "."), name);
		break;
	default:
		return 0;
	}
	if (rc < 0) {
		/* the agent's words, and its CommandResult: the step fails */
		svc_buf why = SVC_BUF_INIT;

		c->step_result = JOB_CMDS_FAILED;
		if (!(rc = buf_puts(&why, svc_error_last())) &&
		    !(rc = issuef(c, &sh, 1, "Unable to process command '##vso[%s]%.*s' successfully. " CMD_DOC,
				  name, (int)(ev->value_len > 200 ? 200 : ev->value_len),
				  ev->value)))
			rc = issue(c, &sh, 1, why.ptr, why.len);
		buf_clear(&why);
	}
	return rc ? rc : SVC_MASK_EVENT_HANDLED;
}

int job_cmds_step_failed(const struct job_cmds *c)
{
	return c->step_result == JOB_CMDS_FAILED;
}
