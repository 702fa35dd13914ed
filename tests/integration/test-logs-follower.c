/* The journal follower against the real journald and user manager: units are started with systemd-run
 * through pcctl's __exec wrapper, exactly as the unit driver builds them, and the follower reads them back
 * into rings. */
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>

#include <systemd/sd-event.h>

#include "journal/journal-follower.h"
#include "journal/logring.h"
#include "tests.h"

extern char **environ;

static char prefix[64];
static char slice[80];

static const char *pcctl_bin(void) {
        return getenv("PCCTL_BIN") ?: "build/pcctl";
}

static int spawn_wait(char **argv) {
        pid_t pid;
        int status;

        if (posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ) != 0)
                return -errno;
        if (waitpid(pid, &status, 0) < 0)
                return -errno;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -EIO;
}

/* The wrapper as `pcctl up` runs it: pcctl-exec beside pcctl when it was built, else pcctl itself. */
static const char *exec_bin(void) {
        static char path[PATH_MAX];
        const char *bin = pcctl_bin(), *slash = strrchr(bin, '/');

        if (slash && snprintf(path, sizeof path, "%.*s/pcctl-exec", (int) (slash - bin), bin) < (int) sizeof path &&
            access(path, X_OK) >= 0)
                return path;
        return bin;
}

/* Starts pcctl-t<pid>-fol-<name>.service in the slice pcctl-t<pid>-fol.slice (as `pcctl up` puts a project's
 * units in its slice) with SyslogIdentifier = unit name without .service, running
 * "pcctl-exec __exec <ident> -- sh -c <script>". Returns at once (--no-block). */
static void start_unit(const char *name, const char *script, char ident[static 128], char unit[static 136]) {
        char unit_arg[160], ident_arg[160], slice_arg[160];

        ASSERT_TRUE(snprintf(ident, 128, "%s-%s", prefix, name) < 128);
        ASSERT_TRUE(snprintf(unit, 136, "%s.service", ident) < 136);
        ASSERT_TRUE(snprintf(unit_arg, sizeof unit_arg, "--unit=%s", unit) < (int) sizeof unit_arg);
        ASSERT_TRUE(snprintf(ident_arg, sizeof ident_arg, "SyslogIdentifier=%s", ident) < (int) sizeof ident_arg);
        ASSERT_TRUE(snprintf(slice_arg, sizeof slice_arg, "--slice=%s", slice) < (int) sizeof slice_arg);

        char *argv[] = { (char *) "systemd-run", (char *) "--user", (char *) "-q", (char *) "--no-block",
                         unit_arg, slice_arg, (char *) "-p", ident_arg, (char *) exec_bin(), (char *) "__exec",
                         ident, (char *) "--", (char *) "sh", (char *) "-c", (char *) script, NULL };
        ASSERT_EQ(spawn_wait(argv), 0);
}

/* A follower as `pcctl up` sets it up: matching the project's slice, not each unit. */
static void new_follower(sd_event *e, JournalFollower **ret) {
        ASSERT_OK(journal_follower_new(e, ret));
        ASSERT_OK(journal_follower_set_slice(*ret, slice));
}

static void cleanup_units(void) {
        char pattern[96], parent[96];

        snprintf(pattern, sizeof pattern, "%s-*", prefix);
        /* systemd made pcctl-t<pid>.slice as the parent of pcctl-t<pid>-fol.slice: stop it too */
        snprintf(parent, sizeof parent, "pcctl-t%d.slice", (int) getpid());
        char *stop[] = { (char *) "systemctl", (char *) "--user", (char *) "-q", (char *) "stop", pattern, slice,
                         parent, NULL };
        char *reset[] = { (char *) "systemctl", (char *) "--user", (char *) "-q", (char *) "reset-failed", pattern,
                          NULL };
        (void) spawn_wait(stop);
        (void) spawn_wait(reset);
}

typedef bool (*Pred)(void *userdata);

/* Runs the loop until pred() holds; false on timeout. */
static bool run_until(sd_event *e, Pred pred, void *userdata, usec_t timeout) {
        usec_t end = now_usec(CLOCK_MONOTONIC) + timeout;

        while (!pred(userdata)) {
                if (now_usec(CLOCK_MONOTONIC) > end)
                        return false;
                ASSERT_OK(sd_event_run(e, 20 * USEC_PER_MSEC));
        }
        return true;
}

