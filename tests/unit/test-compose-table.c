/* The compose field table engine (src/compose/compose-table.h): every operation on a test struct with a
 * field of each kind, and a new process key that needs nothing but its row. */
#include <stddef.h>
#include <string.h>

#include "compose/compose-fields.h"
#include "compose/compose-json.h"
#include "compose/compose-yaml.h"
#include "compose/compose.h"
#include "shared/strv.h"
#include "tests.h"

typedef struct Leaf {
        char *s;
        int i;
} Leaf;

typedef struct Widget {
        char *str;
        int num;
        bool flag;
        char **list;
        char **tags;
        char **env;
        ComposeKV *map;
        size_t n_map;
        ComposeKV *vars;
        size_t n_vars;
        char *any;
        Leaf inner;
        Leaf *obj;
        Leaf *items;
        size_t n_items;
        char *kept;
        char *always;
        ComposePos pos_str;
} Widget;

static const ComposeField leaf_rows[] = {
        ROW("s", "s", Leaf, STRING, s),
        ROW("i", "i", Leaf, INT, i),
};
static const COMPOSE_TABLE(leaf_table, Leaf, leaf_rows);

static const ComposeField widget_rows[] = {
        ROW("str", "str", Widget, STRING, str, POS(Widget, pos_str)),
        ROW("num", "num", Widget, INT, num),
        ROW("flag", "flag", Widget, BOOL, flag),
        ROW("list", "list", Widget, STRV, list, APPEND),
        ROW("tags", "tags", Widget, STRV, tags, REPLACE),
        ROW("env", "env", Widget, ENV, env),
        ROW("map", "map", Widget, KV, map, COUNT(Widget, n_map)),
        ROW("vars", "vars", Widget, VARS, vars, COUNT(Widget, n_vars)),
        ROW("any", "any", Widget, JSON_TEXT, any),
        ROW("inner", "inner", Widget, STRUCT, inner, SUB(leaf_table)),
        ROW("obj", "obj", Widget, OBJECT, obj, SUB(leaf_table)),
        ROW("items", "items", Widget, ARRAY, items, COUNT(Widget, n_items), SUB(leaf_table)),
        ROW("kept", "kept", Widget, STRING, kept, KEEP),
        ROW("always", "always", Widget, STRING, always, ALWAYS),
        NO_KEY(Widget, POS, pos_str),
};
static const COMPOSE_TABLE(widget_table, Widget, widget_rows);

static void widget_decode(const char *yaml, Widget *w) {
        _cleanup_(yaml_doc_freep) YamlDoc *doc = NULL;
        _cleanup_(compose_project_freep) ComposeProject *project = new0(ComposeProject, 1);
        ComposeFindings findings = {};
        ComposeError e = {};
        ComposeDecoder d = { .file = "w.yaml", .error = &e, .findings = &findings, .project = project };

        ASSERT_NOT_NULL(project);
        ASSERT_OK(yaml_doc_parse(yaml, strlen(yaml), "w.yaml", &doc, &e));
        if (compose_table_decode_yaml(&d, &widget_table, doc->root, w) < 0)
                TEST_FAIL("decode: %s", strempty(e.message));
        compose_findings_done(&findings);
}

static char *widget_json(const Widget *w) {
        cJSON *j = compose_table_to_json(&widget_table, w);
        char *s;
        ASSERT_NOT_NULL(j);
        s = cJSON_PrintUnformatted(j);
        cJSON_Delete(j);
        ASSERT_NOT_NULL(s);
        return s;
}

static const char full[] =
        "str: hello\n"
        "num: 0x10\n"
        "flag: yes\n"
        "list: [a, b]\n"
        "tags: [t1]\n"
        "env: [B=1, A=2]\n"
        "map: {k1: v1, k2: v2}\n"
        "vars: {n: 5, s: text, l: [1]}\n"
        "any: {x: [1, true]}\n"
        "inner: {s: in, i: 3, unknown: ignored}\n"
        "obj: {s: o}\n"
        "items: [{s: i1}, {i: 2}]\n"
        "kept: base\n";

