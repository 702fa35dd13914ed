/* The I/O-free router: every route of compat §3.2, trailing slashes, per-segment percent-decoding, 404s,
 * bad integers, 207, body limits, auth, deferred completions. */
#include "http/http-router-internal.h"
#include "test-http-fake.h"
#include "tests.h"

static Fake fake;
static HttpRouter *router;

typedef struct Result {
        HttpResponse resp;
        cJSON *json;
} Result;

static void result_done(Result *r) {
        http_response_done(&r->resp);
        cJSON_Delete(r->json);
        *r = (Result) {};
}

static HttpResponse completed;
static unsigned n_completed;

static void on_complete(HttpResponse *resp, void *userdata) {
        http_response_done(&completed);
        completed = *resp;
        *resp = (HttpResponse) {};
        n_completed++;
}

static Result call_full(const char *method, const char *path, const char *query, const char *body,
                        const HttpHeader *headers, size_t n_headers) {
        Result r = {};
        char *p = strdup(path), *q;
        HttpRequest req;

        q = strchr(p, '?');
        if (q)
                *q++ = 0;
        req = (HttpRequest) {
                .method = method,
                .path = p,
                .query = query ?: q,
                .headers = headers,
                .n_headers = n_headers,
                .body = body,
                .body_size = body ? strlen(body) : 0,
        };
        http_router_dispatch(router, &req, &r.resp, on_complete, &fake);
        ASSERT_TRUE(r.resp.status >= 100 && r.resp.status <= 599);
        if (r.resp.body && (!r.resp.content_type || strstr(r.resp.content_type, "json")))
                r.json = cJSON_ParseWithLength(r.resp.body, r.resp.body_size);
        free(p);
        return r;
}

static Result call(const char *method, const char *path, const char *body) {
        return call_full(method, path, NULL, body, NULL, 0);
}

static void expect_status(const char *method, const char *path, const char *body, unsigned status) {
        Result r = call(method, path, body);

        if (r.resp.status != status)
                TEST_FAIL("%s %s: status %u, expected %u (body %.*s)", method, path, r.resp.status, status,
                          (int) r.resp.body_size, r.resp.body ?: "");
        result_done(&r);
}

static void expect_error(const char *method, const char *path, const char *body, unsigned status,
                         const char *message) {
        Result r = call(method, path, body);

        if (r.resp.status != status)
                TEST_FAIL("%s %s: status %u, expected %u", method, path, r.resp.status, status);
        ASSERT_NOT_NULL(r.json);
        ASSERT_STREQ(cJSON_GetStringValue(cJSON_GetObjectItem(r.json, "error")), message);
        ASSERT_EQ(cJSON_GetArraySize(r.json), 1);
        result_done(&r);
}

static void expect_not_found(const char *method, const char *path) {
        Result r = call(method, path, NULL);

        if (r.resp.status != 404)
                TEST_FAIL("%s %s: status %u, expected 404", method, path, r.resp.status);
        ASSERT_TRUE(r.resp.body_size == strlen("404 page not found"));
        ASSERT_TRUE(memcmp(r.resp.body, "404 page not found", r.resp.body_size) == 0);
        ASSERT_STREQ(r.resp.content_type, "text/plain");
        result_done(&r);
}

static const char *name_of(Result *r) {
        return cJSON_GetStringValue(cJSON_GetObjectItem(r->json, "name"));
}

static void setup(void) {
        fake_done(&fake);
        fake_init(&fake);
        http_router_free(router);
        ASSERT_OK(http_router_new(&fake_backend, &fake, NULL, &router));
}

TEST(live_and_trailing_slash) {
        Result r;

        setup();
        r = call("GET", "/live", NULL);
        ASSERT_EQ(r.resp.status, 200);
        ASSERT_STREQ(cJSON_GetStringValue(cJSON_GetObjectItem(r.json, "status")), "alive");
        ASSERT_NULL(r.resp.content_type);   /* default: application/json */
        result_done(&r);
        expect_status("GET", "/live/", NULL, 200);
        expect_status("GET", "/processes/", NULL, 200);
        expect_status("GET", "/project/state/?withMemory=false", NULL, 200);
        expect_status("POST", "/project/stop/", NULL, 200);
        fake_finish(&fake, 0);
        expect_not_found("GET", "/live//");
        expect_not_found("GET", "//live");
}

