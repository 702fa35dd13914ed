/* pcctl __exec <syslog-identifier> -- <argv...>: the in-unit stderr wrapper (systemd-notes §4.1).
 *
 * systemd gives a service's stdout and stderr one journal stream with one priority, so stderr lines cannot
 * be told apart. Every unit therefore runs through this wrapper: stdout stays the unit's own journal stream
 * (PRIORITY=6), stderr becomes a second stream opened with journal_stream_open(ident, LOG_ERR), so stderr
 * lines carry PRIORITY=3, the same SYSLOG_IDENTIFIER, and the unit's cgroup and PID (the wrapper execs).
 *
 * It runs once per process start, between the manager's fork and the command, so it must be cheap: this
 * file and journal-stream.c use libc only and also build the helper program pcctl-exec (pcctl-exec.c),
 * which `pcctl up` puts in ExecStart= instead of pcctl itself when it finds it. Loading pcctl with its
 * forty shared libraries takes about 19 ms of CPU (pcctl-exec: 3 ms), and a project starting 100 processes
 * paid that while the service manager needed the CPU to start the rest of them.
 *
 * The wrapper prints nothing of its own unless exec fails. Exit codes follow systemd's: 203 (EXIT_EXEC) when
 * the command cannot be executed, so the manager maps it to the process status Error as for a unit whose
 * ExecStart binary is missing. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <sys/ioctl.h>
#include <syslog.h>
#include <unistd.h>

#include "cli/verbs.h"
#include "journal/journal-stream.h"
#include "shared/macro.h"

#define EXIT_EXEC 203

static void connect_stderr(const char *ident) {
        int fd;

        /* level_prefix=0: a line that happens to start with "<N>" is text, not a priority override. */
        fd = journal_stream_open(ident, LOG_ERR, false);
        if (fd < 0)
                return;          /* no journal socket: leave stderr as systemd set it up */
        if (fd == STDERR_FILENO) {
                /* fd 2 was closed, so the socket landed there with O_CLOEXEC set: keep it across exec. */
                (void) fcntl(fd, F_SETFD, 0);
        } else {
                if (dup2(fd, STDERR_FILENO) < 0) {
                        (void) close(fd);
                        return;
                }
                (void) close(fd);
        }
}

int verb_exec(int argc, char **argv) {
        const char *ident;
        char **cmd;

        /* pcctl __exec IDENT -- CMD [ARGS...] */
        if (argc < 4 || !streq(argv[2], "--") || isempty(argv[1]) || isempty(argv[3])) {
                fprintf(stderr, "Usage: pcctl __exec <syslog-identifier> -- <command> [arguments...]\n");
                return EXIT_EXEC;
        }
        ident = argv[1];
        cmd = argv + 3;

        if (isatty(STDIN_FILENO))
                /* is_tty/is_interactive: systemd hands the terminal over as plain fds and does not make it
                 * the controlling one; the new session (systemd ran setsid()) takes it, so Ctrl-C and window
                 * sizes reach the foreground process group as in a terminal */
                (void) ioctl(STDIN_FILENO, TIOCSCTTY, 0);
        if (!isatty(STDERR_FILENO))
                /* on a terminal stderr stays there, with stdout, in the order the program wrote them */
                connect_stderr(ident);
        execvp(cmd[0], cmd);

        fprintf(stderr, "pcctl: failed to execute '%s': %s\n", cmd[0], strerror(errno));
        return EXIT_EXEC;
}

/* $EXIT_STATUS of a killed process is the signal's name without "SIG" ("TERM"). */
static int signal_from_name(const char *name) {
        for (int sig = 1; sig < NSIG; sig++) {
                const char *n = sigabbrev_np(sig);
                if (n && streq(n, name))
                        return sig;
        }
        return -1;
}

/* pcctl __exited PATH: the unit's ExecStopPost=. Records how the run ended, from systemd's $EXIT_CODE and
 * $EXIT_STATUS, as "<CLD_* code> <status>\n" in PATH (state-file.h: the exit record), written whole
 * (temporary file and rename). A controller that was away when the run ended reads it; one that watched
 * does not need it. Never fails the unit: it exits 0 whatever happens. */
int verb_exited(int argc, char **argv) {
        const char *code_s = getenv("EXIT_CODE"), *status_s = getenv("EXIT_STATUS");
        char tmp[4096], line[64];
        int code, status, fd, n;
        char *end;

        if (argc != 2 || isempty(argv[1]) || isempty(code_s) || isempty(status_s))
                return 0;
        if (streq(code_s, "exited"))
                code = CLD_EXITED;
        else if (streq(code_s, "killed"))
                code = CLD_KILLED;
        else if (streq(code_s, "dumped"))
                code = CLD_DUMPED;
        else
                return 0;
        errno = 0;
        status = (int) strtol(status_s, &end, 10);
        if (errno != 0 || *end != '\0' || end == status_s)
                status = signal_from_name(status_s);
        if (status < 0)
                return 0;
        n = snprintf(line, sizeof(line), "%d %d\n", code, status);
        if (snprintf(tmp, sizeof(tmp), "%s.%d.tmp", argv[1], (int) getpid()) >= (int) sizeof(tmp))
                return 0;
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0600);
        if (fd < 0)
                return 0;
        if (write(fd, line, (size_t) n) != n || close(fd) < 0 || rename(tmp, argv[1]) < 0)
                (void) unlink(tmp);
        return 0;
}
