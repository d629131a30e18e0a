/*
 * run.c - running a pipeline on this machine: stage by stage, job by job,
 * step by step, each job gated like an agent's job (svc_job_start), each
 * step in a fresh environment with its own connections (svc_job_step_env).
 *
 * script: and bash: steps run through bash (the script is written into the
 * job's private directory and run with -e -o pipefail, as the agent does);
 * task: steps through their manifest's handler (the Node handlers with
 * node, svcconn's Bash handler with bash); checkout: self is the working
 * directory.  Output goes to the caller's callback as it comes, tagged with
 * the job and step; the caller masks and prints it.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "svcconn/broker.h"
#include "svcconn/run.h"
#include "svcconn/secret.h"
#include "errors_int.h"
#include "pipeline/fetch.h"
#include "runtime/runtime_int.h"
#include "store/store_int.h"
#include "util/buf.h"
#include "util/fileio.h"
#include "util/sandbox.h"

/* What one run shares with every job. */
struct runner {
	const svc_run_options *o;   /**< the options */
	svc_store *st;              /**< the store */
	const svc_catalog *cat;     /**< the catalog */
	size_t steps_run;           /**< steps run so far */
	size_t steps_failed;        /**< of those, failed */
	size_t steps_skipped;       /**< steps skipped (forks) */
	svc_step_vars *vars;        /**< variables set by the job's steps */
	const svc_plan *plan;       /**< the pipeline */
	const char *stage;          /**< the running step's stage */
	const char *job;            /**< its job */
	const char *label;          /**< its label */
	struct job_cmds *cmds;      /**< what the steps' commands did */
};

/* A running step's masked output, to the caller's callback. */
static void step_output(void *ctx, int fd, const char *data, size_t len)
{
	struct runner *r = ctx;

	if (r->o->output)
		r->o->output(r->o->ctx, r->stage, r->job, r->label, fd, data, len);
}

