/* ProcessConfig and Project JSON (compat §3.3.3, §3.3.6) with cJSON. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compose/compose-internal.h"
#include "compose/compose-json.h"
#include "compose/compose-model.h"
#include "shared/strv.h"

/* ---- output ---- */

static bool add_str(cJSON *o, const char *k, const char *v) {
        return isempty(v) || cJSON_AddStringToObject(o, k, v);
}
static bool add_int(cJSON *o, const char *k, long long v) {
        return v == 0 || cJSON_AddNumberToObject(o, k, (double) v);
}
static bool add_bool(cJSON *o, const char *k, bool v) {
        return !v || cJSON_AddTrueToObject(o, k);
}
static bool add_strv(cJSON *o, const char *k, char * const *l) {
        cJSON *a;
        if (strv_length(l) == 0)
                return true;
        a = cJSON_AddArrayToObject(o, k);
        if (!a)
                return false;
        STRV_FOREACH(s, l) {
                cJSON *i = cJSON_CreateString(*s);
                if (!i)
                        return false;
                cJSON_AddItemToArray(a, i);
        }
        return true;
}
static bool add_kv_strings(cJSON *o, const char *k, const ComposeKV *kv, size_t n) {
        cJSON *m;
        if (n == 0)
                return true;
        m = cJSON_AddObjectToObject(o, k);
        if (!m)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!cJSON_AddStringToObject(m, kv[i].key, kv[i].value))
                        return false;
        return true;
}
static bool add_vars(cJSON *o, const char *k, const ComposeKV *kv, size_t n) {
        cJSON *m;
        if (n == 0)
                return true;
        m = cJSON_AddObjectToObject(o, k);
        if (!m)
                return false;
        for (size_t i = 0; i < n; i++) {
                cJSON *v = kv[i].literal ? cJSON_Parse(kv[i].value) : NULL;
                if (!v)
                        v = cJSON_CreateString(kv[i].value);
                if (!v)
                        return false;
                cJSON_AddItemToObject(m, kv[i].key, v);
        }
        return true;
}

static cJSON *log_config_to_json(const ComposeLogConfig *c) {
        cJSON *o = cJSON_CreateObject();
        if (!o)
                return NULL;
        if (c->rotation) {
                cJSON *r = cJSON_AddObjectToObject(o, "rotation");
                if (!r || !add_str(r, "directory", c->rotation->directory) ||
                    !add_str(r, "filename", c->rotation->filename) || !add_int(r, "maxSize", c->rotation->max_size_mb) ||
                    !add_int(r, "maxBackups", c->rotation->max_backups) ||
                    !add_int(r, "maxAge", c->rotation->max_age_days) || !add_bool(r, "compress", c->rotation->compress))
                        goto fail;
        }
        if (!add_strv(o, "fieldsOrder", c->fields_order) || !add_bool(o, "disableJSON", c->disable_json) ||
            !add_str(o, "timestampFormat", c->timestamp_format) || !add_bool(o, "noColor", c->no_color) ||
            !add_bool(o, "noMetadata", c->no_metadata) || !add_bool(o, "addTimestamp", c->add_timestamp) ||
            !add_bool(o, "flushEachLine", c->flush_each_line))
                goto fail;
        return o;
fail:
        cJSON_Delete(o);
        return NULL;
}

static cJSON *probe_to_json(const ComposeProbe *p) {
        cJSON *o = cJSON_CreateObject();
        if (!o)
                return NULL;
        if (p->exec) {
                cJSON *e = cJSON_AddObjectToObject(o, "exec");
                if (!e || !add_str(e, "command", p->exec->command) || !add_str(e, "workingDir", p->exec->working_dir))
                        goto fail;
        }
        if (p->http_get) {
                cJSON *h = cJSON_AddObjectToObject(o, "httpGet");
                if (!h || !add_str(h, "host", p->http_get->host) || !add_str(h, "path", p->http_get->path) ||
                    !add_str(h, "scheme", p->http_get->scheme) || !add_str(h, "port", p->http_get->port) ||
                    !add_int(h, "numPort", p->http_get->num_port) ||
                    !add_kv_strings(h, "headers", p->http_get->headers, p->http_get->n_headers) ||
                    !add_int(h, "statusCode", p->http_get->status_code))
                        goto fail;
        }
        if (!add_int(o, "initialDelay", p->initial_delay_seconds) || !add_int(o, "periodSeconds", p->period_seconds) ||
            !add_int(o, "timeoutSeconds", p->timeout_seconds) ||
            !add_int(o, "successThreshold", p->success_threshold) ||
            !add_int(o, "failureThreshold", p->failure_threshold))
                goto fail;
        return o;
fail:
        cJSON_Delete(o);
        return NULL;
}

static int monitor_for_int(const char *s) {
        if (streq_ptr(s, "activity"))
                return 1;
        if (streq_ptr(s, "silence"))
                return 2;
        return 0;
}

