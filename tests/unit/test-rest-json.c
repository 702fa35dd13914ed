/* JSON shapes (compat §3.3) from fixed Process structs: field names, order, JSON types, omitempty rules. */
#include "http/rest-json.h"
#include "test-http-fake.h"
#include "tests.h"

typedef enum JType { J_STR, J_NUM, J_BOOL, J_ARR, J_STR_OR_ARR } JType;

typedef struct Field {
        const char *name;
        JType type;
} Field;

/* process-compose's ProcessState, in emitted order (always present). */
static const Field always[] = {
        { "name", J_STR },        { "namespace", J_STR_OR_ARR }, { "status", J_STR },
        { "system_time", J_STR }, { "age", J_NUM },              { "is_ready", J_STR },
        { "has_ready_probe", J_BOOL }, { "restarts", J_NUM },    { "exit_code", J_NUM },
        { "pid", J_NUM },         { "is_elevated", J_BOOL },     { "password_provided", J_BOOL },
        { "mem", J_NUM },         { "cpu", J_NUM },              { "is_running", J_BOOL },
};

static const char *const allowed_optional[] = {
        "success_exit_codes", "next_run_time", "last_activity_time", "is_watched", "watch_trigger_path",
        "watch_trigger_time", "process_start_time", "process_ready_time", "process_end_time",
};

static bool type_ok(const cJSON *j, JType t) {
        switch (t) {
        case J_STR: return cJSON_IsString(j);
        case J_NUM: return cJSON_IsNumber(j);
        case J_BOOL: return cJSON_IsBool(j);
        case J_ARR: return cJSON_IsArray(j);
        case J_STR_OR_ARR: return cJSON_IsString(j) || cJSON_IsArray(j);
        }
        return false;
}

static void check_shape(const cJSON *o) {
        const cJSON *it;
        size_t i = 0;

        /* The always-present fields come first, in process-compose's order, with their types. */
        it = o->child;
        for (i = 0; i < ELEMENTSOF(always) && it; i++, it = it->next) {
                /* success_exit_codes sits between exit_code and pid when present. */
                if (streq(it->string, "success_exit_codes") && i > 0 && streq(always[i - 1].name, "exit_code"))
                        it = it->next;
                if (!it || !streq(it->string, always[i].name))
                        TEST_FAIL("field %zu is %s, expected %s", i, it ? it->string : "(end)", always[i].name);
                if (!type_ok(it, always[i].type))
                        TEST_FAIL("field %s has the wrong JSON type", it->string);
        }
        ASSERT_EQ(i, ELEMENTSOF(always));
        cJSON_ArrayForEach(it, o) {
                bool known = false;

                for (size_t k = 0; k < ELEMENTSOF(always); k++)
                        known = known || streq(it->string, always[k].name);
                for (size_t k = 0; k < ELEMENTSOF(allowed_optional); k++)
                        known = known || streq(it->string, allowed_optional[k]);
                if (!known)
                        TEST_FAIL("unexpected field %s", it->string);
        }
}

static Fake fake;

