/* journalctl-compatible entry rendering: see journal-output.h. The behaviour (not the code) follows
 * systemd 252's src/shared/logs-show.c, json.c and string-util.c's strip_tab_ansi(). */
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <systemd/sd-id128.h>

#include "journal/journal-output.h"
#include "shared/json-util.h"
#include "shared/macro.h"
#include "shared/parse-util.h"
#include "shared/time-util.h"

#define PRINT_CHAR_THRESHOLD 300
#define JSON_THRESHOLD 4096
#define TIMESTAMP_FORMATTABLE_MAX ((usec_t) 253402214399999999ULL)

#define ANSI_HIGHLIGHT_RED "\x1B[0;1;31m"
#define ANSI_HIGHLIGHT_YELLOW "\x1B[0;1;38;5;185m"
#define ANSI_HIGHLIGHT "\x1B[0;1;39m"
#define ANSI_GREY "\x1B[0;38;5;245m"
#define ANSI_NORMAL "\x1B[0m"

static const char *const mode_table[_JOURNAL_OUTPUT_MAX] = {
        [JOURNAL_OUTPUT_SHORT] = "short",
        [JOURNAL_OUTPUT_SHORT_ISO] = "short-iso",
        [JOURNAL_OUTPUT_SHORT_ISO_PRECISE] = "short-iso-precise",
        [JOURNAL_OUTPUT_SHORT_PRECISE] = "short-precise",
        [JOURNAL_OUTPUT_SHORT_MONOTONIC] = "short-monotonic",
        [JOURNAL_OUTPUT_SHORT_UNIX] = "short-unix",
        [JOURNAL_OUTPUT_CAT] = "cat",
        [JOURNAL_OUTPUT_JSON] = "json",
        [JOURNAL_OUTPUT_JSON_PRETTY] = "json-pretty",
        [JOURNAL_OUTPUT_EXPORT] = "export",
        [JOURNAL_OUTPUT_VERBOSE] = "verbose",
};

const char *journal_output_mode_to_string(JournalOutputMode m) {
        if (m < 0 || m >= _JOURNAL_OUTPUT_MAX)
                return NULL;
        return mode_table[m];
}

JournalOutputMode journal_output_mode_from_string(const char *s) {
        for (int i = 0; s && i < _JOURNAL_OUTPUT_MAX; i++)
                if (streq(mode_table[i], s))
                        return (JournalOutputMode) i;
        return _JOURNAL_OUTPUT_INVALID;
}

/* ---- UTF-8, as systemd judges it ---- */

static size_t expected_len(uint8_t c) {
        if (c < 0x80)
                return 1;
        if ((c & 0xe0) == 0xc0)
                return 2;
        if ((c & 0xf0) == 0xe0)
                return 3;
        if ((c & 0xf8) == 0xf0)
                return 4;
        if ((c & 0xfc) == 0xf8)
                return 5;
        if ((c & 0xfe) == 0xfc)
                return 6;
        return 0;
}

static size_t encoded_len(uint32_t c) {
        return c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : c < 0x200000 ? 4 : c < 0x4000000 ? 5 : 6;
}

static bool unichar_valid(uint32_t c) {
        return c < 0x110000 && (c & 0xfffff800) != 0xd800 && !(c >= 0xfdd0 && c <= 0xfdef) &&
                (c & 0xfffe) != 0xfffe;
}

bool journal_utf8_is_printable(const char *s, size_t n, bool allow_newline) {
        const uint8_t *p = (const uint8_t *) s;

        while (n > 0) {
                size_t l = expected_len(p[0]);
                uint32_t c;

                if (l == 0 || l > n)
                        return false;
                if (l == 1)
                        c = p[0];
                else {
                        for (size_t i = 0; i < l; i++)
                                if ((p[i] & 0x80) != 0x80)
                                        return false;
                        c = p[0] & (0x7f >> l);
                        for (size_t i = 1; i < l; i++) {
                                if ((p[i] & 0xc0) != 0x80)
                                        return false;
                                c = (c << 6) | (p[i] & 0x3f);
                        }
                        if (encoded_len(c) != l || !unichar_valid(c))
                                return false;
                }
                if ((c < ' ' && c != '\t' && c != '\n') || (c >= 0x7f && c <= 0x9f) || (!allow_newline && c == '\n'))
                        return false;
                p += l;
                n -= l;
        }
        return true;
}

