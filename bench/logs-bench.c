/* Log pipeline benchmark: pcctl's JournalFollower against `journalctl -f -o cat`, on the same unit in the
 * same run (both read in this process's event loop; journalctl through a pipe).
 *
 *   logs-bench latency PCCTL N RATE      write() -> ring latency, RATE lines/s, N lines
 *   logs-bench throughput PCCTL N        a writer as fast as journald stores N lines (rate limit lifted for
 *                                        that unit only); lines/s seen and whether any was lost
 *   logs-bench idle SECONDS              CPU of an idle follower (10 quiet processes) vs an idle journalctl -f
 *
 * The writer stamps each line with CLOCK_REALTIME ns: "L <i> <ns>". Output: key=value lines. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <systemd/sd-event.h>

#include "journal/journal-follower.h"
#include "journal/logring.h"

extern char **environ;

typedef struct Side {
        const char *name;
        double *lat_ms;          /* latencies of received lines */
        size_t n_lat;
        uint64_t received;
        uint64_t next_index;     /* next expected line index */
        uint64_t out_of_order;
        usec_t first_us, last_us;
} Side;

typedef struct Bench {
        sd_event *event;
        JournalFollower *follower;
        LogRing *ring;
        uint64_t next_seq;
        Side pc, jc;
        uint64_t n;
        bool measure_latency;
        char jbuf[1 << 16];
        size_t jlen;
        pid_t jpid;
} Bench;

static uint64_t now_ns(void) {
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t) ts.tv_sec * 1000000000ull + (uint64_t) ts.tv_nsec;
}

static void side_line(Bench *b, Side *s, const char *msg, size_t len) {
        uint64_t idx, ns, now = now_ns();
        char buf[96];

        if (len == 0 || len >= sizeof buf || msg[0] != 'L')
                return;
        memcpy(buf, msg, len);
        buf[len] = 0;
        if (sscanf(buf, "L %" SCNu64 " %" SCNu64, &idx, &ns) != 2)
                return;
        if (idx != s->next_index)
                s->out_of_order++;
        s->next_index = idx + 1;
        if (s->received == 0)
                s->first_us = now / 1000;
        s->last_us = now / 1000;
        s->received++;
        if (b->measure_latency && s->n_lat < b->n)
                s->lat_ms[s->n_lat++] = (double) (int64_t) (now - ns) / 1e6;
}

static void on_ring(LogRing *ring, void *userdata) {
        Bench *b = userdata;

        /* pull by seq, as every reader does */
        for (; b->next_seq < log_ring_next_seq(ring); b->next_seq++) {
                const LogEntry *e = log_ring_get(ring, b->next_seq);
                if (e)
                        side_line(b, &b->pc, e->message, e->len);
        }
}

static int on_journalctl(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Bench *b = userdata;
        ssize_t k;

        k = read(fd, b->jbuf + b->jlen, sizeof b->jbuf - b->jlen);
        if (k <= 0) {
                sd_event_source_set_enabled(s, SD_EVENT_OFF);
                return 0;
        }
        b->jlen += (size_t) k;
        for (;;) {
                char *nl = memchr(b->jbuf, '\n', b->jlen);
                size_t l;

                if (!nl)
                        break;
                l = (size_t) (nl - b->jbuf);
                side_line(b, &b->jc, b->jbuf, l);
                memmove(b->jbuf, nl + 1, b->jlen - l - 1);
                b->jlen -= l + 1;
        }
        return 0;
}

static pid_t spawn(char **argv, int *ret_stdout) {
        posix_spawn_file_actions_t fa;
        int p[2] = { -1, -1 };
        pid_t pid;

        posix_spawn_file_actions_init(&fa);
        if (ret_stdout) {
                if (pipe2(p, O_CLOEXEC) < 0)
                        return -1;
                posix_spawn_file_actions_adddup2(&fa, p[1], 1);
        }
        if (posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ) != 0)
                pid = -1;
        posix_spawn_file_actions_destroy(&fa);
        if (ret_stdout) {
                close(p[1]);
                *ret_stdout = p[0];
        }
        return pid;
}

