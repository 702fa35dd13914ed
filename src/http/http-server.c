/* libmicrohttpd on the sd-event loop (style.md §0.1): MHD_USE_EPOLL with no MHD thread, its epoll fd an io
 * source, its timeout a relative one-shot timer. Requests go through the I/O-free router; deferred answers
 * use MHD suspend/resume; WebSocket upgrades are handed to the backend's ws_attach.
 *
 * Limits: connections in total and per address (MHD), memory per connection (MHD: bounds the request line
 * and headers, 431/414 beyond), body bytes (413), and a request deadline: a request (headers and body) must
 * be complete within request_timeout of the connection opening or of the previous request ending, else the
 * connection is shut down. MHD's own timeout only measures idleness, which a slowloris client never shows. */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <netdb.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <microhttpd.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "http/http-access.h"
#include "http/http-router.h"
#include "http/http-server.h"
#include "shared/log.h"
#include "shared/strv.h"

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

/* ---- request deadlines ---- */

static void conn_unlink(Conn *c) {
        HttpServer *s = c->server;

        if (!c->linked)
                return;
        if (c->prev)
                c->prev->next = c->next;
        else
                s->conns_head = c->next;
        if (c->next)
                c->next->prev = c->prev;
        else
                s->conns_tail = c->prev;
        c->prev = c->next = NULL;
        c->linked = false;
}

/* The connection now waits for a (next) request: append it, the list stays ordered by deadline. */
static void conn_wait_request(Conn *c) {
        HttpServer *s = c->server;

        conn_unlink(c);
        if (c->upgraded || c->killed)
                return;
        c->deadline = now_usec(CLOCK_MONOTONIC) + s->request_timeout;
        c->prev = s->conns_tail;
        if (s->conns_tail)
                s->conns_tail->next = c;
        else
                s->conns_head = c;
        s->conns_tail = c;
        c->linked = true;
        if (s->sweep && s->conns_head == c) {
                (void) sd_event_source_set_time(s->sweep, c->deadline);
                (void) sd_event_source_set_enabled(s->sweep, SD_EVENT_ON);
        }
}

static int on_sweep(sd_event_source *es, uint64_t usec, void *userdata) {
        HttpServer *s = userdata;
        usec_t now = now_usec(CLOCK_MONOTONIC);

        while (s->conns_head && s->conns_head->deadline <= now) {
                Conn *c = s->conns_head;

                conn_unlink(c);
                c->killed = true;
                /* MHD notices the shutdown on its next read and closes the connection itself. */
                if (c->fd >= 0)
                        (void) shutdown(c->fd, SHUT_RDWR);
        }
        if (!s->conns_head)
                return sd_event_source_set_enabled(es, SD_EVENT_OFF);
        (void) sd_event_source_set_time(es, MAX(s->conns_head->deadline, now + USEC_PER_MSEC * 100));
        return sd_event_source_set_enabled(es, SD_EVENT_ON);
}

static void conn_get_local_address(Conn *c) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;

        if (c->fd < 0 || getsockname(c->fd, (struct sockaddr *) &ss, &sl) < 0)
                return;
        if (ss.ss_family == AF_UNIX)
                c->is_unix = true;
        else if (ss.ss_family == AF_INET)
                (void) inet_ntop(AF_INET, &((struct sockaddr_in *) &ss)->sin_addr, c->local_address,
                                 sizeof c->local_address);
        else if (ss.ss_family == AF_INET6)
                (void) inet_ntop(AF_INET6, &((struct sockaddr_in6 *) &ss)->sin6_addr, c->local_address,
                                 sizeof c->local_address);
}

static void notify_connection(void *cls, struct MHD_Connection *connection, void **socket_context,
                              enum MHD_ConnectionNotificationCode toe) {
        HttpServer *s = cls;
        Conn *c = *socket_context;

        if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
                const union MHD_ConnectionInfo *ci;

                c = calloc(1, sizeof *c);
                if (!c)
                        return;   /* no deadline for this one; MHD's idle timeout still applies */
                c->server = s;
                c->connection = connection;
                ci = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
                c->fd = ci ? ci->connect_fd : -1;
                conn_get_local_address(c);
                *socket_context = c;
                s->n_conns++;
                conn_wait_request(c);
        } else if (toe == MHD_CONNECTION_NOTIFY_CLOSED && c) {
                conn_unlink(c);
                s->n_conns--;
                free(c);
                *socket_context = NULL;
        }
}

/* ---- MHD on sd-event ---- */

