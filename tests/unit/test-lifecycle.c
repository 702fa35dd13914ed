/* The pure lifecycle decisions of compat §2: exit codes, restart policy, dependency conditions, project exit
 * codes. */
#include <signal.h>
#include <sys/wait.h>

#include "core/lifecycle.h"
#include "core/process.h"
#include "tests.h"

static ComposeProcess proc_with(ComposeRestart restart, int max_restarts, int *codes, size_t n_codes) {
        return (ComposeProcess) {
                .availability = { .restart = restart, .backoff_seconds = 1, .max_restarts = max_restarts },
                .success_exit_codes = codes,
                .n_success_exit_codes = n_codes,
        };
}

TEST(status_strings) {
        ASSERT_TRUE(streq(proc_status_to_string(PROC_PENDING), "Pending"));
        ASSERT_TRUE(streq(proc_status_to_string(PROC_COMPLETED), "Completed"));
        ASSERT_TRUE(streq(proc_status_to_string(PROC_TERMINATING), "Terminating"));
        ASSERT_TRUE(streq(proc_status_to_string(PROC_WATCHING), "Watching"));
        ASSERT_TRUE(proc_status_to_string(_PROC_STATUS_MAX) == NULL);
        ASSERT_EQ(proc_status_from_string("Skipped"), PROC_SKIPPED);
        ASSERT_EQ(proc_status_from_string("Failed"), _PROC_STATUS_INVALID);
        ASSERT_TRUE(streq(proc_health_to_string(PROC_HEALTH_UNKNOWN), "-"));
        ASSERT_TRUE(streq(proc_health_to_string(PROC_HEALTH_NOT_READY), "Not Ready"));
        for (ProcStatus s = 0; s < _PROC_STATUS_MAX; s++)
                ASSERT_EQ(proc_status_from_string(proc_status_to_string(s)), s);
}

TEST(is_running) {
        Process p = { .status = PROC_RUNNING };
        ASSERT_TRUE(process_is_running(&p));
        p.status = PROC_LAUNCHED;
        ASSERT_TRUE(process_is_running(&p));
        p.status = PROC_TERMINATING;
        ASSERT_FALSE(process_is_running(&p));
        p.status = PROC_RESTARTING;
        ASSERT_FALSE(process_is_running(&p));
}

TEST(exit_code) {
        ASSERT_EQ(lifecycle_exit_code(CLD_EXITED, 42), 42);
        ASSERT_EQ(lifecycle_exit_code(CLD_EXITED, 0), 0);
        ASSERT_EQ(lifecycle_exit_code(CLD_KILLED, SIGTERM), -1);
        ASSERT_EQ(lifecycle_exit_code(CLD_DUMPED, SIGSEGV), -1);
}

TEST(success_codes) {
        int codes[] = { 130, 2 };
        ComposeProcess c = proc_with(COMPOSE_RESTART_NO, 0, codes, 2);

        ASSERT_TRUE(lifecycle_is_success(&c, 0));
        ASSERT_TRUE(lifecycle_is_success(&c, 130));
        ASSERT_TRUE(lifecycle_is_success(&c, 2));
        ASSERT_FALSE(lifecycle_is_success(&c, 1));
        ASSERT_FALSE(lifecycle_is_success(&c, -1));
        ASSERT_FALSE(lifecycle_is_success(NULL, 1));
}

TEST(restart_policy) {
        int codes[] = { 130 };
        ComposeProcess no = proc_with(COMPOSE_RESTART_NO, 0, NULL, 0);
        ComposeProcess always = proc_with(COMPOSE_RESTART_ALWAYS, 0, NULL, 0);
        ComposeProcess always1 = proc_with(COMPOSE_RESTART_ALWAYS, 1, NULL, 0);
        ComposeProcess onf = proc_with(COMPOSE_RESTART_ON_FAILURE, 2, codes, 1);
        ComposeProcess eof = proc_with(COMPOSE_RESTART_EXIT_ON_FAILURE, 0, NULL, 0);

        ASSERT_FALSE(lifecycle_should_restart(&no, 1, 0));
        ASSERT_TRUE(lifecycle_should_restart(&always, 0, 0));
        ASSERT_TRUE(lifecycle_should_restart(&always, 0, 1000));       /* 0 = unlimited */
        ASSERT_TRUE(lifecycle_should_restart(&always1, 0, 0));
        ASSERT_FALSE(lifecycle_should_restart(&always1, 0, 1));
        ASSERT_TRUE(lifecycle_should_restart(&onf, 1, 0));
        ASSERT_TRUE(lifecycle_should_restart(&onf, -1, 1));
        ASSERT_FALSE(lifecycle_should_restart(&onf, 1, 2));
        ASSERT_FALSE(lifecycle_should_restart(&onf, 0, 0));
        ASSERT_FALSE(lifecycle_should_restart(&onf, 130, 0));           /* allow-listed = success */
        ASSERT_FALSE(lifecycle_should_restart(&eof, 1, 0));
}

