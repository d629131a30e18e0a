/*
 * test_checkutil.c - the building blocks of checks: durations, time zones
 * and business hours (DST in Europe/Berlin and America/New_York, a zone
 * without DST, wrapping day ranges, gaps and repeated hours), branch
 * patterns, and the Invoke-REST-API call and success criteria against the
 * fixture HTTP server of tests/support/httpd.c.
 *
 * Instants are written in UTC with timegm(), which does not depend on the
 * TZ variable.  The time-zone parser is also checked against the C
 * library: this test (never the library) sets TZ and compares
 * localtime_r()'s offsets with ours, exactly at every transition found
 * between 1990 and 2100 and at scattered instants from 1902 to 2200, for
 * zones chosen for their odd rules.  Only the timeout test waits, for the
 * 500 ms timeout it tests, against a server that would wait 2000 ms.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <svcconn/svcconn.h>

#include "authz/checkutil.h"
#include "errors_int.h"
#include "httpd.h"
#include "testutil.h"

/* An instant given in UTC. */
static time_t utc(int y, int mo, int d, int h, int mi, int s)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	return timegm(&tm);
}

static void assert_error_contains(const char *needle)
{
	const char *msg = svc_error_last();

	if (!strstr(msg, needle))
		fail_msg("error '%s' does not contain '%s'", msg, needle);
}

/* ------------------------------------------------------------------------
 * Durations
 */

static void expect_duration(const char *s, long want)
{
	long got = -1;

	if (check_parse_duration(&got, s) != 0)
		fail_msg("'%s': %s", s, svc_error_last());
	assert_int_equal(got, want);
}

static void expect_bad_duration(const char *s, const char *msg)
{
	long got = 12345;

	assert_int_equal(check_parse_duration(&got, s), SVC_EINVALID);
	assert_int_equal(got, 12345);
	assert_error_contains(msg);
}

static void test_durations(void **state)
{
	(void)state;
	expect_duration("30d", 30L * 86400);
	expect_duration("12h", 12L * 3600);
	expect_duration("5m", 300);
	expect_duration("90s", 90);
	expect_duration("0", 0);
	expect_duration("0m", 0);
	expect_duration("007h", 7L * 3600);
	expect_duration("365d", 365L * 86400);
	expect_duration("8760h", 365L * 86400);

	expect_bad_duration("366d", "too long (at most 365d)");
	expect_bad_duration("8761h", "too long");
	expect_bad_duration("31536001s", "too long");
	expect_bad_duration("99999999999999999999999d", "too long");
	expect_bad_duration("5", "needs a unit");
	expect_bad_duration("", "empty duration");
	expect_bad_duration(NULL, "empty duration");
	expect_bad_duration("-5m", "invalid duration '-5m'");
	expect_bad_duration("+5m", "invalid duration");
	expect_bad_duration("5 m", "invalid duration");
	expect_bad_duration(" 5m", "invalid duration");
	expect_bad_duration("1.5h", "invalid duration");
	expect_bad_duration("5M", "invalid duration");
	expect_bad_duration("5w", "invalid duration");
	expect_bad_duration("5mm", "invalid duration");
	expect_bad_duration("m", "invalid duration");
	expect_bad_duration("1h30m", "invalid duration");
}

/* ------------------------------------------------------------------------
 * Time zones
 */

static long offset_in(const char *zone, time_t t)
{
	check_tz *z = NULL;
	long off;

	if (check_tz_load(&z, zone) != 0)
		fail_msg("%s: %s", zone, svc_error_last());
	off = check_tz_offset(z, t);
	check_tz_free(z);
	return off;
}

static void test_tz_known_offsets(void **state)
{
	(void)state;
	/* Europe/Berlin 2024: CEST from 03-31 01:00Z to 10-27 01:00Z */
	assert_int_equal(offset_in("Europe/Berlin", utc(2024, 1, 15, 12, 0, 0)),
			 3600);
	assert_int_equal(offset_in("Europe/Berlin", utc(2024, 7, 1, 12, 0, 0)),
			 7200);
	assert_int_equal(offset_in("Europe/Berlin",
				   utc(2024, 3, 31, 0, 59, 59)), 3600);
	assert_int_equal(offset_in("Europe/Berlin", utc(2024, 3, 31, 1, 0, 0)),
			 7200);
	assert_int_equal(offset_in("Europe/Berlin",
				   utc(2024, 10, 27, 0, 59, 59)), 7200);
	assert_int_equal(offset_in("Europe/Berlin", utc(2024, 10, 27, 1, 0, 0)),
			 3600);
	/* after the last transition of the table: the footer's rule */
	assert_int_equal(offset_in("Europe/Berlin",
				   utc(2060, 3, 28, 0, 59, 59)), 3600);
	assert_int_equal(offset_in("Europe/Berlin", utc(2060, 3, 28, 1, 0, 0)),
			 7200);
	assert_int_equal(offset_in("Europe/Berlin",
				   utc(2060, 10, 31, 0, 59, 59)), 7200);
	assert_int_equal(offset_in("Europe/Berlin", utc(2060, 10, 31, 1, 0, 0)),
			 3600);
	/* America/New_York 2024: EDT from 03-10 07:00Z to 11-03 06:00Z */
	assert_int_equal(offset_in("America/New_York",
				   utc(2024, 3, 10, 6, 59, 59)), -5 * 3600);
	assert_int_equal(offset_in("America/New_York",
				   utc(2024, 3, 10, 7, 0, 0)), -4 * 3600);
	assert_int_equal(offset_in("America/New_York",
				   utc(2024, 11, 3, 5, 59, 59)), -4 * 3600);
	assert_int_equal(offset_in("America/New_York",
				   utc(2024, 11, 3, 6, 0, 0)), -5 * 3600);
	/* no DST */
	assert_int_equal(offset_in("Asia/Tokyo", utc(2024, 7, 1, 0, 0, 0)),
			 9 * 3600);
	assert_int_equal(offset_in("Asia/Tokyo", utc(2070, 1, 1, 0, 0, 0)),
			 9 * 3600);
	assert_int_equal(offset_in("UTC", utc(2024, 7, 1, 0, 0, 0)), 0);
	assert_int_equal(offset_in("Asia/Kolkata", utc(2024, 7, 1, 0, 0, 0)),
			 19800);
}

static void test_tz_names(void **state)
{
	check_tz *z = NULL;
	static const char *const bad[] = {
		"", "../etc/passwd", "/etc/localtime", "Europe/../UTC",
		"Europe//Berlin", "./UTC", "Europe/", ".hidden",
		"Europe/Ber lin", "Europe/Berlin\n", "a$b", "%s%s%s",
		/* 64 bytes: one too many */
		"Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		assert_int_equal(check_tz_load(&z, bad[i]), SVC_EINVALID);
		assert_error_contains("invalid time zone name");
	}
	assert_int_equal(check_tz_load(&z, NULL), SVC_EINVALID);
	assert_int_equal(check_tz_load(&z, "Mars/Olympus_Mons"), SVC_EINVALID);
	assert_error_contains("unknown time zone 'Mars/Olympus_Mons'");
	/* a directory, and a file that is not a zone */
	assert_int_equal(check_tz_load(&z, "Europe"), SVC_EINVALID);
	assert_error_contains("unknown time zone 'Europe'");
	if (access(CHECK_ZONEINFO_DIR "/zone.tab", F_OK) == 0) {
		assert_int_equal(check_tz_load(&z, "zone.tab"), SVC_EINVALID);
		assert_error_contains("not a TZif file");
	}
	assert_null(z);
}

