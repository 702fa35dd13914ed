/* Internal: the field table of the compose model, and the engine that walks it.
 *
 * Every key of a process, a project and their sub-objects is one ComposeField row: its YAML key, its JSON
 * key, the kind of C storage it has, where that storage is (offsetof), how two files merge it, and
 * optionally callbacks for what the kind alone does not say. The engine then does, from the rows alone,
 * what used to be written out field by field in seven places:
 *   decode YAML (compose_table_decode_yaml), encode and decode process-compose's JSON
 *   (compose_table_encode_json, compose_table_decode_json), deep copy, free, merge (mergo's WithOverride +
 *   WithAppendSlice) and compare.
 * Rows are in the order of process-compose's JSON, which is what encoding needs; decoding follows the
 * order of the input. A new key is one row in compose-fields.c (plus its docs).
 *
 * Modelled on systemd's JsonDispatch and ConfigTableItem: a name, a type, an offset and a callback. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "compose/compose-internal.h"
#include "compose/compose-model.h"
#include "compose/compose-yaml.h"

/* The C storage of a field, which decides the generic behaviour of every operation. */
typedef enum ComposeFieldType {
        COMPOSE_FIELD_STRING,    /* char *; empty and NULL are the same ("omitempty") */
        COMPOSE_FIELD_INT,       /* int */
        COMPOSE_FIELD_BOOL,      /* bool */
        COMPOSE_FIELD_USEC,      /* usec_t, computed (no key of its own) */
        COMPOSE_FIELD_STRV,      /* char **, a YAML sequence of scalars */
        COMPOSE_FIELD_ENV,       /* char ** of "K=V"; a YAML mapping is refused */
        COMPOSE_FIELD_KV,        /* ComposeKV * + size_t count at .aux: a map of strings */
        COMPOSE_FIELD_VARS,      /* ComposeKV * + count at .aux: a map of any values (literal flag) */
        COMPOSE_FIELD_JSON_TEXT, /* char *: any YAML/JSON value, kept as JSON text */
        COMPOSE_FIELD_POS,       /* ComposePos, no key: freed and copied, never merged or compared */
        COMPOSE_FIELD_STRUCT,    /* an embedded struct described by .sub */
        COMPOSE_FIELD_OBJECT,    /* a pointer to a struct described by .sub (NULL = absent) */
        COMPOSE_FIELD_ARRAY,     /* an array of .sub structs + size_t count at .aux */
        COMPOSE_FIELD_NONE,      /* no storage: everything is in the callbacks */
        _COMPOSE_FIELD_TYPE_MAX,
} ComposeFieldType;

/* How merge(base, override) treats a field (process-compose merges with mergo WithOverride and
 * WithAppendSlice; the override is consumed). */
typedef enum ComposeMergeRule {
        COMPOSE_MERGE_OVERRIDE,  /* a non-empty / non-zero override wins; bools are OR-ed; structs and
                                  * objects merge field by field; maps merge by key; ENV merges by key and
                                  * sorts */
        COMPOSE_MERGE_APPEND,    /* lists: the override's items are appended */
        COMPOSE_MERGE_REPLACE,   /* a non-empty override replaces the whole value */
        COMPOSE_MERGE_KEEP,      /* not merged: identity, positions, values the loader computes */
} ComposeMergeRule;

enum {
        COMPOSE_FIELD_JSON_ALWAYS = 1U << 0,    /* encode even when empty (no omitempty); NULL objects as null */
        COMPOSE_FIELD_YAML_COMPUTED = 1U << 1,  /* the YAML key is accepted and ignored (the loader sets it) */
        COMPOSE_FIELD_JSON_NO_DECODE = 1U << 2, /* encoded, but not read back from JSON */
        COMPOSE_FIELD_NULL_SKIPS = 1U << 3,     /* a YAML null leaves the field (and its note) alone */
        COMPOSE_FIELD_YAML_NO_DUMP = 1U << 4,   /* not written by `pcctl config` (resolved by loading) */
        COMPOSE_FIELD_YAML_DUMP_LAST = 1U << 5, /* written after the other keys (processes) */
};

