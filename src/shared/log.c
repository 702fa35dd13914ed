#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shared/log.h"

static int max_level = LOG_INFO;
static const char *ident = "pcctl";

void log_set_max_level(int level) {
        max_level = level;
}

int log_get_max_level(void) {
        return max_level;
}

void log_set_ident(const char *i) {
        ident = i;
}

int log_internalv(int level, int error, const char *file, int line, const char *func, const char *format,
                  va_list ap) {
        int e = error < 0 ? -error : error;
        char buf[2048];

        if (level > max_level)
                return e ? -e : -EINVAL;

        /* Make %m print the error we were given. */
        errno = e;
        vsnprintf(buf, sizeof buf, format, ap);
        if (max_level >= LOG_DEBUG)
                fprintf(stderr, "%s: %s (%s:%d)\n", ident, buf, file, line);
        else
                fprintf(stderr, "%s: %s\n", ident, buf);
        return e ? -e : -EINVAL;
}

int log_internal(int level, int error, const char *file, int line, const char *func, const char *format, ...) {
        va_list ap;
        int r;

        va_start(ap, format);
        r = log_internalv(level, error, file, line, func, format, ap);
        va_end(ap);
        return r;
}
