/* pcctl process (and its aliases list, ls): list, get, start, stop, restart, scale, ports and logs truncate
 * over the REST API; "process logs" and "process monitor" go to the WebSocket verbs (verb-process-logs.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli-client.h"
#include "cli/verbs.h"
#include "client/client-render.h"
#include "shared/json-util.h"
#include "shared/parse-util.h"
#include "shared/strv.h"

static void process_help(void) {
        printf("Usage: pcctl process COMMAND [OPTIONS...]\n\n"
               "Execute operations on the processes of a running project.\n\n"
               "Commands:\n"
               "  list [-o json|wide]         List processes (names, sorted)\n"
               "  get NAME [-o json|wide]     Show one process (default wide)\n"
               "  start NAME                  Start a process\n"
               "  stop NAME... [-v]           Stop processes (exit 1 unless all stopped)\n"
               "  restart NAME                Restart a process\n"
               "  scale NAME COUNT            Scale a process to COUNT replicas\n"
               "  ports NAME                  Show the TCP ports a process listens on\n"
               "  logs NAME... [...]          Show process logs (see 'pcctl process logs --help')\n"
               "  logs truncate NAME          Truncate the log buffer of a process\n"
               "  monitor [NAME...] [...]     Follow state changes (see 'pcctl process monitor --help')\n\n"
               "Options:\n"
               "  -o, --output FORMAT    list/get output: json or wide\n"
               "  -v, --verbose          stop: one line per process\n"
               CLIENT_OPTIONS_HELP
               "  -h, --help             Show this help\n");
}

typedef struct ProcessArgs {
        const char *format;     /* -o: NULL, "json" or "wide" */
        bool verbose;           /* -v */
} ProcessArgs;

/* Hands "process logs ..." / "process monitor ..." to the WebSocket verbs with argv starting at the
 * subcommand; options given before it (e.g. -u PATH) follow it, so they are parsed there too. */
static int dispatch_ws(int argc, char **argv, int sub, int (*verb)(int, char **)) {
        _cleanup_free_ char **v = NULL;
        int n = 0;

        v = new(char *, argc + 1);
        if (!v)
                return cli_fail(-ENOMEM, NULL, "out of memory");
        v[n++] = argv[sub];
        for (int i = 1; i < argc; i++)
                if (i != sub)
                        v[n++] = argv[i];
        v[n] = NULL;
        optind = 0;
        return verb(n, v);
}

