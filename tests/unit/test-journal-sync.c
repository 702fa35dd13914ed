/* journald's Synchronize call against a stand-in server on a socket of the test's own: the answers journald
 * gives, no answer at all (the timeout), and no server (the call cannot be made). */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <systemd/sd-event.h>

#include "journal/journal-sync.h"
#include "shared/time-util.h"
#include "tests.h"

typedef struct Server {
        int listen_fd;
        const char *answer;          /* NULL: read the call, never answer */
        char request[256];
        pthread_t thread;
} Server;

/* One connection: read the call up to its NUL, send the answer (with its NUL), keep the socket open a while. */
static void *server_run(void *userdata) {
        Server *s = userdata;
        size_t n = 0;
        int fd;

        fd = accept(s->listen_fd, NULL, NULL);
        if (fd < 0)
                return NULL;
        while (n < sizeof s->request - 1) {
                ssize_t k = read(fd, s->request + n, sizeof s->request - 1 - n);

                if (k <= 0)
                        break;
                n += (size_t) k;
                if (memchr(s->request, 0, n))
                        break;
        }
        if (s->answer)
                (void) write(fd, s->answer, strlen(s->answer) + 1);
        usleep(500 * 1000);
        close(fd);
        return NULL;
}

static char *server_start(Server *s, const char *answer) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        char *dir = test_tmpdir(), *path = NULL;

        ASSERT_NOT_NULL(dir);
        ASSERT_TRUE(asprintf(&path, "%s/io.systemd.journal", dir) > 0);
        free(dir);
        *s = (Server) { .answer = answer };
        s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        ASSERT_TRUE(s->listen_fd >= 0);
        strcpy(sa.sun_path, path);
        ASSERT_OK(bind(s->listen_fd, (struct sockaddr *) &sa, sizeof sa));
        ASSERT_OK(listen(s->listen_fd, 4));
        ASSERT_EQ(pthread_create(&s->thread, NULL, server_run, s), 0);
        return path;
}

static void server_stop(Server *s, char *path) {
        ASSERT_EQ(pthread_join(s->thread, NULL), 0);
        close(s->listen_fd);
        (void) unlink(path);
        free(path);
}

typedef struct Result {
        bool called;
        int error;
        JournalSync *sync;
} Result;

static void on_done(JournalSync *js, int error, void *userdata) {
        Result *r = userdata;

        ASSERT_FALSE(r->called);
        r->called = true;
        r->error = error;
        r->sync = journal_sync_free(r->sync);    /* the callback may free it */
}

/* Runs one call to address; returns its result and how long it took. */
static int sync_call(const char *address, usec_t timeout, usec_t *ret_took) {
        sd_event *e = NULL;
        Result r = {};
        usec_t t0 = now_usec(CLOCK_MONOTONIC);

        ASSERT_OK(sd_event_new(&e));
        ASSERT_OK(journal_sync_start(e, address, timeout, on_done, &r, &r.sync));
        while (!r.called)
                ASSERT_OK(sd_event_run(e, UINT64_MAX));
        ASSERT_NULL(r.sync);
        *ret_took = now_usec(CLOCK_MONOTONIC) - t0;
        sd_event_unref(e);
        return r.error;
}

TEST(answered) {
        Server s;
        char *path = server_start(&s, "{\"parameters\":{}}");
        usec_t took;

        ASSERT_EQ(sync_call(path, 5 * USEC_PER_SEC, &took), 0);
        ASSERT_STREQ(s.request, "{\"method\":\"io.systemd.Journal.Synchronize\",\"parameters\":{}}");
        ASSERT_TRUE(took < 400 * USEC_PER_MSEC);        /* the answer, not the server's close */
        server_stop(&s, path);
}

TEST(error_answer) {
        Server s;
        char *path = server_start(&s, "{\"error\":\"org.varlink.service.PermissionDenied\",\"parameters\":{}}");
        usec_t took;

        ASSERT_EQ(sync_call(path, 5 * USEC_PER_SEC, &took), -EPROTO);
        server_stop(&s, path);
}

TEST(no_answer_times_out) {
        Server s;
        char *path = server_start(&s, NULL);
        usec_t took;

        ASSERT_EQ(sync_call(path, 200 * USEC_PER_MSEC, &took), -ETIMEDOUT);
        ASSERT_TRUE(took >= 200 * USEC_PER_MSEC && took < 2 * USEC_PER_SEC);
        server_stop(&s, path);
}

TEST(no_server) {
        sd_event *e = NULL;
        JournalSync *js = NULL;
        Result r = {};

        ASSERT_OK(sd_event_new(&e));
        ASSERT_ERROR(journal_sync_start(e, "/nonexistent/io.systemd.journal", USEC_PER_SEC, on_done, &r, &js),
                     ENOENT);
        ASSERT_NULL(js);
        ASSERT_FALSE(r.called);
        sd_event_unref(e);
}

DEFINE_TEST_MAIN();
