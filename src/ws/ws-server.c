/* The WebSocket streams of one controller: the session registry, and the attach of an upgraded connection to
 * its stream (the log stream in ws-log-stream.c over the feeds of ws-log-feed.c, the state stream, the
 * terminal stream); the upgrade check is in ws-upgrade.c. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "shared/log.h"
#include "shared/strv.h"
#include "ws/ws-server-internal.h"

void ws_server_config_defaults(WsServerConfig *c) {
        *c = (WsServerConfig) {
                .write_timeout = WS_SESSION_DEFAULT_WRITE_TIMEOUT,
                .ping_interval = WS_SESSION_DEFAULT_PING_INTERVAL,
                .queue_max_bytes = WS_QUEUE_DEFAULT_BYTES,
                .queue_max_frames = WS_QUEUE_DEFAULT_FRAMES,
                .send_buffer = WS_SESSION_DEFAULT_SEND_BUFFER,
                .max_message_size = WS_SESSION_DEFAULT_MAX_MESSAGE,
                .max_sessions = 4096,
        };
}

static WsStream *stream_free(WsStream *st) {
        WsServer *s;

        if (!st)
                return NULL;
        s = st->server;

        if (s)
                for (size_t i = 0; i < st->n_subs; i++)
                        if (st->subs[i].feed)
                                ws_log_sub_check_overrun(&st->subs[i], ws_log_feed_ring(st->subs[i].feed));

        for (size_t i = 0; i < st->n_subs; i++) {
                LogSub *sub = &st->subs[i];
                LogFeed *f = sub->feed;

                if (!f)
                        continue;
                if (sub->prev)
                        sub->prev->next = sub->next;
                else
                        f->subs = sub->next;
                if (sub->next)
                        sub->next->prev = sub->prev;
                if (--f->n_subs == 0)
                        ws_log_feed_free(f);
        }
        free(st->subs);
        proc_pty_sub_free(st->pty_sub);
        if (st->state_observer && s)
                s->backend->observer_free(s->backend_ud, st->state_observer);
        ws_frame_unref(st->held);

        if (s) {
                if (st->prev)
                        st->prev->next = st->next;
                else
                        s->streams = st->next;
                if (st->next)
                        st->next->prev = st->prev;
                if (st->session)
                        s->n_sessions--;
        }
        ws_session_free(st->session);
        ws_params_free(st->params);
        return mfree(st);
}

void ws_stream_message(WsSession *ses, uint8_t opcode, const uint8_t *data, size_t len, void *userdata) {
        /* The streams take no commands: like process-compose, client messages are read only to see the close. */
}

void ws_stream_finished(WsSession *ses, WsSessionEnd end, void *userdata) {
        WsStream *st = userdata;
        WsServer *s = st->server;

        for (size_t i = 0; i < st->n_subs; i++)
                ws_log_sub_check_overrun(&st->subs[i], ws_log_feed_ring(st->subs[i].feed));
        if (end == WS_END_WRITE_STALL)
                s->evictions++;
        if (IN_SET(end, WS_END_WRITE_STALL, WS_END_OVERFLOW, WS_END_PING_TIMEOUT))
                log_warning("ws %" PRIu64 ": closing session: %s", ws_session_get_id(ses),
                            end == WS_END_WRITE_STALL ? "the client stopped reading (write timeout)" :
                            end == WS_END_OVERFLOW ? "the client is not keeping up with state events (queue full)" :
                            "the client does not answer pings");
        else
                log_debug("ws %" PRIu64 ": session ended: %s", ws_session_get_id(ses), ws_session_end_to_string(end));
        if (st->dropped > 0)
                log_warning("ws %" PRIu64 ": subscriber disconnected (%s) after %" PRIu64 " dropped log lines",
                            ws_session_get_id(ses), ws_session_end_to_string(end), st->dropped);
        stream_free(st);
}

