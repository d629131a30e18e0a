/*
 * home.h - where a user's store lives, found with the C library alone so
 * that git's credential helper can find its daemon without loading
 * anything else.
 */
#ifndef SVC_UTIL_HOME_H
#define SVC_UTIL_HOME_H

/** What home_dir() returns when it fails. */
enum { HOME_NONE = -1, HOME_OOM = -2 };

/**
 * The store's directory, in a new string without trailing slashes ("/"
 * stays "/"): given when set and not empty, else $SVCCONN_HOME, else
 * $HOME/.local/share/svcconn, HOME falling back to the user's passwd entry.
 * 0, HOME_NONE when there is no home to start from, or HOME_OOM.
 */
int home_dir(char **out, const char *given);

#endif
