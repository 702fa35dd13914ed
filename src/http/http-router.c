/* The REST router (compat §3.2): authentication, path segments, route matching, the response helpers and
 * the deferred completions. The handlers and their table are in rest-handlers.c. See http-router.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "compose/compose-json.h"
#include "http/http-router-internal.h"
#include "http/http-router.h"
#include "shared/json-util.h"
#include "shared/url-util.h"

void http_ports_done(HttpPorts *p) {
        if (!p)
                return;
        free(p->tcp);
        free(p->udp);
        *p = (HttpPorts) {};
}

bool http_token_equal(const char *expected, const char *given) {
        size_t le, lg;
        unsigned char d = 0;

        if (!expected || !given)
                return false;
        le = strlen(expected);
        lg = strlen(given);
        /* Touch every byte of the expected token whatever the given one is, so that the time taken does not
         * tell how many leading bytes matched. */
        for (size_t i = 0; i < le; i++)
                d |= (unsigned char) expected[i] ^ (unsigned char) (i < lg ? given[i] : 0);
        return d == 0 && le == lg;
}

int http_unescape_segment(const char *s, size_t len, char **ret) {
        return url_unescape(s, len, false, ret);
}

int http_response_set_json(HttpResponse *resp, unsigned status, cJSON *json) {
        char *s;

        http_response_done(resp);
        if (!json) {
                resp->status = 500;
                return -ENOMEM;
        }
        s = json_print(json);
        cJSON_Delete(json);
        if (!s) {
                resp->status = 500;
                return -ENOMEM;
        }
        resp->status = status;
        resp->body = s;
        resp->body_size = strlen(s);
        return 0;
}

int http_response_set_error(HttpResponse *resp, unsigned status, const char *message) {
        cJSON *o = cJSON_CreateObject();

        if (o && !cJSON_AddStringToObject(o, "error", message ?: "unknown error")) {
                cJSON_Delete(o);
                o = NULL;
        }
        return http_response_set_json(resp, status, o);
}

int http_set_errorf(HttpResponse *resp, unsigned status, const char *fmt, ...) {
        _cleanup_free_ char *m = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&m, fmt, ap);
        va_end(ap);
        if (r < 0) {
                http_response_done(resp);
                resp->status = 500;
                return -ENOMEM;
        }
        return http_response_set_error(resp, status, m);
}

int http_set_text(HttpResponse *resp, unsigned status, const char *content_type, char *body) {
        http_response_done(resp);
        resp->status = status;
        resp->body = body;
        resp->body_size = body ? strlen(body) : 0;
        if (content_type) {
                resp->content_type = strdup(content_type);
                if (!resp->content_type) {
                        http_response_done(resp);
                        resp->status = 500;
                        return -ENOMEM;
                }
        }
        return 0;
}

void http_response_set_not_found(HttpResponse *resp) {
        (void) http_set_text(resp, 404, "text/plain", strdup("404 page not found"));
}

int http_set_name(HttpResponse *resp, const char *key, const char *value) {
        cJSON *o = cJSON_CreateObject();

        if (o && !cJSON_AddStringToObject(o, key, value)) {
                cJSON_Delete(o);
                o = NULL;
        }
        return http_response_set_json(resp, 200, o);
}

/* A backend error: its message, or a generic one when it gave none. */
int http_set_backend_error(HttpResponse *resp, unsigned status, int r, char *error) {
        _cleanup_free_ char *e = error;

        if (e)
                return http_response_set_error(resp, status, e);
        return http_set_errorf(resp, status, "%s", strerror(r < 0 ? -r : EIO));
}

int http_set_unsupported(HttpResponse *resp) {
        return http_response_set_error(resp, 500, "not supported by this server");
}

int http_call_parse_json(const Call *c, cJSON **ret) {
        const char *end = NULL;
        cJSON *j;

        if (!c->req->body || c->req->body_size == 0)
                return http_response_set_error(c->resp, 400, "invalid JSON body: empty"), -EINVAL;
        if (c->req->body_size > HTTP_BODY_MAX)
                return http_response_set_error(c->resp, 413, "request body too large"), -EFBIG;
        j = cJSON_ParseWithLengthOpts(c->req->body, c->req->body_size, &end, false);
        if (!j) {
                size_t at = end && end >= c->req->body ? (size_t) (end - c->req->body) : 0;
                http_set_errorf(c->resp, 400, "invalid JSON body: syntax error at byte %zu", at);
                return -EINVAL;
        }
        *ret = j;
        return 0;
}

/* ---- deferred completions ---- */

