/* Freeing, copying and looking up the plain-data model of compose.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "compose/compose-table.h"
#include "shared/strv.h"

static const char * const condition_table[_COMPOSE_CONDITION_MAX] = {
        [COMPOSE_CONDITION_PROCESS_COMPLETED] = "process_completed",
        [COMPOSE_CONDITION_PROCESS_COMPLETED_SUCCESSFULLY] = "process_completed_successfully",
        [COMPOSE_CONDITION_PROCESS_HEALTHY] = "process_healthy",
        [COMPOSE_CONDITION_PROCESS_STARTED] = "process_started",
        [COMPOSE_CONDITION_PROCESS_LOG_READY] = "process_log_ready",
};

static const char * const restart_table[_COMPOSE_RESTART_MAX] = {
        [COMPOSE_RESTART_NO] = "no",
        [COMPOSE_RESTART_ALWAYS] = "always",
        [COMPOSE_RESTART_ON_FAILURE] = "on_failure",
        [COMPOSE_RESTART_EXIT_ON_FAILURE] = "exit_on_failure",
};

const char *compose_condition_to_string(ComposeCondition c) {
        return c >= 0 && c < _COMPOSE_CONDITION_MAX ? condition_table[c] : NULL;
}

const char *compose_condition_to_short_string(ComposeCondition c) {
        const char *s = compose_condition_to_string(c);
        return s ? s + STRLEN("process_") : NULL;
}

ComposeCondition compose_condition_from_string(const char *s) {
        if (!s)
                return _COMPOSE_CONDITION_INVALID;
        for (int i = 0; i < _COMPOSE_CONDITION_MAX; i++)
                if (streq(condition_table[i], s))
                        return i;
        return _COMPOSE_CONDITION_INVALID;
}

const char *compose_restart_to_string(ComposeRestart r) {
        return r >= 0 && r < _COMPOSE_RESTART_MAX ? restart_table[r] : NULL;
}

ComposeRestart compose_restart_from_string(const char *s) {
        if (!s)
                return _COMPOSE_RESTART_INVALID;
        for (int i = 0; i < _COMPOSE_RESTART_MAX; i++)
                if (streq(restart_table[i], s))
                        return i;
        return _COMPOSE_RESTART_INVALID;
}

void compose_pos_done(ComposePos *p) {
        p->file = mfree(p->file);
}

int compose_pos_copy(ComposePos *dst, const ComposePos *src) {
        *dst = *src;
        dst->file = NULL;
        return free_and_strdup(&dst->file, src->file);
}

void compose_kv_free_array(ComposeKV *kv, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(kv[i].key);
                free(kv[i].value);
        }
        free(kv);
}

int compose_kv_copy_array(ComposeKV **dst, size_t *n_dst, const ComposeKV *src, size_t n) {
        ComposeKV *a;

        *dst = NULL;
        *n_dst = 0;
        if (n == 0)
                return 0;
        a = new0(ComposeKV, n);
        if (!a)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                a[i].key = strdup(src[i].key);
                a[i].value = strdup(strempty(src[i].value));
                a[i].literal = src[i].literal;
                if (!a[i].key || !a[i].value) {
                        compose_kv_free_array(a, n);
                        return -ENOMEM;
                }
        }
        *dst = a;
        *n_dst = n;
        return 0;
}

/* Sets key (replacing an existing entry with the same key). */
int compose_kv_set(ComposeKV **a, size_t *n, const char *key, const char *value, bool literal) {
        ComposeKV *na;
        char *v;

        v = strdup(strempty(value));
        if (!v)
                return -ENOMEM;
        for (size_t i = 0; i < *n; i++)
                if (streq((*a)[i].key, key)) {
                        free((*a)[i].value);
                        (*a)[i].value = v;
                        (*a)[i].literal = literal;
                        return 0;
                }
        na = realloc(*a, sizeof(ComposeKV) * (*n + 1));
        if (!na) {
                free(v);
                return -ENOMEM;
        }
        *a = na;
        na[*n] = (ComposeKV) { .key = strdup(key), .value = v, .literal = literal };
        if (!na[*n].key) {
                free(v);
                return -ENOMEM;
        }
        (*n)++;
        return 0;
}

const ComposeKV *compose_kv_get(const ComposeKV *a, size_t n, const char *key) {
        for (size_t i = 0; i < n; i++)
                if (streq(a[i].key, key))
                        return &a[i];
        return NULL;
}

void compose_deps_free(ComposeDependency *d, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(d[i].name);
                compose_pos_done(&d[i].pos);
        }
        free(d);
}

void compose_xprops_free(ComposeXProp *x, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(x[i].key);
                free(x[i].value);
                free(x[i].file);
        }
        free(x);
}

ComposeProcess *compose_process_free(ComposeProcess *p) {
        if (!p)
                return NULL;
        compose_table_free(&compose_process_table, p);
        return mfree(p);
}

ComposeProject *compose_project_free(ComposeProject *p) {
        if (!p)
                return NULL;
        compose_table_free(&compose_project_table, p);
        return mfree(p);
}

int compose_deps_copy(ComposeDependency **dst, size_t *n_dst, const ComposeDependency *src, size_t n) {
        ComposeDependency *d;

        *dst = NULL;
        *n_dst = 0;
        if (n == 0)
                return 0;
        d = new0(ComposeDependency, n);
        if (!d)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                d[i].condition = src[i].condition;
                d[i].name = strdup(src[i].name);
                if (!d[i].name || compose_pos_copy(&d[i].pos, &src[i].pos) < 0) {
                        compose_deps_free(d, n);
                        return -ENOMEM;
                }
        }
        *dst = d;
        *n_dst = n;
        return 0;
}

