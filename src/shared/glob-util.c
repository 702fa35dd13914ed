/* Glob matching with "**" (glob-util.h).
 *
 * One pass over the name with two resume points, the classic linear wildcard algorithm extended by one level:
 * the latest "*" (it may take one more character, never a "/") and the latest "**" + "/" (it may take one
 * more whole directory). A mismatch first lets the "*" grow, then the "**"; when neither can, there is no
 * match. Alternatives are tried by matching the pattern with each one written in place of its braces. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "shared/glob-util.h"
#include "shared/macro.h"
#include "shared/utf8-util.h"

#define RUNE_ERROR 0xFFFDu

typedef struct Resume {
        ssize_t star_pat, star_name;      /* after the latest "*" */
        ssize_t dstar_pat, dstar_name;    /* after the latest "**" + "/" */
} Resume;

/* The code point at s and its length, as Go's utf8.DecodeRuneInString: an invalid byte is U+FFFD, 1 byte. */
static uint32_t rune_at(const char *s, size_t *ret_len) {
        const unsigned char *u = (const unsigned char *) s;
        size_t n = utf8_valid_len(s, strnlen(s, 4));
        uint32_t c;

        if (n <= 1) {
                *ret_len = 1;
                return n == 1 ? u[0] : RUNE_ERROR;
        }
        c = u[0] & (0xff >> (n + 1));
        for (size_t i = 1; i < n; i++)
                c = (c << 6) | (u[i] & 0x3f);
        *ret_len = n;
        return c;
}

/* The index of the "}" closing the brace that opens just before s, or -1. */
static ssize_t closing_brace(const char *s) {
        unsigned depth = 0;

        for (size_t i = 0; s[i]; i++)
                switch (s[i]) {
                case '\\':
                        if (!s[++i])
                                return -1;
                        break;
                case '{':
                        depth++;
                        break;
                case '}':
                        if (depth == 0)
                                return (ssize_t) i;
                        depth--;
                        break;
                default:
                        break;
                }
        return -1;
}

/* The index of the next "," at depth 0 of s[0..n), or -1. */
static ssize_t next_alternative(const char *s, size_t n) {
        unsigned depth = 0;

        for (size_t i = 0; i < n; i++)
                switch (s[i]) {
                case '\\':
                        i++;
                        break;
                case '{':
                        depth++;
                        break;
                case '}':
                        depth--;
                        break;
                case ',':
                        if (depth == 0)
                                return (ssize_t) i;
                        break;
                default:
                        break;
                }
        return -1;
}

/* pattern[0..head) + alt[0..n) + tail, or NULL on OOM. */
static char *splice(const char *pattern, size_t head, const char *alt, size_t n, const char *tail) {
        size_t t = strlen(tail);
        char *s = malloc(head + n + t + 1);

        if (!s)
                return NULL;
        memcpy(s, pattern, head);
        memcpy(s + head, alt, n);
        memcpy(s + head + n, tail, t + 1);
        return s;
}

/* Whether what is left of the pattern matches the empty rest of a name: "", "*", "**" and "**" with a slash on
 * either side or both (so a trailing "**" component matches the directory itself), or alternatives of these. */
static bool matches_empty(const char *rest) {
        ssize_t close;
        size_t from = 1;

        static const char *const empty[] = { "", "*", "**", "/**", "**/", "/**/" };

        for (size_t i = 0; i < ELEMENTSOF(empty); i++)
                if (streq(rest, empty[i]))
                        return true;
        if (rest[0] != '{' || (close = closing_brace(rest + 1)) < 0)
                return false;
        close += 1;
        for (;;) {
                ssize_t comma = next_alternative(rest + from, (size_t) close - from);
                size_t end = comma < 0 ? (size_t) close : from + (size_t) comma;
                _cleanup_free_ char *s = splice("", 0, rest + from, end - from, rest + close + 1);

                if (!s)
                        return false;
                if (matches_empty(s))
                        return true;
                if (comma < 0)
                        return false;
                from = end + 1;
        }
}

/* Matches the class at pattern[*pi] ("[" already skipped) against c: 1 in, 0 out, -EINVAL malformed. On
 * success *pi is past the closing "]". */
static int match_class(const char *pattern, size_t *pi, uint32_t c) {
        size_t i = *pi, len;
        bool negate = false, in = false, have_lo = false;
        uint32_t lo = 0;

        if (IN_SET(pattern[i], '!', '^')) {
                negate = true;
                i++;
        }
        if (!pattern[i] || pattern[i] == ']')
                return -EINVAL;
        while (pattern[i] != ']') {
                uint32_t r;

                if (!pattern[i])
                        return -EINVAL;
                if (pattern[i] == '-' && have_lo && pattern[i + 1] && pattern[i + 1] != ']') {
                        i++;
                        if (pattern[i] == '\\' && pattern[i + 1])
                                i++;
                        r = rune_at(pattern + i, &len);
                        i += len;
                        if (lo <= c && c <= r)
                                in = true;
                        have_lo = false;
                        continue;
                }
                if (pattern[i] == '\\') {
                        if (!pattern[++i])
                                return -EINVAL;
                }
                r = rune_at(pattern + i, &len);
                i += len;
                if (r == c)
                        in = true;
                lo = r;
                have_lo = true;
        }
        *pi = i + 1;
        return in != negate;
}