/* ---- helpers ---- */

typedef struct Field {
        const char *prefix;   /* "NAME=" */
        char *value;          /* NUL-terminated copy, the last occurrence wins */
        size_t len;
} Field;

static void fields_done(Field *f, size_t n) {
        for (size_t i = 0; i < n; i++)
                f[i].value = mfree(f[i].value);
}

static int fields_read(sd_journal *j, Field *f, size_t n) {
        const void *data;
        size_t len;
        int r;

        sd_journal_restart_data(j);
        while ((r = sd_journal_enumerate_data(j, &data, &len)) > 0)
                for (size_t i = 0; i < n; i++) {
                        size_t pl = strlen(f[i].prefix);
                        char *v;

                        if (len < pl || memcmp(data, f[i].prefix, pl) != 0)
                                continue;
                        v = malloc(len - pl + 1);
                        if (!v)
                                return -ENOMEM;
                        memcpy(v, (const char *) data + pl, len - pl);
                        v[len - pl] = 0;
                        free(f[i].value);
                        f[i].value = v;
                        f[i].len = len - pl;
                        break;
                }
        sd_journal_restart_data(j);
        return r;
}

typedef struct DualTs {
        usec_t realtime, monotonic;
} DualTs;

/* journalctl prefers the client's _SOURCE_*_TIMESTAMP for the short modes */
static int dual_timestamp(sd_journal *j, DualTs *ts) {
        Field f[] = { { "_SOURCE_REALTIME_TIMESTAMP=" }, { "_SOURCE_MONOTONIC_TIMESTAMP=" } };
        bool good;
        int r;

        r = fields_read(j, f, ELEMENTSOF(f));
        if (r < 0) {
                fields_done(f, ELEMENTSOF(f));
                return r;
        }
        good = f[0].value && parse_u64(f[0].value, &ts->realtime) >= 0;
        if (!good || ts->realtime == 0 || ts->realtime >= TIMESTAMP_FORMATTABLE_MAX)
                good = sd_journal_get_realtime_usec(j, &ts->realtime) >= 0;
        if (!good)
                ts->realtime = USEC_INFINITY;
        good = f[1].value && parse_u64(f[1].value, &ts->monotonic) >= 0;
        if (!good || ts->monotonic == USEC_INFINITY)
                good = sd_journal_get_monotonic_usec(j, &ts->monotonic, NULL) >= 0;
        if (!good)
                ts->monotonic = USEC_INFINITY;
        fields_done(f, ELEMENTSOF(f));
        return 0;
}

static void log_colors(int priority, const char **on, const char **off) {
        if (priority <= LOG_ERR)
                *on = ANSI_HIGHLIGHT_RED, *off = ANSI_NORMAL;
        else if (priority <= LOG_WARNING)
                *on = ANSI_HIGHLIGHT_YELLOW, *off = ANSI_NORMAL;
        else if (priority <= LOG_NOTICE)
                *on = ANSI_HIGHLIGHT, *off = ANSI_NORMAL;
        else if (priority >= LOG_DEBUG)
                *on = ANSI_GREY, *off = ANSI_NORMAL;
}

