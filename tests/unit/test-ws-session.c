/* WsSession over a socketpair(), scripted from the peer end as wslay's own tests do: raw client frames in,
 * exact server frames out. Covers partial writes and EAGAIN, extra_in, ping/pong, the close handshake, an
 * oversized message (1009), protocol errors (1002), queue overflow and the write-stall eviction. */
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>

#include "shared/time-util.h"
#include "tests.h"
#include "ws/ws-session.h"

typedef struct Peer {
        int fd;
        uint8_t *in;                 /* bytes read from the server */
        size_t in_len, in_alloc;
} Peer;

typedef struct Ctx {
        bool finished;
        WsSessionEnd end;
        unsigned released;
        int fill_count;              /* frames fill() may still produce; -1: endless */
        size_t fill_size;
        unsigned filled;
        unsigned messages;
        char last_message[256];
        WsSession *session;
} Ctx;

static void on_release(void *ctx) {
        Ctx *c = ctx;
        c->released++;
}

static void on_finished(WsSession *s, WsSessionEnd end, void *userdata) {
        Ctx *c = userdata;

        c->finished = true;
        c->end = end;
        c->session = ws_session_free(s);
}

static int on_fill(WsSession *s, void *userdata) {
        Ctx *c = userdata;
        uint8_t buf[4096];

        while (c->fill_count != 0) {
                if (!ws_session_has_room(s, c->fill_size))
                        return 1;
                memset(buf, 'a' + c->filled % 26, c->fill_size);
                snprintf((char *) buf, sizeof(buf), "%08u", c->filled);
                buf[8] = '|';
                ASSERT_OK(ws_session_queue(s, WS_OP_TEXT, buf, c->fill_size));
                c->filled++;
                if (c->fill_count > 0)
                        c->fill_count--;
        }
        return 0;
}

static void on_message(WsSession *s, uint8_t opcode, const uint8_t *data, size_t len, void *userdata) {
        Ctx *c = userdata;

        c->messages++;
        snprintf(c->last_message, sizeof(c->last_message), "%.*s", (int) MIN(len, (size_t) 200), data);
}

static const WsSessionOps ops = {
        .fill = on_fill,
        .message = on_message,
        .finished = on_finished,
};

static void setup(sd_event **e, Peer *peer, Ctx *c, WsSessionConfig *cfg, const void *extra, size_t extra_len,
                  int sndbuf) {
        int sv[2];

        ASSERT_OK(sd_event_new(e));
        ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv));
        if (sndbuf > 0) {
                ASSERT_OK(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)));
                ASSERT_OK(setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &sndbuf, sizeof(sndbuf)));
        }
        *peer = (Peer) { .fd = sv[1] };
        ASSERT_OK(ws_session_new(*e, sv[0], extra, extra_len, cfg, &ops, c, on_release, c, &c->session));
}

static void peer_read(Peer *p, size_t max) {
        for (;;) {
                uint8_t buf[65536];
                ssize_t n = read(p->fd, buf, MIN(max, sizeof(buf)));
                if (n <= 0)
                        return;
                if (p->in_len + n > p->in_alloc) {
                        p->in_alloc = (p->in_len + n) * 2;
                        p->in = realloc(p->in, p->in_alloc);
                        ASSERT_NOT_NULL(p->in);
                }
                memcpy(p->in + p->in_len, buf, n);
                p->in_len += n;
                if (max < sizeof(buf))
                        return;
        }
}

