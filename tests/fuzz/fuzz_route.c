/*
 * fuzz_route.c - libFuzzer target for svcconn-server's routing
 * (srv_route_find in server/server.c), which reads the path of every
 * request before anything is authenticated.
 *
 * An input is a method, a newline, and a path.  Checks: the answer is one
 * of -1, 0, 1, 2 and the same twice; a match has the request's method;
 * the {id} of a match is non-empty, holds no '/', fits its buffer and ends
 * the path; a route without {id} leaves the buffer alone.  A crash, a
 * sanitizer report or a failed check is a bug.  The same file runs without
 * libFuzzer through replay.c.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/server_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct srv_route *r = NULL, *r2 = NULL;
	char arg[64], arg2[64], *in, *path;
	int rc, rc2;

	if (memchr(data, '\0', size) || !(in = malloc(size + 1)))
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';
	path = strchr(in, '\n');
	if (!path) {
		free(in);
		return 0;
	}
	*path++ = '\0';
	arg[0] = arg2[0] = '\0';
	rc = srv_route_find(&r, arg, sizeof(arg), "default", "Proj", in, path);
	rc2 = srv_route_find(&r2, arg2, sizeof(arg2), "default", "Proj", in,
			     path);
	if (rc < -1 || rc > 2 || rc != rc2 || strcmp(arg, arg2) != 0)
		abort();
	if (rc == 1) {
		size_t plen = strlen(r->path), alen = strlen(arg);
		int star = plen > 2 && strcmp(r->path + plen - 2, "/*") == 0;

		if (r != r2 || strcmp(r->method, in) != 0)
			abort();
		if (star && (!alen || strchr(arg, '/') || alen >= sizeof(arg) ||
			     strlen(path) < alen ||
			     strcmp(path + strlen(path) - alen, arg) != 0))
			abort();
		if (!star && alen)
			abort();
	}
	free(in);
	return 0;
}
