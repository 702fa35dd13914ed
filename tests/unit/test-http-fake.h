/* A fake HttpBackend over fixed Process structs, for the http unit tests and the fuzz target. It records the
 * calls it gets and answers like the manager would (process-compose's texts); deferred operations keep their
 * completion until fake_finish() runs it. No systemd, no sockets. */
#pragma once

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "compose/compose.h"
#include "core/process.h"
#include "http/http-router.h"
#include "journal/logring.h"
#include "shared/strv.h"

#define FAKE_N 4

typedef struct Fake {
        Process procs[FAKE_N];
        ComposeProcess cfgs[FAKE_N];
        ComposeDependency deps_web[2];
        ComposeDependency deps_api[1];
        char *ns_web[3];
        char *ns_default[2];
        int success_codes[1];
        size_t n;
        char last_call[256];
        int last_signal;
        HttpDoneFunc pending_done;
        void *pending_userdata;
        unsigned n_pending;
        bool ws_upgrade_ok;
} Fake;

static inline void fake_recordf(Fake *f, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(f->last_call, sizeof f->last_call, fmt, ap);
        va_end(ap);
}

static inline Process *fake_find(void *ctx, const char *name) {
        Fake *f = ctx;

        for (size_t i = 0; i < f->n; i++)
                if (streq(f->procs[i].name, name))
                        return &f->procs[i];
        return NULL;
}

static inline size_t fake_n(void *ctx) {
        return ((Fake *) ctx)->n;
}

static inline Process *fake_at(void *ctx, size_t i) {
        Fake *f = ctx;
        return i < f->n ? &f->procs[i] : NULL;
}

static inline const char *fake_project_name(void *ctx) {
        return "host/proj";
}

static inline usec_t fake_start_time(void *ctx) {
        return now_usec(CLOCK_REALTIME) - 5 * USEC_PER_SEC;
}

static inline int fake_err(char **ret_error, const char *fmt, const char *name) {
        if (asprintf(ret_error, fmt, name) < 0)
                *ret_error = NULL;
        return -EINVAL;
}

static inline int fake_start(void *ctx, const char *name, char **ret_error) {
        Process *p = fake_find(ctx, name);

        fake_recordf(ctx, "start %s", name);
        if (!p)
                return fake_err(ret_error, "no such process: %s", name);
        if (p->status == PROC_RUNNING)
                return fake_err(ret_error, "process %s is already running", name);
        return 0;
}

static inline int fake_stop(void *ctx, const char *name, char **ret_error) {
        Process *p = fake_find(ctx, name);

        fake_recordf(ctx, "stop %s", name);
        if (!p)
                return fake_err(ret_error, "process %s does not exist", name);
        if (p->status != PROC_RUNNING)
                return fake_err(ret_error, "process %s is not running", name);
        return 0;
}

static inline int fake_restart(void *ctx, const char *name, HttpDoneFunc done, void *userdata, char **ret_error) {
        Fake *f = ctx;

        fake_recordf(ctx, "restart %s", name);
        if (!fake_find(ctx, name))
                return fake_err(ret_error, "no such process: %s", name);
        f->pending_done = done;
        f->pending_userdata = userdata;
        f->n_pending++;
        return 0;
}

static inline int fake_signal(void *ctx, const char *name, int sig, char **ret_error) {
        Fake *f = ctx;

        fake_recordf(ctx, "signal %s %d", name, sig);
        f->last_signal = sig;
        if (!fake_find(ctx, name))
                return fake_err(ret_error, "process %s does not exist", name);
        return 0;
}

static inline int fake_scale(void *ctx, const char *name, int count, char **ret_error) {
        fake_recordf(ctx, "scale %s %d", name, count);
        if (!fake_find(ctx, name))
                return fake_err(ret_error, "no such process: %s", name);
        return 0;
}

/* every fake process runs without a terminal */
static inline int fake_send_keys(void *ctx, const char *name, const char *keys, char **ret_error) {
        fake_recordf(ctx, "send-keys %s %s", name, keys);
        if (!fake_find(ctx, name))
                return fake_err(ret_error, "process %s does not exist", name);
        return fake_err(ret_error, "process %s is not interactive; cannot send keys", name);
}

