/* pcctl up [PROC...]: run a project, every process as a transient systemd unit (compat §4.1, §4.2).
 *
 * Loads and validates the project, connects to the service manager, starts the HTTP API, runs the manager's
 * loop until the project has ended and returns its exit code (compat §2.7): 0 normally, the process's code
 * for exit_on_failure / exit_on_end, 1 for exit_on_skipped, 1 for load and command-line errors. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pwd.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "config.h"
#include "cli/cli-x-systemd.h"
#include "cli/up-internal.h"
#include "cli/verbs.h"
#include "compose/compose.h"
#include "core/state-file.h"
#include "daemon/daemon.h"
#include "shared/command-util.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "shared/strv.h"
#include "unit/unit-driver.h"

static int self_exe(char **ret) {
        char buf[PATH_MAX];
        ssize_t n;

        n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
        if (n < 0)
                return -errno;
        buf[n] = 0;
        *ret = strdup(buf);
        return *ret ? 0 : -ENOMEM;
}

/* The program of the in-unit stderr wrapper: pcctl-exec beside pcctl (the build tree, or an installation
 * that keeps both in one directory), else the installed one, else pcctl itself (`pcctl __exec`, the same
 * code and arguments, only slower to load). */
static int exec_helper(const char *self, char **ret) {
        _cleanup_free_ char *beside = NULL;
        const char *slash = strrchr(self, '/');

        if (slash && asprintf(&beside, "%.*s/pcctl-exec", (int) (slash - self), self) < 0)
                return -ENOMEM;
        if (beside && access(beside, X_OK) >= 0) {
                *ret = TAKE_PTR(beside);
                return 0;
        }
        if (access(PCCTL_LIBEXECDIR "/pcctl-exec", X_OK) >= 0)
                *ret = strdup(PCCTL_LIBEXECDIR "/pcctl-exec");
        else
                *ret = strdup(self);
        return *ret ? 0 : -ENOMEM;
}

/* process-compose's run: the process's command gets the arguments (appended to the shell command string, or
 * to the entrypoint's arguments), it ends the project when it ends (exit_on_end), and only it and its
 * dependencies run. */
static int up_prepare_foreground(ComposeProject *project, UpArgs *a, const UpForeground *fg) {
        ComposeProcess *p;
        size_t n = strv_length(a->selection);

        if (n == 0) {
                fprintf(stderr, "Error: requires at least 1 arg(s), only received 0\nSee 'pcctl run --help'.\n");
                return -EINVAL;
        }
        if (n > 1) {
                printf("Extra positional arguments provided! To pass args to PROCESS, separate them from "
                       "process-compose arguments with: --\n");
                return -EINVAL;
        }
        p = compose_project_find_process(project, a->selection[0]);
        if (!p) {
                fprintf(stderr, "pcctl: process %s is not defined in the project\n", a->selection[0]);
                return -ENOENT;
        }
        p->availability.exit_on_end = true;
        if (fg->args && fg->args[0]) {
                size_t k = strv_length(p->args);

                if (!isempty(p->command) && k > 0) {
                        _cleanup_free_ char *extra = strv_join(fg->args, " ");
                        char *last = NULL;

                        if (!extra || asprintf(&last, "%s %s", p->args[k - 1], extra) < 0)
                                return log_oom();
                        free(p->args[k - 1]);
                        p->args[k - 1] = last;
                } else if (p->entrypoint)
                        STRV_FOREACH(x, fg->args)
                                if (strv_extend(&p->args, *x) < 0)
                                        return log_oom();
        }
        a->tui = false;
        return 0;
}

static int up_main(int argc, char **argv, const UpForeground *fg);

int verb_up(int argc, char **argv) {
        return up_main(argc, argv, NULL);
}

/* pcctl run [OPTIONS...] PROCESS [-- ARGS...] */
int verb_run(int argc, char **argv) {
        UpForeground fg = { .fds = { STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO } };
        int n = argc;

        for (int i = 1; i < argc; i++)
                if (streq(argv[i], "--")) {
                        n = i;
                        fg.args = argv + i + 1;
                        break;
                }
        argv[n] = NULL;        /* argv[argc] is NULL too: getopt sees the options only */
        return up_main(n, argv, &fg);
}

