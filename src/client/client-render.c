/* Rendering of API answers as process-compose's CLI prints them. See client-render.h. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/client-render.h"
#include "shared/json-util.h"
#include "shared/strv.h"

static const char *json_str(const cJSON *o, const char *key) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
        return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double json_num(const cJSON *o, const char *key, double def) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
        return cJSON_IsNumber(v) ? v->valuedouble : def;
}

static long long json_int(const cJSON *o, const char *key) {
        double d = json_num(o, key, 0);
        if (d >= 9.2e18 || d <= -9.2e18 || isnan(d))
                return 0;
        return (long long) d;
}

/* ---- Go-style JSON ---- */

/* Go's encoding/json string, as process-compose's client prints it. */
static void print_go_string(FILE *f, const char *s) {
        _cleanup_free_ char *e = json_escape(s, JSON_ESCAPE_GO);

        if (e)
                fputs(e, f);
}

static void print_go_number(FILE *f, double d) {
        char buf[64];

        if (!isfinite(d)) {
                fputs("null", f);
                return;
        }
        if (d == trunc(d) && fabs(d) < 1e21) {
                fprintf(f, "%.0f", d);
                return;
        }
        /* The shortest representation that reads back as the same double. */
        for (int prec = 1; prec <= 17; prec++) {
                snprintf(buf, sizeof(buf), "%.*g", prec, d);
                if (strtod(buf, NULL) == d)
                        break;
        }
        fputs(buf, f);
}

static void indent_to(FILE *f, const char *indent, unsigned level) {
        fputc('\n', f);
        for (unsigned i = 0; i < level; i++)
                fputs(indent, f);
}

static int print_go_value(FILE *f, const cJSON *j, const char *indent, unsigned level) {
        const cJSON *c;

        if (level > 1000)
                return -ELOOP;

        if (cJSON_IsObject(j) || cJSON_IsArray(j)) {
                bool obj = cJSON_IsObject(j);
                if (!j->child) {
                        fputs(obj ? "{}" : "[]", f);
                        return 0;
                }
                fputc(obj ? '{' : '[', f);
                for (c = j->child; c; c = c->next) {
                        int r;
                        indent_to(f, indent, level + 1);
                        if (obj) {
                                print_go_string(f, strempty(c->string));
                                fputs(": ", f);
                        }
                        r = print_go_value(f, c, indent, level + 1);
                        if (r < 0)
                                return r;
                        if (c->next)
                                fputc(',', f);
                }
                indent_to(f, indent, level);
                fputc(obj ? '}' : ']', f);
        } else if (cJSON_IsString(j))
                print_go_string(f, j->valuestring);
        else if (cJSON_IsNumber(j))
                print_go_number(f, j->valuedouble);
        else if (cJSON_IsTrue(j))
                fputs("true", f);
        else if (cJSON_IsFalse(j))
                fputs("false", f);
        else
                fputs("null", f);
        return 0;
}

int client_json_print_go(FILE *f, const cJSON *j, const char *indent) {
        return print_go_value(f, j, indent, 0);
}

/* ---- process states ---- */

static int cmp_state_name(const void *a, const void *b) {
        const cJSON *x = *(const cJSON * const *) a, *y = *(const cJSON * const *) b;
        return strcmp(strempty(json_str(x, "name")), strempty(json_str(y, "name")));
}

void client_states_sort(cJSON *states) {
        _cleanup_free_ cJSON **v = NULL;
        size_t n = 0, i = 0;
        cJSON *c;

        if (!cJSON_IsArray(states))
                return;
        for (c = states->child; c; c = c->next)
                n++;
        if (n < 2)
                return;
        v = new(cJSON *, n);
        if (!v)
                return;   /* unsorted output beats none */
        for (c = states->child; c; c = c->next)
                v[i++] = c;
        /* qsort is not stable; names are unique keys of the process map, so that doesn't matter. */
        qsort(v, n, sizeof(cJSON *), cmp_state_name);
        for (i = 0; i < n; i++) {
                v[i]->prev = i > 0 ? v[i - 1] : v[n - 1];   /* cJSON: child->prev is the last item */
                v[i]->next = i + 1 < n ? v[i + 1] : NULL;
        }
        states->child = v[0];
}

