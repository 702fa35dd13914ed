/* The cache of a process's resource usage (process-stats.h). */
#include "core/process-stats.h"

void process_stats_reset(Process *p) {
        p->mem_bytes = 0;
        p->cpu_percent = 0;
        p->cpu_nsec = UINT64_MAX;
        p->cpu_sampled = 0;
}

double process_stats_cpu_percent(uint64_t nsec0, usec_t t0, uint64_t nsec1, usec_t t1) {
        if (t1 <= t0 || nsec1 < nsec0)
                return 0;
        /* ns of CPU per µs of wall time: ×1000 to a ratio, ×100 to percent */
        return (double) (nsec1 - nsec0) / (double) (t1 - t0) / 10.0;
}

void process_stats_sample(Process *p, const UnitStats *s, usec_t now) {
        p->mem_bytes = s->memory_bytes == UINT64_MAX ? 0 : s->memory_bytes;

        if (s->cpu_nsec == UINT64_MAX) {
                p->cpu_percent = 0;
                p->cpu_nsec = UINT64_MAX;
                p->cpu_sampled = 0;
                return;
        }
        if (p->cpu_nsec == UINT64_MAX || p->cpu_sampled == 0 || s->cpu_nsec < p->cpu_nsec)
                p->cpu_percent = 0;
        else if (now <= p->cpu_sampled)
                return; /* same instant: keep the base and the percentage */
        else
                p->cpu_percent = process_stats_cpu_percent(p->cpu_nsec, p->cpu_sampled, s->cpu_nsec, now);
        p->cpu_nsec = s->cpu_nsec;
        p->cpu_sampled = now;
}

bool process_stats_due(usec_t last, usec_t now, usec_t interval) {
        return last == 0 || now < last || now - last >= interval;
}
