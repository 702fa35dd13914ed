/* pcctl logs [PROC...]: the project's logs straight from the journal, journalctl-compatible.
 *
 * No controller is needed: the processes are found by their SyslogIdentifier ("pcctl-<esc project>-<esc
 * process>", the unit name without .service) among the journal's identifiers and, when a compose file is
 * loaded, among its processes. Every process is matched as the follower does it (SYSLOG_IDENTIFIER, or the
 * unit fields, or journald's suppression notes for the unit), so several processes give one time-ordered
 * view. Positioning, -n/-S/-U/-r/-p/-g and the output modes follow journalctl 252 (journal-output.h). */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#include "cli/verbs.h"
#include "compose/compose.h"
#include "journal/journal-follower.h"
#include "journal/journal-output.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "shared/strv.h"
#include "shared/time-util.h"
#include "unit/unit-driver.h"

#define FOLLOW_POLL_USEC (5 * USEC_PER_MSEC)
#define FOLLOW_HOT_USEC (2 * USEC_PER_SEC)
#define PROCESSES_MAX 10000u

static bool strv_isempty(char * const *l) {
        return !l || !l[0];
}

typedef struct Args {
        int64_t lines;              /* -1: all */
        bool lines_set;
        bool follow;
        bool reverse;
        bool quiet;
        usec_t since, until;
        bool since_set, until_set;
        int prio_min, prio_max;     /* -p: PRIORITY in [min, max] */
        bool prio_set;
        char *grep;
        int case_sensitive;         /* -1: auto (insensitive unless the pattern has upper case) */
        JournalOutputMode output;
        char **config_files;
        char **env_files;
        char *project;
        char **processes;
} Args;

static void args_done(Args *a) {
        free(a->grep);
        strv_free(a->config_files);
        strv_free(a->env_files);
        free(a->project);
        strv_free(a->processes);
}

static void help(void) {
        printf("pcctl logs [OPTIONS...] [PROCESS...]\n\n"
               "Show the logs of a project's processes from the journal (no running pcctl needed).\n\n"
               "  -n --lines[=N]         Show the last N lines (default 10 with -f, else all)\n"
               "  -f --follow            Keep printing new lines\n"
               "  -S --since=DATE        Lines not older than DATE\n"
               "  -U --until=DATE        Lines not newer than DATE\n"
               "  -r --reverse           Newest first\n"
               "  -p --priority=PRIO     Lines of priority PRIO (or a range A..B) and more important\n"
               "  -g --grep=PATTERN      Lines whose message matches the extended regular expression\n"
               "     --case-sensitive[=BOOL]\n"
               "  -o --output=MODE       short, short-iso, short-iso-precise, short-precise, short-monotonic,\n"
               "                         short-unix, cat, json, json-pretty, export, verbose\n"
               "  -q --quiet             No \"-- No entries --\" line\n"
               "     --no-pager          Accepted for journalctl compatibility (pcctl never pages)\n"
               "     --config=FILE       Compose file (repeatable; default: discovery in the current directory)\n"
               "     --env=FILE          Dotenv file (repeatable)\n"
               "     --project=NAME      Use this project name instead of loading a compose file\n"
               "  -h --help              Show this help\n\n"
               "DATE: YYYY-MM-DD [HH:MM[:SS]], HH:MM[:SS], now, today, yesterday, tomorrow, @EPOCH,\n"
               "      -1h30min, +5m, \"2 hours ago\".\n");
}

/* ---- time and priority arguments ---- */

