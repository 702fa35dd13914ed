/* exec probes on a real sd-event loop: success, exit codes, timeouts (the process group dies), failure
 * threshold counting, initial delay, environment and working directory, stop/free from the callback. */
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>

#include <systemd/sd-event.h>

#include "probe/probe.h"
#include "shared/strv.h"
#include "shared/time-util.h"
#include "tests.h"

#define RESULTS_MAX 32

typedef struct Result {
        bool ok, fatal;
        char error[256];
        usec_t at;   /* µs since the test's start */
} Result;

typedef struct Recorder {
        sd_event *event;
        usec_t t0;
        Result results[RESULTS_MAX];
        size_t n;
        size_t stop_after;    /* exit the loop after this many results */
        bool free_in_callback, stop_in_callback;
        Probe **probe;
} Recorder;

static void on_result(Probe *p, bool ok, bool fatal, const char *error, void *userdata) {
        Recorder *r = userdata;
        Result *res;

        ASSERT_TRUE(r->n < RESULTS_MAX);
        res = r->results + r->n++;
        res->ok = ok;
        res->fatal = fatal;
        snprintf(res->error, sizeof res->error, "%s", error ?: "");
        res->at = now_usec(CLOCK_MONOTONIC) - r->t0;
        if (ok)
                ASSERT_NULL(error);
        else
                ASSERT_NOT_NULL(error);

        if (r->free_in_callback)
                *r->probe = probe_free(*r->probe);
        else if (r->stop_in_callback)
                probe_stop(p);
}

/* Runs the loop until the recorder has stop_after results (counted from now) or max_sec passed. */
static void run(Recorder *rec, double max_sec) {
        usec_t deadline = now_usec(CLOCK_MONOTONIC) + (usec_t) (max_sec * USEC_PER_SEC);
        size_t target = rec->n + rec->stop_after;

        for (;;) {
                usec_t n = now_usec(CLOCK_MONOTONIC);
                if (rec->n >= target || n >= deadline)
                        break;
                ASSERT_OK(sd_event_run(rec->event, deadline - n));
        }
}

static Probe *exec_probe(Recorder *rec, const char *command, ProbeConfig *extra) {
        char *argv[] = { (char *) "/bin/sh", (char *) "-c", (char *) command, NULL };
        ProbeConfig c = extra ? *extra : (ProbeConfig) { .period_seconds = 1 };
        Probe *p = NULL;

        c.kind = PROBE_EXEC;
        c.argv = argv;
        ASSERT_OK(probe_new(rec->event, &c, on_result, rec, &p));
        rec->probe = NULL;
        rec->t0 = now_usec(CLOCK_MONOTONIC);
        return p;
}

static void recorder_init(Recorder *rec, size_t stop_after) {
        *rec = (Recorder) { .stop_after = stop_after };
        ASSERT_OK(sd_event_new(&rec->event));
}

TEST(success) {
        Recorder rec;
        recorder_init(&rec, 1);
        _cleanup_(probe_freep) Probe *p = exec_probe(&rec, "true", NULL);

        ASSERT_OK(probe_start(p));
        ASSERT_TRUE(probe_is_running(p));
        run(&rec, 5);
        ASSERT_EQ(rec.n, 1);
        ASSERT_TRUE(rec.results[0].ok);
        ASSERT_FALSE(rec.results[0].fatal);
        /* initial_delay 0: the first check runs at once */
        ASSERT_TRUE(rec.results[0].at < 500 * USEC_PER_MSEC);
        ASSERT_NULL(probe_get_url(p));
        p = probe_free(p);
        sd_event_unref(rec.event);
}

TEST(exit_status) {
        Recorder rec;
        recorder_init(&rec, 1);
        _cleanup_(probe_freep) Probe *p = exec_probe(&rec, "exit 3", NULL);

        ASSERT_OK(probe_start(p));
        run(&rec, 5);
        ASSERT_EQ(rec.n, 1);
        ASSERT_FALSE(rec.results[0].ok);
        ASSERT_FALSE(rec.results[0].fatal);
        ASSERT_STREQ(rec.results[0].error, "exit status 3");
        p = probe_free(p);
        sd_event_unref(rec.event);
}

