/* The process state machine: one explicit state per process and a pure reducer (compat §2.3, §2.5, §2.6).
 *
 * process_fsm_step() takes the state, one event and what it needs to know of the process and the project
 * (ProcFsmContext), and returns the next state and the actions the process must carry out: start or stop its
 * unit, run its shutdown.command, arm a timer, start or stop its probes, complete restart waiters, end the
 * project (exit_on_*). It allocates nothing, logs nothing and touches no I/O, so every ordering of events can
 * be tested from a table (tests/unit/test-process-fsm.c). The Proc (core/manager-process.c) holds a
 * ProcFsm, feeds it the events of its unit, timers, probes and the API, and carries out the actions; it
 * changes the state nowhere else, as systemd's service.c changes a service's state only in
 * service_set_state().
 *
 * The public status (Pending, Running, Terminating, ...) follows from the state alone, plus the config's
 * disabled and is_foreground flags for a process that does not run: process_fsm_status().
 *
 * docs/lifecycle.md has the diagram and the table of states with the status each one shows.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "compose/compose.h"
#include "core/lifecycle.h"
#include "core/process.h"

typedef enum ProcState {
        PROC_STATE_DORMANT,                  /* not wanted (yet): Pending, Disabled or Foreground */
        PROC_STATE_WAITING,                  /* wanted, waits for its dependencies */
        PROC_STATE_STARTING,                 /* the unit's start job is in flight (first run of an incarnation) */
        PROC_STATE_RUNNING,                  /* the process runs */
        PROC_STATE_LAUNCHING,                /* is_daemon: the starter runs */
        PROC_STATE_LAUNCHED,                 /* is_daemon: the starter exited successfully */
        PROC_STATE_BACKOFF,                  /* exited, automatic restart after backoff_seconds */
        PROC_STATE_RESTART_STARTING,         /* the start job of an automatic restart is in flight */
        PROC_STATE_STOP_DEFERRED,            /* stopped while starting, with a shutdown.command: run it once the
                                              * process runs */
        PROC_STATE_STOPPING,                 /* StopUnit issued (the unit's KillSignal, SIGKILL after its timeout) */
        PROC_STATE_STOPPING_COMMAND,         /* shutdown.command issued; SIGKILL when its timeout fires */
        PROC_STATE_RESTART_STOP_DEFERRED,    /* the three stops above, for an API restart: after the exit comes */
        PROC_STATE_RESTART_STOPPING,         /* RESTART_DELAY, not COMPLETED */
        PROC_STATE_RESTART_STOPPING_COMMAND,
        PROC_STATE_RESTART_DELAY,            /* API restart: the pause of backoff_seconds between stop and start */
        PROC_STATE_COMPLETED,                /* ended (any exit code) */
        PROC_STATE_SKIPPED,                  /* a dependency could not be met */
        PROC_STATE_ERROR,                    /* could not start */
        PROC_STATE_ADOPTING,                 /* a unit of this process was found at start: asking systemd about it */
        _PROC_STATE_MAX,
        _PROC_STATE_INVALID = -EINVAL,
} ProcState;

typedef enum ProcEventType {
        PROC_EVENT_START,                    /* wanted: `up`, POST /process/start, a namespace start */
        PROC_EVENT_DEPS_OK,                  /* the check pass: every dependency is met */
        PROC_EVENT_DEPS_FAILED,              /* the check pass: a dependency can never be met */
        PROC_EVENT_STARTED,                  /* the unit's start job completed: the process runs */
        PROC_EVENT_START_FAILED,             /* the start could not be queued, or its job failed */
        PROC_EVENT_STARTER_EXITED,           /* is_daemon: the starter exited (.ok: with status 0) */
        PROC_EVENT_EXITED,                   /* the unit's main process exited (.exit_code, .exec_failed) */
        PROC_EVENT_TIMER,                    /* the backoff or the restart-delay timer fired */
        PROC_EVENT_KILL_TIMER,               /* shutdown.command's timeout fired */
        PROC_EVENT_STOP,                     /* .stop says who: the user, the project's shutdown, ordered shutdown */
        PROC_EVENT_RESTART,                  /* POST /process/restart */
        PROC_EVENT_READINESS,                /* a readiness probe result (.ok, .fatal) */
        PROC_EVENT_LIVENESS_FATAL,           /* the liveness probe reached its failure threshold */
        PROC_EVENT_LOG_READY,                /* a line containing ready_log_line was printed */
        PROC_EVENT_COMMAND_START_FAILED,     /* the shutdown.command unit could not start */
        PROC_EVENT_COMMAND_EXITED,           /* the shutdown.command unit ended (.ok: with status 0) */
        PROC_EVENT_CONFIG_REPLACED,          /* POST /process, /project: a new config waits (context.next_config) */
        PROC_EVENT_REMOVED,                  /* scaled down or removed by an update: end, then be reaped */
        PROC_EVENT_ADOPT,                    /* a unit of the process exists at start: adopt it */
        PROC_EVENT_ADOPTED_RUNNING,          /* ... it runs (.starter_done: a daemon's starter already exited) */
        PROC_EVENT_ADOPTED_ENDED,            /* ... it ended while no controller ran (.exit_code, .by_user) */
        PROC_EVENT_ADOPTED_NONE,             /* ... there is no unit after all */
        PROC_EVENT_TRIGGERED,                /* a scheduled process's timer started a run (.pid, .timestamp) */
        _PROC_EVENT_MAX,
        _PROC_EVENT_INVALID = -EINVAL,
} ProcEventType;