/* A path of a route pattern: "web" for each parameter, "15" for the number at the end of signal and scale. */
static char *route_path(const char *pattern) {
        bool number = strstr(pattern, "/signal/") || strstr(pattern, "/scale/");
        char *path = calloc(1, strlen(pattern) * 3 + 1), *p = path;

        for (const char *c = pattern; path && *c; c++)
                p = *c != ':' ? stpcpy(p, (char[]) { *c, 0 }) : stpcpy(p, number && !c[1] ? "15" : "web");
        return path;
}

TEST(read_only) {
        Result r;

        setup();
        http_router_set_read_only(router, true);
        /* every route that is not a GET is refused before its handler runs */
        for (size_t i = 0; i < http_n_routes; i++) {
                _cleanup_free_ char *path = NULL;

                if (streq(http_routes[i].method, "GET"))
                        continue;
                path = route_path(http_routes[i].pattern);
                ASSERT_NOT_NULL(path);
                fake.last_call[0] = 0;
                expect_error(http_routes[i].method, path, "{}", 403, HTTP_READ_ONLY_MESSAGE);
                ASSERT_STREQ(fake.last_call, "");
        }
        /* reads work, unknown paths are still 404 */
        r = call("GET", "/processes", NULL);
        ASSERT_EQ(r.resp.status, 200);
        result_done(&r);
        expect_status("GET", "/live", NULL, 200);
        expect_not_found("POST", "/nope");
        http_router_set_read_only(router, false);
        expect_status("POST", "/project/stop", NULL, 200);
        fake_finish(&fake, 0);
}

TEST(not_found_and_wrong_method) {
        setup();
        expect_not_found("GET", "/");
        expect_not_found("GET", "/nope");
        expect_not_found("POST", "/live");          /* wrong method: gin answers 404 too */
        expect_not_found("DELETE", "/processes");
        expect_not_found("GET", "/process/stop/web");
        expect_not_found("PUT", "/process/start/web");
        expect_not_found("GET", "/process/logs/web/1");
        expect_not_found("GET", "/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r");
        expect_not_found("GET", "live");
        expect_not_found("GET", "");
}

TEST(processes_shape) {
        Result r;
        cJSON *data, *web = NULL, *it;

        setup();
        r = call("GET", "/processes", NULL);
        ASSERT_EQ(r.resp.status, 200);
        data = cJSON_GetObjectItem(r.json, "data");
        ASSERT_TRUE(cJSON_IsArray(data));
        ASSERT_EQ(cJSON_GetArraySize(data), FAKE_N);
        cJSON_ArrayForEach(it, data)
                if (streq(cJSON_GetStringValue(cJSON_GetObjectItem(it, "name")), "web"))
                        web = it;
        ASSERT_NOT_NULL(web);
        ASSERT_TRUE(cJSON_IsArray(cJSON_GetObjectItem(web, "namespace")));
        ASSERT_STREQ(cJSON_GetStringValue(cJSON_GetObjectItem(web, "status")), "Running");
        ASSERT_STREQ(cJSON_GetStringValue(cJSON_GetObjectItem(web, "system_time")), "2m3s");
        result_done(&r);
}

TEST(process_get_and_percent_decoding) {
        Result r;

        setup();
        r = call("GET", "/process/%40scope%2Fpkg", NULL);
        ASSERT_EQ(r.resp.status, 200);
        ASSERT_STREQ(name_of(&r), "@scope/pkg");
        ASSERT_STREQ(cJSON_GetStringValue(cJSON_GetObjectItem(r.json, "status")), "Pending");
        result_done(&r);
        /* A literal slash splits the path: no such route. */
        expect_not_found("GET", "/process/@scope/pkg");
        r = call("GET", "/process/%40scope%2fpkg/", NULL);
        ASSERT_EQ(r.resp.status, 200);
        result_done(&r);
        expect_error("GET", "/process/nope", NULL, 400, "can't get state of process nope: no such process");
        /* "+" is not a space in a path; %2B is a plus. */
        expect_error("GET", "/process/a+b", NULL, 400, "can't get state of process a+b: no such process");
        expect_error("GET", "/process/a%2Bb", NULL, 400, "can't get state of process a+b: no such process");
        expect_error("GET", "/process/a%20b", NULL, 400, "can't get state of process a b: no such process");
        expect_status("GET", "/process/%zz", NULL, 400);
        expect_status("GET", "/process/%4", NULL, 400);
        expect_status("GET", "/process/%", NULL, 400);
        expect_status("GET", "/process/a%00b", NULL, 400);

        r = call("POST", "/process/start/%40scope%2Fpkg", NULL);
        ASSERT_EQ(r.resp.status, 200);
        ASSERT_STREQ(name_of(&r), "@scope/pkg");
        ASSERT_STREQ(fake.last_call, "start @scope/pkg");
        result_done(&r);
}