TEST(killed_by_signal) {
        Recorder rec;
        recorder_init(&rec, 1);
        _cleanup_(probe_freep) Probe *p = exec_probe(&rec, "kill -TERM $$", NULL);

        ASSERT_OK(probe_start(p));
        run(&rec, 5);
        ASSERT_EQ(rec.n, 1);
        ASSERT_STREQ(rec.results[0].error, "signal: terminated");
        p = probe_free(p);
        sd_event_unref(rec.event);
}

TEST(timeout_kills_group) {
        _cleanup_free_ char *dir = test_tmpdir(), *pidfile = NULL, *cmd = NULL;
        Recorder rec;
        FILE *f;
        int bg = 0;

        ASSERT_NOT_NULL(dir);
        ASSERT_TRUE(asprintf(&pidfile, "%s/bg.pid", dir) > 0);
        /* a background child in the same group, and a foreground sleep that outlives the timeout */
        ASSERT_TRUE(asprintf(&cmd, "sleep 30 & echo $! > %s; sleep 5", pidfile) > 0);

        recorder_init(&rec, 1);
        ProbeConfig c = { .period_seconds = 10, .timeout_seconds = 1 };
        _cleanup_(probe_freep) Probe *p = exec_probe(&rec, cmd, &c);
        ASSERT_OK(probe_start(p));
        run(&rec, 5);
        ASSERT_EQ(rec.n, 1);
        ASSERT_FALSE(rec.results[0].ok);
        ASSERT_STREQ(rec.results[0].error, "timeout");
        ASSERT_TRUE(rec.results[0].at >= 900 * USEC_PER_MSEC);
        ASSERT_TRUE(rec.results[0].at < 1500 * USEC_PER_MSEC);

        f = fopen(pidfile, "re");
        ASSERT_NOT_NULL(f);
        ASSERT_EQ(fscanf(f, "%d", &bg), 1);
        fclose(f);
        ASSERT_TRUE(bg > 0);
        /* the background sleep got SIGKILL with its group (it is reparented, so it may linger as a zombie
         * of init for a moment: read its state rather than kill(0)) */
        bool gone = false;
        for (int i = 0; i < 100 && !gone; i++) {
                char path[64], buf[512] = "";
                snprintf(path, sizeof path, "/proc/%d/stat", bg);
                FILE *s = fopen(path, "re");
                if (!s)
                        gone = true;
                else {
                        if (fgets(buf, sizeof buf, s) && strstr(buf, ") Z "))
                                gone = true;
                        fclose(s);
                }
                if (!gone)
                        usleep(10 * 1000);
        }
        ASSERT_TRUE(gone);
        p = probe_free(p);
        sd_event_unref(rec.event);
        (void) unlink(pidfile);
        (void) rmdir(dir);
}

TEST(failure_threshold) {
        /* threshold 2, period 1: checks at 0, 1, 2, 3 s -> fatal on the 2nd and 4th */
        Recorder rec;
        recorder_init(&rec, 4);
        ProbeConfig c = { .period_seconds = 1, .failure_threshold = 2 };
        _cleanup_(probe_freep) Probe *p = exec_probe(&rec, "false", &c);

        ASSERT_OK(probe_start(p));
        run(&rec, 8);
        ASSERT_EQ(rec.n, 4);
        for (size_t i = 0; i < 4; i++) {
                ASSERT_FALSE(rec.results[i].ok);
                ASSERT_STREQ(rec.results[i].error, "exit status 1");
        }
        ASSERT_FALSE(rec.results[0].fatal);
        ASSERT_TRUE(rec.results[1].fatal);
        ASSERT_FALSE(rec.results[2].fatal);
        ASSERT_TRUE(rec.results[3].fatal);
        /* period: about 1 s apart */
        for (size_t i = 1; i < 4; i++) {
                usec_t d = rec.results[i].at - rec.results[i - 1].at;
                ASSERT_TRUE(d > 800 * USEC_PER_MSEC && d < 1500 * USEC_PER_MSEC);
        }
        p = probe_free(p);
        sd_event_unref(rec.event);
}