/* systemd's FORMAT_BYTES(): IEC, one decimal, trailing B below 1K (its decimal digit formula kept as is) */
static char *format_bytes(char *buf, size_t l, uint64_t t) {
        static const struct {
                const char *suffix;
                uint64_t factor;
        } table[] = {
                { "E", 1ULL << 60 }, { "P", 1ULL << 50 }, { "T", 1ULL << 40 },
                { "G", 1ULL << 30 }, { "M", 1ULL << 20 }, { "K", 1ULL << 10 },
        };
        size_t n = ELEMENTSOF(table);

        for (size_t i = 0; i < n; i++)
                if (t >= table[i].factor) {
                        uint64_t d = i != n - 1 ? (t / table[i + 1].factor * 10 / table[n - 1].factor) % 10
                                                : (t * 10 / table[i].factor) % 10;
                        snprintf(buf, l, "%" PRIu64 ".%" PRIu64 "%s", t / table[i].factor, d, table[i].suffix);
                        return buf;
                }
        snprintf(buf, l, "%" PRIu64 "B", t);
        return buf;
}

/* strip_tab_ansi(): tabs to 8 spaces, ESC[…m and ESC]…BEL removed, trailing CRs dropped. */
static char *strip_tab_ansi(const char *in, size_t n, size_t *ret_len) {
        enum { OTHER, ESCAPE, CSI, CSO } state = OTHER;
        size_t cap = n * 8 + 16, o = 0, crs = 0;
        const char *begin = NULL;
        char *out = malloc(cap);

        if (!out)
                return NULL;
#define PUT(c) (out[o++] = (c))
        for (const char *i = in; i < in + n + 1; i++) {
                switch (state) {
                case OTHER:
                        if (i >= in + n)
                                break;
                        if (*i == '\r') {
                                crs++;
                                break;
                        } else if (*i == '\n')
                                crs = 0;
                        for (; crs > 0; crs--)
                                PUT('\r');
                        if (*i == '\x1B')
                                state = ESCAPE;
                        else if (*i == '\t')
                                for (int k = 0; k < 8; k++)
                                        PUT(' ');
                        else
                                PUT(*i);
                        break;
                case ESCAPE:
                        if (i >= in + n) {
                                PUT('\x1B');
                                break;
                        } else if (*i == '[') {
                                state = CSI;
                                begin = i + 1;
                        } else if (*i == ']') {
                                state = CSO;
                                begin = i + 1;
                        } else {
                                PUT('\x1B');
                                PUT(*i);
                                state = OTHER;
                        }
                        break;
                case CSI:
                        if (i >= in + n || !strchr("01234567890;m", *i)) {
                                PUT('\x1B');
                                PUT('[');
                                state = OTHER;
                                i = begin - 1;
                        } else if (*i == 'm')
                                state = OTHER;
                        break;
                case CSO:
                        if (i >= in + n || (*i != '\a' && (uint8_t) *i < 32U) || (uint8_t) *i > 126U) {
                                PUT('\x1B');
                                PUT(']');
                                state = OTHER;
                                i = begin - 1;
                        } else if (*i == '\a')
                                state = OTHER;
                        break;
                }
        }
#undef PUT
        out[o] = 0;
        *ret_len = o;
        return out;
}

/* print_multiline() with --full: every line printed whole, continuation lines indented by prefix. */
static void print_multiline(FILE *f, unsigned prefix, const char *on, const char *off, const char *msg,
                            size_t len) {
        const char *pos, *end;
        int line = 0;

        if (len == 0)
                fputc('\n', f);
        for (pos = msg; pos < msg + len; pos = end + 1, line++) {
                for (end = pos; end < msg + len && *end != '\n'; end++)
                        ;
                fprintf(f, "%*s%s%.*s%s\n", line > 0 ? (int) prefix : 0, "", on, (int) (end - pos), pos, off);
        }
}

/* The fields the short modes read, in the order of fl[] in output_short(). */
enum {
        SHORT_PID,
        SHORT_COMM,
        SHORT_MESSAGE,
        SHORT_PRIORITY,
        SHORT_HOSTNAME,
        SHORT_SYSLOG_PID,
        SHORT_IDENT,
        _SHORT_FIELD_MAX,
};

