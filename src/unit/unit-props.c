/* Building the property array of StartTransientUnit from a UnitSpec, and naming systemd's exit codes.
 *
 * Pure code: it only appends to an sd_bus_message, so the unit tests can read the array back without a
 * manager. Which properties are set, and why, is in docs/units.md. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "shared/macro.h"
#include "shared/strv.h"
#include "unit/unit-driver.h"
#include "unit/unit-xprops.h"

/* Limits on what one spec may carry, so a hostile compose file cannot build a message sd-bus refuses
 * (its limit is 128 MiB) or make the manager parse megabytes. */
#define UNIT_SPEC_ARGV_MAX 4096
#define UNIT_SPEC_ENV_MAX 8192
#define UNIT_SPEC_EXTRA_MAX UNIT_XPROPS_MAX
#define UNIT_SPEC_STRING_MAX (256 * 1024)
#define UNIT_SEARCH_PATH_MAX 256

static const char *const kill_mode_table[_UNIT_KILL_MODE_MAX] = {
        [UNIT_KILL_CONTROL_GROUP] = "control-group",
        [UNIT_KILL_MIXED] = "mixed",
};

const char *unit_kill_mode_to_string(UnitKillMode m) {
        if (m < 0 || m >= _UNIT_KILL_MODE_MAX)
                return NULL;
        return kill_mode_table[m];
}

static bool strv_within(char * const *l, size_t max_items, size_t *ret_n) {
        size_t n = 0;

        STRV_FOREACH(s, l) {
                if (++n > max_items || strlen(*s) > UNIT_SPEC_STRING_MAX)
                        return false;
        }
        if (ret_n)
                *ret_n = n;
        return true;
}

int unit_spec_validate(const UnitSpec *spec, const char **ret_field) {
        const char *field = NULL;
        size_t n_argv = 0;

        if (!spec)
                return -EINVAL;

        if (!spec->unit || !unit_name_is_valid(spec->unit) || !endswith(spec->unit, ".service"))
                field = "unit";
        else if (spec->slice && (!unit_name_is_valid(spec->slice) || !endswith(spec->slice, ".slice")))
                field = "Slice";
        else if (!strv_within(spec->argv, UNIT_SPEC_ARGV_MAX, &n_argv) || n_argv == 0 || isempty(spec->argv[0]))
                field = "ExecStartEx";
        else if (spec->exec_stop_post && (!strv_within(spec->exec_stop_post, UNIT_SPEC_ARGV_MAX, &n_argv) ||
                                          n_argv == 0 || spec->exec_stop_post[0][0] != '/'))
                field = "ExecStopPostEx";
        else if (!strv_within(spec->environment, UNIT_SPEC_ENV_MAX, NULL))
                field = "Environment";
        else if (!strv_within(spec->after, UNIT_SPEC_ARGV_MAX, NULL))
                field = "After";
        else if (spec->kill_mode < 0 || spec->kill_mode >= _UNIT_KILL_MODE_MAX)
                field = "KillMode";
        else if (spec->n_extra > UNIT_SPEC_EXTRA_MAX || (spec->n_extra > 0 && !spec->extra))
                field = "x-systemd";
        else if (spec->description && strlen(spec->description) > UNIT_SPEC_STRING_MAX)
                field = "Description";
        else if (spec->syslog_identifier && strlen(spec->syslog_identifier) > UNIT_SPEC_STRING_MAX)
                field = "SyslogIdentifier";
        else if (spec->working_directory && strlen(spec->working_directory) > UNIT_SPEC_STRING_MAX)
                field = "WorkingDirectory";
        else if (spec->tty && (!spec->tty_path || spec->tty_path[0] != '/' ||
                               strlen(spec->tty_path) > UNIT_SPEC_STRING_MAX))
                field = "TTYPath";
        for (size_t i = 0; !field && i < spec->n_extra; i++) {
                _cleanup_free_ char *error = NULL;
                int r;

                if (!spec->extra[i].key || !spec->extra[i].value) {
                        field = "x-systemd";
                        break;
                }
                r = unit_xprop_validate(spec->extra[i].key, spec->extra[i].value, &error);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        field = spec->extra[i].key;
                        break;
                }
        }

        if (field) {
                if (ret_field)
                        *ret_field = field;
                return -EINVAL;
        }
        return 0;
}

