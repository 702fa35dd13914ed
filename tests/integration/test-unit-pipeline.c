/* The pipeline end to end against the real user manager and journald (issue 2): the unit driver starts
 * transient units, their exit status comes from PropertiesChanged, their output is read back from the
 * journal by SyslogIdentifier. Also the driver's failure paths (200/CHDIR, 203/EXEC, D-Bus property
 * errors), re-runs under the same name, stop/kill, listing and adoption.
 *
 * Exits 77 when no manager is reachable, unless $CI is set (then that is a failure). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <systemd/sd-event.h>
#include <systemd/sd-journal.h>

#include "shared/strv.h"
#include "shared/time-util.h"
#include "tests.h"
#include "unit/unit-driver.h"

extern char **environ;

static sd_event *event;
static UnitDriver *driver;
static char project[64];
static char *slice;

typedef struct Run {
        const char *unit;
        unsigned n_started, n_failed, n_exited;
        bool exited_before_started;
        pid_t started_pid;
        usec_t started_ts;
        int error;
        char *message;
        bool failed_with_exit;
        UnitExit exit;
        bool free_in_callback;
        UnitWatch *watch;
} Run;

static void on_started(UnitWatch *w, pid_t pid, usec_t ts, void *userdata) {
        Run *r = userdata;

        r->n_started++;
        r->started_pid = pid;
        r->started_ts = ts;
        if (r->free_in_callback)
                r->watch = unit_watch_free(w);
}

static void on_start_failed(UnitWatch *w, int error, const char *message, const UnitExit *e, void *userdata) {
        Run *r = userdata;

        r->n_failed++;
        r->error = error;
        free(r->message);
        r->message = strdup(message);
        fprintf(stderr, "start_failed(%s): %s\n", strerror(-error), message);
        r->failed_with_exit = e != NULL;
        if (e) {
                unit_exit_done(&r->exit);
                r->exit = *e;
                r->exit.result = e->result ? strdup(e->result) : NULL;
        }
}

static void on_exited(UnitWatch *w, const UnitExit *e, void *userdata) {
        Run *r = userdata;

        if (r->n_started == 0)
                r->exited_before_started = true;
        r->n_exited++;
        unit_exit_done(&r->exit);
        r->exit = *e;
        r->exit.result = e->result ? strdup(e->result) : NULL;
}

static const UnitEvents events = {
        .started = on_started,
        .start_failed = on_start_failed,
        .exited = on_exited,
};

static void run_done(Run *r) {
        r->watch = unit_watch_free(r->watch);
        free(r->message);
        unit_exit_done(&r->exit);
        free((char *) r->unit);
}

static void loop_until(bool (*done)(void *), void *ctx, usec_t timeout) {
        usec_t deadline = now_usec(CLOCK_MONOTONIC) + timeout;

        while (!done(ctx)) {
                if (now_usec(CLOCK_MONOTONIC) > deadline)
                        TEST_FAIL("timed out after %.1fs", (double) timeout / USEC_PER_SEC);
                ASSERT_OK(sd_event_run(event, 100 * USEC_PER_MSEC));
        }
}

static bool run_finished(void *ctx) {
        Run *r = ctx;
        return r->n_exited > 0 || r->n_failed > 0;
}

static bool run_started(void *ctx) {
        Run *r = ctx;
        return r->n_started > 0 || r->n_failed > 0;
}

static void spin(usec_t t) {
        usec_t deadline = now_usec(CLOCK_MONOTONIC) + t;

        while (now_usec(CLOCK_MONOTONIC) < deadline)
                ASSERT_OK(sd_event_run(event, 10 * USEC_PER_MSEC));
}

static char *make_unit(const char *process) {
        char *u;

        ASSERT_OK(unit_name_for_process(project, process, &u));
        return u;
}

static char *ident_of(const char *unit) {
        char *s = strdup(unit);

        ASSERT_NOT_NULL(s);
        *(char *) endswith(s, ".service") = 0;
        return s;
}

/* A spec with the test's own environment plus extras. */
typedef struct SpecBuf {
        UnitSpec spec;
        char **env;
        char *ident;
} SpecBuf;

static void spec_init(SpecBuf *b, const char *unit, char **argv) {
        b->env = strv_copy(environ);
        ASSERT_NOT_NULL(b->env);
        ASSERT_OK(strv_env_set(&b->env, "PC_PROC_NAME", unit));
        b->ident = ident_of(unit);
        b->spec = (UnitSpec) {
                .unit = unit,
                .slice = slice,
                .description = "pcctl unit driver test",
                .syslog_identifier = b->ident,
                .argv = argv,
                .environment = b->env,
                .working_directory = "/",
                .kill_signal = SIGTERM,
                .timeout_stop = 5 * USEC_PER_SEC,
                .send_sigkill = true,
                .kill_mode = UNIT_KILL_CONTROL_GROUP,
        };
}

