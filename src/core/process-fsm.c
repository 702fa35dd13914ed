/* The process state machine (compat §2.3, §2.5, §2.6). See process-fsm.h. */
#include "core/process-fsm.h"

static const char *const proc_state_table[_PROC_STATE_MAX] = {
        [PROC_STATE_DORMANT] = "dormant",
        [PROC_STATE_WAITING] = "waiting",
        [PROC_STATE_STARTING] = "starting",
        [PROC_STATE_RUNNING] = "running",
        [PROC_STATE_LAUNCHING] = "launching",
        [PROC_STATE_LAUNCHED] = "launched",
        [PROC_STATE_BACKOFF] = "backoff",
        [PROC_STATE_RESTART_STARTING] = "restart-starting",
        [PROC_STATE_STOP_DEFERRED] = "stop-deferred",
        [PROC_STATE_STOPPING] = "stopping",
        [PROC_STATE_STOPPING_COMMAND] = "stopping-command",
        [PROC_STATE_RESTART_STOP_DEFERRED] = "restart-stop-deferred",
        [PROC_STATE_RESTART_STOPPING] = "restart-stopping",
        [PROC_STATE_RESTART_STOPPING_COMMAND] = "restart-stopping-command",
        [PROC_STATE_RESTART_DELAY] = "restart-delay",
        [PROC_STATE_COMPLETED] = "completed",
        [PROC_STATE_SKIPPED] = "skipped",
        [PROC_STATE_ERROR] = "error",
        [PROC_STATE_ADOPTING] = "adopting",
};

const char *proc_state_to_string(ProcState s) {
        if (s < 0 || s >= _PROC_STATE_MAX)
                return NULL;
        return proc_state_table[s];
}

static const char *const proc_event_type_table[_PROC_EVENT_MAX] = {
        [PROC_EVENT_START] = "start",
        [PROC_EVENT_DEPS_OK] = "deps-ok",
        [PROC_EVENT_DEPS_FAILED] = "deps-failed",
        [PROC_EVENT_STARTED] = "started",
        [PROC_EVENT_START_FAILED] = "start-failed",
        [PROC_EVENT_STARTER_EXITED] = "starter-exited",
        [PROC_EVENT_EXITED] = "exited",
        [PROC_EVENT_TIMER] = "timer",
        [PROC_EVENT_KILL_TIMER] = "kill-timer",
        [PROC_EVENT_STOP] = "stop",
        [PROC_EVENT_RESTART] = "restart",
        [PROC_EVENT_READINESS] = "readiness",
        [PROC_EVENT_LIVENESS_FATAL] = "liveness-fatal",
        [PROC_EVENT_LOG_READY] = "log-ready",
        [PROC_EVENT_COMMAND_START_FAILED] = "command-start-failed",
        [PROC_EVENT_COMMAND_EXITED] = "command-exited",
        [PROC_EVENT_CONFIG_REPLACED] = "config-replaced",
        [PROC_EVENT_REMOVED] = "removed",
        [PROC_EVENT_ADOPT] = "adopt",
        [PROC_EVENT_ADOPTED_RUNNING] = "adopted-running",
        [PROC_EVENT_ADOPTED_ENDED] = "adopted-ended",
        [PROC_EVENT_ADOPTED_NONE] = "adopted-none",
        [PROC_EVENT_TRIGGERED] = "triggered",
};

const char *proc_event_type_to_string(ProcEventType t) {
        if (t < 0 || t >= _PROC_EVENT_MAX)
                return NULL;
        return proc_event_type_table[t];
}

