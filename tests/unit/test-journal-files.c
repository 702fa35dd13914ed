/* Which journal files the follower opens: active ones, readable ones only, and the archived ones of its
 * journald sequence that it has not read yet (journal-files.c), on a directory made up for the test. */
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "journal/journal-files.h"
#include "tests.h"

#define SEQ_A "0123456789abcdef0123456789abcdef"
#define SEQ_B "fedcba9876543210fedcba9876543210"

static char dir[64];

static ino_t touch(const char *name, mode_t mode) {
        char path[256];
        struct stat st;
        int fd;

        snprintf(path, sizeof path, "%s/%s", dir, name);
        fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, mode);
        ASSERT_TRUE(fd >= 0);
        ASSERT_OK(fchmod(fd, mode));
        ASSERT_OK(fstat(fd, &st));
        close(fd);
        return st.st_ino;
}

static bool has(const JournalFileSet *s, size_t from, size_t to, const char *name) {
        for (size_t i = from; i < to; i++) {
                const char *slash = strrchr(s->paths[i], '/');
                if (slash && streq(slash + 1, name))
                        return true;
        }
        return false;
}

static void setup(void) {
        char path[96];

        snprintf(dir, sizeof dir, "/tmp/pcctl-test-files-XXXXXX");
        ASSERT_NOT_NULL(mkdtemp(dir));
        ASSERT_OK(chmod(dir, 0755));
        touch("system.journal", 0640);
        touch("user-1000.journal", 0640);
        touch("system@" SEQ_A "-0000000000000010-0005f00000000000.journal", 0640);
        touch("system@" SEQ_A "-0000000000000200-0005f00000000001.journal", 0640);
        touch("user-1000@" SEQ_A "-0000000000000300-0005f00000000002.journal", 0640);
        touch("system@" SEQ_B "-0000000000009000-0005f00000000003.journal", 0640);
        touch("system@0005f0000000000a-1234567890abcdef.journal~", 0640);       /* crash leftover */
        touch(".#system.journalAbCdEf", 0640);                                /* journald's temp file */
        touch("notes.txt", 0640);
        snprintf(path, sizeof path, "%s/dir.journal", dir);
        ASSERT_OK(mkdir(path, 0755));
}

static void teardown(void) {
        char cmd[128];

        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        ASSERT_EQ(system(cmd), 0);
}

TEST(archived_names) {
        sd_id128_t id, want;
        uint64_t head = 0;

        ASSERT_OK(sd_id128_from_string(SEQ_A, &want));
        ASSERT_TRUE(journal_parse_archived_name("system@" SEQ_A "-00000000000001ff-0005f00000000000.journal", &id,
                                                &head));
        ASSERT_TRUE(sd_id128_equal(id, want));
        ASSERT_UEQ(head, 0x1ff);
        ASSERT_TRUE(journal_parse_archived_name("user-1000@" SEQ_A "-ffffffffffffffff-0005f00000000000.journal", &id,
                                                &head));
        ASSERT_UEQ(head, UINT64_MAX);

        ASSERT_FALSE(journal_parse_archived_name("system.journal", &id, &head));
        ASSERT_FALSE(journal_parse_archived_name("system@0005f0000000000a-1234567890abcdef.journal~", &id, &head));
        ASSERT_FALSE(journal_parse_archived_name("system@" SEQ_A "-00000000000001ff-0005f00000000000.journal~", &id,
                                                 &head));
        ASSERT_FALSE(journal_parse_archived_name("system@" SEQ_A "-00000000000001fg-0005f00000000000.journal", &id,
                                                 &head));
        ASSERT_FALSE(journal_parse_archived_name("system@" SEQ_A "-0x000000000001ff-0005f00000000000.journal", &id,
                                                 &head));
        ASSERT_FALSE(journal_parse_archived_name("system@" SEQ_A "_00000000000001ff-0005f00000000000.journal", &id,
                                                 &head));
        ASSERT_FALSE(journal_parse_archived_name("system@" SEQ_A "-00000000000001ff-0005f0000000000.journal", &id,
                                                 &head));
        ASSERT_FALSE(journal_parse_archived_name("system@zz23456789abcdef0123456789abcdef-00000000000001ff-"
                                                 "0005f00000000000.journal", &id, &head));
}

