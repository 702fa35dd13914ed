/* The follower's journal files: which ones its handle holds, and the reopen when journald rotates or starts
 * a new file. See journal-follower.c for the rest of the follower. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "journal/journal-follower-internal.h"
#include "shared/event-util.h"
#include "shared/log.h"

/* The first n files of the set are the handle's first n, path and inode. */
static bool file_set_same_prefix(const JournalFollower *f, const JournalFileSet *s, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (!streq(s->paths[i], f->files[i]) || s->inodes[i] != f->inodes[i])
                        return false;
        return true;
}

/* Same active files as the handle has (archived ones being caught up on do not count). */
static bool file_set_same_active(const JournalFollower *f, const JournalFileSet *s) {
        return s->n_active == f->n_active && file_set_same_prefix(f, s, s->n_active);
}

static bool file_set_same(const JournalFollower *f, const JournalFileSet *s) {
        return s->n == f->n_files && s->n_active == f->n_active && file_set_same_prefix(f, s, s->n);
}

int follower_scan(const JournalFollower *f, const JournalArchiveFilter *filter, JournalFileSet *ret) {
        if (f->dirs)
                return journal_file_set_scan((const char *const *) f->dirs, filter, ret);
        return journal_file_set_scan_local(filter, ret);
}

/* Opens the active files (or, if there are none to be found, the whole local journal). */
int follower_open_active(const JournalFollower *f, JournalFileSet *set, sd_journal **ret) {
        int r;

        if (follower_scan(f, NULL, set) >= 0 && set->n > 0) {
                r = sd_journal_open_files(ret, (const char **) set->paths, 0);
                if (r >= 0)
                        return 1;
        }
        journal_file_set_done(set);
        if (f->dirs)
                return -ENOENT;        /* no local fallback for a journal of one's own */
        return sd_journal_open(ret, SD_JOURNAL_LOCAL_ONLY);
}

/* The handle's files that journald has archived are complete, and were read to their end: remember
 * them, so that no reopen takes them again; forget the ones that are gone. */
static void follower_update_done(JournalFollower *f, const JournalFileSet *set) {
        size_t n = 0;

        for (size_t i = 0; i < f->n_done; i++)
                if (journal_inode_in(set->archived, set->n_archived, f->done[i]))
                        f->done[n++] = f->done[i];
        f->n_done = n;
        for (size_t i = 0; i < f->n_files; i++) {
                ino_t *v;

                if (!journal_inode_in(set->archived, set->n_archived, f->inodes[i]) ||
                    journal_inode_in(f->done, f->n_done, f->inodes[i]))
                        continue;
                v = reallocarray(f->done, f->n_done + 1, sizeof(ino_t));
                if (!v)
                        return;         /* at worst an archived file is read twice: its lines are skipped */
                f->done = v;
                f->done[f->n_done++] = f->inodes[i];
        }
}

/* Opens the current set of active files and continues there from the cursor of the last entry read.
 * Archived files that start after that entry and were never in the handle are opened too: journald
 * rotated more than once since the last read (a follower far behind, or `journalctl --rotate` twice),
 * and their lines are still to be read. The next reopen, once they are read, drops them again. */
void follower_reopen(JournalFollower *f) {
        _cleanup_(sd_journal_closep) sd_journal *j = NULL;
        JournalArchiveFilter filter = {
                .skip = { f->done, f->inodes },
                .n_skip = { f->n_done, f->n_files },
        };
        bool have_pos;
        JournalFileSet set = {};
        int r;

        f->reopen_pending = false;
        follower_remember_position(f);
        have_pos = f->cursor && journal_cursor_position(f->cursor, &filter.seqnum_id, &filter.after);
        if (follower_scan(f, have_pos ? &filter : NULL, &set) < 0 || set.n_active == 0 ||
            file_set_same(f, &set)) {
                journal_file_set_done(&set);
                return;
        }
        /* journald may have added lines to a file of the handle after the last read and archived it since:
         * read those first (the file is complete now) */
        r = sd_journal_next(f->journal);
        if (r > 0) {
                (void) sd_journal_previous(f->journal);
                f->reopen_pending = true;
                (void) sd_event_source_set_enabled(f->defer, SD_EVENT_ONESHOT);
                journal_file_set_done(&set);
                return;
        }
        r = sd_journal_open_files(&j, (const char **) set.paths, 0);
        if (r >= 0)
                (void) sd_journal_set_data_threshold(j, DATA_THRESHOLD);
        if (r < 0) {
                /* Usually a file journald has just created and not yet given its header (-ENODATA): its
                 * next write wakes us anyway, but do not count on it. Retry after 10 ms, 20 ms, ... 1 s;
                 * say so only if it lasts. */
                usec_t delay = MIN((usec_t) 10 * USEC_PER_MSEC << MIN(f->reopen_failures, 7u), USEC_PER_SEC);

                f->reopen_failures++;
                log_full_errno(f->reopen_failures == REOPEN_FAILURES_WARN ? LOG_WARNING : LOG_DEBUG, r,
                               "Failed to reopen the journal after a file change (attempt %u), keeping the old "
                               "files and retrying: %m", f->reopen_failures);
                (void) sd_event_source_set_time(f->timeout, event_now(f->event, CLOCK_MONOTONIC) + delay);
                (void) sd_event_source_set_enabled(f->timeout, SD_EVENT_ONESHOT);
                journal_file_set_done(&set);
                return;
        }
        if (f->reopen_failures >= REOPEN_FAILURES_WARN)
                log_info("Reopened the journal after %u failed attempts.", f->reopen_failures);
        f->reopen_failures = 0;
        if (set.n > set.n_active)
                log_debug("Catching up on %zu archived journal file(s) after more than one rotation.",
                          set.n - set.n_active);

        follower_update_done(f, &set);
        sd_journal_close(f->journal);
        f->journal = TAKE_PTR(j);
        for (size_t i = 0; i < f->n_files; i++)
                free(f->files[i]);
        free(f->files);
        free(f->inodes);
        free(set.archived);
        f->files = set.paths;
        f->inodes = set.inodes;
        f->n_files = set.n;
        f->n_active = set.n_active;
        f->matches_dirty = true;        /* re-adds the matches and seeks to f->cursor */
        f->stats.reopens++;
        f->stats.caught_up_files += set.n - set.n_active;
}

/* journald rotated a file or started a new one: finish the old files, then continue on the new set from
 * the cursor of the last entry read. The old files are read out in batches like any other drain, so the
 * loop (and the followers of the rings) keeps running while a large backlog is read; follower_drain()
 * reopens when it reaches their end. */
void follower_check_files(JournalFollower *f) {
        JournalFileSet set = {};
        bool same;

        if (!f->files)
                return;         /* the whole journal is open: sd-journal follows new files itself */
        if (f->reopen_pending)
                return;         /* noticed already */
        if (follower_scan(f, NULL, &set) < 0 || set.n == 0) {
                journal_file_set_done(&set);
                return;
        }
        same = file_set_same_active(f, &set);
        journal_file_set_done(&set);
        if (same)
                return;
        f->reopen_pending = true;
        (void) sd_event_source_set_enabled(f->defer, SD_EVENT_ONESHOT);
}
