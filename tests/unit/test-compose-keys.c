/* Every key's default, and every key set: the model holds what the file says. */
#include "compose/compose.h"
#include "shared/strv.h"
#include "tests.h"

static char *base_env[] = { "PATH=/usr/local/bin:/usr/bin:/bin", NULL };

static ComposeProject *load(const char *text, bool tui_disabled) {
        ComposeLoadOptions o = { .disable_dotenv = true, .tui_disabled = tui_disabled };
        ComposeProject *p = NULL;
        ComposeError e = {};

        ASSERT_NOT_NULL(o.working_directory = strdup("/tmp"));
        ASSERT_NOT_NULL(o.environ = strv_copy(base_env));
        if (compose_load_string(text, strlen(text), "keys.yaml", &o, &p, &e) < 0)
                TEST_FAIL("load: %s", strempty(e.message));
        compose_load_options_done(&o);
        return p;
}

TEST(project_defaults) {
        _cleanup_(compose_project_freep) ComposeProject *p = load("processes:\n  a:\n    command: x\n", false);

        ASSERT_EQ(p->log_length, 1000);
        ASSERT_STREQ(p->shell.shell_command, "bash");
        ASSERT_STREQ(p->shell.shell_argument, "-c");
        ASSERT_STREQ(p->shell.elevated_shell_command, "sudo");
        ASSERT_STREQ(p->shell.elevated_shell_argument, "-S");
        ASSERT_STREQ(p->project_name, "tmp");
        ASSERT_NULL(p->name);
        ASSERT_FALSE(p->is_strict);
        ASSERT_FALSE(p->ordered_shutdown);
        ASSERT_FALSE(p->disable_env_expansion);
        ASSERT_NULL(p->log_configuration);
        ASSERT_EQ(p->n_env_cmds, 0u);
        ASSERT_STREQ(p->file_names[0], "keys.yaml");
        ASSERT_STREQ(p->working_directory, "/tmp");
}

TEST(process_defaults) {
        _cleanup_(compose_project_freep) ComposeProject *p = load(
                "processes:\n  a:\n    command: x\n"
                "    readiness_probe:\n      http_get:\n        port: nope\n"
                "    liveness_probe:\n      exec:\n        command: \"true\"\n"
                "    schedule:\n      cron: \"* * * * *\"\n"
                "    watch:\n      paths: [{path: src}]\n"
                "    depends_on:\n      b:\n"
                "  b:\n    entrypoint: [ls, -l]\n",
                false);
        ComposeProcess *a = compose_project_find_process(p, "a"), *b = compose_project_find_process(p, "b");

        ASSERT_STREQ(a->name, "a");
        ASSERT_STREQ(a->base_name, "a");
        ASSERT_STREQ(a->replica_name, "a");
        ASSERT_EQ(a->replica_num, 0);
        ASSERT_EQ(a->replicas, 1);
        ASSERT_STREQ(a->namespaces[0], "default");
        ASSERT_EQ(strv_length(a->namespaces), 1u);
        ASSERT_EQ(a->launch_timeout_seconds, 5);
        ASSERT_EQ(a->shutdown.signal, 15);
        ASSERT_EQ(a->shutdown.timeout_seconds, 0);
        ASSERT_NULL(a->shutdown.command);
        ASSERT_EQ(a->availability.restart, COMPOSE_RESTART_NO);
        ASSERT_EQ(a->availability.backoff_seconds, 1);
        ASSERT_EQ(a->availability.max_restarts, 0);
        ASSERT_FALSE(a->availability.exit_on_end);
        ASSERT_FALSE(a->disabled);
        ASSERT_FALSE(a->is_daemon);
        ASSERT_NULL(a->working_dir);
        ASSERT_NULL(a->env_file);
        /* depends_on without condition: process_completed (process-compose's code, not its docs) */
        ASSERT_EQ(a->depends_on[0].condition, COMPOSE_CONDITION_PROCESS_COMPLETED);
        /* probe defaults */
        ASSERT_STREQ(a->readiness_probe->http_get->host, "127.0.0.1");
        ASSERT_STREQ(a->readiness_probe->http_get->scheme, "http");
        ASSERT_STREQ(a->readiness_probe->http_get->path, "/");
        ASSERT_EQ(a->readiness_probe->http_get->num_port, 0);
        ASSERT_EQ(a->readiness_probe->http_get->status_code, 200);
        ASSERT_EQ(a->readiness_probe->initial_delay_seconds, 0);
        ASSERT_EQ(a->readiness_probe->period_seconds, 10);
        ASSERT_EQ(a->readiness_probe->timeout_seconds, 1);
        ASSERT_EQ(a->readiness_probe->success_threshold, 1);
        ASSERT_EQ(a->readiness_probe->failure_threshold, 3);
        /* exec probes inherit working_dir (empty here) */
        ASSERT_STREQ(a->liveness_probe->exec->command, "true");
        ASSERT_EQ(a->schedule->max_concurrent, 1);
        ASSERT_FALSE(a->schedule->run_on_start);
        ASSERT_STREQ(a->watch->debounce, "300ms");
        ASSERT_EQ(a->watch->debounce_usec, 300 * USEC_PER_MSEC);
        ASSERT_EQ(a->watch->max_entries, 8192);
        ASSERT_EQ(a->watch->buffer_size, 65536);
        ASSERT_STREQ(a->watch->paths[0].path, "/tmp/src");
        /* command → shell */
        ASSERT_STREQ(a->executable, "bash");
        ASSERT_STREQ(a->args[0], "-c");
        ASSERT_STREQ(a->args[1], "x");
        /* entrypoint → no shell */
        ASSERT_STREQ(b->executable, "ls");
        ASSERT_STREQ(b->args[0], "-l");
        ASSERT_NULL(b->args[1]);
}

