/* The resource usage cache of a process (core/process-stats.c): process-compose's cpu percentage from
 * counter deltas, "not available" values, a new run, counters that go back, and when a refresh is due. */
#include <math.h>

#include "core/process-stats.h"
#include "tests.h"

#define MSEC USEC_PER_MSEC

static bool near(double a, double b) {
        return fabs(a - b) < 1e-6;
}

TEST(cpu_percent) {
        /* 500 ms of CPU in 1 s: 50 % of one CPU */
        ASSERT_TRUE(near(process_stats_cpu_percent(0, 1000 * MSEC, 500 * NSEC_PER_MSEC, 2000 * MSEC), 50.0));
        /* two busy CPUs: above 100, as gopsutil's Percent() */
        ASSERT_TRUE(near(process_stats_cpu_percent(100, 0 + 1, 100 + 2000 * NSEC_PER_MSEC, 1000 * MSEC + 1),
                         200.0));
        /* idle */
        ASSERT_TRUE(near(process_stats_cpu_percent(7, 10, 7, 10 + 1000 * MSEC), 0.0));
        /* time did not advance, or went back; counter went back */
        ASSERT_TRUE(near(process_stats_cpu_percent(0, 5, 1000, 5), 0.0));
        ASSERT_TRUE(near(process_stats_cpu_percent(0, 5, 1000, 4), 0.0));
        ASSERT_TRUE(near(process_stats_cpu_percent(2000, 5, 1000, 1005), 0.0));
}

TEST(samples) {
        Process p = {};

        process_stats_reset(&p);
        ASSERT_UEQ(p.mem_bytes, 0);
        ASSERT_TRUE(p.cpu_percent == 0);
        ASSERT_UEQ(p.cpu_nsec, UINT64_MAX);

        /* the first sample: memory at once, cpu needs a second one */
        process_stats_sample(&p, &(UnitStats) { 20 << 20, 100 * NSEC_PER_MSEC }, 1000 * MSEC);
        ASSERT_UEQ(p.mem_bytes, 20 << 20);
        ASSERT_TRUE(p.cpu_percent == 0);
        ASSERT_UEQ(p.cpu_nsec, 100 * NSEC_PER_MSEC);

        /* one second later, 250 ms more CPU */
        process_stats_sample(&p, &(UnitStats) { 21 << 20, 350 * NSEC_PER_MSEC }, 2000 * MSEC);
        ASSERT_UEQ(p.mem_bytes, 21 << 20);
        ASSERT_TRUE(near(p.cpu_percent, 25.0));

        /* the same instant again (a batch answer and a file read in one refresh): the percentage stays */
        process_stats_sample(&p, &(UnitStats) { 21 << 20, 360 * NSEC_PER_MSEC }, 2000 * MSEC);
        ASSERT_TRUE(near(p.cpu_percent, 25.0));
        ASSERT_UEQ(p.cpu_nsec, 350 * NSEC_PER_MSEC);

        /* half a second, fully busy */
        process_stats_sample(&p, &(UnitStats) { 21 << 20, 850 * NSEC_PER_MSEC }, 2500 * MSEC);
        ASSERT_TRUE(near(p.cpu_percent, 100.0));

        /* the counter went back (a new cgroup): start over */
        process_stats_sample(&p, &(UnitStats) { 1 << 20, 10 * NSEC_PER_MSEC }, 3500 * MSEC);
        ASSERT_TRUE(p.cpu_percent == 0);
        ASSERT_UEQ(p.cpu_nsec, 10 * NSEC_PER_MSEC);
        process_stats_sample(&p, &(UnitStats) { 1 << 20, 110 * NSEC_PER_MSEC }, 4500 * MSEC);
        ASSERT_TRUE(near(p.cpu_percent, 10.0));

        /* UINT64_MAX: not available (accounting off, unit gone): shown as 0, and no base is kept */
        process_stats_sample(&p, &(UnitStats) { UINT64_MAX, UINT64_MAX }, 5500 * MSEC);
        ASSERT_UEQ(p.mem_bytes, 0);
        ASSERT_TRUE(p.cpu_percent == 0);
        ASSERT_UEQ(p.cpu_nsec, UINT64_MAX);
        process_stats_sample(&p, &(UnitStats) { 5, 900 * NSEC_PER_MSEC }, 6500 * MSEC);
        ASSERT_UEQ(p.mem_bytes, 5);
        ASSERT_TRUE(p.cpu_percent == 0);

        /* a new run forgets the old base, even one with a higher counter */
        process_stats_sample(&p, &(UnitStats) { 5, 1900 * NSEC_PER_MSEC }, 7500 * MSEC);
        ASSERT_TRUE(near(p.cpu_percent, 100.0));
        process_stats_reset(&p);
        ASSERT_TRUE(p.cpu_percent == 0);
        ASSERT_UEQ(p.mem_bytes, 0);
        process_stats_sample(&p, &(UnitStats) { 5, 1950 * NSEC_PER_MSEC }, 8500 * MSEC);
        ASSERT_TRUE(p.cpu_percent == 0);
}

TEST(due) {
        usec_t i = PROCESS_STATS_INTERVAL_USEC;

        ASSERT_TRUE(process_stats_due(0, 5, i));
        ASSERT_FALSE(process_stats_due(1000 * MSEC, 1000 * MSEC + i - 1, i));
        ASSERT_TRUE(process_stats_due(1000 * MSEC, 1000 * MSEC + i, i));
        ASSERT_TRUE(process_stats_due(1000 * MSEC, 900 * MSEC, i));
}

DEFINE_TEST_MAIN();
