/* The value parsers of x-systemd (unit-xprops.c): systemd's unit-file syntax for sizes (base 1024),
 * percentages, time spans, booleans, user names and rlimits. All are pure: they return 0 or -EINVAL/-ERANGE
 * and never allocate. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "shared/macro.h"
#include "shared/parse-util.h"
#include "shared/time-util.h"
#include "shared/utf8-util.h"
#include "unit/unit-xprops-internal.h"

/* "I[.F]" times mult, the fraction truncated. *end points past the number. */
static int parse_scaled(const char *s, uint64_t mult, uint64_t *ret, const char **end) {
        uint64_t i = 0, frac = 0, div = 1;
        const char *p = s;

        if (!isdigit((unsigned char) *p))
                return -EINVAL;
        for (; isdigit((unsigned char) *p); p++) {
                if (i > (UINT64_MAX - (*p - '0')) / 10)
                        return -ERANGE;
                i = i * 10 + (*p - '0');
        }
        if (*p == '.') {
                p++;
                if (!isdigit((unsigned char) *p))
                        return -EINVAL;
                for (; isdigit((unsigned char) *p); p++)
                        if (div < UINT64_C(1000000000000000)) {   /* extra digits cannot matter */
                                frac = frac * 10 + (*p - '0');
                                div *= 10;
                        }
        }
        if (mult != 0 && i > UINT64_MAX / mult)
                return -ERANGE;
        i *= mult;
        /* frac/div < 1, so frac * mult / div < mult; split to avoid overflow of frac * mult */
        uint64_t add = (mult / div) * frac + (mult % div) * frac / div;
        if (i > UINT64_MAX - add)
                return -ERANGE;
        *ret = i + add;
        *end = p;
        return 0;
}

/* systemd's xprop_parse_size(): base 1024, suffixes B K M G T P E (upper case). */
int xprop_parse_size(const char *s, uint64_t *ret) {
        static const char suffixes[] = "BKMGTPE";
        size_t len = strlen(s), body = len;
        const char *e, *c;
        uint64_t mult = 1, v;
        int r;

        if (len > 0 && !isdigit((unsigned char) s[len - 1])) {
                c = strchr(suffixes, s[len - 1]);
                if (!c || !*c)
                        return -EINVAL;
                mult = c == suffixes ? 1 : UINT64_C(1) << (10 * (c - suffixes));
                body = len - 1;
        }
        r = parse_scaled(s, mult, &v, &e);
        if (r < 0)
                return r;
        if (e != s + body)
                return -EINVAL;
        *ret = v;
        return 0;
}

/* "N%" or "N.NN%" as hundredths of a percent. */
int xprop_parse_permyriad(const char *s, uint64_t *ret) {
        const char *p;
        uint64_t v;
        int r;

        if (!endswith(s, "%"))
                return -EINVAL;
        r = parse_scaled(s, 100, &v, &p);
        if (r < 0)
                return r;
        if (!streq(p, "%"))
                return -EINVAL;
        /* more than two decimals would be truncated silently; refuse them */
        const char *dot = strchr(s, '.');
        if (dot && p - dot - 1 > 2)
                return -EINVAL;
        *ret = v;
        return 0;
}

/* systemd's parse_time(): components "<number>[<unit>]" with optional blanks between them; a component
 * without unit counts in default_unit µs. "infinity" is USEC_INFINITY. */
