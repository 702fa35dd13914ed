/* One request of the HTTP server, from MHD's access handler: the body under its cap, the access checks, the
 * router's answer (at once, or deferred with MHD suspend/resume) and WebSocket upgrades, which are handed to
 * the backend's ws_attach. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "http/http-access.h"
#include "http/http-server-internal.h"
#include "shared/log.h"

static void request_link_suspended(Request *rq) {
        HttpServer *s = rq->server;

        if (rq->linked_suspended)
                return;
        rq->prev_suspended = NULL;
        rq->next_suspended = s->suspended_head;
        if (s->suspended_head)
                s->suspended_head->prev_suspended = rq;
        s->suspended_head = rq;
        rq->linked_suspended = true;
}

static void request_unlink_suspended(Request *rq) {
        if (!rq->linked_suspended)
                return;
        if (rq->prev_suspended)
                rq->prev_suspended->next_suspended = rq->next_suspended;
        else
                rq->server->suspended_head = rq->next_suspended;
        if (rq->next_suspended)
                rq->next_suspended->prev_suspended = rq->prev_suspended;
        rq->prev_suspended = rq->next_suspended = NULL;
        rq->linked_suspended = false;
}

/* Keep the URL raw: routing percent-decodes each path segment itself, so "%2F" stays inside a name. */
size_t http_request_unescape(void *cls, struct MHD_Connection *c, char *s) {
        return strlen(s);
}

void *http_request_new(void *cls, const char *uri, struct MHD_Connection *connection) {
        HttpServer *s = cls;
        Request *rq = calloc(1, sizeof *rq);

        if (!rq)
                return NULL;
        rq->server = s;
        rq->connection = connection;
        rq->uri = strdup(uri ?: "/");
        if (!rq->uri) {
                free(rq);
                return NULL;
        }
        return rq;
}

static void request_free(Request *rq) {
        if (!rq)
                return;
        request_unlink_suspended(rq);
        if (rq->waiting && rq->server)
                http_router_cancel(rq->server->router, rq);
        free(rq->uri);
        free(rq->body);
        http_response_done(&rq->final);
        if (rq->upgrade_params && rq->upgrade_params_free)
                rq->upgrade_params_free(rq->upgrade_params);
        free(rq);
}

void http_request_completed(void *cls, struct MHD_Connection *connection, void **req_cls,
                            enum MHD_RequestTerminationCode toe) {
        Request *rq = *req_cls;
        const union MHD_ConnectionInfo *ci;
        Conn *c;

        /* The connection waits for its next request from now on (keep-alive), unless it was upgraded. */
        ci = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        c = ci ? ci->socket_context : NULL;
        if (c && toe == MHD_REQUEST_TERMINATED_COMPLETED_OK && !c->upgraded)
                http_conn_wait_request(c);

        request_free(rq);
        *req_cls = NULL;
}

static enum MHD_Result queue_response(HttpServer *s, struct MHD_Connection *connection, HttpResponse *resp) {
        struct MHD_Response *r;
        enum MHD_Result ret;

        r = MHD_create_response_from_buffer(resp->body_size, resp->body, MHD_RESPMEM_MUST_FREE);
        if (!r)
                return MHD_NO;
        if (resp->body_size > 0 || resp->content_type)
                (void) MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                                               resp->content_type ?: "application/json; charset=utf-8");
        if (resp->location)
                (void) MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, resp->location);
        http_router_account(s->router, resp->status);
        resp->body = NULL;
        resp->body_size = 0;
        ret = MHD_queue_response(connection, resp->status, r);
        MHD_destroy_response(r);
        return ret;
}

static enum MHD_Result queue_error(HttpServer *s, struct MHD_Connection *connection, unsigned status,
                                   const char *message) {
        HttpResponse resp = {};
        enum MHD_Result ret;

        http_response_set_error(&resp, status, message);
        ret = queue_response(s, connection, &resp);
        http_response_done(&resp);
        return ret;
}

/* ---- deferred answers ---- */

