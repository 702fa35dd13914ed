/* The unit watch's engine (src/unit/unit-watch.c), driven by scripted signal sequences as the manager sends
 * them, with no bus and no clock: each step feeds one event and checks every output it produced. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "tests.h"
#include "unit/unit-watch.h"

#define UNIT "pcctl-p-web.service"
#define JOB "/org/freedesktop/systemd1/job/7"

/* Every output the engine has, as one line: "started(42) exited(1/3 exit-code)". A FETCH output is
 * answered by the caller of the step, so it is listed and left for it. */
static char *drain(UnitRun *r) {
        char *s = strdup("");
        UnitRunOutput o;

        while (unit_run_next(r, &o)) {
                char *n = NULL, *item = NULL;

                switch (o.type) {
                case UNIT_RUN_STARTED:
                        (void) asprintf(&item, "started(%d)", (int) o.main_pid);
                        break;
                case UNIT_RUN_START_FAILED:
                        (void) asprintf(&item, "start-failed(%d%s)", o.error, o.with_exit ? " ran" : "");
                        break;
                case UNIT_RUN_MAIN_EXITED:
                        (void) asprintf(&item, "main-exited(%d/%d)", o.exit.code, o.exit.status);
                        break;
                case UNIT_RUN_EXITED:
                        (void) asprintf(&item, "exited(%d/%d %s)", o.exit.code, o.exit.status,
                                        o.exit.result ?: "-");
                        break;
                default:
                        item = strdup(unit_run_output_type_to_string(o.type));
                        break;
                }
                (void) asprintf(&n, "%s%s%s", s, *s ? " " : "", item);
                free(item);
                free(s);
                s = n;
                unit_run_output_done(&o);
        }
        return s;
}

#define EXPECT(r, want)                                                                 \
        do {                                                                            \
                _cleanup_free_ char *_got = drain(r);                                   \
                ASSERT_STREQ(_got, want);                                               \
        } while (0)

static const UnitProps unit_active = {
        .have = UNIT_PROP_ACTIVE_STATE | UNIT_PROP_SUB_STATE, .active_state = "active", .sub_state = "running",
};
static const UnitProps unit_inactive = {
        .have = UNIT_PROP_ACTIVE_STATE | UNIT_PROP_SUB_STATE, .active_state = "inactive", .sub_state = "dead",
};
static const UnitProps unit_failed = {
        .have = UNIT_PROP_ACTIVE_STATE | UNIT_PROP_RESULT, .active_state = "failed", .result = "exit-code",
};
static const UnitProps service_running = {
        .have = UNIT_PROP_MAIN_PID | UNIT_PROP_EXEC_MAIN_PID | UNIT_PROP_EXEC_MAIN_CODE,
        .main_pid = 42, .exec_main_pid = 42, .exec_main_code = 0,
};

static UnitProps service_exit(int code, int status, const char *result) {
        return (UnitProps) {
                .have = UNIT_PROP_MAIN_PID | UNIT_PROP_EXEC_MAIN_CODE | UNIT_PROP_EXEC_MAIN_STATUS |
                        UNIT_PROP_EXEC_MAIN_PID | (result ? UNIT_PROP_RESULT : 0),
                .main_pid = 0, .exec_main_pid = 42, .exec_main_code = code, .exec_main_status = status,
                .result = result,
        };
}

static void start(UnitRun *r) {
        ASSERT_OK(unit_run_init(r, UNIT));
        ASSERT_OK(unit_run_begin_start(r, "/bin/web", "/srv/web"));
        EXPECT(r, "");
}

TEST(reply_then_job_removed) {
        UnitRun r;
        UnitProps p;

        start(&r);
        unit_run_start_reply(&r, JOB, 0, NULL);
        EXPECT(&r, "");
        unit_run_properties(&r, &unit_active);
        unit_run_properties(&r, &service_running);
        EXPECT(&r, "");
        unit_run_job_removed(&r, JOB, "done");
        EXPECT(&r, "started(42)");
        ASSERT_EQ(r.phase, UNIT_RUN_RUNNING);
        ASSERT_EQ(unit_run_begin_start(&r, "/bin/web", "/srv/web"), -EBUSY);

        p = service_exit(CLD_EXITED, 3, NULL);
        unit_run_properties(&r, &p);
        EXPECT(&r, "main-exited(1/3)");
        unit_run_properties(&r, &unit_failed);
        EXPECT(&r, "exited(1/3 exit-code)");
        ASSERT_EQ(r.phase, UNIT_RUN_IDLE);
        unit_run_done(&r);
}

