/* pcctl process logs NAME[,NAME...] [-f] [-n N] [-N NS] [--raw-log]
 * pcctl process monitor [NAME...] [-o text|json] [--no-snapshot]
 *
 * WebSocket clients of the controller's log and state streams (docs/websocket.md): our own upgrade request
 * over a socket we connect ourselves (TCP or unix), then a WsSession in client mode (wslay, masked frames) on a
 * small sd-event loop. Ctrl+C sends a close frame and waits briefly for the server's answer. */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <systemd/sd-event.h>

#include "cli/cli-client.h"
#include "cli/verbs.h"
#include "client/client-options.h"
#include "client/client-render.h"
#include "client/http-client.h"
#include "shared/buffer.h"
#include "shared/log.h"
#include "shared/parse-util.h"
#include "shared/strv.h"
#include "ws/ws-session.h"

/* Frames from our own controller are small; this bounds what a broken or hostile server can make us buffer. */
#define CLIENT_MAX_MESSAGE (16u * 1024u * 1024u)

typedef enum StreamKind {
        STREAM_LOGS,
        STREAM_STATES,
} StreamKind;

typedef struct Client {
        StreamKind kind;
        sd_event *event;
        WsSession *session;
        bool prefix;                 /* several processes: "[name\t] line" */
        bool color;
        bool json;                   /* monitor -o json */
        bool interrupted;
        int exit_code;
} Client;

/* process-compose colours a name by FNV-32a hash mod 7 + FgHiBlack, bold (compat §5.4). */
static unsigned name_color(const char *name) {
        uint32_t h = 2166136261u;

        for (const unsigned char *p = (const unsigned char *) name; *p; p++) {
                h ^= *p;
                h *= 16777619u;
        }
        return 90 + h % 7;
}

static void print_log_frame(Client *c, const cJSON *j) {
        const cJSON *msg = cJSON_GetObjectItemCaseSensitive(j, "message");
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(j, "process_name");
        const cJSON *dropped = cJSON_GetObjectItemCaseSensitive(j, "dropped");

        if (cJSON_IsNumber(dropped) && cJSON_IsString(name)) {
                fprintf(stderr, "pcctl: %.0f lines of %s were dropped (client too slow)\n", dropped->valuedouble,
                        name->valuestring);
                return;
        }
        if (!cJSON_IsString(msg))
                return;
        if (c->prefix && cJSON_IsString(name)) {
                if (c->color)
                        printf("[\033[1;%um%s\033[0m\t] %s\n", name_color(name->valuestring), name->valuestring,
                               msg->valuestring);
                else
                        printf("[%s\t] %s\n", name->valuestring, msg->valuestring);
        } else
                printf("%s\n", msg->valuestring);
}

static void print_state_frame(Client *c, const cJSON *j, const char *raw, size_t len) {
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(j, "state");
        const cJSON *snap = cJSON_GetObjectItemCaseSensitive(j, "snapshot");
        const cJSON *name, *status, *ready, *pid, *exitc, *restarts;
        char ts[32];
        struct tm tm;
        time_t now = time(NULL);

        if (c->json) {
                /* one ProcessStateEvent per line, as the server sent it */
                while (len > 0 && (raw[len - 1] == '\n' || raw[len - 1] == '\r'))
                        len--;
                printf("%.*s\n", (int) len, raw);
                return;
        }
        if (!cJSON_IsObject(st))
                return;
        name = cJSON_GetObjectItemCaseSensitive(st, "name");
        status = cJSON_GetObjectItemCaseSensitive(st, "status");
        ready = cJSON_GetObjectItemCaseSensitive(st, "is_ready");
        pid = cJSON_GetObjectItemCaseSensitive(st, "pid");
        exitc = cJSON_GetObjectItemCaseSensitive(st, "exit_code");
        restarts = cJSON_GetObjectItemCaseSensitive(st, "restarts");
        strftime(ts, sizeof(ts), "%H:%M:%S", localtime_r(&now, &tm));
        printf("%s %-8s %-24s %-12s health=%-9s pid=%-7.0f exit=%-4.0f restarts=%.0f\n", ts,
               cJSON_IsTrue(snap) ? "snapshot" : "event", cJSON_IsString(name) ? name->valuestring : "?",
               cJSON_IsString(status) ? status->valuestring : "?", cJSON_IsString(ready) ? ready->valuestring : "-",
               cJSON_IsNumber(pid) ? pid->valuedouble : 0, cJSON_IsNumber(exitc) ? exitc->valuedouble : 0,
               cJSON_IsNumber(restarts) ? restarts->valuedouble : 0);
}

