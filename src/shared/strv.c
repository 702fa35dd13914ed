#include <stdlib.h>
#include <string.h>

#include "shared/strv.h"

char **strv_free(char **l) {
        if (!l)
                return NULL;
        for (char **k = l; *k; k++)
                free(*k);
        free(l);
        return NULL;
}

size_t strv_length(char * const *l) {
        size_t n = 0;

        if (!l)
                return 0;
        while (l[n])
                n++;
        return n;
}

char **strv_copy(char * const *l) {
        size_t n = strv_length(l);
        char **c = new0(char *, n + 1);

        if (!c)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                c[i] = strdup(l[i]);
                if (!c[i])
                        return strv_free(c);
        }
        return c;
}

bool strv_contains(char * const *l, const char *s) {
        STRV_FOREACH(k, l)
                if (streq(*k, s))
                        return true;
        return false;
}

int strv_consume(char ***l, char *s) {
        size_t n = strv_length(*l);
        char **c;

        if (!s)
                return -ENOMEM;
        c = realloc(*l, sizeof(char *) * (n + 2));
        if (!c) {
                free(s);
                return -ENOMEM;
        }
        c[n] = s;
        c[n + 1] = NULL;
        *l = c;
        return 0;
}

int strv_extend(char ***l, const char *s) {
        return strv_consume(l, strdup(s));
}

char **strv_split(const char *s, const char *separators, bool keep_empty) {
        char **l = new0(char *, 1);

        if (!l)
                return NULL;
        for (const char *p = s;;) {
                size_t n = strcspn(p, separators);

                if (n > 0 || keep_empty)
                        if (strv_consume(&l, strndup(p, n)) < 0)
                                return strv_free(l);
                if (!p[n])
                        break;
                p += n + 1;
        }
        return l;
}

char *strv_join(char * const *l, const char *separator) {
        size_t n = 0, sl = strlen(separator);
        char *r, *p;

        STRV_FOREACH(k, l)
                n += strlen(*k) + sl;
        r = malloc(n + 1);
        if (!r)
                return NULL;
        p = r;
        STRV_FOREACH(k, l) {
                if (k != l) {
                        memcpy(p, separator, sl);
                        p += sl;
                }
                p = stpcpy(p, *k);
        }
        *p = 0;
        return r;
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char * const *) a, *(char * const *) b);
}

void strv_sort(char **l) {
        size_t n = strv_length(l);

        if (n > 1)
                qsort(l, n, sizeof(char *), cmp_str);
}

const char *strv_env_get(char * const *l, const char *key) {
        size_t kl = strlen(key);

        STRV_FOREACH(k, l)
                if (strncmp(*k, key, kl) == 0 && (*k)[kl] == '=')
                        return *k + kl + 1;
        return NULL;
}

int strv_env_put(char ***l, const char *assignment) {
        const char *eq = strchr(assignment, '=');
        size_t kl = eq ? (size_t) (eq - assignment) : strlen(assignment);
        char *c = strdup(assignment);

        if (!c)
                return -ENOMEM;
        for (char **k = *l; k && *k; k++)
                if (strncmp(*k, assignment, kl) == 0 && ((*k)[kl] == '=' || (*k)[kl] == 0)) {
                        free(*k);
                        *k = c;
                        return 0;
                }
        return strv_consume(l, c);
}

int strv_env_set(char ***l, const char *key, const char *value) {
        _cleanup_free_ char *a = NULL;

        if (asprintf(&a, "%s=%s", key, value) < 0)
                return -ENOMEM;
        return strv_env_put(l, a);
}