TEST(process_info) {
        setup();
        expect_error("GET", "/process/info/nope", NULL, 400, "no such process: nope");
}

TEST(logs) {
        Result r;
        cJSON *logs;

        setup();
        r = call("GET", "/process/logs/web/1/2", NULL);
        ASSERT_EQ(r.resp.status, 200);
        logs = cJSON_GetObjectItem(r.json, "logs");
        ASSERT_EQ(cJSON_GetArraySize(logs), 2);
        ASSERT_STREQ(cJSON_GetStringValue(cJSON_GetArrayItem(logs, 0)), "line 3");
        ASSERT_STREQ(cJSON_GetStringValue(cJSON_GetArrayItem(logs, 1)), "line 4");
        result_done(&r);

        r = call("GET", "/process/logs/web/0/0", NULL);
        ASSERT_EQ(cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "logs")), 5);
        result_done(&r);

        expect_error("GET", "/process/logs/web/x/1", NULL, 400, "strconv.Atoi: parsing \"x\": invalid syntax");
        expect_error("GET", "/process/logs/web/1/99999999999999999999", NULL, 400,
                     "strconv.Atoi: parsing \"99999999999999999999\": value out of range");
        expect_not_found("GET", "/process/logs/web//1");
        expect_error("GET", "/process/logs/nope/0/0", NULL, 400, "process nope doesn't exist");

        r = call("DELETE", "/process/logs/web", NULL);
        ASSERT_EQ(r.resp.status, 200);
        ASSERT_STREQ(name_of(&r), "web");
        result_done(&r);
        r = call("GET", "/process/logs/web/0/0", NULL);
        ASSERT_EQ(cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "logs")), 0);
        result_done(&r);
        expect_error("DELETE", "/process/logs/nope", NULL, 400, "process nope doesn't exist");
}

TEST(stop_start_signal_scale) {
        Result r;

        setup();
        r = call("PATCH", "/process/stop/web", NULL);
        ASSERT_EQ(r.resp.status, 200);
        ASSERT_STREQ(name_of(&r), "web");
        result_done(&r);
        expect_error("PATCH", "/process/stop/db", NULL, 400, "process db is not running");
        expect_error("PATCH", "/process/stop/nope", NULL, 400, "process nope does not exist");
        expect_error("POST", "/process/start/web", NULL, 400, "process web is already running");
        expect_error("POST", "/process/start/nope", NULL, 400, "no such process: nope");

        expect_status("PATCH", "/process/signal/web/15", NULL, 200);
        ASSERT_EQ(fake.last_signal, 15);
        expect_status("PATCH", "/process/signal/web/0", NULL, 200);
        expect_error("PATCH", "/process/signal/web/23", NULL, 400, "invalid signal: 23. Must be between 0 and 22");
        expect_error("PATCH", "/process/signal/web/-1", NULL, 400, "invalid signal: -1. Must be between 0 and 22");
        expect_error("PATCH", "/process/signal/web/TERM", NULL, 400,
                     "invalid signal: strconv.Atoi: parsing \"TERM\": invalid syntax");
        expect_error("PATCH", "/process/signal/nope/9", NULL, 400, "process nope does not exist");

        expect_status("PATCH", "/process/scale/web/3", NULL, 200);
        ASSERT_STREQ(fake.last_call, "scale web 3");
        expect_error("PATCH", "/process/scale/web/0", NULL, 400,
                     "cannot scale process web to a negative or zero value 0");
        expect_error("PATCH", "/process/scale/web/-2", NULL, 400,
                     "cannot scale process web to a negative or zero value -2");
        expect_error("PATCH", "/process/scale/web/x", NULL, 400, "strconv.Atoi: parsing \"x\": invalid syntax");
        expect_error("PATCH", "/process/scale/nope/2", NULL, 400, "no such process: nope");

        expect_error("POST", "/process/send-keys/web", "{\"keys\":\"q\\r\"}", 400,
                     "process web is not interactive; cannot send keys");
        ASSERT_STREQ(fake.last_call, "send-keys web q\r");
        expect_error("POST", "/process/send-keys/nope", "{\"keys\":\"q\"}", 400, "process nope does not exist");
        expect_status("POST", "/process/send-keys/web", "{", 400);
}

