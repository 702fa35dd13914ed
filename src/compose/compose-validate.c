/* Validating, the fourth stage of compose_load() (compat §1.6): the checks of process-compose's
 * validators. Some are errors only in strict projects (soft()); the others always are. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compose/compose-table.h"
#include "compose/cron-calendar.h"
#include "shared/glob-util.h"
#include "shared/strv.h"

/* ---- validation (compat §1.6) ---- */

static int soft(ComposeProject *p, ComposeError *e, const ComposePos *pos, const char *fmt, ...) _printf_(4, 5);
static int soft(ComposeProject *p, ComposeError *e, const ComposePos *pos, const char *fmt, ...) {
        _cleanup_free_ char *m = NULL;
        va_list ap;
        int k;

        va_start(ap, fmt);
        k = vasprintf(&m, fmt, ap);
        va_end(ap);
        if (k < 0)
                return -ENOMEM;
        if (p->is_strict)
                return compose_error_set(e, -EINVAL, pos ? pos->file : NULL, pos ? pos->line : 0,
                                         pos ? pos->column : 0, "%s", m);
        return compose_project_add_warning(p, pos, "%s", m);
}

static bool log_level_valid(const char *l) {
        static const char * const levels[] = { "", "trace", "debug", "info", "warn", "error", "fatal", "panic",
                                               "disabled" };
        char *end;

        for (size_t i = 0; i < ELEMENTSOF(levels); i++)
                if (streq(l, levels[i]))
                        return true;
        /* zerolog also accepts level numbers */
        (void) strtol(l, &end, 10);
        return *l && !*end;
}

static int find_in_path(const char *cmd, char * const *env) {
        const char *path;
        _cleanup_strv_free_ char **dirs = NULL;

        if (strchr(cmd, '/'))
                return access(cmd, X_OK) == 0 ? 0 : -ENOENT;
        path = strv_env_get(env, "PATH");
        if (isempty(path))
                return -ENOENT;
        dirs = strv_split(path, ":", false);
        if (!dirs)
                return -ENOMEM;
        STRV_FOREACH(d, dirs) {
                _cleanup_free_ char *f = NULL;
                struct stat st;
                if (asprintf(&f, "%s/%s", *d, cmd) < 0)
                        return -ENOMEM;
                if (stat(f, &st) == 0 && S_ISREG(st.st_mode) && access(f, X_OK) == 0)
                        return 0;
        }
        return -ENOENT;
}

static const ComposePos *dep_pos(const ComposeProcess *p, const char *dep) {
        for (size_t i = 0; i < p->n_depends_on; i++)
                if (streq(p->depends_on[i].name, dep))
                        return &p->depends_on[i].pos;
        return &p->pos;
}

