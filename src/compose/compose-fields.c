/* The field tables of the compose model: one row per key (see compose-table.h), in the order of
 * process-compose's JSON. Adding a key: add its member to compose.h, one row here, and its docs. Fields that
 * no generic type describes have callbacks below the tables that use them. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compose/compose-fields.h"
#include "compose/compose-json.h"
#include "shared/strv.h"

static const char TUI_ONLY[] = "only affects process-compose's terminal UI; pcctl accepts and ignores it";

/* ---- probes ---- */

static const ComposeField exec_rows[] = {
        ROW("command", "command", ComposeProbeExec, STRING, command),
        ROW("working_dir", "workingDir", ComposeProbeExec, STRING, working_dir),
};
static const COMPOSE_TABLE(exec_table, ComposeProbeExec, exec_rows);

static const ComposeField http_rows[] = {
        ROW("host", "host", ComposeProbeHttp, STRING, host),
        ROW("path", "path", ComposeProbeHttp, STRING, path),
        ROW("scheme", "scheme", ComposeProbeHttp, STRING, scheme),
        ROW("port", "port", ComposeProbeHttp, STRING, port),
        ROW("num_port", "numPort", ComposeProbeHttp, INT, num_port, NO_DUMP), /* computed from port */
        ROW("headers", "headers", ComposeProbeHttp, KV, headers, COUNT(ComposeProbeHttp, n_headers)),
        ROW("status_code", "statusCode", ComposeProbeHttp, INT, status_code),
};
static const COMPOSE_TABLE(http_table, ComposeProbeHttp, http_rows);

static void probe_json_decoded(void *p) {
        compose_probe_apply_defaults(p);
}

static const ComposeField probe_rows[] = {
        ROW("exec", "exec", ComposeProbe, OBJECT, exec, SUB(exec_table)),
        ROW("http_get", "httpGet", ComposeProbe, OBJECT, http_get, SUB(http_table)),
        ROW("initial_delay_seconds", "initialDelay", ComposeProbe, INT, initial_delay_seconds),
        ROW("period_seconds", "periodSeconds", ComposeProbe, INT, period_seconds),
        ROW("timeout_seconds", "timeoutSeconds", ComposeProbe, INT, timeout_seconds),
        ROW("success_threshold", "successThreshold", ComposeProbe, INT, success_threshold),
        ROW("failure_threshold", "failureThreshold", ComposeProbe, INT, failure_threshold),
};
static const COMPOSE_TABLE(probe_table, ComposeProbe, probe_rows, .json_decoded = probe_json_decoded);

/* ---- logging ---- */

static const ComposeField rotation_rows[] = {
        ROW("directory", "directory", ComposeLogRotation, STRING, directory),
        ROW("filename", "filename", ComposeLogRotation, STRING, filename),
        ROW("max_size_mb", "maxSize", ComposeLogRotation, INT, max_size_mb),
        ROW("max_backups", "maxBackups", ComposeLogRotation, INT, max_backups),
        ROW("max_age_days", "maxAge", ComposeLogRotation, INT, max_age_days),
        ROW("compress", "compress", ComposeLogRotation, BOOL, compress),
};
static const COMPOSE_TABLE(rotation_table, ComposeLogRotation, rotation_rows);

static const ComposeField log_config_rows[] = {
        ROW("rotation", "rotation", ComposeLogConfig, OBJECT, rotation, SUB(rotation_table)),
        ROW("fields_order", "fieldsOrder", ComposeLogConfig, STRV, fields_order, APPEND),
        ROW("disable_json", "disableJSON", ComposeLogConfig, BOOL, disable_json),
        ROW("timestamp_format", "timestampFormat", ComposeLogConfig, STRING, timestamp_format),
        ROW("no_color", "noColor", ComposeLogConfig, BOOL, no_color),
        ROW("no_metadata", "noMetadata", ComposeLogConfig, BOOL, no_metadata),
        ROW("add_timestamp", "addTimestamp", ComposeLogConfig, BOOL, add_timestamp),
        ROW("flush_each_line", "flushEachLine", ComposeLogConfig, BOOL, flush_each_line),
};
const COMPOSE_TABLE(compose_log_config_table, ComposeLogConfig, log_config_rows);

/* ---- availability (an enum by name in YAML, by number in JSON) ---- */