/* Rules alone, as TZif footers carry them. */
static long rule_offset(const char *rule, time_t t)
{
	check_tz *z = NULL;
	long off;

	if (check_tz_posix(&z, rule) != 0)
		fail_msg("%s: %s", rule, svc_error_last());
	off = check_tz_offset(z, t);
	check_tz_free(z);
	return off;
}

static void test_tz_posix_rules(void **state)
{
	check_tz *z = NULL;
	static const char *const bad[] = {
		"", "CE-1", "CET", "CET-1CEST,M3.5.0",
		"CET-1CEST,M13.1.0,M10.5.0",
		"CET-1CEST,M3.6.0,M10.5.0", "CET-1CEST,M3.5.7,M10.5.0",
		"CET-1CEST,M3.5.0,M10.5.0/168", "CET-1CEST,J0,J365",
		"CET-1CEST,366,0", "<+01-1", "<+1>-1", "CET-25", "CET-1 ",
		"CET-1CEST,M3.5.0,M10.5.0,", "CET-1:60",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		if (check_tz_posix(&z, bad[i]) != SVC_EINVALID)
			fail_msg("rule '%s' accepted", bad[i]);
	assert_null(z);

	assert_int_equal(rule_offset("CET-1CEST,M3.5.0,M10.5.0/3",
				     utc(2024, 3, 31, 0, 59, 59)), 3600);
	assert_int_equal(rule_offset("CET-1CEST,M3.5.0,M10.5.0/3",
				     utc(2024, 3, 31, 1, 0, 0)), 7200);
	assert_int_equal(rule_offset("CET-1CEST,M3.5.0,M10.5.0/3",
				     utc(2024, 10, 27, 0, 59, 59)), 7200);
	assert_int_equal(rule_offset("CET-1CEST,M3.5.0,M10.5.0/3",
				     utc(2024, 10, 27, 1, 0, 0)), 3600);
	assert_int_equal(rule_offset("EST5EDT,M3.2.0,M11.1.0",
				     utc(2024, 3, 10, 7, 0, 0)), -4 * 3600);
	assert_int_equal(rule_offset("EST5EDT,M3.2.0,M11.1.0",
				     utc(2024, 11, 3, 6, 0, 0)), -5 * 3600);
	/* quoted names, minutes */
	assert_int_equal(rule_offset("<+0545>-5:45", 0), 5 * 3600 + 45 * 60);
	assert_int_equal(rule_offset("<-03>3", 0), -3 * 3600);
	assert_int_equal(rule_offset("<+1030>-10:30<+11>-11,M10.1.0,M4.1.0",
				     utc(2024, 1, 1, 0, 0, 0)), 11 * 3600);
	/* negative DST (Dublin): GMT in winter is the "daylight" time */
	assert_int_equal(rule_offset("IST-1GMT0,M10.5.0,M3.5.0/1",
				     utc(2024, 1, 15, 0, 0, 0)), 0);
	assert_int_equal(rule_offset("IST-1GMT0,M10.5.0,M3.5.0/1",
				     utc(2024, 7, 15, 0, 0, 0)), 3600);
	/* southern hemisphere: DST across the new year */
	assert_int_equal(rule_offset("AEST-10AEDT,M10.1.0,M4.1.0/3",
				     utc(2024, 1, 1, 0, 0, 0)), 11 * 3600);
	assert_int_equal(rule_offset("AEST-10AEDT,M10.1.0,M4.1.0/3",
				     utc(2024, 7, 1, 0, 0, 0)), 10 * 3600);
	/* transition times outside 0..24h (RFC 8536) */
	assert_int_equal(rule_offset("IST-2IDT,M3.4.4/26,M10.5.0",
				     utc(2024, 3, 29, 0, 0, 0)), 3 * 3600);
	assert_int_equal(rule_offset("IST-2IDT,M3.4.4/26,M10.5.0",
				     utc(2024, 3, 28, 23, 59, 59)), 2 * 3600);
	assert_int_equal(rule_offset("<-02>2<-01>,M3.5.0/-1,M10.5.0/0",
				     utc(2024, 3, 31, 1, 0, 0)), -3600);
	assert_int_equal(rule_offset("<-02>2<-01>,M3.5.0/-1,M10.5.0/0",
				     utc(2024, 3, 31, 0, 59, 59)), -7200);
	/* DST all year */
	assert_int_equal(rule_offset("EST5EDT,0/0,J365/25",
				     utc(2024, 1, 1, 5, 0, 0)), -4 * 3600);
	assert_int_equal(rule_offset("EST5EDT,0/0,J365/25",
				     utc(2024, 12, 31, 23, 0, 0)), -4 * 3600);
	assert_int_equal(rule_offset("EST5EDT,0/0,J365/25",
				     utc(2025, 7, 1, 0, 0, 0)), -4 * 3600);
	/* Julian days never count February 29; plain days do */
	assert_int_equal(rule_offset("AAA0BBB,J60/0,J61/0",
				     utc(2024, 3, 1, 0, 0, 0)), 3600);
	assert_int_equal(rule_offset("AAA0BBB,J60/0,J61/0",
				     utc(2024, 2, 29, 12, 0, 0)), 0);
	assert_int_equal(rule_offset("AAA0BBB,59/0,60/0",
				     utc(2024, 2, 29, 12, 0, 0)), 3600);
}

/* The C library's offset for zone at t (this test sets TZ, never the
   library). */
static long libc_offset(time_t t)
{
	struct tm tm;

	assert_non_null(localtime_r(&t, &tm));
	return tm.tm_gmtoff;
}

static void compare_at(const check_tz *z, const char *zone, time_t t)
{
	long want = libc_offset(t), got = check_tz_offset(z, t);

	if (want != got)
		fail_msg("%s at %lld: offset %ld, the C library says %ld", zone,
			 (long long)t, got, want);
}

static void test_tz_against_libc(void **state)
{
	static const char *const zones[] = {
		"Europe/Berlin", "America/New_York", "Asia/Tokyo", "UTC",
		"Australia/Sydney", "Australia/Lord_Howe", "Europe/Dublin",
		"America/Nuuk", "Asia/Jerusalem", "America/Santiago",
		"Pacific/Chatham", "Africa/Casablanca", "Asia/Kolkata",
		"America/Sao_Paulo", "Antarctica/Troll", "Pacific/Kiritimati",
		"America/St_Johns", "Etc/GMT+12",
	};
	const char *saved = getenv("TZ");
	char *keep = saved ? strdup(saved) : NULL;
	unsigned long long seed = 42;
	size_t i, k, compared = 0;

	(void)state;
	for (i = 0; i < sizeof(zones) / sizeof(*zones); i++) {
		check_tz *z = NULL;
		time_t t, lo, hi;

		if (check_tz_load(&z, zones[i]) != 0) {
			/* an older tzdata may lack a zone: not our fault */
			print_message("skipping %s: %s\n", zones[i],
				      svc_error_last());
			continue;
		}
		setenv("TZ", zones[i], 1);
		tzset();
		/* every transition from 1990 to 2100, to the second */
		for (t = utc(1990, 1, 1, 0, 0, 0); t < utc(2100, 1, 1, 0, 0, 0);
		     t += 86400 / 2) {
			compare_at(z, zones[i], t);
			if (libc_offset(t) == libc_offset(t + 43200))
				continue;
			lo = t;
			hi = t + 43200;
			while (hi - lo > 1) {
				time_t mid = lo + (hi - lo) / 2;

				if (libc_offset(mid) == libc_offset(lo))
					lo = mid;
				else
					hi = mid;
			}
			compare_at(z, zones[i], lo);
			compare_at(z, zones[i], hi);
			compared += 2;
		}
		/* scattered instants, 1902..2200 */
		for (k = 0; k < 5000; k++) {
			seed = seed * 6364136223846793005ULL +
			       1442695040888963407ULL;
			t = (time_t)(-2145916800LL +
				     (long long)((seed >> 17) % 9467280000ULL));
			compare_at(z, zones[i], t);
		}
		compared += 5000;
		check_tz_free(z);
	}
	if (keep) {
		setenv("TZ", keep, 1);
		free(keep);
	} else {
		unsetenv("TZ");
	}
	tzset();
	assert_true(compared > 50000);
}

/* Truncated and corrupted zone files fail cleanly (ASan watches). */
static void test_tz_hostile_files(void **state)
{
	size_t len = 0, i;
	unsigned char *data;
	check_tz *z = NULL;
	unsigned long long seed = 7;
	int rc, k;

	(void)state;
	data = (unsigned char *)tu_read_file(CHECK_ZONEINFO_DIR
					     "/Europe/Berlin", &len);
	assert_non_null(data);
	assert_int_equal(check_tz_parse(&z, "Europe/Berlin", data, len), 0);
	check_tz_free(z);
	for (i = 0; i < len; i++) {
		z = NULL;
		rc = check_tz_parse(&z, "cut", data, i);
		assert_true(rc == 0 || rc == SVC_EINVALID);
		check_tz_free(z);
	}
	for (k = 0; k < 3000; k++) {
		unsigned char *copy = malloc(len);

		assert_non_null(copy);
		memcpy(copy, data, len);
		for (i = 0; i < 4; i++) {
			seed = seed * 6364136223846793005ULL + 1;
			copy[(seed >> 20) % len] = (unsigned char)(seed >> 40);
		}
		z = NULL;
		rc = check_tz_parse(&z, "flipped", copy, len);
		assert_true(rc == 0 || rc == SVC_EINVALID);
		if (rc == 0)
			(void)check_tz_offset(z, (time_t)(seed >> 30));
		check_tz_free(z);
		free(copy);
	}
	/* leap seconds are refused */
	memcpy(data + 28, "\0\0\0\1", 4);
	assert_int_equal(check_tz_parse(&z, "leap", data, len), SVC_EINVALID);
	free(data);
}

/* ------------------------------------------------------------------------
 * Business hours
 */

static void bh(bh_window *w, const char *days, const char *tz,
	       const char *start, const char *end)
{
	if (check_bh_parse(w, days, tz, start, end) != 0)
		fail_msg("%s %s %s-%s: %s", days, tz, start, end,
			 svc_error_last());
}

static void expect_bad_bh(const char *days, const char *tz, const char *start,
			  const char *end, const char *msg)
{
	bh_window w;

	memset(&w, 0x5a, sizeof(w));
	assert_int_equal(check_bh_parse(&w, days, tz, start, end),
			 SVC_EINVALID);
	assert_error_contains(msg);
	assert_int_equal(w.days, 0x5a5a5a5au);
}

static void test_bh_parse(void **state)
{
	bh_window w;

	(void)state;
	bh(&w, "Mon-Fri", "Europe/Berlin", "09:00", "17:00");
	assert_int_equal(w.days, 0x3e);
	assert_string_equal(w.tz, "Europe/Berlin");
	assert_int_equal(w.start_min, 9 * 60);
	assert_int_equal(w.end_min, 17 * 60);
	bh(&w, "Mon,Wed,Fri", "UTC", "8:30", "9:45");
	assert_int_equal(w.days, 0x2a);
	assert_int_equal(w.start_min, 8 * 60 + 30);
	assert_int_equal(w.end_min, 9 * 60 + 45);
	bh(&w, "Sat-Sun", "UTC", "00:00", "24:00");
	assert_int_equal(w.days, 0x41);
	assert_int_equal(w.end_min, 1440);
	bh(&w, "Fri-Mon", "UTC", "10:00", "11:00");
	assert_int_equal(w.days, 0x63);
	bh(&w, "*", "UTC", "10:00", "11:00");
	assert_int_equal(w.days, 0x7f);
	bh(&w, " monday - WEDNESDAY , sun ", "UTC", "10:00", "11:00");
	assert_int_equal(w.days, 0x0f);
	bh(&w, "Tue-Tue", "UTC", "10:00", "11:00");
	assert_int_equal(w.days, 0x04);

	expect_bad_bh("Mon-Fry", "UTC", "09:00", "17:00",
		      "invalid business days 'Mon-Fry'");
	expect_bad_bh("", "UTC", "09:00", "17:00", "invalid business days");
	expect_bad_bh(NULL, "UTC", "09:00", "17:00", "no business days");
	expect_bad_bh("Mon,,Tue", "UTC", "09:00", "17:00", "business days");
	expect_bad_bh("Mon-", "UTC", "09:00", "17:00", "business days");
	expect_bad_bh("Mo", "UTC", "09:00", "17:00", "business days");
	expect_bad_bh("Mon-Fri", "Mars/Olympus_Mons", "09:00", "17:00",
		      "unknown time zone 'Mars/Olympus_Mons'");
	expect_bad_bh("Mon-Fri", "../../etc/passwd", "09:00", "17:00",
		      "invalid time zone name");
	expect_bad_bh("Mon-Fri", NULL, "09:00", "17:00",
		      "invalid time zone name");
	expect_bad_bh("Mon-Fri", "UTC", "25:00", "26:00",
		      "invalid start time '25:00' (want HH:MM)");
	expect_bad_bh("Mon-Fri", "UTC", "09:60", "17:00", "invalid start time");
	expect_bad_bh("Mon-Fri", "UTC", "9", "17:00", "invalid start time");
	expect_bad_bh("Mon-Fri", "UTC", "09:5", "17:00", "invalid start time");
	expect_bad_bh("Mon-Fri", "UTC", "009:00", "17:00",
		      "invalid start time");
	expect_bad_bh("Mon-Fri", "UTC", "24:00", "24:00", "invalid start time");
	expect_bad_bh("Mon-Fri", "UTC", "09:00", "24:01", "invalid end time");
	expect_bad_bh("Mon-Fri", "UTC", "09:00", " 17:00", "invalid end time");
	expect_bad_bh("Mon-Fri", "UTC", "17:00", "09:00",
		      "start time '17:00' is not before end time '09:00'");
	expect_bad_bh("Mon-Fri", "UTC", "09:00", "09:00", "is not before");
}

static void expect_bh(const bh_window *w, time_t t, int want_inside,
		      time_t want_next)
{
	int inside = -1;
	time_t next = 0;

	if (check_bh_inside(w, t, &inside, &next) != 0)
		fail_msg("%s at %lld: %s", w->tz, (long long)t,
			 svc_error_last());
	if (inside != want_inside || next != want_next)
		fail_msg("%s at %lld: inside %d next %lld, want %d %lld", w->tz,
			 (long long)t, inside, (long long)next, want_inside,
			 (long long)want_next);
}

static void test_bh_berlin(void **state)
{
	bh_window w;
	time_t t;

	(void)state;
	bh(&w, "Mon-Fri", "Europe/Berlin", "09:00", "17:00");
	/* Monday 2024-01-15, CET (+1) */
	t = utc(2024, 1, 15, 8, 0, 0);
	expect_bh(&w, t, 1, t);
	expect_bh(&w, t - 1, 0, t);
	t = utc(2024, 1, 15, 15, 59, 59);
	expect_bh(&w, t, 1, t);
	/* 17:00 is closed; next: Tuesday 09:00 */
	expect_bh(&w, utc(2024, 1, 15, 16, 0, 0), 0, utc(2024, 1, 16, 8, 0, 0));
	/* before midnight UTC but already Tuesday in Berlin */
	expect_bh(&w, utc(2024, 1, 15, 23, 30, 0), 0,
		  utc(2024, 1, 16, 8, 0, 0));
	/* Friday evening and the weekend: Monday */
	expect_bh(&w, utc(2024, 1, 19, 16, 30, 0), 0,
		  utc(2024, 1, 22, 8, 0, 0));
	expect_bh(&w, utc(2024, 1, 20, 10, 0, 0), 0,
		  utc(2024, 1, 22, 8, 0, 0));
	/* Friday 2024-03-29 17:00 CET; Monday 09:00 is CEST (+2) */
	expect_bh(&w, utc(2024, 3, 29, 16, 0, 0), 0, utc(2024, 4, 1, 7, 0, 0));
	/* summer */
	t = utc(2024, 7, 1, 7, 0, 0);
	expect_bh(&w, t, 1, t);
	expect_bh(&w, t - 1, 0, t);
	expect_bh(&w, utc(2024, 7, 1, 14, 59, 59), 1,
		  utc(2024, 7, 1, 14, 59, 59));
	expect_bh(&w, utc(2024, 7, 1, 15, 0, 0), 0, utc(2024, 7, 2, 7, 0, 0));
	/* Friday 2024-10-25 18:00 CEST; Monday 09:00 is CET again */
	expect_bh(&w, utc(2024, 10, 25, 16, 0, 0), 0,
		  utc(2024, 10, 28, 8, 0, 0));
	/* the new year on a weekend */
	expect_bh(&w, utc(2021, 12, 31, 16, 0, 0), 0, utc(2022, 1, 3, 8, 0, 0));
	/* beyond the table: the footer's rule (2060-03-28 is the switch) */
	expect_bh(&w, utc(2060, 3, 26, 16, 0, 0), 0,
		  utc(2060, 3, 29, 7, 0, 0));
}

static void test_bh_new_york(void **state)
{
	bh_window w;
	time_t t;

	(void)state;
	bh(&w, "Mon-Fri", "America/New_York", "09:00", "17:00");
	t = utc(2024, 1, 16, 14, 0, 0);         /* Tue 09:00 EST */
	expect_bh(&w, t, 1, t);
	expect_bh(&w, t - 1, 0, t);
	/* Friday 2024-03-08 17:00 EST -> Monday 09:00 EDT (-4) */
	expect_bh(&w, utc(2024, 3, 8, 22, 0, 0), 0, utc(2024, 3, 11, 13, 0, 0));
	/* Friday 2024-11-01 17:00 EDT -> Monday 09:00 EST (-5) */
	expect_bh(&w, utc(2024, 11, 1, 21, 0, 0), 0,
		  utc(2024, 11, 4, 14, 0, 0));
	/* Saturday night in UTC is still Friday evening in New York */
	expect_bh(&w, utc(2024, 1, 20, 1, 0, 0), 0, utc(2024, 1, 22, 14, 0, 0));
	t = utc(2024, 7, 5, 20, 59, 59);        /* Fri 16:59:59 EDT */
	expect_bh(&w, t, 1, t);
}

static void test_bh_no_dst_and_wrapping(void **state)
{
	bh_window w;
	time_t t;

	(void)state;
	/* Tokyo (+9, no DST), weekends */
	bh(&w, "Sat-Sun", "Asia/Tokyo", "10:00", "16:00");
	expect_bh(&w, utc(2024, 1, 17, 0, 0, 0), 0, utc(2024, 1, 20, 1, 0, 0));
	t = utc(2024, 1, 21, 6, 59, 59);        /* Sun 15:59:59 JST */
	expect_bh(&w, t, 1, t);
	expect_bh(&w, t + 1, 0, utc(2024, 1, 27, 1, 0, 0));
	/* Fri-Mon wraps over the week's end */
	bh(&w, "Fri-Mon", "UTC", "08:00", "12:00");
	expect_bh(&w, utc(2024, 1, 16, 10, 0, 0), 0, utc(2024, 1, 19, 8, 0, 0));
	t = utc(2024, 1, 15, 11, 0, 0);         /* Monday */
	expect_bh(&w, t, 1, t);
	t = utc(2024, 1, 21, 8, 0, 0);          /* Sunday */
	expect_bh(&w, t, 1, t);
	expect_bh(&w, utc(2024, 1, 15, 12, 0, 0), 0, utc(2024, 1, 19, 8, 0, 0));
	/* all day, every day */
	bh(&w, "*", "UTC", "00:00", "24:00");
	t = utc(2024, 2, 29, 23, 59, 59);
	expect_bh(&w, t, 1, t);
	/* one minute a week */
	bh(&w, "Wed", "UTC", "23:59", "24:00");
	expect_bh(&w, utc(2024, 1, 18, 0, 0, 0), 0,
		  utc(2024, 1, 24, 23, 59, 0));
}

static void test_bh_dst_edges(void **state)
{
	bh_window w;
	time_t t;

	(void)state;
	/* Berlin, Sunday 2024-03-31: 02:00 CET jumps to 03:00 CEST at 01:00Z.
	   An opening at 02:30 does not exist: it opens at the jump (03:00),
	   still before the 04:00 close. */
	bh(&w, "Sun", "Europe/Berlin", "02:30", "04:00");
	expect_bh(&w, utc(2024, 3, 30, 12, 0, 0), 0, utc(2024, 3, 31, 1, 0, 0));
	/* the window 02:00-02:45 never exists that day: next Sunday */
	bh(&w, "Sun", "Europe/Berlin", "02:00", "02:45");
	expect_bh(&w, utc(2024, 3, 30, 12, 0, 0), 0, utc(2024, 4, 7, 0, 0, 0));
	/* Sunday 2024-10-27: 03:00 CEST goes back to 02:00 CET at 01:00Z, so
	   02:00-02:30 happens twice: 00:00-00:30Z and 01:00-01:30Z */
	bh(&w, "Sun", "Europe/Berlin", "02:00", "02:30");
	expect_bh(&w, utc(2024, 10, 26, 12, 0, 0), 0,
		  utc(2024, 10, 27, 0, 0, 0));
	t = utc(2024, 10, 27, 0, 15, 0);
	expect_bh(&w, t, 1, t);
	expect_bh(&w, utc(2024, 10, 27, 0, 45, 0), 0,
		  utc(2024, 10, 27, 1, 0, 0));
	t = utc(2024, 10, 27, 1, 29, 59);
	expect_bh(&w, t, 1, t);
	expect_bh(&w, utc(2024, 10, 27, 1, 30, 0), 0,
		  utc(2024, 11, 3, 1, 0, 0));
	/* New York, Sunday 2024-03-10: 02:00 EST jumps to 03:00 EDT (07:00Z) */
	bh(&w, "Sun", "America/New_York", "02:15", "05:00");
	expect_bh(&w, utc(2024, 3, 9, 12, 0, 0), 0, utc(2024, 3, 10, 7, 0, 0));
	/* ... and 2024-11-03: 02:00 EDT goes back to 01:00 EST (06:00Z) */
	bh(&w, "Sun", "America/New_York", "01:30", "01:45");
	expect_bh(&w, utc(2024, 11, 3, 5, 50, 0), 0,
		  utc(2024, 11, 3, 6, 30, 0));
	/* an invalid window is refused */
	memset(&w, 0, sizeof(w));
	{
		int inside;
		time_t next;

		assert_int_equal(check_bh_inside(&w, 0, &inside, &next),
				 SVC_EINVALID);
	}
}

/* ------------------------------------------------------------------------
 * Branch control
 */

static void expect_branch(const char *patterns, const char *ref, int want)
{
	int got = check_branch_allowed(patterns, ref);

	if (got != want)
		fail_msg("patterns '%s', ref '%s': %d, want %d",
			 patterns ? patterns : "(null)", ref ? ref : "(null)",
			 got, want);
}

static void test_branches(void **state)
{
	const char *std = "refs/heads/main, refs/heads/release/*";
	char *big;

	(void)state;
	expect_branch(std, "refs/heads/main", 1);
	expect_branch(std, "refs/heads/main2", 0);
	expect_branch(std, "refs/heads/mai", 0);
	expect_branch(std, "refs/heads/Main", 0);
	expect_branch(std, "refs/heads/release/1.0", 1);
	expect_branch(std, "refs/heads/release/a/b", 1);
	expect_branch(std, "refs/heads/release/", 1);
	expect_branch(std, "refs/heads/release", 0);
	expect_branch(std, "refs/tags/release/1.0", 0);
	expect_branch(std, "main", 1);
	expect_branch(std, "feature/x", 0);
	/* "*" allows everything; so does the default */
	expect_branch("*", "refs/tags/v1", 1);
	expect_branch(" * ", "refs/pull/1/merge", 1);
	expect_branch(NULL, "refs/heads/anything", 1);
	/* short patterns are branches */
	expect_branch("main,release/*", "refs/heads/release/2", 1);
	expect_branch("main", "refs/tags/main", 0);
	expect_branch("refs/tags/v*", "refs/tags/v1.2", 1);
	expect_branch("refs/tags/v*", "refs/heads/v1.2", 0);
	/* '*' anywhere, across '/' */
	expect_branch("refs/heads/*/hotfix-*", "refs/heads/team/a/hotfix-7", 1);
	expect_branch("*main*", "refs/heads/feature/main-x", 1);
	expect_branch("refs/*", "refs/anything/at/all", 1);
	/* only '*' is special */
	expect_branch("refs/heads/a?c", "refs/heads/abc", 0);
	expect_branch("refs/heads/a?c", "refs/heads/a?c", 1);
	expect_branch("refs/heads/[ab]", "refs/heads/a", 0);
	expect_branch("refs/heads/[ab]", "refs/heads/[ab]", 1);
	expect_branch("refs/heads/a\\*", "refs/heads/a\\x", 1);
	/* empty items are skipped */
	expect_branch("refs/heads/x,, refs/heads/main ,", "refs/heads/main", 1);
	/* a pathological pattern stays fast */
	expect_branch("*a*a*a*a*a*a*a*a*a*b",
		      "refs/heads/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0);
	/* errors */
	expect_branch("", "refs/heads/main", SVC_EINVALID);
	assert_error_contains("no branch patterns");
	expect_branch(" , ,", "refs/heads/main", SVC_EINVALID);
	expect_branch(std, "", SVC_EINVALID);
	assert_error_contains("no branch to check");
	expect_branch(std, NULL, SVC_EINVALID);
	big = malloc(CHECK_BRANCH_MAX + 2);
	assert_non_null(big);
	memset(big, 'a', CHECK_BRANCH_MAX + 1);
	big[CHECK_BRANCH_MAX + 1] = '\0';
	expect_branch(big, "refs/heads/main", SVC_EINVALID);
	expect_branch("*", big, SVC_EINVALID);
	free(big);
}

/* ------------------------------------------------------------------------
 * REST: success criteria
 */

static const char status_json[] =
	"{\"status\": \"ok\", \"flag\": true, \"off\": false, \"none\": null,"
	" \"code\": \"3\", \"ratio\": 0.5,"
	" \"data\": {\"items\": [{\"name\": \"alpha\", \"count\": 3},"
	" {\"name\": \"beta\", \"count\": 12}]}}";

static int success(const char *expr, const char *body)
{
	char *why = NULL;
	int ok = -1, rc;

	rc = check_rest_success(&ok, expr, body, strlen(body), &why);
	if (rc != 0)
		fail_msg("'%s': %s", expr, why ? why : "(no reason)");
	assert_null(why);
	return ok;
}

static void expect_success_error(const char *expr, const char *body,
				 const char *msg)
{
	char *why = NULL;
	int ok = 7;

	assert_int_equal(check_rest_success(&ok, expr, body,
					    body ? strlen(body) : 0, &why),
			 SVC_EINVALID);
	assert_int_equal(ok, 7);
	assert_non_null(why);
	if (strncmp(why, msg, strlen(msg)) != 0)
		fail_msg("reason '%s' does not start with '%s'", why, msg);
	assert_string_equal(why, svc_error_last());
	free(why);
}

static void test_rest_success_criteria(void **state)
{
	(void)state;
	assert_int_equal(success("eq(root['status'], 'ok')", status_json), 1);
	assert_int_equal(success("eq(root['status'], 'failed')", status_json),
			 0);
	assert_int_equal(success("eq(root.status, 'OK')", status_json), 1);
	assert_int_equal(success("eq(Root.status, 'ok')", status_json), 1);
	assert_int_equal(success("eq(ROOT['status'], 'ok')", status_json), 1);
	assert_int_equal(success("eq(root.data.items[0].name, 'alpha')",
				 status_json), 1);
	assert_int_equal(success("eq(root.data.items[1].name, 'alpha')",
				 status_json), 0);
	assert_int_equal(success("and(eq(root.status, 'ok'), root.flag, "
				 "eq(root.data.items[1].count, 12))",
				 status_json), 1);
	assert_int_equal(success("and(eq(root.status, 'ok'), root.off)",
				 status_json), 0);
	assert_int_equal(success("or(root.off, ne(root.status, 'ok'))",
				 status_json), 0);
	assert_int_equal(success("not(root.off)", status_json), 1);
	/* JSON types come through: numbers compare as numbers */
	assert_int_equal(success("gt(root.data.items[1].count, 9)",
				 status_json), 1);
	assert_int_equal(success("lt(root.ratio, 1)", status_json), 1);
	assert_int_equal(success("eq(root.none, null)", status_json), 1);
	assert_int_equal(success("eq(length(root.data.items), 2)",
				 status_json), 1);
	assert_int_equal(success("eq(root.code, '3')", status_json), 1);
	assert_int_equal(success("root.missing", status_json), 0);
	/* the truth of the value itself */
	assert_int_equal(success("root.status", status_json), 1);
	assert_int_equal(success("root", "[1, 2]"), 1);
	assert_int_equal(success("eq(root[1], 2)", "[1, 2]"), 1);
	assert_int_equal(success("eq(root, 'done')", "\"done\""), 1);
	assert_int_equal(success("root", "false"), 0);
	assert_int_equal(success("  eq(root.a, 1)\n", "{\"a\": 1}"), 1);
	assert_int_equal(success("gt(root.big, 1000000)",
				 "{\"big\": 123456789012345678901234}"), 1);
	assert_int_equal(success("eq(root.n, 0.1)", "{\"n\": 0.1}"), 1);
	assert_int_equal(success("eq(root.n, -42)", "{\"n\": -42}"), 1);

	expect_success_error("eq(root.status, 'ok')", "{not json",
			     "response is not JSON: ");
	expect_success_error("eq(root.status, 'ok')", "<html>oops</html>",
			     "response is not JSON: ");
	expect_success_error("eq(root.status, 'ok')", "",
			     "response is not JSON");
	expect_success_error("eq(root.status, 'ok')", NULL,
			     "response is not JSON");
	expect_success_error("eq(root.a, 1)", "{\"a\": 1, \"a\": 2}",
			     "response is not JSON: ");
	expect_success_error("eq(root.status", status_json,
			     "invalid success criteria: ");
	expect_success_error("foo(root)", status_json,
			     "invalid success criteria: unknown function");
	expect_success_error("eq(variables.x, 1)", status_json,
			     "invalid success criteria: name 'variables' is "
			     "not defined");
	expect_success_error("", status_json,
			     "invalid success criteria: empty expression");
	expect_success_error(" \t", status_json, "invalid success criteria");
	expect_success_error(NULL, status_json, "invalid success criteria");
	{
		/* deeper than the limit */
		size_t n = 300, i;
		char *deep = malloc(2 * n + 1);

		assert_non_null(deep);
		for (i = 0; i < n; i++) {
			deep[i] = '[';
			deep[n + i] = ']';
		}
		deep[2 * n] = '\0';
		expect_success_error("root", deep, "response is too large or "
				     "deep");
		free(deep);
	}
}

/* ------------------------------------------------------------------------
 * REST: calls against the fixture server
 */

static const struct httpd_response ok_json[] = {
	{ 200, "application/json", status_json, NULL, 0, 0 },
};
static const struct httpd_response echo_ok[] = {
	{ 200, "application/json", "{\"ok\": true}", NULL, 0, 0 },
};
static const struct httpd_response fail_then_ok[] = {
	{ 500, "application/json", "{\"error\": \"boom\"}", NULL, 0, 0 },
	{ 200, "application/json", "{\"status\": \"ok\"}", NULL, 0, 0 },
};
static const struct httpd_response html[] = {
	{ 200, "text/html", "<html>not json</html>", NULL, 0, 0 },
};
static const struct httpd_response slow[] = {
	{ 200, "application/json", "{\"status\": \"ok\"}", NULL, 2000, 0 },
};
static const struct httpd_response hang_up[] = {
	{ 200, NULL, NULL, NULL, 0, 1 },
};
static const struct httpd_response moved[] = {
	{ 302, "text/plain", "see elsewhere", "Location: /elsewhere\r\n", 0,
	  0 },
};

static const struct httpd_route routes[] = {
	{ "GET", "/status", ok_json, 1 },
	{ NULL, "/echo", echo_ok, 1 },
	{ "GET", "/flaky", fail_then_ok, 2 },
	{ "GET", "/html", html, 1 },
	{ "GET", "/slow", slow, 1 },
	{ "GET", "/hangup", hang_up, 1 },
	{ "GET", "/moved", moved, 1 },
	{ "GET", "/elsewhere", echo_ok, 1 },
};

static int server_setup(void **state)
{
	struct httpd *h = NULL;

	if (httpd_start(&h, routes, sizeof(routes) / sizeof(*routes)) != 0)
		return -1;
	*state = h;
	return 0;
}

static int server_teardown(void **state)
{
	httpd_stop(*state);
	return 0;
}

/* Call path on the server with req (url filled in here). */
static int call(struct httpd *h, rest_response *rsp, rest_request *req,
		const char *path)
{
	char *url = httpd_url(h, path);
	int rc;

	assert_non_null(url);
	req->url = url;
	if (!req->method)
		req->method = "GET";
	if (!req->timeout_ms)
		req->timeout_ms = 20000;  /* loopback never needs so long */
	rc = check_rest_call(rsp, req);
	req->url = NULL;
	free(url);
	return rc;
}

/* The requests received so far; exactly want of them. */
static struct httpd_request *requests(struct httpd *h, size_t want)
{
	struct httpd_request *r = NULL;
	size_t n = 0;

	assert_int_equal(httpd_requests(h, &r, &n), 0);
	if (n != want)
		fail_msg("%zu requests received, want %zu", n, want);
	return r;
}

static void test_rest_get_json(void **state)
{
	struct httpd *h = *state;
	rest_request req = { 0 };
	rest_response rsp;
	struct httpd_request *r;
	char *why = NULL;
	int ok = -1;

	assert_int_equal(call(h, &rsp, &req, "/status?run=1"), 0);
	assert_int_equal(rsp.status, 200);
	assert_null(rsp.error);
	assert_int_equal(rsp.body.len, strlen(status_json));
	assert_string_equal(rsp.body.ptr, status_json);
	assert_int_equal(check_rest_success(&ok, "eq(root['status'], 'ok')",
					    rsp.body.ptr, rsp.body.len, &why),
			 0);
	assert_int_equal(ok, 1);
	assert_int_equal(check_rest_success(&ok,
			"eq(root.data.items[0].name, 'alpha')",
			rsp.body.ptr, rsp.body.len, &why), 0);
	assert_int_equal(ok, 1);
	assert_int_equal(check_rest_success(&ok,
			"and(eq(root.status, 'ok'), "
			"eq(root.data.items[0].name, 'beta'))",
			rsp.body.ptr, rsp.body.len, &why), 0);
	assert_int_equal(ok, 0);
	rest_response_clear(&rsp);

	r = requests(h, 1);
	assert_string_equal(r[0].method, "GET");
	assert_string_equal(r[0].target, "/status?run=1");
	assert_int_equal(r[0].body_len, 0);
	assert_null(httpd_header(&r[0], "Authorization"));
	assert_null(httpd_header(&r[0], "Expect"));
	assert_null(httpd_header(&r[0], "Content-Type"));
	httpd_requests_free(r, 1);
}

static void test_rest_auth_and_headers(void **state)
{
	static const char *const defaults[] = {
		"X-Svc-Pipeline: demo",
		"X-Svc-Run-Id:42",
		"X-Svc-Empty:",
		NULL
	};
	struct httpd *h = *state;
	rest_request req = { 0 };
	rest_response rsp;
	struct httpd_request *r;

	req.username = "svc-user";
	req.password = "s3cr3t pa:ss";
	req.headers_json = "{\"X-Custom\": \"value 1\", \"Accept\": "
			   "\"application/json\", \"X-Blank\": \"\"}";
	req.default_headers = defaults;
	assert_int_equal(call(h, &rsp, &req, "/echo"), 0);
	assert_int_equal(rsp.status, 200);
	rest_response_clear(&rsp);

	r = requests(h, 1);
	/* base64("svc-user:s3cr3t pa:ss") */
	assert_string_equal(httpd_header(&r[0], "Authorization"),
			    "Basic c3ZjLXVzZXI6czNjcjN0IHBhOnNz");
	assert_string_equal(httpd_header(&r[0], "X-Custom"), "value 1");
	assert_string_equal(httpd_header(&r[0], "Accept"), "application/json");
	assert_string_equal(httpd_header(&r[0], "X-Blank"), "");
	assert_string_equal(httpd_header(&r[0], "X-Svc-Pipeline"), "demo");
	assert_string_equal(httpd_header(&r[0], "X-Svc-Run-Id"), "42");
	assert_string_equal(httpd_header(&r[0], "X-Svc-Empty"), "");
	assert_null(httpd_header(&r[0], "Expect"));
	httpd_requests_free(r, 1);
}

static void test_rest_post_body(void **state)
{
	static const char body[] = "{\"run\": 42, \"stage\": \"deploy\"}";
	struct httpd *h = *state;
	rest_request req = { 0 };
	rest_response rsp;
	struct httpd_request *r;

	req.method = "POST";
	req.body = body;
	assert_int_equal(call(h, &rsp, &req, "/echo"), 0);
	assert_int_equal(rsp.status, 200);
	assert_string_equal(rsp.body.ptr, "{\"ok\": true}");
	rest_response_clear(&rsp);

	/* PUT with an explicit Content-Type, and POST without a body */
	memset(&req, 0, sizeof(req));
	req.method = "PUT";
	req.body = "a=1";
	req.headers_json = "{\"Content-Type\": \"text/plain\"}";
	assert_int_equal(call(h, &rsp, &req, "/echo"), 0);
	rest_response_clear(&rsp);
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	assert_int_equal(call(h, &rsp, &req, "/echo"), 0);
	rest_response_clear(&rsp);
	memset(&req, 0, sizeof(req));
	req.method = "DELETE";
	assert_int_equal(call(h, &rsp, &req, "/echo"), 0);
	rest_response_clear(&rsp);

	r = requests(h, 4);
	assert_string_equal(r[0].method, "POST");
	assert_int_equal(r[0].body_len, strlen(body));
	assert_string_equal(r[0].body, body);
	assert_string_equal(httpd_header(&r[0], "Content-Type"),
			    "application/json");
	assert_null(httpd_header(&r[0], "Expect"));
	assert_string_equal(r[1].method, "PUT");
	assert_string_equal(r[1].body, "a=1");
	assert_string_equal(httpd_header(&r[1], "Content-Type"), "text/plain");
	assert_string_equal(r[2].method, "POST");
	assert_int_equal(r[2].body_len, 0);
	assert_string_equal(httpd_header(&r[2], "Content-Length"), "0");
	assert_string_equal(r[3].method, "DELETE");
	assert_int_equal(r[3].body_len, 0);
	httpd_requests_free(r, 4);
}

static void test_rest_statuses(void **state)
{
	struct httpd *h = *state;
	rest_request req = { 0 };
	rest_response rsp;
	char *why = NULL;
	int ok = -1;

	/* a 500 is a response, not a failure; the sequence then repeats 200 */
	assert_int_equal(call(h, &rsp, &req, "/flaky"), 0);
	assert_int_equal(rsp.status, 500);
	assert_string_equal(rsp.body.ptr, "{\"error\": \"boom\"}");
	rest_response_clear(&rsp);
	assert_int_equal(call(h, &rsp, &req, "/flaky"), 0);
	assert_int_equal(rsp.status, 200);
	rest_response_clear(&rsp);
	assert_int_equal(call(h, &rsp, &req, "/flaky"), 0);
	assert_int_equal(rsp.status, 200);
	rest_response_clear(&rsp);
	/* unrouted: the fixture's 404 */
	assert_int_equal(call(h, &rsp, &req, "/nowhere"), 0);
	assert_int_equal(rsp.status, 404);
	rest_response_clear(&rsp);

	/* malformed JSON in a 200 */
	assert_int_equal(call(h, &rsp, &req, "/html"), 0);
	assert_int_equal(rsp.status, 200);
	assert_int_equal(check_rest_success(&ok, "eq(root.status, 'ok')",
					    rsp.body.ptr, rsp.body.len, &why),
			 SVC_EINVALID);
	assert_non_null(why);
	assert_non_null(strstr(why, "response is not JSON: "));
	free(why);
	rest_response_clear(&rsp);
}

static void test_rest_redirect_not_followed(void **state)
{
	struct httpd *h = *state;
	rest_request req = { 0 };
	rest_response rsp;
	struct httpd_request *r;

	req.username = "svc-user";
	req.password = "secret";
	assert_int_equal(call(h, &rsp, &req, "/moved"), 0);
	assert_int_equal(rsp.status, 302);
	assert_string_equal(rsp.body.ptr, "see elsewhere");
	rest_response_clear(&rsp);
	r = requests(h, 1);
	assert_string_equal(r[0].target, "/moved");
	httpd_requests_free(r, 1);
}

static void test_rest_timeout(void **state)
{
	struct httpd *h = *state;
	rest_request req = { 0 };
	rest_response rsp;

	/* the server would answer after 2000 ms; we give up after 500 */
	req.timeout_ms = 500;
	assert_int_equal(call(h, &rsp, &req, "/slow"), SVC_ERROR);
	assert_int_equal(rsp.status, 0);
	assert_non_null(rsp.error);
	assert_string_equal(rsp.error, "timed out after 500 ms");
	assert_string_equal(svc_error_last(), "timed out after 500 ms");
	rest_response_clear(&rsp);
}

static void test_rest_transport_failures(void **state)
{
	struct httpd *h = *state;
	rest_request req = { 0 };
	rest_response rsp;
	struct sockaddr_in sa;
	socklen_t salen = sizeof(sa);
	char url[64], want[96];
	int fd;

	/* the server hangs up without a word */
	assert_int_equal(call(h, &rsp, &req, "/hangup"), SVC_ERROR);
	snprintf(want, sizeof(want), "empty reply from 127.0.0.1:%d",
		 httpd_port(h));
	assert_string_equal(rsp.error, want);
	rest_response_clear(&rsp);

	/* nobody listens: a port bound but not listening refuses for sure */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &salen), 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/status",
		 ntohs(sa.sin_port));
	req.method = "GET";
	req.url = url;
	req.timeout_ms = 20000;
	assert_int_equal(check_rest_call(&rsp, &req), SVC_ERROR);
	snprintf(want, sizeof(want),
		 "cannot connect to 127.0.0.1:%d: Connection refused",
		 ntohs(sa.sin_port));
	assert_string_equal(rsp.error, want);
	assert_string_equal(svc_error_last(), want);
	assert_int_equal(rsp.status, 0);
	rest_response_clear(&rsp);
	close(fd);

	/* only http and https */
	req.url = "file:///etc/passwd";
	assert_int_not_equal(check_rest_call(&rsp, &req), 0);
	assert_non_null(strstr(rsp.error, "unsupported protocol"));
	assert_int_equal(rsp.body.len, 0);
	rest_response_clear(&rsp);
	req.url = "ftp://127.0.0.1/";
	assert_int_not_equal(check_rest_call(&rsp, &req), 0);
	assert_non_null(strstr(rsp.error, "unsupported protocol"));
	rest_response_clear(&rsp);
}