/* The YAML writer of `pcctl config` (compose-dump.c). */
typedef struct ComposeEmitter ComposeEmitter;

typedef struct ComposeField ComposeField;
typedef struct ComposeTable ComposeTable;

/* The YAML decoding state of one file. */
typedef struct ComposeDecoder {
        const char *file;
        ComposeError *error;
        ComposeFindings *findings;
        ComposeProject *project;
        size_t visits;
} ComposeDecoder;

/* Callbacks that replace the generic behaviour of one operation for one field; NULL = generic. */
typedef struct ComposeFieldOps {
        /* n is the field's value node (never NULL) */
        int (*decode_yaml)(ComposeDecoder *d, const ComposeField *f, const YamlNode *key, const YamlNode *n, void *obj);
        /* adds f->json to the object o; false on OOM */
        bool (*encode_json)(const ComposeField *f, const void *obj, cJSON *o);
        /* v is the (non-null) JSON value of f->json */
        int (*decode_json)(const ComposeField *f, const cJSON *v, void *obj, char **ret_error);
        /* dst is zeroed for this field */
        int (*copy)(const ComposeField *f, void *dst, const void *src);
        void (*free)(const ComposeField *f, void *obj);
        int (*merge)(const ComposeField *f, void *base, void *override);
        bool (*equal)(const ComposeField *f, const void *a, const void *b);
        /* writes the key and its value for `pcctl config` (or nothing) */
        void (*emit_yaml)(const ComposeField *f, const void *obj, ComposeEmitter *m);
} ComposeFieldOps;

struct ComposeField {
        const char *yaml;              /* YAML key, NULL if none */
        const char *json;              /* JSON key, NULL if none */
        ComposeFieldType type;
        size_t offset;                 /* of the storage in the struct */
        size_t aux;                    /* KV/VARS/ARRAY: offset of the count; STRING: of a ComposePos set
                                        * where the value was written (0 = none) */
        ComposeMergeRule merge;
        unsigned flags;
        const ComposeTable *sub;       /* STRUCT, OBJECT, ARRAY */
        const ComposeFieldOps *ops;    /* NULL = all generic */
        const char *note;              /* YAML: noted for `config --verbose` when set ("'key' <note>") */
};

struct ComposeTable {
        const char *name;
        size_t size;                   /* sizeof the struct */
        const ComposeField *fields;
        size_t n_fields;
        /* YAML: a key no row names; NULL = ignored (sub-objects, as yaml.v3 without KnownFields) */
        int (*unknown_yaml_key)(ComposeDecoder *d, const YamlNode *key, const YamlNode *value, void *obj);
        /* YAML: where the position of the struct's own mapping goes (a ComposePos member; 0 = nowhere) */
        size_t pos_offset;
        /* after a JSON object was decoded into a new struct (defaults) */
        void (*json_decoded)(void *obj);
};

#define COMPOSE_TABLE(n, type, rows, ...)                                                               \
        const ComposeTable n = { .name = #type, .size = sizeof(type), .fields = rows,                 \
                                 .n_fields = ELEMENTSOF(rows), __VA_ARGS__ }

/* The tables (compose-fields.c). */
extern const ComposeTable compose_process_table;
extern const ComposeTable compose_project_table;

/* A table that tests can extend: compose_process_table ends with the rows of compose_extra_process_table
 * when one is registered. Only for tests that show that a new key needs nothing but its row. */
void compose_table_register_extra_process_rows(const ComposeTable *extra);

/* The extra rows of a test live in a block of their own that ComposeProcess.extra points to. */
const ComposeTable *compose_table_extra(const ComposeTable *t);
static inline void *compose_extra_block(const void *obj) {
        return ((const ComposeProcess *) obj)->extra;
}
static inline void **compose_extra_slot(void *obj) {
        return &((ComposeProcess *) obj)->extra;
}