static int parse_timespan(const char *s, usec_t *ret) {
        static const struct {
                const char *suffix;
                usec_t usec;
        } units[] = {
                { "seconds", USEC_PER_SEC }, { "second", USEC_PER_SEC }, { "sec", USEC_PER_SEC },
                { "s", USEC_PER_SEC }, { "minutes", USEC_PER_MINUTE }, { "minute", USEC_PER_MINUTE },
                { "min", USEC_PER_MINUTE }, { "months", 2629800 * USEC_PER_SEC },
                { "month", 2629800 * USEC_PER_SEC }, { "msec", USEC_PER_MSEC }, { "ms", USEC_PER_MSEC },
                { "m", USEC_PER_MINUTE }, { "hours", USEC_PER_HOUR }, { "hour", USEC_PER_HOUR },
                { "hr", USEC_PER_HOUR }, { "h", USEC_PER_HOUR }, { "days", USEC_PER_DAY },
                { "day", USEC_PER_DAY }, { "d", USEC_PER_DAY }, { "weeks", 7 * USEC_PER_DAY },
                { "week", 7 * USEC_PER_DAY }, { "w", 7 * USEC_PER_DAY }, { "years", 31557600 * USEC_PER_SEC },
                { "year", 31557600 * USEC_PER_SEC }, { "y", 31557600 * USEC_PER_SEC }, { "usec", 1 },
                { "us", 1 }, { "M", 2629800 * USEC_PER_SEC },
        };
        usec_t total = 0;
        bool any = false;

        while (*s) {
                unsigned long long v;
                char *end;
                size_t k;

                while (*s == ' ')
                        s++;
                if (!*s)
                        break;
                if (*s < '0' || *s > '9')
                        return -EINVAL;
                errno = 0;
                v = strtoull(s, &end, 10);
                if (errno != 0)
                        return -ERANGE;
                s = end;
                while (*s == ' ')
                        s++;
                for (k = 0; k < ELEMENTSOF(units); k++) {
                        size_t l = strlen(units[k].suffix);

                        if (strncmp(s, units[k].suffix, l) == 0 && !(s[l] >= 'a' && s[l] <= 'z')) {
                                s += l;
                                break;
                        }
                }
                if (k == ELEMENTSOF(units)) {
                        if (*s && *s != ' ')
                                return -EINVAL;
                        total += v * USEC_PER_SEC;      /* a bare number is seconds */
                } else
                        total += v * units[k].usec;
                any = true;
        }
        if (!any)
                return -EINVAL;
        *ret = total;
        return 0;
}

static usec_t tm_to_usec(struct tm *tm) {
        time_t t;

        tm->tm_isdst = -1;
        t = mktime(tm);
        return t == (time_t) -1 ? USEC_INFINITY : (usec_t) t * USEC_PER_SEC;
}