TEST(stop_many_207) {
        Result r;

        setup();
        r = call("PATCH", "/processes/stop", "[\"web\",\"api\"]");
        ASSERT_EQ(r.resp.status, 200);
        ASSERT_STREQ(cJSON_GetStringValue(cJSON_GetObjectItem(r.json, "web")), "ok");
        ASSERT_STREQ(cJSON_GetStringValue(cJSON_GetObjectItem(r.json, "api")), "ok");
        result_done(&r);

        r = call("PATCH", "/processes/stop/", "[\"web\",\"db\"]");
        ASSERT_EQ(r.resp.status, 207);
        ASSERT_STREQ(cJSON_GetStringValue(cJSON_GetObjectItem(r.json, "web")), "ok");
        ASSERT_STREQ(cJSON_GetStringValue(cJSON_GetObjectItem(r.json, "db")), "process db is not running");
        result_done(&r);

        /* All failing is still 207, as process-compose's runner. */
        r = call("PATCH", "/processes/stop", "[\"nope\"]");
        ASSERT_EQ(r.resp.status, 207);
        ASSERT_STREQ(cJSON_GetStringValue(cJSON_GetObjectItem(r.json, "nope")), "process nope does not exist");
        result_done(&r);

        expect_status("PATCH", "/processes/stop", "[]", 200);
        expect_status("PATCH", "/processes/stop", "null", 200);   /* Go: a nil slice */
        /* Go's encoding/json texts (issue 14 item 10) */
        expect_error("PATCH", "/processes/stop", "{\"a\":1}", 400,
                     "json: cannot unmarshal object into Go value of type []string");
        expect_error("PATCH", "/processes/stop", "\"web\"", 400,
                     "json: cannot unmarshal string into Go value of type []string");
        expect_error("PATCH", "/processes/stop", "12", 400,
                     "json: cannot unmarshal number into Go value of type []string");
        expect_error("PATCH", "/processes/stop", "true", 400,
                     "json: cannot unmarshal bool into Go value of type []string");
        expect_error("PATCH", "/processes/stop", "[1]", 400, "json: cannot unmarshal number into Go value of type string");
        expect_error("PATCH", "/processes/stop", "[[]]", 400, "json: cannot unmarshal array into Go value of type string");
        expect_error("POST", "/process", "[]", 400,
                     "json: cannot unmarshal array into Go value of type types.ProcessConfig");
        expect_error("POST", "/project", "\"x\"", 400, "json: cannot unmarshal string into Go value of type types.Project");
        expect_error("POST", "/process/send-keys/web", "[]", 400,
                     "json: cannot unmarshal array into Go value of type api.SendKeysRequest");
        expect_error("POST", "/process/send-keys/web", "{\"keys\":1}", 400,
                     "json: cannot unmarshal number into Go struct field SendKeysRequest.keys of type string");
        expect_error("PATCH", "/processes/stop", "[\"web\"", 400, "invalid JSON body: syntax error at byte 5");
        expect_error("PATCH", "/processes/stop", NULL, 400, "invalid JSON body: empty");
}

TEST(body_limit) {
        size_t n = HTTP_BODY_MAX + 10;
        char *big = malloc(n + 1);
        Result r;

        setup();
        memset(big, ' ', n);
        big[0] = '[';
        big[n - 1] = ']';
        big[n] = 0;
        r = call("PATCH", "/processes/stop", big);
        ASSERT_EQ(r.resp.status, 413);
        result_done(&r);
        free(big);
}

TEST(deferred_restart) {
        Result r;

        setup();
        n_completed = 0;
        r = call("POST", "/process/restart/web", NULL);
        ASSERT_TRUE(r.resp.deferred);
        ASSERT_EQ(n_completed, 0);
        result_done(&r);
        fake_finish(&fake, 0);
        ASSERT_EQ(n_completed, 1);
        ASSERT_EQ(completed.status, 200);
        ASSERT_TRUE(strstr(completed.body, "\"name\":\"web\"") != NULL);

        expect_error("POST", "/process/restart/nope", NULL, 400, "no such process: nope");

        /* A cancelled request (the client went away) gets no completion. */
        r = call("POST", "/namespace/restart/infra", NULL);
        ASSERT_TRUE(r.resp.deferred);
        result_done(&r);
        http_router_cancel(router, &fake);
        fake_finish(&fake, 0);
        ASSERT_EQ(n_completed, 1);

        r = call("POST", "/project/stop", NULL);
        ASSERT_TRUE(r.resp.deferred);
        result_done(&r);
        fake_finish(&fake, 0);
        ASSERT_EQ(n_completed, 2);
        ASSERT_TRUE(strstr(completed.body, "\"status\":\"stopped\"") != NULL);

        /* The router goes away before the backend finishes: the completion is dropped, nothing leaks. */
        r = call("POST", "/process/restart/api", NULL);
        result_done(&r);
        http_router_free(router);
        router = NULL;
        fake_finish(&fake, 0);
        ASSERT_EQ(n_completed, 2);
        http_response_done(&completed);
        setup();
}

