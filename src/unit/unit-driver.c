/* The asynchronous unit driver: one sd-bus connection to a service manager, and the watches that turn
 * JobRemoved / PropertiesChanged / UnitRemoved into started(), start_failed() and exited().
 *
 * How a run is followed (systemd-notes §2):
 *  - ResetFailedUnit and StartTransientUnit are pipelined. Signals about the unit that arrive before the
 *    StartTransientUnit reply belong to the previous run (ResetFailedUnit turns a failed unit inactive),
 *    so they are ignored: the manager sends the reply before any signal of the new run.
 *  - The reply names the start job. Its JobRemoved decides: "done" means the process exec'd (Type=exec);
 *    anything else is a failed start, whose exit status (200/CHDIR, 203/EXEC) is read back with one GetAll,
 *    because the manager sends JobRemoved before the queued PropertiesChanged of the same change.
 *  - Service PropertiesChanged carries MainPID and the ExecMain* exit data; the Unit PropertiesChanged
 *    that follows with ActiveState inactive/failed ends the run. A unit that exits 0 is garbage-collected
 *    within milliseconds, so nothing is read from it afterwards: the signals are the record.
 *
 * Watches are user-owned. A watch freed from inside one of its callbacks is unlinked at once (no further
 * events) and its memory is reaped from a defer source. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shared/log.h"
#include "shared/macro.h"
#include "shared/strv.h"
#include "unit/unit-driver.h"

#ifndef IN_SET
#define IN_SET(x, ...)                                                          \
        ({                                                                      \
                const int _x_ = (x), _set_[] = { __VA_ARGS__ };                 \
                bool _found_ = false;                                           \
                for (size_t _i_ = 0; _i_ < ELEMENTSOF(_set_); _i_++)            \
                        if (_set_[_i_] == _x_)                                  \
                                _found_ = true;                                 \
                _found_;                                                        \
        })
#endif

#define SD_DESTINATION "org.freedesktop.systemd1"
#define SD_PATH "/org/freedesktop/systemd1"
#define SD_MANAGER "org.freedesktop.systemd1.Manager"
#define SD_UNIT_PREFIX "/org/freedesktop/systemd1/unit"

/* The one synchronous round trip, at connection time. */
#define UNIT_DRIVER_PING_TIMEOUT_USEC (5 * USEC_PER_SEC)
/* A start is answered once the manager has queued the job, which takes long only when the manager is
 * swamped (hundreds of pipelined calls on a loaded machine): sd-bus's default of 25 s was measured to run
 * out there. A late answer is worse than a slow one, so wait longer. */
#define UNIT_START_TIMEOUT_USEC (120 * USEC_PER_SEC)
/* Upper bound on watches per driver (one per process replica). */
#define UNIT_WATCHES_MAX 65536

typedef enum WatchPhase {
        WATCH_IDLE,        /* nothing of ours in flight; signals are ignored */
        WATCH_STARTING,    /* ResetFailedUnit + StartTransientUnit sent, no reply yet */
        WATCH_QUEUED,      /* start job queued; waiting for its JobRemoved */
        WATCH_CONFIRMING,  /* job done but MainPID unknown: GetAll in flight */
        WATCH_FAILING,     /* job not done: GetAll in flight for the exit data */
        WATCH_ADOPTING,    /* unit_driver_adopt(): GetAll in flight */
        WATCH_RUNNING,     /* started() delivered; waiting for inactive/failed */
} WatchPhase;

struct UnitWatch {
        UnitDriver *driver;
        char *unit;
        UnitEvents events;
        void *userdata;

        UnitWatch *hash_next;
        UnitWatch *dead_next;
        bool dead;

        WatchPhase phase;
        sd_bus_slot *reset_slot;
        sd_bus_slot *start_slot;
        sd_bus_slot *fetch_slot;
        char *job_path;
        char *job_result;          /* the non-"done" result while FAILING */
        char *early_job_path;      /* a JobRemoved seen before the start reply */
        char *early_job_result;

        /* what the current run told us so far */
        UnitExit exit;
        pid_t main_pid;
        bool seen_active;          /* the run left "inactive" at least once */
        bool ended;                /* Unit signal said inactive/failed */

        /* for messages */
        char *exec_path;
        char *working_directory;
};

struct UnitDriver {
        sd_event *event;
        sd_bus *bus;
        UnitManagerScope scope;
        bool private_socket;

        sd_bus_slot *match_job_removed;
        sd_bus_slot *match_unit_removed;
        sd_bus_slot *match_props;
        sd_bus_slot *match_disconnected;

        UnitWatch **buckets;
        size_t n_buckets;
        size_t n_watches;

        unsigned dispatching;      /* > 0 while one of our bus callbacks runs */
        UnitWatch *dead;
        sd_event_source *reap_source;
};

/* ---- small helpers ----------------------------------------------------------------------------------- */

static size_t hash_string(const char *s) {
        size_t h = 14695981039346656037ULL;

        for (; *s; s++)
                h = (h ^ (unsigned char) *s) * 1099511628211ULL;
        return h;
}

static UnitWatch *driver_find(UnitDriver *d, const char *unit) {
        if (!d->buckets || !unit)
                return NULL;
        for (UnitWatch *w = d->buckets[hash_string(unit) & (d->n_buckets - 1)]; w; w = w->hash_next)
                if (streq(w->unit, unit))
                        return w;
        return NULL;
}

static int driver_grow(UnitDriver *d) {
        UnitWatch **b;
        size_t n;

        if (d->n_watches < d->n_buckets)
                return 0;
        n = d->n_buckets ? d->n_buckets * 2 : 64;
        b = calloc(n, sizeof(UnitWatch *));
        if (!b)
                return -ENOMEM;
        for (size_t i = 0; i < d->n_buckets; i++)
                for (UnitWatch *w = d->buckets[i], *next; w; w = next) {
                        size_t k = hash_string(w->unit) & (n - 1);

                        next = w->hash_next;
                        w->hash_next = b[k];
                        b[k] = w;
                }
        free(d->buckets);
        d->buckets = b;
        d->n_buckets = n;
        return 0;
}

