/* journalctl's argument syntax, as pcctl logs takes it: time spans ("1h30min"), dates (--since/--until:
 * "2024-05-01 10:00", "today", "-1h", "@1714557600", "2 hours ago") and priorities (-p err, -p 3..6).
 * journalctl 252 is the reference. Pure, except that dates read the clock and the local time zone. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "journal/journal-args.h"
#include "shared/macro.h"

int journal_parse_timespan(const char *s, usec_t *ret) {
        static const struct {
                const char *suffix;
                usec_t usec;
        } units[] = {
                { "seconds", USEC_PER_SEC }, { "second", USEC_PER_SEC }, { "sec", USEC_PER_SEC },
                { "s", USEC_PER_SEC }, { "minutes", USEC_PER_MINUTE }, { "minute", USEC_PER_MINUTE },
                { "min", USEC_PER_MINUTE }, { "months", 2629800 * USEC_PER_SEC },
                { "month", 2629800 * USEC_PER_SEC }, { "msec", USEC_PER_MSEC }, { "ms", USEC_PER_MSEC },
                { "m", USEC_PER_MINUTE }, { "hours", USEC_PER_HOUR }, { "hour", USEC_PER_HOUR },
                { "hr", USEC_PER_HOUR }, { "h", USEC_PER_HOUR }, { "days", USEC_PER_DAY },
                { "day", USEC_PER_DAY }, { "d", USEC_PER_DAY }, { "weeks", 7 * USEC_PER_DAY },
                { "week", 7 * USEC_PER_DAY }, { "w", 7 * USEC_PER_DAY }, { "years", 31557600 * USEC_PER_SEC },
                { "year", 31557600 * USEC_PER_SEC }, { "y", 31557600 * USEC_PER_SEC }, { "usec", 1 },
                { "us", 1 }, { "M", 2629800 * USEC_PER_SEC },
        };
        usec_t total = 0;
        bool any = false;

        while (*s) {
                unsigned long long v;
                char *end;
                size_t k;

                while (*s == ' ')
                        s++;
                if (!*s)
                        break;
                if (*s < '0' || *s > '9')
                        return -EINVAL;
                errno = 0;
                v = strtoull(s, &end, 10);
                if (errno != 0)
                        return -ERANGE;
                s = end;
                while (*s == ' ')
                        s++;
                for (k = 0; k < ELEMENTSOF(units); k++) {
                        size_t l = strlen(units[k].suffix);

                        if (strncmp(s, units[k].suffix, l) == 0 && !(s[l] >= 'a' && s[l] <= 'z')) {
                                s += l;
                                break;
                        }
                }
                if (k == ELEMENTSOF(units)) {
                        if (*s && *s != ' ')
                                return -EINVAL;
                        total += v * USEC_PER_SEC;      /* a bare number is seconds */
                } else
                        total += v * units[k].usec;
                any = true;
        }
        if (!any)
                return -EINVAL;
        *ret = total;
        return 0;
}

static usec_t tm_to_usec(struct tm *tm) {
        time_t t;

        tm->tm_isdst = -1;
        t = mktime(tm);
        return t == (time_t) -1 ? USEC_INFINITY : (usec_t) t * USEC_PER_SEC;
}

