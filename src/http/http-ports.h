/* The listening ports of a process (GET /process/ports/{name}): LISTEN TCP sockets and unconnected UDP
 * sockets owned by the processes of its unit (the cgroup of its main pid, or the pid and its descendants
 * when the cgroup is not the unit's), matched by socket inode against /proc/<pid>/net/{tcp,tcp6,udp,udp6},
 * so a unit with PrivateNetwork= is read in its own namespace. */
#pragma once

#include <sys/types.h>

#include "http/http-router.h"

/* Limits: pids examined and socket inodes collected. */
#define HTTP_PORTS_PIDS_MAX    4096U
#define HTTP_PORTS_INODES_MAX  65536U

/* proc_root: "/proc" (tests may pass another tree); unit: the unit name, or NULL. */
int http_ports_collect(const char *proc_root, pid_t pid, const char *unit, HttpPorts *ret);
