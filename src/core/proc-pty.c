/* The pseudo-terminal of one run of an interactive process: see proc-pty.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <syslog.h>
#include <termios.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>

#include "core/proc-pty.h"
#include "shared/buffer.h"
#include "shared/hex-util.h"
#include "shared/log.h"

#define READ_CHUNK 4096u
#define RESIZE_MAX 10000u

struct ProcPtySub {
        ProcPty *pty;                /* NULL once the terminal was freed */
        ProcPtySub *next, *prev;
        ProcPtyOutputFunc func;
        void *userdata;
};

struct ProcPty {
        sd_event *event;
        char *ident;
        char *ident_field;           /* "SYSLOG_IDENTIFIER=<ident>" */
        int master;
        int terminal;                /* our fd of the terminal side, until the unit has its own */
        char *terminal_path;
        sd_event_source *io;
        sd_event_source *partial_timer;
        bool ended;

        char line[PROC_PTY_LINE_MAX];
        size_t line_len;

        char scrollback[PROC_PTY_SCROLLBACK];
        size_t sb_start, sb_len;     /* a ring */

        Buffer input;                /* what the terminal did not take yet */
        bool stored;                 /* in the fd store under FDNAME=<ident> */

        ProcPtySub *subs;
};

static void pty_notify(ProcPty *t, const void *data, size_t len) {
        ProcPtySub *next;

        for (ProcPtySub *s = t->subs; s; s = next) {
                next = s->next;       /* a callback may free its own subscription */
                s->func(data, len, s->userdata);
        }
}

/* One line to the journal, as the process's own output (priority info; a terminal has no stderr). */
static void pty_log_line(ProcPty *t, const char *p, size_t n) {
        _cleanup_free_ char *m = NULL;
        struct iovec iov[4];

        if (n > 0 && p[n - 1] == '\r')
                n--;
        /* MESSAGE= and the bytes are one field: sd_journal_sendv() takes whole fields, binary-safe */
        m = malloc(STRLEN("MESSAGE=") + n);
        if (!m)
                return;
        memcpy(m, "MESSAGE=", STRLEN("MESSAGE="));
        memcpy(m + STRLEN("MESSAGE="), p, n);
        iov[0] = (struct iovec) { .iov_base = m, .iov_len = STRLEN("MESSAGE=") + n };
        iov[1] = (struct iovec) { .iov_base = t->ident_field, .iov_len = strlen(t->ident_field) };
        iov[2] = (struct iovec) { .iov_base = (char *) "PRIORITY=6", .iov_len = STRLEN("PRIORITY=6") };
        iov[3] = (struct iovec) { .iov_base = (char *) "PCCTL_TERMINAL=1", .iov_len = STRLEN("PCCTL_TERMINAL=1") };
        (void) sd_journal_sendv(iov, ELEMENTSOF(iov));
}

static void pty_flush_line(ProcPty *t) {
        if (t->line_len > 0)
                pty_log_line(t, t->line, t->line_len);
        t->line_len = 0;
        (void) sd_event_source_set_enabled(t->partial_timer, SD_EVENT_OFF);
}

static void pty_split(ProcPty *t, const char *p, size_t n) {
        for (size_t i = 0; i < n; i++) {
                if (p[i] == '\n') {
                        pty_log_line(t, t->line, t->line_len);
                        t->line_len = 0;
                        continue;
                }
                if (t->line_len == sizeof(t->line))
                        pty_flush_line(t);
                t->line[t->line_len++] = p[i];
        }
        if (t->line_len == 0)
                (void) sd_event_source_set_enabled(t->partial_timer, SD_EVENT_OFF);
        else {
                /* logged when the terminal has been quiet for a moment: a prompt waits for input */
                (void) sd_event_source_set_time_relative(t->partial_timer, PROC_PTY_PARTIAL_USEC);
                (void) sd_event_source_set_enabled(t->partial_timer, SD_EVENT_ONESHOT);
        }
}