const char *proc_action_to_string(ProcAction a) {
        switch (a) {
        case PROC_ACTION_NEW_INCARNATION:       return "new-incarnation";
        case PROC_ACTION_CANCEL_TIMER:          return "cancel-timer";
        case PROC_ACTION_CANCEL_KILL_TIMER:     return "cancel-kill-timer";
        case PROC_ACTION_STOP_PROBES:           return "stop-probes";
        case PROC_ACTION_STOP_READY_MATCH:      return "stop-ready-match";
        case PROC_ACTION_UNWATCH_STARTER:       return "unwatch-starter";
        case PROC_ACTION_SET_HEALTH:            return "set-health";
        case PROC_ACTION_REPORT_START_FAILED:   return "report-start-failed";
        case PROC_ACTION_REPORT_STARTER_FAILED: return "report-starter-failed";
        case PROC_ACTION_REPORT_PROBE_FAILED:   return "report-probe-failed";
        case PROC_ACTION_COUNT_RESTART:         return "count-restart";
        case PROC_ACTION_START_UNIT:            return "start-unit";
        case PROC_ACTION_REOPEN_LOG:            return "reopen-log";
        case PROC_ACTION_ATTACH:                return "attach";
        case PROC_ACTION_START_PROBES:          return "start-probes";
        case PROC_ACTION_START_READY_MATCH:     return "start-ready-match";
        case PROC_ACTION_STOP_UNIT:             return "stop-unit";
        case PROC_ACTION_RUN_COMMAND:           return "run-command";
        case PROC_ACTION_KILL:                  return "kill";
        case PROC_ACTION_ARM_BACKOFF:           return "arm-backoff";
        case PROC_ACTION_ARM_RESTART_DELAY:     return "arm-restart-delay";
        case PROC_ACTION_COMPLETE_RESTART:      return "complete-restart";
        case PROC_ACTION_EXIT_PROJECT:          return "exit-project";
        case PROC_ACTION_INSTALL_CONFIG:        return "install-config";
        case PROC_ACTION_NOTIFY:                return "notify";
        }
        return NULL;
}

ProcStatus process_fsm_status(ProcState s, const ComposeProcess *c) {
        switch (s) {
        case PROC_STATE_DORMANT:
                if (c && c->disabled)
                        return PROC_DISABLED;
                if (c && c->is_foreground)
                        return PROC_FOREGROUND;
                return PROC_PENDING;
        case PROC_STATE_WAITING:
        case PROC_STATE_STARTING:
                /* a manually started disabled process shows Disabled while it waits (compat §2.1) */
                return c && c->disabled ? PROC_DISABLED : PROC_PENDING;
        case PROC_STATE_ADOPTING:
                return PROC_PENDING;
        case PROC_STATE_RUNNING:
                return PROC_RUNNING;
        case PROC_STATE_LAUNCHING:
                return PROC_LAUNCHING;
        case PROC_STATE_LAUNCHED:
                return PROC_LAUNCHED;
        case PROC_STATE_BACKOFF:
        case PROC_STATE_RESTART_STARTING:
                return PROC_RESTARTING;
        case PROC_STATE_STOP_DEFERRED:
        case PROC_STATE_STOPPING:
        case PROC_STATE_STOPPING_COMMAND:
        case PROC_STATE_RESTART_STOP_DEFERRED:
        case PROC_STATE_RESTART_STOPPING:
        case PROC_STATE_RESTART_STOPPING_COMMAND:
                return PROC_TERMINATING;
        case PROC_STATE_RESTART_DELAY:
        case PROC_STATE_COMPLETED:
                /* the old run has ended; the pause of an API restart shows it so */
                return PROC_COMPLETED;
        case PROC_STATE_SKIPPED:
                return PROC_SKIPPED;
        case PROC_STATE_ERROR:
                return PROC_ERROR;
        default:
                return _PROC_STATUS_INVALID;
        }
}

ProcHealth process_fsm_health(ProcState old, ProcState new, ProcHealth h) {
        /* health goes back to unknown on Launching, Restarting, Terminating (compat §2.2) */
        if (old != new && IN_SET(process_fsm_status(new, NULL), PROC_LAUNCHING, PROC_RESTARTING, PROC_TERMINATING))
                return PROC_HEALTH_UNKNOWN;
        return h;
}

static bool state_is_idle(ProcState s) {
        return IN_SET(s, PROC_STATE_DORMANT, PROC_STATE_COMPLETED, PROC_STATE_SKIPPED, PROC_STATE_ERROR);
}

bool process_fsm_is_active(ProcState s) {
        return !state_is_idle(s) && s != PROC_STATE_RESTART_DELAY;
}

bool process_fsm_is_busy(ProcState s) {
        return !state_is_idle(s);
}

bool process_fsm_has_unit(ProcState s) {
        return IN_SET(s, PROC_STATE_STARTING, PROC_STATE_RESTART_STARTING, PROC_STATE_RUNNING,
                      PROC_STATE_LAUNCHING, PROC_STATE_LAUNCHED, PROC_STATE_ADOPTING);
}

