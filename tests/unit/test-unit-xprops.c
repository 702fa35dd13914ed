/* x-systemd property table: every row with valid and invalid values, the exact D-Bus encoding of what is
 * accepted, and the messages for what is not. No systemd connection: messages are built on a bus object
 * over a socketpair that never authenticates. */
#include <stdio.h>
#include <sys/socket.h>

#include <systemd/sd-bus.h>

#include "shared/macro.h"
#include "tests.h"
#include "unit/unit-xprops.h"

static sd_bus *test_bus = NULL;

static sd_bus *get_bus(void) {
        int fds[2];

        if (test_bus)
                return test_bus;
        ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
        ASSERT_OK(sd_bus_new(&test_bus));
        ASSERT_OK(sd_bus_set_fd(test_bus, fds[0], fds[0]));
        ASSERT_OK(sd_bus_start(test_bus));
        return test_bus;
}

/* Appends key=value into a fresh a(sv) and renders what was appended as "Name=type:value;..." */
static int encode(const char *key, const char *value, char **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        FILE *f;
        int r;

        ASSERT_OK(sd_bus_message_new_method_call(get_bus(), &m, "org.freedesktop.systemd1",
                                                 "/org/freedesktop/systemd1",
                                                 "org.freedesktop.systemd1.Manager", "StartTransientUnit"));
        ASSERT_OK(sd_bus_message_open_container(m, 'a', "(sv)"));
        r = unit_xprop_append(m, key, value);
        if (r < 0)
                return r;
        ASSERT_OK(sd_bus_message_close_container(m));
        ASSERT_OK(sd_bus_message_seal(m, 1, 0));
        ASSERT_OK(sd_bus_message_rewind(m, true));

        f = open_memstream(&buf, &size);
        ASSERT_NOT_NULL(f);
        ASSERT_OK(sd_bus_message_enter_container(m, 'a', "(sv)"));
        for (;;) {
                const char *name, *contents;
                char type;

                r = sd_bus_message_enter_container(m, 'r', "sv");
                ASSERT_OK(r);
                if (r == 0)
                        break;
                ASSERT_OK(sd_bus_message_read(m, "s", &name));
                ASSERT_OK(sd_bus_message_peek_type(m, &type, &contents));
                ASSERT_OK(sd_bus_message_enter_container(m, 'v', contents));
                fprintf(f, "%s=%s:", name, contents);
                if (streq(contents, "t")) {
                        uint64_t v;
                        ASSERT_OK(sd_bus_message_read(m, "t", &v));
                        if (v == UINT64_MAX)
                                fprintf(f, "max");
                        else
                                fprintf(f, "%" PRIu64, v);
                } else if (streq(contents, "u")) {
                        uint32_t v;
                        ASSERT_OK(sd_bus_message_read(m, "u", &v));
                        fprintf(f, "%" PRIu32, v);
                } else if (streq(contents, "i")) {
                        int32_t v;
                        ASSERT_OK(sd_bus_message_read(m, "i", &v));
                        fprintf(f, "%" PRIi32, v);
                } else if (streq(contents, "b")) {
                        int v;
                        ASSERT_OK(sd_bus_message_read(m, "b", &v));
                        fprintf(f, "%s", v ? "yes" : "no");
                } else if (streq(contents, "s")) {
                        const char *v;
                        ASSERT_OK(sd_bus_message_read(m, "s", &v));
                        fprintf(f, "%s", v);
                } else if (streq(contents, "as")) {
                        const char *v;
                        bool first = true;
                        ASSERT_OK(sd_bus_message_enter_container(m, 'a', "s"));
                        while ((r = sd_bus_message_read(m, "s", &v)) > 0) {
                                fprintf(f, "%s%s", first ? "" : ",", v);
                                first = false;
                        }
                        ASSERT_OK(r);
                        ASSERT_OK(sd_bus_message_exit_container(m));
                } else
                        TEST_FAIL("unexpected type %s", contents);
                fputc(';', f);
                ASSERT_OK(sd_bus_message_exit_container(m));
                ASSERT_OK(sd_bus_message_exit_container(m));
        }
        ASSERT_OK(sd_bus_message_exit_container(m));
        fclose(f);
        *ret = TAKE_PTR(buf);
        return 0;
}

