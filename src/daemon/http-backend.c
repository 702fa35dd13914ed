/* The REST adapter: the router's backend (http/http-router.h) bound to the Manager (core/manager.h) and the
 * WebSocket server (ws/ws-backend.h). It is the one place that turns the manager's results (ManagerError)
 * into process-compose's messages (compat §3.2); the router answers them with 400. Kept apart from
 * http/http-server.c so that tests and fuzzers link the server and the router with a backend of their own. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "compose/compose.h"
#include "core/manager.h"
#include "daemon/http-backend.h"
#include "http/http-ports.h"
#include "http/http-router.h"
#include "shared/error-util.h"
#include "shared/log.h"
#include "ws/ws-backend.h"

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

/* The outcomes every call shares, and failures of pcctl itself: detail (compose's message or the manager's
 * diagnostic) when there is one. */
static int api_error(int r, const char *detail, char **ret_error) {
        switch (r) {
        case MANAGER_E_SHUTTING_DOWN:
                return error_set(ret_error, -ESHUTDOWN, "project is shutting down");
        case MANAGER_E_CONFIG:
                return error_set(ret_error, -EINVAL, "%s", detail ?: "invalid configuration");
        default:
                if (r > 0)      /* an outcome the caller of this call did not expect */
                        return error_set(ret_error, -EPROTO, "unexpected result %d", r);
                if (detail)
                        return error_set(ret_error, r, "%s", detail);
                return error_set(ret_error, r, "%s", r == -ENOMEM ? "out of memory" : strerror(-r));
        }
}

/* start, restart, scale, update: process-compose says "no such process" */
static int process_error(int r, const char *name, char **ret_error) {
        switch (r) {
        case MANAGER_E_NOT_FOUND:
                return error_set(ret_error, -ENOENT, "no such process: %s", name);
        case MANAGER_E_ALREADY_RUNNING:
                return error_set(ret_error, -EBUSY, "process %s is already running", name);
        default:
                return api_error(r, NULL, ret_error);
        }
}

/* stop, signal: process-compose says "does not exist" */
static int running_process_error(int r, const char *name, char **ret_error) {
        switch (r) {
        case MANAGER_E_NOT_FOUND:
                return error_set(ret_error, -ENOENT, "process %s does not exist", name);
        case MANAGER_E_NOT_RUNNING:
                return error_set(ret_error, -ESRCH, "process %s is not running", name);
        default:
                return api_error(r, NULL, ret_error);
        }
}

static int namespace_error(int r, const char *ns, char **ret_error) {
        switch (r) {
        case MANAGER_E_NOT_FOUND:
                return error_set(ret_error, -ENOENT, "namespace %s not found (no processes assigned)", ns);
        case MANAGER_E_FOREGROUND_ONLY:
                return error_set(ret_error, -EINVAL,
                                 "namespace %s has only foreground processes, which are excluded from namespace "
                                 "operations", ns);
        default:
                return api_error(r, NULL, ret_error);
        }
}

/* update, reload: 0 all applied, 1 partly (the router's 207), negative nothing */
static int update_error(int r, const char *detail, char **ret_error) {
        switch (r) {
        case 0:
                return 0;
        case MANAGER_E_PARTIAL:
                return 1;
        case MANAGER_E_INVALID:
                return error_set(ret_error, -EINVAL, "no project");
        case MANAGER_E_NOTHING_APPLIED:
                return error_set(ret_error, -EINVAL, "no process could be updated");
        case MANAGER_E_NOT_FROM_FILES:
                return error_set(ret_error, -EOPNOTSUPP, "the project was not loaded from files");
        default:
                return api_error(r, detail, ret_error);
        }
}

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
        int r = manager_start_process(M(ctx), name);

        return r == 0 ? 0 : process_error(r, name, ret_error);
}

static int b_stop_process(void *ctx, const char *name, char **ret_error) {
        int r = manager_stop_process(M(ctx), name);

        return r == 0 ? 0 : running_process_error(r, name, ret_error);
}

static int b_restart_process(void *ctx, const char *name, HttpDoneFunc done, void *userdata, char **ret_error) {
        DoneAdapter *a = done_adapter_new(done, userdata);
        int r;

        if (!a)
                return -ENOMEM;
        r = manager_restart_process(M(ctx), name, done_adapter, a);
        if (r == 0)
                return 0;
        free(a);
        return process_error(r, name, ret_error);
}

static int b_signal_process(void *ctx, const char *name, int sig, char **ret_error) {
        int r = manager_signal_process(M(ctx), name, sig);

        if (r == MANAGER_E_INVALID)
                return error_set(ret_error, -EINVAL, "invalid signal: %d", sig);
        if (r < 0)
                return error_set(ret_error, r, "cannot signal process %s: %s", name, strerror(-r));
        return r == 0 ? 0 : running_process_error(r, name, ret_error);
}

