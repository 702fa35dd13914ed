/* RFC 6455 handshake: the accept vector of §1.3, gorilla's checks and their refusals. */
#include "tests.h"
#include "ws/ws-handshake.h"

#define KEY "dGhlIHNhbXBsZSBub25jZQ=="

static WsHandshakeError check(const HttpHeader *h, size_t n, const char *method, bool any_origin, char *accept) {
        HttpRequest req = { .method = method, .path = "/process/logs/ws", .headers = h, .n_headers = n };
        return ws_handshake_check(&req, any_origin, accept);
}

TEST(accept_rfc6455_vector) {
        char accept[WS_ACCEPT_SIZE];

        ASSERT_OK(ws_handshake_accept(KEY, accept));
        ASSERT_STREQ(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
        /* surrounding spaces are not part of the key */
        ASSERT_OK(ws_handshake_accept("  " KEY " ", accept));
        ASSERT_STREQ(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(accept_rejects_bad_keys) {
        char accept[WS_ACCEPT_SIZE] = "unchanged";

        ASSERT_ERROR(ws_handshake_accept("", accept), EINVAL);
        ASSERT_ERROR(ws_handshake_accept("dGhlIHNhbXBsZSBub25j", accept), EINVAL);          /* 15 bytes */
        ASSERT_ERROR(ws_handshake_accept("dGhlIHNhbXBsZSBub25jZWVl", accept), EINVAL);      /* 18 bytes */
        ASSERT_ERROR(ws_handshake_accept("dGhlIHNhbXBsZSBub25jZQ=!", accept), EINVAL);      /* bad char */
        ASSERT_ERROR(ws_handshake_accept("dGhlIHNhbXBs ZSBub25jZQ==", accept), EINVAL);     /* inner space */
        ASSERT_ERROR(ws_handshake_accept(NULL, accept), EINVAL);
        ASSERT_STREQ(accept, "unchanged");
}

TEST(new_key_roundtrips) {
        char key[WS_KEY_SIZE], key2[WS_KEY_SIZE], accept[WS_ACCEPT_SIZE];

        ASSERT_OK(ws_handshake_new_key(key));
        ASSERT_OK(ws_handshake_new_key(key2));
        ASSERT_EQ(strlen(key), 24u);
        ASSERT_TRUE(strcmp(key, key2) != 0);
        ASSERT_OK(ws_handshake_accept(key, accept));
        ASSERT_EQ(strlen(accept), 28u);
}

TEST(check_accepts_browser_style_request) {
        const HttpHeader h[] = {
                { "Host", "localhost:8080" },
                { "connection", "keep-alive, Upgrade" },
                { "UPGRADE", "WebSocket" },
                { "Sec-WebSocket-Version", "13" },
                { "Sec-WebSocket-Key", KEY },
                { "Origin", "http://LOCALHOST:8080" },
        };
        char accept[WS_ACCEPT_SIZE];

        ASSERT_EQ(check(h, ELEMENTSOF(h), "GET", false, accept), WS_HANDSHAKE_OK);
        ASSERT_STREQ(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(check_refusals) {
        HttpHeader h[] = {
                { "Host", "localhost:8080" },
                { "Connection", "Upgrade" },
                { "Upgrade", "websocket" },
                { "Sec-WebSocket-Version", "13" },
                { "Sec-WebSocket-Key", KEY },
                { "Origin", "http://evil.example:8080" },
        };
        char accept[WS_ACCEPT_SIZE];

        /* foreign Origin: 403 unless relaxed */
        ASSERT_EQ(check(h, 6, "GET", false, accept), WS_HANDSHAKE_BAD_ORIGIN);
        ASSERT_EQ(ws_handshake_error_status(WS_HANDSHAKE_BAD_ORIGIN), 403u);
        ASSERT_EQ(check(h, 6, "GET", true, accept), WS_HANDSHAKE_OK);
        /* no Origin at all is fine (non-browser clients) */
        ASSERT_EQ(check(h, 5, "GET", false, accept), WS_HANDSHAKE_OK);
        /* Origin without a scheme cannot match */
        h[5].value = "localhost:8080";
        ASSERT_EQ(check(h, 6, "GET", false, accept), WS_HANDSHAKE_BAD_ORIGIN);
        h[5].value = "http://user@localhost:8080/path?q";
        ASSERT_EQ(check(h, 6, "GET", false, accept), WS_HANDSHAKE_OK);

        ASSERT_EQ(check(h, 5, "POST", false, accept), WS_HANDSHAKE_BAD_METHOD);

        h[3].value = "8, 12";
        ASSERT_EQ(check(h, 5, "GET", false, accept), WS_HANDSHAKE_BAD_VERSION);
        ASSERT_EQ(ws_handshake_error_status(WS_HANDSHAKE_BAD_VERSION), 400u);   /* gorilla's, not 426 */
        h[3].value = "13";

        h[4].value = "short";
        ASSERT_EQ(check(h, 5, "GET", false, accept), WS_HANDSHAKE_BAD_KEY);
        ASSERT_EQ(check(h, 4, "GET", false, accept), WS_HANDSHAKE_BAD_KEY);   /* missing */
        h[4].value = KEY;

        h[1].value = "keep-alive";
        ASSERT_EQ(check(h, 5, "GET", false, accept), WS_HANDSHAKE_NO_CONNECTION_UPGRADE);
        h[1].value = "upgradex";
        ASSERT_EQ(check(h, 5, "GET", false, accept), WS_HANDSHAKE_NO_CONNECTION_UPGRADE);
        h[1].value = "Upgrade";

        h[2].value = "h2c";
        ASSERT_EQ(check(h, 5, "GET", false, accept), WS_HANDSHAKE_NO_UPGRADE_WEBSOCKET);
        ASSERT_EQ(ws_handshake_error_status(WS_HANDSHAKE_NO_UPGRADE_WEBSOCKET), 400u);
        ASSERT_NOT_NULL(ws_handshake_error_to_string(WS_HANDSHAKE_NO_UPGRADE_WEBSOCKET));
        ASSERT_NULL(ws_handshake_error_to_string(_WS_HANDSHAKE_MAX));
}

TEST(token_lists) {
        ASSERT_TRUE(ws_header_has_token("a, b ,c", "b"));
        ASSERT_TRUE(ws_header_has_token(",,Upgrade", "upgrade"));
        ASSERT_FALSE(ws_header_has_token("", "upgrade"));
        ASSERT_FALSE(ws_header_has_token(NULL, "upgrade"));
        ASSERT_FALSE(ws_header_has_token("upgrade2", "upgrade"));
}

DEFINE_TEST_MAIN();