TEST(decode_and_encode_every_kind) {
        Widget w = {};
        _cleanup_free_ char *s = NULL;

        widget_decode(full, &w);
        ASSERT_STREQ(w.str, "hello");
        ASSERT_EQ(w.pos_str.line, 1u);
        ASSERT_EQ(w.pos_str.column, 6u);
        ASSERT_EQ(w.num, 16);
        ASSERT_TRUE(w.flag);
        ASSERT_EQ(w.n_map, 2u);
        ASSERT_EQ(w.n_items, 2u);
        ASSERT_EQ(w.items[1].i, 2);
        s = widget_json(&w);
        ASSERT_STREQ(s, "{\"str\":\"hello\",\"num\":16,\"flag\":true,\"list\":[\"a\",\"b\"],\"tags\":[\"t1\"],"
                        "\"env\":[\"B=1\",\"A=2\"],\"map\":{\"k1\":\"v1\",\"k2\":\"v2\"},"
                        "\"vars\":{\"n\":5,\"s\":\"text\",\"l\":[1]},\"any\":{\"x\":[1,true]},"
                        "\"inner\":{\"s\":\"in\",\"i\":3},\"obj\":{\"s\":\"o\"},"
                        "\"items\":[{\"s\":\"i1\"},{\"i\":2}],\"kept\":\"base\",\"always\":\"\"}");
        compose_table_free(&widget_table, &w);
}

TEST(empty_values_are_omitted_unless_always) {
        Widget w = {};
        _cleanup_free_ char *s = widget_json(&w);

        /* a STRUCT is always an object; ALWAYS rows are always there */
        ASSERT_STREQ(s, "{\"inner\":{},\"always\":\"\"}");
}

TEST(yaml_type_errors_name_key_and_position) {
        _cleanup_(yaml_doc_freep) YamlDoc *doc = NULL;
        _cleanup_(compose_project_freep) ComposeProject *project = new0(ComposeProject, 1);
        ComposeFindings findings = {};
        ComposeError e = {};
        ComposeDecoder d = { .file = "w.yaml", .error = &e, .findings = &findings, .project = project };
        Widget w = {};
        const char *text = "str: ok\nnum: [1]\n";

        ASSERT_OK(yaml_doc_parse(text, strlen(text), "w.yaml", &doc, &e));
        ASSERT_ERROR(compose_table_decode_yaml(&d, &widget_table, doc->root, &w), EINVAL);
        ASSERT_STREQ(e.message, "'num' must be an integer, got a list");
        ASSERT_EQ(e.line, 2u);
        ASSERT_EQ(e.column, 6u);
        compose_error_done(&e);
        compose_table_free(&widget_table, &w);
}

TEST(json_round_trip_and_errors) {
        Widget w = {}, back = {};
        _cleanup_free_ char *s = NULL, *s2 = NULL, *err = NULL;
        cJSON *j;

        widget_decode(full, &w);
        s = widget_json(&w);
        j = cJSON_Parse(s);
        ASSERT_OK(compose_table_decode_json(&widget_table, j, &back, &err));
        cJSON_Delete(j);
        s2 = widget_json(&back);
        ASSERT_STREQ(s, s2);
        ASSERT_TRUE(compose_table_equal(&widget_table, &w, &back));
        compose_table_free(&widget_table, &back);

        /* keys match case-insensitively, as Go's encoding/json; types are checked */
        j = cJSON_Parse("{\"STR\":\"x\",\"Num\":1.5}");
        ASSERT_ERROR(compose_table_decode_json(&widget_table, j, &back, &err), EINVAL);
        cJSON_Delete(j);
        ASSERT_STREQ(back.str, "x");
        ASSERT_STREQ(err, "'num' must be an integer");
        compose_table_free(&widget_table, &back);
        compose_table_free(&widget_table, &w);
}

