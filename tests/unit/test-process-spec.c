/* Golden tests of the compose → UnitSpec mapping (src/core/process-spec.c): argv through the __exec wrapper,
 * the environment in order, working directories, stop properties, x-systemd extras, the shutdown.command
 * unit, probe configs and log locations. No systemd, no files: the project is loaded from text with a
 * working directory that need not exist. */
#include <signal.h>

#include "compose/compose.h"
#include "core/process-spec.h"
#include "shared/strv.h"
#include "tests.h"

#define STRV_MAKE(...) ((char *[]) { __VA_ARGS__, NULL })
#define PROJECT_DIR "/srv/app"
#define EXEC_PATH "/usr/libexec/pcctl-exec"

static ComposeProject *load(const char *text) {
        ComposeLoadOptions o = { .disable_dotenv = true };
        ComposeProject *p = NULL;
        ComposeError e = {};

        ASSERT_NOT_NULL(o.working_directory = strdup(PROJECT_DIR));
        ASSERT_NOT_NULL(o.environ = strv_copy(STRV_MAKE("PATH=/usr/bin:/bin")));
        if (compose_load_string(text, strlen(text), "process-compose.yaml", &o, &p, &e) < 0) {
                _cleanup_free_ char *m = compose_error_format(&e);
                TEST_FAIL("load failed: %s", strempty(m));
        }
        compose_load_options_done(&o);
        return p;
}

static const ComposeProcess *get(const ComposeProject *p, const char *name) {
        for (size_t i = 0; i < p->n_processes; i++)
                if (streq(p->processes[i]->name, name))
                        return p->processes[i];
        TEST_FAIL("no process %s", name);
}

static ProcessSpecInput input(const ComposeProject *p, const char *name, char * const *os_environ) {
        const ComposeProcess *c = get(p, name);

        return (ProcessSpecInput) {
                .project = p,
                .process = c,
                .replica_num = c->replica_num >= 0 ? (unsigned) c->replica_num : 0,
                .name = c->name,
                .unit = "pcctl-demo-x.service",
                .slice = "pcctl-demo.slice",
                .ident = "pcctl-demo-x",
                .exec_path = EXEC_PATH,
                .os_environ = os_environ,
                .scope = UNIT_MANAGER_USER,
        };
}

static void assert_strv(char * const *got, char * const *want) {
        size_t i = 0;

        for (; got && got[i] && want[i]; i++)
                if (!streq(got[i], want[i]))
                        TEST_FAIL("entry %zu: \"%s\" != \"%s\"", i, got[i], want[i]);
        if ((got && got[i]) || want[i])
                TEST_FAIL("length differs at entry %zu: got \"%s\", want \"%s\"", i,
                          got && got[i] ? got[i] : "(end)", want[i] ?: "(end)");
}

/* Builds the spec of process name and checks that it succeeded. */
static void build(const ComposeProject *p, const char *name, ProcessSpecKind kind, ProcessSpec *ret) {
        ProcessSpecInput in = input(p, name, NULL);
        _cleanup_free_ char *reason = NULL;
        int r = process_spec_build(&in, kind, ret, &reason);

        if (r < 0)
                TEST_FAIL("building %s: %s (%s)", name, strerror(-r), strempty(reason));
}

TEST(argv_command_runs_through_the_shell_behind_the_wrapper) {
        _cleanup_(compose_project_freep) ComposeProject *p = load(
                "processes:\n"
                "  x:\n"
                "    command: \"echo hi && sleep 1\"\n");
        _cleanup_(process_spec_done) ProcessSpec s = {};

        build(p, "x", PROCESS_SPEC_RUN, &s);
        assert_strv(s.unit.argv, STRV_MAKE(EXEC_PATH, "__exec", "pcctl-demo-x", "--", "bash", "-c",
                                           "echo hi && sleep 1"));
        ASSERT_STREQ(s.unit.unit, "pcctl-demo-x.service");
        ASSERT_STREQ(s.unit.slice, "pcctl-demo.slice");
        ASSERT_STREQ(s.unit.syslog_identifier, "pcctl-demo-x");
        ASSERT_TRUE(startswith(s.unit.description, "pcctl " "app" ": x [spec "));
        ASSERT_EQ(strlen(s.unit.description), strlen("pcctl app: x [spec 0123456789abcdef]"));
}

