/*
 * runtime_expr.h - conditions and $[ ] expressions, evaluated at run time
 * the way the Azure agent (steps) and the service (jobs, stages) do.
 *
 * The language is the template expressions' (expr.h: one parser, the same
 * limits), with the job status functions always(), canceled(), failed(),
 * succeeded(), succeededOrFailed() and the run's roots:
 *  - variables['name'] / variables.name: a variable (case-insensitive), or
 *    null; at step level variables['Agent.JobStatus'] is the job's status;
 *  - at job level: dependencies.<job>.result and
 *    dependencies.<job>.outputs['<step>.<var>'] for the jobs of the stage
 *    it depends on, and stageDependencies.<stage>.<job>.result /
 *    .outputs['<step>.<var>'] for the jobs of the stages its stage depends
 *    on;
 *  - at stage level: dependencies.<stage>.result and
 *    dependencies.<stage>.outputs['<job>.<step>.<var>'].
 * A job or stage that is not a dependency reads as null, as in the
 * service.  Values of variables and output variables come from callbacks.
 */
#ifndef SVC_PIPELINE_RUNTIME_EXPR_H
#define SVC_PIPELINE_RUNTIME_EXPR_H

#include <stddef.h>

/** How a step, job or stage ended (RTX_PENDING: not yet). */
typedef enum rtx_result {
	RTX_PENDING = 0,
	RTX_SUCCEEDED,
	RTX_SUCCEEDED_WITH_ISSUES,
	RTX_FAILED,
	RTX_CANCELED,
	RTX_SKIPPED
} rtx_result;

/** "Succeeded", "SucceededWithIssues", "Failed", "Canceled", "Skipped". */
const char *rtx_result_name(rtx_result r);

/** What a condition decides. */
typedef enum rtx_level {
	RTX_STEP = 0,
	RTX_JOB,
	RTX_STAGE
} rtx_level;

/** A job or stage that ended before the one being decided. */
typedef struct rtx_dep {
	const char *stage;  /**< its stage (a job's), or NULL without stages */
	const char *job;    /**< the job, or NULL when it is a stage */
	rtx_result result;  /**< how it ended */
	int direct;         /**< 1: named by dependsOn (in `dependencies`);
			         0: a dependency of a dependency */
} rtx_dep;

/**
 * The value of variable name (as written, match it ignoring case), as a
 * new string in *value (freed with free(); wiped first when secret is
 * possible: the evaluator wipes it).  SVC_ENOTFOUND: no such variable.
 */
typedef int (*rtx_var_fn)(void *ctx, const char *name, char **value);
/**
 * The output variable name ("<step>.<var>", as the job keys its outputs)
 * of job (of stage; NULL without stages), in *value as for rtx_var_fn.
 * SVC_ENOTFOUND: the job has none of that name.
 */
typedef int (*rtx_output_fn)(void *ctx, const char *stage, const char *job,
			     const char *name, char **value);

/** What a condition is evaluated against. */
typedef struct rtx_ctx {
	rtx_level level;         /**< a step's, a job's or a stage's */
	const char *stage;       /**< the stage concerned, or NULL */
	const char *job;         /**< the job (step and job level), or NULL */
	rtx_result job_status;   /**< step level: the job so far (Succeeded,
				      SucceededWithIssues or Failed) */
	int canceled;            /**< the run was canceled */
	const rtx_dep *deps;     /**< job level: jobs of the stage it depends
				      on; stage level: stages; direct and
				      indirect */
	size_t ndeps;            /**< entries in deps */
	const rtx_dep *stage_deps; /**< job level: the jobs of the stages its
				        stage depends on (stageDependencies) */
	size_t nstage_deps;      /**< entries in stage_deps */
	rtx_var_fn lookup_var;   /**< variables, or NULL (none) */
	rtx_output_fn lookup_output; /**< output variables, or NULL (none) */
	void *cb_ctx;            /**< passed to the two callbacks */
} rtx_ctx;

/**
 * Evaluate condition (NULL or blank: succeeded(), the default) against c:
 * *out is 1 when it holds.  SVC_EINVALID with *err (new, free()) saying why
 * ("unknown function 'foo' at column 3", "'X' is not a dependency of job
 * 'B'"); the caller adds the file, line and field.
 */
int rtx_condition(int *out, const rtx_ctx *c, const char *condition,
		  char **err);

/**
 * Evaluate a runtime expression's text, "$[ expr ]" or the expression
 * alone, to a string as the service converts it (*out new, free()).
 */
int rtx_eval_string(char **out, const rtx_ctx *c, const char *text,
		    char **err);

/**
 * Check a condition written at level when the pipeline is read: syntax,
 * function names and arguments, roots known at that level.  0, or
 * SVC_EINVALID with *err as rtx_condition().
 */
int rtx_check(rtx_level level, const char *condition, char **err);

#endif