static bool never(void *userdata) {
        return false;
}

typedef struct Proc {
        char ident[128];
        char unit[136];
        LogRing *ring;
        uint64_t lines, dropped;
        usec_t last_activity;
} Proc;

static void proc_count(const JournalCount *count, void *userdata) {
        Proc *p = userdata;

        p->lines += count->lines;
        p->dropped += count->dropped;
        if (count->realtime > p->last_activity)
                p->last_activity = count->realtime;
}

static void proc_add(JournalFollower *f, Proc *p, size_t max_lines, bool backfill) {
        JournalSource src;

        if (!p->ring)
                p->ring = log_ring_new(max_lines, 0);
        ASSERT_NOT_NULL(p->ring);
        src = (JournalSource) {
                .ident = p->ident,
                .unit = p->unit,
                .ring = p->ring,
                .count = proc_count,
                .userdata = p,
        };
        ASSERT_OK(journal_follower_add(f, &src, backfill));
}

static void proc_done(Proc *p) {
        p->ring = log_ring_free(p->ring);
}

static void set_names(Proc *p, const char *name) {
        ASSERT_TRUE(snprintf(p->ident, sizeof p->ident, "%s-%s", prefix, name) < (int) sizeof p->ident);
        ASSERT_TRUE(snprintf(p->unit, sizeof p->unit, "%s.service", p->ident) < (int) sizeof p->unit);
}

static const LogEntry *find_message(LogRing *r, const char *msg) {
        for (uint64_t s = log_ring_first_seq(r); s < log_ring_next_seq(r); s++) {
                const LogEntry *e = log_ring_get(r, s);
                if (e && streq(e->message, msg))
                        return e;
        }
        return NULL;
}

typedef struct Many {
        Proc *procs;
        size_t n;
        size_t want;
} Many;

static bool all_have(void *userdata) {
        Many *m = userdata;

        for (size_t i = 0; i < m->n; i++)
                if (log_ring_count(m->procs[i].ring) < m->want)
                        return false;
        return true;
}

/* A loop and a follower as `pcctl up` sets them up, following one process. */
static void follow_one(sd_event **e, JournalFollower **f, Proc *p, const char *name, size_t max_lines) {
        ASSERT_OK(sd_event_new(e));
        new_follower(*e, f);
        set_names(p, name);
        proc_add(*f, p, max_lines, false);
}

TEST(twenty_instant_units) {
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        _cleanup_(journal_follower_freep) JournalFollower *f = NULL;
        Proc procs[20] = {};
        Many m = { procs, ELEMENTSOF(procs), 1 };

        ASSERT_OK(sd_event_new(&e));
        new_follower(e, &f);
        for (size_t i = 0; i < m.n; i++) {
                char name[32];

                snprintf(name, sizeof name, "short%zu", i);
                set_names(&procs[i], name);
                proc_add(f, &procs[i], 100, false);
        }
        /* All units start (and exit) before the loop ever runs: the anchor keeps every line. */
        for (size_t i = 0; i < m.n; i++) {
                char name[32], script[64], ident[128], unit[136];

                snprintf(name, sizeof name, "short%zu", i);
                snprintf(script, sizeof script, "echo 'short line %zu'", i);
                start_unit(name, script, ident, unit);
                ASSERT_STREQ(ident, procs[i].ident);
        }
        if (!run_until(e, all_have, &m, 15 * USEC_PER_SEC))
                for (size_t i = 0; i < m.n; i++)
                        if (log_ring_count(procs[i].ring) == 0)
                                TEST_FAIL("no line from %s", procs[i].ident);
        /* settle: no duplicates arrive later */
        (void) run_until(e, never, NULL, 300 * USEC_PER_MSEC);
        for (size_t i = 0; i < m.n; i++) {
                char want[64];

                snprintf(want, sizeof want, "short line %zu", i);
                ASSERT_UEQ(log_ring_count(procs[i].ring), 1);
                ASSERT_STREQ(log_ring_get(procs[i].ring, 0)->message, want);
                ASSERT_EQ(log_ring_get(procs[i].ring, 0)->stream, LOG_STREAM_STDOUT);
                ASSERT_EQ(log_ring_get(procs[i].ring, 0)->priority, LOG_INFO);
                ASSERT_NOT_NULL(log_ring_get(procs[i].ring, 0)->cursor);
                ASSERT_UEQ(procs[i].lines, 1);
                ASSERT_TRUE(procs[i].last_activity > 0);
                proc_done(&procs[i]);
        }
}

