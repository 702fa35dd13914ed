/* Operations on a loaded project: process environment, env_cmds, `up PROC...` selection, dependency order,
 * scaling, and the YAML dump of `pcctl config`. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <yaml.h>

#include <cjson/cJSON.h>

#include "compose/compose-internal.h"
#include "compose/compose-json.h"
#include "compose/compose-model.h"
#include "compose/compose.h"
#include "shared/strv.h"
#include "shared/time-util.h"

extern char **environ;

/* ---- environment (compat §1.5) ---- */

int compose_process_environment(const ComposeProject *project, const ComposeProcess *process,
                                char * const *os_environ, char ***ret_env, ComposeError *ret_error) {
        _cleanup_strv_free_ char **env = NULL;
        char num[32];
        int r;

        if (!os_environ)
                os_environ = environ;

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

        if (!isempty(process->env_file)) {
                _cleanup_free_ char *path = NULL;
                unsigned line = 0;

                if (process->env_file[0] == '/')
                        path = strdup(process->env_file);
                else if (!isempty(process->working_dir))
                        path = process->working_dir[0] == '/'
                                       ? path_join_clean(process->working_dir, process->env_file)
                                       : ({
                                                 _cleanup_free_ char *wd = path_join_clean(
                                                         strempty(project->working_directory), process->working_dir);
                                                 wd ? path_join_clean(wd, process->env_file) : NULL;
                                         });
                else
                        path = path_join_clean(strempty(project->working_directory), process->env_file);
                if (!path)
                        return -ENOMEM;
                r = dotenv_read_file(path, &env, &line);
                if (r == -ENOMEM)
                        return r;
                if (r == -EINVAL)
                        return compose_error_set(ret_error, r, path, line, 0, "invalid line in env_file of process '%s'",
                                                 process->name);
                if (r < 0 && project->is_strict)
                        return compose_error_set(ret_error, r, path, 0, 0, "cannot read env_file of process '%s': %s",
                                                 process->name, strerror(-r));
                /* non-strict: process-compose only logs a missing env_file */
        }

        STRV_FOREACH(e, process->environment)
                if (strchr(*e, '=') && (r = strv_env_put(&env, *e)) < 0)
                        return r;

        *ret_env = TAKE_PTR(env);
        return 0;
}

/* ---- env_cmds ---- */

static int run_env_cmd(const ComposeProject *project, const char *cmd, char * const *env, char **ret) {
        _cleanup_free_ char *out = NULL;
        size_t n = 0, allocated = 0;
        int pipefd[2], status = 0, r = 0;
        usec_t deadline = now_usec(CLOCK_MONOTONIC) + 2 * USEC_PER_SEC;
        pid_t pid;

        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid < 0) {
                r = -errno;
                close(pipefd[0]);
                close(pipefd[1]);
                return r;
        }
        if (pid == 0) {
                int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
                if (devnull >= 0)
                        dup2(devnull, STDIN_FILENO);
                dup2(pipefd[1], STDOUT_FILENO);
                /* own process group, so a timeout kills whatever the command started */
                setpgid(0, 0);
                execvpe(project->shell.shell_command,
                        (char *[]) { project->shell.shell_command, project->shell.shell_argument, (char *) cmd, NULL },
                        (char **) env);
                _exit(127);
        }
        close(pipefd[1]);

        for (;;) {
                usec_t now = now_usec(CLOCK_MONOTONIC);
                struct pollfd pfd = { .fd = pipefd[0], .events = POLLIN };
                ssize_t k;

                if (now >= deadline) {
                        r = -ETIMEDOUT;
                        break;
                }
                k = poll(&pfd, 1, (int) ((deadline - now + 999) / 1000));
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        break;
                }
                if (k == 0)
                        continue;
                if (!GREEDY_REALLOC(out, allocated, n + 4096 + 1)) {
                        r = -ENOMEM;
                        break;
                }
                k = read(pipefd[0], out + n, 4096);
                if (k < 0) {
                        if (errno == EINTR || errno == EAGAIN)
                                continue;
                        r = -errno;
                        break;
                }
                if (k == 0)
                        break;
                n += (size_t) k;
                if (n > 64 * 1024) {
                        r = -E2BIG;
                        break;
                }
        }
        close(pipefd[0]);
        if (r < 0)
                (void) kill(-pid, SIGKILL), (void) kill(pid, SIGKILL);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        if (r < 0)
                return r;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return -EPROTO;

        /* strings.TrimSpace */
        {
                size_t s = 0, e = n;
                while (s < e && strchr(" \t\r\n\v\f", out ? out[s] : 0))
                        s++;
                while (e > s && strchr(" \t\r\n\v\f", out[e - 1]))
                        e--;
                *ret = strndup(out ? out + s : "", e - s);
        }
        return *ret ? 0 : -ENOMEM;
}

