/* The process state machine (core/process-fsm.h), driven by event sequences as wslay tests its engine: each row
 * of a table is a sequence of events fed to a simulated process that carries out the reducer's actions the
 * way the Proc of manager.c does (restart counter, health, restart waiters, config installs, the project's
 * shutdown), then the final state, status, counters and actions are checked. */
#include "core/process-fsm.h"
#include "tests.h"

/* Harness events beyond the reducer's: the project starts shutting down (as manager_stop_project() does). */
#define SIM_SHUTDOWN ((ProcEventType) 100)
#define SIM_ORDERED_SHUTDOWN ((ProcEventType) 101)
#define SIM_END ((ProcEventType) 102)
#define SIM_MARK ((ProcEventType) 103)      /* Row.never applies from here on */

#define MAX_EVENTS 16

#define EV(t, ...) { .type = PROC_EVENT_##t, __VA_ARGS__ }
#define START EV(START)
#define DEPS_OK EV(DEPS_OK)
#define DEPS_FAILED EV(DEPS_FAILED)
#define STARTED EV(STARTED)
#define START_FAILED EV(START_FAILED)
#define EXIT(c) EV(EXITED, .exit_code = (c))
#define EXEC_FAILED EV(EXITED, .exit_code = 203, .exec_failed = true)
#define TIMER EV(TIMER)
#define KILL_TIMER EV(KILL_TIMER)
#define STOP EV(STOP, .stop = PROC_STOP_USER)
#define STOP_ORDERED EV(STOP, .stop = PROC_STOP_ORDERED)
#define RESTART EV(RESTART)
#define READY_OK EV(READINESS, .ok = true)
#define READY_FATAL EV(READINESS, .ok = false, .fatal = true)
#define LIVENESS_FATAL EV(LIVENESS_FATAL)
#define LOG_READY EV(LOG_READY)
#define STARTER_OK EV(STARTER_EXITED, .ok = true)
#define STARTER_FAIL EV(STARTER_EXITED, .ok = false)
#define CMD_OK EV(COMMAND_EXITED, .ok = true)
#define CMD_FAIL EV(COMMAND_EXITED, .ok = false)
#define CMD_START_FAILED EV(COMMAND_START_FAILED)
#define REPLACED EV(CONFIG_REPLACED)
#define REMOVED EV(REMOVED)
#define ADOPT EV(ADOPT)
#define ADOPTED_RUNNING EV(ADOPTED_RUNNING)
#define ADOPTED_DAEMON_DONE EV(ADOPTED_RUNNING, .starter_done = true)
#define ADOPTED_ENDED(c) EV(ADOPTED_ENDED, .exit_code = (c))
#define ADOPTED_ENDED_BY_USER(c) EV(ADOPTED_ENDED, .exit_code = (c), .by_user = true)
#define ADOPTED_NONE EV(ADOPTED_NONE)
#define TRIGGERED EV(TRIGGERED)
#define SHUTDOWN { .type = SIM_SHUTDOWN }
#define ORDERED_SHUTDOWN { .type = SIM_ORDERED_SHUTDOWN }
#define SEQ(...) { __VA_ARGS__, { .type = SIM_END } }

#define MARK { .type = SIM_MARK }
/* the same run up to RUNNING, as a prefix; Row.never applies after it */
#define RUN START, DEPS_OK, STARTED, MARK

static ComposeProbe probe = {};
static ComposeProcess cfg_no = { .name = (char *) "no" };
static ComposeProcess cfg_onf = {
        .name = (char *) "onf",
        .availability = { .restart = COMPOSE_RESTART_ON_FAILURE, .backoff_seconds = 1 },
        .readiness_probe = &probe,
};
static ComposeProcess cfg_always2 = {
        .name = (char *) "always2",
        .availability = { .restart = COMPOSE_RESTART_ALWAYS, .max_restarts = 2 },
};
static ComposeProcess cfg_cmd = { .name = (char *) "cmd", .shutdown = { .command = (char *) "kill-it" } };
static ComposeProcess cfg_keys = {
        .name = (char *) "keys", .is_interactive = true, .shutdown = { .send_keys = (char *) "exit()\\n" },
};
static ComposeProcess cfg_keys_no_tty = { .name = (char *) "keys-no-tty", .shutdown = { .send_keys = (char *) "q" } };
static ComposeProcess cfg_onf_cmd = {
        .name = (char *) "onf-cmd",
        .availability = { .restart = COMPOSE_RESTART_ON_FAILURE },
        .shutdown = { .command = (char *) "kill-it" },
};
static ComposeProcess cfg_daemon = { .name = (char *) "daemon", .is_daemon = true };
static ComposeProcess cfg_eof = {
        .name = (char *) "eof",
        .availability = { .restart = COMPOSE_RESTART_EXIT_ON_FAILURE },
};
static ComposeProcess cfg_end = { .name = (char *) "end", .availability = { .exit_on_end = true } };
static ComposeProcess cfg_skipped = { .name = (char *) "skipped", .availability = { .exit_on_skipped = true } };
static ComposeProcess cfg_logready = { .name = (char *) "logready", .ready_log_line = (char *) "ready" };
static ComposeProcess cfg_disabled = { .name = (char *) "disabled", .disabled = true };
static ComposeSchedule every2s = { .interval = (char *) "2s", .interval_usec = 2 * USEC_PER_SEC };
static ComposeProcess cfg_sched = {
        .name = (char *) "sched",
        .availability = { .restart = COMPOSE_RESTART_ALWAYS },
        .schedule = &every2s,
};

typedef struct Sim {
        ProcFsm f;
        ProcFsmContext ctx;
        const ComposeProcess *replacement;   /* what CONFIG_REPLACED installs */
        unsigned waiters;                    /* restart callers waiting */
        unsigned completed;                  /* restart callers completed */
        unsigned starts;                     /* START_UNIT carried out */
        unsigned installs;
        int project_exit;                    /* -1: the process did not end the project */
        uint32_t all;                        /* every action of the sequence (since MARK) */
        uint32_t last;                       /* the actions of the last event */
        int last_r;
} Sim;

static void sim_init(Sim *s, const ComposeProcess *c) {
        *s = (Sim) {
                .f = PROC_FSM_INIT,
                .ctx = { .config = c, .health = PROC_HEALTH_UNKNOWN },
                .replacement = c,
                .project_exit = -1,
        };
}

static void sim_step(Sim *s, const ProcEvent *ev);

/* What the Proc does with the reducer's answer, reduced to what the tests can observe. */
static void sim_apply(Sim *s, ProcState old, const ProcActions *a) {
        s->ctx.health = process_fsm_health(old, s->f.state, s->ctx.health);
        if (a->mask & PROC_ACTION_NEW_INCARNATION)
                s->ctx.health = PROC_HEALTH_UNKNOWN;
        if (a->mask & PROC_ACTION_SET_HEALTH)
                s->ctx.health = a->health;
        if (a->mask & PROC_ACTION_COUNT_RESTART)
                s->ctx.restarts++;
        if (a->mask & PROC_ACTION_START_UNIT)
                s->starts++;
        if (a->mask & PROC_ACTION_COMPLETE_RESTART) {
                s->completed += s->waiters;
                s->waiters = 0;
        }
        if (a->mask & PROC_ACTION_EXIT_PROJECT) {
                s->project_exit = a->project_exit;
                s->ctx.shutting_down = true;
        }
        if (a->mask & PROC_ACTION_INSTALL_CONFIG) {
                s->installs++;
                s->ctx.config = s->replacement;
                s->ctx.next_config = false;
                if (!s->ctx.config->disabled && !s->ctx.config->is_foreground)
                        sim_step(s, &(ProcEvent) { .type = PROC_EVENT_START });
        }
}

