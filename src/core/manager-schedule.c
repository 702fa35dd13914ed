/* Scheduled processes (docs/lifecycle.md "Scheduled processes"): each one's timer unit, started with its
 * service in one StartTransientUnit; the runs the timer starts, reported by the unit watch as adoptions are
 * (PROC_EVENT_TRIGGERED); the timer's next and last elapse for the API; and its stop. The timer belongs to
 * the manager: it keeps starting runs while no controller runs, and the next controller finds it at
 * adoption.
 *
 * max_concurrent above 1 (docs/units.md §3.0): the timer starts a oneshot launcher, the process's own unit,
 * which starts the first of the instance services "<base>@1.service".."@N" that is not active. Each
 * instance has a watch of its own (ScheduleRun); the process is Running from the first of its runs to start
 * to the last to end, and shows how many run and their PIDs. */
#include "core/manager-internal.h"

typedef struct TimerCall {
        Manager *m;
        char *name;                  /* the process, looked up again: it may be gone by the answer */
} TimerCall;

static TimerCall *timer_call_new(Proc *p) {
        TimerCall *c = new0(TimerCall, 1);

        if (!c)
                return NULL;
        c->m = p->m;
        c->name = strdup(p->pub.name);
        if (!c->name)
                return mfree(c);
        return c;
}

static Proc *timer_call_take(TimerCall *c) {
        Proc *p = manager_find(c->m, c->name);

        free(c->name);
        free(c);
        return p;
}

bool proc_is_scheduled(const Proc *p) {
        return compose_schedule_is_set(proc_config(p)->schedule);
}

static int proc_timer_unit(Proc *p) {
        _cleanup_free_ char *t = NULL;
        int r;

        r = proc_update_unit_name(p);
        if (r < 0)
                return r;
        r = process_spec_timer_unit(p->pub.unit, &t);
        if (r < 0)
                return r;
        if (!streq_ptr(t, p->timer_unit)) {
                free(p->timer_unit);
                p->timer_unit = TAKE_PTR(t);
        }
        return 0;
}

#define TIMER_READ_RETRY_USEC (50 * USEC_PER_MSEC)
#define TIMER_READ_RETRIES 40

static void proc_timer_read(Proc *p);

static int proc_on_timer_retry(sd_event_source *s, uint64_t usec, void *userdata) {
        Proc *p = userdata;

        p->timer_retry = sd_event_source_disable_unref(p->timer_retry);
        proc_timer_read(p);
        return 0;
}

static void proc_on_timer_read(UnitDriver *d, int error, const UnitSnapshot *s, void *userdata) {
        Proc *p = userdata;
        usec_t next = 0;

        p->timer_read = unit_call_cancel(p->timer_read);
        if (error < 0 || !s)
                return;
        if (streq_ptr(s->active_state, "active")) {
                if (s->next_elapse_realtime > 0)
                        next = s->next_elapse_realtime;
                if (s->next_elapse_monotonic > 0) {
                        /* a monotonic elapse, in realtime as the API shows it */
                        usec_t mono = now_usec(CLOCK_MONOTONIC), real = now_usec(CLOCK_REALTIME);
                        usec_t at = real + (s->next_elapse_monotonic > mono ? s->next_elapse_monotonic - mono : 0);

                        if (next == 0 || at < next)
                                next = at;
                }
        }
        /* No next elapse yet: StartTransientUnit answers once the start job is queued, and after a run the
         * timer computes its next elapse when the manager tells it the service ended, which may come after
         * our read. Ask again shortly (a run that goes on keeps it without one). */
        if (next == 0 && p->timer_armed && p->timer_retries < TIMER_READ_RETRIES && !p->timer_retry) {
                p->timer_retries++;
                (void) sd_event_add_time_relative(p->m->event, &p->timer_retry, CLOCK_MONOTONIC,
                                                  TIMER_READ_RETRY_USEC, 0, proc_on_timer_retry, p);
        } else if (next > 0)
                p->timer_retries = 0;
        if (next == p->pub.next_run && (s->last_trigger == 0 || s->last_trigger == p->pub.last_run))
                return;
        p->pub.next_run = next;
        if (s->last_trigger > 0)
                p->pub.last_run = s->last_trigger;
        proc_changed(p);
}

