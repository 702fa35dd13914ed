/* pcctl attach NAME: the user's terminal on the terminal of an interactive process (is_interactive, is_tty),
 * through the controller's WebSocket /process/pty/ws (docs/websocket.md).
 *
 * The local terminal goes to raw mode, so every key (Ctrl-C included) reaches the process; it is restored on
 * every way out (detach, the process's end, a lost connection, SIGTERM, SIGHUP, SIGINT). Ctrl-] detaches: the
 * process keeps running. The window's size is sent at the start and on every SIGWINCH. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <systemd/sd-event.h>

#include "cli/cli-client.h"
#include "cli/verbs.h"
#include "client/client-options.h"
#include "client/http-client.h"
#include "shared/log.h"
#include "ws/ws-session.h"

#define ATTACH_MAX_MESSAGE (1024u * 1024u)
#define DETACH_KEY 0x1d          /* Ctrl-] */

typedef struct Attach {
        sd_event *event;
        WsSession *session;
        sd_event_source *input;
        bool raw;
        struct termios saved;
        bool detached;
        bool ended;              /* the server closed: the process ended */
        int exit_code;
} Attach;

static void restore_terminal(Attach *a) {
        if (a->raw)
                (void) tcsetattr(STDIN_FILENO, TCSADRAIN, &a->saved);
        a->raw = false;
}

static void send_size(Attach *a) {
        struct winsize ws;
        char msg[96];
        int n;

        if (!a->session || ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) < 0 || ws.ws_col == 0 || ws.ws_row == 0)
                return;
        n = snprintf(msg, sizeof(msg), "{\"type\":\"resize\",\"cols\":%u,\"rows\":%u}", ws.ws_col, ws.ws_row);
        (void) ws_session_queue(a->session, WS_OP_TEXT, msg, (size_t) n);
        ws_session_kick(a->session);
}

static void write_all(int fd, const void *data, size_t len) {
        const char *p = data;

        while (len > 0) {
                ssize_t k = write(fd, p, len);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0 && errno == EAGAIN) {
                        fd_set w;

                        FD_ZERO(&w);
                        FD_SET(fd, &w);
                        (void) select(fd + 1, NULL, &w, NULL, NULL);
                        continue;
                }
                if (k <= 0)
                        return;
                p += k;
                len -= (size_t) k;
        }
}

static void on_message(WsSession *s, uint8_t opcode, const uint8_t *data, size_t len, void *userdata) {
        if (opcode == WS_OP_BINARY)
                write_all(STDOUT_FILENO, data, len);
}

static void on_finished(WsSession *s, WsSessionEnd end, void *userdata) {
        Attach *a = userdata;

        if (!a->detached) {
                a->ended = end == WS_END_CLOSED;
                a->exit_code = end == WS_END_CLOSED ? EXIT_SUCCESS : EXIT_FAILURE;
        }
        a->session = ws_session_free(s);
        (void) sd_event_exit(a->event, 0);
}

static const WsSessionOps attach_ops = {
        .message = on_message,
        .finished = on_finished,
};

static void detach(Attach *a) {
        a->detached = true;
        a->exit_code = EXIT_SUCCESS;
        a->input = sd_event_source_disable_unref(a->input);
        if (!a->session || ws_session_close(a->session, 1000, "detached") < 0)
                (void) sd_event_exit(a->event, 0);
}

static int on_input(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        Attach *a = userdata;
        char buf[4096];
        ssize_t n;
        char *k;

        n = read(fd, buf, sizeof(buf));
        if (n < 0 && IN_SET(errno, EINTR, EAGAIN))
                return 0;
        if (n <= 0) {
                /* stdin ended (not a terminal): nothing more to send */
                detach(a);
                return 0;
        }
        k = memchr(buf, DETACH_KEY, (size_t) n);
        if (k)
                n = k - buf;
        if (n > 0 && a->session) {
                (void) ws_session_queue(a->session, WS_OP_BINARY, buf, (size_t) n);
                ws_session_kick(a->session);
        }
        if (k)
                detach(a);
        return 0;
}

static int on_winch(sd_event_source *src, const struct signalfd_siginfo *si, void *userdata) {
        send_size(userdata);
        return 0;
}