static int parse_date(const char *s, usec_t *ret) {
        usec_t now = now_usec(CLOCK_REALTIME), span;
        time_t tt = (time_t) (now / USEC_PER_SEC);
        struct tm tm;
        const char *e;
        size_t l = strlen(s);
        int r;

        localtime_r(&tt, &tm);
        if (streq(s, "now")) {
                *ret = now;
                return 0;
        }
        if (streq(s, "today") || streq(s, "yesterday") || streq(s, "tomorrow")) {
                tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
                tm.tm_mday += streq(s, "yesterday") ? -1 : streq(s, "tomorrow") ? 1 : 0;
                *ret = tm_to_usec(&tm);
                return *ret == USEC_INFINITY ? -EINVAL : 0;
        }
        if (s[0] == '@') {
                double d;
                char *end;

                errno = 0;
                d = strtod(s + 1, &end);
                /* !(d >= 0) also refuses NaN; past the range, the conversion to usec_t is undefined */
                if (errno != 0 || *end || !(d >= 0) || d >= (double) (USEC_INFINITY / USEC_PER_SEC))
                        return -EINVAL;
                *ret = (usec_t) (d * USEC_PER_SEC);
                return 0;
        }
        if (s[0] == '-' || s[0] == '+') {
                r = parse_timespan(s + 1, &span);
                if (r < 0)
                        return r;
                *ret = s[0] == '-' ? (span > now ? 0 : now - span) : now + span;
                return 0;
        }
        if ((e = endswith(s, " ago")) || (e = endswith(s, " left"))) {
                _cleanup_free_ char *t = strndup(s, (size_t) (e - s));

                if (!t)
                        return -ENOMEM;
                r = parse_timespan(t, &span);
                if (r < 0)
                        return r;
                *ret = streq(e, " ago") ? (span > now ? 0 : now - span) : now + span;
                return 0;
        }

        /* absolute: "YYYY-MM-DD[ HH:MM[:SS[.frac]]]" (also with 'T'), or "HH:MM[:SS]" today */
        {
                struct tm t2 = tm;
                int Y, M = 1, D = 1, h = 0, m = 0, sec = 0, n = 0;
                unsigned long frac = 0;
                const char *rest = s;

                if (sscanf(s, "%4d-%2d-%2d%n", &Y, &M, &D, &n) == 3 && n == 10) {
                        t2.tm_year = Y - 1900;
                        t2.tm_mon = M - 1;
                        t2.tm_mday = D;
                        rest = s + 10;
                        if (*rest == ' ' || *rest == 'T')
                                rest++;
                        else if (*rest)
                                return -EINVAL;
                } else if (l == 0)
                        return -EINVAL;
                if (*rest) {
                        n = 0;
                        if (sscanf(rest, "%2d:%2d%n", &h, &m, &n) != 2)
                                return -EINVAL;
                        rest += n;
                        if (*rest == ':') {
                                n = 0;
                                if (sscanf(rest + 1, "%2d%n", &sec, &n) != 1)
                                        return -EINVAL;
                                rest += 1 + n;
                                if (*rest == '.') {
                                        int digits = 0;

                                        for (rest++; *rest >= '0' && *rest <= '9'; rest++, digits++)
                                                if (digits < 6)
                                                        frac = frac * 10 + (unsigned long) (*rest - '0');
                                        for (; digits < 6; digits++)
                                                frac *= 10;
                                }
                        }
                        if (*rest)
                                return -EINVAL;
                } else if (rest == s)
                        return -EINVAL;
                if (M < 1 || M > 12 || D < 1 || D > 31 || h < 0 || h > 23 || m < 0 || m > 59 || sec < 0 || sec > 60)
                        return -EINVAL;
                t2.tm_hour = h;
                t2.tm_min = m;
                t2.tm_sec = sec;
                *ret = tm_to_usec(&t2);
                if (*ret == USEC_INFINITY)
                        return -EINVAL;
                *ret += frac;
                return 0;
        }
}

static int parse_priority_one(const char *s) {
        static const char *const names[] = { "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug" };

        if (s[0] >= '0' && s[0] <= '7' && s[1] == 0)
                return s[0] - '0';
        for (int i = 0; i < 8; i++)
                if (streq(s, names[i]))
                        return i;
        if (streq(s, "panic"))
                return 0;
        if (streq(s, "error"))
                return 3;
        if (streq(s, "warn"))
                return 4;
        return -EINVAL;
}

static int parse_priority(const char *s, int *ret_min, int *ret_max) {
        const char *dots = strstr(s, "..");
        int a, b;

        if (!dots) {
                a = parse_priority_one(s);
                if (a < 0)
                        return a;
                *ret_min = 0;
                *ret_max = a;
                return 0;
        }
        {
                _cleanup_free_ char *x = strndup(s, (size_t) (dots - s));

                if (!x)
                        return -ENOMEM;
                a = isempty(x) ? 0 : parse_priority_one(x);
                b = isempty(dots + 2) ? 7 : parse_priority_one(dots + 2);
        }
        if (a < 0 || b < 0)
                return -EINVAL;
        *ret_min = MIN(a, b);
        *ret_max = MAX(a, b);
        return 0;
}

