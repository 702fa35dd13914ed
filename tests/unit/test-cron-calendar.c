/* compose/cron-calendar.c: cron expressions as OnCalendar= values. The table gives the exact text; the
 * cross-check asks systemd-analyze for the next elapses of that text and compares them with the minutes
 * that match the cron expression by brute force (robfig's rules, OR rule included). */
#include <stdio.h>
#include <time.h>

#include "compose/cron-calendar.h"
#include "shared/strv.h"
#include "tests.h"

static const struct {
        const char *cron, *tz;
        const char *cal1, *cal2;          /* expected OnCalendar= values (cal2: the OR rule's second) */
} table[] = {
        { "* * * * *", NULL, "*-*-* *:*:00", NULL },
        { "0 2 * * *", "UTC", "*-*-* 2:0:00 UTC", NULL },
        /* steps */
        { "*/15 * * * *", NULL, "*-*-* *:0/15:00", NULL },
        { "5/20 * * * *", NULL, "*-*-* *:5/20:00", NULL },
        { "0 */7 * * *", NULL, "*-*-* 0/7:0:00", NULL },
        { "0 0 */2 * *", NULL, "*-*-1/2 0:0:00", NULL },
        { "0 1-10/3 * * *", NULL, "*-*-* 1,4,7,10:0:00", NULL },
        { "*/1 * * * *", NULL, "*-*-* *:*:00", NULL },
        { "0 0 * */3 *", NULL, "*-1/3-* 0:0:00", NULL },
        /* ranges and lists */
        { "0 9-17 * * 1-5", NULL, "Mon..Fri *-*-* 9..17:0:00", NULL },
        { "0,30 8,12-14,20 * * *", NULL, "*-*-* 8,12..14,20:0,30:00", NULL },
        { "1,2 * * * *", NULL, "*-*-* *:1,2:00", NULL },
        { "0 0 1,,15 * *", NULL, "*-*-1,15 0:0:00", NULL },
        /* names, in any case */
        { "0 0 1 jan,JUL *", NULL, "*-1,7-1 0:0:00", NULL },
        { "0 0 * FEB-apr Mon-fri", NULL, "Mon..Fri *-2..4-* 0:0:00", NULL },
        { "30 6 * * sat,SUN", "Europe/Berlin", "Sat,Sun *-*-* 6:30:00 Europe/Berlin", NULL },
        /* day of week 0 and 7 are both Sunday */
        { "0 0 * * 0", NULL, "Sun *-*-* 0:0:00", NULL },
        { "0 0 * * 7", NULL, "Sun *-*-* 0:0:00", NULL },
        { "0 0 * * 5-7", NULL, "Fri..Sun *-*-* 0:0:00", NULL },
        { "0 0 * * 0-6", NULL, "*-*-* 0:0:00", NULL },
        { "0 0 * * ?", NULL, "*-*-* 0:0:00", NULL },
        /* the OR rule: both restricted, so either matches */
        { "0 0 1,15 * 1", NULL, "*-*-1,15 0:0:00", "Mon *-*-* 0:0:00" },
        { "0 12 13 * 5", "UTC", "*-*-13 12:0:00 UTC", "Fri *-*-* 12:0:00 UTC" },
        { "0 0 */2 * 1", NULL, "*-*-1/2 0:0:00", "Mon *-*-* 0:0:00" },
        { "0 0 1 6 mon", NULL, "*-6-1 0:0:00", "Mon *-6-* 0:0:00" },
        /* one side of the OR matches every day: every day */
        { "0 0 1-31 * 1", NULL, "*-*-* 0:0:00", NULL },
        /* a star (no step) on either side: AND */
        { "0 0 1 * *", NULL, "*-*-1 0:0:00", NULL },
        { "0 0 */1 * 3", NULL, "Wed *-*-* 0:0:00", NULL },
        /* descriptors */
        { "@hourly", NULL, "*-*-* *:0:00", NULL },
        { "@daily", NULL, "*-*-* 0:0:00", NULL },
        { "@midnight", "UTC", "*-*-* 0:0:00 UTC", NULL },
        { "@weekly", NULL, "Sun *-*-* 0:0:00", NULL },
        { "@monthly", NULL, "*-*-1 0:0:00", NULL },
        { "@yearly", NULL, "*-1-1 0:0:00", NULL },
        { "@annually", NULL, "*-1-1 0:0:00", NULL },
        /* the zone: Local is the machine's; a CRON_TZ= prefix as robfig reads it */
        { "0 0 * * *", "Local", "*-*-* 0:0:00", NULL },
        { "CRON_TZ=America/New_York 0 6 * * *", NULL, "*-*-* 6:0:00 America/New_York", NULL },
        { "TZ=UTC @daily", NULL, "*-*-* 0:0:00 UTC", NULL },
        { "  0\t0  * *   *  ", NULL, "*-*-* 0:0:00", NULL },
};

