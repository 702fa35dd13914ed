/* The resource usage cache of the running processes (process-stats.h): one refresh on the loop at most
 * every PROCESS_STATS_INTERVAL_USEC while a process runs. Each running unit is read from its cgroup files
 * (unit_watch_read_stats(), no bus call); the units whose files are not known yet or missing are asked of
 * the manager in one batch of pipelined calls (unit_driver_read_stats()), at most one batch in flight.
 * Readers (REST, state stream, metrics) only read the cache: they never wait for the service manager. */
#include "core/manager-internal.h"
#include "core/process-stats.h"

/* The first refresh after a start, when none was due: soon, so a new process shows its memory quickly. */
#define STATS_FIRST_DELAY_USEC (100 * USEC_PER_MSEC)

/* Daemons show -1 (process-compose measures the process it started, which is gone): not sampled. */
static bool proc_stats_wanted(const Proc *p) {
        return p->watch && process_is_running(&p->pub) && !(proc_config(p) && proc_config(p)->is_daemon);
}

static Proc *manager_find_unit(Manager *m, const char *unit) {
        for (size_t i = 0; i < m->n_procs; i++)
                if (streq_ptr(m->procs[i]->pub.unit, unit))
                        return m->procs[i];
        return NULL;
}

static void manager_on_stats(UnitDriver *d, const UnitStatsEntry *entries, size_t n, void *userdata) {
        Manager *m = userdata;
        usec_t now = now_usec(CLOCK_MONOTONIC);

        m->stats_call = NULL; /* freed by the driver after this returns */
        for (size_t i = 0; i < n; i++) {
                Proc *p = manager_find_unit(m, entries[i].unit);

                if (p && proc_stats_wanted(p))
                        process_stats_sample(&p->pub, &entries[i].stats, now);
        }
}

static int manager_on_stats_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        _cleanup_free_ char **units = NULL;
        usec_t now = now_usec(CLOCK_MONOTONIC);
        size_t n_wanted = 0, n = 0;
        int r;

        for (size_t i = 0; i < m->n_procs; i++) {
                Proc *p = m->procs[i];
                UnitStats st;

                if (!proc_stats_wanted(p))
                        continue;
                n_wanted++;
                if (unit_watch_read_stats(p->watch, &st) >= 0) {
                        process_stats_sample(&p->pub, &st, now);
                        continue;
                }
                if (m->stats_call)
                        continue; /* the previous batch is still out: this one waits for the next refresh */
                if (!units && !(units = new0(char *, m->n_procs + 1))) {
                        log_oom();
                        break;
                }
                units[n++] = p->pub.unit;
        }

        if (n > 0) {
                r = unit_driver_read_stats(m->driver, units, n, manager_on_stats, m, &m->stats_call);
                if (r < 0)
                        log_debug_errno(r, "Cannot read the resource usage of %zu units: %m", n);
        }
        m->stats_last = now;

        if (n_wanted == 0)
                return sd_event_source_set_enabled(s, SD_EVENT_OFF);
        r = sd_event_source_set_time_relative(s, PROCESS_STATS_INTERVAL_USEC);
        if (r >= 0)
                r = sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        return r;
}

int manager_stats_setup(Manager *m) {
        int r;

        r = sd_event_add_time_relative(m->event, &m->stats_timer, CLOCK_MONOTONIC, PROCESS_STATS_INTERVAL_USEC,
                                       50 * USEC_PER_MSEC, manager_on_stats_timer, m);
        if (r < 0)
                return r;
        return sd_event_source_set_enabled(m->stats_timer, SD_EVENT_OFF);
}

void manager_stats_done(Manager *m) {
        m->stats_call = unit_stats_call_cancel(m->stats_call);
        m->stats_timer = sd_event_source_disable_unref(m->stats_timer);
}

/* A run began: its numbers start over, and the refresh runs (if it was idle: soon, unless the last refresh
 * was less than an interval ago). */
void proc_stats_start(Proc *p) {
        Manager *m = p->m;
        usec_t now = now_usec(CLOCK_MONOTONIC);
        int enabled = SD_EVENT_OFF;

        process_stats_reset(&p->pub);
        if (!m->stats_timer || sd_event_source_get_enabled(m->stats_timer, &enabled) < 0 || enabled != SD_EVENT_OFF)
                return;
        if (sd_event_source_set_time_relative(m->stats_timer,
                        process_stats_due(m->stats_last, now, PROCESS_STATS_INTERVAL_USEC) ? STATS_FIRST_DELAY_USEC :
                        m->stats_last + PROCESS_STATS_INTERVAL_USEC - now) >= 0)
                (void) sd_event_source_set_enabled(m->stats_timer, SD_EVENT_ONESHOT);
}
