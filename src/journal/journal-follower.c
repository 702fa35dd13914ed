/* The journal follower: see journal-follower.h.
 *
 * One sd_journal handle, three event sources on the caller's loop:
 *   io       the handle's inotify fd: journald's own wake-up, at most every 250 ms;
 *   poll     a 1 µs-accurate timer that calls sd_journal_next() every few ms while lines flow (journald
 *            writes each entry into the shared mmap at once, so this sees it long before the inotify
 *            wake-up) and switches itself off when the project has been quiet for a while;
 *   defer    re-arms the drain when a batch was cut short, so a flood never starves the loop.
 * A fourth, timeout, honours sd_journal_get_timeout() on file systems without inotify.
 *
 * Which journal files the handle holds, and its reopen on journald's rotations, are in
 * journal-follower-files.c; the match terms and the fields read from an entry in journal-entry.c. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <syslog.h>
#include <unistd.h>

#include <systemd/sd-id128.h>
#include <systemd/sd-journal.h>

#include "journal/journal-entry.h"
#include "journal/journal-files.h"
#include "journal/journal-follower-internal.h"
#include "shared/event-util.h"
#include "shared/log.h"
#include "shared/parse-util.h"
#include "shared/strv.h"

#define POLL_INTERVAL_USEC (3 * USEC_PER_MSEC)
#define HOT_LINGER_USEC (2 * USEC_PER_SEC)     /* keep polling this long after the last line */
#define KICK_USEC (2 * USEC_PER_SEC)
/* Entries read per dispatch before yielding to the rest of the loop. Well below a ring's default 1000 lines:
 * a ring's followers (WebSocket sessions) pull after at most two batches, so a flood read in batches never
 * evicts lines they have not seen. */
#define DRAIN_BATCH 256u
/* journal_follower_sync() reads at most this many batches (4 M entries) */
#define SYNC_MAX_BATCHES 16384u
static Source *source_free(Source *s) {
        if (!s)
                return NULL;
        free(s->ident);
        free(s->unit);
        return mfree(s);
}

JournalFollower *journal_follower_free(JournalFollower *f) {
        if (!f)
                return NULL;

        sd_event_source_disable_unref(f->io);
        sd_event_source_disable_unref(f->poll);
        sd_event_source_disable_unref(f->defer);
        sd_event_source_disable_unref(f->timeout);
        sd_journal_close(f->journal);
        safe_close(f->inotify_fd);
        sd_event_unref(f->event);
        for (size_t i = 0; i < f->n_sources; i++)
                source_free(f->sources[i]);
        free(f->sources);
        free(f->slice);
        free(f->cursor);
        strv_free(f->dirs);
        for (size_t i = 0; i < f->n_files; i++)
                free(f->files[i]);
        free(f->files);
        free(f->inodes);
        free(f->done);
        return mfree(f);
}

/* ---- lookup ---- */

static Source *find_by_ident(JournalFollower *f, const char *v, size_t n) {
        if (f->last_hit && f->last_hit->ident_len == n && memcmp(f->last_hit->ident, v, n) == 0)
                return f->last_hit;
        for (size_t i = 0; i < f->n_sources; i++) {
                Source *s = f->sources[i];

                if (s->ident_len == n && memcmp(s->ident, v, n) == 0)
                        return (f->last_hit = s);
        }
        return NULL;
}

static Source *find_by_unit(JournalFollower *f, const char *v, size_t n) {
        for (size_t i = 0; i < f->n_sources; i++) {
                Source *s = f->sources[i];

                if (s->unit && s->unit_len == n && memcmp(s->unit, v, n) == 0)
                        return (f->last_hit = s);
        }
        return NULL;
}

static ssize_t find_index(JournalFollower *f, const char *ident) {
        for (size_t i = 0; i < f->n_sources; i++)
                if (streq(f->sources[i]->ident, ident))
                        return (ssize_t) i;
        return -1;
}

/* ---- matches ---- */

