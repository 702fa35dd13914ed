/* Checking a project's x-systemd maps before anything runs, shared by `pcctl config` and `pcctl up`. */
#pragma once

#include "compose/compose.h"

/* Validates every process's x-systemd properties with unit_xprop_validate() and prints each bad one to
 * stderr as "FILE:LINE:COLUMN: process NAME: x-systemd: REASON". Returns 0, or -EINVAL if any was bad. */
int cli_validate_x_systemd(const ComposeProject *project);
