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
        ROW("cron", "cron", ComposeSchedule, STRING, cron),
        ROW("timezone", "timezone", ComposeSchedule, STRING, timezone),
        ROW("interval", "interval", ComposeSchedule, STRING, interval,
            OPS(.decode_yaml = interval_decode_yaml, .decode_json = interval_decode_json, .merge = interval_merge)),
        ROW("run_on_start", "run_on_start", ComposeSchedule, BOOL, run_on_start),
        ROW("max_concurrent", "max_concurrent", ComposeSchedule, INT, max_concurrent),
        NO_KEY(ComposeSchedule, USEC, interval_usec, KEEP),
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

/* ---- process: depends_on (a map of name → {condition}) ---- */

static int deps_slot(ComposeProcess *p, const char *name, size_t *ret) {
        ComposeDependency *nd;

        for (size_t j = 0; j < p->n_depends_on; j++)
                if (streq(p->depends_on[j].name, name)) {
                        *ret = j;
                        return 0;
                }
        if (p->n_depends_on >= COMPOSE_PROCESSES_MAX)
                return -E2BIG;
        nd = realloc(p->depends_on, sizeof(ComposeDependency) * (p->n_depends_on + 1));
        if (!nd)
                return -ENOMEM;
        p->depends_on = nd;
        nd[p->n_depends_on] = (ComposeDependency) { .name = strdup(name) };
        if (!nd[p->n_depends_on].name)
                return -ENOMEM;
        *ret = p->n_depends_on++;
        return 0;
}

static int deps_decode_yaml(ComposeDecoder *d, const ComposeField *f, const YamlNode *key, const YamlNode *n,
                            void *obj) {
        ComposeProcess *p = obj;
        int r = compose_decode_check_map(d, n, "depends_on");

        if (r < 0)
                return r;
        for (size_t i = 0; i < n->n; i++) {
                const YamlNode *k = n->keys[i], *v = n->values[i];
                ComposeCondition c = COMPOSE_CONDITION_PROCESS_COMPLETED;
                size_t slot;

                r = compose_decode_visit(d, v);
                if (r < 0)
                        return r;
                if (!compose_yaml_is_null(v)) {
                        const YamlNode *cn;
                        r = compose_decode_check_map(d, v, k->value);
                        if (r < 0)
                                return r;
                        cn = yaml_map_get(v, "condition");
                        if (cn && !compose_yaml_is_null(cn)) {
                                if (cn->type != YAML_NODE_SCALAR)
                                        return compose_decode_type_error(d, cn, "condition", "a string");
                                c = compose_condition_from_string(cn->value);
                                if (c < 0)
                                        return compose_error_set(d->error, -EINVAL, d->file, cn->line, cn->column,
                                                                 "invalid process dependency condition: \"%s\"",
                                                                 cn->value);
                        }
                }
                r = deps_slot(p, k->value, &slot);
                if (r < 0)
                        return r;
                p->depends_on[slot].condition = c;
                r = compose_set_pos(d, &p->depends_on[slot].pos, k);
                if (r < 0)
                        return r;
        }
        return 0;
}

static bool deps_encode(const ComposeField *f, const void *obj, cJSON *o) {
        const ComposeProcess *p = obj;
        cJSON *c;

        if (p->n_depends_on == 0)
                return true;
        c = cJSON_AddObjectToObject(o, f->json);
        if (!c)
                return false;
        for (size_t i = 0; i < p->n_depends_on; i++) {
                cJSON *d = cJSON_AddObjectToObject(c, p->depends_on[i].name);
                if (!d || !compose_json_add_int(d, "condition", p->depends_on[i].condition))
                        return false;
        }
        return true;
}

