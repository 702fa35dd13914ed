/* Origin and Host checks against browsers (docs/api.md, "Browsers, origins and hosts"). I/O-free.
 *
 * A web page can send "simple" cross-origin requests without a preflight, and through DNS rebinding make its
 * own name resolve to 127.0.0.1, which turns its requests into same-origin ones for the browser. So:
 *   - over TCP, the Host header must name this machine by a loopback name or address ("localhost",
 *     "*.localhost", 127.0.0.0/8, ::1), the address the connection arrived on, the bound address, or a host
 *     given with --allowed-host ("*" allows any). A rebinding page's Host is its own name, so it fails here.
 *     The unix socket is exempt: its file mode is the guard, and no browser reaches it directly;
 *   - a state-changing request (POST, PATCH, PUT, DELETE) or a WebSocket upgrade that carries an Origin must
 *     come from this server's own origin: the Origin's host[:port] equals the Host header. Requests without
 *     an Origin (curl, process-compose's client, pcctl's verbs) are not browsers' and pass. With
 *     --ws-allow-any-origin, upgrades skip the Origin check (the Host check still applies). */
#pragma once

#include <stdbool.h>

#include "shared/http-types.h"

typedef struct HttpAccessPolicy {
        bool unix_socket;            /* the request came over the unix socket: no Host check */
        bool ws_allow_any_origin;    /* --ws-allow-any-origin */
        const char *bound_address;   /* --address as given (a name or a literal), or NULL */
        const char *local_address;   /* numeric address the connection arrived on, or NULL */
        char * const *allowed_hosts; /* --allowed-host values (host or host:port), NULL-terminated, or NULL */
} HttpAccessPolicy;

/* Whether host (a Host header value, "name[:port]" or "[v6][:port]") is allowed by p. */
bool http_access_host_allowed(const HttpAccessPolicy *p, const char *host);

/* NULL when req may proceed, else the message of the 403 to answer. */
const char *http_access_check(const HttpAccessPolicy *p, const HttpRequest *req);
