/* Every validation message of compat §1.6 and every type/limit error, with exact file:line:column. */
#include "compose/compose-internal.h"
#include "compose/compose.h"
#include "shared/glob-util.h"
#include "shared/strv.h"
#include "tests.h"

static char *base_env[] = { "PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/root", NULL };

static int load(const char *text, bool strict, ComposeProject **ret, char **ret_msg) {
        ComposeLoadOptions o = { .disable_dotenv = true, .strict = strict };
        ComposeError e = {};
        int r;

        ASSERT_NOT_NULL(o.working_directory = strdup(test_fixture("compose")));
        ASSERT_NOT_NULL(o.environ = strv_copy(base_env));
        r = compose_load_string(text, strlen(text), "process-compose.yaml", &o, ret, &e);
        *ret_msg = r < 0 ? compose_error_format(&e) : NULL;
        compose_error_done(&e);
        compose_load_options_done(&o);
        return r;
}

static void check_error(const char *text, bool strict, const char *want) {
        ComposeProject *p = NULL;
        _cleanup_free_ char *m = NULL;

        if (load(text, strict, &p, &m) >= 0) {
                compose_project_free(p);
                TEST_FAIL("expected \"%s\" but the file loaded", want);
        }
        if (!m || strcmp(m, want) != 0)
                TEST_FAIL("for:\n%s\nwant: %s\ngot:  %s", text, want, strempty(m));
}

/* Loads non-strict and expects warning want; then strict and expects the error strict_want. */
static void check_soft(const char *text, const char *want_warning, const char *strict_want) {
        ComposeProject *p = NULL;
        _cleanup_free_ char *m = NULL;
        bool found = false;

        if (load(text, false, &p, &m) < 0)
                TEST_FAIL("non-strict load failed: %s", strempty(m));
        STRV_FOREACH(w, p->warnings)
                if (streq(*w, want_warning))
                        found = true;
        if (!found) {
                _cleanup_free_ char *all = strv_join(p->warnings, " | ");
                TEST_FAIL("warning \"%s\" not found in: %s", want_warning, strempty(all));
        }
        compose_project_free(p);
        check_error(text, true, strict_want);
}

TEST(type_errors) {
        check_error("version: \"0.5\"\nprocesses:\n  web:\n    command: x\n    replicas: two\n", false,
                    "process-compose.yaml:5:15: 'replicas' must be an integer, got \"two\"");
        check_error("processes:\n  web:\n    disabled: maybe\n", false,
                    "process-compose.yaml:3:15: 'disabled' must be a boolean, got \"maybe\"");
        check_error("processes:\n  web:\n    command: [a, b]\n", false,
                    "process-compose.yaml:3:14: 'command' must be a string, got a list");
        check_error("processes:\n  web:\n    entrypoint: ls\n", false,
                    "process-compose.yaml:3:17: 'entrypoint' must be a list of strings, got \"ls\"");
        check_error("processes:\n  web:\n    availability:\n      max_restarts: 1.5\n", false,
                    "process-compose.yaml:4:21: 'max_restarts' must be an integer, got \"1.5\"");
        check_error("processes:\n  web:\n    readiness_probe:\n      period_seconds: {}\n", false,
                    "process-compose.yaml:4:23: 'period_seconds' must be an integer, got a mapping");
        check_error("processes: [a]\n", false, "process-compose.yaml:1:12: 'processes' must be a mapping, got a list");
        check_error("processes:\n  web: 5\n", false, "process-compose.yaml:2:8: 'web' must be a mapping, got \"5\"");
        check_error("- a\n- b\n", false, "process-compose.yaml:1:1: the project must be a mapping, got a list");
        check_error("processes:\n  web:\n    success_exit_codes: [1, x]\n", false,
                    "process-compose.yaml:3:29: 'success_exit_codes' must be an integer, got \"x\"");
        check_error("processes:\n  web:\n    namespace: {a: b}\n", false,
                    "process-compose.yaml:3:16: 'namespace' must be a string or a list of strings, got a mapping");
        check_error("processes:\n  web:\n    replicas: 99999999999\n", false,
                    "process-compose.yaml:3:15: 'replicas' is out of range: 99999999999");
        check_error("processes:\n  web:\n    replicas: -1\n", false,
                    "process-compose.yaml:2:3: 'replicas' of process 'web' must not be negative, got -1");
        check_error("processes:\n  web:\n    schedule:\n      interval: soon\n", false,
                    "process-compose.yaml:4:17: 'interval' must be a duration such as \"30s\" or \"1h30m\", got \"soon\"");
}