typedef enum ProcStopReason {
        PROC_STOP_USER,                      /* POST /process/stop, a namespace stop, a removal, a config change */
        PROC_STOP_SHUTDOWN,                  /* the project shuts down (with ordered_shutdown: queued, not issued) */
        PROC_STOP_ORDERED,                   /* ordered shutdown: no dependent runs any more, issue it now */
        _PROC_STOP_REASON_MAX,
        _PROC_STOP_REASON_INVALID = -EINVAL,
} ProcStopReason;

typedef struct ProcEvent {
        ProcEventType type;
        ProcStopReason stop;                 /* PROC_EVENT_STOP */
        int exit_code;                       /* EXITED, ADOPTED_ENDED: lifecycle_exit_code() of the run */
        bool exec_failed;                    /* EXITED: the __exec wrapper could not execute the command (203) */
        bool ok;                             /* READINESS, STARTER_EXITED, COMMAND_EXITED */
        bool fatal;                          /* READINESS: the failure threshold was reached */
        bool starter_done;                   /* ADOPTED_RUNNING: a daemon's starter exited successfully */
        bool by_user;                        /* ADOPTED_ENDED: the run had been stopped by the user */
        /* carried for the process, not read by the reducer */
        pid_t pid;                           /* STARTED, START_FAILED, EXITED, ADOPTED_*: the main pid */
        usec_t timestamp;                    /* STARTED, ADOPTED_RUNNING: when the process started (realtime) */
} ProcEvent;

/* What the process must do, carried out in this order (bit order). */
typedef enum ProcAction {
        PROC_ACTION_NEW_INCARNATION     = 1u << 0,  /* reset pid, exit code, times and health; keep restarts */
        PROC_ACTION_CANCEL_TIMER        = 1u << 1,  /* the backoff or restart-delay timer */
        PROC_ACTION_CANCEL_KILL_TIMER   = 1u << 2,
        PROC_ACTION_STOP_PROBES         = 1u << 3,
        PROC_ACTION_STOP_READY_MATCH    = 1u << 4,  /* stop matching ready_log_line */
        PROC_ACTION_UNWATCH_STARTER     = 1u << 5,  /* is_daemon: stop watching the starter's exit */
        PROC_ACTION_SET_HEALTH          = 1u << 6,  /* ProcActions.health */
        PROC_ACTION_REPORT_START_FAILED = 1u << 7,  /* log why it could not start (exit code 1: Error) */
        PROC_ACTION_REPORT_STARTER_FAILED = 1u << 8,
        PROC_ACTION_REPORT_PROBE_FAILED = 1u << 9,  /* log "Error: <probe> check fail - <reason>" */
        PROC_ACTION_COUNT_RESTART       = 1u << 10, /* restarts++, and the lone "\n" line in the log */
        PROC_ACTION_START_UNIT          = 1u << 11, /* queue the start of the unit (spec, log file, probes) */
        PROC_ACTION_REOPEN_LOG          = 1u << 12, /* ... the first start of an incarnation: reopen log_location */
        PROC_ACTION_ATTACH              = 1u << 13, /* adoption: watch and follow the unit, set up probes */
        PROC_ACTION_START_PROBES        = 1u << 14,
        PROC_ACTION_START_READY_MATCH   = 1u << 15,
        PROC_ACTION_STOP_UNIT           = 1u << 16, /* StopUnit: KillSignal, SIGKILL after the unit's timeout */
        PROC_ACTION_RUN_COMMAND         = 1u << 17, /* start the shutdown.command unit, arm the kill timer */
        PROC_ACTION_KILL                = 1u << 18, /* SIGKILL the whole group, stop the shutdown.command unit */
        PROC_ACTION_ARM_BACKOFF         = 1u << 19,
        PROC_ACTION_ARM_RESTART_DELAY   = 1u << 20,
        PROC_ACTION_COMPLETE_RESTART    = 1u << 21, /* complete the restart waiters (result 0) */
        PROC_ACTION_EXIT_PROJECT        = 1u << 22, /* exit_on_*: shut the project down, ProcActions.project_exit */
        PROC_ACTION_INSTALL_CONFIG      = 1u << 23, /* put the waiting config in place, then start it
                                                     * (PROC_EVENT_START) if it is enabled, else notify */
        PROC_ACTION_NOTIFY              = 1u << 24, /* tell the observers (status, health or pid changed) */
        _PROC_ACTION_LAST               = PROC_ACTION_NOTIFY,
} ProcAction;