static void sim_step(Sim *s, const ProcEvent *ev) {
        ProcEvent e = *ev;
        ProcActions a;
        ProcState old = s->f.state;
        int r;

        if (e.type == SIM_MARK) {
                s->all = 0;
                return;
        }
        if (IN_SET(e.type, SIM_SHUTDOWN, SIM_ORDERED_SHUTDOWN)) {
                s->ctx.shutting_down = true;
                s->ctx.ordered_shutdown = e.type == SIM_ORDERED_SHUTDOWN;
                s->ctx.next_config = false;
                e = (ProcEvent) { .type = PROC_EVENT_STOP, .stop = PROC_STOP_SHUTDOWN };
        }
        if (e.type == PROC_EVENT_RESTART)
                s->waiters++;          /* the manager adds the waiter, then feeds the event */
        if (e.type == PROC_EVENT_CONFIG_REPLACED)
                s->ctx.next_config = true;

        r = process_fsm_step(&s->f, &e, &s->ctx, &s->f, &a);
        s->last_r = r;
        s->last = a.mask;
        s->all |= a.mask;
        if (r < 0) {
                ASSERT_EQ(a.mask, 0u);
                ASSERT_EQ(s->f.state, old);
                if (e.type == PROC_EVENT_RESTART)
                        s->waiters--;
                if (e.type == PROC_EVENT_CONFIG_REPLACED)
                        s->ctx.next_config = false;
                return;
        }
        ASSERT_TRUE(s->f.state >= 0 && s->f.state < _PROC_STATE_MAX);
        sim_apply(s, old, &a);
}

typedef struct Row {
        const char *name;
        const ComposeProcess *config;
        ProcEvent events[MAX_EVENTS];
        ProcState state;
        ProcStatus status;
        uint32_t last;               /* exactly the actions of the last event */
        uint32_t never;              /* actions no event of the sequence may ask for */
        unsigned starts;             /* unit starts */
        unsigned restarts;
        unsigned completed;          /* restart callers completed */
        unsigned waiters;            /* restart callers still waiting */
        int project_exit;            /* 0 = none (rows say PX(code) for a code) */
        int last_r;
        ProcHealth health;
        const ComposeProcess *replacement;
} Row;

#define PX(code) ((code) + 1000)     /* project_exit: 0 means "not set" in a row */

static void actions_format(uint32_t mask, char *buf, size_t size) {
        size_t l = 0;

        buf[0] = 0;
        for (uint32_t b = 1; b && b <= _PROC_ACTION_LAST; b <<= 1)
                if (mask & b) {
                        int n = snprintf(buf + l, size - l, "%s%s", l ? "|" : "", proc_action_to_string(b));
                        if (n < 0 || (size_t) n >= size - l)
                                return;
                        l += (size_t) n;
                }
}

static void run_rows(const Row *rows, size_t n_rows) {
        for (size_t i = 0; i < n_rows; i++) {
                const Row *row = &rows[i];
                char got[512], want[512];
                Sim s;

                sim_init(&s, row->config);
                if (row->replacement)
                        s.replacement = row->replacement;
                for (size_t k = 0; k < MAX_EVENTS && row->events[k].type != SIM_END; k++)
                        sim_step(&s, &row->events[k]);

                actions_format(s.last, got, sizeof(got));
                actions_format(row->last, want, sizeof(want));
                if (s.f.state != row->state || process_fsm_status(s.f.state, s.ctx.config) != row->status ||
                    s.last != row->last || (s.all & row->never) || s.starts != row->starts ||
                    s.ctx.restarts != row->restarts || s.completed != row->completed ||
                    s.waiters != row->waiters || s.last_r != row->last_r || s.ctx.health != row->health ||
                    (row->project_exit ? s.project_exit != row->project_exit - 1000 : s.project_exit != -1))
                        TEST_FAIL("row \"%s\": state %s (want %s), status %s (want %s), last actions %s (want %s), "
                                  "forbidden %#x, starts %u (want %u), restarts %u (want %u), completed %u "
                                  "(want %u), waiting %u (want %u), r %d (want %d), health %s (want %s), "
                                  "project exit %d",
                                  row->name, proc_state_to_string(s.f.state), proc_state_to_string(row->state),
                                  proc_status_to_string(process_fsm_status(s.f.state, s.ctx.config)),
                                  proc_status_to_string(row->status), got, want, s.all & row->never, s.starts,
                                  row->starts, s.ctx.restarts, row->restarts, s.completed, row->completed,
                                  s.waiters, row->waiters, s.last_r, row->last_r,
                                  proc_health_to_string(s.ctx.health), proc_health_to_string(row->health),
                                  s.project_exit);
        }
}

#define A(x) PROC_ACTION_##x
#define END_RUN (A(CANCEL_TIMER) | A(CANCEL_KILL_TIMER) | A(UNWATCH_STARTER) | A(STOP_PROBES) | A(STOP_READY_MATCH))
#define EXIT_BASE (A(STOP_PROBES) | A(STOP_READY_MATCH) | A(CANCEL_KILL_TIMER))
#define BEGIN_STOP (A(STOP_PROBES) | A(STOP_READY_MATCH) | A(NOTIFY))

