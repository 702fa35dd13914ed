/* UTF-8 validation as Go's unicode/utf8 decodes it: the one rule by which JSON replies, the WebSocket streams
 * and the log file replace a byte that is not part of a valid sequence with U+FFFD. Pure, libc only. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* U+FFFD, REPLACEMENT CHARACTER, in UTF-8 and as a JSON escape. */
#define UTF8_REPLACEMENT "\xef\xbf\xbd"
#define JSON_REPLACEMENT "\\ufffd"

/**
 * utf8_valid_len() - the length of the UTF-8 sequence at s
 * @s: the bytes (need not be NUL-terminated)
 * @n: how many bytes of s may be read; at least 1
 *
 * As Go's utf8.DecodeRune: overlong forms, surrogates, code points above U+10FFFF and truncated sequences are
 * invalid, and the caller then replaces one byte (not the whole sequence) with U+FFFD.
 *
 * Return: 1..4, or 0 when the sequence at s is invalid.
 */
size_t utf8_valid_len(const char *s, size_t n);

/* True when s[0..n) is entirely valid UTF-8. */
bool utf8_is_valid(const char *s, size_t n);
