/* The upgrade check of the WebSocket streams, I/O-free: the query parameters of each stream (names, offset,
 * follow, since_seq, snapshot), the handshake headers and the session limit, answered with process-compose's
 * statuses and messages. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared/buffer.h"
#include "shared/json-util.h"
#include "shared/parse-util.h"
#include "shared/strv.h"
#include "shared/url-util.h"
#include "ws/ws-handshake.h"
#include "ws/ws-server-internal.h"

#define WS_NAMES_MAX 256u
#define WS_NAME_MAX 1024u

void ws_params_free(void *p) {
        WsParams *params = p;

        if (!params)
                return;
        strv_free(params->names);
        free(params->since);
        free(params);
}

void ws_params_freep(WsParams **p) {
        ws_params_free(*p);
}

/* Splits a comma list; trim: strip spaces (states), as process-compose does for that stream only. */
static int split_names(const char *v, bool trim, char ***ret) {
        _cleanup_strv_free_ char **names = NULL;
        size_t n = 0;

        for (const char *p = v; p && *p;) {
                const char *e = strchrnul(p, ',');
                size_t l = e - p;
                const char *b = p;

                if (trim) {
                        while (l > 0 && (*b == ' ' || *b == '\t'))
                                b++, l--;
                        while (l > 0 && (b[l - 1] == ' ' || b[l - 1] == '\t'))
                                l--;
                }
                if (l > 0) {
                        char *name;
                        if (n >= WS_NAMES_MAX || l > WS_NAME_MAX)
                                return -E2BIG;
                        name = strndup(b, l);
                        if (!name)
                                return -ENOMEM;
                        if (strv_consume(&names, name) < 0)
                                return -ENOMEM;
                        n++;
                }
                p = *e ? e + 1 : e;
        }
        *ret = TAKE_PTR(names);
        return 0;
}

static void set_error(HttpResponse *resp, unsigned status, const char *fmt, ...) _printf_(3, 4);
static void set_error(HttpResponse *resp, unsigned status, const char *fmt, ...) {
        _cleanup_free_ char *msg = NULL;
        Buffer b = {};
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);

        resp->status = status;
        (void) buffer_append_str(&b, "{\"error\":");
        (void) json_escape_append(&b, strempty(msg), msg ? strlen(msg) : 0, JSON_ESCAPE_GO);
        if (msg && buffer_append_char(&b, '}') >= 0) {
                free(resp->body);
                resp->body = buffer_steal(&b, &resp->body_size);
        } else
                buffer_done(&b);
}

/* since_seq=N (every name) or since_seq=name:N,name:N (per name). */
static int parse_since(WsParams *p, const char *v, char **ret_bad) {
        size_t n = strv_length(p->names);

        p->since = new(uint64_t, n);
        if (!p->since)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                p->since[i] = UINT64_MAX;
        if (!v)
                return 0;

        if (v[0] >= '0' && v[0] <= '9') {
                uint64_t s;
                if (parse_u64(v, &s) < 0) {
                        *ret_bad = strdup(v);
                        return -EINVAL;
                }
                for (size_t i = 0; i < n; i++)
                        p->since[i] = s;
                return 0;
        }

        for (const char *q = v; *q;) {
                const char *e = strchrnul(q, ','), *colon = NULL;
                _cleanup_free_ char *item = strndup(q, e - q);
                uint64_t s;
                bool found = false;

                if (!item)
                        return -ENOMEM;
                colon = strrchr(item, ':');
                if (!colon || parse_u64(colon + 1, &s) < 0) {
                        *ret_bad = TAKE_PTR(item);
                        return -EINVAL;
                }
                item[colon - item] = 0;
                for (size_t i = 0; i < n; i++)
                        if (streq(p->names[i], item)) {
                                p->since[i] = s;
                                found = true;
                        }
                if (!found) {
                        item[colon - item] = ':';
                        *ret_bad = TAKE_PTR(item);
                        return -EINVAL;
                }
                q = *e ? e + 1 : e;
        }
        return 0;
}

static bool query_flag(const char *query, const char *key) {
        _cleanup_free_ char *v = NULL;

        if (url_query_get(query, key, &v) <= 0)
                return false;
        return streq(v, "true") || streq(v, "1");
}

static int parse_log_params(const HttpRequest *req, HttpResponse *resp, WsParams **ret) {
        _cleanup_free_ char *name = NULL, *offset = NULL, *follow = NULL, *since = NULL, *bad = NULL;
        _cleanup_(ws_params_freep) WsParams *p = NULL;
        int r;

        p = new0(WsParams, 1);
        if (!p)
                return -ENOMEM;
        p->kind = HTTP_UPGRADE_WS_LOGS;

        if (url_query_get(req->query, "name", &name) < 0 || url_query_get(req->query, "offset", &offset) < 0 ||
            url_query_get(req->query, "follow", &follow) < 0) {
                set_error(resp, 400, "invalid query string");
                return 0;
        }
        r = url_query_get(req->query, "since_seq", &since);
        if (r == 0)
                r = url_query_get(req->query, "cursor", &since);
        if (r < 0) {
                set_error(resp, 400, "invalid query string");
                return 0;
        }

        r = split_names(name, false, &p->names);
        if (r == -E2BIG) {
                set_error(resp, 400, "too many or too long process names (at most %u of %u bytes)", WS_NAMES_MAX,
                          WS_NAME_MAX);
                return 0;
        }
        if (r < 0)
                return r;

        /* process-compose: offset is a required int (strconv.Atoi); a resuming client may leave it out. */
        if (!offset && since)
                p->offset = 0;
        else if (parse_i64(strempty(offset), &p->offset) < 0) {
                set_error(resp, 400, "strconv.Atoi: parsing \"%s\": invalid syntax", strempty(offset));
                return 0;
        }
        p->follow = streq_ptr(follow, "true");
        p->seq = query_flag(req->query, "seq");
        p->notify_drops = query_flag(req->query, "notify_drops");

        r = parse_since(p, since, &bad);
        if (r == -EINVAL) {
                set_error(resp, 400, "invalid since_seq item \"%s\": expected N or NAME:N with NAME one of name",
                          strempty(bad));
                return 0;
        }
        if (r < 0)
                return r;

        *ret = TAKE_PTR(p);
        return 1;
}

