/* `pcctl down` without a controller (down-systemd.h). Synchronous sd-bus calls: this is a one-shot verb. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "cli/down-systemd.h"
#include "client/client-options.h"
#include "compose/compose.h"
#include "core/process-spec.h"
#include "core/state-file.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "shared/strv.h"
#include "shared/time-util.h"
#include "unit/unit-driver.h"

#define CONTROLLER_EXIT_WAIT_USEC (3 * USEC_PER_SEC)
#define UNIT_STOP_WAIT_USEC (120 * USEC_PER_SEC)

static void closedirp_(DIR **d) {
        if (*d)
                (void) closedir(*d);
}

static void sleep_usec(usec_t u) {
        struct timespec ts = { .tv_sec = (time_t) (u / USEC_PER_SEC), .tv_nsec = (long) (u % USEC_PER_SEC) * 1000 };
        (void) nanosleep(&ts, NULL);
}

/* The API address the client targets, in the state file's notation. */
static char *client_address(const ClientOptions *o) {
        char *s = NULL;

        if (o->socket_path)
                (void) asprintf(&s, "unix:%s", o->socket_path);
        else
                (void) asprintf(&s, "%s:%u", o->address ?: CLIENT_DEFAULT_ADDRESS, (unsigned) o->port);
        return s;
}

/* The project whose state file names this API address (the controller that is gone listened there). */
static int find_project_by_address(const ClientOptions *o, char **ret) {
        _cleanup_free_ char *base = NULL, *want = client_address(o);
        _cleanup_(closedirp_) DIR *d = NULL;
        const char *rt = getenv("XDG_RUNTIME_DIR");
        struct dirent *de;

        if (!want)
                return -ENOMEM;
        if (isempty(rt) || asprintf(&base, "%s/pcctl", rt) < 0)
                return -ENXIO;
        d = opendir(base);
        if (!d)
                return -ENOENT;
        while ((de = readdir(d))) {
                _cleanup_(state_file_done) StateFile s = {};
                _cleanup_free_ char *dir = NULL;

                if (de->d_name[0] == '.')
                        continue;
                if (asprintf(&dir, "%s/%s", base, de->d_name) < 0)
                        return -ENOMEM;
                if (state_file_read(dir, &s, NULL) < 0 || !streq_ptr(s.api_address, want))
                        continue;
                *ret = TAKE_PTR(s.project);
                return 0;
        }
        return -ENOENT;
}

static int unit_active_state(sd_bus *bus, const char *unit, char **ret) {
        _cleanup_free_ char *path = NULL;
        int r;

        r = sd_bus_path_encode("/org/freedesktop/systemd1/unit", unit, &path);
        if (r < 0)
                return r;
        return sd_bus_get_property_string(bus, "org.freedesktop.systemd1", path, "org.freedesktop.systemd1.Unit",
                                          "ActiveState", NULL, ret);
}

/* StopUnit, then wait until the unit is inactive, failed or gone. */
static int stop_and_wait(sd_bus *bus, const char *unit, usec_t timeout) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        usec_t deadline = now_usec(CLOCK_MONOTONIC) + timeout;
        int r;

        r = sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                               "org.freedesktop.systemd1.Manager", "StopUnit", &error, NULL, "ss", unit, "replace");
        if (r < 0) {
                if (sd_bus_error_has_name(&error, "org.freedesktop.systemd1.NoSuchUnit"))
                        return 0;
                return r;
        }
        while (now_usec(CLOCK_MONOTONIC) < deadline) {
                _cleanup_free_ char *state = NULL;

                r = unit_active_state(bus, unit, &state);
                if (r < 0 || streq(state, "inactive") || streq(state, "failed"))
                        return 0;
                sleep_usec(50 * USEC_PER_MSEC);
        }
        return -ETIMEDOUT;
}

static void reset_failed(sd_bus *bus, const char *unit) {
        (void) sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                  "org.freedesktop.systemd1.Manager", "ResetFailedUnit", NULL, NULL, "s", unit);
}