static int restart_decode_yaml(ComposeDecoder *d, const ComposeField *f, const YamlNode *key, const YamlNode *n,
                               void *obj) {
        const char *s;
        ComposeRestart rp;
        int r = compose_decode_visit(d, n);

        if (r < 0)
                return r;
        if (n->type != YAML_NODE_SCALAR)
                return compose_decode_type_error(d, n, key->value, "a string");
        s = n->is_null ? "" : n->value;
        rp = compose_restart_from_string(s);
        if (rp < 0)
                return compose_error_set(d->error, -EINVAL, d->file, n->line, n->column,
                                         "invalid restart policy: \"%s\"", s);
        *(int *) compose_field_ptr(f, obj) = rp;
        return 0;
}

static int restart_decode_json(const ComposeField *f, const cJSON *v, void *obj, char **e) {
        int restart = 0, r = compose_json_int(v, f->json, &restart, e);
        if (r < 0)
                return r;
        if (restart < 0 || restart >= _COMPOSE_RESTART_MAX)
                return compose_json_error(e, "invalid restart policy: %d", restart);
        *(int *) compose_field_ptr(f, obj) = restart;
        return 0;
}

static void restart_emit(const ComposeField *f, const void *obj, ComposeEmitter *m) {
        compose_emit_plain(m, f->yaml);
        compose_emit_str(m, strempty(compose_restart_to_string(*(const int *) compose_field_cptr(f, obj))));
}

static const ComposeField availability_rows[] = {
        ROW("restart", "restart", ComposeAvailability, INT, restart,
            OPS(.decode_yaml = restart_decode_yaml, .decode_json = restart_decode_json, .emit_yaml = restart_emit)),
        ROW("backoff_seconds", "backoffSeconds", ComposeAvailability, INT, backoff_seconds),
        ROW("max_restarts", "maxRestarts", ComposeAvailability, INT, max_restarts),
        ROW("exit_on_end", "exitOnEnd", ComposeAvailability, BOOL, exit_on_end),
        ROW("exit_on_skipped", "exitOnSkipped", ComposeAvailability, BOOL, exit_on_skipped),
};
static const COMPOSE_TABLE(availability_table, ComposeAvailability, availability_rows);

static const ComposeField shutdown_rows[] = {
        ROW("command", "shutDownCommand", ComposeShutdown, STRING, command),
        ROW("timeout_seconds", "shutDownTimeout", ComposeShutdown, INT, timeout_seconds),
        ROW("signal", "signal", ComposeShutdown, INT, signal),
        ROW("parent_only", "parentOnly", ComposeShutdown, BOOL, parent_only),
        ROW("send_keys", "sendKeys", ComposeShutdown, STRING, send_keys),
};
static const COMPOSE_TABLE(shutdown_table, ComposeShutdown, shutdown_rows);

/* ---- schedule and watch (durations: the text as written plus its parsed value) ---- */

static int interval_decode_yaml(ComposeDecoder *d, const ComposeField *f, const YamlNode *key, const YamlNode *n,
                                void *obj) {
        ComposeSchedule *s = obj;
        int64_t ns;
        int r = compose_decode_string(d, n, key->value, &s->interval);

        if (r < 0 || isempty(s->interval))
                return r;
        if (parse_go_duration(s->interval, &ns) < 0 || ns < 0)
                return compose_error_set(d->error, -EINVAL, d->file, n->line, n->column,
                                         "'interval' must be a duration such as \"30s\" or \"1h30m\", got \"%s\"",
                                         s->interval);
        s->interval_usec = (usec_t) ns / 1000;
        return 0;
}

static int interval_decode_json(const ComposeField *f, const cJSON *v, void *obj, char **e) {
        ComposeSchedule *s = obj;
        int64_t ns;

        if (!cJSON_IsString(v))
                return compose_json_error(e, "'%s' must be a string", f->json);
        if (free_and_strdup(&s->interval, v->valuestring) < 0)
                return -ENOMEM;
        if (isempty(s->interval))
                return 0;
        if (parse_go_duration(s->interval, &ns) < 0 || ns < 0)
                return compose_json_error(e, "'interval' must be a duration");
        s->interval_usec = (usec_t) ns / 1000;
        return 0;
}

static int interval_merge(const ComposeField *f, void *base, void *over) {
        ComposeSchedule *b = base, *o = over;

        if (isempty(o->interval))
                return 0;
        b->interval_usec = o->interval_usec;
        free(b->interval);
        b->interval = TAKE_PTR(o->interval);
        return 0;
}

