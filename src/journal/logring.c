/* Per-process log ring buffer: see logring.h.
 *
 * Entries live in a circular array of pointers that grows on demand up to max_lines slots, so a process
 * that logs little costs little. Each entry is one allocation (header, message and cursor together), so an
 * append is one malloc and an eviction one free. Readers address entries by sequence number only; the slot
 * of seq s is (head + s - first_seq) % cap. */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "journal/logring.h"

struct LogRingObserver {
        LogRing *ring;                /* NULL once the ring is gone */
        LogRingNotify notify;
        void *userdata;
        bool dead;                    /* freed while the ring was notifying: unlinked afterwards */
        LogRingObserver *next, *prev;
};

struct LogRing {
        LogEntry **slots;
        size_t cap;                   /* allocated slots */
        size_t head;                  /* slot of first_seq */
        size_t count;
        size_t bytes;                 /* sum of message lengths of retained entries */
        size_t max_lines;
        size_t max_bytes;
        uint64_t first_seq;
        uint64_t evicted;             /* entries dropped by the caps (not by truncate) */

        LogRingObserver *observers;
        unsigned notifying;           /* depth of log_ring_notify() calls in progress */
        bool observers_dead;          /* some observer was freed during a notification */
};

static const char *const log_stream_table[_LOG_STREAM_MAX] = {
        [LOG_STREAM_STDOUT] = "stdout",
        [LOG_STREAM_STDERR] = "stderr",
        [LOG_STREAM_PCCTL] = "pcctl",
};

const char *log_stream_to_string(LogStream s) {
        if (s < 0 || s >= _LOG_STREAM_MAX)
                return NULL;
        return log_stream_table[s];
}

LogRing *log_ring_new(size_t max_lines, size_t max_bytes) {
        LogRing *ring;

        ring = new0(LogRing, 1);
        if (!ring)
                return NULL;

        ring->max_lines = max_lines > 0 ? max_lines : LOG_RING_DEFAULT_LINES;
        ring->max_bytes = max_bytes > 0 ? max_bytes : LOG_RING_DEFAULT_BYTES;
        return ring;
}

static void ring_drop_oldest(LogRing *ring) {
        LogEntry *e = ring->slots[ring->head];

        ring->slots[ring->head] = NULL;
        ring->bytes -= e->len;
        free(e);
        ring->head = (ring->head + 1) % ring->cap;
        ring->count--;
        ring->first_seq++;
}

void log_ring_truncate(LogRing *ring) {
        if (!ring)
                return;

        while (ring->count > 0)
                ring_drop_oldest(ring);
        ring->head = 0;
}

int log_ring_set_next_seq(LogRing *ring, uint64_t seq) {
        if (!ring)
                return -EINVAL;
        if (ring->count > 0)
                return -EBUSY;
        ring->first_seq = seq;
        return 0;
}

static void observer_unlink(LogRingObserver *o) {
        LogRing *ring = o->ring;

        if (!ring)
                return;
        if (o->prev)
                o->prev->next = o->next;
        else
                ring->observers = o->next;
        if (o->next)
                o->next->prev = o->prev;
        o->next = o->prev = NULL;
        o->ring = NULL;
}

LogRing *log_ring_free(LogRing *ring) {
        if (!ring)
                return NULL;

        /* Observers belong to their creators: detach them, they are freed by log_ring_observer_free(). Dead
         * ones (freed during a notification of this ring) are ours to free. */
        while (ring->observers) {
                LogRingObserver *o = ring->observers;
                bool dead = o->dead;

                observer_unlink(o);
                if (dead)
                        free(o);
        }

        log_ring_truncate(ring);
        free(ring->slots);
        return mfree(ring);
}

/* Moves the entries into a new array of new_cap slots (>= count), oldest first, so that head becomes 0. */
static int ring_resize_slots(LogRing *ring, size_t new_cap) {
        LogEntry **n;

        assert(new_cap >= ring->count);
        if (new_cap > SIZE_MAX / sizeof(LogEntry *))
                return -ENOMEM;
        n = new0(LogEntry *, new_cap);
        if (!n && new_cap > 0)
                return -ENOMEM;
        for (size_t i = 0; i < ring->count; i++)
                n[i] = ring->slots[(ring->head + i) % ring->cap];
        free(ring->slots);
        ring->slots = n;
        ring->cap = new_cap;
        ring->head = 0;
        return 0;
}

/* Changes the caps; evicts at once what no longer fits, and gives back slots above the new line cap. */
void log_ring_set_limits(LogRing *ring, size_t max_lines, size_t max_bytes) {
        if (!ring)
                return;

        ring->max_lines = max_lines > 0 ? max_lines : LOG_RING_DEFAULT_LINES;
        ring->max_bytes = max_bytes > 0 ? max_bytes : LOG_RING_DEFAULT_BYTES;
        while (ring->count > 0 && (ring->count > ring->max_lines || ring->bytes > ring->max_bytes)) {
                ring_drop_oldest(ring);
                ring->evicted++;
        }
        /* a failed shrink only keeps memory the ring may use again */
        if (ring->cap > ring->max_lines)
                (void) ring_resize_slots(ring, ring->max_lines);
}

/* Makes room for one more slot: grows the array (up to max_lines) or evicts the oldest entry. */
static int ring_reserve_slot(LogRing *ring) {
        while (ring->count >= ring->max_lines) {
                ring_drop_oldest(ring);
                ring->evicted++;
        }
        if (ring->count < ring->cap)
                return 0;

        return ring_resize_slots(ring, MIN(MAX(ring->cap * 2, (size_t) 16), ring->max_lines));
}

