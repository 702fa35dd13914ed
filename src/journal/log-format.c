/* log_location formats: Go time layouts, zerolog's JSON and ConsoleWriter lines. See log-format.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compose/compose.h"
#include "journal/log-format.h"
#include "shared/json-util.h"
#include "shared/utf8-util.h"

/* ---- Go time layouts ---- */

static const char *const month_names[] = { "January", "February", "March", "April", "May", "June", "July",
                                           "August", "September", "October", "November", "December" };
static const char *const day_names[] = { "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
                                         "Saturday" };

typedef struct Out {
        char *buf;
        size_t size, n;
} Out;

static void out_str(Out *o, const char *s, size_t l) {
        for (size_t i = 0; i < l; i++) {
                if (o->n + 1 < o->size)
                        o->buf[o->n] = s[i];
                o->n++;
        }
}

static void out_fmt(Out *o, const char *fmt, long v) {
        char t[32];
        int k = snprintf(t, sizeof t, fmt, v);
        out_str(o, t, (size_t) MAX(k, 0));
}

static void out_zone(Out *o, long off, bool z, bool colon, bool secs, bool hours_only) {
        long a = off < 0 ? -off : off;

        if (z && off == 0) {
                out_str(o, "Z", 1);
                return;
        }
        out_str(o, off < 0 ? "-" : "+", 1);
        out_fmt(o, "%02ld", a / 3600);
        if (hours_only)
                return;
        if (colon)
                out_str(o, ":", 1);
        out_fmt(o, "%02ld", (a / 60) % 60);
        if (secs) {
                if (colon)
                        out_str(o, ":", 1);
                out_fmt(o, "%02ld", a % 60);
        }
}

/* The layout elements that print one field of the broken-down time, longest match first where one is a
 * prefix of another ("January" before "Jan", "2006" before "2", "__2" and "_2" before "2"). */
typedef enum GoTimeField {
        GO_MONTH_NAME, GO_MONTH_ABBR, GO_DAY_NAME, GO_DAY_ABBR, GO_ZONE_NAME, GO_YDAY_ZERO, GO_MONTH_ZERO,
        GO_MDAY_ZERO, GO_HOUR12_ZERO, GO_MINUTE_ZERO, GO_SECOND_ZERO, GO_YEAR2, GO_HOUR24, GO_MONTH, GO_YEAR4,
        GO_MDAY, GO_YDAY_SPACE, GO_MDAY_SPACE, GO_HOUR12, GO_MINUTE, GO_SECOND, GO_PM_UPPER, GO_PM_LOWER,
} GoTimeField;

static const struct {
        const char *token;
        GoTimeField field;
} go_time_fields[] = {
        { "January", GO_MONTH_NAME }, { "Jan", GO_MONTH_ABBR },   { "Monday", GO_DAY_NAME },
        { "Mon", GO_DAY_ABBR },       { "MST", GO_ZONE_NAME },    { "002", GO_YDAY_ZERO },
        { "01", GO_MONTH_ZERO },      { "02", GO_MDAY_ZERO },     { "03", GO_HOUR12_ZERO },
        { "04", GO_MINUTE_ZERO },     { "05", GO_SECOND_ZERO },   { "06", GO_YEAR2 },
        { "15", GO_HOUR24 },          { "1", GO_MONTH },          { "2006", GO_YEAR4 },
        { "2", GO_MDAY },             { "__2", GO_YDAY_SPACE },   { "_2", GO_MDAY_SPACE },
        { "3", GO_HOUR12 },           { "4", GO_MINUTE },         { "5", GO_SECOND },
        { "PM", GO_PM_UPPER },        { "pm", GO_PM_LOWER },
};

static bool has_prefix(const char *p, size_t rest, const char *token) {
        size_t n = strlen(token);

        return rest >= n && memcmp(p, token, n) == 0;
}

