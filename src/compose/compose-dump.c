/* The resolved project as YAML (`pcctl config`), with libyaml's emitter. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "compose/compose-table.h"
#include "shared/strv.h"

/* ---- YAML dump (`pcctl config`) ---- */

typedef struct Emit {
        yaml_emitter_t e;
        bool failed;
} Emit;

static void em_scalar(Emit *m, const char *s, bool plain_ok) {
        yaml_event_t ev;
        if (m->failed)
                return;
        if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *) s, (int) strlen(s), plain_ok, !plain_ok,
                                          plain_ok ? YAML_ANY_SCALAR_STYLE : YAML_DOUBLE_QUOTED_SCALAR_STYLE) ||
            !yaml_emitter_emit(&m->e, &ev))
                m->failed = true;
}
static void em_str(Emit *m, const char *s) {
        em_scalar(m, s, false);
}
static void em_key(Emit *m, const char *s) {
        em_scalar(m, s, true);
}
static void em_begin(Emit *m, bool map) {
        yaml_event_t ev;
        if (m->failed)
                return;
        if (!(map ? yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE)
                  : yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE)) ||
            !yaml_emitter_emit(&m->e, &ev))
                m->failed = true;
}
static void em_end(Emit *m, bool map) {
        yaml_event_t ev;
        if (m->failed)
                return;
        if (!(map ? yaml_mapping_end_event_initialize(&ev) : yaml_sequence_end_event_initialize(&ev)) ||
            !yaml_emitter_emit(&m->e, &ev))
                m->failed = true;
}

static void em_kstr(Emit *m, const char *k, const char *v) {
        if (isempty(v))
                return;
        em_key(m, k);
        em_str(m, v);
}
static void em_kint(Emit *m, const char *k, long long v) {
        char buf[32];
        if (v == 0)
                return;
        snprintf(buf, sizeof buf, "%lld", v);
        em_key(m, k);
        em_key(m, buf);
}
static void em_kbool(Emit *m, const char *k, bool v) {
        if (!v)
                return;
        em_key(m, k);
        em_key(m, "true");
}
static void em_kstrv(Emit *m, const char *k, char * const *l) {
        if (strv_length(l) == 0)
                return;
        em_key(m, k);
        em_begin(m, false);
        STRV_FOREACH(s, l)
                em_str(m, *s);
        em_end(m, false);
}
static void em_kkv(Emit *m, const char *k, const ComposeKV *kv, size_t n) {
        if (n == 0)
                return;
        em_key(m, k);
        em_begin(m, true);
        for (size_t i = 0; i < n; i++) {
                em_key(m, kv[i].key);
                if (kv[i].literal)
                        em_key(m, kv[i].value);
                else
                        em_str(m, kv[i].value);
        }
        em_end(m, true);
}

static void em_log_config(Emit *m, const char *k, const ComposeLogConfig *c) {
        if (!c)
                return;
        em_key(m, k);
        em_begin(m, true);
        if (c->rotation) {
                em_key(m, "rotation");
                em_begin(m, true);
                em_kint(m, "max_size_mb", c->rotation->max_size_mb);
                em_kint(m, "max_backups", c->rotation->max_backups);
                em_kint(m, "max_age_days", c->rotation->max_age_days);
                em_kbool(m, "compress", c->rotation->compress);
                em_kstr(m, "directory", c->rotation->directory);
                em_kstr(m, "filename", c->rotation->filename);
                em_end(m, true);
        }
        em_kstrv(m, "fields_order", c->fields_order);
        em_kbool(m, "disable_json", c->disable_json);
        em_kstr(m, "timestamp_format", c->timestamp_format);
        em_kbool(m, "no_color", c->no_color);
        em_kbool(m, "no_metadata", c->no_metadata);
        em_kbool(m, "add_timestamp", c->add_timestamp);
        em_kbool(m, "flush_each_line", c->flush_each_line);
        em_end(m, true);
}

