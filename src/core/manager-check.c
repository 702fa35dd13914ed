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

/* The end of the project: every line its processes wrote reaches the console, the log files and the rings
 * before the loop ends. Every unit is gone by now, so all of their output is in journald's stream sockets or
 * already in the journal files:
 *   1. journald's Synchronize call (journal-sync.h) answers once journald has written all of it, however
 *      far behind it was (a process that printed 100 000 lines and exited: seconds);
 *   2. journal_follower_sync() then reads the files to their end, searching them afresh: the fast polls can
 *      skip a file whose last entry journald was linking when they looked, until journald's change
 *      notification 250 ms or more later, and when nothing else is written after a process's last line
 *      the quiet spell below could end first (docs/logs.md);
 *   3. the log pass prints the lines, and the loop ends.
 * The call is journald's and root's only: without it (not root, no journald, no answer in
 * SYNC_TIMEOUT_USEC) step 1 becomes a quiet spell, no new entry for SETTLE_QUIET_USEC, at most
 * SETTLE_MAX_USEC, which covers what journald writes within that time. */
#define SETTLE_QUIET_USEC (300 * USEC_PER_MSEC)
#define SETTLE_MAX_USEC (3 * USEC_PER_SEC)
#define SYNC_TIMEOUT_USEC (30 * USEC_PER_SEC)
/* the least time between the end of the project and the exit: queued HTTP replies (POST /project/stop)
 * leave before the server goes */
#define SETTLE_MIN_USEC (300 * USEC_PER_MSEC)
#define SETTLE_TICK_USEC (20 * USEC_PER_MSEC)

static uint64_t manager_journal_entries(Manager *m) {
        JournalFollowerStats st = {};

        if (!m->follower)
                return 0;
        journal_follower_get_stats(m->follower, &st);
        return st.entries;
}

static void manager_settle_again(Manager *m, usec_t delay) {
        (void) sd_event_source_set_time_relative(m->finish_timer, delay);
        (void) sd_event_source_set_enabled(m->finish_timer, SD_EVENT_ONESHOT);
}

/* Whether every line is read: false while the lines of the processes may still be coming. */
static bool manager_settled(Manager *m) {
        usec_t now = now_usec(CLOCK_MONOTONIC);
        bool whole;
        uint64_t n;

        if (m->journal_sync)
                return false;           /* journald has not answered yet (the call has its own timeout) */
        whole = !m->follower || journal_follower_sync(m->follower);
        if (now >= m->settle_deadline)
                return true;
        if (m->journal_synced)
                return whole;           /* false: an entry still being linked, read it whole in a moment */
        n = manager_journal_entries(m);
        if (n != m->settle_entries) {
                m->settle_entries = n;  /* lines are still coming in: wait for a quiet spell */
                m->settle_quiet_since = now;
                return false;
        }
        return now >= m->settle_quiet_since + SETTLE_QUIET_USEC;
}

int manager_on_finish_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;

        if (m->settling && m->n_resets == 0) {
                if (now_usec(CLOCK_MONOTONIC) < m->settle_min || !manager_settled(m)) {
                        manager_settle_again(m, SETTLE_TICK_USEC);
                        return 0;
                }
                /* print what the last read brought: the log pass would not run after the exit */
                manager_print_logs(m);
        }
        if (m->n_resets > 0)
                log_warning("%u units did not answer ResetFailedUnit in time.", m->n_resets);
        return sd_event_exit(m->event, m->exit_code);
}

/* The quiet spell, from now on. */
static void manager_settle_quietly(Manager *m) {
        usec_t now = now_usec(CLOCK_MONOTONIC);

        m->settle_entries = manager_journal_entries(m);
        m->settle_quiet_since = now;
        m->settle_deadline = now + SETTLE_MAX_USEC;
}

static void manager_on_journal_synced(JournalSync *js, int error, void *userdata) {
        Manager *m = userdata;

        m->journal_sync = journal_sync_free(m->journal_sync);
        if (error >= 0) {
                log_debug("journald has written every line of the processes.");
                m->journal_synced = true;
                return;
        }
        if (error == -ETIMEDOUT)
                log_warning("journald did not confirm within %u s that it wrote the processes' last lines: lines "
                            "it writes later are missing here (journalctl has them).",
                            (unsigned) (SYNC_TIMEOUT_USEC / USEC_PER_SEC));
        else
                log_debug_errno(error, "journald's Synchronize call failed, waiting for a quiet journal instead: %m");
        manager_settle_quietly(m);
}

static void manager_maybe_exit(Manager *m) {
        int r;

        if (!m->finishing || m->n_resets > 0)
                return;
        if (!m->settling) {
                usec_t now = now_usec(CLOCK_MONOTONIC);

                m->settling = true;
                m->settle_min = now + SETTLE_MIN_USEC;
                /* the synchronized read waits for an entry journald is linking, not for ever */
                m->settle_deadline = now + SYNC_TIMEOUT_USEC + SETTLE_MAX_USEC;
                r = -ENOENT;
                if (m->follower) {
                        journal_follower_kick(m->follower);
                        r = journal_sync_start(m->event, NULL, SYNC_TIMEOUT_USEC, manager_on_journal_synced, m,
                                               &m->journal_sync);
                        if (r < 0)
                                log_debug_errno(r, "Cannot ask journald to synchronize, waiting for a quiet "
                                                "journal instead: %m");
                }
                if (r < 0)
                        manager_settle_quietly(m);
                manager_settle_again(m, SETTLE_MIN_USEC);
        }
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
