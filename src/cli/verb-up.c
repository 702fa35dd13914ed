/* pcctl up [PROC...]: run a project, every process as a transient systemd unit (compat §4.1, §4.2).
 *
 * Loads and validates the project, connects to the service manager, starts the HTTP API, runs the manager's
 * loop until the project has ended and returns its exit code (compat §2.7): 0 normally, the process's code
 * for exit_on_failure / exit_on_end, 1 for exit_on_skipped, 1 for load and command-line errors. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pwd.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "config.h"
#include "cli/cli-x-systemd.h"
#include "cli/verbs.h"
#include "compose/compose.h"
#include "core/state-file.h"
#include "daemon/daemon.h"
#include "shared/command-util.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "shared/strv.h"
#include "unit/unit-driver.h"

#define TOKEN_FILE_MAX 4096
#define WS_WRITE_TIMEOUT_MAX_SEC 3600

typedef struct UpArgs {
        ComposeLoadOptions load;
        HttpServerConfig http;
        char **selection;
        bool dry_run;
        bool tui;
        bool keep_project;
        bool no_watch;
        bool no_deps;
        bool logs_truncate;
        bool system;
        bool use_uds;
        bool detached;
        bool keep_running;
        bool recreate;
        char *token_file;
} UpArgs;

static void up_args_done(UpArgs *a) {
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

static int parse_port(const char *what, const char *s, uint16_t *ret) {
        char *end = NULL;
        long v;

        errno = 0;
        v = strtol(s, &end, 10);
        if (errno != 0 || !end || *end || end == s || v < 1 || v > 65535) {
                fprintf(stderr, "pcctl up: invalid port \"%s\" for %s: expected 1..65535\n", s, what);
                return -EINVAL;
        }
        *ret = (uint16_t) v;
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
static void load_pc_env(void) {
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

static int read_token_file(const char *path, char **ret) {
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

/* `pcctl run`: the foreground process, the caller's fds it gets, and the arguments after "--". */
typedef struct UpForeground {
        char **args;
        int fds[3];
} UpForeground;