static const ComposeField schedule_rows[] = {
        ROW("cron", "cron", ComposeSchedule, STRING, cron, POS(ComposeSchedule, pos_cron)),
        ROW("timezone", "timezone", ComposeSchedule, STRING, timezone, POS(ComposeSchedule, pos_timezone)),
        ROW("interval", "interval", ComposeSchedule, STRING, interval,
            OPS(.decode_yaml = interval_decode_yaml, .decode_json = interval_decode_json, .merge = interval_merge)),
        ROW("run_on_start", "run_on_start", ComposeSchedule, BOOL, run_on_start),
        ROW("max_concurrent", "max_concurrent", ComposeSchedule, INT, max_concurrent),
        NO_KEY(ComposeSchedule, USEC, interval_usec, KEEP),
        NO_KEY(ComposeSchedule, POS, pos_cron, KEEP),
        NO_KEY(ComposeSchedule, POS, pos_timezone, KEEP),
};
static const COMPOSE_TABLE(schedule_table, ComposeSchedule, schedule_rows);

static const ComposeField watch_path_rows[] = {
        ROW("path", "path", ComposeWatchPath, STRING, path, ALWAYS),
        ROW("include", "include", ComposeWatchPath, STRV, include, REPLACE),
        ROW("exclude", "exclude", ComposeWatchPath, STRV, exclude, REPLACE),
        NO_KEY(ComposeWatchPath, POS, pos, KEEP),
};
static const COMPOSE_TABLE(watch_path_table, ComposeWatchPath, watch_path_rows,
                           .pos_offset = offsetof(ComposeWatchPath, pos));

/* In YAML the loader parses debounce when it validates the watch; JSON brings it parsed. */
static int debounce_decode_json(const ComposeField *f, const cJSON *v, void *obj, char **e) {
        ComposeWatch *w = obj;
        int64_t ns;

        if (!cJSON_IsString(v))
                return compose_json_error(e, "'%s' must be a string", f->json);
        if (free_and_strdup(&w->debounce, v->valuestring) < 0)
                return -ENOMEM;
        if (!isempty(w->debounce) && parse_go_duration(w->debounce, &ns) >= 0 && ns > 0)
                w->debounce_usec = (usec_t) ns / 1000;
        return 0;
}

static const ComposeField watch_rows[] = {
        ROW("paths", "paths", ComposeWatch, ARRAY, paths, COUNT(ComposeWatch, n_paths), SUB(watch_path_table)),
        ROW("cascade", "cascade", ComposeWatch, BOOL, cascade),
        ROW("debounce", "debounce", ComposeWatch, STRING, debounce, OPS(.decode_json = debounce_decode_json)),
        ROW("max_entries", "max_entries", ComposeWatch, INT, max_entries),
        ROW("buffer_size", "buffer_size", ComposeWatch, INT, buffer_size),
        ROW("disable_default_excludes", "disable_default_excludes", ComposeWatch, BOOL, disable_default_excludes),
        NO_KEY(ComposeWatch, USEC, debounce_usec, KEEP),
};
static const COMPOSE_TABLE(watch_table, ComposeWatch, watch_rows);

/* ---- process: identity (JSON falls back to the unique name) ---- */

static bool base_name_encode(const ComposeField *f, const void *obj, cJSON *o) {
        const ComposeProcess *p = obj;
        return compose_json_add_str(o, f->json, p->base_name ?: p->name);
}

static bool replica_name_encode(const ComposeField *f, const void *obj, cJSON *o) {
        const ComposeProcess *p = obj;
        return compose_json_add_str(o, f->json, p->replica_name ?: p->name);
}

/* ---- process: namespace (a string or a list; JSON shows one as a string, as MarshalJSON does) ---- */

static int namespace_decode_yaml(ComposeDecoder *d, const ComposeField *f, const YamlNode *key, const YamlNode *n,
                                 void *obj) {
        ComposeProcess *p = obj;
        int r = compose_decode_visit(d, n);

        if (r < 0)
                return r;
        if (n->type == YAML_NODE_SEQ)
                return compose_decode_strv(d, n, key->value, &p->namespaces);
        if (n->type != YAML_NODE_SCALAR)
                return compose_decode_type_error(d, n, key->value, "a string or a list of strings");
        p->namespaces = strv_free(p->namespaces);
        if (!n->is_null && n->len > 0)
                return strv_extend(&p->namespaces, n->value);
        return 0;
}

static void namespace_emit(const ComposeField *f, const void *obj, ComposeEmitter *m) {
        const ComposeProcess *p = obj;
        size_t n = strv_length(p->namespaces);

        if (n == 0)
                return;
        compose_emit_plain(m, f->yaml);
        if (n == 1) {
                compose_emit_str(m, p->namespaces[0]);
                return;
        }
        compose_emit_begin(m, false);
        STRV_FOREACH(s, p->namespaces)
                compose_emit_str(m, *s);
        compose_emit_end(m, false);
}

