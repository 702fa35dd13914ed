/* The callbacks of the process keys that are lists or maps with rules of their own (compose-table.h):
 * depends_on, success_exit_codes and x-systemd. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compose/compose-fields.h"
#include "shared/strv.h"

/* ---- process: depends_on (a map of name → {condition}) ---- */

static int deps_slot(ComposeProcess *p, const char *name, size_t *ret) {
        ComposeDependency *nd;

        for (size_t j = 0; j < p->n_depends_on; j++)
                if (streq(p->depends_on[j].name, name)) {
                        *ret = j;
                        return 0;
                }
        if (p->n_depends_on >= COMPOSE_PROCESSES_MAX)
                return -E2BIG;
        nd = realloc(p->depends_on, sizeof(ComposeDependency) * (p->n_depends_on + 1));
        if (!nd)
                return -ENOMEM;
        p->depends_on = nd;
        nd[p->n_depends_on] = (ComposeDependency) { .name = strdup(name) };
        if (!nd[p->n_depends_on].name)
                return -ENOMEM;
        *ret = p->n_depends_on++;
        return 0;
}

static int deps_decode_yaml(ComposeDecoder *d, const ComposeField *f, const YamlNode *key, const YamlNode *n,
                            void *obj) {
        ComposeProcess *p = obj;
        int r = compose_decode_check_map(d, n, "depends_on");

        if (r < 0)
                return r;
        for (size_t i = 0; i < n->n; i++) {
                const YamlNode *k = n->keys[i], *v = n->values[i];
                ComposeCondition c = COMPOSE_CONDITION_PROCESS_COMPLETED;
                size_t slot;

                r = compose_decode_visit(d, v);
                if (r < 0)
                        return r;
                if (!compose_yaml_is_null(v)) {
                        const YamlNode *cn;
                        r = compose_decode_check_map(d, v, k->value);
                        if (r < 0)
                                return r;
                        cn = yaml_map_get(v, "condition");
                        if (cn && !compose_yaml_is_null(cn)) {
                                if (cn->type != YAML_NODE_SCALAR)
                                        return compose_decode_type_error(d, cn, "condition", "a string");
                                c = compose_condition_from_string(cn->value);
                                if (c < 0)
                                        return compose_error_set(d->error, -EINVAL, d->file, cn->line, cn->column,
                                                                 "invalid process dependency condition: \"%s\"",
                                                                 cn->value);
                        }
                }
                r = deps_slot(p, k->value, &slot);
                if (r < 0)
                        return r;
                p->depends_on[slot].condition = c;
                r = compose_set_pos(d, &p->depends_on[slot].pos, k);
                if (r < 0)
                        return r;
        }
        return 0;
}

static bool deps_encode(const ComposeField *f, const void *obj, cJSON *o) {
        const ComposeProcess *p = obj;
        cJSON *c;

        if (p->n_depends_on == 0)
                return true;
        c = cJSON_AddObjectToObject(o, f->json);
        if (!c)
                return false;
        for (size_t i = 0; i < p->n_depends_on; i++) {
                cJSON *d = cJSON_AddObjectToObject(c, p->depends_on[i].name);
                if (!d || !compose_json_add_int(d, "condition", p->depends_on[i].condition))
                        return false;
        }
        return true;
}

static int deps_decode_json(const ComposeField *f, const cJSON *v, void *obj, char **e) {
        ComposeProcess *p = obj;
        const cJSON *d;
        int r;

        if (!cJSON_IsObject(v))
                return compose_json_error(e, "'%s' must be an object", f->json);
        cJSON_ArrayForEach(d, v) {
                int cond = 0;
                size_t slot;
                if (!cJSON_IsObject(d) && !cJSON_IsNull(d))
                        return compose_json_error(e, "'dependsOn.%s' must be an object", d->string);
                if (cJSON_IsObject(d)) {
                        const cJSON *c = compose_json_get(d, "condition");
                        if (c && (r = compose_json_int(c, "condition", &cond, e)) < 0)
                                return r;
                }
                if (cond < 0 || cond >= _COMPOSE_CONDITION_MAX)
                        return compose_json_error(e, "invalid process condition: %d", cond);
                r = deps_slot(p, d->string, &slot);
                if (r == -E2BIG)
                        return compose_json_error(e, "too many dependencies");
                if (r < 0)
                        return r;
                p->depends_on[slot].condition = cond;
        }
        return 0;
}

static int deps_copy(const ComposeField *f, void *dst, const void *src) {
        const ComposeProcess *s = src;
        ComposeProcess *d = dst;
        return compose_deps_copy(&d->depends_on, &d->n_depends_on, s->depends_on, s->n_depends_on);
}

