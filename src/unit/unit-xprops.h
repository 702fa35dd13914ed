/* The x-systemd extension: extra unit properties per process, in systemd's unit-file syntax
 * ("MemoryMax: 512M", "CPUQuota: 50%", "Nice: 5"). Each key is checked against a table of the properties
 * pcctl knows how to encode, with their D-Bus types, so a typo fails at load time naming the property
 * instead of at StartTransientUnit. Properties pcctl sets itself (ExecStart, Environment, Type, Restart,
 * KillMode, Slice, WorkingDirectory, ...) are rejected with the reason and the compose key to use instead.
 *
 * Validation does no I/O: it does not look users or paths up, so "User: nobody" is accepted here and a
 * missing user shows up as the unit's start failure (exit 217/USER). */
#pragma once

#include <stdbool.h>

#include <systemd/sd-bus.h>

/* Bounds on what a compose file may put in an x-systemd map. */
#define UNIT_XPROP_KEY_MAX 64
#define UNIT_XPROP_VALUE_MAX 4096
#define UNIT_XPROPS_MAX 64

/* 0 if key/value can be appended; -EINVAL with *ret_error naming the property and the problem otherwise
 * (e.g. "x-systemd: unknown property 'MemMax'"); -ENOMEM. *ret_error is set only on -EINVAL. */
int unit_xprop_validate(const char *key, const char *value, char **ret_error);

/* Appends the "(sv)" entries for key/value to an open a(sv) container: usually one, two for rlimits
 * ("LimitNOFILE: 1024:4096" sets LimitNOFILESoft and LimitNOFILE). -EINVAL for what validate rejects. */
int unit_xprop_append(sd_bus_message *m, const char *key, const char *value);

/* True for properties that only make sense on the system manager (User, Group, SupplementaryGroups):
 * a user manager cannot switch uid and the unit fails with exit 216/GROUP or 217/USER. The caller decides
 * whether to warn or refuse in user mode. False for unknown keys. */
bool unit_xprop_system_only(const char *key);