TEST(runs_and_restart_policy) {
        static const Row rows[] = {
                { "a run ends", &cfg_no, SEQ(RUN, EXIT(0)),
                  PROC_STATE_COMPLETED, PROC_COMPLETED, EXIT_BASE | END_RUN | A(NOTIFY), .starts = 1 },
                { "up: waiting, then started", &cfg_no, SEQ(START, DEPS_OK),
                  PROC_STATE_STARTING, PROC_PENDING, A(START_UNIT) | A(REOPEN_LOG), .starts = 1 },
                { "running", &cfg_no, SEQ(RUN),
                  PROC_STATE_RUNNING, PROC_RUNNING, A(START_PROBES) | A(NOTIFY), .starts = 1 },
                { "a disabled process started by hand shows Disabled while it waits", &cfg_disabled,
                  SEQ(START, DEPS_OK), PROC_STATE_STARTING, PROC_DISABLED, A(START_UNIT) | A(REOPEN_LOG),
                  .starts = 1 },
                { "a dependency fails: Skipped, exit_on_skipped ends the project", &cfg_skipped,
                  SEQ(START, DEPS_FAILED), PROC_STATE_SKIPPED, PROC_SKIPPED,
                  END_RUN | A(EXIT_PROJECT) | A(NOTIFY), .never = A(START_UNIT), .project_exit = PX(1) },
                { "the start job fails: Error", &cfg_no, SEQ(START, DEPS_OK, START_FAILED),
                  PROC_STATE_ERROR, PROC_ERROR, A(REPORT_START_FAILED) | END_RUN | A(NOTIFY), .starts = 1 },
                { "the command cannot be executed (203): Error, no restart", &cfg_onf, SEQ(RUN, EXEC_FAILED),
                  PROC_STATE_ERROR, PROC_ERROR, EXIT_BASE | A(REPORT_START_FAILED) | END_RUN | A(NOTIFY),
                  .never = A(ARM_BACKOFF), .starts = 1 },
                { "on_failure: a failure backs off", &cfg_onf, SEQ(RUN, EXIT(1)),
                  PROC_STATE_BACKOFF, PROC_RESTARTING, EXIT_BASE | A(ARM_BACKOFF) | A(NOTIFY), .starts = 1 },
                { "on_failure: backoff, then the restart's start", &cfg_onf, SEQ(RUN, EXIT(1), TIMER),
                  PROC_STATE_RESTART_STARTING, PROC_RESTARTING,
                  A(COUNT_RESTART) | A(START_UNIT) | A(NOTIFY), .starts = 2, .restarts = 1 },
                { "on_failure: restarted, then a success ends it", &cfg_onf,
                  SEQ(RUN, EXIT(1), TIMER, STARTED, EXIT(0)), PROC_STATE_COMPLETED, PROC_COMPLETED,
                  EXIT_BASE | END_RUN | A(NOTIFY), .starts = 2, .restarts = 1 },
                { "always with max_restarts 2: three runs", &cfg_always2,
                  SEQ(RUN, EXIT(0), TIMER, STARTED, EXIT(0), TIMER, STARTED, EXIT(0)),
                  PROC_STATE_COMPLETED, PROC_COMPLETED, EXIT_BASE | END_RUN | A(NOTIFY), .starts = 3,
                  .restarts = 2 },
                { "exit_on_failure ends the project with the exit code", &cfg_eof, SEQ(RUN, EXIT(3)),
                  PROC_STATE_COMPLETED, PROC_COMPLETED, EXIT_BASE | END_RUN | A(EXIT_PROJECT) | A(NOTIFY),
                  .starts = 1, .project_exit = PX(3) },
                { "exit_on_end with a signal: 255", &cfg_end, SEQ(RUN, EXIT(-1)),
                  PROC_STATE_COMPLETED, PROC_COMPLETED, EXIT_BASE | END_RUN | A(EXIT_PROJECT) | A(NOTIFY),
                  .starts = 1, .project_exit = PX(255) },
                { "a user stop triggers no exit_on_* hook", &cfg_end, SEQ(RUN, STOP, EXIT(-1)),
                  PROC_STATE_COMPLETED, PROC_COMPLETED, EXIT_BASE | END_RUN | A(NOTIFY),
                  .never = A(EXIT_PROJECT), .starts = 1 },
                { "a daemon: Launching, then Launched", &cfg_daemon, SEQ(RUN, STARTER_OK),
                  PROC_STATE_LAUNCHED, PROC_LAUNCHED, A(NOTIFY), .starts = 1 },
                { "a daemon's starter fails: stays Launching", &cfg_daemon, SEQ(RUN, STARTER_FAIL),
                  PROC_STATE_LAUNCHING, PROC_LAUNCHING, A(REPORT_STARTER_FAILED), .starts = 1 },
                { "ready_log_line: matched while it runs", &cfg_logready, SEQ(RUN, LOG_READY),
                  PROC_STATE_RUNNING, PROC_RUNNING, A(SET_HEALTH) | A(STOP_READY_MATCH), .starts = 1,
                  .health = PROC_HEALTH_READY },
                { "ready_log_line: matching starts with the run", &cfg_logready, SEQ(RUN),
                  PROC_STATE_RUNNING, PROC_RUNNING, A(START_PROBES) | A(START_READY_MATCH) | A(NOTIFY),
                  .starts = 1 },
                { "start of a running process: busy", &cfg_no, SEQ(RUN, START),
                  PROC_STATE_RUNNING, PROC_RUNNING, 0, .starts = 1, .last_r = -EBUSY },
                { "stop of a process that never ran: not running", &cfg_no, SEQ(STOP),
                  PROC_STATE_DORMANT, PROC_PENDING, 0, .last_r = -ESRCH },
                { "stop of a completed process: not running", &cfg_no, SEQ(RUN, EXIT(0), STOP),
                  PROC_STATE_COMPLETED, PROC_COMPLETED, 0, .starts = 1, .last_r = -ESRCH },
                { "a completed process started again: a new incarnation", &cfg_no, SEQ(RUN, EXIT(0), START),
                  PROC_STATE_WAITING, PROC_PENDING, A(NEW_INCARNATION) | A(NOTIFY), .starts = 1 },
        };

        run_rows(rows, ELEMENTSOF(rows));
}

