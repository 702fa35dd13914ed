/* Output: log_location files (compat §5.3), the log pass that prints every ring on the console and matches
 * ready_log_line, and the TTY status line. */
#include "core/manager-internal.h"

void proc_log(Proc *p, const char *fmt, ...) {
        _cleanup_free_ char *s = NULL;
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (n < 0 || !p->pub.log)
                return;
        (void) log_ring_append(p->pub.log, s, (size_t) n, now_usec(CLOCK_REALTIME), LOG_ERR, LOG_STREAM_PCCTL,
                               0, NULL);
        p->pub.last_activity = now_usec(CLOCK_REALTIME);
}

static bool proc_has_own_log_location(const Proc *p) {
        return proc_config(p) && !isempty(proc_config(p)->log_location);
}

void proc_open_log_file(Proc *p) {
        const ComposeProcess *c = proc_config(p);
        _cleanup_free_ char *path = NULL;
        LogFileConfig cfg;
        int r;

        if (p->log_file || !proc_has_own_log_location(p))
                return;
        r = process_spec_log_location(p->m->project, c, p->pub.replica_num, &path);
        if (r <= 0) {
                log_oom();
                return;
        }
        log_file_config_from_compose(c->log_configuration ?: p->m->project->log_configuration, &cfg);
        r = log_file_open(p->m->event, path, &cfg, &p->log_file);
        if (r < 0) {
                log_warning_errno(r, "Process %s: cannot open its log file %s: %m", p->pub.name, path);
                proc_log(p, "Error: cannot open log_location %s: %s", path, strerror(-r));
                return;
        }
        r = log_file_attach(p->log_file, p->pub.log, p->pub.base_name, (int) p->pub.replica_num);
        if (r < 0)
                p->log_file = log_file_close(p->log_file);
}

void proc_close_log_file(Proc *p) {
        p->log_file = log_file_close(p->log_file);
}

void proc_attach_project_log(Proc *p) {
        if (!p->m->project_log || p->in_project_log || proc_has_own_log_location(p) || !p->pub.log)
                return;
        if (log_file_attach(p->m->project_log, p->pub.log, p->pub.base_name, (int) p->pub.replica_num) >= 0)
                p->in_project_log = true;
}

void proc_detach_logs(Proc *p) {
        if (p->in_project_log && p->m->project_log)
                (void) log_file_detach(p->m->project_log, p->pub.log);
        p->in_project_log = false;
        proc_close_log_file(p);
}

void manager_open_project_log(Manager *m) {
        _cleanup_free_ char *path = NULL;
        LogFileConfig cfg;
        int r;

        r = process_spec_project_log_location(m->project, &path);
        if (r == 0)
                return;
        if (r < 0) {
                log_oom();
                return;
        }
        log_file_config_from_compose(m->project->log_configuration, &cfg);
        r = log_file_open(m->event, path, &cfg, &m->project_log);
        if (r < 0) {
                log_warning_errno(r, "Cannot open the project log file %s: %m", path);
                return;
        }
        for (size_t i = 0; i < m->n_procs; i++)
                proc_attach_project_log(m->procs[i]);
}

#define LOG_PASS_MAX_LINES 4096

int manager_on_log(sd_event_source *s, void *userdata) {
        Manager *m = userdata;
        bool more = false;

        for (size_t i = 0; i < m->n_procs; i++) {
                Proc *p = m->procs[i];
                LogRing *r = p->pub.log;
                uint64_t first, next;
                unsigned budget = LOG_PASS_MAX_LINES;

                if (!p->log_dirty || !r)
                        continue;
                p->log_dirty = false;
                first = log_ring_first_seq(r);
                next = log_ring_next_seq(r);

                if (p->print_seq < first)
                        p->print_seq = first;
                if (m->console) {
                        for (; p->print_seq < next && budget > 0; p->print_seq++, budget--) {
                                const LogEntry *e = log_ring_get(r, p->print_seq);
                                if (e)
                                        console_log_line(m->console, p->pub.name, e->message, e->len, e->stream);
                        }
                        if (p->print_seq < next)
                                p->log_dirty = more = true;
                } else
                        p->print_seq = next;

                if (p->ready_matching) {
                        const char *needle = proc_config(p) ? proc_config(p)->ready_log_line : NULL;
                        if (p->ready_seq < first)
                                p->ready_seq = first;
                        for (; p->ready_seq < next && !isempty(needle); p->ready_seq++) {
                                const LogEntry *e = log_ring_get(r, p->ready_seq);
                                if (e && e->stream != LOG_STREAM_PCCTL &&
                                    memmem(e->message, e->len, needle, strlen(needle))) {
                                        p->ready_seq++;
                                        p->ready_matching = false;
                                        (void) proc_dispatch(p, &(ProcEvent) { .type = PROC_EVENT_LOG_READY });
                                        break;
                                }
                        }
                }
        }
        if (more)
                (void) sd_event_source_set_enabled(m->log_event, SD_EVENT_ONESHOT);
        return 0;
}

/* The log pass until it is done (a pass prints at most LOG_PASS_MAX_LINES lines of each process): at the
 * end, where the loop would not run it again. */
