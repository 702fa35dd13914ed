/* Synchronous REST client over TCP or a unix socket, on libcurl's easy interface. */
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/http-client.h"
#include "shared/buffer.h"
#include "shared/error-util.h"

struct HttpClient {
        CURL *curl;
        char *base_url;
        char *socket_path;
        char *target;                   /* "127.0.0.1:8080" / "/run/x.sock" for dial errors */
        bool uds;
        struct curl_slist *headers;     /* auth header and JSON content type */
        unsigned timeout_ms;
        char errbuf[CURL_ERROR_SIZE];
};

void client_response_done(ClientResponse *r) {
        if (!r)
                return;
        r->body = mfree(r->body);
        r->size = 0;
        r->status = 0;
}

HttpClient *http_client_free(HttpClient *c) {
        if (!c)
                return NULL;
        if (c->curl)
                curl_easy_cleanup(c->curl);
        curl_slist_free_all(c->headers);
        free(c->base_url);
        free(c->socket_path);
        free(c->target);
        return mfree(c);
}

static size_t write_cb(char *ptr, size_t size, size_t nmemb, void *userdata) {
        Buffer *b = userdata;

        /* A short count makes curl fail with CURLE_WRITE_ERROR; b->error tells why. */
        return buffer_append(b, ptr, size * nmemb) < 0 ? 0 : size * nmemb;
}

static int global_init(void) {
        static bool done = false;

        if (done)
                return 0;
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
                return -EIO;
        done = true;
        return 0;
}

int http_client_new(const ClientOptions *o, HttpClient **ret, char **ret_error) {
        _cleanup_(http_client_freep) HttpClient *c = NULL;
        _cleanup_free_ char *auth = NULL;
        struct curl_slist *l;
        int r;

        r = global_init();
        if (r < 0)
                return error_set(ret_error, r, "failed to initialize libcurl");

        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->timeout_ms = HTTP_CLIENT_TIMEOUT_SHORT_MS;
        c->uds = o->use_uds;

        r = client_options_base_url(o, &c->base_url);
        if (r < 0)
                return r;
        if (o->use_uds) {
                if (!o->socket_path)
                        return error_set(ret_error, -EINVAL, "no unix socket path (use -u PATH)");
                c->socket_path = strdup(o->socket_path);
                c->target = strdup(o->socket_path);
                if (!c->socket_path || !c->target)
                        return -ENOMEM;
        } else {
                const char *a = o->address ?: CLIENT_DEFAULT_ADDRESS;
                if (asprintf(&c->target, strchr(a, ':') ? "[%s]:%u" : "%s:%u", a, (unsigned) o->port) < 0)
                        return -ENOMEM;
        }

        c->curl = curl_easy_init();
        if (!c->curl)
                return error_set(ret_error, -ENOMEM, "failed to create a libcurl handle");

        r = client_options_auth_header(o, &auth);
        if (r < 0)
                return r;
        if (auth) {
                l = curl_slist_append(c->headers, auth);
                explicit_bzero(auth, strlen(auth));
                if (!l)
                        return -ENOMEM;
                c->headers = l;
        }
        /* No "Expect: 100-continue" round trip for bodies: the server answers at once. */
        l = curl_slist_append(c->headers, "Expect:");
        if (!l)
                return -ENOMEM;
        c->headers = l;

        *ret = TAKE_PTR(c);
        return 0;
}

void http_client_set_timeout(HttpClient *c, unsigned timeout_ms) {
        c->timeout_ms = timeout_ms;
}

/* Go spells the method of a url.Error as "Get", "Post", ... */
static void method_title(const char *method, char *buf, size_t n) {
        size_t i;

        for (i = 0; method[i] && i + 1 < n; i++)
                buf[i] = (char) (i == 0 ? toupper((unsigned char) method[i]) : tolower((unsigned char) method[i]));
        buf[i] = 0;
}

/* An errno text as Go prints syscall errors: "connection refused", lower-case first letter. */
static void errno_text(int e, char *buf, size_t n) {
        snprintf(buf, n, "%s", strerror(e));
        if (buf[0] && isupper((unsigned char) buf[0]) && !(buf[1] && isupper((unsigned char) buf[1])))
                buf[0] = (char) tolower((unsigned char) buf[0]);
}

