/* The command line and the environment of `pcctl up` and `pcctl run` (compat §4.1): PC_* variables and
 * `.pc_env` first, then the options, which override them; the token file. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/up-internal.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "shared/parse-util.h"
#include "shared/strv.h"

#define TOKEN_FILE_MAX 4096
#define WS_WRITE_TIMEOUT_MAX_SEC 3600

void up_args_done(UpArgs *a) {
        compose_load_options_done(&a->load);
        free(a->http.address);
        free(a->http.unix_socket);
        free(a->http.token);
        strv_free(a->selection);
        free(a->token_file);
}

static void help(void) {
        printf("Usage: pcctl up [OPTIONS...] [PROCESS...]\n\n"
               "Run the project: every process as a transient unit of the systemd user manager, in the slice\n"
               "pcctl-<project>.slice. With PROCESS names only those and their dependencies run; the others\n"
               "are Disabled (still startable).\n\n"
               "  -f, --config FILE          configuration file (repeatable; PC_CONFIG_FILES)\n"
               "  -e, --env FILE             dotenv file (repeatable; default .env)\n"
               "      --disable-dotenv       do not read .env (PC_DISABLE_DOTENV)\n"
               "  -n, --namespace NS         run only processes of these namespaces (repeatable; PC_NAMESPACES)\n"
               "      --no-deps              with PROCESS names: do not start their dependencies\n"
               "      --dry-run              validate the configuration and exit\n"
               "  -t, --tui[=BOOL]           live status line on a terminal (default true; -t=false: plain\n"
               "                             log lines only; PC_DISABLE_TUI)\n"
               "  -p, --port PORT            API port (default 8080; PC_PORT_NUM)\n"
               "      --address ADDR         API address (default localhost; PC_ADDRESS)\n"
               "  -u, --unix-socket PATH     API on a unix socket (PC_SOCKET_PATH)\n"
               "  -U, --use-uds              API on $TMPDIR/process-compose-<pid>.sock\n"
               "      --no-server            no API (PC_NO_SERVER)\n"
               "      --token-file FILE      API token file (PC_API_TOKEN_PATH; PC_API_TOKEN wins)\n"
               "      --ws-write-timeout SEC close a WebSocket whose client took nothing for SEC seconds (10)\n"
               "      --ws-send-buffer BYTES kernel send buffer of each WebSocket (SO_SNDBUF, 65536)\n"
               "      --ws-allow-any-origin  accept WebSocket upgrades from any Origin\n"
               "      --allowed-host HOST    accept this Host header too, beside loopback names and addresses\n"
               "                             (repeatable; \"*\": any; docs/api.md)\n"
               "      --read-only            the API answers only GETs (and streams); every route that\n"
               "                             changes the project is 403 (PC_READ_ONLY)\n"
               "      --ordered-shutdown     stop processes in reverse dependency order (PC_ORDERED_SHUTDOWN)\n"
               "      --keep-project         keep running when every process has ended\n"
               "      --no-watch             ignore every 'watch' block (PC_NO_WATCH)\n"
               "      --logs-truncate        clear each process's log at every start\n"
               "  -D, --detached             run the controller as the transient unit pcctl-<project>.service\n"
               "                             and return at once (stop it with 'pcctl down')\n"
               "      --keep-running         SIGINT/SIGTERM end the controller only; the processes keep\n"
               "                             running and the next 'pcctl up' adopts them\n"
               "      --recreate             replace adopted units whose configuration changed\n"
               "      --system               use the system manager (root)\n"
               "  -h, --help                 show this help\n");
}

/* cobra-style booleans: "--flag", "--flag=true", "--flag=false", "-t=false". */
static int parse_bool_arg(const char *flag, const char *arg, bool *ret) {
        if (!arg) {
                *ret = true;
                return 0;
        }
        if (arg[0] == '=')
                arg++;
        if (streq(arg, "true") || streq(arg, "1") || streq(arg, "t") || streq(arg, "T") || streq(arg, "TRUE") ||
            streq(arg, "True")) {
                *ret = true;
                return 0;
        }
        if (streq(arg, "false") || streq(arg, "0") || streq(arg, "f") || streq(arg, "F") ||
            streq(arg, "FALSE") || streq(arg, "False")) {
                *ret = false;
                return 0;
        }
        fprintf(stderr, "pcctl up: invalid boolean value \"%s\" for %s\n", arg, flag);
        return -EINVAL;
}