static void server_rearm(HttpServer *s) {
        MHD_UNSIGNED_LONG_LONG ms;

        if (!s->timer)
                return;
        if (MHD_get_timeout(s->daemon, &ms) == MHD_YES) {
                (void) sd_event_source_set_time_relative(s->timer, (usec_t) ms * USEC_PER_MSEC);
                (void) sd_event_source_set_enabled(s->timer, SD_EVENT_ONESHOT);
        } else
                (void) sd_event_source_set_enabled(s->timer, SD_EVENT_OFF);
}

/* MHD 0.9.75 drops MHD_USE_ITC in external-loop mode, so MHD_resume_connection() and
 * MHD_upgrade_action(CLOSE) wake nothing: whoever calls them must make MHD run again. The timer is the cheapest
 * way to do that on the next loop iteration. */
static void server_kick(HttpServer *s) {
        if (!s->timer)
                return;
        (void) sd_event_source_set_time_relative(s->timer, 0);
        (void) sd_event_source_set_enabled(s->timer, SD_EVENT_ONESHOT);
}

static void server_run(HttpServer *s) {
        if (MHD_run(s->daemon) == MHD_NO)
                log_debug("MHD_run() failed; will retry on the next event.");
        server_rearm(s);
}

static int on_io(sd_event_source *es, int fd, uint32_t revents, void *userdata) {
        server_run(userdata);
        return 0;
}

static int on_timer(sd_event_source *es, uint64_t usec, void *userdata) {
        server_run(userdata);
        return 0;
}

static void mhd_logger(void *cls, const char *fmt, va_list ap) {
        _cleanup_free_ char *m = NULL;

        if (log_get_max_level() < LOG_DEBUG)
                return;
        if (vasprintf(&m, fmt, ap) < 0)
                return;
        m[strcspn(m, "\n")] = 0;
        log_debug("http: %s", m);
}

/* Keep the URL raw: routing percent-decodes each path segment itself, so "%2F" stays inside a name. */
static size_t unescape_none(void *cls, struct MHD_Connection *c, char *s) {
        return strlen(s);
}