static int append_string(sd_bus_message *m, const char *key, const char *value) {
        if (!value)
                return 0;
        return sd_bus_message_append(m, "(sv)", key, "s", value);
}

static int append_strv(sd_bus_message *m, const char *key, char * const *l) {
        int r;

        r = sd_bus_message_open_container(m, 'r', "sv");
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "s", key);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(m, 'v', "as");
        if (r < 0)
                return r;
        r = sd_bus_message_append_strv(m, (char **) l);
        if (r < 0)
                return r;
        r = sd_bus_message_close_container(m);
        if (r < 0)
                return r;
        return sd_bus_message_close_container(m);
}

/* ExecStartEx = [(argv[0], argv, ["no-env-expand"])]: the manager must not expand "$VAR" and "$$" in the
 * command line (systemd-notes §1.5); the shell pcctl runs does that, as process-compose's does. The same for
 * ExecStopPostEx, whose failure is ignored besides ("-"): it must not fail the unit. */
static int append_exec(sd_bus_message *m, const char *key, char * const *argv, bool ignore_failure) {
        int r;

        r = sd_bus_message_open_container(m, 'r', "sv");
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "s", key);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(m, 'v', "a(sasas)");
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(m, 'a', "(sasas)");
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(m, 'r', "sasas");
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "s", argv[0]);
        if (r < 0)
                return r;
        r = sd_bus_message_append_strv(m, (char **) argv);
        if (r < 0)
                return r;
        r = ignore_failure ? sd_bus_message_append(m, "as", 2, "no-env-expand", "ignore-failure") :
                             sd_bus_message_append(m, "as", 1, "no-env-expand");
        if (r < 0)
                return r;
        for (unsigned i = 0; i < 4; i++) {
                r = sd_bus_message_close_container(m);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The manager resolves a bare argv[0] with its own $PATH, not with the unit's Environment= (measured:
 * exit 203 for a program only on the unit's PATH). ExecSearchPath= from the spec's PATH makes it look
 * where the process's own PATH says, as a shell would. Only absolute entries are allowed there. */
static int search_path_from_env(char * const *env, char ***ret) {
        _cleanup_strv_free_ char **dirs = NULL, **l = NULL;
        const char *path;
        int r;

        path = strv_env_get(env, "PATH");
        if (isempty(path)) {
                *ret = NULL;
                return 0;
        }

        dirs = strv_split(path, ":", false);
        if (!dirs)
                return -ENOMEM;
        STRV_FOREACH(d, dirs) {
                if ((*d)[0] != '/' || strv_contains(l, *d))
                        continue;
                if (strv_length(l) >= UNIT_SEARCH_PATH_MAX)
                        break;
                r = strv_extend(&l, *d);
                if (r < 0)
                        return r;
        }

        *ret = TAKE_PTR(l);
        return 0;
}

int unit_spec_append_properties(sd_bus_message *m, const UnitSpec *spec) {
        int r;

        r = unit_spec_validate(spec, NULL);
        if (r < 0)
                return r;

        r = sd_bus_message_open_container(m, 'a', "(sv)");
        if (r < 0)
                return r;

        r = append_string(m, "Description", spec->description);
        if (r < 0)
                return r;
        r = append_string(m, "Slice", spec->slice);
        if (r < 0)
                return r;
        r = append_string(m, "Type", spec->oneshot ? "oneshot" : "exec");
        if (r < 0)
                return r;
        if (spec->after) {
                r = append_strv(m, "After", spec->after);
                if (r < 0)
                        return r;
        }
        if (spec->exit_type_cgroup) {
                r = append_string(m, "ExitType", "cgroup");
                if (r < 0)
                        return r;
        }
        r = append_exec(m, "ExecStartEx", spec->argv, false);
        if (r < 0)
                return r;
        if (spec->exec_stop_post) {
                r = append_exec(m, "ExecStopPostEx", spec->exec_stop_post, true);
                if (r < 0)
                        return r;
        }

        /* Always sent, even empty: the unit must not fall back on the manager's environment. */
        r = append_strv(m, "Environment", spec->environment);
        if (r < 0)
                return r;
        if (!strchr(spec->argv[0], '/')) {
                _cleanup_strv_free_ char **search = NULL;

                r = search_path_from_env(spec->environment, &search);
                if (r < 0)
                        return r;
                if (search) {
                        r = append_strv(m, "ExecSearchPath", search);
                        if (r < 0)
                                return r;
                }
        }

        r = append_string(m, "WorkingDirectory", spec->working_directory);
        if (r < 0)
                return r;
        r = append_string(m, "SyslogIdentifier", spec->syslog_identifier);
        if (r < 0)
                return r;
        r = append_string(m, "KillMode", unit_kill_mode_to_string(spec->kill_mode));
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "(sv)", "KillSignal", "i", (int32_t) (spec->kill_signal > 0 ? spec->kill_signal : SIGTERM));
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "(sv)", "TimeoutStopUSec", "t", (uint64_t) spec->timeout_stop);
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "(sv)", "SendSIGKILL", "b", (int) spec->send_sigkill);
        if (r < 0)
                return r;
        /* pcctl owns restarts and re-runs units by name: the default start limit (5 per 10 s) would count
         * its starts too. */
        r = sd_bus_message_append(m, "(sv)", "StartLimitIntervalUSec", "t", (uint64_t) 0);
        if (r < 0)
                return r;
        /* process-compose's children die of SIGPIPE as in a shell (systemd-notes §6.2). */
        r = sd_bus_message_append(m, "(sv)", "IgnoreSIGPIPE", "b", 0);
        if (r < 0)
                return r;

        if (spec->stdio_fds) {
                r = sd_bus_message_append(m, "(sv)(sv)(sv)",
                                          "StandardInputFileDescriptor", "h", spec->stdio_fds[0],
                                          "StandardOutputFileDescriptor", "h", spec->stdio_fds[1],
                                          "StandardErrorFileDescriptor", "h", spec->stdio_fds[2]);
                if (r < 0)
                        return r;
        }

        /* A terminal, as systemd-run --pty passes one: the fds are the unit's stdio, TTYPath= names it (for
         * utmp and TTYReset=). The __exec wrapper makes it the controlling terminal (verb-exec.c). systemd
         * closes the fds once the unit is inactive (service_release_resources()), so a unit that a timer
         * starts gets the path instead: systemd opens it at each run and makes it the controlling terminal;
         * tty-fail, not tty: a terminal that is another session's fails the run instead of waiting for it. */
        if (spec->tty) {
                r = append_string(m, "TTYPath", spec->tty_path);
                if (r < 0)
                        return r;
                if (spec->tty_fd >= 0)
                        r = sd_bus_message_append(m, "(sv)(sv)(sv)",
                                                  "StandardInputFileDescriptor", "h", spec->tty_fd,
                                                  "StandardOutputFileDescriptor", "h", spec->tty_fd,
                                                  "StandardErrorFileDescriptor", "h", spec->tty_fd);
                else
                        r = sd_bus_message_append(m, "(sv)(sv)(sv)",
                                                  "StandardInput", "s", "tty-fail",
                                                  "StandardOutput", "s", "tty",
                                                  "StandardError", "s", "tty");
                if (r < 0)
                        return r;
        }

        if (spec->fd_store_max > 0) {
                r = sd_bus_message_append(m, "(sv)(sv)", "FileDescriptorStoreMax", "u", (uint32_t) spec->fd_store_max,
                                          "NotifyAccess", "s", "main");
                if (r < 0)
                        return r;
        }
        if (spec->restart_on_abnormal) {
                r = append_string(m, "Restart", "on-abnormal");
                if (r < 0)
                        return r;
        }

        /* MemoryCurrent and CPUUsageNSec need them (cgroup v1 has no CPU counter without cpuacct, and the
         * manager's DefaultCPUAccounting is off): the API's mem and cpu (docs/units.md). */
        if (spec->accounting) {
                r = sd_bus_message_append(m, "(sv)", "MemoryAccounting", "b", 1);
                if (r < 0)
                        return r;
                r = sd_bus_message_append(m, "(sv)", "CPUAccounting", "b", 1);
                if (r < 0)
                        return r;
        }

        /* x-systemd last: the table in unit-xprops refuses every property set above, so nothing here can
         * override what pcctl relies on. */
        for (size_t i = 0; i < spec->n_extra; i++) {
                r = unit_xprop_append(m, spec->extra[i].key, spec->extra[i].value);
                if (r < 0)
                        return r;
        }

        return sd_bus_message_close_container(m);
}