TEST(success_resets_count) {
        /* fails, succeeds, fails, fails: with threshold 2 only the 4th is fatal */
        _cleanup_free_ char *dir = test_tmpdir(), *cmd = NULL;
        Recorder rec;

        ASSERT_TRUE(asprintf(&cmd, "n=$(cat %s/n 2>/dev/null || echo 0); echo $((n+1)) > %s/n; "
                             "[ $n = 1 ]", dir, dir) > 0);
        recorder_init(&rec, 4);
        ProbeConfig c = { .period_seconds = 1, .failure_threshold = 2 };
        _cleanup_(probe_freep) Probe *p = exec_probe(&rec, cmd, &c);
        ASSERT_OK(probe_start(p));
        run(&rec, 8);
        ASSERT_EQ(rec.n, 4);
        ASSERT_FALSE(rec.results[0].ok);
        ASSERT_FALSE(rec.results[0].fatal);
        ASSERT_TRUE(rec.results[1].ok);
        ASSERT_FALSE(rec.results[2].ok);
        ASSERT_FALSE(rec.results[2].fatal);
        ASSERT_FALSE(rec.results[3].ok);
        ASSERT_TRUE(rec.results[3].fatal);
        p = probe_free(p);
        sd_event_unref(rec.event);
        _cleanup_free_ char *n = NULL;
        ASSERT_TRUE(asprintf(&n, "%s/n", dir) > 0);
        (void) unlink(n);
        (void) rmdir(dir);
}

TEST(initial_delay) {
        Recorder rec;
        recorder_init(&rec, 1);
        ProbeConfig c = { .initial_delay_seconds = 1, .period_seconds = 1 };
        _cleanup_(probe_freep) Probe *p = exec_probe(&rec, "true", &c);

        ASSERT_OK(probe_start(p));
        run(&rec, 5);
        ASSERT_EQ(rec.n, 1);
        ASSERT_TRUE(rec.results[0].at >= 950 * USEC_PER_MSEC);
        ASSERT_TRUE(rec.results[0].at < 1800 * USEC_PER_MSEC);
        p = probe_free(p);
        sd_event_unref(rec.event);
}

TEST(environment_and_working_directory) {
        char *env[] = { (char *) "PROBE_FOO=bar baz", (char *) "PATH=/usr/bin:/bin", NULL };
        Recorder rec;

        recorder_init(&rec, 1);
        ProbeConfig c = { .environment = env, .working_directory = "/usr" };
        /* only the given environment: HOME from the test's own is not there */
        _cleanup_(probe_freep) Probe *p = exec_probe(&rec, "[ \"$PROBE_FOO\" = 'bar baz' ] && [ \"$(pwd)\" = /usr ] "
                                                     "&& [ -z \"$HOME\" ]", &c);
        ASSERT_OK(probe_start(p));
        run(&rec, 5);
        ASSERT_EQ(rec.n, 1);
        ASSERT_TRUE(rec.results[0].ok);
        p = probe_free(p);
        sd_event_unref(rec.event);
}

TEST(missing_working_directory_and_binary) {
        Recorder rec;

        recorder_init(&rec, 1);
        ProbeConfig c = { .working_directory = "/nonexistent-pcctl-dir" };
        _cleanup_(probe_freep) Probe *p = exec_probe(&rec, "true", &c);
        ASSERT_OK(probe_start(p));
        run(&rec, 5);
        ASSERT_EQ(rec.n, 1);
        ASSERT_FALSE(rec.results[0].ok);
        ASSERT_STREQ(rec.results[0].error, "chdir /nonexistent-pcctl-dir: No such file or directory");
        p = probe_free(p);

        char *argv[] = { (char *) "pcctl-no-such-binary", NULL };
        ProbeConfig c2 = { .kind = PROBE_EXEC, .argv = argv };
        rec.n = 0;
        ASSERT_OK(probe_new(rec.event, &c2, on_result, &rec, &p));
        ASSERT_OK(probe_start(p));
        run(&rec, 5);
        ASSERT_EQ(rec.n, 1);
        ASSERT_STREQ(rec.results[0].error, "fork/exec pcctl-no-such-binary: No such file or directory");
        p = probe_free(p);
        sd_event_unref(rec.event);
}

