/* The REST handlers of compat §3.2 and their table, on the router's Call (http-router-internal.h). Each
 * handler reads c->params and the request, calls the backend, and sets c->resp, or defers the answer until
 * the backend calls back. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compose/compose-json.h"
#include "compose/compose.h"
#include "http/http-router-internal.h"
#include "http/rest-json.h"
#include "journal/logring.h"
#include "shared/buffer.h"
#include "shared/json-util.h"
#include "shared/parse-util.h"
#include "shared/strv.h"
#include "shared/url-util.h"

/* The decoded value of key in a raw query string; NULL when absent or malformed (gin's c.Query() ignores a
 * pair that does not unescape). */
static char *query_get(const char *query, const char *key) {
        char *v = NULL;

        return url_query_get(query, key, &v) > 0 ? v : NULL;
}

/* Go's strconv.ParseBool. */
static bool parse_go_bool(const char *s) {
        return s && (streq(s, "1") || streq(s, "t") || streq(s, "T") || streq(s, "true") || streq(s, "TRUE") ||
                     streq(s, "True"));
}

/* Go's strconv.Atoi on a 64-bit int; on failure ret_error is its message. */
static int parse_go_int(const char *s, int64_t *ret, char **ret_error) {
        int r = parse_i64(s, ret);

        if (r >= 0)
                return 0;
        if (asprintf(ret_error, "strconv.Atoi: parsing \"%s\": %s", s,
                     r == -ERANGE ? "value out of range" : "invalid syntax") < 0)
                *ret_error = NULL;
        return r == -ERANGE ? -ERANGE : -EINVAL;
}

/* How Go's encoding/json names a JSON value in an UnmarshalTypeError ("object", "array", ...). */
static const char *go_json_kind(const cJSON *j) {
        if (cJSON_IsObject(j))
                return "object";
        if (cJSON_IsArray(j))
                return "array";
        if (cJSON_IsString(j))
                return "string";
        if (cJSON_IsNumber(j))
                return "number";
        if (cJSON_IsBool(j))
                return "bool";
        return "null";
}

/* 400 with Go's text for a JSON value that does not fit the Go type gin binds the body to (field: the struct
 * field, "Struct.key", or NULL for the value itself). */
static void set_unmarshal_error(Call *c, const cJSON *j, const char *field, const char *type) {
        if (field)
                http_set_errorf(c->resp, 400, "json: cannot unmarshal %s into Go struct field %s of type %s",
                                go_json_kind(j), field, type);
        else
                http_set_errorf(c->resp, 400, "json: cannot unmarshal %s into Go value of type %s",
                                go_json_kind(j), type);
}

/* ---- handlers ---- */

size_t rest_collect_processes(Call *c, Process ***ret) {
        size_t n = BACKEND(c)->n_processes ? BACKEND(c)->n_processes(CTX(c)) : 0, k = 0;
        Process **a = calloc(n ?: 1, sizeof(Process *));

        if (!a) {
                *ret = NULL;
                return 0;
        }
        for (size_t i = 0; i < n; i++) {
                Process *p = BACKEND(c)->process_at(CTX(c), i);
                if (p)
                        a[k++] = p;
        }
        *ret = a;
        return k;
}

static Process *find(Call *c, const char *name) {
        return BACKEND(c)->find_process ? BACKEND(c)->find_process(CTX(c), name) : NULL;
}

static void h_live(Call *c) {
        http_set_name(c->resp, "status", "alive");
}

static void h_processes(Call *c) {
        _cleanup_free_ Process **procs = NULL;
        size_t n = rest_collect_processes(c, &procs);
        cJSON *o = cJSON_CreateObject(), *a = o ? cJSON_AddArrayToObject(o, "data") : NULL;
        usec_t now = now_usec(CLOCK_REALTIME);

        if (!procs || !a) {
                cJSON_Delete(o);
                http_response_set_error(c->resp, 500, "out of memory");
                return;
        }
        for (size_t i = 0; i < n; i++) {
                cJSON *s = process_state_to_json_at(procs[i], true, now);
                if (!s) {
                        cJSON_Delete(o);
                        http_response_set_error(c->resp, 500, "out of memory");
                        return;
                }
                cJSON_AddItemToArray(a, s);
        }
        http_response_set_json(c->resp, 200, o);
}

