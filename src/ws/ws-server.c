/* The WebSocket streams of one controller: the session registry, the log streams (pull by sequence number
 * from the LogRings) and the state streams (snapshot, then live events).
 *
 * Log fan-out: a LogEntry is stored once in its ring. Each (session, process) subscription keeps its own
 * next_seq and pulls entries only while its session's send queue has room, so a session that stops reading
 * stops pulling and costs nothing; what it loses is exactly the ring's overrun of its next_seq, counted when
 * it pulls again. One LogFeed per process name observes the ring and wakes its subscribers, all in one
 * dispatch: at once after a quiet spell, then at most every 5 ms while lines keep coming (or when half the
 * ring is new), so a flood costs each follower one send() per batch. It caches the frames of recent entries,
 * so N followers share each line's bytes instead of escaping and copying them N times. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared/buffer.h"
#include "shared/event-util.h"
#include "shared/json-util.h"
#include "shared/log.h"
#include "shared/parse-util.h"
#include "shared/strv.h"
#include "shared/url-util.h"
#include "ws/ws-backend.h"
#include "ws/ws-handshake.h"
#include "ws/ws-server.h"
#include "ws/ws-session.h"

#define WS_NAMES_MAX 256u
#define WS_NAME_MAX 1024u
#define FEED_CACHE_SIZE 1024u   /* log line frames per process, shared by its followers */
/* A process's followers are woken at most this often while lines keep coming (each wake costs every
 * follower a send()); a line after a quiet spell wakes them at once. */
#define FEED_WAKE_INTERVAL_USEC (5 * USEC_PER_MSEC)

typedef struct WsStream WsStream;
typedef struct LogFeed LogFeed;
typedef struct LogSub LogSub;

typedef struct WsParams {
        HttpUpgrade kind;
        char **names;
        /* logs */
        int64_t offset;
        bool follow;
        bool seq;                    /* frames carry "seq" */
        bool notify_drops;           /* in-band notice of lost lines */
        uint64_t *since;             /* per name: resume at this seq; UINT64_MAX: not given */
        /* states */
        bool snapshot;
} WsParams;

typedef struct CachedEntry {
        uint64_t seq;
        WsFrame *frame[2];           /* the line's frame without and with "seq", built on first use */
} CachedEntry;

struct LogFeed {
        WsServer *server;
        LogFeed *next, *prev;
        char *name;
        char *name_json;             /* the quoted JSON string of name */
        LogRing *ring;
        unsigned gen;                /* bumped when the name resolves to another ring */
        LogRingObserver *observer;
        sd_event_source *wake;       /* defer: wake the followers now */
        sd_event_source *wake_timer; /* wake them at last_wake + FEED_WAKE_INTERVAL_USEC */
        usec_t last_wake;
        size_t pending_lines;        /* appended since the last wake */
        LogSub *subs;
        unsigned n_subs;
        CachedEntry cache[FEED_CACHE_SIZE];
};

struct LogSub {
        WsStream *stream;
        LogFeed *feed;
        LogSub *next, *prev;         /* in feed->subs */
        unsigned gen;
        bool started;
        bool done;                   /* follow=false: batch sent */
        uint64_t next_seq;
        uint64_t end_seq;            /* follow=false: stop here */
        uint64_t since;              /* resume point, UINT64_MAX: none */
        uint64_t dropped;
        uint64_t notice_pending;     /* lost lines not yet reported in-band */
        LogRing *ring;               /* resolved once per fill (a ring may be freed between two) */
};

struct WsStream {
        WsServer *server;
        WsStream *next, *prev;
        WsSession *session;
        WsParams *params;
        LogSub *subs;
        size_t n_subs;
        size_t rr;                   /* round-robin position */
        WsFrame *held;               /* built but did not fit yet */
        uint64_t dropped;
        bool warned;
        void *state_observer;
        ProcPtySub *pty_sub;         /* the terminal stream's subscription */
};

struct WsServer {
        sd_event *event;
        const WsBackend *backend;
        void *backend_ud;
        WsServerConfig config;
        WsStream *streams;
        size_t n_sessions;
        LogFeed *feeds;
        void *feeds_observer;        /* state changes, while there are feeds: a name may get a new ring */
        uint64_t evictions;
        uint64_t dropped_lines;
};

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

