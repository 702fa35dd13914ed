/* The Manager: one project, one sd-event loop, one Process per replica, each run a transient unit.
 *
 * Every process has one state of the process state machine (process-fsm.h); its public status (compat §2.1)
 * follows from it. The Proc feeds the machine its events: unit events (started, start_failed, exited from the
 * unit driver), timers (backoff, restart delay, kill after a shutdown.command), probe results and API calls,
 * and carries out the actions the machine returns (proc_dispatch()); it changes the state nowhere else.
 * All decisions that need no I/O live in process-fsm.c and lifecycle.c. After any change a deferred "check" pass runs on the loop: it
 * starts waiting processes whose dependencies are met (all at once, so independent processes start
 * pipelined), skips those whose dependencies failed, issues ordered-shutdown stops, runs completion
 * callbacks, reaps removed processes and ends the project when nothing is left in flight. Nothing is freed
 * inside its own callback: removed processes are reaped by that pass. */
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cjson/cJSON.h>

#include "compose/compose.h"
#include "compose/compose-json.h"
#include "core/console.h"
#include "core/lifecycle.h"
#include "core/manager.h"
#include "core/process-fsm.h"
#include "core/process-spec.h"
#include "journal/journal-follower.h"
#include "journal/log-file.h"
#include "journal/logring.h"
#include "probe/probe.h"
#include "shared/error-util.h"
#include "shared/json-util.h"
#include "shared/log.h"
#include "shared/strv.h"
#include "unit/unit-driver.h"
#include "unit/unit-xprops.h"

#define EXIT_CHDIR 200
#define EXIT_EXEC 203
#define SHUTDOWN_COMMAND_TIMEOUT_DEFAULT_SEC 10
#define NAMESPACE_RESTART_TIMEOUT_USEC (30 * USEC_PER_SEC)
#define RESET_TIMEOUT_USEC (5 * USEC_PER_SEC)

typedef struct Waiter {
        ManagerDoneFunc done;
        void *userdata;
        int result;
} Waiter;

typedef struct Proc Proc;

struct Proc {
        Process pub;                 /* first: manager_process_at() hands out &pub */
        Manager *m;
        ComposeProcess *owned_config;/* the config when the project no longer holds it (scaled away) */
        ComposeProcess *next_config; /* POST /process: installed once the current run has ended */

        ProcFsm fsm;                 /* the state; only proc_dispatch() changes it */
        bool ignore_warned;          /* the "not waiting for it" warning was logged for this incarnation */

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

        LogFile *log_file;           /* its own log_location, open from its start to its end */
        bool in_project_log;         /* its ring is attached to the project's log_location */
        bool watching_starter;       /* is_daemon: the starter's exit (main_exited) makes it Launched */
        Probe *readiness;            /* created at each launch, running while the process runs */
        Probe *liveness;

        LogRingObserver *ring_observer;
        bool log_dirty;
        uint64_t print_seq;          /* next ring entry to print on the console */
        uint64_t ready_seq;          /* next ring entry to match against ready_log_line */
        bool ready_matching;         /* the matcher runs (PROC_ACTION_START/STOP_READY_MATCH) */
};

struct ManagerObserver {
        Manager *manager;
        ManagerStateFunc func;
        void *userdata;
        bool dead;
        ManagerObserver *next;
};

typedef struct NamespaceRestart {
        char *ns;
        Waiter waiter;
        usec_t deadline;
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
        sd_event_source *signal_sources[3];

        Waiter *completions;         /* callbacks to run from the next check pass */
        size_t n_completions, allocated_completions;
        Waiter *stop_waiters;        /* manager_stop_project() callers */
        size_t n_stop_waiters, allocated_stop_waiters;
        NamespaceRestart *ns_restarts;

        bool ever_started;
        bool shutting_down;
        bool project_done;           /* every process ended after a shutdown or auto-completion */
        bool finishing;              /* resetting failed units before leaving the loop */
        bool completed_notice;
        bool all_running_logged;
        unsigned n_resets;
        unsigned n_signals;
        int exit_code;
};

static void manager_schedule_check(Manager *m);
static void proc_changed(Proc *p);
static int proc_dispatch(Proc *p, const ProcEvent *ev);
static int proc_dispatch_detail(Proc *p, const ProcEvent *ev, const char *detail);

/* ----------------------------------------------------------------------------------------------------- */
/* small helpers */

static const ComposeProcess *proc_config(const Proc *p) {
        return p->pub.config;
}

/* Something is under way: a wait, a start, a run, a stop, a backoff (not the pause of an API restart). */
static bool proc_in_flight(const Proc *p) {
        return process_fsm_is_active(p->fsm.state);
}

/* In flight, or an API restart is under way. */
static bool proc_busy(const Proc *p) {
        return process_fsm_is_busy(p->fsm.state);
}

static void proc_log(Proc *p, const char *fmt, ...) _printf_(2, 3);
static void proc_log(Proc *p, const char *fmt, ...) {
        _cleanup_free_ char *s = NULL;
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (n < 0 || !p->pub.log)
                return;
        (void) log_ring_append(p->pub.log, s, (size_t) n, now_usec(CLOCK_REALTIME), LOG_ERR, LOG_STREAM_PCCTL,
                               0, NULL);
        p->pub.last_activity = now_usec(CLOCK_REALTIME);
}

static int waiters_add(Waiter **w, size_t *n, size_t *allocated, ManagerDoneFunc done, void *userdata,
                       int result) {
        if (!done)
                return 0;
        if (!GREEDY_REALLOC(*w, *allocated, *n + 1))
                return -ENOMEM;
        (*w)[(*n)++] = (Waiter) { .done = done, .userdata = userdata, .result = result };
        return 0;
}

/* Moves callbacks to the manager's completion queue: they run from the next check pass, never inside the
 * call or the event that finished them. */
static void manager_complete(Manager *m, Waiter *w, size_t n, int result) {
        for (size_t i = 0; i < n; i++)
                if (waiters_add(&m->completions, &m->n_completions, &m->allocated_completions, w[i].done,
                                w[i].userdata, result) < 0)
                        log_oom();
        manager_schedule_check(m);
}

static void proc_complete_restart(Proc *p, int result) {
        manager_complete(p->m, p->restart_waiters, p->n_restart_waiters, result);
        p->restart_waiters = mfree(p->restart_waiters);
        p->n_restart_waiters = p->allocated_restart_waiters = 0;
}

static int proc_cmp(const void *a, const void *b) {
        return strcmp((*(Proc * const *) a)->pub.name, (*(Proc * const *) b)->pub.name);
}

static void manager_rebuild_index(Manager *m) {
        size_t n = 0;

        if (!m->by_name_dirty)
                return;
        if (!GREEDY_REALLOC(m->by_name, m->allocated_by_name, m->n_procs)) {
                log_oom();
                return;
        }
        for (size_t i = 0; i < m->n_procs; i++)
                if (!m->procs[i]->fsm.removed)
                        m->by_name[n++] = m->procs[i];
        qsort(m->by_name, n, sizeof(Proc *), proc_cmp);
        m->n_by_name = n;
        m->by_name_dirty = false;
}

