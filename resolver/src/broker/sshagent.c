/*
 * sshagent.c - OpenSSH's tools run for svcconn (see sshagent.h): children
 * with a fresh environment and no inherited descriptor, an ssh-agent
 * (detached for a job, in the foreground for one verification) fed a key
 * with "ssh-add -" through a socket pair, and the known_hosts lines of a
 * pinned host key.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "svcconn/secret.h"
#include "broker/sshagent.h"
#include "errors_int.h"
#include "util/buf.h"
#include "util/fileio.h"
#include "util/spawn.h"

#define AGENT_START_MS 10000   /* how long a foreground agent may take to listen */
#define MAX_ENV 16             /* entries of a child's environment */

int ssh_spawn(pid_t *pid, char *const *argv, char *const *envp, int in_fd,
	      int out_fd, int err_fd)
{
	struct spawn sp = SPAWN_INIT;

	sp.argv = argv;
	sp.envp = envp;
	sp.fd[0] = in_fd;
	sp.fd[1] = out_fd;
	sp.fd[2] = err_fd;
	sp.flags = SPAWN_SEARCH;
	return spawn_start(pid, &sp);
}

int ssh_reap(pid_t pid, const char *what)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return error_set(SVC_ERROR, "cannot wait for %s: %s", what,
					 strerror(errno));
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return error_set(SVC_ERROR, "cannot run %s", what);
	return error_set(SVC_ERROR, "%s failed (%s %d)", what,
			 WIFEXITED(status) ? "exit" : "signal",
			 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
}

/*
 * Read the foreground agent's output from fd until it says its pid (it
 * listens by then), bounded in time and size.
 */
static int await_agent(svc_buf *out, int fd)
{
	char chunk[256];
	int waited = 0;

	while (!out->ptr || !strstr(out->ptr, "Agent pid")) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t n;
		int r = poll(&p, 1, 100);

		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0 && (waited += 100) >= AGENT_START_MS)
			return error_set(SVC_ERROR, "ssh-agent did not start");
		if (r == 0)
			continue;
		if ((n = read(fd, chunk, sizeof(chunk))) < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return error_set(SVC_ERROR, "ssh-agent ended at start");
		if (buf_put(out, chunk, (size_t)n))
			return SVC_ERROR;
	}
	return 0;
}

int sshagent_start(pid_t *pid, const char *sock, int foreground)
{
	svc_buf out = SVC_BUF_INIT;
	char *argv[] = { "ssh-agent", foreground ? "-D" : "-s", "-a", NULL, NULL };
	char *envp[] = { SSH_PATH, NULL };
	struct sockaddr_un sa;
	const char *p;
	long apid = 0;
	pid_t child;
	int fds[2] = { -1, -1 }, rc;

	buf_init(&out, 4096, 0);
	if (strlen(sock) >= sizeof(sa.sun_path))
		return error_set(SVC_EINVALID, "the ssh-agent socket path '%s' is too long",
				 sock);
	unlink(sock);
	argv[3] = (char *)sock;
	if (pipe2(fds, O_CLOEXEC) != 0)
		return error_set(SVC_ERROR, "cannot make a pipe: %s", strerror(errno));
	if ((rc = ssh_spawn(&child, argv, envp, -1, fds[1], -1)))
		goto done;
	close(fds[1]);
	fds[1] = -1;
	if (foreground) {
		if ((rc = await_agent(&out, fds[0]))) {
			kill(child, SIGKILL);
			ssh_reap(child, "ssh-agent");
			goto done;
		}
		*pid = child;
		goto done;
	}
	rc = fd_read_all(&out, fds[0], "ssh-agent's output");
	if (ssh_reap(child, "ssh-agent") || rc) {
		rc = SVC_ERROR;
		goto done;
	}
	if (!out.ptr || !(p = strstr(out.ptr, "SSH_AGENT_PID=")) ||
	    (apid = strtol(p + 14, NULL, 10)) <= 1) {
		rc = error_set(SVC_ERROR, "ssh-agent did not tell its pid");
		goto done;
	}
	*pid = (pid_t)apid;
done:
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	buf_clear(&out);
	return rc;
}

