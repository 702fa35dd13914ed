/* Selecting and reading a project's journal entries, for the follower and `pcctl logs`: the match terms of
 * a set of processes, the fields of an entry that pcctl uses, journald's suppression notes, and the order of
 * two entries of one journald instance from their cursors. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-id128.h>
#include <systemd/sd-journal.h>

#define JOURNAL_SUPPRESSED_MESSAGE_ID "a596d6fe7bfa4994828e72309e95d61e"

/* Adds the match terms of systemd-notes §4.2 for n processes to j: SYSLOG_IDENTIFIER=idents[i], OR the unit
 * fields (_SYSTEMD_UNIT, _SYSTEMD_USER_UNIT) for units[i], OR journald's suppression notes naming units[i].
 * units[i] may be NULL (identifier only). The follower and `pcctl logs` both select lines with it.
 *
 * With slice (the project's "pcctl-<project>.slice", which holds every unit), the unit and note terms are
 * four for the whole slice instead of four per unit: _SYSTEMD_SLICE / _SYSTEMD_USER_SLICE, and the
 * suppression notes whose OBJECT_SYSTEMD_SLICE / OBJECT_SYSTEMD_USER_SLICE is the slice. That is n + 4 terms
 * instead of 5n + 1 (each term costs a lookup in every open journal file on a read), but it selects every
 * unit of the slice: the caller must sort entries out by identifier and unit, as the follower does. The
 * identifier terms stay: journald loses the unit and slice fields of processes that exit at once. */
int journal_add_process_matches(sd_journal *j, const char *const *idents, const char *const *units, size_t n,
                                const char *slice);

/* The fields of an entry that the follower uses; each value points into the journal's mmap (valid until the
 * next read of the handle), with its length; NULL when absent. */
typedef struct JournalEntryFields {
        const char *message, *ident, *unit, *user_unit, *message_id, *object_unit, *object_user_unit;
        const char *priority, *pid, *n_dropped;
        size_t message_len, ident_len, unit_len, user_unit_len, message_id_len, object_unit_len,
                object_user_unit_len, priority_len, pid_len, n_dropped_len;
} JournalEntryFields;

/* Reads the fields of j's current entry (the first occurrence of each). */
void journal_entry_fields_read(sd_journal *j, JournalEntryFields *e);
/* journald's "Suppressed N messages from UNIT" note (MESSAGE_ID=JOURNAL_SUPPRESSED_MESSAGE_ID)? */
bool journal_entry_is_suppression_note(const JournalEntryFields *e);
/* How many lines a suppression note says were dropped: N_DROPPED, else the number in its message; 0 if
 * neither. */
uint64_t journal_entry_suppressed_count(const JournalEntryFields *e);
/* The "s=<seqnum id>;i=<seqnum hex>" parts of a cursor, which order the entries of one journald instance. */
bool journal_cursor_position(const char *cursor, sd_id128_t *ret_id, uint64_t *ret_seqnum);