static void proc_timer_read(Proc *p) {
        if (!p->timer_armed || !p->timer_unit || p->timer_read)
                return;
        if (unit_driver_read(p->m->driver, p->timer_unit, proc_on_timer_read, p, &p->timer_read) < 0)
                p->timer_read = NULL;
}

/* Reads the timer's next and last elapse (after its start, and at each run's start and end). */
void proc_schedule_refresh(Proc *p) {
        p->timer_retries = 0;
        proc_timer_read(p);
}

#define TIMER_REARM_USEC (25 * USEC_PER_MSEC)
#define TIMER_REARMS 40

static int proc_on_timer_rearm(sd_event_source *s, uint64_t usec, void *userdata) {
        Proc *p = userdata;

        p->timer_rearm = sd_event_source_disable_unref(p->timer_rearm);
        if (!p->m->shutting_down && !p->timer_armed && proc_is_scheduled(p))
                (void) proc_arm_schedule(p, p->timer_run_now);
        return 0;
}

static void proc_on_timer_started(UnitDriver *d, int error, void *userdata) {
        Proc *p = timer_call_take(userdata);

        if (!p)
                return;
        if (error == -EEXIST && p->timer_rearms < TIMER_REARMS && !p->m->shutting_down &&
            sd_event_add_time_relative(p->m->event, &p->timer_rearm, CLOCK_MONOTONIC, TIMER_REARM_USEC, 0,
                                       proc_on_timer_rearm, p) >= 0) {
                /* the timer or service of the configuration it replaces is stopped but not yet collected by
                 * the manager (a live update): start again in a moment */
                p->timer_rearms++;
                p->timer_armed = false;
                return;
        }
        p->timer_rearms = 0;
        if (error < 0) {
                log_warning_errno(error, "Process %s: cannot start its timer %s: %m", p->pub.name,
                                  strna(p->timer_unit));
                proc_log(p, "Error: cannot start timer %s: %s", strna(p->timer_unit), strerror(-error));
                p->timer_armed = false;
                manager_schedule_check(p->m);
                return;
        }
        log_debug("Process %s: timer %s started", p->pub.name, p->timer_unit);
        proc_schedule_refresh(p);
}

/* schedule.max_concurrent; 1 for a process on a terminal, which has one terminal for one run */
static unsigned proc_max_concurrent(const Proc *p) {
        const ComposeProcess *c = proc_config(p);

        if (!proc_is_scheduled(p) || c->is_tty || c->is_interactive || c->schedule->max_concurrent < 2)
                return 1;
        return (unsigned) c->schedule->max_concurrent;
}

void proc_schedule_free_runs(Proc *p) {
        for (unsigned i = 0; i < p->n_runs; i++) {
                unit_watch_free(p->runs[i].watch);
                free(p->runs[i].unit);
        }
        p->runs = mfree(p->runs);
        p->run_pids = mfree(p->run_pids);
        p->n_runs = p->active_runs = 0;
        p->pub.active_runs = 0;
        p->pub.run_pids = NULL;
}

/* The instances' names for the current unit name and max_concurrent (kept when they did not change). */
static int proc_runs_alloc(Proc *p, unsigned n) {
        _cleanup_free_ char *first = NULL;
        int r;

        if (n < 2) {
                proc_schedule_free_runs(p);
                return 0;
        }
        r = process_spec_instance_unit(p->pub.unit, 1, &first);
        if (r < 0)
                return r;
        if (p->n_runs == n && streq(p->runs[0].unit, first))
                return 0;
        proc_schedule_free_runs(p);
        p->runs = new0(ScheduleRun, n);
        p->run_pids = new0(pid_t, n);
        if (!p->runs || !p->run_pids) {
                proc_schedule_free_runs(p);
                return -ENOMEM;
        }
        p->n_runs = n;
        for (unsigned i = 0; i < n; i++) {
                p->runs[i].p = p;
                r = process_spec_instance_unit(p->pub.unit, i + 1, &p->runs[i].unit);
                if (r < 0) {
                        proc_schedule_free_runs(p);
                        return r;
                }
        }
        return 0;
}

static ScheduleRun *proc_oldest_run(Proc *p) {
        ScheduleRun *o = NULL;

        for (unsigned i = 0; i < p->n_runs; i++)
                if (p->runs[i].active && (!o || p->runs[i].start < o->start))
                        o = &p->runs[i];
        return o;
}

static bool run_before(const ScheduleRun *a, const ScheduleRun *b) {
        return a->start < b->start || (a->start == b->start && a < b);
}

