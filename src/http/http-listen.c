#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "http/http-listen.h"
#include "shared/log.h"
#include "shared/macro.h"

static int make_nonblock_cloexec(int fd) {
        int fl = fcntl(fd, F_GETFL);

        if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
                return -errno;
        fl = fcntl(fd, F_GETFD);
        if (fl < 0 || fcntl(fd, F_SETFD, fl | FD_CLOEXEC) < 0)
                return -errno;
        return 0;
}

int http_listen_unix(const char *path, int *ret_fd) {
        _cleanup_close_ int fd = -EBADF;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        mode_t old;
        int r;

        if (strlen(path) >= sizeof sa.sun_path)
                return log_error_errno(-ENAMETOOLONG, "unix socket path %s is too long", path);
        memcpy(sa.sun_path, path, strlen(path));

        if (access(path, F_OK) == 0) {
                _cleanup_close_ int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

                if (probe >= 0 && connect(probe, (struct sockaddr *) &sa, sizeof sa) == 0)
                        return log_error_errno(-EADDRINUSE, "unix socket %s is already in use", path);
                /* A stale file left by a process that is gone. */
                if (unlink(path) < 0 && errno != ENOENT)
                        return log_error_errno(-errno, "failed to remove stale unix socket %s: %m", path);
        }

        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return log_error_errno(-errno, "failed to create unix socket: %m");
        /* Created 0600 from the start: no window in which another user could connect. */
        old = umask(0177);
        r = bind(fd, (struct sockaddr *) &sa, sizeof sa);
        umask(old);
        if (r < 0)
                return log_error_errno(-errno, "failed to bind unix socket %s: %m", path);
        (void) chmod(path, 0600);
        if (listen(fd, SOMAXCONN) < 0) {
                r = -errno;
                (void) unlink(path);
                return log_error_errno(r, "failed to listen on unix socket %s: %m", path);
        }
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int http_listen_tcp(const char *address, uint16_t port, int *ret_fd, uint16_t *ret_port) {
        struct addrinfo hints = {
                .ai_flags = AI_PASSIVE | AI_NUMERICSERV,
                .ai_family = AF_UNSPEC,
                .ai_socktype = SOCK_STREAM,
        }, *ai = NULL;
        char service[8];
        const char *host = address && *address ? address : NULL;
        int r, last = -EADDRNOTAVAIL;

        snprintf(service, sizeof service, "%u", port);
        r = getaddrinfo(host, service, &hints, &ai);
        if (r != 0)
                return log_error_errno(-EADDRNOTAVAIL, "cannot resolve listen address %s: %s", address ?: "",
                                       gai_strerror(r));

        /* IPv4 first, as Go's listener resolves "localhost" to 127.0.0.1 before ::1. */
        for (int pass = 0; pass < 2; pass++)
                for (struct addrinfo *a = ai; a; a = a->ai_next) {
                        _cleanup_close_ int fd = -EBADF;
                        int one = 1, zero = 0;
                        struct sockaddr_storage ss;
                        socklen_t sl = sizeof ss;

                        if ((pass == 0) != (a->ai_family == AF_INET))
                                continue;
                        fd = socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
                        if (fd < 0) {
                                last = -errno;
                                continue;
                        }
                        (void) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
                        if (a->ai_family == AF_INET6)
                                /* "::" serves IPv4 too, like Go's dual-stack listener. */
                                (void) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
                        if (bind(fd, a->ai_addr, a->ai_addrlen) < 0 || listen(fd, SOMAXCONN) < 0) {
                                last = -errno;
                                continue;
                        }
                        if (getsockname(fd, (struct sockaddr *) &ss, &sl) == 0)
                                *ret_port = ntohs(ss.ss_family == AF_INET6 ?
                                                  ((struct sockaddr_in6 *) &ss)->sin6_port :
                                                  ((struct sockaddr_in *) &ss)->sin_port);
                        freeaddrinfo(ai);
                        *ret_fd = TAKE_FD(fd);
                        return 0;
                }
        freeaddrinfo(ai);
        return log_error_errno(last, "failed to listen on %s:%u: %m", address ?: "*", port);
}

int http_listen_activated(int *ret_fd, uint16_t *ret_port) {
        int n = sd_listen_fds(true), fd, r;
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;

        if (n <= 0)
                return n;
        if (n > 1)
                log_warning("http: %d sockets passed by the service manager; using the first one.", n);
        fd = SD_LISTEN_FDS_START;
        r = sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1);
        if (r <= 0)
                return log_error_errno(r < 0 ? r : -ENOTSOCK,
                                       "socket activation: fd %d is not a listening stream socket", fd);
        r = make_nonblock_cloexec(fd);
        if (r < 0)
                return log_error_errno(r, "socket activation: cannot set up fd %d: %m", fd);
        if (getsockname(fd, (struct sockaddr *) &ss, &sl) == 0 && (ss.ss_family == AF_INET ||
                                                                  ss.ss_family == AF_INET6))
                *ret_port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *) &ss)->sin6_port :
                                                             ((struct sockaddr_in *) &ss)->sin_port);
        *ret_fd = fd;
        return 1;
}

/* 2000 idle clients need 2000 descriptors: lift the soft limit to the hard one (as systemd does for
 * itself); units started through the bus do not inherit it. */
void http_bump_nofile(unsigned want) {
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= want + 64)
                return;
        rl.rlim_cur = MIN(rl.rlim_max, (rlim_t) want + 1024);
        (void) setrlimit(RLIMIT_NOFILE, &rl);
}
