#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli-client.h"
#include "shared/log.h"
#include "ws/ws-client.h"

bool cli_use_color(void) {
        return isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
}

void cli_print_field(const char *key, const char *value) {
        printf("%-15s %s\n", key, value);
}

int cli_fail(int r, const char *error, const char *format, ...) {
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

int cli_usage_error(const char *verb, const char *format, ...) {
        va_list ap;

        fprintf(stderr, "pcctl %s: ", verb);
        va_start(ap, format);
        vfprintf(stderr, format, ap);
        va_end(ap);
        fprintf(stderr, "\nSee 'pcctl %s --help'.\n", verb);
        return EXIT_FAILURE;
}

int cli_need_args(const char *verb, int have, int min, int max, const char *what) {
        if (have >= min && (max < 0 || have <= max))
                return 0;
        if (min == max)
                cli_usage_error(verb, "expected %d argument%s (%s), got %d", min, min == 1 ? "" : "s", what, have);
        else
                cli_usage_error(verb, "expected at least %d argument%s (%s), got %d", min, min == 1 ? "" : "s",
                                what, have);
        return -1;
}

int cli_open_client(ClientOptions *o, HttpClient **ret) {
        _cleanup_free_ char *err = NULL;
        int r;

        r = client_options_finish(o, &err);
        if (r < 0) {
                cli_fail(r, err, "invalid client options");
                return -1;
        }
        r = http_client_new(o, ret, &err);
        if (r < 0) {
                cli_fail(r, err, "failed to set up the API client");
                return -1;
        }
        return 0;
}

#define CLI_OPTIONS_MAX 32

int cli_parse_options(int argc, char **argv, const CliVerbOptions *v, ClientOptions *o, void *userdata,
                      int *ret_optind) {
        static const struct option common[] = { CLIENT_OPTIONS_LONG, { "help", no_argument, NULL, 'h' } };
        struct option all[CLI_OPTIONS_MAX];
        char short_options[64];
        size_t n = 0;
        int c, r;

        for (const struct option *i = v->options; i && i->name; i++) {
                assert(n < CLI_OPTIONS_MAX - ELEMENTSOF(common) - 1);
                all[n++] = *i;
        }
        for (size_t i = 0; i < ELEMENTSOF(common); i++)
                all[n++] = common[i];
        all[n] = (struct option) {};
        (void) snprintf(short_options, sizeof short_options, "%s%sh", CLIENT_OPTIONS_SHORT,
                        strempty(v->short_options));

        {
                _cleanup_free_ char *err = NULL;

                r = client_options_from_env(o, &err);
                if (r < 0) {
                        /* process-compose: log.Fatal "Invalid port number" from PC_PORT_NUM */
                        fprintf(stderr, "%s\n", err ?: strerror(-r));
                        return -1;
                }
        }

        /* GNU getopt permutes: options may come before or after the subcommand and its arguments. */
        optind = 0;
        while ((c = getopt_long(argc, argv, short_options, all, NULL)) >= 0) {
                _cleanup_free_ char *err = NULL;

                r = client_options_parse(o, c, optarg, &err);
                if (r < 0) {
                        fprintf(stderr, "%s\n", err ?: strerror(-r));
                        return -1;
                }
                if (r > 0)
                        continue;
                if (c == 'h') {
                        v->help();
                        return 1;
                }
                if (c == '?' || c == ':' || !v->parse) {
                        cli_usage_error(v->verb, "invalid option");
                        return -1;
                }
                if (v->parse(c, optarg, userdata) < 0)
                        return -1;
        }
        *ret_optind = optind;
        return 0;
}

/* Every option of pcctl's verbs that takes a separate value. -f is --config (up, config, project update)
 * and --follow (process logs): it is listed, so "pcctl -f FILE VERB" finds the verb. */
static const char *const value_options[] = {
        "-a", "--address",
        "-e", "--env",
        "-f", "--config",
        "-L", "--log-file",
        "-n", "--namespace", "--tail",
        "-N",
        "-o", "--output",
        "-p", "--port",
        "-u", "--unix-socket",
        "--format",
        "--since-seq",
        "--token-file",
};

bool cli_option_takes_value(const char *arg) {
        if (strchr(arg, '='))
                return false;
        for (size_t i = 0; i < ELEMENTSOF(value_options); i++)
                if (streq(arg, value_options[i]))
                        return true;
        return false;
}

int cli_first_positional(int argc, char **argv, int start) {
        for (int i = start; i < argc; i++) {
                if (streq(argv[i], "--"))
                        return i + 1 < argc ? i + 1 : -1;
                if (argv[i][0] != '-' || streq(argv[i], "-"))
                        return i;
                if (cli_option_takes_value(argv[i]))
                        i++;
        }
        return -1;
}

#define CLI_WS_HANDSHAKE_TIMEOUT (10 * USEC_PER_SEC)

int cli_ws_open(const ClientOptions *o, const char *path, sd_event *e, size_t max_message, const WsSessionOps *ops,
                void *userdata, WsSession **ret) {
        _cleanup_(ws_client_result_done) WsClientResult res = { .fd = -EBADF };
        WsClientTarget t = {
                .unix_path = o->use_uds ? o->socket_path : NULL,
                .host = o->address ?: CLIENT_DEFAULT_ADDRESS,
                .port = o->port,
                .token = o->token,
        };
        WsSessionConfig cfg;
        int r;

        r = ws_client_connect(&t, path, CLI_WS_HANDSHAKE_TIMEOUT, &res);
        if (r == -EACCES) {
                fprintf(stderr, "authentication failed: invalid or missing PC_API_TOKEN\n");
                return -1;
        }
        if (r == -EPROTO && res.status > 0) {
                _cleanup_free_ char *msg = NULL;

                if (client_error_message(res.status, strempty(res.body), strlen(strempty(res.body)), &msg) >= 0)
                        fprintf(stderr, "pcctl: %s\n", msg);
                else
                        fprintf(stderr, "pcctl: the server refused the stream (HTTP %u)\n", res.status);
                return -1;
        }
        if (r < 0) {
                if (t.unix_path)
                        fprintf(stderr, "pcctl: cannot open a stream on unix socket %s: %s\n", t.unix_path,
                                strerror(-r));
                else
                        fprintf(stderr, "pcctl: cannot open a stream on %s:%u: %s\n", t.host, t.port, strerror(-r));
                return -1;
        }

        ws_session_config_defaults(&cfg);
        cfg.client = true;
        cfg.ping_interval = 0;           /* the server pings us; we answer */
        cfg.write_timeout = 0;
        cfg.close_timeout = 2 * USEC_PER_SEC;
        cfg.max_message_size = max_message;
        r = ws_session_new(e, res.fd, res.extra, res.extra_size, &cfg, ops, userdata, NULL, NULL, ret);
        if (r < 0) {
                log_error_errno(r, "Failed to start the WebSocket session: %m");
                return -1;
        }
        res.fd = -EBADF;   /* the session owns it now */
        return 0;
}
