/* Readiness and liveness probes: see probe.h. */
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
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>

#include "config.h"
#include "probe/probe.h"
#include "shared/strv.h"
#include "shared/time-util.h"

extern char **environ;

typedef struct ProbeSocket ProbeSocket;

/* One socket libcurl asked us to watch; freed on CURL_POLL_REMOVE or with the probe. */
struct ProbeSocket {
        Probe *probe;
        sd_event_source *source;
        ProbeSocket *next, *prev;
};

struct Probe {
        unsigned n_ref;       /* the owner's reference plus one per event handler on the stack */
        bool dead;            /* probe_free() was called; destroyed when the last handler returns */

        sd_event *event;
        ProbeKind kind;
        ProbeCallback callback;
        void *userdata;

        usec_t initial_delay, period, timeout;
        unsigned failure_threshold, success_threshold;

        bool running;
        unsigned generation;  /* bumped by start/stop, so a callback that restarts wins over the reschedule */
        unsigned failures;    /* consecutive */
        usec_t check_start;
        sd_event_source *timer;

        /* exec */
        char **argv, **environment;
        char *working_directory;
        char *user, *group;
        pid_t pid;
        int errfd;            /* user checks: the child's setup error, read after it exits */
        bool timed_out;
        sd_event_source *child, *kill_timer;

        /* http_get */
        char *url;
        struct curl_slist *headers;
        long status_code;
        CURLM *multi;
        CURL *easy;
        sd_event_source *curl_timer;
        ProbeSocket *sockets;
        char errbuf[CURL_ERROR_SIZE];
};

static const char * const probe_kind_table[_PROBE_KIND_MAX] = {
        [PROBE_EXEC] = "exec",
        [PROBE_HTTP_GET] = "http_get",
};

const char *probe_kind_to_string(ProbeKind k) {
        return k >= 0 && k < _PROBE_KIND_MAX ? probe_kind_table[k] : NULL;
}

ProbeKind probe_kind_from_string(const char *s) {
        for (int i = 0; s && i < _PROBE_KIND_MAX; i++)
                if (streq(probe_kind_table[i], s))
                        return i;
        return _PROBE_KIND_INVALID;
}

static Probe *probe_ref(Probe *p) {
        p->n_ref++;
        return p;
}

static void probe_destroy(Probe *p);

static void probe_unref(Probe *p) {
        if (p && --p->n_ref == 0)
                probe_destroy(p);
}

/* accuracy: 1 ms for the periodic checks (many probes coalesce into fewer wakeups); 1 µs for the first
 * check and for libcurl's timers, where slack adds up over the several timer steps of one request (measured:
 * a local GET took 2 ms at p50 with 1 ms slack, 0.2 ms with 1 µs). */
static int arm_timer(Probe *p, sd_event_source **s, usec_t when, usec_t accuracy, sd_event_time_handler_t handler) {
        int r;

        if (!*s) {
                r = sd_event_add_time(p->event, s, CLOCK_MONOTONIC, when, accuracy, handler, p);
                if (r < 0)
                        return r;
                return 0;
        }
        r = sd_event_source_set_time(*s, when);
        if (r < 0)
                return r;
        return sd_event_source_set_enabled(*s, SD_EVENT_ONESHOT);
}

static void disarm_timer(sd_event_source *s) {
        if (s)
                (void) sd_event_source_set_enabled(s, SD_EVENT_OFF);
}

static int on_check_timer(sd_event_source *s, uint64_t usec, void *userdata);

/* One check finished: count it, tell the owner, schedule the next one unless the owner changed things. */
static void probe_report(Probe *p, bool ok, const char *error) {
        bool fatal = false;
        unsigned generation;
        int r;

        if (!p->running)
                return;
        if (ok)
                p->failures = 0;
        else if (++p->failures >= p->failure_threshold) {
                fatal = true;
                p->failures = 0;
        }

        generation = p->generation;
        probe_ref(p);
        p->callback(p, ok, fatal, ok ? NULL : error, p->userdata);
        if (!p->dead && p->running && p->generation == generation) {
                /* period is measured from the start of the last check, as a ticker would; a check that took
                 * longer than the period is followed by the next one at once */
                r = arm_timer(p, &p->timer, MAX(p->check_start + p->period, now_usec(CLOCK_MONOTONIC)),
                              USEC_PER_MSEC, on_check_timer);
                if (r < 0)
                        p->running = false;   /* cannot happen short of ENOMEM; the probe goes quiet */
        }
        probe_unref(p);
}

