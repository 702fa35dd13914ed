/* Rendering of API answers: readiness predicate, stop results, tables, graphs, project state. */
#include <stdio.h>
#include <stdlib.h>

#include "client/client-render.h"
#include "shared/strv.h"
#include "tests.h"

static cJSON *load_fixture(const char *name) {
        _cleanup_free_ char *buf = NULL;
        size_t n = 0, allocated = 0;
        FILE *f = fopen(test_fixture(name), "re");
        cJSON *j;
        size_t k;

        ASSERT_NOT_NULL(f);
        for (;;) {
                ASSERT_NOT_NULL(greedy_realloc((void **) &buf, &allocated, n + 4096, 1));
                k = fread(buf + n, 1, 4096, f);
                n += k;
                if (k == 0)
                        break;
        }
        fclose(f);
        j = cJSON_ParseWithLength(buf, n);
        ASSERT_NOT_NULL(j);
        return j;
}

static cJSON *parse(const char *s) {
        cJSON *j = cJSON_Parse(s);
        ASSERT_NOT_NULL(j);
        return j;
}

/* Runs a FILE writer into a string. */
#define CAPTURE(out, call)                                                      \
        do {                                                                    \
                size_t _n_ = 0;                                                 \
                FILE *_f_ = open_memstream(&(out), &_n_);                       \
                ASSERT_NOT_NULL(_f_);                                           \
                ASSERT_OK(call);                                                \
                ASSERT_EQ(fclose(_f_), 0);                                      \
        } while (0)
#define F _f_

static void check_ready(const char *json, bool expect_ready, const char *expect_reason) {
        cJSON *j = parse(json);
        _cleanup_free_ char *reason = NULL;
        bool ready;

        ASSERT_OK(client_state_ready(j, &ready, &reason));
        if (ready != expect_ready)
                TEST_FAIL("%s: expected %s", json, expect_ready ? "ready" : "not ready");
        if (expect_reason)
                ASSERT_STREQ(reason, expect_reason);
        else if (reason)
                TEST_FAIL("%s: unexpected reason '%s'", json, reason);
        cJSON_Delete(j);
}

TEST(ready_predicate) {
        /* running, no probe, unknown health: ready */
        check_ready("{\"status\":\"Running\",\"is_ready\":\"-\",\"has_ready_probe\":false,\"exit_code\":0}", true, NULL);
        /* with a probe, "-" is not enough and reads as Unknown */
        check_ready("{\"status\":\"Running\",\"is_ready\":\"-\",\"has_ready_probe\":true,\"exit_code\":0}", false,
                    "health is Unknown");
        check_ready("{\"status\":\"Running\",\"is_ready\":\"Not Ready\",\"has_ready_probe\":true,\"exit_code\":0}",
                    false, "health is Not Ready");
        check_ready("{\"status\":\"Running\",\"is_ready\":\"Ready\",\"has_ready_probe\":true,\"exit_code\":0}", true,
                    NULL);
        /* no probe but a health that is neither Ready nor "-" */
        check_ready("{\"status\":\"Running\",\"is_ready\":\"Not Ready\",\"has_ready_probe\":false,\"exit_code\":0}",
                    false, "health is Not Ready");
        /* statuses that are never ready */
        check_ready("{\"status\":\"Pending\",\"is_ready\":\"-\",\"exit_code\":0}", false, "status is Pending");
        check_ready("{\"status\":\"Scheduled\",\"is_ready\":\"-\",\"exit_code\":0}", false, "status is Scheduled");
        check_ready("{\"status\":\"Watching\",\"is_ready\":\"-\",\"exit_code\":0}", false, "status is Watching");
        check_ready("{\"status\":\"Terminating\",\"is_ready\":\"-\",\"exit_code\":0}", false, "status is Terminating");
        check_ready("{\"status\":\"Error\",\"is_ready\":\"-\",\"exit_code\":0}", false, "status is Error");
        check_ready("{\"status\":\"Launching\",\"is_ready\":\"-\",\"exit_code\":0}", false, "status is Launching");
        /* Disabled is ready, with an explanation */
        check_ready("{\"status\":\"Disabled\",\"is_ready\":\"-\",\"exit_code\":0}", true, "process is disabled");
        /* exit codes */
        check_ready("{\"status\":\"Completed\",\"is_ready\":\"-\",\"exit_code\":3}", false, "failed with exit code 3");
        check_ready("{\"status\":\"Completed\",\"is_ready\":\"-\",\"exit_code\":-1}", false,
                    "failed with exit code -1");
        check_ready("{\"status\":\"Completed\",\"is_ready\":\"-\",\"exit_code\":130,\"success_exit_codes\":[1,130]}",
                    true, NULL);
        check_ready("{\"status\":\"Skipped\",\"is_ready\":\"-\",\"exit_code\":1}", false, "failed with exit code 1");
        check_ready("{\"status\":\"Restarting\",\"is_ready\":\"-\",\"exit_code\":0}", true, NULL);
        check_ready("{\"status\":\"Launched\",\"is_ready\":\"-\",\"exit_code\":0}", true, NULL);
        check_ready("{\"status\":\"Foreground\",\"is_ready\":\"-\",\"exit_code\":0}", true, NULL);
}