/* The process runs: probes and ready_log_line act. */
static bool state_is_up(ProcState s) {
        return IN_SET(s, PROC_STATE_RUNNING, PROC_STATE_LAUNCHING, PROC_STATE_LAUNCHED);
}

static bool state_is_restart_stop(ProcState s) {
        return IN_SET(s, PROC_STATE_RESTART_STOP_DEFERRED, PROC_STATE_RESTART_STOPPING,
                      PROC_STATE_RESTART_STOPPING_COMMAND);
}

bool process_fsm_is_stopping(ProcState s) {
        return IN_SET(s, PROC_STATE_STOP_DEFERRED, PROC_STATE_STOPPING, PROC_STATE_STOPPING_COMMAND) ||
                state_is_restart_stop(s);
}

/* STOPPING and RESTART_STOPPING are the same stop; only what follows the exit differs. */
static ProcState stop_variant(ProcState s, bool restart) {
        switch (s) {
        case PROC_STATE_STOP_DEFERRED:
        case PROC_STATE_RESTART_STOP_DEFERRED:
                return restart ? PROC_STATE_RESTART_STOP_DEFERRED : PROC_STATE_STOP_DEFERRED;
        case PROC_STATE_STOPPING:
        case PROC_STATE_RESTART_STOPPING:
                return restart ? PROC_STATE_RESTART_STOPPING : PROC_STATE_STOPPING;
        case PROC_STATE_STOPPING_COMMAND:
        case PROC_STATE_RESTART_STOPPING_COMMAND:
                return restart ? PROC_STATE_RESTART_STOPPING_COMMAND : PROC_STATE_STOPPING_COMMAND;
        default:
                return s;
        }
}

bool process_fsm_stop_requested(const ProcFsm *f, bool shutting_down) {
        return process_fsm_is_stopping(f->state) || (shutting_down && process_fsm_has_unit(f->state));
}

bool process_fsm_awaits_ordered_stop(const ProcFsm *f, bool shutting_down) {
        return shutting_down && process_fsm_has_unit(f->state);
}

bool process_fsm_reapable(const ProcFsm *f) {
        return f->removed && !process_fsm_is_busy(f->state) && !f->command_running;
}

DepView process_fsm_dep_view(const ProcFsm *f, const ProcFsmContext *ctx, int exit_code) {
        return (DepView) {
                .status = process_fsm_status(f->state, ctx->config),
                .health = ctx->health,
                .exit_code = exit_code,
                .success = lifecycle_is_success(ctx->config, exit_code),
                .in_flight = process_fsm_is_busy(f->state),
                .stopping = process_fsm_stop_requested(f, ctx->shutting_down),
                .started = f->ran,
                .has_readiness_probe = ctx->config && ctx->config->readiness_probe,
                .has_liveness_probe = ctx->config && ctx->config->liveness_probe,
        };
}

/* What stops the process instead of its signal: shutdown.command, else shutdown.send_keys written to its
 * terminal (process-compose's order). Both run as the "command" (RUN_COMMAND, the kill timer). */
static bool has_shutdown_command(const ProcFsmContext *ctx) {
        const ComposeProcess *c = ctx->config;

        return c && (!isempty(c->shutdown.command) ||
                     (!isempty(c->shutdown.send_keys) && (c->is_tty || c->is_interactive)));
}

/* Issues the stop of a run whose start is in flight or whose process runs: Terminating until it exited.
 * With a shutdown.command, the command runs once the process runs. */
static void stop_run(const ProcFsm *f, const ProcFsmContext *ctx, bool restart, ProcFsm *n, ProcActions *a) {
        a->mask |= PROC_ACTION_STOP_PROBES | PROC_ACTION_STOP_READY_MATCH | PROC_ACTION_NOTIFY;

        if (f->state != PROC_STATE_ADOPTING && has_shutdown_command(ctx)) {
                if (!f->ran) {
                        n->state = restart ? PROC_STATE_RESTART_STOP_DEFERRED : PROC_STATE_STOP_DEFERRED;
                        return;
                }
                n->state = restart ? PROC_STATE_RESTART_STOPPING_COMMAND : PROC_STATE_STOPPING_COMMAND;
                n->command_running = true;
                a->mask |= PROC_ACTION_RUN_COMMAND;
                return;
        }
        n->state = restart ? PROC_STATE_RESTART_STOPPING : PROC_STATE_STOPPING;
        a->mask |= PROC_ACTION_STOP_UNIT;
}

