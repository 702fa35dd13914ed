/* Placeholder until this verb lands: it fails clearly instead of pretending. */
#include <stdio.h>
#include <stdlib.h>

#include "cli/verbs.h"

int verb_up(int argc, char **argv) {
        fprintf(stderr, "pcctl: '%s' is not available in this build.\n", argv[0]);
        return EXIT_FAILURE;
}

