/*
 * encodings.c - the forms a secret takes in a log.
 *
 * A task rarely prints a secret as it is: it prints it inside JSON, in a
 * URL (percent-encoded as a component, or as a URL's userinfo), in XML,
 * quoted for a shell, in a logging command, or base64-encoded (an
 * Authorization header, a Kubernetes secret, a docker config).  Each
 * function here turns a value into one such form; mask_forms() runs them
 * all and hands each result to a callback, which registers it as one more
 * literal pattern.  Results are built in a wiping buffer.
 *
 * Base64 inside a longer base64 text: when the value starts k bytes into a
 * 3-byte group (k = 0, 1, 2), its encoding shares the first characters with
 * the bytes before it and the last ones with the bytes after it.  Encoding
 * k zero bytes followed by the value and keeping only the characters whose
 * six bits come from the value's own bytes gives the text that appears
 * whatever surrounds it (as GitHub's runner does).  Output character j of a
 * group of three bytes b0 b1 b2 holds bits of: j=0 b0; j=1 b0 b1; j=2 b1 b2;
 * j=3 b2.
 */
#include <string.h>

#include "svcconn/errors.h"
#include "svcconn/secret.h"
#include "errors_int.h"
#include "mask/mask_int.h"

static const char b64_std[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_url[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
static const char hex_upper[] = "0123456789ABCDEF";
static const char hex_lower[] = "0123456789abcdef";

/* Largest form of a value: 6 output bytes per input byte (\u00XX). */
#define FORM_MAX ((size_t)6 * SVC_SECRET_MAX + 64)

/* The whole padded base64 of v. */
static int base64_padded(svc_buf *out, const char *v, size_t len,
			 const char *alpha, int pad)
{
	const unsigned char *p = (const unsigned char *)v;
	char q[4];
	size_t i;
	int rc = 0;

	for (i = 0; i + 3 <= len && rc == 0; i += 3) {
		unsigned long g = ((unsigned long)p[i] << 16) |
				  ((unsigned long)p[i + 1] << 8) | p[i + 2];

		q[0] = alpha[(g >> 18) & 63];
		q[1] = alpha[(g >> 12) & 63];
		q[2] = alpha[(g >> 6) & 63];
		q[3] = alpha[g & 63];
		rc = buf_put(out, q, 4);
	}
	if (rc == 0 && i < len) {
		unsigned long g = (unsigned long)p[i] << 16;
		size_t n = 2;

		if (i + 1 < len) {
			g |= (unsigned long)p[i + 1] << 8;
			n = 3;
		}
		q[0] = alpha[(g >> 18) & 63];
		q[1] = alpha[(g >> 12) & 63];
		q[2] = n == 3 ? alpha[(g >> 6) & 63] : '=';
		q[3] = '=';
		rc = buf_put(out, q, pad ? 4 : n);
	}
	svc_wipe(q, sizeof(q));
	return rc;
}

int mask_base64_shifted(svc_buf *out, const char *v, size_t len, unsigned k,
			int urlsafe)
{
	const unsigned char *p = (const unsigned char *)v;
	const char *alpha = urlsafe ? b64_url : b64_std;
	size_t total = k + len, groups = (total + 2) / 3, g;
	int rc = 0;

	if (k > 2)
		return error_set(SVC_EINVALID, "base64 shift %u out of range", k);
	for (g = 0; g < groups && rc == 0; g++) {
		unsigned long bits = 0;
		unsigned j;

		for (j = 0; j < 3; j++) {
			size_t at = 3 * g + j;
			unsigned char b = at >= k && at < total ? p[at - k] : 0;

			bits = (bits << 8) | b;
		}
		for (j = 0; j < 4 && rc == 0; j++) {
			/* the bytes (first, last) this character draws on */
			size_t lo = 3 * g + (j == 0 ? 0 : j - 1);
			size_t hi = 3 * g + (j == 3 ? 2 : j);

			if (lo >= k && hi < total)
				rc = buf_putc(out,
					      alpha[(bits >> (18 - 6 * j)) & 63]);
		}
		bits = 0;
	}
	return rc;
}

/* One JSON string escape; ascii: non-ASCII as \uXXXX in hex. */
static int json_escape(svc_buf *out, const char *v, size_t len, int ascii,
		       const char *hex)
{
	const unsigned char *p = (const unsigned char *)v;
	size_t i = 0;
	int rc = 0;

	while (i < len && rc == 0) {
		unsigned char c = p[i];
		char e[12];

		if (c == '"' || c == '\\') {
			e[0] = '\\';
			e[1] = (char)c;
			rc = buf_put(out, e, 2);
		} else if (c < 0x20) {
			const char *named = c == '\b' ? "\\b" : c == '\f' ? "\\f"
				: c == '\n' ? "\\n" : c == '\r' ? "\\r"
				: c == '\t' ? "\\t" : NULL;

			if (named) {
				rc = buf_put(out, named, 2);
			} else {
				memcpy(e, "\\u00", 4);
				e[4] = hex[c >> 4];
				e[5] = hex[c & 15];
				rc = buf_put(out, e, 6);
			}
		} else if (c >= 0x80 && ascii) {
			/* decode one UTF-8 sequence (validated by the caller) */
			unsigned long cp;
			size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2, j;

			cp = c & (n == 4 ? 0x07 : n == 3 ? 0x0f : 0x1f);
			for (j = 1; j < n; j++)
				cp = (cp << 6) | (p[i + j] & 0x3f);
			i += n - 1;
			if (cp >= 0x10000) {
				unsigned long hs = 0xd800 + ((cp - 0x10000) >> 10);
				unsigned long ls = 0xdc00 + ((cp - 0x10000) & 0x3ff);

				e[0] = '\\'; e[1] = 'u';
				e[2] = hex[(hs >> 12) & 15]; e[3] = hex[(hs >> 8) & 15];
				e[4] = hex[(hs >> 4) & 15]; e[5] = hex[hs & 15];
				e[6] = '\\'; e[7] = 'u';
				e[8] = hex[(ls >> 12) & 15]; e[9] = hex[(ls >> 8) & 15];
				e[10] = hex[(ls >> 4) & 15]; e[11] = hex[ls & 15];
				rc = buf_put(out, e, 12);
			} else {
				e[0] = '\\'; e[1] = 'u';
				e[2] = hex[(cp >> 12) & 15]; e[3] = hex[(cp >> 8) & 15];
				e[4] = hex[(cp >> 4) & 15]; e[5] = hex[cp & 15];
				rc = buf_put(out, e, 6);
			}
			cp = 0;
		} else {
			rc = buf_putc(out, (char)c);
		}
		svc_wipe(e, sizeof(e));
		i++;
	}
	return rc;
}

/* 1 when v is valid UTF-8 holding at least one non-ASCII character. */
static int utf8_non_ascii(const char *v, size_t len)
{
	const unsigned char *p = (const unsigned char *)v;
	size_t i = 0;
	int seen = 0;

	while (i < len) {
		unsigned char c = p[i];
		size_t n, j;
		unsigned long cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 2;
		else if (c >= 0xe0 && c <= 0xef)
			n = 3;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 4;
		else
			return 0;
		if (len - i < n)
			return 0;
		cp = c & (n == 4 ? 0x07 : n == 3 ? 0x0f : 0x1f);
		for (j = 1; j < n; j++) {
			if ((p[i + j] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i + j] & 0x3f);
		}
		if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
			return 0;
		seen = 1;
		i += n;
	}
	return seen;
}

/* Which bytes a percent-encoding keeps as they are. */
enum url_style {
	URL_RFC3986,    /* Uri.EscapeDataString: A-Z a-z 0-9 - . _ ~ */
	URL_COMPONENT,  /* encodeURIComponent: also ! ' ( ) * */
	URL_FORM,       /* quote_plus: RFC 3986 set, space as '+' */
	URL_USERINFO,   /* a password in a URL's userinfo (RFC 3986 3.2.1):
			   also the sub-delims ! $ & ' ( ) * + , ; = */
	URL_WHATWG      /* the WHATWG URL userinfo set (Node's URL, the
			   browsers): also ! $ % & ' ( ) * + , */
};

static int url_keeps(unsigned char c, enum url_style style)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	    c == '~')
		return 1;
	switch (style) {
	case URL_COMPONENT:
		return c && strchr("!'()*", c) != NULL;
	case URL_USERINFO:
		return c && strchr("!$&'()*+,;=", c) != NULL;
	case URL_WHATWG:
		return c && strchr("!$%&'()*+,", c) != NULL;
	default:
		return 0;
	}
}

