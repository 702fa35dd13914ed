/* Runtime state of one process (one replica) of a running project.
 *
 * Owned by the Manager (manager.h). Everything here can be rebuilt from systemd (unit properties) and the
 * journal, except counters that only pcctl knows (restarts); those are the state a later crash-safe
 * controller persists. Readers (REST, WebSocket, metrics) use these fields read-only; only the manager
 * changes them, and it tells observers after every change (manager_observe_state()). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "shared/macro.h"
#include "shared/time-util.h"

typedef struct Manager Manager;
typedef struct LogRing LogRing;
typedef struct ComposeProcess ComposeProcess;

/* process-compose's status strings (compat §2.1), in this order. */
typedef enum ProcStatus {
        PROC_PENDING,
        PROC_DISABLED,
        PROC_FOREGROUND,
        PROC_RUNNING,
        PROC_LAUNCHING,
        PROC_LAUNCHED,
        PROC_RESTARTING,
        PROC_TERMINATING,
        PROC_COMPLETED,
        PROC_SKIPPED,
        PROC_ERROR,
        PROC_SCHEDULED,          /* derived in GET /process(es) only */
        PROC_WATCHING,           /* derived in GET /process(es) only */
        _PROC_STATUS_MAX,
        _PROC_STATUS_INVALID = -EINVAL,
} ProcStatus;

typedef enum ProcHealth {
        PROC_HEALTH_UNKNOWN,     /* "-" */
        PROC_HEALTH_READY,       /* "Ready" */
        PROC_HEALTH_NOT_READY,   /* "Not Ready" */
        _PROC_HEALTH_MAX,
        _PROC_HEALTH_INVALID = -EINVAL,
} ProcHealth;

const char *proc_status_to_string(ProcStatus s);
ProcStatus proc_status_from_string(const char *s);
const char *proc_health_to_string(ProcHealth h);

typedef struct Process {
        Manager *manager;
        char *name;                      /* replica name: the key of the API ("web", "web-0") */
        char *base_name;                 /* name without the replica suffix (PC_PROC_NAME) */
        unsigned replica_num;
        const ComposeProcess *config;    /* resolved configuration, owned by the manager's project */
        char *unit;                      /* "pcctl-<project>-<name>.service", escaped */
        char *unit_path;                 /* D-Bus object path of the unit */
        char *ident;                     /* SyslogIdentifier, unique per process */

        ProcStatus status;
        ProcHealth health;
        int exit_code;                   /* -1 when killed by a signal */
        unsigned restarts;
        pid_t pid;                       /* 0 before the first start; the last pid after exit */
        /* Resource usage of the current (or last) run, sampled about every second while it runs and kept
         * after it ended (core/process-stats.h). */
        uint64_t mem_bytes;              /* systemd's MemoryCurrent, last sample; 0 when unknown */
        double cpu_percent;              /* % of one CPU between the last two samples of CPUUsageNSec */
        uint64_t cpu_nsec;               /* CPUUsageNSec, last sample; UINT64_MAX when unknown */
        usec_t cpu_sampled;              /* monotonic µs of that sample */
        usec_t start_time;               /* realtime µs of the first Running/Launching, 0 if never */
        usec_t ready_time;
        usec_t end_time;
        usec_t last_activity;            /* realtime of the last log line */
        usec_t next_run;                 /* schedule: the timer's next elapse (realtime), 0: none */
        usec_t last_run;                 /* schedule: the timer's last elapse (realtime), 0: never */
        unsigned active_runs;            /* schedule.max_concurrent above 1: its runs going now */
        const pid_t *run_pids;           /* ... their main PIDs, oldest first (active_runs of them) */
        bool watch_armed;                /* a file watch can restart it: registered, not paused by a user
                                          * stop, not suspended (is_watched, status Watching) */
        char *watch_trigger_path;        /* the change that last restarted it through its watch (relative to
                                          * the watched root), NULL if none */
        usec_t watch_trigger_time;       /* realtime of that restart */

        LogRing *log;                    /* the process's ring buffer (journal/logring.h) */
        uint64_t log_lines_total;        /* lines appended to the ring, ever */
        uint64_t journal_dropped;        /* lines journald suppressed (rate limit) */
} Process;

/* True for Running, Launching and Launched: process-compose's is_running. */
bool process_is_running(const Process *p);
