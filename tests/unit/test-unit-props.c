/* The StartTransientUnit property array, built without a manager: the message is created on a bus over
 * one end of a socketpair that never talks to anyone, sealed, and read back. */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/socket.h>

#include <systemd/sd-bus.h>

#include "shared/strv.h"
#include "tests.h"
#include "unit/unit-driver.h"

static sd_bus *bus;
static int peer = -EBADF;

static void bus_setup(void) {
        int fds[2];

        if (bus)
                return;
        ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
        ASSERT_OK(sd_bus_new(&bus));
        ASSERT_OK(sd_bus_set_fd(bus, fds[0], fds[0]));
        ASSERT_OK(sd_bus_start(bus));
        peer = fds[1];
}

typedef struct Props {
        char *type, *exit_type, *slice, *description, *wd, *ident, *kill_mode;
        char *exec_path, **exec_argv, **exec_flags, **stop_post_argv, **stop_post_flags;
        char **env, **search;
        int32_t kill_signal;
        uint64_t timeout_stop, start_limit;
        int send_sigkill, ignore_sigpipe;
        bool has_timeout, has_start_limit, has_sigpipe, has_env;
        uint64_t memory_max;
        int32_t nice;
        char *tty_path;
        int n_tty_fds;
        int n_tty_opens;              /* Standard*=tty: systemd opens TTYPath */
        int memory_accounting, cpu_accounting;
        bool has_memory_accounting, has_cpu_accounting;
        char *last_key;
        unsigned n;
} Props;

static void props_done(Props *p) {
        free(p->type); free(p->exit_type); free(p->slice); free(p->description); free(p->wd);
        free(p->ident); free(p->kill_mode); free(p->exec_path); free(p->last_key); free(p->tty_path);
        strv_free(p->exec_argv); strv_free(p->exec_flags);
        strv_free(p->stop_post_argv); strv_free(p->stop_post_flags); strv_free(p->env); strv_free(p->search);
}

static void read_str(sd_bus_message *m, char **ret) {
        const char *s;

        ASSERT_OK(sd_bus_message_read(m, "v", "s", &s));
        *ret = strdup(s);
}

static void read_strv(sd_bus_message *m, const char *sig, char ***ret) {
        ASSERT_OK(sd_bus_message_enter_container(m, 'v', sig));
        ASSERT_OK(sd_bus_message_read_strv(m, ret));
        ASSERT_OK(sd_bus_message_exit_container(m));
}

