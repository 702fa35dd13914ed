/* The console of `pcctl up`. See console.h. */
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <sys/stat.h>

#include "core/console.h"
#include "shared/time-util.h"

/* Log lines are collected and written once per loop iteration (a flood of lines costs one write() per batch,
 * not one per line); past this much buffered output they are written at once. */
#define CONSOLE_FLUSH_AT (64U * 1024U)

struct Console {
        sd_event *event;
        sd_event_source *io;
        sd_event_source *defer;      /* the coalesced flush */
        int fd;
        int saved_flags;             /* -1 when the flags were not changed */
        bool color;
        bool status_mode;

        char *buf;
        size_t len, allocated;
        uint64_t dropped;            /* lines dropped because the buffer was full */
        uint64_t dropped_reported;

        char *status;                /* the status line, without newline */
        bool status_shown;           /* the status line is on screen (the cursor is at its end) */
};

int console_name_color(const char *name) {
        uint32_t h = 2166136261u;

        for (const unsigned char *s = (const unsigned char *) name; *s; s++) {
                h ^= *s;
                h *= 16777619u;
        }
        return 90 + (int) (h % 7);
}

static int console_on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        console_flush(userdata);
        return 0;
}

static int console_on_defer(sd_event_source *s, void *userdata) {
        console_flush(userdata);
        return 0;
}

int console_new(sd_event *e, int fd, bool color, bool status, Console **ret) {
        Console *c;
        struct stat st;

        c = new0(Console, 1);
        if (!c)
                return -ENOMEM;
        c->event = sd_event_ref(e);
        c->fd = fd;
        c->saved_flags = -1;
        c->color = color;
        c->status_mode = status;
        if (sd_event_add_defer(e, &c->defer, console_on_defer, c) < 0) {
                sd_event_unref(c->event);
                free(c);
                return -ENOMEM;
        }
        (void) sd_event_source_set_enabled(c->defer, SD_EVENT_OFF);

        /* Regular files and /dev/null never block and cannot be polled: write them directly. Pipes, sockets
         * and terminals go non-blocking. */
        if (fstat(fd, &st) >= 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) || isatty(fd))) {
                int flags = fcntl(fd, F_GETFL);
                if (flags >= 0 && !(flags & O_NONBLOCK) && fcntl(fd, F_SETFL, flags | O_NONBLOCK) >= 0)
                        c->saved_flags = flags;
        }
        *ret = c;
        return 0;
}

Console *console_free(Console *c) {
        if (!c)
                return NULL;
        console_flush(c);            /* what is still buffered, as far as the fd takes it now */
        sd_event_source_disable_unref(c->io);
        sd_event_source_disable_unref(c->defer);
        if (c->saved_flags >= 0)
                (void) fcntl(c->fd, F_SETFL, c->saved_flags);
        sd_event_unref(c->event);
        free(c->buf);
        free(c->status);
        return mfree(c);
}

uint64_t console_dropped(const Console *c) {
        return c ? c->dropped : 0;
}

static bool console_append(Console *c, const char *s, size_t n) {
        if (c->len + n > CONSOLE_BUFFER_MAX)
                return false;
        if (!GREEDY_REALLOC(c->buf, c->allocated, c->len + n))
                return false;
        memcpy(c->buf + c->len, s, n);
        c->len += n;
        return true;
}

static bool console_appendf(Console *c, const char *fmt, ...) _printf_(2, 3);
static bool console_appendf(Console *c, const char *fmt, ...) {
        char tmp[512];
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
        va_end(ap);
        if (n < 0)
                return false;
        return console_append(c, tmp, MIN((size_t) n, sizeof(tmp) - 1));
}

/* Takes the status line off the screen before other output. */
static void console_hide_status(Console *c) {
        if (c->status_shown) {
                (void) console_append(c, "\r\033[K", 4);
                c->status_shown = false;
        }
}

static void console_show_status(Console *c) {
        if (!c->status_mode || !c->status || c->status_shown)
                return;
        if (console_append(c, c->status, strlen(c->status)))
                c->status_shown = true;
}

