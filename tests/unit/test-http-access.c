/* Origin and Host checks (http-access.h): what a browser's attack looks like, and what must keep working. */
#include "http/http-access.h"
#include "tests.h"

static const char *check(const HttpAccessPolicy *p, const char *method, const char *host, const char *origin,
                         bool upgrade) {
        HttpHeader h[3];
        size_t n = 0;

        if (host)
                h[n++] = (HttpHeader) { "Host", host };
        if (origin)
                h[n++] = (HttpHeader) { "Origin", origin };
        if (upgrade)
                h[n++] = (HttpHeader) { "Upgrade", "websocket" };
        HttpRequest req = { .method = method, .path = "/", .headers = h, .n_headers = n };
        return http_access_check(p, &req);
}

TEST(hosts) {
        char *allowed[] = { (char *) "pcctl.example", (char *) "Other.Example:9999", (char *) "10.1.2.3", NULL };
        HttpAccessPolicy p = { .local_address = "192.168.7.9", .bound_address = "myhost.lan",
                               .allowed_hosts = allowed };

        ASSERT_TRUE(http_access_host_allowed(&p, "localhost"));
        ASSERT_TRUE(http_access_host_allowed(&p, "LocalHost:8080"));
        ASSERT_TRUE(http_access_host_allowed(&p, "localhost.:8080"));
        ASSERT_TRUE(http_access_host_allowed(&p, "app.localhost:8080"));
        ASSERT_TRUE(http_access_host_allowed(&p, "127.0.0.1:8080"));
        ASSERT_TRUE(http_access_host_allowed(&p, "127.3.4.5"));
        ASSERT_TRUE(http_access_host_allowed(&p, "[::1]:8080"));
        ASSERT_TRUE(http_access_host_allowed(&p, "[::ffff:127.0.0.1]:8080"));
        ASSERT_TRUE(http_access_host_allowed(&p, "192.168.7.9:8080"));      /* the connection's own address */
        ASSERT_TRUE(http_access_host_allowed(&p, "MYHOST.lan:8080"));       /* the bound address */
        ASSERT_TRUE(http_access_host_allowed(&p, "pcctl.example"));
        ASSERT_TRUE(http_access_host_allowed(&p, "other.example:1"));
        ASSERT_TRUE(http_access_host_allowed(&p, "10.1.2.3:80"));
        ASSERT_TRUE(http_access_host_allowed(&p, NULL));                    /* HTTP/1.0, not a browser */

        ASSERT_FALSE(http_access_host_allowed(&p, "evil.example:8080"));
        ASSERT_FALSE(http_access_host_allowed(&p, "localhost.evil.example"));
        ASSERT_FALSE(http_access_host_allowed(&p, "evillocalhost"));
        ASSERT_FALSE(http_access_host_allowed(&p, "192.168.7.10"));
        ASSERT_FALSE(http_access_host_allowed(&p, "pcctl.example.evil"));
        ASSERT_FALSE(http_access_host_allowed(&p, ""));
        ASSERT_FALSE(http_access_host_allowed(&p, ":8080"));
        ASSERT_FALSE(http_access_host_allowed(&p, "[::1"));
        ASSERT_FALSE(http_access_host_allowed(&p, "[::1]x"));

        char *any[] = { (char *) "*", NULL };
        HttpAccessPolicy q = { .allowed_hosts = any };
        ASSERT_TRUE(http_access_host_allowed(&q, "evil.example"));
}

TEST(origins) {
        HttpAccessPolicy p = {};

        /* the simple cross-origin POST, and its DNS-rebinding variant */
        ASSERT_TRUE(check(&p, "POST", "evil.example:8080", "http://evil.example", false));
        ASSERT_TRUE(check(&p, "POST", "evil.example:8080", "http://evil.example:8080", false));
        ASSERT_TRUE(check(&p, "POST", "localhost:8080", "http://evil.example", false));
        ASSERT_TRUE(check(&p, "DELETE", "localhost:8080", "http://localhost:3000", false));
        ASSERT_TRUE(check(&p, "PATCH", "localhost:8080", "null", false));
        ASSERT_TRUE(check(&p, "PUT", "localhost:8080", "file://", false));
        ASSERT_TRUE(check(&p, "POST", "localhost:8080", "http://x@localhost:8080", false));
        ASSERT_TRUE(check(&p, "GET", "localhost:8080", "http://evil.example", true));
        ASSERT_TRUE(check(&p, "GET", "evil.example", NULL, false));            /* foreign Host alone */

        /* what keeps working */
        ASSERT_NULL(check(&p, "POST", "localhost:8080", NULL, false));
        ASSERT_NULL(check(&p, "POST", "localhost:8080", "http://LOCALHOST:8080", false));
        ASSERT_NULL(check(&p, "GET", "localhost:8080", "http://evil.example", false));   /* unreadable */
        ASSERT_NULL(check(&p, "GET", "127.0.0.1:8080", "http://127.0.0.1:8080", true));

        /* --ws-allow-any-origin: upgrades only, the Host check still holds */
        p.ws_allow_any_origin = true;
        ASSERT_NULL(check(&p, "GET", "localhost:8080", "http://evil.example", true));
        ASSERT_TRUE(check(&p, "GET", "evil.example", "http://evil.example", true));
        ASSERT_TRUE(check(&p, "POST", "localhost:8080", "http://evil.example", false));

        /* the unix socket: no Host check, the Origin check stays */
        HttpAccessPolicy u = { .unix_socket = true };
        ASSERT_NULL(check(&u, "POST", "whatever", NULL, false));
        ASSERT_TRUE(check(&u, "POST", "whatever", "http://evil.example", false));
}

DEFINE_TEST_MAIN();