static int start_transient(sd_bus *bus, const UnitSpec *spec) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                           "org.freedesktop.systemd1.Manager", "StartTransientUnit");
        if (r >= 0)
                r = sd_bus_message_append(m, "ss", spec->unit, "fail");
        if (r >= 0)
                r = unit_spec_append_properties(m, spec);
        if (r >= 0)
                r = sd_bus_message_append(m, "a(sa(sv))", 0);
        if (r >= 0)
                r = sd_bus_call(bus, m, 0, &error, NULL);
        return r;
}

/* A process with a shutdown.command is stopped by it, as the controller does (docs/lifecycle.md "Stopping
 * and shutdown"): the command runs as the unit <unit>-shutdown.service with the process's environment and
 * working directory, and the process gets timeout_seconds (10 by default) from then to exit; after that, or
 * when the command failed, its unit gets SIGKILL. The caller then stops the unit as any other. */
static void run_shutdown_command(sd_bus *bus, const ComposeProject *project, const ComposeProcess *c,
                                 const char *slice, const char *unit) {
        _cleanup_(compose_env_file_done) ComposeEnvFile env_file = {};
        _cleanup_(process_spec_done) ProcessSpec spec = {};
        _cleanup_strv_free_ char **env = NULL;
        _cleanup_free_ char *ident = NULL, *self = NULL, *reason = NULL, *state = NULL;
        extern char **environ;
        const char *suffix = endswith(unit, ".service");
        ProcessSpecInput in;
        usec_t deadline;
        int timeout, r;

        if (isempty(c->shutdown.command) || unit_active_state(bus, unit, &state) < 0 ||
            streq(state, "inactive") || streq(state, "failed"))
                return;
        ident = strndup(unit, suffix ? (size_t) (suffix - unit) : strlen(unit));
        self = realpath("/proc/self/exe", NULL);
        if (!ident || !self || process_spec_inherited_environment(environ, &env) < 0 ||
            compose_env_file_load(project, c, &env_file) < 0) {
                fprintf(stderr, "pcctl: %s: cannot run its shutdown.command: %s\n", c->name, strerror(ENOMEM));
                return;
        }
        /* `pcctl __exec` is the stderr wrapper too, only slower to load than pcctl-exec */
        in = (ProcessSpecInput) {
                .project = project,
                .process = c,
                .replica_num = c->replica_num,
                .name = c->name,
                .unit = unit,
                .slice = slice,
                .ident = ident,
                .exec_path = self,
                .os_environ = env,
                .env_file = &env_file,
                .scope = UNIT_MANAGER_USER,
        };
        r = process_spec_build(&in, PROCESS_SPEC_SHUTDOWN, &spec, &reason);
        if (r >= 0) {
                reset_failed(bus, spec.unit.unit);
                r = start_transient(bus, &spec.unit);
        }
        if (r < 0) {
                fprintf(stderr, "pcctl: %s: cannot run its shutdown.command: %s\n", c->name,
                        reason ?: strerror(-r));
                return;
        }
        timeout = c->shutdown.timeout_seconds > 0 ? MIN(c->shutdown.timeout_seconds, PROCESS_SPEC_STOP_TIMEOUT_MAX_SEC) :
                                                    PROCESS_SPEC_STOP_TIMEOUT_DEFAULT_SEC;
        deadline = now_usec(CLOCK_MONOTONIC) + (usec_t) timeout * USEC_PER_SEC;
        while (now_usec(CLOCK_MONOTONIC) < deadline) {
                _cleanup_free_ char *s = NULL, *cmd = NULL;

                if (unit_active_state(bus, unit, &s) < 0 || streq(s, "inactive") || streq(s, "failed"))
                        return;
                /* the command failed: no need to wait for the process */
                if (unit_active_state(bus, spec.unit.unit, &cmd) >= 0 && streq(cmd, "failed"))
                        break;
                sleep_usec(50 * USEC_PER_MSEC);
        }
        (void) sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                  "org.freedesktop.systemd1.Manager", "KillUnit", NULL, NULL, "ssi", unit, "all",
                                  SIGKILL);
}

