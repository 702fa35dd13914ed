/* log_location files: see log-file.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "compose/compose.h"
#include "journal/log-file.h"
#include "shared/io-util.h"
#include "shared/json-util.h"
#include "shared/utf8-util.h"

#define WRITE_THRESHOLD 4096u              /* process-compose's bufio.Writer size */
#define BUFFER_MAX (1024u * 1024u)         /* beyond this, write at once instead of from the defer */
#define FLUSH_DELAY_USEC USEC_PER_SEC
#define COMPRESS_CHUNK (256u * 1024u)
#define BACKUP_TIME_LAYOUT "2006-01-02T15-04-05.000"

typedef struct Reader {
        LogFile *file;
        LogRing *ring;
        LogRingObserver *observer;
        uint64_t next_seq;
        char *process;
        int replica;
        struct Reader *next;
} Reader;

typedef struct CompressJob {
        char *src;
        char *dst;
        int in_fd;
        gzFile out;
        struct CompressJob *next;
} CompressJob;

struct LogFile {
        sd_event *event;
        sd_event_source *defer, *timer, *compress;
        char *path;
        int fd;
        LogFileConfig cfg;
        char *timestamp_format;
        char **fields_order;
        bool color;

        Buffer out;                       /* formatted lines not yet written */
        uint64_t size;                    /* bytes in the file */

        Reader *readers;
        CompressJob *jobs;
        LogFileStats stats;
};

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
                size_t rest = L - i;
                int h12 = tm.tm_hour % 12 == 0 ? 12 : tm.tm_hour % 12;

#define IS(s) (rest >= STRLEN(s) && memcmp(p, s, STRLEN(s)) == 0)
                if (IS("January")) {
                        out_str(&o, month_names[tm.tm_mon], strlen(month_names[tm.tm_mon]));
                        i += 7;
                } else if (IS("Jan")) {
                        out_str(&o, month_names[tm.tm_mon], 3);
                        i += 3;
                } else if (IS("Monday")) {
                        out_str(&o, day_names[tm.tm_wday], strlen(day_names[tm.tm_wday]));
                        i += 6;
                } else if (IS("Mon")) {
                        out_str(&o, day_names[tm.tm_wday], 3);
                        i += 3;
                } else if (IS("MST")) {
                        out_str(&o, tm.tm_zone ?: "UTC", strlen(tm.tm_zone ?: "UTC"));
                        i += 3;
                } else if (IS("002")) {
                        out_fmt(&o, "%03ld", tm.tm_yday + 1);
                        i += 3;
                } else if (IS("01")) {
                        out_fmt(&o, "%02ld", tm.tm_mon + 1);
                        i += 2;
                } else if (IS("02")) {
                        out_fmt(&o, "%02ld", tm.tm_mday);
                        i += 2;
                } else if (IS("03")) {
                        out_fmt(&o, "%02ld", h12);
                        i += 2;
                } else if (IS("04")) {
                        out_fmt(&o, "%02ld", tm.tm_min);
                        i += 2;
                } else if (IS("05")) {
                        out_fmt(&o, "%02ld", tm.tm_sec);
                        i += 2;
                } else if (IS("06")) {
                        out_fmt(&o, "%02ld", (tm.tm_year + 1900) % 100);
                        i += 2;
                } else if (IS("15")) {
                        out_fmt(&o, "%02ld", tm.tm_hour);
                        i += 2;
                } else if (IS("1")) {
                        out_fmt(&o, "%ld", tm.tm_mon + 1);
                        i += 1;
                } else if (IS("2006")) {
                        out_fmt(&o, "%04ld", tm.tm_year + 1900);
                        i += 4;
                } else if (IS("2")) {
                        out_fmt(&o, "%ld", tm.tm_mday);
                        i += 1;
                } else if (IS("__2")) {
                        out_fmt(&o, "%3ld", tm.tm_yday + 1);
                        i += 3;
                } else if (IS("_2") && !IS("_2006")) {
                        out_fmt(&o, "%2ld", tm.tm_mday);
                        i += 2;
                } else if (IS("3")) {
                        out_fmt(&o, "%ld", h12);
                        i += 1;
                } else if (IS("4")) {
                        out_fmt(&o, "%ld", tm.tm_min);
                        i += 1;
                } else if (IS("5")) {
                        out_fmt(&o, "%ld", tm.tm_sec);
                        i += 1;
                } else if (IS("PM")) {
                        out_str(&o, tm.tm_hour >= 12 ? "PM" : "AM", 2);
                        i += 2;
                } else if (IS("pm")) {
                        out_str(&o, tm.tm_hour >= 12 ? "pm" : "am", 2);
                        i += 2;
                } else if ((p[0] == '-' || p[0] == 'Z') &&
                           (rest >= 3 && p[1] == '0' && p[2] == '7')) {
                        bool z = p[0] == 'Z';
                        const char *t = p + 1;
                        size_t r = rest - 1;

                        if (r >= 8 && memcmp(t, "07:00:00", 8) == 0) {
                                out_zone(&o, tm.tm_gmtoff, z, true, true, false);
                                i += 9;
                        } else if (r >= 6 && memcmp(t, "070000", 6) == 0) {
                                out_zone(&o, tm.tm_gmtoff, z, false, true, false);
                                i += 7;
                        } else if (r >= 5 && memcmp(t, "07:00", 5) == 0) {
                                out_zone(&o, tm.tm_gmtoff, z, true, false, false);
                                i += 6;
                        } else if (r >= 4 && memcmp(t, "0700", 4) == 0) {
                                out_zone(&o, tm.tm_gmtoff, z, false, false, false);
                                i += 5;
                        } else {
                                out_zone(&o, tm.tm_gmtoff, z, false, false, true);
                                i += 3;
                        }
                } else if ((p[0] == '.' || p[0] == ',') && rest >= 2 && (p[1] == '0' || p[1] == '9')) {
                        char ch = p[1], digits[10];
                        size_t j = 1, n;

                        while (j < rest && p[j] == ch)
                                j++;
                        if (j < rest && p[j] >= '0' && p[j] <= '9') {
                                out_str(&o, p, 1);      /* not a fraction: literal */
                                i += 1;
                                continue;
                        }
                        n = MIN(j - 1, (size_t) 9);
                        snprintf(digits, sizeof digits, "%09ld", nsec);
                        if (ch == '9') {
                                while (n > 0 && digits[n - 1] == '0')
                                        n--;
                                if (n > 0) {
                                        out_str(&o, p, 1);
                                        out_str(&o, digits, n);
                                }
                        } else {
                                out_str(&o, p, 1);
                                out_str(&o, digits, n);
                        }
                        i += j;
                } else {
                        out_str(&o, p, 1);
                        i += 1;
                }