TEST(stops) {
        static const Row rows[] = {
                { "stop while waiting: Completed at once, never started (process-compose #530)", &cfg_no,
                  SEQ(START, STOP), PROC_STATE_COMPLETED, PROC_COMPLETED, END_RUN | A(NOTIFY),
                  .never = A(START_UNIT) | A(STOP_UNIT) },
                { "stop of a running process: StopUnit, Terminating", &cfg_no, SEQ(RUN, STOP),
                  PROC_STATE_STOPPING, PROC_TERMINATING, BEGIN_STOP | A(STOP_UNIT), .starts = 1 },
                { "stop, then the exit: Completed, no restart", &cfg_onf, SEQ(RUN, STOP, EXIT(-1)),
                  PROC_STATE_COMPLETED, PROC_COMPLETED, EXIT_BASE | END_RUN | A(NOTIFY),
                  .never = A(ARM_BACKOFF), .starts = 1 },
                { "stop while starting, no shutdown.command: StopUnit at once", &cfg_no,
                  SEQ(START, DEPS_OK, STOP), PROC_STATE_STOPPING, PROC_TERMINATING, BEGIN_STOP | A(STOP_UNIT),
                  .starts = 1 },
                { "stop while starting, no shutdown.command: the late start is noted", &cfg_no,
                  SEQ(START, DEPS_OK, STOP, STARTED), PROC_STATE_STOPPING, PROC_TERMINATING, A(NOTIFY),
                  .never = A(START_PROBES), .starts = 1 },
                { "stop while starting, no shutdown.command: the stop cancels the start", &cfg_no,
                  SEQ(START, DEPS_OK, STOP, START_FAILED), PROC_STATE_COMPLETED, PROC_COMPLETED,
                  END_RUN | A(NOTIFY), .never = A(REPORT_START_FAILED), .starts = 1 },
                { "stop while starting with a shutdown.command: deferred", &cfg_cmd,
                  SEQ(START, DEPS_OK, STOP), PROC_STATE_STOP_DEFERRED, PROC_TERMINATING, BEGIN_STOP,
                  .never = A(STOP_UNIT) | A(RUN_COMMAND), .starts = 1 },
                { "deferred stop: the command runs once the process runs", &cfg_cmd,
                  SEQ(START, DEPS_OK, STOP, STARTED), PROC_STATE_STOPPING_COMMAND, PROC_TERMINATING,
                  BEGIN_STOP | A(RUN_COMMAND), .never = A(STOP_UNIT) | A(START_PROBES), .starts = 1 },
                { "deferred stop: the start fails, Completed without Error", &cfg_cmd,
                  SEQ(START, DEPS_OK, STOP, START_FAILED), PROC_STATE_COMPLETED, PROC_COMPLETED,
                  END_RUN | A(NOTIFY), .never = A(RUN_COMMAND) | A(REPORT_START_FAILED), .starts = 1 },
                { "shutdown.command: stop of a running process runs it", &cfg_cmd, SEQ(RUN, STOP),
                  PROC_STATE_STOPPING_COMMAND, PROC_TERMINATING, BEGIN_STOP | A(RUN_COMMAND),
                  .never = A(STOP_UNIT), .starts = 1 },
                { "shutdown.send_keys: a stop sends them, as a command", &cfg_keys, SEQ(RUN, STOP),
                  PROC_STATE_STOPPING_COMMAND, PROC_TERMINATING, BEGIN_STOP | A(RUN_COMMAND),
                  .never = A(STOP_UNIT), .starts = 1 },
                { "shutdown.send_keys that cannot be written: StopUnit", &cfg_keys, SEQ(RUN, STOP, CMD_START_FAILED),
                  PROC_STATE_STOPPING_COMMAND, PROC_TERMINATING, A(STOP_UNIT), .starts = 1 },
                { "shutdown.send_keys sent, the timeout: the group is killed", &cfg_keys,
                  SEQ(RUN, STOP, CMD_OK, KILL_TIMER), PROC_STATE_STOPPING_COMMAND, PROC_TERMINATING, A(KILL),
                  .starts = 1 },
                { "shutdown.send_keys without a terminal: the signal", &cfg_keys_no_tty, SEQ(RUN, STOP),
                  PROC_STATE_STOPPING, PROC_TERMINATING, BEGIN_STOP | A(STOP_UNIT), .never = A(RUN_COMMAND),
                  .starts = 1 },
                { "shutdown.command fails: the group is killed", &cfg_cmd, SEQ(RUN, STOP, CMD_FAIL),
                  PROC_STATE_STOPPING_COMMAND, PROC_TERMINATING, A(KILL), .starts = 1 },
                { "shutdown.command succeeds: nothing more", &cfg_cmd, SEQ(RUN, STOP, CMD_OK),
                  PROC_STATE_STOPPING_COMMAND, PROC_TERMINATING, 0, .never = A(KILL), .starts = 1 },
                { "shutdown.command's timeout: the group is killed", &cfg_cmd, SEQ(RUN, STOP, KILL_TIMER),
                  PROC_STATE_STOPPING_COMMAND, PROC_TERMINATING, A(KILL), .starts = 1 },
                { "shutdown.command cannot start: StopUnit", &cfg_cmd, SEQ(RUN, STOP, CMD_START_FAILED),
                  PROC_STATE_STOPPING_COMMAND, PROC_TERMINATING, A(STOP_UNIT), .starts = 1 },
                { "shutdown.command: the exit ends the run", &cfg_cmd, SEQ(RUN, STOP, EXIT(0)),
                  PROC_STATE_COMPLETED, PROC_COMPLETED, EXIT_BASE | END_RUN | A(NOTIFY), .starts = 1 },
                { "shutdown.command with on_failure: a failing exit after the stop is not restarted", &cfg_onf_cmd,
                  SEQ(RUN, STOP, CMD_OK, EXIT(1)), PROC_STATE_COMPLETED, PROC_COMPLETED,
                  EXIT_BASE | END_RUN | A(NOTIFY), .never = A(ARM_BACKOFF) | A(STOP_UNIT), .starts = 1 },
                { "a command that fails after the exit kills nothing", &cfg_cmd, SEQ(RUN, STOP, EXIT(0), CMD_FAIL),
                  PROC_STATE_COMPLETED, PROC_COMPLETED, 0, .never = A(KILL), .starts = 1 },
                { "stop during backoff: Completed at once, the timer does nothing", &cfg_onf,
                  SEQ(RUN, EXIT(1), STOP, TIMER), PROC_STATE_COMPLETED, PROC_COMPLETED, 0,
                  .never = A(COUNT_RESTART), .starts = 1 },
                { "stop during backoff: the timer is cancelled", &cfg_onf, SEQ(RUN, EXIT(1), STOP),
                  PROC_STATE_COMPLETED, PROC_COMPLETED, END_RUN | A(NOTIFY), .starts = 1 },
                { "stop during the start of an automatic restart", &cfg_onf, SEQ(RUN, EXIT(1), TIMER, STOP),
                  PROC_STATE_STOPPING, PROC_TERMINATING, BEGIN_STOP | A(STOP_UNIT), .starts = 2,
                  .restarts = 1 },
                { "a second stop changes nothing", &cfg_no, SEQ(RUN, STOP, STOP),
                  PROC_STATE_STOPPING, PROC_TERMINATING, 0, .starts = 1 },
                { "Ready goes back to unknown on Terminating", &cfg_onf, SEQ(RUN, READY_OK, STOP),
                  PROC_STATE_STOPPING, PROC_TERMINATING, BEGIN_STOP | A(STOP_UNIT), .starts = 1 },
        };

        run_rows(rows, ELEMENTSOF(rows));
}

TEST(shutdown) {
        static const Row rows[] = {
                { "shutdown: a running process is stopped", &cfg_onf, SEQ(RUN, SHUTDOWN),
                  PROC_STATE_STOPPING, PROC_TERMINATING, BEGIN_STOP | A(STOP_UNIT), .starts = 1 },
                { "exit during shutdown: no restart, no hook", &cfg_eof, SEQ(RUN, SHUTDOWN, EXIT(1)),
                  PROC_STATE_COMPLETED, PROC_COMPLETED, EXIT_BASE | END_RUN | A(NOTIFY),
                  .never = A(ARM_BACKOFF) | A(EXIT_PROJECT), .starts = 1 },
                { "ordered shutdown: the stop is queued", &cfg_no, SEQ(RUN, ORDERED_SHUTDOWN),
                  PROC_STATE_RUNNING, PROC_RUNNING, 0, .never = A(STOP_UNIT), .starts = 1 },
                { "ordered shutdown: issued when the dependents are gone", &cfg_no,
                  SEQ(RUN, ORDERED_SHUTDOWN, STOP_ORDERED), PROC_STATE_STOPPING, PROC_TERMINATING,
                  BEGIN_STOP | A(STOP_UNIT), .starts = 1 },
                { "ordered shutdown: it ends by itself meanwhile, no restart", &cfg_onf,
                  SEQ(RUN, ORDERED_SHUTDOWN, EXIT(1)), PROC_STATE_COMPLETED, PROC_COMPLETED,
                  EXIT_BASE | END_RUN | A(NOTIFY), .never = A(ARM_BACKOFF) | A(STOP_UNIT), .starts = 1 },
                { "ordered shutdown: a start that fails meanwhile is no Error", &cfg_no,
                  SEQ(START, DEPS_OK, ORDERED_SHUTDOWN, START_FAILED), PROC_STATE_COMPLETED, PROC_COMPLETED,
                  END_RUN | A(NOTIFY), .never = A(REPORT_START_FAILED), .starts = 1 },
                { "shutdown: a waiting process is Completed", &cfg_no, SEQ(START, SHUTDOWN),
                  PROC_STATE_COMPLETED, PROC_COMPLETED, END_RUN | A(NOTIFY), .never = A(START_UNIT) },
                { "shutdown: the dependencies pass no more", &cfg_no, SEQ(START, SHUTDOWN, DEPS_OK),
                  PROC_STATE_COMPLETED, PROC_COMPLETED, 0, .never = A(START_UNIT) },
                { "shutdown during backoff: Completed, no relaunch", &cfg_onf, SEQ(RUN, EXIT(1), SHUTDOWN, TIMER),
                  PROC_STATE_COMPLETED, PROC_COMPLETED, 0, .never = A(COUNT_RESTART), .starts = 1 },
                { "shutdown with a shutdown.command", &cfg_cmd, SEQ(RUN, SHUTDOWN),
                  PROC_STATE_STOPPING_COMMAND, PROC_TERMINATING, BEGIN_STOP | A(RUN_COMMAND), .starts = 1 },
                { "restart refused while shutting down", &cfg_no, SEQ(RUN, SHUTDOWN, RESTART),
                  PROC_STATE_STOPPING, PROC_TERMINATING, 0, .starts = 1, .last_r = -ESHUTDOWN },
                { "exit_on_failure shuts the project down: no new start", &cfg_eof, SEQ(RUN, EXIT(4), START),
                  PROC_STATE_COMPLETED, PROC_COMPLETED, 0, .starts = 1, .project_exit = PX(4),
                  .last_r = -ESHUTDOWN },
        };

        run_rows(rows, ELEMENTSOF(rows));
}

