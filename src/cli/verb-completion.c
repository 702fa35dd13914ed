/* pcctl completion bash|zsh|fish: shell completion scripts; pcctl __complete WORD...: what they ask.
 *
 * The scripts are thin: each hands the words of the command line (after "pcctl", up to the word being
 * completed) to `pcctl __complete`, which prints the candidates one per line, or exits 3 to ask the shell for
 * file names (the values of -f, -e, -u, --token-file). So the three shells complete alike, and the logic is
 * here once, as cobra's generated scripts do with process-compose's hidden __complete command:
 *   - verbs, and the subcommands of process, project, namespace, analyze and completion;
 *   - flags, read from the verb's own --help (so they never drift from what the verb accepts);
 *   - process names: from the running project's API (GET /processes, with the API options found on the
 *     command line or in PC_*) for the client verbs (process ..., attach, analyze critical-chain); for up and
 *     run from the project file in the working directory (-f on the line), since no API is up yet; for logs,
 *     which reads the journal without a controller, from the API, else the project file. Any error means no
 *     candidates, never a message. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli-client.h"
#include "cli/verbs.h"
#include "compose/compose.h"
#include "shared/json-util.h"
#include "shared/strv.h"

#define WORDS(...) ((char **) ((const char *[]) { __VA_ARGS__, NULL }))
#define STR_IN_SET(x, ...) strv_contains(WORDS(__VA_ARGS__), (x))

#define COMPLETE_FILES 3
#define COMPLETE_API_TIMEOUT_MS 2000u
#define COMPLETE_HELP_MAX (64u * 1024u)

static const char bash_script[] =
        "# bash completion for pcctl; load with: source <(pcctl completion bash)\n"
        "_pcctl() {\n"
        "        local IFS=$'\\n' out rc\n"
        "        out=$(\"${COMP_WORDS[0]}\" __complete \"${COMP_WORDS[@]:1:COMP_CWORD}\" 2>/dev/null)\n"
        "        rc=$?\n"
        "        if [[ $rc == 3 ]]; then\n"
        "                COMPREPLY=($(compgen -f -- \"${COMP_WORDS[COMP_CWORD]}\"))\n"
        "                return 0\n"
        "        fi\n"
        "        COMPREPLY=($out)\n"
        "        return 0\n"
        "}\n"
        "complete -o bashdefault -F _pcctl pcctl\n";

static const char zsh_script[] =
        "#compdef pcctl\n"
        "# zsh completion for pcctl; load with: source <(pcctl completion zsh), or save it as _pcctl in $fpath\n"
        "_pcctl() {\n"
        "        local -a out\n"
        "        local rc\n"
        "        out=(\"${(@f)$(\"${words[1]}\" __complete \"${(@)words[2,CURRENT]}\" 2>/dev/null)}\")\n"
        "        rc=$?\n"
        "        if (( rc == 3 )); then\n"
        "                _files\n"
        "                return\n"
        "        fi\n"
        "        out=(${out:#})\n"
        "        (( ${#out} )) && compadd -a out\n"
        "}\n"
        "if [[ \"${funcstack[1]}\" == _pcctl ]]; then\n"
        "        _pcctl \"$@\"\n"
        "else\n"
        "        compdef _pcctl pcctl\n"
        "fi\n";

static const char fish_script[] =
        "# fish completion for pcctl; load with: pcctl completion fish | source\n"
        "function __pcctl_complete\n"
        "        set -l words (commandline -opc) (commandline -ct)\n"
        "        set -e words[1]\n"
        "        pcctl __complete $words 2>/dev/null\n"
        "        if test $status -eq 3\n"
        "                __fish_complete_path (commandline -ct)\n"
        "        end\n"
        "end\n"
        "complete -c pcctl -f -a '(__pcctl_complete)'\n";

static void completion_help(void) {
        printf("Usage: pcctl completion bash|zsh|fish\n\n"
               "Print a completion script for the shell. It completes verbs, flags and process names (those\n"
               "of the running project through its API, or of the project file for up and run).\n\n"
               "  bash   source <(pcctl completion bash)      (or save to /etc/bash_completion.d/pcctl)\n"
               "  zsh    source <(pcctl completion zsh)       (or save as _pcctl in a directory of $fpath)\n"
               "  fish   pcctl completion fish | source       (or save to ~/.config/fish/completions/pcctl.fish)\n");
}

int verb_completion(int argc, char **argv) {
        if (argc == 2 && (streq(argv[1], "-h") || streq(argv[1], "--help"))) {
                completion_help();
                return EXIT_SUCCESS;
        }
        if (argc != 2)
                return cli_usage_error("completion", "expected one argument: bash, zsh or fish");
        if (streq(argv[1], "bash"))
                fputs(bash_script, stdout);
        else if (streq(argv[1], "zsh"))
                fputs(zsh_script, stdout);
        else if (streq(argv[1], "fish"))
                fputs(fish_script, stdout);
        else
                return cli_usage_error("completion", "unknown shell '%s': expected bash, zsh or fish", argv[1]);
        return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

typedef struct Subcommands {
        const char *verb;
        char **subs;
        char **with_names;   /* the subcommands that take process (or namespace) names */
} Subcommands;

