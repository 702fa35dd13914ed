/* YAML text → YamlNode tree with positions, limits, aliases and merge keys (see compose-yaml.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "compose/compose-internal.h"
#include "compose/compose-yaml.h"

typedef struct Anchor {
        char *name;
        YamlNode *node;
} Anchor;

typedef struct Builder {
        YamlDoc *doc;
        const char *file;
        YamlNode **stack;        /* open collections */
        size_t depth;
        size_t stack_allocated;
        Anchor *anchors;
        size_t n_anchors;
        size_t anchors_allocated;
        size_t budget;           /* nodes plus merged pairs created so far */
        size_t visits;           /* nodes a walk of the document so far visits, aliases expanded ... */
        size_t visits_aliased;   /* ... of which through aliases */
        ComposeError *error;
} Builder;

#define YAML_NODES_PER_BLOCK 1024U
#define YAML_CHUNK_SIZE (64U * 1024U)

YamlDoc *yaml_doc_free(YamlDoc *d) {
        if (!d)
                return NULL;
        for (size_t b = 0; b < d->n_blocks; b++) {
                size_t n = b + 1 == d->n_blocks ? d->used_in_block : YAML_NODES_PER_BLOCK;
                for (size_t i = 0; i < n; i++) {
                        free(d->blocks[b][i].keys);
                        free(d->blocks[b][i].values);
                }
                free(d->blocks[b]);
        }
        free(d->blocks);
        for (size_t c = 0; c < d->n_chunks; c++)
                free(d->chunks[c]);
        free(d->chunks);
        free(d);
        return NULL;
}

/* Copies n bytes plus a NUL into the string arena; big strings get a chunk of their own. */
static char *doc_strndup(YamlDoc *d, const char *s, size_t n) {
        char *p;

        if (d->n_chunks == 0 || d->chunk_used + n + 1 > d->chunk_size) {
                size_t size = MAX((size_t) YAML_CHUNK_SIZE, n + 1);
                if (!GREEDY_REALLOC(d->chunks, d->chunks_allocated, d->n_chunks + 1))
                        return NULL;
                d->chunks[d->n_chunks] = malloc(size);
                if (!d->chunks[d->n_chunks])
                        return NULL;
                if (size > YAML_CHUNK_SIZE && d->n_chunks > 0) {
                        /* keep filling the current chunk afterwards: put the big one before it */
                        char *big = d->chunks[d->n_chunks];
                        d->chunks[d->n_chunks] = d->chunks[d->n_chunks - 1];
                        d->chunks[d->n_chunks - 1] = big;
                        d->n_chunks++;
                        memcpy(big, s, n);
                        big[n] = 0;
                        return big;
                }
                d->n_chunks++;
                d->chunk_used = 0;
                d->chunk_size = size;
        }
        p = d->chunks[d->n_chunks - 1] + d->chunk_used;
        memcpy(p, s, n);
        p[n] = 0;
        d->chunk_used += n + 1;
        return p;
}

const char *yaml_node_kind(const YamlNode *n) {
        if (!n)
                return "nothing";
        switch (n->type) {
        case YAML_NODE_MAP:
                return "a mapping";
        case YAML_NODE_SEQ:
                return "a list";
        default:
                return "a scalar";
        }
}

YamlNode *yaml_map_get(const YamlNode *map, const char *key) {
        if (!map || map->type != YAML_NODE_MAP)
                return NULL;
        for (size_t i = 0; i < map->n; i++)
                if (map->keys[i]->type == YAML_NODE_SCALAR && streq(map->keys[i]->value, key))
                        return map->values[i];
        return NULL;
}

/* yaml.v3's limit on alias expansion (decode.go, allowedAliasRatio()): up to 400000 decoded nodes 99% may
 * come through aliases, from 4000000 on 10%, linear in between. */