static void check_ok(const char *key, const char *value, const char *expected) {
        _cleanup_free_ char *error = NULL, *got = NULL;
        int r;

        r = unit_xprop_validate(key, value, &error);
        if (r < 0)
                TEST_FAIL("%s=%s rejected: %s", key, value, strna(error));
        ASSERT_NULL(error);
        ASSERT_OK(encode(key, value, &got));
        if (!streq(got, expected))
                TEST_FAIL("%s=%s: encoded \"%s\", expected \"%s\"", key, value, got, expected);
}

static void check_bad(const char *key, const char *value, const char *expected_error) {
        _cleanup_free_ char *error = NULL, *got = NULL;

        ASSERT_ERROR(unit_xprop_validate(key, value, &error), EINVAL);
        ASSERT_NOT_NULL(error);
        if (!strstr(error, expected_error))
                TEST_FAIL("%s=%s: error \"%s\" does not contain \"%s\"", key, strna(value), error,
                          expected_error);
        /* append refuses it too, and never half-appends */
        if (value)
                ASSERT_ERROR(encode(key, value, &got), EINVAL);
}

TEST(memory) {
        static const char * const names[] = { "MemoryMax", "MemoryHigh", "MemoryLow", "MemoryMin",
                                              "MemorySwapMax" };
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                const char *n = names[i];
                char e[128];

                snprintf(e, sizeof e, "%s=t:536870912;", n);
                check_ok(n, "512M", e);
                snprintf(e, sizeof e, "%s=t:1024;", n);
                check_ok(n, "1K", e);
                check_ok(n, "1024", e);
                check_ok(n, "1024B", e);
                snprintf(e, sizeof e, "%s=t:1610612736;", n);
                check_ok(n, "1.5G", e);
                snprintf(e, sizeof e, "%s=t:2199023255552;", n);
                check_ok(n, "2T", e);
                snprintf(e, sizeof e, "%s=t:0;", n);
                check_ok(n, "0", e);
                snprintf(e, sizeof e, "%s=t:max;", n);
                check_ok(n, "infinity", e);
                snprintf(e, sizeof e, "%sScale=u:2147483648;", n);
                check_ok(n, "50%", e);
                snprintf(e, sizeof e, "%sScale=u:4294967295;", n);
                check_ok(n, "100%", e);

                check_bad(n, "512m", "must be a size in bytes");
                check_bad(n, "512 M", "must be a size in bytes");
                check_bad(n, "lots", "got \"lots\"");
                check_bad(n, "-1", "must be a size");
                check_bad(n, "1.G", "must be a size");
                check_bad(n, "16E", "must be a size");          /* 2^64: overflows */
                check_bad(n, "99999999999999999999", "must be a size");
                check_bad(n, "101%", "percentage of RAM");
                check_bad(n, "1.234%", "must be a size");
                check_bad(n, "", "must not be empty");
        }
}

TEST(cpu_quota) {
        check_ok("CPUQuota", "50%", "CPUQuotaPerSecUSec=t:500000;");
        check_ok("CPUQuota", "200%", "CPUQuotaPerSecUSec=t:2000000;");
        check_ok("CPUQuota", "12.5%", "CPUQuotaPerSecUSec=t:125000;");
        check_ok("CPUQuota", "0.01%", "CPUQuotaPerSecUSec=t:100;");
        check_bad("CPUQuota", "50", "'CPUQuota' must be a percentage of one CPU above 0 (\"50%\", \"200%\"), got \"50\"");
        check_bad("CPUQuota", "0%", "above 0");
        check_bad("CPUQuota", "%", "percentage");
        check_bad("CPUQuota", "1.001%", "percentage");
        check_bad("CPUQuota", "2000000%", "percentage");
        check_bad("CPUQuotaPerSecUSec", "500000", "use 'CPUQuota' with a percentage");
}

TEST(weights) {
        static const char * const names[] = { "CPUWeight", "StartupCPUWeight", "IOWeight", "StartupIOWeight" };
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                char e[64];

                snprintf(e, sizeof e, "%s=t:1;", names[i]);
                check_ok(names[i], "1", e);
                snprintf(e, sizeof e, "%s=t:10000;", names[i]);
                check_ok(names[i], "10000", e);
                check_bad(names[i], "0", "between 1 and 10000");
                check_bad(names[i], "10001", "between 1 and 10000");
                check_bad(names[i], "high", "between 1 and 10000");
        }
}