/* journalctl leaves out a prefix field that is long or not printable */
static bool short_field_shall_print(const Field *f) {
        return f->value && f->len < PRINT_CHAR_THRESHOLD && journal_utf8_is_printable(f->value, f->len, true);
}

/* Format a realtime timestamp (µs) as mode wants it into buf. */
static int format_realtime(char *buf, size_t size, JournalOutputMode mode, usec_t realtime) {
        time_t t;
        struct tm tm;

        if (realtime == 0 || realtime >= TIMESTAMP_FORMATTABLE_MAX)
                return -EINVAL;
        t = (time_t) (realtime / USEC_PER_SEC);
        if (!localtime_r(&t, &tm))
                return -EINVAL;
        switch (mode) {
        case JOURNAL_OUTPUT_SHORT_UNIX:
                snprintf(buf, size, "%10jd.%06" PRIu64, (intmax_t) t, realtime % USEC_PER_SEC);
                break;
        case JOURNAL_OUTPUT_SHORT_ISO:
                strftime(buf, size, "%Y-%m-%dT%H:%M:%S%z", &tm);
                break;
        case JOURNAL_OUTPUT_SHORT_ISO_PRECISE: {
                char usec[8];

                strftime(buf, size, "%Y-%m-%dT%H:%M:%S.xxxxxx%z", &tm);
                snprintf(usec, sizeof usec, "%06" PRIu64, realtime % USEC_PER_SEC);
                memcpy(buf + 20, usec, 6);
                break;
        }
        case JOURNAL_OUTPUT_SHORT_PRECISE:
                strftime(buf, size, "%b %d %H:%M:%S", &tm);
                snprintf(buf + strlen(buf), size - strlen(buf), ".%06" PRIu64, realtime % USEC_PER_SEC);
                break;
        default:
                strftime(buf, size, "%b %d %H:%M:%S", &tm);
        }
        return 0;
}

/* Print the timestamp column; *n counts the columns written, for the continuation indent. */
static int short_print_timestamp(FILE *f, JournalOutputMode mode, const DualTs *ts, size_t *n) {
        char buf[128];
        int r;

        if (mode == JOURNAL_OUTPUT_SHORT_MONOTONIC) {
                if (ts->monotonic == USEC_INFINITY)
                        return -EINVAL;
                *n += (size_t) fprintf(f, "[%5" PRIu64 ".%06" PRIu64 "]", ts->monotonic / USEC_PER_SEC,
                                       ts->monotonic % USEC_PER_SEC);
                return 0;
        }
        r = format_realtime(buf, sizeof buf, mode, ts->realtime);
        if (r < 0)
                return r;
        fputs(buf, f);
        *n += strlen(buf);
        return 0;
}

/* Print " host ident[pid]: "; *n counts the columns, except for " unknown", as journalctl counts them. */
static void short_print_identity(FILE *f, const Field *fl, size_t *n) {
        if (short_field_shall_print(&fl[SHORT_HOSTNAME])) {
                fprintf(f, " %s", fl[SHORT_HOSTNAME].value);
                *n += fl[SHORT_HOSTNAME].len + 1;
        }
        if (short_field_shall_print(&fl[SHORT_IDENT])) {
                fprintf(f, " %s", fl[SHORT_IDENT].value);
                *n += fl[SHORT_IDENT].len + 1;
        } else if (short_field_shall_print(&fl[SHORT_COMM])) {
                fprintf(f, " %s", fl[SHORT_COMM].value);
                *n += fl[SHORT_COMM].len + 1;
        } else
                fputs(" unknown", f);
        if (short_field_shall_print(&fl[SHORT_PID])) {
                fprintf(f, "[%s]", fl[SHORT_PID].value);
                *n += fl[SHORT_PID].len + 2;
        } else if (short_field_shall_print(&fl[SHORT_SYSLOG_PID])) {
                fprintf(f, "[%s]", fl[SHORT_SYSLOG_PID].value);
                *n += fl[SHORT_SYSLOG_PID].len + 2;
        }
        fputs(": ", f);
}

