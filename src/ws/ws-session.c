/* A WebSocket session on the sd-event loop (see ws-session.h). */
#include <errno.h>
#include <limits.h>
#include <linux/sockios.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>

#include <wslay/wslay.h>

#include "shared/event-util.h"
#include "shared/log.h"
#include "ws/ws-session.h"

/* Client mode hands its (rare) data messages to wslay's event queue, which copies every payload and cannot be
 * pruned; we feed it only this many at a time, the rest waits in our bounded queue (style.md §0.2). */
#define WSLAY_FEED_MAX 4u
/* Output buffer: frames are encoded into it, header and payload, and it goes out in one send() when full or
 * when nothing more is waiting. At ~100 bytes per log line that is one system call per ~650 lines; only the
 * pages a session has used are resident, so 1000 quiet sessions cost far less than 64 MiB. */
#define OBUF_SIZE (64u * 1024u)
/* Work done per dispatch before yielding to other sources, for fairness between sessions. */
#define PUMP_BUDGET_BYTES (256u * 1024u)

struct WsSession {
        sd_event *event;
        int fd;
        uint64_t id;
        WsSessionConfig config;
        const WsSessionOps *ops;
        void *userdata;
        void (*release)(void *ctx);
        void *release_ctx;

        wslay_event_context_ptr ctx;
        wslay_frame_context_ptr fctx;  /* server mode: our data frames, framed by wslay's frame layer */
        WsQueue queue;
        WsFrame *cur;                /* the data frame being encoded into obuf */
        size_t cur_off;              /* payload bytes of cur already encoded */

        uint8_t *extra_in;
        size_t extra_in_size, extra_in_off;

        uint8_t *obuf;
        size_t obuf_off, obuf_len;

        sd_event_source *io, *stall_timer, *ping_timer, *close_timer, *kick, *reap;
        uint32_t io_events;

        usec_t last_progress;        /* the peer last took something */
        uint64_t bytes_sent;
        int outq;                    /* SIOCOUTQ after our last send or check; -1: not measurable */
        bool pending;                /* output waiting, ours or the kernel's: stall timer armed */
        bool fill_more;
        bool filling;                /* inside ops->fill: queued frames need no kick, the pump goes on */
        bool closing;
        bool close_queued;
        uint16_t close_code;
        char close_reason[124];
        bool peer_gone;
        bool alive;                  /* the peer sent something since the last ping */
        bool ping_outstanding;
        bool dead;
        WsSessionEnd end;
};

static uint64_t session_counter;

static const char *const session_end_table[_WS_END_MAX] = {
        [WS_END_CLOSED] = "closed",
        [WS_END_PEER_GONE] = "peer-gone",
        [WS_END_WRITE_STALL] = "write-stall",
        [WS_END_OVERFLOW] = "overflow",
        [WS_END_PROTOCOL] = "protocol-error",
        [WS_END_PING_TIMEOUT] = "ping-timeout",
        [WS_END_ABORTED] = "aborted",
        [WS_END_ERROR] = "error",
};

const char *ws_session_end_to_string(WsSessionEnd e) {
        if (e < 0 || e >= _WS_END_MAX)
                return NULL;
        return session_end_table[e];
}

void ws_session_config_defaults(WsSessionConfig *c) {
        *c = (WsSessionConfig) {
                .write_timeout = WS_SESSION_DEFAULT_WRITE_TIMEOUT,
                .ping_interval = WS_SESSION_DEFAULT_PING_INTERVAL,
                .close_timeout = WS_SESSION_DEFAULT_CLOSE_TIMEOUT,
                .queue_max_bytes = WS_QUEUE_DEFAULT_BYTES,
                .queue_max_frames = WS_QUEUE_DEFAULT_FRAMES,
                .max_message_size = WS_SESSION_DEFAULT_MAX_MESSAGE,
                .policy = WS_QUEUE_DROP,
        };
}

static usec_t session_now(WsSession *s) {
        return event_now(s->event, CLOCK_MONOTONIC);
}

