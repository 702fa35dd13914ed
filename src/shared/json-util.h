/* JSON helpers: the cJSON cleanup, printing that never emits invalid UTF-8, and one string escaper whose flags
 * select Go's encoding/json rules, zerolog's or journalctl's. Pure (no I/O, no logging). */
#pragma once

#include <stddef.h>

#include <cjson/cJSON.h>

#include "shared/buffer.h"
#include "shared/macro.h"

DEFINE_TRIVIAL_CLEANUP_FUNC_VOID(cJSON *, cJSON_Delete);
#define _cleanup_json_ _cleanup_(cJSON_Deletep)

typedef enum JsonEscapeFlags {
        /* '<', '>', '&' as \u003c, \u003e, \u0026 (Go's default HTML-safe encoding). */
        JSON_ESCAPE_HTML          = 1 << 0,
        /* U+2028 and U+2029 as \u2028, \u2029 (Go). */
        JSON_ESCAPE_LINE_SEP      = 1 << 1,
        /* '\b' and '\f' as \b, \f (journalctl, zerolog); otherwise \u0008, \u000c (Go's encoding/json). */
        JSON_ESCAPE_SHORT_BF      = 1 << 2,
        /* A byte that is not part of valid UTF-8 as \ufffd (Go, zerolog); otherwise copied as is, for input
         * that is known to be valid (journalctl checks it before). */
        JSON_ESCAPE_UTF8_REPLACE  = 1 << 3,

        JSON_ESCAPE_GO            = JSON_ESCAPE_HTML | JSON_ESCAPE_LINE_SEP | JSON_ESCAPE_UTF8_REPLACE,
        JSON_ESCAPE_ZEROLOG       = JSON_ESCAPE_SHORT_BF | JSON_ESCAPE_UTF8_REPLACE,
        JSON_ESCAPE_JOURNALCTL    = JSON_ESCAPE_SHORT_BF,
} JsonEscapeFlags;

/**
 * json_escape_append() - append s as a quoted JSON string
 * @b: the buffer
 * @s: the bytes (need not be NUL-terminated)
 * @n: how many
 * @flags: which characters to escape beyond '"', '\\' and the control characters
 *
 * Return: 0, or the buffer's error.
 */
int json_escape_append(Buffer *b, const char *s, size_t n, JsonEscapeFlags flags);

/* The quoted JSON string of the NUL-terminated s, newly allocated; NULL on ENOMEM. */
char *json_escape(const char *s, JsonEscapeFlags flags);

/**
 * json_print() - cJSON_PrintUnformatted(), with invalid UTF-8 inside strings as \ufffd
 * @j: the value
 *
 * cJSON copies the bytes of a string as they are, so a process's output with a stray byte would make the whole
 * reply invalid JSON for strict parsers. Outside strings cJSON prints ASCII only, so every byte >= 0x80 of its
 * output is inside a string, where the escape is valid.
 *
 * Return: the text, newly allocated, or NULL on ENOMEM.
 */
char *json_print(const cJSON *j);

/* Replaces every byte of s[0..n) that is not valid UTF-8 with the JSON escape \ufffd. Returns the new text, or
 * s itself (not copied) when it is valid; NULL on ENOMEM. */
char *json_text_fix_utf8(char *s, size_t n, size_t *ret_len);
