/* Common options of the client verbs: flags, environment, base URL, auth header, path escaping. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "client/client-options.h"
#include "shared/error-util.h"
#include "shared/strv.h"

void client_options_done(ClientOptions *o) {
        if (!o)
                return;
        o->address = mfree(o->address);
        o->socket_path = mfree(o->socket_path);
        o->token_file = mfree(o->token_file);
        if (o->token) {
                /* Don't leave the secret lying around in freed memory. */
                explicit_bzero(o->token, strlen(o->token));
                o->token = mfree(o->token);
        }
}

int client_parse_port(const char *s, uint16_t *ret) {
        unsigned long v = 0;

        if (isempty(s) || strlen(s) > 5)
                return -EINVAL;
        for (const char *p = s; *p; p++) {
                if (*p < '0' || *p > '9')
                        return -EINVAL;
                v = v * 10 + (unsigned long) (*p - '0');
        }
        if (v < 1 || v > 65535)
                return -ERANGE;
        *ret = (uint16_t) v;
        return 0;
}

static int set_address(ClientOptions *o, const char *value, char **ret_error) {
        size_t l = strlen(value);

        if (l == 0)
                return error_set(ret_error, -EINVAL, "invalid address: empty");
        if (l > 253)
                return error_set(ret_error, -EINVAL, "invalid address: longer than 253 characters");
        for (const char *p = value; *p; p++)
                if (!isalnum((unsigned char) *p) && !strchr(".-_:[]%", *p))
                        return error_set(ret_error, -EINVAL, "invalid address '%s': unexpected character '%c'",
                                         value, *p);
        /* Accept "[::1]" as well as "::1"; keep it bare and bracket it when building the URL. */
        if (value[0] == '[' && value[l - 1] == ']') {
                char *s = strndup(value + 1, l - 2);
                if (!s)
                        return -ENOMEM;
                free(o->address);
                o->address = s;
                return 0;
        }
        return free_and_strdup(&o->address, value);
}

static int set_socket_path(ClientOptions *o, const char *value, char **ret_error) {
        if (isempty(value))
                return error_set(ret_error, -EINVAL, "invalid unix socket path: empty");
        if (strlen(value) >= sizeof(((struct sockaddr_un *) NULL)->sun_path))
                return error_set(ret_error, -ENAMETOOLONG, "unix socket path too long (max %zu bytes): %s",
                                 sizeof(((struct sockaddr_un *) NULL)->sun_path) - 1, value);
        o->use_uds = true;
        return free_and_strdup(&o->socket_path, value);
}

int client_options_from_env(ClientOptions *o, char **ret_error) {
        const char *e;
        int r;

        e = getenv("PC_ADDRESS");
        if (!isempty(e)) {
                r = set_address(o, e, ret_error);
                if (r < 0)
                        return r;
        }

        e = getenv("PC_PORT_NUM");
        if (e) {
                r = client_parse_port(e, &o->port);
                if (r < 0)
                        return error_set(ret_error, -EINVAL, "Invalid port number: %s", e);
        }

        /* As in process-compose, a set PC_SOCKET_PATH selects the unix socket. */
        e = getenv("PC_SOCKET_PATH");
        if (!isempty(e)) {
                r = set_socket_path(o, e, ret_error);
                if (r < 0)
                        return r;
        }

        e = getenv("PC_API_TOKEN_PATH");
        if (!isempty(e)) {
                r = free_and_strdup(&o->token_file, e);
                if (r < 0)
                        return r;
        }
        return 0;
}