static int output_short(FILE *f, sd_journal *j, JournalOutputMode mode, bool color) {
        Field fl[_SHORT_FIELD_MAX] = {
                [SHORT_PID] = { "_PID=" }, [SHORT_COMM] = { "_COMM=" }, [SHORT_MESSAGE] = { "MESSAGE=" },
                [SHORT_PRIORITY] = { "PRIORITY=" }, [SHORT_HOSTNAME] = { "_HOSTNAME=" },
                [SHORT_SYSLOG_PID] = { "SYSLOG_PID=" }, [SHORT_IDENT] = { "SYSLOG_IDENTIFIER=" },
        };
        const Field *msg = &fl[SHORT_MESSAGE], *prio = &fl[SHORT_PRIORITY];
        _cleanup_free_ char *message = NULL;
        const char *on = "", *off = "";
        size_t message_len, n = 0;
        DualTs ts;
        int p = LOG_INFO, r;

        r = dual_timestamp(j, &ts);
        if (r < 0)
                return r;
        r = fields_read(j, fl, _SHORT_FIELD_MAX);
        if (r < 0)
                goto finish;
        if (!msg->value) {
                r = 0;      /* journalctl skips entries without MESSAGE */
                goto finish;
        }
        message = strip_tab_ansi(msg->value, msg->len, &message_len);
        if (!message) {
                r = -ENOMEM;
                goto finish;
        }
        if (prio->value && prio->len == 1 && prio->value[0] >= '0' && prio->value[0] <= '7')
                p = prio->value[0] - '0';

        r = short_print_timestamp(f, mode, &ts, &n);
        if (r < 0)
                goto finish;
        short_print_identity(f, fl, &n);

        if (!journal_utf8_is_printable(message, message_len, true)) {
                char b[32];
                fprintf(f, "[%s blob data]\n", format_bytes(b, sizeof b, message_len));
        } else {
                if (color)
                        log_colors(p, &on, &off);
                print_multiline(f, (unsigned) n + 2, on, off, message, message_len);
        }
        r = 0;
finish:
        fields_done(fl, _SHORT_FIELD_MAX);
        return r;
}

static int output_cat(FILE *f, sd_journal *j, bool color) {
        const void *data;
        const char *on = "", *off = "";
        size_t l;
        int r;

        if (color) {
                int p = LOG_INFO;

                if (sd_journal_get_data(j, "PRIORITY", &data, &l) >= 0 && l == 10 &&
                    memcmp(data, "PRIORITY=", 9) == 0 && ((const char *) data)[9] >= '0' &&
                    ((const char *) data)[9] <= '7')
                        p = ((const char *) data)[9] - '0';
                log_colors(p, &on, &off);
        }
        r = sd_journal_get_data(j, "MESSAGE", &data, &l);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        fputs(on, f);
        fwrite((const char *) data + 8, 1, l - 8, f);
        fputs(off, f);
        fputc('\n', f);
        return 0;
}