/* Which characters an XML writer escapes, and how it writes a quote. */
enum xml_style {
	XML_ALL,        /* & < > " ' as &amp; &lt; &gt; &quot; &apos; */
	XML_TEXT,       /* & < > only (text nodes) */
	XML_HTML        /* & < > " ' as ... &quot; &#x27; (html.escape) */
};

/* The value as an XML writer puts it in a document (settings.xml). */
static int xml_escape(svc_buf *out, const char *v, size_t len,
		      enum xml_style style)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < len && rc == 0; i++) {
		switch (v[i]) {
		case '&': rc = buf_puts(out, "&amp;"); break;
		case '<': rc = buf_puts(out, "&lt;"); break;
		case '>': rc = buf_puts(out, "&gt;"); break;
		case '"':
			rc = style == XML_TEXT ? buf_putc(out, '"')
					       : buf_puts(out, "&quot;");
			break;
		case '\'':
			rc = style == XML_TEXT ? buf_putc(out, '\'')
			     : buf_puts(out, style == XML_ALL ? "&apos;"
							     : "&#x27;");
			break;
		default:
			rc = buf_putc(out, v[i]);
		}
	}
	return rc;
}

static int url_escape(svc_buf *out, const char *v, size_t len,
		      enum url_style style, const char *hex)
{
	const unsigned char *p = (const unsigned char *)v;
	size_t i;
	int rc = 0;