TEST(namespaces_project_graph) {
        Result r;
        cJSON *nodes, *web;

        setup();
        r = call("GET", "/namespaces", NULL);
        ASSERT_EQ(r.resp.status, 200);
        ASSERT_TRUE(cJSON_IsArray(r.json));
        ASSERT_EQ(cJSON_GetArraySize(r.json), 2);
        result_done(&r);

        expect_status("POST", "/namespace/start/infra", NULL, 200);
        expect_error("POST", "/namespace/start/zzz", NULL, 400, "namespace zzz not found (no processes assigned)");
        /* answered once the members have stopped */
        n_completed = 0;
        r = call("POST", "/namespace/stop/infra", NULL);
        ASSERT_EQ(r.resp.status, 200);
        ASSERT_TRUE(r.resp.deferred);
        ASSERT_STREQ(fake.last_call, "ns-stop infra");
        result_done(&r);
        ASSERT_EQ(n_completed, 0);
        fake_finish(&fake, 0);
        ASSERT_EQ(n_completed, 1);
        ASSERT_EQ(completed.status, 200);
        ASSERT_STREQ(completed.body, "{\"name\":\"infra\"}");
        http_response_done(&completed);

        r = call("GET", "/project/name", NULL);
        ASSERT_STREQ(cJSON_GetStringValue(cJSON_GetObjectItem(r.json, "projectName")), "host/proj");
        result_done(&r);

        r = call("GET", "/project/state?withMemory=true", NULL);
        ASSERT_EQ(r.resp.status, 200);
        ASSERT_TRUE(cJSON_IsObject(cJSON_GetObjectItem(r.json, "memoryState")));
        ASSERT_EQ(cJSON_GetObjectItem(r.json, "processNum")->valueint, FAKE_N);
        ASSERT_EQ(cJSON_GetObjectItem(r.json, "runningProcessNum")->valueint, 2);
        result_done(&r);
        r = call("GET", "/project/state", NULL);
        ASSERT_NULL(cJSON_GetObjectItem(r.json, "memoryState"));
        result_done(&r);

        r = call("POST", "/project/configuration", NULL);
        ASSERT_EQ(r.resp.status, 207);
        ASSERT_STREQ(cJSON_GetStringValue(cJSON_GetObjectItem(r.json, "web")), "updated");
        result_done(&r);

        r = call("GET", "/graph", NULL);
        ASSERT_EQ(r.resp.status, 200);
        nodes = cJSON_GetObjectItem(r.json, "nodes");
        ASSERT_EQ(cJSON_GetArraySize(nodes), 1);   /* only web is a leaf; @scope/pkg is isolated */
        web = cJSON_GetObjectItem(nodes, "web");
        ASSERT_NOT_NULL(web);
        ASSERT_STREQ(cJSON_GetStringValue(cJSON_GetObjectItem(
                cJSON_GetObjectItem(cJSON_GetObjectItem(web, "depends_on"), "api"), "dependency_type")), "healthy");
        result_done(&r);

        expect_status("POST", "/project", "not json", 400);
        expect_status("POST", "/project", "[]", 400);
}