/* The run is over (proc_end): end_state is COMPLETED, SKIPPED or ERROR. stopped: by the user or the
 * shutdown, so no exit_on_* hook. A waiting config is installed now; an API restart pauses, then starts a
 * new incarnation. */
static void end_run(const ProcFsm *f, const ProcFsmContext *ctx, ProcState end_state, int exit_code,
                    bool stopped, ProcFsm *n, ProcActions *a) {
        bool restart = state_is_restart_stop(f->state);

        a->mask |= PROC_ACTION_CANCEL_TIMER | PROC_ACTION_CANCEL_KILL_TIMER | PROC_ACTION_UNWATCH_STARTER |
                PROC_ACTION_STOP_PROBES | PROC_ACTION_STOP_READY_MATCH;
        n->state = end_state;

        /* exit_on_end, exit_on_failure, exit_on_skipped: not for a stop the user asked for, and only the first
         * trigger counts (the shutdown it starts sets shutting_down) */
        if (!stopped && !ctx->shutting_down &&
            lifecycle_end_hook(ctx->config, process_fsm_status(end_state, ctx->config), exit_code,
                               &a->project_exit))
                a->mask |= PROC_ACTION_EXIT_PROJECT;

        if (ctx->next_config && !ctx->shutting_down && !f->removed) {
                /* POST /process or /project changed it: the new configuration runs now */
                n->state = PROC_STATE_DORMANT;
                n->ran = false;
                a->mask |= PROC_ACTION_INSTALL_CONFIG;
                if (restart)
                        a->mask |= PROC_ACTION_COMPLETE_RESTART;
                return;
        }
        if (restart && !ctx->shutting_down && !f->removed) {
                n->state = PROC_STATE_RESTART_DELAY;
                a->mask |= PROC_ACTION_ARM_RESTART_DELAY;
        } else if (restart)
                a->mask |= PROC_ACTION_COMPLETE_RESTART;
        a->mask |= PROC_ACTION_NOTIFY;
}

static void new_incarnation(ProcFsm *n, ProcActions *a) {
        n->state = PROC_STATE_WAITING;
        n->ran = false;
        a->mask |= PROC_ACTION_NEW_INCARNATION | PROC_ACTION_NOTIFY;
}

static void on_exited(const ProcFsm *f, const ProcEvent *ev, const ProcFsmContext *ctx, ProcFsm *n,
                      ProcActions *a) {
        ProcState s = f->state;

        if (!process_fsm_has_unit(s) && !process_fsm_is_stopping(s))
                return;
        a->mask |= PROC_ACTION_STOP_PROBES | PROC_ACTION_STOP_READY_MATCH | PROC_ACTION_CANCEL_KILL_TIMER;

        if (process_fsm_is_stopping(s) || ctx->shutting_down) {
                end_run(f, ctx, PROC_STATE_COMPLETED, ev->exit_code, true, n, a);
                return;
        }
        if (ev->exec_failed) {
                /* the __exec wrapper could not execute the command; it wrote why to the log */
                a->mask |= PROC_ACTION_REPORT_START_FAILED;
                end_run(f, ctx, PROC_STATE_ERROR, 1, false, n, a);
                return;
        }
        /* a scheduled process runs again when its timer says so: no restart policy */
        if (ctx->config && compose_schedule_is_set(ctx->config->schedule)) {
                end_run(f, ctx, PROC_STATE_COMPLETED, ev->exit_code, false, n, a);
                return;
        }
        if (lifecycle_should_restart(ctx->config, ev->exit_code, ctx->restarts)) {
                n->state = PROC_STATE_BACKOFF;
                a->mask |= PROC_ACTION_ARM_BACKOFF | PROC_ACTION_NOTIFY;
                return;
        }
        end_run(f, ctx, PROC_STATE_COMPLETED, ev->exit_code, false, n, a);
}