static void expect_refused(struct httpd *h, rest_request *req,
			   const char *msg)
{
	rest_response rsp;

	assert_int_equal(call(h, &rsp, req, "/echo"), SVC_EINVALID);
	assert_non_null(rsp.error);
	if (!strstr(rsp.error, msg))
		fail_msg("error '%s' does not contain '%s'", rsp.error, msg);
	rest_response_clear(&rsp);
	memset(req, 0, sizeof(*req));
}

static void test_rest_refused_requests(void **state)
{
	static const char *const crlf_default[] = {
		"X-Svc-Run: 1\r\nX-Evil: 1", NULL
	};
	static const char *const no_colon[] = { "X-Svc-Run 1", NULL };
	static const char *const run_id[] = { "X-Svc-Run-Id: 42", NULL };
	struct httpd *h = *state;
	rest_request req = { 0 };
	struct httpd_request *r;

	req.headers_json = "{\"X-A\": \"v\\r\\nX-Evil: 1\"}";
	expect_refused(h, &req, "control characters");
	req.headers_json = "{\"X-A\": \"v\\nX-Evil: 1\"}";
	expect_refused(h, &req, "control characters");
	req.headers_json = "{\"X-A\": \"v\\u0000\"}";
	expect_refused(h, &req, "invalid headers JSON");
	req.headers_json = "{\"X-A\\r\\nX-Evil\": \"1\"}";
	expect_refused(h, &req, "invalid custom header name");
	req.headers_json = "{\"X A\": \"1\"}";
	expect_refused(h, &req, "invalid custom header name");
	req.headers_json = "{\"X:A\": \"1\"}";
	expect_refused(h, &req, "invalid custom header name");
	req.headers_json = "{\"\": \"1\"}";
	expect_refused(h, &req, "invalid custom header name");
	req.headers_json = "{\"X-A\": 1}";
	expect_refused(h, &req, "not a string");
	req.headers_json = "[\"X-A: 1\"]";
	expect_refused(h, &req, "not an object");
	req.headers_json = "{\"X-A\": ";
	expect_refused(h, &req, "invalid headers JSON");
	req.headers_json = "{\"Content-Length\": \"5\"}";
	expect_refused(h, &req, "cannot be set");
	req.headers_json = "{\"x-svc-run-id\": \"forged\"}";
	req.default_headers = run_id;
	expect_refused(h, &req, "cannot be overridden");
	req.default_headers = crlf_default;
	expect_refused(h, &req, "control characters");
	req.default_headers = no_colon;
	expect_refused(h, &req, "invalid default header line");
	req.username = "a:b";
	expect_refused(h, &req, "invalid user name");
	req.username = "a\r\nb";
	expect_refused(h, &req, "invalid user name");
	req.method = "get";
	expect_refused(h, &req, "invalid HTTP method");
	req.method = "GE T";
	expect_refused(h, &req, "invalid HTTP method");
	req.method = "GET\r\nX: 1";
	expect_refused(h, &req, "invalid HTTP method");
	req.timeout_ms = -1;
	expect_refused(h, &req, "negative timeout");
	{
		rest_response rsp;

		req.method = "GET";
		req.url = "http://127.0.0.1/a b";
		assert_int_equal(check_rest_call(&rsp, &req), SVC_EINVALID);
		assert_non_null(strstr(rsp.error, "invalid URL"));
		rest_response_clear(&rsp);
		req.url = NULL;
		assert_int_equal(check_rest_call(&rsp, &req), SVC_EINVALID);
		rest_response_clear(&rsp);
		rest_response_clear(NULL);
	}
	/* nothing reached the server */
	r = requests(h, 0);
	assert_null(r);
}

