/*
 * mask.h - hiding secrets in a job's output, and the logging commands that
 * register them.
 *
 * An svc_masker holds the set of registered secrets.  Each secret is
 * registered in every form it may take in a log, and every occurrence of
 * any form is replaced by "***":
 *
 *   - the raw value;
 *   - JSON-escaped (Newtonsoft's escaping, and with non-ASCII as \uXXXX);
 *   - percent-encoded (RFC 3986 unreserved kept, upper and lower case hex;
 *     JavaScript's encodeURIComponent; form encoding with '+' for space;
 *     as a URL's userinfo, RFC 3986's sub-delims or WHATWG's set kept);
 *   - XML-escaped (& < > " ' as entities; & < > only; ' as &#x27;);
 *   - backslash-escaped (\ and " escaped; \ and ' escaped; \ " $ `
 *     escaped as in shell double quotes) and, like the Azure Pipelines
 *     agent, with the escapes \\ \' \" \t undone;
 *   - escaped for a logging command (% as %AZP25, CR %0D, LF %0A, and in
 *     a property ; %3B and ] %5D);
 *   - base64 (standard and URL alphabets): the whole padded encoding, and
 *     the part of the encoding that does not depend on the bytes around
 *     the value when it sits 0, 1 or 2 bytes into a 3-byte group of a
 *     longer base64 text;
 *   - for svc_masker_add_basic_auth(), the base64 of "user:password";
 *   - for a multi-line value, each line on its own (CR LF or LF).
 *
 * Secrets shorter than the minimum length (SVC_MASK_MIN_LENGTH, 4 bytes,
 * unless the options say otherwise) are not masked: masking "a" would
 * blank every log.  They are counted instead, and the caller warns "N
 * secret(s) too short to mask" (svc_masker_take_too_short()).  Encoded
 * forms shorter than the minimum are dropped likewise.  A line of a
 * multi-line secret shorter than the minimum is covered only where the
 * whole value appears; it is not counted.  (A form that starts with NUL
 * bytes is matched from its first other byte: Vectorscan cannot take a
 * literal starting with NUL.)  Nothing but what is registered is ever
 * masked.
 *
 * An svc_mask_stream filters one output (stdout, stderr) through a masker:
 * what is written to it goes to the caller's write callback with the
 * secrets replaced.  A secret split across two writes is still masked: the
 * stream holds back only the bytes that could still be the start of a
 * secret (at most the longest form's length minus one, and nothing past a
 * newline when no form spans lines).  Several streams may share a masker,
 * also from different threads; a secret added through one (or through the
 * API) is masked by all from their next write on, including bytes they
 * still hold back.
 *
 * A stream made with commands set also reads the Azure Pipelines logging
 * commands of its output (stdout or stderr: the agent reads both),
 * `##vso[area.event k=v;k=v]data` anywhere on a line, the prefix and the
 * command's name in any case, with the values unescaped (%3B %0D %0A %5D
 * %AZP25); property keys and true/false values are read with spaces
 * around them trimmed and in any case, as the agent's Boolean.TryParse.
 * It writes whole lines only (the last partial line is held back).  The
 * commands it acts on:
 *
 *   task.setsecret          the data is masked from now on;
 *   task.setvariable        with issecret=true: the value is masked and
 *                           reported (SVC_MASK_EVENT_SETVARIABLE) so later
 *                           steps get it as SECRET_<NAME>; a multi-line
 *                           value is refused (but masked); without it,
 *                           only for a stream made with public_variables,
 *                           reported too (is_secret 0), and the line
 *                           passes through for the agent, unless the
 *                           event function answers SVC_MASK_EVENT_SECRET
 *                           (a secret variable set again): then the value
 *                           is masked at once and the line not written,
 *                           or SVC_MASK_EVENT_HANDLED (it acts as the
 *                           agent): the line is not written;
 *   task.setendpoint        reported (SVC_MASK_EVENT_SETENDPOINT); id must
 *                           be a GUID, field authParameter, dataParameter
 *                           or url, key required unless field=url, a url
 *                           absolute; an authParameter value is masked at
 *                           once, whatever the caller decides;
 *   task.complete           reported (SVC_MASK_EVENT_COMPLETE);
 *   task.logissue, .issue   reported (SVC_MASK_EVENT_ISSUE);
 *   anything else           reported (SVC_MASK_EVENT_COMMAND).
 *
 * The lines of the first three never reach the output.  The others pass
 * through (for the agent that runs the step, which reads them itself)
 * unless the event function answers SVC_MASK_EVENT_HANDLED: then the
 * caller has acted on the command as the agent would, and its line is not
 * written.  A line that holds "##vso[" but is not a well-formed command
 * is replaced by a warning line ("##[warning]...", itself masked); so is
 * one of the first three with bad properties or one the caller refuses.  A
 * line longer than the maximum line length (1 MiB by default) is passed
 * through, masked, in pieces, and never read as a command, so memory stays
 * bounded whatever the output.
 *
 * Memory: secrets and their forms live in buffers that are wiped when they
 * grow and when they are freed.  The compiled Vectorscan database holds
 * the forms too: it is rebuilt when the set changes (secrets added to a
 * big compiled set go into a small database of their own, scanned too,
 * until they are many), the old one wiped and freed as soon as no stream
 * scans it, and the last one when the last masker sharing it (clones) is
 * freed.  Nothing is ever written to disk.  (Vectorscan's compiler makes temporary copies of the patterns
 * that it frees without wiping; only a process that holds the secrets
 * anyway ever runs it.)  A stream's buffers hold unmasked output that has
 * not been written yet; they are wiped when the stream is freed.
 */
