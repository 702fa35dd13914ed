/* LogRing: range semantics (compat §5.2), caps, overrun counting, sequence numbers, observers. */
#include <stdio.h>
#include <string.h>

#include "journal/logring.h"
#include "tests.h"

static void append_str(LogRing *r, const char *s) {
        ASSERT_OK(log_ring_append(r, s, strlen(s), 1000, 6, LOG_STREAM_STDOUT, 42, NULL));
}

static void append_n(LogRing *r, unsigned n) {
        for (unsigned i = 0; i < n; i++) {
                char buf[32];

                snprintf(buf, sizeof buf, "line %u", i);
                append_str(r, buf);
        }
}

TEST(append_get) {
        _cleanup_(log_ring_freep) LogRing *r = log_ring_new(10, 0);
        const LogEntry *e;

        ASSERT_NOT_NULL(r);
        ASSERT_UEQ(log_ring_first_seq(r), 0);
        ASSERT_UEQ(log_ring_next_seq(r), 0);
        ASSERT_NULL(log_ring_get(r, 0));
        ASSERT_NULL(log_ring_last(r));

        ASSERT_OK(log_ring_append(r, "hello", 5, 123, 3, LOG_STREAM_STDERR, 7, "s=abc;i=1"));
        ASSERT_OK(log_ring_append(r, "", 0, 124, 6, LOG_STREAM_PCCTL, 0, NULL));
        e = log_ring_get(r, 0);
        ASSERT_NOT_NULL(e);
        ASSERT_STREQ(e->message, "hello");
        ASSERT_UEQ(e->len, 5);
        ASSERT_UEQ(e->realtime, 123);
        ASSERT_EQ(e->priority, 3);
        ASSERT_EQ(e->stream, LOG_STREAM_STDERR);
        ASSERT_EQ(e->pid, 7);
        ASSERT_STREQ(e->cursor, "s=abc;i=1");
        e = log_ring_get(r, 1);
        ASSERT_STREQ(e->message, "");
        ASSERT_NULL(e->cursor);
        ASSERT_TRUE(log_ring_last(r) == e);
        ASSERT_NULL(log_ring_get(r, 2));
        ASSERT_UEQ(log_ring_count(r), 2);
        ASSERT_UEQ(log_ring_bytes(r), 5);
        ASSERT_STREQ(log_stream_to_string(LOG_STREAM_STDERR), "stderr");
        ASSERT_NULL(log_stream_to_string(_LOG_STREAM_MAX));
}

TEST(binary_message) {
        _cleanup_(log_ring_freep) LogRing *r = log_ring_new(4, 0);
        const char data[] = { 'a', 0, 'b', '\xff' };
        const LogEntry *e;

        ASSERT_OK(log_ring_append(r, data, sizeof data, 1, 6, LOG_STREAM_STDOUT, 0, NULL));
        e = log_ring_get(r, 0);
        ASSERT_UEQ(e->len, 4);
        ASSERT_TRUE(memcmp(e->message, data, 4) == 0);
        ASSERT_EQ(e->message[4], 0);
}

TEST(line_cap_and_overrun) {
        _cleanup_(log_ring_freep) LogRing *r = log_ring_new(5, 0);
        uint64_t reader = 0;

        append_n(r, 3);
        ASSERT_UEQ(log_ring_missed(r, reader), 0);
        append_n(r, 9);       /* 12 lines into 5 slots */
        ASSERT_UEQ(log_ring_count(r), 5);
        ASSERT_UEQ(log_ring_first_seq(r), 7);
        ASSERT_UEQ(log_ring_next_seq(r), 12);
        ASSERT_UEQ(log_ring_evicted(r), 7);
        ASSERT_UEQ(log_ring_missed(r, reader), 7);
        ASSERT_UEQ(log_ring_missed(r, 9), 0);
        ASSERT_NULL(log_ring_get(r, 6));
        ASSERT_STREQ(log_ring_get(r, 7)->message, "line 4");
        ASSERT_STREQ(log_ring_get(r, 11)->message, "line 8");
        for (uint64_t s = 7; s < 12; s++)
                ASSERT_UEQ(log_ring_get(r, s)->seq, s);
}