TEST(job_removed_before_reply) {
        UnitRun r;
        const UnitProps loaded = {
                .have = UNIT_PROP_LOAD_STATE | UNIT_PROP_ACTIVE_STATE | UNIT_PROP_MAIN_PID,
                .load_state = "loaded", .active_state = "active", .main_pid = 42,
        };

        start(&r);
        /* the manager can send the job's end before the reply that names it */
        unit_run_job_removed(&r, JOB, "done");
        EXPECT(&r, "");
        unit_run_start_reply(&r, JOB, 0, NULL);
        /* MainPID not known yet: confirmed by one read */
        EXPECT(&r, "fetch");
        ASSERT_EQ(r.phase, UNIT_RUN_CONFIRMING);
        unit_run_fetched(&r, &loaded);
        EXPECT(&r, "started(42)");
        unit_run_done(&r);
}

TEST(job_removed_of_another_job_before_reply) {
        UnitRun r;

        start(&r);
        unit_run_job_removed(&r, "/org/freedesktop/systemd1/job/6", "done");
        unit_run_start_reply(&r, JOB, 0, NULL);
        EXPECT(&r, "");
        ASSERT_EQ(r.phase, UNIT_RUN_QUEUED);
        unit_run_job_removed(&r, "/org/freedesktop/systemd1/job/8", "done");
        EXPECT(&r, "");
        unit_run_properties(&r, &service_running);
        unit_run_job_removed(&r, JOB, "done");
        EXPECT(&r, "started(42)");
        unit_run_done(&r);
}

TEST(collected_before_properties_were_read) {
        UnitRun r;

        /* exit 0 within milliseconds: the unit is gone before the read; the signals are the record */
        start(&r);
        unit_run_start_reply(&r, JOB, 0, NULL);
        unit_run_properties(&r, &unit_active);
        unit_run_job_removed(&r, JOB, "done");
        EXPECT(&r, "fetch");
        unit_run_fetched(&r, NULL);
        EXPECT(&r, "started(0) exited(0/0 -)");
        ASSERT_EQ(r.phase, UNIT_RUN_IDLE);
        unit_run_done(&r);
}

TEST(collected_with_the_signals_known) {
        UnitRun r;
        UnitProps p = service_exit(CLD_EXITED, 0, "success");
        const UnitProps gone = { .have = UNIT_PROP_LOAD_STATE, .load_state = "not-found" };

        start(&r);
        unit_run_start_reply(&r, JOB, 0, NULL);
        unit_run_properties(&r, &unit_active);
        unit_run_properties(&r, &p);
        unit_run_properties(&r, &unit_inactive);
        unit_run_unit_removed(&r);
        EXPECT(&r, "");
        unit_run_job_removed(&r, JOB, "done");
        EXPECT(&r, "started(42) main-exited(1/0) exited(1/0 success)");
        unit_run_done(&r);

        /* the same, the read answering "not-found": no defaults applied over the signals */
        start(&r);
        unit_run_start_reply(&r, JOB, 0, NULL);
        unit_run_properties(&r, &unit_active);
        p = service_exit(CLD_EXITED, 4, "exit-code");
        p.have &= ~UNIT_PROP_EXEC_MAIN_PID;
        unit_run_properties(&r, &p);
        unit_run_job_removed(&r, JOB, "done");
        EXPECT(&r, "fetch");
        unit_run_fetched(&r, &gone);
        EXPECT(&r, "started(0) main-exited(1/4) exited(1/4 exit-code)");
        unit_run_done(&r);
}

TEST(reset_failed_leftovers_are_not_the_new_run) {
        UnitRun r;
        UnitProps old = service_exit(CLD_EXITED, 1, "exit-code");

        /* the previous run failed; ResetFailedUnit turns it inactive and says so before our reply */
        start(&r);
        unit_run_properties(&r, &old);
        unit_run_properties(&r, &unit_failed);
        unit_run_properties(&r, &unit_inactive);
        unit_run_unit_removed(&r);
        EXPECT(&r, "");
        unit_run_start_reply(&r, JOB, 0, NULL);
        unit_run_properties(&r, &unit_active);
        unit_run_properties(&r, &service_running);
        unit_run_job_removed(&r, JOB, "done");
        EXPECT(&r, "started(42)");
        ASSERT_EQ(r.phase, UNIT_RUN_RUNNING);
        ASSERT_FALSE(r.ended);
        unit_run_done(&r);
}

TEST(inactive_before_active_does_not_end_the_run) {
        UnitRun r;

        start(&r);
        unit_run_start_reply(&r, JOB, 0, NULL);
        /* "inactive" before the run was ever active is the state before the start, not its end */
        unit_run_properties(&r, &unit_inactive);
        unit_run_properties(&r, &service_running);
        unit_run_job_removed(&r, JOB, "done");
        EXPECT(&r, "started(42)");
        unit_run_done(&r);
}