TEST(foreground_stdio_without_the_wrapper) {
        _cleanup_(compose_project_freep) ComposeProject *p = load(
                "processes:\n"
                "  x:\n"
                "    command: \"echo hi\"\n"
                "    shutdown:\n"
                "      command: \"echo bye\"\n");
        _cleanup_(process_spec_done) ProcessSpec s = {}, down = {};
        static const int fds[3] = { 0, 1, 2 };
        ProcessSpecInput in = input(p, "x", NULL);

        /* `pcctl run`: the caller's stdio, so no stderr wrapper into the journal */
        in.stdio_fds = fds;
        ASSERT_OK(process_spec_build(&in, PROCESS_SPEC_RUN, &s, NULL));
        assert_strv(s.unit.argv, STRV_MAKE("bash", "-c", "echo hi"));
        ASSERT_TRUE(s.unit.stdio_fds == fds);
        /* its shutdown.command is an ordinary unit */
        ASSERT_OK(process_spec_build(&in, PROCESS_SPEC_SHUTDOWN, &down, NULL));
        assert_strv(down.unit.argv, STRV_MAKE(EXEC_PATH, "__exec", "pcctl-demo-x", "--", "bash", "-c", "echo bye"));
        ASSERT_NULL(down.unit.stdio_fds);
}

TEST(argv_uses_the_project_shell) {
        _cleanup_(compose_project_freep) ComposeProject *p = load(
                "shell:\n"
                "  shell_command: sh\n"
                "  shell_argument: -ec\n"
                "processes:\n"
                "  x:\n"
                "    command: \"true\"\n");
        _cleanup_(process_spec_done) ProcessSpec s = {};

        build(p, "x", PROCESS_SPEC_RUN, &s);
        assert_strv(s.unit.argv, STRV_MAKE(EXEC_PATH, "__exec", "pcctl-demo-x", "--", "sh", "-ec", "true"));
}

TEST(argv_entrypoint_is_executed_directly) {
        _cleanup_(compose_project_freep) ComposeProject *p = load(
                "processes:\n"
                "  x:\n"
                "    entrypoint: [\"/usr/bin/env\", \"A=1\", \"printenv\", \"A\"]\n");
        _cleanup_(process_spec_done) ProcessSpec s = {};

        build(p, "x", PROCESS_SPEC_RUN, &s);
        assert_strv(s.unit.argv, STRV_MAKE(EXEC_PATH, "__exec", "pcctl-demo-x", "--", "/usr/bin/env", "A=1",
                                           "printenv", "A"));
}

TEST(argv_executable_and_args_as_given) {
        _cleanup_(compose_project_freep) ComposeProject *p = load(
                "processes:\n"
                "  x:\n"
                "    command: unused\n");
        ComposeProcess *c = (ComposeProcess *) get(p, "x");
        _cleanup_(process_spec_done) ProcessSpec s = {};

        /* what a REST update installs: executable and args only */
        free(c->executable);
        ASSERT_NOT_NULL(c->executable = strdup("prog"));
        strv_free(c->args);
        ASSERT_NOT_NULL(c->args = strv_copy(STRV_MAKE("--flag", "two words")));
        build(p, "x", PROCESS_SPEC_RUN, &s);
        assert_strv(s.unit.argv, STRV_MAKE(EXEC_PATH, "__exec", "pcctl-demo-x", "--", "prog", "--flag",
                                           "two words"));
}

TEST(argv_nothing_to_run_is_an_error_with_a_reason) {
        _cleanup_(compose_project_freep) ComposeProject *p = load(
                "processes:\n"
                "  x:\n"
                "    command: unused\n");
        ComposeProcess *c = (ComposeProcess *) get(p, "x");
        ProcessSpecInput in = input(p, "x", NULL);
        _cleanup_(process_spec_done) ProcessSpec s = {};
        _cleanup_free_ char *reason = NULL;

        c->executable = mfree(c->executable);
        ASSERT_ERROR(process_spec_build(&in, PROCESS_SPEC_RUN, &s, &reason), ENOEXEC);
        ASSERT_STREQ(reason, "no command or entrypoint to run");
        ASSERT_NULL(s.unit.argv);
}

TEST(compute_exec_from_command_entrypoint_or_neither) {
        _cleanup_(compose_project_freep) ComposeProject *p = load(
                "shell:\n"
                "  shell_command: sh\n"
                "  shell_argument: -euc\n"
                "processes:\n"
                "  x:\n"
                "    command: old\n");
        ComposeProcess *c = (ComposeProcess *) get(p, "x");

        ASSERT_OK(free_and_strdup(&c->command, "new command"));
        ASSERT_OK(process_spec_compute_exec(p, c));
        ASSERT_STREQ(c->executable, "sh");
        assert_strv(c->args, STRV_MAKE("-euc", "new command"));

        c->command = mfree(c->command);
        ASSERT_NOT_NULL(c->entrypoint = strv_copy(STRV_MAKE("/bin/prog", "a")));
        ASSERT_OK(process_spec_compute_exec(p, c));
        ASSERT_STREQ(c->executable, "/bin/prog");
        assert_strv(c->args, STRV_MAKE("a"));

        /* neither: left alone */
        c->entrypoint = strv_free(c->entrypoint);
        ASSERT_OK(process_spec_compute_exec(p, c));
        ASSERT_STREQ(c->executable, "/bin/prog");
}