static void driver_unlink(UnitDriver *d, UnitWatch *w) {
        UnitWatch **p;

        if (!d->buckets)
                return;
        for (p = &d->buckets[hash_string(w->unit) & (d->n_buckets - 1)]; *p; p = &(*p)->hash_next)
                if (*p == w) {
                        *p = w->hash_next;
                        w->hash_next = NULL;
                        d->n_watches--;
                        return;
                }
}

void unit_exit_done(UnitExit *e) {
        if (!e)
                return;
        e->result = mfree(e->result);
        *e = (UnitExit) {};
}

/* ---- properties -------------------------------------------------------------------------------------- */

enum {
        PROP_ACTIVE_STATE    = 1 << 0,
        PROP_SUB_STATE       = 1 << 1,
        PROP_LOAD_STATE      = 1 << 2,
        PROP_RESULT          = 1 << 3,
        PROP_MAIN_PID        = 1 << 4,
        PROP_EXEC_MAIN_PID   = 1 << 5,
        PROP_EXEC_MAIN_CODE  = 1 << 6,
        PROP_EXEC_MAIN_STATUS = 1 << 7,
        PROP_EXEC_MAIN_START = 1 << 8,
        PROP_EXEC_MAIN_EXIT  = 1 << 9,
};

/* Pointers into the message; valid while it lives. */
typedef struct UnitProps {
        unsigned have;
        const char *active_state, *sub_state, *load_state, *result;
        uint32_t main_pid, exec_main_pid;
        int32_t exec_main_code, exec_main_status;
        uint64_t exec_main_start, exec_main_exit;
} UnitProps;

static int read_variant(sd_bus_message *m, const char *type, void *p) {
        int r;

        r = sd_bus_message_read(m, "v", type, p);
        if (r == -ENXIO) /* not the type we expect: ignore the value */
                return sd_bus_message_skip(m, "v");
        return r < 0 ? r : 1;
}

/* Parses an a{sv} as sent by PropertiesChanged and GetAll. */
static int parse_props(sd_bus_message *m, UnitProps *p) {
        static const struct {
                const char *name;
                const char *type;
                unsigned bit;
                size_t offset;
        } table[] = {
                { "ActiveState",            "s", PROP_ACTIVE_STATE,     offsetof(UnitProps, active_state) },
                { "SubState",               "s", PROP_SUB_STATE,        offsetof(UnitProps, sub_state) },
                { "LoadState",              "s", PROP_LOAD_STATE,       offsetof(UnitProps, load_state) },
                { "Result",                 "s", PROP_RESULT,           offsetof(UnitProps, result) },
                { "MainPID",                "u", PROP_MAIN_PID,         offsetof(UnitProps, main_pid) },
                { "ExecMainPID",            "u", PROP_EXEC_MAIN_PID,    offsetof(UnitProps, exec_main_pid) },
                { "ExecMainCode",           "i", PROP_EXEC_MAIN_CODE,   offsetof(UnitProps, exec_main_code) },
                { "ExecMainStatus",         "i", PROP_EXEC_MAIN_STATUS, offsetof(UnitProps, exec_main_status) },
                { "ExecMainStartTimestamp", "t", PROP_EXEC_MAIN_START,  offsetof(UnitProps, exec_main_start) },
                { "ExecMainExitTimestamp",  "t", PROP_EXEC_MAIN_EXIT,   offsetof(UnitProps, exec_main_exit) },
        };
        int r;

        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        for (;;) {
                const char *key;
                bool known = false;

                r = sd_bus_message_enter_container(m, 'e', "sv");
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                r = sd_bus_message_read(m, "s", &key);
                if (r < 0)
                        return r;
                for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                        if (!streq(key, table[i].name))
                                continue;
                        r = read_variant(m, table[i].type, (uint8_t *) p + table[i].offset);
                        if (r < 0)
                                return r;
                        if (r > 0)
                                p->have |= table[i].bit;
                        known = true;
                        break;
                }
                if (!known) {
                        r = sd_bus_message_skip(m, "v");
                        if (r < 0)
                                return r;
                }
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_exit_container(m);
        return r < 0 ? r : 0;
}

static bool state_is_ended(const char *s) {
        return s && (streq(s, "inactive") || streq(s, "failed"));
}

/* Folds what a signal or GetAll said into the run's record. */
static int watch_apply_props(UnitWatch *w, const UnitProps *p) {
        if (p->have & PROP_MAIN_PID && p->main_pid > 0)
                w->main_pid = (pid_t) p->main_pid;
        if (p->have & PROP_EXEC_MAIN_PID && p->exec_main_pid > 0)
                w->exit.pid = (pid_t) p->exec_main_pid;
        if (p->have & PROP_EXEC_MAIN_CODE)
                w->exit.code = p->exec_main_code;
        if (p->have & PROP_EXEC_MAIN_STATUS)
                w->exit.status = p->exec_main_status;
        if (p->have & PROP_EXEC_MAIN_START && p->exec_main_start > 0)
                w->exit.start_timestamp = p->exec_main_start;
        if (p->have & PROP_EXEC_MAIN_EXIT && p->exec_main_exit > 0)
                w->exit.exit_timestamp = p->exec_main_exit;
        if (p->have & PROP_RESULT && p->result) {
                int r = free_and_strdup(&w->exit.result, p->result);
                if (r < 0)
                        return r;
        }
        if (p->have & PROP_ACTIVE_STATE && p->active_state) {
                if (state_is_ended(p->active_state)) {
                        if (w->seen_active)
                                w->ended = true;
                } else
                        w->seen_active = true;
        }
        return 0;
}

/* ---- delivering events ------------------------------------------------------------------------------- */

