/* The loading pipeline of compat §1.1: discovery, dotenv, substitution, parse, file extends, merge,
 * process extends, defaults, replicas, templates, executable/args, validation, namespace admission. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compose/compose-table.h"
#include "compose/compose-json.h"
#include "compose/compose-model.h"
#include "compose/compose-yaml.h"
#include "compose/compose.h"
#include "shared/strv.h"

extern char **environ;

/* ---- options ---- */

void compose_load_options_init(ComposeLoadOptions *opts) {
        *opts = (ComposeLoadOptions) {};
}

void compose_load_options_done(ComposeLoadOptions *opts) {
        if (!opts)
                return;
        strv_free(opts->files);
        strv_free(opts->env_files);
        strv_free(opts->namespaces);
        strv_free(opts->disabled_processes);
        free(opts->shell);
        free(opts->log_level);
        free(opts->working_directory);
        strv_free(opts->environ);
        *opts = (ComposeLoadOptions) {};
}

static int split_comma_into(char ***dst, const char *v) {
        _cleanup_strv_free_ char **l = NULL;

        if (*dst || isempty(v))
                return 0;
        l = strv_split(v, ",", false);
        if (!l)
                return -ENOMEM;
        *dst = TAKE_PTR(l);
        return 0;
}

int compose_load_options_from_env(ComposeLoadOptions *opts, char * const *env) {
        const char *v;
        int r;

        if (!env)
                env = environ;
        r = split_comma_into(&opts->files, strv_env_get(env, "PC_CONFIG_FILES"));
        if (r < 0)
                return r;
        if (strv_env_get(env, "PC_DISABLE_DOTENV"))
                opts->disable_dotenv = true;
        r = split_comma_into(&opts->namespaces, strv_env_get(env, "PC_NAMESPACES"));
        if (r < 0)
                return r;
        if (strv_env_get(env, "PC_ORDERED_SHUTDOWN"))
                opts->ordered_shutdown = true;
        r = split_comma_into(&opts->disabled_processes, strv_env_get(env, "PC_DISABLED_PROCESSES"));
        if (r < 0)
                return r;
        v = strv_env_get(env, "COMPOSE_SHELL");
        if (!opts->shell && !isempty(v) && !(opts->shell = strdup(v)))
                return -ENOMEM;
        v = strv_env_get(env, "PC_LOG_LEVEL");
        if (!opts->log_level && v && !(opts->log_level = strdup(v)))
                return -ENOMEM;
        return 0;
}

/* ---- loader context ---- */

typedef struct Loader {
        const ComposeLoadOptions *opts;
        char * const *env;             /* substitution + OS environment */
        char *cwd;
        char **dotenv;                 /* "K=V" from the dotenv files */
        char **dotenv_files;
        char **warnings;               /* collected before the project exists */
        ComposeFindings findings;
        ComposeError *error;
        /* files in load order, with their raw projects */
        char **files;
        ComposeProject **projects;
        size_t n_projects;
        /* compose_load_string(): the in-memory first file */
        const char *mem_text;
        size_t mem_size;
        const char *mem_name;
} Loader;

static void loader_done(Loader *l) {
        free(l->cwd);
        strv_free(l->dotenv);
        strv_free(l->dotenv_files);
        strv_free(l->warnings);
        compose_findings_done(&l->findings);
        strv_free(l->files);
        for (size_t i = 0; i < l->n_projects; i++)
                compose_project_free(l->projects[i]);
        free(l->projects);
}

static const char *loader_lookup(const char *name, void *userdata) {
        Loader *l = userdata;
        const char *v = strv_env_get(l->dotenv, name);
        return v ?: strv_env_get(l->env, name);
}

static int read_regular_file(const char *path, char **ret, size_t *ret_size) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *buf = NULL;
        struct stat st;
        size_t n = 0;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (S_ISDIR(st.st_mode))
                return -EISDIR;
        /* never block on a FIFO or a device named by a hostile extends */
        if (!S_ISREG(st.st_mode))
                return -EBADFD;
        if ((uint64_t) st.st_size > COMPOSE_FILE_SIZE_MAX)
                return -E2BIG;
        buf = malloc((size_t) st.st_size + 1);
        if (!buf)
                return -ENOMEM;
        while (n < (size_t) st.st_size) {
                ssize_t k = read(fd, buf + n, (size_t) st.st_size - n);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        break;
                n += (size_t) k;
        }
        buf[n] = 0;
        *ret = TAKE_PTR(buf);
        *ret_size = n;
        return 0;
}

static int file_error(Loader *l, int r, const char *path) {
        switch (r) {
        case -ENOENT:
                return compose_error_set(l->error, r, path, 0, 0, "file does not exist");
        case -E2BIG:
                return compose_error_set(l->error, r, path, 0, 0, "file is too large (limit %u bytes)",
                                         COMPOSE_FILE_SIZE_MAX);
        case -EBADFD:
                return compose_error_set(l->error, -EINVAL, path, 0, 0, "not a regular file");
        case -ENOMEM:
                return r;
        default:
                return compose_error_set(l->error, r, path, 0, 0, "cannot read file: %s", strerror(-r));
        }
}

