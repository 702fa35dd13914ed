/* ProcessConfig / Project JSON shapes (compat §3.3.3, §3.3.6). */
#include <ctype.h>

#include "compose/compose-json.h"
#include "compose/compose.h"
#include "shared/strv.h"
#include "tests.h"

static char *base_env[] = { "PATH=/usr/local/bin:/usr/bin:/bin", NULL };

static ComposeProject *load(const char *text) {
        ComposeLoadOptions o = { .disable_dotenv = true };
        ComposeProject *p = NULL;
        ComposeError e = {};

        ASSERT_NOT_NULL(o.working_directory = strdup("/tmp"));
        ASSERT_NOT_NULL(o.environ = strv_copy(base_env));
        if (compose_load_string(text, strlen(text), "p.yaml", &o, &p, &e) < 0)
                TEST_FAIL("load: %s", strempty(e.message));
        compose_load_options_done(&o);
        return p;
}

/* No key of a ProcessConfig may start with an upper-case letter (#457). */
static void assert_no_pascal_case(const cJSON *j, const char *path) {
        const cJSON *i;
        cJSON_ArrayForEach(i, j) {
                if (cJSON_IsObject(j) && i->string && isupper((unsigned char) i->string[0]) &&
                    !startswith(path, "/dependsOn") && !startswith(path, "/vars") && !startswith(path, "/extensions"))
                        TEST_FAIL("PascalCase key %s/%s", path, i->string);
                if (cJSON_IsObject(i) || cJSON_IsArray(i)) {
                        char sub[512];
                        snprintf(sub, sizeof sub, "%s/%s", path, i->string ?: "[]");
                        assert_no_pascal_case(i, sub);
                }
        }
}

TEST(process_config_shape) {
        _cleanup_(compose_project_freep) ComposeProject *p = load(
                "processes:\n"
                "  web:\n"
                "    command: python3 -m http.server 8000\n"
                "    availability:\n      restart: on_failure\n      backoff_seconds: 2\n"
                "    depends_on:\n      db:\n        condition: process_healthy\n"
                "    readiness_probe:\n      http_get:\n        port: \"8000\"\n"
                "  db:\n    command: x\n    namespace: [a, b]\n    liveness_probe:\n      exec:\n        command: \"true\"\n"
                "    x-systemd:\n      MemoryMax: 1G\n");
        cJSON *j = compose_process_to_json(compose_project_find_process(p, "web")), *k;
        cJSON *d = compose_process_to_json(compose_project_find_process(p, "db"));
        _cleanup_free_ char *s = NULL;

        ASSERT_NOT_NULL(j);
        assert_no_pascal_case(j, "");
        assert_no_pascal_case(d, "");
        ASSERT_STREQ(cJSON_GetObjectItemCaseSensitive(j, "name")->valuestring, "web");
        ASSERT_STREQ(cJSON_GetObjectItemCaseSensitive(j, "namespace")->valuestring, "default");
        k = cJSON_GetObjectItemCaseSensitive(j, "restartPolicy");
        ASSERT_EQ(cJSON_GetObjectItemCaseSensitive(k, "restart")->valueint, 2);
        ASSERT_EQ(cJSON_GetObjectItemCaseSensitive(k, "backoffSeconds")->valueint, 2);
        k = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "dependsOn"), "db");
        ASSERT_EQ(cJSON_GetObjectItemCaseSensitive(k, "condition")->valueint, 2);
        k = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "readinessProbe"), "httpGet");
        ASSERT_EQ(cJSON_GetObjectItemCaseSensitive(k, "numPort")->valueint, 8000);
        ASSERT_STREQ(cJSON_GetObjectItemCaseSensitive(k, "host")->valuestring, "127.0.0.1");
        ASSERT_EQ(cJSON_GetObjectItemCaseSensitive(k, "statusCode")->valueint, 200);
        /* shutDownParams is never omitted */
        ASSERT_EQ(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "shutDownParams"), "signal")->valueint, 15);
        ASSERT_EQ(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "vars"), "PC_REPLICA_NUM")->valueint, 0);
        ASSERT_STREQ(cJSON_GetObjectItemCaseSensitive(j, "executable")->valuestring, "bash");
        ASSERT_STREQ(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "args"), 1)->valuestring,
                     "python3 -m http.server 8000");
        /* omitempty */
        ASSERT_NULL(cJSON_GetObjectItemCaseSensitive(j, "disabled"));
        ASSERT_NULL(cJSON_GetObjectItemCaseSensitive(j, "replicaNum"));
        ASSERT_NULL(cJSON_GetObjectItemCaseSensitive(j, "livenessProbe"));
        /* namespace list, default condition omitted → {} */
        ASSERT_TRUE(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(d, "namespace")));
        ASSERT_STREQ(cJSON_GetObjectItemCaseSensitive(
                             cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(d, "extensions"), "x-systemd"),
                             "MemoryMax")->valuestring,
                     "1G");
        s = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(d, "livenessProbe"), "exec"));
        ASSERT_STREQ(s, "{\"command\":\"true\"}");
        cJSON_Delete(j);
        cJSON_Delete(d);
}