typedef struct ProcActions {
        uint32_t mask;                       /* ProcAction bits */
        ProcHealth health;                   /* with PROC_ACTION_SET_HEALTH */
        int project_exit;                    /* with PROC_ACTION_EXIT_PROJECT */
} ProcActions;

/* The state, and the three facts that live beside it. Only process_fsm_step() changes them. */
typedef struct ProcFsm {
        ProcState state;
        bool ran;                            /* this incarnation's process ran: process_started is met */
        bool command_running;                /* the shutdown.command unit runs; it may outlive the run */
        bool removed;                        /* no longer part of the project: it ends, then it is reaped */
} ProcFsm;

#define PROC_FSM_INIT ((ProcFsm) { .state = PROC_STATE_DORMANT })

/* What the reducer reads of the process and the project. */
typedef struct ProcFsmContext {
        const ComposeProcess *config;        /* restart policy, shutdown.command, is_daemon, disabled, ... */
        unsigned restarts;                   /* automatic restarts so far */
        ProcHealth health;
        bool shutting_down;                  /* the project shuts down */
        bool ordered_shutdown;
        bool next_config;                    /* a replacement config waits to be installed */
} ProcFsmContext;

const char *proc_state_to_string(ProcState s);
const char *proc_event_type_to_string(ProcEventType t);
const char *proc_action_to_string(ProcAction a);      /* one bit */

/* process-compose's status of a process in state s (compat §2.1); c may be NULL. */
ProcStatus process_fsm_status(ProcState s, const ComposeProcess *c);

/* The health after a change of state: unknown again on entering Launching, Restarting or Terminating. */
ProcHealth process_fsm_health(ProcState old, ProcState new, ProcHealth h);

/* Something is under way: a wait, a start, a run, a stop, a backoff (not the pause of an API restart). */
bool process_fsm_is_active(ProcState s);
/* Active, or an API restart is under way: the project is not done, a dependent waits, start is refused. */
bool process_fsm_is_busy(ProcState s);
/* The unit's start is in flight or its process runs, and no stop was issued yet. */
bool process_fsm_has_unit(ProcState s);
/* A stop was issued: Terminating. */
bool process_fsm_is_stopping(ProcState s);
/* This run ends for good: a stop was issued, or the project shuts down and it still runs (ordered). */
bool process_fsm_stop_requested(const ProcFsm *f, bool shutting_down);
/* Ordered shutdown: its stop is queued until none of its dependents runs (then PROC_STOP_ORDERED). */
bool process_fsm_awaits_ordered_stop(const ProcFsm *f, bool shutting_down);
/* Neither busy nor running a shutdown.command, and removed: the manager may free it. */
bool process_fsm_reapable(const ProcFsm *f);

/* How a dependent sees this process (lifecycle_dependency_verdict()). */
DepView process_fsm_dep_view(const ProcFsm *f, const ProcFsmContext *ctx, int exit_code);

int process_fsm_step(const ProcFsm *f, const ProcEvent *ev, const ProcFsmContext *ctx, ProcFsm *ret,
                     ProcActions *ret_actions);
