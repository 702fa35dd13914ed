/* A stream to journald, opened by the process that writes to it: what systemd sets up for a unit's
 * StandardOutput=journal, with our own identifier and priority. Each line written becomes one journal entry
 * with SYSLOG_IDENTIFIER=<identifier>, PRIORITY=<priority> and the writer's trusted fields (_PID, cgroup,
 * unit), taken by journald from the socket's peer credentials when it accepts the connection.
 *
 * Plain libc on purpose: the __exec wrapper (src/cli/verb-exec.c) runs in every unit before the command
 * and is also built as the small helper program pcctl-exec, which links nothing but libc. */
#pragma once

#include <stdbool.h>

/* journald's socket for stream connections */
#define JOURNAL_STDOUT_SOCKET "/run/systemd/journal/stdout"

/* Connects to journald's stream socket and sends the stream header. level_prefix: a line starting with "<N>"
 * sets that line's priority (syslog style); false keeps such lines as text. Returns a write-only socket
 * (O_CLOEXEC) or -errno: -EINVAL for an identifier with a newline, or what socket()/connect()/write()
 * said (-ENOENT or -ECONNREFUSED without journald). */
int journal_stream_open(const char *identifier, int priority, bool level_prefix);