static int add_matches(sd_journal *j, Source *const *sources, size_t n, const char *slice) {
        _cleanup_free_ const char **idents = new(const char *, n), **units = new(const char *, n);

        if (!idents || !units)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                idents[i] = sources[i]->ident;
                units[i] = sources[i]->unit;
        }
        return journal_add_process_matches(j, idents, units, n, slice);
}

/* The current entry is the last one read (or the anchor): remember it, before a flush of the matches, a
 * seek or a reopen detaches the position. Without a current entry (just sought, never read) keep the old. */
void follower_remember_position(JournalFollower *f) {
        _cleanup_free_ char *cursor = NULL;

        if (sd_journal_get_cursor(f->journal, &cursor) >= 0) {
                free(f->cursor);
                f->cursor = TAKE_PTR(cursor);
        }
}

/* To the last entry read (the next read skips it if it comes again), or to the anchor's time. */
static int follower_seek_last(JournalFollower *f) {
        int r;

        if (!f->cursor)
                return sd_journal_seek_realtime_usec(f->journal, f->anchor_realtime);
        r = sd_journal_seek_cursor(f->journal, f->cursor);
        /* The cursor's entry is the last one read, unless it was read incomplete: then it is read again. */
        f->skip_cursor = r >= 0 && !f->reread;
        f->reread = false;
        return r;
}

static int follower_rebuild(JournalFollower *f) {
        int r;

        follower_remember_position(f);

        sd_journal_flush_matches(f->journal);
        f->matches_dirty = false;
        f->stats.rebuilds++;
        if (f->n_sources == 0)
                return 0;

        r = add_matches(f->journal, f->sources, f->n_sources, f->slice);
        if (r < 0) {
                sd_journal_flush_matches(f->journal);
                f->matches_dirty = true;
                return r;
        }

        return follower_seek_last(f);
}

/* Positions the handle where it is again, so that the next read searches the files afresh.
 *
 * sd-journal remembers per file that a read found nothing and then skips the file until its entry count
 * changes. journald counts a new entry in the file header before it links the entry to the data objects
 * that matches look up, so a read that falls between the two finds nothing and remembers the new count: the
 * entry is not seen until the next one is written, on a quiet machine never (seen as a lost ready_log_line
 * about once in 50 starts under load, with the 3 ms polling). journald's change notification comes after
 * the entry is complete, so every inotify wake-up re-seeks before it reads. */
static void follower_reseek(JournalFollower *f) {
        int r;

        f->reseek = false;
        if (f->matches_dirty)
                return;         /* the rebuild seeks anyway */
        follower_remember_position(f);
        r = follower_seek_last(f);
        if (r < 0)
                log_debug_errno(r, "Failed to seek the journal to the last entry read: %m");
        f->stats.reseeks++;
}

/* ---- dispatch ---- */

/* Whether the entry at (id, seqnum), read without its MESSAGE, is to be read again later rather than taken as
 * a line without text. journald makes an entry visible to readers before it has linked it to all of its data
 * objects, and sd-journal skips a data object that fails its consistency check while it is being linked: read
 * at that moment, the entry lacks its newest data object, which is its MESSAGE (a new line's text). The
 * follower polls the tail every few ms while a process floods, so it meets such entries now and then
 * (measured: 3 in 3.5 minutes of test-ws-stall, all 19 other fields there, MESSAGE missing), and each became
 * an empty line in the ring where the text should be. Read again a moment later, the entry is whole. An
 * entry that really has no MESSAGE is taken after INCOMPLETE_WAIT_USEC. */
static bool entry_read_again(JournalFollower *f, bool have_pos, sd_id128_t id, uint64_t seqnum) {
        usec_t now = now_usec(CLOCK_MONOTONIC);

        if (!have_pos)
                return false;
        if (!sd_id128_equal(id, f->incomplete_id) || seqnum != f->incomplete_seqnum) {
                f->incomplete_id = id;
                f->incomplete_seqnum = seqnum;
                f->incomplete_since = now;
        }
        return now < f->incomplete_since + INCOMPLETE_WAIT_USEC;
}

