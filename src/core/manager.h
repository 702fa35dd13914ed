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

typedef struct Manager Manager;
typedef struct ManagerObserver ManagerObserver;
typedef struct ComposeProject ComposeProject;

typedef void (*ManagerDoneFunc)(Manager *m, int result, void *userdata);
/* Called after every change of status, health or exit of a process (one call per change). */
typedef void (*ManagerStateFunc)(Manager *m, Process *p, void *userdata);

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

/* Shuts the project down (ordered if configured); done runs when every process has ended. */
int manager_stop_project(Manager *m, ManagerDoneFunc done, void *userdata);
