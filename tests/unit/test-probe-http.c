/* http_get probes against a tiny HTTP server on 127.0.0.1:0 served from the same sd-event loop: status
 * matching, headers and path on the wire, timeouts, refused connections, URL building, bad configs, and
 * that the loop keeps running while a request hangs. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <strings.h>
#include <sys/socket.h>

#include <systemd/sd-event.h>

#include "probe/probe.h"
#include "shared/time-util.h"
#include "tests.h"

#define CONNS_MAX 16

typedef struct Conn {
        int fd;
        sd_event_source *source;
        char buf[4096];
        size_t len;
} Conn;

typedef struct Server {
        sd_event *event;
        int fd;
        int port;
        sd_event_source *source;
        int status;          /* what to answer */
        bool hang;           /* read the request, never answer */
        unsigned n_requests;
        char last_request[4096];
        Conn conns[CONNS_MAX];
} Server;

static void conn_close(Conn *c) {
        c->source = sd_event_source_disable_unref(c->source);
        c->fd = safe_close(c->fd);
        c->len = 0;
}

static int on_conn(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Conn *c = userdata;
        ssize_t n;

        n = read(fd, c->buf + c->len, sizeof c->buf - 1 - c->len);
        if (n <= 0) {
                conn_close(c);
                return 0;
        }
        c->len += n;
        c->buf[c->len] = 0;
        if (!strstr(c->buf, "\r\n\r\n"))
                return 0;
        return 1;   /* handled by the caller below */
}

static Server *the_server;

static int on_request(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Conn *c = userdata;
        Server *srv = the_server;
        char response[256];
        int k;

        if (on_conn(s, fd, revents, c) <= 0)
                return 0;
        srv->n_requests++;
        snprintf(srv->last_request, sizeof srv->last_request, "%s", c->buf);
        if (srv->hang) {
                (void) sd_event_source_set_enabled(c->source, SD_EVENT_OFF);
                return 0;
        }
        k = snprintf(response, sizeof response,
                     "HTTP/1.1 %d Whatever\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok", srv->status);
        ASSERT_EQ(write(fd, response, k), k);
        conn_close(c);
        return 0;
}

static int on_accept(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Server *srv = userdata;
        int cfd;

        cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (cfd < 0)
                return 0;
        for (size_t i = 0; i < CONNS_MAX; i++)
                if (srv->conns[i].fd < 0) {
                        Conn *c = srv->conns + i;
                        c->fd = cfd;
                        c->len = 0;
                        ASSERT_OK(sd_event_add_io(srv->event, &c->source, cfd, EPOLLIN, on_request, c));
                        return 0;
                }
        close(cfd);
        return 0;
}

static void server_start(Server *srv, sd_event *e) {
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t len = sizeof sa;

        *srv = (Server) { .event = e, .status = 200 };
        for (size_t i = 0; i < CONNS_MAX; i++)
                srv->conns[i].fd = -EBADF;
        srv->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        ASSERT_TRUE(srv->fd >= 0);
        ASSERT_EQ(bind(srv->fd, (struct sockaddr *) &sa, sizeof sa), 0);
        ASSERT_EQ(listen(srv->fd, 16), 0);
        ASSERT_EQ(getsockname(srv->fd, (struct sockaddr *) &sa, &len), 0);
        srv->port = ntohs(sa.sin_port);
        ASSERT_OK(sd_event_add_io(e, &srv->source, srv->fd, EPOLLIN, on_accept, srv));
        the_server = srv;
}

static void server_stop(Server *srv) {
        for (size_t i = 0; i < CONNS_MAX; i++)
                if (srv->conns[i].fd >= 0)
                        conn_close(srv->conns + i);
        srv->source = sd_event_source_disable_unref(srv->source);
        srv->fd = safe_close(srv->fd);
        the_server = NULL;
}

typedef struct Recorder {
        size_t n;
        bool ok[16], fatal[16];
        char error[16][512];
        usec_t at[16];
        usec_t t0;
} Recorder;