/* Line and column (1-based) of a byte offset. */
static void offset_to_pos(const char *text, size_t off, unsigned *line, unsigned *col) {
        unsigned ln = 1, c = 1;
        for (size_t i = 0; i < off; i++) {
                if (text[i] == '\n') {
                        ln++;
                        c = 1;
                } else
                        c++;
        }
        *line = ln;
        *col = c;
}

/* Whether the raw text parses and sets disable_env_expansion: true. */
static bool raw_disables_expansion(const char *text, size_t size, const char *path) {
        _cleanup_(yaml_doc_freep) YamlDoc *doc = NULL;
        const YamlNode *v;

        if (yaml_doc_parse(text, size, path, &doc, NULL) < 0)
                return false;
        v = yaml_map_get(doc->root, "disable_env_expansion");
        return v && v->type == YAML_NODE_SCALAR && v->plain &&
               (streq(v->value, "true") || streq(v->value, "True") || streq(v->value, "TRUE"));
}

/* Loads one file into a raw project (compat §1.1 step 2). */
static int load_file(Loader *l, const char *path, const char *text, size_t size, ComposeProject **ret) {
        _cleanup_free_ char *escaped = NULL, *expanded = NULL;
        _cleanup_(yaml_doc_freep) YamlDoc *doc = NULL;
        _cleanup_(compose_project_freep) ComposeProject *p = NULL;
        ComposeFindings findings = {};
        size_t expanded_size = 0, err_off = 0;
        const char *err_msg = NULL;
        int r;

        /* "$$" → a placeholder that envsubst leaves alone, then back to a single "$". The placeholder is a
         * control character that cannot appear in valid YAML text, so no file can collide with it. */
        escaped = malloc(size + 1);
        if (!escaped)
                return -ENOMEM;
        {
                size_t o = 0;
                for (size_t i = 0; i < size; i++) {
                        if (text[i] == '$' && i + 1 < size && text[i + 1] == '$') {
                                escaped[o++] = '\x1e';
                                i++;
                        } else
                                escaped[o++] = text[i];
                }
                escaped[o] = 0;
                r = envsubst_expand(escaped, o, loader_lookup, l, &expanded, &expanded_size, &err_off, &err_msg);
        }
        if ((r == -EINVAL || r == -E2BIG) && raw_disables_expansion(text, size, path)) {
                /* process-compose substitutes before it looks at disable_env_expansion, so a file that sets
                 * it because it is full of shell syntax (${VAR-x}) failed to load; load it raw instead */
                expanded = NULL;
                goto raw;
        }
        if (r == -EINVAL || r == -E2BIG) {
                unsigned line, col;
                /* offsets in the escaped text: each placeholder stands for two bytes of the file */
                size_t raw_off = 0;
                for (size_t i = 0; i < err_off && raw_off < size; i++, raw_off++)
                        if (escaped[i] == '\x1e')
                                raw_off++;
                offset_to_pos(text, MIN(raw_off, size), &line, &col);
                return compose_error_set(l->error, r, path, line, col, "environment substitution failed: %s",
                                         strempty(err_msg));
        }
        if (r < 0)
                return r;
        for (size_t i = 0; i < expanded_size; i++)
                if (expanded[i] == '\x1e')
                        expanded[i] = '$';

        r = yaml_doc_parse(expanded, expanded_size, path, &doc, l->error);
        if (r < 0)
                return r;
        r = compose_decode_project(doc, path, &p, &findings, l->error);
        if (r < 0) {
                compose_findings_done(&findings);
                return r;
        }

        if (p->disable_env_expansion) {
                /* re-parse the raw text: nothing substituted, "$$" stays "$$" */
                compose_findings_done(&findings);
                doc = yaml_doc_free(doc);
                p = compose_project_free(p);
        raw:
                r = yaml_doc_parse(text, size, path, &doc, l->error);
                if (r < 0)
                        return r;
                r = compose_decode_project(doc, path, &p, &findings, l->error);
                if (r < 0) {
                        compose_findings_done(&findings);
                        return r;
                }
        }

        /* move the findings over */
        for (size_t i = 0; i < findings.n; i++) {
                r = compose_findings_add(&l->findings, findings.items[i].pos.file, findings.items[i].pos.line,
                                         findings.items[i].pos.column, "%s", findings.items[i].message);
                if (r < 0) {
                        compose_findings_done(&findings);
                        return r;
                }
        }
        compose_findings_done(&findings);

        *ret = TAKE_PTR(p);
        return 0;
}

static int load_path(Loader *l, const char *path, ComposeProject **ret) {
        _cleanup_free_ char *text = NULL, *abs = NULL;
        size_t size = 0;
        int r;

        if (l->mem_name && streq(path, l->mem_name))
                return load_file(l, path, l->mem_text, l->mem_size, ret);

        if (path[0] != '/' && l->cwd) {
                abs = path_join_clean(l->cwd, path);
                if (!abs)
                        return -ENOMEM;
        }
        r = read_regular_file(abs ?: path, &text, &size);
        if (r < 0)
                return file_error(l, r, path);
        if (memchr(text, 0, size))
                return compose_error_set(l->error, -EINVAL, path, 0, 0, "file contains NUL bytes");
        return load_file(l, path, text, size, ret);
}

