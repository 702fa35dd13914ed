/* The systemd side of pcctl: one sd-bus connection to a service manager (user manager by default, over its
 * private socket), asynchronous unit control, and the watch that turns JobRemoved / PropertiesChanged
 * signals into per-unit events.
 *
 * Everything is asynchronous on the caller's sd-event loop: unit_driver_start() queues ResetFailedUnit +
 * StartTransientUnit (pipelined; many starts can be in flight) and returns at once. The signal matches are
 * installed when the driver is created, before any start, so a unit that exits at once is never missed
 * (systemd-notes §0.2 item 3). Results come back through the UnitEvents of the unit's UnitWatch. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "shared/macro.h"
#include "shared/time-util.h"

typedef struct UnitDriver UnitDriver;
typedef struct UnitWatch UnitWatch;

typedef enum UnitManagerScope {
        UNIT_MANAGER_USER,       /* $XDG_RUNTIME_DIR/systemd/private, else the user bus */
        UNIT_MANAGER_SYSTEM,     /* /run/systemd/private as root, else the system bus */
        _UNIT_MANAGER_SCOPE_MAX,
        _UNIT_MANAGER_SCOPE_INVALID = -EINVAL,
} UnitManagerScope;

typedef enum UnitKillMode {
        UNIT_KILL_CONTROL_GROUP, /* every process of the unit's cgroup (process-compose's group kill) */
        UNIT_KILL_MIXED,         /* main process first (shutdown.parent_only), SIGKILL for the rest */
        _UNIT_KILL_MODE_MAX,
        _UNIT_KILL_MODE_INVALID = -EINVAL,
} UnitKillMode;

/* One extra property from the x-systemd map, appended as "Key=Value" in systemd's unit-file syntax. */
typedef struct UnitExtraProperty {
        const char *key;
        const char *value;
} UnitExtraProperty;

/* What StartTransientUnit gets. Type=exec, ExecStartEx with no-env-expand, StartLimitIntervalUSec=0 and
 * IgnoreSIGPIPE=no are always set; Restart= is never used (pcctl owns restarts). */
typedef struct UnitSpec {
        const char *unit;                /* "pcctl-<project>-<process>.service" */
        const char *slice;               /* "pcctl-<project>.slice" */
        const char *description;
        const char *syslog_identifier;   /* unique per process */
        char **argv;                     /* argv[0]: absolute, or a name looked up in the unit's PATH */
        char **environment;              /* the full environment ("K=V"); units inherit nothing else */
        const char *working_directory;   /* absolute */
        int kill_signal;                 /* shutdown.signal, default SIGTERM */
        usec_t timeout_stop;             /* then SIGKILL; USEC_INFINITY: never */
        bool send_sigkill;
        UnitKillMode kill_mode;
        bool exit_type_cgroup;           /* ExitType=cgroup (is_daemon: active until the cgroup is empty) */
        const UnitExtraProperty *extra;  /* x-systemd, validated by unit-xprops */
        size_t n_extra;
} UnitSpec;

/* How a run of a unit ended (from the Service interface's PropertiesChanged). */
typedef struct UnitExit {
        int code;                        /* CLD_EXITED, CLD_KILLED, CLD_DUMPED; 0 if it never ran */
        int status;                      /* exit status, or the signal number for CLD_KILLED/DUMPED */
        char *result;                    /* "success", "exit-code", "signal", "timeout", ... */
        pid_t pid;                       /* ExecMainPID */
        usec_t start_timestamp;          /* ExecMainStartTimestamp, realtime µs */
        usec_t exit_timestamp;           /* ExecMainExitTimestamp, realtime µs */
} UnitExit;

typedef struct UnitEvents {
        /* The start job finished with "done": the process runs (Type=exec: it has exec'd). */
        void (*started)(UnitWatch *w, pid_t main_pid, usec_t start_timestamp, void *userdata);
        /* StartTransientUnit failed (D-Bus error) or the start job failed (missing WorkingDirectory: exit
         * 200/CHDIR; exec failure: 203/EXEC). error is -errno; message names the unit and, for D-Bus errors,
         * the property or the manager's text. exit is set when the job failed after the unit ran. */
        void (*start_failed)(UnitWatch *w, int error, const char *message, const UnitExit *exit,
                             void *userdata);
        /* The run is over: the unit went inactive or failed. Always after started(). */
        void (*exited)(UnitWatch *w, const UnitExit *exit, void *userdata);
} UnitEvents;

int unit_driver_new(sd_event *event, UnitManagerScope scope, UnitDriver **ret);
UnitDriver *unit_driver_free(UnitDriver *d);
DEFINE_TRIVIAL_CLEANUP_FUNC(UnitDriver *, unit_driver_free);
sd_bus *unit_driver_get_bus(UnitDriver *d);

/* Watches one unit by name. Events for the unit are delivered until the watch is freed. */
int unit_watch_new(UnitDriver *d, const char *unit, const UnitEvents *events, void *userdata,
                   UnitWatch **ret);
UnitWatch *unit_watch_free(UnitWatch *w);
DEFINE_TRIVIAL_CLEANUP_FUNC(UnitWatch *, unit_watch_free);
const char *unit_watch_get_unit(const UnitWatch *w);

/* ResetFailedUnit (NoSuchUnit ignored) then StartTransientUnit(spec, "fail"). Errors show up as
 * start_failed(); a negative return means the call could not even be queued. */
int unit_driver_start(UnitDriver *d, UnitWatch *w, const UnitSpec *spec);
/* StopUnit(unit, "replace"): honours KillSignal, TimeoutStopUSec, SendSIGKILL. */
int unit_driver_stop(UnitDriver *d, const char *unit);
/* KillUnit(unit, "all"|"main", sig). */
int unit_driver_kill(UnitDriver *d, const char *unit, bool main_only, int sig);
/* Stops a whole slice (the emergency sweep of a second SIGINT, and of `down`). */
int unit_driver_stop_slice(UnitDriver *d, const char *slice);

void unit_exit_done(UnitExit *e);

/* Escapes one name part with systemd's unit_name_escape() rules ("my-proj" -> "my\x2dproj"). */
int unit_name_escape(const char *s, char **ret);
/* "pcctl-<esc project>-<esc process>.service"; fails with -ENAMETOOLONG over 255 bytes. */
int unit_name_for_process(const char *project, const char *process, char **ret);
/* "pcctl-<esc project>.slice" */
int unit_name_for_slice(const char *project, char **ret);