static void h_process(Call *c) {
        Process *p = find(c, c->params[0]);

        if (!p) {
                http_set_errorf(c->resp, 400, "can't get state of process %s: no such process", c->params[0]);
                return;
        }
        http_response_set_json(c->resp, 200, process_state_to_json(p, true));
}

static void h_process_info(Call *c) {
        Process *p = find(c, c->params[0]);
        cJSON *j;

        if (!p || !p->config) {
                http_set_errorf(c->resp, 400, "no such process: %s", c->params[0]);
                return;
        }
        j = compose_process_to_json(p->config);
        if (!j) {
                http_set_errorf(c->resp, 500, "can't serialize the configuration of process %s", c->params[0]);
                return;
        }
        http_response_set_json(c->resp, 200, j);
}

static void h_process_update(Call *c) {
        _cleanup_json_ cJSON *body = NULL;
        _cleanup_(compose_process_freep) ComposeProcess *proc = NULL;
        _cleanup_free_ char *error = NULL;
        HttpDeferred *d;
        const char *name;
        int r;

        if (http_call_parse_json(c, &body) < 0)
                return;
        /* Go decodes null into a struct as a no-op: process-compose goes on with an empty ProcessConfig, which
         * names no process */
        if (cJSON_IsNull(body)) {
                http_set_errorf(c->resp, 400, "no such process: ");
                return;
        }
        if (!cJSON_IsObject(body)) {
                set_unmarshal_error(c, body, NULL, "types.ProcessConfig");
                return;
        }
        r = compose_process_from_json(body, &proc, &error);
        /* process-compose looks the process up by its replicaName: an object that decodes but names no process
         * (as {}) is an unknown process with an empty name */
        if (r == -ENOENT) {
                http_set_errorf(c->resp, 400, "no such process: ");
                return;
        }
        if (r < 0) {
                http_set_backend_error(c->resp, 400, r, TAKE_PTR(error));
                return;
        }
        name = proc->replica_name ?: proc->name;
        if (!name || !find(c, name)) {
                http_set_errorf(c->resp, 400, "no such process: %s", name ?: "");
                return;
        }
        if (!BACKEND(c)->update_process) {
                http_set_unsupported(c->resp);
                return;
        }
        /* The answer comes once the swap is made (the old run ended, the new configuration is installed), and
         * is the process as it is then: as process-compose, which re-marshals the struct it applied, with
         * executable and args derived from the new command. */
        d = http_deferred_new(c, DEFERRED_PROCESS, name);
        if (!d) {
                http_response_set_error(c->resp, 500, "out of memory");
                return;
        }
        r = BACKEND(c)->update_process(CTX(c), proc, http_deferred_done, d, &error);
        if (r < 0) {
                http_deferred_free(d);
                http_set_backend_error(c->resp, 400, r, TAKE_PTR(error));
                return;
        }
        TAKE_PTR(proc);
        http_response_done(c->resp);
        c->resp->status = 200;
        c->resp->deferred = true;
}

static int cmp_u16(const void *a, const void *b) {
        return (int) *(const uint16_t *) a - (int) *(const uint16_t *) b;
}

static void h_process_ports(Call *c) {
        Process *p = find(c, c->params[0]);
        _cleanup_(http_ports_done) HttpPorts ports = {};
        _cleanup_free_ char *error = NULL;
        cJSON *o, *t, *u;
        int r;

        if (!p || !rest_status_is_running(p->status) || p->pid <= 0) {
                http_set_errorf(c->resp, 400, "can't get ports: process %s is not running", c->params[0]);
                return;
        }
        if (!BACKEND(c)->process_ports) {
                http_set_unsupported(c->resp);
                return;
        }
        r = BACKEND(c)->process_ports(CTX(c), p, &ports, &error);
        if (r < 0) {
                http_set_backend_error(c->resp, 400, r, TAKE_PTR(error));
                return;
        }
        if (ports.n_tcp > 1)
                qsort(ports.tcp, ports.n_tcp, sizeof(uint16_t), cmp_u16);
        if (ports.n_udp > 1)
                qsort(ports.udp, ports.n_udp, sizeof(uint16_t), cmp_u16);

        o = cJSON_CreateObject();
        if (!o || !cJSON_AddStringToObject(o, "name", c->params[0]) ||
            !(t = cJSON_AddArrayToObject(o, "tcp_ports")) || !(u = cJSON_AddArrayToObject(o, "udp_ports"))) {
                cJSON_Delete(o);
                http_response_set_error(c->resp, 500, "out of memory");
                return;
        }
        for (size_t i = 0; i < ports.n_tcp; i++)
                cJSON_AddItemToArray(t, cJSON_CreateNumber(ports.tcp[i]));
        for (size_t i = 0; i < ports.n_udp; i++)
                cJSON_AddItemToArray(u, cJSON_CreateNumber(ports.udp[i]));
        http_response_set_json(c->resp, 200, o);
}