int client_state_namespace(const cJSON *state, char **ret) {
        const cJSON *ns = cJSON_GetObjectItemCaseSensitive(state, "namespace");
        _cleanup_strv_free_ char **l = NULL;
        char *s;
        int r;

        if (cJSON_IsString(ns) && !isempty(ns->valuestring))
                s = strdup(ns->valuestring);
        else if (cJSON_IsArray(ns) && ns->child) {
                const cJSON *c;
                cJSON_ArrayForEach(c, ns)
                        if (cJSON_IsString(c)) {
                                r = strv_extend(&l, c->valuestring);
                                if (r < 0)
                                        return r;
                        }
                s = l ? strv_join(l, ", ") : strdup("default");
        } else
                s = strdup("default");
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

/* The status column: "Running (2 runs)" while several runs of a max_concurrent schedule go on. */
static int client_state_status(const cJSON *state, char **ret) {
        long long runs = json_int(state, "active_runs");
        const char *status = strempty(json_str(state, "status"));

        if (runs > 1 ? asprintf(ret, "%s (%lld runs)", status, runs) < 0 : !(*ret = strdup(status)))
                return -ENOMEM;
        return 0;
}

#define N_COLUMNS 8

int client_states_print_table(FILE *f, const cJSON *states) {
        static const char *const header[N_COLUMNS] = {
                "PID", "NAME", "NAMESPACE", "STATUS", "AGE", "HEALTH", "RESTARTS", "EXITCODE",
        };
        _cleanup_free_ char **cells = NULL;   /* n rows × N_COLUMNS, each allocated */
        size_t width[N_COLUMNS] = {}, n = 0, i = 0;
        const cJSON *s;
        int r = 0;

        if (!cJSON_IsArray(states))
                return -EINVAL;
        cJSON_ArrayForEach(s, states)
                n++;
        cells = calloc(n * N_COLUMNS + 1, sizeof(char *));
        if (!cells)
                return -ENOMEM;

        cJSON_ArrayForEach(s, states) {
                char **row = cells + i * N_COLUMNS;
                if (asprintf(&row[0], "%lld", json_int(s, "pid")) < 0 ||
                    !(row[1] = strdup(strempty(json_str(s, "name")))) ||
                    client_state_namespace(s, &row[2]) < 0 ||
                    client_state_status(s, &row[3]) < 0 ||
                    !(row[4] = strdup(strempty(json_str(s, "system_time")))) ||
                    !(row[5] = strdup(strempty(json_str(s, "is_ready")))) ||
                    asprintf(&row[6], "%lld", json_int(s, "restarts")) < 0 ||
                    asprintf(&row[7], "%lld", json_int(s, "exit_code")) < 0) {
                        r = -ENOMEM;
                        break;
                }
                for (size_t k = 0; k < N_COLUMNS; k++)
                        width[k] = MAX(width[k], strlen(row[k]));
                i++;
        }
        if (r >= 0) {
                for (size_t k = 0; k < N_COLUMNS; k++) {
                        width[k] = MAX(width[k], strlen(header[k]));
                        fprintf(f, "%-*s   ", (int) width[k], header[k]);
                }
                fputc('\n', f);
                for (size_t row = 0; row < n; row++) {
                        for (size_t k = 0; k < N_COLUMNS; k++)
                                fprintf(f, "%-*s   ", (int) width[k], cells[row * N_COLUMNS + k]);
                        fputc('\n', f);
                }
        }
        for (size_t k = 0; k < n * N_COLUMNS; k++)
                free(cells[k]);
        return r;
}

/* ---- readiness (compat §2.8) ---- */

static bool exit_code_success(const cJSON *state) {
        long long code = json_int(state, "exit_code");
        const cJSON *codes = cJSON_GetObjectItemCaseSensitive(state, "success_exit_codes"), *c;

        if (code == 0)
                return true;
        cJSON_ArrayForEach(c, codes)
                if (cJSON_IsNumber(c) && c->valuedouble == (double) code)
                        return true;
        return false;
}

int client_state_ready(const cJSON *state, bool *ret_ready, char **ret_reason) {
        static const char *const ready_status[] = {
                "Running", "Foreground", "Launched", "Completed", "Skipped", "Disabled", "Restarting",
        };
        const char *status = strempty(json_str(state, "status"));
        const char *health = strempty(json_str(state, "is_ready"));
        const cJSON *probe = cJSON_GetObjectItemCaseSensitive(state, "has_ready_probe");
        char *reason = NULL;
        bool ok = false, ready = false;

        for (size_t i = 0; i < ELEMENTSOF(ready_status); i++)
                if (streq(status, ready_status[i]))
                        ok = true;

        if (!ok) {
                if (asprintf(&reason, "status is %s", status) < 0)
                        return -ENOMEM;
        } else if (streq(status, "Disabled")) {
                ready = true;
                reason = strdup("process is disabled");
                if (!reason)
                        return -ENOMEM;
        } else if (cJSON_IsTrue(probe) && !streq(health, "Ready")) {
                /* "-" reads oddly in a sentence; process-compose says Unknown here. */
                if (asprintf(&reason, "health is %s", streq(health, "-") ? "Unknown" : health) < 0)
                        return -ENOMEM;
        } else if (!streq(health, "Ready") && !streq(health, "-")) {
                if (asprintf(&reason, "health is %s", health) < 0)
                        return -ENOMEM;
        } else if (!exit_code_success(state)) {
                if (asprintf(&reason, "failed with exit code %lld", json_int(state, "exit_code")) < 0)
                        return -ENOMEM;
        } else
                ready = true;

        *ret_ready = ready;
        if (ret_reason)
                *ret_reason = reason;
        else
                free(reason);
        return 0;
}

int client_not_ready_message(const cJSON *states, char **ret) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        FILE *f;
        const cJSON *s;
        bool any = false;
        int r = 0;

        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        fputs("processes are not ready:", f);
        cJSON_ArrayForEach(s, states) {
                _cleanup_free_ char *reason = NULL;
                bool ready;

                r = client_state_ready(s, &ready, &reason);
                if (r < 0)
                        break;
                if (ready)
                        continue;
                any = true;
                fprintf(f, "\n• %s", strempty(json_str(s, "name")));
                if (!isempty(reason))
                        fprintf(f, " (%s)", reason);
        }
        if (fclose(f) != 0 && r >= 0)
                r = -ENOMEM;
        if (r < 0)
                return r;
        *ret = any ? TAKE_PTR(buf) : NULL;
        return 0;
}

