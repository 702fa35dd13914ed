/* A process's `schedule.cron` as systemd timer settings: the 5-field cron expression (with process-compose's
 * parser, robfig/cron v3 ParseStandard as gocron v2 calls it) becomes one or two OnCalendar= values, or, for
 * `@every <duration>`, a monotonic interval.
 *
 * Pure: no I/O, no clock (tests/unit/test-cron-calendar.c checks the output against systemd-analyze).
 *
 * What is accepted (robfig's rules, docs/compat.md "Schedules"):
 *  - five fields separated by blanks: minute 0-59, hour 0-23, day of month 1-31, month 1-12 or JAN-DEC,
 *    day of week 0-6 or SUN-SAT (names in any case); 7 is Sunday too (robfig refuses it, cron accepts it);
 *  - each field a comma list of `*`, `?`, `N`, `N-M`, each with an optional `/STEP`; `N/STEP` is N-max/STEP;
 *  - the OR rule: when both day of month and day of week are restricted (neither starts with `*` or `?`
 *    without a step above 1), a day matches when either matches. OnCalendar= ANDs them, so that is two
 *    OnCalendar= values;
 *  - the descriptors @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly, and @every DURATION
 *    (a Go duration, whole seconds, at least 1 s);
 *  - a leading `CRON_TZ=Zone ` or `TZ=Zone ` when the schedule has no `timezone`.
 *
 * The timezone becomes the OnCalendar= timezone suffix ("Local" and "" mean the machine's zone: none). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "shared/time-util.h"

typedef struct CronSpec {
        uint64_t minute, hour, dom, month, dow;  /* bit n set: value n matches (dow: 0 = Sunday) */
        bool dom_star, dow_star;                 /* robfig's star bit: the field does not restrict */
        usec_t every_usec;                       /* @every: the interval (then the fields are unused) */
        char *timezone;                          /* from a CRON_TZ= prefix, or NULL */
} CronSpec;

/* Parses @cron. On failure returns -EINVAL and, with ret_error, a message that names the field ("hour: 25
 * is above the maximum 23"); -ENOMEM when out of memory. */
int cron_spec_parse(const char *cron, CronSpec *ret, char **ret_error);
void cron_spec_done(CronSpec *s);

/* Whether a calendar time (broken down, in the schedule's zone) matches, with the OR rule. */
bool cron_spec_matches(const CronSpec *s, int minute, int hour, int mday, int month, int wday);

typedef struct CronCalendar {
        char **calendars;        /* OnCalendar= values (one, or two for the OR rule); NULL for @every */
        usec_t every_usec;       /* @every: OnActiveSec=/OnUnitActiveSec= instead */
} CronCalendar;

/* @cron and @timezone (NULL or "" or "Local": the machine's zone) as timer settings. A timezone that is not
 * a plausible zone name (letters, digits, "_+-/", no "..") is refused; whether the zone exists is for the
 * caller to check (it needs the zone database). -EINVAL with ret_error as cron_spec_parse(). */
int cron_to_calendar(const char *cron, const char *timezone, CronCalendar *ret, char **ret_error);
void cron_calendar_done(CronCalendar *c);

/* Whether @tz is a zone name cron_to_calendar() takes (not whether the zone database has it). */
bool cron_timezone_is_valid(const char *tz);
