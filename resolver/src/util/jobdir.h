/*
 * jobdir.h - reaching a job's private directory and the sockets in it,
 * for the job's broker and its step launcher alike.
 */
#ifndef SVC_UTIL_JOBDIR_H
#define SVC_UTIL_JOBDIR_H

#include <sys/un.h>

/**
 * Open the job directory, which must be ours and private (checked on the
 * descriptor): SVC_ENOTFOUND when it does not exist, SVC_EINSECURE when it
 * is not private.
 */
int jobdir_open(int *out, const char *job_dir);
/** "/proc/self/fd/N/name" into sa: a short path to a file of dirfd. */
int jobdir_sock_path(struct sockaddr_un *sa, int dirfd, const char *name);
/** 1 when the peer of socket fd runs as our effective uid. */
int jobdir_peer_is_us(int fd);

#endif