TEST(growth_keeps_order) {
        _cleanup_(log_ring_freep) LogRing *r = log_ring_new(100, 0);

        /* Wrap a small array, then grow it: order must survive the unrolling. */
        append_n(r, 100);
        append_n(r, 37);
        ASSERT_UEQ(log_ring_count(r), 100);
        for (uint64_t s = log_ring_first_seq(r); s < log_ring_next_seq(r); s++)
                ASSERT_UEQ(log_ring_get(r, s)->seq, s);
        ASSERT_STREQ(log_ring_get(r, 136)->message, "line 36");
        ASSERT_STREQ(log_ring_get(r, 37)->message, "line 37");
}

TEST(byte_cap) {
        _cleanup_(log_ring_freep) LogRing *r = log_ring_new(1000, 20);
        char big[64];

        append_str(r, "0123456789");   /* 10 */
        append_str(r, "abcdefghij");   /* 20 */
        ASSERT_UEQ(log_ring_count(r), 2);
        ASSERT_UEQ(log_ring_bytes(r), 20);
        append_str(r, "x");            /* evicts the first */
        ASSERT_UEQ(log_ring_count(r), 2);
        ASSERT_UEQ(log_ring_bytes(r), 11);
        ASSERT_UEQ(log_ring_first_seq(r), 1);

        /* A line bigger than the budget is cut to it and evicts everything else. */
        memset(big, 'B', sizeof big);
        ASSERT_OK(log_ring_append(r, big, sizeof big, 1, 6, LOG_STREAM_STDOUT, 0, NULL));
        ASSERT_UEQ(log_ring_count(r), 1);
        ASSERT_UEQ(log_ring_bytes(r), 20);
        ASSERT_UEQ(log_ring_get(r, 3)->len, 20);
        ASSERT_UEQ(strlen(log_ring_get(r, 3)->message), 20);
        ASSERT_UEQ(log_ring_evicted(r), 3);

        /* Shrinking the caps evicts at once. */
        append_str(r, "y");
        log_ring_set_limits(r, 1, 100);
        ASSERT_UEQ(log_ring_count(r), 1);
        ASSERT_STREQ(log_ring_get(r, 4)->message, "y");
        ASSERT_UEQ(log_ring_max_lines(r), 1);
}

TEST(seq_across_truncate) {
        _cleanup_(log_ring_freep) LogRing *r = log_ring_new(4, 0);

        append_n(r, 6);
        ASSERT_UEQ(log_ring_next_seq(r), 6);
        log_ring_truncate(r);
        ASSERT_UEQ(log_ring_count(r), 0);
        ASSERT_UEQ(log_ring_bytes(r), 0);
        ASSERT_UEQ(log_ring_first_seq(r), 6);
        ASSERT_UEQ(log_ring_next_seq(r), 6);
        ASSERT_NULL(log_ring_get(r, 5));
        /* A reader at 4 missed the 2 truncated lines it had not read yet. */
        ASSERT_UEQ(log_ring_missed(r, 4), 2);
        append_str(r, "after");
        ASSERT_UEQ(log_ring_get(r, 6)->seq, 6);
        ASSERT_STREQ(log_ring_get(r, 6)->message, "after");
        log_ring_truncate(r);
        log_ring_truncate(r);
        append_str(r, "again");
        ASSERT_UEQ(log_ring_first_seq(r), 7);
        ASSERT_STREQ(log_ring_get(r, 7)->message, "again");
}

static void check_range(LogRing *r, int64_t end, int64_t limit, uint64_t want_first, size_t want_n) {
        uint64_t first = UINT64_MAX;
        size_t n = SIZE_MAX;

        log_ring_range(r, end, limit, &first, &n);
        if (first != want_first || n != want_n)
                TEST_FAIL("range(%jd, %jd) = (%ju, %zu), want (%ju, %zu)", (intmax_t) end, (intmax_t) limit,
                          (uintmax_t) first, n, (uintmax_t) want_first, want_n);
}