static int deps_decode_json(const ComposeField *f, const cJSON *v, void *obj, char **e) {
        ComposeProcess *p = obj;
        const cJSON *d;
        int r;

        if (!cJSON_IsObject(v))
                return compose_json_error(e, "'%s' must be an object", f->json);
        cJSON_ArrayForEach(d, v) {
                int cond = 0;
                size_t slot;
                if (!cJSON_IsObject(d) && !cJSON_IsNull(d))
                        return compose_json_error(e, "'dependsOn.%s' must be an object", d->string);
                if (cJSON_IsObject(d)) {
                        const cJSON *c = compose_json_get(d, "condition");
                        if (c && (r = compose_json_int(c, "condition", &cond, e)) < 0)
                                return r;
                }
                if (cond < 0 || cond >= _COMPOSE_CONDITION_MAX)
                        return compose_json_error(e, "invalid process condition: %d", cond);
                r = deps_slot(p, d->string, &slot);
                if (r == -E2BIG)
                        return compose_json_error(e, "too many dependencies");
                if (r < 0)
                        return r;
                p->depends_on[slot].condition = cond;
        }
        return 0;
}

static int deps_copy(const ComposeField *f, void *dst, const void *src) {
        const ComposeProcess *s = src;
        ComposeProcess *d = dst;
        return compose_deps_copy(&d->depends_on, &d->n_depends_on, s->depends_on, s->n_depends_on);
}

static void deps_free(const ComposeField *f, void *obj) {
        ComposeProcess *p = obj;
        compose_deps_free(p->depends_on, p->n_depends_on);
        p->depends_on = NULL;
        p->n_depends_on = 0;
}

/* by name: the override's condition and position win, new names are appended */
static int deps_merge(const ComposeField *f, void *base, void *over) {
        ComposeProcess *b = base, *o = over;

        for (size_t i = 0; i < o->n_depends_on; i++) {
                ComposeDependency *od = &o->depends_on[i];
                size_t slot;
                int r = deps_slot(b, od->name, &slot);
                if (r < 0)
                        return r;
                b->depends_on[slot].condition = od->condition;
                compose_pos_done(&b->depends_on[slot].pos);
                b->depends_on[slot].pos = od->pos;
                od->pos = (ComposePos) {};
        }
        return 0;
}

static bool deps_equal(const ComposeField *f, const void *a, const void *b) {
        const ComposeProcess *x = a, *y = b;

        /* a map: by name, in any order */
        if (x->n_depends_on != y->n_depends_on)
                return false;
        for (size_t i = 0; i < x->n_depends_on; i++) {
                bool found = false;
                for (size_t j = 0; j < y->n_depends_on && !found; j++)
                        found = streq(x->depends_on[i].name, y->depends_on[j].name) &&
                                x->depends_on[i].condition == y->depends_on[j].condition;
                if (!found)
                        return false;
        }
        return true;
}

static void deps_emit(const ComposeField *f, const void *obj, ComposeEmitter *m) {
        const ComposeProcess *p = obj;

        if (p->n_depends_on == 0)
                return;
        compose_emit_plain(m, f->yaml);
        compose_emit_begin(m, true);
        for (size_t i = 0; i < p->n_depends_on; i++) {
                compose_emit_plain(m, p->depends_on[i].name);
                compose_emit_begin(m, true);
                compose_emit_plain(m, "condition");
                compose_emit_plain(m, compose_condition_to_string(p->depends_on[i].condition));
                compose_emit_end(m, true);
        }
        compose_emit_end(m, true);
}

static const ComposeFieldOps deps_ops = {
        .decode_yaml = deps_decode_yaml, .encode_json = deps_encode, .decode_json = deps_decode_json,
        .copy = deps_copy,               .free = deps_free,          .merge = deps_merge,
        .equal = deps_equal,             .emit_yaml = deps_emit,
};

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

/* ---- process: success_exit_codes (a list of integers, appended on merge) ---- */

static int codes_decode_yaml(ComposeDecoder *d, const ComposeField *f, const YamlNode *key, const YamlNode *n,
                             void *obj) {
        ComposeProcess *p = obj;
        int r = compose_decode_visit(d, n);

        if (r < 0)
                return r;
        if (n->type != YAML_NODE_SEQ)
                return compose_decode_type_error(d, n, key->value, "a list of integers");
        free(p->success_exit_codes);
        p->success_exit_codes = new0(int, n->n ?: 1);
        p->n_success_exit_codes = 0;
        if (!p->success_exit_codes)
                return -ENOMEM;
        for (size_t j = 0; j < n->n; j++) {
                r = compose_decode_int(d, n->values[j], key->value, &p->success_exit_codes[j]);
                if (r < 0)
                        return r;
                p->n_success_exit_codes++;
        }
        return 0;
}

