/* Freeing, copying and looking up the plain-data model of compose.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "compose/compose-internal.h"
#include "compose/compose-model.h"
#include "shared/strv.h"

static const char * const condition_table[_COMPOSE_CONDITION_MAX] = {
        [COMPOSE_CONDITION_PROCESS_COMPLETED] = "process_completed",
        [COMPOSE_CONDITION_PROCESS_COMPLETED_SUCCESSFULLY] = "process_completed_successfully",
        [COMPOSE_CONDITION_PROCESS_HEALTHY] = "process_healthy",
        [COMPOSE_CONDITION_PROCESS_STARTED] = "process_started",
        [COMPOSE_CONDITION_PROCESS_LOG_READY] = "process_log_ready",
};

static const char * const restart_table[_COMPOSE_RESTART_MAX] = {
        [COMPOSE_RESTART_NO] = "no",
        [COMPOSE_RESTART_ALWAYS] = "always",
        [COMPOSE_RESTART_ON_FAILURE] = "on_failure",
        [COMPOSE_RESTART_EXIT_ON_FAILURE] = "exit_on_failure",
};

const char *compose_condition_to_string(ComposeCondition c) {
        return c >= 0 && c < _COMPOSE_CONDITION_MAX ? condition_table[c] : NULL;
}

const char *compose_condition_to_short_string(ComposeCondition c) {
        const char *s = compose_condition_to_string(c);
        return s ? s + STRLEN("process_") : NULL;
}

ComposeCondition compose_condition_from_string(const char *s) {
        if (!s)
                return _COMPOSE_CONDITION_INVALID;
        for (int i = 0; i < _COMPOSE_CONDITION_MAX; i++)
                if (streq(condition_table[i], s))
                        return i;
        return _COMPOSE_CONDITION_INVALID;
}

const char *compose_restart_to_string(ComposeRestart r) {
        return r >= 0 && r < _COMPOSE_RESTART_MAX ? restart_table[r] : NULL;
}

ComposeRestart compose_restart_from_string(const char *s) {
        if (!s)
                return _COMPOSE_RESTART_INVALID;
        for (int i = 0; i < _COMPOSE_RESTART_MAX; i++)
                if (streq(restart_table[i], s))
                        return i;
        return _COMPOSE_RESTART_INVALID;
}

void compose_pos_done(ComposePos *p) {
        p->file = mfree(p->file);
}

int compose_pos_copy(ComposePos *dst, const ComposePos *src) {
        *dst = *src;
        dst->file = NULL;
        return free_and_strdup(&dst->file, src->file);
}

void compose_kv_free_array(ComposeKV *kv, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(kv[i].key);
                free(kv[i].value);
        }
        free(kv);
}

int compose_kv_copy_array(ComposeKV **dst, size_t *n_dst, const ComposeKV *src, size_t n) {
        ComposeKV *a;

        *dst = NULL;
        *n_dst = 0;
        if (n == 0)
                return 0;
        a = new0(ComposeKV, n);
        if (!a)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                a[i].key = strdup(src[i].key);
                a[i].value = strdup(strempty(src[i].value));
                a[i].literal = src[i].literal;
                if (!a[i].key || !a[i].value) {
                        compose_kv_free_array(a, n);
                        return -ENOMEM;
                }
        }
        *dst = a;
        *n_dst = n;
        return 0;
}

/* Sets key (replacing an existing entry with the same key). */
int compose_kv_set(ComposeKV **a, size_t *n, const char *key, const char *value, bool literal) {
        ComposeKV *na;
        char *v;

        v = strdup(strempty(value));
        if (!v)
                return -ENOMEM;
        for (size_t i = 0; i < *n; i++)
                if (streq((*a)[i].key, key)) {
                        free((*a)[i].value);
                        (*a)[i].value = v;
                        (*a)[i].literal = literal;
                        return 0;
                }
        na = realloc(*a, sizeof(ComposeKV) * (*n + 1));
        if (!na) {
                free(v);
                return -ENOMEM;
        }
        *a = na;
        na[*n] = (ComposeKV) { .key = strdup(key), .value = v, .literal = literal };
        if (!na[*n].key) {
                free(v);
                return -ENOMEM;
        }
        (*n)++;
        return 0;
}

