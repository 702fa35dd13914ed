#include <errno.h>
#include <stdarg.h>

#include "shared/buffer.h"

char *buffer_reserve(Buffer *b, size_t n) {
        size_t need;

        if (b->error)
                return NULL;
        if (n > SIZE_MAX - b->len - 1 || (b->max > 0 && b->len + n > b->max)) {
                b->error = -E2BIG;
                return NULL;
        }
        need = b->len + n + 1;
        if (need > b->allocated) {
                size_t a = MAX(need, MAX(b->allocated * 2, (size_t) 64));
                char *d;

                if (a < need)
                        a = need;
                d = realloc(b->data, a);
                if (!d) {
                        b->error = -ENOMEM;
                        return NULL;
                }
                b->data = d;
                b->allocated = a;
        }
        return b->data + b->len;
}

void buffer_advance(Buffer *b, size_t n) {
        b->len += n;
        b->data[b->len] = 0;
}

void buffer_truncate(Buffer *b, size_t len) {
        if (len >= b->len)
                return;
        b->len = len;
        b->data[len] = 0;
}

int buffer_append(Buffer *b, const void *p, size_t n) {
        char *d = buffer_reserve(b, n);

        if (!d)
                return b->error;
        if (n > 0)
                memcpy(d, p, n);
        buffer_advance(b, n);
        return 0;
}

int buffer_append_str(Buffer *b, const char *s) {
        return buffer_append(b, s, strlen(s));
}

int buffer_append_char(Buffer *b, char c) {
        return buffer_append(b, &c, 1);
}

int buffer_printf(Buffer *b, const char *fmt, ...) {
        va_list ap;
        char *d;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(NULL, 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
                if (!b->error)
                        b->error = -EINVAL;
                return b->error;
        }
        d = buffer_reserve(b, (size_t) n);
        if (!d)
                return b->error;
        va_start(ap, fmt);
        (void) vsnprintf(d, (size_t) n + 1, fmt, ap);
        va_end(ap);
        buffer_advance(b, (size_t) n);
        return 0;
}

char *buffer_steal(Buffer *b, size_t *ret_len) {
        char *d;

        if (!b->error && !b->data && buffer_reserve(b, 0))
                buffer_advance(b, 0);
        if (b->error) {
                buffer_done(b);
                return NULL;
        }
        d = TAKE_PTR(b->data);
        if (ret_len)
                *ret_len = b->len;
        buffer_done(b);
        return d;
}

void buffer_done(Buffer *b) {
        size_t max = b->max;

        free(b->data);
        *b = (Buffer) { .max = max };
}
