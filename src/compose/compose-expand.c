/* Expanding, the third stage of compose_load() (compat §1.1 steps 6-9, §1.8): defaults, replicas,
 * paths, Go templates and executable/args. compose_finish_process() is also what compose_scale() runs for
 * a new replica. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compose/compose-json.h"
#include "compose/compose-table.h"
#include "shared/parse-util.h"
#include "shared/strv.h"

/* ---- per-process finishing: templates, probe defaults, executable/args ---- */

void compose_probe_apply_defaults(ComposeProbe *p) {
        if (!p)
                return;
        if (p->initial_delay_seconds < 0)
                p->initial_delay_seconds = 0;
        if (p->period_seconds < 1)
                p->period_seconds = 10;
        if (p->timeout_seconds < 1)
                p->timeout_seconds = 1;
        if (p->success_threshold < 1)
                p->success_threshold = 1;
        if (p->failure_threshold < 1)
                p->failure_threshold = 3;
        if (p->http_get) {
                ComposeProbeHttp *h = p->http_get;
                if (isempty(h->host))
                        (void) free_and_strdup(&h->host, "127.0.0.1");
                if (isempty(h->scheme))
                        (void) free_and_strdup(&h->scheme, "http");
                if (isempty(h->path))
                        (void) free_and_strdup(&h->path, "/");
                h->num_port = 0;
                if (!isempty(h->port)) {
                        uint16_t v;

                        if (parse_port(h->port, &v) >= 0)
                                h->num_port = v;
                }
                if (h->status_code < 1 || h->status_code >= 400)
                        h->status_code = 200;
        }
}

static int render_field(char **field, const ComposeKV *vars, size_t n_vars, char **ret_error) {
        char *out = NULL;
        int r;

        if (isempty(*field))
                return 0;
        r = template_render(*field, vars, n_vars, &out, ret_error);
        if (r < 0)
                return r;
        free(*field);
        *field = out;
        return 0;
}

static int render_probe(ComposeProbe *probe, const ComposeKV *vars, size_t n_vars, char **err) {
        int r = 0;

        if (!probe)
                return 0;
        if (probe->exec)
                r = render_field(&probe->exec->command, vars, n_vars, err);
        else if (probe->http_get) {
                r = render_field(&probe->http_get->path, vars, n_vars, err);
                if (r >= 0)
                        r = render_field(&probe->http_get->host, vars, n_vars, err);
                if (r >= 0)
                        r = render_field(&probe->http_get->scheme, vars, n_vars, err);
                if (r >= 0)
                        r = render_field(&probe->http_get->port, vars, n_vars, err);
        }
        compose_probe_apply_defaults(probe);
        return r;
}

static bool has_braces(const char *s) {
        return s && strstr(s, "{{");
}

static bool probe_has_templates(const ComposeProbe *p) {
        if (!p)
                return false;
        if (p->exec)
                return has_braces(p->exec->command);
        return p->http_get && (has_braces(p->http_get->host) || has_braces(p->http_get->path) ||
                               has_braces(p->http_get->scheme) || has_braces(p->http_get->port));
}

static bool process_has_templates(const ComposeProcess *p) {
        if ((!p->is_template_disabled && has_braces(p->command)) || has_braces(p->working_dir) ||
            has_braces(p->log_location) || has_braces(p->description) || probe_has_templates(p->readiness_probe) ||
            probe_has_templates(p->liveness_probe))
                return true;
        STRV_FOREACH(e, p->environment)
                if (has_braces(*e))
                        return true;
        return false;
}

static const char *elevated_shell_arg(const ComposeProject *p) {
        return p->is_tui_disabled ? "" : strempty(p->shell.elevated_shell_argument);
}

