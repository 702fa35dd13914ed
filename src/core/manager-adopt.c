/* Controller restarts (docs/lifecycle.md "Controller restarts"): the state file the manager keeps, and the
 * adoption, at `up`, of the units an earlier controller left (process-fsm.h: ADOPTING and its events). */
#include "core/manager-internal.h"

/* The backoff counts from the exit: after an exit while no controller watched, only what is left of it
 * (docs/lifecycle.md "Controller restarts": restart policies are enforced again at once). */
usec_t proc_backoff_usec(Proc *p, ProcAction action) {
        usec_t delay = lifecycle_backoff_usec(proc_config(p)), away;

        /* a watch restart skips the pause, as process-compose skips the backoff: a save is not a crash */
        if (action == PROC_ACTION_ARM_RESTART_DELAY && p->watch_restart) {
                p->watch_restart = false;
                return 0;
        }
        if (action != PROC_ACTION_ARM_BACKOFF || p->away_exit == 0)
                return delay;
        away = p->m->start_time > p->away_exit ? p->m->start_time - p->away_exit : 0;
        p->away_exit = 0;
        return delay > away ? delay - away : 1;
}

/* ----------------------------------------------------------------------------------------------------- */
/* controller restarts: the state file and adoption (docs/lifecycle.md "Controller restarts") */

#define STATE_WRITE_DELAY_USEC (20 * USEC_PER_MSEC)
#define STATE_CURSOR_INTERVAL_USEC (500 * USEC_PER_MSEC)

void manager_state_dirty(Manager *m) {
        uint64_t next;

        if (!m->state_timer || m->leaving)
                return;
        m->state_dirty = true;
        /* soon, unless a write is due sooner anyway */
        if (sd_event_source_get_enabled(m->state_timer, NULL) > 0 &&
            sd_event_source_get_time(m->state_timer, &next) >= 0 &&
            next <= now_usec(CLOCK_MONOTONIC) + STATE_WRITE_DELAY_USEC)
                return;
        (void) sd_event_source_set_time_relative(m->state_timer, STATE_WRITE_DELAY_USEC);
        (void) sd_event_source_set_enabled(m->state_timer, SD_EVENT_ONESHOT);
}

/* The newest ring line that came from the journal: its seq and cursor pin the ring's numbering to the
 * journal, so that the next controller numbers the same lines the same way. */
static const LogEntry *proc_last_journal_line(const Proc *p) {
        uint64_t first = log_ring_first_seq(p->pub.log), seq = log_ring_next_seq(p->pub.log);

        for (unsigned n = 0; seq > first && n < 256; n++) {
                const LogEntry *e = log_ring_get(p->pub.log, --seq);
                if (e && e->cursor)
                        return e;
        }
        return NULL;
}

static int manager_build_state(Manager *m, StateFile *s) {
        const StateFile *saved = m->options.saved_state;
        int r;

        *s = (StateFile) { .controller_pid = getpid(), .no_deps = m->options.no_deps };
        if (!(s->project = strdup(m->project->project_name)))
                return -ENOMEM;
        if (m->options.api_address && !(s->api_address = strdup(m->options.api_address)))
                return -ENOMEM;
        if (m->options.selection && !(s->selection = strv_copy(m->options.selection)))
                return -ENOMEM;
        if (m->options.load_options && m->options.load_options->namespaces &&
            !(s->namespaces = strv_copy(m->options.load_options->namespaces)))
                return -ENOMEM;

        for (size_t i = 0; i < m->n_procs; i++) {
                Proc *p = m->procs[i];
                const StateProcess *old = saved ? state_file_find(saved, p->pub.name) : NULL;
                const LogEntry *e = proc_last_journal_line(p);
                StateProcess *sp;

                r = state_file_add(s, p->pub.name, &sp);
                if (r < 0)
                        return r;
                sp->restarts = p->pub.restarts;
                sp->stopped_by_user = p->user_stopped;
                sp->exit_code = p->pub.exit_code;
                if (!(sp->status = strdup(proc_status_to_string(p->pub.status))))
                        return -ENOMEM;
                if (e) {
                        sp->log_seq = e->seq;
                        if (!(sp->cursor = strdup(e->cursor)))
                                return -ENOMEM;
                } else if (old && old->cursor && log_ring_count(p->pub.log) == 0) {
                        /* nothing read yet: keep the previous controller's position */
                        sp->log_seq = old->log_seq;
                        if (!(sp->cursor = strdup(old->cursor)))
                                return -ENOMEM;
                }
        }
        return 0;
}