TEST(not_ready_message) {
        cJSON *j = load_fixture("client/states.json"), *data = cJSON_GetObjectItem(j, "data");
        _cleanup_free_ char *msg = NULL, *none = NULL;
        cJSON *ok;

        client_states_sort(data);
        ASSERT_OK(client_not_ready_message(data, &msg));
        ASSERT_STREQ(msg, "processes are not ready:\n"
                          "• batch (failed with exit code 3)\n"
                          "• db (status is Pending)");

        ok = parse("[{\"name\":\"a\",\"status\":\"Running\",\"is_ready\":\"-\",\"exit_code\":0},"
                   "{\"name\":\"b\",\"status\":\"Disabled\",\"is_ready\":\"-\",\"exit_code\":0}]");
        ASSERT_OK(client_not_ready_message(ok, &none));
        ASSERT_NULL(none);
        cJSON_Delete(ok);
        cJSON_Delete(j);
}

static void check_stop(const char *result, const char *names, bool verbose, const char *expect, int expect_exit) {
        cJSON *j = parse(result);
        _cleanup_strv_free_ char **l = strv_split(names, " ", false);
        _cleanup_free_ char *text = NULL;
        int ex = -1;

        ASSERT_OK(client_stop_result(j, l, verbose, false, &text, &ex));
        ASSERT_STREQ(text, expect);
        ASSERT_EQ(ex, expect_exit);
        cJSON_Delete(j);
}

TEST(stop_result) {
        check_stop("{\"a\":\"ok\",\"b\":\"ok\"}", "a b", false, "Successfully stopped: 'a', 'b'\n", 0);
        check_stop("{\"x\":\"process x is not running\"}", "x", false, "Failed to stop: 'x'\n", 1);
        check_stop("{\"a\":\"ok\",\"b\":\"process b is not running\",\"c\":\"process c does not exist\"}", "a b c",
                   false, "Successfully stopped 'a' but encountered failures for: 'b', 'c'\n", 1);
        /* a name missing from the answer counts as a failure */
        check_stop("{\"a\":\"ok\"}", "a zz", false, "Successfully stopped 'a' but encountered failures for: 'zz'\n", 1);
        check_stop("{\"a\":\"ok\",\"b\":\"process b is not running\"}", "a b zz", true,
                   "✓ Successfully stopped a\n"
                   "✘ Failed to stop b: process b is not running\n"
                   "✘ Unknown status for process zz\n", 1);
        check_stop("{\"a\":\"ok\"}", "a", true, "✓ Successfully stopped a\n", 0);
}