static int output_export(FILE *f, sd_journal *j) {
        _cleanup_free_ char *cursor = NULL;
        usec_t realtime, monotonic;
        sd_id128_t boot_id;
        char sid[SD_ID128_STRING_MAX];
        const void *data;
        size_t len;
        int r;

        r = sd_journal_get_cursor(j, &cursor);
        if (r < 0)
                return r;
        r = sd_journal_get_realtime_usec(j, &realtime);
        if (r < 0)
                return r;
        r = sd_journal_get_monotonic_usec(j, &monotonic, &boot_id);
        if (r < 0)
                return r;
        fprintf(f, "__CURSOR=%s\n__REALTIME_TIMESTAMP=%" PRIu64 "\n__MONOTONIC_TIMESTAMP=%" PRIu64 "\n_BOOT_ID=%s\n",
                cursor, realtime, monotonic, sd_id128_to_string(boot_id, sid));

        sd_journal_restart_data(j);
        while ((r = sd_journal_enumerate_data(j, &data, &len)) > 0) {
                const char *c;
                size_t fieldlen;

                if (len >= 9 && memcmp(data, "_BOOT_ID=", 9) == 0)
                        continue;
                c = memchr(data, '=', len);
                if (!c)
                        return -EINVAL;
                fieldlen = (size_t) (c - (const char *) data);
                if (journal_utf8_is_printable(data, len, false))
                        fwrite(data, len, 1, f);
                else {
                        uint64_t le64 = htole64((uint64_t) (len - fieldlen - 1));

                        fwrite(data, fieldlen, 1, f);
                        fputc('\n', f);
                        fwrite(&le64, sizeof le64, 1, f);
                        fwrite(c + 1, len - fieldlen - 1, 1, f);
                }
                fputc('\n', f);
        }
        if (r < 0)
                return r;
        fputc('\n', f);
        return 0;
}

/* ---- JSON ---- */

typedef struct JsonField {
        char *name;
        char **values;        /* each already rendered as a JSON value (compact) */
        char **pretty;        /* the same, rendered for json-pretty at depth 2 */
        size_t n_values;
} JsonField;

/* journalctl's JSON string (its input is known to be valid UTF-8). */
static void json_string(FILE *f, const char *q) {
        _cleanup_free_ char *e = json_escape(q, JSON_ESCAPE_JOURNALCTL);

        if (e)
                fputs(e, f);
}

/* One value as journalctl's update_json_data() makes it: null (too big), a string, or an array of bytes. */
static char *json_value(const char *name, const char *value, size_t size, bool pretty, const char *indent) {
        char *buf = NULL;
        size_t bl = 0;
        FILE *f = open_memstream(&buf, &bl);

        if (!f)
                return NULL;
        if (strlen(name) + 1 + size >= JSON_THRESHOLD)
                fputs("null", f);
        else if (journal_utf8_is_printable(value, size, true)) {
                _cleanup_free_ char *s = strndup(value, size);

                if (s)
                        json_string(f, s);
        } else if (size == 0)
                fputs("[]", f);
        else {
                fputs(pretty ? "[\n" : "[", f);
                for (size_t i = 0; i < size; i++) {
                        if (i > 0)
                                fputs(pretty ? ",\n" : ",", f);
                        if (pretty)
                                fprintf(f, "%s\t", indent);
                        fprintf(f, "%u", (unsigned) (uint8_t) value[i]);
                }
                if (pretty)
                        fprintf(f, "\n%s", indent);
                fputc(']', f);
        }
        if (fclose(f) != 0) {
                free(buf);
                return NULL;
        }
        return buf;
}

static int json_add(JsonField **fields, size_t *n, size_t *allocated, const char *name, size_t name_len,
                    const char *value, size_t size) {
        _cleanup_free_ char *nm = strndup(name, name_len);
        JsonField *jf = NULL;
        char *c, *p;

        if (!nm)
                return -ENOMEM;
        for (size_t i = 0; i < *n; i++)
                if (streq((*fields)[i].name, nm)) {
                        jf = &(*fields)[i];
                        break;
                }
        if (!jf) {
                if (!greedy_realloc((void **) fields, allocated, *n + 1, sizeof(JsonField)))
                        return -ENOMEM;
                jf = &(*fields)[(*n)++];
                *jf = (JsonField) { .name = TAKE_PTR(nm) };
        }
        c = json_value(jf->name, value, size, false, "");
        p = json_value(jf->name, value, size, true, "\t");
        if (!c || !p || !(jf->values = reallocarray(jf->values, jf->n_values + 1, sizeof(char *))) ||
            !(jf->pretty = reallocarray(jf->pretty, jf->n_values + 1, sizeof(char *)))) {
                free(c);
                free(p);
                return -ENOMEM;
        }
        jf->values[jf->n_values] = c;
        jf->pretty[jf->n_values] = p;
        jf->n_values++;
        return 0;
}

