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
#include "journal/journal-args.h"
#include "journal/journal-follower.h"
#include "journal/journal-output.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "shared/parse-util.h"
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

enum {
        ARG_NO_PAGER = 0x100,
        ARG_CONFIG,
        ARG_ENV,
        ARG_PROJECT,
        ARG_CASE_SENSITIVE,
};

/* -n [N|all]: also "-n 20" as a separate word, as journalctl accepts it. */
static int parse_lines(int argc, char **argv, Args *a) {
        const char *v = optarg;
        int64_t n;

        if (!v && optind < argc && argv[optind][0] >= '0' && argv[optind][0] <= '9')
                v = argv[optind++];
        a->lines_set = true;
        if (!v) {
                a->lines = 10;
                return 0;
        }
        if (streq(v, "all")) {
                a->lines = -1;
                return 0;
        }
        if (parse_i64(v, &n) < 0 || n < 0)
                return log_error_errno(-EINVAL, "Invalid -n/--lines value \"%s\": expected a number or \"all\".", v);
        a->lines = n;
        return 0;
}

/* One option: 0, 1 after --help, or a negative error (logged). */
static int parse_option(int c, int argc, char **argv, Args *a) {
        int r;

        switch (c) {
        case 'n':
                return parse_lines(argc, argv, a);
        case 'f':
                a->follow = true;
                return 0;
        case 'S':
        case 'U':
                r = journal_parse_date(optarg, c == 'S' ? &a->since : &a->until);
                if (r < 0)
                        return log_error_errno(-EINVAL, "Invalid %s \"%s\": expected a date like \"2024-05-01 10:00\", \"today\", \"-1h\" or \"@1714557600\".",
                                               c == 'S' ? "--since" : "--until", optarg);
                if (c == 'S')
                        a->since_set = true;
                else
                        a->until_set = true;
                return 0;
        case 'r':
                a->reverse = true;
                return 0;
        case 'p':
                r = journal_parse_priority(optarg, &a->prio_min, &a->prio_max);
                if (r < 0)
                        return log_error_errno(-EINVAL, "Invalid --priority \"%s\": expected 0-7, emerg..debug, or a range A..B.", optarg);
                a->prio_set = true;
                return 0;
        case 'g':
                return free_and_strdup(&a->grep, optarg) < 0 ? log_oom() : 0;
        case ARG_CASE_SENSITIVE:
                if (!optarg || streq(optarg, "yes") || streq(optarg, "true") || streq(optarg, "1"))
                        a->case_sensitive = 1;
                else if (streq(optarg, "no") || streq(optarg, "false") || streq(optarg, "0"))
                        a->case_sensitive = 0;
                else
                        return log_error_errno(-EINVAL, "Invalid --case-sensitive value \"%s\".", optarg);
                return 0;
        case 'o':
                a->output = journal_output_mode_from_string(optarg);
                if (a->output < 0)
                        return log_error_errno(-EINVAL, "Unknown output mode \"%s\" (short, short-iso, short-iso-precise, short-precise, short-monotonic, short-unix, cat, json, json-pretty, export, verbose).", optarg);
                return 0;
        case 'q':
                a->quiet = true;
                return 0;
        case ARG_NO_PAGER:
                return 0;
        case ARG_CONFIG:
        case ARG_ENV:
                return strv_extend(c == ARG_CONFIG ? &a->config_files : &a->env_files, optarg) < 0 ? log_oom() : 0;
        case ARG_PROJECT:
                if (isempty(optarg))
                        return log_error_errno(-EINVAL, "--project needs a name.");
                return free_and_strdup(&a->project, optarg) < 0 ? log_oom() : 0;
        case 'h':
                help();
                return 1;
        default:
                return -EINVAL;
        }
}