TEST(failed_start_chdir) {
        UnitRun r;
        UnitProps p = service_exit(CLD_EXITED, 200, "exit-code");
        UnitRunOutput o;

        start(&r);
        unit_run_start_reply(&r, JOB, 0, NULL);
        unit_run_job_removed(&r, JOB, "failed");
        EXPECT(&r, "fetch");
        ASSERT_EQ(r.phase, UNIT_RUN_FAILING);
        p.have |= UNIT_PROP_LOAD_STATE;
        p.load_state = "loaded";
        unit_run_fetched(&r, &p);
        ASSERT_TRUE(unit_run_next(&r, &o));
        ASSERT_EQ(o.type, UNIT_RUN_START_FAILED);
        ASSERT_EQ(o.error, -ENOENT);
        ASSERT_TRUE(o.with_exit);
        ASSERT_NOT_NULL(strstr(o.message, "working directory /srv/web"));
        ASSERT_NOT_NULL(strstr(o.message, "200/CHDIR"));
        unit_run_output_done(&o);
        EXPECT(&r, "");
        ASSERT_EQ(r.phase, UNIT_RUN_IDLE);
        unit_run_done(&r);
}

TEST(failed_job_of_a_program_that_ran_is_a_run) {
        UnitRun r;
        UnitProps p = service_exit(CLD_EXITED, 3, "exit-code");

        /* exit 3 within a millisecond can fail the job before the manager saw the exec: its own status */
        start(&r);
        unit_run_start_reply(&r, JOB, 0, NULL);
        unit_run_job_removed(&r, JOB, "failed");
        EXPECT(&r, "fetch");
        unit_run_fetched(&r, &p);
        EXPECT(&r, "started(42) main-exited(1/3) exited(1/3 exit-code)");
        unit_run_done(&r);
}

TEST(cancelled_and_refused_starts) {
        UnitRun r;

        start(&r);
        unit_run_start_reply(&r, JOB, 0, NULL);
        unit_run_job_removed(&r, JOB, "canceled");
        EXPECT(&r, "fetch");
        unit_run_fetch_failed(&r);
        EXPECT(&r, "start-failed(-125)");
        unit_run_done(&r);

        start(&r);
        unit_run_start_reply(&r, NULL, -EEXIST, "Failed to start unit: exists");
        EXPECT(&r, "start-failed(-17)");
        /* a late JobRemoved of nothing of ours changes nothing */
        unit_run_job_removed(&r, JOB, "done");
        EXPECT(&r, "");
        unit_run_done(&r);
}

TEST(unit_removed_ends_a_running_run) {
        UnitRun r;

        start(&r);
        unit_run_start_reply(&r, JOB, 0, NULL);
        unit_run_properties(&r, &service_running);
        unit_run_job_removed(&r, JOB, "done");
        EXPECT(&r, "started(42)");
        unit_run_unit_removed(&r);
        EXPECT(&r, "exited(0/0 -)");
        unit_run_done(&r);
}

TEST(daemon_main_exit_while_active) {
        UnitRun r;
        UnitProps p = service_exit(CLD_EXITED, 0, NULL);

        /* ExitType=cgroup: the starter exits, the unit stays active until its cgroup empties */
        start(&r);
        unit_run_start_reply(&r, JOB, 0, NULL);
        unit_run_properties(&r, &unit_active);
        unit_run_properties(&r, &service_running);
        unit_run_job_removed(&r, JOB, "done");
        EXPECT(&r, "started(42)");
        unit_run_properties(&r, &p);
        EXPECT(&r, "main-exited(1/0)");
        /* reported once per run */
        unit_run_properties(&r, &p);
        unit_run_properties(&r, &unit_active);
        EXPECT(&r, "");
        unit_run_properties(&r, &unit_inactive);
        EXPECT(&r, "exited(1/0 -)");
        unit_run_done(&r);
}

