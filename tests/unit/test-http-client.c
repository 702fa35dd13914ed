/* The REST client against a tiny canned HTTP server on a unix socket (a forked child): Host header, token
 * header, methods, bodies, and the errors for 401, 400, 207, non-JSON and refused connections. */
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/wait.h>

#include "client/client-options.h"
#include "client/http-client.h"
#include "tests.h"

static char *header_value(const char *req, const char *name) {
        size_t l = strlen(name);
        for (const char *p = strstr(req, "\r\n"); p; p = strstr(p + 2, "\r\n"))
                if (strncasecmp(p + 2, name, l) == 0 && p[2 + l] == ':') {
                        const char *v = p + 2 + l + 1, *e;
                        while (*v == ' ')
                                v++;
                        e = strstr(v, "\r\n");
                        return strndup(v, e ? (size_t) (e - v) : strlen(v));
                }
        return strdup("");
}

static void respond(int fd, const char *status, const char *body) {
        char head[256];
        int n = snprintf(head, sizeof(head),
                         "HTTP/1.1 %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                         "Connection: close\r\n\r\n", status, strlen(body));
        (void) !write(fd, head, (size_t) n);
        (void) !write(fd, body, strlen(body));
}

static void serve_one(int cfd) {
        char req[16384];
        size_t n = 0;
        char *end, *body = NULL;
        ssize_t k;

        /* read the head, then Content-Length bytes of body */
        for (;;) {
                k = read(cfd, req + n, sizeof(req) - 1 - n);
                if (k <= 0)
                        return;
                n += (size_t) k;
                req[n] = 0;
                end = strstr(req, "\r\n\r\n");
                if (end) {
                        _cleanup_free_ char *cl = header_value(req, "Content-Length");
                        size_t want = (size_t) atol(cl);
                        if (n >= (size_t) (end + 4 - req) + want || n >= sizeof(req) - 1) {
                                body = end + 4;
                                break;
                        }
                }
        }
        *end = 0;

        char method[16] = "", path[1024] = "";
        sscanf(req, "%15s %1023s", method, path);

        if (streq(path, "/unauth"))
                respond(cfd, "401 Unauthorized", "");
        else if (streq(path, "/bad"))
                respond(cfd, "400 Bad Request", "{\"error\":\"process x is not running\"}");
        else if (streq(path, "/multi"))
                respond(cfd, "207 Multi-Status", "{\"a\":\"ok\",\"b\":\"process b is not running\"}");
        else if (streq(path, "/text404"))
                respond(cfd, "404 Not Found", "404 page not found");
        else if (streq(path, "/notjson"))
                respond(cfd, "200 OK", "hello");
        else {
                _cleanup_free_ char *host = header_value(req, "Host"), *tok = header_value(req, "X-PC-Token-Key"),
                                    *ct = header_value(req, "Content-Type"), *out = NULL;
                cJSON *o = cJSON_CreateObject();
                cJSON_AddStringToObject(o, "host", host);
                cJSON_AddStringToObject(o, "token", tok);
                cJSON_AddStringToObject(o, "method", method);
                cJSON_AddStringToObject(o, "path", path);
                cJSON_AddStringToObject(o, "content_type", ct);
                cJSON_AddStringToObject(o, "body", body ?: "");
                out = cJSON_PrintUnformatted(o);
                cJSON_Delete(o);
                respond(cfd, "200 OK", out);
        }
}

static pid_t start_server(const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd;
        pid_t pid;

        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        ASSERT_TRUE(fd >= 0);
        ASSERT_EQ(bind(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        ASSERT_EQ(listen(fd, 16), 0);
        pid = fork();
        ASSERT_TRUE(pid >= 0);
        if (pid == 0) {
                /* The client may close as soon as it has the head of an answer without a body; writing the
                 * (empty) rest must not kill the server. */
                (void) signal(SIGPIPE, SIG_IGN);
                for (;;) {
                        int cfd = accept(fd, NULL, NULL);
                        if (cfd < 0)
                                _exit(0);
                        serve_one(cfd);
                        close(cfd);
                }
        }
        close(fd);
        return pid;
}

static HttpClient *client_for(const char *socket_path, const char *token) {
        ClientOptions o = CLIENT_OPTIONS_INIT;
        HttpClient *c = NULL;
        _cleanup_free_ char *err = NULL;

        o.use_uds = true;
        o.socket_path = strdup(socket_path);
        if (token)
                o.token = strdup(token);
        ASSERT_OK(http_client_new(&o, &c, &err));
        client_options_done(&o);
        return c;
}

TEST(requests_and_errors) {
        _cleanup_free_ char *dir = test_tmpdir(), *sock = NULL;
        pid_t pid;

        ASSERT_TRUE(asprintf(&sock, "%s/api.sock", dir) > 0);
        pid = start_server(sock);

        {
                /* Host: unix, the token header, no body for GET */
                _cleanup_(http_client_freep) HttpClient *c = client_for(sock, "tok-0123456789abcdefghij");
                _cleanup_free_ char *err = NULL;
                cJSON *j = NULL;
                long status = 0;

                ASSERT_OK(http_client_call(c, "GET", "/process/a%2Fb", NULL, false, &j, &status, &err));
                ASSERT_EQ(status, 200);
                ASSERT_STREQ(cJSON_GetObjectItem(j, "host")->valuestring, "unix");
                ASSERT_STREQ(cJSON_GetObjectItem(j, "token")->valuestring, "tok-0123456789abcdefghij");
                ASSERT_STREQ(cJSON_GetObjectItem(j, "method")->valuestring, "GET");
                ASSERT_STREQ(cJSON_GetObjectItem(j, "path")->valuestring, "/process/a%2Fb");
                ASSERT_STREQ(cJSON_GetObjectItem(j, "content_type")->valuestring, "");
                cJSON_Delete(j);
        }
        {
                /* a JSON body with its content type; no token header without a token */
                _cleanup_(http_client_freep) HttpClient *c = client_for(sock, NULL);
                _cleanup_free_ char *err = NULL;
                cJSON *body = cJSON_Parse("[\"a\",\"b\"]"), *j = NULL;

                ASSERT_OK(http_client_call(c, "PATCH", "/processes/stop", body, true, &j, NULL, &err));
                ASSERT_STREQ(cJSON_GetObjectItem(j, "method")->valuestring, "PATCH");
                ASSERT_STREQ(cJSON_GetObjectItem(j, "body")->valuestring, "[\"a\",\"b\"]");
                ASSERT_STREQ(cJSON_GetObjectItem(j, "content_type")->valuestring, "application/json");
                ASSERT_STREQ(cJSON_GetObjectItem(j, "token")->valuestring, "");
                cJSON_Delete(j);
                cJSON_Delete(body);

                /* the same handle, again: POST without a body */
                j = NULL;
                ASSERT_OK(http_client_call(c, "POST", "/project/stop", NULL, false, &j, NULL, &err));
                ASSERT_STREQ(cJSON_GetObjectItem(j, "method")->valuestring, "POST");
                ASSERT_STREQ(cJSON_GetObjectItem(j, "body")->valuestring, "");
                cJSON_Delete(j);
        }
        {
                _cleanup_(http_client_freep) HttpClient *c = client_for(sock, NULL);
                _cleanup_free_ char *e1 = NULL, *e2 = NULL, *e3 = NULL, *e4 = NULL, *e5 = NULL;
                cJSON *j = NULL;
                long status = 0;

                ASSERT_ERROR(http_client_call(c, "GET", "/unauth", NULL, false, NULL, NULL, &e1), EACCES);
                ASSERT_STREQ(e1, "authentication failed: invalid or missing PC_API_TOKEN");
                ASSERT_ERROR(http_client_call(c, "PATCH", "/bad", NULL, false, NULL, NULL, &e2), EBADMSG);
                ASSERT_STREQ(e2, "process x is not running");
                ASSERT_ERROR(http_client_call(c, "GET", "/text404", NULL, false, NULL, NULL, &e3), EBADMSG);
                ASSERT_STREQ(e3, "HTTP 404: 404 page not found");
                ASSERT_ERROR(http_client_call(c, "GET", "/notjson", NULL, false, &j, NULL, &e4), EPROTO);
                ASSERT_NOT_NULL(strstr(e4, "not JSON"));
                /* 207 only where accepted */
                ASSERT_ERROR(http_client_call(c, "PATCH", "/multi", NULL, false, NULL, NULL, &e5), EBADMSG);
                ASSERT_OK(http_client_call(c, "PATCH", "/multi", NULL, true, &j, &status, NULL));
                ASSERT_EQ(status, 207);
                ASSERT_STREQ(cJSON_GetObjectItem(j, "b")->valuestring, "process b is not running");
                cJSON_Delete(j);
        }

        kill(pid, SIGKILL);
        ASSERT_EQ(waitpid(pid, NULL, 0), pid);

        {
                /* nobody listens any more: Go's wording, -ECONNREFUSED */
                _cleanup_(http_client_freep) HttpClient *c = client_for(sock, NULL);
                _cleanup_free_ char *err = NULL, *expect = NULL;

                ASSERT_ERROR(http_client_call(c, "GET", "/processes", NULL, false, NULL, NULL, &err), ECONNREFUSED);
                ASSERT_TRUE(asprintf(&expect, "Get \"http://unix/processes\": dial unix %s: connect: connection refused",
                                     sock) > 0);
                ASSERT_STREQ(err, expect);
        }
        unlink(sock);
        {
                _cleanup_(http_client_freep) HttpClient *c = client_for(sock, NULL);
                _cleanup_free_ char *err = NULL;

                ASSERT_ERROR(http_client_call(c, "DELETE", "/process/logs/x", NULL, false, NULL, NULL, &err), ENOENT);
                ASSERT_NOT_NULL(strstr(err, "Delete \"http://unix/process/logs/x\": dial unix "));
                ASSERT_NOT_NULL(strstr(err, ": connect: no such file or directory"));
        }
        rmdir(dir);
}

TEST(tcp_refused) {
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t sl = sizeof(sa);
        ClientOptions o = CLIENT_OPTIONS_INIT;
        _cleanup_(http_client_freep) HttpClient *c = NULL;
        _cleanup_free_ char *err = NULL, *expect = NULL;
        int fd;

        /* a port that was free a moment ago */
        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        ASSERT_TRUE(fd >= 0);
        ASSERT_EQ(bind(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        ASSERT_EQ(getsockname(fd, (struct sockaddr *) &sa, &sl), 0);
        close(fd);

        o.address = strdup("127.0.0.1");
        o.port = ntohs(sa.sin_port);
        ASSERT_OK(http_client_new(&o, &c, &err));
        ASSERT_ERROR(http_client_call(c, "POST", "/process/start/web", NULL, false, NULL, NULL, &err), ECONNREFUSED);
        ASSERT_TRUE(asprintf(&expect, "Post \"http://127.0.0.1:%u/process/start/web\": dial tcp 127.0.0.1:%u: "
                             "connect: connection refused", o.port, o.port) > 0);
        ASSERT_STREQ(err, expect);
        client_options_done(&o);
}

DEFINE_TEST_MAIN();
