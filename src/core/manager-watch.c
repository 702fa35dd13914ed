/* File watches (compose `watch:`, docs/watch.md): which processes carry one, and what a debounced change does.
 *
 * The Watcher (watch/watcher.h) is created with the first watch and owned here. manager_watch_sync() keeps
 * its registrations in step with the processes: it runs when the controller starts (also after an adoption,
 * so a restarted controller watches again) and at each check pass (a process started by hand, a replaced
 * config, a removed process). A change restarts the process as POST /process/restart does, without the
 * pause of backoff_seconds (process-compose skips the backoff for watch restarts), and with `cascade` its
 * dependents too, transitively, in dependency order: one after the other, each once the previous one's new
 * run has begun, and each new run waits for its depends_on conditions, so they start in that order. Each watch restart counts in the
 * process's `restarts`, which it never resets (docs/compat.md says how this differs from process-compose). */
#include "core/manager-internal.h"
#include "shared/event-util.h"
#include "watch/watch-match.h"
#include "watch/watcher.h"

/* A process with a watch is watched unless it is disabled and was never started (a process `up` left out
 * is disabled, and gets its watch when it is started by hand), or it is no longer part of the project. */
static bool proc_watch_eligible(const Proc *p) {
        const ComposeProcess *c = proc_config(p);

        if (!c || !c->watch || c->watch->n_paths == 0 || c->is_foreground || p->fsm.removed)
                return false;
        return !c->disabled || p->fsm.state != PROC_STATE_DORMANT;
}

