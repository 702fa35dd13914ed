/* What the follower's files share: its objects and the steps one file hands to the other. Not for other
 * areas. */
#pragma once

#include <sys/types.h>

#include <systemd/sd-event.h>
#include <systemd/sd-id128.h>
#include <systemd/sd-journal.h>

#include "journal/journal-files.h"
#include "journal/journal-follower.h"

#define REOPEN_FAILURES_WARN 5u                /* ~150 ms of failed reopens after a file change */
#define DATA_THRESHOLD (256u * 1024u)          /* > journald's LineMax: messages are never cut */
/* How long an entry read without its MESSAGE is read again before it is taken as it is (an entry that really
 * has none). A live entry's MESSAGE is readable microseconds later (see dispatch_entry()). */
#define INCOMPLETE_WAIT_USEC (1 * USEC_PER_SEC)

typedef struct Source {
        char *ident;
        char *unit;
        size_t ident_len, unit_len;
        LogRing *ring;
        JournalCountFunc count;
        void *userdata;

        /* Position of the newest entry appended, to never append an entry twice (several match terms, a
         * match rebuild from a cursor, backfill overlapping the live position). */
        sd_id128_t last_seqnum_id;
        uint64_t last_seqnum;
        bool have_last;
} Source;

struct JournalFollower {
        sd_event *event;
        sd_journal *journal;
        sd_event_source *io, *poll, *defer, *timeout;

        Source **sources;
        size_t n_sources, n_allocated;
        Source *last_hit;

        char *slice;                  /* every source's unit runs in it: one term for all their units */
        char *cursor;                 /* the last entry read before the latest match rebuild */
        bool skip_cursor;             /* the next entry may be that entry again */
        bool reread;                  /* the current entry was read incomplete: read it again, not the next */
        sd_id128_t incomplete_id;     /* journald sequence and seqnum of the entry read incomplete, */
        uint64_t incomplete_seqnum;   /* and since when (CLOCK_MONOTONIC) */
        usec_t incomplete_since;
        usec_t anchor_realtime;       /* where to start if the journal had no entry at all */
        int inotify_fd;               /* ours, with the active files; -EBADF with the whole journal */
        bool matches_dirty;
        bool reseek;                  /* journald finished writing since the last read: search afresh */
        bool reopen_pending;         /* the active files changed: reopen once the old ones are read out */
        unsigned reopen_failures;     /* in a row; the retry waits longer each time */

        usec_t hot_until;             /* CLOCK_MONOTONIC: poll until then */

        /* The handle holds only the journal files journald writes to (system.journal, user-UID.journal):
         * archived files never get new lines, and every match costs a lookup in every open file on each
         * sd_journal_next() (measured: 46 files, 10 processes: 0.5 s for the first read after a match
         * change, 0.3-0.5 ms per idle poll; with the active file only: 1.5 ms and ~1 µs). When journald
         * rotates or a new active file appears, the handle is reopened and resumes from the cursor. */
        char **dirs;                  /* the directories of the journal to read; NULL: this machine's */
        char **files;                 /* NULL: fallback, the whole local journal */
        ino_t *inodes;
        size_t n_files, n_active;     /* the active files first, then archived ones being caught up on */
        /* Archived files read to their end (they were in the handle when journald archived them): a
         * reopen never opens them again. Pruned to the files that still exist. */
        ino_t *done;
        size_t n_done;
        JournalFollowerStats stats;
};

/* journal-follower.c */
/* The current entry is the last one read (or the anchor): remember it, before a flush of the matches, a
 * seek or a reopen detaches the position. */
void follower_remember_position(JournalFollower *f);

/* journal-follower-files.c */
/* Opens the active files (or, if there are none to be found, the whole local journal): 1 with files, 0 with
 * the whole journal, or -errno. */
int follower_open_active(const JournalFollower *f, JournalFileSet *set, sd_journal **ret);
/* The journal files of the follower's directories (see journal_file_set_scan()). */
int follower_scan(const JournalFollower *f, const JournalArchiveFilter *filter, JournalFileSet *ret);
/* journald rotated a file or started a new one: reopen once the old files are read out. */
void follower_check_files(JournalFollower *f);
/* Opens the current set of active files and continues there from the cursor of the last entry read. */
void follower_reopen(JournalFollower *f);