TEST(backoff) {
        ComposeProcess c = proc_with(COMPOSE_RESTART_ALWAYS, 0, NULL, 0);

        c.availability.backoff_seconds = 0;
        ASSERT_EQ(lifecycle_backoff_usec(&c), USEC_PER_SEC);
        c.availability.backoff_seconds = -5;
        ASSERT_EQ(lifecycle_backoff_usec(&c), USEC_PER_SEC);
        c.availability.backoff_seconds = 3;
        ASSERT_EQ(lifecycle_backoff_usec(&c), 3 * USEC_PER_SEC);
}

static DepView view(ProcStatus status, bool in_flight, bool started, int exit_code, bool success) {
        return (DepView) { .status = status, .health = PROC_HEALTH_UNKNOWN, .exit_code = exit_code,
                           .success = success, .in_flight = in_flight, .started = started };
}

TEST(dependency_started) {
        DepView v;

        v = view(PROC_PENDING, true, false, 0, true);
        ASSERT_EQ(lifecycle_dependency_verdict(COMPOSE_CONDITION_PROCESS_STARTED, &v), DEP_WAIT);
        v = view(PROC_RUNNING, true, true, 0, true);
        ASSERT_EQ(lifecycle_dependency_verdict(COMPOSE_CONDITION_PROCESS_STARTED, &v), DEP_OK);
        v = view(PROC_COMPLETED, false, true, 1, false);
        ASSERT_EQ(lifecycle_dependency_verdict(COMPOSE_CONDITION_PROCESS_STARTED, &v), DEP_OK);
        /* [QUIRK] decision: an Error/Skipped dependency that never ran skips the dependent */
        v = view(PROC_SKIPPED, false, false, 1, false);
        ASSERT_EQ(lifecycle_dependency_verdict(COMPOSE_CONDITION_PROCESS_STARTED, &v), DEP_FAIL);
        v = view(PROC_ERROR, false, false, 1, false);
        ASSERT_EQ(lifecycle_dependency_verdict(COMPOSE_CONDITION_PROCESS_STARTED, &v), DEP_FAIL);
}

TEST(dependency_completed) {
        DepView v;

        v = view(PROC_RUNNING, true, true, 0, true);
        ASSERT_EQ(lifecycle_dependency_verdict(COMPOSE_CONDITION_PROCESS_COMPLETED, &v), DEP_WAIT);
        v = view(PROC_RESTARTING, true, true, 1, false);
        ASSERT_EQ(lifecycle_dependency_verdict(COMPOSE_CONDITION_PROCESS_COMPLETED, &v), DEP_WAIT);
        v = view(PROC_COMPLETED, false, true, 1, false);
        ASSERT_EQ(lifecycle_dependency_verdict(COMPOSE_CONDITION_PROCESS_COMPLETED, &v), DEP_OK);
        v = view(PROC_SKIPPED, false, false, 1, false);
        ASSERT_EQ(lifecycle_dependency_verdict(COMPOSE_CONDITION_PROCESS_COMPLETED, &v), DEP_OK);

        v = view(PROC_COMPLETED, false, true, 0, true);
        ASSERT_EQ(lifecycle_dependency_verdict(COMPOSE_CONDITION_PROCESS_COMPLETED_SUCCESSFULLY, &v), DEP_OK);
        v = view(PROC_COMPLETED, false, true, 130, true);
        ASSERT_EQ(lifecycle_dependency_verdict(COMPOSE_CONDITION_PROCESS_COMPLETED_SUCCESSFULLY, &v), DEP_OK);
        v = view(PROC_COMPLETED, false, true, 1, false);
        ASSERT_EQ(lifecycle_dependency_verdict(COMPOSE_CONDITION_PROCESS_COMPLETED_SUCCESSFULLY, &v), DEP_FAIL);
        v = view(PROC_SKIPPED, false, false, 1, false);
        ASSERT_EQ(lifecycle_dependency_verdict(COMPOSE_CONDITION_PROCESS_COMPLETED_SUCCESSFULLY, &v), DEP_FAIL);
        v = view(PROC_ERROR, false, false, 1, false);
        ASSERT_EQ(lifecycle_dependency_verdict(COMPOSE_CONDITION_PROCESS_COMPLETED_SUCCESSFULLY, &v), DEP_FAIL);
        v = view(PROC_RUNNING, true, true, 0, true);
        ASSERT_EQ(lifecycle_dependency_verdict(COMPOSE_CONDITION_PROCESS_COMPLETED_SUCCESSFULLY, &v), DEP_WAIT);
}

