/* The router's backend bound to the Manager (core/manager.h) and the WebSocket server (ws/ws-server.h), and
 * http_server_new() on top of it. Kept apart from http-server.c so that tests and fuzzers can link the server
 * and the router with a backend of their own. */
#include <errno.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "core/manager.h"
#include "http/http-ports.h"
#include "http/http-router.h"
#include "http/http-server.h"
#include "shared/log.h"
#include "ws/ws-server.h"

typedef struct Binding {
        Manager *manager;
        WsServer *ws;
} Binding;

typedef struct DoneAdapter {
        HttpDoneFunc done;
        void *userdata;
} DoneAdapter;

static void done_adapter(Manager *m, int result, void *userdata) {
        DoneAdapter *a = userdata;

        a->done(result, a->userdata);
        free(a);
}

static DoneAdapter *done_adapter_new(HttpDoneFunc done, void *userdata) {
        DoneAdapter *a = malloc(sizeof *a);

        if (a)
                *a = (DoneAdapter) { done, userdata };
        return a;
}

#define M(ctx) (((Binding *) (ctx))->manager)

static size_t b_n_processes(void *ctx) {
        return manager_n_processes(M(ctx));
}

static Process *b_process_at(void *ctx, size_t i) {
        return manager_process_at(M(ctx), i);
}

static Process *b_find_process(void *ctx, const char *name) {
        return manager_find_process(M(ctx), name);
}

static const ComposeProject *b_get_project(void *ctx) {
        return manager_get_project(M(ctx));
}

static const char *b_project_name(void *ctx) {
        return manager_get_project_name(M(ctx));
}

static usec_t b_start_time(void *ctx) {
        return manager_get_start_time(M(ctx));
}

static int b_start_process(void *ctx, const char *name, char **ret_error) {
        return manager_start_process(M(ctx), name, ret_error);
}

static int b_stop_process(void *ctx, const char *name, char **ret_error) {
        return manager_stop_process(M(ctx), name, ret_error);
}

static int b_restart_process(void *ctx, const char *name, HttpDoneFunc done, void *userdata, char **ret_error) {
        DoneAdapter *a = done_adapter_new(done, userdata);
        int r;

        if (!a)
                return -ENOMEM;
        r = manager_restart_process(M(ctx), name, done_adapter, a, ret_error);
        if (r < 0)
                free(a);
        return r;
}

static int b_signal_process(void *ctx, const char *name, int sig, char **ret_error) {
        return manager_signal_process(M(ctx), name, sig, ret_error);
}

static int b_scale_process(void *ctx, const char *name, int count, char **ret_error) {
        return manager_scale_process(M(ctx), name, count, ret_error);
}

static int b_truncate_logs(void *ctx, const char *name, char **ret_error) {
        return manager_truncate_logs(M(ctx), name, ret_error);
}

static int b_process_ports(void *ctx, Process *p, HttpPorts *ret, char **ret_error) {
        int r = http_ports_collect("/proc", p->pid, p->unit, ret);

        if (r < 0 && asprintf(ret_error, "can't get ports of process %s: %s", p->name, strerror(-r)) < 0)
                *ret_error = NULL;
        return r;
}

static char **b_list_namespaces(void *ctx) {
        return manager_list_namespaces(M(ctx));
}

static int b_start_namespace(void *ctx, const char *ns, char **ret_error) {
        return manager_start_namespace(M(ctx), ns, ret_error);
}

static int b_stop_namespace(void *ctx, const char *ns, char **ret_error) {
        return manager_stop_namespace(M(ctx), ns, ret_error);
}

static int b_restart_namespace(void *ctx, const char *ns, HttpDoneFunc done, void *userdata, char **ret_error) {
        DoneAdapter *a = done_adapter_new(done, userdata);
        int r;

        if (!a)
                return -ENOMEM;
        r = manager_restart_namespace(M(ctx), ns, done_adapter, a, ret_error);
        if (r < 0)
                free(a);
        return r;
}

