/* What the parts of the Manager share (manager*.c): the Manager and Proc structures and the functions one part
 * calls in another. Not for use outside src/core/manager*.c: the rest of pcctl uses manager.h. */
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "compose/compose.h"
#include "compose/compose-json.h"
#include "core/console.h"
#include "core/lifecycle.h"
#include "core/manager.h"
#include "core/process-fsm.h"
#include "core/proc-pty.h"
#include "core/process-spec.h"
#include "core/state-file.h"
#include "journal/journal-follower.h"
#include "journal/journal-sync.h"
#include "journal/log-file.h"
#include "journal/logring.h"
#include "probe/probe.h"
#include "shared/error-util.h"
#include "shared/json-util.h"
#include "shared/log.h"
#include "shared/strv.h"
#include "unit/unit-driver.h"
#include "unit/unit-xprops.h"
#include "watch/watcher.h"

#define EXIT_CHDIR 200
#define EXIT_EXEC 203

typedef struct Waiter {
        ManagerDoneFunc done;
        void *userdata;
        int result;
} Waiter;

typedef struct Proc Proc;
typedef struct WatchCascade WatchCascade;

/* One instance service of a schedule with max_concurrent above 1 (manager-schedule.c) */
typedef struct ScheduleRun {
        Proc *p;
        char *unit;                  /* "pcctl-<project>-<process>@<i>.service" */
        UnitWatch *watch;            /* reports the runs the launcher starts (triggered) */
        bool active;
        bool adopt;                  /* running when this controller came: adopted at the arm */
        pid_t pid;
        usec_t start;                /* realtime */
} ScheduleRun;

struct Proc {
        Process pub;                 /* first: manager_process_at() hands out &pub */
        Manager *m;
        ComposeProcess *owned_config;/* the config when the project no longer holds it (scaled away) */
        ComposeProcess *next_config; /* POST /process: installed once the current run has ended */

        ProcFsm fsm;                 /* the state; only proc_dispatch() changes it */
        bool ignore_warned;          /* the "not waiting for it" warning was logged for this incarnation */
        bool user_stopped;           /* its run was ended by a user stop (kept in the state file) */
        bool recreate;               /* adopted with a changed spec and --recreate: replace it once attached */
        usec_t away_exit;            /* adopted: when its run ended while no controller watched (realtime) */

        UnitWatch *watch;
        bool following;

        sd_event_source *timer;      /* backoff (BACKOFF) or restart delay (RESTART_DELAY) */

        /* the shutdown.command run, as its own transient unit */
        UnitWatch *shutdown_watch;
        char *shutdown_unit;
        sd_event_source *kill_timer;

        /* API restarts: coalesced, completed when the new incarnation was launched */
        Waiter *restart_waiters;
        size_t n_restart_waiters, allocated_restart_waiters;
        /* POST /process: completed when next_config is installed (or dropped) */
        Waiter *update_waiters;
        size_t n_update_waiters, allocated_update_waiters;

        LogFile *log_file;           /* its own log_location, open from its start to its end */
        bool in_project_log;         /* its ring is attached to the project's log_location */
        bool watching_starter;       /* is_daemon: the starter's exit (main_exited) makes it Launched */
        Probe *readiness;            /* created at each launch, running while the process runs */
        Probe *liveness;

        /* schedule: the timer that starts its runs (manager-schedule.c) */
        char *timer_unit;            /* "pcctl-<project>-<process>.timer" */
        bool timer_armed;            /* the timer was started, or found running at adoption */
        UnitCall *timer_read;        /* reading its next and last elapse */
        sd_event_source *timer_retry;/* ... again, while the timer's start job runs */
        unsigned timer_retries;
        sd_event_source *timer_rearm;/* starting it again while systemd still holds the old one */
        unsigned timer_rearms;
        bool timer_run_now;          /* the start under way adds an immediate run */
        bool timer_replacing;        /* a live update stops the old timer; the new one waits for that */
        bool arm_after_replace;      /* ... and is armed when it is gone */
        ScheduleRun *runs;           /* max_concurrent above 1: its instances (none: 1) */
        unsigned n_runs;
        unsigned active_runs;
        pid_t *run_pids;             /* the active runs' PIDs, oldest first (pub.run_pids) */

        LogRingObserver *ring_observer;
        bool log_dirty;
        bool log_dirty_state;        /* lines since the last state file write */
        uint64_t print_seq;          /* next ring entry to print on the console */
        uint64_t ready_seq;          /* next ring entry to match against ready_log_line */
        bool ready_matching;         /* the matcher runs (PROC_ACTION_START/STOP_READY_MATCH) */

