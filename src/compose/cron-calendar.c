/* schedule.cron → OnCalendar= (cron-calendar.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "compose/compose-internal.h"
#include "compose/cron-calendar.h"
#include "shared/buffer.h"
#include "shared/macro.h"
#include "shared/strv.h"

typedef struct CronField {
        const char *name;
        unsigned min, max;
        const char *const *names;        /* three-letter names, index = value - min; NULL: none */
} CronField;

static const char *const month_names[] = { "jan", "feb", "mar", "apr", "may", "jun",
                                           "jul", "aug", "sep", "oct", "nov", "dec", NULL };
static const char *const dow_names[] = { "sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL };

enum { F_MINUTE, F_HOUR, F_DOM, F_MONTH, F_DOW, _F_MAX };

static const CronField fields[_F_MAX] = {
        [F_MINUTE] = { "minute", 0, 59, NULL },
        [F_HOUR] = { "hour", 0, 23, NULL },
        [F_DOM] = { "day of month", 1, 31, NULL },
        [F_MONTH] = { "month", 1, 12, month_names },
        /* 7 is Sunday as in cron(5); robfig stops at 6 */
        [F_DOW] = { "day of week", 0, 7, dow_names },
};

static int fail(char **ret_error, const char *fmt, ...) _printf_(2, 3);
static int fail(char **ret_error, const char *fmt, ...) {
        va_list ap;

        if (ret_error) {
                va_start(ap, fmt);
                if (vasprintf(ret_error, fmt, ap) < 0) {
                        *ret_error = NULL;
                        va_end(ap);
                        return -ENOMEM;
                }
                va_end(ap);
        }
        return -EINVAL;
}

void cron_spec_done(CronSpec *s) {
        if (!s)
                return;
        s->timezone = mfree(s->timezone);
}

/* A number (digits only) or, when the field has names, a three-letter name in any case. */
static int parse_value(const CronField *f, const char *s, size_t n, unsigned *ret, char **ret_error) {
        unsigned v = 0;

        if (n == 0)
                return fail(ret_error, "%s: empty value", f->name);
        if (f->names && n == 3)
                for (unsigned i = 0; f->names[i]; i++)
                        if (strncasecmp(s, f->names[i], 3) == 0) {
                                *ret = f->min + i;
                                return 0;
                        }
        for (size_t i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '9' || v > 1000)
                        return fail(ret_error, "%s: '%.*s' is not a number%s", f->name, (int) n, s,
                                    f->names ? " or a name" : "");
                v = v * 10 + (unsigned) (s[i] - '0');
        }
        *ret = v;
        return 0;
}

/* One element of a comma list: `*`, `?`, `N`, `N-M`, each with an optional `/STEP`. */
static int parse_range(const CronField *f, const char *s, size_t n, uint64_t *bits, bool *star,
                       char **ret_error) {
        const char *slash = memchr(s, '/', n), *dash;
        size_t head = slash ? (size_t) (slash - s) : n;
        unsigned start, end, step = 1;
        bool is_star = false;
        int r;

        if (slash && memchr(slash + 1, '/', n - head - 1))
                return fail(ret_error, "%s: too many slashes in '%.*s'", f->name, (int) n, s);
        if (head == 1 && (s[0] == '*' || s[0] == '?')) {
                start = f->min;
                end = f->max;
                is_star = true;
        } else {
                dash = memchr(s, '-', head);
                if (dash && memchr(dash + 1, '-', head - (size_t) (dash - s) - 1))
                        return fail(ret_error, "%s: too many hyphens in '%.*s'", f->name, (int) n, s);
                r = parse_value(f, s, dash ? (size_t) (dash - s) : head, &start, ret_error);
                if (r < 0)
                        return r;
                if (dash) {
                        r = parse_value(f, dash + 1, head - (size_t) (dash - s) - 1, &end, ret_error);
                        if (r < 0)
                                return r;
                } else
                        end = slash ? f->max : start;   /* "N/STEP" is N-max/STEP */
        }
        if (slash) {
                r = parse_value(&(CronField) { f->name, 0, 0, NULL }, slash + 1, n - head - 1, &step, ret_error);
                if (r < 0)
                        return r;
                if (step == 0)
                        return fail(ret_error, "%s: the step of '%.*s' must be positive", f->name, (int) n, s);
                if (step > 1)
                        is_star = false;
        }
        /* the star of day of week spans 0-6: 7 is only Sunday again */
        if (is_star && f->max == 7)
                end = 6;
        if (start < f->min)
                return fail(ret_error, "%s: %u is below the minimum %u", f->name, start, f->min);
        if (end > f->max)
                return fail(ret_error, "%s: %u is above the maximum %u", f->name, end, f->max);
        if (start > end)
                return fail(ret_error, "%s: the range '%.*s' starts after its end", f->name, (int) n, s);
        for (unsigned v = start; v <= end; v += step)
                *bits |= UINT64_C(1) << v;
        if (is_star)
                *star = true;
        return 0;
}

