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
#include <stdio.h>
#include <string.h>
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