int compose_process_dup(const ComposeProcess *src, ComposeProcess **ret) {
        _cleanup_(compose_process_freep) ComposeProcess *p = NULL;
        int r;

        p = new0(ComposeProcess, 1);
        if (!p)
                return -ENOMEM;
        r = compose_table_copy(&compose_process_table, p, src);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(p);
        return 0;
}

bool compose_process_equal(const ComposeProcess *a, const ComposeProcess *b) {
        if (!a || !b)
                return a == b;
        return compose_table_equal(&compose_process_table, a, b);
}

/* ---- lookups ---- */

ComposeProcess *compose_project_find_process(const ComposeProject *p, const char *name) {
        size_t lo = 0, hi;

        if (!p || !name)
                return NULL;
        /* processes are kept sorted by name */
        hi = p->n_processes;
        while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                int c = strcmp(p->processes[mid]->name, name);
                if (c == 0)
                        return p->processes[mid];
                if (c < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        /* a caller that appended without compose_project_sort() still finds its process */
        for (size_t i = 0; i < p->n_processes; i++)
                if (streq(p->processes[i]->name, name))
                        return p->processes[i];
        return NULL;
}

int compose_project_find_replicas(const ComposeProject *p, const char *base_name, ComposeProcess ***ret) {
        ComposeProcess **a = NULL;
        size_t n = 0;

        for (size_t i = 0; i < p->n_processes; i++)
                if (streq(p->processes[i]->base_name, base_name)) {
                        ComposeProcess **na = realloc(a, sizeof(ComposeProcess *) * (n + 1));
                        if (!na) {
                                free(a);
                                return -ENOMEM;
                        }
                        a = na;
                        a[n++] = p->processes[i];
                }
        /* by replica number, not name: "web-10" sorts before "web-2" only if widths differ, which they don't,
         * but keep the contract independent of naming */
        for (size_t i = 1; i < n; i++)
                for (size_t j = i; j > 0 && a[j - 1]->replica_num > a[j]->replica_num; j--) {
                        ComposeProcess *t = a[j];
                        a[j] = a[j - 1];
                        a[j - 1] = t;
                }
        *ret = a;
        return (int) n;
}

static int process_cmp(const void *a, const void *b) {
        return strcmp((*(ComposeProcess * const *) a)->name, (*(ComposeProcess * const *) b)->name);
}

void compose_project_sort(ComposeProject *p) {
        if (p->n_processes > 1)
                qsort(p->processes, p->n_processes, sizeof(ComposeProcess *), process_cmp);
}

char *compose_replica_name(const char *base, int i, int n) {
        char *s;
        int width = 1;

        if (n <= 1)
                return strdup(base);
        for (int k = n; k >= 10; k /= 10)
                width++;
        return asprintf(&s, "%s-%0*d", base, width, i) < 0 ? NULL : s;
}

char *compose_dry_run_message(const ComposeProject *project) {
        char *s;
        return asprintf(&s, "Validated %zu configured processes from %zu files.", project->n_processes,
                        strv_length(project->file_names)) < 0 ? NULL : s;
}

int compose_project_add_warning(ComposeProject *p, const ComposePos *pos, const char *fmt, ...) {
        va_list ap;
        char *m = NULL, *full = NULL;
        int k;

        va_start(ap, fmt);
        k = vasprintf(&m, fmt, ap);
        va_end(ap);
        if (k < 0)
                return -ENOMEM;
        if (pos && pos->file) {
                if (pos->line > 0)
                        k = asprintf(&full, "%s:%u:%u: %s", pos->file, pos->line, pos->column, m);
                else
                        k = asprintf(&full, "%s: %s", pos->file, m);
                free(m);
                if (k < 0)
                        return -ENOMEM;
        } else
                full = m;
        /* bounded: a hostile file could otherwise produce millions of warnings */
        if (strv_length(p->warnings) >= 1000) {
                free(full);
                return 0;
        }
        return strv_consume(&p->warnings, full);
}

int compose_project_add_note(ComposeProject *p, const char *fmt, ...) {
        va_list ap;
        char *m = NULL;
        int k;

        if (strv_length(p->notes) >= 1000)
                return 0;
        va_start(ap, fmt);
        k = vasprintf(&m, fmt, ap);
        va_end(ap);
        if (k < 0)
                return -ENOMEM;
        if (strv_contains(p->notes, m)) {
                free(m);
                return 0;
        }
        return strv_consume(&p->notes, m);
}

int compose_findings_add(ComposeFindings *f, const char *file, unsigned line, unsigned column, const char *fmt, ...) {
        va_list ap;
        ComposeFinding *n;
        char *m = NULL;
        int k;

        if (f->n >= 1000)
                return 0;
        va_start(ap, fmt);
        k = vasprintf(&m, fmt, ap);
        va_end(ap);
        if (k < 0)
                return -ENOMEM;
        n = realloc(f->items, sizeof(ComposeFinding) * (f->n + 1));
        if (!n) {
                free(m);
                return -ENOMEM;
        }
        f->items = n;
        n[f->n] = (ComposeFinding) { .pos = { .file = file ? strdup(file) : NULL, .line = line, .column = column },
                                     .message = m };
        f->n++;
        return 0;
}

void compose_findings_done(ComposeFindings *f) {
        for (size_t i = 0; i < f->n; i++) {
                compose_pos_done(&f->items[i].pos);
                free(f->items[i].message);
        }
        free(f->items);
        *f = (ComposeFindings) {};
}

bool compose_schedule_is_set(const ComposeSchedule *s) {
        return s && (!isempty(s->cron) || !isempty(s->interval));
}