static void watch_reset_run(UnitWatch *w) {
        unit_exit_done(&w->exit);
        w->main_pid = 0;
        w->seen_active = w->ended = false;
        w->job_path = mfree(w->job_path);
        w->job_result = mfree(w->job_result);
        w->early_job_path = mfree(w->early_job_path);
        w->early_job_result = mfree(w->early_job_result);
}

static void watch_deliver_started(UnitWatch *w) {
        pid_t pid = w->main_pid ?: w->exit.pid;

        w->phase = WATCH_RUNNING;
        if (w->events.started)
                w->events.started(w, pid, w->exit.start_timestamp, w->userdata);
}

static void watch_deliver_exited(UnitWatch *w) {
        UnitExit e = w->exit;

        /* The watch may be restarted or freed from inside the callback: hand over a private copy. */
        w->exit = (UnitExit) {};
        w->phase = WATCH_IDLE;
        if (e.pid == 0)
                e.pid = w->main_pid;
        if (w->events.exited)
                w->events.exited(w, &e, w->userdata);
        unit_exit_done(&e);
}

static void watch_deliver_start_failed(UnitWatch *w, int error, const char *message, bool with_exit) {
        UnitExit e = w->exit;

        w->exit = (UnitExit) {};
        w->phase = WATCH_IDLE;
        if (w->events.start_failed)
                w->events.start_failed(w, error, message, with_exit ? &e : NULL, w->userdata);
        unit_exit_done(&e);
}

/* started() and, if the run already ended, exited() right after. */
static void watch_deliver_started_and_maybe_exited(UnitWatch *w) {
        bool ended = w->ended;

        watch_deliver_started(w);
        if (w->dead || !ended || w->phase != WATCH_RUNNING)
                return;
        watch_deliver_exited(w);
}

static int job_result_to_errno(const char *result) {
        if (streq(result, "canceled"))
                return -ECANCELED;
        if (streq(result, "timeout"))
                return -ETIMEDOUT;
        if (streq(result, "dependency"))
                return -ENOLINK;
        if (streq(result, "skipped"))
                return -ESRCH;
        return -EIO;
}

static void watch_fail_job(UnitWatch *w) {
        _cleanup_free_ char *msg = NULL;
        const char *result = w->job_result ?: "failed";
        bool ran = w->exit.code > 0;
        int error, r;

        if (ran && w->exit.code == CLD_EXITED) {
                const char *what = NULL, *name = unit_exit_status_to_string(w->exit.status, &what);

                error = name ? unit_exit_status_to_errno(w->exit.status) : job_result_to_errno(result);
                if (name && w->exit.status == 200)
                        r = asprintf(&msg, "Unit %s failed to start: working directory %s: %s (exit status %d/%s)",
                                     w->unit, strna(w->working_directory), what, w->exit.status, name);
                else if (name && w->exit.status == 203)
                        r = asprintf(&msg, "Unit %s failed to start: %s: %s (exit status %d/%s)",
                                     w->unit, strna(w->exec_path), what, w->exit.status, name);
                else if (name)
                        r = asprintf(&msg, "Unit %s failed to start: %s (exit status %d/%s)",
                                     w->unit, what, w->exit.status, name);
                else
                        r = asprintf(&msg, "Unit %s failed to start: exited with status %d (job %s)",
                                     w->unit, w->exit.status, result);
        } else if (ran) {
                error = job_result_to_errno(result);
                r = asprintf(&msg, "Unit %s failed to start: killed by signal %s (job %s)",
                             w->unit, strna(sigabbrev_np(w->exit.status)), result);
        } else {
                error = job_result_to_errno(result);
                r = asprintf(&msg, "Unit %s failed to start: start job %s", w->unit, result);
        }
        if (r < 0)
                msg = NULL;

        watch_deliver_start_failed(w, error, msg ?: "Unit failed to start (out of memory)", ran);
}

/* ---- GetAll after the job: closes the race between JobRemoved and the queued PropertiesChanged -------- */

static int on_fetch_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        UnitWatch *w = userdata;
        UnitDriver *d = w->driver;
        UnitProps p = {};
        bool gone = false;
        int r;

        d->dispatching++;
        w->fetch_slot = sd_bus_slot_unref(w->fetch_slot);

        if (!sd_bus_message_is_method_error(m, NULL)) {
                r = parse_props(m, &p);
                if (r < 0)
                        log_debug_errno(r, "Failed to parse properties of %s: %m", w->unit);
                else if (p.have & PROP_LOAD_STATE && streq(p.load_state, "not-found"))
                        /* garbage-collected: only the signals knew this run; don't apply defaults */
                        gone = true;
                else
                        (void) watch_apply_props(w, &p);
        } else
                gone = true;

        switch (w->phase) {
        case WATCH_CONFIRMING:
                if (gone || (p.have & PROP_ACTIVE_STATE && state_is_ended(p.active_state)))
                        w->ended = true;
                watch_deliver_started_and_maybe_exited(w);
                break;
        case WATCH_FAILING:
                /* A program that exec'd and exited at once (exit 3 within a millisecond) can fail the
                 * start job before the manager saw the exec succeed. Its status is then its own, not one of
                 * systemd's 200-245: that is a run that ended, not a failed start. */
                if ((w->exit.code == CLD_EXITED && !unit_exit_status_to_string(w->exit.status, NULL)) ||
                    w->exit.code == CLD_KILLED || w->exit.code == CLD_DUMPED) {
                        w->ended = true;
                        watch_deliver_started_and_maybe_exited(w);
                } else
                        watch_fail_job(w);
                break;
        case WATCH_ADOPTING:
                if (gone || !(p.have & PROP_LOAD_STATE) || !streq(p.load_state, "loaded")) {
                        _cleanup_free_ char *msg = NULL;

                        if (asprintf(&msg, "Unit %s is not loaded", w->unit) < 0)
                                msg = NULL;
                        watch_deliver_start_failed(w, -ENOENT, msg ?: w->unit, false);
                        break;
                }
                w->ended = state_is_ended(p.active_state);
                watch_deliver_started_and_maybe_exited(w);
                break;
        default:
                break;
        }

        d->dispatching--;
        return 0;
}

