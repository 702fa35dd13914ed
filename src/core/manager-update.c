/* Live updates (POST /project, /project/configuration, /process) and scale: processes are added, replaced
 * (the old run ends first, then the new config runs) and removed (stopped, then reaped). */
#include "core/manager-internal.h"

/* POST /process callers: the configuration they sent is in place (0), or it never will be (-errno). */
void proc_complete_update(Proc *p, int result) {
        if (p->n_update_waiters == 0)
                return;
        manager_complete(p->m, p->update_waiters, p->n_update_waiters, result);
        p->update_waiters = mfree(p->update_waiters);
        p->n_update_waiters = p->allocated_update_waiters = 0;
}

static void proc_mark_removed(Proc *p) {
        /* the project no longer holds its configuration: keep our own copy for the rest of the run */
        if (!p->owned_config && p->pub.config) {
                ComposeProcess *copy = NULL;
                if (compose_process_dup(p->pub.config, &copy) >= 0) {
                        p->owned_config = copy;
                        p->pub.config = copy;
                }
        }
        /* a configuration waiting for the end of the run is never installed now */
        proc_complete_update(p, -ENOENT);
        (void) proc_dispatch(p, &(ProcEvent) { .type = PROC_EVENT_REMOVED });
        p->m->by_name_dirty = true;
        manager_schedule_check(p->m);
}

/* A replica that survives a scale: back to the project's (stable) ComposeProcess, under its new name. */
static int proc_scale_survive(Proc *p, char **renamed) {
        Manager *m = p->m;
        const char *new_name = p->pub.name;
        ComposeProcess *c;

        for (char **k = renamed; k && k[0] && k[1]; k += 2)
                if (streq(k[0], p->pub.name)) {
                        new_name = k[1];
                        break;
                }
        c = compose_project_find_process(m->project, new_name);
        if (!c) {
                /* not in the project any more although not reported removed: treat as removed */
                p->pub.config = p->owned_config;
                proc_mark_removed(p);
                return 0;
        }
        if (!streq(new_name, p->pub.name)) {
                char *s = strdup(new_name);
                if (!s)
                        return -ENOMEM;
                free(p->pub.name);
                p->pub.name = s;
                m->by_name_dirty = true;
                /* a process that is not running takes its new unit name now */
                if (!proc_in_flight(p))
                        (void) proc_update_unit_name(p);
        }
        p->pub.config = c;
        p->pub.replica_num = c->replica_num >= 0 ? (unsigned) c->replica_num : 0;
        p->owned_config = compose_process_free(p->owned_config);
        proc_changed(p);
        return 0;
}

int manager_scale_process(Manager *m, const char *name, int count, char **ret_detail) {
        _cleanup_strv_free_ char **removed = NULL, **added = NULL, **renamed = NULL;
        _cleanup_free_ Proc **group = NULL;
        ComposeError err = {};
        ComposeProcess *c;
        size_t n_group = 0;
        int r;

        if (count <= 0)
                return MANAGER_E_INVALID;
        c = compose_project_find_process(m->project, name);
        if (!c || !manager_find(m, name))
                return MANAGER_E_NOT_FOUND;
        if (m->shutting_down)
                return MANAGER_E_SHUTTING_DOWN;

        /* Replicas about to be removed lose their ComposeProcess inside compose_scale(): give each of the
         * group its own copy first (dropped again for the survivors). */
        group = new0(Proc *, m->n_procs);
        if (!group)
                return -ENOMEM;
        for (size_t i = 0; i < m->n_procs; i++) {
                Proc *p = m->procs[i];
                ComposeProcess *copy = NULL;

                if (p->fsm.removed || !streq(p->pub.base_name, c->base_name ?: c->name))
                        continue;
                r = compose_process_dup(p->pub.config, &copy);
                if (r < 0)
                        return r;
                compose_process_free(p->owned_config);
                p->owned_config = copy;
                group[n_group++] = p;
        }

        r = compose_scale(m->project, name, count, &removed, &added, &renamed, &err);
        if (r < 0) {
                _cleanup_free_ char *msg = err.message ? strdup(err.message) : NULL;
                compose_error_done(&err);
                for (size_t i = 0; i < n_group; i++)
                        group[i]->owned_config = compose_process_free(group[i]->owned_config);
                if (!msg)
                        return r;
                if (ret_detail)
                        *ret_detail = TAKE_PTR(msg);
                return MANAGER_E_CONFIG;
        }

        STRV_FOREACH(s, removed)
                for (size_t i = 0; i < n_group; i++)
                        if (!group[i]->fsm.removed && streq(group[i]->pub.name, *s)) {
                                group[i]->pub.config = group[i]->owned_config;
                                proc_mark_removed(group[i]);
                                break;
                        }

        /* survivors: back to the project's (stable) ComposeProcess, under their new names */
        for (size_t i = 0; i < n_group; i++) {
                if (group[i]->fsm.removed)
                        continue;
                r = proc_scale_survive(group[i], renamed);
                if (r < 0)
                        return r;
        }

        STRV_FOREACH(s, added) {
                Proc *p;
                c = compose_project_find_process(m->project, *s);
                if (!c)
                        continue;
                r = proc_new(m, c, &p);
                if (r < 0)
                        /* a diagnostic of ours, not an API text: the adapter shows it as it is */
                        return error_set(ret_detail, r, "cannot add process %s: %s", *s, strerror(-r));
                if (!c->disabled && !c->is_foreground)
                        (void) proc_dispatch(p, &(ProcEvent) { .type = PROC_EVENT_START });
                else
                        proc_changed(p);
        }
        manager_schedule_check(m);
        return 0;
}