HttpDeferred *http_deferred_new(Call *c, DeferredKind kind, const char *name) {
        HttpDeferred *d = calloc(1, sizeof *d);

        if (!d)
                return NULL;
        d->name = strdup(name ?: "");
        if (!d->name) {
                free(d);
                return NULL;
        }
        d->router = c->r;
        d->kind = kind;
        d->complete = c->complete;
        d->userdata = c->userdata;
        d->next = c->r->deferred;
        if (d->next)
                d->next->prev = d;
        c->r->deferred = d;
        return d;
}

static void deferred_unlink(HttpDeferred *d) {
        if (d->router) {
                if (d->prev)
                        d->prev->next = d->next;
                else
                        d->router->deferred = d->next;
                if (d->next)
                        d->next->prev = d->prev;
        }
        d->prev = d->next = NULL;
}

void http_deferred_free(HttpDeferred *d) {
        deferred_unlink(d);
        free(d->name);
        free(d);
}

/* POST /process: the configuration now in place, as GET /process/info shows it (process-compose answers
 * with the struct it applied, args derived from the new command). */
static void deferred_process_answer(HttpDeferred *d, int result, HttpResponse *resp) {
        const HttpBackend *b = d->router->backend;
        Process *p = result >= 0 && b->find_process ? b->find_process(d->router->ctx, d->name) : NULL;
        cJSON *j;

        if (result == -ESHUTDOWN) {
                http_response_set_error(resp, 400, "project is shutting down");
                return;
        }
        if (!p || !p->config) {
                http_set_errorf(resp, 400, "no such process: %s", d->name);
                return;
        }
        j = compose_process_to_json(p->config);
        if (!j) {
                http_set_errorf(resp, 500, "can't serialize the configuration of process %s", d->name);
                return;
        }
        http_response_set_json(resp, 200, j);
}

void http_deferred_done(int result, void *userdata) {
        HttpDeferred *d = userdata;
        HttpResponse resp = {};

        if (d->router && d->userdata && d->complete) {
                if (d->kind == DEFERRED_PROCESS)
                        deferred_process_answer(d, result, &resp);
                else if (result < 0)
                        http_set_errorf(&resp, 400, "%s: %s", d->name, strerror(-result));
                else if (d->kind == DEFERRED_STOPPED)
                        http_set_name(&resp, "status", "stopped");
                else
                        http_set_name(&resp, "name", d->name);
                d->complete(&resp, d->userdata);
                http_response_done(&resp);
        }
        http_deferred_free(d);
}

/**
 * http_router_flush() - answer every deferred request now, because the server is going away.
 * @r: the router
 *
 * Called when the server stops while requests still wait for the backend: the controller ends, so POST
 * /project/stop gets its 200 {"status":"stopped"} (the project ended, or the controller that runs it does), and
 * a restart still pending gets 503. The backend's later callback only frees its record.
 */
void http_router_flush(HttpRouter *r) {
        for (HttpDeferred *d = r ? r->deferred : NULL; d; d = d->next) {
                HttpResponse resp = {};
                void *userdata = d->userdata;

                if (!userdata || !d->complete)
                        continue;
                d->userdata = NULL;
                if (d->kind == DEFERRED_STOPPED)
                        http_set_name(&resp, "status", "stopped");
                else
                        http_response_set_error(&resp, 503, "the controller is shutting down");
                d->complete(&resp, userdata);
                http_response_done(&resp);
        }
}

void http_router_cancel(HttpRouter *r, void *userdata) {
        for (HttpDeferred *d = r ? r->deferred : NULL; d; d = d->next)
                if (d->userdata == userdata)
                        d->userdata = NULL;
}

/* Matches the decoded segments against a pattern; params point into segs. */
static bool route_match(const char *pattern, char **segs, size_t n, char **params) {
        const char *p = pattern + 1;
        size_t i = 0, k = 0;

        while (*p) {
                const char *slash = strchr(p, '/');
                size_t l = slash ? (size_t) (slash - p) : strlen(p);

                if (i >= n)
                        return false;
                if (l == 1 && p[0] == ':')
                        params[k++] = segs[i];
                else if (strlen(segs[i]) != l || memcmp(segs[i], p, l) != 0)
                        return false;
                i++;
                p += l;
                if (*p == '/')
                        p++;
        }
        return i == n;
}

/**
 * http_router_new() - a router over a backend.
 * @backend: the functions the handlers call; must outlive the router
 * @ctx: passed to every backend function
 * @token: the API token, or NULL/empty for no authentication
 * @ret: set to the new router
 *
 * Return: 0, -EINVAL for a token shorter than HTTP_TOKEN_MIN, -ENOMEM.
 */
