/* Interactive processes: the terminal of each run (proc-pty.h), keys sent to it and subscriptions to it. */
#include <sys/socket.h>

#include <systemd/sd-daemon.h>

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
        r = proc_pty_store(p->pty);
        if (r < 0)
                log_warning_errno(r, "Process %s: cannot keep its terminal in the fd store, it will not survive a "
                                  "restart of the controller: %m", p->pub.name);
        return 0;
}

/* A scheduled process's runs are started by its timer, also while no controller runs, and systemd closes the
 * fds it was given once the service is inactive: so systemd opens the terminal by its path at each run
 * (UnitSpec's tty_fd < 0), the terminal lasts from run to run (the controller keeps its terminal side open, so
 * the master never sees a run's end) and its master goes in the fd store. Called when the timer is started;
 * an open terminal (an earlier start of the timer, or one taken back from the store) is kept. */
int proc_open_schedule_pty(Proc *p, UnitSpec *spec) {
        int r;

        if (!spec->tty) {
                p->pty = proc_pty_free(p->pty);
                return 0;
        }
        if (!proc_pty_is_open(p->pty) || proc_pty_terminal_fd(p->pty) < 0) {
                p->pty = proc_pty_free(p->pty);
                r = proc_pty_new(p->m->event, p->pub.ident, &p->pty);
                if (r < 0)
                        return log_warning_errno(r, "Process %s: cannot open a terminal: %m", p->pub.name);
        }
        spec->tty_path = proc_pty_terminal_path(p->pty);
        spec->tty_fd = -EBADF;
        r = proc_pty_store(p->pty);
        if (r < 0)
                log_warning_errno(r, "Process %s: cannot keep its terminal in the fd store, its runs will have none "
                                  "after a restart of the controller: %m", p->pub.name);
        return 0;
}

/* systemd hands a restarted controller unit the fds it stored, named (sd_listen_fds_with_names()). They are
 * taken only when every one is a terminal of ours (named after a process's identifier, "pcctl-..."): socket
 * activation passes its listening socket the same way, and that one is the HTTP server's. */
void manager_take_stored_ptys(Manager *m) {
        _cleanup_strv_free_ char **names = NULL;
        int n;

        n = sd_listen_fds_with_names(false, &names);
        if (n <= 0)
                return;
        for (int i = 0; i < n; i++)
                if (!names || !names[i] || !startswith(names[i], "pcctl-") ||
                    sd_is_socket(SD_LISTEN_FDS_START + i, AF_UNSPEC, 0, -1) > 0)
                        return;
        m->stored_pty_fds = new(int, n);
        if (!m->stored_pty_fds) {
                log_oom();
                return;
        }
        for (int i = 0; i < n; i++)
                m->stored_pty_fds[i] = SD_LISTEN_FDS_START + i;
        m->stored_pty_names = TAKE_PTR(names);
        (void) unsetenv("LISTEN_PID");
        (void) unsetenv("LISTEN_FDS");
        (void) unsetenv("LISTEN_FDNAMES");
        log_debug("Took %d terminal(s) from the fd store", n);
}

void manager_close_stored_ptys(Manager *m) {
        for (size_t i = 0; m->stored_pty_names && m->stored_pty_names[i]; i++)
                safe_close(m->stored_pty_fds[i]);
        m->stored_pty_names = strv_free(m->stored_pty_names);
        m->stored_pty_fds = mfree(m->stored_pty_fds);
}

/* The process's terminal from the fd store, where the previous controller put it. A scheduled process's
 * keeps its terminal side open again (its timer's runs open it by path). Returns false when there is none. */
static bool proc_take_stored_pty(Proc *p) {
        _cleanup_free_ char *name = proc_pty_fdname(p->pub.ident);
        int r;

        for (size_t i = 0; name && p->m->stored_pty_names && p->m->stored_pty_names[i]; i++) {
                if (!streq(p->m->stored_pty_names[i], name) || p->m->stored_pty_fds[i] < 0)
                        continue;
                p->pty = proc_pty_free(p->pty);
                r = proc_pty_adopt(p->m->event, p->pub.ident, TAKE_FD(p->m->stored_pty_fds[i]), &p->pty);
                if (r >= 0 && proc_is_scheduled(p))
                        r = proc_pty_hold_terminal(p->pty);
                if (r < 0) {
                        log_warning_errno(r, "Process %s: cannot take its terminal back: %m", p->pub.name);
                        p->pty = proc_pty_free(p->pty);
                        return false;
                }
                log_debug("Process %s: took its terminal back from the fd store", p->pub.name);
                return true;
        }
        return false;
}

/* An adopted run of an interactive process: its terminal, when the previous controller stored it. Without it
 * the process runs on a terminal nobody holds (docs/lifecycle.md "Interactive processes"). */
void proc_adopt_pty(Proc *p) {
        if (proc_pty_is_open(p->pty))
                return;         /* a scheduled process's, taken back with its timer */
        if (!proc_take_stored_pty(p))
                log_warning("Process %s: its terminal was lost with the previous controller; it has none until its "
                            "next run", p->pub.name);
}

/* The timer an earlier controller started opens the terminal of that controller at each run: the one in the fd
 * store. Returns false when it is gone (it was not stored: a foreground controller), and the timer must be
 * replaced by one for a new terminal. */
bool proc_adopt_schedule_pty(Proc *p) {
        const ComposeProcess *c = proc_config(p);

        if (!c->is_tty && !c->is_interactive)
                return true;
        return proc_pty_is_open(p->pty) || proc_take_stored_pty(p);
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

/* The stop of a process with shutdown.send_keys and no shutdown.command (process-compose's doSendKeysStop):
 * the keys go to its terminal without blocking the loop (what the terminal does not take at once waits in
 * its input queue), then the process has timeout_seconds to exit before it is killed. Keys that cannot be
 * written (no terminal, a full queue) give the signal instead: "the command could not start". */
void proc_send_stop_keys(Proc *p) {
        const char *keys = proc_config(p)->shutdown.send_keys;
        _cleanup_free_ char *raw = malloc(strlen(strempty(keys)) + 1);
        int r;

        if (!raw)
                r = -ENOMEM;
        else
                r = proc_pty_write(p->pty, raw, proc_pty_unescape_keys(strempty(keys), raw));
        if (r < 0) {
                log_warning_errno(r, "Process %s: cannot send shutdown.send_keys, stopping it by its signal: %m",
                                  p->pub.name);
                (void) proc_dispatch(p, &(ProcEvent) { .type = PROC_EVENT_COMMAND_START_FAILED });
                return;
        }
        log_debug("Process %s: sent shutdown.send_keys", p->pub.name);
        proc_arm_kill_timer(p);
        /* the keys are the whole "command": now only the process's exit or the kill timer */
        (void) proc_dispatch(p, &(ProcEvent) { .type = PROC_EVENT_COMMAND_EXITED, .ok = true });
}

int manager_open_terminal(Manager *m, const char *name, ProcPtyOutputFunc func, void *userdata, ProcPtySub **ret) {
        Proc *p;
        int r;

        r = proc_terminal(m, name, &p);
        if (r != 0)
                return r;
        return proc_pty_subscribe(p->pty, func, userdata, ret);
}
