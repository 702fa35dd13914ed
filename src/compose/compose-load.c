/* Loading, the first stage of compose_load() (compat §1.1 steps 1-4): the options, file discovery, the
 * dotenv files, ${VAR} substitution, parsing and decoding each file, and file-level extends. This is the only
 * stage that reads files; compose_load() then runs the stages of the other files in order (see
 * compose-internal.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compose/compose-table.h"
#include "compose/compose-yaml.h"
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

/* Reads the files given (or discovered), each with the bases it extends, into l->files and l->projects. */
static int load_files(Loader *l, char ***ret_given) {
        const ComposeLoadOptions *o = l->opts;
        _cleanup_strv_free_ char **given = NULL;
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

        /* l->files and l->projects grow together as extends bases are inserted */
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
        *ret_given = TAKE_PTR(given);
        return 0;
}

/* What the loader knows and the files do not: names of files, dotenv results, the project name, options. */
static int describe_project(Loader *l, ComposeProject *p, char ***given) {
        const ComposeLoadOptions *o = l->opts;
        int r;

        p->file_names = TAKE_PTR(*given);
        p->env_file_names = TAKE_PTR(l->dotenv_files);
        p->dot_env_vars = TAKE_PTR(l->dotenv);
        p->working_directory = strdup(l->cwd);
        if (!p->working_directory)
                return -ENOMEM;
        {
                const char *base = !isempty(p->name) ? p->name : l->cwd;
                const char *s;
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
        if (o->log_level)
                return free_and_strdup(&p->log_level, o->log_level);
        return 0;
}

/* The pipeline: load, merge, expand, validate, select. */
static int load_all(Loader *l, ComposeProject **ret) {
        _cleanup_strv_free_ char **given = NULL;
        _cleanup_(compose_project_freep) ComposeProject *p = NULL;
        int r;

        r = load_files(l, &given);
        if (r < 0)
                return r;
        r = compose_merge_files(l->projects, l->n_projects, l->files, &p, l->error);
        if (r < 0)
                return r;
        r = describe_project(l, p, &given);
        if (r < 0)
                return r;
        r = compose_expand(p, l->opts, l->cwd, l->error);
        if (r < 0)
                return r;
        r = compose_validate(p, &l->findings, l->env, l->error);
        if (r < 0)
                return r;
        r = compose_admit_namespaces(p, l->opts->namespaces);
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