static int insert_project(Loader *l, size_t index, const char *file, ComposeProject *p) {
        ComposeProject **np;
        size_t nf = strv_length(l->files);
        char **nl;

        if (nf >= COMPOSE_FILES_MAX)
                return compose_error_set(l->error, -E2BIG, file, 0, 0, "too many files (limit %u)", COMPOSE_FILES_MAX);
        np = realloc(l->projects, sizeof(ComposeProject *) * (l->n_projects + 1));
        if (!np)
                return -ENOMEM;
        l->projects = np;
        memmove(np + index + 1, np + index, sizeof(ComposeProject *) * (l->n_projects - index));
        np[index] = p;
        l->n_projects++;

        nl = realloc(l->files, sizeof(char *) * (nf + 2));
        if (!nl)
                return -ENOMEM;
        l->files = nl;
        nl[nf] = NULL;
        memmove(nl + index + 1, nl + index, sizeof(char *) * (nf - index + 1));
        nl[index] = strdup(file);
        if (!nl[index])
                return -ENOMEM;
        return 0;
}

/* File-level extends (compat §1.1 step 3): the base is loaded and inserted before the extending file; its
 * processes get the base's directory as working_dir (relative ones are joined to it). */
static int load_extends(Loader *l, ComposeProject *p, const char *file, size_t index, unsigned depth) {
        _cleanup_free_ char *base_path = NULL, *dir = NULL;
        ComposeProject *base = NULL;
        int r;

        if (isempty(p->extends))
                return 0;
        if (depth >= COMPOSE_FILES_MAX)
                return compose_error_set(l->error, -ELOOP, file, 0, 0, "'extends' chain is too long");
        if (p->extends[0] == '/')
                base_path = path_clean(p->extends);
        else {
                _cleanup_free_ char *d = path_dirname(file);
                base_path = d ? path_join_clean(d, p->extends) : NULL;
        }
        if (!base_path)
                return -ENOMEM;
        if (strv_contains(l->files, base_path))
                return compose_error_set(l->error, -EINVAL, file, 0, 0,
                                         "project %s is already specified in files to load", base_path);

        r = load_path(l, base_path, &base);
        if (r < 0) {
                /* name the file that extends, as process-compose does */
                if (l->error && l->error->message && !strstr(l->error->message, "failed to load extend project")) {
                        char *m = NULL;
                        if (asprintf(&m, "failed to load extend project %s: %s", base_path, l->error->message) >= 0) {
                                free(l->error->message);
                                l->error->message = m;
                        }
                }
                return r;
        }

        dir = path_dirname(base_path);
        if (!dir) {
                compose_project_free(base);
                return -ENOMEM;
        }
        for (size_t i = 0; i < base->n_processes; i++) {
                ComposeProcess *proc = base->processes[i];
                if (isempty(proc->working_dir))
                        r = free_and_strdup(&proc->working_dir, dir);
                else if (proc->working_dir[0] != '/') {
                        char *j = path_join_clean(dir, proc->working_dir);
                        if (!j)
                                r = -ENOMEM;
                        else {
                                free(proc->working_dir);
                                proc->working_dir = j;
                                r = 0;
                        }
                } else
                        r = 0;
                if (r < 0) {
                        compose_project_free(base);
                        return r;
                }
        }

        r = insert_project(l, index, base_path, base);
        if (r < 0) {
                if (l->n_projects == 0 || l->projects[index] != base)
                        compose_project_free(base);
                return r;
        }
        return load_extends(l, base, base_path, index, depth + 1);
}

/* ---- merging (compat §1.7): mergo's WithOverride + WithAppendSlice, as the field table's rules say ---- */

static int merge_process(ComposeProcess *b, ComposeProcess *o) {
        return compose_table_merge(&compose_process_table, b, o);
}

static int merge_projects(ComposeProject *b, ComposeProject *o) {
        return compose_table_merge(&compose_project_table, b, o);
}

/* ---- process extends (compat §1.1 step 5) ---- */

static ComposeProcess *find_raw(ComposeProject *p, const char *name) {
        for (size_t i = 0; i < p->n_processes; i++)
                if (streq(p->processes[i]->name, name))
                        return p->processes[i];
        return NULL;
}

static int resolve_extends_one(ComposeProject *p, size_t idx, uint8_t *state, ComposeError *e, unsigned depth) {
        ComposeProcess *proc = p->processes[idx], *parent;
        _cleanup_(compose_process_freep) ComposeProcess *base = NULL;
        size_t pidx = 0;
        int r;

        if (state[idx] == 2)
                return 0;
        if (state[idx] == 1)
                return compose_error_set(e, -ELOOP, proc->pos.file, proc->pos.line, proc->pos.column,
                                         "circular extends detected involving process \"%s\"", proc->name);
        if (isempty(proc->extends)) {
                state[idx] = 2;
                return 0;
        }
        if (streq(proc->extends, proc->name))
                return compose_error_set(e, -EINVAL, proc->pos.file, proc->pos.line, proc->pos.column,
                                         "process \"%s\" cannot extend itself", proc->name);
        parent = find_raw(p, proc->extends);
        if (!parent)
                return compose_error_set(e, -EINVAL, proc->pos.file, proc->pos.line, proc->pos.column,
                                         "process \"%s\" extends unknown process \"%s\"", proc->name, proc->extends);
        if (depth > COMPOSE_PROCESSES_MAX)
                return compose_error_set(e, -ELOOP, proc->pos.file, proc->pos.line, proc->pos.column,
                                         "'extends' chain is too long");
        while (p->processes[pidx] != parent)
                pidx++;

        state[idx] = 1;
        r = resolve_extends_one(p, pidx, state, e, depth + 1);
        if (r < 0)
                return r;

        r = compose_process_dup(parent, &base);
        if (r < 0)
                return r;
        base->extends = mfree(base->extends);
        /* the derived process keeps its own identity and position */
        free(base->name);
        free(base->base_name);
        base->name = TAKE_PTR(proc->name);
        base->base_name = TAKE_PTR(proc->base_name);
        compose_pos_done(&base->pos);
        base->pos = proc->pos;
        proc->pos = (ComposePos) {};
        r = merge_process(base, proc);
        if (r < 0)
                return r;
        base->extends = mfree(base->extends);
        compose_process_free(proc);
        p->processes[idx] = TAKE_PTR(base);
        state[idx] = 2;
        return 0;
}

