/* Compose process → UnitSpec, probe configs and log paths: see process-spec.h. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compose/cron-calendar.h"
#include "core/lifecycle.h"
#include "core/process-spec.h"
#include "shared/path-util.h"
#include "shared/strv.h"

#define REPLICA_NUM_PLACEHOLDER "{PC_REPLICA_NUM}"

static const char *project_shell(const ComposeProject *project) {
        return project->shell.shell_command ?: "bash";
}

static const char *project_shell_argument(const ComposeProject *project) {
        return project->shell.shell_argument ?: "-c";
}

/* What systemd.exec(5) ("Environment Variables in Spawned Processes") sets for one service and its own
 * processes only. A unit's Environment= overrides what systemd sets for it, so an inherited JOURNAL_STREAM
 * or INVOCATION_ID would replace the process's own, and NOTIFY_SOCKET would point sd_notify() at the
 * controller's unit. */
static const char *const service_variables[] = {
        "NOTIFY_SOCKET", "LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES", "INVOCATION_ID", "JOURNAL_STREAM",
        "MAINPID", "MANAGERPID", "SYSTEMD_EXEC_PID", "WATCHDOG_PID", "WATCHDOG_USEC", "PIDFILE",
        "SERVICE_RESULT", "EXIT_CODE", "EXIT_STATUS", "REMOTE_ADDR", "REMOTE_PORT",
        "RUNTIME_DIRECTORY", "STATE_DIRECTORY", "CACHE_DIRECTORY", "LOGS_DIRECTORY", "CONFIGURATION_DIRECTORY",
        "CREDENTIALS_DIRECTORY", "MEMORY_PRESSURE_WATCH", "MEMORY_PRESSURE_WRITE",
        "MONITOR_SERVICE_RESULT", "MONITOR_EXIT_CODE", "MONITOR_EXIT_STATUS", "MONITOR_INVOCATION_ID",
        "MONITOR_UNIT", "TRIGGER_UNIT", "TRIGGER_PATH", "TRIGGER_TIMER_REALTIME_USEC",
        "TRIGGER_TIMER_MONOTONIC_USEC",
};

bool process_spec_is_service_variable(const char *assignment) {
        size_t n = strcspn(assignment, "=");

        for (size_t i = 0; i < ELEMENTSOF(service_variables); i++)
                if (strlen(service_variables[i]) == n && strncmp(assignment, service_variables[i], n) == 0)
                        return true;
        return false;
}

/**
 * process_spec_inherited_environment() - pcctl's own environment, as its processes inherit it.
 * @environ: pcctl's environment
 * @ret: set to a new list: @environ without the variables the service manager set for pcctl's own service
 *
 * Return: 0 or -ENOMEM.
 */
int process_spec_inherited_environment(char * const *environ, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;

        l = new0(char *, 1);
        if (!l)
                return -ENOMEM;
        STRV_FOREACH(e, environ)
                if (!process_spec_is_service_variable(*e) && strv_extend(&l, *e) < 0)
                        return -ENOMEM;
        *ret = TAKE_PTR(l);
        return 0;
}

/**
 * process_spec_working_dir() - the directory a process runs in, absolute and clean.
 * @project: the project; a relative working_dir is relative to its working_directory
 * @process: the process; an empty working_dir is the project's directory
 * @ret: set to a new string
 *
 * process-compose hands a relative working_dir to the kernel, relative to its own CWD, which pcctl keeps as
 * the project's working_directory. The kernel resolves ".." there; systemd refuses it in WorkingDirectory=,
 * so it is resolved here, lexically: "../" of "/srv/app" is "/srv".
 *
 * Return: 0 or -ENOMEM.
 */
int process_spec_working_dir(const ComposeProject *project, const ComposeProcess *process, char **ret) {
        return path_resolve(project->working_directory, process->working_dir, ret);
}

/**
 * process_spec_log_location() - the file a process's own log_location names, for one replica.
 * @project: the project; a relative log_location is relative to its working_directory
 * @process: the process
 * @replica_num: the replica
 * @ret: set to a new absolute, clean path, or NULL when the process has no log_location
 *
 * "{PC_REPLICA_NUM}" (its first occurrence) becomes the replica number; without it, a process with more
 * than one replica gets ".<n>" appended, so replicas never share a file.
 *
 * Return: 1 with a path, 0 without log_location, -ENOMEM.
 */