static int print_states(cJSON *states, const char *format) {
        const cJSON *s;

        if (streq(format, "json")) {
                if (client_json_print_go(stdout, states, "\t") < 0)
                        return cli_fail(-ELOOP, NULL, "failed to print processes");
                putchar('\n');
        } else if (streq(format, "wide")) {
                if (client_states_print_table(stdout, states) < 0)
                        return cli_fail(-ENOMEM, NULL, "failed to print processes");
        } else
                cJSON_ArrayForEach(s, states) {
                        const cJSON *name = cJSON_GetObjectItemCaseSensitive(s, "name");
                        if (cJSON_IsString(name))
                                printf("%s\n", name->valuestring);
                }
        return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

static bool valid_output_format(const char *f) {
        return isempty(f) || streq(f, "json") || streq(f, "wide");
}

static int process_list(HttpClient *c, const char *format) {
        _cleanup_json_ cJSON *j = NULL;
        _cleanup_free_ char *err = NULL;
        cJSON *data;
        int r;

        r = http_client_call(c, "GET", "/processes", NULL, false, &j, NULL, &err);
        if (r < 0)
                return cli_fail(r, err, "failed to list processes");
        data = cJSON_GetObjectItemCaseSensitive(j, "data");
        if (!cJSON_IsArray(data))
                return cli_fail(-EPROTO, "invalid response: no \"data\" array", "failed to list processes");
        client_states_sort(data);
        return print_states(data, strempty(format));
}

static int process_get(HttpClient *c, const char *name, const char *format) {
        _cleanup_json_ cJSON *j = NULL, *arr = NULL;
        _cleanup_free_ char *err = NULL, *path = NULL;
        int r;

        r = client_path(&path, "/process", name, NULL);
        if (r < 0)
                return cli_fail(r, NULL, "failed to get process state");
        r = http_client_call(c, "GET", path, NULL, false, &j, NULL, &err);
        if (r < 0)
                return cli_fail(r, err, "failed to get process state");
        if (!cJSON_IsObject(j))
                return cli_fail(-EPROTO, "invalid response: not an object", "failed to get process state");
        arr = cJSON_CreateArray();
        if (!arr || !cJSON_AddItemToArray(arr, j))
                return cli_fail(-ENOMEM, NULL, "failed to get process state");
        j = NULL;   /* owned by arr now */
        return print_states(arr, isempty(format) ? "wide" : format);
}

static int simple_action(HttpClient *c, const char *method, const char *prefix, const char *name,
                         const char *what, const char *done_format) {
        _cleanup_free_ char *err = NULL, *path = NULL;
        int r;

        r = client_path(&path, prefix, name, NULL);
        if (r < 0)
                return cli_fail(r, NULL, "failed to %s %s", what, name);
        http_client_set_timeout(c, HTTP_CLIENT_TIMEOUT_LONG_MS);
        r = http_client_call(c, method, path, NULL, false, NULL, NULL, &err);
        if (r < 0)
                return cli_fail(r, err, "failed to %s %s", what, name);
        if (done_format)
                printf(done_format, name);
        return EXIT_SUCCESS;
}

static int process_stop(HttpClient *c, char **names, bool verbose) {
        _cleanup_json_ cJSON *body = NULL, *j = NULL;
        _cleanup_free_ char *err = NULL, *text = NULL, *list = NULL;
        int r, ex;

        body = cJSON_CreateArray();
        if (!body)
                return cli_fail(-ENOMEM, NULL, "failed to stop processes");
        STRV_FOREACH(n, names)
                if (!cJSON_AddItemToArray(body, cJSON_CreateString(*n)))
                        return cli_fail(-ENOMEM, NULL, "failed to stop processes");

        list = strv_join(names, " ");
        http_client_set_timeout(c, HTTP_CLIENT_TIMEOUT_LONG_MS);
        r = http_client_call(c, "PATCH", "/processes/stop", body, true, &j, NULL, &err);
        if (r < 0)
                return cli_fail(r, err, "failed to stop processes [%s]", strempty(list));
        if (!cJSON_IsObject(j))
                return cli_fail(-EPROTO, "invalid response: not an object", "failed to stop processes [%s]",
                            strempty(list));

        r = client_stop_result(j, names, verbose, cli_use_color(), &text, &ex);
        if (r < 0)
                return cli_fail(r, NULL, "failed to stop processes");
        fputs(text, stdout);
        return ex;
}

static int process_scale(HttpClient *c, const char *name, const char *count) {
        _cleanup_free_ char *err = NULL, *path = NULL;
        int64_t v;
        int r;

        /* Go's strconv.Atoi: optional sign, decimal digits, no spaces. */
        if (parse_i64(count, &v) < 0 || v < INT32_MIN || v > INT32_MAX)
                return cli_fail(0, NULL, "second argument must be an integer: '%s'", count);

        r = client_path(&path, "/process/scale", name, count, NULL);
        if (r < 0)
                return cli_fail(r, NULL, "failed to scale process %s", name);
        http_client_set_timeout(c, HTTP_CLIENT_TIMEOUT_LONG_MS);
        r = http_client_call(c, "PATCH", path, NULL, false, NULL, NULL, &err);
        if (r < 0)
                return cli_fail(r, err, "failed to scale process %s", name);
        printf("Process %s scaled to %s\n", name, count);
        return EXIT_SUCCESS;
}

static int process_ports(HttpClient *c, const char *name) {
        _cleanup_json_ cJSON *j = NULL;
        _cleanup_free_ char *err = NULL, *path = NULL;
        const cJSON *tcp, *p;
        bool first = true;
        int r;

        r = client_path(&path, "/process/ports", name, NULL);
        if (r < 0)
                return cli_fail(r, NULL, "failed to get process %s ports", name);
        r = http_client_call(c, "GET", path, NULL, false, &j, NULL, &err);
        if (r < 0)
                return cli_fail(r, err, "failed to get process %s ports", name);
        tcp = cJSON_GetObjectItemCaseSensitive(j, "tcp_ports");
        /* Go's %v of []int: [8080 9090] */
        printf("Process %s TCP ports: [", name);
        cJSON_ArrayForEach(p, tcp)
                if (cJSON_IsNumber(p)) {
                        printf(first ? "%.0f" : " %.0f", p->valuedouble);
                        first = false;
                }
        printf("]\n");
        return EXIT_SUCCESS;
}

/* The subcommands that talk REST. args/n are the arguments after the subcommand's name. */
static int cmd_list(HttpClient *c, char **args, const ProcessArgs *a) {
        return process_list(c, a->format);
}

static int cmd_get(HttpClient *c, char **args, const ProcessArgs *a) {
        /* process-compose takes the first of one or more names */
        return process_get(c, args[0], a->format);
}

static int cmd_start(HttpClient *c, char **args, const ProcessArgs *a) {
        return simple_action(c, "POST", "/process/start", args[0], "start process", "Process %s started\n");
}

static int cmd_restart(HttpClient *c, char **args, const ProcessArgs *a) {
        return simple_action(c, "POST", "/process/restart", args[0], "restart process", "Process %s restarted\n");
}

static int cmd_stop(HttpClient *c, char **args, const ProcessArgs *a) {
        return process_stop(c, args, a->verbose);
}

static int cmd_scale(HttpClient *c, char **args, const ProcessArgs *a) {
        return process_scale(c, args[0], args[1]);
}

static int cmd_ports(HttpClient *c, char **args, const ProcessArgs *a) {
        return process_ports(c, args[0]);
}

static int cmd_logs_truncate(HttpClient *c, char **args, const ProcessArgs *a) {
        return simple_action(c, "DELETE", "/process/logs", args[0], "truncate logs for process",
                             "Process %s logs truncated\n");
}

typedef struct ProcessCommand {
        const char *name;
        const char *usage;      /* the verb in argument count errors; NULL: the verb as typed */
        int min, max;           /* argument counts; max < 0: no limit */
        const char *what;
        int (*run)(HttpClient *c, char **args, const ProcessArgs *a);
} ProcessCommand;

static const ProcessCommand process_commands[] = {
        { "list",    NULL,              0, 0,  "none",       cmd_list },
        { "ls",      NULL,              0, 0,  "none",       cmd_list },
        { "get",     "process get",     1, -1, "NAME",       cmd_get },
        { "start",   "process start",   1, 1,  "NAME",       cmd_start },
        { "restart", "process restart", 1, 1,  "NAME",       cmd_restart },
        { "stop",    "process stop",    1, -1, "NAME...",    cmd_stop },
        { "scale",   "process scale",   2, 2,  "NAME COUNT", cmd_scale },
        { "ports",   "process ports",   1, 1,  "NAME",       cmd_ports },
        /* only "logs truncate NAME" reaches here; other "logs" went to the WebSocket verb */
        { "logs",    "process logs truncate", 1, 1, "NAME", cmd_logs_truncate },
};

static int process_parse(int c, const char *arg, void *userdata) {
        ProcessArgs *a = userdata;

        if (c == 'o') {
                if (!valid_output_format(arg)) {
                        cli_fail(0, NULL, "unknown output format %s", arg);
                        return -1;
                }
                a->format = arg;
        } else
                a->verbose = true;      /* 'v', the only other option of the verb's own */
        return 0;
}

static int run_process(int argc, char **argv, bool list_alias) {
        static const struct option options[] = {
                { "output",  required_argument, NULL, 'o' },
                { "verbose", no_argument,       NULL, 'v' },
                {}
        };
        _cleanup_(client_options_done) ClientOptions o = CLIENT_OPTIONS_INIT;
        _cleanup_(http_client_freep) HttpClient *c = NULL;
        const char *sub, *verb = list_alias ? argv[0] : "process";
        const CliVerbOptions v = {
                .verb = verb, .short_options = "o:v", .options = options, .parse = process_parse,
                .help = process_help,
        };
        ProcessArgs a = {};
        char **args;
        int n, r, ind;

        if (!list_alias) {
                int s = cli_first_positional(argc, argv, 1);
                if (s > 0 && streq(argv[s], "monitor"))
                        return dispatch_ws(argc, argv, s, verb_process_monitor);
                if (s > 0 && streq(argv[s], "logs")) {
                        int t = cli_first_positional(argc, argv, s + 1);
                        if (t < 0 || !streq(argv[t], "truncate"))
                                return dispatch_ws(argc, argv, s, verb_process_logs);
                }
        }

        r = cli_parse_options(argc, argv, &v, &o, &a, &ind);
        if (r != 0)
                return r > 0 ? EXIT_SUCCESS : EXIT_FAILURE;
        args = argv + ind;
        n = argc - ind;
        if (list_alias)
                sub = "list";
        else {
                if (n == 0) {
                        process_help();
                        return EXIT_FAILURE;
                }
                sub = args[0];
                args++;
                n--;
        }

        if (a.verbose && !streq(sub, "stop"))
                return cli_usage_error(verb, "-v/--verbose applies to 'stop' only");
        if (a.format && !streq(sub, "list") && !streq(sub, "ls") && !streq(sub, "get"))
                return cli_usage_error(verb, "-o/--output applies to 'list' and 'get' only");

        for (size_t i = 0; i < ELEMENTSOF(process_commands); i++) {
                const ProcessCommand *pc = &process_commands[i];

                if (!streq(sub, pc->name))
                        continue;
                if (streq(sub, "logs")) {
                        /* skip "truncate" */
                        args++;
                        n--;
                }
                if (cli_need_args(pc->usage ?: verb, n, pc->min, pc->max, pc->what) < 0 ||
                    cli_open_client(&o, &c) < 0)
                        return EXIT_FAILURE;
                return pc->run(c, args, &a);
        }
        return cli_usage_error(verb, "unknown command '%s'", sub);
}

int verb_process(int argc, char **argv) {
        return run_process(argc, argv, false);
}

int verb_list(int argc, char **argv) {
        return run_process(argc, argv, true);
}