cJSON *compose_process_to_json(const ComposeProcess *p) {
        cJSON *o = cJSON_CreateObject(), *c;

        if (!o)
                return NULL;
        if (!add_str(o, "name", p->base_name ?: p->name) || !add_str(o, "extends", p->extends) ||
            !add_bool(o, "disabled", p->disabled) || !add_bool(o, "isDaemon", p->is_daemon) ||
            !add_str(o, "command", p->command) || !add_strv(o, "entrypoint", p->entrypoint) ||
            !add_str(o, "logLocation", p->log_location))
                goto fail;
        if (p->log_configuration) {
                c = log_config_to_json(p->log_configuration);
                if (!c)
                        goto fail;
                cJSON_AddItemToObject(o, "loggerConfig", c);
        }
        if (!add_strv(o, "environment", p->environment) || !add_str(o, "envFile", p->env_file))
                goto fail;
        c = cJSON_AddObjectToObject(o, "restartPolicy");
        if (!c || !add_int(c, "restart", p->availability.restart) ||
            !add_int(c, "backoffSeconds", p->availability.backoff_seconds) ||
            !add_int(c, "maxRestarts", p->availability.max_restarts) ||
            !add_bool(c, "exitOnEnd", p->availability.exit_on_end) ||
            !add_bool(c, "exitOnSkipped", p->availability.exit_on_skipped))
                goto fail;
        if (p->n_depends_on > 0) {
                c = cJSON_AddObjectToObject(o, "dependsOn");
                if (!c)
                        goto fail;
                for (size_t i = 0; i < p->n_depends_on; i++) {
                        cJSON *d = cJSON_AddObjectToObject(c, p->depends_on[i].name);
                        if (!d || !add_int(d, "condition", p->depends_on[i].condition))
                                goto fail;
                }
        }
        if (p->liveness_probe) {
                c = probe_to_json(p->liveness_probe);
                if (!c)
                        goto fail;
                cJSON_AddItemToObject(o, "livenessProbe", c);
        }
        if (p->readiness_probe) {
                c = probe_to_json(p->readiness_probe);
                if (!c)
                        goto fail;
                cJSON_AddItemToObject(o, "readinessProbe", c);
        }
        if (!add_str(o, "readyLogLine", p->ready_log_line))
                goto fail;
        c = cJSON_AddObjectToObject(o, "shutDownParams");
        if (!c || !add_str(c, "shutDownCommand", p->shutdown.command) ||
            !add_int(c, "shutDownTimeout", p->shutdown.timeout_seconds) || !add_int(c, "signal", p->shutdown.signal) ||
            !add_bool(c, "parentOnly", p->shutdown.parent_only) || !add_str(c, "sendKeys", p->shutdown.send_keys))
                goto fail;
        if (!add_bool(o, "disableAnsiColors", p->disable_ansi_colors) || !add_str(o, "workingDir", p->working_dir))
                goto fail;
        /* namespace: a string when there is one, a list otherwise (process-compose's MarshalJSON) */
        if (strv_length(p->namespaces) == 1) {
                if (!add_str(o, "namespace", p->namespaces[0]))
                        goto fail;
        } else if (!add_strv(o, "namespace", p->namespaces))
                goto fail;
        if (!add_int(o, "replicas", p->replicas))
                goto fail;
        if (p->n_x_systemd > 0) {
                cJSON *ext = cJSON_AddObjectToObject(o, "extensions"), *x;
                if (!ext)
                        goto fail;
                x = cJSON_AddObjectToObject(ext, "x-systemd");
                if (!x)
                        goto fail;
                for (size_t i = 0; i < p->n_x_systemd; i++)
                        if (!cJSON_AddStringToObject(x, p->x_systemd[i].key, p->x_systemd[i].value))
                                goto fail;
        }
        if (!add_str(o, "description", p->description) || !add_vars(o, "vars", p->vars, p->n_vars) ||
            !add_bool(o, "isForeground", p->is_foreground) || !add_bool(o, "isTty", p->is_tty) ||
            !add_bool(o, "isElevated", p->is_elevated) || !add_bool(o, "isInteractive", p->is_interactive) ||
            !add_int(o, "launchTimeout", p->launch_timeout_seconds) || !add_str(o, "isDisabled", p->is_disabled) ||
            !add_bool(o, "disableDotEnv", p->is_dotenv_disabled) || !add_str(o, "originalConfig", p->original_config) ||
            !add_int(o, "replicaNum", p->replica_num) || !add_str(o, "replicaName", p->replica_name ?: p->name) ||
            !add_str(o, "executable", p->executable) || !add_strv(o, "args", p->args))
                goto fail;
        if (p->schedule) {
                c = cJSON_AddObjectToObject(o, "schedule");
                if (!c || !add_str(c, "cron", p->schedule->cron) || !add_str(c, "timezone", p->schedule->timezone) ||
                    !add_str(c, "interval", p->schedule->interval) ||
                    !add_bool(c, "run_on_start", p->schedule->run_on_start) ||
                    !add_int(c, "max_concurrent", p->schedule->max_concurrent))
                        goto fail;
        }
        if (p->watch) {
                c = cJSON_AddObjectToObject(o, "watch");
                if (!c)
                        goto fail;
                if (p->watch->n_paths > 0) {
                        cJSON *a = cJSON_AddArrayToObject(c, "paths");
                        if (!a)
                                goto fail;
                        for (size_t i = 0; i < p->watch->n_paths; i++) {
                                cJSON *w = cJSON_CreateObject();
                                if (!w)
                                        goto fail;
                                cJSON_AddItemToArray(a, w);
                                if (!cJSON_AddStringToObject(w, "path", strempty(p->watch->paths[i].path)) ||
                                    !add_strv(w, "include", p->watch->paths[i].include) ||
                                    !add_strv(w, "exclude", p->watch->paths[i].exclude))
                                        goto fail;
                        }
                }
                if (!add_bool(c, "cascade", p->watch->cascade) || !add_str(c, "debounce", p->watch->debounce) ||
                    !add_int(c, "max_entries", p->watch->max_entries) ||
                    !add_int(c, "buffer_size", p->watch->buffer_size) ||
                    !add_bool(c, "disable_default_excludes", p->watch->disable_default_excludes))
                        goto fail;
        }
        if (p->mcp) {
                c = cJSON_Parse(p->mcp);
                if (c)
                        cJSON_AddItemToObject(o, "mcp", c);
        }
        if (!add_bool(o, "truncateLog", p->truncate_log) ||
            !add_bool(o, "disableCommandRendering", p->is_template_disabled) ||
            !add_int(o, "monitorFor", monitor_for_int(p->monitor_for)))
                goto fail;
        if (!isempty(p->monitor_silence_threshold)) {
                int64_t ns;
                if (parse_go_duration(p->monitor_silence_threshold, &ns) >= 0 && !add_int(o, "monitorSilenceThreshold", ns))
                        goto fail;
        }
        if (p->n_success_exit_codes > 0) {
                cJSON *a = cJSON_CreateIntArray(p->success_exit_codes, (int) p->n_success_exit_codes);
                if (!a)
                        goto fail;
                cJSON_AddItemToObject(o, "successExitCodes", a);
        }
        return o;
fail:
        cJSON_Delete(o);
        return NULL;
}