static Proc *manager_find(Manager *m, const char *name) {
        size_t lo = 0, hi;

        if (!name)
                return NULL;
        manager_rebuild_index(m);
        if (m->by_name_dirty) {
                /* out of memory for the index: fall back to a scan */
                for (size_t i = 0; i < m->n_procs; i++)
                        if (!m->procs[i]->fsm.removed && streq(m->procs[i]->pub.name, name))
                                return m->procs[i];
                return NULL;
        }
        hi = m->n_by_name;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                int c = strcmp(m->by_name[mid]->pub.name, name);
                if (c == 0)
                        return m->by_name[mid];
                if (c < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return NULL;
}

static bool proc_in_namespace(const Proc *p, const char *ns) {
        const ComposeProcess *c = proc_config(p);

        if (!c || !c->namespaces)
                return streq(ns, "default");
        return strv_contains(c->namespaces, ns);
}

/* ----------------------------------------------------------------------------------------------------- */
/* observers */

ManagerObserver *manager_observe_state(Manager *m, ManagerStateFunc func, void *userdata) {
        ManagerObserver *o;

        o = new0(ManagerObserver, 1);
        if (!o)
                return NULL;
        *o = (ManagerObserver) { .manager = m, .func = func, .userdata = userdata, .next = m->observers };
        m->observers = o;
        return o;
}

static void manager_reap_observers(Manager *m) {
        ManagerObserver **pp = &m->observers;

        while (*pp) {
                ManagerObserver *o = *pp;
                if (o->dead) {
                        *pp = o->next;
                        free(o);
                } else
                        pp = &o->next;
        }
        m->observers_dead = false;
}

ManagerObserver *manager_observer_free(ManagerObserver *o) {
        Manager *m;

        if (!o)
                return NULL;
        m = o->manager;
        o->dead = true;
        m->observers_dead = true;
        if (m->notifying == 0)
                manager_reap_observers(m);
        return NULL;
}

static void manager_status_dirty(Manager *m);

static void proc_changed(Proc *p) {
        Manager *m = p->m;

        log_debug("%s: %s, health %s, exit code %d, restarts %u, state %s", p->pub.name,
                  proc_status_to_string(p->pub.status), proc_health_to_string(p->pub.health), p->pub.exit_code,
                  p->pub.restarts, proc_state_to_string(p->fsm.state));

        m->notifying++;
        for (ManagerObserver *o = m->observers; o; o = o->next)
                if (!o->dead)
                        o->func(m, &p->pub, o->userdata);
        m->notifying--;
        if (m->notifying == 0 && m->observers_dead)
                manager_reap_observers(m);

        manager_status_dirty(m);
        manager_schedule_check(m);
}

static void proc_set_health(Proc *p, ProcHealth h) {
        if (p->pub.health == h)
                return;
        p->pub.health = h;
        if (h == PROC_HEALTH_READY && p->pub.ready_time == 0)
                p->pub.ready_time = now_usec(CLOCK_REALTIME);
        proc_changed(p);
}

/* ----------------------------------------------------------------------------------------------------- */
/* log_location files (compat §5.3) */

static bool proc_has_own_log_location(const Proc *p) {
        return proc_config(p) && !isempty(proc_config(p)->log_location);
}

static void proc_open_log_file(Proc *p) {
        const ComposeProcess *c = proc_config(p);
        _cleanup_free_ char *path = NULL;
        LogFileConfig cfg;
        int r;

        if (p->log_file || !proc_has_own_log_location(p))
                return;
        r = process_spec_log_location(p->m->project, c, p->pub.replica_num, &path);
        if (r <= 0) {
                log_oom();
                return;
        }
        log_file_config_from_compose(c->log_configuration ?: p->m->project->log_configuration, &cfg);
        r = log_file_open(p->m->event, path, &cfg, &p->log_file);
        if (r < 0) {
                log_warning_errno(r, "Process %s: cannot open its log file %s: %m", p->pub.name, path);
                proc_log(p, "Error: cannot open log_location %s: %s", path, strerror(-r));
                return;
        }
        r = log_file_attach(p->log_file, p->pub.log, p->pub.base_name, (int) p->pub.replica_num);
        if (r < 0)
                p->log_file = log_file_close(p->log_file);
}

static void proc_close_log_file(Proc *p) {
        p->log_file = log_file_close(p->log_file);
}

static void proc_attach_project_log(Proc *p) {
        if (!p->m->project_log || p->in_project_log || proc_has_own_log_location(p) || !p->pub.log)
                return;
        if (log_file_attach(p->m->project_log, p->pub.log, p->pub.base_name, (int) p->pub.replica_num) >= 0)
                p->in_project_log = true;
}

static void proc_detach_logs(Proc *p) {
        if (p->in_project_log && p->m->project_log)
                (void) log_file_detach(p->m->project_log, p->pub.log);
        p->in_project_log = false;
        proc_close_log_file(p);
}

static void manager_open_project_log(Manager *m) {
        _cleanup_free_ char *path = NULL;
        LogFileConfig cfg;
        int r;

        r = process_spec_project_log_location(m->project, &path);
        if (r == 0)
                return;
        if (r < 0) {
                log_oom();
                return;
        }
        log_file_config_from_compose(m->project->log_configuration, &cfg);
        r = log_file_open(m->event, path, &cfg, &m->project_log);
        if (r < 0) {
                log_warning_errno(r, "Cannot open the project log file %s: %m", path);
                return;
        }
        for (size_t i = 0; i < m->n_procs; i++)
                proc_attach_project_log(m->procs[i]);
}

/* ----------------------------------------------------------------------------------------------------- */
/* logs: the console and ready_log_line read every ring by sequence number, from a deferred pass */

#define LOG_PASS_MAX_LINES 4096

static int manager_on_log(sd_event_source *s, void *userdata) {
        Manager *m = userdata;
        bool more = false;

        for (size_t i = 0; i < m->n_procs; i++) {
                Proc *p = m->procs[i];
                LogRing *r = p->pub.log;
                uint64_t first, next;
                unsigned budget = LOG_PASS_MAX_LINES;

                if (!p->log_dirty || !r)
                        continue;
                p->log_dirty = false;
                first = log_ring_first_seq(r);
                next = log_ring_next_seq(r);

                if (p->print_seq < first)
                        p->print_seq = first;
                if (m->console) {
                        for (; p->print_seq < next && budget > 0; p->print_seq++, budget--) {
                                const LogEntry *e = log_ring_get(r, p->print_seq);
                                if (e)
                                        console_log_line(m->console, p->pub.name, e->message, e->len, e->stream);
                        }
                        if (p->print_seq < next)
                                p->log_dirty = more = true;
                } else
                        p->print_seq = next;

                if (p->ready_matching) {
                        const char *needle = proc_config(p) ? proc_config(p)->ready_log_line : NULL;
                        if (p->ready_seq < first)
                                p->ready_seq = first;
                        for (; p->ready_seq < next && !isempty(needle); p->ready_seq++) {
                                const LogEntry *e = log_ring_get(r, p->ready_seq);
                                if (e && e->stream != LOG_STREAM_PCCTL &&
                                    memmem(e->message, e->len, needle, strlen(needle))) {
                                        p->ready_seq++;
                                        p->ready_matching = false;
                                        (void) proc_dispatch(p, &(ProcEvent) { .type = PROC_EVENT_LOG_READY });
                                        break;
                                }
                        }
                }
        }
        if (more)
                (void) sd_event_source_set_enabled(m->log_event, SD_EVENT_ONESHOT);
        return 0;
}

static void proc_on_ring(LogRing *ring, void *userdata) {
        Proc *p = userdata;

        p->log_dirty = true;
        (void) sd_event_source_set_enabled(p->m->log_event, SD_EVENT_ONESHOT);
}

/* ----------------------------------------------------------------------------------------------------- */
/* the status line of a TTY */

static int manager_on_status_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        unsigned pending = 0, running = 0, ready = 0, restarting = 0, stopping = 0, completed = 0, failed = 0,
                 skipped = 0, errors = 0, disabled = 0, total = 0;
        char buf[512], failures[160] = "";
        size_t fl = 0;

        for (size_t i = 0; i < m->n_procs; i++) {
                Proc *p = m->procs[i];
                if (p->fsm.removed)
                        continue;
                total++;
                switch (p->pub.status) {
                case PROC_PENDING:
                        pending++;
                        break;
                case PROC_RUNNING: case PROC_LAUNCHING: case PROC_LAUNCHED:
                        running++;
                        if (p->pub.health == PROC_HEALTH_READY)
                                ready++;
                        break;
                case PROC_RESTARTING:
                        restarting++;
                        break;
                case PROC_TERMINATING:
                        stopping++;
                        break;
                case PROC_COMPLETED:
                        completed++;
                        if (!lifecycle_is_success(proc_config(p), p->pub.exit_code)) {
                                failed++;
                                if (fl < sizeof(failures) - 40) {
                                        int n = snprintf(failures + fl, sizeof(failures) - fl, "%s%s=%d",
                                                         fl ? " " : "", p->pub.name, p->pub.exit_code);
                                        if (n > 0)
                                                fl = MIN(fl + (size_t) n, sizeof(failures) - 1);
                                }
                        }
                        break;
                case PROC_SKIPPED:
                        skipped++;
                        break;
                case PROC_ERROR:
                        errors++;
                        break;
                case PROC_DISABLED: case PROC_FOREGROUND:
                        disabled++;
                        break;
                default:
                        break;
                }
        }

        /* compact, only what is non-zero, cut to the terminal's width (a wrapped line could not be
         * redrawn in place) */
        {
                char text[400];
                size_t l = 0;
                struct winsize ws = {};
                size_t width = 80;

#define PART(cond, ...)                                                                         \
                if ((cond) && l < sizeof(text)) {                                               \
                        int _n = snprintf(text + l, sizeof(text) - l, __VA_ARGS__);             \
                        if (_n > 0)                                                             \
                                l = MIN(l + (size_t) _n, sizeof(text) - 1);                     \
                }
                PART(true, "%u/%u running", running, total - disabled);
                PART(ready, ", %u ready", ready);
                PART(pending, ", %u pending", pending);
                PART(restarting, ", %u restarting", restarting);
                PART(stopping, ", %u terminating", stopping);
                PART(completed, ", %u completed", completed);
                PART(failed, " (exit code: %s)", failures);
                PART(skipped, ", %u skipped", skipped);
                PART(errors, ", %u error", errors);
                PART(m->shutting_down, ", stopping");
#undef PART
                if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) >= 0 && ws.ws_col > 0)
                        width = ws.ws_col;
                width = width > strlen(m->project->project_name) + 12 ?
                        width - strlen(m->project->project_name) - 12 : 10;
                if (l > width)
                        text[width] = 0;
                snprintf(buf, sizeof(buf), "\033[7m pcctl %s \033[0m %s", m->project->project_name, text);
        }
        console_set_status(m->console, buf);
        return 0;
}

static void manager_status_dirty(Manager *m) {
        if (!m->status_timer)
                return;
        if (sd_event_source_get_enabled(m->status_timer, NULL) > 0)
                return;
        (void) sd_event_source_set_time_relative(m->status_timer, 100 * USEC_PER_MSEC);
        (void) sd_event_source_set_enabled(m->status_timer, SD_EVENT_ONESHOT);
}

/* ----------------------------------------------------------------------------------------------------- */
/* units */

static void proc_on_started(UnitWatch *w, pid_t main_pid, usec_t start_timestamp, void *userdata);
static void proc_on_start_failed(UnitWatch *w, int error, const char *message, const UnitExit *exit,
                                 void *userdata);
static void proc_on_exited(UnitWatch *w, const UnitExit *exit, void *userdata);
static void proc_on_main_exited(UnitWatch *w, const UnitExit *exit, void *userdata);

static void proc_watch_daemon(Proc *p);

static const UnitEvents proc_events = {
        .started = proc_on_started,
        .start_failed = proc_on_start_failed,
        .main_exited = proc_on_main_exited,
        .exited = proc_on_exited,
};

static void proc_unfollow(Proc *p) {
        if (p->following && p->m->follower)
                (void) journal_follower_remove(p->m->follower, p->pub.ident);
        p->following = false;
}

/* Derives unit, object path and SyslogIdentifier from the current name. A renamed replica (scaling) keeps
 * its old unit until its run is over; this runs again before the next start. */
static int proc_update_unit_name(Proc *p) {
        _cleanup_free_ char *unit = NULL, *path = NULL, *ident = NULL;
        const char *suffix;
        int r;

        r = unit_name_for_process(p->m->project->project_name, p->pub.name, &unit);
        if (r < 0)
                return r;
        if (streq_ptr(unit, p->pub.unit))
                return 0;

        r = unit_path_for_unit(unit, &path);
        if (r < 0)
                return r;
        suffix = endswith(unit, ".service");
        ident = suffix ? strndup(unit, (size_t) (suffix - unit)) : strdup(unit);
        if (!ident)
                return -ENOMEM;

        proc_unfollow(p);
        p->watch = unit_watch_free(p->watch);
        if (p->pub.unit)
                /* a renamed replica: forget its old unit if it failed (fire and forget) */
                (void) unit_driver_reset_failed(p->m->driver, p->pub.unit, NULL, NULL);
        if (!p->fsm.command_running) {
                p->shutdown_watch = unit_watch_free(p->shutdown_watch);
                p->shutdown_unit = mfree(p->shutdown_unit);
        }
        free(p->pub.unit);
        free(p->pub.unit_path);
        free(p->pub.ident);
        p->pub.unit = TAKE_PTR(unit);
        p->pub.unit_path = TAKE_PTR(path);
        p->pub.ident = TAKE_PTR(ident);
        return 0;
}

/* The follower appended an entry to the process's ring. */
static void proc_on_journal_count(const JournalCount *count, void *userdata) {
        Proc *p = userdata;

        p->pub.log_lines_total += count->lines;
        p->pub.journal_dropped += count->dropped;
        if (count->realtime > p->pub.last_activity)
                p->pub.last_activity = count->realtime;
}

static int proc_follow(Proc *p) {
        JournalSource src;
        int r;

        if (p->following || !p->m->follower)
                return 0;
        src = (JournalSource) {
                .ident = p->pub.ident,
                .unit = p->pub.unit,
                .ring = p->pub.log,
                .count = proc_on_journal_count,
                .userdata = p,
        };
        /* No backfill: like process-compose, a fresh `up` shows only the output of this run. */
        r = journal_follower_add(p->m->follower, &src, false);
        if (r < 0 && r != -EEXIST)
                return r;
        p->following = true;
        return 0;
}

static void proc_spec_input(const Proc *p, const ComposeEnvFile *env_file, ProcessSpecInput *ret) {
        *ret = (ProcessSpecInput) {
                .project = p->m->project,
                .process = proc_config(p),
                .replica_num = p->pub.replica_num,
                .name = p->pub.name,
                .unit = p->pub.unit,
                .slice = p->m->slice,
                .ident = p->pub.ident,
                .exec_path = p->m->options.exec_path,
                .os_environ = p->m->os_environ,
                .env_file = env_file,
                .scope = p->m->options.scope,
        };
}

/* Builds the spec of a run of the process or of its shutdown.command. The env_file is read here, at every
 * start (compat §1.5); the rest is process_spec_build(). On failure *ret_reason may say why, for the
 * process log. */