TEST(stop_result_color) {
        cJSON *j = parse("{\"a\":\"ok\",\"b\":\"nope\"}");
        _cleanup_strv_free_ char **l = strv_split("a b", " ", false);
        _cleanup_free_ char *text = NULL;
        int ex;

        ASSERT_OK(client_stop_result(j, l, true, true, &text, &ex));
        ASSERT_STREQ(text, "\x1b[32m✓\x1b[0m Successfully stopped a\n\x1b[31m✘\x1b[0m Failed to stop b: nope\n");
        cJSON_Delete(j);
}

TEST(states_table) {
        cJSON *j = load_fixture("client/states.json"), *data = cJSON_GetObjectItem(j, "data");
        _cleanup_free_ char *out = NULL;

        client_states_sort(data);
        CAPTURE(out, client_states_print_table(F, data));
        ASSERT_STREQ(out,
                     "PID    NAME    NAMESPACE     STATUS      AGE    HEALTH   RESTARTS   EXITCODE   \n"
                     "17     batch   jobs          Completed   10s    -        12         3          \n"
                     "0      db      infra, data   Pending     -      -        0          0          \n"
                     "4242   web     default       Running     2m3s   Ready    0          0          \n");
        cJSON_Delete(j);
}

TEST(states_table_with_runs) {
        cJSON *j = parse("[{\"name\":\"tick\",\"status\":\"Running\",\"pid\":7,\"active_runs\":2,"
                         "\"run_pids\":[7,9]},{\"name\":\"one\",\"status\":\"Running\",\"pid\":5,"
                         "\"active_runs\":1}]");
        _cleanup_free_ char *out = NULL;

        CAPTURE(out, client_states_print_table(F, j));
        ASSERT_TRUE(strstr(out, "tick   default     Running (2 runs)") != NULL);
        ASSERT_TRUE(strstr(out, "one    default     Running            ") != NULL);
        cJSON_Delete(j);
}

TEST(states_sort_keeps_list_consistent) {
        cJSON *j = parse("[{\"name\":\"c\"},{\"name\":\"a\"},{\"name\":\"b\"}]");
        _cleanup_free_ char *out = NULL;

        client_states_sort(j);
        ASSERT_EQ(cJSON_GetArraySize(j), 3);
        ASSERT_STREQ(cJSON_GetArrayItem(j, 0)->child->valuestring, "a");
        ASSERT_STREQ(cJSON_GetArrayItem(j, 2)->child->valuestring, "c");
        /* appending must still work: cJSON keeps the last item in child->prev */
        ASSERT_TRUE(cJSON_AddItemToArray(j, cJSON_CreateString("d")));
        ASSERT_EQ(cJSON_GetArraySize(j), 4);
        out = cJSON_PrintUnformatted(j);
        ASSERT_STREQ(out, "[{\"name\":\"a\"},{\"name\":\"b\"},{\"name\":\"c\"},\"d\"]");
        cJSON_Delete(j);
}

TEST(json_go_style) {
        cJSON *j = parse("[{\"name\":\"a<b>&c\",\"age\":123000000000,\"cpu\":0.5,\"mem\":-1,\"ok\":true,"
                         "\"none\":null,\"codes\":[],\"obj\":{},\"ns\":[\"x\",\"y\"],\"t\":\"q\\\"\\n\\u0001\"}]");
        _cleanup_free_ char *out = NULL;

        CAPTURE(out, client_json_print_go(F, j, "\t"));
        ASSERT_STREQ(out, "[\n"
                          "\t{\n"
                          "\t\t\"name\": \"a\\u003cb\\u003e\\u0026c\",\n"
                          "\t\t\"age\": 123000000000,\n"
                          "\t\t\"cpu\": 0.5,\n"
                          "\t\t\"mem\": -1,\n"
                          "\t\t\"ok\": true,\n"
                          "\t\t\"none\": null,\n"
                          "\t\t\"codes\": [],\n"
                          "\t\t\"obj\": {},\n"
                          "\t\t\"ns\": [\n"
                          "\t\t\t\"x\",\n"
                          "\t\t\t\"y\"\n"
                          "\t\t],\n"
                          "\t\t\"t\": \"q\\\"\\n\\u0001\"\n"
                          "\t}\n"
                          "]");
        cJSON_Delete(j);
}

