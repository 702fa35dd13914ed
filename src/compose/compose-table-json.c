/* The field table engine (compose-table.h): process-compose's JSON, out and in. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compose/compose-table.h"
#include "shared/strv.h"

/* ---- JSON out ---- */

bool compose_json_add_str(cJSON *o, const char *k, const char *v) {
        return isempty(v) || cJSON_AddStringToObject(o, k, v);
}
bool compose_json_add_int(cJSON *o, const char *k, long long v) {
        return v == 0 || cJSON_AddNumberToObject(o, k, (double) v);
}
bool compose_json_add_strv(cJSON *o, const char *k, char * const *l) {
        cJSON *a;
        if (strv_length(l) == 0)
                return true;
        a = cJSON_AddArrayToObject(o, k);
        if (!a)
                return false;
        STRV_FOREACH(s, l) {
                cJSON *i = cJSON_CreateString(*s);
                if (!i)
                        return false;
                cJSON_AddItemToArray(a, i);
        }
        return true;
}

static cJSON *kv_to_json(const ComposeKV *kv, size_t n, bool vars) {
        cJSON *m = cJSON_CreateObject();
        for (size_t i = 0; m && i < n; i++) {
                cJSON *v = vars && kv[i].literal ? cJSON_Parse(kv[i].value) : NULL;
                if (!v)
                        v = cJSON_CreateString(kv[i].value);
                if (!v) {
                        cJSON_Delete(m);
                        return NULL;
                }
                cJSON_AddItemToObject(m, kv[i].key, v);
        }
        return m;
}

static bool add_item(cJSON *o, const char *k, cJSON *v) {
        if (!v)
                return false;
        if (k)
                cJSON_AddItemToObject(o, k, v);
        else
                cJSON_AddItemToArray(o, v);
        return true;
}

static bool encode_field(const ComposeField *f, const void *obj, cJSON *o) {
        const void *p = compose_field_cptr(f, obj);
        bool always = f->flags & COMPOSE_FIELD_JSON_ALWAYS;

        switch (f->type) {
        case COMPOSE_FIELD_STRING: {
                const char *s = *(char * const *) p;
                return always ? !!cJSON_AddStringToObject(o, f->json, strempty(s)) : compose_json_add_str(o, f->json, s);
        }
        case COMPOSE_FIELD_INT:
                return always ? !!cJSON_AddNumberToObject(o, f->json, *(const int *) p)
                              : compose_json_add_int(o, f->json, *(const int *) p);
        case COMPOSE_FIELD_BOOL:
                return always ? !!cJSON_AddBoolToObject(o, f->json, *(const bool *) p)
                              : !*(const bool *) p || cJSON_AddTrueToObject(o, f->json);
        case COMPOSE_FIELD_STRV:
        case COMPOSE_FIELD_ENV: {
                char * const *l = *(char * const * const *) p;
                cJSON *a;
                if (!always)
                        return compose_json_add_strv(o, f->json, l);
                a = cJSON_AddArrayToObject(o, f->json);
                if (!a)
                        return false;
                STRV_FOREACH(s, l)
                        if (!add_item(a, NULL, cJSON_CreateString(*s)))
                                return false;
                return true;
        }
        case COMPOSE_FIELD_KV:
        case COMPOSE_FIELD_VARS: {
                size_t n = compose_field_ccount(f, obj);
                if (n == 0 && !always)
                        return true;
                return add_item(o, f->json, kv_to_json(*(ComposeKV * const *) p, n, f->type == COMPOSE_FIELD_VARS));
        }
        case COMPOSE_FIELD_JSON_TEXT: {
                const char *s = *(char * const *) p;
                cJSON *v;
                if (!s)
                        return !always || cJSON_AddNullToObject(o, f->json);
                /* text that does not parse (it always does: we printed it) is left out */
                v = cJSON_Parse(s);
                if (v)
                        cJSON_AddItemToObject(o, f->json, v);
                return true;
        }
        case COMPOSE_FIELD_STRUCT:
                return add_item(o, f->json, compose_table_to_json(f->sub, p));
        case COMPOSE_FIELD_OBJECT: {
                const void *sub = *(void * const *) p;
                if (!sub)
                        return !always || cJSON_AddNullToObject(o, f->json);
                return add_item(o, f->json, compose_table_to_json(f->sub, sub));
        }
        case COMPOSE_FIELD_ARRAY: {
                size_t n = compose_field_ccount(f, obj);
                const uint8_t *a = *(const uint8_t * const *) p;
                cJSON *arr;
                if (n == 0 && !always)
                        return true;
                arr = cJSON_AddArrayToObject(o, f->json);
                if (!arr)
                        return false;
                for (size_t i = 0; i < n; i++)
                        if (!add_item(arr, NULL, compose_table_to_json(f->sub, a + i * f->sub->size)))
                                return false;
                return true;
        }
        default:
                return true;
        }
}