static int proc_build_spec(Proc *p, ProcessSpecKind kind, ProcessSpec *ret, char **ret_reason) {
        _cleanup_(compose_env_file_done) ComposeEnvFile env_file = {};
        ProcessSpecInput in;
        int r;

        r = compose_env_file_load(p->m->project, proc_config(p), &env_file);
        if (r < 0)
                return r;
        proc_spec_input(p, &env_file, &in);
        return process_spec_build(&in, kind, ret, ret_reason);
}

/* ----------------------------------------------------------------------------------------------------- */
/* probes (compat §1.4.1) */

static void proc_stop_probes(Proc *p) {
        if (p->readiness)
                probe_stop(p->readiness);
        if (p->liveness)
                probe_stop(p->liveness);
}

static void proc_on_probe(Proc *p, const char *what, const ProcEvent *ev, const char *error) {
        _cleanup_free_ char *detail = NULL;

        if (asprintf(&detail, "%s check fail - %s", what, strna(error)) < 0)
                detail = NULL;
        (void) proc_dispatch_detail(p, ev, detail ?: what);
}

static void proc_on_readiness(Probe *probe, bool ok, bool fatal, const char *error, void *userdata) {
        if (ok)
                (void) proc_dispatch(userdata, &(ProcEvent) { .type = PROC_EVENT_READINESS, .ok = true });
        else
                proc_on_probe(userdata, "readiness",
                              &(ProcEvent) { .type = PROC_EVENT_READINESS, .fatal = fatal }, error);
}

static void proc_on_liveness(Probe *probe, bool ok, bool fatal, const char *error, void *userdata) {
        /* liveness never sets health */
        if (!ok && fatal)
                proc_on_probe(userdata, "liveness", &(ProcEvent) { .type = PROC_EVENT_LIVENESS_FATAL }, error);
}

/* A Probe for one run of the process: same environment, its working directory. */
static int proc_make_probe(Proc *p, const ComposeProbe *cp, const ProcessSpec *run, ProbeCallback cb,
                           Probe **ret) {
        _cleanup_(process_probe_spec_done) ProcessProbeSpec ps = {};
        ProcessSpecInput in;
        int r;

        proc_spec_input(p, NULL, &in);
        r = process_spec_probe(&in, cp, run, &ps);
        if (r < 0)
                return r;
        return probe_new(p->m->event, &ps.config, cb, p, ret);
}

static void proc_setup_probes(Proc *p, const ProcessSpec *run) {
        const ComposeProcess *c = proc_config(p);
        int r;

        p->readiness = probe_free(p->readiness);
        p->liveness = probe_free(p->liveness);
        if (c->readiness_probe) {
                r = proc_make_probe(p, c->readiness_probe, run, proc_on_readiness, &p->readiness);
                if (r < 0)
                        proc_log(p, "Error: readiness probe not created: %s", strerror(-r));
        }
        if (c->liveness_probe) {
                r = proc_make_probe(p, c->liveness_probe, run, proc_on_liveness, &p->liveness);
                if (r < 0)
                        proc_log(p, "Error: liveness probe not created: %s", strerror(-r));
        }
}

static void proc_start_probes(Proc *p) {
        if (p->readiness && probe_start(p->readiness) < 0)
                proc_log(p, "Error: readiness probe could not start");
        if (p->liveness && probe_start(p->liveness) < 0)
                proc_log(p, "Error: liveness probe could not start");
}

static void proc_watch_daemon(Proc *p);

/* What a start and an adoption share: the unit's name and watch, the journal follow, the log file and the
 * probes of this run. On failure *ret_reason may say why, for the process log. */
static int proc_prepare_run(Proc *p, bool reopen_log, ProcessSpec *spec, char **ret_reason) {
        int r;

        r = proc_update_unit_name(p);
        if (r < 0) {
                (void) asprintf(ret_reason, "invalid unit name for process: %s", strerror(-r));
                return r;
        }
        if (!p->watch) {
                r = unit_watch_new(p->m->driver, p->pub.unit, &proc_events, p, &p->watch);
                if (r < 0) {
                        *ret_reason = strdup("cannot watch its unit");
                        return r;
                }
        }
        r = proc_follow(p);
        if (r < 0)
                log_warning_errno(r, "Process %s: cannot follow its journal, its output will be missing: %m",
                                  p->pub.name);

        r = proc_build_spec(p, PROCESS_SPEC_RUN, spec, ret_reason);
        if (r < 0)
                return r;
        /* opened at the start of an incarnation, kept over automatic restarts */
        if (reopen_log)
                proc_close_log_file(p);
        proc_open_log_file(p);
        proc_setup_probes(p, spec);
        return 0;
}

/* PROC_ACTION_START_UNIT: queues the start of the unit. A failure is the machine's START_FAILED. */
static void proc_launch(Proc *p, bool reopen_log) {
        _cleanup_(process_spec_done) ProcessSpec spec = {};
        _cleanup_free_ char *reason = NULL;
        int r;

        /* a start was attempted: from now on the project ends when nothing is left in flight, also when
         * every start failed */
        p->m->ever_started = true;

        r = proc_prepare_run(p, reopen_log, &spec, &reason);
        if (r < 0) {
                (void) proc_dispatch_detail(p, &(ProcEvent) { .type = PROC_EVENT_START_FAILED },
                                            reason ?: strerror(-r));
                return;
        }

        if (p->m->options.logs_truncate || proc_config(p)->truncate_log) {
                log_ring_truncate(p->pub.log);
                p->print_seq = p->ready_seq = log_ring_next_seq(p->pub.log);
        }
        /* ready_log_line looks at lines of this run only */
        p->ready_seq = log_ring_next_seq(p->pub.log);
        p->ready_matching = false;

        /* the match is in place before the start, so a fast starter's exit is not missed */
        if (proc_config(p)->is_daemon)
                proc_watch_daemon(p);

        r = unit_driver_start(p->m->driver, p->watch, &spec.unit);
        if (r < 0) {
                _cleanup_free_ char *msg = NULL;
                (void) asprintf(&msg, "cannot queue the start of unit %s: %s", p->pub.unit, strerror(-r));
                (void) proc_dispatch_detail(p, &(ProcEvent) { .type = PROC_EVENT_START_FAILED },
                                            msg ?: "cannot queue the start");
        }
}

/* PROC_ACTION_ATTACH: adoption of a unit that already runs. What a start does, except the start. */
static void proc_attach(Proc *p) {
        _cleanup_(process_spec_done) ProcessSpec spec = {};
        _cleanup_free_ char *reason = NULL;
        int r;

        p->m->ever_started = true;
        r = proc_prepare_run(p, false, &spec, &reason);
        if (r < 0)
                proc_log(p, "Error: cannot attach to unit %s: %s", strna(p->pub.unit), reason ?: strerror(-r));
        p->ready_seq = log_ring_next_seq(p->pub.log);
        if (proc_config(p)->is_daemon)
                proc_watch_daemon(p);
}

static void proc_cancel_timer(Proc *p) {
        p->timer = sd_event_source_disable_unref(p->timer);
}

static int proc_on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Proc *p = userdata;

        proc_cancel_timer(p);
        (void) proc_dispatch(p, &(ProcEvent) { .type = PROC_EVENT_TIMER });
        return 0;
}

static void proc_arm_timer(Proc *p, usec_t delay) {
        int r;

        proc_cancel_timer(p);
        r = sd_event_add_time_relative(p->m->event, &p->timer, CLOCK_MONOTONIC, delay, 10 * USEC_PER_MSEC,
                                       proc_on_timer, p);
        if (r < 0) {
                /* a timer that never fires would hold the process for good: end it instead */
                log_error_errno(r, "Process %s: cannot arm its timer, ending it: %m", p->pub.name);
                (void) proc_dispatch(p, &(ProcEvent) { .type = PROC_EVENT_STOP, .stop = PROC_STOP_USER });
        }
}

/* PROC_ACTION_NEW_INCARNATION (start, restart, namespace start): pid, exit code and times reset, restarts
 * carried over (compat §2.6). */
static void proc_new_incarnation(Proc *p) {
        p->pub.pid = 0;
        p->pub.exit_code = 0;
        p->pub.start_time = p->pub.ready_time = p->pub.end_time = 0;
        p->pub.health = PROC_HEALTH_UNKNOWN;
        p->ignore_warned = false;
}

static void proc_install_config(Proc *p);
static void proc_kill_all(Proc *p);
static int proc_run_shutdown_command(Proc *p);
static void manager_log_all_running(Manager *m);

static void proc_report_start_failed(Proc *p, const ProcEvent *ev, const char *reason) {
        if (ev->pid > 0)
                p->pub.pid = ev->pid;
        reason = reason ?: "the start job failed";
        proc_log(p, "Error: could not start process %s: %s", p->pub.name, reason);
        log_warning("Process %s: could not start: %s", p->pub.name, reason);
        /* [QUIRK] process-compose leaves exit_code 0 on Error; we report 1, which is what the exit_on_*
         * hooks count it as anyway. */
        p->pub.exit_code = 1;
        p->pub.end_time = now_usec(CLOCK_REALTIME);
}

static void proc_start_ready_match(Proc *p) {
        p->ready_matching = true;
        p->log_dirty = true;
        (void) sd_event_source_set_enabled(p->m->log_event, SD_EVENT_ONESHOT);
}

static void proc_exit_project(Proc *p, int code) {
        log_info("Process %s ended (%s, exit code %d): shutting the project down with exit code %d.",
                 p->pub.name, proc_status_to_string(p->pub.status), p->pub.exit_code, code);
        p->m->exit_code = code;
        (void) manager_stop_project(p->m, NULL, NULL);
}

static void proc_run_command(Proc *p) {
        int r;

        r = proc_run_shutdown_command(p);
        if (r < 0) {
                log_warning_errno(r, "Process %s: cannot run shutdown.command, stopping the unit: %m",
                                  p->pub.name);
                (void) proc_dispatch(p, &(ProcEvent) { .type = PROC_EVENT_COMMAND_START_FAILED });
        }
}

static void proc_stop_unit(Proc *p) {
        int r;

        r = unit_driver_stop(p->m->driver, p->pub.unit, NULL, NULL);
        if (r < 0)
                log_warning_errno(r, "Process %s: cannot stop unit %s: %m", p->pub.name, p->pub.unit);
}

static void proc_count_restart(Proc *p) {
        p->pub.restarts++;
        /* process-compose writes a lone "\n" to the log before each automatic restart */
        (void) log_ring_append(p->pub.log, "\n", 1, now_usec(CLOCK_REALTIME), LOG_INFO, LOG_STREAM_PCCTL, 0,
                               NULL);
}

/* Carries out one action of the machine. Some feed the machine again (a start that cannot be queued); the
 * state is the new one by then. A switch over every action, clearer whole. */
