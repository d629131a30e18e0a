/*
 * verify_ssh.c - the verifier of SSH connections (ssh), and the host keys
 * `svcconn verify NAME --pin-host-key` pins.
 *
 * No SSH library: the system's OpenSSH client does the handshake, the
 * host-key check and the authentication, as it will in the job.
 *  - The pinned hostKey becomes the only known_hosts (0600, in a private
 *    0700 temporary directory), through the broker's own known_hosts
 *    builder; StrictHostKeyChecking=yes, no global file: another key is
 *    "Host key verification failed" (HOSTKEY).  No pin: INVALID with the
 *    how-to.
 *  - A PrivateKey goes to a private ssh-agent in the foreground (its
 *    socket in that directory) with "ssh-add -" through a socket pair, as
 *    the broker does for a job (broker/sshagent.c): never in a file or
 *    argv.  ssh then runs with BatchMode=yes and no identity file.
 *  - A password (or the key's passphrase, for ssh-add) is answered by
 *    svcconn-askpass (SSH_ASKPASS, SSH_ASKPASS_REQUIRE=force), which reads
 *    it from a FIFO (0600, in the private directory) that we hold open
 *    with the secret in its pipe buffer: never in a file, argv or
 *    environment, readable once.  ssh closes every inherited descriptor,
 *    which is why a FIFO and not an inherited pipe.  Its path comes from
 *    SVCCONN_ASKPASS, else svcconn-askpass next to the running program.
 *  - ssh -F /dev/null, a fresh environment, LogLevel=VERBOSE so that
 *    "Authenticated to" tells a successful authentication apart from the
 *    remote command's result (a git-shell account refuses "true").
 * Its messages map to outcomes: host key verification failed (HOSTKEY),
 * Permission denied (AUTH), Connection refused (CONNECT), Could not
 * resolve (DNS), timed out (TIMEOUT); a run past the verify timeout is
 * killed (TIMEOUT).
 *
 * svc_verify_ssh_host_keys: "ssh-keyscan -p PORT -T SECONDS -- HOST",
 * its lines read by the job's own known_hosts builder as a pinned hostKey
 * would be: validated, each normalised to "[host]:port type key" ("host
 * type key" on port 22).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "svcconn/secret.h"
#include "broker/sshagent.h"
#include "verify/verify_int.h"
#include "errors_int.h"
#include "util/buf.h"
#include "util/fileio.h"

#define SSH_OUT_MAX ((size_t)64 * 1024)  /* bytes of a tool's output kept */
#define ASKPASS_NAME "svcconn-askpass"

/* Monotonic milliseconds. */
static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Read fd into out until EOF or the deadline (monotonic ms); 1 when the
 * deadline passed first.
 */
static int read_until(svc_buf *out, int fd, long long deadline)
{
	char chunk[1024];

	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		long long left = deadline - now_ms();
		ssize_t n;
		int r;

		if (left <= 0)
			return 1;
		if ((r = poll(&p, 1, (int)(left > INT_MAX ? INT_MAX : left))) < 0 &&
		    errno == EINTR)
			continue;
		if (r == 0)
			return 1;
		if ((n = read(fd, chunk, sizeof(chunk))) < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;
		if (out->len + (size_t)n < SSH_OUT_MAX && buf_put(out, chunk, (size_t)n))
			return 0;
	}
}

/*
 * Run argv (fresh envp) with stdout (to_out) or stderr captured in out,
 * at most limit_ms; *timed_out when it was killed for it.
 */
static int run_tool(svc_buf *out, int *timed_out, char *const *argv,
		    char *const *envp, int to_out, long limit_ms)
{
	int fds[2], rc;
	pid_t pid;

	*timed_out = 0;
	if (pipe2(fds, O_CLOEXEC) != 0)
		return error_set(SVC_ERROR, "cannot make a pipe: %s", strerror(errno));
	rc = ssh_spawn(&pid, argv, envp, -1, to_out ? fds[1] : -1,
		       to_out ? -1 : fds[1]);
	close(fds[1]);
	if (rc) {
		close(fds[0]);
		return rc;
	}
	*timed_out = read_until(out, fds[0], now_ms() + limit_ms);
	close(fds[0]);
	if (*timed_out)
		kill(pid, SIGKILL);
	ssh_reap(pid, argv[0]);   /* its exit status is read from its words */
	return 0;
}

/* Host and port of c, validated as the broker does; or SVC_EINVALID. */
static int host_port(const char **host, unsigned long *port, const svc_conn *c)
{
	const char *h = verify_field(c, "Host"), *p = verify_field(c, "Port");
	char *e;

	if (!h || !ssh_all_in(h, strlen(h), "._:-") || h[0] == '-')
		return error_set(SVC_EINVALID, "SSH connection '%s' has no valid Host",
				 svc_conn_name(c));
	*port = 22;
	if (p) {
		errno = 0;
		*port = strtoul(p, &e, 10);
		if (errno || *e || *port == 0 || *port > 65535)
			return error_set(SVC_EINVALID, "SSH connection '%s' has no valid Port",
					 svc_conn_name(c));
	}
	*host = h;
	return 0;
}