TEST(deferred_update_process) {
        Result r;

        setup();
        n_completed = 0;
        /* answered once the backend has installed it, with the configuration then in place */
        r = call("POST", "/process", "{\"name\":\"web\",\"command\":\"exec sleep 2\"}");
        ASSERT_EQ(r.resp.status, 200);
        ASSERT_TRUE(r.resp.deferred);
        ASSERT_STREQ(fake.last_call, "update web");
        result_done(&r);
        ASSERT_EQ(n_completed, 0);
        fake_finish(&fake, 0);
        ASSERT_EQ(n_completed, 1);
        ASSERT_EQ(completed.status, 200);
        ASSERT_TRUE(strstr(completed.body, "\"name\":\"web\"") != NULL);

        /* dropped by a project stop before it could be installed */
        r = call("POST", "/process", "{\"name\":\"web\",\"command\":\"exec sleep 3\"}");
        ASSERT_TRUE(r.resp.deferred);
        result_done(&r);
        fake_finish(&fake, -ESHUTDOWN);
        ASSERT_EQ(n_completed, 2);
        ASSERT_EQ(completed.status, 400);
        ASSERT_STREQ(completed.body, "{\"error\":\"project is shutting down\"}");
        http_response_done(&completed);

        expect_error("POST", "/process", "{\"name\":\"nope\",\"command\":\"true\"}", 400,
                     "no such process: nope");
        /* Go decodes null into the struct as a no-op: an empty ProcessConfig, which names no process */
        expect_error("POST", "/process", "null", 400, "no such process: ");
        /* likewise an object that names no process: the runner looks up an empty replica name */
        expect_error("POST", "/process", "{}", 400, "no such process: ");
        expect_error("POST", "/process", "{\"command\":\"true\"}", 400, "no such process: ");
        /* a wrong type is still the decoder's answer, which comes first */
        expect_error("POST", "/process", "{\"replicas\":\"two\"}", 400, "'replicas' must be an integer");
}

TEST(ports) {
        Result r;
        cJSON *tcp;

        setup();
        r = call("GET", "/process/ports/web", NULL);
        ASSERT_EQ(r.resp.status, 200);
        tcp = cJSON_GetObjectItem(r.json, "tcp_ports");
        ASSERT_EQ(cJSON_GetArraySize(tcp), 2);
        ASSERT_EQ(cJSON_GetArrayItem(tcp, 0)->valueint, 8080);   /* sorted */
        ASSERT_TRUE(cJSON_IsArray(cJSON_GetObjectItem(r.json, "udp_ports")));
        ASSERT_EQ(cJSON_GetArraySize(cJSON_GetObjectItem(r.json, "udp_ports")), 0);
        result_done(&r);
        expect_error("GET", "/process/ports/db", NULL, 400, "can't get ports: process db is not running");
        expect_error("GET", "/process/ports/nope", NULL, 400, "can't get ports: process nope is not running");
}

TEST(websocket_routes) {
        Result r;

        setup();
        r = call("GET", "/process/logs/ws?name=web&offset=1", NULL);
        ASSERT_EQ(r.resp.status, 400);
        ASSERT_STREQ(fake.last_call, "ws-check 1");
        result_done(&r);
        fake.ws_upgrade_ok = true;
        r = call("GET", "/process/states/ws", NULL);
        ASSERT_EQ(r.resp.status, 101);
        ASSERT_EQ(r.resp.upgrade, HTTP_UPGRADE_WS_STATES);
        result_done(&r);
        expect_not_found("POST", "/process/states/ws");
}

TEST(metrics) {
        Result r;

        setup();
        http_router_account(router, 200);
        http_router_account(router, 200);
        http_router_account(router, 404);
        r = call("GET", "/metrics", NULL);
        ASSERT_EQ(r.resp.status, 200);
        ASSERT_TRUE(strstr(r.resp.content_type, "text/plain") != NULL);
        ASSERT_TRUE(strstr(r.resp.body, "pcctl_process_status{process=\"web\",status=\"Running\"} 1\n"));
        ASSERT_TRUE(strstr(r.resp.body, "pcctl_process_restarts_total{process=\"web\"} 3\n"));
        ASSERT_TRUE(strstr(r.resp.body, "pcctl_process_exit_code{process=\"db\"} -1\n"));
        ASSERT_TRUE(strstr(r.resp.body, "pcctl_process_log_lines_total{process=\"web\"} 5\n"));
        ASSERT_TRUE(strstr(r.resp.body, "pcctl_process_memory_bytes{process=\"web\"} 10485760\n"));
        ASSERT_TRUE(strstr(r.resp.body, "pcctl_process_cpu_percent{process=\"web\"} 0.500\n"));
        ASSERT_TRUE(strstr(r.resp.body, "pcctl_process_cpu_seconds_total{process=\"web\"} 2.500000000\n"));
        ASSERT_TRUE(strstr(r.resp.body, "pcctl_ws_sessions 2\n"));
        ASSERT_TRUE(strstr(r.resp.body, "pcctl_ws_dropped_lines_total 7\n"));
        ASSERT_TRUE(strstr(r.resp.body, "pcctl_http_requests_total{code=\"200\"} 2\n"));
        ASSERT_TRUE(strstr(r.resp.body, "pcctl_http_requests_total{code=\"404\"} 1\n"));
        result_done(&r);
}

