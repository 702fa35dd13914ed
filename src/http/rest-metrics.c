/* GET /metrics: the Prometheus text format 0.0.4, from tables of metrics (name, type, help, value): one
 * sample per process for each process metric, then the WebSocket streams' and the HTTP server's. */
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "http/http-router-internal.h"
#include "http/rest-json.h"
#include "shared/buffer.h"
#include "shared/strv.h"

/* A label value: backslash, double quote and newline escaped. */
static char *label_escape(const char *s) {
        size_t l = strlen(s);
        char *o = malloc(l * 2 + 1), *q = o;

        if (!o)
                return NULL;
        for (; *s; s++) {
                if (*s == '\\' || *s == '"') {
                        *q++ = '\\';
                        *q++ = *s;
                } else if (*s == '\n') {
                        *q++ = '\\';
                        *q++ = 'n';
                } else
                        *q++ = *s;
        }
        *q = 0;
        return o;
}

/* A metric of each process: one sample per process, {process="name"} plus its extra label if any. */
typedef struct ProcessMetric {
        const char *name;
        const char *type;
        const char *help;
        const char *label;                             /* an extra label's key, or NULL */
        const char *(*label_value)(const Process *p);
        void (*value)(Buffer *b, const Process *p);    /* appends the sample's value */
} ProcessMetric;

static const char *metric_status(const Process *p) {
        return rest_status_to_string(process_derived_status(p)) ?: "Pending";
}

static void metric_one(Buffer *b, const Process *p) {
        (void) buffer_printf(b, "1");
}

static void metric_running(Buffer *b, const Process *p) {
        (void) buffer_printf(b, "%d", rest_status_is_running(p->status));
}

static void metric_ready(Buffer *b, const Process *p) {
        (void) buffer_printf(b, "%d", p->health == PROC_HEALTH_READY ? 1 :
                                      p->health == PROC_HEALTH_NOT_READY ? 0 : -1);
}

static void metric_restarts(Buffer *b, const Process *p) {
        (void) buffer_printf(b, "%u", p->restarts);
}

static void metric_exit_code(Buffer *b, const Process *p) {
        (void) buffer_printf(b, "%d", p->exit_code);
}

static void metric_log_lines(Buffer *b, const Process *p) {
        (void) buffer_printf(b, "%" PRIu64, p->log_lines_total);
}

static void metric_journal_dropped(Buffer *b, const Process *p) {
        (void) buffer_printf(b, "%" PRIu64, p->journal_dropped);
}

static void metric_memory(Buffer *b, const Process *p) {
        (void) buffer_printf(b, "%" PRIu64, p->mem_bytes);
}

static void metric_cpu_percent(Buffer *b, const Process *p) {
        (void) buffer_printf(b, "%.3f", p->cpu_percent);
}

static void metric_cpu_seconds(Buffer *b, const Process *p) {
        (void) buffer_printf(b, "%.9f", p->cpu_nsec == UINT64_MAX ? 0.0 : (double) p->cpu_nsec / 1e9);
}

static const ProcessMetric process_metrics[] = {
        { "pcctl_process_status", "gauge", "Current status of each process (1 for the status it is in).",
          "status", metric_status, metric_one },
        { "pcctl_process_running", "gauge", "Whether the process is running (Running, Launching, Launched).",
          .value = metric_running },
        { "pcctl_process_ready", "gauge", "Whether the process is Ready (1), Not Ready (0) or unknown (-1).",
          .value = metric_ready },
        { "pcctl_process_restarts_total", "counter", "Restarts of the process.",
          .value = metric_restarts },
        { "pcctl_process_exit_code", "gauge", "Exit code of the last run (-1 when killed by a signal).",
          .value = metric_exit_code },
        { "pcctl_process_log_lines_total", "counter", "Log lines read for the process.",
          .value = metric_log_lines },
        { "pcctl_process_journal_dropped_lines_total", "counter", "Lines journald suppressed (rate limit).",
          .value = metric_journal_dropped },
        { "pcctl_process_memory_bytes", "gauge", "Memory of the process's unit (systemd MemoryCurrent).",
          .value = metric_memory },
        { "pcctl_process_cpu_percent", "gauge",
          "CPU use of the process's unit over the last sampling interval (% of one CPU).",
          .value = metric_cpu_percent },
        { "pcctl_process_cpu_seconds_total", "counter",
          "CPU time of the current run of the process's unit (systemd CPUUsageNSec).",
          .value = metric_cpu_seconds },
};