/* 1 when the entry went to a ring, 0 when it is not for us or seen already, -EAGAIN when it must be read
 * again later (only on the live handle, may_wait), -errno on failure. */
static int dispatch_entry(JournalFollower *f, sd_journal *j, bool may_wait) {
        _cleanup_free_ char *cursor = NULL;
        JournalCount count = { .lines = 1 };
        JournalEntryFields e;
        Source *s = NULL;
        sd_id128_t seqnum_id = {};
        uint64_t seqnum = 0, realtime = 0;
        bool note, have_pos;
        int priority = LOG_INFO, r;
        pid_t pid = 0;

        journal_entry_fields_read(j, &e);

        note = journal_entry_is_suppression_note(&e);
        if (note) {
                /* user@ machines: the note names the rate-limited user@UID.service as OBJECT_SYSTEMD_UNIT
                 * and the unit that logged as OBJECT_SYSTEMD_USER_UNIT. */
                if (e.object_user_unit)
                        s = find_by_unit(f, e.object_user_unit, e.object_user_unit_len);
                if (!s && e.object_unit)
                        s = find_by_unit(f, e.object_unit, e.object_unit_len);
        } else {
                if (e.ident)
                        s = find_by_ident(f, e.ident, e.ident_len);
                if (!s && e.user_unit)
                        s = find_by_unit(f, e.user_unit, e.user_unit_len);
                if (!s && e.unit)
                        s = find_by_unit(f, e.unit, e.unit_len);
        }
        if (!s)
                return 0;        /* a process removed since the matches were built */

        r = sd_journal_get_cursor(j, &cursor);
        if (r < 0)
                return r;
        have_pos = journal_cursor_position(cursor, &seqnum_id, &seqnum);
        if (have_pos && s->have_last && sd_id128_equal(seqnum_id, s->last_seqnum_id) && seqnum <= s->last_seqnum)
                return 0;        /* seen already */

        if (!e.message && may_wait && entry_read_again(f, have_pos, seqnum_id, seqnum)) {
                f->stats.rereads++;
                return -EAGAIN;
        }

        (void) sd_journal_get_realtime_usec(j, &realtime);

        if (note) {
                uint64_t n = journal_entry_suppressed_count(&e);
                char buf[64];
                int k;

                k = snprintf(buf, sizeof buf, "-- journald dropped %" PRIu64 " lines --", n);
                r = log_ring_append(s->ring, buf, (size_t) k, realtime, LOG_WARNING, LOG_STREAM_PCCTL, 0,
                                    cursor);
                if (r < 0)
                        return r;
                count.dropped = n;
                f->stats.notes++;
        } else {
                uint64_t p;

                if (e.priority && parse_u64_len(e.priority, e.priority_len, &p) >= 0 && p <= 7)
                        priority = (int) p;
                if (e.pid && parse_u64_len(e.pid, e.pid_len, &p) >= 0 && p <= INT32_MAX)
                        pid = (pid_t) p;
                r = log_ring_append(s->ring, e.message ?: "", e.message ? e.message_len : 0, realtime, priority,
                                    priority <= LOG_ERR ? LOG_STREAM_STDERR : LOG_STREAM_STDOUT, pid, cursor);
                if (r < 0)
                        return r;
                count.realtime = realtime;
        }
        if (s->count)
                s->count(&count, s->userdata);
        f->stats.entries++;

        if (have_pos) {
                s->last_seqnum_id = seqnum_id;
                s->last_seqnum = seqnum;
                s->have_last = true;
        }
        return 1;
}

/* ---- the loop side ---- */