int process_spec_log_location(const ComposeProject *project, const ComposeProcess *process, unsigned replica_num,
                              char **ret) {
        const char *loc = process->log_location, *k;
        _cleanup_free_ char *s = NULL;
        int r;

        if (isempty(loc)) {
                *ret = NULL;
                return 0;
        }
        k = strstr(loc, REPLICA_NUM_PLACEHOLDER);
        if (k)
                r = asprintf(&s, "%.*s%u%s", (int) (k - loc), loc, replica_num, k + strlen(REPLICA_NUM_PLACEHOLDER));
        else if (process->replicas > 1)
                r = asprintf(&s, "%s.%u", loc, replica_num);
        else
                r = (s = strdup(loc)) ? 0 : -1;
        if (r < 0)
                return -ENOMEM;
        r = path_resolve(project->working_directory, s, ret);
        return r < 0 ? r : 1;
}

/**
 * process_spec_project_log_location() - the file of the project's log_location.
 * @project: the project
 * @ret: set to a new absolute, clean path, or NULL without log_location
 *
 * Return: 1 with a path, 0 without log_location, -ENOMEM.
 */
int process_spec_project_log_location(const ComposeProject *project, char **ret) {
        int r;

        if (isempty(project->log_location)) {
                *ret = NULL;
                return 0;
        }
        r = path_resolve(project->working_directory, project->log_location, ret);
        return r < 0 ? r : 1;
}

/**
 * process_spec_shutdown_unit() - the unit name of a process's shutdown.command.
 * @unit: the process's unit, "<name>.service"
 * @ret: set to "<name>-shutdown.service"
 *
 * Return: 0 or -ENOMEM.
 */
int process_spec_shutdown_unit(const char *unit, char **ret) {
        const char *suffix = endswith(unit, ".service");
        size_t n = suffix ? (size_t) (suffix - unit) : strlen(unit);

        if (asprintf(ret, "%.*s-shutdown.service", (int) n, unit) < 0)
                return -ENOMEM;
        return 0;
}

int process_spec_timer_unit(const char *unit, char **ret) {
        const char *suffix = endswith(unit, ".service");
        size_t n = suffix ? (size_t) (suffix - unit) : strlen(unit);

        if (asprintf(ret, "%.*s.timer", (int) n, unit) < 0)
                return -ENOMEM;
        return 0;
}

int process_spec_instance_unit(const char *unit, unsigned i, char **ret) {
        const char *suffix = endswith(unit, ".service");
        size_t n = suffix ? (size_t) (suffix - unit) : strlen(unit);

        if (asprintf(ret, "%.*s@%u.service", (int) n, unit, i) < 0)
                return -ENOMEM;
        return 0;
}

void process_launcher_spec_done(ProcessLauncherSpec *s) {
        s->services = mfree(s->services);
        s->n_services = 0;
        s->instances = strv_free(s->instances);
        s->argv = strv_free(s->argv);
        s->environment = strv_free(s->environment);
        s->description = mfree(s->description);
}

/* The launcher's program: $0 is the process's name, $1 systemctl's scope flag, the rest the instances. It
 * starts the first one that is not active without waiting for it (--no-block), so that it ends at once and
 * the timer, which does not elapse while its service is active, keeps its schedule. It always exits 0: a
 * failed launcher would stay loaded, and keep its instances loaded, after the project is gone (a start
 * refused while the slice stops), and systemd counts a oneshot's death by SIGTERM (a stop of the process
 * while it runs) as a failure, hence the trap. */
#define LAUNCHER_SCRIPT                                                                                         \
        "trap 'exit 0' TERM; m=$1; shift; "                                                                      \
        "for u in \"$@\"; do "                                                                                 \
        "systemctl $m -q is-active \"$u\" && continue; "                                                       \
        "systemctl $m start --no-block \"$u\" || echo \"Cannot start a scheduled run of $0 ($u)\"; exit 0; "     \
        "done; "                                                                                                \
        "echo \"Skipping scheduled run of $0: max concurrent ($#) reached\""

