/* ${VAR} substitution (drone/envsubst grammar) on arbitrary text, with a fixed environment that has short,
 * empty, long and self-referencing values. Must hold: no crash or leak; success gives a NUL-terminated
 * result of the reported size; a syntax error gives drone's message and an offset inside the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "compose/compose-internal.h"
#include "shared/macro.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *lookup(const char *name, void *userdata) {
        static const char *const vars[][2] = {
                { "A", "1" },
                { "EMPTY", "" },
                { "HOME", "/home/fuzz" },
                { "SELF", "${SELF}" },
                { "DOLLAR", "$$" },
                { "LONG", "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz" },
                { "UPPER", "Hello World" },
                { "PATHS", "/usr/local/bin:/usr/bin:/bin" },
        };

        for (size_t i = 0; i < ELEMENTSOF(vars); i++)
                if (streq(name, vars[i][0]))
                        return vars[i][1];
        return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *out = NULL;
        const char *msg = NULL;
        size_t n = SIZE_MAX, off = SIZE_MAX;
        int r;

        if (size > 64 * 1024)
                return 0;
        r = envsubst_expand((const char *) data, size, lookup, NULL, &out, &n, &off, &msg);
        if (r >= 0) {
                if (!out || n == SIZE_MAX || out[n] != 0)
                        abort();
        } else if (r == -EINVAL) {
                if (!msg || off > size)
                        abort();
        } else if (r != -E2BIG && r != -ENOMEM)
                abort();
        return 0;
}