TEST(api_restarts) {
        static const Row rows[] = {
                /* process-compose #530 and its v1.122 fix: a restart must not override a stop */
                { "#530: stop during the restart delay cancels the relaunch", &cfg_no,
                  SEQ(RUN, RESTART, EXIT(-1), STOP), PROC_STATE_COMPLETED, PROC_COMPLETED,
                  A(CANCEL_TIMER) | A(COMPLETE_RESTART) | A(NOTIFY), .starts = 1, .completed = 1 },
                { "#530: ... and the delay timer, had it fired, starts nothing", &cfg_no,
                  SEQ(RUN, RESTART, EXIT(-1), STOP, TIMER, DEPS_OK), PROC_STATE_COMPLETED, PROC_COMPLETED, 0,
                  .never = A(NEW_INCARNATION), .starts = 1, .completed = 1 },
                { "v1.122: stop while the restart stops it: no relaunch", &cfg_no,
                  SEQ(RUN, RESTART, STOP, EXIT(-1), TIMER), PROC_STATE_COMPLETED, PROC_COMPLETED, 0,
                  .never = A(ARM_RESTART_DELAY) | A(NEW_INCARNATION), .starts = 1, .completed = 1 },
                { "v1.122: the stop completes the restart caller at once", &cfg_no, SEQ(RUN, RESTART, STOP),
                  PROC_STATE_STOPPING, PROC_TERMINATING, A(COMPLETE_RESTART), .starts = 1, .completed = 1 },
                { "#530: restart of a waiting process restarts the wait", &cfg_no, SEQ(START, RESTART),
                  PROC_STATE_WAITING, PROC_PENDING,
                  A(NEW_INCARNATION) | A(CANCEL_TIMER) | A(COMPLETE_RESTART) | A(NOTIFY), .completed = 1 },
                { "restart: stop, pause (Completed), new incarnation", &cfg_no, SEQ(RUN, RESTART, EXIT(-1)),
                  PROC_STATE_RESTART_DELAY, PROC_COMPLETED, EXIT_BASE | END_RUN | A(ARM_RESTART_DELAY) | A(NOTIFY),
                  .starts = 1, .waiters = 1 },
                { "restart: after the pause, waiting again; the caller completes", &cfg_no,
                  SEQ(RUN, RESTART, EXIT(-1), TIMER), PROC_STATE_WAITING, PROC_PENDING,
                  A(NEW_INCARNATION) | A(COMPLETE_RESTART) | A(NOTIFY), .starts = 1, .completed = 1 },
                { "restart: the new run", &cfg_no, SEQ(RUN, RESTART, EXIT(-1), TIMER, DEPS_OK, STARTED),
                  PROC_STATE_RUNNING, PROC_RUNNING, A(START_PROBES) | A(NOTIFY), .starts = 2, .completed = 1 },
                { "restart keeps the restart counter, counts nothing", &cfg_onf,
                  SEQ(RUN, EXIT(1), TIMER, STARTED, RESTART, EXIT(-1), TIMER), PROC_STATE_WAITING, PROC_PENDING,
                  A(NEW_INCARNATION) | A(COMPLETE_RESTART) | A(NOTIFY), .starts = 2, .restarts = 1,
                  .completed = 1 },
                /* process-compose #347: concurrent restarts coalesce, and both complete */
                { "#347: a second restart while stopping coalesces", &cfg_no, SEQ(RUN, RESTART, RESTART),
                  PROC_STATE_RESTART_STOPPING, PROC_TERMINATING, 0, .starts = 1, .waiters = 2 },
                { "#347: both complete with one relaunch", &cfg_no,
                  SEQ(RUN, RESTART, RESTART, EXIT(-1), TIMER, DEPS_OK, STARTED), PROC_STATE_RUNNING,
                  PROC_RUNNING, A(START_PROBES) | A(NOTIFY), .starts = 2, .completed = 2 },
                { "#347: a second restart during the delay joins the pause", &cfg_no,
                  SEQ(RUN, RESTART, EXIT(-1), RESTART), PROC_STATE_RESTART_DELAY, PROC_COMPLETED, 0,
                  .starts = 1, .waiters = 2 },
                { "#347: a second restart during the delay coalesces", &cfg_no,
                  SEQ(RUN, RESTART, EXIT(-1), RESTART, TIMER, DEPS_OK), PROC_STATE_STARTING, PROC_PENDING,
                  A(START_UNIT) | A(REOPEN_LOG), .starts = 2, .completed = 2 },
                { "restart while a user stop is under way: relaunched after it", &cfg_no,
                  SEQ(RUN, STOP, RESTART, EXIT(-1)), PROC_STATE_RESTART_DELAY, PROC_COMPLETED,
                  EXIT_BASE | END_RUN | A(ARM_RESTART_DELAY) | A(NOTIFY), .starts = 1, .waiters = 1 },
                { "restart during backoff: started at once", &cfg_onf, SEQ(RUN, EXIT(1), RESTART),
                  PROC_STATE_WAITING, PROC_PENDING,
                  A(NEW_INCARNATION) | A(CANCEL_TIMER) | A(COMPLETE_RESTART) | A(NOTIFY), .starts = 1,
                  .completed = 1 },
                { "restart of a completed process: started", &cfg_no, SEQ(RUN, EXIT(0), RESTART),
                  PROC_STATE_WAITING, PROC_PENDING,
                  A(NEW_INCARNATION) | A(CANCEL_TIMER) | A(COMPLETE_RESTART) | A(NOTIFY), .starts = 1,
                  .completed = 1 },
                { "restart while starting with a shutdown.command: deferred", &cfg_cmd,
                  SEQ(START, DEPS_OK, RESTART, STARTED), PROC_STATE_RESTART_STOPPING_COMMAND, PROC_TERMINATING,
                  BEGIN_STOP | A(RUN_COMMAND), .starts = 1, .waiters = 1 },
                { "restart with a shutdown.command: pause after the exit", &cfg_cmd,
                  SEQ(RUN, RESTART, EXIT(0)), PROC_STATE_RESTART_DELAY, PROC_COMPLETED,
                  EXIT_BASE | END_RUN | A(ARM_RESTART_DELAY) | A(NOTIFY), .starts = 1, .waiters = 1 },
                { "shutdown during the restart delay: the caller completes, no relaunch", &cfg_no,
                  SEQ(RUN, RESTART, EXIT(-1), SHUTDOWN, TIMER), PROC_STATE_COMPLETED, PROC_COMPLETED, 0,
                  .never = A(NEW_INCARNATION), .starts = 1, .completed = 1 },
                { "shutdown while the restart stops it", &cfg_no, SEQ(RUN, RESTART, SHUTDOWN, EXIT(-1)),
                  PROC_STATE_COMPLETED, PROC_COMPLETED, EXIT_BASE | END_RUN | A(NOTIFY),
                  .never = A(ARM_RESTART_DELAY), .starts = 1, .completed = 1 },
        };

        run_rows(rows, ELEMENTSOF(rows));
}