/* what systemctl needs to find and reach the manager; nothing else of pcctl's environment */
static const char *const launcher_env[] = { "PATH", "XDG_RUNTIME_DIR", "DBUS_SESSION_BUS_ADDRESS",
                                            "DBUS_SYSTEM_BUS_ADDRESS" };

int process_spec_launcher(const ProcessSpecInput *in, const UnitSpec *run, unsigned n, ProcessLauncherSpec *ret) {
        _cleanup_(process_launcher_spec_done) ProcessLauncherSpec l = {};
        int r;

        if (n < 2 || !in->unit)
                return -EINVAL;
        for (unsigned i = 1; i <= n; i++) {
                char *u;

                r = process_spec_instance_unit(in->unit, i, &u);
                if (r < 0)
                        return r;
                r = strv_consume(&l.instances, u);
                if (r < 0)
                        return r;
        }
        if (strv_extend(&l.argv, "/bin/sh") < 0 || strv_extend(&l.argv, "-c") < 0 ||
            strv_extend(&l.argv, LAUNCHER_SCRIPT) < 0 || strv_extend(&l.argv, in->name) < 0 ||
            strv_extend(&l.argv, in->scope == UNIT_MANAGER_SYSTEM ? "--system" : "--user") < 0)
                return -ENOMEM;
        STRV_FOREACH(u, l.instances)
                if (strv_extend(&l.argv, *u) < 0)
                        return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(launcher_env); i++) {
                const char *v = strv_env_get(in->os_environ, launcher_env[i]);

                if (!v && streq(launcher_env[i], "PATH"))
                        v = "/usr/local/bin:/usr/bin:/bin";
                if (v && strv_env_set(&l.environment, launcher_env[i], v) < 0)
                        return -ENOMEM;
        }
        if (asprintf(&l.description, "pcctl launcher of %s (max_concurrent %u)", in->name, n) < 0)
                return -ENOMEM;

        l.services = new0(UnitSpec, n + 1);
        if (!l.services)
                return -ENOMEM;
        l.n_services = n + 1;
        l.services[0] = (UnitSpec) {
                .unit = in->unit,
                .slice = in->slice,
                .description = l.description,
                .syslog_identifier = in->ident,   /* its "Skipping" line is in the process's log */
                .argv = l.argv,
                .environment = l.environment,
                .kill_mode = UNIT_KILL_CONTROL_GROUP,
                .timeout_stop = PROCESS_SPEC_STOP_TIMEOUT_DEFAULT_SEC * USEC_PER_SEC,
                .send_sigkill = true,
                .oneshot = true,
                .after = l.instances,
                .tty_fd = -1,
        };
        for (unsigned i = 0; i < n; i++) {
                l.services[i + 1] = *run;
                l.services[i + 1].unit = l.instances[i];
        }
        *ret = l;
        l = (ProcessLauncherSpec) {};
        return 0;
}

void process_timer_spec_done(ProcessTimerSpec *s) {
        s->unit_name = mfree(s->unit_name);
        s->description = mfree(s->description);
        s->on_calendar = strv_free(s->on_calendar);
        s->timer = (UnitTimerSpec) {};
}

int process_spec_timer(const ProcessSpecInput *in, ProcessTimerSpec *ret, char **ret_reason) {
        _cleanup_(process_timer_spec_done) ProcessTimerSpec t = {};
        const ComposeSchedule *sch = in->process->schedule;
        usec_t every = 0;
        int r;

        if (!compose_schedule_is_set(sch))
                return -EINVAL;
        r = process_spec_timer_unit(in->unit, &t.unit_name);
        if (r < 0)
                return r;
        /* cron wins over interval, as in process-compose */
        if (!isempty(sch->cron)) {
                CronCalendar c = {};

                r = cron_to_calendar(sch->cron, sch->timezone, &c, ret_reason);
                if (r < 0)
                        return r;
                t.on_calendar = TAKE_PTR(c.calendars);
                every = c.every_usec;
                r = asprintf(&t.description, "pcctl timer of %s (cron %s%s%s)", in->name, sch->cron,
                             isempty(sch->timezone) ? "" : " ", strempty(sch->timezone));
        } else {
                every = sch->interval_usec;
                if (every == 0) {
                        if (ret_reason)
                                *ret_reason = strdup("the schedule's interval must be above zero");
                        return -EINVAL;
                }
                r = asprintf(&t.description, "pcctl timer of %s (every %s)", in->name, sch->interval);
        }
        if (r < 0)
                return -ENOMEM;
        t.timer = (UnitTimerSpec) {
                .unit = t.unit_name,
                .description = t.description,
                .on_calendar = t.on_calendar,
                /* the first run after one interval, or at once with run_on_start */
                .has_on_active = every > 0 || sch->run_on_start,
                .on_active = sch->run_on_start ? 0 : every,
                .on_unit_active = every,
                .accuracy = USEC_PER_MSEC,
        };
        *ret = t;
        t = (ProcessTimerSpec) {};
        return 0;
}

