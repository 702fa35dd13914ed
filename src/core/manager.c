/* The Manager: one project, one sd-event loop, one Process per replica, each run a transient unit.
 *
 * Every process has one state of the process state machine (process-fsm.h); its public status (compat §2.1)
 * follows from it. The Proc feeds the machine its events: unit events (started, start_failed, exited from the
 * unit driver), timers (backoff, restart delay, kill after a shutdown.command), probe results and API calls,
 * and carries out the actions the machine returns (proc_dispatch(), manager-process.c); it changes the state
 * nowhere else. All decisions that need no I/O live in process-fsm.c and lifecycle.c. After any change a
 * deferred "check" pass runs on the loop (manager-check.c): it starts waiting processes whose dependencies
 * are met (all at once, so independent processes start pipelined), skips those whose dependencies failed,
 * issues ordered-shutdown stops, runs completion callbacks, reaps removed processes and ends the project when
 * nothing is left in flight. Nothing is freed inside its own callback: removed processes are reaped by that
 * pass.
 *
 * This file: the Manager object, its processes' index and observers, and the process and project API. */
#include "core/manager-internal.h"
#include "core/process-stats.h"

int waiters_add(Waiter **w, size_t *n, size_t *allocated, ManagerDoneFunc done, void *userdata, int result) {
        if (!done)
                return 0;
        if (!GREEDY_REALLOC(*w, *allocated, *n + 1))
                return -ENOMEM;
        (*w)[(*n)++] = (Waiter) { .done = done, .userdata = userdata, .result = result };
        return 0;
}

/* Moves callbacks to the manager's completion queue: they run from the next check pass, never inside the
 * call or the event that finished them. */
