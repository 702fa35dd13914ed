#include <errno.h>
#include <signal.h>
#include <stdlib.h>

#include <systemd/sd-event.h>

#include "compose/compose.h"
#include "core/console.h"
#include "daemon/daemon.h"
#include "daemon/http-backend.h"
#include "daemon/ws-manager.h"
#include "shared/log.h"
#include "ws/ws-backend.h"

#define CONSOLE_DRAIN_USEC (2 * USEC_PER_SEC)

struct Daemon {
        Console *console;
        Manager *manager;
        WsServer *ws;
        HttpServer *http;
};

static int daemon_new_servers(Daemon *d, const HttpServerConfig *config) {
        WsServerConfig wc;
        int r;

        ws_server_config_defaults(&wc);
        if (config->ws_write_timeout > 0)
                wc.write_timeout = config->ws_write_timeout;
        wc.allow_any_origin = config->ws_allow_any_origin;
        if (config->ws_send_buffer > 0)
                wc.send_buffer = config->ws_send_buffer;
        r = ws_manager_new_server(d->manager, &wc, &d->ws);
        if (r < 0) {
                log_error_errno(r, "failed to create the WebSocket server: %m");
                return log_error_errno(r, "Cannot start the API server: %m");
        }
        r = http_backend_new_server(d->manager, d->ws, config, &d->http);
        if (r < 0)
                return log_error_errno(r, "Cannot start the API server: %m");
        return 0;
}

/**
 * daemon_new() - create and wire the objects of one `pcctl up`.
 * @options: how to run (filled from `up`'s flags); borrowed, must outlive the daemon
 * @project: the loaded project; ownership moves to the daemon, also on failure
 * @ret: set to the new daemon
 *
 * Return: 0, or -errno after logging why.
 */
int daemon_new(const DaemonOptions *options, ComposeProject *project, Daemon **ret) {
        _cleanup_(compose_project_freep) ComposeProject *p = project;
        _cleanup_(daemon_freep) Daemon *d = NULL;
        ManagerOptions mo;
        int r;

        d = new0(Daemon, 1);
        if (!d)
                return log_oom();

        {
                _cleanup_(sd_event_unrefp) sd_event *event = NULL;
                r = sd_event_default(&event);
                /* no console (`pcctl run`: the terminal is the foreground process's) */
                if (r >= 0 && options->console_fd >= 0)
                        r = console_new(event, options->console_fd, options->console_color,
                                        options->console_status, &d->console);
                if (r < 0)
                        return log_error_errno(r, "Cannot set up the console: %m");
        }

        mo = options->manager;
        mo.console = d->console;
        r = manager_new(&mo, p, &d->manager);
        if (r < 0)
                return r;
        TAKE_PTR(p);

        if (options->http && !options->http->disabled) {
                r = daemon_new_servers(d, options->http);
                if (r < 0)
                        return r;
        }

        *ret = TAKE_PTR(d);
        return 0;
}

/* The HTTP server first (its deferred responses get a last write, and it ends the WebSocket sessions),
 * then the WebSocket server (its state observers belong to the manager), then the manager. */
static void daemon_stop(Daemon *d) {
        d->http = http_server_free(d->http);
        d->ws = ws_server_free(d->ws);
        d->manager = manager_free(d->manager);
}

int daemon_run(Daemon *d) {
        int r;

        /* A reader of the console or of stderr that goes away (`pcctl up | head`) must not end the
         * controller: the console sees EPIPE and forgets its output, log lines to stderr are lost. */
        if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
                return log_error_errno(errno, "Cannot ignore SIGPIPE: %m");
        r = manager_run(d->manager);
        daemon_stop(d);
        console_drain(d->console, CONSOLE_DRAIN_USEC);
        return r;
}

Daemon *daemon_free(Daemon *d) {
        if (!d)
                return NULL;
        daemon_stop(d);
        console_free(d->console);
        return mfree(d);
}
