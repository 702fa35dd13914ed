/* JSON string escaping as Go's encoding/json does by default (what gorilla's WriteJSON sends): '"', '\\' and
 * control characters escaped, '<', '>', '&', U+2028 and U+2029 escaped as \uXXXX, invalid UTF-8 replaced by
 * U+FFFD. Pure. */
#pragma once

#include <stddef.h>

/* Appends the quoted JSON string of s[0..len) to *buf (grown as needed, *size bytes used, *alloc bytes
 * allocated). Returns 0 or -ENOMEM. */
int ws_json_append_string(char **buf, size_t *size, size_t *alloc, const char *s, size_t len);
int ws_json_append(char **buf, size_t *size, size_t *alloc, const char *s, size_t len);
