/* Probe benchmark: the cost of one check through pcctl's Probe (non-blocking, on sd-event) next to a naive
 * blocking baseline doing the same work in the same run, and how late a 10 ms timer on the same loop fires
 * while many checks are in flight (the "never blocks the loop" property, measured).
 *
 *   probe-bench exec N          N checks of `sh -c true`: Probe vs fork+exec+waitpid
 *   probe-bench http N          N GETs to a local server: Probe vs curl_easy_perform
 *   probe-bench loop P SECONDS [exec|http]
 *                               P probes (half exec `sleep 0.3`, half http, or all of one kind) checking
 *                               every second, and a 10 ms timer: its worst lateness and our CPU time
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <systemd/sd-event.h>

#include "probe/probe.h"
#include "shared/time-util.h"

static unsigned done, ok;

static void on_result(Probe *p, bool is_ok, bool fatal, const char *error, void *userdata) {
        done++;
        ok += is_ok;
}

static int cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
        return x < y ? -1 : x > y;
}

static void report(const char *name, uint64_t *v, unsigned n) {
        uint64_t sum = 0;
        qsort(v, n, sizeof *v, cmp_u64);
        for (unsigned i = 0; i < n; i++)
                sum += v[i];
        printf("%-28s n=%u mean=%.1f us p50=%lu us p99=%lu us\n", name, n, (double) sum / n,
               (unsigned long) v[n / 2], (unsigned long) v[(n * 99) / 100]);
}

static double mean(uint64_t *v, unsigned n) {
        uint64_t sum = 0;
        for (unsigned i = 0; i < n; i++)
                sum += v[i];
        return (double) sum / n;
}

/* One check through a fresh Probe: create, start (initial delay 0), run until the callback, free. */
static uint64_t one_probe_check(sd_event *e, const ProbeConfig *c) {
        Probe *p = NULL;
        unsigned before = done;
        usec_t t0 = now_usec(CLOCK_MONOTONIC);

        if (probe_new(e, c, on_result, NULL, &p) < 0 || probe_start(p) < 0)
                abort();
        while (done == before)
                if (sd_event_run(e, UINT64_MAX) < 0)
                        abort();
        probe_free(p);
        return now_usec(CLOCK_MONOTONIC) - t0;
}

static int bench_exec(unsigned n) {
        char *argv[] = { (char *) "/bin/sh", (char *) "-c", (char *) "true", NULL };
        ProbeConfig c = { .kind = PROBE_EXEC, .argv = argv };
        uint64_t *a = calloc(n, sizeof *a), *b = calloc(n, sizeof *b);
        sd_event *e;

        sd_event_new(&e);
        ok = 0;
        for (unsigned i = 0; i < n; i++)
                a[i] = one_probe_check(e, &c);
        if (ok != n)
                fprintf(stderr, "warning: %u of %u probe checks failed\n", n - ok, n);
        for (unsigned i = 0; i < n; i++) {
                usec_t t0 = now_usec(CLOCK_MONOTONIC);
                pid_t pid = fork();
                int st;
                if (pid == 0) {
                        execv(argv[0], argv);
                        _exit(127);
                }
                waitpid(pid, &st, 0);
                b[i] = now_usec(CLOCK_MONOTONIC) - t0;
        }
        double ma = mean(a, n), mb = mean(b, n);
        report("exec probe (posix_spawn)", a, n);
        report("exec baseline (fork+wait)", b, n);
        printf("exec ratio probe/baseline (mean): %.2f\n", ma / mb);
        sd_event_unref(e);
        free(a);
        free(b);
        return 0;
}

/* A blocking HTTP/1.1 server in a child: "200 OK", then close. */
static pid_t start_server(int *ret_port) {
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t len = sizeof sa;
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        pid_t pid;

        if (fd < 0 || bind(fd, (struct sockaddr *) &sa, sizeof sa) < 0 || listen(fd, 512) < 0 ||
            getsockname(fd, (struct sockaddr *) &sa, &len) < 0)
                abort();
        *ret_port = ntohs(sa.sin_port);
        pid = fork();
        if (pid == 0) {
                static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
                for (;;) {
                        char buf[4096];
                        int c = accept(fd, NULL, NULL);
                        if (c < 0)
                                continue;
                        (void) !read(c, buf, sizeof buf);
                        (void) !write(c, resp, sizeof resp - 1);
                        close(c);
                }
        }
        close(fd);
        return pid;
}

static size_t discard(char *p, size_t s, size_t n, void *u) {
        return s * n;
}

