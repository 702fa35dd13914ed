/* The critical-chain report: see client-chain.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client/client-chain.h"
#include "shared/macro.h"

#define NSEC_PER_USEC INT64_C(1000)
#define NSEC_PER_MSEC INT64_C(1000000)
#define NSEC_PER_SEC INT64_C(1000000000)
#define NSEC_PER_MIN (60 * NSEC_PER_SEC)

#define ANSI_GREEN "\x1b[32m"
#define ANSI_RED "\x1b[0;1;31m"          /* systemd's ansi_highlight_red() */
#define ANSI_FAINT "\x1b[2m"
#define ANSI_NORMAL "\x1b[0m"

/* A process never ready (or without a state) sorts first, as the stuck chains matter most. */
#define CHAIN_UNREADY INT64_MAX

void client_chain_format_duration(int64_t ns, char *buf, size_t size) {
        if (ns < 0)
                snprintf(buf, size, "?");
        else if (ns < NSEC_PER_USEC)
                snprintf(buf, size, "%" PRIi64 "ns", ns);
        else if (ns < NSEC_PER_MSEC)
                snprintf(buf, size, "%" PRIi64 "us", ns / NSEC_PER_USEC);
        else if (ns < NSEC_PER_SEC)
                snprintf(buf, size, "%" PRIi64 "ms", ns / NSEC_PER_MSEC);
        else
                snprintf(buf, size, "%.3fs", (double) ns / (double) NSEC_PER_SEC);
}

void client_chain_format_offset(int64_t ns, char *buf, size_t size) {
        char rest[32];

        if (ns < NSEC_PER_MIN) {
                client_chain_format_duration(ns, buf, size);
                return;
        }
        client_chain_format_duration(ns % NSEC_PER_MIN, rest, sizeof rest);
        snprintf(buf, size, "%" PRIi64 "min %s", ns / NSEC_PER_MIN, rest);
}

void client_chain_format_uptime(int64_t ns, char *buf, size_t size) {
        int64_t ms = ns < 0 ? 0 : (ns + NSEC_PER_MSEC / 2) / NSEC_PER_MSEC;
        int64_t h = ms / 3600000, m = ms / 60000 % 60, s = ms / 1000 % 60, frac = ms % 1000;
        char secs[32];
        size_t l;

        if (ms < 1000) {
                snprintf(buf, size, ms == 0 ? "0s" : "%" PRIi64 "ms", ms);
                return;
        }
        /* seconds with the fraction's trailing zeros cut, as Go prints them */
        snprintf(secs, sizeof secs, "%" PRIi64 ".%03" PRIi64, s, frac);
        l = strlen(secs);
        while (secs[l - 1] == '0')
                secs[--l] = 0;
        if (secs[l - 1] == '.')
                secs[--l] = 0;
        if (h > 0)
                snprintf(buf, size, "%" PRIi64 "h%" PRIi64 "m%ss", h, m, secs);
        else if (m > 0)
                snprintf(buf, size, "%" PRIi64 "m%ss", m, secs);
        else
                snprintf(buf, size, "%ss", secs);
}

int client_chain_parse_time(const char *s, int64_t *ret) {
        struct tm tm = {};
        int64_t frac = 0, scale = NSEC_PER_SEC, offset = 0;
        const char *p;
        time_t t;

        if (!s)
                return -EINVAL;
        p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
        if (!p)
                return -EINVAL;
        if (*p == '.') {
                p++;
                if (*p < '0' || *p > '9')
                        return -EINVAL;
                for (; *p >= '0' && *p <= '9'; p++)
                        if (scale > 1) {
                                scale /= 10;
                                frac += (*p - '0') * scale;
                        }
        }
        if (*p == 'Z' && p[1] == 0)
                offset = 0;
        else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
                int hh, mm;

                if (sscanf(p + 1, "%2d:%2d", &hh, &mm) != 2)
                        return -EINVAL;
                offset = (*p == '-' ? -1 : 1) * ((int64_t) hh * 3600 + mm * 60);
        } else
                return -EINVAL;
        t = timegm(&tm);
        *ret = ((int64_t) t - offset) * NSEC_PER_SEC + frac;
        return 0;
}