/* systemd's own exit codes of a service's main process (200-245), the ones a start can fail with. */
static const struct {
        int status;
        const char *name;
        const char *what;
} exit_status_table[] = {
        { 200, "CHDIR",            "changing to the working directory failed" },
        { 201, "NICE",             "setting the scheduling priority failed" },
        { 202, "FDS",              "closing file descriptors failed" },
        { 203, "EXEC",             "executing the program failed (missing or not executable)" },
        { 204, "MEMORY",           "out of memory" },
        { 205, "LIMITS",           "setting resource limits failed" },
        { 206, "OOM_ADJUST",       "adjusting the OOM score failed" },
        { 207, "SIGNAL_MASK",      "setting the signal mask failed" },
        { 208, "STDIN",            "setting up standard input failed" },
        { 209, "STDOUT",           "setting up standard output failed" },
        { 210, "CHROOT",           "changing the root directory failed" },
        { 211, "IOPRIO",           "setting the I/O priority failed" },
        { 212, "TIMERSLACK",       "setting the timer slack failed" },
        { 213, "SECUREBITS",       "setting the secure bits failed" },
        { 214, "SETSCHEDULER",     "setting the CPU scheduler failed" },
        { 215, "CPUAFFINITY",      "setting the CPU affinity failed" },
        { 216, "GROUP",            "switching the group failed" },
        { 217, "USER",             "switching the user failed" },
        { 218, "CAPABILITIES",     "setting capabilities failed" },
        { 219, "CGROUP",           "setting up the control group failed" },
        { 220, "SETSID",           "creating a new session failed" },
        { 221, "CONFIRM",          "execution was refused" },
        { 222, "STDERR",           "setting up standard error failed" },
        { 224, "PAM",              "the PAM session failed" },
        { 225, "NETWORK",          "setting up network namespacing failed" },
        { 226, "NAMESPACE",        "setting up mount namespacing failed" },
        { 227, "NO_NEW_PRIVILEGES", "disabling new privileges failed" },
        { 228, "SECCOMP",          "installing the system call filter failed" },
        { 229, "SELINUX_CONTEXT",  "setting the SELinux context failed" },
        { 230, "PERSONALITY",      "setting the execution domain failed" },
        { 231, "APPARMOR_PROFILE", "setting the AppArmor profile failed" },
        { 232, "ADDRESS_FAMILIES", "restricting address families failed" },
        { 233, "RUNTIME_DIRECTORY", "creating the runtime directory failed" },
        { 235, "CHOWN",            "changing socket ownership failed" },
        { 236, "SMACK_PROCESS_LABEL", "setting the SMACK label failed" },
        { 237, "KEYRING",          "setting up the kernel keyring failed" },
        { 238, "STATE_DIRECTORY",  "creating the state directory failed" },
        { 239, "CACHE_DIRECTORY",  "creating the cache directory failed" },
        { 240, "LOGS_DIRECTORY",   "creating the logs directory failed" },
        { 241, "CONFIGURATION_DIRECTORY", "creating the configuration directory failed" },
        { 242, "NUMA_POLICY",      "setting the NUMA policy failed" },
        { 243, "CREDENTIALS",      "setting up credentials failed" },
        { 245, "BPF",              "setting up BPF programs failed" },
};