/* A body past the limit is a failure, not a truncation. */
static void test_rest_body_limit(void **state)
{
	struct httpd_response big[1];
	struct httpd_route route[1];
	struct httpd *h = NULL;
	rest_request req = { 0 };
	rest_response rsp;
	char *body;

	(void)state;
	body = malloc(CHECK_REST_MAX_BODY + 2);
	assert_non_null(body);
	memset(body, ' ', CHECK_REST_MAX_BODY + 1);
	body[CHECK_REST_MAX_BODY + 1] = '\0';
	memset(big, 0, sizeof(big));
	memset(route, 0, sizeof(route));
	big[0].status = 200;
	big[0].content_type = "application/json";
	big[0].body = body;
	route[0].method = "GET";
	route[0].path = "/big";
	route[0].responses = big;
	route[0].nresponses = 1;
	assert_int_equal(httpd_start(&h, route, 1), 0);
	assert_int_equal(call(h, &rsp, &req, "/big"), SVC_ERROR);
	assert_string_equal(rsp.error,
			    "response body is larger than 1048576 bytes");
	assert_int_equal(rsp.body.len, 0);
	rest_response_clear(&rsp);
	/* exactly at the limit is fine */
	httpd_stop(h);
	body[CHECK_REST_MAX_BODY] = '\0';
	assert_int_equal(httpd_start(&h, route, 1), 0);
	memset(&req, 0, sizeof(req));
	assert_int_equal(call(h, &rsp, &req, "/big"), 0);
	assert_int_equal(rsp.body.len, CHECK_REST_MAX_BODY);
	rest_response_clear(&rsp);
	httpd_stop(h);
	free(body);
}

