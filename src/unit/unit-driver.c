/* The asynchronous unit driver: one sd-bus connection to a service manager, and the watches that turn
 * JobRemoved / PropertiesChanged / UnitRemoved into started(), start_failed(), main_exited() and exited().
 *
 * This file does the I/O: it parses the signals, finds the watch of the unit and feeds its engine
 * (unit-watch.h, which holds the ordering rules of systemd-notes §2 and is tested without a bus), then
 * performs what the engine says (a GetAll, or a callback). unit-calls.c has the other calls, unit-bus.c the
 * connection.
 *
 * Watches are user-owned. A watch freed from inside one of its callbacks is unlinked at once (no further
 * events) and its memory is reaped from a defer source. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "shared/log.h"
#include "shared/macro.h"
#include "shared/strv.h"
#include "unit/unit-driver-internal.h"

/* A start is answered once the manager has queued the job, which takes long only when the manager is
 * swamped (hundreds of pipelined calls on a loaded machine): sd-bus's default of 25 s was measured to run
 * out there. A late answer is worse than a slow one, so wait longer. */
#define UNIT_START_TIMEOUT_USEC (120 * USEC_PER_SEC)
/* Upper bound on watches per driver (one per process replica). */
#define UNIT_WATCHES_MAX 65536

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
                if (streq(w->run.unit, unit))
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
                        size_t k = hash_string(w->run.unit) & (n - 1);

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
        for (p = &d->buckets[hash_string(w->run.unit) & (d->n_buckets - 1)]; *p; p = &(*p)->hash_next)
                if (*p == w) {
                        *p = w->hash_next;
                        w->hash_next = NULL;
                        d->n_watches--;
                        return;
                }
}

/* ---- performing what the engine says ----------------------------------------------------------------- */

static int on_fetch_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error);

static int watch_fetch(UnitWatch *w) {
        _cleanup_free_ char *path = NULL;
        int r;

        r = unit_path_for_unit(w->run.unit, &path);
        if (r < 0)
                return r;
        w->fetch_slot = sd_bus_slot_unref(w->fetch_slot);
        /* Interface "": every interface at once (Unit for the state, Service for the exit data). */
        return sd_bus_call_method_async(w->driver->bus, &w->fetch_slot, SD_DESTINATION, path,
                                        "org.freedesktop.DBus.Properties", "GetAll", on_fetch_reply, w, "s", "");
}

static void watch_deliver(UnitWatch *w, UnitRunOutput *o) {
        switch (o->type) {
        case UNIT_RUN_FETCH: {
                int r = watch_fetch(w);
                if (r < 0) {
                        log_debug_errno(r, "Failed to read properties of %s: %m", w->run.unit);
                        unit_run_fetch_failed(&w->run);
                }
                break;
        }
        case UNIT_RUN_STARTED:
                if (w->events.started)
                        w->events.started(w, o->main_pid, o->start_timestamp, w->userdata);
                break;
        case UNIT_RUN_START_FAILED:
                if (w->events.start_failed)
                        w->events.start_failed(w, o->error, o->message ?: w->run.unit,
                                               o->with_exit ? &o->exit : NULL, w->userdata);
                break;
        case UNIT_RUN_MAIN_EXITED:
                if (w->events.main_exited)
                        w->events.main_exited(w, &o->exit, w->userdata);
                break;
        case UNIT_RUN_EXITED:
                /* an open file of a removed cgroup keeps the kernel's cgroup (and a v1 memcg) around */
                unit_cgroup_close_fds(w->stats_fds);
                if (w->events.exited)
                        w->events.exited(w, &o->exit, w->userdata);
                break;
        default:
                break;
        }
}

/* Runs the engine's outputs in order. A callback may free the watch (then nothing more is delivered) or
 * restart it (the engine then dropped what was pending). Called with d->dispatching raised. */
static void watch_dispatch(UnitWatch *w) {
        UnitRunOutput o;

        while (!w->dead && unit_run_next(&w->run, &o)) {
                watch_deliver(w, &o);
                unit_run_output_done(&o);
        }
}

static int on_fetch_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        UnitWatch *w = userdata;
        UnitDriver *d = w->driver;
        UnitProps p = {};
        int r;

        d->dispatching++;
        w->fetch_slot = sd_bus_slot_unref(w->fetch_slot);

        if (sd_bus_message_is_method_error(m, NULL))
                unit_run_fetched(&w->run, NULL);
        else {
                r = unit_props_parse(m, &p);
                if (r < 0) {
                        log_debug_errno(r, "Failed to parse properties of %s: %m", w->run.unit);
                        p = (UnitProps) {};
                }
                unit_run_fetched(&w->run, &p);
        }
        watch_dispatch(w);
        d->dispatching--;
        return 0;
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
        unit_run_job_removed(&w->run, job, result);
        watch_dispatch(w);
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
        unit_run_unit_removed(&w->run);
        watch_dispatch(w);
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
        if (!w || IN_SET(w->run.phase, UNIT_RUN_STARTING, UNIT_RUN_ADOPTING) ||
            (w->run.phase == UNIT_RUN_IDLE && !w->run.triggered))
                return 0;   /* the engine would ignore it: spare the parsing */

        r = sd_bus_message_read(m, "s", &iface);
        if (r < 0)
                return 0;
        if (!streq(iface, "org.freedesktop.systemd1.Service") && !streq(iface, "org.freedesktop.systemd1.Unit"))
                return 0;
        r = unit_props_parse(m, &p);
        if (r < 0) {
                log_debug_errno(r, "Failed to parse PropertiesChanged of %s: %m", w->run.unit);
                return 0;
        }

        d->dispatching++;
        unit_run_properties(&w->run, &p);
        watch_dispatch(w);
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
                log_debug("ResetFailedUnit(%s): %s", w->run.unit, e->message ?: e->name);
        return 0;
}