static void deps_free(const ComposeField *f, void *obj) {
        ComposeProcess *p = obj;
        compose_deps_free(p->depends_on, p->n_depends_on);
        p->depends_on = NULL;
        p->n_depends_on = 0;
}

/* by name: the override's condition and position win, new names are appended */
static int deps_merge(const ComposeField *f, void *base, void *over) {
        ComposeProcess *b = base, *o = over;

        for (size_t i = 0; i < o->n_depends_on; i++) {
                ComposeDependency *od = &o->depends_on[i];
                size_t slot;
                int r = deps_slot(b, od->name, &slot);
                if (r < 0)
                        return r;
                b->depends_on[slot].condition = od->condition;
                compose_pos_done(&b->depends_on[slot].pos);
                b->depends_on[slot].pos = od->pos;
                od->pos = (ComposePos) {};
        }
        return 0;
}

static bool deps_equal(const ComposeField *f, const void *a, const void *b) {
        const ComposeProcess *x = a, *y = b;

        /* a map: by name, in any order */
        if (x->n_depends_on != y->n_depends_on)
                return false;
        for (size_t i = 0; i < x->n_depends_on; i++) {
                bool found = false;
                for (size_t j = 0; j < y->n_depends_on && !found; j++)
                        found = streq(x->depends_on[i].name, y->depends_on[j].name) &&
                                x->depends_on[i].condition == y->depends_on[j].condition;
                if (!found)
                        return false;
        }
        return true;
}

static void deps_emit(const ComposeField *f, const void *obj, ComposeEmitter *m) {
        const ComposeProcess *p = obj;

        if (p->n_depends_on == 0)
                return;
        compose_emit_plain(m, f->yaml);
        compose_emit_begin(m, true);
        for (size_t i = 0; i < p->n_depends_on; i++) {
                compose_emit_plain(m, p->depends_on[i].name);
                compose_emit_begin(m, true);
                compose_emit_plain(m, "condition");
                compose_emit_plain(m, compose_condition_to_string(p->depends_on[i].condition));
                compose_emit_end(m, true);
        }
        compose_emit_end(m, true);
}

const ComposeFieldOps compose_depends_on_ops = {
        .decode_yaml = deps_decode_yaml, .encode_json = deps_encode, .decode_json = deps_decode_json,
        .copy = deps_copy,               .free = deps_free,          .merge = deps_merge,
        .equal = deps_equal,             .emit_yaml = deps_emit,
};

/* ---- process: success_exit_codes (a list of integers, appended on merge) ---- */

static int codes_decode_yaml(ComposeDecoder *d, const ComposeField *f, const YamlNode *key, const YamlNode *n,
                             void *obj) {
        ComposeProcess *p = obj;
        int r = compose_decode_visit(d, n);

        if (r < 0)
                return r;
        if (n->type != YAML_NODE_SEQ)
                return compose_decode_type_error(d, n, key->value, "a list of integers");
        free(p->success_exit_codes);
        p->success_exit_codes = new0(int, n->n ?: 1);
        p->n_success_exit_codes = 0;
        if (!p->success_exit_codes)
                return -ENOMEM;
        for (size_t j = 0; j < n->n; j++) {
                r = compose_decode_int(d, n->values[j], key->value, &p->success_exit_codes[j]);
                if (r < 0)
                        return r;
                p->n_success_exit_codes++;
        }
        return 0;
}

static bool codes_encode(const ComposeField *f, const void *obj, cJSON *o) {
        const ComposeProcess *p = obj;
        cJSON *a;
        if (p->n_success_exit_codes == 0)
                return true;
        a = cJSON_CreateIntArray(p->success_exit_codes, (int) p->n_success_exit_codes);
        if (!a)
                return false;
        cJSON_AddItemToObject(o, f->json, a);
        return true;
}

static int codes_decode_json(const ComposeField *f, const cJSON *v, void *obj, char **e) {
        ComposeProcess *p = obj;
        const cJSON *i;

        if (!cJSON_IsArray(v))
                return compose_json_error(e, "'%s' must be a list of integers", f->json);
        free(p->success_exit_codes);
        p->n_success_exit_codes = 0;
        p->success_exit_codes = new0(int, cJSON_GetArraySize(v) + 1);
        if (!p->success_exit_codes)
                return -ENOMEM;
        cJSON_ArrayForEach(i, v) {
                if (!cJSON_IsNumber(i) || i->valuedouble != floor(i->valuedouble))
                        return compose_json_error(e, "'%s' must be a list of integers", f->json);
                p->success_exit_codes[p->n_success_exit_codes++] = (int) i->valuedouble;
        }
        return 0;
}

