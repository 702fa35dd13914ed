/* pcctl-exec: pcctl's __exec verb alone, as a program that links nothing but libc (see verb-exec.c).
 *
 *         pcctl-exec __exec <syslog-identifier> -- <command> [arguments...]
 *
 * The arguments are those of `pcctl __exec`, so a unit's ExecStart= reads the same with either program. */
#include <stdio.h>
#include <string.h>

#include "cli/verbs.h"

int main(int argc, char **argv) {
        if (argc < 2 || strcmp(argv[1], "__exec") != 0) {
                fprintf(stderr, "Usage: pcctl-exec __exec <syslog-identifier> -- <command> [arguments...]\n");
                return 203;
        }
        return verb_exec(argc - 1, argv + 1);
}
