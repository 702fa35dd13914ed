/* ${VAR} substitution with drone/envsubst v1.0.3's grammar and functions (the version process-compose
 * links), and the godotenv file format.
 *
 * Grammar notes, all from drone/envsubst v1.0.3 and kept on purpose so that files behave the same:
 *  - only "${...}" is substituted; "$VAR" without braces is text (it reaches the shell, which expands it
 *    from the process environment at run time);
 *  - in text, "$$" is "$", "\\" is "\" and "\/" is "/" (process-compose hides "$$" from it beforehand);
 *  - ${VAR-x}, ${VAR+x}, ${VAR?x} are syntax errors ("missing closing brace"); ${VAR:+x} and ${VAR:?x}
 *    behave like ${VAR:-x};
 *  - unset and empty are the same thing (undefined variables expand to "").
 * Upper/lower casing is ASCII-only. */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compose/compose-internal.h"
#include "shared/buffer.h"
#include "shared/strv.h"

#define ENVSUBST_NESTING_MAX 32

/* Every intermediate text is capped at the file size limit. */
#define BUF_INIT BUFFER_INIT_MAX(COMPOSE_FILE_SIZE_MAX)

typedef struct Parser {
        const char *s;
        size_t n;
        size_t pos;
        EnvLookupFunc lookup;
        void *userdata;
        unsigned nesting;
        const char *error;
        size_t error_offset;
} Parser;

static int peek(const Parser *p) {
        return p->pos < p->n ? (unsigned char) p->s[p->pos] : -1;
}

static int fail(Parser *p, const char *msg, size_t at) {
        if (!p->error) {
                p->error = msg;
                p->error_offset = at;
        }
        return -EINVAL;
}

static bool is_ident_char(int c) {
        /* Go's unicode.IsLetter/IsDigit also accept non-ASCII letters; any byte ≥ 0x80 is treated as part of
         * a UTF-8 letter here, which matches for letters and is harmless otherwise. */
        return c >= 0 && (isalnum(c) || c == '_' || c >= 0x80);
}

static int parse_func(Parser *p, Buffer *out, size_t start);

/* A function argument: either a nested ${...} or a run of characters accepted by `accept`, stopping before
 * "${". With `escapes`, "$$", "\\" and "\/" are unescaped. Returns -EINVAL when nothing could be read. */
static int parse_param(Parser *p, Buffer *out, bool (*accept)(int c), bool escapes) {
        size_t begin = p->pos;

        if (p->pos + 1 < p->n && p->s[p->pos] == '$' && p->s[p->pos + 1] == '{') {
                p->pos += 2;
                return parse_func(p, out, begin);
        }

        for (bool first = true;; first = false) {
                int c = peek(p);

                if (c < 0)
                        break;
                if (c == '$' && p->pos + 1 < p->n && p->s[p->pos + 1] == '{')
                        break;
                if (escapes) {
                        int d = p->pos + 1 < p->n ? (unsigned char) p->s[p->pos + 1] : -1;
                        if ((c == '$' && d == '$') || (c == '\\' && (d == '/' || d == '\\'))) {
                                int r = buffer_append(out, &p->s[p->pos + 1], 1);
                                if (r < 0)
                                        return r;
                                p->pos += 2;
                                continue;
                        }
                }
                if (!accept(c)) {
                        if (first)
                                return fail(p, "unable to parse substitution within function", begin);
                        break;
                }
                {
                        int r = buffer_append(out, &p->s[p->pos], 1);
                        if (r < 0)
                                return r;
                }
                p->pos++;
        }
        if (p->pos == begin)
                return fail(p, "unable to parse substitution within function", begin);
        return 0;
}

static bool accept_not_closing(int c) {
        return c != '}';
}
static bool accept_not_slash(int c) {
        return c != '/';
}
static bool reject_colon_close(int c) {
        return c != ':' && c != '}';
}

static int consume_rbrack(Parser *p, size_t start) {
        if (peek(p) != '}')
                return fail(p, "bad substitution", start);
        p->pos++;
        return 0;
}