const ComposeKV *compose_kv_get(const ComposeKV *a, size_t n, const char *key) {
        for (size_t i = 0; i < n; i++)
                if (streq(a[i].key, key))
                        return &a[i];
        return NULL;
}

ComposeProbe *compose_probe_free(ComposeProbe *p) {
        if (!p)
                return NULL;
        if (p->exec) {
                free(p->exec->command);
                free(p->exec->working_dir);
                free(p->exec);
        }
        if (p->http_get) {
                free(p->http_get->host);
                free(p->http_get->scheme);
                free(p->http_get->path);
                free(p->http_get->port);
                compose_kv_free_array(p->http_get->headers, p->http_get->n_headers);
                free(p->http_get);
        }
        free(p);
        return NULL;
}

ComposeLogConfig *compose_log_config_free(ComposeLogConfig *c) {
        if (!c)
                return NULL;
        if (c->rotation) {
                free(c->rotation->directory);
                free(c->rotation->filename);
                free(c->rotation);
        }
        strv_free(c->fields_order);
        free(c->timestamp_format);
        free(c);
        return NULL;
}

ComposeSchedule *compose_schedule_free(ComposeSchedule *s) {
        if (!s)
                return NULL;
        free(s->cron);
        free(s->timezone);
        free(s->interval);
        free(s);
        return NULL;
}

ComposeWatch *compose_watch_free(ComposeWatch *w) {
        if (!w)
                return NULL;
        for (size_t i = 0; i < w->n_paths; i++) {
                free(w->paths[i].path);
                strv_free(w->paths[i].include);
                strv_free(w->paths[i].exclude);
        }
        free(w->paths);
        free(w->debounce);
        free(w);
        return NULL;
}

void compose_deps_free(ComposeDependency *d, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(d[i].name);
                compose_pos_done(&d[i].pos);
        }
        free(d);
}

void compose_xprops_free(ComposeXProp *x, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(x[i].key);
                free(x[i].value);
                free(x[i].file);
        }
        free(x);
}

ComposeProcess *compose_process_free(ComposeProcess *p) {
        if (!p)
                return NULL;
        free(p->name);
        free(p->base_name);
        free(p->replica_name);
        free(p->command);
        strv_free(p->entrypoint);
        free(p->executable);
        strv_free(p->args);
        free(p->working_dir);
        strv_free(p->environment);
        free(p->env_file);
        compose_deps_free(p->depends_on, p->n_depends_on);
        compose_probe_free(p->readiness_probe);
        compose_probe_free(p->liveness_probe);
        free(p->ready_log_line);
        free(p->shutdown.command);
        free(p->shutdown.send_keys);
        strv_free(p->namespaces);
        free(p->is_disabled);
        free(p->description);
        free(p->log_location);
        compose_log_config_free(p->log_configuration);
        compose_kv_free_array(p->vars, p->n_vars);
        free(p->success_exit_codes);
        compose_schedule_free(p->schedule);
        compose_watch_free(p->watch);
        free(p->extends);
        free(p->monitor_for);
        free(p->monitor_silence_threshold);
        free(p->mcp);
        free(p->original_config);
        compose_xprops_free(p->x_systemd, p->n_x_systemd);
        compose_pos_done(&p->pos);
        compose_pos_done(&p->pos_working_dir);
        compose_pos_done(&p->pos_env_file);
        compose_pos_done(&p->pos_log_location);
        free(p);
        return NULL;
}