int sshagent_add_key(const char *sock, const char *key, size_t len,
		     char *const *extra_env, const char *what)
{
	svc_buf e_sock = SVC_BUF_INIT;
	char *argv[] = { "ssh-add", "-q", "-", NULL };
	char *envp[MAX_ENV];
	size_t ne = 0;
	pid_t child;
	int sp[2] = { -1, -1 }, rc;

	if (!key || !len)
		return error_set(SVC_EINVALID, "%s: no private key", what);
	if ((rc = buf_printf(&e_sock, "SSH_AUTH_SOCK=%s", sock)))
		return rc;
	envp[ne++] = SSH_PATH;
	envp[ne++] = e_sock.ptr;
	while (extra_env && *extra_env && ne < MAX_ENV - 1)
		envp[ne++] = *extra_env++;
	envp[ne] = NULL;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) != 0) {
		rc = error_set(SVC_ERROR, "cannot make a socket pair: %s", strerror(errno));
		goto done;
	}
	if ((rc = ssh_spawn(&child, argv, envp, sp[1], -1, -1)))
		goto done;
	close(sp[1]);
	sp[1] = -1;
	rc = svc_write_all(sp[0], key, len, -1) ? SVC_ERROR : 0;
	if (!rc && key[len - 1] != '\n')
		rc = svc_write_all(sp[0], "\n", 1, -1) ? SVC_ERROR : 0;
	shutdown(sp[0], SHUT_WR);
	if (ssh_reap(child, what) || rc)
		rc = SVC_ERROR;
done:
	if (sp[0] >= 0)
		close(sp[0]);
	if (sp[1] >= 0)
		close(sp[1]);
	buf_clear(&e_sock);
	return rc;
}

/* ---- known_hosts ---------------------------------------------------------- */

int ssh_all_in(const char *s, size_t n, const char *set)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr(set, s[i]))
			return 0;
	return n > 0;
}

int ssh_key_type_ok(const char *s, size_t n)
{
	return ssh_all_in(s, n, "-@._") &&
		((n > 4 && !strncmp(s, "ssh-", 4)) ||
		 (n > 6 && !strncmp(s, "ecdsa-", 6)) ||
		 (n > 3 && !strncmp(s, "sk-", 3)));
}

int ssh_known_hosts_lines(svc_buf *kh, const svc_conn *c)
{
	svc_conn_field host, port, key;
	const char *p, *end;
	unsigned long pn = 22;
	size_t nkeys = 0;
	int rc;

	if (svc_conn_field_get(c, "Host", &host) != 0 || !host.value ||
	    !ssh_all_in(host.value, host.len, "._:-") || host.value[0] == '-')
		return error_set(SVC_EINVALID, "SSH connection '%s' has no valid Host",
				 svc_conn_name(c));
	if (svc_conn_field_get(c, "Port", &port) == 0 && port.value && port.len) {
		char *e;

		errno = 0;
		pn = strtoul(port.value, &e, 10);
		if (errno || *e || pn == 0 || pn > 65535)
			return error_set(SVC_EINVALID, "SSH connection '%s' has no valid Port",
					 svc_conn_name(c));
	}
	if (svc_conn_field_get(c, "hostKey", &key) != 0 || !key.value)
		return error_set(SVC_EINVALID, "SSH connection '%s' has no hostKey",
				 svc_conn_name(c));
	for (p = key.value, end = key.value + key.len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end, *tok[3], *q = p;
		size_t tlen[3], nt = 0, t;

		/* up to three whitespace-separated fields of the line */
		while (nt < 3) {
			while (q < le && (*q == ' ' || *q == '\t' || *q == '\r'))
				q++;
			if (q >= le || *q == '#')
				break;
			tok[nt] = q;
			while (q < le && *q != ' ' && *q != '\t' && *q != '\r')
				q++;
			tlen[nt] = (size_t)(q - tok[nt]);
			nt++;
		}
		p = nl ? nl + 1 : end;
		if (nt == 0)
			continue;
		t = ssh_key_type_ok(tok[0], tlen[0]) ? 0 : 1;
		if (t + 1 >= nt || !ssh_key_type_ok(tok[t], tlen[t]) ||
		    !ssh_all_in(tok[t + 1], tlen[t + 1], "+/="))
			return error_set(SVC_EINVALID,
					 "hostKey of SSH connection '%s' is not a known_hosts line",
					 svc_conn_name(c));
		rc = pn == 22 ? buf_printf(kh, "%s ", host.value)
			: buf_printf(kh, "[%s]:%lu ", host.value, pn);
		if (rc || (rc = buf_put(kh, tok[t], tlen[t])) ||
		    (rc = buf_putc(kh, ' ')) ||
		    (rc = buf_put(kh, tok[t + 1], tlen[t + 1])) ||
		    (rc = buf_putc(kh, '\n')))
			return rc;
		nkeys++;
	}
	if (!nkeys)
		return error_set(SVC_EINVALID, "SSH connection '%s' has no hostKey",
				 svc_conn_name(c));
	return 0;
}