static void spec_done(SpecBuf *b) {
        strv_free(b->env);
        free(b->ident);
}

static void start_run(Run *r, const UnitSpec *spec) {
        if (!r->watch)
                ASSERT_OK(unit_watch_new(driver, spec->unit, &events, r, &r->watch));
        ASSERT_OK(unit_driver_start(driver, r->watch, spec));
}

/* ---- journal ----------------------------------------------------------------------------------------- */

/* Anchor at the current end of the journal BEFORE any match (systemd-notes §0.2 item 5). */
static char *journal_anchor(void) {
        sd_journal *j;
        char *cursor = NULL;

        ASSERT_OK(sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY));
        ASSERT_OK(sd_journal_seek_tail(j));
        if (sd_journal_previous(j) > 0)
                ASSERT_OK(sd_journal_get_cursor(j, &cursor));
        sd_journal_close(j);
        return cursor ?: strdup("");
}

/* Lines of ident after the anchor; waits up to 5 s for at least want lines. */
static char **journal_lines(const char *anchor, const char *ident, size_t want) {
        usec_t deadline = now_usec(CLOCK_MONOTONIC) + 5 * USEC_PER_SEC;
        _cleanup_free_ char *match = NULL;
        char **lines = NULL;
        sd_journal *j;

        ASSERT_OK(sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY));
        ASSERT_TRUE(asprintf(&match, "SYSLOG_IDENTIFIER=%s", ident) > 0);
        if (isempty(anchor))
                ASSERT_OK(sd_journal_seek_head(j));
        else
                ASSERT_OK(sd_journal_seek_cursor(j, anchor));
        ASSERT_OK(sd_journal_add_match(j, match, 0));

        for (;;) {
                int r = sd_journal_next(j);

                ASSERT_OK(r);
                if (r > 0) {
                        const void *data;
                        size_t len;

                        if (sd_journal_get_data(j, "MESSAGE", &data, &len) >= 0) {
                                char *s = strndup((const char *) data + STRLEN("MESSAGE="),
                                                  len - STRLEN("MESSAGE="));
                                ASSERT_NOT_NULL(s);
                                ASSERT_OK(strv_consume(&lines, s));
                        }
                        continue;
                }
                if (strv_length(lines) >= want || now_usec(CLOCK_MONOTONIC) > deadline)
                        break;
                (void) sd_journal_wait(j, 50 * USEC_PER_MSEC);
        }
        sd_journal_close(j);
        return lines;
}

/* ---- cleanup and leftovers ---------------------------------------------------------------------------- */

typedef struct ListResult {
        bool done;
        int error;
        char **names;
        char **states;
} ListResult;

static void on_list(UnitDriver *d, int error, const UnitListEntry *units, size_t n, void *userdata) {
        ListResult *l = userdata;

        l->done = true;
        l->error = error;
        for (size_t i = 0; i < n; i++) {
                ASSERT_OK(strv_extend(&l->names, units[i].name));
                ASSERT_OK(strv_extend(&l->states, units[i].active_state));
        }
}

static bool list_done(void *ctx) {
        return ((ListResult *) ctx)->done;
}

static void list_project(ListResult *l) {
        _cleanup_free_ char *pattern = NULL;

        *l = (ListResult) {};
        ASSERT_OK(unit_name_project_pattern(project, &pattern));
        ASSERT_OK(unit_driver_list(driver, pattern, on_list, l, NULL));
        loop_until(list_done, l, 10 * USEC_PER_SEC);
        ASSERT_OK(l->error);
}

static void list_result_done(ListResult *l) {
        strv_free(l->names);
        strv_free(l->states);
}

typedef struct ReadResult {
        bool done;
        int error;
        char *active_state;
        pid_t main_pid;
} ReadResult;

static void on_read(UnitDriver *d, int error, const UnitSnapshot *s, void *userdata) {
        ReadResult *rr = userdata;

        rr->done = true;
        rr->error = error;
        if (s) {
                rr->active_state = strdup(s->active_state);
                rr->main_pid = s->main_pid;
        }
}

static bool read_done(void *ctx) {
        return ((ReadResult *) ctx)->done;
}

/* Listed, not read: reading a slice's properties would load it. */
static bool slice_loaded(void) {
        ListResult l = {};
        bool loaded;

        ASSERT_OK(unit_driver_list(driver, slice, on_list, &l, NULL));
        loop_until(list_done, &l, 10 * USEC_PER_SEC);
        ASSERT_OK(l.error);
        loaded = strv_length(l.names) > 0;
        list_result_done(&l);
        return loaded;
}

