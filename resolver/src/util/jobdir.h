/*
 * jobdir.h - the job directory: the one place that knows its layout and
 * owns its files.
 *
 * A job directory is private to its owner (0700, ours, checked on the
 * descriptor) and holds:
 *
 *   job.json        the job record: written once by job-start, read by
 *                   every step, the broker and job-end (jobdir_record_*)
 *   broker.*        the broker's pid (locked), token, git helper, socket
 *   ssh-agent.*     the job's ssh-agent: socket and pid; known_hosts
 *   launcher.*      the step launcher's socket and pid
 *   keeper.pid      the lease keeper's pid (locked)
 *   tmp/            the job's temporary directory (Agent.TempDirectory)
 *
 * A pid file of a daemon of the job (broker, keeper) is locked (flock) by
 * its daemon for the daemon's whole life: jobdir_pid_alive() is the one
 * liveness check, so a reused pid is never taken for the daemon and a
 * daemon killed with SIGKILL is known dead.  Files are reached through a
 * descriptor of the directory (openat; /proc/self/fd/N/name for sockets,
 * which also keeps the socket path short).
 */
#ifndef SVC_UTIL_JOBDIR_H
#define SVC_UTIL_JOBDIR_H

#include <stddef.h>
#include <sys/un.h>

#include <jansson.h>

/* The files of a job directory. */
#define JOBDIR_RECORD "job.json"            /* the job record */
#define JOBDIR_BROKER_PID "broker.pid"      /* the broker's pid (locked) */
#define JOBDIR_BROKER_TOKEN "broker.token"  /* the job's broker token */
#define JOBDIR_BROKER_HELPER "broker.helper" /* git's helper line */
#define JOBDIR_BROKER_SOCK "broker.sock"    /* the broker's socket */
#define JOBDIR_SSH_SOCK "ssh-agent.sock"    /* the job's ssh-agent */
#define JOBDIR_SSH_PID "ssh-agent.pid"      /* its pid */
#define JOBDIR_KNOWN_HOSTS "known_hosts"    /* pinned SSH host keys */
#define JOBDIR_LAUNCHER_SOCK "launcher.sock" /* the step launcher's socket */
#define JOBDIR_LAUNCHER_PID "launcher.pid"  /* its sandbox's pid */
#define JOBDIR_KEEPER_PID "keeper.pid"      /* the lease keeper's pid (locked) */
#define JOBDIR_TMP "tmp"                    /* the job's temporary directory */

/** Largest job record read (1 MiB). */
#define JOBDIR_RECORD_MAX (1u << 20)

/**
 * Make sure job_dir exists and is private: created with 0700 (parents
 * 0755), an existing one must be ours and not group/other accessible.
 */
int jobdir_create(const char *job_dir);
/**
 * Open the job directory, which must be ours and private (checked on the
 * descriptor): SVC_ENOTFOUND when it does not exist, SVC_EINSECURE when it
 * is not private.
 */
int jobdir_open(int *out, const char *job_dir);
/** Remove dir and everything in it, never following a symbolic link. */
int jobdir_remove(const char *dir);

/**
 * Read the job record of job_dir: a regular file of ours, private, not a
 * symbolic link, at most JOBDIR_RECORD_MAX bytes, a JSON object whose
 * known fields have their types (jobdir.c's table).  SVC_ENOTFOUND when no
 * job was started there; otherwise every refusal names the file and, for
 * a field of the wrong type, the field ("steps[2].index").
 */
int jobdir_record_read(json_t **out, const char *job_dir);
/** Write the job record of job_dir (0600, replaced atomically). */
int jobdir_record_write(const char *job_dir, const json_t *record);
/** Remove the job record of job_dir; 0 when there was none. */
int jobdir_record_remove(const char *job_dir);

/**
 * Create name in dirfd (replacing a stale one) with mode 0600 holding len
 * bytes of data: the tokens, the helper line, known_hosts.
 */
int jobdir_file_write(int dirfd, const char *name, const void *data, size_t len);

/**
 * 1 when a live process holds the lock on pid file name of dirfd; 0 when
 * there is no such file or its process is dead (whatever pid it names).
 * *pidfd (may be NULL) gets the opened file, locked by us, when it is dead.
 */
int jobdir_pid_alive(int dirfd, const char *name, int *pidfd);
/**
 * Take pid file name of dirfd for the calling process: a new file holding
 * our pid, locked, renamed into place; *pidfd keeps the lock (close it, or
 * end, to let go).  SVC_EEXISTS when a live process holds it.
 */
int jobdir_pid_take(int *pidfd, int dirfd, const char *name);
/**
 * Stop the live holder of pid file name of dirfd: SIGTERM, SIGKILL when it
 * still holds the lock after wait_ms.  A file nobody holds is left alone
 * and its pid not signalled.  1 when a holder was signalled, else 0.  The
 * file is not removed.
 */
int jobdir_pid_stop(int dirfd, const char *name, int wait_ms);

/** "/proc/self/fd/N/name" into sa: a short path to a file of dirfd. */
int jobdir_sock_path(struct sockaddr_un *sa, int dirfd, const char *name);
/** 1 when the peer of socket fd runs as our effective uid. */
int jobdir_peer_is_us(int fd);

#endif