/* ---- process stop ---- */

static void join_quoted(FILE *f, char * const *l) {
        /* 'a', 'b' */
        fputc('\'', f);
        STRV_FOREACH(s, l) {
                if (s != l)
                        fputs("', '", f);
                fputs(*s, f);
        }
        fputc('\'', f);
}

int client_stop_result(const cJSON *result, char * const *names, bool verbose, bool color, char **ret_text,
                       int *ret_exit) {
        _cleanup_strv_free_ char **pass = NULL, **failed = NULL;
        _cleanup_free_ char *buf = NULL;
        const char *ok_mark = color ? "\x1b[32m✓\x1b[0m" : "✓", *bad_mark = color ? "\x1b[31m✘\x1b[0m" : "✘";
        size_t size = 0;
        int ex = 0, r = 0;
        FILE *f;

        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;

        STRV_FOREACH(n, names) {
                const cJSON *v = cJSON_GetObjectItemCaseSensitive(result, *n);
                const char *st = cJSON_IsString(v) ? v->valuestring : NULL;

                if (verbose) {
                        if (!st) {
                                fprintf(f, "%s Unknown status for process %s\n", bad_mark, *n);
                                ex = 1;
                        } else if (streq(st, "ok"))
                                fprintf(f, "%s Successfully stopped %s\n", ok_mark, *n);
                        else {
                                fprintf(f, "%s Failed to stop %s: %s\n", bad_mark, *n, st);
                                ex = 1;
                        }
                } else {
                        r = strv_extend(streq_ptr(st, "ok") ? &pass : &failed, *n);
                        if (r < 0)
                                break;
                }
        }

        if (!verbose && r >= 0) {
                if (!pass && failed) {
                        fputs("Failed to stop: ", f);
                        join_quoted(f, failed);
                        ex = 1;
                } else if (pass && failed) {
                        fputs("Successfully stopped ", f);
                        join_quoted(f, pass);
                        fputs(" but encountered failures for: ", f);
                        join_quoted(f, failed);
                        ex = 1;
                } else {
                        fputs("Successfully stopped: ", f);
                        join_quoted(f, pass);
                }
                fputc('\n', f);
        }
        if (fclose(f) != 0 && r >= 0)
                r = -ENOMEM;
        if (r < 0)
                return r;
        *ret_text = TAKE_PTR(buf);
        *ret_exit = ex;
        return 0;
}