/* Stops and resets every unit of the test project and its slice, then checks none is left loaded. */
static void cleanup_project(void) {
        usec_t deadline = now_usec(CLOCK_MONOTONIC) + 15 * USEC_PER_SEC;

        for (;;) {
                ListResult l;
                bool slice_left;

                list_project(&l);
                slice_left = slice_loaded();
                if (strv_length(l.names) == 0 && !slice_left) {
                        list_result_done(&l);
                        break;
                }
                if (now_usec(CLOCK_MONOTONIC) > deadline)
                        TEST_FAIL("units left loaded: %s", l.names ? l.names[0] : slice);
                STRV_FOREACH(n, l.names) {
                        ASSERT_OK(unit_driver_stop(driver, *n, NULL, NULL));
                        ASSERT_OK(unit_driver_reset_failed(driver, *n, NULL, NULL));
                }
                if (slice_left)
                        ASSERT_OK(unit_driver_stop_slice(driver, slice, NULL, NULL));
                list_result_done(&l);
                spin(100 * USEC_PER_MSEC);
        }
}

/* ---- tests ------------------------------------------------------------------------------------------- */

TEST(exit_status_and_lines_in_order) {
        char *argv[] = { (char *) "sh", (char *) "-c",
                         (char *) "for i in 1 2 3; do echo line-$i; done; exit 7", NULL };
        _cleanup_free_ char *anchor = journal_anchor();
        _cleanup_strv_free_ char **lines = NULL;
        Run r = { .unit = make_unit("exit7") };
        SpecBuf b;

        spec_init(&b, r.unit, argv);
        start_run(&r, &b.spec);
        loop_until(run_finished, &r, 30 * USEC_PER_SEC);

        ASSERT_EQ(r.n_failed, 0u);
        ASSERT_EQ(r.n_started, 1u);
        ASSERT_EQ(r.n_exited, 1u);
        ASSERT_FALSE(r.exited_before_started);
        ASSERT_EQ(r.exit.code, CLD_EXITED);
        ASSERT_EQ(r.exit.status, 7);
        ASSERT_STREQ(r.exit.result, "exit-code");
        ASSERT_TRUE(r.exit.pid > 0);
        ASSERT_EQ(r.exit.pid, r.started_pid);
        ASSERT_TRUE(r.exit.exit_timestamp >= r.exit.start_timestamp);
        ASSERT_TRUE(r.started_ts > 0);

        lines = journal_lines(anchor, b.ident, 3);
        ASSERT_EQ(strv_length(lines), 3u);
        ASSERT_STREQ(lines[0], "line-1");
        ASSERT_STREQ(lines[1], "line-2");
        ASSERT_STREQ(lines[2], "line-3");

        spec_done(&b);
        run_done(&r);
        cleanup_project();
}

TEST(dollar_not_expanded_env_and_cwd) {
        char *argv[] = { (char *) "sh", (char *) "-c",
                         (char *) "echo \"pid=$$\"; echo \"foo=$PCCTL_TEST_FOO\"; pwd", NULL };
        _cleanup_free_ char *anchor = journal_anchor(), *want_pid = NULL;
        _cleanup_strv_free_ char **lines = NULL;
        Run r = { .unit = make_unit("dollar") };
        SpecBuf b;

        spec_init(&b, r.unit, argv);
        ASSERT_OK(strv_env_set(&b.env, "PCCTL_TEST_FOO", "bar baz $HOME"));
        b.spec.environment = b.env;
        b.spec.working_directory = "/tmp";
        start_run(&r, &b.spec);
        loop_until(run_finished, &r, 30 * USEC_PER_SEC);

        ASSERT_EQ(r.n_exited, 1u);
        ASSERT_EQ(r.exit.code, CLD_EXITED);
        ASSERT_EQ(r.exit.status, 0);
        ASSERT_STREQ(r.exit.result, "success");

        lines = journal_lines(anchor, b.ident, 3);
        ASSERT_EQ(strv_length(lines), 3u);
        ASSERT_TRUE(asprintf(&want_pid, "pid=%d", (int) r.exit.pid) > 0);
        ASSERT_STREQ(lines[0], want_pid);
        ASSERT_STREQ(lines[1], "foo=bar baz $HOME");
        ASSERT_STREQ(lines[2], "/tmp");

        spec_done(&b);
        run_done(&r);
        cleanup_project();
}