/**
 * process_spec_compute_exec() - executable and args from command or entrypoint, as the loader does.
 * @project: the project (its shell)
 * @process: the process; executable and args are replaced
 *
 * command runs as [shell, shell_argument, command]; else entrypoint[0] with entrypoint[1:]; with neither,
 * executable and args stay as they are (compat §1.3).
 *
 * Return: 0 or -ENOMEM.
 */
int process_spec_compute_exec(const ComposeProject *project, ComposeProcess *process) {
        _cleanup_strv_free_ char **args = NULL;
        _cleanup_free_ char *exe = NULL;

        if (!isempty(process->command)) {
                exe = strdup(project_shell(project));
                if (!exe || strv_extend(&args, project_shell_argument(project)) < 0 ||
                    strv_extend(&args, process->command) < 0)
                        return -ENOMEM;
        } else if (process->entrypoint && process->entrypoint[0]) {
                exe = strdup(process->entrypoint[0]);
                args = strv_copy(process->entrypoint + 1);
                if (!exe || !args)
                        return -ENOMEM;
        } else
                return 0;
        free(process->executable);
        process->executable = TAKE_PTR(exe);
        strv_free(process->args);
        process->args = TAKE_PTR(args);
        return 0;
}

/* The __exec wrapper (stderr at priority 3, output under the ident), then the command: the shell with
 * shutdown_command, else executable and args. */
static int build_argv(const ProcessSpecInput *in, const char *shutdown_command, char ***ret) {
        const ComposeProcess *c = in->process;
        _cleanup_strv_free_ char **argv = NULL;
        int r;

        if (!shutdown_command && isempty(c->executable))
                return -ENOEXEC;

        /* the stderr wrapper feeds the journal; a process with the caller's stdio (`pcctl run`) needs none */
        if (in->stdio_fds && !shutdown_command)
                r = 0;
        else {
                r = strv_extend(&argv, in->exec_path);
                if (r >= 0)
                        r = strv_extend(&argv, "__exec");
                if (r >= 0)
                        r = strv_extend(&argv, in->ident);
                if (r >= 0)
                        r = strv_extend(&argv, "--");
        }
        if (shutdown_command) {
                if (r >= 0)
                        r = strv_extend(&argv, project_shell(in->project));
                if (r >= 0)
                        r = strv_extend(&argv, project_shell_argument(in->project));
                if (r >= 0)
                        r = strv_extend(&argv, shutdown_command);
        } else {
                if (r >= 0)
                        r = strv_extend(&argv, c->executable);
                STRV_FOREACH(a, c->args)
                        if (r >= 0)
                                r = strv_extend(&argv, *a);
        }
        if (r < 0)
                return r;
        *ret = TAKE_PTR(argv);
        return 0;
}

static int build_environment(const ProcessSpecInput *in, char ***ret, char **ret_reason) {
        ComposeError err = {};
        int r;

        r = compose_process_environment_from(in->project, in->process, in->os_environ, in->env_file, ret, &err);
        if (r < 0) {
                char *msg = compose_error_format(&err);

                if (!msg && asprintf(&msg, "cannot build the environment: %s", strerror(-r)) < 0)
                        msg = NULL;
                compose_error_done(&err);
                *ret_reason = msg;
        }
        return r;
}

static usec_t stop_timeout(const ComposeProcess *c) {
        /* [QUIRK] timeout_seconds 0 means "never SIGKILL" in process-compose, which can leave a project
         * hanging on `down` forever; we escalate after 10 s instead. */
        int sec = c->shutdown.timeout_seconds > 0 ? MIN(c->shutdown.timeout_seconds, PROCESS_SPEC_STOP_TIMEOUT_MAX_SEC)
                                                  : PROCESS_SPEC_STOP_TIMEOUT_DEFAULT_SEC;
        return (usec_t) sec * USEC_PER_SEC;
}

