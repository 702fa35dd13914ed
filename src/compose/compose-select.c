/* Selecting and ordering, the last stage of compose_load() and what `up PROC...` and shutdown use: namespace
 * admission, the `up` selection, dependency cycles, topological order and dependents. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "compose/compose-table.h"
#include "shared/strv.h"

/* ---- namespace admission (compat §1.1 step 10) ---- */

static bool admitted(const ComposeProcess *proc, char * const *namespaces) {
        STRV_FOREACH(ns, proc->namespaces)
                if (strv_contains(namespaces, *ns))
                        return true;
        return false;
}

int compose_admit_namespaces(ComposeProject *p, char * const *namespaces) {
        size_t n = 0;
        int r;

        if (strv_length(namespaces) == 0)
                return 0;
        for (size_t i = 0; i < p->n_processes; i++) {
                if (admitted(p->processes[i], namespaces))
                        p->processes[n++] = p->processes[i];
                else
                        compose_process_free(p->processes[i]);
        }
        p->n_processes = n;

        for (size_t i = 0; i < p->n_processes; i++) {
                ComposeProcess *proc = p->processes[i];
                size_t k = 0;
                for (size_t j = 0; j < proc->n_depends_on; j++) {
                        ComposeDependency *d = &proc->depends_on[j];
                        if (compose_project_find_process(p, d->name)) {
                                proc->depends_on[k++] = *d;
                                continue;
                        }
                        r = compose_project_add_warning(p, &d->pos,
                                                        "dependency '%s' of process '%s' is outside the selected namespaces; ignored",
                                                        d->name, proc->name);
                        free(d->name);
                        compose_pos_done(&d->pos);
                        if (r < 0)
                                return r;
                }
                proc->n_depends_on = k;
        }
        strv_free(p->namespaces);
        p->namespaces = strv_copy(namespaces);
        return p->namespaces ? 0 : -ENOMEM;
}

/* ---- selection (`up PROC...`) ---- */

static ssize_t index_of(const ComposeProject *p, const ComposeProcess *proc) {
        for (size_t i = 0; i < p->n_processes; i++)
                if (p->processes[i] == proc)
                        return (ssize_t) i;
        return -1;
}

int compose_select(ComposeProject *project, char * const *names, bool no_deps, ComposeError *ret_error) {
        _cleanup_free_ uint8_t *sel = NULL;
        _cleanup_free_ size_t *queue = NULL;
        size_t qn = 0;

        if (strv_length(names) == 0)
                return 0;
        sel = new0(uint8_t, project->n_processes ?: 1);
        queue = new(size_t, project->n_processes ?: 1);
        if (!sel || !queue)
                return -ENOMEM;

        STRV_FOREACH(n, names) {
                ComposeProcess *proc = compose_project_find_process(project, *n);
                if (proc) {
                        ssize_t i = index_of(project, proc);
                        if (!sel[i]) {
                                sel[i] = 2; /* named */
                                queue[qn++] = (size_t) i;
                        }
                        continue;
                }
                /* a replicated process may be named by its base name */
                {
                        bool found = false;
                        for (size_t i = 0; i < project->n_processes; i++)
                                if (streq(project->processes[i]->base_name, *n)) {
                                        found = true;
                                        if (!sel[i]) {
                                                sel[i] = 2;
                                                queue[qn++] = i;
                                        }
                                }
                        if (!found)
                                return compose_error_set(ret_error, -ENOENT, NULL, 0, 0, "no such process: %s", *n);
                }
        }

        if (!no_deps)
                for (size_t q = 0; q < qn; q++) {
                        ComposeProcess *proc = project->processes[queue[q]];
                        for (size_t j = 0; j < proc->n_depends_on; j++) {
                                ComposeProcess *d = compose_project_find_process(project, proc->depends_on[j].name);
                                ssize_t di;
                                if (!d)
                                        continue;
                                di = index_of(project, d);
                                if (!sel[di]) {
                                        sel[di] = 1;
                                        queue[qn++] = (size_t) di;
                                }
                        }
                }

        for (size_t i = 0; i < project->n_processes; i++) {
                ComposeProcess *proc = project->processes[i];
                proc->disabled = !sel[i];
                if (sel[i] && no_deps) {
                        compose_deps_free(proc->depends_on, proc->n_depends_on);
                        proc->depends_on = NULL;
                        proc->n_depends_on = 0;
                }
        }
        return 0;
}

/* ---- dependency order ---- */