static void on_complete(HttpResponse *resp, void *userdata) {
        Request *rq = userdata;

        http_response_done(&rq->final);
        rq->final = *resp;
        *resp = (HttpResponse) {};
        rq->ready = true;
        rq->waiting = false;
        if (rq->suspended) {
                rq->suspended = false;
                MHD_resume_connection(rq->connection);
                /* MHD runs the handler again on its next run, which answers. */
                http_server_kick(rq->server);
        }
}

/* ---- WebSocket upgrade ---- */

typedef struct UpgradeRelease {
        HttpServer *server;
        struct MHD_UpgradeResponseHandle *urh;
} UpgradeRelease;

static void upgrade_release(void *ctx) {
        UpgradeRelease *u = ctx;

        (void) MHD_upgrade_action(u->urh, MHD_UPGRADE_ACTION_CLOSE);
        /* MHD closes the socket on its next run. */
        http_server_kick(u->server);
        free(u);
}

static void upgrade_handler(void *cls, struct MHD_Connection *connection, void *req_cls, const char *extra_in,
                            size_t extra_in_size, MHD_socket sock, struct MHD_UpgradeResponseHandle *urh) {
        HttpServer *s = cls;
        Request *rq = req_cls;
        UpgradeRelease *u;
        void *params;
        int r;

        u = malloc(sizeof *u);
        if (!rq || !u || !s->backend || !s->backend->ws_attach) {
                free(u);
                (void) MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
                http_server_kick(s);
                return;
        }
        *u = (UpgradeRelease) { s, urh };
        params = TAKE_PTR(rq->upgrade_params);
        /* ws_attach owns params from here and calls upgrade_release(u) exactly once when it succeeded. */
        r = s->backend->ws_attach(s->ctx, rq->upgrade, params, sock, extra_in, extra_in_size, upgrade_release, u);
        if (r < 0) {
                log_debug_errno(r, "http: WebSocket session failed to start: %m");
                free(u);
                (void) MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
                http_server_kick(s);
        }
}

static enum MHD_Result queue_upgrade(HttpServer *s, Request *rq, HttpResponse *resp) {
        struct MHD_Response *r;
        enum MHD_Result ret;
        Conn *c;

        r = MHD_create_response_for_upgrade(upgrade_handler, s);
        if (!r)
                return MHD_NO;
        if (MHD_add_response_header(r, MHD_HTTP_HEADER_UPGRADE, "websocket") == MHD_NO ||
            MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "Upgrade") == MHD_NO ||
            (resp->ws_accept && MHD_add_response_header(r, "Sec-WebSocket-Accept", resp->ws_accept) == MHD_NO)) {
                MHD_destroy_response(r);
                return MHD_NO;
        }
        rq->upgrade = resp->upgrade;
        rq->upgrade_params = TAKE_PTR(resp->upgrade_params);
        rq->upgrade_params_free = resp->upgrade_params_free;
        c = http_conn_get(rq->connection);
        if (c) {
                c->upgraded = true;
                http_conn_unlink(c);
        }
        http_router_account(s->router, 101);
        ret = MHD_queue_response(rq->connection, MHD_HTTP_SWITCHING_PROTOCOLS, r);
        MHD_destroy_response(r);
        return ret;
}

/* ---- the access handler ---- */

#define HTTP_HEADERS_MAX 128U

typedef struct HeaderCollect {
        HttpHeader *headers;
        size_t n;
} HeaderCollect;

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value) {
        HeaderCollect *h = cls;

        if (h->n >= HTTP_HEADERS_MAX)
                return MHD_NO;
        h->headers[h->n++] = (HttpHeader) { key, value ?: "" };
        return MHD_YES;
}