TEST(merge_rules) {
        Widget b = {}, o = {};
        _cleanup_free_ char *s = NULL;

        widget_decode(full, &b);
        widget_decode("str: \"\"\n"              /* empty: the base stays */
                      "num: 0\n"                 /* zero: the base stays */
                      "flag: false\n"            /* bools are OR-ed */
                      "list: [c]\n"              /* APPEND */
                      "tags: [t2, t3]\n"         /* REPLACE */
                      "env: [C=3, B=override]\n" /* by key, sorted */
                      "map: {k2: new, k3: v3}\n" /* by key */
                      "inner: {i: 4}\n"          /* field by field */
                      "obj: {i: 7}\n"
                      "items: [{s: only}]\n"     /* replaced as a whole */
                      "kept: other\n",           /* KEEP */
                      &o);
        ASSERT_OK(compose_table_merge(&widget_table, &b, &o));
        s = widget_json(&b);
        ASSERT_STREQ(s, "{\"str\":\"hello\",\"num\":16,\"flag\":true,\"list\":[\"a\",\"b\",\"c\"],"
                        "\"tags\":[\"t2\",\"t3\"],\"env\":[\"A=2\",\"B=override\",\"C=3\"],"
                        "\"map\":{\"k1\":\"v1\",\"k2\":\"new\",\"k3\":\"v3\"},"
                        "\"vars\":{\"n\":5,\"s\":\"text\",\"l\":[1]},\"any\":{\"x\":[1,true]},"
                        "\"inner\":{\"s\":\"in\",\"i\":4},\"obj\":{\"s\":\"o\",\"i\":7},"
                        "\"items\":[{\"s\":\"only\"}],\"kept\":\"base\",\"always\":\"\"}");
        /* a value that overrides brings its position */
        compose_table_free(&widget_table, &o);
        o = (Widget) {};
        widget_decode("\n\nstr: moved\n", &o);
        ASSERT_OK(compose_table_merge(&widget_table, &b, &o));
        ASSERT_STREQ(b.str, "moved");
        ASSERT_EQ(b.pos_str.line, 3u);
        compose_table_free(&widget_table, &o);
        compose_table_free(&widget_table, &b);
}

TEST(copy_is_deep_and_equal_sees_every_field) {
        Widget w = {};

        widget_decode(full, &w);
        for (size_t i = 0; i < widget_table.n_fields; i++) {
                const ComposeField *f = &widget_table.fields[i];
                Widget c = {};
                Leaf extra = { .s = (char *) "changed" };

                ASSERT_OK(compose_table_copy(&widget_table, &c, &w));
                ASSERT_TRUE(compose_table_equal(&widget_table, &w, &c));
                ASSERT_TRUE(c.str != w.str && c.list != w.list && c.obj != w.obj && c.items != w.items &&
                            c.map != w.map);
                ASSERT_STREQ(c.pos_str.file, "w.yaml");
                /* change this one field of the copy: the two must differ (unless the row has no JSON key) */
                switch (f->type) {
                case COMPOSE_FIELD_STRING:
                case COMPOSE_FIELD_JSON_TEXT:
                        ASSERT_OK(free_and_strdup(compose_field_ptr(f, &c), "\"changed\""));
                        break;
                case COMPOSE_FIELD_INT:
                        (*(int *) compose_field_ptr(f, &c))++;
                        break;
                case COMPOSE_FIELD_BOOL:
                        *(bool *) compose_field_ptr(f, &c) = !*(bool *) compose_field_ptr(f, &c);
                        break;
                case COMPOSE_FIELD_STRV:
                case COMPOSE_FIELD_ENV:
                        ASSERT_OK(strv_extend(compose_field_ptr(f, &c), "X=more"));
                        break;
                case COMPOSE_FIELD_KV:
                case COMPOSE_FIELD_VARS:
                        ASSERT_OK(compose_kv_set(compose_field_ptr(f, &c), compose_field_count(f, &c), "k1", "other",
                                                 false));
                        break;
                case COMPOSE_FIELD_STRUCT:
                        ((Leaf *) compose_field_ptr(f, &c))->i++;
                        break;
                case COMPOSE_FIELD_OBJECT:
                        (*(Leaf **) compose_field_ptr(f, &c))->i++;
                        break;
                case COMPOSE_FIELD_ARRAY:
                        ASSERT_OK(free_and_strdup(&(*(Leaf **) compose_field_ptr(f, &c))[0].s, extra.s));
                        break;
                default:
                        break;
                }
                if (f->json)
                        ASSERT_FALSE(compose_table_equal(&widget_table, &w, &c));
                compose_table_free(&widget_table, &c);
        }
        compose_table_free(&widget_table, &w);
}

TEST(maps_compare_in_any_order) {
        Widget a = {}, b = {};

        widget_decode("map: {k1: v1, k2: v2}\nvars: {x: 1, y: two}\n", &a);
        widget_decode("map: {k2: v2, k1: v1}\nvars: {y: two, x: 1}\n", &b);
        ASSERT_TRUE(compose_table_equal(&widget_table, &a, &b));
        compose_table_free(&widget_table, &b);
        b = (Widget) {};
        widget_decode("map: {k2: v2, k1: v1}\nvars: {y: two, x: \"1\"}\n", &b);
        ASSERT_FALSE(compose_table_equal(&widget_table, &a, &b));
        compose_table_free(&widget_table, &a);
        compose_table_free(&widget_table, &b);
}

