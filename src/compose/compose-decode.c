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

#include "compose/compose-table.h"
#include "shared/strv.h"

int compose_decode_type_error(ComposeDecoder *d, const YamlNode *n, const char *key, const char *what) {
        if (n->type == YAML_NODE_SCALAR) {
                /* keep the quoted text short in messages */
                return compose_error_set(d->error, -EINVAL, d->file, n->line, n->column,
                                         "'%s' must be %s, got \"%.*s%s\"", key, what,
                                         (int) MIN(n->len, (size_t) 64), n->value, n->len > 64 ? "…" : "");
        }
        return compose_error_set(d->error, -EINVAL, d->file, n->line, n->column, "'%s' must be %s, got %s", key,
                                 what, yaml_node_kind(n));
}

int compose_decode_visit(ComposeDecoder *d, const YamlNode *n) {
        if (++d->visits > COMPOSE_NODES_MAX)
                return compose_error_set(d->error, -E2BIG, d->file, n->line, n->column,
                                         "too many YAML nodes to decode (aliases expand to more than %u)",
                                         COMPOSE_NODES_MAX);
        return 0;
}

int compose_decode_string(ComposeDecoder *d, const YamlNode *n, const char *key, char **dst) {
        int r = compose_decode_visit(d, n);
        if (r < 0)
                return r;
        if (n->type != YAML_NODE_SCALAR)
                return compose_decode_type_error(d, n, key, "a string");
        if (n->is_null)
                return free_and_strdup(dst, NULL);
        return free_and_strdup(dst, n->value);
}

bool compose_parse_yaml_int(const char *s, bool plain, long long *ret) {
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

int compose_decode_int(ComposeDecoder *d, const YamlNode *n, const char *key, int *dst) {
        long long v;
        int r = compose_decode_visit(d, n);
        if (r < 0)
                return r;
        if (n->type != YAML_NODE_SCALAR)
                return compose_decode_type_error(d, n, key, "an integer");
        if (n->is_null) {
                *dst = 0;
                return 0;
        }
        if (!compose_parse_yaml_int(n->value, n->plain, &v))
                return compose_decode_type_error(d, n, key, "an integer");
        if (v < INT_MIN || v > INT_MAX)
                return compose_error_set(d->error, -EINVAL, d->file, n->line, n->column,
                                         "'%s' is out of range: %s", key, n->value);
        *dst = (int) v;
        return 0;
}

int compose_decode_strv(ComposeDecoder *d, const YamlNode *n, const char *key, char ***dst) {
        _cleanup_strv_free_ char **l = NULL;
        int r = compose_decode_visit(d, n);
        if (r < 0)
                return r;
        if (n->type == YAML_NODE_SCALAR && n->is_null) {
                *dst = strv_free(*dst);
                return 0;
        }
        if (n->type != YAML_NODE_SEQ)
                return compose_decode_type_error(d, n, key, "a list of strings");
        l = new0(char *, n->n + 1);
        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < n->n; i++) {
                const YamlNode *v = n->values[i];
                r = compose_decode_visit(d, v);
                if (r < 0)
                        return r;
                if (v->type != YAML_NODE_SCALAR)
                        return compose_decode_type_error(d, v, key, "a list of strings");
                l[i] = strdup(v->is_null ? "" : v->value);
                if (!l[i])
                        return -ENOMEM;
        }
        strv_free(*dst);
        *dst = TAKE_PTR(l);
        return 0;
}

int compose_decode_check_map(ComposeDecoder *d, const YamlNode *n, const char *key) {
        int r = compose_decode_visit(d, n);
        if (r < 0)
                return r;
        if (n->type != YAML_NODE_MAP)
                return compose_decode_type_error(d, n, key, "a mapping");
        return 0;
}

bool compose_yaml_is_null(const YamlNode *n) {
        return n->type == YAML_NODE_SCALAR && n->is_null;
}

/* A node as JSON (for mcp/mcp_server/non-scalar vars, which pcctl keeps only to show them). */
static cJSON *node_to_json(ComposeDecoder *d, const YamlNode *n, unsigned depth) {
        cJSON *j;

        if (depth > COMPOSE_DEPTH_MAX || compose_decode_visit(d, n) < 0)
                return NULL;
        switch (n->type) {
        case YAML_NODE_SCALAR: {
                long long v;
                if (n->is_null)
                        return cJSON_CreateNull();
                if (n->plain && compose_parse_yaml_int(n->value, true, &v))
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

int compose_decode_json_text(ComposeDecoder *d, const YamlNode *n, char **dst) {
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

int compose_set_pos(ComposeDecoder *d, ComposePos *pos, const YamlNode *n) {
        compose_pos_done(pos);
        *pos = (ComposePos) { .file = strdup(d->file), .line = n->line, .column = n->column };
        return pos->file ? 0 : -ENOMEM;
}

int compose_decode_project(const YamlDoc *doc, const char *file, ComposeProject **ret, ComposeFindings *findings,
                           ComposeError *ret_error) {
        _cleanup_(compose_project_freep) ComposeProject *p = NULL;
        const YamlNode *root = doc->root;
        ComposeDecoder d = { .file = file, .error = ret_error, .findings = findings };
        int r;

        p = new0(ComposeProject, 1);
        if (!p)
                return -ENOMEM;
        d.project = p;

        if (root && !compose_yaml_is_null(root)) {
                if (root->type != YAML_NODE_MAP)
                        return compose_error_set(ret_error, -EINVAL, file, root->line, root->column,
                                                 "the project must be a mapping, got %s", yaml_node_kind(root));
                r = compose_table_decode_yaml(&d, &compose_project_table, root, p);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(p);
        return 0;
}
