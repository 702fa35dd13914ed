/* ProcessState, ProjectState and DependencyGraph as process-compose emits them (compat §3.3). */
#include <malloc.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "compose/compose.h"
#include "http/rest-json.h"
#include "shared/strv.h"

static const char *const status_table[_PROC_STATUS_MAX] = {
        [PROC_PENDING] = "Pending",         [PROC_DISABLED] = "Disabled",
        [PROC_FOREGROUND] = "Foreground",   [PROC_RUNNING] = "Running",
        [PROC_LAUNCHING] = "Launching",     [PROC_LAUNCHED] = "Launched",
        [PROC_RESTARTING] = "Restarting",   [PROC_TERMINATING] = "Terminating",
        [PROC_COMPLETED] = "Completed",     [PROC_SKIPPED] = "Skipped",
        [PROC_ERROR] = "Error",             [PROC_SCHEDULED] = "Scheduled",
        [PROC_WATCHING] = "Watching",
};

static const char *const health_table[_PROC_HEALTH_MAX] = {
        [PROC_HEALTH_UNKNOWN] = "-",
        [PROC_HEALTH_READY] = "Ready",
        [PROC_HEALTH_NOT_READY] = "Not Ready",
};

const char *rest_status_to_string(ProcStatus s) {
        if (s < 0 || s >= _PROC_STATUS_MAX)
                return NULL;
        return status_table[s];
}

const char *rest_health_to_string(ProcHealth h) {
        if (h < 0 || h >= _PROC_HEALTH_MAX)
                return "-";
        return health_table[h];
}

bool rest_status_is_running(ProcStatus s) {
        return IN_SET(s, PROC_RUNNING, PROC_LAUNCHING, PROC_LAUNCHED);
}

static bool exit_code_is_success(const Process *p) {
        const ComposeProcess *c = p->config;

        if (c && c->n_success_exit_codes > 0) {
                for (size_t i = 0; i < c->n_success_exit_codes; i++)
                        if (c->success_exit_codes[i] == p->exit_code)
                                return true;
                return false;
        }
        return p->exit_code == 0;
}

ProcStatus process_derived_status(const Process *p) {
        const ComposeProcess *c = p->config;
        bool running = rest_status_is_running(p->status);

        /* a scheduled process that is not running and has a next run (its timer is armed) is Scheduled; before
         * the timer's first read the configuration says so */
        if (c && compose_schedule_is_set(c->schedule) && !running && IN_SET(p->status, PROC_PENDING, PROC_COMPLETED) &&
            (p->next_run > 0 || p->last_run == 0))
                return PROC_SCHEDULED;
        /* Watching is never shown for a failure (process-compose's IsWatchIdle). */
        if (p->watch_armed && !running && p->status == PROC_COMPLETED && exit_code_is_success(p))
                return PROC_WATCHING;
        return p->status;
}

static cJSON *add_time(cJSON *o, const char *key, usec_t t) {
        char buf[64];

        if (t == 0)
                return o;
        if (!format_rfc3339nano(buf, sizeof buf, t))
                return o;
        return cJSON_AddStringToObject(o, key, buf) ? o : NULL;
}

static cJSON *namespace_to_json(const Process *p) {
        char **ns = p->config ? p->config->namespaces : NULL;
        size_t n = strv_length(ns);

        if (n == 0)
                return cJSON_CreateString("default");
        if (n == 1)
                return cJSON_CreateString(ns[0]);
        return cJSON_CreateStringArray((const char *const *) ns, (int) n);
}

/**
 * process_state_to_json_at() - a process as process-compose's ProcessState (compat §3.3.1).
 * @p: the process
 * @derived: true for GET /process(es): Scheduled/Watching derived, last_activity_time added; false for the
 *           live events of the state stream (compat §3.5)
 * @now: realtime µs used for age and system_time of a running process
 *
 * Return: a new cJSON object with the fields in process-compose's order, or NULL on OOM.
 */