enum MHD_Result http_request_handler(void *cls, struct MHD_Connection *connection, const char *url,
                                     const char *method, const char *version, const char *upload_data,
                                     size_t *upload_data_size, void **req_cls) {
        HttpServer *s = cls;
        Request *rq = *req_cls;
        HttpHeader headers[HTTP_HEADERS_MAX];
        HeaderCollect hc = { headers, 0 };
        HttpResponse resp = {};
        HttpRequest req;
        enum MHD_Result ret;
        Conn *c;
        char *q;

        if (!rq) {
                rq = http_request_new(s, url, connection);
                if (!rq)
                        return MHD_NO;
                *req_cls = rq;
        }

        if (!rq->started) {
                const char *cl = MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
                                                             MHD_HTTP_HEADER_CONTENT_LENGTH);

                rq->started = true;
                if (cl) {
                        char *end;
                        unsigned long long v = strtoull(cl, &end, 10);

                        if (*end == 0 && v > s->max_body)
                                return queue_error(s, connection, 413, "request body too large");
                }
                return MHD_YES;
        }

        if (rq->ready) {
                ret = queue_response(s, connection, &rq->final);
                http_response_done(&rq->final);
                return ret;
        }
        if (rq->waiting)
                return MHD_YES;   /* spurious call while suspended */
        if (s->freeing && *upload_data_size == 0)
                /* The backend is gone: nothing may be dispatched to it any more. */
                return queue_error(s, connection, 503, "the controller is shutting down");

        if (*upload_data_size > 0) {
                size_t n = *upload_data_size;

                *upload_data_size = 0;
                if (rq->too_large)
                        return MHD_YES;
                if (n > s->max_body - rq->body_size) {
                        /* Without a Content-Length (chunked) the size shows only now. MHD cannot answer in
                         * the middle of a body: drop the rest and answer 413 at the end. */
                        rq->too_large = true;
                        free(rq->body);
                        rq->body = NULL;
                        rq->body_size = 0;
                        return MHD_YES;
                }
                char *b = realloc(rq->body, rq->body_size + n);
                if (!b)
                        return MHD_NO;
                memcpy(b + rq->body_size, upload_data, n);
                rq->body = b;
                rq->body_size += n;
                return MHD_YES;
        }

        /* The whole request is in (headers and body): its deadline stops here. A body trickling in a byte
         * at a time is cut by the same deadline as slow headers. */
        c = http_conn_get(connection);
        if (c)
                http_conn_unlink(c);

        if (rq->too_large)
                return queue_error(s, connection, 413, "request body too large");

        (void) MHD_get_connection_values(connection, MHD_HEADER_KIND, collect_header, &hc);

        q = strchr(rq->uri, '?');
        if (q)
                *q++ = 0;
        req = (HttpRequest) {
                .method = method,
                .path = rq->uri,
                .query = q,
                .headers = headers,
                .n_headers = hc.n,
                .body = rq->body,
                .body_size = rq->body_size,
        };

        {
                /* Before the token: a browser's request is refused whatever it carries. */
                HttpAccessPolicy ap = {
                        .unix_socket = c ? c->is_unix : !!s->unix_path,
                        .ws_allow_any_origin = s->ws_allow_any_origin,
                        .bound_address = s->bound_address,
                        .local_address = c && c->local_address[0] ? c->local_address : NULL,
                        .allowed_hosts = s->allowed_hosts,
                };
                const char *denied = http_access_check(&ap, &req);

                if (denied)
                        return queue_error(s, connection, 403, denied);
        }

        rq->waiting = true;
        http_router_dispatch(s->router, &req, &resp, on_complete, rq);

        if (resp.deferred) {
                http_response_done(&resp);
                if (rq->ready) {
                        /* Completed at once: answer now. */
                        ret = queue_response(s, connection, &rq->final);
                        http_response_done(&rq->final);
                        return ret;
                }
                rq->suspended = true;
                request_link_suspended(rq);
                MHD_suspend_connection(connection);
                return MHD_YES;
        }
        rq->waiting = false;

        if (resp.upgrade != HTTP_UPGRADE_NONE && resp.status == 101)
                ret = queue_upgrade(s, rq, &resp);
        else
                ret = queue_response(s, connection, &resp);
        http_response_done(&resp);
        return ret;
}