/* A metric of the WebSocket streams: one sample, a member of HttpWsStats. */
typedef struct WsMetric {
        const char *name;
        const char *type;
        const char *help;
        size_t offset;
} WsMetric;

static const WsMetric ws_metrics[] = {
        { "pcctl_ws_sessions", "gauge", "Open WebSocket sessions.", offsetof(HttpWsStats, sessions) },
        { "pcctl_ws_queued_bytes", "gauge", "Bytes waiting in WebSocket send queues.",
          offsetof(HttpWsStats, queued_bytes) },
        { "pcctl_ws_evictions_total", "counter", "WebSocket sessions closed for a write stall.",
          offsetof(HttpWsStats, evictions) },
        { "pcctl_ws_dropped_lines_total", "counter", "Log lines WebSocket sessions lost to overrun.",
          offsetof(HttpWsStats, dropped_lines) },
};

static void metric_header(Buffer *b, const char *name, const char *type, const char *help) {
        (void) buffer_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void rest_metrics(Call *c) {
        _cleanup_free_ Process **procs = NULL;
        size_t n = rest_collect_processes(c, &procs);
        _cleanup_strv_free_ char **names = NULL;
        HttpWsStats ws = {};
        Buffer b = {};

        if (!procs) {
                http_response_set_error(c->resp, 500, "out of memory");
                return;
        }
        names = calloc(n + 1, sizeof(char *));
        if (!names) {
                http_response_set_error(c->resp, 500, "out of memory");
                return;
        }
        for (size_t i = 0; i < n; i++)
                if (!(names[i] = label_escape(procs[i]->name ?: ""))) {
                        http_response_set_error(c->resp, 500, "out of memory");
                        return;
                }

        for (size_t m = 0; m < ELEMENTSOF(process_metrics); m++) {
                const ProcessMetric *pm = &process_metrics[m];

                metric_header(&b, pm->name, pm->type, pm->help);
                for (size_t i = 0; i < n; i++) {
                        (void) buffer_printf(&b, "%s{process=\"%s\"", pm->name, names[i]);
                        if (pm->label)
                                (void) buffer_printf(&b, ",%s=\"%s\"", pm->label, pm->label_value(procs[i]));
                        (void) buffer_append_str(&b, "} ");
                        pm->value(&b, procs[i]);
                        (void) buffer_append_char(&b, '\n');
                }
        }

        if (BACKEND(c)->ws_stats)
                BACKEND(c)->ws_stats(CTX(c), &ws);
        for (size_t m = 0; m < ELEMENTSOF(ws_metrics); m++) {
                const WsMetric *wm = &ws_metrics[m];

                metric_header(&b, wm->name, wm->type, wm->help);
                (void) buffer_printf(&b, "%s %" PRIu64 "\n", wm->name,
                                     *(const uint64_t *) ((const uint8_t *) &ws + wm->offset));
        }

        metric_header(&b, "pcctl_http_requests_total", "counter", "HTTP responses by status code.");
        for (unsigned s = HTTP_STATUS_MIN; s <= HTTP_STATUS_MAX; s++)
                if (c->r->by_status[s] > 0)
                        (void) buffer_printf(&b, "pcctl_http_requests_total{code=\"%u\"} %" PRIu64 "\n", s,
                                             c->r->by_status[s]);

        if (b.error < 0 || !b.data) {
                buffer_done(&b);
                http_response_set_error(c->resp, 500, "out of memory");
                return;
        }
        http_set_text(c->resp, 200, "text/plain; version=0.0.4; charset=utf-8", b.data);
}
