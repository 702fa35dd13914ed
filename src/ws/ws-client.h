/* The client side of the opening handshake for pcctl's own WebSocket verbs: connect (TCP or unix socket), send
 * the HTTP/1.1 upgrade request, read and check the 101 answer. Blocking with a deadline: used by short-lived CLI
 * processes only, never in the controller's loop. The framing afterwards is a WsSession in client mode. */
#pragma once

#include <stddef.h>

#include "shared/macro.h"
#include "shared/time-util.h"

typedef struct WsClientTarget {
        const char *unix_path;       /* non-NULL: connect here */
        const char *host;            /* else TCP host and port */
        unsigned port;
        const char *token;           /* X-PC-Token-Key, or NULL */
} WsClientTarget;

typedef struct WsClientResult {
        int fd;                      /* connected, non-blocking, upgraded */
        void *extra;                 /* bytes read past the 101 answer (first frames) */
        size_t extra_size;
        unsigned status;             /* HTTP status when the upgrade was refused */
        char *body;                  /* its body (the {"error"} JSON) */
} WsClientResult;

void ws_client_result_done(WsClientResult *r);

/* Returns 0 with r->fd set; -EPROTO with r->status/r->body when the server answered something else than 101;
 * -EACCES on 401; other negative errno on transport failures (ECONNREFUSED, ETIMEDOUT, ...). */
int ws_client_connect(const WsClientTarget *t, const char *path_and_query, usec_t timeout, WsClientResult *r);