/* re-indents a pretty value one level deeper (it becomes an array element) */
static void fput_indented(FILE *f, const char *s) {
        for (; *s; s++) {
                fputc(*s, f);
                if (*s == '\n')
                        fputc('\t', f);
        }
}

static int output_json(FILE *f, sd_journal *j, bool pretty) {
        _cleanup_free_ char *cursor = NULL;
        JsonField *fields = NULL;
        size_t n = 0, allocated = 0, len;
        usec_t realtime, monotonic;
        sd_id128_t boot_id;
        char num[32], sid[SD_ID128_STRING_MAX];
        const void *data;
        int r;

        (void) sd_journal_set_data_threshold(j, JSON_THRESHOLD);
        r = sd_journal_get_cursor(j, &cursor);
        if (r < 0)
                goto finish;
        r = sd_journal_get_realtime_usec(j, &realtime);
        if (r < 0)
                goto finish;
        r = sd_journal_get_monotonic_usec(j, &monotonic, &boot_id);
        if (r < 0)
                goto finish;

        r = json_add(&fields, &n, &allocated, "__CURSOR", 8, cursor, strlen(cursor));
        snprintf(num, sizeof num, "%" PRIu64, realtime);
        if (r >= 0)
                r = json_add(&fields, &n, &allocated, "__REALTIME_TIMESTAMP", 20, num, strlen(num));
        snprintf(num, sizeof num, "%" PRIu64, monotonic);
        if (r >= 0)
                r = json_add(&fields, &n, &allocated, "__MONOTONIC_TIMESTAMP", 21, num, strlen(num));
        sd_id128_to_string(boot_id, sid);
        if (r >= 0)
                r = json_add(&fields, &n, &allocated, "_BOOT_ID", 8, sid, strlen(sid));
        if (r < 0)
                goto finish;

        sd_journal_restart_data(j);
        while ((r = sd_journal_enumerate_data(j, &data, &len)) > 0) {
                const char *eq;

                if (len >= 9 && memcmp(data, "_BOOT_ID=", 9) == 0)
                        continue;
                eq = memchr(data, '=', MIN(len, (size_t) JSON_THRESHOLD));
                if (!eq)
                        continue;
                r = json_add(&fields, &n, &allocated, data, (size_t) (eq - (const char *) data), eq + 1,
                             len - (size_t) (eq - (const char *) data) - 1);
                if (r < 0)
                        goto finish;
        }
        if (r < 0)
                goto finish;

        fputs(pretty ? "{\n" : "{", f);
        for (size_t i = 0; i < n; i++) {
                if (i > 0)
                        fputs(pretty ? ",\n" : ",", f);
                if (pretty)
                        fputc('\t', f);
                json_string(f, fields[i].name);
                fputs(pretty ? " : " : ":", f);
                if (fields[i].n_values == 1)
                        fputs(pretty ? fields[i].pretty[0] : fields[i].values[0], f);
                else {
                        fputs(pretty ? "[\n" : "[", f);
                        for (size_t k = 0; k < fields[i].n_values; k++) {
                                if (k > 0)
                                        fputs(pretty ? ",\n" : ",", f);
                                if (pretty) {
                                        fputs("\t\t", f);
                                        fput_indented(f, fields[i].pretty[k]);
                                } else
                                        fputs(fields[i].values[k], f);
                        }
                        fputs(pretty ? "\n\t]" : "]", f);
                }
        }
        fputs(pretty ? "\n}\n" : "}\n", f);
        r = 0;
finish:
        for (size_t i = 0; i < n; i++) {
                for (size_t k = 0; k < fields[i].n_values; k++) {
                        free(fields[i].values[k]);
                        free(fields[i].pretty[k]);
                }
                free(fields[i].values);
                free(fields[i].pretty);
                free(fields[i].name);
        }
        free(fields);
        return r;
}

