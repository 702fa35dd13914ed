/* RFC 6455 §4.2 server handshake checks and the Sec-WebSocket-Accept computation (nettle SHA-1 and base64). */
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include <nettle/base64.h>
#include <nettle/sha1.h>

#include "ws/ws-handshake.h"

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
/* Keys are 24 characters; anything much longer is not a key, and bounds the work below. */
#define WS_KEY_MAX 64

static const char *const handshake_error_table[_WS_HANDSHAKE_MAX] = {
        [WS_HANDSHAKE_OK] = "ok",
        [WS_HANDSHAKE_BAD_METHOD] = "websocket: the client is not using the websocket protocol: request method is not GET",
        [WS_HANDSHAKE_NO_CONNECTION_UPGRADE] = "websocket: the client is not using the websocket protocol: 'upgrade' token not found in 'Connection' header",
        [WS_HANDSHAKE_NO_UPGRADE_WEBSOCKET] = "websocket: the client is not using the websocket protocol: 'websocket' token not found in 'Upgrade' header",
        [WS_HANDSHAKE_BAD_VERSION] = "websocket: unsupported version: 13 not found in 'Sec-Websocket-Version' header",
        [WS_HANDSHAKE_BAD_KEY] = "websocket: not a websocket handshake: 'Sec-WebSocket-Key' header must be Base64 encoded value of 16-byte in length",
        [WS_HANDSHAKE_BAD_ORIGIN] = "websocket: request origin not allowed by Upgrader.CheckOrigin",
};

const char *ws_handshake_error_to_string(WsHandshakeError e) {
        if (e < 0 || e >= _WS_HANDSHAKE_MAX)
                return NULL;
        return handshake_error_table[e];
}

unsigned ws_handshake_error_status(WsHandshakeError e) {
        switch (e) {
        case WS_HANDSHAKE_OK:
                return 101;
        case WS_HANDSHAKE_BAD_METHOD:
                return 405;
        case WS_HANDSHAKE_BAD_ORIGIN:
                return 403;
        default:
                return 400;
        }
}

bool ws_header_has_token(const char *value, const char *token) {
        size_t tl = strlen(token);

        if (!value)
                return false;

        for (const char *p = value;;) {
                const char *e;
                size_t l;

                while (*p == ' ' || *p == '\t' || *p == ',')
                        p++;
                if (!*p)
                        return false;
                e = strchrnul(p, ',');
                l = e - p;
                while (l > 0 && (p[l - 1] == ' ' || p[l - 1] == '\t'))
                        l--;
                if (l == tl && strncasecmp(p, token, tl) == 0)
                        return true;
                p = e;
        }
}

/* Decodes a trimmed key; returns the decoded length or -EINVAL. */
static int key_decode(const char *key, size_t len, uint8_t out[static BASE64_DECODE_LENGTH(WS_KEY_MAX)]) {
        struct base64_decode_ctx ctx;
        size_t n = BASE64_DECODE_LENGTH(WS_KEY_MAX);

        if (len == 0 || len > WS_KEY_MAX)
                return -EINVAL;
        /* nettle skips whitespace inside the input; a key has none. */
        for (size_t i = 0; i < len; i++)
                if (!isalnum((unsigned char) key[i]) && key[i] != '+' && key[i] != '/' && key[i] != '=')
                        return -EINVAL;

        base64_decode_init(&ctx);
        if (!base64_decode_update(&ctx, &n, out, len, key))
                return -EINVAL;
        if (!base64_decode_final(&ctx))
                return -EINVAL;
        return (int) n;
}

static void trim(const char **s, size_t *len) {
        while (*len > 0 && (**s == ' ' || **s == '\t')) {
                (*s)++;
                (*len)--;
        }
        while (*len > 0 && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t'))
                (*len)--;
}

static int accept_compute(const char *key, size_t len, char ret_accept[static WS_ACCEPT_SIZE]) {
        uint8_t buf[BASE64_DECODE_LENGTH(WS_KEY_MAX)], digest[SHA1_DIGEST_SIZE];
        struct sha1_ctx sha;

        if (key_decode(key, len, buf) != 16)
                return -EINVAL;

        sha1_init(&sha);
        sha1_update(&sha, len, (const uint8_t *) key);
        sha1_update(&sha, STRLEN(WS_GUID), (const uint8_t *) WS_GUID);
        sha1_digest(&sha, sizeof(digest), digest);

        base64_encode_raw(ret_accept, sizeof(digest), digest);
        ret_accept[BASE64_ENCODE_RAW_LENGTH(SHA1_DIGEST_SIZE)] = 0;
        return 0;
}

int ws_handshake_accept(const char *key, char ret_accept[static WS_ACCEPT_SIZE]) {
        size_t len;

        if (!key)
                return -EINVAL;
        len = strlen(key);
        trim(&key, &len);
        return accept_compute(key, len, ret_accept);
}

int ws_handshake_new_key(char ret_key[static WS_KEY_SIZE]) {
        uint8_t nonce[16];
        ssize_t n;

        n = getrandom(nonce, sizeof(nonce), GRND_NONBLOCK);
        if (n != (ssize_t) sizeof(nonce))
                return n < 0 ? -errno : -EIO;
        base64_encode_raw(ret_key, sizeof(nonce), nonce);
        ret_key[BASE64_ENCODE_RAW_LENGTH(16)] = 0;
        return 0;
}

/* gorilla's checkSameOrigin: the host[:port] part of the Origin URL equals Host, ASCII case-folded. */
static bool origin_matches(const char *origin, const char *host) {
        const char *p, *e, *at;
        size_t l;

        if (!host)
                return false;
        p = strstr(origin, "://");
        if (!p)
                return false;
        p += 3;
        e = p + strcspn(p, "/?#");
        /* Drop userinfo, as url.Parse does. */
        at = memchr(p, '@', e - p);
        if (at)
                p = at + 1;
        l = e - p;
        return strlen(host) == l && strncasecmp(p, host, l) == 0;
}

WsHandshakeError ws_handshake_check(const HttpRequest *req, bool allow_any_origin,
                                    char ret_accept[static WS_ACCEPT_SIZE]) {
        const char *v, *key, *origin;
        char accept[WS_ACCEPT_SIZE];
        size_t len;

        if (!req || !req->method || !streq(req->method, "GET"))
                return WS_HANDSHAKE_BAD_METHOD;
        if (!ws_header_has_token(http_request_header(req, "Connection"), "upgrade"))
                return WS_HANDSHAKE_NO_CONNECTION_UPGRADE;
        if (!ws_header_has_token(http_request_header(req, "Upgrade"), "websocket"))
                return WS_HANDSHAKE_NO_UPGRADE_WEBSOCKET;
        if (!ws_header_has_token(http_request_header(req, "Sec-WebSocket-Version"), "13"))
                return WS_HANDSHAKE_BAD_VERSION;

        origin = http_request_header(req, "Origin");
        if (origin && !allow_any_origin && !origin_matches(origin, http_request_header(req, "Host")))
                return WS_HANDSHAKE_BAD_ORIGIN;

        key = http_request_header(req, "Sec-WebSocket-Key");
        if (!key)
                return WS_HANDSHAKE_BAD_KEY;
        len = strlen(key);
        trim(&key, &len);
        if (accept_compute(key, len, accept) < 0)
                return WS_HANDSHAKE_BAD_KEY;

        v = accept;
        memcpy(ret_accept, v, WS_ACCEPT_SIZE);
        return WS_HANDSHAKE_OK;
}
