/* libmicrohttpd on the sd-event loop (style.md §0.1): MHD_USE_EPOLL with no MHD thread, its epoll fd an io
 * source, its timeout a relative one-shot timer. Requests go through the I/O-free router; deferred answers
 * use MHD suspend/resume; WebSocket upgrades are handed to the backend's ws_attach.
 *
 * Limits: connections in total and per address (MHD), memory per connection (MHD: bounds the request line
 * and headers, 431/414 beyond), body bytes (413), and a request deadline: a request (headers and body) must
 * be complete within request_timeout of the connection opening or of the previous request ending, else the
 * connection is shut down. MHD's own timeout only measures idleness, which a slowloris client never shows. */
#include <errno.h>
#include <malloc.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>
#include <systemd/sd-event.h>

#include "http/http-listen.h"
#include "http/http-server-internal.h"
#include "shared/log.h"
#include "shared/strv.h"

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
void http_server_kick(HttpServer *s) {
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

        r = http_listen_activated(&fd, &s->port);
        if (r < 0)
                return r;
        if (r == 0) {
                if (config->unix_socket) {
                        r = http_listen_unix(config->unix_socket, &fd);
                        if (r < 0)
                                return r;
                        s->unix_path = strdup(config->unix_socket);
                        if (!s->unix_path) {
                                (void) unlink(config->unix_socket);
                                return log_oom();
                        }
                } else {
                        r = http_listen_tcp(config->address ?: "localhost", config->port, &fd, &s->port);
                        if (r < 0)
                                return r;
                }
        }

        http_bump_nofile(max_conn);
        /* Each GET /processes builds and frees a cJSON tree and its text (tens of KiB); with glibc's default
         * 128 KiB trim threshold every request shrinks the heap with brk() and grows it again, and on a VM each
         * shrink costs a TLB shootdown across CPUs (a third of the CPU time of a /processes load). Keep up to
         * 8 MiB of freed heap instead. */
        (void) mallopt(M_TRIM_THRESHOLD, 8 * 1024 * 1024);

        s->daemon = MHD_start_daemon(
                        MHD_USE_EPOLL | MHD_ALLOW_UPGRADE | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC |
                        MHD_USE_ERROR_LOG,
                        0, NULL, NULL, http_request_handler, s,
                        MHD_OPTION_LISTEN_SOCKET, fd,
                        MHD_OPTION_CONNECTION_LIMIT, max_conn,
                        MHD_OPTION_PER_IP_CONNECTION_LIMIT, max_ip,
                        MHD_OPTION_CONNECTION_MEMORY_LIMIT, max_header,
                        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned) DIV_ROUND_UP(s->request_timeout, USEC_PER_SEC),
                        MHD_OPTION_NOTIFY_COMPLETED, http_request_completed, s,
                        MHD_OPTION_NOTIFY_CONNECTION, http_conn_notify, s,
                        MHD_OPTION_URI_LOG_CALLBACK, http_request_new, s,
                        MHD_OPTION_UNESCAPE_CALLBACK, http_request_unescape, s,
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
        r = sd_event_add_time(event, &s->sweep, CLOCK_MONOTONIC, USEC_INFINITY, 100 * USEC_PER_MSEC, http_conn_on_sweep, s);
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
