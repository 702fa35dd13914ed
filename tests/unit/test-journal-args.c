/* src/journal/journal-args.c: journalctl's time spans, dates and priorities as pcctl logs takes them. */
#include <stdlib.h>
#include <time.h>

#include "journal/journal-args.h"
#include "tests.h"

TEST(timespan) {
        usec_t u;

        ASSERT_OK(journal_parse_timespan("1h30min", &u));
        ASSERT_UEQ(u, 5400 * USEC_PER_SEC);
        ASSERT_OK(journal_parse_timespan("5", &u));
        ASSERT_UEQ(u, 5 * USEC_PER_SEC);
        ASSERT_OK(journal_parse_timespan("2 weeks 1 d", &u));
        ASSERT_UEQ(u, 15 * USEC_PER_DAY);
        ASSERT_OK(journal_parse_timespan("250ms", &u));
        ASSERT_UEQ(u, 250 * USEC_PER_MSEC);
        ASSERT_ERROR(journal_parse_timespan("", &u), EINVAL);
        ASSERT_ERROR(journal_parse_timespan("1 fortnight", &u), EINVAL);
        ASSERT_ERROR(journal_parse_timespan("-1h", &u), EINVAL);
}

TEST(date) {
        usec_t u, now;

        setenv("TZ", "UTC", 1);
        tzset();
        ASSERT_OK(journal_parse_date("2024-05-01 10:00", &u));
        ASSERT_UEQ(u, 1714557600 * USEC_PER_SEC);
        ASSERT_OK(journal_parse_date("2024-05-01T10:00:05.25", &u));
        ASSERT_UEQ(u, 1714557605 * USEC_PER_SEC + 250000);
        ASSERT_OK(journal_parse_date("@1714557600.5", &u));
        ASSERT_UEQ(u, 1714557600 * USEC_PER_SEC + 500000);
        now = now_usec(CLOCK_REALTIME);
        ASSERT_OK(journal_parse_date("-1h", &u));
        ASSERT_TRUE(u <= now - USEC_PER_HOUR + 60 * USEC_PER_SEC && u + USEC_PER_HOUR + 60 * USEC_PER_SEC >= now);
        ASSERT_OK(journal_parse_date("2 hours ago", &u));
        ASSERT_TRUE(u <= now - 2 * USEC_PER_HOUR + 60 * USEC_PER_SEC);
        ASSERT_OK(journal_parse_date("today", &u));
        ASSERT_UEQ(u % USEC_PER_DAY, 0);
        ASSERT_ERROR(journal_parse_date("2024-13-01", &u), EINVAL);
        ASSERT_ERROR(journal_parse_date("25:00", &u), EINVAL);
        ASSERT_ERROR(journal_parse_date("@-5", &u), EINVAL);
        ASSERT_ERROR(journal_parse_date("", &u), EINVAL);
}

TEST(priority) {
        int a, b;

        ASSERT_OK(journal_parse_priority("err", &a, &b));
        ASSERT_EQ(a, 0);
        ASSERT_EQ(b, 3);
        ASSERT_OK(journal_parse_priority("6..3", &a, &b));
        ASSERT_EQ(a, 3);
        ASSERT_EQ(b, 6);
        ASSERT_OK(journal_parse_priority("warning..", &a, &b));
        ASSERT_EQ(a, 4);
        ASSERT_EQ(b, 7);
        ASSERT_ERROR(journal_parse_priority("8", &a, &b), EINVAL);
        ASSERT_ERROR(journal_parse_priority("loud", &a, &b), EINVAL);
}

DEFINE_TEST_MAIN();
