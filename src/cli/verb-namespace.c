/* pcctl namespace (alias ns): list the namespaces of the running project, start, stop or restart one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli-client.h"
#include "cli/verbs.h"
#include "shared/json-util.h"

static void namespace_help(void) {
        printf("Usage: pcctl namespace COMMAND [OPTIONS...]    (alias: ns)\n\n"
               "Perform operations on a namespace.\n\n"
               "Commands:\n"
               "  list, ls        List the namespaces\n"
               "  start NS        Start all processes of NS\n"
               "  stop NS         Stop all processes of NS\n"
               "  restart NS      Restart all processes of NS\n\n"
               "Options:\n"
               CLIENT_OPTIONS_HELP
               "  -h, --help             Show this help\n");
}

static int namespace_list(HttpClient *c) {
        _cleanup_json_ cJSON *j = NULL;
        _cleanup_free_ char *err = NULL;
        const cJSON *ns;
        int r;

        r = http_client_call(c, "GET", "/namespaces", NULL, false, &j, NULL, &err);
        if (r == -EACCES)
                return cli_fail(r, err, "Failed to list namespaces");
        if (r >= 0 && !cJSON_IsArray(j)) {
                r = -EPROTO;
                free(err);
                err = strdup("invalid response: not an array");
        }
        if (r < 0) {
                printf("Failed to list namespaces: %s\n", err ?: strerror(-r));
                return EXIT_FAILURE;
        }
        cJSON_ArrayForEach(ns, j)
                if (cJSON_IsString(ns))
                        printf("%s\n", ns->valuestring);
        return EXIT_SUCCESS;
}

/* sub is "start", "stop" or "restart". */
static int namespace_action(HttpClient *c, const char *sub, const char *ns) {
        _cleanup_free_ char *prefix = NULL, *path = NULL, *err = NULL;
        int r;

        if (asprintf(&prefix, "/namespace/%s", sub) < 0 || client_path(&path, prefix, ns, NULL) < 0)
                return cli_fail(-ENOMEM, NULL, "out of memory");
        http_client_set_timeout(c, HTTP_CLIENT_TIMEOUT_LONG_MS);
        r = http_client_call(c, "POST", path, NULL, false, NULL, NULL, &err);
        if (r == -EACCES)
                return cli_fail(r, err, "Failed to %s namespace", sub);
        if (r < 0) {
                printf("Failed to %s namespace '%s': %s\n", sub, ns, err ?: strerror(-r));
                return EXIT_FAILURE;
        }
        /* "started", "stopped", "restarted" */
        printf("Namespace '%s' %s%s successfully\n", ns, sub, streq(sub, "stop") ? "ped" : "ed");
        return EXIT_SUCCESS;
}

int verb_namespace(int argc, char **argv) {
        _cleanup_(client_options_done) ClientOptions o = CLIENT_OPTIONS_INIT;
        _cleanup_(http_client_freep) HttpClient *c = NULL;
        const CliVerbOptions v = { .verb = "namespace", .help = namespace_help };
        const char *sub;
        int r, n, ind;

        r = cli_parse_options(argc, argv, &v, &o, NULL, &ind);
        if (r != 0)
                return r > 0 ? EXIT_SUCCESS : EXIT_FAILURE;
        n = argc - ind;
        if (n == 0) {
                /* process-compose prints the help and exits 0 */
                namespace_help();
                return EXIT_SUCCESS;
        }
        sub = argv[ind];

        if (streq(sub, "list") || streq(sub, "ls")) {
                if (cli_need_args("namespace list", n - 1, 0, 0, "none") < 0 || cli_open_client(&o, &c) < 0)
                        return EXIT_FAILURE;
                return namespace_list(c);
        }
        if (streq(sub, "start") || streq(sub, "stop") || streq(sub, "restart")) {
                if (cli_need_args(streq(sub, "start") ? "namespace start" :
                                  streq(sub, "stop") ? "namespace stop" : "namespace restart",
                                  n - 1, 1, 1, "NAMESPACE") < 0 || cli_open_client(&o, &c) < 0)
                        return EXIT_FAILURE;
                return namespace_action(c, sub, argv[ind + 1]);
        }
        return cli_usage_error("namespace", "unknown command '%s'", sub);
}