static void session_end(WsSession *s, WsSessionEnd why) {
        if (s->dead)
                return;
        s->dead = true;
        s->end = why;
        (void) sd_event_source_set_enabled(s->io, SD_EVENT_OFF);
        (void) sd_event_source_set_enabled(s->stall_timer, SD_EVENT_OFF);
        (void) sd_event_source_set_enabled(s->ping_timer, SD_EVENT_OFF);
        (void) sd_event_source_set_enabled(s->close_timer, SD_EVENT_OFF);
        (void) sd_event_source_set_enabled(s->kick, SD_EVENT_OFF);
        (void) sd_event_source_set_enabled(s->reap, SD_EVENT_ONESHOT);
}

/* wslay callbacks */

static ssize_t recv_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags, void *userdata) {
        WsSession *s = userdata;
        ssize_t n;

        if (s->extra_in_off < s->extra_in_size) {
                n = MIN(len, s->extra_in_size - s->extra_in_off);
                memcpy(buf, s->extra_in + s->extra_in_off, n);
                s->extra_in_off += n;
                if (s->extra_in_off == s->extra_in_size) {
                        s->extra_in = mfree(s->extra_in);
                        s->extra_in_off = s->extra_in_size = 0;
                }
                s->alive = true;
                return n;
        }

        do
                n = recv(s->fd, buf, len, MSG_DONTWAIT);
        while (n < 0 && errno == EINTR);
        if (n < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK) {
                        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
                        return -1;
                }
                s->peer_gone = true;
                wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
                return -1;
        }
        if (n == 0) {
                /* EOF without a close frame: the peer is gone (wslay's example does the same). */
                s->peer_gone = true;
                wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
                return -1;
        }
        s->alive = true;
        return n;
}

/* Bytes the peer has not taken yet, on the socket itself. On TCP, SIOCOUTQ counts what the peer's kernel has
 * not acknowledged: a peer that does not read closes its receive window, and the count stops shrinking. On a
 * unix stream socket our sent data sits in the peer's receive queue, charged to our socket until the peer
 * reads it (SIOCOUTQ is that charge, in memory bytes): it shrinks exactly when the peer's program reads. */
static int session_outq(WsSession *s, int *ret) {
        int v;

        if (ioctl(s->fd, SIOCOUTQ, &v) < 0)
                return -errno;
        *ret = MAX(v, 0);
        return 0;
}

/* Progress is the peer taking bytes: the kernel's send queue shrank since our last send or check. */
static void session_check_progress(WsSession *s) {
        int q = 0;

        if (s->outq < 0 || session_outq(s, &q) < 0)
                return;
        if (q < s->outq)
                s->last_progress = session_now(s);
        s->outq = q;
}

/* Sends what the output buffer holds. Returns 1 when it is empty, 0 when the socket would block, or a
 * negative errno when the peer is gone. */
static int obuf_flush(WsSession *s) {
        uint64_t sent = s->bytes_sent;

        if (s->obuf_off < s->obuf_len)
                session_check_progress(s);
        while (s->obuf_off < s->obuf_len) {
                ssize_t n;

                n = send(s->fd, s->obuf + s->obuf_off, s->obuf_len - s->obuf_off, MSG_NOSIGNAL | MSG_DONTWAIT);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN || errno == EWOULDBLOCK)
                                break;
                        s->peer_gone = true;
                        return -errno;
                }
                s->obuf_off += n;
                s->bytes_sent += n;
                if (s->outq < 0)
                        /* Not measurable on this fd: the socket taking bytes is the only signal. */
                        s->last_progress = session_now(s);
        }
        if (s->bytes_sent != sent && s->outq >= 0)
                /* What we just added is not the peer's progress: measure from here. */
                (void) session_outq(s, &s->outq);

        if (s->obuf_off == s->obuf_len) {
                s->obuf_off = s->obuf_len = 0;
                return 1;
        }
        if (s->obuf_off > 0) {
                memmove(s->obuf, s->obuf + s->obuf_off, s->obuf_len - s->obuf_off);
                s->obuf_len -= s->obuf_off;
                s->obuf_off = 0;
        }
        return 0;
}