static void on_started(const ProcFsm *f, const ProcFsmContext *ctx, ProcFsm *n, ProcActions *a) {
        const ComposeProcess *c = ctx->config;

        n->ran = true;
        switch (f->state) {
        case PROC_STATE_STARTING:
        case PROC_STATE_RESTART_STARTING:
                n->state = c && c->is_daemon ? PROC_STATE_LAUNCHING : PROC_STATE_RUNNING;
                a->mask |= PROC_ACTION_START_PROBES | PROC_ACTION_NOTIFY;
                if (c && !isempty(c->ready_log_line) && ctx->health != PROC_HEALTH_READY)
                        a->mask |= PROC_ACTION_START_READY_MATCH;
                return;
        case PROC_STATE_STOP_DEFERRED:
        case PROC_STATE_RESTART_STOP_DEFERRED:
                /* the stop waited for the process to run: now its shutdown.command can act on it */
                stop_run(n, ctx, f->state == PROC_STATE_RESTART_STOP_DEFERRED, n, a);
                return;
        default:
                /* a stop was issued while the start was in flight: it is on its way */
                a->mask |= PROC_ACTION_NOTIFY;
                return;
        }
}

static int on_stop(const ProcFsm *f, const ProcEvent *ev, const ProcFsmContext *ctx, ProcFsm *n,
                   ProcActions *a) {
        ProcState s = f->state;

        if (ev->stop == PROC_STOP_ORDERED) {
                if (process_fsm_has_unit(s))
                        stop_run(f, ctx, false, n, a);
                return 0;
        }

        if (state_is_idle(s))
                return -ESRCH;
        if (s == PROC_STATE_RESTART_DELAY) {
                /* a stop during an API restart cancels the relaunch (process-compose #530, v1.122) */
                n->state = PROC_STATE_COMPLETED;
                a->mask |= PROC_ACTION_CANCEL_TIMER | PROC_ACTION_COMPLETE_RESTART | PROC_ACTION_NOTIFY;
                return 0;
        }
        if (IN_SET(s, PROC_STATE_WAITING, PROC_STATE_BACKOFF)) {
                /* process-compose #530: the wait is aborted at once. [QUIRK] process-compose leaves a process
                 * stopped while Pending in Terminating for good; it never ran, so it is Completed (exit code
                 * 0, pid 0). Stopped while Restarting: Completed at once, with the last run's exit code. */
                end_run(f, ctx, PROC_STATE_COMPLETED, 0, true, n, a);
                return 0;
        }
        if (process_fsm_is_stopping(s)) {
                /* already on its way; a restart waiting for it is cancelled */
                if (state_is_restart_stop(s)) {
                        n->state = stop_variant(s, false);
                        a->mask |= PROC_ACTION_COMPLETE_RESTART;
                }
                return 0;
        }
        /* ordered shutdown issues the stop from the check pass once the dependents are gone */
        if (ev->stop == PROC_STOP_SHUTDOWN && ctx->ordered_shutdown)
                return 0;
        stop_run(f, ctx, false, n, a);
        return 0;
}

static int on_restart(const ProcFsm *f, const ProcFsmContext *ctx, ProcFsm *n, ProcActions *a) {
        ProcState s = f->state;

        if (ctx->shutting_down)
                return -ESHUTDOWN;
        if (state_is_restart_stop(s) || s == PROC_STATE_RESTART_DELAY)
                return 0;       /* concurrent restarts coalesce (process-compose #347) */
        if (process_fsm_is_stopping(s)) {
                /* the stop under way is followed by the pause and a new incarnation */
                n->state = stop_variant(s, true);
                return 0;
        }
        if (process_fsm_has_unit(s)) {
                stop_run(f, ctx, true, n, a);
                return 0;
        }
        /* waiting (issue 530: the wait restarts), backing off or not running: simply started */
        a->mask |= PROC_ACTION_CANCEL_TIMER | PROC_ACTION_COMPLETE_RESTART;
        new_incarnation(n, a);
        return 0;
}

static void on_probe_fatal(const ProcFsmContext *ctx, ProcActions *a) {
        a->mask |= PROC_ACTION_REPORT_PROBE_FAILED;
        /* killed internally, not stopped: the restart policy decides what follows (process-compose #403) */
        if (!ctx->shutting_down)
                a->mask |= PROC_ACTION_STOP_PROBES | PROC_ACTION_STOP_UNIT;
}

