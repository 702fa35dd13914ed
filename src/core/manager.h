/* The controller: one sd-event loop owning the bus, the journal follower, the HTTP server, every WebSocket
 * session and the state of every process of one project.
 *
 * The functions below are the API that the REST handlers, the WebSocket streams and the CLI 'up' verb use.
 * Control calls are asynchronous: they start work on the loop and return at once. Where process-compose
 * answers only after the work is done (project stop, process restart), the caller passes a completion
 * callback. Error texts are process-compose's (compat §3.2), returned through ret_error (caller frees). */
#pragma once

#include <stdbool.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "core/process.h"
#include "unit/unit-driver.h"

typedef struct Manager Manager;
typedef struct ManagerObserver ManagerObserver;
typedef struct ComposeProject ComposeProject;
typedef struct ComposeLoadOptions ComposeLoadOptions;
typedef struct Console Console;

typedef void (*ManagerDoneFunc)(Manager *m, int result, void *userdata);
/* Called after every change of status, health or exit of a process (one call per change). */
typedef void (*ManagerStateFunc)(Manager *m, Process *p, void *userdata);

/* How `pcctl up` runs a project (filled from its flags). */
typedef struct ManagerOptions {
        UnitManagerScope scope;          /* user manager (default) or --system */
        bool keep_project;               /* --keep-project: do not exit when everything has ended */
        bool logs_truncate;              /* --logs-truncate: clear each ring at every start */
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

/* Ends the loop of manager_run() once the project has stopped; used by the signal handlers and `down`.
 * The HTTP server, when there is one, is owned by the manager from here on. */
struct HttpServer;
void manager_set_http_server(Manager *m, struct HttpServer *server);

sd_event *manager_get_event(Manager *m);
sd_bus *manager_get_bus(Manager *m);
const ComposeProject *manager_get_project(Manager *m);
const char *manager_get_project_name(Manager *m);   /* "<hostname>/<name>", as GET /project/name */
usec_t manager_get_start_time(Manager *m);          /* realtime µs */

size_t manager_n_processes(Manager *m);
Process *manager_process_at(Manager *m, size_t i);
Process *manager_find_process(Manager *m, const char *name);

ManagerObserver *manager_observe_state(Manager *m, ManagerStateFunc func, void *userdata);
ManagerObserver *manager_observer_free(ManagerObserver *o);

/* Each returns 0, or a negative errno with *ret_error set to the message the API shows. */
int manager_start_process(Manager *m, const char *name, char **ret_error);
int manager_stop_process(Manager *m, const char *name, char **ret_error);
int manager_restart_process(Manager *m, const char *name, ManagerDoneFunc done, void *userdata,
                            char **ret_error);
int manager_signal_process(Manager *m, const char *name, int sig, char **ret_error);
int manager_scale_process(Manager *m, const char *name, int count, char **ret_error);
int manager_truncate_logs(Manager *m, const char *name, char **ret_error);

/* Namespaces (compat §3.2): act on every member, never on dependencies in other namespaces. */
char **manager_list_namespaces(Manager *m);          /* sorted, unique; caller frees (strv) */
int manager_start_namespace(Manager *m, const char *ns, char **ret_error);
int manager_stop_namespace(Manager *m, const char *ns, char **ret_error);
int manager_restart_namespace(Manager *m, const char *ns, ManagerDoneFunc done, void *userdata,
                              char **ret_error);

/* Live updates (POST /project, POST /project/configuration, POST /process). The project is the loader's
 * result; ownership moves to the manager on success. ret_status gets a cJSON object mapping each changed
 * process to "updated", "added", "removed" or an error text (compat §3.2). Returns 0 when everything was
 * applied, 1 when only part was (HTTP 207), negative when nothing was. */
struct cJSON;
int manager_update_project(Manager *m, ComposeProject *project, struct cJSON **ret_status, char **ret_error);
int manager_reload_project(Manager *m, struct cJSON **ret_status, char **ret_error);
int manager_update_process(Manager *m, ComposeProcess *process, char **ret_error);

/* Shuts the project down (ordered if configured); done runs when every process has ended.
 *
 * Completion callbacks (restart, namespace restart, project stop) never run inside the call that takes
 * them: they run later on the loop. A restart that a stop cancels completes with 0 (the stop won). */
int manager_stop_project(Manager *m, ManagerDoneFunc done, void *userdata);
