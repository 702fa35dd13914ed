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
        ws_frame_free(f);
        f = ws_queue_pop(&q);
        ASSERT_TRUE(memcmp(f->data, "6789", 4) == 0);
        ws_frame_free(f);
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

DEFINE_TEST_MAIN();
