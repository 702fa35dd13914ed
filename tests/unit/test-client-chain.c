/* analyze critical-chain's pure formatting: durations, offsets, uptime, time parsing, and whole reports from
 * API answers (tree, order, @/+, not ready, statuses, colour, PROCESS arguments). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "client/client-chain.h"
#include "tests.h"

#define MS INT64_C(1000000)
#define SEC INT64_C(1000000000)

static void check_duration(int64_t ns, const char *want) {
        char buf[64];
        client_chain_format_duration(ns, buf, sizeof buf);
        ASSERT_STREQ(buf, want);
}

static void check_offset(int64_t ns, const char *want) {
        char buf[96];
        client_chain_format_offset(ns, buf, sizeof buf);
        ASSERT_STREQ(buf, want);
}

static void check_uptime(int64_t ns, const char *want) {
        char buf[64];
        client_chain_format_uptime(ns, buf, sizeof buf);
        ASSERT_STREQ(buf, want);
}

TEST(durations) {
        check_duration(-1, "?");
        check_duration(0, "0ns");
        check_duration(999, "999ns");
        check_duration(1000, "1us");
        check_duration(999999, "999us");
        check_duration(MS, "1ms");
        check_duration(999 * MS + 999999, "999ms");
        check_duration(SEC, "1.000s");
        check_duration(1234 * MS + 567890, "1.235s");
        check_duration(61 * SEC, "61.000s");

        check_offset(-5, "?");
        check_offset(512 * MS, "512ms");
        check_offset(59 * SEC + 999 * MS, "59.999s");
        check_offset(60 * SEC, "1min 0ns");
        check_offset(123 * SEC + 456 * MS, "2min 3.456s");
        check_offset(60 * SEC + 5 * MS, "1min 5ms");
}

TEST(uptime) {
        check_uptime(0, "0s");
        check_uptime(400000, "0s");
        check_uptime(500000, "1ms");
        check_uptime(345 * MS, "345ms");
        check_uptime(SEC, "1s");
        check_uptime(12 * SEC + 340 * MS, "12.34s");
        check_uptime(62 * SEC + 500 * MS, "1m2.5s");
        check_uptime(3600 * SEC + 1 * MS, "1h0m0.001s");
        check_uptime(3 * 3600 * SEC + 61 * SEC, "3h1m1s");
}

TEST(parse_time) {
        int64_t t;

        ASSERT_OK(client_chain_parse_time("1970-01-01T00:00:01Z", &t));
        ASSERT_EQ(t, SEC);
        ASSERT_OK(client_chain_parse_time("1970-01-01T00:00:01.5Z", &t));
        ASSERT_EQ(t, SEC + 500 * MS);
        ASSERT_OK(client_chain_parse_time("1970-01-01T01:00:01.000000123+01:00", &t));
        ASSERT_EQ(t, SEC + 123);
        ASSERT_OK(client_chain_parse_time("1969-12-31T23:30:00-00:30", &t));
        ASSERT_EQ(t, 0);
        ASSERT_OK(client_chain_parse_time("2026-12-02T14:00:00.123456789123Z", &t));  /* digits beyond ns */
        ASSERT_EQ(t % SEC, 123456789);
        ASSERT_ERROR(client_chain_parse_time("1970-01-01T00:00:01", &t), EINVAL);
        ASSERT_ERROR(client_chain_parse_time("1970-01-01T00:00:01.Z", &t), EINVAL);
        ASSERT_ERROR(client_chain_parse_time("1970-01-01 00:00:01Z", &t), EINVAL);
        ASSERT_ERROR(client_chain_parse_time("1970-01-01T00:00:01+0100", &t), EINVAL);
        ASSERT_ERROR(client_chain_parse_time(NULL, &t), EINVAL);
}

/* A five-process project: api needs cache (healthy) and worker (started), both need base; lone is alone;
 * late never started; broken is in Error. Times in seconds after 12:00:00Z. */
static const char project_json[] =
        "{\"projectName\": \"demo\", \"startTime\": \"2026-12-02T12:00:00.25Z\", \"upTime\": 12345678901}";
static const char states_json[] = "["
        "{\"name\": \"api\", \"status\": \"Running\", \"process_start_time\": \"2026-12-02T12:00:02.3Z\","
        " \"process_ready_time\": \"2026-12-02T12:00:03.35Z\"},"
        "{\"name\": \"base\", \"status\": \"Running\", \"process_start_time\": \"2026-12-02T12:00:00.26Z\","
        " \"process_ready_time\": \"2026-12-02T12:00:01.3Z\"},"
        "{\"name\": \"cache\", \"status\": \"Running\", \"process_start_time\": \"2026-12-02T12:00:01.31Z\","
        " \"process_ready_time\": \"2026-12-02T12:00:02.29Z\"},"
        "{\"name\": \"worker\", \"status\": \"Running\", \"process_start_time\": \"2026-12-02T12:00:00.3Z\","
        " \"process_ready_time\": \"2026-12-02T12:00:00.3Z\"},"
        "{\"name\": \"lone\", \"status\": \"Completed\", \"process_start_time\": \"2026-12-02T12:00:00.27Z\","
        " \"process_ready_time\": \"2026-12-02T12:00:00.27Z\"},"
        "{\"name\": \"late\", \"status\": \"Pending\"},"
        "{\"name\": \"broken\", \"status\": \"Error\", \"process_start_time\": \"2026-12-02T12:00:00.28Z\"}"
        "]";
