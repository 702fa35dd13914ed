#include <errno.h>
#include <stdlib.h>

#include "shared/hex-util.h"
#include "shared/macro.h"
#include "shared/url-util.h"

int url_unescape(const char *s, size_t len, bool plus_is_space, char **ret) {
        _cleanup_free_ char *out = malloc(len + 1);
        size_t j = 0;

        if (!out)
                return -ENOMEM;
        for (size_t i = 0; i < len; i++) {
                if (s[i] == '%') {
                        int hi, lo;

                        if (i + 2 >= len)
                                return -EINVAL;
                        hi = unhexchar(s[i + 1]);
                        lo = unhexchar(s[i + 2]);
                        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                                return -EINVAL;
                        out[j++] = (char) (hi * 16 + lo);
                        i += 2;
                } else if (s[i] == '+' && plus_is_space)
                        out[j++] = ' ';
                else if (s[i] == '\0')
                        return -EINVAL;
                else
                        out[j++] = s[i];
        }
        out[j] = 0;
        *ret = TAKE_PTR(out);
        return 0;
}

int url_query_get(const char *query, const char *key, char **ret) {
        *ret = NULL;
        for (const char *p = query; p && *p;) {
                const char *e = strchrnul(p, '&'), *eq;
                size_t l = (size_t) (e - p), kl;
                _cleanup_free_ char *name = NULL;
                int r;

                eq = memchr(p, '=', l);
                kl = eq ? (size_t) (eq - p) : l;
                if (l > 0 && !memchr(p, ';', l)) {
                        r = url_unescape(p, kl, true, &name);
                        if (r == -ENOMEM)
                                return r;
                        if (r >= 0 && streq(name, key)) {
                                char *v = NULL;

                                if (!eq)
                                        v = strdup("");
                                else {
                                        r = url_unescape(eq + 1, l - kl - 1, true, &v);
                                        if (r < 0)
                                                return r;
                                }
                                if (!v)
                                        return -ENOMEM;
                                *ret = v;
                                return 1;
                        }
                }
                p = *e ? e + 1 : e;
        }
        return 0;
}
