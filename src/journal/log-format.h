/* The line formats of log_location files (compat §5.3): zerolog's JSON and ConsoleWriter lines as
 * process-compose writes them, and Go's time layouts for their timestamps. Pure: no I/O but the local time
 * zone (localtime_r) and $NO_COLOR. log-file.h writes these lines to files. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "shared/buffer.h"
#include "shared/macro.h"
#include "shared/time-util.h"

typedef struct ComposeLogConfig ComposeLogConfig;

typedef struct LogFileConfig {
        bool disable_json;
        bool add_timestamp;
        const char *timestamp_format;    /* Go layout; NULL: RFC 3339 (JSON) or "3:04PM" (console) */
        bool no_metadata;
        bool no_color;
        bool flush_each_line;
        char *const *fields_order;       /* console parts order, NULL-terminated; NULL: time level message */
        bool rotate;
        int max_size_mb;                 /* 0: 100 */
        int max_backups;                 /* 0: keep all */
        int max_age_days;                /* 0: no age limit */
        bool compress;
} LogFileConfig;

/* Fills cfg from the compose model; c may be NULL (defaults). The strings stay owned by c. */
void log_file_config_from_compose(const ComposeLogConfig *c, LogFileConfig *ret);

/* Appends one formatted line (with its '\n') to b; on failure b is as before and usable. */
int log_file_format_line(const LogFileConfig *cfg, Buffer *b, const char *process, int replica, bool is_error,
                         const char *message, size_t msg_len, usec_t realtime);
/* Go's time.Format for a µs realtime in the local time zone. Returns the length written (< size). */
size_t go_time_format(char *buf, size_t size, const char *layout, usec_t realtime);