/* FNV-1a, 64 bits: a fingerprint, not a security boundary (the units are the user's own). The terminating NUL
 * goes in too, so that ("ab", "c") and ("a", "bc") differ. */
static uint64_t fnv1a_str(uint64_t h, const char *s) {
        const unsigned char *b = (const unsigned char *) strempty(s);

        do {
                h ^= *b;
                h *= UINT64_C(0x100000001b3);
        } while (*b++);
        return h;
}

/**
 * process_spec_hash() - a fingerprint of what a run is: command line, environment, working directory, stop
 * settings and x-systemd properties
 * @u: the unit spec
 * @os_environ: pcctl's own environment: variables inherited from it unchanged are left out, so that a
 *              controller started again from another shell does not see every unit as changed
 * @ret: 16 lowercase hex digits and a NUL
 *
 * A restarted controller compares it with the one in the Description of a running unit (docs/lifecycle.md
 * "Controller restarts").
 */
void process_spec_hash(const UnitSpec *u, char * const *os_environ, char ret[static PROCESS_SPEC_HASH_SIZE]) {
        uint64_t h = UINT64_C(0xcbf29ce484222325);
        char buf[96];

        STRV_FOREACH(a, u->argv)
                h = fnv1a_str(h, *a);
        h = fnv1a_str(h, "\001env");
        STRV_FOREACH(e, u->environment)
                if (!strv_contains(os_environ, *e))
                        h = fnv1a_str(h, *e);
        h = fnv1a_str(h, "\001wd");
        h = fnv1a_str(h, u->working_directory);
        (void) snprintf(buf, sizeof(buf), "%d/%llu/%d/%d/%d", u->kill_signal, (unsigned long long) u->timeout_stop,
                        (int) u->send_sigkill, (int) u->kill_mode, (int) u->exit_type_cgroup);
        h = fnv1a_str(h, buf);
        if (u->tty)
                h = fnv1a_str(h, "\001tty");
        for (size_t i = 0; i < u->n_extra; i++) {
                h = fnv1a_str(h, u->extra[i].key);
                h = fnv1a_str(h, u->extra[i].value);
        }
        (void) snprintf(ret, PROCESS_SPEC_HASH_SIZE, "%016llx", (unsigned long long) h);
}

bool process_spec_description_hash(const char *description, char ret[static PROCESS_SPEC_HASH_SIZE]) {
        const char *t = description ? strstr(description, " [spec ") : NULL;

        if (!t || strlen(t) != STRLEN(" [spec ") + 16 + 1 || t[STRLEN(" [spec ") + 16] != ']')
                return false;
        memcpy(ret, t + STRLEN(" [spec "), 16);
        ret[16] = 0;
        return true;
}

/**
 * process_spec_build() - the unit spec of a run of a process, or of its shutdown.command.
 * @in: the process and what surrounds it
 * @kind: PROCESS_SPEC_RUN or PROCESS_SPEC_SHUTDOWN
 * @ret: set to the spec; free it with process_spec_done(). Untouched on failure.
 * @ret_reason: on failure, may be set to a new text for the process log (why it cannot start)
 *
 * The run's argv is [exec_path, "__exec", ident, "--", executable, args...]; the shutdown unit's is
 * [exec_path, "__exec", ident, "--", shell, shell_argument, shutdown.command], with the same environment,
 * working directory, SyslogIdentifier and extras, but SIGTERM, KillMode=control-group and ExitType=main
 * whatever the process's shutdown and is_daemon say. The stop timeout is shutdown.timeout_seconds (10 s when
 * 0, at most a day), then SIGKILL.
 *
 * Return: 0; -ENOEXEC when there is nothing to run; -ENOENT/-EINVAL for an env_file error (strict);
 * -ENOMEM.
 */
