/* MHD on sd-event: a real server on 127.0.0.1:0 (and a unix socket) with the fake backend, driven by a small
 * blocking client in a thread while the test's loop runs the server. */
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <systemd/sd-event.h>

#include "http/http-server.h"
#include "test-http-fake.h"
#include "tests.h"

static Fake fake;
static sd_event *event;
static HttpServer *server;
static uint16_t port;
static char *unix_path;
static atomic_bool client_done;

static int connect_server(void) {
        int fd;

        if (unix_path) {
                struct sockaddr_un sa = { .sun_family = AF_UNIX };

                memcpy(sa.sun_path, unix_path, MIN(strlen(unix_path), sizeof sa.sun_path - 1));
                fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
                if (fd < 0 || connect(fd, (struct sockaddr *) &sa, sizeof sa) < 0)
                        TEST_FAIL("connect %s: %m", unix_path);
        } else {
                struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };

                sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
                fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
                if (fd < 0 || connect(fd, (struct sockaddr *) &sa, sizeof sa) < 0)
                        TEST_FAIL("connect: %m");
        }
        return fd;
}

static void send_all(int fd, const char *data, size_t n) {
        while (n > 0) {
                ssize_t k = send(fd, data, n, MSG_NOSIGNAL);
                if (k <= 0)
                        return;   /* the server may close early (413); the answer tells */
                data += k;
                n -= (size_t) k;
        }
}

/* Reads until EOF or timeout; returns what came. */
static char *recv_all(int fd, int timeout_ms) {
        size_t n = 0, alloc = 4096;
        char *buf = malloc(alloc);

        for (;;) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                ssize_t k;

                if (poll(&p, 1, timeout_ms) <= 0)
                        break;
                if (n + 1024 > alloc)
                        buf = realloc(buf, alloc *= 2);
                k = recv(fd, buf + n, alloc - n - 1, 0);
                if (k <= 0)
                        break;
                n += (size_t) k;
        }
        buf[n] = 0;
        return buf;
}

/* len 0: the request is a C string. */
static char *exchange(const char *request, size_t len) {
        int fd = connect_server();
        char *r;

        send_all(fd, request, len ?: strlen(request));
        r = recv_all(fd, 5000);
        close(fd);
        return r;
}

static unsigned status_of(const char *response) {
        unsigned s = 0;

        if (sscanf(response, "HTTP/1.1 %u", &s) != 1)
                return 0;
        return s;
}

static const char *body_of(const char *response) {
        const char *b = strstr(response, "\r\n\r\n");
        return b ? b + 4 : "";
}

typedef void (*ClientFunc)(void);

static void *client_thread(void *arg) {
        ((ClientFunc) arg)();
        atomic_store(&client_done, true);
        return NULL;
}

/* Runs the server's loop until the client function returns. */
static void run_client(ClientFunc f) {
        pthread_t t;

        atomic_store(&client_done, false);
        ASSERT_EQ(pthread_create(&t, NULL, client_thread, (void *) f), 0);
        while (!atomic_load(&client_done))
                ASSERT_OK(sd_event_run(event, 10 * USEC_PER_MSEC));
        pthread_join(t, NULL);
}

static void start_server(HttpServerConfig *c) {
        fake_done(&fake);
        fake_init(&fake);
        if (!event)
                ASSERT_OK(sd_event_new(&event));
        if (!c->address && !c->unix_socket)
                c->address = (char *) "127.0.0.1";
        ASSERT_OK(http_server_new_full(event, c, &fake_backend, &fake, &server));
        port = http_server_get_port(server);
        if (!c->unix_socket)
                ASSERT_TRUE(port > 0);
}

static void stop_server(void) {
        server = http_server_free(server);
}

/* ---- basic requests ---- */

static char *r_live, *r_decoded, *r_404, *r_keepalive;

