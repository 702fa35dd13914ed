/* pcctl analyze critical-chain [PROCESS...]: when each process of the running project became ready, as a
 * tree of its dependency chains (process-compose's `analyze critical-chain`, in systemd-analyze's format;
 * client/client-chain.h). The start times are the units' own (ExecMainStartTimestamp, as the controller
 * reports them in process_start_time), the ready times the controller's (the readiness probe's success or the
 * ready_log_line; the start time for a process without either). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli-client.h"
#include "cli/verbs.h"
#include "client/client-chain.h"
#include "shared/json-util.h"

static void analyze_help(void) {
        printf("Usage: pcctl analyze COMMAND [OPTIONS...]\n\n"
               "Analyze the startup of the running project.\n\n"
               "Commands:\n"
               "  critical-chain [PROCESS...]  Print the dependency chains with the time each process became\n"
               "                               ready (@, after the project's start) and took to become ready (+)\n\n"
               "Options:\n"
               CLIENT_OPTIONS_HELP
               "  -h, --help             Show this help\n");
}

int verb_analyze(int argc, char **argv) {
        _cleanup_(client_options_done) ClientOptions o = CLIENT_OPTIONS_INIT;
        _cleanup_(http_client_freep) HttpClient *c = NULL;
        _cleanup_json_ cJSON *project = NULL, *states = NULL, *graph = NULL;
        _cleanup_free_ char *err = NULL;
        const CliVerbOptions v = { .verb = "analyze", .help = analyze_help };
        const char *unknown = NULL;
        int r, ind;

        r = cli_parse_options(argc, argv, &v, &o, NULL, &ind);
        if (r != 0)
                return r > 0 ? EXIT_SUCCESS : EXIT_FAILURE;
        if (ind >= argc) {
                /* as process-compose's command group: no subcommand prints the help */
                analyze_help();
                return EXIT_SUCCESS;
        }
        if (!streq(argv[ind], "critical-chain"))
                return cli_usage_error("analyze", "unknown command '%s'", argv[ind]);
        if (cli_open_client(&o, &c) < 0)
                return EXIT_FAILURE;

        r = http_client_call(c, "GET", "/project/state", NULL, false, &project, NULL, &err);
        if (r < 0)
                return cli_fail(r, err, "failed to get project state");
        r = http_client_call(c, "GET", "/processes", NULL, false, &states, NULL, &err);
        if (r < 0)
                return cli_fail(r, err, "failed to get process states");
        r = http_client_call(c, "GET", "/graph", NULL, false, &graph, NULL, &err);
        if (r < 0)
                return cli_fail(r, err, "failed to get dependency graph");

        r = client_critical_chain_print(stdout, project, cJSON_GetObjectItemCaseSensitive(states, "data"), graph,
                                        argv + ind + 1, cli_use_color(), &unknown);
        if (r == -ENOENT) {
                fflush(stdout);
                fprintf(stderr, "unknown process: %s\n", unknown);
                return EXIT_FAILURE;
        }
        if (r < 0)
                return cli_fail(r, NULL, "failed to print the critical chain");
        return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