static void h_process_logs(Call *c) {
        _cleanup_free_ char *error = NULL;
        int64_t end_offset, limit;
        uint64_t first = 0;
        size_t n = 0;
        Process *p;
        cJSON *o, *a;

        if (parse_go_int(c->params[1], &end_offset, &error) < 0 || parse_go_int(c->params[2], &limit, &error) < 0) {
                http_set_backend_error(c->resp, 400, -EINVAL, TAKE_PTR(error));
                return;
        }
        p = find(c, c->params[0]);
        if (!p) {
                http_set_errorf(c->resp, 400, "process %s doesn't exist", c->params[0]);
                return;
        }
        if (p->log)
                log_ring_range(p->log, end_offset, limit, &first, &n);

        o = cJSON_CreateObject();
        a = o ? cJSON_AddArrayToObject(o, "logs") : NULL;
        if (!a) {
                cJSON_Delete(o);
                http_response_set_error(c->resp, 500, "out of memory");
                return;
        }
        for (size_t i = 0; i < n; i++) {
                const LogEntry *e = log_ring_get(p->log, first + i);
                cJSON *s;

                if (!e)
                        continue;
                s = cJSON_CreateString(e->message);
                if (!s) {
                        cJSON_Delete(o);
                        http_response_set_error(c->resp, 500, "out of memory");
                        return;
                }
                cJSON_AddItemToArray(a, s);
        }
        http_response_set_json(c->resp, 200, o);
}

typedef int (*NameOp)(void *ctx, const char *name, char **ret_error);

static void name_op(Call *c, NameOp op) {
        _cleanup_free_ char *error = NULL;
        int r;

        if (!op) {
                http_set_unsupported(c->resp);
                return;
        }
        r = op(CTX(c), c->params[0], &error);
        if (r < 0) {
                http_set_backend_error(c->resp, 400, r, TAKE_PTR(error));
                return;
        }
        http_set_name(c->resp, "name", c->params[0]);
}

static void h_logs_truncate(Call *c) {
        name_op(c, BACKEND(c)->truncate_logs);
}

static void h_process_stop(Call *c) {
        name_op(c, BACKEND(c)->stop_process);
}

static void h_process_start(Call *c) {
        name_op(c, BACKEND(c)->start_process);
}

static void h_namespace_start(Call *c) {
        name_op(c, BACKEND(c)->start_namespace);
}


static void h_processes_stop(Call *c) {
        _cleanup_json_ cJSON *body = NULL, *out = NULL;
        size_t ok = 0, n;
        const cJSON *it;

        if (http_call_parse_json(c, &body) < 0)
                return;
        if (cJSON_IsNull(body)) {
                /* Go leaves the slice nil: nothing to stop */
                http_response_set_json(c->resp, 200, cJSON_CreateObject());
                return;
        }
        if (!cJSON_IsArray(body)) {
                set_unmarshal_error(c, body, NULL, "[]string");
                return;
        }
        n = (size_t) cJSON_GetArraySize(body);
        if (n > HTTP_STOP_NAMES_MAX) {
                http_set_errorf(c->resp, 400, "too many process names: %zu (limit %u)", n, HTTP_STOP_NAMES_MAX);
                return;
        }
        cJSON_ArrayForEach(it, body)
                if (!cJSON_IsString(it) && !cJSON_IsNull(it)) {
                        set_unmarshal_error(c, it, NULL, "string");
                        return;
                }
        if (!BACKEND(c)->stop_process) {
                http_set_unsupported(c->resp);
                return;
        }
        out = cJSON_CreateObject();
        if (!out) {
                http_response_set_error(c->resp, 500, "out of memory");
                return;
        }
        cJSON_ArrayForEach(it, body) {
                _cleanup_free_ char *error = NULL;
                const char *name = it->valuestring ?: "";   /* null: Go's zero value */
                int r = BACKEND(c)->stop_process(CTX(c), name, &error);

                cJSON_DeleteItemFromObjectCaseSensitive(out, name);
                if (r >= 0) {
                        ok++;
                        cJSON_AddStringToObject(out, name, "ok");
                } else if (error)
                        cJSON_AddStringToObject(out, name, error);
                else
                        cJSON_AddStringToObject(out, name, strerror(-r));
        }
        /* As process-compose: 207 with the map if anything failed, even when everything did. */
        http_response_set_json(c->resp, ok == n ? 200 : 207, TAKE_PTR(out));
}

