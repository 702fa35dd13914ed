/* What unit-xprops.c and unit-xprops-parse.c share. Not for use outside src/unit/. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shared/time-util.h"

typedef enum RlimitUnit {
        RLIMIT_UNIT_NUMBER,
        RLIMIT_UNIT_SIZE,
        RLIMIT_UNIT_SEC,   /* LimitCPU: seconds, rounded up */
        RLIMIT_UNIT_USEC,  /* LimitRTTIME: a bare number is µs */
        RLIMIT_UNIT_NICE,  /* LimitNICE: 0..40, or a nice level with an explicit sign */
        _RLIMIT_UNIT_MAX,
        _RLIMIT_UNIT_INVALID = -EINVAL,
} RlimitUnit;

/* bytes with K/M/G/T/P/E (base 1024) */
int xprop_parse_size(const char *s, uint64_t *ret);
/* "N%" or "N.NN%" in 1/10000 */
int xprop_parse_permyriad(const char *s, uint64_t *ret);
/* "90", "1min 30s", "infinity" (USEC_INFINITY); a bare number is in default_unit */
int xprop_parse_timespan(const char *s, usec_t default_unit, usec_t *ret);
/* systemd's parse_boolean(): 1, 0 or -EINVAL */
int xprop_parse_boolean(const char *s);
/* a user or group name (systemd's relaxed rules) or a numeric id */
bool xprop_valid_user_name(const char *s, size_t len);
int xprop_parse_rlimit_one(RlimitUnit unit, const char *s, uint64_t *ret);
/* what a value of unit looks like, for messages */
const char *xprop_rlimit_unit_text(RlimitUnit unit);