TEST(environment_order_and_overrides) {
        _cleanup_(compose_project_freep) ComposeProject *p = load(
                "environment: [\"G=global\", \"HOME=global-home\", \"OV=global\"]\n"
                "processes:\n"
                "  x:\n"
                "    command: run\n"
                "    environment: [\"OV=process\", \"P=p\", \"PC_REPLICA_NUM=7\"]\n");
        char **os = STRV_MAKE("HOME=/root", "OS=os", "NOEQUALS", "DOT=os-wins");
        ProcessSpecInput in = input(p, "x", os);
        _cleanup_(process_spec_done) ProcessSpec s = {};
        _cleanup_free_ char *reason = NULL;

        p->disable_dotenv = false;
        ASSERT_OK(strv_extend(&p->dot_env_vars, "DOT=dot"));
        ASSERT_OK(strv_extend(&p->dot_env_vars, "DOTONLY=d"));
        ASSERT_OK(strv_extend(&p->env_cmds_environment, "CMD=cmd"));
        ASSERT_OK(process_spec_build(&in, PROCESS_SPEC_RUN, &s, &reason));
        /* PC_* first, then .env, OS, global, env_cmds, process; a later source replaces in place; an OS
         * entry without '=' is dropped */
        assert_strv(s.unit.environment,
                    STRV_MAKE("PC_PROC_NAME=x", "PC_REPLICA_NUM=7", "DOT=os-wins", "DOTONLY=d", "HOME=global-home",
                              "OS=os", "G=global", "OV=process", "CMD=cmd", "P=p"));

        /* is_dotenv_disabled drops the .env vars only */
        process_spec_done(&s);
        ((ComposeProcess *) in.process)->is_dotenv_disabled = true;
        ASSERT_OK(process_spec_build(&in, PROCESS_SPEC_RUN, &s, &reason));
        ASSERT_NULL(strv_env_get(s.unit.environment, "DOTONLY"));
        ASSERT_STREQ(strv_env_get(s.unit.environment, "DOT"), "os-wins");
}

TEST(environment_of_a_replica) {
        _cleanup_(compose_project_freep) ComposeProject *p = load(
                "processes:\n"
                "  web:\n"
                "    command: run\n"
                "    replicas: 3\n");
        _cleanup_(process_spec_done) ProcessSpec s = {};

        build(p, "web-2", PROCESS_SPEC_RUN, &s);
        assert_strv(s.unit.environment, STRV_MAKE("PC_PROC_NAME=web", "PC_REPLICA_NUM=2"));
}

TEST(environment_env_file_between_global_and_process) {
        _cleanup_(compose_project_freep) ComposeProject *p = load(
                "environment: [\"A=global\", \"B=global\"]\n"
                "processes:\n"
                "  x:\n"
                "    command: run\n"
                "    env_file: ../conf/x.env\n"
                "    environment: [\"B=process\"]\n");
        const char *text = "A=file\nB=file\nC=\"${A}-c\"\n";
        ComposeEnvFile f = { .path = (char *) "/srv/conf/x.env", .data = (char *) text, .size = strlen(text) };
        ProcessSpecInput in = input(p, "x", NULL);
        _cleanup_(process_spec_done) ProcessSpec s = {};
        _cleanup_free_ char *reason = NULL, *path = NULL;

        ASSERT_EQ(compose_process_env_file_path(p, in.process, &path), 1);
        ASSERT_STREQ(path, "/srv/conf/x.env");
        in.env_file = &f;
        ASSERT_OK(process_spec_build(&in, PROCESS_SPEC_RUN, &s, &reason));
        assert_strv(s.unit.environment,
                    STRV_MAKE("PC_PROC_NAME=x", "PC_REPLICA_NUM=0", "A=file", "B=process", "C=file-c"));
}

TEST(environment_unreadable_env_file) {
        _cleanup_(compose_project_freep) ComposeProject *p = load(
                "processes:\n"
                "  x:\n"
                "    command: run\n"
                "    env_file: missing.env\n");
        ComposeEnvFile f = { .path = (char *) "/srv/app/missing.env", .error = -ENOENT };
        ProcessSpecInput in = input(p, "x", NULL);
        _cleanup_(process_spec_done) ProcessSpec s = {};
        _cleanup_free_ char *reason = NULL;

        in.env_file = &f;
        /* not strict: skipped, as process-compose only logs it */
        ASSERT_OK(process_spec_build(&in, PROCESS_SPEC_RUN, &s, &reason));
        assert_strv(s.unit.environment, STRV_MAKE("PC_PROC_NAME=x", "PC_REPLICA_NUM=0"));
        process_spec_done(&s);

        p->is_strict = true;
        ASSERT_ERROR(process_spec_build(&in, PROCESS_SPEC_RUN, &s, &reason), ENOENT);
        ASSERT_STREQ(reason, "/srv/app/missing.env: cannot read env_file of process 'x': No such file or directory");
}