static void on_result(Probe *p, bool ok, bool fatal, const char *error, void *userdata) {
        Recorder *r = userdata;

        ASSERT_TRUE(r->n < 16);
        r->ok[r->n] = ok;
        r->fatal[r->n] = fatal;
        snprintf(r->error[r->n], sizeof r->error[r->n], "%s", error ?: "");
        r->at[r->n] = now_usec(CLOCK_MONOTONIC) - r->t0;
        r->n++;
}

static void run_until(sd_event *e, Recorder *rec, size_t n, double max_sec) {
        usec_t deadline = now_usec(CLOCK_MONOTONIC) + (usec_t) (max_sec * USEC_PER_SEC);

        for (;;) {
                usec_t t = now_usec(CLOCK_MONOTONIC);
                if (rec->n >= n || t >= deadline)
                        break;
                ASSERT_OK(sd_event_run(e, deadline - t));
        }
}

/* One check of cfg against the server; returns the recorder. */
static void check_once(sd_event *e, ProbeConfig *cfg, Recorder *rec) {
        _cleanup_(probe_freep) Probe *p = NULL;

        *rec = (Recorder) {};
        cfg->kind = PROBE_HTTP_GET;
        ASSERT_OK(probe_new(e, cfg, on_result, rec, &p));
        rec->t0 = now_usec(CLOCK_MONOTONIC);
        ASSERT_OK(probe_start(p));
        run_until(e, rec, 1, 5);
        ASSERT_EQ(rec->n, 1);
}

TEST(status_200_and_500) {
        sd_event *e;
        Server srv;
        Recorder rec;

        ASSERT_OK(sd_event_new(&e));
        server_start(&srv, e);

        check_once(e, &(ProbeConfig) { .port = srv.port, .path = "/health" }, &rec);
        ASSERT_TRUE(rec.ok[0]);
        ASSERT_EQ(srv.n_requests, 1u);
        ASSERT_TRUE(startswith(srv.last_request, "GET /health HTTP/1.1\r\n"));
        ASSERT_NOT_NULL(strstr(srv.last_request, "Host: 127.0.0.1:"));

        srv.status = 500;
        check_once(e, &(ProbeConfig) { .port = srv.port, .path = "/health" }, &rec);
        ASSERT_FALSE(rec.ok[0]);
        ASSERT_FALSE(rec.fatal[0]);
        ASSERT_STREQ(rec.error[0], "Received status code '500' does not match expected status code '200'");

        server_stop(&srv);
        sd_event_unref(e);
}

TEST(status_code_matching) {
        sd_event *e;
        Server srv;
        Recorder rec;

        ASSERT_OK(sd_event_new(&e));
        server_start(&srv, e);

        srv.status = 204;
        check_once(e, &(ProbeConfig) { .port = srv.port, .status_code = 204 }, &rec);
        ASSERT_TRUE(rec.ok[0]);

        /* exact match: 200 is not 204 */
        srv.status = 200;
        check_once(e, &(ProbeConfig) { .port = srv.port, .status_code = 204 }, &rec);
        ASSERT_FALSE(rec.ok[0]);
        ASSERT_STREQ(rec.error[0], "Received status code '200' does not match expected status code '204'");

        /* status_code >= 400 or < 1 means 200 (process-compose resets it) */
        check_once(e, &(ProbeConfig) { .port = srv.port, .status_code = 404 }, &rec);
        ASSERT_TRUE(rec.ok[0]);
        check_once(e, &(ProbeConfig) { .port = srv.port, .status_code = -1 }, &rec);
        ASSERT_TRUE(rec.ok[0]);
        srv.status = 404;
        check_once(e, &(ProbeConfig) { .port = srv.port, .status_code = 404 }, &rec);
        ASSERT_FALSE(rec.ok[0]);
        ASSERT_STREQ(rec.error[0], "Received status code '404' does not match expected status code '200'");

        server_stop(&srv);
        sd_event_unref(e);
}