static void h_process_signal(Call *c) {
        _cleanup_free_ char *error = NULL;
        int64_t sig;
        int r;

        if (parse_go_int(c->params[1], &sig, &error) < 0) {
                http_set_errorf(c->resp, 400, "invalid signal: %s", error ?: "bad number");
                return;
        }
        if (sig < 0 || sig > 22) {
                http_set_errorf(c->resp, 400, "invalid signal: %" PRIi64 ". Must be between 0 and 22", sig);
                return;
        }
        if (!BACKEND(c)->signal_process) {
                http_set_unsupported(c->resp);
                return;
        }
        r = BACKEND(c)->signal_process(CTX(c), c->params[0], (int) sig, &error);
        if (r < 0) {
                http_set_backend_error(c->resp, 400, r, TAKE_PTR(error));
                return;
        }
        http_set_name(c->resp, "name", c->params[0]);
}

static void h_process_scale(Call *c) {
        _cleanup_free_ char *error = NULL;
        int64_t count;
        int r;

        if (parse_go_int(c->params[1], &count, &error) < 0) {
                http_set_backend_error(c->resp, 400, -EINVAL, TAKE_PTR(error));
                return;
        }
        if (count < 1) {
                http_set_errorf(c->resp, 400, "cannot scale process %s to a negative or zero value %" PRIi64,
                           c->params[0], count);
                return;
        }
        if (count > 10000) {
                http_set_errorf(c->resp, 400, "cannot scale process %s to %" PRIi64 ": the limit is 10000",
                           c->params[0], count);
                return;
        }
        if (!BACKEND(c)->scale_process) {
                http_set_unsupported(c->resp);
                return;
        }
        r = BACKEND(c)->scale_process(CTX(c), c->params[0], (int) count, &error);
        if (r < 0) {
                http_set_backend_error(c->resp, 400, r, TAKE_PTR(error));
                return;
        }
        http_set_name(c->resp, "name", c->params[0]);
}

static void h_send_keys(Call *c) {
        _cleanup_json_ cJSON *body = NULL;
        _cleanup_free_ char *error = NULL;
        const cJSON *keys;
        int r;

        if (http_call_parse_json(c, &body) < 0)
                return;
        if (!cJSON_IsObject(body)) {
                set_unmarshal_error(c, body, NULL, "api.SendKeysRequest");
                return;
        }
        keys = cJSON_GetObjectItem(body, "keys");
        if (keys && !cJSON_IsString(keys) && !cJSON_IsNull(keys)) {
                set_unmarshal_error(c, keys, "SendKeysRequest.keys", "string");
                return;
        }
        if (!BACKEND(c)->send_keys) {
                http_set_unsupported(c->resp);
                return;
        }
        r = BACKEND(c)->send_keys(CTX(c), c->params[0], keys ? keys->valuestring : "", &error);
        if (r < 0) {
                http_set_backend_error(c->resp, 400, r, TAKE_PTR(error));
                return;
        }
        http_set_name(c->resp, "name", c->params[0]);
}

