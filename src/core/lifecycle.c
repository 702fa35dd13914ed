/* Pure lifecycle decisions (compat §2.4, §2.5, §2.7). See lifecycle.h. */
#include <signal.h>
#include <sys/wait.h>

#include "core/lifecycle.h"

int lifecycle_exit_code(int code, int status) {
        if (code == CLD_EXITED)
                return status;
        if (IN_SET(code, CLD_KILLED, CLD_DUMPED))
                return -1;
        return 0;
}

bool lifecycle_is_success(const ComposeProcess *c, int exit_code) {
        if (exit_code == 0)
                return true;
        if (!c)
                return false;
        for (size_t i = 0; i < c->n_success_exit_codes; i++)
                if (c->success_exit_codes[i] == exit_code)
                        return true;
        return false;
}

bool lifecycle_should_restart(const ComposeProcess *c, int exit_code, unsigned restarts) {
        bool below_max;

        if (!c)
                return false;
        below_max = c->availability.max_restarts <= 0 || restarts < (unsigned) c->availability.max_restarts;

        switch (c->availability.restart) {
        case COMPOSE_RESTART_ALWAYS:
                return below_max;
        case COMPOSE_RESTART_ON_FAILURE:
                return !lifecycle_is_success(c, exit_code) && below_max;
        default:
                return false;
        }
}

usec_t lifecycle_backoff_usec(const ComposeProcess *c) {
        int s = c ? c->availability.backoff_seconds : 1;

        /* a limit: a day is more than any sane backoff and keeps the multiplication far from overflow */
        return (usec_t) CLAMP(s, 1, 86400) * USEC_PER_SEC;
}

static const char *const dep_verdict_table[_DEP_VERDICT_MAX] = {
        [DEP_WAIT] = "wait",
        [DEP_OK] = "ok",
        [DEP_FAIL] = "fail",
        [DEP_IGNORE] = "ignore",
};

const char *dep_verdict_to_string(DepVerdict v) {
        if (v < 0 || v >= _DEP_VERDICT_MAX)
                return NULL;
        return dep_verdict_table[v];
}

bool lifecycle_status_is_final(ProcStatus s) {
        return IN_SET(s, PROC_COMPLETED, PROC_SKIPPED, PROC_ERROR);
}

bool lifecycle_dependency_has_health_check(const DepView *dep) {
        return dep->has_readiness_probe || dep->has_liveness_probe;
}

DepVerdict lifecycle_dependency_verdict(ComposeCondition condition, const DepView *dep) {
        bool ended;

        /* Neither running nor completed (disabled, excluded by `up PROC`, never started): process-compose
         * logs an error and does not wait for it. */
        if (!dep->in_flight && !lifecycle_status_is_final(dep->status))
                return DEP_IGNORE;

        ended = !dep->in_flight && lifecycle_status_is_final(dep->status);

        switch (condition) {
        case COMPOSE_CONDITION_PROCESS_STARTED:
                if (dep->started)
                        return DEP_OK;
                /* [QUIRK] process-compose waits forever when the dependency ends Skipped or in Error without
                 * ever running; we skip the dependent instead, as for the other conditions. */
                return ended ? DEP_FAIL : DEP_WAIT;

        case COMPOSE_CONDITION_PROCESS_COMPLETED:
                return ended ? DEP_OK : DEP_WAIT;

        case COMPOSE_CONDITION_PROCESS_COMPLETED_SUCCESSFULLY:
                if (!ended)
                        return DEP_WAIT;
                return dep->status == PROC_COMPLETED && dep->success ? DEP_OK : DEP_FAIL;

        case COMPOSE_CONDITION_PROCESS_HEALTHY:
                /* As process-compose: health needs a readiness or a liveness probe. ready_log_line is not
                 * one (its condition is process_log_ready), although it makes the process Ready: the
                 * dependent is Skipped at once, as the loader's message says, not run on the line. */
                if (!lifecycle_dependency_has_health_check(dep))
                        return DEP_FAIL;
                if (dep->health == PROC_HEALTH_READY && !dep->stopping && !ended)
                        return DEP_OK;
                if (ended || dep->stopping)
                        return DEP_FAIL;
                /* [QUIRK] a dependency without a readiness probe (liveness only) never becomes Ready in
                 * process-compose, so its dependents wait forever; we count it healthy once it runs. */
                if (!dep->has_readiness_probe && dep->started)
                        return DEP_OK;
                return DEP_WAIT;

        case COMPOSE_CONDITION_PROCESS_LOG_READY:
                if (dep->health == PROC_HEALTH_READY && !ended)
                        return DEP_OK;
                return ended || dep->stopping ? DEP_FAIL : DEP_WAIT;

        default:
                return DEP_IGNORE;
        }
}

int lifecycle_project_exit_code(const ComposeProcess *c, int exit_code) {
        if (lifecycle_is_success(c, exit_code))
                return 0;
        if (exit_code < 0)
                return 255;
        return exit_code & 0xff;
}

bool lifecycle_end_hook(const ComposeProcess *c, ProcStatus status, int exit_code, int *ret_project_exit) {
        int code;

        if (!c)
                return false;

        if (status == PROC_SKIPPED) {
                if (!c->availability.exit_on_skipped)
                        return false;
                *ret_project_exit = 1;
                return true;
        }

        /* Start errors count as exit code 1 for the hooks. */
        code = status == PROC_ERROR ? 1 : exit_code;

        if (c->availability.exit_on_end) {
                *ret_project_exit = lifecycle_project_exit_code(c, code);
                return true;
        }
        if (c->availability.restart == COMPOSE_RESTART_EXIT_ON_FAILURE && !lifecycle_is_success(c, code)) {
                *ret_project_exit = lifecycle_project_exit_code(c, code);
                return true;
        }
        return false;
}

void lifecycle_probe_identity(const ComposeProcess *c, bool system_manager, const char **ret_user,
                              const char **ret_group) {
        *ret_user = *ret_group = NULL;
        if (!system_manager || !c)
                return;
        for (size_t i = 0; i < c->n_x_systemd; i++) {
                const ComposeXProp *x = &c->x_systemd[i];

                /* an empty assignment resets the property, as in a unit file */
                if (streq_ptr(x->key, "User"))
                        *ret_user = isempty(x->value) ? NULL : x->value;
                else if (streq_ptr(x->key, "Group"))
                        *ret_group = isempty(x->value) ? NULL : x->value;
        }
}
