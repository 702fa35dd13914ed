/* exec probes: the check runs as a child of pcctl in its own process group, posix_spawn'ed, or forked to
 * become the process's user in --system mode; its exit status is the result. See probe.h. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "probe/probe-internal.h"
#include "shared/strv.h"
#include "shared/time-util.h"

extern char **environ;

void probe_exec_cancel(Probe *p) {
        if (p->child) {
                /* the whole group: a probe like "curl ... | grep" leaves no half behind. The source owns
                 * the process, so dropping it kills and reaps the leader too. */
                (void) kill(-p->pid, SIGKILL);
                p->child = sd_event_source_disable_unref(p->child);
        }
        p->kill_timer = sd_event_source_disable_unref(p->kill_timer);
        p->errfd = safe_close(p->errfd);
        p->pid = 0;
        p->timed_out = false;
}

static int on_exec_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        Probe *p = userdata;

        /* report when the leader is reaped (at once after SIGKILL), so no zombie is left */
        p->timed_out = true;
        if (p->pid > 0)
                (void) kill(-p->pid, SIGKILL);
        return 0;
}

static int on_exec_exit(sd_event_source *s, const siginfo_t *si, void *userdata) {
        Probe *p = userdata;
        char buf[512];
        const char *error = NULL;
        bool ok = false;
        ssize_t n = 0;

        /* the child of a user check wrote why it could not become the user (and exited 127); the pipe is
         * non-blocking and the writer is gone, so this read does not wait */
        if (p->errfd >= 0) {
                n = read(p->errfd, buf, sizeof buf - 1);
                p->errfd = safe_close(p->errfd);
        }

        /* The leader is a zombie until sd-event reaps it after this callback, so its pid (= the process
         * group id) cannot have been reused: killing the group now only hits what the check left behind. */
        (void) kill(-p->pid, SIGKILL);

        if (n > 0) {
                buf[n] = 0;
                error = buf;
        } else if (si->si_code == CLD_EXITED && si->si_status == 0)
                ok = true;
        else if (si->si_code == CLD_EXITED) {
                snprintf(buf, sizeof buf, "exit status %d", si->si_status);
                error = buf;
        } else if (p->timed_out)
                error = "timeout";
        else {
                /* Go's wording, which process-compose users see: "signal: killed" */
                const char *name = strsignal(si->si_status);
                size_t len = snprintf(buf, sizeof buf, "signal: %s", name ?: "unknown");
                for (size_t i = STRLEN("signal: "); i < len && i < sizeof buf; i++)
                        buf[i] = tolower((unsigned char) buf[i]);
                error = buf;
        }

        probe_ref(p);
        p->child = sd_event_source_disable_unref(p->child);
        p->kill_timer = sd_event_source_disable_unref(p->kill_timer);
        p->pid = 0;
        p->timed_out = false;
        probe_report(p, ok, error);
        probe_unref(p);
        return 0;
}

/* The check as pcctl's user: posix_spawn (vfork-fast, no code of ours runs in the child). */
static int exec_spawn(Probe *p, pid_t *ret_pid, char **ret_error) {
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t attr;
        sigset_t mask, all;
        int r;

        sigemptyset(&mask);
        sigfillset(&all);

        r = -posix_spawnattr_init(&attr);
        if (r < 0)
                return r;
        r = -posix_spawn_file_actions_init(&fa);
        if (r < 0) {
                posix_spawnattr_destroy(&attr);
                return r;
        }
        /* own process group (killed as one at timeout), pcctl's blocked SIGCHLD and ignored SIGPIPE not
         * inherited, stdio on /dev/null as process-compose's exec.Cmd without Stdout does, and none of
         * pcctl's other descriptors (listening sockets, the journal) leaking into the check */
        r = -posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                      POSIX_SPAWN_SETSIGDEF);
        if (r >= 0)
                r = -posix_spawnattr_setpgroup(&attr, 0);
        if (r >= 0)
                r = -posix_spawnattr_setsigmask(&attr, &mask);
        if (r >= 0)
                r = -posix_spawnattr_setsigdefault(&attr, &all);
        if (r >= 0)
                r = -posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
        if (r >= 0)
                r = -posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
        if (r >= 0)
                r = -posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
        if (r >= 0)
                r = -posix_spawn_file_actions_addclosefrom_np(&fa, 3);
        if (r >= 0 && p->working_directory)
                r = -posix_spawn_file_actions_addchdir_np(&fa, p->working_directory);
        if (r >= 0)
                r = -posix_spawnp(ret_pid, p->argv[0], &fa, &attr, p->argv, p->environment ?: environ);
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&attr);
        if (r < 0) {
                /* the check fails (as Go's "fork/exec" / "chdir" errors do); the probe goes on */
                if (p->working_directory && access(p->working_directory, X_OK) < 0)
                        r = asprintf(ret_error, "chdir %s: %s", p->working_directory, strerror(errno));
                else
                        r = asprintf(ret_error, "fork/exec %s: %s", p->argv[0], strerror(-r));
                return r < 0 ? -ENOMEM : -EIO;
        }
        return 0;
}

