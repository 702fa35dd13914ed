/* Unit names from arbitrary bytes: the input is "<project>\n<process>" (no newline: both parts are the
 * whole input). Escaping must give only characters allowed in unit names, round-trip exactly, be
 * deterministic, and every name pcctl builds from it must be a valid unit name of at most 255 bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shared/macro.h"
#include "unit/unit-driver.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_part(const char *s) {
        _cleanup_free_ char *e = NULL, *e2 = NULL, *u = NULL;

        if (unit_name_escape(s, &e) < 0)
                abort();
        for (const char *p = e; *p; p++)
                if (!strchr("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ:_.-\\", *p))
                        abort();
        if (e[0] == '.')
                abort();
        if (unit_name_unescape(e, &u) < 0 || !streq(u, s))
                abort();
        if (unit_name_escape(s, &e2) < 0 || !streq(e, e2))
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *buf = NULL, *unit = NULL, *slice = NULL, *pattern = NULL;
        const char *project, *process;
        char *nl;
        int r;

        if (size > 4096)
                return 0;
        buf = strndup((const char *) data, size); /* stops at an embedded NUL */
        if (!buf)
                return 0;
        nl = strchr(buf, '\n');
        if (nl) {
                *nl = 0;
                project = buf;
                process = nl + 1;
        } else
                project = process = buf;

        check_part(project);
        check_part(process);

        r = unit_name_for_process(project, process, &unit);
        if (r >= 0) {
                if (!unit_name_is_valid(unit) || strlen(unit) > 255 || !endswith(unit, ".service"))
                        abort();
        } else if (r != -EINVAL && r != -ENAMETOOLONG)
                abort();

        r = unit_name_for_slice(project, &slice);
        if (r >= 0) {
                if (!unit_name_is_valid(slice) || !endswith(slice, ".slice"))
                        abort();
        } else if (r != -EINVAL && r != -ENAMETOOLONG)
                abort();

        (void) unit_name_project_pattern(project, &pattern);
        /* an escaped name never contains the pattern's wildcard */
        if (pattern && strchr(pattern, '*') != pattern + strlen(pattern) - 1)
                abort();

        /* unescaping arbitrary input must fail cleanly or succeed, never crash */
        {
                _cleanup_free_ char *u = NULL;
                (void) unit_name_unescape(buf, &u);
        }
        return 0;
}
