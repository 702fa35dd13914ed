/* Per-process log ring buffer.
 *
 * Every line of a process (from the journal, plus pcctl's own lines: probe failures, restart markers, start
 * errors) is stored once, in its process's LogRing, with a free-running u64 sequence number that is never
 * reused, not even after a truncate. The ring is bounded by a line count (log_length, default 1000) and by
 * bytes; the oldest entries are dropped first.
 *
 * Readers (WebSocket sessions, ready_log_line matchers, log-file writers) never get a copy pushed to them:
 * each keeps its own next_seq and pulls entries with log_ring_get() when it has room. A reader whose
 * next_seq is below log_ring_first_seq() was overrun and lost exactly first_seq - next_seq lines. Observers
 * registered with log_ring_observe() are told that new entries exist; they must not block and must not
 * modify the ring from the callback (schedule work instead). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "shared/macro.h"
#include "shared/time-util.h"

typedef enum LogStream {
        LOG_STREAM_STDOUT,
        LOG_STREAM_STDERR,
        LOG_STREAM_PCCTL,        /* written by pcctl itself */
        _LOG_STREAM_MAX,
        _LOG_STREAM_INVALID = -EINVAL,
} LogStream;

typedef struct LogEntry {
        uint64_t seq;
        usec_t realtime;         /* µs since the epoch (journal __REALTIME_TIMESTAMP) */
        int priority;            /* syslog priority: 6 stdout, 3 stderr */
        LogStream stream;
        pid_t pid;               /* 0 when unknown or for pcctl's own lines */
        char *cursor;            /* journal cursor, NULL for pcctl's own lines */
        size_t len;              /* bytes of message, without the terminating NUL */
        char message[];          /* NUL-terminated, without a trailing newline */
} LogEntry;

typedef struct LogRing LogRing;
typedef struct LogRingObserver LogRingObserver;
typedef void (*LogRingNotify)(LogRing *ring, void *userdata);

#define LOG_RING_DEFAULT_LINES 1000u
#define LOG_RING_DEFAULT_BYTES (4u * 1024u * 1024u)

const char *log_stream_to_string(LogStream s);

/* max_lines/max_bytes of 0 pick the defaults. Bytes count message bytes only (each entry also has a fixed
 * header and its cursor, bounded by the line cap); a single message longer than max_bytes is cut to it. */
LogRing *log_ring_new(size_t max_lines, size_t max_bytes);
LogRing *log_ring_free(LogRing *ring);
DEFINE_TRIVIAL_CLEANUP_FUNC(LogRing *, log_ring_free);
/* Changes the caps (0 picks the default), in place: evicts at once the oldest entries that no longer fit
 * (counted in log_ring_evicted()); sequence numbers, the retained entries and observers stay. */
void log_ring_set_limits(LogRing *ring, size_t max_lines, size_t max_bytes);
size_t log_ring_max_lines(const LogRing *ring);

int log_ring_append(LogRing *ring, const char *message, size_t len, usec_t realtime, int priority,
                    LogStream stream, pid_t pid, const char *cursor);

uint64_t log_ring_first_seq(const LogRing *ring);   /* seq of the oldest retained entry */
uint64_t log_ring_next_seq(const LogRing *ring);    /* seq the next append will get */
size_t log_ring_count(const LogRing *ring);
size_t log_ring_bytes(const LogRing *ring);
const LogEntry *log_ring_get(const LogRing *ring, uint64_t seq);   /* NULL unless retained */
const LogEntry *log_ring_last(const LogRing *ring); /* newest entry or NULL */
uint64_t log_ring_evicted(const LogRing *ring);     /* entries dropped by the caps since creation */
/* Lines a reader positioned at next_seq has lost to eviction: first_seq - next_seq, or 0. */
uint64_t log_ring_missed(const LogRing *ring, uint64_t next_seq);
/* An empty ring's next append gets seq: a restarted controller continues the numbering of the one before it
 * (docs/lifecycle.md "Controller restarts"). -EBUSY unless the ring is empty. */
int log_ring_set_next_seq(LogRing *ring, uint64_t seq);
/* Drops every entry; sequence numbers go on from where they were. Observers stay registered. A reader
 * that had not read the dropped entries sees them as missed (log_ring_missed()), as after an overrun. */
void log_ring_truncate(LogRing *ring);

/* process-compose's GetLogRange(endOffset, limit) (compat §5.2): the limit lines preceding the last
 * end_offset lines, oldest first. Returns the first seq and the count. */
void log_ring_range(const LogRing *ring, int64_t end_offset, int64_t limit, uint64_t *ret_first_seq,
                    size_t *ret_n);

/* Observers are called after every append, newest registration first. An observer may register or free
 * observers (itself included) from its callback: one added during a notification is first called for the
 * next append; one freed is not called again. Freeing the ring detaches its observers (their owners still
 * free them); never free the ring from inside a notification. */
LogRingObserver *log_ring_observe(LogRing *ring, LogRingNotify notify, void *userdata);
LogRingObserver *log_ring_observer_free(LogRingObserver *o);
DEFINE_TRIVIAL_CLEANUP_FUNC(LogRingObserver *, log_ring_observer_free);
/* The ring o observes, or NULL once that ring was freed. A reader that keeps an observer therefore knows
 * whether a ring it finds at the same address is still the one it read (a process's ring lives as long as
 * the process) or a new one in reused memory. */
LogRing *log_ring_observer_get_ring(const LogRingObserver *o);