/* Every loaded unit whose name matches pattern. */
static int list_units(sd_bus *bus, const char *pattern, char ***ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_strv_free_ char **l = NULL;
        const char *name;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                           "org.freedesktop.systemd1.Manager", "ListUnitsByPatterns");
        if (r >= 0)
                r = sd_bus_message_append_strv(m, NULL);
        if (r >= 0)
                r = sd_bus_message_append(m, "as", 1, pattern);
        if (r >= 0)
                r = sd_bus_call(bus, m, 0, NULL, &reply);
        if (r >= 0)
                r = sd_bus_message_enter_container(reply, 'a', "(ssssssouso)");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(reply, "(ssssssouso)", &name, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                                        NULL, NULL)) > 0)
                if (strv_extend(&l, name) < 0)
                        return -ENOMEM;
        if (r < 0)
                return r;
        *ret = TAKE_PTR(l);
        return 0;
}

/* A controller that still holds the project's lock but does not answer: SIGTERM (it shuts the project down
 * itself), and with force SIGKILL when it has not let go within a few seconds. */
static void end_stuck_controller(const char *dir, bool force) {
        _cleanup_(state_file_done) StateFile s = {};
        usec_t deadline;

        if (state_file_is_locked(dir) <= 0 || state_file_read(dir, &s, NULL) < 0 || s.controller_pid <= 1)
                return;
        fprintf(stderr, "pcctl: the controller (PID %d) holds the project but does not answer; %s it\n",
                (int) s.controller_pid, force ? "killing" : "stopping");
        (void) kill(s.controller_pid, force ? SIGKILL : SIGTERM);
        deadline = now_usec(CLOCK_MONOTONIC) + CONTROLLER_EXIT_WAIT_USEC * (force ? 1 : 20);
        while (state_file_is_locked(dir) > 0 && now_usec(CLOCK_MONOTONIC) < deadline)
                sleep_usec(50 * USEC_PER_MSEC);
}

static bool unit_is_loaded(sd_bus *bus, const char *unit) {
        _cleanup_free_ char *path = NULL, *load = NULL, *active = NULL;

        if (sd_bus_path_encode("/org/freedesktop/systemd1/unit", unit, &path) < 0 ||
            sd_bus_get_property_string(bus, "org.freedesktop.systemd1", path, "org.freedesktop.systemd1.Unit",
                                       "LoadState", NULL, &load) < 0 ||
            sd_bus_get_property_string(bus, "org.freedesktop.systemd1", path, "org.freedesktop.systemd1.Unit",
                                       "ActiveState", NULL, &active) < 0)
                return false;
        return streq(load, "loaded") && !streq(active, "inactive");
}

/* Is there anything of the project left: a unit, a controller, a state file? */
static bool project_has_anything(sd_bus *bus, const char *dir, const char *controller, const char *slice,
                                 const char *pattern) {
        _cleanup_strv_free_ char **units = NULL;
        _cleanup_free_ char *path = NULL;

        if (list_units(bus, pattern, &units) >= 0 && units)
                return true;
        if (unit_is_loaded(bus, controller) || unit_is_loaded(bus, slice))
                return true;
        if (dir && (state_file_is_locked(dir) > 0 ||
                    (asprintf(&path, "%s/" STATE_FILE_NAME, dir) >= 0 && access(path, F_OK) >= 0)))
                return true;
        return false;
}

