/* Basic macros: cleanup attributes, ownership transfer, array helpers.
 *
 * Re-expresses the systemd / c-stdaux idioms: a variable declared with _cleanup_(f) has f(&var) called when
 * it leaves scope; ownership moves out of such a variable only through TAKE_PTR()/TAKE_FD(). */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((__cleanup__(f)))
#define _unused_ __attribute__((__unused__))
#define _pure_ __attribute__((__pure__))
#define _const_ __attribute__((__const__))
#define _printf_(a, b) __attribute__((__format__(printf, a, b)))
#define _noreturn_ __attribute__((__noreturn__))
#define _likely_(x) (__builtin_expect(!!(x), 1))
#define _unlikely_(x) (__builtin_expect(!!(x), 0))
#define _public_ __attribute__((__visibility__("default")))
#define _sentinel_ __attribute__((__sentinel__))
#define _warn_unused_result_ __attribute__((__warn_unused_result__))
#define _fallthrough_ __attribute__((__fallthrough__))

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define CLAMP(x, lo, hi) ((x) < (lo) ? (lo) : (x) > (hi) ? (hi) : (x))
#define STRLEN(s) (sizeof("" s "") - 1)
#define DIV_ROUND_UP(x, y) (((x) + (y) - 1) / (y))

/* True when x equals one of the listed values: IN_SET(state, A, B, C) for x == A || x == B || x == C. The
 * values are converted to x's type, so it works for enums, integers and characters alike. */
#define IN_SET(x, ...)                                                                   \
        ({                                                                               \
                const typeof(x) _in_set_x_ = (x);                                        \
                const typeof(x) _in_set_v_[] = { __VA_ARGS__ };                          \
                bool _in_set_found_ = false;                                             \
                for (size_t _in_set_i_ = 0; _in_set_i_ < ELEMENTSOF(_in_set_v_); _in_set_i_++) \
                        if (_in_set_v_[_in_set_i_] == _in_set_x_) {                      \
                                _in_set_found_ = true;                                   \
                                break;                                                   \
                        }                                                                \
                _in_set_found_;                                                          \
        })

#define container_of(ptr, type, member) ((type *) ((char *) (ptr) - offsetof(type, member)))

/* Read a pointer and reset the variable, so the cleanup handler doesn't free what we hand out. */
#define TAKE_GENERIC(var, type, nullvalue)                       \
        ({                                                       \
                type *_pvar_ = &(var);                           \
                type _var_ = *_pvar_;                            \
                type _nullvalue_ = nullvalue;                    \
                *_pvar_ = _nullvalue_;                           \
                _var_;                                           \
        })
#define TAKE_PTR(ptr) TAKE_GENERIC(ptr, typeof(ptr), NULL)
#define TAKE_FD(fd) TAKE_GENERIC(fd, int, -EBADF)

/* Defines func##p(type *p), calling func(*p) when *p is not NULL. func may return anything. */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)                  \
        static inline void func##p(type *p) {                    \
                if (*p)                                          \
                        *p = func(*p);                           \
        }
/* Same, for destructors that return void. */
#define DEFINE_TRIVIAL_CLEANUP_FUNC_VOID(type, func)             \
        static inline void func##p(type *p) {                    \
                if (*p)                                          \
                        func(*p);                                \
        }

static inline void freep(void *p) {
        free(*(void **) p);
}
#define _cleanup_free_ _cleanup_(freep)

static inline int safe_close(int fd) {
        if (fd >= 0) {
                int saved = errno;
                (void) close(fd);
                errno = saved;
        }
        return -EBADF;
}
static inline void closep(int *fd) {
        *fd = safe_close(*fd);
}
#define _cleanup_close_ _cleanup_(closep)

static inline void fclosep(FILE **f) {
        if (*f)
                (void) fclose(*f);
}
#define _cleanup_fclose_ _cleanup_(fclosep)

/* Returns -errno, never 0, for use right after a failed libc call. */
static inline int negative_errno(void) {
        return errno > 0 ? -errno : -EIO;
}
#define RET_NERRNO(expr)                                         \
        ({                                                       \
                int _r_ = (expr);                                \
                _r_ < 0 ? negative_errno() : _r_;                \
        })

/* A synthetic error for log_*_errno(): the value to return, and errno for %m. */
#define SYNTHETIC_ERRNO(e) (e)

#define streq(a, b) (strcmp((a), (b)) == 0)
#define strneq(a, b, n) (strncmp((a), (b), (n)) == 0)
static inline bool streq_ptr(const char *a, const char *b) {
        if (!a || !b)
                return a == b;
        return streq(a, b);
}
static inline const char *strempty(const char *s) {
        return s ?: "";
}
static inline const char *strna(const char *s) {
        return s ?: "n/a";
}
static inline bool isempty(const char *s) {
        return !s || !s[0];
}
static inline const char *startswith(const char *s, const char *prefix) {
        size_t l = strlen(prefix);
        return strncmp(s, prefix, l) == 0 ? s + l : NULL;
}
static inline const char *endswith(const char *s, const char *suffix) {
        size_t sl = strlen(s), pl = strlen(suffix);
        return pl <= sl && memcmp(s + sl - pl, suffix, pl) == 0 ? s + sl - pl : NULL;
}

/* Frees the old value of *p and stores a copy of s (or NULL). */
static inline int free_and_strdup(char **p, const char *s) {
        char *t = NULL;
        if (s) {
                t = strdup(s);
                if (!t)
                        return -ENOMEM;
        }
        free(*p);
        *p = t;
        return 0;
}

#define mfree(p) ({ free(p); (typeof(p)) NULL; })

/* Grows *p (an array of *allocated elements of size sz) to hold at least need elements. */
static inline void *greedy_realloc(void **p, size_t *allocated, size_t need, size_t sz) {
        size_t n;
        void *q;
        if (need <= *allocated)
                return *p;
        n = MAX(need * 2, (size_t) 8);
        if (n > SIZE_MAX / sz)
                return NULL;
        q = realloc(*p, n * sz);
        if (!q)
                return NULL;
        *p = q;
        *allocated = n;
        return q;
}
#define GREEDY_REALLOC(array, allocated, need) \
        greedy_realloc((void **) &(array), &(allocated), (need), sizeof((array)[0]))

#define new0(t, n) ((t *) calloc((n) ?: 1, sizeof(t)))
#define new(t, n) ((t *) malloc(sizeof(t) * ((n) ?: 1)))