/* ---- graph ---- */

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char * const *) a, *(char * const *) b);
}

static int cmp_member_key(const void *a, const void *b) {
        const cJSON *x = *(const cJSON * const *) a, *y = *(const cJSON * const *) b;
        return strcmp(strempty(x->string), strempty(y->string));
}

/* The members of a JSON object sorted by key (Go iterates maps in random order and sorts for output). */
static int sorted_members(const cJSON *o, const cJSON ***ret, size_t *ret_n) {
        const cJSON **v, *c;
        size_t n = 0, i = 0;

        cJSON_ArrayForEach(c, o)
                n++;
        v = new(const cJSON *, n + 1);
        if (!v)
                return -ENOMEM;
        cJSON_ArrayForEach(c, o)
                v[i++] = c;
        qsort(v, n, sizeof(const cJSON *), cmp_member_key);
        *ret = v;
        *ret_n = n;
        return 0;
}

static int ascii_node(FILE *f, const char *name, const cJSON *node, const char *prefix, const char *cond,
                      bool last, unsigned depth) {
        _cleanup_free_ const cJSON **deps = NULL;
        _cleanup_free_ char *next_prefix = NULL;
        const char *status = json_str(node, "process_status");
        size_t n = 0;
        int r;

        if (depth > CLIENT_GRAPH_DEPTH_MAX)
                return -ELOOP;

        fprintf(f, "%s%s%s%s", prefix, last ? "└── " : "├── ", name, cond);
        if (!isempty(status))
                fprintf(f, " [%s]", status);
        fputc('\n', f);

        if (asprintf(&next_prefix, "%s%s", prefix, last ? "    " : "│   ") < 0)
                return -ENOMEM;

        r = sorted_members(cJSON_GetObjectItemCaseSensitive(node, "depends_on"), &deps, &n);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *c = NULL;
                if (asprintf(&c, " <%s>", strempty(json_str(deps[i], "dependency_type"))) < 0)
                        return -ENOMEM;
                r = ascii_node(f, strempty(deps[i]->string), deps[i], next_prefix, c, i + 1 == n, depth + 1);
                if (r < 0)
                        return r;
        }
        return 0;
}

int client_graph_print_ascii(FILE *f, const cJSON *graph) {
        _cleanup_free_ const cJSON **leaves = NULL;
        size_t n = 0;
        int r;

        r = sorted_members(cJSON_GetObjectItemCaseSensitive(graph, "nodes"), &leaves, &n);
        if (r < 0)
                return r;
        fputs("Dependency Graph\n", f);
        for (size_t i = 0; i < n; i++) {
                r = ascii_node(f, strempty(leaves[i]->string), leaves[i], "", "", i + 1 == n, 0);
                if (r < 0)
                        return r;
        }
        return 0;
}

static char *mermaid_id(const char *name) {
        char *s = strdup(name);
        if (s)
                for (char *p = s; *p; p++)
                        if (*p == '-' || *p == '.' || *p == ' ')
                                *p = '_';
        return s;
}

typedef struct MermaidState {
        char **seen;            /* node names already visited */
        char **depended_on;
        char **lines;
} MermaidState;

static int mermaid_visit(MermaidState *m, const char *name, const cJSON *node, unsigned depth) {
        const cJSON *deps = cJSON_GetObjectItemCaseSensitive(node, "depends_on"), *d;
        int r;

        if (depth > CLIENT_GRAPH_DEPTH_MAX)
                return -ELOOP;
        if (strv_contains(m->seen, name))
                return 0;
        r = strv_extend(&m->seen, name);
        if (r < 0)
                return r;

        cJSON_ArrayForEach(d, deps) {
                _cleanup_free_ char *a = mermaid_id(name), *b = mermaid_id(strempty(d->string));
                char *line;
                if (!a || !b)
                        return -ENOMEM;
                if (asprintf(&line, "    %s --> %s", a, b) < 0)
                        return -ENOMEM;
                r = strv_consume(&m->lines, line);
                if (r < 0)
                        return r;
                if (!strv_contains(m->depended_on, strempty(d->string))) {
                        r = strv_extend(&m->depended_on, strempty(d->string));
                        if (r < 0)
                                return r;
                }
                r = mermaid_visit(m, strempty(d->string), d, depth + 1);
                if (r < 0)
                        return r;
        }
        return 0;
}