/* A masked client frame. */
static void peer_send_frame(Peer *p, uint8_t first, const void *payload, size_t len, bool mask) {
        uint8_t hdr[14], key[4] = { 0x12, 0x34, 0x56, 0x78 }, *buf;
        size_t h = 0;

        hdr[h++] = first;
        if (len < 126)
                hdr[h++] = (mask ? 0x80 : 0) | len;
        else {
                hdr[h++] = (mask ? 0x80 : 0) | 126;
                hdr[h++] = len >> 8;
                hdr[h++] = len & 0xff;
        }
        if (mask) {
                memcpy(hdr + h, key, 4);
                h += 4;
        }
        buf = malloc(h + len);
        memcpy(buf, hdr, h);
        for (size_t i = 0; i < len; i++)
                buf[h + i] = ((const uint8_t *) payload)[i] ^ (mask ? key[i % 4] : 0);
        ASSERT_EQ(write(p->fd, buf, h + len), (ssize_t) (h + len));
        free(buf);
}

typedef struct Frame {
        uint8_t opcode;
        const uint8_t *data;
        size_t len;
} Frame;

/* Parses the n-th unmasked server frame out of what the peer read; false when incomplete. */
static bool peer_frame(const Peer *p, size_t index, Frame *ret) {
        size_t off = 0;

        for (size_t i = 0;; i++) {
                uint64_t len;
                size_t h = 2;

                if (off + 2 > p->in_len)
                        return false;
                ASSERT_EQ(p->in[off + 1] & 0x80, 0);   /* a server never masks */
                len = p->in[off + 1] & 0x7f;
                if (len == 126) {
                        if (off + 4 > p->in_len)
                                return false;
                        len = (p->in[off + 2] << 8) | p->in[off + 3];
                        h = 4;
                } else if (len == 127) {
                        if (off + 10 > p->in_len)
                                return false;
                        len = 0;
                        for (int k = 0; k < 8; k++)
                                len = (len << 8) | p->in[off + 2 + k];
                        h = 10;
                }
                if (off + h + len > p->in_len)
                        return false;
                if (i == index) {
                        *ret = (Frame) { p->in[off] & 0x0f, p->in + off + h, len };
                        ASSERT_TRUE(p->in[off] & 0x80);        /* FIN */
                        return true;
                }
                off += h + len;
        }
}

static size_t peer_n_frames(const Peer *p) {
        Frame f;
        size_t n = 0;

        while (peer_frame(p, n, &f))
                n++;
        return n;
}

static uint16_t close_code(const Frame *f) {
        ASSERT_EQ(f->opcode, WS_OP_CLOSE);
        ASSERT_TRUE(f->len >= 2);
        return (f->data[0] << 8) | f->data[1];
}

/* Runs the loop until c->finished or the deadline, reading the peer (read_max bytes per turn, 0: not). */
static usec_t run(sd_event *e, Ctx *c, Peer *p, usec_t timeout, size_t read_max) {
        usec_t start = now_usec(CLOCK_MONOTONIC);

        while (!c->finished && now_usec(CLOCK_MONOTONIC) - start < timeout) {
                ASSERT_OK(sd_event_run(e, 10 * USEC_PER_MSEC));
                if (read_max > 0)
                        peer_read(p, read_max);
        }
        return now_usec(CLOCK_MONOTONIC) - start;
}

static void teardown(sd_event *e, Ctx *c, Peer *p) {
        if (c->session)
                c->session = ws_session_free(c->session);
        ASSERT_EQ(c->released, 1u);
        /* The session never close()s a released fd; the owner (MHD in pcctl) does. */
        safe_close(p->fd);
        free(p->in);
        sd_event_unref(e);
}

static void config(WsSessionConfig *cfg) {
        ws_session_config_defaults(cfg);
        cfg->ping_interval = 0;
        cfg->close_timeout = 500 * USEC_PER_MSEC;
}