TEST(instant_exits_all_found) {
        _cleanup_free_ char *anchor = journal_anchor();
        Run runs[20] = {};
        SpecBuf bufs[20];
        char *argvs[20][3];
        char texts[20][32];

        /* All 20 in flight at once: the starts pipeline, and each exit-0 unit is collected at once. */
        for (unsigned i = 0; i < 20; i++) {
                char name[16];

                snprintf(name, sizeof name, "short%u", i);
                snprintf(texts[i], sizeof texts[i], "short line %u", i);
                argvs[i][0] = (char *) "/bin/echo";
                argvs[i][1] = texts[i];
                argvs[i][2] = NULL;
                runs[i].unit = make_unit(name);
                spec_init(&bufs[i], runs[i].unit, argvs[i]);
                start_run(&runs[i], &bufs[i].spec);
        }
        for (unsigned i = 0; i < 20; i++)
                loop_until(run_finished, &runs[i], 30 * USEC_PER_SEC);

        for (unsigned i = 0; i < 20; i++) {
                _cleanup_strv_free_ char **lines = NULL;

                ASSERT_EQ(runs[i].n_failed, 0u);
                ASSERT_EQ(runs[i].n_started, 1u);
                ASSERT_EQ(runs[i].n_exited, 1u);
                ASSERT_EQ(runs[i].exit.code, CLD_EXITED);
                ASSERT_EQ(runs[i].exit.status, 0);
                lines = journal_lines(anchor, bufs[i].ident, 1);
                ASSERT_EQ(strv_length(lines), 1u);
                ASSERT_STREQ(lines[0], texts[i]);
                spec_done(&bufs[i]);
                run_done(&runs[i]);
        }
        cleanup_project();
}

TEST(missing_working_directory_is_200) {
        char *argv[] = { (char *) "/bin/true", NULL };
        _cleanup_free_ char *dir = NULL;
        Run r = { .unit = make_unit("nowd") };
        SpecBuf b;

        ASSERT_TRUE(asprintf(&dir, "/nonexistent-pcctl-%d", (int) getpid()) > 0);
        spec_init(&b, r.unit, argv);
        b.spec.working_directory = dir;
        start_run(&r, &b.spec);
        loop_until(run_finished, &r, 30 * USEC_PER_SEC);

        ASSERT_EQ(r.n_started, 0u);
        ASSERT_EQ(r.n_exited, 0u);
        ASSERT_EQ(r.n_failed, 1u);
        ASSERT_EQ(r.error, -ENOENT);
        ASSERT_TRUE(r.failed_with_exit);
        ASSERT_EQ(r.exit.code, CLD_EXITED);
        ASSERT_EQ(r.exit.status, 200);
        ASSERT_NOT_NULL(strstr(r.message, r.unit));
        ASSERT_NOT_NULL(strstr(r.message, "200/CHDIR"));
        ASSERT_NOT_NULL(strstr(r.message, dir));

        spec_done(&b);
        run_done(&r);
        cleanup_project();
}

TEST(missing_binary_is_203) {
        char *abs_argv[] = { (char *) "/nonexistent/pcctl-no-such-binary", NULL };
        char *bare_argv[] = { (char *) "pcctl-no-such-binary", (char *) "arg", NULL };
        Run a = { .unit = make_unit("noexec-abs") }, c = { .unit = make_unit("noexec-bare") };
        SpecBuf ba, bc;

        spec_init(&ba, a.unit, abs_argv);
        spec_init(&bc, c.unit, bare_argv);
        start_run(&a, &ba.spec);
        start_run(&c, &bc.spec);
        loop_until(run_finished, &a, 30 * USEC_PER_SEC);
        loop_until(run_finished, &c, 30 * USEC_PER_SEC);

        ASSERT_EQ(a.n_started, 0u);
        ASSERT_EQ(a.n_failed, 1u);
        ASSERT_EQ(a.error, -ENOEXEC);
        ASSERT_EQ(a.exit.code, CLD_EXITED);
        ASSERT_EQ(a.exit.status, 203);
        ASSERT_NOT_NULL(strstr(a.message, "203/EXEC"));
        ASSERT_NOT_NULL(strstr(a.message, "/nonexistent/pcctl-no-such-binary"));

        ASSERT_EQ(c.n_started, 0u);
        ASSERT_EQ(c.n_failed, 1u);
        ASSERT_EQ(c.exit.status, 203);

        spec_done(&ba);
        spec_done(&bc);
        run_done(&a);
        run_done(&c);
        cleanup_project();
}

/* Through the stderr wrapper of the logs area, the exec failure happens after systemd's exec succeeded:
 * either a start failure or a run that exits at once, both with 203, and the reason in the journal. */
