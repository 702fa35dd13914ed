/* The field table of the project (compose-table.h), with the callbacks of its special keys. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "compose/compose-fields.h"
#include "compose/compose-json.h"
#include "shared/strv.h"

/* ---- the project ---- */

static const ComposeField shell_rows[] = {
        ROW("shell_command", "ShellCommand", ComposeShell, STRING, shell_command, ALWAYS),
        ROW("shell_argument", "ShellArgument", ComposeShell, STRING, shell_argument, ALWAYS),
        ROW("elevated_shell_command", "ElevatedShellCmd", ComposeShell, STRING, elevated_shell_command, ALWAYS),
        ROW("elevated_shell_argument", "ElevatedShellArg", ComposeShell, STRING, elevated_shell_argument, ALWAYS),
};
static const COMPOSE_TABLE(shell_table, ComposeShell, shell_rows);

static int shell_decode_yaml(ComposeDecoder *d, const ComposeField *f, const YamlNode *key, const YamlNode *n,
                             void *obj) {
        ComposeShell *s = compose_field_ptr(f, obj);
        int r = compose_field_decode_yaml(d, f, key, n, obj);

        /* shell_argument may be empty: process-compose then passes an empty argument, and so do we */
        if (r >= 0 && isempty(s->shell_command))
                return compose_error_set(d->error, -EINVAL, d->file, n->line, n->column,
                                         "'shell' needs 'shell_command'");
        return r;
}