static ssize_t send_cb(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags, void *userdata) {
        WsSession *s = userdata;
        size_t n;

        if (s->obuf_len == OBUF_SIZE) {
                int r = obuf_flush(s);
                if (r < 0) {
                        wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
                        return -1;
                }
                if (s->obuf_len == OBUF_SIZE) {
                        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
                        return -1;
                }
        }

        n = MIN(len, OBUF_SIZE - s->obuf_len);
        memcpy(s->obuf + s->obuf_len, data, n);
        s->obuf_len += n;
        return (ssize_t) n;
}

/* wslay's frame layer writes our data frames' headers and payloads here. Returning 0 makes wslay_frame_send()
 * report WSLAY_ERR_WANT_WRITE, with its position kept for the next call. */
static ssize_t frame_send_cb(const uint8_t *data, size_t len, int flags, void *userdata) {
        WsSession *s = userdata;
        size_t n = MIN(len, OBUF_SIZE - s->obuf_len);

        memcpy(s->obuf + s->obuf_len, data, n);
        s->obuf_len += n;
        return (ssize_t) n;
}

static int genmask_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, void *userdata) {
        if (getrandom(buf, len, 0) != (ssize_t) len) {
                wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
                return -1;
        }
        return 0;
}

static void msg_recv_cb(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *arg,
                        void *userdata) {
        WsSession *s = userdata;

        s->alive = true;
        if (wslay_is_ctrl_frame(arg->opcode))
                return;   /* ping/pong/close are handled by wslay */
        if (s->ops && s->ops->message && !s->dead)
                s->ops->message(s, arg->opcode, arg->msg, arg->msg_length, s->userdata);
}

static const struct wslay_event_callbacks session_callbacks = {
        .recv_callback = recv_cb,
        .send_callback = send_cb,
        .genmask_callback = genmask_cb,
        .on_msg_recv_callback = msg_recv_cb,
};

static const struct wslay_frame_callbacks frame_callbacks = {
        .send_callback = frame_send_cb,
};

/* Output handling */

static void feed_wslay(WsSession *s) {
        while (wslay_event_get_queued_msg_count(s->ctx) < WSLAY_FEED_MAX) {
                _cleanup_(ws_frame_unrefp) WsFrame *f = ws_queue_pop(&s->queue);
                struct wslay_event_msg m;
                int r;

                if (!f)
                        break;
                m = (struct wslay_event_msg) { .opcode = f->opcode, .msg = f->data, .msg_length = f->len };
                r = wslay_event_queue_msg(s->ctx, &m);
                if (r == WSLAY_ERR_NO_MORE_MSG) {
                        /* A close frame is queued or sent: nothing more goes out. */
                        ws_queue_done(&s->queue);
                        break;
                }
                if (r < 0) {
                        session_end(s, WS_END_ERROR);
                        return;
                }
        }
}

/* Our close frame goes to wslay once every data frame before it is out of our hands. */
static void queue_close_if_due(WsSession *s) {
        int r;

        if (!s->closing || s->close_queued || s->cur || !ws_queue_is_empty(&s->queue) ||
            wslay_event_get_queued_msg_count(s->ctx) > 0)
                return;
        r = wslay_event_queue_close(s->ctx, s->close_code, (const uint8_t *) s->close_reason,
                                    strlen(s->close_reason));
        s->close_queued = true;
        if (r == 0 && s->config.close_timeout > 0) {
                (void) sd_event_source_set_time_relative(s->close_timer, s->config.close_timeout);
                (void) sd_event_source_set_enabled(s->close_timer, SD_EVENT_ONESHOT);
        }
}

/* Encodes what is waiting into the output buffer until it is full: wslay's own frames (pong, ping, close) go
 * between whole data frames, never inside one; data frames are framed by wslay's frame layer straight from
 * the (shared) queued frame into the buffer, the payload's only copy per session. In client mode data
 * frames go through wslay's event queue, which masks them. Returns 1 when the buffer is full with more to
 * encode, 0 when everything waiting is in the buffer, a negative errno on failure. */
