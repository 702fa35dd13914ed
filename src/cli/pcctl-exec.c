/* pcctl-exec: pcctl's __exec verb alone, as a program that links nothing but libc (see verb-exec.c).
 *
 *         pcctl-exec __exec <syslog-identifier> -- <command> [arguments...]
 *
 *         pcctl-exec __exited <path>
 *
 * The arguments are those of `pcctl __exec` and `pcctl __exited`, so a unit's ExecStart= and ExecStopPost=
 * read the same with either program. */
#include <stdio.h>
#include <string.h>

#include "cli/verbs.h"

int main(int argc, char **argv) {
        if (argc >= 2 && strcmp(argv[1], "__exited") == 0)
                return verb_exited(argc - 1, argv + 1);
        if (argc < 2 || strcmp(argv[1], "__exec") != 0) {
                fprintf(stderr, "Usage: pcctl-exec __exec <syslog-identifier> -- <command> [arguments...]\n");
                return 203;
        }
        return verb_exec(argc - 1, argv + 1);
}