static int b_send_keys(void *ctx, const char *name, const char *keys, char **ret_error) {
        int r = manager_send_keys(M(ctx), name, keys);

        if (r == MANAGER_E_NOT_INTERACTIVE)
                return error_set(ret_error, -ENOTTY, "process %s is not interactive; cannot send keys", name);
        if (r == -ENOBUFS)
                return error_set(ret_error, r, "process %s does not read its terminal: its input queue is full",
                                 name);
        if (r < 0)
                return error_set(ret_error, r, "cannot send keys to process %s: %s", name, strerror(-r));
        return r == 0 ? 0 : running_process_error(r, name, ret_error);
}

static int b_scale_process(void *ctx, const char *name, int count, char **ret_error) {
        _cleanup_free_ char *detail = NULL;
        int r = manager_scale_process(M(ctx), name, count, &detail);

        if (r == 0)
                return 0;
        if (r == MANAGER_E_INVALID)
                return error_set(ret_error, -EINVAL, "cannot scale process %s to a negative or zero value %d",
                                 name, count);
        if (r == MANAGER_E_CONFIG || r < 0)
                return api_error(r, detail, ret_error);
        return process_error(r, name, ret_error);
}

static int b_truncate_logs(void *ctx, const char *name, char **ret_error) {
        int r = manager_truncate_logs(M(ctx), name);

        /* process-compose's getProcessLog() words it its own way */
        if (r == MANAGER_E_NOT_FOUND)
                return error_set(ret_error, -ENOENT, "process %s doesn't exist", name);
        return r == 0 ? 0 : running_process_error(r, name, ret_error);
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
        int r = manager_start_namespace(M(ctx), ns);

        return r == 0 ? 0 : namespace_error(r, ns, ret_error);
}

static int b_stop_namespace(void *ctx, const char *ns, HttpDoneFunc done, void *userdata, char **ret_error) {
        DoneAdapter *a = done_adapter_new(done, userdata);
        int r;

        if (!a)
                return -ENOMEM;
        r = manager_stop_namespace(M(ctx), ns, done_adapter, a);
        if (r == 0)
                return 0;
        free(a);
        return namespace_error(r, ns, ret_error);
}

static int b_restart_namespace(void *ctx, const char *ns, HttpDoneFunc done, void *userdata, char **ret_error) {
        DoneAdapter *a = done_adapter_new(done, userdata);
        int r;

        if (!a)
                return -ENOMEM;
        r = manager_restart_namespace(M(ctx), ns, done_adapter, a);
        if (r == 0)
                return 0;
        free(a);
        return namespace_error(r, ns, ret_error);
}

static int b_update_project(void *ctx, ComposeProject *project, cJSON **ret_status, char **ret_error) {
        return update_error(manager_update_project(M(ctx), project, ret_status), NULL, ret_error);
}

static int b_reload_project(void *ctx, cJSON **ret_status, char **ret_error) {
        _cleanup_free_ char *detail = NULL;
        int r = manager_reload_project(M(ctx), ret_status, &detail);

        return update_error(r, detail, ret_error);
}

static int b_update_process(void *ctx, ComposeProcess *process, HttpDoneFunc done, void *userdata,
                            char **ret_error) {
        const char *name = process ? process->name : NULL;
        DoneAdapter *a = done_adapter_new(done, userdata);
        int r;

        if (!a)
                return -ENOMEM;
        r = manager_update_process(M(ctx), process, done_adapter, a);
        if (r == 0)
                return 0;
        free(a);
        /* on an error the process is still the caller's, and name with it */
        if (r == MANAGER_E_INVALID)
                return error_set(ret_error, -EINVAL, "process has no name");
        return process_error(r, name, ret_error);
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
        /* The WebSocket sessions end here, inside http_server_free(): each hands its upgraded connection
         * back to MHD, which must see them closed before it stops. The daemon frees the WsServer later. */
        if (b->ws)
                ws_server_close_all(b->ws);
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
        .send_keys = b_send_keys,
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

/**
 * http_backend_new_server() - the HTTP server of a manager.
 * @m: the manager the routes read and control
 * @ws: the WebSocket server upgrades go to (borrowed; its sessions end when the HTTP server is freed), or NULL
 * @config: the server's settings; config->disabled is the caller's to check
 * @ret: set to the new server
 *
 * Return: 0, or the negative errno of http_server_new_full() (which logs its own errors).
 */
int http_backend_new_server(Manager *m, WsServer *ws, const HttpServerConfig *config, HttpServer **ret) {
        Binding *b;

        b = new0(Binding, 1);
        if (!b)
                return log_oom();
        b->manager = m;
        b->ws = ws;

        /* Ownership of b moves to the server, also on failure. */
        return http_server_new_full(manager_get_event(m), config, &manager_backend, b, ret);
}