typedef struct Chain {
        FILE *f;
        const cJSON *states;
        int64_t t0;
        bool color;
} Chain;

static const cJSON *chain_state(const Chain *c, const char *name) {
        const cJSON *s;

        cJSON_ArrayForEach(s, c->states) {
                const cJSON *n = cJSON_GetObjectItemCaseSensitive(s, "name");
                if (cJSON_IsString(n) && streq(n->valuestring, name))
                        return s;
        }
        return NULL;
}

static bool state_time(const cJSON *state, const char *key, int64_t *ret) {
        return client_chain_parse_time(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(state, key)),
                                       ret) >= 0;
}

/* The sort key: ready, else start, after the project's start. */
static int64_t chain_sort_key(const Chain *c, const char *name) {
        const cJSON *s = chain_state(c, name);
        int64_t t;

        if (s && (state_time(s, "process_ready_time", &t) || state_time(s, "process_start_time", &t)))
                return t - c->t0;
        return CHAIN_UNREADY;
}

typedef struct ChainNode {
        const char *name;
        const cJSON *node;      /* the graph node; NULL for a process outside the graph */
        int64_t key;
} ChainNode;

static int chain_node_cmp(const void *a, const void *b) {
        const ChainNode *x = a, *y = b;

        if (x->key != y->key)
                return x->key > y->key ? -1 : 1;
        return strcmp(x->name, y->name);
}

static void chain_print_line(const Chain *c, const char *name) {
        const cJSON *s = chain_state(c, name);
        const char *status;
        int64_t start = 0, ready = 0;
        bool has_start, has_ready, slow;
        char at[96], plus[32];

        if (!s) {
                fprintf(c->f, "%s %s(no state)%s\n", name, c->color ? ANSI_FAINT : "", c->color ? ANSI_NORMAL : "");
                return;
        }
        has_start = state_time(s, "process_start_time", &start);
        has_ready = state_time(s, "process_ready_time", &ready);
        slow = has_start && has_ready && ready - start > 0;

        if (slow && c->color)
                fputs(ANSI_RED, c->f);
        fputs(name, c->f);
        if (has_ready || has_start) {
                client_chain_format_offset((has_ready ? ready : start) - c->t0, at, sizeof at);
                fprintf(c->f, " @%s", at);
        }
        if (!has_ready)
                fprintf(c->f, " %s%s%s", c->color ? ANSI_FAINT : "", has_start ? "(not ready)" : "(not started)",
                        c->color ? ANSI_NORMAL : "");
        if (slow) {
                client_chain_format_duration(ready - start, plus, sizeof plus);
                fprintf(c->f, " +%s%s", plus, c->color ? ANSI_NORMAL : "");
        }

        status = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s, "status"));
        if (status && (streq(status, "Error") || streq(status, "Skipped")))
                fprintf(c->f, " %s[%s]%s", c->color ? ANSI_RED : "", status, c->color ? ANSI_NORMAL : "");
        else if (!isempty(status) && !streq(status, "Running") && !streq(status, "Completed"))
                fprintf(c->f, " %s[%s]%s", c->color ? ANSI_FAINT : "", status, c->color ? ANSI_NORMAL : "");
        fputc('\n', c->f);
}

