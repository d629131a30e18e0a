/*
 * validate.c - checking one field value against its catalog validator.
 *
 * Every value first passes a gate: never a NUL byte (values become C
 * strings and environment variables).  Free text (SVC_VALID_NONE, _LENGTH:
 * passwords, tokens, names) may hold any other byte, line breaks included;
 * whoever writes a value into a line protocol (git credential, logging
 * commands) must refuse CR/LF there.  Structured kinds allow no control
 * character, except TAB, CR and LF in the ones that span lines (PEM,
 * base64, kubeconfig, known_hosts): so a single-line kind never holds a line
 * break.  Then the kind's own check runs.  Reasons are static, lower-case
 * text so a caller can quote them next to the field name.
 *
 * Values may be secrets (keys, tokens, kubeconfigs).  Where a check needs a
 * NUL-terminated copy, the copy is wiped before it is freed; the YAML
 * parser's buffers and document scalars are wiped the same way.  Nothing here
 * prints, exits or sets the thread's last error: callers decide how a bad
 * value is reported.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <yaml.h>

#include "svcconn/catalog.h"
#include "svcconn/errors.h"
#include "svcconn/secret.h"
#include "catalog/catalog_int.h"

/* ---- small character helpers -------------------------------------------- */

static int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_hex(unsigned char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int is_b64(unsigned char c)
{
	return is_alpha(c) || is_digit(c) || c == '+' || c == '/';
}

static int is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* 1 when s (of n bytes) starts with the NUL-terminated prefix p, any case. */
static int has_prefix_ci(const char *s, size_t n, const char *p)
{
	size_t pl = strlen(p);

	return n >= pl && strncasecmp(s, p, pl) == 0;
}

/* 1 when s (of n bytes) equals the NUL-terminated t exactly. */
static int equals(const char *s, size_t n, const char *t)
{
	return strlen(t) == n && memcmp(s, t, n) == 0;
}

/* A NUL-terminated copy of n bytes, or NULL; free with svc_secret_free. */
static char *copy_z(const char *s, size_t n)
{
	char *p;

	if (n == (size_t)-1)
		return NULL;
	p = malloc(n + 1);
	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* ---- the gate every value passes ---------------------------------------- */

/* Which bytes a kind's values may hold before its own check runs. */
enum gate {
	GATE_TEXT,   /* free text: anything but NUL */
	GATE_LINES,  /* structured, multi-line: no controls but TAB CR LF */
	GATE_LINE    /* structured, one line: no control characters */
};

static enum gate gate_of(svc_validator v)
{
	switch (v) {
	case SVC_VALID_NONE:
	case SVC_VALID_LENGTH:
		return GATE_TEXT;
	case SVC_VALID_PEM:
	case SVC_VALID_BASE64:
	case SVC_VALID_KUBECONFIG:
	case SVC_VALID_KNOWN_HOSTS:
		return GATE_LINES;
	default:
		return GATE_LINE;
	}
}

static int check_bytes(const char *s, size_t n, enum gate g,
		       const char **why)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\0') {
			*why = "contains a NUL byte";
			return SVC_EINVALID;
		}
		if (g == GATE_TEXT)
			continue;
		if ((c == '\n' || c == '\r') && g == GATE_LINE) {
			*why = "contains a line break";
			return SVC_EINVALID;
		}
		if ((c < 0x20 && c != '\n' && c != '\r' &&
		     !(c == '\t' && g == GATE_LINES)) || c == 0x7f) {
			*why = "contains a control character";
			return SVC_EINVALID;
		}
	}
	return 0;
}

/* ---- URLs --------------------------------------------------------------- */

