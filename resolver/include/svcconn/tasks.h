/*
 * tasks.h - task manifests (task.json): which inputs of a pipeline task take
 * a service connection, and of which type.
 *
 * A pipeline step says `task: AzureCLI@2`; the task's manifest names its
 * inputs, their aliases (the names YAML may use instead), and their types.
 * An input whose type is `connectedService:<type>[:<scheme>,...]` takes the
 * name or id of a service connection of that endpoint type, restricted to
 * the listed auth schemes when there are any.
 *
 * svc_tasks_load() reads manifests from a list of directories, the layout
 * of the Azure Pipelines task repository: one folder per task major version
 * (AzureCLIV2/task.json), or a task.json in the directory itself.  Earlier
 * directories win: a manifest with the same name (or id) and major version
 * as one already loaded is ignored with a note, so a directory given first
 * overrides the defaults.  Manifests are untrusted input: one that cannot
 * be read, parsed or understood is reported in the diagnostics and skipped;
 * loading fails only when memory runs out.
 *
 * Everything a loaded set hands out is owned by it and lives until
 * svc_tasks_free().  Identifiers (task name, id, input names, aliases,
 * types) are checked to be printable ASCII; display text (friendly names,
 * labels, default values) is as the manifest wrote it and must be
 * sanitised before it is printed.
 */
#ifndef SVCCONN_TASKS_H
#define SVCCONN_TASKS_H

#include <stddef.h>
#include "errors.h"

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default)

/** Largest task.json read, in bytes; a larger one is skipped. */
#define SVC_TASK_MAX_MANIFEST ((size_t)4 * 1024 * 1024)

/** One input of a task. */
typedef struct svc_task_input {
	const char *name;            /**< input name, manifest case */
	const char *const *aliases;  /**< other names YAML may use */
	size_t naliases;             /**< entries in aliases */
	const char *type;            /**< as written: connectedService:AzureRM */
	int is_connection;           /**< 1 when type is connectedService:... */
	const char *conn_type;       /**< endpoint type (AzureRM), or NULL */
	const char *const *schemes;  /**< allowed auth schemes, none = any */
	size_t nschemes;             /**< entries in schemes */
	int multi;                   /**< 1 when it takes several connections */
	int required;                /**< 1 when marked required */
	const char *default_value;   /**< default as text, or NULL */
	const char *label;           /**< display label, or NULL */
} svc_task_input;

/** One execution handler of a task (Node20_1, PowerShell3, ...). */
typedef struct svc_task_handler {
	const char *kind;            /**< handler name: its key in execution */
	const char *target;          /**< script it runs, or NULL */
	const char *argument_format; /**< argumentFormat, or NULL */
} svc_task_handler;

/** One task manifest: a task at one major version. */
typedef struct svc_task {
	const char *id;              /**< GUID, manifest case */
	const char *name;            /**< task name: [A-Za-z0-9_-]+ */
	const char *friendly_name;   /**< display name, or NULL */
	unsigned major;              /**< version.Major */
	unsigned minor;              /**< version.Minor (0 if absent) */
	unsigned patch;              /**< version.Patch (0 if absent) */
	const char *dir;             /**< directory holding the manifest */
	const char *manifest_path;   /**< path of the task.json read */
	const svc_task_input *inputs; /**< inputs, in manifest order */
	size_t ninputs;              /**< entries in inputs */
	const svc_task_handler *handlers; /**< handlers, in manifest order */
	size_t nhandlers;            /**< entries in handlers */
	const svc_task_handler *pre_handlers; /**< prejobexecution's handlers:
					     run before the job's first
					     step, NULL for none */
	size_t npre_handlers;        /**< entries in pre_handlers */
	const svc_task_handler *post_handlers; /**< postjobexecution's handlers:
					      run after the job's last
					      step, NULL for none */
	size_t npost_handlers;       /**< entries in post_handlers */
} svc_task;

/** A loaded set of task manifests. */
typedef struct svc_tasks svc_tasks;

/**
 * Load the manifests found in dirs[0..ndirs): each directory's own
 * task.json, then those of its immediate subdirectories (in byte order of
 * their names; names starting with '.' are skipped).  Problems go to diags
 * (which may be NULL): a missing directory is a warning, a bad manifest an
 * error naming the file and field, an overridden manifest a note.  Returns
 * 0 (even when manifests were skipped), SVC_EINVALID when out is NULL, or
 * SVC_ERROR when out of memory; *out is set only on success.
 */
int svc_tasks_load(svc_tasks **out, const char *const *dirs, size_t ndirs,
		   svc_diags *diags);
/**
 * Load the manifests of dirs[0..ndirs), then of each directory of
 * $SVCCONN_TASKS_PATH (':'-separated), then of the tasks svcconn ships
 * (share/svcconn/tasks of the installation the running program or the
 * library belongs to; the source tree's tasks/ from the build tree) when
 * they are there.  As svc_tasks_load() otherwise, except that a shipped
 * manifest overridden by one loaded before is not reported.
 */
int svc_tasks_load_path(svc_tasks **out, const char *const *dirs,
			size_t ndirs, svc_diags *diags);
/**
 * The directories a set was loaded from, in search order, joined by ", "
 * ("none" when there were none): for "no manifest for task X@N
 * (searched: ...)".  Owned by the set.
 */
const char *svc_tasks_searched(const svc_tasks *t);
/** Free a set and everything it handed out; NULL is accepted. */
void svc_tasks_free(svc_tasks *t);

/** Number of manifests loaded. */
size_t svc_tasks_count(const svc_tasks *t);
/** Manifest i in load order, or NULL when out of range. */
const svc_task *svc_tasks_at(const svc_tasks *t, size_t i);

/**
 * Find the task a YAML `task:` value names: `Name@Major` (name ignoring
 * case), `Name` alone (the highest major loaded), or the task's GUID with
 * or without `@Major`.  A contributed task
 * (`publisher.extension.contribution.Name@Major`) never matches a loaded
 * manifest.  NULL when nothing matches.
 */
const svc_task *svc_tasks_find(const svc_tasks *t, const char *ref);

/**
 * Find an input by name or alias, ignoring case (names are tried before
 * aliases); NULL if none.
 */
const svc_task_input *svc_task_input_find(const svc_task *t,
					  const char *name_or_alias);

/**
 * The inputs a step of task t runs with, as the agent computes them before
 * it expands $(macros) in them: every input of the manifest, in manifest
 * order and by its manifest name, with the value the step gives it (by
 * name or alias, ignoring case; a later entry wins) or else its
 * defaultValue or else ""; then the step's inputs the manifest does not
 * know, as named.  Every value is trimmed of white space at both ends, as
 * the agent trims both.  names[i] and values[i] (i < n) are the step's
 * `inputs:` (a NULL value is not given).  t may be NULL (a task without a
 * manifest: the step's inputs alone).  On success *names_out and
 * *values_out are new arrays of *nout new strings
 * (svc_task_inputs_free()).  0, SVC_EINVALID, or SVC_ERROR when out of
 * memory.
 */
int svc_task_inputs_merge(char ***names_out, char ***values_out,
			  size_t *nout, const svc_task *t,
			  const char *const *names, const char *const *values,
			  size_t n);
/** Free what svc_task_inputs_merge() made; NULLs are accepted. */
void svc_task_inputs_free(char **names, char **values, size_t n);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
