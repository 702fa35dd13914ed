/* The REST router and its JSON handlers on arbitrary requests: input is "method\0path\0query\0body".
 *
 * A real Manager needs a systemd user manager and the journal, which a fuzzer cannot have in-process, so the
 * router runs over the fake backend of the unit tests (fixed Process structs, recorded calls, deferred
 * completions finished at once). Everything the router itself does runs for real: path splitting and
 * percent-decoding, routing, integer parsing, cJSON body parsing (also through compose_*_from_json),
 * ProcessState/graph/metrics rendering, auth. Must hold: no crash or leak, status always 100..599, a 401 or
 * a body. Run it with contrib/fuzz-campaign http-route (docs/fuzzing.md). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/test-http-fake.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_complete(HttpResponse *resp, void *userdata) {
        unsigned *n = userdata;

        if (resp->status < 100 || resp->status > 599)
                abort();
        (*n)++;
}

/* Splits off the next NUL-terminated field; the last field takes the rest. */
static char *take(const uint8_t **p, size_t *left, bool last) {
        const uint8_t *z = last ? NULL : memchr(*p, 0, *left);
        size_t l = z ? (size_t) (z - *p) : *left;
        char *s = malloc(l + 1);

        if (!s)
                abort();
        memcpy(s, *p, l);
        s[l] = 0;
        *p += z ? l + 1 : l;
        *left -= z ? l + 1 : l;
        return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const char token[] = "fuzz-token-0123456789";
        const uint8_t *p = data;
        size_t left = size, body_size;
        char *method, *path, *query, *body;
        HttpHeader hdr = { "X-PC-Token-Key", token };
        HttpRouter *router = NULL;
        HttpResponse resp = {};
        unsigned completed = 0;
        Fake fake;
        bool auth;

        if (size > 1 << 20)
                return 0;
        method = take(&p, &left, false);
        path = take(&p, &left, false);
        query = take(&p, &left, false);
        body_size = left;
        body = take(&p, &left, true);

        /* One input in four runs with a token required (and sent when the path starts with /live). */
        auth = size % 4 == 0;
        fake_init(&fake);
        fake.ws_upgrade_ok = size % 3 == 0;
        if (http_router_new(&fake_backend, &fake, auth ? token : NULL, &router) < 0)
                abort();

        HttpRequest req = {
                .method = method,
                .path = path,
                .query = *query ? query : NULL,
                .headers = &hdr,
                .n_headers = auth && strncmp(path, "/live", 5) == 0 ? 1 : 0,
                .body = body_size ? body : NULL,
                .body_size = body_size,
        };
        http_router_dispatch(router, &req, &resp, on_complete, &completed);
        if (resp.status < 100 || resp.status > 599)
                abort();
        if (resp.status != 401 && resp.status != 101 && !resp.deferred && !resp.body)
                abort();
        if (resp.deferred) {
                fake_finish(&fake, size % 2 ? 0 : -EIO);
                if (completed != 1)
                        abort();
        }
        http_response_done(&resp);
        http_router_free(router);
        fake_done(&fake);
        free(method);
        free(path);
        free(query);
        free(body);
        return 0;
}