/* The API's active_runs and run_pids, oldest first (N is small: a selection in order). */
static void proc_runs_changed(Proc *p) {
        const ScheduleRun *prev = NULL;
        unsigned n = 0;

        for (;;) {
                const ScheduleRun *next = NULL;

                for (unsigned i = 0; i < p->n_runs; i++) {
                        const ScheduleRun *r = &p->runs[i];

                        if (r->active && (!prev || run_before(prev, r)) && (!next || run_before(r, next)))
                                next = r;
                }
                if (!next)
                        break;
                p->run_pids[n++] = next->pid;
                prev = next;
        }
        p->pub.active_runs = n;
        p->pub.run_pids = p->run_pids;
        proc_changed(p);
}

/* Runs go on while the process is idle (an adoption ended, a run started while it was busy): it is
 * Running again, with the oldest of them. */
void proc_schedule_show_runs(Proc *p) {
        ScheduleRun *o = proc_oldest_run(p);

        if (o)
                (void) proc_on_triggered(p, o->pid, o->start);
}

static void run_on_started(UnitWatch *w, pid_t main_pid, usec_t start_timestamp, void *userdata) {
        ScheduleRun *r = userdata;
        Proc *p = r->p;

        if (!r->active)
                p->active_runs++;
        r->active = true;
        r->pid = main_pid;
        r->start = start_timestamp ?: now_usec(CLOCK_REALTIME);
        log_debug("Process %s: run %s started (pid %d, %u running)", p->pub.name, r->unit, (int) main_pid,
                  p->active_runs);
        /* the first run makes the process Running; the others are counted */
        (void) proc_on_triggered(p, main_pid, r->start);
        proc_runs_changed(p);
}

static void run_on_start_failed(UnitWatch *w, int error, const char *message, const UnitExit *exit,
                                void *userdata) {
        ScheduleRun *r = userdata;

        /* an adoption of an instance that went away meanwhile: nothing runs */
        log_debug("Process %s: %s: %s", r->p->pub.name, r->unit, strna(message));
}

static void run_on_exited(UnitWatch *w, const UnitExit *exit, void *userdata) {
        ScheduleRun *r = userdata;
        Proc *p = r->p;
        ScheduleRun *o;

        if (r->active && p->active_runs > 0)
                p->active_runs--;
        r->active = false;
        log_debug("Process %s: run %s ended (%u running)", p->pub.name, r->unit, p->active_runs);
        o = proc_oldest_run(p);
        if (!o) {
                /* the last run ended: so did the process's run */
                if (process_is_running(&p->pub) || p->pub.status == PROC_TERMINATING)
                        proc_on_unit_exit(p, exit);
        } else if (process_is_running(&p->pub)) {
                /* others go on: the process shows the oldest, and this run's exit code */
                p->pub.pid = o->pid;
                p->pub.exit_code = lifecycle_exit_code(exit->code, exit->status);
        } else
                proc_schedule_show_runs(p);
        proc_runs_changed(p);
}

static const UnitEvents run_events = {
        .started = run_on_started,
        .start_failed = run_on_start_failed,
        .exited = run_on_exited,
};

/* The watches of the instances: the runs started from since on, and those found running at adoption. */
static int proc_follow_instances(Proc *p, usec_t since) {
        int r;

        r = proc_runs_alloc(p, proc_max_concurrent(p));
        if (r < 0)
                return r;
        for (unsigned i = 0; i < p->n_runs; i++) {
                ScheduleRun *run = &p->runs[i];

                if (!run->watch) {
                        r = unit_watch_new(p->m->driver, run->unit, &run_events, run, &run->watch);
                        if (r < 0)
                                return r;
                }
                unit_watch_set_triggered(run->watch, true, since);
                if (run->adopt) {
                        run->adopt = false;
                        r = unit_driver_adopt(p->m->driver, run->watch);
                        if (r < 0)
                                log_warning_errno(r, "Process %s: cannot adopt %s: %m", p->pub.name, run->unit);
                }
        }
        return 0;
}

/* A stop of the process: the launcher first (a run it is starting would come after the stop), then every
 * instance (StopUnit of one that does not run is no error). */
bool proc_schedule_stop_runs(Proc *p) {
        if (p->n_runs == 0)
                return false;
        (void) unit_driver_stop(p->m->driver, p->pub.unit, NULL, NULL);
        for (unsigned i = 0; i < p->n_runs; i++)
                (void) unit_driver_stop(p->m->driver, p->runs[i].unit, NULL, NULL);
        return true;
}