static int parse_field(const CronField *f, const char *s, uint64_t *ret_bits, bool *ret_star, char **ret_error) {
        uint64_t bits = 0;
        bool star = false;
        int r;

        /* as Go's strings.FieldsFunc: empty list elements are skipped */
        for (const char *p = s; *p;) {
                size_t n = strcspn(p, ",");

                if (n > 0) {
                        r = parse_range(f, p, n, &bits, &star, ret_error);
                        if (r < 0)
                                return r;
                }
                p += n;
                if (*p == ',')
                        p++;
        }
        if (bits == 0)
                return fail(ret_error, "%s: empty list '%s'", f->name, s);
        *ret_bits = bits;
        *ret_star = star;
        return 0;
}

static const struct {
        const char *name;
        const char *fields;
} descriptors[] = {
        { "@yearly", "0 0 1 1 *" },  { "@annually", "0 0 1 1 *" }, { "@monthly", "0 0 1 * *" },
        { "@weekly", "0 0 * * 0" },  { "@daily", "0 0 * * *" },    { "@midnight", "0 0 * * *" },
        { "@hourly", "0 * * * *" },
};

static int parse_every(const char *d, CronSpec *spec, char **ret_error) {
        int64_t ns;

        if (parse_go_duration(d, &ns) < 0 || ns < 0)
                return fail(ret_error, "@every: '%s' is not a duration such as \"30s\" or \"1h30m\"", d);
        /* robfig rounds down to whole seconds, and waits at least one */
        spec->every_usec = MAX((usec_t) (ns / 1000000000) * USEC_PER_SEC, USEC_PER_SEC);
        return 0;
}