/* ---- exec ---- */

static void exec_cancel(Probe *p) {
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

static int exec_start(Probe *p, char **ret_error) {
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

/* ---- http_get ---- */

static size_t discard_body(char *ptr, size_t size, size_t nmemb, void *userdata) {
        return size * nmemb;
}

static void http_cancel(Probe *p) {
        if (p->easy) {
                (void) curl_multi_remove_handle(p->multi, p->easy);
                curl_easy_cleanup(p->easy);
                p->easy = NULL;
        }
        disarm_timer(p->curl_timer);
}

static void http_check_done(Probe *p) {
        CURLMsg *msg;
        int left;

        while ((msg = curl_multi_info_read(p->multi, &left))) {
                char buf[CURL_ERROR_SIZE + 128];
                const char *error = NULL;
                CURLcode result;
                long code = 0;

                if (msg->msg != CURLMSG_DONE || msg->easy_handle != p->easy)
                        continue;
                result = msg->data.result;
                (void) curl_easy_getinfo(p->easy, CURLINFO_RESPONSE_CODE, &code);
                http_cancel(p);

                if (result != CURLE_OK) {
                        snprintf(buf, sizeof buf, "Ran into error while performing 'GET' request: %s",
                                 p->errbuf[0] ? p->errbuf : curl_easy_strerror(result));
                        error = buf;
                } else if (code != p->status_code) {
                        snprintf(buf, sizeof buf,
                                 "Received status code '%ld' does not match expected status code '%ld'",
                                 code, p->status_code);
                        error = buf;
                }
                probe_report(p, !error, error);
                /* the callback may have stopped, restarted or freed (deferred) the probe; the multi
                 * handle still exists, but its message queue belongs to the old check */
                break;
        }
}

static int on_curl_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Probe *p = userdata;
        int flags = 0, running;

        if (revents & EPOLLIN)
                flags |= CURL_CSELECT_IN;
        if (revents & EPOLLOUT)
                flags |= CURL_CSELECT_OUT;
        if (revents & (EPOLLERR | EPOLLHUP))
                flags |= CURL_CSELECT_ERR;

        probe_ref(p);
        (void) curl_multi_socket_action(p->multi, fd, flags, &running);
        http_check_done(p);
        probe_unref(p);
        return 0;
}

static int on_curl_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Probe *p = userdata;
        int running;

        probe_ref(p);
        (void) curl_multi_socket_action(p->multi, CURL_SOCKET_TIMEOUT, 0, &running);
        http_check_done(p);
        probe_unref(p);
        return 0;
}

static void probe_socket_free(ProbeSocket *ps) {
        if (!ps)
                return;
        if (ps->prev)
                ps->prev->next = ps->next;
        else
                ps->probe->sockets = ps->next;
        if (ps->next)
                ps->next->prev = ps->prev;
        sd_event_source_disable_unref(ps->source);
        free(ps);
}

/* CURLMOPT_SOCKETFUNCTION: watch what libcurl wants on this socket. */
static int curl_socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp) {
        Probe *p = userp;
        ProbeSocket *ps = socketp;
        uint32_t events = 0;
        int r;

        if (what == CURL_POLL_REMOVE) {
                probe_socket_free(ps);
                return 0;
        }
        if (what & CURL_POLL_IN)
                events |= EPOLLIN;
        if (what & CURL_POLL_OUT)
                events |= EPOLLOUT;

        if (ps)
                return sd_event_source_set_io_events(ps->source, events) < 0 ? -1 : 0;

        ps = new0(ProbeSocket, 1);
        if (!ps)
                return -1;
        r = sd_event_add_io(p->event, &ps->source, fd, events, on_curl_io, p);
        if (r < 0) {
                free(ps);
                return -1;
        }
        ps->probe = p;
        ps->next = p->sockets;
        if (p->sockets)
                p->sockets->prev = ps;
        p->sockets = ps;
        if (curl_multi_assign(p->multi, fd, ps) != CURLM_OK) {
                probe_socket_free(ps);
                return -1;
        }
        return 0;
}

