/* `pcctl down` when no controller answers: the project is stopped through systemd itself (docs/lifecycle.md
 * "Controller restarts"). */
#pragma once

#include <stdbool.h>

typedef struct ClientOptions ClientOptions;

/* Finds the project (the configuration in the working directory, else the state file whose API address is
 * the one the client targets), ends its controller if one still holds the project's lock (SIGTERM; with
 * force, SIGKILL after a few seconds), stops the controller unit pcctl-<project>.service if detached, then
 * every process unit in reverse dependency order when the configuration is at hand, then the whole slice,
 * forgets failed units and removes the state file. Prints what it did. Returns 0, -ESRCH when there is no such
 * project or nothing of it is left (the caller reports its own error then), or another -errno. */
int down_via_systemd(const ClientOptions *o, bool force);
