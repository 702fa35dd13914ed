/* File watching on the loop (watcher.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shared/event-util.h"
#include "shared/path-util.h"
#include "shared/strv.h"
#include "watch/watch-match.h"
#include "watch/watcher.h"

/* What a directory's watch reports: every change process-compose acts on (create, write, remove, rename;
 * not attribute changes, which backup and indexing tools make all the time), and a file closed after it was
 * opened for writing, so that `touch` of an existing file counts (docs/compat.md). */
#define DIR_MASK (IN_CREATE | IN_MODIFY | IN_CLOSE_WRITE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | \
                  IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | IN_EXCL_UNLINK)
#define CHANGE_MASK (IN_CREATE | IN_MODIFY | IN_CLOSE_WRITE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO)

/* Bounded work per dispatch: directories walked, and one read of events. */
#define SCAN_BATCH 32
#define EVENT_BUFFER (64 * 1024)

/* A restart loop: this many bursts within the window suspend the registration (process-compose's flap
 * detection). */
#define FLAP_THRESHOLD 10
#define FLAP_WINDOW_USEC (60 * USEC_PER_SEC)

typedef struct WatchReg WatchReg;

static inline void closedirp(DIR **d) {
        if (*d)
                (void) closedir(*d);
}

typedef struct WatchRoot {
        WatchMatch *match;
        char *configured;            /* as written, for messages */
} WatchRoot;

struct WatchReg {
        Watcher *w;
        char *name;
        WatchRoot *roots;
        size_t n_roots;
        usec_t debounce;
        unsigned max_entries, entries;
        bool cap_reported, limit_reported, error_reported;
        bool suspended;

        sd_event_source *timer;
        char *last_path;             /* the newest change of the burst */
        unsigned count;
        usec_t last_event;           /* monotonic */
        usec_t restarted_at;
        usec_t fires[FLAP_THRESHOLD];
        unsigned n_fires;
};

typedef struct WatchDir {
        int wd;
        char *path;
        WatchReg **owners;
        size_t n_owners;
} WatchDir;

typedef struct ScanItem {
        char *path;
        WatchReg *reg;
        size_t root;                 /* the root whose rules brought it in */
        bool announce;               /* created after the walk: the files in it are changes */
} ScanItem;

struct Watcher {
        sd_event *event;
        WatcherCallbacks cb;
        void *userdata;
        int fd;
        sd_event_source *io, *scan_source;
        int (*add_watch)(int fd, const char *path, uint32_t mask);

        WatchReg **regs;
        size_t n_regs;
        WatchDir **dirs;             /* sorted by wd */
        size_t n_dirs;
        ScanItem *queue;
        size_t n_queue, queue_head, allocated_queue;
};

static int default_add_watch(int fd, const char *path, uint32_t mask) {
        return inotify_add_watch(fd, path, mask);
}

/* The number in a /proc/sys file, or 0 when it cannot be read. */
static unsigned long long read_sysctl(const char *path) {
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        unsigned long long v;

        return f && fscanf(f, "%llu", &v) == 1 ? v : 0;
}

char *watcher_limit_message(const char *path) {
        unsigned long long fs = read_sysctl("/proc/sys/fs/inotify/max_user_watches"),
                           ns = read_sysctl("/proc/sys/user/max_inotify_watches");
        char value[96] = "?";
        char *s;

        if (fs > 0)
                snprintf(value, sizeof value, "%llu", fs);
        /* in a user namespace its own limit may be the lower one */
        if (ns > 0 && (fs == 0 || ns < fs))
                snprintf(value + strlen(value), sizeof value - strlen(value),
                         ", user.max_inotify_watches is %llu here", ns);
        if (asprintf(&s, "the inotify watch limit was reached while watching %s (fs.inotify.max_user_watches "
                     "is %s): raise it with 'sudo sysctl fs.inotify.max_user_watches=524288' (persist it in "
                     "/etc/sysctl.d/), or narrow the watch with 'exclude:'", path, value) < 0)
                return NULL;
        return s;
}

