/* Lexical path operations: see path-util.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared/macro.h"
#include "shared/path-util.h"

char *path_clean(const char *p) {
        bool abs = p[0] == '/';
        size_t n = strlen(p);
        char *out = malloc(n + 2), *o = out;
        const char **parts;
        size_t np = 0;
        _cleanup_free_ char *copy = strdup(p);

        parts = new(const char *, n / 2 + 2);
        if (!out || !parts || !copy) {
                free(out);
                free(parts);
                return NULL;
        }
        for (char *tok, *save = NULL, *s = copy; (tok = strtok_r(s, "/", &save)); s = NULL) {
                if (streq(tok, "."))
                        continue;
                if (streq(tok, "..")) {
                        if (np > 0 && !streq(parts[np - 1], ".."))
                                np--;
                        else if (!abs)
                                parts[np++] = tok;
                        continue;
                }
                parts[np++] = tok;
        }
        if (abs)
                *o++ = '/';
        for (size_t i = 0; i < np; i++) {
                if (i > 0)
                        *o++ = '/';
                o = stpcpy(o, parts[i]);
        }
        if (o == out)
                *o++ = '.';
        *o = 0;
        free(parts);
        return out;
}

char *path_join_clean(const char *a, const char *b) {
        _cleanup_free_ char *j = NULL;

        if (isempty(a))
                return path_clean(strempty(b));
        if (isempty(b))
                return path_clean(a);
        if (asprintf(&j, "%s/%s", a, b) < 0)
                return NULL;
        return path_clean(j);
}

int path_resolve(const char *base, const char *path, char **ret) {
        _cleanup_free_ char *abs_base = NULL;
        char *s;

        if (!isempty(path) && path[0] == '/')
                s = path_clean(path);
        else {
                if (isempty(base))
                        base = "/";
                else if (base[0] != '/') {
                        /* "/" + base, so that ".." cannot climb above the root of a relative base */
                        abs_base = path_join_clean("/", base);
                        if (!abs_base)
                                return -ENOMEM;
                        base = abs_base;
                }
                s = path_join_clean(base, path);
        }
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}