/* The whole /metrics text, byte for byte: names, HELP and TYPE lines, order, number formats. */
TEST(metrics_format) {
        static const char expected[] =
                "# HELP pcctl_process_status Current status of each process (1 for the status it is in).\n"
                "# TYPE pcctl_process_status gauge\n"
                "pcctl_process_status{process=\"web\",status=\"Running\"} 1\n"
                "pcctl_process_status{process=\"api\",status=\"Running\"} 1\n"
                "pcctl_process_status{process=\"db\",status=\"Completed\"} 1\n"
                "pcctl_process_status{process=\"@scope/pkg\",status=\"Pending\"} 1\n"
                "# HELP pcctl_process_running Whether the process is running (Running, Launching, Launched).\n"
                "# TYPE pcctl_process_running gauge\n"
                "pcctl_process_running{process=\"web\"} 1\n"
                "pcctl_process_running{process=\"api\"} 1\n"
                "pcctl_process_running{process=\"db\"} 0\n"
                "pcctl_process_running{process=\"@scope/pkg\"} 0\n"
                "# HELP pcctl_process_ready Whether the process is Ready (1), Not Ready (0) or unknown (-1).\n"
                "# TYPE pcctl_process_ready gauge\n"
                "pcctl_process_ready{process=\"web\"} 1\n"
                "pcctl_process_ready{process=\"api\"} -1\n"
                "pcctl_process_ready{process=\"db\"} -1\n"
                "pcctl_process_ready{process=\"@scope/pkg\"} -1\n"
                "# HELP pcctl_process_restarts_total Restarts of the process.\n"
                "# TYPE pcctl_process_restarts_total counter\n"
                "pcctl_process_restarts_total{process=\"web\"} 3\n"
                "pcctl_process_restarts_total{process=\"api\"} 0\n"
                "pcctl_process_restarts_total{process=\"db\"} 0\n"
                "pcctl_process_restarts_total{process=\"@scope/pkg\"} 0\n"
                "# HELP pcctl_process_exit_code Exit code of the last run (-1 when killed by a signal).\n"
                "# TYPE pcctl_process_exit_code gauge\n"
                "pcctl_process_exit_code{process=\"web\"} 0\n"
                "pcctl_process_exit_code{process=\"api\"} 0\n"
                "pcctl_process_exit_code{process=\"db\"} -1\n"
                "pcctl_process_exit_code{process=\"@scope/pkg\"} 0\n"
                "# HELP pcctl_process_log_lines_total Log lines read for the process.\n"
                "# TYPE pcctl_process_log_lines_total counter\n"
                "pcctl_process_log_lines_total{process=\"web\"} 5\n"
                "pcctl_process_log_lines_total{process=\"api\"} 0\n"
                "pcctl_process_log_lines_total{process=\"db\"} 0\n"
                "pcctl_process_log_lines_total{process=\"@scope/pkg\"} 0\n"
                "# HELP pcctl_process_journal_dropped_lines_total Lines journald suppressed (rate limit).\n"
                "# TYPE pcctl_process_journal_dropped_lines_total counter\n"
                "pcctl_process_journal_dropped_lines_total{process=\"web\"} 0\n"
                "pcctl_process_journal_dropped_lines_total{process=\"api\"} 0\n"
                "pcctl_process_journal_dropped_lines_total{process=\"db\"} 0\n"
                "pcctl_process_journal_dropped_lines_total{process=\"@scope/pkg\"} 0\n"
                "# HELP pcctl_process_memory_bytes Memory of the process's unit (systemd MemoryCurrent).\n"
                "# TYPE pcctl_process_memory_bytes gauge\n"
                "pcctl_process_memory_bytes{process=\"web\"} 10485760\n"
                "pcctl_process_memory_bytes{process=\"api\"} 0\n"
                "pcctl_process_memory_bytes{process=\"db\"} 0\n"
                "pcctl_process_memory_bytes{process=\"@scope/pkg\"} 0\n"
                "# HELP pcctl_process_cpu_percent CPU use of the process's unit over the last sampling interval (% of one CPU).\n"
                "# TYPE pcctl_process_cpu_percent gauge\n"
                "pcctl_process_cpu_percent{process=\"web\"} 0.500\n"
                "pcctl_process_cpu_percent{process=\"api\"} 0.000\n"
                "pcctl_process_cpu_percent{process=\"db\"} 0.000\n"
                "pcctl_process_cpu_percent{process=\"@scope/pkg\"} 0.000\n"
                "# HELP pcctl_process_cpu_seconds_total CPU time of the current run of the process's unit (systemd CPUUsageNSec).\n"
                "# TYPE pcctl_process_cpu_seconds_total counter\n"
                "pcctl_process_cpu_seconds_total{process=\"web\"} 2.500000000\n"
                "pcctl_process_cpu_seconds_total{process=\"api\"} 0.000000000\n"
                "pcctl_process_cpu_seconds_total{process=\"db\"} 0.000000000\n"
                "pcctl_process_cpu_seconds_total{process=\"@scope/pkg\"} 0.000000000\n"
                "# HELP pcctl_ws_sessions Open WebSocket sessions.\n"
                "# TYPE pcctl_ws_sessions gauge\n"
                "pcctl_ws_sessions 2\n"
                "# HELP pcctl_ws_queued_bytes Bytes waiting in WebSocket send queues.\n"
                "# TYPE pcctl_ws_queued_bytes gauge\n"
                "pcctl_ws_queued_bytes 100\n"
                "# HELP pcctl_ws_evictions_total WebSocket sessions closed for a write stall.\n"
                "# TYPE pcctl_ws_evictions_total counter\n"
                "pcctl_ws_evictions_total 1\n"
                "# HELP pcctl_ws_dropped_lines_total Log lines WebSocket sessions lost to overrun.\n"
                "# TYPE pcctl_ws_dropped_lines_total counter\n"
                "pcctl_ws_dropped_lines_total 7\n"
                "# HELP pcctl_http_requests_total HTTP responses by status code.\n"
                "# TYPE pcctl_http_requests_total counter\n"
                "pcctl_http_requests_total{code=\"200\"} 1\n";
        Result r;

        setup();
        http_router_account(router, 200);
        r = call("GET", "/metrics", NULL);
        ASSERT_EQ(r.resp.status, 200);
        ASSERT_EQ(r.resp.body_size, strlen(expected));
        ASSERT_STREQ(r.resp.body, expected);
        result_done(&r);
}