static void client_basic(void) {
        static const char ka[] = "GET /live HTTP/1.1\r\nHost: localhost\r\n\r\nGET /project/name HTTP/1.1\r\nHost: localhost\r\n"
                                 "Connection: close\r\n\r\n";

        r_live = exchange("GET /live HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", 0);
        r_decoded = exchange("GET /process/%40scope%2Fpkg HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", 0);
        r_404 = exchange("GET /nope/ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", 0);
        r_keepalive = exchange(ka, sizeof ka - 1);
}

TEST(basic_requests) {
        HttpServerConfig c = {};

        start_server(&c);
        run_client(client_basic);
        ASSERT_EQ(status_of(r_live), 200);
        ASSERT_TRUE(strstr(r_live, "Content-Type: application/json; charset=utf-8\r\n") != NULL);
        ASSERT_STREQ(body_of(r_live), "{\"status\":\"alive\"}");
        ASSERT_EQ(status_of(r_decoded), 200);
        ASSERT_TRUE(strstr(body_of(r_decoded), "\"name\":\"@scope/pkg\"") != NULL);
        ASSERT_EQ(status_of(r_404), 404);
        ASSERT_STREQ(body_of(r_404), "404 page not found");
        /* Two answers on one connection. */
        ASSERT_TRUE(strstr(r_keepalive, "{\"status\":\"alive\"}") != NULL);
        ASSERT_TRUE(strstr(r_keepalive, "{\"projectName\":\"host/proj\"}") != NULL);
        free(r_live);
        free(r_decoded);
        free(r_404);
        free(r_keepalive);
        stop_server();
}

/* ---- limits ---- */

static char *r_cl413, *r_chunk413, *r_hdr, *r_post;

static void client_limits(void) {
        char req[8192], *big;
        size_t n;
        int l;

        l = snprintf(req, sizeof req, "PATCH /processes/stop HTTP/1.1\r\nHost: localhost\r\nContent-Length: %u\r\n"
                                      "Connection: close\r\n\r\n", 2048u);
        r_cl413 = exchange(req, (size_t) l);

        /* Chunked, no length: the size shows while reading; 413 at the end. */
        n = 0;
        big = malloc(64 * 1024);
        n += (size_t) sprintf(big, "PATCH /processes/stop HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n"
                                   "Connection: close\r\n\r\n");
        for (int i = 0; i < 3; i++) {
                n += (size_t) sprintf(big + n, "400\r\n");
                memset(big + n, ' ', 1024);
                n += 1024;
                n += (size_t) sprintf(big + n, "\r\n");
        }
        n += (size_t) sprintf(big + n, "0\r\n\r\n");
        r_chunk413 = exchange(big, n);

        /* 40 KiB of headers, more than the 16 KiB per-connection memory. */
        n = (size_t) sprintf(big, "GET /live HTTP/1.1\r\nHost: localhost\r\n");
        for (int i = 0; i < 400; i++)
                n += (size_t) sprintf(big + n, "X-Filler-%03d: %090d\r\n", i, 0);
        n += (size_t) sprintf(big + n, "Connection: close\r\n\r\n");
        r_hdr = exchange(big, n);
        free(big);

        l = snprintf(req, sizeof req, "PATCH /processes/stop HTTP/1.1\r\nHost: localhost\r\nContent-Length: 12\r\n"
                                      "Connection: close\r\n\r\n[\"web\",\"db\"]");
        r_post = exchange(req, (size_t) l);
}

TEST(limits) {
        HttpServerConfig c = { .max_body = 1024, .max_header = 16 * 1024 };

        start_server(&c);
        run_client(client_limits);
        ASSERT_EQ(status_of(r_cl413), 413);
        ASSERT_EQ(status_of(r_chunk413), 413);
        ASSERT_TRUE(status_of(r_hdr) == 431 || status_of(r_hdr) == 414 || status_of(r_hdr) == 400);
        ASSERT_EQ(status_of(r_post), 207);
        ASSERT_TRUE(strstr(body_of(r_post), "\"db\":\"process db is not running\"") != NULL);
        free(r_cl413);
        free(r_chunk413);
        free(r_hdr);
        free(r_post);
        stop_server();
}