TEST(process_config_round_trip) {
        _cleanup_(compose_project_freep) ComposeProject *p = load(
                "processes:\n  web:\n    command: echo hi\n    replicas: 2\n    environment: [A=1]\n"
                "    depends_on:\n      db:\n        condition: process_started\n"
                "    success_exit_codes: [3, 4]\n    shutdown:\n      command: stop\n      timeout_seconds: 7\n"
                "    log_configuration:\n      rotation:\n        max_size_mb: 5\n      fields_order: [time]\n"
                "    schedule:\n      interval: 30s\n    x-systemd:\n      Nice: 5\n"
                "  db:\n    command: x\n");
        ComposeProcess *w = compose_project_find_process(p, "web-1"), *back = NULL;
        cJSON *j = compose_process_to_json(w), *j2;
        _cleanup_free_ char *err = NULL, *s1 = NULL, *s2 = NULL;

        ASSERT_OK(compose_process_from_json(j, &back, &err));
        ASSERT_STREQ(back->name, "web-1");
        ASSERT_STREQ(back->base_name, "web");
        ASSERT_EQ(back->replica_num, 1);
        ASSERT_EQ(back->n_depends_on, 1u);
        ASSERT_EQ(back->depends_on[0].condition, COMPOSE_CONDITION_PROCESS_STARTED);
        ASSERT_EQ(back->n_success_exit_codes, 2u);
        ASSERT_EQ(back->shutdown.timeout_seconds, 7);
        ASSERT_EQ(back->log_configuration->rotation->max_size_mb, 5);
        ASSERT_EQ(back->schedule->interval_usec, 30 * USEC_PER_SEC);
        ASSERT_STREQ(back->x_systemd[0].value, "5");
        j2 = compose_process_to_json(back);
        s1 = cJSON_PrintUnformatted(j);
        s2 = cJSON_PrintUnformatted(j2);
        ASSERT_STREQ(s1, s2);
        cJSON_Delete(j);
        cJSON_Delete(j2);
        compose_process_free(back);
}

TEST(process_from_json_errors) {
        const char *bad[][2] = {
                { "{\"name\":\"a\",\"replicas\":\"two\"}", "'replicas' must be an integer" },
                { "{\"name\":\"a\",\"restartPolicy\":{\"restart\":9}}", "invalid restart policy: 9" },
                { "{\"name\":\"a\",\"dependsOn\":{\"b\":{\"condition\":7}}}", "invalid process condition: 7" },
                { "[]", "a process must be a JSON object" },
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                cJSON *j = cJSON_Parse(bad[i][0]);
                ComposeProcess *p = NULL;
                _cleanup_free_ char *err = NULL;
                ASSERT_NOT_NULL(j);
                ASSERT_ERROR(compose_process_from_json(j, &p, &err), EINVAL);
                ASSERT_STREQ(err, bad[i][1]);
                cJSON_Delete(j);
        }
}