TEST(frames_then_close_handshake) {
        Ctx c = { .fill_count = 5, .fill_size = 20 };
        WsSessionConfig cfg;
        sd_event *e;
        Peer p;
        Frame f;

        config(&cfg);
        setup(&e, &p, &c, &cfg, NULL, 0, 0);
        run(e, &c, &p, 200 * USEC_PER_MSEC, 65536);
        ASSERT_FALSE(c.finished);
        ASSERT_EQ(peer_n_frames(&p), 5u);
        for (size_t i = 0; i < 5; i++) {
                char want[16];
                ASSERT_TRUE(peer_frame(&p, i, &f));
                ASSERT_EQ(f.opcode, WS_OP_TEXT);
                ASSERT_EQ(f.len, 20u);
                snprintf(want, sizeof(want), "%08zu|", i);
                ASSERT_TRUE(memcmp(f.data, want, 9) == 0);
        }

        /* a text message from the client reaches ops->message */
        peer_send_frame(&p, 0x81, "hello", 5, true);
        /* the client closes with 1000 "bye": the server echoes the code and ends */
        peer_send_frame(&p, 0x88, "\x03\xe8" "bye", 5, true);
        run(e, &c, &p, 2 * USEC_PER_SEC, 65536);
        ASSERT_TRUE(c.finished);
        ASSERT_EQ(c.end, WS_END_CLOSED);
        ASSERT_EQ(c.messages, 1u);
        ASSERT_STREQ(c.last_message, "hello");
        ASSERT_TRUE(peer_frame(&p, 5, &f));
        ASSERT_EQ(close_code(&f), 1000);
        teardown(e, &c, &p);
}

TEST(server_close_after_drain) {
        Ctx c = { .fill_count = 3, .fill_size = 10 };
        WsSessionConfig cfg;
        sd_event *e;
        Peer p;
        Frame f;

        config(&cfg);
        setup(&e, &p, &c, &cfg, NULL, 0, 0);
        ASSERT_OK(ws_session_close(c.session, 1000, "done"));
        /* the peer does not answer: the close timeout ends the session */
        run(e, &c, &p, 3 * USEC_PER_SEC, 65536);
        ASSERT_TRUE(c.finished);
        ASSERT_EQ(c.end, WS_END_CLOSED);
        /* queued data goes out before the close frame; nothing after it */
        ASSERT_EQ(peer_n_frames(&p), 1u);
        ASSERT_TRUE(peer_frame(&p, 0, &f));
        ASSERT_EQ(close_code(&f), 1000);
        ASSERT_TRUE(f.len == 6 && memcmp(f.data + 2, "done", 4) == 0);
        teardown(e, &c, &p);
}

TEST(partial_writes_and_eagain) {
        Ctx c = { .fill_count = 400, .fill_size = 1500 };
        WsSessionConfig cfg;
        sd_event *e;
        Peer p;
        Frame f;

        config(&cfg);
        cfg.queue_max_frames = 8;
        cfg.queue_max_bytes = 4096;
        /* Tiny socket buffers: send() returns short counts and EAGAIN all the time. */
        setup(&e, &p, &c, &cfg, NULL, 0, 2048);
        for (int i = 0; i < 20000 && peer_n_frames(&p) < 400; i++) {
                ASSERT_OK(sd_event_run(e, 1 * USEC_PER_MSEC));
                peer_read(&p, 333);   /* the reader takes odd-sized bites */
        }
        ASSERT_FALSE(c.finished);
        ASSERT_EQ(peer_n_frames(&p), 400u);
        for (size_t i = 0; i < 400; i++) {
                char want[16];
                ASSERT_TRUE(peer_frame(&p, i, &f));
                ASSERT_EQ(f.len, 1500u);
                snprintf(want, sizeof(want), "%08zu|", i);
                ASSERT_TRUE(memcmp(f.data, want, 9) == 0);
                ASSERT_EQ(f.data[1499], 'a' + i % 26);
        }
        /* queued bytes never exceeded the caps by more than what wslay and the output buffer hold */
        ASSERT_TRUE(ws_session_queued_bytes(c.session) == 0);
        teardown(e, &c, &p);
}

