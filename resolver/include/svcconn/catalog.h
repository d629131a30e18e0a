/*
 * catalog.h - the connection types svcconn knows, as data.
 *
 * A type (dockerregistry, azurerm, ssh, ...) has auth schemes; a scheme has
 * fields.  A field is the key tasks read (exact case), where it lives (auth
 * parameter, data field or the URL), whether it is required, secret, has a
 * default, and how its value is validated.  The built-in types are compiled
 * in as constant tables; a catalog handle may later add custom types loaded
 * from definition files, so callers always go through an svc_catalog.
 *
 * Type ids and scheme ids compare case-insensitively; field keys are kept in
 * their exact case but are also looked up case-insensitively, the way the
 * agent's dictionaries and the task library do.
 */
#ifndef SVCCONN_CATALOG_H
#define SVCCONN_CATALOG_H

#include <stddef.h>
#include "errors.h"

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default)

/** Where a field's value goes when a task sees the connection. */
typedef enum svc_field_kind {
	SVC_FIELD_AUTH = 0, /**< authorization parameter */
	SVC_FIELD_DATA = 1, /**< data field */
	SVC_FIELD_URL = 2   /**< the connection's URL (key "url") */
} svc_field_kind;

/** How a field's value is checked. */
typedef enum svc_validator {
	SVC_VALID_NONE = 0,     /**< any text */
	SVC_VALID_URL,          /**< absolute http(s) URL */
	SVC_VALID_TCP_URL,      /**< tcp://host:port (Service Fabric, Docker host) */
	SVC_VALID_GUID,         /**< 8-4-4-4-12 hex */
	SVC_VALID_PEM,          /**< one or more PEM blocks */
	SVC_VALID_BASE64,       /**< standard base64 */
	SVC_VALID_KUBECONFIG,   /**< YAML kubeconfig, the named context present */
	SVC_VALID_THUMBPRINTS,  /**< comma-separated hex SHA-1/SHA-256 thumbprints */
	SVC_VALID_NAME,         /**< letters, digits, '-', '_', '.': no spaces */
	SVC_VALID_ENUM,         /**< one of arg, '|'-separated (exact case) */
	SVC_VALID_BOOL,         /**< "true" or "false" */
	SVC_VALID_PORT,         /**< 1..65535 */
	SVC_VALID_KNOWN_HOSTS,  /**< known_hosts lines: host keytype base64 */
	SVC_VALID_REGEX,        /**< POSIX extended regex in arg, whole value */
	SVC_VALID_LENGTH        /**< arg "min..max" byte length */
} svc_validator;

/** One field of a scheme. */
typedef struct svc_field {
	const char *key;           /**< key as tasks read it, exact case */
	svc_field_kind kind;       /**< auth, data or url */
	const char *label;         /**< label from the reference text */
	int required;              /**< 1 when always required */
	const char *required_when; /**< "otherkey=value" (or NULL) */
	int secret;                /**< 1 when the value is a secret */
	const char *default_value; /**< applied when not given (or NULL) */
	svc_validator validator;   /**< value check */
	const char *validator_arg; /**< enum values, regex, bounds (or NULL) */
	const char *help;          /**< one line for `svcconn types TYPE` */
} svc_field;

/** One authentication scheme of a type. */
typedef struct svc_scheme {
	const char *id;            /**< scheme name tasks see: Token, ... */
	const char *label;         /**< the reference's method name */
	const svc_field *fields;   /**< fields of this scheme only */
	size_t nfields;            /**< number of entries in fields */
} svc_scheme;

/**
 * A variant: a named way to create a connection of a type, that picks a
 * scheme and presets data (Kubernetes "ServiceAccount", Docker Registry
 * "ACR-ServicePrincipal", ...).  Accepted wherever a scheme is.
 */
typedef struct svc_variant {
	const char *id;            /**< variant name, e.g. Kubeconfig */
	const char *label;         /**< label from the reference */
	const char *scheme;        /**< the scheme it selects */
	const char *presets;       /**< "key=value;key=value" data presets */
} svc_variant;

/** A named value of a verify request: a form field, and its template. */
typedef struct svc_verify_param {
	const char *name;          /**< form field name */
	const char *value;         /**< template: "{key}" is the field's value,
				        "{url}" the connection's URL */
} svc_verify_param;

/**
 * How a connection of a custom type is verified: one HTTP request built
 * from the connection's URL and fields, and the status that means success.
 */
typedef struct svc_verify_request {
	const char *method;        /**< GET, POST, HEAD, PUT, OPTIONS */
	const char *url;           /**< template, as svc_verify_param.value */
	int expect_status;         /**< e.g. 200 */
	const char *auth;          /**< "basic", "bearer", "header" or NULL */
	const char *auth_username; /**< basic: key of the user name field */
	const char *auth_secret;   /**< key of the password or token field */
	const char *auth_header;   /**< header: the header's name */
	const svc_verify_param *form; /**< a form-encoded body (or NULL) */
	size_t nform;              /**< entries in form */
} svc_verify_request;