#undef IS
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

/* ---- files ---- */

static int mkdir_parents(const char *path) {
        _cleanup_free_ char *p = strdup(path);
        char *s;

        if (!p)
                return -ENOMEM;
        for (s = p + 1; (s = strchr(s, '/')); s++) {
                *s = 0;
                if (mkdir(p, 0755) < 0 && errno != EEXIST)
                        return -errno;
                *s = '/';
        }
        return 0;
}

static int file_write_out(LogFile *f, size_t n) {
        int r;

        if (n == 0)
                return 0;
        r = f->fd >= 0 ? loop_write(f->fd, f->out.data, n) : -EBADF;
        if (r < 0)
                f->stats.write_errors++;
        else
                f->size += n;
        /* on error the lines are dropped: the file must never hold up the loop or grow memory */
        memmove(f->out.data, f->out.data + n, f->out.len - n);
        buffer_truncate(&f->out, f->out.len - n);
        return r;
}

int log_file_flush(LogFile *f) {
        if (!f)
                return 0;
        (void) sd_event_source_set_enabled(f->timer, SD_EVENT_OFF);
        return file_write_out(f, f->out.len);
}

/* "dir/name.ext" -> prefix "name-", ext ".ext" (lumberjack's backup naming). */
static void split_name(const char *path, char **ret_dir, char **ret_prefix, char **ret_ext) {
        const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path, *dot = strrchr(base, '.');

        *ret_dir = slash ? strndup(path, (size_t) (slash - path)) : strdup(".");
        if (dot && dot != base) {
                *ret_prefix = strndup(base, (size_t) (dot - base));
                *ret_ext = strdup(dot);
        } else {
                *ret_prefix = strdup(base);
                *ret_ext = strdup("");
        }
}

static int compress_step(LogFile *f, bool all);

static int on_compress(sd_event_source *s, void *userdata) {
        LogFile *f = userdata;

        if (compress_step(f, false) > 0)
                (void) sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        return 0;
}

