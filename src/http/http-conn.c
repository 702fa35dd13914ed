/* Connections of the HTTP server and their request deadlines: a request (headers and body) must be complete
 * within request_timeout of the connection opening or of the previous request ending, else the connection
 * is shut down. MHD's own timeout only measures idleness, which a slowloris client never shows. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "http/http-server-internal.h"

void http_conn_unlink(Conn *c) {
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
void http_conn_wait_request(Conn *c) {
        HttpServer *s = c->server;

        http_conn_unlink(c);
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

int http_conn_on_sweep(sd_event_source *es, uint64_t usec, void *userdata) {
        HttpServer *s = userdata;
        usec_t now = now_usec(CLOCK_MONOTONIC);

        while (s->conns_head && s->conns_head->deadline <= now) {
                Conn *c = s->conns_head;

                http_conn_unlink(c);
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

void http_conn_notify(void *cls, struct MHD_Connection *connection, void **socket_context,
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
                http_conn_wait_request(c);
        } else if (toe == MHD_CONNECTION_NOTIFY_CLOSED && c) {
                http_conn_unlink(c);
                s->n_conns--;
                free(c);
                *socket_context = NULL;
        }
}

Conn *http_conn_get(struct MHD_Connection *connection) {
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(connection,
                                                                     MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        return ci ? ci->socket_context : NULL;
}
