/*
 * mask_int.h - the masker's internals, shared by its files, the tests, the
 * fuzz target and the benchmark.
 *
 *   encodings.c  the encoded forms of a value (mask_forms())
 *   logcmd.c     parsing one logging-command line (logcmd_parse())
 *   mask.c       the pattern set and its compiled database
 *   stream.c     filtering an output, and the commands' effects
 */
#ifndef SVC_MASK_INT_H
#define SVC_MASK_INT_H

#include <stddef.h>
#include <stdint.h>
#include <pthread.h>

#include <hs.h>

#include "svcconn/mask.h"
#include "util/buf.h"

/* ---- encodings.c ---- */

/** Receives one encoded form; return 0 to go on, an error code to stop. */
typedef int (*mask_form_fn)(void *ctx, const char *form, size_t len);

/**
 * Call fn with every form of the value v (raw, JSON, URL, backslash,
 * logging-command escaping, base64 padded and shifted, both alphabets).
 * Forms may repeat; empty ones are skipped.  Working copies are wiped.
 */
int mask_forms(const char *v, size_t len, mask_form_fn fn, void *ctx);
/** Only the base64 forms of v (whole padded, and shifted by 0, 1, 2). */
int mask_forms_base64(const char *v, size_t len, mask_form_fn fn, void *ctx);
/**
 * The characters of base64(k prefix bytes + v + anything) that depend on
 * v's bytes alone, for k in 0..2; urlsafe picks the URL alphabet.
 */
int mask_base64_shifted(svc_buf *out, const char *v, size_t len, unsigned k,
			int urlsafe);

/* ---- logcmd.c ---- */

/** The prefix that starts a logging command. */
#define LOGCMD_PREFIX "##vso["
#define LOGCMD_PREFIX_LEN 6

/** One property of a parsed command: offsets into the owning logcmd. */
typedef struct logcmd_prop {
	size_t key;             /**< offset of the key (NUL-terminated) */
	size_t val;             /**< offset of the unescaped value */
	size_t val_len;         /**< its length */
} logcmd_prop;

/** A parsed logging command; its text is kept in wiping buffers. */
typedef struct logcmd {
	svc_buf text;           /**< secret: area, event, keys, values, data,
				     each NUL-terminated */
	svc_buf props;          /**< array of logcmd_prop */
	size_t nprops;          /**< entries in props */
	size_t area;            /**< offset of the area in text */
	size_t event;           /**< offset of the event in text */
	size_t data;            /**< offset of the unescaped data */
	size_t data_len;        /**< its length */
} logcmd;

void logcmd_init(logcmd *c);
/** Wipe and free. */
void logcmd_clear(logcmd *c);
/**
 * Parse the command on one line (without its newline; a trailing CR is
 * dropped).  0 parsed; SVC_ENOTFOUND when the line holds no "##vso[";
 * SVC_EINVALID with the reason in svc_error_last() when it is malformed.
 */
int logcmd_parse(logcmd *c, const char *line, size_t len);
/** 1 when the command is area.event (case-insensitive). */
int logcmd_is(const logcmd *c, const char *area, const char *event);
/** The value of the last property named key (case-insensitive), or NULL. */
const char *logcmd_prop_get(const logcmd *c, const char *key, size_t *len);
/** The unescaped data (NUL-terminated). */
const char *logcmd_data(const logcmd *c, size_t *len);
/** "area.event" for messages, sanitized (letters, digits, '.', '_'). */
void logcmd_name(const logcmd *c, char *out, size_t size);
/**
 * 1 when v is true as the agent reads a command's property (.NET's
 * Boolean.TryParse): "true" in any case, white space (and NULs) around it
 * ignored.
 */
int logcmd_is_true(const char *v, size_t len);
/** Undo the logging-command escapes of s into out (appended). */
int logcmd_unescape(svc_buf *out, const char *s, size_t len);

/* ---- mask.c ---- */

/*
 * A compiled pattern set; immutable once built, shared by reference.  A
 * database is one layer, or a small layer of the patterns added since a
 * bigger one was built stacked on that one (below): a stream scans every
 * layer of the chain, and the masked bytes are the union of their matches.
 * Layers are shared between maskers (svc_masker_clone()): their reference
 * counts are atomic.
 */
typedef struct mask_db {
	hs_database_t *hs;      /**< vectored-mode literal database, or NULL
				     for a layer without patterns */
	size_t *lens;           /**< length of pattern id i */
	unsigned npat;          /**< secret patterns: ids 0..npat-1 */
	unsigned cmd_id;        /**< id of the "##vso[" pattern (= npat), in
				     the bottom layer; UINT_MAX above it */
	size_t maxlen;          /**< longest secret pattern of this layer and
				     those below, 0 when none */
	int nl_safe;            /**< 1 when no pattern of this layer or those
				     below holds a newline */
	uint64_t gen;           /**< the masker's generation it was built at */
	size_t nents;           /**< the set's members 0..nents-1 are compiled
				     into this layer and those below */
	size_t allpat;          /**< patterns of this layer and those below */
	struct mask_db *below;  /**< the layer under this one (a reference),
				     or NULL */
	unsigned refs;          /**< maskers', streams' and upper layers'
				     references (atomic) */
} mask_db;

/*
 * Bytes at the start of a database left intact when it is wiped: the
 * header (magic, version, length, CRC; under 128 bytes) that
 * hs_free_database() checks.  The database is one block of
 * hs_database_size() bytes; the literal tables lie past the engine's own
 * header, far beyond this offset (test_mask checks it).
 */
#define MASK_DB_HEADER ((size_t)256)

/** Wipe a database's tables (not its header) before freeing it. */
void mask_hs_wipe(hs_database_t *hs);
/** Take a reference to the current database, building it if needed. */
int mask_db_acquire(svc_masker *m, mask_db **out);
/** Drop a reference; the last one wipes and frees the database. */
void mask_db_release(svc_masker *m, mask_db *db);
/** The longest line read as a command. */
size_t mask_max_line(const svc_masker *m);
/** Changes when a pattern is added: to notice new secrets. */
uint64_t mask_generation(svc_masker *m);
/** How many databases the masker has built (for tests). */
uint64_t mask_build_count(svc_masker *m);
/** How many of those were full builds of every pattern (for tests). */
uint64_t mask_full_build_count(svc_masker *m);

/** Most layers a database has (each one more pass over the output). */
#define MASK_LAYERS_MAX 4

/** When new patterns go into a layer of their own rather than a rebuild. */
enum mask_layering {
	MASK_LAYER_AUTO = 0,    /**< while they are few beside the rest */
	MASK_LAYER_NEVER = 1,   /**< never: rebuild everything (baseline) */
	MASK_LAYER_ALWAYS = 2   /**< always, however many (tests) */
};
/** Choose the layering policy of m (the benchmark's and tests' knob). */
void mask_set_layering(svc_masker *m, enum mask_layering mode);
/** Call fn with each distinct pattern (for the benchmark's grep). */
int mask_foreach_pattern(svc_masker *m, mask_form_fn fn, void *ctx);
/** Register a value as a secret; *too_short set to 1 when refused. */
int mask_add(svc_masker *m, const char *v, size_t len, int *too_short);

/* ---- stream.c ---- */

/** Size of the pieces a write is cut into before scanning. */
#define MASK_CHUNK ((size_t)64 * 1024)

/** Bytes the stream has allocated (the bounded-memory tests). */
size_t mask_stream_memory(const svc_mask_stream *s);

#endif