static int spawn_wait(char **argv) {
        int status;
        pid_t pid = spawn(argv, NULL);

        if (pid < 0 || waitpid(pid, &status, 0) < 0)
                return -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void run_for(sd_event *e, usec_t d) {
        usec_t end = now_usec(CLOCK_MONOTONIC) + d, now;

        /* no periodic wake-up of our own: idle CPU must be the follower's */
        while ((now = now_usec(CLOCK_MONOTONIC)) < end)
                sd_event_run(e, end - now);
}

static char self_exe[4096];

/* The writer, run inside the unit: N lines "L <i> <realtime ns>", one write() each, RATE lines/s (0: as
 * fast as the journal stream takes them). */
static int writer(uint64_t n, unsigned rate) {
        uint64_t t0 = now_usec(CLOCK_MONOTONIC);

        for (uint64_t i = 0; i < n; i++) {
                char buf[64];
                int k;

                if (rate > 0) {
                        uint64_t due = t0 + i * USEC_PER_SEC / rate, now = now_usec(CLOCK_MONOTONIC);
                        if (due > now)
                                usleep((useconds_t) (due - now));
                }
                k = snprintf(buf, sizeof buf, "L %" PRIu64 " %" PRIu64 "\n", i, now_ns());
                if (write(1, buf, (size_t) k) != k)
                        return 1;
        }
        return 0;
}

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;
        return x < y ? -1 : x > y;
}

static double pct(double *v, size_t n, double p) {
        if (n == 0)
                return NAN;
        return v[(size_t) fmin((double) n - 1, floor(p / 100.0 * (double) n))];
}

static void setup(Bench *b, const char *ident, const char *unit, size_t ring_lines) {
        JournalSource src;

        sd_event_default(&b->event);
        if (journal_follower_new(b->event, &b->follower) < 0) {
                fprintf(stderr, "journal_follower_new failed\n");
                exit(1);
        }
        b->ring = log_ring_new(ring_lines, 0);
        log_ring_observe(b->ring, on_ring, b);
        src = (JournalSource) { .ident = ident, .unit = unit, .ring = b->ring };
        journal_follower_add(b->follower, &src, false);
}

static void start_journalctl(Bench *b, const char *ident) {
        char match[192];
        int fd;

        snprintf(match, sizeof match, "SYSLOG_IDENTIFIER=%s", ident);
        char *argv[] = { (char *) "journalctl", (char *) "-f", (char *) "-n", (char *) "0", (char *) "-o",
                         (char *) "cat", match, NULL };
        b->jpid = spawn(argv, &fd);
        sd_event_add_io(b->event, NULL, fd, EPOLLIN, on_journalctl, b);
        /* let journalctl settle on the tail before the unit starts (its -n 0 anchor is lazy) */
        run_for(b->event, 700 * USEC_PER_MSEC);
}

static void start_writer(const char *pcctl, const char *ident, const char *unit, uint64_t n, unsigned rate) {
        char u[192], id[192], ns[32], rs[32];

        snprintf(u, sizeof u, "--unit=%s", unit);
        snprintf(id, sizeof id, "SyslogIdentifier=%s", ident);
        snprintf(ns, sizeof ns, "%" PRIu64, n);
        snprintf(rs, sizeof rs, "%u", rate);
        char *argv[] = { (char *) "systemd-run", (char *) "--user", (char *) "-q", (char *) "--no-block", u,
                         (char *) "-p", id, (char *) pcctl, (char *) "__exec", (char *) ident, (char *) "--",
                         self_exe, (char *) "write", ns, rs, NULL };
        if (spawn_wait(argv) != 0) {
                fprintf(stderr, "systemd-run failed\n");
                exit(1);
        }
}

static double proc_cpu_s(pid_t pid);
static double self_cpu_s(void);

static void report_side(const char *what, Side *s, Bench *b) {
        qsort(s->lat_ms, s->n_lat, sizeof(double), cmp_double);
        printf("%s_%s_received=%" PRIu64 "\n", what, s->name, s->received);
        printf("%s_%s_p50_ms=%.2f\n%s_%s_p90_ms=%.2f\n%s_%s_p99_ms=%.2f\n%s_%s_max_ms=%.2f\n", what, s->name,
               pct(s->lat_ms, s->n_lat, 50), what, s->name, pct(s->lat_ms, s->n_lat, 90), what, s->name,
               pct(s->lat_ms, s->n_lat, 99), what, s->name, pct(s->lat_ms, s->n_lat, 100));
}