/* ---- a new process key: one row, nothing else ---- */

typedef struct NewKeys {
        char *new_key;
} NewKeys;

static const ComposeField new_rows[] = {
        ROW("new_key", "newKey", NewKeys, STRING, new_key),
};
static const COMPOSE_TABLE(new_table, NewKeys, new_rows);

static const char *new_key_of(const ComposeProcess *p) {
        return p->extra ? ((NewKeys *) p->extra)->new_key : NULL;
}

static int load(const char *text, ComposeProject **ret, char **ret_msg) {
        ComposeLoadOptions o = { .disable_dotenv = true, .strict = true };
        ComposeError e = {};
        int r;

        ASSERT_NOT_NULL(o.working_directory = strdup("/tmp"));
        ASSERT_OK(strv_extend(&o.environ, "PATH=/usr/bin:/bin"));
        r = compose_load_string(text, strlen(text), "p.yaml", &o, ret, &e);
        *ret_msg = r < 0 ? compose_error_format(&e) : NULL;
        compose_error_done(&e);
        compose_load_options_done(&o);
        return r;
}

static const char new_key_project[] = "processes:\n"
                                      "  base:\n    command: x\n    new_key: from-base\n"
                                      "  child:\n    extends: base\n"
                                      "  other:\n    extends: base\n    new_key: own\n";

TEST(a_new_key_needs_only_its_row) {
        _cleanup_(compose_project_freep) ComposeProject *p = NULL;
        _cleanup_free_ char *msg = NULL, *s = NULL, *err = NULL;
        ComposeProcess *copy = NULL, *back = NULL;
        cJSON *j;

        /* without the row: an unknown key (an error in a strict project) */
        ASSERT_ERROR(load(new_key_project, &p, &msg), EINVAL);
        ASSERT_TRUE(strstr(msg, "unknown key 'new_key' found in process 'base'"));
        msg = mfree(msg);

        compose_table_register_extra_process_rows(&new_table);

        /* decoded, and merged by `extends` (override wins, an absent value inherits) */
        ASSERT_OK(load(new_key_project, &p, &msg));
        ASSERT_STREQ(new_key_of(compose_project_find_process(p, "base")), "from-base");
        ASSERT_STREQ(new_key_of(compose_project_find_process(p, "child")), "from-base");
        ASSERT_STREQ(new_key_of(compose_project_find_process(p, "other")), "own");

        /* encoded in ProcessConfig and the Project */
        j = compose_process_to_json(compose_project_find_process(p, "other"));
        ASSERT_STREQ(cJSON_GetObjectItemCaseSensitive(j, "newKey")->valuestring, "own");
        /* and decoded from it (POST /process) */
        ASSERT_OK(compose_process_from_json(j, &back, &err));
        cJSON_Delete(j);
        ASSERT_STREQ(new_key_of(back), "own");
        j = compose_project_to_json(p);
        s = cJSON_PrintUnformatted(j);
        cJSON_Delete(j);
        ASSERT_TRUE(strstr(s, "\"newKey\":\"from-base\""));
        /* and written by `pcctl config` */
        free(s);
        ASSERT_OK(compose_project_format_yaml(p, &s));
        ASSERT_TRUE(strstr(s, "new_key: \"own\""));

        /* copied (deeply) and compared */
        ASSERT_OK(compose_process_dup(compose_project_find_process(p, "base"), &copy));
        ASSERT_STREQ(new_key_of(copy), "from-base");
        ASSERT_TRUE(new_key_of(copy) != new_key_of(compose_project_find_process(p, "base")));
        ASSERT_TRUE(compose_process_equal(copy, compose_project_find_process(p, "base")));
        ASSERT_OK(free_and_strdup(&((NewKeys *) copy->extra)->new_key, "changed"));
        ASSERT_FALSE(compose_process_equal(copy, compose_project_find_process(p, "base")));

        /* freed: the block and its string go with the process (the leak checkers of the sanitizer runs
         * would see them otherwise) */
        compose_table_free(&compose_process_table, copy);
        ASSERT_NULL(copy->extra);
        free(copy);
        compose_process_free(back);
        p = compose_project_free(p);

        compose_table_register_extra_process_rows(NULL);
}

DEFINE_TEST_MAIN();