static void go_time_field(Out *o, const struct tm *tm, GoTimeField field) {
        int h12 = tm->tm_hour % 12 == 0 ? 12 : tm->tm_hour % 12;
        const char *zone = tm->tm_zone ?: "UTC";

        switch (field) {
        case GO_MONTH_NAME: out_str(o, month_names[tm->tm_mon], strlen(month_names[tm->tm_mon])); break;
        case GO_MONTH_ABBR: out_str(o, month_names[tm->tm_mon], 3); break;
        case GO_DAY_NAME: out_str(o, day_names[tm->tm_wday], strlen(day_names[tm->tm_wday])); break;
        case GO_DAY_ABBR: out_str(o, day_names[tm->tm_wday], 3); break;
        case GO_ZONE_NAME: out_str(o, zone, strlen(zone)); break;
        case GO_YDAY_ZERO: out_fmt(o, "%03ld", tm->tm_yday + 1); break;
        case GO_MONTH_ZERO: out_fmt(o, "%02ld", tm->tm_mon + 1); break;
        case GO_MDAY_ZERO: out_fmt(o, "%02ld", tm->tm_mday); break;
        case GO_HOUR12_ZERO: out_fmt(o, "%02ld", h12); break;
        case GO_MINUTE_ZERO: out_fmt(o, "%02ld", tm->tm_min); break;
        case GO_SECOND_ZERO: out_fmt(o, "%02ld", tm->tm_sec); break;
        case GO_YEAR2: out_fmt(o, "%02ld", (tm->tm_year + 1900) % 100); break;
        case GO_HOUR24: out_fmt(o, "%02ld", tm->tm_hour); break;
        case GO_MONTH: out_fmt(o, "%ld", tm->tm_mon + 1); break;
        case GO_YEAR4: out_fmt(o, "%04ld", tm->tm_year + 1900); break;
        case GO_MDAY: out_fmt(o, "%ld", tm->tm_mday); break;
        case GO_YDAY_SPACE: out_fmt(o, "%3ld", tm->tm_yday + 1); break;
        case GO_MDAY_SPACE: out_fmt(o, "%2ld", tm->tm_mday); break;
        case GO_HOUR12: out_fmt(o, "%ld", h12); break;
        case GO_MINUTE: out_fmt(o, "%ld", tm->tm_min); break;
        case GO_SECOND: out_fmt(o, "%ld", tm->tm_sec); break;
        case GO_PM_UPPER: out_str(o, tm->tm_hour >= 12 ? "PM" : "AM", 2); break;
        case GO_PM_LOWER: out_str(o, tm->tm_hour >= 12 ? "pm" : "am", 2); break;
        }
}

/* A field element at p: prints it and returns its length, or 0 when p does not start one. */
static size_t go_time_field_at(Out *o, const struct tm *tm, const char *p, size_t rest) {
        for (size_t k = 0; k < ELEMENTSOF(go_time_fields); k++) {
                const char *token = go_time_fields[k].token;

                /* "_2006" is "_" and a year, not a space-padded day */
                if (!has_prefix(p, rest, token) || (streq(token, "_2") && has_prefix(p, rest, "_2006")))
                        continue;
                go_time_field(o, tm, go_time_fields[k].field);
                return strlen(token);
        }
        return 0;
}

/* A zone element at p ("-07:00:00", "Z070000", "-07:00", "Z0700", "-07"): returns its length, or 0. */
static size_t go_time_zone_at(Out *o, const struct tm *tm, const char *p, size_t rest) {
        static const struct {
                const char *tail;
                bool colon, secs, hours_only;
        } zones[] = {
                { "07:00:00", true, true, false },
                { "070000", false, true, false },
                { "07:00", true, false, false },
                { "0700", false, false, false },
                { "07", false, false, true },
        };

        if (rest < 3 || (p[0] != '-' && p[0] != 'Z'))
                return 0;
        for (size_t k = 0; k < ELEMENTSOF(zones); k++)
                if (has_prefix(p + 1, rest - 1, zones[k].tail)) {
                        out_zone(o, tm->tm_gmtoff, p[0] == 'Z', zones[k].colon, zones[k].secs, zones[k].hours_only);
                        return 1 + strlen(zones[k].tail);
                }
        return 0;
}

/* A fraction element at p (".000", ",999"; 9s drop trailing zeros): returns its length, or 0. A run of 0s or
 * 9s followed by another digit is no fraction. */
static size_t go_time_fraction_at(Out *o, long nsec, const char *p, size_t rest) {
        char ch, digits[10];
        size_t j = 1, n;

        if (rest < 2 || (p[0] != '.' && p[0] != ',') || (p[1] != '0' && p[1] != '9'))
                return 0;
        ch = p[1];
        while (j < rest && p[j] == ch)
                j++;
        if (j < rest && p[j] >= '0' && p[j] <= '9')
                return 0;
        n = MIN(j - 1, (size_t) 9);
        snprintf(digits, sizeof digits, "%09ld", nsec);
        if (ch == '9')
                while (n > 0 && digits[n - 1] == '0')
                        n--;
        if (n > 0 || ch == '0') {
                out_str(o, p, 1);
                out_str(o, digits, n);
        }
        return j;
}