static int on_signal(sd_event_source *src, const struct signalfd_siginfo *si, void *userdata) {
        Attach *a = userdata;

        a->exit_code = 128 + (int) si->ssi_signo;
        a->detached = true;
        (void) sd_event_exit(a->event, 0);
        return 0;
}

static void attach_help(void) {
        printf("Usage: pcctl attach NAME [OPTIONS]\n\n"
               "Connect this terminal to the terminal of an interactive process (is_interactive or is_tty).\n"
               "Every key goes to the process, Ctrl-C included. Ctrl-] detaches; the process keeps running.\n\n"
               "  -h, --help             Show this help\n"
               CLIENT_OPTIONS_HELP);
}

static int run_attach(Attach *a, const ClientOptions *o, const char *name) {
        _cleanup_free_ char *esc = NULL, *path = NULL;
        int r;

        if (client_escape_segment(name, &esc) < 0 || asprintf(&path, "/process/pty/ws?name=%s", esc) < 0)
                return log_oom(), EXIT_FAILURE;

        r = sd_event_default(&a->event);
        if (r < 0)
                return log_error_errno(r, "Failed to allocate event loop: %m"), EXIT_FAILURE;
        (void) sd_event_add_signal(a->event, NULL, SIGINT | SD_EVENT_SIGNAL_PROCMASK, on_signal, a);
        (void) sd_event_add_signal(a->event, NULL, SIGTERM | SD_EVENT_SIGNAL_PROCMASK, on_signal, a);
        (void) sd_event_add_signal(a->event, NULL, SIGHUP | SD_EVENT_SIGNAL_PROCMASK, on_signal, a);
        (void) sd_event_add_signal(a->event, NULL, SIGWINCH | SD_EVENT_SIGNAL_PROCMASK, on_winch, a);
        signal(SIGPIPE, SIG_IGN);

        if (cli_ws_open(o, path, a->event, ATTACH_MAX_MESSAGE, &attach_ops, a, &a->session) < 0) {
                a->event = sd_event_unref(a->event);
                return EXIT_FAILURE;
        }

        r = sd_event_add_io(a->event, &a->input, STDIN_FILENO, EPOLLIN, on_input, a);
        if (r < 0 && r != -EPERM)
                return log_error_errno(r, "Failed to watch standard input: %m"), EXIT_FAILURE;

        if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &a->saved) >= 0) {
                struct termios raw = a->saved;

                cfmakeraw(&raw);
                if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) >= 0)
                        a->raw = true;
                fprintf(stderr, "Attached to %s; Ctrl-] detaches.\r\n", name);
        }
        send_size(a);

        a->exit_code = EXIT_SUCCESS;
        r = sd_event_loop(a->event);
        restore_terminal(a);
        a->input = sd_event_source_disable_unref(a->input);
        a->session = ws_session_free(a->session);
        a->event = sd_event_unref(a->event);
        if (r < 0)
                return log_error_errno(r, "Event loop failed: %m"), EXIT_FAILURE;
        if (a->ended)
                fprintf(stderr, "\npcctl: the terminal of %s closed (the process ended)\n", name);
        else if (a->detached && a->exit_code == EXIT_SUCCESS)
                fprintf(stderr, "\npcctl: detached from %s\n", name);
        else if (a->exit_code == EXIT_FAILURE)
                fprintf(stderr, "\npcctl: the connection to the controller was lost\n");
        return a->exit_code;
}

int verb_attach(int argc, char **argv) {
        static const CliVerbOptions v = { .verb = "attach", .help = attach_help };
        _cleanup_(client_options_done) ClientOptions o = CLIENT_OPTIONS_INIT;
        _cleanup_free_ char *err = NULL;
        Attach a = {};
        int ind, r;

        r = cli_parse_options(argc, argv, &v, &o, NULL, &ind);
        if (r != 0)
                return r > 0 ? EXIT_SUCCESS : EXIT_FAILURE;
        if (cli_need_args("attach", argc - ind, 1, 1, "NAME") < 0)
                return EXIT_FAILURE;
        r = client_options_finish(&o, &err);
        if (r < 0)
                return cli_fail(r, err, "invalid client options");
        return run_attach(&a, &o, argv[ind]);
}
