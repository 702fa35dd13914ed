/* Client options: flags and environment precedence, ports, URLs, auth header, path escaping. */
#include <getopt.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "client/client-options.h"
#include "client/http-client.h"
#include "tests.h"

static void clear_env(void) {
        unsetenv("PC_ADDRESS");
        unsetenv("PC_PORT_NUM");
        unsetenv("PC_SOCKET_PATH");
        unsetenv("PC_API_TOKEN_PATH");
        unsetenv("PC_API_TOKEN");
}

/* Runs a getopt_long() loop as a verb does; returns the first error. */
static int parse(ClientOptions *o, int argc, char **argv, char **err) {
        static const struct option options[] = { CLIENT_OPTIONS_LONG, { "output", required_argument, NULL, 'o' },
                                                 {} };
        int c, r;

        r = client_options_from_env(o, err);
        if (r < 0)
                return r;
        optind = 0;
        while ((c = getopt_long(argc, argv, CLIENT_OPTIONS_SHORT "o:", options, NULL)) >= 0) {
                r = client_options_parse(o, c, optarg, err);
                if (r < 0)
                        return r;
                if (r == 0 && c != 'o')
                        return -EINVAL;
        }
        return client_options_finish(o, err);
}

TEST(defaults) {
        _cleanup_(client_options_done) ClientOptions o = CLIENT_OPTIONS_INIT;
        _cleanup_free_ char *url = NULL, *auth = NULL, *err = NULL;
        char *argv[] = { (char *) "list", NULL };

        clear_env();
        ASSERT_OK(parse(&o, 1, argv, &err));
        ASSERT_OK(client_options_base_url(&o, &url));
        ASSERT_STREQ(url, "http://localhost:8080");
        ASSERT_OK(client_options_auth_header(&o, &auth));
        ASSERT_NULL(auth);
        ASSERT_FALSE(o.use_uds);
}

TEST(env_then_flags) {
        _cleanup_(client_options_done) ClientOptions o = CLIENT_OPTIONS_INIT;
        _cleanup_free_ char *url = NULL, *err = NULL;
        char *argv[] = { (char *) "list", (char *) "-p", (char *) "9999", (char *) "-o", (char *) "json", NULL };

        clear_env();
        setenv("PC_ADDRESS", "127.0.0.1", 1);
        setenv("PC_PORT_NUM", "1234", 1);
        ASSERT_OK(parse(&o, 5, argv, &err));
        ASSERT_OK(client_options_base_url(&o, &url));
        /* the flag wins over PC_PORT_NUM; PC_ADDRESS stays */
        ASSERT_STREQ(url, "http://127.0.0.1:9999");
        clear_env();
}

TEST(ipv6_address) {
        _cleanup_(client_options_done) ClientOptions o = CLIENT_OPTIONS_INIT;
        _cleanup_free_ char *url = NULL, *err = NULL, *d = NULL;
        char *argv[] = { (char *) "list", (char *) "--address", (char *) "[::1]", NULL };

        clear_env();
        ASSERT_OK(parse(&o, 3, argv, &err));
        ASSERT_OK(client_options_base_url(&o, &url));
        ASSERT_STREQ(url, "http://[::1]:8080");
        ASSERT_OK(client_options_describe(&o, &d));
        ASSERT_STREQ(d, "[::1]:8080");
}

TEST(bad_port) {
        uint16_t p = 0;

        ASSERT_OK(client_parse_port("1", &p));
        ASSERT_EQ(p, 1);
        ASSERT_OK(client_parse_port("65535", &p));
        ASSERT_EQ(p, 65535);
        ASSERT_ERROR(client_parse_port("0", &p), ERANGE);
        ASSERT_ERROR(client_parse_port("65536", &p), ERANGE);
        ASSERT_ERROR(client_parse_port("-1", &p), EINVAL);
        ASSERT_ERROR(client_parse_port("80x", &p), EINVAL);
        ASSERT_ERROR(client_parse_port("", &p), EINVAL);
        ASSERT_ERROR(client_parse_port(" 80", &p), EINVAL);
        ASSERT_ERROR(client_parse_port("123456", &p), EINVAL);
}

TEST(bad_port_env_is_fatal) {
        _cleanup_(client_options_done) ClientOptions o = CLIENT_OPTIONS_INIT;
        _cleanup_free_ char *err = NULL;

        clear_env();
        setenv("PC_PORT_NUM", "eighty", 1);
        ASSERT_ERROR(client_options_from_env(&o, &err), EINVAL);
        ASSERT_STREQ(err, "Invalid port number: eighty");
        clear_env();
}

TEST(bad_port_flag) {
        _cleanup_(client_options_done) ClientOptions o = CLIENT_OPTIONS_INIT;
        _cleanup_free_ char *err = NULL;
        char *argv[] = { (char *) "list", (char *) "-p", (char *) "99999", NULL };

        clear_env();
        ASSERT_ERROR(parse(&o, 3, argv, &err), EINVAL);
        ASSERT_STREQ(err, "invalid port '99999': expected 1..65535");
}

