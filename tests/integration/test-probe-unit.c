/* Probes against a real service: a transient unit on the user manager runs python3's http.server, an
 * http_get readiness probe sees it come up, and after the unit is stopped the probe fails until the failure
 * is fatal; an exec liveness probe tracks the unit's main process the same way. The unit is stopped and
 * reset at the end, also on failure. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <systemd/sd-event.h>

#include "probe/probe.h"
#include "shared/time-util.h"
#include "tests.h"

static char unit[128];

static void cleanup_unit(void) {
        char cmd[512];

        if (!unit[0])
                return;
        snprintf(cmd, sizeof cmd, "systemctl --user stop %s >/dev/null 2>&1; "
                 "systemctl --user reset-failed %s >/dev/null 2>&1", unit, unit);
        (void) system(cmd);
}

static void on_abort(int sig) {
        cleanup_unit();
        signal(sig, SIG_DFL);
        raise(sig);
}

typedef struct Log {
        unsigned n, n_ok, n_fatal;
        bool last_ok;
        char last_error[512];
} Log;

static void on_result(Probe *p, bool ok, bool fatal, const char *error, void *userdata) {
        Log *l = userdata;

        l->n++;
        l->n_ok += ok;
        l->n_fatal += fatal;
        l->last_ok = ok;
        snprintf(l->last_error, sizeof l->last_error, "%s", error ?: "");
}

/* Runs the loop until cond(l) holds or max_sec passed; returns whether it held. */
static bool run_until(sd_event *e, Log *l, bool (*cond)(const Log *l), double max_sec) {
        usec_t deadline = now_usec(CLOCK_MONOTONIC) + (usec_t) (max_sec * USEC_PER_SEC);

        for (;;) {
                usec_t t = now_usec(CLOCK_MONOTONIC);
                if (cond(l))
                        return true;
                if (t >= deadline)
                        return false;
                ASSERT_OK(sd_event_run(e, deadline - t));
        }
}

static bool is_ok(const Log *l) {
        return l->n > 0 && l->last_ok;
}

static bool is_fatal(const Log *l) {
        return l->n_fatal > 0;
}

static int free_port(void) {
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t len = sizeof sa;
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

        ASSERT_TRUE(fd >= 0);
        ASSERT_EQ(bind(fd, (struct sockaddr *) &sa, sizeof sa), 0);
        ASSERT_EQ(getsockname(fd, (struct sockaddr *) &sa, &len), 0);
        close(fd);
        return ntohs(sa.sin_port);
}

static char *show(const char *property) {
        char cmd[512], line[512] = "";
        FILE *f;

        snprintf(cmd, sizeof cmd, "systemctl --user show -p %s --value %s", property, unit);
        f = popen(cmd, "r");
        ASSERT_NOT_NULL(f);
        if (!fgets(line, sizeof line, f))
                line[0] = 0;
        pclose(f);
        line[strcspn(line, "\n")] = 0;
        return strdup(line);
}

TEST(probes_follow_a_real_service) {
        const char *rt = getenv("XDG_RUNTIME_DIR");
        _cleanup_free_ char *private = NULL, *pid_s = NULL, *kill_cmd = NULL;
        _cleanup_(probe_freep) Probe *http = NULL, *live = NULL;
        char cmd[1024];
        struct stat st;
        sd_event *e;
        Log lh = {}, ll = {};
        int port;

        ASSERT_NOT_NULL(rt);
        ASSERT_TRUE(asprintf(&private, "%s/systemd/private", rt) > 0);
        if (stat(private, &st) < 0)
                exit(log_tests_skipped("no user manager (run contrib/sandbox.sh start)"));

        snprintf(unit, sizeof unit, "pcctl-t%d-probe-http.service", (int) getpid());
        atexit(cleanup_unit);
        signal(SIGABRT, on_abort);
        port = free_port();
        snprintf(cmd, sizeof cmd, "systemd-run --user --quiet --unit=%s -p Type=exec /usr/bin/python3 -m http.server "
                 "%d --bind 127.0.0.1 --directory /", unit, port);
        ASSERT_EQ(system(cmd), 0);

        ASSERT_OK(sd_event_new(&e));

        /* readiness over http: ok once the server listens */
        ProbeConfig hc = { .kind = PROBE_HTTP_GET, .port = port, .path = "/", .period_seconds = 1,
                           .failure_threshold = 2 };
        ASSERT_OK(probe_new(e, &hc, on_result, &lh, &http));
        ASSERT_OK(probe_start(http));
        if (!run_until(e, &lh, is_ok, 15))
                TEST_FAIL("the http probe never passed: %u checks, last error: %s", lh.n, lh.last_error);

        /* liveness over exec: the unit's main process exists */
        pid_s = show("MainPID");
        ASSERT_TRUE(atoi(pid_s) > 0);
        ASSERT_TRUE(asprintf(&kill_cmd, "kill -0 %s", pid_s) > 0);
        char *argv[] = { (char *) "/bin/sh", (char *) "-c", kill_cmd, NULL };
        ProbeConfig lc = { .kind = PROBE_EXEC, .argv = argv, .period_seconds = 1, .failure_threshold = 2 };
        ASSERT_OK(probe_new(e, &lc, on_result, &ll, &live));
        ASSERT_OK(probe_start(live));
        ASSERT_TRUE(run_until(e, &ll, is_ok, 5));
        ASSERT_EQ(lh.n_fatal, 0u);

        /* the service goes away: both probes fail twice in a row, which is fatal */
        snprintf(cmd, sizeof cmd, "systemctl --user stop %s", unit);
        ASSERT_EQ(system(cmd), 0);
        usec_t stopped = now_usec(CLOCK_MONOTONIC);
        if (!run_until(e, &lh, is_fatal, 6))
                TEST_FAIL("no fatal http failure: %u checks, last error: %s", lh.n, lh.last_error);
        ASSERT_TRUE(startswith(lh.last_error, "Ran into error while performing 'GET' request: "));
        ASSERT_TRUE(run_until(e, &ll, is_fatal, 6));
        ASSERT_STREQ(ll.last_error, "exit status 1");
        /* two periods after the stop, give or take one */
        ASSERT_TRUE(now_usec(CLOCK_MONOTONIC) - stopped < 4 * USEC_PER_SEC);

        http = probe_free(http);
        live = probe_free(live);
        sd_event_unref(e);
        cleanup_unit();
        unit[0] = 0;
}

DEFINE_TEST_MAIN();