static void console_report_drops(Console *c) {
        if (c->dropped == c->dropped_reported)
                return;
        if (console_appendf(c, "[pcctl\t] -- %" PRIu64 " lines not shown: the terminal did not keep up --\n",
                            c->dropped - c->dropped_reported))
                c->dropped_reported = c->dropped;
}

/* Writes now when much is buffered, else once the loop has run what is pending (a defer source). While the
 * fd is full the io source writes when it drains. */
static void console_schedule_flush(Console *c) {
        int enabled = SD_EVENT_OFF;

        if (c->io && sd_event_source_get_enabled(c->io, &enabled) >= 0 && enabled != SD_EVENT_OFF)
                return;
        if (c->len >= CONSOLE_FLUSH_AT || sd_event_source_set_enabled(c->defer, SD_EVENT_ONESHOT) < 0)
                console_flush(c);
}

void console_log_line(Console *c, const char *name, const char *line, size_t len, LogStream stream) {
        size_t mark;

        if (!c)
                return;
        console_hide_status(c);
        console_report_drops(c);
        mark = c->len;

        /* strip one trailing newline: the restart marker is a lone "\n" and prints as an empty line */
        if (len > 0 && line[len - 1] == '\n')
                len--;

        if (c->color) {
                if (!console_appendf(c, "\033[1;%dm[%s\t]\033[0m ", console_name_color(name), name))
                        goto drop;
                if (stream == LOG_STREAM_STDERR && !console_append(c, "\033[31m", 5))
                        goto drop;
        } else if (!console_appendf(c, "[%s\t] ", name))
                goto drop;
        if (!console_append(c, line, len))
                goto drop;
        if (c->color && stream == LOG_STREAM_STDERR && !console_append(c, "\033[0m", 4))
                goto drop;
        if (!console_append(c, "\n", 1))
                goto drop;
        console_show_status(c);
        console_schedule_flush(c);
        return;
drop:
        c->len = mark;
        c->dropped++;
}

void console_notice(Console *c, const char *fmt, ...) {
        char tmp[1024];
        va_list ap;
        int n;

        if (!c)
                return;
        va_start(ap, fmt);
        n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
        va_end(ap);
        if (n < 0)
                return;
        console_hide_status(c);
        if (console_append(c, tmp, MIN((size_t) n, sizeof(tmp) - 1)))
                (void) console_append(c, "\n", 1);
        console_show_status(c);
        console_flush(c);
}

void console_set_status(Console *c, const char *status) {
        if (!c || !c->status_mode)
                return;
        if (streq_ptr(c->status, status))
                return;
        if (free_and_strdup(&c->status, status) < 0)
                return;
        console_hide_status(c);
        console_show_status(c);
        console_flush(c);
}

void console_flush(Console *c) {
        if (!c)
                return;
        while (c->len > 0) {
                ssize_t n = write(c->fd, c->buf, c->len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN) {
                                if (!c->io)
                                        (void) sd_event_add_io(c->event, &c->io, c->fd, EPOLLOUT, console_on_io, c);
                                else
                                        (void) sd_event_source_set_enabled(c->io, SD_EVENT_ON);
                                return;
                        }
                        /* EPIPE or worse: nobody reads; forget the output */
                        c->len = 0;
                        break;
                }
                memmove(c->buf, c->buf + n, c->len - (size_t) n);
                c->len -= (size_t) n;
        }
        if (c->io)
                (void) sd_event_source_set_enabled(c->io, SD_EVENT_OFF);
}

void console_drain(Console *c, usec_t timeout) {
        usec_t end = now_usec(CLOCK_MONOTONIC) + timeout;

        if (!c)
                return;
        console_hide_status(c);
        for (;;) {
                usec_t now;
                console_flush(c);
                if (c->len == 0)
                        return;
                now = now_usec(CLOCK_MONOTONIC);
                if (now >= end)
                        return;
                (void) poll(&(struct pollfd) { .fd = c->fd, .events = POLLOUT }, 1,
                            (int) ((end - now) / USEC_PER_MSEC) + 1);
        }
}