TEST(tasks_max) {
        check_ok("TasksMax", "100", "TasksMax=t:100;");
        check_ok("TasksMax", "infinity", "TasksMax=t:max;");
        check_ok("TasksMax", "25%", "TasksMaxScale=u:1073741824;");
        check_bad("TasksMax", "0", "positive number of tasks");
        check_bad("TasksMax", "-5", "positive number of tasks");
        check_bad("TasksMax", "lots", "positive number of tasks");
        check_bad("TasksMax", "150%", "positive number of tasks");
}

TEST(nice_oom) {
        check_ok("Nice", "5", "Nice=i:5;");
        check_ok("Nice", "-20", "Nice=i:-20;");
        check_ok("Nice", "19", "Nice=i:19;");
        check_ok("Nice", "+3", "Nice=i:3;");
        check_bad("Nice", "x", "x-systemd: 'Nice' must be an integer between -20 and 19, got \"x\"");
        check_bad("Nice", "20", "between -20 and 19, got \"20\"");
        check_bad("Nice", "-21", "between -20 and 19");
        check_bad("Nice", "1.5", "between -20 and 19");
        check_ok("OOMScoreAdjust", "-1000", "OOMScoreAdjust=i:-1000;");
        check_ok("OOMScoreAdjust", "500", "OOMScoreAdjust=i:500;");
        check_bad("OOMScoreAdjust", "1001", "between -1000 and 1000");
        check_bad("OOMScoreAdjust", "99999999999999999999999", "between -1000 and 1000");
}

TEST(rlimits) {
        check_ok("LimitNOFILE", "1024", "LimitNOFILE=t:1024;LimitNOFILESoft=t:1024;");
        check_ok("LimitNOFILE", "1024:4096", "LimitNOFILE=t:4096;LimitNOFILESoft=t:1024;");
        check_ok("LimitNOFILE", "1024:infinity", "LimitNOFILE=t:max;LimitNOFILESoft=t:1024;");
        check_bad("LimitNOFILE", "4096:1024", "SOFT <= HARD");
        check_bad("LimitNOFILE", "1K", "must be a number");
        check_bad("LimitNOFILE", "1024:", "must be a number");
        check_ok("LimitCORE", "0", "LimitCORE=t:0;LimitCORESoft=t:0;");
        check_ok("LimitCORE", "infinity", "LimitCORE=t:max;LimitCORESoft=t:max;");
        check_ok("LimitCORE", "1M:2M", "LimitCORE=t:2097152;LimitCORESoft=t:1048576;");
        check_bad("LimitCORE", "big", "a size in bytes");
        check_ok("LimitCPU", "30", "LimitCPU=t:30;LimitCPUSoft=t:30;");
        check_ok("LimitCPU", "5min", "LimitCPU=t:300;LimitCPUSoft=t:300;");
        check_ok("LimitCPU", "1500ms", "LimitCPU=t:2;LimitCPUSoft=t:2;");
        check_bad("LimitCPU", "5 parsecs", "a time in seconds");
        check_ok("LimitRTTIME", "100", "LimitRTTIME=t:100;LimitRTTIMESoft=t:100;");
        check_ok("LimitRTTIME", "1s", "LimitRTTIME=t:1000000;LimitRTTIMESoft=t:1000000;");
        check_ok("LimitNICE", "40", "LimitNICE=t:40;LimitNICESoft=t:40;");
        check_ok("LimitNICE", "-5", "LimitNICE=t:25;LimitNICESoft=t:25;");
        check_ok("LimitNICE", "+19", "LimitNICE=t:1;LimitNICESoft=t:1;");
        check_bad("LimitNICE", "41", "0..40");
        check_bad("LimitNICE", "-21", "0..40");

        /* every rlimit row: one plain number is accepted (sets both), garbage is not */
        static const char * const all[] = {
                "LimitCPU", "LimitFSIZE", "LimitDATA", "LimitSTACK", "LimitCORE", "LimitRSS", "LimitNOFILE",
                "LimitAS", "LimitNPROC", "LimitMEMLOCK", "LimitLOCKS", "LimitSIGPENDING", "LimitMSGQUEUE",
                "LimitNICE", "LimitRTPRIO", "LimitRTTIME",
        };
        for (size_t i = 0; i < ELEMENTSOF(all); i++) {
                char e[128];
                snprintf(e, sizeof e, "%s=t:10;%sSoft=t:10;", all[i], all[i]);
                check_ok(all[i], "10", e);
                snprintf(e, sizeof e, "%s=t:max;%sSoft=t:max;", all[i], all[i]);
                check_ok(all[i], "infinity", e);
                check_bad(all[i], "ten", all[i]);
                check_bad(all[i], "20:10", "SOFT <= HARD");
        }
}