TEST(probes) {
        static const Row rows[] = {
                /* process-compose #403: a readiness failure restarts by policy */
                { "#403: readiness fatal kills the run, it stays Running until the exit", &cfg_onf,
                  SEQ(RUN, READY_OK, READY_FATAL), PROC_STATE_RUNNING, PROC_RUNNING,
                  A(SET_HEALTH) | A(REPORT_PROBE_FAILED) | A(STOP_PROBES) | A(STOP_UNIT), .starts = 1,
                  .health = PROC_HEALTH_NOT_READY },
                { "#403: then on_failure restarts it", &cfg_onf, SEQ(RUN, READY_OK, READY_FATAL, EXIT(-1)),
                  PROC_STATE_BACKOFF, PROC_RESTARTING, EXIT_BASE | A(ARM_BACKOFF) | A(NOTIFY), .starts = 1 },
                { "#403: and it runs again", &cfg_onf, SEQ(RUN, READY_FATAL, EXIT(-1), TIMER, STARTED, READY_OK),
                  PROC_STATE_RUNNING, PROC_RUNNING, A(SET_HEALTH), .starts = 2, .restarts = 1,
                  .health = PROC_HEALTH_READY },
                { "restart no: a readiness failure ends it, Not Ready stays", &cfg_no,
                  SEQ(RUN, READY_FATAL, EXIT(-1)), PROC_STATE_COMPLETED, PROC_COMPLETED,
                  EXIT_BASE | END_RUN | A(NOTIFY), .starts = 1, .health = PROC_HEALTH_NOT_READY },
                { "liveness fatal kills the run, health unchanged", &cfg_onf, SEQ(RUN, READY_OK, LIVENESS_FATAL),
                  PROC_STATE_RUNNING, PROC_RUNNING, A(REPORT_PROBE_FAILED) | A(STOP_PROBES) | A(STOP_UNIT),
                  .starts = 1, .health = PROC_HEALTH_READY },
                { "a probe result after the stop is ignored", &cfg_onf, SEQ(RUN, STOP, READY_OK),
                  PROC_STATE_STOPPING, PROC_TERMINATING, 0, .starts = 1 },
                { "a fatal probe during an ordered shutdown only logs", &cfg_onf,
                  SEQ(RUN, ORDERED_SHUTDOWN, READY_FATAL), PROC_STATE_RUNNING, PROC_RUNNING,
                  A(SET_HEALTH) | A(REPORT_PROBE_FAILED), .starts = 1, .health = PROC_HEALTH_NOT_READY },
        };

        run_rows(rows, ELEMENTSOF(rows));
}

TEST(config_and_removal) {
        static const Row rows[] = {
                { "config replaced while running: stopped first", &cfg_no, SEQ(RUN, REPLACED),
                  PROC_STATE_STOPPING, PROC_TERMINATING, BEGIN_STOP | A(STOP_UNIT), .starts = 1 },
                { "config replaced while running: installed at the exit, then started", &cfg_no,
                  SEQ(RUN, REPLACED, EXIT(-1)), PROC_STATE_WAITING, PROC_PENDING,
                  A(NEW_INCARNATION) | A(NOTIFY), .never = A(EXIT_PROJECT), .starts = 1, .replacement = &cfg_onf },
                { "config replaced with a disabled one: installed, not started", &cfg_no,
                  SEQ(RUN, REPLACED, EXIT(-1)), PROC_STATE_DORMANT, PROC_DISABLED,
                  EXIT_BASE | END_RUN | A(INSTALL_CONFIG), .starts = 1, .replacement = &cfg_disabled },
                { "config replaced while completed: installed at once", &cfg_no, SEQ(RUN, EXIT(0), REPLACED),
                  PROC_STATE_WAITING, PROC_PENDING, A(NEW_INCARNATION) | A(NOTIFY), .starts = 1 },
                { "config replaced while waiting: installed at once", &cfg_no, SEQ(START, REPLACED, DEPS_OK),
                  PROC_STATE_STARTING, PROC_PENDING, A(START_UNIT) | A(REOPEN_LOG), .starts = 1 },
                { "config replaced during a restart: the caller completes", &cfg_no,
                  SEQ(RUN, RESTART, REPLACED, EXIT(-1)), PROC_STATE_WAITING, PROC_PENDING,
                  A(NEW_INCARNATION) | A(NOTIFY), .never = A(ARM_RESTART_DELAY), .starts = 1, .completed = 1 },
                { "config replaced during the restart delay", &cfg_no, SEQ(RUN, RESTART, EXIT(-1), REPLACED),
                  PROC_STATE_WAITING, PROC_PENDING, A(NEW_INCARNATION) | A(NOTIFY), .starts = 1, .completed = 1 },
                { "config replaced while shutting down: refused", &cfg_no, SEQ(RUN, SHUTDOWN, REPLACED),
                  PROC_STATE_STOPPING, PROC_TERMINATING, 0, .never = A(INSTALL_CONFIG), .starts = 1,
                  .last_r = -ESHUTDOWN },
                { "removed while running: stopped", &cfg_onf, SEQ(RUN, REMOVED),
                  PROC_STATE_STOPPING, PROC_TERMINATING, BEGIN_STOP | A(STOP_UNIT), .starts = 1 },
                { "removed while running: ends without restart", &cfg_onf, SEQ(RUN, REMOVED, EXIT(1)),
                  PROC_STATE_COMPLETED, PROC_COMPLETED, EXIT_BASE | END_RUN | A(NOTIFY), .never = A(ARM_BACKOFF),
                  .starts = 1 },
                { "removed during the restart delay: the caller completes", &cfg_no,
                  SEQ(RUN, RESTART, EXIT(-1), REMOVED, TIMER), PROC_STATE_COMPLETED, PROC_COMPLETED, 0,
                  .never = A(NEW_INCARNATION), .starts = 1, .completed = 1 },
                { "removed: cannot be started", &cfg_no, SEQ(REMOVED, START),
                  PROC_STATE_DORMANT, PROC_PENDING, 0, .last_r = -ENOENT },
        };

        run_rows(rows, ELEMENTSOF(rows));
}