TEST(stop_cancels_running_check) {
        Recorder rec;
        recorder_init(&rec, 1);
        ProbeConfig c = { .timeout_seconds = 5 };
        _cleanup_(probe_freep) Probe *p = exec_probe(&rec, "sleep 3", &c);

        ASSERT_OK(probe_start(p));
        /* let the check start, then stop: no callback may follow */
        run(&rec, 0.3);
        ASSERT_EQ(rec.n, 0);
        probe_stop(p);
        ASSERT_FALSE(probe_is_running(p));
        run(&rec, 1);
        ASSERT_EQ(rec.n, 0);
        /* and it can start again */
        ASSERT_OK(probe_start(p));
        ASSERT_TRUE(probe_is_running(p));
        p = probe_free(p);
        sd_event_unref(rec.event);
}

TEST(free_and_stop_from_callback) {
        Recorder rec;
        Probe *p;

        recorder_init(&rec, 1);
        p = exec_probe(&rec, "false", NULL);
        rec.probe = &p;
        rec.free_in_callback = true;
        ASSERT_OK(probe_start(p));
        run(&rec, 5);
        ASSERT_EQ(rec.n, 1);
        ASSERT_NULL(p);
        run(&rec, 1.2);   /* nothing left to fire */
        ASSERT_EQ(rec.n, 1);
        sd_event_unref(rec.event);

        recorder_init(&rec, 1);
        Probe *q = exec_probe(&rec, "true", NULL);
        rec.stop_in_callback = true;
        ASSERT_OK(probe_start(q));
        run(&rec, 5);
        ASSERT_EQ(rec.n, 1);
        ASSERT_FALSE(probe_is_running(q));
        run(&rec, 1.5);   /* period 1 s: a second check would have come */
        ASSERT_EQ(rec.n, 1);
        probe_free(q);
        sd_event_unref(rec.event);
}

TEST(no_descriptor_leaks) {
        _cleanup_free_ char *cmd = NULL;
        Recorder rec;
        int fd;

        /* a descriptor pcctl forgot to mark CLOEXEC must not reach the check */
        fd = open("/dev/null", O_RDONLY);
        ASSERT_TRUE(fd > 2);
        ASSERT_TRUE(asprintf(&cmd, "[ ! -e /proc/self/fd/%d ]", fd) > 0);

        recorder_init(&rec, 1);
        _cleanup_(probe_freep) Probe *p = exec_probe(&rec, cmd, NULL);
        ASSERT_OK(probe_start(p));
        run(&rec, 5);
        ASSERT_EQ(rec.n, 1);
        ASSERT_TRUE(rec.results[0].ok);
        p = probe_free(p);

        /* and the control: the same test on an inherited descriptor fails */
        _cleanup_free_ char *cmd2 = NULL;
        ASSERT_TRUE(asprintf(&cmd2, "[ ! -e /proc/self/fd/%d ]", 0) > 0);
        p = exec_probe(&rec, cmd2, NULL);
        ASSERT_OK(probe_start(p));
        run(&rec, 5);
        ASSERT_EQ(rec.n, 2);
        ASSERT_FALSE(rec.results[1].ok);
        p = probe_free(p);

        if (geteuid() == 0) {
                ProbeConfig c = { .user = "root" };
                p = exec_probe(&rec, cmd, &c);
                ASSERT_OK(probe_start(p));
                run(&rec, 5);
                ASSERT_EQ(rec.n, 3);
                ASSERT_TRUE(rec.results[2].ok);
                p = probe_free(p);
        }
        close(fd);
        sd_event_unref(rec.event);
}

