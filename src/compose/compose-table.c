/* The engine of the compose field table (compose-table.h): every operation on the model, driven by rows. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compose/compose-table.h"
#include "shared/strv.h"

static const ComposeTable *extra_process_rows = NULL;

void compose_table_register_extra_process_rows(const ComposeTable *extra) {
        extra_process_rows = extra;
}

const ComposeTable *compose_table_extra(const ComposeTable *t) {
        return t == &compose_process_table ? extra_process_rows : NULL;
}

static const ComposeField *find_yaml_row(const ComposeTable *t, const char *key) {
        for (size_t i = 0; i < t->n_fields; i++)
                if (t->fields[i].yaml && streq(t->fields[i].yaml, key))
                        return &t->fields[i];
        return NULL;
}

/* ---- YAML ---- */

static int decode_kv(ComposeDecoder *d, const YamlNode *n, const char *key, ComposeKV **kv, size_t *n_kv, bool vars) {
        int r = compose_decode_check_map(d, n, key);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n->n; i++) {
                const YamlNode *v = n->values[i];
                _cleanup_free_ char *t = NULL;

                if (!vars) {
                        r = compose_decode_string(d, v, n->keys[i]->value, &t);
                        if (r >= 0)
                                r = compose_kv_set(kv, n_kv, n->keys[i]->value, t, false);
                } else if (v->type == YAML_NODE_SCALAR) {
                        long long dummy;
                        bool literal;
                        r = compose_decode_visit(d, v);
                        if (r < 0)
                                return r;
                        /* literal: shown unquoted in JSON (numbers and booleans) */
                        literal = v->plain && !v->is_null &&
                                  (compose_parse_yaml_int(v->value, true, &dummy) || streq(v->value, "true") ||
                                   streq(v->value, "false"));
                        r = compose_kv_set(kv, n_kv, n->keys[i]->value, v->is_null ? "<no value>" : v->value,
                                           literal);
                } else {
                        r = compose_decode_json_text(d, v, &t);
                        if (r >= 0)
                                r = compose_kv_set(kv, n_kv, n->keys[i]->value, t, true);
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

static int decode_array(ComposeDecoder *d, const ComposeField *f, const YamlNode *key, const YamlNode *n, void *obj) {
        void **a = compose_field_ptr(f, obj);
        size_t *count = compose_field_count(f, obj);
        const ComposeTable *t = f->sub;
        int r = compose_decode_visit(d, n);

        if (r < 0)
                return r;
        if (n->type != YAML_NODE_SEQ)
                return compose_decode_type_error(d, n, key->value, "a list");
        /* a list is replaced as a whole */
        for (size_t i = 0; i < *count; i++)
                compose_table_free(t, (uint8_t *) *a + i * t->size);
        free(*a);
        *count = 0;
        *a = calloc(n->n ?: 1, t->size);
        if (!*a)
                return -ENOMEM;
        for (size_t i = 0; i < n->n; i++) {
                void *e = (uint8_t *) *a + i * t->size;
                (*count)++;
                r = compose_decode_check_map(d, n->values[i], key->value);
                if (r < 0)
                        return r;
                r = compose_table_decode_yaml(d, t, n->values[i], e);
                if (r < 0)
                        return r;
        }
        return 0;
}

int compose_field_decode_yaml(ComposeDecoder *d, const ComposeField *f, const YamlNode *key, const YamlNode *n,
                              void *obj) {
        void *p = compose_field_ptr(f, obj);
        const char *k = key->value;
        int r;

        switch (f->type) {
        case COMPOSE_FIELD_STRING:
                r = compose_decode_string(d, n, k, p);
                if (r >= 0 && f->aux > 0)
                        r = compose_set_pos(d, (ComposePos *) (void *) ((uint8_t *) obj + f->aux), n);
                return r;
        case COMPOSE_FIELD_INT:
                return compose_decode_int(d, n, k, p);
        case COMPOSE_FIELD_BOOL: {
                static const char * const yes[] = { "true", "True", "TRUE", "yes", "Yes", "YES",
                                                    "on",   "On",   "ON",   "y",   "Y" };
                static const char * const no[] = { "false", "False", "FALSE", "no", "No", "NO",
                                                   "off",   "Off",   "OFF",   "n",  "N" };
                bool *b = p;
                r = compose_decode_visit(d, n);
                if (r < 0)
                        return r;
                if (n->type != YAML_NODE_SCALAR)
                        return compose_decode_type_error(d, n, k, "a boolean");
                if (n->is_null) {
                        *b = false;
                        return 0;
                }
                for (size_t i = 0; i < ELEMENTSOF(yes); i++)
                        if (streq(n->value, yes[i])) {
                                *b = true;
                                return 0;
                        }
                for (size_t i = 0; i < ELEMENTSOF(no); i++)
                        if (streq(n->value, no[i])) {
                                *b = false;
                                return 0;
                        }
                return compose_decode_type_error(d, n, k, "a boolean");
        }
        case COMPOSE_FIELD_ENV:
                /* process-compose does not accept the map form */
                if (n->type == YAML_NODE_MAP)
                        return compose_error_set(d->error, -EINVAL, d->file, n->line, n->column,
                                                 "'%s' must be a list of \"KEY=VALUE\" strings, got a mapping", k);
                /* fall through */
        case COMPOSE_FIELD_STRV:
                return compose_decode_strv(d, n, k, p);
        case COMPOSE_FIELD_KV:
        case COMPOSE_FIELD_VARS:
                return decode_kv(d, n, k, p, compose_field_count(f, obj), f->type == COMPOSE_FIELD_VARS);
        case COMPOSE_FIELD_JSON_TEXT:
                return compose_decode_json_text(d, n, p);
        case COMPOSE_FIELD_STRUCT:
                r = compose_decode_check_map(d, n, k);
                if (r < 0)
                        return r;
                return compose_table_decode_yaml(d, f->sub, n, p);
        case COMPOSE_FIELD_OBJECT: {
                void **o = p;
                r = compose_decode_check_map(d, n, k);
                if (r < 0)
                        return r;
                if (!*o) {
                        *o = calloc(1, f->sub->size);
                        if (!*o)
                                return -ENOMEM;
                }
                return compose_table_decode_yaml(d, f->sub, n, *o);
        }
        case COMPOSE_FIELD_ARRAY:
                return decode_array(d, f, key, n, obj);
        default:
                return compose_decode_visit(d, n);
        }
}

static bool null_skips(const ComposeField *f) {
        if (f->flags & COMPOSE_FIELD_NULL_SKIPS)
                return true;
        switch (f->type) {
        case COMPOSE_FIELD_KV:
        case COMPOSE_FIELD_VARS:
        case COMPOSE_FIELD_JSON_TEXT:
        case COMPOSE_FIELD_STRUCT:
        case COMPOSE_FIELD_OBJECT:
        case COMPOSE_FIELD_ARRAY:
                return true;
        default:
                return false;
        }
}

static int decode_row(ComposeDecoder *d, const ComposeField *f, const YamlNode *key, const YamlNode *v, void *obj) {
        int r;

        if (f->flags & COMPOSE_FIELD_YAML_COMPUTED)
                return compose_decode_visit(d, v);
        if (compose_yaml_is_null(v) && null_skips(f))
                return compose_decode_visit(d, v);
        if (f->ops && f->ops->decode_yaml)
                r = f->ops->decode_yaml(d, f, key, v, obj);
        else
                r = compose_field_decode_yaml(d, f, key, v, obj);
        if (r >= 0 && f->note)
                r = compose_project_add_note(d->project, "%s:%u:%u: '%s' %s", d->file, key->line, key->column,
                                             key->value, f->note);
        return r;
}

int compose_table_decode_yaml(ComposeDecoder *d, const ComposeTable *t, const YamlNode *n, void *obj) {
        const ComposeTable *x = compose_table_extra(t);
        int r;

        if (t->pos_offset > 0) {
                r = compose_set_pos(d, (ComposePos *) (void *) ((uint8_t *) obj + t->pos_offset), n);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < n->n; i++) {
                const YamlNode *key = n->keys[i], *v = n->values[i];
                const ComposeField *f = find_yaml_row(t, key->value);

                if (f)
                        r = decode_row(d, f, key, v, obj);
                else if (x && (f = find_yaml_row(x, key->value))) {
                        void **block = compose_extra_slot(obj);
                        if (!*block && !(*block = calloc(1, x->size)))
                                return -ENOMEM;
                        r = decode_row(d, f, key, v, *block);
                } else if (t->unknown_yaml_key)
                        r = t->unknown_yaml_key(d, key, v, obj);
                else
                        r = 0;
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- free ---- */

static void free_field(const ComposeField *f, void *obj) {
        void *p = compose_field_ptr(f, obj);

        if (f->ops && f->ops->free) {
                f->ops->free(f, obj);
                return;
        }
        switch (f->type) {
        case COMPOSE_FIELD_STRING:
        case COMPOSE_FIELD_JSON_TEXT:
                *(char **) p = mfree(*(char **) p);
                break;
        case COMPOSE_FIELD_STRV:
        case COMPOSE_FIELD_ENV:
                *(char ***) p = strv_free(*(char ***) p);
                break;
        case COMPOSE_FIELD_KV:
        case COMPOSE_FIELD_VARS:
                compose_kv_free_array(*(ComposeKV **) p, *compose_field_count(f, obj));
                *(ComposeKV **) p = NULL;
                *compose_field_count(f, obj) = 0;
                break;
        case COMPOSE_FIELD_POS:
                compose_pos_done(p);
                break;
        case COMPOSE_FIELD_STRUCT:
                compose_table_free(f->sub, p);
                break;
        case COMPOSE_FIELD_OBJECT:
                if (*(void **) p) {
                        compose_table_free(f->sub, *(void **) p);
                        *(void **) p = mfree(*(void **) p);
                }
                break;
        case COMPOSE_FIELD_ARRAY: {
                uint8_t *a = *(uint8_t **) p;
                size_t *count = compose_field_count(f, obj);
                for (size_t i = 0; i < *count; i++)
                        compose_table_free(f->sub, a + i * f->sub->size);
                *(uint8_t **) p = mfree(a);
                *count = 0;
                break;
        }
        default:
                break;
        }
}

void compose_table_free(const ComposeTable *t, void *obj) {
        const ComposeTable *x = compose_table_extra(t);

        if (!obj)
                return;
        for (size_t i = 0; i < t->n_fields; i++)
                free_field(&t->fields[i], obj);
        if (x && compose_extra_block(obj)) {
                compose_table_free(x, compose_extra_block(obj));
                *compose_extra_slot(obj) = mfree(*compose_extra_slot(obj));
        }
}

/* ---- copy (dst zeroed) ---- */

static int copy_field(const ComposeField *f, void *dst, const void *src) {
        const void *s = compose_field_cptr(f, src);
        void *d = compose_field_ptr(f, dst);

        if (f->ops && f->ops->copy)
                return f->ops->copy(f, dst, src);
        switch (f->type) {
        case COMPOSE_FIELD_STRING:
        case COMPOSE_FIELD_JSON_TEXT:
                return free_and_strdup(d, *(char * const *) s);
        case COMPOSE_FIELD_INT:
                *(int *) d = *(const int *) s;
                return 0;
        case COMPOSE_FIELD_BOOL:
                *(bool *) d = *(const bool *) s;
                return 0;
        case COMPOSE_FIELD_USEC:
                *(usec_t *) d = *(const usec_t *) s;
                return 0;
        case COMPOSE_FIELD_STRV:
        case COMPOSE_FIELD_ENV:
                if (*(char * const * const *) s && !(*(char ***) d = strv_copy(*(char * const * const *) s)))
                        return -ENOMEM;
                return 0;
        case COMPOSE_FIELD_KV:
        case COMPOSE_FIELD_VARS:
                return compose_kv_copy_array(d, compose_field_count(f, dst), *(ComposeKV * const *) s,
                                             compose_field_ccount(f, src));
        case COMPOSE_FIELD_POS:
                return compose_pos_copy(d, s);
        case COMPOSE_FIELD_STRUCT:
                return compose_table_copy(f->sub, d, s);
        case COMPOSE_FIELD_OBJECT: {
                const void *so = *(void * const *) s;
                if (!so)
                        return 0;
                *(void **) d = calloc(1, f->sub->size);
                if (!*(void **) d)
                        return -ENOMEM;
                return compose_table_copy(f->sub, *(void **) d, so);
        }
        case COMPOSE_FIELD_ARRAY: {
                size_t n = compose_field_ccount(f, src);
                const uint8_t *sa = *(const uint8_t * const *) s;
                uint8_t *da;
                if (n == 0)
                        return 0;
                da = calloc(n, f->sub->size);
                if (!da)
                        return -ENOMEM;
                *(uint8_t **) d = da;
                for (size_t i = 0; i < n; i++) {
                        (*compose_field_count(f, dst))++;
                        if (compose_table_copy(f->sub, da + i * f->sub->size, sa + i * f->sub->size) < 0)
                                return -ENOMEM;
                }
                return 0;
        }
        default:
                return 0;
        }
}

/* On failure dst holds what was copied so far; the caller frees it with compose_table_free(). */
int compose_table_copy(const ComposeTable *t, void *dst, const void *src) {
        const ComposeTable *x = compose_table_extra(t);
        int r;

        for (size_t i = 0; i < t->n_fields; i++) {
                r = copy_field(&t->fields[i], dst, src);
                if (r < 0)
                        return r;
        }
        if (x && compose_extra_block(src)) {
                *compose_extra_slot(dst) = calloc(1, x->size);
                if (!*compose_extra_slot(dst))
                        return -ENOMEM;
                return compose_table_copy(x, *compose_extra_slot(dst), compose_extra_block(src));
        }
        return 0;
}

/* ---- merge (override consumed) ---- */

static int strv_append_move(char ***dst, char ***src) {
        int r;
        if (!*src)
                return 0;
        if (!*dst) {
                *dst = TAKE_PTR(*src);
                return 0;
        }
        STRV_FOREACH(s, *src) {
                r = strv_extend(dst, *s);
                if (r < 0)
                        return r;
        }
        *src = strv_free(*src);
        return 0;
}

static void swap_ptr(void **a, void **b) {
        void *t = *a;
        *a = *b;
        *b = t;
}

static int merge_field(const ComposeField *f, void *base, void *over) {
        void *b = compose_field_ptr(f, base), *o = compose_field_ptr(f, over);

        if (f->ops && f->ops->merge)
                return f->ops->merge(f, base, over);
        if (f->merge == COMPOSE_MERGE_KEEP)
                return 0;
        switch (f->type) {
        case COMPOSE_FIELD_STRING:
        case COMPOSE_FIELD_JSON_TEXT:
                if (isempty(*(char **) o))
                        return 0;
                if (f->aux > 0) {
                        ComposePos *bp = (ComposePos *) (void *) ((uint8_t *) base + f->aux);
                        ComposePos *op = (ComposePos *) (void *) ((uint8_t *) over + f->aux);
                        if (op->file) {
                                compose_pos_done(bp);
                                *bp = *op;
                                *op = (ComposePos) {};
                        }
                }
                swap_ptr(b, o);
                return 0;
        case COMPOSE_FIELD_INT:
                if (*(int *) o != 0)
                        *(int *) b = *(int *) o;
                return 0;
        case COMPOSE_FIELD_BOOL:
                *(bool *) b = *(bool *) b || *(bool *) o;
                return 0;
        case COMPOSE_FIELD_USEC:
                if (*(usec_t *) o != 0)
                        *(usec_t *) b = *(usec_t *) o;
                return 0;
        case COMPOSE_FIELD_STRV:
                if (f->merge == COMPOSE_MERGE_APPEND)
                        return strv_append_move(b, o);
                if (strv_length(*(char ***) o) > 0)
                        swap_ptr(b, o);
                return 0;
        case COMPOSE_FIELD_ENV:
                /* merged by key, sorted (process-compose's transformer); see strv_env_merge_sorted() */
                return strv_env_merge_sorted(b, *(char ***) o);
        case COMPOSE_FIELD_KV:
        case COMPOSE_FIELD_VARS: {
                const ComposeKV *kv = *(ComposeKV **) o;
                for (size_t i = 0; i < *compose_field_count(f, over); i++) {
                        int r = compose_kv_set(b, compose_field_count(f, base), kv[i].key, kv[i].value, kv[i].literal);
                        if (r < 0)
                                return r;
                }
                return 0;
        }
        case COMPOSE_FIELD_STRUCT:
                return compose_table_merge(f->sub, b, o);
        case COMPOSE_FIELD_OBJECT:
                if (!*(void **) b)
                        swap_ptr(b, o);
                else if (*(void **) o)
                        return compose_table_merge(f->sub, *(void **) b, *(void **) o);
                return 0;
        case COMPOSE_FIELD_ARRAY:
                /* replaced as a whole */
                if (*compose_field_count(f, over) > 0) {
                        size_t t = *compose_field_count(f, base);
                        swap_ptr(b, o);
                        *compose_field_count(f, base) = *compose_field_count(f, over);
                        *compose_field_count(f, over) = t;
                }
                return 0;
        default:
                return 0;
        }
}

int compose_table_merge(const ComposeTable *t, void *base, void *over) {
        const ComposeTable *x = compose_table_extra(t);
        int r;

        for (size_t i = 0; i < t->n_fields; i++) {
                r = merge_field(&t->fields[i], base, over);
                if (r < 0)
                        return r;
        }
        if (x && compose_extra_block(over)) {
                if (!compose_extra_block(base))
                        swap_ptr(compose_extra_slot(base), compose_extra_slot(over));
                else
                        return compose_table_merge(x, compose_extra_block(base), compose_extra_block(over));
        }
        return 0;
}

/* ---- compare ---- */

/* Maps compare by key, in any order (as JSON objects do). */
static bool kv_equal(const ComposeKV *a, size_t na, const ComposeKV *b, size_t nb) {
        if (na != nb)
                return false;
        for (size_t i = 0; i < na; i++) {
                const ComposeKV *o = compose_kv_get(b, nb, a[i].key);
                if (!o || !streq(strempty(a[i].value), strempty(o->value)) || a[i].literal != o->literal)
                        return false;
        }
        return true;
}

static bool strv_equal_empty(char * const *a, char * const *b) {
        size_t n = strv_length(a);
        if (n != strv_length(b))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!streq(a[i], b[i]))
                        return false;
        return true;
}

static bool equal_field(const ComposeField *f, const void *a, const void *b) {
        const void *pa = compose_field_cptr(f, a), *pb = compose_field_cptr(f, b);

        if (f->ops && f->ops->equal)
                return f->ops->equal(f, a, b);
        switch (f->type) {
        case COMPOSE_FIELD_STRING:
        case COMPOSE_FIELD_JSON_TEXT:
                return streq(strempty(*(char * const *) pa), strempty(*(char * const *) pb));
        case COMPOSE_FIELD_INT:
                return *(const int *) pa == *(const int *) pb;
        case COMPOSE_FIELD_BOOL:
                return *(const bool *) pa == *(const bool *) pb;
        case COMPOSE_FIELD_USEC:
                return *(const usec_t *) pa == *(const usec_t *) pb;
        case COMPOSE_FIELD_STRV:
        case COMPOSE_FIELD_ENV:
                return strv_equal_empty(*(char * const * const *) pa, *(char * const * const *) pb);
        case COMPOSE_FIELD_KV:
        case COMPOSE_FIELD_VARS:
                return kv_equal(*(ComposeKV * const *) pa, compose_field_ccount(f, a), *(ComposeKV * const *) pb,
                                compose_field_ccount(f, b));
        case COMPOSE_FIELD_STRUCT:
                return compose_table_equal(f->sub, pa, pb);
        case COMPOSE_FIELD_OBJECT: {
                const void *oa = *(void * const *) pa, *ob = *(void * const *) pb;
                if (!oa || !ob)
                        return oa == ob;
                return compose_table_equal(f->sub, oa, ob);
        }
        case COMPOSE_FIELD_ARRAY: {
                size_t n = compose_field_ccount(f, a);
                const uint8_t *aa = *(const uint8_t * const *) pa, *ab = *(const uint8_t * const *) pb;
                if (n != compose_field_ccount(f, b))
                        return false;
                for (size_t i = 0; i < n; i++)
                        if (!compose_table_equal(f->sub, aa + i * f->sub->size, ab + i * f->sub->size))
                                return false;
                return true;
        }
        default:
                return true;
        }
}

bool compose_table_equal(const ComposeTable *t, const void *a, const void *b) {
        const ComposeTable *x = compose_table_extra(t);

        for (size_t i = 0; i < t->n_fields; i++)
                if (t->fields[i].json && !equal_field(&t->fields[i], a, b))
                        return false;
        if (x && (compose_extra_block(a) || compose_extra_block(b))) {
                if (!compose_extra_block(a) || !compose_extra_block(b))
                        return false;
                return compose_table_equal(x, compose_extra_block(a), compose_extra_block(b));
        }
        return true;
}
