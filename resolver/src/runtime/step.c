/*
 * step.c - one step of a job: its environment (job.c's state, the
 * variables, the calling agent's and SystemVssConnection's), its sandbox
 * (the job's shared one through its launcher, or one of its own), its own
 * broker grant, and its output masked as it comes, its logging commands
 * read (the hooks leave the rest to the agent that calls svcconn; run acts
 * on them through commands.c).  svc_step_exec() for the hooks, step_exec()
 * for svc_pipeline_run (run.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "svcconn/broker.h"
#include "svcconn/run.h"
#include "svcconn/secret.h"
#include "errors_int.h"
#include "runtime/runtime_int.h"
#include "store/store_int.h"
#include "util/buf.h"
#include "util/fileio.h"
#include "util/jobdir.h"
#include "util/sandbox.h"
#include "util/spawn.h"

const char *const step_inherited[] = { "PATH", "HOME", "LANG", "LC_ALL",
	"TERM", "USER", "LOGNAME", NULL };

/* Where a step's masked output goes, and what its commands set. */
struct step_io {
	svc_step_output_fn output;  /**< the caller's output callback */
	void *ctx;                  /**< its context */
	int fd;                     /**< 1 or 2, for the stream being written */
	svc_step_vars *vars;        /**< secret variables set, or NULL */
	const char *job_dir;        /**< the job's directory */
	const char *ref;            /**< the step's name: (its outputs') */
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
	case SVC_MASK_EVENT_SETVARIABLE: {
		int rc;

		if (ev->is_output && io->vars)
			/* "step.name", as the agent names an output */
			rc = step_vars_set_output(io->vars, io->ref, ev->name,
						  ev->value, ev->value_len,
						  ev->is_secret);
		else if (!ev->is_secret)
			/* without a broker the agent keeps its own */
			rc = io->vars ? svc_step_vars_set_public(io->vars,
					ev->name, ev->value, ev->value_len) : 0;
		else if (!io->vars)
			return error_set(SVC_EINVALID,
					 "secret variables need the job's broker (job-start starts it) or 'svcconn-agent run': this step cannot pass them on");
		else
			return svc_step_vars_set(io->vars, ev->name, ev->value,
						 ev->value_len);
		/* run is the agent: a public one's line is not shown */
		return rc == 0 && io->cmds && !ev->is_secret
			? SVC_MASK_EVENT_HANDLED : rc;
	}
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
 * Hide what no step may see: the store's directory and key (st NULL: a
 * job of svcconn-server, no store), the user's default store, an agent's
 * credential, the jobs root and the job's directory (abs).  Also what
 * job_hidden_view() gives commands.c.
 */