	for (i = 0; i < len && rc == 0; i++) {
		char e[3];

		if (url_keeps(p[i], style)) {
			rc = buf_putc(out, (char)p[i]);
		} else if (style == URL_FORM && p[i] == ' ') {
			rc = buf_putc(out, '+');
		} else {
			e[0] = '%';
			e[1] = hex[p[i] >> 4];
			e[2] = hex[p[i] & 15];
			rc = buf_put(out, e, 3);
			svc_wipe(e, sizeof(e));
		}
	}
	return rc;
}

/* A backslash before each byte of the set "escape". */
static int backslash_escape(svc_buf *out, const char *v, size_t len,
			    const char *escape)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < len && rc == 0; i++) {
		if (v[i] && strchr(escape, v[i]))
			rc = buf_putc(out, '\\');
		if (rc == 0)
			rc = buf_putc(out, v[i]);
	}
	return rc;
}

/* Replace every "from" (2 bytes) by the byte "to", as String.Replace. */
static int replace_pass(svc_buf *out, const char *v, size_t len,
			const char *from, char to)
{
	size_t i = 0;
	int rc = 0;

	while (i < len && rc == 0) {
		if (i + 1 < len && v[i] == from[0] && v[i + 1] == from[1]) {
			rc = buf_putc(out, to);
			i += 2;
		} else {
			rc = buf_putc(out, v[i]);
			i++;
		}
	}
	return rc;
}

/*
 * The agent's BackslashEscape: the value with \\ \' \" and \t undone, in
 * that order, each over the result of the previous one.
 */
static int backslash_unescape(svc_buf *out, const char *v, size_t len)
{
	static const struct { const char *from; char to; } passes[] = {
		{ "\\\\", '\\' }, { "\\'", '\'' }, { "\\\"", '"' },
		{ "\\t", '\t' }
	};
	svc_buf a, b;
	size_t i;
	int rc;

	buf_init(&a, FORM_MAX, 1);
	buf_init(&b, FORM_MAX, 1);
	rc = buf_put(&a, v, len);
	for (i = 0; i < sizeof(passes) / sizeof(passes[0]) && rc == 0; i++) {
		svc_buf t;

		buf_reset(&b);
		rc = replace_pass(&b, a.ptr ? a.ptr : "", a.len, passes[i].from,
				  passes[i].to);
		t = a;
		a = b;
		b = t;
	}
	if (rc == 0)
		rc = buf_put(out, a.ptr ? a.ptr : "", a.len);
	buf_clear(&a);
	buf_clear(&b);
	return rc;
}

/* The task library's escaping of a logging command's data or property. */
static int logcmd_escape(svc_buf *out, const char *v, size_t len,
			 int property)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < len && rc == 0; i++) {
		switch (v[i]) {
		case '%': rc = buf_puts(out, "%AZP25"); break;
		case '\r': rc = buf_puts(out, "%0D"); break;
		case '\n': rc = buf_puts(out, "%0A"); break;
		case ']':
			rc = property ? buf_puts(out, "%5D") : buf_putc(out, ']');
			break;
		case ';':
			rc = property ? buf_puts(out, "%3B") : buf_putc(out, ';');
			break;
		default: rc = buf_putc(out, v[i]); break;
		}
	}
	return rc;
}

/* Hand the form in b (if not empty) to fn, then wipe it. */
static int emit(svc_buf *b, mask_form_fn fn, void *ctx)
{
	int rc = 0;

	if (b->len)
		rc = fn(ctx, b->ptr, b->len);
	buf_reset(b);
	return rc;
}

/*
 * Hand the percent-encoded form in b to fn, and the same form as the task
 * library escapes it inside a logging command (% as %AZP25: a URL with a
 * credential set as a variable); b is wiped, t is scratch.
 */
static int emit_percent(svc_buf *b, svc_buf *t, mask_form_fn fn, void *ctx)
{
	int rc = 0;

	if (b->len && memchr(b->ptr, '%', b->len) &&
	    (rc = logcmd_escape(t, b->ptr, b->len, 0)) == 0)
		rc = emit(t, fn, ctx);
	buf_reset(t);
	return rc == 0 ? emit(b, fn, ctx) : rc;
}

