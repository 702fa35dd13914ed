/* The state stream: a snapshot of the selected processes, then one frame per change of status, health or
 * exit. */
#include <stdlib.h>
#include <string.h>

#include "shared/strv.h"
#include "ws/ws-server-internal.h"

bool ws_state_selected(WsStream *st, const Process *p) {
        if (strv_length(st->params->names) == 0)
                return true;
        return strv_contains(st->params->names, p->name);
}

WsFrame *ws_state_frame_new(WsServer *s, Process *p, bool snapshot) {
        _cleanup_free_ char *json = NULL;
        const char *head = snapshot ? "{\"snapshot\":true,\"state\":" : "{\"state\":";
        size_t hl = strlen(head), jl;
        WsFrame *fr;

        json = s->backend->state_json(s->backend_ud, p, snapshot);
        if (!json)
                return NULL;
        jl = strlen(json);
        fr = ws_frame_new(WS_OP_TEXT, hl + jl + 2);
        if (!fr)
                return NULL;
        memcpy(fr->data, head, hl);
        memcpy(fr->data + hl, json, jl);
        memcpy(fr->data + hl + jl, "}\n", 2);
        return fr;
}

void ws_state_changed(Process *p, void *userdata) {
        WsStream *st = userdata;
        WsFrame *fr;

        if (ws_session_is_dead(st->session) || !ws_state_selected(st, p))
                return;
        fr = ws_state_frame_new(st->server, p, false);
        if (!fr) {
                ws_session_abort(st->session, WS_END_ERROR);
                return;
        }
        /* Under WS_QUEUE_DISCONNECT a full queue ends the session (process-compose disconnects too). */
        (void) ws_session_queue_frame(st->session, fr);
}

const WsSessionOps ws_state_stream_ops = {
        .message = ws_stream_message,
        .finished = ws_stream_finished,
};