TEST(missing_binary_through_wrapper_is_203) {
        const char *pcctl = getenv("PCCTL_BIN");
        _cleanup_free_ char *anchor = journal_anchor(), *ident = NULL;
        _cleanup_strv_free_ char **lines = NULL;
        Run r = { .unit = make_unit("wrapped") };
        char *argv[6] = {};
        SpecBuf b;

        if (!pcctl || access(pcctl, X_OK) < 0) {
                fprintf(stderr, "PCCTL_BIN not set: wrapper case not run\n");
                run_done(&r);
                return;
        }
        ident = ident_of(r.unit);
        argv[0] = (char *) pcctl;
        argv[1] = (char *) "__exec";
        argv[2] = ident;
        argv[3] = (char *) "--";
        argv[4] = (char *) "/nonexistent/pcctl-wrapped-binary";
        spec_init(&b, r.unit, argv);
        start_run(&r, &b.spec);
        loop_until(run_finished, &r, 30 * USEC_PER_SEC);

        ASSERT_EQ(r.exit.code, CLD_EXITED);
        ASSERT_EQ(r.exit.status, 203);
        if (r.n_failed > 0) {
                ASSERT_EQ(r.n_started, 0u);
                ASSERT_NOT_NULL(strstr(r.message, "/nonexistent/pcctl-wrapped-binary"));
                ASSERT_NOT_NULL(strstr(r.message, "203/EXEC"));
        } else {
                ASSERT_EQ(r.n_started, 1u);
                ASSERT_EQ(r.n_exited, 1u);
        }
        lines = journal_lines(anchor, b.ident, 1);
        ASSERT_EQ(strv_length(lines), 1u);
        ASSERT_NOT_NULL(strstr(lines[0], "/nonexistent/pcctl-wrapped-binary"));

        spec_done(&b);
        run_done(&r);
        cleanup_project();
}

/* A bare argv[0] is looked up on the PATH of the spec's environment, not the manager's. */
TEST(bare_name_found_on_spec_path) {
        _cleanup_free_ char *dir = test_tmpdir(), *prog = NULL, *path = NULL, *cmd = NULL;
        char *argv[] = { (char *) "pcctl-test-prog", NULL };
        Run r = { .unit = make_unit("barename") };
        SpecBuf b;

        ASSERT_NOT_NULL(dir);
        ASSERT_TRUE(asprintf(&prog, "%s/pcctl-test-prog", dir) > 0);
        ASSERT_TRUE(asprintf(&cmd, "printf '#!/bin/sh\\nexit 5\\n' > '%s' && chmod +x '%s'", prog, prog) > 0);
        ASSERT_EQ(system(cmd), 0);
        ASSERT_TRUE(asprintf(&path, "%s:/usr/bin:/bin", dir) > 0);

        spec_init(&b, r.unit, argv);
        ASSERT_OK(strv_env_set(&b.env, "PATH", path));
        b.spec.environment = b.env;
        start_run(&r, &b.spec);
        loop_until(run_finished, &r, 30 * USEC_PER_SEC);

        ASSERT_EQ(r.n_failed, 0u);
        ASSERT_EQ(r.n_exited, 1u);
        ASSERT_EQ(r.exit.status, 5);

        free(cmd);
        ASSERT_TRUE(asprintf(&cmd, "rm -rf '%s'", dir) > 0);
        (void) system(cmd);
        spec_done(&b);
        run_done(&r);
        cleanup_project();
}

TEST(dbus_error_names_unit_and_property) {
        char *argv[] = { (char *) "/bin/true", NULL };
        Run r = { .unit = make_unit("badprop") }, r2 = { .unit = make_unit("relwd") };
        SpecBuf b, b2;

        spec_init(&b, r.unit, argv);
        b.spec.kill_signal = 999;
        start_run(&r, &b.spec);
        spec_init(&b2, r2.unit, argv);
        b2.spec.working_directory = "relative/dir";
        start_run(&r2, &b2.spec);
        loop_until(run_finished, &r, 30 * USEC_PER_SEC);
        loop_until(run_finished, &r2, 30 * USEC_PER_SEC);

        ASSERT_EQ(r.n_failed, 1u);
        ASSERT_EQ(r.n_started, 0u);
        ASSERT_FALSE(r.failed_with_exit);
        ASSERT_EQ(r.error, -EINVAL);
        ASSERT_NOT_NULL(strstr(r.message, r.unit));
        ASSERT_NOT_NULL(strstr(r.message, "KillSignal"));

        ASSERT_EQ(r2.n_failed, 1u);
        ASSERT_NOT_NULL(strstr(r2.message, r2.unit));
        ASSERT_NOT_NULL(strstr(r2.message, "WorkingDirectory"));

        spec_done(&b);
        spec_done(&b2);
        run_done(&r);
        run_done(&r2);
        cleanup_project();
}