static void follower_heat(JournalFollower *f, usec_t duration) {
        usec_t now = event_now(f->event, CLOCK_MONOTONIC);
        int enabled = SD_EVENT_OFF;

        f->hot_until = MAX(f->hot_until, now + duration);

        (void) sd_event_source_get_enabled(f->poll, &enabled);
        if (enabled == SD_EVENT_OFF) {
                (void) sd_event_source_set_time(f->poll, now + POLL_INTERVAL_USEC);
                (void) sd_event_source_set_enabled(f->poll, SD_EVENT_ONESHOT);
                f->stats.polling = true;
        }
}

static void follower_update_timeout(JournalFollower *f) {
        uint64_t t;

        if (f->files)
                return;         /* our own inotify watch; sd_journal_get_timeout() would allocate another */
        if (sd_journal_get_timeout(f->journal, &t) < 0 || t == UINT64_MAX) {
                (void) sd_event_source_set_enabled(f->timeout, SD_EVENT_OFF);
                return;
        }
        (void) sd_event_source_set_time(f->timeout, t);
        (void) sd_event_source_set_enabled(f->timeout, SD_EVENT_ONESHOT);
}

static bool follower_drain(JournalFollower *f) {
        unsigned n, appended = 0;
        int r;

        if (f->n_sources == 0)
                return false;   /* nothing to read for: the matches wait for the next process */
        if (f->matches_dirty) {
                r = follower_rebuild(f);
                if (r < 0)
                        log_warning_errno(r, "Failed to set up journal matches: %m");
        }
        if (f->matches_dirty)
                return false;
        if (f->reseek)
                follower_reseek(f);

        for (n = 0; n < DRAIN_BATCH; n++) {
                if (f->reread) {
                        /* The current entry was read incomplete: again, without moving. */
                        f->reread = false;
                        r = 1;
                } else
                        r = sd_journal_next(f->journal);
                if (r < 0) {
                        log_warning_errno(r, "Failed to read the journal: %m");
                        break;
                }
                if (r == 0) {
                        /* archived files caught up on are read out: drop them */
                        if (f->n_files > f->n_active)
                                f->reopen_pending = true;
                        if (f->reopen_pending) {
                                /* The old files are read out: continue on the new set, in the next batch. */
                                follower_reopen(f);
                                (void) sd_event_source_set_enabled(f->defer, SD_EVENT_ONESHOT);
                        }
                        break;
                }
                if (f->skip_cursor) {
                        f->skip_cursor = false;
                        if (sd_journal_test_cursor(f->journal, f->cursor) > 0)
                                continue;
                }
                r = dispatch_entry(f, f->journal, true);
                if (r == -EAGAIN) {
                        /* Stay on it and look again at the next poll. */
                        f->reread = true;
                        follower_heat(f, HOT_LINGER_USEC);
                        break;
                }
                if (r < 0)
                        log_debug_errno(r, "Failed to store a journal entry, skipping: %m");
                else if (r > 0)
                        appended++;
        }

        if (n >= DRAIN_BATCH)
                (void) sd_event_source_set_enabled(f->defer, SD_EVENT_ONESHOT);
        if (appended > 0)
                follower_heat(f, HOT_LINGER_USEC);
        return n >= DRAIN_BATCH;
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata);

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        JournalFollower *f = userdata;
        int r;

        f->stats.wakeups++;
        f->reseek = true;
        if (f->files) {
                /* Our own set of active files: we only need the wake-up. sd_journal_process() would drop a
                 * renamed (rotated) file from the handle, and with it the lines written there since the last
                 * read; so empty the inotify queue ourselves and reopen on our own terms. */
                char buf[4096];

                while (read(fd, buf, sizeof buf) > 0)
                        ;
                follower_check_files(f);
        } else {
                r = sd_journal_process(f->journal);     /* drains inotify; must run on every wake-up */
                if (r < 0)
                        log_warning_errno(r, "Failed to process journal changes: %m");
        }
        (void) follower_drain(f);
        follower_update_timeout(f);
        return 0;
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        JournalFollower *f = userdata;

        f->reseek = true;

        if (f->files)
                follower_check_files(f);
        else
                (void) sd_journal_process(f->journal);
        (void) follower_drain(f);
        follower_update_timeout(f);
        return 0;
}