int process_spec_build(const ProcessSpecInput *in, ProcessSpecKind kind, ProcessSpec *ret, char **ret_reason) {
        const ComposeProcess *c = in->process;
        const char *shutdown_command = kind == PROCESS_SPEC_SHUTDOWN ? strempty(c->shutdown.command) : NULL;
        _cleanup_(process_spec_done) ProcessSpec s = {};
        int r;

        if (kind < 0 || kind >= _PROCESS_SPEC_KIND_MAX)
                return -EINVAL;

        r = build_environment(in, &s.environment, ret_reason);
        if (r < 0)
                return r;
        r = build_argv(in, shutdown_command, &s.argv);
        if (r < 0) {
                if (asprintf(ret_reason, r == -ENOEXEC ? "no command or entrypoint to run" :
                             "cannot build the command line: %s", strerror(-r)) < 0)
                        *ret_reason = NULL;
                return r;
        }
        r = process_spec_working_dir(in->project, c, &s.working_directory);
        if (r < 0)
                return r;
        if (asprintf(&s.description, "pcctl %s: %s%s", strempty(in->project->project_name), strempty(in->name),
                     shutdown_command ? " (shutdown.command)" : "") < 0) {
                s.description = NULL;
                return -ENOMEM;
        }
        if (shutdown_command) {
                r = process_spec_shutdown_unit(in->unit, &s.unit_name);
                if (r < 0)
                        return r;
        }
        if (!shutdown_command && in->exit_record && in->exec_path && !in->stdio_fds) {
                s.exec_stop_post = strv_copy((char *[]) { (char *) in->exec_path, (char *) "__exited",
                                                          (char *) in->exit_record, NULL });
                if (!s.exec_stop_post)
                        return -ENOMEM;
        }
        if (c->n_x_systemd > 0) {
                s.extra = new0(UnitExtraProperty, c->n_x_systemd);
                if (!s.extra)
                        return -ENOMEM;
                for (size_t i = 0; i < c->n_x_systemd; i++)
                        s.extra[i] = (UnitExtraProperty) { c->x_systemd[i].key, c->x_systemd[i].value };
        }

        s.unit = (UnitSpec) {
                .unit = s.unit_name ?: in->unit,
                .slice = in->slice,
                .description = s.description,
                .syslog_identifier = in->ident,
                .argv = s.argv,
                .exec_stop_post = s.exec_stop_post,
                .environment = s.environment,
                .working_directory = s.working_directory,
                .kill_signal = c->shutdown.signal > 0 && c->shutdown.signal < 32 ? c->shutdown.signal : SIGTERM,
                .timeout_stop = stop_timeout(c),
                .send_sigkill = true,
                .kill_mode = c->shutdown.parent_only ? UNIT_KILL_MIXED : UNIT_KILL_CONTROL_GROUP,
                .exit_type_cgroup = c->is_daemon,
                .accounting = true,
                .extra = s.extra,
                .n_extra = c->n_x_systemd,
                .stdio_fds = shutdown_command ? NULL : in->stdio_fds,
                .tty = !shutdown_command && !in->stdio_fds &&
                       (c->is_tty || c->is_interactive),
                .tty_fd = -EBADF,
        };
        /* process-compose stops a process on a terminal with SIGHUP instead of SIGTERM: shells ignore the
         * latter */
        if (s.unit.tty && s.unit.kill_signal == SIGTERM)
                s.unit.kill_signal = SIGHUP;
        if (shutdown_command) {
                /* the shutdown unit runs the command only: nothing of the process's own stop behaviour */
                s.unit.exit_type_cgroup = false;
                s.unit.kill_mode = UNIT_KILL_CONTROL_GROUP;
                s.unit.kill_signal = SIGTERM;
                s.unit.accounting = false;
        } else {
                /* the run's fingerprint goes where a restarted controller reads it back (ListUnitsByPatterns
                 * has the Description) */
                char hash[PROCESS_SPEC_HASH_SIZE];
                char *d = NULL;

                process_spec_hash(&s.unit, in->os_environ, hash);
                if (asprintf(&d, "%s [spec %s]", s.description, hash) < 0)
                        return -ENOMEM;
                free(s.description);
                s.description = d;
                s.unit.description = s.description;
        }
        *ret = s;
        s = (ProcessSpec) {};
        return 0;
}