TEST(range_semantics) {
        _cleanup_(log_ring_freep) LogRing *r = log_ring_new(10, 0);

        check_range(r, 0, 0, 0, 0);
        check_range(r, 5, 5, 0, 0);

        append_n(r, 13);   /* seqs 3..12 retained, count 10 */
        /* limit <= 0: everything before the last end_offset lines */
        check_range(r, 0, 0, 3, 10);
        check_range(r, 0, -1, 3, 10);
        check_range(r, 3, 0, 3, 7);
        /* the limit lines immediately preceding the last end_offset lines, oldest first */
        check_range(r, 0, 4, 9, 4);
        check_range(r, 2, 4, 7, 4);
        check_range(r, 2, 8, 3, 8);
        /* limit larger than available is clamped */
        check_range(r, 2, 100, 3, 8);
        /* end_offset clamped to [0, count] */
        check_range(r, -5, 2, 11, 2);
        check_range(r, 10, 3, 3, 0);
        check_range(r, 50, 3, 3, 0);
        check_range(r, 9, 5, 3, 1);

        log_ring_truncate(r);
        check_range(r, 0, 0, 13, 0);
}

typedef struct Obs {
        LogRing *ring;
        LogRingObserver *self;
        LogRingObserver *victim;     /* freed by this observer on its first call */
        LogRingObserver **spawned;   /* where to register a new observer on the first call */
        unsigned calls;
        uint64_t next_seq;           /* reader position: pulls everything on each call */
        uint64_t got;
} Obs;

static void obs_notify(LogRing *ring, void *userdata) {
        Obs *o = userdata;

        o->calls++;
        for (; o->next_seq < log_ring_next_seq(ring); o->next_seq++)
                if (log_ring_get(ring, o->next_seq))
                        o->got++;
        if (o->victim) {
                log_ring_observer_free(o->victim);
                o->victim = NULL;
        }
        if (o->spawned && !*o->spawned) {
                *o->spawned = log_ring_observe(ring, obs_notify, o);
                ASSERT_NOT_NULL(*o->spawned);
        }
}

static void obs_self_free(LogRing *ring, void *userdata) {
        Obs *o = userdata;

        o->calls++;
        o->self = log_ring_observer_free(o->self);
}

TEST(observers) {
        _cleanup_(log_ring_freep) LogRing *r = log_ring_new(3, 0);
        Obs a = {}, b = {}, c = {}, self = {};
        LogRingObserver *oa, *ob, *oc, *spawned = NULL;

        /* Registration order: newest first. c frees a (called after c), b spawns a new observer. */
        oa = log_ring_observe(r, obs_notify, &a);
        ob = log_ring_observe(r, obs_notify, &b);
        self.self = log_ring_observe(r, obs_self_free, &self);
        oc = log_ring_observe(r, obs_notify, &c);
        ASSERT_NOT_NULL(oa);
        ASSERT_NOT_NULL(ob);
        ASSERT_NOT_NULL(oc);
        c.victim = oa;
        b.spawned = &spawned;

        append_str(r, "one");
        ASSERT_EQ(c.calls, 1u);
        ASSERT_EQ(self.calls, 1u);
        ASSERT_NULL(self.self);
        ASSERT_EQ(b.calls, 1u);
        ASSERT_EQ(a.calls, 0u);        /* freed before its turn */
        ASSERT_NOT_NULL(spawned);      /* added during the walk: not called for this append */

        append_str(r, "two");
        ASSERT_EQ(self.calls, 1u);     /* freed itself: never called again */
        ASSERT_EQ(c.calls, 2u);
        ASSERT_EQ(b.calls, 3u);        /* its own registration plus the spawned one, which shares b */
        ASSERT_EQ(a.calls, 0u);

        /* Overrun: a reader that does not pull while 5 lines arrive into 3 slots misses 2. */
        log_ring_observer_free(oc);
        for (int i = 0; i < 5; i++)
                append_str(r, "x");
        ASSERT_EQ(c.calls, 2u);
        ASSERT_UEQ(log_ring_missed(r, c.next_seq), 2);
        ASSERT_UEQ(c.got, 2);

        log_ring_observer_free(spawned);
        log_ring_observer_free(ob);
        ASSERT_NULL(log_ring_observer_free(NULL));
}

TEST(observer_outlives_ring) {
        LogRing *r = log_ring_new(3, 0);
        Obs a = {};
        LogRingObserver *o;

        o = log_ring_observe(r, obs_notify, &a);
        append_str(r, "x");
        ASSERT_EQ(a.calls, 1u);
        ASSERT_NULL(log_ring_free(r));
        ASSERT_NULL(log_ring_observer_free(o));
        ASSERT_NULL(log_ring_free(NULL));
}