static int b_update_project(void *ctx, ComposeProject *project, cJSON **ret_status, char **ret_error) {
        return manager_update_project(M(ctx), project, ret_status, ret_error);
}

static int b_reload_project(void *ctx, cJSON **ret_status, char **ret_error) {
        return manager_reload_project(M(ctx), ret_status, ret_error);
}

static int b_update_process(void *ctx, ComposeProcess *process, char **ret_error) {
        return manager_update_process(M(ctx), process, ret_error);
}

static int b_stop_project(void *ctx, HttpDoneFunc done, void *userdata) {
        DoneAdapter *a = done_adapter_new(done, userdata);
        int r;

        if (!a)
                return -ENOMEM;
        r = manager_stop_project(M(ctx), done_adapter, a);
        if (r < 0)
                free(a);
        return r;
}

static void b_ws_check_upgrade(void *ctx, HttpUpgrade kind, const HttpRequest *req, HttpResponse *resp) {
        Binding *b = ctx;

        if (!b->ws) {
                http_response_set_error(resp, 503, "WebSocket streams are not available");
                return;
        }
        ws_server_check_upgrade(b->ws, kind, req, resp);
}

static int b_ws_attach(void *ctx, HttpUpgrade kind, void *params, int fd, const void *extra_in,
                       size_t extra_in_size, void (*release)(void *release_ctx), void *release_ctx) {
        Binding *b = ctx;

        if (!b->ws)
                return -EOPNOTSUPP;
        return ws_server_attach(b->ws, kind, params, fd, extra_in, extra_in_size, release, release_ctx);
}

static void b_ws_stats(void *ctx, HttpWsStats *ret) {
        Binding *b = ctx;
        WsServerStats st = {};

        if (b->ws)
                ws_server_get_stats(b->ws, &st);
        *ret = (HttpWsStats) {
                .sessions = st.sessions,
                .queued_bytes = st.queued_bytes,
                .evictions = st.evictions,
                .dropped_lines = st.dropped_lines,
        };
}

static void b_free(void *ctx) {
        Binding *b = ctx;

        if (!b)
                return;
        ws_server_free(b->ws);
        free(b);
}

static const HttpBackend manager_backend = {
        .n_processes = b_n_processes,
        .process_at = b_process_at,
        .find_process = b_find_process,
        .get_project = b_get_project,
        .project_name = b_project_name,
        .start_time = b_start_time,
        .start_process = b_start_process,
        .stop_process = b_stop_process,
        .restart_process = b_restart_process,
        .signal_process = b_signal_process,
        .scale_process = b_scale_process,
        .truncate_logs = b_truncate_logs,
        .process_ports = b_process_ports,
        .list_namespaces = b_list_namespaces,
        .start_namespace = b_start_namespace,
        .stop_namespace = b_stop_namespace,
        .restart_namespace = b_restart_namespace,
        .update_project = b_update_project,
        .reload_project = b_reload_project,
        .update_process = b_update_process,
        .stop_project = b_stop_project,
        .ws_check_upgrade = b_ws_check_upgrade,
        .ws_attach = b_ws_attach,
        .ws_stats = b_ws_stats,
        .free_ctx = b_free,
};

int http_server_new(Manager *m, const HttpServerConfig *config, HttpServer **ret) {
        WsServerConfig wc;
        Binding *b;
        int r;

        if (config->disabled) {
                *ret = NULL;
                return 0;
        }

        b = calloc(1, sizeof *b);
        if (!b)
                return log_oom();
        b->manager = m;

        ws_server_config_defaults(&wc);
        if (config->ws_write_timeout > 0)
                wc.write_timeout = config->ws_write_timeout;
        wc.allow_any_origin = config->ws_allow_any_origin;
        if (config->ws_send_buffer > 0)
                wc.send_buffer = config->ws_send_buffer;
        r = ws_server_new(m, &wc, &b->ws);
        if (r < 0) {
                free(b);
                return log_error_errno(r, "failed to create the WebSocket server: %m");
        }

        /* Ownership of b moves to the server, also on failure. */
        return http_server_new_full(manager_get_event(m), config, &manager_backend, b, ret);
}
