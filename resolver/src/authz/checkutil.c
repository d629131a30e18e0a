/*
 * checkutil.c - durations, time zones, business hours and branch patterns
 * for the checks on a connection (see checkutil.h).
 *
 * Time zones.  Local time must be computed without setenv("TZ") and
 * localtime(), which mutate and read process-wide state, so the TZif files
 * of the IANA database (RFC 8536) are parsed here: the 64-bit data block of
 * a version 2+ file (or the 32-bit block of a version 1 file), giving the
 * transition times, the local time type after each, and each type's UTC
 * offset; and the footer, a POSIX TZ rule ("CET-1CEST,M3.5.0,M10.5.0/3")
 * used after the last transition.  The rule forms of RFC 8536 are all
 * handled: quoted names ("<+01>-1"), Jn / n / Mm.w.d dates, and transition
 * times from -167 to 167 hours.  A rule's offset at t is decided by the
 * latest of its transitions at or before t, looking at the year before and
 * after too, so rules whose transitions cross a year's end (southern
 * hemisphere, all-year DST, "/25" times) need no special case.  Zones with
 * leap-second records are refused rather than computed slightly wrong.
 *
 * Business hours.  A window is open when the local weekday is one of its
 * days and the local time is in [start, end).  The next opening after t is
 * the earliest instant in the next 16 days at which the window is open and
 * that is either a local start time that exists (one or two instants per
 * day: two when clocks go back) or a UTC-offset change (the end of a gap
 * when clocks go forward over the start time).  Offset changes are found
 * by comparing the offset one day apart and bisecting to the second.
 *
 * Branch patterns use a '*'-only glob matched without backtracking
 * recursion (the classic two-pointer algorithm), on bounded input.
 */
#include "authz/checkutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "svcconn/errors.h"
#include "errors_int.h"
#include "util/buf.h"

/* ------------------------------------------------------------------------
 * Small helpers
 */

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Floor division and modulo for a positive divisor. */
static long long floor_div(long long a, long long b)
{
	long long q = a / b;

	return (a % b != 0 && a < 0) ? q - 1 : q;
}

static long long floor_mod(long long a, long long b)
{
	return a - floor_div(a, b) * b;
}

/* ------------------------------------------------------------------------
 * Durations
 */

int check_parse_duration(long *seconds, const char *s)
{
	unsigned long long v = 0;
	const char *p;
	long unit;

	if (!s || !*s)
		return error_set(SVC_EINVALID, "empty duration");
	if (strcmp(s, "0") == 0) {
		*seconds = 0;
		return 0;
	}
	for (p = s; is_digit(*p); p++) {
		/* saturate: anything past the maximum is too long anyway */
		if (v <= (unsigned long long)CHECK_DURATION_MAX)
			v = v * 10 + (unsigned)(*p - '0');
	}
	if (p == s)
		return error_set(SVC_EINVALID,
				 "invalid duration '%.64s' (want a number and "
				 "a unit: 30d, 12h, 5m or 90s)", s);
	switch (*p) {
	case 'd':
		unit = 24 * 60 * 60;
		break;
	case 'h':
		unit = 60 * 60;
		break;
	case 'm':
		unit = 60;
		break;
	case 's':
		unit = 1;
		break;
	case '\0':
		return error_set(SVC_EINVALID,
				 "duration '%.64s' needs a unit (d, h, m or s)",
				 s);
	default:
		return error_set(SVC_EINVALID,
				 "invalid duration '%.64s' (want a number and "
				 "a unit: 30d, 12h, 5m or 90s)", s);
	}
	if (p[1] != '\0')
		return error_set(SVC_EINVALID,
				 "invalid duration '%.64s' (want a number and "
				 "a unit: 30d, 12h, 5m or 90s)", s);
	if (v > (unsigned long long)(CHECK_DURATION_MAX / unit))
		return error_set(SVC_EINVALID,
				 "duration '%.64s' is too long (at most 365d)",
				 s);
	*seconds = (long)v * unit;
	return 0;
}