static int build(const UnitSpec *spec, Props *p) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        bus_setup();
        *p = (Props) {};
        ASSERT_OK(sd_bus_message_new_method_call(bus, &m, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                                 "org.freedesktop.systemd1.Manager", "StartTransientUnit"));
        r = unit_spec_append_properties(m, spec);
        if (r < 0)
                return r;
        ASSERT_OK(sd_bus_message_seal(m, 1, 0));
        ASSERT_OK(sd_bus_message_rewind(m, true));

        ASSERT_OK(sd_bus_message_enter_container(m, 'a', "(sv)"));
        for (;;) {
                const char *key;

                r = sd_bus_message_enter_container(m, 'r', "sv");
                ASSERT_OK(r);
                if (r == 0)
                        break;
                p->n++;
                ASSERT_OK(sd_bus_message_read(m, "s", &key));
                free(p->last_key);
                p->last_key = strdup(key);
                if (streq(key, "Type"))
                        read_str(m, &p->type);
                else if (streq(key, "ExitType"))
                        read_str(m, &p->exit_type);
                else if (streq(key, "Slice"))
                        read_str(m, &p->slice);
                else if (streq(key, "Description"))
                        read_str(m, &p->description);
                else if (streq(key, "WorkingDirectory"))
                        read_str(m, &p->wd);
                else if (streq(key, "SyslogIdentifier"))
                        read_str(m, &p->ident);
                else if (streq(key, "KillMode"))
                        read_str(m, &p->kill_mode);
                else if (streq(key, "Environment")) {
                        read_strv(m, "as", &p->env);
                        p->has_env = true;
                }
                else if (streq(key, "ExecSearchPath"))
                        read_strv(m, "as", &p->search);
                else if (streq(key, "KillSignal"))
                        ASSERT_OK(sd_bus_message_read(m, "v", "i", &p->kill_signal));
                else if (streq(key, "TimeoutStopUSec")) {
                        ASSERT_OK(sd_bus_message_read(m, "v", "t", &p->timeout_stop));
                        p->has_timeout = true;
                } else if (streq(key, "StartLimitIntervalUSec")) {
                        ASSERT_OK(sd_bus_message_read(m, "v", "t", &p->start_limit));
                        p->has_start_limit = true;
                } else if (streq(key, "SendSIGKILL"))
                        ASSERT_OK(sd_bus_message_read(m, "v", "b", &p->send_sigkill));
                else if (streq(key, "IgnoreSIGPIPE")) {
                        ASSERT_OK(sd_bus_message_read(m, "v", "b", &p->ignore_sigpipe));
                        p->has_sigpipe = true;
                } else if (streq(key, "ExecStartEx")) {
                        const char *path;

                        ASSERT_OK(sd_bus_message_enter_container(m, 'v', "a(sasas)"));
                        ASSERT_OK(sd_bus_message_enter_container(m, 'a', "(sasas)"));
                        ASSERT_OK(sd_bus_message_enter_container(m, 'r', "sasas"));
                        ASSERT_OK(sd_bus_message_read(m, "s", &path));
                        p->exec_path = strdup(path);
                        ASSERT_OK(sd_bus_message_read_strv(m, &p->exec_argv));
                        ASSERT_OK(sd_bus_message_read_strv(m, &p->exec_flags));
                        ASSERT_OK(sd_bus_message_exit_container(m));
                        /* exactly one command */
                        ASSERT_EQ(sd_bus_message_enter_container(m, 'r', "sasas"), 0);
                        ASSERT_OK(sd_bus_message_exit_container(m));
                        ASSERT_OK(sd_bus_message_exit_container(m));
                } else if (streq(key, "ExecStopPostEx")) {
                        const char *path;

                        ASSERT_OK(sd_bus_message_enter_container(m, 'v', "a(sasas)"));
                        ASSERT_OK(sd_bus_message_enter_container(m, 'a', "(sasas)"));
                        ASSERT_OK(sd_bus_message_enter_container(m, 'r', "sasas"));
                        ASSERT_OK(sd_bus_message_read(m, "s", &path));
                        ASSERT_OK(sd_bus_message_read_strv(m, &p->stop_post_argv));
                        ASSERT_STREQ(path, p->stop_post_argv[0]);
                        ASSERT_OK(sd_bus_message_read_strv(m, &p->stop_post_flags));
                        ASSERT_OK(sd_bus_message_exit_container(m));
                        ASSERT_EQ(sd_bus_message_enter_container(m, 'r', "sasas"), 0);
                        ASSERT_OK(sd_bus_message_exit_container(m));
                        ASSERT_OK(sd_bus_message_exit_container(m));
                } else if (streq(key, "MemoryAccounting")) {
                        ASSERT_OK(sd_bus_message_read(m, "v", "b", &p->memory_accounting));
                        p->has_memory_accounting = true;
                } else if (streq(key, "CPUAccounting")) {
                        ASSERT_OK(sd_bus_message_read(m, "v", "b", &p->cpu_accounting));
                        p->has_cpu_accounting = true;
                } else if (streq(key, "MemoryMax"))
                        ASSERT_OK(sd_bus_message_read(m, "v", "t", &p->memory_max));
                else if (streq(key, "Nice"))
                        ASSERT_OK(sd_bus_message_read(m, "v", "i", &p->nice));
                else if (streq(key, "TTYPath"))
                        read_str(m, &p->tty_path);
                else if (streq(key, "StandardInput") || streq(key, "StandardOutput") ||
                         streq(key, "StandardError")) {
                        const char *v;

                        ASSERT_OK(sd_bus_message_read(m, "v", "s", &v));
                        ASSERT_STREQ(v, streq(key, "StandardInput") ? "tty-fail" : "tty");
                        p->n_tty_opens++;
                }
                else if (streq(key, "StandardInputFileDescriptor") || streq(key, "StandardOutputFileDescriptor") ||
                         streq(key, "StandardErrorFileDescriptor")) {
                        int fd;

                        ASSERT_OK(sd_bus_message_read(m, "v", "h", &fd));
                        ASSERT_TRUE(isatty(fd));
                        p->n_tty_fds++;
                } else
                        TEST_FAIL("unexpected property %s", key);
                ASSERT_OK(sd_bus_message_exit_container(m));
        }
        ASSERT_OK(sd_bus_message_exit_container(m));
        return 0;
}