bool proc_schedule_kill_runs(Proc *p, int sig) {
        if (p->n_runs == 0)
                return false;
        for (unsigned i = 0; i < p->n_runs; i++)
                if (p->runs[i].active)
                        (void) unit_driver_kill(p->m->driver, p->runs[i].unit, false, sig);
        return true;
}

/* The watch of the service reports the runs its timer starts (with max_concurrent above 1, the watches of
 * the instances do, and the service is the launcher); the log follows the journal from now on. */
static int proc_follow_runs(Proc *p, usec_t since) {
        int r;

        r = proc_watch_new(p);
        if (r < 0)
                return r;
        r = proc_follow_instances(p, since);
        if (r < 0)
                return r;
        unit_watch_set_triggered(p->watch, p->n_runs == 0, since);
        r = proc_follow(p);
        if (r < 0)
                log_warning_errno(r, "Process %s: cannot follow its journal, its output will be missing: %m",
                                  p->pub.name);
        return 0;
}

/* The timer with its service, or with the launcher and the instances (max_concurrent above 1). */
static int proc_start_timer(Proc *p, const ProcessTimerSpec *timer, const ProcessSpec *spec, TimerCall *c) {
        _cleanup_(process_launcher_spec_done) ProcessLauncherSpec l = {};
        ProcessSpecInput in;
        int r;

        if (p->n_runs == 0)
                return unit_driver_start_timer(p->m->driver, &timer->timer, &spec->unit, 1, proc_on_timer_started, c);
        proc_spec_input(p, NULL, &in);
        r = process_spec_launcher(&in, &spec->unit, p->n_runs, &l);
        if (r < 0)
                return r;
        return unit_driver_start_timer(p->m->driver, &timer->timer, l.services, l.n_services, proc_on_timer_started,
                                       c);
}

/* `up` (and a start through the API): the timer and its service, unless the timer runs already (adopted).
 * run_now adds an immediate run (OnActiveSec=0), as run_on_start does. */
int proc_arm_schedule(Proc *p, bool run_now) {
        _cleanup_(process_timer_spec_done) ProcessTimerSpec timer = {};
        _cleanup_(process_spec_done) ProcessSpec spec = {};
        _cleanup_free_ char *reason = NULL;
        ProcessSpecInput in;
        TimerCall *c;
        int r;

        if (!proc_is_scheduled(p))
                return -EINVAL;
        r = proc_timer_unit(p);
        if (r < 0)
                return r;
        p->m->ever_started = true;
        r = proc_follow_runs(p, now_usec(CLOCK_REALTIME));
        if (r < 0)
                return r;
        if (p->timer_armed) {
                /* adopted: the timer runs already, unless its runs would open a terminal that went with the
                 * previous controller */
                if (!proc_adopt_schedule_pty(p)) {
                        proc_schedule_replace_begin(p);
                        (void) proc_schedule_install(p);
                        return 0;
                }
                proc_schedule_refresh(p);
                return 0;
        }

        r = proc_build_spec(p, PROCESS_SPEC_RUN, &spec, &reason);
        if (r >= 0) {
                proc_spec_input(p, NULL, &in);
                r = process_spec_timer(&in, &timer, &reason);
        }
        if (r >= 0)
                r = proc_open_schedule_pty(p, &spec.unit);
        if (r < 0) {
                proc_log(p, "Error: cannot schedule the process: %s", reason ?: strerror(-r));
                return r;
        }
        p->timer_run_now = run_now;
        if (run_now) {
                timer.timer.has_on_active = true;
                timer.timer.on_active = 0;
        }
        c = timer_call_new(p);
        if (!c)
                return -ENOMEM;
        r = proc_start_timer(p, &timer, &spec, c);
        if (r < 0) {
                free(c->name);
                free(c);
                proc_log(p, "Error: cannot start timer %s: %s", p->timer_unit, strerror(-r));
                return r;
        }
        p->timer_armed = true;
        log_debug("Process %s: starting timer %s", p->pub.name, p->timer_unit);
        return 0;
}