static inline int fake_truncate(void *ctx, const char *name, char **ret_error) {
        Process *p = fake_find(ctx, name);

        fake_recordf(ctx, "truncate %s", name);
        if (!p)
                return fake_err(ret_error, "process %s doesn't exist", name);
        if (p->log)
                log_ring_truncate(p->log);
        return 0;
}

static inline int fake_ports(void *ctx, Process *p, HttpPorts *ret, char **ret_error) {
        ret->tcp = calloc(2, sizeof(uint16_t));
        ret->udp = calloc(1, sizeof(uint16_t));
        if (!ret->tcp || !ret->udp)
                return -ENOMEM;
        ret->tcp[0] = 9090;
        ret->tcp[1] = 8080;
        ret->n_tcp = 2;
        ret->n_udp = 0;
        return 0;
}

static inline char **fake_namespaces(void *ctx) {
        char **l = NULL;

        if (strv_extend(&l, "default") < 0 || strv_extend(&l, "infra") < 0)
                return strv_free(l);
        return l;
}

static inline int fake_ns_start(void *ctx, const char *ns, char **ret_error) {
        fake_recordf(ctx, "ns-start %s", ns);
        if (!streq(ns, "default") && !streq(ns, "infra"))
                return fake_err(ret_error, "namespace %s not found (no processes assigned)", ns);
        return 0;
}

static inline int fake_ns_stop(void *ctx, const char *ns, HttpDoneFunc done, void *userdata, char **ret_error) {
        Fake *f = ctx;

        fake_recordf(ctx, "ns-stop %s", ns);
        f->pending_done = done;
        f->pending_userdata = userdata;
        f->n_pending++;
        return 0;
}

static inline int fake_ns_restart(void *ctx, const char *ns, HttpDoneFunc done, void *userdata, char **ret_error) {
        Fake *f = ctx;

        fake_recordf(ctx, "ns-restart %s", ns);
        f->pending_done = done;
        f->pending_userdata = userdata;
        f->n_pending++;
        return 0;
}

static inline int fake_update_process(void *ctx, ComposeProcess *process, HttpDoneFunc done, void *userdata,
                                      char **ret_error) {
        Fake *f = ctx;

        fake_recordf(ctx, "update %s", process->name);
        compose_process_free(process);
        f->pending_done = done;
        f->pending_userdata = userdata;
        f->n_pending++;
        return 0;
}

static inline int fake_reload(void *ctx, cJSON **ret_status, char **ret_error) {
        cJSON *o = cJSON_CreateObject();

        fake_recordf(ctx, "reload");
        cJSON_AddStringToObject(o, "web", "updated");
        cJSON_AddStringToObject(o, "bad", "process bad failed to start");
        *ret_status = o;
        return 1;
}

static inline int fake_stop_project(void *ctx, HttpDoneFunc done, void *userdata) {
        Fake *f = ctx;

        fake_recordf(ctx, "stop-project");
        f->pending_done = done;
        f->pending_userdata = userdata;
        f->n_pending++;
        return 0;
}

