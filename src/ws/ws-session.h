/* One WebSocket connection driven by the sd-event loop: wslay's event engine over a non-blocking socket.
 *
 * The session owns the socket's io source, its bounded send queue (ws-queue.h), an output buffer that
 * coalesces wslay's frame writes into few send() calls, and its own timers: write-stall eviction (output
 * pending and not one byte accepted by the socket for write_timeout), ping keepalive (no byte from the peer
 * for two ping intervals), and the close-handshake timeout. Producers either push frames (ws_session_queue*)
 * or, in the pull model of log streams, implement ops->fill, which the session calls whenever its queue has
 * room and ws_session_kick() said there may be more.
 *
 * A session never frees itself inside its own I/O callbacks: when it ends it stops all I/O, and a defer source
 * calls ops->finished(), where the owner frees it with ws_session_free(). ws_session_free() hands the fd back
 * through the release callback (the HTTP side maps it to MHD_upgrade_action(CLOSE)), or close()s it when no
 * release callback was given (client mode, tests). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "shared/macro.h"
#include "shared/time-util.h"
#include "ws/ws-queue.h"

typedef struct WsSession WsSession;

/* Opcodes, as wslay's (RFC 6455 §5.2). */
#define WS_OP_TEXT 0x1
#define WS_OP_BINARY 0x2
#define WS_OP_CLOSE 0x8
#define WS_OP_PING 0x9
#define WS_OP_PONG 0xa

typedef struct WsSessionConfig {
        usec_t write_timeout;        /* evict when pending output makes no progress this long; 0: never */
        usec_t ping_interval;        /* 0: no pings */
        usec_t close_timeout;        /* wait this long for the peer's close frame after ours */
        size_t queue_max_bytes;
        size_t queue_max_frames;
        size_t max_message_size;     /* incoming; bigger closes with 1009 */
        WsQueuePolicy policy;
        size_t send_buffer;          /* SO_SNDBUF to set on the socket; 0: leave the kernel's */
        bool client;                 /* client mode: masks outgoing frames */
} WsSessionConfig;

/* The close code of an evicted session (sent when the stream is between two frames, best effort). */
#define WS_CLOSE_WRITE_STALL 1008
/* A session with bytes pending looks at its socket at least this often. */
#define WS_SESSION_STALL_CHECK_MAX (250 * USEC_PER_MSEC)
#define WS_SESSION_DEFAULT_SEND_BUFFER (64u * 1024u)

#define WS_SESSION_DEFAULT_WRITE_TIMEOUT (10 * USEC_PER_SEC)
#define WS_SESSION_DEFAULT_PING_INTERVAL (30 * USEC_PER_SEC)
#define WS_SESSION_DEFAULT_CLOSE_TIMEOUT (3 * USEC_PER_SEC)
#define WS_SESSION_DEFAULT_MAX_MESSAGE (64u * 1024u)

void ws_session_config_defaults(WsSessionConfig *c);

typedef enum WsSessionEnd {
        WS_END_CLOSED,               /* close handshake completed */
        WS_END_PEER_GONE,            /* EOF or socket error */
        WS_END_WRITE_STALL,          /* evicted: output made no progress for write_timeout */
        WS_END_OVERFLOW,             /* send queue overflowed under WS_QUEUE_DISCONNECT */
        WS_END_PROTOCOL,             /* we closed for a protocol error (1002, 1007, 1009) */
        WS_END_PING_TIMEOUT,         /* nothing from the peer for two ping intervals */
        WS_END_ABORTED,              /* ws_session_abort() by the owner */
        WS_END_ERROR,                /* local failure (ENOMEM, ...) */
        _WS_END_MAX,
        _WS_END_INVALID = -EINVAL,
} WsSessionEnd;

const char *ws_session_end_to_string(WsSessionEnd e);

typedef struct WsSessionOps {
        /* The queue has room: push frames with ws_session_queue*() while ws_session_has_room(). Return > 0
         * when it stopped for lack of room with more to send, 0 when it has nothing more for now. */
        int (*fill)(WsSession *s, void *userdata);
        /* A complete text or binary message from the peer. */
        void (*message)(WsSession *s, uint8_t opcode, const uint8_t *data, size_t len, void *userdata);
        /* The session has ended (called from a defer source, never from within its I/O): free it here. */
        void (*finished)(WsSession *s, WsSessionEnd end, void *userdata);
} WsSessionOps;

/* Takes over fd (non-blocking, already upgraded). extra_in are bytes read past the handshake; they are fed
 * to the parser before the first recv(). release(release_ctx) is called exactly once, from ws_session_free();
 * with release NULL, the session close()s fd itself. */
int ws_session_new(sd_event *e, int fd, const void *extra_in, size_t extra_in_size, const WsSessionConfig *c,
                   const WsSessionOps *ops, void *userdata, void (*release)(void *ctx), void *release_ctx,
                   WsSession **ret);
WsSession *ws_session_free(WsSession *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(WsSession *, ws_session_free);

/* Queue a data message. Return: 0; -ENOBUFS when the queue is full (under WS_QUEUE_DISCONNECT the session
 * then ends with WS_END_OVERFLOW); -ESHUTDOWN after close or end; -ENOMEM. */
int ws_session_queue(WsSession *s, uint8_t opcode, const void *data, size_t len);
/* Same, taking ownership of a frame. */
int ws_session_queue_frame(WsSession *s, WsFrame *f);
/* Queues regardless of the caps (a burst bounded by the caller, e.g. a snapshot). */
int ws_session_queue_frame_force(WsSession *s, WsFrame *f);
bool ws_session_has_room(const WsSession *s, size_t len);

/* The producer may have more for ops->fill: run fill and send from a defer source. */
void ws_session_kick(WsSession *s);
/* The same, now: fill, encode and send until the socket is full or nothing is left (within the per-dispatch
 * budget; the rest continues from the defer source). Never frees the session: if it ends, ops->finished
 * still comes from a defer source. For producers that wake many sessions at once, which would otherwise
 * cost one loop iteration each. */
void ws_session_pump(WsSession *s);
/* Close with code once the queue has drained (no more fill); the session ends when the peer answers or after
 * close_timeout. */
int ws_session_close(WsSession *s, uint16_t code, const char *reason);
/* Ends at once, without a close frame. */
void ws_session_abort(WsSession *s, WsSessionEnd why);

uint64_t ws_session_get_id(const WsSession *s);
int ws_session_get_fd(const WsSession *s);
void *ws_session_get_userdata(const WsSession *s);
bool ws_session_is_dead(const WsSession *s);
/* Bytes waiting to go out: our queue, wslay's queue and the output buffer. */
size_t ws_session_queued_bytes(const WsSession *s);
const WsQueue *ws_session_get_queue(const WsSession *s);
uint64_t ws_session_bytes_sent(const WsSession *s);
/* Close codes, 0 when none was sent/received. */
uint16_t ws_session_close_code_sent(const WsSession *s);
uint16_t ws_session_close_code_received(const WsSession *s);
