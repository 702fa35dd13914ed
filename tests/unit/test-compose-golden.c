/* Golden tests of the compose model's encodings: a project that sets every key (tests/fixtures/compose/golden)
 * is loaded, merged, expanded and then written as process-compose's Project JSON (GET /project, `pcctl config
 * -o json`), as ProcessConfig JSON (GET /process/info) and as YAML (`pcctl config`). The output must match
 * the stored files byte for byte, and copying or decoding the JSON again must give the same bytes.
 *
 * To regenerate the files after a deliberate change: PCCTL_UPDATE_GOLDEN=1 build/tests/test-compose-golden,
 * then review the diff. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compose/compose-json.h"
#include "compose/compose.h"
#include "shared/strv.h"
#include "tests.h"

#define STRV_MAKE(...) ((char *[]) { __VA_ARGS__, NULL })

static char *base_env[] = { "PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/root", NULL };

static const char *golden_dir(void) {
        return test_fixture("compose/golden");
}

/* Replaces every occurrence of the fixtures directory with @DIR@, so that the files do not depend on where
 * the tree is checked out. */
static char *unplace(const char *s) {
        const char *dir = golden_dir(), *hit;
        size_t dl = strlen(dir);
        char *out = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&out, &size);

        ASSERT_NOT_NULL(f);
        while ((hit = strstr(s, dir))) {
                fwrite(s, 1, hit - s, f);
                fputs("@DIR@", f);
                s = hit + dl;
        }
        fputs(s, f);
        ASSERT_TRUE(fclose(f) == 0);
        return out;
}

static char *read_all(const char *path) {
        FILE *f = fopen(path, "re");
        char *buf = NULL;
        size_t size = 0;
        FILE *m;
        char tmp[4096];
        size_t n;

        if (!f)
                return NULL;
        m = open_memstream(&buf, &size);
        ASSERT_NOT_NULL(m);
        while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
                fwrite(tmp, 1, n, m);
        fclose(f);
        ASSERT_TRUE(fclose(m) == 0);
        return buf;
}

static void assert_golden(const char *name, const char *text) {
        _cleanup_free_ char *path = NULL, *expected = NULL, *actual = unplace(text);

        ASSERT_TRUE(asprintf(&path, "%s/%s", golden_dir(), name) >= 0);
        if (getenv("PCCTL_UPDATE_GOLDEN")) {
                FILE *f = fopen(path, "we");
                ASSERT_NOT_NULL(f);
                fputs(actual, f);
                ASSERT_TRUE(fclose(f) == 0);
                return;
        }
        expected = read_all(path);
        if (!expected)
                TEST_FAIL("%s is missing (PCCTL_UPDATE_GOLDEN=1 writes it)", path);
        if (!streq(expected, actual)) {
                size_t i = 0;
                while (expected[i] && expected[i] == actual[i])
                        i++;
                TEST_FAIL("%s differs at byte %zu:\n--- expected: %.120s\n--- actual:   %.120s", name, i,
                          expected + i, actual + i);
        }
}

static ComposeProject *load_files(char **files) {
        ComposeLoadOptions o = { .disable_dotenv = true };
        ComposeProject *p = NULL;
        ComposeError e = {};

        ASSERT_NOT_NULL(o.working_directory = strdup(golden_dir()));
        ASSERT_NOT_NULL(o.environ = strv_copy(base_env));
        ASSERT_NOT_NULL(o.files = strv_copy(files));
        if (compose_load(&o, &p, &e) < 0) {
                _cleanup_free_ char *m = compose_error_format(&e);
                TEST_FAIL("load: %s", strempty(m));
        }
        compose_load_options_done(&o);
        return p;
}

static char *print(cJSON *j) {
        char *s;
        ASSERT_NOT_NULL(j);
        s = cJSON_Print(j);
        ASSERT_NOT_NULL(s);
        cJSON_Delete(j);
        return s;
}

static void drop_key(cJSON *j, const char *key) {
        cJSON *i;
        cJSON_DeleteItemFromObjectCaseSensitive(j, key);
        cJSON_ArrayForEach(i, j)
                if (cJSON_IsObject(i) || cJSON_IsArray(i))
                        drop_key(i, key);
}

/* The JSON decoders do not read monitorSilenceThreshold (yet), so a round trip loses it. */
static char *without_unread_keys(cJSON *j) {
        ASSERT_NOT_NULL(j);
        drop_key(j, "monitorSilenceThreshold");
        return print(j);
}

static void check_project(const char *stem, char **files) {
        _cleanup_(compose_project_freep) ComposeProject *p = load_files(files);
        _cleanup_(compose_project_freep) ComposeProject *back = NULL;
        _cleanup_free_ char *json = NULL, *yaml = NULL, *name = NULL, *again = NULL, *err = NULL;
        cJSON *j;

        /* Project JSON (GET /project, pcctl config -o json), which embeds every ProcessConfig */
        json = print(compose_project_to_json(p));
        ASSERT_TRUE(asprintf(&name, "%s.project.json", stem) >= 0);
        assert_golden(name, json);

        /* YAML (pcctl config) */
        ASSERT_OK(compose_project_format_yaml(p, &yaml));
        free(name);
        ASSERT_TRUE(asprintf(&name, "%s.config.yaml", stem) >= 0);
        assert_golden(name, yaml);

        for (size_t i = 0; i < p->n_processes; i++) {
                _cleanup_free_ char *a = print(compose_process_to_json(p->processes[i])), *b = NULL, *c = NULL;
                _cleanup_free_ char *perr = NULL;
                ComposeProcess *copy = NULL, *decoded = NULL;
                cJSON *pj;

                /* a deep copy encodes the same */
                ASSERT_OK(compose_process_dup(p->processes[i], &copy));
                b = print(compose_process_to_json(copy));
                ASSERT_STREQ(a, b);
                compose_process_free(copy);

                /* ProcessConfig decodes to the same process (POST /process) */
                pj = cJSON_Parse(a);
                ASSERT_NOT_NULL(pj);
                ASSERT_OK(compose_process_from_json(pj, &decoded, &perr));
                cJSON_Delete(pj);
                c = print(compose_process_to_json(decoded));
                free(a);
                a = without_unread_keys(compose_process_to_json(p->processes[i]));
                ASSERT_STREQ(a, c);
                compose_process_free(decoded);
        }

        /* Project JSON decodes to the same project (POST /project) */
        j = cJSON_Parse(json);
        ASSERT_NOT_NULL(j);
        ASSERT_OK(compose_project_from_json(j, &back, &err));
        cJSON_Delete(j);
        again = print(compose_project_to_json(back));
        free(json);
        json = without_unread_keys(compose_project_to_json(p));
        ASSERT_STREQ(json, again);
}

TEST(golden_rich_base) {
        check_project("rich-base", STRV_MAKE("rich-base.yaml"));
}

TEST(golden_rich_merged) {
        check_project("rich-merged", STRV_MAKE("rich-base.yaml", "rich-override.yaml"));
}

DEFINE_TEST_MAIN();
