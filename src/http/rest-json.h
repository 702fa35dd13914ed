/* process-compose's JSON shapes of the runtime state (compat §3.3): ProcessState, ProjectState and
 * DependencyGraph, built with cJSON from the manager's Process structs. Pure functions: they read the structs
 * and the clock, nothing else, so the REST handlers, the WebSocket state stream and the tests share them.
 * ProcessConfig (§3.3.3) lives in compose/compose-json.h. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "core/process.h"
#include "shared/json-util.h"
#include "shared/time-util.h"

typedef struct ComposeProject ComposeProject;

/* The status string of compat §2.1 ("Pending", ...); NULL for an out-of-range value. Independent of core's
 * proc_status_to_string() so that this module stays free of the manager. */
const char *rest_status_to_string(ProcStatus s);
/* "-", "Ready", "Not Ready". */
const char *rest_health_to_string(ProcHealth h);
/* True for Running, Launching, Launched (process-compose's is_running). */
bool rest_status_is_running(ProcStatus s);

/* The status as GET /process(es) shows it: Scheduled/Watching derived from the configuration (compat §2.1). */
ProcStatus process_derived_status(const Process *p);

cJSON *process_state_to_json_at(const Process *p, bool derived, usec_t now);
cJSON *process_state_to_json(const Process *p, bool derived);

typedef struct ProjectStateInfo {
        const ComposeProject *project;   /* may be NULL: fileNames becomes [] */
        const char *project_name;        /* "<host>/<name>" */
        usec_t start_time;               /* realtime µs */
        const char *version;             /* NULL: pcctl's version */
        bool with_memory;
} ProjectStateInfo;

cJSON *project_state_to_json(const ProjectStateInfo *info, Process *const *procs, size_t n);

/* DependencyGraph: leaves (processes nobody depends on, with dependencies) and their recursive depends_on. */
cJSON *graph_to_json(Process *const *procs, size_t n);