TEST(umask) {
        check_ok("UMask", "0022", "UMask=u:18;");
        check_ok("UMask", "077", "UMask=u:63;");
        check_ok("UMask", "0", "UMask=u:0;");
        check_bad("UMask", "0888", "octal mode");
        check_bad("UMask", "1777", "octal mode");
        check_bad("UMask", "00022", "octal mode");
        check_bad("UMask", "u=rwx", "octal mode");
}

TEST(users) {
        check_ok("User", "nobody", "User=s:nobody;");
        check_ok("User", "1000", "User=s:1000;");
        check_ok("Group", "www-data", "Group=s:www-data;");
        check_bad("User", "-root", "user or group name");
        check_bad("User", "a b", "user or group name");
        check_bad("Group", "x/y", "user or group name");
        check_bad("User", "averyveryveryveryverylongusername", "user or group name");
        check_ok("SupplementaryGroups", "audio video", "SupplementaryGroups=as:audio,video;");
        check_ok("SupplementaryGroups", " audio ", "SupplementaryGroups=as:audio;");
        check_bad("SupplementaryGroups", "audio vi:deo", "group names");
        check_bad("SupplementaryGroups", "   ", "group names");
        ASSERT_TRUE(unit_xprop_system_only("User"));
        ASSERT_TRUE(unit_xprop_system_only("Group"));
        ASSERT_TRUE(unit_xprop_system_only("SupplementaryGroups"));
        ASSERT_FALSE(unit_xprop_system_only("Nice"));
        ASSERT_FALSE(unit_xprop_system_only(NULL));
}

TEST(booleans) {
        static const char * const names[] = {
                "PrivateTmp", "PrivateDevices", "PrivateNetwork", "NoNewPrivileges", "ProtectKernelTunables",
                "ProtectKernelModules", "ProtectControlGroups", "RestrictRealtime", "LockPersonality",
                "MemoryDenyWriteExecute",
        };
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                char e[64], f[64];
                snprintf(e, sizeof e, "%s=b:yes;", names[i]);
                snprintf(f, sizeof f, "%s=b:no;", names[i]);
                check_ok(names[i], "yes", e);
                check_ok(names[i], "true", e);
                check_ok(names[i], "On", e);
                check_ok(names[i], "1", e);
                check_ok(names[i], "no", f);
                check_ok(names[i], "false", f);
                check_ok(names[i], "0", f);
                check_bad(names[i], "maybe", "must be a boolean");
                check_bad(names[i], "2", "must be a boolean");
        }
}

TEST(protect) {
        check_ok("ProtectSystem", "strict", "ProtectSystem=s:strict;");
        check_ok("ProtectSystem", "full", "ProtectSystem=s:full;");
        check_ok("ProtectSystem", "true", "ProtectSystem=s:yes;");
        check_ok("ProtectSystem", "no", "ProtectSystem=s:no;");
        check_bad("ProtectSystem", "read-only", "one of: no yes full strict");
        check_ok("ProtectHome", "read-only", "ProtectHome=s:read-only;");
        check_ok("ProtectHome", "tmpfs", "ProtectHome=s:tmpfs;");
        check_ok("ProtectHome", "off", "ProtectHome=s:no;");
        check_bad("ProtectHome", "strict", "one of: no yes read-only tmpfs");
}

TEST(paths) {
        static const char * const names[] = { "ReadOnlyPaths", "ReadWritePaths", "InaccessiblePaths" };
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                char e[128];
                snprintf(e, sizeof e, "%s=as:/etc,-/var/lib/x,+/srv;", names[i]);
                check_ok(names[i], "/etc  -/var/lib/x\t+/srv", e);
                check_bad(names[i], "etc", "absolute paths");
                check_bad(names[i], "/a \"/b c\"", "absolute paths");
                check_bad(names[i], "-", "absolute paths");
        }
}

