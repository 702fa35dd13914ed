/* x-systemd against the real user manager: a transient unit started with properties encoded by
 * unit_xprop_append(), read back with `systemctl --user show` and, for Nice and LimitNOFILE, from the
 * running process itself in /proc. The unit is stopped and reset at the end (also on failure). */
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

#include <systemd/sd-bus.h>

#include "shared/macro.h"
#include "tests.h"
#include "unit/unit-xprops.h"

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

/* `systemctl --user show -p NAME --value unit`, trailing newline removed. */
static char *show(const char *property) {
        char cmd[512], line[4096] = "";
        FILE *f;

        snprintf(cmd, sizeof cmd, "systemctl --user show -p %s --value %s", property, unit);
        f = popen(cmd, "r");
        ASSERT_NOT_NULL(f);
        if (!fgets(line, sizeof line, f))
                line[0] = 0;
        ASSERT_EQ(pclose(f), 0);
        line[strcspn(line, "\n")] = 0;
        return strdup(line);
}

static void expect_show(const char *property, const char *expected) {
        _cleanup_free_ char *v = show(property);
        if (!streq(v, expected))
                TEST_FAIL("%s: %s=\"%s\", expected \"%s\"", unit, property, v, expected);
}

static sd_bus *connect_manager(void) {
        _cleanup_free_ char *address = NULL;
        const char *rt = getenv("XDG_RUNTIME_DIR");
        sd_bus *bus = NULL;
        struct stat st;

        ASSERT_NOT_NULL(rt);
        if (asprintf(&address, "unix:path=%s/systemd/private", rt) < 0)
                abort();
        if (stat(address + strlen("unix:path="), &st) < 0)
                return NULL;
        ASSERT_OK(sd_bus_new(&bus));
        ASSERT_OK(sd_bus_set_address(bus, address));
        if (sd_bus_start(bus) < 0) {
                sd_bus_unref(bus);
                return NULL;
        }
        return bus;
}

static const char * const xprops[][2] = {
        { "MemoryMax", "64M" },
        { "MemoryHigh", "50%" },
        { "CPUQuota", "25%" },
        { "Nice", "5" },
        { "LimitNOFILE", "512:1024" },
        { "TasksMax", "50" },
        { "RuntimeMaxSec", "2min" },
        { "UMask", "0027" },
        { "NoNewPrivileges", "yes" },
        { "OOMScoreAdjust", "100" },
};

