/*
 * secret.h - handling secret bytes: wiping, reading, comparing, and the
 * hardening every secret-holding executable applies at start.
 *
 * Secrets are read from a file, a descriptor or a terminal prompt into
 * heap buffers that the caller releases with svc_secret_free(), which wipes
 * them with a wipe the compiler cannot drop.  Inputs are bounded
 * (SVC_SECRET_MAX); one trailing newline (LF or CRLF) is removed, because
 * `echo value > file` is how most people write a secret file.
 */
#ifndef SVCCONN_SECRET_H
#define SVCCONN_SECRET_H

#include <stddef.h>
#include "errors.h"

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default)

/** Largest secret accepted from a file or stream (1 MiB). */
#define SVC_SECRET_MAX (1024u * 1024u)

/** Overwrite n bytes at p; never optimised away. NULL is accepted. */
void svc_wipe(void *p, size_t n);
/** Wipe len bytes of s (or strlen when len is (size_t)-1), then free. */
void svc_secret_free(char *s, size_t len);
/** Constant-time equality of two byte strings of possibly different length. */
int svc_secret_equal(const void *a, size_t alen, const void *b, size_t blen);

/** Read a secret from a file (regular file or FIFO, bounded). */
int svc_secret_read_file(char **out, size_t *len, const char *path);
/** Read a secret from a descriptor until EOF (bounded). */
int svc_secret_read_fd(char **out, size_t *len, int fd);
/** Prompt on the terminal with echo off; SVC_EINVALID without a terminal. */
int svc_secret_prompt(char **out, size_t *len, const char *prompt);

/**
 * Harden the calling process for holding secrets: umask 077, no core dumps
 * (RLIMIT_CORE 0, PR_SET_DUMPABLE 0), and descriptors 0-2 open.
 */
int svc_process_harden(void);

/**
 * Write all len bytes at data to fd (a write that stops early is carried
 * on), each wait for room bounded by timeout_ms (-1: none).  0, or -1 with
 * errno set (ETIMEDOUT when a wait ran out).  No stdio: nothing is left in
 * a buffer that is not wiped.
 */
int svc_write_all(int fd, const void *data, size_t len, int timeout_ms);

/**
 * Start exe with argv and exactly the environment envp as a daemon: in a
 * session of its own, not our child, with /dev/null on 0-2 and no other
 * descriptor of ours.  Returns once it is started (not when it is ready).
 */
int svc_process_detach(const char *exe, char *const argv[], char *const envp[]);
/**
 * svc_process_detach() with in_fd (-1: /dev/null) as the daemon's
 * standard input: how a daemon is handed what must never be in argv, its
 * environment or a file (a job's secrets, read from a pipe).
 */
int svc_process_detach_stdin(const char *exe, char *const argv[],
			     char *const envp[], int in_fd);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