static bool has_one(void *userdata) {
        return log_ring_count(userdata) >= 1;
}

static bool has_two(void *userdata) {
        return log_ring_count(userdata) >= 2;
}

TEST(first_line_and_stderr) {
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        _cleanup_(journal_follower_freep) JournalFollower *f = NULL;
        Proc p = {}, q = {};
        char ident[128], unit[136];
        const LogEntry *out, *err;

        follow_one(&e, &f, &p, "first", 100);
        start_unit("first", "echo first; sleep 0.3; echo second", ident, unit);
        ASSERT_TRUE(run_until(e, has_two, p.ring, 10 * USEC_PER_SEC));
        ASSERT_STREQ(log_ring_get(p.ring, 0)->message, "first");
        ASSERT_STREQ(log_ring_get(p.ring, 1)->message, "second");
        ASSERT_EQ(log_ring_get(p.ring, 0)->pid, log_ring_get(p.ring, 1)->pid);
        ASSERT_TRUE(log_ring_get(p.ring, 0)->pid > 0);

        /* A second process added while the first is followed: the rebuild keeps the first one's position. */
        set_names(&q, "stderr");
        proc_add(f, &q, 100, false);
        start_unit("stderr", "echo to-stdout; echo to-stderr >&2", ident, unit);
        ASSERT_TRUE(run_until(e, has_two, q.ring, 10 * USEC_PER_SEC));
        (void) run_until(e, never, NULL, 200 * USEC_PER_MSEC);
        out = find_message(q.ring, "to-stdout");
        err = find_message(q.ring, "to-stderr");
        ASSERT_NOT_NULL(out);
        ASSERT_NOT_NULL(err);
        ASSERT_EQ(out->priority, LOG_INFO);
        ASSERT_EQ(out->stream, LOG_STREAM_STDOUT);
        ASSERT_EQ(err->priority, LOG_ERR);
        ASSERT_EQ(err->stream, LOG_STREAM_STDERR);
        ASSERT_UEQ(log_ring_count(q.ring), 2);
        ASSERT_UEQ(log_ring_count(p.ring), 2);

        /* Removal: the ring is never touched again. */
        ASSERT_OK(journal_follower_remove(f, q.ident));
        ASSERT_ERROR(journal_follower_remove(f, q.ident), ENOENT);
        start_unit("stderr2", "echo x", ident, unit);
        (void) run_until(e, never, NULL, 300 * USEC_PER_MSEC);
        ASSERT_UEQ(log_ring_count(q.ring), 2);
        proc_done(&p);
        proc_done(&q);
}

typedef struct Counter {
        LogRing *ring;
        unsigned want;
} Counter;

static bool has_message(void *userdata) {
        Counter *c = userdata;
        const LogEntry *last = log_ring_last(c->ring);
        char buf[32];

        snprintf(buf, sizeof buf, "n %u", c->want);
        return last && streq(last->message, buf);
}

TEST(rebuild_keeps_order) {
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        _cleanup_(journal_follower_freep) JournalFollower *f = NULL;
        Proc a = {}, others[6] = {};
        char ident[128], unit[136];
        Counter c;

        follow_one(&e, &f, &a, "steady", 1000);
        start_unit("steady", "i=0; while [ $i -le 300 ]; do echo \"n $i\"; i=$((i+1)); sleep 0.002; done", ident,
                   unit);
        /* While it writes, the process set changes several times (each forces a rebuild from the cursor). */
        for (size_t i = 0; i < ELEMENTSOF(others); i++) {
                char name[32];

                (void) run_until(e, never, NULL, 80 * USEC_PER_MSEC);
                snprintf(name, sizeof name, "other%zu", i);
                set_names(&others[i], name);
                proc_add(f, &others[i], 10, false);
                if (i % 2 == 1)
                        ASSERT_OK(journal_follower_remove(f, others[i - 1].ident));
        }
        c = (Counter) { a.ring, 300 };
        ASSERT_TRUE(run_until(e, has_message, &c, 15 * USEC_PER_SEC));
        (void) run_until(e, never, NULL, 200 * USEC_PER_MSEC);
        ASSERT_UEQ(log_ring_count(a.ring), 301);
        for (unsigned i = 0; i <= 300; i++) {
                char want[32];

                snprintf(want, sizeof want, "n %u", i);
                ASSERT_STREQ(log_ring_get(a.ring, i)->message, want);
        }
        JournalFollowerStats st;
        journal_follower_get_stats(f, &st);
        ASSERT_TRUE(st.rebuilds >= 2);
        proc_done(&a);
        for (size_t i = 0; i < ELEMENTSOF(others); i++)
                proc_done(&others[i]);
}

