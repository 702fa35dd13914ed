/* Dotenv text (godotenv format) from arbitrary bytes. Must hold: no crash or leak; success appends only
 * "KEY=VALUE" entries with a non-empty key and no duplicate keys; a refusal names a line of the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "compose/compose-internal.h"
#include "shared/macro.h"
#include "shared/strv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_strv_free_ char **env = NULL;
        unsigned line = 0, lines = 1;
        int r;

        if (size > 64 * 1024)
                return 0;
        /* an entry from "before" (an earlier file) that the input may override */
        if (strv_extend(&env, "A=before") < 0)
                return 0;
        for (size_t i = 0; i < size; i++)
                lines += data[i] == '\n';

        r = dotenv_parse((const char *) data, size, &env, &line);
        if (r >= 0) {
                STRV_FOREACH(e, env) {
                        const char *eq = strchr(*e, '=');

                        if (!eq || eq == *e)
                                abort();
                        for (char * const *f = e + 1; *f; f++)
                                if (strncmp(*e, *f, (size_t) (eq - *e) + 1) == 0)
                                        abort();
                }
        } else if (r == -EINVAL) {
                if (line < 1 || line > lines)
                        abort();
        } else if (r != -ENOMEM && r != -E2BIG)
                abort();
        return 0;
}