/* A process's ring lives as long as the process: a config update truncates and resizes it in place. Its
 * readers stay registered, keep their positions and see sequence numbers go on growing. */
TEST(truncate_and_resize_in_place) {
        _cleanup_(log_ring_freep) LogRing *r = log_ring_new(4, 0);
        _cleanup_(log_ring_observer_freep) LogRingObserver *o = NULL;
        Obs a = {};

        o = log_ring_observe(r, obs_notify, &a);
        ASSERT_TRUE(log_ring_observer_get_ring(o) == r);
        append_n(r, 6);                          /* 4 retained: 2..5 */
        ASSERT_UEQ(a.next_seq, 6);
        ASSERT_UEQ(log_ring_evicted(r), 2);

        /* the update: empty, and a larger log_length */
        log_ring_truncate(r);
        log_ring_set_limits(r, 8, 0);
        ASSERT_UEQ(log_ring_count(r), 0);
        ASSERT_UEQ(log_ring_max_lines(r), 8);
        ASSERT_UEQ(log_ring_first_seq(r), 6);
        ASSERT_UEQ(log_ring_evicted(r), 2);      /* a truncate is not an eviction */
        ASSERT_UEQ(log_ring_missed(r, a.next_seq), 0);
        ASSERT_TRUE(log_ring_observer_get_ring(o) == r);

        /* the same observer is told about the next lines, which go on from 6, and all 8 fit now */
        append_n(r, 8);
        ASSERT_EQ(a.calls, 14u);
        ASSERT_UEQ(a.next_seq, 14);
        ASSERT_UEQ(a.got, 14);
        ASSERT_UEQ(log_ring_count(r), 8);
        ASSERT_UEQ(log_ring_first_seq(r), 6);
        ASSERT_STREQ(log_ring_get(r, 6)->message, "line 0");
        ASSERT_STREQ(log_ring_get(r, 13)->message, "line 7");

        /* shrinking keeps the newest lines under their numbers, and counts the rest as evicted */
        log_ring_set_limits(r, 3, 0);
        ASSERT_UEQ(log_ring_count(r), 3);
        ASSERT_UEQ(log_ring_first_seq(r), 11);
        ASSERT_UEQ(log_ring_evicted(r), 2 + 5);
        ASSERT_STREQ(log_ring_get(r, 11)->message, "line 5");
        ASSERT_STREQ(log_ring_get(r, 13)->message, "line 7");
        ASSERT_NULL(log_ring_get(r, 10));
        /* and it goes on wrapping correctly in the smaller array */
        append_n(r, 4);
        ASSERT_UEQ(log_ring_first_seq(r), 15);
        ASSERT_STREQ(log_ring_get(r, 15)->message, "line 1");
        ASSERT_STREQ(log_ring_get(r, 17)->message, "line 3");
        ASSERT_UEQ(a.next_seq, 18);

        /* growing again keeps what is there */
        log_ring_set_limits(r, 100, 0);
        ASSERT_UEQ(log_ring_count(r), 3);
        append_n(r, 50);
        ASSERT_UEQ(log_ring_count(r), 53);
        ASSERT_UEQ(log_ring_first_seq(r), 15);
        ASSERT_STREQ(log_ring_get(r, 15)->message, "line 1");
        ASSERT_STREQ(log_ring_get(r, 67)->message, "line 49");
}

TEST(observer_tells_a_freed_ring_from_a_new_one) {
        LogRing *r = log_ring_new(3, 0), *r2;
        LogRingObserver *o;
        Obs a = {};

        o = log_ring_observe(r, obs_notify, &a);
        ASSERT_TRUE(log_ring_observer_get_ring(o) == r);
        log_ring_free(r);
        /* whatever address the next ring gets, the observer no longer claims it */
        r2 = log_ring_new(3, 0);
        ASSERT_NULL(log_ring_observer_get_ring(o));
        ASSERT_NULL(log_ring_observer_get_ring(NULL));
        log_ring_observer_free(o);
        log_ring_free(r2);
}

DEFINE_TEST_MAIN();