TEST(graph_ascii) {
        cJSON *j = load_fixture("client/graph.json");
        _cleanup_free_ char *out = NULL;

        CAPTURE(out, client_graph_print_ascii(F, j));
        ASSERT_STREQ(out, "Dependency Graph\n"
                          "├── cron [Running]\n"
                          "│   └── db <log_ready> [Running]\n"
                          "└── frontend [Pending]\n"
                          "    ├── api <healthy> [Running]\n"
                          "    │   └── db <started> [Running]\n"
                          "    └── cache-1.x <completed_successfully> [Completed]\n");
        cJSON_Delete(j);
}

TEST(graph_ascii_empty) {
        cJSON *j = parse("{\"nodes\":{}}");
        _cleanup_free_ char *out = NULL;

        CAPTURE(out, client_graph_print_ascii(F, j));
        ASSERT_STREQ(out, "Dependency Graph\n");
        cJSON_Delete(j);
}

TEST(graph_mermaid) {
        cJSON *j = load_fixture("client/graph.json");
        _cleanup_free_ char *out = NULL;

        CAPTURE(out, client_graph_print_mermaid(F, j));
        ASSERT_STREQ(out, "flowchart LR\n"
                          "    api --> db\n"
                          "    cron --> db\n"
                          "    frontend --> api\n"
                          "    frontend --> cache_1_x\n"
                          "\n");
        cJSON_Delete(j);
}

TEST(graph_json) {
        cJSON *j = parse("{\"nodes\":{\"b\":{\"is_ready\":\"-\",\"name\":\"b\",\"process_status\":\"Pending\","
                         "\"depends_on\":{\"z\":{\"name\":\"z\",\"process_status\":\"Running\",\"is_ready\":\"Ready\","
                         "\"dependency_type\":\"healthy\"},\"a\":{\"name\":\"a\",\"process_status\":\"Running\","
                         "\"is_ready\":\"-\",\"dependency_type\":\"started\"}}}}}");
        _cleanup_free_ char *out = NULL, *empty = NULL;
        cJSON *e = parse("{\"nodes\":{}}"), *back;

        CAPTURE(out, client_graph_print_json(F, j));
        ASSERT_STREQ(out, "{\n"
                          "  \"nodes\": {\n"
                          "    \"b\": {\n"
                          "      \"name\": \"b\",\n"
                          "      \"process_status\": \"Pending\",\n"
                          "      \"is_ready\": \"-\",\n"
                          "      \"depends_on\": {\n"
                          "        \"a\": {\n"
                          "          \"name\": \"a\",\n"
                          "          \"process_status\": \"Running\",\n"
                          "          \"is_ready\": \"-\",\n"
                          "          \"dependency_type\": \"started\"\n"
                          "        },\n"
                          "        \"z\": {\n"
                          "          \"name\": \"z\",\n"
                          "          \"process_status\": \"Running\",\n"
                          "          \"is_ready\": \"Ready\",\n"
                          "          \"dependency_type\": \"healthy\"\n"
                          "        }\n"
                          "      }\n"
                          "    }\n"
                          "  }\n"
                          "}");
        /* and it is JSON equal to the input */
        back = cJSON_Parse(out);
        ASSERT_NOT_NULL(back);
        ASSERT_TRUE(cJSON_Compare(back, j, true));
        cJSON_Delete(back);

        CAPTURE(empty, client_graph_print_json(F, e));
        ASSERT_STREQ(empty, "{\n  \"nodes\": {}\n}");
        cJSON_Delete(e);
        cJSON_Delete(j);
}

