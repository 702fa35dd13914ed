/* Origin and Host checks (http-access.h). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <strings.h>

#include "http/http-access.h"
#include "shared/macro.h"

#define HOST_NAME_MAX_LEN 255U
#define strcaseeq(a, b) (strcasecmp((a), (b)) == 0)

/* The host part of "name[:port]" or "[v6][:port]", without brackets, without one trailing dot, into buf.
 * False when it does not fit or is malformed. */
static bool host_part(const char *hostport, size_t len, char *buf, size_t bufsz) {
        const char *h = hostport, *e;
        size_t l;

        if (len > 0 && h[0] == '[') {
                e = memchr(h, ']', len);
                if (!e)
                        return false;
                h++;
                l = (size_t) (e - h);
                if (e + 1 < hostport + len && e[1] != ':')
                        return false;
        } else {
                e = memchr(h, ':', len);
                l = e ? (size_t) (e - h) : len;
        }
        if (l > 0 && h[l - 1] == '.')
                l--;
        if (l == 0 || l >= bufsz)
                return false;
        memcpy(buf, h, l);
        buf[l] = 0;
        return true;
}

static bool is_loopback_literal(const char *h) {
        struct in_addr a4;
        struct in6_addr a6;

        if (inet_pton(AF_INET, h, &a4) == 1)
                return (ntohl(a4.s_addr) >> 24) == 127;
        if (inet_pton(AF_INET6, h, &a6) == 1) {
                if (IN6_IS_ADDR_LOOPBACK(&a6))
                        return true;
                if (IN6_IS_ADDR_V4MAPPED(&a6))
                        return a6.s6_addr[12] == 127;
        }
        return false;
}

static bool is_localhost_name(const char *h) {
        size_t l = strlen(h);

        /* RFC 6761 §6.3: "localhost" and every name under it are loopback names. */
        return strcaseeq(h, "localhost") ||
               (l > strlen(".localhost") && strcaseeq(h + l - strlen(".localhost"), ".localhost"));
}

/* Two numeric addresses given as text name the same address ("::ffff:127.0.0.1" and "127.0.0.1" too). */
static bool same_address(const char *a, const char *b) {
        struct in6_addr x, y;
        struct in_addr v4;

        if (!a || !b)
                return false;
        if (strcaseeq(a, b))
                return true;
        for (int i = 0; i < 2; i++) {
                const char *s = i == 0 ? a : b;
                struct in6_addr *d = i == 0 ? &x : &y;

                if (inet_pton(AF_INET6, s, d) == 1)
                        continue;
                if (inet_pton(AF_INET, s, &v4) != 1)
                        return false;
                memset(d, 0, sizeof *d);
                d->s6_addr[10] = d->s6_addr[11] = 0xff;
                memcpy(d->s6_addr + 12, &v4, 4);
        }
        return memcmp(&x, &y, sizeof x) == 0;
}

bool http_access_host_allowed(const HttpAccessPolicy *p, const char *host) {
        char h[HOST_NAME_MAX_LEN + 1];

        if (!host)
                /* HTTP/1.0 without Host: not a browser (MHD refuses an HTTP/1.1 request without one). */
                return true;
        if (!host_part(host, strlen(host), h, sizeof h))
                return false;
        if (is_localhost_name(h) || is_loopback_literal(h))
                return true;
        if (p->local_address && same_address(h, p->local_address))
                return true;
        if (p->bound_address && *p->bound_address) {
                char b[HOST_NAME_MAX_LEN + 1];

                if (host_part(p->bound_address, strlen(p->bound_address), b, sizeof b) &&
                    (strcaseeq(h, b) || same_address(h, b)))
                        return true;
        }
        for (char * const *a = p->allowed_hosts; a && *a; a++) {
                char ah[HOST_NAME_MAX_LEN + 1];

                if (streq(*a, "*"))
                        return true;
                if (!host_part(*a, strlen(*a), ah, sizeof ah))
                        continue;
                /* An entry with a port ("name:8443") allows that name on any port: the port a proxy or a
                 * tunnel shows differs from the one pcctl listens on, and the port adds nothing against
                 * rebinding, where the attacker controls the name, not the port. */
                if (strcaseeq(h, ah) || same_address(h, ah))
                        return true;
        }
        return false;
}

/* The "host[:port]" of an Origin ("scheme://host[:port]"), or false for "null" and anything malformed. */
static bool origin_authority(const char *origin, const char **ret, size_t *ret_len) {
        const char *p = strstr(origin, "://"), *e;

        if (!p)
                return false;
        if (!((size_t) (p - origin) == 4 && strncasecmp(origin, "http", 4) == 0) &&
            !((size_t) (p - origin) == 5 && strncasecmp(origin, "https", 5) == 0))
                return false;
        p += 3;
        e = p + strcspn(p, "/?#");
        if (memchr(p, '@', (size_t) (e - p)))
                return false;   /* browsers never send userinfo in Origin */
        if (e == p)
                return false;
        *ret = p;
        *ret_len = (size_t) (e - p);
        return true;
}

static bool origin_is_own(const char *origin, const char *host) {
        const char *a;
        size_t l;

        if (!host || !origin_authority(origin, &a, &l))
                return false;
        return strlen(host) == l && strncasecmp(a, host, l) == 0;
}

static bool method_changes_state(const char *m) {
        /* Anything but the safe methods: POST, PATCH, PUT, DELETE, and methods we do not route. */
        return m && !streq(m, "GET") && !streq(m, "HEAD") && !streq(m, "OPTIONS");
}

static bool is_upgrade(const HttpRequest *req) {
        const char *u = http_request_header(req, "Upgrade");

        return u && strcasestr(u, "websocket");
}

const char *http_access_check(const HttpAccessPolicy *p, const HttpRequest *req) {
        const char *host = http_request_header(req, "Host"), *origin = http_request_header(req, "Origin");
        bool upgrade = is_upgrade(req);

        if (!p->unix_socket && !http_access_host_allowed(p, host))
                return "forbidden: the Host header names no address of this server (see --allowed-host)";
        if (!origin)
                return NULL;
        if (upgrade ? p->ws_allow_any_origin : !method_changes_state(req->method))
                return NULL;
        if (!origin_is_own(origin, host))
                return "forbidden: cross-origin request";
        return NULL;
}
