/* journalctl-compatible rendering of journal entries (pcctl logs).
 *
 * For the same entry, the output of short, short-iso, short-iso-precise, short-precise, short-monotonic,
 * short-unix, cat, export and verbose is byte-identical to journalctl 252's (with its defaults: --full, no
 * --all, output not a terminal). json and json-pretty carry the same keys and byte-identical values; only
 * the order of the keys differs, because journalctl emits them in the order of a randomly seeded hash table
 * (it changes from one journalctl run to the next), while pcctl keeps the journal's field order after
 * __CURSOR, __REALTIME_TIMESTAMP, __MONOTONIC_TIMESTAMP and _BOOT_ID. */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>

#include <systemd/sd-journal.h>

typedef enum JournalOutputMode {
        JOURNAL_OUTPUT_SHORT,
        JOURNAL_OUTPUT_SHORT_ISO,
        JOURNAL_OUTPUT_SHORT_ISO_PRECISE,
        JOURNAL_OUTPUT_SHORT_PRECISE,
        JOURNAL_OUTPUT_SHORT_MONOTONIC,
        JOURNAL_OUTPUT_SHORT_UNIX,
        JOURNAL_OUTPUT_CAT,
        JOURNAL_OUTPUT_JSON,
        JOURNAL_OUTPUT_JSON_PRETTY,
        JOURNAL_OUTPUT_EXPORT,
        JOURNAL_OUTPUT_VERBOSE,
        _JOURNAL_OUTPUT_MAX,
        _JOURNAL_OUTPUT_INVALID = -EINVAL,
} JournalOutputMode;

const char *journal_output_mode_to_string(JournalOutputMode m);
JournalOutputMode journal_output_mode_from_string(const char *s);

/* Renders the current entry of j. color: journalctl's terminal colours for the short modes and cat.
 * Returns 0, or -errno on a read error (the entry is then skipped, as journalctl does for -EBADMSG). */
int journal_output_entry(FILE *f, sd_journal *j, JournalOutputMode mode, bool color);

/* journalctl's utf8_is_printable_newline(). */
bool journal_utf8_is_printable(const char *s, size_t n, bool allow_newline);
