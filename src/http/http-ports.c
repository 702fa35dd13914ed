/* Listening ports of a unit's processes, from /proc. See http-ports.h. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http-ports.h"

static void closedirp(DIR **d) {
        if (*d)
                (void) closedir(*d);
}

typedef struct U64Set {
        uint64_t *v;
        size_t n, alloc;
} U64Set;

static bool set_has(const U64Set *s, uint64_t x) {
        for (size_t i = 0; i < s->n; i++)
                if (s->v[i] == x)
                        return true;
        return false;
}

static int set_add(U64Set *s, uint64_t x, size_t max) {
        if (set_has(s, x))
                return 0;
        if (s->n >= max)
                return -E2BIG;
        if (s->n == s->alloc) {
                size_t na = MAX(s->alloc * 2, (size_t) 16);
                uint64_t *v = realloc(s->v, na * sizeof(uint64_t));
                if (!v)
                        return -ENOMEM;
                s->v = v;
                s->alloc = na;
        }
        s->v[s->n++] = x;
        return 1;
}

static int ports_add(uint16_t **a, size_t *n, uint16_t port) {
        uint16_t *v;

        for (size_t i = 0; i < *n; i++)
                if ((*a)[i] == port)
                        return 0;
        v = realloc(*a, (*n + 1) * sizeof(uint16_t));
        if (!v)
                return -ENOMEM;
        v[(*n)++] = port;
        *a = v;
        return 0;
}

/* The pids of the cgroup of pid, if that cgroup is the unit's. The unified hierarchy is the "0::" line of
 * /proc/<pid>/cgroup (not always the first: a hybrid layout lists the v1 controllers before it), mounted at
 * /sys/fs/cgroup, or at /sys/fs/cgroup/unified in a hybrid layout. */