static long limit_of(const svc_verify_options *o)
{
	return o && o->timeout_ms > 0 ? o->timeout_ms : SVC_VERIFY_TIMEOUT_MS;
}

static long connect_secs(const svc_verify_options *o)
{
	long ms = o && o->connect_timeout_ms > 0 ? o->connect_timeout_ms
						 : SVC_VERIFY_CONNECT_TIMEOUT_MS;

	return ms < 1000 ? 1 : ms / 1000;
}

/* ---- host keys ------------------------------------------------------------- */

int svc_verify_ssh_host_keys(char **out, const svc_conn *c,
			     const svc_verify_options *o)
{
	svc_buf text = SVC_BUF_INIT, kh = SVC_BUF_INIT;
	char portarg[24], secs[24];
	char *argv[] = { "ssh-keyscan", "-p", portarg, "-T", secs, "--", NULL, NULL };
	char *envp[] = { SSH_PATH, NULL };
	svc_conn *scanned = NULL;
	const char *host;
	unsigned long port;
	int rc, timed_out;

	if ((rc = host_port(&host, &port, c)))
		return rc;
	snprintf(portarg, sizeof(portarg), "%lu", port);
	snprintf(secs, sizeof(secs), "%ld", connect_secs(o));
	argv[6] = (char *)host;
	if ((rc = run_tool(&text, &timed_out, argv, envp, 1, limit_of(o))))
		goto done;
	if (!text.len) {
		rc = error_set(SVC_ENOTFOUND, "no host key from %s port %lu%s", host, port,
			       timed_out ? " (timed out)" : "");
		goto done;
	}
	/* what ssh-keyscan printed, read as a pinned hostKey would be: the
	 * job's known_hosts builder validates and normalises it */
	if ((rc = svc_conn_dup(&scanned, c)) ||
	    (rc = svc_conn_set_field(scanned, "hostKey", text.ptr, text.len)) ||
	    (rc = ssh_known_hosts_lines(&kh, scanned)))
		goto done;
	*out = buf_detach(&kh, NULL);
	rc = *out ? 0 : error_oom();
done:
	svc_conn_free(scanned);
	buf_clear(&text);
	buf_clear(&kh);
	return rc;
}

/* ---- the check --------------------------------------------------------------- */

/* The askpass program into a new string, or NULL when there is none. */
static char *askpass_path(void)
{
	const char *env = getenv("SVCCONN_ASKPASS");
	char exe[PATH_MAX], *slash, *p = NULL;
	ssize_t n;

	if (env && env[0] == '/' && access(env, X_OK) == 0)
		return strdup(env);
	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) <= 0)
		return NULL;
	exe[n] = '\0';
	if (!(slash = strrchr(exe, '/')))
		return NULL;
	*slash = '\0';
	if (asprintf(&p, "%s/%s", exe, ASKPASS_NAME) < 0)
		return NULL;
	if (access(p, X_OK) != 0) {
		free(p);
		return NULL;
	}
	return p;
}

/*
 * A FIFO path (0600) in dir holding secret s (len bytes) and a newline in
 * its pipe buffer; *fd keeps it open (the caller closes it).
 */
static int secret_fifo(int *fd, svc_buf *path, const char *dir, const char *s,
		       size_t len)
{
	int rc;

	if ((rc = buf_printf(path, "%s/askpass.fifo", dir)))
		return rc;
	if (len >= 60000)
		return error_set(SVC_EINVALID, "the password is too long");
	if (mkfifo(path->ptr, 0600) != 0 ||
	    (*fd = open(path->ptr, O_RDWR | O_NONBLOCK | O_CLOEXEC)) < 0)
		return error_set(SVC_ERROR, "cannot make a FIFO in '%s': %s", dir,
				 strerror(errno));
	if (svc_write_all(*fd, s, len, 1000) || svc_write_all(*fd, "\n", 1, 1000))
		return error_set(SVC_ERROR, "cannot fill the askpass FIFO");
	return 0;
}

/* Remove the private directory dir and the files named in it. */
static void remove_dir(const char *dir, const svc_buf *a, const svc_buf *b,
		       const svc_buf *c)
{
	if (a->ptr)
		unlink(a->ptr);
	if (b->ptr)
		unlink(b->ptr);
	if (c->ptr)
		unlink(c->ptr);
	rmdir(dir);
}