static char *argv_sh[] = { (char *) "/bin/sh", (char *) "-c", (char *) "echo $HOME", NULL };
static char *env_basic[] = { (char *) "A=1", (char *) "PATH=/opt/x:rel:/usr/bin:/opt/x", NULL };

static UnitSpec base_spec(void) {
        return (UnitSpec) {
                .unit = "pcctl-p-web.service",
                .slice = "pcctl-p.slice",
                .description = "pcctl p/web",
                .syslog_identifier = "pcctl-p-web",
                .argv = argv_sh,
                .environment = env_basic,
                .working_directory = "/srv",
                .kill_signal = SIGINT,
                .timeout_stop = 7 * USEC_PER_SEC,
                .send_sigkill = true,
                .kill_mode = UNIT_KILL_CONTROL_GROUP,
        };
}

TEST(exec_stop_post) {
        char *post[] = { (char *) "/usr/lib/pcctl/pcctl-exec", (char *) "__exited", (char *) "/run/x/u.exit", NULL };
        UnitSpec s = base_spec();
        Props p;

        ASSERT_OK(build(&s, &p));
        ASSERT_NULL(p.stop_post_argv);
        props_done(&p);

        s.exec_stop_post = post;
        ASSERT_OK(build(&s, &p));
        ASSERT_UEQ(strv_length(p.stop_post_argv), 3u);
        ASSERT_STREQ(p.stop_post_argv[2], "/run/x/u.exit");
        /* $VAR in the path is not expanded, and a failure of the recorder does not fail the unit */
        ASSERT_UEQ(strv_length(p.stop_post_flags), 2u);
        ASSERT_STREQ(p.stop_post_flags[0], "no-env-expand");
        ASSERT_STREQ(p.stop_post_flags[1], "ignore-failure");
        props_done(&p);
}

TEST(all_properties) {
        UnitSpec s = base_spec();
        Props p;

        ASSERT_OK(build(&s, &p));
        ASSERT_STREQ(p.type, "exec");
        ASSERT_NULL(p.exit_type);
        ASSERT_STREQ(p.slice, "pcctl-p.slice");
        ASSERT_STREQ(p.description, "pcctl p/web");
        ASSERT_STREQ(p.wd, "/srv");
        ASSERT_STREQ(p.ident, "pcctl-p-web");
        ASSERT_STREQ(p.kill_mode, "control-group");
        ASSERT_EQ(p.kill_signal, SIGINT);
        ASSERT_TRUE(p.has_timeout);
        ASSERT_UEQ(p.timeout_stop, 7 * USEC_PER_SEC);
        ASSERT_TRUE(p.send_sigkill);
        ASSERT_TRUE(p.has_start_limit);
        ASSERT_UEQ(p.start_limit, 0);
        ASSERT_TRUE(p.has_sigpipe);
        ASSERT_FALSE(p.ignore_sigpipe);
        ASSERT_STREQ(p.exec_path, "/bin/sh");
        ASSERT_EQ(strv_length(p.exec_argv), 3u);
        ASSERT_STREQ(p.exec_argv[2], "echo $HOME");
        ASSERT_EQ(strv_length(p.exec_flags), 1u);
        ASSERT_STREQ(p.exec_flags[0], "no-env-expand");
        ASSERT_EQ(strv_length(p.env), 2u);
        ASSERT_STREQ(p.env[1], "PATH=/opt/x:rel:/usr/bin:/opt/x");
        /* absolute argv[0]: no search path needed */
        ASSERT_NULL(p.search);
        /* no accounting asked for: the manager's defaults */
        ASSERT_FALSE(p.has_memory_accounting);
        ASSERT_FALSE(p.has_cpu_accounting);
        props_done(&p);
}

