/* Interactive processes: the terminal of each run (proc-pty.h), keys sent to it and subscriptions to it. */
#include "core/manager-internal.h"

/* Called before the start of a run of a process with a terminal: a new terminal (the last run's ends now),
 * handed to the unit through spec. */
int proc_open_pty(Proc *p, UnitSpec *spec) {
        int r;

        p->pty = proc_pty_free(p->pty);
        r = proc_pty_new(p->m->event, p->pub.ident, &p->pty);
        if (r < 0)
                return log_warning_errno(r, "Process %s: cannot open a terminal: %m", p->pub.name);
        spec->tty_path = proc_pty_terminal_path(p->pty);
        spec->tty_fd = proc_pty_terminal_fd(p->pty);
        return 0;
}

/* The process's terminal, or why there is none (process-compose's order: existence, running, terminal). */
static int proc_terminal(Manager *m, const char *name, Proc **ret) {
        Proc *p = manager_find(m, name);

        if (!p)
                return MANAGER_E_NOT_FOUND;
        if (!process_is_running(&p->pub))
                return MANAGER_E_NOT_RUNNING;
        if (!proc_pty_is_open(p->pty))
                return MANAGER_E_NOT_INTERACTIVE;
        *ret = p;
        return 0;
}

int manager_send_keys(Manager *m, const char *name, const char *keys) {
        _cleanup_free_ char *raw = NULL;
        size_t n;
        Proc *p;
        int r;

        r = proc_terminal(m, name, &p);
        if (r != 0)
                return r;
        raw = malloc(strlen(keys) + 1);
        if (!raw)
                return -ENOMEM;
        n = proc_pty_unescape_keys(keys, raw);
        return proc_pty_write(p->pty, raw, n);
}

int manager_open_terminal(Manager *m, const char *name, ProcPtyOutputFunc func, void *userdata, ProcPtySub **ret) {
        Proc *p;
        int r;

        r = proc_terminal(m, name, &p);
        if (r != 0)
                return r;
        return proc_pty_subscribe(p->pty, func, userdata, ret);
}