static void deferred_start(Call *c, DeferredKind kind,
                           int (*op)(void *ctx, const char *name, HttpDoneFunc done, void *userdata, char **ret_error)) {
        _cleanup_free_ char *error = NULL;
        HttpDeferred *d;
        int r;

        if (!op) {
                http_set_unsupported(c->resp);
                return;
        }
        d = http_deferred_new(c, kind, c->params[0]);
        if (!d) {
                http_response_set_error(c->resp, 500, "out of memory");
                return;
        }
        r = op(CTX(c), c->params[0], http_deferred_done, d, &error);
        if (r < 0) {
                http_deferred_free(d);
                http_set_backend_error(c->resp, 400, r, TAKE_PTR(error));
                return;
        }
        http_response_done(c->resp);
        c->resp->status = 200;
        c->resp->deferred = true;
}

static void h_process_restart(Call *c) {
        deferred_start(c, DEFERRED_NAME, BACKEND(c)->restart_process);
}

static void h_namespace_stop(Call *c) {
        deferred_start(c, DEFERRED_NAME, BACKEND(c)->stop_namespace);
}

static void h_namespace_restart(Call *c) {
        deferred_start(c, DEFERRED_NAME, BACKEND(c)->restart_namespace);
}

static void h_namespaces(Call *c) {
        char **l = BACKEND(c)->list_namespaces ? BACKEND(c)->list_namespaces(CTX(c)) : NULL;
        cJSON *a = cJSON_CreateArray();

        STRV_FOREACH(s, l)
                if (a)
                        cJSON_AddItemToArray(a, cJSON_CreateString(*s));
        strv_free(l);
        http_response_set_json(c->resp, 200, a);
}

static void h_project_name(Call *c) {
        const char *n = BACKEND(c)->project_name ? BACKEND(c)->project_name(CTX(c)) : NULL;

        http_set_name(c->resp, "projectName", n ?: "");
}

static void h_project_state(Call *c) {
        _cleanup_free_ Process **procs = NULL;
        _cleanup_free_ char *wm = query_get(c->req->query, "withMemory");
        size_t n = rest_collect_processes(c, &procs);
        ProjectStateInfo info = {
                .project = BACKEND(c)->get_project ? BACKEND(c)->get_project(CTX(c)) : NULL,
                .project_name = BACKEND(c)->project_name ? BACKEND(c)->project_name(CTX(c)) : NULL,
                .start_time = BACKEND(c)->start_time ? BACKEND(c)->start_time(CTX(c)) : 0,
                .with_memory = parse_go_bool(wm),
        };
        cJSON *j;

        if (!procs) {
                http_response_set_error(c->resp, 500, "out of memory");
                return;
        }
        j = project_state_to_json(&info, procs, n);
        if (!j) {
                http_response_set_error(c->resp, 500, "can't build the project state");
                return;
        }
        http_response_set_json(c->resp, 200, j);
}

static void h_project_stop(Call *c) {
        HttpDeferred *d;
        int r;

        if (!BACKEND(c)->stop_project) {
                http_set_unsupported(c->resp);
                return;
        }
        d = http_deferred_new(c, DEFERRED_STOPPED, NULL);
        if (!d) {
                http_response_set_error(c->resp, 500, "out of memory");
                return;
        }
        r = BACKEND(c)->stop_project(CTX(c), http_deferred_done, d);
        if (r < 0) {
                http_deferred_free(d);
                http_set_backend_error(c->resp, 400, r, NULL);
                return;
        }
        http_response_done(c->resp);
        c->resp->status = 200;
        c->resp->deferred = true;
}

static void update_result(Call *c, int r, cJSON *status, char *error) {
        _cleanup_json_ cJSON *st = status;
        _cleanup_free_ char *e = error;

        if (r < 0) {
                if (st && cJSON_GetArraySize(st) > 0) {
                        http_response_set_json(c->resp, 207, TAKE_PTR(st));
                        return;
                }
                http_set_backend_error(c->resp, 400, r, TAKE_PTR(e));
                return;
        }
        if (!st)
                st = cJSON_CreateObject();
        http_response_set_json(c->resp, r > 0 ? 207 : 200, TAKE_PTR(st));
}