static bool encode_rows(const ComposeTable *t, const void *obj, cJSON *o) {
        for (size_t i = 0; i < t->n_fields; i++) {
                const ComposeField *f = &t->fields[i];
                bool ok;
                if (!f->json)
                        continue;
                ok = f->ops && f->ops->encode_json ? f->ops->encode_json(f, obj, o) : encode_field(f, obj, o);
                if (!ok)
                        return false;
        }
        return true;
}

bool compose_table_encode_json(const ComposeTable *t, const void *obj, cJSON *o) {
        const ComposeTable *x = compose_table_extra(t);

        if (!encode_rows(t, obj, o))
                return false;
        return !x || !compose_extra_block(obj) || encode_rows(x, compose_extra_block(obj), o);
}

cJSON *compose_table_to_json(const ComposeTable *t, const void *obj) {
        cJSON *o = cJSON_CreateObject();
        if (o && !compose_table_encode_json(t, obj, o)) {
                cJSON_Delete(o);
                return NULL;
        }
        return o;
}

/* ---- JSON in (case-insensitive keys, as Go's encoding/json) ---- */

int compose_json_error(char **ret_error, const char *fmt, ...) {
        va_list ap;
        if (ret_error && !*ret_error) {
                va_start(ap, fmt);
                if (vasprintf(ret_error, fmt, ap) < 0)
                        *ret_error = NULL;
                va_end(ap);
        }
        return -EINVAL;
}

const cJSON *compose_json_get(const cJSON *o, const char *k) {
        const cJSON *v = cJSON_GetObjectItem(o, k); /* case-insensitive */
        return v && !cJSON_IsNull(v) ? v : NULL;
}

int compose_json_int(const cJSON *v, const char *k, int *dst, char **e) {
        if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || fabs(v->valuedouble) > 2147483647.0)
                return compose_json_error(e, "'%s' must be an integer", k);
        *dst = (int) v->valuedouble;
        return 0;
}

int compose_json_strv(const cJSON *v, const char *k, char ***dst, char **e) {
        _cleanup_strv_free_ char **l = NULL;
        const cJSON *i;
        int r;

        if (!cJSON_IsArray(v))
                return compose_json_error(e, "'%s' must be a list of strings", k);
        l = new0(char *, 1);
        if (!l)
                return -ENOMEM;
        cJSON_ArrayForEach(i, v) {
                if (!cJSON_IsString(i))
                        return compose_json_error(e, "'%s' must be a list of strings", k);
                r = strv_extend(&l, i->valuestring);
                if (r < 0)
                        return r;
        }
        strv_free(*dst);
        *dst = TAKE_PTR(l);
        return 0;
}