int mask_forms_base64(const char *v, size_t len, mask_form_fn fn, void *ctx)
{
	svc_buf b;
	unsigned k;
	int url, rc = 0;

	buf_init(&b, FORM_MAX, 1);
	for (url = 0; url < 2 && rc == 0; url++) {
		if ((rc = base64_padded(&b, v, len, url ? b64_url : b64_std,
					!url)) == 0)
			rc = emit(&b, fn, ctx);
		for (k = 0; k < 3 && rc == 0; k++)
			if ((rc = mask_base64_shifted(&b, v, len, k, url)) == 0)
				rc = emit(&b, fn, ctx);
	}
	buf_clear(&b);
	return rc;
}

int mask_forms(const char *v, size_t len, mask_form_fn fn, void *ctx)
{
	svc_buf b, t;
	int rc, ascii = utf8_non_ascii(v, len);

	buf_init(&b, FORM_MAX, 1);
	buf_init(&t, 2 * FORM_MAX, 1);
	/* raw */
	rc = buf_put(&b, v, len);
	if (rc == 0)
		rc = emit(&b, fn, ctx);
	/* JSON: as Newtonsoft writes it, and ASCII-only (Python, jq -a) */
	if (rc == 0 && (rc = json_escape(&b, v, len, 0, hex_lower)) == 0)
		rc = emit(&b, fn, ctx);
	if (rc == 0 && ascii) {
		if ((rc = json_escape(&b, v, len, 1, hex_lower)) == 0)
			rc = emit(&b, fn, ctx);
		if (rc == 0 && (rc = json_escape(&b, v, len, 1, hex_upper)) == 0)
			rc = emit(&b, fn, ctx);
	}
	/* percent-encoding */
	if (rc == 0 && (rc = url_escape(&b, v, len, URL_RFC3986,
					hex_upper)) == 0)
		rc = emit_percent(&b, &t, fn, ctx);
	if (rc == 0 && (rc = url_escape(&b, v, len, URL_RFC3986,
					hex_lower)) == 0)
		rc = emit_percent(&b, &t, fn, ctx);
	if (rc == 0 && (rc = url_escape(&b, v, len, URL_COMPONENT,
					hex_upper)) == 0)
		rc = emit_percent(&b, &t, fn, ctx);
	if (rc == 0 && (rc = url_escape(&b, v, len, URL_FORM, hex_upper)) == 0)
		rc = emit_percent(&b, &t, fn, ctx);
	/* a credential inside a URL: https://user:p%40ss@host/ */
	if (rc == 0 && (rc = url_escape(&b, v, len, URL_USERINFO,
					hex_upper)) == 0)
		rc = emit_percent(&b, &t, fn, ctx);
	if (rc == 0 && (rc = url_escape(&b, v, len, URL_WHATWG,
					hex_upper)) == 0)
		rc = emit_percent(&b, &t, fn, ctx);
	/* XML: what MavenAuthenticate writes into settings.xml */
	if (rc == 0 && (rc = xml_escape(&b, v, len, XML_ALL)) == 0)
		rc = emit(&b, fn, ctx);
	if (rc == 0 && (rc = xml_escape(&b, v, len, XML_TEXT)) == 0)
		rc = emit(&b, fn, ctx);
	if (rc == 0 && (rc = xml_escape(&b, v, len, XML_HTML)) == 0)
		rc = emit(&b, fn, ctx);
	/* backslash escapes, and the agent's undoing of them */
	if (rc == 0 && (rc = backslash_escape(&b, v, len, "\\\"")) == 0)
		rc = emit(&b, fn, ctx);
	if (rc == 0 && (rc = backslash_escape(&b, v, len, "\\'")) == 0)
		rc = emit(&b, fn, ctx);
	if (rc == 0 && (rc = backslash_escape(&b, v, len, "\\\"$`")) == 0)
		rc = emit(&b, fn, ctx);
	if (rc == 0 && (rc = backslash_unescape(&b, v, len)) == 0)
		rc = emit(&b, fn, ctx);
	/* logging-command escaping: data, then property */
	if (rc == 0 && (rc = logcmd_escape(&b, v, len, 0)) == 0)
		rc = emit(&b, fn, ctx);
	if (rc == 0 && (rc = logcmd_escape(&b, v, len, 1)) == 0)
		rc = emit(&b, fn, ctx);
	buf_clear(&b);
	buf_clear(&t);
	if (rc == 0)
		rc = mask_forms_base64(v, len, fn, ctx);
	return rc;
}
