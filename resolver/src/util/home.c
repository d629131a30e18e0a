/*
 * home.c - the store's directory (see home.h).  Only the C library: the
 * thin git credential helper links this file and nothing more.
 */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/home.h"

#define DEFAULT_SUBDIR "/.local/share/svcconn"

int home_dir(char **out, const char *given)
{
	const char *h = given && *given ? given : getenv("SVCCONN_HOME");
	const char *suffix = "";
	struct passwd *pw;
	size_t n, m;

	*out = NULL;
	if (!h || !*h) {
		h = getenv("HOME");
		if ((!h || !*h) && (pw = getpwuid(getuid())) != NULL)
			h = pw->pw_dir;
		if (!h || !*h)
			return HOME_NONE;
		suffix = DEFAULT_SUBDIR;
	}
	n = strlen(h);
	while (n > 1 && h[n - 1] == '/')
		n--;
	m = strlen(suffix);
	if (!(*out = malloc(n + m + 1)))
		return HOME_OOM;
	memcpy(*out, h, n);
	memcpy(*out + n, suffix, m + 1);
	return 0;
}