void manager_print_logs(Manager *m) {
        for (unsigned pass = 0; pass < 1024; pass++) {
                bool dirty = false;

                (void) manager_on_log(m->log_event, m);
                for (size_t i = 0; i < m->n_procs && !dirty; i++)
                        dirty = m->procs[i]->log_dirty;
                if (!dirty)
                        break;
        }
}

void proc_on_ring(LogRing *ring, void *userdata) {
        Proc *p = userdata;

        p->log_dirty = true;
        p->log_dirty_state = true;
        (void) sd_event_source_set_enabled(p->m->log_event, SD_EVENT_ONESHOT);
}

int manager_on_status_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        unsigned pending = 0, running = 0, ready = 0, restarting = 0, stopping = 0, completed = 0, failed = 0,
                 skipped = 0, errors = 0, disabled = 0, total = 0;
        char buf[512], failures[160] = "";
        size_t fl = 0;

        for (size_t i = 0; i < m->n_procs; i++) {
                Proc *p = m->procs[i];
                if (p->fsm.removed)
                        continue;
                total++;
                switch (p->pub.status) {
                case PROC_PENDING:
                        pending++;
                        break;
                case PROC_RUNNING: case PROC_LAUNCHING: case PROC_LAUNCHED:
                        running++;
                        if (p->pub.health == PROC_HEALTH_READY)
                                ready++;
                        break;
                case PROC_RESTARTING:
                        restarting++;
                        break;
                case PROC_TERMINATING:
                        stopping++;
                        break;
                case PROC_COMPLETED:
                        completed++;
                        if (!lifecycle_is_success(proc_config(p), p->pub.exit_code)) {
                                failed++;
                                if (fl < sizeof(failures) - 40) {
                                        int n = snprintf(failures + fl, sizeof(failures) - fl, "%s%s=%d",
                                                         fl ? " " : "", p->pub.name, p->pub.exit_code);
                                        if (n > 0)
                                                fl = MIN(fl + (size_t) n, sizeof(failures) - 1);
                                }
                        }
                        break;
                case PROC_SKIPPED:
                        skipped++;
                        break;
                case PROC_ERROR:
                        errors++;
                        break;
                case PROC_DISABLED: case PROC_FOREGROUND:
                        disabled++;
                        break;
                default:
                        break;
                }
        }

        /* compact, only what is non-zero, cut to the terminal's width (a wrapped line could not be
         * redrawn in place) */
        {
                char text[400];
                size_t l = 0;
                struct winsize ws = {};
                size_t width = 80;

#define PART(cond, ...)                                                                         \
                if ((cond) && l < sizeof(text)) {                                               \
                        int _n = snprintf(text + l, sizeof(text) - l, __VA_ARGS__);             \
                        if (_n > 0)                                                             \
                                l = MIN(l + (size_t) _n, sizeof(text) - 1);                     \
                }
                PART(true, "%u/%u running", running, total - disabled);
                PART(ready, ", %u ready", ready);
                PART(pending, ", %u pending", pending);
                PART(restarting, ", %u restarting", restarting);
                PART(stopping, ", %u terminating", stopping);
                PART(completed, ", %u completed", completed);
                PART(failed, " (exit code: %s)", failures);
                PART(skipped, ", %u skipped", skipped);
                PART(errors, ", %u error", errors);
                PART(m->shutting_down, ", stopping");
#undef PART
                if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) >= 0 && ws.ws_col > 0)
                        width = ws.ws_col;
                width = width > strlen(m->project->project_name) + 12 ?
                        width - strlen(m->project->project_name) - 12 : 10;
                if (l > width)
                        text[width] = 0;
                snprintf(buf, sizeof(buf), "\033[7m pcctl %s \033[0m %s", m->project->project_name, text);
        }
        console_set_status(m->console, buf);
        return 0;
}

void manager_status_dirty(Manager *m) {
        if (!m->status_timer)
                return;
        if (sd_event_source_get_enabled(m->status_timer, NULL) > 0)
                return;
        (void) sd_event_source_set_time_relative(m->status_timer, 100 * USEC_PER_MSEC);
        (void) sd_event_source_set_enabled(m->status_timer, SD_EVENT_ONESHOT);
}

/* Once, when every process `up` started runs: the figure bench/core-start100.sh reads. */
void manager_log_all_running(Manager *m) {
        JournalFollowerStats st;
        size_t n = 0;

        if (m->all_running_logged || log_get_max_level() < LOG_DEBUG)
                return;
        for (size_t i = 0; i < m->n_procs; i++) {
                Proc *q = m->procs[i];
                if (IN_SET(q->fsm.state, PROC_STATE_WAITING, PROC_STATE_STARTING, PROC_STATE_RESTART_STARTING))
                        return;
                if (process_is_running(&q->pub))
                        n++;
        }
        m->all_running_logged = true;
        journal_follower_get_stats(m->follower, &st);
        log_debug("All %zu processes are running, %.3f s after the start (journal follower: %" PRIu64
                  " match rebuilds, %" PRIu64 " polls).", n,
                  (double) (now_usec(CLOCK_REALTIME) - m->start_time) / USEC_PER_SEC, st.rebuilds, st.polls);
}