static int bench_latency(const char *pcctl, uint64_t n, unsigned rate) {
        Bench b = { .pc.name = "pcctl", .jc.name = "journalctl", .n = n, .measure_latency = true };
        char ident[128], unit[160];
        usec_t end;

        snprintf(ident, sizeof ident, "pcctl-b%d-lat", (int) getpid());
        snprintf(unit, sizeof unit, "%s.service", ident);
        b.pc.lat_ms = calloc(n, sizeof(double));
        b.jc.lat_ms = calloc(n, sizeof(double));
        setup(&b, ident, unit, 1000);
        start_journalctl(&b, ident);
        double c0 = self_cpu_s(), j0 = proc_cpu_s(b.jpid), secs;
        usec_t t0 = now_usec(CLOCK_MONOTONIC);
        start_writer(pcctl, ident, unit, n, rate);
        journal_follower_kick(b.follower);      /* as pcctl up does when the unit runs */
        end = now_usec(CLOCK_MONOTONIC) + (n / rate + 10) * USEC_PER_SEC;
        while ((b.pc.received < n || b.jc.received < n) && now_usec(CLOCK_MONOTONIC) < end)
                sd_event_run(b.event, end - now_usec(CLOCK_MONOTONIC));
        secs = (double) (now_usec(CLOCK_MONOTONIC) - t0) / 1e6;
        /* this process also reads journalctl's pipe: its share is small next to the polling */
        printf("latency_pcctl_cpu_percent=%.2f\nlatency_journalctl_cpu_percent=%.2f\n",
               100.0 * (self_cpu_s() - c0) / secs, 100.0 * (proc_cpu_s(b.jpid) - j0) / secs);
        kill(b.jpid, SIGTERM);
        waitpid(b.jpid, NULL, 0);
        report_side("latency", &b.pc, &b);
        report_side("latency", &b.jc, &b);
        printf("latency_p50_ratio_journalctl_over_pcctl=%.1f\n",
               pct(b.jc.lat_ms, b.jc.n_lat, 50) / pct(b.pc.lat_ms, b.pc.n_lat, 50));
        printf("latency_p99_ratio_journalctl_over_pcctl=%.1f\n",
               pct(b.jc.lat_ms, b.jc.n_lat, 99) / pct(b.pc.lat_ms, b.pc.n_lat, 99));
        return b.pc.received == n ? 0 : 1;
}

static void rate_limit_symlinks(const char *unit, bool on) {
        char p1[256], p2[256];

        snprintf(p1, sizeof p1, "/run/systemd/units/log-rate-limit-burst:%s", unit);
        snprintf(p2, sizeof p2, "/run/systemd/units/log-rate-limit-interval:%s", unit);
        unlink(p1);
        unlink(p2);
        if (on) {
                mkdir("/run/systemd", 0755);
                mkdir("/run/systemd/units", 0755);
                if (symlink("0", p1) < 0 || symlink("0", p2) < 0)
                        fprintf(stderr, "warning: cannot lift the rate limit (%m)\n");
        }
}

static int bench_throughput(const char *pcctl, uint64_t n) {
        Bench b = { .pc.name = "pcctl", .jc.name = "journalctl", .n = n };
        char ident[128], unit[160];
        usec_t t0, end;
        double secs_pc, secs_jc;

        snprintf(ident, sizeof ident, "pcctl-b%d-tput", (int) getpid());
        snprintf(unit, sizeof unit, "%s.service", ident);
        setup(&b, ident, unit, 1000);
        start_journalctl(&b, ident);
        rate_limit_symlinks(unit, true);
        /* one write() per line, as fast as journald takes them */
        t0 = now_usec(CLOCK_REALTIME);
        start_writer(pcctl, ident, unit, n, 0);
        journal_follower_kick(b.follower);
        end = now_usec(CLOCK_MONOTONIC) + 120 * USEC_PER_SEC;
        while ((b.pc.received < n || b.jc.received < n) && now_usec(CLOCK_MONOTONIC) < end)
                sd_event_run(b.event, 10 * USEC_PER_MSEC);
        rate_limit_symlinks(unit, false);
        kill(b.jpid, SIGTERM);
        waitpid(b.jpid, NULL, 0);

        secs_pc = (double) (b.pc.last_us - t0) / 1e6;
        secs_jc = (double) (b.jc.last_us - t0) / 1e6;
        printf("throughput_lines=%" PRIu64 "\n", n);
        printf("throughput_pcctl_received=%" PRIu64 "\nthroughput_pcctl_out_of_order=%" PRIu64 "\n",
               b.pc.received, b.pc.out_of_order);
        printf("throughput_journalctl_received=%" PRIu64 "\n", b.jc.received);
        printf("throughput_pcctl_lines_per_s=%.0f\n", (double) b.pc.received / secs_pc);
        printf("throughput_journalctl_lines_per_s=%.0f\n", (double) b.jc.received / secs_jc);
        printf("throughput_ratio_pcctl_over_journalctl=%.2f\n",
               ((double) b.pc.received / secs_pc) / ((double) b.jc.received / secs_jc));
        return b.pc.received == n && b.pc.out_of_order == 0 ? 0 : 1;
}