static void report(WatchReg *reg, bool error, const char *fmt, ...) _printf_(3, 4);
static void report(WatchReg *reg, bool error, const char *fmt, ...) {
        _cleanup_free_ char *s = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (r >= 0 && reg->w->cb.report)
                reg->w->cb.report(reg->name, error, s, reg->w->userdata);
}

/* ---- directories ---- */

static ssize_t dir_index(Watcher *w, int wd, bool *found) {
        size_t lo = 0, hi = w->n_dirs;

        while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                if (w->dirs[mid]->wd == wd) {
                        *found = true;
                        return (ssize_t) mid;
                }
                if (w->dirs[mid]->wd < wd)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        *found = false;
        return (ssize_t) lo;
}

static WatchDir *dir_find(Watcher *w, int wd) {
        bool found;
        ssize_t i = dir_index(w, wd, &found);

        return found ? w->dirs[i] : NULL;
}

static bool dir_owned_by(const WatchDir *d, const WatchReg *reg) {
        for (size_t i = 0; i < d->n_owners; i++)
                if (d->owners[i] == reg)
                        return true;
        return false;
}

/* Forgets the directory at index i; rm: also remove the kernel's watch (it still exists). */
static void dir_drop_at(Watcher *w, size_t i, bool rm) {
        WatchDir *d = w->dirs[i];

        for (size_t j = 0; j < d->n_owners; j++)
                if (d->owners[j]->entries > 0)
                        d->owners[j]->entries--;
        if (rm)
                (void) inotify_rm_watch(w->fd, d->wd);
        memmove(w->dirs + i, w->dirs + i + 1, (w->n_dirs - i - 1) * sizeof *w->dirs);
        w->n_dirs--;
        free(d->owners);
        free(d->path);
        free(d);
}

/* Forgets path and every watched directory below it (moved away, or removed). */
static void dir_drop_tree(Watcher *w, const char *path) {
        size_t n = strlen(path);

        for (size_t i = w->n_dirs; i > 0; i--) {
                const char *p = w->dirs[i - 1]->path;
                if (strncmp(p, path, n) == 0 && (p[n] == 0 || p[n] == '/'))
                        dir_drop_at(w, i - 1, true);
        }
}

/* Adds path's watch for reg: 1 new for reg, 0 reg already had it or it vanished or a limit stops it,
 * -ENOMEM. */
static void reg_detach(Watcher *w, WatchReg *reg);