static cJSON *string_array(char * const *l) {
        cJSON *a = cJSON_CreateArray();
        STRV_FOREACH(s, l) {
                cJSON *i = a ? cJSON_CreateString(*s) : NULL;
                if (!i) {
                        cJSON_Delete(a);
                        return NULL;
                }
                cJSON_AddItemToArray(a, i);
        }
        return a;
}

cJSON *compose_project_to_json(const ComposeProject *p) {
        cJSON *o = cJSON_CreateObject(), *c;

        if (!o)
                return NULL;
        if (!cJSON_AddStringToObject(o, "Version", strempty(p->version)) ||
            !cJSON_AddStringToObject(o, "Name", strempty(p->name)) ||
            !cJSON_AddStringToObject(o, "LogLocation", strempty(p->log_location)) ||
            !cJSON_AddStringToObject(o, "LogLevel", strempty(p->log_level)) ||
            !cJSON_AddNumberToObject(o, "LogLength", p->log_length))
                goto fail;
        if (p->log_configuration) {
                c = log_config_to_json(p->log_configuration);
                if (!c)
                        goto fail;
                cJSON_AddItemToObject(o, "LoggerConfig", c);
        } else if (!cJSON_AddNullToObject(o, "LoggerConfig"))
                goto fail;
        if (!cJSON_AddStringToObject(o, "LogFormat", strempty(p->log_format)))
                goto fail;
        c = cJSON_AddObjectToObject(o, "Processes");
        if (!c)
                goto fail;
        for (size_t i = 0; i < p->n_processes; i++) {
                cJSON *pj = compose_process_to_json(p->processes[i]);
                if (!pj)
                        goto fail;
                cJSON_AddItemToObject(c, p->processes[i]->name, pj);
        }
        c = string_array(p->environment);
        if (!c)
                goto fail;
        cJSON_AddItemToObject(o, "Environment", c);
        c = cJSON_AddObjectToObject(o, "ShellConfig");
        if (!c || !cJSON_AddStringToObject(c, "ShellCommand", strempty(p->shell.shell_command)) ||
            !cJSON_AddStringToObject(c, "ShellArgument", strempty(p->shell.shell_argument)) ||
            !cJSON_AddStringToObject(c, "ElevatedShellCmd", strempty(p->shell.elevated_shell_command)) ||
            !cJSON_AddStringToObject(c, "ElevatedShellArg", strempty(p->shell.elevated_shell_argument)) ||
            !cJSON_AddBoolToObject(o, "IsStrict", p->is_strict))
                goto fail;
        {
                cJSON *v = cJSON_AddObjectToObject(o, "Vars");
                if (!v)
                        goto fail;
                for (size_t i = 0; i < p->n_vars; i++) {
                        cJSON *x = p->vars[i].literal ? cJSON_Parse(p->vars[i].value) : NULL;
                        if (!x)
                                x = cJSON_CreateString(p->vars[i].value);
                        if (!x)
                                goto fail;
                        cJSON_AddItemToObject(v, p->vars[i].key, x);
                }
        }
        if (!cJSON_AddBoolToObject(o, "DisableEnvExpansion", p->disable_env_expansion) ||
            !cJSON_AddBoolToObject(o, "IsTuiDisabled", p->is_tui_disabled) ||
            !cJSON_AddStringToObject(o, "ExtendsProject", strempty(p->extends)))
                goto fail;
        c = cJSON_AddObjectToObject(o, "EnvCommands");
        if (!c)
                goto fail;
        for (size_t i = 0; i < p->n_env_cmds; i++)
                if (!cJSON_AddStringToObject(c, p->env_cmds[i].key, p->env_cmds[i].value))
                        goto fail;
        if (!cJSON_AddBoolToObject(o, "IsOrderedShutdown", p->ordered_shutdown))
                goto fail;
        c = string_array(p->file_names);
        if (!c)
                goto fail;
        cJSON_AddItemToObject(o, "FileNames", c);
        c = string_array(p->env_file_names);
        if (!c)
                goto fail;
        cJSON_AddItemToObject(o, "EnvFileNames", c);
        c = cJSON_AddObjectToObject(o, "DotEnvVars");
        if (!c)
                goto fail;
        STRV_FOREACH(e, p->dot_env_vars) {
                const char *eq = strchr(*e, '=');
                _cleanup_free_ char *k = eq ? strndup(*e, eq - *e) : NULL;
                if (!k || !cJSON_AddStringToObject(c, k, eq + 1))
                        goto fail;
        }
        if (!cJSON_AddNullToObject(o, "Extensions"))
                goto fail;
        if (p->mcp_server) {
                c = cJSON_Parse(p->mcp_server);
                if (c)
                        cJSON_AddItemToObject(o, "MCPServer", c);
        } else if (!cJSON_AddNullToObject(o, "MCPServer"))
                goto fail;
        return o;
fail:
        cJSON_Delete(o);
        return NULL;
}