int compose_run_env_cmds(ComposeProject *project, char * const *os_environ) {
        int r;

        if (!os_environ)
                os_environ = environ;
        for (size_t i = 0; i < project->n_env_cmds; i++) {
                _cleanup_free_ char *out = NULL;
                r = run_env_cmd(project, project->env_cmds[i].value, os_environ, &out);
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
                r = strv_env_set(&project->env_cmds_environment, project->env_cmds[i].key, out);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- selection (`up PROC...`) ---- */

static ssize_t index_of(const ComposeProject *p, const ComposeProcess *proc) {
        for (size_t i = 0; i < p->n_processes; i++)
                if (p->processes[i] == proc)
                        return (ssize_t) i;
        return -1;
}

int compose_select(ComposeProject *project, char * const *names, bool no_deps, ComposeError *ret_error) {
        _cleanup_free_ uint8_t *sel = NULL;
        _cleanup_free_ size_t *queue = NULL;
        size_t qn = 0;

        if (strv_length(names) == 0)
                return 0;
        sel = new0(uint8_t, project->n_processes ?: 1);
        queue = new(size_t, project->n_processes ?: 1);
        if (!sel || !queue)
                return -ENOMEM;

        STRV_FOREACH(n, names) {
                ComposeProcess *proc = compose_project_find_process(project, *n);
                if (proc) {
                        ssize_t i = index_of(project, proc);
                        if (!sel[i]) {
                                sel[i] = 2; /* named */
                                queue[qn++] = (size_t) i;
                        }
                        continue;
                }
                /* a replicated process may be named by its base name */
                {
                        bool found = false;
                        for (size_t i = 0; i < project->n_processes; i++)
                                if (streq(project->processes[i]->base_name, *n)) {
                                        found = true;
                                        if (!sel[i]) {
                                                sel[i] = 2;
                                                queue[qn++] = i;
                                        }
                                }
                        if (!found)
                                return compose_error_set(ret_error, -ENOENT, NULL, 0, 0, "no such process: %s", *n);
                }
        }

        if (!no_deps)
                for (size_t q = 0; q < qn; q++) {
                        ComposeProcess *proc = project->processes[queue[q]];
                        for (size_t j = 0; j < proc->n_depends_on; j++) {
                                ComposeProcess *d = compose_project_find_process(project, proc->depends_on[j].name);
                                ssize_t di;
                                if (!d)
                                        continue;
                                di = index_of(project, d);
                                if (!sel[di]) {
                                        sel[di] = 1;
                                        queue[qn++] = (size_t) di;
                                }
                        }
                }

        for (size_t i = 0; i < project->n_processes; i++) {
                ComposeProcess *proc = project->processes[i];
                proc->disabled = !sel[i];
                if (sel[i] && no_deps) {
                        compose_deps_free(proc->depends_on, proc->n_depends_on);
                        proc->depends_on = NULL;
                        proc->n_depends_on = 0;
                }
        }
        return 0;
}

/* ---- dependency order ---- */

int compose_topological_order(const ComposeProject *project, ComposeProcess ***ret) {
        _cleanup_free_ ComposeProcess **out = new(ComposeProcess *, project->n_processes ?: 1);
        _cleanup_free_ uint8_t *state = new0(uint8_t, project->n_processes ?: 1);
        _cleanup_free_ size_t *stack = new(size_t, project->n_processes ?: 1);
        _cleanup_free_ size_t *next = new0(size_t, project->n_processes ?: 1);
        size_t n = 0;

        if (!out || !state || !stack || !next)
                return -ENOMEM;

        /* DFS post-order over processes in name order: dependencies first, deterministic */
        for (size_t s = 0; s < project->n_processes; s++) {
                size_t depth = 0;
                if (state[s])
                        continue;
                stack[depth++] = s;
                state[s] = 1;
                while (depth > 0) {
                        size_t v = stack[depth - 1];
                        const ComposeProcess *pv = project->processes[v];
                        if (next[v] < pv->n_depends_on) {
                                ComposeProcess *d = compose_project_find_process(project, pv->depends_on[next[v]++].name);
                                ssize_t w;
                                if (!d)
                                        continue;
                                w = index_of(project, d);
                                if (state[w] == 1)
                                        return -ELOOP;
                                if (state[w] == 0) {
                                        state[w] = 1;
                                        stack[depth++] = (size_t) w;
                                }
                                continue;
                        }
                        state[v] = 2;
                        out[n++] = project->processes[v];
                        depth--;
                }
        }
        *ret = TAKE_PTR(out);
        return 0;
}

int compose_dependents(const ComposeProject *project, const char *name, ComposeProcess ***ret) {
        ComposeProcess **a = NULL;
        size_t n = 0;

        for (size_t i = 0; i < project->n_processes; i++) {
                ComposeProcess *proc = project->processes[i];
                for (size_t j = 0; j < proc->n_depends_on; j++)
                        if (streq(proc->depends_on[j].name, name)) {
                                ComposeProcess **na = realloc(a, sizeof(ComposeProcess *) * (n + 1));
                                if (!na) {
                                        free(a);
                                        return -ENOMEM;
                                }
                                a = na;
                                a[n++] = proc;
                                break;
                        }
        }
        *ret = a;
        return (int) n;
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

                j = cJSON_Parse(strempty(reps[0]->original_config));
                if (!j)
                        return compose_error_set(ret_error, -EINVAL, NULL, 0, 0,
                                                 "failed to unmarshal config for %s", base);
                r = compose_process_from_json(j, &np, &err);
                cJSON_Delete(j);
                if (r < 0)
                        return r == -EINVAL ? compose_error_set(ret_error, r, NULL, 0, 0, "%s", strempty(err)) : r;
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

/* JSON → YAML, keeping numbers and booleans plain */
static void em_json(Emit *m, const cJSON *j) {
        const cJSON *i;
        char buf[64];

        if (cJSON_IsObject(j)) {
                em_begin(m, true);
                cJSON_ArrayForEach(i, j) {
                        em_key(m, i->string);
                        em_json(m, i);
                }
                em_end(m, true);
        } else if (cJSON_IsArray(j)) {
                em_begin(m, false);
                cJSON_ArrayForEach(i, j)
                        em_json(m, i);
                em_end(m, false);
        } else if (cJSON_IsString(j))
                em_str(m, j->valuestring);
        else if (cJSON_IsBool(j))
                em_key(m, cJSON_IsTrue(j) ? "true" : "false");
        else if (cJSON_IsNumber(j)) {
                snprintf(buf, sizeof buf, "%.17g", j->valuedouble);
                em_key(m, buf);
        } else
                em_key(m, "null");
}

static int yaml_write(void *data, unsigned char *buffer, size_t size) {
        FILE *f = data;
        return fwrite(buffer, 1, size, f) == size;
}

int compose_project_format_yaml(const ComposeProject *project, char **ret) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        cJSON *j;
        FILE *f;
        Emit m = {};
        yaml_event_t ev;

        j = compose_project_to_json(project);
        if (!j)
                return -ENOMEM;
        f = open_memstream(&buf, &size);
        if (!f) {
                cJSON_Delete(j);
                return -ENOMEM;
        }
        if (!yaml_emitter_initialize(&m.e)) {
                fclose(f);
                cJSON_Delete(j);
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
        em_json(&m, j);
        if (!m.failed && (!yaml_document_end_event_initialize(&ev, 1) || !yaml_emitter_emit(&m.e, &ev)))
                m.failed = true;
        if (!m.failed && (!yaml_stream_end_event_initialize(&ev) || !yaml_emitter_emit(&m.e, &ev)))
                m.failed = true;
        yaml_emitter_delete(&m.e);
        cJSON_Delete(j);
        if (fclose(f) != 0 || m.failed)
                return -ENOMEM;
        *ret = TAKE_PTR(buf);
        return 0;
}