static int codes_copy(const ComposeField *f, void *dst, const void *src) {
        const ComposeProcess *s = src;
        ComposeProcess *d = dst;
        if (s->n_success_exit_codes == 0)
                return 0;
        d->success_exit_codes = new(int, s->n_success_exit_codes);
        if (!d->success_exit_codes)
                return -ENOMEM;
        memcpy(d->success_exit_codes, s->success_exit_codes, sizeof(int) * s->n_success_exit_codes);
        d->n_success_exit_codes = s->n_success_exit_codes;
        return 0;
}

static void codes_free(const ComposeField *f, void *obj) {
        ComposeProcess *p = obj;
        p->success_exit_codes = mfree(p->success_exit_codes);
        p->n_success_exit_codes = 0;
}

static int codes_merge(const ComposeField *f, void *base, void *over) {
        ComposeProcess *b = base, *o = over;
        int *n;
        if (o->n_success_exit_codes == 0)
                return 0;
        n = realloc(b->success_exit_codes, sizeof(int) * (b->n_success_exit_codes + o->n_success_exit_codes));
        if (!n)
                return -ENOMEM;
        memcpy(n + b->n_success_exit_codes, o->success_exit_codes, sizeof(int) * o->n_success_exit_codes);
        b->success_exit_codes = n;
        b->n_success_exit_codes += o->n_success_exit_codes;
        return 0;
}

static bool codes_equal(const ComposeField *f, const void *a, const void *b) {
        const ComposeProcess *x = a, *y = b;
        return x->n_success_exit_codes == y->n_success_exit_codes &&
               (x->n_success_exit_codes == 0 ||
                memcmp(x->success_exit_codes, y->success_exit_codes, sizeof(int) * x->n_success_exit_codes) == 0);
}

static void codes_emit(const ComposeField *f, const void *obj, ComposeEmitter *m) {
        const ComposeProcess *p = obj;

        if (p->n_success_exit_codes == 0)
                return;
        compose_emit_plain(m, f->yaml);
        compose_emit_begin(m, false);
        for (size_t i = 0; i < p->n_success_exit_codes; i++)
                compose_emit_int(m, p->success_exit_codes[i]);
        compose_emit_end(m, false);
}

const ComposeFieldOps compose_exit_codes_ops = {
        .decode_yaml = codes_decode_yaml, .encode_json = codes_encode, .decode_json = codes_decode_json,
        .copy = codes_copy,               .free = codes_free,          .merge = codes_merge,
        .equal = codes_equal,             .emit_yaml = codes_emit,
};

/* ---- process: x-systemd (unit properties with their positions; JSON: extensions."x-systemd") ---- */

static int xprop_slot(ComposeProcess *p, const char *key, size_t *ret) {
        ComposeXProp *nx;

        for (size_t j = 0; j < p->n_x_systemd; j++)
                if (streq(p->x_systemd[j].key, key)) {
                        *ret = j;
                        return 0;
                }
        nx = realloc(p->x_systemd, sizeof(ComposeXProp) * (p->n_x_systemd + 1));
        if (!nx)
                return -ENOMEM;
        p->x_systemd = nx;
        nx[p->n_x_systemd] = (ComposeXProp) {};
        *ret = p->n_x_systemd++;
        return 0;
}

static int xprops_decode_yaml(ComposeDecoder *d, const ComposeField *f, const YamlNode *key, const YamlNode *n,
                              void *obj) {
        ComposeProcess *p = obj;
        int r = compose_decode_check_map(d, n, "x-systemd");

        if (r < 0)
                return r;
        for (size_t i = 0; i < n->n; i++) {
                const YamlNode *k = n->keys[i], *v = n->values[i];
                ComposeXProp *x;

                r = compose_decode_visit(d, v);
                if (r < 0)
                        return r;
                if (v->type != YAML_NODE_SCALAR)
                        return compose_error_set(d->error, -EINVAL, d->file, v->line, v->column,
                                                 "x-systemd property '%s' must be a scalar (unit-file syntax), got %s",
                                                 k->value, yaml_node_kind(v));
                if (p->n_x_systemd >= 256)
                        return compose_error_set(d->error, -E2BIG, d->file, k->line, k->column,
                                                 "too many x-systemd properties (limit 256)");
                x = realloc(p->x_systemd, sizeof(ComposeXProp) * (p->n_x_systemd + 1));
                if (!x)
                        return -ENOMEM;
                p->x_systemd = x;
                x += p->n_x_systemd++;
                *x = (ComposeXProp) {
                        .key = strdup(k->value),
                        .value = strdup(v->is_null ? "" : v->value),
                        .file = strdup(d->file),
                        .line = v->line,
                        .column = v->column,
                };
                if (!x->key || !x->value || !x->file)
                        return -ENOMEM;
        }
        return 0;
}