/* The outcome ssh's words stand for. */
static svc_verify_outcome ssh_outcome(const char *err, int timed_out)
{
	if (err && strstr(err, "Authenticated to"))
		return SVC_VERIFY_OK;
	if (timed_out)
		return SVC_VERIFY_TIMEOUT;
	if (!err)
		return SVC_VERIFY_UNEXPECTED;
	if (strstr(err, "Host key verification failed") ||
	    strstr(err, "REMOTE HOST IDENTIFICATION HAS CHANGED") ||
	    strstr(err, "host key for") || strstr(err, "No ED25519 host key") ||
	    strstr(err, "host key is known"))
		return SVC_VERIFY_HOSTKEY;
	if (strstr(err, "Permission denied") || strstr(err, "Too many authentication"))
		return SVC_VERIFY_AUTH;
	if (strstr(err, "Could not resolve hostname"))
		return SVC_VERIFY_DNS;
	if (strstr(err, "timed out"))
		return SVC_VERIFY_TIMEOUT;
	if (strstr(err, "Connection refused") || strstr(err, "No route to host") ||
	    strstr(err, "Network is unreachable"))
		return SVC_VERIFY_CONNECT;
	return SVC_VERIFY_UNEXPECTED;
}

/* The last line of err that is not a verbose note, into line. */
static void last_words(char *line, size_t size, const char *err)
{
	const char *p = err, *best = NULL, *e;
	size_t n;

	while (p && *p) {
		e = strchr(p, '\n');
		n = e ? (size_t)(e - p) : strlen(p);
		if (n && strncmp(p, "Authenticated", 13) && strncmp(p, "debug", 5) &&
		    !memmem(p, n, "Warning: Permanently", 20))
			best = p;
		p = e ? e + 1 : NULL;
	}
	n = best ? strcspn(best, "\r\n") : 0;
	snprintf(line, size, "%.*s", (int)(n < size ? n : size - 1), best ? best : "");
}

