/* WebSocket fan-out benchmark helper (see ws-fanout.sh).
 *
 *   ws-fanout writer SECONDS            print "line-%06d <CLOCK_REALTIME ns>" as fast as possible, one write()
 *                                       per line, for SECONDS (journald blocks it at its own rate)
 *   ws-fanout stdin SECONDS             baseline reader: the same latency figures for lines on stdin (pipe
 *                                       `journalctl -f -o cat` into it)
 *   ws-fanout follow SOCKET NAME ACTIVE STALLED SECONDS
 *                                       open STALLED followers that never read (4 KiB receive buffer) and
 *                                       ACTIVE followers of NAME's log stream (offset=1, follow=true) on the
 *                                       unix socket; read for SECONDS; print one JSON line: frames per active
 *                                       follower (min/median/max), write()->frame latency p50/p99/max over all
 *                                       frames, and how many connections failed.
 * One epoll loop, raw frame parsing (server frames are unmasked): cheap enough for 1000 followers. */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(clockid_t c) {
        struct timespec ts;
        clock_gettime(c, &ts);
        return (uint64_t) ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int writer(double seconds) {
        uint64_t end = now_ns(CLOCK_MONOTONIC) + (uint64_t) (seconds * 1e9);
        char buf[64];

        for (uint64_t i = 0; now_ns(CLOCK_MONOTONIC) < end; i++) {
                int n = snprintf(buf, sizeof(buf), "line-%06" PRIu64 " %" PRIu64 "\n", i, now_ns(CLOCK_REALTIME));
                if (write(STDOUT_FILENO, buf, n) != n)
                        return 1;
        }
        return 0;
}

typedef struct Conn {
        int fd;
        uint8_t *buf;
        size_t len, cap;
        uint64_t frames;
} Conn;

#define HIST_US 60000000u   /* 60 s in µs buckets of 100 µs */
#define HIST_N (HIST_US / 100u)
static uint64_t hist_local[HIST_N + 1];
static uint64_t *hist = hist_local;
static uint64_t hist_total, lat_max_us;

static int connect_ws(const char *sock, const char *name, bool stalled) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        char req[1024], head[4096];
        size_t hl = 0;
        int fd, n;

        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -1;
        if (stalled) {
                int v = 4096;
                (void) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
        }
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                goto fail;
        n = snprintf(req, sizeof(req),
                     "GET /process/logs/ws?name=%s&offset=1&follow=true HTTP/1.1\r\nHost: unix\r\n"
                     "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n", name);
        if (write(fd, req, n) != n)
                goto fail;
        /* read the head byte by byte so no frame byte is consumed here */
        while (hl < sizeof(head) - 1) {
                if (read(fd, head + hl, 1) != 1)
                        goto fail;
                hl++;
                if (hl >= 4 && memcmp(head + hl - 4, "\r\n\r\n", 4) == 0)
                        break;
        }
        head[hl] = 0;
        if (strncmp(head, "HTTP/1.1 101", 12) != 0)
                goto fail;
        (void) fcntl(fd, F_SETFL, O_NONBLOCK);
        return fd;
fail:
        close(fd);
        return -1;
}

static void on_payload(Conn *c, const uint8_t *p, size_t len, uint64_t now) {
        const char *m = memmem(p, len, "\"message\":\"line-", 16);
        const char *sp, *end = (const char *) p + len;
        uint64_t ns = 0;

        if (!m)
                return;
        c->frames++;
        sp = memchr(m + 16, ' ', end - (m + 16));
        if (!sp)
                return;
        for (sp++; sp < end && *sp >= '0' && *sp <= '9'; sp++)
                ns = ns * 10 + (*sp - '0');
        if (ns > 0 && now > ns) {
                uint64_t us = (now - ns) / 1000;
                hist[us / 100 < HIST_N ? us / 100 : HIST_N]++;
                hist_total++;
                if (us > lat_max_us)
                        lat_max_us = us;
        }
}

