/* One parsed file (YamlNode tree) → a raw ComposeProject with typed values and positions.
 *
 * Type rules follow yaml.v3 decoding into process-compose's structs: any scalar decodes into a string; an
 * integer needs a YAML integer (quoted digits are accepted too); booleans accept YAML 1.1 spellings;
 * null is the zero value. Unknown keys inside sub-objects are ignored (yaml.v3 without KnownFields); unknown
 * process and top-level keys become findings (errors only in strict projects). */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "compose/compose-internal.h"
#include "compose/compose-model.h"
#include "compose/compose-yaml.h"
#include "shared/strv.h"

typedef struct Dec {
        const char *file;
        ComposeError *error;
        ComposeFindings *findings;
        ComposeProject *project;
        size_t visits;
} Dec;

static int type_error(Dec *d, const YamlNode *n, const char *key, const char *what) {
        if (n->type == YAML_NODE_SCALAR) {
                /* keep the quoted text short in messages */
                return compose_error_set(d->error, -EINVAL, d->file, n->line, n->column,
                                         "'%s' must be %s, got \"%.*s%s\"", key, what,
                                         (int) MIN(n->len, (size_t) 64), n->value, n->len > 64 ? "…" : "");
        }
        return compose_error_set(d->error, -EINVAL, d->file, n->line, n->column, "'%s' must be %s, got %s", key,
                                 what, yaml_node_kind(n));
}

static int visit(Dec *d, const YamlNode *n) {
        if (++d->visits > COMPOSE_NODES_MAX)
                return compose_error_set(d->error, -E2BIG, d->file, n->line, n->column,
                                         "too many YAML nodes to decode (aliases expand to more than %u)",
                                         COMPOSE_NODES_MAX);
        return 0;
}

static int dec_string(Dec *d, const YamlNode *n, const char *key, char **dst) {
        int r = visit(d, n);
        if (r < 0)
                return r;
        if (n->type != YAML_NODE_SCALAR)
                return type_error(d, n, key, "a string");
        if (n->is_null)
                return free_and_strdup(dst, NULL);
        return free_and_strdup(dst, n->value);
}

static bool parse_yaml_int(const char *s, bool plain, long long *ret) {
        _cleanup_free_ char *clean = NULL;
        const char *t = s;
        char *end, *o;
        int base = 10;
        bool neg = false;
        long long v;

        clean = malloc(strlen(s) + 1);
        if (!clean)
                return false;
        /* YAML 1.1 allows '_' separators in numbers; yaml.v3 accepts them for ints. */
        o = clean;
        for (; *t; t++)
                if (*t != '_' || !plain)
                        *o++ = *t;
        *o = 0;
        t = clean;
        if (*t == '+' || *t == '-') {
                neg = *t == '-';
                t++;
        }
        if (t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) {
                base = 16;
                t += 2;
        } else if (t[0] == '0' && (t[1] == 'o' || t[1] == 'O')) {
                base = 8;
                t += 2;
        } else if (t[0] == '0' && (t[1] == 'b' || t[1] == 'B')) {
                base = 2;
                t += 2;
        }
        if (!*t || !isalnum((unsigned char) *t))
                return false;
        errno = 0;
        v = strtoll(t, &end, base);
        if (errno != 0)
                return false;
        if (*end) {
                /* an integral float such as 5.0 or 1e3 decodes into an int in yaml.v3 */
                double f;
                char *fend;
                if (base != 10)
                        return false;
                f = strtod(clean, &fend);
                if (*fend || f != (double) (long long) f || f > 1e15 || f < -1e15)
                        return false;
                *ret = (long long) f;
                return true;
        }
        *ret = neg ? -v : v;
        return true;
}

static int dec_int(Dec *d, const YamlNode *n, const char *key, int *dst) {
        long long v;
        int r = visit(d, n);
        if (r < 0)
                return r;
        if (n->type != YAML_NODE_SCALAR)
                return type_error(d, n, key, "an integer");
        if (n->is_null) {
                *dst = 0;
                return 0;
        }
        if (!parse_yaml_int(n->value, n->plain, &v))
                return type_error(d, n, key, "an integer");
        if (v < INT_MIN || v > INT_MAX)
                return compose_error_set(d->error, -EINVAL, d->file, n->line, n->column,
                                         "'%s' is out of range: %s", key, n->value);
        *dst = (int) v;
        return 0;
}

static int dec_bool(Dec *d, const YamlNode *n, const char *key, bool *dst) {
        static const char * const yes[] = { "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON", "y", "Y" };
        static const char * const no[] = { "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF", "n", "N" };
        int r = visit(d, n);
        if (r < 0)
                return r;
        if (n->type != YAML_NODE_SCALAR)
                return type_error(d, n, key, "a boolean");
        if (n->is_null) {
                *dst = false;
                return 0;
        }
        for (size_t i = 0; i < ELEMENTSOF(yes); i++)
                if (streq(n->value, yes[i])) {
                        *dst = true;
                        return 0;
                }
        for (size_t i = 0; i < ELEMENTSOF(no); i++)
                if (streq(n->value, no[i])) {
                        *dst = false;
                        return 0;
                }
        return type_error(d, n, key, "a boolean");
}

