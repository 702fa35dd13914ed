/* pcctl config: load the project exactly as `pcctl up` would and print the result.
 *
 *   pcctl config [-f FILE]... [-e FILE]... [--disable-dotenv] [-n NS]... [-o yaml|json] [--verbose]
 *
 * Any load error is printed as "file:line:col: message" on stderr and the exit code is 1. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/cli-x-systemd.h"
#include "cli/verbs.h"
#include "compose/compose-json.h"
#include "compose/compose.h"
#include "shared/json-util.h"
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

typedef struct ConfigArgs {
        char **files, **env_files, **namespaces;
        const char *output;
        bool verbose, disable_dotenv, strict;
} ConfigArgs;

static void config_args_done(ConfigArgs *a) {
        strv_free(a->files);
        strv_free(a->env_files);
        strv_free(a->namespaces);
}

static int config_oom(void) {
        fprintf(stderr, "pcctl config: out of memory\n");
        return -ENOMEM;
}

/* 1 parsed, 0 after --help, or a negative error (printed). */
static int config_parse_args(int argc, char **argv, ConfigArgs *a) {
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
        int c;

        optind = 1;
        while ((c = getopt_long(argc, argv, "f:e:n:o:vh", options, NULL)) >= 0)
                switch (c) {
                case 'f':
                case 'e':
                        if (strv_extend(c == 'f' ? &a->files : &a->env_files, optarg) < 0)
                                return config_oom();
                        break;
                case 'n': {
                        /* "-n a,b" and "-n a -n b" both work, as cobra's string slices */
                        _cleanup_strv_free_ char **l = strv_split(optarg, ",", false);

                        if (!l)
                                return config_oom();
                        STRV_FOREACH(s, l)
                                if (strv_extend(&a->namespaces, *s) < 0)
                                        return config_oom();
                        break;
                }
                case 'o':
                        if (!streq(optarg, "yaml") && !streq(optarg, "json")) {
                                fprintf(stderr, "pcctl config: unknown output format '%s' (yaml or json)\n", optarg);
                                return -EINVAL;
                        }
                        a->output = optarg;
                        break;
                case ARG_DISABLE_DOTENV:
                        a->disable_dotenv = true;
                        break;
                case ARG_STRICT:
                        a->strict = true;
                        break;
                case 'v':
                        a->verbose = true;
                        break;
                case 'h':
                        config_help();
                        return 0;
                default:
                        return -EINVAL;
                }
        if (optind < argc) {
                fprintf(stderr, "pcctl config: unexpected argument '%s'\n", argv[optind]);
                return -EINVAL;
        }
        return 1;
}

static int config_print(const ComposeProject *project, const char *output) {
        if (streq(output, "json")) {
                _cleanup_json_ cJSON *j = compose_project_to_json(project);
                _cleanup_free_ char *s = j ? cJSON_Print(j) : NULL;

                if (!s)
                        return config_oom();
                printf("%s\n", s);
        } else {
                _cleanup_free_ char *s = NULL;

                if (compose_project_format_yaml(project, &s) < 0)
                        return config_oom();
                fputs(s, stdout);
        }
        return fflush(stdout) == 0 ? 0 : -EIO;
}

int verb_config(int argc, char **argv) {
        _cleanup_(compose_project_freep) ComposeProject *project = NULL;
        _cleanup_(config_args_done) ConfigArgs a = { .output = "yaml" };
        ComposeLoadOptions opts;
        ComposeError error = {};
        int r;

        r = config_parse_args(argc, argv, &a);
        if (r <= 0)
                return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;

        compose_load_options_init(&opts);
        /* flags win over the environment */
        opts.files = TAKE_PTR(a.files);
        opts.env_files = TAKE_PTR(a.env_files);
        opts.namespaces = TAKE_PTR(a.namespaces);
        opts.disable_dotenv = a.disable_dotenv;
        opts.strict = a.strict;
        if (compose_load_options_from_env(&opts, NULL) < 0) {
                compose_load_options_done(&opts);
                config_oom();
                return EXIT_FAILURE;
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

        if (a.verbose) {
                STRV_FOREACH(w, project->warnings)
                        fprintf(stderr, "warning: %s\n", *w);
                STRV_FOREACH(n, project->notes)
                        fprintf(stderr, "note: %s\n", *n);
        }
        return config_print(project, a.output) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