static int dir_retain(Watcher *w, WatchReg *reg, const char *path, bool announce, bool follow) {
        WatchDir *d, **dirs;
        WatchReg **owners;
        bool found;
        ssize_t at;
        int wd;

        if (reg->suspended)
                return 0;
        if (reg->entries >= reg->max_entries) {
                if (!reg->cap_reported) {
                        reg->cap_reported = true;
                        if (announce)
                                report(reg, true, "process '%s' has reached its watch limit of %u directories; %s "
                                       "and anything created under it will not be watched. Add an exclude for "
                                       "it, or raise watch.max_entries", reg->name, reg->max_entries, path);
                        else {
                                /* the first walk: as process-compose, the process is not watched at all */
                                report(reg, true, "process '%s': its watch would add more than %u directories, "
                                       "exceeding the limit of %u, so nothing is watched for it. Add an exclude "
                                       "(e.g. exclude: [\"**/node_modules/**\"]) or raise watch.max_entries",
                                       reg->name, reg->max_entries, reg->max_entries);
                                reg->suspended = true;
                                reg_detach(w, reg);
                        }
                }
                return 0;
        }

        wd = w->add_watch(w->fd, path, DIR_MASK | (follow ? 0 : IN_DONT_FOLLOW));
        if (wd < 0) {
                int e = errno;

                if (IN_SET(e, ENOENT, ENOTDIR, EACCES, ELOOP))
                        return 0;       /* vanished meanwhile, or not a directory we may read */
                if (e == ENOSPC) {
                        if (!reg->limit_reported) {
                                _cleanup_free_ char *msg = watcher_limit_message(path);
                                reg->limit_reported = true;
                                report(reg, true, "process '%s': %s", reg->name, msg ?: "inotify watch limit");
                        }
                } else if (!reg->error_reported) {
                        reg->error_reported = true;
                        if (IN_SET(e, EMFILE, ENFILE))
                                report(reg, true, "process '%s': ran out of file descriptors while watching %s: "
                                       "raise 'ulimit -n' or narrow the watch", reg->name, path);
                        else
                                report(reg, true, "process '%s': failed to watch %s: %s", reg->name, path,
                                       strerror(e));
                }
                return 0;
        }

        at = dir_index(w, wd, &found);
        if (found) {
                d = w->dirs[at];
                if (dir_owned_by(d, reg))
                        return 0;
                if (!streq(d->path, path)) {
                        /* the same directory under another name (moved, and its old entry not yet
                         * dropped): the new name is the one events come with now */
                        char *p = strdup(path);
                        if (!p)
                                return -ENOMEM;
                        free(d->path);
                        d->path = p;
                }
        } else {
                d = calloc(1, sizeof *d);
                if (!d)
                        return -ENOMEM;
                d->wd = wd;
                d->path = strdup(path);
                dirs = reallocarray(w->dirs, w->n_dirs + 1, sizeof *w->dirs);
                if (!d->path || !dirs) {
                        if (dirs)
                                w->dirs = dirs;
                        free(d->path);
                        free(d);
                        (void) inotify_rm_watch(w->fd, wd);
                        return -ENOMEM;
                }
                w->dirs = dirs;
                memmove(w->dirs + at + 1, w->dirs + at, (w->n_dirs - (size_t) at) * sizeof *w->dirs);
                w->dirs[at] = d;
                w->n_dirs++;
        }
        owners = reallocarray(d->owners, d->n_owners + 1, sizeof *d->owners);
        if (!owners)
                return -ENOMEM;
        d->owners = owners;
        d->owners[d->n_owners++] = reg;
        reg->entries++;
        return 1;
}

/* ---- the debounce ---- */

static void reg_fire(WatchReg *reg) {
        Watcher *w = reg->w;
        _cleanup_free_ char *path = TAKE_PTR(reg->last_path);
        unsigned count = reg->count;
        usec_t now = event_now(w->event, CLOCK_MONOTONIC);
        const char *shown = path;
        unsigned recent = 0;

        reg->count = 0;
        if (count == 0 || reg->suspended)
                return;
        /* restarted after the newest change of the burst: the new run has seen it */
        if (reg->restarted_at > reg->last_event)
                return;

        /* flap detection: the fires of the last minute, newest last */
        if (reg->n_fires == FLAP_THRESHOLD) {
                memmove(reg->fires, reg->fires + 1, (FLAP_THRESHOLD - 1) * sizeof *reg->fires);
                reg->n_fires--;
        }
        reg->fires[reg->n_fires++] = now;
        for (unsigned i = 0; i < reg->n_fires; i++)
                if (reg->fires[i] + FLAP_WINDOW_USEC > now)
                        recent++;

        for (size_t i = 0; path && i < reg->n_roots; i++) {
                const char *root = reg->roots[i].match->root;
                size_t n = strlen(root);
                if (strncmp(path, root, n) == 0 && path[n] == '/') {
                        shown = path + n + 1;
                        break;
                }
        }
        if (recent >= FLAP_THRESHOLD) {
                reg->suspended = true;
                reg->n_fires = 0;
                report(reg, true, "process '%s' restarted %d times in 1m0s; the last trigger was %s, which looks "
                       "like its own output. Watching is suspended for this process until the project is "
                       "reloaded - add an exclude (e.g. exclude: [\"bin/**\"]) or narrow watch.paths",
                       reg->name, FLAP_THRESHOLD, strna(path));
                return;
        }
        if (w->cb.fire)
                w->cb.fire(reg->name, strna(shown), count, w->userdata);
}