static void proc_execute_one(Proc *p, ProcAction action, const ProcEvent *ev, const ProcActions *a,
                             const char *detail) {
        switch (action) {
        case PROC_ACTION_NEW_INCARNATION:
                proc_new_incarnation(p);
                break;
        case PROC_ACTION_CANCEL_TIMER:
                proc_cancel_timer(p);
                break;
        case PROC_ACTION_CANCEL_KILL_TIMER:
                p->kill_timer = sd_event_source_disable_unref(p->kill_timer);
                break;
        case PROC_ACTION_STOP_PROBES:
                proc_stop_probes(p);
                break;
        case PROC_ACTION_STOP_READY_MATCH:
                p->ready_matching = false;
                break;
        case PROC_ACTION_UNWATCH_STARTER:
                p->watching_starter = false;
                break;
        case PROC_ACTION_SET_HEALTH:
                proc_set_health(p, a->health);
                break;
        case PROC_ACTION_REPORT_START_FAILED:
                proc_report_start_failed(p, ev, detail);
                break;
        case PROC_ACTION_REPORT_STARTER_FAILED:
                proc_log(p, "Error: the daemon's starter failed (%s)", strna(detail));
                break;
        case PROC_ACTION_REPORT_PROBE_FAILED:
                proc_log(p, "Error: %s", strna(detail));
                break;
        case PROC_ACTION_COUNT_RESTART:
                proc_count_restart(p);
                break;
        case PROC_ACTION_START_UNIT:
                proc_launch(p, a->mask & PROC_ACTION_REOPEN_LOG);
                break;
        case PROC_ACTION_REOPEN_LOG:
                break;          /* read by START_UNIT */
        case PROC_ACTION_ATTACH:
                proc_attach(p);
                break;
        case PROC_ACTION_START_PROBES:
                proc_start_probes(p);
                break;
        case PROC_ACTION_START_READY_MATCH:
                proc_start_ready_match(p);
                break;
        case PROC_ACTION_STOP_UNIT:
                proc_stop_unit(p);
                break;
        case PROC_ACTION_RUN_COMMAND:
                proc_run_command(p);
                break;
        case PROC_ACTION_KILL:
                proc_kill_all(p);
                break;
        case PROC_ACTION_ARM_BACKOFF:
        case PROC_ACTION_ARM_RESTART_DELAY:
                /* an automatic restart, or the pause of an API restart between stop and start */
                proc_arm_timer(p, lifecycle_backoff_usec(proc_config(p)));
                break;
        case PROC_ACTION_COMPLETE_RESTART:
                proc_complete_restart(p, 0);
                break;
        case PROC_ACTION_EXIT_PROJECT:
                proc_exit_project(p, a->project_exit);
                break;
        case PROC_ACTION_INSTALL_CONFIG:
                proc_install_config(p);
                break;
        case PROC_ACTION_NOTIFY:
                proc_changed(p);
                break;
        }
}

/* The one state setter (systemd's service_set_state()): the public status follows the state, health goes
 * back to unknown where compat §2.2 says, and a run that begins gets its start time. */
static void proc_set_state(Proc *p, const ProcFsm *next, const ProcEvent *ev) {
        ProcState old = p->fsm.state;
        bool was_up = process_is_running(&p->pub);

        p->fsm = *next;
        p->pub.status = process_fsm_status(next->state, proc_config(p));
        p->pub.health = process_fsm_health(old, next->state, p->pub.health);
        if (old == next->state)
                return;
        log_debug("%s: %s -> %s on %s", p->pub.name, proc_state_to_string(old), proc_state_to_string(next->state),
                  proc_event_type_to_string(ev->type));

        if (!was_up && process_is_running(&p->pub)) {
                p->pub.start_time = ev->timestamp ?: now_usec(CLOCK_REALTIME);
                p->pub.end_time = 0;
                if (p->m->follower)
                        journal_follower_kick(p->m->follower);
        }
}

/* Feeds one event to the process's state machine and carries out what it answers, in the order of the
 * action bits. detail is the text of a report action (why the start failed, the probe's error). Returns
 * the machine's refusal (-ESRCH, -EBUSY, -ESHUTDOWN, -ENOENT), and changes nothing then. */
static int proc_dispatch_detail(Proc *p, const ProcEvent *ev, const char *detail) {
        ProcFsmContext ctx = {
                .config = proc_config(p),
                .restarts = p->pub.restarts,
                .health = p->pub.health,
                .shutting_down = p->m->shutting_down,
                .ordered_shutdown = p->m->project->ordered_shutdown,
                .next_config = p->next_config,
        };
        bool was_up = process_is_running(&p->pub);
        ProcActions a;
        ProcFsm next;
        int r;

        r = process_fsm_step(&p->fsm, ev, &ctx, &next, &a);
        if (r < 0)
                return r;
        proc_set_state(p, &next, ev);
        for (uint32_t bit = 1; bit && bit <= _PROC_ACTION_LAST; bit <<= 1)
                if (a.mask & bit)
                        proc_execute_one(p, (ProcAction) bit, ev, &a, detail);
        if (!was_up && process_is_running(&p->pub))
                manager_log_all_running(p->m);
        return 0;
}

static int proc_dispatch(Proc *p, const ProcEvent *ev) {
        return proc_dispatch_detail(p, ev, NULL);
}

/* is_daemon: the unit (ExitType=cgroup) stays active after the starter exits; the Service's ExecMainCode
 * says when it did. A successful starter makes the process Launched; a failed one leaves it Launching until
 * the cgroup empties and the unit ends (then the restart policy decides, compat §2.3). */
static void proc_on_main_exited(UnitWatch *w, const UnitExit *exit, void *userdata) {
        Proc *p = userdata;
        char detail[64];

        if (!p->watching_starter || exit->code <= 0)
                return;
        (void) snprintf(detail, sizeof(detail), "%s %d", exit->code == CLD_EXITED ? "exit code" : "signal",
                        exit->status);
        (void) proc_dispatch_detail(p, &(ProcEvent) { .type = PROC_EVENT_STARTER_EXITED,
                                                      .ok = exit->code == CLD_EXITED && exit->status == 0 },
                                    detail);
}

/* The unit driver reports the main process's exit of every run; only a daemon's matters, from its start
 * (or adoption) until the machine says it no longer does. */
static void proc_watch_daemon(Proc *p) {
        p->watching_starter = true;
}

/* Once, when every process `up` started runs: the figure bench/core-start100.sh reads. */
static void manager_log_all_running(Manager *m) {
        JournalFollowerStats st;
        size_t n = 0;

        if (m->all_running_logged || log_get_max_level() < LOG_DEBUG)
                return;
        for (size_t i = 0; i < m->n_procs; i++) {
                Proc *q = m->procs[i];
                if (IN_SET(q->fsm.state, PROC_STATE_WAITING, PROC_STATE_STARTING, PROC_STATE_RESTART_STARTING))
                        return;
                if (process_is_running(&q->pub))
                        n++;
        }
        m->all_running_logged = true;
        journal_follower_get_stats(m->follower, &st);
        log_debug("All %zu processes are running, %.3f s after the start (journal follower: %" PRIu64
                  " match rebuilds, %" PRIu64 " polls).", n,
                  (double) (now_usec(CLOCK_REALTIME) - m->start_time) / USEC_PER_SEC, st.rebuilds, st.polls);
}

static void proc_on_started(UnitWatch *w, pid_t main_pid, usec_t start_timestamp, void *userdata) {
        Proc *p = userdata;

        p->pub.pid = main_pid;
        (void) proc_dispatch(p, &(ProcEvent) { .type = PROC_EVENT_STARTED, .pid = main_pid,
                                               .timestamp = start_timestamp });
}

static char *proc_start_failure_reason(Proc *p, const char *message, const UnitExit *exit) {
        char *s = NULL;

        if (exit && exit->code == CLD_EXITED && exit->status == EXIT_CHDIR) {
                _cleanup_free_ char *wd = NULL;
                struct stat st;
                const char *why = "not a directory or not accessible";

                (void) process_spec_working_dir(p->m->project, proc_config(p), &wd);
                if (wd && stat(wd, &st) < 0)
                        why = strerror(errno);
                (void) asprintf(&s, "working_dir %s: %s (exit status 200/CHDIR)", strna(wd), why);
        } else if (exit && exit->code == CLD_EXITED && exit->status == EXIT_EXEC)
                (void) asprintf(&s, "%s could not be executed (exit status 203/EXEC)",
                                strna(proc_config(p)->executable));
        else if (exit && exit->code == CLD_EXITED && exit->status > 200 && exit->status < 250)
                (void) asprintf(&s, "%s (systemd exit status %d)", strna(message), exit->status);
        else
                s = strdup(message ?: "the start job failed");
        return s;
}

static void proc_on_start_failed(UnitWatch *w, int error, const char *message, const UnitExit *exit,
                                 void *userdata) {
        Proc *p = userdata;
        _cleanup_free_ char *reason = proc_start_failure_reason(p, message, exit);

        /* a stop may have cancelled the start: the run is over before it began (Completed); else it failed
         * (Error, with the reason) */
        p->pub.end_time = now_usec(CLOCK_REALTIME);
        (void) proc_dispatch_detail(p, &(ProcEvent) { .type = PROC_EVENT_START_FAILED,
                                                      .pid = exit ? exit->pid : 0 },
                                    reason ?: "the start job failed");
}

static void proc_on_exited(UnitWatch *w, const UnitExit *exit, void *userdata) {
        Proc *p = userdata;
        _cleanup_free_ char *reason = NULL;
        ProcEvent ev = {
                .type = PROC_EVENT_EXITED,
                .exit_code = lifecycle_exit_code(exit->code, exit->status),
                /* the __exec wrapper could not execute the command; it wrote why to the log */
                .exec_failed = exit->code == CLD_EXITED && exit->status == EXIT_EXEC,
                .pid = exit->pid,
        };

        if (exit->pid > 0)
                p->pub.pid = exit->pid;
        p->pub.exit_code = ev.exit_code;
        p->pub.end_time = exit->exit_timestamp ?: now_usec(CLOCK_REALTIME);
        if (ev.exec_failed)
                reason = proc_start_failure_reason(p, NULL, exit);
        (void) proc_dispatch_detail(p, &ev, reason ?: "exec failed");
}

/* ----------------------------------------------------------------------------------------------------- */
/* stopping */

static void proc_kill_all(Proc *p) {
        int r;

        /* the SIGKILL fallback always targets the whole group, also with parent_only (compat §1.3) */
        r = unit_driver_kill(p->m->driver, p->pub.unit, false, SIGKILL);
        if (r < 0)
                log_warning_errno(r, "Process %s: cannot kill unit %s: %m", p->pub.name, p->pub.unit);
        if (p->fsm.command_running && p->shutdown_unit)
                (void) unit_driver_stop(p->m->driver, p->shutdown_unit, NULL, NULL);
}

static int proc_on_kill_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Proc *p = userdata;

        p->kill_timer = sd_event_source_disable_unref(p->kill_timer);
        if (process_fsm_is_stopping(p->fsm.state))
                proc_log(p, "shutdown.command did not end the process within its timeout: killing it");
        (void) proc_dispatch(p, &(ProcEvent) { .type = PROC_EVENT_KILL_TIMER });
        return 0;
}

static void shutdown_on_started(UnitWatch *w, pid_t main_pid, usec_t ts, void *userdata) {
}

static void shutdown_on_exited(UnitWatch *w, const UnitExit *exit, void *userdata);

static void shutdown_on_start_failed(UnitWatch *w, int error, const char *message, const UnitExit *exit,
                                     void *userdata) {
        Proc *p = userdata;

        if (exit && exit->code != 0) {
                /* it ran (and ended before its start job was reported): same as an exit */
                shutdown_on_exited(w, exit, userdata);
                return;
        }
        proc_log(p, "Error: shutdown.command could not be started: %s", strna(message));
        (void) proc_dispatch(p, &(ProcEvent) { .type = PROC_EVENT_COMMAND_START_FAILED });
        manager_schedule_check(p->m);
}