static int resolve_process_extends(ComposeProject *p, ComposeError *e) {
        _cleanup_free_ uint8_t *state = new0(uint8_t, p->n_processes ?: 1);
        int r;

        if (!state)
                return -ENOMEM;
        for (size_t i = 0; i < p->n_processes; i++) {
                r = resolve_extends_one(p, i, state, e, 0);
                if (r < 0)
                        return r;
        }
        return 0;
}

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
                        char *end;
                        long v;
                        errno = 0;
                        v = strtol(h->port, &end, 10);
                        if (errno == 0 && !*end && v >= 1 && v <= 65535)
                                h->num_port = (int) v;
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

        /* executable and args (compat §1.3 command vs entrypoint) */
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

        /* dependencies on a replicated process expand to all its replicas, unless one is named explicitly */
        for (size_t i = 0; i < p->n_processes; i++) {
                ComposeProcess *proc = p->processes[i];
                ComposeDependency *nd = NULL;
                size_t nn = 0;

                if (proc->n_depends_on == 0)
                        continue;
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
        }
        return 0;

fail:
        for (size_t i = 0; i < n; i++)
                compose_process_free(out[i]);
        free(out);
        return r;
}

/* ---- validation (compat §1.6) ---- */

static int soft(ComposeProject *p, ComposeError *e, const ComposePos *pos, const char *fmt, ...) _printf_(4, 5);
static int soft(ComposeProject *p, ComposeError *e, const ComposePos *pos, const char *fmt, ...) {
        _cleanup_free_ char *m = NULL;
        va_list ap;
        int k;

        va_start(ap, fmt);
        k = vasprintf(&m, fmt, ap);
        va_end(ap);
        if (k < 0)
                return -ENOMEM;
        if (p->is_strict)
                return compose_error_set(e, -EINVAL, pos ? pos->file : NULL, pos ? pos->line : 0,
                                         pos ? pos->column : 0, "%s", m);
        return compose_project_add_warning(p, pos, "%s", m);
}

static bool log_level_valid(const char *l) {
        static const char * const levels[] = { "", "trace", "debug", "info", "warn", "error", "fatal", "panic",
                                               "disabled" };
        char *end;

        for (size_t i = 0; i < ELEMENTSOF(levels); i++)
                if (streq(l, levels[i]))
                        return true;
        /* zerolog also accepts level numbers */
        (void) strtol(l, &end, 10);
        return *l && !*end;
}

static int find_in_path(const char *cmd, char * const *env) {
        const char *path;
        _cleanup_strv_free_ char **dirs = NULL;

        if (strchr(cmd, '/'))
                return access(cmd, X_OK) == 0 ? 0 : -ENOENT;
        path = strv_env_get(env, "PATH");
        if (isempty(path))
                return -ENOENT;
        dirs = strv_split(path, ":", false);
        if (!dirs)
                return -ENOMEM;
        STRV_FOREACH(d, dirs) {
                _cleanup_free_ char *f = NULL;
                struct stat st;
                if (asprintf(&f, "%s/%s", *d, cmd) < 0)
                        return -ENOMEM;
                if (stat(f, &st) == 0 && S_ISREG(st.st_mode) && access(f, X_OK) == 0)
                        return 0;
        }
        return -ENOENT;
}

static ssize_t proc_index(const ComposeProject *p, const char *name) {
        ComposeProcess *f = compose_project_find_process(p, name);
        if (!f)
                return -1;
        for (size_t i = 0; i < p->n_processes; i++)
                if (p->processes[i] == f)
                        return (ssize_t) i;
        return -1;
}