static int on_debounce(sd_event_source *s, uint64_t usec, void *userdata) {
        reg_fire(userdata);
        return 0;
}

static void reg_notify(WatchReg *reg, const char *path) {
        Watcher *w = reg->w;
        char *p;

        if (reg->suspended)
                return;
        p = strdup(path);
        if (p) {
                free(reg->last_path);
                reg->last_path = p;
        }
        reg->count++;
        reg->last_event = event_now(w->event, CLOCK_MONOTONIC);
        if (!reg->timer) {
                if (sd_event_add_time(w->event, &reg->timer, CLOCK_MONOTONIC, reg->last_event + reg->debounce,
                                      USEC_PER_MSEC, on_debounce, reg) < 0)
                        return;
                (void) sd_event_source_set_description(reg->timer, "watch-debounce");
        } else
                (void) sd_event_source_set_time(reg->timer, reg->last_event + reg->debounce);
        (void) sd_event_source_set_enabled(reg->timer, SD_EVENT_ONESHOT);
}

/* ---- the walk ---- */

static int queue_push(Watcher *w, const char *path, WatchReg *reg, size_t root, bool announce) {
        char *p;

        if (w->queue_head > 0 && w->queue_head == w->n_queue)
                w->queue_head = w->n_queue = 0;
        if (w->n_queue == w->allocated_queue) {
                size_t n = w->allocated_queue ? w->allocated_queue * 2 : 64;
                ScanItem *q;

                if (w->queue_head > 0) {
                        /* compact before growing */
                        memmove(w->queue, w->queue + w->queue_head, (w->n_queue - w->queue_head) * sizeof *q);
                        w->n_queue -= w->queue_head;
                        w->queue_head = 0;
                }
                if (w->n_queue == w->allocated_queue) {
                        q = reallocarray(w->queue, n, sizeof *q);
                        if (!q)
                                return -ENOMEM;
                        w->queue = q;
                        w->allocated_queue = n;
                }
        }
        p = strdup(path);
        if (!p)
                return -ENOMEM;
        w->queue[w->n_queue++] = (ScanItem) { .path = p, .reg = reg, .root = root, .announce = announce };
        return sd_event_source_set_enabled(w->scan_source, SD_EVENT_ON);
}

static bool is_dir_entry(int dfd, const struct dirent *de) {
        struct stat st;

        if (de->d_type == DT_DIR)
                return true;
        if (de->d_type != DT_UNKNOWN)
                return false;
        return fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) >= 0 && S_ISDIR(st.st_mode);
}

static bool is_file_entry(int dfd, const struct dirent *de) {
        struct stat st;

        if (de->d_type == DT_REG)
                return true;
        if (de->d_type != DT_UNKNOWN)
                return false;
        return fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) >= 0 && S_ISREG(st.st_mode);
}

/* One directory of the walk: its watch, then its subdirectories queued (symlinks are not followed), and
 * with announce the files already in it count as changes. */
static void scan_one(Watcher *w, ScanItem *it) {
        const WatchMatch *m = it->reg->roots[it->root].match;
        _cleanup_(closedirp) DIR *dir = NULL;
        struct dirent *de;

        if (dir_retain(w, it->reg, it->path, it->announce, streq(it->path, m->root)) <= 0)
                return;
        dir = opendir(it->path);
        if (!dir)
                return;
        while ((de = readdir(dir))) {
                _cleanup_free_ char *child = NULL;

                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                child = path_join_clean(it->path, de->d_name);
                if (!child)
                        return;
                if (is_dir_entry(dirfd(dir), de)) {
                        if (watch_match_dir(m, child) && queue_push(w, child, it->reg, it->root, it->announce) < 0)
                                return;
                } else if (it->announce && is_file_entry(dirfd(dir), de) && watch_match_file(m, child))
                        reg_notify(it->reg, child);
        }
}