static int output_verbose(FILE *f, sd_journal *j, bool color) {
        static const char *const weekdays[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
        _cleanup_free_ char *cursor = NULL;
        const void *data;
        size_t len;
        char buf[128];
        struct tm tm;
        time_t t;
        DualTs ts;
        int r;

        r = dual_timestamp(j, &ts);
        if (r < 0)
                return r;
        if (ts.realtime == 0 || ts.realtime >= TIMESTAMP_FORMATTABLE_MAX)
                return -EINVAL;
        r = sd_journal_get_cursor(j, &cursor);
        if (r < 0)
                return r;
        t = (time_t) (ts.realtime / USEC_PER_SEC);
        if (!localtime_r(&t, &tm))
                return -EINVAL;
        memcpy(buf, weekdays[tm.tm_wday], 4);
        strftime(buf + 3, sizeof buf - 3, " %Y-%m-%d %H:%M:%S", &tm);
        snprintf(buf + strlen(buf), sizeof buf - strlen(buf), ".%06" PRIu64, ts.realtime % USEC_PER_SEC);
        if (!isempty(tm.tm_zone))
                snprintf(buf + strlen(buf), sizeof buf - strlen(buf), " %s", tm.tm_zone);
        fprintf(f, "%s [%s]\n", buf, cursor);

        sd_journal_restart_data(j);
        while ((r = sd_journal_enumerate_data(j, &data, &len)) > 0) {
                const char *c = memchr(data, '=', len), *on = "", *off = "";
                int fieldlen;

                if (!c)
                        return -EINVAL;
                fieldlen = (int) (c - (const char *) data);
                if (color && len >= 8 && memcmp(data, "MESSAGE=", 8) == 0)
                        on = ANSI_HIGHLIGHT, off = ANSI_NORMAL;
                if (journal_utf8_is_printable(data, len, true)) {
                        fprintf(f, "    %s%.*s=", on, fieldlen, (const char *) data);
                        print_multiline(f, 4 + (unsigned) fieldlen + 1, "", "", c + 1, len - 1 - (size_t) fieldlen);
                        fputs(off, f);
                } else {
                        char b[32];
                        fprintf(f, "    %s%.*s=[%s blob data]%s\n", on, fieldlen, (const char *) data,
                                format_bytes(b, sizeof b, len - (size_t) fieldlen - 1), off);
                }
        }
        return r;
}

int journal_output_entry(FILE *f, sd_journal *j, JournalOutputMode mode, bool color) {
        /* journalctl reads whole fields (--full), except for json (JSON_THRESHOLD) */
        (void) sd_journal_set_data_threshold(j, 0);

        switch (mode) {
        case JOURNAL_OUTPUT_SHORT:
        case JOURNAL_OUTPUT_SHORT_ISO:
        case JOURNAL_OUTPUT_SHORT_ISO_PRECISE:
        case JOURNAL_OUTPUT_SHORT_PRECISE:
        case JOURNAL_OUTPUT_SHORT_MONOTONIC:
        case JOURNAL_OUTPUT_SHORT_UNIX:
                return output_short(f, j, mode, color);
        case JOURNAL_OUTPUT_CAT:
                return output_cat(f, j, color);
        case JOURNAL_OUTPUT_JSON:
        case JOURNAL_OUTPUT_JSON_PRETTY:
                return output_json(f, j, mode == JOURNAL_OUTPUT_JSON_PRETTY);
        case JOURNAL_OUTPUT_EXPORT:
                return output_export(f, j);
        case JOURNAL_OUTPUT_VERBOSE:
                return output_verbose(f, j, color);
        default:
                return -EINVAL;
        }
}
