/* Logging for the top of the stack.
 *
 * Library-like modules (compose, ring buffers, queues, router, handshake) do not log: they return errors.
 * Modules that own I/O (manager, unit driver, journal reader, http server, ws session) log once per error:
 *         return log_error_errno(r, "Failed to start unit %s: %m", name);
 * %m prints strerror(-r). The functions return r (or -EINVAL when r is 0), so they chain into returns. */
#pragma once

#include <stdarg.h>
#include <syslog.h>

#include "shared/macro.h"

void log_set_max_level(int level);
int log_get_max_level(void);
/* Prefix printed before each message, "pcctl" by default. Not copied: pass a static string. */
void log_set_ident(const char *ident);

int log_internal(int level, int error, const char *file, int line, const char *func, const char *format, ...)
        _printf_(6, 7);
int log_internalv(int level, int error, const char *file, int line, const char *func, const char *format,
                  va_list ap) _printf_(6, 0);

#define log_full_errno(level, error, ...)                                                           \
        ({                                                                                          \
                int _level_ = (level), _e_ = (error);                                               \
                (log_get_max_level() >= _level_)                                                    \
                        ? log_internal(_level_, _e_, __FILE__, __LINE__, __func__, __VA_ARGS__)     \
                        : -(_e_ < 0 ? -_e_ : _e_ ?: EINVAL);                                        \
        })
#define log_full(level, ...) ((void) log_full_errno(level, 0, __VA_ARGS__))

#define log_debug(...) log_full(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_full(LOG_INFO, __VA_ARGS__)
#define log_notice(...) log_full(LOG_NOTICE, __VA_ARGS__)
#define log_warning(...) log_full(LOG_WARNING, __VA_ARGS__)
#define log_error(...) log_full(LOG_ERR, __VA_ARGS__)

#define log_debug_errno(e, ...) log_full_errno(LOG_DEBUG, e, __VA_ARGS__)
#define log_info_errno(e, ...) log_full_errno(LOG_INFO, e, __VA_ARGS__)
#define log_notice_errno(e, ...) log_full_errno(LOG_NOTICE, e, __VA_ARGS__)
#define log_warning_errno(e, ...) log_full_errno(LOG_WARNING, e, __VA_ARGS__)
#define log_error_errno(e, ...) log_full_errno(LOG_ERR, e, __VA_ARGS__)

#define log_oom() log_error_errno(-ENOMEM, "Out of memory.")