static void shutdown_on_exited(UnitWatch *w, const UnitExit *exit, void *userdata) {
        Proc *p = userdata;
        bool ok = exit->code == CLD_EXITED && exit->status == 0;

        log_debug("%s: shutdown.command ended (code %d, status %d)", p->pub.name, exit->code, exit->status);
        if (!ok && process_fsm_is_stopping(p->fsm.state))
                /* process-compose kills the group when the shutdown command fails */
                proc_log(p, "shutdown.command failed (%s %d): killing the process",
                         exit->code == CLD_EXITED ? "exit code" : "signal", exit->status);
        (void) proc_dispatch(p, &(ProcEvent) { .type = PROC_EVENT_COMMAND_EXITED, .ok = ok });
        manager_schedule_check(p->m);
}

static const UnitEvents shutdown_events = {
        .started = shutdown_on_started,
        .start_failed = shutdown_on_start_failed,
        .exited = shutdown_on_exited,
};

/* shutdown.command runs as its own transient unit in the project's slice, with the process's environment
 * and working directory, its output in the process's log (same SyslogIdentifier). The process gets
 * timeout_seconds (10 s by default) from the start of the command to exit, then its whole unit is
 * SIGKILLed, as process-compose does. */
static int proc_run_shutdown_command(Proc *p) {
        _cleanup_(process_spec_done) ProcessSpec spec = {};
        _cleanup_free_ char *reason = NULL;
        const ComposeProcess *c = proc_config(p);
        int timeout, r;

        if (!p->shutdown_unit) {
                r = process_spec_shutdown_unit(p->pub.unit, &p->shutdown_unit);
                if (r < 0)
                        return r;
        }
        if (!p->shutdown_watch) {
                r = unit_watch_new(p->m->driver, p->shutdown_unit, &shutdown_events, p, &p->shutdown_watch);
                if (r < 0)
                        return r;
        }
        r = proc_build_spec(p, PROCESS_SPEC_SHUTDOWN, &spec, &reason);
        if (r < 0) {
                proc_log(p, "Error: shutdown.command: %s", strna(reason));
                return r;
        }
        log_debug("%s: running shutdown.command as %s", p->pub.name, p->shutdown_unit);
        r = unit_driver_start(p->m->driver, p->shutdown_watch, &spec.unit);
        if (r < 0)
                return r;

        timeout = c->shutdown.timeout_seconds > 0 ? MIN(c->shutdown.timeout_seconds, PROCESS_SPEC_STOP_TIMEOUT_MAX_SEC) :
                                                    SHUTDOWN_COMMAND_TIMEOUT_DEFAULT_SEC;
        p->kill_timer = sd_event_source_disable_unref(p->kill_timer);
        r = sd_event_add_time_relative(p->m->event, &p->kill_timer, CLOCK_MONOTONIC,
                                       (usec_t) timeout * USEC_PER_SEC, 10 * USEC_PER_MSEC,
                                       proc_on_kill_timer, p);
        if (r < 0)
                log_warning_errno(r, "Process %s: cannot arm the kill timer: %m", p->pub.name);
        return 0;
}


/* ----------------------------------------------------------------------------------------------------- */
/* the check pass */

static DepVerdict proc_check_dependencies(Proc *p) {
        const ComposeProcess *c = proc_config(p);
        DepVerdict result = DEP_OK;

        for (size_t i = 0; c && i < c->n_depends_on; i++) {
                const ComposeDependency *d = &c->depends_on[i];
                Proc *q = manager_find(p->m, d->name);
                DepView v;
                DepVerdict r;

                if (!q || q == p)
                        continue;
                v = process_fsm_dep_view(&q->fsm, &(ProcFsmContext) {
                                .config = proc_config(q),
                                .health = q->pub.health,
                                .shutting_down = p->m->shutting_down,
                        }, q->pub.exit_code);
                r = lifecycle_dependency_verdict(d->condition, &v);
                switch (r) {
                case DEP_FAIL:
                        proc_log(p, "Error: dependency %s of process %s cannot be met (%s, %s, exit code %d): "
                                 "skipping it", q->pub.name, p->pub.name,
                                 strna(compose_condition_to_string(d->condition)),
                                 proc_status_to_string(q->pub.status), q->pub.exit_code);
                        return DEP_FAIL;
                case DEP_WAIT:
                        result = DEP_WAIT;
                        break;
                case DEP_IGNORE:
                        if (!p->ignore_warned)
                                log_warning("Process %s depends on %s, which is neither running nor completed: "
                                            "not waiting for it.", p->pub.name, q->pub.name);
                        break;
                default:
                        break;
                }
        }
        p->ignore_warned = true;
        return result;
}

/* For ordered shutdown: marks every process that still has a dependent in flight. */
static void manager_mark_dependents(Manager *m, bool *marks) {
        for (size_t i = 0; i < m->n_procs; i++) {
                Proc *q = m->procs[i];
                const ComposeProcess *c = proc_config(q);

                if (!proc_in_flight(q) || !c)
                        continue;
                for (size_t k = 0; k < c->n_depends_on; k++) {
                        Proc *d = manager_find(m, c->depends_on[k].name);
                        if (d && d != q)
                                for (size_t j = 0; j < m->n_procs; j++)
                                        if (m->procs[j] == d) {
                                                marks[j] = true;
                                                break;
                                        }
                }
        }
}

static Proc *proc_free(Proc *p);
static void manager_finish(Manager *m);
static void manager_start_members(Manager *m, const char *ns);

static bool manager_anything_in_flight(Manager *m) {
        if (m->ns_restarts)
                return true;
        for (size_t i = 0; i < m->n_procs; i++) {
                Proc *p = m->procs[i];
                if (proc_busy(p) || p->fsm.command_running)
                        return true;
        }
        return false;
}

static void manager_issue_ordered_stops(Manager *m) {
        _cleanup_free_ bool *marks = NULL;
        bool any = false;

        for (size_t i = 0; i < m->n_procs; i++)
                if (process_fsm_awaits_ordered_stop(&m->procs[i]->fsm, m->shutting_down))
                        any = true;
        if (!any)
                return;

        marks = new0(bool, m->n_procs);
        if (!marks) {
                log_oom();
                return;
        }
        if (m->project->ordered_shutdown)
                manager_mark_dependents(m, marks);

        for (size_t i = 0; i < m->n_procs; i++) {
                Proc *p = m->procs[i];
                if (!marks[i] && process_fsm_awaits_ordered_stop(&p->fsm, m->shutting_down))
                        (void) proc_dispatch(p, &(ProcEvent) { .type = PROC_EVENT_STOP,
                                                               .stop = PROC_STOP_ORDERED });
        }
}

static void manager_progress_namespace_restarts(Manager *m) {
        NamespaceRestart **pp = &m->ns_restarts;
        usec_t now = now_usec(CLOCK_MONOTONIC);

        while (*pp) {
                NamespaceRestart *r = *pp;
                bool busy = false;

                for (size_t i = 0; i < m->n_procs; i++) {
                        Proc *p = m->procs[i];
                        if (!p->fsm.removed && proc_in_namespace(p, r->ns) && proc_in_flight(p))
                                busy = true;
                }
                if (busy && now < r->deadline && !m->shutting_down) {
                        pp = &r->next;
                        continue;
                }
                *pp = r->next;
                if (!m->shutting_down)
                        manager_start_members(m, r->ns);
                manager_complete(m, &r->waiter, 1, m->shutting_down ? -ESHUTDOWN : 0);
                free(r->ns);
                free(r);
        }
}

static int manager_on_check(sd_event_source *s, void *userdata) {
        Manager *m = userdata;
        bool again;
        unsigned rounds = 0;

        if (m->finishing)
                return 0;

        /* Dependencies: a skip can fail further dependents, so repeat until nothing changes. Starts are only
         * queued here, so every process whose dependencies are met starts in the same pass, pipelined. */
        do {
                again = false;
                for (size_t i = 0; i < m->n_procs; i++) {
                        Proc *p = m->procs[i];
                        if (p->fsm.state != PROC_STATE_WAITING || p->fsm.removed || m->shutting_down)
                                continue;
                        switch (proc_check_dependencies(p)) {
                        case DEP_OK:
                                (void) proc_dispatch(p, &(ProcEvent) { .type = PROC_EVENT_DEPS_OK });
                                /* a start that failed at once ended it: its dependents may move */
                                again = again || !proc_in_flight(p);
                                break;
                        case DEP_FAIL:
                                p->pub.exit_code = 1;
                                (void) proc_dispatch(p, &(ProcEvent) { .type = PROC_EVENT_DEPS_FAILED });
                                again = true;
                                break;
                        default:
                                break;
                        }
                }
        } while (again && ++rounds < 10000);

        manager_issue_ordered_stops(m);
        manager_progress_namespace_restarts(m);

        /* completion callbacks (they may call back into the manager: take the list first) */
        while (m->n_completions > 0) {
                _cleanup_free_ Waiter *list = TAKE_PTR(m->completions);
                size_t n = m->n_completions;

                m->n_completions = m->allocated_completions = 0;
                for (size_t i = 0; i < n; i++)
                        list[i].done(m, list[i].result, list[i].userdata);
        }

        /* reap processes that were removed (scale down, update) once their run is over */
        for (size_t i = 0; i < m->n_procs;) {
                Proc *p = m->procs[i];
                if (process_fsm_reapable(&p->fsm)) {
                        memmove(m->procs + i, m->procs + i + 1, (m->n_procs - i - 1) * sizeof(Proc *));
                        m->n_procs--;
                        m->by_name_dirty = true;
                        proc_free(p);
                } else
                        i++;
        }

        if (manager_anything_in_flight(m))
                return 0;

        if (m->shutting_down) {
                if (!m->project_done) {
                        m->project_done = true;
                        manager_complete(m, m->stop_waiters, m->n_stop_waiters, 0);
                        m->stop_waiters = mfree(m->stop_waiters);
                        m->n_stop_waiters = m->allocated_stop_waiters = 0;
                }
                /* let the completions (HTTP replies) run first */
                if (m->n_completions == 0)
                        manager_finish(m);
                return 0;
        }

        if (m->ever_started) {
                if (!m->options.keep_project) {
                        log_debug("Every process has ended: the project is complete.");
                        m->shutting_down = true;
                        m->project_done = true;
                        manager_finish(m);
                } else if (!m->completed_notice) {
                        m->completed_notice = true;
                        console_notice(m->console, "Project Completed. Press Ctrl+C to quit");
                }
        }
        return 0;
}

static void manager_schedule_check(Manager *m) {
        if (m->check_event)
                (void) sd_event_source_set_enabled(m->check_event, SD_EVENT_ONESHOT);
}

/* ----------------------------------------------------------------------------------------------------- */
/* the end: forget failed units, then leave the loop */

/* How long the journal must be quiet before `up` exits, and the longest it waits for that. journald writes a
 * process's last lines when it gets to its stream, which can be after systemd reported the exit. */
#define SETTLE_QUIET_USEC (300 * USEC_PER_MSEC)
#define SETTLE_MAX_USEC (3 * USEC_PER_SEC)