static const char graph_json[] = "{\"nodes\": {\"api\": {\"name\": \"api\", \"depends_on\": {"
        "\"cache\": {\"name\": \"cache\", \"dependency_type\": \"healthy\", \"depends_on\": {"
        "  \"base\": {\"name\": \"base\", \"dependency_type\": \"healthy\"}}},"
        "\"worker\": {\"name\": \"worker\", \"dependency_type\": \"started\", \"depends_on\": {"
        "  \"base\": {\"name\": \"base\", \"dependency_type\": \"started\"}}}}}}}";

static char *report(char **names, bool color, int want, const char **ret_unknown) {
        cJSON *project = cJSON_Parse(project_json), *states = cJSON_Parse(states_json),
              *graph = cJSON_Parse(graph_json);
        char *out = NULL;
        size_t n = 0;
        FILE *f;

        ASSERT_NOT_NULL(project);
        ASSERT_NOT_NULL(states);
        ASSERT_NOT_NULL(graph);
        f = open_memstream(&out, &n);
        ASSERT_NOT_NULL(f);
        ASSERT_EQ(client_critical_chain_print(f, project, states, graph, names, color, ret_unknown), want);
        ASSERT_EQ(fclose(f), 0);
        cJSON_Delete(project);
        cJSON_Delete(states);
        cJSON_Delete(graph);
        return out;
}

#define HEADER \
        "The time when unit became ready is printed after the \"@\" character.\n" \
        "The time the unit took to become ready is printed after the \"+\" character.\n\n"

TEST(report_all) {
        _cleanup_free_ char *out = report(NULL, false, 0, NULL);

        /* roots: never-ready first (late), then slowest ready (api), then broken (started 30 ms in), lone */
        ASSERT_STREQ(out,
                     HEADER
                     "Project: demo\n"
                     "Started: 2026-12-02T12:00:00Z\n"
                     "Up time: 12.346s\n"
                     "\n"
                     "late (not started) [Pending]\n"
                     "api @3.100s +1.050s\n"
                     "├─cache @2.040s +980ms\n"
                     "│ └─base @1.050s +1.040s\n"
                     "└─worker @50ms\n"
                     "  └─base @1.050s +1.040s\n"
                     "broken @30ms (not ready) [Error]\n"
                     "lone @20ms\n");
}

TEST(report_names) {
        const char *unknown = NULL;
        _cleanup_free_ char *out = report((char *[]) { (char *) "cache", (char *) "lone", NULL }, false, 0, NULL);
        _cleanup_free_ char *bad = NULL;

        ASSERT_STREQ(out,
                     HEADER
                     "Project: demo\n"
                     "Started: 2026-12-02T12:00:00Z\n"
                     "Up time: 12.346s\n"
                     "\n"
                     "cache @2.040s +980ms\n"
                     "└─base @1.050s +1.040s\n"
                     "lone @20ms\n");
        bad = report((char *[]) { (char *) "base", (char *) "nosuch", NULL }, false, -ENOENT, &unknown);
        ASSERT_STREQ(unknown, "nosuch");
}

TEST(report_color) {
        _cleanup_free_ char *out = report((char *[]) { (char *) "worker", (char *) "broken", NULL }, true, 0, NULL);

        /* slow ones red (systemd-analyze), header labels green, status marks red or faint */
        ASSERT_STREQ(out,
                     HEADER
                     "\x1b[32mProject\x1b[0m: demo\n"
                     "\x1b[32mStarted\x1b[0m: 2026-12-02T12:00:00Z\n"
                     "\x1b[32mUp time\x1b[0m: 12.346s\n"
                     "\n"
                     "worker @50ms\n"
                     "└─\x1b[0;1;31mbase @1.050s +1.040s\x1b[0m\n"
                     "broken @30ms \x1b[2m(not ready)\x1b[0m \x1b[0;1;31m[Error]\x1b[0m\n");
}

TEST(report_empty) {
        cJSON *project = cJSON_Parse("{}"), *states = cJSON_Parse("[]"), *graph = cJSON_Parse("{}");
        _cleanup_free_ char *out = NULL;
        size_t n = 0;
        FILE *f = open_memstream(&out, &n);

        ASSERT_OK(client_critical_chain_print(f, project, states, graph, NULL, false, NULL));
        ASSERT_EQ(fclose(f), 0);
        ASSERT_STREQ(out, HEADER "Project: \nStarted: \nUp time: 0s\n\n");
        cJSON_Delete(project);
        cJSON_Delete(states);
        cJSON_Delete(graph);
}

DEFINE_TEST_MAIN();
