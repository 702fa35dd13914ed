/* The controller: the unit driver (and through it the bus), the journal follower and the state of every
 * process of one project, on one sd-event loop. It knows nothing of HTTP or WebSocket: daemon/ wires the
 * servers to it (daemon/daemon.h).
 *
 * The functions below are the API that the REST and WebSocket adapters (daemon/) use. Control calls are
 * asynchronous: they start work on the loop and return at once. Where process-compose answers only after the
 * work is done (project stop, process restart), the caller passes a completion callback.
 *
 * Results (dbus-broker style): a control call returns 0 on success, a positive ManagerError for a documented
 * outcome that the caller reports to its client, or a negative errno when pcctl itself failed (-ENOMEM, a
 * bus error). The manager writes no client-facing text: daemon/http-backend.c maps each ManagerError to
 * process-compose's message (compat §3.2). */
#pragma once

#include <stdbool.h>

#include <systemd/sd-event.h>

#include "core/proc-pty.h"
#include "core/process.h"
#include "unit/unit-driver.h"

typedef struct Manager Manager;
typedef struct ManagerObserver ManagerObserver;
typedef struct ComposeProject ComposeProject;
typedef struct ComposeLoadOptions ComposeLoadOptions;
typedef struct Console Console;

typedef enum ManagerError {
        _MANAGER_E_SUCCESS,
        MANAGER_E_NOT_FOUND,          /* no process (namespace: no member) of that name */
        MANAGER_E_NOT_RUNNING,        /* stop, signal: the process is not running */
        MANAGER_E_ALREADY_RUNNING,    /* start: the process runs, starts, waits or is about to restart */
        MANAGER_E_SHUTTING_DOWN,      /* the project is being stopped: nothing new starts */
        MANAGER_E_INVALID,            /* an argument out of range: signal number, scale count <= 0, a
                                       * process without a name, no project */
        MANAGER_E_FOREGROUND_ONLY,    /* namespace: every member is a foreground process */
        MANAGER_E_NOT_FROM_FILES,     /* reload: the project was not loaded from files */
        MANAGER_E_CONFIG,             /* scale, reload: compose rejected the result; *ret_detail says why */
        MANAGER_E_NOTHING_APPLIED,    /* update: no process could be updated (ret_status says why) */
        MANAGER_E_PARTIAL,            /* update: a success, but only part was applied (ret_status) */
        MANAGER_E_NOT_INTERACTIVE,    /* send-keys, terminal: the process runs without a terminal (neither
                                       * is_interactive nor is_tty, or adopted after its terminal was lost) */
        _MANAGER_E_MAX,
} ManagerError;

typedef void (*ManagerDoneFunc)(Manager *m, int result, void *userdata);
/* Called after every change of status, health or exit of a process (one call per change). */
typedef void (*ManagerStateFunc)(Manager *m, Process *p, void *userdata);

/* How `pcctl up` runs a project (filled from its flags). */
typedef struct ManagerOptions {
        UnitManagerScope scope;          /* user manager (default) or --system */
        bool keep_project;               /* --keep-project: do not exit when everything has ended */
        bool logs_truncate;              /* --logs-truncate: clear each ring at every start */
        bool no_watch;                   /* --no-watch: every `watch` block is ignored (docs/watch.md) */
        const char *exec_path;           /* absolute path of pcctl-exec (or pcctl): the __exec wrapper */
        char **os_environ;               /* the environment processes inherit (NULL = environ) */
        Console *console;                /* where log lines and the status go; NULL = nowhere */
        /* For POST /project/configuration: how the project was loaded and which processes `up` named.
         * Borrowed; they must outlive the manager. */
        const ComposeLoadOptions *load_options;
        char **selection;
        bool no_deps;
        /* Controller restarts (docs/lifecycle.md): the directory of the state file (NULL: none is kept),
         * what the previous controller left there (borrowed, may be NULL), and whether to adopt the
         * project's units that are still loaded. */
        const char *state_dir;
        const struct StateFile *saved_state;
        bool adopt;
        bool recreate;                   /* --recreate: replace adopted units whose spec changed */
        bool keep_running;               /* --keep-running: SIGINT/SIGTERM end only the controller */
        const char *api_address;         /* for the state file: "unix:PATH" or "HOST:PORT" */
        /* `pcctl run`: the process whose stdin, stdout and stderr are foreground_fds (borrowed) */
        const char *foreground;
        const int *foreground_fds;
} ManagerOptions;

