/* Client handshake (see ws-client.h). */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "ws/ws-client.h"
#include "ws/ws-handshake.h"

/* A 101 answer is a few hundred bytes; an error answer carries a short JSON body. */
#define RESPONSE_MAX (64u * 1024u)

void ws_client_result_done(WsClientResult *r) {
        if (!r)
                return;
        r->fd = safe_close(r->fd);
        r->extra = mfree(r->extra);
        r->body = mfree(r->body);
}

static int wait_fd(int fd, short events, usec_t deadline) {
        for (;;) {
                usec_t now = now_usec(CLOCK_MONOTONIC);
                struct pollfd p = { .fd = fd, .events = events };
                int r;

                if (now >= deadline)
                        return -ETIMEDOUT;
                r = poll(&p, 1, (int) DIV_ROUND_UP(deadline - now, USEC_PER_MSEC));
                if (r < 0 && errno != EINTR)
                        return -errno;
                if (r > 0)
                        return 0;
        }
}

static int connect_fd(const WsClientTarget *t, usec_t deadline) {
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (t->unix_path) {
                struct sockaddr_un sa = { .sun_family = AF_UNIX };

                if (strlen(t->unix_path) >= sizeof(sa.sun_path))
                        return -ENAMETOOLONG;
                strcpy(sa.sun_path, t->unix_path);
                fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
                if (fd < 0)
                        return -errno;
                if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 && errno != EINPROGRESS)
                        return -errno;
        } else {
                struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG }, *ai = NULL;
                char port[16];
                int last = -ECONNREFUSED;

                snprintf(port, sizeof(port), "%u", t->port);
                r = getaddrinfo(t->host, port, &hints, &ai);
                if (r != 0)
                        return r == EAI_SYSTEM ? -errno : -EHOSTUNREACH;
                for (struct addrinfo *a = ai; a; a = a->ai_next) {
                        int err = 0;
                        socklen_t sl = sizeof(err);

                        fd = safe_close(fd);
                        fd = socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
                        if (fd < 0) {
                                last = -errno;
                                continue;
                        }
                        if (connect(fd, a->ai_addr, a->ai_addrlen) < 0) {
                                if (errno != EINPROGRESS) {
                                        last = -errno;
                                        continue;
                                }
                                r = wait_fd(fd, POLLOUT, deadline);
                                if (r < 0) {
                                        last = r;
                                        continue;
                                }
                                if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl) < 0 || err != 0) {
                                        last = -(err ?: errno);
                                        continue;
                                }
                        }
                        last = 0;
                        break;
                }
                freeaddrinfo(ai);
                if (last < 0)
                        return last;
        }
        return TAKE_FD(fd);
}

static int send_all(int fd, const char *buf, size_t len, usec_t deadline) {
        while (len > 0) {
                ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (IN_SET(errno, EAGAIN, EINPROGRESS, ENOTCONN)) {
                                int r = wait_fd(fd, POLLOUT, deadline);
                                if (r < 0)
                                        return r;
                                continue;
                        }
                        return -errno;
                }
                buf += n;
                len -= n;
        }
        return 0;
}

/* The value of header name in the response head (NUL-terminated), copied into out. */
static bool response_header(const char *head, const char *name, char *out, size_t size) {
        size_t nl = strlen(name);

        for (const char *p = strstr(head, "\r\n"); p && p[2]; p = strstr(p + 2, "\r\n")) {
                const char *line = p + 2, *e = strstr(line, "\r\n");
                size_t l;

                if (!e)
                        break;
                if ((size_t) (e - line) > nl && strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
                        const char *v = line + nl + 1;
                        while (*v == ' ' || *v == '\t')
                                v++;
                        l = MIN((size_t) (e - v), size - 1);
                        memcpy(out, v, l);
                        while (l > 0 && (out[l - 1] == ' ' || out[l - 1] == '\t'))
                                l--;
                        out[l] = 0;
                        return true;
                }
        }
        return false;
}

/* Build the upgrade request for path_and_query, with key and the optional token header. */
static int format_request(const WsClientTarget *t, const char *path_and_query, const char *key, char **ret_req) {
        char hostbuf[300];

        if (t->unix_path)
                snprintf(hostbuf, sizeof(hostbuf), "unix");
        else if (strchr(t->host, ':'))
                snprintf(hostbuf, sizeof(hostbuf), "[%s]:%u", t->host, t->port);
        else
                snprintf(hostbuf, sizeof(hostbuf), "%s:%u", t->host, t->port);
        if (asprintf(ret_req,
                     "GET %s HTTP/1.1\r\n"
                     "Host: %s\r\n"
                     "Upgrade: websocket\r\n"
                     "Connection: Upgrade\r\n"
                     "Sec-WebSocket-Key: %s\r\n"
                     "Sec-WebSocket-Version: 13\r\n"
                     "User-Agent: pcctl\r\n"
                     "%s%s%s"
                     "\r\n",
                     path_and_query, hostbuf, key, t->token ? "X-PC-Token-Key: " : "", strempty(t->token),
                     t->token ? "\r\n" : "") < 0)
                return -ENOMEM;
        return 0;
}