static uint64_t manager_journal_entries(Manager *m) {
        JournalFollowerStats st = {};

        if (!m->follower)
                return 0;
        journal_follower_get_stats(m->follower, &st);
        return st.entries;
}

static int manager_on_finish_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;

        if (m->settling && m->n_resets == 0) {
                uint64_t n = manager_journal_entries(m);

                if (n != m->settle_entries && now_usec(CLOCK_MONOTONIC) < m->settle_deadline) {
                        /* lines are still coming in: wait for a quiet spell */
                        m->settle_entries = n;
                        journal_follower_kick(m->follower);
                        (void) sd_event_source_set_time_relative(m->finish_timer, SETTLE_QUIET_USEC);
                        (void) sd_event_source_set_enabled(m->finish_timer, SD_EVENT_ONESHOT);
                        return 0;
                }
        }
        if (m->n_resets > 0)
                log_warning("%u units did not answer ResetFailedUnit in time.", m->n_resets);
        return sd_event_exit(m->event, m->exit_code);
}

static void manager_maybe_exit(Manager *m) {
        if (!m->finishing || m->n_resets > 0)
                return;
        /* a grace so that queued HTTP replies (POST /project/stop) leave before the server goes, and the
         * journal's last lines of the processes reach the console and the log files: exit once no new
         * entry arrived for SETTLE_QUIET_USEC (the follower polls fast after a kick) */
        if (m->follower)
                journal_follower_kick(m->follower);
        if (!m->settling) {
                m->settling = true;
                m->settle_entries = manager_journal_entries(m);
                m->settle_deadline = now_usec(CLOCK_MONOTONIC) + SETTLE_MAX_USEC;
        }
        (void) sd_event_source_set_time_relative(m->finish_timer, SETTLE_QUIET_USEC);
        (void) sd_event_source_set_enabled(m->finish_timer, SD_EVENT_ONESHOT);
}

static void manager_on_reset_done(UnitDriver *d, int error, void *userdata) {
        Manager *m = userdata;

        /* errors do not matter here: a unit that is gone needs no reset */
        if (m->n_resets > 0)
                m->n_resets--;
        manager_maybe_exit(m);
}

static void manager_reset_unit(Manager *m, const char *unit) {
        if (unit && unit_driver_reset_failed(m->driver, unit, manager_on_reset_done, m) >= 0)
                m->n_resets++;
}

static void manager_finish(Manager *m) {
        if (m->finishing)
                return;
        m->finishing = true;

        /* Failed units stay loaded until reset (systemd-notes §2.3): `up` leaves nothing behind. */
        for (size_t i = 0; i < m->n_procs; i++) {
                Proc *p = m->procs[i];
                manager_reset_unit(m, p->pub.unit);
                if (p->shutdown_unit)
                        manager_reset_unit(m, p->shutdown_unit);
        }
        /* and the slice: stopping it sweeps anything left in it and lets systemd collect it */
        if (unit_driver_stop_slice(m->driver, m->slice, manager_on_reset_done, m) >= 0)
                m->n_resets++;
        (void) sd_event_source_set_time_relative(m->finish_timer, RESET_TIMEOUT_USEC);
        (void) sd_event_source_set_enabled(m->finish_timer, SD_EVENT_ONESHOT);
        manager_maybe_exit(m);
}

/* ----------------------------------------------------------------------------------------------------- */
/* processes */

static size_t manager_log_length(Manager *m) {
        return m->project->log_length > 0 ? (size_t) MIN(m->project->log_length, 1000000) : LOG_RING_DEFAULT_LINES;
}

static Proc *proc_free(Proc *p) {
        if (!p)
                return NULL;
        proc_unfollow(p);
        proc_detach_logs(p);
        p->watch = unit_watch_free(p->watch);
        p->shutdown_watch = unit_watch_free(p->shutdown_watch);
        probe_free(p->readiness);
        probe_free(p->liveness);
        sd_event_source_disable_unref(p->timer);
        sd_event_source_disable_unref(p->kill_timer);
        log_ring_observer_free(p->ring_observer);
        log_ring_free(p->pub.log);
        free(p->restart_waiters);
        free(p->pub.name);
        free(p->pub.base_name);
        free(p->pub.unit);
        free(p->pub.unit_path);
        free(p->pub.ident);
        free(p->shutdown_unit);
        compose_process_free(p->owned_config);
        compose_process_free(p->next_config);
        return mfree(p);
}

/* A process's ring lives as long as the process: its readers (WebSocket streams, log files, the console)
 * keep their positions, and sequence numbers only grow. */
static int proc_new_ring(Proc *p) {
        p->pub.log = log_ring_new(manager_log_length(p->m), LOG_RING_DEFAULT_BYTES);
        if (!p->pub.log)
                return -ENOMEM;
        p->ring_observer = log_ring_observe(p->pub.log, proc_on_ring, p);
        if (!p->ring_observer)
                return -ENOMEM;
        p->print_seq = p->ready_seq = log_ring_next_seq(p->pub.log);
        proc_attach_project_log(p);
        return 0;
}

/* A new configuration: the log starts empty, as process-compose's new buffer does, with the project's
 * current log_length; the ring is truncated and resized in place. Its log files are reattached, as
 * log_location may have changed (the next start opens the new one). */
static void proc_reset_ring(Proc *p) {
        proc_detach_logs(p);
        log_ring_truncate(p->pub.log);
        log_ring_set_limits(p->pub.log, manager_log_length(p->m), LOG_RING_DEFAULT_BYTES);
        p->print_seq = p->ready_seq = log_ring_next_seq(p->pub.log);
        proc_attach_project_log(p);
}

static int proc_new(Manager *m, ComposeProcess *c, Proc **ret) {
        Proc *p;
        int r;

        if (!GREEDY_REALLOC(m->procs, m->allocated_procs, m->n_procs + 1))
                return -ENOMEM;
        p = new0(Proc, 1);
        if (!p)
                return -ENOMEM;
        p->m = m;
        p->pub.manager = m;
        p->pub.config = c;
        p->pub.name = strdup(c->name);
        p->pub.base_name = strdup(c->base_name ?: c->name);
        p->pub.replica_num = c->replica_num >= 0 ? (unsigned) c->replica_num : 0;
        p->fsm = PROC_FSM_INIT;
        p->pub.status = process_fsm_status(p->fsm.state, c);
        p->pub.health = PROC_HEALTH_UNKNOWN;
        if (!p->pub.name || !p->pub.base_name) {
                proc_free(p);
                return -ENOMEM;
        }
        r = proc_new_ring(p);
        if (r >= 0)
                r = proc_update_unit_name(p);
        if (r < 0) {
                proc_free(p);
                return r;
        }
        m->procs[m->n_procs++] = p;
        m->by_name_dirty = true;
        if (ret)
                *ret = p;
        return 0;
}

/* ----------------------------------------------------------------------------------------------------- */
/* the manager */

sd_event *manager_get_event(Manager *m) {
        return m->event;
}

const ComposeProject *manager_get_project(Manager *m) {
        return m->project;
}

const char *manager_get_project_name(Manager *m) {
        return m->project_name;
}

usec_t manager_get_start_time(Manager *m) {
        return m->start_time;
}

size_t manager_n_processes(Manager *m) {
        manager_rebuild_index(m);
        return m->by_name_dirty ? 0 : m->n_by_name;
}

Process *manager_process_at(Manager *m, size_t i) {
        manager_rebuild_index(m);
        if (m->by_name_dirty || i >= m->n_by_name)
                return NULL;
        return &m->by_name[i]->pub;
}

Process *manager_find_process(Manager *m, const char *name) {
        Proc *p = manager_find(m, name);
        return p ? &p->pub : NULL;
}

static int manager_on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Manager *m = userdata;

        m->n_signals++;
        if (m->n_signals == 1) {
                log_info("Received %s: shutting the project down%s.", strsignal((int) si->ssi_signo),
                         m->project->ordered_shutdown ? " in order" : "");
                (void) manager_stop_project(m, NULL, NULL);
                return 0;
        }
        if (si->ssi_signo == SIGHUP)
                return 0;
        if (m->n_signals == 2) {
                int r;
                log_info("Received %s again: stopping every unit of %s at once.", strsignal((int) si->ssi_signo),
                         m->slice);
                /* SIGKILL to everything in the slice, then stop it (units still starting included): no
                 * stop timeout applies any more */
                r = unit_driver_kill(m->driver, m->slice, false, SIGKILL);
                if (r < 0)
                        log_warning_errno(r, "Cannot kill %s: %m", m->slice);
                r = unit_driver_stop_slice(m->driver, m->slice, NULL, NULL);
                if (r < 0)
                        log_warning_errno(r, "Cannot stop %s: %m", m->slice);
                return 0;
        }
        /* a third one: leave now (the slice stop is already under way) */
        log_info("Leaving without waiting for the units to stop.");
        return sd_event_exit(m->event, m->exit_code ?: 1);
}

int manager_new(const ManagerOptions *options, ComposeProject *project, Manager **ret) {
        _cleanup_(manager_freep) Manager *m = NULL;
        char host[256] = "localhost";
        int r;

        m = new0(Manager, 1);
        if (!m)
                return log_oom();
        m->options = *options;
        m->console = options->console;
        if (options->os_environ) {
                m->os_environ = strv_copy(options->os_environ);
                if (!m->os_environ)
                        return log_oom();
        } else {
                extern char **environ;
                m->os_environ = strv_copy(environ);
                if (!m->os_environ)
                        return log_oom();
        }
        m->start_time = now_usec(CLOCK_REALTIME);

        r = sd_event_default(&m->event);
        if (r < 0)
                return log_error_errno(r, "Cannot create the event loop: %m");

        r = unit_driver_new(m->event, options->scope, &m->driver);
        if (r < 0) {
                _cleanup_free_ char *msg = NULL;
                if (unit_driver_unreachable_message(options->scope, r, &msg) < 0)
                        return log_oom();
                log_error("%s", msg);
                return r;
        }

        r = journal_follower_new(m->event, &m->follower);
        if (r < 0)
                log_warning_errno(r, "Cannot open the journal, process output will not be shown: %m");

        (void) gethostname(host, sizeof(host) - 1);
        if (asprintf(&m->project_name, "%s/%s", host, strna(project->project_name)) < 0) {
                m->project_name = NULL;
                return log_oom();
        }
        r = unit_name_for_slice(project->project_name, &m->slice);
        if (r < 0)
                return log_error_errno(r, "Project name '%s' does not fit in a unit name: %m",
                                       project->project_name);
        /* every process runs in the project's slice: the follower matches it once, not each unit */
        if (m->follower && journal_follower_set_slice(m->follower, m->slice) < 0)
                return log_oom();

        r = sd_event_add_defer(m->event, &m->check_event, manager_on_check, m);
        if (r >= 0)
                r = sd_event_source_set_priority(m->check_event, SD_EVENT_PRIORITY_NORMAL + 10);
        if (r >= 0)
                r = sd_event_add_defer(m->event, &m->log_event, manager_on_log, m);
        if (r >= 0)
                r = sd_event_add_time_relative(m->event, &m->finish_timer, CLOCK_MONOTONIC, 0, 0,
                                               manager_on_finish_timer, m);
        if (r < 0)
                return log_error_errno(r, "Cannot set up the event loop: %m");
        (void) sd_event_source_set_enabled(m->check_event, SD_EVENT_OFF);
        (void) sd_event_source_set_enabled(m->log_event, SD_EVENT_OFF);
        (void) sd_event_source_set_enabled(m->finish_timer, SD_EVENT_OFF);

        if (m->console) {
                r = sd_event_add_time_relative(m->event, &m->status_timer, CLOCK_MONOTONIC, 100 * USEC_PER_MSEC,
                                               10 * USEC_PER_MSEC, manager_on_status_timer, m);
                if (r < 0)
                        return log_error_errno(r, "Cannot set up the event loop: %m");
                (void) sd_event_source_set_enabled(m->status_timer, SD_EVENT_OFF);
        }

        /* from here on the project is ours */
        m->project = project;
        for (size_t i = 0; i < project->n_processes; i++) {
                r = proc_new(m, project->processes[i], NULL);
                if (r < 0) {
                        m->project = NULL;
                        return log_error_errno(r, "Cannot set up process %s: %m", project->processes[i]->name);
                }
        }
        manager_rebuild_index(m);

        *ret = TAKE_PTR(m);
        return 0;
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;
        for (size_t i = 0; i < m->n_procs; i++)
                proc_free(m->procs[i]);
        free(m->procs);
        free(m->by_name);
        while (m->observers) {
                ManagerObserver *o = m->observers;
                m->observers = o->next;
                free(o);
        }
        while (m->ns_restarts) {
                NamespaceRestart *r = m->ns_restarts;
                m->ns_restarts = r->next;
                free(r->ns);
                free(r);
        }
        free(m->completions);
        free(m->stop_waiters);
        log_file_close(m->project_log);
        journal_follower_free(m->follower);
        sd_event_source_disable_unref(m->check_event);
        sd_event_source_disable_unref(m->log_event);
        sd_event_source_disable_unref(m->status_timer);
        sd_event_source_disable_unref(m->finish_timer);
        for (size_t i = 0; i < ELEMENTSOF(m->signal_sources); i++)
                sd_event_source_disable_unref(m->signal_sources[i]);
        unit_driver_free(m->driver);
        sd_event_unref(m->event);
        compose_project_free(m->project);
        strv_free(m->os_environ);
        free(m->project_name);
        free(m->slice);
        return mfree(m);
}