int verify_ssh(svc_verify_result *out, const svc_conn *c,
	       const svc_verify_options *o)
{
	svc_buf kh = SVC_BUF_INIT, dirb = SVC_BUF_INIT, khpath = SVC_BUF_INIT,
		sock = SVC_BUF_INIT, fifo = SVC_BUF_INIT, err = SVC_BUF_INIT,
		e_sock = SVC_BUF_INIT, e_ask = SVC_BUF_INIT, e_fifo = SVC_BUF_INIT,
		o_kh = SVC_BUF_INIT, o_ct = SVC_BUF_INIT, target = SVC_BUF_INIT;
	const char *host, *user = verify_field(c, "username");
	const char *pass = verify_field(c, "password");
	svc_conn_field key;
	char portarg[24], words[512], *askpass = NULL, *dir = NULL;
	char *envp[8], *argv[32];
	int has_key, fifo_fd = -1, rc, timed_out = 0;
	size_t ne = 0, na = 0;
	unsigned long port;
	pid_t agent = 0;

	has_key = svc_conn_field_get(c, "PrivateKey", &key) == 0 && key.value && key.len;
	if (host_port(&host, &port, c) || !user)
		return verify_set(out, SVC_VERIFY_INVALID, NULL,
				  "an SSH connection needs a valid Host, Port and username");
	if ((rc = buf_printf(&target, "ssh %s@%s:%lu", user, host, port)))
		return rc;
	if (!verify_field(c, "hostKey")) {
		rc = verify_set(out, SVC_VERIFY_INVALID, target.ptr,
				"no pinned host key; use svcconn verify %s --pin-host-key",
				svc_conn_name(c));
		goto done;
	}
	if (ssh_known_hosts_lines(&kh, c)) {
		rc = verify_set(out, SVC_VERIFY_INVALID, target.ptr, "%s", svc_error_last());
		goto done;
	}
	if (!has_key && !pass) {
		rc = verify_set(out, SVC_VERIFY_INVALID, target.ptr,
				"neither a private key nor a password to authenticate with");
		goto done;
	}
	if (pass && !(askpass = askpass_path())) {
		rc = verify_set(out, SVC_VERIFY_INVALID, target.ptr,
				"cannot find %s to give ssh the %s (set SVCCONN_ASKPASS)",
				ASKPASS_NAME, has_key ? "passphrase" : "password");
		goto done;
	}
	/* the private directory: known_hosts, agent socket, FIFO */
	if ((rc = buf_puts(&dirb, "/tmp/svcconn-verify-XXXXXX")))
		goto done;
	if (!(dir = mkdtemp(dirb.ptr))) {
		rc = error_set(SVC_ERROR, "cannot make a temporary directory: %s",
			       strerror(errno));
		goto done;
	}
	if ((rc = buf_printf(&khpath, "%s/known_hosts", dir)) ||
	    (rc = file_create_private(khpath.ptr, kh.ptr, kh.len)) ||
	    (rc = buf_printf(&o_kh, "UserKnownHostsFile=%s", khpath.ptr)) ||
	    (rc = buf_printf(&o_ct, "ConnectTimeout=%ld", connect_secs(o))))
		goto done;
	if (pass) {
		if ((rc = secret_fifo(&fifo_fd, &fifo, dir, pass, strlen(pass))) ||
		    (rc = buf_printf(&e_fifo, "SVCCONN_ASKPASS_FIFO=%s", fifo.ptr)) ||
		    (rc = buf_printf(&e_ask, "SSH_ASKPASS=%s", askpass)))
			goto done;
	}
	if (has_key) {
		char *extra[] = { e_ask.ptr, "SSH_ASKPASS_REQUIRE=force", e_fifo.ptr, NULL };

		if ((rc = buf_printf(&sock, "%s/agent.sock", dir)) ||
		    (rc = sshagent_start(&agent, sock.ptr, 1)) ||
		    (rc = buf_printf(&e_sock, "SSH_AUTH_SOCK=%s", sock.ptr)))
			goto done;
		if (sshagent_add_key(sock.ptr, key.value, key.len, pass ? extra : NULL,
				     "ssh-add of the private key")) {
			rc = verify_set(out, SVC_VERIFY_INVALID, target.ptr,
					"the private key cannot be loaded (not an SSH private key, or a wrong passphrase)");
			goto done;
		}
	}
	snprintf(portarg, sizeof(portarg), "%lu", port);
	argv[na++] = "ssh";
	argv[na++] = "-F";
	argv[na++] = "/dev/null";
	argv[na++] = "-T";
	argv[na++] = "-o";
	argv[na++] = has_key ? "BatchMode=yes" : "BatchMode=no";
	argv[na++] = "-o";
	argv[na++] = "StrictHostKeyChecking=yes";
	argv[na++] = "-o";
	argv[na++] = o_kh.ptr;
	argv[na++] = "-o";
	argv[na++] = "GlobalKnownHostsFile=/dev/null";
	argv[na++] = "-o";
	argv[na++] = "IdentityFile=/dev/null";
	argv[na++] = "-o";
	argv[na++] = o_ct.ptr;
	argv[na++] = "-o";
	argv[na++] = "LogLevel=VERBOSE";
	argv[na++] = "-o";
	argv[na++] = has_key ? "PreferredAuthentications=publickey"
		: "PreferredAuthentications=password,keyboard-interactive";
	argv[na++] = "-o";
	argv[na++] = "NumberOfPasswordPrompts=1";
	argv[na++] = "-p";
	argv[na++] = portarg;
	argv[na++] = "-l";
	argv[na++] = (char *)user;
	argv[na++] = "--";
	argv[na++] = (char *)host;
	argv[na++] = "true";
	argv[na] = NULL;
	envp[ne++] = SSH_PATH;
	if (has_key)
		envp[ne++] = e_sock.ptr;
	else {
		envp[ne++] = e_ask.ptr;
		envp[ne++] = "SSH_ASKPASS_REQUIRE=force";
		envp[ne++] = e_fifo.ptr;
	}
	envp[ne] = NULL;
	if ((rc = run_tool(&err, &timed_out, argv, envp, 0, limit_of(o))))
		goto done;
	last_words(words, sizeof(words), err.ptr);
	switch (ssh_outcome(err.ptr, timed_out)) {
	case SVC_VERIFY_OK:
		rc = verify_set(out, SVC_VERIFY_OK, target.ptr,
				"host key matches the pin; authenticated with the %s",
				has_key ? "private key" : "password");
		break;
	case SVC_VERIFY_TIMEOUT:
		rc = verify_set(out, SVC_VERIFY_TIMEOUT, target.ptr, "%s",
				timed_out ? "ssh did not finish in time" : words);
		break;
	case SVC_VERIFY_HOSTKEY:
		rc = verify_set(out, SVC_VERIFY_HOSTKEY, target.ptr,
				"the server's host key is not the pinned one (%s)", words);
		break;
	default:
		rc = verify_set(out, ssh_outcome(err.ptr, 0), target.ptr, "%s",
				*words ? words : "ssh failed without a message");
	}
done:
	if (agent > 0) {
		kill(agent, SIGTERM);
		ssh_reap(agent, "ssh-agent");
	}
	if (fifo_fd >= 0)
		close(fifo_fd);
	if (dir)
		remove_dir(dir, &khpath, &sock, &fifo);
	free(askpass);
	buf_clear(&kh);
	buf_clear(&dirb);
	buf_clear(&khpath);
	buf_clear(&sock);
	buf_clear(&fifo);
	buf_clear(&err);
	buf_clear(&e_sock);
	buf_clear(&e_ask);
	buf_clear(&e_fifo);
	buf_clear(&o_kh);
	buf_clear(&o_ct);
	buf_clear(&target);
	return rc;
}