static int on_poll(sd_event_source *s, uint64_t usec, void *userdata) {
        JournalFollower *f = userdata;
        usec_t now;

        f->stats.polls++;
        (void) follower_drain(f);

        if (sd_event_now(f->event, CLOCK_MONOTONIC, &now) < 0 || now >= f->hot_until) {
                f->stats.polling = false;      /* quiet: back to inotify alone */
                return 0;
        }
        (void) sd_event_source_set_time(s, now + POLL_INTERVAL_USEC);
        (void) sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        return 0;
}

static int on_defer(sd_event_source *s, void *userdata) {
        (void) follower_drain(userdata);
        return 0;
}

int journal_follower_new(sd_event *e, JournalFollower **ret) {
        return journal_follower_new_in(e, NULL, ret);
}

int journal_follower_new_in(sd_event *e, const char *const *dirs, JournalFollower **ret) {
        _cleanup_(journal_follower_freep) JournalFollower *f = NULL;
        int fd, r;

        if (!e || !ret)
                return -EINVAL;

        f = new0(JournalFollower, 1);
        if (!f)
                return -ENOMEM;
        f->inotify_fd = -EBADF;
        f->event = sd_event_ref(e);
        if (dirs) {
                f->dirs = strv_copy((char *const *) dirs);
                if (!f->dirs)
                        return -ENOMEM;
        }

        {
                JournalFileSet set = {};

                r = follower_open_active(f, &set, &f->journal);
                if (r < 0)
                        return r;
                f->files = set.paths;
                f->inodes = set.inodes;
                f->n_files = f->n_active = set.n;
                free(set.archived);
        }
        (void) sd_journal_set_data_threshold(f->journal, DATA_THRESHOLD);

        /* Anchor first, with no match at all, so that the position is a real entry and not a lazy "tail"
         * that resolves only when a matching entry shows up (notes §4.4: that lost the first ~250 ms). */
        f->anchor_realtime = now_usec(CLOCK_REALTIME);
        r = sd_journal_seek_tail(f->journal);
        if (r < 0)
                return r;
        r = sd_journal_previous(f->journal);
        if (r < 0)
                return r;

        if (f->files) {
                /* One inotify instance of our own on the journal directories: file writes (journald
                 * touches the file after each batch), new and renamed files. sd-journal sets no watch for
                 * a handle opened on explicit files. */
                f->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
                if (f->inotify_fd < 0)
                        return -errno;
                for (size_t i = 0; i < f->n_files; i++) {
                        _cleanup_free_ char *dir = strdup(f->files[i]);
                        char *slash = dir ? strrchr(dir, '/') : NULL;

                        if (!slash)
                                return -ENOMEM;
                        *slash = 0;
                        if (inotify_add_watch(f->inotify_fd, dir, IN_MODIFY | IN_ATTRIB | IN_CREATE | IN_MOVED_TO |
                                              IN_MOVED_FROM | IN_DELETE | IN_ONLYDIR) < 0)
                                return -errno;
                }
                fd = f->inotify_fd;
        } else {
                fd = sd_journal_get_fd(f->journal);
                if (fd < 0)
                        return fd;
        }
        r = sd_event_add_io(e, &f->io, fd, EPOLLIN, on_io, f);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(f->io, "journal-follower-io");

        /* accuracy 1 µs: with 0 sd-event would use its default of 250 ms (notes §0.1) */
        r = sd_event_add_time(e, &f->poll, CLOCK_MONOTONIC, 0, 1, on_poll, f);
        if (r < 0)
                return r;
        (void) sd_event_source_set_enabled(f->poll, SD_EVENT_OFF);
        (void) sd_event_source_set_description(f->poll, "journal-follower-poll");

        r = sd_event_add_time(e, &f->timeout, CLOCK_MONOTONIC, 0, 1, on_timeout, f);
        if (r < 0)
                return r;
        (void) sd_event_source_set_enabled(f->timeout, SD_EVENT_OFF);

        r = sd_event_add_defer(e, &f->defer, on_defer, f);
        if (r < 0)
                return r;
        (void) sd_event_source_set_enabled(f->defer, SD_EVENT_OFF);
        /* below the default priority: other work (HTTP, bus) interleaves with a long drain */
        (void) sd_event_source_set_priority(f->defer, SD_EVENT_PRIORITY_NORMAL + 10);

        follower_update_timeout(f);
        *ret = TAKE_PTR(f);
        return 0;
}