static void pty_keep(ProcPty *t, const char *p, size_t n) {
        for (size_t i = 0; i < n; i++) {
                size_t at = (t->sb_start + t->sb_len) % sizeof(t->scrollback);

                t->scrollback[at] = p[i];
                if (t->sb_len < sizeof(t->scrollback))
                        t->sb_len++;
                else
                        t->sb_start = (t->sb_start + 1) % sizeof(t->scrollback);
        }
}

char *proc_pty_fdname(const char *ident) {
        char *n = strdup(ident);

        for (char *p = n; p && *p; p++)
                if (*p == '\\')
                        *p = '%';
        return n;
}

static int pty_store_notify(ProcPty *t, const char *what, const int *fd) {
        _cleanup_free_ char *msg = NULL, *name = proc_pty_fdname(t->ident);

        if (!name || asprintf(&msg, "%s=1\nFDNAME=%s", what, name) < 0)
                return -ENOMEM;
        return sd_pid_notify_with_fds(0, false, msg, fd, fd ? 1 : 0);
}

static void pty_end(ProcPty *t) {
        if (t->ended)
                return;
        t->ended = true;
        if (t->stored)
                (void) pty_store_notify(t, "FDSTOREREMOVE", NULL);
        t->stored = false;
        pty_flush_line(t);
        t->io = sd_event_source_disable_unref(t->io);
        t->master = safe_close(t->master);
        buffer_done(&t->input);
        pty_notify(t, NULL, 0);
}

static int pty_flush_input(ProcPty *t) {
        while (t->input.len > 0) {
                ssize_t k = write(t->master, t->input.data, t->input.len);

                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                break;
                        return -errno;
                }
                memmove(t->input.data, t->input.data + k, t->input.len - (size_t) k);
                buffer_truncate(&t->input, t->input.len - (size_t) k);
        }
        return sd_event_source_set_io_events(t->io, EPOLLIN | (t->input.len > 0 ? EPOLLOUT : 0));
}

static int pty_on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        ProcPty *t = userdata;
        char buf[READ_CHUNK];

        if (revents & EPOLLOUT && pty_flush_input(t) < 0) {
                pty_end(t);
                return 0;
        }
        if (!(revents & (EPOLLIN | EPOLLHUP | EPOLLERR)))
                return 0;

        /* a few chunks per dispatch, so one chatty terminal does not starve the loop */
        for (unsigned k = 0; k < 16; k++) {
                ssize_t n = read(t->master, buf, sizeof(buf));

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN)
                        return 0;
                if (n <= 0) {
                        /* EIO: nobody holds the terminal side any more, the run is over */
                        pty_end(t);
                        return 0;
                }
                pty_keep(t, buf, (size_t) n);
                pty_split(t, buf, (size_t) n);
                pty_notify(t, buf, (size_t) n);
        }
        return 0;
}

static int pty_on_partial(sd_event_source *s, uint64_t usec, void *userdata) {
        pty_flush_line(userdata);
        return 0;
}

static int pty_alloc(sd_event *e, const char *ident, ProcPty **ret) {
        _cleanup_(proc_pty_freep) ProcPty *t = NULL;

        t = new0(ProcPty, 1);
        if (!t)
                return -ENOMEM;
        t->master = t->terminal = -EBADF;
        t->event = sd_event_ref(e);
        t->ident = strdup(ident);
        if (!t->ident || asprintf(&t->ident_field, "SYSLOG_IDENTIFIER=%s", ident) < 0)
                return -ENOMEM;
        t->input.max = PROC_PTY_INPUT_MAX;
        *ret = TAKE_PTR(t);
        return 0;
}

static int pty_attach_loop(ProcPty *t) {
        int r;

        r = sd_event_add_io(t->event, &t->io, t->master, EPOLLIN, pty_on_io, t);
        if (r < 0)
                return r;
        r = sd_event_add_time_relative(t->event, &t->partial_timer, CLOCK_MONOTONIC, PROC_PTY_PARTIAL_USEC,
                                       10 * USEC_PER_MSEC, pty_on_partial, t);
        if (r < 0)
                return r;
        return sd_event_source_set_enabled(t->partial_timer, SD_EVENT_OFF);
}