        ProcPty *pty;                /* is_tty/is_interactive: the terminal of the current or last run */
        const ComposeWatch *watched_config; /* the watch registered for it (manager-watch.c), NULL: none */
        bool watch_restart;          /* the restart under way is a watch's: no pause between stop and start */
};

struct ManagerObserver {
        Manager *manager;
        ManagerStateFunc func;
        void *userdata;
        bool dead;
        ManagerObserver *next;
};

/* namespace stop: the members one at a time, dependents first; each waits for the previous to end */
typedef struct NamespaceStop {
        char *ns;
        char **order;                /* the members' names, in stop order */
        size_t pos;                  /* the next to stop */
        char *stopping;              /* the member whose end it waits for, or NULL */
        Waiter waiter;
        struct NamespaceStop *next;
} NamespaceStop;

/* namespace restart: its own namespace stop (not in the manager's list), then the start of the members */
typedef struct NamespaceRestart {
        NamespaceStop *stop;
        Waiter waiter;
        usec_t deadline;             /* starts then even if a member has not ended */
        struct NamespaceRestart *next;
} NamespaceRestart;

struct Manager {
        ManagerOptions options;
        char **os_environ;

        sd_event *event;
        UnitDriver *driver;
        JournalFollower *follower;
        Console *console;
        LogFile *project_log;

        ComposeProject *project;
        char *project_name;          /* "<hostname>/<name>" */
        char *slice;
        usec_t start_time;

        Proc **procs;                /* creation order */
        size_t n_procs, allocated_procs;
        Proc **by_name;              /* sorted by name, rebuilt when names change */
        size_t n_by_name, allocated_by_name;
        bool by_name_dirty;

        ManagerObserver *observers;
        unsigned notifying;
        bool observers_dead;

        sd_event_source *check_event;
        sd_event_source *log_event;
        sd_event_source *status_timer;
        sd_event_source *finish_timer;
        bool settling;               /* finishing: waiting for the journal's last lines */
        uint64_t settle_entries;
        usec_t settle_deadline;
        usec_t settle_quiet_since;   /* CLOCK_MONOTONIC: settle_entries did not change since */
        usec_t settle_min;           /* CLOCK_MONOTONIC: not before (queued HTTP replies leave meanwhile) */
        JournalSync *journal_sync;   /* journald's Synchronize call in flight */
        bool journal_synced;         /* journald answered it: every line of the units is in the journal */
        sd_event_source *signal_sources[3];

        Waiter *completions;         /* callbacks to run from the next check pass */
        size_t n_completions, allocated_completions;
        Waiter *stop_waiters;        /* manager_stop_project() callers */
        size_t n_stop_waiters, allocated_stop_waiters;
        NamespaceRestart *ns_restarts;
        NamespaceStop *ns_stops;

        bool ever_started;
        bool shutting_down;
        bool project_done;           /* every process ended after a shutdown or auto-completion */
        bool finishing;              /* resetting failed units before leaving the loop */
        bool completed_notice;
        bool all_running_logged;
        sd_event_source *state_timer;/* writes the state file a moment after a change */
        UnitCall *list_call;         /* adoption: ListUnitsByPatterns in flight */
        sd_event_source *stats_timer;/* the resource usage refresh (manager-stats.c) */
        UnitStatsCall *stats_call;   /* its batch of manager reads in flight */
        usec_t stats_last;           /* monotonic time of the last refresh */
        Watcher *watcher;            /* file watches, from the first one on (manager-watch.c) */
        WatchCascade *watch_cascades;/* watch restarts under way, one process after the other */
        bool state_dirty;
        bool leaving;                /* --keep-running: the controller ends, the units stay */
        char **stored_pty_names;     /* terminals a previous controller kept in the fd store, by ident */
        int *stored_pty_fds;
        unsigned n_resets;
        unsigned n_signals;
        int exit_code;
};

static inline const ComposeProcess *proc_config(const Proc *p) {
        return p->pub.config;
}

/* Something is under way: a wait, a start, a run, a stop, a backoff (not the pause of an API restart). */
static inline bool proc_in_flight(const Proc *p) {
        return process_fsm_is_active(p->fsm.state);
}

/* In flight, or an API restart is under way. */
static inline bool proc_busy(const Proc *p) {
        return process_fsm_is_busy(p->fsm.state);
}