static void drain(Conn *c) {
        uint64_t now = now_ns(CLOCK_REALTIME);
        size_t off = 0;

        for (;;) {
                uint64_t len;
                size_t h = 2;

                if (c->len - off < 2)
                        break;
                len = c->buf[off + 1] & 0x7f;
                if (len == 126) {
                        if (c->len - off < 4)
                                break;
                        len = ((uint64_t) c->buf[off + 2] << 8) | c->buf[off + 3];
                        h = 4;
                } else if (len == 127) {
                        if (c->len - off < 10)
                                break;
                        len = 0;
                        for (int k = 0; k < 8; k++)
                                len = (len << 8) | c->buf[off + 2 + k];
                        h = 10;
                }
                if (c->len - off < h + len)
                        break;
                if ((c->buf[off] & 0x0f) == 0x1)
                        on_payload(c, c->buf + off + h, len, now);
                off += h + len;
        }
        memmove(c->buf, c->buf + off, c->len - off);
        c->len -= off;
}

static int cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
        return x < y ? -1 : x > y;
}

static double percentile_ms(double q) {
        uint64_t want = (uint64_t) (q * hist_total), acc = 0;

        for (size_t i = 0; i <= HIST_N; i++) {
                acc += hist[i];
                if (acc > want)
                        return i * 0.1;
        }
        return HIST_N * 0.1;
}

/* One worker: its connections, read until the deadline; frame counts into counts[], latencies into hist. */
static int follow_worker(const char *sock, const char *name, int active, int stalled, double seconds,
                         uint64_t *counts, uint64_t *failed_out, int ready_fd) {
        Conn *conns = calloc(active > 0 ? active : 1, sizeof(Conn));
        int ep = epoll_create1(EPOLL_CLOEXEC), failed = 0;
        struct epoll_event evs[256];
        uint64_t end;

        for (int i = 0; i < stalled; i++)
                if (connect_ws(sock, name, true) < 0)   /* kept open, never read */
                        failed++;
        for (int i = 0; i < active; i++) {
                Conn *c = &conns[i];
                c->fd = connect_ws(sock, name, false);
                if (c->fd < 0) {
                        failed++;
                        continue;
                }
                c->cap = 1 << 17;
                c->buf = malloc(c->cap);
                struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
                epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
        }
        if (write(ready_fd, "r", 1) != 1)
                return 1;

        end = now_ns(CLOCK_MONOTONIC) + (uint64_t) (seconds * 1e9);
        while (now_ns(CLOCK_MONOTONIC) < end) {
                int n = epoll_wait(ep, evs, 256, 100);
                for (int i = 0; i < n; i++) {
                        Conn *c = evs[i].data.ptr;
                        for (;;) {
                                ssize_t r;
                                if (c->cap - c->len < 65536) {
                                        c->cap *= 2;
                                        c->buf = realloc(c->buf, c->cap);
                                }
                                r = read(c->fd, c->buf + c->len, c->cap - c->len);
                                if (r <= 0) {
                                        if (r == 0) {
                                                epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
                                                failed++;
                                        }
                                        break;
                                }
                                c->len += r;
                                drain(c);
                        }
                }
        }
        for (int i = 0; i < active; i++)
                counts[i] = conns[i].frames;
        *failed_out = failed;
        return 0;
}