/* Port digits in s[0..n): 1..65535, no sign, no leading zero. */
static int port_ok(const char *s, size_t n)
{
	unsigned long v = 0;
	size_t i;

	if (n == 0 || n > 5 || s[0] == '0')
		return 0;
	for (i = 0; i < n; i++) {
		if (!is_digit((unsigned char)s[i]))
			return 0;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	return v >= 1 && v <= 65535;
}

/*
 * Parse "host[:port]" at s[0..n) (the authority, without user information).
 * The host is a name (letters, digits, '-', '.', '_', '~') or a bracketed
 * IPv6 literal.  *has_port tells whether a port was given.
 */
static int authority_ok(const char *s, size_t n, int *has_port)
{
	size_t i = 0, hl;

	*has_port = 0;
	if (n && s[0] == '[') {
		for (i = 1; i < n && s[i] != ']'; i++)
			if (!is_hex((unsigned char)s[i]) && s[i] != ':' &&
			    s[i] != '.')
				return 0;
		if (i == n || i == 1)
			return 0;
		i++; /* past ']' */
	} else {
		for (i = 0; i < n && s[i] != ':'; i++) {
			unsigned char c = (unsigned char)s[i];

			if (!is_alpha(c) && !is_digit(c) && c != '-' &&
			    c != '.' && c != '_' && c != '~')
				return 0;
		}
		if (i == 0)
			return 0;
	}
	hl = i;
	if (hl == n)
		return 1;
	if (s[hl] != ':')
		return 0;
	*has_port = 1;
	return port_ok(s + hl + 1, n - hl - 1);
}

/* Only printable ASCII, no space: what a URL may hold after the gate. */
static int url_chars_ok(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

static int check_url(const char *s, size_t n, const char **why)
{
	size_t skip, alen;
	int has_port;

	*why = "not an absolute http(s) URL";
	if (has_prefix_ci(s, n, "https://"))
		skip = 8;
	else if (has_prefix_ci(s, n, "http://"))
		skip = 7;
	else
		return SVC_EINVALID;
	if (!url_chars_ok(s, n))
		return SVC_EINVALID;
	s += skip;
	n -= skip;
	for (alen = 0; alen < n; alen++)
		if (s[alen] == '/' || s[alen] == '?' || s[alen] == '#')
			break;
	if (memchr(s, '@', alen)) {
		*why = "user information in a URL is not allowed; "
		       "use the credential fields";
		return SVC_EINVALID;
	}
	if (!authority_ok(s, alen, &has_port))
		return SVC_EINVALID;
	return 0;
}

static int check_tcp_url(const char *s, size_t n, const char **why)
{
	size_t alen;
	int has_port;

	*why = "not a tcp://host:port address";
	if (!has_prefix_ci(s, n, "tcp://") || !url_chars_ok(s, n))
		return SVC_EINVALID;
	s += 6;
	n -= 6;
	/* one optional trailing '/' (the Docker tasks strip it) */
	alen = n && s[n - 1] == '/' ? n - 1 : n;
	if (memchr(s, '/', alen) || memchr(s, '@', alen) ||
	    memchr(s, '?', alen) || memchr(s, '#', alen))
		return SVC_EINVALID;
	if (!authority_ok(s, alen, &has_port) || !has_port)
		return SVC_EINVALID;
	return 0;
}

/* ---- identifiers -------------------------------------------------------- */

static int check_guid(const char *s, size_t n, const char **why)
{
	size_t i;

	*why = "not a GUID";
	if (n != 36)
		return SVC_EINVALID;
	for (i = 0; i < n; i++) {
		int dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-' : !is_hex((unsigned char)s[i]))
			return SVC_EINVALID;
	}
	return 0;
}

static int check_name(const char *s, size_t n, const char **why)
{
	size_t i;

	*why = "not a name (letters, digits, '-', '_' and '.' only)";
	if (n == 0)
		return SVC_EINVALID;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!is_alpha(c) && !is_digit(c) && c != '-' && c != '_' &&
		    c != '.')
			return SVC_EINVALID;
	}
	return 0;
}

static int check_enum(const char *s, size_t n, const char *arg,
		      const char **why)
{
	const char *p = arg;

	*why = "not one of the allowed values";
	while (p && *p) {
		size_t len = strcspn(p, "|");

		if (len == n && memcmp(p, s, n) == 0)
			return 0;
		p += len;
		if (*p == '|')
			p++;
	}
	return SVC_EINVALID;
}

static int check_bool(const char *s, size_t n, const char **why)
{
	if (equals(s, n, "true") || equals(s, n, "false"))
		return 0;
	*why = "not \"true\" or \"false\"";
	return SVC_EINVALID;
}

static int check_port(const char *s, size_t n, const char **why)
{
	if (port_ok(s, n))
		return 0;
	*why = "not a port number (1-65535)";
	return SVC_EINVALID;
}