TEST(headers_and_path_on_the_wire) {
        static const ProbeHeader headers[] = {
                { "X-Probe", "yes" },
                { "Authorization", "Bearer s3cret" },
                { "X-Empty", "" },
        };
        sd_event *e;
        Server srv;
        Recorder rec;

        ASSERT_OK(sd_event_new(&e));
        server_start(&srv, e);
        check_once(e, &(ProbeConfig) { .port = srv.port, .path = "ready now?x=1", .headers = headers,
                                       .n_headers = ELEMENTSOF(headers) }, &rec);
        ASSERT_TRUE(rec.ok[0]);
        /* the path is a path: relative gets a '/', space and '?' are escaped, as Go's url.URL does */
        ASSERT_TRUE(strncasecmp(srv.last_request, "GET /ready%20now%3Fx=1 HTTP/1.1\r\n", 33) == 0);
        ASSERT_NOT_NULL(strstr(srv.last_request, "\r\nX-Probe: yes\r\n"));
        ASSERT_NOT_NULL(strstr(srv.last_request, "\r\nAuthorization: Bearer s3cret\r\n"));
        ASSERT_NOT_NULL(strstr(srv.last_request, "\r\nX-Empty:"));
        server_stop(&srv);
        sd_event_unref(e);
}

static unsigned ticks;
static int on_tick(sd_event_source *s, uint64_t usec, void *userdata) {
        ticks++;
        return sd_event_source_set_time_relative(s, 50 * USEC_PER_MSEC) < 0 ? -1 :
               sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

TEST(timeout_does_not_block_the_loop) {
        _cleanup_(sd_event_source_unrefp) sd_event_source *tick = NULL;
        sd_event *e;
        Server srv;
        Recorder rec;

        ASSERT_OK(sd_event_new(&e));
        server_start(&srv, e);
        srv.hang = true;
        ASSERT_OK(sd_event_add_time_relative(e, &tick, CLOCK_MONOTONIC, 50 * USEC_PER_MSEC, 1, on_tick, NULL));
        ticks = 0;
        check_once(e, &(ProbeConfig) { .port = srv.port, .timeout_seconds = 1 }, &rec);
        ASSERT_FALSE(rec.ok[0]);
        ASSERT_TRUE(startswith(rec.error[0], "Ran into error while performing 'GET' request: "));
        ASSERT_NOT_NULL(strstr(rec.error[0], "timed out"));
        ASSERT_TRUE(rec.at[0] >= 900 * USEC_PER_MSEC);
        ASSERT_TRUE(rec.at[0] < 1600 * USEC_PER_MSEC);
        ASSERT_EQ(srv.n_requests, 1u);
        /* 50 ms ticks kept coming while the request hung for 1 s */
        ASSERT_TRUE(ticks >= 12);
        tick = sd_event_source_disable_unref(tick);
        server_stop(&srv);
        sd_event_unref(e);
}

TEST(connection_refused) {
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t len = sizeof sa;
        sd_event *e;
        Recorder rec;
        int fd, port;

        /* a port that was just free: bound, read, closed */
        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        ASSERT_TRUE(fd >= 0);
        ASSERT_EQ(bind(fd, (struct sockaddr *) &sa, sizeof sa), 0);
        ASSERT_EQ(getsockname(fd, (struct sockaddr *) &sa, &len), 0);
        port = ntohs(sa.sin_port);
        close(fd);

        ASSERT_OK(sd_event_new(&e));
        check_once(e, &(ProbeConfig) { .port = port }, &rec);
        ASSERT_FALSE(rec.ok[0]);
        ASSERT_TRUE(startswith(rec.error[0], "Ran into error while performing 'GET' request: "));
        ASSERT_NOT_NULL(strstr(rec.error[0], "onnect"));
        ASSERT_TRUE(rec.at[0] < 500 * USEC_PER_MSEC);
        sd_event_unref(e);
}

TEST(failure_threshold_over_http) {
        _cleanup_(probe_freep) Probe *p = NULL;
        sd_event *e;
        Server srv;
        Recorder rec = {};

        ASSERT_OK(sd_event_new(&e));
        server_start(&srv, e);
        srv.status = 503;
        ASSERT_OK(probe_new(e, &(ProbeConfig) { .kind = PROBE_HTTP_GET, .port = srv.port, .period_seconds = 1,
                                                .failure_threshold = 2 }, on_result, &rec, &p));
        rec.t0 = now_usec(CLOCK_MONOTONIC);
        ASSERT_OK(probe_start(p));
        run_until(e, &rec, 2, 5);
        ASSERT_EQ(rec.n, 2);
        ASSERT_FALSE(rec.fatal[0]);
        ASSERT_TRUE(rec.fatal[1]);
        /* recovers: the next check succeeds */
        srv.status = 200;
        run_until(e, &rec, 3, 5);
        ASSERT_EQ(rec.n, 3);
        ASSERT_TRUE(rec.ok[2]);
        ASSERT_EQ(srv.n_requests, 3u);
        p = probe_free(p);
        server_stop(&srv);
        sd_event_unref(e);
}

TEST(host_name_resolution) {
        sd_event *e;
        Server srv;
        Recorder rec;

        ASSERT_OK(sd_event_new(&e));
        server_start(&srv, e);
        /* localhost goes through libcurl's threaded resolver; ::1 first is fine, it falls back */
        check_once(e, &(ProbeConfig) { .host = "localhost", .port = srv.port }, &rec);
        ASSERT_TRUE(rec.ok[0]);
        server_stop(&srv);
        sd_event_unref(e);
}

TEST(urls) {
        static const struct {
                ProbeConfig c;
                const char *url;
        } rows[] = {
                { { .kind = PROBE_HTTP_GET }, "http://127.0.0.1/" },
                { { .kind = PROBE_HTTP_GET, .port = 8080 }, "http://127.0.0.1:8080/" },
                { { .kind = PROBE_HTTP_GET, .port = 0 }, "http://127.0.0.1/" },
                { { .kind = PROBE_HTTP_GET, .port = 70000 }, "http://127.0.0.1/" },
                { { .kind = PROBE_HTTP_GET, .scheme = "https", .host = "example.org", .path = "/live", .port = 443 },
                  "https://example.org:443/live" },
                { { .kind = PROBE_HTTP_GET, .host = "::1", .port = 9 }, "http://[::1]:9/" },
                { { .kind = PROBE_HTTP_GET, .host = "", .path = "" }, "http://127.0.0.1/" },
                { { .kind = PROBE_HTTP_GET, .path = "a/b" }, "http://127.0.0.1/a/b" },
        };
        sd_event *e;

        ASSERT_OK(sd_event_new(&e));
        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                _cleanup_(probe_freep) Probe *p = NULL;
                ASSERT_OK(probe_new(e, &rows[i].c, on_result, NULL, &p));
                ASSERT_STREQ(probe_get_url(p), rows[i].url);
        }
        sd_event_unref(e);
}

