/* The unit driver's calls besides starting: stop, kill, reset-failed and slice stop (each with an optional
 * completion callback), and the reads that adoption uses (ListUnitsByPatterns, GetAll). */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "shared/log.h"
#include "shared/macro.h"
#include "shared/strv.h"
#include "unit/unit-driver-internal.h"

UnitCall *unit_call_cancel(UnitCall *c) {
        sd_bus_slot_unref((sd_bus_slot *) c);
        return NULL;
}

/* ---- calls with an optional completion ---------------------------------------------------------------- */

typedef struct SimpleCall {
        UnitDriver *driver;
        char *what;                /* for the warning on failure */
        UnitDoneFunc done;
        void *userdata;
} SimpleCall;

static void simple_call_free(void *p) {
        SimpleCall *c = p;

        if (!c)
                return;
        free(c->what);
        free(c);
}

static int on_simple_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        const sd_bus_error *e = sd_bus_message_get_error(m);
        SimpleCall *c = userdata;
        int error = 0;

        if (e) {
                bool no_unit = sd_bus_error_has_name(e, "org.freedesktop.systemd1.NoSuchUnit") ||
                               sd_bus_error_has_name(e, "org.freedesktop.systemd1.NoUnitForInvocationID");

                /* with a completion, the caller decides what a failure means */
                if (!no_unit && !c->done)
                        log_warning("%s failed: %s (%s)", c->what, e->message ?: "no message", e->name);
                error = sd_bus_message_get_errno(m) > 0 ? -sd_bus_message_get_errno(m) : -EIO;
        }
        if (c->done) {
                c->driver->dispatching++;
                c->done(c->driver, error, c->userdata);
                c->driver->dispatching--;
        }
        return 0;
}

/* Sends m; done (optional) gets the outcome. */
static int driver_send_simple(UnitDriver *d, sd_bus_message *m, UnitDoneFunc done, void *userdata, const char *what) {
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
        SimpleCall *c;
        int r;

        c = new0(SimpleCall, 1);
        if (!c || !(c->what = strdup(what))) {
                free(c);
                return -ENOMEM;
        }
        *c = (SimpleCall) { .driver = d, .what = c->what, .done = done, .userdata = userdata };
        r = sd_bus_call_async(d->bus, &slot, m, on_simple_reply, c, 0);
        if (r < 0) {
                simple_call_free(c);
                return r;
        }
        r = sd_bus_slot_set_destroy_callback(slot, simple_call_free);
        if (r < 0) {
                simple_call_free(c);
                return r;
        }
        return sd_bus_slot_set_floating(slot, 1);
}

static int driver_call_simple(UnitDriver *d, UnitDoneFunc done, void *userdata, const char *method,
                              const char *what, const char *types, ...) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
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
        return driver_send_simple(d, m, done, userdata, what);
}

/* The timer and its service in one StartTransientUnit, the way `systemd-run --on-calendar` does it. */
int unit_driver_start_timer(UnitDriver *d, const UnitTimerSpec *timer, const UnitSpec *services, size_t n_services,
                            UnitDoneFunc done, void *userdata) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        _cleanup_free_ char *what = NULL;
        int r;

        if (!d || !timer || !services || n_services == 0 || !unit_name_is_valid(timer->unit) ||
            !endswith(timer->unit, ".timer"))
                return -EINVAL;
        /* a failed service of an earlier run keeps its name taken */
        for (size_t i = 0; i < n_services; i++)
                (void) unit_driver_reset_failed(d, services[i].unit, NULL, NULL);

        r = sd_bus_message_new_method_call(d->bus, &m, SD_DESTINATION, SD_PATH, SD_MANAGER, "StartTransientUnit");
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "ss", timer->unit, "fail");
        if (r < 0)
                return r;
        r = unit_timer_spec_append_properties(m, timer);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(m, 'a', "(sa(sv))");
        if (r < 0)
                return r;
        for (size_t i = 0; i < n_services; i++) {
                r = sd_bus_message_open_container(m, 'r', "sa(sv)");
                if (r < 0)
                        return r;
                r = sd_bus_message_append(m, "s", services[i].unit);
                if (r < 0)
                        return r;
                r = unit_spec_append_properties(m, &services[i]);
                if (r < 0)
                        return r;
                r = sd_bus_message_close_container(m);
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_close_container(m);
        if (r < 0)
                return r;
        if (asprintf(&what, "Starting timer %s", timer->unit) < 0)
                return -ENOMEM;
        return driver_send_simple(d, m, done, userdata, what);
}