static char *upper_lower(const char *s, bool upper, bool first_only) {
        char *r = strdup(s);
        if (!r)
                return NULL;
        for (char *c = r; *c; c++) {
                *c = upper ? toupper((unsigned char) *c) : tolower((unsigned char) *c);
                if (first_only)
                        break;
        }
        return r;
}

static char *strrev_dup(const char *s) {
        size_t n = strlen(s);
        char *r = malloc(n + 1);
        if (!r)
                return NULL;
        for (size_t i = 0; i < n; i++)
                r[i] = s[n - 1 - i];
        r[n] = 0;
        return r;
}

/* drone's trimShortest/trimLongest: try prefixes from the longest to the shortest (never empty). */
static char *trim_prefix(const char *s, const char *pattern, bool longest) {
        size_t n = strlen(s), match = 0;
        _cleanup_free_ char *cand = malloc(n + 1);

        if (!cand)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                size_t l = n - i;
                memcpy(cand, s, l);
                cand[l] = 0;
                if (fnmatch(pattern, cand, 0) == 0) {
                        match = l;
                        if (longest)
                                break;
                }
        }
        return strdup(s + match);
}

static char *trim_suffix(const char *s, const char *pattern, bool longest) {
        _cleanup_free_ char *rs = strrev_dup(s), *rp = strrev_dup(pattern), *t = NULL;

        if (!rs || !rp)
                return NULL;
        t = trim_prefix(rs, rp, longest);
        return t ? strrev_dup(t) : NULL;
}

static char *replace(const char *s, const char *pat, const char *rep, bool all) {
        Buffer b = BUF_INIT;
        size_t pl = strlen(pat);
        const char *p = s;

        if (pl == 0)
                return strdup(s);
        for (;;) {
                const char *f = strstr(p, pat);
                if (!f)
                        break;
                if (buffer_append(&b, p, f - p) < 0 || buffer_append_str(&b, rep) < 0)
                        goto fail;
                p = f + pl;
                if (!all)
                        break;
        }
        if (buffer_append_str(&b, p) < 0)
                goto fail;
        return buffer_steal(&b, NULL);
fail:
        buffer_done(&b);
        return NULL;
}

static bool go_atoi(const char *s, long *ret) {
        char *end;
        long v;

        if (!*s || isspace((unsigned char) *s))
                return false;
        errno = 0;
        v = strtol(s, &end, 10);
        if (errno != 0 || *end)
                return false;
        *ret = v;
        return true;
}

static char *substr(const char *s, const char *a0, const char *a1) {
        long pos, length, n = (long) strlen(s);

        if (!go_atoi(a0, &pos))
                return strdup(s);
        if (pos < 0) {
                pos += n;
                if (pos < 0)
                        pos = 0;
        }
        if (!a1)
                return strdup(pos < n ? s + pos : "");
        if (!go_atoi(a1, &length))
                return strdup(s);
        if (pos + length >= n)
                return strdup(pos < n ? s + pos : "");
        if (length < 0)
                /* Go would panic on s[pos:pos+length] with length < 0; treat as empty. */
                return strdup("");
        return strndup(s + pos, length);
}

