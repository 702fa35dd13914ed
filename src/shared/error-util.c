#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "shared/error-util.h"

int error_set(char **ret_error, int r, const char *format, ...) {
        va_list ap;
        char *s = NULL;

        if (!ret_error)
                return r;
        va_start(ap, format);
        if (vasprintf(&s, format, ap) < 0)
                s = NULL;
        va_end(ap);
        free(*ret_error);
        *ret_error = s;
        return r;
}