static int session_encode(WsSession *s) {
        for (;;) {
                struct wslay_frame_iocb iocb;
                ssize_t n;

                if (!s->cur) {
                        if (s->config.client) {
                                feed_wslay(s);
                                if (s->dead)
                                        return -ENOMEM;
                        }
                        queue_close_if_due(s);
                        if (wslay_event_want_write(s->ctx)) {
                                if (wslay_event_send(s->ctx) < 0)
                                        return s->peer_gone ? -EPIPE : -EIO;
                                if (wslay_event_want_write(s->ctx))
                                        return 1;
                                if (s->config.client)
                                        continue;
                        }
                        if (s->config.client)
                                return 0;
                        if (!wslay_event_get_write_enabled(s->ctx)) {
                                /* Our close frame (or the answer to the peer's) is out: nothing follows it. */
                                ws_queue_done(&s->queue);
                                return 0;
                        }
                        s->cur = ws_queue_pop(&s->queue);
                        if (!s->cur)
                                return 0;
                        s->cur_off = 0;
                }

                iocb = (struct wslay_frame_iocb) {
                        .fin = 1,
                        .opcode = s->cur->opcode,
                        .payload_length = s->cur->len,
                        .data = s->cur->data + s->cur_off,
                        .data_length = s->cur->len - s->cur_off,
                };
                n = wslay_frame_send(s->fctx, &iocb);
                if (n == WSLAY_ERR_WANT_WRITE)
                        return 1;
                if (n < 0)
                        return -EINVAL;
                s->cur_off += n;
                if (s->cur_off < s->cur->len)
                        return 1;
                s->cur = ws_frame_unref(s->cur);
        }
}

static bool output_pending(WsSession *s) {
        if (!wslay_event_get_write_enabled(s->ctx))
                return s->obuf_len > s->obuf_off;
        return wslay_event_want_write(s->ctx) || s->obuf_len > s->obuf_off || s->cur ||
                !ws_queue_is_empty(&s->queue);
}

/* How often a session with bytes pending checks the socket for the peer's progress: an eviction comes at most
 * this much after write_timeout has passed since the peer's last read. */
static usec_t stall_check_interval(const WsSession *s) {
        return CLAMP(s->config.write_timeout / 4, 10 * USEC_PER_MSEC, WS_SESSION_STALL_CHECK_MAX);
}

static void stall_timer_arm(WsSession *s) {
        usec_t now = session_now(s), deadline = s->last_progress + s->config.write_timeout;

        /* Without a measure on the socket, the deadline only moves when the socket takes bytes, which the
         * handler sees; with one, the socket is looked at every interval. */
        if (s->outq >= 0)
                deadline = MIN(deadline, now + stall_check_interval(s));
        (void) sd_event_source_set_time(s->stall_timer, deadline);
        (void) sd_event_source_set_enabled(s->stall_timer, SD_EVENT_ONESHOT);
}

static void update_stall_timer(WsSession *s, bool pending) {
        if (pending == s->pending)
                return;
        s->pending = pending;
        if (!pending || s->config.write_timeout == 0) {
                (void) sd_event_source_set_enabled(s->stall_timer, SD_EVENT_OFF);
                return;
        }
        /* Output became pending now: the clock of the write deadline starts here. */
        s->last_progress = session_now(s);
        stall_timer_arm(s);
}

static void session_update(WsSession *s) {
        bool want_read, pending;
        uint32_t events;

        if (s->dead)
                return;

        want_read = wslay_event_want_read(s->ctx);
        pending = output_pending(s);

        if (!want_read && !pending) {
                uint16_t sent = ws_session_close_code_sent(s);

                if (s->peer_gone)
                        session_end(s, WS_END_PEER_GONE);
                else if (sent == WSLAY_CODE_PROTOCOL_ERROR || sent == WSLAY_CODE_MESSAGE_TOO_BIG ||
                         sent == WSLAY_CODE_INVALID_FRAME_PAYLOAD_DATA || sent == WSLAY_CODE_NO_STATUS_RCVD)
                        session_end(s, wslay_event_get_close_received(s->ctx) ? WS_END_CLOSED : WS_END_PROTOCOL);
                else
                        session_end(s, WS_END_CLOSED);
                return;
        }

        events = (want_read ? EPOLLIN : 0) | (pending ? EPOLLOUT : 0);
        /* Bytes in the kernel's send queue are pending too: a peer that takes nothing of them is stalled even
         * when the socket still has room (a slow producer never fills it). */
        pending = pending || s->outq > 0;
        if (events != s->io_events) {
                if (sd_event_source_set_io_events(s->io, events) < 0) {
                        session_end(s, WS_END_ERROR);
                        return;
                }
                s->io_events = events;
        }
        update_stall_timer(s, pending);
}

