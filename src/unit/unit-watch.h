/* The I/O-free engine of a unit watch: the ordering rules that turn what the service manager says about one
 * unit (the StartTransientUnit reply, JobRemoved, PropertiesChanged of its Unit and Service interfaces,
 * UnitRemoved, the answer of one GetAll) into what pcctl reports (started, start_failed, main_exited,
 * exited). It makes no bus call and reads no clock, as wslay's engine does no I/O: the driver
 * (unit-driver.c) feeds it events and performs the outputs, and tests feed it scripted signal sequences
 * (tests/unit/test-unit-watch.c).
 *
 * The rules (systemd-notes §2):
 *  - ResetFailedUnit and StartTransientUnit are pipelined. Signals about the unit that arrive before the
 *    start reply belong to the previous run (ResetFailedUnit turns a failed unit inactive): they are
 *    ignored, except a JobRemoved, which is kept until the reply names the job.
 *  - The reply names the start job. Its JobRemoved decides: "done" means the process exec'd (Type=exec);
 *    anything else is a failed start, whose exit status (200/CHDIR, 203/EXEC) is read back with one
 *    GetAll, because the manager sends JobRemoved before the queued PropertiesChanged of the same change.
 *    A "done" job with no MainPID known yet is confirmed with the same GetAll.
 *  - Service PropertiesChanged carries MainPID and the ExecMain* exit data; the Unit PropertiesChanged that
 *    follows with ActiveState inactive/failed ends the run. A unit that exits 0 is garbage-collected within
 *    milliseconds: a GetAll that finds it gone trusts the signals, and UnitRemoved ends a run too.
 *  - ExecMainCode set while the run has not ended is the main process's exit (main_exited); with
 *    ExitType=cgroup (is_daemon) the unit stays active after it. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "shared/time-util.h"
#include "unit/unit-driver.h"

enum {
        UNIT_PROP_ACTIVE_STATE     = 1 << 0,
        UNIT_PROP_SUB_STATE        = 1 << 1,
        UNIT_PROP_LOAD_STATE       = 1 << 2,
        UNIT_PROP_RESULT           = 1 << 3,
        UNIT_PROP_MAIN_PID         = 1 << 4,
        UNIT_PROP_EXEC_MAIN_PID    = 1 << 5,
        UNIT_PROP_EXEC_MAIN_CODE   = 1 << 6,
        UNIT_PROP_EXEC_MAIN_STATUS = 1 << 7,
        UNIT_PROP_EXEC_MAIN_START  = 1 << 8,
        UNIT_PROP_EXEC_MAIN_EXIT   = 1 << 9,
        UNIT_PROP_NEXT_ELAPSE_REALTIME  = 1 << 10,  /* Timer */
        UNIT_PROP_NEXT_ELAPSE_MONOTONIC = 1 << 11,
        UNIT_PROP_LAST_TRIGGER          = 1 << 12,
};

/* The properties one signal or GetAll carried; have says which. Strings are borrowed. */
typedef struct UnitProps {
        unsigned have;
        const char *active_state, *sub_state, *load_state, *result;
        uint32_t main_pid, exec_main_pid;
        int32_t exec_main_code, exec_main_status;
        uint64_t exec_main_start, exec_main_exit;
        uint64_t next_elapse_realtime, next_elapse_monotonic, last_trigger;
} UnitProps;

typedef enum UnitRunPhase {
        UNIT_RUN_IDLE,           /* nothing of ours in flight; signals are ignored */
        UNIT_RUN_STARTING,       /* ResetFailedUnit + StartTransientUnit sent, no reply yet */
        UNIT_RUN_QUEUED,         /* start job queued; waiting for its JobRemoved */
        UNIT_RUN_CONFIRMING,     /* job done but MainPID unknown: GetAll in flight */
        UNIT_RUN_FAILING,        /* job not done: GetAll in flight for the exit data */
        UNIT_RUN_ADOPTING,       /* unit_run_begin_adopt(): GetAll in flight */
        UNIT_RUN_RUNNING,        /* started delivered; waiting for inactive/failed */
        _UNIT_RUN_PHASE_MAX,
} UnitRunPhase;

