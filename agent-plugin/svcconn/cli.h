/*
 * cli.h - the shape of the svcconn admin command line.
 *
 * One file per subcommand, each defining a `const struct cmd_entry` with its
 * name, usage, help text and exec function (the tmux layout).  main.c holds
 * the table; cli_util.c the few things every command shares: exit codes,
 * error printing, opening the store, safe printing of values.
 */
#ifndef SVCCONN_CLI_H
#define SVCCONN_CLI_H

#include <getopt.h>
#include <stdio.h>
#include <svcconn/svcconn.h>
#include <jansson.h>

/* Exit codes of svcconn. */
enum cli_exit {
	EXIT_OK = 0,       /**< success */
	EXIT_FAILED = 1,   /**< the operation failed */
	EXIT_USAGE = 2,    /**< bad usage or invalid input */
	EXIT_NOTFOUND = 3, /**< not found */
	EXIT_DENIED = 5    /**< refused */
};

/* What every command gets. */
struct cli_ctx {
	svc_store_options opts; /**< where the store is */
	svc_principal *who;     /**< who acts (the OS user; SVCCONN_USER
				     makes it an impersonation) */
	int json;               /**< --json given */
	const struct cmd_entry *cmd; /**< the running subcommand */
	const char *server;     /**< --server URL, or NULL */
	const char *ca_file;    /**< --ca FILE, or NULL */
	svc_remote *remote;     /**< the server acted on, NULL: local store */
	const char *project;    /**< the project acted in: --project before
				     the command, else $SVCCONN_PROJECT,
				     else NULL ("default") */
	const char *project_opt; /**< --project after the command, or NULL:
				      the project acted in, but the target
				      of share/unshare and the scope of
				      security without a connection */
};

/* One subcommand. */
struct cmd_entry {
	const char *name;    /**< the word after svcconn */
	const char *usage;   /**< one-line usage */
	const char *summary; /**< one line for `svcconn --help` */
	const char *help;    /**< the rest of `svcconn CMD --help` */
	int (*exec)(struct cli_ctx *ctx, int argc, char **argv); /**< run */
	int remote;          /**< 1: works against a server (--server),
				  or is about one (login) */
};

extern const struct cmd_entry cmd_init_entry, cmd_types_entry,
	cmd_create_entry, cmd_edit_entry, cmd_list_entry, cmd_show_entry,
	cmd_rename_entry, cmd_delete_entry, cmd_import_entry,
	cmd_export_entry, cmd_rekey_entry, cmd_audit_entry, cmd_plan_entry,
	cmd_permissions_entry, cmd_requests_entry, cmd_permit_entry,
	cmd_security_entry, cmd_groups_entry, cmd_checks_entry,
	cmd_approvals_entry, cmd_approve_entry, cmd_reject_entry,
	cmd_bypass_entry, cmd_history_entry;
extern const struct cmd_entry cmd_expiring_entry;
extern const struct cmd_entry cmd_migrate_entry;
extern const struct cmd_entry cmd_verify_entry;
extern const struct cmd_entry cmd_oidc_entry;
extern const struct cmd_entry cmd_tokens_entry;
extern const struct cmd_entry cmd_users_entry;
extern const struct cmd_entry cmd_pipelines_entry;
extern const struct cmd_entry cmd_pools_entry, cmd_agents_entry;
extern const struct cmd_entry cmd_login_entry, cmd_logout_entry;
extern const struct cmd_entry cmd_projects_entry, cmd_share_entry,
	cmd_unshare_entry;

/* The option codes every command accepts (beyond its own). */
enum { OPT_HOME = 1000, OPT_HELP, OPT_JSON, OPT_SERVER, OPT_CA,
       OPT_PROJECT };

/** Handle --home/--help/--json; returns 1 if opt was one of them. */
int cli_common_opt(struct cli_ctx *ctx, const struct cmd_entry *cmd,
		   int opt, const char *arg, int *exit_now);
/* The entries every command's option table ends with. */
#define CLI_COMMON_OPTIONS \
	{ "home", required_argument, NULL, OPT_HOME }, \
	{ "help", no_argument, NULL, OPT_HELP }, \
	{ "server", required_argument, NULL, OPT_SERVER }, \
	{ "ca", required_argument, NULL, OPT_CA }, \
	{ "project", required_argument, NULL, OPT_PROJECT }, \
	{ NULL, 0, NULL, 0 }

/**
 * Parse argv with shortopts (getopt letters, or NULL) and opts (which end with CLI_COMMON_OPTIONS; include
 * { "json", no_argument, NULL, OPT_JSON } where the command prints data).
 * Common options are handled here; others go to on_opt.  Positional
 * arguments are left in argv[optind..argc-1].  *exit_now is set after
 * --help.  Returns an exit code.
 */