static int watch_fetch(UnitWatch *w) {
        _cleanup_free_ char *path = NULL;
        int r;

        r = sd_bus_path_encode(SD_UNIT_PREFIX, w->unit, &path);
        if (r < 0)
                return r;
        w->fetch_slot = sd_bus_slot_unref(w->fetch_slot);
        /* Interface "": every interface at once (Unit for the state, Service for the exit data). */
        return sd_bus_call_method_async(w->driver->bus, &w->fetch_slot, SD_DESTINATION, path,
                                        "org.freedesktop.DBus.Properties", "GetAll", on_fetch_reply, w, "s", "");
}

/* ---- the job result --------------------------------------------------------------------------------- */

static void watch_job_removed(UnitWatch *w, const char *result) {
        int r;

        if (streq(result, "done")) {
                if (w->main_pid > 0 || w->ended) {
                        watch_deliver_started_and_maybe_exited(w);
                        return;
                }
                w->phase = WATCH_CONFIRMING;
        } else {
                r = free_and_strdup(&w->job_result, result);
                if (r < 0)
                        log_oom();
                w->phase = WATCH_FAILING;
        }

        r = watch_fetch(w);
        if (r < 0) {
                /* Without the fetch, deliver what the signals said. */
                log_debug_errno(r, "Failed to read properties of %s: %m", w->unit);
                if (w->phase == WATCH_CONFIRMING)
                        watch_deliver_started_and_maybe_exited(w);
                else
                        watch_fail_job(w);
        }
}

/* ---- signals ----------------------------------------------------------------------------------------- */

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        UnitDriver *d = userdata;
        const char *job, *unit, *result;
        UnitWatch *w;
        uint32_t id;
        int r;

        r = sd_bus_message_read(m, "uoss", &id, &job, &unit, &result);
        if (r < 0)
                return 0;

        w = driver_find(d, unit);
        if (!w)
                return 0;

        d->dispatching++;
        if (w->phase == WATCH_STARTING) {
                if (free_and_strdup(&w->early_job_path, job) < 0 ||
                    free_and_strdup(&w->early_job_result, result) < 0)
                        log_oom();
        } else if (w->phase == WATCH_QUEUED && streq_ptr(w->job_path, job))
                watch_job_removed(w, result);
        d->dispatching--;
        return 0;
}

static int on_unit_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        UnitDriver *d = userdata;
        const char *unit, *path;
        UnitWatch *w;
        int r;

        r = sd_bus_message_read(m, "so", &unit, &path);
        if (r < 0)
                return 0;
        w = driver_find(d, unit);
        if (!w)
                return 0;

        d->dispatching++;
        /* A unit is only collected when inactive, so the Unit signal said so already; this is a backstop. */
        if (w->seen_active && IN_SET(w->phase, WATCH_QUEUED, WATCH_CONFIRMING, WATCH_FAILING))
                w->ended = true;
        else if (w->phase == WATCH_RUNNING)
                watch_deliver_exited(w);
        d->dispatching--;
        return 0;
}

static int on_properties_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        UnitDriver *d = userdata;
        _cleanup_free_ char *unit = NULL;
        const char *iface, *path;
        UnitProps p = {};
        UnitWatch *w;
        int r;

        path = sd_bus_message_get_path(m);
        if (!path)
                return 0;
        r = sd_bus_path_decode(path, SD_UNIT_PREFIX, &unit);
        if (r <= 0)
                return 0;
        w = driver_find(d, unit);
        if (!w)
                return 0;
        /* Before the start reply: the previous run's last words (or ResetFailedUnit's). */
        if (!IN_SET(w->phase, WATCH_QUEUED, WATCH_CONFIRMING, WATCH_FAILING, WATCH_RUNNING))
                return 0;

        r = sd_bus_message_read(m, "s", &iface);
        if (r < 0)
                return 0;
        if (!streq(iface, "org.freedesktop.systemd1.Service") && !streq(iface, "org.freedesktop.systemd1.Unit"))
                return 0;
        r = parse_props(m, &p);
        if (r < 0) {
                log_debug_errno(r, "Failed to parse PropertiesChanged of %s: %m", w->unit);
                return 0;
        }

        d->dispatching++;
        r = watch_apply_props(w, &p);
        if (r < 0)
                log_oom();
        if (w->phase == WATCH_RUNNING && w->ended)
                watch_deliver_exited(w);
        d->dispatching--;
        return 0;
}

static int on_disconnected(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        log_error("Lost the connection to the systemd service manager; unit states are no longer followed.");
        return 0;
}

/* ---- starting ---------------------------------------------------------------------------------------- */

static int on_reset_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        UnitWatch *w = userdata;
        const sd_bus_error *e;

        w->reset_slot = sd_bus_slot_unref(w->reset_slot);
        e = sd_bus_message_get_error(m);
        /* NoSuchUnit is the normal case (nothing to reset); anything else shows up as UnitExists. */
        if (e && !sd_bus_error_has_name(e, "org.freedesktop.systemd1.NoSuchUnit"))
                log_debug("ResetFailedUnit(%s): %s", w->unit, e->message ?: e->name);
        return 0;
}

