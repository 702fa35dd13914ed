/* Time types and conversions (µs, as sd-event and sd-journal use). */
#pragma once

#include <stdint.h>
#include <time.h>

typedef uint64_t usec_t;
typedef uint64_t nsec_t;

#define USEC_INFINITY ((usec_t) UINT64_MAX)
#define NSEC_PER_SEC ((nsec_t) 1000000000ULL)
#define NSEC_PER_MSEC ((nsec_t) 1000000ULL)
#define NSEC_PER_USEC ((nsec_t) 1000ULL)
#define USEC_PER_SEC ((usec_t) 1000000ULL)
#define USEC_PER_MSEC ((usec_t) 1000ULL)
#define USEC_PER_MINUTE ((usec_t) (60ULL * USEC_PER_SEC))
#define USEC_PER_HOUR ((usec_t) (60ULL * USEC_PER_MINUTE))
#define USEC_PER_DAY ((usec_t) (24ULL * USEC_PER_HOUR))

usec_t now_usec(clockid_t clock);

/* Formats a realtime µs timestamp as RFC 3339 with nanosecond precision and the local offset, as Go's
 * time.RFC3339Nano does (trailing zeros of the fraction removed). buf needs 40 bytes. */
char *format_rfc3339nano(char *buf, size_t size, usec_t t);

/* process-compose's human duration ("2m3s", "5h", "3d4h"). buf needs 32 bytes. */
char *format_human_duration(char *buf, size_t size, usec_t d);