/* Applies function `name` to value v with args (drone's lookupFunc). */
static char *apply(const char *name, const char *v, char **args, size_t n_args) {
        if (streq(name, ""))
                return strdup(v);
        if (streq(name, ","))
                return upper_lower(v, false, true);
        if (streq(name, ",,"))
                return upper_lower(v, false, false);
        if (streq(name, "^"))
                return upper_lower(v, true, true);
        if (streq(name, "^^"))
                return upper_lower(v, true, false);
        if (streq(name, "#") && n_args == 0) {
                char *r;
                return asprintf(&r, "%zu", strlen(v)) < 0 ? NULL : r;
        }
        if (streq(name, "#") || streq(name, "##"))
                return n_args ? trim_prefix(v, args[0], streq(name, "##")) : strdup(v);
        if (streq(name, "%") || streq(name, "%%"))
                return n_args ? trim_suffix(v, args[0], streq(name, "%%")) : strdup(v);
        if (streq(name, ":"))
                return n_args ? substr(v, args[0], n_args > 1 ? args[1] : NULL) : strdup(v);
        if (streq(name, "/#") || streq(name, "/%")) {
                size_t vl = strlen(v), pl;
                char *r;
                if (n_args != 2)
                        return strdup(v);
                pl = strlen(args[0]);
                if (streq(name, "/#") && strneq(v, args[0], pl))
                        return asprintf(&r, "%s%s", args[1], v + pl) < 0 ? NULL : r;
                if (streq(name, "/%") && pl <= vl && streq(v + vl - pl, args[0]))
                        return asprintf(&r, "%.*s%s", (int) (vl - pl), v, args[1]) < 0 ? NULL : r;
                return strdup(v);
        }
        if (streq(name, "/") || streq(name, "//")) {
                if (n_args == 0)
                        return strdup(v);
                return replace(v, args[0], n_args > 1 ? args[1] : "", streq(name, "//"));
        }
        /* "=", ":=", ":-", ":?", ":+" and anything else: default when empty, args joined */
        if (!*v && n_args > 0) {
                _cleanup_free_ char *j = strv_join(args, "");
                return j ? TAKE_PTR(j) : NULL;
        }
        return strdup(v);
}

/* Called after "${" has been consumed; start is the offset of the "$". */
/* Parses one argument of a function and appends it to *args. */
static int parse_arg(Parser *p, char ***args, bool (*accept)(int c), bool escapes) {
        Buffer a = BUF_INIT;
        int r = parse_param(p, &a, accept, escapes);

        if (r < 0) {
                buffer_done(&a);
                return r;
        }
        return strv_consume(args, buffer_steal(&a, NULL));
}

/* ${VAR:offset[:length]}, after the ':' */
static int parse_substring_args(Parser *p, char ***args, size_t start) {
        int r;

        for (int i = 0; i < 2; i++) {
                r = parse_arg(p, args, i == 0 ? reject_colon_close : accept_not_closing, false);
                if (r < 0)
                        return r;
                if (i == 0) {
                        if (peek(p) == '}') {
                                p->pos++;
                                return 0;
                        }
                        if (peek(p) != ':')
                                return fail(p, "bad substitution", start);
                        while (peek(p) == ':')
                                p->pos++;
                }
        }
        return consume_rbrack(p, start);
}

/* ${VAR=default}, ${VAR:-default}, ...: arguments up to the closing brace */
static int parse_default_args(Parser *p, char ***args) {
        int r;

        for (;;) {
                if (peek(p) == '}') {
                        p->pos++;
                        return 0;
                }
                r = parse_arg(p, args, accept_not_closing, false);
                if (r < 0)
                        return r;
        }
}

/* ${VAR/pattern/replacement}, after the operator */
static int parse_replace_args(Parser *p, char ***args, size_t start) {
        int r = parse_arg(p, args, accept_not_slash, true);

        if (r < 0)
                return r;
        if (peek(p) != '/')
                return fail(p, "bad substitution", start);
        while (peek(p) == '/')
                p->pos++;
        if (peek(p) != '}') {
                r = parse_arg(p, args, accept_not_closing, true);
                if (r < 0)
                        return r;
        }
        return consume_rbrack(p, start);
}

