/* The I/O-free engine of a unit watch (unit-watch.h). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "shared/macro.h"
#include "shared/strv.h"
#include "unit/unit-watch.h"

enum {
        PENDING_FETCH        = 1 << UNIT_RUN_FETCH,
        PENDING_STARTED      = 1 << UNIT_RUN_STARTED,
        PENDING_START_FAILED = 1 << UNIT_RUN_START_FAILED,
        PENDING_EXITED       = 1 << UNIT_RUN_EXITED,
};

void unit_exit_done(UnitExit *e) {
        if (!e)
                return;
        e->result = mfree(e->result);
        *e = (UnitExit) {};
}

void unit_run_output_done(UnitRunOutput *o) {
        if (!o)
                return;
        free(o->message);
        unit_exit_done(&o->exit);
        *o = (UnitRunOutput) {};
}

int unit_run_init(UnitRun *r, const char *unit) {
        *r = (UnitRun) {};
        r->unit = strdup(unit);
        return r->unit ? 0 : -ENOMEM;
}

static void run_forget(UnitRun *r) {
        unit_exit_done(&r->exit);
        r->main_pid = 0;
        r->seen_active = r->ended = r->main_exited = r->main_exited_reported = false;
        r->job_path = mfree(r->job_path);
        r->job_result = mfree(r->job_result);
        r->early_job_path = mfree(r->early_job_path);
        r->early_job_result = mfree(r->early_job_result);
        r->pending = 0;
        r->fail_message = mfree(r->fail_message);
}

void unit_run_reset(UnitRun *r) {
        run_forget(r);
        r->phase = UNIT_RUN_IDLE;
}

void unit_run_done(UnitRun *r) {
        if (!r)
                return;
        unit_run_reset(r);
        r->unit = mfree(r->unit);
        r->exec_path = mfree(r->exec_path);
        r->working_directory = mfree(r->working_directory);
}

int unit_run_begin_start(UnitRun *r, const char *exec_path, const char *working_directory) {
        int k;

        if (r->phase != UNIT_RUN_IDLE)
                return -EBUSY;
        run_forget(r);
        k = free_and_strdup(&r->exec_path, exec_path);
        if (k >= 0)
                k = free_and_strdup(&r->working_directory, working_directory);
        if (k < 0)
                return k;
        r->phase = UNIT_RUN_STARTING;
        return 0;
}

static bool state_is_ended(const char *s);

void unit_run_set_triggered(UnitRun *r, bool triggered, usec_t since) {
        r->triggered = triggered;
        r->seen_start = MAX(r->seen_start, since);
}

/* Idle, and the timer started a run: read the unit once, then report it as an adoption would. */
static void run_triggered(UnitRun *r, const UnitProps *p) {
        bool active = p->have & UNIT_PROP_ACTIVE_STATE && p->active_state && !state_is_ended(p->active_state);
        bool newer = p->have & UNIT_PROP_EXEC_MAIN_START && p->exec_main_start > r->seen_start;

        if (!active && !newer)
                return;
        run_forget(r);
        r->seen_active = true;
        r->triggered_fetch = true;
        r->phase = UNIT_RUN_ADOPTING;
        r->pending |= PENDING_FETCH;
}

int unit_run_begin_adopt(UnitRun *r) {
        if (r->phase != UNIT_RUN_IDLE)
                return -EBUSY;
        run_forget(r);
        /* a unit we adopt has run: its inactive state is an end, not the state before the start */
        r->seen_active = true;
        r->phase = UNIT_RUN_ADOPTING;
        return 0;
}

static bool state_is_ended(const char *s) {
        return s && (streq(s, "inactive") || streq(s, "failed"));
}