TEST(bad_configs) {
        static const ProbeHeader crlf[] = { { "X-A", "a\r\nX-Injected: 1" } };
        static const ProbeHeader badname[] = { { "X A", "v" } };
        static const ProbeHeader noname[] = { { "", "v" } };
        sd_event *e;
        Probe *p = NULL;

        ASSERT_OK(sd_event_new(&e));
        ASSERT_ERROR(probe_new(e, &(ProbeConfig) { .kind = PROBE_HTTP_GET, .scheme = "ftp" }, on_result, NULL, &p),
                     EINVAL);
        ASSERT_ERROR(probe_new(e, &(ProbeConfig) { .kind = PROBE_HTTP_GET, .headers = crlf, .n_headers = 1 },
                               on_result, NULL, &p), EINVAL);
        ASSERT_ERROR(probe_new(e, &(ProbeConfig) { .kind = PROBE_HTTP_GET, .headers = badname, .n_headers = 1 },
                               on_result, NULL, &p), EINVAL);
        ASSERT_ERROR(probe_new(e, &(ProbeConfig) { .kind = PROBE_HTTP_GET, .headers = noname, .n_headers = 1 },
                               on_result, NULL, &p), EINVAL);
        ASSERT_ERROR(probe_new(e, &(ProbeConfig) { .kind = PROBE_HTTP_GET, .headers = noname,
                                                   .n_headers = PROBE_HEADERS_MAX + 1 }, on_result, NULL, &p),
                     EINVAL);
        ASSERT_ERROR(probe_new(e, &(ProbeConfig) { .kind = PROBE_HTTP_GET, .host = "bad host/x" }, on_result, NULL,
                               &p), EINVAL);
        ASSERT_NULL(p);
        sd_event_unref(e);
}

DEFINE_TEST_MAIN();