static int on_start_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        UnitWatch *w = userdata;
        UnitDriver *d = w->driver;
        const sd_bus_error *e;
        const char *job;
        int r;

        d->dispatching++;
        w->start_slot = sd_bus_slot_unref(w->start_slot);

        e = sd_bus_message_get_error(m);
        if (e) {
                _cleanup_free_ char *msg = NULL;

                if (asprintf(&msg, "Failed to start unit %s: %s (%s)", w->unit,
                             e->message ?: "no message", e->name) < 0)
                        msg = NULL;
                /* No answer is not a refusal: the manager may still create the unit. Queue a stop behind
                 * the start so that it cannot run on unseen. */
                if (sd_bus_error_has_name(e, SD_BUS_ERROR_NO_REPLY))
                        (void) unit_driver_stop(d, w->unit);
                watch_deliver_start_failed(w, sd_bus_message_get_errno(m) > 0 ? -sd_bus_message_get_errno(m) : -EIO,
                                           msg ?: w->unit, false);
                goto finish;
        }

        r = sd_bus_message_read(m, "o", &job);
        if (r < 0 || free_and_strdup(&w->job_path, job) < 0) {
                watch_deliver_start_failed(w, r < 0 ? r : -ENOMEM, "Failed to read the start job's path", false);
                goto finish;
        }

        w->phase = WATCH_QUEUED;
        if (w->early_job_path && streq(w->early_job_path, job)) {
                _cleanup_free_ char *result = TAKE_PTR(w->early_job_result);

                watch_job_removed(w, result);
        }
        w->early_job_path = mfree(w->early_job_path);
        w->early_job_result = mfree(w->early_job_result);

finish:
        d->dispatching--;
        return 0;
}

/* The program a failed start is about: with the stderr wrapper (`pcctl __exec IDENT -- CMD...`, see
 * src/cli/verb-exec.c) that is CMD, not pcctl. */
static const char *spec_program(char * const *argv) {
        if (argv[1] && streq(argv[1], "__exec"))
                for (char * const *a = argv + 2; *a; a++)
                        if (streq(*a, "--"))
                                return a[1] ?: argv[0];
        return argv[0];
}

int unit_driver_start(UnitDriver *d, UnitWatch *w, const UnitSpec *spec) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reset = NULL, *start = NULL;
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *reset_slot = NULL, *start_slot = NULL;
        int r;

        if (!d || !w || !spec || w->driver != d || w->dead)
                return -EINVAL;
        if (!streq_ptr(spec->unit, w->unit))
                return -EINVAL;
        if (!IN_SET(w->phase, WATCH_IDLE))
                return -EBUSY;
        r = unit_spec_validate(spec, NULL);
        if (r < 0)
                return r;

        r = sd_bus_message_new_method_call(d->bus, &reset, SD_DESTINATION, SD_PATH, SD_MANAGER, "ResetFailedUnit");
        if (r < 0)
                return r;
        r = sd_bus_message_append(reset, "s", w->unit);
        if (r < 0)
                return r;

        r = sd_bus_message_new_method_call(d->bus, &start, SD_DESTINATION, SD_PATH, SD_MANAGER,
                                           "StartTransientUnit");
        if (r < 0)
                return r;
        r = sd_bus_message_append(start, "ss", w->unit, "fail");
        if (r < 0)
                return r;
        r = unit_spec_append_properties(start, spec);
        if (r < 0)
                return r;
        r = sd_bus_message_append(start, "a(sa(sv))", 0);
        if (r < 0)
                return r;

        r = sd_bus_call_async(d->bus, &reset_slot, reset, on_reset_reply, w, UNIT_START_TIMEOUT_USEC);
        if (r < 0)
                return r;
        r = sd_bus_call_async(d->bus, &start_slot, start, on_start_reply, w, UNIT_START_TIMEOUT_USEC);
        if (r < 0)
                return r;

        watch_reset_run(w);
        r = free_and_strdup(&w->exec_path, spec_program(spec->argv));
        if (r < 0)
                return r;
        r = free_and_strdup(&w->working_directory, spec->working_directory);
        if (r < 0)
                return r;

        sd_bus_slot_unref(w->reset_slot);
        sd_bus_slot_unref(w->start_slot);
        w->reset_slot = TAKE_PTR(reset_slot);
        w->start_slot = TAKE_PTR(start_slot);
        w->phase = WATCH_STARTING;
        return 0;
}

int unit_driver_adopt(UnitDriver *d, UnitWatch *w) {
        int r;

        if (!d || !w || w->driver != d || w->dead)
                return -EINVAL;
        if (!IN_SET(w->phase, WATCH_IDLE))
                return -EBUSY;

        watch_reset_run(w);
        w->seen_active = true;
        r = watch_fetch(w);
        if (r < 0)
                return r;
        w->phase = WATCH_ADOPTING;
        return 0;
}

/* ---- fire-and-forget calls --------------------------------------------------------------------------- */

static int on_simple_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        const sd_bus_error *e = sd_bus_message_get_error(m);
        const char *what = userdata;

        if (e && !sd_bus_error_has_name(e, "org.freedesktop.systemd1.NoSuchUnit") &&
            !sd_bus_error_has_name(e, "org.freedesktop.systemd1.NoUnitForInvocationID"))
                log_warning("%s failed: %s (%s)", what, e->message ?: "no message", e->name);
        return 0;
}

static int driver_call_simple(UnitDriver *d, const char *method, const char *what, const char *types, ...) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
        char *desc;
        va_list ap;
        int r;

        r = sd_bus_message_new_method_call(d->bus, &m, SD_DESTINATION, SD_PATH, SD_MANAGER, method);
        if (r < 0)
                return r;
        va_start(ap, types);
        r = sd_bus_message_appendv(m, types, ap);
        va_end(ap);
        if (r < 0)
                return r;

        desc = strdup(what);
        if (!desc)
                return -ENOMEM;
        r = sd_bus_call_async(d->bus, &slot, m, on_simple_reply, desc, 0);
        if (r < 0) {
                free(desc);
                return r;
        }
        r = sd_bus_slot_set_destroy_callback(slot, free);
        if (r < 0) {
                free(desc);
                return r;
        }
        return sd_bus_slot_set_floating(slot, 1);
}

int unit_driver_stop(UnitDriver *d, const char *unit) {
        _cleanup_free_ char *what = NULL;

        if (!d || !unit_name_is_valid(unit))
                return -EINVAL;
        if (asprintf(&what, "Stopping unit %s", unit) < 0)
                return -ENOMEM;
        return driver_call_simple(d, "StopUnit", what, "ss", unit, "replace");
}