cJSON *process_state_to_json_at(const Process *p, bool derived, usec_t now) {
        const ComposeProcess *c = p->config;
        _cleanup_json_ cJSON *o = NULL;
        bool running = rest_status_is_running(p->status);
        ProcStatus status = derived ? process_derived_status(p) : p->status;
        char dur[32] = "-";
        usec_t age = 0;
        cJSON *ns;
        int64_t mem;
        double cpu;

        o = cJSON_CreateObject();
        if (!o)
                return NULL;

        if (p->start_time > 0) {
                /* Running: time since start. Ended: frozen at the end, as process-compose stops updating it. */
                usec_t until = running ? now : (p->end_time >= p->start_time ? p->end_time : now);
                age = until > p->start_time ? until - p->start_time : 0;
                format_human_duration(dur, sizeof dur, age);
        }

        /* the manager's cache (core/process-stats.h): never a bus call here. A daemon is -1 for both, as in
         * process-compose, whose process is the starter that has gone. */
        if (!p->start_time)
                mem = 0, cpu = 0;
        else if (c && c->is_daemon)
                mem = -1, cpu = -1;
        else
                mem = (int64_t) p->mem_bytes, cpu = p->cpu_percent;

        ns = namespace_to_json(p);
        if (!ns)
                return NULL;
        if (!cJSON_AddStringToObject(o, "name", p->name ?: "") ||
            !(cJSON_AddItemToObject(o, "namespace", ns), true) ||
            !cJSON_AddStringToObject(o, "status", rest_status_to_string(status) ?: "Pending") ||
            !cJSON_AddStringToObject(o, "system_time", dur) ||
            !cJSON_AddNumberToObject(o, "age", (double) age * 1000.0) ||
            !cJSON_AddStringToObject(o, "is_ready", rest_health_to_string(p->health)) ||
            !cJSON_AddBoolToObject(o, "has_ready_probe", c && (c->readiness_probe || c->liveness_probe)) ||
            !cJSON_AddNumberToObject(o, "restarts", p->restarts) ||
            !cJSON_AddNumberToObject(o, "exit_code", p->exit_code))
                return NULL;

        if (c && c->n_success_exit_codes > 0) {
                cJSON *a = cJSON_CreateIntArray(c->success_exit_codes, (int) c->n_success_exit_codes);
                if (!a)
                        return NULL;
                cJSON_AddItemToObject(o, "success_exit_codes", a);
        }

        if (!cJSON_AddNumberToObject(o, "pid", p->pid) ||
            !cJSON_AddBoolToObject(o, "is_elevated", c && c->is_elevated) ||
            !cJSON_AddBoolToObject(o, "password_provided", false) ||
            !cJSON_AddNumberToObject(o, "mem", (double) mem) ||
            !cJSON_AddNumberToObject(o, "cpu", cpu) ||
            !cJSON_AddBoolToObject(o, "is_running", running))
                return NULL;

        /* a scheduled process: its timer's next elapse (process-compose's field) and last (pcctl's) */
        if (!add_time(o, "next_run_time", p->next_run) || !add_time(o, "last_run_time", p->last_run))
                return NULL;
        /* max_concurrent above 1: how many runs go on, and their PIDs, oldest first (pid is the oldest's) */
        if (c && compose_schedule_is_set(c->schedule) && c->schedule->max_concurrent > 1 && !c->is_tty &&
            !c->is_interactive) {
                cJSON *pids = cJSON_AddArrayToObject(o, "run_pids");

                if (!cJSON_AddNumberToObject(o, "active_runs", p->active_runs) || !pids)
                        return NULL;
                for (unsigned i = 0; i < p->active_runs; i++) {
                        cJSON *n = cJSON_CreateNumber(p->run_pids[i]);
                        if (!n)
                                return NULL;
                        cJSON_AddItemToArray(pids, n);
                }
        }
        if (derived && !add_time(o, "last_activity_time", p->last_activity))
                return NULL;
        if (p->watch_armed && !cJSON_AddTrueToObject(o, "is_watched"))
                return NULL;
        if (p->watch_trigger_path &&
            (!cJSON_AddStringToObject(o, "watch_trigger_path", p->watch_trigger_path) ||
             !add_time(o, "watch_trigger_time", p->watch_trigger_time)))
                return NULL;
        if (!add_time(o, "process_start_time", p->start_time) ||
            !add_time(o, "process_ready_time", p->ready_time) ||
            !add_time(o, "process_end_time", p->end_time))
                return NULL;

        return TAKE_PTR(o);
}