/* 1 parsed, 0 after --help, or a negative error (logged). */
static int parse_args(int argc, char **argv, Args *a) {
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
        while ((c = getopt_long(argc, argv, "n::fS:U:rp:g:o:qh", options, NULL)) >= 0) {
                r = parse_option(c, argc, argv, a);
                if (r != 0)
                        return r > 0 ? 0 : r;
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

/* The compose file names the processes: no need to scan the journal's identifiers. */
static int idents_from_compose(const Args *a, const char *project, const ComposeProject *cp, char ***ret) {
        _cleanup_strv_free_ char **idents = NULL;
        int r;

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

        if (cp)
                return idents_from_compose(a, project, cp, ret);

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

/* Positions j where journalctl starts: --since, --until with -r, the tail with -r or -n, else the head.
 * Returns 1 on an entry, 0 when there is none yet, or a negative error (logged). */
static int seek_start(sd_journal *j, const Args *a) {
        int r;

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
        return r > 0;
}

typedef struct ShowState {
        bool need_seek, first_line, color, boot_valid;
        sd_id128_t previous_boot;
        uint64_t n_shown;
} ShowState;

/* The "-- Boot ... --" separator when the entry's boot differs from the previous entry's. */
static void show_boot_separator(sd_journal *j, ShowState *st) {
        sd_id128_t boot;

        if (sd_journal_get_monotonic_usec(j, NULL, &boot) < 0)
                return;
        if (st->boot_valid && !sd_id128_equal(boot, st->previous_boot))
                printf("%s-- Boot " SD_ID128_FORMAT_STR " --%s\n", st->color ? "\x1B[0;1;39m" : "",
                       SD_ID128_FORMAT_VAL(boot), st->color ? "\x1B[0m" : "");
        st->previous_boot = boot;
        st->boot_valid = true;
}

/* 1 when the entry's MESSAGE matches re, 0 when not (or it has none), or a negative error (logged). */
static int entry_matches(sd_journal *j, regex_t *re) {
        _cleanup_free_ char *s = NULL;
        const void *m;
        size_t l;
        int r;

        (void) sd_journal_set_data_threshold(j, 0);
        r = sd_journal_get_data(j, "MESSAGE", &m, &l);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return log_error_errno(r, "Failed to read MESSAGE: %m");
        s = strndup((const char *) m + 8, l - 8);
        if (!s)
                return log_oom();
        return regexec(re, s, 0, NULL, 0) == 0;
}

/* Shows the entries available now, within -n, --since/--until. Returns 1 if any was printed, 0 if none, or a
 * negative error (logged). */
static int show_available(sd_journal *j, const Args *a, regex_t *re, ShowState *st) {
        bool printed = false;
        int r;

        while (a->lines < 0 || (int64_t) st->n_shown < a->lines || (a->follow && !st->first_line)) {
                usec_t u;

                if (st->need_seek) {
                        r = a->reverse ? sd_journal_previous(j) : sd_journal_next(j);
                        if (r < 0)
                                return log_error_errno(r, "Failed to iterate through the journal: %m");
                        if (r == 0)
                                break;
                }
                st->need_seek = true;

                if (a->until_set && !a->reverse && sd_journal_get_realtime_usec(j, &u) >= 0 && u > a->until)
                        break;
                if (a->since_set && a->reverse && sd_journal_get_realtime_usec(j, &u) >= 0 && u < a->since)
                        break;
                if (!a->quiet)
                        show_boot_separator(j, st);
                if (re) {
                        r = entry_matches(j, re);
                        if (r < 0)
                                return r;
                        if (r == 0)
                                continue;
                }

                r = journal_output_entry(stdout, j, a->output, st->color);
                if (r == -EADDRNOTAVAIL)
                        break;
                if (r < 0 && r != -EBADMSG)
                        return log_error_errno(r, "Failed to show a journal entry: %m");
                st->n_shown++;
                printed = true;
        }
        return printed;
}

/* After journald's notification the entries are complete: seek to the last entry shown again so that
 * sd-journal searches afresh (it may have looked while an entry was counted but not yet linked, and would
 * skip the file until the next one; see docs/logs.md). */
static int reseek_after_wakeup(sd_journal *j, ShowState *st) {
        _cleanup_free_ char *cursor = NULL;
        int r;

        if (sd_journal_get_cursor(j, &cursor) < 0 || sd_journal_seek_cursor(j, cursor) < 0)
                return 0;
        r = sd_journal_next(j);
        if (r < 0)
                return log_error_errno(r, "Failed to iterate through the journal: %m");
        /* on the entry shown last: continue after it; on a new one: show it */
        st->need_seek = r == 0 || sd_journal_test_cursor(j, cursor) > 0;
        return 0;
}

static int show(sd_journal *j, Args *a, regex_t *re) {
        ShowState st = { .first_line = true };
        usec_t hot_until = 0;
        int r;

        st.color = isatty(STDOUT_FILENO) && isempty(getenv("NO_COLOR")) && !streq_ptr(getenv("TERM"), "dumb");

        r = seek_start(j, a);
        if (r < 0)
                return r;
        st.need_seek = r == 0;

        for (;;) {
                bool printed;

                r = show_available(j, a, re, &st);
                if (r < 0)
                        return r;
                printed = r > 0;

                if (!a->follow) {
                        if (st.n_shown == 0 && !a->quiet)
                                printf("-- No entries --\n");
                        break;
                }

                if (fflush(stdout) != 0 || ferror(stdout))
                        return 0;      /* reader went away */
                if (stdout_closed())
                        return 0;

                /* journald wakes readers every 250 ms at most: poll the mmap fast while lines flow
                 * (systemd-notes §0.1), sleep on inotify otherwise */
                if (printed || st.first_line)
                        hot_until = now_usec(CLOCK_MONOTONIC) + FOLLOW_HOT_USEC;
                r = sd_journal_wait(j, now_usec(CLOCK_MONOTONIC) < hot_until ? FOLLOW_POLL_USEC
                                                                          : 500 * USEC_PER_MSEC);
                if (r < 0)
                        return log_error_errno(r, "Failed to wait for journal changes: %m");
                st.first_line = false;
                if (r != SD_JOURNAL_NOP && st.need_seek && !a->reverse) {
                        r = reseek_after_wakeup(j, &st);
                        if (r < 0)
                                return r;
                }
        }

        if (re && st.n_shown == 0)
                return -ENOENT;   /* like grep (and journalctl --grep): nothing matched */
        return 0;
}

static bool has_upper(const char *s) {
        for (; *s; s++)
                if (*s >= 'A' && *s <= 'Z')
                        return true;
        return false;
}

/* The compose project of -f/--env (or PC_CONFIG_FILES, discovery), for its name and processes. */
static int load_project(Args *a, ComposeProject **ret) {
        ComposeLoadOptions opts;
        ComposeError err = {};
        int r;

        compose_load_options_init(&opts);
        (void) compose_load_options_from_env(&opts, NULL);
        if (a->config_files) {
                strv_free(opts.files);
                opts.files = TAKE_PTR(a->config_files);
        }
        if (a->env_files) {
                strv_free(opts.env_files);
                opts.env_files = TAKE_PTR(a->env_files);
        }
        r = compose_load(&opts, ret, &err);
        compose_load_options_done(&opts);
        if (r < 0) {
                _cleanup_free_ char *msg = compose_error_format(&err);

                compose_error_done(&err);
                log_error("%s", msg ?: "Failed to load the project.");
                log_error("Use --project NAME to read the logs of a project without its compose file.");
                return r;
        }
        return 0;
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
                r = load_project(&a, &cp);
                if (r < 0)
                        return EXIT_FAILURE;
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
        /* stdio buffers a terminal by line: one write() per line, which a terminal takes slowly under a burst.
         * show() flushes after each batch it prints, so a full buffer costs no latency. */
        (void) setvbuf(stdout, NULL, _IOFBF, 64 * 1024);
        r = show(j, &a, have_re ? &re : NULL);
finish:
        if (have_re)
                regfree(&re);
        fflush(stdout);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
