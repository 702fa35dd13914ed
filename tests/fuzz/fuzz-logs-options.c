/* `pcctl logs` arguments from arbitrary bytes: the input is a list of NUL-separated words. Each word goes
 * through the -S/-U date parser, the time-span parser, the -p priority parser and the -o mode names, then
 * the words together are parsed as the verb's command line (getopt_long, -n, --case-sensitive, ...).
 *
 * The parsers are in journal/journal-args.c; the verb's static ones are in verb-logs.c, which this file
 * includes. Must hold: no crash, leak or undefined
 * behaviour; an accepted date has a month and a day in range; an accepted priority is a range inside 0..7;
 * an accepted mode has a name; the command line is either refused with -EINVAL/-E2BIG or gives coherent
 * arguments. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/cli/verb-logs.c"

#define WORDS_MAX 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_word(const char *w) {
        usec_t t;
        int a, b;
        JournalOutputMode m;
        char ident[64];

        if (journal_parse_date(w, &t) >= 0) {
                int y, mo, d, n = 0;

                /* an accepted calendar date names a real month and day */
                if (sscanf(w, "%4d-%2d-%2d%n", &y, &mo, &d, &n) == 3 && n == 10 &&
                    (mo < 1 || mo > 12 || d < 1 || d > 31))
                        abort();
        }
        (void) journal_parse_timespan(w, &t);
        if (journal_parse_priority(w, &a, &b) >= 0 && (a < 0 || b > 7 || a > b))
                abort();
        m = journal_output_mode_from_string(w);
        if (m >= 0 && !journal_output_mode_to_string(m))
                abort();
        snprintf(ident, sizeof ident, "%.40s", w);
        (void) is_replica_of(w, ident);
        (void) is_replica_of(ident, "pcctl-p-web");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static bool initialized;
        char *argv[WORDS_MAX + 2], *buf;
        size_t argc = 0;
        Args args;
        int r;

        if (size > 4096)
                return 0;
        if (!initialized) {
                /* quiet: refusals are logged, --help prints, getopt complains */
                log_set_max_level(LOG_EMERG);
                opterr = 0;
                if (!freopen("/dev/null", "we", stdout))
                        abort();
                initialized = true;
        }
        buf = malloc(size + 1);
        if (!buf)
                return 0;
        memcpy(buf, data, size);
        buf[size] = 0;

        argv[argc++] = (char *) "logs";
        for (char *w = buf; w <= buf + size && argc <= WORDS_MAX; w += strlen(w) + 1) {
                check_word(w);
                argv[argc++] = w;
        }
        argv[argc] = NULL;

        r = parse_args((int) argc, argv, &args);
        if (r > 0) {
                if (args.lines < -1 || (args.prio_set && (args.prio_min < 0 || args.prio_max > 7 ||
                                                         args.prio_min > args.prio_max)))
                        abort();
                if (args.case_sensitive < -1 || args.case_sensitive > 1 || args.output < 0)
                        abort();
                STRV_FOREACH(p, args.processes)
                        if (isempty(*p))
                                abort();
        } else if (r < 0 && r != -EINVAL && r != -E2BIG && r != -ENOMEM)
                abort();
        args_done(&args);
        free(buf);
        return 0;
}