static int transport_error(HttpClient *c, CURLcode cc, const char *method, const char *url, const Buffer *b,
                           char **ret_error) {
        char m[16], et[128];
        long os_errno = 0;
        const char *ip = NULL;
        const char *detail = c->errbuf[0] ? c->errbuf : curl_easy_strerror(cc);

        method_title(method, m, sizeof(m));
        (void) curl_easy_getinfo(c->curl, CURLINFO_OS_ERRNO, &os_errno);

        switch (cc) {
        case CURLE_COULDNT_CONNECT: {
                int e = os_errno > 0 ? (int) os_errno : ECONNREFUSED;
                _cleanup_free_ char *target = NULL;

                errno_text(e, et, sizeof(et));
                if (c->uds)
                        return error_set(ret_error, -e, "%s \"%s\": dial unix %s: connect: %s", m, url,
                                         c->socket_path, et);
                /* Name the address tried, as Go does; fall back to what the user gave. */
                if (curl_easy_getinfo(c->curl, CURLINFO_PRIMARY_IP, &ip) == CURLE_OK && !isempty(ip)) {
                        const char *colon = strrchr(c->target, ':');
                        if (asprintf(&target, strchr(ip, ':') ? "[%s]%s" : "%s%s", ip, colon ?: "") < 0)
                                target = NULL;
                }
                return error_set(ret_error, -e, "%s \"%s\": dial tcp %s: connect: %s", m, url,
                                 target ?: c->target, et);
        }
        case CURLE_COULDNT_RESOLVE_HOST:
                return error_set(ret_error, -EHOSTUNREACH, "%s \"%s\": dial tcp: lookup %s: no such host", m, url,
                                 c->target);
        case CURLE_OPERATION_TIMEDOUT:
                return error_set(ret_error, -ETIMEDOUT, "%s \"%s\": timeout: %s", m, url, detail);
        case CURLE_WRITE_ERROR:
                if (b->error == -E2BIG)
                        return error_set(ret_error, -EFBIG, "%s \"%s\": response larger than %u bytes", m, url,
                                         HTTP_CLIENT_BODY_MAX);
                return error_set(ret_error, -ENOMEM, "%s \"%s\": out of memory", m, url);
        case CURLE_GOT_NOTHING:
                return error_set(ret_error, -ECONNRESET, "%s \"%s\": EOF", m, url);
        default:
                return error_set(ret_error, -EIO, "%s \"%s\": %s", m, url, detail);
        }
}

int http_client_request(HttpClient *c, const char *method, const char *path, const char *body,
                        ClientResponse *ret, char **ret_error) {
        _cleanup_free_ char *url = NULL;
        _cleanup_(buffer_done) Buffer b = BUFFER_INIT_MAX(HTTP_CLIENT_BODY_MAX);
        struct curl_slist *headers = c->headers, *extra = NULL;
        size_t size;
        char *data;
        CURLcode cc;
        long status = 0;

        if (isempty(path) || path[0] != '/')
                return -EINVAL;
        if (body && strlen(body) > HTTP_CLIENT_REQUEST_MAX)
                return error_set(ret_error, -EFBIG, "request body larger than %u bytes", HTTP_CLIENT_REQUEST_MAX);
        if (asprintf(&url, "%s%s", c->base_url, path) < 0)
                return -ENOMEM;

        curl_easy_reset(c->curl);
        c->errbuf[0] = 0;

        if (body) {
                /* A private list head so the content type is only sent with a body. */
                extra = curl_slist_append(NULL, "Content-Type: application/json");
                if (!extra)
                        return -ENOMEM;
                extra->next = c->headers;
                headers = extra;
        }

        if (curl_easy_setopt(c->curl, CURLOPT_URL, url) != CURLE_OK ||
            curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, method) != CURLE_OK ||
            curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, headers) != CURLE_OK ||
            curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, write_cb) != CURLE_OK ||
            curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &b) != CURLE_OK ||
            curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, c->errbuf) != CURLE_OK ||
            curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
            curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS, (long) HTTP_CLIENT_CONNECT_TIMEOUT_MS) != CURLE_OK ||
            curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, (long) c->timeout_ms) != CURLE_OK ||
            curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, "http") != CURLE_OK ||
            curl_easy_setopt(c->curl, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
            curl_easy_setopt(c->curl, CURLOPT_USERAGENT, "pcctl") != CURLE_OK) {
                if (extra) {
                        extra->next = NULL;   /* the shared tail belongs to the client */
                        curl_slist_free_all(extra);
                }
                return error_set(ret_error, -EIO, "failed to set up the request to %s", url);
        }
        if (c->uds)
                (void) curl_easy_setopt(c->curl, CURLOPT_UNIX_SOCKET_PATH, c->socket_path);
        if (body) {
                (void) curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
                (void) curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) strlen(body));
        } else if (streq(method, "POST") || streq(method, "PATCH") || streq(method, "PUT")) {
                /* An empty body, with Content-Length: 0, as Go sends it. */
                (void) curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, "");
                (void) curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) 0);
        } else {
                /* The handle is reused: drop the previous request's body (CURLOPT_POSTFIELDS persists, and
                 * would point at freed memory), then restore the method. */
                (void) curl_easy_setopt(c->curl, CURLOPT_HTTPGET, 1L);
                (void) curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, method);
        }

        cc = curl_easy_perform(c->curl);
        if (extra) {
                extra->next = NULL;
                curl_slist_free_all(extra);
        }
        if (cc != CURLE_OK)
                return transport_error(c, cc, method, url, &b, ret_error);

        (void) curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
        if (status == 401)
                return error_set(ret_error, -EACCES, "authentication failed: invalid or missing PC_API_TOKEN");

        data = buffer_steal(&b, &size);
        if (!data)
                return -ENOMEM;
        *ret = (ClientResponse) {
                .status = status,
                .body = data,
                .size = size,
        };
        return 0;
}