TEST(bad_address) {
        _cleanup_(client_options_done) ClientOptions o = CLIENT_OPTIONS_INIT;
        _cleanup_free_ char *err = NULL;
        char *argv[] = { (char *) "list", (char *) "-a", (char *) "local host/x", NULL };

        clear_env();
        ASSERT_ERROR(parse(&o, 3, argv, &err), EINVAL);
        ASSERT_NOT_NULL(strstr(err, "invalid address"));
}

TEST(unix_socket) {
        _cleanup_(client_options_done) ClientOptions o = CLIENT_OPTIONS_INIT;
        _cleanup_free_ char *url = NULL, *err = NULL, *d = NULL;
        char *argv[] = { (char *) "list", (char *) "-u", (char *) "/run/x.sock", NULL };

        clear_env();
        ASSERT_OK(parse(&o, 3, argv, &err));
        ASSERT_TRUE(o.use_uds);
        ASSERT_STREQ(o.socket_path, "/run/x.sock");
        ASSERT_OK(client_options_base_url(&o, &url));
        ASSERT_STREQ(url, "http://unix");
        ASSERT_OK(client_options_describe(&o, &d));
        ASSERT_STREQ(d, "unix socket /run/x.sock");
}

TEST(unix_socket_env_implies_uds) {
        _cleanup_(client_options_done) ClientOptions o = CLIENT_OPTIONS_INIT;
        _cleanup_free_ char *err = NULL;
        char *argv[] = { (char *) "list", NULL };

        clear_env();
        setenv("PC_SOCKET_PATH", "/run/y.sock", 1);
        ASSERT_OK(parse(&o, 1, argv, &err));
        ASSERT_TRUE(o.use_uds);
        ASSERT_STREQ(o.socket_path, "/run/y.sock");
        clear_env();
}

TEST(socket_path_too_long) {
        _cleanup_(client_options_done) ClientOptions o = CLIENT_OPTIONS_INIT;
        _cleanup_free_ char *err = NULL;
        char p[200];
        char *argv[] = { (char *) "list", (char *) "-u", p, NULL };

        clear_env();
        memset(p, 'a', sizeof(p) - 1);
        p[0] = '/';
        p[sizeof(p) - 1] = 0;
        ASSERT_ERROR(parse(&o, 3, argv, &err), ENAMETOOLONG);
}