/* ---- input (case-insensitive keys, as Go's encoding/json) ---- */

typedef struct JErr {
        char **ret_error;
} JErr;

static int jerr(char **ret_error, const char *fmt, ...) _printf_(2, 3);
static int jerr(char **ret_error, const char *fmt, ...) {
        va_list ap;
        if (ret_error && !*ret_error) {
                va_start(ap, fmt);
                if (vasprintf(ret_error, fmt, ap) < 0)
                        *ret_error = NULL;
                va_end(ap);
        }
        return -EINVAL;
}

static const cJSON *jget(const cJSON *o, const char *k) {
        const cJSON *v = cJSON_GetObjectItem(o, k); /* case-insensitive */
        return v && !cJSON_IsNull(v) ? v : NULL;
}

static int jstr(const cJSON *o, const char *k, char **dst, char **e) {
        const cJSON *v = jget(o, k);
        if (!v)
                return 0;
        if (!cJSON_IsString(v))
                return jerr(e, "'%s' must be a string", k);
        if (strlen(v->valuestring) > COMPOSE_STRING_MAX)
                return jerr(e, "'%s' is too long", k);
        return free_and_strdup(dst, v->valuestring);
}

static int jint(const cJSON *o, const char *k, int *dst, char **e) {
        const cJSON *v = jget(o, k);
        if (!v)
                return 0;
        if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || fabs(v->valuedouble) > 2147483647.0)
                return jerr(e, "'%s' must be an integer", k);
        *dst = (int) v->valuedouble;
        return 0;
}

static int jbool(const cJSON *o, const char *k, bool *dst, char **e) {
        const cJSON *v = jget(o, k);
        if (!v)
                return 0;
        if (!cJSON_IsBool(v))
                return jerr(e, "'%s' must be a boolean", k);
        *dst = cJSON_IsTrue(v);
        return 0;
}

static int jstrv(const cJSON *o, const char *k, char ***dst, char **e) {
        const cJSON *v = jget(o, k), *i;
        _cleanup_strv_free_ char **l = NULL;
        int r;
        if (!v)
                return 0;
        if (!cJSON_IsArray(v))
                return jerr(e, "'%s' must be a list of strings", k);
        l = new0(char *, 1);
        if (!l)
                return -ENOMEM;
        cJSON_ArrayForEach(i, v) {
                if (!cJSON_IsString(i))
                        return jerr(e, "'%s' must be a list of strings", k);
                r = strv_extend(&l, i->valuestring);
                if (r < 0)
                        return r;
        }
        strv_free(*dst);
        *dst = TAKE_PTR(l);
        return 0;
}

