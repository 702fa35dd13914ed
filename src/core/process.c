/* Status and health strings of process-compose (compat §2.1, §2.2). */
#include "core/process.h"

static const char *const proc_status_table[_PROC_STATUS_MAX] = {
        [PROC_PENDING] = "Pending",
        [PROC_DISABLED] = "Disabled",
        [PROC_FOREGROUND] = "Foreground",
        [PROC_RUNNING] = "Running",
        [PROC_LAUNCHING] = "Launching",
        [PROC_LAUNCHED] = "Launched",
        [PROC_RESTARTING] = "Restarting",
        [PROC_TERMINATING] = "Terminating",
        [PROC_COMPLETED] = "Completed",
        [PROC_SKIPPED] = "Skipped",
        [PROC_ERROR] = "Error",
        [PROC_SCHEDULED] = "Scheduled",
        [PROC_WATCHING] = "Watching",
};

const char *proc_status_to_string(ProcStatus s) {
        if (s < 0 || s >= _PROC_STATUS_MAX)
                return NULL;
        return proc_status_table[s];
}

ProcStatus proc_status_from_string(const char *s) {
        if (!s)
                return _PROC_STATUS_INVALID;
        for (ProcStatus i = 0; i < _PROC_STATUS_MAX; i++)
                if (streq(proc_status_table[i], s))
                        return i;
        return _PROC_STATUS_INVALID;
}

static const char *const proc_health_table[_PROC_HEALTH_MAX] = {
        [PROC_HEALTH_UNKNOWN] = "-",
        [PROC_HEALTH_READY] = "Ready",
        [PROC_HEALTH_NOT_READY] = "Not Ready",
};

const char *proc_health_to_string(ProcHealth h) {
        if (h < 0 || h >= _PROC_HEALTH_MAX)
                return NULL;
        return proc_health_table[h];
}

bool process_is_running(const Process *p) {
        return p && IN_SET(p->status, PROC_RUNNING, PROC_LAUNCHING, PROC_LAUNCHED);
}
