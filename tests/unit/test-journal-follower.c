/* The journal follower on a journal directory of the test's own, written with systemd-journal-remote (skipped
 * without it): what it does with an entry whose MESSAGE cannot be read yet.
 *
 * journald makes an entry visible before it has linked it to all of its data objects, and sd-journal skips a
 * data object caught half linked (its first entry set, its entry count still 0). A follower that polls the
 * tail of a flooding process reads such entries now and then without their MESSAGE (seen about once a
 * minute at 20 k lines/s). The test puts a written entry's MESSAGE object back into that state, lets the
 * follower read, then finishes the link, as journald does microseconds later. */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <systemd/sd-event.h>

#include "journal/journal-follower.h"
#include "journal/logring.h"
#include "shared/time-util.h"
#include "tests.h"

extern char **environ;

#define BOOT_ID "873fd3915b194560a2b4ff901bad4fb0"
#define OBJECT_DATA 1
/* DataObject: ObjectHeader (type, flags, reserved[6], le64 size), hash, next_hash_offset, next_field_offset,
 * entry_offset, entry_array_offset, n_entries; then the payload, after two le32 in compact files. */
#define DATA_N_ENTRIES_OFFSET 56

static const char *journal_remote(void) {
        static const char *const candidates[] = {
                "/usr/lib/systemd/systemd-journal-remote",
                "/lib/systemd/systemd-journal-remote",
        };

        for (size_t i = 0; i < ELEMENTSOF(candidates); i++)
                if (access(candidates[i], X_OK) >= 0)
                        return candidates[i];
        return NULL;
}

static unsigned entry_counter;

/* One entry in journal export format; message NULL: an entry without MESSAGE. */
static void export_entry(FILE *f, const char *ident, const char *message) {
        entry_counter++;
        fprintf(f, "__REALTIME_TIMESTAMP=%llu\n__MONOTONIC_TIMESTAMP=%u\n_BOOT_ID=" BOOT_ID "\n"
                "SYSLOG_IDENTIFIER=%s\n_TRANSPORT=stdout\nPRIORITY=6\n",
                (unsigned long long) now_usec(CLOCK_REALTIME), 1000000u + entry_counter, ident);
        if (message)
                fprintf(f, "MESSAGE=%s\n", message);
        fputc('\n', f);
}

/* Appends the entries in export format to dir/remote.journal (created by the first call). */
static void append_entries(const char *dir, const char *export_text) {
        _cleanup_free_ char *in = NULL, *out = NULL, *out_arg = NULL;
        posix_spawn_file_actions_t fa;
        FILE *f;
        pid_t pid;
        int status;

        ASSERT_TRUE(asprintf(&in, "%s/entries.export", dir) > 0);
        ASSERT_TRUE(asprintf(&out_arg, "--output=%s/remote.journal", dir) > 0);
        f = fopen(in, "we");
        ASSERT_NOT_NULL(f);
        fputs(export_text, f);
        ASSERT_EQ(fclose(f), 0);

        char *argv[] = { (char *) journal_remote(), out_arg, (char *) "--split-mode=none",
                         (char *) "--compress=no", (char *) "-", NULL };
        ASSERT_EQ(posix_spawn_file_actions_init(&fa), 0);
        ASSERT_EQ(posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, in, O_RDONLY, 0), 0);
        ASSERT_EQ(posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0), 0);
        ASSERT_EQ(posix_spawn(&pid, argv[0], &fa, NULL, argv, environ), 0);
        posix_spawn_file_actions_destroy(&fa);
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        (void) unlink(in);
}

static char *export_of(const char *ident, const char *const *messages, size_t n) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        ASSERT_NOT_NULL(f);
        for (size_t i = 0; i < n; i++)
                export_entry(f, ident, messages[i]);
        ASSERT_EQ(fclose(f), 0);
        return buf;
}

/* Sets the entry count of the data object "<payload>" of dir/remote.journal; returns the old one. through_map:
 * write it through a shared mapping, as journald does: no inotify event (a write() makes one). */
