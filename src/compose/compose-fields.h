/* Internal: shorthands for writing field table rows (compose-fields*.c). */
#pragma once

#include "compose/compose-table.h"

#define ROW(y, j, t, type_, member, ...)                                                                \
        { .yaml = y, .json = j, .type = COMPOSE_FIELD_##type_, .offset = offsetof(t, member), __VA_ARGS__ }
#define NO_KEY(t, type_, member, ...) ROW(NULL, NULL, t, type_, member, __VA_ARGS__)

#define COUNT(t, member) .aux = offsetof(t, member)
#define POS(t, member) .aux = offsetof(t, member)
#define KEEP .merge = COMPOSE_MERGE_KEEP
#define APPEND .merge = COMPOSE_MERGE_APPEND
#define REPLACE .merge = COMPOSE_MERGE_REPLACE
#define ALWAYS .flags = COMPOSE_FIELD_JSON_ALWAYS
#define NO_DUMP .flags = COMPOSE_FIELD_YAML_NO_DUMP
#define SUB(table) .sub = &(table)
#define OPS(...) .ops = &(const ComposeFieldOps) { __VA_ARGS__ }


/* Shared sub-tables. */
extern const ComposeTable compose_log_config_table;

/* Callbacks of the process keys with rules of their own (compose-fields-ops.c). */
extern const ComposeFieldOps compose_depends_on_ops;
extern const ComposeFieldOps compose_exit_codes_ops;
extern const ComposeFieldOps compose_x_systemd_ops;