/* manager-unit.c */
void proc_unfollow(Proc *p);
int proc_follow(Proc *p);
int proc_update_unit_name(Proc *p);
void proc_spec_input(const Proc *p, const ComposeEnvFile *env_file, ProcessSpecInput *ret);
void proc_launch(Proc *p, bool reopen_log);
void proc_attach(Proc *p);
void proc_run_command(Proc *p);
void proc_arm_kill_timer(Proc *p);
void proc_send_stop_keys(Proc *p);
void proc_stop_unit(Proc *p);
void proc_kill_all(Proc *p);
void proc_on_unit_exit(Proc *p, const UnitExit *exit);

/* manager-stats.c */
int manager_stats_setup(Manager *m);
void manager_stats_done(Manager *m);
void proc_stats_start(Proc *p);

/* manager-namespace.c */
void manager_progress_namespace_restarts(Manager *m);
void manager_progress_namespace_stops(Manager *m);
void manager_free_namespace_ops(Manager *m);

/* manager-check.c */
int manager_on_check(sd_event_source *s, void *userdata);
void manager_schedule_check(Manager *m);
int manager_on_finish_timer(sd_event_source *s, uint64_t usec, void *userdata);

/* manager-logs.c */
void proc_log(Proc *p, const char *fmt, ...) _printf_(2, 3);
void proc_open_log_file(Proc *p);
void proc_close_log_file(Proc *p);
void proc_attach_project_log(Proc *p);
void proc_detach_logs(Proc *p);
void manager_open_project_log(Manager *m);
int manager_on_log(sd_event_source *s, void *userdata);
void manager_print_logs(Manager *m);
void proc_on_ring(LogRing *ring, void *userdata);
int manager_on_status_timer(sd_event_source *s, uint64_t usec, void *userdata);
void manager_status_dirty(Manager *m);
void manager_log_all_running(Manager *m);

/* manager.c */
int waiters_add(Waiter **w, size_t *n, size_t *allocated, ManagerDoneFunc done, void *userdata, int result);
void manager_complete(Manager *m, Waiter *w, size_t n, int result);
Proc *manager_find(Manager *m, const char *name);
void proc_changed(Proc *p);
Proc *proc_free(Proc *p);
void proc_reset_ring(Proc *p);
int proc_new(Manager *m, ComposeProcess *c, Proc **ret);

/* manager-process.c */
void proc_complete_restart(Proc *p, int result);
void proc_setup_probes(Proc *p, const ProcessSpec *run);
int proc_dispatch_detail(Proc *p, const ProcEvent *ev, const char *detail);
int proc_dispatch(Proc *p, const ProcEvent *ev);

/* manager-unit.c, for adoption */
int proc_build_spec(Proc *p, ProcessSpecKind kind, ProcessSpec *ret, char **ret_reason);
int proc_watch_new(Proc *p);
void proc_on_journal_count(const JournalCount *count, void *userdata);

/* manager-adopt.c: controller restarts (docs/lifecycle.md "Controller restarts") */
int manager_adopt_units(Manager *m);
void manager_want_all(Manager *m);
void manager_state_dirty(Manager *m);
void manager_save_state(Manager *m);
int manager_on_state_timer(sd_event_source *s, uint64_t usec, void *userdata);
void proc_on_adopted_running(Proc *p, pid_t main_pid, usec_t start_timestamp);
void proc_on_adopted_none(Proc *p);
usec_t proc_backoff_usec(Proc *p, ProcAction action);

/* manager-schedule.c */
bool proc_is_scheduled(const Proc *p);
int proc_arm_schedule(Proc *p, bool run_now);
int proc_disarm_schedule(Proc *p, UnitDoneFunc done, void *userdata);
void proc_schedule_refresh(Proc *p);
void proc_schedule_replace_begin(Proc *p);
bool proc_schedule_install(Proc *p);
bool proc_on_triggered(Proc *p, pid_t main_pid, usec_t start_timestamp);
void proc_schedule_show_runs(Proc *p);
bool proc_schedule_stop_runs(Proc *p);
bool proc_schedule_kill_runs(Proc *p, int sig);
void proc_schedule_free_runs(Proc *p);
void manager_adopt_timers(Manager *m, const UnitListEntry *units, size_t n_units);

/* manager-pty.c */
int proc_open_pty(Proc *p, UnitSpec *spec);
void proc_adopt_pty(Proc *p);
int proc_open_schedule_pty(Proc *p, UnitSpec *spec);
bool proc_adopt_schedule_pty(Proc *p);
void manager_take_stored_ptys(Manager *m);
void manager_close_stored_ptys(Manager *m);
/* manager-watch.c: file watches (docs/watch.md) */
void manager_watch_sync(Manager *m);
bool manager_watch_armed(Manager *m);
void manager_watch_free(Manager *m);

/* manager-update.c */
void proc_install_config(Proc *p);
void proc_complete_update(Proc *p, int result);