/* What the API shows, compared by the compose field table. */
static bool process_config_equal(const ComposeProcess *a, const ComposeProcess *b) {
        return compose_process_equal(a, b);
}

static ssize_t project_index_of(const ComposeProject *project, const ComposeProcess *c) {
        for (size_t i = 0; i < project->n_processes; i++)
                if (project->processes[i] == c)
                        return (ssize_t) i;
        return -1;
}

/* Puts p->next_config in place of its configuration (in the project too), with an empty log as
 * process-compose's new buffer, and starts it unless it is disabled. */
void proc_install_config(Proc *p) {
        Manager *m = p->m;
        ComposeProcess *c = TAKE_PTR(p->next_config);
        ssize_t idx;

        if (!c)
                return;
        idx = project_index_of(m->project, p->pub.config);
        if (idx >= 0) {
                compose_process_free(m->project->processes[idx]);
                m->project->processes[idx] = c;
        } else {
                compose_process_free(p->owned_config);
                p->owned_config = c;
        }
        p->pub.config = c;
        proc_reset_ring(p);
        /* the machine is DORMANT: the new config is started, or shows its initial status */
        if (!c->disabled && !c->is_foreground) {
                if (!proc_schedule_install(p))
                        (void) proc_dispatch(p, &(ProcEvent) { .type = PROC_EVENT_START });
        } else {
                p->pub.status = process_fsm_status(p->fsm.state, c);
                proc_changed(p);
        }
        proc_complete_update(p, 0);
}

static void proc_replace_config(Proc *p, ComposeProcess *c) {
        compose_process_free(p->next_config);
        p->next_config = c;
        proc_schedule_replace_begin(p);
        /* a run ends first (no exit_on_* hooks), its end installs the new config; else it is installed now */
        (void) proc_dispatch(p, &(ProcEvent) { .type = PROC_EVENT_CONFIG_REPLACED });
}

int manager_update_process(Manager *m, ComposeProcess *process, ManagerDoneFunc done, void *userdata) {
        Proc *p;
        int r;

        if (!process || !process->name)
                return MANAGER_E_INVALID;
        p = manager_find(m, process->name);
        if (!p)
                return MANAGER_E_NOT_FOUND;
        if (m->shutting_down)
                return MANAGER_E_SHUTTING_DOWN;
        if (process_config_equal(p->pub.config, process)) {
                compose_process_free(process);
                manager_complete(m, &(Waiter) { .done = done, .userdata = userdata }, 1, 0);
                return 0;
        }
        /* the client edits command (or entrypoint); executable and args follow from it, as the loader
         * computes them (compat §1.3) */
        if (process_spec_compute_exec(m->project, process) < 0)
                return -ENOMEM;
        /* as process-compose, done runs once the swap is made: after the end of the current run, when the
         * new configuration is installed (an update that replaces a waiting one waits with it) */
        r = waiters_add(&p->update_waiters, &p->n_update_waiters, &p->allocated_update_waiters, done, userdata,
                        0);
        if (r < 0)
                return r;
        proc_replace_config(p, process);
        return 0;
}

static int project_insert_sorted(ComposeProject *project, ComposeProcess *c) {
        ComposeProcess **a;
        size_t i = 0;

        a = realloc(project->processes, (project->n_processes + 1) * sizeof(ComposeProcess *));
        if (!a)
                return -ENOMEM;
        project->processes = a;
        while (i < project->n_processes && strcmp(a[i]->name, c->name) < 0)
                i++;
        memmove(a + i + 1, a + i, (project->n_processes - i) * sizeof(ComposeProcess *));
        a[i] = c;
        project->n_processes++;
        return 0;
}

static void project_remove(ComposeProject *project, const ComposeProcess *c) {
        ssize_t idx = project_index_of(project, c);

        if (idx < 0)
                return;
        compose_process_free(project->processes[idx]);
        memmove(project->processes + idx, project->processes + idx + 1,
                (project->n_processes - (size_t) idx - 1) * sizeof(ComposeProcess *));
        project->n_processes--;
}