const char *unit_exit_status_to_string(int status, const char **ret_description) {
        for (size_t i = 0; i < ELEMENTSOF(exit_status_table); i++)
                if (exit_status_table[i].status == status) {
                        if (ret_description)
                                *ret_description = exit_status_table[i].what;
                        return exit_status_table[i].name;
                }
        return NULL;
}

int unit_exit_status_to_errno(int status) {
        switch (status) {
        case 200:
                return -ENOENT;
        case 203:
                return -ENOEXEC;
        case 204:
                return -ENOMEM;
        case 216:
        case 217:
                return -EPERM;
        default:
                return -EIO;
        }
}

static int append_u64(sd_bus_message *m, const char *key, uint64_t v) {
        return sd_bus_message_append(m, "(sv)", key, "t", v);
}

/* TimersCalendar a(ss) and TimersMonotonic a(st), as systemd-run sends --on-calendar and --on-active. */
int unit_timer_spec_append_properties(sd_bus_message *m, const UnitTimerSpec *t) {
        int r;

        if (!t || (!t->on_calendar && !t->has_on_active && t->on_unit_active == 0))
                return -EINVAL;
        r = sd_bus_message_open_container(m, 'a', "(sv)");
        if (r < 0)
                return r;
        r = append_string(m, "Description", t->description);
        if (r < 0)
                return r;
        if (t->on_calendar) {
                r = sd_bus_message_open_container(m, 'r', "sv");
                if (r >= 0)
                        r = sd_bus_message_append(m, "s", "TimersCalendar");
                if (r >= 0)
                        r = sd_bus_message_open_container(m, 'v', "a(ss)");
                if (r >= 0)
                        r = sd_bus_message_open_container(m, 'a', "(ss)");
                for (char **c = t->on_calendar; r >= 0 && *c; c++)
                        r = sd_bus_message_append(m, "(ss)", "OnCalendar", *c);
                for (int k = 0; r >= 0 && k < 3; k++)
                        r = sd_bus_message_close_container(m);
                if (r < 0)
                        return r;
        }
        if (t->has_on_active || t->on_unit_active > 0) {
                r = sd_bus_message_open_container(m, 'r', "sv");
                if (r >= 0)
                        r = sd_bus_message_append(m, "s", "TimersMonotonic");
                if (r >= 0)
                        r = sd_bus_message_open_container(m, 'v', "a(st)");
                if (r >= 0)
                        r = sd_bus_message_open_container(m, 'a', "(st)");
                if (r >= 0 && t->has_on_active)
                        r = sd_bus_message_append(m, "(st)", "OnActiveSec", (uint64_t) t->on_active);
                if (r >= 0 && t->on_unit_active > 0)
                        r = sd_bus_message_append(m, "(st)", "OnUnitActiveSec", (uint64_t) t->on_unit_active);
                for (int k = 0; r >= 0 && k < 3; k++)
                        r = sd_bus_message_close_container(m);
                if (r < 0)
                        return r;
        }
        r = append_u64(m, "AccuracyUSec", t->accuracy > 0 ? t->accuracy : 1);
        if (r < 0)
                return r;
        /* a fresh `up` does not catch up on runs missed before it (process-compose's scheduler does not) */
        r = sd_bus_message_append(m, "(sv)", "Persistent", "b", 0);
        if (r < 0)
                return r;
        r = sd_bus_message_close_container(m);
        return r < 0 ? r : 0;
}