static inline void *compose_field_ptr(const ComposeField *f, void *obj) {
        return (uint8_t *) obj + f->offset;
}
static inline const void *compose_field_cptr(const ComposeField *f, const void *obj) {
        return (const uint8_t *) obj + f->offset;
}
static inline size_t *compose_field_count(const ComposeField *f, void *obj) {
        return (size_t *) (void *) ((uint8_t *) obj + f->aux);
}
static inline size_t compose_field_ccount(const ComposeField *f, const void *obj) {
        return *(const size_t *) (const void *) ((const uint8_t *) obj + f->aux);
}

/* ---- the engine (compose-table.c) ---- */

/* Decodes the mapping n into obj, row by row; unknown keys go to t->unknown_yaml_key. */
int compose_table_decode_yaml(ComposeDecoder *d, const ComposeTable *t, const YamlNode *n, void *obj);
/* One field, as the generic code does it (for callbacks that add a check around it). */
int compose_field_decode_yaml(ComposeDecoder *d, const ComposeField *f, const YamlNode *key, const YamlNode *n,
                              void *obj);

/* Adds every field of obj to the JSON object o. */
bool compose_table_encode_json(const ComposeTable *t, const void *obj, cJSON *o);
cJSON *compose_table_to_json(const ComposeTable *t, const void *obj);
/* Reads every field of obj from the JSON object o (keys matched case-insensitively, as Go does). */
int compose_table_decode_json(const ComposeTable *t, const cJSON *o, void *obj, char **ret_error);

int compose_table_copy(const ComposeTable *t, void *dst, const void *src);
void compose_table_free(const ComposeTable *t, void *obj);
int compose_table_merge(const ComposeTable *t, void *base, void *override);
/* Equal in every field that has a JSON key (what the API shows). */
bool compose_table_equal(const ComposeTable *t, const void *a, const void *b);

/* Writes obj as a YAML mapping, and the pieces callbacks write with. */
void compose_emit_table(ComposeEmitter *m, const ComposeTable *t, const void *obj);
void compose_emit_str(ComposeEmitter *m, const char *s);   /* quoted */
void compose_emit_plain(ComposeEmitter *m, const char *s); /* plain: keys, numbers, booleans */
void compose_emit_int(ComposeEmitter *m, long long v);
void compose_emit_begin(ComposeEmitter *m, bool map);
void compose_emit_end(ComposeEmitter *m, bool map);

/* Shared by the decoders and the callbacks. */
int compose_decode_visit(ComposeDecoder *d, const YamlNode *n);
int compose_decode_type_error(ComposeDecoder *d, const YamlNode *n, const char *key, const char *what);
int compose_decode_string(ComposeDecoder *d, const YamlNode *n, const char *key, char **dst);
int compose_decode_int(ComposeDecoder *d, const YamlNode *n, const char *key, int *dst);
int compose_decode_strv(ComposeDecoder *d, const YamlNode *n, const char *key, char ***dst);
int compose_decode_json_text(ComposeDecoder *d, const YamlNode *n, char **dst);
int compose_decode_check_map(ComposeDecoder *d, const YamlNode *n, const char *key);
bool compose_yaml_is_null(const YamlNode *n);
bool compose_parse_yaml_int(const char *s, bool plain, long long *ret);
int compose_set_pos(ComposeDecoder *d, ComposePos *pos, const YamlNode *n);

int compose_json_error(char **ret_error, const char *fmt, ...) _printf_(2, 3);
const cJSON *compose_json_get(const cJSON *o, const char *k);
int compose_json_int(const cJSON *v, const char *k, int *dst, char **e);
int compose_json_strv(const cJSON *v, const char *k, char ***dst, char **e);
bool compose_json_add_str(cJSON *o, const char *k, const char *v);
bool compose_json_add_int(cJSON *o, const char *k, long long v);
bool compose_json_add_strv(cJSON *o, const char *k, char * const *l);