static bool excessive_aliasing(const Builder *b) {
        double ratio;

        if (b->visits_aliased <= 100 || b->visits <= 1000)
                return false;
        if (b->visits <= 400000)
                ratio = 0.99;
        else if (b->visits >= 4000000)
                ratio = 0.10;
        else
                ratio = 0.99 - 0.89 * (double) (b->visits - 400000) / 3600000.0;
        return (double) b->visits_aliased / (double) b->visits > ratio;
}

static YamlNode *node_new(Builder *b, YamlNodeType type, const yaml_mark_t *mark) {
        YamlDoc *d = b->doc;
        YamlNode *n;

        if (++b->budget > COMPOSE_NODES_MAX) {
                compose_error_set(b->error, -E2BIG, b->file, mark->line + 1, mark->column + 1,
                                  "too many YAML nodes (more than %u)", COMPOSE_NODES_MAX);
                return NULL;
        }
        if (d->n_blocks == 0 || d->used_in_block == YAML_NODES_PER_BLOCK) {
                if (!GREEDY_REALLOC(d->blocks, d->blocks_allocated, d->n_blocks + 1))
                        return NULL;
                d->blocks[d->n_blocks] = new0(YamlNode, YAML_NODES_PER_BLOCK);
                if (!d->blocks[d->n_blocks])
                        return NULL;
                d->n_blocks++;
                d->used_in_block = 0;
        }
        n = &d->blocks[d->n_blocks - 1][d->used_in_block++];
        n->type = type;
        n->line = mark->line + 1;
        n->column = mark->column + 1;
        n->expanded = 1;
        b->visits++;
        return n;
}

static int node_append(YamlNode *parent, YamlNode *key, YamlNode *value) {
        size_t a = parent->allocated;

        if (!GREEDY_REALLOC(parent->values, a, parent->n + 1))
                return -ENOMEM;
        if (parent->type == YAML_NODE_MAP) {
                size_t ak = parent->allocated;
                if (!GREEDY_REALLOC(parent->keys, ak, parent->n + 1))
                        return -ENOMEM;
        }
        parent->allocated = a;
        if (parent->type == YAML_NODE_MAP)
                parent->keys[parent->n] = key;
        parent->values[parent->n++] = value;
        return 0;
}