/* x-systemd properties reach the unit: Nice is visible in the process, MemoryMax in its cgroup limit. */
static int read_nice(pid_t pid) {
        _cleanup_free_ char *path = NULL;
        char buf[1024], *p;
        int nice = -100;
        FILE *f;
        size_t n;

        ASSERT_TRUE(asprintf(&path, "/proc/%d/stat", (int) pid) > 0);
        f = fopen(path, "re");
        ASSERT_NOT_NULL(f);
        n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = 0;
        /* after "(comm)": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
         * cutime cstime priority nice */
        p = strrchr(buf, ')');
        ASSERT_NOT_NULL(p);
        ASSERT_EQ(sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %d", &nice), 1);
        return nice;
}

TEST(x_systemd_properties_applied) {
        char *argv[] = { (char *) "sleep", (char *) "600", NULL };
        const UnitExtraProperty extra[] = { { "Nice", "7" }, { "TasksMax", "42" } };
        Run r = { .unit = make_unit("xprops") };
        _cleanup_free_ char *cmd = NULL;
        char line[128] = "";
        SpecBuf b;
        FILE *f;

        spec_init(&b, r.unit, argv);
        b.spec.extra = extra;
        b.spec.n_extra = ELEMENTSOF(extra);
        start_run(&r, &b.spec);
        loop_until(run_started, &r, 30 * USEC_PER_SEC);
        ASSERT_EQ(r.n_started, 1u);
        ASSERT_EQ(read_nice(r.started_pid), 7);

        ASSERT_TRUE(asprintf(&cmd, "systemctl --user show -P TasksMax '%s'", r.unit) > 0);
        f = popen(cmd, "r");
        ASSERT_NOT_NULL(f);
        ASSERT_NOT_NULL(fgets(line, sizeof line, f));
        ASSERT_EQ(pclose(f), 0);
        ASSERT_STREQ(line, "42\n");

        ASSERT_OK(unit_driver_stop(driver, r.unit, NULL, NULL));
        loop_until(run_finished, &r, 30 * USEC_PER_SEC);
        ASSERT_EQ(r.n_exited, 1u);

        spec_done(&b);
        run_done(&r);
        cleanup_project();
}

/* A failed unit stays loaded; the next start of the same name resets it first (pipelined). */
TEST(rerun_same_name_after_failure) {
        char *argv[] = { (char *) "sh", (char *) "-c", (char *) "exit 3", NULL };
        Run r = { .unit = make_unit("rerun") };
        SpecBuf b;

        spec_init(&b, r.unit, argv);
        for (unsigned i = 1; i <= 3; i++) {
                start_run(&r, &b.spec);
                while (r.n_exited < i && r.n_failed == 0)
                        ASSERT_OK(sd_event_run(event, 100 * USEC_PER_MSEC));
                ASSERT_EQ(r.n_failed, 0u);
                ASSERT_EQ(r.n_started, i);
                ASSERT_EQ(r.n_exited, i);
                ASSERT_EQ(r.exit.status, 3);
                ASSERT_STREQ(r.exit.result, "exit-code");
        }

        spec_done(&b);
        run_done(&r);
        cleanup_project();
}

TEST(stop_and_kill) {
        char *argv[] = { (char *) "sleep", (char *) "600", NULL };
        Run s = { .unit = make_unit("stopme") }, k = { .unit = make_unit("killme") };
        SpecBuf bs, bk;

        spec_init(&bs, s.unit, argv);
        spec_init(&bk, k.unit, argv);
        start_run(&s, &bs.spec);
        start_run(&k, &bk.spec);
        loop_until(run_started, &s, 30 * USEC_PER_SEC);
        loop_until(run_started, &k, 30 * USEC_PER_SEC);
        ASSERT_EQ(s.n_started, 1u);
        ASSERT_EQ(k.n_started, 1u);
        ASSERT_TRUE(s.started_pid > 0);
        ASSERT_EQ(kill(s.started_pid, 0), 0);
        ASSERT_EQ(unit_driver_start(driver, s.watch, &bs.spec), -EBUSY);

        ASSERT_OK(unit_driver_stop(driver, s.unit, NULL, NULL));
        ASSERT_OK(unit_driver_kill(driver, k.unit, true, SIGKILL));
        loop_until(run_finished, &s, 30 * USEC_PER_SEC);
        loop_until(run_finished, &k, 30 * USEC_PER_SEC);

        ASSERT_EQ(s.exit.code, CLD_KILLED);
        ASSERT_EQ(s.exit.status, SIGTERM);
        /* the stop signal itself is a clean end for systemd */
        ASSERT_STREQ(s.exit.result, "success");
        ASSERT_EQ(k.exit.code, CLD_KILLED);
        ASSERT_EQ(k.exit.status, SIGKILL);
        ASSERT_STREQ(k.exit.result, "signal");

        spec_done(&bs);
        spec_done(&bk);
        run_done(&s);
        run_done(&k);
        cleanup_project();
}

/* Units outlive pcctl: a second driver lists them and adopts one, and sees it end. */
/* Units outlive pcctl: a second driver lists them and adopts one, and sees it end. */
TEST(list_read_and_adopt) {
        char *argv[] = { (char *) "sleep", (char *) "600", NULL };
        Run r = { .unit = make_unit("adoptme") }, adopted = {}, gone = {};
        UnitDriver *second = NULL;
        ReadResult rr = {}, rr_gone = {};
        ListResult l;
        SpecBuf b;

        spec_init(&b, r.unit, argv);
        start_run(&r, &b.spec);
        loop_until(run_started, &r, 30 * USEC_PER_SEC);
        ASSERT_EQ(r.n_started, 1u);

        list_project(&l);
        ASSERT_EQ(strv_length(l.names), 1u);
        ASSERT_STREQ(l.names[0], r.unit);
        ASSERT_STREQ(l.states[0], "active");
        list_result_done(&l);

        ASSERT_OK(unit_driver_read(driver, r.unit, on_read, &rr, NULL));
        loop_until(read_done, &rr, 10 * USEC_PER_SEC);
        ASSERT_OK(rr.error);
        ASSERT_STREQ(rr.active_state, "active");
        ASSERT_EQ(rr.main_pid, r.started_pid);
        free(rr.active_state);

        ASSERT_OK(unit_driver_read(driver, "pcctl-no-such-unit-xyz.service", on_read, &rr_gone, NULL));
        loop_until(read_done, &rr_gone, 10 * USEC_PER_SEC);
        ASSERT_EQ(rr_gone.error, -ENOENT);

        ASSERT_OK(unit_driver_new(event, UNIT_MANAGER_USER, &second));
        ASSERT_OK(unit_watch_new(second, r.unit, &events, &adopted, &adopted.watch));
        ASSERT_OK(unit_driver_adopt(second, adopted.watch));
        loop_until(run_started, &adopted, 10 * USEC_PER_SEC);
        ASSERT_EQ(adopted.n_started, 1u);
        ASSERT_EQ(adopted.started_pid, r.started_pid);

        ASSERT_OK(unit_watch_new(second, "pcctl-no-such-unit-xyz.service", &events, &gone, &gone.watch));
        ASSERT_OK(unit_driver_adopt(second, gone.watch));
        loop_until(run_finished, &gone, 10 * USEC_PER_SEC);
        ASSERT_EQ(gone.error, -ENOENT);

        ASSERT_OK(unit_driver_kill(second, r.unit, false, SIGKILL));
        loop_until(run_finished, &adopted, 30 * USEC_PER_SEC);
        loop_until(run_finished, &r, 30 * USEC_PER_SEC);
        ASSERT_EQ(adopted.exit.code, CLD_KILLED);
        ASSERT_EQ(r.exit.code, CLD_KILLED);
        ASSERT_EQ(adopted.exit.pid, r.exit.pid);

        run_done(&adopted);
        run_done(&gone);
        second = unit_driver_free(second);
        spec_done(&b);
        run_done(&r);
        cleanup_project();
}

/* Freeing a watch from inside its own callback: no more events, no use-after-free (ASan build). */
TEST(free_watch_in_callback) {
        char *argv[] = { (char *) "sleep", (char *) "600", NULL };
        Run r = { .unit = make_unit("freecb"), .free_in_callback = true };
        SpecBuf b;

        spec_init(&b, r.unit, argv);
        start_run(&r, &b.spec);
        loop_until(run_started, &r, 30 * USEC_PER_SEC);
        ASSERT_NULL(r.watch);
        ASSERT_OK(unit_driver_stop(driver, r.unit, NULL, NULL));
        spin(500 * USEC_PER_MSEC);
        ASSERT_EQ(r.n_exited, 0u);

        spec_done(&b);
        run_done(&r);
        cleanup_project();
}

TEST(slice_holds_the_units) {
        char *argv[] = { (char *) "sleep", (char *) "600", NULL };
        Run r = { .unit = make_unit("inslice") };
        SpecBuf b;
        usec_t deadline;

        spec_init(&b, r.unit, argv);
        start_run(&r, &b.spec);
        loop_until(run_started, &r, 30 * USEC_PER_SEC);
        ASSERT_EQ(r.n_started, 1u);

        ASSERT_OK(unit_driver_stop_slice(driver, slice, NULL, NULL));
        loop_until(run_finished, &r, 30 * USEC_PER_SEC);
        ASSERT_EQ(r.n_exited, 1u);
        ASSERT_EQ(r.exit.code, CLD_KILLED);
        ASSERT_EQ(r.exit.status, SIGTERM);

        /* the slice itself goes away once empty and stopped */
        deadline = now_usec(CLOCK_MONOTONIC) + 10 * USEC_PER_SEC;
        while (slice_loaded()) {
                ASSERT_TRUE(now_usec(CLOCK_MONOTONIC) < deadline);
                spin(50 * USEC_PER_MSEC);
        }

        spec_done(&b);
        run_done(&r);
        cleanup_project();
}

/* Without the private socket the driver falls back to the user bus, where only Subscribe makes the
 * manager send unit signals; without either it fails with a message that says what to do. */
TEST(bus_fallback_and_unreachable) {
        char *argv[] = { (char *) "sh", (char *) "-c", (char *) "exit 4", NULL };
        _cleanup_free_ char *rt = strdup(getenv("XDG_RUNTIME_DIR")), *bus_address = NULL, *msg = NULL;
        const char *old_bus = getenv("DBUS_SESSION_BUS_ADDRESS");
        _cleanup_free_ char *saved_bus = old_bus ? strdup(old_bus) : NULL;
        UnitDriver *d = NULL, *main_driver = driver;
        Run r = { .unit = make_unit("overbus") };
        SpecBuf b;
        int k;

        ASSERT_NOT_NULL(rt);
        ASSERT_TRUE(asprintf(&bus_address, "unix:path=%s/bus", rt) > 0);

        /* no private socket here */
        ASSERT_OK(setenv("XDG_RUNTIME_DIR", "/nonexistent-pcctl-runtime", 1));
        ASSERT_OK(setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent-pcctl-runtime/bus", 1));
        k = unit_driver_new(event, UNIT_MANAGER_USER, &d);
        ASSERT_TRUE(k < 0);
        ASSERT_OK(unit_driver_unreachable_message(UNIT_MANAGER_USER, k, &msg));
        fprintf(stderr, "%s\n", msg);
        ASSERT_NOT_NULL(strstr(msg, "/nonexistent-pcctl-runtime/systemd/private"));
        ASSERT_NOT_NULL(strstr(msg, "contrib/sandbox.sh start"));

        if (access(bus_address + STRLEN("unix:path="), F_OK) < 0) {
                fprintf(stderr, "no user bus socket at %s: fallback not tested\n", bus_address);
        } else {
                ASSERT_OK(setenv("DBUS_SESSION_BUS_ADDRESS", bus_address, 1));
                k = unit_driver_new(event, UNIT_MANAGER_USER, &d);
                if (k < 0)
                        fprintf(stderr, "user bus at %s has no manager (%s): fallback not tested\n",
                                bus_address, strerror(-k));
                else {
                        ASSERT_FALSE(unit_driver_is_private_socket(d));
                        driver = d; /* start_run() and friends use the global */
                        spec_init(&b, r.unit, argv);
                        start_run(&r, &b.spec);
                        loop_until(run_finished, &r, 30 * USEC_PER_SEC);
                        ASSERT_EQ(r.n_started, 1u);
                        ASSERT_EQ(r.n_exited, 1u);
                        ASSERT_EQ(r.exit.status, 4);
                        spec_done(&b);
                        r.watch = unit_watch_free(r.watch);
                        driver = main_driver;
                        d = unit_driver_free(d);
                }
        }

        ASSERT_OK(setenv("XDG_RUNTIME_DIR", rt, 1));
        if (saved_bus)
                ASSERT_OK(setenv("DBUS_SESSION_BUS_ADDRESS", saved_bus, 1));
        else
                ASSERT_OK(unsetenv("DBUS_SESSION_BUS_ADDRESS"));
        run_done(&r);
        cleanup_project();
}

int main(int argc, char **argv) {
        _cleanup_free_ char *msg = NULL;
        int r, ret;

        snprintf(project, sizeof project, "tu%d", (int) getpid());
        ASSERT_OK(unit_name_for_slice(project, &slice));
        ASSERT_OK(sd_event_default(&event));

        r = unit_driver_new(event, UNIT_MANAGER_USER, &driver);
        if (r < 0) {
                (void) unit_driver_unreachable_message(UNIT_MANAGER_USER, r, &msg);
                fprintf(stderr, "%s\n", strna(msg));
                if (getenv("CI"))
                        return EXIT_FAILURE;
                return log_tests_skipped("no systemd user manager");
        }
        fprintf(stderr, "connected over %s\n", unit_driver_is_private_socket(driver) ? "the private socket" : "the bus");

        ret = tests_run_main(argc, argv);

        cleanup_project();
        driver = unit_driver_free(driver);
        free(slice);
        sd_event_unref(event);
        return ret;
}