static int on_config_replaced(const ProcFsm *f, const ProcFsmContext *ctx, ProcFsm *n, ProcActions *a) {
        ProcState s = f->state;

        if (ctx->shutting_down)
                return -ESHUTDOWN;
        if (state_is_idle(s) || s == PROC_STATE_RESTART_DELAY) {
                if (s == PROC_STATE_RESTART_DELAY)
                        a->mask |= PROC_ACTION_CANCEL_TIMER | PROC_ACTION_COMPLETE_RESTART;
                n->state = PROC_STATE_DORMANT;
                n->ran = false;
                a->mask |= PROC_ACTION_INSTALL_CONFIG;
                return 0;
        }
        /* the old run ends first (no exit_on_* hooks), the end installs the new config */
        return on_stop(f, &(ProcEvent) { .type = PROC_EVENT_STOP, .stop = PROC_STOP_USER }, ctx, n, a);
}

static void on_removed(const ProcFsm *f, const ProcFsmContext *ctx, ProcFsm *n, ProcActions *a) {
        n->removed = true;
        if (f->state == PROC_STATE_RESTART_DELAY) {
                n->state = PROC_STATE_COMPLETED;
                a->mask |= PROC_ACTION_CANCEL_TIMER | PROC_ACTION_COMPLETE_RESTART;
                return;
        }
        if (process_fsm_is_active(f->state)) {
                ProcFsm g = *f;

                g.removed = true;
                (void) on_stop(&g, &(ProcEvent) { .type = PROC_EVENT_STOP, .stop = PROC_STOP_USER }, ctx, n, a);
        }
}

static void on_adopted_running(const ProcEvent *ev, const ProcFsmContext *ctx, ProcFsm *n, ProcActions *a) {
        const ComposeProcess *c = ctx->config;

        n->ran = true;
        if (c && c->is_daemon)
                n->state = ev->starter_done ? PROC_STATE_LAUNCHED : PROC_STATE_LAUNCHING;
        else
                n->state = PROC_STATE_RUNNING;
        a->mask |= PROC_ACTION_ATTACH | PROC_ACTION_START_PROBES | PROC_ACTION_NOTIFY;
        if (c && !isempty(c->ready_log_line) && ctx->health != PROC_HEALTH_READY)
                a->mask |= PROC_ACTION_START_READY_MATCH;
}

static void on_adopted_ended(const ProcFsm *f, const ProcEvent *ev, const ProcFsmContext *ctx, ProcFsm *n,
                             ProcActions *a) {
        n->ran = true;
        if (ev->by_user || ctx->shutting_down) {
                end_run(f, ctx, PROC_STATE_COMPLETED, ev->exit_code, true, n, a);
                return;
        }
        /* it ended while no controller ran: its restart policy applies now */
        on_exited(&(ProcFsm) { .state = PROC_STATE_RUNNING, .ran = true, .removed = f->removed }, ev, ctx, n, a);
}

/* Whether a new incarnation may begin (a start, or a run its timer started). */
static int can_begin(const ProcFsm *f, const ProcFsmContext *ctx) {
        if (f->removed)
                return -ENOENT;
        if (ctx->shutting_down)
                return -ESHUTDOWN;
        if (process_fsm_is_busy(f->state))
                return -EBUSY;
        return 0;
}

static int on_start(const ProcFsm *f, const ProcFsmContext *ctx, ProcFsm *n, ProcActions *a) {
        int r = can_begin(f, ctx);

        if (r < 0)
                return r;
        new_incarnation(n, a);
        return 0;
}

/* The check pass's verdict on the dependencies of a waiting process. */
static void on_deps(const ProcFsm *f, const ProcEvent *ev, const ProcFsmContext *ctx, ProcFsm *n,
                    ProcActions *a) {
        if (f->state != PROC_STATE_WAITING || ctx->shutting_down)
                return;
        if (ev->type == PROC_EVENT_DEPS_FAILED) {
                end_run(f, ctx, PROC_STATE_SKIPPED, 1, false, n, a);
                return;
        }
        n->state = PROC_STATE_STARTING;
        a->mask |= PROC_ACTION_START_UNIT | PROC_ACTION_REOPEN_LOG;
}