TEST(timespans) {
        check_ok("RuntimeMaxSec", "90", "RuntimeMaxUSec=t:90000000;");
        check_ok("RuntimeMaxSec", "1min 30s", "RuntimeMaxUSec=t:90000000;");
        check_ok("RuntimeMaxSec", "1h30min", "RuntimeMaxUSec=t:5400000000;");
        check_ok("RuntimeMaxSec", "1.5s", "RuntimeMaxUSec=t:1500000;");
        check_ok("RuntimeMaxSec", "250ms", "RuntimeMaxUSec=t:250000;");
        check_ok("RuntimeMaxSec", "2 weeks", "RuntimeMaxUSec=t:1209600000000;");
        check_ok("RuntimeMaxSec", "infinity", "RuntimeMaxUSec=t:max;");
        check_bad("RuntimeMaxSec", "0", "non-zero time span");
        check_bad("RuntimeMaxSec", "5 fortnights", "time span");
        check_bad("RuntimeMaxSec", "1.2.3s", "time span");
        check_bad("RuntimeMaxSec", "min", "time span");
        check_bad("RuntimeMaxSec", "-5", "time span");
        check_ok("TimeoutStartSec", "10s", "TimeoutStartUSec=t:10000000;");
        check_ok("TimeoutStartSec", "0", "TimeoutStartUSec=t:max;");
        check_ok("TimeoutStartSec", "infinity", "TimeoutStartUSec=t:max;");
        check_bad("TimeoutStartSec", "soon", "time span");
        check_bad("RuntimeMaxUSec", "5", "use the unit-file name with seconds ('RuntimeMaxSec')");
        check_bad("TimeoutStartUSec", "5", "'TimeoutStartSec'");
}

TEST(denied) {
        static const struct { const char *key, *why; } rows[] = {
                { "Environment", "pcctl computes the full environment" },
                { "EnvironmentFile", "env_file" },
                { "UnsetEnvironment", "environment" },
                { "PassEnvironment", "environment" },
                { "ExecStart", "'command' or 'entrypoint'" },
                { "ExecStartEx", "command" },
                { "ExecStartPre", "command" },
                { "ExecStartPost", "command" },
                { "ExecCondition", "command" },
                { "ExecReload", "command" },
                { "ExecStop", "shutdown.command" },
                { "ExecStopPost", "shutdown.command" },
                { "Type", "service type" },
                { "ExitType", "is_daemon" },
                { "RemainAfterExit", "service type" },
                { "Restart", "availability" },
                { "RestartSec", "availability" },
                { "StartLimitBurst", "restarts" },
                { "StartLimitIntervalSec", "restarts" },
                { "SuccessExitStatus", "success_exit_codes" },
                { "KillMode", "shutdown" },
                { "KillSignal", "shutdown" },
                { "TimeoutStopSec", "shutdown" },
                { "TimeoutSec", "shutdown" },
                { "SendSIGKILL", "shutdown" },
                { "FinalKillSignal", "shutdown" },
                { "SyslogIdentifier", "journal" },
                { "StandardOutput", "journal" },
                { "StandardError", "journal" },
                { "StandardInput", "/dev/null" },
                { "Slice", "project's slice" },
                { "WorkingDirectory", "working_dir" },
                { "Description", "names the process" },
                { "IgnoreSIGPIPE", "SIGPIPE" },
                { "Wants", "depends_on" },
                { "Requires", "depends_on" },
                { "Requisite", "depends_on" },
                { "BindsTo", "depends_on" },
                { "PartOf", "depends_on" },
                { "After", "depends_on" },
                { "Before", "depends_on" },
                { "Conflicts", "depends_on" },
                { "OnFailure", "depends_on" },
                { "OnSuccess", "depends_on" },
        };
        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                char prefix[128];
                snprintf(prefix, sizeof prefix, "x-systemd: '%s' cannot be set: ", rows[i].key);
                check_bad(rows[i].key, "anything", prefix);
                check_bad(rows[i].key, "anything", rows[i].why);
        }
        check_bad("Environment", "A=1", "x-systemd: 'Environment' cannot be set: pcctl computes the full "
                  "environment; use 'environment' or 'env_file'");
}

