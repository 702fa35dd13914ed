/* Error messages that travel with an error code.
 *
 * Functions whose failures a user sees (API error bodies, CLI messages) return -errno and hand back the text
 * through a char **ret_error. error_set() does both in one statement:
 *         return error_set(ret_error, -ENOENT, "no such process: %s", name); */
#pragma once

#include "shared/macro.h"

/* Replaces *ret_error (freeing what it held; it must be NULL or allocated) with the formatted message, when
 * ret_error is not NULL. Returns r. */
int error_set(char **ret_error, int r, const char *format, ...) _printf_(3, 4);