TEST(oversized_message_closes_1009) {
        Ctx c = {};
        WsSessionConfig cfg;
        char big[200];
        sd_event *e;
        Peer p;
        Frame f;

        config(&cfg);
        cfg.max_message_size = 64;
        setup(&e, &p, &c, &cfg, NULL, 0, 0);
        memset(big, 'x', sizeof(big));
        peer_send_frame(&p, 0x81, big, sizeof(big), true);
        run(e, &c, &p, 2 * USEC_PER_SEC, 65536);
        ASSERT_TRUE(c.finished);
        ASSERT_EQ(c.end, WS_END_PROTOCOL);
        ASSERT_EQ(c.messages, 0u);
        ASSERT_TRUE(peer_frame(&p, 0, &f));
        ASSERT_EQ(close_code(&f), 1009);
        teardown(e, &c, &p);
}

TEST(unmasked_frame_closes_1002) {
        Ctx c = {};
        WsSessionConfig cfg;
        sd_event *e;
        Peer p;
        Frame f;

        config(&cfg);
        setup(&e, &p, &c, &cfg, NULL, 0, 0);
        peer_send_frame(&p, 0x81, "hi", 2, false);
        run(e, &c, &p, 2 * USEC_PER_SEC, 65536);
        ASSERT_TRUE(c.finished);
        ASSERT_EQ(c.end, WS_END_PROTOCOL);
        ASSERT_TRUE(peer_frame(&p, 0, &f));
        ASSERT_EQ(close_code(&f), 1002);
        teardown(e, &c, &p);
}

TEST(reserved_opcode_closes_1002) {
        Ctx c = {};
        WsSessionConfig cfg;
        sd_event *e;
        Peer p;
        Frame f;

        config(&cfg);
        setup(&e, &p, &c, &cfg, NULL, 0, 0);
        peer_send_frame(&p, 0x83, "hi", 2, true);
        run(e, &c, &p, 2 * USEC_PER_SEC, 65536);
        ASSERT_TRUE(c.finished);
        ASSERT_TRUE(peer_frame(&p, 0, &f));
        ASSERT_EQ(close_code(&f), 1002);
        teardown(e, &c, &p);
}

TEST(invalid_utf8_closes_1007) {
        Ctx c = {};
        WsSessionConfig cfg;
        sd_event *e;
        Peer p;
        Frame f;

        config(&cfg);
        setup(&e, &p, &c, &cfg, NULL, 0, 0);
        peer_send_frame(&p, 0x81, "\xc3\x28", 2, true);
        run(e, &c, &p, 2 * USEC_PER_SEC, 65536);
        ASSERT_TRUE(c.finished);
        ASSERT_TRUE(peer_frame(&p, 0, &f));
        ASSERT_EQ(close_code(&f), 1007);
        teardown(e, &c, &p);
}

TEST(ping_gets_pong_and_extra_in_first) {
        /* a ping that MHD read past the handshake arrives as extra_in */
        const uint8_t ping[] = { 0x89, 0x82, 1, 2, 3, 4, 'o' ^ 1, 'k' ^ 2 };
        Ctx c = {};
        WsSessionConfig cfg;
        sd_event *e;
        Peer p;
        Frame f;

        config(&cfg);
        setup(&e, &p, &c, &cfg, ping, sizeof(ping), 0);
        run(e, &c, &p, 200 * USEC_PER_MSEC, 65536);
        ASSERT_TRUE(peer_frame(&p, 0, &f));
        ASSERT_EQ(f.opcode, WS_OP_PONG);
        ASSERT_TRUE(f.len == 2 && memcmp(f.data, "ok", 2) == 0);
        ASSERT_FALSE(c.finished);
        teardown(e, &c, &p);
}