/* Comma-separated hex thumbprints of 40 (SHA-1) or 64 (SHA-256) digits. */
static int check_thumbprints(const char *s, size_t n, const char **why)
{
	size_t i = 0;

	*why = "not a comma-separated list of SHA-1 or SHA-256 hex "
	       "thumbprints";
	for (;;) {
		size_t start, digits = 0;

		while (i < n && (s[i] == ' ' || s[i] == '\t'))
			i++;
		start = i;
		while (i < n && is_hex((unsigned char)s[i]))
			i++;
		digits = i - start;
		if (digits != 40 && digits != 64)
			return SVC_EINVALID;
		while (i < n && (s[i] == ' ' || s[i] == '\t'))
			i++;
		if (i == n)
			return 0;
		if (s[i] != ',')
			return SVC_EINVALID;
		i++;
	}
}

/* ---- base64 ------------------------------------------------------------- */

/*
 * Strict standard base64: the alphabet A-Z a-z 0-9 + /, complete groups of
 * four, '=' padding only at the end of the last group, whitespace only
 * between groups, and at least one group (so it decodes to something).
 */
static int base64_ok(const char *s, size_t n)
{
	size_t i, count = 0, groups = 0;
	int pad = 0, done = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		size_t pos = count % 4;

		if (is_space(c)) {
			if (pos != 0)
				return 0;
			continue;
		}
		if (done)
			return 0;
		if (c == '=') {
			/* "xx==" or "xxx=" */
			if (pos < 2)
				return 0;
			pad++;
		} else if (!is_b64(c) || pad) {
			return 0;
		}
		count++;
		if (count % 4 == 0) {
			groups++;
			if (pad)
				done = 1;
		}
	}
	return count % 4 == 0 && groups > 0;
}

static int check_base64(const char *s, size_t n, const char **why)
{
	if (base64_ok(s, n))
		return 0;
	*why = "not base64";
	return SVC_EINVALID;
}

/* ---- PEM ---------------------------------------------------------------- */

/*
 * One or more PEM blocks, each of which must decode: OpenSSL's generic
 * reader takes any "-----BEGIN X-----" label, so certificates, PKCS#1/8
 * keys and "OPENSSH PRIVATE KEY" blocks all pass.  Text outside the blocks
 * (the "Bag Attributes" lines openssl pkcs12 prints) is allowed.
 */
static int check_pem(const char *s, size_t n, const char **why)
{
	BIO *bio;
	int blocks = 0, bad = 0;

	*why = "not PEM (no block that decodes)";
	if (n == 0 || n > INT_MAX)
		return SVC_EINVALID;
	bio = BIO_new_mem_buf(s, (int)n);
	if (!bio) {
		*why = "out of memory";
		return SVC_EINVALID;
	}
	ERR_set_mark();
	for (;;) {
		char *name = NULL, *header = NULL;
		unsigned char *data = NULL;
		long dlen = 0;
		unsigned long e;

		if (PEM_read_bio(bio, &name, &header, &data, &dlen) == 1) {
			OPENSSL_free(name);
			OPENSSL_free(header);
			OPENSSL_clear_free(data, dlen > 0 ? (size_t)dlen : 0);
			if (dlen <= 0)
				bad = 1;
			blocks++;
			continue;
		}
		/* no further BEGIN line is the normal end; anything else is
		 * a block that failed to decode */
		e = ERR_peek_last_error();
		if (!(ERR_GET_LIB(e) == ERR_LIB_PEM &&
		      ERR_GET_REASON(e) == PEM_R_NO_START_LINE))
			bad = 1;
		break;
	}
	ERR_pop_to_mark();
	BIO_free(bio);
	if (bad) {
		*why = "not PEM (a block does not decode)";
		return SVC_EINVALID;
	}
	return blocks > 0 ? 0 : SVC_EINVALID;
}

/* ---- known_hosts -------------------------------------------------------- */

/* An OpenSSH key type name: ssh-*, ecdsa-* or sk-*. */
static int keytype_ok(const char *s, size_t n)
{
	size_t i, pl;

	if (n >= 4 && !strncmp(s, "ssh-", 4))
		pl = 4;
	else if (n >= 6 && !strncmp(s, "ecdsa-", 6))
		pl = 6;
	else if (n >= 3 && !strncmp(s, "sk-", 3))
		pl = 3;
	else
		return 0;
	if (n == pl)
		return 0;
	for (i = pl; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!is_alpha(c) && !is_digit(c) && c != '-' && c != '.' &&
		    c != '@' && c != '_')
			return 0;
	}
	return 1;
}

