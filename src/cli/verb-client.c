/* The client verbs: process, project, namespace, down, graph, list (compat §4.2), talking to a running
 * controller's REST API (compat §3) with the messages and exit codes of process-compose's CLI (§4.3).
 *
 * These are short-lived CLI processes: they block on the HTTP calls (src/client/http-client.c) and print.
 * `process logs` and `process monitor` belong to the WebSocket area (verb-process-logs.c); this file only
 * routes them there. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/verbs.h"
#include "client/client-options.h"
#include "client/client-render.h"
#include "client/http-client.h"
#include "compose/compose-json.h"
#include "compose/compose.h"
#include "shared/json-util.h"
#include "shared/strv.h"

static bool use_color(void) {
        return isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
}

/* A fatal client error, as process-compose's log.Fatal() reports it: "<what>: <error>" on stderr, exit 1.
 * An authentication failure is reported alone, as process-compose's transport does. */
_printf_(3, 4) static int fail(int r, const char *error, const char *format, ...) {
        va_list ap;

        if (r == -EACCES && error) {
                fprintf(stderr, "%s\n", error);
                return EXIT_FAILURE;
        }
        va_start(ap, format);
        vfprintf(stderr, format, ap);
        va_end(ap);
        if (error)
                fprintf(stderr, ": %s\n", error);
        else if (r < 0)
                fprintf(stderr, ": %s\n", strerror(-r));
        else
                fputc('\n', stderr);
        return EXIT_FAILURE;
}

static int usage_error(const char *verb, const char *format, ...) _printf_(2, 3);
static int usage_error(const char *verb, const char *format, ...) {
        va_list ap;

        fprintf(stderr, "pcctl %s: ", verb);
        va_start(ap, format);
        vfprintf(stderr, format, ap);
        va_end(ap);
        fprintf(stderr, "\nSee 'pcctl %s --help'.\n", verb);
        return EXIT_FAILURE;
}

/* Finishes the common options and opens the client; prints the error and returns -1 on failure. */
static int open_client(ClientOptions *o, HttpClient **ret) {
        _cleanup_free_ char *err = NULL;
        int r;

        r = client_options_finish(o, &err);
        if (r < 0) {
                fail(r, err, "invalid client options");
                return -1;
        }
        r = http_client_new(o, ret, &err);
        if (r < 0) {
                fail(r, err, "failed to set up the API client");
                return -1;
        }
        return 0;
}

static int options_from_env(ClientOptions *o) {
        _cleanup_free_ char *err = NULL;
        int r;

        r = client_options_from_env(o, &err);
        if (r < 0) {
                /* process-compose: log.Fatal "Invalid port number" from PC_PORT_NUM */
                fprintf(stderr, "%s\n", err ?: strerror(-r));
                return -1;
        }
        return 0;
}

/* Handles a client option in a getopt loop: 1 consumed, 0 not ours, -1 error printed. */
static int handle_client_option(ClientOptions *o, int c) {
        _cleanup_free_ char *err = NULL;
        int r;

        r = client_options_parse(o, c, optarg, &err);
        if (r < 0) {
                fprintf(stderr, "%s\n", err ?: strerror(-r));
                return -1;
        }
        return r;
}

/* ================================ process ================================ */

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

enum {
        ARG_WITH_MEMORY = 0x100,
        ARG_WAIT,
};

/* The options every process subcommand accepts; validated per subcommand afterwards. */
static const struct option process_options[] = {
        CLIENT_OPTIONS_LONG,
        { "output",  required_argument, NULL, 'o' },
        { "verbose", no_argument,       NULL, 'v' },
        { "help",    no_argument,       NULL, 'h' },
        {}
};

static bool option_takes_value(const char *arg) {
        static const char *const with_value[] = {
                "-a", "-p", "-u", "-o", "-f", "-n", "-N",
                "--address", "--port", "--unix-socket", "--token-file", "--output", "--config",
                "--namespace", "--format", "--tail",
        };
        for (size_t i = 0; i < ELEMENTSOF(with_value); i++)
                if (streq(arg, with_value[i]))
                        return true;
        return false;
}

