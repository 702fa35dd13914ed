/* `pcctl analyze critical-chain`: the startup chains of a running project, from its own API answers.
 *
 * Pure: the three JSON documents in (GET /project/state, GET /processes's "data", GET /graph), text out, so
 * the format is tested with golden strings (tests/unit/test-client-chain.c). The layout is
 * process-compose's `analyze critical-chain`, itself systemd-analyze's: a header, then one tree per process
 * that nothing depends on (slowest first), each process followed by its dependencies (latest ready first):
 *
 *     The time when unit became ready is printed after the "@" character.
 *     The time the unit took to become ready is printed after the "+" character.
 *
 *     Project: myproj
 *     Started: 2026-12-02T14:00:00Z
 *     Up time: 12.345s
 *
 *     api @3.112s +1.004s
 *     ├─cache @2.101s +1.003s
 *     │ └─base @1.098s +1.052s
 *     └─worker @47ms
 *       └─base @1.098s +1.052s
 *     lone @40ms
 *
 * "@" is the ready time after the project's start (the start time for a process without a readiness
 * signal, which is ready when it starts), "+" the time from start to ready when there is one. A process
 * that started but is not ready shows "@<start> (not ready)", one that never started "(not started)";
 * Error and Skipped are marked "[Error]", other statuses but Running and Completed "[<status>]". With colour
 * (a terminal), a process that took time to become ready is red, as systemd-analyze marks the slow units,
 * and the labels of the header are green, as process-compose prints them. */
#pragma once

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Nesting deeper than this is refused (-ELOOP); acyclic graphs are far shallower. */
#define CLIENT_CHAIN_DEPTH_MAX 256

/**
 * client_critical_chain_print() - print the critical chains
 * @f: where to
 * @project: GET /project/state (projectName, startTime, upTime)
 * @states: the "data" array of GET /processes
 * @graph: GET /graph
 * @names: the processes to start from (NULL or empty: every process that nothing depends on, and the
 *         processes outside the graph)
 * @color: ANSI colours
 * @ret_unknown: with -ENOENT, the name in @names that is no process (borrowed from @names)
 *
 * Return: 0; -ENOENT for an unknown name; -ELOOP for a graph nested too deep; -ENOMEM.
 */
int client_critical_chain_print(FILE *f, const cJSON *project, const cJSON *states, const cJSON *graph,
                                char * const *names, bool color, const char **ret_unknown);

/* process-compose's critical-chain durations: "512ns", "12us", "345ms", "1.234s"; negative: "?". */
void client_chain_format_duration(int64_t ns, char *buf, size_t size);
/* The same, with whole minutes first from one minute on: "2min 3.456s". */
void client_chain_format_offset(int64_t ns, char *buf, size_t size);
/* Go's time.Duration.String() of ns rounded to the millisecond: "0s", "345ms", "1m2.5s", "1h0m0.001s". */
void client_chain_format_uptime(int64_t ns, char *buf, size_t size);
/* An RFC 3339 time with optional fraction (up to nanoseconds) → ns since the epoch; -EINVAL if it is not one. */
int client_chain_parse_time(const char *s, int64_t *ret);