static int hide_store_and_jobs(struct sandbox *sb, svc_store *st,
			       const char *abs)
{
	char *root = NULL;
	int rc;

	if (!(rc = svc_jobs_root(&root)) &&
	    (!st || !(rc = sandbox_hide(sb, st->home))) &&
	    (!st || !(rc = sandbox_hide(sb, st->key_file))) &&
	    /* an agent of svcconn-server: its credential, wherever
	     * `svcconn-agent register` may have put it */
	    !(rc = hide_joined(sb, getenv("HOME"), "/.config/svcconn-agent")) &&
	    !(rc = hide_joined(sb, getenv("XDG_CONFIG_HOME"), "/svcconn-agent")) &&
	    !(rc = hide_joined(sb, getenv("SVCCONN_AGENT_CONFIG"), NULL)) &&
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
	    (rc = show_job_file(sb, abs, JOBDIR_BROKER_SOCK, 1)))
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
		else if (!(rc = show_job_file(sb, abs, JOBDIR_SSH_SOCK, 1)))
			rc = show_job_file(sb, abs, JOBDIR_KNOWN_HOSTS, 0);
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

/*
 * Cancel the running step: the job's launcher kills everything in the
 * sandbox when the step's connection is shut (conn), a step of our own
 * dies with its process group (pid).
 */
static void cancel_step(int conn, pid_t pid)
{
	if (conn >= 0)
		shutdown(conn, SHUT_WR);
	else if (pid > 0)
		kill(-pid, SIGKILL);
}

/*
 * svc_step_exec_ext(), and for svc_pipeline_run: with the masker of the
 * job's connections' secrets when the caller keeps one (job_mask_new()): the step's masker is a clone
 * of it, its compiled database shared, and only the step's own secrets
 * (its token, the variables) are added and compiled.  script, when not
 * NULL, is where the step's body goes with its macros expanded (argv runs
 * it).  With cmds (run), the step's logging commands are acted on.
 */
int step_exec(int *status, svc_store *st, const char *job_dir,
		     const char *step, char *const argv[], const char *workdir,
		     svc_step_vars *vars, const svc_step_options *xo,
		     svc_masker *job_mask, const char *script,
		     struct job_cmds *cmds, svc_step_output_fn output, void *ctx)
{
	svc_mask_stream_options so;
	svc_mask_stream *streams[2] = { NULL, NULL };
	struct step_io io[2];
	const volatile sig_atomic_t *cancel = xo ? xo->cancel : NULL;
	svc_masker *m = NULL;
	svc_env *env = NULL;
	struct job_step_info info;
	struct sandbox *sb = NULL;
	svc_broker_step *grant = NULL;
	char **sargv = NULL, *cwd = NULL;
	int out[2] = { -1, -1 }, err[2] = { -1, -1 }, rc, i, launched = 0;
	int conn = -1, said_failed = 0, killed = 0;
	pid_t pid = -1;

	memset(&info, 0, sizeof(info));
	info.job_masked = job_mask != NULL;
	if ((rc = job_mask ? svc_masker_clone(&m, job_mask)
		  : svc_masker_new(&m, NULL)) ||
	    (rc = job_step_prepare(&env, m, &info, st, job_dir, step)))
		goto done;
	rc = job_workdir_env(env, workdir);
	for (i = 0; step_inherited[i] && !rc; i++)
		rc = svc_env_inherit(env, step_inherited[i]);
	if (!rc && vars)
		rc = svc_step_vars_apply(vars, env, m);
	if (!rc && !(rc = job_pass_env(env, m, xo)))
		rc = job_system_conn(env, m, job_dir, xo ? xo->system_token : NULL);
	/* the job's variables, and the macros of its inputs, env: and body */
	if (!rc)
		rc = step_vars_finish(env, m, &info, vars, script, &cwd);
	/* PATH, the build number and System.Debug, as the job's earlier
	 * steps' commands left them */
	if (!rc && cmds)
		rc = job_cmds_step_begin(cmds, m, env, step);
	if (rc)
		goto done;
	/* the step's workingDirectory:, else the run's */
	if (cwd)
		workdir = cwd;
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
		io[i].ref = json_string_value(json_object_get(info.step, "name"));
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
		struct spawn sp = SPAWN_INIT;

		/* /dev/null, its output, and nothing else of ours; a group of
		 * its own: a cancel kills all of it */
		sp.argv = sargv ? sargv : argv;
		sp.envp = svc_env_array(env);
		sp.fd[1] = out[1];
		sp.fd[2] = err[1];
		sp.cwd = workdir;
		sp.flags = SPAWN_PGROUP | (sargv ? 0 : SPAWN_SEARCH);
		if ((rc = spawn_start(&pid, &sp)))
			rc = error_set(SVC_ERROR, "cannot run '%s': %s", argv[0],
				       strerror(errno));
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

		/* a signal may come just before poll: look again soon */
		if (poll(p, 2, cancel ? 200 : -1) < 0 && errno != EINTR)
			break;
		if (cancel && *cancel && !killed) {
			cancel_step(conn, pid);
			killed = 1;
		}
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
	if (!rc && killed)
		*status = SIGKILL; /* canceled */
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
	free(cwd);
	sandbox_free(sb);
	job_step_info_clear(&info);
	return rc;
}

int svc_step_exec_ext(int *status, svc_store *st, const char *job_dir,
		      const char *step, char *const argv[], const char *workdir,
		      svc_step_vars *vars, const svc_step_options *xo,
		      svc_step_output_fn output, void *ctx)
{
	return step_exec(status, st, job_dir, step, argv, workdir, vars, xo,
			 NULL, NULL, NULL, output, ctx);
}

int svc_step_exec(int *status, svc_store *st, const char *job_dir,
		  const char *step, char *const argv[], const char *workdir,
		  svc_step_vars *vars, svc_step_output_fn output, void *ctx)
{
	return svc_step_exec_ext(status, st, job_dir, step, argv, workdir, vars,
				 NULL, output, ctx);
}
