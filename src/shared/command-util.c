/* Running a short command to completion (command-util.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shared/buffer.h"
#include "shared/command-util.h"
#include "shared/macro.h"

#define COMMAND_OUTPUT_MAX (64U * 1024U)

/* Reads fd until EOF, the deadline or the size limit. */
static int read_until(int fd, usec_t deadline, Buffer *b) {
        for (;;) {
                usec_t now = now_usec(CLOCK_MONOTONIC);
                struct pollfd pfd = { .fd = fd, .events = POLLIN };
                ssize_t k;

                if (now >= deadline)
                        return -ETIMEDOUT;
                k = poll(&pfd, 1, (int) ((deadline - now + 999) / 1000));
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        continue;
                char *p = buffer_reserve(b, 4096);
                if (!p)
                        return b->error;
                k = read(fd, p, 4096);
                if (k < 0) {
                        if (IN_SET(errno, EINTR, EAGAIN))
                                continue;
                        return -errno;
                }
                if (k == 0)
                        return 0;
                buffer_advance(b, (size_t) k);
                if (b->len > COMMAND_OUTPUT_MAX)
                        return -E2BIG;
        }
}

int command_run_capture(char * const *argv, char * const *env, usec_t timeout, char **ret_stdout, void *userdata) {
        _cleanup_(buffer_done) Buffer out = {};
        int pipefd[2], status = 0, r;
        usec_t deadline = now_usec(CLOCK_MONOTONIC) + timeout;
        pid_t pid;

        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid < 0) {
                r = -errno;
                close(pipefd[0]);
                close(pipefd[1]);
                return r;
        }
        if (pid == 0) {
                int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
                if (devnull >= 0)
                        dup2(devnull, STDIN_FILENO);
                dup2(pipefd[1], STDOUT_FILENO);
                /* own process group, so a timeout kills whatever the command started; the default
                 * SIGPIPE, as from a shell, whatever the caller ignores */
                setpgid(0, 0);
                (void) signal(SIGPIPE, SIG_DFL);
                execvpe(argv[0], argv, (char **) env);
                _exit(127);
        }
        close(pipefd[1]);
        r = read_until(pipefd[0], deadline, &out);
        close(pipefd[0]);
        if (r < 0)
                (void) kill(-pid, SIGKILL), (void) kill(pid, SIGKILL);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        if (r < 0)
                return r;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return -EPROTO;
        *ret_stdout = buffer_steal(&out, NULL);
        return *ret_stdout ? 0 : -ENOMEM;
}
