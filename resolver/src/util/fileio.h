/*
 * fileio.h - files and directories that hold secrets.
 *
 * Files are created with their final mode (O_CREAT|O_EXCL, 0600), checked
 * with fstat on the opened descriptor (never stat-then-open), and replaced
 * atomically (a temporary file in the same directory, fsync, rename, fsync
 * of the directory).
 */
#ifndef SVC_UTIL_FILEIO_H
#define SVC_UTIL_FILEIO_H

#include <stddef.h>
#include "util/buf.h"

/** Create path (must not exist) with mode 0600 holding data; fsync. */
int file_create_private(const char *path, const void *data, size_t len);
/**
 * file_create_private without the fsync: for a file read back at once and
 * removed (a job's pipeline YAML), which nothing needs after a crash.
 */
int file_create_scratch(const char *path, const void *data, size_t len);
/** Atomically replace path with a 0600 file holding data. */
int file_replace_private(const char *path, const void *data, size_t len);
/**
 * Read a private file: regular, owned by the effective user, no group or
 * other permission bits (checked on the open descriptor, which is opened
 * without blocking, so a FIFO put in its place is refused, not waited
 * on).  what names the file in errors ("master key").  Content appended
 * to out (bounded by out).
 */
int file_read_private(svc_buf *out, const char *path, const char *what);
/**
 * Check the file open as fd (path, named what in errors): regular, owned
 * by the effective user, no group or other permission bits.
 */
int fd_check_private(int fd, const char *path, const char *what);
/**
 * Read fd to its end into out (bounded by out's maximum; the read chunks are
 * wiped).  what names the source in errors ("standard input", "'path'").
 */
int fd_read_all(svc_buf *out, int fd, const char *what);
/** Read any regular file into out (bounded by out's maximum). */
int file_read_all(svc_buf *out, const char *path);
/**
 * Make sure dir exists: parents with 0755 if missing, dir itself with 0700.
 * An existing dir must be owned by us and not group/other accessible.
 */
int dir_ensure_private(const char *dir);
/** fsync the directory holding path. */
int dir_sync_parent(const char *path);

#endif