TEST(adoption) {
        static const Row rows[] = {
                { "adopting: Pending until systemd answers", &cfg_onf, SEQ(ADOPT),
                  PROC_STATE_ADOPTING, PROC_PENDING, A(NOTIFY) },
                { "adopted, running: attached, probes on, no start", &cfg_onf, SEQ(ADOPT, ADOPTED_RUNNING),
                  PROC_STATE_RUNNING, PROC_RUNNING, A(ATTACH) | A(START_PROBES) | A(NOTIFY),
                  .never = A(START_UNIT) },
                { "adopted daemon whose starter is done: Launched", &cfg_daemon, SEQ(ADOPT, ADOPTED_DAEMON_DONE),
                  PROC_STATE_LAUNCHED, PROC_LAUNCHED, A(ATTACH) | A(START_PROBES) | A(NOTIFY) },
                { "adopted, running: its restart policy applies again", &cfg_onf,
                  SEQ(ADOPT, ADOPTED_RUNNING, EXIT(2), TIMER), PROC_STATE_RESTART_STARTING, PROC_RESTARTING,
                  A(COUNT_RESTART) | A(START_UNIT) | A(NOTIFY), .starts = 1, .restarts = 1 },
                { "adopted, ended while away: restarted by policy", &cfg_onf, SEQ(ADOPT, ADOPTED_ENDED(1)),
                  PROC_STATE_BACKOFF, PROC_RESTARTING, EXIT_BASE | A(ARM_BACKOFF) | A(NOTIFY) },
                { "adopted, ended with success: Completed", &cfg_onf, SEQ(ADOPT, ADOPTED_ENDED(0)),
                  PROC_STATE_COMPLETED, PROC_COMPLETED, EXIT_BASE | END_RUN | A(NOTIFY) },
                { "adopted, stopped by the user before the crash: no restart", &cfg_onf,
                  SEQ(ADOPT, ADOPTED_ENDED_BY_USER(-1)), PROC_STATE_COMPLETED, PROC_COMPLETED, END_RUN | A(NOTIFY),
                  .never = A(ARM_BACKOFF) },
                { "adopted, no unit after all: back to dormant, then started", &cfg_onf,
                  SEQ(ADOPT, ADOPTED_NONE, START, DEPS_OK), PROC_STATE_STARTING, PROC_PENDING,
                  A(START_UNIT) | A(REOPEN_LOG), .starts = 1 },
                { "adopt a running process: busy", &cfg_onf, SEQ(RUN, ADOPT),
                  PROC_STATE_RUNNING, PROC_RUNNING, 0, .starts = 1, .last_r = -EBUSY },
                { "stop while adopting: StopUnit", &cfg_cmd, SEQ(ADOPT, STOP),
                  PROC_STATE_STOPPING, PROC_TERMINATING, BEGIN_STOP | A(STOP_UNIT) },
                { "adopted, running, then stopped by the user", &cfg_onf, SEQ(ADOPT, ADOPTED_RUNNING, STOP, EXIT(-1)),
                  PROC_STATE_COMPLETED, PROC_COMPLETED, EXIT_BASE | END_RUN | A(NOTIFY), .never = A(ARM_BACKOFF) },
        };

        run_rows(rows, ELEMENTSOF(rows));
}

/* process-compose #403 from the dependents' side: while the failed process backs off, process_healthy and
 * process_completed wait; once it runs and is Ready again the healthy dependent starts. */
/* A scheduled process's runs are started by its timer: each is a new incarnation, attached to, never
 * restarted by the policy. */
TEST(scheduled_runs) {
        static const Row rows[] = {
                { "triggered: runs, attached, no start of ours", &cfg_sched, SEQ(TRIGGERED),
                  PROC_STATE_RUNNING, PROC_RUNNING,
                  A(NEW_INCARNATION) | A(ATTACH) | A(START_PROBES) | A(NOTIFY), .never = A(START_UNIT) },
                { "triggered run ends: Completed, restart: always ignored", &cfg_sched, SEQ(TRIGGERED, EXIT(3)),
                  PROC_STATE_COMPLETED, PROC_COMPLETED, EXIT_BASE | END_RUN | A(NOTIFY),
                  .never = A(ARM_BACKOFF) },
                { "the next run: a new incarnation", &cfg_sched, SEQ(TRIGGERED, EXIT(0), TRIGGERED),
                  PROC_STATE_RUNNING, PROC_RUNNING,
                  A(NEW_INCARNATION) | A(ATTACH) | A(START_PROBES) | A(NOTIFY) },
                { "ended while away: Completed, not restarted", &cfg_sched, SEQ(ADOPT, ADOPTED_ENDED(1)),
                  PROC_STATE_COMPLETED, PROC_COMPLETED, EXIT_BASE | END_RUN | A(NOTIFY),
                  .never = A(ARM_BACKOFF) },
                { "triggered while running: busy", &cfg_sched, SEQ(TRIGGERED, TRIGGERED),
                  PROC_STATE_RUNNING, PROC_RUNNING, 0, .last_r = -EBUSY },
        };

        run_rows(rows, ELEMENTSOF(rows));
}

TEST(readiness_failure_dependents) {
        Sim s;
        DepView v;

        sim_init(&s, &cfg_onf);
        sim_step(&s, &(ProcEvent) START);
        sim_step(&s, &(ProcEvent) DEPS_OK);
        v = process_fsm_dep_view(&s.f, &s.ctx, 0);
        ASSERT_EQ(lifecycle_dependency_verdict(COMPOSE_CONDITION_PROCESS_STARTED, &v), DEP_WAIT);
        sim_step(&s, &(ProcEvent) STARTED);
        v = process_fsm_dep_view(&s.f, &s.ctx, 0);
        ASSERT_EQ(lifecycle_dependency_verdict(COMPOSE_CONDITION_PROCESS_STARTED, &v), DEP_OK);
        ASSERT_EQ(lifecycle_dependency_verdict(COMPOSE_CONDITION_PROCESS_HEALTHY, &v), DEP_WAIT);

        sim_step(&s, &(ProcEvent) READY_FATAL);
        sim_step(&s, &(ProcEvent) EXIT(-1));
        ASSERT_EQ(s.f.state, PROC_STATE_BACKOFF);
        v = process_fsm_dep_view(&s.f, &s.ctx, -1);
        ASSERT_EQ(lifecycle_dependency_verdict(COMPOSE_CONDITION_PROCESS_HEALTHY, &v), DEP_WAIT);
        ASSERT_EQ(lifecycle_dependency_verdict(COMPOSE_CONDITION_PROCESS_COMPLETED, &v), DEP_WAIT);
        ASSERT_EQ(lifecycle_dependency_verdict(COMPOSE_CONDITION_PROCESS_COMPLETED_SUCCESSFULLY, &v), DEP_WAIT);

        sim_step(&s, &(ProcEvent) TIMER);
        sim_step(&s, &(ProcEvent) STARTED);
        sim_step(&s, &(ProcEvent) READY_OK);
        v = process_fsm_dep_view(&s.f, &s.ctx, 0);
        ASSERT_EQ(lifecycle_dependency_verdict(COMPOSE_CONDITION_PROCESS_HEALTHY, &v), DEP_OK);

        /* a user stop: process_healthy can no longer be met, process_completed is */
        sim_step(&s, &(ProcEvent) STOP);
        v = process_fsm_dep_view(&s.f, &s.ctx, 0);
        ASSERT_EQ(lifecycle_dependency_verdict(COMPOSE_CONDITION_PROCESS_HEALTHY, &v), DEP_FAIL);
        sim_step(&s, &(ProcEvent) EXIT(-1));
        v = process_fsm_dep_view(&s.f, &s.ctx, -1);
        ASSERT_EQ(lifecycle_dependency_verdict(COMPOSE_CONDITION_PROCESS_COMPLETED, &v), DEP_OK);
        ASSERT_EQ(lifecycle_dependency_verdict(COMPOSE_CONDITION_PROCESS_COMPLETED_SUCCESSFULLY, &v), DEP_FAIL);
        ASSERT_EQ(lifecycle_dependency_verdict(COMPOSE_CONDITION_PROCESS_STARTED, &v), DEP_OK);
}

