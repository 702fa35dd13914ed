/* Go text/template subset (the {{ .NAME }} fields of process-compose) on arbitrary text. Must hold: no
 * crash or leak; success gives a result and no error; a refusal gives an error that starts "template: ". */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "compose/compose-internal.h"
#include "shared/macro.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const ComposeKV vars[] = {
                { .key = (char *) "NAME", .value = (char *) "web" },
                { .key = (char *) "PC_REPLICA_NUM", .value = (char *) "3", .literal = true },
                { .key = (char *) "EMPTY", .value = (char *) "" },
                { .key = (char *) "BRACES", .value = (char *) "{{ .NAME }}" },
                { .key = (char *) "NAME", .value = (char *) "override" },
        };
        _cleanup_free_ char *text = NULL, *out = NULL, *error = NULL;
        int r;

        if (size > 64 * 1024)
                return 0;
        text = strndup((const char *) data, size); /* fields are C strings: stops at a NUL */
        if (!text)
                return 0;
        r = template_render(text, vars, ELEMENTSOF(vars), &out, &error);
        if (r >= 0) {
                if (!out || error)
                        abort();
        } else if (r == -EINVAL) {
                if (!error || strncmp(error, "template: ", 10) != 0)
                        abort();
        } else if (r != -ENOMEM)
                abort();
        return 0;
}