/* ---- parameters ---- */

static void ws_params_free(void *p) {
        WsParams *params = p;

        if (!params)
                return;
        strv_free(params->names);
        free(params->since);
        free(params);
}

static void ws_params_freep(WsParams **p) {
        ws_params_free(*p);
}

/* Splits a comma list; trim: strip spaces (states), as process-compose does for that stream only. */
static int split_names(const char *v, bool trim, char ***ret) {
        _cleanup_strv_free_ char **names = NULL;
        size_t n = 0;

        for (const char *p = v; p && *p;) {
                const char *e = strchrnul(p, ',');
                size_t l = e - p;
                const char *b = p;

                if (trim) {
                        while (l > 0 && (*b == ' ' || *b == '\t'))
                                b++, l--;
                        while (l > 0 && (b[l - 1] == ' ' || b[l - 1] == '\t'))
                                l--;
                }
                if (l > 0) {
                        char *name;
                        if (n >= WS_NAMES_MAX || l > WS_NAME_MAX)
                                return -E2BIG;
                        name = strndup(b, l);
                        if (!name)
                                return -ENOMEM;
                        if (strv_consume(&names, name) < 0)
                                return -ENOMEM;
                        n++;
                }
                p = *e ? e + 1 : e;
        }
        *ret = TAKE_PTR(names);
        return 0;
}

static void set_error(HttpResponse *resp, unsigned status, const char *fmt, ...) _printf_(3, 4);
static void set_error(HttpResponse *resp, unsigned status, const char *fmt, ...) {
        _cleanup_free_ char *msg = NULL;
        Buffer b = {};
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);

        resp->status = status;
        (void) buffer_append_str(&b, "{\"error\":");
        (void) json_escape_append(&b, strempty(msg), msg ? strlen(msg) : 0, JSON_ESCAPE_GO);
        if (msg && buffer_append_char(&b, '}') >= 0) {
                free(resp->body);
                resp->body = buffer_steal(&b, &resp->body_size);
        } else
                buffer_done(&b);
}

/* since_seq=N (every name) or since_seq=name:N,name:N (per name). */
static int parse_since(WsParams *p, const char *v, char **ret_bad) {
        size_t n = strv_length(p->names);

        p->since = new(uint64_t, n);
        if (!p->since)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                p->since[i] = UINT64_MAX;
        if (!v)
                return 0;

        if (v[0] >= '0' && v[0] <= '9') {
                uint64_t s;
                if (parse_u64(v, &s) < 0) {
                        *ret_bad = strdup(v);
                        return -EINVAL;
                }
                for (size_t i = 0; i < n; i++)
                        p->since[i] = s;
                return 0;
        }

        for (const char *q = v; *q;) {
                const char *e = strchrnul(q, ','), *colon = NULL;
                _cleanup_free_ char *item = strndup(q, e - q);
                uint64_t s;
                bool found = false;

                if (!item)
                        return -ENOMEM;
                colon = strrchr(item, ':');
                if (!colon || parse_u64(colon + 1, &s) < 0) {
                        *ret_bad = TAKE_PTR(item);
                        return -EINVAL;
                }
                item[colon - item] = 0;
                for (size_t i = 0; i < n; i++)
                        if (streq(p->names[i], item)) {
                                p->since[i] = s;
                                found = true;
                        }
                if (!found) {
                        item[colon - item] = ':';
                        *ret_bad = TAKE_PTR(item);
                        return -EINVAL;
                }
                q = *e ? e + 1 : e;
        }
        return 0;
}

static bool query_flag(const char *query, const char *key) {
        _cleanup_free_ char *v = NULL;

        if (url_query_get(query, key, &v) <= 0)
                return false;
        return streq(v, "true") || streq(v, "1");
}