/** A connection type. */
typedef struct svc_type {
	const char *id;            /**< endpoint type id: dockerregistry */
	const char *name;          /**< display name: Docker Registry */
	const char *description;   /**< one line */
	const char *aliases;       /**< other id spellings, ',' separated, or NULL */
	const svc_field *common;   /**< fields every scheme has (data, url) */
	size_t ncommon;            /**< entries in common */
	const svc_scheme *schemes; /**< auth schemes, default first */
	size_t nschemes;           /**< entries in schemes */
	const svc_variant *variants; /**< creation variants (or NULL) */
	size_t nvariants;          /**< entries in variants */
	int git_capable;           /**< 1 when it can serve git credentials */
	const svc_verify_request *verify; /**< custom types: how to verify
					   (or NULL) */
	const char *source;        /**< custom types: the definition file;
				        NULL for the built-in ones */
} svc_type;

typedef struct svc_catalog svc_catalog;

/**
 * A catalog holding the built-in types and the custom ones defined in
 * $SVCCONN_HOME/types, the directories of SVCCONN_TYPES_PATH and the
 * installed definitions (see docs/custom-types.md).  A definition that
 * cannot be used (malformed, over the regular expressions' bounds, a
 * built-in id, not a regular file) is skipped: the catalog loads without
 * it and svc_catalog_warnings() says why, by file and line.
 */
int svc_catalog_new(svc_catalog **out);
/**
 * The warnings of the definitions cat skipped when it loaded (file, line,
 * column, reason; severity SVC_SEV_WARNING), or NULL when there are none.
 * The list lives as long as cat.
 */
const svc_diags *svc_catalog_warnings(const svc_catalog *cat);
/**
 * Check the type definition in the file at path against the catalog (a
 * built-in id may not be redefined).  0 with its id in *id (a new string),
 * or SVC_EINVALID with every problem, by file, line and field, in diags.
 */
int svc_catalog_check_definition(char **id, const svc_catalog *cat,
				 const char *path, svc_diags *diags);
/**
 * t as the JSON text of Azure DevOps' ServiceEndpointType, with svcconn's
 * members (what GET /_apis/serviceendpoint/types of svcconn-server holds
 * for it, docs/server.md), in a new string (free()).
 */
int svc_type_json(char **out, const svc_type *t);
/** 1 when t is a custom type (loaded from a definition file). */
int svc_type_is_custom(const svc_type *t);
/**
 * Install the type definition in file into the types/ directory of the
 * store at home (NULL: SVCCONN_HOME or the default), as ID.yml (0600, the
 * directory 0700): checked first (problems in diags; nothing installed),
 * refused with SVC_EEXISTS when ID is installed there already unless
 * replace, and taken back when the catalog does not load with it.  *id
 * and *dest (may be NULL) get new strings: the type's id and the file
 * written.
 */
int svc_catalog_install(char **id, char **dest, const char *file,
			const char *home, int replace, svc_diags *diags);
/**
 * Remove the definition of type id from the types/ directory of the store
 * at home.  SVC_ENOTFOUND when it is not installed there (a built-in type,
 * or one defined elsewhere: the message says where).  Whether connections
 * of the type exist is the caller's to check first.
 */
int svc_catalog_uninstall(const char *id, const char *home);
void svc_catalog_free(svc_catalog *cat);

size_t svc_catalog_count(const svc_catalog *cat);
const svc_type *svc_catalog_at(const svc_catalog *cat, size_t i);
/** Find a type by id or alias, case-insensitively; NULL if none. */
const svc_type *svc_catalog_find(const svc_catalog *cat, const char *id);
/** Find a scheme by id, case-insensitively; NULL if none. */
const svc_scheme *svc_type_scheme(const svc_type *t, const char *id);
/** Find a variant by id, case-insensitively; NULL if none. */
const svc_variant *svc_type_variant(const svc_type *t, const char *id);
/**
 * Find a field of scheme s (its own fields, then the type's common ones)
 * by key, case-insensitively; NULL if none.
 */
const svc_field *svc_type_field(const svc_type *t, const svc_scheme *s,
				const char *key);
/** Number of fields of a scheme including the common ones. */
size_t svc_type_field_count(const svc_type *t, const svc_scheme *s);
/** Field i of a scheme, common fields after the scheme's own. */
const svc_field *svc_type_field_at(const svc_type *t, const svc_scheme *s,
				   size_t i);

/**
 * Check one value against a field's validator.  On failure returns
 * SVC_EINVALID and sets *why (static text) to the reason.
 */
int svc_field_check(const svc_field *f, const char *value, size_t len,
		    const char **why);

/** "auth", "data" or "url". */
const char *svc_field_kind_name(svc_field_kind k);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
