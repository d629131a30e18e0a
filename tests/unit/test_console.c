/*
 * test_console.c - the web console's pieces that see hostile input before
 * any page: the one HTML writer (console/html.c) escapes every value
 * whatever it holds, writes numbers, and fails the page on a conversion it
 * does not know; path segments are percent-encoded; the form reader
 * (console.c) decodes urlencoded bodies (the escapes with libmicrohttpd's
 * decoder, which keeps one it cannot decode as sent), refuses a NUL and a
 * value over its bound, and finds a field only by its whole name.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>

#include <cmocka.h>

#include "console/console_int.h"

/* "<td>%s</td>" of value through the writer, for the test to free. */
static char *cell_of(const char *value)
{
	html h;
	char *s;

	html_init(&h);
	html_printf(&h, "<td>%s</td>", value);
	assert_int_equal(h.failed, 0);
	s = strdup(h.b.ptr ? h.b.ptr : "");
	html_clear(&h);
	return s;
}

static void test_escapes_every_value(void **state)
{
	char *s;

	(void)state;
	s = cell_of("<img src=x onerror=alert(1)>");
	assert_string_equal(s, "<td>&lt;img src=x onerror=alert(1)&gt;</td>");
	free(s);
	s = cell_of("\" onmouseover='x' & </script>");
	assert_string_equal(s, "<td>&quot; onmouseover=&#39;x&#39; &amp; &lt;/script&gt;</td>");
	free(s);
	s = cell_of(NULL);
	assert_string_equal(s, "<td></td>");
	free(s);
}

static void test_numbers_and_unknown(void **state)
{
	html h;

	(void)state;
	html_init(&h);
	html_printf(&h, "%d %u %zu %lld 100%%", -3, 4u, (size_t)5, 6LL);
	assert_int_equal(h.failed, 0);
	assert_string_equal(h.b.ptr, "-3 4 5 6 100%");
	html_clear(&h);
	html_init(&h);
	/* a conversion the writer does not know fails the page */
	html_printf(&h, "%x", 1u);
	assert_int_equal(h.failed, 1);
	html_clear(&h);
}

static void test_url_segment(void **state)
{
	svc_buf b = SVC_BUF_INIT;

	(void)state;
	assert_int_equal(html_url_segment(&b, "my proj/../\"<x>?a=b&c~d.e_f-g"), 0);
	assert_string_equal(b.ptr, "my%20proj%2F..%2F%22%3Cx%3E%3Fa%3Db%26c~d.e_f-g");
	buf_clear(&b);
}

/* Field name of body through the form reader (bound max): 0 and *out. */
static int form(svc_buf *out, const char *body, const char *name, size_t max)
{
	struct srv_call c;

	memset(&c, 0, sizeof(c));
	c.body = body;
	c.body_len = strlen(body);
	return con_form_get(out, &c, name, max);
}

static void test_form_reader(void **state)
{
	svc_buf v;

	(void)state;
	buf_init(&v, 1024, 1);
	assert_int_equal(form(&v, "csrf=ab&token=svcp_1%2B2+3%3D&x=", "token", 64), 0);
	assert_string_equal(v.ptr, "svcp_1+2 3=");
	assert_int_equal(form(&v, "csrf=ab&token=1&x=", "x", 64), 0);
	assert_int_equal(v.len, 0);
	/* whole names only, first one wins */
	assert_int_equal(form(&v, "xtoken=1&token=2&token=3", "token", 64), 0);
	assert_string_equal(v.ptr, "2");
	assert_int_equal(form(&v, "tokenx=1", "token", 64), -1);
	assert_int_equal(form(&v, "", "token", 64), -1);
	assert_int_equal(form(&v, "token", "token", 64), -1);
	/* a NUL and a value over its bound are refused; an escape that is
	 * not one stays as sent */
	assert_int_equal(form(&v, "token=a%00b", "token", 64), -1);
	assert_int_equal(form(&v, "token=%41%00", "token", 64), -1);
	assert_int_equal(form(&v, "token=a%2", "token", 64), 0);
	assert_string_equal(v.ptr, "a%2");
	assert_int_equal(form(&v, "token=a%zz", "token", 64), 0);
	assert_string_equal(v.ptr, "a%zz");
	assert_int_equal(form(&v, "token=%41%62", "token", 2), 0);
	assert_string_equal(v.ptr, "Ab");
	assert_int_equal(form(&v, "token=12345", "token", 4), -1);
	assert_int_equal(form(&v, "token=1234", "token", 4), 0);
	buf_clear(&v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escapes_every_value),
		cmocka_unit_test(test_numbers_and_unknown),
		cmocka_unit_test(test_url_segment),
		cmocka_unit_test(test_form_reader),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