TEST(transient_unit_properties) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *pid_s = NULL, *state = NULL;
        int r;

        bus = connect_manager();
        if (!bus)
                exit(log_tests_skipped("no user manager (run contrib/sandbox.sh start)"));

        snprintf(unit, sizeof unit, "pcctl-t%d-xprops.service", (int) getpid());
        atexit(cleanup_unit);
        signal(SIGABRT, on_abort);

        ASSERT_OK(sd_bus_message_new_method_call(bus, &m, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                                 "org.freedesktop.systemd1.Manager", "StartTransientUnit"));
        ASSERT_OK(sd_bus_message_append(m, "ss", unit, "fail"));
        ASSERT_OK(sd_bus_message_open_container(m, 'a', "(sv)"));
        ASSERT_OK(sd_bus_message_append(m, "(sv)", "Description", "s", "pcctl x-systemd test"));
        ASSERT_OK(sd_bus_message_append(m, "(sv)", "Type", "s", "exec"));
        ASSERT_OK(sd_bus_message_append(m, "(sv)", "ExecStart", "a(sasb)", 1, "/bin/sleep", 2, "sleep", "60",
                                        false));
        for (size_t i = 0; i < ELEMENTSOF(xprops); i++) {
                _cleanup_free_ char *msg = NULL;
                r = unit_xprop_validate(xprops[i][0], xprops[i][1], &msg);
                if (r < 0)
                        TEST_FAIL("%s", strna(msg));
                ASSERT_OK(unit_xprop_append(m, xprops[i][0], xprops[i][1]));
        }
        ASSERT_OK(sd_bus_message_close_container(m));
        ASSERT_OK(sd_bus_message_append(m, "a(sa(sv))", 0));

        r = sd_bus_call(bus, m, 10 * 1000 * 1000, &error, &reply);
        if (r < 0)
                TEST_FAIL("StartTransientUnit: %s: %s", error.name, error.message);
        sd_bus_error_free(&error);

        /* Type=exec: wait for the job to finish and the process to run */
        for (int i = 0; i < 100; i++) {
                free(state);
                state = show("ActiveState");
                if (streq(state, "active"))
                        break;
                usleep(50 * 1000);
        }
        ASSERT_STREQ(state, "active");

        expect_show("MemoryMax", "67108864");
        expect_show("CPUQuotaPerSecUSec", "250ms");
        expect_show("Nice", "5");
        expect_show("LimitNOFILE", "1024");
        expect_show("LimitNOFILESoft", "512");
        expect_show("TasksMax", "50");
        expect_show("RuntimeMaxUSec", "2min");
        expect_show("UMask", "0027");
        expect_show("NoNewPrivileges", "yes");
        expect_show("OOMScoreAdjust", "100");

        /* 50% of RAM: a byte count, neither infinity nor 0 */
        _cleanup_free_ char *high = show("MemoryHigh");
        uint64_t h = strtoull(high, NULL, 10);
        ASSERT_TRUE(h > 0 && h < UINT64_MAX);

        /* the process really runs with them */
        pid_s = show("MainPID");
        int pid = atoi(pid_s);
        ASSERT_TRUE(pid > 0);

        char path[64], buf[4096];
        FILE *f;
        snprintf(path, sizeof path, "/proc/%d/stat", pid);
        f = fopen(path, "re");
        ASSERT_NOT_NULL(f);
        ASSERT_NOT_NULL(fgets(buf, sizeof buf, f));
        fclose(f);
        /* field 19 is nice; skip "pid (comm)" first, comm may contain spaces */
        char *p = strrchr(buf, ')');
        ASSERT_NOT_NULL(p);
        long nice = 0;
        char *tok = strtok(p + 2, " ");
        for (int field = 3; tok && field < 19; field++)
                tok = strtok(NULL, " ");
        ASSERT_NOT_NULL(tok);
        nice = strtol(tok, NULL, 10);
        ASSERT_EQ(nice, 5);

        snprintf(path, sizeof path, "/proc/%d/limits", pid);
        f = fopen(path, "re");
        ASSERT_NOT_NULL(f);
        bool found = false;
        while (fgets(buf, sizeof buf, f))
                if (startswith(buf, "Max open files")) {
                        unsigned long soft, hard;
                        ASSERT_EQ(sscanf(buf + strlen("Max open files"), "%lu %lu", &soft, &hard), 2);
                        ASSERT_EQ(soft, 512);
                        ASSERT_EQ(hard, 1024);
                        found = true;
                }
        fclose(f);
        ASSERT_TRUE(found);

        cleanup_unit();
        free(state);
        state = show("LoadState");
        /* stopped and reset: the transient unit is gone (or at most still loaded as inactive) */
        ASSERT_TRUE(streq(state, "not-found") || streq(state, "loaded"));
        _cleanup_free_ char *active = show("ActiveState");
        ASSERT_STREQ(active, "inactive");
        unit[0] = 0;
}

TEST(manager_rejects_nothing_we_accept) {
        /* a second unit with every kind of row once, to catch a D-Bus type the manager would refuse */
        static const char * const rows[][2] = {
                { "MemorySwapMax", "10%" }, { "MemoryLow", "1M" }, { "MemoryMin", "infinity" },
                { "CPUWeight", "50" }, { "IOWeight", "200" }, { "StartupCPUWeight", "10" },
                { "StartupIOWeight", "10" }, { "TasksMax", "10%" }, { "LimitCORE", "0" },
                { "LimitCPU", "1h" }, { "LimitRTTIME", "infinity" }, { "LimitNICE", "+0" },
                { "PrivateTmp", "no" }, { "ProtectSystem", "no" }, { "ProtectHome", "no" },
                { "ReadWritePaths", "-/tmp" }, { "TimeoutStartSec", "30s" }, { "LockPersonality", "no" },
        };
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        bus = connect_manager();
        if (!bus)
                exit(log_tests_skipped("no user manager"));
        snprintf(unit, sizeof unit, "pcctl-t%d-xprops2.service", (int) getpid());

        ASSERT_OK(sd_bus_message_new_method_call(bus, &m, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                                 "org.freedesktop.systemd1.Manager", "StartTransientUnit"));
        ASSERT_OK(sd_bus_message_append(m, "ss", unit, "fail"));
        ASSERT_OK(sd_bus_message_open_container(m, 'a', "(sv)"));
        ASSERT_OK(sd_bus_message_append(m, "(sv)", "ExecStart", "a(sasb)", 1, "/bin/sleep", 2, "sleep", "60", false));
        for (size_t i = 0; i < ELEMENTSOF(rows); i++)
                ASSERT_OK(unit_xprop_append(m, rows[i][0], rows[i][1]));
        ASSERT_OK(sd_bus_message_close_container(m));
        ASSERT_OK(sd_bus_message_append(m, "a(sa(sv))", 0));
        r = sd_bus_call(bus, m, 10 * 1000 * 1000, &error, &reply);
        if (r < 0)
                TEST_FAIL("StartTransientUnit: %s: %s", error.name, error.message);
        expect_show("CPUWeight", "50");
        expect_show("LimitCPU", "3600");
        expect_show("TimeoutStartUSec", "30s");
        cleanup_unit();
        unit[0] = 0;
}

DEFINE_TEST_MAIN();