static void on_start_failed(const ProcFsm *f, const ProcFsmContext *ctx, ProcFsm *n, ProcActions *a) {
        bool starting = IN_SET(f->state, PROC_STATE_STARTING, PROC_STATE_RESTART_STARTING);

        if (process_fsm_is_stopping(f->state) || (ctx->shutting_down && starting))
                /* the stop cancelled the start: the run is over before it began */
                end_run(f, ctx, PROC_STATE_COMPLETED, 0, true, n, a);
        else if (starting) {
                a->mask |= PROC_ACTION_REPORT_START_FAILED;
                end_run(f, ctx, PROC_STATE_ERROR, 1, false, n, a);
        }
}

static void on_starter_exited(const ProcFsm *f, const ProcEvent *ev, ProcFsm *n, ProcActions *a) {
        if (f->state != PROC_STATE_LAUNCHING)
                return;
        if (ev->ok) {
                n->state = PROC_STATE_LAUNCHED;
                a->mask |= PROC_ACTION_NOTIFY;
        } else
                a->mask |= PROC_ACTION_REPORT_STARTER_FAILED;
}

/* The process's one timer: the backoff of an automatic restart, or the pause of an API restart. */
static void on_timer(const ProcFsm *f, const ProcFsmContext *ctx, ProcFsm *n, ProcActions *a) {
        if (f->state == PROC_STATE_BACKOFF && !ctx->shutting_down) {
                n->state = PROC_STATE_RESTART_STARTING;
                n->ran = false;
                a->mask |= PROC_ACTION_COUNT_RESTART | PROC_ACTION_START_UNIT | PROC_ACTION_NOTIFY;
        } else if (f->state == PROC_STATE_RESTART_DELAY && !ctx->shutting_down) {
                a->mask |= PROC_ACTION_COMPLETE_RESTART;
                new_incarnation(n, a);
        } else if (f->state == PROC_STATE_RESTART_DELAY) {
                n->state = PROC_STATE_COMPLETED;
                a->mask |= PROC_ACTION_COMPLETE_RESTART;
        }
}

/* Readiness and liveness probe results and ready_log_line: they act only while the process runs. */
static void on_health(const ProcFsm *f, const ProcEvent *ev, const ProcFsmContext *ctx, ProcActions *a) {
        if (!state_is_up(f->state))
                return;
        switch (ev->type) {
        case PROC_EVENT_READINESS:
                a->mask |= PROC_ACTION_SET_HEALTH;
                a->health = ev->ok ? PROC_HEALTH_READY : PROC_HEALTH_NOT_READY;
                if (!ev->ok && ev->fatal)
                        on_probe_fatal(ctx, a);
                break;
        case PROC_EVENT_LIVENESS_FATAL:
                /* liveness never sets health */
                on_probe_fatal(ctx, a);
                break;
        case PROC_EVENT_LOG_READY:
                a->mask |= PROC_ACTION_SET_HEALTH | PROC_ACTION_STOP_READY_MATCH;
                a->health = PROC_HEALTH_READY;
                break;
        default:
                break;
        }
}

/* The shutdown.command unit: its own small machine beside the state (command_running). */
static void on_command(const ProcFsm *f, const ProcEvent *ev, ProcFsm *n, ProcActions *a) {
        n->command_running = false;
        if (!process_fsm_is_stopping(f->state))
                return;
        if (ev->type == PROC_EVENT_COMMAND_START_FAILED)
                a->mask |= PROC_ACTION_STOP_UNIT;
        else if (!ev->ok)
                /* process-compose kills the group when the shutdown command fails */
                a->mask |= PROC_ACTION_KILL;
}

/* Adoption after a controller restart (issue 12). */
static int on_adoption(const ProcFsm *f, const ProcEvent *ev, const ProcFsmContext *ctx, ProcFsm *n,
                       ProcActions *a) {
        if (ev->type == PROC_EVENT_ADOPT) {
                if (f->state != PROC_STATE_DORMANT || f->removed)
                        return -EBUSY;
                n->state = PROC_STATE_ADOPTING;
                a->mask |= PROC_ACTION_NOTIFY;
                return 0;
        }
        if (f->state != PROC_STATE_ADOPTING)
                return 0;
        if (ev->type == PROC_EVENT_ADOPTED_RUNNING)
                on_adopted_running(ev, ctx, n, a);
        else if (ev->type == PROC_EVENT_ADOPTED_ENDED)
                on_adopted_ended(f, ev, ctx, n, a);
        else {
                n->state = PROC_STATE_DORMANT;
                n->ran = false;
                a->mask |= PROC_ACTION_NOTIFY;
        }
        return 0;
}