/* CURLMOPT_TIMERFUNCTION: libcurl wants curl_multi_socket_action(TIMEOUT) in timeout_ms (-1: never). It
 * must not be called from here, so the time source does it. */
static int curl_timer_cb(CURLM *multi, long timeout_ms, void *userp) {
        Probe *p = userp;

        if (timeout_ms < 0) {
                disarm_timer(p->curl_timer);
                return 0;
        }
        return arm_timer(p, &p->curl_timer, now_usec(CLOCK_MONOTONIC) + (usec_t) timeout_ms * USEC_PER_MSEC, 1,
                         on_curl_timer) < 0 ? -1 : 0;
}

static int http_start(Probe *p) {
        CURL *e;

        e = curl_easy_init();
        if (!e)
                return -ENOMEM;
        p->errbuf[0] = 0;
        if (curl_easy_setopt(e, CURLOPT_URL, p->url) != CURLE_OK ||
            curl_easy_setopt(e, CURLOPT_HTTPGET, 1L) != CURLE_OK ||
            curl_easy_setopt(e, CURLOPT_HTTPHEADER, p->headers) != CURLE_OK ||
            curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long) (p->timeout / USEC_PER_MSEC)) != CURLE_OK ||
            curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
            /* a health check of a local service must not go through $http_proxy */
            curl_easy_setopt(e, CURLOPT_PROXY, "") != CURLE_OK ||
            /* as Go's http.Client: follow up to 10 redirects, http and https only */
            curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L) != CURLE_OK ||
            curl_easy_setopt(e, CURLOPT_MAXREDIRS, 10L) != CURLE_OK ||
            curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
            curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") != CURLE_OK ||
            curl_easy_setopt(e, CURLOPT_USERAGENT, "pcctl/" PCCTL_VERSION) != CURLE_OK ||
            curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard_body) != CURLE_OK ||
            curl_easy_setopt(e, CURLOPT_ERRORBUFFER, p->errbuf) != CURLE_OK ||
            curl_easy_setopt(e, CURLOPT_PRIVATE, p) != CURLE_OK) {
                curl_easy_cleanup(e);
                return -EINVAL;
        }
        p->easy = e;
        /* calls curl_timer_cb(0): the transfer starts from the loop, not from here */
        if (curl_multi_add_handle(p->multi, e) != CURLM_OK) {
                curl_easy_cleanup(e);
                p->easy = NULL;
                return -ENOMEM;
        }
        return 0;
}

/* ---- scheduling ---- */

static int on_check_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        _cleanup_free_ char *error = NULL;
        Probe *p = userdata;
        int r;

        if (!p->running)
                return 0;
        p->check_start = now_usec(CLOCK_MONOTONIC);
        r = p->kind == PROBE_EXEC ? exec_start(p, &error) : http_start(p);
        if (r < 0) {
                char buf[128];
                if (!error) {
                        snprintf(buf, sizeof buf, "cannot start the check: %s", strerror(-r));
                        probe_ref(p);
                        probe_report(p, false, buf);
                        probe_unref(p);
                } else {
                        probe_ref(p);
                        probe_report(p, false, error);
                        probe_unref(p);
                }
        }
        return 0;
}

/**
 * probe_start() - start checking
 * @p: the probe
 *
 * The first check runs initial_delay_seconds from now, then one every period_seconds. A probe that was
 * running is restarted: its running check is cancelled and its failure count reset.
 *
 * Return: 0, or a negative errno from sd-event.
 */
int probe_start(Probe *p) {
        int r;

        if (!p || p->dead)
                return -EINVAL;
        probe_stop(p);
        r = arm_timer(p, &p->timer, now_usec(CLOCK_MONOTONIC) + p->initial_delay, 1, on_check_timer);
        if (r < 0)
                return r;
        p->running = true;
        return 0;
}

void probe_stop(Probe *p) {
        if (!p)
                return;
        p->running = false;
        p->generation++;
        p->failures = 0;
        disarm_timer(p->timer);
        if (p->kind == PROBE_EXEC)
                exec_cancel(p);
        else
                http_cancel(p);
}

bool probe_is_running(const Probe *p) {
        return p && p->running;
}

