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
        bool accounting;                 /* MemoryAccounting=yes, CPUAccounting=yes: the API's mem and cpu */
        /* ExecStopPostEx= (failure ignored, no $VAR expansion): runs when the main process has ended, for
         * whatever reason, with systemd's $EXIT_CODE and $EXIT_STATUS. NULL: none. */
        char **exec_stop_post;
        const UnitExtraProperty *extra;  /* x-systemd, validated by unit-xprops */
        size_t n_extra;
        /* `pcctl run`'s foreground process: its stdin, stdout and stderr are these three fds of the caller
         * (Standard{Input,Output,Error}FileDescriptor=, as systemd-run --pipe), not the journal. NULL: none. */
        const int *stdio_fds;
        /* is_tty / is_interactive: stdin, stdout and stderr are a terminal pcctl opened, not the journal; the
         * caller fills tty_path, and tty_fd for a unit that pcctl starts itself: TTYPath= and the
         * Standard*FileDescriptor= of tty_fd (a terminal for this run only: systemd releases the fds when
         * the unit goes inactive). tty_fd < 0: systemd opens tty_path for every run (TTYPath= with
         * Standard{Input,Output,Error}=tty-fail/tty), as the runs a timer starts need it. */
        bool tty;
        const char *tty_path;
        int tty_fd;
        /* The detached controller (up -D) only: FileDescriptorStoreMax= with NotifyAccess=main, where it
         * keeps the terminals of interactive processes, and Restart=on-abnormal, so that a crash or a kill -9
         * restarts it with them (the store lives as long as the unit is not stopped). */
        unsigned fd_store_max;
        bool restart_on_abnormal;
        /* The launcher of a scheduled process with max_concurrent above 1 (docs/units.md §3.0): Type=oneshot
         * instead of exec, and After= its instances, which keeps them loaded while they do not run. */
        bool oneshot;
        char **after;
} UnitSpec;

/* A timer that starts the service of the same name (".timer" for ".service"). At least one of on_calendar,
 * has_on_active, on_unit_active. Persistent= is off: a new timer does not make up for runs missed before it. */
typedef struct UnitTimerSpec {
        const char *unit;                /* "pcctl-<project>-<process>.timer" */
        const char *description;
        char **on_calendar;              /* OnCalendar= values, or NULL */
        bool has_on_active;
        usec_t on_active;                /* OnActiveSec=: from the timer's start (0: at once) */
        usec_t on_unit_active;           /* OnUnitActiveSec=: from the service's last start; 0: none */
        usec_t accuracy;                 /* AccuracySec= (0: 1 µs) */
} UnitTimerSpec;

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
         * the property or the manager's text. exit is set when the job failed after the unit ran.
         *
         * Error values: -errno from the D-Bus error (sd_bus_error_get_errno(), e.g. -EINVAL for InvalidArgs,
         * -EEXIST for UnitExists), -ENOENT for exit 200/CHDIR, -ENOEXEC for 203/EXEC, -EPERM for 216/217,
         * -ECANCELED when the start job was cancelled (a stop while starting), -ETIMEDOUT, -EIO otherwise. */
        void (*start_failed)(UnitWatch *w, int error, const char *message, const UnitExit *exit,
                             void *userdata);
        /* The main process exited (ExecMainCode/ExecMainStatus: exit->code and exit->status), at most once
         * per run, after started() and before exited(). With ExitType=cgroup (is_daemon) the unit stays
         * active after it, until its cgroup is empty. Optional (NULL). */
        void (*main_exited)(UnitWatch *w, const UnitExit *exit, void *userdata);
        /* The run is over: the unit went inactive or failed. Always after started(). */
        void (*exited)(UnitWatch *w, const UnitExit *exit, void *userdata);
} UnitEvents;

/* Completion of a stop, reset-failed or slice stop: error 0, or -errno from the manager's answer (NoSuchUnit
 * included). A call with a completion logs nothing: the caller decides whether the error matters; one
 * without logs a warning for errors other than NoSuchUnit. */
typedef void (*UnitDoneFunc)(UnitDriver *d, int error, void *userdata);

/* Connects to the manager of scope: one synchronous round trip (5 s timeout), so an unreachable manager is
 * reported at once; everything after is asynchronous. Do not free the driver from inside a callback. */
int unit_driver_new(sd_event *event, UnitManagerScope scope, UnitDriver **ret);
UnitDriver *unit_driver_free(UnitDriver *d);
DEFINE_TRIVIAL_CLEANUP_FUNC(UnitDriver *, unit_driver_free);
/* True when connected over the private socket (no bus daemon; AddRef is refused there). */
bool unit_driver_is_private_socket(UnitDriver *d);
/* The connection, for the synchronous calls of a command-line tool (cli/down-systemd.c). The controller
 * (core/) does not use it: its calls go through the functions below. */
sd_bus *unit_driver_get_bus(UnitDriver *d);
/* The message to print when unit_driver_new() failed with error: names the socket tried and says how to
 * get a manager (the sandbox script, or a systemd login session). */