/* A process stopped before it ran fails process_started; the restart delay counts as in flight. */
TEST(dependency_views) {
        Sim s;
        DepView v;

        sim_init(&s, &cfg_no);
        v = process_fsm_dep_view(&s.f, &s.ctx, 0);
        ASSERT_EQ(lifecycle_dependency_verdict(COMPOSE_CONDITION_PROCESS_COMPLETED, &v), DEP_IGNORE);
        sim_step(&s, &(ProcEvent) START);
        sim_step(&s, &(ProcEvent) STOP);
        v = process_fsm_dep_view(&s.f, &s.ctx, 0);
        ASSERT_EQ(lifecycle_dependency_verdict(COMPOSE_CONDITION_PROCESS_STARTED, &v), DEP_FAIL);

        sim_init(&s, &cfg_no);
        sim_step(&s, &(ProcEvent) START);
        sim_step(&s, &(ProcEvent) DEPS_OK);
        sim_step(&s, &(ProcEvent) STARTED);
        sim_step(&s, &(ProcEvent) RESTART);
        sim_step(&s, &(ProcEvent) EXIT(-1));
        ASSERT_EQ(s.f.state, PROC_STATE_RESTART_DELAY);
        ASSERT_TRUE(process_fsm_is_busy(s.f.state));
        ASSERT_FALSE(process_fsm_is_active(s.f.state));
        v = process_fsm_dep_view(&s.f, &s.ctx, -1);
        ASSERT_EQ(lifecycle_dependency_verdict(COMPOSE_CONDITION_PROCESS_COMPLETED, &v), DEP_WAIT);
}

/* The shutdown.command unit may outlive the run: the process is not reapable, and the project not done,
 * until it ended. */
TEST(command_outlives_run) {
        Sim s;

        sim_init(&s, &cfg_cmd);
        sim_step(&s, &(ProcEvent) START);
        sim_step(&s, &(ProcEvent) DEPS_OK);
        sim_step(&s, &(ProcEvent) STARTED);
        sim_step(&s, &(ProcEvent) REMOVED);
        ASSERT_TRUE(s.f.command_running);
        sim_step(&s, &(ProcEvent) EXIT(0));
        ASSERT_EQ(s.f.state, PROC_STATE_COMPLETED);
        ASSERT_TRUE(s.f.command_running);
        ASSERT_FALSE(process_fsm_reapable(&s.f));
        sim_step(&s, &(ProcEvent) CMD_OK);
        ASSERT_FALSE(s.f.command_running);
        ASSERT_TRUE(process_fsm_reapable(&s.f));
}

TEST(ordered_stop_queue) {
        Sim s;

        sim_init(&s, &cfg_no);
        sim_step(&s, &(ProcEvent) START);
        sim_step(&s, &(ProcEvent) DEPS_OK);
        ASSERT_FALSE(process_fsm_awaits_ordered_stop(&s.f, s.ctx.shutting_down));
        sim_step(&s, &(ProcEvent) ORDERED_SHUTDOWN);
        ASSERT_TRUE(process_fsm_awaits_ordered_stop(&s.f, s.ctx.shutting_down));
        ASSERT_TRUE(process_fsm_stop_requested(&s.f, s.ctx.shutting_down));
        sim_step(&s, &(ProcEvent) STARTED);
        ASSERT_EQ(s.f.state, PROC_STATE_RUNNING);
        sim_step(&s, &(ProcEvent) STOP_ORDERED);
        ASSERT_FALSE(process_fsm_awaits_ordered_stop(&s.f, s.ctx.shutting_down));
        ASSERT_EQ(s.f.state, PROC_STATE_STOPPING);
}

/* Every event in every state: a valid state comes out, a refused event changes nothing, the status of each
 * state is one of process-compose's, and busy/active/stopping agree with each other. */
TEST(every_state_every_event) {
        const ComposeProcess *configs[] = { &cfg_no, &cfg_onf, &cfg_cmd, &cfg_daemon, &cfg_disabled };

        for (ProcState st = 0; st < _PROC_STATE_MAX; st++) {
                ASSERT_TRUE(proc_state_to_string(st));
                ASSERT_TRUE(process_fsm_status(st, NULL) >= 0);
                if (process_fsm_is_stopping(st))
                        ASSERT_EQ(process_fsm_status(st, NULL), PROC_TERMINATING);
                if (process_fsm_is_active(st))
                        ASSERT_TRUE(process_fsm_is_busy(st));
                for (ProcEventType t = 0; t < _PROC_EVENT_MAX; t++)
                        for (size_t c = 0; c < ELEMENTSOF(configs); c++)
                                for (int flags = 0; flags < 8; flags++) {
                                        ProcFsm f = { .state = st, .ran = flags & 1 }, n;
                                        ProcFsmContext ctx = {
                                                .config = configs[c],
                                                .shutting_down = flags & 2,
                                                .ordered_shutdown = flags & 4,
                                        };
                                        ProcEvent ev = { .type = t, .stop = (ProcStopReason) (flags % 3) };
                                        ProcActions a;
                                        int r;

                                        ASSERT_TRUE(proc_event_type_to_string(t));
                                        r = process_fsm_step(&f, &ev, &ctx, &n, &a);
                                        ASSERT_TRUE(n.state >= 0 && n.state < _PROC_STATE_MAX);
                                        if (r < 0) {
                                                ASSERT_EQ(n.state, f.state);
                                                ASSERT_EQ(a.mask, 0u);
                                        }
                                        /* nothing starts while the project shuts down */
                                        if (ctx.shutting_down)
                                                ASSERT_FALSE(a.mask & (PROC_ACTION_START_UNIT |
                                                                       PROC_ACTION_NEW_INCARNATION));
                                        /* a start needs a state that waits for it */
                                        if (a.mask & PROC_ACTION_START_UNIT)
                                                ASSERT_TRUE(IN_SET(n.state, PROC_STATE_STARTING,
                                                                   PROC_STATE_RESTART_STARTING));
                                }
        }
        ASSERT_TRUE(proc_state_to_string(_PROC_STATE_MAX) == NULL);
        ASSERT_TRUE(proc_event_type_to_string(_PROC_EVENT_MAX) == NULL);
}

DEFINE_TEST_MAIN();
