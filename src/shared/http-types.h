/* I/O-free HTTP request and response, shared by the router (http/http-router), the WebSocket upgrade checks
 * (ws/) and the MHD glue (http/http-server.c). It lives in shared/ so that http/ and ws/ are siblings that do
 * not include each other. No libmicrohttpd type appears here, so handlers can be unit-tested and fuzzed
 * without sockets. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "shared/macro.h"

typedef struct HttpHeader {
        const char *name;
        const char *value;
} HttpHeader;

typedef struct HttpRequest {
        const char *method;          /* "GET", "POST", ... */
        const char *path;            /* raw path, still percent-encoded, without the query */
        const char *query;           /* raw query string without '?', or NULL */
        const HttpHeader *headers;   /* request headers, names as sent */
        size_t n_headers;
        const char *body;            /* not NUL-terminated; NULL when empty */
        size_t body_size;
} HttpRequest;

typedef enum HttpUpgrade {
        HTTP_UPGRADE_NONE,
        HTTP_UPGRADE_WS_LOGS,        /* GET /process/logs/ws */
        HTTP_UPGRADE_WS_STATES,      /* GET /process/states/ws */
        HTTP_UPGRADE_WS_PTY,         /* GET /process/pty/ws */
} HttpUpgrade;

typedef struct HttpResponse {
        unsigned status;             /* 100..599 */
        char *content_type;          /* NULL: application/json; charset=utf-8 */
        char *body;                  /* owned; may be NULL for an empty body */
        size_t body_size;
        char *location;              /* for redirects, owned */
        HttpUpgrade upgrade;         /* != NONE: switch protocols (status 101) */
        char *ws_accept;             /* Sec-WebSocket-Accept value for a 101, owned */
        void *upgrade_params;        /* parsed stream parameters for the ws module, owned by it */
        void (*upgrade_params_free)(void *params);
        bool deferred;               /* the handler answers later (see http-server.h) */
} HttpResponse;

void http_response_done(HttpResponse *r);

/* Case-insensitive header lookup. */
const char *http_request_header(const HttpRequest *req, const char *name);