ComposeProject *compose_project_free(ComposeProject *p) {
        if (!p)
                return NULL;
        free(p->version);
        free(p->name);
        free(p->project_name);
        free(p->working_directory);
        strv_free(p->file_names);
        strv_free(p->env_file_names);
        strv_free(p->dot_env_vars);
        strv_free(p->environment);
        compose_kv_free_array(p->env_cmds, p->n_env_cmds);
        strv_free(p->env_cmds_environment);
        free(p->log_location);
        free(p->log_level);
        compose_log_config_free(p->log_configuration);
        free(p->log_format);
        free(p->shell.shell_command);
        free(p->shell.shell_argument);
        free(p->shell.elevated_shell_command);
        free(p->shell.elevated_shell_argument);
        compose_kv_free_array(p->vars, p->n_vars);
        free(p->extends);
        free(p->mcp_server);
        strv_free(p->namespaces);
        for (size_t i = 0; i < p->n_processes; i++)
                compose_process_free(p->processes[i]);
        free(p->processes);
        strv_free(p->warnings);
        strv_free(p->notes);
        free(p);
        return NULL;
}

/* ---- deep copies ---- */

#define DUP_STR(dst, src)                                  \
        do {                                               \
                if ((src) && !((dst) = strdup(src)))       \
                        return -ENOMEM;                    \
        } while (0)
#define DUP_STRV(dst, src)                                 \
        do {                                               \
                if ((src) && !((dst) = strv_copy(src)))    \
                        return -ENOMEM;                    \
        } while (0)

int compose_probe_dup(const ComposeProbe *src, ComposeProbe **ret) {
        _cleanup_(compose_probe_freep) ComposeProbe *p = NULL;

        *ret = NULL;
        if (!src)
                return 0;
        p = new0(ComposeProbe, 1);
        if (!p)
                return -ENOMEM;
        p->initial_delay_seconds = src->initial_delay_seconds;
        p->period_seconds = src->period_seconds;
        p->timeout_seconds = src->timeout_seconds;
        p->success_threshold = src->success_threshold;
        p->failure_threshold = src->failure_threshold;
        if (src->exec) {
                p->exec = new0(ComposeProbeExec, 1);
                if (!p->exec)
                        return -ENOMEM;
                DUP_STR(p->exec->command, src->exec->command);
                DUP_STR(p->exec->working_dir, src->exec->working_dir);
        }
        if (src->http_get) {
                p->http_get = new0(ComposeProbeHttp, 1);
                if (!p->http_get)
                        return -ENOMEM;
                DUP_STR(p->http_get->host, src->http_get->host);
                DUP_STR(p->http_get->scheme, src->http_get->scheme);
                DUP_STR(p->http_get->path, src->http_get->path);
                DUP_STR(p->http_get->port, src->http_get->port);
                p->http_get->num_port = src->http_get->num_port;
                p->http_get->status_code = src->http_get->status_code;
                if (compose_kv_copy_array(&p->http_get->headers, &p->http_get->n_headers, src->http_get->headers,
                                          src->http_get->n_headers) < 0)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(p);
        return 0;
}

int compose_log_config_dup(const ComposeLogConfig *src, ComposeLogConfig **ret) {
        _cleanup_(compose_log_config_freep) ComposeLogConfig *c = NULL;

        *ret = NULL;
        if (!src)
                return 0;
        c = new0(ComposeLogConfig, 1);
        if (!c)
                return -ENOMEM;
        *c = *src;
        c->rotation = NULL;
        c->fields_order = NULL;
        c->timestamp_format = NULL;
        if (src->rotation) {
                c->rotation = new0(ComposeLogRotation, 1);
                if (!c->rotation)
                        return -ENOMEM;
                *c->rotation = *src->rotation;
                c->rotation->directory = c->rotation->filename = NULL;
                DUP_STR(c->rotation->directory, src->rotation->directory);
                DUP_STR(c->rotation->filename, src->rotation->filename);
        }
        DUP_STRV(c->fields_order, src->fields_order);
        DUP_STR(c->timestamp_format, src->timestamp_format);
        *ret = TAKE_PTR(c);
        return 0;
}

int compose_schedule_dup(const ComposeSchedule *src, ComposeSchedule **ret) {
        _cleanup_(compose_schedule_freep) ComposeSchedule *s = NULL;

        *ret = NULL;
        if (!src)
                return 0;
        s = new0(ComposeSchedule, 1);
        if (!s)
                return -ENOMEM;
        *s = *src;
        s->cron = s->timezone = s->interval = NULL;
        DUP_STR(s->cron, src->cron);
        DUP_STR(s->timezone, src->timezone);
        DUP_STR(s->interval, src->interval);
        *ret = TAKE_PTR(s);
        return 0;
}

int compose_watch_dup(const ComposeWatch *src, ComposeWatch **ret) {
        _cleanup_(compose_watch_freep) ComposeWatch *w = NULL;

        *ret = NULL;
        if (!src)
                return 0;
        w = new0(ComposeWatch, 1);
        if (!w)
                return -ENOMEM;
        *w = *src;
        w->paths = NULL;
        w->n_paths = 0;
        w->debounce = NULL;
        DUP_STR(w->debounce, src->debounce);
        if (src->n_paths > 0) {
                w->paths = new0(ComposeWatchPath, src->n_paths);
                if (!w->paths)
                        return -ENOMEM;
                w->n_paths = src->n_paths;
                for (size_t i = 0; i < src->n_paths; i++) {
                        DUP_STR(w->paths[i].path, src->paths[i].path);
                        DUP_STRV(w->paths[i].include, src->paths[i].include);
                        DUP_STRV(w->paths[i].exclude, src->paths[i].exclude);
                }
        }
        *ret = TAKE_PTR(w);
        return 0;
}

int compose_deps_copy(ComposeDependency **dst, size_t *n_dst, const ComposeDependency *src, size_t n) {
        ComposeDependency *d;

        *dst = NULL;
        *n_dst = 0;
        if (n == 0)
                return 0;
        d = new0(ComposeDependency, n);
        if (!d)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                d[i].condition = src[i].condition;
                d[i].name = strdup(src[i].name);
                if (!d[i].name || compose_pos_copy(&d[i].pos, &src[i].pos) < 0) {
                        compose_deps_free(d, n);
                        return -ENOMEM;
                }
        }
        *dst = d;
        *n_dst = n;
        return 0;
}

