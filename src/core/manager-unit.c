/* A Proc's units: the start of its transient unit (and the adoption of one that runs), the unit's events
 * (started, start failed, exited, a daemon's starter), and the shutdown.command unit with its kill timer. */
#include "core/manager-internal.h"

static void proc_watch_daemon(Proc *p);
static void proc_on_started(UnitWatch *w, pid_t main_pid, usec_t start_timestamp, void *userdata);
static void proc_on_start_failed(UnitWatch *w, int error, const char *message, const UnitExit *exit,
                                 void *userdata);
static void proc_on_exited(UnitWatch *w, const UnitExit *exit, void *userdata);
static void proc_on_main_exited(UnitWatch *w, const UnitExit *exit, void *userdata);
static void shutdown_on_exited(UnitWatch *w, const UnitExit *exit, void *userdata);
static int proc_run_shutdown_command(Proc *p);

#define SHUTDOWN_COMMAND_TIMEOUT_DEFAULT_SEC 10

static const UnitEvents proc_events = {
        .started = proc_on_started,
        .start_failed = proc_on_start_failed,
        .main_exited = proc_on_main_exited,
        .exited = proc_on_exited,
};

int proc_watch_new(Proc *p) {
        if (p->watch)
                return 0;
        return unit_watch_new(p->m->driver, p->pub.unit, &proc_events, p, &p->watch);
}

void proc_unfollow(Proc *p) {
        if (p->following && p->m->follower)
                (void) journal_follower_remove(p->m->follower, p->pub.ident);
        p->following = false;
}

/* Derives unit, object path and SyslogIdentifier from the current name. A renamed replica (scaling) keeps
 * its old unit until its run is over; this runs again before the next start. */
