/* The x-systemd extension: extra unit properties per process, in systemd's unit-file syntax
 * ("MemoryMax: 512M", "CPUQuota: 50%", "Nice: 5"). Each key is checked against a table of the properties
 * pcctl knows how to encode, with their D-Bus types, so a typo fails at load time naming the property
 * instead of at StartTransientUnit. */
#pragma once

#include <systemd/sd-bus.h>

/* 0 if key/value can be appended; -EINVAL with *ret_error naming the property and the problem otherwise. */
int unit_xprop_validate(const char *key, const char *value, char **ret_error);
/* Appends one "(sv)" for key/value to an open a(sv) container. */
int unit_xprop_append(sd_bus_message *m, const char *key, const char *value);
