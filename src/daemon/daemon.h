/* The composition root of `pcctl up` (as dbus-broker's broker.c): the one place that creates the event
 * loop's objects (Console, Manager, WsServer, HttpServer), wires the REST and WebSocket adapters to the
 * manager, runs the loop and tears everything down in the right order. The objects themselves do not know
 * each other: the manager knows nothing of HTTP, http/ and ws/ know the manager only through the backends
 * this folder implements (http-backend.c, ws-manager.c). */
#pragma once

#include <stdbool.h>

#include "core/manager.h"
#include "http/http-server.h"
#include "shared/macro.h"

typedef struct Daemon Daemon;

typedef struct DaemonOptions {
        ManagerOptions manager;          /* .console is ignored: the daemon sets its own */
        const HttpServerConfig *http;    /* NULL or ->disabled: no API server */
        int console_fd;                  /* where log lines and the status line go; < 0: none */
        bool console_color;
        bool console_status;             /* the TTY status line */
} DaemonOptions;

/* Sets up the console on the default loop, the manager (the project moves to it, also on failure) and, unless
 * disabled, the WebSocket and HTTP servers. Errors are logged here; returns -errno. */
int daemon_new(const DaemonOptions *options, ComposeProject *project, Daemon **ret);

/* Runs the manager's loop until the project has ended, then stops the servers, frees the manager and drains
 * the console (at most 2 s). Returns manager_run()'s result: `up`'s exit code, or -errno. */
int daemon_run(Daemon *d);

Daemon *daemon_free(Daemon *d);
DEFINE_TRIVIAL_CLEANUP_FUNC(Daemon *, daemon_free);