/*
 * The key blob (base64 b of bl bytes) must start with the key type name as
 * an SSH string: a mismatch means the line was pasted together wrongly.
 */
static int blob_matches(const char *b, size_t bl, const char *type, size_t tl)
{
	unsigned char *out;
	char *in;
	int len, ok;

	if (!base64_ok(b, bl) || bl > INT_MAX)
		return 0;
	in = copy_z(b, bl);
	out = malloc(bl / 4 * 3 + 1);
	if (!in || !out) {
		free(in);
		free(out);
		return 0;
	}
	len = EVP_DecodeBlock(out, (const unsigned char *)in, (int)bl);
	ok = len >= 4 && (size_t)len >= 4 + tl &&
	     ((size_t)out[0] << 24 | (size_t)out[1] << 16 |
	      (size_t)out[2] << 8 | (size_t)out[3]) == tl &&
	     memcmp(out + 4, type, tl) == 0;
	free(in);
	free(out);
	return ok;
}

/* Next whitespace-separated word in line[*i..n); 0 when none. */
static int next_word(const char *line, size_t n, size_t *i, const char **w,
		     size_t *wl)
{
	while (*i < n && (line[*i] == ' ' || line[*i] == '\t'))
		(*i)++;
	if (*i == n)
		return 0;
	*w = line + *i;
	while (*i < n && line[*i] != ' ' && line[*i] != '\t')
		(*i)++;
	*wl = (size_t)(line + *i - *w);
	return 1;
}

/*
 * known_hosts text: each line "hostpattern keytype base64 [comment]".
 * Empty lines and '#' comment lines are skipped; at least one key line.
 * Markers (@cert-authority, @revoked) are not accepted: the field pins
 * plain host keys.
 */
static int check_known_hosts(const char *s, size_t n, const char **why)
{
	size_t pos = 0, keys = 0;

	*why = "not known_hosts lines (host keytype base64)";
	while (pos < n) {
		const char *line = s + pos, *host, *type, *blob;
		const char *nl = memchr(line, '\n', n - pos);
		size_t ll = nl ? (size_t)(nl - line) : n - pos;
		size_t i = 0, hl, tl, bl;

		pos += ll + (nl ? 1 : 0);
		if (ll && line[ll - 1] == '\r')
			ll--;
		if (memchr(line, '\r', ll))
			return SVC_EINVALID;
		if (!next_word(line, ll, &i, &host, &hl) || host[0] == '#')
			continue;
		if (host[0] == '@')
			return SVC_EINVALID;
		if (!next_word(line, ll, &i, &type, &tl) ||
		    !keytype_ok(type, tl))
			return SVC_EINVALID;
		if (!next_word(line, ll, &i, &blob, &bl) ||
		    !blob_matches(blob, bl, type, tl))
			return SVC_EINVALID;
		keys++;
	}
	return keys ? 0 : SVC_EINVALID;
}

/* ---- regex and length --------------------------------------------------- */

static int check_regex(const char *s, size_t n, const char *arg,
		       const char **why)
{
	catre *re = NULL;
	size_t at;
	int rc;

	if (!arg || catre_compile(&re, arg, why, &at) != 0) {
		*why = "invalid pattern in the catalog";
		return SVC_EINVALID;
	}
	rc = n > CATRE_MAX_VALUE ? 0 : catre_match(re, s, n);
	catre_free(re);
	if (rc == 1)
		return 0;
	*why = n > CATRE_MAX_VALUE ? "too long to check against a pattern (over 64 KiB)"
	       : rc == 0 ? "does not match the required pattern" : "out of memory";
	return SVC_EINVALID;
}

/* Parse length bounds "min..max" into *lo and *hi; 0 or SVC_EINVALID. */
static int parse_bounds(const char *arg, unsigned long long *lo,
			unsigned long long *hi)
{
	char *end;

	if (!arg || !is_digit((unsigned char)arg[0]))
		return SVC_EINVALID;
	*lo = strtoull(arg, &end, 10);
	if (strncmp(end, "..", 2) != 0 || !is_digit((unsigned char)end[2]))
		return SVC_EINVALID;
	*hi = strtoull(end + 2, &end, 10);
	return *end || *lo > *hi ? SVC_EINVALID : 0;
}