TEST(accounting) {
        UnitSpec s = base_spec();
        Props p;

        s.accounting = true;
        ASSERT_OK(build(&s, &p));
        ASSERT_TRUE(p.has_memory_accounting);
        ASSERT_TRUE(p.memory_accounting);
        ASSERT_TRUE(p.has_cpu_accounting);
        ASSERT_TRUE(p.cpu_accounting);
        props_done(&p);
}

TEST(bare_name_gets_search_path) {
        char *argv[] = { (char *) "node", (char *) "server.js", NULL };
        UnitSpec s = base_spec();
        Props p;

        s.argv = argv;
        s.kill_mode = UNIT_KILL_MIXED;
        s.exit_type_cgroup = true;
        s.timeout_stop = USEC_INFINITY;
        s.kill_signal = 0;
        ASSERT_OK(build(&s, &p));
        ASSERT_STREQ(p.exec_path, "node");
        /* absolute entries only, first occurrence kept */
        ASSERT_EQ(strv_length(p.search), 2u);
        ASSERT_STREQ(p.search[0], "/opt/x");
        ASSERT_STREQ(p.search[1], "/usr/bin");
        ASSERT_STREQ(p.kill_mode, "mixed");
        ASSERT_STREQ(p.exit_type, "cgroup");
        ASSERT_UEQ(p.timeout_stop, UINT64_MAX);
        ASSERT_EQ(p.kill_signal, SIGTERM);
        props_done(&p);
}

TEST(empty_environment_is_still_sent) {
        UnitSpec s = base_spec();
        Props p;

        s.environment = NULL;
        s.working_directory = NULL;
        s.description = NULL;
        ASSERT_OK(build(&s, &p));
        /* sent, and empty: the unit must not inherit the manager's environment */
        ASSERT_TRUE(p.has_env);
        ASSERT_EQ(strv_length(p.env), 0u);
        ASSERT_NULL(p.wd);
        ASSERT_NULL(p.description);
        ASSERT_EQ(p.n, 11u);
        props_done(&p);
}

TEST(terminal) {
        UnitSpec s = base_spec();
        const char *field = NULL;
        char path[64];
        int master, tty;
        Props p;

        /* a terminal without a path is refused */
        s.tty = true;
        s.tty_fd = -EBADF;
        ASSERT_ERROR(unit_spec_validate(&s, &field), EINVAL);
        ASSERT_STREQ(field, "TTYPath");
        s.tty_path = "pts/3";
        ASSERT_ERROR(unit_spec_validate(&s, &field), EINVAL);

        /* a path without an fd: systemd opens it at every run (a timer's service) */
        s.tty_path = "/dev/pts/3";
        ASSERT_OK(build(&s, &p));
        ASSERT_STREQ(p.tty_path, "/dev/pts/3");
        ASSERT_EQ(p.n_tty_fds, 0);
        ASSERT_EQ(p.n_tty_opens, 3);
        props_done(&p);

        master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        ASSERT_TRUE(master >= 0);
        ASSERT_EQ(grantpt(master), 0);
        ASSERT_EQ(unlockpt(master), 0);
        ASSERT_EQ(ptsname_r(master, path, sizeof(path)), 0);
        tty = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
        ASSERT_TRUE(tty >= 0);
        s.tty_path = path;
        s.tty_fd = tty;
        ASSERT_OK(build(&s, &p));
        ASSERT_STREQ(p.tty_path, path);
        ASSERT_EQ(p.n_tty_fds, 3);
        ASSERT_EQ(p.n_tty_opens, 0);
        props_done(&p);
        close(tty);
        close(master);
}