int http_router_new(const HttpBackend *backend, void *ctx, const char *token, HttpRouter **ret) {
        _cleanup_(http_router_freep) HttpRouter *r = NULL;

        if (token && *token && strlen(token) < HTTP_TOKEN_MIN)
                return -EINVAL;
        r = calloc(1, sizeof *r);
        if (!r)
                return -ENOMEM;
        r->backend = backend;
        r->ctx = ctx;
        if (token && *token) {
                r->token = strdup(token);
                if (!r->token)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(r);
        return 0;
}

HttpRouter *http_router_free(HttpRouter *r) {
        if (!r)
                return NULL;
        /* Completions still pending belong to the backend's callbacks now: they free themselves when called. */
        for (HttpDeferred *d = r->deferred, *next; d; d = next) {
                next = d->next;
                d->router = NULL;
                d->prev = d->next = NULL;
        }
        if (r->token) {
                explicit_bzero(r->token, strlen(r->token));
                free(r->token);
        }
        free(r);
        return NULL;
}

void http_router_account(HttpRouter *r, unsigned status) {
        if (r && status >= HTTP_STATUS_MIN && status <= HTTP_STATUS_MAX)
                r->by_status[status]++;
}

static void strv_free_n(char **l, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(l[i]);
}

void http_router_set_read_only(HttpRouter *r, bool read_only) {
        r->read_only = read_only;
}

/**
 * http_router_dispatch() - answers one request.
 * @r: the router
 * @req: the request; its path is raw (percent-encoded), its query raw without "?"
 * @resp: set to the answer (status always 100..599); 101 with resp->upgrade for a WebSocket upgrade
 * @complete: called once with the final answer when resp->deferred is set
 * @userdata: for complete, and the key of http_router_cancel()
 *
 * Checks the token, splits the path into segments (one trailing slash ignored, empty segments and more than
 * HTTP_PATH_SEGMENTS_MAX are 404), percent-decodes each segment (a bad escape or %00 is 400), and runs the
 * handler of the matching route; a wrong method is 404 like an unknown path.
 */
void http_router_dispatch(HttpRouter *r, const HttpRequest *req, HttpResponse *resp, HttpCompleteFunc complete,
                          void *userdata) {
        char *segs[HTTP_PATH_SEGMENTS_MAX] = {}, *params[HTTP_PATH_SEGMENTS_MAX] = {};
        size_t n = 0, len;
        const char *path = req->path ?: "";
        bool path_matched = false;

        *resp = (HttpResponse) {};

        if (r->token && !http_token_equal(r->token, http_request_header(req, "X-PC-Token-Key"))) {
                /* 401 with an empty body, as process-compose's middleware. */
                resp->status = 401;
                return;
        }

        if (path[0] != '/' || !req->method) {
                http_response_set_not_found(resp);
                return;
        }
        len = strlen(path);
        /* Both trailing-slash forms: "/project/stop/" is "/project/stop" (gin redirects, we just route). */
        if (len > 1 && path[len - 1] == '/')
                len--;

        for (size_t i = 1; len > 1 && i <= len;) {
                const char *s = path + i, *e = memchr(s, '/', len - i);
                size_t l = e ? (size_t) (e - s) : len - i;
                int k;

                if (l == 0 || n >= HTTP_PATH_SEGMENTS_MAX) {
                        http_response_set_not_found(resp);
                        goto finish;
                }
                k = http_unescape_segment(s, l, &segs[n]);
                if (k == -ENOMEM) {
                        http_response_set_error(resp, 500, "out of memory");
                        goto finish;
                }
                if (k < 0) {
                        http_set_errorf(resp, 400, "invalid URL escape in path segment %zu", n + 1);
                        goto finish;
                }
                n++;
                i += l + 1;
        }

        for (size_t i = 0; i < http_n_routes; i++) {
                if (!route_match(http_routes[i].pattern, segs, n, params))
                        continue;
                path_matched = true;
                if (!streq(http_routes[i].method, req->method))
                        continue;
                if (r->read_only && !streq(req->method, "GET")) {
                        http_response_set_error(resp, 403, HTTP_READ_ONLY_MESSAGE);
                        goto finish;
                }

                Call c = {
                        .r = r,
                        .req = req,
                        .params = params,
                        .resp = resp,
                        .complete = complete,
                        .userdata = userdata,
                };
                http_routes[i].handler(&c);
                goto finish;
        }
        (void) path_matched;   /* a wrong method is a 404 too (gin's HandleMethodNotAllowed is off) */
        http_response_set_not_found(resp);

finish:
        strv_free_n(segs, n);
        if (resp->status < HTTP_STATUS_MIN || resp->status > HTTP_STATUS_MAX) {
                http_response_done(resp);
                http_response_set_error(resp, 500, "internal error");
        }
}