TEST(every_key_set) {
        _cleanup_(compose_project_freep) ComposeProject *p = load(
                "version: \"0.5\"\nname: myproj\nlog_location: /tmp/pc.log\nlog_level: debug\nlog_length: 50\n"
                "log_configuration:\n  disable_json: true\n  rotation: {max_size_mb: 1}\n"
                "is_strict: false\nordered_shutdown: true\nis_tui_disabled: true\n"
                "env_cmds: {A: \"echo a\"}\n"
                "processes:\n"
                "  a:\n"
                "    description: desc\n    command: x\n    working_dir: /srv\n    environment: [K=V]\n"
                "    env_file: e.env\n    is_dotenv_disabled: true\n"
                "    availability: {restart: exit_on_failure, backoff_seconds: 4, max_restarts: 2, exit_on_end: true, exit_on_skipped: true}\n"
                "    liveness_probe:\n      exec: {command: check, working_dir: /w}\n      initial_delay_seconds: 2\n"
                "      period_seconds: 3\n      timeout_seconds: 4\n      success_threshold: 5\n      failure_threshold: 6\n"
                "    ready_log_line: ready\n"
                "    shutdown: {command: stop, signal: 2, timeout_seconds: 9, parent_only: true}\n"
                "    namespace: ns1\n    disabled: true\n    is_daemon: true\n    launch_timeout_seconds: 7\n"
                "    is_tty: true\n    is_interactive: true\n    is_foreground: true\n    truncate_log: true\n"
                "    log_location: /tmp/a.log\n    log_configuration: {flush_each_line: true, fields_order: [message]}\n"
                "    success_exit_codes: [130]\n"
                "    is_disabled: \"false\"\n"
                "  b:\n    command: y\n    shutdown: {signal: 99, send_keys: q}\n    is_tty: true\n    is_elevated: true\n"
                "    schedule: {interval: 1h30m, run_on_start: true, max_concurrent: 2, timezone: UTC}\n"
                "    readiness_probe:\n      http_get: {port: \"70000\", status_code: 500, headers: {X-A: b}}\n",
                true);
        ComposeProcess *a = compose_project_find_process(p, "a"), *b = compose_project_find_process(p, "b");

        ASSERT_STREQ(p->version, "0.5");
        ASSERT_STREQ(p->project_name, "myproj");
        ASSERT_STREQ(p->log_location, "/tmp/pc.log");
        ASSERT_STREQ(p->log_level, "debug");
        ASSERT_EQ(p->log_length, 50);
        ASSERT_TRUE(p->log_configuration->disable_json);
        ASSERT_EQ(p->log_configuration->rotation->max_size_mb, 1);
        ASSERT_TRUE(p->ordered_shutdown);
        ASSERT_TRUE(p->is_tui_disabled);
        ASSERT_STREQ(p->env_cmds[0].key, "A");

        ASSERT_STREQ(a->description, "desc");
        ASSERT_STREQ(a->working_dir, "/srv");
        ASSERT_STREQ(a->environment[0], "K=V");
        ASSERT_STREQ(a->env_file, "e.env");
        ASSERT_TRUE(a->is_dotenv_disabled);
        ASSERT_EQ(a->availability.restart, COMPOSE_RESTART_EXIT_ON_FAILURE);
        ASSERT_EQ(a->availability.backoff_seconds, 4);
        ASSERT_EQ(a->availability.max_restarts, 2);
        ASSERT_TRUE(a->availability.exit_on_end);
        ASSERT_TRUE(a->availability.exit_on_skipped);
        ASSERT_STREQ(a->liveness_probe->exec->working_dir, "/w");
        ASSERT_EQ(a->liveness_probe->initial_delay_seconds, 2);
        ASSERT_EQ(a->liveness_probe->period_seconds, 3);
        ASSERT_EQ(a->liveness_probe->timeout_seconds, 4);
        ASSERT_EQ(a->liveness_probe->success_threshold, 5);
        ASSERT_EQ(a->liveness_probe->failure_threshold, 6);
        ASSERT_STREQ(a->ready_log_line, "ready");
        ASSERT_STREQ(a->shutdown.command, "stop");
        ASSERT_EQ(a->shutdown.signal, 2);
        ASSERT_EQ(a->shutdown.timeout_seconds, 9);
        ASSERT_TRUE(a->shutdown.parent_only);
        ASSERT_STREQ(a->namespaces[0], "ns1");
        /* is_disabled "false" overrides disabled: true */
        ASSERT_FALSE(a->disabled);
        ASSERT_TRUE(a->is_daemon);
        ASSERT_EQ(a->launch_timeout_seconds, 7);
        ASSERT_TRUE(a->is_tty);
        ASSERT_TRUE(a->is_interactive);
        ASSERT_TRUE(a->is_foreground);
        ASSERT_TRUE(a->truncate_log);
        ASSERT_STREQ(a->log_location, "/tmp/a.log");
        ASSERT_TRUE(a->log_configuration->flush_each_line);
        ASSERT_STREQ(a->log_configuration->fields_order[0], "message");
        ASSERT_EQ(a->success_exit_codes[0], 130);

        /* out-of-range signal → 15; bad port → no num_port; bad status → 200 */
        ASSERT_EQ(b->shutdown.signal, 15);
        ASSERT_STREQ(b->shutdown.send_keys, "q");
        ASSERT_EQ(b->readiness_probe->http_get->num_port, 0);
        ASSERT_EQ(b->readiness_probe->http_get->status_code, 200);
        ASSERT_STREQ(b->readiness_probe->http_get->headers[0].key, "X-A");
        ASSERT_EQ(b->schedule->interval_usec, 90 * USEC_PER_MINUTE);
        ASSERT_TRUE(b->schedule->run_on_start);
        ASSERT_EQ(b->schedule->max_concurrent, 2);
        ASSERT_STREQ(b->schedule->timezone, "UTC");
        /* is_elevated: sudo with an empty argument when the TUI is disabled */
        ASSERT_STREQ(b->args[1], "sudo  y");
}

