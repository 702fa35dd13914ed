#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "shared/parse-util.h"

int parse_u64_len(const char *s, size_t n, uint64_t *ret) {
        uint64_t v = 0;

        if (!s || n == 0)
                return -EINVAL;
        for (size_t i = 0; i < n; i++) {
                unsigned d;

                if (s[i] < '0' || s[i] > '9')
                        return -EINVAL;
                d = (unsigned) (s[i] - '0');
                /* The first overflowing digit decides, whatever follows, as in Go's strconv. */
                if (v > (UINT64_MAX - d) / 10)
                        return -ERANGE;
                v = v * 10 + d;
        }
        *ret = v;
        return 0;
}

int parse_u64(const char *s, uint64_t *ret) {
        return parse_u64_len(s, s ? strlen(s) : 0, ret);
}

int parse_i64(const char *s, int64_t *ret) {
        bool neg = false;
        uint64_t u;
        int r;

        if (!s)
                return -EINVAL;
        if (*s == '+' || *s == '-')
                neg = *s++ == '-';
        r = parse_u64(s, &u);
        if (r < 0)
                return r;
        if (u > (uint64_t) INT64_MAX + neg)
                return -ERANGE;
        *ret = neg ? (int64_t) (0 - u) : (int64_t) u;
        return 0;
}

int parse_port(const char *s, uint16_t *ret) {
        char *end = NULL;
        long v;

        errno = 0;
        v = strtol(s, &end, 10);
        if (errno != 0 || !end || *end || end == s || v < 1 || v > 65535)
                return -EINVAL;
        *ret = (uint16_t) v;
        return 0;
}