static void h_project_update(Call *c) {
        _cleanup_json_ cJSON *body = NULL;
        _cleanup_(compose_project_freep) ComposeProject *project = NULL;
        _cleanup_free_ char *error = NULL;
        cJSON *status = NULL;
        int r;

        if (http_call_parse_json(c, &body) < 0)
                return;
        if (!cJSON_IsObject(body)) {
                set_unmarshal_error(c, body, NULL, "types.Project");
                return;
        }
        r = compose_project_from_json(body, &project, &error);
        if (r < 0) {
                http_set_backend_error(c->resp, 400, r, TAKE_PTR(error));
                return;
        }
        if (!BACKEND(c)->update_project) {
                http_set_unsupported(c->resp);
                return;
        }
        r = BACKEND(c)->update_project(CTX(c), project, &status, &error);
        if (r >= 0)
                TAKE_PTR(project);
        update_result(c, r, status, TAKE_PTR(error));
}

static void h_project_reload(Call *c) {
        _cleanup_free_ char *error = NULL;
        cJSON *status = NULL;
        int r;

        if (!BACKEND(c)->reload_project) {
                http_set_unsupported(c->resp);
                return;
        }
        r = BACKEND(c)->reload_project(CTX(c), &status, &error);
        update_result(c, r, status, TAKE_PTR(error));
}

static void h_graph(Call *c) {
        _cleanup_free_ Process **procs = NULL;
        size_t n = rest_collect_processes(c, &procs);

        if (!procs) {
                http_response_set_error(c->resp, 500, "out of memory");
                return;
        }
        http_response_set_json(c->resp, 200, graph_to_json(procs, n));
}

static void ws_upgrade(Call *c, HttpUpgrade kind) {
        if (!BACKEND(c)->ws_check_upgrade) {
                http_response_set_not_found(c->resp);
                return;
        }
        http_response_done(c->resp);
        BACKEND(c)->ws_check_upgrade(CTX(c), kind, c->req, c->resp);
        if (c->resp->status < HTTP_STATUS_MIN || c->resp->status > HTTP_STATUS_MAX) {
                http_response_done(c->resp);
                http_response_set_error(c->resp, 500, "bad upgrade answer");
        }
}

static void h_ws_logs(Call *c) {
        ws_upgrade(c, HTTP_UPGRADE_WS_LOGS);
}

static void h_ws_states(Call *c) {
        ws_upgrade(c, HTTP_UPGRADE_WS_STATES);
}

static void h_ws_pty(Call *c) {
        /* the terminal takes input: a GET that changes the project */
        if (c->r->read_only) {
                http_response_set_error(c->resp, 403, HTTP_READ_ONLY_MESSAGE);
                return;
        }
        ws_upgrade(c, HTTP_UPGRADE_WS_PTY);
}

/* ---- the table ---- */

const HttpRoute http_routes[] = {
        { "GET",    "/live",                         h_live },
        { "GET",    "/processes",                    h_processes },
        { "GET",    "/process/logs/ws",              h_ws_logs },
        { "GET",    "/process/states/ws",            h_ws_states },
        { "GET",    "/process/pty/ws",               h_ws_pty },
        { "GET",    "/process/:",                    h_process },
        { "GET",    "/process/info/:",               h_process_info },
        { "POST",   "/process",                      h_process_update },
        { "GET",    "/process/ports/:",              h_process_ports },
        { "GET",    "/process/logs/:/:/:",           h_process_logs },
        { "DELETE", "/process/logs/:",               h_logs_truncate },
        { "PATCH",  "/process/stop/:",               h_process_stop },
        { "PATCH",  "/process/signal/:/:",           h_process_signal },
        { "PATCH",  "/processes/stop",               h_processes_stop },
        { "POST",   "/process/start/:",              h_process_start },
        { "POST",   "/process/restart/:",            h_process_restart },
        { "POST",   "/process/send-keys/:",          h_send_keys },
        { "PATCH",  "/process/scale/:/:",            h_process_scale },
        { "POST",   "/project/stop",                 h_project_stop },
        { "POST",   "/project",                      h_project_update },
        { "POST",   "/project/configuration",        h_project_reload },
        { "GET",    "/project/name",                 h_project_name },
        { "GET",    "/project/state",                h_project_state },
        { "POST",   "/namespace/start/:",            h_namespace_start },
        { "POST",   "/namespace/stop/:",             h_namespace_stop },
        { "POST",   "/namespace/restart/:",          h_namespace_restart },
        { "GET",    "/namespaces",                   h_namespaces },
        { "GET",    "/graph",                        h_graph },
        { "GET",    "/metrics",                      rest_metrics },
};
const size_t http_n_routes = ELEMENTSOF(http_routes);