static void on_message(WsSession *s, uint8_t opcode, const uint8_t *data, size_t len, void *userdata) {
        Client *c = userdata;
        cJSON *j;

        j = cJSON_ParseWithLength((const char *) data, len);
        if (!j) {
                fprintf(stderr, "pcctl: ignoring a frame that is not JSON (%zu bytes)\n", len);
                return;
        }
        if (c->kind == STREAM_LOGS)
                print_log_frame(c, j);
        else
                print_state_frame(c, j, (const char *) data, len);
        cJSON_Delete(j);
        if (fflush(stdout) != 0 || ferror(stdout)) {
                /* stdout is gone (closed pipe): stop cleanly */
                c->exit_code = EXIT_SUCCESS;
                ws_session_abort(s, WS_END_ABORTED);
        }
}

static void on_finished(WsSession *s, WsSessionEnd end, void *userdata) {
        Client *c = userdata;
        uint16_t code = ws_session_close_code_received(s);

        if (c->exit_code < 0) {
                if (c->interrupted || end == WS_END_CLOSED || code == 1000)
                        c->exit_code = EXIT_SUCCESS;
                else {
                        fprintf(stderr, "pcctl: the stream ended: %s", ws_session_end_to_string(end));
                        if (code > 0)
                                fprintf(stderr, " (close code %u)", code);
                        fputc('\n', stderr);
                        c->exit_code = EXIT_FAILURE;
                }
        }
        c->session = ws_session_free(s);
        (void) sd_event_exit(c->event, 0);
}

static int on_signal(sd_event_source *src, const struct signalfd_siginfo *si, void *userdata) {
        Client *c = userdata;

        if (c->interrupted || !c->session) {
                (void) sd_event_exit(c->event, 0);
                return 0;
        }
        c->interrupted = true;
        (void) ws_session_close(c->session, 1000, "");
        return 0;
}

static const WsSessionOps client_ops = {
        .message = on_message,
        .finished = on_finished,
};

static int run_stream(Client *c, const ClientOptions *o, const char *path) {
        int r;

        r = sd_event_default(&c->event);
        if (r < 0)
                return log_error_errno(r, "Failed to allocate event loop: %m"), EXIT_FAILURE;
        (void) sd_event_add_signal(c->event, NULL, SIGINT | SD_EVENT_SIGNAL_PROCMASK, on_signal, c);
        (void) sd_event_add_signal(c->event, NULL, SIGTERM | SD_EVENT_SIGNAL_PROCMASK, on_signal, c);
        signal(SIGPIPE, SIG_IGN);

        if (cli_ws_open(o, path, c->event, CLIENT_MAX_MESSAGE, &client_ops, c, &c->session) < 0) {
                c->event = sd_event_unref(c->event);
                return EXIT_FAILURE;
        }

        c->exit_code = -1;
        r = sd_event_loop(c->event);
        c->session = ws_session_free(c->session);
        c->event = sd_event_unref(c->event);
        if (r < 0)
                return log_error_errno(r, "Event loop failed: %m"), EXIT_FAILURE;
        return c->exit_code < 0 ? EXIT_SUCCESS : c->exit_code;
}

static int add_names(char ***names, const char *arg) {
        _cleanup_strv_free_ char **l = strv_split(arg, ",", false);

        if (!l)
                return -ENOMEM;
        for (char **i = l; *i; i++)
                if (!isempty(*i) && !strv_contains(*names, *i) && strv_extend(names, *i) < 0)
                        return -ENOMEM;
        return 0;
}

/* -N NS: the processes whose namespace (a string or an array) contains NS. */
static int add_namespace(char ***names, const ClientOptions *o, const char *ns) {
        _cleanup_(http_client_freep) HttpClient *hc = NULL;
        _cleanup_free_ char *err = NULL;
        cJSON *j = NULL;
        const cJSON *st;
        int r;

        r = http_client_new(o, &hc, &err);
        if (r >= 0)
                r = http_client_call(hc, "GET", "/processes", NULL, false, &j, NULL, &err);
        if (r < 0) {
                fprintf(stderr, "pcctl: %s\n", err ?: strerror(-r));
                return r;
        }
        cJSON_ArrayForEach(st, cJSON_GetObjectItemCaseSensitive(j, "data")) {
                const cJSON *name = cJSON_GetObjectItemCaseSensitive(st, "name");
                const cJSON *n = cJSON_GetObjectItemCaseSensitive(st, "namespace"), *i;
                bool match = false;

                if (cJSON_IsString(n))
                        match = streq(n->valuestring, ns);
                else
                        cJSON_ArrayForEach(i, n)
                                if (cJSON_IsString(i) && streq(i->valuestring, ns))
                                        match = true;
                if (match && cJSON_IsString(name) && !strv_contains(*names, name->valuestring))
                        if (strv_extend(names, name->valuestring) < 0) {
                                cJSON_Delete(j);
                                return -ENOMEM;
                        }
        }
        cJSON_Delete(j);
        return 0;
}

