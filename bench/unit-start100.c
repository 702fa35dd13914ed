/* Start N `sleep 600` units until all are running, one way per invocation:
 *
 *   unit-start100 raw    N PROJECT [-- ARGV...]  pipelined StartTransientUnit calls with sd-bus directly (the
 *                                                 baseline); ARGV replaces /bin/sleep 600, "{ident}" in it
 *                                                 becomes the unit's SyslogIdentifier (to start exactly the
 *                                                 command line `pcctl up` gives its units)
 *   unit-start100 driver N PROJECT   pcctl's unit driver (ResetFailedUnit + StartTransientUnit, watches)
 *
 * Both send the same properties (those of docs/units.md, with this process's environment) to units named
 * pcctl-PROJECT-sN.service in pcctl-PROJECT.slice, and stop the clock when every start job is done.
 * Prints "<mode> <N> <seconds>". The units are left running: bench/unit-start100.sh stops the slice. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "shared/macro.h"
#include "shared/strv.h"
#include "shared/time-util.h"
#include "unit/unit-driver.h"

extern char **environ;

static unsigned n_units, n_done, n_failed;
static char **job_paths;
static char **raw_argv;              /* NULL: /bin/sleep 600 */

static char *unit_of(const char *project, unsigned i) {
        char proc[32];
        char *u;

        snprintf(proc, sizeof proc, "s%u", i);
        if (unit_name_for_process(project, proc, &u) < 0)
                abort();
        return u;
}

/* ---- raw sd-bus ------------------------------------------------------------------------------------- */

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *e) {
        const char *job, *unit, *result;
        uint32_t id;

        if (sd_bus_message_read(m, "uoss", &id, &job, &unit, &result) < 0)
                return 0;
        for (unsigned i = 0; i < n_units; i++)
                if (job_paths[i] && streq(job_paths[i], job)) {
                        if (streq(result, "done"))
                                n_done++;
                        else
                                n_failed++;
                        job_paths[i] = mfree(job_paths[i]);
                }
        return 0;
}

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *e) {
        unsigned i = (unsigned) (uintptr_t) userdata;
        const char *job;

        if (sd_bus_message_is_method_error(m, NULL) || sd_bus_message_read(m, "o", &job) < 0) {
                fprintf(stderr, "start %u: %s\n", i, sd_bus_message_get_error(m) ? sd_bus_message_get_error(m)->message : "?");
                n_failed++;
                return 0;
        }
        job_paths[i] = strdup(job);
        return 0;
}

static int append_raw(sd_bus_message *m, const char *unit, const char *slice) {
        char *sleep_argv[] = { (char *) "/bin/sleep", (char *) "600", NULL };
        _cleanup_free_ char *ident = strndup(unit, strlen(unit) - STRLEN(".service"));
        _cleanup_strv_free_ char **own = NULL;
        char **argv = sleep_argv;
        int r;

        if (!ident)
                return -ENOMEM;
        if (raw_argv) {
                own = strv_copy(raw_argv);
                if (!own)
                        return -ENOMEM;
                for (size_t k = 0; own[k]; k++)
                        if (streq(own[k], "{ident}") && free_and_strdup(&own[k], ident) < 0)
                                return -ENOMEM;
                argv = own;
        }

        r = sd_bus_message_append(m, "ss", unit, "fail");
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(m, 'a', "(sv)");
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "(sv)(sv)(sv)(sv)(sv)(sv)(sv)(sv)(sv)(sv)(sv)",
                                  "Description", "s", "bench",
                                  "Slice", "s", slice,
                                  "Type", "s", "exec",
                                  "WorkingDirectory", "s", "/",
                                  "SyslogIdentifier", "s", ident,
                                  "KillMode", "s", "control-group",
                                  "KillSignal", "i", SIGTERM,
                                  "TimeoutStopUSec", "t", (uint64_t) 10 * USEC_PER_SEC,
                                  "SendSIGKILL", "b", 1,
                                  "StartLimitIntervalUSec", "t", (uint64_t) 0,
                                  "IgnoreSIGPIPE", "b", 0);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(m, 'r', "sv");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", "Environment");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'v', "as");
        if (r >= 0)
                r = sd_bus_message_append_strv(m, environ);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'r', "sv");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", "ExecStartEx");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'v', "a(sasas)");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "(sasas)");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'r', "sasas");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", argv[0]);
        if (r >= 0)
                r = sd_bus_message_append_strv(m, argv);
        if (r >= 0)
                r = sd_bus_message_append(m, "as", 1, "no-env-expand");
        for (unsigned k = 0; k < 5 && r >= 0; k++)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_message_append(m, "a(sa(sv))", 0);
        return r;
}

