/*
 * replay.c - run a libFuzzer target's corpus without libFuzzer.
 *
 * Linked with one fuzz target (a file defining LLVMFuzzerTestOneInput and,
 * optionally, LLVMFuzzerInitialize), it reads every file named on the
 * command line, and every regular file in each directory named there (not
 * recursively, like libFuzzer's corpus directories), and passes each to
 * the target once, in sorted order.  Each input goes in a buffer of exactly
 * its size, so sanitizers catch reads past its end.  It prints the number
 * of inputs replayed; it exits 0 when all were read (a crash or sanitizer
 * report fails the process by itself), 1 when a file could not be read,
 * 2 for a usage error.  This turns a corpus into an ordinary ctest test.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

/* Largest input replayed; libFuzzer's inputs are far smaller. */
#define REPLAY_MAX_INPUT ((off_t)64 * 1024 * 1024)

/* Read path and run it; 0, or -1 after a message on stderr. */
static int replay_file(const char *path, size_t *count)
{
	struct stat st;
	uint8_t *data;
	size_t size, got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "replay: cannot open '%s': %s\n", path,
			strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    st.st_size > REPLAY_MAX_INPUT) {
		fprintf(stderr, "replay: '%s' is not a regular file of at most %lld bytes\n",
			path, (long long)REPLAY_MAX_INPUT);
		close(fd);
		return -1;
	}
	size = (size_t)st.st_size;
	data = malloc(size ? size : 1);
	if (!data) {
		fprintf(stderr, "replay: out of memory for '%s'\n", path);
		close(fd);
		return -1;
	}
	while (got < size) {
		ssize_t r = read(fd, data + got, size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	if (got != size) {
		fprintf(stderr, "replay: cannot read '%s'\n", path);
		free(data);
		return -1;
	}
	LLVMFuzzerTestOneInput(data, size);
	free(data);
	(*count)++;
	return 0;
}

static int skip_entry(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

/* Run every regular file in dir, in sorted order. */
static int replay_dir(const char *dir, size_t *count)
{
	struct dirent **list = NULL;
	int n = scandir(dir, &list, skip_entry, alphasort), i, rc = 0;

	if (n < 0) {
		fprintf(stderr, "replay: cannot list '%s': %s\n", dir,
			strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		size_t len = strlen(dir) + strlen(list[i]->d_name) + 2;
		char *path = malloc(len);
		struct stat st;

		if (!path) {
			rc = -1;
		} else {
			snprintf(path, len, "%s/%s", dir, list[i]->d_name);
			if (stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
			    replay_file(path, count))
				rc = -1;
		}
		free(path);
		free(list[i]);
	}
	free(list);
	return rc;
}

int main(int argc, char **argv)
{
	size_t count = 0;
	int i, rc = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s CORPUS-DIR-OR-FILE...\n", argv[0]);
		return 2;
	}
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (i = 1; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st)) {
			fprintf(stderr, "replay: cannot find '%s': %s\n",
				argv[i], strerror(errno));
			rc = 1;
		} else if (S_ISDIR(st.st_mode) ? replay_dir(argv[i], &count)
					       : replay_file(argv[i], &count)) {
			rc = 1;
		}
	}
	printf("replayed %zu inputs\n", count);
	return rc;
}