static int check_processes(ComposeProject *p, ComposeError *e) {
        int r;

        for (size_t i = 0; i < p->n_processes; i++) {
                ComposeProcess *proc = p->processes[i];
                for (size_t j = 0; j < proc->n_success_exit_codes; j++)
                        if (proc->success_exit_codes[j] < 0 || proc->success_exit_codes[j] > 255) {
                                r = soft(p, e, &proc->pos,
                                         "invalid success_exit_codes value %d in process '%s': exit codes must be in the range 0-255",
                                         proc->success_exit_codes[j], proc->name);
                                if (r < 0)
                                        return r;
                                break;
                        }
                if (!isempty(proc->shutdown.send_keys) && !proc->is_interactive && !proc->is_tty) {
                        r = soft(p, e, &proc->pos, "process '%s': shutdown.send_keys requires is_interactive (or is_tty)",
                                 proc->name);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

/* The decoder's findings: unknown keys first (as process-compose reports them), the others last. */
static int judge_findings(ComposeProject *p, const ComposeFindings *findings, bool unknown_keys, ComposeError *e) {
        int r;

        for (size_t i = 0; i < findings->n; i++)
                if (!!startswith(findings->items[i].message, "unknown key") == unknown_keys) {
                        r = soft(p, e, &findings->items[i].pos, "%s", findings->items[i].message);
                        if (r < 0)
                                return r;
                }
        return 0;
}

static int check_env_files(ComposeProject *p, ComposeError *e) {
        int r;

        for (size_t i = 0; i < p->n_processes; i++) {
                ComposeProcess *proc = p->processes[i];
                _cleanup_free_ char *path = NULL;
                struct stat st;

                if (isempty(proc->env_file))
                        continue;
                if (proc->env_file[0] != '/' && !isempty(proc->working_dir))
                        path = path_join_clean(proc->working_dir, proc->env_file);
                else
                        path = strdup(proc->env_file);
                if (!path)
                        return -ENOMEM;
                if (path[0] != '/') {
                        char *abs = path_join_clean(p->working_directory, path);
                        if (!abs)
                                return -ENOMEM;
                        if (stat(abs, &st) < 0 && errno == ENOENT) {
                                free(abs);
                                goto missing;
                        }
                        free(abs);
                        continue;
                }
                if (stat(path, &st) < 0 && errno == ENOENT) {
                missing:
                        r = soft(p, e, proc->pos_env_file.file ? &proc->pos_env_file : &proc->pos,
                                 "env_file '%s' for process '%s' does not exist", path, proc->name);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

static int check_cycles(ComposeProject *p, ComposeError *e) {
        _cleanup_strv_free_ char **cycle = NULL;
        _cleanup_free_ char *chain = NULL;
        const ComposePos *pos;
        int r;

        r = compose_find_cycle(p, &cycle);
        if (r <= 0)
                return r;
        chain = strv_join(cycle, " -> ");
        pos = dep_pos(compose_project_find_process(p, cycle[0]), cycle[1]);
        return compose_error_set(e, -ELOOP, pos->file, pos->line, pos->column, "circular dependency found in '%s': %s",
                                 cycle[0], strempty(chain));
}

static int check_dependencies(ComposeProject *p, ComposeError *e) {
        int r;

        for (size_t i = 0; i < p->n_processes; i++) {
                ComposeProcess *proc = p->processes[i];
                for (size_t j = 0; j < proc->n_depends_on; j++) {
                        ComposeDependency *d = &proc->depends_on[j];
                        ComposeProcess *dp = compose_project_find_process(p, d->name);
                        if (!dp)
                                return compose_error_set(e, -EINVAL, d->pos.file, d->pos.line, d->pos.column,
                                                         "dependency process '%s' in process '%s' is not defined",
                                                         d->name, proc->name);
                        if (d->condition == COMPOSE_CONDITION_PROCESS_HEALTHY && !dp->readiness_probe &&
                            !dp->liveness_probe) {
                                r = soft(p, e, &d->pos, "health dependency defined in '%s' but no health check exists in '%s'",
                                         proc->name, d->name);
                                if (r < 0)
                                        return r;
                        }
                        if (d->condition == COMPOSE_CONDITION_PROCESS_LOG_READY && isempty(dp->ready_log_line))
                                return compose_error_set(e, -EINVAL, d->pos.file, d->pos.line, d->pos.column,
                                                         "log ready dependency defined in '%s' but no ready log line exists in '%s'",
                                                         proc->name, d->name);
                        if (dp->disabled && !proc->disabled) {
                                r = soft(p, e, &d->pos, "dependency process '%s' in process '%s' is disabled", d->name,
                                         proc->name);
                                if (r < 0)
                                        return r;
                        }
                }
        }
        for (size_t i = 0; i < p->n_processes; i++) {
                ComposeProcess *proc = p->processes[i];
                if (proc->readiness_probe && !isempty(proc->ready_log_line))
                        return compose_error_set(e, -EINVAL, proc->pos.file, proc->pos.line, proc->pos.column,
                                                 "'ready_log_line' and readiness probe defined in '%s' are incompatible",
                                                 proc->name);
        }
        return 0;
}

static int check_watch_patterns(ComposeProject *p, ComposeProcess *proc, const ComposeWatchPath *wp,
                                ComposeError *e) {
        const ComposePos *pos = wp->pos.file ? &wp->pos : &proc->pos;
        int r;

        STRV_FOREACH(g, wp->include)
                if (!glob_is_valid(*g) &&
                    (r = soft(p, e, pos, "process '%s' watch path '%s' has an invalid include pattern '%s'", proc->name,
                              wp->path, *g)) < 0)
                        return r;
        STRV_FOREACH(g, wp->exclude)
                if (!glob_is_valid(*g) &&
                    (r = soft(p, e, pos, "process '%s' watch path '%s' has an invalid exclude pattern '%s'", proc->name,
                              wp->path, *g)) < 0)
                        return r;
        return 0;
}

static int check_watch_paths(ComposeProject *p, ComposeProcess *proc, ComposeError *e) {
        ComposeWatch *w = proc->watch;
        int r;

        for (size_t j = 0; j < w->n_paths; j++) {
                const char *wp = strempty(w->paths[j].path);
                struct stat st;
                if (isempty(wp)) {
                        r = soft(p, e, &proc->pos, "process '%s' has a watch path with an empty 'path'", proc->name);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (strstr(wp, "{{")) {
                        r = soft(p, e, &proc->pos,
                                 "process '%s' watch path '%s' uses a template variable, which is not supported for watch paths",
                                 proc->name, wp);
                        if (r < 0)
                                return r;
                        continue;
                }
                r = check_watch_patterns(p, proc, &w->paths[j], e);
                if (r < 0)
                        return r;
                if (stat(wp, &st) < 0 && errno == ENOENT) {
                        r = soft(p, e, &proc->pos, "watch path '%s' for process '%s' does not exist", wp, proc->name);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

/* The zone database, as Go's time.LoadLocation() reads it ($ZONEINFO aside). */
static bool timezone_exists(const char *tz) {
        _cleanup_free_ char *f = NULL;
        const char *dir = getenv("TZDIR");

        if (isempty(tz) || streq(tz, "UTC") || streq(tz, "Local"))
                return true;
        if (!cron_timezone_is_valid(tz) || asprintf(&f, "%s/%s", isempty(dir) ? "/usr/share/zoneinfo" : dir, tz) < 0)
                return false;
        return access(f, R_OK) == 0;
}

/* A cron expression systemd cannot be given is refused where it was written (process-compose logs it when
 * it schedules and never runs the process). */
static int check_schedule(ComposeProcess *proc, ComposeError *e) {
        ComposeSchedule *s = proc->schedule;
        _cleanup_(cron_calendar_done) CronCalendar c = {};
        _cleanup_free_ char *m = NULL;
        const ComposePos *pos;
        int r;

        if (!s)
                return 0;
        if (!isempty(s->timezone) && !timezone_exists(s->timezone)) {
                pos = s->pos_timezone.file ? &s->pos_timezone : &proc->pos;
                return compose_error_set(e, -EINVAL, pos->file, pos->line, pos->column,
                                         "process '%s': unknown time zone '%s'", proc->name, s->timezone);
        }
        if (isempty(s->cron))
                return 0;
        r = cron_to_calendar(s->cron, s->timezone, &c, &m);
        if (r == -ENOMEM)
                return r;
        pos = s->pos_cron.file ? &s->pos_cron : &proc->pos;
        if (r < 0)
                return compose_error_set(e, r, pos->file, pos->line, pos->column,
                                         "process '%s': invalid cron expression \"%s\": %s", proc->name, s->cron,
                                         strna(m));
        return 0;
}

static int check_watch(ComposeProject *p, ComposeProcess *proc, ComposeError *e) {
        ComposeWatch *w = proc->watch;
        int64_t ns;
        int r;

        if (proc->schedule && proc->replicas > 1) {
                r = soft(p, e, &proc->pos, "scheduled process '%s' cannot be scaled (replicas > 1)", proc->name);
                if (r < 0)
                        return r;
        }
        if (!w)
                return 0;
        if (w->n_paths == 0)
                return soft(p, e, &proc->pos, "process '%s' has a 'watch' block with no 'paths'", proc->name);
        if (proc->replicas > 1 &&
            (r = soft(p, e, &proc->pos, "watched process '%s' cannot be scaled (replicas > 1)", proc->name)) < 0)
                return r;
        if (compose_schedule_is_set(proc->schedule) &&
            (r = soft(p, e, &proc->pos, "process '%s' cannot combine 'schedule' with 'watch'", proc->name)) < 0)
                return r;
        if (proc->is_foreground &&
            (r = soft(p, e, &proc->pos, "process '%s' cannot combine 'is_foreground' with 'watch'", proc->name)) < 0)
                return r;
        if (w->buffer_size != 0 && w->buffer_size < 4096 &&
            (r = soft(p, e, &proc->pos, "process '%s' has a watch 'buffer_size' of %d, below the minimum of %d bytes",
                      proc->name, w->buffer_size, 4096)) < 0)
                return r;
        if (parse_go_duration(w->debounce, &ns) < 0) {
                r = soft(p, e, &proc->pos,
                         "process '%s' has an invalid watch 'debounce' value '%s': invalid duration (expected a duration such as '300ms' or '1s')",
                         proc->name, w->debounce);
                if (r < 0)
                        return r;
        } else
                w->debounce_usec = ns > 0 ? (usec_t) ns / 1000 : 0;
        return check_watch_paths(p, proc, e);
}

int compose_validate(ComposeProject *p, const ComposeFindings *findings, char * const *env, ComposeError *e) {
        int r;

        if (!log_level_valid(strempty(p->log_level))) {
                if (p->is_strict)
                        return compose_error_set(e, -EINVAL, NULL, 0, 0, "unknown log level %s", p->log_level);
                r = compose_project_add_warning(p, NULL, "Unknown log level %s defaulting to info", p->log_level);
                if (r < 0)
                        return r;
        }
        r = check_processes(p, e);
        if (r < 0)
                return r;
        r = judge_findings(p, findings, true, e);
        if (r < 0)
                return r;
        r = check_env_files(p, e);
        if (r < 0)
                return r;
        r = check_cycles(p, e);
        if (r < 0)
                return r;
        r = find_in_path(p->shell.shell_command, env);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return compose_error_set(e, -ENOENT, NULL, 0, 0, "exec: \"%s\": executable file not found in $PATH",
                                         p->shell.shell_command);
        r = check_dependencies(p, e);
        if (r < 0)
                return r;
        for (size_t i = 0; i < p->n_processes; i++) {
                r = check_watch(p, p->processes[i], e);
                if (r < 0)
                        return r;
                r = check_schedule(p->processes[i], e);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < p->n_processes; i++) {
                ComposeProcess *proc = p->processes[i];
                if (proc->mcp && !proc->disabled) {
                        proc->disabled = true;
                        r = compose_project_add_warning(p, &proc->pos,
                                                        "MCP process '%s' should be disabled (setting disabled=true)",
                                                        proc->name);
                        if (r < 0)
                                return r;
                }
        }
        return judge_findings(p, findings, false, e);
}
