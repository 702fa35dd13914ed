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