int unit_driver_stop(UnitDriver *d, const char *unit, UnitDoneFunc done, void *userdata) {
        _cleanup_free_ char *what = NULL;

        if (!d || !unit_name_is_valid(unit))
                return -EINVAL;
        if (asprintf(&what, "Stopping unit %s", unit) < 0)
                return -ENOMEM;
        return driver_call_simple(d, done, userdata, "StopUnit", what, "ss", unit, "replace");
}

static int call_unit_job(UnitDriver *d, const char *method, const char *verb, const char *unit, UnitDoneFunc done,
                         void *userdata) {
        _cleanup_free_ char *what = NULL;

        if (!d || !unit_name_is_valid(unit))
                return -EINVAL;
        if (asprintf(&what, "%s unit %s", verb, unit) < 0)
                return -ENOMEM;
        return driver_call_simple(d, done, userdata, method, what, "ss", unit, "replace");
}

int unit_driver_start_unit(UnitDriver *d, const char *unit, UnitDoneFunc done, void *userdata) {
        return call_unit_job(d, "StartUnit", "Starting", unit, done, userdata);
}

int unit_driver_restart_unit(UnitDriver *d, const char *unit, UnitDoneFunc done, void *userdata) {
        return call_unit_job(d, "RestartUnit", "Restarting", unit, done, userdata);
}

int unit_driver_kill(UnitDriver *d, const char *unit, bool main_only, int sig) {
        _cleanup_free_ char *what = NULL;

        if (!d || !unit_name_is_valid(unit) || sig <= 0 || sig >= _NSIG)
                return -EINVAL;
        if (asprintf(&what, "Sending signal %d to unit %s", sig, unit) < 0)
                return -ENOMEM;
        return driver_call_simple(d, NULL, NULL, "KillUnit", what, "ssi", unit, main_only ? "main" : "all",
                                  (int32_t) sig);
}

int unit_driver_stop_slice(UnitDriver *d, const char *slice, UnitDoneFunc done, void *userdata) {
        if (!slice || !endswith(slice, ".slice"))
                return -EINVAL;
        return unit_driver_stop(d, slice, done, userdata);
}

int unit_driver_reset_failed(UnitDriver *d, const char *unit, UnitDoneFunc done, void *userdata) {
        _cleanup_free_ char *what = NULL;

        if (!d || !unit_name_is_valid(unit))
                return -EINVAL;
        if (asprintf(&what, "Resetting unit %s", unit) < 0)
                return -ENOMEM;
        return driver_call_simple(d, done, userdata, "ResetFailedUnit", what, "s", unit);
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

/* The slot of a call with a CallContext frees the context with it; the caller's handle is the slot
 * (unreferencing it cancels the call), or without one the slot floats until the reply. */
static void call_hand_out(sd_bus_slot *slot, UnitCall **ret_call) {
        (void) sd_bus_slot_set_destroy_callback(slot, free);
        if (ret_call)
                *ret_call = (UnitCall *) slot;
        else {
                (void) sd_bus_slot_set_floating(slot, 1);
                sd_bus_slot_unref(slot);
        }
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
                     UnitCall **ret_call) {
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
        call_hand_out(TAKE_PTR(slot), ret_call);
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
        r = unit_props_parse(m, &p);
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
                .next_elapse_realtime = p.next_elapse_realtime == UINT64_MAX ? 0 : p.next_elapse_realtime,
                .next_elapse_monotonic = p.next_elapse_monotonic == UINT64_MAX ? 0 : p.next_elapse_monotonic,
                .last_trigger = p.last_trigger,
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
                     UnitCall **ret_call) {
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
        call_hand_out(TAKE_PTR(slot), ret_call);
        return 0;
}

