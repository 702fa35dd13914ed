/* Fuzz target: every client renderer on arbitrary JSON, as a broken or hostile server could send it. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "client/client-render.h"
#include "shared/strv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_strv_free_ char **names = NULL;
        _cleanup_free_ char *msg = NULL, *text = NULL, *dur = NULL;
        static FILE *null;
        cJSON *j, *arr, *c;
        bool ready;
        int ex;

        if (size > 1024 * 1024)
                return 0;
        if (!null)
                null = fopen("/dev/null", "we");
        j = cJSON_ParseWithLength((const char *) data, size);
        if (!j)
                return 0;

        (void) client_json_print_go(null, j, "\t");
        (void) client_graph_print_ascii(null, j);
        (void) client_graph_print_mermaid(null, j);
        (void) client_graph_print_json(null, j);
        (void) client_project_state_print(null, j, true);
        (void) client_update_print_table(null, j);
        (void) client_go_duration_seconds(cJSON_IsNumber(j) ? j->valuedouble : 0, &dur);

        /* a stop answer for the names it mentions, plus one it doesn't */
        cJSON_ArrayForEach(c, j)
                if (c->string && strv_extend(&names, c->string) < 0)
                        break;
        (void) strv_extend(&names, "missing");
        if (client_stop_result(j, names, true, true, &text, &ex) >= 0)
                text = mfree(text);
        (void) client_stop_result(j, names, false, false, &text, &ex);

        /* states: the input itself or its "data" member */
        arr = cJSON_IsArray(j) ? j : cJSON_GetObjectItemCaseSensitive(j, "data");
        if (cJSON_IsArray(arr)) {
                client_states_sort(arr);
                (void) client_states_print_table(null, arr);
                (void) client_not_ready_message(arr, &msg);
                cJSON_ArrayForEach(c, arr) {
                        _cleanup_free_ char *reason = NULL, *ns = NULL;
                        (void) client_state_ready(c, &ready, &reason);
                        (void) client_state_namespace(c, &ns);
                }
        }
        cJSON_Delete(j);
        return 0;
}
