/* Operations on a loaded project: process environment, env_cmds, `up PROC...` selection, dependency order,
 * scaling, and the YAML dump of `pcctl config`. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "compose/compose-internal.h"
#include "compose/compose-json.h"
#include "compose/compose-model.h"
#include "compose/compose.h"
#include "shared/strv.h"
#include "shared/time-util.h"

extern char **environ;

/* ---- environment (compat §1.5) ---- */

int compose_process_env_file_path(const ComposeProject *project, const ComposeProcess *process, char **ret) {
        const char *base = strempty(project->working_directory);
        _cleanup_free_ char *wd = NULL;
        char *path;

        if (isempty(process->env_file)) {
                *ret = NULL;
                return 0;
        }
        /* relative to the process's working_dir, which is itself relative to the project's directory */
        if (!isempty(process->working_dir)) {
                wd = path_join_clean(process->working_dir[0] == '/' ? "" : base, process->working_dir);
                if (!wd)
                        return -ENOMEM;
                base = wd;
        }
        path = process->env_file[0] == '/' ? path_clean(process->env_file) : path_join_clean(base, process->env_file);
        if (!path)
                return -ENOMEM;
        *ret = path;
        return 1;
}

int compose_env_file_load(const ComposeProject *project, const ComposeProcess *process, ComposeEnvFile *ret) {
        _cleanup_(compose_env_file_done) ComposeEnvFile f = {};
        _cleanup_fclose_ FILE *file = NULL;
        size_t allocated = 0;
        int r;

        r = compose_process_env_file_path(project, process, &f.path);
        if (r <= 0) {
                *ret = (ComposeEnvFile) {};
                return r;
        }
        file = fopen(f.path, "re");
        if (!file)
                f.error = -errno;
        while (file) {
                size_t k;

                if (!GREEDY_REALLOC(f.data, allocated, f.size + 65536))
                        return -ENOMEM;
                k = fread(f.data + f.size, 1, allocated - f.size, file);
                f.size += k;
                if (f.size > COMPOSE_FILE_SIZE_MAX) {
                        f.error = -E2BIG;
                        break;
                }
                if (k == 0) {
                        if (ferror(file))
                                f.error = -EIO;
                        break;
                }
        }
        if (f.error < 0) {
                f.data = mfree(f.data);
                f.size = 0;
        }
        *ret = f;
        f = (ComposeEnvFile) {};
        return 0;
}

void compose_env_file_done(ComposeEnvFile *f) {
        f->path = mfree(f->path);
        f->data = mfree(f->data);
        f->size = 0;
        f->error = 0;
}

int compose_process_environment_from(const ComposeProject *project, const ComposeProcess *process,
                                     char * const *os_environ, const ComposeEnvFile *env_file, char ***ret_env,
                                     ComposeError *ret_error) {
        _cleanup_strv_free_ char **env = NULL;
        char num[32];
        int r;

        r = strv_env_set(&env, "PC_PROC_NAME", process->base_name ?: process->name);
        if (r < 0)
                return r;
        snprintf(num, sizeof num, "%d", process->replica_num);
        r = strv_env_set(&env, "PC_REPLICA_NUM", num);
        if (r < 0)
                return r;
        if (!project->disable_dotenv && !process->is_dotenv_disabled)
                STRV_FOREACH(e, project->dot_env_vars)
                        if ((r = strv_env_put(&env, *e)) < 0)
                                return r;
        STRV_FOREACH(e, os_environ)
                if (strchr(*e, '=') && (r = strv_env_put(&env, *e)) < 0)
                        return r;
        STRV_FOREACH(e, project->environment)
                if (strchr(*e, '=') && (r = strv_env_put(&env, *e)) < 0)
                        return r;
        STRV_FOREACH(e, project->env_cmds_environment)
                if ((r = strv_env_put(&env, *e)) < 0)
                        return r;

        if (env_file && env_file->path) {
                unsigned line = 0;

                r = env_file->error;
                if (r >= 0)
                        r = dotenv_parse(strempty(env_file->data), env_file->size, &env, &line);
                if (r == -ENOMEM)
                        return r;
                if (r == -EINVAL)
                        return compose_error_set(ret_error, r, env_file->path, line, 0,
                                                 "invalid line in env_file of process '%s'", process->name);
                if (r < 0 && project->is_strict)
                        return compose_error_set(ret_error, r, env_file->path, 0, 0,
                                                 "cannot read env_file of process '%s': %s", process->name,
                                                 strerror(-r));
                /* non-strict: process-compose only logs a missing env_file */
        }

        STRV_FOREACH(e, process->environment)
                if (strchr(*e, '=') && (r = strv_env_put(&env, *e)) < 0)
                        return r;

        *ret_env = TAKE_PTR(env);
        return 0;
}