int unit_driver_unreachable_message(UnitManagerScope scope, int error, char **ret);
/* The manager's private socket for scope ($XDG_RUNTIME_DIR/systemd/private or /run/systemd/private);
 * -ENXIO when $XDG_RUNTIME_DIR is unset or relative. */
int unit_manager_private_socket(UnitManagerScope scope, char **ret);

/* Watches one unit by name; its events are delivered until the watch is freed. One live watch per unit
 * name (-EEXIST otherwise). A watch may be freed from inside its own callbacks; it gets no further events. */
int unit_watch_new(UnitDriver *d, const char *unit, const UnitEvents *events, void *userdata,
                   UnitWatch **ret);
UnitWatch *unit_watch_free(UnitWatch *w);
DEFINE_TRIVIAL_CLEANUP_FUNC(UnitWatch *, unit_watch_free);
const char *unit_watch_get_unit(const UnitWatch *w);
void *unit_watch_get_userdata(const UnitWatch *w);

/* ResetFailedUnit (NoSuchUnit ignored) then StartTransientUnit(spec, "fail"). Errors show up as
 * start_failed(); a negative return means the call could not even be queued: -EBUSY while a start of the
 * watch is in flight or its run has not ended, -EINVAL for a spec unit_spec_validate() refuses. A stop while
 * the start job is queued gives start_failed(-ECANCELED). A start the manager does not answer within 120 s
 * fails with NoReply, and a StopUnit is queued behind it. */
int unit_driver_start(UnitDriver *d, UnitWatch *w, const UnitSpec *spec);
/* Re-attaching to a unit that outlives pcctl: after unit_watch_new(), reads its state once. A running unit
 * gets started() (then exited() when it ends, as for a start of ours); a unit already inactive or failed
 * gets started() and exited() at once, with the exit data the manager kept; a unit that is not loaded gets
 * start_failed(-ENOENT). */
int unit_driver_adopt(UnitDriver *d, UnitWatch *w);

/* ResetFailedUnit of each service, then one StartTransientUnit(timer, "fail") that defines the services as
 * its auxiliary units (as `systemd-run --on-calendar` does with one). services[0] is the service the timer
 * starts (the timer's name with ".service"); further ones are units that service starts (the instances of
 * a max_concurrent schedule). done (optional) gets the manager's answer. */
int unit_driver_start_timer(UnitDriver *d, const UnitTimerSpec *timer, const UnitSpec *services, size_t n_services,
                            UnitDoneFunc done, void *userdata);
/* The runs of a unit its timer starts are reported on w too (see unit_run_set_triggered()): started, then
 * exited, as for an adoption. Runs that started before since (realtime µs) are not. */
void unit_watch_set_triggered(UnitWatch *w, bool triggered, usec_t since);

/* StopUnit(unit, "replace"): honours KillSignal, TimeoutStopUSec, SendSIGKILL. done (optional) runs once
 * the manager answered. */
int unit_driver_stop(UnitDriver *d, const char *unit, UnitDoneFunc done, void *userdata);
/* StartUnit(unit, "replace") of a loaded unit (a scheduled process's service, run now). */
int unit_driver_start_unit(UnitDriver *d, const char *unit, UnitDoneFunc done, void *userdata);
/* RestartUnit(unit, "replace") of a loaded unit: a run in progress is stopped, then the unit starts again. */
int unit_driver_restart_unit(UnitDriver *d, const char *unit, UnitDoneFunc done, void *userdata);
/* KillUnit(unit, "all"|"main", sig). */
int unit_driver_kill(UnitDriver *d, const char *unit, bool main_only, int sig);
/* Stops a whole slice (the end of `up`, the emergency sweep of a second SIGINT, `down`). */
int unit_driver_stop_slice(UnitDriver *d, const char *slice, UnitDoneFunc done, void *userdata);
/* ResetFailedUnit(unit): frees the name of a failed unit (the end of `up`, a renamed replica, `down`). */
int unit_driver_reset_failed(UnitDriver *d, const char *unit, UnitDoneFunc done, void *userdata);

void unit_exit_done(UnitExit *e);

/* Escapes one name part with systemd's unit_name_escape() rules ("my-proj" -> "my\x2dproj"). */
int unit_name_escape(const char *s, char **ret);
/* Inverse of unit_name_escape(); -EINVAL for a malformed "\x" sequence. */
int unit_name_unescape(const char *s, char **ret);
/* "pcctl-<esc project>-<esc process>.service"; fails with -ENAMETOOLONG over 255 bytes. */
int unit_name_for_process(const char *project, const char *process, char **ret);
/* "pcctl-<esc project>.slice" */
int unit_name_for_slice(const char *project, char **ret);
/* "pcctl-<esc project>-*", the ListUnitsByPatterns pattern of a project's units. */
int unit_name_project_pattern(const char *project, char **ret);
/* systemd's syntax for a full unit name ("prefix[@instance].type", at most 255 bytes). */
bool unit_name_is_valid(const char *name);
/* The unit's D-Bus object path ("/org/freedesktop/systemd1/unit/<escaped name>"). */
int unit_path_for_unit(const char *unit, char **ret);