int client_options_parse(ClientOptions *o, int c, const char *arg, char **ret_error) {
        int r;

        switch (c) {
        case 'a':
                r = set_address(o, arg, ret_error);
                return r < 0 ? r : 1;
        case 'p':
                r = client_parse_port(arg, &o->port);
                if (r < 0)
                        return error_set(ret_error, -EINVAL, "invalid port '%s': expected 1..65535", arg);
                return 1;
        case 'u':
                r = set_socket_path(o, arg, ret_error);
                return r < 0 ? r : 1;
        case 'U':
                o->use_uds = true;
                return 1;
        case CLIENT_OPTION_TOKEN_FILE:
                if (isempty(arg))
                        return error_set(ret_error, -EINVAL, "--token-file needs a path");
                r = free_and_strdup(&o->token_file, arg);
                return r < 0 ? r : 1;
        default:
                return 0;
        }
}

static int read_token_file(const char *path, char **ret, char **ret_error) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *buf = NULL;
        size_t n = 0;
        ssize_t k;
        char *start, *end;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return error_set(ret_error, negative_errno(), "Failed to read token from file %s: %s", path,
                                 strerror(errno));
        buf = malloc(CLIENT_TOKEN_MAX + 1);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                k = read(fd, buf + n, CLIENT_TOKEN_MAX + 1 - n);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return error_set(ret_error, negative_errno(), "Failed to read token from file %s: %s",
                                         path, strerror(errno));
                }
                if (k == 0)
                        break;
                n += (size_t) k;
                if (n > CLIENT_TOKEN_MAX)
                        return error_set(ret_error, -EFBIG, "token file %s is larger than %d bytes", path,
                                         CLIENT_TOKEN_MAX);
        }
        buf[n] = 0;
        if (strlen(buf) != n)
                return error_set(ret_error, -EINVAL, "token file %s contains a NUL byte", path);

        start = buf;
        while (*start && isspace((unsigned char) *start))
                start++;
        end = start + strlen(start);
        while (end > start && isspace((unsigned char) end[-1]))
                end--;
        *end = 0;
        for (const char *p = start; *p; p++)
                if ((unsigned char) *p < 0x20 || *p == 0x7f)
                        return error_set(ret_error, -EINVAL,
                                         "token file %s contains a control character (tokens are one line)",
                                         path);

        if (!*start) {
                *ret = NULL;
                return 0;
        }
        *ret = strdup(start);
        explicit_bzero(buf, n);
        return *ret ? 0 : -ENOMEM;
}

const char *client_tmpdir(void) {
        const char *t = getenv("TMPDIR");
        return isempty(t) ? "/tmp" : t;
}

