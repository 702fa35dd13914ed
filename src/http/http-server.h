/* The HTTP server: libmicrohttpd driven by the manager's sd-event loop (MHD_USE_EPOLL, no MHD thread; its
 * epoll fd is an io source and its timeout a relative timer, style.md §0.1). It routes requests through the
 * I/O-free router and hands upgraded connections to the WebSocket module. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "shared/macro.h"
#include "shared/time-util.h"

typedef struct Manager Manager;
typedef struct HttpServer HttpServer;

typedef struct HttpServerConfig {
        bool disabled;               /* --no-server / PC_NO_SERVER */
        char *address;               /* --address / PC_ADDRESS, default "localhost" */
        uint16_t port;               /* -p / PC_PORT_NUM, default 8080 */
        char *unix_socket;           /* -u PATH / PC_SOCKET_PATH, or -U's default path; NULL for TCP */
        char *token;                 /* PC_API_TOKEN or the trimmed --token-file contents; NULL: no auth */
        usec_t ws_write_timeout;     /* --ws-write-timeout, default 10 s */
        bool ws_allow_any_origin;    /* --ws-allow-any-origin: skip the Origin == Host check */
} HttpServerConfig;

#define HTTP_SERVER_DEFAULT_PORT 8080

void http_server_config_done(HttpServerConfig *c);

/* Binds (or takes the socket-activated fd from sd_listen_fds), attaches to the manager's loop. */
int http_server_new(Manager *m, const HttpServerConfig *config, HttpServer **ret);
HttpServer *http_server_free(HttpServer *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(HttpServer *, http_server_free);