TEST(enum_errors) {
        check_error("processes:\n  web:\n    availability:\n      restart: sometimes\n", false,
                    "process-compose.yaml:4:16: invalid restart policy: \"sometimes\"");
        check_error("processes:\n  a:\n    command: x\n  web:\n    depends_on:\n      a:\n        condition: process_done\n",
                    false, "process-compose.yaml:7:20: invalid process dependency condition: \"process_done\"");
        check_error("processes:\n  web:\n    monitor_for: always\n", false,
                    "process-compose.yaml:3:18: invalid monitor_for value: \"always\"");
}

TEST(environment_map_form_is_refused) {
        check_error("environment:\n  A: 1\nprocesses: {}\n", false,
                    "process-compose.yaml:2:3: 'environment' must be a list of \"KEY=VALUE\" strings, got a mapping");
}

TEST(yaml_syntax_errors) {
        check_error("processes:\n  web:\n    command: \"open\n", false,
                    "process-compose.yaml:4:1: YAML syntax error: found unexpected end of stream while scanning a quoted scalar");
        check_error("processes:\n  web:\n  command: x\n   bad: y\n", false,
                    "process-compose.yaml:4:7: YAML syntax error: mapping values are not allowed in this context");
        check_error("processes:\n  web:\n    command: a\n    command: b\n", false,
                    "process-compose.yaml:4:5: key 'command' is already defined at line 3");
        check_error("processes:\n  web: *nothing\n", false,
                    "process-compose.yaml:2:8: unknown anchor 'nothing' referenced");
        check_error("a: &x [1, *x]\n", false, "process-compose.yaml:1:11: anchor 'x' is referenced inside itself");
        check_error("processes:\n  ? [a]\n  : x\n", false,
                    "process-compose.yaml:2:5: mapping keys must be scalars, got a list");
}

TEST(substitution_errors_have_positions) {
        check_error("processes:\n  web:\n    command: \"echo ${HOME\"\n", false,
                    "process-compose.yaml:3:20: environment substitution failed: missing closing brace");
        /* $$ before the error shifts nothing in the reported column */
        check_error("processes:\n  web:\n    command: \"$$A ${}\"\n", false,
                    "process-compose.yaml:3:19: environment substitution failed: unable to parse variable name");
}

TEST(validation_messages) {
        check_error("processes:\n  a:\n    command: x\n    depends_on:\n      ghost:\n", false,
                    "process-compose.yaml:5:7: dependency process 'ghost' in process 'a' is not defined");
        check_error("processes:\n  a:\n    command: x\n    depends_on:\n      b:\n        condition: process_log_ready\n"
                    "  b:\n    command: x\n",
                    false,
                    "process-compose.yaml:5:7: log ready dependency defined in 'a' but no ready log line exists in 'b'");
        check_error("processes:\n  a:\n    command: x\n    ready_log_line: up\n    readiness_probe:\n      exec:\n"
                    "        command: \"true\"\n",
                    false, "process-compose.yaml:2:3: 'ready_log_line' and readiness probe defined in 'a' are incompatible");
        check_error("shell:\n  shell_command: no-such-shell-xyz\n  shell_argument: -c\nprocesses: {}\n", false,
                    "exec: \"no-such-shell-xyz\": executable file not found in $PATH");
        check_error("shell:\n  shell_argument: -c\nprocesses: {}\n", false,
                    "process-compose.yaml:2:3: 'shell' needs 'shell_command'");
        check_error("processes:\n  a:\n    command: \"{{ .X \"\n", false,
                    "process-compose.yaml:2:3: error rendering template for process a: template: unclosed action");
        check_error("processes:\n  a:\n    command: x\n    depends_on:\n      a:\n", false,
                    "process-compose.yaml:5:7: circular dependency found in 'a': a -> a");
}

