/* http_get probes: one libcurl multi handle per probe, driven by the event loop (its sockets and timer
 * are sd-event sources); the status code is the result. See probe.h. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>

#include <curl/curl.h>

#include "config.h"
#include "probe/probe-internal.h"
#include "shared/time-util.h"

static size_t discard_body(char *ptr, size_t size, size_t nmemb, void *userdata) {
        return size * nmemb;
}

void probe_http_cancel(Probe *p) {
        if (p->easy) {
                (void) curl_multi_remove_handle(p->multi, p->easy);
                curl_easy_cleanup(p->easy);
                p->easy = NULL;
        }
        probe_disarm_timer(p->curl_timer);
}

static void http_check_done(Probe *p) {
        CURLMsg *msg;
        int left;

        while ((msg = curl_multi_info_read(p->multi, &left))) {
                char buf[CURL_ERROR_SIZE + 128];
                const char *error = NULL;
                CURLcode result;
                long code = 0;

                if (msg->msg != CURLMSG_DONE || msg->easy_handle != p->easy)
                        continue;
                result = msg->data.result;
                (void) curl_easy_getinfo(p->easy, CURLINFO_RESPONSE_CODE, &code);
                probe_http_cancel(p);

                if (result != CURLE_OK) {
                        snprintf(buf, sizeof buf, "Ran into error while performing 'GET' request: %s",
                                 p->errbuf[0] ? p->errbuf : curl_easy_strerror(result));
                        error = buf;
                } else if (code != p->status_code) {
                        snprintf(buf, sizeof buf,
                                 "Received status code '%ld' does not match expected status code '%ld'",
                                 code, p->status_code);
                        error = buf;
                }
                probe_report(p, !error, error);
                /* the callback may have stopped, restarted or freed (deferred) the probe; the multi
                 * handle still exists, but its message queue belongs to the old check */
                break;
        }
}

static int on_curl_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Probe *p = userdata;
        int flags = 0, running;

        if (revents & EPOLLIN)
                flags |= CURL_CSELECT_IN;
        if (revents & EPOLLOUT)
                flags |= CURL_CSELECT_OUT;
        if (revents & (EPOLLERR | EPOLLHUP))
                flags |= CURL_CSELECT_ERR;

        probe_ref(p);
        (void) curl_multi_socket_action(p->multi, fd, flags, &running);
        http_check_done(p);
        probe_unref(p);
        return 0;
}

static int on_curl_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Probe *p = userdata;
        int running;

        probe_ref(p);
        (void) curl_multi_socket_action(p->multi, CURL_SOCKET_TIMEOUT, 0, &running);
        http_check_done(p);
        probe_unref(p);
        return 0;
}

static void probe_socket_free(ProbeSocket *ps) {
        if (!ps)
                return;
        if (ps->prev)
                ps->prev->next = ps->next;
        else
                ps->probe->sockets = ps->next;
        if (ps->next)
                ps->next->prev = ps->prev;
        sd_event_source_disable_unref(ps->source);
        free(ps);
}

/* CURLMOPT_SOCKETFUNCTION: watch what libcurl wants on this socket. */
static int curl_socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp) {
        Probe *p = userp;
        ProbeSocket *ps = socketp;
        uint32_t events = 0;
        int r;

        if (what == CURL_POLL_REMOVE) {
                probe_socket_free(ps);
                return 0;
        }
        if (what & CURL_POLL_IN)
                events |= EPOLLIN;
        if (what & CURL_POLL_OUT)
                events |= EPOLLOUT;

        if (ps)
                return sd_event_source_set_io_events(ps->source, events) < 0 ? -1 : 0;

        ps = new0(ProbeSocket, 1);
        if (!ps)
                return -1;
        r = sd_event_add_io(p->event, &ps->source, fd, events, on_curl_io, p);
        if (r < 0) {
                free(ps);
                return -1;
        }
        ps->probe = p;
        ps->next = p->sockets;
        if (p->sockets)
                p->sockets->prev = ps;
        p->sockets = ps;
        if (curl_multi_assign(p->multi, fd, ps) != CURLM_OK) {
                probe_socket_free(ps);
                return -1;
        }
        return 0;
}