int cron_spec_parse(const char *cron, CronSpec *ret, char **ret_error) {
        _cleanup_(cron_spec_done) CronSpec spec = {};
        _cleanup_strv_free_ char **parts = NULL;
        const char *s = cron;
        uint64_t *bits[_F_MAX] = { &spec.minute, &spec.hour, &spec.dom, &spec.month, &spec.dow };
        bool stars[_F_MAX];
        size_t n;
        int r;

        if (ret_error)
                *ret_error = NULL;
        s += strspn(s ?: "", " \t\n\v\f\r");
        if (!s || !*s)
                return fail(ret_error, "empty cron expression");
        if (strncmp(s, "TZ=", 3) == 0 || strncmp(s, "CRON_TZ=", 8) == 0) {
                const char *eq = strchr(s, '='), *end = eq + strcspn(eq, " \t\n\v\f\r");

                spec.timezone = strndup(eq + 1, (size_t) (end - eq - 1));
                if (!spec.timezone)
                        return -ENOMEM;
                if (!cron_timezone_is_valid(spec.timezone))
                        return fail(ret_error, "'%s' is not a time zone name", spec.timezone);
                s = end + strspn(end, " \t\n\v\f\r");
        }
        if (s[0] == '@') {
                if (strncmp(s, "@every ", 7) == 0 || strncmp(s, "@every\t", 7) == 0) {
                        _cleanup_free_ char *d = strdup(s + 7);

                        if (!d)
                                return -ENOMEM;
                        d[strcspn(d, " \t\n\v\f\r")] = 0;
                        r = parse_every(d + strspn(d, " \t"), &spec, ret_error);
                        if (r < 0)
                                return r;
                        *ret = spec;
                        spec = (CronSpec) {};
                        return 0;
                }
                for (size_t i = 0; i < ELEMENTSOF(descriptors); i++)
                        if (streq(s, descriptors[i].name)) {
                                s = descriptors[i].fields;
                                break;
                        }
                if (s[0] == '@')
                        return fail(ret_error, "unrecognized descriptor '%s'", s);
        }
        parts = strv_split(s, " \t\n\v\f\r", false);
        if (!parts)
                return -ENOMEM;
        n = strv_length(parts);
        if (n != _F_MAX)
                return fail(ret_error, "expected exactly 5 fields (minute hour day-of-month month day-of-week), found %zu", n);
        for (size_t i = 0; i < _F_MAX; i++) {
                r = parse_field(&fields[i], parts[i], bits[i], &stars[i], ret_error);
                if (r < 0)
                        return r;
        }
        /* Sunday is 0 */
        if (spec.dow & (UINT64_C(1) << 7))
                spec.dow = (spec.dow & ~(UINT64_C(1) << 7)) | 1;
        spec.dom_star = stars[F_DOM];
        spec.dow_star = stars[F_DOW];
        *ret = spec;
        spec = (CronSpec) {};
        return 0;
}

bool cron_spec_matches(const CronSpec *s, int minute, int hour, int mday, int month, int wday) {
        bool dom = s->dom >> mday & 1, dow = s->dow >> wday & 1;

        if (!(s->minute >> minute & 1) || !(s->hour >> hour & 1) || !(s->month >> month & 1))
                return false;
        if (s->dom_star || s->dow_star)
                return dom && dow;
        return dom || dow;
}

bool cron_timezone_is_valid(const char *tz) {
        if (isempty(tz) || strlen(tz) > 255 || tz[0] == '/' || tz[0] == '-' || strstr(tz, ".."))
                return false;
        for (const char *p = tz; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                      strchr("_+-/.", *p)))
                        return false;
        return true;
}

static uint64_t field_all(unsigned min, unsigned max) {
        uint64_t b = 0;

        for (unsigned v = min; v <= max; v++)
                b |= UINT64_C(1) << v;
        return b;
}

/* A set of values as systemd writes a calendar component: "*", "S/STEP" (S, S+STEP, ... to the end of the
 * component), or a comma list of values and A..B runs. */
static void put_component(Buffer *b, uint64_t bits, unsigned min, unsigned max) {
        unsigned first = 0, second = 0, count = 0;
        bool progression = true;

        if (bits == field_all(min, max)) {
                buffer_append_str(b, "*");
                return;
        }
        for (unsigned v = min; v <= max; v++) {
                if (!(bits >> v & 1))
                        continue;
                if (count == 0)
                        first = v;
                else if (count == 1)
                        second = v;
                else if (v - first != count * (second - first))
                        progression = false;
                count++;
        }
        /* an arithmetic progression that runs to the end of the component: "S/STEP" */
        if (count >= 3 && progression && first + count * (second - first) > max && second - first > 1) {
                buffer_printf(b, "%u/%u", first, second - first);
                return;
        }
        bool comma = false;
        for (unsigned v = min; v <= max; v++) {
                unsigned e = v;

                if (!(bits >> v & 1))
                        continue;
                while (e < max && bits >> (e + 1) & 1)
                        e++;
                if (comma)
                        buffer_append_str(b, ",");
                comma = true;
                if (e - v >= 2)
                        buffer_printf(b, "%u..%u", v, e);
                else if (e == v + 1)
                        buffer_printf(b, "%u,%u", v, e);
                else
                        buffer_printf(b, "%u", v);
                v = e;
        }
}