TEST(elevated_entrypoint_and_tui) {
        _cleanup_(compose_project_freep) ComposeProject *p =
                load("processes:\n  a:\n    entrypoint: [id, -u]\n    is_elevated: true\n", false);
        ComposeProcess *a = compose_project_find_process(p, "a");
        ASSERT_STREQ(a->executable, "sudo");
        ASSERT_STREQ(a->args[0], "-S");
        ASSERT_STREQ(a->args[1], "id");
        ASSERT_STREQ(a->args[2], "-u");
}

TEST(watch_paths_are_replaced_by_an_override) {
        _cleanup_(compose_project_freep) ComposeProject *p = load(
                "processes:\n"
                "  base:\n    command: x\n    watch: {paths: [{path: /a}, {path: /b}], cascade: true}\n"
                "  d:\n    extends: base\n    watch: {paths: [{path: /c}]}\n",
                false);
        ComposeProcess *d = compose_project_find_process(p, "d");
        ASSERT_EQ(d->watch->n_paths, 1u);
        ASSERT_STREQ(d->watch->paths[0].path, "/c");
        ASSERT_TRUE(d->watch->cascade);
}

TEST(condition_and_restart_tables) {
        for (int c = 0; c < _COMPOSE_CONDITION_MAX; c++)
                ASSERT_EQ(compose_condition_from_string(compose_condition_to_string(c)), c);
        for (int r = 0; r < _COMPOSE_RESTART_MAX; r++)
                ASSERT_EQ(compose_restart_from_string(compose_restart_to_string(r)), r);
        ASSERT_STREQ(compose_condition_to_short_string(COMPOSE_CONDITION_PROCESS_HEALTHY), "healthy");
        ASSERT_EQ(compose_condition_from_string("nope"), _COMPOSE_CONDITION_INVALID);
        ASSERT_EQ(compose_restart_from_string(NULL), _COMPOSE_RESTART_INVALID);
        ASSERT_NULL(compose_condition_to_string(_COMPOSE_CONDITION_MAX));
}

TEST(namespace_forms_and_mcp) {
        _cleanup_(compose_project_freep) ComposeProject *p = load(
                "processes:\n  a:\n    command: x\n    namespace: \"\"\n  b:\n    command: x\n    namespace: [x, y]\n"
                "  m:\n    command: x\n    mcp: {type: tool}\n",
                false);
        ASSERT_STREQ(compose_project_find_process(p, "a")->namespaces[0], "default");
        ASSERT_EQ(strv_length(compose_project_find_process(p, "b")->namespaces), 2u);
        /* an MCP process is forced disabled, as process-compose does */
        ASSERT_TRUE(compose_project_find_process(p, "m")->disabled);
        ASSERT_TRUE(strv_length(p->notes) >= 1);
}

DEFINE_TEST_MAIN();