static void job_free(CompressJob *j) {
        if (j->out)
                gzclose(j->out);
        safe_close(j->in_fd);
        free(j->src);
        free(j->dst);
        free(j);
}

/* Compresses up to COMPRESS_CHUNK bytes (everything if all); returns > 0 while work remains. */
static int compress_step(LogFile *f, bool all) {
        char chunk[64 * 1024];
        size_t done = 0;

        while (f->jobs && (all || done < COMPRESS_CHUNK)) {
                CompressJob *j = f->jobs;
                ssize_t k;

                if (!j->out) {
                        j->in_fd = open(j->src, O_RDONLY | O_CLOEXEC);
                        j->out = j->in_fd >= 0 ? gzopen(j->dst, "wb") : NULL;
                        if (!j->out) {
                                f->jobs = j->next;
                                job_free(j);
                                continue;
                        }
                }
                k = read(j->in_fd, chunk, sizeof chunk);
                if (k > 0) {
                        done += (size_t) k;
                        if (gzwrite(j->out, chunk, (unsigned) k) != (int) k) {
                                (void) unlink(j->dst);
                                f->jobs = j->next;
                                job_free(j);
                        }
                        continue;
                }
                /* end of input (or a read error: keep the uncompressed backup) */
                if (gzclose(j->out) == Z_OK && k == 0)
                        (void) unlink(j->src);
                else
                        (void) unlink(j->dst);
                j->out = NULL;
                f->jobs = j->next;
                job_free(j);
        }
        return f->jobs ? 1 : 0;
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* lumberjack's mill: compress new backups, then remove those beyond max_backups and older than max_age. */
static void file_mill(LogFile *f) {
        _cleanup_free_ char *dir = NULL, *prefix = NULL, *ext = NULL;
        DIR *d;
        char **names = NULL;
        size_t n = 0, allocated = 0;
        struct dirent *de;
        usec_t now = now_usec(CLOCK_REALTIME);

        split_name(f->path, &dir, &prefix, &ext);
        if (!dir || !prefix || !ext)
                return;
        d = opendir(dir);
        if (!d)
                return;
        while ((de = readdir(d))) {
                const char *t = startswith(de->d_name, prefix);
                size_t tl = STRLEN(BACKUP_TIME_LAYOUT);

                if (!t || *t != '-' || strlen(t + 1) < tl)
                        continue;
                t++;
                if (!streq(t + tl, ext) && !(startswith(t + tl, ext) && streq(t + tl + strlen(ext), ".gz")))
                        continue;
                if (!GREEDY_REALLOC(names, allocated, n + 1))
                        break;
                names[n] = strdup(de->d_name);
                if (names[n])
                        n++;
        }
        closedir(d);
        if (n > 1)
                qsort(names, n, sizeof(char *), cmp_str);      /* the time stamp sorts chronologically */

        for (size_t i = 0; i < n; i++) {
                const char *t = names[i] + strlen(prefix) + 1;
                bool gz = endswith(names[i], ".gz") != NULL;
                bool remove = f->cfg.max_backups > 0 && n - i > (size_t) f->cfg.max_backups;
                _cleanup_free_ char *full = NULL;

                if (!remove && f->cfg.max_age_days > 0) {
                        struct tm tm = {};
                        if (sscanf(t, "%4d-%2d-%2dT%2d-%2d-%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                                   &tm.tm_min, &tm.tm_sec) == 6) {
                                time_t ts;

                                tm.tm_year -= 1900;
                                tm.tm_mon -= 1;
                                tm.tm_isdst = -1;
                                ts = mktime(&tm);
                                remove = ts != (time_t) -1 &&
                                         (usec_t) ts * USEC_PER_SEC + (usec_t) f->cfg.max_age_days * USEC_PER_DAY < now;
                        }
                }
                if (asprintf(&full, "%s/%s", dir, names[i]) < 0)
                        continue;
                if (remove)
                        (void) unlink(full);
                else if (f->cfg.compress && !gz) {
                        CompressJob *j = new0(CompressJob, 1), **tail;

                        if (!j)
                                continue;
                        j->in_fd = -EBADF;
                        j->src = TAKE_PTR(full);
                        if (asprintf(&j->dst, "%s.gz", j->src) < 0) {
                                job_free(j);
                                continue;
                        }
                        for (tail = &f->jobs; *tail; tail = &(*tail)->next)
                                if (streq((*tail)->src, j->src))
                                        break;
                        if (*tail) {
                                job_free(j);     /* already queued */
                                continue;
                        }
                        *tail = j;
                }
        }
        for (size_t i = 0; i < n; i++)
                free(names[i]);
        free(names);
        if (f->jobs)
                (void) sd_event_source_set_enabled(f->compress, SD_EVENT_ONESHOT);
}

static int file_rotate(LogFile *f) {
        _cleanup_free_ char *dir = NULL, *prefix = NULL, *ext = NULL, *backup = NULL;
        char ts[64];
        int fd;

        split_name(f->path, &dir, &prefix, &ext);
        if (!dir || !prefix || !ext)
                return -ENOMEM;
        go_time_format(ts, sizeof ts, BACKUP_TIME_LAYOUT, now_usec(CLOCK_REALTIME));
        if (asprintf(&backup, "%s/%s-%s%s", dir, prefix, ts, ext) < 0)
                return -ENOMEM;
        if (rename(f->path, backup) < 0)
                return -errno;
        fd = open(f->path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
        if (fd < 0)
                return -errno;
        safe_close(f->fd);
        f->fd = fd;
        f->size = 0;
        f->stats.rotations++;
        file_mill(f);
        return 0;
}

static int on_defer(sd_event_source *s, void *userdata) {
        (void) log_file_flush(userdata);
        return 0;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        (void) log_file_flush(userdata);
        return 0;
}

static void file_add_entry(LogFile *f, Reader *rd, const LogEntry *e) {
        size_t old = f->out.len;
        uint64_t max = (uint64_t) (f->cfg.max_size_mb > 0 ? f->cfg.max_size_mb : 100) * 1024 * 1024;

        if (e->stream == LOG_STREAM_PCCTL)
                return;
        if (log_file_format_line(&f->cfg, &f->out, rd->process, rd->replica, e->stream == LOG_STREAM_STDERR,
                                 e->message, e->len, e->realtime) < 0)
                return;
        f->stats.lines++;

        if (f->cfg.rotate && f->size + f->out.len > max && f->size + old > 0) {
                (void) file_write_out(f, old);
                (void) file_rotate(f);
        }
}

static void on_ring(LogRing *ring, void *userdata) {
        Reader *rd = userdata;
        LogFile *f = rd->file;
        usec_t now;

        f->stats.missed += log_ring_missed(ring, rd->next_seq);
        if (rd->next_seq < log_ring_first_seq(ring))
                rd->next_seq = log_ring_first_seq(ring);
        for (; rd->next_seq < log_ring_next_seq(ring); rd->next_seq++) {
                const LogEntry *e = log_ring_get(ring, rd->next_seq);
                if (e)
                        file_add_entry(f, rd, e);
        }

        if (f->out.len >= BUFFER_MAX)
                (void) log_file_flush(f);
        else if (f->cfg.flush_each_line || f->out.len >= WRITE_THRESHOLD)
                (void) sd_event_source_set_enabled(f->defer, SD_EVENT_ONESHOT);
        else if (f->out.len > 0) {
                int enabled = SD_EVENT_OFF;

                (void) sd_event_source_get_enabled(f->timer, &enabled);
                if (enabled == SD_EVENT_OFF && sd_event_now(f->event, CLOCK_MONOTONIC, &now) >= 0) {
                        (void) sd_event_source_set_time(f->timer, now + FLUSH_DELAY_USEC);
                        (void) sd_event_source_set_enabled(f->timer, SD_EVENT_ONESHOT);
                }
        }
}

static Reader *reader_free(Reader *rd) {
        if (!rd)
                return NULL;
        log_ring_observer_free(rd->observer);
        free(rd->process);
        return mfree(rd);
}

int log_file_attach(LogFile *f, LogRing *ring, const char *process, int replica) {
        Reader *rd;

        if (!f || !ring || !process)
                return -EINVAL;
        rd = new0(Reader, 1);
        if (!rd)
                return -ENOMEM;
        *rd = (Reader) {
                .file = f,
                .ring = ring,
                .next_seq = log_ring_next_seq(ring),
                .process = strdup(process),
                .replica = replica,
        };
        rd->observer = log_ring_observe(ring, on_ring, rd);
        if (!rd->process || !rd->observer) {
                reader_free(rd);
                return -ENOMEM;
        }
        rd->next = f->readers;
        f->readers = rd;
        return 0;
}

int log_file_detach(LogFile *f, LogRing *ring) {
        for (Reader **p = f ? &f->readers : NULL; p && *p; p = &(*p)->next)
                if ((*p)->ring == ring) {
                        Reader *rd = *p;

                        *p = rd->next;
                        reader_free(rd);
                        return 0;
                }
        return -ENOENT;
}

static char **strv_copy_simple(char *const *l) {
        size_t n = 0;
        char **c;

        if (!l)
                return NULL;
        while (l[n])
                n++;
        c = new0(char *, n + 1);
        if (!c)
                return NULL;
        for (size_t i = 0; i < n; i++)
                if (!(c[i] = strdup(l[i]))) {
                        while (i > 0)
                                free(c[--i]);
                        free(c);
                        return NULL;
                }
        return c;
}

LogFile *log_file_close(LogFile *f) {
        if (!f)
                return NULL;

        while (f->readers) {
                Reader *rd = f->readers;
                f->readers = rd->next;
                reader_free(rd);
        }
        (void) log_file_flush(f);
        (void) compress_step(f, true);
        sd_event_source_disable_unref(f->defer);
        sd_event_source_disable_unref(f->timer);
        sd_event_source_disable_unref(f->compress);
        sd_event_unref(f->event);
        safe_close(f->fd);
        buffer_done(&f->out);
        free(f->path);
        free(f->timestamp_format);
        if (f->fields_order)
                for (size_t i = 0; f->fields_order[i]; i++)
                        free(f->fields_order[i]);
        free(f->fields_order);
        return mfree(f);
}

int log_file_open(sd_event *e, const char *path, const LogFileConfig *cfg, LogFile **ret) {
        _cleanup_(log_file_closep) LogFile *f = NULL;
        static const LogFileConfig defaults = {};
        struct stat st;
        int r;

        if (!e || isempty(path) || !ret)
                return -EINVAL;
        f = new0(LogFile, 1);
        if (!f)
                return -ENOMEM;
        f->fd = -EBADF;
        f->event = sd_event_ref(e);
        f->cfg = cfg ? *cfg : defaults;
        f->path = strdup(path);
        if (!f->path)
                return -ENOMEM;
        if (f->cfg.timestamp_format) {
                f->timestamp_format = strdup(f->cfg.timestamp_format);
                if (!f->timestamp_format)
                        return -ENOMEM;
                f->cfg.timestamp_format = f->timestamp_format;
        }
        if (f->cfg.fields_order) {
                f->fields_order = strv_copy_simple(f->cfg.fields_order);
                if (!f->fields_order)
                        return -ENOMEM;
                f->cfg.fields_order = f->fields_order;
        }

        r = mkdir_parents(path);
        if (r < 0)
                return r;
        /* process-compose truncates at open, except with rotation (lumberjack appends) */
        f->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (f->cfg.rotate ? 0 : O_TRUNC), 0600);
        if (f->fd < 0)
                return -errno;
        if (fstat(f->fd, &st) >= 0)
                f->size = (uint64_t) st.st_size;

        r = sd_event_add_defer(e, &f->defer, on_defer, f);
        if (r < 0)
                return r;
        (void) sd_event_source_set_enabled(f->defer, SD_EVENT_OFF);
        (void) sd_event_source_set_priority(f->defer, SD_EVENT_PRIORITY_NORMAL + 5);
        r = sd_event_add_time(e, &f->timer, CLOCK_MONOTONIC, 0, USEC_PER_MSEC * 10, on_timer, f);
        if (r < 0)
                return r;
        (void) sd_event_source_set_enabled(f->timer, SD_EVENT_OFF);
        r = sd_event_add_defer(e, &f->compress, on_compress, f);
        if (r < 0)
                return r;
        (void) sd_event_source_set_enabled(f->compress, SD_EVENT_OFF);
        (void) sd_event_source_set_priority(f->compress, SD_EVENT_PRIORITY_IDLE);

        if (f->cfg.rotate)
                file_mill(f);
        *ret = TAKE_PTR(f);
        return 0;
}

void log_file_get_stats(const LogFile *f, LogFileStats *ret) {
        if (ret)
                *ret = f ? f->stats : (LogFileStats) {};
}