static int parse_port_arg(const char *what, const char *s, uint16_t *ret) {
        if (parse_port(s, ret) < 0) {
                fprintf(stderr, "pcctl up: invalid port \"%s\" for %s: expected 1..65535\n", s, what);
                return -EINVAL;
        }
        return 0;
}

static int append_list(char ***l, const char *s) {
        if (strv_extend(l, s) < 0)
                return log_oom();
        return 0;
}

static bool env_set(const char *name) {
        return getenv(name) != NULL;
}

/* `.pc_env` in the working directory: dotenv lines loaded into our environment without overriding what is
 * set already (compat §4.1; meant for PC_* settings). */
void up_load_pc_env(void) {
        _cleanup_fclose_ FILE *f = NULL;
        char line[4096];
        unsigned n = 0;

        f = fopen(".pc_env", "re");
        if (!f)
                return;
        while (fgets(line, sizeof(line), f) && n++ < 1000) {
                char *k = line, *eq, *v, *e;

                k += strspn(k, " \t");
                if (*k == '#' || *k == '\n' || *k == 0)
                        continue;
                if (startswith(k, "export "))
                        k += 7;
                eq = strchr(k, '=');
                if (!eq)
                        continue;
                *eq = 0;
                v = eq + 1;
                e = v + strcspn(v, "\r\n");
                *e = 0;
                for (e = eq; e > k && (e[-1] == ' ' || e[-1] == '\t'); e--)
                        e[-1] = 0;
                if (strlen(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[strlen(v) - 1] == v[0]) {
                        v[strlen(v) - 1] = 0;
                        v++;
                }
                if (*k)
                        (void) setenv(k, v, 0);
        }
}

int up_read_token_file(const char *path, char **ret) {
        _cleanup_fclose_ FILE *f = NULL;
        _cleanup_free_ char *buf = NULL;
        struct stat st;
        size_t n;
        char *s, *e;

        f = fopen(path, "re");
        if (!f)
                return -errno;
        /* The token is a password: a file other users can read gives it away. Warn, as ssh does for keys,
         * without refusing (process-compose reads any file). */
        if (fstat(fileno(f), &st) == 0 && (st.st_mode & 0077))
                log_warning("The token file %s can be read by group or others (mode %04o); "
                            "chmod 600 it.", path, (unsigned) (st.st_mode & 07777));
        buf = malloc(TOKEN_FILE_MAX + 1);
        if (!buf)
                return -ENOMEM;
        n = fread(buf, 1, TOKEN_FILE_MAX + 1, f);
        if (n > TOKEN_FILE_MAX)
                return -EFBIG;
        buf[n] = 0;
        s = buf + strspn(buf, " \t\r\n");
        e = s + strlen(s);
        while (e > s && strchr(" \t\r\n", e[-1]))
                *--e = 0;
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

enum {
        ARG_DISABLE_DOTENV = 0x100,
        ARG_DRY_RUN,
        ARG_ADDRESS,
        ARG_NO_SERVER,
        ARG_TOKEN_FILE,
        ARG_ORDERED_SHUTDOWN,
        ARG_KEEP_PROJECT,
        ARG_NO_WATCH,
        ARG_NO_DEPS,
        ARG_LOGS_TRUNCATE,
        ARG_SYSTEM,
        ARG_WS_WRITE_TIMEOUT,
        ARG_WS_SEND_BUFFER,
        ARG_WS_ALLOW_ANY_ORIGIN,
        ARG_KEEP_RUNNING,
        ARG_RECREATE,
        ARG_ALLOWED_HOST,
        ARG_READ_ONLY,
};

static void run_help(void) {
        printf("Usage: pcctl run [OPTIONS...] PROCESS [-- ARGS...]\n\n"
               "Run PROCESS in the foreground with this terminal as its stdin, stdout and stderr, and its\n"
               "dependencies in the background, each a unit as 'up' starts them; exit with PROCESS's exit code\n"
               "when it ends (the project is stopped then). ARGS are appended to PROCESS's command.\n\n"
               "  -f, --config FILE          configuration file (repeatable; PC_CONFIG_FILES)\n"
               "  -e, --env FILE             dotenv file (repeatable; default .env)\n"
               "      --disable-dotenv       do not read .env (PC_DISABLE_DOTENV)\n"
               "      --no-deps              do not start PROCESS's dependencies\n"
               "  -p, --port PORT            API port (default 8080; PC_PORT_NUM)\n"
               "      --address ADDR         API address (default localhost; PC_ADDRESS)\n"
               "  -u, --unix-socket PATH     API on a unix socket (PC_SOCKET_PATH)\n"
               "  -U, --use-uds              API on $TMPDIR/process-compose-<pid>.sock\n"
               "      --no-server            no API (PC_NO_SERVER)\n"
               "      --token-file FILE      API token file (PC_API_TOKEN_PATH; PC_API_TOKEN wins)\n"
               "      --read-only            the API answers only GETs (PC_READ_ONLY)\n"
               "      --ordered-shutdown     stop processes in reverse dependency order (PC_ORDERED_SHUTDOWN)\n"
               "  -h, --help                 show this help\n");
}

int up_parse_argv(int argc, char **argv, UpArgs *a, const UpForeground *fg) {
        static const struct option options[] = {
                { "config",              required_argument, NULL, 'f' },
                { "env",                 required_argument, NULL, 'e' },
                { "disable-dotenv",      optional_argument, NULL, ARG_DISABLE_DOTENV },
                { "namespace",           required_argument, NULL, 'n' },
                { "dry-run",             optional_argument, NULL, ARG_DRY_RUN },
                { "tui",                 optional_argument, NULL, 't' },
                { "port",                required_argument, NULL, 'p' },
                { "address",             required_argument, NULL, ARG_ADDRESS },
                { "unix-socket",         required_argument, NULL, 'u' },
                { "use-uds",             optional_argument, NULL, 'U' },
                { "no-server",           optional_argument, NULL, ARG_NO_SERVER },
                { "token-file",          required_argument, NULL, ARG_TOKEN_FILE },
                { "ordered-shutdown",    optional_argument, NULL, ARG_ORDERED_SHUTDOWN },
                { "keep-project",        optional_argument, NULL, ARG_KEEP_PROJECT },
                { "keep-tui",            optional_argument, NULL, ARG_KEEP_PROJECT },
                { "no-watch",            optional_argument, NULL, ARG_NO_WATCH },
                { "no-deps",             optional_argument, NULL, ARG_NO_DEPS },
                { "logs-truncate",       optional_argument, NULL, ARG_LOGS_TRUNCATE },
                { "system",              optional_argument, NULL, ARG_SYSTEM },
                { "ws-write-timeout",    required_argument, NULL, ARG_WS_WRITE_TIMEOUT },
                { "ws-send-buffer",      required_argument, NULL, ARG_WS_SEND_BUFFER },
                { "ws-allow-any-origin", optional_argument, NULL, ARG_WS_ALLOW_ANY_ORIGIN },
                { "detached",            optional_argument, NULL, 'D' },
                { "keep-running",        optional_argument, NULL, ARG_KEEP_RUNNING },
                { "recreate",            optional_argument, NULL, ARG_RECREATE },
                { "allowed-host",        required_argument, NULL, ARG_ALLOWED_HOST },
                { "read-only",           optional_argument, NULL, ARG_READ_ONLY },
                { "help",                no_argument,       NULL, 'h' },
                {}
        };
        _cleanup_strv_free_ char **files = NULL, **envs = NULL, **namespaces = NULL;
        const char *e;
        int c, r;

        /* environment first; flags override */
        e = getenv("PC_DISABLE_TUI");
        a->tui = !(e && *e && !streq(e, "false"));
        if (env_set("PC_NO_WATCH"))
                a->no_watch = true;
        if (env_set("PC_NO_SERVER"))
                a->http.disabled = true;
        /* process-compose: set at all (any value) means on */
        if (env_set("PC_READ_ONLY"))
                a->http.read_only = true;
        e = getenv("PC_PORT_NUM");
        if (e && parse_port_arg("PC_PORT_NUM", e, &a->http.port) < 0)
                return -EINVAL;
        e = getenv("PC_ADDRESS");
        if (e && free_and_strdup(&a->http.address, e) < 0)
                return log_oom();
        e = getenv("PC_SOCKET_PATH");
        if (e && *e && free_and_strdup(&a->http.unix_socket, e) < 0)
                return log_oom();
        e = getenv("PC_API_TOKEN_PATH");
        if (e && *e && free_and_strdup(&a->token_file, e) < 0)
                return log_oom();

        optind = 0;
        opterr = 0;
        /* up stops at the first process name; run takes its options anywhere, as process-compose's run */
        while ((c = getopt_long(argc, argv, fg ? "f:e:n:t::p:u:U::D::h" : "+f:e:n:t::p:u:U::D::h", options,
                                NULL)) >= 0) {
                switch (c) {
                case 'f':
                        r = append_list(&files, optarg);
                        break;
                case 'e':
                        r = append_list(&envs, optarg);
                        break;
                case 'n':
                        r = 0;
                        /* "-n a,b" as in PC_NAMESPACES */
                        {
                                _cleanup_strv_free_ char **l = strv_split(optarg, ",", false);
                                STRV_FOREACH(s, l)
                                        if (r >= 0)
                                                r = append_list(&namespaces, *s);
                        }
                        break;
                case ARG_DISABLE_DOTENV:
                        r = parse_bool_arg("--disable-dotenv", optarg, &a->load.disable_dotenv);
                        break;
                case ARG_DRY_RUN:
                        r = parse_bool_arg("--dry-run", optarg, &a->dry_run);
                        break;
                case 't':
                        r = parse_bool_arg("--tui", optarg, &a->tui);
                        break;
                case 'p':
                        r = parse_port_arg("--port", optarg, &a->http.port);
                        break;
                case ARG_ADDRESS:
                        r = free_and_strdup(&a->http.address, optarg);
                        break;
                case 'u':
                        r = free_and_strdup(&a->http.unix_socket, optarg);
                        break;
                case 'U':
                        r = parse_bool_arg("--use-uds", optarg, &a->use_uds);
                        break;
                case ARG_NO_SERVER:
                        r = parse_bool_arg("--no-server", optarg, &a->http.disabled);
                        break;
                case ARG_TOKEN_FILE:
                        r = free_and_strdup(&a->token_file, optarg);
                        break;
                case ARG_ORDERED_SHUTDOWN:
                        r = parse_bool_arg("--ordered-shutdown", optarg, &a->load.ordered_shutdown);
                        break;
                case ARG_KEEP_PROJECT:
                        r = parse_bool_arg("--keep-project", optarg, &a->keep_project);
                        break;
                case ARG_NO_WATCH:
                        r = parse_bool_arg("--no-watch", optarg, &a->no_watch);
                        break;
                case ARG_NO_DEPS:
                        r = parse_bool_arg("--no-deps", optarg, &a->no_deps);
                        break;
                case ARG_LOGS_TRUNCATE:
                        r = parse_bool_arg("--logs-truncate", optarg, &a->logs_truncate);
                        break;
                case ARG_SYSTEM:
                        r = parse_bool_arg("--system", optarg, &a->system);
                        break;
                case ARG_WS_WRITE_TIMEOUT: {
                        char *end = NULL;
                        double v;
                        errno = 0;
                        v = strtod(optarg, &end);
                        if (errno != 0 || !end || *end || end == optarg || !(v > 0) || v > WS_WRITE_TIMEOUT_MAX_SEC) {
                                fprintf(stderr, "pcctl up: invalid --ws-write-timeout \"%s\": expected seconds "
                                        "in (0, %d]\n", optarg, WS_WRITE_TIMEOUT_MAX_SEC);
                                return -EINVAL;
                        }
                        a->http.ws_write_timeout = (usec_t) (v * USEC_PER_SEC);
                        r = 0;
                        break;
                }
                case ARG_WS_SEND_BUFFER: {
                        char *end;
                        unsigned long long v;

                        errno = 0;
                        v = strtoull(optarg, &end, 10);
                        if (errno != 0 || end == optarg || *end || v < 4096 || v > 16ULL * 1024 * 1024) {
                                fprintf(stderr, "pcctl up: invalid --ws-send-buffer \"%s\": expected bytes in "
                                        "[4096, 16777216]\n", optarg);
                                return -EINVAL;
                        }
                        a->http.ws_send_buffer = (size_t) v;
                        r = 0;
                        break;
                }
                case ARG_WS_ALLOW_ANY_ORIGIN:
                        r = parse_bool_arg("--ws-allow-any-origin", optarg, &a->http.ws_allow_any_origin);
                        break;
                case 'D':
                        r = parse_bool_arg("--detached", optarg, &a->detached);
                        break;
                case ARG_KEEP_RUNNING:
                        r = parse_bool_arg("--keep-running", optarg, &a->keep_running);
                        break;
                case ARG_RECREATE:
                        r = parse_bool_arg("--recreate", optarg, &a->recreate);
                        break;
                case ARG_READ_ONLY:
                        r = parse_bool_arg("--read-only", optarg, &a->http.read_only);
                        break;
                case ARG_ALLOWED_HOST:
                        if (isempty(optarg)) {
                                fprintf(stderr, "pcctl up: --allowed-host needs a host name\n");
                                return -EINVAL;
                        }
                        r = strv_extend(&a->http.allowed_hosts, optarg);
                        break;
                case 'h':
                        fg ? run_help() : help();
                        return 0;
                default:
                        if (optopt && strchr("fenpu", optopt))
                                fprintf(stderr, "pcctl up: option -%c needs a value\n", optopt);
                        else
                                fprintf(stderr, "pcctl up: unknown option '%s'\n", argv[optind - 1]);
                        fprintf(stderr, "See 'pcctl up --help'.\n");
                        return -EINVAL;
                }
                if (r < 0)
                        return r == -ENOMEM ? log_oom() : r;
        }

        for (int i = optind; i < argc; i++)
                if (append_list(&a->selection, argv[i]) < 0)
                        return -ENOMEM;

        /* flags extend what the environment said (compose_load_options_from_env() filled the defaults) */
        if (files) {
                strv_free(a->load.files);
                a->load.files = TAKE_PTR(files);
        }
        if (envs) {
                strv_free(a->load.env_files);
                a->load.env_files = TAKE_PTR(envs);
        }
        if (namespaces) {
                strv_free(a->load.namespaces);
                a->load.namespaces = TAKE_PTR(namespaces);
        }
        a->load.dry_run = a->dry_run;
        a->load.tui_disabled = !a->tui;
        return 1;
}

/* Where the API listens, as the state file and the messages name it. NULL without an API. */
char *up_api_address(const UpArgs *a) {
        char *s = NULL;

        if (a->http.disabled)
                return NULL;
        if (a->http.unix_socket)
                (void) asprintf(&s, "unix:%s", a->http.unix_socket);
        else
                (void) asprintf(&s, "%s:%u", strna(a->http.address), (unsigned) a->http.port);
        return s;
}
