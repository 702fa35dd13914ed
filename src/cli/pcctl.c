/* pcctl: a systemd-native front end for process-compose projects. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "cli/cli-client.h"
#include "cli/verbs.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "shared/strv.h"

typedef struct Verb {
        const char *name;
        int (*func)(int argc, char **argv);
        const char *help;
} Verb;

static const Verb verbs[] = {
        { "up",        verb_up,        "Run the project: every process as a transient systemd unit" },
        { "run",       verb_run,       "Run PROCESS in the foreground, and its dependencies in the background" },
        { "down",      verb_down,      "Stop a running project" },
        { "config",    verb_config,    "Print the resolved project configuration" },
        { "logs",      verb_logs,      "Show process logs from the journal (journalctl-compatible)" },
        { "process",   verb_process,   "Control processes: list|get|start|stop|restart|scale|ports|logs|monitor" },
        { "list",      verb_list,      "List processes (alias of 'process list')" },
        { "ls",        verb_list,      NULL },
        { "project",   verb_project,   "Project state|is-ready|update" },
        { "namespace", verb_namespace, "Namespaces: list|start|stop|restart" },
        { "ns",        verb_namespace, NULL },
        { "graph",     verb_graph,     "Print the dependency graph" },
        { "attach",    verb_attach,    "Connect this terminal to an interactive process (Ctrl-] detaches)" },
        { "analyze",   verb_analyze,   "Analyze the startup: critical-chain [PROCESS...]" },
        { "info",      verb_info,      "Print where pcctl finds the manager, the API, its state and logs" },
        { "version",   verb_version,   "Print the version" },
        { "completion", verb_completion, "Print a bash, zsh or fish completion script" },
        { "__exec",    verb_exec,      NULL },
        { "__exited",  verb_exited,    NULL },
        { "__complete", verb_complete, NULL },
};

char **cli_verb_names(void) {
        char **l = NULL;

        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (verbs[i].help && strv_extend(&l, verbs[i].name) < 0)
                        return strv_free(l);
        return l;
}

static void help(void) {
        printf("pcctl %s: process-compose projects as systemd units\n\n"
               "Usage: pcctl [VERB] [OPTIONS...]\n\nVerbs:\n",
               PCCTL_VERSION);
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (verbs[i].help)
                        printf("  %-11s %s\n", verbs[i].name, verbs[i].help);
        printf("\nWith no verb, pcctl runs 'up'. 'pcctl VERB --help' describes a verb.\n");
}

int main(int argc, char **argv) {
        const char *verb = NULL;
        int i;

        /* The verb is the first argument that is neither an option nor an option's value; as in
         * process-compose, no verb means 'up' and options before the verb belong to it. */
        for (i = 1; i < argc; i++) {
                if (argv[i][0] != '-') {
                        verb = argv[i];
                        break;
                }
                if (streq(argv[i], "--"))
                        break;
                if (cli_option_takes_value(argv[i]) && i + 1 < argc)
                        i++;
        }

        if (!verb) {
                for (int k = 1; k < argc; k++) {
                        if (streq(argv[k], "-h") || streq(argv[k], "--help")) {
                                help();
                                return EXIT_SUCCESS;
                        }
                        if (streq(argv[k], "--version")) {
                                printf("pcctl %s\n", PCCTL_VERSION);
                                return EXIT_SUCCESS;
                        }
                }
                /* "pcctl [flags]" == "pcctl up [flags]" */
                argv[0] = (char *) "up";
                return verb_up(argc, argv);
        }

        if (streq(verb, "help")) {
                help();
                return EXIT_SUCCESS;
        }

        for (size_t v = 0; v < ELEMENTSOF(verbs); v++)
                if (streq(verbs[v].name, verb)) {
                        /* Move the verb to argv[0] so that options before it are still parsed by it. */
                        char *saved = argv[i];
                        memmove(argv + 2, argv + 1, sizeof(char *) * (size_t) (i - 1));
                        argv[1] = saved;
                        return verbs[v].func(argc - 1, argv + 1);
                }

        fprintf(stderr, "pcctl: unknown verb '%s'. See 'pcctl --help'.\n", verb);
        return EXIT_FAILURE;
}