static const Subcommands subcommands[] = {
        { "process",    WORDS("list", "get", "start", "stop", "restart", "scale", "ports", "logs", "monitor"),
                        WORDS("get", "start", "stop", "restart", "scale", "ports", "logs", "monitor") },
        { "project",    WORDS("state", "is-ready", "update"), NULL },
        { "namespace",  WORDS("list", "start", "stop", "restart"), WORDS("start", "stop", "restart") },
        { "ns",         WORDS("list", "start", "stop", "restart"), WORDS("start", "stop", "restart") },
        { "analyze",    WORDS("critical-chain"), WORDS("critical-chain") },
        { "completion", WORDS("bash", "fish", "zsh"), NULL },
};

static const Subcommands *find_subcommands(const char *verb) {
        for (size_t i = 0; verb && i < ELEMENTSOF(subcommands); i++)
                if (streq(subcommands[i].verb, verb))
                        return &subcommands[i];
        return NULL;
}

static void print_matching(char * const *words, const char *prefix) {
        STRV_FOREACH(w, words)
                if (startswith(*w, prefix))
                        printf("%s\n", *w);
}

/* The long flags in the --help text of "pcctl ARGS... --help", run as a child of ours. */
static int help_flags(char * const *args, char ***ret) {
        _cleanup_strv_free_ char **argv = NULL, **flags = NULL;
        _cleanup_free_ char *text = NULL;
        _cleanup_close_ int rfd = -EBADF;
        int pipefd[2], status;
        size_t n = 0;
        pid_t pid;

        if (strv_extend(&argv, "pcctl") < 0)
                return -ENOMEM;
        STRV_FOREACH(a, args)
                if (strv_extend(&argv, *a) < 0)
                        return -ENOMEM;
        if (strv_extend(&argv, "--help") < 0)
                return -ENOMEM;
        text = malloc(COMPLETE_HELP_MAX + 1);
        if (!text)
                return -ENOMEM;
        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid < 0) {
                (void) close(pipefd[0]);
                (void) close(pipefd[1]);
                return -errno;
        }
        if (pid == 0) {
                (void) dup2(pipefd[1], STDOUT_FILENO);
                (void) execv("/proc/self/exe", argv);
                _exit(127);
        }
        (void) close(pipefd[1]);
        rfd = pipefd[0];
        for (;;) {
                ssize_t k = read(rfd, text + n, COMPLETE_HELP_MAX - n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        break;
                n += (size_t) k;
                if (n == COMPLETE_HELP_MAX)
                        break;
        }
        rfd = safe_close(rfd);
        (void) waitpid(pid, &status, 0);
        text[n] = 0;

        for (const char *p = text; (p = strstr(p, "--"));) {
                size_t l = 2;

                /* "--flag", not the "--" of "-- ARGS" or a word-internal dash pair */
                if ((p > text && !strchr(" \t\n,[(", p[-1])) || !(p[2] >= 'a' && p[2] <= 'z')) {
                        p += 2;
                        continue;
                }
                while ((p[l] >= 'a' && p[l] <= 'z') || (p[l] >= '0' && p[l] <= '9') || p[l] == '-')
                        l++;
                {
                        _cleanup_free_ char *f = strndup(p, l);
                        if (!f)
                                return -ENOMEM;
                        if (!strv_contains(flags, f) && strv_extend(&flags, f) < 0)
                                return -ENOMEM;
                }
                p += l;
        }
        strv_sort(flags);
        *ret = TAKE_PTR(flags);
        return 0;
}