/* Moves data from the producer to the socket until the socket is full, nothing is left, or the budget for
 * one dispatch is spent: fill the queue, encode it into the output buffer, send() the buffer, again. */
static void session_pump(WsSession *s) {
        uint64_t start = s->bytes_sent;
        unsigned iterations = 0;

        while (!s->dead) {
                uint64_t before = s->bytes_sent;
                bool more;
                int r;

                if (!s->closing && s->ops && s->ops->fill && wslay_event_get_write_enabled(s->ctx) &&
                    ws_session_has_room(s, 0)) {
                        s->filling = true;
                        r = s->ops->fill(s, s->userdata);
                        s->filling = false;
                        s->fill_more = r > 0;
                        if (s->dead)
                                return;
                }

                r = session_encode(s);
                if (r < 0) {
                        session_end(s, r == -EPIPE ? WS_END_PEER_GONE : WS_END_ERROR);
                        return;
                }
                more = r > 0;

                r = obuf_flush(s);
                if (r < 0) {
                        session_end(s, WS_END_PEER_GONE);
                        return;
                }
                if (r == 0)
                        break;   /* the socket is full: EPOLLOUT brings us back */

                if (!more && !(s->fill_more && !s->closing && wslay_event_get_write_enabled(s->ctx)) &&
                    !(s->closing && !s->close_queued))
                        break;   /* everything is on the socket */
                if (!more && s->bytes_sent == before && ws_queue_is_empty(&s->queue) && !s->cur)
                        break;   /* fill promised more but produced nothing: wait for the next kick */
                if (s->bytes_sent - start >= PUMP_BUDGET_BYTES || ++iterations >= 1024) {
                        /* Yield to other sessions; continue on the next iteration. */
                        (void) sd_event_source_set_enabled(s->kick, SD_EVENT_ONESHOT);
                        break;
                }
        }

        session_update(s);
}

static void session_recv(WsSession *s) {
        int r;

        if (!wslay_event_want_read(s->ctx))
                return;
        r = wslay_event_recv(s->ctx);
        if (r < 0 && s->peer_gone)
                session_end(s, WS_END_PEER_GONE);
        else if (r == WSLAY_ERR_NOMEM)
                session_end(s, WS_END_ERROR);
        /* Other failures are frame-level protocol errors: wslay queued a close frame, pump sends it. */
}

/* Event sources */

static int io_handler(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        WsSession *s = userdata;

        if (revents & (EPOLLIN | EPOLLHUP | EPOLLERR))
                session_recv(s);
        if (!s->dead && (revents & (EPOLLHUP | EPOLLERR)) && !wslay_event_want_read(s->ctx)) {
                /* Not reading any more and the socket reports an error or hang-up: nobody will read what we
                 * still have. */
                s->peer_gone = true;
                session_end(s, WS_END_PEER_GONE);
        }
        if (!s->dead)
                session_pump(s);
        return 0;
}

static int kick_handler(sd_event_source *src, void *userdata) {
        WsSession *s = userdata;

        if (s->extra_in)
                session_recv(s);
        if (!s->dead)
                session_pump(s);
        return 0;
}

/* A close frame on the socket, if we are between two frames: the peer that wakes up later learns why. */
static void send_close_frame_now(WsSession *s, uint16_t code, const char *reason) {
        uint8_t f[2 + 2 + 123];
        size_t rl = MIN(strlen(reason), (size_t) 123);

        if (s->config.client || s->obuf_len > s->obuf_off || s->cur || wslay_event_want_write(s->ctx) ||
            wslay_event_get_close_sent(s->ctx))
                return;
        f[0] = 0x80 | WS_OP_CLOSE;
        f[1] = (uint8_t) (2 + rl);
        f[2] = code >> 8;
        f[3] = code & 0xff;
        memcpy(f + 4, reason, rl);
        (void) send(s->fd, f, 4 + rl, MSG_NOSIGNAL | MSG_DONTWAIT);
}

