/* ProcessConfig and Project JSON (compat §3.3.3, §3.3.6): the field tables (compose-fields.c) do the keys;
 * this file adds what the loader would have done to a decoded process or project. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "compose/compose-json.h"
#include "compose/compose-table.h"
#include "shared/strv.h"

#define jerr compose_json_error

cJSON *compose_process_to_json(const ComposeProcess *p) {
        return compose_table_to_json(&compose_process_table, p);
}

cJSON *compose_project_to_json(const ComposeProject *p) {
        return compose_table_to_json(&compose_project_table, p);
}

int compose_process_from_json(const cJSON *json, ComposeProcess **ret, char **ret_error) {
        _cleanup_(compose_process_freep) ComposeProcess *p = NULL;
        int k;

        if (!cJSON_IsObject(json))
                return jerr(ret_error, "a process must be a JSON object");
        p = new0(ComposeProcess, 1);
        if (!p)
                return -ENOMEM;
        k = compose_table_decode_json(&compose_process_table, json, p, ret_error);
        if (k < 0)
                return k;

        /* identity: name is the base name; replicaName the unique name */
        if (isempty(p->base_name) && isempty(p->replica_name)) {
                (void) jerr(ret_error, "'name' is required");
                return -ENOENT;
        }
        if (isempty(p->base_name) && (k = free_and_strdup(&p->base_name, p->replica_name)) < 0)
                return k;
        if (isempty(p->replica_name) && (k = free_and_strdup(&p->replica_name, p->base_name)) < 0)
                return k;
        p->name = strdup(p->replica_name);
        if (!p->name)
                return -ENOMEM;

        /* the defaults the loader applies, so that a POSTed config behaves like a loaded one */
        if (strv_length(p->namespaces) == 0 && (k = strv_extend(&p->namespaces, "default")) < 0)
                return k;
        if (p->replicas < 1)
                p->replicas = 1;
        if (p->launch_timeout_seconds < 1)
                p->launch_timeout_seconds = 5;
        if (p->shutdown.signal < 1 || p->shutdown.signal > 31)
                p->shutdown.signal = 15;
        if (p->availability.backoff_seconds < 1)
                p->availability.backoff_seconds = 1;

        *ret = TAKE_PTR(p);
        return 0;
}

int compose_project_from_json(const cJSON *json, ComposeProject **ret, char **ret_error) {
        _cleanup_(compose_project_freep) ComposeProject *p = NULL;
        int k;

        if (!cJSON_IsObject(json))
                return jerr(ret_error, "the project must be a JSON object");
        p = new0(ComposeProject, 1);
        if (!p)
                return -ENOMEM;
        k = compose_table_decode_json(&compose_project_table, json, p, ret_error);
        if (k < 0)
                return k;

        if (isempty(p->shell.shell_command) && (k = free_and_strdup(&p->shell.shell_command, "bash")) < 0)
                return k;
        if (isempty(p->shell.shell_argument) && (k = free_and_strdup(&p->shell.shell_argument, "-c")) < 0)
                return k;
        if (isempty(p->shell.elevated_shell_command) && (k = free_and_strdup(&p->shell.elevated_shell_command, "sudo")) < 0)
                return k;
        if (isempty(p->shell.elevated_shell_argument) && (k = free_and_strdup(&p->shell.elevated_shell_argument, "-S")) < 0)
                return k;
        if (p->log_length <= 0)
                p->log_length = 1000;
        if (isempty(p->log_level) && (k = free_and_strdup(&p->log_level, "info")) < 0)
                return k;
        {
                const char *base = !isempty(p->name) ? p->name : "";
                const char *s = strrchr(base, '/');
                p->project_name = strdup(s ? s + 1 : base);
                if (!p->project_name)
                        return -ENOMEM;
        }

        compose_project_sort(p);
        for (size_t j = 1; j < p->n_processes; j++)
                if (streq(p->processes[j - 1]->name, p->processes[j]->name))
                        return jerr(ret_error, "process '%s' is defined twice", p->processes[j]->name);
        for (size_t j = 0; j < p->n_processes; j++) {
                ComposeProcess *proc = p->processes[j];
                if (isempty(proc->executable)) {
                        /* not resolved by a client-side loader: compute executable/args like the loader */
                        ComposeError e = {};
                        k = compose_finish_process(p, proc, &e);
                        if (k < 0) {
                                if (k == -EINVAL)
                                        jerr(ret_error, "%s", strempty(e.message));
                                compose_error_done(&e);
                                return k;
                        }
                }
                for (size_t d = 0; d < proc->n_depends_on; d++)
                        if (!compose_project_find_process(p, proc->depends_on[d].name))
                                return jerr(ret_error, "dependency process '%s' in process '%s' is not defined",
                                            proc->depends_on[d].name, proc->name);
        }
        {
                _cleanup_strv_free_ char **cycle = NULL;
                k = compose_find_cycle(p, &cycle);
                if (k < 0)
                        return k;
                if (k > 0) {
                        _cleanup_free_ char *chain = strv_join(cycle, " -> ");
                        return jerr(ret_error, "circular dependency found in '%s': %s", cycle[0], strempty(chain));
                }
        }

        *ret = TAKE_PTR(p);
        return 0;
}