int client_graph_print_mermaid(FILE *f, const cJSON *graph) {
        MermaidState m = {};
        const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(graph, "nodes"), *n;
        int r = 0;

        cJSON_ArrayForEach(n, nodes) {
                r = mermaid_visit(&m, strempty(n->string), n, 0);
                if (r < 0)
                        goto finish;
        }
        /* Isolated nodes (none in a server's graph, but keep the rule): a line of their own. */
        cJSON_ArrayForEach(n, nodes) {
                const cJSON *deps = cJSON_GetObjectItemCaseSensitive(n, "depends_on");
                if ((!deps || !deps->child) && !strv_contains(m.depended_on, strempty(n->string))) {
                        _cleanup_free_ char *id = mermaid_id(strempty(n->string));
                        char *line;
                        if (!id || asprintf(&line, "    %s", id) < 0) {
                                r = -ENOMEM;
                                goto finish;
                        }
                        r = strv_consume(&m.lines, line);
                        if (r < 0)
                                goto finish;
                }
        }
        if (m.lines)
                qsort(m.lines, strv_length(m.lines), sizeof(char *), cmp_str);
        /* process-compose prints the text, which ends in a newline, with Println: one blank line follows. */
        fputs("flowchart LR\n", f);
        STRV_FOREACH(l, m.lines)
                fprintf(f, "%s\n", *l);
        fputc('\n', f);
finish:
        strv_free(m.seen);
        strv_free(m.depended_on);
        strv_free(m.lines);
        return r;
}

/* Go's struct field order of DependencyNode/DependencyLink, then the maps with sorted keys. */
static int graph_json_node(FILE *f, const cJSON *node, bool link, unsigned level) {
        static const char *const fields[] = { "name", "process_status", "is_ready" };
        const cJSON *deps = cJSON_GetObjectItemCaseSensitive(node, "depends_on");
        const char *ind = "  ";
        int r;

        if (level > 2 * CLIENT_GRAPH_DEPTH_MAX + 4)
                return -ELOOP;

        fputc('{', f);
        for (size_t i = 0; i < ELEMENTSOF(fields); i++) {
                if (i > 0)
                        fputc(',', f);
                indent_to(f, ind, level + 1);
                fprintf(f, "\"%s\": ", fields[i]);
                print_go_string(f, strempty(json_str(node, fields[i])));
        }
        if (deps && deps->child) {
                _cleanup_free_ const cJSON **v = NULL;
                size_t n = 0;

                r = sorted_members(deps, &v, &n);
                if (r < 0)
                        return r;
                fputc(',', f);
                indent_to(f, ind, level + 1);
                fputs("\"depends_on\": {", f);
                for (size_t i = 0; i < n; i++) {
                        indent_to(f, ind, level + 2);
                        print_go_string(f, strempty(v[i]->string));
                        fputs(": ", f);
                        r = graph_json_node(f, v[i], true, level + 2);
                        if (r < 0)
                                return r;
                        if (i + 1 < n)
                                fputc(',', f);
                }
                indent_to(f, ind, level + 1);
                fputc('}', f);
        }
        if (link) {
                fputc(',', f);
                indent_to(f, ind, level + 1);
                fputs("\"dependency_type\": ", f);
                print_go_string(f, strempty(json_str(node, "dependency_type")));
        }
        indent_to(f, ind, level);
        fputc('}', f);
        return 0;
}

int client_graph_print_json(FILE *f, const cJSON *graph) {
        _cleanup_free_ const cJSON **v = NULL;
        size_t n = 0;
        int r;

        r = sorted_members(cJSON_GetObjectItemCaseSensitive(graph, "nodes"), &v, &n);
        if (r < 0)
                return r;
        fputs("{\n  \"nodes\": ", f);
        if (n == 0)
                fputs("{}", f);
        else {
                fputc('{', f);
                for (size_t i = 0; i < n; i++) {
                        indent_to(f, "  ", 2);
                        print_go_string(f, strempty(v[i]->string));
                        fputs(": ", f);
                        r = graph_json_node(f, v[i], false, 2);
                        if (r < 0)
                                return r;
                        if (i + 1 < n)
                                fputc(',', f);
                }
                fputs("\n  }", f);
        }
        fputs("\n}", f);
        return 0;
}