static void em_probe(Emit *m, const char *k, const ComposeProbe *p) {
        if (!p)
                return;
        em_key(m, k);
        em_begin(m, true);
        if (p->exec) {
                em_key(m, "exec");
                em_begin(m, true);
                em_kstr(m, "command", p->exec->command);
                em_kstr(m, "working_dir", p->exec->working_dir);
                em_end(m, true);
        }
        if (p->http_get) {
                em_key(m, "http_get");
                em_begin(m, true);
                em_kstr(m, "host", p->http_get->host);
                em_kstr(m, "scheme", p->http_get->scheme);
                em_kstr(m, "path", p->http_get->path);
                em_kstr(m, "port", p->http_get->port);
                em_kkv(m, "headers", p->http_get->headers, p->http_get->n_headers);
                em_kint(m, "status_code", p->http_get->status_code);
                em_end(m, true);
        }
        em_kint(m, "initial_delay_seconds", p->initial_delay_seconds);
        em_kint(m, "period_seconds", p->period_seconds);
        em_kint(m, "timeout_seconds", p->timeout_seconds);
        em_kint(m, "success_threshold", p->success_threshold);
        em_kint(m, "failure_threshold", p->failure_threshold);
        em_end(m, true);
}

static void em_depends_on(Emit *m, const ComposeProcess *p) {
        if (p->n_depends_on == 0)
                return;
        em_key(m, "depends_on");
        em_begin(m, true);
        for (size_t i = 0; i < p->n_depends_on; i++) {
                em_key(m, p->depends_on[i].name);
                em_begin(m, true);
                em_key(m, "condition");
                em_key(m, compose_condition_to_string(p->depends_on[i].condition));
                em_end(m, true);
        }
        em_end(m, true);
}

static void em_schedule(Emit *m, const ComposeSchedule *s) {
        if (!s)
                return;
        em_key(m, "schedule");
        em_begin(m, true);
        em_kstr(m, "cron", s->cron);
        em_kstr(m, "timezone", s->timezone);
        em_kstr(m, "interval", s->interval);
        em_kbool(m, "run_on_start", s->run_on_start);
        em_kint(m, "max_concurrent", s->max_concurrent);
        em_end(m, true);
}

static void em_watch(Emit *m, const ComposeWatch *w) {
        if (!w)
                return;
        em_key(m, "watch");
        em_begin(m, true);
        if (w->n_paths > 0) {
                em_key(m, "paths");
                em_begin(m, false);
                for (size_t i = 0; i < w->n_paths; i++) {
                        em_begin(m, true);
                        em_key(m, "path");
                        em_str(m, strempty(w->paths[i].path));
                        em_kstrv(m, "include", w->paths[i].include);
                        em_kstrv(m, "exclude", w->paths[i].exclude);
                        em_end(m, true);
                }
                em_end(m, false);
        }
        em_kstr(m, "debounce", w->debounce);
        em_kbool(m, "cascade", w->cascade);
        em_kint(m, "max_entries", w->max_entries);
        em_kint(m, "buffer_size", w->buffer_size);
        em_kbool(m, "disable_default_excludes", w->disable_default_excludes);
        em_end(m, true);
}

static void em_process(Emit *m, const ComposeProcess *p) {
        em_key(m, p->name);
        em_begin(m, true);
        em_kstr(m, "description", p->description);
        em_kstr(m, "command", p->command);
        em_kstrv(m, "entrypoint", p->entrypoint);
        em_kstr(m, "working_dir", p->working_dir);
        em_kstrv(m, "environment", p->environment);
        em_kstr(m, "env_file", p->env_file);
        em_kbool(m, "is_dotenv_disabled", p->is_dotenv_disabled);
        em_depends_on(m, p);
        em_key(m, "availability");
        em_begin(m, true);
        em_key(m, "restart");
        em_str(m, compose_restart_to_string(p->availability.restart));
        em_kint(m, "backoff_seconds", p->availability.backoff_seconds);
        em_kint(m, "max_restarts", p->availability.max_restarts);
        em_kbool(m, "exit_on_end", p->availability.exit_on_end);
        em_kbool(m, "exit_on_skipped", p->availability.exit_on_skipped);
        em_end(m, true);
        em_probe(m, "readiness_probe", p->readiness_probe);
        em_probe(m, "liveness_probe", p->liveness_probe);
        em_kstr(m, "ready_log_line", p->ready_log_line);
        em_key(m, "shutdown");
        em_begin(m, true);
        em_kstr(m, "command", p->shutdown.command);
        em_kint(m, "signal", p->shutdown.signal);
        em_kint(m, "timeout_seconds", p->shutdown.timeout_seconds);
        em_kbool(m, "parent_only", p->shutdown.parent_only);
        em_kstr(m, "send_keys", p->shutdown.send_keys);
        em_end(m, true);
        if (strv_length(p->namespaces) == 1)
                em_kstr(m, "namespace", p->namespaces[0]);
        else
                em_kstrv(m, "namespace", p->namespaces);
        em_kbool(m, "disabled", p->disabled);
        em_kbool(m, "is_daemon", p->is_daemon);
        em_kint(m, "launch_timeout_seconds", p->launch_timeout_seconds);
        em_kbool(m, "is_foreground", p->is_foreground);
        em_kbool(m, "is_tty", p->is_tty);
        em_kbool(m, "is_interactive", p->is_interactive);
        em_kbool(m, "is_elevated", p->is_elevated);
        em_kstr(m, "log_location", p->log_location);
        em_log_config(m, "log_configuration", p->log_configuration);
        if (p->n_success_exit_codes > 0) {
                em_key(m, "success_exit_codes");
                em_begin(m, false);
                for (size_t i = 0; i < p->n_success_exit_codes; i++) {
                        char buf[16];
                        snprintf(buf, sizeof buf, "%d", p->success_exit_codes[i]);
                        em_key(m, buf);
                }
                em_end(m, false);
        }
        em_schedule(m, p->schedule);
        em_watch(m, p->watch);
        em_kbool(m, "truncate_log", p->truncate_log);
        /* already rendered: must not be rendered again when the output is loaded */
        em_kbool(m, "is_template_disabled", true);
        if (p->n_x_systemd > 0) {
                em_key(m, "x-systemd");
                em_begin(m, true);
                for (size_t i = 0; i < p->n_x_systemd; i++) {
                        em_key(m, p->x_systemd[i].key);
                        em_str(m, p->x_systemd[i].value);
                }
                em_end(m, true);
        }
        em_end(m, true);
}