int xprop_parse_timespan(const char *s, usec_t default_unit, usec_t *ret) {
        static const struct { const char *suffix; usec_t usec; } units[] = {
                { "us", 1 },
                { "usec", 1 },
                { "\xc2\xb5s", 1 },
                { "ms", USEC_PER_MSEC },
                { "msec", USEC_PER_MSEC },
                { "s", USEC_PER_SEC },
                { "sec", USEC_PER_SEC },
                { "second", USEC_PER_SEC },
                { "seconds", USEC_PER_SEC },
                { "m", USEC_PER_MINUTE },
                { "min", USEC_PER_MINUTE },
                { "minute", USEC_PER_MINUTE },
                { "minutes", USEC_PER_MINUTE },
                { "h", USEC_PER_HOUR },
                { "hr", USEC_PER_HOUR },
                { "hour", USEC_PER_HOUR },
                { "hours", USEC_PER_HOUR },
                { "d", USEC_PER_DAY },
                { "day", USEC_PER_DAY },
                { "days", USEC_PER_DAY },
                { "w", 7 * USEC_PER_DAY },
                { "week", 7 * USEC_PER_DAY },
                { "weeks", 7 * USEC_PER_DAY },
        };
        const char *p = s;
        usec_t total = 0;
        int r;

        if (streq(s, "infinity")) {
                *ret = USEC_INFINITY;
                return 0;
        }

        while (*p == ' ' || *p == '\t')
                p++;
        if (!*p)
                return -EINVAL;

        while (*p) {
                const char *num = p, *numend, *u;
                usec_t mult = default_unit, v;
                size_t ulen;

                while (isdigit((unsigned char) *p) || *p == '.')
                        p++;
                if (p == num)
                        return -EINVAL;
                numend = p;
                u = p;
                while (*p == ' ' || *p == '\t')
                        p++;
                if (*p && !isdigit((unsigned char) *p)) {
                        u = p;
                        while (*p && !isdigit((unsigned char) *p) && *p != ' ' && *p != '\t' && *p != '.')
                                p++;
                        ulen = p - u;
                        size_t i;
                        for (i = 0; i < ELEMENTSOF(units); i++)
                                if (strlen(units[i].suffix) == ulen && strneq(units[i].suffix, u, ulen))
                                        break;
                        if (i >= ELEMENTSOF(units))
                                return -EINVAL;
                        mult = units[i].usec;
                }

                /* parse_scaled() stops at the first non-number character, the unit */
                const char *e;
                r = parse_scaled(num, mult, &v, &e);
                if (r < 0)
                        return r;
                if (e != numend)
                        return -EINVAL;
                if (total > USEC_INFINITY - 1 - v)
                        return -ERANGE;
                total += v;

                while (*p == ' ' || *p == '\t')
                        p++;
        }

        *ret = total;
        return 0;
}

int xprop_parse_boolean(const char *s) {
        static const char * const yes[] = { "1", "yes", "y", "true", "t", "on" };
        static const char * const no[] = { "0", "no", "n", "false", "f", "off" };

        for (size_t i = 0; i < ELEMENTSOF(yes); i++)
                if (strcasecmp(s, yes[i]) == 0)
                        return 1;
        for (size_t i = 0; i < ELEMENTSOF(no); i++)
                if (strcasecmp(s, no[i]) == 0)
                        return 0;
        return -EINVAL;
}

bool xprop_valid_user_name(const char *s, size_t len) {
        if (len == 0 || len > 31)
                return false;
        /* a numeric id, or a name as useradd accepts it (no leading '-' or '.') */
        if (s[0] == '-' || s[0] == '.')
                return false;
        for (size_t i = 0; i < len; i++)
                if (!isalnum((unsigned char) s[i]) && !strchr("_.-", s[i]))
                        return false;
        return true;
}

int xprop_parse_rlimit_one(RlimitUnit unit, const char *s, uint64_t *ret) {
        usec_t t;
        int64_t n;
        int r;

        if (streq(s, "infinity")) {
                *ret = UINT64_MAX;
                return 0;
        }
        switch (unit) {
        case RLIMIT_UNIT_NUMBER:
                return parse_u64(s, ret);
        case RLIMIT_UNIT_SIZE:
                return xprop_parse_size(s, ret);
        case RLIMIT_UNIT_SEC:
                r = xprop_parse_timespan(s, USEC_PER_SEC, &t);
                if (r < 0)
                        return r;
                *ret = t == USEC_INFINITY ? UINT64_MAX : DIV_ROUND_UP(t, USEC_PER_SEC);
                return 0;
        case RLIMIT_UNIT_USEC:
                r = xprop_parse_timespan(s, 1, &t);
                if (r < 0)
                        return r;
                *ret = t;
                return 0;
        case RLIMIT_UNIT_NICE:
                /* with a sign it is a nice level, as in systemd; the kernel's value is 20 - nice */
                if (*s == '+' || *s == '-') {
                        r = parse_i64(s, &n);
                        if (r < 0 || n < -20 || n > 19)
                                return -ERANGE;
                        *ret = (uint64_t) (20 - n);
                        return 0;
                }
                r = parse_u64(s, ret);
                if (r < 0)
                        return r;
                return *ret <= 40 ? 0 : -ERANGE;
        default:
                return -EINVAL;
        }
}

const char *xprop_rlimit_unit_text(RlimitUnit unit) {
        switch (unit) {
        case RLIMIT_UNIT_NUMBER:
                return "a number";
        case RLIMIT_UNIT_SIZE:
                return "a size in bytes (K, M, G, T, P or E suffix)";
        case RLIMIT_UNIT_SEC:
                return "a time in seconds (\"30\", \"5min\")";
        case RLIMIT_UNIT_USEC:
                return "a time (a bare number is microseconds)";
        case RLIMIT_UNIT_NICE:
                return "0..40, or a nice level with sign (-20..+19)";
        default:
                return "a value";
        }
}