int cli_parse(struct cli_ctx *ctx, const struct cmd_entry *cmd, int argc,
	      char **argv, const char *shortopts, const struct option *opts,
	      int (*on_opt)(int c, const char *arg, void *data), void *data,
	      int *exit_now);
/** An on_opt for commands whose one option is a flag (data: int, set 1). */
int cli_flag_opt(int c, const char *arg, void *data);
/** An on_opt for commands whose one option is --limit N (data: size_t). */
int cli_limit_opt(int c, const char *arg, void *data);
/** Print usage of cmd to f. */
void cli_usage(const struct cmd_entry *cmd, FILE *f);
/** Print "svcconn: error: <msg>" and return the exit code for rc. */
int cli_fail(int rc, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/** Exit code for the library's last error with code rc, printing it. */
int cli_lib_fail(int rc);
/** Exit code for rc without printing. */
int cli_exit_code(int rc);
/** Print every diagnostic to stderr. */
void cli_print_diags(const svc_diags *d);
/**
 * svc_catalog_new(), printing the warnings of the definitions it skipped
 * (the first time in the process only).
 */
int cli_catalog_new(svc_catalog **cat);
/** Usage error: message, then the usage line. */
int cli_usage_error(const struct cmd_entry *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/**
 * Open the store named by ctx; against a server (--server, SVCCONN_SERVER)
 * connect to it instead (ctx->remote) and leave *out NULL, or refuse with
 * EXIT_USAGE a command that works only on a local store.
 */
int cli_open_store(struct cli_ctx *ctx, svc_store **out);
/** The server named (--server, else SVCCONN_SERVER), or NULL: none. */
const char *cli_server(const struct cli_ctx *ctx);
/**
 * EXIT_OK without a server (--server, SVCCONN_SERVER); else "'CMD' works
 * only on a local store" and EXIT_USAGE (cli_open_store says it too).
 */
int cli_refuse_server(const struct cli_ctx *ctx);
/** Seconds since the epoch t as YYYY-MM-DDTHH:MM:SSZ, or "-" for 0, into
 * out; returns out. */
const char *cli_when(char out[32], long long t);

/*
 * The verbs every command that works against a server calls: each goes to
 * the server when ctx->remote is set, else to svc_ops_* on st as ctx->who,
 * and returns what that returns (cli_remote.c).  One output path per
 * command, whichever acts.
 */
int cli_conn_get(struct cli_ctx *ctx, svc_store *st, svc_conn **out,
		 const char *name_or_id);
/** As svc_ops_conn_edit: the connection to change and save. */
int cli_conn_edit(struct cli_ctx *ctx, svc_store *st, svc_conn **out,
		  const char *name_or_id);
int cli_conn_create(struct cli_ctx *ctx, svc_store *st, svc_conn *c);
int cli_conn_update(struct cli_ctx *ctx, svc_store *st, svc_conn *c);
int cli_conn_rename(struct cli_ctx *ctx, svc_store *st,
		    const char *name_or_id, const char *new_name);
int cli_conn_delete(struct cli_ctx *ctx, svc_store *st,
		    const char *name_or_id);
/** The connections and their recorded expiries, from one listing. */
int cli_conn_list_expiry(struct cli_ctx *ctx, svc_store *st,
			 svc_conn ***conns, size_t *nconns,
			 svc_cert_expiry **exp, size_t *nexp);
int cli_audit(struct cli_ctx *ctx, svc_store *st, svc_audit_list **out,
	      const svc_audit_filter *f);
int cli_pipeline_list(struct cli_ctx *ctx, svc_store *st, char ***out,
		      size_t *n, const char *name_or_id);
/** Allow (1) or disallow pipeline on the connection. */
int cli_pipeline_set(struct cli_ctx *ctx, svc_store *st,
		     const char *name_or_id, const char *pipeline, int allow);
int cli_conn_set_all_pipelines(struct cli_ctx *ctx, svc_store *st,
			       const char *name_or_id, int all);
/** As svc_ops_approval_list. */
int cli_approval_list(struct cli_ctx *ctx, svc_store *st, svc_check_run **out,
		      char ***conn_names, size_t *n, int pending_only);
/** As svc_ops_decide. */
int cli_decide(struct cli_ctx *ctx, svc_store *st, const char *check_run_id,
	       const char *decision, const char *comment,
	       const char *defer_until);
/** As svc_ops_bypass. */
int cli_bypass(struct cli_ctx *ctx, svc_store *st, const char *check_run_id);
int cli_usage_list(struct cli_ctx *ctx, svc_store *st, svc_usage **out,
		   size_t *n, const char *name_or_id, size_t limit);
int cli_request_list(struct cli_ctx *ctx, svc_store *st,
		     svc_perm_request **out, size_t *n, int pending_only);
int cli_request_permit(struct cli_ctx *ctx, svc_store *st,
		       svc_perm_request **req, const char *id);
int cli_check_list(struct cli_ctx *ctx, svc_store *st, svc_check **out,
		   size_t *n, const char *name_or_id);
int cli_check_add(struct cli_ctx *ctx, svc_store *st, char **id,
		  const char *name_or_id, const char *kind,
		  const char *const *keys, const char *const *values,
		  size_t n);
int cli_check_remove(struct cli_ctx *ctx, svc_store *st,
		     const char *name_or_id, const char *check_id);
int cli_check_enable(struct cli_ctx *ctx, svc_store *st,
		     const char *name_or_id, const char *check_id,
		     int enabled);
/**
 * The role assignments on scope (NULL: the store) with its inheritance,
 * the acting principal's role there (*mine) and name (*you), and the
 * connection's name (*conn_name, NULL for the store); *you and
 * *conn_name are new strings.
 */
int cli_role_list(struct cli_ctx *ctx, svc_store *st, const char *scope,
		  svc_role_entry **out, size_t *n, int *inherit,
		  svc_role *mine, char **you, char **conn_name);
int cli_role_set(struct cli_ctx *ctx, svc_store *st, const char *scope,
		 const char *principal, svc_role role);
int cli_inherit_set(struct cli_ctx *ctx, svc_store *st, const char *scope,
		    int on);
int cli_group_list(struct cli_ctx *ctx, svc_store *st, char ***out,
		   size_t *n, const char *group);
/** Create (1) or delete (0) a group. */
int cli_group_make(struct cli_ctx *ctx, svc_store *st, const char *group,
		   int create);
/** Add (1) or remove (0) a member of a group. */
int cli_group_member(struct cli_ctx *ctx, svc_store *st, const char *group,
		     const char *member, int add);
int cli_pipedef_list(struct cli_ctx *ctx, svc_store *st, svc_pipedef **out,
		     size_t *n);
int cli_pipedef_register(struct cli_ctx *ctx, svc_store *st,
			 const char *name, const char *connection,
			 const char *url, const char *path,
			 const char *branch);
int cli_pipedef_remove(struct cli_ctx *ctx, svc_store *st, const char *name);
int cli_token_create(struct cli_ctx *ctx, svc_store *st, char **token,
		     svc_token_info *info, const char *owner,
		     const char *name, const char *scopes, unsigned days);
int cli_token_list(struct cli_ctx *ctx, svc_store *st, svc_token_info **out,
		   size_t *n, const char *owner, int all);
int cli_token_revoke(struct cli_ctx *ctx, svc_store *st, const char *id);
int cli_password_set(struct cli_ctx *ctx, svc_store *st, const char *name,
		     const char *password, size_t len);
int cli_password_remove(struct cli_ctx *ctx, svc_store *st, const char *name);
int cli_user_list(struct cli_ctx *ctx, svc_store *st, svc_user_info **out,
		  size_t *n);
int cli_oidc_keys(struct cli_ctx *ctx, svc_store *st, svc_oidc_key **out,
		  size_t *n);
int cli_oidc_rotate(struct cli_ctx *ctx, svc_store *st, char **kid,
		    const char *alg);
int cli_project_list(struct cli_ctx *ctx, svc_store *st, svc_project **out,
		     size_t *n);
int cli_project_create(struct cli_ctx *ctx, svc_store *st, const char *name,
		       const char *description);
int cli_project_delete(struct cli_ctx *ctx, svc_store *st, const char *name);
/** As svc_ops_conn_share (share 1) or svc_ops_conn_unshare. */
int cli_conn_share(struct cli_ctx *ctx, svc_store *st, int share,
		   const char *name_or_id, const char *project,
		   const char *name, const char *description);
int cli_pool_list(struct cli_ctx *ctx, svc_store *st, svc_pool **out,
		  size_t *n);
int cli_pool_create(struct cli_ctx *ctx, svc_store *st, const char *name,
		    int trusted);
int cli_agent_list(struct cli_ctx *ctx, svc_store *st, svc_agent **out,
		   size_t *n);
int cli_agent_revoke(struct cli_ctx *ctx, svc_store *st, const char *name);
int cli_agent_registration_token(struct cli_ctx *ctx, svc_store *st,
				 char **token, long long *expires,
				 const char *pool, unsigned hours);
/**
 * The connection types (cat: the local catalog, unused against a server),
 * or the one type names (NULL: all), as a JSON array of Azure DevOps'
 * ServiceEndpointType (svc_type_json) into *out: the server's or cat's.
 */
int cli_types(struct cli_ctx *ctx, const svc_catalog *cat, json_t **out,
	      const char *type);
/** As svc_ops_pipeline_source (a server fetches the file itself). */
int cli_pipeline_source(struct cli_ctx *ctx, svc_store *st, char **yaml,
			size_t *len, char **origin, const char *pipeline,
			const char *commit);
/** As svc_ops_project_role_list: the roles in the project acted in. */
int cli_project_role_list(struct cli_ctx *ctx, svc_store *st,
			  svc_role_entry **out, size_t *n);
/** As svc_ops_project_role_set (SVC_ROLE_NONE: remove). */
int cli_project_role_set(struct cli_ctx *ctx, svc_store *st,
			 const char *principal, svc_role role);
/** As svc_ops_verify (the server verifies with its stored secrets). */
int cli_verify(struct cli_ctx *ctx, svc_store *st, svc_verify_result *out,
	       svc_conn **conn, char **pinned, const svc_catalog *cat,
	       const char *name_or_id, unsigned flags);
/** As svc_ops_export; against a server never with SVC_EXPORT_SECRETS. */
int cli_export(struct cli_ctx *ctx, svc_store *st, char **text, size_t *len,
	       size_t *count, const char *const *names, size_t nnames,
	       unsigned flags);
/** As svc_ops_conn_import: one transaction, all or nothing. */
int cli_conn_import(struct cli_ctx *ctx, svc_store *st, svc_conn **conns,
		    size_t count, unsigned flags);
/** As svc_ops_cert_rescan (the server decrypts its own store). */
int cli_cert_rescan(struct cli_ctx *ctx, svc_store *st, size_t *scanned,
		    const svc_catalog *cat);
/**
 * EXIT_OK on a local store; against a server, "WHAT works only on a local
 * store, not against a server" and EXIT_USAGE.
 */
int cli_local_only(const struct cli_ctx *ctx, const char *what);
/** Connect to the server ctx names (cli_open_store does it). */
int cli_remote_open(struct cli_ctx *ctx);
/** Print s with control characters replaced, for terminals. */
void cli_print_safe(FILE *f, const char *s);
/** Print a JSON value on stdout with a newline; takes the reference. */
int cli_print_json(json_t *v);

/**
 * A JSON array printed on stdout one element at a time, byte for byte as
 * cli_print_json prints the whole array, so that a list of thousands
 * never exists as one tree: cli_json_array_add each element (it takes the
 * reference), then cli_json_array_end.  Start it zeroed.
 */
struct cli_json_array {
	char buf[64 * 1024]; /**< output not yet written */
	size_t len;          /**< bytes in buf */
	size_t n;            /**< elements added */
	int failed;          /**< an element or a write failed */
};
void cli_json_array_add(struct cli_json_array *a, json_t *v);
/** Close the array and its line: EXIT_OK, or the failure printed. */
int cli_json_array_end(struct cli_json_array *a);
/**
 * Check c's certificates and keys before create/edit stores it (secrets
 * edit did not load are read from the store): prints every problem naming
 * connection and field; EXIT_USAGE when one is an error (mismatch,
 * expired, unparseable, wrong passphrase), EXIT_OK otherwise (an expiry
 * within 30 days is a warning).  In cmd_expiring.c.
 */
int cli_check_certs(struct cli_ctx *ctx, svc_store *st, const svc_conn *c,
		    const svc_catalog *cat);
/** The expiry entry of connection id in l (ordered like it, *hint 0 first). */
const svc_cert_expiry *cli_expiry_of(const svc_cert_expiry *l, size_t n,
				     size_t *hint, const char *id);
/** A time (seconds since the epoch) as YYYY-MM-DD, UTC. */
void cli_day(char out[16], long long t);
/**
 * create/edit --verify: verify c (secrets the edit did not load are read
 * from the store) and print the result (on stderr with --json); EXIT_OK
 * when the service accepted it (or no call can check the type), else
 * EXIT_FAILED after "verification failed (...): ...; nothing stored".
 * In cmd_verify.c.
 */
int cli_verify_before_save(struct cli_ctx *ctx, svc_store *st,
			   const svc_conn *c, const svc_catalog *cat);
/**
 * Print the verification r before a save as create/edit --verify prints
 * it ("verified: ..." on stdout, stderr with --json): EXIT_OK when the
 * service accepted it, else EXIT_FAILED after "verification failed
 * (...): ...; nothing stored".  In cmd_verify.c.
 */
int cli_verify_report(const struct cli_ctx *ctx, const svc_verify_result *r);
/** The JSON object `show --json` prints for a connection (no secrets). */
json_t *cli_conn_json(const svc_conn *c, const svc_catalog *cat);

#endif