/* One entry of ListUnitsByPatterns. The strings live until the handler returns. */
typedef struct UnitListEntry {
        const char *name;
        const char *description;
        const char *load_state;
        const char *active_state;        /* "active", "failed", "inactive", "activating", ... */
        const char *sub_state;
} UnitListEntry;
typedef void (*UnitListHandler)(UnitDriver *d, int error, const UnitListEntry *units, size_t n_units,
                                void *userdata);
/* A call in flight (unit_driver_list(), unit_driver_read()), for its caller to cancel. */
typedef struct UnitCall UnitCall;
/* Cancels the call (its handler does not run) and frees the handle; NULL is fine. Returns NULL. */
UnitCall *unit_call_cancel(UnitCall *c);

/* ListUnitsByPatterns([], [pattern]), e.g. "pcctl-<esc project>-*" (see unit_name_project_pattern()).
 * With ret_call NULL the call is floating; otherwise unit_call_cancel() cancels it. The handler is not
 * called if the driver is freed first. */
int unit_driver_list(UnitDriver *d, const char *pattern, UnitListHandler handler, void *userdata,
                     UnitCall **ret_call);

/* A loaded unit's state and Service properties, read once. Strings live until the handler returns. */
typedef struct UnitSnapshot {
        const char *load_state;
        const char *active_state;
        const char *sub_state;
        pid_t main_pid;                  /* 0 when not running */
        UnitExit exit;                   /* ExecMain*, Result of the last run; exit.result is borrowed */
        usec_t next_elapse_realtime;     /* a timer: NextElapseUSecRealtime (0: none) */
        usec_t next_elapse_monotonic;    /* ... NextElapseUSecMonotonic (0: none) */
        usec_t last_trigger;             /* ... LastTriggerUSec, realtime (0: never) */
} UnitSnapshot;
typedef void (*UnitReadHandler)(UnitDriver *d, int error, const UnitSnapshot *s, void *userdata);
/* GetAll of the unit; error -ENOENT when it is not loaded (garbage-collected or never created). */
int unit_driver_read(UnitDriver *d, const char *unit, UnitReadHandler handler, void *userdata,
                     UnitCall **ret_call);

/* Resource usage of a running unit, as systemd's MemoryCurrent and CPUUsageNSec (unit-stats.h). */
typedef struct UnitStats {
        uint64_t memory_bytes;           /* UINT64_MAX: not available */
        uint64_t cpu_nsec;               /* CPU time used since the unit started; UINT64_MAX: not available */
} UnitStats;
/* From the unit's cgroup files, without a bus call. Returns 0 when both values were read; -ENODATA when the
 * unit's cgroup is not known yet (unit_driver_read_stats() learns it) or a file is missing, with what could
 * be read set in *ret and the rest UINT64_MAX. */
int unit_watch_read_stats(UnitWatch *w, UnitStats *ret);

/* One unit's answer to unit_driver_read_stats(); unit lives until the handler returns. */
typedef struct UnitStatsEntry {
        const char *unit;
        UnitStats stats;
} UnitStatsEntry;
typedef void (*UnitStatsHandler)(UnitDriver *d, const UnitStatsEntry *entries, size_t n, void *userdata);
typedef struct UnitStatsCall UnitStatsCall;
/* Asks the manager for MemoryCurrent, CPUUsageNSec and ControlGroup of n units at once (pipelined
 * Properties.Get calls, 5 s timeout), and remembers each watched unit's ControlGroup for
 * unit_watch_read_stats(). The handler runs once, after the last answer, with the entries in the order of
 * units; a value the manager does not have (accounting off, unit gone, error) is UINT64_MAX. The call is
 * freed after the handler returned: forget *ret_call then. */
int unit_driver_read_stats(UnitDriver *d, char * const *units, size_t n, UnitStatsHandler handler,
                           void *userdata, UnitStatsCall **ret_call);
/* Cancels the call (its handler does not run); NULL is fine. Returns NULL. */
UnitStatsCall *unit_stats_call_cancel(UnitStatsCall *c);

const char *unit_kill_mode_to_string(UnitKillMode m);
/* 0, or -EINVAL with *ret_field naming the first bad field (for x-systemd, the bad key; unit_xprop_validate()
 * gives the full message) (limits: argv 4096 items, environment 8192,
 * x-systemd UNIT_XPROPS_MAX (64), any string 256 KiB). */
int unit_spec_validate(const UnitSpec *spec, const char **ret_field);
/* The a(sv) of a timer (pure; see docs/units.md). */
int unit_timer_spec_append_properties(sd_bus_message *m, const UnitTimerSpec *t);
/* Appends the a(sv) property array of StartTransientUnit for spec to m (pure; see docs/units.md). */
int unit_spec_append_properties(sd_bus_message *m, const UnitSpec *spec);
/* systemd's own exit codes (200..245): "CHDIR", "EXEC", ...; NULL for other values. */
const char *unit_exit_status_to_string(int status, const char **ret_description);
int unit_exit_status_to_errno(int status);
