/* pcctl down: stop every process of the running project and end its controller (POST /project/stop). */
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli-client.h"
#include "cli/verbs.h"

static void down_help(void) {
        printf("Usage: pcctl down [OPTIONS...]\n\n"
               "Stop every process of the running project and end its controller.\n\n"
               "Options:\n" CLIENT_OPTIONS_HELP
               "  -h, --help             Show this help\n");
}

int verb_down(int argc, char **argv) {
        _cleanup_(client_options_done) ClientOptions o = CLIENT_OPTIONS_INIT;
        _cleanup_(http_client_freep) HttpClient *c = NULL;
        _cleanup_free_ char *err = NULL;
        const CliVerbOptions v = { .verb = "down", .help = down_help };
        int r, ind;

        r = cli_parse_options(argc, argv, &v, &o, NULL, &ind);
        if (r != 0)
                return r > 0 ? EXIT_SUCCESS : EXIT_FAILURE;
        if (ind < argc)
                return cli_usage_error("down", "unexpected argument '%s'", argv[ind]);
        if (cli_open_client(&o, &c) < 0)
                return EXIT_FAILURE;

        /* The answer comes once every process has stopped, which takes as long as their shutdowns. */
        http_client_set_timeout(c, HTTP_CLIENT_TIMEOUT_LONG_MS);
        r = http_client_call(c, "POST", "/project/stop", NULL, false, NULL, NULL, &err);
        if (r < 0)
                return cli_fail(r, err, "failed to stop project");
        return EXIT_SUCCESS;
}