static bool codes_encode(const ComposeField *f, const void *obj, cJSON *o) {
        const ComposeProcess *p = obj;
        cJSON *a;
        if (p->n_success_exit_codes == 0)
                return true;
        a = cJSON_CreateIntArray(p->success_exit_codes, (int) p->n_success_exit_codes);
        if (!a)
                return false;
        cJSON_AddItemToObject(o, f->json, a);
        return true;
}

static int codes_decode_json(const ComposeField *f, const cJSON *v, void *obj, char **e) {
        ComposeProcess *p = obj;
        const cJSON *i;

        if (!cJSON_IsArray(v))
                return compose_json_error(e, "'%s' must be a list of integers", f->json);
        free(p->success_exit_codes);
        p->n_success_exit_codes = 0;
        p->success_exit_codes = new0(int, cJSON_GetArraySize(v) + 1);
        if (!p->success_exit_codes)
                return -ENOMEM;
        cJSON_ArrayForEach(i, v) {
                if (!cJSON_IsNumber(i) || i->valuedouble != floor(i->valuedouble))
                        return compose_json_error(e, "'%s' must be a list of integers", f->json);
                p->success_exit_codes[p->n_success_exit_codes++] = (int) i->valuedouble;
        }
        return 0;
}

static int codes_copy(const ComposeField *f, void *dst, const void *src) {
        const ComposeProcess *s = src;
        ComposeProcess *d = dst;
        if (s->n_success_exit_codes == 0)
                return 0;
        d->success_exit_codes = new(int, s->n_success_exit_codes);
        if (!d->success_exit_codes)
                return -ENOMEM;
        memcpy(d->success_exit_codes, s->success_exit_codes, sizeof(int) * s->n_success_exit_codes);
        d->n_success_exit_codes = s->n_success_exit_codes;
        return 0;
}

static void codes_free(const ComposeField *f, void *obj) {
        ComposeProcess *p = obj;
        p->success_exit_codes = mfree(p->success_exit_codes);
        p->n_success_exit_codes = 0;
}

static int codes_merge(const ComposeField *f, void *base, void *over) {
        ComposeProcess *b = base, *o = over;
        int *n;
        if (o->n_success_exit_codes == 0)
                return 0;
        n = realloc(b->success_exit_codes, sizeof(int) * (b->n_success_exit_codes + o->n_success_exit_codes));
        if (!n)
                return -ENOMEM;
        memcpy(n + b->n_success_exit_codes, o->success_exit_codes, sizeof(int) * o->n_success_exit_codes);
        b->success_exit_codes = n;
        b->n_success_exit_codes += o->n_success_exit_codes;
        return 0;
}

static bool codes_equal(const ComposeField *f, const void *a, const void *b) {
        const ComposeProcess *x = a, *y = b;
        return x->n_success_exit_codes == y->n_success_exit_codes &&
               (x->n_success_exit_codes == 0 ||
                memcmp(x->success_exit_codes, y->success_exit_codes, sizeof(int) * x->n_success_exit_codes) == 0);
}

static void codes_emit(const ComposeField *f, const void *obj, ComposeEmitter *m) {
        const ComposeProcess *p = obj;

        if (p->n_success_exit_codes == 0)
                return;
        compose_emit_plain(m, f->yaml);
        compose_emit_begin(m, false);
        for (size_t i = 0; i < p->n_success_exit_codes; i++)
                compose_emit_int(m, p->success_exit_codes[i]);
        compose_emit_end(m, false);
}

static const ComposeFieldOps codes_ops = {
        .decode_yaml = codes_decode_yaml, .encode_json = codes_encode, .decode_json = codes_decode_json,
        .copy = codes_copy,               .free = codes_free,          .merge = codes_merge,
        .equal = codes_equal,             .emit_yaml = codes_emit,
};