/* ---- deferred answer ---- */

static char *r_deferred;
static usec_t t_deferred;

static int finish_later(sd_event_source *s, uint64_t usec, void *userdata) {
        fake_finish(&fake, 0);
        return 0;
}

static void client_deferred(void) {
        usec_t t0 = now_usec(CLOCK_MONOTONIC);

        r_deferred = exchange("POST /process/restart/web HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", 0);
        t_deferred = now_usec(CLOCK_MONOTONIC) - t0;
}

TEST(deferred) {
        HttpServerConfig c = {};
        sd_event_source *t = NULL;

        start_server(&c);
        ASSERT_OK(sd_event_add_time_relative(event, &t, CLOCK_MONOTONIC, 300 * USEC_PER_MSEC, 0, finish_later,
                                             NULL));
        run_client(client_deferred);
        ASSERT_EQ(status_of(r_deferred), 200);
        ASSERT_STREQ(body_of(r_deferred), "{\"name\":\"web\"}");
        /* The answer waited for the backend's completion. */
        ASSERT_TRUE(t_deferred >= 250 * USEC_PER_MSEC);
        free(r_deferred);
        sd_event_source_unref(t);
        stop_server();
}

/* ---- slowloris ---- */

static usec_t t_slow;
static bool slow_closed;

static void client_slowloris(void) {
        int fd = connect_server();
        usec_t t0 = now_usec(CLOCK_MONOTONIC);
        const char *req = "GET /live HTTP/1.1\r\nHost: localhost\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

        /* One byte every 100 ms: never idle long enough for an idle timeout, never done. */
        for (const char *p = req; *p; p++) {
                if (send(fd, p, 1, MSG_NOSIGNAL) <= 0) {
                        slow_closed = true;
                        break;
                }
                struct pollfd pf = { .fd = fd, .events = POLLIN };
                if (poll(&pf, 1, 100) > 0) {
                        char b[256];
                        if (recv(fd, b, sizeof b, 0) <= 0) {
                                slow_closed = true;
                                break;
                        }
                }
        }
        t_slow = now_usec(CLOCK_MONOTONIC) - t0;
        close(fd);
}

static void client_slow_body(void) {
        int fd = connect_server();
        usec_t t0 = now_usec(CLOCK_MONOTONIC);
        const char *hdr = "PATCH /processes/stop HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n[";

        slow_closed = false;
        send_all(fd, hdr, strlen(hdr));
        /* Headers at once, then the body a byte every 100 ms: 10 s for the body, if it were let through. */
        for (int i = 0; i < 100; i++) {
                struct pollfd pf = { .fd = fd, .events = POLLIN };

                if (send(fd, " ", 1, MSG_NOSIGNAL) <= 0) {
                        slow_closed = true;
                        break;
                }
                if (poll(&pf, 1, 100) > 0) {
                        char b[256];
                        if (recv(fd, b, sizeof b, 0) <= 0) {
                                slow_closed = true;
                                break;
                        }
                }
        }
        t_slow = now_usec(CLOCK_MONOTONIC) - t0;
        close(fd);
}

TEST(slowloris) {
        HttpServerConfig c = { .request_timeout = USEC_PER_SEC };

        start_server(&c);
        run_client(client_slowloris);
        ASSERT_TRUE(slow_closed);
        ASSERT_TRUE(t_slow < 4 * USEC_PER_SEC);
        ASSERT_TRUE(t_slow >= 900 * USEC_PER_MSEC);

        run_client(client_slow_body);
        ASSERT_TRUE(slow_closed);
        ASSERT_TRUE(t_slow < 4 * USEC_PER_SEC);
        ASSERT_TRUE(t_slow >= 900 * USEC_PER_MSEC);
        stop_server();
}