cJSON *process_state_to_json(const Process *p, bool derived) {
        return process_state_to_json_at(p, derived, now_usec(CLOCK_REALTIME));
}

/**
 * project_state_to_json() - process-compose's ProjectState (compat §3.3.2).
 * @info: the project, its name and start time; with_memory adds memoryState
 * @procs: the processes (processNum, runningProcessNum)
 * @n: number of processes
 *
 * Return: a new cJSON object, or NULL on OOM.
 */
cJSON *project_state_to_json(const ProjectStateInfo *info, Process *const *procs, size_t n) {
        _cleanup_json_ cJSON *o = NULL;
        const ComposeProject *project = info->project;
        char start[64] = "", vbuf[64];
        struct passwd *pw;
        size_t running = 0;
        cJSON *files;
        usec_t now = now_usec(CLOCK_REALTIME);

        o = cJSON_CreateObject();
        if (!o)
                return NULL;

        files = cJSON_AddArrayToObject(o, "fileNames");
        if (!files)
                return NULL;
        STRV_FOREACH(f, project ? project->file_names : NULL) {
                cJSON *s = cJSON_CreateString(*f);
                if (!s)
                        return NULL;
                cJSON_AddItemToArray(files, s);
        }

        for (size_t i = 0; i < n; i++)
                if (rest_status_is_running(procs[i]->status))
                        running++;

        if (info->start_time > 0)
                format_rfc3339nano(start, sizeof start, info->start_time);
        pw = getpwuid(getuid());
        snprintf(vbuf, sizeof vbuf, "v%s", PCCTL_VERSION);

        if (!cJSON_AddNumberToObject(o, "upTime",
                                     info->start_time && now > info->start_time ?
                                     (double) (now - info->start_time) * 1000.0 : 0) ||
            !cJSON_AddStringToObject(o, "startTime", start[0] ? start : "0001-01-01T00:00:00Z") ||
            !cJSON_AddNumberToObject(o, "processNum", (double) n) ||
            !cJSON_AddNumberToObject(o, "runningProcessNum", (double) running) ||
            !cJSON_AddStringToObject(o, "userName", pw && pw->pw_name ? pw->pw_name : "") ||
            !cJSON_AddStringToObject(o, "version", info->version ?: vbuf) ||
            !cJSON_AddStringToObject(o, "projectName", info->project_name ?: ""))
                return NULL;

        if (info->with_memory) {
                /* process-compose reports its Go heap in MB; ours is the malloc heap and the RSS. */
                struct mallinfo2 mi = mallinfo2();
                unsigned long long rss_kb = 0;
                _cleanup_fclose_ FILE *f = fopen("/proc/self/status", "re");
                char line[256];
                cJSON *m;

                while (f && fgets(line, sizeof line, f))
                        if (sscanf(line, "VmRSS: %llu kB", &rss_kb) == 1)
                                break;

                m = cJSON_AddObjectToObject(o, "memoryState");
                if (!m ||
                    !cJSON_AddNumberToObject(m, "allocated", (double) (mi.uordblks / (1024 * 1024))) ||
                    !cJSON_AddNumberToObject(m, "totalAllocated", (double) (mi.arena / (1024 * 1024))) ||
                    !cJSON_AddNumberToObject(m, "systemMemory", (double) (rss_kb / 1024)) ||
                    !cJSON_AddNumberToObject(m, "gcCycles", 0))
                        return NULL;
        }

        return TAKE_PTR(o);
}