/* The operator after the variable name, and its arguments, up to and including the closing brace. */
static int parse_operator(Parser *p, char **ret_fname, char ***args, size_t start) {
        size_t b = p->pos;
        int c = peek(p), c2 = p->pos + 1 < p->n ? (unsigned char) p->s[p->pos + 1] : -1;

        switch (c) {
        case ':':
                if (c2 == '=' || c2 == '-' || c2 == '?' || c2 == '+') {
                        p->pos += 2;
                        *ret_fname = strndup(p->s + b, 2);
                        return *ret_fname ? parse_default_args(p, args) : -ENOMEM;
                }
                p->pos++;
                *ret_fname = strdup(":");
                return *ret_fname ? parse_substring_args(p, args, start) : -ENOMEM;
        case '=':
                p->pos++;
                *ret_fname = strdup("=");
                return *ret_fname ? parse_default_args(p, args) : -ENOMEM;
        case ',':
        case '^':
                while (p->pos - b < 2 && (peek(p) == ',' || peek(p) == '^'))
                        p->pos++;
                *ret_fname = strndup(p->s + b, p->pos - b);
                return *ret_fname ? consume_rbrack(p, start) : -ENOMEM;
        case '/':
                p->pos++;
                if (c2 == '/' || c2 == '#' || c2 == '%')
                        p->pos++;
                *ret_fname = strndup(p->s + b, p->pos - b);
                return *ret_fname ? parse_replace_args(p, args, start) : -ENOMEM;
        case '#':
        case '%': {
                int r;
                while (p->pos - b < 2 && peek(p) == c)
                        p->pos++;
                *ret_fname = strndup(p->s + b, p->pos - b);
                if (!*ret_fname)
                        return -ENOMEM;
                r = parse_arg(p, args, accept_not_closing, false);
                return r < 0 ? r : consume_rbrack(p, start);
        }
        default:
                if (c != '}')
                        return fail(p, "missing closing brace", start);
                p->pos++;
                *ret_fname = strdup("");
                return *ret_fname ? 0 : -ENOMEM;
        }
}

static int parse_func(Parser *p, Buffer *out, size_t start) {
        _cleanup_free_ char *name = NULL, *fname = NULL, *result = NULL;
        _cleanup_strv_free_ char **args = NULL;
        const char *value;
        bool length = false;
        size_t b;
        int r;

        if (++p->nesting > ENVSUBST_NESTING_MAX)
                return fail(p, "substitutions are nested too deeply", start);

        if (peek(p) == '#') {
                /* ${#VAR} */
                p->pos++;
                length = true;
        }
        b = p->pos;
        while (is_ident_char(peek(p)))
                p->pos++;
        if (p->pos == b)
                return fail(p, length ? "bad substitution" : "unable to parse variable name", start);
        name = strndup(p->s + b, p->pos - b);
        if (!name)
                return -ENOMEM;
        if (length) {
                fname = strdup("#");
                r = fname ? consume_rbrack(p, start) : -ENOMEM;
        } else
                r = parse_operator(p, &fname, &args, start);
        if (r < 0)
                return r;

        value = p->lookup(name, p->userdata);
        result = apply(fname, strempty(value), args, strv_length(args));
        if (!result)
                return -ENOMEM;
        p->nesting--;
        return buffer_append_str(out, result);
}

int envsubst_expand(const char *text, size_t size, EnvLookupFunc lookup, void *userdata, char **ret,
                    size_t *ret_size, size_t *ret_error_offset, const char **ret_error_message) {
        Parser p = { .s = text, .n = size, .lookup = lookup, .userdata = userdata };
        Buffer out = BUF_INIT;
        int r = 0;

        /* the output is usually about as long as the input: one allocation instead of a doubling series */
        if (!buffer_reserve(&out, MIN(size, (size_t) COMPOSE_FILE_SIZE_MAX)))
                return -ENOMEM;
        buffer_advance(&out, 0);

        while (p.pos < p.n) {
                size_t run = p.pos;

                /* copy plain text up to the next special character in one go */
                while (p.pos < p.n && p.s[p.pos] != '$' && p.s[p.pos] != '\\')
                        p.pos++;
                if (p.pos > run) {
                        r = buffer_append(&out, p.s + run, p.pos - run);
                        if (r < 0)
                                goto finish;
                }
                if (p.pos >= p.n)
                        break;

                char c = p.s[p.pos], d = p.pos + 1 < p.n ? p.s[p.pos + 1] : 0;
                if (c == '$' && d == '{') {
                        size_t start = p.pos;
                        p.pos += 2;
                        p.nesting = 0;
                        r = parse_func(&p, &out, start);
                        if (r == -EINVAL)
                                /* report the substitution that failed, not where inside it */
                                p.error_offset = start;
                        if (r < 0)
                                goto finish;
                } else if ((c == '$' && d == '$') || (c == '\\' && (d == '\\' || d == '/'))) {
                        r = buffer_append(&out, &d, 1);
                        if (r < 0)
                                goto finish;
                        p.pos += 2;
                } else {
                        r = buffer_append(&out, &c, 1);
                        if (r < 0)
                                goto finish;
                        p.pos++;
                }
        }

finish:
        if (r < 0) {
                buffer_done(&out);
                if (r == -EINVAL) {
                        if (ret_error_offset)
                                *ret_error_offset = p.error_offset;
                        if (ret_error_message)
                                *ret_error_message = p.error;
                } else if (r == -E2BIG) {
                        if (ret_error_offset)
                                *ret_error_offset = p.pos;
                        if (ret_error_message)
                                *ret_error_message = "substituted text exceeds the file size limit";
                }
                return r;
        }
        *ret = buffer_steal(&out, ret_size);
        return *ret ? 0 : -ENOMEM;
}