static bool option_wants_file(const char *o) {
        return STR_IN_SET(o, "-f", "--config", "-e", "--env", "-u", "--unix-socket", "--token-file", "-L",
                          "--log-file");
}

/* Names from GET /processes (or /namespaces) of the running project. */
static int api_names(ClientOptions *o, bool namespaces, char ***ret) {
        _cleanup_(http_client_freep) HttpClient *c = NULL;
        _cleanup_json_ cJSON *j = NULL;
        _cleanup_free_ char *err = NULL;
        _cleanup_strv_free_ char **names = NULL;
        const cJSON *i, *list;
        int r;

        r = client_options_finish(o, &err);
        if (r < 0)
                return r;
        r = http_client_new(o, &c, &err);
        if (r < 0)
                return r;
        http_client_set_timeout(c, COMPLETE_API_TIMEOUT_MS);
        r = http_client_call(c, "GET", namespaces ? "/namespaces" : "/processes", NULL, false, &j, NULL, &err);
        if (r < 0)
                return r;
        list = namespaces ? j : cJSON_GetObjectItemCaseSensitive(j, "data");
        cJSON_ArrayForEach(i, list) {
                const cJSON *n = namespaces ? i : cJSON_GetObjectItemCaseSensitive(i, "name");
                if (cJSON_IsString(n) && strv_extend(&names, n->valuestring) < 0)
                        return -ENOMEM;
        }
        strv_sort(names);
        *ret = TAKE_PTR(names);
        return 0;
}

/* Names from the project file, for up and run (no API yet). */
static int file_names(char **files, char ***ret) {
        _cleanup_(compose_load_options_done) ComposeLoadOptions lo = {};
        _cleanup_(compose_project_freep) ComposeProject *p = NULL;
        _cleanup_strv_free_ char **names = NULL;
        ComposeError err = {};
        int r;

        compose_load_options_init(&lo);
        r = compose_load_options_from_env(&lo, NULL);
        if (r < 0)
                return r;
        if (files) {
                strv_free(lo.files);
                lo.files = strv_copy(files);
                if (!lo.files)
                        return -ENOMEM;
        }
        r = compose_load(&lo, &p, &err);
        compose_error_done(&err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < p->n_processes; i++)
                if (strv_extend(&names, p->processes[i]->name) < 0)
                        return -ENOMEM;
        *ret = TAKE_PTR(names);
        return 0;
}