/* ---- project state ---- */

int client_go_duration_seconds(double ns, char **ret) {
        long long s, h, m;
        char *out;
        int r;

        if (!isfinite(ns) || fabs(ns) > 9.2e18)
                return -ERANGE;
        /* Round half away from zero, as time.Duration.Round does. */
        s = (long long) (ns >= 0 ? floor(ns / 1e9 + 0.5) : ceil(ns / 1e9 - 0.5));
        bool neg = s < 0;
        if (neg)
                s = -s;
        h = s / 3600;
        m = s / 60 % 60;
        s %= 60;
        if (h > 0)
                r = asprintf(&out, "%s%lldh%lldm%llds", neg ? "-" : "", h, m, s);
        else if (m > 0)
                r = asprintf(&out, "%s%lldm%llds", neg ? "-" : "", m, s);
        else
                r = asprintf(&out, "%s%llds", neg && s ? "-" : "", s);
        if (r < 0)
                return -ENOMEM;
        *ret = out;
        return 0;
}

static void state_line(FILE *f, const char *key, const char *value, bool color) {
        static const int longest = STRLEN("Running Processes");
        int pad = longest - (int) strlen(key);

        if (color)
                fprintf(f, "\x1b[32m%s\x1b[0m:%*s %s\n", key, pad, "", value);
        else
                fprintf(f, "%s:%*s %s\n", key, pad, "", value);
}

int client_project_state_print(FILE *f, const cJSON *state, bool color) {
        _cleanup_free_ char *up = NULL;
        const cJSON *files, *mem, *c;
        char num[32];
        int r;

        r = client_go_duration_seconds(json_num(state, "upTime", 0), &up);
        if (r < 0)
                return r;

        state_line(f, "Project", strempty(json_str(state, "projectName")), color);
        state_line(f, "User", strempty(json_str(state, "userName")), color);
        state_line(f, "Version", strempty(json_str(state, "version")), color);
        state_line(f, "Up Time", up, color);
        snprintf(num, sizeof(num), "%lld", json_int(state, "processNum"));
        state_line(f, "Processes", num, color);
        snprintf(num, sizeof(num), "%lld", json_int(state, "runningProcessNum"));
        state_line(f, "Running Processes", num, color);

        fprintf(f, color ? "\x1b[32m%s\x1b[0m:\n" : "%s:\n", "File Names");
        files = cJSON_GetObjectItemCaseSensitive(state, "fileNames");
        cJSON_ArrayForEach(c, files)
                if (cJSON_IsString(c))
                        fprintf(f, "\t - %s\n", c->valuestring);

        mem = cJSON_GetObjectItemCaseSensitive(state, "memoryState");
        if (cJSON_IsObject(mem)) {
                static const struct {
                        const char *key, *label;
                } m[] = {
                        { "allocated",      "Allocated MB" },
                        { "totalAllocated", "Total Alloc MB" },
                        { "systemMemory",   "System MB" },
                        { "gcCycles",       "GC Cycles" },
                };
                for (size_t i = 0; i < ELEMENTSOF(m); i++) {
                        snprintf(num, sizeof(num), "%lld", json_int(mem, m[i].key));
                        state_line(f, m[i].label, num, color);
                }
        }
        return 0;
}

/* ---- project update ---- */

static const char *update_icon(const char *status) {
        if (streq(status, "updated"))
                return "↺";
        if (streq(status, "added"))
                return "▲";
        if (streq(status, "removed"))
                return "▼";
        if (streq(status, "error"))
                return "✘";
        return "?";
}

int client_update_print_table(FILE *f, const cJSON *status) {
        _cleanup_free_ const cJSON **v = NULL;
        size_t n = 0, w = STRLEN("PROCESS");
        int r;

        r = sorted_members(status, &v, &n);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++)
                w = MAX(w, strlen(strempty(v[i]->string)));
        fprintf(f, "  %-*s  %s\n", (int) w, "PROCESS", "STATUS");
        for (size_t i = 0; i < n; i++) {
                const char *st = cJSON_IsString(v[i]) ? v[i]->valuestring : "";
                /* The icon is one column wide but three bytes long: pad by columns, not bytes. */
                fprintf(f, "%s %s%*s  %s\n", update_icon(st), strempty(v[i]->string),
                        (int) (w - strlen(strempty(v[i]->string))), "", st);
        }
        return 0;
}