/* ---- dotenv (godotenv v1.5 format) ---- */

static const char *env_lookup_list(char * const *env, const char *name) {
        return strv_env_get(env, name);
}

/* godotenv's expandVariables: $VAR, ${VAR}, \$ escapes; values from the vars read so far, else the OS
 * environment. */
static int dotenv_expand(const char *v, char * const *env, char **ret) {
        Buffer b = BUF_INIT;
        int r;

        for (const char *p = v; *p;) {
                if (p[0] == '\\' && p[1] == '$') {
                        r = buffer_append(&b, "$", 1);
                        p += 2;
                } else if (p[0] == '$') {
                        const char *q = p + 1, *name_start;
                        bool brace = false;
                        if (*q == '{') {
                                brace = true;
                                q++;
                        }
                        name_start = q;
                        while (isupper((unsigned char) *q) || isdigit((unsigned char) *q) || *q == '_')
                                q++;
                        if (q == name_start) {
                                r = buffer_append(&b, p, 1);
                                p++;
                        } else {
                                _cleanup_free_ char *name = strndup(name_start, q - name_start);
                                const char *val;
                                if (!name)
                                        return -ENOMEM;
                                if (brace && *q == '}')
                                        q++;
                                val = env_lookup_list(env, name) ?: getenv(name);
                                r = buffer_append_str(&b, strempty(val));
                                p = q;
                        }
                } else {
                        r = buffer_append(&b, p, 1);
                        p++;
                }
                if (r < 0) {
                        buffer_done(&b);
                        return r;
                }
        }
        *ret = buffer_steal(&b, NULL);
        return *ret ? 0 : -ENOMEM;
}

/* A quoted value from its opening quote; *pp is moved past the closing one (-EINVAL when there is none).
 * Double quotes know escapes and ${VAR} expansion, single quotes nothing. */
static int dotenv_quoted(const char **pp, const char *end, unsigned *line, char * const *env, char **ret) {
        const char *p = *pp;
        char q = *p++;
        Buffer b = BUF_INIT;
        bool closed = false;
        int r = 0;

        while (p < end) {
                if (*p == '\\' && q == '"' && p + 1 < end) {
                        char o;
                        switch (p[1]) {
                        case 'n': o = '\n'; break;
                        case 'r': o = '\r'; break;
                        case 't': o = '\t'; break;
                        case '"': o = '"'; break;
                        case '\\': o = '\\'; break;
                        default: o = 0;
                        }
                        if (p[1] == '$')
                                /* keep the escape for dotenv_expand */
                                r = buffer_append(&b, "\\$", 2);
                        else
                                r = o ? buffer_append(&b, &o, 1) : buffer_append(&b, p, 2);
                        p += 2;
                } else if (*p == q) {
                        p++;
                        closed = true;
                        break;
                } else {
                        if (*p == '\n')
                                (*line)++;
                        r = buffer_append(&b, p, 1);
                        p++;
                }
                if (r < 0) {
                        buffer_done(&b);
                        return r;
                }
        }
        *pp = p;
        if (!closed) {
                buffer_done(&b);
                return -EINVAL;
        }
        if (q == '"') {
                r = dotenv_expand(strempty(b.data), env, ret);
                buffer_done(&b);
                return r;
        }
        *ret = buffer_steal(&b, NULL);
        return *ret ? 0 : -ENOMEM;
}

