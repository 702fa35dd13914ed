/* The WebSocket streams' internals, shared by ws-server.c (the session registry, attach), ws-upgrade.c (the
 * query parameters and the upgrade check), ws-log-feed.c (one feed per process name), ws-log-stream.c,
 * ws-state-stream.c and ws-pty-stream.c (the three streams). Not for use outside src/ws/. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "ws/ws-backend.h"
#include "ws/ws-server.h"
#include "ws/ws-session.h"

#define FEED_CACHE_SIZE 1024u   /* log line frames per process, shared by its followers */

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

/* ws-upgrade.c */
void ws_params_free(void *p);
void ws_params_freep(WsParams **p);

/* ws-server.c: the callbacks every stream shares. */
void ws_stream_message(WsSession *ses, uint8_t opcode, const uint8_t *data, size_t len, void *userdata);
void ws_stream_finished(WsSession *ses, WsSessionEnd end, void *userdata);

/* ws-log-feed.c */
int ws_log_feed_get(WsServer *s, const char *name, LogFeed **ret);
LogFeed *ws_log_feed_free(LogFeed *f);
LogRing *ws_log_feed_ring(LogFeed *f);

/* ws-log-stream.c */
extern const WsSessionOps ws_log_stream_ops;
void ws_log_sub_check_overrun(LogSub *sub, LogRing *ring);

/* ws-state-stream.c */
extern const WsSessionOps ws_state_stream_ops;
bool ws_state_selected(WsStream *st, const Process *p);
WsFrame *ws_state_frame_new(WsServer *s, Process *p, bool snapshot);
void ws_state_changed(Process *p, void *userdata);

/* ws-pty-stream.c */
extern const WsSessionOps ws_pty_stream_ops;
void ws_pty_stream_output(const void *data, size_t len, void *userdata);