static int json_kv(const cJSON *v, const char *k, ComposeKV **kv, size_t *n, bool any_type, char **e) {
        const cJSON *i;
        int r;

        if (!cJSON_IsObject(v))
                return compose_json_error(e, "'%s' must be an object", k);
        cJSON_ArrayForEach(i, v) {
                if (cJSON_IsString(i))
                        r = compose_kv_set(kv, n, i->string, i->valuestring, false);
                else if (any_type) {
                        _cleanup_free_ char *t = cJSON_PrintUnformatted(i);
                        if (!t)
                                return -ENOMEM;
                        r = compose_kv_set(kv, n, i->string, t, true);
                } else
                        return compose_json_error(e, "'%s' values must be strings", k);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int decode_json_object(const ComposeTable *t, const cJSON *v, const char *k, void **ret, char **e) {
        void *o;
        int r;

        if (!cJSON_IsObject(v))
                return compose_json_error(e, "'%s' must be an object", k);
        o = calloc(1, t->size);
        if (!o)
                return -ENOMEM;
        r = compose_table_decode_json(t, v, o, e);
        if (r < 0) {
                compose_table_free(t, o);
                free(o);
                return r;
        }
        if (t->json_decoded)
                t->json_decoded(o);
        *ret = o;
        return 0;
}

static int decode_json_field(const ComposeField *f, const cJSON *v, void *obj, char **e) {
        void *p = compose_field_ptr(f, obj);

        switch (f->type) {
        case COMPOSE_FIELD_STRING:
                if (!cJSON_IsString(v))
                        return compose_json_error(e, "'%s' must be a string", f->json);
                if (strlen(v->valuestring) > COMPOSE_STRING_MAX)
                        return compose_json_error(e, "'%s' is too long", f->json);
                return free_and_strdup(p, v->valuestring);
        case COMPOSE_FIELD_INT:
                return compose_json_int(v, f->json, p, e);
        case COMPOSE_FIELD_BOOL:
                if (!cJSON_IsBool(v))
                        return compose_json_error(e, "'%s' must be a boolean", f->json);
                *(bool *) p = cJSON_IsTrue(v);
                return 0;
        case COMPOSE_FIELD_STRV:
        case COMPOSE_FIELD_ENV:
                return compose_json_strv(v, f->json, p, e);
        case COMPOSE_FIELD_KV:
        case COMPOSE_FIELD_VARS:
                return json_kv(v, f->json, p, compose_field_count(f, obj), f->type == COMPOSE_FIELD_VARS, e);
        case COMPOSE_FIELD_JSON_TEXT: {
                char *s = cJSON_PrintUnformatted(v);
                if (!s)
                        return -ENOMEM;
                free(*(char **) p);
                *(char **) p = s;
                return 0;
        }
        case COMPOSE_FIELD_STRUCT:
                if (!cJSON_IsObject(v))
                        return compose_json_error(e, "'%s' must be an object", f->json);
                return compose_table_decode_json(f->sub, v, p, e);
        case COMPOSE_FIELD_OBJECT: {
                void *o = NULL;
                int r = decode_json_object(f->sub, v, f->json, &o, e);
                if (r < 0)
                        return r;
                if (*(void **) p) {
                        compose_table_free(f->sub, *(void **) p);
                        free(*(void **) p);
                }
                *(void **) p = o;
                return 0;
        }
        case COMPOSE_FIELD_ARRAY: {
                const ComposeTable *t = f->sub;
                size_t *count = compose_field_count(f, obj);
                uint8_t *a;
                const cJSON *i;
                int r;

                if (!cJSON_IsArray(v))
                        return compose_json_error(e, "'%s' must be a list", f->json);
                a = calloc(cJSON_GetArraySize(v) + 1, t->size);
                if (!a)
                        return -ENOMEM;
                *(uint8_t **) p = a;
                *count = 0;
                cJSON_ArrayForEach(i, v) {
                        void *el = a + (*count)++ * t->size;
                        if (!cJSON_IsObject(i))
                                return compose_json_error(e, "'%s' items must be objects", f->json);
                        r = compose_table_decode_json(t, i, el, e);
                        if (r < 0)
                                return r;
                }
                return 0;
        }
        default:
                return 0;
        }
}

static int decode_json_rows(const ComposeTable *t, const cJSON *o, void *obj, char **e) {
        for (size_t i = 0; i < t->n_fields; i++) {
                const ComposeField *f = &t->fields[i];
                const cJSON *v;
                int r;

                if (!f->json || (f->flags & COMPOSE_FIELD_JSON_NO_DECODE))
                        continue;
                v = compose_json_get(o, f->json);
                if (!v)
                        continue;
                r = f->ops && f->ops->decode_json ? f->ops->decode_json(f, v, obj, e) : decode_json_field(f, v, obj, e);
                if (r < 0)
                        return r;
        }
        return 0;
}

int compose_table_decode_json(const ComposeTable *t, const cJSON *o, void *obj, char **ret_error) {
        const ComposeTable *x = compose_table_extra(t);
        int r = decode_json_rows(t, o, obj, ret_error);

        if (r < 0 || !x)
                return r;
        if (!*compose_extra_slot(obj) && !(*compose_extra_slot(obj) = calloc(1, x->size)))
                return -ENOMEM;
        return decode_json_rows(x, o, *compose_extra_slot(obj), ret_error);
}