const char *probe_get_url(const Probe *p) {
        return p ? p->url : NULL;
}

static void probe_destroy(Probe *p) {
        probe_stop(p);
        if (p->multi) {
                curl_multi_cleanup(p->multi);
                p->multi = NULL;
        }
        while (p->sockets)
                probe_socket_free(p->sockets);
        sd_event_source_disable_unref(p->timer);
        sd_event_source_disable_unref(p->curl_timer);
        curl_slist_free_all(p->headers);
        free(p->url);
        strv_free(p->argv);
        strv_free(p->environment);
        free(p->working_directory);
        free(p->user);
        free(p->group);
        sd_event_unref(p->event);
        free(p);
}

/**
 * probe_free() - stop and free a probe
 * @p: the probe, or NULL
 *
 * Safe from the probe's own callback: the memory goes when the callback returns.
 *
 * Return: NULL.
 */
Probe *probe_free(Probe *p) {
        if (!p)
                return NULL;
        probe_stop(p);
        p->dead = true;
        probe_unref(p);
        return NULL;
}

static bool header_token_ok(const char *s) {
        /* RFC 9110 token characters */
        if (isempty(s))
                return false;
        for (; *s; s++)
                if (!isalnum((unsigned char) *s) && !strchr("!#$%&'*+-.^_`|~", *s))
                        return false;
        return true;
}

static bool header_value_ok(const char *s) {
        for (; s && *s; s++)
                if ((unsigned char) *s < 0x20 && *s != '\t')
                        return false;
        return true;
}

/* Percent-encodes a path as Go's url.URL.EscapedPath() does: unreserved characters and $&+,/:;=@ stay,
 * everything else (space, '?', '#', '%', non-ASCII) is escaped. */
static char *escape_path(const char *path) {
        static const char hex[] = "0123456789ABCDEF";
        size_t len = strlen(path);
        char *out, *o;

        out = malloc(len * 3 + 1);
        if (!out)
                return NULL;
        o = out;
        for (const char *i = path; *i; i++) {
                unsigned char ch = *i;
                if (isalnum(ch) || strchr("-._~$&+,/:;=@", ch))
                        *o++ = ch;
                else {
                        *o++ = '%';
                        *o++ = hex[ch >> 4];
                        *o++ = hex[ch & 15];
                }
        }
        *o = 0;
        return out;
}

