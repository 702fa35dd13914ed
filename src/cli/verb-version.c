/* pcctl version [-s]: the version (meson's project version), as process-compose's `version` prints its own:
 * a title line, then "%-15s %s" fields; --short/-s prints the bare version. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "cli/cli-client.h"
#include "cli/verbs.h"

/* The process-compose release whose behaviour pcctl follows (docs/compat.md). */
#define PCCTL_COMPAT_VERSION "v1.122"

static void version_help(void) {
        printf("Usage: pcctl version [-s]\n\n"
               "Print the version of pcctl.\n\n"
               "  -s, --short    print only the version\n"
               "  -h, --help     show this help\n");
}

int verb_version(int argc, char **argv) {
        static const struct option options[] = {
                { "short", no_argument, NULL, 's' },
                { "help",  no_argument, NULL, 'h' },
                {}
        };
        bool short_version = false;
        int c;

        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "sh", options, NULL)) >= 0)
                switch (c) {
                case 's':
                        short_version = true;
                        break;
                case 'h':
                        version_help();
                        return EXIT_SUCCESS;
                default:
                        return cli_usage_error("version", "unknown option '%s'", argv[optind - 1]);
                }
        if (optind < argc)
                return cli_usage_error("version", "unexpected argument '%s'", argv[optind]);

        if (short_version) {
                printf("%s\n", PCCTL_VERSION);
                return EXIT_SUCCESS;
        }
        printf("pcctl\n");
        cli_print_field("Version:", PCCTL_VERSION);
        cli_print_field("Follows:", "process-compose " PCCTL_COMPAT_VERSION " (docs/compat.md)");
        cli_print_field("Runs on:", "the systemd service manager (user or --system)");
        return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
