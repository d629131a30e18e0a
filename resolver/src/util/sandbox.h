/*
 * sandbox.h - the view of the file system a step runs in.
 *
 * A step is hostile code.  It runs under bubblewrap (Debian's bwrap) in
 * its own mount, PID and IPC namespaces, with no capabilities, a fresh
 * /proc and a minimal /dev: the whole file system is shown as it is,
 * except the paths hidden here (an empty tmpfs over a directory,
 * /dev/null over a file: the store, the master key, every job's
 * directory), and what is shown again inside them (this job's temporary
 * directory, the broker's socket, the step's own token as the job's
 * broker.token).  Processes the step leaves behind end with it (its PID
 * namespace ends when its first process does).
 *
 * See docs/security.md for what this grants whom.
 */
#ifndef SVC_UTIL_SANDBOX_H
#define SVC_UTIL_SANDBOX_H

#include <stddef.h>

/** A view under construction. */
struct sandbox;

/**
 * Where bwrap is: $SVCCONN_BWRAP (a path; "" or "none": no sandbox), else
 * bwrap on PATH.  *out is a new string; SVC_ENOTFOUND when there is none.
 */
int sandbox_find(char **out);
/**
 * 0 when bwrap at path can start a sandbox here (it is run once, with the
 * namespaces and mounts a step gets); else an error whose message says
 * why (bwrap's own words).
 */
int sandbox_probe(const char *path);

int sandbox_new(struct sandbox **out, const char *bwrap);
/**
 * The command will be a job's launcher: it runs as the sandbox's PID 1
 * (it reaps, and kills what steps leave).  Every sandbox dies with the
 * process that starts it.
 */
void sandbox_set_launcher(struct sandbox *sb);
void sandbox_free(struct sandbox *sb);
/**
 * Hide path: a directory becomes an empty tmpfs, a file /dev/null.  A
 * path that does not exist is ignored; symbolic links are resolved (the
 * target is what gets hidden).
 */
int sandbox_hide(struct sandbox *sb, const char *path);
/**
 * Show src at dst (absolute; created inside a hidden directory, private
 * to its owner), read-only unless writable.  SVC_ENOTFOUND when src does
 * not exist.
 */
int sandbox_show(struct sandbox *sb, const char *src, const char *dst,
		 int writable);
/**
 * 1 when path (absolute or relative to the working directory) is hidden by
 * the view, or inside a hidden directory, and not shown again.
 */
int sandbox_hides(const struct sandbox *sb, const char *path);
/** Call fn with each path the view hides (resolved; not those shown). */
void sandbox_each_hidden(const struct sandbox *sb,
			 void (*fn)(void *ctx, const char *path), void *ctx);
/**
 * The argument vector that runs cmd in the view: a new array of pointers
 * into sb and cmd, NULL-terminated, to free with free() (not its strings);
 * valid while sb lives.
 */
int sandbox_argv(char ***out, struct sandbox *sb, char *const cmd[]);

#endif
