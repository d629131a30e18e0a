/*
 * paths.h - where svcconn's own files are: the task manifests and custom
 * type definitions it ships, and its helper programs.
 *
 * They are found relative to the running program (/proc/self/exe) and to
 * the object holding this code (libsvcconn.so, for a program linking the
 * installed library), with the relative paths between the install
 * directories that the build computed (SVC_BIN_TO_DATA, SVC_LIB_TO_DATA,
 * SVC_BIN_TO_LIBEXEC): an installation works under any prefix it is copied
 * to.  The build tree has the same layout for the data (the build links
 * <build>/share/svcconn/tasks and types to the source tree), so the
 * programs of the build tree find the source tree's files.
 *
 * Only the C library: git's thin credential helper links this file.
 */
#ifndef SVC_UTIL_PATHS_H
#define SVC_UTIL_PATHS_H

/**
 * The shipped data directory `what` ("tasks" or "types") as a new,
 * canonical path, or NULL when there is none (or out of memory).
 */
char *paths_data_dir(const char *what);

/**
 * The helper program `name` (svcconn-gitcred, ...): next to the running
 * program (the build tree, or an installation into one directory), then in
 * the libexec directory of the installation.  A new string, or NULL when
 * neither is an executable file.
 */
char *paths_program(const char *name);

/**
 * The directory of the running program into dir (cap bytes): 0, or -1
 * when it cannot be found or does not fit.
 */
int paths_self_dir(char *dir, size_t cap);

#endif