static int follower_backfill(JournalFollower *f, Source *s) {
        _cleanup_(sd_journal_closep) sd_journal *j = NULL;
        size_t n = log_ring_max_lines(s->ring);
        int r;

        r = sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY);
        if (r < 0)
                return r;
        (void) sd_journal_set_data_threshold(j, DATA_THRESHOLD);
        /* this process's own terms: the last n entries must be its own, not the slice's */
        r = add_matches(j, &s, 1, NULL);
        if (r < 0)
                return r;
        r = sd_journal_seek_tail(j);
        if (r < 0)
                return r;
        r = sd_journal_previous_skip(j, n);
        if (r <= 0)
                return r;
        do {
                r = dispatch_entry(f, j, false);
                if (r < 0)
                        return r;
        } while (sd_journal_next(j) > 0);
        return 0;
}

/* Refills an empty ring from the journal around the entry at cursor, whose ring seq was seq: up to the ring's
 * size before it, then everything after it. The lines get the seqs the previous controller gave them. */
static int follower_backfill_resume(JournalFollower *f, Source *s, const char *cursor, uint64_t seq) {
        _cleanup_(sd_journal_closep) sd_journal *j = NULL;
        size_t n = log_ring_max_lines(s->ring);
        int r, back;

        r = sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY);
        if (r < 0)
                return r;
        (void) sd_journal_set_data_threshold(j, DATA_THRESHOLD);
        r = add_matches(j, &s, 1, NULL);
        if (r < 0)
                return r;
        r = sd_journal_seek_cursor(j, cursor);
        if (r < 0)
                return r;
        r = sd_journal_next(j);
        if (r <= 0)
                return r < 0 ? r : -ENOENT;
        if (sd_journal_test_cursor(j, cursor) <= 0)
                return -ENOENT;        /* the entry is gone (vacuumed): the caller backfills plainly */
        back = n > 1 ? sd_journal_previous_skip(j, n - 1) : 0;
        if (back < 0)
                return back;
        if ((uint64_t) back > seq)
                back = (int) seq;
        r = log_ring_set_next_seq(s->ring, seq - (uint64_t) back);
        if (r < 0)
                return r;
        do {
                r = dispatch_entry(f, j, false);
                if (r < 0)
                        return r;
        } while (sd_journal_next(j) > 0);
        return 1;
}

int journal_follower_add_resume(JournalFollower *f, const JournalSource *src, const char *cursor, uint64_t seq) {
        Source *s;
        int r;

        r = journal_follower_add(f, src, false);
        if (r < 0)
                return r;
        s = f->sources[f->n_sources - 1];
        r = cursor ? follower_backfill_resume(f, s, cursor, seq) : -ENOENT;
        if (r < 0) {
                if (r != -ENOENT)
                        log_debug_errno(r, "Failed to resume %s at its cursor, backfilling: %m", s->ident);
                if (log_ring_count(s->ring) == 0)
                        (void) log_ring_set_next_seq(s->ring, seq);
                r = follower_backfill(f, s);
                if (r < 0)
                        log_debug_errno(r, "Failed to backfill %s from the journal: %m", s->ident);
        }
        return 0;
}