static int check_length(size_t n, const char *arg, const char **why)
{
	unsigned long long lo, hi;

	*why = "invalid length bounds in the catalog";
	if (parse_bounds(arg, &lo, &hi))
		return SVC_EINVALID;
	if (n < lo) {
		*why = "too short";
		return SVC_EINVALID;
	}
	if (n > hi) {
		*why = "too long";
		return SVC_EINVALID;
	}
	return 0;
}

int catalog_validator_arg_ok(svc_validator v, const char *arg,
			     const char **why, size_t *at_out)
{
	unsigned long long lo, hi;
	catre *re = NULL;
	size_t at;
	int rc;

	switch (v) {
	case SVC_VALID_ENUM:
		*why = "an enumeration needs at least one value";
		return arg && *arg ? 0 : SVC_EINVALID;
	case SVC_VALID_LENGTH:
		*why = "length bounds must be \"MIN..MAX\" with MIN <= MAX";
		return parse_bounds(arg, &lo, &hi);
	case SVC_VALID_REGEX:
		if (!arg || !*arg) {
			*why = "an empty pattern";
			return SVC_EINVALID;
		}
		if ((rc = catre_compile(&re, arg, why, &at)) != 0) {
			if (at_out)
				*at_out = at;
			return rc;
		}
		catre_free(re);
		return 0;
	default:
		*why = "this validation takes no argument";
		return arg ? SVC_EINVALID : 0;
	}
}

/* ---- kubeconfig --------------------------------------------------------- */

/* The value of key in a mapping node, or NULL. */
static yaml_node_t *map_get(yaml_document_t *doc, yaml_node_t *map,
			    const char *key)
{
	yaml_node_pair_t *p;

	for (p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key);

		if (k && k->type == YAML_SCALAR_NODE &&
		    equals((const char *)k->data.scalar.value,
			   k->data.scalar.length, key))
			return yaml_document_get_node(doc, p->value);
	}
	return NULL;
}

/* 1 when a context named name (of nl bytes) is in the contexts list. */
static int has_context(yaml_document_t *doc, yaml_node_t *contexts,
		       const char *name, size_t nl)
{
	yaml_node_item_t *it;

	for (it = contexts->data.sequence.items.start;
	     it < contexts->data.sequence.items.top; it++) {
		yaml_node_t *c = yaml_document_get_node(doc, *it), *cn;

		if (!c || c->type != YAML_MAPPING_NODE)
			continue;
		cn = map_get(doc, c, "name");
		if (cn && cn->type == YAML_SCALAR_NODE &&
		    cn->data.scalar.length == nl &&
		    memcmp(cn->data.scalar.value, name, nl) == 0)
			return 1;
	}
	return 0;
}

/* Wipe every scalar of a loaded document (they may be keys or tokens). */
static void wipe_document(yaml_document_t *doc)
{
	yaml_node_t *nd;

	for (nd = doc->nodes.start; nd && nd < doc->nodes.top; nd++)
		if (nd->type == YAML_SCALAR_NODE)
			svc_wipe(nd->data.scalar.value, nd->data.scalar.length);
}

/* Wipe the parser's copies of the input before it frees them. */
static void wipe_parser(yaml_parser_t *p)
{
	if (p->buffer.start)
		svc_wipe(p->buffer.start,
			 (size_t)(p->buffer.end - p->buffer.start));
	if (p->raw_buffer.start)
		svc_wipe(p->raw_buffer.start,
			 (size_t)(p->raw_buffer.end - p->raw_buffer.start));
}