static int parse_args(int argc, char **argv, Args *a) {
        enum {
                ARG_NO_PAGER = 0x100,
                ARG_CONFIG,
                ARG_ENV,
                ARG_PROJECT,
                ARG_CASE_SENSITIVE,
        };
        static const struct option options[] = {
                { "lines",          optional_argument, NULL, 'n' },
                { "follow",         no_argument,       NULL, 'f' },
                { "since",          required_argument, NULL, 'S' },
                { "until",          required_argument, NULL, 'U' },
                { "reverse",        no_argument,       NULL, 'r' },
                { "priority",       required_argument, NULL, 'p' },
                { "grep",           required_argument, NULL, 'g' },
                { "case-sensitive", optional_argument, NULL, ARG_CASE_SENSITIVE },
                { "output",         required_argument, NULL, 'o' },
                { "quiet",          no_argument,       NULL, 'q' },
                { "no-pager",       no_argument,       NULL, ARG_NO_PAGER },
                { "config",         required_argument, NULL, ARG_CONFIG },
                { "file",           required_argument, NULL, ARG_CONFIG },
                { "env",            required_argument, NULL, ARG_ENV },
                { "project",        required_argument, NULL, ARG_PROJECT },
                { "help",           no_argument,       NULL, 'h' },
                {}
        };
        int c, r;

        *a = (Args) { .lines = -1, .output = JOURNAL_OUTPUT_SHORT, .case_sensitive = -1 };
        optind = 0;
        while ((c = getopt_long(argc, argv, "n::fS:U:rp:g:o:qh", options, NULL)) >= 0)
                switch (c) {
                case 'n': {
                        const char *v = optarg;
                        char *end;
                        long long n;

                        /* -n 20 (separate word) as journalctl accepts it */
                        if (!v && optind < argc && argv[optind][0] >= '0' && argv[optind][0] <= '9')
                                v = argv[optind++];
                        a->lines_set = true;
                        if (!v) {
                                a->lines = 10;
                                break;
                        }
                        if (streq(v, "all")) {
                                a->lines = -1;
                                break;
                        }
                        errno = 0;
                        n = strtoll(v, &end, 10);
                        if (errno != 0 || *end || n < 0)
                                return log_error_errno(-EINVAL, "Invalid -n/--lines value \"%s\": expected a number or \"all\".", v);
                        a->lines = n;
                        break;
                }
                case 'f':
                        a->follow = true;
                        break;
                case 'S':
                case 'U':
                        r = parse_date(optarg, c == 'S' ? &a->since : &a->until);
                        if (r < 0)
                                return log_error_errno(-EINVAL, "Invalid %s \"%s\": expected a date like \"2024-05-01 10:00\", \"today\", \"-1h\" or \"@1714557600\".",
                                                       c == 'S' ? "--since" : "--until", optarg);
                        if (c == 'S')
                                a->since_set = true;
                        else
                                a->until_set = true;
                        break;
                case 'r':
                        a->reverse = true;
                        break;
                case 'p':
                        r = parse_priority(optarg, &a->prio_min, &a->prio_max);
                        if (r < 0)
                                return log_error_errno(-EINVAL, "Invalid --priority \"%s\": expected 0-7, emerg..debug, or a range A..B.", optarg);
                        a->prio_set = true;
                        break;
                case 'g':
                        if (free_and_strdup(&a->grep, optarg) < 0)
                                return log_oom();
                        break;
                case ARG_CASE_SENSITIVE:
                        if (!optarg || streq(optarg, "yes") || streq(optarg, "true") || streq(optarg, "1"))
                                a->case_sensitive = 1;
                        else if (streq(optarg, "no") || streq(optarg, "false") || streq(optarg, "0"))
                                a->case_sensitive = 0;
                        else
                                return log_error_errno(-EINVAL, "Invalid --case-sensitive value \"%s\".", optarg);
                        break;
                case 'o':
                        a->output = journal_output_mode_from_string(optarg);
                        if (a->output < 0)
                                return log_error_errno(-EINVAL, "Unknown output mode \"%s\" (short, short-iso, short-iso-precise, short-precise, short-monotonic, short-unix, cat, json, json-pretty, export, verbose).", optarg);
                        break;
                case 'q':
                        a->quiet = true;
                        break;
                case ARG_NO_PAGER:
                        break;
                case ARG_CONFIG:
                        if (strv_extend(&a->config_files, optarg) < 0)
                                return log_oom();
                        break;
                case ARG_ENV:
                        if (strv_extend(&a->env_files, optarg) < 0)
                                return log_oom();
                        break;
                case ARG_PROJECT:
                        if (isempty(optarg))
                                return log_error_errno(-EINVAL, "--project needs a name.");
                        if (free_and_strdup(&a->project, optarg) < 0)
                                return log_oom();
                        break;
                case 'h':
                        help();
                        return 0;
                default:
                        return -EINVAL;
                }

        if (a->follow && !a->lines_set)
                a->lines = 10;
        for (int i = optind; i < argc; i++) {
                if (strv_length(a->processes) >= PROCESSES_MAX)
                        return log_error_errno(-E2BIG, "Too many process names (at most %u).", PROCESSES_MAX);
                if (isempty(argv[i]))
                        return log_error_errno(-EINVAL, "Empty process name.");
                if (strv_extend(&a->processes, argv[i]) < 0)
                        return log_oom();
        }
        return 1;
}