TEST(backfill) {
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        _cleanup_(journal_follower_freep) JournalFollower *f = NULL, *g = NULL;
        Proc a = {}, b = {};
        char ident[128], unit[136];
        Counter c;

        follow_one(&e, &f, &a, "backfill", 100);
        start_unit("backfill", "for i in 1 2 3 4 5; do echo \"n $i\"; done", ident, unit);
        c = (Counter) { a.ring, 5 };
        ASSERT_TRUE(run_until(e, has_message, &c, 10 * USEC_PER_SEC));

        /* A new controller: the ring is refilled with the last 3 lines, and nothing twice. */
        new_follower(e, &g);
        set_names(&b, "backfill");
        proc_add(g, &b, 3, true);
        ASSERT_UEQ(log_ring_count(b.ring), 3);
        ASSERT_STREQ(log_ring_get(b.ring, 0)->message, "n 3");
        ASSERT_STREQ(log_ring_get(b.ring, 2)->message, "n 5");
        (void) run_until(e, never, NULL, 400 * USEC_PER_MSEC);
        ASSERT_UEQ(log_ring_next_seq(b.ring), 3);
        ASSERT_UEQ(b.lines, 3);
        proc_done(&a);
        proc_done(&b);
}

/* The ring holds exactly "n 0" ... "n <count-1>", in order (printed when not, to show the gap). */
static void assert_numbered(LogRing *ring, unsigned count) {
        if (log_ring_count(ring) != count)
                for (uint64_t k = 0; k < log_ring_next_seq(ring); k++)
                        fprintf(stderr, "%s%s", log_ring_get(ring, k)->message, k % 20 == 19 ? "\n" : " | ");
        ASSERT_UEQ(log_ring_count(ring), count);
        for (unsigned i = 0; i < count; i++) {
                char want[32];

                snprintf(want, sizeof want, "n %u", i);
                ASSERT_STREQ(log_ring_get(ring, i)->message, want);
        }
}

TEST(rotation) {
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        _cleanup_(journal_follower_freep) JournalFollower *f = NULL;
        Proc a = {};
        char ident[128], unit[136];
        JournalFollowerStats st;
        Counter c;

        follow_one(&e, &f, &a, "rotate", 1000);
        start_unit("rotate", "i=0; while [ $i -le 200 ]; do echo \"n $i\"; i=$((i+1)); sleep 0.01; done", ident, unit);
        (void) run_until(e, never, NULL, 500 * USEC_PER_MSEC);
        /* journald archives its files and starts new ones, here several times while the lines flow (a
         * reopen may find a new file still without its header): the follower must move on without a gap */
        char *rotate[] = { (char *) "journalctl", (char *) "--rotate", NULL };
        for (unsigned k = 0; k < 6; k++) {
                ASSERT_EQ(spawn_wait(rotate), 0);
                (void) run_until(e, never, NULL, 150 * USEC_PER_MSEC);
        }
        c = (Counter) { a.ring, 200 };
        ASSERT_TRUE(run_until(e, has_message, &c, 15 * USEC_PER_SEC));
        (void) run_until(e, never, NULL, 200 * USEC_PER_MSEC);
        assert_numbered(a.ring, 201);
        journal_follower_get_stats(f, &st);
        ASSERT_TRUE(st.reopens >= 1);
        proc_done(&a);
}

/* journald rotates twice while the follower is not reading (a controller busy elsewhere, or `journalctl
 * --rotate` run twice): the lines of the file in between are neither in the file the handle had nor in the
 * new active one, and must not be skipped. */