static int stall_handler(sd_event_source *src, usec_t usec, void *userdata) {
        WsSession *s = userdata;
        usec_t now = session_now(s);

        if (s->dead || !s->pending)
                return 0;
        session_check_progress(s);
        if (!output_pending(s) && s->outq == 0) {
                /* The peer took everything. */
                s->pending = false;
                return 0;
        }
        if (now >= s->last_progress + s->config.write_timeout) {
                /* Best effort, as nothing may be read any more: the fd is closed right after. */
                send_close_frame_now(s, WS_CLOSE_WRITE_STALL, "write timeout: the client stopped reading");
                session_end(s, WS_END_WRITE_STALL);
                return 0;
        }
        /* Progress happened meanwhile, or the next check is due. */
        stall_timer_arm(s);
        return 0;
}

static int ping_handler(sd_event_source *src, usec_t usec, void *userdata) {
        WsSession *s = userdata;
        struct wslay_event_msg m = { .opcode = WSLAY_PING, .msg = (const uint8_t *) "pcctl", .msg_length = 5 };

        if (s->dead)
                return 0;
        if (s->ping_outstanding && !s->alive) {
                session_end(s, WS_END_PING_TIMEOUT);
                return 0;
        }
        s->alive = false;
        s->ping_outstanding = true;
        if (wslay_event_get_write_enabled(s->ctx) && !s->close_queued)
                (void) wslay_event_queue_msg(s->ctx, &m);
        (void) sd_event_source_set_time_relative(src, s->config.ping_interval);
        (void) sd_event_source_set_enabled(src, SD_EVENT_ONESHOT);
        session_pump(s);
        return 0;
}

static int close_timeout_handler(sd_event_source *src, usec_t usec, void *userdata) {
        WsSession *s = userdata;

        /* We sent our close frame and the peer did not answer in time. */
        session_end(s, WS_END_CLOSED);
        return 0;
}

static int reap_handler(sd_event_source *src, void *userdata) {
        WsSession *s = userdata;

        if (s->ops && s->ops->finished)
                s->ops->finished(s, s->end, s->userdata);
        else
                ws_session_free(s);
        return 0;
}

