/* journald's Synchronize call over its varlink socket: see journal-sync.h.
 *
 * Varlink is JSON objects, each ended by a NUL byte, over a stream socket. The one call and its answers:
 *   -> {"method":"io.systemd.Journal.Synchronize","parameters":{}}
 *   <- {"parameters":{}}                                   done
 *   <- {"error":"org.varlink.service.…","parameters":{…}}  refused */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "journal/journal-sync.h"
#include "shared/log.h"

#define REPLY_MAX 4096u

struct JournalSync {
        sd_event_source *io, *timer;
        int fd;
        size_t sent;
        char reply[REPLY_MAX];
        size_t received;
        JournalSyncCallback cb;
        void *userdata;
};

/* sizeof includes the terminating NUL, which ends the message */
static const char request[] = "{\"method\":\"io.systemd.Journal.Synchronize\",\"parameters\":{}}";

JournalSync *journal_sync_free(JournalSync *s) {
        if (!s)
                return NULL;
        sd_event_source_disable_unref(s->io);
        sd_event_source_disable_unref(s->timer);
        safe_close(s->fd);
        return mfree(s);
}

/* The answer, once: the sources stop, and the callback may free s. */
static void sync_done(JournalSync *s, int error) {
        (void) sd_event_source_set_enabled(s->io, SD_EVENT_OFF);
        (void) sd_event_source_set_enabled(s->timer, SD_EVENT_OFF);
        s->fd = safe_close(s->fd);
        s->cb(s, error, s->userdata);
}

static int reply_verdict(const char *text) {
        cJSON *j = cJSON_Parse(text);
        const cJSON *error;
        int r = 0;

        if (!cJSON_IsObject(j))
                r = -EBADMSG;
        else if ((error = cJSON_GetObjectItemCaseSensitive(j, "error"))) {
                log_debug("journald refused Synchronize: %s",
                          cJSON_IsString(error) ? error->valuestring : "(no error name)");
                r = -EPROTO;
        }
        cJSON_Delete(j);
        return r;
}

static int on_io(sd_event_source *es, int fd, uint32_t revents, void *userdata) {
        JournalSync *s = userdata;
        ssize_t n;

        if (s->sent < sizeof request) {
                n = send(fd, request + s->sent, sizeof request - s->sent, MSG_DONTWAIT | MSG_NOSIGNAL);
                if (n < 0) {
                        if (errno == EAGAIN || errno == EINTR)
                                return 0;
                        sync_done(s, -errno);
                        return 0;
                }
                s->sent += (size_t) n;
                if (s->sent == sizeof request)
                        (void) sd_event_source_set_io_events(es, EPOLLIN);
                return 0;
        }

        n = recv(fd, s->reply + s->received, sizeof s->reply - 1 - s->received, MSG_DONTWAIT);
        if (n < 0) {
                if (errno == EAGAIN || errno == EINTR)
                        return 0;
                sync_done(s, -errno);
                return 0;
        }
        if (n == 0) {
                sync_done(s, -ECONNRESET);
                return 0;
        }
        s->received += (size_t) n;
        s->reply[s->received] = 0;
        if (strlen(s->reply) < s->received) {
                sync_done(s, reply_verdict(s->reply));     /* the NUL that ends the answer */
                return 0;
        }
        if (s->received >= sizeof s->reply - 1)
                sync_done(s, -EMSGSIZE);
        return 0;
}

static int on_timeout(sd_event_source *es, uint64_t usec, void *userdata) {
        sync_done(userdata, -ETIMEDOUT);
        return 0;
}

int journal_sync_start(sd_event *e, const char *address, usec_t timeout, JournalSyncCallback cb,
                       void *userdata, JournalSync **ret) {
        _cleanup_(journal_sync_freep) JournalSync *s = NULL;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int r;

        if (!e || !cb || !ret)
                return -EINVAL;
        if (!address)
                address = JOURNAL_VARLINK_SOCKET;
        if (strlen(address) >= sizeof sa.sun_path)
                return -EINVAL;
        strcpy(sa.sun_path, address);

        s = new0(JournalSync, 1);
        if (!s)
                return -ENOMEM;
        s->cb = cb;
        s->userdata = userdata;
        s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (s->fd < 0)
                return -errno;
        /* A local stream socket connects at once or fails (-EAGAIN: journald's backlog is full; then the
         * first EPOLLOUT says it is connected). */
        if (connect(s->fd, (const struct sockaddr *) &sa, offsetof(struct sockaddr_un, sun_path) +
                    strlen(address) + 1) < 0 && errno != EAGAIN && errno != EINPROGRESS)
                return -errno;

        r = sd_event_add_io(e, &s->io, s->fd, EPOLLOUT, on_io, s);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(s->io, "journal-sync-io");
        r = sd_event_add_time_relative(e, &s->timer, CLOCK_MONOTONIC, timeout, USEC_PER_MSEC, on_timeout, s);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(s->timer, "journal-sync-timeout");

        *ret = TAKE_PTR(s);
        return 0;
}