static bool project_defines(const ComposeProject *project, const char *name) {
        if (compose_project_find_process(project, name))
                return true;
        for (size_t i = 0; i < project->n_processes; i++)
                if (streq_ptr(project->processes[i]->base_name, name))
                        return true;
        return false;
}

/* What `up` admitted and selected holds for every update too (compat §3.2): -n admission, then the
 * `up NAME...` selection with --no-deps. A selected name the new project no longer defines is dropped (it
 * is about to be removed); when none is left, everything stays out of the run rather than all starting. */
static int project_reapply_selection(Manager *m, ComposeProject *project) {
        _cleanup_strv_free_ char **kept = NULL;
        int r;

        if (m->options.load_options) {
                r = compose_admit_namespaces(project, m->options.load_options->namespaces);
                if (r < 0)
                        return r;
        }
        if (strv_length(m->options.selection) == 0)
                return 0;
        STRV_FOREACH(s, m->options.selection)
                if (project_defines(project, *s) && strv_extend(&kept, *s) < 0)
                        return -ENOMEM;
        if (!kept) {
                for (size_t i = 0; i < project->n_processes; i++)
                        project->processes[i]->disabled = true;
                return 0;
        }
        return compose_select(project, kept, m->options.no_deps, NULL);
}

int manager_update_project(Manager *m, ComposeProject *project, cJSON **ret_status) {
        _cleanup_json_ cJSON *status = NULL;
        unsigned ok = 0, failed = 0;
        int r;

        if (!project)
                return MANAGER_E_INVALID;
        if (m->shutting_down)
                return MANAGER_E_SHUTTING_DOWN;
        r = project_reapply_selection(m, project);
        if (r < 0)
                return r;
        status = cJSON_CreateObject();
        if (!status)
                return -ENOMEM;

        for (size_t i = 0; i < project->n_processes; i++) {
                ComposeProcess *c = project->processes[i], *copy = NULL;
                Proc *p = manager_find(m, c->name);
                const char *result;

                if (p && process_config_equal(p->pub.config, c))
                        continue;
                if (compose_process_dup(c, &copy) < 0) {
                        failed++;
                        (void) cJSON_AddStringToObject(status, c->name, "error: out of memory");
                        continue;
                }
                if (p) {
                        proc_replace_config(p, copy);
                        result = "updated";
                } else {
                        Proc *n = NULL;
                        if (project_insert_sorted(m->project, copy) < 0) {
                                compose_process_free(copy);
                                failed++;
                                (void) cJSON_AddStringToObject(status, c->name, "error: out of memory");
                                continue;
                        }
                        if (proc_new(m, copy, &n) < 0) {
                                project_remove(m->project, copy);
                                failed++;
                                (void) cJSON_AddStringToObject(status, c->name, "error: cannot add process");
                                continue;
                        }
                        if (!copy->disabled && !copy->is_foreground && !proc_schedule_install(n))
                                (void) proc_dispatch(n, &(ProcEvent) { .type = PROC_EVENT_START });
                        else
                                proc_changed(n);
                        result = "added";
                }
                ok++;
                (void) cJSON_AddStringToObject(status, c->name, result);
        }

        for (size_t i = 0; i < m->n_procs; i++) {
                Proc *p = m->procs[i];
                const ComposeProcess *old;
                if (p->fsm.removed || compose_project_find_process(project, p->pub.name))
                        continue;
                old = p->pub.config;
                proc_mark_removed(p);
                project_remove(m->project, old);
                ok++;
                (void) cJSON_AddStringToObject(status, p->pub.name, "removed");
        }

        manager_schedule_check(m);
        if (ret_status)
                *ret_status = TAKE_PTR(status);
        /* the project stays the caller's when nothing was applied, as on every other error */
        if (failed > 0 && ok == 0)
                return MANAGER_E_NOTHING_APPLIED;
        compose_project_free(project);
        return failed > 0 ? MANAGER_E_PARTIAL : 0;
}

int manager_reload_project(Manager *m, cJSON **ret_status, char **ret_detail) {
        ComposeProject *project = NULL;
        ComposeError err = {};
        int r;

        if (!m->options.load_options)
                return MANAGER_E_NOT_FROM_FILES;
        /* compose_load() admits the -n namespaces; the update applies the `up` selection */
        r = compose_load(m->options.load_options, &project, &err);
        if (r < 0) {
                _cleanup_free_ char *msg = compose_error_format(&err);
                compose_error_done(&err);
                compose_project_free(project);
                if (!msg)
                        return r;
                if (ret_detail)
                        *ret_detail = TAKE_PTR(msg);
                return MANAGER_E_CONFIG;
        }
        /* env_cmds are not run again (they may block for seconds): processes keep the running project's
         * top-level environment */
        r = manager_update_project(m, project, ret_status);
        if (r != 0 && r != MANAGER_E_PARTIAL)
                compose_project_free(project);
        return r;
}
