/* Pure rendering of API answers for the client verbs, as process-compose's CLI prints them.
 *
 * Everything here takes parsed JSON (cJSON) and writes text to a FILE (or returns a string): no I/O
 * besides that, no logging, so it is unit-tested with fixtures. Colour is the caller's choice. */
#pragma once

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdio.h>

#include "shared/macro.h"

/* Deepest dependency chain the graph renderers follow (the JSON parser already caps nesting). */
#define CLIENT_GRAPH_DEPTH_MAX 256

/* JSON as Go's json.MarshalIndent(v, "", indent) writes it: `"key": value`, one member per line, "[]"/"{}"
 * for empty containers, <, >, & and U+2028/U+2029 escaped as \u003c etc., integers without exponent. */
int client_json_print_go(FILE *f, const cJSON *j, const char *indent);

/* Sorts a state array (GET /processes "data") by "name", bytewise, in place. */
void client_states_sort(cJSON *states);

/* The namespace column of a ProcessState: a string, or an array joined by ", "; "default" if empty. */
int client_state_namespace(const cJSON *state, char **ret);

/* The `-o wide` table: PID NAME NAMESPACE STATUS AGE HEALTH RESTARTS EXITCODE, each column padded to its
 * widest cell and followed by three spaces (as process-compose prints it, trailing spaces included). */
int client_states_print_table(FILE *f, const cJSON *states);

/* The readiness predicate of compat §2.8 for one ProcessState. *ret_reason is NULL or the explanation
 * ("status is Pending", "health is Unknown", "failed with exit code 3", "process is disabled"). */
int client_state_ready(const cJSON *state, bool *ret_ready, char **ret_reason);

/* For a state array: NULL in *ret when every process is ready, else "processes are not ready:\n• a (why)\n• b
 * (why)" without a trailing newline, in array order. */
int client_not_ready_message(const cJSON *states, char **ret);

/* The answer of PATCH /processes/stop ({"a":"ok","b":"<error>"}) for the names asked, as `process stop`
 * prints it (concise or verbose). *ret_exit is 0 only when every name is "ok". */
int client_stop_result(const cJSON *result, char * const *names, bool verbose, bool color, char **ret_text,
                       int *ret_exit);

/* `graph` renderers for a DependencyGraph (compat §3.3.5). */
int client_graph_print_ascii(FILE *f, const cJSON *graph);
int client_graph_print_mermaid(FILE *f, const cJSON *graph);
/* Go's MarshalIndent(graph, "", "  "): map keys (nodes, depends_on) sorted, node fields in struct order. */
int client_graph_print_json(FILE *f, const cJSON *graph);

/* `project state`: the key/value listing of a ProjectState. */
int client_project_state_print(FILE *f, const cJSON *state, bool color);

/* Go's time.Duration.Round(time.Second).String() for a duration in nanoseconds: "0s", "5s", "1m30s",
 * "2h0m5s". */
int client_go_duration_seconds(double ns, char **ret);

/* The `project update -v` table from the status map {"web":"updated",...}, sorted by name. */
int client_update_print_table(FILE *f, const cJSON *status);