#ifndef SVCCONN_MASK_H
#define SVCCONN_MASK_H

#include <stddef.h>
#include "errors.h"

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default)

/** Default minimum length of a maskable secret, in bytes. */
#define SVC_MASK_MIN_LENGTH 4
/** Smallest minimum the options accept: never mask one or two bytes. */
#define SVC_MASK_MIN_LENGTH_FLOOR 3
/** Default longest line read as a logging command (1 MiB). */
#define SVC_MASK_MAX_LINE ((size_t)1024 * 1024)
/** The replacement of a secret. */
#define SVC_MASK_REPLACEMENT "***"

#define SVC_MASKER_OPTIONS_VERSION 1

/** How a masker behaves; a NULL options pointer means the defaults. */
typedef struct svc_masker_options {
	unsigned version;       /**< SVC_MASKER_OPTIONS_VERSION */
	size_t min_length;      /**< 0: SVC_MASK_MIN_LENGTH; at least 3 */
	size_t max_line;        /**< 0: SVC_MASK_MAX_LINE; at least 1024 */
} svc_masker_options;

/** A set of secrets, shared by the streams that mask with it. */
typedef struct svc_masker svc_masker;

int svc_masker_new(svc_masker **out, const svc_masker_options *opts);
/**
 * A new masker holding the secrets of src, with its options: src's
 * database is compiled if it is not yet and shared, read-only, so the
 * clone starts without compiling; secrets added to either later are that
 * one's alone.  For a set that every step of a job masks: each step's
 * masker is a clone of the job's.  Thread-safe.
 */
int svc_masker_clone(svc_masker **out, svc_masker *src);
/** Wipe and free; every stream made on m must be freed first. */
void svc_masker_free(svc_masker *m);

/**
 * Register a secret (any bytes, at most SVC_SECRET_MAX) in all its forms.
 * A value shorter than the minimum is not masked but counted (once per
 * distinct value) and 0 is returned.  Registering a value twice is
 * harmless.  Thread-safe.
 */
int svc_masker_add(svc_masker *m, const void *secret, size_t len);
/**
 * Register the password of a basic-auth pair (as svc_masker_add()) and
 * the base64 of "user:password" as it appears in an Authorization header.
 * The user name alone is not a secret and is not masked.
 */
int svc_masker_add_basic_auth(svc_masker *m, const char *user, size_t ulen,
			      const void *pass, size_t plen);
/**
 * Build the database now rather than at the next write, to report an
 * error early or to keep the cost out of the output's path.
 */
int svc_masker_compile(svc_masker *m);

/** Distinct secrets refused as too short since the masker was made. */
size_t svc_masker_too_short(const svc_masker *m);
/**
 * Distinct secrets refused as too short since the previous call (or since
 * the masker was made): the number to warn about once.
 */
size_t svc_masker_take_too_short(svc_masker *m);
/** Distinct encoded forms being masked (the patterns of the database). */
size_t svc_masker_patterns(const svc_masker *m);

/**
 * Mask a whole text at once (no logging commands): *out is a new
 * NUL-terminated string the caller frees.
 */
int svc_masker_mask(char **out, size_t *outlen, svc_masker *m,
		    const void *text, size_t len);

/** What a logging command reported. */
typedef enum svc_mask_event_kind {
	SVC_MASK_EVENT_SETSECRET = 0,   /**< task.setsecret (already masked) */
	SVC_MASK_EVENT_SETVARIABLE = 1, /**< task.setvariable (is_secret) */
	SVC_MASK_EVENT_SETENDPOINT = 2, /**< task.setendpoint */
	SVC_MASK_EVENT_COMPLETE = 3,    /**< task.complete: name is its
					     result (Succeeded,
					     SucceededWithIssues, Failed,
					     Cancelled, Skipped), as written */
	SVC_MASK_EVENT_ISSUE = 4,       /**< task.logissue or task.issue:
					     name is its type (error,
					     warning), value its message */
	SVC_MASK_EVENT_COMMAND = 5      /**< any other well-formed command:
					     name is "area.event" in lower
					     case, value its data */
} svc_mask_event_kind;