static bool scalar_is_null(const yaml_event_t *e) {
        const char *v = (const char *) e->data.scalar.value;

        if (e->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
                return false;
        if (e->data.scalar.tag)
                return streq((const char *) e->data.scalar.tag, "tag:yaml.org,2002:null");
        return e->data.scalar.length == 0 || streq(v, "~") || streq(v, "null") || streq(v, "Null") ||
               streq(v, "NULL");
}

static int register_anchor(Builder *b, const yaml_char_t *anchor, YamlNode *n) {
        if (!anchor)
                return 0;
        /* A redefined anchor replaces the old one for later aliases, as YAML says. */
        for (size_t i = 0; i < b->n_anchors; i++)
                if (streq(b->anchors[i].name, (const char *) anchor)) {
                        b->anchors[i].node = n;
                        return 0;
                }
        if (!GREEDY_REALLOC(b->anchors, b->anchors_allocated, b->n_anchors + 1))
                return -ENOMEM;
        b->anchors[b->n_anchors].name = strdup((const char *) anchor);
        if (!b->anchors[b->n_anchors].name)
                return -ENOMEM;
        b->anchors[b->n_anchors++].node = n;
        return 0;
}

static uint32_t fnv1a(const char *s, size_t n) {
        uint32_t h = 2166136261u;
        for (size_t i = 0; i < n; i++)
                h = (h ^ (unsigned char) s[i]) * 16777619u;
        return h;
}

static bool key_equal(const YamlNode *a, const YamlNode *b) {
        return a->type == YAML_NODE_SCALAR && b->type == YAML_NODE_SCALAR && a->hash == b->hash &&
               a->len == b->len && memcmp(a->value, b->value, a->len) == 0;
}

/* Resolves "<<" entries of a finished mapping: explicit keys win, then merged maps in order. */
static int map_resolve_merge(Builder *b, YamlNode *map) {
        YamlNode **keys = NULL, **values = NULL;
        size_t n = 0, ak = 0, av = 0;
        bool any = false;
        int r;

        for (size_t i = 0; i < map->n; i++)
                if (map->keys[i]->type == YAML_NODE_SCALAR && map->keys[i]->plain && streq(map->keys[i]->value, "<<"))
                        any = true;
        if (!any)
                return 0;

        /* pass 0: explicit pairs; pass 1: pairs of merged mappings not already present */
        for (int pass = 0; pass < 2; pass++)
                for (size_t i = 0; i < map->n; i++) {
                        YamlNode *k = map->keys[i], *v = map->values[i];
                        bool is_merge = k->type == YAML_NODE_SCALAR && k->plain && streq(k->value, "<<");

                        if (pass == 0 && !is_merge) {
                                if (!GREEDY_REALLOC(keys, ak, n + 1) || !GREEDY_REALLOC(values, av, n + 1))
                                        goto oom;
                                keys[n] = k;
                                values[n++] = v;
                                continue;
                        }
                        if (pass == 0 || !is_merge)
                                continue;

                        size_t n_sources = v->type == YAML_NODE_SEQ ? v->n : 1;
                        for (size_t s = 0; s < n_sources; s++) {
                                YamlNode *src = v->type == YAML_NODE_SEQ ? v->values[s] : v;

                                if (src->type != YAML_NODE_MAP) {
                                        r = compose_error_set(b->error, -EINVAL, b->file, src->line, src->column,
                                                              "'<<' must merge a mapping or a list of mappings, got %s",
                                                              yaml_node_kind(src));
                                        goto fail;
                                }
                                for (size_t j = 0; j < src->n; j++) {
                                        bool present = false;

                                        for (size_t q = 0; q < n && !present; q++)
                                                present = key_equal(keys[q], src->keys[j]);
                                        if (present)
                                                continue;
                                        if (++b->budget > COMPOSE_NODES_MAX) {
                                                r = compose_error_set(b->error, -E2BIG, b->file, src->line, src->column,
                                                                      "too many YAML nodes (more than %u)",
                                                                      COMPOSE_NODES_MAX);
                                                goto fail;
                                        }
                                        if (!GREEDY_REALLOC(keys, ak, n + 1) || !GREEDY_REALLOC(values, av, n + 1))
                                                goto oom;
                                        keys[n] = src->keys[j];
                                        values[n++] = src->values[j];
                                }
                        }
                }

        free(map->keys);
        free(map->values);
        map->keys = keys;
        map->values = values;
        map->n = n;
        map->allocated = MIN(ak, av);
        return 0;
oom:
        r = -ENOMEM;
fail:
        free(keys);
        free(values);
        return r;
}

static int check_duplicate(Builder *b, YamlNode *map, YamlNode *key) {
        if (key->type != YAML_NODE_SCALAR)
                return compose_error_set(b->error, -EINVAL, b->file, key->line, key->column,
                                         "mapping keys must be scalars, got %s", yaml_node_kind(key));
        if (key->plain && streq(key->value, "<<"))
                return 0;
        /* Quadratic in the size of one mapping; COMPOSE_PROCESSES_MAX keeps that bounded (10^8 compares at
         * worst for a hostile file, and a generated 1000-process file costs ~5·10^5). */
        for (size_t i = 0; i < map->n; i++)
                if (key_equal(map->keys[i], key))
                        return compose_error_set(b->error, -EINVAL, b->file, key->line, key->column,
                                                 "key '%s' is already defined at line %u", key->value,
                                                 map->keys[i]->line);
        return 0;
}

/* Adds a finished node to the open collection on top of the stack (or makes it the root). */
static int attach(Builder *b, YamlNode *n, YamlNode **pending_key) {
        YamlNode *top;

        if (b->depth == 0) {
                b->doc->root = n;
                return 0;
        }
        top = b->stack[b->depth - 1];
        top->expanded += n->expanded;
        if (top->type == YAML_NODE_SEQ)
                return node_append(top, NULL, n);
        if (!pending_key[b->depth - 1]) {
                int r = check_duplicate(b, top, n);
                if (r < 0)
                        return r;
                pending_key[b->depth - 1] = n;
                return 0;
        }
        {
                int r = node_append(top, pending_key[b->depth - 1], n);
                pending_key[b->depth - 1] = NULL;
                return r;
        }
}

static int on_scalar(Builder *b, const yaml_event_t *e, YamlNode **pending_key) {
        YamlDoc *doc = b->doc;
        YamlNode *n;
        int r;

        if (e->data.scalar.length > COMPOSE_STRING_MAX)
                return compose_error_set(b->error, -E2BIG, b->file, e->start_mark.line + 1,
                                         e->start_mark.column + 1,
                                         "string is too long (%zu bytes, limit %u)",
                                         e->data.scalar.length, COMPOSE_STRING_MAX);
        n = node_new(b, YAML_NODE_SCALAR, &e->start_mark);
        if (!n)
                return b->budget > COMPOSE_NODES_MAX ? -E2BIG : -ENOMEM;
        n->value = doc_strndup(doc, (const char *) e->data.scalar.value, e->data.scalar.length);
        if (!n->value)
                return -ENOMEM;
        /* Embedded NULs would silently truncate names and commands; refuse them. */
        if (strlen(n->value) != e->data.scalar.length)
                return compose_error_set(b->error, -EINVAL, b->file, n->line, n->column,
                                         "string contains a NUL character");
        n->len = e->data.scalar.length;
        n->hash = fnv1a(n->value, n->len);
        n->plain = e->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
                   (!e->data.scalar.tag ||
                    !streq((const char *) e->data.scalar.tag, "tag:yaml.org,2002:str"));
        n->is_null = scalar_is_null(e);
        n->complete = true;
        r = register_anchor(b, e->data.scalar.anchor, n);
        if (r >= 0)
                r = attach(b, n, pending_key);
        return r;
}

static int on_alias(Builder *b, const yaml_event_t *e, YamlNode **pending_key) {
        YamlNode *target = NULL;

        for (size_t i = 0; i < b->n_anchors; i++)
                if (streq(b->anchors[i].name, (const char *) e->data.alias.anchor))
                        target = b->anchors[i].node;
        if (!target)
                return compose_error_set(b->error, -EINVAL, b->file, e->start_mark.line + 1,
                                         e->start_mark.column + 1, "unknown anchor '%s' referenced",
                                         (const char *) e->data.alias.anchor);
        if (!target->complete)
                return compose_error_set(b->error, -EINVAL, b->file, e->start_mark.line + 1,
                                         e->start_mark.column + 1,
                                         "anchor '%s' is referenced inside itself",
                                         (const char *) e->data.alias.anchor);
        if (++b->budget > COMPOSE_NODES_MAX)
                return compose_error_set(b->error, -E2BIG, b->file, e->start_mark.line + 1,
                                         e->start_mark.column + 1, "too many YAML nodes (more than %u)",
                                         COMPOSE_NODES_MAX);
        /* A small file whose aliases expand to millions of nodes is refused here, as
         * process-compose refuses it, rather than walked (seconds and hundreds of MB). */
        b->visits += target->expanded;
        b->visits_aliased += target->expanded;
        if (excessive_aliasing(b))
                return compose_error_set(b->error, -E2BIG, b->file, e->start_mark.line + 1,
                                         e->start_mark.column + 1, "document contains excessive aliasing");
        return attach(b, target, pending_key);
}

static int on_collection_start(Builder *b, const yaml_event_t *e, YamlNode **pending_key) {
        YamlNode *n;
        int r;

        if (b->depth >= COMPOSE_DEPTH_MAX)
                return compose_error_set(b->error, -E2BIG, b->file, e->start_mark.line + 1,
                                         e->start_mark.column + 1,
                                         "nesting is too deep (limit %u levels)", COMPOSE_DEPTH_MAX);
        n = node_new(b, e->type == YAML_SEQUENCE_START_EVENT ? YAML_NODE_SEQ : YAML_NODE_MAP,
                     &e->start_mark);
        if (!n)
                return b->budget > COMPOSE_NODES_MAX ? -E2BIG : -ENOMEM;
        r = register_anchor(b, e->type == YAML_SEQUENCE_START_EVENT ? e->data.sequence_start.anchor
                                                                 : e->data.mapping_start.anchor,
                            n);
        if (r < 0)
                return r;
        if (!GREEDY_REALLOC(b->stack, b->stack_allocated, b->depth + 1))
                return -ENOMEM;
        b->stack[b->depth] = n;
        pending_key[b->depth] = NULL;
        b->depth++;
        return r;
}

static int on_collection_end(Builder *b, YamlNode **pending_key) {
        YamlNode *n;
        int r;

        n = b->stack[--b->depth];
        if (n->type == YAML_NODE_MAP) {
                r = map_resolve_merge(b, n);
                if (r < 0)
                        return r;
        }
        n->complete = true;
        return attach(b, n, pending_key);
}

int yaml_doc_parse(const char *text, size_t size, const char *file_name, YamlDoc **ret, ComposeError *ret_error) {
        _cleanup_(yaml_doc_freep) YamlDoc *doc = NULL;
        YamlNode *pending_key[COMPOSE_DEPTH_MAX + 1] = {};
        yaml_parser_t parser;
        Builder b = { .file = file_name, .error = ret_error };
        bool done = false, seen_document = false;
        int r = 0;

        if (size > COMPOSE_FILE_SIZE_MAX)
                return compose_error_set(ret_error, -E2BIG, file_name, 0, 0,
                                         "file is too large (%zu bytes, limit %u)", size, COMPOSE_FILE_SIZE_MAX);

        doc = new0(YamlDoc, 1);
        if (!doc)
                return -ENOMEM;
        b.doc = doc;

        if (!yaml_parser_initialize(&parser))
                return -ENOMEM;
        yaml_parser_set_input_string(&parser, (const unsigned char *) text, size);

        while (!done) {
                yaml_event_t e;

                if (!yaml_parser_parse(&parser, &e)) {
                        const yaml_mark_t *m = parser.problem_mark.line || parser.problem_mark.column
                                                       ? &parser.problem_mark : &parser.context_mark;
                        if (parser.error == YAML_MEMORY_ERROR)
                                r = -ENOMEM;
                        else
                                r = compose_error_set(ret_error, -EINVAL, file_name, m->line + 1, m->column + 1,
                                                      "YAML syntax error: %s%s%s", strempty(parser.problem),
                                                      parser.context ? " " : "", strempty(parser.context));
                        break;
                }

                switch (e.type) {
                case YAML_STREAM_END_EVENT:
                        done = true;
                        break;

                case YAML_DOCUMENT_START_EVENT:
                        if (seen_document) {
                                /* yaml.v3 Unmarshal reads the first document only. */
                                done = true;
                                break;
                        }
                        seen_document = true;
                        break;

                case YAML_SCALAR_EVENT:
                        r = on_scalar(&b, &e, pending_key);
                        break;

                case YAML_ALIAS_EVENT:
                        r = on_alias(&b, &e, pending_key);
                        break;

                case YAML_SEQUENCE_START_EVENT:
                case YAML_MAPPING_START_EVENT:
                        r = on_collection_start(&b, &e, pending_key);
                        break;

                case YAML_SEQUENCE_END_EVENT:
                case YAML_MAPPING_END_EVENT:
                        r = on_collection_end(&b, pending_key);
                        break;

                default:
                        break;
                }

                yaml_event_delete(&e);
                if (r < 0)
                        break;
        }

        yaml_parser_delete(&parser);
        for (size_t i = 0; i < b.n_anchors; i++)
                free(b.anchors[i].name);
        free(b.anchors);
        free(b.stack);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(doc);
        return 0;
}