static double proc_cpu_s(pid_t pid) {
        char path[64], buf[1024];
        unsigned long ut, st;
        FILE *f;
        char *p;

        snprintf(path, sizeof path, "/proc/%d/stat", (int) pid);
        f = fopen(path, "re");
        if (!f || !fgets(buf, sizeof buf, f)) {
                if (f)
                        fclose(f);
                return NAN;
        }
        fclose(f);
        p = strrchr(buf, ')');
        if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
                return NAN;
        return (double) (ut + st) / (double) sysconf(_SC_CLK_TCK);
}

static double self_cpu_s(void) {
        struct rusage r;

        getrusage(RUSAGE_SELF, &r);
        return (double) (r.ru_utime.tv_sec + r.ru_stime.tv_sec) +
                (double) (r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6;
}

static int bench_idle(unsigned seconds) {
        Bench b = { .pc.name = "pcctl", .jc.name = "journalctl" };
        JournalFollowerStats st;
        char ident[128], unit[160];
        struct rusage r0, r1;
        double j0, j1, self;

        snprintf(ident, sizeof ident, "pcctl-b%d-idle0", (int) getpid());
        snprintf(unit, sizeof unit, "%s.service", ident);
        setup(&b, ident, unit, 1000);
        for (int i = 1; i < 10; i++) {
                JournalSource src;
                char id2[128], u2[160];

                snprintf(id2, sizeof id2, "pcctl-b%d-idle%d", (int) getpid(), i);
                snprintf(u2, sizeof u2, "%s.service", id2);
                src = (JournalSource) { .ident = id2, .unit = u2, .ring = log_ring_new(100, 0) };
                journal_follower_add(b.follower, &src, false);
        }
        start_journalctl(&b, ident);
        run_for(b.event, 3 * USEC_PER_SEC);      /* settle: no fast poll left from earlier lines */

        getrusage(RUSAGE_SELF, &r0);
        j0 = proc_cpu_s(b.jpid);
        run_for(b.event, seconds * USEC_PER_SEC);
        getrusage(RUSAGE_SELF, &r1);
        j1 = proc_cpu_s(b.jpid);
        kill(b.jpid, SIGTERM);
        waitpid(b.jpid, NULL, 0);

        self = (double) (r1.ru_utime.tv_sec - r0.ru_utime.tv_sec + r1.ru_stime.tv_sec - r0.ru_stime.tv_sec) +
                (double) (r1.ru_utime.tv_usec - r0.ru_utime.tv_usec + r1.ru_stime.tv_usec - r0.ru_stime.tv_usec) /
                        1e6;
        journal_follower_get_stats(b.follower, &st);
        printf("idle_seconds=%u\n", seconds);
        printf("idle_pcctl_cpu_percent=%.3f\n", 100.0 * self / seconds);
        printf("idle_journalctl_cpu_percent=%.3f\n", 100.0 * (j1 - j0) / seconds);
        printf("idle_pcctl_wakeups=%" PRIu64 "\nidle_pcctl_polls=%" PRIu64 "\n", st.wakeups, st.polls);
        return 0;
}

int main(int argc, char **argv) {
        if (!realpath("/proc/self/exe", self_exe))
                return 1;
        if (argc >= 4 && strcmp(argv[1], "write") == 0)
                return writer(strtoull(argv[2], NULL, 10), (unsigned) atoi(argv[3]));
        if (argc >= 5 && strcmp(argv[1], "latency") == 0)
                return bench_latency(argv[2], strtoull(argv[3], NULL, 10), (unsigned) atoi(argv[4]));
        if (argc >= 4 && strcmp(argv[1], "throughput") == 0)
                return bench_throughput(argv[2], strtoull(argv[3], NULL, 10));
        if (argc >= 3 && strcmp(argv[1], "idle") == 0)
                return bench_idle((unsigned) atoi(argv[2]));
        fprintf(stderr, "usage: logs-bench latency PCCTL N RATE | throughput PCCTL N | idle SECONDS\n");
        return 2;
}