static int on_scan(sd_event_source *s, void *userdata) {
        Watcher *w = userdata;

        for (unsigned i = 0; i < SCAN_BATCH && w->queue_head < w->n_queue; i++) {
                ScanItem it = w->queue[w->queue_head++];

                if (it.reg)
                        scan_one(w, &it);
                free(it.path);
        }
        if (w->queue_head == w->n_queue) {
                w->queue_head = w->n_queue = 0;
                (void) sd_event_source_set_enabled(w->scan_source, SD_EVENT_OFF);
        }
        return 0;
}

/* ---- events ---- */

static void overflow(Watcher *w) {
        for (size_t i = 0; i < w->n_regs; i++) {
                WatchReg *reg = w->regs[i];
                if (reg->suspended)
                        continue;
                report(reg, false, "file watch event overflow; some changes may have been missed, restarting "
                       "process '%s' to be safe. Narrow the watch with 'exclude:'", reg->name);
                reg_notify(reg, "(event overflow)");
        }
}

static void on_event(Watcher *w, const struct inotify_event *ev) {
        _cleanup_free_ char *full = NULL;
        _cleanup_free_ WatchReg **owners = NULL;
        WatchDir *d;
        size_t n_owners;

        if (ev->mask & IN_Q_OVERFLOW) {
                overflow(w);
                return;
        }
        d = dir_find(w, ev->wd);
        if (!d)
                return;
        if (ev->mask & IN_IGNORED) {
                bool found;
                ssize_t i = dir_index(w, ev->wd, &found);
                if (found)
                        dir_drop_at(w, (size_t) i, false);
                return;
        }
        if (ev->len == 0 || !ev->name[0]) {
                /* the directory itself moved: its path (and its subtree's) is stale */
                if (ev->mask & IN_MOVE_SELF) {
                        _cleanup_free_ char *p = strdup(d->path);
                        if (p)
                                dir_drop_tree(w, p);
                }
                return;
        }
        full = path_join_clean(d->path, ev->name);
        if (!full)
                return;

        /* the owners may change below (a new directory is queued, an old one dropped): work on a copy */
        n_owners = d->n_owners;
        owners = new0(WatchReg *, n_owners);
        if (!owners)
                return;
        memcpy(owners, d->owners, n_owners * sizeof *owners);

        if ((ev->mask & IN_ISDIR) && (ev->mask & (IN_DELETE | IN_MOVED_FROM)))
                dir_drop_tree(w, full);
        for (size_t i = 0; i < n_owners; i++) {
                WatchReg *reg = owners[i];
                bool notified = false;

                for (size_t j = 0; j < reg->n_roots; j++) {
                        const WatchMatch *m = reg->roots[j].match;

                        if ((ev->mask & IN_ISDIR) && (ev->mask & (IN_CREATE | IN_MOVED_TO)) &&
                            watch_match_dir(m, full) && !streq(full, m->root))
                                (void) queue_push(w, full, reg, j, true);
                        if (!notified && (ev->mask & CHANGE_MASK) && watch_match_file(m, full)) {
                                reg_notify(reg, full);
                                notified = true;
                        }
                }
        }
}

static int on_inotify(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Watcher *w = userdata;
        union {
                struct inotify_event ev;
                uint8_t raw[EVENT_BUFFER];
        } buf;
        ssize_t n;

        /* one read per dispatch: a storm of events cannot hold the loop; the rest waits for the next one */
        n = read(fd, &buf, sizeof buf);
        if (n <= 0)
                return 0;
        for (uint8_t *p = buf.raw; p < buf.raw + n;) {
                const struct inotify_event *ev = (const struct inotify_event *) p;

                on_event(w, ev);
                p += sizeof *ev + ev->len;
        }
        return 0;
}

/* ---- registrations ---- */

static WatchReg *reg_find(Watcher *w, const char *name, size_t *ret_index) {
        for (size_t i = 0; i < w->n_regs; i++)
                if (streq(w->regs[i]->name, name)) {
                        if (ret_index)
                                *ret_index = i;
                        return w->regs[i];
                }
        return NULL;
}