/* Iterative DFS (deep chains must not exhaust the stack). Returns 1 with the cycle in *ret_cycle. */
int compose_find_cycle(const ComposeProject *project, char ***ret_cycle) {
        _cleanup_free_ uint8_t *state = new0(uint8_t, project->n_processes ?: 1);
        _cleanup_free_ size_t *stack = new(size_t, project->n_processes ?: 1);
        _cleanup_free_ size_t *next = new0(size_t, project->n_processes ?: 1);

        if (!state || !stack || !next)
                return -ENOMEM;
        if (ret_cycle)
                *ret_cycle = NULL;

        for (size_t s = 0; s < project->n_processes; s++) {
                size_t depth = 0;
                if (state[s])
                        continue;
                stack[depth++] = s;
                state[s] = 1;
                next[s] = 0;
                while (depth > 0) {
                        size_t v = stack[depth - 1];
                        const ComposeProcess *pv = project->processes[v];
                        if (next[v] < pv->n_depends_on) {
                                ssize_t w = proc_index(project, pv->depends_on[next[v]++].name);
                                if (w < 0)
                                        continue;
                                if (state[w] == 1) {
                                        if (ret_cycle) {
                                                _cleanup_strv_free_ char **c = NULL;
                                                size_t from = 0;
                                                while (stack[from] != (size_t) w)
                                                        from++;
                                                for (size_t i = from; i < depth; i++)
                                                        if (strv_extend(&c, project->processes[stack[i]]->name) < 0)
                                                                return -ENOMEM;
                                                if (strv_extend(&c, project->processes[w]->name) < 0)
                                                        return -ENOMEM;
                                                *ret_cycle = TAKE_PTR(c);
                                        }
                                        return 1;
                                }
                                if (state[w] == 0) {
                                        state[w] = 1;
                                        next[w] = 0;
                                        stack[depth++] = (size_t) w;
                                }
                                continue;
                        }
                        state[v] = 2;
                        depth--;
                }
        }
        return 0;
}

static const ComposePos *dep_pos(const ComposeProcess *p, const char *dep) {
        for (size_t i = 0; i < p->n_depends_on; i++)
                if (streq(p->depends_on[i].name, dep))
                        return &p->depends_on[i].pos;
        return &p->pos;
}