TEST(table) {
        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                _cleanup_(cron_calendar_done) CronCalendar c = {};
                _cleanup_free_ char *err = NULL;

                if (cron_to_calendar(table[i].cron, table[i].tz, &c, &err) < 0)
                        TEST_FAIL("'%s': %s", table[i].cron, strna(err));
                ASSERT_UEQ(c.every_usec, 0);
                ASSERT_EQ(strv_length(c.calendars), table[i].cal2 ? 2 : 1);
                if (!streq(c.calendars[0], table[i].cal1))
                        TEST_FAIL("'%s': '%s' != '%s'", table[i].cron, c.calendars[0], table[i].cal1);
                if (table[i].cal2 && !streq(c.calendars[1], table[i].cal2))
                        TEST_FAIL("'%s': '%s' != '%s'", table[i].cron, c.calendars[1], table[i].cal2);
        }
}

TEST(every) {
        _cleanup_(cron_calendar_done) CronCalendar c = {};

        ASSERT_OK(cron_to_calendar("@every 1h30m", NULL, &c, NULL));
        ASSERT_NULL(c.calendars);
        ASSERT_UEQ(c.every_usec, 5400 * USEC_PER_SEC);
        cron_calendar_done(&c);
        /* robfig: whole seconds, at least one */
        ASSERT_OK(cron_to_calendar("@every 1500ms", "UTC", &c, NULL));
        ASSERT_UEQ(c.every_usec, USEC_PER_SEC);
        cron_calendar_done(&c);
        ASSERT_OK(cron_to_calendar("@every 10ms", NULL, &c, NULL));
        ASSERT_UEQ(c.every_usec, USEC_PER_SEC);
}

TEST(refused) {
        static const struct {
                const char *cron, *tz, *error;
        } bad[] = {
                { "", NULL, "empty cron expression" },
                { "   ", NULL, "empty cron expression" },
                { "* * * *", NULL, "expected exactly 5 fields (minute hour day-of-month month day-of-week), found 4" },
                { "0 * * * * *", NULL, "expected exactly 5 fields (minute hour day-of-month month day-of-week), found 6" },
                { "60 * * * *", NULL, "minute: 60 is above the maximum 59" },
                { "0 25 * * *", NULL, "hour: 25 is above the maximum 23" },
                { "0 0 0 * *", NULL, "day of month: 0 is below the minimum 1" },
                { "0 0 32 * *", NULL, "day of month: 32 is above the maximum 31" },
                { "0 0 * 13 *", NULL, "month: 13 is above the maximum 12" },
                { "0 0 * 0 *", NULL, "month: 0 is below the minimum 1" },
                { "0 0 * * 8", NULL, "day of week: 8 is above the maximum 7" },
                { "0 0 * * mon-sun", NULL, "day of week: the range 'mon-sun' starts after its end" },
                { "0 0 * * monday", NULL, "day of week: 'monday' is not a number or a name" },
                { "0 0 * foo *", NULL, "month: 'foo' is not a number or a name" },
                { "x * * * *", NULL, "minute: 'x' is not a number" },
                { "-5 * * * *", NULL, "minute: empty value" },
                { "*/0 * * * *", NULL, "minute: the step of '*/0' must be positive" },
                { "1/2/3 * * * *", NULL, "minute: too many slashes in '1/2/3'" },
                { "1-2-3 * * * *", NULL, "minute: too many hyphens in '1-2-3'" },
                { "10-5 * * * *", NULL, "minute: the range '10-5' starts after its end" },
                { ", * * * *", NULL, "minute: empty list ','" },
                { "*/x * * * *", NULL, "minute: 'x' is not a number" },
                { "@reboot", NULL, "unrecognized descriptor '@reboot'" },
                { "@every", NULL, "unrecognized descriptor '@every'" },
                { "@every 5", NULL, "@every: '5' is not a duration such as \"30s\" or \"1h30m\"" },
                { "0 0 * * *", "../etc/passwd", "'../etc/passwd' is not a time zone name" },
                { "0 0 * * *", "Europe/Ber lin", "'Europe/Ber lin' is not a time zone name" },
                { "CRON_TZ=UTC 0 0 * * *", "UTC", "a CRON_TZ= prefix cannot be combined with 'timezone'" },
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_(cron_calendar_done) CronCalendar c = {};
                _cleanup_free_ char *err = NULL;

                ASSERT_ERROR(cron_to_calendar(bad[i].cron, bad[i].tz, &c, &err), EINVAL);
                ASSERT_NULL(c.calendars);
                if (!streq_ptr(err, bad[i].error))
                        TEST_FAIL("'%s': '%s' != '%s'", bad[i].cron, strna(err), bad[i].error);
        }
}