static bool socket_connectable(const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = -EBADF;

        if (strlen(path) >= sizeof(sa.sun_path))
                return false;
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return false;
        return connect(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0;
}

/* -U without a path: process-compose would use $TMPDIR/process-compose-<its own pid>.sock, which for a
 * client names a socket nobody listens on. pcctl instead looks for the controller's socket: the one
 * $TMPDIR/process-compose-<pid>.sock that accepts a connection. */
static int discover_socket(char **ret, char **ret_error) {
        _cleanup_strv_free_ char **live = NULL;
        const char *dir = client_tmpdir();
        DIR *d;
        struct dirent *de;
        size_t n = 0;
        int r = 0;

        d = opendir(dir);
        if (!d)
                return error_set(ret_error, negative_errno(), "-U: cannot list %s: %s", dir, strerror(errno));
        while ((de = readdir(d))) {
                const char *p = startswith(de->d_name, "process-compose-"), *q;
                _cleanup_free_ char *path = NULL;

                if (!p || !(q = endswith(p, ".sock")) || q == p)
                        continue;
                if (strspn(p, "0123456789") != (size_t) (q - p))
                        continue;
                if (++n > 1024)   /* bound the work on a crowded /tmp */
                        break;
                if (asprintf(&path, "%s/%s", dir, de->d_name) < 0) {
                        r = -ENOMEM;
                        break;
                }
                if (!socket_connectable(path))
                        continue;
                r = strv_consume(&live, TAKE_PTR(path));
                if (r < 0)
                        break;
        }
        closedir(d);
        if (r < 0)
                return r;

        if (strv_length(live) == 0)
                return error_set(ret_error, -ENOENT,
                                 "-U: no controller socket %s/process-compose-<pid>.sock accepts connections; "
                                 "pass its path with -u or PC_SOCKET_PATH", dir);
        if (strv_length(live) > 1) {
                _cleanup_free_ char *list = NULL;
                strv_sort(live);
                list = strv_join(live, ", ");
                return error_set(ret_error, -ENOTUNIQ, "-U: several controller sockets are live (%s); pick one with -u",
                                 strempty(list));
        }
        *ret = strdup(live[0]);
        return *ret ? 0 : -ENOMEM;
}

int client_options_finish(ClientOptions *o, char **ret_error) {
        const char *e;
        int r;

        e = getenv("PC_API_TOKEN");
        if (!isempty(e)) {
                if (strlen(e) > CLIENT_TOKEN_MAX)
                        return error_set(ret_error, -EINVAL, "PC_API_TOKEN is longer than %d bytes",
                                         CLIENT_TOKEN_MAX);
                for (const char *p = e; *p; p++)
                        if ((unsigned char) *p < 0x20 || *p == 0x7f)
                                return error_set(ret_error, -EINVAL, "PC_API_TOKEN contains a control character");
                r = free_and_strdup(&o->token, e);
                if (r < 0)
                        return r;
        } else if (o->token_file) {
                char *t = NULL;
                r = read_token_file(o->token_file, &t, ret_error);
                if (r < 0)
                        return r;
                free(o->token);
                o->token = t;
        }

        if (o->use_uds && !o->socket_path) {
                r = discover_socket(&o->socket_path, ret_error);
                if (r < 0)
                        return r;
        }
        return 0;
}

int client_options_base_url(const ClientOptions *o, char **ret) {
        const char *a = o->address ?: CLIENT_DEFAULT_ADDRESS;
        char *s;
        int r;

        if (o->use_uds)
                s = strdup("http://unix");
        else {
                bool v6 = strchr(a, ':');
                r = asprintf(&s, "http://%s%s%s:%u", v6 ? "[" : "", a, v6 ? "]" : "", (unsigned) o->port);
                if (r < 0)
                        s = NULL;
        }
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

int client_options_auth_header(const ClientOptions *o, char **ret) {
        char *s;

        if (isempty(o->token)) {
                *ret = NULL;
                return 0;
        }
        if (asprintf(&s, "X-PC-Token-Key: %s", o->token) < 0)
                return -ENOMEM;
        *ret = s;
        return 0;
}

int client_options_describe(const ClientOptions *o, char **ret) {
        const char *a = o->address ?: CLIENT_DEFAULT_ADDRESS;
        char *s;
        int r;

        if (o->use_uds)
                r = asprintf(&s, "unix socket %s", strna(o->socket_path));
        else
                r = asprintf(&s, strchr(a, ':') ? "[%s]:%u" : "%s:%u", a, (unsigned) o->port);
        if (r < 0)
                return -ENOMEM;
        *ret = s;
        return 0;
}

static bool is_unreserved(unsigned char c) {
        /* RFC 3986 unreserved, spelled out so the locale can't widen it. */
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                IN_SET(c, '-', '.', '_', '~');
}

int client_escape_segment(const char *s, char **ret) {
        static const char hex[] = "0123456789ABCDEF";
        size_t l = strlen(s);
        char *out, *p;

        if (l > (SIZE_MAX - 1) / 3)
                return -ENOMEM;
        out = p = malloc(l * 3 + 1);
        if (!out)
                return -ENOMEM;
        for (const unsigned char *c = (const unsigned char *) s; *c; c++) {
                if (is_unreserved(*c))
                        *p++ = (char) *c;
                else {
                        *p++ = '%';
                        *p++ = hex[*c >> 4];
                        *p++ = hex[*c & 15];
                }
        }
        *p = 0;
        *ret = out;
        return 0;
}