static int parse_state_params(const HttpRequest *req, HttpResponse *resp, WsParams **ret) {
        _cleanup_free_ char *name = NULL, *snapshot = NULL;
        _cleanup_(ws_params_freep) WsParams *p = NULL;
        int r;

        p = new0(WsParams, 1);
        if (!p)
                return -ENOMEM;
        p->kind = HTTP_UPGRADE_WS_STATES;
        p->snapshot = true;

        if (url_query_get(req->query, "name", &name) < 0 || url_query_get(req->query, "snapshot", &snapshot) < 0) {
                set_error(resp, 400, "invalid query string");
                return 0;
        }
        r = split_names(name, true, &p->names);
        if (r == -E2BIG) {
                set_error(resp, 400, "too many or too long process names (at most %u of %u bytes)", WS_NAMES_MAX,
                          WS_NAME_MAX);
                return 0;
        }
        if (r < 0)
                return r;
        if (snapshot && (streq(snapshot, "false") || streq(snapshot, "0")))
                p->snapshot = false;

        *ret = TAKE_PTR(p);
        return 1;
}

/* The terminal of one process: ?name= (required), checked now so that the client gets an HTTP status. */
static int parse_pty_params(WsServer *s, const HttpRequest *req, HttpResponse *resp, WsParams **ret) {
        _cleanup_free_ char *name = NULL;
        _cleanup_(ws_params_freep) WsParams *p = NULL;
        int r;

        if (url_query_get(req->query, "name", &name) < 0) {
                set_error(resp, 400, "invalid query string");
                return 0;
        }
        if (isempty(name)) {
                set_error(resp, 400, "name is required");
                return 0;
        }
        if (strlen(name) > WS_NAME_MAX) {
                set_error(resp, 400, "process name too long (at most %u bytes)", WS_NAME_MAX);
                return 0;
        }
        r = s->backend->open_terminal ? s->backend->open_terminal(s->backend_ud, name, NULL, NULL, NULL) : -ENOTTY;
        if (r == -ENOENT) {
                set_error(resp, 404, "process %s does not exist", name);
                return 0;
        }
        if (r == -ESRCH) {
                set_error(resp, 400, "process %s is not running", name);
                return 0;
        }
        if (r == -ENOTTY) {
                set_error(resp, 400, "process %s is not interactive", name);
                return 0;
        }
        if (r < 0)
                return r;

        p = new0(WsParams, 1);
        if (!p)
                return -ENOMEM;
        p->kind = HTTP_UPGRADE_WS_PTY;
        if (strv_extend(&p->names, name) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(p);
        return 1;
}

void ws_server_check_upgrade(WsServer *s, HttpUpgrade kind, const HttpRequest *req, HttpResponse *resp) {
        char accept[WS_ACCEPT_SIZE];
        WsHandshakeError e;
        WsParams *p = NULL;
        int r;

        if (!s || !req || !resp)
                return;

        /* Query errors come first, as in process-compose, which checks offset before upgrading. */
        if (kind == HTTP_UPGRADE_WS_LOGS)
                r = parse_log_params(req, resp, &p);
        else if (kind == HTTP_UPGRADE_WS_STATES)
                r = parse_state_params(req, resp, &p);
        else if (kind == HTTP_UPGRADE_WS_PTY)
                r = parse_pty_params(s, req, resp, &p);
        else {
                set_error(resp, 404, "no such stream");
                return;
        }
        if (r < 0) {
                set_error(resp, 500, "%s", strerror(-r));
                return;
        }
        if (r == 0)
                return;

        e = ws_handshake_check(req, s->config.allow_any_origin, accept);
        if (e != WS_HANDSHAKE_OK) {
                ws_params_free(p);
                set_error(resp, ws_handshake_error_status(e), "%s", ws_handshake_error_to_string(e));
                return;
        }
        if (s->n_sessions >= s->config.max_sessions) {
                ws_params_free(p);
                set_error(resp, 503, "too many WebSocket sessions (limit %zu)", s->config.max_sessions);
                return;
        }

        free(resp->ws_accept);
        resp->ws_accept = strdup(accept);
        if (!resp->ws_accept) {
                ws_params_free(p);
                set_error(resp, 500, "out of memory");
                return;
        }
        resp->status = 101;
        resp->upgrade = kind;
        resp->upgrade_params = p;
        resp->upgrade_params_free = ws_params_free;
}
