/* pcctl down: stop every process of the running project and end its controller (POST /project/stop); when no
 * controller answers, stop the project through systemd (down-systemd.h, docs/lifecycle.md "Controller
 * restarts"). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli-client.h"
#include "cli/down-systemd.h"
#include "cli/verbs.h"

/* How long `down --force` waits for the controller's answer before going through systemd. */
#define DOWN_FORCE_TIMEOUT_MS 5000

enum {
        ARG_FORCE = 0x100,
};

static void down_help(void) {
        printf("Usage: pcctl down [OPTIONS...]\n\n"
               "Stop every process of the running project and end its controller. When no controller\n"
               "answers, stop the project through systemd (the project of the configuration here, else the\n"
               "one whose state file names this API address).\n\n"
               "Options:\n" CLIENT_OPTIONS_HELP
               "      --force            Wait only a few seconds for the controller, then stop the project\n"
               "                         through systemd (killing a controller that does not answer)\n"
               "  -h, --help             Show this help\n");
}

static int down_parse(int c, const char *arg, void *userdata) {
        bool *force = userdata;

        if (c != ARG_FORCE) {
                (void) cli_usage_error("down", "invalid option");
                return -1;
        }
        *force = true;
        return 0;
}

/* No controller: refused or no socket (it crashed, was killed, or stopped with up --keep-running); with
 * --force also one that does not answer in time. */
static bool down_needs_systemd(int r, bool force) {
        return r == -ECONNREFUSED || r == -ENOENT || r == -ECONNRESET || r == -ENOTCONN || r == -EHOSTUNREACH ||
                r == -ENETUNREACH || r == -EADDRNOTAVAIL || (force && r == -ETIMEDOUT);
}

int verb_down(int argc, char **argv) {
        static const struct option options[] = {
                { "force", no_argument, NULL, ARG_FORCE },
                {}
        };
        _cleanup_(client_options_done) ClientOptions o = CLIENT_OPTIONS_INIT;
        _cleanup_(http_client_freep) HttpClient *c = NULL;
        _cleanup_free_ char *err = NULL;
        bool force = false;
        const CliVerbOptions v = { .verb = "down", .options = options, .parse = down_parse, .help = down_help };
        int r, ind;

        r = cli_parse_options(argc, argv, &v, &o, &force, &ind);
        if (r != 0)
                return r > 0 ? EXIT_SUCCESS : EXIT_FAILURE;
        if (ind < argc)
                return cli_usage_error("down", "unexpected argument '%s'", argv[ind]);
        if (cli_open_client(&o, &c) < 0)
                return EXIT_FAILURE;

        /* The answer comes once every process has stopped, which takes as long as their shutdowns. */
        http_client_set_timeout(c, force ? DOWN_FORCE_TIMEOUT_MS : HTTP_CLIENT_TIMEOUT_LONG_MS);
        r = http_client_call(c, "POST", "/project/stop", NULL, false, NULL, NULL, &err);
        if (r < 0 && down_needs_systemd(r, force)) {
                int k = down_via_systemd(&o, force);
                if (k != -ESRCH)
                        return k < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
                /* nothing of the project is left: the client's own error, as process-compose */
        }
        if (r < 0)
                return cli_fail(r, err, "failed to stop project");
        return EXIT_SUCCESS;
}