TEST(auth) {
        HttpHeader good = { "x-pc-token-key", "0123456789abcdefghijKLMN" };
        HttpHeader bad = { "X-PC-Token-Key", "0123456789abcdefghijKLMn" };
        HttpHeader prefix = { "X-PC-Token-Key", "0123456789abcdefghij" };
        Result r;

        setup();
        http_router_free(router);
        ASSERT_ERROR(http_router_new(&fake_backend, &fake, "short", &router), EINVAL);
        ASSERT_OK(http_router_new(&fake_backend, &fake, "0123456789abcdefghijKLMN", &router));

        r = call("GET", "/live", NULL);
        ASSERT_EQ(r.resp.status, 401);
        ASSERT_EQ(r.resp.body_size, 0);
        result_done(&r);
        r = call("GET", "/nope", NULL);
        ASSERT_EQ(r.resp.status, 401);
        result_done(&r);
        r = call_full("GET", "/process/states/ws", NULL, NULL, &bad, 1);
        ASSERT_EQ(r.resp.status, 401);
        result_done(&r);
        r = call_full("GET", "/live", NULL, NULL, &prefix, 1);
        ASSERT_EQ(r.resp.status, 401);
        result_done(&r);
        r = call_full("GET", "/live", NULL, NULL, &good, 1);
        ASSERT_EQ(r.resp.status, 200);
        result_done(&r);

        ASSERT_TRUE(http_token_equal("abc", "abc"));
        ASSERT_FALSE(http_token_equal("abc", "abcd"));
        ASSERT_FALSE(http_token_equal("abcd", "abc"));
        ASSERT_FALSE(http_token_equal("abc", NULL));
        setup();
}

TEST(unescape) {
        char *s = NULL;

        ASSERT_OK(http_unescape_segment("%40a%2Fb%2bc+", 13, &s));
        ASSERT_STREQ(s, "@a/b+c+");
        free(s);
        ASSERT_ERROR(http_unescape_segment("%2", 2, &s), EINVAL);
        ASSERT_ERROR(http_unescape_segment("%g0", 3, &s), EINVAL);
        ASSERT_ERROR(http_unescape_segment("%00", 3, &s), EINVAL);
}

TEST(zz_cleanup) {
        http_router_free(router);
        router = NULL;
        fake_done(&fake);
}

DEFINE_TEST_MAIN();
