/* The controller's state file from arbitrary bytes. Parsing never crashes and either fails with one of its
 * three documented errors and a one-line message, or succeeds; a parsed file formats to text that parses
 * again to the same content (format(parse(x)) is a fixed point). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/state-file.h"
#include "shared/macro.h"
#include "shared/strv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool strv_same(char **a, char **b) {
        size_t na = strv_length(a), nb = strv_length(b);

        if (na != nb)
                return false;
        for (size_t i = 0; i < na; i++)
                if (!streq(a[i], b[i]))
                        return false;
        return true;
}

static void check_same(const StateFile *a, const StateFile *b) {
        if (!streq_ptr(a->project, b->project) || a->controller_pid != b->controller_pid ||
            !streq_ptr(a->api_address, b->api_address) || a->no_deps != b->no_deps ||
            !strv_same(a->selection, b->selection) || !strv_same(a->namespaces, b->namespaces) ||
            a->n_processes != b->n_processes)
                abort();
        for (size_t i = 0; i < a->n_processes; i++) {
                const StateProcess *p = &a->processes[i], *q = &b->processes[i];
                if (!streq(p->name, q->name) || p->restarts != q->restarts ||
                    p->stopped_by_user != q->stopped_by_user || !streq_ptr(p->status, q->status) ||
                    p->exit_code != q->exit_code || p->log_seq != q->log_seq ||
                    !streq_ptr(p->cursor, q->cursor) || !streq_ptr(p->spec_hash, q->spec_hash))
                        abort();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(state_file_done) StateFile s = {}, again = {};
        _cleanup_free_ char *error = NULL, *text = NULL, *error2 = NULL;
        int r;

        if (size > 64 * 1024)
                return 0;
        r = state_file_parse((const char *) data, size, &s, &error);
        if (r < 0) {
                if (r != -EINVAL && r != -ENODATA && r != -EPROTO && r != -ENOMEM)
                        abort();
                if (r != -ENOMEM && (!error || strchr(error, '\n')))
                        abort();
                return 0;
        }
        if (error)
                abort();
        if (state_file_format(&s, &text) < 0)
                abort();
        if (state_file_parse(text, strlen(text), &again, &error2) < 0)
                abort();
        check_same(&s, &again);
        return 0;
}
