/* The log stream: each (session, process) subscription keeps its own next_seq and pulls entries only while its
 * session's send queue has room, so a session that stops reading stops pulling and costs nothing; what it
 * loses is exactly the ring's overrun of its next_seq, counted when it pulls again. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "shared/buffer.h"
#include "shared/json-util.h"
#include "shared/log.h"
#include "ws/ws-server-internal.h"

static void stream_account_drop(WsStream *st, LogSub *sub, uint64_t lost) {
        WsSession *ses = st->session;

        sub->dropped += lost;
        sub->notice_pending += lost;
        st->dropped += lost;
        st->server->dropped_lines += lost;
        if (!st->warned) {
                st->warned = true;
                log_warning("ws %" PRIu64 ": subscriber of %s is not keeping up, dropping log lines",
                            ws_session_get_id(ses), sub->feed->name);
        }
}

/* Counts what the ring dropped under a subscription that is not pulling (its queue is full), so the loss is
 * visible while it happens, not only when the session reads again. */
void ws_log_sub_check_overrun(LogSub *sub, LogRing *ring) {
        uint64_t first;

        if (!ring || !sub->started || sub->gen != sub->feed->gen || sub->done)
                return;
        first = log_ring_first_seq(ring);
        if (sub->next_seq < first) {
                stream_account_drop(sub->stream, sub, first - sub->next_seq);
                sub->next_seq = first;
        }
}

/* The frame of one log line, {"message":...,"process_name":...[,"seq":N]}, built once per feed and shared by
 * every follower of the process: each session's queue holds a reference, not a copy. Returns a new reference,
 * NULL on ENOMEM. */
static WsFrame *build_log_frame(WsStream *st, LogSub *sub, const LogEntry *e) {
        LogFeed *f = sub->feed;
        CachedEntry *c = &f->cache[e->seq % FEED_CACHE_SIZE];
        bool with_seq = st->params->seq;
        Buffer b = {};
        size_t tl;
        char tail[64];
        WsFrame *fr;

        if (c->seq != e->seq) {
                c->frame[0] = ws_frame_unref(c->frame[0]);
                c->frame[1] = ws_frame_unref(c->frame[1]);
                c->seq = e->seq;
        }
        if (c->frame[with_seq])
                return ws_frame_ref(c->frame[with_seq]);

        if (with_seq)
                tl = snprintf(tail, sizeof(tail), ",\"seq\":%" PRIu64 "}\n", e->seq);
        else
                tl = snprintf(tail, sizeof(tail), "}\n");
        (void) buffer_append_str(&b, "{\"message\":");
        (void) json_escape_append(&b, e->message, e->len, JSON_ESCAPE_GO);
        (void) buffer_append_str(&b, ",\"process_name\":");
        (void) buffer_append_str(&b, f->name_json);
        if (buffer_append(&b, tail, tl) < 0) {
                buffer_done(&b);
                return NULL;
        }
        fr = ws_frame_new(WS_OP_TEXT, b.len);
        if (fr)
                memcpy(fr->data, b.data, b.len);
        buffer_done(&b);
        if (!fr)
                return NULL;
        c->frame[with_seq] = fr;
        return ws_frame_ref(fr);
}

static WsFrame *build_notice_frame(LogSub *sub, uint64_t next_seq) {
        Buffer b = {};
        char tail[96];
        size_t tl;
        WsFrame *fr;

        tl = snprintf(tail, sizeof(tail), ",\"dropped\":%" PRIu64 ",\"next_seq\":%" PRIu64 "}\n",
                      sub->notice_pending, next_seq);
        (void) buffer_append_str(&b, "{\"process_name\":");
        (void) buffer_append_str(&b, sub->feed->name_json);
        if (buffer_append(&b, tail, tl) < 0) {
                buffer_done(&b);
                return NULL;
        }
        fr = ws_frame_new(WS_OP_TEXT, b.len);
        if (fr)
                memcpy(fr->data, b.data, b.len);
        buffer_done(&b);
        return fr;
}