/* Folds what a signal or GetAll said into the run's record. */
static void run_apply(UnitRun *r, const UnitProps *p) {
        if (p->have & UNIT_PROP_MAIN_PID && p->main_pid > 0)
                r->main_pid = (pid_t) p->main_pid;
        if (p->have & UNIT_PROP_EXEC_MAIN_PID && p->exec_main_pid > 0)
                r->exit.pid = (pid_t) p->exec_main_pid;
        if (p->have & UNIT_PROP_EXEC_MAIN_CODE) {
                r->exit.code = p->exec_main_code;
                if (p->exec_main_code > 0)
                        r->main_exited = true;
        }
        if (p->have & UNIT_PROP_EXEC_MAIN_STATUS)
                r->exit.status = p->exec_main_status;
        if (p->have & UNIT_PROP_EXEC_MAIN_START && p->exec_main_start > 0)
                r->exit.start_timestamp = p->exec_main_start;
        if (p->have & UNIT_PROP_EXEC_MAIN_EXIT && p->exec_main_exit > 0)
                r->exit.exit_timestamp = p->exec_main_exit;
        /* without memory for the text, the run keeps its previous result (NULL: "unknown") */
        if (p->have & UNIT_PROP_RESULT && p->result)
                (void) free_and_strdup(&r->exit.result, p->result);
        if (p->have & UNIT_PROP_ACTIVE_STATE && p->active_state) {
                if (state_is_ended(p->active_state)) {
                        if (r->seen_active)
                                r->ended = true;
                } else
                        r->seen_active = true;
        }
}

/* started, then (when the run already ended) exited */
static void run_started(UnitRun *r) {
        r->pending |= PENDING_STARTED;
        if (r->ended)
                r->pending |= PENDING_EXITED;
}

static void run_start_failed(UnitRun *r, int error, const char *message, bool with_exit) {
        r->fail_error = error;
        r->fail_with_exit = with_exit;
        r->fail_message = strdup(message ?: "Unit failed to start");
        r->pending = PENDING_START_FAILED;
}

static int job_result_to_errno(const char *result) {
        if (streq(result, "canceled"))
                return -ECANCELED;
        if (streq(result, "timeout"))
                return -ETIMEDOUT;
        if (streq(result, "dependency"))
                return -ENOLINK;
        if (streq(result, "skipped"))
                return -ESRCH;
        return -EIO;
}

/* The start job failed: say why, with systemd's exit status when the unit got as far as running. */
static void run_fail_job(UnitRun *r) {
        _cleanup_free_ char *msg = NULL;
        const char *result = r->job_result ?: "failed";
        bool ran = r->exit.code > 0;
        int error, k;

        if (ran && r->exit.code == CLD_EXITED) {
                const char *what = NULL, *name = unit_exit_status_to_string(r->exit.status, &what);

                error = name ? unit_exit_status_to_errno(r->exit.status) : job_result_to_errno(result);
                if (name && r->exit.status == 200)
                        k = asprintf(&msg, "Unit %s failed to start: working directory %s: %s (exit status %d/%s)",
                                     r->unit, strna(r->working_directory), what, r->exit.status, name);
                else if (name && r->exit.status == 203)
                        k = asprintf(&msg, "Unit %s failed to start: %s: %s (exit status %d/%s)",
                                     r->unit, strna(r->exec_path), what, r->exit.status, name);
                else if (name)
                        k = asprintf(&msg, "Unit %s failed to start: %s (exit status %d/%s)",
                                     r->unit, what, r->exit.status, name);
                else
                        k = asprintf(&msg, "Unit %s failed to start: exited with status %d (job %s)",
                                     r->unit, r->exit.status, result);
        } else if (ran) {
                error = job_result_to_errno(result);
                k = asprintf(&msg, "Unit %s failed to start: killed by signal %s (job %s)",
                             r->unit, strna(sigabbrev_np(r->exit.status)), result);
        } else {
                error = job_result_to_errno(result);
                k = asprintf(&msg, "Unit %s failed to start: start job %s", r->unit, result);
        }
        if (k < 0)
                msg = NULL;
        run_start_failed(r, error, msg ?: "Unit failed to start (out of memory)", ran);
}

static void run_job_removed(UnitRun *r, const char *result) {
        if (streq(result, "done")) {
                if (r->main_pid > 0 || r->ended) {
                        run_started(r);
                        return;
                }
                r->phase = UNIT_RUN_CONFIRMING;
        } else {
                (void) free_and_strdup(&r->job_result, result);
                r->phase = UNIT_RUN_FAILING;
        }
        r->pending |= PENDING_FETCH;
}

