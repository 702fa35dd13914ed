/* Small helpers of the loader: errors, Go templates, Go durations, paths. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compose/compose-internal.h"
#include "shared/buffer.h"
#include "shared/strv.h"

int compose_error_set(ComposeError *e, int r, const char *file, unsigned line, unsigned column,
                      const char *format, ...) {
        va_list ap;
        char *m = NULL;

        if (!e || e->message)
                return r;
        va_start(ap, format);
        if (vasprintf(&m, format, ap) < 0)
                m = NULL;
        va_end(ap);
        if (!m)
                return r;
        e->message = m;
        e->file = file ? strdup(file) : NULL;
        e->line = line;
        e->column = column;
        return r;
}

void compose_error_done(ComposeError *e) {
        if (!e)
                return;
        free(e->file);
        free(e->message);
        *e = (ComposeError) {};
}

char *compose_error_format(const ComposeError *e) {
        char *s = NULL;
        int k;

        if (!e->file)
                return strdup(strempty(e->message));
        if (e->line > 0 && e->column > 0)
                k = asprintf(&s, "%s:%u:%u: %s", e->file, e->line, e->column, strempty(e->message));
        else if (e->line > 0)
                k = asprintf(&s, "%s:%u: %s", e->file, e->line, strempty(e->message));
        else
                k = asprintf(&s, "%s: %s", e->file, strempty(e->message));
        return k < 0 ? NULL : s;
}

/* ---- Go text/template subset ---- */

/* A rendered template (and each value in it) is capped. */
#define TBUF_INIT BUFFER_INIT_MAX(COMPOSE_STRING_MAX * 4)

static int template_error(char **ret_error, const char *fmt, ...) _printf_(2, 3);
static int template_error(char **ret_error, const char *fmt, ...) {
        va_list ap;
        if (ret_error && !*ret_error) {
                va_start(ap, fmt);
                if (vasprintf(ret_error, fmt, ap) < 0)
                        *ret_error = NULL;
                va_end(ap);
        }
        return -EINVAL;
}

/* Unquotes a Go interpreted string literal starting at *p (on the opening quote). */
static int go_unquote(const char **p, const char *end, Buffer *out) {
        const char *s = *p + 1;
        while (s < end && *s != '"') {
                char c = *s;
                if (c == '\n')
                        return -EINVAL;
                if (c == '\\') {
                        if (s + 1 >= end)
                                return -EINVAL;
                        s++;
                        switch (*s) {
                        case 'n': c = '\n'; break;
                        case 't': c = '\t'; break;
                        case 'r': c = '\r'; break;
                        case 'a': c = '\a'; break;
                        case 'b': c = '\b'; break;
                        case 'f': c = '\f'; break;
                        case 'v': c = '\v'; break;
                        case '\\': c = '\\'; break;
                        case '"': c = '"'; break;
                        case '\'': c = '\''; break;
                        default:
                                return -EINVAL;
                        }
                }
                if (buffer_append(out, &c, 1) < 0)
                        return -ENOMEM;
                s++;
        }
        if (s >= end)
                return -EINVAL;
        *p = s + 1;
        return 0;
}

/* One operand (.Name, "string", `raw`, a number, true or false) into val, *s moved past it. Returns 1, 0 when
 * *s is no operand, or -errno with *ret_error set. */
static int parse_operand(const char **sp, const ComposeKV *vars, size_t n_vars, Buffer *val, char **ret_error) {
        const char *s = *sp, *end = s + strlen(s);
        int have = 0, r;

        if (*s == '.') {
                const char *ns = ++s;
                while (isalnum((unsigned char) *s) || *s == '_' || (unsigned char) *s >= 0x80)
                        s++;
                if (s == ns) {
                        /* "{{ . }}": the whole map; process-compose never relies on it */
                        r = template_error(ret_error, "template: unsupported action '{{ . }}'");
                        return r;
                }
                {
                        const ComposeKV *kv = NULL;
                        for (size_t i = n_vars; i > 0; i--)
                                if (strlen(vars[i - 1].key) == (size_t) (s - ns) &&
                                    strneq(vars[i - 1].key, ns, s - ns)) {
                                        kv = &vars[i - 1];
                                        break;
                                }
                        r = buffer_append(val, kv ? kv->value : "<no value>",
                                          strlen(kv ? kv->value : "<no value>"));
                        if (r < 0)
                                return r;
                }
                have = 1;
        } else if (*s == '"') {
                if (go_unquote(&s, end, val) < 0) {
                        r = template_error(ret_error, "template: unterminated quoted string");
                        return r;
                }
                have = 1;
        } else if (*s == '`') {
                const char *q = strchr(s + 1, '`');
                if (!q) {
                        r = template_error(ret_error, "template: unterminated raw quoted string");
                        return r;
                }
                r = buffer_append(val, s + 1, q - s - 1);
                if (r < 0)
                        return r;
                s = q + 1;
                have = 1;
        } else if (isdigit((unsigned char) *s) || *s == '-') {
                const char *ns = s;
                if (*s == '-')
                        s++;
                while (isalnum((unsigned char) *s) || *s == '.' || *s == '_')
                        s++;
                r = buffer_append(val, ns, s - ns);
                if (r < 0)
                        return r;
                have = 1;
        } else if (strneq(s, "true", 4) || strneq(s, "false", 5)) {
                size_t l = s[0] == 't' ? 4 : 5;
                r = buffer_append(val, s, l);
                if (r < 0)
                        return r;
                s += l;
                have = 1;
        }
        *sp = s;
        return have;
}