int unit_driver_kill(UnitDriver *d, const char *unit, bool main_only, int sig) {
        _cleanup_free_ char *what = NULL;

        if (!d || !unit_name_is_valid(unit) || sig <= 0 || sig >= _NSIG)
                return -EINVAL;
        if (asprintf(&what, "Sending signal %d to unit %s", sig, unit) < 0)
                return -ENOMEM;
        return driver_call_simple(d, "KillUnit", what, "ssi", unit, main_only ? "main" : "all", (int32_t) sig);
}

int unit_driver_stop_slice(UnitDriver *d, const char *slice) {
        if (!slice || !endswith(slice, ".slice"))
                return -EINVAL;
        return unit_driver_stop(d, slice);
}

int unit_driver_reset_failed(UnitDriver *d, const char *unit) {
        _cleanup_free_ char *what = NULL;

        if (!d || !unit_name_is_valid(unit))
                return -EINVAL;
        if (asprintf(&what, "Resetting unit %s", unit) < 0)
                return -ENOMEM;
        return driver_call_simple(d, "ResetFailedUnit", what, "s", unit);
}

/* ---- listing and reading (adoption) ------------------------------------------------------------------ */

typedef struct CallContext {
        UnitDriver *driver;
        UnitListHandler list_handler;
        UnitReadHandler read_handler;
        void *userdata;
} CallContext;

static CallContext *new0_context(UnitDriver *d, void *userdata) {
        CallContext *c = calloc(1, sizeof(CallContext));

        if (c)
                *c = (CallContext) { .driver = d, .userdata = userdata };
        return c;
}

static int on_list_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        CallContext *c = userdata;
        UnitListEntry *entries = NULL;
        size_t n = 0, allocated = 0;
        int r;

        if (sd_bus_message_is_method_error(m, NULL)) {
                r = -sd_bus_message_get_errno(m) ?: -EIO;
                goto finish;
        }

        r = sd_bus_message_enter_container(m, 'a', "(ssssssouso)");
        if (r < 0)
                goto finish;
        for (;;) {
                const char *name, *description, *load, *active, *sub;

                r = sd_bus_message_read(m, "(ssssssouso)", &name, &description, &load, &active, &sub,
                                        NULL, NULL, NULL, NULL, NULL);
                if (r < 0)
                        goto finish;
                if (r == 0)
                        break;
                if (!greedy_realloc((void **) &entries, &allocated, n + 1, sizeof(UnitListEntry))) {
                        r = -ENOMEM;
                        goto finish;
                }
                entries[n++] = (UnitListEntry) {
                        .name = name, .description = description,
                        .load_state = load, .active_state = active, .sub_state = sub,
                };
        }
        r = 0;

finish:
        c->driver->dispatching++;
        c->list_handler(c->driver, r, r < 0 ? NULL : entries, r < 0 ? 0 : n, c->userdata);
        c->driver->dispatching--;
        free(entries);
        return 0;
}

int unit_driver_list(UnitDriver *d, const char *pattern, UnitListHandler handler, void *userdata,
                     sd_bus_slot **ret_slot) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
        CallContext *c;
        int r;

        if (!d || isempty(pattern) || !handler)
                return -EINVAL;

        r = sd_bus_message_new_method_call(d->bus, &m, SD_DESTINATION, SD_PATH, SD_MANAGER, "ListUnitsByPatterns");
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "as", 0);
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "as", 1, pattern);
        if (r < 0)
                return r;

        c = new0_context(d, userdata);
        if (!c)
                return -ENOMEM;
        c->list_handler = handler;
        r = sd_bus_call_async(d->bus, &slot, m, on_list_reply, c, 0);
        if (r < 0) {
                free(c);
                return r;
        }
        (void) sd_bus_slot_set_destroy_callback(slot, free);

        if (ret_slot)
                *ret_slot = TAKE_PTR(slot);
        else
                (void) sd_bus_slot_set_floating(slot, 1);
        return 0;
}

static int on_read_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        CallContext *c = userdata;
        UnitSnapshot s = {};
        UnitProps p = {};
        int r;

        if (sd_bus_message_is_method_error(m, NULL)) {
                r = -sd_bus_message_get_errno(m) ?: -EIO;
                goto finish;
        }
        r = parse_props(m, &p);
        if (r < 0)
                goto finish;

        s = (UnitSnapshot) {
                .load_state = p.load_state,
                .active_state = p.active_state,
                .sub_state = p.sub_state,
                .main_pid = (pid_t) p.main_pid,
                .exit = {
                        .code = p.exec_main_code,
                        .status = p.exec_main_status,
                        .result = (char *) p.result,
                        .pid = (pid_t) p.exec_main_pid,
                        .start_timestamp = p.exec_main_start,
                        .exit_timestamp = p.exec_main_exit,
                },
        };
        if (!s.load_state || streq(s.load_state, "not-found"))
                r = -ENOENT;

finish:
        c->driver->dispatching++;
        c->read_handler(c->driver, r, r < 0 ? NULL : &s, c->userdata);
        c->driver->dispatching--;
        return 0;
}

int unit_driver_read(UnitDriver *d, const char *unit, UnitReadHandler handler, void *userdata,
                     sd_bus_slot **ret_slot) {
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
        _cleanup_free_ char *path = NULL;
        CallContext *c;
        int r;

        if (!d || !unit_name_is_valid(unit) || !handler)
                return -EINVAL;
        r = sd_bus_path_encode(SD_UNIT_PREFIX, unit, &path);
        if (r < 0)
                return r;

        c = new0_context(d, userdata);
        if (!c)
                return -ENOMEM;
        c->read_handler = handler;
        r = sd_bus_call_method_async(d->bus, &slot, SD_DESTINATION, path, "org.freedesktop.DBus.Properties",
                                     "GetAll", on_read_reply, c, "s", "");
        if (r < 0) {
                free(c);
                return r;
        }
        (void) sd_bus_slot_set_destroy_callback(slot, free);

        if (ret_slot)
                *ret_slot = TAKE_PTR(slot);
        else
                (void) sd_bus_slot_set_floating(slot, 1);
        return 0;
}

