/* What the WebSocket streams need from the rest of the controller, as a small table of functions.
 *
 * daemon/ws-manager.c implements it over the Manager (core/manager.h) and the REST JSON shapes
 * (http/rest-json.h); tests and benchmarks implement it over plain LogRings and Process structs, so the
 * streams can run without systemd. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <systemd/sd-event.h>

#include "core/proc-pty.h"
#include "core/process.h"
#include "journal/logring.h"
#include "ws/ws-server.h"

typedef void (*WsStateFunc)(Process *p, void *userdata);

typedef struct WsBackend {
        /* The ring of the process with this name, NULL when there is none. Called often: keep it cheap. */
        LogRing *(*find_log)(void *ud, const char *name);
        size_t (*n_processes)(void *ud);
        Process *(*process_at)(void *ud, size_t i);
        /* Calls func after every change of status, health or exit of a process; returns a handle for
         * observer_free, NULL on ENOMEM. */
        void *(*observe_state)(void *ud, WsStateFunc func, void *userdata);
        void (*observer_free)(void *ud, void *handle);
        /* ProcessState JSON text (malloc'd, unformatted), derived as GET /processes when derived is set. */
        char *(*state_json)(void *ud, Process *p, bool derived);
        /* The terminal of an interactive process (core/proc-pty.h): subscribes func to its output; with func
         * NULL only checks. 0, -ENOENT (no such process), -ESRCH (not running), -ENOTTY (no terminal). */
        int (*open_terminal)(void *ud, const char *name, ProcPtyOutputFunc func, void *userdata,
                             ProcPtySub **ret);
} WsBackend;

int ws_server_new_with_backend(sd_event *e, const WsBackend *backend, void *backend_ud,
                               const WsServerConfig *config, WsServer **ret);
/* Ends every session at once (shutdown). */
void ws_server_close_all(WsServer *s);