/** The part of a connection task.setendpoint changes. */
typedef enum svc_mask_endpoint_field {
	SVC_MASK_FIELD_AUTH = 0,        /**< field=authParameter */
	SVC_MASK_FIELD_DATA = 1,        /**< field=dataParameter */
	SVC_MASK_FIELD_URL = 2          /**< field=url */
} svc_mask_endpoint_field;

/**
 * One logging command handled by a stream.  The strings are unescaped,
 * NUL-terminated and valid only during the callback: values are secret and
 * wiped after it returns.
 */
typedef struct svc_mask_event {
	svc_mask_event_kind kind;       /**< which command */
	const char *name;               /**< SETVARIABLE: the variable name;
					     SETENDPOINT: the key (NULL for
					     field=url) */
	const char *id;                 /**< SETENDPOINT: the connection id
					     as written (a GUID); else NULL */
	svc_mask_endpoint_field field;  /**< SETENDPOINT: which field */
	const char *value;              /**< the value (data) */
	size_t value_len;               /**< its length in bytes */
	int is_output;                  /**< SETVARIABLE: isoutput=true */
	int is_readonly;                /**< SETVARIABLE: isreadonly=true */
	int too_short;                  /**< the value is too short to mask */
	int is_secret;                  /**< SETVARIABLE: issecret=true (0
					     only with public_variables) */
	const void *cmd;                /**< COMPLETE, ISSUE, COMMAND: the
					     parsed command, for
					     svc_mask_event_prop(); else
					     NULL */
} svc_mask_event;

/**
 * The unescaped value of the command's property key (compared without
 * case, the last one written wins), NUL-terminated, *len (may be NULL) its
 * length; NULL when the command has no such property or the event carries
 * no command.  Valid during the callback only.
 */
const char *svc_mask_event_prop(const svc_mask_event *ev, const char *key,
				size_t *len);

/**
 * An event function's answer to a task.setvariable without issecret: the
 * variable is a secret one already, so it stays secret (as the agent keeps
 * it): the stream masks the value at once and does not write the line.
 */
#define SVC_MASK_EVENT_SECRET 1
/**
 * An event function's answer to COMPLETE, ISSUE or COMMAND: the caller
 * acted on the command (and showed what the agent shows for it), so its
 * line is not written.  Any other answer lets the line through, masked.
 */
#define SVC_MASK_EVENT_HANDLED 2

/**
 * Called for each handled command.  Return 0 to accept it, a negative
 * SVC_E* code (with svc_error_last() set) to refuse it: the stream then
 * writes a warning line instead; or SVC_MASK_EVENT_SECRET (above).  The
 * callback may register secrets.
 */
typedef int (*svc_mask_event_fn)(void *ctx, const svc_mask_event *ev);
/** Receives masked output; return 0, or non-zero to fail the write. */
typedef int (*svc_mask_write_fn)(void *ctx, const char *data, size_t len);

#define SVC_MASK_STREAM_OPTIONS_VERSION 1

typedef struct svc_mask_stream_options {
	unsigned version;               /**< SVC_MASK_STREAM_OPTIONS_VERSION */
	int commands;                   /**< 1: read logging commands */
	svc_mask_write_fn write;        /**< where masked output goes */
	void *write_ctx;                /**< passed to write */
	svc_mask_event_fn event;        /**< handled commands, or NULL to
					     accept them silently */
	void *event_ctx;                /**< passed to event */
	int public_variables;           /**< 1: report task.setvariable
					     without issecret too */
} svc_mask_stream_options;

/**
 * One output filtered through a masker.  A stream is used by one thread at
 * a time (streams of one masker may run on different threads); its
 * callbacks must not write to it.
 */
typedef struct svc_mask_stream svc_mask_stream;

int svc_mask_stream_new(svc_mask_stream **out, svc_masker *m,
			const svc_mask_stream_options *o);
/**
 * Filter len bytes.  Output for them may be held back until later writes
 * (at most a line, or a secret's length).  Fails with SVC_ERROR when the
 * write callback fails or the database cannot be built; nothing unmasked
 * is written then.
 */
int svc_mask_stream_write(svc_mask_stream *s, const void *data, size_t len);
/**
 * End of the output: write what is held back (a last line without a
 * newline is read as a command too).  The stream may be written again
 * afterwards, as a new output.
 */
int svc_mask_stream_finish(svc_mask_stream *s);
/** Wipe and free, without writing what is held back. */
void svc_mask_stream_free(svc_mask_stream *s);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