/* ---- watches ----------------------------------------------------------------------------------------- */

int unit_watch_new(UnitDriver *d, const char *unit, const UnitEvents *events, void *userdata, UnitWatch **ret) {
        UnitWatch *w;
        int r;

        if (!d || !unit_name_is_valid(unit) || !events || !ret)
                return -EINVAL;
        if (driver_find(d, unit))
                return -EEXIST;
        if (d->n_watches >= UNIT_WATCHES_MAX)
                return -E2BIG;
        r = driver_grow(d);
        if (r < 0)
                return r;

        w = calloc(1, sizeof(*w));
        if (!w)
                return -ENOMEM;
        w->unit = strdup(unit);
        if (!w->unit) {
                free(w);
                return -ENOMEM;
        }
        w->driver = d;
        w->events = *events;
        w->userdata = userdata;

        {
                size_t k = hash_string(unit) & (d->n_buckets - 1);

                w->hash_next = d->buckets[k];
                d->buckets[k] = w;
                d->n_watches++;
        }

        *ret = w;
        return 0;
}

static void watch_release(UnitWatch *w) {
        w->reset_slot = sd_bus_slot_unref(w->reset_slot);
        w->start_slot = sd_bus_slot_unref(w->start_slot);
        w->fetch_slot = sd_bus_slot_unref(w->fetch_slot);
        watch_reset_run(w);
}

static void watch_destroy(UnitWatch *w) {
        watch_release(w);
        free(w->exec_path);
        free(w->working_directory);
        free(w->unit);
        free(w);
}

static int on_reap(sd_event_source *s, void *userdata) {
        UnitDriver *d = userdata;

        while (d->dead) {
                UnitWatch *w = d->dead;

                d->dead = w->dead_next;
                watch_destroy(w);
        }
        return 0;
}

UnitWatch *unit_watch_free(UnitWatch *w) {
        UnitDriver *d;

        if (!w)
                return NULL;
        d = w->driver;
        if (!d) {
                /* the driver went first */
                watch_destroy(w);
                return NULL;
        }
        if (w->dead)
                return NULL;

        driver_unlink(d, w);
        watch_release(w);
        w->dead = true;

        if (d->dispatching == 0) {
                watch_destroy(w);
                return NULL;
        }

        /* Inside one of our callbacks: the caller may still touch w on the way out. */
        w->dead_next = d->dead;
        d->dead = w;
        if (!d->reap_source) {
                if (sd_event_add_defer(d->event, &d->reap_source, on_reap, d) < 0) {
                        log_oom();
                        return NULL; /* leaked until the driver goes, never freed in use */
                }
        }
        (void) sd_event_source_set_enabled(d->reap_source, SD_EVENT_ONESHOT);
        return NULL;
}

const char *unit_watch_get_unit(const UnitWatch *w) {
        return w ? w->unit : NULL;
}

void *unit_watch_get_userdata(const UnitWatch *w) {
        return w ? w->userdata : NULL;
}

/* ---- the driver -------------------------------------------------------------------------------------- */

/* D-Bus address values escape every byte outside a small safe set as %XX. */
static int bus_address_escape(const char *s, char **ret) {
        static const char hex[] = "0123456789abcdef";
        char *buf, *t;

        buf = malloc(strlen(s) * 3 + 1);
        if (!buf)
                return -ENOMEM;
        t = buf;
        for (const char *f = s; *f; f++) {
                unsigned char c = (unsigned char) *f;

                if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    strchr("-_/.\\*", c))
                        *t++ = (char) c;
                else {
                        *t++ = '%';
                        *t++ = hex[c >> 4];
                        *t++ = hex[c & 15];
                }
        }
        *t = 0;
        *ret = buf;
        return 0;
}

int unit_manager_private_socket(UnitManagerScope scope, char **ret) {
        const char *rt;
        char *p;

        if (scope == UNIT_MANAGER_SYSTEM)
                p = strdup("/run/systemd/private");
        else {
                rt = getenv("XDG_RUNTIME_DIR");
                if (isempty(rt) || rt[0] != '/')
                        return -ENXIO;
                if (asprintf(&p, "%s/systemd/private", rt) < 0)
                        p = NULL;
        }
        if (!p)
                return -ENOMEM;
        *ret = p;
        return 0;
}

static int bus_open_private(const char *socket_path, sd_bus **ret) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_free_ char *esc = NULL, *address = NULL;
        int r;

        r = bus_address_escape(socket_path, &esc);
        if (r < 0)
                return r;
        if (asprintf(&address, "unix:path=%s", esc) < 0)
                return -ENOMEM;

        r = sd_bus_new(&bus);
        if (r < 0)
                return r;
        r = sd_bus_set_address(bus, address);
        if (r < 0)
                return r;
        r = sd_bus_start(bus);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(bus);
        return 0;
}

/* One synchronous call so that an unreachable manager is reported at once, with its reason. */
static int bus_ping_manager(sd_bus *bus) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, SD_DESTINATION, SD_PATH, "org.freedesktop.DBus.Properties",
                                           "Get");
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "ss", SD_MANAGER, "Version");
        if (r < 0)
                return r;
        r = sd_bus_call(bus, m, UNIT_DRIVER_PING_TIMEOUT_USEC, &error, &reply);
        if (r < 0)
                return r;
        return 0;
}