/* Read into buf (RESPONSE_MAX + 1 bytes) until the end of the response head; bytes after it may follow.
 * *ret_end points at the blank line's "\r\n\r\n". */
static int recv_head(int fd, char *buf, size_t *len, usec_t deadline, const char **ret_end) {
        for (;;) {
                const char *end;
                ssize_t n;

                buf[*len] = 0;
                end = strstr(buf, "\r\n\r\n");
                if (end) {
                        *ret_end = end;
                        return 0;
                }
                if (*len >= RESPONSE_MAX)
                        return -EMSGSIZE;
                n = recv(fd, buf + *len, RESPONSE_MAX - *len, 0);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN) {
                                int r = wait_fd(fd, POLLIN, deadline);
                                if (r < 0)
                                        return r;
                                continue;
                        }
                        return -errno;
                }
                if (n == 0)
                        return -ECONNRESET;
                *len += n;
        }
}

/* A refused upgrade: read the (short) error body for the message into res->body, best effort. */
static void recv_error_body(int fd, char *buf, size_t len, usec_t deadline, WsClientResult *res) {
        char cl[32];
        size_t body_len = 0, have;
        const char *end = strstr(buf, "\r\n\r\n");

        if (response_header(buf, "Content-Length", cl, sizeof(cl)))
                body_len = MIN((size_t) strtoul(cl, NULL, 10), (size_t) RESPONSE_MAX / 2);
        have = len - (end + 4 - buf);
        while (have < body_len && len < RESPONSE_MAX) {
                ssize_t n = recv(fd, buf + len, RESPONSE_MAX - len, 0);
                if (n < 0 && errno == EAGAIN && wait_fd(fd, POLLIN, deadline) >= 0)
                        continue;
                if (n <= 0)
                        break;
                len += n;
                have += n;
        }
        buf[len] = 0;
        end = strstr(buf, "\r\n\r\n");
        res->body = strdup(end + 4);
}

/* Keep the bytes the server sent after the 101 head (the first frames) for the caller. */
static int take_extra(const char *data, size_t size, WsClientResult *res) {
        if (size == 0)
                return 0;
        res->extra = malloc(size);
        if (!res->extra)
                return -ENOMEM;
        memcpy(res->extra, data, size);
        res->extra_size = size;
        return 0;
}

int ws_client_connect(const WsClientTarget *t, const char *path_and_query, usec_t timeout, WsClientResult *res) {
        _cleanup_free_ char *req = NULL, *buf = NULL;
        _cleanup_close_ int fd = -EBADF;
        char key[WS_KEY_SIZE], accept[WS_ACCEPT_SIZE], got[128];
        usec_t deadline = now_usec(CLOCK_MONOTONIC) + timeout;
        size_t len = 0;
        const char *end = NULL;
        unsigned status;
        int r;

        *res = (WsClientResult) { .fd = -EBADF };

        r = ws_handshake_new_key(key);
        if (r < 0)
                return r;
        r = ws_handshake_accept(key, accept);
        if (r < 0)
                return r;

        fd = connect_fd(t, deadline);
        if (fd < 0)
                return fd;

        r = format_request(t, path_and_query, key, &req);
        if (r < 0)
                return r;
        r = send_all(fd, req, strlen(req), deadline);
        if (r < 0)
                return r;

        buf = malloc(RESPONSE_MAX + 1);
        if (!buf)
                return -ENOMEM;
        r = recv_head(fd, buf, &len, deadline, &end);
        if (r < 0)
                return r;

        if (sscanf(buf, "HTTP/1.%*[01] %u", &status) != 1)
                return -EPROTO;
        res->status = status;
        if (status != 101) {
                recv_error_body(fd, buf, len, deadline, res);
                return status == 401 ? -EACCES : -EPROTO;
        }

        if (!response_header(buf, "Sec-WebSocket-Accept", got, sizeof(got)) || !streq(got, accept))
                return -EPROTO;

        r = take_extra(end + 4, len - (end + 4 - buf), res);
        if (r < 0)
                return r;
        res->fd = TAKE_FD(fd);
        return 0;
}