TEST(keepalive_pings_and_times_out_silent_peer) {
        Ctx c = {};
        WsSessionConfig cfg;
        sd_event *e;
        Peer p;
        Frame f;
        usec_t t;

        config(&cfg);
        cfg.ping_interval = 100 * USEC_PER_MSEC;
        setup(&e, &p, &c, &cfg, NULL, 0, 0);
        /* an answering peer stays */
        run(e, &c, &p, 150 * USEC_PER_MSEC, 65536);
        ASSERT_TRUE(peer_frame(&p, 0, &f));
        ASSERT_EQ(f.opcode, WS_OP_PING);
        peer_send_frame(&p, 0x8a, f.data, f.len, true);
        run(e, &c, &p, 100 * USEC_PER_MSEC, 65536);
        ASSERT_FALSE(c.finished);
        /* a silent one is dropped after two intervals */
        t = run(e, &c, &p, 2 * USEC_PER_SEC, 65536);
        ASSERT_TRUE(c.finished);
        ASSERT_EQ(c.end, WS_END_PING_TIMEOUT);
        ASSERT_TRUE(t < 500 * USEC_PER_MSEC);
        teardown(e, &c, &p);
}

TEST(stalled_reader_evicted_at_deadline) {
        Ctx c = { .fill_count = -1, .fill_size = 1000 };
        WsSessionConfig cfg;
        sd_event *e;
        Peer p;
        usec_t t;

        config(&cfg);
        cfg.write_timeout = 300 * USEC_PER_MSEC;
        setup(&e, &p, &c, &cfg, NULL, 0, 4096);
        /* The peer never reads: buffers fill, then no progress for write_timeout. */
        t = run(e, &c, &p, 3 * USEC_PER_SEC, 0);
        ASSERT_TRUE(c.finished);
        ASSERT_EQ(c.end, WS_END_WRITE_STALL);
        ASSERT_TRUE(t >= 300 * USEC_PER_MSEC);
        ASSERT_TRUE(t < 1000 * USEC_PER_MSEC);
        /* the producer was only asked for what fits in the caps, not for an endless stream */
        ASSERT_TRUE(c.filled < 1000);
        ASSERT_EQ(c.released, 1u);
        teardown(e, &c, &p);
}

/* Issue 13: a slow producer and a peer that never reads. The socket never fills (the kernel takes every small
 * frame), so "the socket accepted nothing" never happens; the peer consumed nothing all the same. */
TEST(stalled_reader_of_a_slow_producer_is_evicted) {
        Ctx c = { .fill_count = 0 };
        WsSessionConfig cfg;
        sd_event *e;
        Peer p;
        usec_t start, t = 0;

        config(&cfg);
        cfg.write_timeout = 300 * USEC_PER_MSEC;
        setup(&e, &p, &c, &cfg, NULL, 0, 0);
        start = now_usec(CLOCK_MONOTONIC);
        for (unsigned i = 0; !c.finished && now_usec(CLOCK_MONOTONIC) - start < 2 * USEC_PER_SEC; i++) {
                char line[64];
                int l = snprintf(line, sizeof line, "line %u", i);

                (void) ws_session_queue(c.session, WS_OP_TEXT, line, (size_t) l);
                /* 50 lines/s: a few hundred bytes in 300 ms, far below any socket buffer */
                for (usec_t t0 = now_usec(CLOCK_MONOTONIC); !c.finished &&
                     now_usec(CLOCK_MONOTONIC) - t0 < 20 * USEC_PER_MSEC;)
                        ASSERT_OK(sd_event_run(e, 5 * USEC_PER_MSEC));
        }
        t = now_usec(CLOCK_MONOTONIC) - start;
        fprintf(stderr, "evicted after %" PRIu64 " ms\n", t / USEC_PER_MSEC);
        ASSERT_TRUE(c.finished);
        ASSERT_EQ(c.end, WS_END_WRITE_STALL);
        ASSERT_TRUE(t >= 300 * USEC_PER_MSEC);
        ASSERT_TRUE(t < 800 * USEC_PER_MSEC);
        /* the close frame went out before the fd was closed: 1008, as docs/websocket.md says */
        peer_read(&p, SIZE_MAX);
        {
                Frame f = {};
                size_t n = 0;

                while (peer_frame(&p, n, &f) && f.opcode != WS_OP_CLOSE)
                        n++;
                ASSERT_EQ(f.opcode, WS_OP_CLOSE);
                ASSERT_TRUE(f.len >= 2);
                ASSERT_EQ((f.data[0] << 8) | f.data[1], 1008);
        }
        teardown(e, &c, &p);
}

