#include <errno.h>

#include "shared/json-util.h"
#include "shared/utf8-util.h"

int json_escape_append(Buffer *b, const char *str, size_t n, JsonEscapeFlags flags) {
        static const char hex[] = "0123456789abcdef";
        const unsigned char *s = (const unsigned char *) str;
        char *o, *start;

        /* Worst case: 6 output bytes per input byte, plus the quotes. */
        if (n > (SIZE_MAX - 2) / 6) {
                b->error = b->error ?: -E2BIG;
                return b->error;
        }
        o = start = buffer_reserve(b, n * 6 + 2);
        if (!o)
                return b->error;
        *o++ = '"';
        for (size_t i = 0; i < n;) {
                unsigned char c = s[i];
                size_t l;

                if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\' &&
                    (!(flags & JSON_ESCAPE_HTML) || (c != '<' && c != '>' && c != '&'))) {
                        *o++ = (char) c;
                        i++;
                        continue;
                }
                if (c < 0x80) {
                        *o++ = '\\';
                        switch (c) {
                        case '"':
                        case '\\':
                                *o++ = (char) c;
                                break;
                        case '\n':
                                *o++ = 'n';
                                break;
                        case '\r':
                                *o++ = 'r';
                                break;
                        case '\t':
                                *o++ = 't';
                                break;
                        case '\b':
                        case '\f':
                                if (flags & JSON_ESCAPE_SHORT_BF) {
                                        *o++ = c == '\b' ? 'b' : 'f';
                                        break;
                                }
                                _fallthrough_;
                        default:
                                *o++ = 'u';
                                *o++ = '0';
                                *o++ = '0';
                                *o++ = hex[c >> 4];
                                *o++ = hex[c & 0xf];
                        }
                        i++;
                        continue;
                }
                l = utf8_valid_len(str + i, n - i);
                if (l == 0) {
                        if (flags & JSON_ESCAPE_UTF8_REPLACE) {
                                memcpy(o, JSON_REPLACEMENT, STRLEN(JSON_REPLACEMENT));
                                o += STRLEN(JSON_REPLACEMENT);
                        } else
                                *o++ = (char) c;
                        i++;
                        continue;
                }
                if ((flags & JSON_ESCAPE_LINE_SEP) && l == 3 && c == 0xe2 && s[i + 1] == 0x80 &&
                    (s[i + 2] == 0xa8 || s[i + 2] == 0xa9)) {
                        memcpy(o, s[i + 2] == 0xa8 ? "\\u2028" : "\\u2029", 6);
                        o += 6;
                        i += 3;
                        continue;
                }
                memcpy(o, s + i, l);
                o += l;
                i += l;
        }
        *o++ = '"';
        buffer_advance(b, (size_t) (o - start));
        return 0;
}

char *json_escape(const char *s, JsonEscapeFlags flags) {
        Buffer b = {};

        (void) json_escape_append(&b, s, strlen(s), flags);
        return buffer_steal(&b, NULL);
}

char *json_text_fix_utf8(char *s, size_t n, size_t *ret_len) {
        Buffer b = {};
        size_t done = 0;

        if (utf8_is_valid(s, n)) {
                if (ret_len)
                        *ret_len = n;
                return s;
        }
        for (size_t i = 0; i < n;) {
                size_t l = utf8_valid_len(s + i, n - i);

                if (l > 0) {
                        i += l;
                        continue;
                }
                (void) buffer_append(&b, s + done, i - done);
                (void) buffer_append_str(&b, JSON_REPLACEMENT);
                done = ++i;
        }
        (void) buffer_append(&b, s + done, n - done);
        return buffer_steal(&b, ret_len);
}

char *json_print(const cJSON *j) {
        char *s, *t;

        s = cJSON_PrintUnformatted(j);
        if (!s)
                return NULL;
        t = json_text_fix_utf8(s, strlen(s), NULL);
        if (t != s)
                free(s);
        return t;
}