static void say(const struct runner *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void say(const struct runner *r, const char *fmt, ...)
{
	svc_buf b = SVC_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	if (r->o->event && b.ptr)
		r->o->event(r->o->ctx, b.ptr);
	buf_clear(&b);
}

static int same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Where a step's masked output goes, and what its commands set. */
struct step_io {
	svc_step_output_fn output;  /**< the caller's output callback */
	void *ctx;                  /**< its context */
	int fd;                     /**< 1 or 2, for the stream being written */
	svc_step_vars *vars;        /**< secret variables set, or NULL */
	const char *job_dir;        /**< the job's directory */
	int *failed;                /**< set when the step says it failed
				         (task.complete result=Failed or
				         Cancelled) */
	struct job_cmds *cmds;      /**< run: acts on the commands; the
				         hooks: NULL, the agent does */
};

static int masked_write(void *ctx, const char *data, size_t len)
{
	struct step_io *io = ctx;

	if (io->output && len)
		io->output(io->ctx, io->fd, data, len);
	return 0;
}

static int on_command(void *ctx, const svc_mask_event *ev)
{
	struct step_io *io = ctx;

	if (io->cmds && (ev->kind == SVC_MASK_EVENT_COMPLETE ||
			 ev->kind == SVC_MASK_EVENT_ISSUE ||
			 ev->kind == SVC_MASK_EVENT_COMMAND))
		return job_cmds_event(io->cmds, ev, io->output, io->ctx, io->fd);
	switch (ev->kind) {
	case SVC_MASK_EVENT_COMMAND:
		return 0; /* for the agent that runs the step */
	case SVC_MASK_EVENT_COMPLETE:
		/* how real tasks fail: tl.setResult(Failed), then exit 0 */
		if (!strcasecmp(ev->name, "Failed") ||
		    !strcasecmp(ev->name, "Cancelled") ||
		    !strcasecmp(ev->name, "Canceled"))
			*io->failed = 1;
		return 0;
	case SVC_MASK_EVENT_ISSUE:
		return 0; /* shown as written */
	case SVC_MASK_EVENT_SETVARIABLE:
		if (!ev->is_secret)
			/* without a broker the agent keeps its own */
			return io->vars ? svc_step_vars_set_public(io->vars,
					ev->name, ev->value, ev->value_len) : 0;
		if (!io->vars)
			return error_set(SVC_EINVALID,
					 "secret variables need the job's broker (job-start starts it) or 'svcconn-agent run': this step cannot pass them on");
		return svc_step_vars_set(io->vars, ev->name, ev->value,
					 ev->value_len);
	case SVC_MASK_EVENT_SETENDPOINT:
		if (!io->vars)
			return error_set(SVC_EINVALID,
					 "task.setendpoint needs the job's broker (job-start starts it) or 'svcconn-agent run': this step cannot pass it on");
		if (!svc_job_has_connection(io->job_dir, ev->id))
			return error_set(SVC_EDENIED,
					 "connection '%s' is not one of this job's", ev->id);
		return svc_step_vars_endpoint(io->vars, ev->id, ev->field,
					      ev->name, ev->value, ev->value_len);
	default:
		/* setsecret: this step's masker has it already; the job's
		 * later steps mask it too, as the agent does */
		return io->vars ? svc_step_vars_add_secret(io->vars, ev->value,
							   ev->value_len) : 0;
	}
}

/* Hide path joined from a and b (b may be NULL). */
static int hide_joined(struct sandbox *sb, const char *a, const char *b)
{
	svc_buf p = SVC_BUF_INIT;
	int rc;

	if (!a || !*a)
		return 0;
	if (!(rc = buf_printf(&p, "%s%s", a, b ? b : "")))
		rc = sandbox_hide(sb, p.ptr);
	buf_clear(&p);
	return rc;
}

/* Show name of the job directory (abs) at the same place, when it exists. */
static int show_job_file(struct sandbox *sb, const char *abs, const char *name,
			 int writable)
{
	svc_buf p = SVC_BUF_INIT;
	int rc;

	if (!(rc = buf_printf(&p, "%s/%s", abs, name)) &&
	    (rc = sandbox_show(sb, p.ptr, p.ptr, writable)) == SVC_ENOTFOUND) {
		svc_error_clear();
		rc = 0;
	}
	buf_clear(&p);
	return rc;
}

/* Make the job's directories its steps see, and show them. */
static int show_job_dirs(struct sandbox *sb, const char *abs)
{
	svc_buf p = SVC_BUF_INIT;
	size_t i;
	int rc = 0;

	for (i = 0; job_subdirs[i].name && !rc; i++) {
		if (i && !strcmp(job_subdirs[i].name, job_subdirs[i - 1].name))
			continue; /* one directory, two names */
		buf_reset(&p);
		if (!(rc = buf_printf(&p, "%s/%s", abs, job_subdirs[i].name)) &&
		    !(rc = dir_ensure_private(p.ptr)))
			rc = sandbox_show(sb, p.ptr, p.ptr, 1);
	}
	buf_clear(&p);
	return rc;
}

/*
 * Hide what no step may see: the store's directory and key, the user's
 * default store, the jobs root and the job's directory (abs).  Also what
 * job_hidden_view() gives commands.c.
 */
static int hide_store_and_jobs(struct sandbox *sb, svc_store *st,
			       const char *abs)
{
	char *root = NULL;
	int rc;

	if (!(rc = svc_jobs_root(&root)) &&
	    !(rc = sandbox_hide(sb, st->home)) &&
	    !(rc = sandbox_hide(sb, st->key_file)) &&
	    !(rc = hide_joined(sb, getenv("SVCCONN_HOME"), NULL)) &&
	    !(rc = hide_joined(sb, getenv("HOME"), "/.local/share/svcconn")) &&
	    !(rc = sandbox_hide(sb, root)))
		rc = sandbox_hide(sb, abs);
	free(root);
	return rc;
}

int job_view(struct sandbox **out, svc_store *st, const char *job_dir,
	     int launcher)
{
	struct sandbox *sb = NULL;
	char *bwrap = NULL, *abs = NULL;
	int rc;

	if ((rc = sandbox_find(&bwrap)) || (rc = sandbox_new(&sb, bwrap)))
		goto done;
	if (!(abs = realpath(job_dir, NULL))) {
		rc = error_set(SVC_ERROR, "cannot resolve '%s': %s", job_dir,
			       strerror(errno));
		goto done;
	}
	if (launcher)
		sandbox_set_launcher(sb);
	if ((rc = hide_store_and_jobs(sb, st, abs)) ||
	    (rc = show_job_dirs(sb, abs)) ||
	    (rc = show_job_file(sb, abs, "broker.sock", 1)))
		goto done;
	*out = sb;
	sb = NULL;
done:
	sandbox_free(sb);
	free(bwrap);
	free(abs);
	return rc;
}

/*
 * The view a step of the job in job_dir runs in when it gets a sandbox of
 * its own (it references an SSH connection, or the job has no launcher):
 * the job's (job_view) and, for a step that references an SSH connection,
 * the job's ssh-agent and known_hosts.
 */
static int step_view(struct sandbox **out, svc_store *st, const char *job_dir,
		     const struct job_step_info *info)
{
	struct sandbox *sb = NULL;
	char *abs = NULL;
	int rc;

	if ((rc = job_view(&sb, st, job_dir, 0)))
		return rc;
	if (info->ssh) {
		if (!(abs = realpath(job_dir, NULL)))
			rc = error_set(SVC_ERROR, "cannot resolve '%s': %s", job_dir,
				       strerror(errno));
		else if (!(rc = show_job_file(sb, abs, "ssh-agent.sock", 1)))
			rc = show_job_file(sb, abs, "known_hosts", 0);
		free(abs);
	}
	if (rc) {
		sandbox_free(sb);
		return rc;
	}
	*out = sb;
	return 0;
}

/* A working directory the step's sandbox hides is refused. */
static int workdir_visible(const struct sandbox *sb, const char *workdir)
{
	if (sandbox_hides(sb, workdir ? workdir : "."))
		return error_set(SVC_EINVALID,
				 "the working directory '%s' is inside the store or a job directory, which steps cannot see",
				 workdir ? workdir : ".");
	return 0;
}

int job_hidden_view(struct sandbox **out, svc_store *st, const char *job_dir)
{
	struct sandbox *sb = NULL;
	char *abs = realpath(job_dir, NULL);
	int rc;

	if (!abs)
		return error_set(SVC_ERROR, "cannot resolve '%s': %s", job_dir,
				 strerror(errno));
	if (!(rc = sandbox_new(&sb, "bwrap")) &&
	    !(rc = hide_store_and_jobs(sb, st, abs))) {
		*out = sb;
		sb = NULL;
	}
	sandbox_free(sb);
	free(abs);
	return rc;
}

/*
 * The same for a step sent to the job's launcher, whose sandbox is made
 * already: only what it hides is looked at.
 */
static int workdir_visible_in_job(svc_store *st, const char *job_dir,
				  const char *workdir)
{
	struct sandbox *sb = NULL;
	int rc;

	if (!(rc = job_hidden_view(&sb, st, job_dir)))
		rc = workdir_visible(sb, workdir);
	sandbox_free(sb);
	return rc;
}

/* svc_step_exec(), and with cmds (run) the commands acted on. */
static int step_exec(int *status, svc_store *st, const char *job_dir,
		     const char *step, char *const argv[], const char *workdir,
		     svc_step_vars *vars, svc_step_output_fn output, void *ctx,
		     struct job_cmds *cmds)
{
	static const char *const keep[] = { "PATH", "HOME", "LANG", "LC_ALL",
		"TERM", "USER", "LOGNAME", NULL };
	svc_mask_stream_options so;
	svc_mask_stream *streams[2] = { NULL, NULL };
	struct step_io io[2];
	posix_spawn_file_actions_t fa;
	svc_masker *m = NULL;
	svc_env *env = NULL;
	struct job_step_info info;
	struct sandbox *sb = NULL;
	svc_broker_step *grant = NULL;
	char **sargv = NULL;
	int out[2] = { -1, -1 }, err[2] = { -1, -1 }, rc, i, launched = 0;
	int conn = -1, said_failed = 0;
	pid_t pid = -1;

	memset(&info, 0, sizeof(info));
	if ((rc = svc_masker_new(&m, NULL)) ||
	    (rc = job_step_prepare(&env, m, &info, st, job_dir, step)))
		goto done;
	if (info.sandbox) {
		/* the step's own token: only the connections it references */
		rc = svc_broker_step_begin(&grant, job_dir,
					   (const char *const *)info.ids, info.nids);
		if (rc == SVC_ENOTFOUND) {
			svc_error_clear();
			rc = 0; /* the job has no broker */
		}
		if (rc || (grant &&
			   ((rc = svc_env_set(env, SVC_BROKER_TOKEN_ENV,
					      svc_broker_step_token(grant))) ||
			    (rc = svc_masker_add(m, svc_broker_step_token(grant),
						 strlen(svc_broker_step_token(grant)))))))
			goto done;
		/* the job's shared sandbox, or one of the step's own */
		launched = !info.ssh && launcher_available(job_dir);
		if (!launched && ((rc = step_view(&sb, st, job_dir, &info)) ||
				  (rc = workdir_visible(sb, workdir)) ||
				  (rc = sandbox_argv(&sargv, sb, argv))))
			goto done;
		if (launched)
			rc = workdir_visible_in_job(st, job_dir, workdir);
		if (rc)
			goto done;
	}
	rc = job_workdir_env(env, workdir);
	for (i = 0; keep[i] && !rc; i++)
		rc = svc_env_inherit(env, keep[i]);
	if (!rc && vars)
		rc = svc_step_vars_apply(vars, env, m);
	if (!rc && cmds)
		rc = job_cmds_step_begin(cmds, m, env);
	if (rc || (rc = svc_masker_compile(m)))
		goto done;
	if (svc_masker_take_too_short(m) && output) {
		static const char warn[] =
			"##[warning]svcconn: a secret shorter than 4 characters cannot be masked\n";

		output(ctx, 2, warn, sizeof(warn) - 1);
	}
	for (i = 0; i < 2; i++) {
		io[i].output = output;
		io[i].ctx = ctx;
		io[i].fd = i + 1;
		io[i].vars = vars;
		io[i].job_dir = job_dir;
		io[i].failed = &said_failed;
		io[i].cmds = cmds;
		memset(&so, 0, sizeof(so));
		so.version = SVC_MASK_STREAM_OPTIONS_VERSION;
		so.commands = 1; /* the agent reads commands on stdout and stderr */
		so.write = masked_write;
		so.write_ctx = &io[i];
		so.event = on_command;
		so.event_ctx = &io[i];
		so.public_variables = 1;
		if ((rc = svc_mask_stream_new(&streams[i], m, &so)))
			goto done;
	}
	if (pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) {
		rc = error_set(SVC_ERROR, "cannot make pipes: %s", strerror(errno));
		goto done;
	}
	if (launched) {
		/* the launcher runs it in the working directory we resolve */
		char *wd = realpath(workdir ? workdir : ".", NULL);

		rc = wd ? launcher_run(&conn, job_dir, argv, svc_env_array(env), wd,
				       out[1], err[1])
			: error_set(SVC_ERROR, "cannot resolve '%s': %s",
				    workdir ? workdir : ".", strerror(errno));
		free(wd);
	} else {
		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
		posix_spawn_file_actions_adddup2(&fa, out[1], 1);
		posix_spawn_file_actions_adddup2(&fa, err[1], 2);
		if (workdir)
			posix_spawn_file_actions_addchdir_np(&fa, workdir);
		/* nothing of ours beyond its output stays open in the step */
		posix_spawn_file_actions_addclosefrom_np(&fa, 3);
		rc = sargv ? posix_spawn(&pid, sargv[0], &fa, NULL, sargv, svc_env_array(env))
			: posix_spawnp(&pid, argv[0], &fa, NULL, argv, svc_env_array(env));
		posix_spawn_file_actions_destroy(&fa);
		if (rc)
			rc = error_set(SVC_ERROR, "cannot run '%s': %s", argv[0],
				       strerror(rc));
	}
	/* the secrets in the environment are the child's now, not ours */
	svc_env_free(env);
	env = NULL;
	close(out[1]);
	close(err[1]);
	out[1] = err[1] = -1;
	if (rc)
		goto done;
	while (out[0] >= 0 || err[0] >= 0) {
		struct pollfd p[2] = { { out[0], POLLIN, 0 }, { err[0], POLLIN, 0 } };
		char chunk[8192];

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		for (i = 0; i < 2; i++) {
			int *fd = i ? &err[0] : &out[0];
			ssize_t n;

			if (*fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			n = read(*fd, chunk, sizeof(chunk));
			if (n > 0)
				svc_mask_stream_write(streams[i], chunk, (size_t)n);
			if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
				close(*fd);
				*fd = -1;
				svc_mask_stream_finish(streams[i]);
			}
		}
		svc_wipe(chunk, sizeof(chunk));
	}
	if (launched)
		rc = launcher_wait(status, conn);
	else
		while (waitpid(pid, status, 0) < 0)
			if (errno != EINTR) {
				rc = error_set(SVC_ERROR, "cannot wait for '%s'", argv[0]);
				break;
			}
	/* a step that said it failed has failed, whatever its exit code */
	if (cmds && job_cmds_step_failed(cmds))
		said_failed = 1;
	if (!rc && said_failed && WIFEXITED(*status) && WEXITSTATUS(*status) == 0)
		*status = W_EXITCODE(1, 0);
done:
	if (conn >= 0)
		close(conn);
	for (i = 0; i < 2; i++) {
		if (out[i] >= 0)
			close(out[i]);
		if (err[i] >= 0)
			close(err[i]);
	}
	svc_mask_stream_free(streams[0]);
	svc_mask_stream_free(streams[1]);
	job_cmds_step_detach(cmds);
	svc_masker_free(m);
	svc_env_free(env);
	if (grant) {
		/* ending the grant talks to the broker: keep our error */
		char why[1024];

		snprintf(why, sizeof(why), "%s", svc_error_last());
		svc_broker_step_end(grant);
		if (rc)
			error_set(rc, "%s", why);
	}
	free(sargv);
	sandbox_free(sb);
	job_step_info_clear(&info);
	return rc;
}

int svc_step_exec(int *status, svc_store *st, const char *job_dir,
		  const char *step, char *const argv[], const char *workdir,
		  svc_step_vars *vars, svc_step_output_fn output, void *ctx)
{
	return step_exec(status, st, job_dir, step, argv, workdir, vars, output,
			 ctx, NULL);
}

/*
 * The clone URL of repository resource alias: by its type, from its
 * endpoint connection's URL (github, bitbucket: their hosts).
 */
static int clone_url(svc_buf *out, const struct runner *r, const char *alias,
		     const char **ref)
{
	const svc_plan_repo *repo = NULL;
	svc_conn *c = NULL;
	size_t i;
	int rc = 0;

	for (i = 0; i < svc_plan_repo_count(r->plan); i++)
		if (!strcmp(svc_plan_repo_at(r->plan, i)->alias, alias))
			repo = svc_plan_repo_at(r->plan, i);
	if (!repo || !repo->name)
		return error_set(SVC_EINVALID, "checkout: no repository resource '%s'",
				 alias);
	for (i = 0; i < svc_plan_ref_count(r->plan); i++) {
		const svc_ref *ref_ = svc_plan_ref_at(r->plan, i);

		if (ref_->kind == SVC_REF_RESOURCE_ENDPOINT && ref_->alias &&
		    !strcmp(ref_->alias, alias) && ref_->conn_id &&
		    svc_store_conn_get(&c, r->st, ref_->conn_id, 0) == 0)
			break;
	}
	*ref = repo->ref;
	/* the one mapping of types to clone URLs, the template fetch's too */
	rc = repo_clone_url(out, repo->type ? repo->type : "github", repo->name,
			    c, alias);
	svc_conn_free(c);
	return rc;
}

/* 1 when step s uses a connection: a connection input, or a checkout of
 * a repository resource with an endpoint. */
static int uses_connection(const struct runner *r, const svc_plan_step *s)
{
	size_t i;

	for (i = 0; i < svc_plan_ref_count(r->plan); i++) {
		const svc_ref *ref = svc_plan_ref_at(r->plan, i);

		if (ref->kind == SVC_REF_TASK_INPUT && ref->step == s->index &&
		    same(ref->stage, s->stage) && same(ref->job, s->job))
			return 1;
		if (ref->kind == SVC_REF_RESOURCE_ENDPOINT && ref->alias &&
		    !strcmp(s->kind, "checkout") && s->body &&
		    !strcmp(ref->alias, s->body))
			return 1;
	}
	return 0;
}

/* Run one step of a granted job; *failed: 1 when it did not succeed, 2
 * when it was skipped. */
static int run_step(struct runner *r, const svc_plan_step *s,
		    const char *job_dir, int *failed)
{
	svc_buf label = SVC_BUF_INIT, script = SVC_BUF_INIT, target = SVC_BUF_INIT;
	char idx[32], *argv[10];
	int rc = 0, status = 0, i_arg;

	*failed = 0;
	buf_printf(&label, "%s", s->name ? s->name : s->display ? s->display
		   : s->task ? s->task : s->kind);
	snprintf(idx, sizeof(idx), "%d", s->index);
	if (r->o->fork && !r->o->fork_allowed && uses_connection(r, s)) {
		/* the agent's words for a pull request from a fork */
		say(r, "step %s skipped: References service endpoint. PRs from repository forks are not allowed to access secrets in the pipeline.",
		    label.ptr);
		*failed = 2; /* skipped */
		goto done;
	}
	if (!strcmp(s->kind, "checkout") &&
	    (!s->body || !strcmp(s->body, "self") || !strcmp(s->body, "none"))) {
		say(r, "step %s: checkout of %s: the working directory", label.ptr,
		    s->body ? s->body : "self");
		goto done;
	}
	if (!strcmp(s->kind, "checkout")) {
		/* a repository resource: git clone through the job's broker */
		const char *ref = NULL;

		if ((rc = clone_url(&target, r, s->body, &ref)))
			goto done;
		argv[0] = "git";
		argv[1] = "clone";
		argv[2] = "--quiet";
		i_arg = 3;
		if (ref) {
			argv[i_arg++] = "--branch";
			argv[i_arg++] = (char *)(strncmp(ref, "refs/heads/", 11) ? ref
						 : ref + 11);
		}
		argv[i_arg++] = target.ptr;
		argv[i_arg++] = (char *)s->body;
		argv[i_arg] = NULL;
	} else if (!strcmp(s->kind, "script") || !strcmp(s->kind, "bash")) {
		/* the script goes into the job's private directory */
		buf_printf(&script, "%s/tmp", job_dir);
		if ((rc = dir_ensure_private(script.ptr)))
			goto done;
		buf_printf(&script, "/step-%d.sh", s->index);
		unlink(script.ptr);
		if ((rc = file_create_private(script.ptr, s->body ? s->body : "",
					      s->body ? strlen(s->body) : 0)))
			goto done;
		argv[0] = "bash";
		argv[1] = "--noprofile";
		argv[2] = "--norc";
		argv[3] = "-e";
		argv[4] = "-o";
		argv[5] = "pipefail";
		argv[6] = script.ptr;
		argv[7] = NULL;
	} else if (!strcmp(s->kind, "task") && s->handler && s->target) {
		buf_printf(&target, "%s/%s", s->task_dir, s->target);
		argv[0] = !strcmp(s->handler, "Bash") ? "bash" : "node";
		argv[1] = target.ptr;
		argv[2] = NULL;
	} else if (!strcmp(s->kind, "task") && !s->task_dir) {
		say(r, "step %s: no manifest for task '%s' (searched: %s)",
		    label.ptr, s->task ? s->task : "?",
		    svc_tasks_searched(svc_plan_tasks(r->plan)));
		*failed = 1;
		goto done;
	} else if (!strcmp(s->kind, "task")) {
		say(r, "step %s: task %s has no handler svcconn can run (Node, Node10, Node16, Node20_1, Bash)",
		    label.ptr, s->task ? s->task : "?");
		*failed = 1;
		goto done;
	} else {
		say(r, "step %s: '%s' steps are not run by svcconn yet", label.ptr,
		    s->kind);
		*failed = 1;
		goto done;
	}
	say(r, "step %s", label.ptr);
	r->stage = s->stage;
	r->job = s->job;
	r->label = label.ptr;
	rc = step_exec(&status, r->st, job_dir, idx, argv, r->o->workdir,
		       r->vars, step_output, r, r->cmds);
	if (job_cmds_step_end(r->cmds) == JOB_CMDS_ISSUES && !rc &&
	    WIFEXITED(status) && WEXITSTATUS(status) == 0)
		say(r, "step %s succeeded with issues", label.ptr);
	if (!rc && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
		*failed = 1;
		say(r, "step %s failed: %s %d", label.ptr,
		    WIFEXITED(status) ? "exit" : "signal",
		    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	}
done:
	if (rc) {
		say(r, "step %s: %s", label.ptr, svc_error_last());
		*failed = 1;
		rc = 0;
	}
	if (script.ptr)
		unlink(script.ptr);
	buf_clear(&label);
	buf_clear(&script);
	buf_clear(&target);
	return rc;
}

/*
 * A new private directory for the run's jobs under the jobs root, named
 * for the run (its id, with what is not [A-Za-z0-9._-] as '_') and made
 * unique: runs of the same id never share one.
 */
static int make_run_dir(char **out, const char *run_id)
{
	svc_buf b = SVC_BUF_INIT;
	char *root = NULL;
	size_t i;
	int rc;

	if ((rc = svc_jobs_root(&root)) || (rc = buf_printf(&b, "%s/run-", root)))
		goto done;
	for (i = 0; run_id[i] && i < 64 && !rc; i++)
		rc = buf_putc(&b, isalnum((unsigned char)run_id[i]) ||
				  strchr("._-", run_id[i]) ? run_id[i] : '_');
	if (rc || (rc = buf_puts(&b, "-XXXXXX")))
		goto done;
	if (!mkdtemp(b.ptr)) {
		rc = error_set(SVC_ERROR, "cannot create a directory in '%s': %s",
			       root, strerror(errno));
		goto done;
	}
	*out = buf_detach(&b, NULL);
	rc = *out ? 0 : error_oom();
done:
	free(root);
	buf_clear(&b);
	return rc;
}

/* A note of the job's commands, said at its end. */
static void say_note(void *ctx, const char *note)
{
	const struct runner *r = ctx;

	say(r, "job %s: %s", r->job, note);
}

/* Start the job, waiting on checks when asked; the gate's exit code. */
static int start_job(struct runner *r, const char *stage, const char *job,
		     const char *job_dir, svc_job **out)
{
	const svc_run_options *o = r->o;
	svc_job_options jo;
	time_t t0 = time(NULL);
	size_t i;
	int rc;

	memset(&jo, 0, sizeof(jo));
	jo.version = SVC_JOB_OPTIONS_VERSION;
	jo.pipeline_file = o->pipeline_file;
	jo.pipeline = o->pipeline;
	jo.stage = stage;
	jo.job = job;
	jo.run_id = o->run_id;
	jo.branch = o->branch;
	jo.requested_by = o->requested_by;
	jo.vars = o->vars;
	jo.nvars = o->nvars;
	jo.task_dirs = o->task_dirs;
	jo.ntask_dirs = o->ntask_dirs;
	jo.job_dir = job_dir;
	jo.steps_see_store = o->steps_see_store;
	jo.reason = o->fork ? "PullRequest" : NULL;
	for (;;) {
		svc_job *j = NULL;
		const svc_gate_report *g;

		rc = svc_job_start(&j, &jo, r->st, r->cat);
		if (rc) {
			for (i = 0; j && i < svc_diags_count(svc_job_diags(j)); i++) {
				char *m = svc_diag_format(svc_diags_at(svc_job_diags(j), i));

				say(r, "%s", m ? m : "");
				free(m);
			}
			svc_job_free(j);
			say(r, "job %s cannot start: %s", job, svc_error_last());
			return rc == SVC_EINVALID ? 2 : 1;
		}
		g = svc_job_gate(j);
		for (i = 0; i < g->nitems; i++)
			if (g->items[i].status != SVC_GATE_GRANTED)
				say(r, "job %s: %s", job, g->items[i].message);
		if (g->status == SVC_GATE_WAITING && o->wait &&
		    time(NULL) - t0 < (o->wait_timeout ? o->wait_timeout : 3600)) {
			struct timespec ts = { o->wait_interval ? o->wait_interval : 10, 0 };

			svc_job_free(j);
			nanosleep(&ts, NULL);
			continue;
		}
		*out = j;
		switch (g->status) {
		case SVC_GATE_GRANTED: return 0;
		case SVC_GATE_NEEDS_PERMISSION: return 3;
		case SVC_GATE_WAITING: return 4;
		default: return 5;
		}
	}
}

int svc_pipeline_run(int *exit_code, const svc_run_options *o, svc_store *st,
		     const svc_catalog *cat)
{
	struct runner r;
	svc_plan_options po;
	svc_plan *plan = NULL;
	svc_buf dir = SVC_BUF_INIT, tail = SVC_BUF_INIT;
	char *run_dir = NULL;
	size_t i, j, warnings, errors, issues;
	int rc, code = 0, result;

	if (!o || o->version != SVC_RUN_OPTIONS_VERSION || !o->pipeline_file ||
	    !o->pipeline || !o->run_id)
		return error_set(SVC_EINVALID, "a run needs a pipeline file, a pipeline name and a run id");
	memset(&r, 0, sizeof(r));
	r.o = o;
	r.st = st;
	r.cat = cat;
	memset(&po, 0, sizeof(po));
	po.version = SVC_PLAN_OPTIONS_VERSION;
	po.file = o->pipeline_file;
	po.vars = o->vars;
	po.nvars = o->nvars;
	po.task_dirs = o->task_dirs;
	po.ntask_dirs = o->ntask_dirs;
	po.flags = SVC_PLAN_EXACT | SVC_PLAN_FETCH; /* templates of other repositories */
	if ((rc = job_cmds_new(&r.cmds, o->output_dir)))
		return rc;
	if ((rc = svc_plan_build(&plan, &po, st, cat))) {
		job_cmds_free(r.cmds);
		return rc;
	}
	r.plan = plan;
	/* a pipeline that does not compile runs nothing */
	for (i = 0; i < svc_diags_count(svc_plan_diags(plan)); i++) {
		const svc_diag *d = svc_diags_at(svc_plan_diags(plan), i);
		char *m;

		if (d->severity != SVC_SEV_ERROR || d->field)
			continue;
		m = svc_diag_format(d);
		say(&r, "%s", m ? m : "invalid pipeline");
		free(m);
		code = 2;
	}
	/* jobs in pipeline order; each job's steps in order */
	for (i = 0; i < svc_plan_step_count(plan) && code == 0; i++) {
		const svc_plan_step *s = svc_plan_step_at(plan, i);
		svc_job *job = NULL;
		int gate, failed_steps = 0;

		if (i > 0 && same(svc_plan_step_at(plan, i - 1)->stage, s->stage) &&
		    same(svc_plan_step_at(plan, i - 1)->job, s->job))
			continue; /* not the first step of its job */
		if ((o->stage && !same(o->stage, s->stage)) ||
		    (o->job && !same(o->job, s->job)))
			continue;
		say(&r, "%s%s%sjob %s", s->stage ? "stage " : "",
		    s->stage ? s->stage : "", s->stage ? " / " : "", s->job);
		buf_reset(&dir);
		/* under the jobs root, never the store or the workspace: the
		 * job's state and what its tasks write for their tools */
		if (!run_dir && (rc = make_run_dir(&run_dir, o->run_id)))
			break;
		buf_printf(&dir, "%s/%s-%s", run_dir, s->stage ? s->stage : "_",
			   s->job);
		if ((rc = dir_ensure_private(dir.ptr)))
			break;
		gate = start_job(&r, s->stage, s->job, dir.ptr, &job);
		if (gate) {
			code = gate;
			svc_job_free(job);
			break;
		}
		svc_step_vars_free(r.vars);
		r.vars = NULL;
		if ((rc = svc_step_vars_new(&r.vars)) ||
		    (rc = job_cmds_job_begin(r.cmds, st, dir.ptr, o->workdir)))
			break;
		if ((o->job_started && !(o->fork && !o->fork_allowed) &&
		     o->job_started(o->ctx, dir.ptr)) ||
		    /* after the broker: the sandbox shows its socket */
		    (!o->steps_see_store && o->launcher_exe &&
		     svc_step_launcher_start(NULL, st, dir.ptr, o->launcher_exe))) {
			say(&r, "job %s: its helpers could not start: %s", s->job,
			    svc_error_last());
			failed_steps = 1;
			j = svc_plan_step_count(plan);
		} else
			j = i;
		for (; j < svc_plan_step_count(plan); j++) {
			const svc_plan_step *t = svc_plan_step_at(plan, j);
			int failed = 0;

			if (!same(t->stage, s->stage) || !same(t->job, s->job))
				break;
			if ((rc = run_step(&r, t, dir.ptr, &failed)))
				break;
			if (failed == 2) {
				r.steps_skipped++;
				continue;
			}
			r.steps_run++;
			if (failed) {
				r.steps_failed++;
				failed_steps++;
				break; /* a failed step ends its job */
			}
		}
		svc_step_launcher_stop(dir.ptr);
		if (o->job_ending)
			o->job_ending(o->ctx, dir.ptr);
		r.job = s->job;
		result = job_cmds_job_end(r.cmds, say_note, &r);
		rc = svc_job_end(st, dir.ptr, failed_steps ? "Failed"
				 : result == JOB_CMDS_ISSUES ? "SucceededWithIssues"
				 : "Succeeded");
		svc_job_free(job);
		/* the job's directory with what its helpers left (logs) */
		job_dir_remove(dir.ptr);
		if (rc)
			break;
		if (failed_steps)
			code = 1;
	}
	svc_step_vars_free(r.vars);
	if (run_dir)
		job_dir_remove(run_dir);
	free(run_dir);
	job_cmds_counts(r.cmds, &warnings, &errors, &issues);
	if (issues)
		buf_printf(&tail, ", %zu with issues", issues);
	if (warnings || errors)
		buf_printf(&tail, "; %zu warning(s), %zu error(s)", warnings, errors);
	if (!rc)
		say(&r, "summary: %zu step(s) run, %zu failed%s%.0zu%s%s; exit %d",
		    r.steps_run, r.steps_failed, r.steps_skipped ? ", " : "",
		    r.steps_skipped, r.steps_skipped ? " skipped" : "",
		    tail.ptr ? tail.ptr : "", code);
	buf_clear(&tail);
	job_cmds_free(r.cmds);
	svc_plan_free(plan);
	buf_clear(&dir);
	if (!rc)
		*exit_code = code;
	return rc;
}
