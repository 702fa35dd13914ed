/* Namespaces (compat §3.2): start, stop and restart every member, never their dependencies in other
 * namespaces. A stop takes the members one at a time, dependents first, as process-compose does; a restart
 * is that stop, then the start of the members in dependency order. */
#include "core/manager-internal.h"

#define NAMESPACE_RESTART_TIMEOUT_USEC (30 * USEC_PER_SEC)

static bool proc_in_namespace(const Proc *p, const char *ns) {
        const ComposeProcess *c = proc_config(p);

        if (!c || !c->namespaces)
                return streq(ns, "default");
        return strv_contains(c->namespaces, ns);
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

static bool proc_is_member(const Proc *p, const char *ns) {
        return !p->fsm.removed && proc_in_namespace(p, ns) && !proc_config(p)->is_foreground;
}

static ssize_t proc_index(Manager *m, const Proc *p) {
        for (size_t i = 0; i < m->n_procs; i++)
                if (m->procs[i] == p)
                        return (ssize_t) i;
        return -1;
}

/* Appends p after its dependencies (depth first, each process once): process-compose's WithProcesses walk. A
 * dependency names a process, or every replica of a scaled one. Processes of other namespaces are walked
 * through, and only the members are listed. */
static int namespace_walk(Manager *m, const char *ns, Proc *p, bool *seen, char ***order) {
        const ComposeProcess *c = proc_config(p);
        ssize_t idx = proc_index(m, p);
        int r;

        if (idx < 0 || seen[idx])
                return 0;
        seen[idx] = true;
        for (size_t k = 0; c && k < c->n_depends_on; k++) {
                const char *dep = c->depends_on[k].name;
                Proc *q = manager_find(m, dep);

                if (q) {
                        r = namespace_walk(m, ns, q, seen, order);
                        if (r < 0)
                                return r;
                        continue;
                }
                for (size_t i = 0; i < m->n_procs; i++)
                        if (!m->procs[i]->fsm.removed && streq_ptr(m->procs[i]->pub.base_name, dep)) {
                                r = namespace_walk(m, ns, m->procs[i], seen, order);
                                if (r < 0)
                                        return r;
                        }
        }
        if (proc_is_member(p, ns))
                return strv_extend(order, p->pub.name);
        return 0;
}

/* The members in stop order: dependents first. process-compose lists them sorted by name, each after its
 * dependencies, then reverses the list. */
static int namespace_stop_order(Manager *m, const char *ns, char ***ret) {
        _cleanup_strv_free_ char **order = NULL, **members = NULL;
        _cleanup_free_ bool *seen = new0(bool, m->n_procs + 1);
        size_t n;
        int r;

        if (!seen)
                return -ENOMEM;
        for (size_t i = 0; i < m->n_procs; i++)
                if (proc_is_member(m->procs[i], ns) && strv_extend(&members, m->procs[i]->pub.name) < 0)
                        return -ENOMEM;
        strv_sort(members);
        STRV_FOREACH(name, members) {
                r = namespace_walk(m, ns, manager_find(m, *name), seen, &order);
                if (r < 0)
                        return r;
        }
        n = strv_length(order);
        for (size_t i = 0; i < n / 2; i++) {
                char *t = order[i];
                order[i] = order[n - 1 - i];
                order[n - 1 - i] = t;
        }
        if (!order && !(order = new0(char *, 1)))
                return -ENOMEM;
        *ret = TAKE_PTR(order);
        return 0;
}

static NamespaceStop *namespace_stop_free(NamespaceStop *s) {
        if (!s)
                return NULL;
        free(s->ns);
        strv_free(s->order);
        free(s->stopping);
        return mfree(s);
}

/* Moves a namespace stop on as far as it can: true once every member was taken. A member that a start took
 * out of its stop (it is no longer stopping) is not waited for. */
static bool namespace_stop_progress(Manager *m, NamespaceStop *s) {
        for (;;) {
                Proc *p;

                if (s->stopping) {
                        p = manager_find(m, s->stopping);
                        if (p && process_fsm_is_stopping(p->fsm.state))
                                return false;
                        s->stopping = mfree(s->stopping);
                }
                if (!s->order[s->pos])
                        return true;
                p = manager_find(m, s->order[s->pos++]);
                if (!p || !proc_busy(p))
                        continue;
                /* a shutdown stops it anyway; a stop already under way is waited for */
                if (!m->shutting_down && !process_fsm_is_stopping(p->fsm.state) &&
                    proc_dispatch(p, &(ProcEvent) { .type = PROC_EVENT_STOP, .stop = PROC_STOP_USER }) < 0)
                        continue;
                if (!process_fsm_is_stopping(p->fsm.state))
                        continue;
                s->stopping = strdup(p->pub.name);
                if (!s->stopping) {
                        log_oom();
                        continue;
                }
        }
}

void manager_progress_namespace_stops(Manager *m) {
        NamespaceStop **pp = &m->ns_stops;

        while (*pp) {
                NamespaceStop *s = *pp;

                if (!namespace_stop_progress(m, s)) {
                        pp = &s->next;
                        continue;
                }
                *pp = s->next;
                manager_complete(m, &s->waiter, 1, 0);
                namespace_stop_free(s);
        }
}

static NamespaceRestart *namespace_restart_free(NamespaceRestart *r) {
        if (!r)
                return NULL;
        namespace_stop_free(r->stop);
        return mfree(r);
}

/* A restart's stop is the namespace stop's, members one at a time; then, once all have ended (at most
 * NAMESPACE_RESTART_TIMEOUT_USEC, as process-compose waits), every member that does not run is started, in
 * dependency order (the stop order reversed), and the caller is answered. */
void manager_progress_namespace_restarts(Manager *m) {
        NamespaceRestart **pp = &m->ns_restarts;
        usec_t now = now_usec(CLOCK_MONOTONIC);

        while (*pp) {
                NamespaceRestart *r = *pp;

                if (!m->shutting_down && !namespace_stop_progress(m, r->stop) && now < r->deadline) {
                        pp = &r->next;
                        continue;
                }
                *pp = r->next;
                for (size_t i = strv_length(r->stop->order); i > 0 && !m->shutting_down; i--) {
                        Proc *p = manager_find(m, r->stop->order[i - 1]);
                        if (p && !proc_busy(p))
                                (void) proc_dispatch(p, &(ProcEvent) { .type = PROC_EVENT_START });
                }
                manager_complete(m, &r->waiter, 1, m->shutting_down ? -ESHUTDOWN : 0);
                namespace_restart_free(r);
        }
}

void manager_free_namespace_ops(Manager *m) {
        while (m->ns_restarts) {
                NamespaceRestart *r = m->ns_restarts;
                m->ns_restarts = r->next;
                namespace_restart_free(r);
        }
        while (m->ns_stops) {
                NamespaceStop *s = m->ns_stops;
                m->ns_stops = s->next;
                namespace_stop_free(s);
        }
}

static int namespace_stop_new(Manager *m, const char *ns, NamespaceStop **ret) {
        NamespaceStop *s;
        int r;

        s = new0(NamespaceStop, 1);
        if (!s)
                return -ENOMEM;
        s->ns = strdup(ns);
        r = s->ns ? namespace_stop_order(m, ns, &s->order) : -ENOMEM;
        if (r < 0) {
                namespace_stop_free(s);
                return r;
        }
        *ret = s;
        return 0;
}

int manager_stop_namespace(Manager *m, const char *ns, ManagerDoneFunc done, void *userdata) {
        NamespaceStop *s, **pp;
        int r;

        r = manager_check_namespace(m, ns);
        if (r != 0)
                return r;
        r = namespace_stop_new(m, ns, &s);
        if (r < 0)
                return r;
        s->waiter = (Waiter) { .done = done, .userdata = userdata };
        /* in the order of the calls: a later stop of the same namespace finds the members stopping */
        pp = &m->ns_stops;
        while (*pp)
                pp = &(*pp)->next;
        *pp = s;
        /* the first member's stop is issued now, as the other control calls do theirs */
        manager_progress_namespace_stops(m);
        manager_schedule_check(m);
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
        if (!r)
                return -ENOMEM;
        k = namespace_stop_new(m, ns, &r->stop);
        if (k < 0) {
                free(r);
                return k;
        }
        r->waiter = (Waiter) { .done = done, .userdata = userdata };
        r->deadline = now_usec(CLOCK_MONOTONIC) + NAMESPACE_RESTART_TIMEOUT_USEC;
        r->next = m->ns_restarts;
        m->ns_restarts = r;
        /* the first member's stop is issued now; the rest follows from the check pass */
        manager_progress_namespace_restarts(m);
        manager_schedule_check(m);
        return 0;
}
