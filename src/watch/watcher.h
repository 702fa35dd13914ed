/* File watching on the loop (compose `watch:`), as process-compose v1.122 does it (src/watcher/), with one
 * inotify file descriptor for the whole project.
 *
 * Each registration (a process's watch) walks its roots and puts an inotify watch on every directory its
 * rules keep (watch-match.h), up to max_entries directories. Directories shared by two registrations share
 * one kernel watch. The walk runs on the loop in bounded steps (a few dozen directories per dispatch); a
 * directory created later is walked the same way, and the files found in it count as changes (they were
 * written before its watch existed); a directory removed or moved away drops its watches. Each inotify
 * dispatch reads at most one buffer of events.
 *
 * A matching change arms the registration's debounce timer; more changes push it back, and when it fires
 * the fire callback gets the newest path and how many changes the burst had: one burst, one call. A burst
 * whose newest change is older than the last restart noted for the registration (watcher_note_restart())
 * is dropped: the restarted process has already seen it. Ten calls within a minute suspend the
 * registration (a process that writes into its own watched tree), reported through the error callback.
 *
 * Errors that users can act on (the kernel's max_user_watches reached, the max_entries cap) go to the
 * error callback with a complete message, once per registration and kind; the registration keeps the
 * watches it has. The watcher logs nothing itself. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "compose/compose.h"
#include "shared/macro.h"
#include "shared/time-util.h"

typedef struct Watcher Watcher;

typedef struct WatcherCallbacks {
        /* a debounced burst for name: path is the newest change (relative to its root when under one) */
        void (*fire)(const char *name, const char *path, unsigned count, void *userdata);
        /* something the user should know about name's watch; error: it lost watches (else a warning) */
        void (*report)(const char *name, bool error, const char *message, void *userdata);
} WatcherCallbacks;

/* The watch limit is reached (ENOSPC from inotify_add_watch): the message names the path, the
 * fs.inotify.max_user_watches sysctl and its value (read from /proc; "?" when it cannot be read), and the
 * user namespace's user.max_inotify_watches when that is lower. A new string, NULL on OOM. */
char *watcher_limit_message(const char *path);

int watcher_new(sd_event *e, const WatcherCallbacks *callbacks, void *userdata, Watcher **ret);
Watcher *watcher_free(Watcher *w);
DEFINE_TRIVIAL_CLEANUP_FUNC(Watcher *, watcher_free);

/* Registers (or replaces) name's watch. Paths are looked at now (a path that is a file watches its
 * directory, filtered to its name); the walk runs on the loop. always_exclude: absolute patterns that never
 * trigger (the project's log files, watch_log_exclusions()). 0, or -errno with *ret_error set to a message
 * (a path that cannot be read), or -ENOMEM. */
int watcher_add(Watcher *w, const char *name, const ComposeWatch *config, char * const *always_exclude,
                char **ret_error);
void watcher_remove(Watcher *w, const char *name);
bool watcher_has(Watcher *w, const char *name);
/* Registered and not suspended (a restart loop, or over max_entries at the first walk). */
bool watcher_armed(Watcher *w, const char *name);
/* name was restarted at monotonic time at: a burst whose newest change is older is dropped. */
void watcher_note_restart(Watcher *w, const char *name, usec_t at);

/* How many directories carry a watch, and how many of them name's registration holds. */
size_t watcher_n_dirs(Watcher *w);
unsigned watcher_n_entries(Watcher *w, const char *name);
/* The walk is done (nothing is queued). */
bool watcher_idle(Watcher *w);

/* Tests: replaces inotify_add_watch() (it returns a wd, or -1 with errno set). */
void watcher_set_add_watch(Watcher *w, int (*add_watch)(int fd, const char *path, uint32_t mask));