/* An unquoted value up to the end of the line or an inline comment (" #"); *pp is moved to the end of line. */
static int dotenv_unquoted(const char **pp, const char *end, char * const *env, char **ret) {
        const char *vs = *pp, *eol, *ve;
        _cleanup_free_ char *raw = NULL;

        eol = vs < end ? (memchr(vs, '\n', (size_t) (end - vs)) ?: end) : end;
        ve = eol;
        for (const char *c = vs; c < eol; c++)
                if (*c == '#' && c > vs && (c[-1] == ' ' || c[-1] == '\t')) {
                        ve = c;
                        break;
                }
        while (ve > vs && (ve[-1] == ' ' || ve[-1] == '\t' || ve[-1] == '\r'))
                ve--;
        raw = strndup(vs, ve - vs);
        if (!raw)
                return -ENOMEM;
        *pp = eol;
        return dotenv_expand(raw, env, ret);
}

/* "[export ]KEY=" or "KEY:"; *pp is moved past the separator and the blanks after it. */
static int dotenv_key(const char **pp, const char *end, char **ret) {
        const char *p = *pp, *ks, *ke;

        if (end - p > 7 && strneq(p, "export", 6) && (p[6] == ' ' || p[6] == '\t')) {
                p += 6;
                while (p < end && (*p == ' ' || *p == '\t'))
                        p++;
        }
        ks = p;
        while (p < end && *p != '=' && *p != ':' && *p != '\n' && *p != '#')
                p++;
        if (p >= end || (*p != '=' && *p != ':'))
                return -EINVAL;
        ke = p;
        while (ke > ks && (ke[-1] == ' ' || ke[-1] == '\t'))
                ke--;
        /* a NUL would cut the key short, down to an empty name */
        if (ke == ks || memchr(ks, 0, ke - ks))
                return -EINVAL;
        *ret = strndup(ks, ke - ks);
        if (!*ret)
                return -ENOMEM;
        p++; /* '=' or ':' */
        while (p < end && (*p == ' ' || *p == '\t'))
                p++;
        *pp = p;
        return 0;
}

int dotenv_parse(const char *text, size_t size, char ***env, unsigned *ret_line) {
        const char *p = text, *end = text + size;
        unsigned line = 1;
        int r;

        while (p < end) {
                _cleanup_free_ char *key = NULL, *value = NULL;
                unsigned start_line;

                /* skip blank space and comments */
                while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) {
                        if (*p == '\n')
                                line++;
                        p++;
                }
                if (p >= end)
                        break;
                if (*p == '#') {
                        while (p < end && *p != '\n')
                                p++;
                        continue;
                }
                start_line = line;
                r = dotenv_key(&p, end, &key);
                if (r >= 0 && p < end && (*p == '\'' || *p == '"')) {
                        r = dotenv_quoted(&p, end, &line, *env, &value);
                        /* rest of the line: only a comment may follow */
                        while (r >= 0 && p < end && *p != '\n')
                                p++;
                } else if (r >= 0)
                        r = dotenv_unquoted(&p, end, *env, &value);
                if (r == -EINVAL && ret_line)
                        *ret_line = start_line;
                if (r < 0)
                        return r;
                if (!value)
                        return -ENOMEM;
                r = strv_env_set(env, key, value);
                if (r < 0)
                        return r;
        }
        return 0;
}

int dotenv_read_file(const char *path, char ***env, unsigned *ret_line) {
        _cleanup_fclose_ FILE *f = NULL;
        _cleanup_free_ char *buf = NULL;
        size_t n = 0, allocated = 0;

        f = fopen(path, "re");
        if (!f)
                return -errno;
        for (;;) {
                size_t k;
                if (!GREEDY_REALLOC(buf, allocated, n + 65536))
                        return -ENOMEM;
                k = fread(buf + n, 1, allocated - n, f);
                n += k;
                if (n > COMPOSE_FILE_SIZE_MAX)
                        return -E2BIG;
                if (k == 0) {
                        if (ferror(f))
                                return -EIO;
                        break;
                }
        }
        return dotenv_parse(buf ?: "", n, env, ret_line);
}