int journal_follower_add(JournalFollower *f, const JournalSource *src, bool backfill) {
        Source *s;
        int r;

        if (!f || !src || isempty(src->ident) || !src->ring)
                return -EINVAL;
        if (find_index(f, src->ident) >= 0)
                return -EEXIST;
        if (!GREEDY_REALLOC(f->sources, f->n_allocated, f->n_sources + 1))
                return -ENOMEM;

        s = new0(Source, 1);
        if (!s)
                return -ENOMEM;
        *s = (Source) {
                .ident = strdup(src->ident),
                .unit = src->unit ? strdup(src->unit) : NULL,
                .ring = src->ring,
                .count = src->count,
                .userdata = src->userdata,
        };
        if (!s->ident || (src->unit && !s->unit)) {
                source_free(s);
                return -ENOMEM;
        }
        s->ident_len = strlen(s->ident);
        s->unit_len = s->unit ? strlen(s->unit) : 0;
        f->sources[f->n_sources++] = s;

        if (backfill) {
                r = follower_backfill(f, s);
                if (r < 0)
                        log_debug_errno(r, "Failed to backfill %s from the journal: %m", s->ident);
        }

        /* Rebuild lazily: several adds in a row cost one rebuild, done from the defer source. No fast
         * polling yet: the unit has not started, and a project starting many units at once would poll
         * while the service manager needs the CPU. journal_follower_kick() starts it when the unit runs. */
        f->matches_dirty = true;
        (void) sd_event_source_set_enabled(f->defer, SD_EVENT_ONESHOT);
        return 0;
}

int journal_follower_remove(JournalFollower *f, const char *ident) {
        ssize_t i;

        if (!f || !ident)
                return -EINVAL;
        i = find_index(f, ident);
        if (i < 0)
                return -ENOENT;

        /* From now on lookups stop finding it: entries still matched by the old terms are skipped until
         * the matches are rebuilt. */
        if (f->last_hit == f->sources[i])
                f->last_hit = NULL;
        source_free(f->sources[i]);
        memmove(f->sources + i, f->sources + i + 1, sizeof(Source *) * (f->n_sources - (size_t) i - 1));
        f->n_sources--;

        f->matches_dirty = true;
        (void) sd_event_source_set_enabled(f->defer, SD_EVENT_ONESHOT);
        return 0;
}

int journal_follower_set_slice(JournalFollower *f, const char *slice) {
        if (!f)
                return -EINVAL;
        if (streq_ptr(f->slice, slice))
                return 0;
        if (free_and_strdup(&f->slice, slice) < 0)
                return -ENOMEM;
        f->matches_dirty = true;
        (void) sd_event_source_set_enabled(f->defer, SD_EVENT_ONESHOT);
        return 0;
}

bool journal_follower_sync(JournalFollower *f) {
        uint64_t before;

        if (!f)
                return true;
        f->stats.syncs++;
        before = f->stats.entries;
        /* what on_io() does on journald's notification, without waiting for it */
        f->reseek = true;
        if (f->files)
                follower_check_files(f);
        else
                (void) sd_journal_process(f->journal);
        for (unsigned i = 0, idle = 0; i < SYNC_MAX_BATCHES; i++) {
                bool more = follower_drain(f);

                if (f->reread)
                        break;
                if (more) {
                        idle = 0;       /* a full batch: there is more to read */
                        continue;
                }
                /* at the end of the old files: on in the new ones (reopen, then the rebuild that seeks);
                 * a reopen that fails is retried from the loop, not here */
                if ((!f->reopen_pending && !f->matches_dirty) || ++idle > 3)
                        break;
        }
        f->stats.sync_entries += f->stats.entries - before;
        if (f->stats.entries != before)
                log_debug("Journal sync read %" PRIu64 " entries.", f->stats.entries - before);
        return !f->reread;
}

void journal_follower_kick(JournalFollower *f) {
        if (f)
                follower_heat(f, KICK_USEC);
}

void journal_follower_get_stats(const JournalFollower *f, JournalFollowerStats *ret) {
        if (!ret)
                return;
        *ret = f ? f->stats : (JournalFollowerStats) {};
}