void manager_complete(Manager *m, Waiter *w, size_t n, int result) {
        for (size_t i = 0; i < n; i++)
                if (waiters_add(&m->completions, &m->n_completions, &m->allocated_completions, w[i].done,
                                w[i].userdata, result) < 0)
                        log_oom();
        manager_schedule_check(m);
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

Proc *manager_find(Manager *m, const char *name) {
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

void proc_changed(Proc *p) {
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
        manager_state_dirty(m);
}

static size_t manager_log_length(Manager *m) {
        return m->project->log_length > 0 ? (size_t) MIN(m->project->log_length, 1000000) : LOG_RING_DEFAULT_LINES;
}

Proc *proc_free(Proc *p) {
        if (!p)
                return NULL;
        proc_unfollow(p);
        proc_detach_logs(p);
        proc_pty_free(p->pty);
        p->watch = unit_watch_free(p->watch);
        p->shutdown_watch = unit_watch_free(p->shutdown_watch);
        probe_free(p->readiness);
        probe_free(p->liveness);
        sd_event_source_disable_unref(p->timer);
        sd_event_source_disable_unref(p->kill_timer);
        log_ring_observer_free(p->ring_observer);
        log_ring_free(p->pub.log);
        free(p->restart_waiters);
        free(p->update_waiters);
        free(p->pub.name);
        free(p->pub.base_name);
        free(p->pub.unit);
        free(p->pub.unit_path);
        free(p->pub.ident);
        free(p->pub.watch_trigger_path);
        free(p->shutdown_unit);
        free(p->timer_unit);
        proc_schedule_free_runs(p);
        unit_call_cancel(p->timer_read);
        sd_event_source_disable_unref(p->timer_retry);
        sd_event_source_disable_unref(p->timer_rearm);
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
void proc_reset_ring(Proc *p) {
        proc_detach_logs(p);
        log_ring_truncate(p->pub.log);
        log_ring_set_limits(p->pub.log, manager_log_length(p->m), LOG_RING_DEFAULT_BYTES);
        p->print_seq = p->ready_seq = log_ring_next_seq(p->pub.log);
        proc_attach_project_log(p);
}

int proc_new(Manager *m, ComposeProcess *c, Proc **ret) {
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
        process_stats_reset(&p->pub);
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
        if (m->options.keep_running && !m->shutting_down) {
                /* --keep-running: only the controller ends; a later `pcctl up` adopts the units */
                log_info("Received %s: leaving the project's processes running (--keep-running).",
                         strsignal((int) si->ssi_signo));
                manager_save_state(m);
                m->leaving = true;
                return sd_event_exit(m->event, 0);
        }
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
        manager_take_stored_ptys(m);
        m->options = *options;
        m->console = options->console;
        {
                extern char **environ;
                if (process_spec_inherited_environment(options->os_environ ?: environ, &m->os_environ) < 0)
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
                /* accuracy 1 ms: with 0 sd-event would take its default of 250 ms (notes §0.1) */
                r = sd_event_add_time_relative(m->event, &m->finish_timer, CLOCK_MONOTONIC, 0, USEC_PER_MSEC,
                                               manager_on_finish_timer, m);
        if (r < 0)
                return log_error_errno(r, "Cannot set up the event loop: %m");
        (void) sd_event_source_set_enabled(m->check_event, SD_EVENT_OFF);
        (void) sd_event_source_set_enabled(m->log_event, SD_EVENT_OFF);
        (void) sd_event_source_set_enabled(m->finish_timer, SD_EVENT_OFF);

        r = manager_stats_setup(m);
        if (r < 0)
                return log_error_errno(r, "Cannot set up the event loop: %m");

        if (options->state_dir) {
                r = sd_event_add_time_relative(m->event, &m->state_timer, CLOCK_MONOTONIC, 0, 0,
                                               manager_on_state_timer, m);
                if (r < 0)
                        return log_error_errno(r, "Cannot set up the event loop: %m");
                (void) sd_event_source_set_enabled(m->state_timer, SD_EVENT_OFF);
        }

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
        manager_close_stored_ptys(m);
        free(m->procs);
        free(m->by_name);
        while (m->observers) {
                ManagerObserver *o = m->observers;
                m->observers = o->next;
                free(o);
        }
        manager_free_namespace_ops(m);
        free(m->completions);
        free(m->stop_waiters);
        log_file_close(m->project_log);
        journal_sync_free(m->journal_sync);
        journal_follower_free(m->follower);
        sd_event_source_disable_unref(m->check_event);
        sd_event_source_disable_unref(m->log_event);
        sd_event_source_disable_unref(m->status_timer);
        sd_event_source_disable_unref(m->finish_timer);
        sd_event_source_disable_unref(m->state_timer);
        unit_call_cancel(m->list_call);
        manager_stats_done(m);
        manager_watch_free(m);
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
        manager_state_dirty(m);

        if (m->options.adopt) {
                /* the units an earlier controller left are adopted first; the rest starts after */
                r = manager_adopt_units(m);
                if (r >= 0)
                        goto loop;
                log_warning_errno(r, "Cannot list the project's units, starting afresh: %m");
        }
        manager_want_all(m);
loop:
        /* watches are set up at every start of the controller, an adopting one too */
        if (m->options.no_watch && m->project->n_processes > 0)
                for (size_t i = 0; i < m->project->n_processes; i++)
                        if (m->project->processes[i]->watch) {
                                log_info("File watching is disabled (--no-watch); 'watch' blocks are ignored");
                                break;
                        }
        manager_watch_sync(m);
        r = sd_event_loop(m->event);
        if (r < 0)
                return log_error_errno(r, "Event loop failed: %m");
        return r;
}

/* Every enabled process is wanted at once; the first check pass starts all whose dependencies are met,
 * pipelined. Processes an earlier controller's run accounts for (adopted, or ended) are left alone. */
void manager_want_all(Manager *m) {
        for (size_t i = 0; i < m->n_procs; i++) {
                Proc *p = m->procs[i];
                const ComposeProcess *c = proc_config(p);
                if (c->disabled || c->is_foreground)
                        continue;
                /* scheduled processes: their timer starts them (run_on_start: at once) */
                if (compose_schedule_is_set(c->schedule)) {
                        if (!m->shutting_down)
                                (void) proc_arm_schedule(p, false);
                        continue;
                }
                if (p->fsm.state != PROC_STATE_DORMANT)
                        continue;
                (void) proc_dispatch(p, &(ProcEvent) { .type = PROC_EVENT_START });
        }
        manager_schedule_check(m);
        manager_status_dirty(m);
}

int manager_start_process(Manager *m, const char *name) {
        Proc *p = manager_find(m, name);

        if (!p)
                return MANAGER_E_NOT_FOUND;
        if (proc_busy(p))
                return MANAGER_E_ALREADY_RUNNING;
        if (m->shutting_down)
                return MANAGER_E_SHUTTING_DOWN;
        if (proc_is_scheduled(p)) {
                /* a run now, and the schedule (again): its timer's service, started by the manager */
                if (p->timer_armed)
                        (void) unit_driver_start_unit(m->driver, p->pub.unit, NULL, NULL);
                else
                        (void) proc_arm_schedule(p, true);
                return 0;
        }
        (void) proc_dispatch(p, &(ProcEvent) { .type = PROC_EVENT_START });
        return 0;
}

int manager_stop_process(Manager *m, const char *name) {
        Proc *p = manager_find(m, name);

        if (!p)
                return MANAGER_E_NOT_FOUND;
        /* a scheduled process that is stopped runs no more until it is started (process-compose pauses the
         * schedule); stopping one that waits for its timer is no error */
        bool disarmed = proc_disarm_schedule(p, NULL, NULL) > 0;
        if (proc_dispatch(p, &(ProcEvent) { .type = PROC_EVENT_STOP, .stop = PROC_STOP_USER }) < 0 && !disarmed)
                return MANAGER_E_NOT_RUNNING;
        if (disarmed)
                proc_changed(p);
        return 0;
}

int manager_restart_process(Manager *m, const char *name, ManagerDoneFunc done, void *userdata) {
        Proc *p = manager_find(m, name);
        int r;

        if (!p)
                return MANAGER_E_NOT_FOUND;
        if (m->shutting_down)
                return MANAGER_E_SHUTTING_DOWN;

        if (proc_is_scheduled(p)) {
                /* A run now, as process-compose's stop + start: the run is the timer's service, which systemd
                 * restarts (stopping a run in progress) with the timer left armed; a paused schedule is armed
                 * again with a run at once. The answer comes from the next check pass. */
                r = p->timer_armed ? unit_driver_restart_unit(m->driver, p->pub.unit, NULL, NULL) :
                                     proc_arm_schedule(p, true);
                if (r < 0)
                        return r;
                manager_complete(m, &(Waiter) { .done = done, .userdata = userdata }, done ? 1 : 0, 0);
                return 0;
        }

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
        if (proc_schedule_kill_runs(p, sig))
                return 0;
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
                /* no new runs first */
                (void) proc_disarm_schedule(p, NULL, NULL);
                /* a restart under way completes: the stop wins; an update waiting for the end is dropped */
                p->next_config = compose_process_free(p->next_config);
                proc_complete_update(p, -ESHUTDOWN);
                (void) proc_dispatch(p, &(ProcEvent) { .type = PROC_EVENT_STOP, .stop = PROC_STOP_SHUTDOWN });
        }
        manager_status_dirty(m);
        manager_schedule_check(m);
        return 0;
}