/* Positions a subscription on its ring: at since_seq when resuming, else at the tail of offset lines. */
static void sub_start(WsStream *st, LogSub *sub, LogRing *ring) {
        uint64_t first = log_ring_first_seq(ring), next = log_ring_next_seq(ring);

        if (!sub->started && sub->since != UINT64_MAX) {
                sub->next_seq = MIN(sub->since, next);
                if (sub->next_seq < first)
                        stream_account_drop(st, sub, first - sub->next_seq);
                sub->next_seq = MAX(sub->next_seq, first);
        } else if (!sub->started) {
                uint64_t f;
                size_t n;

                log_ring_range(ring, 0, st->params->offset, &f, &n);
                sub->next_seq = f;
        } else
                /* The name now has another ring (another process): follow it from its start. */
                sub->next_seq = first;
        sub->end_seq = st->params->follow ? UINT64_MAX : next;
        sub->started = true;
        sub->gen = sub->feed->gen;
}

/* Hands the session one frame; false when it did not fit (kept in held). */
static bool stream_push(WsStream *st, WsFrame *fr) {
        if (!ws_session_has_room(st->session, fr->len)) {
                st->held = fr;
                return false;
        }
        (void) ws_session_queue_frame(st->session, fr);
        return true;
}

static int log_fill(WsSession *ses, void *userdata) {
        WsStream *st = userdata;
        bool progress = true;

        if (st->held) {
                WsFrame *fr = TAKE_PTR(st->held);
                if (!stream_push(st, fr))
                        return 1;
        }

        /* Resolving a ring is a lookup by name: once per subscription per fill, not once per line. */
        for (size_t k = 0; k < st->n_subs; k++)
                st->subs[k].ring = st->subs[k].done ? NULL : ws_log_feed_ring(st->subs[k].feed);

        while (progress) {
                size_t n_done = 0;

                progress = false;
                for (size_t k = 0; k < st->n_subs; k++) {
                        LogSub *sub = &st->subs[(st->rr + k) % st->n_subs];
                        LogRing *ring;
                        const LogEntry *e;
                        uint64_t first, next;
                        WsFrame *fr;

                        if (sub->done) {
                                n_done++;
                                continue;
                        }
                        ring = sub->ring;
                        if (!ring) {
                                /* Unknown process: no frames (as process-compose); a batch is empty. */
                                if (!st->params->follow) {
                                        sub->done = true;
                                        n_done++;
                                }
                                continue;
                        }
                        if (!sub->started || sub->gen != sub->feed->gen)
                                sub_start(st, sub, ring);

                        first = log_ring_first_seq(ring);
                        next = log_ring_next_seq(ring);
                        if (sub->next_seq < first) {
                                /* Overrun: the ring moved past us while our queue was full. */
                                stream_account_drop(st, sub, first - sub->next_seq);
                                sub->next_seq = first;
                        }
                        if (sub->notice_pending > 0 && st->params->notify_drops) {
                                fr = build_notice_frame(sub, sub->next_seq);
                                if (!fr)
                                        return 0;
                                sub->notice_pending = 0;
                                if (!stream_push(st, fr)) {
                                        st->rr = (st->rr + k) % st->n_subs;
                                        return 1;
                                }
                        }
                        if (sub->next_seq >= MIN(next, sub->end_seq)) {
                                if (!st->params->follow) {
                                        sub->done = true;
                                        n_done++;
                                }
                                continue;
                        }
                        if (!ws_session_has_room(ses, 0)) {
                                st->rr = (st->rr + k) % st->n_subs;
                                return 1;
                        }
                        e = log_ring_get(ring, sub->next_seq);
                        if (!e)
                                continue;
                        fr = build_log_frame(st, sub, e);
                        if (!fr)
                                return 0;
                        sub->next_seq++;
                        progress = true;
                        if (!stream_push(st, fr)) {
                                st->rr = (st->rr + k + 1) % st->n_subs;
                                return 1;
                        }
                }
                if (!st->params->follow && n_done == st->n_subs) {
                        (void) ws_session_close(ses, 1000, "");
                        return 0;
                }
        }
        return 0;
}

const WsSessionOps ws_log_stream_ops = {
        .fill = log_fill,
        .message = ws_stream_message,
        .finished = ws_stream_finished,
};