/* "YYYY-MM-DD[ HH:MM[:SS[.frac]]]" (also with 'T'), or "HH:MM[:SS]" on the day of tm (local time). */
static int parse_date_absolute(const char *s, const struct tm *tm, usec_t *ret) {
        size_t l = strlen(s);
        struct tm t2 = *tm;
        int Y, M = 1, D = 1, h = 0, m = 0, sec = 0, n = 0;
        unsigned long frac = 0;
        const char *rest = s;

        if (sscanf(s, "%4d-%2d-%2d%n", &Y, &M, &D, &n) == 3 && n == 10) {
                t2.tm_year = Y - 1900;
                t2.tm_mon = M - 1;
                t2.tm_mday = D;
                rest = s + 10;
                if (*rest == ' ' || *rest == 'T')
                        rest++;
                else if (*rest)
                        return -EINVAL;
        } else if (l == 0)
                return -EINVAL;
        if (*rest) {
                n = 0;
                if (sscanf(rest, "%2d:%2d%n", &h, &m, &n) != 2)
                        return -EINVAL;
                rest += n;
                if (*rest == ':') {
                        n = 0;
                        if (sscanf(rest + 1, "%2d%n", &sec, &n) != 1)
                                return -EINVAL;
                        rest += 1 + n;
                        if (*rest == '.') {
                                int digits = 0;

                                for (rest++; *rest >= '0' && *rest <= '9'; rest++, digits++)
                                        if (digits < 6)
                                                frac = frac * 10 + (unsigned long) (*rest - '0');
                                for (; digits < 6; digits++)
                                        frac *= 10;
                        }
                }
                if (*rest)
                        return -EINVAL;
        } else if (rest == s)
                return -EINVAL;
        if (M < 1 || M > 12 || D < 1 || D > 31 || h < 0 || h > 23 || m < 0 || m > 59 || sec < 0 || sec > 60)
                return -EINVAL;
        t2.tm_hour = h;
        t2.tm_min = m;
        t2.tm_sec = sec;
        *ret = tm_to_usec(&t2);
        if (*ret == USEC_INFINITY)
                return -EINVAL;
        *ret += frac;
        return 0;
}

int journal_parse_date(const char *s, usec_t *ret) {
        usec_t now = now_usec(CLOCK_REALTIME), span;
        time_t tt = (time_t) (now / USEC_PER_SEC);
        struct tm tm;
        const char *e;
        int r;

        localtime_r(&tt, &tm);
        if (streq(s, "now")) {
                *ret = now;
                return 0;
        }
        if (streq(s, "today") || streq(s, "yesterday") || streq(s, "tomorrow")) {
                tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
                tm.tm_mday += streq(s, "yesterday") ? -1 : streq(s, "tomorrow") ? 1 : 0;
                *ret = tm_to_usec(&tm);
                return *ret == USEC_INFINITY ? -EINVAL : 0;
        }
        if (s[0] == '@') {
                double d;
                char *end;

                errno = 0;
                d = strtod(s + 1, &end);
                /* !(d >= 0) also refuses NaN; past the range, the conversion to usec_t is undefined */
                if (errno != 0 || *end || !(d >= 0) || d >= (double) (USEC_INFINITY / USEC_PER_SEC))
                        return -EINVAL;
                *ret = (usec_t) (d * USEC_PER_SEC);
                return 0;
        }
        if (s[0] == '-' || s[0] == '+') {
                r = journal_parse_timespan(s + 1, &span);
                if (r < 0)
                        return r;
                *ret = s[0] == '-' ? (span > now ? 0 : now - span) : now + span;
                return 0;
        }
        if ((e = endswith(s, " ago")) || (e = endswith(s, " left"))) {
                _cleanup_free_ char *t = strndup(s, (size_t) (e - s));

                if (!t)
                        return -ENOMEM;
                r = journal_parse_timespan(t, &span);
                if (r < 0)
                        return r;
                *ret = streq(e, " ago") ? (span > now ? 0 : now - span) : now + span;
                return 0;
        }
        return parse_date_absolute(s, &tm, ret);
}

static int parse_priority_one(const char *s) {
        static const char *const names[] = { "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug" };

        if (s[0] >= '0' && s[0] <= '7' && s[1] == 0)
                return s[0] - '0';
        for (int i = 0; i < 8; i++)
                if (streq(s, names[i]))
                        return i;
        if (streq(s, "panic"))
                return 0;
        if (streq(s, "error"))
                return 3;
        if (streq(s, "warn"))
                return 4;
        return -EINVAL;
}

int journal_parse_priority(const char *s, int *ret_min, int *ret_max) {
        const char *dots = strstr(s, "..");
        int a, b;

        if (!dots) {
                a = parse_priority_one(s);
                if (a < 0)
                        return a;
                *ret_min = 0;
                *ret_max = a;
                return 0;
        }
        {
                _cleanup_free_ char *x = strndup(s, (size_t) (dots - s));

                if (!x)
                        return -ENOMEM;
                a = isempty(x) ? 0 : parse_priority_one(x);
                b = isempty(dots + 2) ? 7 : parse_priority_one(dots + 2);
        }
        if (a < 0 || b < 0)
                return -EINVAL;
        *ret_min = MIN(a, b);
        *ret_max = MAX(a, b);
        return 0;
}
