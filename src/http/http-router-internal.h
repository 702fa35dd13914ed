/* The router's internals, shared by http-router.c (matching, dispatch, response helpers, deferred
 * completions) and rest-handlers.c (the handlers and their table). Not for use outside src/http/. */
#pragma once

#include <stdint.h>

#include <cjson/cJSON.h>

#include "http/http-router.h"

#define HTTP_STATUS_MIN 100U
#define HTTP_STATUS_MAX 599U

typedef struct HttpDeferred HttpDeferred;

struct HttpRouter {
        const HttpBackend *backend;
        void *ctx;
        char *token;
        bool read_only;                  /* --read-only: only GET routes run */
        uint64_t by_status[HTTP_STATUS_MAX + 1];
        HttpDeferred *deferred;          /* pending completions, a doubly linked list */
};

typedef enum DeferredKind {
        DEFERRED_NAME,                   /* {"name": name} */
        DEFERRED_STOPPED,                /* {"status": "stopped"} */
        DEFERRED_PROCESS,                /* the configuration of process name, as it is now */
} DeferredKind;

struct HttpDeferred {
        HttpRouter *router;              /* NULL once the router is gone: the completion is dropped */
        HttpDeferred *prev, *next;
        DeferredKind kind;
        char *name;
        HttpCompleteFunc complete;
        void *userdata;                  /* NULL once cancelled */
};

typedef struct Call {
        HttpRouter *r;
        const HttpRequest *req;
        char **params;
        HttpResponse *resp;
        HttpCompleteFunc complete;
        void *userdata;
} Call;

#define BACKEND(c) ((c)->r->backend)
#define CTX(c) ((c)->r->ctx)

/* One route: "/process/logs/:/:/:", where ":" is a parameter (c->params[i], decoded). */
typedef struct HttpRoute {
        const char *method;
        const char *pattern;
        void (*handler)(Call *c);
} HttpRoute;

extern const HttpRoute http_routes[];
extern const size_t http_n_routes;

/* rest-handlers.c: the processes of the project, in order (*ret NULL on ENOMEM). */
size_t rest_collect_processes(Call *c, Process ***ret);
/* rest-metrics.c: GET /metrics */
void rest_metrics(Call *c);

/* Response helpers: each replaces what resp held; on ENOMEM the answer is a 500. */
int http_set_errorf(HttpResponse *resp, unsigned status, const char *fmt, ...) _printf_(3, 4);
/* Takes body (may be NULL). */
int http_set_text(HttpResponse *resp, unsigned status, const char *content_type, char *body);
/* 200 {"key": value} */
int http_set_name(HttpResponse *resp, const char *key, const char *value);
/* A backend error: its message (taken), or a generic one when it gave none. */
int http_set_backend_error(HttpResponse *resp, unsigned status, int r, char *error);
int http_set_unsupported(HttpResponse *resp);

/* The request body as JSON; on failure the 400/413 answer is set and -EINVAL/-EFBIG returned. */
int http_call_parse_json(const Call *c, cJSON **ret);

/* A completion for the backend to call later (http_deferred_done() is its callback); NULL on ENOMEM. */
HttpDeferred *http_deferred_new(Call *c, DeferredKind kind, const char *name);
void http_deferred_done(int result, void *userdata);
/* For a completion the backend refused to take. */
void http_deferred_free(HttpDeferred *d);