static int on_start_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        UnitWatch *w = userdata;
        UnitDriver *d = w->driver;
        const sd_bus_error *e;
        const char *job = NULL;
        int r;

        d->dispatching++;
        w->start_slot = sd_bus_slot_unref(w->start_slot);

        e = sd_bus_message_get_error(m);
        if (e) {
                _cleanup_free_ char *msg = NULL;

                if (asprintf(&msg, "Failed to start unit %s: %s (%s)", w->run.unit,
                             e->message ?: "no message", e->name) < 0)
                        msg = NULL;
                /* No answer is not a refusal: the manager may still create the unit. Queue a stop behind
                 * the start so that it cannot run on unseen. */
                if (sd_bus_error_has_name(e, SD_BUS_ERROR_NO_REPLY))
                        (void) unit_driver_stop(d, w->run.unit, NULL, NULL);
                unit_run_start_reply(&w->run, NULL,
                                     sd_bus_message_get_errno(m) > 0 ? -sd_bus_message_get_errno(m) : -EIO,
                                     msg ?: w->run.unit);
        } else {
                r = sd_bus_message_read(m, "o", &job);
                if (r < 0)
                        unit_run_start_reply(&w->run, NULL, r, "Failed to read the start job's path");
                else
                        unit_run_start_reply(&w->run, job, 0, NULL);
        }
        watch_dispatch(w);
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
        if (!streq_ptr(spec->unit, w->run.unit))
                return -EINVAL;
        if (w->run.phase != UNIT_RUN_IDLE)
                return -EBUSY;
        r = unit_spec_validate(spec, NULL);
        if (r < 0)
                return r;

        r = sd_bus_message_new_method_call(d->bus, &reset, SD_DESTINATION, SD_PATH, SD_MANAGER, "ResetFailedUnit");
        if (r < 0)
                return r;
        r = sd_bus_message_append(reset, "s", w->run.unit);
        if (r < 0)
                return r;

        r = sd_bus_message_new_method_call(d->bus, &start, SD_DESTINATION, SD_PATH, SD_MANAGER,
                                           "StartTransientUnit");
        if (r < 0)
                return r;
        r = sd_bus_message_append(start, "ss", w->run.unit, "fail");
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

        r = unit_run_begin_start(&w->run, spec_program(spec->argv), spec->working_directory);
        if (r < 0)
                return r;

        sd_bus_slot_unref(w->reset_slot);
        sd_bus_slot_unref(w->start_slot);
        w->reset_slot = TAKE_PTR(reset_slot);
        w->start_slot = TAKE_PTR(start_slot);
        return 0;
}

void unit_watch_set_triggered(UnitWatch *w, bool triggered, usec_t since) {
        if (w)
                unit_run_set_triggered(&w->run, triggered, since);
}

int unit_driver_adopt(UnitDriver *d, UnitWatch *w) {
        int r;

        if (!d || !w || w->driver != d || w->dead)
                return -EINVAL;
        r = unit_run_begin_adopt(&w->run);
        if (r < 0)
                return r;
        r = watch_fetch(w);
        if (r < 0) {
                unit_run_reset(&w->run);
                return r;
        }
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
        r = unit_run_init(&w->run, unit);
        if (r < 0) {
                free(w);
                return r;
        }
        w->driver = d;
        w->stats_fds[0] = w->stats_fds[1] = -EBADF;
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
        unit_run_reset(&w->run);
}

static void watch_destroy(UnitWatch *w) {
        watch_release(w);
        unit_run_done(&w->run);
        free(w->cgroup);
        unit_cgroup_close_fds(w->stats_fds);
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

UnitWatch *unit_driver_find_watch(UnitDriver *d, const char *unit) {
        return driver_find(d, unit);
}

const char *unit_watch_get_unit(const UnitWatch *w) {
        return w ? w->run.unit : NULL;
}

void *unit_watch_get_userdata(const UnitWatch *w) {
        return w ? w->userdata : NULL;
}

/* ---- the driver -------------------------------------------------------------------------------------- */

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

        r = unit_cgroup_layout_detect("/sys/fs/cgroup", &d->cgroups);
        if (r < 0)
                return r;
        r = unit_bus_connect(scope, &d->bus, &d->private_socket);
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
        unit_cgroup_layout_done(&d->cgroups);
        free(d);
        return NULL;
}

sd_bus *unit_driver_get_bus(UnitDriver *d) {
        return d ? d->bus : NULL;
}

bool unit_driver_is_private_socket(UnitDriver *d) {
        return d && d->private_socket;
}
