/* Listening ports from /proc: the test's own sockets, found through the pid (no unit cgroup). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "http/http-ports.h"
#include "tests.h"

static uint16_t bound_port(int fd) {
        struct sockaddr_in sa;
        socklen_t l = sizeof sa;

        ASSERT_TRUE(getsockname(fd, (struct sockaddr *) &sa, &l) == 0);
        return ntohs(sa.sin_port);
}

static int make(int type, bool do_listen) {
        struct sockaddr_in sa = { .sin_family = AF_INET };
        int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);

        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ASSERT_TRUE(fd >= 0);
        ASSERT_TRUE(bind(fd, (struct sockaddr *) &sa, sizeof sa) == 0);
        if (do_listen)
                ASSERT_TRUE(listen(fd, 1) == 0);
        return fd;
}

static bool has(const uint16_t *a, size_t n, uint16_t p) {
        for (size_t i = 0; i < n; i++)
                if (a[i] == p)
                        return true;
        return false;
}

TEST(own_sockets) {
        int tl = make(SOCK_STREAM, true), tb = make(SOCK_STREAM, false), u = make(SOCK_DGRAM, false);
        int uc = make(SOCK_DGRAM, false);
        struct sockaddr_in peer = { .sin_family = AF_INET, .sin_port = htons(9) };
        HttpPorts ports = {};

        peer.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ASSERT_TRUE(connect(uc, (struct sockaddr *) &peer, sizeof peer) == 0);

        ASSERT_OK(http_ports_collect("/proc", getpid(), NULL, &ports));
        ASSERT_TRUE(has(ports.tcp, ports.n_tcp, bound_port(tl)));
        ASSERT_FALSE(has(ports.tcp, ports.n_tcp, bound_port(tb)));   /* bound, not listening */
        ASSERT_TRUE(has(ports.udp, ports.n_udp, bound_port(u)));
        ASSERT_FALSE(has(ports.udp, ports.n_udp, bound_port(uc)));   /* connected UDP */
        http_ports_done(&ports);

        /* A unit name that is not the cgroup's: falls back to the pid tree, same answer. */
        ASSERT_OK(http_ports_collect("/proc", getpid(), "nope.service", &ports));
        ASSERT_TRUE(has(ports.tcp, ports.n_tcp, bound_port(tl)));
        http_ports_done(&ports);

        /* Named after our own cgroup: the pids come from its cgroup.procs, ours among them. */
        {
                char line[4096] = "";
                FILE *f = fopen("/proc/self/cgroup", "re");
                const char *base;

                ASSERT_NOT_NULL(f);
                while (fgets(line, sizeof line, f) && strncmp(line, "0::", 3) != 0)
                        ;
                fclose(f);
                line[strcspn(line, "\n")] = 0;
                base = strrchr(line, '/');
                if (strncmp(line, "0::", 3) == 0 && base && base[1]) {
                        ASSERT_OK(http_ports_collect("/proc", getpid(), base + 1, &ports));
                        ASSERT_TRUE(has(ports.tcp, ports.n_tcp, bound_port(tl)));
                        http_ports_done(&ports);
                }
        }

        ASSERT_ERROR(http_ports_collect("/proc", 0, NULL, &ports), ESRCH);
        close(tl);
        close(tb);
        close(u);
        close(uc);
}

DEFINE_TEST_MAIN();