int proc_pty_adopt(sd_event *e, const char *ident, int master_fd, ProcPty **ret) {
        _cleanup_close_ int fd = master_fd;
        _cleanup_(proc_pty_freep) ProcPty *t = NULL;
        int r;

        r = pty_alloc(e, ident, &t);
        if (r < 0)
                return r;
        t->master = TAKE_FD(fd);
        if (fcntl(t->master, F_SETFL, fcntl(t->master, F_GETFL) | O_NONBLOCK) < 0 ||
            fcntl(t->master, F_SETFD, FD_CLOEXEC) < 0)
                return -errno;
        t->stored = true;
        r = pty_attach_loop(t);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(t);
        return 0;
}

int proc_pty_hold_terminal(ProcPty *t) {
        char path[64];
        unsigned n;
        int fd;

        if (!proc_pty_is_open(t))
                return -EPIPE;
        if (t->terminal >= 0)
                return 0;
        if (ioctl(t->master, TIOCGPTN, &n) < 0)
                return -errno;
        /* the master's own peer (Linux 4.13): no path lookup, which could name another terminal */
        fd = ioctl(t->master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        snprintf(path, sizeof(path), "/dev/pts/%u", n);
        free(t->terminal_path);
        t->terminal_path = strdup(path);
        if (!t->terminal_path) {
                safe_close(fd);
                return -ENOMEM;
        }
        t->terminal = fd;
        return 0;
}

int proc_pty_store(ProcPty *t) {
        int r;

        if (!proc_pty_is_open(t) || !getenv("NOTIFY_SOCKET"))
                return 0;
        /* a master a previous controller stored under this name belongs to a run that is over */
        (void) pty_store_notify(t, "FDSTOREREMOVE", NULL);
        r = pty_store_notify(t, "FDSTORE", &t->master);
        if (r > 0)
                t->stored = true;
        return r < 0 ? r : 0;
}

int proc_pty_new(sd_event *e, const char *ident, ProcPty **ret) {
        _cleanup_(proc_pty_freep) ProcPty *t = NULL;
        struct winsize ws = { .ws_col = PROC_PTY_COLS_DEFAULT, .ws_row = PROC_PTY_ROWS_DEFAULT };
        char path[64];
        int r;

        r = pty_alloc(e, ident, &t);
        if (r < 0)
                return r;

        t->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
        if (t->master < 0)
                return -errno;
        if (grantpt(t->master) < 0 || unlockpt(t->master) < 0)
                return -errno;
        r = ptsname_r(t->master, path, sizeof(path));
        if (r != 0)
                return -r;
        t->terminal_path = strdup(path);
        if (!t->terminal_path)
                return -ENOMEM;
        t->terminal = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (t->terminal < 0)
                return -errno;
        /* process-compose's size until a client says otherwise */
        (void) ioctl(t->master, TIOCSWINSZ, &ws);

        r = pty_attach_loop(t);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(t);
        return 0;
}

ProcPty *proc_pty_free(ProcPty *t) {
        if (!t)
                return NULL;
        pty_end(t);
        while (t->subs) {
                ProcPtySub *s = t->subs;

                t->subs = s->next;
                s->pty = NULL;
                s->next = s->prev = NULL;
        }
        sd_event_source_disable_unref(t->partial_timer);
        safe_close(t->terminal);
        free(t->terminal_path);
        free(t->ident);
        free(t->ident_field);
        sd_event_unref(t->event);
        return mfree(t);
}

const char *proc_pty_terminal_path(const ProcPty *t) {
        return t ? t->terminal_path : NULL;
}

int proc_pty_terminal_fd(const ProcPty *t) {
        return t ? t->terminal : -EBADF;
}

void proc_pty_release_terminal(ProcPty *t) {
        if (t)
                t->terminal = safe_close(t->terminal);
}

bool proc_pty_is_open(const ProcPty *t) {
        return t && !t->ended;
}

int proc_pty_write(ProcPty *t, const void *data, size_t len) {
        if (!proc_pty_is_open(t))
                return -EPIPE;
        if (len == 0)
                return 0;
        if (t->input.len + len > PROC_PTY_INPUT_MAX)
                return -ENOBUFS;
        if (buffer_append(&t->input, data, len) < 0) {
                t->input.error = 0;
                return -ENOMEM;
        }
        if (pty_flush_input(t) < 0) {
                pty_end(t);
                return -EPIPE;
        }
        return 0;
}

int proc_pty_resize(ProcPty *t, unsigned cols, unsigned rows) {
        struct winsize ws = { .ws_col = cols, .ws_row = rows };

        if (!proc_pty_is_open(t))
                return -EPIPE;
        if (cols == 0 || rows == 0 || cols > RESIZE_MAX || rows > RESIZE_MAX)
                return -EINVAL;
        return RET_NERRNO(ioctl(t->master, TIOCSWINSZ, &ws));
}

int proc_pty_subscribe(ProcPty *t, ProcPtyOutputFunc func, void *userdata, ProcPtySub **ret) {
        ProcPtySub *s;
        size_t first;

        if (!t || !func || !ret)
                return -EINVAL;
        s = new0(ProcPtySub, 1);
        if (!s)
                return -ENOMEM;
        *s = (ProcPtySub) { .pty = t, .func = func, .userdata = userdata, .next = t->subs };
        if (t->subs)
                t->subs->prev = s;
        t->subs = s;
        *ret = s;

        first = MIN(t->sb_len, sizeof(t->scrollback) - t->sb_start);
        if (first > 0)
                func(t->scrollback + t->sb_start, first, userdata);
        if (t->sb_len > first)
                func(t->scrollback, t->sb_len - first, userdata);
        if (t->ended)
                func(NULL, 0, userdata);
        return 0;
}

ProcPtySub *proc_pty_sub_free(ProcPtySub *s) {
        if (!s)
                return NULL;
        if (s->pty) {
                if (s->prev)
                        s->prev->next = s->next;
                else
                        s->pty->subs = s->next;
                if (s->next)
                        s->next->prev = s->prev;
        }
        return mfree(s);
}

int proc_pty_sub_write(ProcPtySub *s, const void *data, size_t len) {
        return s ? proc_pty_write(s->pty, data, len) : -EINVAL;
}

int proc_pty_sub_resize(ProcPtySub *s, unsigned cols, unsigned rows) {
        return s ? proc_pty_resize(s->pty, cols, rows) : -EINVAL;
}

size_t proc_pty_unescape_keys(const char *keys, char *ret) {
        size_t n = 0;

        for (const char *p = keys; *p; p++) {
                char c = 0;

                if (*p != '\\' || !p[1]) {
                        ret[n++] = *p;
                        continue;
                }
                switch (p[1]) {
                case '\\': c = '\\'; break;
                case 'n': c = '\n'; break;
                case 'r': c = '\r'; break;
                case 't': c = '\t'; break;
                case 'b': c = '\b'; break;
                case 'f': c = '\f'; break;
                case 'v': c = '\v'; break;
                case 'a': c = '\a'; break;
                case 'e': c = 0x1b; break;
                case '0': c = 0; break;
                case 'x':
                case 'X':
                        /* two hex digits, else the backslash stays literal */
                        if (p[2] && p[3] && unhexchar(p[2]) >= 0 && unhexchar(p[3]) >= 0) {
                                ret[n++] = (char) (unhexchar(p[2]) << 4 | unhexchar(p[3]));
                                p += 3;
                                continue;
                        }
                        ret[n++] = *p;
                        continue;
                default:
                        ret[n++] = *p;
                        continue;
                }
                ret[n++] = c;
                p++;
        }
        return n;
}