/* The checks on a loaded kubeconfig document. */
static int check_kubeconfig_doc(yaml_document_t *doc, const char *context,
				const char **why)
{
	static const char *const lists[] = { "clusters", "contexts", "users" };
	static const char *const missing[] = {
		"no \"clusters\" list", "no \"contexts\" list",
		"no \"users\" list"
	};
	yaml_node_t *root = yaml_document_get_root_node(doc);
	yaml_node_t *contexts = NULL, *cur;
	size_t i;

	if (!root) {
		*why = "empty kubeconfig";
		return SVC_EINVALID;
	}
	if (root->type != YAML_MAPPING_NODE) {
		*why = "kubeconfig is not a YAML mapping";
		return SVC_EINVALID;
	}
	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		yaml_node_t *l = map_get(doc, root, lists[i]);

		if (!l || l->type != YAML_SEQUENCE_NODE) {
			*why = missing[i];
			return SVC_EINVALID;
		}
		if (i == 1)
			contexts = l;
	}
	if (context) {
		if (!has_context(doc, contexts, context, strlen(context))) {
			*why = "the context is not in the kubeconfig";
			return SVC_EINVALID;
		}
		return 0;
	}
	cur = map_get(doc, root, "current-context");
	if (!cur || cur->type != YAML_SCALAR_NODE ||
	    cur->data.scalar.length == 0)
		return 0;
	if (!has_context(doc, contexts, (const char *)cur->data.scalar.value,
			 cur->data.scalar.length)) {
		*why = "current-context names no context of the kubeconfig";
		return SVC_EINVALID;
	}
	return 0;
}

int catalog_check_kubeconfig(const char *text, size_t len,
			     const char *context, const char **why)
{
	yaml_parser_t parser;
	yaml_document_t doc, extra;
	int rc = SVC_EINVALID;

	if (!text || len == 0) {
		*why = "empty kubeconfig";
		return SVC_EINVALID;
	}
	if (!yaml_parser_initialize(&parser)) {
		*why = "out of memory";
		return SVC_EINVALID;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text,
				     len);
	if (!yaml_parser_load(&parser, &doc)) {
		*why = "kubeconfig is not valid YAML";
		goto parser;
	}
	rc = check_kubeconfig_doc(&doc, context, why);
	if (rc == 0) {
		/* a second document is an error, and so is a syntax error
		 * after the first one */
		if (!yaml_parser_load(&parser, &extra)) {
			*why = "kubeconfig is not valid YAML";
			rc = SVC_EINVALID;
		} else {
			if (yaml_document_get_root_node(&extra)) {
				*why = "more than one YAML document";
				rc = SVC_EINVALID;
			}
			wipe_document(&extra);
			yaml_document_delete(&extra);
		}
	}
	wipe_document(&doc);
	yaml_document_delete(&doc);
parser:
	wipe_parser(&parser);
	yaml_parser_delete(&parser);
	return rc;
}

/* ---- entry points ------------------------------------------------------- */

int svc_field_check(const svc_field *f, const char *value, size_t len,
		    const char **why)
{
	const char *dummy;
	int rc;

	if (!why)
		why = &dummy;
	if (!f || (!value && len)) {
		*why = "no value";
		return SVC_EINVALID;
	}
	if (!value)
		value = "";
	rc = check_bytes(value, len, gate_of(f->validator), why);
	if (rc)
		return rc;
	switch (f->validator) {
	case SVC_VALID_NONE:
		return 0;
	case SVC_VALID_URL:
		return check_url(value, len, why);
	case SVC_VALID_TCP_URL:
		return check_tcp_url(value, len, why);
	case SVC_VALID_GUID:
		return check_guid(value, len, why);
	case SVC_VALID_PEM:
		return check_pem(value, len, why);
	case SVC_VALID_BASE64:
		return check_base64(value, len, why);
	case SVC_VALID_KUBECONFIG:
		return catalog_check_kubeconfig(value, len, NULL, why);
	case SVC_VALID_THUMBPRINTS:
		return check_thumbprints(value, len, why);
	case SVC_VALID_NAME:
		return check_name(value, len, why);
	case SVC_VALID_ENUM:
		return check_enum(value, len, f->validator_arg, why);
	case SVC_VALID_BOOL:
		return check_bool(value, len, why);
	case SVC_VALID_PORT:
		return check_port(value, len, why);
	case SVC_VALID_KNOWN_HOSTS:
		return check_known_hosts(value, len, why);
	case SVC_VALID_REGEX:
		return check_regex(value, len, f->validator_arg, why);
	case SVC_VALID_LENGTH:
		return check_length(len, f->validator_arg, why);
	}
	*why = "unknown validator";
	return SVC_EINVALID;
}

const char *svc_field_kind_name(svc_field_kind k)
{
	switch (k) {
	case SVC_FIELD_AUTH:
		return "auth";
	case SVC_FIELD_DATA:
		return "data";
	case SVC_FIELD_URL:
		return "url";
	}
	return "unknown";
}