/* executable and args (compat §1.3 command vs entrypoint) */
static int compute_command(const ComposeProject *project, ComposeProcess *p) {
        int r;

        p->args = strv_free(p->args);
        if (!isempty(p->command) || strv_length(p->entrypoint) == 0) {
                r = free_and_strdup(&p->executable, project->shell.shell_command);
                if (r < 0)
                        return r;
                if (!isempty(p->command)) {
                        _cleanup_free_ char *elevated = NULL;
                        r = strv_extend(&p->args, strempty(project->shell.shell_argument));
                        if (r < 0)
                                return r;
                        if (p->is_elevated) {
                                if (asprintf(&elevated, "%s %s %s", strempty(project->shell.elevated_shell_command),
                                             elevated_shell_arg(project), p->command) < 0)
                                        return -ENOMEM;
                                r = strv_extend(&p->args, elevated);
                        } else
                                r = strv_extend(&p->args, p->command);
                        if (r < 0)
                                return r;
                }
        } else {
                _cleanup_strv_free_ char **full = NULL;
                if (p->is_elevated) {
                        r = strv_extend(&full, strempty(project->shell.elevated_shell_command));
                        if (r >= 0)
                                r = strv_extend(&full, elevated_shell_arg(project));
                        if (r < 0)
                                return r;
                }
                STRV_FOREACH(s, p->entrypoint) {
                        r = strv_extend(&full, *s);
                        if (r < 0)
                                return r;
                }
                r = free_and_strdup(&p->executable, full[0]);
                if (r < 0)
                        return r;
                p->args = strv_copy(full + 1);
                if (!p->args)
                        return -ENOMEM;
        }
        if (!p->args) {
                p->args = new0(char *, 1);
                if (!p->args)
                        return -ENOMEM;
        }
        return 0;
}

/* Templates (compat §1.1 step 8), probe defaults and executable/args (step 9) for one process. Also used
 * by compose_scale() for new replicas. */
int compose_finish_process(const ComposeProject *project, ComposeProcess *p, ComposeError *e) {
        _cleanup_free_ ComposeKV *data = NULL;
        _cleanup_free_ char *err = NULL, *num = NULL;
        cJSON *orig;
        size_t n_data = 0;
        int r;

        /* original_config: the process as JSON before rendering, which scale-up renders new replicas from.
         * Only a process with templates needs it; for the others rendering changes nothing and scale-up copies
         * a replica. Building it for every process was a sixth of the load time of a large project. */
        p->original_config = mfree(p->original_config);
        if (process_has_templates(p)) {
                orig = compose_process_to_json(p);
                if (!orig)
                        return -ENOMEM;
                p->original_config = cJSON_PrintUnformatted(orig);
                cJSON_Delete(orig);
                if (!p->original_config)
                        return -ENOMEM;
        }

        if (asprintf(&num, "%d", p->replica_num) < 0)
                return -ENOMEM;
        r = compose_kv_set(&p->vars, &p->n_vars, "PC_REPLICA_NUM", num, true);
        if (r < 0)
                return r;

        /* data = project vars overlaid by process vars (the later entry wins in template_render) */
        data = new(ComposeKV, project->n_vars + p->n_vars + 1);
        if (!data)
                return -ENOMEM;
        for (size_t i = 0; i < project->n_vars; i++)
                data[n_data++] = project->vars[i];
        for (size_t i = 0; i < p->n_vars; i++)
                data[n_data++] = p->vars[i];

        if (!p->is_template_disabled)
                r = render_field(&p->command, data, n_data, &err);
        if (r >= 0)
                r = render_field(&p->working_dir, data, n_data, &err);
        if (r >= 0)
                r = render_field(&p->log_location, data, n_data, &err);
        if (r >= 0)
                r = render_field(&p->description, data, n_data, &err);
        for (size_t i = 0; r >= 0 && p->environment && p->environment[i]; i++)
                r = render_field(&p->environment[i], data, n_data, &err);
        if (r >= 0)
                r = render_probe(p->readiness_probe, data, n_data, &err);
        if (r >= 0)
                r = render_probe(p->liveness_probe, data, n_data, &err);
        if (r == -EINVAL)
                return compose_error_set(e, r, p->pos.file, p->pos.line, p->pos.column,
                                         "error rendering template for process %s: %s", p->name, strempty(err));
        if (r < 0)
                return r;

        return compute_command(project, p);
}

/* ---- defaults and replicas (compat §1.1 step 7, §1.8) ---- */

static int apply_process_defaults(ComposeProcess *p, ComposeError *e) {
        int r;

        if (!p->namespaces || !p->namespaces[0]) {
                strv_free(p->namespaces);
                p->namespaces = NULL;
                r = strv_extend(&p->namespaces, "default");
                if (r < 0)
                        return r;
        }
        if (p->replicas < 0)
                return compose_error_set(e, -EINVAL, p->pos.file, p->pos.line, p->pos.column,
                                         "'replicas' of process '%s' must not be negative, got %d", p->name,
                                         p->replicas);
        if (p->replicas == 0)
                p->replicas = 1;
        if (p->launch_timeout_seconds < 1)
                p->launch_timeout_seconds = 5;
        if (p->shutdown.signal < 1 || p->shutdown.signal > 31)
                p->shutdown.signal = 15;
        if (p->availability.backoff_seconds < 1)
                p->availability.backoff_seconds = 1;
        if (p->schedule && p->schedule->max_concurrent < 1)
                p->schedule->max_concurrent = 1;
        if (p->watch) {
                if (isempty(p->watch->debounce))
                        (void) free_and_strdup(&p->watch->debounce, "300ms");
                if (p->watch->max_entries < 1)
                        p->watch->max_entries = 8192;
                if (p->watch->buffer_size == 0)
                        p->watch->buffer_size = 65536;
        }
        return 0;
}