static int parse_log_params(const HttpRequest *req, HttpResponse *resp, WsParams **ret) {
        _cleanup_free_ char *name = NULL, *offset = NULL, *follow = NULL, *since = NULL, *bad = NULL;
        _cleanup_(ws_params_freep) WsParams *p = NULL;
        int r;

        p = new0(WsParams, 1);
        if (!p)
                return -ENOMEM;
        p->kind = HTTP_UPGRADE_WS_LOGS;

        if (url_query_get(req->query, "name", &name) < 0 || url_query_get(req->query, "offset", &offset) < 0 ||
            url_query_get(req->query, "follow", &follow) < 0) {
                set_error(resp, 400, "invalid query string");
                return 0;
        }
        r = url_query_get(req->query, "since_seq", &since);
        if (r == 0)
                r = url_query_get(req->query, "cursor", &since);
        if (r < 0) {
                set_error(resp, 400, "invalid query string");
                return 0;
        }

        r = split_names(name, false, &p->names);
        if (r == -E2BIG) {
                set_error(resp, 400, "too many or too long process names (at most %u of %u bytes)", WS_NAMES_MAX,
                          WS_NAME_MAX);
                return 0;
        }
        if (r < 0)
                return r;

        /* process-compose: offset is a required int (strconv.Atoi); a resuming client may leave it out. */
        if (!offset && since)
                p->offset = 0;
        else if (parse_i64(strempty(offset), &p->offset) < 0) {
                set_error(resp, 400, "strconv.Atoi: parsing \"%s\": invalid syntax", strempty(offset));
                return 0;
        }
        p->follow = streq_ptr(follow, "true");
        p->seq = query_flag(req->query, "seq");
        p->notify_drops = query_flag(req->query, "notify_drops");

        r = parse_since(p, since, &bad);
        if (r == -EINVAL) {
                set_error(resp, 400, "invalid since_seq item \"%s\": expected N or NAME:N with NAME one of name",
                          strempty(bad));
                return 0;
        }
        if (r < 0)
                return r;

        *ret = TAKE_PTR(p);
        return 1;
}

static int parse_state_params(const HttpRequest *req, HttpResponse *resp, WsParams **ret) {
        _cleanup_free_ char *name = NULL, *snapshot = NULL;
        _cleanup_(ws_params_freep) WsParams *p = NULL;
        int r;

        p = new0(WsParams, 1);
        if (!p)
                return -ENOMEM;
        p->kind = HTTP_UPGRADE_WS_STATES;
        p->snapshot = true;

        if (url_query_get(req->query, "name", &name) < 0 || url_query_get(req->query, "snapshot", &snapshot) < 0) {
                set_error(resp, 400, "invalid query string");
                return 0;
        }
        r = split_names(name, true, &p->names);
        if (r == -E2BIG) {
                set_error(resp, 400, "too many or too long process names (at most %u of %u bytes)", WS_NAMES_MAX,
                          WS_NAME_MAX);
                return 0;
        }
        if (r < 0)
                return r;
        if (snapshot && (streq(snapshot, "false") || streq(snapshot, "0")))
                p->snapshot = false;

        *ret = TAKE_PTR(p);
        return 1;
}