size_t go_time_format(char *buf, size_t size, const char *layout, usec_t realtime) {
        time_t sec = (time_t) (realtime / USEC_PER_SEC);
        long nsec = (long) (realtime % USEC_PER_SEC) * 1000;
        Out o = { buf, size, 0 };
        struct tm tm;
        size_t L = strlen(layout);

        if (!localtime_r(&sec, &tm))
                memset(&tm, 0, sizeof tm);

        for (size_t i = 0; i < L;) {
                const char *p = layout + i;
                size_t rest = L - i, k;

                k = go_time_field_at(&o, &tm, p, rest);
                if (k == 0)
                        k = go_time_zone_at(&o, &tm, p, rest);
                if (k == 0)
                        k = go_time_fraction_at(&o, nsec, p, rest);
                if (k == 0) {
                        out_str(&o, p, 1);      /* a literal */
                        k = 1;
                }
                i += k;
        }
        if (size > 0)
                buf[MIN(o.n, size - 1)] = 0;
        return MIN(o.n, size > 0 ? size - 1 : 0);
}

/* ---- formatting ---- */

/* The message as zerolog's ConsoleWriter prints it after the JSON round trip: invalid UTF-8 becomes U+FFFD. */
static void buf_console_message(Buffer *b, const char *s, size_t n) {
        for (size_t i = 0; i < n;) {
                size_t l = utf8_valid_len(s + i, n - i);

                if (l == 0) {
                        buffer_append_str(b, UTF8_REPLACEMENT);
                        i++;
                } else {
                        buffer_append(b, s + i, l);
                        i += l;
                }
        }
}

/* Go's strconv.Quote, for field values that need quoting in the console format. */
static void buf_go_quote(Buffer *b, const char *s) {
        size_t n = strlen(s);

        buffer_append(b, "\"", 1);
        for (size_t i = 0; i < n;) {
                unsigned char c = (unsigned char) s[i];
                size_t l = utf8_valid_len(s + i, n - i);
                char t[8];

                if (l > 1) {
                        buffer_append(b, s + i, l);
                        i += l;
                        continue;
                }
                switch (c) {
                case '\a': buffer_append_str(b, "\\a"); break;
                case '\b': buffer_append_str(b, "\\b"); break;
                case '\f': buffer_append_str(b, "\\f"); break;
                case '\n': buffer_append_str(b, "\\n"); break;
                case '\r': buffer_append_str(b, "\\r"); break;
                case '\t': buffer_append_str(b, "\\t"); break;
                case '\v': buffer_append_str(b, "\\v"); break;
                case '"': buffer_append_str(b, "\\\""); break;
                case '\\': buffer_append_str(b, "\\\\"); break;
                default:
                        if (c < 0x20 || c >= 0x7f) {
                                snprintf(t, sizeof t, "\\x%02x", c);
                                buffer_append_str(b, t);
                        } else
                                buffer_append(b, (const char *) &c, 1);
                }
                i++;
        }
        buffer_append(b, "\"", 1);
}

static bool needs_quote(const char *s) {
        for (; *s; s++)
                if ((unsigned char) *s < 0x20 || (unsigned char) *s > 0x7e || *s == ' ' || *s == '\\' || *s == '"')
                        return true;
        return false;
}

static bool colors_enabled(const LogFileConfig *cfg) {
        return !cfg->no_color && isempty(getenv("NO_COLOR"));
}

static void buf_colored(Buffer *b, const char *s, size_t n, int color, bool on) {
        char t[16];

        if (on && color != 0) {
                snprintf(t, sizeof t, "\x1b[%dm", color);
                buffer_append_str(b, t);
        }
        buffer_append(b, s, n);
        if (on && color != 0)
                buffer_append_str(b, "\x1b[0m");
}

