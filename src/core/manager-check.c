/* The check pass, run on the loop after every change: dependencies (all starts of a pass pipelined),
 * ordered shutdown, completion callbacks, reaping of removed processes, and the end of the project (reset the
 * failed units, stop the slice, wait for the journal's last lines, leave the loop). */
#include "core/manager-internal.h"

static void manager_finish(Manager *m);

#define RESET_TIMEOUT_USEC (5 * USEC_PER_SEC)

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
                        if (d->condition == COMPOSE_CONDITION_PROCESS_HEALTHY &&
                            !lifecycle_dependency_has_health_check(&v))
                                /* process-compose's words, as the loader's */
                                proc_log(p, "Error: health dependency defined in '%s' but no health check exists "
                                         "in '%s': skipping it", p->pub.name, q->pub.name);
                        else
                                proc_log(p, "Error: dependency %s of process %s cannot be met (%s, %s, exit code "
                                         "%d): skipping it", q->pub.name, p->pub.name,
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

static bool manager_anything_in_flight(Manager *m) {
        if (m->ns_restarts || m->ns_stops)
                return true;
        for (size_t i = 0; i < m->n_procs; i++) {
                Proc *p = m->procs[i];
                if (proc_busy(p) || p->fsm.command_running)
                        return true;
                /* a scheduled process waits for its next run, or for a start that resumes its paused
                 * schedule: process-compose's project does not end while it has one */
                if (proc_is_scheduled(p) && !m->shutting_down)
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

/* Completion callbacks (they may call back into the manager: take the list first). */
static void manager_run_completions(Manager *m) {
        while (m->n_completions > 0) {
                _cleanup_free_ Waiter *list = TAKE_PTR(m->completions);
                size_t n = m->n_completions;

                m->n_completions = m->allocated_completions = 0;
                for (size_t i = 0; i < n; i++)
                        list[i].done(m, list[i].result, list[i].userdata);
        }
}

int manager_on_check(sd_event_source *s, void *userdata) {
        Manager *m = userdata;
        bool again;
        unsigned rounds = 0;

        if (m->finishing) {
                /* a POST /project/stop that came after the end is still answered while the journal settles */
                manager_run_completions(m);
                return 0;
        }

        manager_watch_sync(m);

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
        manager_progress_namespace_stops(m);

        manager_run_completions(m);

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

        /* an armed watch can still start a process: the project is not complete (process-compose) */
        if (manager_watch_armed(m))
                return 0;

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

void manager_schedule_check(Manager *m) {
        if (m->check_event)
                (void) sd_event_source_set_enabled(m->check_event, SD_EVENT_ONESHOT);
}

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

int manager_on_finish_timer(sd_event_source *s, uint64_t usec, void *userdata) {
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
        /* nothing is left to adopt: the state file goes with the units */
        m->state_timer = sd_event_source_disable_unref(m->state_timer);
        if (m->options.state_dir)
                (void) state_file_remove(m->options.state_dir);

        /* Failed units stay loaded until reset (systemd-notes §2.3): `up` leaves nothing behind. */
        for (size_t i = 0; i < m->n_procs; i++) {
                Proc *p = m->procs[i];
                /* the timer first: it would start its service again */
                if (proc_disarm_schedule(p, manager_on_reset_done, m) > 0)
                        m->n_resets++;
                manager_reset_unit(m, p->pub.unit);
                for (unsigned k = 0; k < p->n_runs; k++)
                        manager_reset_unit(m, p->runs[k].unit);
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