int manager_run(Manager *m) {
        static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
        int r;

        for (size_t i = 0; i < ELEMENTSOF(sigs); i++) {
                r = sd_event_add_signal(m->event, &m->signal_sources[i], sigs[i] | SD_EVENT_SIGNAL_PROCMASK,
                                        manager_on_signal, m);
                if (r < 0)
                        return log_error_errno(r, "Cannot handle %s: %m", strsignal(sigs[i]));
        }

        manager_open_project_log(m);

        /* Every enabled process is wanted at once; the first check pass starts all whose dependencies are
         * met, pipelined. */
        for (size_t i = 0; i < m->n_procs; i++) {
                Proc *p = m->procs[i];
                const ComposeProcess *c = proc_config(p);
                if (c->disabled || c->is_foreground)
                        continue;
                /* scheduled processes are not started by `up` (pcctl has no scheduler yet): only
                 * run_on_start runs them once */
                if (compose_schedule_is_set(c->schedule) && !c->schedule->run_on_start)
                        continue;
                (void) proc_dispatch(p, &(ProcEvent) { .type = PROC_EVENT_START });
        }
        manager_schedule_check(m);
        manager_status_dirty(m);

        r = sd_event_loop(m->event);
        if (r < 0)
                return log_error_errno(r, "Event loop failed: %m");
        return r;
}

/* ----------------------------------------------------------------------------------------------------- */
/* the API: 0, a positive ManagerError (manager.h) or -errno; no client-facing text here */

int manager_start_process(Manager *m, const char *name) {
        Proc *p = manager_find(m, name);

        if (!p)
                return MANAGER_E_NOT_FOUND;
        if (proc_busy(p))
                return MANAGER_E_ALREADY_RUNNING;
        if (m->shutting_down)
                return MANAGER_E_SHUTTING_DOWN;
        (void) proc_dispatch(p, &(ProcEvent) { .type = PROC_EVENT_START });
        return 0;
}

int manager_stop_process(Manager *m, const char *name) {
        Proc *p = manager_find(m, name);

        if (!p)
                return MANAGER_E_NOT_FOUND;
        if (proc_dispatch(p, &(ProcEvent) { .type = PROC_EVENT_STOP, .stop = PROC_STOP_USER }) < 0)
                return MANAGER_E_NOT_RUNNING;
        return 0;
}

int manager_restart_process(Manager *m, const char *name, ManagerDoneFunc done, void *userdata) {
        Proc *p = manager_find(m, name);
        int r;

        if (!p)
                return MANAGER_E_NOT_FOUND;
        if (m->shutting_down)
                return MANAGER_E_SHUTTING_DOWN;

        r = waiters_add(&p->restart_waiters, &p->n_restart_waiters, &p->allocated_restart_waiters, done,
                        userdata, 0);
        if (r < 0)
                return r;
        /* concurrent restarts coalesce (process-compose #347); the machine completes the waiters when the new
         * incarnation begins, or when a stop cancels the relaunch */
        if (proc_dispatch(p, &(ProcEvent) { .type = PROC_EVENT_RESTART }) < 0)
                proc_complete_restart(p, 0);
        return 0;
}

int manager_signal_process(Manager *m, const char *name, int sig) {
        Proc *p = manager_find(m, name);
        const ComposeProcess *c;
        int r;

        if (!p)
                return MANAGER_E_NOT_FOUND;
        if (!process_is_running(&p->pub) && p->pub.status != PROC_TERMINATING)
                return MANAGER_E_NOT_RUNNING;
        if (sig < 0 || sig >= _NSIG)
                return MANAGER_E_INVALID;
        /* [QUIRK] process-compose turns signal 0 into SIGTERM; 0 checks that the process exists, as kill(2)
         * does. */
        if (sig == 0)
                return 0;
        c = proc_config(p);
        r = unit_driver_kill(m->driver, p->pub.unit, c && c->shutdown.parent_only, sig);
        return r < 0 ? r : 0;
}

int manager_truncate_logs(Manager *m, const char *name) {
        Proc *p = manager_find(m, name);

        if (!p)
                return MANAGER_E_NOT_FOUND;
        log_ring_truncate(p->pub.log);
        p->print_seq = p->ready_seq = log_ring_next_seq(p->pub.log);
        return 0;
}

static void proc_mark_removed(Proc *p) {
        /* the project no longer holds its configuration: keep our own copy for the rest of the run */
        if (!p->owned_config && p->pub.config) {
                ComposeProcess *copy = NULL;
                if (compose_process_dup(p->pub.config, &copy) >= 0) {
                        p->owned_config = copy;
                        p->pub.config = copy;
                }
        }
        (void) proc_dispatch(p, &(ProcEvent) { .type = PROC_EVENT_REMOVED });
        p->m->by_name_dirty = true;
        manager_schedule_check(p->m);
}

int manager_scale_process(Manager *m, const char *name, int count, char **ret_detail) {
        _cleanup_strv_free_ char **removed = NULL, **added = NULL, **renamed = NULL;
        _cleanup_free_ Proc **group = NULL;
        ComposeError err = {};
        ComposeProcess *c;
        size_t n_group = 0;
        int r;

        if (count <= 0)
                return MANAGER_E_INVALID;
        c = compose_project_find_process(m->project, name);
        if (!c || !manager_find(m, name))
                return MANAGER_E_NOT_FOUND;
        if (m->shutting_down)
                return MANAGER_E_SHUTTING_DOWN;

        /* Replicas about to be removed lose their ComposeProcess inside compose_scale(): give each of the
         * group its own copy first (dropped again for the survivors). */
        group = new0(Proc *, m->n_procs);
        if (!group)
                return -ENOMEM;
        for (size_t i = 0; i < m->n_procs; i++) {
                Proc *p = m->procs[i];
                ComposeProcess *copy = NULL;

                if (p->fsm.removed || !streq(p->pub.base_name, c->base_name ?: c->name))
                        continue;
                r = compose_process_dup(p->pub.config, &copy);
                if (r < 0)
                        return r;
                compose_process_free(p->owned_config);
                p->owned_config = copy;
                group[n_group++] = p;
        }

        r = compose_scale(m->project, name, count, &removed, &added, &renamed, &err);
        if (r < 0) {
                _cleanup_free_ char *msg = err.message ? strdup(err.message) : NULL;
                compose_error_done(&err);
                for (size_t i = 0; i < n_group; i++)
                        group[i]->owned_config = compose_process_free(group[i]->owned_config);
                if (!msg)
                        return r;
                if (ret_detail)
                        *ret_detail = TAKE_PTR(msg);
                return MANAGER_E_CONFIG;
        }

        STRV_FOREACH(s, removed)
                for (size_t i = 0; i < n_group; i++)
                        if (!group[i]->fsm.removed && streq(group[i]->pub.name, *s)) {
                                group[i]->pub.config = group[i]->owned_config;
                                proc_mark_removed(group[i]);
                                break;
                        }

        /* survivors: back to the project's (stable) ComposeProcess, under their new names */
        for (size_t i = 0; i < n_group; i++) {
                Proc *p = group[i];
                const char *new_name = p->pub.name;

                if (p->fsm.removed)
                        continue;
                for (char **k = renamed; k && k[0] && k[1]; k += 2)
                        if (streq(k[0], p->pub.name)) {
                                new_name = k[1];
                                break;
                        }
                c = compose_project_find_process(m->project, new_name);
                if (!c) {
                        /* not in the project any more although not reported removed: treat as removed */
                        p->pub.config = p->owned_config;
                        proc_mark_removed(p);
                        continue;
                }
                if (!streq(new_name, p->pub.name)) {
                        char *s = strdup(new_name);
                        if (!s)
                                return -ENOMEM;
                        free(p->pub.name);
                        p->pub.name = s;
                        m->by_name_dirty = true;
                        /* a process that is not running takes its new unit name now */
                        if (!proc_in_flight(p))
                                (void) proc_update_unit_name(p);
                }
                p->pub.config = c;
                p->pub.replica_num = c->replica_num >= 0 ? (unsigned) c->replica_num : 0;
                p->owned_config = compose_process_free(p->owned_config);
                proc_changed(p);
        }

        STRV_FOREACH(s, added) {
                Proc *p;
                c = compose_project_find_process(m->project, *s);
                if (!c)
                        continue;
                r = proc_new(m, c, &p);
                if (r < 0)
                        /* a diagnostic of ours, not an API text: the adapter shows it as it is */
                        return error_set(ret_detail, r, "cannot add process %s: %s", *s, strerror(-r));
                if (!c->disabled && !c->is_foreground)
                        (void) proc_dispatch(p, &(ProcEvent) { .type = PROC_EVENT_START });
                else
                        proc_changed(p);
        }
        manager_schedule_check(m);
        return 0;
}

/* ----------------------------------------------------------------------------------------------------- */
/* namespaces */