/* Connects to the service manager and builds one Process per replica. The project moves to the manager on
 * success. Fails with a clear message (logged) when the manager cannot be reached. */
int manager_new(const ManagerOptions *options, ComposeProject *project, Manager **ret);
Manager *manager_free(Manager *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(Manager *, manager_free);

/* Starts every enabled process (each waits for its dependencies), installs the SIGINT/SIGTERM/SIGHUP
 * handlers, runs the loop until the project has ended and every unit is gone, and returns the exit code of
 * `up` (compat §2.7). */
int manager_run(Manager *m);

sd_event *manager_get_event(Manager *m);
const ComposeProject *manager_get_project(Manager *m);
const char *manager_get_project_name(Manager *m);   /* "<hostname>/<name>", as GET /project/name */
usec_t manager_get_start_time(Manager *m);          /* realtime µs */

size_t manager_n_processes(Manager *m);
Process *manager_process_at(Manager *m, size_t i);
Process *manager_find_process(Manager *m, const char *name);

ManagerObserver *manager_observe_state(Manager *m, ManagerStateFunc func, void *userdata);
ManagerObserver *manager_observer_free(ManagerObserver *o);

/* Each returns 0, a ManagerError or -errno (see the top of this file). manager_scale_process() may set
 * *ret_detail (caller frees) to a diagnostic from compose/ (MANAGER_E_CONFIG) or of its own (-errno). */
int manager_start_process(Manager *m, const char *name);
int manager_stop_process(Manager *m, const char *name);
int manager_restart_process(Manager *m, const char *name, ManagerDoneFunc done, void *userdata);
int manager_signal_process(Manager *m, const char *name, int sig);
int manager_scale_process(Manager *m, const char *name, int count, char **ret_detail);
int manager_truncate_logs(Manager *m, const char *name);
/* Interactive processes (is_interactive, is_tty): keys (process-compose's escapes, see
 * proc_pty_unescape_keys()) to the process's terminal, and a subscription to the terminal (its output, and
 * proc_pty_sub_write()/proc_pty_sub_resize() for input). MANAGER_E_NOT_FOUND, MANAGER_E_NOT_RUNNING,
 * MANAGER_E_NOT_INTERACTIVE; manager_send_keys() also -ENOBUFS when the terminal's input queue is full. */
int manager_send_keys(Manager *m, const char *name, const char *keys);
int manager_open_terminal(Manager *m, const char *name, ProcPtyOutputFunc func, void *userdata, ProcPtySub **ret);

/* Namespaces (compat §3.2): act on every member, never on dependencies in other namespaces. */
char **manager_list_namespaces(Manager *m);          /* sorted, unique; caller frees (strv) */
int manager_start_namespace(Manager *m, const char *ns);
/* Stops the running members one at a time, dependents first (process-compose's order: each member after its
 * dependencies, also through processes of other namespaces, reversed); done runs once the last has ended. */
int manager_stop_namespace(Manager *m, const char *ns, ManagerDoneFunc done, void *userdata);
int manager_restart_namespace(Manager *m, const char *ns, ManagerDoneFunc done, void *userdata);

/* Live updates (POST /project, POST /project/configuration, POST /process). The project (process) is the
 * loader's result; ownership moves to the manager when the call returns 0 or MANAGER_E_PARTIAL, and stays
 * the caller's otherwise. ret_status gets a cJSON object mapping each changed process to "updated", "added",
 * "removed" or an error text (compat §3.2). Returns 0 when everything was applied, MANAGER_E_PARTIAL when
 * only part was, MANAGER_E_NOTHING_APPLIED or another error when nothing was. manager_reload_project() may
 * set *ret_detail (caller frees) to compose's message (MANAGER_E_CONFIG). */
struct cJSON;
int manager_update_project(Manager *m, ComposeProject *project, struct cJSON **ret_status);
int manager_reload_project(Manager *m, struct cJSON **ret_status, char **ret_detail);
/* done runs once the process's new configuration is installed (after its current run ended), with 0, or
 * with -ESHUTDOWN / -ENOENT when a project stop or the process's removal drops it first. */
int manager_update_process(Manager *m, ComposeProcess *process, ManagerDoneFunc done, void *userdata);

/* Shuts the project down (ordered if configured); done runs when every process has ended.
 *
 * Completion callbacks (restart, namespace restart and stop, process update, project stop) never run inside
 * the call that takes them: they run later on the loop. A restart that a stop cancels completes with 0 (the stop won). */
int manager_stop_project(Manager *m, ManagerDoneFunc done, void *userdata);
