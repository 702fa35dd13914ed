/* The journal files a follower reads: the active ones journald writes to ("system.journal",
 * "user-1000.journal"), and, when it has fallen more than one rotation behind, archived ones of the same
 * journald sequence that it has not read yet. File-system scanning only: no sd-journal here. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <systemd/sd-id128.h>

typedef struct JournalFileSet {
        char **paths;                 /* NULL-terminated: sd_journal_open_files() takes it as is */
        ino_t *inodes;
        size_t n, n_active;           /* the active files first, then the archived ones asked for */
        size_t allocated, allocated_inodes;
        ino_t *archived;              /* with a filter: every readable archived file seen */
        size_t n_archived, allocated_archived;
} JournalFileSet;

/* Which archived files to add: those of one journald sequence (seqnum_id) whose first entry comes after
 * the seqnum `after`, except the inodes listed in skip (read to their end already). */
typedef struct JournalArchiveFilter {
        sd_id128_t seqnum_id;
        uint64_t after;
        const ino_t *skip[2];
        size_t n_skip[2];
} JournalArchiveFilter;

void journal_file_set_done(JournalFileSet *s);

bool journal_inode_in(const ino_t *v, size_t n, ino_t ino);

/* journald's archived name "<prefix>@<seqnum id>-<first seqnum>-<first realtime>.journal" */
bool journal_parse_archived_name(const char *name, sd_id128_t *ret_id, uint64_t *ret_head);

/* Scans the given directories (NULL-terminated; missing ones are skipped). Only regular files this process
 * can read count: an unprivileged user sees its own "user-UID.journal" but not "system.journal", and one
 * unreadable file would make sd_journal_open_files() fail for the whole set. Crash leftovers
 * ("*.journal~") and journald's temporary files (".#*") never count. Without a filter, archived files are
 * not even looked at (this runs on every wake-up). */
int journal_file_set_scan(const char *const *dirs, const JournalArchiveFilter *filter, JournalFileSet *ret);

/* The same for this machine's journal: /run/log/journal/<machine-id> and /var/log/journal/<machine-id>. */
int journal_file_set_scan_local(const JournalArchiveFilter *filter, JournalFileSet *ret);