TEST(active_only) {
        JournalFileSet s = {};

        setup();
        ASSERT_OK(journal_file_set_scan((const char *const[]) { dir, "/nonexistent-pcctl", NULL }, NULL, &s));
        ASSERT_UEQ(s.n, 2);
        ASSERT_UEQ(s.n_active, 2);
        ASSERT_TRUE(has(&s, 0, 2, "system.journal"));
        ASSERT_TRUE(has(&s, 0, 2, "user-1000.journal"));
        ASSERT_NULL(s.paths[2]);
        ASSERT_UEQ(s.n_archived, 0);
        journal_file_set_done(&s);
        teardown();
}

TEST(archived_after_the_last_read) {
        JournalFileSet s = {};
        JournalArchiveFilter filter = { .after = 0x100 };
        ino_t skip;

        setup();
        ASSERT_OK(sd_id128_from_string(SEQ_A, &filter.seqnum_id));
        /* sequence A, first entry after 0x100: 0x200 and 0x300; not 0x10, not sequence B, not the leftovers */
        ASSERT_OK(journal_file_set_scan((const char *const[]) { dir, NULL }, &filter, &s));
        ASSERT_UEQ(s.n_active, 2);
        ASSERT_UEQ(s.n, 4);
        ASSERT_TRUE(has(&s, 0, 2, "system.journal"));
        ASSERT_TRUE(has(&s, 2, 4, "system@" SEQ_A "-0000000000000200-0005f00000000001.journal"));
        ASSERT_TRUE(has(&s, 2, 4, "user-1000@" SEQ_A "-0000000000000300-0005f00000000002.journal"));
        ASSERT_UEQ(s.n_archived, 4);
        ASSERT_NULL(s.paths[4]);
        journal_file_set_done(&s);

        /* a file read to its end already is not taken again */
        skip = touch("system@" SEQ_A "-0000000000000200-0005f00000000001.journal", 0640);
        filter.skip[1] = &skip;
        filter.n_skip[1] = 1;
        ASSERT_OK(journal_file_set_scan((const char *const[]) { dir, NULL }, &filter, &s));
        ASSERT_UEQ(s.n, 3);
        ASSERT_TRUE(has(&s, 2, 3, "user-1000@" SEQ_A "-0000000000000300-0005f00000000002.journal"));
        journal_file_set_done(&s);

        /* the last read is past all of them */
        filter.after = 0x300;
        ASSERT_OK(journal_file_set_scan((const char *const[]) { dir, NULL }, &filter, &s));
        ASSERT_UEQ(s.n, 2);
        journal_file_set_done(&s);
        teardown();
}

/* An unprivileged user reads its own user-UID.journal but not system.journal: the set must hold only what it
 * can open, or sd_journal_open_files() fails for all of it. */
TEST(readable_only) {
        pid_t pid;
        int status;

        setup();
        touch("system.journal", 0600);
        touch("system@" SEQ_A "-0000000000000200-0005f00000000001.journal", 0600);
        touch("user-1000.journal", 0644);
        pid = fork();
        ASSERT_TRUE(pid >= 0);
        if (pid == 0) {
                JournalFileSet s = {};
                JournalArchiveFilter filter = { .after = 0x100 };

                if (geteuid() == 0 && (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
                                       setresuid(65534, 65534, 65534) < 0))
                        _exit(10);
                if (sd_id128_from_string(SEQ_A, &filter.seqnum_id) < 0)
                        _exit(11);
                if (journal_file_set_scan((const char *const[]) { dir, NULL }, &filter, &s) < 0)
                        _exit(12);
                if (s.n_active != 1 || !has(&s, 0, 1, "user-1000.journal"))
                        _exit(13);
                if (s.n != 1)           /* the unreadable archived file is left out too */
                        _exit(14);
                journal_file_set_done(&s);
                _exit(0);
        }
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        ASSERT_TRUE(WIFEXITED(status));
        ASSERT_EQ(WEXITSTATUS(status), 0);
        teardown();
}

DEFINE_TEST_MAIN();