void process_spec_done(ProcessSpec *s) {
        s->unit_name = mfree(s->unit_name);
        s->argv = strv_free(s->argv);
        s->exec_stop_post = strv_free(s->exec_stop_post);
        s->environment = strv_free(s->environment);
        s->working_directory = mfree(s->working_directory);
        s->description = mfree(s->description);
        s->extra = mfree(s->extra);
        s->unit = (UnitSpec) {};
}

static int probe_exec(const ProcessSpecInput *in, const ComposeProbeExec *exec, const ProcessSpec *run,
                      ProcessProbeSpec *s) {
        int r;

        s->config.kind = PROBE_EXEC;
        r = strv_extend(&s->argv, project_shell(in->project));
        if (r >= 0)
                r = strv_extend(&s->argv, project_shell_argument(in->project));
        if (r >= 0)
                r = strv_extend(&s->argv, strempty(exec->command));
        if (r < 0)
                return r;
        s->config.argv = s->argv;
        lifecycle_probe_identity(in->process, in->scope == UNIT_MANAGER_SYSTEM, &s->config.user, &s->config.group);

        /* the probe's own working_dir (the loader copies the process's into an empty one), else the run's */
        if (!isempty(exec->working_dir))
                r = path_resolve(in->project->working_directory, exec->working_dir, &s->working_directory);
        else if (run && run->working_directory)
                r = (s->working_directory = strdup(run->working_directory)) ? 0 : -ENOMEM;
        else
                r = process_spec_working_dir(in->project, in->process, &s->working_directory);
        if (r < 0)
                return r;
        s->config.working_directory = s->working_directory;
        return 0;
}

static int probe_http(const ComposeProbeHttp *h, ProcessProbeSpec *s) {
        s->config.kind = PROBE_HTTP_GET;
        s->config.host = h->host;
        s->config.scheme = h->scheme;
        s->config.path = h->path;
        s->config.port = h->num_port;
        s->config.status_code = h->status_code;
        if (h->n_headers > 0) {
                s->headers = new0(ProbeHeader, h->n_headers);
                if (!s->headers)
                        return -ENOMEM;
                for (size_t i = 0; i < h->n_headers; i++)
                        s->headers[i] = (ProbeHeader) { h->headers[i].key, h->headers[i].value };
                s->config.headers = s->headers;
                s->config.n_headers = h->n_headers;
        }
        return 0;
}

/**
 * process_spec_probe() - the config of one probe of a process.
 * @in: the process
 * @probe: its readiness or liveness probe
 * @run: the spec of the run the probe checks (its environment and working directory); may be NULL
 * @ret: set to the config; free it with process_probe_spec_done(). Untouched on failure.
 *
 * An exec probe runs [shell, shell_argument, command] with the run's environment, in the probe's own
 * working_dir (resolved as the process's is) or else the run's, as the process's User=/Group= in --system
 * mode. Times are capped at PROBE_SECONDS_MAX.
 *
 * Return: 0, -EINVAL for a probe with neither exec nor http_get, -ENOMEM.
 */
int process_spec_probe(const ProcessSpecInput *in, const ComposeProbe *probe, const ProcessSpec *run,
                       ProcessProbeSpec *ret) {
        _cleanup_(process_probe_spec_done) ProcessProbeSpec s = {};
        int r;

        s.config = (ProbeConfig) {
                .environment = run ? run->environment : NULL,
                .initial_delay_seconds = MIN(probe->initial_delay_seconds, PROBE_SECONDS_MAX),
                .period_seconds = MIN(probe->period_seconds, PROBE_SECONDS_MAX),
                .timeout_seconds = MIN(probe->timeout_seconds, PROBE_SECONDS_MAX),
                .success_threshold = probe->success_threshold,
                .failure_threshold = probe->failure_threshold,
        };
        if (probe->exec)
                r = probe_exec(in, probe->exec, run, &s);
        else if (probe->http_get)
                r = probe_http(probe->http_get, &s);
        else
                r = -EINVAL;
        if (r < 0)
                return r;
        *ret = s;
        s = (ProcessProbeSpec) {};
        return 0;
}

void process_probe_spec_done(ProcessProbeSpec *s) {
        s->argv = strv_free(s->argv);
        s->working_directory = mfree(s->working_directory);
        s->headers = mfree(s->headers);
        s->config = (ProbeConfig) {};
}
