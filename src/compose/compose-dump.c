/* The resolved project as YAML (`pcctl config`), with libyaml's emitter, driven by the field table: every
 * row with a YAML key is written (empty values left out) unless it is computed or marked YAML_NO_DUMP. The
 * output loads back to the same project: templates are rendered and env substitution done, so the dump
 * turns both off (disable_env_expansion, is_template_disabled), and replicas are already expanded. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "compose/compose-table.h"
#include "shared/strv.h"

struct ComposeEmitter {
        yaml_emitter_t e;
        bool failed;
};

static void emit_scalar(ComposeEmitter *m, const char *s, bool plain_ok) {
        yaml_event_t ev;
        if (m->failed)
                return;
        if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *) s, (int) strlen(s), plain_ok, !plain_ok,
                                          plain_ok ? YAML_ANY_SCALAR_STYLE : YAML_DOUBLE_QUOTED_SCALAR_STYLE) ||
            !yaml_emitter_emit(&m->e, &ev))
                m->failed = true;
}

void compose_emit_str(ComposeEmitter *m, const char *s) {
        emit_scalar(m, s, false);
}

void compose_emit_plain(ComposeEmitter *m, const char *s) {
        emit_scalar(m, s, true);
}

void compose_emit_int(ComposeEmitter *m, long long v) {
        char buf[32];
        snprintf(buf, sizeof buf, "%lld", v);
        emit_scalar(m, buf, true);
}

void compose_emit_begin(ComposeEmitter *m, bool map) {
        yaml_event_t ev;
        if (m->failed)
                return;
        if (!(map ? yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE)
                  : yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE)) ||
            !yaml_emitter_emit(&m->e, &ev))
                m->failed = true;
}

void compose_emit_end(ComposeEmitter *m, bool map) {
        yaml_event_t ev;
        if (m->failed)
                return;
        if (!(map ? yaml_mapping_end_event_initialize(&ev) : yaml_sequence_end_event_initialize(&ev)) ||
            !yaml_emitter_emit(&m->e, &ev))
                m->failed = true;
}

static void emit_strv(ComposeEmitter *m, char * const *l) {
        compose_emit_begin(m, false);
        STRV_FOREACH(s, l)
                compose_emit_str(m, *s);
        compose_emit_end(m, false);
}

static void emit_kv(ComposeEmitter *m, const ComposeKV *kv, size_t n) {
        compose_emit_begin(m, true);
        for (size_t i = 0; i < n; i++) {
                compose_emit_plain(m, kv[i].key);
                if (kv[i].literal)
                        compose_emit_plain(m, kv[i].value);
                else
                        compose_emit_str(m, kv[i].value);
        }
        compose_emit_end(m, true);
}

/* JSON text (mcp and the like) as YAML; JSON is YAML, but a block mapping reads better */
static void emit_json(ComposeEmitter *m, const cJSON *j) {
        const cJSON *i;

        if (cJSON_IsObject(j) || cJSON_IsArray(j)) {
                compose_emit_begin(m, cJSON_IsObject(j));
                cJSON_ArrayForEach(i, j) {
                        if (cJSON_IsObject(j))
                                compose_emit_plain(m, i->string);
                        emit_json(m, i);
                }
                compose_emit_end(m, cJSON_IsObject(j));
        } else if (cJSON_IsString(j))
                compose_emit_str(m, j->valuestring);
        else {
                _cleanup_free_ char *t = cJSON_PrintUnformatted(j);
                if (!t)
                        m->failed = true;
                else
                        compose_emit_plain(m, t);
        }
}

static void emit_field(ComposeEmitter *m, const ComposeField *f, const void *obj) {
        const void *p = compose_field_cptr(f, obj);

        switch (f->type) {
        case COMPOSE_FIELD_STRING: {
                const char *s = *(char * const *) p;
                if (isempty(s) && !(f->flags & COMPOSE_FIELD_JSON_ALWAYS))
                        return;
                compose_emit_plain(m, f->yaml);
                compose_emit_str(m, strempty(s));
                return;
        }
        case COMPOSE_FIELD_INT:
                if (*(const int *) p == 0)
                        return;
                compose_emit_plain(m, f->yaml);
                compose_emit_int(m, *(const int *) p);
                return;
        case COMPOSE_FIELD_BOOL:
                if (!*(const bool *) p)
                        return;
                compose_emit_plain(m, f->yaml);
                compose_emit_plain(m, "true");
                return;
        case COMPOSE_FIELD_STRV:
        case COMPOSE_FIELD_ENV:
                if (strv_length(*(char * const * const *) p) == 0)
                        return;
                compose_emit_plain(m, f->yaml);
                emit_strv(m, *(char * const * const *) p);
                return;
        case COMPOSE_FIELD_KV:
        case COMPOSE_FIELD_VARS:
                if (compose_field_ccount(f, obj) == 0)
                        return;
                compose_emit_plain(m, f->yaml);
                emit_kv(m, *(ComposeKV * const *) p, compose_field_ccount(f, obj));
                return;
        case COMPOSE_FIELD_JSON_TEXT: {
                cJSON *j = *(char * const *) p ? cJSON_Parse(*(char * const *) p) : NULL;
                if (!j)
                        return;
                compose_emit_plain(m, f->yaml);
                emit_json(m, j);
                cJSON_Delete(j);
                return;
        }
        case COMPOSE_FIELD_STRUCT:
                compose_emit_plain(m, f->yaml);
                compose_emit_table(m, f->sub, p);
                return;
        case COMPOSE_FIELD_OBJECT:
                if (!*(void * const *) p)
                        return;
                compose_emit_plain(m, f->yaml);
                compose_emit_table(m, f->sub, *(void * const *) p);
                return;
        case COMPOSE_FIELD_ARRAY: {
                const uint8_t *a = *(const uint8_t * const *) p;
                if (compose_field_ccount(f, obj) == 0)
                        return;
                compose_emit_plain(m, f->yaml);
                compose_emit_begin(m, false);
                for (size_t i = 0; i < compose_field_ccount(f, obj); i++)
                        compose_emit_table(m, f->sub, a + i * f->sub->size);
                compose_emit_end(m, false);
                return;
        }
        default:
                return;
        }
}

static void emit_rows(ComposeEmitter *m, const ComposeTable *t, const void *obj, bool last) {
        for (size_t i = 0; i < t->n_fields; i++) {
                const ComposeField *f = &t->fields[i];
                if (!f->yaml || (f->flags & (COMPOSE_FIELD_YAML_COMPUTED | COMPOSE_FIELD_YAML_NO_DUMP)) ||
                    !!(f->flags & COMPOSE_FIELD_YAML_DUMP_LAST) != last)
                        continue;
                if (f->ops && f->ops->emit_yaml)
                        f->ops->emit_yaml(f, obj, m);
                else
                        emit_field(m, f, obj);
        }
}

void compose_emit_table(ComposeEmitter *m, const ComposeTable *t, const void *obj) {
        const ComposeTable *x = compose_table_extra(t);

        compose_emit_begin(m, true);
        emit_rows(m, t, obj, false);
        if (x && compose_extra_block(obj))
                emit_rows(m, x, compose_extra_block(obj), false);
        emit_rows(m, t, obj, true);
        compose_emit_end(m, true);
}

static int yaml_write(void *data, unsigned char *buffer, size_t size) {
        FILE *f = data;
        return fwrite(buffer, 1, size, f) == size;
}

int compose_project_format_yaml(const ComposeProject *project, char **ret) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        FILE *f;
        ComposeEmitter m = {};
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
        compose_emit_table(&m, &compose_project_table, project);
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