/* Progress is what the peer takes: a reader that keeps reading a little, slower than we write, stays. */
TEST(slow_but_steady_reader_is_not_evicted) {
        Ctx c = { .fill_count = -1, .fill_size = 1000 };
        WsSessionConfig cfg;
        sd_event *e;
        Peer p;

        config(&cfg);
        cfg.write_timeout = 200 * USEC_PER_MSEC;
        setup(&e, &p, &c, &cfg, NULL, 0, 4096);
        for (usec_t start = now_usec(CLOCK_MONOTONIC); now_usec(CLOCK_MONOTONIC) - start < 600 * USEC_PER_MSEC;) {
                ASSERT_OK(sd_event_run(e, 10 * USEC_PER_MSEC));
                p.in_len = 0;
                peer_read(&p, 4096);
        }
        ASSERT_FALSE(c.finished);
        teardown(e, &c, &p);
}

TEST(disconnect_policy_overflow) {
        Ctx c = {};
        WsSessionConfig cfg;
        sd_event *e;
        Peer p;

        config(&cfg);
        cfg.policy = WS_QUEUE_DISCONNECT;
        cfg.queue_max_frames = 2;
        setup(&e, &p, &c, &cfg, NULL, 0, 0);
        ASSERT_OK(ws_session_queue(c.session, WS_OP_TEXT, "1", 1));
        ASSERT_OK(ws_session_queue(c.session, WS_OP_TEXT, "2", 1));
        ASSERT_ERROR(ws_session_queue(c.session, WS_OP_TEXT, "3", 1), ENOBUFS);
        ASSERT_TRUE(ws_session_is_dead(c.session));
        ASSERT_ERROR(ws_session_queue(c.session, WS_OP_TEXT, "4", 1), ESHUTDOWN);
        run(e, &c, &p, USEC_PER_SEC, 0);
        ASSERT_TRUE(c.finished);
        ASSERT_EQ(c.end, WS_END_OVERFLOW);
        teardown(e, &c, &p);
}

TEST(control_frames_go_between_whole_data_frames) {
        /* An endless stream of 1500-byte frames (they straddle the 16 KiB output buffer's edges) while the
         * peer pings: every pong arrives between two whole data frames, and the data stays in order. */
        const uint8_t ping[] = { 0x89, 0x82, 1, 2, 3, 4, 'o' ^ 1, 'k' ^ 2 };
        Ctx c = { .fill_count = -1, .fill_size = 1500 };
        WsSessionConfig cfg;
        size_t n_data = 0, n_pong = 0, n;
        sd_event *e;
        Peer p;
        Frame f;

        config(&cfg);
        setup(&e, &p, &c, &cfg, NULL, 0, 8192);
        for (int i = 0; i < 3000 && n_pong < 20; i++) {
                ASSERT_OK(sd_event_run(e, 1 * USEC_PER_MSEC));
                peer_read(&p, 4000);
                if (i % 50 == 0)
                        ASSERT_EQ(write(p.fd, ping, sizeof(ping)), (ssize_t) sizeof(ping));
                n = peer_n_frames(&p);
                n_data = n_pong = 0;
                for (size_t k = 0; k < n; k++) {
                        ASSERT_TRUE(peer_frame(&p, k, &f));
                        if (f.opcode == WS_OP_PONG) {
                                ASSERT_TRUE(f.len == 2 && memcmp(f.data, "ok", 2) == 0);
                                n_pong++;
                                continue;
                        }
                        char want[16];
                        ASSERT_EQ(f.opcode, WS_OP_TEXT);
                        ASSERT_EQ(f.len, 1500u);
                        snprintf(want, sizeof(want), "%08zu|", n_data);
                        ASSERT_TRUE(memcmp(f.data, want, 9) == 0);
                        ASSERT_EQ(f.data[1499], 'a' + n_data % 26);
                        n_data++;
                }
        }
        ASSERT_TRUE(n_pong >= 20);
        ASSERT_TRUE(n_data > 100);
        ASSERT_FALSE(c.finished);
        teardown(e, &c, &p);
}