/* Index of the first positional argument of argv[1..], skipping values of options that take one. */
static int first_positional(int argc, char **argv, int start) {
        for (int i = start; i < argc; i++) {
                if (streq(argv[i], "--"))
                        return i + 1 < argc ? i + 1 : -1;
                if (argv[i][0] != '-' || streq(argv[i], "-"))
                        return i;
                if (option_takes_value(argv[i]))
                        i++;
        }
        return -1;
}

/* Hands "process logs ..." / "process monitor ..." to the WebSocket verbs with argv starting at the
 * subcommand; options given before it (e.g. -u PATH) follow it, so they are parsed there too. */
static int dispatch_ws(int argc, char **argv, int sub, int (*verb)(int, char **)) {
        _cleanup_free_ char **v = NULL;
        int n = 0;

        v = new(char *, argc + 1);
        if (!v)
                return fail(-ENOMEM, NULL, "out of memory");
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
                        return fail(-ELOOP, NULL, "failed to print processes");
                putchar('\n');
        } else if (streq(format, "wide")) {
                if (client_states_print_table(stdout, states) < 0)
                        return fail(-ENOMEM, NULL, "failed to print processes");
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
                return fail(r, err, "failed to list processes");
        data = cJSON_GetObjectItemCaseSensitive(j, "data");
        if (!cJSON_IsArray(data))
                return fail(-EPROTO, "invalid response: no \"data\" array", "failed to list processes");
        client_states_sort(data);
        return print_states(data, strempty(format));
}

static int process_get(HttpClient *c, const char *name, const char *format) {
        _cleanup_json_ cJSON *j = NULL, *arr = NULL;
        _cleanup_free_ char *err = NULL, *path = NULL;
        int r;

        r = client_path(&path, "/process", name, NULL);
        if (r < 0)
                return fail(r, NULL, "failed to get process state");
        r = http_client_call(c, "GET", path, NULL, false, &j, NULL, &err);
        if (r < 0)
                return fail(r, err, "failed to get process state");
        if (!cJSON_IsObject(j))
                return fail(-EPROTO, "invalid response: not an object", "failed to get process state");
        arr = cJSON_CreateArray();
        if (!arr || !cJSON_AddItemToArray(arr, j))
                return fail(-ENOMEM, NULL, "failed to get process state");
        j = NULL;   /* owned by arr now */
        return print_states(arr, isempty(format) ? "wide" : format);
}

static int simple_action(HttpClient *c, const char *method, const char *prefix, const char *name,
                         const char *what, const char *done_format) {
        _cleanup_free_ char *err = NULL, *path = NULL;
        int r;

        r = client_path(&path, prefix, name, NULL);
        if (r < 0)
                return fail(r, NULL, "failed to %s %s", what, name);
        http_client_set_timeout(c, HTTP_CLIENT_TIMEOUT_LONG_MS);
        r = http_client_call(c, method, path, NULL, false, NULL, NULL, &err);
        if (r < 0)
                return fail(r, err, "failed to %s %s", what, name);
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
                return fail(-ENOMEM, NULL, "failed to stop processes");
        STRV_FOREACH(n, names)
                if (!cJSON_AddItemToArray(body, cJSON_CreateString(*n)))
                        return fail(-ENOMEM, NULL, "failed to stop processes");

        list = strv_join(names, " ");
        http_client_set_timeout(c, HTTP_CLIENT_TIMEOUT_LONG_MS);
        r = http_client_call(c, "PATCH", "/processes/stop", body, true, &j, NULL, &err);
        if (r < 0)
                return fail(r, err, "failed to stop processes [%s]", strempty(list));
        if (!cJSON_IsObject(j))
                return fail(-EPROTO, "invalid response: not an object", "failed to stop processes [%s]",
                            strempty(list));

        r = client_stop_result(j, names, verbose, use_color(), &text, &ex);
        if (r < 0)
                return fail(r, NULL, "failed to stop processes");
        fputs(text, stdout);
        return ex;
}