TEST(graph_too_deep) {
        /* a chain deeper than the renderer follows fails cleanly instead of recursing without end */
        _cleanup_free_ char *json = NULL, *out = NULL;
        size_t n = 0, depth = CLIENT_GRAPH_DEPTH_MAX + 10;
        FILE *f = open_memstream(&json, &n);
        cJSON *j;
        size_t sz = 0;
        FILE *o;

        fputs("{\"nodes\":{\"n0\":{\"name\":\"n0\",\"process_status\":\"Running\"", f);
        for (size_t i = 1; i < depth; i++)
                fprintf(f, ",\"depends_on\":{\"n%zu\":{\"name\":\"n%zu\",\"dependency_type\":\"started\"", i, i);
        for (size_t i = 1; i < depth; i++)
                fputs("}}", f);
        fputs("}}}", f);
        fclose(f);
        j = cJSON_Parse(json);
        ASSERT_NOT_NULL(j);
        o = open_memstream(&out, &sz);
        ASSERT_ERROR(client_graph_print_ascii(o, j), ELOOP);
        ASSERT_ERROR(client_graph_print_mermaid(o, j), ELOOP);
        fclose(o);
        cJSON_Delete(j);
}

TEST(go_duration) {
        static const struct {
                double ns;
                const char *s;
        } cases[] = {
                { 0, "0s" },
                { 499999999, "0s" },
                { 500000000, "1s" },
                { 5e9, "5s" },
                { 59.6e9, "1m0s" },
                { 90e9, "1m30s" },
                { 3600e9, "1h0m0s" },
                { 7325e9, "2h2m5s" },
                { 100 * 3600e9, "100h0m0s" },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *s = NULL;
                ASSERT_OK(client_go_duration_seconds(cases[i].ns, &s));
                ASSERT_STREQ(s, cases[i].s);
        }
}

TEST(project_state) {
        cJSON *j = parse("{\"fileNames\":[\"process-compose.yaml\",\"/abs/override.yaml\"],\"upTime\":65400000000,"
                         "\"startTime\":\"2025-01-01T00:00:00+01:00\",\"processNum\":4,\"runningProcessNum\":2,"
                         "\"userName\":\"alice\",\"version\":\"v0.1.0\",\"projectName\":\"myproj\","
                         "\"memoryState\":{\"allocated\":3,\"totalAllocated\":10,\"systemMemory\":20,\"gcCycles\":4}}");
        _cleanup_free_ char *out = NULL;

        CAPTURE(out, client_project_state_print(F, j, false));
        ASSERT_STREQ(out, "Project:           myproj\n"
                          "User:              alice\n"
                          "Version:           v0.1.0\n"
                          "Up Time:           1m5s\n"
                          "Processes:         4\n"
                          "Running Processes: 2\n"
                          "File Names:\n"
                          "\t - process-compose.yaml\n"
                          "\t - /abs/override.yaml\n"
                          "Allocated MB:      3\n"
                          "Total Alloc MB:    10\n"
                          "System MB:         20\n"
                          "GC Cycles:         4\n");
        cJSON_Delete(j);
}

TEST(update_table) {
        cJSON *j = parse("{\"web\":\"updated\",\"new-thing\":\"added\",\"old\":\"removed\",\"bad\":\"error\"}");
        _cleanup_free_ char *out = NULL;

        CAPTURE(out, client_update_print_table(F, j));
        ASSERT_STREQ(out, "  PROCESS    STATUS\n"
                          "✘ bad        error\n"
                          "▲ new-thing  added\n"
                          "▼ old        removed\n"
                          "↺ web        updated\n");
        cJSON_Delete(j);
}

TEST(namespace_column) {
        static const struct {
                const char *json, *expect;
        } cases[] = {
                { "{\"namespace\":\"infra\"}", "infra" },
                { "{\"namespace\":[\"a\",\"b\"]}", "a, b" },
                { "{\"namespace\":\"\"}", "default" },
                { "{\"namespace\":[]}", "default" },
                { "{}", "default" },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                cJSON *j = parse(cases[i].json);
                _cleanup_free_ char *s = NULL;
                ASSERT_OK(client_state_namespace(j, &s));
                ASSERT_STREQ(s, cases[i].expect);
                cJSON_Delete(j);
        }
}

DEFINE_TEST_MAIN();
