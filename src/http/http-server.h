/* The HTTP server: libmicrohttpd driven by the manager's sd-event loop (MHD_USE_EPOLL, no MHD thread; its
 * epoll fd is an io source and its timeout a relative timer, style.md §0.1). It routes requests through the
 * I/O-free router and hands upgraded connections to the WebSocket module. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "shared/macro.h"
#include "shared/time-util.h"

typedef struct HttpServer HttpServer;

typedef struct HttpServerConfig {
        bool disabled;               /* --no-server / PC_NO_SERVER */
        char *address;               /* --address / PC_ADDRESS, default "localhost" */
        uint16_t port;               /* -p / PC_PORT_NUM, default 8080 */
        char *unix_socket;           /* -u PATH / PC_SOCKET_PATH, or -U's default path; NULL for TCP */
        char *token;                 /* PC_API_TOKEN or the trimmed --token-file contents; NULL: no auth */
        usec_t ws_write_timeout;     /* --ws-write-timeout, default 10 s */
        size_t ws_send_buffer;       /* --ws-send-buffer: SO_SNDBUF per WebSocket, default 64 KiB */
        bool ws_allow_any_origin;    /* --ws-allow-any-origin: upgrades skip the Origin check */
        char **allowed_hosts;        /* --allowed-host (repeatable): Host names accepted beside loopback */
        bool read_only;              /* --read-only / PC_READ_ONLY: only GET routes (http_router_set_read_only) */

        /* Limits; 0 selects the default. */
        unsigned max_connections;        /* all connections, WebSocket sessions included (4096) */
        unsigned max_connections_per_ip; /* per client address (3072: loopback clients share one) */
        usec_t request_timeout;          /* a request must be complete this long after the connection
                                          * opened or the previous request ended (30 s, defeats slowloris) */
        size_t max_body;                 /* request body bytes (HTTP_BODY_MAX, 4 MiB): 413 beyond */
        size_t max_header;               /* per-connection memory, bounding request line + headers (32 KiB) */
} HttpServerConfig;

#define HTTP_SERVER_DEFAULT_PORT 8080
#define HTTP_SERVER_DEFAULT_MAX_CONNECTIONS 4096U
#define HTTP_SERVER_DEFAULT_MAX_CONNECTIONS_PER_IP 3072U
#define HTTP_SERVER_DEFAULT_REQUEST_TIMEOUT (30 * USEC_PER_SEC)
#define HTTP_SERVER_DEFAULT_MAX_HEADER (32U * 1024U)

void http_server_config_done(HttpServerConfig *c);

/* Binds (or takes the socket-activated fd from sd_listen_fds) and attaches to the loop. The router reads and
 * controls the project only through backend (http-router.h; daemon/http-backend.c binds it to the manager,
 * tests and benchmarks to their own). backend->free_ctx, if set, frees ctx with the server. Startup errors
 * are logged here with process-compose's texts (e.g. "unix socket <p> is already in use", a token shorter
 * than 20 characters) and returned as -errno. */
struct HttpBackend;
typedef struct sd_event sd_event;
int http_server_new_full(sd_event *event, const HttpServerConfig *config, const struct HttpBackend *backend,
                         void *ctx, HttpServer **ret);

/* Stops listening and frees. Responses already resumed (a deferred POST /project/stop) get a last chance to
 * be written before the connections close. */
HttpServer *http_server_free(HttpServer *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(HttpServer *, http_server_free);

/* The bound TCP port (useful with port 0), or 0 for a unix socket. */
uint16_t http_server_get_port(HttpServer *s);
/* Number of open connections (for tests and metrics). */
unsigned http_server_n_connections(HttpServer *s);