/* CURLMOPT_TIMERFUNCTION: libcurl wants curl_multi_socket_action(TIMEOUT) in timeout_ms (-1: never). It
 * must not be called from here, so the time source does it. */
static int curl_timer_cb(CURLM *multi, long timeout_ms, void *userp) {
        Probe *p = userp;

        if (timeout_ms < 0) {
                probe_disarm_timer(p->curl_timer);
                return 0;
        }
        return probe_arm_timer(p, &p->curl_timer, now_usec(CLOCK_MONOTONIC) + (usec_t) timeout_ms * USEC_PER_MSEC, 1,
                         on_curl_timer) < 0 ? -1 : 0;
}

int probe_http_start(Probe *p) {
        CURL *e;

        e = curl_easy_init();
        if (!e)
                return -ENOMEM;
        p->errbuf[0] = 0;
        if (curl_easy_setopt(e, CURLOPT_URL, p->url) != CURLE_OK ||
            curl_easy_setopt(e, CURLOPT_HTTPGET, 1L) != CURLE_OK ||
            curl_easy_setopt(e, CURLOPT_HTTPHEADER, p->headers) != CURLE_OK ||
            curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long) (p->timeout / USEC_PER_MSEC)) != CURLE_OK ||
            curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
            /* a health check of a local service must not go through $http_proxy */
            curl_easy_setopt(e, CURLOPT_PROXY, "") != CURLE_OK ||
            /* as Go's http.Client: follow up to 10 redirects, http and https only */
            curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L) != CURLE_OK ||
            curl_easy_setopt(e, CURLOPT_MAXREDIRS, 10L) != CURLE_OK ||
            curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
            curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") != CURLE_OK ||
            curl_easy_setopt(e, CURLOPT_USERAGENT, "pcctl/" PCCTL_VERSION) != CURLE_OK ||
            curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard_body) != CURLE_OK ||
            curl_easy_setopt(e, CURLOPT_ERRORBUFFER, p->errbuf) != CURLE_OK ||
            curl_easy_setopt(e, CURLOPT_PRIVATE, p) != CURLE_OK) {
                curl_easy_cleanup(e);
                return -EINVAL;
        }
        p->easy = e;
        /* calls curl_timer_cb(0): the transfer starts from the loop, not from here */
        if (curl_multi_add_handle(p->multi, e) != CURLM_OK) {
                curl_easy_cleanup(e);
                p->easy = NULL;
                return -ENOMEM;
        }
        return 0;
}

/* Frees what probe_http_setup() and the checks made (the probe is stopped). */
void probe_http_done(Probe *p) {
        if (p->multi) {
                curl_multi_cleanup(p->multi);
                p->multi = NULL;
        }
        while (p->sockets)
                probe_socket_free(p->sockets);
        p->curl_timer = sd_event_source_disable_unref(p->curl_timer);
        curl_slist_free_all(p->headers);
        p->headers = NULL;
        p->url = mfree(p->url);
}

static bool header_token_ok(const char *s) {
        /* RFC 9110 token characters */
        if (isempty(s))
                return false;
        for (; *s; s++)
                if (!isalnum((unsigned char) *s) && !strchr("!#$%&'*+-.^_`|~", *s))
                        return false;
        return true;
}

static bool header_value_ok(const char *s) {
        for (; s && *s; s++)
                if ((unsigned char) *s < 0x20 && *s != '\t')
                        return false;
        return true;
}

/* Percent-encodes a path as Go's url.URL.EscapedPath() does: unreserved characters and $&+,/:;=@ stay,
 * everything else (space, '?', '#', '%', non-ASCII) is escaped. */
static char *escape_path(const char *path) {
        static const char hex[] = "0123456789ABCDEF";
        size_t len = strlen(path);
        char *out, *o;

        out = malloc(len * 3 + 1);
        if (!out)
                return NULL;
        o = out;
        for (const char *i = path; *i; i++) {
                unsigned char ch = *i;
                if (isalnum(ch) || strchr("-._~$&+,/:;=@", ch))
                        *o++ = ch;
                else {
                        *o++ = '%';
                        *o++ = hex[ch >> 4];
                        *o++ = hex[ch & 15];
                }
        }
        *o = 0;
        return out;
}

