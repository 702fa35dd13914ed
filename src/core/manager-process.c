/* The Proc's side of the process state machine (process-fsm.h): proc_dispatch() feeds it one event,
 * proc_set_state() is the one place the state changes, and proc_execute_one() carries out the actions it
 * returns: timers, probes, restart waiters, the exit_on_* hooks and the rest. */
#include "core/manager-internal.h"

void proc_complete_restart(Proc *p, int result) {
        manager_complete(p->m, p->restart_waiters, p->n_restart_waiters, result);
        p->restart_waiters = mfree(p->restart_waiters);
        p->n_restart_waiters = p->allocated_restart_waiters = 0;
}

static void proc_set_health(Proc *p, ProcHealth h) {
        if (p->pub.health == h)
                return;
        p->pub.health = h;
        if (h == PROC_HEALTH_READY && p->pub.ready_time == 0)
                p->pub.ready_time = now_usec(CLOCK_REALTIME);
        proc_changed(p);
}

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

void proc_setup_probes(Proc *p, const ProcessSpec *run) {
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
        p->watch_restart = false;
}

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
                proc_arm_timer(p, proc_backoff_usec(p, action));
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
                const ComposeProcess *c = proc_config(p);

                p->pub.start_time = ev->timestamp ?: now_usec(CLOCK_REALTIME);
                p->pub.end_time = 0;
                /* without a readiness signal a process is ready when it starts (process-compose's
                 * ProcessReadyTime, which `analyze critical-chain` reads) */
                if (c && !c->readiness_probe && isempty(c->ready_log_line) && p->pub.ready_time == 0)
                        p->pub.ready_time = p->pub.start_time;
                if (p->m->follower)
                        journal_follower_kick(p->m->follower);
        }
}

/* Feeds one event to the process's state machine and carries out what it answers, in the order of the
 * action bits. detail is the text of a report action (why the start failed, the probe's error). Returns
 * the machine's refusal (-ESRCH, -EBUSY, -ESHUTDOWN, -ENOENT), and changes nothing then. */
int proc_dispatch_detail(Proc *p, const ProcEvent *ev, const char *detail) {
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
        if (ev->type == PROC_EVENT_STOP && ev->stop == PROC_STOP_USER)
                p->user_stopped = true;
        else if (a.mask & (PROC_ACTION_NEW_INCARNATION | PROC_ACTION_START_UNIT))
                p->user_stopped = false;
        for (uint32_t bit = 1; bit && bit <= _PROC_ACTION_LAST; bit <<= 1)
                if (a.mask & bit)
                        proc_execute_one(p, (ProcAction) bit, ev, &a, detail);
        if (!was_up && process_is_running(&p->pub))
                manager_log_all_running(p->m);
        return 0;
}

int proc_dispatch(Proc *p, const ProcEvent *ev) {
        return proc_dispatch_detail(p, ev, NULL);
}