TEST(working_directory) {
        _cleanup_(compose_project_freep) ComposeProject *p = load(
                "processes:\n"
                "  none:\n"
                "    command: run\n"
                "  sub:\n"
                "    command: run\n"
                "    working_dir: sub/dir/\n"
                "  up:\n"
                "    command: run\n"
                "    working_dir: ../\n"
                "  chain:\n"
                "    command: run\n"
                "    working_dir: ../../\n"
                "  past_root:\n"
                "    command: run\n"
                "    working_dir: ../../../../x\n"
                "  abs:\n"
                "    command: run\n"
                "    working_dir: /tmp/a/./b/../c/\n"
                "  sibling:\n"
                "    command: run\n"
                "    working_dir: ../frontend\n");
        static const struct {
                const char *name, *want;
        } cases[] = {
                { "none", PROJECT_DIR },
                { "sub", "/srv/app/sub/dir" },
                { "up", "/srv" },
                { "chain", "/" },
                { "past_root", "/x" },
                { "abs", "/tmp/a/c" },
                { "sibling", "/srv/frontend" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(process_spec_done) ProcessSpec s = {};

                build(p, cases[i].name, PROCESS_SPEC_RUN, &s);
                if (!streq(s.unit.working_directory, cases[i].want))
                        TEST_FAIL("%s: \"%s\" != \"%s\"", cases[i].name, s.unit.working_directory, cases[i].want);
        }
}

TEST(stop_properties) {
        _cleanup_(compose_project_freep) ComposeProject *p = load(
                "processes:\n"
                "  plain:\n"
                "    command: run\n"
                "  custom:\n"
                "    command: run\n"
                "    is_daemon: true\n"
                "    shutdown:\n"
                "      signal: 2\n"
                "      timeout_seconds: 3\n"
                "      parent_only: true\n"
                "  huge:\n"
                "    command: run\n"
                "    shutdown:\n"
                "      timeout_seconds: 1000000\n");
        _cleanup_(process_spec_done) ProcessSpec a = {}, b = {}, c = {};

        build(p, "plain", PROCESS_SPEC_RUN, &a);
        ASSERT_EQ(a.unit.kill_signal, SIGTERM);
        /* timeout 0 escalates after 10 s, unlike process-compose's "never" */
        ASSERT_UEQ(a.unit.timeout_stop, 10 * USEC_PER_SEC);
        ASSERT_TRUE(a.unit.send_sigkill);
        ASSERT_EQ(a.unit.kill_mode, UNIT_KILL_CONTROL_GROUP);
        ASSERT_FALSE(a.unit.exit_type_cgroup);
        /* the API's mem and cpu need the manager's accounting */
        ASSERT_TRUE(a.unit.accounting);
        ASSERT_EQ(a.unit.n_extra, 0);

        build(p, "custom", PROCESS_SPEC_RUN, &b);
        ASSERT_EQ(b.unit.kill_signal, SIGINT);
        ASSERT_UEQ(b.unit.timeout_stop, 3 * USEC_PER_SEC);
        ASSERT_EQ(b.unit.kill_mode, UNIT_KILL_MIXED);
        ASSERT_TRUE(b.unit.exit_type_cgroup);

        build(p, "huge", PROCESS_SPEC_RUN, &c);
        ASSERT_UEQ(c.unit.timeout_stop, 86400 * USEC_PER_SEC);

        /* a signal number outside 1..31 is SIGTERM */
        ((ComposeProcess *) get(p, "plain"))->shutdown.signal = 40;
        process_spec_done(&a);
        build(p, "plain", PROCESS_SPEC_RUN, &a);
        ASSERT_EQ(a.unit.kill_signal, SIGTERM);
}

TEST(x_systemd_extras_in_order) {
        _cleanup_(compose_project_freep) ComposeProject *p = load(
                "processes:\n"
                "  x:\n"
                "    command: run\n"
                "    x-systemd:\n"
                "      MemoryMax: 512M\n"
                "      CPUQuota: 50%\n"
                "      Nice: 5\n");
        _cleanup_(process_spec_done) ProcessSpec s = {};

        build(p, "x", PROCESS_SPEC_RUN, &s);
        ASSERT_EQ(s.unit.n_extra, 3);
        ASSERT_STREQ(s.unit.extra[0].key, "MemoryMax");
        ASSERT_STREQ(s.unit.extra[0].value, "512M");
        ASSERT_STREQ(s.unit.extra[1].key, "CPUQuota");
        ASSERT_STREQ(s.unit.extra[1].value, "50%");
        ASSERT_STREQ(s.unit.extra[2].key, "Nice");
        ASSERT_STREQ(s.unit.extra[2].value, "5");
}

TEST(shutdown_command_unit) {
        _cleanup_(compose_project_freep) ComposeProject *p = load(
                "processes:\n"
                "  x:\n"
                "    command: serve\n"
                "    working_dir: ../\n"
                "    is_daemon: true\n"
                "    environment: [\"K=v\"]\n"
                "    shutdown:\n"
                "      command: \"kill -USR1 $(cat pid)\"\n"
                "      signal: 2\n"
                "      parent_only: true\n"
                "      timeout_seconds: 4\n"
                "    x-systemd:\n"
                "      User: nobody\n");
        _cleanup_(process_spec_done) ProcessSpec run = {}, s = {};
        _cleanup_free_ char *unit = NULL;

        build(p, "x", PROCESS_SPEC_RUN, &run);
        build(p, "x", PROCESS_SPEC_SHUTDOWN, &s);
        ASSERT_STREQ(s.unit.unit, "pcctl-demo-x-shutdown.service");
        ASSERT_OK(process_spec_shutdown_unit("pcctl-demo-x.service", &unit));
        ASSERT_STREQ(unit, s.unit.unit);
        ASSERT_STREQ(s.unit.description, "pcctl app: x (shutdown.command)");
        assert_strv(s.unit.argv, STRV_MAKE(EXEC_PATH, "__exec", "pcctl-demo-x", "--", "bash", "-c",
                                           "kill -USR1 $(cat pid)"));
        /* same output identity, environment, directory and extras as the run */
        ASSERT_STREQ(s.unit.syslog_identifier, "pcctl-demo-x");
        ASSERT_STREQ(s.unit.slice, "pcctl-demo.slice");
        assert_strv(s.unit.environment, run.unit.environment);
        ASSERT_STREQ(s.unit.working_directory, "/srv");
        ASSERT_EQ(s.unit.n_extra, 1);
        ASSERT_STREQ(s.unit.extra[0].key, "User");
        /* but none of the process's own stop behaviour */
        ASSERT_EQ(s.unit.kill_signal, SIGTERM);
        ASSERT_EQ(s.unit.kill_mode, UNIT_KILL_CONTROL_GROUP);
        ASSERT_FALSE(s.unit.exit_type_cgroup);
        ASSERT_FALSE(s.unit.accounting);
        ASSERT_UEQ(s.unit.timeout_stop, 4 * USEC_PER_SEC);
        /* the run itself keeps them */
        ASSERT_EQ(run.unit.kill_signal, SIGINT);
        ASSERT_EQ(run.unit.kill_mode, UNIT_KILL_MIXED);
        ASSERT_TRUE(run.unit.exit_type_cgroup);
        ASSERT_STREQ(run.unit.unit, "pcctl-demo-x.service");
}

TEST(log_locations) {
        _cleanup_(compose_project_freep) ComposeProject *p = load(
                "log_location: ../logs/./project.log\n"
                "processes:\n"
                "  none:\n"
                "    command: run\n"
                "  one:\n"
                "    command: run\n"
                "    log_location: logs/one.log\n"
                "  abs:\n"
                "    command: run\n"
                "    log_location: /var/log/../log/abs.log\n"
                "  web:\n"
                "    command: run\n"
                "    replicas: 2\n"
                "    log_location: ../logs/web.log\n"
                "  api:\n"
                "    command: run\n"
                "    replicas: 2\n"
                "    log_location: \"/var/log/api-{PC_REPLICA_NUM}.log\"\n");
        _cleanup_free_ char *none = NULL, *one = NULL, *abs = NULL, *web0 = NULL, *web1 = NULL, *api1 = NULL,
                            *proj = NULL;

        ASSERT_EQ(process_spec_log_location(p, get(p, "none"), 0, &none), 0);
        ASSERT_NULL(none);
        ASSERT_EQ(process_spec_log_location(p, get(p, "one"), 0, &one), 1);
        ASSERT_STREQ(one, "/srv/app/logs/one.log");
        ASSERT_EQ(process_spec_log_location(p, get(p, "abs"), 0, &abs), 1);
        ASSERT_STREQ(abs, "/var/log/abs.log");
        /* replicas without the placeholder: ".<n>" appended */
        ASSERT_EQ(process_spec_log_location(p, get(p, "web-0"), 0, &web0), 1);
        ASSERT_STREQ(web0, "/srv/logs/web.log.0");
        ASSERT_EQ(process_spec_log_location(p, get(p, "web-1"), 1, &web1), 1);
        ASSERT_STREQ(web1, "/srv/logs/web.log.1");
        /* with it: the number in its place. The loader renders {PC_REPLICA_NUM} of replicas as a template
         * var already, so put it back to see the builder do it. */
        ASSERT_OK(free_and_strdup(&((ComposeProcess *) get(p, "api-1"))->log_location,
                                  "/var/log/api-{PC_REPLICA_NUM}.log"));
        ASSERT_EQ(process_spec_log_location(p, get(p, "api-1"), 1, &api1), 1);
        ASSERT_STREQ(api1, "/var/log/api-1.log");
        ASSERT_EQ(process_spec_project_log_location(p, &proj), 1);
        ASSERT_STREQ(proj, "/srv/logs/project.log");
}

TEST(probes) {
        _cleanup_(compose_project_freep) ComposeProject *p = load(
                "shell:\n"
                "  shell_command: sh\n"
                "  shell_argument: -c\n"
                "processes:\n"
                "  x:\n"
                "    command: run\n"
                "    working_dir: ../\n"
                "    x-systemd:\n"
                "      User: alice\n"
                "      Group: staff\n"
                "    readiness_probe:\n"
                "      exec:\n"
                "        command: \"test -e ready\"\n"
                "      period_seconds: 2\n"
                "      failure_threshold: 5\n"
                "    liveness_probe:\n"
                "      http_get:\n"
                "        host: 127.0.0.2\n"
                "        port: 8080\n"
                "        path: /live\n"
                "        headers:\n"
                "          X-Token: abc\n"
                "      initial_delay_seconds: 99999999\n"
                "  y:\n"
                "    command: run\n"
                "    readiness_probe:\n"
                "      exec:\n"
                "        command: check\n"
                "        working_dir: ../probe/./dir/\n");
        ProcessSpecInput in = input(p, "x", NULL), iny = input(p, "y", NULL);
        _cleanup_(process_spec_done) ProcessSpec run = {}, runy = {};
        _cleanup_(process_probe_spec_done) ProcessProbeSpec r = {}, l = {}, ry = {}, sys = {};
        ComposeProbe empty = {};

        build(p, "x", PROCESS_SPEC_RUN, &run);
        ASSERT_OK(process_spec_probe(&in, get(p, "x")->readiness_probe, &run, &r));
        ASSERT_EQ(r.config.kind, PROBE_EXEC);
        assert_strv(r.config.argv, STRV_MAKE("sh", "-c", "test -e ready"));
        /* the run's environment, the process's working_dir resolved as for the unit */
        ASSERT_TRUE(r.config.environment == run.unit.environment);
        ASSERT_STREQ(r.config.working_directory, "/srv");
        ASSERT_EQ(r.config.period_seconds, 2);
        ASSERT_EQ(r.config.failure_threshold, 5);
        /* the user manager runs the process as pcctl's user: so does the probe */
        ASSERT_NULL(r.config.user);
        ASSERT_NULL(r.config.group);

        in.scope = UNIT_MANAGER_SYSTEM;
        ASSERT_OK(process_spec_probe(&in, get(p, "x")->readiness_probe, &run, &sys));
        ASSERT_STREQ(sys.config.user, "alice");
        ASSERT_STREQ(sys.config.group, "staff");

        ASSERT_OK(process_spec_probe(&in, get(p, "x")->liveness_probe, &run, &l));
        ASSERT_EQ(l.config.kind, PROBE_HTTP_GET);
        ASSERT_STREQ(l.config.host, "127.0.0.2");
        ASSERT_EQ(l.config.port, 8080);
        ASSERT_STREQ(l.config.path, "/live");
        ASSERT_EQ(l.config.n_headers, 1);
        ASSERT_STREQ(l.config.headers[0].name, "X-Token");
        ASSERT_STREQ(l.config.headers[0].value, "abc");
        ASSERT_EQ(l.config.initial_delay_seconds, PROBE_SECONDS_MAX);

        /* the probe's own working_dir, relative to the project's directory */
        build(p, "y", PROCESS_SPEC_RUN, &runy);
        ASSERT_OK(process_spec_probe(&iny, get(p, "y")->readiness_probe, &runy, &ry));
        ASSERT_STREQ(ry.config.working_directory, "/srv/probe/dir");
        ASSERT_STREQ(runy.unit.working_directory, PROJECT_DIR);

        ASSERT_ERROR(process_spec_probe(&in, &empty, &run, &ry), EINVAL);
}

/* The spec hash in the Description: what a restarted controller compares (docs/lifecycle.md). */
static void hash_of(const ComposeProject *p, char * const *os_environ, char ret[static PROCESS_SPEC_HASH_SIZE]) {
        ProcessSpecInput in = input(p, "x", os_environ);
        _cleanup_(process_spec_done) ProcessSpec s = {};
        _cleanup_free_ char *reason = NULL;

        ASSERT_OK(process_spec_build(&in, PROCESS_SPEC_RUN, &s, &reason));
        ASSERT_TRUE(process_spec_description_hash(s.unit.description, ret));
}

TEST(spec_hash_in_description) {
        _cleanup_(compose_project_freep) ComposeProject *a = load("processes:\n  x:\n    command: \"sleep 600\"\n");
        _cleanup_(compose_project_freep) ComposeProject *a2 = load("processes:\n  x:\n    command: \"sleep 600\"\n");
        _cleanup_(compose_project_freep) ComposeProject *b = load("processes:\n  x:\n    command: \"sleep 601\"\n");
        _cleanup_(compose_project_freep) ComposeProject *e = load(
                "processes:\n  x:\n    command: \"sleep 600\"\n    environment: [\"K=1\"]\n");
        _cleanup_(compose_project_freep) ComposeProject *x = load(
                "processes:\n  x:\n    command: \"sleep 600\"\n    x-systemd: {Nice: 5}\n");
        char ha[PROCESS_SPEC_HASH_SIZE], ha2[PROCESS_SPEC_HASH_SIZE], hb[PROCESS_SPEC_HASH_SIZE],
                he[PROCESS_SPEC_HASH_SIZE], hx[PROCESS_SPEC_HASH_SIZE], h1[PROCESS_SPEC_HASH_SIZE],
                h2[PROCESS_SPEC_HASH_SIZE], dummy[PROCESS_SPEC_HASH_SIZE];

        hash_of(a, NULL, ha);
        hash_of(a2, NULL, ha2);
        hash_of(b, NULL, hb);
        hash_of(e, NULL, he);
        hash_of(x, NULL, hx);
        ASSERT_EQ(strlen(ha), 16);
        ASSERT_STREQ(ha, ha2);
        ASSERT_FALSE(streq(ha, hb));
        ASSERT_FALSE(streq(ha, he));
        ASSERT_FALSE(streq(ha, hx));
        /* a variable inherited unchanged from pcctl's environment is not part of it */
        hash_of(a, STRV_MAKE("SHELLVAR=1"), h1);
        hash_of(a, STRV_MAKE("SHELLVAR=2"), h2);
        ASSERT_STREQ(h1, h2);
        ASSERT_STREQ(h1, ha);

        ASSERT_FALSE(process_spec_description_hash("pcctl app: x", dummy));
        ASSERT_FALSE(process_spec_description_hash("pcctl app: x [spec 0123]", dummy));
        ASSERT_TRUE(process_spec_description_hash("pcctl app: x [spec 0123456789abcdef]", dummy));
        ASSERT_STREQ(dummy, "0123456789abcdef");
}

/* schedule → the timer beside the service: OnCalendar= for cron (two for the OR rule), the monotonic pair for
 * interval and @every, OnActiveSec=0 for run_on_start. */
TEST(timer_of_a_scheduled_process) {
        ComposeProject *p = load("processes:\n"
                                 "  c:\n    command: x\n    schedule: {cron: '0 3 1 * mon', timezone: UTC}\n"
                                 "  i:\n    command: x\n    schedule: {interval: 90s}\n"
                                 "  s:\n    command: x\n    schedule: {interval: 2s, run_on_start: true}\n"
                                 "  e:\n    command: x\n    schedule: {cron: '@every 1m', run_on_start: true}\n");
        ProcessTimerSpec t = {};
        ProcessSpecInput in;

        in = input(p, "c", NULL);
        ASSERT_OK(process_spec_timer(&in, &t, NULL));
        ASSERT_STREQ(t.timer.unit, "pcctl-demo-x.timer");
        ASSERT_STREQ(t.timer.description, "pcctl timer of c (cron 0 3 1 * mon UTC)");
        assert_strv(t.timer.on_calendar, STRV_MAKE("*-*-1 3:0:00 UTC", "Mon *-*-* 3:0:00 UTC"));
        ASSERT_FALSE(t.timer.has_on_active);
        ASSERT_UEQ(t.timer.on_unit_active, 0);
        process_timer_spec_done(&t);

        in = input(p, "i", NULL);
        ASSERT_OK(process_spec_timer(&in, &t, NULL));
        ASSERT_NULL(t.timer.on_calendar);
        ASSERT_TRUE(t.timer.has_on_active);
        ASSERT_UEQ(t.timer.on_active, 90 * USEC_PER_SEC);
        ASSERT_UEQ(t.timer.on_unit_active, 90 * USEC_PER_SEC);
        process_timer_spec_done(&t);

        in = input(p, "s", NULL);
        ASSERT_OK(process_spec_timer(&in, &t, NULL));
        ASSERT_TRUE(t.timer.has_on_active);
        ASSERT_UEQ(t.timer.on_active, 0);
        ASSERT_UEQ(t.timer.on_unit_active, 2 * USEC_PER_SEC);
        process_timer_spec_done(&t);

        in = input(p, "e", NULL);
        ASSERT_OK(process_spec_timer(&in, &t, NULL));
        ASSERT_NULL(t.timer.on_calendar);
        ASSERT_UEQ(t.timer.on_active, 0);
        ASSERT_UEQ(t.timer.on_unit_active, 60 * USEC_PER_SEC);
        process_timer_spec_done(&t);
        compose_project_free(p);
}

/* max_concurrent above 1: the instances "<base>@<i>.service" are copies of the run's spec; the launcher is the
 * process's unit, a oneshot that starts the first instance that is not active, After= them, with only what
 * systemctl needs of pcctl's environment. */
TEST(launcher_of_a_max_concurrent_schedule) {
        ComposeProject *p = load("processes:\n"
                                 "  m:\n    command: x\n    schedule: {interval: 1s, max_concurrent: 3}\n");
        ProcessLauncherSpec l = {};
        ProcessSpec run = {};
        ProcessSpecInput in;
        _cleanup_free_ char *u = NULL;

        ASSERT_OK(process_spec_instance_unit("pcctl-demo-x.service", 2, &u));
        ASSERT_STREQ(u, "pcctl-demo-x@2.service");

        in = input(p, "m", STRV_MAKE("PATH=/opt/bin:/usr/bin", "XDG_RUNTIME_DIR=/run/user/7", "SECRET=1"));
        ASSERT_OK(process_spec_build(&in, PROCESS_SPEC_RUN, &run, NULL));
        ASSERT_EQ(process_spec_launcher(&in, &run.unit, 1, &l), -EINVAL);
        ASSERT_OK(process_spec_launcher(&in, &run.unit, 3, &l));
        ASSERT_UEQ(l.n_services, 4);
        assert_strv(l.instances, STRV_MAKE("pcctl-demo-x@1.service", "pcctl-demo-x@2.service",
                                           "pcctl-demo-x@3.service"));
        /* the launcher */
        ASSERT_STREQ(l.services[0].unit, "pcctl-demo-x.service");
        ASSERT_TRUE(l.services[0].oneshot);
        ASSERT_STREQ(l.services[0].slice, "pcctl-demo.slice");
        ASSERT_STREQ(l.services[0].syslog_identifier, "pcctl-demo-x");
        assert_strv(l.services[0].after, l.instances);
        ASSERT_STREQ(l.services[0].argv[0], "/bin/sh");
        ASSERT_STREQ(l.services[0].argv[3], "m");
        ASSERT_STREQ(l.services[0].argv[4], "--user");
        ASSERT_STREQ(l.services[0].argv[7], "pcctl-demo-x@3.service");
        ASSERT_NULL(l.services[0].argv[8]);
        ASSERT_TRUE(strstr(l.services[0].argv[2], "start --no-block") != NULL);
        assert_strv(l.services[0].environment, STRV_MAKE("PATH=/opt/bin:/usr/bin", "XDG_RUNTIME_DIR=/run/user/7"));
        ASSERT_OK(unit_spec_validate(&l.services[0], NULL));
        /* the instances: the run's spec under their own names */
        for (size_t i = 1; i < l.n_services; i++) {
                ASSERT_STREQ(l.services[i].unit, l.instances[i - 1]);
                ASSERT_FALSE(l.services[i].oneshot);
                ASSERT_TRUE(l.services[i].argv == run.unit.argv);
                ASSERT_STREQ(l.services[i].syslog_identifier, "pcctl-demo-x");
        }
        process_launcher_spec_done(&l);
        process_spec_done(&run);
        compose_project_free(p);
}

TEST(inherited_environment_leaves_out_the_controllers_service_variables) {
        char *in[] = { "PATH=/bin", "NOTIFY_SOCKET=/run/user/0/systemd/notify", "LISTEN_FDS=2", "LISTEN_PID=7",
                       "LISTEN_FDNAMES=a:b", "INVOCATION_ID=abc", "JOURNAL_STREAM=8:9", "NOTIFY_SOCKETS=kept",
                       "LISTEN=kept", "HOME=/root", NULL };
        _cleanup_strv_free_ char **out = NULL;

        ASSERT_OK(process_spec_inherited_environment(in, &out));
        ASSERT_UEQ(strv_length(out), 4u);
        ASSERT_STREQ(out[0], "PATH=/bin");
        ASSERT_STREQ(out[1], "NOTIFY_SOCKETS=kept");
        ASSERT_STREQ(out[2], "LISTEN=kept");
        ASSERT_STREQ(out[3], "HOME=/root");
        ASSERT_TRUE(process_spec_is_service_variable("WATCHDOG_USEC=1"));
        ASSERT_FALSE(process_spec_is_service_variable("WATCHDOG=1"));
}

DEFINE_TEST_MAIN();
