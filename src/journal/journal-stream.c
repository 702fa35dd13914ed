/* journald's stream protocol, as the stream's writer sees it (see journal-stream.h).
 *
 * After connect() the client sends a header of seven lines, then the log text:
 *   identifier            SYSLOG_IDENTIFIER of every entry ("" for none)
 *   unit id               "" (only the service manager names a unit here)
 *   priority              0-7, the PRIORITY of every line
 *   level prefix          1: "<N>" at the start of a line overrides the priority
 *   forward to syslog     0/1 (journald's own forwarding settings apply with 0)
 *   forward to kmsg       0/1
 *   forward to console    0/1
 * The stream is write-only: journald never answers. A larger send buffer lets a burst of output through
 * before the writer blocks, as for the unit's own stdout stream. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "journal/journal-stream.h"
#include "shared/io-util.h"
#include "shared/macro.h"

#define STREAM_SNDBUF (8 * 1024 * 1024)

static void grow_sndbuf(int fd) {
        int v = STREAM_SNDBUF;

        /* The unprivileged option is capped by net.core.wmem_max; root may go past it. */
        if (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof v) < 0)
                return;
#ifdef SO_SNDBUFFORCE
        if (geteuid() == 0)
                (void) setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof v);
#endif
}

int journal_stream_open(const char *identifier, int priority, bool level_prefix) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = JOURNAL_STDOUT_SOCKET };
        _cleanup_close_ int fd = -EBADF;
        char header[512];
        int n, r;

        if (!identifier)
                identifier = "";
        if (strchr(identifier, '\n') || priority < 0 || priority > 7)
                return -EINVAL;
        n = snprintf(header, sizeof header, "%s\n\n%i\n%i\n0\n0\n0\n", identifier, priority, level_prefix ? 1 : 0);
        if (n < 0 || (size_t) n >= sizeof header)
                return -EINVAL;

        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (const struct sockaddr *) &sa, offsetof(struct sockaddr_un, sun_path) +
                    STRLEN(JOURNAL_STDOUT_SOCKET)) < 0)
                return -errno;
        if (shutdown(fd, SHUT_RD) < 0)
                return -errno;
        grow_sndbuf(fd);

        r = loop_write(fd, header, (size_t) n);
        if (r < 0)
                return r;
        return TAKE_FD(fd);
}