int probe_http_setup(Probe *p, const ProbeConfig *c) {
        const char *scheme = c->scheme ?: "http", *host = c->host ?: "127.0.0.1", *path = c->path ?: "/";
        _cleanup_free_ char *bracketed = NULL, *slashed = NULL, *escaped = NULL;
        char port[16];
        CURLU *u;
        char *url = NULL;
        CURLUcode uc;

        if (!streq(scheme, "http") && !streq(scheme, "https"))
                return -EINVAL;
        if (isempty(c->host))
                host = "127.0.0.1";
        if (isempty(c->path))
                path = "/";
        if (strlen(host) + strlen(path) > PROBE_URL_MAX)
                return -EINVAL;
        if (strchr(host, ':') && host[0] != '[') {
                if (asprintf(&bracketed, "[%s]", host) < 0)
                        return -ENOMEM;
                host = bracketed;
        }
        if (path[0] != '/') {
                /* Go's url.URL adds the slash between host and a relative path */
                if (asprintf(&slashed, "/%s", path) < 0)
                        return -ENOMEM;
                path = slashed;
        }

        escaped = escape_path(path);
        if (!escaped)
                return -ENOMEM;

        u = curl_url();
        if (!u)
                return -ENOMEM;
        uc = curl_url_set(u, CURLUPART_SCHEME, scheme, 0);
        if (uc == CURLUE_OK)
                uc = curl_url_set(u, CURLUPART_HOST, host, 0);
        if (uc == CURLUE_OK && c->port >= 1 && c->port <= 65535) {
                snprintf(port, sizeof port, "%d", c->port);
                uc = curl_url_set(u, CURLUPART_PORT, port, 0);
        }
        /* the path is a path, as in process-compose: a '?' in it is escaped, not a query */
        if (uc == CURLUE_OK)
                uc = curl_url_set(u, CURLUPART_PATH, escaped, 0);
        if (uc == CURLUE_OK)
                uc = curl_url_get(u, CURLUPART_URL, &url, 0);
        curl_url_cleanup(u);
        if (uc != CURLUE_OK)
                return uc == CURLUE_OUT_OF_MEMORY ? -ENOMEM : -EINVAL;
        p->url = strdup(url);
        curl_free(url);
        if (!p->url)
                return -ENOMEM;

        if (c->n_headers > PROBE_HEADERS_MAX)
                return -EINVAL;
        for (size_t i = 0; i < c->n_headers; i++) {
                const ProbeHeader *h = c->headers + i;
                _cleanup_free_ char *line = NULL;
                struct curl_slist *l;

                if (!header_token_ok(h->name) || !header_value_ok(h->value) ||
                    strlen(h->name) + strlen(strempty(h->value)) > PROBE_HEADER_SIZE_MAX)
                        return -EINVAL;
                /* "Name;" is libcurl's way to send a header with an empty value */
                if (asprintf(&line, isempty(h->value) ? "%s;" : "%s: %s", h->name, strempty(h->value)) < 0)
                        return -ENOMEM;
                l = curl_slist_append(p->headers, line);
                if (!l)
                        return -ENOMEM;
                p->headers = l;
        }

        p->status_code = c->status_code < 1 || c->status_code >= 400 ? 200 : c->status_code;

        p->multi = curl_multi_init();
        if (!p->multi)
                return -ENOMEM;
        if (curl_multi_setopt(p->multi, CURLMOPT_SOCKETFUNCTION, curl_socket_cb) != CURLM_OK ||
            curl_multi_setopt(p->multi, CURLMOPT_SOCKETDATA, p) != CURLM_OK ||
            curl_multi_setopt(p->multi, CURLMOPT_TIMERFUNCTION, curl_timer_cb) != CURLM_OK ||
            curl_multi_setopt(p->multi, CURLMOPT_TIMERDATA, p) != CURLM_OK)
                return -EINVAL;
        return 0;
}