void manager_save_state(Manager *m) {
        _cleanup_(state_file_done) StateFile s = {};
        int r;

        if (!m->options.state_dir || m->finishing || m->leaving)
                return;
        r = manager_build_state(m, &s);
        if (r >= 0)
                r = state_file_write(m->options.state_dir, &s);
        if (r < 0)
                log_warning_errno(r, "Cannot write the state file in %s: %m", m->options.state_dir);
        m->state_dirty = false;
        for (size_t i = 0; i < m->n_procs; i++)
                m->procs[i]->log_dirty_state = false;
}

int manager_on_state_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        bool moved = false;

        for (size_t i = 0; i < m->n_procs && !moved; i++)
                moved = m->procs[i]->log_dirty_state;
        if (m->state_dirty || moved)
                manager_save_state(m);
        /* the log position moves without state changes: look again later */
        (void) sd_event_source_set_time_relative(s, STATE_CURSOR_INTERVAL_USEC);
        (void) sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        return 0;
}

/* Follows the process's journal from where the previous controller's ring was, refilling the ring with the
 * sequence numbers that controller gave the lines. */
static void proc_follow_resume(Proc *p, const StateProcess *sp) {
        JournalSource src;
        int r;

        if (p->following || !p->m->follower)
                return;
        src = (JournalSource) {
                .ident = p->pub.ident,
                .unit = p->pub.unit,
                .ring = p->pub.log,
                .count = proc_on_journal_count,
                .userdata = p,
        };
        r = journal_follower_add_resume(p->m->follower, &src, sp ? sp->cursor : NULL, sp ? sp->log_seq : 0);
        if (r < 0 && r != -EEXIST) {
                log_warning_errno(r, "Process %s: cannot follow its journal: %m", p->pub.name);
                return;
        }
        p->following = true;
        /* the console and ready_log_line go on after the refill: the last controller handled those lines */
        p->print_seq = p->ready_seq = log_ring_next_seq(p->pub.log);
}

/* The adopted unit runs: attach to it (probes, log file, daemon watch), as a start would. */
void proc_on_adopted_running(Proc *p, pid_t main_pid, usec_t start_timestamp) {
        (void) proc_dispatch(p, &(ProcEvent) { .type = PROC_EVENT_ADOPTED_RUNNING, .pid = main_pid,
                                               .timestamp = start_timestamp });
        if (p->recreate && p->fsm.state != PROC_STATE_ADOPTING) {
                /* --recreate: the adopted unit runs an outdated spec; replace it */
                p->recreate = false;
                log_info("Process %s: replacing its unit, which was started from another configuration.",
                         p->pub.name);
                (void) manager_restart_process(p->m, p->pub.name, NULL, NULL);
        }
}

/* The unit is gone after all: the process starts as on a fresh `up`. */
void proc_on_adopted_none(Proc *p) {
        (void) proc_dispatch(p, &(ProcEvent) { .type = PROC_EVENT_ADOPTED_NONE });
        /* a scheduled process waits for its timer (manager_want_all()) */
        if (!p->m->shutting_down && !proc_is_scheduled(p))
                (void) proc_dispatch(p, &(ProcEvent) { .type = PROC_EVENT_START });
}

/* The run ended while no controller watched; exit data from systemd, or from the state file when systemd
 * collected the unit. The machine applies the restart policy, counting from the exit. */