int compose_process_dup(const ComposeProcess *src, ComposeProcess **ret) {
        _cleanup_(compose_process_freep) ComposeProcess *p = NULL;

        p = new0(ComposeProcess, 1);
        if (!p)
                return -ENOMEM;

        /* scalars first, then replace every pointer with a copy */
        *p = *src;
        p->name = p->base_name = p->replica_name = p->command = p->executable = p->working_dir = NULL;
        p->env_file = p->ready_log_line = p->is_disabled = p->description = p->log_location = NULL;
        p->extends = p->monitor_for = p->monitor_silence_threshold = p->mcp = p->original_config = NULL;
        p->shutdown.command = p->shutdown.send_keys = NULL;
        p->entrypoint = p->args = p->environment = p->namespaces = NULL;
        p->depends_on = NULL;
        p->n_depends_on = 0;
        p->readiness_probe = p->liveness_probe = NULL;
        p->log_configuration = NULL;
        p->vars = NULL;
        p->n_vars = 0;
        p->success_exit_codes = NULL;
        p->n_success_exit_codes = 0;
        p->schedule = NULL;
        p->watch = NULL;
        p->x_systemd = NULL;
        p->n_x_systemd = 0;
        p->pos = p->pos_working_dir = p->pos_env_file = p->pos_log_location = (ComposePos) {};

        DUP_STR(p->name, src->name);
        DUP_STR(p->base_name, src->base_name);
        DUP_STR(p->replica_name, src->replica_name);
        DUP_STR(p->command, src->command);
        DUP_STR(p->executable, src->executable);
        DUP_STR(p->working_dir, src->working_dir);
        DUP_STR(p->env_file, src->env_file);
        DUP_STR(p->ready_log_line, src->ready_log_line);
        DUP_STR(p->is_disabled, src->is_disabled);
        DUP_STR(p->description, src->description);
        DUP_STR(p->log_location, src->log_location);
        DUP_STR(p->extends, src->extends);
        DUP_STR(p->monitor_for, src->monitor_for);
        DUP_STR(p->monitor_silence_threshold, src->monitor_silence_threshold);
        DUP_STR(p->mcp, src->mcp);
        DUP_STR(p->original_config, src->original_config);
        DUP_STR(p->shutdown.command, src->shutdown.command);
        DUP_STR(p->shutdown.send_keys, src->shutdown.send_keys);
        DUP_STRV(p->entrypoint, src->entrypoint);
        DUP_STRV(p->args, src->args);
        DUP_STRV(p->environment, src->environment);
        DUP_STRV(p->namespaces, src->namespaces);
        if (compose_deps_copy(&p->depends_on, &p->n_depends_on, src->depends_on, src->n_depends_on) < 0 ||
            compose_probe_dup(src->readiness_probe, &p->readiness_probe) < 0 ||
            compose_probe_dup(src->liveness_probe, &p->liveness_probe) < 0 ||
            compose_log_config_dup(src->log_configuration, &p->log_configuration) < 0 ||
            compose_kv_copy_array(&p->vars, &p->n_vars, src->vars, src->n_vars) < 0 ||
            compose_schedule_dup(src->schedule, &p->schedule) < 0 ||
            compose_watch_dup(src->watch, &p->watch) < 0)
                return -ENOMEM;
        if (src->n_success_exit_codes > 0) {
                p->success_exit_codes = new(int, src->n_success_exit_codes);
                if (!p->success_exit_codes)
                        return -ENOMEM;
                memcpy(p->success_exit_codes, src->success_exit_codes, sizeof(int) * src->n_success_exit_codes);
                p->n_success_exit_codes = src->n_success_exit_codes;
        }
        if (src->n_x_systemd > 0) {
                p->x_systemd = new0(ComposeXProp, src->n_x_systemd);
                if (!p->x_systemd)
                        return -ENOMEM;
                p->n_x_systemd = src->n_x_systemd;
                for (size_t i = 0; i < src->n_x_systemd; i++) {
                        p->x_systemd[i].line = src->x_systemd[i].line;
                        p->x_systemd[i].column = src->x_systemd[i].column;
                        DUP_STR(p->x_systemd[i].key, src->x_systemd[i].key);
                        DUP_STR(p->x_systemd[i].value, src->x_systemd[i].value);
                        DUP_STR(p->x_systemd[i].file, src->x_systemd[i].file);
                }
        }
        if (compose_pos_copy(&p->pos, &src->pos) < 0 ||
            compose_pos_copy(&p->pos_working_dir, &src->pos_working_dir) < 0 ||
            compose_pos_copy(&p->pos_env_file, &src->pos_env_file) < 0 ||
            compose_pos_copy(&p->pos_log_location, &src->pos_log_location) < 0)
                return -ENOMEM;

        *ret = TAKE_PTR(p);
        return 0;
}