TEST(strict_only_checks) {
        check_soft("processes:\n  a:\n    command: x\n    depends_on:\n      b:\n        condition: process_healthy\n"
                   "  b:\n    command: x\n",
                   "process-compose.yaml:5:7: health dependency defined in 'a' but no health check exists in 'b'",
                   "process-compose.yaml:5:7: health dependency defined in 'a' but no health check exists in 'b'");
        check_soft("processes:\n  a:\n    command: x\n    depends_on:\n      b:\n  b:\n    command: x\n    disabled: true\n",
                   "process-compose.yaml:5:7: dependency process 'b' in process 'a' is disabled",
                   "process-compose.yaml:5:7: dependency process 'b' in process 'a' is disabled");
        check_soft("processes:\n  a:\n    command: x\n    colour: red\n",
                   "process-compose.yaml:4:5: unknown key 'colour' found in process 'a'",
                   "process-compose.yaml:4:5: unknown key 'colour' found in process 'a'");
        check_soft("colour: red\nprocesses: {}\n", "process-compose.yaml:1:1: Unknown field 'colour' in project file",
                   "process-compose.yaml:1:1: Unknown field 'colour' in project file");
        check_soft("processes:\n  a:\n    command: x\n    success_exit_codes: [300]\n",
                   "process-compose.yaml:2:3: invalid success_exit_codes value 300 in process 'a': exit codes must be in the range 0-255",
                   "process-compose.yaml:2:3: invalid success_exit_codes value 300 in process 'a': exit codes must be in the range 0-255");
        check_soft("processes:\n  a:\n    command: x\n    shutdown:\n      send_keys: q\n",
                   "process-compose.yaml:2:3: process 'a': shutdown.send_keys requires is_interactive (or is_tty)",
                   "process-compose.yaml:2:3: process 'a': shutdown.send_keys requires is_interactive (or is_tty)");
        check_soft("processes:\n  a:\n    command: x\n    env_file: does-not-exist.env\n",
                   "process-compose.yaml:4:15: env_file 'does-not-exist.env' for process 'a' does not exist",
                   "process-compose.yaml:4:15: env_file 'does-not-exist.env' for process 'a' does not exist");
        check_soft("log_level: loud\nprocesses: {}\n", "Unknown log level loud defaulting to info", "unknown log level loud");
        check_soft("processes:\n  a:\n    command: x\n    replicas: 2\n    schedule:\n      interval: 1m\n",
                   "process-compose.yaml:2:3: scheduled process 'a-0' cannot be scaled (replicas > 1)",
                   "process-compose.yaml:2:3: scheduled process 'a-0' cannot be scaled (replicas > 1)");
        check_soft("processes:\n  a:\n    command: x\n    watch:\n      debounce: 1s\n",
                   "process-compose.yaml:2:3: process 'a' has a 'watch' block with no 'paths'",
                   "process-compose.yaml:2:3: process 'a' has a 'watch' block with no 'paths'");
        check_soft("processes:\n  a:\n    command: x\n    watch:\n      paths: [{path: /nonexistent-watch}]\n",
                   "process-compose.yaml:2:3: watch path '/nonexistent-watch' for process 'a' does not exist",
                   "process-compose.yaml:2:3: watch path '/nonexistent-watch' for process 'a' does not exist");
        check_soft("processes:\n  a:\n    command: x\n    watch:\n      paths: [{path: /tmp}]\n      debounce: soon\n",
                   "process-compose.yaml:2:3: process 'a' has an invalid watch 'debounce' value 'soon': invalid duration (expected a duration such as '300ms' or '1s')",
                   "process-compose.yaml:2:3: process 'a' has an invalid watch 'debounce' value 'soon': invalid duration (expected a duration such as '300ms' or '1s')");
}

/* process-compose's validators (issue 14 item 5) */
TEST(shell_argument_is_optional) {
        ComposeProject *p = NULL;
        _cleanup_free_ char *m = NULL;
        ComposeProcess *a;

        if (load("shell:\n  shell_command: sh\nprocesses:\n  a:\n    command: echo hi\n", true, &p, &m) < 0)
                TEST_FAIL("shell without shell_argument refused: %s", strempty(m));
        a = compose_project_find_process(p, "a");
        /* as process-compose, the (empty) argument is passed as it is */
        ASSERT_STREQ(a->executable, "sh");
        ASSERT_EQ(strv_length(a->args), 2u);
        ASSERT_STREQ(a->args[0], "");
        ASSERT_STREQ(a->args[1], "echo hi");
        compose_project_free(p);
}