TEST(adoption) {
        UnitRun r;
        const UnitProps running = {
                .have = UNIT_PROP_LOAD_STATE | UNIT_PROP_ACTIVE_STATE | UNIT_PROP_MAIN_PID,
                .load_state = "loaded", .active_state = "active", .main_pid = 42,
        };
        const UnitProps ended = {
                .have = UNIT_PROP_LOAD_STATE | UNIT_PROP_ACTIVE_STATE | UNIT_PROP_EXEC_MAIN_CODE |
                        UNIT_PROP_EXEC_MAIN_STATUS | UNIT_PROP_RESULT,
                .load_state = "loaded", .active_state = "failed", .exec_main_code = CLD_KILLED,
                .exec_main_status = 9, .result = "signal",
        };
        const UnitProps not_loaded = { .have = UNIT_PROP_LOAD_STATE, .load_state = "not-found" };

        ASSERT_OK(unit_run_init(&r, UNIT));
        ASSERT_OK(unit_run_begin_adopt(&r));
        ASSERT_EQ(unit_run_begin_adopt(&r), -EBUSY);
        /* signals before the read are not ours to judge */
        unit_run_properties(&r, &unit_inactive);
        EXPECT(&r, "");
        unit_run_fetched(&r, &running);
        EXPECT(&r, "started(42)");
        unit_run_properties(&r, &unit_inactive);
        EXPECT(&r, "exited(0/0 -)");

        ASSERT_OK(unit_run_begin_adopt(&r));
        unit_run_fetched(&r, &ended);
        EXPECT(&r, "started(0) main-exited(2/9) exited(2/9 signal)");

        ASSERT_OK(unit_run_begin_adopt(&r));
        unit_run_fetched(&r, &not_loaded);
        EXPECT(&r, "start-failed(-2)");
        unit_run_done(&r);
}

/* A unit its timer starts: idle signals of a new run (active, or a newer ExecMainStartTimestamp for a run
 * too short to be seen active) lead to one read and a started/exited pair; the last run's leftovers do not. */
TEST(triggered_runs) {
        UnitRun r;
        const UnitProps old_run = {
                .have = UNIT_PROP_ACTIVE_STATE | UNIT_PROP_EXEC_MAIN_START, .active_state = "inactive",
                .exec_main_start = 500,
        };
        const UnitProps quick_run = {
                .have = UNIT_PROP_ACTIVE_STATE | UNIT_PROP_EXEC_MAIN_START, .active_state = "inactive",
                .exec_main_start = 2000,
        };
        const UnitProps running = {
                .have = UNIT_PROP_LOAD_STATE | UNIT_PROP_ACTIVE_STATE | UNIT_PROP_MAIN_PID |
                        UNIT_PROP_EXEC_MAIN_START,
                .load_state = "loaded", .active_state = "active", .main_pid = 42, .exec_main_start = 1500,
        };
        const UnitProps quick_ended = {
                .have = UNIT_PROP_LOAD_STATE | UNIT_PROP_ACTIVE_STATE | UNIT_PROP_EXEC_MAIN_CODE |
                        UNIT_PROP_EXEC_MAIN_STATUS | UNIT_PROP_EXEC_MAIN_PID | UNIT_PROP_EXEC_MAIN_START,
                .load_state = "loaded", .active_state = "failed", .exec_main_code = CLD_EXITED,
                .exec_main_status = 3, .exec_main_pid = 43, .exec_main_start = 2000,
        };

        ASSERT_OK(unit_run_init(&r, UNIT));
        /* not triggered: idle signals are ignored */
        unit_run_properties(&r, &unit_active);
        EXPECT(&r, "");

        unit_run_set_triggered(&r, true, 1000);
        /* a run that started before the watch began is not reported */
        unit_run_properties(&r, &old_run);
        EXPECT(&r, "");
        unit_run_properties(&r, &unit_active);
        EXPECT(&r, "fetch");
        unit_run_fetched(&r, &running);
        EXPECT(&r, "started(42)");
        unit_run_properties(&r, &unit_inactive);
        EXPECT(&r, "exited(0/0 -)");

        /* a run over before it was seen active: its newer start time gives it away */
        unit_run_properties(&r, &quick_run);
        EXPECT(&r, "fetch");
        unit_run_fetched(&r, &quick_ended);
        EXPECT(&r, "started(43) main-exited(1/3) exited(1/3 -)");

        /* the same run's signals again: nothing new */
        unit_run_properties(&r, &quick_run);
        EXPECT(&r, "");
        unit_run_properties(&r, &unit_failed);
        EXPECT(&r, "");

        /* off again */
        unit_run_set_triggered(&r, false, 0);
        unit_run_properties(&r, &unit_active);
        EXPECT(&r, "");
        unit_run_done(&r);
}

TEST(reset_drops_pending_outputs) {
        UnitRun r;

        start(&r);
        unit_run_start_reply(&r, JOB, 0, NULL);
        unit_run_properties(&r, &unit_active);
        unit_run_properties(&r, &unit_inactive);
        unit_run_properties(&r, &service_running);
        unit_run_job_removed(&r, JOB, "done");
        /* the watch is released between started and exited: nothing more comes */
        unit_run_reset(&r);
        EXPECT(&r, "");
        ASSERT_EQ(r.phase, UNIT_RUN_IDLE);
        unit_run_done(&r);
}

DEFINE_TEST_MAIN();