/* ---- process: x-systemd (unit properties with their positions; JSON: extensions."x-systemd") ---- */

static int xprop_slot(ComposeProcess *p, const char *key, size_t *ret) {
        ComposeXProp *nx;

        for (size_t j = 0; j < p->n_x_systemd; j++)
                if (streq(p->x_systemd[j].key, key)) {
                        *ret = j;
                        return 0;
                }
        nx = realloc(p->x_systemd, sizeof(ComposeXProp) * (p->n_x_systemd + 1));
        if (!nx)
                return -ENOMEM;
        p->x_systemd = nx;
        nx[p->n_x_systemd] = (ComposeXProp) {};
        *ret = p->n_x_systemd++;
        return 0;
}

static int xprops_decode_yaml(ComposeDecoder *d, const ComposeField *f, const YamlNode *key, const YamlNode *n,
                              void *obj) {
        ComposeProcess *p = obj;
        int r = compose_decode_check_map(d, n, "x-systemd");

        if (r < 0)
                return r;
        for (size_t i = 0; i < n->n; i++) {
                const YamlNode *k = n->keys[i], *v = n->values[i];
                ComposeXProp *x;

                r = compose_decode_visit(d, v);
                if (r < 0)
                        return r;
                if (v->type != YAML_NODE_SCALAR)
                        return compose_error_set(d->error, -EINVAL, d->file, v->line, v->column,
                                                 "x-systemd property '%s' must be a scalar (unit-file syntax), got %s",
                                                 k->value, yaml_node_kind(v));
                if (p->n_x_systemd >= 256)
                        return compose_error_set(d->error, -E2BIG, d->file, k->line, k->column,
                                                 "too many x-systemd properties (limit 256)");
                x = realloc(p->x_systemd, sizeof(ComposeXProp) * (p->n_x_systemd + 1));
                if (!x)
                        return -ENOMEM;
                p->x_systemd = x;
                x += p->n_x_systemd++;
                *x = (ComposeXProp) {
                        .key = strdup(k->value),
                        .value = strdup(v->is_null ? "" : v->value),
                        .file = strdup(d->file),
                        .line = v->line,
                        .column = v->column,
                };
                if (!x->key || !x->value || !x->file)
                        return -ENOMEM;
        }
        return 0;
}

static bool xprops_encode(const ComposeField *f, const void *obj, cJSON *o) {
        const ComposeProcess *p = obj;
        cJSON *ext, *x;

        if (p->n_x_systemd == 0)
                return true;
        ext = cJSON_AddObjectToObject(o, f->json);
        x = ext ? cJSON_AddObjectToObject(ext, "x-systemd") : NULL;
        if (!x)
                return false;
        for (size_t i = 0; i < p->n_x_systemd; i++)
                if (!cJSON_AddStringToObject(x, p->x_systemd[i].key, p->x_systemd[i].value))
                        return false;
        return true;
}

static int xprops_decode_json(const ComposeField *f, const cJSON *v, void *obj, char **e) {
        ComposeProcess *p = obj;
        const cJSON *x, *i;

        if (!cJSON_IsObject(v))
                return 0;
        x = cJSON_GetObjectItemCaseSensitive(v, "x-systemd");
        if (!x || !cJSON_IsObject(x))
                return 0;
        cJSON_ArrayForEach(i, x) {
                ComposeXProp *nx;
                if (!cJSON_IsString(i))
                        return compose_json_error(e, "x-systemd property '%s' must be a string", i->string);
                nx = realloc(p->x_systemd, sizeof(ComposeXProp) * (p->n_x_systemd + 1));
                if (!nx)
                        return -ENOMEM;
                p->x_systemd = nx;
                nx += p->n_x_systemd++;
                *nx = (ComposeXProp) { .key = strdup(i->string), .value = strdup(i->valuestring) };
                if (!nx->key || !nx->value)
                        return -ENOMEM;
        }
        return 0;
}