TEST(empty_schedule_beside_watch_is_accepted) {
        ComposeProject *p = NULL;
        _cleanup_free_ char *m = NULL;

        if (load("processes:\n  a:\n    command: x\n    schedule: {}\n    watch:\n      paths: [{path: /tmp}]\n", true,
                 &p, &m) < 0)
                TEST_FAIL("empty schedule beside watch refused: %s", strempty(m));
        ASSERT_EQ(strv_length(p->warnings), 0u);
        ASSERT_FALSE(compose_schedule_is_set(compose_project_find_process(p, "a")->schedule));
        compose_project_free(p);
        /* a schedule that schedules still cannot be combined with watch */
        check_soft("processes:\n  a:\n    command: x\n    schedule:\n      cron: \"* * * * *\"\n    watch:\n"
                   "      paths: [{path: /tmp}]\n",
                   "process-compose.yaml:2:3: process 'a' cannot combine 'schedule' with 'watch'",
                   "process-compose.yaml:2:3: process 'a' cannot combine 'schedule' with 'watch'");
        check_soft("processes:\n  a:\n    command: x\n    schedule:\n      interval: 1m\n    watch:\n"
                   "      paths: [{path: /tmp}]\n",
                   "process-compose.yaml:2:3: process 'a' cannot combine 'schedule' with 'watch'",
                   "process-compose.yaml:2:3: process 'a' cannot combine 'schedule' with 'watch'");
}

TEST(cron_errors_have_positions) {
        check_error("processes:\n  backup:\n    command: x\n    schedule:\n      cron: \"0 25 * * *\"\n", false,
                    "process-compose.yaml:5:13: process 'backup': invalid cron expression \"0 25 * * *\": "
                    "hour: 25 is above the maximum 23");
        check_error("processes:\n  b:\n    command: x\n    schedule:\n      cron: '* * * *'\n", false,
                    "process-compose.yaml:5:13: process 'b': invalid cron expression \"* * * *\": expected exactly "
                    "5 fields (minute hour day-of-month month day-of-week), found 4");
        check_error("processes:\n  b:\n    command: x\n    schedule:\n      cron: \"0 0 * * *\"\n"
                    "      timezone: Mars/Olympus\n", false,
                    "process-compose.yaml:6:17: process 'b': unknown time zone 'Mars/Olympus'");
}

TEST(invalid_watch_globs) {
        check_soft("processes:\n  a:\n    command: x\n    watch:\n      paths:\n        - path: /tmp\n"
                   "          exclude: [\"*.o\", \"[unclosed\"]\n",
                   "process-compose.yaml:6:11: process 'a' watch path '/tmp' has an invalid exclude pattern '[unclosed'",
                   "process-compose.yaml:6:11: process 'a' watch path '/tmp' has an invalid exclude pattern '[unclosed'");
        check_soft("processes:\n  a:\n    command: x\n    watch:\n      paths:\n        - path: /tmp\n"
                   "          include: [\"[unclosed\"]\n",
                   "process-compose.yaml:6:11: process 'a' watch path '/tmp' has an invalid include pattern '[unclosed'",
                   "process-compose.yaml:6:11: process 'a' watch path '/tmp' has an invalid include pattern '[unclosed'");
        /* doublestar's rules: classes close and are not empty, escapes escape something, braces balance */
        {
                static const char * const bad[] = { "[", "[!", "[]", "[^]x", "[]a]x]", "a\\", "{a,b", "a}", "[a\\]" };
                static const char * const good[] = { "**/*.go", "[ab]", "[!a]", "{a,{b,c}}", "\\[", "[\\]]", "" };
                for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                        if (glob_is_valid(bad[i]))
                                TEST_FAIL("'%s' accepted", bad[i]);
                for (size_t i = 0; i < ELEMENTSOF(good); i++)
                        if (!glob_is_valid(good[i]))
                                TEST_FAIL("'%s' refused", good[i]);
        }
}

TEST(limits) {
        _cleanup_free_ char *deep = NULL, *many = NULL, *longstr = NULL;
        size_t n = 0;
        FILE *f;

        /* nesting depth */
        f = open_memstream(&deep, &n);
        fputs("processes:\n  a:\n    vars:\n      x: ", f);
        for (int i = 0; i < 100; i++)
                fputc('[', f);
        fclose(f);
        check_error(deep, false, "process-compose.yaml:4:70: nesting is too deep (limit 64 levels)");

        /* processes */
        f = open_memstream(&many, &n);
        fputs("processes:\n  a:\n    command: x\n    replicas: 10001\n", f);
        fclose(f);
        check_error(many, false, "process-compose.yaml:2:3: too many processes after replica expansion (limit 10000)");

        /* string length */
        longstr = malloc(COMPOSE_STRING_MAX + 100);
        ASSERT_NOT_NULL(longstr);
        strcpy(longstr, "processes:\n  a:\n    command: ");
        memset(longstr + strlen(longstr), 'x', COMPOSE_STRING_MAX + 1);
        longstr[strlen("processes:\n  a:\n    command: ") + COMPOSE_STRING_MAX + 1] = 0;
        check_error(longstr, false, "process-compose.yaml:3:14: string is too long (1048577 bytes, limit 1048576)");
}