/* 1 when something accepts connections on 127.0.0.1:port. */
static int port_open(int port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0), rc;

	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((unsigned short)port);
	rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	return rc == 0;
}

/*
 * The fixture server never outlives the process that started it.  A helper
 * process starts one and is killed; this process, made a subreaper for the
 * occasion, inherits the orphaned server and must see it die of SIGKILL by
 * itself (and reaps it, so no zombie is left behind).
 */
static void test_httpd_dies_with_parent(void **state)
{
	struct {
		int port;               /* the server's port */
		char dir[64];           /* its request directory */
	} info;
	rest_request req = { 0 };
	rest_response rsp;
	char url[64];
	int fds[2], i, status = 0;
	pid_t pid, reaped = 0;

	(void)state;
	memset(&info, 0, sizeof(info));
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	assert_int_equal(pipe(fds), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct httpd *h = NULL;

		close(fds[0]);
		if (httpd_start(&h, routes, 1) != 0)
			_exit(1);
		info.port = httpd_port(h);
		snprintf(info.dir, sizeof(info.dir), "%s", httpd_dir(h));
		if (write(fds[1], &info, sizeof(info)) != sizeof(info))
			_exit(1);
		for (;;)
			pause();
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], &info, sizeof(info)), sizeof(info));
	close(fds[0]);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/status", info.port);
	req.method = "GET";
	req.url = url;
	req.timeout_ms = 20000;
	assert_int_equal(check_rest_call(&rsp, &req), 0);
	assert_int_equal(rsp.status, 200);
	rest_response_clear(&rsp);

	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	/* the death signal is immediate; 10 s is only a bound for a hang */
	for (i = 0; i < 1000; i++) {
		reaped = waitpid(-1, &status, WNOHANG);
		if (reaped != 0)
			break;
		usleep(10000);
	}
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 0), 0);
	assert_true(reaped > 0);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
	assert_false(port_open(info.port));
	tu_rm_rf(info.dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_tz_known_offsets),
		cmocka_unit_test(test_tz_names),
		cmocka_unit_test(test_tz_posix_rules),
		cmocka_unit_test(test_tz_against_libc),
		cmocka_unit_test(test_tz_hostile_files),
		cmocka_unit_test(test_bh_parse),
		cmocka_unit_test(test_bh_berlin),
		cmocka_unit_test(test_bh_new_york),
		cmocka_unit_test(test_bh_no_dst_and_wrapping),
		cmocka_unit_test(test_bh_dst_edges),
		cmocka_unit_test(test_branches),
		cmocka_unit_test(test_rest_success_criteria),
		cmocka_unit_test_setup_teardown(test_rest_get_json,
						server_setup, server_teardown),
		cmocka_unit_test_setup_teardown(test_rest_auth_and_headers,
						server_setup, server_teardown),
		cmocka_unit_test_setup_teardown(test_rest_post_body,
						server_setup, server_teardown),
		cmocka_unit_test_setup_teardown(test_rest_statuses,
						server_setup, server_teardown),
		cmocka_unit_test_setup_teardown(test_rest_redirect_not_followed,
						server_setup, server_teardown),
		cmocka_unit_test_setup_teardown(test_rest_timeout,
						server_setup, server_teardown),
		cmocka_unit_test_setup_teardown(test_rest_transport_failures,
						server_setup, server_teardown),
		cmocka_unit_test_setup_teardown(test_rest_refused_requests,
						server_setup, server_teardown),
		cmocka_unit_test(test_rest_body_limit),
		cmocka_unit_test(test_httpd_dies_with_parent),
	};

	/* the fixture is on loopback: never through a proxy */
	setenv("no_proxy", "127.0.0.1,localhost", 1);
	setenv("NO_PROXY", "127.0.0.1,localhost", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