TEST(unknown_and_limits) {
        _cleanup_free_ char *error = NULL;

        check_bad("MemMax", "1G", "x-systemd: unknown property 'MemMax'");
        check_bad("memorymax", "1G", "unknown property 'memorymax' (did you mean 'MemoryMax'?)");
        check_bad("", "1", "empty property name");
        check_bad("Mem\nMax", "1", "unknown property 'Mem\\x0aMax'");
        char longkey[200];
        memset(longkey, 'A', sizeof longkey - 1);
        longkey[sizeof longkey - 1] = 0;
        check_bad(longkey, "1", "too long");

        char *longval = malloc(UNIT_XPROP_VALUE_MAX + 2);
        ASSERT_NOT_NULL(longval);
        memset(longval, '1', UNIT_XPROP_VALUE_MAX + 1);
        longval[UNIT_XPROP_VALUE_MAX + 1] = 0;
        check_bad("MemoryMax", longval, "too long");
        free(longval);

        check_bad("Nice", "1\n", "control characters, got \"1\\x0a\"");
        /* D-Bus strings are UTF-8: a path with a stray byte is refused at load time, not by sd-bus later */
        check_bad("ReadOnlyPaths", "/\xdd\xdd", "must be valid UTF-8");
        check_bad("User", "\xc0\xaf", "must be valid UTF-8");            /* overlong '/' */
        check_bad("User", "\xed\xa0\x80", "must be valid UTF-8");       /* a surrogate */
        check_ok("ReadOnlyPaths", "/srv/caf\xc3\xa9", "ReadOnlyPaths=as:/srv/caf\xc3\xa9;");
        check_bad("MemoryMax", NULL, "must not be empty");

        /* a hostile value is escaped and cut in the message */
        ASSERT_ERROR(unit_xprop_validate("Nice", "\"\\\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                                         &error), EINVAL);
        ASSERT_TRUE(strstr(error, "got \"\\\"\\\\\\\"aaa") != NULL);
        ASSERT_TRUE(strstr(error, "...\"") != NULL);

        /* validate without ret_error still answers */
        ASSERT_ERROR(unit_xprop_validate("Nice", "x", NULL), EINVAL);
        ASSERT_OK(unit_xprop_validate("Nice", "1", NULL));
}

TEST(append_into_message) {
        /* several properties into one a(sv), as StartTransientUnit gets them */
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;

        ASSERT_OK(sd_bus_message_new_method_call(get_bus(), &m, "org.freedesktop.systemd1",
                                                 "/org/freedesktop/systemd1",
                                                 "org.freedesktop.systemd1.Manager", "StartTransientUnit"));
        ASSERT_OK(sd_bus_message_append(m, "ss", "x.service", "fail"));
        ASSERT_OK(sd_bus_message_open_container(m, 'a', "(sv)"));
        /* exactly 0 on success, as documented (sd_bus_message_append() itself may return 1) */
        ASSERT_EQ(unit_xprop_append(m, "MemoryMax", "64M"), 0);
        ASSERT_EQ(unit_xprop_append(m, "CPUQuota", "25%"), 0);
        ASSERT_EQ(unit_xprop_append(m, "LimitNOFILE", "512:1024"), 0);
        ASSERT_EQ(unit_xprop_append(m, "SupplementaryGroups", "a b"), 0);
        ASSERT_EQ(unit_xprop_append(m, "Nice", "1"), 0);
        ASSERT_EQ(unit_xprop_append(m, "PrivateTmp", "yes"), 0);
        ASSERT_ERROR(unit_xprop_append(m, "Nice", "99"), EINVAL);
        ASSERT_ERROR(unit_xprop_append(m, "Environment", "A=1"), EINVAL);
        ASSERT_OK(sd_bus_message_close_container(m));
        ASSERT_OK(sd_bus_message_append(m, "a(sa(sv))", 0));
        ASSERT_OK(sd_bus_message_seal(m, 2, 0));
        ASSERT_STREQ(sd_bus_message_get_signature(m, true), "ssa(sv)a(sa(sv))");
}

DEFINE_TEST_MAIN();