TEST(large_frames_and_one_frame_shared_by_two_sessions) {
        /* Frames bigger than the output buffer (64-bit and 16-bit lengths) are encoded in pieces; one frame
         * queued on two sessions reaches both peers byte for byte and is released by both. */
        Ctx c1 = {}, c2 = {};
        WsSessionConfig cfg;
        sd_event *e1, *e2;
        Peer p1, p2;
        WsFrame *big = ws_frame_new(WS_OP_BINARY, 100000), *mid = ws_frame_new(WS_OP_TEXT, 300);
        Frame f;

        for (size_t i = 0; i < big->len; i++)
                big->data[i] = i * 7 % 251;
        memset(mid->data, 'm', mid->len);
        config(&cfg);
        setup(&e1, &p1, &c1, &cfg, NULL, 0, 0);
        setup(&e2, &p2, &c2, &cfg, NULL, 0, 0);
        ASSERT_OK(ws_session_queue_frame(c1.session, ws_frame_ref(mid)));
        ASSERT_OK(ws_session_queue_frame(c1.session, ws_frame_ref(big)));
        ASSERT_OK(ws_session_queue_frame(c2.session, ws_frame_ref(big)));
        ASSERT_OK(ws_session_queue_frame(c2.session, ws_frame_ref(mid)));
        ASSERT_EQ(big->n_ref, 3u);
        for (int i = 0; i < 2000 && (peer_n_frames(&p1) < 2 || peer_n_frames(&p2) < 2); i++) {
                ASSERT_OK(sd_event_run(e1, 0));
                ASSERT_OK(sd_event_run(e2, 0));
                peer_read(&p1, 65536);
                peer_read(&p2, 65536);
        }
        ASSERT_TRUE(peer_frame(&p1, 0, &f) && f.opcode == WS_OP_TEXT && f.len == 300 && f.data[299] == 'm');
        ASSERT_TRUE(peer_frame(&p1, 1, &f) && f.opcode == WS_OP_BINARY && f.len == 100000);
        ASSERT_TRUE(memcmp(f.data, big->data, big->len) == 0);
        ASSERT_TRUE(peer_frame(&p2, 0, &f) && f.opcode == WS_OP_BINARY && f.len == 100000);
        ASSERT_TRUE(memcmp(f.data, big->data, big->len) == 0);
        ASSERT_TRUE(peer_frame(&p2, 1, &f) && f.opcode == WS_OP_TEXT && f.len == 300);
        /* both sessions are done with the frames */
        ASSERT_EQ(big->n_ref, 1u);
        ASSERT_EQ(mid->n_ref, 1u);
        ASSERT_EQ(ws_session_queued_bytes(c1.session), 0u);
        ws_frame_unref(big);
        ws_frame_unref(mid);
        teardown(e1, &c1, &p1);
        teardown(e2, &c2, &p2);
}

TEST(peer_eof_ends_session) {
        Ctx c = {};
        WsSessionConfig cfg;
        sd_event *e;
        Peer p;

        config(&cfg);
        setup(&e, &p, &c, &cfg, NULL, 0, 0);
        ASSERT_OK(shutdown(p.fd, SHUT_WR));
        run(e, &c, &p, USEC_PER_SEC, 0);
        ASSERT_TRUE(c.finished);
        ASSERT_EQ(c.end, WS_END_PEER_GONE);
        teardown(e, &c, &p);
}

DEFINE_TEST_MAIN();
