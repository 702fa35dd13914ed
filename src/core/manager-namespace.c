/* Namespaces (compat §3.2): start, stop and restart every member, never their dependencies in other
 * namespaces. */
#include "core/manager-internal.h"

static void manager_start_members(Manager *m, const char *ns);

#define NAMESPACE_RESTART_TIMEOUT_USEC (30 * USEC_PER_SEC)

static bool proc_in_namespace(const Proc *p, const char *ns) {
        const ComposeProcess *c = proc_config(p);

        if (!c || !c->namespaces)
                return streq(ns, "default");
        return strv_contains(c->namespaces, ns);
}

void manager_progress_namespace_restarts(Manager *m) {
        NamespaceRestart **pp = &m->ns_restarts;
        usec_t now = now_usec(CLOCK_MONOTONIC);

        while (*pp) {
                NamespaceRestart *r = *pp;
                bool busy = false;

                for (size_t i = 0; i < m->n_procs; i++) {
                        Proc *p = m->procs[i];
                        if (!p->fsm.removed && proc_in_namespace(p, r->ns) && proc_in_flight(p))
                                busy = true;
                }
                if (busy && now < r->deadline && !m->shutting_down) {
                        pp = &r->next;
                        continue;
                }
                *pp = r->next;
                if (!m->shutting_down)
                        manager_start_members(m, r->ns);
                manager_complete(m, &r->waiter, 1, m->shutting_down ? -ESHUTDOWN : 0);
                free(r->ns);
                free(r);
        }
}

char **manager_list_namespaces(Manager *m) {
        _cleanup_strv_free_ char **l = NULL;

        for (size_t i = 0; i < m->n_procs; i++) {
                const ComposeProcess *c = proc_config(m->procs[i]);
                if (m->procs[i]->fsm.removed || !c)
                        continue;
                if (!c->namespaces) {
                        if (!strv_contains(l, "default") && strv_extend(&l, "default") < 0)
                                return NULL;
                        continue;
                }
                STRV_FOREACH(ns, c->namespaces)
                        if (!strv_contains(l, *ns) && strv_extend(&l, *ns) < 0)
                                return NULL;
        }
        if (!l)
                l = new0(char *, 1);
        strv_sort(l);
        return TAKE_PTR(l);
}

static int manager_check_namespace(Manager *m, const char *ns) {
        bool any = false, non_foreground = false;

        for (size_t i = 0; i < m->n_procs; i++) {
                Proc *p = m->procs[i];
                if (p->fsm.removed || !proc_in_namespace(p, ns))
                        continue;
                any = true;
                if (!proc_config(p)->is_foreground)
                        non_foreground = true;
        }
        if (!any)
                return MANAGER_E_NOT_FOUND;
        if (!non_foreground)
                return MANAGER_E_FOREGROUND_ONLY;
        return 0;
}

/* Starts every member that is not running (also disabled and unselected ones), never their dependencies
 * in other namespaces: those are not waited for unless they run. */
static void manager_start_members(Manager *m, const char *ns) {
        for (size_t i = 0; i < m->n_procs; i++) {
                Proc *p = m->procs[i];
                if (p->fsm.removed || !proc_in_namespace(p, ns) || proc_config(p)->is_foreground)
                        continue;
                if (proc_busy(p))
                        continue;
                (void) proc_dispatch(p, &(ProcEvent) { .type = PROC_EVENT_START });
        }
}

int manager_start_namespace(Manager *m, const char *ns) {
        int r;

        r = manager_check_namespace(m, ns);
        if (r != 0)
                return r;
        if (m->shutting_down)
                return MANAGER_E_SHUTTING_DOWN;
        manager_start_members(m, ns);
        return 0;
}

static void manager_stop_members(Manager *m, const char *ns) {
        for (size_t i = 0; i < m->n_procs; i++) {
                Proc *p = m->procs[i];
                if (!p->fsm.removed && proc_in_namespace(p, ns) && !proc_config(p)->is_foreground)
                        (void) proc_dispatch(p, &(ProcEvent) { .type = PROC_EVENT_STOP, .stop = PROC_STOP_USER });
        }
}

int manager_stop_namespace(Manager *m, const char *ns) {
        int r;

        r = manager_check_namespace(m, ns);
        if (r != 0)
                return r;
        manager_stop_members(m, ns);
        return 0;
}

int manager_restart_namespace(Manager *m, const char *ns, ManagerDoneFunc done, void *userdata) {
        NamespaceRestart *r;
        int k;

        k = manager_check_namespace(m, ns);
        if (k != 0)
                return k;
        if (m->shutting_down)
                return MANAGER_E_SHUTTING_DOWN;
        r = new0(NamespaceRestart, 1);
        if (!r || !(r->ns = strdup(ns))) {
                free(r);
                return -ENOMEM;
        }
        r->waiter = (Waiter) { .done = done, .userdata = userdata };
        r->deadline = now_usec(CLOCK_MONOTONIC) + NAMESPACE_RESTART_TIMEOUT_USEC;
        r->next = m->ns_restarts;
        m->ns_restarts = r;
        manager_stop_members(m, ns);
        manager_schedule_check(m);
        return 0;
}
