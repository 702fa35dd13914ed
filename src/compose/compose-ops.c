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

                if (reps[0]->original_config) {
                        j = cJSON_Parse(reps[0]->original_config);
                        if (!j)
                                return compose_error_set(ret_error, -EINVAL, NULL, 0, 0,
                                                         "failed to unmarshal config for %s", base);
                        r = compose_process_from_json(j, &np, &err);
                        cJSON_Delete(j);
                        if (r < 0)
                                return r == -EINVAL ? compose_error_set(ret_error, r, NULL, 0, 0, "%s", strempty(err)) : r;
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
        if (p->n_depends_on > 0) {
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
        if (p->schedule) {
                em_key(m, "schedule");
                em_begin(m, true);
                em_kstr(m, "cron", p->schedule->cron);
                em_kstr(m, "timezone", p->schedule->timezone);
                em_kstr(m, "interval", p->schedule->interval);
                em_kbool(m, "run_on_start", p->schedule->run_on_start);
                em_kint(m, "max_concurrent", p->schedule->max_concurrent);
                em_end(m, true);
        }
        if (p->watch) {
                em_key(m, "watch");
                em_begin(m, true);
                if (p->watch->n_paths > 0) {
                        em_key(m, "paths");
                        em_begin(m, false);
                        for (size_t i = 0; i < p->watch->n_paths; i++) {
                                em_begin(m, true);
                                em_key(m, "path");
                                em_str(m, strempty(p->watch->paths[i].path));
                                em_kstrv(m, "include", p->watch->paths[i].include);
                                em_kstrv(m, "exclude", p->watch->paths[i].exclude);
                                em_end(m, true);
                        }
                        em_end(m, false);
                }
                em_kstr(m, "debounce", p->watch->debounce);
                em_kbool(m, "cascade", p->watch->cascade);
                em_kint(m, "max_entries", p->watch->max_entries);
                em_kint(m, "buffer_size", p->watch->buffer_size);
                em_kbool(m, "disable_default_excludes", p->watch->disable_default_excludes);
                em_end(m, true);
        }
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