static void *uri_log(void *cls, const char *uri, struct MHD_Connection *connection) {
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

static void request_completed(void *cls, struct MHD_Connection *connection, void **req_cls,
                              enum MHD_RequestTerminationCode toe) {
        Request *rq = *req_cls;
        const union MHD_ConnectionInfo *ci;
        Conn *c;

        /* The connection waits for its next request from now on (keep-alive), unless it was upgraded. */
        ci = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        c = ci ? ci->socket_context : NULL;
        if (c && toe == MHD_REQUEST_TERMINATED_COMPLETED_OK && !c->upgraded)
                conn_wait_request(c);

        request_free(rq);
        *req_cls = NULL;
}

static Conn *request_conn(struct MHD_Connection *connection) {
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(connection,
                                                                     MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        return ci ? ci->socket_context : NULL;
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
                server_kick(rq->server);
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
        server_kick(u->server);
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
                server_kick(s);
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
                server_kick(s);
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
        c = request_conn(rq->connection);
        if (c) {
                c->upgraded = true;
                conn_unlink(c);
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

static enum MHD_Result access_handler(void *cls, struct MHD_Connection *connection, const char *url,
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
                rq = uri_log(s, url, connection);
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
        c = request_conn(connection);
        if (c)
                conn_unlink(c);

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

/* ---- listening sockets ---- */

static int make_nonblock_cloexec(int fd) {
        int fl = fcntl(fd, F_GETFL);

        if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
                return -errno;
        fl = fcntl(fd, F_GETFD);
        if (fl < 0 || fcntl(fd, F_SETFD, fl | FD_CLOEXEC) < 0)
                return -errno;
        return 0;
}

static int listen_unix(const char *path, int *ret_fd) {
        _cleanup_close_ int fd = -EBADF;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        mode_t old;
        int r;

        if (strlen(path) >= sizeof sa.sun_path)
                return log_error_errno(-ENAMETOOLONG, "unix socket path %s is too long", path);
        memcpy(sa.sun_path, path, strlen(path));

        if (access(path, F_OK) == 0) {
                _cleanup_close_ int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

                if (probe >= 0 && connect(probe, (struct sockaddr *) &sa, sizeof sa) == 0)
                        return log_error_errno(-EADDRINUSE, "unix socket %s is already in use", path);
                /* A stale file left by a process that is gone. */
                if (unlink(path) < 0 && errno != ENOENT)
                        return log_error_errno(-errno, "failed to remove stale unix socket %s: %m", path);
        }

        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return log_error_errno(-errno, "failed to create unix socket: %m");
        /* Created 0600 from the start: no window in which another user could connect. */
        old = umask(0177);
        r = bind(fd, (struct sockaddr *) &sa, sizeof sa);
        umask(old);
        if (r < 0)
                return log_error_errno(-errno, "failed to bind unix socket %s: %m", path);
        (void) chmod(path, 0600);
        if (listen(fd, SOMAXCONN) < 0) {
                r = -errno;
                (void) unlink(path);
                return log_error_errno(r, "failed to listen on unix socket %s: %m", path);
        }
        *ret_fd = TAKE_FD(fd);
        return 0;
}

static int listen_tcp(const char *address, uint16_t port, int *ret_fd, uint16_t *ret_port) {
        struct addrinfo hints = {
                .ai_flags = AI_PASSIVE | AI_NUMERICSERV,
                .ai_family = AF_UNSPEC,
                .ai_socktype = SOCK_STREAM,
        }, *ai = NULL;
        char service[8];
        const char *host = address && *address ? address : NULL;
        int r, last = -EADDRNOTAVAIL;

        snprintf(service, sizeof service, "%u", port);
        r = getaddrinfo(host, service, &hints, &ai);
        if (r != 0)
                return log_error_errno(-EADDRNOTAVAIL, "cannot resolve listen address %s: %s", address ?: "",
                                       gai_strerror(r));

        /* IPv4 first, as Go's listener resolves "localhost" to 127.0.0.1 before ::1. */
        for (int pass = 0; pass < 2; pass++)
                for (struct addrinfo *a = ai; a; a = a->ai_next) {
                        _cleanup_close_ int fd = -EBADF;
                        int one = 1, zero = 0;
                        struct sockaddr_storage ss;
                        socklen_t sl = sizeof ss;

                        if ((pass == 0) != (a->ai_family == AF_INET))
                                continue;
                        fd = socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
                        if (fd < 0) {
                                last = -errno;
                                continue;
                        }
                        (void) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
                        if (a->ai_family == AF_INET6)
                                /* "::" serves IPv4 too, like Go's dual-stack listener. */
                                (void) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
                        if (bind(fd, a->ai_addr, a->ai_addrlen) < 0 || listen(fd, SOMAXCONN) < 0) {
                                last = -errno;
                                continue;
                        }
                        if (getsockname(fd, (struct sockaddr *) &ss, &sl) == 0)
                                *ret_port = ntohs(ss.ss_family == AF_INET6 ?
                                                  ((struct sockaddr_in6 *) &ss)->sin6_port :
                                                  ((struct sockaddr_in *) &ss)->sin_port);
                        freeaddrinfo(ai);
                        *ret_fd = TAKE_FD(fd);
                        return 0;
                }
        freeaddrinfo(ai);
        return log_error_errno(last, "failed to listen on %s:%u: %m", address ?: "*", port);
}

static int listen_activated(int *ret_fd, uint16_t *ret_port) {
        int n = sd_listen_fds(true), fd, r;
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;

        if (n <= 0)
                return n;
        if (n > 1)
                log_warning("http: %d sockets passed by the service manager; using the first one.", n);
        fd = SD_LISTEN_FDS_START;
        r = sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1);
        if (r <= 0)
                return log_error_errno(r < 0 ? r : -ENOTSOCK,
                                       "socket activation: fd %d is not a listening stream socket", fd);
        r = make_nonblock_cloexec(fd);
        if (r < 0)
                return log_error_errno(r, "socket activation: cannot set up fd %d: %m", fd);
        if (getsockname(fd, (struct sockaddr *) &ss, &sl) == 0 && (ss.ss_family == AF_INET ||
                                                                  ss.ss_family == AF_INET6))
                *ret_port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *) &ss)->sin6_port :
                                                             ((struct sockaddr_in *) &ss)->sin_port);
        *ret_fd = fd;
        return 1;
}

/* 2000 idle clients need 2000 descriptors: lift the soft limit to the hard one (as systemd does for
 * itself); units started through the bus do not inherit it. */
static void bump_nofile(unsigned want) {
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= want + 64)
                return;
        rl.rlim_cur = MIN(rl.rlim_max, (rlim_t) want + 1024);
        (void) setrlimit(RLIMIT_NOFILE, &rl);
}

