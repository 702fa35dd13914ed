/* Log fan-out: a LogEntry is stored once in its ring. One LogFeed per process name observes the ring and
 * wakes its subscribers, all in one dispatch: at once after a quiet spell, then at most every 5 ms while lines
 * keep coming (or when half the ring is new), so a flood costs each follower one send() per batch. It caches
 * the frames of recent entries (built in ws-log-stream.c), so N followers share each line's bytes instead of
 * escaping and copying them N times. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "shared/event-util.h"
#include "shared/json-util.h"
#include "ws/ws-server-internal.h"

/* A process's followers are woken at most this often while lines keep coming (each wake costs every
 * follower a send()); a line after a quiet spell wakes them at once. */
#define FEED_WAKE_INTERVAL_USEC (5 * USEC_PER_MSEC)

static void feed_cache_clear(LogFeed *f) {
        for (size_t i = 0; i < FEED_CACHE_SIZE; i++) {
                f->cache[i].frame[0] = ws_frame_unref(f->cache[i].frame[0]);
                f->cache[i].frame[1] = ws_frame_unref(f->cache[i].frame[1]);
                f->cache[i].seq = UINT64_MAX;
        }
}

LogFeed *ws_log_feed_free(LogFeed *f) {
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
LogRing *ws_log_feed_ring(LogFeed *f) {
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

static int feed_wake(sd_event_source *src, void *userdata) {
        LogFeed *f = userdata;
        LogRing *ring = ws_log_feed_ring(f);

        (void) sd_event_source_set_enabled(f->wake, SD_EVENT_OFF);
        (void) sd_event_source_set_enabled(f->wake_timer, SD_EVENT_OFF);
        f->last_wake = event_now(f->server->event, CLOCK_MONOTONIC);
        f->pending_lines = 0;

        /* All followers in this one dispatch, not one loop iteration each. */
        for (LogSub *sub = f->subs; sub; sub = sub->next) {
                ws_log_sub_check_overrun(sub, ring);
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
        ws_log_feed_free(*f);
}

int ws_log_feed_get(WsServer *s, const char *name, LogFeed **ret) {
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
        (void) ws_log_feed_ring(f);
        *ret = TAKE_PTR(f);
        return 0;
}