static int bench_http(unsigned n) {
        uint64_t *a = calloc(n, sizeof *a), *b = calloc(n, sizeof *b);
        char url[64];
        sd_event *e;
        int port;
        pid_t srv = start_server(&port);

        ProbeConfig c = { .kind = PROBE_HTTP_GET, .port = port };
        sd_event_new(&e);
        ok = 0;
        for (unsigned i = 0; i < n; i++)
                a[i] = one_probe_check(e, &c);
        if (ok != n)
                fprintf(stderr, "warning: %u of %u probe checks failed\n", n - ok, n);

        snprintf(url, sizeof url, "http://127.0.0.1:%d/", port);
        for (unsigned i = 0; i < n; i++) {
                usec_t t0 = now_usec(CLOCK_MONOTONIC);
                CURL *h = curl_easy_init();
                long code = 0;
                curl_easy_setopt(h, CURLOPT_URL, url);
                curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 1000L);
                curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
                curl_easy_setopt(h, CURLOPT_PROXY, "");
                curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
                if (curl_easy_perform(h) != CURLE_OK ||
                    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code) != CURLE_OK || code != 200)
                        fprintf(stderr, "warning: baseline request failed\n");
                curl_easy_cleanup(h);
                b[i] = now_usec(CLOCK_MONOTONIC) - t0;
        }
        double ma = mean(a, n), mb = mean(b, n);
        report("http probe (multi+sd-event)", a, n);
        report("http baseline (easy_perform)", b, n);
        printf("http ratio probe/baseline (mean): %.2f\n", ma / mb);
        kill(srv, SIGKILL);
        waitpid(srv, NULL, 0);
        sd_event_unref(e);
        free(a);
        free(b);
        return 0;
}

static usec_t tick_due, tick_worst;
static unsigned ticks;

static int on_tick(sd_event_source *s, uint64_t usec, void *userdata) {
        usec_t now = now_usec(CLOCK_MONOTONIC);
        if (tick_due && now > tick_due && now - tick_due > tick_worst)
                tick_worst = now - tick_due;
        ticks++;
        tick_due = now + 10 * USEC_PER_MSEC;
        sd_event_source_set_time(s, tick_due);
        return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

static int bench_loop(unsigned n, unsigned seconds, const char *only) {
        char *argv[] = { (char *) "/bin/sh", (char *) "-c", (char *) "sleep 0.3", NULL };
        Probe **probes = calloc(n, sizeof *probes);
        sd_event_source *tick = NULL;
        struct rusage ru0, ru1, ch0, ch1;
        sd_event *e;
        int port;
        pid_t srv = start_server(&port);

        sd_event_new(&e);
        for (unsigned i = 0; i < n; i++) {
                bool http = only ? strcmp(only, "http") == 0 : i % 2;
                ProbeConfig c = http ? (ProbeConfig) { .kind = PROBE_HTTP_GET, .port = port, .period_seconds = 1 }
                                      : (ProbeConfig) { .kind = PROBE_EXEC, .argv = argv, .period_seconds = 1, .user = getenv("BENCH_USER") };
                if (probe_new(e, &c, on_result, NULL, &probes[i]) < 0 || probe_start(probes[i]) < 0)
                        abort();
        }
        sd_event_add_time_relative(e, &tick, CLOCK_MONOTONIC, 10 * USEC_PER_MSEC, 1, on_tick, NULL);
        getrusage(RUSAGE_SELF, &ru0);
        getrusage(RUSAGE_CHILDREN, &ch0);
        done = ok = 0;
        usec_t end = now_usec(CLOCK_MONOTONIC) + seconds * USEC_PER_SEC;
        for (usec_t t; (t = now_usec(CLOCK_MONOTONIC)) < end;)
                sd_event_run(e, end - t);
        getrusage(RUSAGE_SELF, &ru1);
        getrusage(RUSAGE_CHILDREN, &ch1);
        double self = (ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec + ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) +
                      (ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec + ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec) / 1e6;
        printf("loop: %u probes (%s), %u s: %u checks (%u ok)\n", n,
               only ? (strcmp(only, "http") == 0 ? "all http" : "all exec 'sleep 0.3'") : "half exec 'sleep 0.3', half http",
               seconds, done, ok);
        printf("loop: 10 ms timer fired %u times, worst lateness %.1f ms\n", ticks, tick_worst / 1000.0);
        printf("loop: pcctl-side CPU %.3f s (%.1f%% of one CPU), %.0f us per check\n", self,
               100.0 * self / seconds, done ? self * 1e6 / done : 0);
        (void) ch0;
        (void) ch1;
        for (unsigned i = 0; i < n; i++)
                probe_free(probes[i]);
        sd_event_source_disable_unref(tick);
        kill(srv, SIGKILL);
        waitpid(srv, NULL, 0);
        sd_event_unref(e);
        free(probes);
        return 0;
}

int main(int argc, char **argv) {
        if (argc >= 3 && strcmp(argv[1], "exec") == 0)
                return bench_exec(atoi(argv[2]));
        if (argc >= 3 && strcmp(argv[1], "http") == 0)
                return bench_http(atoi(argv[2]));
        if (argc >= 4 && strcmp(argv[1], "loop") == 0)
                return bench_loop(atoi(argv[2]), atoi(argv[3]), argc >= 5 ? argv[4] : NULL);
        fprintf(stderr, "usage: %s exec N | http N | loop PROBES SECONDS\n", argv[0]);
        return 2;
}
