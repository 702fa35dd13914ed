/* pcctl graph: the dependency graph of the running project (GET /graph) as a tree, JSON or mermaid. */
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli-client.h"
#include "cli/verbs.h"
#include "client/client-render.h"
#include "shared/json-util.h"

static void graph_help(void) {
        printf("Usage: pcctl graph [-f ascii|json|mermaid] [OPTIONS...]\n\n"
               "Print the dependency graph of the running project.\n\n"
               "Options:\n"
               "  -f, --format FORMAT    ascii (default, a tree), json (the /graph body) or mermaid\n"
               CLIENT_OPTIONS_HELP
               "  -h, --help             Show this help\n");
}

static int graph_parse(int c, const char *arg, void *userdata) {
        const char **format = userdata;

        /* c is 'f', the verb's only option of its own */
        if (!streq(arg, "ascii") && !streq(arg, "json") && !streq(arg, "mermaid")) {
                cli_usage_error("graph", "unknown format '%s': expected ascii, json or mermaid", arg);
                return -1;
        }
        *format = arg;
        return 0;
}

int verb_graph(int argc, char **argv) {
        static const struct option options[] = {
                { "format", required_argument, NULL, 'f' },
                {}
        };
        _cleanup_(client_options_done) ClientOptions o = CLIENT_OPTIONS_INIT;
        _cleanup_(http_client_freep) HttpClient *c = NULL;
        _cleanup_json_ cJSON *j = NULL;
        _cleanup_free_ char *err = NULL;
        const char *format = "ascii";
        const CliVerbOptions v = {
                .verb = "graph", .short_options = "f:", .options = options, .parse = graph_parse,
                .help = graph_help,
        };
        int r, ind;

        r = cli_parse_options(argc, argv, &v, &o, &format, &ind);
        if (r != 0)
                return r > 0 ? EXIT_SUCCESS : EXIT_FAILURE;
        if (ind < argc)
                return cli_usage_error("graph", "unexpected argument '%s'", argv[ind]);
        if (cli_open_client(&o, &c) < 0)
                return EXIT_FAILURE;

        r = http_client_call(c, "GET", "/graph", NULL, false, &j, NULL, &err);
        if (r < 0)
                return cli_fail(r, err, "failed to get dependency graph");
        if (!cJSON_IsObject(j))
                return cli_fail(-EPROTO, "invalid response: not an object", "failed to get dependency graph");

        if (streq(format, "json")) {
                r = client_graph_print_json(stdout, j);
                if (r >= 0)
                        putchar('\n');
        } else if (streq(format, "mermaid"))
                r = client_graph_print_mermaid(stdout, j);
        else
                r = client_graph_print_ascii(stdout, j);
        if (r < 0)
                return cli_fail(r, NULL, "failed to print dependency graph");
        return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