int compose_process_environment(const ComposeProject *project, const ComposeProcess *process,
                                char * const *os_environ, char ***ret_env, ComposeError *ret_error) {
        _cleanup_(compose_env_file_done) ComposeEnvFile f = {};
        int r;

        r = compose_env_file_load(project, process, &f);
        if (r < 0)
                return r;
        return compose_process_environment_from(project, process, os_environ ?: environ, &f, ret_env, ret_error);
}

/* ---- env_cmds ---- */

/* strings.TrimSpace */
static char *trim_space(const char *s) {
        size_t n = strlen(s);
        while (*s && strchr(" \t\r\n\v\f", *s))
                s++, n--;
        while (n > 0 && strchr(" \t\r\n\v\f", s[n - 1]))
                n--;
        return strndup(s, n);
}

int compose_run_env_cmds(ComposeProject *project, char * const *os_environ, ComposeCommandRunner runner,
                         void *userdata) {
        int r;

        if (!os_environ)
                os_environ = environ;
        for (size_t i = 0; i < project->n_env_cmds; i++) {
                char *argv[] = { project->shell.shell_command, project->shell.shell_argument,
                                 project->env_cmds[i].value, NULL };
                _cleanup_free_ char *out = NULL, *trimmed = NULL;

                r = runner(argv, os_environ, COMPOSE_ENV_CMD_TIMEOUT_USEC, &out, userdata);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        r = compose_project_add_warning(project, NULL, "Failed to run Env command %s for %s variable: %s",
                                                        project->env_cmds[i].value, project->env_cmds[i].key,
                                                        r == -ETIMEDOUT ? "timed out after 2s"
                                                        : r == -EPROTO  ? "command failed"
                                                                        : strerror(-r));
                        if (r < 0)
                                return r;
                        continue;
                }
                trimmed = trim_space(strempty(out));
                if (!trimmed)
                        return -ENOMEM;
                r = strv_env_set(&project->env_cmds_environment, project->env_cmds[i].key, trimmed);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- scaling (compat §1.8) ---- */

static int rename_dependencies(ComposeProject *project, const char *old, const char *new) {
        for (size_t i = 0; i < project->n_processes; i++) {
                ComposeProcess *proc = project->processes[i];
                for (size_t j = 0; j < proc->n_depends_on; j++)
                        if (streq(proc->depends_on[j].name, old)) {
                                int r = free_and_strdup(&proc->depends_on[j].name, new);
                                if (r < 0)
                                        return r;
                        }
        }
        return 0;
}

int compose_scale(ComposeProject *project, const char *name, int count, char ***ret_removed, char ***ret_added,
                  char ***ret_renamed, ComposeError *ret_error) {
        _cleanup_strv_free_ char **removed = NULL, **added = NULL, **renamed = NULL;
        _cleanup_free_ ComposeProcess **reps = NULL;
        _cleanup_free_ char *base = NULL;
        ComposeProcess *proc;
        int n, r;

        if (count < 1)
                return compose_error_set(ret_error, -EINVAL, NULL, 0, 0,
                                         "cannot scale process %s to a negative or zero value %d", name, count);
        proc = compose_project_find_process(project, name);
        if (!proc)
                return compose_error_set(ret_error, -ENOENT, NULL, 0, 0, "no such process: %s", name);
        base = strdup(proc->base_name);
        if (!base)
                return -ENOMEM;
        n = compose_project_find_replicas(project, base, &reps);
        if (n < 0)
                return n;
        if (n == count)
                return 1;
        if (project->n_processes - (size_t) n + (size_t) count > COMPOSE_PROCESSES_MAX)
                return compose_error_set(ret_error, -E2BIG, NULL, 0, 0, "too many processes (limit %u)",
                                         COMPOSE_PROCESSES_MAX);

        /* scale down: remove replicas >= count */
        if (count < n) {
                size_t k = 0;
                for (size_t i = 0; i < project->n_processes; i++) {
                        ComposeProcess *q = project->processes[i];
                        if (streq(q->base_name, base) && q->replica_num >= count) {
                                r = strv_extend(&removed, q->name);
                                if (r < 0)
                                        return r;
                                compose_process_free(q);
                                continue;
                        }
                        project->processes[k++] = q;
                }
                project->n_processes = k;
        }

        /* scale up: new replicas rendered from the first replica's original configuration */
        for (int i = n; i < count; i++) {
                _cleanup_(compose_process_freep) ComposeProcess *np = NULL;
                _cleanup_free_ char *err = NULL;
                cJSON *j;
                ComposeProcess **grown;

                if (reps[0]->original_config) {
                        j = cJSON_Parse(reps[0]->original_config);
                        if (!j)
                                return compose_error_set(ret_error, -EINVAL, NULL, 0, 0,
                                                         "failed to unmarshal config for %s", base);
                        r = compose_process_from_json(j, &np, &err);
                        cJSON_Delete(j);
                        if (r < 0)
                                return IN_SET(r, -EINVAL, -ENOENT) ? compose_error_set(ret_error, r, NULL, 0, 0, "%s", strempty(err)) : r;
                } else {
                        /* no templates: the first replica is the original configuration */
                        r = compose_process_dup(reps[0], &np);
                        if (r < 0)
                                return r;
                }
                np->replica_num = i;
                np->replicas = count;
                free(np->base_name);
                np->base_name = strdup(base);
                free(np->replica_name);
                np->replica_name = compose_replica_name(base, i, count);
                if (!np->base_name || !np->replica_name)
                        return -ENOMEM;
                r = free_and_strdup(&np->name, np->replica_name);
                if (r < 0)
                        return r;
                /* PC_REPLICA_NUM must come from this replica, not the copied vars */
                r = compose_kv_set(&np->vars, &np->n_vars, "PC_REPLICA_NUM", "0", true);
                if (r < 0)
                        return r;
                r = compose_finish_process(project, np, ret_error);
                if (r < 0)
                        return r;
                compose_pos_done(&np->pos);
                r = compose_pos_copy(&np->pos, &reps[0]->pos);
                if (r < 0)
                        return r;
                grown = realloc(project->processes, sizeof(ComposeProcess *) * (project->n_processes + 1));
                if (!grown)
                        return -ENOMEM;
                project->processes = grown;
                r = strv_extend(&added, np->name);
                if (r < 0)
                        return r;
                grown[project->n_processes++] = TAKE_PTR(np);
        }

        /* every remaining replica: new count, renamed to the new width */
        for (size_t i = 0; i < project->n_processes; i++) {
                ComposeProcess *q = project->processes[i];
                _cleanup_free_ char *nn = NULL;

                if (!streq(q->base_name, base))
                        continue;
                q->replicas = count;
                nn = compose_replica_name(base, q->replica_num, count);
                if (!nn)
                        return -ENOMEM;
                if (streq(nn, q->name))
                        continue;
                if (!strv_contains(added, q->name)) {
                        r = strv_extend(&renamed, q->name);
                        if (r >= 0)
                                r = strv_extend(&renamed, nn);
                        if (r < 0)
                                return r;
                }
                r = rename_dependencies(project, q->name, nn);
                if (r < 0)
                        return r;
                free(q->name);
                q->name = strdup(nn);
                free(q->replica_name);
                q->replica_name = TAKE_PTR(nn);
                if (!q->name || !q->replica_name)
                        return -ENOMEM;
        }
        compose_project_sort(project);

        if (ret_removed)
                *ret_removed = TAKE_PTR(removed);
        if (ret_added)
                *ret_added = TAKE_PTR(added);
        if (ret_renamed)
                *ret_renamed = TAKE_PTR(renamed);
        return 0;
}

