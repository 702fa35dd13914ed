/* The cache of a process's resource usage (pure): what GET /processes, the state stream and /metrics show
 * as `mem` and `cpu`, built from samples of systemd's MemoryCurrent and CPUUsageNSec (unit/unit-stats.h).
 *
 * Readers only read the cache; the manager refreshes it on its loop (core/manager-stats.c) at most every
 * PROCESS_STATS_INTERVAL_USEC, so a request never waits for the service manager. `cpu` has
 * process-compose's meaning (gopsutil's Process.Percent(0)): CPU time used between two samples over the
 * wall time between them, in percent of one CPU (a process busy on two CPUs shows 200), and 0 until a
 * run has been sampled twice. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "core/process.h"
#include "shared/time-util.h"
#include "unit/unit-driver.h"

#define PROCESS_STATS_INTERVAL_USEC (1 * USEC_PER_SEC)

/* A run begins: nothing known, nothing shown. */
void process_stats_reset(Process *p);

/**
 * process_stats_sample() - puts one sample in the cache
 * @p: the process
 * @s: the sample; UINT64_MAX values are "not available" (shown as 0)
 * @now: monotonic µs when it was taken
 *
 * The CPU counter of the previous sample is the base of the next percentage. A sample without one, or with
 * a counter below the previous one (a new cgroup), starts over: cpu is 0 until the next sample. Two samples
 * at the same instant keep the previous percentage.
 */
void process_stats_sample(Process *p, const UnitStats *s, usec_t now);

/* CPU time between two counters (ns) over the wall time between them (µs), in percent of one CPU; 0 when
 * the time did not advance or the counter went back. */
double process_stats_cpu_percent(uint64_t nsec0, usec_t t0, uint64_t nsec1, usec_t t1);

/* Whether a refresh is due: never before, or at least interval since the last one. */
bool process_stats_due(usec_t last, usec_t now, usec_t interval);