/* The terminal of one process: ?name= (required), checked now so that the client gets an HTTP status. */
static int parse_pty_params(WsServer *s, const HttpRequest *req, HttpResponse *resp, WsParams **ret) {
        _cleanup_free_ char *name = NULL;
        _cleanup_(ws_params_freep) WsParams *p = NULL;
        int r;

        if (url_query_get(req->query, "name", &name) < 0) {
                set_error(resp, 400, "invalid query string");
                return 0;
        }
        if (isempty(name)) {
                set_error(resp, 400, "name is required");
                return 0;
        }
        if (strlen(name) > WS_NAME_MAX) {
                set_error(resp, 400, "process name too long (at most %u bytes)", WS_NAME_MAX);
                return 0;
        }
        r = s->backend->open_terminal ? s->backend->open_terminal(s->backend_ud, name, NULL, NULL, NULL) : -ENOTTY;
        if (r == -ENOENT) {
                set_error(resp, 404, "process %s does not exist", name);
                return 0;
        }
        if (r == -ESRCH) {
                set_error(resp, 400, "process %s is not running", name);
                return 0;
        }
        if (r == -ENOTTY) {
                set_error(resp, 400, "process %s is not interactive", name);
                return 0;
        }
        if (r < 0)
                return r;

        p = new0(WsParams, 1);
        if (!p)
                return -ENOMEM;
        p->kind = HTTP_UPGRADE_WS_PTY;
        if (strv_extend(&p->names, name) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(p);
        return 1;
}

void ws_server_check_upgrade(WsServer *s, HttpUpgrade kind, const HttpRequest *req, HttpResponse *resp) {
        char accept[WS_ACCEPT_SIZE];
        WsHandshakeError e;
        WsParams *p = NULL;
        int r;

        if (!s || !req || !resp)
                return;

        /* Query errors come first, as in process-compose, which checks offset before upgrading. */
        if (kind == HTTP_UPGRADE_WS_LOGS)
                r = parse_log_params(req, resp, &p);
        else if (kind == HTTP_UPGRADE_WS_STATES)
                r = parse_state_params(req, resp, &p);
        else if (kind == HTTP_UPGRADE_WS_PTY)
                r = parse_pty_params(s, req, resp, &p);
        else {
                set_error(resp, 404, "no such stream");
                return;
        }
        if (r < 0) {
                set_error(resp, 500, "%s", strerror(-r));
                return;
        }
        if (r == 0)
                return;

        e = ws_handshake_check(req, s->config.allow_any_origin, accept);
        if (e != WS_HANDSHAKE_OK) {
                ws_params_free(p);
                set_error(resp, ws_handshake_error_status(e), "%s", ws_handshake_error_to_string(e));
                return;
        }
        if (s->n_sessions >= s->config.max_sessions) {
                ws_params_free(p);
                set_error(resp, 503, "too many WebSocket sessions (limit %zu)", s->config.max_sessions);
                return;
        }

        free(resp->ws_accept);
        resp->ws_accept = strdup(accept);
        if (!resp->ws_accept) {
                ws_params_free(p);
                set_error(resp, 500, "out of memory");
                return;
        }
        resp->status = 101;
        resp->upgrade = kind;
        resp->upgrade_params = p;
        resp->upgrade_params_free = ws_params_free;
}

/* ---- log feeds ---- */

static void feed_cache_clear(LogFeed *f) {
        for (size_t i = 0; i < FEED_CACHE_SIZE; i++) {
                f->cache[i].frame[0] = ws_frame_unref(f->cache[i].frame[0]);
                f->cache[i].frame[1] = ws_frame_unref(f->cache[i].frame[1]);
                f->cache[i].seq = UINT64_MAX;
        }
}

static LogFeed *feed_free(LogFeed *f) {
        WsServer *s;

        if (!f)
                return NULL;
        s = f->server;
        if (s) {
                if (f->prev)
                        f->prev->next = f->next;
                else
                        s->feeds = f->next;
                if (f->next)
                        f->next->prev = f->prev;
                if (!s->feeds && s->feeds_observer) {
                        s->backend->observer_free(s->backend_ud, s->feeds_observer);
                        s->feeds_observer = NULL;
                }
        }
        log_ring_observer_free(f->observer);
        sd_event_source_disable_unref(f->wake);
        sd_event_source_disable_unref(f->wake_timer);
        feed_cache_clear(f);
        free(f->name);
        free(f->name_json);
        return mfree(f);
}

static void feed_notify(LogRing *ring, void *userdata) {
        LogFeed *f = userdata;
        int enabled = SD_EVENT_OFF;
        usec_t now;

        /* Called inside log_ring_append(): only schedule, never write here. */
        f->pending_lines++;
        if (sd_event_source_get_enabled(f->wake, &enabled) >= 0 && enabled != SD_EVENT_OFF)
                return;
        now = event_now(f->server->event, CLOCK_MONOTONIC);
        /* Right away after a quiet spell, or when half the ring is new (its followers must pull before it
         * wraps); else at the next interval. */
        if (now >= f->last_wake + FEED_WAKE_INTERVAL_USEC || f->pending_lines >= log_ring_max_lines(ring) / 2) {
                (void) sd_event_source_set_enabled(f->wake_timer, SD_EVENT_OFF);
                (void) sd_event_source_set_enabled(f->wake, SD_EVENT_ONESHOT);
                return;
        }
        if (sd_event_source_get_enabled(f->wake_timer, &enabled) >= 0 && enabled != SD_EVENT_OFF)
                return;
        (void) sd_event_source_set_time(f->wake_timer, f->last_wake + FEED_WAKE_INTERVAL_USEC);
        (void) sd_event_source_set_enabled(f->wake_timer, SD_EVENT_ONESHOT);
}

/* The feed's ring, looked up by name every time. A process's ring lives as long as the process (an update
 * truncates it in place), but a process may be removed (scaled down, dropped by an update) and another
 * may come to have its name. Our observer says whether the ring we read is still alive, so a new ring at
 * the old, reused address is told apart. */
static LogRing *feed_ring(LogFeed *f) {
        LogRing *r = f->server->backend->find_log(f->server->backend_ud, f->name);

        if (r == f->ring && (!r || log_ring_observer_get_ring(f->observer) == r))
                return r;

        /* Another ring: its sequence numbers have nothing to do with the old one's. */
        f->observer = log_ring_observer_free(f->observer);
        feed_cache_clear(f);
        f->ring = r;
        f->gen++;
        if (r)
                f->observer = log_ring_observe(r, feed_notify, f);
        return r;
}

static void stream_account_drop(WsStream *st, LogSub *sub, uint64_t lost);

/* Counts what the ring dropped under a subscription that is not pulling (its queue is full), so the loss is
 * visible while it happens, not only when the session reads again. */
static void sub_check_overrun(LogSub *sub, LogRing *ring) {
        uint64_t first;

        if (!ring || !sub->started || sub->gen != sub->feed->gen || sub->done)
                return;
        first = log_ring_first_seq(ring);
        if (sub->next_seq < first) {
                stream_account_drop(sub->stream, sub, first - sub->next_seq);
                sub->next_seq = first;
        }
}

static int feed_wake(sd_event_source *src, void *userdata) {
        LogFeed *f = userdata;
        LogRing *ring = feed_ring(f);

        (void) sd_event_source_set_enabled(f->wake, SD_EVENT_OFF);
        (void) sd_event_source_set_enabled(f->wake_timer, SD_EVENT_OFF);
        f->last_wake = event_now(f->server->event, CLOCK_MONOTONIC);
        f->pending_lines = 0;

        /* All followers in this one dispatch, not one loop iteration each. */
        for (LogSub *sub = f->subs; sub; sub = sub->next) {
                sub_check_overrun(sub, ring);
                ws_session_pump(sub->stream->session);
        }
        return 0;
}

static int feed_wake_timer(sd_event_source *src, uint64_t usec, void *userdata) {
        return feed_wake(src, userdata);
}

/* A process changed state. When a feed of its name reads another ring than the process has now (a process
 * removed and re-created under the name), wake the feed, so its followers switch to the new ring: no ring
 * observer of ours watches that one yet. */
static void feeds_on_state(Process *p, void *userdata) {
        WsServer *s = userdata;

        for (LogFeed *f = s->feeds; f; f = f->next)
                if (streq_ptr(f->name, p->name) &&
                    (p->log != f->ring || log_ring_observer_get_ring(f->observer) != f->ring))
                        (void) sd_event_source_set_enabled(f->wake, SD_EVENT_ONESHOT);
}

static void feed_freep(LogFeed **f) {
        feed_free(*f);
}

static int feed_get(WsServer *s, const char *name, LogFeed **ret) {
        _cleanup_(feed_freep) LogFeed *f = NULL;
        int r;

        for (LogFeed *i = s->feeds; i; i = i->next)
                if (streq(i->name, name)) {
                        *ret = i;
                        return 0;
                }

        f = new0(LogFeed, 1);
        if (!f)
                return -ENOMEM;
        for (size_t i = 0; i < FEED_CACHE_SIZE; i++)
                f->cache[i].seq = UINT64_MAX;
        f->name = strdup(name);
        if (!f->name || !(f->name_json = json_escape(name, JSON_ESCAPE_GO)))
                return -ENOMEM;
        r = sd_event_add_defer(s->event, &f->wake, feed_wake, f);
        if (r < 0)
                return r;
        (void) sd_event_source_set_enabled(f->wake, SD_EVENT_OFF);
        r = sd_event_add_time(s->event, &f->wake_timer, CLOCK_MONOTONIC, USEC_INFINITY, 0,
                              feed_wake_timer, f);
        if (r < 0)
                return r;
        (void) sd_event_source_set_enabled(f->wake_timer, SD_EVENT_OFF);

        if (!s->feeds_observer && s->backend->observe_state) {
                s->feeds_observer = s->backend->observe_state(s->backend_ud, feeds_on_state, s);
                if (!s->feeds_observer)
                        return -ENOMEM;
        }
        f->server = s;
        f->next = s->feeds;
        if (s->feeds)
                s->feeds->prev = f;
        s->feeds = f;
        (void) feed_ring(f);
        *ret = TAKE_PTR(f);
        return 0;
}

/* ---- streams ---- */

static WsStream *stream_free(WsStream *st) {
        WsServer *s;

        if (!st)
                return NULL;
        s = st->server;

        if (s)
                for (size_t i = 0; i < st->n_subs; i++)
                        if (st->subs[i].feed)
                                sub_check_overrun(&st->subs[i], feed_ring(st->subs[i].feed));

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
                        feed_free(f);
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
                st->subs[k].ring = st->subs[k].done ? NULL : feed_ring(st->subs[k].feed);

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

static void stream_message(WsSession *ses, uint8_t opcode, const uint8_t *data, size_t len, void *userdata) {
        /* The streams take no commands: like process-compose, client messages are read only to see the close. */
}

static void stream_finished(WsSession *ses, WsSessionEnd end, void *userdata) {
        WsStream *st = userdata;
        WsServer *s = st->server;

        for (size_t i = 0; i < st->n_subs; i++)
                sub_check_overrun(&st->subs[i], feed_ring(st->subs[i].feed));
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

static const WsSessionOps log_ops = {
        .fill = log_fill,
        .message = stream_message,
        .finished = stream_finished,
};

static const WsSessionOps state_ops = {
        .message = stream_message,
        .finished = stream_finished,
};

/* ---- the terminal stream ---- */

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

static void pty_output(const void *data, size_t len, void *userdata) {
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

static const WsSessionOps pty_ops = {
        .message = pty_message,
        .finished = stream_finished,
};

static bool state_selected(WsStream *st, const Process *p) {
        if (strv_length(st->params->names) == 0)
                return true;
        return strv_contains(st->params->names, p->name);
}

static WsFrame *build_state_frame(WsServer *s, Process *p, bool snapshot) {
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

static void state_changed(Process *p, void *userdata) {
        WsStream *st = userdata;
        WsFrame *fr;

        if (ws_session_is_dead(st->session) || !state_selected(st, p))
                return;
        fr = build_state_frame(st->server, p, false);
        if (!fr) {
                ws_session_abort(st->session, WS_END_ERROR);
                return;
        }
        /* Under WS_QUEUE_DISCONNECT a full queue ends the session (process-compose disconnects too). */
        (void) ws_session_queue_frame(st->session, fr);
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

                        r = feed_get(s, st->params->names[i], &f);
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
                           kind == HTTP_UPGRADE_WS_LOGS ? &log_ops : kind == HTTP_UPGRADE_WS_PTY ? &pty_ops : &state_ops,
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
                                feed_free(sub->feed);
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

                                if (!proc || !state_selected(st, proc))
                                        continue;
                                fr = build_state_frame(s, proc, true);
                                if (!fr) {
                                        ws_session_abort(st->session, WS_END_ERROR);
                                        return 0;
                                }
                                /* A snapshot is bounded by the process count; it may exceed the caps once. */
                                (void) ws_session_queue_frame_force(st->session, fr);
                        }
                st->state_observer = s->backend->observe_state(s->backend_ud, state_changed, st);
                if (!st->state_observer)
                        ws_session_abort(st->session, WS_END_ERROR);
        }

        if (kind == HTTP_UPGRADE_WS_PTY) {
                /* the process may have ended since the check: the session closes at once */
                r = s->backend->open_terminal(s->backend_ud, st->params->names[0], pty_output, st, &st->pty_sub);
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
                feed_free(s->feeds);
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