TEST(rotation_twice_while_behind) {
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        _cleanup_(journal_follower_freep) JournalFollower *f = NULL;
        Proc a = {};
        char ident[128], unit[136];
        char *rotate[] = { (char *) "journalctl", (char *) "--rotate", NULL };
        JournalFollowerStats st;
        Counter c;

        follow_one(&e, &f, &a, "rotate2", 1000);
        start_unit("rotate2",
                   "for i in $(seq 0 29); do echo \"n $i\"; done; sleep 1.5; "
                   "for i in $(seq 30 59); do echo \"n $i\"; done; sleep 1.5; "
                   "for i in $(seq 60 89); do echo \"n $i\"; done; sleep 600", ident, unit);
        /* the first batch is read; from here on the loop does not run until after the second rotation */
        c = (Counter) { a.ring, 29 };
        ASSERT_TRUE(run_until(e, has_message, &c, 15 * USEC_PER_SEC));
        usleep(500 * 1000);
        ASSERT_EQ(spawn_wait(rotate), 0);       /* n 30..59 go to the next file */
        usleep(1500 * 1000);
        ASSERT_EQ(spawn_wait(rotate), 0);       /* and n 60..89 to the one after */
        usleep(1500 * 1000);

        c = (Counter) { a.ring, 89 };
        ASSERT_TRUE(run_until(e, has_message, &c, 15 * USEC_PER_SEC));
        (void) run_until(e, never, NULL, 200 * USEC_PER_MSEC);
        assert_numbered(a.ring, 90);
        journal_follower_get_stats(f, &st);
        ASSERT_TRUE(st.caught_up_files >= 1);
        ASSERT_EQ(spawn_wait((char *[]) { (char *) "systemctl", (char *) "--user", (char *) "stop", unit, NULL }), 0);
        proc_done(&a);
}

TEST(idle_wakeup) {
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        _cleanup_(journal_follower_freep) JournalFollower *f = NULL;
        Proc a = {};
        char ident[128], unit[136];
        JournalFollowerStats st;
        usec_t t0;

        follow_one(&e, &f, &a, "idle", 10);
        /* no kick: from now on only journald's inotify wake-up can deliver the line */
        (void) run_until(e, never, NULL, 300 * USEC_PER_MSEC);
        journal_follower_get_stats(f, &st);
        ASSERT_FALSE(st.polling);
        t0 = now_usec(CLOCK_MONOTONIC);
        start_unit("idle", "echo woke", ident, unit);
        ASSERT_TRUE(run_until(e, has_one, a.ring, 5 * USEC_PER_SEC));
        ASSERT_STREQ(log_ring_get(a.ring, 0)->message, "woke");
        fprintf(stderr, "first line after idle: %.1f ms\n", (double) (now_usec(CLOCK_MONOTONIC) - t0) / 1000.0);
        journal_follower_get_stats(f, &st);
        ASSERT_TRUE(st.wakeups > 0);
        proc_done(&a);
}

static bool has_via_unit(void *userdata) {
        return find_message(userdata, "via-unit") != NULL;
}

/* A line the process logs under another identifier (its own syslog name, systemd-cat) is found through its
 * unit: through the slice's terms, and through the unit's own without a slice. A unit of the slice that is
 * not registered reaches no ring. */
static void check_other_identifier(bool with_slice) {
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        _cleanup_(journal_follower_freep) JournalFollower *f = NULL;
        Proc p = {};
        char ident[128], unit[136], name[32], script[256];

        ASSERT_OK(sd_event_new(&e));
        if (with_slice)
                new_follower(e, &f);
        else
                ASSERT_OK(journal_follower_new(e, &f));
        snprintf(name, sizeof name, "otherid%d", with_slice);
        set_names(&p, name);
        proc_add(f, &p, 100, false);
        /* the sleep keeps the writer alive until journald has read its unit */
        snprintf(script, sizeof script, "systemd-cat -t %s-syslogname sh -c 'echo via-unit; sleep 0.5'", prefix);
        start_unit(name, script, ident, unit);
        snprintf(name, sizeof name, "stranger%d", with_slice);
        start_unit(name, "echo stranger; sleep 0.5", ident, unit);
        ASSERT_TRUE(run_until(e, has_via_unit, p.ring, 10 * USEC_PER_SEC));
        (void) run_until(e, never, NULL, 300 * USEC_PER_MSEC);
        ASSERT_UEQ(log_ring_count(p.ring), 1);
        ASSERT_UEQ(p.lines, 1);
        proc_done(&p);
}

TEST(other_identifier_by_slice) {
        check_other_identifier(true);
}

TEST(other_identifier_by_unit) {
        check_other_identifier(false);
}

/* Registering a process does not poll (a project may register hundreds before they start); the kick when its
 * unit runs does. */