/* Weekdays in systemd's order (Monday first), runs as "Mon..Fri". */
static void put_weekdays(Buffer *b, uint64_t dow) {
        static const char *const names[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
        bool set[7], comma = false;

        for (unsigned i = 0; i < 7; i++)
                set[i] = dow >> ((i + 1) % 7) & 1;
        for (unsigned i = 0; i < 7; i++) {
                unsigned e = i;

                if (!set[i])
                        continue;
                while (e < 6 && set[e + 1])
                        e++;
                if (comma)
                        buffer_append_str(b, ",");
                comma = true;
                if (e - i >= 2)
                        buffer_printf(b, "%s..%s", names[i], names[e]);
                else if (e == i + 1)
                        buffer_printf(b, "%s,%s", names[i], names[e]);
                else
                        buffer_append_str(b, names[i]);
                i = e;
        }
        buffer_append_str(b, " ");
}

static int put_calendar(char ***l, const CronSpec *s, bool with_dom, bool with_dow, const char *tz) {
        _cleanup_(buffer_done) Buffer b = {};
        char *v;

        if (with_dow && s->dow != field_all(0, 6))
                put_weekdays(&b, s->dow);
        buffer_append_str(&b, "*-");
        put_component(&b, s->month, 1, 12);
        buffer_append_str(&b, "-");
        if (with_dom)
                put_component(&b, s->dom, 1, 31);
        else
                buffer_append_str(&b, "*");
        buffer_append_str(&b, " ");
        put_component(&b, s->hour, 0, 23);
        buffer_append_str(&b, ":");
        put_component(&b, s->minute, 0, 59);
        buffer_append_str(&b, ":00");
        if (tz)
                buffer_printf(&b, " %s", tz);
        v = buffer_steal(&b, NULL);
        if (!v)
                return -ENOMEM;
        return strv_consume(l, v);
}

void cron_calendar_done(CronCalendar *c) {
        if (!c)
                return;
        c->calendars = strv_free(c->calendars);
        c->every_usec = 0;
}

int cron_to_calendar(const char *cron, const char *timezone, CronCalendar *ret, char **ret_error) {
        _cleanup_(cron_spec_done) CronSpec s = {};
        _cleanup_strv_free_ char **l = NULL;
        const char *tz;
        int r;

        r = cron_spec_parse(cron, &s, ret_error);
        if (r < 0)
                return r;
        if (s.timezone && !isempty(timezone))
                return fail(ret_error, "a CRON_TZ= prefix cannot be combined with 'timezone'");
        tz = s.timezone ?: timezone;
        if (!isempty(tz) && !streq(tz, "Local") && !cron_timezone_is_valid(tz))
                return fail(ret_error, "'%s' is not a time zone name", tz);
        if (isempty(tz) || streq(tz, "Local"))
                tz = NULL;
        if (s.every_usec > 0) {
                *ret = (CronCalendar) { .every_usec = s.every_usec };
                return 0;
        }

        bool full_dom = s.dom == field_all(1, 31), full_dow = s.dow == field_all(0, 6);

        if (s.dom_star || s.dow_star || full_dom || full_dow) {
                /* one value: both restrict (AND), or one side of the OR matches every day */
                bool either_all = !s.dom_star && !s.dow_star;

                r = put_calendar(&l, &s, !either_all, !either_all, tz);
        } else {
                /* the OR rule: OnCalendar= ANDs day of month and weekday, so one value for each */
                r = put_calendar(&l, &s, true, false, tz);
                if (r >= 0)
                        r = put_calendar(&l, &s, false, true, tz);
        }
        if (r < 0)
                return r;
        *ret = (CronCalendar) { .calendars = TAKE_PTR(l) };
        return 0;
}