static void ring_notify(LogRing *ring) {
        ring->notifying++;
        /* Observers added during the walk are prepended, so they are not called for this append; observers
         * freed during the walk are only marked dead, so the next pointers we follow stay valid. */
        for (LogRingObserver *o = ring->observers; o; o = o->next)
                if (!o->dead)
                        o->notify(ring, o->userdata);
        ring->notifying--;

        if (ring->notifying == 0 && ring->observers_dead) {
                LogRingObserver *o = ring->observers;

                while (o) {
                        LogRingObserver *next = o->next;

                        if (o->dead) {
                                observer_unlink(o);
                                free(o);
                        }
                        o = next;
                }
                ring->observers_dead = false;
        }
}

int log_ring_append(LogRing *ring, const char *message, size_t len, usec_t realtime, int priority,
                    LogStream stream, pid_t pid, const char *cursor) {
        size_t cursor_len = cursor ? strlen(cursor) + 1 : 0;
        LogEntry *e;
        int r;

        if (!ring || (!message && len > 0))
                return -EINVAL;

        /* A single line never takes more than the whole byte budget. */
        if (len > ring->max_bytes)
                len = ring->max_bytes;

        if (len > SIZE_MAX - sizeof(LogEntry) - 1 - cursor_len)
                return -ENOMEM;
        e = malloc(sizeof(LogEntry) + len + 1 + cursor_len);
        if (!e)
                return -ENOMEM;

        r = ring_reserve_slot(ring);
        if (r < 0) {
                free(e);
                return r;
        }
        while (ring->count > 0 && ring->bytes + len > ring->max_bytes) {
                ring_drop_oldest(ring);
                ring->evicted++;
        }

        *e = (LogEntry) {
                .seq = ring->first_seq + ring->count,
                .realtime = realtime,
                .priority = priority,
                .stream = stream,
                .pid = pid,
                .len = len,
        };
        if (len > 0)
                memcpy(e->message, message, len);
        e->message[len] = 0;
        if (cursor) {
                e->cursor = e->message + len + 1;
                memcpy(e->cursor, cursor, cursor_len);
        }

        if (ring->count == 0)
                ring->head = 0;
        ring->slots[(ring->head + ring->count) % ring->cap] = e;
        ring->count++;
        ring->bytes += len;

        ring_notify(ring);
        return 0;
}

uint64_t log_ring_first_seq(const LogRing *ring) {
        return ring ? ring->first_seq : 0;
}

uint64_t log_ring_next_seq(const LogRing *ring) {
        return ring ? ring->first_seq + ring->count : 0;
}

size_t log_ring_count(const LogRing *ring) {
        return ring ? ring->count : 0;
}

size_t log_ring_bytes(const LogRing *ring) {
        return ring ? ring->bytes : 0;
}

size_t log_ring_max_lines(const LogRing *ring) {
        return ring ? ring->max_lines : 0;
}

uint64_t log_ring_evicted(const LogRing *ring) {
        return ring ? ring->evicted : 0;
}

uint64_t log_ring_missed(const LogRing *ring, uint64_t next_seq) {
        return ring && next_seq < ring->first_seq ? ring->first_seq - next_seq : 0;
}

const LogEntry *log_ring_get(const LogRing *ring, uint64_t seq) {
        if (!ring || seq < ring->first_seq || seq - ring->first_seq >= ring->count)
                return NULL;

        return ring->slots[(ring->head + (size_t) (seq - ring->first_seq)) % ring->cap];
}

const LogEntry *log_ring_last(const LogRing *ring) {
        if (!ring || ring->count == 0)
                return NULL;
        return log_ring_get(ring, ring->first_seq + ring->count - 1);
}

void log_ring_range(const LogRing *ring, int64_t end_offset, int64_t limit, uint64_t *ret_first_seq,
                    size_t *ret_n) {
        int64_t count = ring ? (int64_t) ring->count : 0, available;

        end_offset = CLAMP(end_offset, (int64_t) 0, count);
        available = count - end_offset;
        if (limit <= 0 || limit > available)
                limit = available;

        if (ret_first_seq)
                *ret_first_seq = (ring ? ring->first_seq : 0) + (uint64_t) (count - end_offset - limit);
        if (ret_n)
                *ret_n = (size_t) limit;
}

LogRingObserver *log_ring_observe(LogRing *ring, LogRingNotify notify, void *userdata) {
        LogRingObserver *o;

        if (!ring || !notify)
                return NULL;

        o = new0(LogRingObserver, 1);
        if (!o)
                return NULL;

        *o = (LogRingObserver) {
                .ring = ring,
                .notify = notify,
                .userdata = userdata,
                .next = ring->observers,
        };
        if (ring->observers)
                ring->observers->prev = o;
        ring->observers = o;
        return o;
}

LogRingObserver *log_ring_observer_free(LogRingObserver *o) {
        if (!o)
                return NULL;

        if (o->ring && o->ring->notifying > 0) {
                /* The ring is walking its list right now: leave the node in place, it reaps it. */
                o->dead = true;
                o->ring->observers_dead = true;
                return NULL;
        }

        observer_unlink(o);
        return mfree(o);
}

LogRing *log_ring_observer_get_ring(const LogRingObserver *o) {
        return o && !o->dead ? o->ring : NULL;
}
