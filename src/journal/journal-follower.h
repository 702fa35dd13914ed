/* The journal follower: one sd_journal handle follows every process of the project on the caller's sd-event
 * loop and appends each entry to its process's LogRing (systemd-notes §4).
 *
 *         JournalFollower *f;
 *         journal_follower_new(event, &f);
 *         JournalSource src = { .ident = p->ident, .unit = p->unit, .ring = p->log,
 *                               .count = on_count, .userdata = p };
 *         journal_follower_set_slice(f, slice);    <- optional: every unit runs in this slice
 *         journal_follower_add(f, &src, true);     <- before the unit starts
 *         journal_follower_kick(f);                <- when a unit was started: poll fast for a while
 *         ...
 *         journal_follower_remove(f, p->ident);
 *
 * Matching (notes §4.2): an entry belongs to a process if its SYSLOG_IDENTIFIER is the process's ident, OR
 * its _SYSTEMD_UNIT or _SYSTEMD_USER_UNIT is the process's unit; journald's "Suppressed N messages" notes
 * (MESSAGE_ID=a596d6fe…) for our units become a marker line "-- journald dropped N lines --" in the ring
 * and are counted as N dropped lines. The handle is anchored at the tail before any match is added, and when the set of
 * processes changes the matches are rebuilt from the cursor of the last entry read, so lines are neither lost
 * nor repeated. Add a process before starting its unit: lines written before journal_follower_add() are only
 * seen through backfill.
 *
 * Only the files journald writes to are open (archived files never get new lines, and each open file makes
 * every read slower); the handle is reopened from the last cursor when journald rotates. Backfill reads the
 * whole local journal with a second, temporary handle.
 *
 * Latency: journald wakes inotify readers at most every 250 ms, so while lines flow (and for a moment after a
 * kick or the last line) the follower also polls sd_journal_next() every few milliseconds; when the project
 * is quiet it sleeps on inotify alone (notes §0.1). Adding a process does not poll by itself: the kick
 * when its unit runs does, so a project that starts many units at once does not poll while they start.
 *
 * Entries: one journal entry is one ring line. PRIORITY <= 3 (err and worse: the __exec wrapper's stderr
 * stream, or a "<N>" prefix) is LOG_STREAM_STDERR, anything else LOG_STREAM_STDOUT. journald splits lines
 * longer than its LineMax (48 KiB by default) into several entries (_LINE_BREAK=line-max); they stay separate
 * ring lines, in order. Messages are stored as bytes (binary data and NULs included, with their length). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-event.h>
#include <systemd/sd-journal.h>

#include "journal/journal-entry.h"
#include "journal/logring.h"
#include "shared/macro.h"
#include "shared/time-util.h"

typedef struct JournalFollower JournalFollower;

/* What one appended journal entry adds to its process's counters. */
typedef struct JournalCount {
        uint64_t lines;              /* ring lines appended from the journal: 1 (a note's marker line too) */
        uint64_t dropped;            /* lines journald suppressed (rate limit), from a suppression note */
        usec_t realtime;             /* of an output line; 0 for a note */
} JournalCount;

/* Called from the follower's dispatch, after the ring's observers: it must not add or remove sources. */
typedef void (*JournalCountFunc)(const JournalCount *count, void *userdata);

/* The ring must outlive the registration; it is the process's for as long as the process exists (a
 * config update truncates or resizes it in place). Strings are copied. */
typedef struct JournalSource {
        const char *ident;           /* SYSLOG_IDENTIFIER, unique per process: the key */
        const char *unit;            /* "pcctl-<project>-<process>.service", may be NULL */
        LogRing *ring;
        JournalCountFunc count;      /* may be NULL: called after each entry appended to ring */
        void *userdata;
} JournalSource;

int journal_follower_new(sd_event *e, JournalFollower **ret);
/* The same on the journal files in dirs (NULL-terminated, copied) instead of this machine's journal: for
 * tests and tools that read a journal directory of their own. Backfill still reads the local journal. */
int journal_follower_new_in(sd_event *e, const char *const *dirs, JournalFollower **ret);
JournalFollower *journal_follower_free(JournalFollower *f);
DEFINE_TRIVIAL_CLEANUP_FUNC(JournalFollower *, journal_follower_free);

/* backfill: first append the last log_ring_max_lines(ring) lines already in the journal for this process
 * (synchronous, bounded by the ring size), so a restarted controller shows no gap. -EEXIST if the ident is
 * registered already. */
int journal_follower_add(JournalFollower *f, const JournalSource *src, bool backfill);
/* For a restarted controller: adds src and refills its (empty) ring from the journal so that the entry at
 * cursor gets ring seq seq again, with up to the ring's size of lines before it and every line after it; the
 * follow then goes on from there. Without cursor, or when the journal no longer has it, a plain backfill whose
 * first line gets seq. */
int journal_follower_add_resume(JournalFollower *f, const JournalSource *src, const char *cursor, uint64_t seq);
/* Every registered unit runs in this slice (NULL: not known): the matches then use the slice's terms instead
 * of each unit's (see journal_add_process_matches()). Lines of other units of the slice are read and
 * dropped. Backfill always uses the process's own terms. */
int journal_follower_set_slice(JournalFollower *f, const char *slice);
/* -ENOENT if unknown. After it returns, the source's ring is never touched and its count function never
 * called again. */
int journal_follower_remove(JournalFollower *f, const char *ident);

/* Poll the journal fast for a short while: call it when a unit was started, so its first lines do not wait
 * for journald's 250 ms inotify wake-up. */
void journal_follower_kick(JournalFollower *f);

/* Reads, now, every entry journald has written so far: the files are searched afresh (polls may skip a file
 * whose last entry was being linked when they looked, until journald's next change notification, 250-500 ms
 * later), a rotation is taken in, and the read goes to the end however many batches that takes. Call it when
 * every line must be in the rings, e.g. after journald's Synchronize call (journal-sync.h) answered. Returns
 * false if an entry was met that journald is still linking (it is read again later: call again). */
bool journal_follower_sync(JournalFollower *f);

typedef struct JournalFollowerStats {
        uint64_t entries;            /* entries appended to rings */
        uint64_t notes;              /* suppression notes seen */
        uint64_t polls;              /* fast-poll timer wake-ups */
        uint64_t wakeups;            /* inotify wake-ups */
        uint64_t rebuilds;           /* match rebuilds */
        uint64_t reopens;            /* reopened on journald's file rotation */
        uint64_t caught_up_files;    /* archived files opened because journald rotated twice since a read */
        uint64_t reseeks;            /* searches afresh after journald's change notification */
        uint64_t rereads;            /* entries read again because their MESSAGE was not readable yet */
        uint64_t syncs;              /* journal_follower_sync() calls */
        uint64_t sync_entries;       /* entries that only journal_follower_sync() found */
        bool polling;                /* the fast-poll timer is armed */
} JournalFollowerStats;
void journal_follower_get_stats(const JournalFollower *f, JournalFollowerStats *ret);
