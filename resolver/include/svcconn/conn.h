/*
 * conn.h - a service connection in memory.
 *
 * An svc_conn holds a connection's identity, metadata and fields.  Secret
 * field values live only in buffers that are wiped when replaced or freed.
 * A secret read from the store without decryption is "set" but has no value
 * (svc_conn_field.value == NULL, .is_set == 1): such a field is kept as it
 * is when the connection is written back.
 */
#ifndef SVCCONN_CONN_H
#define SVCCONN_CONN_H

#include <stddef.h>
#include "catalog.h"
#include "errors.h"

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default)

typedef struct svc_conn svc_conn;

/** A read-only view of one field. */
typedef struct svc_conn_field {
	const char *key;       /**< key, catalog case after validation */
	svc_field_kind kind;   /**< auth, data or url */
	int secret;            /**< 1 for secret fields */
	int is_set;            /**< 1 when a value exists (even if not loaded) */
	const char *value;     /**< NUL-terminated value, NULL if not loaded */
	size_t len;            /**< length of value in bytes */
} svc_conn_field;

/** Length of a textual connection id (UUID) without the NUL. */
#define SVC_ID_LEN 36

int svc_conn_new(svc_conn **out, const char *type, const char *name);
/** Deep copy, secrets included. */
int svc_conn_dup(svc_conn **out, const svc_conn *c);
/** Wipes every value, then frees; NULL is accepted. */
void svc_conn_free(svc_conn *c);

const char *svc_conn_id(const svc_conn *c);
const char *svc_conn_name(const svc_conn *c);
const char *svc_conn_type(const svc_conn *c);
const char *svc_conn_scheme(const svc_conn *c);   /**< NULL until chosen */
const char *svc_conn_url(const svc_conn *c);      /**< NULL if none */
const char *svc_conn_description(const svc_conn *c);
const char *svc_conn_created_by(const svc_conn *c);
const char *svc_conn_created_at(const svc_conn *c);
const char *svc_conn_updated_by(const svc_conn *c);
const char *svc_conn_updated_at(const svc_conn *c);
int svc_conn_all_pipelines(const svc_conn *c);
/** The id of the project owning the connection (NULL until stored). */
const char *svc_conn_project_id(const svc_conn *c);

int svc_conn_set_id(svc_conn *c, const char *id);
int svc_conn_set_name(svc_conn *c, const char *name);
int svc_conn_set_type(svc_conn *c, const char *type);
int svc_conn_set_scheme(svc_conn *c, const char *scheme);
int svc_conn_set_url(svc_conn *c, const char *url);
int svc_conn_set_description(svc_conn *c, const char *text);
void svc_conn_set_all_pipelines(svc_conn *c, int all);
/** Set by the store when it reads the connection. */
int svc_conn_set_project_id(svc_conn *c, const char *project_id);
/** Store-side metadata (creator, times); NULL leaves a value unchanged. */
int svc_conn_set_meta(svc_conn *c, const char *created_by,
		      const char *created_at, const char *updated_by,
		      const char *updated_at);

/**
 * Set a field (not the URL: use svc_conn_set_url) to a value of len bytes
 * (copied).  Kind and secret flag are provisional until svc_conn_validate()
 * fills them from the catalog.  Replacing a value wipes the old one.
 */
int svc_conn_set_field(svc_conn *c, const char *key, const char *value,
		       size_t len);
/** Record a secret field that is set but not loaded (from the store). */
int svc_conn_set_field_unloaded(svc_conn *c, const char *key,
				svc_field_kind kind);
/** Set kind and secret flag of a field directly (store loading). */
int svc_conn_set_field_class(svc_conn *c, const char *key,
			     svc_field_kind kind, int secret);
/** Remove a field; returns SVC_ENOTFOUND when it is not there. */
int svc_conn_unset_field(svc_conn *c, const char *key);

size_t svc_conn_field_count(const svc_conn *c);
/** Field i (0-based) into *out; SVC_ENOTFOUND when out of range. */
int svc_conn_field_at(const svc_conn *c, size_t i, svc_conn_field *out);
/** Field by key, case-insensitive; SVC_ENOTFOUND if absent. */
int svc_conn_field_get(const svc_conn *c, const char *key,
		       svc_conn_field *out);

/**
 * Validate c against the catalog: known type (its id normalised to the
 * catalog's spelling), a scheme of that type (a variant name is turned into
 * its scheme and presets), every field known for the scheme (keys normalised
 * to the catalog's case), defaults applied, required fields present, values
 * passing their validators.  Fills kind and secret flags.  Every problem is
 * added to diags (file/line left empty; field set); returns SVC_EINVALID if
 * any was found.
 */
int svc_conn_validate(svc_conn *c, const svc_catalog *cat, svc_diags *diags);

/** A new random UUID (version 4), lower case with dashes, into buf[37]. */
int svc_uuid_new(char buf[SVC_ID_LEN + 1]);
/** 1 when s is a UUID in canonical lower-case form. */
int svc_is_uuid(const char *s);

/**
 * The user name and password git gets from connection c (its secrets
 * loaded), by its scheme as the Azure agent does: UsernamePassword its
 * username and password; OAuth "OAuth", PersonalAccessToken
 * "PersonalAccessToken", Token "x-access-token" with its AccessToken (or
 * apitoken).  Pointers into c, valid while c lives.  SVC_ENOTFOUND when
 * the scheme gives git nothing.
 */
int svc_conn_git_credential(const svc_conn *c, const char **user,
			    const char **pass, size_t *passlen);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
