/* The console of `pcctl up`: process output as `[name\t] line` (compat §5.4) and, on a TTY, a live status
 * line under it.
 *
 * Output never blocks the loop: bytes go to a bounded buffer that is written when stdout can take them
 * (stdout is switched to O_NONBLOCK while pcctl runs, unless it is a regular file, where writes do not
 * block; the flags are restored by console_free()). When a slow reader lets the buffer fill up, whole lines
 * are dropped and counted, and a note saying how many is printed once output flows again. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "journal/logring.h"
#include "shared/macro.h"

typedef struct Console Console;

#define CONSOLE_BUFFER_MAX (4U * 1024U * 1024U)

/* color: ANSI colours for names and stderr lines; status: keep a live status line at the bottom. */
int console_new(sd_event *e, int fd, bool color, bool status, Console **ret);
Console *console_free(Console *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(Console *, console_free);

/* One log line of a process: `[name\t] line\n`, the name bold in its colour, stderr lines red. */
void console_log_line(Console *c, const char *name, const char *line, size_t len, LogStream stream);
/* A line of pcctl's own (notices, "Project Completed..."). */
void console_notice(Console *c, const char *fmt, ...) _printf_(2, 3);
/* Replaces the status line (TTY status mode only; ignored otherwise). */
void console_set_status(Console *c, const char *status);
/* Writes what can be written now without blocking. */
void console_flush(Console *c);
/* Blocks until everything queued is written or timeout passes (at exit only). */
void console_drain(Console *c, usec_t timeout);
uint64_t console_dropped(const Console *c);

/* process-compose's name colour: FNV-32a of the name mod 7, added to FgHiBlack (90). */
int console_name_color(const char *name);