TEST(dependency_not_started_is_ignored) {
        DepView v;

        /* disabled or never started: not waited for, whatever the condition */
        v = view(PROC_DISABLED, false, false, 0, true);
        for (ComposeCondition c = 0; c < _COMPOSE_CONDITION_MAX; c++)
                ASSERT_EQ(lifecycle_dependency_verdict(c, &v), DEP_IGNORE);
        v = view(PROC_PENDING, false, false, 0, true);
        ASSERT_EQ(lifecycle_dependency_verdict(COMPOSE_CONDITION_PROCESS_COMPLETED, &v), DEP_IGNORE);
}

TEST(dependency_healthy_and_log_ready) {
        DepView v;

        v = view(PROC_RUNNING, true, true, 0, true);
        v.has_readiness_probe = true;
        ASSERT_EQ(lifecycle_dependency_verdict(COMPOSE_CONDITION_PROCESS_HEALTHY, &v), DEP_WAIT);
        v.health = PROC_HEALTH_NOT_READY;
        ASSERT_EQ(lifecycle_dependency_verdict(COMPOSE_CONDITION_PROCESS_HEALTHY, &v), DEP_WAIT);
        v.health = PROC_HEALTH_READY;
        ASSERT_EQ(lifecycle_dependency_verdict(COMPOSE_CONDITION_PROCESS_HEALTHY, &v), DEP_OK);
        v.stopping = true;
        ASSERT_EQ(lifecycle_dependency_verdict(COMPOSE_CONDITION_PROCESS_HEALTHY, &v), DEP_FAIL);

        v = view(PROC_COMPLETED, false, true, 0, true);
        v.has_readiness_probe = true;
        ASSERT_EQ(lifecycle_dependency_verdict(COMPOSE_CONDITION_PROCESS_HEALTHY, &v), DEP_FAIL);

        /* [QUIRK] decision: a liveness probe only → healthy once it runs */
        v = view(PROC_RUNNING, true, true, 0, true);
        v.has_liveness_probe = true;
        ASSERT_EQ(lifecycle_dependency_verdict(COMPOSE_CONDITION_PROCESS_HEALTHY, &v), DEP_OK);
        v = view(PROC_PENDING, true, false, 0, true);
        v.has_liveness_probe = true;
        ASSERT_EQ(lifecycle_dependency_verdict(COMPOSE_CONDITION_PROCESS_HEALTHY, &v), DEP_WAIT);

        /* no health check at all (ready_log_line only, or nothing): Skipped at once, as process-compose,
         * whether the dependency waits, runs or is Ready by its log line */
        v = view(PROC_PENDING, true, false, 0, true);
        ASSERT_EQ(lifecycle_dependency_verdict(COMPOSE_CONDITION_PROCESS_HEALTHY, &v), DEP_FAIL);
        v = view(PROC_RUNNING, true, true, 0, true);
        ASSERT_EQ(lifecycle_dependency_verdict(COMPOSE_CONDITION_PROCESS_HEALTHY, &v), DEP_FAIL);
        v.health = PROC_HEALTH_READY;
        ASSERT_EQ(lifecycle_dependency_verdict(COMPOSE_CONDITION_PROCESS_HEALTHY, &v), DEP_FAIL);
        ASSERT_EQ(lifecycle_dependency_verdict(COMPOSE_CONDITION_PROCESS_LOG_READY, &v), DEP_OK);

        v = view(PROC_RUNNING, true, true, 0, true);
        ASSERT_EQ(lifecycle_dependency_verdict(COMPOSE_CONDITION_PROCESS_LOG_READY, &v), DEP_WAIT);
        v.health = PROC_HEALTH_READY;
        ASSERT_EQ(lifecycle_dependency_verdict(COMPOSE_CONDITION_PROCESS_LOG_READY, &v), DEP_OK);
        v = view(PROC_COMPLETED, false, true, 1, false);
        ASSERT_EQ(lifecycle_dependency_verdict(COMPOSE_CONDITION_PROCESS_LOG_READY, &v), DEP_FAIL);
        /* restarting without the line: still waiting */
        v = view(PROC_RESTARTING, true, true, 1, false);
        ASSERT_EQ(lifecycle_dependency_verdict(COMPOSE_CONDITION_PROCESS_LOG_READY, &v), DEP_WAIT);
}