void unit_run_start_reply(UnitRun *r, const char *job, int error, const char *message) {
        _cleanup_free_ char *early_job = NULL, *early_result = NULL;

        if (r->phase != UNIT_RUN_STARTING)
                return;
        if (!job) {
                run_start_failed(r, error < 0 ? error : -EIO, message, false);
                return;
        }
        if (free_and_strdup(&r->job_path, job) < 0) {
                run_start_failed(r, -ENOMEM, "Failed to read the start job's path", false);
                return;
        }
        r->phase = UNIT_RUN_QUEUED;
        early_job = TAKE_PTR(r->early_job_path);
        early_result = TAKE_PTR(r->early_job_result);
        if (early_job && early_result && streq(early_job, job))
                run_job_removed(r, early_result);
}

void unit_run_job_removed(UnitRun *r, const char *job, const char *result) {
        if (r->phase == UNIT_RUN_STARTING) {
                /* the reply is still on its way: keep it until the reply names the job */
                if (free_and_strdup(&r->early_job_path, job) < 0 ||
                    free_and_strdup(&r->early_job_result, result) < 0) {
                        r->early_job_path = mfree(r->early_job_path);
                        r->early_job_result = mfree(r->early_job_result);
                }
        } else if (r->phase == UNIT_RUN_QUEUED && streq_ptr(r->job_path, job))
                run_job_removed(r, result);
}

void unit_run_properties(UnitRun *r, const UnitProps *p) {
        if (r->phase == UNIT_RUN_IDLE && r->triggered) {
                run_triggered(r, p);
                return;
        }
        /* Before the start reply: the previous run's last words (or ResetFailedUnit's). */
        if (!IN_SET(r->phase, UNIT_RUN_QUEUED, UNIT_RUN_CONFIRMING, UNIT_RUN_FAILING, UNIT_RUN_RUNNING))
                return;
        run_apply(r, p);
        if (r->phase == UNIT_RUN_RUNNING && r->ended)
                r->pending |= PENDING_EXITED;
}

void unit_run_unit_removed(UnitRun *r) {
        /* A unit is only collected when inactive, so the Unit signal said so already; this is a backstop. */
        if (r->seen_active && IN_SET(r->phase, UNIT_RUN_QUEUED, UNIT_RUN_CONFIRMING, UNIT_RUN_FAILING))
                r->ended = true;
        else if (r->phase == UNIT_RUN_RUNNING) {
                r->ended = true;
                r->pending |= PENDING_EXITED;
        }
}

/* A program that exec'd and exited at once (exit 3 within a millisecond) can fail the start job before the
 * manager saw the exec succeed. Its status is then its own, not one of systemd's 200-245: that is a run
 * that ended, not a failed start. */
static bool run_exited_early(const UnitRun *r) {
        return (r->exit.code == CLD_EXITED && !unit_exit_status_to_string(r->exit.status, NULL)) ||
               r->exit.code == CLD_KILLED || r->exit.code == CLD_DUMPED;
}

void unit_run_fetched(UnitRun *r, const UnitProps *p) {
        bool gone = !p || (p->have & UNIT_PROP_LOAD_STATE && streq(p->load_state, "not-found"));

        /* garbage-collected: only the signals knew this run; don't apply defaults */
        if (!gone)
                run_apply(r, p);

        switch (r->phase) {
        case UNIT_RUN_CONFIRMING:
                if (gone || (p->have & UNIT_PROP_ACTIVE_STATE && state_is_ended(p->active_state)))
                        r->ended = true;
                run_started(r);
                break;
        case UNIT_RUN_FAILING:
                if (run_exited_early(r)) {
                        r->ended = true;
                        run_started(r);
                } else
                        run_fail_job(r);
                break;
        case UNIT_RUN_ADOPTING:
                if (r->triggered_fetch) {
                        r->triggered_fetch = false;
                        /* gone, or a run already reported: nothing new after all */
                        if (gone || (state_is_ended(p->active_state) && r->exit.start_timestamp <= r->seen_start)) {
                                run_forget(r);
                                r->phase = UNIT_RUN_IDLE;
                                break;
                        }
                }
                if (gone || !(p->have & UNIT_PROP_LOAD_STATE) || !streq(p->load_state, "loaded")) {
                        _cleanup_free_ char *msg = NULL;

                        if (asprintf(&msg, "Unit %s is not loaded", r->unit) < 0)
                                msg = NULL;
                        run_start_failed(r, -ENOENT, msg ?: r->unit, false);
                        break;
                }
                r->ended = state_is_ended(p->active_state);
                run_started(r);
                break;
        default:
                break;
        }
}

