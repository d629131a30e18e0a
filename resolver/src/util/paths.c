/*
 * paths.c - where svcconn's own files are (see paths.h).  Only the C
 * library (dladdr is in glibc's libc since 2.34).
 */
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/paths.h"

/* From the build (resolver/CMakeLists.txt); these are the GNU defaults. */
#ifndef SVC_BIN_TO_DATA
#define SVC_BIN_TO_DATA "../share/svcconn"
#endif
#ifndef SVC_LIB_TO_DATA
#define SVC_LIB_TO_DATA "../share/svcconn"
#endif
#ifndef SVC_BIN_TO_LIBEXEC
#define SVC_BIN_TO_LIBEXEC "../libexec/svcconn"
#endif

/* The directory part of path into dir (cap bytes): 0, or -1. */
static int dir_of(char *dir, size_t cap, const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (!slash)
		return -1;
	n = slash == path ? 1 : (size_t)(slash - path);
	if (n >= cap)
		return -1;
	memcpy(dir, path, n);
	dir[n] = '\0';
	return 0;
}

int paths_self_dir(char *dir, size_t cap)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return -1;
	exe[n] = '\0';
	return dir_of(dir, cap, exe);
}

/* The directory of the object this code is in: 0, or -1. */
static int object_dir(char *dir, size_t cap)
{
	char real[PATH_MAX];
	Dl_info info;

	if (!dladdr((const void *)&object_dir, &info) || !info.dli_fname ||
	    !*info.dli_fname || !realpath(info.dli_fname, real))
		return -1;
	return dir_of(dir, cap, real);
}

/* realpath of "base/rel/what" when it is a directory, else NULL. */
static char *data_under(const char *base, const char *rel, const char *what)
{
	char path[PATH_MAX * 2];
	int n = snprintf(path, sizeof(path), "%s/%s/%s", base, rel, what);

	if (n < 0 || (size_t)n >= sizeof(path) || access(path, R_OK | X_OK) != 0)
		return NULL;
	return realpath(path, NULL);
}

char *paths_data_dir(const char *what)
{
	char dir[PATH_MAX], *found = NULL;

	if (paths_self_dir(dir, sizeof(dir)) == 0)
		found = data_under(dir, SVC_BIN_TO_DATA, what);
	if (!found && object_dir(dir, sizeof(dir)) == 0)
		found = data_under(dir, SVC_LIB_TO_DATA, what);
	return found;
}

char *paths_program(const char *name)
{
	static const char *const where[] = { ".", SVC_BIN_TO_LIBEXEC };
	char dir[PATH_MAX], path[PATH_MAX * 2];
	size_t i;
	int n;

	if (paths_self_dir(dir, sizeof(dir)) != 0)
		return NULL;
	for (i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
		n = snprintf(path, sizeof(path), "%s/%s/%s", dir, where[i], name);
		if (n > 0 && (size_t)n < sizeof(path) && access(path, X_OK) == 0)
			return realpath(path, NULL);
	}
	return NULL;
}
