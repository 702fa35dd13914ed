/* log_location files in process-compose's formats (compat §5.3).
 *
 * A LogFile is a reader of one or more LogRings (a process file reads its process's ring; the project file
 * reads every process without its own log_location). Each attached ring is read by sequence number from its
 * observer callback: new lines are formatted into a memory buffer at once (so no line is lost even when a
 * large journal batch overruns the ring), and written to the file from a defer source: after every batch
 * with flush_each_line, else once 4 KiB are buffered (like process-compose's bufio writer) or at the latest
 * after one second. Writes never wait for a consumer; a write error drops the buffered lines and is counted.
 *
 *         LogFileConfig cfg;
 *         log_file_config_from_compose(p->config->log_configuration, &cfg);
 *         log_file_open(event, path, &cfg, &lf);          <- at the process's first start
 *         log_file_attach(lf, p->log, "web", 0);
 *         ...
 *         lf = log_file_close(lf);                         <- flushes
 *
 * Formats (log-format.h):
 *   JSON (default), zerolog's field order:
 *     {"level":"info","process":"web","replica":0,"time":"2024-05-01T10:00:00+02:00","message":"line"}
 *     stderr lines are "error"; "time" only with add_timestamp (RFC 3339, or timestamp_format, a Go layout);
 *     no_metadata drops process and replica; an empty line has no "message" field.
 *   disable_json, zerolog's ConsoleWriter:
 *     "3:04PM INF line process=web replica=0" with ANSI colours unless no_color (or $NO_COLOR); the time part
 *     is "<nil>" without add_timestamp; fields_order replaces the parts order (time, level, message).
 *   Rotation (lumberjack): append instead of truncate; when a line would grow the file past max_size_mb (100
 *     if 0), it is renamed to <name>-<local time 2006-01-02T15-04-05.000><.ext>, optionally gzipped (in
 *     steps, from the event loop), and backups beyond max_backups / older than max_age_days are removed.
 * pcctl's own lines (LOG_STREAM_PCCTL: restart markers, probe failures, journald drop notes) are not written,
 * as process-compose writes only process output to these files. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "journal/log-format.h"
#include "journal/logring.h"
#include "shared/buffer.h"
#include "shared/macro.h"

typedef struct LogFile LogFile;

/* Creates parent directories (0755) and opens path (0600): truncated, or appended to with rotation. */
int log_file_open(sd_event *e, const char *path, const LogFileConfig *cfg, LogFile **ret);
/* Flushes, finishes pending compression synchronously, closes. */
LogFile *log_file_close(LogFile *f);
DEFINE_TRIVIAL_CLEANUP_FUNC(LogFile *, log_file_close);

/* Writes the ring's lines appended from now on, labelled process/replica. The ring must stay alive until
 * log_file_detach() or log_file_close(). */
int log_file_attach(LogFile *f, LogRing *ring, const char *process, int replica);
int log_file_detach(LogFile *f, LogRing *ring);

/* Writes what is buffered now. */
int log_file_flush(LogFile *f);

typedef struct LogFileStats {
        uint64_t lines;                  /* lines formatted */
        uint64_t missed;                 /* lines lost to ring overruns before they were read */
        uint64_t write_errors;           /* failed writes (their lines are dropped) */
        uint64_t rotations;
} LogFileStats;
void log_file_get_stats(const LogFile *f, LogFileStats *ret);