/* "a,b" with each name escaped for a query value. */
static int names_query(char **names, char **ret) {
        _cleanup_(buffer_done) Buffer q = {};

        for (char **i = names; i && *i; i++) {
                _cleanup_free_ char *e = NULL;

                if (client_escape_segment(*i, &e) < 0)
                        return -ENOMEM;
                if (i != names)
                        (void) buffer_append_char(&q, ',');
                (void) buffer_append_str(&q, e);
        }
        *ret = buffer_steal(&q, NULL);
        return *ret ? 0 : -ENOMEM;
}

static void logs_help(void) {
        printf("Usage: pcctl process logs NAME[,NAME...] [OPTIONS]\n\n"
               "Print the log lines of processes from the controller's WebSocket log stream.\n\n"
               "  -f, --follow           Keep streaming new lines (Ctrl+C to stop)\n"
               "  -n, --tail N           Only the last N lines of the buffer (default: all)\n"
               "  -N, --namespace NS     Also every process of namespace NS\n"
               "      --raw-log          Print lines without the [name] prefix even for several processes\n"
               "      --since-seq N      Resume after a reconnect: start at sequence number N\n"
               "  -h, --help             Show this help\n"
               CLIENT_OPTIONS_HELP);
}

enum {
        ARG_RAW_LOG = 0x2000,
        ARG_SINCE_SEQ,
        ARG_NO_SNAPSHOT,
};

int verb_process_logs(int argc, char **argv) {
        static const struct option options[] = {
                CLIENT_OPTIONS_LONG,
                { "follow",    no_argument,       NULL, 'f' },
                { "tail",      required_argument, NULL, 'n' },
                { "namespace", required_argument, NULL, 'N' },
                { "raw-log",   no_argument,       NULL, ARG_RAW_LOG },
                { "since-seq", required_argument, NULL, ARG_SINCE_SEQ },
                { "help",      no_argument,       NULL, 'h' },
                {}
        };
        _cleanup_(client_options_done) ClientOptions o = CLIENT_OPTIONS_INIT;
        _cleanup_strv_free_ char **names = NULL, **namespaces = NULL;
        _cleanup_free_ char *err = NULL, *q = NULL, *path = NULL;
        const char *since = NULL;
        long long tail = 0;
        bool follow = false, raw = false;
        Client c = { .kind = STREAM_LOGS };
        int opt, r;

        if (client_options_from_env(&o, &err) < 0) {
                fprintf(stderr, "pcctl: %s\n", strempty(err));
                return EXIT_FAILURE;
        }
        optind = 0;
        while ((opt = getopt_long(argc, argv, CLIENT_OPTIONS_SHORT "fn:N:h", options, NULL)) >= 0) {
                r = client_options_parse(&o, opt, optarg, &err);
                if (r < 0) {
                        fprintf(stderr, "pcctl: %s\n", strempty(err));
                        return EXIT_FAILURE;
                }
                if (r > 0)
                        continue;
                switch (opt) {
                case 'f':
                        follow = true;
                        break;
                case 'n': {
                        int64_t t;

                        /* Go's strconv.Atoi, as cobra's int flag */
                        if (parse_i64(optarg, &t) >= 0)
                                tail = t;
                        else {
                                fprintf(stderr, "pcctl: invalid argument \"%s\" for \"-n, --tail\" flag: expected an "
                                        "integer\n", optarg);
                                return EXIT_FAILURE;
                        }
                        break;
                }
                case 'N':
                        if (strv_extend(&namespaces, optarg) < 0)
                                return log_oom(), EXIT_FAILURE;
                        break;
                case ARG_RAW_LOG:
                        raw = true;
                        break;
                case ARG_SINCE_SEQ:
                        if (optarg[0] < '0' || optarg[0] > '9') {
                                fprintf(stderr, "pcctl: invalid --since-seq \"%s\": expected N or NAME:N\n", optarg);
                                return EXIT_FAILURE;
                        }
                        since = optarg;
                        break;
                case 'h':
                        logs_help();
                        return EXIT_SUCCESS;
                default:
                        return EXIT_FAILURE;
                }
        }
        for (int i = optind; i < argc; i++)
                if (add_names(&names, argv[i]) < 0)
                        return log_oom(), EXIT_FAILURE;
        if (client_options_finish(&o, &err) < 0) {
                fprintf(stderr, "pcctl: %s\n", strempty(err));
                return EXIT_FAILURE;
        }
        for (char **ns = namespaces; ns && *ns; ns++)
                if (add_namespace(&names, &o, *ns) < 0)
                        return EXIT_FAILURE;
        if (strv_length(names) == 0) {
                fprintf(stderr, "pcctl: process logs: %s\n", namespaces ? "no process in the given namespace"
                                                                       : "expected NAME[,NAME...]");
                return EXIT_FAILURE;
        }

        if (names_query(names, &q) < 0 ||
            asprintf(&path, "/process/logs/ws?name=%s&offset=%lld&follow=%s%s%s", q, tail < 0 ? 0 : tail,
                     follow ? "true" : "false", since ? "&notify_drops=true&since_seq=" : "&notify_drops=true",
                     strempty(since)) < 0)
                return log_oom(), EXIT_FAILURE;

        c.prefix = strv_length(names) > 1 && !raw;
        c.color = isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
        return run_stream(&c, &o, path);
}