TEST(process_state_running) {
        usec_t now;
        cJSON *o;

        fake_init(&fake);
        now = fake.procs[0].start_time + 123 * USEC_PER_SEC;
        o = process_state_to_json_at(&fake.procs[0], true, now);
        ASSERT_NOT_NULL(o);
        check_shape(o);
        ASSERT_STREQ(cJSON_GetObjectItem(o, "name")->valuestring, "web");
        ASSERT_EQ(cJSON_GetArraySize(cJSON_GetObjectItem(o, "namespace")), 2);
        ASSERT_STREQ(cJSON_GetObjectItem(o, "system_time")->valuestring, "2m3s");
        ASSERT_TRUE(cJSON_GetObjectItem(o, "age")->valuedouble == 123e9);
        ASSERT_STREQ(cJSON_GetObjectItem(o, "is_ready")->valuestring, "Ready");
        ASSERT_TRUE(cJSON_IsTrue(cJSON_GetObjectItem(o, "has_ready_probe")));
        ASSERT_EQ(cJSON_GetObjectItem(o, "restarts")->valueint, 3);
        ASSERT_EQ(cJSON_GetObjectItem(o, "pid")->valueint, 4242);
        ASSERT_TRUE(cJSON_GetObjectItem(o, "mem")->valuedouble == 10485760.0);
        ASSERT_TRUE(cJSON_GetObjectItem(o, "cpu")->valuedouble == 0.5);
        ASSERT_TRUE(cJSON_IsTrue(cJSON_GetObjectItem(o, "is_running")));
        ASSERT_EQ(cJSON_GetArrayItem(cJSON_GetObjectItem(o, "success_exit_codes"), 0)->valueint, 130);
        ASSERT_TRUE(cJSON_IsString(cJSON_GetObjectItem(o, "last_activity_time")));
        ASSERT_TRUE(cJSON_IsString(cJSON_GetObjectItem(o, "process_start_time")));
        ASSERT_TRUE(cJSON_IsString(cJSON_GetObjectItem(o, "process_ready_time")));
        ASSERT_NULL(cJSON_GetObjectItem(o, "process_end_time"));
        ASSERT_NULL(cJSON_GetObjectItem(o, "is_watched"));
        ASSERT_NULL(cJSON_GetObjectItem(o, "next_run_time"));
        cJSON_Delete(o);

        /* Live events (derived = false) carry no last_activity_time. */
        o = process_state_to_json_at(&fake.procs[0], false, now);
        ASSERT_NULL(cJSON_GetObjectItem(o, "last_activity_time"));
        cJSON_Delete(o);
        fake_done(&fake);
}

TEST(process_state_pending_and_ended) {
        cJSON *o;

        fake_init(&fake);
        o = process_state_to_json(&fake.procs[3], true);
        check_shape(o);
        ASSERT_STREQ(cJSON_GetObjectItem(o, "namespace")->valuestring, "default");
        ASSERT_STREQ(cJSON_GetObjectItem(o, "status")->valuestring, "Pending");
        ASSERT_STREQ(cJSON_GetObjectItem(o, "system_time")->valuestring, "-");
        ASSERT_TRUE(cJSON_GetObjectItem(o, "age")->valuedouble == 0);
        ASSERT_STREQ(cJSON_GetObjectItem(o, "is_ready")->valuestring, "-");
        ASSERT_TRUE(cJSON_IsFalse(cJSON_GetObjectItem(o, "has_ready_probe")));
        ASSERT_EQ(cJSON_GetObjectItem(o, "pid")->valueint, 0);
        ASSERT_TRUE(cJSON_GetObjectItem(o, "mem")->valuedouble == 0);
        ASSERT_NULL(cJSON_GetObjectItem(o, "success_exit_codes"));
        ASSERT_NULL(cJSON_GetObjectItem(o, "process_start_time"));
        ASSERT_NULL(cJSON_GetObjectItem(o, "last_activity_time"));
        cJSON_Delete(o);

        /* Ended: age frozen at end - start (60 s), whatever the clock says now. */
        o = process_state_to_json_at(&fake.procs[2], true, fake.procs[2].end_time + 3600 * USEC_PER_SEC);
        check_shape(o);
        ASSERT_STREQ(cJSON_GetObjectItem(o, "status")->valuestring, "Completed");
        ASSERT_STREQ(cJSON_GetObjectItem(o, "system_time")->valuestring, "60s");
        ASSERT_EQ(cJSON_GetObjectItem(o, "exit_code")->valueint, -1);
        ASSERT_TRUE(cJSON_IsFalse(cJSON_GetObjectItem(o, "is_running")));
        ASSERT_TRUE(cJSON_IsString(cJSON_GetObjectItem(o, "process_end_time")));
        cJSON_Delete(o);

        /* A daemon's memory and CPU are -1 (process-compose cannot see them). */
        fake.cfgs[1].is_daemon = true;
        o = process_state_to_json(&fake.procs[1], true);
        ASSERT_TRUE(cJSON_GetObjectItem(o, "mem")->valuedouble == -1);
        ASSERT_TRUE(cJSON_GetObjectItem(o, "cpu")->valuedouble == -1);
        cJSON_Delete(o);
        fake_done(&fake);
}

