/* The I/O-free REST router: (HttpRequest, backend) → HttpResponse.
 *
 * Every route of process-compose's API (compat §3.2) with its JSON shapes (§3.3), plus GET /metrics. It reads
 * and controls the project only through an HttpBackend, a table of functions: daemon/http-backend.c binds it to
 * the Manager and the WebSocket server, tests and the fuzzer bind it to fixed Process structs. No socket and no
 * libmicrohttpd type appears here.
 *
 * Paths are routed raw: each segment is percent-decoded on its own, so "%2F" stays inside a name. Both
 * trailing-slash forms are accepted. Unknown routes and wrong methods get process-compose's (gin's) 404 text.
 * Requests that process-compose answers only when the work is done (POST /project/stop, POST
 * /process/restart, POST /namespace/stop and /namespace/restart, POST /process) come back with resp->deferred set; the router later calls the
 * complete callback exactly once with the final response. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/process.h"
#include "shared/http-types.h"
#include "shared/macro.h"
#include "shared/time-util.h"

struct cJSON;
typedef struct ComposeProject ComposeProject;
typedef struct ComposeProcess ComposeProcess;

/* Limits (every client-controlled quantity has one). */
#define HTTP_BODY_MAX             (4U * 1024U * 1024U)  /* request body: 413 beyond */
#define HTTP_PATH_SEGMENTS_MAX    16U
#define HTTP_STOP_NAMES_MAX       10000U                /* names in PATCH /processes/stop */
#define HTTP_TOKEN_MIN            20U

typedef void (*HttpDoneFunc)(int result, void *userdata);

typedef struct HttpWsStats {
        uint64_t sessions;
        uint64_t queued_bytes;
        uint64_t evictions;
        uint64_t dropped_lines;
} HttpWsStats;

typedef struct HttpPorts {
        uint16_t *tcp;
        size_t n_tcp;
        uint16_t *udp;
        size_t n_udp;
} HttpPorts;

void http_ports_done(HttpPorts *p);

/* What the router needs from the controller. Every function that can fail returns 0 or a negative errno with
 * *ret_error set to process-compose's message (caller frees). Optional entries may be NULL. */
typedef struct HttpBackend {
        size_t (*n_processes)(void *ctx);
        Process *(*process_at)(void *ctx, size_t i);
        Process *(*find_process)(void *ctx, const char *name);
        const ComposeProject *(*get_project)(void *ctx);
        const char *(*project_name)(void *ctx);
        usec_t (*start_time)(void *ctx);

        int (*start_process)(void *ctx, const char *name, char **ret_error);
        int (*stop_process)(void *ctx, const char *name, char **ret_error);
        int (*restart_process)(void *ctx, const char *name, HttpDoneFunc done, void *userdata,
                               char **ret_error);
        int (*signal_process)(void *ctx, const char *name, int sig, char **ret_error);
        int (*scale_process)(void *ctx, const char *name, int count, char **ret_error);
        /* keys as given (process-compose's escapes are the backend's) */
        int (*send_keys)(void *ctx, const char *name, const char *keys, char **ret_error);
        int (*truncate_logs)(void *ctx, const char *name, char **ret_error);
        int (*process_ports)(void *ctx, Process *p, HttpPorts *ret, char **ret_error);

        char **(*list_namespaces)(void *ctx);
        int (*start_namespace)(void *ctx, const char *ns, char **ret_error);
        int (*stop_namespace)(void *ctx, const char *ns, HttpDoneFunc done, void *userdata, char **ret_error);
        int (*restart_namespace)(void *ctx, const char *ns, HttpDoneFunc done, void *userdata,
                                 char **ret_error);

        /* Ownership of project/process moves to the backend on success (>= 0). Returns 0 all applied,
         * 1 partly (207), negative nothing. */
        int (*update_project)(void *ctx, ComposeProject *project, struct cJSON **ret_status, char **ret_error);
        int (*reload_project)(void *ctx, struct cJSON **ret_status, char **ret_error);
        /* done runs once the new configuration is in place (GET /process/info shows it) */
        int (*update_process)(void *ctx, ComposeProcess *process, HttpDoneFunc done, void *userdata,
                              char **ret_error);
        int (*stop_project)(void *ctx, HttpDoneFunc done, void *userdata);

        /* WebSocket upgrades (ws/ws-server.h); NULL: the WS routes answer 404. ws_attach takes params in
         * every case and calls release(release_ctx) exactly once when the session ends. */
        void (*ws_check_upgrade)(void *ctx, HttpUpgrade kind, const HttpRequest *req, HttpResponse *resp);
        int (*ws_attach)(void *ctx, HttpUpgrade kind, void *params, int fd, const void *extra_in,
                         size_t extra_in_size, void (*release)(void *release_ctx), void *release_ctx);
        void (*ws_stats)(void *ctx, HttpWsStats *ret);

        void (*free_ctx)(void *ctx);
} HttpBackend;

typedef struct HttpRouter HttpRouter;

typedef void (*HttpCompleteFunc)(HttpResponse *resp, void *userdata);

/* token: NULL or empty for no authentication; else at least HTTP_TOKEN_MIN characters (-EINVAL). */
int http_router_new(const HttpBackend *backend, void *ctx, const char *token, HttpRouter **ret);
HttpRouter *http_router_free(HttpRouter *r);
/* --read-only: every route that is not a GET answers 403 {"error": HTTP_READ_ONLY_MESSAGE}, and nothing
 * changes; GETs, WebSocket upgrades (GET) included, run as usual. Unknown paths stay 404. */
void http_router_set_read_only(HttpRouter *r, bool read_only);
#define HTTP_READ_ONLY_MESSAGE "read-only mode: the API does not change the project"
DEFINE_TRIVIAL_CLEANUP_FUNC(HttpRouter *, http_router_free);

/* Routes one request. resp is filled (status always 100..599). With resp->deferred set, complete(final,
 * userdata) runs later, exactly once, unless http_router_cancel(r, userdata) ran first. The caller owns both
 * responses (http_response_done()). */
void http_router_dispatch(HttpRouter *r, const HttpRequest *req, HttpResponse *resp, HttpCompleteFunc complete,
                          void *userdata);
/* The server stops: every deferred request is answered now (stop: 200 "stopped", others: 503). */
void http_router_flush(HttpRouter *r);
/* The connection of a deferred request went away: its completion is dropped. */
void http_router_cancel(HttpRouter *r, void *userdata);

/* Counts a response for GET /metrics (the server calls it for every response it sends, its own 413s too). */
void http_router_account(HttpRouter *r, unsigned status);

/* Helpers shared with the server (errors it produces itself). */
int http_response_set_json(HttpResponse *resp, unsigned status, struct cJSON *json);   /* takes json */
int http_response_set_error(HttpResponse *resp, unsigned status, const char *message);
void http_response_set_not_found(HttpResponse *resp);

/* Constant-time comparison of the X-PC-Token-Key header with the token. */
bool http_token_equal(const char *expected, const char *given);
/* Decodes %XX escapes of one path segment; "+" stays "+". -EINVAL on a bad escape or %00. */
int http_unescape_segment(const char *s, size_t len, char **ret);