static void proc_adopt_ended(Proc *p, int exit_code, pid_t pid, usec_t exit_timestamp, bool by_user) {
        if (pid > 0)
                p->pub.pid = pid;
        p->pub.exit_code = exit_code;
        p->pub.end_time = exit_timestamp ?: now_usec(CLOCK_REALTIME);
        p->away_exit = exit_timestamp ?: 1;
        (void) proc_dispatch(p, &(ProcEvent) { .type = PROC_EVENT_ADOPTED_ENDED, .exit_code = exit_code,
                                               .by_user = by_user, .pid = pid });
        p->user_stopped = by_user;
        /* max_concurrent above 1: the process's unit is the launcher; the runs adopted meanwhile show */
        proc_schedule_show_runs(p);
}

typedef struct AdoptRead {
        Proc *p;
        bool by_user;
} AdoptRead;

static void proc_on_adopt_read(UnitDriver *d, int error, const UnitSnapshot *s, void *userdata) {
        _cleanup_free_ AdoptRead *ar = userdata;
        Proc *p = ar->p;

        if (p->fsm.state != PROC_STATE_ADOPTING)
                return;
        if (error < 0 || !s) {
                proc_on_adopted_none(p);
                return;
        }
        proc_adopt_ended(p, lifecycle_exit_code(s->exit.code, s->exit.status), s->exit.pid, s->exit.exit_timestamp,
                         ar->by_user);
}

/* Is the unit running something (as opposed to a run that ended and left the unit loaded: failed)? */
static bool unit_entry_runs(const UnitListEntry *u) {
        return u->active_state && !streq(u->active_state, "inactive") && !streq(u->active_state, "failed");
}

static void proc_check_spec(Proc *p, const UnitListEntry *u) {
        _cleanup_(process_spec_done) ProcessSpec spec = {};
        _cleanup_free_ char *reason = NULL;
        char old[PROCESS_SPEC_HASH_SIZE], now[PROCESS_SPEC_HASH_SIZE];

        if (!process_spec_description_hash(u->description, old) ||
            proc_build_spec(p, PROCESS_SPEC_RUN, &spec, &reason) < 0 ||
            !process_spec_description_hash(spec.unit.description, now) || streq(old, now))
                return;
        if (p->m->options.recreate) {
                p->recreate = true;
                return;
        }
        log_warning("Process %s: its running unit %s was started from a different configuration (command, "
                    "environment or properties); keeping it. Restart the process, or run 'pcctl up --recreate', "
                    "to apply the new one.", p->pub.name, p->pub.unit);
}

/* Takes over one process's unit, still loaded after an earlier controller: its state, PID and exit come
 * from systemd, its restarts and stop flag from the state file. */
static int manager_adopt_process(Manager *m, Proc *p, const UnitListEntry *u, const StateProcess *sp) {
        int r;

        r = proc_update_unit_name(p);
        if (r < 0)
                return r;
        if (sp)
                p->pub.restarts = sp->restarts;
        r = proc_dispatch(p, &(ProcEvent) { .type = PROC_EVENT_ADOPT });
        if (r < 0)
                return r;
        m->ever_started = true;
        proc_follow_resume(p, sp);

        if (!unit_entry_runs(u)) {
                AdoptRead *ar = new0(AdoptRead, 1);
                if (!ar)
                        return -ENOMEM;
                *ar = (AdoptRead) { .p = p, .by_user = sp && sp->stopped_by_user };
                r = unit_driver_read(m->driver, p->pub.unit, proc_on_adopt_read, ar, NULL);
                if (r < 0) {
                        free(ar);
                        proc_on_adopted_none(p);
                }
                return 0;
        }

        proc_check_spec(p, u);
        if (!p->watch) {
                r = proc_watch_new(p);
                if (r >= 0)
                        r = unit_driver_adopt(m->driver, p->watch);
                if (r < 0) {
                        log_warning_errno(r, "Process %s: cannot adopt unit %s: %m", p->pub.name, p->pub.unit);
                        proc_on_adopted_none(p);
                        return 0;
                }
        }
        log_debug("Process %s: adopting unit %s (%s/%s).", p->pub.name, p->pub.unit, u->active_state,
                  u->sub_state);
        return 1;
}

