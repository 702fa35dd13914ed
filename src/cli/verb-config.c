/* pcctl config: load the project exactly as `pcctl up` would and print the result.
 *
 *   pcctl config [-f FILE]... [-e FILE]... [--disable-dotenv] [-n NS]... [-o yaml|json] [--verbose]
 *
 * Any load error is printed as "file:line:col: message" on stderr and the exit code is 1. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/cli-x-systemd.h"
#include "cli/verbs.h"
#include "compose/compose-json.h"
#include "compose/compose.h"
#include "shared/macro.h"
#include "shared/strv.h"

static void config_help(void) {
        printf("Usage: pcctl config [OPTIONS...]\n\n"
               "Print the resolved project: files merged, variables substituted, replicas expanded,\n"
               "templates rendered, defaults applied.\n\n"
               "  -f, --config FILE       Configuration file (repeatable; default: discovery)\n"
               "  -e, --env FILE          dotenv file for substitution (repeatable; default: .env)\n"
               "      --disable-dotenv    Do not read any dotenv file\n"
               "  -n, --namespace NS      Admit only processes of these namespaces (repeatable)\n"
               "  -o, --output FORMAT     yaml (default) or json\n"
               "      --strict            Load as with is_strict: true (like --dry-run)\n"
               "  -v, --verbose           Also print warnings and notes on accepted-but-ignored keys\n"
               "  -h, --help              Show this help\n");
}

int verb_config(int argc, char **argv) {
        enum { ARG_DISABLE_DOTENV = 0x100, ARG_STRICT };
        static const struct option options[] = {
                { "config",         required_argument, NULL, 'f' },
                { "env",            required_argument, NULL, 'e' },
                { "disable-dotenv", no_argument,       NULL, ARG_DISABLE_DOTENV },
                { "namespace",      required_argument, NULL, 'n' },
                { "output",         required_argument, NULL, 'o' },
                { "strict",         no_argument,       NULL, ARG_STRICT },
                { "verbose",        no_argument,       NULL, 'v' },
                { "help",           no_argument,       NULL, 'h' },
                {}
        };
        _cleanup_(compose_project_freep) ComposeProject *project = NULL;
        _cleanup_strv_free_ char **files = NULL, **env_files = NULL, **namespaces = NULL;
        ComposeLoadOptions opts;
        ComposeError error = {};
        const char *output = "yaml";
        bool verbose = false, disable_dotenv = false, strict = false;
        int c, r, ret = EXIT_FAILURE;

        optind = 1;
        while ((c = getopt_long(argc, argv, "f:e:n:o:vh", options, NULL)) >= 0)
                switch (c) {
                case 'f':
                        if (strv_extend(&files, optarg) < 0)
                                goto oom;
                        break;
                case 'e':
                        if (strv_extend(&env_files, optarg) < 0)
                                goto oom;
                        break;
                case 'n':
                        /* "-n a,b" and "-n a -n b" both work, as cobra's string slices */
                        {
                                _cleanup_strv_free_ char **l = strv_split(optarg, ",", false);
                                if (!l)
                                        goto oom;
                                STRV_FOREACH(s, l)
                                        if (strv_extend(&namespaces, *s) < 0)
                                                goto oom;
                        }
                        break;
                case 'o':
                        if (!streq(optarg, "yaml") && !streq(optarg, "json")) {
                                fprintf(stderr, "pcctl config: unknown output format '%s' (yaml or json)\n", optarg);
                                return EXIT_FAILURE;
                        }
                        output = optarg;
                        break;
                case ARG_DISABLE_DOTENV:
                        disable_dotenv = true;
                        break;
                case ARG_STRICT:
                        strict = true;
                        break;
                case 'v':
                        verbose = true;
                        break;
                case 'h':
                        config_help();
                        return EXIT_SUCCESS;
                default:
                        return EXIT_FAILURE;
                }
        if (optind < argc) {
                fprintf(stderr, "pcctl config: unexpected argument '%s'\n", argv[optind]);
                return EXIT_FAILURE;
        }

        compose_load_options_init(&opts);
        /* flags win over the environment */
        opts.files = TAKE_PTR(files);
        opts.env_files = TAKE_PTR(env_files);
        opts.namespaces = TAKE_PTR(namespaces);
        opts.disable_dotenv = disable_dotenv;
        opts.strict = strict;
        if (compose_load_options_from_env(&opts, NULL) < 0) {
                compose_load_options_done(&opts);
                goto oom;
        }

        r = compose_load(&opts, &project, &error);
        compose_load_options_done(&opts);
        if (r < 0) {
                _cleanup_free_ char *m = compose_error_format(&error);
                fprintf(stderr, "%s\n", m ?: strerror(-r));
                compose_error_done(&error);
                return EXIT_FAILURE;
        }

        if (cli_validate_x_systemd(project) < 0)
                return EXIT_FAILURE;

        if (verbose) {
                STRV_FOREACH(w, project->warnings)
                        fprintf(stderr, "warning: %s\n", *w);
                STRV_FOREACH(n, project->notes)
                        fprintf(stderr, "note: %s\n", *n);
        }

        if (streq(output, "json")) {
                cJSON *j = compose_project_to_json(project);
                char *s = j ? cJSON_Print(j) : NULL;
                cJSON_Delete(j);
                if (!s)
                        goto oom;
                printf("%s\n", s);
                free(s);
        } else {
                _cleanup_free_ char *s = NULL;
                if (compose_project_format_yaml(project, &s) < 0)
                        goto oom;
                fputs(s, stdout);
        }
        ret = fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
        return ret;
oom:
        fprintf(stderr, "pcctl config: out of memory\n");
        return EXIT_FAILURE;
}
