/* Peer bytes → WsSession (server mode, or client mode for one input in four) over a socketpair →
 * wslay_event_recv() → our handlers, while a producer fills the send queue; the session's output is drained.
 *
 * Must hold: no crash or leak; the session ends (finished called once, its fd released once) within a bounded
 * number of loop iterations once the input is exhausted; the bytes waiting in the session never exceed the
 * queue caps plus what wslay and the output buffer hold. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "shared/macro.h"
#include "ws/ws-session.h"

#define QUEUE_FRAMES 8u
#define QUEUE_BYTES 512u
#define FRAME_SIZE 100u
/* our queue + up to 4 messages handed to wslay + the 16 KiB output buffer */
#define BYTES_BOUND (QUEUE_BYTES + FRAME_SIZE + 4 * (FRAME_SIZE + 125) + 16384)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct State {
        int fd;
        unsigned finished, released, produced;
        WsSession *session;
} State;

static int fill(WsSession *s, void *userdata) {
        State *st = userdata;
        uint8_t buf[FRAME_SIZE];

        memset(buf, 'x', sizeof(buf));
        while (st->produced < 64) {
                if (!ws_session_has_room(s, sizeof(buf)))
                        return 1;
                if (ws_session_queue(s, WS_OP_TEXT, buf, sizeof(buf)) < 0)
                        return 0;
                st->produced++;
        }
        return 0;
}

static void message(WsSession *s, uint8_t opcode, const uint8_t *d, size_t len, void *userdata) {
        /* A command-like reaction: echo short text messages back, as a stream might acknowledge. */
        if (opcode == WS_OP_TEXT && len < 64)
                (void) ws_session_queue(s, WS_OP_TEXT, d, len);
}

static void finished(WsSession *s, WsSessionEnd end, void *userdata) {
        State *st = userdata;

        if (end < 0 || end >= _WS_END_MAX)
                abort();
        st->finished++;
        st->session = ws_session_free(s);
}

static void release(void *ctx) {
        State *st = ctx;
        st->released++;
        st->fd = safe_close(st->fd);
}

static const WsSessionOps ops = { .fill = fill, .message = message, .finished = finished };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        _cleanup_close_ int peer = -EBADF;
        WsSessionConfig cfg;
        State st = {};
        size_t off = 0, extra;
        int sv[2];
        uint8_t sink[65536];

        if (size > 256 * 1024)
                return 0;
        if (sd_event_new(&e) < 0 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
                return 0;
        peer = sv[1];
        st.fd = sv[0];

        ws_session_config_defaults(&cfg);
        cfg.queue_max_frames = QUEUE_FRAMES;
        cfg.queue_max_bytes = QUEUE_BYTES;
        cfg.max_message_size = 1024;
        cfg.ping_interval = 0;
        cfg.write_timeout = 0;
        cfg.close_timeout = 50 * USEC_PER_MSEC;
        /* One input in four runs the client side (pcctl's own client verbs, reading a hostile server's
         * frames: unmasked frames in, masked frames out through wslay's queue), one in four overflows by
         * disconnecting instead of dropping. The timers (stall, ping, close) have 100 ms accuracy, too slow for
         * a fuzzer: the unit and integration tests cover them. */
        cfg.client = size % 4 == 1;
        cfg.policy = size % 4 == 2 ? WS_QUEUE_DISCONNECT : WS_QUEUE_DROP;
        /* The first byte decides how much of the input arrives as extra_in (read past the handshake). */
        extra = size > 0 ? MIN((size_t) data[0], size - 1) : 0;
        if (ws_session_new(e, sv[0], size > 0 ? data + 1 : NULL, extra, &cfg, &ops, &st, release, &st,
                           &st.session) < 0) {
                safe_close(sv[0]);
                return 0;
        }
        off = size > 0 ? 1 + extra : 0;

        for (unsigned i = 0; i < 10000 && !st.finished; i++) {
                ssize_t n;

                if (off < size) {
                        n = write(peer, data + off, MIN(size - off, (size_t) 4096));
                        if (n > 0)
                                off += n;
                } else if (off == size) {
                        (void) shutdown(peer, SHUT_WR);   /* EOF after the input */
                        off++;
                }
                while ((n = read(peer, sink, sizeof(sink))) > 0)
                        ;
                if (st.session && ws_session_queued_bytes(st.session) > BYTES_BOUND)
                        abort();
                if (sd_event_run(e, 10 * USEC_PER_MSEC) < 0)
                        break;
        }
        if (!st.finished) {
                /* still open (e.g. waiting for more input): the owner frees it */
                st.session = ws_session_free(st.session);
                if (st.released != 1)
                        abort();
                return 0;
        }
        if (st.finished != 1 || st.released != 1)
                abort();
        return 0;
}