TEST(as_user) {
        Recorder rec;

        recorder_init(&rec, 1);
        ProbeConfig c = { .user = "nobody", .working_directory = "/" };
        _cleanup_(probe_freep) Probe *p = exec_probe(&rec, "[ \"$(id -un)\" = nobody ] && [ \"$(id -G)\" = \"$(id -g)\" ] "
                                                     "&& [ \"$(pwd)\" = / ]", &c);
        ASSERT_OK(probe_start(p));
        run(&rec, 5);
        ASSERT_EQ(rec.n, 1);
        if (geteuid() == 0)
                ASSERT_TRUE(rec.results[0].ok);
        else {
                /* only root may switch users: the check fails and says why */
                ASSERT_FALSE(rec.results[0].ok);
                ASSERT_TRUE(startswith(rec.results[0].error, "initgroups nobody: ") ||
                            startswith(rec.results[0].error, "setuid nobody: "));
        }
        p = probe_free(p);

        ProbeConfig c2 = { .user = "pcctl-no-such-user" };
        p = exec_probe(&rec, "true", &c2);
        ASSERT_OK(probe_start(p));
        run(&rec, 5);
        ASSERT_EQ(rec.n, 2);
        ASSERT_FALSE(rec.results[1].ok);
        ASSERT_STREQ(rec.results[1].error, "user pcctl-no-such-user: not found");
        p = probe_free(p);

        ProbeConfig c3 = { .group = "pcctl-no-such-group" };
        p = exec_probe(&rec, "true", &c3);
        ASSERT_OK(probe_start(p));
        run(&rec, 5);
        ASSERT_EQ(rec.n, 3);
        ASSERT_STREQ(rec.results[2].error, "group pcctl-no-such-group: not found");
        p = probe_free(p);

        if (geteuid() == 0) {
                /* numeric ids without a passwd entry work too; the exit code of the check still counts */
                ProbeConfig c4 = { .user = "4242", .group = "4243", .working_directory = "/nonexistent-pcctl" };
                p = exec_probe(&rec, "true", &c4);
                ASSERT_OK(probe_start(p));
                run(&rec, 5);
                ASSERT_EQ(rec.n, 4);
                ASSERT_STREQ(rec.results[3].error, "chdir /nonexistent-pcctl: No such file or directory");
                p = probe_free(p);

                ProbeConfig c5 = { .user = "4242", .group = "4243" };
                p = exec_probe(&rec, "[ \"$(id -u):$(id -g):$(id -G)\" = 4242:4243:4243 ] && exit 7", &c5);
                ASSERT_OK(probe_start(p));
                run(&rec, 5);
                ASSERT_EQ(rec.n, 5);
                ASSERT_STREQ(rec.results[4].error, "exit status 7");
                p = probe_free(p);

                /* a timeout kills a user check the same way */
                ProbeConfig c6 = { .user = "nobody", .timeout_seconds = 1 };
                p = exec_probe(&rec, "sleep 5", &c6);
                ASSERT_OK(probe_start(p));
                run(&rec, 5);
                ASSERT_EQ(rec.n, 6);
                ASSERT_STREQ(rec.results[5].error, "timeout");
                p = probe_free(p);
        }
        sd_event_unref(rec.event);
}

TEST(bad_config) {
        sd_event *e;
        Probe *p = NULL;
        char *empty[] = { NULL };

        ASSERT_OK(sd_event_new(&e));
        ASSERT_ERROR(probe_new(e, &(ProbeConfig) { .kind = PROBE_EXEC }, on_result, NULL, &p), EINVAL);
        ASSERT_ERROR(probe_new(e, &(ProbeConfig) { .kind = PROBE_EXEC, .argv = empty }, on_result, NULL, &p),
                     EINVAL);
        ASSERT_ERROR(probe_new(e, &(ProbeConfig) { .kind = _PROBE_KIND_INVALID }, on_result, NULL, &p), EINVAL);
        char *argv[] = { (char *) "true", NULL };
        ASSERT_ERROR(probe_new(e, &(ProbeConfig) { .kind = PROBE_EXEC, .argv = argv, .user = "a b" }, on_result,
                               NULL, &p), EINVAL);
        ASSERT_ERROR(probe_new(e, &(ProbeConfig) { .kind = PROBE_EXEC, .argv = argv, .group = "" }, on_result,
                               NULL, &p), EINVAL);
        ASSERT_NULL(p);
        ASSERT_STREQ(probe_kind_to_string(PROBE_EXEC), "exec");
        ASSERT_STREQ(probe_kind_to_string(PROBE_HTTP_GET), "http_get");
        ASSERT_EQ(probe_kind_from_string("http_get"), PROBE_HTTP_GET);
        ASSERT_EQ(probe_kind_from_string("tcp"), _PROBE_KIND_INVALID);
        sd_event_unref(e);
}

DEFINE_TEST_MAIN();