static bool xprops_encode(const ComposeField *f, const void *obj, cJSON *o) {
        const ComposeProcess *p = obj;
        cJSON *ext, *x;

        if (p->n_x_systemd == 0)
                return true;
        ext = cJSON_AddObjectToObject(o, f->json);
        x = ext ? cJSON_AddObjectToObject(ext, "x-systemd") : NULL;
        if (!x)
                return false;
        for (size_t i = 0; i < p->n_x_systemd; i++)
                if (!cJSON_AddStringToObject(x, p->x_systemd[i].key, p->x_systemd[i].value))
                        return false;
        return true;
}

static int xprops_decode_json(const ComposeField *f, const cJSON *v, void *obj, char **e) {
        ComposeProcess *p = obj;
        const cJSON *x, *i;

        if (!cJSON_IsObject(v))
                return 0;
        x = cJSON_GetObjectItemCaseSensitive(v, "x-systemd");
        if (!x || !cJSON_IsObject(x))
                return 0;
        cJSON_ArrayForEach(i, x) {
                ComposeXProp *nx;
                if (!cJSON_IsString(i))
                        return compose_json_error(e, "x-systemd property '%s' must be a string", i->string);
                nx = realloc(p->x_systemd, sizeof(ComposeXProp) * (p->n_x_systemd + 1));
                if (!nx)
                        return -ENOMEM;
                p->x_systemd = nx;
                nx += p->n_x_systemd++;
                *nx = (ComposeXProp) { .key = strdup(i->string), .value = strdup(i->valuestring) };
                if (!nx->key || !nx->value)
                        return -ENOMEM;
        }
        return 0;
}

static int xprops_copy(const ComposeField *f, void *dst, const void *src) {
        const ComposeProcess *s = src;
        ComposeProcess *d = dst;

        if (s->n_x_systemd == 0)
                return 0;
        d->x_systemd = new0(ComposeXProp, s->n_x_systemd);
        if (!d->x_systemd)
                return -ENOMEM;
        d->n_x_systemd = s->n_x_systemd;
        for (size_t i = 0; i < s->n_x_systemd; i++) {
                d->x_systemd[i].line = s->x_systemd[i].line;
                d->x_systemd[i].column = s->x_systemd[i].column;
                if (free_and_strdup(&d->x_systemd[i].key, s->x_systemd[i].key) < 0 ||
                    free_and_strdup(&d->x_systemd[i].value, s->x_systemd[i].value) < 0 ||
                    free_and_strdup(&d->x_systemd[i].file, s->x_systemd[i].file) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static void xprops_free(const ComposeField *f, void *obj) {
        ComposeProcess *p = obj;
        compose_xprops_free(p->x_systemd, p->n_x_systemd);
        p->x_systemd = NULL;
        p->n_x_systemd = 0;
}

/* by key: the override wins, the order of first appearance is kept */
static int xprops_merge(const ComposeField *f, void *base, void *over) {
        ComposeProcess *b = base, *o = over;

        for (size_t i = 0; i < o->n_x_systemd; i++) {
                size_t slot;
                int r = xprop_slot(b, o->x_systemd[i].key, &slot);
                if (r < 0)
                        return r;
                free(b->x_systemd[slot].key);
                free(b->x_systemd[slot].value);
                free(b->x_systemd[slot].file);
                b->x_systemd[slot] = o->x_systemd[i];
                o->x_systemd[i] = (ComposeXProp) {};
        }
        return 0;
}

static bool xprops_equal(const ComposeField *f, const void *a, const void *b) {
        const ComposeProcess *x = a, *y = b;

        /* a map: by key, in any order */
        if (x->n_x_systemd != y->n_x_systemd)
                return false;
        for (size_t i = 0; i < x->n_x_systemd; i++) {
                bool found = false;
                for (size_t j = 0; j < y->n_x_systemd && !found; j++)
                        found = streq(x->x_systemd[i].key, y->x_systemd[j].key) &&
                                streq(x->x_systemd[i].value, y->x_systemd[j].value);
                if (!found)
                        return false;
        }
        return true;
}

static void xprops_emit(const ComposeField *f, const void *obj, ComposeEmitter *m) {
        const ComposeProcess *p = obj;

        if (p->n_x_systemd == 0)
                return;
        compose_emit_plain(m, f->yaml);
        compose_emit_begin(m, true);
        for (size_t i = 0; i < p->n_x_systemd; i++) {
                compose_emit_plain(m, p->x_systemd[i].key);
                compose_emit_str(m, p->x_systemd[i].value);
        }
        compose_emit_end(m, true);
}

const ComposeFieldOps compose_x_systemd_ops = {
        .decode_yaml = xprops_decode_yaml, .encode_json = xprops_encode, .decode_json = xprops_decode_json,
        .copy = xprops_copy,               .free = xprops_free,          .merge = xprops_merge,
        .equal = xprops_equal,             .emit_yaml = xprops_emit,
};