/* ---- which identifiers ---- */

static bool is_replica_of(const char *ident, const char *base_ident) {
        const char *t = startswith(ident, base_ident);

        /* "<base>\x2d<digits>": the escaped "-<n>" of a replica name */
        t = t ? startswith(t, "\\x2d") : NULL;
        if (!t || !*t)
                return false;
        for (; *t; t++)
                if (*t < '0' || *t > '9')
                        return false;
        return true;
}

static int ident_for(const char *project, const char *process, char **ret) {
        _cleanup_free_ char *unit = NULL;
        const char *e;
        int r;

        r = unit_name_for_process(project, process, &unit);
        if (r < 0)
                return r;
        e = endswith(unit, ".service");
        if (!e)
                return -EINVAL;
        *ret = strndup(unit, (size_t) (e - unit));
        return *ret ? 0 : -ENOMEM;
}

static int collect_idents(sd_journal *j, const Args *a, const char *project, const ComposeProject *cp,
                          char ***ret) {
        _cleanup_strv_free_ char **known = NULL, **idents = NULL;
        _cleanup_free_ char *prefix = NULL, *esc = NULL;
        const void *data;
        size_t len;
        int r;

        r = unit_name_escape(project, &esc);
        if (r < 0)
                return r;
        if (asprintf(&prefix, "pcctl-%s-", esc) < 0)
                return -ENOMEM;

        if (cp) {
                /* the compose file names the processes: no need to scan the journal's identifiers */
                for (size_t i = 0; i < cp->n_processes; i++) {
                        const ComposeProcess *p = cp->processes[i];
                        _cleanup_free_ char *id = NULL;
                        bool wanted = strv_isempty(a->processes);

                        STRV_FOREACH(n, a->processes)
                                if (streq(*n, p->name) || streq_ptr(*n, p->base_name))
                                        wanted = true;
                        if (!wanted)
                                continue;
                        r = ident_for(project, p->name, &id);
                        if (r < 0)
                                return r;
                        if (strv_consume(&idents, TAKE_PTR(id)) < 0)
                                return -ENOMEM;
                }
                STRV_FOREACH(n, a->processes) {
                        bool found = false;

                        for (size_t i = 0; i < cp->n_processes; i++)
                                if (streq(*n, cp->processes[i]->name) || streq_ptr(*n, cp->processes[i]->base_name))
                                        found = true;
                        if (!found)
                                return log_error_errno(-ENOENT, "No process \"%s\" in project %s.", *n, project);
                }
                *ret = TAKE_PTR(idents);
                return 0;
        }

        if (!strv_isempty(a->processes)) {
                /* --project with names: exactly those (no scan; replicas are named one by one, "web-0") */
                STRV_FOREACH(n, a->processes) {
                        _cleanup_free_ char *id = NULL;

                        r = ident_for(project, *n, &id);
                        if (r < 0)
                                return log_error_errno(r, "Invalid process name \"%s\": %m", *n);
                        if (!strv_contains(idents, id) && strv_consume(&idents, TAKE_PTR(id)) < 0)
                                return -ENOMEM;
                }
                *ret = TAKE_PTR(idents);
                return 0;
        }

        /* --project alone: every process of this project that ever logged (takes a scan of the journal's
         * identifiers: a second or more on a large journal) */
        r = sd_journal_query_unique(j, "SYSLOG_IDENTIFIER");
        if (r < 0)
                return r;
        SD_JOURNAL_FOREACH_UNIQUE(j, data, len) {
                const char *v = (const char *) data + STRLEN("SYSLOG_IDENTIFIER=");
                size_t vl = len - STRLEN("SYSLOG_IDENTIFIER=");
                _cleanup_free_ char *s = NULL;

                if (len <= STRLEN("SYSLOG_IDENTIFIER=") || vl <= strlen(prefix) ||
                    memcmp(v, prefix, strlen(prefix)) != 0 || memchr(v, 0, vl))
                        continue;
                s = strndup(v, vl);
                if (!s || strv_consume(&known, TAKE_PTR(s)) < 0)
                        return -ENOMEM;
        }

        if (strv_isempty(a->processes)) {
                *ret = TAKE_PTR(known);
                return 0;
        }
        STRV_FOREACH(p, a->processes) {
                _cleanup_free_ char *id = NULL;
                bool found = false;

                r = ident_for(project, *p, &id);
                if (r < 0)
                        return log_error_errno(r, "Invalid process name \"%s\": %m", *p);
                STRV_FOREACH(k, known)
                        if (streq(*k, id) || is_replica_of(*k, id)) {
                                found = true;
                                if (!strv_contains(idents, *k) && strv_extend(&idents, *k) < 0)
                                        return -ENOMEM;
                        }
                if (!found && !strv_contains(idents, id) && strv_consume(&idents, TAKE_PTR(id)) < 0)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(idents);
        return 0;
}

/* The follower's terms (journal-follower.h), for the given identifiers, then the priority filter. */
static int add_matches(sd_journal *j, char **idents, const Args *a) {
        _cleanup_strv_free_ char **units = NULL;
        int r;

        STRV_FOREACH(i, idents) {
                char *u;

                if (asprintf(&u, "%s.service", *i) < 0)
                        return -ENOMEM;
                r = strv_consume(&units, u);
                if (r < 0)
                        return r;
        }
        r = journal_add_process_matches(j, (const char *const *) idents, (const char *const *) units,
                                        strv_length(idents), NULL);
        if (r < 0)
                return r;
        if (a->prio_set) {
                /* as journalctl -p: AND one of the allowed PRIORITY values */
                r = sd_journal_add_conjunction(j);
                if (r < 0)
                        return r;
                for (int p = a->prio_min; p <= a->prio_max; p++) {
                        char m[16];

                        snprintf(m, sizeof m, "PRIORITY=%d", p);
                        r = sd_journal_add_match(j, m, 0);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

/* ---- the loop (journalctl's main loop) ---- */

static bool stdout_closed(void) {
        struct pollfd p = { .fd = STDOUT_FILENO, .events = 0 };

        return poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR));
}

static int show(sd_journal *j, Args *a, regex_t *re) {
        bool need_seek = false, first_line = true, color, boot_valid = false;
        sd_id128_t previous_boot = {};
        uint64_t n_shown = 0;
        usec_t hot_until = 0;
        int r;

        color = isatty(STDOUT_FILENO) && isempty(getenv("NO_COLOR")) && !streq_ptr(getenv("TERM"), "dumb");

        if (a->since_set && !a->reverse) {
                r = sd_journal_seek_realtime_usec(j, a->since);
                if (r >= 0)
                        r = sd_journal_next(j);
        } else if (a->until_set && a->reverse) {
                r = sd_journal_seek_realtime_usec(j, a->until);
                if (r >= 0)
                        r = sd_journal_previous(j);
        } else if (a->reverse) {
                r = sd_journal_seek_tail(j);
                if (r >= 0)
                        r = sd_journal_previous(j);
        } else if (a->lines >= 0) {
                r = sd_journal_seek_tail(j);
                if (r >= 0)
                        r = sd_journal_previous_skip(j, (uint64_t) a->lines);
        } else {
                r = sd_journal_seek_head(j);
                if (r >= 0)
                        r = sd_journal_next(j);
        }
        if (r < 0)
                return log_error_errno(r, "Failed to position in the journal: %m");
        if (r == 0)
                need_seek = true;

        for (;;) {
                bool printed = false;

                while (a->lines < 0 || (int64_t) n_shown < a->lines || (a->follow && !first_line)) {
                        if (need_seek) {
                                r = a->reverse ? sd_journal_previous(j) : sd_journal_next(j);
                                if (r < 0)
                                        return log_error_errno(r, "Failed to iterate through the journal: %m");
                                if (r == 0)
                                        break;
                        }
                        need_seek = true;

                        if (a->until_set && !a->reverse) {
                                usec_t u;

                                if (sd_journal_get_realtime_usec(j, &u) >= 0 && u > a->until)
                                        break;
                        }
                        if (a->since_set && a->reverse) {
                                usec_t u;

                                if (sd_journal_get_realtime_usec(j, &u) >= 0 && u < a->since)
                                        break;
                        }
                        if (!a->quiet) {
                                sd_id128_t boot;

                                if (sd_journal_get_monotonic_usec(j, NULL, &boot) >= 0) {
                                        if (boot_valid && !sd_id128_equal(boot, previous_boot))
                                                printf("%s-- Boot " SD_ID128_FORMAT_STR " --%s\n",
                                                       color ? "\x1B[0;1;39m" : "", SD_ID128_FORMAT_VAL(boot),
                                                       color ? "\x1B[0m" : "");
                                        previous_boot = boot;
                                        boot_valid = true;
                                }
                        }
                        if (re) {
                                const void *m;
                                size_t l;
                                _cleanup_free_ char *s = NULL;

                                (void) sd_journal_set_data_threshold(j, 0);
                                r = sd_journal_get_data(j, "MESSAGE", &m, &l);
                                if (r == -ENOENT)
                                        continue;
                                if (r < 0)
                                        return log_error_errno(r, "Failed to read MESSAGE: %m");
                                s = strndup((const char *) m + 8, l - 8);
                                if (!s)
                                        return log_oom();
                                if (regexec(re, s, 0, NULL, 0) != 0)
                                        continue;
                        }

                        r = journal_output_entry(stdout, j, a->output, color);
                        if (r == -EADDRNOTAVAIL)
                                break;
                        if (r < 0 && r != -EBADMSG)
                                return log_error_errno(r, "Failed to show a journal entry: %m");
                        n_shown++;
                        printed = true;
                }

                if (!a->follow) {
                        if (n_shown == 0 && !a->quiet)
                                printf("-- No entries --\n");
                        break;
                }

                if (fflush(stdout) != 0 || ferror(stdout))
                        return 0;      /* reader went away */
                if (stdout_closed())
                        return 0;

                /* journald wakes readers every 250 ms at most: poll the mmap fast while lines flow
                 * (systemd-notes §0.1), sleep on inotify otherwise */
                if (printed || first_line)
                        hot_until = now_usec(CLOCK_MONOTONIC) + FOLLOW_HOT_USEC;
                r = sd_journal_wait(j, now_usec(CLOCK_MONOTONIC) < hot_until ? FOLLOW_POLL_USEC
                                                                          : 500 * USEC_PER_MSEC);
                if (r < 0)
                        return log_error_errno(r, "Failed to wait for journal changes: %m");
                first_line = false;
                if (r != SD_JOURNAL_NOP && need_seek && !a->reverse) {
                        /* journald's notification: the entries are complete now. Seek to the last entry
                         * again so that sd-journal searches afresh (it may have looked while an entry was
                         * counted but not yet linked, and would skip the file until the next one; see
                         * docs/logs.md). */
                        _cleanup_free_ char *cursor = NULL;

                        if (sd_journal_get_cursor(j, &cursor) >= 0 && sd_journal_seek_cursor(j, cursor) >= 0) {
                                r = sd_journal_next(j);
                                if (r < 0)
                                        return log_error_errno(r, "Failed to iterate through the journal: %m");
                                /* on the entry shown last: continue after it; on a new one: show it */
                                need_seek = r == 0 || sd_journal_test_cursor(j, cursor) > 0;
                        }
                }
        }

        if (re && n_shown == 0)
                return -ENOENT;   /* like grep (and journalctl --grep): nothing matched */
        return 0;
}

static bool has_upper(const char *s) {
        for (; *s; s++)
                if (*s >= 'A' && *s <= 'Z')
                        return true;
        return false;
}

int verb_logs(int argc, char **argv) {
        _cleanup_(args_done) Args a = {};
        _cleanup_(sd_journal_closep) sd_journal *j = NULL;
        _cleanup_(compose_project_freep) ComposeProject *cp = NULL;
        _cleanup_strv_free_ char **idents = NULL;
        regex_t re;
        bool have_re = false;
        const char *project;
        int r;

        r = parse_args(argc, argv, &a);
        if (r <= 0)
                return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;

        if (a.project)
                project = a.project;
        else {
                ComposeLoadOptions opts;
                ComposeError err = {};

                compose_load_options_init(&opts);
                (void) compose_load_options_from_env(&opts, NULL);
                if (a.config_files) {
                        strv_free(opts.files);
                        opts.files = TAKE_PTR(a.config_files);
                }
                if (a.env_files) {
                        strv_free(opts.env_files);
                        opts.env_files = TAKE_PTR(a.env_files);
                }
                r = compose_load(&opts, &cp, &err);
                compose_load_options_done(&opts);
                if (r < 0) {
                        _cleanup_free_ char *msg = compose_error_format(&err);

                        compose_error_done(&err);
                        log_error("%s", msg ?: "Failed to load the project.");
                        log_error("Use --project NAME to read the logs of a project without its compose file.");
                        return EXIT_FAILURE;
                }
                project = cp->project_name;
        }

        if (a.grep) {
                int flags = REG_EXTENDED | REG_NOSUB;

                if (a.case_sensitive == 0 || (a.case_sensitive < 0 && !has_upper(a.grep)))
                        flags |= REG_ICASE;
                r = regcomp(&re, a.grep, flags);
                if (r != 0) {
                        char m[256];

                        regerror(r, &re, m, sizeof m);
                        log_error("Invalid --grep pattern \"%s\": %s", a.grep, m);
                        return EXIT_FAILURE;
                }
                have_re = true;
        }

        r = sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY);
        if (r < 0) {
                log_error_errno(r, "Failed to open the journal: %m");
                goto finish;
        }
        if (sd_journal_has_runtime_files(j) <= 0 && sd_journal_has_persistent_files(j) <= 0)
                log_warning("No journal files could be opened: is journald running, and may this user read the "
                            "journal (group systemd-journal)?");
        r = collect_idents(j, &a, project, cp, &idents);
        if (r < 0) {
                if (r != -ENOENT)
                        log_error_errno(r, "Failed to find the project's processes in the journal: %m");
                goto finish;
        }
        if (strv_isempty(idents)) {
                if (a.follow) {
                        log_error("No process of project %s has logged yet; name the processes to follow them.",
                                  project);
                        r = -ENOENT;
                } else {
                        if (!a.quiet)
                                printf("-- No entries --\n");
                        r = 0;
                }
                goto finish;
        }
        r = add_matches(j, idents, &a);
        if (r < 0) {
                log_error_errno(r, "Failed to set up journal matches: %m");
                goto finish;
        }

        (void) signal(SIGPIPE, SIG_IGN);
        r = show(j, &a, have_re ? &re : NULL);
finish:
        if (have_re)
                regfree(&re);
        fflush(stdout);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