static void em_project(Emit *m, const ComposeProject *p) {
        em_begin(m, true);
        em_kstr(m, "version", p->version);
        em_kstr(m, "name", p->name);
        /* every substitution has happened: loading this output must not substitute again */
        em_kbool(m, "disable_env_expansion", true);
        em_kbool(m, "is_strict", p->is_strict);
        em_kbool(m, "ordered_shutdown", p->ordered_shutdown);
        em_kbool(m, "is_tui_disabled", p->is_tui_disabled);
        em_kstr(m, "log_location", p->log_location);
        em_kstr(m, "log_level", p->log_level);
        em_kint(m, "log_length", p->log_length);
        em_log_config(m, "log_configuration", p->log_configuration);
        em_kstrv(m, "environment", p->environment);
        em_key(m, "shell");
        em_begin(m, true);
        em_kstr(m, "shell_command", p->shell.shell_command);
        em_kstr(m, "shell_argument", p->shell.shell_argument);
        em_kstr(m, "elevated_shell_command", p->shell.elevated_shell_command);
        em_kstr(m, "elevated_shell_argument", p->shell.elevated_shell_argument);
        em_end(m, true);
        em_kkv(m, "env_cmds", p->env_cmds, p->n_env_cmds);
        em_key(m, "processes");
        em_begin(m, true);
        for (size_t i = 0; i < p->n_processes; i++)
                em_process(m, p->processes[i]);
        em_end(m, true);
        em_end(m, true);
}

static int yaml_write(void *data, unsigned char *buffer, size_t size) {
        FILE *f = data;
        return fwrite(buffer, 1, size, f) == size;
}

int compose_project_format_yaml(const ComposeProject *project, char **ret) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        FILE *f;
        Emit m = {};
        yaml_event_t ev;

        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        if (!yaml_emitter_initialize(&m.e)) {
                fclose(f);
                return -ENOMEM;
        }
        yaml_emitter_set_output(&m.e, yaml_write, f);
        yaml_emitter_set_unicode(&m.e, 1);
        yaml_emitter_set_width(&m.e, -1);
        if (!yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) || !yaml_emitter_emit(&m.e, &ev))
                m.failed = true;
        if (!m.failed &&
            (!yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1) || !yaml_emitter_emit(&m.e, &ev)))
                m.failed = true;
        em_project(&m, project);
        if (!m.failed && (!yaml_document_end_event_initialize(&ev, 1) || !yaml_emitter_emit(&m.e, &ev)))
                m.failed = true;
        if (!m.failed && (!yaml_stream_end_event_initialize(&ev) || !yaml_emitter_emit(&m.e, &ev)))
                m.failed = true;
        yaml_emitter_delete(&m.e);
        if (fclose(f) != 0 || m.failed)
                return -ENOMEM;
        *ret = TAKE_PTR(buf);
        return 0;
}