static int up_main(int argc, char **argv, const UpForeground *fg) {
        _cleanup_(up_args_done) UpArgs a = {};
        _cleanup_(compose_project_freep) ComposeProject *project = NULL;
        _cleanup_(daemon_freep) Daemon *d = NULL;
        _cleanup_free_ char *self = NULL, *exe = NULL, *state_dir = NULL, *api_address = NULL;
        _cleanup_(state_file_done) StateFile saved = {};
        _cleanup_close_ int lock_fd = -EBADF;
        bool have_saved = false;
        ComposeError err = {};
        DaemonOptions o;
        bool tty;
        int r;

        up_load_pc_env();
        {
                const char *lvl = getenv("PC_LOG_LEVEL");
                if (lvl && (streq(lvl, "debug") || streq(lvl, "trace")))
                        log_set_max_level(LOG_DEBUG);
        }

        compose_load_options_init(&a.load);
        r = compose_load_options_from_env(&a.load, NULL);
        if (r < 0) {
                log_error_errno(r, "Cannot read the environment: %m");
                return EXIT_FAILURE;
        }
        a.http.port = HTTP_SERVER_DEFAULT_PORT;
        a.http.ws_write_timeout = 10 * USEC_PER_SEC;

        r = up_parse_argv(argc, argv, &a, fg);
        if (r <= 0)
                return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;

        r = compose_load(&a.load, &project, &err);
        if (r < 0) {
                _cleanup_free_ char *msg = compose_error_format(&err);
                fprintf(stderr, "pcctl: %s\n", msg ?: strerror(-r));
                compose_error_done(&err);
                return EXIT_FAILURE;
        }
        STRV_FOREACH(w, project->warnings)
                fprintf(stderr, "pcctl: warning: %s\n", *w);

        if (cli_validate_x_systemd(project) < 0)
                return EXIT_FAILURE;

        if (a.dry_run) {
                _cleanup_free_ char *msg = compose_dry_run_message(project);
                if (!msg)
                        return log_oom(), EXIT_FAILURE;
                printf("%s\n", msg);
                return EXIT_SUCCESS;
        }

        if (fg) {
                if (a.detached)
                        return fprintf(stderr, "pcctl run: -D does not apply, the process needs this terminal\n"),
                               EXIT_FAILURE;
                if (up_prepare_foreground(project, &a, fg) < 0)
                        return EXIT_FAILURE;
        }

        if (a.selection) {
                r = compose_select(project, a.selection, a.no_deps, &err);
                if (r < 0) {
                        _cleanup_free_ char *msg = compose_error_format(&err);
                        fprintf(stderr, "pcctl: %s\n", msg ?: strerror(-r));
                        compose_error_done(&err);
                        return EXIT_FAILURE;
                }
        }

        r = self_exe(&self);
        if (r < 0) {
                log_error_errno(r, "Cannot find pcctl's own executable: %m");
                return EXIT_FAILURE;
        }
        r = exec_helper(self, &exe);
        if (r < 0)
                return log_oom(), EXIT_FAILURE;

        if (a.detached) {
                /* the API settings are checked here, and used by the controller unit */
                if (!a.http.disabled && !a.http.address && !(a.http.address = strdup("localhost")))
                        return log_oom(), EXIT_FAILURE;
                return up_detach(argc, argv, self, project->project_name, &a) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
        }

        /* one controller per project; what an earlier one left is adopted (docs/lifecycle.md) */
        lock_fd = up_claim_project(project->project_name, &state_dir, &saved, &have_saved);
        if (lock_fd == -EBUSY)
                return EXIT_FAILURE;

        (void) compose_run_env_cmds(project, NULL, command_run_capture, NULL);

        /* the API settings: token, unix socket */
        if (!a.http.disabled) {
                const char *t = getenv("PC_API_TOKEN");
                if (t && *t) {
                        if (free_and_strdup(&a.http.token, t) < 0)
                                return log_oom(), EXIT_FAILURE;
                } else if (a.token_file) {
                        r = up_read_token_file(a.token_file, &a.http.token);
                        if (r < 0) {
                                log_error_errno(r, "Cannot read the token file %s: %m", a.token_file);
                                return EXIT_FAILURE;
                        }
                }
                if (a.use_uds && !a.http.unix_socket) {
                        const char *tmp = getenv("TMPDIR");
                        if (asprintf(&a.http.unix_socket, "%s/process-compose-%d.sock",
                                     isempty(tmp) ? "/tmp" : tmp, (int) getpid()) < 0) {
                                a.http.unix_socket = NULL;
                                return log_oom(), EXIT_FAILURE;
                        }
                }
                if (!a.http.address && !(a.http.address = strdup("localhost")))
                        return log_oom(), EXIT_FAILURE;
        }

        tty = isatty(STDOUT_FILENO);
        api_address = up_api_address(&a);
        o = (DaemonOptions) {
                .manager = {
                        .scope = a.system ? UNIT_MANAGER_SYSTEM : UNIT_MANAGER_USER,
                        .keep_project = a.keep_project,
                        .no_watch = a.no_watch,
                        .logs_truncate = a.logs_truncate,
                        .exec_path = exe,
                        .load_options = &a.load,
                        .selection = a.selection,
                        .no_deps = a.no_deps,
                        .state_dir = state_dir,
                        .saved_state = have_saved ? &saved : NULL,
                        .adopt = state_dir != NULL,
                        .recreate = a.recreate,
                        .keep_running = a.keep_running,
                        .api_address = api_address,
                        .foreground = fg ? a.selection[0] : NULL,
                        .foreground_fds = fg ? fg->fds : NULL,
                },
                .http = &a.http,
                /* run: the terminal belongs to the process; nothing else writes there, as process-compose */
                .console_fd = fg ? -EBADF : STDOUT_FILENO,
                .console_color = tty && !getenv("NO_COLOR"),
                .console_status = tty && a.tui && !project->is_tui_disabled,
        };
        r = daemon_new(&o, TAKE_PTR(project), &d);
        if (r < 0)
                return EXIT_FAILURE;

        r = daemon_run(d);
        /* a project that ended leaves no lock directory behind; one kept running keeps its state file */
        if (state_dir)
                (void) state_file_unlock(state_dir, TAKE_FD(lock_fd));
        if (r < 0)
                return EXIT_FAILURE;
        return r;
}