/* Dependencies on a replicated process expand to all its replicas, unless one is named explicitly. */
static int expand_group_dependencies(ComposeProject *p, ComposeProcess *proc) {
        ComposeDependency *nd = NULL;
        size_t nn = 0;

        if (proc->n_depends_on == 0)
                return 0;
        for (size_t j = 0; j < proc->n_depends_on; j++) {
                ComposeDependency *d = &proc->depends_on[j];
                ComposeProcess **reps = NULL;
                int nr = 0;
                bool group = false;

                if (!compose_project_find_process(p, d->name)) {
                        nr = compose_project_find_replicas(p, d->name, &reps);
                        if (nr < 0)
                                return nr;
                        group = nr > 1 || (nr == 1 && !streq(reps[0]->name, d->name));
                }
                if (!group) {
                        free(reps);
                        ComposeDependency *t = realloc(nd, sizeof(ComposeDependency) * (nn + 1));
                        if (!t) {
                                compose_deps_free(nd, nn);
                                return -ENOMEM;
                        }
                        nd = t;
                        nd[nn++] = *d;
                        *d = (ComposeDependency) {};
                        continue;
                }
                for (int q = 0; q < nr; q++) {
                        bool explicit = false;
                        for (size_t z = 0; z < proc->n_depends_on; z++)
                                if (proc->depends_on[z].name && streq(proc->depends_on[z].name, reps[q]->name))
                                        explicit = true;
                        for (size_t z = 0; z < nn; z++)
                                if (streq(nd[z].name, reps[q]->name))
                                        explicit = true;
                        if (explicit)
                                continue;
                        ComposeDependency *t = realloc(nd, sizeof(ComposeDependency) * (nn + 1));
                        if (!t) {
                                free(reps);
                                compose_deps_free(nd, nn);
                                return -ENOMEM;
                        }
                        nd = t;
                        nd[nn] = (ComposeDependency) { .name = strdup(reps[q]->name), .condition = d->condition };
                        nn++;
                        if (!nd[nn - 1].name || compose_pos_copy(&nd[nn - 1].pos, &d->pos) < 0) {
                                free(reps);
                                compose_deps_free(nd, nn);
                                return -ENOMEM;
                        }
                }
                free(reps);
        }
        compose_deps_free(proc->depends_on, proc->n_depends_on);
        proc->depends_on = nd;
        proc->n_depends_on = nn;
        return 0;
}

static int clone_replicas(ComposeProject *p, ComposeError *e) {
        ComposeProcess **out;
        size_t total = 0, n = 0;
        int r;

        for (size_t i = 0; i < p->n_processes; i++) {
                total += (size_t) p->processes[i]->replicas;
                if (total > COMPOSE_PROCESSES_MAX)
                        return compose_error_set(e, -E2BIG, p->processes[i]->pos.file, p->processes[i]->pos.line,
                                                 p->processes[i]->pos.column,
                                                 "too many processes after replica expansion (limit %u)",
                                                 COMPOSE_PROCESSES_MAX);
        }
        out = new0(ComposeProcess *, total ?: 1);
        if (!out)
                return -ENOMEM;

        for (size_t i = 0; i < p->n_processes; i++) {
                ComposeProcess *src = p->processes[i];
                for (int k = 0; k < src->replicas; k++) {
                        ComposeProcess *c;
                        if (k == src->replicas - 1) {
                                c = src;
                                p->processes[i] = NULL;
                        } else {
                                r = compose_process_dup(src, &c);
                                if (r < 0)
                                        goto fail;
                        }
                        c->replica_num = k;
                        free(c->replica_name);
                        c->replica_name = compose_replica_name(c->base_name, k, c->replicas);
                        if (!c->replica_name) {
                                compose_process_free(c);
                                r = -ENOMEM;
                                goto fail;
                        }
                        free(c->name);
                        c->name = strdup(c->replica_name);
                        out[n++] = c;
                        if (!c->name) {
                                r = -ENOMEM;
                                goto fail;
                        }
                }
        }
        for (size_t i = 0; i < p->n_processes; i++)
                compose_process_free(p->processes[i]);
        free(p->processes);
        p->processes = out;
        p->n_processes = n;
        compose_project_sort(p);

        for (size_t i = 0; i < p->n_processes; i++) {
                r = expand_group_dependencies(p, p->processes[i]);
                if (r < 0)
                        return r;
        }
        return 0;

fail:
        for (size_t i = 0; i < n; i++)
                compose_process_free(out[i]);
        free(out);
        return r;
}