static int chain_print(const Chain *c, const ChainNode *n, const char *prefix, bool root, bool last,
                       unsigned depth) {
        _cleanup_free_ ChainNode *deps = NULL;
        _cleanup_free_ char *next = NULL;
        const cJSON *d, *map = n->node ? cJSON_GetObjectItemCaseSensitive(n->node, "depends_on") : NULL;
        size_t k = 0;
        int r;

        if (depth > CLIENT_CHAIN_DEPTH_MAX)
                return -ELOOP;
        fprintf(c->f, "%s%s", prefix, root ? "" : last ? "└─" : "├─");
        chain_print_line(c, n->name);

        if (asprintf(&next, "%s%s", prefix, root ? "" : last ? "  " : "│ ") < 0)
                return -ENOMEM;
        deps = new0(ChainNode, MAX(cJSON_GetArraySize(map), 1));
        if (!deps)
                return -ENOMEM;
        cJSON_ArrayForEach(d, map)
                if (d->string)
                        deps[k++] = (ChainNode) { d->string, d, chain_sort_key(c, d->string) };
        qsort(deps, k, sizeof(ChainNode), chain_node_cmp);
        for (size_t i = 0; i < k; i++) {
                r = chain_print(c, &deps[i], next, false, i + 1 == k, depth + 1);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The node of name anywhere in the graph. */
static const cJSON *graph_find(const cJSON *map, const char *name, unsigned depth) {
        const cJSON *n, *found;

        if (depth > CLIENT_CHAIN_DEPTH_MAX)
                return NULL;
        cJSON_ArrayForEach(n, map) {
                if (n->string && streq(n->string, name))
                        return n;
                found = graph_find(cJSON_GetObjectItemCaseSensitive(n, "depends_on"), name, depth + 1);
                if (found)
                        return found;
        }
        return NULL;
}

static void print_header_field(const Chain *c, const char *key, const char *value) {
        fprintf(c->f, "%s%s%s: %s\n", c->color ? ANSI_GREEN : "", key, c->color ? ANSI_NORMAL : "", value);
}

int client_critical_chain_print(FILE *f, const cJSON *project, const cJSON *states, const cJSON *graph,
                                char * const *names, bool color, const char **ret_unknown) {
        const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(graph, "nodes"), *n;
        const char *started = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(project, "startTime"));
        _cleanup_free_ ChainNode *roots = NULL;
        _cleanup_free_ char *started_rfc3339 = NULL;
        const cJSON *up = cJSON_GetObjectItemCaseSensitive(project, "upTime");
        Chain c = { .f = f, .states = states, .color = color };
        size_t k = 0, max;
        char uptime[64];
        int r;

        (void) client_chain_parse_time(started, &c.t0);

        max = (size_t) cJSON_GetArraySize(nodes) + (size_t) cJSON_GetArraySize(states) + 1;
        for (char * const *i = names; i && *i; i++)
                max++;
        roots = new0(ChainNode, max);
        if (!roots)
                return -ENOMEM;

        if (names && *names) {
                for (char * const *i = names; *i; i++) {
                        const cJSON *node = graph_find(nodes, *i, 0);

                        if (!node && !chain_state(&c, *i)) {
                                if (ret_unknown)
                                        *ret_unknown = *i;
                                return -ENOENT;
                        }
                        roots[k++] = (ChainNode) { *i, node, chain_sort_key(&c, *i) };
                }
        } else {
                cJSON_ArrayForEach(n, nodes)
                        if (n->string)
                                roots[k++] = (ChainNode) { n->string, n, chain_sort_key(&c, n->string) };
                /* processes with neither dependencies nor dependents are not in the graph */
                cJSON_ArrayForEach(n, states) {
                        const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(n, "name"));

                        if (name && !graph_find(nodes, name, 0))
                                roots[k++] = (ChainNode) { name, NULL, chain_sort_key(&c, name) };
                }
        }
        qsort(roots, k, sizeof(ChainNode), chain_node_cmp);

        fputs("The time when unit became ready is printed after the \"@\" character.\n"
              "The time the unit took to become ready is printed after the \"+\" character.\n\n", f);
        print_header_field(&c, "Project", strempty(cJSON_GetStringValue(
                                   cJSON_GetObjectItemCaseSensitive(project, "projectName"))));
        /* Go's time.RFC3339: the API's RFC 3339 time without its fraction */
        if (started) {
                const char *dot = strchr(started, '.');
                size_t digits = dot ? strspn(dot + 1, "0123456789") : 0;

                if (dot && asprintf(&started_rfc3339, "%.*s%s", (int) (dot - started), started,
                                    dot + 1 + digits) < 0)
                        return -ENOMEM;
        }
        print_header_field(&c, "Started", started_rfc3339 ?: strempty(started));
        client_chain_format_uptime(cJSON_IsNumber(up) ? (int64_t) up->valuedouble : 0, uptime, sizeof uptime);
        print_header_field(&c, "Up time", uptime);
        fputc('\n', f);

        for (size_t i = 0; i < k; i++) {
                r = chain_print(&c, &roots[i], "", true, i + 1 == k, 0);
                if (r < 0)
                        return r;
        }
        return 0;
}