/* A stop of the process, of the project, or the end: no more runs. The run under way is the caller's. */
int proc_disarm_schedule(Proc *p, UnitDoneFunc done, void *userdata) {
        /* a start waiting for the old units to go is given up too */
        p->timer_rearm = sd_event_source_disable_unref(p->timer_rearm);
        if (!p->timer_armed)
                return 0;
        p->timer_armed = false;
        p->pub.next_run = 0;
        p->timer_read = unit_call_cancel(p->timer_read);
        p->timer_retry = sd_event_source_disable_unref(p->timer_retry);
        if (p->watch)
                unit_watch_set_triggered(p->watch, false, 0);
        for (unsigned i = 0; i < p->n_runs; i++)
                if (p->runs[i].watch)
                        unit_watch_set_triggered(p->runs[i].watch, false, 0);
        return unit_driver_stop(p->m->driver, p->timer_unit, done, userdata) < 0 ? 0 : 1;
}

static void proc_on_old_timer_stopped(UnitDriver *d, int error, void *userdata) {
        Proc *p = timer_call_take(userdata);

        if (!p)
                return;
        p->timer_replacing = false;
        if (p->arm_after_replace) {
                p->arm_after_replace = false;
                if (!p->m->shutting_down && proc_is_scheduled(p))
                        (void) proc_arm_schedule(p, false);
        }
}

/* A live update replaces a scheduled process's configuration: its timer goes first (the run under way ends
 * through the replacement), as systemd would refuse a second timer of the same name. */
void proc_schedule_replace_begin(Proc *p) {
        TimerCall *c;

        if (!p->timer_armed)
                return;
        c = timer_call_new(p);
        if (c && proc_disarm_schedule(p, proc_on_old_timer_stopped, c) > 0) {
                p->timer_replacing = true;
                return;
        }
        if (c)
                (void) timer_call_take(c);
        else
                (void) proc_disarm_schedule(p, NULL, NULL);
}

/* The new configuration is in place: a scheduled one gets its timer (once the old one is gone) instead of a
 * run. Returns false for a process that is not scheduled, which the caller starts. */
bool proc_schedule_install(Proc *p) {
        if (!proc_is_scheduled(p))
                return false;
        if (p->timer_replacing)
                p->arm_after_replace = true;
        else
                (void) proc_arm_schedule(p, false);
        proc_changed(p);
        return true;
}

/* Adoption: the timer an earlier controller started is still there (it started the runs of the gap). */
void manager_adopt_timers(Manager *m, const UnitListEntry *units, size_t n_units) {
        for (size_t i = 0; i < m->n_procs; i++) {
                Proc *p = m->procs[i];

                if (!proc_is_scheduled(p) || proc_timer_unit(p) < 0)
                        continue;
                for (size_t k = 0; k < n_units; k++)
                        if (streq(units[k].name, p->timer_unit) && streq_ptr(units[k].load_state, "loaded") &&
                            streq_ptr(units[k].active_state, "active")) {
                                p->timer_armed = true;
                                log_debug("Process %s: adopting timer %s", p->pub.name, p->timer_unit);
                                break;
                        }
                if (!p->timer_armed || proc_runs_alloc(p, proc_max_concurrent(p)) < 0)
                        continue;
                /* its instances that run: adopted once the schedule is armed (proc_follow_instances()) */
                for (unsigned j = 0; j < p->n_runs; j++)
                        for (size_t k = 0; k < n_units; k++)
                                if (streq(units[k].name, p->runs[j].unit) &&
                                    streq_ptr(units[k].load_state, "loaded") && units[k].active_state &&
                                    !streq(units[k].active_state, "inactive") &&
                                    !streq(units[k].active_state, "failed")) {
                                        p->runs[j].adopt = true;
                                        break;
                                }
        }
}

/* The unit watch reported a run nobody of ours started: the timer's. */
bool proc_on_triggered(Proc *p, pid_t main_pid, usec_t start_timestamp) {
        if (!p->timer_armed || proc_busy(p))
                return false;
        log_debug("Process %s: its timer started a run (pid %d)", p->pub.name, (int) main_pid);
        (void) proc_dispatch(p, &(ProcEvent) { .type = PROC_EVENT_TRIGGERED, .pid = main_pid,
                                               .timestamp = start_timestamp });
        /* the new incarnation's reset came after the state: this run's pid and start */
        if (process_is_running(&p->pub)) {
                p->pub.pid = main_pid;
                p->pub.start_time = start_timestamp ?: now_usec(CLOCK_REALTIME);
        }
        proc_schedule_refresh(p);
        return true;
}