int client_error_message(long status, const char *body, size_t size, char **ret) {
        cJSON *j, *e;
        char *s = NULL;
        size_t n;

        j = body && size > 0 ? cJSON_ParseWithLength(body, size) : NULL;
        e = cJSON_IsObject(j) ? cJSON_GetObjectItemCaseSensitive(j, "error") : NULL;
        if (cJSON_IsString(e) && !isempty(e->valuestring))
                s = strdup(e->valuestring);
        else {
                /* Not our JSON error (e.g. "404 page not found"): show a bounded, trimmed excerpt. */
                const char *p = body ?: "";
                n = MIN(size, (size_t) 512);
                while (n > 0 && isspace((unsigned char) p[n - 1]))
                        n--;
                if (asprintf(&s, n > 0 ? "HTTP %ld: %.*s" : "HTTP %ld", status, (int) n, p) < 0)
                        s = NULL;
        }
        cJSON_Delete(j);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

int http_client_call(HttpClient *c, const char *method, const char *path, const cJSON *body, bool accept_207,
                     cJSON **ret_json, long *ret_status, char **ret_error) {
        _cleanup_(client_response_done) ClientResponse resp = {};
        _cleanup_free_ char *text = NULL;
        cJSON *j;
        int r;

        if (body) {
                text = cJSON_PrintUnformatted(body);
                if (!text)
                        return -ENOMEM;
        }

        r = http_client_request(c, method, path, text, &resp, ret_error);
        if (r < 0)
                return r;

        if (resp.status != 200 && !(accept_207 && resp.status == 207)) {
                _cleanup_free_ char *msg = NULL;
                r = client_error_message(resp.status, resp.body, resp.size, &msg);
                if (r < 0)
                        return r;
                if (ret_error) {
                        free(*ret_error);
                        *ret_error = TAKE_PTR(msg);
                }
                return -EBADMSG;
        }

        if (ret_json) {
                j = cJSON_ParseWithLength(resp.body, resp.size);
                if (!j)
                        return error_set(ret_error, -EPROTO, "invalid response to %s %s: not JSON", method, path);
                *ret_json = j;
        }
        if (ret_status)
                *ret_status = resp.status;
        return 0;
}

int client_path(char **ret, const char *prefix, ...) {
        _cleanup_free_ char *p = NULL;
        size_t n, allocated = 0;
        va_list ap;
        const char *seg;
        int r = 0;

        n = strlen(prefix);
        if (!greedy_realloc((void **) &p, &allocated, n + 1, 1))
                return -ENOMEM;
        memcpy(p, prefix, n + 1);

        va_start(ap, prefix);
        while ((seg = va_arg(ap, const char *))) {
                _cleanup_free_ char *e = NULL;
                size_t l;

                r = client_escape_segment(seg, &e);
                if (r < 0)
                        break;
                l = strlen(e);
                if (!greedy_realloc((void **) &p, &allocated, n + 1 + l + 1, 1)) {
                        r = -ENOMEM;
                        break;
                }
                p[n++] = '/';
                memcpy(p + n, e, l + 1);
                n += l;
        }
        va_end(ap);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(p);
        return 0;
}
