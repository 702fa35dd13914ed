/* Bounded per-session send queue (see ws-queue.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ws/ws-queue.h"

static const char *const queue_policy_table[_WS_QUEUE_POLICY_MAX] = {
        [WS_QUEUE_DROP] = "drop",
        [WS_QUEUE_DISCONNECT] = "disconnect",
};

const char *ws_queue_policy_to_string(WsQueuePolicy p) {
        if (p < 0 || p >= _WS_QUEUE_POLICY_MAX)
                return NULL;
        return queue_policy_table[p];
}

WsFrame *ws_frame_new(uint8_t opcode, size_t len) {
        WsFrame *f;

        if (len > SIZE_MAX - sizeof(WsFrame) - 1)
                return NULL;
        f = malloc(sizeof(WsFrame) + len + 1);
        if (!f)
                return NULL;
        f->n_ref = 1;
        f->opcode = opcode;
        f->len = len;
        f->data[len] = 0;
        return f;
}

WsFrame *ws_frame_ref(WsFrame *f) {
        if (f)
                f->n_ref++;
        return f;
}

WsFrame *ws_frame_unref(WsFrame *f) {
        if (f && --f->n_ref == 0)
                free(f);
        return NULL;
}

void ws_queue_init(WsQueue *q, size_t max_frames, size_t max_bytes, WsQueuePolicy policy) {
        *q = (WsQueue) {
                .max_frames = max_frames > 0 ? max_frames : WS_QUEUE_DEFAULT_FRAMES,
                .max_bytes = max_bytes > 0 ? max_bytes : WS_QUEUE_DEFAULT_BYTES,
                .policy = policy,
        };
}

void ws_queue_done(WsQueue *q) {
        if (!q)
                return;
        while (q->n_frames > 0)
                ws_frame_unref(ws_queue_pop(q));
        q->slots = mfree(q->slots);
        q->n_slots = q->first = 0;
}

static bool is_control(uint8_t opcode) {
        return opcode >= 0x8;
}

bool ws_queue_has_room(const WsQueue *q, size_t len) {
        if (q->n_frames >= q->max_frames)
                return false;
        /* One frame larger than the whole byte cap still goes into an empty queue, or it could never be sent;
         * the caller bounds single frames (a log line is bounded by its ring). */
        if (q->n_bytes == 0)
                return true;
        return q->n_bytes < q->max_bytes && len <= q->max_bytes - q->n_bytes;
}

/* The ring of slots grows by doubling (from 16) and never shrinks: at most max_frames plus the largest forced
 * burst, 8 bytes each. */
static int queue_grow(WsQueue *q) {
        size_t n = q->n_slots > 0 ? q->n_slots * 2 : 16;
        WsFrame **slots;

        if (n > SIZE_MAX / sizeof(WsFrame *))
                return -ENOMEM;
        slots = malloc(n * sizeof(WsFrame *));
        if (!slots)
                return -ENOMEM;
        for (size_t i = 0; i < q->n_frames; i++)
                slots[i] = q->slots[(q->first + i) % q->n_slots];
        free(q->slots);
        q->slots = slots;
        q->n_slots = n;
        q->first = 0;
        return 0;
}

int ws_queue_push_frame_force(WsQueue *q, WsFrame *f) {
        if (q->n_frames == q->n_slots && queue_grow(q) < 0) {
                ws_frame_unref(f);
                return -ENOMEM;
        }
        q->slots[(q->first + q->n_frames) % q->n_slots] = f;
        q->n_frames++;
        q->n_bytes += f->len;
        return 0;
}

int ws_queue_push_frame(WsQueue *q, WsFrame *f) {
        if (!f)
                return -EINVAL;

        if (!is_control(f->opcode) && !ws_queue_has_room(q, f->len)) {
                ws_frame_unref(f);
                if (q->policy == WS_QUEUE_DISCONNECT)
                        q->overflowed = true;
                else
                        q->dropped++;
                return -ENOBUFS;
        }

        return ws_queue_push_frame_force(q, f);
}

int ws_queue_push(WsQueue *q, uint8_t opcode, const void *data, size_t len) {
        WsFrame *f;

        f = ws_frame_new(opcode, len);
        if (!f)
                return -ENOMEM;
        if (len > 0)
                memcpy(f->data, data, len);
        return ws_queue_push_frame(q, f);
}

const WsFrame *ws_queue_peek(const WsQueue *q) {
        return q->n_frames > 0 ? q->slots[q->first] : NULL;
}

WsFrame *ws_queue_pop(WsQueue *q) {
        WsFrame *f;

        if (q->n_frames == 0)
                return NULL;
        f = q->slots[q->first];
        q->first = (q->first + 1) % q->n_slots;
        q->n_frames--;
        q->n_bytes -= f->len;
        return f;
}
