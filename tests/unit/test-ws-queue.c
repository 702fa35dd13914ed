/* The bounded send queue: frame and byte caps, drop and disconnect policies, control frames. */
#include "tests.h"
#include "ws/ws-queue.h"

TEST(frame_cap_drop) {
        WsQueue q;

        ws_queue_init(&q, 3, 1000, WS_QUEUE_DROP);
        for (int i = 0; i < 3; i++)
                ASSERT_OK(ws_queue_push(&q, 1, "abc", 3));
        ASSERT_FALSE(ws_queue_has_room(&q, 1));
        ASSERT_ERROR(ws_queue_push(&q, 1, "abc", 3), ENOBUFS);
        ASSERT_ERROR(ws_queue_push(&q, 1, "abc", 3), ENOBUFS);
        ASSERT_EQ(q.dropped, 2u);
        ASSERT_FALSE(q.overflowed);
        ASSERT_EQ(q.n_frames, 3u);
        ASSERT_EQ(q.n_bytes, 9u);
        /* control frames are never refused */
        ASSERT_OK(ws_queue_push(&q, 0x9, "p", 1));
        ASSERT_EQ(q.n_frames, 4u);
        ws_queue_done(&q);
        ASSERT_EQ(q.n_frames, 0u);
        ASSERT_EQ(q.n_bytes, 0u);
}

TEST(byte_cap_and_fifo) {
        WsQueue q;
        WsFrame *f;

        ws_queue_init(&q, 100, 10, WS_QUEUE_DROP);
        ASSERT_OK(ws_queue_push(&q, 1, "12345", 5));
        ASSERT_OK(ws_queue_push(&q, 1, "6789", 4));
        ASSERT_TRUE(ws_queue_has_room(&q, 1));
        ASSERT_FALSE(ws_queue_has_room(&q, 2));
        ASSERT_ERROR(ws_queue_push(&q, 1, "ab", 2), ENOBUFS);
        ASSERT_OK(ws_queue_push(&q, 1, "x", 1));
        ASSERT_EQ(q.n_bytes, 10u);
        ASSERT_FALSE(ws_queue_has_room(&q, 0));

        f = ws_queue_pop(&q);
        ASSERT_EQ(f->len, 5u);
        ASSERT_TRUE(memcmp(f->data, "12345", 5) == 0);
        ws_frame_unref(f);
        f = ws_queue_pop(&q);
        ASSERT_TRUE(memcmp(f->data, "6789", 4) == 0);
        ws_frame_unref(f);
        ASSERT_EQ(q.n_bytes, 1u);
        ws_queue_done(&q);
}

TEST(oversized_frame_only_into_empty_queue) {
        WsQueue q;

        ws_queue_init(&q, 10, 8, WS_QUEUE_DROP);
        ASSERT_TRUE(ws_queue_has_room(&q, 100));
        ASSERT_OK(ws_queue_push(&q, 1, "0123456789abcdef", 16));
        ASSERT_FALSE(ws_queue_has_room(&q, 1));
        ASSERT_ERROR(ws_queue_push(&q, 1, "a", 1), ENOBUFS);
        ws_queue_done(&q);
}

TEST(disconnect_policy) {
        WsQueue q;

        ws_queue_init(&q, 2, 1000, WS_QUEUE_DISCONNECT);
        ASSERT_OK(ws_queue_push(&q, 1, "a", 1));
        ASSERT_OK(ws_queue_push(&q, 1, "b", 1));
        ASSERT_FALSE(q.overflowed);
        ASSERT_ERROR(ws_queue_push(&q, 1, "c", 1), ENOBUFS);
        ASSERT_TRUE(q.overflowed);
        ASSERT_EQ(q.dropped, 0u);
        ASSERT_STREQ(ws_queue_policy_to_string(q.policy), "disconnect");
        ws_queue_done(&q);
}

