/* Go-compatible JSON string escaping (see ws-json.h). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shared/macro.h"
#include "ws/ws-json.h"

static int reserve(char **buf, size_t *size, size_t *alloc, size_t more) {
        size_t need, n;
        char *p;

        if (more > SIZE_MAX - *size - 1)
                return -ENOMEM;
        need = *size + more + 1;
        if (need <= *alloc)
                return 0;
        n = MAX(need, *alloc * 2);
        n = MAX(n, (size_t) 128);
        p = realloc(*buf, n);
        if (!p)
                return -ENOMEM;
        *buf = p;
        *alloc = n;
        return 0;
}

int ws_json_append(char **buf, size_t *size, size_t *alloc, const char *s, size_t len) {
        if (reserve(buf, size, alloc, len) < 0)
                return -ENOMEM;
        memcpy(*buf + *size, s, len);
        *size += len;
        (*buf)[*size] = 0;
        return 0;
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when it is invalid. */
static size_t utf8_valid_len(const uint8_t *s, size_t len) {
        uint8_t c = s[0];
        size_t n;
        uint32_t cp;

        if (c < 0x80)
                return 1;
        if (c >= 0xc2 && c <= 0xdf)
                n = 2, cp = c & 0x1f;
        else if (c >= 0xe0 && c <= 0xef)
                n = 3, cp = c & 0x0f;
        else if (c >= 0xf0 && c <= 0xf4)
                n = 4, cp = c & 0x07;
        else
                return 0;
        if (len < n)
                return 0;
        for (size_t i = 1; i < n; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                cp = (cp << 6) | (s[i] & 0x3f);
        }
        /* overlong forms, surrogates, beyond U+10FFFF */
        if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        return n;
}

int ws_json_append_string(char **buf, size_t *size, size_t *alloc, const char *str, size_t len) {
        static const char hex[] = "0123456789abcdef";
        const uint8_t *s = (const uint8_t *) str;
        char *o;
        size_t i = 0;

        /* Worst case: 6 output bytes per input byte, plus quotes. */
        if (len > (SIZE_MAX - 2) / 6 || reserve(buf, size, alloc, len * 6 + 2) < 0)
                return -ENOMEM;
        o = *buf + *size;
        *o++ = '"';
        while (i < len) {
                uint8_t c = s[i];
                size_t n;

                if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&') {
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
                n = utf8_valid_len(s + i, len - i);
                if (n == 0) {
                        memcpy(o, "\\ufffd", 6);
                        o += 6;
                        i++;
                        continue;
                }
                if (n == 3 && s[i] == 0xe2 && s[i + 1] == 0x80 && (s[i + 2] == 0xa8 || s[i + 2] == 0xa9)) {
                        memcpy(o, s[i + 2] == 0xa8 ? "\\u2028" : "\\u2029", 6);
                        o += 6;
                        i += 3;
                        continue;
                }
                memcpy(o, s + i, n);
                o += n;
                i += n;
        }
        *o++ = '"';
        *size = o - *buf;
        (*buf)[*size] = 0;
        return 0;
}
