/* Merging, the second stage of compose_load() (compat §1.1 steps 4-5, §1.7): the files in order, then
 * process-level extends. The rules (mergo's WithOverride + WithAppendSlice) are the field table's. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "compose/compose-table.h"
#include "shared/strv.h"


static int merge_process(ComposeProcess *b, ComposeProcess *o) {
        return compose_table_merge(&compose_process_table, b, o);
}

/* ---- process extends (compat §1.1 step 5) ---- */

static ComposeProcess *find_raw(ComposeProject *p, const char *name) {
        for (size_t i = 0; i < p->n_processes; i++)
                if (streq(p->processes[i]->name, name))
                        return p->processes[i];
        return NULL;
}

static int resolve_extends_one(ComposeProject *p, size_t idx, uint8_t *state, ComposeError *e, unsigned depth) {
        ComposeProcess *proc = p->processes[idx], *parent;
        _cleanup_(compose_process_freep) ComposeProcess *base = NULL;
        size_t pidx = 0;
        int r;

        if (state[idx] == 2)
                return 0;
        if (state[idx] == 1)
                return compose_error_set(e, -ELOOP, proc->pos.file, proc->pos.line, proc->pos.column,
                                         "circular extends detected involving process \"%s\"", proc->name);
        if (isempty(proc->extends)) {
                state[idx] = 2;
                return 0;
        }
        if (streq(proc->extends, proc->name))
                return compose_error_set(e, -EINVAL, proc->pos.file, proc->pos.line, proc->pos.column,
                                         "process \"%s\" cannot extend itself", proc->name);
        parent = find_raw(p, proc->extends);
        if (!parent)
                return compose_error_set(e, -EINVAL, proc->pos.file, proc->pos.line, proc->pos.column,
                                         "process \"%s\" extends unknown process \"%s\"", proc->name, proc->extends);
        if (depth > COMPOSE_PROCESSES_MAX)
                return compose_error_set(e, -ELOOP, proc->pos.file, proc->pos.line, proc->pos.column,
                                         "'extends' chain is too long");
        while (p->processes[pidx] != parent)
                pidx++;

        state[idx] = 1;
        r = resolve_extends_one(p, pidx, state, e, depth + 1);
        if (r < 0)
                return r;

        r = compose_process_dup(parent, &base);
        if (r < 0)
                return r;
        base->extends = mfree(base->extends);
        /* the derived process keeps its own identity and position */
        free(base->name);
        free(base->base_name);
        base->name = TAKE_PTR(proc->name);
        base->base_name = TAKE_PTR(proc->base_name);
        compose_pos_done(&base->pos);
        base->pos = proc->pos;
        proc->pos = (ComposePos) {};
        r = merge_process(base, proc);
        if (r < 0)
                return r;
        base->extends = mfree(base->extends);
        compose_process_free(proc);
        p->processes[idx] = TAKE_PTR(base);
        state[idx] = 2;
        return 0;
}

static int resolve_process_extends(ComposeProject *p, ComposeError *e) {
        _cleanup_free_ uint8_t *state = new0(uint8_t, p->n_processes ?: 1);
        int r;

        if (!state)
                return -ENOMEM;
        for (size_t i = 0; i < p->n_processes; i++) {
                r = resolve_extends_one(p, i, state, e, 0);
                if (r < 0)
                        return r;
        }
        return 0;
}


int compose_merge_files(ComposeProject **projects, size_t n_projects, char * const *files, ComposeProject **ret,
                        ComposeError *e) {
        _cleanup_(compose_project_freep) ComposeProject *p = TAKE_PTR(projects[0]);
        int r;

        for (size_t i = 1; i < n_projects; i++) {
                r = compose_table_merge(&compose_project_table, p, projects[i]);
                if (r == -E2BIG)
                        return compose_error_set(e, r, files[i], 0, 0, "too many processes (limit %u)",
                                                 COMPOSE_PROCESSES_MAX);
                if (r < 0)
                        return r;
        }
        r = resolve_process_extends(p, e);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(p);
        return 0;
}