TEST(defaults) {
        WsQueue q;

        ws_queue_init(&q, 0, 0, WS_QUEUE_DROP);
        ASSERT_EQ(q.max_frames, WS_QUEUE_DEFAULT_FRAMES);
        ASSERT_EQ(q.max_bytes, WS_QUEUE_DEFAULT_BYTES);
        ASSERT_NULL(ws_queue_pop(&q));
        ASSERT_TRUE(ws_queue_is_empty(&q));
        ws_queue_done(&q);
}

TEST(ring_wraps_and_grows_in_order) {
        WsQueue q;
        unsigned next_in = 0, next_out = 0;

        ws_queue_init(&q, 1000, 1u << 20, WS_QUEUE_DROP);
        /* interleaved pushes and pops walk the ring around its end many times while it grows */
        for (unsigned round = 0; round < 200; round++) {
                for (unsigned k = 0; k < round % 37 + 1; k++) {
                        char b[16];
                        int n = snprintf(b, sizeof(b), "%u", next_in++);
                        ASSERT_OK(ws_queue_push(&q, 1, b, n));
                }
                for (unsigned k = 0; k < round % 29 + 1 && !ws_queue_is_empty(&q); k++) {
                        _cleanup_(ws_frame_unrefp) WsFrame *f = ws_queue_pop(&q);
                        char b[16];
                        int n = snprintf(b, sizeof(b), "%u", next_out++);
                        ASSERT_EQ(f->len, (size_t) n);
                        ASSERT_TRUE(memcmp(f->data, b, n) == 0);
                }
        }
        ASSERT_EQ(q.n_frames, next_in - next_out);
        ASSERT_TRUE(q.n_frames > 16);   /* it grew past its first 16 slots */
        while (!ws_queue_is_empty(&q)) {
                _cleanup_(ws_frame_unrefp) WsFrame *f = ws_queue_pop(&q);
                char b[16];
                int n = snprintf(b, sizeof(b), "%u", next_out++);
                ASSERT_TRUE(memcmp(f->data, b, n) == 0);
        }
        ASSERT_EQ(next_out, next_in);
        ASSERT_EQ(q.n_bytes, 0u);
        ws_queue_done(&q);
}

TEST(shared_frame_references) {
        WsQueue a, b;
        WsFrame *f = ws_frame_new(1, 3);

        memcpy(f->data, "abc", 3);
        ws_queue_init(&a, 2, 100, WS_QUEUE_DROP);
        ws_queue_init(&b, 2, 100, WS_QUEUE_DROP);
        /* one frame in two queues: a reference each, the bytes are not copied */
        ASSERT_OK(ws_queue_push_frame(&a, ws_frame_ref(f)));
        ASSERT_OK(ws_queue_push_frame(&b, ws_frame_ref(f)));
        ASSERT_EQ(f->n_ref, 3u);
        ASSERT_TRUE(ws_queue_peek(&a) == f && ws_queue_peek(&b) == f);
        /* a refused push releases its reference */
        ASSERT_OK(ws_queue_push_frame(&a, ws_frame_ref(f)));
        ASSERT_ERROR(ws_queue_push_frame(&a, ws_frame_ref(f)), ENOBUFS);
        ASSERT_EQ(f->n_ref, 4u);
        ws_queue_done(&a);
        ASSERT_EQ(f->n_ref, 2u);
        ws_frame_unref(ws_queue_pop(&b));
        ASSERT_EQ(f->n_ref, 1u);
        ASSERT_TRUE(memcmp(f->data, "abc", 3) == 0);
        ws_frame_unref(f);
        /* a forced push goes past the caps */
        for (int i = 0; i < 5; i++)
                ASSERT_OK(ws_queue_push_frame_force(&b, ws_frame_new(1, 60)));
        ASSERT_EQ(b.n_frames, 5u);
        ASSERT_EQ(b.n_bytes, 300u);
        ws_queue_done(&b);
}

DEFINE_TEST_MAIN();
