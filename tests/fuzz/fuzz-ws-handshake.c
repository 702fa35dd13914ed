/* Header block → ws_handshake_check() and ws_server_check_upgrade().
 *
 * Input: a request line "METHOD /path?query" then "Name: value" lines (\n or \r\n). Must hold: never a crash;
 * the handshake is never accepted without a Sec-WebSocket-Version listing 13 and a key that base64-decodes to
 * 16 bytes; an accepted upgrade always carries a 28-character accept value and parameters; every status is in
 * 100..599. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shared/macro.h"
#include "ws/ws-backend.h"
#include "ws/ws-handshake.h"

#define MAX_HEADERS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static LogRing *no_log(void *ud, const char *name) {
        return NULL;
}
static size_t no_processes(void *ud) {
        return 0;
}

static const WsBackend backend = {
        .find_log = no_log,
        .n_processes = no_processes,
};

static void check_accepted(const HttpRequest *req) {
        const char *key = http_request_header(req, "Sec-WebSocket-Key");
        char accept[WS_ACCEPT_SIZE];

        if (!ws_header_has_token(http_request_header(req, "Sec-WebSocket-Version"), "13"))
                abort();
        if (!key || ws_handshake_accept(key, accept) < 0)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        HttpHeader headers[MAX_HEADERS];
        HttpRequest req = { .method = "GET", .path = "/" };
        char accept[WS_ACCEPT_SIZE];
        _cleanup_free_ char *buf = NULL;
        char *line, *next, *q;
        size_t n = 0;

        if (size > 64 * 1024)
                return 0;
        buf = malloc(size + 1);
        if (!buf)
                return 0;
        memcpy(buf, data, size);
        buf[size] = 0;

        for (line = buf; line; line = next) {
                char *colon;

                next = strchr(line, '\n');
                if (next)
                        *next++ = 0;
                if (*line && line[strlen(line) - 1] == '\r')
                        line[strlen(line) - 1] = 0;
                if (line == buf) {
                        char *sp = strchr(line, ' ');
                        req.method = line;
                        if (sp) {
                                *sp = 0;
                                req.path = sp + 1;
                                q = strchr(sp + 1, '?');
                                if (q) {
                                        *q = 0;
                                        req.query = q + 1;
                                }
                        }
                        continue;
                }
                colon = strchr(line, ':');
                if (!colon || n >= MAX_HEADERS)
                        continue;
                *colon = 0;
                headers[n++] = (HttpHeader) { line, colon + 1 + strspn(colon + 1, " \t") };
        }
        req.headers = headers;
        req.n_headers = n;

        for (int any = 0; any < 2; any++) {
                WsHandshakeError e = ws_handshake_check(&req, any, accept);

                if (e == WS_HANDSHAKE_OK) {
                        check_accepted(&req);
                        if (strlen(accept) != 28)
                                abort();
                } else if (!ws_handshake_error_to_string(e) || ws_handshake_error_status(e) < 400)
                        abort();
        }

        /* The whole upgrade check, query parsing included, for both streams. The check keeps no state in
         * the server, so one server serves every input (creating one per input halved the fuzzer's speed). */
        {
                static sd_event *e;
                static WsServer *s;

                if (!s && (sd_event_new(&e) < 0 || ws_server_new_with_backend(e, &backend, NULL, NULL, &s) < 0))
                        abort();
                for (HttpUpgrade k = HTTP_UPGRADE_WS_LOGS; k <= HTTP_UPGRADE_WS_STATES; k++) {
                        HttpResponse resp = {};

                        ws_server_check_upgrade(s, k, &req, &resp);
                        if (resp.status < 100 || resp.status > 599)
                                abort();
                        if (resp.status == 101) {
                                check_accepted(&req);
                                if (!resp.ws_accept || strlen(resp.ws_accept) != 28 || !resp.upgrade_params ||
                                    resp.upgrade != k)
                                        abort();
                        } else if (resp.upgrade_params || !resp.body)
                                abort();
                        if (resp.upgrade_params)
                                resp.upgrade_params_free(resp.upgrade_params);
                        resp.upgrade_params = NULL;
                        http_response_done(&resp);
                }
        }
        return 0;
}