TEST(process_from_json_no_name) {
        /* decoded, but naming no process: its own code, after the type checks */
        const char *none[] = { "{\"command\":\"x\"}", "{}", "{\"name\":\"\",\"replicaName\":\"\"}" };
        for (size_t i = 0; i < ELEMENTSOF(none); i++) {
                cJSON *j = cJSON_Parse(none[i]);
                ComposeProcess *p = NULL;
                _cleanup_free_ char *err = NULL;
                ASSERT_NOT_NULL(j);
                ASSERT_ERROR(compose_process_from_json(j, &p, &err), ENOENT);
                ASSERT_STREQ(err, "'name' is required");
                ASSERT_NULL(p);
                cJSON_Delete(j);
        }
}

TEST(project_json_case_insensitive) {
        const char *text =
                "{\"version\":\"0.5\",\"NAME\":\"demo\",\"processes\":{"
                "\"a\":{\"command\":\"echo a\",\"dependsOn\":{\"b\":{}}},"
                "\"b\":{\"command\":\"echo b\",\"Replicas\":1}},"
                "\"shellconfig\":{\"shellcommand\":\"sh\",\"ShellArgument\":\"-c\"},\"IsOrderedShutdown\":true}";
        cJSON *j = cJSON_Parse(text);
        _cleanup_(compose_project_freep) ComposeProject *p = NULL;
        _cleanup_free_ char *err = NULL;
        ComposeProcess *a;

        ASSERT_OK(compose_project_from_json(j, &p, &err));
        cJSON_Delete(j);
        ASSERT_STREQ(p->name, "demo");
        ASSERT_TRUE(p->ordered_shutdown);
        ASSERT_EQ(p->n_processes, 2u);
        a = compose_project_find_process(p, "a");
        ASSERT_NOT_NULL(a);
        ASSERT_STREQ(a->executable, "sh");
        ASSERT_STREQ(a->args[1], "echo a");
        ASSERT_EQ(a->depends_on[0].condition, COMPOSE_CONDITION_PROCESS_COMPLETED);
}

TEST(project_json_round_trip_and_errors) {
        _cleanup_(compose_project_freep) ComposeProject *p = load(
                "name: rt\nenvironment: [G=1]\nvars: {N: 3}\nprocesses:\n  a:\n    command: x\n    replicas: 2\n"
                "  b:\n    command: y\n    depends_on:\n      a:\n");
        cJSON *j = compose_project_to_json(p), *j2;
        _cleanup_(compose_project_freep) ComposeProject *back = NULL;
        _cleanup_free_ char *err = NULL, *s1 = NULL, *s2 = NULL;

        ASSERT_NOT_NULL(cJSON_GetObjectItemCaseSensitive(j, "Processes"));
        ASSERT_NOT_NULL(cJSON_GetObjectItemCaseSensitive(j, "ShellConfig"));
        ASSERT_EQ(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "Vars"), "N")->valueint, 3);
        ASSERT_OK(compose_project_from_json(j, &back, &err));
        ASSERT_EQ(back->n_processes, 3u);
        ASSERT_EQ(compose_project_find_process(back, "b")->n_depends_on, 2u);
        j2 = compose_project_to_json(back);
        s1 = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(j, "Processes"));
        s2 = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(j2, "Processes"));
        ASSERT_STREQ(s1, s2);
        cJSON_Delete(j);
        cJSON_Delete(j2);

        {
                cJSON *bad = cJSON_Parse("{\"Processes\":{\"a\":{\"command\":\"x\",\"dependsOn\":{\"ghost\":{}}}}}");
                ComposeProject *q = NULL;
                _cleanup_free_ char *e2 = NULL;
                ASSERT_ERROR(compose_project_from_json(bad, &q, &e2), EINVAL);
                ASSERT_STREQ(e2, "dependency process 'ghost' in process 'a' is not defined");
                cJSON_Delete(bad);
        }
        {
                cJSON *bad = cJSON_Parse("{\"Processes\":{\"a\":{\"dependsOn\":{\"b\":{}}},\"b\":{\"dependsOn\":{\"a\":{}}}}}");
                ComposeProject *q = NULL;
                _cleanup_free_ char *e2 = NULL;
                ASSERT_ERROR(compose_project_from_json(bad, &q, &e2), EINVAL);
                ASSERT_STREQ(e2, "circular dependency found in 'a': a -> b -> a");
                cJSON_Delete(bad);
        }
}