/* ---- cross-check with systemd-analyze ---- */

#define BASE 1767225600 /* 2026-01-01 00:00:00 UTC, a Thursday */
#define ITERATIONS 8

/* The next n minutes after BASE that match, by walking every minute (up to 10 years). */
static size_t brute_force(const CronSpec *s, time_t *out, size_t n) {
        size_t k = 0;

        for (time_t t = BASE + 60; k < n && t < BASE + 10 * 366 * 86400; t += 60) {
                struct tm tm;

                gmtime_r(&t, &tm);
                if (cron_spec_matches(s, tm.tm_min, tm.tm_hour, tm.tm_mday, tm.tm_mon + 1, tm.tm_wday))
                        out[k++] = t;
        }
        return k;
}

/* systemd-analyze's next elapses of one calendar value, in UTC. */
static size_t analyze(const char *calendar, time_t *out, size_t n) {
        _cleanup_free_ char *cmd = NULL;
        char line[512];
        size_t k = 0;
        FILE *f;

        ASSERT_TRUE(asprintf(&cmd, "TZ=UTC systemd-analyze calendar --base-time=@%d --iterations=%zu '%s' 2>&1",
                             BASE, n, calendar) > 0);
        f = popen(cmd, "r");
        ASSERT_NOT_NULL(f);
        while (fgets(line, sizeof line, f)) {
                const char *p = strstr(line, "Next elapse: ") ?: strstr(line, "Iter. #");
                struct tm tm = {};
                char *end;

                if (!p || !(p = strchr(p, ':')) || k >= n)
                        continue;
                /* "Thu 2026-01-01 01:00:00 UTC" */
                end = strptime(p + 2, "%a %Y-%m-%d %H:%M:%S UTC", &tm);
                if (!end)
                        TEST_FAIL("'%s': cannot read '%s'", calendar, line);
                out[k++] = timegm(&tm);
        }
        ASSERT_EQ(pclose(f), 0);
        return k;
}

static int cmp_time(const void *a, const void *b) {
        time_t x = *(const time_t *) a, y = *(const time_t *) b;
        return x < y ? -1 : x > y;
}

TEST(systemd_agrees) {
        if (system("systemd-analyze calendar --base-time=@0 '*-*-* 0:0:00' >/dev/null 2>&1") != 0) {
                fprintf(stderr, "systemd-analyze calendar --base-time is missing: cross-check skipped\n");
                return;
        }
        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                _cleanup_(cron_calendar_done) CronCalendar c = {};
                _cleanup_(cron_spec_done) CronSpec s = {};
                time_t want[ITERATIONS], got[2 * ITERATIONS];
                size_t n_want, n_got = 0, n_unique = 0;

                /* the zone is checked by the table; here everything is in UTC */
                if (table[i].tz && !streq(table[i].tz, "UTC") && !streq(table[i].tz, "Local"))
                        continue;
                if (strstr(table[i].cron, "TZ=") && !strstr(table[i].cron, "TZ=UTC"))
                        continue;
                ASSERT_OK(cron_spec_parse(table[i].cron, &s, NULL));
                /* a CRON_TZ= prefix and a timezone cannot be combined: translate with the prefix's zone */
                ASSERT_OK(cron_to_calendar(table[i].cron, s.timezone ? NULL : "UTC", &c, NULL));
                n_want = brute_force(&s, want, ITERATIONS);
                ASSERT_EQ(n_want, ITERATIONS);
                STRV_FOREACH(cal, c.calendars)
                        n_got += analyze(*cal, got + n_got, ITERATIONS);
                qsort(got, n_got, sizeof got[0], cmp_time);
                for (size_t j = 0; j < n_got; j++)
                        if (n_unique == 0 || got[j] != got[n_unique - 1])
                                got[n_unique++] = got[j];
                ASSERT_TRUE(n_unique >= ITERATIONS);
                for (size_t j = 0; j < ITERATIONS; j++)
                        if (got[j] != want[j])
                                TEST_FAIL("'%s' (%s): elapse #%zu is %jd, cron says %jd", table[i].cron,
                                          c.calendars[0], j + 1, (intmax_t) got[j], (intmax_t) want[j]);
        }
}

DEFINE_TEST_MAIN();
