/* Placeholder until this verb lands: it fails clearly instead of pretending. */
#include <stdio.h>
#include <stdlib.h>

#include "cli/verbs.h"

int verb_process(int argc, char **argv) {
        fprintf(stderr, "pcctl: '%s' is not available in this build.\n", argv[0]);
        return EXIT_FAILURE;
}

int verb_project(int argc, char **argv) {
        fprintf(stderr, "pcctl: '%s' is not available in this build.\n", argv[0]);
        return EXIT_FAILURE;
}

int verb_namespace(int argc, char **argv) {
        fprintf(stderr, "pcctl: '%s' is not available in this build.\n", argv[0]);
        return EXIT_FAILURE;
}

int verb_down(int argc, char **argv) {
        fprintf(stderr, "pcctl: '%s' is not available in this build.\n", argv[0]);
        return EXIT_FAILURE;
}

int verb_graph(int argc, char **argv) {
        fprintf(stderr, "pcctl: '%s' is not available in this build.\n", argv[0]);
        return EXIT_FAILURE;
}

int verb_list(int argc, char **argv) {
        fprintf(stderr, "pcctl: '%s' is not available in this build.\n", argv[0]);
        return EXIT_FAILURE;
}