/* GET /graph's short condition names (process-compose's DependencyLink.Type). */
static const char *condition_short(ComposeCondition c) {
        switch (c) {
        case COMPOSE_CONDITION_PROCESS_COMPLETED:
                return "completed";
        case COMPOSE_CONDITION_PROCESS_COMPLETED_SUCCESSFULLY:
                return "completed_successfully";
        case COMPOSE_CONDITION_PROCESS_HEALTHY:
                return "healthy";
        case COMPOSE_CONDITION_PROCESS_LOG_READY:
                return "log_ready";
        default:
                return "started";
        }
}

/* Graph depth is bounded by the number of processes on an acyclic graph; the limit only guards against a
 * cycle that slipped past validation (a live update), which would otherwise recurse forever. */
#define GRAPH_DEPTH_MAX 64

static Process *graph_find(Process *const *procs, size_t n, const char *name) {
        for (size_t i = 0; i < n; i++)
                if (procs[i]->name && streq(procs[i]->name, name))
                        return procs[i];
        return NULL;
}

static cJSON *graph_node(Process *const *procs, size_t n, const Process *p, unsigned depth) {
        _cleanup_json_ cJSON *o = cJSON_CreateObject();
        const ComposeProcess *c = p->config;
        cJSON *deps = NULL;

        if (!o ||
            !cJSON_AddStringToObject(o, "name", p->name ?: "") ||
            !cJSON_AddStringToObject(o, "process_status", rest_status_to_string(p->status) ?: "Pending") ||
            !cJSON_AddStringToObject(o, "is_ready", rest_health_to_string(p->health)))
                return NULL;

        for (size_t i = 0; c && depth < GRAPH_DEPTH_MAX && i < c->n_depends_on; i++) {
                const ComposeDependency *d = &c->depends_on[i];
                Process *dp = graph_find(procs, n, d->name);
                cJSON *child;

                if (!dp)
                        continue;
                if (!deps) {
                        deps = cJSON_AddObjectToObject(o, "depends_on");
                        if (!deps)
                                return NULL;
                }
                child = graph_node(procs, n, dp, depth + 1);
                if (!child)
                        return NULL;
                if (!cJSON_AddStringToObject(child, "dependency_type",
                                             condition_short(d->condition))) {
                        cJSON_Delete(child);
                        return NULL;
                }
                cJSON_DeleteItemFromObjectCaseSensitive(deps, d->name);
                cJSON_AddItemToObject(deps, d->name, child);
        }
        return TAKE_PTR(o);
}

static bool graph_is_depended_on(Process *const *procs, size_t n, const Process *p) {
        for (size_t i = 0; i < n; i++) {
                const ComposeProcess *c = procs[i]->config;

                for (size_t j = 0; c && j < c->n_depends_on; j++)
                        if (p->name && streq(c->depends_on[j].name, p->name))
                                return true;
        }
        return false;
}

static bool graph_has_deps(Process *const *procs, size_t n, const Process *p) {
        const ComposeProcess *c = p->config;

        for (size_t j = 0; c && j < c->n_depends_on; j++)
                if (graph_find(procs, n, c->depends_on[j].name))
                        return true;
        return false;
}

/**
 * graph_to_json() - process-compose's DependencyGraph (compat §3.3.5).
 * @procs: the processes
 * @n: number of processes
 *
 * Only leaves (processes nobody depends on) that have dependencies appear under "nodes", each with its
 * recursive depends_on; dependencies on processes that do not exist are left out.
 *
 * Return: a new cJSON object, or NULL on OOM.
 */
cJSON *graph_to_json(Process *const *procs, size_t n) {
        _cleanup_json_ cJSON *o = cJSON_CreateObject();
        cJSON *nodes;

        if (!o)
                return NULL;
        nodes = cJSON_AddObjectToObject(o, "nodes");
        if (!nodes)
                return NULL;

        for (size_t i = 0; i < n; i++) {
                cJSON *node;

                /* Leaves only; a process with neither dependencies nor dependents is omitted. */
                if (graph_is_depended_on(procs, n, procs[i]) || !graph_has_deps(procs, n, procs[i]))
                        continue;
                node = graph_node(procs, n, procs[i], 0);
                if (!node)
                        return NULL;
                cJSON_AddItemToObject(nodes, procs[i]->name ?: "", node);
        }
        return TAKE_PTR(o);
}