static int dec_strv(Dec *d, const YamlNode *n, const char *key, char ***dst) {
        _cleanup_strv_free_ char **l = NULL;
        int r = visit(d, n);
        if (r < 0)
                return r;
        if (n->type == YAML_NODE_SCALAR && n->is_null) {
                *dst = strv_free(*dst);
                return 0;
        }
        if (n->type != YAML_NODE_SEQ)
                return type_error(d, n, key, "a list of strings");
        l = new0(char *, n->n + 1);
        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < n->n; i++) {
                const YamlNode *v = n->values[i];
                r = visit(d, v);
                if (r < 0)
                        return r;
                if (v->type != YAML_NODE_SCALAR)
                        return type_error(d, v, key, "a list of strings");
                l[i] = strdup(v->is_null ? "" : v->value);
                if (!l[i])
                        return -ENOMEM;
        }
        strv_free(*dst);
        *dst = TAKE_PTR(l);
        return 0;
}

/* Environment lists: "K=V" strings. process-compose does not accept the map form. */
static int dec_env(Dec *d, const YamlNode *n, const char *key, char ***dst) {
        if (n->type == YAML_NODE_MAP)
                return compose_error_set(d->error, -EINVAL, d->file, n->line, n->column,
                                         "'%s' must be a list of \"KEY=VALUE\" strings, got a mapping", key);
        return dec_strv(d, n, key, dst);
}

static int check_map(Dec *d, const YamlNode *n, const char *key) {
        int r = visit(d, n);
        if (r < 0)
                return r;
        if (n->type != YAML_NODE_MAP)
                return type_error(d, n, key, "a mapping");
        return 0;
}

static bool is_null(const YamlNode *n) {
        return n->type == YAML_NODE_SCALAR && n->is_null;
}

/* A node as JSON (for mcp/mcp_server/non-scalar vars, which pcctl keeps only to show them). */
static cJSON *node_to_json(Dec *d, const YamlNode *n, unsigned depth) {
        cJSON *j;

        if (depth > COMPOSE_DEPTH_MAX || visit(d, n) < 0)
                return NULL;
        switch (n->type) {
        case YAML_NODE_SCALAR: {
                long long v;
                if (n->is_null)
                        return cJSON_CreateNull();
                if (n->plain && parse_yaml_int(n->value, true, &v))
                        return cJSON_CreateNumber((double) v);
                if (n->plain && (streq(n->value, "true") || streq(n->value, "false")))
                        return cJSON_CreateBool(streq(n->value, "true"));
                return cJSON_CreateString(n->value);
        }
        case YAML_NODE_SEQ:
                j = cJSON_CreateArray();
                for (size_t i = 0; j && i < n->n; i++) {
                        cJSON *c = node_to_json(d, n->values[i], depth + 1);
                        if (!c) {
                                cJSON_Delete(j);
                                return NULL;
                        }
                        cJSON_AddItemToArray(j, c);
                }
                return j;
        default:
                j = cJSON_CreateObject();
                for (size_t i = 0; j && i < n->n; i++) {
                        cJSON *c = node_to_json(d, n->values[i], depth + 1);
                        if (!c) {
                                cJSON_Delete(j);
                                return NULL;
                        }
                        cJSON_AddItemToObject(j, strempty(n->keys[i]->value), c);
                }
                return j;
        }
}

static int dec_json_text(Dec *d, const YamlNode *n, char **dst) {
        cJSON *j = node_to_json(d, n, 0);
        char *s;

        if (!j)
                return d->error && d->error->message ? -E2BIG : -ENOMEM;
        s = cJSON_PrintUnformatted(j);
        cJSON_Delete(j);
        if (!s)
                return -ENOMEM;
        free(*dst);
        *dst = s;
        return 0;
}