TEST(derived_status) {
        ComposeWatch w = {};
        ComposeSchedule sch = { .cron = (char *) "*/5 * * * *" }, empty = {};
        cJSON *o;

        fake_init(&fake);
        fake.procs[2].exit_code = 0;
        fake.cfgs[2].watch = &w;
        /* a watch in the configuration is not enough: it must be armed (not --no-watch, not stopped) */
        ASSERT_EQ(process_derived_status(&fake.procs[2]), PROC_COMPLETED);
        o = process_state_to_json(&fake.procs[2], true);
        ASSERT_NULL(cJSON_GetObjectItem(o, "is_watched"));
        cJSON_Delete(o);
        fake.procs[2].watch_armed = true;
        ASSERT_EQ(process_derived_status(&fake.procs[2]), PROC_WATCHING);
        o = process_state_to_json(&fake.procs[2], true);
        ASSERT_STREQ(cJSON_GetObjectItem(o, "status")->valuestring, "Watching");
        ASSERT_TRUE(cJSON_IsTrue(cJSON_GetObjectItem(o, "is_watched")));
        ASSERT_NULL(cJSON_GetObjectItem(o, "watch_trigger_path"));
        cJSON_Delete(o);
        /* after a watch restart: the change that caused it */
        fake.procs[2].watch_trigger_path = (char *) "src/main.go";
        fake.procs[2].watch_trigger_time = 1700000000 * USEC_PER_SEC;
        o = process_state_to_json(&fake.procs[2], true);
        ASSERT_STREQ(cJSON_GetObjectItem(o, "watch_trigger_path")->valuestring, "src/main.go");
        ASSERT_TRUE(cJSON_IsString(cJSON_GetObjectItem(o, "watch_trigger_time")));
        cJSON_Delete(o);
        fake.procs[2].watch_trigger_path = NULL;
        o = process_state_to_json(&fake.procs[2], false);
        ASSERT_STREQ(cJSON_GetObjectItem(o, "status")->valuestring, "Completed");
        cJSON_Delete(o);
        /* A failure is never shown as Watching. */
        fake.procs[2].exit_code = 1;
        ASSERT_EQ(process_derived_status(&fake.procs[2]), PROC_COMPLETED);
        fake.cfgs[2].watch = NULL;
        fake.procs[2].watch_armed = false;

        /* an empty schedule (no cron, no interval) schedules nothing, as in process-compose */
        fake.cfgs[3].schedule = &empty;
        ASSERT_NE(process_derived_status(&fake.procs[3]), PROC_SCHEDULED);
        fake.cfgs[3].schedule = &sch;
        ASSERT_EQ(process_derived_status(&fake.procs[3]), PROC_SCHEDULED);
        fake.procs[3].status = PROC_RUNNING;
        ASSERT_EQ(process_derived_status(&fake.procs[3]), PROC_RUNNING);
        fake_done(&fake);
}

TEST(status_strings) {
        ASSERT_STREQ(rest_status_to_string(PROC_TERMINATING), "Terminating");
        ASSERT_STREQ(rest_status_to_string(PROC_LAUNCHED), "Launched");
        ASSERT_NULL(rest_status_to_string(_PROC_STATUS_MAX));
        ASSERT_STREQ(rest_health_to_string(PROC_HEALTH_NOT_READY), "Not Ready");
        ASSERT_STREQ(rest_health_to_string(PROC_HEALTH_UNKNOWN), "-");
        ASSERT_TRUE(rest_status_is_running(PROC_LAUNCHING));
        ASSERT_FALSE(rest_status_is_running(PROC_TERMINATING));
}