static int process_scale(HttpClient *c, const char *name, const char *count) {
        _cleanup_free_ char *err = NULL, *path = NULL;
        char *end;
        long v;
        int r;

        /* Go's strconv.Atoi: optional sign, decimal digits, no spaces. */
        errno = 0;
        v = strtol(count, &end, 10);
        if (isempty(count) || *end || errno != 0 || v < INT32_MIN || v > INT32_MAX || count[0] == ' ')
                return fail(0, NULL, "second argument must be an integer: '%s'", count);

        r = client_path(&path, "/process/scale", name, count, NULL);
        if (r < 0)
                return fail(r, NULL, "failed to scale process %s", name);
        http_client_set_timeout(c, HTTP_CLIENT_TIMEOUT_LONG_MS);
        r = http_client_call(c, "PATCH", path, NULL, false, NULL, NULL, &err);
        if (r < 0)
                return fail(r, err, "failed to scale process %s", name);
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
                return fail(r, NULL, "failed to get process %s ports", name);
        r = http_client_call(c, "GET", path, NULL, false, &j, NULL, &err);
        if (r < 0)
                return fail(r, err, "failed to get process %s ports", name);
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

static int need_args(const char *verb, int have, int min, int max, const char *what) {
        if (have < min || (max >= 0 && have > max)) {
                if (min == max)
                        usage_error(verb, "expected %d argument%s (%s), got %d", min, min == 1 ? "" : "s", what,
                                    have);
                else
                        usage_error(verb, "expected at least %d argument%s (%s), got %d", min,
                                    min == 1 ? "" : "s", what, have);
                return -1;
        }
        return 0;
}

static int run_process(int argc, char **argv, bool list_alias) {
        _cleanup_(client_options_done) ClientOptions o = CLIENT_OPTIONS_INIT;
        _cleanup_(http_client_freep) HttpClient *c = NULL;
        const char *format = NULL, *sub, *verb = list_alias ? argv[0] : "process";
        bool verbose = false;
        char **args;
        int n, cc, r;

        if (!list_alias) {
                int s = first_positional(argc, argv, 1);
                if (s > 0 && streq(argv[s], "monitor"))
                        return dispatch_ws(argc, argv, s, verb_process_monitor);
                if (s > 0 && streq(argv[s], "logs")) {
                        int t = first_positional(argc, argv, s + 1);
                        if (t < 0 || !streq(argv[t], "truncate"))
                                return dispatch_ws(argc, argv, s, verb_process_logs);
                }
        }

        if (options_from_env(&o) < 0)
                return EXIT_FAILURE;

        /* GNU getopt permutes: options may come before or after the subcommand and its arguments, as with
         * process-compose's cobra. */
        optind = 0;
        while ((cc = getopt_long(argc, argv, CLIENT_OPTIONS_SHORT "o:vh", process_options, NULL)) >= 0) {
                r = handle_client_option(&o, cc);
                if (r < 0)
                        return EXIT_FAILURE;
                if (r > 0)
                        continue;
                switch (cc) {
                case 'o':
                        format = optarg;
                        if (!valid_output_format(format))
                                return fail(0, NULL, "unknown output format %s", format);
                        break;
                case 'v':
                        verbose = true;
                        break;
                case 'h':
                        process_help();
                        return EXIT_SUCCESS;
                default:
                        return usage_error(verb, "invalid option");
                }
        }

        args = argv + optind;
        n = argc - optind;
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

        if (verbose && !streq(sub, "stop"))
                return usage_error(verb, "-v/--verbose applies to 'stop' only");
        if (format && !streq(sub, "list") && !streq(sub, "ls") && !streq(sub, "get"))
                return usage_error(verb, "-o/--output applies to 'list' and 'get' only");

        if (streq(sub, "list") || streq(sub, "ls")) {
                if (need_args(verb, n, 0, 0, "none") < 0)
                        return EXIT_FAILURE;
                if (open_client(&o, &c) < 0)
                        return EXIT_FAILURE;
                return process_list(c, format);
        }
        if (streq(sub, "get")) {
                /* process-compose takes the first of one or more names */
                if (need_args("process get", n, 1, -1, "NAME") < 0 || open_client(&o, &c) < 0)
                        return EXIT_FAILURE;
                return process_get(c, args[0], format);
        }
        if (streq(sub, "start")) {
                if (need_args("process start", n, 1, 1, "NAME") < 0 || open_client(&o, &c) < 0)
                        return EXIT_FAILURE;
                return simple_action(c, "POST", "/process/start", args[0], "start process",
                                     "Process %s started\n");
        }
        if (streq(sub, "restart")) {
                if (need_args("process restart", n, 1, 1, "NAME") < 0 || open_client(&o, &c) < 0)
                        return EXIT_FAILURE;
                return simple_action(c, "POST", "/process/restart", args[0], "restart process",
                                     "Process %s restarted\n");
        }
        if (streq(sub, "stop")) {
                if (need_args("process stop", n, 1, -1, "NAME...") < 0 || open_client(&o, &c) < 0)
                        return EXIT_FAILURE;
                return process_stop(c, args, verbose);
        }
        if (streq(sub, "scale")) {
                if (need_args("process scale", n, 2, 2, "NAME COUNT") < 0 || open_client(&o, &c) < 0)
                        return EXIT_FAILURE;
                return process_scale(c, args[0], args[1]);
        }
        if (streq(sub, "ports")) {
                if (need_args("process ports", n, 1, 1, "NAME") < 0 || open_client(&o, &c) < 0)
                        return EXIT_FAILURE;
                return process_ports(c, args[0]);
        }
        if (streq(sub, "logs")) {
                /* only "logs truncate NAME" reaches here */
                if (need_args("process logs truncate", n - 1, 1, 1, "NAME") < 0 || open_client(&o, &c) < 0)
                        return EXIT_FAILURE;
                return simple_action(c, "DELETE", "/process/logs", args[1], "truncate logs for process",
                                     "Process %s logs truncated\n");
        }
        return usage_error(verb, "unknown command '%s'", sub);
}

int verb_process(int argc, char **argv) {
        return run_process(argc, argv, false);
}

int verb_list(int argc, char **argv) {
        return run_process(argc, argv, true);
}

/* ================================ project ================================ */

static void project_help(void) {
        printf("Usage: pcctl project COMMAND [OPTIONS...]\n\n"
               "Execute operations on a running project.\n\n"
               "Commands:\n"
               "  state [--with-memory]       Show the project state\n"
               "  is-ready [--wait]           Exit 0 when every process is ready, else 1 (--wait: poll every 1 s)\n"
               "  update -f FILE... [-v] [-n NS...]\n"
               "                              Load FILE(s) here and apply them to the running project\n\n"
               "Options:\n"
               "      --with-memory      state: include the controller's memory\n"
               "      --wait             is-ready: wait until the project is ready\n"
               "  -f, --config FILE      update: configuration file (repeatable; env PC_CONFIG_FILES)\n"
               "  -n, --namespace NS     update: admit only these namespaces (repeatable; env PC_NAMESPACES)\n"
               "  -v, --verbose          update: print a table of what changed\n"
               CLIENT_OPTIONS_HELP
               "  -h, --help             Show this help\n");
}

static const struct option project_options[] = {
        CLIENT_OPTIONS_LONG,
        { "with-memory", no_argument,       NULL, ARG_WITH_MEMORY },
        { "wait",        no_argument,       NULL, ARG_WAIT },
        { "config",      required_argument, NULL, 'f' },
        { "namespace",   required_argument, NULL, 'n' },
        { "verbose",     no_argument,       NULL, 'v' },
        { "help",        no_argument,       NULL, 'h' },
        {}
};

static int project_state(HttpClient *c, bool with_memory) {
        _cleanup_json_ cJSON *j = NULL;
        _cleanup_free_ char *err = NULL;
        int r;

        r = http_client_call(c, "GET", with_memory ? "/project/state?withMemory=true" : "/project/state?withMemory=false",
                             NULL, false, &j, NULL, &err);
        if (r < 0)
                return fail(r, err, "failed to get project state");
        if (!cJSON_IsObject(j))
                return fail(-EPROTO, "invalid response: not an object", "failed to get project state");
        r = client_project_state_print(stdout, j, use_color());
        if (r < 0)
                return fail(r, NULL, "failed to print project state");
        return EXIT_SUCCESS;
}

/* One readiness check: 0 ready, 1 not ready (message in *ret_message), -errno when the API failed. */
static int check_ready(HttpClient *c, char **ret_message, char **ret_error) {
        _cleanup_json_ cJSON *j = NULL;
        cJSON *data;
        int r;

        r = http_client_call(c, "GET", "/processes", NULL, false, &j, NULL, ret_error);
        if (r < 0)
                return r;
        data = cJSON_GetObjectItemCaseSensitive(j, "data");
        if (!cJSON_IsArray(data)) {
                free(*ret_error);
                *ret_error = strdup("invalid response: no \"data\" array");
                return -EPROTO;
        }
        client_states_sort(data);
        r = client_not_ready_message(data, ret_message);
        if (r < 0)
                return r;
        return *ret_message ? 1 : 0;
}

static int project_is_ready(HttpClient *c, bool wait) {
        for (;;) {
                _cleanup_free_ char *msg = NULL, *err = NULL;
                int r;

                r = check_ready(c, &msg, &err);
                if (r == 0)
                        return EXIT_SUCCESS;
                /* A wrong token never heals; anything else (not ready yet, controller still starting) may. */
                if (!wait || r == -EACCES) {
                        if (r > 0) {
                                fprintf(stderr, "%s\n", msg);
                                return EXIT_FAILURE;
                        }
                        return fail(r, err, "failed to check readiness");
                }
                (void) nanosleep(&(struct timespec) { .tv_sec = 1 }, NULL);
        }
}

static int project_update(HttpClient *c, ComposeLoadOptions *lo, bool verbose) {
        _cleanup_(compose_project_freep) ComposeProject *p = NULL;
        _cleanup_json_ cJSON *body = NULL, *j = NULL;
        _cleanup_free_ char *err = NULL, *cerr = NULL;
        ComposeError e = {};
        const cJSON *v;
        long status = 0;
        size_t n = 0;
        int r;

        r = compose_load(lo, &p, &e);
        if (r < 0) {
                cerr = compose_error_format(&e);
                compose_error_done(&e);
                return fail(r, cerr, "Failed to load project");
        }
        body = compose_project_to_json(p);
        if (!body)
                return fail(-ENOMEM, NULL, "Failed to update project");

        http_client_set_timeout(c, HTTP_CLIENT_TIMEOUT_LONG_MS);
        r = http_client_call(c, "POST", "/project", body, true, &j, &status, &err);
        if (r < 0)
                return fail(r, err, "Failed to update project");
        if (!cJSON_IsObject(j))
                return fail(-EPROTO, "invalid response: not an object", "Failed to update project");

        cJSON_ArrayForEach(v, j)
                n++;
        if (n == 0) {
                printf("No processes were updated\n");
                return EXIT_SUCCESS;
        }
        if (verbose) {
                r = client_update_print_table(stdout, j);
                if (r < 0)
                        return fail(r, NULL, "Failed to update project");
        } else
                printf("Project updated successfully\n");

        /* 207: some processes could not be updated; say which, and fail (process-compose exits 0 here). */
        if (status == 207) {
                _cleanup_strv_free_ char **failed = NULL;
                _cleanup_free_ char *list = NULL;
                cJSON_ArrayForEach(v, j)
                        if (!cJSON_IsString(v) || streq(v->valuestring, "error"))
                                if (strv_extend(&failed, strempty(v->string)) < 0)
                                        return fail(-ENOMEM, NULL, "Failed to update project");
                strv_sort(failed);
                list = strv_join(failed, "', '");
                fprintf(stderr, "Failed to update: '%s'\n", strempty(list));
                return EXIT_FAILURE;
        }
        return EXIT_SUCCESS;
}

int verb_project(int argc, char **argv) {
        _cleanup_(client_options_done) ClientOptions o = CLIENT_OPTIONS_INIT;
        _cleanup_(http_client_freep) HttpClient *c = NULL;
        _cleanup_(compose_load_options_done) ComposeLoadOptions lo = {};
        _cleanup_strv_free_ char **files = NULL, **namespaces = NULL;
        bool with_memory = false, wait = false, verbose = false;
        const char *sub;
        int cc, r, n;

        if (options_from_env(&o) < 0)
                return EXIT_FAILURE;

        optind = 0;
        while ((cc = getopt_long(argc, argv, CLIENT_OPTIONS_SHORT "f:n:vh", project_options, NULL)) >= 0) {
                r = handle_client_option(&o, cc);
                if (r < 0)
                        return EXIT_FAILURE;
                if (r > 0)
                        continue;
                switch (cc) {
                case ARG_WITH_MEMORY:
                        with_memory = true;
                        break;
                case ARG_WAIT:
                        wait = true;
                        break;
                case 'f':
                        if (strv_extend(&files, optarg) < 0)
                                return fail(-ENOMEM, NULL, "out of memory");
                        break;
                case 'n':
                        if (strv_extend(&namespaces, optarg) < 0)
                                return fail(-ENOMEM, NULL, "out of memory");
                        break;
                case 'v':
                        verbose = true;
                        break;
                case 'h':
                        project_help();
                        return EXIT_SUCCESS;
                default:
                        return usage_error("project", "invalid option");
                }
        }
        n = argc - optind;
        if (n == 0) {
                project_help();
                return EXIT_FAILURE;
        }
        sub = argv[optind];
        if (n > 1)
                return usage_error("project", "'%s' takes no arguments, got '%s'", sub, argv[optind + 1]);

        if (with_memory && !streq(sub, "state"))
                return usage_error("project", "--with-memory applies to 'state' only");
        if (wait && !streq(sub, "is-ready"))
                return usage_error("project", "--wait applies to 'is-ready' only");
        if ((files || namespaces || verbose) && !streq(sub, "update"))
                return usage_error("project", "-f, -n and -v apply to 'update' only");

        if (streq(sub, "state")) {
                if (open_client(&o, &c) < 0)
                        return EXIT_FAILURE;
                return project_state(c, with_memory);
        }
        if (streq(sub, "is-ready")) {
                if (open_client(&o, &c) < 0)
                        return EXIT_FAILURE;
                return project_is_ready(c, wait);
        }
        if (streq(sub, "update")) {
                compose_load_options_init(&lo);
                r = compose_load_options_from_env(&lo, NULL);
                if (r < 0)
                        return fail(r, NULL, "Failed to load project");
                if (files) {
                        /* -f replaces PC_CONFIG_FILES, as a flag replaces its default in cobra */
                        strv_free(lo.files);
                        lo.files = TAKE_PTR(files);
                }
                if (!lo.files)
                        return usage_error("project update", "required flag(s) \"config\" not set");
                if (namespaces) {
                        strv_free(lo.namespaces);
                        lo.namespaces = TAKE_PTR(namespaces);
                }
                if (open_client(&o, &c) < 0)
                        return EXIT_FAILURE;
                return project_update(c, &lo, verbose);
        }
        return usage_error("project", "unknown command '%s'", sub);
}

/* ================================ namespace ================================ */

static void namespace_help(void) {
        printf("Usage: pcctl namespace COMMAND [OPTIONS...]    (alias: ns)\n\n"
               "Perform operations on a namespace.\n\n"
               "Commands:\n"
               "  list, ls        List the namespaces\n"
               "  start NS        Start all processes of NS\n"
               "  stop NS         Stop all processes of NS\n"
               "  restart NS      Restart all processes of NS\n\n"
               "Options:\n"
               CLIENT_OPTIONS_HELP
               "  -h, --help             Show this help\n");
}

static const struct option namespace_options[] = {
        CLIENT_OPTIONS_LONG,
        { "help", no_argument, NULL, 'h' },
        {}
};

int verb_namespace(int argc, char **argv) {
        _cleanup_(client_options_done) ClientOptions o = CLIENT_OPTIONS_INIT;
        _cleanup_(http_client_freep) HttpClient *c = NULL;
        _cleanup_free_ char *err = NULL, *path = NULL;
        const char *sub;
        int cc, r, n;

        if (options_from_env(&o) < 0)
                return EXIT_FAILURE;
        optind = 0;
        while ((cc = getopt_long(argc, argv, CLIENT_OPTIONS_SHORT "h", namespace_options, NULL)) >= 0) {
                r = handle_client_option(&o, cc);
                if (r < 0)
                        return EXIT_FAILURE;
                if (r > 0)
                        continue;
                if (cc == 'h') {
                        namespace_help();
                        return EXIT_SUCCESS;
                }
                return usage_error("namespace", "invalid option");
        }
        n = argc - optind;
        if (n == 0) {
                /* process-compose prints the help and exits 0 */
                namespace_help();
                return EXIT_SUCCESS;
        }
        sub = argv[optind];

        if (streq(sub, "list") || streq(sub, "ls")) {
                _cleanup_json_ cJSON *j = NULL;
                const cJSON *ns;

                if (need_args("namespace list", n - 1, 0, 0, "none") < 0 || open_client(&o, &c) < 0)
                        return EXIT_FAILURE;
                r = http_client_call(c, "GET", "/namespaces", NULL, false, &j, NULL, &err);
                if (r == -EACCES)
                        return fail(r, err, "Failed to list namespaces");
                if (r >= 0 && !cJSON_IsArray(j)) {
                        r = -EPROTO;
                        free(err);
                        err = strdup("invalid response: not an array");
                }
                if (r < 0) {
                        printf("Failed to list namespaces: %s\n", err ?: strerror(-r));
                        return EXIT_FAILURE;
                }
                cJSON_ArrayForEach(ns, j)
                        if (cJSON_IsString(ns))
                                printf("%s\n", ns->valuestring);
                return EXIT_SUCCESS;
        }

        if (streq(sub, "start") || streq(sub, "stop") || streq(sub, "restart")) {
                _cleanup_free_ char *prefix = NULL, *v = NULL;
                const char *ns;

                if (need_args(streq(sub, "start") ? "namespace start" :
                              streq(sub, "stop") ? "namespace stop" : "namespace restart",
                              n - 1, 1, 1, "NAMESPACE") < 0 || open_client(&o, &c) < 0)
                        return EXIT_FAILURE;
                ns = argv[optind + 1];
                if (asprintf(&prefix, "/namespace/%s", sub) < 0 || client_path(&path, prefix, ns, NULL) < 0)
                        return fail(-ENOMEM, NULL, "out of memory");
                http_client_set_timeout(c, HTTP_CLIENT_TIMEOUT_LONG_MS);
                r = http_client_call(c, "POST", path, NULL, false, NULL, NULL, &err);
                if (r == -EACCES)
                        return fail(r, err, "Failed to %s namespace", sub);
                if (r < 0) {
                        printf("Failed to %s namespace '%s': %s\n", sub, ns, err ?: strerror(-r));
                        return EXIT_FAILURE;
                }
                /* "started", "stopped", "restarted" */
                printf("Namespace '%s' %s%s successfully\n", ns, sub, streq(sub, "stop") ? "ped" : "ed");
                return EXIT_SUCCESS;
        }
        return usage_error("namespace", "unknown command '%s'", sub);
}

/* ================================ down ================================ */

static const struct option down_options[] = {
        CLIENT_OPTIONS_LONG,
        { "help", no_argument, NULL, 'h' },
        {}
};

int verb_down(int argc, char **argv) {
        _cleanup_(client_options_done) ClientOptions o = CLIENT_OPTIONS_INIT;
        _cleanup_(http_client_freep) HttpClient *c = NULL;
        _cleanup_free_ char *err = NULL;
        int cc, r;

        if (options_from_env(&o) < 0)
                return EXIT_FAILURE;
        optind = 0;
        while ((cc = getopt_long(argc, argv, CLIENT_OPTIONS_SHORT "h", down_options, NULL)) >= 0) {
                r = handle_client_option(&o, cc);
                if (r < 0)
                        return EXIT_FAILURE;
                if (r > 0)
                        continue;
                if (cc == 'h') {
                        printf("Usage: pcctl down [OPTIONS...]\n\n"
                               "Stop every process of the running project and end its controller.\n\n"
                               "Options:\n" CLIENT_OPTIONS_HELP
                               "  -h, --help             Show this help\n");
                        return EXIT_SUCCESS;
                }
                return usage_error("down", "invalid option");
        }
        if (optind < argc)
                return usage_error("down", "unexpected argument '%s'", argv[optind]);
        if (open_client(&o, &c) < 0)
                return EXIT_FAILURE;

        /* The answer comes once every process has stopped, which takes as long as their shutdowns. */
        http_client_set_timeout(c, HTTP_CLIENT_TIMEOUT_LONG_MS);
        r = http_client_call(c, "POST", "/project/stop", NULL, false, NULL, NULL, &err);
        if (r < 0)
                return fail(r, err, "failed to stop project");
        return EXIT_SUCCESS;
}

/* ================================ graph ================================ */

static const struct option graph_options[] = {
        CLIENT_OPTIONS_LONG,
        { "format", required_argument, NULL, 'f' },
        { "help",   no_argument,       NULL, 'h' },
        {}
};

int verb_graph(int argc, char **argv) {
        _cleanup_(client_options_done) ClientOptions o = CLIENT_OPTIONS_INIT;
        _cleanup_(http_client_freep) HttpClient *c = NULL;
        _cleanup_json_ cJSON *j = NULL;
        _cleanup_free_ char *err = NULL;
        const char *format = "ascii";
        int cc, r;

        if (options_from_env(&o) < 0)
                return EXIT_FAILURE;
        optind = 0;
        while ((cc = getopt_long(argc, argv, CLIENT_OPTIONS_SHORT "f:h", graph_options, NULL)) >= 0) {
                r = handle_client_option(&o, cc);
                if (r < 0)
                        return EXIT_FAILURE;
                if (r > 0)
                        continue;
                switch (cc) {
                case 'f':
                        format = optarg;
                        if (!streq(format, "ascii") && !streq(format, "json") && !streq(format, "mermaid"))
                                return usage_error("graph", "unknown format '%s': expected ascii, json or mermaid",
                                                   format);
                        break;
                case 'h':
                        printf("Usage: pcctl graph [-f ascii|json|mermaid] [OPTIONS...]\n\n"
                               "Print the dependency graph of the running project.\n\n"
                               "Options:\n"
                               "  -f, --format FORMAT    ascii (default, a tree), json (the /graph body) or mermaid\n"
                               CLIENT_OPTIONS_HELP
                               "  -h, --help             Show this help\n");
                        return EXIT_SUCCESS;
                default:
                        return usage_error("graph", "invalid option");
                }
        }
        if (optind < argc)
                return usage_error("graph", "unexpected argument '%s'", argv[optind]);
        if (open_client(&o, &c) < 0)
                return EXIT_FAILURE;

        r = http_client_call(c, "GET", "/graph", NULL, false, &j, NULL, &err);
        if (r < 0)
                return fail(r, err, "failed to get dependency graph");
        if (!cJSON_IsObject(j))
                return fail(-EPROTO, "invalid response: not an object", "failed to get dependency graph");

        if (streq(format, "json")) {
                r = client_graph_print_json(stdout, j);
                if (r >= 0)
                        putchar('\n');
        } else if (streq(format, "mermaid"))
                r = client_graph_print_mermaid(stdout, j);
        else
                r = client_graph_print_ascii(stdout, j);
        if (r < 0)
                return fail(r, NULL, "failed to print dependency graph");
        return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