/* The project's own log files, never a trigger: every log_location and the project's. */
static int manager_log_exclusions(Manager *m, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_free_ char *project = NULL;
        int r;

        r = process_spec_project_log_location(m->project, &project);
        if (r < 0)
                return r;
        r = watch_log_exclusions(project, &l);
        if (r < 0)
                return r;
        for (size_t i = 0; i < m->n_procs; i++) {
                Proc *p = m->procs[i];
                _cleanup_free_ char *path = NULL;

                if (!proc_config(p))
                        continue;
                r = process_spec_log_location(m->project, proc_config(p), p->pub.replica_num, &path);
                if (r < 0)
                        return r;
                r = watch_log_exclusions(path, &l);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

/* Not for a process never started, removed, stopped by the user (its watch is paused), or already being
 * restarted (the restart under way coalesces with this one, and it counts once). */
static bool proc_can_watch_restart(const Proc *p) {
        return p && proc_config(p) && !p->fsm.removed && !p->user_stopped &&
               !IN_SET(p->fsm.state, PROC_STATE_DORMANT, PROC_STATE_RESTART_STOPPING,
                       PROC_STATE_RESTART_STOPPING_COMMAND, PROC_STATE_RESTART_STOP_DEFERRED,
                       PROC_STATE_RESTART_DELAY);
}

/* A watch restart and, with cascade, its dependents: restarted one after the other, as process-compose
 * does, each once the previous one's new run has begun (it waits for its dependencies then), so that no
 * dependent can start again before what it depends on. */
struct WatchCascade {
        Manager *m;
        char **names;                /* in dependency order, the watched process first */
        size_t next;
        WatchCascade *next_cascade;
};

static WatchCascade *cascade_free(WatchCascade *c) {
        if (!c)
                return NULL;
        for (WatchCascade **i = &c->m->watch_cascades; *i; i = &(*i)->next_cascade)
                if (*i == c) {
                        *i = c->next_cascade;
                        break;
                }
        strv_free(c->names);
        return mfree(c);
}

/* One restart: counted, without the pause between stop and start. 0 when it waits for the process to come
 * back, < 0 when there is nothing to wait for. */
static int proc_watch_restart(Proc *p, ManagerDoneFunc done, void *userdata) {
        int r;

        if (!proc_can_watch_restart(p))
                return -EALREADY;
        p->pub.restarts++;
        p->watch_restart = true;
        r = manager_restart_process(p->m, p->pub.name, done, userdata);
        if (r != 0)
                p->pub.restarts--;
        /* the flag is for the pause that follows the stop; a restart that needed no stop is done */
        if (r != 0 || !IN_SET(p->fsm.state, PROC_STATE_RESTART_STOPPING, PROC_STATE_RESTART_STOPPING_COMMAND,
                              PROC_STATE_RESTART_STOP_DEFERRED))
                p->watch_restart = false;
        proc_changed(p);
        manager_state_dirty(p->m);
        return r != 0 ? -ECANCELED : 0;
}

static void cascade_step(WatchCascade *c);

static void on_cascade_restarted(Manager *m, int result, void *userdata) {
        cascade_step(userdata);
}

static void cascade_step(WatchCascade *c) {
        Manager *m = c->m;

        while (!m->shutting_down && c->names[c->next])
                if (proc_watch_restart(manager_find(m, c->names[c->next++]), on_cascade_restarted, c) == 0)
                        return;
        cascade_free(c);
}

/* The processes that depend on root, directly or not, each after everything it depends on among them, ties
 * by name (process-compose's TransitiveDependents). Disabled processes are passed through, not returned. */
static int manager_dependents(Manager *m, const Proc *root, Proc ***ret, size_t *ret_n) {
        _cleanup_free_ bool *in = NULL, *done = NULL;
        _cleanup_free_ Proc **queue = NULL, **out = NULL;
        size_t n = m->n_procs, head = 0, tail = 0, n_out = 0, n_in = 0;

        in = new0(bool, n);
        done = new0(bool, n);
        queue = new0(Proc *, n);
        out = new0(Proc *, n);
        if (!in || !done || !queue || !out)
                return -ENOMEM;

        /* the closure: whoever names a member in depends_on */
        queue[tail++] = (Proc *) root;
        while (head < tail) {
                const char *name = queue[head++]->pub.name;

                for (size_t i = 0; i < n; i++) {
                        const ComposeProcess *c = proc_config(m->procs[i]);

                        if (in[i] || m->procs[i] == root || !c)
                                continue;
                        for (size_t d = 0; d < c->n_depends_on; d++)
                                if (streq(c->depends_on[d].name, name)) {
                                        in[i] = true;
                                        n_in++;
                                        queue[tail++] = m->procs[i];
                                        break;
                                }
                }
        }

        /* Kahn's order over the closure, the smallest name first among the ready ones */
        for (size_t k = 0; k < n_in; k++) {
                ssize_t pick = -1;

                for (size_t i = 0; i < n; i++) {
                        const ComposeProcess *c = proc_config(m->procs[i]);
                        bool ready = true;

                        if (!in[i] || done[i])
                                continue;
                        for (size_t d = 0; ready && d < c->n_depends_on; d++)
                                for (size_t j = 0; j < n; j++)
                                        if (in[j] && !done[j] && streq(m->procs[j]->pub.name, c->depends_on[d].name)) {
                                                ready = false;
                                                break;
                                        }
                        if (ready && (pick < 0 || strcmp(m->procs[i]->pub.name, m->procs[pick]->pub.name) < 0))
                                pick = (ssize_t) i;
                }
                if (pick < 0)   /* a cycle, which validation refuses: the rest in any order */
                        for (size_t i = 0; i < n && pick < 0; i++)
                                if (in[i] && !done[i])
                                        pick = (ssize_t) i;
                done[pick] = true;
                if (!proc_config(m->procs[pick])->disabled && !proc_config(m->procs[pick])->is_foreground)
                        out[n_out++] = m->procs[pick];
        }
        *ret = TAKE_PTR(out);
        *ret_n = n_out;
        return 0;
}

static void manager_on_watch_fire(const char *name, const char *path, unsigned count, void *userdata) {
        Manager *m = userdata;
        Proc *p = manager_find(m, name);
        _cleanup_free_ Proc **dependents = NULL;
        size_t n_dependents = 0;
        WatchCascade *c;
        usec_t now;

        /* a stopped process's watch is paused: a change does not bring back what the user stopped */
        if (m->shutting_down || !proc_can_watch_restart(p))
                return;
        if (proc_config(p)->watch->cascade && manager_dependents(m, p, &dependents, &n_dependents) < 0) {
                log_oom();
                n_dependents = 0;
        }
        if (n_dependents > 0)
                log_info("Restarting %s (+%zu dependent(s)): watch triggered by %s", name, n_dependents, path);
        else
                log_info("Restarting %s: watch triggered by %s", name, path);

        /* the state says which change restarted it, as process-compose's watch_trigger_path */
        if (free_and_strdup(&p->pub.watch_trigger_path, path) >= 0)
                p->pub.watch_trigger_time = now_usec(CLOCK_REALTIME);

        c = new0(WatchCascade, 1);
        if (!c || strv_extend(&c->names, name) < 0) {
                free(c);
                log_oom();
                return;
        }
        c->m = m;
        now = event_now(m->event, CLOCK_MONOTONIC);
        watcher_note_restart(m->watcher, name, now);
        for (size_t i = 0; i < n_dependents; i++) {
                watcher_note_restart(m->watcher, dependents[i]->pub.name, now);
                if (strv_extend(&c->names, dependents[i]->pub.name) < 0)
                        log_oom();
        }
        c->next_cascade = m->watch_cascades;
        m->watch_cascades = c;
        cascade_step(c);
}

static void manager_on_watch_report(const char *name, bool error, const char *message, void *userdata) {
        Manager *m = userdata;
        Proc *p = manager_find(m, name);

        if (error)
                log_error("File watch: %s", message);
        else
                log_warning("File watch: %s", message);
        /* in the process's own log too, where `pcctl process logs` and the API show it */
        if (p)
                proc_log(p, "%s: file watch: %s", error ? "Error" : "Warning", message);
        /* a suspended watch no longer holds the project up */
        manager_schedule_check(m);
}

static const WatcherCallbacks watch_callbacks = {
        .fire = manager_on_watch_fire,
        .report = manager_on_watch_report,
};

static void proc_watch_add(Proc *p, char * const *log_exclusions) {
        Manager *m = p->m;
        _cleanup_free_ char *error = NULL;
        int r;

        r = watcher_add(m->watcher, p->pub.name, proc_config(p)->watch, log_exclusions, &error);
        if (r < 0) {
                if (error) {
                        log_error("File watch: process '%s': %s", p->pub.name, error);
                        proc_log(p, "Error: file watch: %s", error);
                } else
                        log_error_errno(r, "File watch: process '%s': cannot watch: %m", p->pub.name);
                return;
        }
        log_debug("Watching %zu path(s) for process %s", proc_config(p)->watch->n_paths, p->pub.name);
}

/* The processes' watch_armed flags, for is_watched and the Watching status. */
static void manager_watch_update_armed(Manager *m) {
        for (size_t i = 0; i < m->n_procs; i++) {
                Proc *p = m->procs[i];
                bool armed = p->watched_config && !p->user_stopped && watcher_armed(m->watcher, p->pub.name);

                if (armed != p->pub.watch_armed) {
                        p->pub.watch_armed = armed;
                        proc_changed(p);
                }
        }
}

void manager_watch_sync(Manager *m) {
        _cleanup_strv_free_ char **log_exclusions = NULL;
        bool have_exclusions = false;
        int r;

        if (m->shutting_down || m->options.no_watch) {
                /* a file touched by a shutdown.command must not restart what is being stopped */
                m->watcher = watcher_free(m->watcher);
                manager_watch_update_armed(m);
                return;
        }
        for (size_t i = 0; i < m->n_procs; i++) {
                Proc *p = m->procs[i];
                const ComposeWatch *want = proc_watch_eligible(p) ? proc_config(p)->watch : NULL;

                if (want == p->watched_config)
                        continue;
                p->watched_config = want;
                if (!want) {
                        watcher_remove(m->watcher, p->pub.name);
                        continue;
                }
                if (!m->watcher) {
                        r = watcher_new(m->event, &watch_callbacks, m, &m->watcher);
                        if (r < 0) {
                                log_error_errno(r, "File watch: cannot set up inotify: %m");
                                return;
                        }
                }
                if (!have_exclusions) {
                        if (manager_log_exclusions(m, &log_exclusions) < 0) {
                                log_oom();
                                return;
                        }
                        have_exclusions = true;
                }
                proc_watch_add(p, log_exclusions);
        }
        manager_watch_update_armed(m);
}

void manager_watch_free(Manager *m) {
        while (m->watch_cascades)
                cascade_free(m->watch_cascades);
        m->watcher = watcher_free(m->watcher);
}

bool manager_watch_armed(Manager *m) {
        manager_watch_update_armed(m);
        for (size_t i = 0; i < m->n_procs; i++)
                if (m->procs[i]->pub.watch_armed)
                        return true;
        return false;
}