static int match_from(const char *pattern, size_t pi, const char *name, size_t ni, Resume z);

/* The braces at pattern[pi]: each alternative in their place, matched from pi. */
static int match_braces(const char *pattern, size_t pi, const char *name, size_t ni, Resume z) {
        ssize_t close = closing_brace(pattern + pi + 1);
        size_t from = pi + 1, end;

        if (close < 0)
                return -EINVAL;
        end = pi + 1 + (size_t) close;
        for (;;) {
                ssize_t comma = next_alternative(pattern + from, end - from);
                size_t stop = comma < 0 ? end : from + (size_t) comma;
                _cleanup_free_ char *s = splice(pattern, pi, pattern + from, stop - from, pattern + end + 1);
                int r;

                if (!s)
                        return -ENOMEM;
                r = match_from(s, pi, name, ni, z);
                if (r != 0 || comma < 0)
                        return r;
                from = stop + 1;
        }
}

static int match_from(const char *pattern, size_t pi, const char *name, size_t ni, Resume z) {
        size_t len, nlen;
        int r;

        while (name[ni]) {
                bool segment_start = pi == 0 || pattern[pi - 1] == '/';
                uint32_t c;

                switch (pattern[pi]) {
                case '\0':
                        break;
                case '*':
                        pi++;
                        if (pattern[pi] == '*') {
                                pi++;
                                if (segment_start && !pattern[pi])
                                        return 1;               /* a trailing "**" takes everything */
                                if (segment_start && pattern[pi] == '/') {
                                        pi++;
                                        z.dstar_pat = (ssize_t) pi;
                                        z.dstar_name = (ssize_t) ni;
                                        z.star_pat = z.star_name = -1;
                                        continue;
                                }
                        }
                        z.star_pat = (ssize_t) pi;
                        z.star_name = (ssize_t) ni;
                        continue;
                case '?':
                        if (name[ni] == '/')
                                break;
                        (void) rune_at(name + ni, &nlen);
                        pi++;
                        ni += nlen;
                        continue;
                case '[': {
                        size_t after = pi + 1;

                        c = rune_at(name + ni, &nlen);
                        r = match_class(pattern, &after, c);
                        if (r < 0)
                                return r;
                        if (r == 0)
                                break;
                        pi = after;
                        ni += nlen;
                        continue;
                }
                case '{':
                        return match_braces(pattern, pi, name, ni, z);
                case '\\':
                        if (!pattern[pi + 1])
                                return -EINVAL;
                        pi++;
                        _fallthrough_;
                default:
                        c = rune_at(pattern + pi, &len);
                        if (c != rune_at(name + ni, &nlen))
                                break;
                        pi += len;
                        ni += nlen;
                        continue;
                }

                /* mismatch: let the latest "*" take one more character, else the latest "**" one more
                 * directory */
                if (z.star_pat >= 0 && name[z.star_name] != '/') {
                        (void) rune_at(name + z.star_name, &nlen);
                        z.star_name += (ssize_t) nlen;
                        pi = (size_t) z.star_pat;
                        ni = (size_t) z.star_name;
                        continue;
                }
                if (z.dstar_pat >= 0) {
                        const char *slash = strchr(name + z.dstar_name, '/');

                        if (slash) {
                                z.dstar_name = slash - name + 1;
                                z.star_pat = z.star_name = -1;
                                pi = (size_t) z.dstar_pat;
                                ni = (size_t) z.dstar_name;
                                continue;
                        }
                }
                return 0;
        }
        return matches_empty(pattern + pi);
}

bool glob_match(const char *pattern, const char *name) {
        Resume z = { -1, -1, -1, -1 };

        if (!pattern || !name)
                return false;
        return match_from(pattern, 0, name, 0, z) > 0;
}

bool glob_is_valid(const char *pattern) {
        unsigned braces = 0;

        for (const char *s = pattern; *s; s++)
                switch (*s) {
                case '\\':
                        if (!*++s)
                                return false;
                        break;
                case '[':
                        s++;
                        if (*s == '!' || *s == '^')
                                s++;
                        if (!*s || *s == ']')
                                return false;
                        for (; *s != ']'; s++)
                                if (!*s || (*s == '\\' && !*++s))
                                        return false;
                        break;
                case '{':
                        braces++;
                        break;
                case '}':
                        if (braces == 0)
                                return false;
                        braces--;
                        break;
                default:
                        break;
                }
        return braces == 0;
}