TEST(poll_on_kick_only) {
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        _cleanup_(journal_follower_freep) JournalFollower *f = NULL;
        JournalFollowerStats st;
        Proc a = {};

        follow_one(&e, &f, &a, "nopoll", 10);
        (void) run_until(e, never, NULL, 100 * USEC_PER_MSEC);
        journal_follower_get_stats(f, &st);
        ASSERT_FALSE(st.polling);
        ASSERT_UEQ(st.polls, 0);
        ASSERT_UEQ(st.rebuilds, 1);
        journal_follower_kick(f);
        (void) run_until(e, never, NULL, 100 * USEC_PER_MSEC);
        journal_follower_get_stats(f, &st);
        ASSERT_TRUE(st.polling);
        ASSERT_TRUE(st.polls > 0);
        proc_done(&a);
}

static bool has_after(void *userdata) {
        return find_message(userdata, "after") != NULL;
}

static void symlink_value(const char *kind, const char *unit, const char *value) {
        char path[256];

        snprintf(path, sizeof path, "/run/systemd/units/log-rate-limit-%s:%s", kind, unit);
        (void) unlink(path);
        if (value && symlink(value, path) < 0)
                TEST_FAIL("symlink %s: %m (the rate-limit test needs root in the sandbox)", path);
}

TEST(rate_limit_marker) {
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        _cleanup_(journal_follower_freep) JournalFollower *f = NULL;
        Proc p = {};
        char ident[128], unit[136];
        const LogEntry *marker = NULL;
        uint64_t stored = 0, n = 0, markers = 0;

        follow_one(&e, &f, &p, "flood", 1000);

        /* A per-unit limit of 5 lines per second, as PID 1 would export for LogRateLimitBurst= (journald
         * scales the burst by free disk space, so count what it stored rather than assume 5). */
        (void) mkdir("/run/systemd", 0755);
        (void) mkdir("/run/systemd/units", 0755);
        symlink_value("interval", p.unit, "1000000");
        symlink_value("burst", p.unit, "5");
        start_unit("flood", "i=0; while [ $i -lt 300 ]; do echo \"flood $i\"; i=$((i+1)); done; sleep 1.3; "
                   "echo after", ident, unit);
        if (!run_until(e, has_after, p.ring, 15 * USEC_PER_SEC))
                TEST_FAIL("no 'after' line");
        (void) run_until(e, never, NULL, 200 * USEC_PER_MSEC);
        symlink_value("interval", p.unit, NULL);
        symlink_value("burst", p.unit, NULL);

        for (uint64_t s = log_ring_first_seq(p.ring); s < log_ring_next_seq(p.ring); s++) {
                const LogEntry *x = log_ring_get(p.ring, s);

                if (startswith(x->message, "flood "))
                        stored++;
                else if (x->stream == LOG_STREAM_PCCTL) {
                        uint64_t k;

                        /* one note per rate-limit window: more than one if the flood outlasted a window */
                        marker = x;
                        markers++;
                        ASSERT_EQ(sscanf(x->message, "-- journald dropped %" SCNu64 " lines --", &k), 1);
                        n += k;
                }
        }
        ASSERT_NOT_NULL(marker);
        fprintf(stderr, "stored %" PRIu64 ", dropped %" PRIu64 " in %" PRIu64 " note(s)\n", stored, n, markers);
        ASSERT_TRUE(n > 0);
        ASSERT_UEQ(stored + n, 300);
        ASSERT_UEQ(p.dropped, n);
        /* the marker comes before the line whose arrival made journald write the note */
        ASSERT_TRUE(marker->seq < find_message(p.ring, "after")->seq);
        proc_done(&p);
}

static int run(int argc, char **argv) {
        int r;

        setenv("XDG_RUNTIME_DIR", "/run/user/0", 0);
        snprintf(prefix, sizeof prefix, "pcctl-t%d-fol", (int) getpid());
        snprintf(slice, sizeof slice, "%s.slice", prefix);
        if (spawn_wait((char *[]) { (char *) "systemctl", (char *) "--user", (char *) "-q", (char *) "is-system-running",
                                    NULL }) < 0)
                return log_tests_skipped("no systemctl");
        r = tests_run_main(argc, argv);
        cleanup_units();
        return r;
}

int main(int argc, char **argv) {
        return run(argc, argv);
}