/* ---- lookups ---- */

ComposeProcess *compose_project_find_process(const ComposeProject *p, const char *name) {
        size_t lo = 0, hi;

        if (!p || !name)
                return NULL;
        /* processes are kept sorted by name */
        hi = p->n_processes;
        while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                int c = strcmp(p->processes[mid]->name, name);
                if (c == 0)
                        return p->processes[mid];
                if (c < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        /* a caller that appended without compose_project_sort() still finds its process */
        for (size_t i = 0; i < p->n_processes; i++)
                if (streq(p->processes[i]->name, name))
                        return p->processes[i];
        return NULL;
}

int compose_project_find_replicas(const ComposeProject *p, const char *base_name, ComposeProcess ***ret) {
        ComposeProcess **a = NULL;
        size_t n = 0;

        for (size_t i = 0; i < p->n_processes; i++)
                if (streq(p->processes[i]->base_name, base_name)) {
                        ComposeProcess **na = realloc(a, sizeof(ComposeProcess *) * (n + 1));
                        if (!na) {
                                free(a);
                                return -ENOMEM;
                        }
                        a = na;
                        a[n++] = p->processes[i];
                }
        /* by replica number, not name: "web-10" sorts before "web-2" only if widths differ, which they don't,
         * but keep the contract independent of naming */
        for (size_t i = 1; i < n; i++)
                for (size_t j = i; j > 0 && a[j - 1]->replica_num > a[j]->replica_num; j--) {
                        ComposeProcess *t = a[j];
                        a[j] = a[j - 1];
                        a[j - 1] = t;
                }
        *ret = a;
        return (int) n;
}

static int process_cmp(const void *a, const void *b) {
        return strcmp((*(ComposeProcess * const *) a)->name, (*(ComposeProcess * const *) b)->name);
}

void compose_project_sort(ComposeProject *p) {
        if (p->n_processes > 1)
                qsort(p->processes, p->n_processes, sizeof(ComposeProcess *), process_cmp);
}

char *compose_replica_name(const char *base, int i, int n) {
        char *s;
        int width = 1;

        if (n <= 1)
                return strdup(base);
        for (int k = n; k >= 10; k /= 10)
                width++;
        return asprintf(&s, "%s-%0*d", base, width, i) < 0 ? NULL : s;
}

char *compose_dry_run_message(const ComposeProject *project) {
        char *s;
        return asprintf(&s, "Validated %zu configured processes from %zu files.", project->n_processes,
                        strv_length(project->file_names)) < 0 ? NULL : s;
}

int compose_project_add_warning(ComposeProject *p, const ComposePos *pos, const char *fmt, ...) {
        va_list ap;
        char *m = NULL, *full = NULL;
        int k;

        va_start(ap, fmt);
        k = vasprintf(&m, fmt, ap);
        va_end(ap);
        if (k < 0)
                return -ENOMEM;
        if (pos && pos->file) {
                if (pos->line > 0)
                        k = asprintf(&full, "%s:%u:%u: %s", pos->file, pos->line, pos->column, m);
                else
                        k = asprintf(&full, "%s: %s", pos->file, m);
                free(m);
                if (k < 0)
                        return -ENOMEM;
        } else
                full = m;
        /* bounded: a hostile file could otherwise produce millions of warnings */
        if (strv_length(p->warnings) >= 1000) {
                free(full);
                return 0;
        }
        return strv_consume(&p->warnings, full);
}

int compose_project_add_note(ComposeProject *p, const char *fmt, ...) {
        va_list ap;
        char *m = NULL;
        int k;

        if (strv_length(p->notes) >= 1000)
                return 0;
        va_start(ap, fmt);
        k = vasprintf(&m, fmt, ap);
        va_end(ap);
        if (k < 0)
                return -ENOMEM;
        if (strv_contains(p->notes, m)) {
                free(m);
                return 0;
        }
        return strv_consume(&p->notes, m);
}

int compose_findings_add(ComposeFindings *f, const char *file, unsigned line, unsigned column, const char *fmt, ...) {
        va_list ap;
        ComposeFinding *n;
        char *m = NULL;
        int k;

        if (f->n >= 1000)
                return 0;
        va_start(ap, fmt);
        k = vasprintf(&m, fmt, ap);
        va_end(ap);
        if (k < 0)
                return -ENOMEM;
        n = realloc(f->items, sizeof(ComposeFinding) * (f->n + 1));
        if (!n) {
                free(m);
                return -ENOMEM;
        }
        f->items = n;
        n[f->n] = (ComposeFinding) { .pos = { .file = file ? strdup(file) : NULL, .line = line, .column = column },
                                     .message = m };
        f->n++;
        return 0;
}

void compose_findings_done(ComposeFindings *f) {
        for (size_t i = 0; i < f->n; i++) {
                compose_pos_done(&f->items[i].pos);
                free(f->items[i].message);
        }
        free(f->items);
        *f = (ComposeFindings) {};
}