TEST(bad_specs) {
        char *no_argv[] = { NULL };
        char *empty_argv0[] = { (char *) "", NULL };
        UnitSpec s;
        const char *field = NULL;
        Props p;

        s = base_spec();
        s.argv = no_argv;
        ASSERT_ERROR(unit_spec_validate(&s, &field), EINVAL);
        ASSERT_STREQ(field, "ExecStartEx");
        ASSERT_ERROR(build(&s, &p), EINVAL);

        s = base_spec();
        s.argv = empty_argv0;
        ASSERT_ERROR(unit_spec_validate(&s, &field), EINVAL);

        s = base_spec();
        s.unit = "pcctl-p-web.slice";
        ASSERT_ERROR(unit_spec_validate(&s, &field), EINVAL);
        ASSERT_STREQ(field, "unit");

        s = base_spec();
        s.unit = "no spaces.service";
        ASSERT_ERROR(unit_spec_validate(&s, &field), EINVAL);

        s = base_spec();
        s.slice = "pcctl-p.service";
        ASSERT_ERROR(unit_spec_validate(&s, &field), EINVAL);
        ASSERT_STREQ(field, "Slice");

        s = base_spec();
        s.kill_mode = _UNIT_KILL_MODE_MAX;
        ASSERT_ERROR(unit_spec_validate(&s, &field), EINVAL);
        ASSERT_STREQ(field, "KillMode");

        s = base_spec();
        s.n_extra = 1;
        s.extra = NULL;
        ASSERT_ERROR(unit_spec_validate(&s, &field), EINVAL);
        ASSERT_STREQ(field, "x-systemd");
}

TEST(argv_limit) {
        char **many = NULL;
        UnitSpec s = base_spec();
        const char *field = NULL;

        for (unsigned i = 0; i < 4097; i++)
                ASSERT_OK(strv_extend(&many, "x"));
        s.argv = many;
        ASSERT_ERROR(unit_spec_validate(&s, &field), EINVAL);
        ASSERT_STREQ(field, "ExecStartEx");
        strv_free(many);
}

TEST(x_systemd_appended_last) {
        const UnitExtraProperty extra[] = { { "MemoryMax", "512M" }, { "Nice", "5" } };
        UnitSpec s = base_spec();
        Props p;

        s.extra = extra;
        s.n_extra = ELEMENTSOF(extra);
        ASSERT_OK(build(&s, &p));
        ASSERT_UEQ(p.memory_max, 512ULL * 1024 * 1024);
        ASSERT_EQ(p.nice, 5);
        ASSERT_STREQ(p.last_key, "Nice");
        ASSERT_EQ(p.n, 15u);
        props_done(&p);
}

TEST(x_systemd_bad_key_named) {
        const UnitExtraProperty typo[] = { { "MemMax", "1G" } };
        const UnitExtraProperty ours[] = { { "Nice", "1" }, { "KillMode", "process" } };
        const UnitExtraProperty bad_value[] = { { "MemoryMax", "lots" } };
        const char *field = NULL;
        UnitSpec s = base_spec();
        Props p;

        s.extra = typo;
        s.n_extra = 1;
        ASSERT_ERROR(unit_spec_validate(&s, &field), EINVAL);
        ASSERT_STREQ(field, "MemMax");
        ASSERT_ERROR(build(&s, &p), EINVAL);

        /* pcctl's own properties cannot be overridden */
        s.extra = ours;
        s.n_extra = 2;
        ASSERT_ERROR(unit_spec_validate(&s, &field), EINVAL);
        ASSERT_STREQ(field, "KillMode");

        s.extra = bad_value;
        s.n_extra = 1;
        ASSERT_ERROR(unit_spec_validate(&s, &field), EINVAL);
        ASSERT_STREQ(field, "MemoryMax");
}

static void teardown(void) {
        bus = sd_bus_close_unref(bus); /* never flush: nobody will ever answer the auth */
        peer = safe_close(peer);
}

int main(int argc, char **argv) {
        int r = tests_run_main(argc, argv);

        teardown();
        return r;
}
