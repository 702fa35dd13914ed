/* libFuzzer target: any bytes through the whole loader (substitution, YAML, merge, replicas, templates,
 * validation) and, when it loads, through the JSON shapes and YAML dump. It must never crash, hang or leak. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "compose/compose-json.h"
#include "compose/compose.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static char *env[] = { "PATH=/usr/bin:/bin", "HOME=/nonexistent", "FOO=bar", NULL };
        ComposeLoadOptions opts = {
                .disable_dotenv = true,
                .working_directory = (char *) "/nonexistent-pcctl-fuzz",
                .environ = env,
        };
        ComposeProject *p = NULL;
        ComposeError e = {};
        char *text;

        /* keep inputs small enough that one run stays fast */
        if (size > 256 * 1024)
                return 0;
        text = malloc(size + 1);
        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = 0;

        if (compose_load_string(text, size, "fuzz.yaml", &opts, &p, &e) >= 0 && p->n_processes > 64) {
                /* replicas make big projects out of small inputs; loading them was the test, the
                 * round trips below would only slow the fuzzer down */
                compose_project_free(p);
        } else if (p) {
                cJSON *j = compose_project_to_json(p);
                char *s = NULL;

                if (j) {
                        ComposeProject *back = NULL;
                        char *err = NULL;
                        /* the Project JSON must load back (POST /project) */
                        (void) compose_project_from_json(j, &back, &err);
                        compose_project_free(back);
                        free(err);
                        cJSON_Delete(j);
                }
                (void) compose_project_format_yaml(p, &s);
                free(s);
                if (p->n_processes > 0) {
                        char **env2 = NULL;
                        (void) compose_process_environment(p, p->processes[0], env, &env2, NULL);
                        for (char **k = env2; k && *k; k++)
                                free(*k);
                        free(env2);
                        (void) compose_scale(p, p->processes[0]->name, 3, NULL, NULL, NULL, NULL);
                }
                compose_project_free(p);
        } else {
                char *m = compose_error_format(&e);
                free(m);
        }
        compose_error_done(&e);
        free(text);
        return 0;
}