TEST(project_state) {
        Process *procs[FAKE_N];
        ProjectStateInfo info = { .project_name = "h/p", .start_time = now_usec(CLOCK_REALTIME) - USEC_PER_SEC };
        static const char *const keys[] = { "fileNames", "upTime", "startTime", "processNum", "runningProcessNum",
                                            "userName", "version", "projectName" };
        cJSON *o, *it;
        size_t i = 0;

        fake_init(&fake);
        for (size_t k = 0; k < FAKE_N; k++)
                procs[k] = &fake.procs[k];
        o = project_state_to_json(&info, procs, FAKE_N);
        ASSERT_NOT_NULL(o);
        cJSON_ArrayForEach(it, o)
                ASSERT_STREQ(it->string, keys[i++]);
        ASSERT_EQ(i, ELEMENTSOF(keys));
        ASSERT_TRUE(cJSON_IsArray(cJSON_GetObjectItem(o, "fileNames")));
        ASSERT_TRUE(cJSON_GetObjectItem(o, "upTime")->valuedouble >= 1e9);
        ASSERT_EQ(cJSON_GetObjectItem(o, "runningProcessNum")->valueint, 2);
        ASSERT_TRUE(strncmp(cJSON_GetObjectItem(o, "version")->valuestring, "v", 1) == 0);
        cJSON_Delete(o);

        info.with_memory = true;
        o = project_state_to_json(&info, procs, FAKE_N);
        it = cJSON_GetObjectItem(o, "memoryState");
        ASSERT_TRUE(cJSON_IsNumber(cJSON_GetObjectItem(it, "allocated")));
        ASSERT_TRUE(cJSON_IsNumber(cJSON_GetObjectItem(it, "totalAllocated")));
        ASSERT_TRUE(cJSON_IsNumber(cJSON_GetObjectItem(it, "systemMemory")));
        ASSERT_TRUE(cJSON_IsNumber(cJSON_GetObjectItem(it, "gcCycles")));
        cJSON_Delete(o);
        fake_done(&fake);
}

TEST(graph) {
        Process *procs[FAKE_N];
        cJSON *o, *web, *api, *db;
        char *s;

        fake_init(&fake);
        for (size_t k = 0; k < FAKE_N; k++)
                procs[k] = &fake.procs[k];
        o = graph_to_json(procs, FAKE_N);
        web = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "nodes"), "web");
        ASSERT_NOT_NULL(web);
        ASSERT_STREQ(cJSON_GetObjectItem(web, "process_status")->valuestring, "Running");
        ASSERT_STREQ(cJSON_GetObjectItem(web, "is_ready")->valuestring, "Ready");
        ASSERT_NULL(cJSON_GetObjectItem(web, "dependency_type"));
        api = cJSON_GetObjectItem(cJSON_GetObjectItem(web, "depends_on"), "api");
        ASSERT_STREQ(cJSON_GetObjectItem(api, "dependency_type")->valuestring, "healthy");
        /* Recursive: api's own dependency on db, with its condition. */
        db = cJSON_GetObjectItem(cJSON_GetObjectItem(api, "depends_on"), "db");
        ASSERT_STREQ(cJSON_GetObjectItem(db, "dependency_type")->valuestring, "completed");
        ASSERT_NULL(cJSON_GetObjectItem(db, "depends_on"));   /* omitted when empty */
        ASSERT_STREQ(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(web, "depends_on"), "db"),
                                         "dependency_type")->valuestring, "started");
        ASSERT_NULL(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "nodes"), "@scope/pkg"));
        cJSON_Delete(o);

        /* A cycle (possible only through a broken live update) must not recurse forever. */
        fake.deps_api[0].name = (char *) "web";
        o = graph_to_json(procs, FAKE_N);
        ASSERT_NOT_NULL(o);
        s = cJSON_PrintUnformatted(o);
        ASSERT_NOT_NULL(s);
        free(s);
        cJSON_Delete(o);
        fake_done(&fake);
}

DEFINE_TEST_MAIN();
