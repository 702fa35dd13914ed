/* A bounded FIFO of serialized WebSocket messages, one per session, without I/O.
 *
 * Capped in frames and in payload bytes. Data frames that do not fit are refused: under WS_QUEUE_DROP (log
 * streams) the refusal is counted in dropped and the producer goes on; under WS_QUEUE_DISCONNECT (state
 * streams, as process-compose) the queue is marked overflowed and its session must be closed. Control frames
 * (opcode >= 0x8) are never refused. Producers never block: push either stores or refuses at once. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shared/macro.h"

typedef enum WsQueuePolicy {
        WS_QUEUE_DROP,
        WS_QUEUE_DISCONNECT,
        _WS_QUEUE_POLICY_MAX,
        _WS_QUEUE_POLICY_INVALID = -EINVAL,
} WsQueuePolicy;

const char *ws_queue_policy_to_string(WsQueuePolicy p);

/* A message to send, reference-counted: one log line's frame is built once and shared by every session that
 * follows the process (each queue holds a reference), so fan-out costs a pointer per follower, not a copy. A
 * frame is immutable once queued. */
typedef struct WsFrame {
        unsigned n_ref;
        uint8_t opcode;              /* WSLAY_TEXT_FRAME, ... */
        size_t len;
        uint8_t data[];
} WsFrame;

/* A frame with room for len payload bytes, len set, one reference; the caller fills data. */
WsFrame *ws_frame_new(uint8_t opcode, size_t len);
WsFrame *ws_frame_ref(WsFrame *f);
WsFrame *ws_frame_unref(WsFrame *f);
DEFINE_TRIVIAL_CLEANUP_FUNC(WsFrame *, ws_frame_unref);

typedef struct WsQueue {
        WsFrame **slots;             /* a ring of references: head at slots[first] */
        size_t n_slots, first;
        size_t n_frames;
        size_t n_bytes;
        size_t max_frames;
        size_t max_bytes;
        WsQueuePolicy policy;
        uint64_t dropped;            /* data frames refused (DROP) */
        bool overflowed;             /* a data frame was refused (DISCONNECT) */
} WsQueue;

/* 1024 frames of ~60-byte lines absorb ~50 ms of a 20 k lines/s flood on top of the ring; 256 KiB bounds the
 * memory of a session whatever the line length. */
#define WS_QUEUE_DEFAULT_FRAMES 1024u
#define WS_QUEUE_DEFAULT_BYTES (256u * 1024u)

void ws_queue_init(WsQueue *q, size_t max_frames, size_t max_bytes, WsQueuePolicy policy);
void ws_queue_done(WsQueue *q);

/* Whether a data frame of len payload bytes would be admitted now. */
bool ws_queue_has_room(const WsQueue *q, size_t len);
static inline bool ws_queue_is_empty(const WsQueue *q) {
        return q->n_frames == 0;
}

/* Takes over the caller's reference to f in every case. Return: 0 when queued; -ENOBUFS when refused (f freed, counted as
 * the policy says). */
int ws_queue_push_frame(WsQueue *q, WsFrame *f);
/* Copies data into a new frame and pushes it. Return: 0, -ENOBUFS, or -ENOMEM. */
int ws_queue_push(WsQueue *q, uint8_t opcode, const void *data, size_t len);
/* Pushes without checking the caps (a bounded burst the caller accounts for, e.g. a state snapshot). Takes
 * over the reference. Return: 0, or -ENOMEM (f released). */
int ws_queue_push_frame_force(WsQueue *q, WsFrame *f);

const WsFrame *ws_queue_peek(const WsQueue *q);
/* The oldest frame, its reference now the caller's; NULL when empty. */
WsFrame *ws_queue_pop(WsQueue *q);