TEST(alias_bomb_is_bounded) {
        /* a billion-laughs document: 9 levels of 10 aliases each */
        const char *bomb =
                "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
                "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
                "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
                "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
                "h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
                "processes:\n  p:\n    vars:\n      v: *h\n";
        ComposeProject *p = NULL;
        _cleanup_free_ char *m = NULL;

        ASSERT_ERROR(load(bomb, false, &p, &m), E2BIG);
        ASSERT_TRUE(strstr(m, "document contains excessive aliasing"));
}

TEST(aliasing_ratio_as_yaml_v3) {
        /* found by fuzz-compose-load: 3.2 million nodes through aliases, under the 4 Mi node limit, took
         * seconds to load and ~16 MB for one vars value; yaml.v3 (process-compose) refuses it */
        const char *small_bomb =
                "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
                "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                "c: &c [*b, *b, *b, *b, x]\n"
                "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
                "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
                "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
                "processes:\n  p:\n    vars:\n      v: *g\n";
        /* ordinary use: one anchored block reused by many processes */
        const char *reuse =
                "x-base: &base {command: 'true', environment: [A=1, B=2], availability: {restart: 'no'}}\n"
                "processes:\n"
                "  p1: *base\n  p2: *base\n  p3: *base\n  p4: *base\n  p5: *base\n"
                "  p6: {<<: *base, command: 'false'}\n";
        ComposeProject *p = NULL;
        _cleanup_free_ char *m = NULL, *m2 = NULL;

        ASSERT_ERROR(load(small_bomb, false, &p, &m), E2BIG);
        ASSERT_TRUE(strstr(m, "document contains excessive aliasing"));
        ASSERT_OK(load(reuse, false, &p, &m2));
        ASSERT_EQ(p->n_processes, 6u);
        compose_project_free(p);
}

TEST(file_size_limit) {
        ComposeLoadOptions o = { .disable_dotenv = true };
        ComposeProject *p = NULL;
        ComposeError e = {};
        size_t big = COMPOSE_FILE_SIZE_MAX + 1;
        char *text = malloc(big);

        ASSERT_NOT_NULL(text);
        memset(text, '#', big);
        ASSERT_ERROR(compose_load_string(text, big, "big.yaml", &o, &p, &e), E2BIG);
        ASSERT_STREQ(e.message, "file is too large (16777217 bytes, limit 16777216)");
        compose_error_done(&e);
        free(text);
}

TEST(nul_bytes_are_refused) {
        ComposeLoadOptions o = { .disable_dotenv = true };
        ComposeProject *p = NULL;
        ComposeError e = {};

        ASSERT_ERROR(compose_load_string("a: b\0c", 6, "nul.yaml", &o, &p, &e), EINVAL);
        ASSERT_STREQ(e.message, "file contains NUL bytes");
        compose_error_done(&e);
}

TEST(missing_file) {
        ComposeLoadOptions o = { .disable_dotenv = true };
        ComposeProject *p = NULL;
        ComposeError e = {};
        _cleanup_free_ char *m = NULL;

        ASSERT_NOT_NULL(o.working_directory = strdup(test_fixture("compose")));
        ASSERT_OK(strv_extend(&o.files, "nope.yaml"));
        ASSERT_ERROR(compose_load(&o, &p, &e), ENOENT);
        m = compose_error_format(&e);
        ASSERT_STREQ(m, "nope.yaml: file does not exist");
        compose_error_done(&e);
        compose_load_options_done(&o);
}

TEST(x_systemd_must_be_scalars) {
        check_error("processes:\n  a:\n    command: x\n    x-systemd:\n      MemoryMax: [1]\n", false,
                    "process-compose.yaml:5:18: x-systemd property 'MemoryMax' must be a scalar (unit-file syntax), got a list");
}

TEST(error_format) {
        ComposeError e = { .file = (char *) "f.yaml", .line = 3, .column = 7, .message = (char *) "boom" };
        _cleanup_free_ char *a = compose_error_format(&e), *b = NULL, *c = NULL;
        ASSERT_STREQ(a, "f.yaml:3:7: boom");
        e.line = e.column = 0;
        b = compose_error_format(&e);
        ASSERT_STREQ(b, "f.yaml: boom");
        e.file = NULL;
        c = compose_error_format(&e);
        ASSERT_STREQ(c, "boom");
}

DEFINE_TEST_MAIN();
