/* See cli-x-systemd.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli-x-systemd.h"
#include "shared/macro.h"
#include "unit/unit-xprops.h"

int cli_validate_x_systemd(const ComposeProject *project) {
        int ret = 0;

        for (size_t i = 0; i < project->n_processes; i++) {
                const ComposeProcess *c = project->processes[i];
                for (size_t k = 0; k < c->n_x_systemd; k++) {
                        const ComposeXProp *x = &c->x_systemd[k];
                        _cleanup_free_ char *err = NULL;

                        if (unit_xprop_validate(x->key, x->value, &err) >= 0)
                                continue;
                        if (x->file)
                                fprintf(stderr, "%s:%u:%u: ", x->file, x->line, x->column);
                        /* the reason already starts with "x-systemd: " */
                        fprintf(stderr, "process %s: %s\n", c->name, err ?: "x-systemd: invalid property");
                        ret = -EINVAL;
                }
        }
        return ret;
}