/**
 * http_server_new_full() - the HTTP server on an sd-event loop.
 * @event: the loop
 * @config: binding, token and limits (0 selects a default)
 * @backend: what the router calls; backend->free_ctx(ctx) runs when the server is freed, also on failure
 * @ctx: the backend's context
 * @ret: set to the new server
 *
 * Takes the socket passed by the service manager if there is one, else binds config->unix_socket or
 * config->address:config->port. Logs its own startup errors.
 *
 * Return: 0, -EADDRINUSE for a unix socket in use, -EINVAL for a short token, other negative errno.
 */
int http_server_new_full(sd_event *event, const HttpServerConfig *config, const HttpBackend *backend, void *ctx,
                         HttpServer **ret) {
        _cleanup_(http_server_freep) HttpServer *s = NULL;
        _cleanup_close_ int fd = -EBADF;
        unsigned max_conn, max_ip;
        size_t max_header;
        const union MHD_DaemonInfo *di;
        int r;

        s = calloc(1, sizeof *s);
        if (!s) {
                if (backend && backend->free_ctx)
                        backend->free_ctx(ctx);
                return log_oom();
        }
        s->backend = backend;
        s->ctx = ctx;
        s->event = sd_event_ref(event);

        if (config->token && *config->token && strlen(config->token) < HTTP_TOKEN_MIN)
                return log_error_errno(-EINVAL, "PC_API_TOKEN must be at least %u characters long",
                                       HTTP_TOKEN_MIN);
        r = http_router_new(backend, ctx, config->token, &s->router);
        if (r < 0)
                return log_error_errno(r, "failed to create the HTTP router: %m");
        http_router_set_read_only(s->router, config->read_only);

        max_conn = config->max_connections ?: HTTP_SERVER_DEFAULT_MAX_CONNECTIONS;
        max_ip = config->max_connections_per_ip ?: HTTP_SERVER_DEFAULT_MAX_CONNECTIONS_PER_IP;
        max_header = config->max_header ?: HTTP_SERVER_DEFAULT_MAX_HEADER;
        s->request_timeout = config->request_timeout ?: HTTP_SERVER_DEFAULT_REQUEST_TIMEOUT;
        s->max_body = config->max_body ?: HTTP_BODY_MAX;
        s->ws_allow_any_origin = config->ws_allow_any_origin;
        if (config->address && !(s->bound_address = strdup(config->address)))
                return log_oom();
        if (config->allowed_hosts && !(s->allowed_hosts = strv_copy(config->allowed_hosts)))
                return log_oom();

        r = listen_activated(&fd, &s->port);
        if (r < 0)
                return r;
        if (r == 0) {
                if (config->unix_socket) {
                        r = listen_unix(config->unix_socket, &fd);
                        if (r < 0)
                                return r;
                        s->unix_path = strdup(config->unix_socket);
                        if (!s->unix_path) {
                                (void) unlink(config->unix_socket);
                                return log_oom();
                        }
                } else {
                        r = listen_tcp(config->address ?: "localhost", config->port, &fd, &s->port);
                        if (r < 0)
                                return r;
                }
        }

        bump_nofile(max_conn);
        /* Each GET /processes builds and frees a cJSON tree and its text (tens of KiB); with glibc's default
         * 128 KiB trim threshold every request shrinks the heap with brk() and grows it again, and on a VM each
         * shrink costs a TLB shootdown across CPUs (a third of the CPU time of a /processes load). Keep up to
         * 8 MiB of freed heap instead. */
        (void) mallopt(M_TRIM_THRESHOLD, 8 * 1024 * 1024);

        s->daemon = MHD_start_daemon(
                        MHD_USE_EPOLL | MHD_ALLOW_UPGRADE | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC |
                        MHD_USE_ERROR_LOG,
                        0, NULL, NULL, access_handler, s,
                        MHD_OPTION_LISTEN_SOCKET, fd,
                        MHD_OPTION_CONNECTION_LIMIT, max_conn,
                        MHD_OPTION_PER_IP_CONNECTION_LIMIT, max_ip,
                        MHD_OPTION_CONNECTION_MEMORY_LIMIT, max_header,
                        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned) DIV_ROUND_UP(s->request_timeout, USEC_PER_SEC),
                        MHD_OPTION_NOTIFY_COMPLETED, request_completed, s,
                        MHD_OPTION_NOTIFY_CONNECTION, notify_connection, s,
                        MHD_OPTION_URI_LOG_CALLBACK, uri_log, s,
                        MHD_OPTION_UNESCAPE_CALLBACK, unescape_none, s,
                        MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, s,
                        MHD_OPTION_STRICT_FOR_CLIENT, 1,
                        MHD_OPTION_END);
        if (!s->daemon) {
                if (s->unix_path)
                        (void) unlink(s->unix_path);
                return log_error_errno(-EIO, "failed to start the HTTP server");
        }
        TAKE_FD(fd);   /* MHD closes it in MHD_stop_daemon() */

        di = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_EPOLL_FD);
        if (!di)
                return log_error_errno(-EIO, "HTTP server has no epoll fd");
        r = sd_event_add_io(event, &s->io, di->epoll_fd, EPOLLIN, on_io, s);
        if (r < 0)
                return log_error_errno(r, "failed to watch the HTTP server: %m");
        (void) sd_event_source_set_description(s->io, "http-io");
        /* Accuracy 1 µs: 0 would mean sd-event's default of 250 ms, and MHD's "run again now" would wait for it. */
        r = sd_event_add_time_relative(event, &s->timer, CLOCK_MONOTONIC, 0, 1, on_timer, s);
        if (r < 0)
                return log_error_errno(r, "failed to add the HTTP timer: %m");
        (void) sd_event_source_set_description(s->timer, "http-timer");
        r = sd_event_add_time(event, &s->sweep, CLOCK_MONOTONIC, USEC_INFINITY, 100 * USEC_PER_MSEC, on_sweep, s);
        if (r < 0)
                return log_error_errno(r, "failed to add the HTTP deadline timer: %m");
        (void) sd_event_source_set_description(s->sweep, "http-deadlines");
        (void) sd_event_source_set_enabled(s->sweep, SD_EVENT_OFF);
        server_rearm(s);

        *ret = TAKE_PTR(s);
        return 0;
}