static int parse_argv(int argc, char **argv, UpArgs *a, const UpForeground *fg) {
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
        if (e && parse_port("PC_PORT_NUM", e, &a->http.port) < 0)
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
                        r = parse_port("--port", optarg, &a->http.port);
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

static int self_exe(char **ret) {
        char buf[PATH_MAX];
        ssize_t n;

        n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
        if (n < 0)
                return -errno;
        buf[n] = 0;
        *ret = strdup(buf);
        return *ret ? 0 : -ENOMEM;
}

/* The program of the in-unit stderr wrapper: pcctl-exec beside pcctl (the build tree, or an installation
 * that keeps both in one directory), else the installed one, else pcctl itself (`pcctl __exec`, the same
 * code and arguments, only slower to load). */
static int exec_helper(const char *self, char **ret) {
        _cleanup_free_ char *beside = NULL;
        const char *slash = strrchr(self, '/');

        if (slash && asprintf(&beside, "%.*s/pcctl-exec", (int) (slash - self), self) < 0)
                return -ENOMEM;
        if (beside && access(beside, X_OK) >= 0) {
                *ret = TAKE_PTR(beside);
                return 0;
        }
        if (access(PCCTL_LIBEXECDIR "/pcctl-exec", X_OK) >= 0)
                *ret = strdup(PCCTL_LIBEXECDIR "/pcctl-exec");
        else
                *ret = strdup(self);
        return *ret ? 0 : -ENOMEM;
}


/* Where the API listens, as the state file and the messages name it. NULL without an API. */
static char *api_address_string(const UpArgs *a) {
        char *s = NULL;

        if (a->http.disabled)
                return NULL;
        if (a->http.unix_socket)
                (void) asprintf(&s, "unix:%s", a->http.unix_socket);
        else
                (void) asprintf(&s, "%s:%u", strna(a->http.address), (unsigned) a->http.port);
        return s;
}

static void report_live_controller(const char *project, const char *dir) {
        _cleanup_(state_file_done) StateFile s = {};

        if (state_file_read(dir, &s, NULL) >= 0 && s.controller_pid > 0)
                fprintf(stderr, "pcctl: project %s already has a running controller (PID %d, API %s); use the "
                        "client verbs, or 'pcctl down' to stop it\n", project, (int) s.controller_pid,
                        s.api_address ?: "disabled");
        else
                fprintf(stderr, "pcctl: project %s already has a running controller; use the client verbs, or "
                        "'pcctl down' to stop it\n", project);
}

/* One controller per project: takes the project's lock and reads what an earlier controller left. Returns
 * the lock fd (>= 0), -EBUSY when a live controller holds it (reported), or -ENXIO when no state can be kept
 * (no $XDG_RUNTIME_DIR; reported, and `up` goes on without). */
static int up_claim_project(const char *project, char **ret_dir, StateFile *ret_saved, bool *ret_have_saved) {
        _cleanup_free_ char *dir = NULL, *err = NULL;
        int fd, r;

        *ret_have_saved = false;
        r = state_file_dir(NULL, project, &dir);
        /* the lock creates the project's directory (state_file_lock()) */
        fd = r < 0 ? r : state_file_lock(dir);
        if (fd == -EWOULDBLOCK) {
                report_live_controller(project, dir);
                return -EBUSY;
        }
        if (fd == -ENOENT || fd == -ENXIO) {
                /* no runtime directory: no user manager either, which manager_new() reports */
                log_debug_errno(fd, "No runtime directory for the state file of project %s: %m", project);
                return -ENXIO;
        }
        if (fd < 0) {
                log_warning_errno(fd, "Cannot keep a state file in %s, going on without (a restarted controller "
                                  "will not know restart counts): %m", strna(dir));
                return -ENXIO;
        }
        r = state_file_read(dir, ret_saved, &err);
        if (r >= 0)
                *ret_have_saved = true;
        else if (r != -ENOENT)
                fprintf(stderr, "pcctl: warning: the state file %s/" STATE_FILE_NAME " %s; ignoring it (restart "
                        "counts and stop flags of running processes start afresh)\n", dir,
                        err ?: strerror(-r));
        *ret_dir = TAKE_PTR(dir);
        return fd;
}

/* A user manager dies at logout unless the user lingers: a detached project would die with it. Only on a
 * real systemd host (the sandbox's manager is not a login session's). */
static void warn_linger(void) {
        _cleanup_free_ char *path = NULL;
        struct passwd *pw;

        if (sd_booted() <= 0)
                return;
        pw = getpwuid(getuid());
        if (!pw || asprintf(&path, "/var/lib/systemd/linger/%s", pw->pw_name) < 0)
                return;
        if (access(path, F_OK) >= 0)
                return;
        fprintf(stderr, "pcctl: warning: lingering is off for user %s: the user manager, and this project with it, "
                "stops at logout. Turn it on with: loginctl enable-linger %s\n", pw->pw_name, pw->pw_name);
}

typedef struct DetachResult {
        bool done;
        int error;
        char *message;
} DetachResult;

static void detach_on_started(UnitWatch *w, pid_t main_pid, usec_t ts, void *userdata) {
        DetachResult *d = userdata;
        d->done = true;
}

static void detach_on_start_failed(UnitWatch *w, int error, const char *message, const UnitExit *exit,
                                   void *userdata) {
        DetachResult *d = userdata;
        d->done = true;
        d->error = error < 0 ? error : -EIO;
        d->message = message ? strdup(message) : NULL;
}

static void detach_on_exited(UnitWatch *w, const UnitExit *exit, void *userdata) {
        DetachResult *d = userdata;
        d->done = true;
        if (!d->error)
                d->error = -ECHILD;
}

/* -D: the controller itself runs as the transient unit pcctl-<project>.service (outside the project's slice,
 * its output in the journal), with this command line minus -D, in this directory and environment. */
static int up_detach(int argc, char **argv, const char *self, const char *project, const UpArgs *a) {
        static const UnitEvents events = {
                .started = detach_on_started,
                .start_failed = detach_on_start_failed,
                .exited = detach_on_exited,
        };
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        _cleanup_(unit_driver_freep) UnitDriver *driver = NULL;
        _cleanup_(unit_watch_freep) UnitWatch *watch = NULL;
        _cleanup_strv_free_ char **args = NULL, **env = NULL;
        _cleanup_free_ char *esc = NULL, *unit = NULL, *wd = NULL, *dir = NULL, *api = NULL;
        DetachResult res = {};
        extern char **environ;
        UnitSpec spec;
        int r;

        r = state_file_dir(NULL, project, &dir);
        if (r >= 0 && state_file_is_locked(dir) > 0) {
                report_live_controller(project, dir);
                return -EBUSY;
        }
        if (unit_name_escape(project, &esc) < 0 || asprintf(&unit, "pcctl-%s.service", esc) < 0)
                return log_oom();
        /* options first: `up` stops at the first process name */
        if (strv_extend(&args, self) < 0 || strv_extend(&args, "up") < 0 || strv_extend(&args, "--tui=false") < 0)
                return log_oom();
        for (int i = 1, rest = 0; i < argc; i++) {
                rest = rest || streq(argv[i], "--");
                if (!rest && (streq(argv[i], "-D") || startswith(argv[i], "-D=") || streq(argv[i], "--detached") ||
                    startswith(argv[i], "--detached=")))
                        continue;
                if (strv_extend(&args, argv[i]) < 0)
                        return log_oom();
        }
        env = strv_copy(environ);
        wd = get_current_dir_name();
        if (!env || !wd)
                return log_oom();

        r = sd_event_default(&event);
        if (r < 0)
                return log_error_errno(r, "Cannot create the event loop: %m");
        r = unit_driver_new(event, a->system ? UNIT_MANAGER_SYSTEM : UNIT_MANAGER_USER, &driver);
        if (r < 0) {
                _cleanup_free_ char *msg = NULL;
                if (unit_driver_unreachable_message(a->system ? UNIT_MANAGER_SYSTEM : UNIT_MANAGER_USER, r,
                                                    &msg) >= 0)
                        log_error("%s", msg);
                return r;
        }
        r = unit_watch_new(driver, unit, &events, &res, &watch);
        if (r < 0)
                return log_error_errno(r, "Cannot watch %s: %m", unit);
        spec = (UnitSpec) {
                .unit = unit,
                .description = "pcctl controller",
                .syslog_identifier = unit,
                .argv = args,
                .environment = env,
                .working_directory = wd,
                .kill_signal = SIGTERM,
                /* SIGTERM shuts the project down first; that takes as long as the processes' shutdowns */
                .timeout_stop = 300 * USEC_PER_SEC,
                .send_sigkill = true,
                .kill_mode = UNIT_KILL_MIXED,
                /* the terminals of interactive processes outlive a crash of the controller
                 * (docs/lifecycle.md "Interactive processes") */
                .fd_store_max = 1024,
                .restart_on_abnormal = true,
        };
        r = unit_driver_start(driver, watch, &spec);
        if (r < 0)
                return log_error_errno(r, "Cannot start %s: %m", unit);
        while (!res.done) {
                r = sd_event_run(event, 30 * USEC_PER_SEC);
                if (r < 0)
                        return log_error_errno(r, "Event loop failed: %m");
                if (r == 0) {
                        log_error("The service manager did not start %s within 30 s.", unit);
                        return -ETIMEDOUT;
                }
        }
        if (res.error < 0) {
                log_error("Cannot start the controller as %s: %s", unit, res.message ?: strerror(-res.error));
                free(res.message);
                return res.error;
        }
        warn_linger();
        api = api_address_string(a);
        printf("Started the controller of project %s as %s (API %s). Stop it with 'pcctl down'; its own log: "
               "journalctl --user -u %s\n", project, unit, api ?: "disabled", unit);
        return 0;
}

/* process-compose's run: the process's command gets the arguments (appended to the shell command string, or
 * to the entrypoint's arguments), it ends the project when it ends (exit_on_end), and only it and its
 * dependencies run. */
static int up_prepare_foreground(ComposeProject *project, UpArgs *a, const UpForeground *fg) {
        ComposeProcess *p;
        size_t n = strv_length(a->selection);

        if (n == 0) {
                fprintf(stderr, "Error: requires at least 1 arg(s), only received 0\nSee 'pcctl run --help'.\n");
                return -EINVAL;
        }
        if (n > 1) {
                printf("Extra positional arguments provided! To pass args to PROCESS, separate them from "
                       "process-compose arguments with: --\n");
                return -EINVAL;
        }
        p = compose_project_find_process(project, a->selection[0]);
        if (!p) {
                fprintf(stderr, "pcctl: process %s is not defined in the project\n", a->selection[0]);
                return -ENOENT;
        }
        p->availability.exit_on_end = true;
        if (fg->args && fg->args[0]) {
                size_t k = strv_length(p->args);

                if (!isempty(p->command) && k > 0) {
                        _cleanup_free_ char *extra = strv_join(fg->args, " ");
                        char *last = NULL;

                        if (!extra || asprintf(&last, "%s %s", p->args[k - 1], extra) < 0)
                                return log_oom();
                        free(p->args[k - 1]);
                        p->args[k - 1] = last;
                } else if (p->entrypoint)
                        STRV_FOREACH(x, fg->args)
                                if (strv_extend(&p->args, *x) < 0)
                                        return log_oom();
        }
        a->tui = false;
        return 0;
}

static int up_main(int argc, char **argv, const UpForeground *fg);

int verb_up(int argc, char **argv) {
        return up_main(argc, argv, NULL);
}

/* pcctl run [OPTIONS...] PROCESS [-- ARGS...] */
int verb_run(int argc, char **argv) {
        UpForeground fg = { .fds = { STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO } };
        int n = argc;

        for (int i = 1; i < argc; i++)
                if (streq(argv[i], "--")) {
                        n = i;
                        fg.args = argv + i + 1;
                        break;
                }
        argv[n] = NULL;        /* argv[argc] is NULL too: getopt sees the options only */
        return up_main(n, argv, &fg);
}

static int up_main(int argc, char **argv, const UpForeground *fg) {
        _cleanup_(up_args_done) UpArgs a = {};
        _cleanup_(compose_project_freep) ComposeProject *project = NULL;
        _cleanup_(daemon_freep) Daemon *d = NULL;
        _cleanup_free_ char *self = NULL, *exe = NULL, *state_dir = NULL, *api_address = NULL;
        _cleanup_(state_file_done) StateFile saved = {};
        _cleanup_close_ int lock_fd = -EBADF;
        bool have_saved = false;
        ComposeError err = {};
        DaemonOptions o;
        bool tty;
        int r;

        load_pc_env();
        {
                const char *lvl = getenv("PC_LOG_LEVEL");
                if (lvl && (streq(lvl, "debug") || streq(lvl, "trace")))
                        log_set_max_level(LOG_DEBUG);
        }

        compose_load_options_init(&a.load);
        r = compose_load_options_from_env(&a.load, NULL);
        if (r < 0) {
                log_error_errno(r, "Cannot read the environment: %m");
                return EXIT_FAILURE;
        }
        a.http.port = HTTP_SERVER_DEFAULT_PORT;
        a.http.ws_write_timeout = 10 * USEC_PER_SEC;

        r = parse_argv(argc, argv, &a, fg);
        if (r <= 0)
                return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;

        r = compose_load(&a.load, &project, &err);
        if (r < 0) {
                _cleanup_free_ char *msg = compose_error_format(&err);
                fprintf(stderr, "pcctl: %s\n", msg ?: strerror(-r));
                compose_error_done(&err);
                return EXIT_FAILURE;
        }
        STRV_FOREACH(w, project->warnings)
                fprintf(stderr, "pcctl: warning: %s\n", *w);

        if (cli_validate_x_systemd(project) < 0)
                return EXIT_FAILURE;

        if (a.dry_run) {
                _cleanup_free_ char *msg = compose_dry_run_message(project);
                if (!msg)
                        return log_oom(), EXIT_FAILURE;
                printf("%s\n", msg);
                return EXIT_SUCCESS;
        }

        if (fg) {
                if (a.detached)
                        return fprintf(stderr, "pcctl run: -D does not apply, the process needs this terminal\n"),
                               EXIT_FAILURE;
                if (up_prepare_foreground(project, &a, fg) < 0)
                        return EXIT_FAILURE;
        }

        if (a.selection) {
                r = compose_select(project, a.selection, a.no_deps, &err);
                if (r < 0) {
                        _cleanup_free_ char *msg = compose_error_format(&err);
                        fprintf(stderr, "pcctl: %s\n", msg ?: strerror(-r));
                        compose_error_done(&err);
                        return EXIT_FAILURE;
                }
        }

        r = self_exe(&self);
        if (r < 0) {
                log_error_errno(r, "Cannot find pcctl's own executable: %m");
                return EXIT_FAILURE;
        }
        r = exec_helper(self, &exe);
        if (r < 0)
                return log_oom(), EXIT_FAILURE;

        if (a.detached) {
                /* the API settings are checked here, and used by the controller unit */
                if (!a.http.disabled && !a.http.address && !(a.http.address = strdup("localhost")))
                        return log_oom(), EXIT_FAILURE;
                return up_detach(argc, argv, self, project->project_name, &a) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
        }

        /* one controller per project; what an earlier one left is adopted (docs/lifecycle.md) */
        lock_fd = up_claim_project(project->project_name, &state_dir, &saved, &have_saved);
        if (lock_fd == -EBUSY)
                return EXIT_FAILURE;

        (void) compose_run_env_cmds(project, NULL, command_run_capture, NULL);

        /* the API settings: token, unix socket */
        if (!a.http.disabled) {
                const char *t = getenv("PC_API_TOKEN");
                if (t && *t) {
                        if (free_and_strdup(&a.http.token, t) < 0)
                                return log_oom(), EXIT_FAILURE;
                } else if (a.token_file) {
                        r = read_token_file(a.token_file, &a.http.token);
                        if (r < 0) {
                                log_error_errno(r, "Cannot read the token file %s: %m", a.token_file);
                                return EXIT_FAILURE;
                        }
                }
                if (a.use_uds && !a.http.unix_socket) {
                        const char *tmp = getenv("TMPDIR");
                        if (asprintf(&a.http.unix_socket, "%s/process-compose-%d.sock",
                                     isempty(tmp) ? "/tmp" : tmp, (int) getpid()) < 0) {
                                a.http.unix_socket = NULL;
                                return log_oom(), EXIT_FAILURE;
                        }
                }
                if (!a.http.address && !(a.http.address = strdup("localhost")))
                        return log_oom(), EXIT_FAILURE;
        }

        tty = isatty(STDOUT_FILENO);
        api_address = api_address_string(&a);
        o = (DaemonOptions) {
                .manager = {
                        .scope = a.system ? UNIT_MANAGER_SYSTEM : UNIT_MANAGER_USER,
                        .keep_project = a.keep_project,
                        .no_watch = a.no_watch,
                        .logs_truncate = a.logs_truncate,
                        .exec_path = exe,
                        .load_options = &a.load,
                        .selection = a.selection,
                        .no_deps = a.no_deps,
                        .state_dir = state_dir,
                        .saved_state = have_saved ? &saved : NULL,
                        .adopt = state_dir != NULL,
                        .recreate = a.recreate,
                        .keep_running = a.keep_running,
                        .api_address = api_address,
                        .foreground = fg ? a.selection[0] : NULL,
                        .foreground_fds = fg ? fg->fds : NULL,
                },
                .http = &a.http,
                /* run: the terminal belongs to the process; nothing else writes there, as process-compose */
                .console_fd = fg ? -EBADF : STDOUT_FILENO,
                .console_color = tty && !getenv("NO_COLOR"),
                .console_status = tty && a.tui && !project->is_tui_disabled,
        };
        r = daemon_new(&o, TAKE_PTR(project), &d);
        if (r < 0)
                return EXIT_FAILURE;

        r = daemon_run(d);
        /* a project that ended leaves no lock directory behind; one kept running keeps its state file */
        if (state_dir)
                (void) state_file_unlock(state_dir, TAKE_FD(lock_fd));
        if (r < 0)
                return EXIT_FAILURE;
        return r;
}