static int listen_unix(const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd;

        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        ASSERT_TRUE(fd >= 0);
        ASSERT_EQ(bind(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        ASSERT_EQ(listen(fd, 4), 0);
        return fd;
}

TEST(use_uds_discovers_socket) {
        _cleanup_free_ char *dir = test_tmpdir(), *live = NULL, *stale = NULL, *live2 = NULL;
        char *argv[] = { (char *) "list", (char *) "-U", NULL };
        int fd, fd2;

        clear_env();
        setenv("TMPDIR", dir, 1);

        {
                /* nothing there */
                _cleanup_(client_options_done) ClientOptions o = CLIENT_OPTIONS_INIT;
                _cleanup_free_ char *err = NULL;
                ASSERT_ERROR(parse(&o, 2, argv, &err), ENOENT);
                ASSERT_NOT_NULL(strstr(err, "-u"));
        }

        ASSERT_TRUE(asprintf(&live, "%s/process-compose-4242.sock", dir) > 0);
        ASSERT_TRUE(asprintf(&stale, "%s/process-compose-17.sock", dir) > 0);
        fd = listen_unix(live);
        close(listen_unix(stale));   /* a file nobody listens on any more */

        {
                _cleanup_(client_options_done) ClientOptions o = CLIENT_OPTIONS_INIT;
                _cleanup_free_ char *err = NULL;
                ASSERT_OK(parse(&o, 2, argv, &err));
                ASSERT_STREQ(o.socket_path, live);
        }

        ASSERT_TRUE(asprintf(&live2, "%s/process-compose-4343.sock", dir) > 0);
        fd2 = listen_unix(live2);
        {
                _cleanup_(client_options_done) ClientOptions o = CLIENT_OPTIONS_INIT;
                _cleanup_free_ char *err = NULL;
                ASSERT_ERROR(parse(&o, 2, argv, &err), ENOTUNIQ);
                ASSERT_NOT_NULL(strstr(err, live));
                ASSERT_NOT_NULL(strstr(err, live2));
        }
        {
                /* -U with -u: the path is used as given */
                _cleanup_(client_options_done) ClientOptions o = CLIENT_OPTIONS_INIT;
                _cleanup_free_ char *err = NULL;
                char *argv2[] = { (char *) "list", (char *) "-U", (char *) "-u", live2, NULL };
                ASSERT_OK(parse(&o, 4, argv2, &err));
                ASSERT_STREQ(o.socket_path, live2);
        }

        close(fd);
        close(fd2);
        unlink(live);
        unlink(live2);
        unlink(stale);
        rmdir(dir);
        unsetenv("TMPDIR");
}

static char *write_file(const char *dir, const char *name, const char *content) {
        char *p;
        FILE *f;

        ASSERT_TRUE(asprintf(&p, "%s/%s", dir, name) > 0);
        f = fopen(p, "we");
        ASSERT_NOT_NULL(f);
        fputs(content, f);
        fclose(f);
        return p;
}

TEST(token_sources) {
        _cleanup_free_ char *dir = test_tmpdir();
        _cleanup_free_ char *f1 = write_file(dir, "t1", "  file-token-0123456789abcdef \n");
        _cleanup_free_ char *f2 = write_file(dir, "t2", "env-path-token-0123456789\n");
        char *argv[] = { (char *) "list", (char *) "--token-file", f1, NULL };

        clear_env();
        {
                /* --token-file, trimmed */
                _cleanup_(client_options_done) ClientOptions o = CLIENT_OPTIONS_INIT;
                _cleanup_free_ char *err = NULL, *h = NULL;
                ASSERT_OK(parse(&o, 3, argv, &err));
                ASSERT_OK(client_options_auth_header(&o, &h));
                ASSERT_STREQ(h, "X-PC-Token-Key: file-token-0123456789abcdef");
        }
        {
                /* PC_API_TOKEN_PATH when no flag */
                _cleanup_(client_options_done) ClientOptions o = CLIENT_OPTIONS_INIT;
                _cleanup_free_ char *err = NULL;
                setenv("PC_API_TOKEN_PATH", f2, 1);
                ASSERT_OK(parse(&o, 1, argv, &err));
                ASSERT_STREQ(o.token, "env-path-token-0123456789");
        }
        {
                /* the flag beats PC_API_TOKEN_PATH */
                _cleanup_(client_options_done) ClientOptions o = CLIENT_OPTIONS_INIT;
                _cleanup_free_ char *err = NULL;
                ASSERT_OK(parse(&o, 3, argv, &err));
                ASSERT_STREQ(o.token, "file-token-0123456789abcdef");
        }
        {
                /* PC_API_TOKEN beats every file */
                _cleanup_(client_options_done) ClientOptions o = CLIENT_OPTIONS_INIT;
                _cleanup_free_ char *err = NULL;
                setenv("PC_API_TOKEN", "the-env-token-0123456789", 1);
                ASSERT_OK(parse(&o, 3, argv, &err));
                ASSERT_STREQ(o.token, "the-env-token-0123456789");
        }
        {
                /* an unreadable file is an error naming the file */
                _cleanup_(client_options_done) ClientOptions o = CLIENT_OPTIONS_INIT;
                _cleanup_free_ char *err = NULL;
                char *argv2[] = { (char *) "list", (char *) "--token-file", (char *) "/nonexistent/tok", NULL };
                clear_env();
                ASSERT_ERROR(parse(&o, 3, argv2, &err), ENOENT);
                ASSERT_NOT_NULL(strstr(err, "/nonexistent/tok"));
        }
        clear_env();
        unlink(f1);
        unlink(f2);
        rmdir(dir);
}

TEST(escape_segment) {
        _cleanup_free_ char *a = NULL, *b = NULL, *c = NULL;

        ASSERT_OK(client_escape_segment("web-0_a.b~", &a));
        ASSERT_STREQ(a, "web-0_a.b~");
        ASSERT_OK(client_escape_segment("@scope/pkg+1 x", &b));
        ASSERT_STREQ(b, "%40scope%2Fpkg%2B1%20x");
        ASSERT_OK(client_escape_segment("é%", &c));
        ASSERT_STREQ(c, "%C3%A9%25");
}

TEST(http_path_segments) {
        _cleanup_free_ char *p = NULL, *q = NULL;

        ASSERT_OK(client_path(&p, "/process/scale", "a/b", "3", NULL));
        ASSERT_STREQ(p, "/process/scale/a%2Fb/3");
        ASSERT_OK(client_path(&q, "/processes", NULL));
        ASSERT_STREQ(q, "/processes");
}

TEST(error_message) {
        _cleanup_free_ char *a = NULL, *b = NULL, *c = NULL;
        const char *j = "{\"error\":\"process web is not running\"}";

        ASSERT_OK(client_error_message(400, j, strlen(j), &a));
        ASSERT_STREQ(a, "process web is not running");
        ASSERT_OK(client_error_message(404, "404 page not found\n", 19, &b));
        ASSERT_STREQ(b, "HTTP 404: 404 page not found");
        ASSERT_OK(client_error_message(500, "", 0, &c));
        ASSERT_STREQ(c, "HTTP 500");
}

DEFINE_TEST_MAIN();
