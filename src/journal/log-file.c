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
