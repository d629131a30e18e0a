/*
 * sshagent.h - running OpenSSH's own tools for svcconn: an ssh-agent
 * given a private key that is never in a file or argv, the known_hosts
 * lines of an SSH connection's pinned host key, and children started with
 * a fresh environment.  Shared by the job broker (broker.c), which keeps
 * a per-job agent, and the SSH verifier (verify/verify_ssh.c), which keeps
 * one for a single check.
 */
#ifndef SVC_BROKER_SSHAGENT_H
#define SVC_BROKER_SSHAGENT_H

#include <stddef.h>
#include <sys/types.h>
#include "svcconn/conn.h"
#include "util/buf.h"

/** The PATH of every child: system directories only. */
#define SSH_PATH "PATH=/usr/local/bin:/usr/bin:/bin"

/**
 * Run argv (looked up in PATH) with environment envp; its stdin is in_fd,
 * stdout out_fd and stderr err_fd (-1: /dev/null), no other descriptor.
 * *pid gets the child.
 */
int ssh_spawn(pid_t *pid, char *const *argv, char *const *envp, int in_fd,
	      int out_fd, int err_fd);
/** Wait for child pid; 0 when it exited 0, else an error naming what. */
int ssh_reap(pid_t pid, const char *what);

/**
 * Start an ssh-agent listening on sock (an absolute path short enough for
 * a Unix socket; whatever is there is removed first), fresh environment.
 * foreground 0: "ssh-agent -s -a sock", which detaches itself; *pid is the
 * agent's pid as it tells it.  foreground 1: "ssh-agent -D -a sock", our
 * child (the caller kills and reaps it), returned once it listens.
 */
int sshagent_start(pid_t *pid, const char *sock, int foreground);
/**
 * Add the private key (len bytes) to the agent at sock: "ssh-add -q -"
 * reads it from a socket pair.  extra_env (NULL-ended, may be NULL) is
 * added to ssh-add's fresh environment (SSH_ASKPASS... for a passphrase);
 * what names the operation in errors.
 */
int sshagent_add_key(const char *sock, const char *key, size_t len,
		     char *const *extra_env, const char *what);

/**
 * Append to kh the known_hosts lines of SSH connection c: each key of its
 * hostKey (lines "[marker-less host] type base64 [comment]" or "type
 * base64"), for the connection's own Host and Port ("[host]:port" unless
 * the port is 22).  SVC_EINVALID when hostKey holds no usable key.
 */
int ssh_known_hosts_lines(svc_buf *kh, const svc_conn *c);
/** 1 when the n bytes at s name an SSH key type ("ssh-ed25519", ...). */
int ssh_key_type_ok(const char *s, size_t n);
/** 1 when the n bytes at s are alphanumeric or in set (and n > 0). */
int ssh_all_in(const char *s, size_t n, const char *set);

#endif