/* The timer of a scheduled process started a run: a new incarnation that runs already, attached to as an
 * adopted unit is. */
static int on_triggered(const ProcFsm *f, const ProcEvent *ev, const ProcFsmContext *ctx, ProcFsm *n,
                        ProcActions *a) {
        int r = can_begin(f, ctx);

        if (r < 0)
                return r;
        a->mask |= PROC_ACTION_NEW_INCARNATION;
        on_adopted_running(ev, ctx, n, a);
        return 0;
}

/**
 * process_fsm_step() - the next state of a process after one event, and what the process must do
 * @f: the current state
 * @ev: the event
 * @ctx: what the reducer reads of the process (config, restarts, health) and of the project
 * @ret: the next state (may be @f)
 * @ret_actions: the actions to carry out, in the order of their bits
 *
 * An event that does not apply to the current state leaves it unchanged, with no actions.
 *
 * Return: 0 on success; -ESRCH for a stop of a process that does not run; -EBUSY for a start or an
 * adoption of a process that is busy; -ESHUTDOWN for a start, a restart or a config change while the
 * project shuts down; -ENOENT for a start of a removed process; -EINVAL for an invalid event. On failure @ret and
 * @ret_actions are set to "unchanged, no actions".
 */
int process_fsm_step(const ProcFsm *f, const ProcEvent *ev, const ProcFsmContext *ctx, ProcFsm *ret,
                     ProcActions *ret_actions) {
        ProcFsm n = *f;
        ProcActions a = {};
        int r = 0;

        switch (ev->type) {
        case PROC_EVENT_START:
                r = on_start(f, ctx, &n, &a);
                break;
        case PROC_EVENT_DEPS_OK:
        case PROC_EVENT_DEPS_FAILED:
                on_deps(f, ev, ctx, &n, &a);
                break;
        case PROC_EVENT_STARTED:
                on_started(f, ctx, &n, &a);
                break;
        case PROC_EVENT_START_FAILED:
                on_start_failed(f, ctx, &n, &a);
                break;
        case PROC_EVENT_STARTER_EXITED:
                on_starter_exited(f, ev, &n, &a);
                break;
        case PROC_EVENT_EXITED:
                on_exited(f, ev, ctx, &n, &a);
                break;
        case PROC_EVENT_TIMER:
                on_timer(f, ctx, &n, &a);
                break;
        case PROC_EVENT_KILL_TIMER:
                if (IN_SET(f->state, PROC_STATE_STOPPING_COMMAND, PROC_STATE_RESTART_STOPPING_COMMAND))
                        a.mask |= PROC_ACTION_KILL;
                break;
        case PROC_EVENT_STOP:
                r = on_stop(f, ev, ctx, &n, &a);
                break;
        case PROC_EVENT_RESTART:
                r = on_restart(f, ctx, &n, &a);
                break;
        case PROC_EVENT_READINESS:
        case PROC_EVENT_LIVENESS_FATAL:
        case PROC_EVENT_LOG_READY:
                on_health(f, ev, ctx, &a);
                break;
        case PROC_EVENT_COMMAND_START_FAILED:
        case PROC_EVENT_COMMAND_EXITED:
                on_command(f, ev, &n, &a);
                break;
        case PROC_EVENT_CONFIG_REPLACED:
                r = on_config_replaced(f, ctx, &n, &a);
                break;
        case PROC_EVENT_REMOVED:
                on_removed(f, ctx, &n, &a);
                break;
        case PROC_EVENT_ADOPT:
        case PROC_EVENT_ADOPTED_RUNNING:
        case PROC_EVENT_ADOPTED_ENDED:
        case PROC_EVENT_ADOPTED_NONE:
                r = on_adoption(f, ev, ctx, &n, &a);
                break;
        case PROC_EVENT_TRIGGERED:
                r = on_triggered(f, ev, ctx, &n, &a);
                break;
        default:
                r = -EINVAL;
                break;
        }

        if (r < 0) {
                *ret = *f;
                *ret_actions = (ProcActions) {};
                return r;
        }
        *ret = n;
        *ret_actions = a;
        return 0;
}