static bool status_is(const char *status, ProcStatus s) {
        return status && streq(status, proc_status_to_string(s));
}

/* A process without unit but with a record: its run ended before this controller came. */
static bool manager_restore_process(Manager *m, Proc *p, const StateProcess *sp) {
        p->pub.restarts = sp->restarts;
        if (status_is(sp->status, PROC_COMPLETED) || sp->stopped_by_user) {
                /* as it was; not run again */
                if (proc_dispatch(p, &(ProcEvent) { .type = PROC_EVENT_ADOPT }) < 0)
                        return false;
                m->ever_started = true;
                proc_follow_resume(p, sp);
                proc_adopt_ended(p, sp->exit_code, 0, 0, true);
                p->user_stopped = sp->stopped_by_user;
                return true;
        }
        if (status_is(sp->status, PROC_RUNNING) || status_is(sp->status, PROC_LAUNCHED) ||
            status_is(sp->status, PROC_LAUNCHING) || status_is(sp->status, PROC_RESTARTING)) {
                /* it ran and its unit is gone: it ended cleanly while no controller watched (a failed unit
                 * stays loaded): it exited 0, or a clean signal ended it (SIGTERM, SIGINT, SIGHUP,
                 * SIGPIPE: a `systemctl stop` from outside), which the unit's exit record tells. Its restart
                 * policy decides, as at an exit. */
                int code = CLD_EXITED, status = 0;
                uint64_t when = 0;

                if (m->options.state_dir)
                        (void) state_file_exit_record_read(m->options.state_dir, p->pub.unit, &code, &status,
                                                           &when);
                if (proc_dispatch(p, &(ProcEvent) { .type = PROC_EVENT_ADOPT }) < 0)
                        return false;
                m->ever_started = true;
                proc_follow_resume(p, sp);
                proc_adopt_ended(p, lifecycle_exit_code(code, status), 0, when, false);
                return true;
        }
        return false;
}

static void manager_on_units_listed(UnitDriver *d, int error, const UnitListEntry *units, size_t n_units,
                                    void *userdata) {
        Manager *m = userdata;
        const StateFile *saved = m->options.saved_state;
        unsigned n_adopted = 0, n_restored = 0;

        m->list_call = unit_call_cancel(m->list_call);
        if (error < 0)
                log_warning_errno(error, "Cannot list the project's units, starting afresh: %m");
        else
                manager_adopt_timers(m, units, n_units);

        for (size_t i = 0; error >= 0 && i < m->n_procs; i++) {
                Proc *p = m->procs[i];
                const StateProcess *sp = saved ? state_file_find(saved, p->pub.name) : NULL;
                const UnitListEntry *u = NULL;
                int r;

                for (size_t k = 0; k < n_units; k++)
                        if (streq(units[k].name, p->pub.unit) && streq_ptr(units[k].load_state, "loaded")) {
                                u = &units[k];
                                break;
                        }
                if (u) {
                        r = manager_adopt_process(m, p, u, sp);
                        if (r < 0)
                                log_warning_errno(r, "Process %s: cannot adopt unit %s: %m", p->pub.name,
                                                  p->pub.unit);
                        else if (r > 0)
                                n_adopted++;
                        else
                                n_restored++;
                        continue;
                }
                if (sp && manager_restore_process(m, p, sp))
                        n_restored++;
        }
        if (n_adopted + n_restored > 0)
                log_info("Adopted %u running process%s of project %s, restored %u that had ended.", n_adopted,
                         n_adopted == 1 ? "" : "es", m->project->project_name, n_restored);
        manager_want_all(m);
}

int manager_adopt_units(Manager *m) {
        _cleanup_free_ char *pattern = NULL;
        int r;

        r = unit_name_project_pattern(m->project->project_name, &pattern);
        if (r < 0)
                return r;
        return unit_driver_list(m->driver, pattern, manager_on_units_listed, m, &m->list_call);
}
