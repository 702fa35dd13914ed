/* Internal: a YAML document as a small tree with positions, built from libyaml's event stream.
 *
 * We build our own tree rather than use libyaml's document API so that every limit is ours: nesting depth,
 * node count, scalar length, and aliases. An alias is a pointer to the anchored node (shared, never copied),
 * so walking a document with aliases can visit far more nodes than it holds; walkers count visits against
 * COMPOSE_NODES_MAX (yaml_budget_visit()). Merge keys ("<<: *base") are resolved while building: the merged
 * pairs are appended after the explicit ones, skipping keys the mapping defines itself (yaml.v3 semantics).
 * Duplicate keys are an error, as in yaml.v3. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compose/compose.h"

typedef enum YamlNodeType {
        YAML_NODE_SCALAR,
        YAML_NODE_MAP,
        YAML_NODE_SEQ,
} YamlNodeType;

typedef struct YamlNode YamlNode;
struct YamlNode {
        YamlNodeType type;
        unsigned line, column;   /* 1-based */
        /* scalar */
        char *value;
        size_t len;
        bool plain;              /* plain (unquoted) style, no explicit !!str tag */
        bool is_null;            /* plain null, ~, empty */
        uint32_t hash;           /* of the scalar text, to compare mapping keys quickly */
        /* map: keys[i] → values[i]; seq: values[i] */
        YamlNode **keys;
        YamlNode **values;
        size_t n;
        size_t allocated;
        bool complete;           /* the closing event was seen (guards self-referencing aliases) */
        size_t expanded;         /* nodes a walk from here visits, aliases expanded (aliasing ratio) */
};

typedef struct YamlDoc {
        YamlNode *root;          /* NULL for an empty document */
        /* Nodes and scalar text live in arenas: a 1000-process file has ~50 000 nodes, and one malloc/free
         * pair per node and per string was a third of the load time. */
        YamlNode **blocks;       /* blocks of YAML_NODES_PER_BLOCK nodes */
        size_t n_blocks, blocks_allocated;
        size_t used_in_block;    /* nodes used in the last block */
        char **chunks;           /* string storage */
        size_t n_chunks, chunks_allocated;
        size_t chunk_used, chunk_size;
} YamlDoc;

/* Parses text (size bytes) into *ret. On a syntax or limit error, fills ret_error (file set to file_name).
 * Returns 0, -EINVAL (syntax), -E2BIG (limits), -ENOMEM. */
int yaml_doc_parse(const char *text, size_t size, const char *file_name, YamlDoc **ret, ComposeError *ret_error);
YamlDoc *yaml_doc_free(YamlDoc *d);
DEFINE_TRIVIAL_CLEANUP_FUNC(YamlDoc *, yaml_doc_free);

/* The value for key in a map, or NULL. */
YamlNode *yaml_map_get(const YamlNode *map, const char *key);

/* "a string", "a mapping", "a list" for messages. */
const char *yaml_node_kind(const YamlNode *n);