int ws_server_attach(WsServer *s, HttpUpgrade kind, void *params, int fd, const void *extra_in,
                     size_t extra_in_size, void (*release)(void *ctx), void *release_ctx) {
        _cleanup_(ws_params_freep) WsParams *p = params;
        WsSessionConfig sc;
        WsStream *st;
        int r;

        if (!s || !p || fd < 0 || p->kind != kind)
                return -EINVAL;
        if (s->n_sessions >= s->config.max_sessions)
                return log_warning_errno(SYNTHETIC_ERRNO(EUSERS), "ws: refusing session, limit of %zu reached",
                                         s->config.max_sessions);

        ws_session_config_defaults(&sc);
        sc.write_timeout = s->config.write_timeout;
        sc.ping_interval = s->config.ping_interval;
        sc.queue_max_bytes = s->config.queue_max_bytes;
        sc.queue_max_frames = s->config.queue_max_frames;
        sc.max_message_size = s->config.max_message_size;
        sc.send_buffer = s->config.send_buffer;
        sc.policy = kind == HTTP_UPGRADE_WS_LOGS ? WS_QUEUE_DROP : WS_QUEUE_DISCONNECT;
        if (kind == HTTP_UPGRADE_WS_PTY && !s->backend->open_terminal)
                return -ENOTTY;

        st = new0(WsStream, 1);
        if (!st)
                return log_oom();
        st->params = TAKE_PTR(p);

        if (kind == HTTP_UPGRADE_WS_LOGS) {
                size_t n = strv_length(st->params->names);

                st->subs = new0(LogSub, n);
                if (!st->subs) {
                        stream_free(st);
                        return log_oom();
                }
                for (size_t i = 0; i < n; i++) {
                        LogFeed *f;

                        r = ws_log_feed_get(s, st->params->names[i], &f);
                        if (r < 0) {
                                stream_free(st);
                                return log_error_errno(r, "ws: failed to subscribe to %s: %m",
                                                       st->params->names[i]);
                        }
                        st->subs[i] = (LogSub) {
                                .stream = st,
                                .feed = f,
                                .since = st->params->since ? st->params->since[i] : UINT64_MAX,
                                .next = f->subs,
                        };
                        st->n_subs = i + 1;
                        if (f->subs)
                                f->subs->prev = &st->subs[i];
                        f->subs = &st->subs[i];
                        f->n_subs++;
                }
        }
        st->server = s;

        r = ws_session_new(s->event, fd, extra_in, extra_in_size, &sc,
                           kind == HTTP_UPGRADE_WS_LOGS ? &ws_log_stream_ops : kind == HTTP_UPGRADE_WS_PTY ? &ws_pty_stream_ops : &ws_state_stream_ops,
                           st, release, release_ctx,
                           &st->session);
        if (r < 0) {
                st->server = NULL;
                /* Without a session nobody releases fd: the caller does, as on every failure. */
                for (size_t i = 0; i < st->n_subs; i++) {
                        LogSub *sub = &st->subs[i];
                        if (sub->prev)
                                sub->prev->next = sub->next;
                        else
                                sub->feed->subs = sub->next;
                        if (sub->next)
                                sub->next->prev = sub->prev;
                        if (--sub->feed->n_subs == 0)
                                ws_log_feed_free(sub->feed);
                        sub->feed = NULL;
                }
                stream_free(st);
                return log_error_errno(r, "ws: failed to start session: %m");
        }
        s->n_sessions++;
        st->next = s->streams;
        if (s->streams)
                s->streams->prev = st;
        s->streams = st;

        if (kind == HTTP_UPGRADE_WS_STATES) {
                /* Snapshot and subscription in the same loop callback: no event can fall in between. */
                if (st->params->snapshot)
                        for (size_t i = 0, n = s->backend->n_processes(s->backend_ud); i < n; i++) {
                                Process *proc = s->backend->process_at(s->backend_ud, i);
                                WsFrame *fr;

                                if (!proc || !ws_state_selected(st, proc))
                                        continue;
                                fr = ws_state_frame_new(s, proc, true);
                                if (!fr) {
                                        ws_session_abort(st->session, WS_END_ERROR);
                                        return 0;
                                }
                                /* A snapshot is bounded by the process count; it may exceed the caps once. */
                                (void) ws_session_queue_frame_force(st->session, fr);
                        }
                st->state_observer = s->backend->observe_state(s->backend_ud, ws_state_changed, st);
                if (!st->state_observer)
                        ws_session_abort(st->session, WS_END_ERROR);
        }

        if (kind == HTTP_UPGRADE_WS_PTY) {
                /* the process may have ended since the check: the session closes at once */
                r = s->backend->open_terminal(s->backend_ud, st->params->names[0], ws_pty_stream_output, st, &st->pty_sub);
                if (r != 0)
                        (void) ws_session_close(st->session, 1011, "the process has no terminal");
        }

        log_debug("ws %" PRIu64 ": %s stream started", ws_session_get_id(st->session),
                  kind == HTTP_UPGRADE_WS_LOGS ? "log" : kind == HTTP_UPGRADE_WS_PTY ? "terminal" : "state");
        return 0;
}

int ws_server_new_with_backend(sd_event *e, const WsBackend *backend, void *backend_ud,
                               const WsServerConfig *config, WsServer **ret) {
        WsServer *s;

        if (!e || !backend || !ret)
                return -EINVAL;
        s = new0(WsServer, 1);
        if (!s)
                return -ENOMEM;
        s->event = sd_event_ref(e);
        s->backend = backend;
        s->backend_ud = backend_ud;
        if (config)
                s->config = *config;
        else
                ws_server_config_defaults(&s->config);
        if (s->config.max_sessions == 0)
                s->config.max_sessions = 4096;
        *ret = s;
        return 0;
}

void ws_server_close_all(WsServer *s) {
        if (!s)
                return;
        while (s->streams)
                stream_free(s->streams);
}

WsServer *ws_server_free(WsServer *s) {
        if (!s)
                return NULL;
        ws_server_close_all(s);
        while (s->feeds)
                ws_log_feed_free(s->feeds);
        sd_event_unref(s->event);
        return mfree(s);
}

void ws_server_get_stats(const WsServer *s, WsServerStats *ret) {
        WsServerStats st = {};

        if (s) {
                st.sessions = s->n_sessions;
                for (WsStream *i = s->streams; i; i = i->next)
                        st.queued_bytes += ws_session_queued_bytes(i->session);
                st.evictions = s->evictions;
                st.dropped_lines = s->dropped_lines;
        }
        *ret = st;
}