char **manager_list_namespaces(Manager *m) {
        _cleanup_strv_free_ char **l = NULL;

        for (size_t i = 0; i < m->n_procs; i++) {
                const ComposeProcess *c = proc_config(m->procs[i]);
                if (m->procs[i]->fsm.removed || !c)
                        continue;
                if (!c->namespaces) {
                        if (!strv_contains(l, "default") && strv_extend(&l, "default") < 0)
                                return NULL;
                        continue;
                }
                STRV_FOREACH(ns, c->namespaces)
                        if (!strv_contains(l, *ns) && strv_extend(&l, *ns) < 0)
                                return NULL;
        }
        if (!l)
                l = new0(char *, 1);
        strv_sort(l);
        return TAKE_PTR(l);
}

static int manager_check_namespace(Manager *m, const char *ns) {
        bool any = false, non_foreground = false;

        for (size_t i = 0; i < m->n_procs; i++) {
                Proc *p = m->procs[i];
                if (p->fsm.removed || !proc_in_namespace(p, ns))
                        continue;
                any = true;
                if (!proc_config(p)->is_foreground)
                        non_foreground = true;
        }
        if (!any)
                return MANAGER_E_NOT_FOUND;
        if (!non_foreground)
                return MANAGER_E_FOREGROUND_ONLY;
        return 0;
}

/* Starts every member that is not running (also disabled and unselected ones), never their dependencies
 * in other namespaces: those are not waited for unless they run. */
static void manager_start_members(Manager *m, const char *ns) {
        for (size_t i = 0; i < m->n_procs; i++) {
                Proc *p = m->procs[i];
                if (p->fsm.removed || !proc_in_namespace(p, ns) || proc_config(p)->is_foreground)
                        continue;
                if (proc_busy(p))
                        continue;
                (void) proc_dispatch(p, &(ProcEvent) { .type = PROC_EVENT_START });
        }
}

int manager_start_namespace(Manager *m, const char *ns) {
        int r;

        r = manager_check_namespace(m, ns);
        if (r != 0)
                return r;
        if (m->shutting_down)
                return MANAGER_E_SHUTTING_DOWN;
        manager_start_members(m, ns);
        return 0;
}

static void manager_stop_members(Manager *m, const char *ns) {
        for (size_t i = 0; i < m->n_procs; i++) {
                Proc *p = m->procs[i];
                if (!p->fsm.removed && proc_in_namespace(p, ns) && !proc_config(p)->is_foreground)
                        (void) proc_dispatch(p, &(ProcEvent) { .type = PROC_EVENT_STOP, .stop = PROC_STOP_USER });
        }
}

int manager_stop_namespace(Manager *m, const char *ns) {
        int r;

        r = manager_check_namespace(m, ns);
        if (r != 0)
                return r;
        manager_stop_members(m, ns);
        return 0;
}

int manager_restart_namespace(Manager *m, const char *ns, ManagerDoneFunc done, void *userdata) {
        NamespaceRestart *r;
        int k;

        k = manager_check_namespace(m, ns);
        if (k != 0)
                return k;
        if (m->shutting_down)
                return MANAGER_E_SHUTTING_DOWN;
        r = new0(NamespaceRestart, 1);
        if (!r || !(r->ns = strdup(ns))) {
                free(r);
                return -ENOMEM;
        }
        r->waiter = (Waiter) { .done = done, .userdata = userdata };
        r->deadline = now_usec(CLOCK_MONOTONIC) + NAMESPACE_RESTART_TIMEOUT_USEC;
        r->next = m->ns_restarts;
        m->ns_restarts = r;
        manager_stop_members(m, ns);
        manager_schedule_check(m);
        return 0;
}

/* ----------------------------------------------------------------------------------------------------- */
/* project stop */

int manager_stop_project(Manager *m, ManagerDoneFunc done, void *userdata) {
        int r;

        if (m->project_done) {
                manager_complete(m, &(Waiter) { .done = done, .userdata = userdata }, 1, 0);
                return 0;
        }
        r = waiters_add(&m->stop_waiters, &m->n_stop_waiters, &m->allocated_stop_waiters, done, userdata, 0);
        if (r < 0)
                return r;
        if (m->shutting_down)
                return 0;
        m->shutting_down = true;

        for (size_t i = 0; i < m->n_procs; i++) {
                Proc *p = m->procs[i];
                /* a restart under way completes: the stop wins */
                p->next_config = compose_process_free(p->next_config);
                (void) proc_dispatch(p, &(ProcEvent) { .type = PROC_EVENT_STOP, .stop = PROC_STOP_SHUTDOWN });
        }
        manager_status_dirty(m);
        manager_schedule_check(m);
        return 0;
}

/* ----------------------------------------------------------------------------------------------------- */
/* live updates */

/* What the API shows, compared by the compose field table. */
static bool process_config_equal(const ComposeProcess *a, const ComposeProcess *b) {
        return compose_process_equal(a, b);
}

static ssize_t project_index_of(const ComposeProject *project, const ComposeProcess *c) {
        for (size_t i = 0; i < project->n_processes; i++)
                if (project->processes[i] == c)
                        return (ssize_t) i;
        return -1;
}

/* Puts p->next_config in place of its configuration (in the project too), with an empty log as
 * process-compose's new buffer, and starts it unless it is disabled. */
static void proc_install_config(Proc *p) {
        Manager *m = p->m;
        ComposeProcess *c = TAKE_PTR(p->next_config);
        ssize_t idx;

        if (!c)
                return;
        idx = project_index_of(m->project, p->pub.config);
        if (idx >= 0) {
                compose_process_free(m->project->processes[idx]);
                m->project->processes[idx] = c;
        } else {
                compose_process_free(p->owned_config);
                p->owned_config = c;
        }
        p->pub.config = c;
        proc_reset_ring(p);
        /* the machine is DORMANT: the new config is started, or shows its initial status */
        if (!c->disabled && !c->is_foreground)
                (void) proc_dispatch(p, &(ProcEvent) { .type = PROC_EVENT_START });
        else {
                p->pub.status = process_fsm_status(p->fsm.state, c);
                proc_changed(p);
        }
}

static void proc_replace_config(Proc *p, ComposeProcess *c) {
        compose_process_free(p->next_config);
        p->next_config = c;
        /* a run ends first (no exit_on_* hooks), its end installs the new config; else it is installed now */
        (void) proc_dispatch(p, &(ProcEvent) { .type = PROC_EVENT_CONFIG_REPLACED });
}

int manager_update_process(Manager *m, ComposeProcess *process) {
        Proc *p;

        if (!process || !process->name)
                return MANAGER_E_INVALID;
        p = manager_find(m, process->name);
        if (!p)
                return MANAGER_E_NOT_FOUND;
        if (m->shutting_down)
                return MANAGER_E_SHUTTING_DOWN;
        if (process_config_equal(p->pub.config, process)) {
                compose_process_free(process);
                return 0;
        }
        /* the client edits command (or entrypoint); executable and args follow from it, as the loader
         * computes them (compat §1.3) */
        if (process_spec_compute_exec(m->project, process) < 0)
                return -ENOMEM;
        proc_replace_config(p, process);
        return 0;
}

static int project_insert_sorted(ComposeProject *project, ComposeProcess *c) {
        ComposeProcess **a;
        size_t i = 0;

        a = realloc(project->processes, (project->n_processes + 1) * sizeof(ComposeProcess *));
        if (!a)
                return -ENOMEM;
        project->processes = a;
        while (i < project->n_processes && strcmp(a[i]->name, c->name) < 0)
                i++;
        memmove(a + i + 1, a + i, (project->n_processes - i) * sizeof(ComposeProcess *));
        a[i] = c;
        project->n_processes++;
        return 0;
}

static void project_remove(ComposeProject *project, const ComposeProcess *c) {
        ssize_t idx = project_index_of(project, c);

        if (idx < 0)
                return;
        compose_process_free(project->processes[idx]);
        memmove(project->processes + idx, project->processes + idx + 1,
                (project->n_processes - (size_t) idx - 1) * sizeof(ComposeProcess *));
        project->n_processes--;
}

int manager_update_project(Manager *m, ComposeProject *project, cJSON **ret_status) {
        _cleanup_json_ cJSON *status = NULL;
        unsigned ok = 0, failed = 0;

        if (!project)
                return MANAGER_E_INVALID;
        if (m->shutting_down)
                return MANAGER_E_SHUTTING_DOWN;
        status = cJSON_CreateObject();
        if (!status)
                return -ENOMEM;

        for (size_t i = 0; i < project->n_processes; i++) {
                ComposeProcess *c = project->processes[i], *copy = NULL;
                Proc *p = manager_find(m, c->name);
                const char *result;

                if (p && process_config_equal(p->pub.config, c))
                        continue;
                if (compose_process_dup(c, &copy) < 0) {
                        failed++;
                        (void) cJSON_AddStringToObject(status, c->name, "error: out of memory");
                        continue;
                }
                if (p) {
                        proc_replace_config(p, copy);
                        result = "updated";
                } else {
                        Proc *n = NULL;
                        if (project_insert_sorted(m->project, copy) < 0) {
                                compose_process_free(copy);
                                failed++;
                                (void) cJSON_AddStringToObject(status, c->name, "error: out of memory");
                                continue;
                        }
                        if (proc_new(m, copy, &n) < 0) {
                                project_remove(m->project, copy);
                                failed++;
                                (void) cJSON_AddStringToObject(status, c->name, "error: cannot add process");
                                continue;
                        }
                        if (!copy->disabled && !copy->is_foreground)
                                (void) proc_dispatch(n, &(ProcEvent) { .type = PROC_EVENT_START });
                        else
                                proc_changed(n);
                        result = "added";
                }
                ok++;
                (void) cJSON_AddStringToObject(status, c->name, result);
        }

        for (size_t i = 0; i < m->n_procs; i++) {
                Proc *p = m->procs[i];
                const ComposeProcess *old;
                if (p->fsm.removed || compose_project_find_process(project, p->pub.name))
                        continue;
                old = p->pub.config;
                proc_mark_removed(p);
                project_remove(m->project, old);
                ok++;
                (void) cJSON_AddStringToObject(status, p->pub.name, "removed");
        }

        manager_schedule_check(m);
        if (ret_status)
                *ret_status = TAKE_PTR(status);
        /* the project stays the caller's when nothing was applied, as on every other error */
        if (failed > 0 && ok == 0)
                return MANAGER_E_NOTHING_APPLIED;
        compose_project_free(project);
        return failed > 0 ? MANAGER_E_PARTIAL : 0;
}

int manager_reload_project(Manager *m, cJSON **ret_status, char **ret_detail) {
        ComposeProject *project = NULL;
        ComposeError err = {};
        int r;

        if (!m->options.load_options)
                return MANAGER_E_NOT_FROM_FILES;
        r = compose_load(m->options.load_options, &project, &err);
        if (r >= 0 && m->options.selection)
                r = compose_select(project, m->options.selection, m->options.no_deps, &err);
        if (r < 0) {
                _cleanup_free_ char *msg = compose_error_format(&err);
                compose_error_done(&err);
                compose_project_free(project);
                if (!msg)
                        return r;
                if (ret_detail)
                        *ret_detail = TAKE_PTR(msg);
                return MANAGER_E_CONFIG;
        }
        /* env_cmds are not run again (they may block for seconds): processes keep the running project's
         * top-level environment */
        r = manager_update_project(m, project, ret_status);
        if (r != 0 && r != MANAGER_E_PARTIAL)
                compose_project_free(project);
        return r;
}