/* A comment action, from its slash-star: *ret_next is set past the action and the space it trims. */
static int skip_comment(const char *a, const char **ret_next, char **ret_error) {
        const char *c = strstr(a + 2, "*/"), *close;
        bool trim_right;

        if (!c)
                return template_error(ret_error, "template: unclosed comment");
        close = c + 2;
        while (*close == ' ' || *close == '\t' || *close == '\n' || *close == '\r')
                close++;
        trim_right = close[0] == '-' && close[1] == '}' && close[2] == '}';
        if (trim_right)
                close++;
        if (!(close[0] == '}' && close[1] == '}'))
                return template_error(ret_error, "template: comment ends before closing delimiter");
        close += 2;
        if (trim_right)
                while (isspace((unsigned char) *close))
                        close++;
        *ret_next = close;
        return 0;
}

int template_render(const char *text, const ComposeKV *vars, size_t n_vars, char **ret, char **ret_error) {
        Buffer out = TBUF_INIT;
        const char *p = text;
        int r;

        for (;;) {
                const char *open = strstr(p, "{{"), *a, *e;
                bool trim_left, trim_right;

                if (!open) {
                        r = buffer_append(&out, p, strlen(p));
                        if (r < 0)
                                goto fail;
                        break;
                }
                a = open + 2;
                trim_left = a[0] == '-' && (a[1] == ' ' || a[1] == '\t' || a[1] == '\n' || a[1] == '\r');
                if (trim_left)
                        a++;

                /* text before the action, right-trimmed with "{{- " */
                e = open;
                if (trim_left)
                        while (e > p && isspace((unsigned char) e[-1]))
                                e--;
                r = buffer_append(&out, p, e - p);
                if (r < 0)
                        goto fail;

                /* comments: a slash-star ... star-slash action */
                while (*a == ' ' || *a == '\t' || *a == '\n' || *a == '\r')
                        a++;
                if (a[0] == '/' && a[1] == '*') {
                        r = skip_comment(a, &p, ret_error);
                        if (r < 0)
                                goto fail;
                        continue;
                }

                /* one operand: .Name, "string", `raw`, number, true/false */
                {
                        const char *s = a;
                        Buffer val = TBUF_INIT;
                        int have = parse_operand(&s, vars, n_vars, &val, ret_error);

                        if (have < 0) {
                                r = have;
                                goto fail_val;
                        }
                        while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
                                s++;
                        trim_right = s[0] == '-' && s[1] == '}' && s[2] == '}' && s > a &&
                                     (s[-1] == ' ' || s[-1] == '\t' || s[-1] == '\n' || s[-1] == '\r');
                        if (trim_right)
                                s++;
                        if (!have || !(s[0] == '}' && s[1] == '}')) {
                                const char *stop = strstr(a, "}}");
                                if (!stop && !*s)
                                        r = template_error(ret_error, "template: unclosed action");
                                else
                                        r = template_error(ret_error, "template: unsupported action '{{%.*s}}'",
                                                           stop ? (int) MIN(stop - open - 2, 64) : 64, open + 2);
                                goto fail_val;
                        }
                        r = buffer_append(&out, strempty(val.data), val.len);
                        buffer_done(&val);
                        if (r < 0)
                                goto fail;
                        p = s + 2;
                        if (trim_right)
                                while (isspace((unsigned char) *p))
                                        p++;
                        continue;
                fail_val:
                        buffer_done(&val);
                        goto fail;
                }
        }

        *ret = buffer_steal(&out, NULL);
        return *ret ? 0 : -ENOMEM;
fail:
        buffer_done(&out);
        return r;
}

/* ---- Go durations ---- */

int parse_go_duration(const char *s, int64_t *ret_nsec) {
        static const struct {
                const char *unit;
                double nsec;
        } units[] = {
                { "ns", 1 }, { "us", 1e3 }, { "µs", 1e3 }, { "μs", 1e3 }, { "ms", 1e6 },
                { "s", 1e9 }, { "m", 60e9 }, { "h", 3600e9 },
        };
        double total = 0;
        bool neg = false;

        if (!s || !*s)
                return -EINVAL;
        if (*s == '-' || *s == '+') {
                neg = *s == '-';
                s++;
        }
        if (streq(s, "0")) {
                *ret_nsec = 0;
                return 0;
        }
        if (!*s)
                return -EINVAL;
        while (*s) {
                char *end;
                double v;
                size_t best = 0, bi = 0;

                if (!isdigit((unsigned char) *s) && *s != '.')
                        return -EINVAL;
                v = strtod(s, &end);
                if (end == s)
                        return -EINVAL;
                s = end;
                for (size_t i = 0; i < ELEMENTSOF(units); i++) {
                        size_t l = strlen(units[i].unit);
                        if (strneq(s, units[i].unit, l) && l > best) {
                                best = l;
                                bi = i;
                        }
                }
                if (best == 0)
                        return -EINVAL;
                total += v * units[bi].nsec;
                s += best;
                if (total > 9.2e18)
                        return -ERANGE;
        }
        *ret_nsec = (int64_t) (neg ? -total : total);
        return 0;
}

/* ---- paths (Go's filepath.Dir; Clean and Join are in shared/path-util.c) ---- */

char *path_dirname(const char *p) {
        const char *s = strrchr(p, '/');
        _cleanup_free_ char *d = NULL;

        if (!s)
                return strdup(".");
        if (s == p)
                return strdup("/");
        d = strndup(p, s - p);
        return d ? path_clean(d) : NULL;
}

/* Merges "K=V" entries of src into dst by key (src wins) and sorts the result, as process-compose's
 * merge does. Unlike process-compose, a value containing '=' is kept (split at the first '='). */
int strv_env_merge_sorted(char ***dst, char * const *src) {
        int r;

        STRV_FOREACH(e, src) {
                r = strv_env_put(dst, *e);
                if (r < 0)
                        return r;
        }
        strv_sort(*dst);
        return 0;
}