static int validate(Loader *l, ComposeProject *p) {
        ComposeError *e = l->error;
        int r;

        if (!log_level_valid(strempty(p->log_level))) {
                if (p->is_strict)
                        return compose_error_set(e, -EINVAL, NULL, 0, 0, "unknown log level %s", p->log_level);
                r = compose_project_add_warning(p, NULL, "Unknown log level %s defaulting to info", p->log_level);
                if (r < 0)
                        return r;
        }

        for (size_t i = 0; i < p->n_processes; i++) {
                ComposeProcess *proc = p->processes[i];
                for (size_t j = 0; j < proc->n_success_exit_codes; j++)
                        if (proc->success_exit_codes[j] < 0 || proc->success_exit_codes[j] > 255) {
                                r = soft(p, e, &proc->pos,
                                         "invalid success_exit_codes value %d in process '%s': exit codes must be in the range 0-255",
                                         proc->success_exit_codes[j], proc->name);
                                if (r < 0)
                                        return r;
                                break;
                        }
                if (!isempty(proc->shutdown.send_keys) && !proc->is_interactive && !proc->is_tty) {
                        r = soft(p, e, &proc->pos, "process '%s': shutdown.send_keys requires is_interactive (or is_tty)",
                                 proc->name);
                        if (r < 0)
                                return r;
                }
        }
        for (size_t i = 0; i < l->findings.n; i++)
                if (startswith(l->findings.items[i].message, "unknown key")) {
                        r = soft(p, e, &l->findings.items[i].pos, "%s", l->findings.items[i].message);
                        if (r < 0)
                                return r;
                }

        for (size_t i = 0; i < p->n_processes; i++) {
                ComposeProcess *proc = p->processes[i];
                _cleanup_free_ char *path = NULL;
                struct stat st;

                if (isempty(proc->env_file))
                        continue;
                if (proc->env_file[0] != '/' && !isempty(proc->working_dir))
                        path = path_join_clean(proc->working_dir, proc->env_file);
                else
                        path = strdup(proc->env_file);
                if (!path)
                        return -ENOMEM;
                if (path[0] != '/') {
                        char *abs = path_join_clean(p->working_directory, path);
                        if (!abs)
                                return -ENOMEM;
                        if (stat(abs, &st) < 0 && errno == ENOENT) {
                                free(abs);
                                goto missing;
                        }
                        free(abs);
                        continue;
                }
                if (stat(path, &st) < 0 && errno == ENOENT) {
                missing:
                        r = soft(p, e, proc->pos_env_file.file ? &proc->pos_env_file : &proc->pos,
                                 "env_file '%s' for process '%s' does not exist", path, proc->name);
                        if (r < 0)
                                return r;
                }
        }

        {
                _cleanup_strv_free_ char **cycle = NULL;
                r = compose_find_cycle(p, &cycle);
                if (r < 0)
                        return r;
                if (r > 0) {
                        _cleanup_free_ char *chain = strv_join(cycle, " -> ");
                        ComposeProcess *first = compose_project_find_process(p, cycle[0]);
                        const ComposePos *pos = dep_pos(first, cycle[1]);
                        return compose_error_set(e, -ELOOP, pos->file, pos->line, pos->column,
                                                 "circular dependency found in '%s': %s", cycle[0], strempty(chain));
                }
        }

        r = find_in_path(p->shell.shell_command, l->env);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return compose_error_set(e, -ENOENT, NULL, 0, 0, "exec: \"%s\": executable file not found in $PATH",
                                         p->shell.shell_command);

        for (size_t i = 0; i < p->n_processes; i++) {
                ComposeProcess *proc = p->processes[i];
                for (size_t j = 0; j < proc->n_depends_on; j++) {
                        ComposeDependency *d = &proc->depends_on[j];
                        ComposeProcess *dp = compose_project_find_process(p, d->name);
                        if (!dp)
                                return compose_error_set(e, -EINVAL, d->pos.file, d->pos.line, d->pos.column,
                                                         "dependency process '%s' in process '%s' is not defined",
                                                         d->name, proc->name);
                        if (d->condition == COMPOSE_CONDITION_PROCESS_HEALTHY && !dp->readiness_probe &&
                            !dp->liveness_probe) {
                                r = soft(p, e, &d->pos, "health dependency defined in '%s' but no health check exists in '%s'",
                                         proc->name, d->name);
                                if (r < 0)
                                        return r;
                        }
                        if (d->condition == COMPOSE_CONDITION_PROCESS_LOG_READY && isempty(dp->ready_log_line))
                                return compose_error_set(e, -EINVAL, d->pos.file, d->pos.line, d->pos.column,
                                                         "log ready dependency defined in '%s' but no ready log line exists in '%s'",
                                                         proc->name, d->name);
                        if (dp->disabled && !proc->disabled) {
                                r = soft(p, e, &d->pos, "dependency process '%s' in process '%s' is disabled", d->name,
                                         proc->name);
                                if (r < 0)
                                        return r;
                        }
                }
        }

        for (size_t i = 0; i < p->n_processes; i++) {
                ComposeProcess *proc = p->processes[i];
                if (proc->readiness_probe && !isempty(proc->ready_log_line))
                        return compose_error_set(e, -EINVAL, proc->pos.file, proc->pos.line, proc->pos.column,
                                                 "'ready_log_line' and readiness probe defined in '%s' are incompatible",
                                                 proc->name);
        }

        for (size_t i = 0; i < p->n_processes; i++) {
                ComposeProcess *proc = p->processes[i];
                ComposeWatch *w = proc->watch;

                if (proc->schedule && proc->replicas > 1) {
                        r = soft(p, e, &proc->pos, "scheduled process '%s' cannot be scaled (replicas > 1)", proc->name);
                        if (r < 0)
                                return r;
                }
                if (!w)
                        continue;
                if (w->n_paths == 0) {
                        r = soft(p, e, &proc->pos, "process '%s' has a 'watch' block with no 'paths'", proc->name);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (proc->replicas > 1 &&
                    (r = soft(p, e, &proc->pos, "watched process '%s' cannot be scaled (replicas > 1)", proc->name)) < 0)
                        return r;
                if (proc->schedule &&
                    (r = soft(p, e, &proc->pos, "process '%s' cannot combine 'schedule' with 'watch'", proc->name)) < 0)
                        return r;
                if (proc->is_foreground &&
                    (r = soft(p, e, &proc->pos, "process '%s' cannot combine 'is_foreground' with 'watch'", proc->name)) < 0)
                        return r;
                if (w->buffer_size != 0 && w->buffer_size < 4096 &&
                    (r = soft(p, e, &proc->pos,
                              "process '%s' has a watch 'buffer_size' of %d, below the minimum of %d bytes", proc->name,
                              w->buffer_size, 4096)) < 0)
                        return r;
                {
                        int64_t ns;
                        if (parse_go_duration(w->debounce, &ns) < 0) {
                                r = soft(p, e, &proc->pos,
                                         "process '%s' has an invalid watch 'debounce' value '%s': invalid duration (expected a duration such as '300ms' or '1s')",
                                         proc->name, w->debounce);
                                if (r < 0)
                                        return r;
                        } else
                                w->debounce_usec = ns > 0 ? (usec_t) ns / 1000 : 0;
                }
                for (size_t j = 0; j < w->n_paths; j++) {
                        const char *wp = strempty(w->paths[j].path);
                        struct stat st;
                        if (isempty(wp)) {
                                r = soft(p, e, &proc->pos, "process '%s' has a watch path with an empty 'path'", proc->name);
                                if (r < 0)
                                        return r;
                                continue;
                        }
                        if (strstr(wp, "{{")) {
                                r = soft(p, e, &proc->pos,
                                         "process '%s' watch path '%s' uses a template variable, which is not supported for watch paths",
                                         proc->name, wp);
                                if (r < 0)
                                        return r;
                                continue;
                        }
                        if (stat(wp, &st) < 0 && errno == ENOENT) {
                                r = soft(p, e, &proc->pos, "watch path '%s' for process '%s' does not exist", wp, proc->name);
                                if (r < 0)
                                        return r;
                        }
                }
        }

        for (size_t i = 0; i < p->n_processes; i++) {
                ComposeProcess *proc = p->processes[i];
                if (proc->mcp && !proc->disabled) {
                        proc->disabled = true;
                        r = compose_project_add_warning(p, &proc->pos,
                                                        "MCP process '%s' should be disabled (setting disabled=true)",
                                                        proc->name);
                        if (r < 0)
                                return r;
                }
        }

        for (size_t i = 0; i < l->findings.n; i++)
                if (!startswith(l->findings.items[i].message, "unknown key")) {
                        r = soft(p, e, &l->findings.items[i].pos, "%s", l->findings.items[i].message);
                        if (r < 0)
                                return r;
                }
        return 0;
}

/* ---- namespace admission (compat §1.1 step 10) ---- */

static bool admitted(const ComposeProcess *proc, char * const *namespaces) {
        STRV_FOREACH(ns, proc->namespaces)
                if (strv_contains(namespaces, *ns))
                        return true;
        return false;
}

static int admit_namespaces(ComposeProject *p, char * const *namespaces) {
        size_t n = 0;
        int r;

        if (strv_length(namespaces) == 0)
                return 0;
        for (size_t i = 0; i < p->n_processes; i++) {
                if (admitted(p->processes[i], namespaces))
                        p->processes[n++] = p->processes[i];
                else
                        compose_process_free(p->processes[i]);
        }
        p->n_processes = n;

        for (size_t i = 0; i < p->n_processes; i++) {
                ComposeProcess *proc = p->processes[i];
                size_t k = 0;
                for (size_t j = 0; j < proc->n_depends_on; j++) {
                        ComposeDependency *d = &proc->depends_on[j];
                        if (compose_project_find_process(p, d->name)) {
                                proc->depends_on[k++] = *d;
                                continue;
                        }
                        r = compose_project_add_warning(p, &d->pos,
                                                        "dependency '%s' of process '%s' is outside the selected namespaces; ignored",
                                                        d->name, proc->name);
                        free(d->name);
                        compose_pos_done(&d->pos);
                        if (r < 0)
                                return r;
                }
                proc->n_depends_on = k;
        }
        strv_free(p->namespaces);
        p->namespaces = strv_copy(namespaces);
        return p->namespaces ? 0 : -ENOMEM;
}

/* ---- the pipeline ---- */

static int discover(Loader *l, char ***ret) {
        static const char * const names[] = { "compose.yml", "compose.yaml", "process-compose.yml",
                                              "process-compose.yaml" };
        static const char * const overrides[] = { "compose.override.yml", "compose.override.yaml",
                                                  "process-compose.override.yml", "process-compose.override.yaml" };
        _cleanup_strv_free_ char **files = NULL;
        int r;

        for (int pass = 0; pass < 2; pass++) {
                const char * const *list = pass == 0 ? names : overrides;
                size_t found = 0;
                for (size_t i = 0; i < 4; i++) {
                        _cleanup_free_ char *f = path_join_clean(l->cwd, list[i]);
                        struct stat st;
                        if (!f)
                                return -ENOMEM;
                        if (stat(f, &st) < 0)
                                continue;
                        if (found++ == 0) {
                                r = strv_extend(&files, f);
                                if (r < 0)
                                        return r;
                        } else {
                                char *w;
                                if (asprintf(&w, "Found multiple %s files; using %s and ignoring %s",
                                             pass == 0 ? "config" : "override", files[strv_length(files) - 1], f) < 0)
                                        return -ENOMEM;
                                r = strv_consume(&l->warnings, w);
                                if (r < 0)
                                        return r;
                        }
                }
                if (pass == 0 && found == 0)
                        return compose_error_set(l->error, -ENOENT, NULL, 0, 0, "no config files found in %s", l->cwd);
        }
        *ret = TAKE_PTR(files);
        return 0;
}

static int read_dotenv(Loader *l) {
        const ComposeLoadOptions *o = l->opts;
        static char * const default_files[] = { (char *) ".env", NULL };
        char * const *files = o->env_files ?: default_files;
        int r;

        if (o->disable_dotenv)
                return 0;
        STRV_FOREACH(f, files) {
                _cleanup_free_ char *path = (*f)[0] == '/' ? strdup(*f) : path_join_clean(l->cwd, *f);
                unsigned line = 0;

                if (!path)
                        return -ENOMEM;
                r = dotenv_read_file(path, &l->dotenv, &line);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        char *w = NULL;
                        /* A missing default .env is normal; anything else deserves a warning. Unlike
                         * process-compose, later files are still read (see docs/compose.md). */
                        if (r == -ENOENT && !o->env_files)
                                continue;
                        if (r == -EINVAL)
                                r = asprintf(&w, "%s:%u: invalid line in env file; the rest of the file is ignored",
                                             *f, line);
                        else
                                r = asprintf(&w, "%s: cannot read env file: %s", *f, strerror(-r));
                        if (r < 0)
                                return -ENOMEM;
                        r = strv_consume(&l->warnings, w);
                        if (r < 0)
                                return r;
                        continue;
                }
                r = strv_extend(&l->dotenv_files, *f);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int load_all(Loader *l, ComposeProject **ret) {
        const ComposeLoadOptions *o = l->opts;
        _cleanup_strv_free_ char **given = NULL;
        _cleanup_(compose_project_freep) ComposeProject *p = NULL;
        int r;

        if (!l->cwd) {
                l->cwd = o->working_directory ? strdup(o->working_directory) : getcwd(NULL, 0);
                if (!l->cwd)
                        return -errno ?: -ENOMEM;
        }

        r = read_dotenv(l);
        if (r < 0)
                return r;

        if (l->mem_name) {
                r = strv_extend(&given, l->mem_name);
                if (r < 0)
                        return r;
        } else if (strv_length(o->files) > 0) {
                given = strv_copy(o->files);
                if (!given)
                        return -ENOMEM;
        } else {
                r = discover(l, &given);
                if (r < 0)
                        return r;
        }
        if (strv_length(given) > COMPOSE_FILES_MAX)
                return compose_error_set(l->error, -E2BIG, NULL, 0, 0, "too many files (limit %u)", COMPOSE_FILES_MAX);

        l->files = strv_copy(given);
        if (!l->files)
                return -ENOMEM;
        /* l->files and l->projects grow together as extends bases are inserted */
        l->files = strv_free(l->files);
        STRV_FOREACH(f, given) {
                ComposeProject *fp = NULL;
                size_t index = l->n_projects;

                r = load_path(l, *f, &fp);
                if (r < 0)
                        return r;
                r = insert_project(l, index, *f, fp);
                if (r < 0) {
                        if (l->n_projects <= index || l->projects[index] != fp)
                                compose_project_free(fp);
                        return r;
                }
                r = load_extends(l, fp, *f, index, 0);
                if (r < 0)
                        return r;
        }

        /* merge in order */
        p = TAKE_PTR(l->projects[0]);
        for (size_t i = 1; i < l->n_projects; i++) {
                r = merge_projects(p, l->projects[i]);
                if (r == -E2BIG)
                        return compose_error_set(l->error, r, l->files[i], 0, 0, "too many processes (limit %u)",
                                                 COMPOSE_PROCESSES_MAX);
                if (r < 0)
                        return r;
        }

        r = resolve_process_extends(p, l->error);
        if (r < 0)
                return r;

        p->file_names = TAKE_PTR(given);
        p->env_file_names = TAKE_PTR(l->dotenv_files);
        p->dot_env_vars = TAKE_PTR(l->dotenv);
        p->working_directory = strdup(l->cwd);
        if (!p->working_directory)
                return -ENOMEM;
        {
                const char *base = !isempty(p->name) ? p->name : l->cwd;
                const char *s = strrchr(base, '/');
                /* basename of "/" or of a name ending in "/" is the part before it, as Go's filepath.Base */
                _cleanup_free_ char *clean = path_clean(base);
                if (!clean)
                        return -ENOMEM;
                s = strrchr(clean, '/');
                p->project_name = strdup(s && s[1] ? s + 1 : clean);
                if (!p->project_name)
                        return -ENOMEM;
        }
        STRV_FOREACH(w, l->warnings) {
                r = compose_project_add_warning(p, NULL, "%s", *w);
                if (r < 0)
                        return r;
        }

        p->is_tui_disabled = p->is_tui_disabled || o->tui_disabled;
        p->ordered_shutdown = p->ordered_shutdown || o->ordered_shutdown;
        p->is_strict = p->is_strict || o->strict || o->dry_run;
        p->disable_dotenv = o->disable_dotenv;
        if (o->log_level) {
                r = free_and_strdup(&p->log_level, o->log_level);
                if (r < 0)
                        return r;
        }

        /* default shell */
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

        for (size_t i = 0; i < p->n_processes; i++) {
                r = apply_process_defaults(p->processes[i], l->error);
                if (r < 0)
                        return r;
        }
        compose_project_sort(p);
        r = clone_replicas(p, l->error);
        if (r < 0)
                return r;

        for (size_t i = 0; i < p->n_processes; i++) {
                ComposeProcess *proc = p->processes[i];
                ComposeProbe *probes[2] = { proc->liveness_probe, proc->readiness_probe };

                for (size_t k = 0; k < 2; k++)
                        if (probes[k] && probes[k]->exec && isempty(probes[k]->exec->working_dir)) {
                                r = free_and_strdup(&probes[k]->exec->working_dir, proc->working_dir);
                                if (r < 0)
                                        return r;
                        }
                if (proc->watch)
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
                                                                      : l->cwd,
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
                r = compose_finish_process(p, proc, l->error);
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

        r = validate(l, p);
        if (r < 0)
                return r;

        r = admit_namespaces(p, o->namespaces);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(p);
        return 0;
}

int compose_load(const ComposeLoadOptions *opts, ComposeProject **ret_project, ComposeError *ret_error) {
        ComposeLoadOptions defaults = {};
        Loader l = {};
        int r;

        if (!opts)
                opts = &defaults;
        l.opts = opts;
        l.env = opts->environ ?: environ;
        l.error = ret_error;
        r = load_all(&l, ret_project);
        loader_done(&l);
        return r;
}

int compose_load_string(const char *text, size_t size, const char *file_name, const ComposeLoadOptions *opts,
                        ComposeProject **ret_project, ComposeError *ret_error) {
        ComposeLoadOptions defaults = {};
        Loader l = {};
        int r;

        if (!opts)
                opts = &defaults;
        if (size > COMPOSE_FILE_SIZE_MAX)
                return compose_error_set(ret_error, -E2BIG, file_name, 0, 0, "file is too large (%zu bytes, limit %u)",
                                         size, COMPOSE_FILE_SIZE_MAX);
        if (memchr(text, 0, size))
                return compose_error_set(ret_error, -EINVAL, file_name, 0, 0, "file contains NUL bytes");
        l.opts = opts;
        l.env = opts->environ ?: environ;
        l.error = ret_error;
        l.mem_text = text;
        l.mem_size = size;
        l.mem_name = file_name ?: "process-compose.yaml";
        r = load_all(&l, ret_project);
        loader_done(&l);
        return r;
}