TEST(yaml_dump_loads_back_as_yaml) {
        _cleanup_(compose_project_freep) ComposeProject *p = load(
                "environment: [\"G=1\"]\nvars: {N: 7}\n"
                "processes:\n"
                "  a:\n    command: \"echo 'q' \\\"x\\\" $$HOME {{ .N }}\"\n    replicas: 2\n"
                "    availability: {restart: always, max_restarts: 2}\n    namespace: [x, y]\n"
                "    readiness_probe: {exec: {command: \"test -f /tmp/x\"}}\n    x-systemd: {Nice: 5}\n"
                "    success_exit_codes: [3]\n"
                "  b:\n    entrypoint: [ls, -l]\n    depends_on:\n      a:\n        condition: process_healthy\n"
                "    shutdown: {command: stop, timeout_seconds: 3}\n    schedule: {interval: 1m}\n");
        _cleanup_(compose_project_freep) ComposeProject *q = NULL;
        _cleanup_free_ char *y = NULL;
        ComposeLoadOptions o = { .disable_dotenv = true };
        ComposeError e = {};

        ASSERT_OK(compose_project_format_yaml(p, &y));
        ASSERT_TRUE(strstr(y, "disable_env_expansion: true"));
        ASSERT_NOT_NULL(o.environ = strv_copy(base_env));
        if (compose_load_string(y, strlen(y), "dump.yaml", &o, &q, &e) < 0)
                TEST_FAIL("dump does not load: %s\n%s", strempty(e.message), y);
        compose_load_options_done(&o);
        ASSERT_EQ(q->n_processes, p->n_processes);
        for (size_t i = 0; i < p->n_processes; i++) {
                ComposeProcess *a = p->processes[i], *b = q->processes[i];
                _cleanup_free_ char *ea = strv_join(a->environment, ","), *eb = strv_join(b->environment, ","),
                                    *aa = strv_join(a->args, "|"), *ab = strv_join(b->args, "|"),
                                    *na = strv_join(a->namespaces, ","), *nb = strv_join(b->namespaces, ",");
                ASSERT_STREQ(a->name, b->name);
                ASSERT_STREQ(strempty(a->command), strempty(b->command));
                ASSERT_STREQ(a->executable, b->executable);
                ASSERT_STREQ(aa, ab);
                ASSERT_STREQ(strempty(ea), strempty(eb));
                ASSERT_STREQ(na, nb);
                ASSERT_EQ(a->availability.restart, b->availability.restart);
                ASSERT_EQ(a->availability.max_restarts, b->availability.max_restarts);
                ASSERT_EQ(a->n_depends_on, b->n_depends_on);
                ASSERT_EQ(a->shutdown.timeout_seconds, b->shutdown.timeout_seconds);
                ASSERT_EQ(a->n_x_systemd, b->n_x_systemd);
                ASSERT_EQ(a->n_success_exit_codes, b->n_success_exit_codes);
                ASSERT_EQ(!!a->readiness_probe, !!b->readiness_probe);
                ASSERT_EQ(!!a->schedule, !!b->schedule);
        }
        ASSERT_STREQ(compose_project_find_process(q, "a-1")->command, "echo 'q' \"x\" $HOME 7");
        ASSERT_EQ(compose_project_find_process(q, "b")->depends_on[0].condition, COMPOSE_CONDITION_PROCESS_HEALTHY);
}

DEFINE_TEST_MAIN();