int proc_update_unit_name(Proc *p) {
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
void proc_on_journal_count(const JournalCount *count, void *userdata) {
        Proc *p = userdata;

        p->pub.log_lines_total += count->lines;
        p->pub.journal_dropped += count->dropped;
        if (count->realtime > p->pub.last_activity)
                p->pub.last_activity = count->realtime;
}

int proc_follow(Proc *p) {
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

void proc_spec_input(const Proc *p, const ComposeEnvFile *env_file, ProcessSpecInput *ret) {
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
                .stdio_fds = p->m->options.foreground && streq(p->m->options.foreground, p->pub.name) ?
                             p->m->options.foreground_fds : NULL,
        };
}

/* Builds the spec of a run of the process or of its shutdown.command. The env_file is read here, at every
 * start (compat §1.5); the rest is process_spec_build(). On failure *ret_reason may say why, for the
 * process log. */
int proc_build_spec(Proc *p, ProcessSpecKind kind, ProcessSpec *ret, char **ret_reason) {
        _cleanup_(compose_env_file_done) ComposeEnvFile env_file = {};
        _cleanup_free_ char *exit_record = NULL;
        ProcessSpecInput in;
        int r;

        r = compose_env_file_load(p->m->project, proc_config(p), &env_file);
        if (r < 0)
                return r;
        proc_spec_input(p, &env_file, &in);
        /* how the run ends is recorded beside the state file, for a controller that is away then */
        if (kind == PROCESS_SPEC_RUN && p->m->options.state_dir) {
                r = state_file_exit_record_path(p->m->options.state_dir, p->pub.unit, &exit_record);
                if (r < 0)
                        return r;
                in.exit_record = exit_record;
        }
        return process_spec_build(&in, kind, ret, ret_reason);
}

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
void proc_launch(Proc *p, bool reopen_log) {
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
        /* a record of an earlier run is not this run's (the unit was collected before this start) */
        if (spec.unit.exec_stop_post)
                (void) state_file_exit_record_remove(p->m->options.state_dir, p->pub.unit);

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

        if (spec.unit.tty) {
                r = proc_open_pty(p, &spec.unit);
                if (r < 0) {
                        (void) proc_dispatch_detail(p, &(ProcEvent) { .type = PROC_EVENT_START_FAILED },
                                                    "cannot open a terminal for the process");
                        return;
                }
        }

        r = unit_driver_start(p->m->driver, p->watch, &spec.unit);
        /* the start message holds its own copy of the terminal side */
        proc_pty_release_terminal(p->pty);
        if (r < 0) {
                _cleanup_free_ char *msg = NULL;
                (void) asprintf(&msg, "cannot queue the start of unit %s: %s", p->pub.unit, strerror(-r));
                (void) proc_dispatch_detail(p, &(ProcEvent) { .type = PROC_EVENT_START_FAILED },
                                            msg ?: "cannot queue the start");
        }
}

/* PROC_ACTION_ATTACH: adoption of a unit that already runs. What a start does, except the start. */
void proc_attach(Proc *p) {
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
        if (spec.unit.tty)
                proc_adopt_pty(p);
}

void proc_run_command(Proc *p) {
        int r;

        if (isempty(proc_config(p)->shutdown.command)) {
                proc_send_stop_keys(p);
                return;
        }
        r = proc_run_shutdown_command(p);
        if (r < 0) {
                log_warning_errno(r, "Process %s: cannot run shutdown.command, stopping the unit: %m",
                                  p->pub.name);
                (void) proc_dispatch(p, &(ProcEvent) { .type = PROC_EVENT_COMMAND_START_FAILED });
        }
}

void proc_stop_unit(Proc *p) {
        int r;

        if (proc_schedule_stop_runs(p))
                return;
        r = unit_driver_stop(p->m->driver, p->pub.unit, NULL, NULL);
        if (r < 0)
                log_warning_errno(r, "Process %s: cannot stop unit %s: %m", p->pub.name, p->pub.unit);
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

/* The unit driver reports the main process's exit of every run (main_exited); only a daemon's matters, from
 * its start (or adoption) until the machine says it no longer does (PROC_ACTION_UNWATCH_STARTER). */
static void proc_watch_daemon(Proc *p) {
        p->watching_starter = true;
}

static void proc_on_started(UnitWatch *w, pid_t main_pid, usec_t start_timestamp, void *userdata) {
        Proc *p = userdata;

        p->pub.pid = main_pid;
        proc_stats_start(p);
        if (p->fsm.state == PROC_STATE_ADOPTING) {
                proc_on_adopted_running(p, main_pid, start_timestamp);
                proc_schedule_refresh(p);
                return;
        }
        if (proc_on_triggered(p, main_pid, start_timestamp))
                return;
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
        _cleanup_free_ char *reason = NULL;

        if (p->fsm.state == PROC_STATE_ADOPTING) {
                /* the unit went away between the listing and the adoption */
                proc_on_adopted_none(p);
                return;
        }
        reason = proc_start_failure_reason(p, message, exit);

        /* a stop may have cancelled the start: the run is over before it began (Completed); else it failed
         * (Error, with the reason) */
        p->pub.end_time = now_usec(CLOCK_REALTIME);
        (void) proc_dispatch_detail(p, &(ProcEvent) { .type = PROC_EVENT_START_FAILED,
                                                      .pid = exit ? exit->pid : 0 },
                                    reason ?: "the start job failed");
}

static void proc_on_exited(UnitWatch *w, const UnitExit *exit, void *userdata) {
        proc_on_unit_exit(userdata, exit);
}

/* The run is over (its unit's, or the last of a max_concurrent schedule's runs). */
void proc_on_unit_exit(Proc *p, const UnitExit *exit) {
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
        proc_schedule_refresh(p);
}

void proc_kill_all(Proc *p) {
        int r;

        /* the SIGKILL fallback always targets the whole group, also with parent_only (compat §1.3) */
        r = proc_schedule_kill_runs(p, SIGKILL) ? 0 : unit_driver_kill(p->m->driver, p->pub.unit, false, SIGKILL);
        if (r < 0)
                log_warning_errno(r, "Process %s: cannot kill unit %s: %m", p->pub.name, p->pub.unit);
        if (p->fsm.command_running && p->shutdown_unit)
                (void) unit_driver_stop(p->m->driver, p->shutdown_unit, NULL, NULL);
}

static int proc_on_kill_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Proc *p = userdata;

        p->kill_timer = sd_event_source_disable_unref(p->kill_timer);
        if (process_fsm_is_stopping(p->fsm.state))
                proc_log(p, "%s did not end the process within its timeout: killing it",
                         isempty(proc_config(p)->shutdown.command) ? "shutdown.send_keys" : "shutdown.command");
        (void) proc_dispatch(p, &(ProcEvent) { .type = PROC_EVENT_KILL_TIMER });
        return 0;
}

static void shutdown_on_started(UnitWatch *w, pid_t main_pid, usec_t ts, void *userdata) {
}

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
        int r;

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

        proc_arm_kill_timer(p);
        return 0;
}

/* SIGKILL for the whole unit when the process has not exited timeout_seconds (default 10, as
 * process-compose's DefaultShutdownTimeoutSec) after its shutdown.command or send_keys. */
void proc_arm_kill_timer(Proc *p) {
        const ComposeProcess *c = proc_config(p);
        int timeout, r;

        timeout = c->shutdown.timeout_seconds > 0 ? MIN(c->shutdown.timeout_seconds, PROCESS_SPEC_STOP_TIMEOUT_MAX_SEC) :
                                                    SHUTDOWN_COMMAND_TIMEOUT_DEFAULT_SEC;
        p->kill_timer = sd_event_source_disable_unref(p->kill_timer);
        r = sd_event_add_time_relative(p->m->event, &p->kill_timer, CLOCK_MONOTONIC,
                                       (usec_t) timeout * USEC_PER_SEC, 10 * USEC_PER_MSEC,
                                       proc_on_kill_timer, p);
        if (r < 0)
                log_warning_errno(r, "Process %s: cannot arm the kill timer: %m", p->pub.name);
}