int ws_session_new(sd_event *e, int fd, const void *extra_in, size_t extra_in_size, const WsSessionConfig *c,
                   const WsSessionOps *ops, void *userdata, void (*release)(void *ctx), void *release_ctx,
                   WsSession **ret) {
        _cleanup_(ws_session_freep) WsSession *s = NULL;
        WsSessionConfig defaults;
        int r;

        if (!e || fd < 0 || !ret || (extra_in_size > 0 && !extra_in))
                return -EINVAL;
        if (!c) {
                ws_session_config_defaults(&defaults);
                c = &defaults;
        }

        s = new0(WsSession, 1);
        if (!s)
                return -ENOMEM;
        *s = (WsSession) {
                .event = sd_event_ref(e),
                .fd = fd,
                .id = ++session_counter,
                .config = *c,
                .ops = ops,
                .userdata = userdata,
                .release = release,
                .release_ctx = release_ctx,
                .alive = true,
        };
        ws_queue_init(&s->queue, c->queue_max_frames, c->queue_max_bytes, c->policy);
        if (c->send_buffer > 0) {
                /* A fixed kernel buffer, so that a slow reader overflows our own bounded queue (which drops
                 * lines and says so in band) rather than pinning megabytes of autotuned kernel memory. */
                int v = (int) MIN(c->send_buffer, (size_t) INT_MAX / 2);

                (void) setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof v);
        }
        if (session_outq(s, &s->outq) < 0)
                s->outq = -1;

        s->obuf = malloc(OBUF_SIZE);
        if (!s->obuf)
                return -ENOMEM;
        if (extra_in_size > 0) {
                s->extra_in = malloc(extra_in_size);
                if (!s->extra_in)
                        return -ENOMEM;
                memcpy(s->extra_in, extra_in, extra_in_size);
                s->extra_in_size = extra_in_size;
        }

        r = c->client ? wslay_event_context_client_init(&s->ctx, &session_callbacks, s)
                      : wslay_event_context_server_init(&s->ctx, &session_callbacks, s);
        if (r != 0)
                return -ENOMEM;
        if (!c->client && wslay_frame_context_init(&s->fctx, &frame_callbacks, s) != 0)
                return -ENOMEM;
        wslay_event_config_set_max_recv_msg_length(s->ctx, c->max_message_size > 0 ? c->max_message_size
                                                                                  : WS_SESSION_DEFAULT_MAX_MESSAGE);

        r = sd_event_add_io(e, &s->io, fd, EPOLLIN, io_handler, s);
        if (r < 0)
                return r;
        s->io_events = EPOLLIN;
        r = sd_event_add_time(e, &s->stall_timer, CLOCK_MONOTONIC, USEC_INFINITY, 10 * USEC_PER_MSEC,
                              stall_handler, s);
        if (r < 0)
                return r;
        (void) sd_event_source_set_enabled(s->stall_timer, SD_EVENT_OFF);
        r = sd_event_add_time(e, &s->close_timer, CLOCK_MONOTONIC, USEC_INFINITY, 100 * USEC_PER_MSEC,
                              close_timeout_handler, s);
        if (r < 0)
                return r;
        (void) sd_event_source_set_enabled(s->close_timer, SD_EVENT_OFF);
        if (c->ping_interval > 0)
                r = sd_event_add_time_relative(e, &s->ping_timer, CLOCK_MONOTONIC, c->ping_interval,
                                               USEC_PER_SEC / 10, ping_handler, s);
        else
                r = sd_event_add_time(e, &s->ping_timer, CLOCK_MONOTONIC, USEC_INFINITY, 0, ping_handler, s);
        if (r < 0)
                return r;
        if (c->ping_interval == 0)
                (void) sd_event_source_set_enabled(s->ping_timer, SD_EVENT_OFF);
        r = sd_event_add_defer(e, &s->kick, kick_handler, s);
        if (r < 0)
                return r;
        /* Run once at start: consume extra_in, send what the producer has. */
        (void) sd_event_source_set_enabled(s->kick, SD_EVENT_ONESHOT);
        r = sd_event_add_defer(e, &s->reap, reap_handler, s);
        if (r < 0)
                return r;
        (void) sd_event_source_set_enabled(s->reap, SD_EVENT_OFF);
        /* Normal priority, not idle: under a log flood the loop is never idle, and an idle-priority reaper
         * would keep an evicted session's socket open indefinitely. */

        *ret = TAKE_PTR(s);
        return 0;
}

WsSession *ws_session_free(WsSession *s) {
        if (!s)
                return NULL;

        s->io = sd_event_source_disable_unref(s->io);
        s->stall_timer = sd_event_source_disable_unref(s->stall_timer);
        s->ping_timer = sd_event_source_disable_unref(s->ping_timer);
        s->close_timer = sd_event_source_disable_unref(s->close_timer);
        s->kick = sd_event_source_disable_unref(s->kick);
        s->reap = sd_event_source_disable_unref(s->reap);
        if (s->ctx)
                wslay_event_context_free(s->ctx);
        if (s->fctx)
                wslay_frame_context_free(s->fctx);
        ws_frame_unref(s->cur);
        ws_queue_done(&s->queue);
        free(s->obuf);
        free(s->extra_in);

        if (s->fd >= 0) {
                /* End the connection now, whatever the owner of the fd does with it later: MHD may keep an
                 * upgraded socket until its own timeout, and a peer that is not reading must not hold it. */
                (void) shutdown(s->fd, SHUT_RDWR);
                if (s->release)
                        s->release(s->release_ctx);
                else
                        safe_close(s->fd);
        }
        sd_event_unref(s->event);
        return mfree(s);
}