static int pids_from_cgroup(const char *proc_root, pid_t pid, const char *unit, U64Set *pids) {
        static const char *const roots[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" };
        char path[PATH_MAX], line[PATH_MAX];
        _cleanup_fclose_ FILE *f = NULL;
        const char *base;
        bool found = false;

        if (!unit)
                return -ENOENT;
        snprintf(path, sizeof path, "%s/%d/cgroup", proc_root, (int) pid);
        f = fopen(path, "re");
        if (!f)
                return -errno;
        while (fgets(line, sizeof line, f))
                if (strncmp(line, "0::", 3) == 0) {
                        found = true;
                        break;
                }
        if (!found)
                return -ENOENT;
        line[strcspn(line, "\n")] = 0;
        base = strrchr(line + 3, '/');
        if (!base || !streq(base + 1, unit))
                return -ENOENT;

        for (size_t i = 0; i < ELEMENTSOF(roots); i++) {
                _cleanup_fclose_ FILE *g = NULL;

                if ((size_t) snprintf(path, sizeof path, "%s%.3800s/cgroup.procs", roots[i], line + 3) >=
                    sizeof path)
                        return -ENAMETOOLONG;
                g = fopen(path, "re");
                if (!g)
                        continue;
                for (long p; fscanf(g, "%ld", &p) == 1;) {
                        int r = set_add(pids, (uint64_t) p, HTTP_PORTS_PIDS_MAX);
                        if (r < 0)
                                return r;
                }
                return pids->n > 0 ? 0 : -ENOENT;
        }
        return -ENOENT;
}

static pid_t read_ppid(const char *proc_root, const char *name) {
        char path[PATH_MAX], buf[1024];
        _cleanup_fclose_ FILE *f = NULL;
        const char *rp;
        int ppid;

        snprintf(path, sizeof path, "%s/%s/stat", proc_root, name);
        f = fopen(path, "re");
        if (!f || !fgets(buf, sizeof buf, f))
                return -1;
        /* The comm field may hold spaces and parentheses: the state follows the last ')'. */
        rp = strrchr(buf, ')');
        if (!rp || sscanf(rp + 1, " %*c %d", &ppid) != 1)
                return -1;
        return ppid;
}

/* pid and its descendants, found by walking parent pids to a fixed point (bounded by the pid limit). */
static int pids_from_tree(const char *proc_root, pid_t pid, U64Set *pids) {
        _cleanup_free_ pid_t *pairs = NULL;
        _cleanup_(closedirp) DIR *d = NULL;
        size_t n = 0, alloc = 0;
        struct dirent *de;
        bool changed = true;
        int r;

        r = set_add(pids, (uint64_t) pid, HTTP_PORTS_PIDS_MAX);
        if (r < 0)
                return r;
        d = opendir(proc_root);
        if (!d)
                return -errno;
        while ((de = readdir(d)) && n < (1U << 20)) {
                char *end;
                long p = strtol(de->d_name, &end, 10);
                pid_t pp;

                if (*end || p <= 0)
                        continue;
                pp = read_ppid(proc_root, de->d_name);
                if (pp <= 0)
                        continue;
                if (n + 2 > alloc) {
                        size_t na = MAX(alloc * 2, (size_t) 256);
                        pid_t *v = realloc(pairs, na * sizeof(pid_t));
                        if (!v)
                                return -ENOMEM;
                        pairs = v;
                        alloc = na;
                }
                pairs[n++] = (pid_t) p;
                pairs[n++] = pp;
        }
        while (changed) {
                changed = false;
                for (size_t i = 0; i < n; i += 2)
                        if (set_has(pids, (uint64_t) pairs[i + 1]) && !set_has(pids, (uint64_t) pairs[i])) {
                                r = set_add(pids, (uint64_t) pairs[i], HTTP_PORTS_PIDS_MAX);
                                if (r < 0)
                                        return r == -E2BIG ? 0 : r;
                                changed = true;
                        }
        }
        return 0;
}

static int socket_inodes(const char *proc_root, const U64Set *pids, U64Set *inodes) {
        for (size_t i = 0; i < pids->n; i++) {
                _cleanup_(closedirp) DIR *d = NULL;
                char path[PATH_MAX];
                struct dirent *de;

                snprintf(path, sizeof path, "%s/%" PRIu64 "/fd", proc_root, pids->v[i]);
                d = opendir(path);
                if (!d)
                        continue;   /* gone, or not ours to read */
                while ((de = readdir(d))) {
                        char link[PATH_MAX + 256 + 2], target[128];
                        unsigned long long ino;
                        ssize_t l;
                        int r;

                        if (de->d_name[0] == '.')
                                continue;
                        snprintf(link, sizeof link, "%s/%s", path, de->d_name);
                        l = readlink(link, target, sizeof target - 1);
                        if (l < 0)
                                continue;
                        target[l] = 0;
                        if (sscanf(target, "socket:[%llu]", &ino) != 1)
                                continue;
                        r = set_add(inodes, ino, HTTP_PORTS_INODES_MAX);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

/* One /proc/net table: "sl local_address rem_address st ... inode". */
static int scan_table(const char *path, const U64Set *inodes, bool tcp, uint16_t **ports, size_t *n) {
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        char line[512];

        if (!f)
                return errno == ENOENT ? 0 : -errno;
        if (!fgets(line, sizeof line, f))   /* header */
                return 0;
        while (fgets(line, sizeof line, f)) {
                char local[64], remote[64];
                unsigned st, lport, rport;
                unsigned long long ino;
                const char *c;
                int r;

                if (sscanf(line, " %*s %63s %63s %x %*s %*s %*s %*s %*s %llu", local, remote, &st, &ino) != 4)
                        continue;
                if (!set_has(inodes, ino))
                        continue;
                c = strrchr(local, ':');
                if (!c || sscanf(c + 1, "%x", &lport) != 1)
                        continue;
                c = strrchr(remote, ':');
                if (!c || sscanf(c + 1, "%x", &rport) != 1)
                        continue;
                /* TCP: LISTEN (0x0A). UDP: not connected (no remote port). */
                if (tcp ? st != 0x0A : rport != 0)
                        continue;
                r = ports_add(ports, n, (uint16_t) lport);
                if (r < 0)
                        return r;
        }
        return 0;
}

/**
 * http_ports_collect() - listening ports of a unit's processes.
 * @proc_root: "/proc", or another tree in tests
 * @pid: the main pid of the process
 * @unit: the unit name; its cgroup's processes are examined when pid's cgroup is that unit's
 * @ret: set to the TCP ports in LISTEN state and the UDP ports without a peer (unsorted, unique)
 *
 * Return: 0, -ESRCH for pid <= 0, -E2BIG beyond HTTP_PORTS_INODES_MAX sockets, other negative errno.
 */
int http_ports_collect(const char *proc_root, pid_t pid, const char *unit, HttpPorts *ret) {
        _cleanup_(http_ports_done) HttpPorts ports = {};
        U64Set pids = {}, inodes = {};
        static const char *const tables[] = { "tcp", "tcp6", "udp", "udp6" };
        int r;

        if (pid <= 0)
                return -ESRCH;
        if (!proc_root)
                proc_root = "/proc";

        r = pids_from_cgroup(proc_root, pid, unit, &pids);
        if (r < 0) {
                pids.n = 0;
                r = pids_from_tree(proc_root, pid, &pids);
        }
        if (r >= 0)
                r = socket_inodes(proc_root, &pids, &inodes);
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(tables); i++) {
                char path[PATH_MAX];
                bool tcp = i < 2;

                snprintf(path, sizeof path, "%s/%d/net/%s", proc_root, (int) pid, tables[i]);
                r = scan_table(path, &inodes, tcp, tcp ? &ports.tcp : &ports.udp, tcp ? &ports.n_tcp : &ports.n_udp);
        }
        free(pids.v);
        free(inodes.v);
        if (r < 0)
                return r;
        *ret = ports;
        ports = (HttpPorts) {};
        return 0;
}