TEST(project_exit_code) {
        int codes[] = { 130 };
        ComposeProcess c = proc_with(COMPOSE_RESTART_NO, 0, codes, 1);

        ASSERT_EQ(lifecycle_project_exit_code(&c, 0), 0);
        ASSERT_EQ(lifecycle_project_exit_code(&c, 130), 0);
        ASSERT_EQ(lifecycle_project_exit_code(&c, 42), 42);
        ASSERT_EQ(lifecycle_project_exit_code(&c, -1), 255);
        ASSERT_EQ(lifecycle_project_exit_code(&c, 300), 44);
}

TEST(end_hooks) {
        int codes[] = { 130 };
        ComposeProcess eof = proc_with(COMPOSE_RESTART_EXIT_ON_FAILURE, 0, NULL, 0);
        ComposeProcess end = proc_with(COMPOSE_RESTART_NO, 0, codes, 1);
        ComposeProcess skip = proc_with(COMPOSE_RESTART_NO, 0, NULL, 0);
        ComposeProcess plain = proc_with(COMPOSE_RESTART_ON_FAILURE, 0, NULL, 0);
        int code = -100;

        end.availability.exit_on_end = true;
        skip.availability.exit_on_skipped = true;

        ASSERT_TRUE(lifecycle_end_hook(&eof, PROC_COMPLETED, 42, &code));
        ASSERT_EQ(code, 42);
        ASSERT_FALSE(lifecycle_end_hook(&eof, PROC_COMPLETED, 0, &code));
        ASSERT_TRUE(lifecycle_end_hook(&eof, PROC_COMPLETED, -1, &code));
        ASSERT_EQ(code, 255);
        ASSERT_TRUE(lifecycle_end_hook(&eof, PROC_ERROR, 0, &code));
        ASSERT_EQ(code, 1);

        ASSERT_TRUE(lifecycle_end_hook(&end, PROC_COMPLETED, 130, &code));
        ASSERT_EQ(code, 0);
        ASSERT_TRUE(lifecycle_end_hook(&end, PROC_COMPLETED, 7, &code));
        ASSERT_EQ(code, 7);

        ASSERT_TRUE(lifecycle_end_hook(&skip, PROC_SKIPPED, 1, &code));
        ASSERT_EQ(code, 1);
        ASSERT_FALSE(lifecycle_end_hook(&skip, PROC_COMPLETED, 1, &code));
        ASSERT_FALSE(lifecycle_end_hook(&plain, PROC_SKIPPED, 1, &code));
        ASSERT_FALSE(lifecycle_end_hook(&plain, PROC_COMPLETED, 3, &code));
}

TEST(probe_identity) {
        ComposeXProp props[] = {
                { .key = (char *) "MemoryMax", .value = (char *) "1G" },
                { .key = (char *) "User", .value = (char *) "root" },
                { .key = (char *) "User", .value = (char *) "nobody" },
                { .key = (char *) "Group", .value = (char *) "4243" },
        };
        ComposeProcess c = { .x_systemd = props, .n_x_systemd = ELEMENTSOF(props) };
        ComposeProcess none = {};
        const char *user = "x", *group = "x";

        /* the user manager runs the process as pcctl's user: the probe too */
        lifecycle_probe_identity(&c, false, &user, &group);
        ASSERT_NULL(user);
        ASSERT_NULL(group);
        /* --system: the process's own user and group, the last assignment winning */
        lifecycle_probe_identity(&c, true, &user, &group);
        ASSERT_STREQ(user, "nobody");
        ASSERT_STREQ(group, "4243");
        lifecycle_probe_identity(&none, true, &user, &group);
        ASSERT_NULL(user);
        ASSERT_NULL(group);
        /* an empty assignment resets, as in a unit file */
        props[3].value = (char *) "";
        lifecycle_probe_identity(&c, true, &user, &group);
        ASSERT_STREQ(user, "nobody");
        ASSERT_NULL(group);
}

DEFINE_TEST_MAIN();