int compose_topological_order(const ComposeProject *project, ComposeProcess ***ret) {
        _cleanup_free_ ComposeProcess **out = new(ComposeProcess *, project->n_processes ?: 1);
        _cleanup_free_ uint8_t *state = new0(uint8_t, project->n_processes ?: 1);
        _cleanup_free_ size_t *stack = new(size_t, project->n_processes ?: 1);
        _cleanup_free_ size_t *next = new0(size_t, project->n_processes ?: 1);
        size_t n = 0;

        if (!out || !state || !stack || !next)
                return -ENOMEM;

        /* DFS post-order over processes in name order: dependencies first, deterministic */
        for (size_t s = 0; s < project->n_processes; s++) {
                size_t depth = 0;
                if (state[s])
                        continue;
                stack[depth++] = s;
                state[s] = 1;
                while (depth > 0) {
                        size_t v = stack[depth - 1];
                        const ComposeProcess *pv = project->processes[v];
                        if (next[v] < pv->n_depends_on) {
                                ComposeProcess *d = compose_project_find_process(project, pv->depends_on[next[v]++].name);
                                ssize_t w;
                                if (!d)
                                        continue;
                                w = index_of(project, d);
                                if (state[w] == 1)
                                        return -ELOOP;
                                if (state[w] == 0) {
                                        state[w] = 1;
                                        stack[depth++] = (size_t) w;
                                }
                                continue;
                        }
                        state[v] = 2;
                        out[n++] = project->processes[v];
                        depth--;
                }
        }
        *ret = TAKE_PTR(out);
        return 0;
}

int compose_dependents(const ComposeProject *project, const char *name, ComposeProcess ***ret) {
        ComposeProcess **a = NULL;
        size_t n = 0;

        for (size_t i = 0; i < project->n_processes; i++) {
                ComposeProcess *proc = project->processes[i];
                for (size_t j = 0; j < proc->n_depends_on; j++)
                        if (streq(proc->depends_on[j].name, name)) {
                                ComposeProcess **na = realloc(a, sizeof(ComposeProcess *) * (n + 1));
                                if (!na) {
                                        free(a);
                                        return -ENOMEM;
                                }
                                a = na;
                                a[n++] = proc;
                                break;
                        }
        }
        *ret = a;
        return (int) n;
}

/* ---- cycles ---- */

static ssize_t proc_index(const ComposeProject *p, const char *name) {
        ComposeProcess *f = compose_project_find_process(p, name);
        if (!f)
                return -1;
        for (size_t i = 0; i < p->n_processes; i++)
                if (p->processes[i] == f)
                        return (ssize_t) i;
        return -1;
}

/* Iterative DFS (deep chains must not exhaust the stack). Returns 1 with the cycle in *ret_cycle. */
int compose_find_cycle(const ComposeProject *project, char ***ret_cycle) {
        _cleanup_free_ uint8_t *state = new0(uint8_t, project->n_processes ?: 1);
        _cleanup_free_ size_t *stack = new(size_t, project->n_processes ?: 1);
        _cleanup_free_ size_t *next = new0(size_t, project->n_processes ?: 1);

        if (!state || !stack || !next)
                return -ENOMEM;
        if (ret_cycle)
                *ret_cycle = NULL;

        for (size_t s = 0; s < project->n_processes; s++) {
                size_t depth = 0;
                if (state[s])
                        continue;
                stack[depth++] = s;
                state[s] = 1;
                next[s] = 0;
                while (depth > 0) {
                        size_t v = stack[depth - 1];
                        const ComposeProcess *pv = project->processes[v];
                        if (next[v] < pv->n_depends_on) {
                                ssize_t w = proc_index(project, pv->depends_on[next[v]++].name);
                                if (w < 0)
                                        continue;
                                if (state[w] == 1) {
                                        if (ret_cycle) {
                                                _cleanup_strv_free_ char **c = NULL;
                                                size_t from = 0;
                                                while (stack[from] != (size_t) w)
                                                        from++;
                                                for (size_t i = from; i < depth; i++)
                                                        if (strv_extend(&c, project->processes[stack[i]]->name) < 0)
                                                                return -ENOMEM;
                                                if (strv_extend(&c, project->processes[w]->name) < 0)
                                                        return -ENOMEM;
                                                *ret_cycle = TAKE_PTR(c);
                                        }
                                        return 1;
                                }
                                if (state[w] == 0) {
                                        state[w] = 1;
                                        next[w] = 0;
                                        stack[depth++] = (size_t) w;
                                }
                                continue;
                        }
                        state[v] = 2;
                        depth--;
                }
        }
        return 0;
}