static inline void fake_ws_check(void *ctx, HttpUpgrade kind, const HttpRequest *req, HttpResponse *resp) {
        Fake *f = ctx;

        fake_recordf(ctx, "ws-check %d", (int) kind);
        if (!f->ws_upgrade_ok) {
                http_response_set_error(resp, 400, "fake: no upgrade");
                return;
        }
        resp->status = 101;
        resp->upgrade = kind;
        resp->ws_accept = strdup("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

static inline void fake_ws_stats(void *ctx, HttpWsStats *ret) {
        *ret = (HttpWsStats) { .sessions = 2, .queued_bytes = 100, .evictions = 1, .dropped_lines = 7 };
}

static inline void fake_finish(Fake *f, int result) {
        HttpDoneFunc d = f->pending_done;

        f->pending_done = NULL;
        if (d)
                d(result, f->pending_userdata);
}

static const HttpBackend fake_backend = {
        .n_processes = fake_n,
        .process_at = fake_at,
        .find_process = fake_find,
        .project_name = fake_project_name,
        .start_time = fake_start_time,
        .start_process = fake_start,
        .stop_process = fake_stop,
        .restart_process = fake_restart,
        .signal_process = fake_signal,
        .scale_process = fake_scale,
        .send_keys = fake_send_keys,
        .truncate_logs = fake_truncate,
        .process_ports = fake_ports,
        .list_namespaces = fake_namespaces,
        .start_namespace = fake_ns_start,
        .stop_namespace = fake_ns_stop,
        .restart_namespace = fake_ns_restart,
        .reload_project = fake_reload,
        .update_process = fake_update_process,
        .stop_project = fake_stop_project,
        .ws_check_upgrade = fake_ws_check,
        .ws_stats = fake_ws_stats,
};

/* web (Running, ready probe, 2 namespaces, deps api:healthy, db:started), api (Running, deps db:completed),
 * db (Completed, exit -1), "@scope/pkg" (Pending, never started, no deps). */
static inline void fake_init(Fake *f) {
        static ComposeProbe probe = { .period_seconds = 10 };
        usec_t now = now_usec(CLOCK_REALTIME);

        memset(f, 0, sizeof *f);
        f->n = FAKE_N;
        f->ns_web[0] = (char *) "default";
        f->ns_web[1] = (char *) "infra";
        f->ns_default[0] = (char *) "default";
        f->success_codes[0] = 130;
        f->deps_web[0] = (ComposeDependency) { .name = (char *) "api", .condition = COMPOSE_CONDITION_PROCESS_HEALTHY };
        f->deps_web[1] = (ComposeDependency) { .name = (char *) "db", .condition = COMPOSE_CONDITION_PROCESS_STARTED };
        f->deps_api[0] = (ComposeDependency) { .name = (char *) "db",
                                               .condition = COMPOSE_CONDITION_PROCESS_COMPLETED };

        const char *names[FAKE_N] = { "web", "api", "db", "@scope/pkg" };
        for (size_t i = 0; i < FAKE_N; i++) {
                f->cfgs[i].name = (char *) names[i];
                f->cfgs[i].replica_name = (char *) names[i];
                f->cfgs[i].namespaces = f->ns_default;
                f->procs[i].name = (char *) names[i];
                f->procs[i].config = &f->cfgs[i];
                f->procs[i].log = log_ring_new(100, 1 << 20);
        }
        f->cfgs[0].namespaces = f->ns_web;
        f->cfgs[0].depends_on = f->deps_web;
        f->cfgs[0].n_depends_on = 2;
        f->cfgs[0].readiness_probe = &probe;
        f->cfgs[0].success_exit_codes = f->success_codes;
        f->cfgs[0].n_success_exit_codes = 1;
        f->cfgs[1].depends_on = f->deps_api;
        f->cfgs[1].n_depends_on = 1;

        f->procs[0].status = PROC_RUNNING;
        f->procs[0].health = PROC_HEALTH_READY;
        f->procs[0].pid = 4242;
        f->procs[0].restarts = 3;
        f->procs[0].mem_bytes = 10485760;
        f->procs[0].cpu_percent = 0.5;
        f->procs[0].cpu_nsec = 2500000000;
        f->procs[0].start_time = now - 123 * USEC_PER_SEC;
        f->procs[0].ready_time = now - 120 * USEC_PER_SEC;
        f->procs[0].last_activity = now - USEC_PER_SEC;
        f->procs[0].log_lines_total = 5;

        f->procs[1].status = PROC_RUNNING;
        f->procs[1].pid = 4243;
        f->procs[1].start_time = now - 10 * USEC_PER_SEC;

        f->procs[2].status = PROC_COMPLETED;
        f->procs[2].exit_code = -1;
        f->procs[2].pid = 4000;
        f->procs[2].start_time = now - 100 * USEC_PER_SEC;
        f->procs[2].end_time = now - 40 * USEC_PER_SEC;

        f->procs[3].status = PROC_PENDING;

        for (int i = 1; i <= 5; i++) {
                char line[32];
                int l = snprintf(line, sizeof line, "line %d", i);
                log_ring_append(f->procs[0].log, line, (size_t) l, now, 6, LOG_STREAM_STDOUT, 4242, NULL);
        }
}

static inline void fake_done(Fake *f) {
        for (size_t i = 0; i < f->n; i++)
                log_ring_free(f->procs[i].log);
}