static void console_part(Buffer *b, const LogFileConfig *cfg, const char *part, bool *first, const char *process,
                         int replica, bool is_error, const char *message, size_t msg_len, usec_t realtime) {
        bool color = colors_enabled(cfg);
        size_t mark = b->len;

        if (!*first)
                buffer_append(b, " ", 1);
        if (streq(part, "time")) {
                if (cfg->add_timestamp) {
                        char t[256];
                        size_t k = go_time_format(t, sizeof t, cfg->timestamp_format ?: "3:04PM", realtime);
                        buf_colored(b, t, k, 90, color);
                } else
                        buf_colored(b, "<nil>", 5, 90, color);
        } else if (streq(part, "level"))
                buf_colored(b, is_error ? "ERR" : "INF", 3, is_error ? 31 : 32, color);
        else if (streq(part, "message")) {
                if (msg_len == 0) {
                        buffer_truncate(b, mark);     /* an empty part is skipped, with its separator */
                        return;
                }
                if (color)
                        buffer_append_str(b, "\x1b[1m");
                buf_console_message(b, message, msg_len);
                if (color)
                        buffer_append_str(b, "\x1b[0m");
        } else if (streq(part, "caller")) {
                buffer_truncate(b, mark);
                return;
        } else if (streq(part, "process") && !cfg->no_metadata)
                buffer_append_str(b, process);
        else if (streq(part, "replica") && !cfg->no_metadata) {
                char t[16];
                snprintf(t, sizeof t, "%d", replica);
                buffer_append_str(b, t);
        } else
                buffer_append_str(b, "%!s(<nil>)");      /* what Go's %s prints for a missing field */
        *first = false;
}

int log_file_format_line(const LogFileConfig *cfg, Buffer *b, const char *process, int replica, bool is_error,
                         const char *message, size_t msg_len, usec_t realtime) {
        size_t start = b->len;
        int r;
        char t[256];

        if (!cfg->disable_json) {
                buffer_append_str(b, is_error ? "{\"level\":\"error\"" : "{\"level\":\"info\"");
                if (!cfg->no_metadata) {
                        buffer_append_str(b, ",\"process\":");
                        json_escape_append(b, process, strlen(process), JSON_ESCAPE_ZEROLOG);
                        snprintf(t, sizeof t, ",\"replica\":%d", replica);
                        buffer_append_str(b, t);
                }
                if (cfg->add_timestamp) {
                        size_t k = go_time_format(t, sizeof t, cfg->timestamp_format ?: "2006-01-02T15:04:05Z07:00",
                                                  realtime);
                        buffer_append_str(b, ",\"time\":");
                        json_escape_append(b, t, k, JSON_ESCAPE_ZEROLOG);
                }
                if (msg_len > 0) {
                        buffer_append_str(b, ",\"message\":");
                        json_escape_append(b, message, msg_len, JSON_ESCAPE_ZEROLOG);
                }
                buffer_append_str(b, "}\n");
        } else {
                static char *const default_parts[] = { (char *) "time", (char *) "level", (char *) "message", NULL };
                char *const *parts = cfg->fields_order && cfg->fields_order[0] ? cfg->fields_order : default_parts;
                bool first = true, color = colors_enabled(cfg);

                for (size_t i = 0; parts[i]; i++)
                        console_part(b, cfg, parts[i], &first, process, replica, is_error, message, msg_len,
                                     realtime);
                if (!cfg->no_metadata) {
                        /* the remaining fields, sorted by name: process, replica */
                        if (!first)
                                buffer_append(b, " ", 1);
                        buf_colored(b, "process=", 8, 36, color);
                        if (needs_quote(process))
                                buf_go_quote(b, process);
                        else
                                buffer_append_str(b, process);
                        buffer_append(b, " ", 1);
                        buf_colored(b, "replica=", 8, 36, color);
                        snprintf(t, sizeof t, "%d", replica);
                        buffer_append_str(b, t);
                }
                buffer_append_str(b, "\n");
        }
        r = b->error;
        if (r < 0) {
                /* Drop the partial line; the buffer stays usable for the next one. */
                b->error = 0;
                buffer_truncate(b, start);
        }
        return r;
}

void log_file_config_from_compose(const ComposeLogConfig *c, LogFileConfig *ret) {
        *ret = (LogFileConfig) {};
        if (!c)
                return;
        *ret = (LogFileConfig) {
                .disable_json = c->disable_json,
                .add_timestamp = c->add_timestamp,
                .timestamp_format = isempty(c->timestamp_format) ? NULL : c->timestamp_format,
                .no_metadata = c->no_metadata,
                .no_color = c->no_color,
                .flush_each_line = c->flush_each_line,
                .fields_order = c->fields_order,
        };
        if (c->rotation) {
                ret->rotate = true;
                ret->max_size_mb = c->rotation->max_size_mb;
                ret->max_backups = c->rotation->max_backups;
                ret->max_age_days = c->rotation->max_age_days;
                ret->compress = c->rotation->compress;
        }
}