static int dec_vars(Dec *d, const YamlNode *n, ComposeKV **vars, size_t *n_vars) {
        int r = check_map(d, n, "vars");
        if (r < 0)
                return r;
        for (size_t i = 0; i < n->n; i++) {
                const YamlNode *v = n->values[i];
                r = visit(d, v);
                if (r < 0)
                        return r;
                if (v->type == YAML_NODE_SCALAR) {
                        bool literal = v->plain && !v->is_null;
                        long long dummy;
                        /* literal: shown unquoted in JSON (numbers and booleans) */
                        literal = literal && (parse_yaml_int(v->value, true, &dummy) || streq(v->value, "true") ||
                                              streq(v->value, "false"));
                        r = compose_kv_set(vars, n_vars, n->keys[i]->value, v->is_null ? "<no value>" : v->value,
                                           literal);
                } else {
                        _cleanup_free_ char *t = NULL;
                        r = dec_json_text(d, v, &t);
                        if (r < 0)
                                return r;
                        r = compose_kv_set(vars, n_vars, n->keys[i]->value, t, true);
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

static int dec_string_map(Dec *d, const YamlNode *n, const char *key, ComposeKV **kv, size_t *n_kv) {
        int r = check_map(d, n, key);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n->n; i++) {
                _cleanup_free_ char *v = NULL;
                r = dec_string(d, n->values[i], n->keys[i]->value, &v);
                if (r < 0)
                        return r;
                r = compose_kv_set(kv, n_kv, n->keys[i]->value, v, false);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int dec_log_config(Dec *d, const YamlNode *n, ComposeLogConfig **dst) {
        int r;

        if (is_null(n))
                return 0;
        r = check_map(d, n, "log_configuration");
        if (r < 0)
                return r;
        if (!*dst) {
                *dst = new0(ComposeLogConfig, 1);
                if (!*dst)
                        return -ENOMEM;
        }
        for (size_t i = 0; i < n->n; i++) {
                const char *k = n->keys[i]->value;
                const YamlNode *v = n->values[i];
                ComposeLogConfig *c = *dst;

                if (streq(k, "rotation")) {
                        if (is_null(v))
                                continue;
                        r = check_map(d, v, k);
                        if (r < 0)
                                return r;
                        if (!c->rotation) {
                                c->rotation = new0(ComposeLogRotation, 1);
                                if (!c->rotation)
                                        return -ENOMEM;
                        }
                        for (size_t j = 0; j < v->n; j++) {
                                const char *rk = v->keys[j]->value;
                                const YamlNode *rv = v->values[j];
                                if (streq(rk, "max_size_mb"))
                                        r = dec_int(d, rv, rk, &c->rotation->max_size_mb);
                                else if (streq(rk, "max_backups"))
                                        r = dec_int(d, rv, rk, &c->rotation->max_backups);
                                else if (streq(rk, "max_age_days"))
                                        r = dec_int(d, rv, rk, &c->rotation->max_age_days);
                                else if (streq(rk, "compress"))
                                        r = dec_bool(d, rv, rk, &c->rotation->compress);
                                else if (streq(rk, "directory"))
                                        r = dec_string(d, rv, rk, &c->rotation->directory);
                                else if (streq(rk, "filename"))
                                        r = dec_string(d, rv, rk, &c->rotation->filename);
                                else
                                        r = 0;
                                if (r < 0)
                                        return r;
                        }
                        continue;
                }
                if (streq(k, "fields_order"))
                        r = dec_strv(d, v, k, &c->fields_order);
                else if (streq(k, "disable_json"))
                        r = dec_bool(d, v, k, &c->disable_json);
                else if (streq(k, "timestamp_format"))
                        r = dec_string(d, v, k, &c->timestamp_format);
                else if (streq(k, "no_color"))
                        r = dec_bool(d, v, k, &c->no_color);
                else if (streq(k, "no_metadata"))
                        r = dec_bool(d, v, k, &c->no_metadata);
                else if (streq(k, "add_timestamp"))
                        r = dec_bool(d, v, k, &c->add_timestamp);
                else if (streq(k, "flush_each_line"))
                        r = dec_bool(d, v, k, &c->flush_each_line);
                else
                        r = 0;
                if (r < 0)
                        return r;
        }
        return 0;
}

static int dec_probe(Dec *d, const YamlNode *n, const char *key, ComposeProbe **dst) {
        ComposeProbe *p;
        int r;

        if (is_null(n))
                return 0;
        r = check_map(d, n, key);
        if (r < 0)
                return r;
        if (!*dst) {
                *dst = new0(ComposeProbe, 1);
                if (!*dst)
                        return -ENOMEM;
        }
        p = *dst;
        for (size_t i = 0; i < n->n; i++) {
                const char *k = n->keys[i]->value;
                const YamlNode *v = n->values[i];

                if (streq(k, "exec")) {
                        if (is_null(v))
                                continue;
                        r = check_map(d, v, k);
                        if (r < 0)
                                return r;
                        if (!p->exec) {
                                p->exec = new0(ComposeProbeExec, 1);
                                if (!p->exec)
                                        return -ENOMEM;
                        }
                        for (size_t j = 0; j < v->n; j++) {
                                const char *ek = v->keys[j]->value;
                                if (streq(ek, "command"))
                                        r = dec_string(d, v->values[j], ek, &p->exec->command);
                                else if (streq(ek, "working_dir"))
                                        r = dec_string(d, v->values[j], ek, &p->exec->working_dir);
                                else
                                        r = 0;
                                if (r < 0)
                                        return r;
                        }
                } else if (streq(k, "http_get")) {
                        if (is_null(v))
                                continue;
                        r = check_map(d, v, k);
                        if (r < 0)
                                return r;
                        if (!p->http_get) {
                                p->http_get = new0(ComposeProbeHttp, 1);
                                if (!p->http_get)
                                        return -ENOMEM;
                        }
                        for (size_t j = 0; j < v->n; j++) {
                                const char *hk = v->keys[j]->value;
                                const YamlNode *hv = v->values[j];
                                if (streq(hk, "host"))
                                        r = dec_string(d, hv, hk, &p->http_get->host);
                                else if (streq(hk, "scheme"))
                                        r = dec_string(d, hv, hk, &p->http_get->scheme);
                                else if (streq(hk, "path"))
                                        r = dec_string(d, hv, hk, &p->http_get->path);
                                else if (streq(hk, "port"))
                                        r = dec_string(d, hv, hk, &p->http_get->port);
                                else if (streq(hk, "num_port"))
                                        r = dec_int(d, hv, hk, &p->http_get->num_port);
                                else if (streq(hk, "status_code"))
                                        r = dec_int(d, hv, hk, &p->http_get->status_code);
                                else if (streq(hk, "headers"))
                                        r = is_null(hv) ? 0 : dec_string_map(d, hv, hk, &p->http_get->headers,
                                                                             &p->http_get->n_headers);
                                else
                                        r = 0;
                                if (r < 0)
                                        return r;
                        }
                } else if (streq(k, "initial_delay_seconds"))
                        r = dec_int(d, v, k, &p->initial_delay_seconds);
                else if (streq(k, "period_seconds"))
                        r = dec_int(d, v, k, &p->period_seconds);
                else if (streq(k, "timeout_seconds"))
                        r = dec_int(d, v, k, &p->timeout_seconds);
                else if (streq(k, "success_threshold"))
                        r = dec_int(d, v, k, &p->success_threshold);
                else if (streq(k, "failure_threshold"))
                        r = dec_int(d, v, k, &p->failure_threshold);
                else
                        r = 0;
                if (r < 0)
                        return r;
        }
        return 0;
}

static int dec_depends_on(Dec *d, const YamlNode *n, ComposeProcess *p) {
        int r;

        if (is_null(n))
                return 0;
        r = check_map(d, n, "depends_on");
        if (r < 0)
                return r;
        for (size_t i = 0; i < n->n; i++) {
                const YamlNode *k = n->keys[i], *v = n->values[i];
                ComposeCondition c = COMPOSE_CONDITION_PROCESS_COMPLETED;
                ComposeDependency *nd;
                size_t slot = p->n_depends_on;

                r = visit(d, v);
                if (r < 0)
                        return r;
                if (!is_null(v)) {
                        const YamlNode *cn;
                        r = check_map(d, v, k->value);
                        if (r < 0)
                                return r;
                        cn = yaml_map_get(v, "condition");
                        if (cn && !is_null(cn)) {
                                if (cn->type != YAML_NODE_SCALAR)
                                        return type_error(d, cn, "condition", "a string");
                                c = compose_condition_from_string(cn->value);
                                if (c < 0)
                                        return compose_error_set(d->error, -EINVAL, d->file, cn->line, cn->column,
                                                                 "invalid process dependency condition: \"%s\"",
                                                                 cn->value);
                        }
                }
                for (size_t j = 0; j < p->n_depends_on; j++)
                        if (streq(p->depends_on[j].name, k->value))
                                slot = j;
                if (slot == p->n_depends_on) {
                        nd = realloc(p->depends_on, sizeof(ComposeDependency) * (p->n_depends_on + 1));
                        if (!nd)
                                return -ENOMEM;
                        p->depends_on = nd;
                        nd[slot] = (ComposeDependency) { .name = strdup(k->value) };
                        p->n_depends_on++;
                        if (!nd[slot].name)
                                return -ENOMEM;
                }
                p->depends_on[slot].condition = c;
                compose_pos_done(&p->depends_on[slot].pos);
                p->depends_on[slot].pos = (ComposePos) { .file = strdup(d->file), .line = k->line, .column = k->column };
                if (!p->depends_on[slot].pos.file)
                        return -ENOMEM;
        }
        return 0;
}

static int dec_schedule(Dec *d, const YamlNode *n, ComposeSchedule **dst) {
        int r;

        if (is_null(n))
                return 0;
        r = check_map(d, n, "schedule");
        if (r < 0)
                return r;
        if (!*dst) {
                *dst = new0(ComposeSchedule, 1);
                if (!*dst)
                        return -ENOMEM;
        }
        for (size_t i = 0; i < n->n; i++) {
                const char *k = n->keys[i]->value;
                const YamlNode *v = n->values[i];
                if (streq(k, "cron"))
                        r = dec_string(d, v, k, &(*dst)->cron);
                else if (streq(k, "timezone"))
                        r = dec_string(d, v, k, &(*dst)->timezone);
                else if (streq(k, "interval")) {
                        int64_t ns;
                        r = dec_string(d, v, k, &(*dst)->interval);
                        if (r >= 0 && !isempty((*dst)->interval)) {
                                if (parse_go_duration((*dst)->interval, &ns) < 0 || ns < 0)
                                        return compose_error_set(d->error, -EINVAL, d->file, v->line, v->column,
                                                                 "'interval' must be a duration such as \"30s\" or \"1h30m\", got \"%s\"",
                                                                 (*dst)->interval);
                                (*dst)->interval_usec = (usec_t) ns / 1000;
                        }
                } else if (streq(k, "run_on_start"))
                        r = dec_bool(d, v, k, &(*dst)->run_on_start);
                else if (streq(k, "max_concurrent"))
                        r = dec_int(d, v, k, &(*dst)->max_concurrent);
                else
                        r = 0;
                if (r < 0)
                        return r;
        }
        return 0;
}

static int dec_watch(Dec *d, const YamlNode *n, ComposeWatch **dst) {
        int r;

        if (is_null(n))
                return 0;
        r = check_map(d, n, "watch");
        if (r < 0)
                return r;
        if (!*dst) {
                *dst = new0(ComposeWatch, 1);
                if (!*dst)
                        return -ENOMEM;
        }
        for (size_t i = 0; i < n->n; i++) {
                const char *k = n->keys[i]->value;
                const YamlNode *v = n->values[i];
                ComposeWatch *w = *dst;

                if (streq(k, "paths")) {
                        if (is_null(v))
                                continue;
                        r = visit(d, v);
                        if (r < 0)
                                return r;
                        if (v->type != YAML_NODE_SEQ)
                                return type_error(d, v, k, "a list");
                        for (size_t j = 0; j < w->n_paths; j++) {
                                free(w->paths[j].path);
                                strv_free(w->paths[j].include);
                                strv_free(w->paths[j].exclude);
                        }
                        free(w->paths);
                        w->paths = new0(ComposeWatchPath, v->n ?: 1);
                        w->n_paths = 0;
                        if (!w->paths)
                                return -ENOMEM;
                        for (size_t j = 0; j < v->n; j++) {
                                const YamlNode *pn = v->values[j];
                                ComposeWatchPath *wp = &w->paths[w->n_paths++];
                                r = check_map(d, pn, "paths");
                                if (r < 0)
                                        return r;
                                for (size_t q = 0; q < pn->n; q++) {
                                        const char *pk = pn->keys[q]->value;
                                        if (streq(pk, "path"))
                                                r = dec_string(d, pn->values[q], pk, &wp->path);
                                        else if (streq(pk, "include"))
                                                r = dec_strv(d, pn->values[q], pk, &wp->include);
                                        else if (streq(pk, "exclude"))
                                                r = dec_strv(d, pn->values[q], pk, &wp->exclude);
                                        else
                                                r = 0;
                                        if (r < 0)
                                                return r;
                                }
                        }
                        continue;
                }
                if (streq(k, "debounce"))
                        r = dec_string(d, v, k, &w->debounce);
                else if (streq(k, "cascade"))
                        r = dec_bool(d, v, k, &w->cascade);
                else if (streq(k, "max_entries"))
                        r = dec_int(d, v, k, &w->max_entries);
                else if (streq(k, "buffer_size"))
                        r = dec_int(d, v, k, &w->buffer_size);
                else if (streq(k, "disable_default_excludes"))
                        r = dec_bool(d, v, k, &w->disable_default_excludes);
                else
                        r = 0;
                if (r < 0)
                        return r;
        }
        return 0;
}

static int dec_x_systemd(Dec *d, const YamlNode *n, ComposeProcess *p) {
        int r;

        if (is_null(n))
                return 0;
        r = check_map(d, n, "x-systemd");
        if (r < 0)
                return r;
        for (size_t i = 0; i < n->n; i++) {
                const YamlNode *k = n->keys[i], *v = n->values[i];
                ComposeXProp *nx;

                r = visit(d, v);
                if (r < 0)
                        return r;
                if (v->type != YAML_NODE_SCALAR)
                        return compose_error_set(d->error, -EINVAL, d->file, v->line, v->column,
                                                 "x-systemd property '%s' must be a scalar (unit-file syntax), got %s",
                                                 k->value, yaml_node_kind(v));
                if (p->n_x_systemd >= 256)
                        return compose_error_set(d->error, -E2BIG, d->file, k->line, k->column,
                                                 "too many x-systemd properties (limit 256)");
                nx = realloc(p->x_systemd, sizeof(ComposeXProp) * (p->n_x_systemd + 1));
                if (!nx)
                        return -ENOMEM;
                p->x_systemd = nx;
                nx[p->n_x_systemd] = (ComposeXProp) {
                        .key = strdup(k->value),
                        .value = strdup(v->is_null ? "" : v->value),
                        .file = strdup(d->file),
                        .line = v->line,
                        .column = v->column,
                };
                p->n_x_systemd++;
                if (!nx[p->n_x_systemd - 1].key || !nx[p->n_x_systemd - 1].value || !nx[p->n_x_systemd - 1].file)
                        return -ENOMEM;
        }
        return 0;
}

static int set_pos(Dec *d, ComposePos *pos, const YamlNode *n) {
        compose_pos_done(pos);
        *pos = (ComposePos) { .file = strdup(d->file), .line = n->line, .column = n->column };
        return pos->file ? 0 : -ENOMEM;
}

static int dec_process(Dec *d, const YamlNode *key, const YamlNode *n, ComposeProcess **ret) {
        _cleanup_(compose_process_freep) ComposeProcess *p = NULL;
        int r;

        p = new0(ComposeProcess, 1);
        if (!p)
                return -ENOMEM;
        p->name = strdup(key->value);
        p->base_name = strdup(key->value);
        if (!p->name || !p->base_name)
                return -ENOMEM;
        r = set_pos(d, &p->pos, key);
        if (r < 0)
                return r;

        if (is_null(n)) {
                *ret = TAKE_PTR(p);
                return 0;
        }
        r = check_map(d, n, key->value);
        if (r < 0)
                return r;

        for (size_t i = 0; i < n->n; i++) {
                const char *k = n->keys[i]->value;
                const YamlNode *v = n->values[i];

                if (streq(k, "command"))
                        r = dec_string(d, v, k, &p->command);
                else if (streq(k, "entrypoint"))
                        r = dec_strv(d, v, k, &p->entrypoint);
                else if (streq(k, "working_dir")) {
                        r = dec_string(d, v, k, &p->working_dir);
                        if (r >= 0)
                                r = set_pos(d, &p->pos_working_dir, v);
                } else if (streq(k, "environment"))
                        r = dec_env(d, v, k, &p->environment);
                else if (streq(k, "env_file")) {
                        r = dec_string(d, v, k, &p->env_file);
                        if (r >= 0)
                                r = set_pos(d, &p->pos_env_file, v);
                } else if (streq(k, "is_dotenv_disabled"))
                        r = dec_bool(d, v, k, &p->is_dotenv_disabled);
                else if (streq(k, "depends_on"))
                        r = dec_depends_on(d, v, p);
                else if (streq(k, "availability")) {
                        if (is_null(v))
                                continue;
                        r = check_map(d, v, k);
                        for (size_t j = 0; r >= 0 && j < v->n; j++) {
                                const char *ak = v->keys[j]->value;
                                const YamlNode *av = v->values[j];
                                if (streq(ak, "restart")) {
                                        ComposeRestart rp;
                                        r = visit(d, av);
                                        if (r < 0)
                                                break;
                                        if (av->type != YAML_NODE_SCALAR) {
                                                r = type_error(d, av, ak, "a string");
                                                break;
                                        }
                                        rp = compose_restart_from_string(av->is_null ? "" : av->value);
                                        if (rp < 0) {
                                                r = compose_error_set(d->error, -EINVAL, d->file, av->line, av->column,
                                                                      "invalid restart policy: \"%s\"",
                                                                      av->is_null ? "" : av->value);
                                                break;
                                        }
                                        p->availability.restart = rp;
                                } else if (streq(ak, "backoff_seconds"))
                                        r = dec_int(d, av, ak, &p->availability.backoff_seconds);
                                else if (streq(ak, "max_restarts"))
                                        r = dec_int(d, av, ak, &p->availability.max_restarts);
                                else if (streq(ak, "exit_on_end"))
                                        r = dec_bool(d, av, ak, &p->availability.exit_on_end);
                                else if (streq(ak, "exit_on_skipped"))
                                        r = dec_bool(d, av, ak, &p->availability.exit_on_skipped);
                        }
                } else if (streq(k, "readiness_probe"))
                        r = dec_probe(d, v, k, &p->readiness_probe);
                else if (streq(k, "liveness_probe"))
                        r = dec_probe(d, v, k, &p->liveness_probe);
                else if (streq(k, "ready_log_line"))
                        r = dec_string(d, v, k, &p->ready_log_line);
                else if (streq(k, "shutdown")) {
                        if (is_null(v))
                                continue;
                        r = check_map(d, v, k);
                        for (size_t j = 0; r >= 0 && j < v->n; j++) {
                                const char *sk = v->keys[j]->value;
                                const YamlNode *sv = v->values[j];
                                if (streq(sk, "command"))
                                        r = dec_string(d, sv, sk, &p->shutdown.command);
                                else if (streq(sk, "signal"))
                                        r = dec_int(d, sv, sk, &p->shutdown.signal);
                                else if (streq(sk, "timeout_seconds"))
                                        r = dec_int(d, sv, sk, &p->shutdown.timeout_seconds);
                                else if (streq(sk, "parent_only"))
                                        r = dec_bool(d, sv, sk, &p->shutdown.parent_only);
                                else if (streq(sk, "send_keys"))
                                        r = dec_string(d, sv, sk, &p->shutdown.send_keys);
                        }
                } else if (streq(k, "replicas"))
                        r = dec_int(d, v, k, &p->replicas);
                else if (streq(k, "namespace")) {
                        r = visit(d, v);
                        if (r < 0)
                                return r;
                        if (v->type == YAML_NODE_SCALAR) {
                                p->namespaces = strv_free(p->namespaces);
                                if (!v->is_null && v->len > 0)
                                        r = strv_extend(&p->namespaces, v->value);
                        } else if (v->type == YAML_NODE_SEQ)
                                r = dec_strv(d, v, k, &p->namespaces);
                        else
                                r = type_error(d, v, k, "a string or a list of strings");
                } else if (streq(k, "disabled"))
                        r = dec_bool(d, v, k, &p->disabled);
                else if (streq(k, "is_disabled")) {
                        r = dec_string(d, v, k, &p->is_disabled);
                } else if (streq(k, "is_daemon"))
                        r = dec_bool(d, v, k, &p->is_daemon);
                else if (streq(k, "launch_timeout_seconds"))
                        r = dec_int(d, v, k, &p->launch_timeout_seconds);
                else if (streq(k, "is_foreground"))
                        r = dec_bool(d, v, k, &p->is_foreground);
                else if (streq(k, "is_tty"))
                        r = dec_bool(d, v, k, &p->is_tty);
                else if (streq(k, "is_interactive"))
                        r = dec_bool(d, v, k, &p->is_interactive);
                else if (streq(k, "is_elevated"))
                        r = dec_bool(d, v, k, &p->is_elevated);
                else if (streq(k, "is_template_disabled"))
                        r = dec_bool(d, v, k, &p->is_template_disabled);
                else if (streq(k, "truncate_log"))
                        r = dec_bool(d, v, k, &p->truncate_log);
                else if (streq(k, "description"))
                        r = dec_string(d, v, k, &p->description);
                else if (streq(k, "log_location")) {
                        r = dec_string(d, v, k, &p->log_location);
                        if (r >= 0)
                                r = set_pos(d, &p->pos_log_location, v);
                } else if (streq(k, "log_configuration"))
                        r = dec_log_config(d, v, &p->log_configuration);
                else if (streq(k, "vars"))
                        r = is_null(v) ? 0 : dec_vars(d, v, &p->vars, &p->n_vars);
                else if (streq(k, "extends"))
                        r = dec_string(d, v, k, &p->extends);
                else if (streq(k, "success_exit_codes")) {
                        r = visit(d, v);
                        if (r < 0)
                                return r;
                        if (is_null(v))
                                continue;
                        if (v->type != YAML_NODE_SEQ)
                                return type_error(d, v, k, "a list of integers");
                        free(p->success_exit_codes);
                        p->success_exit_codes = new0(int, v->n ?: 1);
                        p->n_success_exit_codes = 0;
                        if (!p->success_exit_codes)
                                return -ENOMEM;
                        for (size_t j = 0; j < v->n; j++) {
                                r = dec_int(d, v->values[j], k, &p->success_exit_codes[j]);
                                if (r < 0)
                                        return r;
                                p->n_success_exit_codes++;
                        }
                } else if (streq(k, "schedule"))
                        r = dec_schedule(d, v, &p->schedule);
                else if (streq(k, "watch"))
                        r = dec_watch(d, v, &p->watch);
                else if (streq(k, "x-systemd"))
                        r = dec_x_systemd(d, v, p);
                else if (startswith(k, "x-"))
                        r = 0;
                else if (streq(k, "disable_ansi_colors")) {
                        r = dec_bool(d, v, k, &p->disable_ansi_colors);
                        if (r >= 0)
                                r = compose_project_add_note(d->project,
                                                             "%s:%u:%u: '%s' only affects process-compose's terminal UI; pcctl accepts and ignores it",
                                                             d->file, n->keys[i]->line, n->keys[i]->column, k);
                } else if (streq(k, "monitor_for")) {
                        r = dec_string(d, v, k, &p->monitor_for);
                        if (r >= 0 && p->monitor_for && !streq(p->monitor_for, "") &&
                            !streq(p->monitor_for, "none") && !streq(p->monitor_for, "activity") &&
                            !streq(p->monitor_for, "silence"))
                                return compose_error_set(d->error, -EINVAL, d->file, v->line, v->column,
                                                         "invalid monitor_for value: \"%s\"", p->monitor_for);
                        if (r >= 0)
                                r = compose_project_add_note(d->project,
                                                             "%s:%u:%u: '%s' only affects process-compose's terminal UI; pcctl accepts and ignores it",
                                                             d->file, n->keys[i]->line, n->keys[i]->column, k);
                } else if (streq(k, "monitor_silence_threshold")) {
                        r = dec_string(d, v, k, &p->monitor_silence_threshold);
                        if (r >= 0)
                                r = compose_project_add_note(d->project,
                                                             "%s:%u:%u: '%s' only affects process-compose's terminal UI; pcctl accepts and ignores it",
                                                             d->file, n->keys[i]->line, n->keys[i]->column, k);
                } else if (streq(k, "mcp")) {
                        if (is_null(v))
                                continue;
                        r = dec_json_text(d, v, &p->mcp);
                        if (r >= 0)
                                r = compose_project_add_note(d->project,
                                                             "%s:%u:%u: 'mcp' (MCP tools) is not supported by pcctl; the process is kept disabled as in process-compose",
                                                             d->file, n->keys[i]->line, n->keys[i]->column);
                } else if (streq(k, "name") || streq(k, "replica_num") || streq(k, "replica_name") ||
                           streq(k, "original_config") || streq(k, "args") || streq(k, "executable"))
                        /* computed by the loader; process-compose parses and then overwrites them */
                        r = visit(d, v);
                else
                        r = compose_findings_add(d->findings, d->file, n->keys[i]->line, n->keys[i]->column,
                                                 "unknown key '%s' found in process '%s'", k, key->value);
                if (r < 0)
                        return r;
        }

        *ret = TAKE_PTR(p);
        return 0;
}

int compose_decode_project(const YamlDoc *doc, const char *file, ComposeProject **ret, ComposeFindings *findings,
                           ComposeError *ret_error) {
        _cleanup_(compose_project_freep) ComposeProject *p = NULL;
        const YamlNode *root = doc->root;
        Dec d = { .file = file, .error = ret_error, .findings = findings };
        int r;

        p = new0(ComposeProject, 1);
        if (!p)
                return -ENOMEM;
        d.project = p;

        if (!root || is_null(root)) {
                *ret = TAKE_PTR(p);
                return 0;
        }
        if (root->type != YAML_NODE_MAP)
                return compose_error_set(ret_error, -EINVAL, file, root->line, root->column,
                                         "the project must be a mapping, got %s", yaml_node_kind(root));

        for (size_t i = 0; i < root->n; i++) {
                const char *k = root->keys[i]->value;
                const YamlNode *v = root->values[i];

                if (streq(k, "version"))
                        r = dec_string(&d, v, k, &p->version);
                else if (streq(k, "name"))
                        r = dec_string(&d, v, k, &p->name);
                else if (streq(k, "processes")) {
                        if (is_null(v))
                                continue;
                        r = check_map(&d, v, k);
                        if (r < 0)
                                return r;
                        if (v->n > COMPOSE_PROCESSES_MAX)
                                return compose_error_set(ret_error, -E2BIG, file, v->line, v->column,
                                                         "too many processes (%zu, limit %u)", v->n,
                                                         COMPOSE_PROCESSES_MAX);
                        p->processes = new0(ComposeProcess *, v->n ?: 1);
                        if (!p->processes)
                                return -ENOMEM;
                        for (size_t j = 0; j < v->n; j++) {
                                const YamlNode *pk = v->keys[j];
                                if (pk->len == 0)
                                        return compose_error_set(ret_error, -EINVAL, file, pk->line, pk->column,
                                                                 "process names must not be empty");
                                r = dec_process(&d, pk, v->values[j], &p->processes[p->n_processes]);
                                if (r < 0)
                                        return r;
                                p->n_processes++;
                        }
                        r = 0;
                } else if (streq(k, "environment"))
                        r = dec_env(&d, v, k, &p->environment);
                else if (streq(k, "log_location"))
                        r = dec_string(&d, v, k, &p->log_location);
                else if (streq(k, "log_level"))
                        r = dec_string(&d, v, k, &p->log_level);
                else if (streq(k, "log_length"))
                        r = dec_int(&d, v, k, &p->log_length);
                else if (streq(k, "log_configuration"))
                        r = dec_log_config(&d, v, &p->log_configuration);
                else if (streq(k, "log_format"))
                        r = dec_string(&d, v, k, &p->log_format);
                else if (streq(k, "shell")) {
                        if (is_null(v))
                                continue;
                        r = check_map(&d, v, k);
                        for (size_t j = 0; r >= 0 && j < v->n; j++) {
                                const char *sk = v->keys[j]->value;
                                const YamlNode *sv = v->values[j];
                                if (streq(sk, "shell_command"))
                                        r = dec_string(&d, sv, sk, &p->shell.shell_command);
                                else if (streq(sk, "shell_argument"))
                                        r = dec_string(&d, sv, sk, &p->shell.shell_argument);
                                else if (streq(sk, "elevated_shell_command"))
                                        r = dec_string(&d, sv, sk, &p->shell.elevated_shell_command);
                                else if (streq(sk, "elevated_shell_argument"))
                                        r = dec_string(&d, sv, sk, &p->shell.elevated_shell_argument);
                        }
                        if (r >= 0 && (isempty(p->shell.shell_command) || isempty(p->shell.shell_argument)))
                                return compose_error_set(ret_error, -EINVAL, file, v->line, v->column,
                                                         "'shell' needs both 'shell_command' and 'shell_argument'");
                } else if (streq(k, "vars"))
                        r = is_null(v) ? 0 : dec_vars(&d, v, &p->vars, &p->n_vars);
                else if (streq(k, "is_strict"))
                        r = dec_bool(&d, v, k, &p->is_strict);
                else if (streq(k, "disable_env_expansion"))
                        r = dec_bool(&d, v, k, &p->disable_env_expansion);
                else if (streq(k, "is_tui_disabled"))
                        r = dec_bool(&d, v, k, &p->is_tui_disabled);
                else if (streq(k, "extends"))
                        r = dec_string(&d, v, k, &p->extends);
                else if (streq(k, "env_cmds"))
                        r = is_null(v) ? 0 : dec_string_map(&d, v, k, &p->env_cmds, &p->n_env_cmds);
                else if (streq(k, "ordered_shutdown"))
                        r = dec_bool(&d, v, k, &p->ordered_shutdown);
                else if (streq(k, "mcp_server")) {
                        if (is_null(v))
                                continue;
                        r = dec_json_text(&d, v, &p->mcp_server);
                        if (r >= 0)
                                r = compose_project_add_note(p, "%s:%u:%u: 'mcp_server' is not supported by pcctl; it is accepted and ignored",
                                                             file, root->keys[i]->line, root->keys[i]->column);
                } else if (streq(k, "file_names") || streq(k, "env_file_names") || streq(k, "dot_env_vars"))
                        r = visit(&d, v);
                else if (startswith(k, "x-"))
                        r = 0;
                else
                        r = compose_findings_add(findings, file, root->keys[i]->line, root->keys[i]->column,
                                                 "Unknown field '%s' in project file", k);
                if (r < 0)
                        return r;
        }

        *ret = TAKE_PTR(p);
        return 0;
}