static int http_setup(Probe *p, const ProbeConfig *c) {
        const char *scheme = c->scheme ?: "http", *host = c->host ?: "127.0.0.1", *path = c->path ?: "/";
        _cleanup_free_ char *bracketed = NULL, *slashed = NULL, *escaped = NULL;
        char port[16];
        CURLU *u;
        char *url = NULL;
        CURLUcode uc;

        if (!streq(scheme, "http") && !streq(scheme, "https"))
                return -EINVAL;
        if (isempty(c->host))
                host = "127.0.0.1";
        if (isempty(c->path))
                path = "/";
        if (strlen(host) + strlen(path) > PROBE_URL_MAX)
                return -EINVAL;
        if (strchr(host, ':') && host[0] != '[') {
                if (asprintf(&bracketed, "[%s]", host) < 0)
                        return -ENOMEM;
                host = bracketed;
        }
        if (path[0] != '/') {
                /* Go's url.URL adds the slash between host and a relative path */
                if (asprintf(&slashed, "/%s", path) < 0)
                        return -ENOMEM;
                path = slashed;
        }

        escaped = escape_path(path);
        if (!escaped)
                return -ENOMEM;

        u = curl_url();
        if (!u)
                return -ENOMEM;
        uc = curl_url_set(u, CURLUPART_SCHEME, scheme, 0);
        if (uc == CURLUE_OK)
                uc = curl_url_set(u, CURLUPART_HOST, host, 0);
        if (uc == CURLUE_OK && c->port >= 1 && c->port <= 65535) {
                snprintf(port, sizeof port, "%d", c->port);
                uc = curl_url_set(u, CURLUPART_PORT, port, 0);
        }
        /* the path is a path, as in process-compose: a '?' in it is escaped, not a query */
        if (uc == CURLUE_OK)
                uc = curl_url_set(u, CURLUPART_PATH, escaped, 0);
        if (uc == CURLUE_OK)
                uc = curl_url_get(u, CURLUPART_URL, &url, 0);
        curl_url_cleanup(u);
        if (uc != CURLUE_OK)
                return uc == CURLUE_OUT_OF_MEMORY ? -ENOMEM : -EINVAL;
        p->url = strdup(url);
        curl_free(url);
        if (!p->url)
                return -ENOMEM;

        if (c->n_headers > PROBE_HEADERS_MAX)
                return -EINVAL;
        for (size_t i = 0; i < c->n_headers; i++) {
                const ProbeHeader *h = c->headers + i;
                _cleanup_free_ char *line = NULL;
                struct curl_slist *l;

                if (!header_token_ok(h->name) || !header_value_ok(h->value) ||
                    strlen(h->name) + strlen(strempty(h->value)) > PROBE_HEADER_SIZE_MAX)
                        return -EINVAL;
                /* "Name;" is libcurl's way to send a header with an empty value */
                if (asprintf(&line, isempty(h->value) ? "%s;" : "%s: %s", h->name, strempty(h->value)) < 0)
                        return -ENOMEM;
                l = curl_slist_append(p->headers, line);
                if (!l)
                        return -ENOMEM;
                p->headers = l;
        }

        p->status_code = c->status_code < 1 || c->status_code >= 400 ? 200 : c->status_code;

        p->multi = curl_multi_init();
        if (!p->multi)
                return -ENOMEM;
        if (curl_multi_setopt(p->multi, CURLMOPT_SOCKETFUNCTION, curl_socket_cb) != CURLM_OK ||
            curl_multi_setopt(p->multi, CURLMOPT_SOCKETDATA, p) != CURLM_OK ||
            curl_multi_setopt(p->multi, CURLMOPT_TIMERFUNCTION, curl_timer_cb) != CURLM_OK ||
            curl_multi_setopt(p->multi, CURLMOPT_TIMERDATA, p) != CURLM_OK)
                return -EINVAL;
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

static usec_t seconds_or(int v, int min, int dflt) {
        if (v < min)
                v = dflt;
        return (usec_t) MIN(v, PROBE_SECONDS_MAX) * USEC_PER_SEC;
}

/**
 * probe_new() - create a probe
 * @event: the loop everything runs on (referenced)
 * @config: what to check; copied
 * @callback: called after every check
 * @userdata: passed to callback
 * @ret: the probe, stopped
 *
 * Return: 0; -EINVAL for a config that cannot work (see probe.h); -ENOMEM; other negative errnos.
 */
int probe_new(sd_event *event, const ProbeConfig *config, ProbeCallback callback, void *userdata,
              Probe **ret) {
        _cleanup_(probe_freep) Probe *p = NULL;
        static bool curl_initialized = false;
        int r;

        if (!event || !config || !callback || !ret)
                return -EINVAL;
        if (config->kind != PROBE_EXEC && config->kind != PROBE_HTTP_GET)
                return -EINVAL;

        p = new0(Probe, 1);
        if (!p)
                return -ENOMEM;
        p->n_ref = 1;
        p->errfd = -EBADF;
        p->event = sd_event_ref(event);
        p->kind = config->kind;
        p->callback = callback;
        p->userdata = userdata;
        p->initial_delay = seconds_or(config->initial_delay_seconds, 0, 0);
        p->period = seconds_or(config->period_seconds, 1, 10);
        p->timeout = seconds_or(config->timeout_seconds, 1, 1);
        p->success_threshold = config->success_threshold < 1 ? 1 : (unsigned) config->success_threshold;
        p->failure_threshold = config->failure_threshold < 1 ? 3 : (unsigned) config->failure_threshold;

        if (p->kind == PROBE_EXEC) {
                if (strv_length(config->argv) == 0 || isempty(config->argv[0]))
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
                if ((config->user && !valid_name(config->user)) || (config->group && !valid_name(config->group)))
                        return -EINVAL;
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
                r = block_sigchld();
                if (r < 0)
                        return r;
        } else {
                if (!curl_initialized) {
                        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
                                return -ENOMEM;
                        curl_initialized = true;
                }
                r = http_setup(p, config);
                if (r < 0)
                        return r;
        }

        *ret = TAKE_PTR(p);
        return 0;
}