static int jkv(const cJSON *o, const char *k, ComposeKV **kv, size_t *n, bool any_type, char **e) {
        const cJSON *v = jget(o, k), *i;
        int r;
        if (!v)
                return 0;
        if (!cJSON_IsObject(v))
                return jerr(e, "'%s' must be an object", k);
        cJSON_ArrayForEach(i, v) {
                if (cJSON_IsString(i))
                        r = compose_kv_set(kv, n, i->string, i->valuestring, false);
                else if (any_type) {
                        _cleanup_free_ char *t = cJSON_PrintUnformatted(i);
                        if (!t)
                                return -ENOMEM;
                        r = compose_kv_set(kv, n, i->string, t, true);
                } else
                        return jerr(e, "'%s' values must be strings", k);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int log_config_from_json(const cJSON *v, ComposeLogConfig **ret, char **e) {
        _cleanup_(compose_log_config_freep) ComposeLogConfig *c = NULL;
        const cJSON *r;
        int k;

        if (!cJSON_IsObject(v))
                return jerr(e, "'loggerConfig' must be an object");
        c = new0(ComposeLogConfig, 1);
        if (!c)
                return -ENOMEM;
        r = jget(v, "rotation");
        if (r) {
                if (!cJSON_IsObject(r))
                        return jerr(e, "'rotation' must be an object");
                c->rotation = new0(ComposeLogRotation, 1);
                if (!c->rotation)
                        return -ENOMEM;
                if ((k = jstr(r, "directory", &c->rotation->directory, e)) < 0 ||
                    (k = jstr(r, "filename", &c->rotation->filename, e)) < 0 ||
                    (k = jint(r, "maxSize", &c->rotation->max_size_mb, e)) < 0 ||
                    (k = jint(r, "maxBackups", &c->rotation->max_backups, e)) < 0 ||
                    (k = jint(r, "maxAge", &c->rotation->max_age_days, e)) < 0 ||
                    (k = jbool(r, "compress", &c->rotation->compress, e)) < 0)
                        return k;
        }
        if ((k = jstrv(v, "fieldsOrder", &c->fields_order, e)) < 0 ||
            (k = jbool(v, "disableJSON", &c->disable_json, e)) < 0 ||
            (k = jstr(v, "timestampFormat", &c->timestamp_format, e)) < 0 ||
            (k = jbool(v, "noColor", &c->no_color, e)) < 0 || (k = jbool(v, "noMetadata", &c->no_metadata, e)) < 0 ||
            (k = jbool(v, "addTimestamp", &c->add_timestamp, e)) < 0 ||
            (k = jbool(v, "flushEachLine", &c->flush_each_line, e)) < 0)
                return k;
        *ret = TAKE_PTR(c);
        return 0;
}

static int probe_from_json(const cJSON *v, const char *key, ComposeProbe **ret, char **e) {
        _cleanup_(compose_probe_freep) ComposeProbe *p = NULL;
        const cJSON *x;
        int k;

        if (!cJSON_IsObject(v))
                return jerr(e, "'%s' must be an object", key);
        p = new0(ComposeProbe, 1);
        if (!p)
                return -ENOMEM;
        x = jget(v, "exec");
        if (x) {
                if (!cJSON_IsObject(x))
                        return jerr(e, "'exec' must be an object");
                p->exec = new0(ComposeProbeExec, 1);
                if (!p->exec)
                        return -ENOMEM;
                if ((k = jstr(x, "command", &p->exec->command, e)) < 0 ||
                    (k = jstr(x, "workingDir", &p->exec->working_dir, e)) < 0)
                        return k;
        }
        x = jget(v, "httpGet");
        if (x) {
                if (!cJSON_IsObject(x))
                        return jerr(e, "'httpGet' must be an object");
                p->http_get = new0(ComposeProbeHttp, 1);
                if (!p->http_get)
                        return -ENOMEM;
                if ((k = jstr(x, "host", &p->http_get->host, e)) < 0 || (k = jstr(x, "path", &p->http_get->path, e)) < 0 ||
                    (k = jstr(x, "scheme", &p->http_get->scheme, e)) < 0 ||
                    (k = jstr(x, "port", &p->http_get->port, e)) < 0 ||
                    (k = jint(x, "numPort", &p->http_get->num_port, e)) < 0 ||
                    (k = jkv(x, "headers", &p->http_get->headers, &p->http_get->n_headers, false, e)) < 0 ||
                    (k = jint(x, "statusCode", &p->http_get->status_code, e)) < 0)
                        return k;
        }
        if ((k = jint(v, "initialDelay", &p->initial_delay_seconds, e)) < 0 ||
            (k = jint(v, "periodSeconds", &p->period_seconds, e)) < 0 ||
            (k = jint(v, "timeoutSeconds", &p->timeout_seconds, e)) < 0 ||
            (k = jint(v, "successThreshold", &p->success_threshold, e)) < 0 ||
            (k = jint(v, "failureThreshold", &p->failure_threshold, e)) < 0)
                return k;
        compose_probe_apply_defaults(p);
        *ret = TAKE_PTR(p);
        return 0;
}

int compose_process_from_json(const cJSON *json, ComposeProcess **ret, char **ret_error) {
        _cleanup_(compose_process_freep) ComposeProcess *p = NULL;
        const cJSON *v;
        int k, restart = 0;

        if (!cJSON_IsObject(json))
                return jerr(ret_error, "a process must be a JSON object");
        p = new0(ComposeProcess, 1);
        if (!p)
                return -ENOMEM;

        if ((k = jstr(json, "name", &p->base_name, ret_error)) < 0 || (k = jstr(json, "extends", &p->extends, ret_error)) < 0 ||
            (k = jbool(json, "disabled", &p->disabled, ret_error)) < 0 ||
            (k = jbool(json, "isDaemon", &p->is_daemon, ret_error)) < 0 ||
            (k = jstr(json, "command", &p->command, ret_error)) < 0 ||
            (k = jstrv(json, "entrypoint", &p->entrypoint, ret_error)) < 0 ||
            (k = jstr(json, "logLocation", &p->log_location, ret_error)) < 0 ||
            (k = jstrv(json, "environment", &p->environment, ret_error)) < 0 ||
            (k = jstr(json, "envFile", &p->env_file, ret_error)) < 0)
                return k;
        v = jget(json, "loggerConfig");
        if (v && (k = log_config_from_json(v, &p->log_configuration, ret_error)) < 0)
                return k;
        v = jget(json, "restartPolicy");
        if (v) {
                if (!cJSON_IsObject(v))
                        return jerr(ret_error, "'restartPolicy' must be an object");
                if ((k = jint(v, "restart", &restart, ret_error)) < 0 ||
                    (k = jint(v, "backoffSeconds", &p->availability.backoff_seconds, ret_error)) < 0 ||
                    (k = jint(v, "maxRestarts", &p->availability.max_restarts, ret_error)) < 0 ||
                    (k = jbool(v, "exitOnEnd", &p->availability.exit_on_end, ret_error)) < 0 ||
                    (k = jbool(v, "exitOnSkipped", &p->availability.exit_on_skipped, ret_error)) < 0)
                        return k;
                if (restart < 0 || restart >= _COMPOSE_RESTART_MAX)
                        return jerr(ret_error, "invalid restart policy: %d", restart);
                p->availability.restart = restart;
        }
        v = jget(json, "dependsOn");
        if (v) {
                const cJSON *d;
                if (!cJSON_IsObject(v))
                        return jerr(ret_error, "'dependsOn' must be an object");
                cJSON_ArrayForEach(d, v) {
                        int cond = 0;
                        ComposeDependency *nd;
                        if (!cJSON_IsObject(d) && !cJSON_IsNull(d))
                                return jerr(ret_error, "'dependsOn.%s' must be an object", d->string);
                        if (cJSON_IsObject(d) && (k = jint(d, "condition", &cond, ret_error)) < 0)
                                return k;
                        if (cond < 0 || cond >= _COMPOSE_CONDITION_MAX)
                                return jerr(ret_error, "invalid process condition: %d", cond);
                        if (p->n_depends_on >= COMPOSE_PROCESSES_MAX)
                                return jerr(ret_error, "too many dependencies");
                        nd = realloc(p->depends_on, sizeof(ComposeDependency) * (p->n_depends_on + 1));
                        if (!nd)
                                return -ENOMEM;
                        p->depends_on = nd;
                        nd[p->n_depends_on] = (ComposeDependency) { .name = strdup(d->string), .condition = cond };
                        if (!nd[p->n_depends_on++].name)
                                return -ENOMEM;
                }
        }
        v = jget(json, "livenessProbe");
        if (v && (k = probe_from_json(v, "livenessProbe", &p->liveness_probe, ret_error)) < 0)
                return k;
        v = jget(json, "readinessProbe");
        if (v && (k = probe_from_json(v, "readinessProbe", &p->readiness_probe, ret_error)) < 0)
                return k;
        if ((k = jstr(json, "readyLogLine", &p->ready_log_line, ret_error)) < 0)
                return k;
        v = jget(json, "shutDownParams");
        if (v) {
                if (!cJSON_IsObject(v))
                        return jerr(ret_error, "'shutDownParams' must be an object");
                if ((k = jstr(v, "shutDownCommand", &p->shutdown.command, ret_error)) < 0 ||
                    (k = jint(v, "shutDownTimeout", &p->shutdown.timeout_seconds, ret_error)) < 0 ||
                    (k = jint(v, "signal", &p->shutdown.signal, ret_error)) < 0 ||
                    (k = jbool(v, "parentOnly", &p->shutdown.parent_only, ret_error)) < 0 ||
                    (k = jstr(v, "sendKeys", &p->shutdown.send_keys, ret_error)) < 0)
                        return k;
        }
        if ((k = jbool(json, "disableAnsiColors", &p->disable_ansi_colors, ret_error)) < 0 ||
            (k = jstr(json, "workingDir", &p->working_dir, ret_error)) < 0)
                return k;
        v = jget(json, "namespace");
        if (v) {
                if (cJSON_IsString(v)) {
                        if (*v->valuestring && (k = strv_extend(&p->namespaces, v->valuestring)) < 0)
                                return k;
                } else if ((k = jstrv(json, "namespace", &p->namespaces, ret_error)) < 0)
                        return k;
        }
        if ((k = jint(json, "replicas", &p->replicas, ret_error)) < 0)
                return k;
        v = jget(json, "extensions");
        if (v && cJSON_IsObject(v)) {
                const cJSON *x = cJSON_GetObjectItemCaseSensitive(v, "x-systemd"), *i;
                if (x && cJSON_IsObject(x))
                        cJSON_ArrayForEach(i, x) {
                                ComposeXProp *nx;
                                if (!cJSON_IsString(i))
                                        return jerr(ret_error, "x-systemd property '%s' must be a string", i->string);
                                nx = realloc(p->x_systemd, sizeof(ComposeXProp) * (p->n_x_systemd + 1));
                                if (!nx)
                                        return -ENOMEM;
                                p->x_systemd = nx;
                                nx[p->n_x_systemd] = (ComposeXProp) { .key = strdup(i->string),
                                                                      .value = strdup(i->valuestring) };
                                if (!nx[p->n_x_systemd++].key || !nx[p->n_x_systemd - 1].value)
                                        return -ENOMEM;
                        }
        }
        if ((k = jstr(json, "description", &p->description, ret_error)) < 0 ||
            (k = jkv(json, "vars", &p->vars, &p->n_vars, true, ret_error)) < 0 ||
            (k = jbool(json, "isForeground", &p->is_foreground, ret_error)) < 0 ||
            (k = jbool(json, "isTty", &p->is_tty, ret_error)) < 0 ||
            (k = jbool(json, "isElevated", &p->is_elevated, ret_error)) < 0 ||
            (k = jbool(json, "isInteractive", &p->is_interactive, ret_error)) < 0 ||
            (k = jint(json, "launchTimeout", &p->launch_timeout_seconds, ret_error)) < 0 ||
            (k = jstr(json, "isDisabled", &p->is_disabled, ret_error)) < 0 ||
            (k = jbool(json, "disableDotEnv", &p->is_dotenv_disabled, ret_error)) < 0 ||
            (k = jstr(json, "originalConfig", &p->original_config, ret_error)) < 0 ||
            (k = jint(json, "replicaNum", &p->replica_num, ret_error)) < 0 ||
            (k = jstr(json, "replicaName", &p->replica_name, ret_error)) < 0 ||
            (k = jstr(json, "executable", &p->executable, ret_error)) < 0 ||
            (k = jstrv(json, "args", &p->args, ret_error)) < 0)
                return k;
        v = jget(json, "schedule");
        if (v) {
                if (!cJSON_IsObject(v))
                        return jerr(ret_error, "'schedule' must be an object");
                p->schedule = new0(ComposeSchedule, 1);
                if (!p->schedule)
                        return -ENOMEM;
                if ((k = jstr(v, "cron", &p->schedule->cron, ret_error)) < 0 ||
                    (k = jstr(v, "timezone", &p->schedule->timezone, ret_error)) < 0 ||
                    (k = jstr(v, "interval", &p->schedule->interval, ret_error)) < 0 ||
                    (k = jbool(v, "run_on_start", &p->schedule->run_on_start, ret_error)) < 0 ||
                    (k = jint(v, "max_concurrent", &p->schedule->max_concurrent, ret_error)) < 0)
                        return k;
                if (!isempty(p->schedule->interval)) {
                        int64_t ns;
                        if (parse_go_duration(p->schedule->interval, &ns) < 0 || ns < 0)
                                return jerr(ret_error, "'interval' must be a duration");
                        p->schedule->interval_usec = (usec_t) ns / 1000;
                }
        }
        v = jget(json, "watch");
        if (v) {
                const cJSON *paths, *i;
                if (!cJSON_IsObject(v))
                        return jerr(ret_error, "'watch' must be an object");
                p->watch = new0(ComposeWatch, 1);
                if (!p->watch)
                        return -ENOMEM;
                paths = jget(v, "paths");
                if (paths) {
                        if (!cJSON_IsArray(paths))
                                return jerr(ret_error, "'paths' must be a list");
                        p->watch->paths = new0(ComposeWatchPath, cJSON_GetArraySize(paths) + 1);
                        if (!p->watch->paths)
                                return -ENOMEM;
                        cJSON_ArrayForEach(i, paths) {
                                ComposeWatchPath *wp = &p->watch->paths[p->watch->n_paths++];
                                if (!cJSON_IsObject(i))
                                        return jerr(ret_error, "watch paths must be objects");
                                if ((k = jstr(i, "path", &wp->path, ret_error)) < 0 ||
                                    (k = jstrv(i, "include", &wp->include, ret_error)) < 0 ||
                                    (k = jstrv(i, "exclude", &wp->exclude, ret_error)) < 0)
                                        return k;
                        }
                }
                if ((k = jbool(v, "cascade", &p->watch->cascade, ret_error)) < 0 ||
                    (k = jstr(v, "debounce", &p->watch->debounce, ret_error)) < 0 ||
                    (k = jint(v, "max_entries", &p->watch->max_entries, ret_error)) < 0 ||
                    (k = jint(v, "buffer_size", &p->watch->buffer_size, ret_error)) < 0 ||
                    (k = jbool(v, "disable_default_excludes", &p->watch->disable_default_excludes, ret_error)) < 0)
                        return k;
                if (!isempty(p->watch->debounce)) {
                        int64_t ns;
                        if (parse_go_duration(p->watch->debounce, &ns) >= 0 && ns > 0)
                                p->watch->debounce_usec = (usec_t) ns / 1000;
                }
        }
        v = jget(json, "mcp");
        if (v) {
                p->mcp = cJSON_PrintUnformatted(v);
                if (!p->mcp)
                        return -ENOMEM;
        }
        if ((k = jbool(json, "truncateLog", &p->truncate_log, ret_error)) < 0 ||
            (k = jbool(json, "disableCommandRendering", &p->is_template_disabled, ret_error)) < 0)
                return k;
        {
                int mf = 0;
                if ((k = jint(json, "monitorFor", &mf, ret_error)) < 0)
                        return k;
                if (mf == 1 || mf == 2)
                        p->monitor_for = strdup(mf == 1 ? "activity" : "silence");
        }
        v = jget(json, "successExitCodes");
        if (v) {
                const cJSON *i;
                if (!cJSON_IsArray(v))
                        return jerr(ret_error, "'successExitCodes' must be a list of integers");
                p->success_exit_codes = new0(int, cJSON_GetArraySize(v) + 1);
                if (!p->success_exit_codes)
                        return -ENOMEM;
                cJSON_ArrayForEach(i, v) {
                        if (!cJSON_IsNumber(i) || i->valuedouble != floor(i->valuedouble))
                                return jerr(ret_error, "'successExitCodes' must be a list of integers");
                        p->success_exit_codes[p->n_success_exit_codes++] = (int) i->valuedouble;
                }
        }

        /* identity: name is the base name; replicaName the unique name */
        if (isempty(p->base_name) && isempty(p->replica_name))
                return jerr(ret_error, "'name' is required");
        if (isempty(p->base_name) && (k = free_and_strdup(&p->base_name, p->replica_name)) < 0)
                return k;
        if (isempty(p->replica_name) && (k = free_and_strdup(&p->replica_name, p->base_name)) < 0)
                return k;
        p->name = strdup(p->replica_name);
        if (!p->name)
                return -ENOMEM;

        /* the defaults the loader applies, so that a POSTed config behaves like a loaded one */
        if (strv_length(p->namespaces) == 0 && (k = strv_extend(&p->namespaces, "default")) < 0)
                return k;
        if (p->replicas < 1)
                p->replicas = 1;
        if (p->launch_timeout_seconds < 1)
                p->launch_timeout_seconds = 5;
        if (p->shutdown.signal < 1 || p->shutdown.signal > 31)
                p->shutdown.signal = 15;
        if (p->availability.backoff_seconds < 1)
                p->availability.backoff_seconds = 1;

        *ret = TAKE_PTR(p);
        return 0;
}

int compose_project_from_json(const cJSON *json, ComposeProject **ret, char **ret_error) {
        _cleanup_(compose_project_freep) ComposeProject *p = NULL;
        const cJSON *v, *i;
        int k;

        if (!cJSON_IsObject(json))
                return jerr(ret_error, "the project must be a JSON object");
        p = new0(ComposeProject, 1);
        if (!p)
                return -ENOMEM;

        if ((k = jstr(json, "Version", &p->version, ret_error)) < 0 || (k = jstr(json, "Name", &p->name, ret_error)) < 0 ||
            (k = jstr(json, "LogLocation", &p->log_location, ret_error)) < 0 ||
            (k = jstr(json, "LogLevel", &p->log_level, ret_error)) < 0 ||
            (k = jint(json, "LogLength", &p->log_length, ret_error)) < 0 ||
            (k = jstr(json, "LogFormat", &p->log_format, ret_error)) < 0 ||
            (k = jstrv(json, "Environment", &p->environment, ret_error)) < 0 ||
            (k = jbool(json, "IsStrict", &p->is_strict, ret_error)) < 0 ||
            (k = jkv(json, "Vars", &p->vars, &p->n_vars, true, ret_error)) < 0 ||
            (k = jbool(json, "DisableEnvExpansion", &p->disable_env_expansion, ret_error)) < 0 ||
            (k = jbool(json, "IsTuiDisabled", &p->is_tui_disabled, ret_error)) < 0 ||
            (k = jstr(json, "ExtendsProject", &p->extends, ret_error)) < 0 ||
            (k = jkv(json, "EnvCommands", &p->env_cmds, &p->n_env_cmds, false, ret_error)) < 0 ||
            (k = jbool(json, "IsOrderedShutdown", &p->ordered_shutdown, ret_error)) < 0 ||
            (k = jstrv(json, "FileNames", &p->file_names, ret_error)) < 0 ||
            (k = jstrv(json, "EnvFileNames", &p->env_file_names, ret_error)) < 0)
                return k;
        v = jget(json, "LoggerConfig");
        if (v && (k = log_config_from_json(v, &p->log_configuration, ret_error)) < 0)
                return k;
        v = jget(json, "ShellConfig");
        if (v) {
                if (!cJSON_IsObject(v))
                        return jerr(ret_error, "'ShellConfig' must be an object");
                if ((k = jstr(v, "ShellCommand", &p->shell.shell_command, ret_error)) < 0 ||
                    (k = jstr(v, "ShellArgument", &p->shell.shell_argument, ret_error)) < 0 ||
                    (k = jstr(v, "ElevatedShellCmd", &p->shell.elevated_shell_command, ret_error)) < 0 ||
                    (k = jstr(v, "ElevatedShellArg", &p->shell.elevated_shell_argument, ret_error)) < 0)
                        return k;
        }
        v = jget(json, "DotEnvVars");
        if (v && cJSON_IsObject(v))
                cJSON_ArrayForEach(i, v)
                        if (cJSON_IsString(i) && (k = strv_env_set(&p->dot_env_vars, i->string, i->valuestring)) < 0)
                                return k;
        v = jget(json, "MCPServer");
        if (v && !(p->mcp_server = cJSON_PrintUnformatted(v)))
                return -ENOMEM;

        if (isempty(p->shell.shell_command) && (k = free_and_strdup(&p->shell.shell_command, "bash")) < 0)
                return k;
        if (isempty(p->shell.shell_argument) && (k = free_and_strdup(&p->shell.shell_argument, "-c")) < 0)
                return k;
        if (isempty(p->shell.elevated_shell_command) && (k = free_and_strdup(&p->shell.elevated_shell_command, "sudo")) < 0)
                return k;
        if (isempty(p->shell.elevated_shell_argument) && (k = free_and_strdup(&p->shell.elevated_shell_argument, "-S")) < 0)
                return k;
        if (p->log_length <= 0)
                p->log_length = 1000;
        if (isempty(p->log_level) && (k = free_and_strdup(&p->log_level, "info")) < 0)
                return k;
        {
                const char *base = !isempty(p->name) ? p->name : "";
                const char *s = strrchr(base, '/');
                p->project_name = strdup(s ? s + 1 : base);
                if (!p->project_name)
                        return -ENOMEM;
        }

        v = jget(json, "Processes");
        if (v) {
                if (!cJSON_IsObject(v))
                        return jerr(ret_error, "'Processes' must be an object");
                if (cJSON_GetArraySize(v) > (int) COMPOSE_PROCESSES_MAX)
                        return jerr(ret_error, "too many processes (limit %u)", COMPOSE_PROCESSES_MAX);
                p->processes = new0(ComposeProcess *, cJSON_GetArraySize(v) + 1);
                if (!p->processes)
                        return -ENOMEM;
                cJSON_ArrayForEach(i, v) {
                        ComposeProcess *proc = NULL;
                        _cleanup_free_ char *inner = NULL;
                        k = compose_process_from_json(i, &proc, &inner);
                        if (k == -EINVAL && !strstr(strempty(inner), "'name' is required"))
                                return jerr(ret_error, "process '%s': %s", i->string, strempty(inner));
                        if (k == -EINVAL) {
                                /* a process without name/replicaName: the map key names it */
                                cJSON *copy = cJSON_Duplicate(i, true);
                                if (!copy || !cJSON_AddStringToObject(copy, "name", i->string)) {
                                        cJSON_Delete(copy);
                                        return -ENOMEM;
                                }
                                free(inner);
                                inner = NULL;
                                k = compose_process_from_json(copy, &proc, &inner);
                                cJSON_Delete(copy);
                                if (k == -EINVAL)
                                        return jerr(ret_error, "process '%s': %s", i->string, strempty(inner));
                        }
                        if (k < 0)
                                return k;
                        if (!streq(proc->name, i->string)) {
                                /* the map key is the unique name */
                                free(proc->name);
                                proc->name = strdup(i->string);
                                if (!proc->name) {
                                        compose_process_free(proc);
                                        return -ENOMEM;
                                }
                        }
                        p->processes[p->n_processes++] = proc;
                }
        }
        compose_project_sort(p);
        for (size_t j = 1; j < p->n_processes; j++)
                if (streq(p->processes[j - 1]->name, p->processes[j]->name))
                        return jerr(ret_error, "process '%s' is defined twice", p->processes[j]->name);
        for (size_t j = 0; j < p->n_processes; j++) {
                ComposeProcess *proc = p->processes[j];
                if (isempty(proc->executable)) {
                        /* not resolved by a client-side loader: compute executable/args like the loader */
                        ComposeError e = {};
                        k = compose_finish_process(p, proc, &e);
                        if (k < 0) {
                                if (k == -EINVAL)
                                        jerr(ret_error, "%s", strempty(e.message));
                                compose_error_done(&e);
                                return k;
                        }
                }
                for (size_t d = 0; d < proc->n_depends_on; d++)
                        if (!compose_project_find_process(p, proc->depends_on[d].name))
                                return jerr(ret_error, "dependency process '%s' in process '%s' is not defined",
                                            proc->depends_on[d].name, proc->name);
        }
        {
                _cleanup_strv_free_ char **cycle = NULL;
                k = compose_find_cycle(p, &cycle);
                if (k < 0)
                        return k;
                if (k > 0) {
                        _cleanup_free_ char *chain = strv_join(cycle, " -> ");
                        return jerr(ret_error, "circular dependency found in '%s': %s", cycle[0], strempty(chain));
                }
        }

        *ret = TAKE_PTR(p);
        return 0;
}