static int run_raw(const char *project, const char *slice) {
        _cleanup_free_ char *address = NULL;
        sd_bus *bus = NULL;
        usec_t t0;
        int r;

        if (asprintf(&address, "unix:path=%s/systemd/private", getenv("XDG_RUNTIME_DIR") ?: "/run/user/0") < 0)
                return -ENOMEM;
        r = sd_bus_new(&bus);
        if (r >= 0)
                r = sd_bus_set_address(bus, address);
        if (r >= 0)
                r = sd_bus_start(bus);
        if (r < 0)
                return r;
        r = sd_bus_match_signal(bus, NULL, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                "org.freedesktop.systemd1.Manager", "JobRemoved", on_job_removed, NULL);
        if (r < 0)
                return r;

        t0 = now_usec(CLOCK_MONOTONIC);
        for (unsigned i = 0; i < n_units; i++) {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
                _cleanup_free_ char *unit = unit_of(project, i);

                r = sd_bus_message_new_method_call(bus, &m, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                                   "org.freedesktop.systemd1.Manager", "StartTransientUnit");
                if (r >= 0)
                        r = append_raw(m, unit, slice);
                if (r >= 0)
                        r = sd_bus_call_async(bus, NULL, m, on_reply, (void *) (uintptr_t) i, 0);
                if (r < 0)
                        return r;
        }
        while (n_done + n_failed < n_units) {
                r = sd_bus_process(bus, NULL);
                if (r < 0)
                        return r;
                if (r == 0)
                        (void) sd_bus_wait(bus, UINT64_MAX);
        }
        printf("raw %u %.3f\n", n_units, (double) (now_usec(CLOCK_MONOTONIC) - t0) / USEC_PER_SEC);
        sd_bus_flush_close_unref(bus);
        return n_failed > 0 ? -EIO : 0;
}

/* ---- pcctl's driver --------------------------------------------------------------------------------- */

static void on_started(UnitWatch *w, pid_t pid, usec_t ts, void *userdata) {
        n_done++;
}

static void on_start_failed(UnitWatch *w, int error, const char *message, const UnitExit *e, void *userdata) {
        fprintf(stderr, "%s\n", message);
        n_failed++;
}

static void on_exited(UnitWatch *w, const UnitExit *e, void *userdata) {
}

static int run_driver(const char *project, const char *slice) {
        static const UnitEvents events = { on_started, on_start_failed, on_exited };
        char *argv[] = { (char *) "/bin/sleep", (char *) "600", NULL };
        UnitWatch **watches = calloc(n_units, sizeof(UnitWatch *));
        char **units = calloc(n_units + 1, sizeof(char *)), **idents = calloc(n_units + 1, sizeof(char *));
        UnitDriver *d = NULL;
        sd_event *e = NULL;
        usec_t t0;
        int r;

        if (!watches || !units || !idents)
                return -ENOMEM;
        r = sd_event_default(&e);
        if (r < 0)
                return r;
        r = unit_driver_new(e, UNIT_MANAGER_USER, &d);
        if (r < 0)
                return r;

        t0 = now_usec(CLOCK_MONOTONIC);
        for (unsigned i = 0; i < n_units; i++) {
                UnitSpec spec;

                units[i] = unit_of(project, i);
                idents[i] = strndup(units[i], strlen(units[i]) - STRLEN(".service"));
                spec = (UnitSpec) {
                        .unit = units[i],
                        .slice = slice,
                        .description = "bench",
                        .syslog_identifier = idents[i],
                        .argv = argv,
                        .environment = environ,
                        .working_directory = "/",
                        .kill_signal = SIGTERM,
                        .timeout_stop = 10 * USEC_PER_SEC,
                        .send_sigkill = true,
                        .kill_mode = UNIT_KILL_CONTROL_GROUP,
                };
                r = unit_watch_new(d, units[i], &events, NULL, &watches[i]);
                if (r >= 0)
                        r = unit_driver_start(d, watches[i], &spec);
                if (r < 0)
                        return r;
        }
        while (n_done + n_failed < n_units) {
                r = sd_event_run(e, UINT64_MAX);
                if (r < 0)
                        return r;
        }
        printf("driver %u %.3f\n", n_units, (double) (now_usec(CLOCK_MONOTONIC) - t0) / USEC_PER_SEC);

        for (unsigned i = 0; i < n_units; i++)
                unit_watch_free(watches[i]);
        unit_driver_free(d);
        sd_event_unref(e);
        strv_free(units);
        strv_free(idents);
        free(watches);
        return n_failed > 0 ? -EIO : 0;
}

int main(int argc, char **argv) {
        _cleanup_free_ char *slice = NULL;
        int r;

        if (argc > 5 && streq(argv[1], "raw") && streq(argv[4], "--"))
                raw_argv = argv + 5;
        else if (argc != 4) {
                fprintf(stderr, "usage: %s raw N PROJECT [-- ARGV...] | driver N PROJECT\n", argv[0]);
                return 2;
        }
        n_units = (unsigned) atoi(argv[2]);
        if (n_units == 0 || n_units > 10000 || unit_name_for_slice(argv[3], &slice) < 0)
                return 2;
        job_paths = calloc(n_units, sizeof(char *));
        if (!job_paths)
                return 1;

        if (streq(argv[1], "raw"))
                r = run_raw(argv[3], slice);
        else if (streq(argv[1], "driver"))
                r = run_driver(argv[3], slice);
        else
                return 2;
        if (r < 0) {
                fprintf(stderr, "%s: %s\n", argv[1], strerror(-r));
                return 1;
        }
        free(job_paths);
        return 0;
}