int ws_session_queue_frame(WsSession *s, WsFrame *f) {
        int r;

        if (!s || !f) {
                ws_frame_unref(f);
                return -EINVAL;
        }
        if (s->dead || s->closing || !wslay_event_get_write_enabled(s->ctx)) {
                ws_frame_unref(f);
                return -ESHUTDOWN;
        }
        r = ws_queue_push_frame(&s->queue, f);
        if (r == -ENOBUFS && s->queue.policy == WS_QUEUE_DISCONNECT) {
                session_end(s, WS_END_OVERFLOW);
                return r;
        }
        if (r >= 0 && !s->filling)
                ws_session_kick(s);
        return r;
}

int ws_session_queue_frame_force(WsSession *s, WsFrame *f) {
        int r;

        if (!s || !f) {
                ws_frame_unref(f);
                return -EINVAL;
        }
        if (s->dead || s->closing || !wslay_event_get_write_enabled(s->ctx)) {
                ws_frame_unref(f);
                return -ESHUTDOWN;
        }
        r = ws_queue_push_frame_force(&s->queue, f);
        if (r < 0)
                return r;
        ws_session_kick(s);
        return 0;
}

int ws_session_queue(WsSession *s, uint8_t opcode, const void *data, size_t len) {
        WsFrame *f;

        if (!s)
                return -EINVAL;
        f = ws_frame_new(opcode, len);
        if (!f)
                return -ENOMEM;
        if (len > 0)
                memcpy(f->data, data, len);
        return ws_session_queue_frame(s, f);
}

bool ws_session_has_room(const WsSession *s, size_t len) {
        return s && !s->dead && ws_queue_has_room(&s->queue, len);
}

void ws_session_kick(WsSession *s) {
        if (!s || s->dead)
                return;
        (void) sd_event_source_set_enabled(s->kick, SD_EVENT_ONESHOT);
}

void ws_session_pump(WsSession *s) {
        if (!s || s->dead || s->extra_in)
                return;   /* extra_in: the first kick has not run yet; it consumes it, then pumps */
        if (s->io_events & EPOLLOUT)
                return;   /* the socket is full: EPOLLOUT pumps when it drains, no send() to fail now */
        (void) sd_event_source_set_enabled(s->kick, SD_EVENT_OFF);
        session_pump(s);
}

int ws_session_close(WsSession *s, uint16_t code, const char *reason) {
        if (!s)
                return -EINVAL;
        if (s->dead)
                return -ESHUTDOWN;
        if (s->closing)
                return 0;
        s->closing = true;
        s->close_code = code;
        snprintf(s->close_reason, sizeof(s->close_reason), "%s", strempty(reason));
        ws_session_kick(s);
        return 0;
}

void ws_session_abort(WsSession *s, WsSessionEnd why) {
        if (!s)
                return;
        session_end(s, why);
}

uint64_t ws_session_get_id(const WsSession *s) {
        return s ? s->id : 0;
}

int ws_session_get_fd(const WsSession *s) {
        return s ? s->fd : -EBADF;
}

void *ws_session_get_userdata(const WsSession *s) {
        return s ? s->userdata : NULL;
}

bool ws_session_is_dead(const WsSession *s) {
        return !s || s->dead;
}

size_t ws_session_queued_bytes(const WsSession *s) {
        if (!s)
                return 0;
        return s->queue.n_bytes + (s->cur ? s->cur->len - s->cur_off : 0) +
                (s->ctx ? wslay_event_get_queued_msg_length(s->ctx) : 0) + (s->obuf_len - s->obuf_off);
}

const WsQueue *ws_session_get_queue(const WsSession *s) {
        return s ? &s->queue : NULL;
}

uint64_t ws_session_bytes_sent(const WsSession *s) {
        return s ? s->bytes_sent : 0;
}

uint16_t ws_session_close_code_sent(const WsSession *s) {
        if (!s || !s->ctx || !wslay_event_get_close_sent(s->ctx))
                return 0;
        return wslay_event_get_status_code_sent(s->ctx);
}

uint16_t ws_session_close_code_received(const WsSession *s) {
        if (!s || !s->ctx || !wslay_event_get_close_received(s->ctx))
                return 0;
        return wslay_event_get_status_code_received(s->ctx);
}