static uint64_t set_data_n_entries(const char *dir, const char *payload, uint64_t n, bool through_map) {
        _cleanup_free_ char *path = NULL, *data = NULL;
        struct stat st;
        uint64_t old = 0;
        size_t plen = strlen(payload);
        const char *p;
        int fd;
        bool done = false;

        ASSERT_TRUE(asprintf(&path, "%s/remote.journal", dir) > 0);
        fd = open(path, O_RDWR | O_CLOEXEC);
        ASSERT_TRUE(fd >= 0);
        ASSERT_OK(fstat(fd, &st));
        data = malloc(st.st_size);
        ASSERT_NOT_NULL(data);
        ASSERT_EQ(pread(fd, data, st.st_size, 0), st.st_size);
        p = memmem(data, st.st_size, payload, plen);
        ASSERT_NOT_NULL(p);
        /* the object header sits 64 bytes before the payload, or 72 in a compact file */
        for (size_t hdr = 64; hdr <= 72 && !done; hdr += 8) {
                size_t o = (size_t) (p - data) - hdr;
                uint64_t size;

                memcpy(&size, data + o + 8, sizeof size);
                if ((uint8_t) data[o] != OBJECT_DATA || size != hdr + plen)
                        continue;
                memcpy(&old, data + o + DATA_N_ENTRIES_OFFSET, sizeof old);
                if (through_map) {
                        char *map = mmap(NULL, st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

                        ASSERT_TRUE(map != MAP_FAILED);
                        memcpy(map + o + DATA_N_ENTRIES_OFFSET, &n, sizeof n);
                        ASSERT_OK(munmap(map, st.st_size));
                } else
                        ASSERT_EQ(pwrite(fd, &n, sizeof n, o + DATA_N_ENTRIES_OFFSET), (ssize_t) sizeof n);
                done = true;
        }
        ASSERT_TRUE(done);
        close(fd);
        return old;
}

/* Same for the data object "MESSAGE=<text>". */
static uint64_t set_message_n_entries(const char *dir, const char *text, uint64_t n) {
        _cleanup_free_ char *payload = NULL;

        ASSERT_TRUE(asprintf(&payload, "MESSAGE=%s", text) > 0);
        return set_data_n_entries(dir, payload, n, false);
}

static void run_for(sd_event *e, usec_t duration) {
        usec_t end = now_usec(CLOCK_MONOTONIC) + duration;

        while (now_usec(CLOCK_MONOTONIC) < end)
                ASSERT_OK(sd_event_run(e, 1000));
}

static void run_until_count(sd_event *e, LogRing *ring, size_t n, usec_t timeout) {
        usec_t end = now_usec(CLOCK_MONOTONIC) + timeout;

        while (log_ring_count(ring) < n) {
                if (now_usec(CLOCK_MONOTONIC) > end)
                        TEST_FAIL("timed out waiting for %zu ring lines (have %zu)", n, log_ring_count(ring));
                ASSERT_OK(sd_event_run(e, 1000));
        }
}

static const char *line(LogRing *ring, size_t i) {
        const LogEntry *e = log_ring_get(ring, log_ring_first_seq(ring) + i);

        ASSERT_NOT_NULL(e);
        return e->message;
}

typedef struct Fixture {
        char *dir;
        sd_event *event;
        JournalFollower *follower;
        LogRing *ring;
} Fixture;

/* A journal with one entry of another process (the follower's anchor), and a follower of "me" on it. */
static bool fixture_setup(Fixture *x) {
        _cleanup_free_ char *anchor = NULL;
        JournalSource src;

        if (!journal_remote()) {
                fprintf(stderr, "SKIP: no systemd-journal-remote\n");
                return false;
        }
        *x = (Fixture) { .dir = test_tmpdir() };
        ASSERT_NOT_NULL(x->dir);
        anchor = export_of("other", (const char *const[]) { "anchor" }, 1);
        append_entries(x->dir, anchor);

        ASSERT_OK(sd_event_new(&x->event));
        ASSERT_OK(journal_follower_new_in(x->event, (const char *const[]) { x->dir, NULL }, &x->follower));
        x->ring = log_ring_new(0, 0);
        ASSERT_NOT_NULL(x->ring);
        src = (JournalSource) { .ident = "me", .ring = x->ring };
        ASSERT_OK(journal_follower_add(x->follower, &src, false));
        journal_follower_kick(x->follower);
        return true;
}

static void fixture_done(Fixture *x) {
        _cleanup_free_ char *cmd = NULL;

        x->follower = journal_follower_free(x->follower);
        x->ring = log_ring_free(x->ring);
        x->event = sd_event_unref(x->event);
        if (x->dir && asprintf(&cmd, "rm -rf '%s'", x->dir) > 0)
                (void) system(cmd);
        x->dir = mfree(x->dir);
}

TEST(message_read_again_when_half_linked) {
        _cleanup_free_ char *entries = NULL;
        JournalFollowerStats st;
        Fixture x;

        if (!fixture_setup(&x))
                return;
        entries = export_of("me", (const char *const[]) { "line-1", "line-2", "line-3" }, 3);
        append_entries(x.dir, entries);
        /* line-2 as a reader sees it while journald links it: the entry is there, its MESSAGE not yet */
        ASSERT_UEQ(set_message_n_entries(x.dir, "line-2", 0), 1);

        run_for(x.event, 300 * USEC_PER_MSEC);
        /* line-1 only: not an empty line for line-2, and line-3 not before it */
        ASSERT_EQ(log_ring_count(x.ring), 1);
        ASSERT_STREQ(line(x.ring, 0), "line-1");

        /* the link is finished: the follower reads line-2 whole, then line-3 */
        set_message_n_entries(x.dir, "line-2", 1);
        run_until_count(x.event, x.ring, 3, 5 * USEC_PER_SEC);
        run_for(x.event, 50 * USEC_PER_MSEC);
        ASSERT_EQ(log_ring_count(x.ring), 3);
        ASSERT_STREQ(line(x.ring, 1), "line-2");
        ASSERT_STREQ(line(x.ring, 2), "line-3");
        journal_follower_get_stats(x.follower, &st);
        ASSERT_TRUE(st.rereads > 0);
        fixture_done(&x);
}

TEST(entry_without_message_taken_after_a_wait) {
        _cleanup_free_ char *entries = NULL;
        usec_t t0, dt;
        Fixture x;

        if (!fixture_setup(&x))
                return;
        /* an entry that really has no MESSAGE does not hold the follower up for ever */
        entries = export_of("me", (const char *const[]) { "line-1", NULL, "line-3" }, 3);
        append_entries(x.dir, entries);

        t0 = now_usec(CLOCK_MONOTONIC);
        run_until_count(x.event, x.ring, 3, 5 * USEC_PER_SEC);
        dt = now_usec(CLOCK_MONOTONIC) - t0;
        ASSERT_STREQ(line(x.ring, 0), "line-1");
        ASSERT_STREQ(line(x.ring, 1), "");
        ASSERT_STREQ(line(x.ring, 2), "line-3");
        ASSERT_TRUE(dt < 4 * USEC_PER_SEC);
        fixture_done(&x);
}

/* The last line of a process that ends the project. journald counts a new entry in the file header before it
 * links the entry to its data objects; a poll that falls in between finds nothing, and sd-journal then skips
 * the file until its entry count changes. When nothing else is written, only journald's change
 * notification (250 ms or more after the write) makes the follower search again: `up` exited before it and lost
 * the line. journal_follower_sync() must find it at once. */
TEST(sync_reads_the_entry_a_poll_skipped) {
        _cleanup_free_ char *entries = NULL;
        JournalFollowerStats st;
        Fixture x;

        if (!fixture_setup(&x))
                return;
        entries = export_of("me", (const char *const[]) { "line-1", "last-line" }, 2);
        append_entries(x.dir, entries);
        /* the follower reads while journald links the last entry: counted, not yet linked to its identifier */
        ASSERT_UEQ(set_data_n_entries(x.dir, "SYSLOG_IDENTIFIER=me", 1, false), 2);
        run_until_count(x.event, x.ring, 1, 5 * USEC_PER_SEC);
        run_for(x.event, 300 * USEC_PER_MSEC);
        ASSERT_EQ(log_ring_count(x.ring), 1);

        /* journald finishes the link, through its mapping; its notification has not come yet */
        set_data_n_entries(x.dir, "SYSLOG_IDENTIFIER=me", 2, true);
        ASSERT_TRUE(journal_follower_sync(x.follower));
        ASSERT_EQ(log_ring_count(x.ring), 2);
        ASSERT_STREQ(line(x.ring, 1), "last-line");
        journal_follower_get_stats(x.follower, &st);
        ASSERT_UEQ(st.syncs, 1);

        /* read once: a later sync or poll does not repeat it */
        ASSERT_TRUE(journal_follower_sync(x.follower));
        run_for(x.event, 50 * USEC_PER_MSEC);
        ASSERT_EQ(log_ring_count(x.ring), 2);
        fixture_done(&x);
}

DEFINE_TEST_MAIN();
