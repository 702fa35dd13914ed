/* The RFC 6455 opening handshake, server and client side, without I/O.
 *
 * The server side validates an upgrade request as gorilla/websocket's Upgrader does by default (process-compose
 * uses it): GET, "Connection" containing the token "upgrade", "Upgrade" containing "websocket",
 * "Sec-WebSocket-Version" containing "13", a "Sec-WebSocket-Key" that base64-decodes to 16 bytes, and, when an
 * "Origin" header is present, its host equal to the "Host" header (case-insensitively) unless relaxed. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "shared/http-types.h"

/* base64 of a 20-byte SHA-1 digest is 28 characters. */
#define WS_ACCEPT_SIZE 29
/* base64 of a 16-byte nonce is 24 characters. */
#define WS_KEY_SIZE 25

typedef enum WsHandshakeError {
        WS_HANDSHAKE_OK,
        WS_HANDSHAKE_BAD_METHOD,         /* 405 */
        WS_HANDSHAKE_NO_CONNECTION_UPGRADE,
        WS_HANDSHAKE_NO_UPGRADE_WEBSOCKET,
        WS_HANDSHAKE_BAD_VERSION,        /* 400, as gorilla (RFC 6455 suggests 426) */
        WS_HANDSHAKE_BAD_KEY,
        WS_HANDSHAKE_BAD_ORIGIN,         /* 403 */
        _WS_HANDSHAKE_MAX,
        _WS_HANDSHAKE_INVALID = -EINVAL,
} WsHandshakeError;

/* The error text the response body carries (gorilla's wording). */
const char *ws_handshake_error_to_string(WsHandshakeError e);
/* The HTTP status for a failed check. */
unsigned ws_handshake_error_status(WsHandshakeError e);

/* Validates req. On success (WS_HANDSHAKE_OK) writes the Sec-WebSocket-Accept value to ret_accept (NUL-
 * terminated, WS_ACCEPT_SIZE bytes); otherwise leaves it untouched. Return: a WsHandshakeError. */
WsHandshakeError ws_handshake_check(const HttpRequest *req, bool allow_any_origin,
                                    char ret_accept[static WS_ACCEPT_SIZE]);

/* Sec-WebSocket-Accept for a key: base64(SHA-1(key + GUID)). Returns -EINVAL unless key decodes to 16
 * bytes. */
int ws_handshake_accept(const char *key, char ret_accept[static WS_ACCEPT_SIZE]);

/* A fresh random client key (16 random bytes, base64). */
int ws_handshake_new_key(char ret_key[static WS_KEY_SIZE]);

/* True when the comma-separated header value contains token (case-insensitive, spaces around items
 * ignored), as RFC 7230 token lists. */
bool ws_header_has_token(const char *value, const char *token);