static bool namespace_encode(const ComposeField *f, const void *obj, cJSON *o) {
        const ComposeProcess *p = obj;
        if (strv_length(p->namespaces) == 1)
                return compose_json_add_str(o, f->json, p->namespaces[0]);
        return compose_json_add_strv(o, f->json, p->namespaces);
}

static int namespace_decode_json(const ComposeField *f, const cJSON *v, void *obj, char **e) {
        ComposeProcess *p = obj;
        if (cJSON_IsString(v))
                return *v->valuestring ? strv_extend(&p->namespaces, v->valuestring) : 0;
        return compose_json_strv(v, f->json, &p->namespaces, e);
}

/* ---- process: TUI-only monitor settings (a string in YAML, an enum and nanoseconds in JSON) ---- */

static int monitor_for_decode_yaml(ComposeDecoder *d, const ComposeField *f, const YamlNode *key, const YamlNode *n,
                                   void *obj) {
        ComposeProcess *p = obj;
        int r = compose_decode_string(d, n, key->value, &p->monitor_for);

        if (r >= 0 && p->monitor_for && !streq(p->monitor_for, "") && !streq(p->monitor_for, "none") &&
            !streq(p->monitor_for, "activity") && !streq(p->monitor_for, "silence"))
                return compose_error_set(d->error, -EINVAL, d->file, n->line, n->column,
                                         "invalid monitor_for value: \"%s\"", p->monitor_for);
        return r;
}

static bool monitor_for_encode(const ComposeField *f, const void *obj, cJSON *o) {
        const char *s = ((const ComposeProcess *) obj)->monitor_for;
        return compose_json_add_int(o, f->json, streq_ptr(s, "activity") ? 1 : streq_ptr(s, "silence") ? 2 : 0);
}

static int monitor_for_decode_json(const ComposeField *f, const cJSON *v, void *obj, char **e) {
        ComposeProcess *p = obj;
        int mf = 0, r = compose_json_int(v, f->json, &mf, e);
        if (r < 0)
                return r;
        if (mf == 1 || mf == 2)
                return free_and_strdup(&p->monitor_for, mf == 1 ? "activity" : "silence");
        return 0;
}

static bool silence_encode(const ComposeField *f, const void *obj, cJSON *o) {
        const char *s = ((const ComposeProcess *) obj)->monitor_silence_threshold;
        int64_t ns;
        if (isempty(s) || parse_go_duration(s, &ns) < 0)
                return true;
        return compose_json_add_int(o, f->json, ns);
}

/* already rendered: must not be rendered again when the dump is loaded */
static void emit_true(const ComposeField *f, const void *obj, ComposeEmitter *m) {
        compose_emit_plain(m, f->yaml);
        compose_emit_plain(m, "true");
}

/* ---- the process ---- */

static int process_unknown_key(ComposeDecoder *d, const YamlNode *key, const YamlNode *value, void *obj) {
        if (startswith(key->value, "x-"))
                return 0;
        return compose_findings_add(d->findings, d->file, key->line, key->column,
                                    "unknown key '%s' found in process '%s'", key->value,
                                    ((ComposeProcess *) obj)->name);
}