void unit_run_fetch_failed(UnitRun *r) {
        /* without the fetch, deliver what the signals said */
        if (r->phase == UNIT_RUN_CONFIRMING)
                run_started(r);
        else if (r->phase == UNIT_RUN_FAILING)
                run_fail_job(r);
        else if (r->phase == UNIT_RUN_ADOPTING && r->triggered_fetch) {
                r->triggered_fetch = false;
                r->phase = UNIT_RUN_IDLE;
        } else if (r->phase == UNIT_RUN_ADOPTING)
                run_start_failed(r, -EIO, "Failed to read the unit's properties", false);
}

static bool take(UnitRun *r, unsigned bit) {
        if (!(r->pending & bit))
                return false;
        r->pending &= ~bit;
        return true;
}

bool unit_run_next(UnitRun *r, UnitRunOutput *ret) {
        *ret = (UnitRunOutput) {};

        if (take(r, PENDING_FETCH)) {
                ret->type = UNIT_RUN_FETCH;
                return true;
        }
        if (take(r, PENDING_START_FAILED)) {
                ret->type = UNIT_RUN_START_FAILED;
                ret->error = r->fail_error;
                ret->message = TAKE_PTR(r->fail_message);
                ret->with_exit = r->fail_with_exit;
                if (r->fail_with_exit)
                        ret->exit = r->exit;
                else
                        unit_exit_done(&r->exit);
                r->exit = (UnitExit) {};
                r->phase = UNIT_RUN_IDLE;
                return true;
        }
        if (take(r, PENDING_STARTED)) {
                ret->type = UNIT_RUN_STARTED;
                ret->main_pid = r->main_pid ?: r->exit.pid;
                ret->start_timestamp = r->exit.start_timestamp;
                r->seen_start = MAX(r->seen_start, r->exit.start_timestamp);
                r->phase = UNIT_RUN_RUNNING;
                return true;
        }
        if (r->phase != UNIT_RUN_RUNNING)
                return false;
        if (r->main_exited && !r->main_exited_reported) {
                r->main_exited_reported = true;
                ret->type = UNIT_RUN_MAIN_EXITED;
                ret->exit = (UnitExit) {
                        .code = r->exit.code,
                        .status = r->exit.status,
                        .pid = r->exit.pid ?: r->main_pid,
                        .start_timestamp = r->exit.start_timestamp,
                        .exit_timestamp = r->exit.exit_timestamp,
                };
                return true;
        }
        if (take(r, PENDING_EXITED)) {
                /* The watch may be restarted or freed from the callback: the output owns the record. */
                ret->type = UNIT_RUN_EXITED;
                ret->exit = r->exit;
                r->exit = (UnitExit) {};
                if (ret->exit.pid == 0)
                        ret->exit.pid = r->main_pid;
                r->phase = UNIT_RUN_IDLE;
                return true;
        }
        return false;
}

static const char *const phase_table[_UNIT_RUN_PHASE_MAX] = {
        [UNIT_RUN_IDLE] = "idle",
        [UNIT_RUN_STARTING] = "starting",
        [UNIT_RUN_QUEUED] = "queued",
        [UNIT_RUN_CONFIRMING] = "confirming",
        [UNIT_RUN_FAILING] = "failing",
        [UNIT_RUN_ADOPTING] = "adopting",
        [UNIT_RUN_RUNNING] = "running",
};

const char *unit_run_phase_to_string(UnitRunPhase p) {
        return p >= 0 && p < _UNIT_RUN_PHASE_MAX ? phase_table[p] : NULL;
}

static const char *const output_table[_UNIT_RUN_OUTPUT_MAX] = {
        [UNIT_RUN_NONE] = "none",
        [UNIT_RUN_FETCH] = "fetch",
        [UNIT_RUN_STARTED] = "started",
        [UNIT_RUN_START_FAILED] = "start-failed",
        [UNIT_RUN_MAIN_EXITED] = "main-exited",
        [UNIT_RUN_EXITED] = "exited",
};

const char *unit_run_output_type_to_string(UnitRunOutputType t) {
        return t >= 0 && t < _UNIT_RUN_OUTPUT_MAX ? output_table[t] : NULL;
}