static WatchReg *reg_free(WatchReg *reg) {
        if (!reg)
                return NULL;
        sd_event_source_disable_unref(reg->timer);
        for (size_t i = 0; i < reg->n_roots; i++) {
                watch_match_free(reg->roots[i].match);
                free(reg->roots[i].configured);
        }
        free(reg->roots);
        free(reg->last_path);
        free(reg->name);
        return mfree(reg);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(WatchReg *, reg_free);

/* Drops reg from every directory (a directory nobody holds loses its watch) and from the walk. */
static void reg_detach(Watcher *w, WatchReg *reg) {
        for (size_t i = w->n_dirs; i > 0; i--) {
                WatchDir *d = w->dirs[i - 1];

                for (size_t j = 0; j < d->n_owners; j++)
                        if (d->owners[j] == reg) {
                                memmove(d->owners + j, d->owners + j + 1, (d->n_owners - j - 1) * sizeof *d->owners);
                                d->n_owners--;
                                break;
                        }
                if (d->n_owners == 0)
                        dir_drop_at(w, i - 1, true);
        }
        for (size_t i = w->queue_head; i < w->n_queue; i++)
                if (w->queue[i].reg == reg)
                        w->queue[i].reg = NULL;
        reg->entries = 0;
}

void watcher_remove(Watcher *w, const char *name) {
        size_t i;
        WatchReg *reg;

        if (!w || !(reg = reg_find(w, name, &i)))
                return;
        reg_detach(w, reg);
        memmove(w->regs + i, w->regs + i + 1, (w->n_regs - i - 1) * sizeof *w->regs);
        w->n_regs--;
        reg_free(reg);
}

bool watcher_has(Watcher *w, const char *name) {
        return w && reg_find(w, name, NULL);
}

bool watcher_armed(Watcher *w, const char *name) {
        WatchReg *reg = w ? reg_find(w, name, NULL) : NULL;

        return reg && !reg->suspended;
}

void watcher_note_restart(Watcher *w, const char *name, usec_t at) {
        WatchReg *reg = w ? reg_find(w, name, NULL) : NULL;

        if (reg)
                reg->restarted_at = at;
}

/* The directory to walk for a configured path, and the base name to keep when it names a file: a file
 * itself is never watched, since an editor's save by rename would destroy that watch. */
static int resolve_root(const char *configured, char **ret_dir, char **ret_base, char **ret_error) {
        _cleanup_free_ char *clean = path_clean(configured), *dir = NULL, *base = NULL;
        struct stat st;

        if (!clean)
                return -ENOMEM;
        if (stat(clean, &st) < 0) {
                int r = -errno;
                if (asprintf(ret_error, "watch path '%s': %s", configured, strerror(errno)) < 0)
                        *ret_error = NULL;
                return r;
        }
        if (!S_ISDIR(st.st_mode)) {
                const char *slash = strrchr(clean, '/');

                base = strdup(slash ? slash + 1 : clean);
                dir = slash == clean ? strdup("/") : slash ? strndup(clean, slash - clean) : strdup(".");
                if (!base || !dir)
                        return -ENOMEM;
        } else
                dir = TAKE_PTR(clean);
        *ret_dir = TAKE_PTR(dir);
        *ret_base = TAKE_PTR(base);
        return 0;
}

int watcher_add(Watcher *w, const char *name, const ComposeWatch *config, char * const *always_exclude,
                char **ret_error) {
        _cleanup_(reg_freep) WatchReg *reg = NULL;
        WatchReg **regs;
        int r;

        *ret_error = NULL;
        reg = calloc(1, sizeof *reg);
        if (!reg)
                return -ENOMEM;
        reg->w = w;
        reg->name = strdup(name);
        reg->roots = calloc(MAX(config->n_paths, (size_t) 1), sizeof *reg->roots);
        if (!reg->name || !reg->roots)
                return -ENOMEM;
        reg->debounce = config->debounce_usec > 0 ? config->debounce_usec : 300 * USEC_PER_MSEC;
        reg->max_entries = config->max_entries > 0 ? (unsigned) config->max_entries : 8192;

        for (size_t i = 0; i < config->n_paths; i++) {
                const ComposeWatchPath *wp = &config->paths[i];
                _cleanup_free_ char *dir = NULL, *base = NULL;
                WatchRoot *root = &reg->roots[reg->n_roots];

                r = resolve_root(wp->path, &dir, &base, ret_error);
                if (r < 0)
                        return r;
                r = watch_match_new(dir, wp->include, wp->exclude, !config->disable_default_excludes,
                                    always_exclude, base, &root->match);
                if (r < 0)
                        return r;
                root->configured = strdup(wp->path);
                reg->n_roots++;
                if (!root->configured)
                        return -ENOMEM;
        }

        watcher_remove(w, name);
        regs = reallocarray(w->regs, w->n_regs + 1, sizeof *w->regs);
        if (!regs)
                return -ENOMEM;
        w->regs = regs;
        for (size_t i = 0; i < reg->n_roots; i++) {
                r = queue_push(w, reg->roots[i].match->root, reg, i, false);
                if (r < 0) {
                        for (size_t j = w->queue_head; j < w->n_queue; j++)
                                if (w->queue[j].reg == reg)
                                        w->queue[j].reg = NULL;
                        return r;
                }
        }
        w->regs[w->n_regs++] = TAKE_PTR(reg);
        return 0;
}

size_t watcher_n_dirs(Watcher *w) {
        return w ? w->n_dirs : 0;
}

unsigned watcher_n_entries(Watcher *w, const char *name) {
        WatchReg *reg = w ? reg_find(w, name, NULL) : NULL;

        return reg ? reg->entries : 0;
}

bool watcher_idle(Watcher *w) {
        return !w || w->queue_head == w->n_queue;
}

void watcher_set_add_watch(Watcher *w, int (*add_watch)(int fd, const char *path, uint32_t mask)) {
        w->add_watch = add_watch ?: default_add_watch;
}

int watcher_new(sd_event *e, const WatcherCallbacks *callbacks, void *userdata, Watcher **ret) {
        _cleanup_(watcher_freep) Watcher *w = NULL;
        int r;

        w = calloc(1, sizeof *w);
        if (!w)
                return -ENOMEM;
        w->fd = -EBADF;
        w->event = sd_event_ref(e);
        w->cb = *callbacks;
        w->userdata = userdata;
        w->add_watch = default_add_watch;

        w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (w->fd < 0)
                return -errno;
        r = sd_event_add_io(e, &w->io, w->fd, EPOLLIN, on_inotify, w);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(w->io, "watch-inotify");
        r = sd_event_add_defer(e, &w->scan_source, on_scan, w);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(w->scan_source, "watch-scan");
        /* the walk yields to everything else the loop has to do */
        (void) sd_event_source_set_priority(w->scan_source, SD_EVENT_PRIORITY_IDLE);
        (void) sd_event_source_set_enabled(w->scan_source, SD_EVENT_OFF);
        *ret = TAKE_PTR(w);
        return 0;
}

Watcher *watcher_free(Watcher *w) {
        if (!w)
                return NULL;
        for (size_t i = 0; i < w->n_regs; i++)
                reg_free(w->regs[i]);
        free(w->regs);
        for (size_t i = 0; i < w->n_dirs; i++) {
                free(w->dirs[i]->owners);
                free(w->dirs[i]->path);
                free(w->dirs[i]);
        }
        free(w->dirs);
        for (size_t i = w->queue_head; i < w->n_queue; i++)
                free(w->queue[i].path);
        free(w->queue);
        sd_event_source_disable_unref(w->io);
        sd_event_source_disable_unref(w->scan_source);
        safe_close(w->fd);
        sd_event_unref(w->event);
        return mfree(w);
}
