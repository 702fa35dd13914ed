/* pcctl info: where pcctl keeps and finds things, as process-compose's `info` prints its log file, shortcut,
 * theme and settings paths ("%-15s %s" lines under a title). pcctl has no log file, TUI shortcuts, themes or
 * settings of its own; it prints what takes their place: the service manager, the API a client verb talks to
 * (from the environment, as the client verbs resolve it), the state directory and where the logs are. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "cli/cli-client.h"
#include "cli/verbs.h"
#include "unit/unit-driver.h"

static void info_help(void) {
        printf("Usage: pcctl info\n\n"
               "Print where pcctl finds the service manager, the API, its state and the logs.\n\n"
               "  -h, --help     show this help\n");
}

static void print_api(void) {
        _cleanup_(client_options_done) ClientOptions o = CLIENT_OPTIONS_INIT;
        _cleanup_free_ char *err = NULL, *s = NULL;
        const char *tmp = getenv("TMPDIR"), *address;

        if (client_options_from_env(&o, &err) < 0) {
                cli_print_field("API:", err ?: "invalid PC_* settings");
                return;
        }
        address = o.address ?: CLIENT_DEFAULT_ADDRESS;
        if (o.socket_path)
                (void) asprintf(&s, "unix:%s", o.socket_path);
        else if (o.use_uds)
                (void) asprintf(&s, "unix:%s/process-compose-<pid>.sock", isempty(tmp) ? "/tmp" : tmp);
        else if (strchr(address, ':'))
                (void) asprintf(&s, "[%s]:%u", address, (unsigned) o.port);
        else
                (void) asprintf(&s, "%s:%u", address, (unsigned) o.port);
        cli_print_field("API:", s ?: "?");
}

int verb_info(int argc, char **argv) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                {}
        };
        _cleanup_free_ char *socket = NULL, *manager = NULL, *state = NULL;
        const char *runtime = getenv("XDG_RUNTIME_DIR");
        int c;

        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
                if (c == 'h') {
                        info_help();
                        return EXIT_SUCCESS;
                }
                return cli_usage_error("info", "unknown option '%s'", argv[optind - 1]);
        }
        if (optind < argc)
                return cli_usage_error("info", "unexpected argument '%s'", argv[optind]);

        printf("pcctl\n");
        cli_print_field("Version:", PCCTL_VERSION);
        if (unit_manager_private_socket(UNIT_MANAGER_USER, &socket) >= 0)
                (void) asprintf(&manager, "user (%s; --system: the system manager)", socket);
        cli_print_field("Manager:", manager ?: "user ($XDG_RUNTIME_DIR is not set; --system: the system manager)");
        print_api();
        if (!isempty(runtime))
                (void) asprintf(&state, "%s/pcctl", runtime);
        cli_print_field("State:", state ?: "none ($XDG_RUNTIME_DIR is not set)");
        cli_print_field("Logs:", "the journal: pcctl logs, pcctl process logs, journalctl --user -u 'pcctl-*'");
        cli_print_field("Units:", "pcctl-<project>-<process>.service in pcctl-<project>.slice");
        return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