#define P ComposeProcess
static const ComposeField process_rows[] = {
        ROW("name", "name", P, STRING, base_name, KEEP, .flags = COMPOSE_FIELD_YAML_COMPUTED,
            OPS(.encode_json = base_name_encode)),
        ROW("extends", "extends", P, STRING, extends, NO_DUMP),
        ROW("disabled", "disabled", P, BOOL, disabled),
        ROW("is_daemon", "isDaemon", P, BOOL, is_daemon),
        ROW("command", "command", P, STRING, command),
        ROW("entrypoint", "entrypoint", P, STRV, entrypoint, APPEND),
        ROW("log_location", "logLocation", P, STRING, log_location, POS(P, pos_log_location)),
        ROW("log_configuration", "loggerConfig", P, OBJECT, log_configuration, SUB(compose_log_config_table)),
        ROW("environment", "environment", P, ENV, environment),
        ROW("env_file", "envFile", P, STRING, env_file, POS(P, pos_env_file)),
        ROW("availability", "restartPolicy", P, STRUCT, availability, SUB(availability_table)),
        ROW("depends_on", "dependsOn", P, NONE, depends_on, .flags = COMPOSE_FIELD_NULL_SKIPS, .ops = &compose_depends_on_ops),
        ROW("liveness_probe", "livenessProbe", P, OBJECT, liveness_probe, SUB(probe_table)),
        ROW("readiness_probe", "readinessProbe", P, OBJECT, readiness_probe, SUB(probe_table)),
        ROW("ready_log_line", "readyLogLine", P, STRING, ready_log_line),
        ROW("shutdown", "shutDownParams", P, STRUCT, shutdown, SUB(shutdown_table)),
        ROW("disable_ansi_colors", "disableAnsiColors", P, BOOL, disable_ansi_colors, NO_DUMP, .note = TUI_ONLY),
        ROW("working_dir", "workingDir", P, STRING, working_dir, POS(P, pos_working_dir)),
        ROW("namespace", "namespace", P, STRV, namespaces, REPLACE,
            OPS(.decode_yaml = namespace_decode_yaml, .encode_json = namespace_encode,
                .decode_json = namespace_decode_json, .emit_yaml = namespace_emit)),
        ROW("replicas", "replicas", P, INT, replicas, NO_DUMP), /* expanded */
        ROW("x-systemd", "extensions", P, NONE, x_systemd, .flags = COMPOSE_FIELD_NULL_SKIPS, .ops = &compose_x_systemd_ops),
        ROW("description", "description", P, STRING, description),
        ROW("vars", "vars", P, VARS, vars, COUNT(P, n_vars), NO_DUMP), /* rendered */
        ROW("is_foreground", "isForeground", P, BOOL, is_foreground),
        ROW("is_tty", "isTty", P, BOOL, is_tty),
        ROW("is_elevated", "isElevated", P, BOOL, is_elevated),
        ROW("is_interactive", "isInteractive", P, BOOL, is_interactive),
        ROW("launch_timeout_seconds", "launchTimeout", P, INT, launch_timeout_seconds),
        ROW("is_disabled", "isDisabled", P, STRING, is_disabled, NO_DUMP), /* in disabled */
        ROW("is_dotenv_disabled", "disableDotEnv", P, BOOL, is_dotenv_disabled),
        ROW("original_config", "originalConfig", P, STRING, original_config, KEEP,
            .flags = COMPOSE_FIELD_YAML_COMPUTED),
        ROW("replica_num", "replicaNum", P, INT, replica_num, KEEP, .flags = COMPOSE_FIELD_YAML_COMPUTED),
        ROW("replica_name", "replicaName", P, STRING, replica_name, KEEP, .flags = COMPOSE_FIELD_YAML_COMPUTED,
            OPS(.encode_json = replica_name_encode)),
        ROW("executable", "executable", P, STRING, executable, KEEP, .flags = COMPOSE_FIELD_YAML_COMPUTED),
        ROW("args", "args", P, STRV, args, APPEND, .flags = COMPOSE_FIELD_YAML_COMPUTED),
        ROW("schedule", "schedule", P, OBJECT, schedule, SUB(schedule_table)),
        ROW("watch", "watch", P, OBJECT, watch, SUB(watch_table)),
        ROW("mcp", "mcp", P, JSON_TEXT, mcp, NO_DUMP,
            .note = "(MCP tools) is not supported by pcctl; the process is kept disabled as in process-compose"),
        ROW("truncate_log", "truncateLog", P, BOOL, truncate_log),
        ROW("is_template_disabled", "disableCommandRendering", P, BOOL, is_template_disabled,
            OPS(.emit_yaml = emit_true)),
        ROW("monitor_for", "monitorFor", P, STRING, monitor_for, NO_DUMP, .note = TUI_ONLY,
            OPS(.decode_yaml = monitor_for_decode_yaml, .encode_json = monitor_for_encode,
                .decode_json = monitor_for_decode_json)),
        ROW("monitor_silence_threshold", "monitorSilenceThreshold", P, STRING, monitor_silence_threshold,
            .flags = COMPOSE_FIELD_JSON_NO_DECODE | COMPOSE_FIELD_YAML_NO_DUMP, .note = TUI_ONLY,
            OPS(.encode_json = silence_encode)),
        ROW("success_exit_codes", "successExitCodes", P, NONE, success_exit_codes,
            .flags = COMPOSE_FIELD_NULL_SKIPS, .ops = &compose_exit_codes_ops),
        /* not keys: identity and positions */
        NO_KEY(P, STRING, name, KEEP),
        NO_KEY(P, POS, pos, KEEP),
        NO_KEY(P, POS, pos_working_dir, KEEP),
        NO_KEY(P, POS, pos_env_file, KEEP),
        NO_KEY(P, POS, pos_log_location, KEEP),
};
#undef P
const COMPOSE_TABLE(compose_process_table, ComposeProcess, process_rows, .unknown_yaml_key = process_unknown_key);

