/*
 * checkkinds.h - the one table of check kinds: name, category, the
 * configuration keys each takes and needs, whether a check run of it can be
 * bypassed, and the functions that configure and evaluate it.
 *
 * Everything that depends on a kind (the store's validation, checkcfg.c's
 * options, the gate's order and dispatch, the bypass rule, the CLI's order
 * through svc_check_kind_category()) looks it up here.
 */
#ifndef SVC_AUTHZ_CHECKKINDS_H
#define SVC_AUTHZ_CHECKKINDS_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "svcconn/authz.h"
#include "util/buf.h"

/**
 * Build a kind's configuration into o from the (key, value) options; the
 * keys are already known to be the kind's and the required ones present.
 */
typedef int check_configure_fn(json_t *o, svc_store *st,
			       const char *const *keys,
			       const char *const *values, size_t n);
/**
 * Evaluate a check run of the kind at now: set *status (SVC_RUN_*) and
 * the reason in msg; state is the run's state, which may be changed.
 */
typedef int check_evaluate_fn(svc_store *st, const svc_run *run,
			      const svc_check_run *cr, json_t *cfg, time_t now,
			      const char **status, svc_buf *msg, json_t *state);

typedef struct check_kind {
	const char *name;               /**< as stored and typed */
	svc_check_category category;    /**< when the gate evaluates it */
	const char *keys;               /**< option keys, ',' separated */
	const char *required;           /**< those it needs, ',' separated */
	int bypassable;                 /**< an administrator may bypass a
					     pending run */
	check_configure_fn *configure;  /**< NULL: no configuration */
	check_evaluate_fn *evaluate;    /**< NULL: the gate's exclusive lock */
	int calls_out;                  /**< evaluating it waits for a call
					     elsewhere (HTTP): never under
					     the store's write lock */
} check_kind;

/** The kind named name, or NULL. */
const check_kind *check_kind_find(const char *name);
/** The i-th kind in table order, or NULL past the end. */
const check_kind *check_kind_at(size_t i);
/**
 * Write the names of the kinds (bypassable ones only when bypassable_only)
 * into b, separated by ", " and with last_sep before the last one:
 * "approval, business-hours and rest-api".
 */
void check_kind_names(svc_buf *b, int bypassable_only, const char *last_sep);

/* The configure functions (checkcfg.c). */
check_configure_fn check_configure_approval, check_configure_branch,
	check_configure_hours, check_configure_rest, check_configure_template;
/* The evaluate functions (gate.c). */
check_evaluate_fn check_evaluate_approval, check_evaluate_branch,
	check_evaluate_hours, check_evaluate_rest, check_evaluate_template;

#endif
