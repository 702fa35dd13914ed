/* The HTTP server's internals, shared by http-server.c (MHD on the loop, creation and teardown),
 * http-conn.c (connections and their request deadlines) and http-request.c (the access handler: bodies,
 * routing, deferred answers, WebSocket upgrades). Not for use outside src/http/. */
#pragma once

#include <stdbool.h>
#include <netinet/in.h>

#include <microhttpd.h>
#include <systemd/sd-event.h>

#include "http/http-router.h"
#include "http/http-server.h"

typedef struct Conn Conn;
typedef struct Request Request;

struct HttpServer {
        sd_event *event;
        struct MHD_Daemon *daemon;
        sd_event_source *io, *timer, *sweep;
        HttpRouter *router;
        const HttpBackend *backend;
        void *ctx;

        char *unix_path;             /* removed on free */
        char *bound_address;         /* --address as given, for the Host check */
        char **allowed_hosts;        /* --allowed-host */
        bool ws_allow_any_origin;
        uint16_t port;
        usec_t request_timeout;
        size_t max_body;

        Conn *conns_head, *conns_tail;   /* connections waiting for a request, oldest deadline first */
        Request *suspended_head;         /* requests waiting for the backend (MHD-suspended) */
        unsigned n_conns;
        bool freeing;
};

struct Conn {
        HttpServer *server;
        struct MHD_Connection *connection;
        int fd;
        usec_t deadline;             /* CLOCK_MONOTONIC; USEC_INFINITY while not waiting for a request */
        Conn *prev, *next;
        bool linked, killed, upgraded;
        bool is_unix;                /* exempt from the Host check */
        char local_address[INET6_ADDRSTRLEN];   /* the address it arrived on, numeric; "" if unknown */
};

struct Request {
        HttpServer *server;
        struct MHD_Connection *connection;
        Conn *conn;
        char *uri;                   /* raw, with the query */
        char *body;
        size_t body_size;
        bool started, too_large, waiting, suspended, ready;
        HttpResponse final;          /* a deferred answer, once complete */
        HttpUpgrade upgrade;
        void *upgrade_params;
        void (*upgrade_params_free)(void *params);
        Request *prev_suspended, *next_suspended;
        bool linked_suspended;
};

/* http-server.c: make MHD run again on the next loop iteration (after a resume or an upgrade's close). */
void http_server_kick(HttpServer *s);

/* http-conn.c */
void http_conn_unlink(Conn *c);
void http_conn_wait_request(Conn *c);
Conn *http_conn_get(struct MHD_Connection *connection);
void http_conn_notify(void *cls, struct MHD_Connection *connection, void **socket_context,
                      enum MHD_ConnectionNotificationCode toe);
int http_conn_on_sweep(sd_event_source *es, uint64_t usec, void *userdata);

/* http-request.c: MHD's callbacks for a request. */
void *http_request_new(void *cls, const char *uri, struct MHD_Connection *connection);
size_t http_request_unescape(void *cls, struct MHD_Connection *c, char *s);
void http_request_completed(void *cls, struct MHD_Connection *connection, void **req_cls,
                            enum MHD_RequestTerminationCode toe);
enum MHD_Result http_request_handler(void *cls, struct MHD_Connection *connection, const char *url,
                                     const char *method, const char *version, const char *upload_data,
                                     size_t *upload_data_size, void **req_cls);
