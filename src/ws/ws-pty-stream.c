/* The terminal stream: the output of an interactive process's terminal as binary frames, binary frames from
 * the client as its input, and resize commands as text frames. */
#include <errno.h>
#include <inttypes.h>

#include "shared/json-util.h"
#include "shared/log.h"
#include "ws/ws-server-internal.h"

/* Binary frames are input; a text frame is a command: {"type":"resize","cols":N,"rows":N}. */
static void pty_message(WsSession *ses, uint8_t opcode, const uint8_t *data, size_t len, void *userdata) {
        WsStream *st = userdata;
        _cleanup_json_ cJSON *j = NULL;
        const cJSON *type, *cols, *rows;
        int r;

        if (opcode == WS_OP_BINARY) {
                r = proc_pty_sub_write(st->pty_sub, data, len);
                if (r == -ENOBUFS)
                        log_warning("ws %" PRIu64 ": the terminal of %s does not take input, dropping %zu bytes",
                                    ws_session_get_id(ses), st->params->names[0], len);
                return;
        }
        j = cJSON_ParseWithLength((const char *) data, len);
        type = cJSON_GetObjectItem(j, "type");
        cols = cJSON_GetObjectItem(j, "cols");
        rows = cJSON_GetObjectItem(j, "rows");
        if (!cJSON_IsString(type) || !streq(type->valuestring, "resize") || !cJSON_IsNumber(cols) ||
            !cJSON_IsNumber(rows) || proc_pty_sub_resize(st->pty_sub, (unsigned) MAX(cols->valuedouble, 0.0),
                                                         (unsigned) MAX(rows->valuedouble, 0.0)) == -EINVAL)
                log_debug("ws %" PRIu64 ": ignoring a text message that is no resize command",
                          ws_session_get_id(ses));
}

void ws_pty_stream_output(const void *data, size_t len, void *userdata) {
        WsStream *st = userdata;

        if (ws_session_is_dead(st->session))
                return;
        if (!data) {
                (void) ws_session_close(st->session, 1000, "the process ended");
                return;
        }
        /* a terminal cannot skip bytes: a client that does not keep up is disconnected (WS_QUEUE_DISCONNECT) */
        (void) ws_session_queue(st->session, WS_OP_BINARY, data, len);
}

const WsSessionOps ws_pty_stream_ops = {
        .message = pty_message,
        .finished = ws_stream_finished,
};