HttpServer *http_server_free(HttpServer *s) {
        if (!s)
                return NULL;
        /* Give resumed responses (a deferred POST /project/stop) and requests already queued on the listening
         * socket a chance to be answered: MHD_run() in external epoll mode never blocks. */
        for (int i = 0; s->daemon && i < 4; i++)
                (void) MHD_run(s->daemon);
        /* From here on no new connection, and requests on open ones get 503: the backend is going away. */
        s->freeing = true;
        if (s->daemon) {
                MHD_socket lfd = MHD_quiesce_daemon(s->daemon);

                if (lfd != MHD_INVALID_SOCKET)
                        (void) close(lfd);
        }
        /* The WebSocket sessions end first: each releases its upgraded connection back to MHD, which must
         * see them closed before it stops. */
        if (s->backend && s->backend->free_ctx) {
                s->backend->free_ctx(s->ctx);
                s->backend = NULL;
        }
        /* Requests still waiting for the backend (a second POST /project/stop that came in while the project
         * wound down, a restart) get their answer now. MHD_stop_daemon() aborts the process if any connection
         * is still suspended, so every one is resumed here, and MHD gets a few runs to write the answers. */
        http_router_flush(s->router);
        for (Request *rq = s->suspended_head; rq; rq = rq->next_suspended)
                if (rq->suspended) {
                        /* not answered by the flush: a request the router no longer knows */
                        http_response_set_error(&rq->final, 503, "the controller is shutting down");
                        rq->ready = true;
                        rq->waiting = false;
                        rq->suspended = false;
                        MHD_resume_connection(rq->connection);
                }
        for (int i = 0; s->daemon && i < 8; i++)
                (void) MHD_run(s->daemon);
        if (s->daemon)
                MHD_stop_daemon(s->daemon);
        sd_event_source_disable_unref(s->io);
        sd_event_source_disable_unref(s->timer);
        sd_event_source_disable_unref(s->sweep);
        if (s->unix_path) {
                (void) unlink(s->unix_path);
                free(s->unix_path);
        }
        http_router_free(s->router);
        free(s->bound_address);
        strv_free(s->allowed_hosts);
        sd_event_unref(s->event);
        free(s);
        return NULL;
}

uint16_t http_server_get_port(HttpServer *s) {
        return s ? s->port : 0;
}

unsigned http_server_n_connections(HttpServer *s) {
        return s ? s->n_conns : 0;
}

void http_server_config_done(HttpServerConfig *c) {
        if (!c)
                return;
        free(c->address);
        free(c->unix_socket);
        strv_free(c->allowed_hosts);
        if (c->token) {
                explicit_bzero(c->token, strlen(c->token));
                free(c->token);
        }
        *c = (HttpServerConfig) {};
}