static int xprops_copy(const ComposeField *f, void *dst, const void *src) {
        const ComposeProcess *s = src;
        ComposeProcess *d = dst;

        if (s->n_x_systemd == 0)
                return 0;
        d->x_systemd = new0(ComposeXProp, s->n_x_systemd);
        if (!d->x_systemd)
                return -ENOMEM;
        d->n_x_systemd = s->n_x_systemd;
        for (size_t i = 0; i < s->n_x_systemd; i++) {
                d->x_systemd[i].line = s->x_systemd[i].line;
                d->x_systemd[i].column = s->x_systemd[i].column;
                if (free_and_strdup(&d->x_systemd[i].key, s->x_systemd[i].key) < 0 ||
                    free_and_strdup(&d->x_systemd[i].value, s->x_systemd[i].value) < 0 ||
                    free_and_strdup(&d->x_systemd[i].file, s->x_systemd[i].file) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static void xprops_free(const ComposeField *f, void *obj) {
        ComposeProcess *p = obj;
        compose_xprops_free(p->x_systemd, p->n_x_systemd);
        p->x_systemd = NULL;
        p->n_x_systemd = 0;
}

/* by key: the override wins, the order of first appearance is kept */
static int xprops_merge(const ComposeField *f, void *base, void *over) {
        ComposeProcess *b = base, *o = over;

        for (size_t i = 0; i < o->n_x_systemd; i++) {
                size_t slot;
                int r = xprop_slot(b, o->x_systemd[i].key, &slot);
                if (r < 0)
                        return r;
                free(b->x_systemd[slot].key);
                free(b->x_systemd[slot].value);
                free(b->x_systemd[slot].file);
                b->x_systemd[slot] = o->x_systemd[i];
                o->x_systemd[i] = (ComposeXProp) {};
        }
        return 0;
}

static bool xprops_equal(const ComposeField *f, const void *a, const void *b) {
        const ComposeProcess *x = a, *y = b;

        /* a map: by key, in any order */
        if (x->n_x_systemd != y->n_x_systemd)
                return false;
        for (size_t i = 0; i < x->n_x_systemd; i++) {
                bool found = false;
                for (size_t j = 0; j < y->n_x_systemd && !found; j++)
                        found = streq(x->x_systemd[i].key, y->x_systemd[j].key) &&
                                streq(x->x_systemd[i].value, y->x_systemd[j].value);
                if (!found)
                        return false;
        }
        return true;
}

static void xprops_emit(const ComposeField *f, const void *obj, ComposeEmitter *m) {
        const ComposeProcess *p = obj;

        if (p->n_x_systemd == 0)
                return;
        compose_emit_plain(m, f->yaml);
        compose_emit_begin(m, true);
        for (size_t i = 0; i < p->n_x_systemd; i++) {
                compose_emit_plain(m, p->x_systemd[i].key);
                compose_emit_str(m, p->x_systemd[i].value);
        }
        compose_emit_end(m, true);
}

static const ComposeFieldOps xprops_ops = {
        .decode_yaml = xprops_decode_yaml, .encode_json = xprops_encode, .decode_json = xprops_decode_json,
        .copy = xprops_copy,               .free = xprops_free,          .merge = xprops_merge,
        .equal = xprops_equal,             .emit_yaml = xprops_emit,
};

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
        ROW("depends_on", "dependsOn", P, NONE, depends_on, .flags = COMPOSE_FIELD_NULL_SKIPS, .ops = &deps_ops),
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
        ROW("x-systemd", "extensions", P, NONE, x_systemd, .flags = COMPOSE_FIELD_NULL_SKIPS, .ops = &xprops_ops),
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
            .flags = COMPOSE_FIELD_NULL_SKIPS, .ops = &codes_ops),
        /* not keys: identity and positions */
        NO_KEY(P, STRING, name, KEEP),
        NO_KEY(P, POS, pos, KEEP),
        NO_KEY(P, POS, pos_working_dir, KEEP),
        NO_KEY(P, POS, pos_env_file, KEEP),
        NO_KEY(P, POS, pos_log_location, KEEP),
};
#undef P
const COMPOSE_TABLE(compose_process_table, ComposeProcess, process_rows, .unknown_yaml_key = process_unknown_key);