int down_via_systemd(const ClientOptions *o, bool force) {
        _cleanup_(compose_project_freep) ComposeProject *project = NULL;
        _cleanup_(compose_load_options_done) ComposeLoadOptions lo = {};
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        _cleanup_(unit_driver_freep) UnitDriver *driver = NULL;
        _cleanup_free_ char *name = NULL, *dir = NULL, *esc = NULL, *controller = NULL, *slice = NULL,
                *pattern = NULL;
        _cleanup_free_ ComposeProcess **order = NULL;
        _cleanup_strv_free_ char **units = NULL;
        ComposeError err = {};
        sd_bus *bus;
        unsigned n_stopped = 0;
        int r;

        /* the project: the configuration at hand, else the state file that names the API address */
        compose_load_options_init(&lo);
        if (compose_load_options_from_env(&lo, NULL) >= 0 && compose_load(&lo, &project, &err) >= 0 &&
            project->project_name)
                name = strdup(project->project_name);
        compose_error_done(&err);
        if (!name && find_project_by_address(o, &name) < 0)
                return -ESRCH;
        if (!name)
                return -ENOMEM;

        if (state_file_dir(NULL, name, &dir) >= 0)
                end_stuck_controller(dir, force);

        r = sd_event_default(&event);
        if (r >= 0)
                r = unit_driver_new(event, UNIT_MANAGER_USER, &driver);
        if (r < 0) {
                _cleanup_free_ char *msg = NULL;
                if (unit_driver_unreachable_message(UNIT_MANAGER_USER, r, &msg) >= 0)
                        fprintf(stderr, "pcctl: %s\n", msg);
                return -ENOTCONN;
        }
        bus = unit_driver_get_bus(driver);

        if (unit_name_escape(name, &esc) < 0 || asprintf(&controller, "pcctl-%s.service", esc) < 0 ||
            unit_name_for_slice(name, &slice) < 0 || unit_name_project_pattern(name, &pattern) < 0)
                return -ENOMEM;
        if (!project_has_anything(bus, dir, controller, slice, pattern))
                return -ESRCH;
        fprintf(stderr, "pcctl: no controller answers; stopping project %s through systemd\n", name);

        /* a detached controller: its stop shuts the project down in order, as `down` through the API would */
        r = stop_and_wait(bus, controller, UNIT_STOP_WAIT_USEC);
        if (r < 0)
                fprintf(stderr, "pcctl: cannot stop %s: %s\n", controller, strerror(-r));
        reset_failed(bus, controller);

        /* the timers of scheduled processes first: they would start their services again */
        {
                _cleanup_strv_free_ char **timers = NULL;
                _cleanup_free_ char *timer_pattern = NULL;

                if (asprintf(&timer_pattern, "%s.timer", pattern) >= 0 && list_units(bus, timer_pattern, &timers) >= 0)
                        STRV_FOREACH(t, timers) {
                                r = stop_and_wait(bus, *t, UNIT_STOP_WAIT_USEC);
                                if (r < 0)
                                        fprintf(stderr, "pcctl: cannot stop %s: %s\n", *t, strerror(-r));
                        }
        }

        /* dependents before their dependencies */
        if (project && compose_topological_order(project, &order) >= 0)
                for (size_t i = project->n_processes; i > 0; i--) {
                        _cleanup_free_ char *unit = NULL;

                        if (unit_name_for_process(name, order[i - 1]->name, &unit) < 0)
                                continue;
                        run_shutdown_command(bus, project, order[i - 1], slice, unit);
                        r = stop_and_wait(bus, unit, UNIT_STOP_WAIT_USEC);
                        if (r < 0)
                                fprintf(stderr, "pcctl: cannot stop %s: %s\n", unit, strerror(-r));
                        else
                                n_stopped++;
                }

        /* then the rest of the slice (replicas scaled up, units of an older configuration) */
        r = stop_and_wait(bus, slice, UNIT_STOP_WAIT_USEC);
        if (r < 0)
                fprintf(stderr, "pcctl: cannot stop %s: %s\n", slice, strerror(-r));
        if (list_units(bus, pattern, &units) >= 0)
                STRV_FOREACH(u, units) {
                        (void) stop_and_wait(bus, *u, UNIT_STOP_WAIT_USEC);
                        reset_failed(bus, *u);
                }
        if (dir) {
                int fd;

                (void) state_file_remove(dir);
                /* and the project's lock directory, unless a controller came up meanwhile */
                fd = state_file_lock(dir);
                if (fd >= 0)
                        (void) state_file_unlock(dir, fd);
        }
        return r < 0 ? r : 0;
}