static void monitor_help(void) {
        printf("Usage: pcctl process monitor [NAME...] [OPTIONS]\n\n"
               "Print process state changes from the controller's WebSocket state stream.\n\n"
               "  -o, --output FORMAT    text (default) or json (one ProcessStateEvent per line)\n"
               "      --no-snapshot      Only live events, not the current state of every process first\n"
               "  -h, --help             Show this help\n"
               CLIENT_OPTIONS_HELP);
}

int verb_process_monitor(int argc, char **argv) {
        static const struct option options[] = {
                CLIENT_OPTIONS_LONG,
                { "output",      required_argument, NULL, 'o' },
                { "no-snapshot", no_argument,       NULL, ARG_NO_SNAPSHOT },
                { "help",        no_argument,       NULL, 'h' },
                {}
        };
        _cleanup_(client_options_done) ClientOptions o = CLIENT_OPTIONS_INIT;
        _cleanup_strv_free_ char **names = NULL;
        _cleanup_free_ char *err = NULL, *q = NULL, *path = NULL;
        bool snapshot = true;
        Client c = { .kind = STREAM_STATES };
        int opt, r;

        if (client_options_from_env(&o, &err) < 0) {
                fprintf(stderr, "pcctl: %s\n", strempty(err));
                return EXIT_FAILURE;
        }
        optind = 0;
        while ((opt = getopt_long(argc, argv, CLIENT_OPTIONS_SHORT "o:h", options, NULL)) >= 0) {
                r = client_options_parse(&o, opt, optarg, &err);
                if (r < 0) {
                        fprintf(stderr, "pcctl: %s\n", strempty(err));
                        return EXIT_FAILURE;
                }
                if (r > 0)
                        continue;
                switch (opt) {
                case 'o':
                        if (streq(optarg, "json"))
                                c.json = true;
                        else if (!streq(optarg, "text")) {
                                fprintf(stderr, "pcctl: invalid output format \"%s\": expected text or json\n",
                                        optarg);
                                return EXIT_FAILURE;
                        }
                        break;
                case ARG_NO_SNAPSHOT:
                        snapshot = false;
                        break;
                case 'h':
                        monitor_help();
                        return EXIT_SUCCESS;
                default:
                        return EXIT_FAILURE;
                }
        }
        for (int i = optind; i < argc; i++)
                if (add_names(&names, argv[i]) < 0)
                        return log_oom(), EXIT_FAILURE;
        if (client_options_finish(&o, &err) < 0) {
                fprintf(stderr, "pcctl: %s\n", strempty(err));
                return EXIT_FAILURE;
        }

        if (names_query(names, &q) < 0 ||
            asprintf(&path, "/process/states/ws%s%s%s", isempty(q) && snapshot ? "" : "?",
                     isempty(q) ? "" : "name=", strempty(q)) < 0)
                return log_oom(), EXIT_FAILURE;
        if (!snapshot) {
                char *p2;
                if (asprintf(&p2, "%s%ssnapshot=false", path, isempty(q) ? "" : "&") < 0)
                        return log_oom(), EXIT_FAILURE;
                free(path);
                path = p2;
        }
        return run_stream(&c, &o, path);
}