_noreturn_ static void child_fail(int fd, const char *what, const char *arg, int error) {
        char msg[512];
        int n;

        /* error 0: the lookup found nothing (getpwnam() leaves errno alone then) */
        n = snprintf(msg, sizeof msg, "%s %s: %s", what, arg, error ? strerror(error) : "not found");
        if (n > 0)
                (void) !write(fd, msg, MIN((size_t) n, sizeof msg - 1));
        _exit(127);
}

static bool parse_id(const char *s, unsigned *ret) {
        char *end;
        unsigned long v;

        if (!isdigit((unsigned char) s[0]))
                return false;
        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno != 0 || *end || v >= UINT32_MAX)
                return false;
        *ret = (unsigned) v;
        return true;
}

/* The check as another user (system mode with x-systemd User=/Group=, as process-compose runs probes as
 * the process's user). The user is looked up in the child, so a slow NSS lookup never blocks the loop;
 * the child reports what failed through a CLOEXEC pipe that the parent reads after the exit. */
static int exec_fork_as_user(Probe *p, pid_t *ret_pid, int *ret_errfd) {
        int pipefd[2];
        pid_t pid;

        if (pipe2(pipefd, O_CLOEXEC | O_NONBLOCK) < 0)
                return -errno;

        pid = fork();
        if (pid < 0) {
                int r = -errno;
                safe_close(pipefd[0]);
                safe_close(pipefd[1]);
                return r;
        }
        if (pid == 0) {
                struct sigaction sa = { .sa_handler = SIG_DFL };
                sigset_t none;
                int fd, errfd;
                unsigned uid, gid;
                bool has_gid = false;

                /* the write end goes to fd 3 (still CLOEXEC), everything above it is closed */
                errfd = fcntl(pipefd[1], F_DUPFD_CLOEXEC, 3);
                if (errfd != 3) {
                        if (dup3(errfd, 3, O_CLOEXEC) < 0)
                                _exit(127);
                        errfd = 3;
                }
                (void) close_range(4, ~0U, 0);

                for (int sig = 1; sig < NSIG; sig++)
                        (void) sigaction(sig, &sa, NULL);
                sigemptyset(&none);
                (void) sigprocmask(SIG_SETMASK, &none, NULL);
                (void) setpgid(0, 0);

                fd = open("/dev/null", O_RDWR | O_CLOEXEC);
                if (fd < 0 || dup2(fd, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
                        child_fail(errfd, "open", "/dev/null", errno);

                if (p->group) {
                        struct group *gr;
                        if (parse_id(p->group, &gid))
                                has_gid = true;
                        else {
                                errno = 0;
                                gr = getgrnam(p->group);
                                if (!gr)
                                        child_fail(errfd, "group", p->group, errno);
                                gid = gr->gr_gid;
                                has_gid = true;
                        }
                }
                if (p->user) {
                        struct passwd *pw;
                        errno = 0;
                        pw = parse_id(p->user, &uid) ? getpwuid(uid) : getpwnam(p->user);
                        if (pw) {
                                uid = pw->pw_uid;
                                if (!has_gid)
                                        gid = pw->pw_gid;
                                has_gid = true;
                                if (initgroups(pw->pw_name, gid) < 0)
                                        child_fail(errfd, "initgroups", p->user, errno);
                        } else if (parse_id(p->user, &uid)) {
                                /* a numeric uid without passwd entry: no supplementary groups */
                                if (!has_gid)
                                        gid = uid;
                                has_gid = true;
                                if (setgroups(0, NULL) < 0)
                                        child_fail(errfd, "setgroups", p->user, errno);
                        } else
                                child_fail(errfd, "user", p->user, errno);
                } else if (has_gid && setgroups(0, NULL) < 0)
                        child_fail(errfd, "setgroups", p->group, errno);

                if (has_gid && setresgid(gid, gid, gid) < 0)
                        child_fail(errfd, "setgid", p->group ?: p->user, errno);
                if (p->user && setresuid(uid, uid, uid) < 0)
                        child_fail(errfd, "setuid", p->user, errno);
                if (p->working_directory && chdir(p->working_directory) < 0)
                        child_fail(errfd, "chdir", p->working_directory, errno);
                execvpe(p->argv[0], p->argv, p->environment ?: environ);
                child_fail(errfd, "fork/exec", p->argv[0], errno);
        }

        safe_close(pipefd[1]);
        *ret_pid = pid;
        *ret_errfd = pipefd[0];
        return 0;
}

int probe_exec_start(Probe *p, char **ret_error) {
        _cleanup_(sd_event_source_unrefp) sd_event_source *child = NULL;
        _cleanup_close_ int errfd = -EBADF;
        pid_t pid;
        int r;

        if (p->user || p->group)
                r = exec_fork_as_user(p, &pid, &errfd);
        else
                r = exec_spawn(p, &pid, ret_error);
        if (r < 0)
                return r;

        r = sd_event_add_child(p->event, &child, pid, WEXITED, on_exec_exit, p);
        if (r < 0) {
                (void) kill(-pid, SIGKILL);
                (void) waitpid(pid, NULL, 0);   /* SIGKILLed: returns at once */
                return r;
        }
        r = sd_event_source_set_child_process_own(child, true);
        if (r < 0) {
                (void) kill(-pid, SIGKILL);
                child = sd_event_source_unref(child);
                (void) waitpid(pid, NULL, 0);
                return r;
        }
        r = sd_event_add_time_relative(p->event, &p->kill_timer, CLOCK_MONOTONIC, p->timeout, USEC_PER_MSEC,
                                       on_exec_timeout, p);
        if (r < 0) {
                (void) kill(-pid, SIGKILL);
                return r;   /* the owning child source kills and reaps it */
        }
        p->pid = pid;
        p->timed_out = false;
        p->errfd = TAKE_FD(errfd);
        p->child = TAKE_PTR(child);
        return 0;
}

/* sd_event_add_child() refuses to work (-EBUSY) unless SIGCHLD is blocked; threads created later (libcurl's
 * resolver) inherit the mask. */
static int block_sigchld(void) {
        sigset_t current, add;
        int r;

        r = pthread_sigmask(SIG_BLOCK, NULL, &current);
        if (r != 0)
                return -r;
        if (sigismember(&current, SIGCHLD) == 1)
                return 0;
        sigemptyset(&add);
        sigaddset(&add, SIGCHLD);
        return -pthread_sigmask(SIG_BLOCK, &add, NULL);
}

static bool valid_name(const char *s) {
        size_t n = strlen(s);

        if (n == 0 || n > 31 || s[0] == '-')
                return false;
        for (size_t i = 0; i < n; i++)
                if (!isalnum((unsigned char) s[i]) && !strchr("_.-", s[i]))
                        return false;
        return true;
}

/* Copies the exec part of config into p. */
int probe_exec_setup(Probe *p, const ProbeConfig *config) {
        if (strv_length(config->argv) == 0 || isempty(config->argv[0]))
                return -EINVAL;
        if ((config->user && !valid_name(config->user)) || (config->group && !valid_name(config->group)))
                return -EINVAL;
        p->argv = strv_copy(config->argv);
        if (!p->argv)
                return -ENOMEM;
        if (config->environment) {
                p->environment = strv_copy(config->environment);
                if (!p->environment)
                        return -ENOMEM;
        }
        if (config->working_directory) {
                p->working_directory = strdup(config->working_directory);
                if (!p->working_directory)
                        return -ENOMEM;
        }
        if (config->user) {
                p->user = strdup(config->user);
                if (!p->user)
                        return -ENOMEM;
        }
        if (config->group) {
                p->group = strdup(config->group);
                if (!p->group)
                        return -ENOMEM;
        }
        return block_sigchld();
}