/* ------------------------------------------------------------------------
 * Calendar arithmetic (proleptic Gregorian, days since 1970-01-01)
 */

static long long days_from_civil(long long y, unsigned m, unsigned d)
{
	long long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = floor_div(y, 400);
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

static long long year_of_days(long long z)
{
	long long era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = floor_div(z, 146097);
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	return (long long)yoe + era * 400 + (mp >= 10);
}

static int is_leap(long long y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* 0 = Sunday. */
static int weekday_of_days(long long days)
{
	return (int)floor_mod(days + 4, 7);
}

static unsigned days_in_month(long long y, unsigned m)
{
	static const unsigned char dim[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	return dim[m - 1] + (m == 2 && is_leap(y));
}

/* ------------------------------------------------------------------------
 * POSIX TZ rules (the TZif footer)
 */

/** A transition date of a POSIX rule. */
struct tz_date {
	char kind;      /**< 'J' (1..365, no Feb 29), 'D' (0..365), 'M' */
	int n;          /**< day for 'J' and 'D' */
	int month;      /**< 'M': 1..12 */
	int week;       /**< 'M': 1..5, 5 = the last */
	int wday;       /**< 'M': 0 = Sunday */
	long secs;      /**< local time of the transition, -167h..167h */
};

/** A POSIX TZ rule. */
struct tz_rule {
	long std_off;           /**< standard time, seconds east of UTC */
	long dst_off;           /**< daylight time, seconds east of UTC */
	int has_dst;            /**< 0: std_off all year */
	struct tz_date start;   /**< DST starts (in standard local time) */
	struct tz_date end;     /**< DST ends (in daylight local time) */
};

/* Zone name: alphabetic (3+) or <quoted> (3+ of alnum, '+', '-'). */
static int posix_name(const char **pp)
{
	const char *p = *pp;
	size_t n = 0;

	if (*p == '<') {
		for (p++; *p && *p != '>'; p++, n++)
			if (!is_alpha(*p) && !is_digit(*p) && *p != '+' &&
			    *p != '-')
				return -1;
		if (*p != '>')
			return -1;
		p++;
	} else {
		for (; is_alpha(*p); p++)
			n++;
	}
	if (n < 3)
		return -1;
	*pp = p;
	return 0;
}

/* Unsigned decimal of 1..maxdig digits, at most max. */
static int posix_num(const char **pp, int maxdig, long max, long *out)
{
	const char *p = *pp;
	long v = 0;
	int n = 0;

	for (; is_digit(*p); p++) {
		if (++n > maxdig)
			return -1;
		v = v * 10 + (*p - '0');
	}
	if (n == 0 || v > max)
		return -1;
	*pp = p;
	*out = v;
	return 0;
}

/* [+-]hh[:mm[:ss]] with hours up to hmax, as signed seconds. */
static int posix_hms(const char **pp, long hmax, long *out)
{
	const char *p = *pp;
	long h, m = 0, s = 0, sign = 1;

	if (*p == '+' || *p == '-')
		sign = *p++ == '-' ? -1 : 1;
	if (posix_num(&p, 3, hmax, &h) != 0)
		return -1;
	if (*p == ':') {
		p++;
		if (posix_num(&p, 2, 59, &m) != 0)
			return -1;
		if (*p == ':') {
			p++;
			if (posix_num(&p, 2, 59, &s) != 0)
				return -1;
		}
	}
	*pp = p;
	*out = sign * (h * 3600 + m * 60 + s);
	return 0;
}

/* date[/time] */
static int posix_date(const char **pp, struct tz_date *d)
{
	const char *p = *pp;
	long v;

	memset(d, 0, sizeof(*d));
	if (*p == 'J') {
		p++;
		if (posix_num(&p, 3, 365, &v) != 0 || v < 1)
			return -1;
		d->kind = 'J';
		d->n = (int)v;
	} else if (*p == 'M') {
		p++;
		d->kind = 'M';
		if (posix_num(&p, 2, 12, &v) != 0 || v < 1 || *p++ != '.')
			return -1;
		d->month = (int)v;
		if (posix_num(&p, 1, 5, &v) != 0 || v < 1 || *p++ != '.')
			return -1;
		d->week = (int)v;
		if (posix_num(&p, 1, 6, &v) != 0)
			return -1;
		d->wday = (int)v;
	} else {
		if (posix_num(&p, 3, 365, &v) != 0)
			return -1;
		d->kind = 'D';
		d->n = (int)v;
	}
	d->secs = 2 * 3600;
	if (*p == '/') {
		p++;
		if (posix_hms(&p, 167, &d->secs) != 0)
			return -1;
	}
	*pp = p;
	return 0;
}

/* Parse a whole rule; -1 when it is not one. */
static int posix_parse(struct tz_rule *r, const char *s)
{
	const char *p = s;
	long off;

	memset(r, 0, sizeof(*r));
	if (posix_name(&p) != 0 || posix_hms(&p, 24, &off) != 0)
		return -1;
	r->std_off = -off;      /* POSIX offsets count west */
	if (*p == '\0')
		return 0;
	if (posix_name(&p) != 0)
		return -1;
	r->has_dst = 1;
	r->dst_off = r->std_off + 3600;
	if (*p && *p != ',') {
		if (posix_hms(&p, 24, &off) != 0)
			return -1;
		r->dst_off = -off;
	}
	if (*p == '\0') {
		/* no dates: the default of the reference implementation */
		p = ",M3.2.0,M11.1.0";
	}
	if (*p++ != ',' || posix_date(&p, &r->start) != 0 || *p++ != ',' ||
	    posix_date(&p, &r->end) != 0 || *p != '\0')
		return -1;
	return 0;
}

/* The instant of date d in year y, its local time read with offset off. */
static long long posix_when(const struct tz_date *d, long long y, long off)
{
	long long days;

	if (d->kind == 'J') {
		days = days_from_civil(y, 1, 1) + d->n - 1 +
		       (is_leap(y) && d->n >= 60);
	} else if (d->kind == 'D') {
		days = days_from_civil(y, 1, 1) + d->n;
	} else {
		long long first = days_from_civil(y, (unsigned)d->month, 1);
		int day = (d->wday - weekday_of_days(first) + 7) % 7 +
			  (d->week - 1) * 7;

		while (day >= (int)days_in_month(y, (unsigned)d->month))
			day -= 7;
		days = first + day;
	}
	return days * 86400 + d->secs - off;
}

static long posix_offset(const struct tz_rule *r, long long t)
{
	long long y, yy, best = 0;
	int found = 0, dst = 0;

	if (!r->has_dst)
		return r->std_off;
	y = year_of_days(floor_div(t + r->std_off, 86400));
	for (yy = y - 1; yy <= y + 1; yy++) {
		long long s = posix_when(&r->start, yy, r->std_off);
		long long e = posix_when(&r->end, yy, r->dst_off);

		/* the latest transition at or before t wins; a start beats an
		   end at the same instant (DST all year) */
		if (e <= t && (!found || e > best)) {
			best = e;
			dst = 0;
			found = 1;
		}
		if (s <= t && (!found || s >= best)) {
			best = s;
			dst = 1;
			found = 1;
		}
	}
	return dst ? r->dst_off : r->std_off;
}

/* ------------------------------------------------------------------------
 * TZif files
 */

struct check_tz {
	size_t ntrans;          /**< number of transitions */
	long long *trans;       /**< transition instants, ascending */
	unsigned char *idx;     /**< local time type from each transition on */
	size_t ntypes;          /**< number of local time types */
	long *utoff;            /**< each type's offset, seconds east of UTC */
	int has_rule;           /**< rule applies after the last transition */
	struct tz_rule rule;    /**< the footer's POSIX rule */
};

/** Counts of a TZif header. */
struct tzif_hdr {
	int version;            /**< 1, 2, 3, 4 ... */
	uint32_t isutcnt;       /**< UT/local indicators */
	uint32_t isstdcnt;      /**< standard/wall indicators */
	uint32_t leapcnt;       /**< leap-second records */
	uint32_t timecnt;       /**< transitions */
	uint32_t typecnt;       /**< local time types */
	uint32_t charcnt;       /**< bytes of designations */
};

#define TZIF_HDR_LEN 44
/* Far more than any real zone, far less than an allocation to fear. */
#define TZIF_MAX_TYPES 256

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static int64_t be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

static int tzif_hdr(struct tzif_hdr *h, const unsigned char *p, size_t avail)
{
	if (avail < TZIF_HDR_LEN || memcmp(p, "TZif", 4) != 0)
		return -1;
	h->version = p[4] == '\0' ? 1 : p[4] - '0';
	if (h->version < 1)
		return -1;
	h->isutcnt = be32(p + 20);
	h->isstdcnt = be32(p + 24);
	h->leapcnt = be32(p + 28);
	h->timecnt = be32(p + 32);
	h->typecnt = be32(p + 36);
	h->charcnt = be32(p + 40);
	return 0;
}

/* Bytes of the data block after a header, for 4- or 8-byte times. */
static uint64_t tzif_block(const struct tzif_hdr *h, unsigned timesize)
{
	return (uint64_t)h->timecnt * timesize + h->timecnt +
	       (uint64_t)h->typecnt * 6 + h->charcnt +
	       (uint64_t)h->leapcnt * (timesize + 4) + h->isstdcnt +
	       h->isutcnt;
}

void check_tz_free(check_tz *z)
{
	if (!z)
		return;
	free(z->trans);
	free(z->idx);
	free(z->utoff);
	free(z);
}

static int tz_bad(const char *name, const char *what)
{
	return error_set(SVC_EINVALID, "invalid time zone file for '%.64s': %s",
			 name, what);
}

int check_tz_parse(check_tz **out, const char *name,
		   const unsigned char *data, size_t len)
{
	struct tzif_hdr h;
	const unsigned char *p;
	size_t avail, i;
	unsigned timesize = 4;
	uint64_t block;
	check_tz *z = NULL;
	int rc;

	if (tzif_hdr(&h, data, len) != 0)
		return tz_bad(name, "not a TZif file");
	p = data + TZIF_HDR_LEN;
	avail = len - TZIF_HDR_LEN;
	if (h.version >= 2) {
		/* skip the 32-bit block: the 64-bit one follows */
		block = tzif_block(&h, 4);
		if (block > avail)
			return tz_bad(name, "truncated");
		p += block;
		avail -= (size_t)block;
		if (tzif_hdr(&h, p, avail) != 0)
			return tz_bad(name, "bad second header");
		p += TZIF_HDR_LEN;
		avail -= TZIF_HDR_LEN;
		timesize = 8;
	}
	if (h.leapcnt != 0)
		return error_set(SVC_EINVALID,
				 "time zone '%.64s' counts leap seconds (not "
				 "supported)", name);
	if (h.typecnt == 0 || h.typecnt > TZIF_MAX_TYPES ||
	    (h.isstdcnt != 0 && h.isstdcnt != h.typecnt) ||
	    (h.isutcnt != 0 && h.isutcnt != h.typecnt))
		return tz_bad(name, "bad counts");
	block = tzif_block(&h, timesize);
	if (block > avail)
		return tz_bad(name, "truncated");

	z = calloc(1, sizeof(*z));
	if (!z)
		return error_oom();
	z->ntrans = h.timecnt;
	z->ntypes = h.typecnt;
	if ((z->ntrans &&
	     (!(z->trans = calloc(z->ntrans, sizeof(*z->trans))) ||
	      !(z->idx = calloc(z->ntrans, 1)))) ||
	    !(z->utoff = calloc(z->ntypes, sizeof(*z->utoff)))) {
		rc = error_oom();
		goto fail;
	}
	for (i = 0; i < z->ntrans; i++) {
		const unsigned char *q = p + i * timesize;

		z->trans[i] = timesize == 8 ? (long long)be64(q)
					    : (long long)(int32_t)be32(q);
		if (i > 0 && z->trans[i] <= z->trans[i - 1]) {
			rc = tz_bad(name, "transitions out of order");
			goto fail;
		}
	}
	p += z->ntrans * timesize;
	for (i = 0; i < z->ntrans; i++) {
		if (p[i] >= z->ntypes) {
			rc = tz_bad(name, "bad local time type");
			goto fail;
		}
		z->idx[i] = p[i];
	}
	p += z->ntrans;
	for (i = 0; i < z->ntypes; i++) {
		int32_t off = (int32_t)be32(p + i * 6);

		/* RFC 8536 suggests -25h..+26h; be as strict */
		if (off < -89999 || off > 93599 || p[i * 6 + 4] > 1) {
			rc = tz_bad(name, "bad local time type");
			goto fail;
		}
		z->utoff[i] = off;
	}
	p += (size_t)block - (size_t)h.timecnt * (timesize + 1);
	avail -= (size_t)block;

	/* the footer: "\n" rule "\n" (version 2 and later) */
	if (timesize == 8 && avail > 0) {
		char rule[256];
		const unsigned char *nl;

		if (p[0] != '\n' ||
		    !(nl = memchr(p + 1, '\n', avail - 1)) ||
		    (size_t)(nl - p - 1) >= sizeof(rule)) {
			rc = tz_bad(name, "bad footer");
			goto fail;
		}
		memcpy(rule, p + 1, (size_t)(nl - p - 1));
		rule[nl - p - 1] = '\0';
		if (rule[0] != '\0') {
			if (posix_parse(&z->rule, rule) != 0) {
				rc = tz_bad(name, "bad rule in footer");
				goto fail;
			}
			z->has_rule = 1;
		}
	}
	*out = z;
	return 0;
fail:
	check_tz_free(z);
	return rc;
}

int check_tz_posix(check_tz **out, const char *rule)
{
	check_tz *z;

	if (!rule || strlen(rule) > 255)
		return error_set(SVC_EINVALID, "invalid time zone rule");
	z = calloc(1, sizeof(*z));
	if (!z)
		return error_oom();
	if (posix_parse(&z->rule, rule) != 0) {
		free(z);
		return error_set(SVC_EINVALID, "invalid time zone rule '%s'",
				 rule);
	}
	z->has_rule = 1;
	*out = z;
	return 0;
}

long check_tz_offset(const check_tz *z, time_t t)
{
	size_t lo, hi;

	/* keep the calendar arithmetic far from overflow */
	if (t > CHECK_TIME_MAX)
		t = CHECK_TIME_MAX;
	else if (t < -CHECK_TIME_MAX)
		t = -CHECK_TIME_MAX;
	if (z->has_rule && (z->ntrans == 0 || t >= z->trans[z->ntrans - 1]))
		return posix_offset(&z->rule, (long long)t);
	if (z->ntypes == 0)
		return 0;
	if (z->ntrans == 0 || t < z->trans[0])
		return z->utoff[0];
	/* the last transition at or before t */
	lo = 0;
	hi = z->ntrans;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (z->trans[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return z->utoff[z->idx[lo]];
}

/* An IANA name that cannot leave the zoneinfo directory. */
static int tz_name_ok(const char *name)
{
	const char *p, *comp;

	if (!name || !*name || strlen(name) >= sizeof(((bh_window *)0)->tz))
		return 0;
	for (comp = p = name;; p++) {
		if (*p == '/' || *p == '\0') {
			/* no empty, ".", ".." or hidden component */
			if (p == comp || *comp == '.')
				return 0;
			if (*p == '\0')
				return 1;
			comp = p + 1;
		} else if (!is_alpha(*p) && !is_digit(*p) && *p != '_' &&
			   *p != '+' && *p != '-' && *p != '.') {
			return 0;
		}
	}
}

int check_tz_load(check_tz **out, const char *name)
{
	char path[sizeof(CHECK_ZONEINFO_DIR) + 72];
	svc_buf b = SVC_BUF_INIT;
	struct stat st;
	char chunk[4096];
	ssize_t n;
	int fd, rc;

	if (!tz_name_ok(name))
		return error_set(SVC_EINVALID, "invalid time zone name '%.64s'",
				 name ? name : "");
	snprintf(path, sizeof(path), "%s/%s", CHECK_ZONEINFO_DIR, name);
	/* O_NONBLOCK: a FIFO planted in the directory must not hang us */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return error_set(SVC_EINVALID,
					 "unknown time zone '%s'", name);
		return error_set(SVC_ERROR, "cannot open time zone '%s': %s",
				 name, strerror(errno));
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return error_set(SVC_EINVALID, "unknown time zone '%s'", name);
	}
	buf_init(&b, CHECK_TZ_MAX_FILE, 0);
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (buf_put(&b, chunk, (size_t)n) != 0) {
			n = -1;
			errno = EFBIG;
			break;
		}
	}
	close(fd);
	if (n < 0) {
		rc = error_set(SVC_ERROR, "cannot read time zone '%s': %s",
			       name, strerror(errno));
	} else {
		rc = check_tz_parse(out, name, (const unsigned char *)b.ptr,
				    b.len);
	}
	buf_clear(&b);
	return rc;
}

/* ------------------------------------------------------------------------
 * Business hours
 */

static const char *const day_names[7] = {
	"sunday", "monday", "tuesday", "wednesday", "thursday", "friday",
	"saturday"
};

/* Day number (0 = Sunday) of a name of n bytes, or -1. */
static int day_of(const char *s, size_t n)
{
	int i;

	for (i = 0; i < 7; i++)
		if ((n == 3 || n == strlen(day_names[i])) &&
		    strncasecmp(s, day_names[i], n) == 0)
			return i;
	return -1;
}

static void trim(const char **s, const char **e)
{
	while (*s < *e && (**s == ' ' || **s == '\t'))
		(*s)++;
	while (*e > *s && ((*e)[-1] == ' ' || (*e)[-1] == '\t'))
		(*e)--;
}

static int parse_days(unsigned *out, const char *days)
{
	const char *item = days, *end, *dash;
	unsigned set = 0;
	int a, b;

	if (!days)
		return error_set(SVC_EINVALID, "no business days given");
	for (;;) {
		const char *s = item;

		end = strchr(item, ',');
		if (!end)
			end = item + strlen(item);
		trim(&s, &end);
		if (end - s == 1 && *s == '*') {
			set = 0x7f;
		} else {
			dash = memchr(s, '-', (size_t)(end - s));
			if (dash) {
				const char *ae = dash, *bs = dash + 1;

				trim(&s, &ae);
				trim(&bs, &end);
				a = day_of(s, (size_t)(ae - s));
				b = day_of(bs, (size_t)(end - bs));
			} else {
				a = b = day_of(s, (size_t)(end - s));
			}
			if (a < 0 || b < 0)
				return error_set(SVC_EINVALID,
					"invalid business days '%.64s' (want "
					"e.g. Mon-Fri, Mon,Wed,Fri or *)",
					days);
			/* a range may wrap around the week: Fri-Mon */
			for (;; a = (a + 1) % 7) {
				set |= 1u << a;
				if (a == b)
					break;
			}
		}
		end = strchr(item, ',');
		if (!end)
			break;
		item = end + 1;
	}
	*out = set;
	return 0;
}

/* "H:MM" or "HH:MM" as minutes; 24:00 only when allow_24. */
static int parse_hhmm(int *out, const char *s, int allow_24)
{
	int h = 0, m;
	const char *p = s;

	if (!s || !is_digit(*p))
		return -1;
	h = *p++ - '0';
	if (is_digit(*p))
		h = h * 10 + (*p++ - '0');
	if (*p++ != ':' || !is_digit(p[0]) || !is_digit(p[1]) || p[2])
		return -1;
	m = (p[0] - '0') * 10 + (p[1] - '0');
	if (m > 59 || h > 24 || (h == 24 && (m != 0 || !allow_24)))
		return -1;
	*out = h * 60 + m;
	return 0;
}

int check_bh_parse(bh_window *w, const char *days, const char *tz,
		   const char *start, const char *end)
{
	bh_window v;
	check_tz *z = NULL;
	int rc;

	memset(&v, 0, sizeof(v));
	if ((rc = parse_days(&v.days, days)) != 0)
		return rc;
	if (parse_hhmm(&v.start_min, start, 0) != 0)
		return error_set(SVC_EINVALID,
				 "invalid start time '%.16s' (want HH:MM)",
				 start ? start : "");
	if (parse_hhmm(&v.end_min, end, 1) != 0)
		return error_set(SVC_EINVALID,
				 "invalid end time '%.16s' (want HH:MM)",
				 end ? end : "");
	if (v.start_min >= v.end_min)
		return error_set(SVC_EINVALID,
				 "start time '%s' is not before end time '%s'",
				 start, end);
	if ((rc = check_tz_load(&z, tz)) != 0)
		return rc;
	check_tz_free(z);
	/* tz_name_ok() checked the length */
	memcpy(v.tz, tz, strlen(tz) + 1);
	*w = v;
	return 0;
}

static int bh_open_at(const bh_window *w, const check_tz *z, long long t)
{
	long long local = t + check_tz_offset(z, (time_t)t);
	long long days = floor_div(local, 86400);
	long min = (long)((local - days * 86400) / 60);

	return (w->days & (1u << weekday_of_days(days))) &&
	       min >= w->start_min && min < w->end_min;
}

/* The first instant in (lo, hi] whose offset differs from lo's. */
static long long offset_change(const check_tz *z, long long lo, long long hi)
{
	long before = check_tz_offset(z, (time_t)lo);

	while (hi - lo > 1) {
		long long mid = lo + (hi - lo) / 2;

		if (check_tz_offset(z, (time_t)mid) == before)
			lo = mid;
		else
			hi = mid;
	}
	return hi;
}

/* Days looked ahead for the next opening. */
#define BH_LOOKAHEAD_DAYS 16

int check_bh_inside(const bh_window *w, time_t t, int *inside,
		    time_t *next_open)
{
	check_tz *z = NULL;
	long long now = (long long)t, best = 0, today, d, x;
	int rc, found = 0;

	if (!w || (w->days & 0x7f) == 0 || w->start_min < 0 ||
	    w->end_min > 1440 || w->start_min >= w->end_min)
		return error_set(SVC_EINVALID, "invalid business hours");
	if (t > CHECK_TIME_MAX || t < -CHECK_TIME_MAX)
		return error_set(SVC_EINVALID, "time %lld out of range",
				 (long long)t);
	if ((rc = check_tz_load(&z, w->tz)) != 0)
		return rc;
	if (bh_open_at(w, z, now)) {
		check_tz_free(z);
		*inside = 1;
		*next_open = t;
		return 0;
	}
	/* local start times that exist, on open days */
	today = floor_div(now + check_tz_offset(z, t), 86400);
	for (d = today - 1; d <= today + BH_LOOKAHEAD_DAYS; d++) {
		long long local = d * 86400 + (long long)w->start_min * 60;
		long offs[2];
		int i;

		if (!(w->days & (1u << weekday_of_days(d))))
			continue;
		offs[0] = check_tz_offset(z, (time_t)(local - 86400));
		offs[1] = check_tz_offset(z, (time_t)(local + 86400));
		for (i = 0; i < 2; i++) {
			long long c = local - offs[i];

			if (check_tz_offset(z, (time_t)c) == offs[i] &&
			    c > now && bh_open_at(w, z, c) &&
			    (!found || c < best)) {
				best = c;
				found = 1;
			}
		}
	}
	/* offset changes (the end of a gap may open the window) */
	for (x = now; x < now + (long long)BH_LOOKAHEAD_DAYS * 86400;
	     x += 86400) {
		long long c;

		if (check_tz_offset(z, (time_t)x) ==
		    check_tz_offset(z, (time_t)(x + 86400)))
			continue;
		c = offset_change(z, x, x + 86400);
		if (bh_open_at(w, z, c) && (!found || c < best)) {
			best = c;
			found = 1;
		}
	}
	check_tz_free(z);
	if (!found)
		return error_set(SVC_ERROR,
				 "business hours in '%s' do not open in the "
				 "next %d days", w->tz, BH_LOOKAHEAD_DAYS);
	*inside = 0;
	*next_open = (time_t)best;
	return 0;
}

/* ------------------------------------------------------------------------
 * Branch control
 */

/* '*'-only glob over byte strings; no recursion, O(|p| * |s|) at worst. */
static int glob_match(const char *p, size_t pn, const char *s, size_t sn)
{
	size_t pi = 0, si = 0, star = 0, mark = 0;
	int have_star = 0;

	while (si < sn) {
		if (pi < pn && p[pi] == '*') {
			star = pi++;
			mark = si;
			have_star = 1;
		} else if (pi < pn && p[pi] == s[si]) {
			pi++;
			si++;
		} else if (have_star) {
			pi = star + 1;
			si = ++mark;
		} else {
			return 0;
		}
	}
	while (pi < pn && p[pi] == '*')
		pi++;
	return pi == pn;
}

/* Put s (n bytes) into b, qualified as refs/heads/... unless it is. */
static int qualify(svc_buf *b, const char *s, size_t n)
{
	buf_reset(b);
	if ((n < 5 || memcmp(s, "refs/", 5) != 0) &&
	    buf_puts(b, "refs/heads/") != 0)
		return SVC_ERROR;
	return buf_put(b, s, n);
}

int check_branch_allowed(const char *patterns, const char *ref)
{
	svc_buf pat = SVC_BUF_INIT, qref = SVC_BUF_INIT;
	const char *item, *s, *e;
	int rc = 0, any = 0;

	if (!patterns)
		patterns = "*";
	if (!ref || !*ref)
		return error_set(SVC_EINVALID, "no branch to check");
	if (strlen(patterns) > CHECK_BRANCH_MAX ||
	    strlen(ref) > CHECK_BRANCH_MAX)
		return error_set(SVC_EINVALID, "branch or pattern too long");
	buf_init(&pat, CHECK_BRANCH_MAX + 16, 0);
	buf_init(&qref, CHECK_BRANCH_MAX + 16, 0);
	if (qualify(&qref, ref, strlen(ref)) != 0) {
		rc = error_oom();
		goto done;
	}
	for (item = patterns;; item = e + 1) {
		e = strchr(item, ',');
		if (!e)
			e = item + strlen(item);
		s = item;
		trim(&s, &e);
		if (s < e) {
			any = 1;
			if (e - s == 1 && *s == '*') {
				rc = 1;
				goto done;
			}
			if (qualify(&pat, s, (size_t)(e - s)) != 0) {
				rc = error_oom();
				goto done;
			}
			if (glob_match(pat.ptr, pat.len, qref.ptr, qref.len)) {
				rc = 1;
				goto done;
			}
		}
		e = strchr(item, ',');
		if (!e)
			break;
	}
	if (!any)
		rc = error_set(SVC_EINVALID, "no branch patterns in '%.64s'",
			       patterns);
done:
	buf_clear(&pat);
	buf_clear(&qref);
	return rc;
}