/* ---- auth ---- */

static char *r_noauth, *r_auth;

static void client_auth(void) {
        r_noauth = exchange("GET /live HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", 0);
        r_auth = exchange("GET /live HTTP/1.1\r\nHost: localhost\r\nX-PC-Token-Key: 0123456789abcdefghijXYZ\r\n"
                          "Connection: close\r\n\r\n", 0);
}

TEST(auth) {
        HttpServerConfig c = { .token = (char *) "0123456789abcdefghijXYZ" };
        HttpServerConfig bad = { .token = (char *) "tooshort", .address = (char *) "127.0.0.1" };
        HttpServer *s = NULL;

        ASSERT_ERROR(http_server_new_full(event, &bad, &fake_backend, &fake, &s), EINVAL);
        start_server(&c);
        run_client(client_auth);
        ASSERT_EQ(status_of(r_noauth), 401);
        ASSERT_STREQ(body_of(r_noauth), "");
        ASSERT_NULL(strstr(r_noauth, "Content-Type"));
        ASSERT_EQ(status_of(r_auth), 200);
        free(r_noauth);
        free(r_auth);
        stop_server();
}

/* ---- unix socket ---- */

static char *r_unix;

static void client_unix(void) {
        r_unix = exchange("GET /live HTTP/1.1\r\nHost: unix\r\nConnection: close\r\n\r\n", 0);
}

TEST(unix_socket) {
        _cleanup_free_ char *dir = test_tmpdir();
        char path[512];
        HttpServerConfig c = {};
        HttpServer *second = NULL;
        struct stat st;
        int fd;

        snprintf(path, sizeof path, "%s/pc.sock", dir);
        /* A stale socket file (nobody listening) is replaced. */
        fd = socket(AF_UNIX, SOCK_STREAM, 0);
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        ASSERT_TRUE(strlen(path) < sizeof sa.sun_path);
        memcpy(sa.sun_path, path, strlen(path));
        ASSERT_TRUE(bind(fd, (struct sockaddr *) &sa, sizeof sa) == 0);
        close(fd);
        ASSERT_TRUE(access(path, F_OK) == 0);

        c.unix_socket = path;
        unix_path = path;
        start_server(&c);
        ASSERT_TRUE(stat(path, &st) == 0);
        ASSERT_TRUE(S_ISSOCK(st.st_mode));
        ASSERT_EQ(st.st_mode & 0777, 0600);
        ASSERT_EQ(http_server_get_port(server), 0);
        run_client(client_unix);
        ASSERT_EQ(status_of(r_unix), 200);
        free(r_unix);

        /* A live socket is in use. */
        ASSERT_ERROR(http_server_new_full(event, &c, &fake_backend, &fake, &second), EADDRINUSE);
        stop_server();
        /* Removed on exit. */
        ASSERT_TRUE(access(path, F_OK) < 0 && errno == ENOENT);
        unix_path = NULL;
        rmdir(dir);
}

/* ---- connection limits ---- */

static int n_refused;

static void client_limit(void) {
        int fds[8];

        for (int i = 0; i < 8; i++) {
                fds[i] = connect_server();
                send_all(fds[i], "GET /live HTTP/1.1\r\nHost: localhost\r\n\r\n", 39);
        }
        for (int i = 0; i < 8; i++) {
                char *r = recv_all(fds[i], 300);
                if (status_of(r) != 200)
                        n_refused++;
                free(r);
                close(fds[i]);
        }
}

TEST(per_ip_limit) {
        HttpServerConfig c = { .max_connections_per_ip = 4 };

        start_server(&c);
        n_refused = 0;
        run_client(client_limit);
        ASSERT_EQ(n_refused, 4);
        stop_server();
}

TEST(zz_cleanup) {
        fake_done(&fake);
        event = sd_event_unref(event);
}

DEFINE_TEST_MAIN();
