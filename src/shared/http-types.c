#include <strings.h>

#include "shared/http-types.h"

void http_response_done(HttpResponse *r) {
        if (!r)
                return;
        free(r->content_type);
        free(r->body);
        free(r->location);
        free(r->ws_accept);
        if (r->upgrade_params && r->upgrade_params_free)
                r->upgrade_params_free(r->upgrade_params);
        *r = (HttpResponse) {};
}

const char *http_request_header(const HttpRequest *req, const char *name) {
        for (size_t i = 0; i < req->n_headers; i++)
                if (strcasecmp(req->headers[i].name, name) == 0)
                        return req->headers[i].value;
        return NULL;
}
