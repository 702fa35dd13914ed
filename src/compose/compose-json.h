/* process-compose's JSON shapes of a process and a project, with cJSON.
 *
 * ProcessConfig (compat §3.3.3): camelCase keys, integer enums, every key omitted when empty except
 * restartPolicy and shutDownParams; never a PascalCase key. Used by GET /process/info and POST /process.
 * Project (compat §3.3.6): Go field names (no JSON tags), matched case-insensitively on input; its
 * Processes map holds ProcessConfig objects. Used by POST /project and `pcctl project update`. */
#pragma once

#include <cjson/cJSON.h>

#include "compose/compose.h"

/**
 * compose_process_to_json() - a process as ProcessConfig.
 * @p: the process
 *
 * Return: a new cJSON object, or NULL on OOM.
 */
cJSON *compose_process_to_json(const ComposeProcess *p);

/**
 * compose_process_from_json() - a ProcessConfig object into a new process.
 * @json: the object
 * @ret: set to the new process
 * @ret_error: set to a message naming the bad key on -EINVAL, or saying the name is missing on -ENOENT;
 *             may be NULL
 *
 * Keys are matched case-insensitively; unknown keys are ignored (Go's encoding/json). Missing values get
 * the loader's defaults; name (or replicaName) must be present. The types are checked before the name, so
 * -ENOENT means the object decoded well but names no process.
 *
 * Return: 0, -EINVAL for a wrong type, -ENOENT when neither name nor replicaName is set, -ENOMEM.
 */
int compose_process_from_json(const cJSON *json, ComposeProcess **ret, char **ret_error);

/**
 * compose_project_to_json() - a project as process-compose's Project (Go field names).
 * @p: the project
 *
 * Return: a new cJSON object, or NULL on OOM.
 */
cJSON *compose_project_to_json(const ComposeProject *p);

/**
 * compose_project_from_json() - a Project object (POST /project) into a new project.
 * @json: the object
 * @ret: set to the new project
 * @ret_error: set to a message on -EINVAL; may be NULL
 *
 * The processes are taken as they are (the client already ran the loader); the result is validated
 * (dependencies, cycles) like a loaded file.
 *
 * Return: 0, -EINVAL, -ENOMEM.
 */
int compose_project_from_json(const cJSON *json, ComposeProject **ret, char **ret_error);