/* ---- the stage ---- */

static int apply_project_defaults(ComposeProject *p, const ComposeLoadOptions *o) {
        int r;

        if (isempty(p->shell.shell_command)) {
                r = free_and_strdup(&p->shell.shell_command, !isempty(o->shell) ? o->shell : "bash");
                if (r >= 0)
                        r = free_and_strdup(&p->shell.shell_argument, "-c");
                if (r < 0)
                        return r;
        }
        if (isempty(p->shell.elevated_shell_command) || isempty(p->shell.elevated_shell_argument)) {
                r = free_and_strdup(&p->shell.elevated_shell_command, "sudo");
                if (r >= 0)
                        r = free_and_strdup(&p->shell.elevated_shell_argument, "-S");
                if (r < 0)
                        return r;
        }
        if (p->log_length <= 0)
                p->log_length = 1000;
        return 0;
}

/* Exec probes run in the process's directory unless they name one; watch paths become absolute. */
static int resolve_paths(ComposeProcess *proc, const char *cwd) {
        ComposeProbe *probes[2] = { proc->liveness_probe, proc->readiness_probe };
        int r;

        for (size_t k = 0; k < 2; k++)
                if (probes[k] && probes[k]->exec && isempty(probes[k]->exec->working_dir)) {
                        r = free_and_strdup(&probes[k]->exec->working_dir, proc->working_dir);
                        if (r < 0)
                                return r;
                }
        if (!proc->watch)
                return 0;
        for (size_t k = 0; k < proc->watch->n_paths; k++) {
                ComposeWatchPath *wp = &proc->watch->paths[k];
                char *abs;
                if (isempty(wp->path))
                        continue;
                if (wp->path[0] == '/')
                        abs = path_clean(wp->path);
                else
                        abs = path_join_clean(!isempty(proc->working_dir) && proc->working_dir[0] == '/'
                                                      ? proc->working_dir
                                                      : cwd,
                                              !isempty(proc->working_dir) && proc->working_dir[0] != '/'
                                                      ? proc->working_dir
                                                      : "");
                if (abs && wp->path[0] != '/') {
                        char *j = path_join_clean(abs, wp->path);
                        free(abs);
                        abs = j;
                }
                if (!abs)
                        return -ENOMEM;
                free(wp->path);
                wp->path = abs;
        }
        return 0;
}

int compose_expand(ComposeProject *p, const ComposeLoadOptions *o, const char *cwd, ComposeError *e) {
        int r;

        r = apply_project_defaults(p, o);
        if (r < 0)
                return r;
        for (size_t i = 0; i < p->n_processes; i++) {
                r = apply_process_defaults(p->processes[i], e);
                if (r < 0)
                        return r;
        }
        compose_project_sort(p);
        r = clone_replicas(p, e);
        if (r < 0)
                return r;

        for (size_t i = 0; i < p->n_processes; i++) {
                ComposeProcess *proc = p->processes[i];

                r = resolve_paths(proc, cwd);
                if (r < 0)
                        return r;
                if (proc->is_disabled) {
                        if (streq(proc->is_disabled, "true"))
                                proc->disabled = true;
                        else if (streq(proc->is_disabled, "false"))
                                proc->disabled = false;
                }
                if (strv_contains(o->disabled_processes, proc->name))
                        proc->disabled = true;
        }

        for (size_t i = 0; i < p->n_processes; i++) {
                ComposeProcess *proc = p->processes[i];
                r = compose_finish_process(p, proc, e);
                if (r < 0)
                        return r;
                if (!isempty(proc->command) && strv_length(proc->entrypoint) > 0) {
                        r = compose_project_add_warning(p, &proc->pos,
                                                        "'command' and 'entrypoint' are set! Using command (process: %s)",
                                                        proc->name);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}
