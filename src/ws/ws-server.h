/* WebSocket streams: the registry of sessions of one controller, their limits, and the two streams
 * (process logs, process states).
 *
 * The HTTP side (http-server.c) calls ws_server_check_upgrade() from the router to validate a request
 * (handshake headers, Origin, query) without I/O, and ws_server_attach() once MHD has switched protocols.
 * From then on the session owns the socket's io source; when it ends it calls release(release_ctx) exactly
 * once, which the HTTP side maps to MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE). The session never
 * close()s the fd itself. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shared/http-types.h"
#include "shared/macro.h"
#include "shared/time-util.h"

typedef struct WsServer WsServer;

typedef struct WsServerConfig {
        usec_t write_timeout;        /* evict a session whose queue has not drained for this long (10 s) */
        usec_t ping_interval;        /* keepalive pings (30 s) */
        size_t queue_max_bytes;      /* per-session send queue cap in bytes */
        size_t queue_max_frames;     /* per-session send queue cap in frames */
        size_t max_message_size;     /* incoming message cap; bigger closes with 1009 */
        size_t max_sessions;         /* total sessions */
        size_t send_buffer;          /* SO_SNDBUF of each session's socket (WS_SESSION_DEFAULT_SEND_BUFFER) */
        bool allow_any_origin;
} WsServerConfig;

typedef struct WsServerStats {
        uint64_t sessions;           /* open now */
        uint64_t queued_bytes;       /* in all send queues now */
        uint64_t evictions;          /* sessions closed for a write stall, ever */
        uint64_t dropped_lines;      /* log lines sessions lost to overrun, ever */
} WsServerStats;

void ws_server_config_defaults(WsServerConfig *c);
WsServer *ws_server_free(WsServer *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(WsServer *, ws_server_free);

/* I/O-free: validates an upgrade request for the given stream. On success fills resp with status 101,
 * resp->upgrade, resp->ws_accept and resp->upgrade_params; on failure with the error status and body
 * (400 for a bad query, 403 for a bad Origin, 405/400 for a bad handshake, 503 over the session limit). */
void ws_server_check_upgrade(WsServer *s, HttpUpgrade kind, const HttpRequest *req, HttpResponse *resp);

/* Takes over an upgraded connection. params is resp->upgrade_params (ownership moves to the session). */
int ws_server_attach(WsServer *s, HttpUpgrade kind, void *params, int fd, const void *extra_in,
                     size_t extra_in_size, void (*release)(void *ctx), void *release_ctx);

void ws_server_get_stats(const WsServer *s, WsServerStats *ret);
