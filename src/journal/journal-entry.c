/* Selecting and reading a project's journal entries: see journal-entry.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "journal/journal-entry.h"
#include "shared/macro.h"
#include "shared/parse-util.h"

static int add_match_str(sd_journal *j, const char *field, const char *value) {
        _cleanup_free_ char *m = NULL;

        if (asprintf(&m, "%s=%s", field, value) < 0)
                return -ENOMEM;
        return sd_journal_add_match(j, m, 0);
}

/* The slice's share of the terms: what runs in it (system manager, or a user manager at the cgroup root as
 * in the sandbox: _SYSTEMD_SLICE; a user manager under user@UID.service: _SYSTEMD_USER_SLICE), and
 * journald's suppression notes about it (their object fields describe the rate-limited process). */
static int add_slice_matches(sd_journal *j, const char *slice) {
        static const char *const slice_fields[] = { "_SYSTEMD_SLICE", "_SYSTEMD_USER_SLICE" };
        static const char *const object_fields[] = { "OBJECT_SYSTEMD_SLICE", "OBJECT_SYSTEMD_USER_SLICE" };
        int r;

        for (size_t k = 0; k < ELEMENTSOF(slice_fields); k++) {
                r = sd_journal_add_disjunction(j);
                if (r >= 0)
                        r = add_match_str(j, slice_fields[k], slice);
                if (r < 0)
                        return r;
        }
        for (size_t k = 0; k < ELEMENTSOF(object_fields); k++) {
                r = sd_journal_add_disjunction(j);
                if (r >= 0)
                        r = sd_journal_add_match(j, "MESSAGE_ID=" JOURNAL_SUPPRESSED_MESSAGE_ID, 0);
                if (r >= 0)
                        r = add_match_str(j, object_fields[k], slice);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* notes §4.2: OR of four kinds of terms. Within a term the same field ORs, different fields AND. */
int journal_add_process_matches(sd_journal *j, const char *const *idents, const char *const *units, size_t n,
                                const char *slice) {
        static const char *const unit_fields[] = { "_SYSTEMD_UNIT", "_SYSTEMD_USER_UNIT" };
        static const char *const object_fields[] = { "OBJECT_SYSTEMD_UNIT", "OBJECT_SYSTEMD_USER_UNIT" };
        bool have_units = false;
        int r;

        for (size_t i = 0; i < n; i++) {
                r = add_match_str(j, "SYSLOG_IDENTIFIER", idents[i]);
                if (r < 0)
                        return r;
                have_units = have_units || (units && units[i]);
        }
        if (slice)
                return add_slice_matches(j, slice);
        if (!have_units)
                return 0;

        for (size_t k = 0; k < ELEMENTSOF(unit_fields); k++) {
                r = sd_journal_add_disjunction(j);
                if (r < 0)
                        return r;
                for (size_t i = 0; i < n; i++)
                        if (units[i]) {
                                r = add_match_str(j, unit_fields[k], units[i]);
                                if (r < 0)
                                        return r;
                        }
        }
        for (size_t k = 0; k < ELEMENTSOF(object_fields); k++) {
                r = sd_journal_add_disjunction(j);
                if (r < 0)
                        return r;
                r = sd_journal_add_match(j, "MESSAGE_ID=" JOURNAL_SUPPRESSED_MESSAGE_ID, 0);
                if (r < 0)
                        return r;
                for (size_t i = 0; i < n; i++)
                        if (units[i]) {
                                r = add_match_str(j, object_fields[k], units[i]);
                                if (r < 0)
                                        return r;
                        }
        }
        return 0;
}

static bool field_is(const void *data, size_t len, const char *field, const char **ret_value,
                     size_t *ret_len) {
        size_t fl = strlen(field);

        if (len <= fl || memcmp(data, field, fl) != 0 || ((const char *) data)[fl] != '=')
                return false;
        *ret_value = (const char *) data + fl + 1;
        *ret_len = len - fl - 1;
        return true;
}

/* The cursor's "s=<seqnum id>;i=<seqnum hex>" orders entries of one journald instance. */
bool journal_cursor_position(const char *cursor, sd_id128_t *ret_id, uint64_t *ret_seqnum) {
        const char *s = NULL, *i = NULL;
        char idbuf[33];
        char *end;

        for (const char *p = cursor; p && *p; p = strchr(p, ';') ? strchr(p, ';') + 1 : NULL) {
                if (startswith(p, "s="))
                        s = p + 2;
                else if (startswith(p, "i="))
                        i = p + 2;
        }
        if (!s || !i || strcspn(s, ";") != 32)
                return false;
        memcpy(idbuf, s, 32);
        idbuf[32] = 0;
        if (sd_id128_from_string(idbuf, ret_id) < 0)
                return false;
        errno = 0;
        *ret_seqnum = strtoull(i, &end, 16);
        return errno == 0 && end != i && (*end == ';' || *end == 0);
}

void journal_entry_fields_read(sd_journal *j, JournalEntryFields *e) {
        const void *data;
        size_t len;

        *e = (JournalEntryFields) {};
        sd_journal_restart_data(j);
        while (sd_journal_enumerate_data(j, &data, &len) > 0) {
                const char *v;
                size_t n;

#define TAKE_FIELD(name, member)                                                \
                if (!e->member && field_is(data, len, name, &v, &n)) {           \
                        e->member = v;                                          \
                        e->member##_len = n;                                    \
                        continue;                                               \
                }
                TAKE_FIELD("MESSAGE", message);
                TAKE_FIELD("PRIORITY", priority);
                TAKE_FIELD("SYSLOG_IDENTIFIER", ident);
                TAKE_FIELD("_PID", pid);
                TAKE_FIELD("_SYSTEMD_UNIT", unit);
                TAKE_FIELD("_SYSTEMD_USER_UNIT", user_unit);
                TAKE_FIELD("MESSAGE_ID", message_id);
                TAKE_FIELD("OBJECT_SYSTEMD_UNIT", object_unit);
                TAKE_FIELD("OBJECT_SYSTEMD_USER_UNIT", object_user_unit);
                TAKE_FIELD("N_DROPPED", n_dropped);
#undef TAKE_FIELD
        }
}

bool journal_entry_is_suppression_note(const JournalEntryFields *e) {
        return e->message_id && e->message_id_len == STRLEN(JOURNAL_SUPPRESSED_MESSAGE_ID) &&
                memcmp(e->message_id, JOURNAL_SUPPRESSED_MESSAGE_ID, e->message_id_len) == 0;
}

uint64_t journal_entry_suppressed_count(const JournalEntryFields *e) {
        uint64_t n;

        if (e->n_dropped && parse_u64_len(e->n_dropped, e->n_dropped_len, &n) >= 0)
                return n;
        /* "Suppressed N messages from UNIT" */
        if (e->message && e->message_len > STRLEN("Suppressed ") &&
            memcmp(e->message, "Suppressed ", STRLEN("Suppressed ")) == 0) {
                const char *p = e->message + STRLEN("Suppressed ");
                size_t k = 0, left = e->message_len - STRLEN("Suppressed ");

                while (k < left && p[k] >= '0' && p[k] <= '9')
                        k++;
                if (parse_u64_len(p, k, &n) >= 0)
                        return n;
        }
        return 0;
}