static int process_decode_yaml(ComposeDecoder *d, const YamlNode *key, const YamlNode *n, ComposeProcess **ret) {
        _cleanup_(compose_process_freep) ComposeProcess *p = NULL;
        int r;

        if (key->len == 0)
                return compose_error_set(d->error, -EINVAL, d->file, key->line, key->column,
                                         "process names must not be empty");
        p = new0(ComposeProcess, 1);
        if (!p)
                return -ENOMEM;
        p->name = strdup(key->value);
        p->base_name = strdup(key->value);
        if (!p->name || !p->base_name)
                return -ENOMEM;
        r = compose_set_pos(d, &p->pos, key);
        if (r < 0)
                return r;
        if (!compose_yaml_is_null(n)) {
                r = compose_decode_check_map(d, n, key->value);
                if (r < 0)
                        return r;
                r = compose_table_decode_yaml(d, &compose_process_table, n, p);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(p);
        return 0;
}

static int processes_decode_yaml(ComposeDecoder *d, const ComposeField *f, const YamlNode *key, const YamlNode *n,
                                 void *obj) {
        ComposeProject *p = obj;
        int r = compose_decode_check_map(d, n, key->value);

        if (r < 0)
                return r;
        if (n->n > COMPOSE_PROCESSES_MAX)
                return compose_error_set(d->error, -E2BIG, d->file, n->line, n->column,
                                         "too many processes (%zu, limit %u)", n->n, COMPOSE_PROCESSES_MAX);
        p->processes = new0(ComposeProcess *, n->n ?: 1);
        if (!p->processes)
                return -ENOMEM;
        for (size_t j = 0; j < n->n; j++) {
                r = process_decode_yaml(d, n->keys[j], n->values[j], &p->processes[p->n_processes]);
                if (r < 0)
                        return r;
                p->n_processes++;
        }
        return 0;
}

static bool processes_encode(const ComposeField *f, const void *obj, cJSON *o) {
        const ComposeProject *p = obj;
        cJSON *c = cJSON_AddObjectToObject(o, f->json);

        if (!c)
                return false;
        for (size_t i = 0; i < p->n_processes; i++) {
                cJSON *pj = compose_process_to_json(p->processes[i]);
                if (!pj)
                        return false;
                cJSON_AddItemToObject(c, p->processes[i]->name, pj);
        }
        return true;
}

/* A process of POST /project: the map key names it when it has no name of its own, and is its unique name. */
static int process_decode_json(const cJSON *i, ComposeProcess **ret, char **e) {
        _cleanup_(compose_process_freep) ComposeProcess *proc = NULL;
        _cleanup_free_ char *inner = NULL;
        int k = compose_process_from_json(i, &proc, &inner);

        if (k == -EINVAL)
                return compose_json_error(e, "process '%s': %s", i->string, strempty(inner));
        if (k == -ENOENT) {
                cJSON *copy = cJSON_Duplicate(i, true);
                if (!copy || !cJSON_AddStringToObject(copy, "name", i->string)) {
                        cJSON_Delete(copy);
                        return -ENOMEM;
                }
                inner = mfree(inner);
                k = compose_process_from_json(copy, &proc, &inner);
                cJSON_Delete(copy);
                if (IN_SET(k, -EINVAL, -ENOENT))
                        return compose_json_error(e, "process '%s': %s", i->string, strempty(inner));
        }
        if (k < 0)
                return k;
        if (!streq(proc->name, i->string) && free_and_strdup(&proc->name, i->string) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(proc);
        return 0;
}

static int processes_decode_json(const ComposeField *f, const cJSON *v, void *obj, char **e) {
        ComposeProject *p = obj;
        const cJSON *i;

        if (!cJSON_IsObject(v))
                return compose_json_error(e, "'%s' must be an object", f->json);
        if (cJSON_GetArraySize(v) > (int) COMPOSE_PROCESSES_MAX)
                return compose_json_error(e, "too many processes (limit %u)", COMPOSE_PROCESSES_MAX);
        p->processes = new0(ComposeProcess *, cJSON_GetArraySize(v) + 1);
        if (!p->processes)
                return -ENOMEM;
        cJSON_ArrayForEach(i, v) {
                int k = process_decode_json(i, &p->processes[p->n_processes], e);
                if (k < 0)
                        return k;
                p->n_processes++;
        }
        return 0;
}

static void processes_free(const ComposeField *f, void *obj) {
        ComposeProject *p = obj;
        for (size_t i = 0; i < p->n_processes; i++)
                compose_process_free(p->processes[i]);
        p->processes = mfree(p->processes);
        p->n_processes = 0;
}

/* processes of the override merge into the base's process of the same name, or are added */
static int processes_merge(const ComposeField *f, void *base, void *over) {
        ComposeProject *b = base, *o = over;
        int r;

        for (size_t i = 0; i < o->n_processes; i++) {
                ComposeProcess *op = o->processes[i], *bp = NULL, **np;
                for (size_t j = 0; j < b->n_processes && !bp; j++)
                        if (streq(b->processes[j]->name, op->name))
                                bp = b->processes[j];
                if (bp) {
                        r = compose_table_merge(&compose_process_table, bp, op);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (b->n_processes >= COMPOSE_PROCESSES_MAX)
                        return -E2BIG;
                np = realloc(b->processes, sizeof(ComposeProcess *) * (b->n_processes + 1));
                if (!np)
                        return -ENOMEM;
                b->processes = np;
                np[b->n_processes++] = op;
                o->processes[i] = NULL;
        }
        return 0;
}

static int processes_copy(const ComposeField *f, void *dst, const void *src) {
        return -EOPNOTSUPP; /* projects are not copied */
}

static void processes_emit(const ComposeField *f, const void *obj, ComposeEmitter *m) {
        const ComposeProject *p = obj;

        compose_emit_plain(m, f->yaml);
        compose_emit_begin(m, true);
        for (size_t i = 0; i < p->n_processes; i++) {
                compose_emit_plain(m, p->processes[i]->name);
                compose_emit_table(m, &compose_process_table, p->processes[i]);
        }
        compose_emit_end(m, true);
}

static const ComposeFieldOps processes_ops = {
        .decode_yaml = processes_decode_yaml, .encode_json = processes_encode, .decode_json = processes_decode_json,
        .copy = processes_copy,               .free = processes_free,          .merge = processes_merge,
        .emit_yaml = processes_emit,
};

/* every substitution has happened: loading the dump must not substitute again */
static void emit_true(const ComposeField *f, const void *obj, ComposeEmitter *m) {
        compose_emit_plain(m, f->yaml);
        compose_emit_plain(m, "true");
}

/* DotEnvVars: "K=V" strings shown as a map */
static bool dotenv_encode(const ComposeField *f, const void *obj, cJSON *o) {
        char * const *l = *(char * const * const *) compose_field_cptr(f, obj);
        cJSON *c = cJSON_AddObjectToObject(o, f->json);

        if (!c)
                return false;
        STRV_FOREACH(e, l) {
                const char *eq = strchr(*e, '=');
                _cleanup_free_ char *k = eq ? strndup(*e, eq - *e) : NULL;
                if (!k || !cJSON_AddStringToObject(c, k, eq + 1))
                        return false;
        }
        return true;
}

static int dotenv_decode_json(const ComposeField *f, const cJSON *v, void *obj, char **e) {
        char ***l = compose_field_ptr(f, obj);
        const cJSON *i;
        int r;

        if (!cJSON_IsObject(v))
                return 0;
        cJSON_ArrayForEach(i, v)
                if (cJSON_IsString(i) && (r = strv_env_set(l, i->string, i->valuestring)) < 0)
                        return r;
        return 0;
}

static bool null_encode(const ComposeField *f, const void *obj, cJSON *o) {
        return cJSON_AddNullToObject(o, f->json);
}

static int project_unknown_key(ComposeDecoder *d, const YamlNode *key, const YamlNode *value, void *obj) {
        if (startswith(key->value, "x-"))
                return 0;
        return compose_findings_add(d->findings, d->file, key->line, key->column, "Unknown field '%s' in project file",
                                    key->value);
}

#define J ComposeProject
#define A .flags = COMPOSE_FIELD_JSON_ALWAYS
static const ComposeField project_rows[] = {
        ROW("version", "Version", J, STRING, version, A),
        ROW("name", "Name", J, STRING, name, A),
        ROW("log_location", "LogLocation", J, STRING, log_location, A),
        ROW("log_level", "LogLevel", J, STRING, log_level, A),
        ROW("log_length", "LogLength", J, INT, log_length, A),
        ROW("log_configuration", "LoggerConfig", J, OBJECT, log_configuration, A, SUB(compose_log_config_table)),
        ROW("log_format", "LogFormat", J, STRING, log_format, A),
        ROW("processes", "Processes", J, NONE, processes,
            .flags = COMPOSE_FIELD_NULL_SKIPS | COMPOSE_FIELD_YAML_DUMP_LAST, .ops = &processes_ops),
        ROW("environment", "Environment", J, ENV, environment, A),
        ROW("shell", "ShellConfig", J, STRUCT, shell, SUB(shell_table), OPS(.decode_yaml = shell_decode_yaml)),
        ROW("is_strict", "IsStrict", J, BOOL, is_strict, A),
        ROW("vars", "Vars", J, VARS, vars, COUNT(J, n_vars),
            .flags = COMPOSE_FIELD_JSON_ALWAYS | COMPOSE_FIELD_YAML_NO_DUMP),
        ROW("disable_env_expansion", "DisableEnvExpansion", J, BOOL, disable_env_expansion, A,
            OPS(.emit_yaml = emit_true)),
        ROW("is_tui_disabled", "IsTuiDisabled", J, BOOL, is_tui_disabled, A),
        ROW("extends", "ExtendsProject", J, STRING, extends,
            .flags = COMPOSE_FIELD_JSON_ALWAYS | COMPOSE_FIELD_YAML_NO_DUMP),
        ROW("env_cmds", "EnvCommands", J, KV, env_cmds, A, COUNT(J, n_env_cmds)),
        ROW("ordered_shutdown", "IsOrderedShutdown", J, BOOL, ordered_shutdown, A),
        ROW("file_names", "FileNames", J, STRV, file_names, KEEP,
            .flags = COMPOSE_FIELD_JSON_ALWAYS | COMPOSE_FIELD_YAML_COMPUTED),
        ROW("env_file_names", "EnvFileNames", J, STRV, env_file_names, KEEP,
            .flags = COMPOSE_FIELD_JSON_ALWAYS | COMPOSE_FIELD_YAML_COMPUTED),
        ROW("dot_env_vars", "DotEnvVars", J, STRV, dot_env_vars, KEEP, .flags = COMPOSE_FIELD_YAML_COMPUTED,
            OPS(.encode_json = dotenv_encode, .decode_json = dotenv_decode_json)),
        ROW(NULL, "Extensions", J, NONE, processes, .flags = COMPOSE_FIELD_JSON_NO_DECODE,
            OPS(.encode_json = null_encode, .free = NULL)),
        ROW("mcp_server", "MCPServer", J, JSON_TEXT, mcp_server,
            .flags = COMPOSE_FIELD_JSON_ALWAYS | COMPOSE_FIELD_YAML_NO_DUMP,
            .note = "is not supported by pcctl; it is accepted and ignored"),
        /* not keys: computed by the loader */
        NO_KEY(J, STRING, project_name, KEEP),
        NO_KEY(J, STRING, working_directory, KEEP),
        NO_KEY(J, STRV, env_cmds_environment, KEEP),
        NO_KEY(J, STRV, namespaces, KEEP),
        NO_KEY(J, STRV, warnings, KEEP),
        NO_KEY(J, STRV, notes, KEEP),
};
#undef A
#undef J
const COMPOSE_TABLE(compose_project_table, ComposeProject, project_rows, .unknown_yaml_key = project_unknown_key);