/* Followers spread over up to 4 worker processes, so the reading side is not the bottleneck. */
static int follow(const char *sock, const char *name, int active, int stalled, double seconds) {
        int workers = active >= 4 ? 4 : (active > 0 ? active : 1), pfd[2];
        size_t hist_sz = (size_t) workers * (HIST_N + 1) * sizeof(uint64_t);
        uint64_t *shared_hist, *counts, *failed, *maxes, total = 0, lmax = 0, nfailed = 0;
        char b;

        shared_hist = mmap(NULL, hist_sz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        counts = mmap(NULL, (active + 1) * sizeof(uint64_t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        failed = mmap(NULL, 2 * workers * sizeof(uint64_t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (shared_hist == MAP_FAILED || counts == MAP_FAILED || failed == MAP_FAILED || pipe(pfd) < 0)
                return 1;
        maxes = failed + workers;

        for (int w = 0, first = 0; w < workers; w++) {
                int n = active / workers + (w < active % workers);
                pid_t pid = fork();
                if (pid == 0) {
                        hist = shared_hist + (size_t) w * (HIST_N + 1);
                        follow_worker(sock, name, n, w == 0 ? stalled : 0, seconds, counts + first, &failed[w],
                                      pfd[1]);
                        maxes[w] = lat_max_us;
                        _exit(0);
                }
                first += n;
        }
        for (int w = 0; w < workers; w++)
                if (read(pfd[0], &b, 1) != 1)
                        return 1;
        fprintf(stderr, "connected\n");
        while (wait(NULL) > 0)
                ;

        for (int w = 0; w < workers; w++) {
                for (size_t i = 0; i <= HIST_N; i++)
                        hist_local[i] += shared_hist[(size_t) w * (HIST_N + 1) + i];
                nfailed += failed[w];
                if (maxes[w] > lmax)
                        lmax = maxes[w];
        }
        for (size_t i = 0; i <= HIST_N; i++)
                total += hist_local[i];
        hist = hist_local;
        hist_total = total;
        lat_max_us = lmax;
        qsort(counts, active, sizeof(uint64_t), cmp_u64);
        printf("{\"active\":%d,\"stalled\":%d,\"failed\":%" PRIu64 ",\"min\":%" PRIu64 ",\"median\":%" PRIu64
               ",\"max\":%" PRIu64 ",\"p50_ms\":%.1f,\"p99_ms\":%.1f,\"max_ms\":%.1f,\"samples\":%" PRIu64 "}\n",
               active, stalled, nfailed, active ? counts[0] : 0, active ? counts[active / 2] : 0,
               active ? counts[active - 1] : 0, percentile_ms(0.5), percentile_ms(0.99), lat_max_us / 1000.0,
               hist_total);
        fflush(stdout);
        return 0;
}

static int read_stdin(double seconds) {
        uint64_t end = now_ns(CLOCK_MONOTONIC) + (uint64_t) (seconds * 1e9), lines = 0;
        char line[512];
        Conn c = {};

        (void) fcntl(STDIN_FILENO, F_SETFL, O_NONBLOCK);
        fprintf(stderr, "connected\n");
        while (now_ns(CLOCK_MONOTONIC) < end) {
                struct timespec ts = { 0, 2000000 };
                if (!fgets(line, sizeof(line), stdin)) {
                        clearerr(stdin);
                        nanosleep(&ts, NULL);
                        continue;
                }
                if (strncmp(line, "line-", 5) == 0) {
                        char buf[600];
                        int n = snprintf(buf, sizeof(buf), "{\"message\":\"%.*s\"}", (int) strcspn(line, "\n"),
                                         line);
                        on_payload(&c, (const uint8_t *) buf, n, now_ns(CLOCK_REALTIME));
                        lines++;
                }
        }
        printf("{\"lines\":%" PRIu64 ",\"p50_ms\":%.1f,\"p99_ms\":%.1f}\n", lines, percentile_ms(0.5),
               percentile_ms(0.99));
        return 0;
}

int main(int argc, char **argv) {
        if (argc == 3 && strcmp(argv[1], "stdin") == 0)
                return read_stdin(atof(argv[2]));
        if (argc == 3 && strcmp(argv[1], "writer") == 0)
                return writer(atof(argv[2]));
        if (argc == 7 && strcmp(argv[1], "follow") == 0)
                return follow(argv[2], argv[3], atoi(argv[4]), atoi(argv[5]), atof(argv[6]));
        fprintf(stderr, "usage: ws-fanout writer SECONDS | follow SOCKET NAME ACTIVE STALLED SECONDS\n");
        return 2;
}
