/* `pcctl up -D`: the controller itself as the transient unit pcctl-<project>.service. */
#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "cli/up-internal.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "shared/strv.h"
#include "unit/unit-driver.h"

/* A user manager dies at logout unless the user lingers: a detached project would die with it. Only on a
 * real systemd host (the sandbox's manager is not a login session's). */
static void warn_linger(void) {
        _cleanup_free_ char *path = NULL;
        struct passwd *pw;

        if (sd_booted() <= 0)
                return;
        pw = getpwuid(getuid());
        if (!pw || asprintf(&path, "/var/lib/systemd/linger/%s", pw->pw_name) < 0)
                return;
        if (access(path, F_OK) >= 0)
                return;
        fprintf(stderr, "pcctl: warning: lingering is off for user %s: the user manager, and this project with it, "
                "stops at logout. Turn it on with: loginctl enable-linger %s\n", pw->pw_name, pw->pw_name);
}

typedef struct DetachResult {
        bool done;
        int error;
        char *message;
} DetachResult;

static void detach_on_started(UnitWatch *w, pid_t main_pid, usec_t ts, void *userdata) {
        DetachResult *d = userdata;
        d->done = true;
}

static void detach_on_start_failed(UnitWatch *w, int error, const char *message, const UnitExit *exit,
                                   void *userdata) {
        DetachResult *d = userdata;
        d->done = true;
        d->error = error < 0 ? error : -EIO;
        d->message = message ? strdup(message) : NULL;
}

static void detach_on_exited(UnitWatch *w, const UnitExit *exit, void *userdata) {
        DetachResult *d = userdata;
        d->done = true;
        if (!d->error)
                d->error = -ECHILD;
}

/* -D: the controller itself runs as the transient unit pcctl-<project>.service (outside the project's slice,
 * its output in the journal), with this command line minus -D, in this directory and environment. */
int up_detach(int argc, char **argv, const char *self, const char *project, const UpArgs *a) {
        static const UnitEvents events = {
                .started = detach_on_started,
                .start_failed = detach_on_start_failed,
                .exited = detach_on_exited,
        };
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        _cleanup_(unit_driver_freep) UnitDriver *driver = NULL;
        _cleanup_(unit_watch_freep) UnitWatch *watch = NULL;
        _cleanup_strv_free_ char **args = NULL, **env = NULL;
        _cleanup_free_ char *esc = NULL, *unit = NULL, *wd = NULL, *dir = NULL, *api = NULL;
        DetachResult res = {};
        extern char **environ;
        UnitSpec spec;
        int r;

        r = state_file_dir(NULL, project, &dir);
        if (r >= 0 && state_file_is_locked(dir) > 0) {
                up_report_live_controller(project, dir);
                return -EBUSY;
        }
        if (unit_name_escape(project, &esc) < 0 || asprintf(&unit, "pcctl-%s.service", esc) < 0)
                return log_oom();
        /* options first: `up` stops at the first process name */
        if (strv_extend(&args, self) < 0 || strv_extend(&args, "up") < 0 || strv_extend(&args, "--tui=false") < 0)
                return log_oom();
        for (int i = 1, rest = 0; i < argc; i++) {
                rest = rest || streq(argv[i], "--");
                if (!rest && (streq(argv[i], "-D") || startswith(argv[i], "-D=") || streq(argv[i], "--detached") ||
                    startswith(argv[i], "--detached=")))
                        continue;
                if (strv_extend(&args, argv[i]) < 0)
                        return log_oom();
        }
        env = strv_copy(environ);
        wd = get_current_dir_name();
        if (!env || !wd)
                return log_oom();

        r = sd_event_default(&event);
        if (r < 0)
                return log_error_errno(r, "Cannot create the event loop: %m");
        r = unit_driver_new(event, a->system ? UNIT_MANAGER_SYSTEM : UNIT_MANAGER_USER, &driver);
        if (r < 0) {
                _cleanup_free_ char *msg = NULL;
                if (unit_driver_unreachable_message(a->system ? UNIT_MANAGER_SYSTEM : UNIT_MANAGER_USER, r,
                                                    &msg) >= 0)
                        log_error("%s", msg);
                return r;
        }
        r = unit_watch_new(driver, unit, &events, &res, &watch);
        if (r < 0)
                return log_error_errno(r, "Cannot watch %s: %m", unit);
        spec = (UnitSpec) {
                .unit = unit,
                .description = "pcctl controller",
                .syslog_identifier = unit,
                .argv = args,
                .environment = env,
                .working_directory = wd,
                .kill_signal = SIGTERM,
                /* SIGTERM shuts the project down first; that takes as long as the processes' shutdowns */
                .timeout_stop = 300 * USEC_PER_SEC,
                .send_sigkill = true,
                .kill_mode = UNIT_KILL_MIXED,
                /* the terminals of interactive processes outlive a crash of the controller
                 * (docs/lifecycle.md "Interactive processes") */
                .fd_store_max = 1024,
                .restart_on_abnormal = true,
        };
        r = unit_driver_start(driver, watch, &spec);
        if (r < 0)
                return log_error_errno(r, "Cannot start %s: %m", unit);
        while (!res.done) {
                r = sd_event_run(event, 30 * USEC_PER_SEC);
                if (r < 0)
                        return log_error_errno(r, "Event loop failed: %m");
                if (r == 0) {
                        log_error("The service manager did not start %s within 30 s.", unit);
                        return -ETIMEDOUT;
                }
        }
        if (res.error < 0) {
                log_error("Cannot start the controller as %s: %s", unit, res.message ?: strerror(-res.error));
                free(res.message);
                return res.error;
        }
        warn_linger();
        api = up_api_address(a);
        printf("Started the controller of project %s as %s (API %s). Stop it with 'pcctl down'; its own log: "
               "journalctl --user -u %s\n", project, unit, api ?: "disabled", unit);
        return 0;
}
