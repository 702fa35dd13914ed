/* The pure decisions of process-compose's lifecycle (compat §2), factored out of the manager so that they
 * can be tested without a loop or a bus: what an exit means, whether a process restarts, how a dependency
 * condition stands, and which exit code the project gets. Nothing here allocates, logs or touches I/O. */
#pragma once

#include <stdbool.h>

#include "compose/compose.h"
#include "core/process.h"

/* How a process's run ended, in process-compose terms: the exit status for a normal exit, -1 when a signal
 * killed it (Go's ExitCode()). code is CLD_EXITED/CLD_KILLED/CLD_DUMPED as systemd reports ExecMainCode. */
int lifecycle_exit_code(int code, int status);

/* 0 and every code of success_exit_codes count as success (status, restart, dependencies, project exit). */
bool lifecycle_is_success(const ComposeProcess *c, int exit_code);

/* After a run ended on its own (not stopped by the user or a shutdown): restart it? restarts is the number
 * of automatic restarts done so far. */
bool lifecycle_should_restart(const ComposeProcess *c, int exit_code, unsigned restarts);

/* Backoff before an automatic restart or between the stop and the start of an API restart: max(backoff, 1) s. */
usec_t lifecycle_backoff_usec(const ComposeProcess *c);

/* What a dependent sees of one dependency when it evaluates its wait. */
typedef struct DepView {
        ProcStatus status;
        ProcHealth health;
        int exit_code;
        bool success;                /* lifecycle_is_success() of the dependency's exit code */
        bool in_flight;              /* wanted: waiting, starting, running, stopping or restarting */
        bool stopping;               /* a stop of the dependency was requested */
        bool started;                /* this incarnation's process ran (the start job completed) */
        bool has_readiness_probe;
        bool has_liveness_probe;
} DepView;

typedef enum DepVerdict {
        DEP_WAIT,                    /* not yet */
        DEP_OK,                      /* satisfied */
        DEP_FAIL,                    /* can never be satisfied: the dependent is Skipped */
        DEP_IGNORE,                  /* neither running nor completed (disabled, never started): not waited for */
        _DEP_VERDICT_MAX,
        _DEP_VERDICT_INVALID = -EINVAL,
} DepVerdict;

const char *dep_verdict_to_string(DepVerdict v);

/* True for the statuses a run ends in for good: Completed, Skipped, Error. */
bool lifecycle_status_is_final(ProcStatus s);

/* A readiness or liveness probe: what process_healthy needs (ready_log_line is no health check). */
bool lifecycle_dependency_has_health_check(const DepView *dep);
DepVerdict lifecycle_dependency_verdict(ComposeCondition condition, const DepView *dep);

/* The exit code of `up` for a process exit code handed to the project (exit_on_failure, exit_on_end):
 * 0 for a success code, -1 (signal) → 255, anything else modulo 256. */
int lifecycle_project_exit_code(const ComposeProcess *c, int exit_code);

/* After a process ended for good (status Completed, Skipped or Error): does it end the project, and with
 * which exit code? Error counts as exit code 1, Skipped only matters with exit_on_skipped (code 1). */
bool lifecycle_end_hook(const ComposeProcess *c, ProcStatus status, int exit_code, int *ret_project_exit);

/* Who an exec probe runs as: in --system mode the process's own User=/Group= from its x-systemd map (the
 * last one of each wins, as in a unit file), so the check runs as the process does; NULL for pcctl's own
 * user (the user manager runs the process as pcctl's user anyway). */
void lifecycle_probe_identity(const ComposeProcess *c, bool system_manager, const char **ret_user,
                              const char **ret_group);