static int driver_connect(UnitDriver *d) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_free_ char *socket_path = NULL;
        int r, r_private = -ENXIO;

        if (d->scope == UNIT_MANAGER_USER || geteuid() == 0) {
                r = unit_manager_private_socket(d->scope, &socket_path);
                if (r == -ENOMEM)
                        return r;
                if (r >= 0) {
                        r_private = bus_open_private(socket_path, &bus);
                        if (r_private >= 0) {
                                r_private = bus_ping_manager(bus);
                                if (r_private < 0)
                                        bus = sd_bus_flush_close_unref(bus);
                        }
                }
        }

        if (!bus) {
                if (d->scope == UNIT_MANAGER_USER)
                        r = sd_bus_open_user(&bus);
                else
                        r = sd_bus_open_system(&bus);
                if (r >= 0) {
                        r = bus_ping_manager(bus);
                        if (r < 0)
                                bus = sd_bus_flush_close_unref(bus);
                }
                if (r < 0) {
                        log_debug_errno(r, "Connecting to the %s bus failed: %m",
                                        d->scope == UNIT_MANAGER_USER ? "user" : "system");
                        /* The private socket's reason is the more telling one ("no such file"). */
                        return r_private != -ENXIO ? r_private : r;
                }
                d->private_socket = false;
        } else
                d->private_socket = true;

        d->bus = TAKE_PTR(bus);
        return 0;
}

static int driver_install_matches(UnitDriver *d) {
        int r;

        r = sd_bus_match_signal_async(d->bus, &d->match_job_removed, SD_DESTINATION, SD_PATH, SD_MANAGER,
                                      "JobRemoved", on_job_removed, NULL, d);
        if (r < 0)
                return r;
        r = sd_bus_match_signal_async(d->bus, &d->match_unit_removed, SD_DESTINATION, SD_PATH, SD_MANAGER,
                                      "UnitRemoved", on_unit_removed, NULL, d);
        if (r < 0)
                return r;
        r = sd_bus_add_match_async(d->bus, &d->match_props,
                                   "type='signal',sender='" SD_DESTINATION "',"
                                   "interface='org.freedesktop.DBus.Properties',member='PropertiesChanged',"
                                   "path_namespace='" SD_UNIT_PREFIX "'",
                                   on_properties_changed, NULL, d);
        if (r < 0)
                return r;
        r = sd_bus_match_signal_async(d->bus, &d->match_disconnected, "org.freedesktop.DBus.Local", NULL,
                                      "org.freedesktop.DBus.Local", "Disconnected", on_disconnected, NULL, d);
        if (r < 0)
                return r;

        /* Needed on a bus for the manager to send unit signals at all; a no-op on the private socket. */
        return sd_bus_call_method_async(d->bus, NULL, SD_DESTINATION, SD_PATH, SD_MANAGER, "Subscribe",
                                        NULL, NULL, NULL);
}

int unit_driver_new(sd_event *event, UnitManagerScope scope, UnitDriver **ret) {
        _cleanup_(unit_driver_freep) UnitDriver *d = NULL;
        int r;

        if (!event || scope < 0 || scope >= _UNIT_MANAGER_SCOPE_MAX || !ret)
                return -EINVAL;

        d = calloc(1, sizeof(*d));
        if (!d)
                return -ENOMEM;
        d->event = sd_event_ref(event);
        d->scope = scope;

        r = driver_connect(d);
        if (r < 0)
                return r;
        r = driver_install_matches(d);
        if (r < 0)
                return r;
        r = sd_bus_attach_event(d->bus, event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(d);
        return 0;
}

UnitDriver *unit_driver_free(UnitDriver *d) {
        if (!d)
                return NULL;

        /* Watches belong to their users: detach them, so unit_watch_free() later only frees memory. */
        for (size_t i = 0; i < d->n_buckets; i++)
                for (UnitWatch *w = d->buckets[i], *next; w; w = next) {
                        next = w->hash_next;
                        watch_release(w);
                        w->hash_next = NULL;
                        w->driver = NULL;
                }
        free(d->buckets);
        on_reap(NULL, d);
        d->reap_source = sd_event_source_disable_unref(d->reap_source);

        d->match_job_removed = sd_bus_slot_unref(d->match_job_removed);
        d->match_unit_removed = sd_bus_slot_unref(d->match_unit_removed);
        d->match_props = sd_bus_slot_unref(d->match_props);
        d->match_disconnected = sd_bus_slot_unref(d->match_disconnected);
        if (d->bus) {
                (void) sd_bus_detach_event(d->bus);
                /* Queued StopUnit/KillUnit calls still go out. */
                d->bus = sd_bus_flush_close_unref(d->bus);
        }
        sd_event_unref(d->event);
        free(d);
        return NULL;
}

sd_bus *unit_driver_get_bus(UnitDriver *d) {
        return d ? d->bus : NULL;
}

bool unit_driver_is_private_socket(UnitDriver *d) {
        return d && d->private_socket;
}

int unit_driver_unreachable_message(UnitManagerScope scope, int error, char **ret) {
        _cleanup_free_ char *socket_path = NULL;
        int r;

        if (!ret)
                return -EINVAL;
        (void) unit_manager_private_socket(scope, &socket_path);

        if (scope == UNIT_MANAGER_SYSTEM)
                r = asprintf(ret, "no systemd system manager reachable at %s or on the system bus (%s): "
                             "--system needs systemd running as PID 1",
                             strna(socket_path), strerror(error < 0 ? -error : error));
        else if (!socket_path)
                r = asprintf(ret, "no systemd user manager reachable: $XDG_RUNTIME_DIR is not set (%s): "
                             "start one with contrib/sandbox.sh start and export XDG_RUNTIME_DIR=/run/user/%u, "
                             "or log in to a systemd session",
                             strerror(error < 0 ? -error : error), (unsigned) getuid());
        else
                r = asprintf(ret, "no systemd user manager reachable at %s (%s): "
                             "start one with contrib/sandbox.sh start, or log in to a systemd session",
                             socket_path, strerror(error < 0 ? -error : error));
        return r < 0 ? -ENOMEM : 0;
}