/* pcctl __complete WORD... CURRENT: the candidates for CURRENT, one a line; exit 3: complete file names. */
int verb_complete(int argc, char **argv) {
        _cleanup_(client_options_done) ClientOptions o = CLIENT_OPTIONS_INIT;
        _cleanup_strv_free_ char **positional = NULL, **files = NULL, **names = NULL, **flags = NULL;
        const char *cur = argc > 1 ? argv[argc - 1] : "";
        const Subcommands *s;
        const char *verb, *sub;
        size_t n_pos;

        (void) client_options_from_env(&o, NULL);

        for (int i = 1; i < argc - 1; i++) {
                const char *w = argv[i], *value = NULL;
                int c = 0;

                if (streq(w, "--"))
                        return EXIT_SUCCESS;        /* the process's own arguments */
                if (w[0] != '-' || streq(w, "-")) {
                        if (strv_extend(&positional, w) < 0)
                                return EXIT_FAILURE;
                        continue;
                }
                if (cli_option_takes_value(w)) {
                        if (i + 1 >= argc - 1)
                                return option_wants_file(w) ? COMPLETE_FILES : EXIT_SUCCESS;
                        value = argv[++i];
                } else if (strchr(w, '='))
                        value = strchr(w, '=') + 1;
                /* the API options, for the name lookup */
                if (STR_IN_SET(w, "-u", "--unix-socket") || startswith(w, "--unix-socket="))
                        c = 'u';
                else if (STR_IN_SET(w, "-p", "--port") || startswith(w, "--port="))
                        c = 'p';
                else if (STR_IN_SET(w, "-a", "--address") || startswith(w, "--address="))
                        c = 'a';
                else if (streq(w, "--token-file") || startswith(w, "--token-file="))
                        c = CLIENT_OPTION_TOKEN_FILE;
                else if (STR_IN_SET(w, "-U", "--use-uds"))
                        c = 'U';
                else if ((STR_IN_SET(w, "-f", "--config") || startswith(w, "--config=")) && value &&
                         strv_extend(&files, value) < 0)
                        return EXIT_FAILURE;
                if (c)
                        (void) client_options_parse(&o, c, value, NULL);
        }

        n_pos = strv_length(positional);
        verb = n_pos > 0 ? positional[0] : NULL;
        sub = n_pos > 1 ? positional[1] : NULL;
        s = find_subcommands(verb);

        if (cur[0] == '-') {
                char *args[3] = { (char *) verb, s ? (char *) sub : NULL, NULL };

                if (!verb)
                        args[0] = (char *) "up";
                if (s && sub && streq(verb, "process") && !STR_IN_SET(sub, "logs", "monitor"))
                        args[1] = NULL;    /* the process verb's own help covers its subcommands */
                if (help_flags(args, &flags) >= 0)
                        print_matching(flags, cur);
                if (!verb)
                        print_matching(WORDS("--version"), cur);
                return EXIT_SUCCESS;
        }

        if (!verb) {
                _cleanup_strv_free_ char **verbs = cli_verb_names();
                print_matching(verbs, cur);
                return EXIT_SUCCESS;
        }
        if (s && !sub) {
                print_matching(s->subs, cur);
                return EXIT_SUCCESS;
        }

        if (streq(verb, "attach")) {
                if (n_pos > 1)
                        return EXIT_SUCCESS;     /* one NAME */
                if (api_names(&o, false, &names) >= 0)
                        print_matching(names, cur);
                return EXIT_SUCCESS;
        }
        if (streq(verb, "logs")) {
                /* the journal needs no controller: the running project's names, else the project file's */
                if (api_names(&o, false, &names) >= 0 || file_names(files, &names) >= 0)
                        print_matching(names, cur);
                return EXIT_SUCCESS;
        }
        if (STR_IN_SET(verb, "up", "run")) {
                if (streq(verb, "run") && n_pos > 1)
                        return EXIT_SUCCESS;     /* run takes one PROCESS; its arguments go after -- */
                if (file_names(files, &names) >= 0)
                        print_matching(names, cur);
                return EXIT_SUCCESS;
        }
        if (s && s->with_names && strv_contains(s->with_names, sub)) {
                if (streq(verb, "process") && STR_IN_SET(sub, "start", "restart", "scale", "ports", "get") &&
                    n_pos > 2)
                        return EXIT_SUCCESS;     /* one NAME (scale: then a COUNT) */
                if (streq(verb, "process") && streq(sub, "logs") && n_pos == 2)
                        print_matching(WORDS("truncate"), cur);
                if (streq(verb, "process") && streq(sub, "logs") && n_pos > 2 &&
                    !(n_pos == 3 && streq(positional[2], "truncate")))
                        return EXIT_SUCCESS;     /* process logs NAME, or logs truncate NAME */
                if (api_names(&o, STR_IN_SET(verb, "namespace", "ns"), &names) >= 0)
                        print_matching(names, cur);
        }
        return EXIT_SUCCESS;
}