typedef enum UnitRunOutputType {
        UNIT_RUN_NONE,
        UNIT_RUN_FETCH,          /* read every property of the unit once; feed unit_run_fetched() */
        UNIT_RUN_STARTED,
        UNIT_RUN_START_FAILED,
        UNIT_RUN_MAIN_EXITED,
        UNIT_RUN_EXITED,
        _UNIT_RUN_OUTPUT_MAX,
} UnitRunOutputType;

typedef struct UnitRunOutput {
        UnitRunOutputType type;
        pid_t main_pid;          /* STARTED */
        usec_t start_timestamp;  /* STARTED */
        int error;               /* START_FAILED: -errno (see unit_driver_start()) */
        char *message;           /* START_FAILED, owned */
        bool with_exit;          /* START_FAILED: exit is set (the unit ran) */
        UnitExit exit;           /* EXITED, START_FAILED with_exit, MAIN_EXITED (code and status), owned */
} UnitRunOutput;

void unit_run_output_done(UnitRunOutput *o);

typedef struct UnitRun {
        char *unit;
        char *exec_path;                 /* for messages */
        char *working_directory;
        UnitRunPhase phase;

        char *job_path;
        char *job_result;                /* the non-"done" result while FAILING */
        char *early_job_path;            /* a JobRemoved seen before the start reply */
        char *early_job_result;

        /* what the current run told us so far */
        UnitExit exit;
        pid_t main_pid;
        bool seen_active;                /* the run left "inactive" at least once */
        bool ended;                      /* the Unit said inactive/failed, or it is gone */
        bool main_exited;                /* ExecMainCode was set */
        bool main_exited_reported;

        /* a unit its timer starts (unit_run_set_triggered()): runs nobody asked for are followed too */
        bool triggered;
        usec_t seen_start;               /* ExecMainStartTimestamp of the last run reported (or before it) */
        bool triggered_fetch;            /* the ADOPTING fetch is for such a run */

        /* outputs not yet taken by unit_run_next() */
        unsigned pending;
        int fail_error;
        char *fail_message;
        bool fail_with_exit;
} UnitRun;

int unit_run_init(UnitRun *r, const char *unit);
void unit_run_done(UnitRun *r);
/* Forgets the run and every pending output (the watch was released). */
void unit_run_reset(UnitRun *r);

/* A start was sent (-EBUSY unless idle). exec_path and working_directory name the program in messages. */
int unit_run_begin_start(UnitRun *r, const char *exec_path, const char *working_directory);
/* unit_driver_adopt(): the caller reads every property once and feeds unit_run_fetched() (-EBUSY unless
 * idle). */
int unit_run_begin_adopt(UnitRun *r);

/* Follows the runs the unit's timer starts: while idle, a unit that turns active, or whose main process
 * started after @since (realtime µs; runs before it are not reported), is read once and reported as a run
 * (started, then exited), as an adoption is. */
void unit_run_set_triggered(UnitRun *r, bool triggered, usec_t since);

/* The StartTransientUnit reply: job is the start job's path, or NULL with error < 0 and message. */
void unit_run_start_reply(UnitRun *r, const char *job, int error, const char *message);
void unit_run_job_removed(UnitRun *r, const char *job, const char *result);
/* PropertiesChanged of the unit's Unit or Service interface. */
void unit_run_properties(UnitRun *r, const UnitProps *p);
void unit_run_unit_removed(UnitRun *r);
/* The answer to UNIT_RUN_FETCH: the properties, or NULL when the unit is gone (not loaded, or the call
 * failed). */
void unit_run_fetched(UnitRun *r, const UnitProps *p);
/* UNIT_RUN_FETCH could not be sent: go on with what the signals said. */
void unit_run_fetch_failed(UnitRun *r);

/* Takes the next output, in order; false when there is none. The caller performs it and calls again (an
 * output may change the run: a callback that frees or restarts the watch drops what was still pending). */
bool unit_run_next(UnitRun *r, UnitRunOutput *ret);

const char *unit_run_phase_to_string(UnitRunPhase p);
const char *unit_run_output_type_to_string(UnitRunOutputType t);
